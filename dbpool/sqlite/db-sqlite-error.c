/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SQLite result codes as DbPoolError codes, and what they mean for a connection. */
#include <gio/gio.h>

#include "db-error-private.h"
#include "db-sqlite-conn-private.h"

DbPoolError
_db_sqlite_error_code (int rc)
{
  switch (rc & 0xff)
    {
    case SQLITE_CONSTRAINT:
      return DB_POOL_ERROR_CONSTRAINT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return DB_POOL_ERROR_BUSY;
    case SQLITE_READONLY:
      return DB_POOL_ERROR_READ_ONLY;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
      return DB_POOL_ERROR_IO;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return DB_POOL_ERROR_CORRUPT;
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
      return DB_POOL_ERROR_MISUSE;
    case SQLITE_ERROR:
    case SQLITE_AUTH:
    case SQLITE_SCHEMA:
    case SQLITE_TOOBIG:
    case SQLITE_MISMATCH:
      return DB_POOL_ERROR_SQL;
    default:
      return DB_POOL_ERROR_FAILED;
    }
}

gboolean
_db_sqlite_rc_is_fatal (int rc)
{
  switch (rc & 0xff)
    {
    case SQLITE_IOERR:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_NOMEM:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
      return TRUE;
    default:
      return FALSE;
    }
}

void
_db_sqlite_note_result (DbSqliteConn *conn,
                        int           rc)
{
  if (_db_sqlite_rc_is_fatal (rc))
    conn->base.broken = TRUE;
  /* A full disk leaves the connection usable, but it is a storage failure the
   * connection-errors stat should show. */
  if ((rc & 0xff) == SQLITE_FULL)
    conn->base.full_errors++;
}

void
_db_sqlite_set_error (DbSqliteConn  *conn,
                      GError       **error,
                      int            rc,
                      const char    *sql)
{
  g_autofree char *excerpt = NULL;
  const char *msg = NULL;

  _db_sqlite_note_result (conn, rc);

  if (error == NULL)
    return;

  /* Remembered by interrupt(), so that the interruption is reported as the
   * cancellation it is even if the cancellable was reset meanwhile. */
  if ((rc & 0xff) == SQLITE_INTERRUPT && g_atomic_int_get (&conn->interrupted))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                           "Operation was cancelled");
      return;
    }

  /* sqlite3_errmsg() describes the most recent failure on the handle, which is @rc's
   * only when the codes agree; otherwise fall back to the generic text for @rc. */
  if (sqlite3_extended_errcode (conn->db) == rc)
    msg = sqlite3_errmsg (conn->db);
  if (msg == NULL || *msg == '\0')
    msg = sqlite3_errstr (rc);

  excerpt = _db_error_sql_excerpt (sql);
  if (excerpt != NULL)
    g_set_error (error, DB_POOL_ERROR, _db_sqlite_error_code (rc),
                 "%s (SQLite %s) in “%s”", msg, sqlite3_errstr (rc), excerpt);
  else
    g_set_error (error, DB_POOL_ERROR, _db_sqlite_error_code (rc),
                 "%s (SQLite %s)", msg, sqlite3_errstr (rc));
}
