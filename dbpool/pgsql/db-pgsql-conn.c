/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One pooled PostgreSQL connection: open, reuse, read-only mode, cancel. */
#include <gio/gio.h>
#include <string.h>

#include "db-pgsql-conn-private.h"
#include "db-pgsql-private.h"

/* libpq prints NOTICEs and WARNINGs (such as "there is no transaction in progress")
 * on stderr by default; a library must not. */
static void
ignore_notice (void       *data,
               const char *message)
{
  g_debug ("PostgreSQL: %s", message);
}

DbBackendConn *
_db_pgsql_open (const DbBackendSettings  *settings,
                GError                  **error)
{
  /* The path is the whole URI (expand_dbname); the rest are defaults it may not
   * override: text comes back as UTF-8, as DbRows promises. */
  const char *const keys[] = { "dbname", "client_encoding", "application_name", NULL };
  const char *const values[] = { settings->path, "UTF8", "dbpool", NULL };
  PGconn *pg = PQconnectdbParams (keys, values, 1);
  g_autofree DbPgConn *self = NULL;
  g_autofree char *lock_timeout = NULL;

  if (pg == NULL || PQstatus (pg) != CONNECTION_OK)
    {
      g_autofree char *message = g_strdup (pg != NULL ? PQerrorMessage (pg) : "out of memory");

      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_OPEN,
                   "Cannot connect to PostgreSQL at “%s”: %s",
                   settings->path, g_strstrip (message));
      PQfinish (pg);
      return NULL;
    }
  PQsetNoticeProcessor (pg, ignore_notice, NULL);

  self = g_new0 (DbPgConn, 1);
  self->base.backend = &_db_pgsql_backend;
  self->pg = pg;
  self->read_only = -1;

  /* busy-timeout-ms keeps its meaning: how long a statement waits for a lock
   * another transaction holds before failing with BUSY (55P03). */
  lock_timeout = g_strdup_printf ("SET lock_timeout = %u", settings->busy_timeout_ms);
  if (!_db_pgsql_exec (self, lock_timeout, error))
    {
      PQfinish (pg);
      return NULL;
    }

  self->cancel = PQgetCancel (pg);
  self->stmt_cache = g_hash_table_new (g_str_hash, g_str_equal);
  self->cache_capacity = MAX (settings->statement_cache_size, 1);
  self->to_deallocate = g_ptr_array_new_with_free_func (g_free);
  self->base.created_at_us = g_get_monotonic_time ();
  self->base.last_used_us = self->base.created_at_us;
  return &g_steal_pointer (&self)->base;
}

void
_db_pgsql_close (DbBackendConn *conn,
                 gboolean       truncate_log)
{
  DbPgConn *self = _db_pgsql_conn (conn);

  /* No log to truncate: the server owns its WAL. */
  _db_pgsql_cache_clear (self);
  g_hash_table_unref (self->stmt_cache);
  g_ptr_array_unref (self->to_deallocate);
  PQfreeCancel (self->cancel);
  PQfinish (self->pg);
  g_free (self);
}

gboolean
_db_pgsql_reset_for_reuse (DbBackendConn *conn)
{
  DbPgConn *self = _db_pgsql_conn (conn);

  if (conn->broken || PQstatus (self->pg) != CONNECTION_OK)
    return FALSE;
  if (PQtransactionStatus (self->pg) != PQTRANS_IDLE &&
      !_db_pgsql_exec (self, "ROLLBACK", NULL))
    return FALSE;

  /* Outside any transaction now, so DEALLOCATE cannot meet an aborted one. */
  for (guint i = 0; i < self->to_deallocate->len; i++)
    {
      g_autofree char *sql = g_strdup_printf ("DEALLOCATE %s",
                                              (char *) self->to_deallocate->pdata[i]);
      if (!_db_pgsql_exec (self, sql, NULL))
        return FALSE;
    }
  g_ptr_array_set_size (self->to_deallocate, 0);
  g_atomic_int_set (&self->interrupted, 0);
  return PQstatus (self->pg) == CONNECTION_OK;
}

gboolean
_db_pgsql_set_read_only (DbBackendConn  *conn,
                         gboolean        read_only,
                         GError        **error)
{
  DbPgConn *self = _db_pgsql_conn (conn);

  if (self->read_only == (read_only ? 1 : 0))
    return TRUE;
  /* The session's default, so every transaction a read lease starts (and every
   * statement outside one) is READ ONLY: a write fails with 25006, READ_ONLY. */
  if (!_db_pgsql_exec (self, read_only
                         ? "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"
                         : "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
                       error))
    {
      self->read_only = -1;
      return FALSE;
    }
  self->read_only = read_only ? 1 : 0;
  return TRUE;
}

int
_db_pgsql_get_read_only (DbBackendConn *conn)
{
  return _db_pgsql_conn (conn)->read_only;
}

gboolean
_db_pgsql_check_not_moved (DbBackendConn  *conn,
                           GError        **error)
{
  DbPgConn *self = _db_pgsql_conn (conn);

  /* No file to move; the nearest thing is a server that went away while the
   * connection sat idle. */
  if (PQstatus (self->pg) == CONNECTION_OK)
    return TRUE;
  _db_pgsql_set_error (self, error, NULL, NULL);
  return FALSE;
}

gboolean
_db_pgsql_checkpoint (DbBackendConn    *conn,
                      DbCheckpointMode  mode)
{
  /* The server checkpoints on its own schedule. */
  return TRUE;
}

void
_db_pgsql_interrupt (DbBackendConn *conn)
{
  DbPgConn *self = _db_pgsql_conn (conn);
  char errbuf[256];

  g_atomic_int_set (&self->interrupted, 1);
  /* PQcancel is documented safe from another thread (even a signal handler); the
   * running statement then fails with 57014, CANCELLED. */
  if (self->cancel != NULL && !PQcancel (self->cancel, errbuf, sizeof errbuf))
    g_debug ("PostgreSQL cancel request failed: %s", errbuf);
}

void
_db_pgsql_start_job (DbBackendConn *conn)
{
  g_atomic_int_set (&_db_pgsql_conn (conn)->interrupted, 0);
}

gpointer
_db_pgsql_get_handle (DbBackendConn *conn)
{
  /* A PGconn is not a sqlite3: db_connection_get_handle() is typed with SQLite's
   * handle, so it gives nothing here. */
  return NULL;
}

gboolean
_db_pgsql_in_transaction (DbBackendConn *conn)
{
  PGTransactionStatusType st = PQtransactionStatus (_db_pgsql_conn (conn)->pg);

  return st == PQTRANS_INTRANS || st == PQTRANS_INERROR || st == PQTRANS_ACTIVE;
}

gint64
_db_pgsql_last_insert_rowid (DbBackendConn *conn)
{
  /* PostgreSQL has no rowid; lastval() is per sequence and fails before any
   * nextval(). INSERT … RETURNING id is the way (docs/postgresql.md). */
  return 0;
}
