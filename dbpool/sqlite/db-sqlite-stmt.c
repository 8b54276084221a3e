/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Statements: the per-connection LRU cache, binds, stepping and columns. Each of these
 * is one call into SQLite behind the one indirect call the seam costs. */
#include <string.h>

#include "db-sqlite-conn-private.h"
#include "db-sqlite-private.h"
#include "db-tuning-private.h"

/* DbValueKind follows SQLite's fundamental types, so a column's kind is its type. */
G_STATIC_ASSERT ((int) DB_VALUE_INT64 == SQLITE_INTEGER);
G_STATIC_ASSERT ((int) DB_VALUE_DOUBLE == SQLITE_FLOAT);
G_STATIC_ASSERT ((int) DB_VALUE_TEXT == SQLITE_TEXT);
G_STATIC_ASSERT ((int) DB_VALUE_BLOB == SQLITE_BLOB);

static DbSqliteStmt *
stmt_new (DbSqliteConn *conn,
          sqlite3_stmt *stmt,
          const char   *cache_key)
{
  DbSqliteStmt *self = g_new0 (DbSqliteStmt, 1);

  self->base.backend = &_db_sqlite_backend;
  self->base.n_params = sqlite3_bind_parameter_count (stmt);
  self->base.n_columns = sqlite3_column_count (stmt);
  self->conn = conn;
  self->stmt = stmt;
  self->link.data = self;
  self->sql = g_strdup (cache_key);
  return self;
}

static void
stmt_free (DbSqliteStmt *self)
{
  sqlite3_finalize (self->stmt);
  g_free (self->sql);
  g_free (self);
}

void
_db_sqlite_cache_clear (DbSqliteConn *conn)
{
  GList *l;

  while ((l = g_queue_pop_head_link (&conn->lru)) != NULL)
    stmt_free (l->data);
  memset (conn->memo, 0, sizeof conn->memo);
  if (conn->stmt_cache != NULL)
    g_hash_table_remove_all (conn->stmt_cache);
}

static gboolean
is_blank (const char *tail)
{
  while (*tail && g_ascii_isspace (*tail))
    tail++;
  return *tail == '\0';
}

/* Prepares exactly one statement from @sql; a second one in the text is an error
 * (it would silently never run). */
static sqlite3_stmt *
prepare_one (DbSqliteConn  *conn,
             const char    *sql,
             gboolean       persistent,
             GError       **error)
{
  sqlite3_stmt *stmt = NULL;
  const char *tail = NULL;
  int rc;

  rc = sqlite3_prepare_v3 (conn->db, sql, -1, persistent ? SQLITE_PREPARE_PERSISTENT : 0,
                           &stmt, &tail);
  if (rc != SQLITE_OK)
    {
      _db_sqlite_set_error (conn, error, rc, sql);
      return NULL;
    }
  if (stmt == NULL)
    {
      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE,
                   "The SQL text holds no statement");
      return NULL;
    }
  if (tail != NULL && !is_blank (tail))
    {
      sqlite3_stmt *next = NULL;

      /* A tail of only comments prepares to nothing; anything else is a second
       * statement that would silently never run. */
      rc = sqlite3_prepare_v2 (conn->db, tail, -1, &next, NULL);
      if (rc != SQLITE_OK || next != NULL)
        {
          g_autofree char *first = g_strndup (sql, tail - sql);

          sqlite3_finalize (next);
          sqlite3_finalize (stmt);
          g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE,
                       "More than one statement in “%s...”; use execute_script() for scripts",
                       g_strstrip (first));
          return NULL;
        }
    }
  return stmt;
}

/* The statement for one SQL string is usually asked for with the same pointer (a
 * literal, a constant) again and again: a slot picked by the pointer remembers the
 * entry, and a string comparison, cheaper than hashing the text, confirms it. */
static inline guint
memo_slot (const char *sql)
{
  return ((guintptr) sql >> 3) % G_N_ELEMENTS (((DbSqliteConn *) NULL)->memo);
}

static DbSqliteStmt *
lookup_entry (DbSqliteConn *conn,
              const char   *sql)
{
  guint slot = memo_slot (sql);
  DbSqliteStmt *entry = conn->memo[slot];

  if (!_db_tuning.statement_memo)
    return g_hash_table_lookup (conn->stmt_cache, sql);
  if (entry != NULL && strcmp (entry->sql, sql) == 0)
    return entry;
  entry = g_hash_table_lookup (conn->stmt_cache, sql);
  if (entry != NULL)
    conn->memo[slot] = entry;
  return entry;
}

static void
forget_entry (DbSqliteConn *conn,
              DbSqliteStmt *entry)
{
  for (guint i = 0; i < G_N_ELEMENTS (conn->memo); i++)
    if (conn->memo[i] == entry)
      conn->memo[i] = NULL;
  g_hash_table_remove (conn->stmt_cache, entry->sql);
}

/* Drops the least recently used entries beyond the capacity. One still checked out
 * (a DbStatement holds it) leaves the cache now and is freed at check-in. */
static void
trim_cache (DbSqliteConn *conn)
{
  while (conn->lru.length > conn->cache_capacity)
    {
      GList *oldest = g_queue_pop_tail_link (&conn->lru);
      DbSqliteStmt *victim = oldest->data;

      forget_entry (conn, victim);
      if (victim->in_use)
        victim->evicted = TRUE;
      else
        stmt_free (victim);
    }
}

DbBackendStmt *
_db_sqlite_checkout (DbBackendConn  *base,
                     const char     *sql,
                     GError        **error)
{
  DbSqliteConn *conn = _db_sqlite_conn (base);
  DbSqliteStmt *entry = NULL;
  sqlite3_stmt *stmt;

  if (conn->cache_capacity > 0)
    entry = lookup_entry (conn, sql);

  if (entry != NULL && !entry->in_use)
    {
      if (conn->lru.head != &entry->link)
        {
          g_queue_unlink (&conn->lru, &entry->link);
          g_queue_push_head_link (&conn->lru, &entry->link);
        }
      entry->in_use = TRUE;
      return &entry->base;
    }

  /* The same SQL already checked out (a DbStatement still holds it): a private
   * copy, finalized at check-in, so neither resets the other's rows. */
  if (entry != NULL || conn->cache_capacity == 0)
    {
      stmt = prepare_one (conn, sql, FALSE, error);
      return stmt != NULL ? &stmt_new (conn, stmt, NULL)->base : NULL;
    }

  stmt = prepare_one (conn, sql, TRUE, error);
  if (stmt == NULL)
    return NULL;

  entry = stmt_new (conn, stmt, sql);
  entry->in_use = TRUE;
  g_hash_table_insert (conn->stmt_cache, entry->sql, entry);
  g_queue_push_head_link (&conn->lru, &entry->link);
  trim_cache (conn);

  return &entry->base;
}

gboolean
_db_sqlite_prepare_script (DbBackendConn  *base,
                           const char     *script,
                           DbBackendStmt **stmt_out,
                           const char    **tail,
                           GError        **error)
{
  DbSqliteConn *conn = _db_sqlite_conn (base);
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (conn->db, script, -1, &stmt, tail);

  *stmt_out = NULL;
  if (rc != SQLITE_OK)
    {
      _db_sqlite_set_error (conn, error, rc, script);
      return FALSE;
    }
  if (stmt != NULL)   /* NULL: only white space or comments left */
    *stmt_out = &stmt_new (conn, stmt, NULL)->base;
  return TRUE;
}

void
_db_sqlite_checkin (DbBackendStmt *base)
{
  DbSqliteStmt *self = _db_sqlite_stmt (base);

  if (self == NULL)
    return;

  if (self->sql == NULL)
    {
      stmt_free (self);
      return;
    }
  g_assert (self->in_use);

  self->in_use = FALSE;
  if (self->evicted)
    {
      stmt_free (self);
      return;
    }
  /* Drop the bindings too: nothing bound for one caller may leak into the next. */
  sqlite3_reset (self->stmt);
  sqlite3_clear_bindings (self->stmt);
}

const char *
_db_sqlite_get_sql (DbBackendStmt *base)
{
  return sqlite3_sql (_db_sqlite_stmt (base)->stmt);
}

gboolean
_db_sqlite_is_read_only (DbBackendStmt *base)
{
  return sqlite3_stmt_readonly (_db_sqlite_stmt (base)->stmt) != 0;
}

const char *
_db_sqlite_param_name (DbBackendStmt *base,
                       int            index)
{
  return sqlite3_bind_parameter_name (_db_sqlite_stmt (base)->stmt, index);
}

int
_db_sqlite_param_index (DbBackendStmt *base,
                        const char    *name)
{
  return sqlite3_bind_parameter_index (_db_sqlite_stmt (base)->stmt, name);
}

static inline gboolean
check_bind (DbSqliteStmt  *self,
            int            rc,
            GError       **error)
{
  if (G_LIKELY (rc == SQLITE_OK))
    return TRUE;
  _db_sqlite_set_error (self->conn, error, rc, sqlite3_sql (self->stmt));
  return FALSE;
}

gboolean
_db_sqlite_bind_null (DbBackendStmt  *base,
                      int             index,
                      GError        **error)
{
  DbSqliteStmt *self = _db_sqlite_stmt (base);

  return check_bind (self, sqlite3_bind_null (self->stmt, index), error);
}

gboolean
_db_sqlite_bind_int64 (DbBackendStmt  *base,
                       int             index,
                       gint64          value,
                       GError        **error)
{
  DbSqliteStmt *self = _db_sqlite_stmt (base);

  return check_bind (self, sqlite3_bind_int64 (self->stmt, index, value), error);
}

gboolean
_db_sqlite_bind_double (DbBackendStmt  *base,
                        int             index,
                        double          value,
                        GError        **error)
{
  DbSqliteStmt *self = _db_sqlite_stmt (base);

  return check_bind (self, sqlite3_bind_double (self->stmt, index, value), error);
}

/* Text and blobs are bound SQLITE_TRANSIENT: SQLite copies them, so the caller's
 * memory (a GVariant, a GBytes, a string about to be freed) need not outlive the
 * bind. */
gboolean
_db_sqlite_bind_text (DbBackendStmt  *base,
                      int             index,
                      const char     *text,
                      gsize           len,
                      GError        **error)
{
  DbSqliteStmt *self = _db_sqlite_stmt (base);

  return check_bind (self, sqlite3_bind_text64 (self->stmt, index, text, len,
                                                SQLITE_TRANSIENT, SQLITE_UTF8), error);
}

gboolean
_db_sqlite_bind_blob (DbBackendStmt  *base,
                      int             index,
                      gconstpointer   data,
                      gsize           len,
                      GError        **error)
{
  DbSqliteStmt *self = _db_sqlite_stmt (base);

  /* A NULL pointer would bind NULL, not an empty blob. */
  if (len == 0)
    return check_bind (self, sqlite3_bind_zeroblob (self->stmt, index, 0), error);
  return check_bind (self, sqlite3_bind_blob64 (self->stmt, index, data, len,
                                                SQLITE_TRANSIENT), error);
}

void
_db_sqlite_clear_bindings (DbBackendStmt *base)
{
  sqlite3_clear_bindings (_db_sqlite_stmt (base)->stmt);
}

DbStepResult
_db_sqlite_step (DbBackendStmt  *base,
                 GError        **error)
{
  DbSqliteStmt *self = _db_sqlite_stmt (base);
  int rc = sqlite3_step (self->stmt);

  if (G_LIKELY (rc == SQLITE_ROW))
    {
      /* The step may have re-prepared the statement after a schema change. */
      self->base.n_columns = sqlite3_column_count (self->stmt);
      return DB_STEP_ROW;
    }
  if (rc == SQLITE_DONE)
    return DB_STEP_DONE;
  _db_sqlite_set_error (self->conn, error, rc, sqlite3_sql (self->stmt));
  return DB_STEP_ERROR;
}

gint64
_db_sqlite_run_to_done (DbBackendStmt  *base,
                        GError        **error)
{
  DbSqliteStmt *self = _db_sqlite_stmt (base);
  sqlite3 *db = self->conn->db;
  /* sqlite3_changes64() keeps the count of the last INSERT/UPDATE/DELETE: after a
   * SELECT or DDL it would report that earlier statement's rows. */
  gint64 total_before = sqlite3_total_changes64 (db);
  int rc;

  while ((rc = sqlite3_step (self->stmt)) == SQLITE_ROW)
    ;
  if (rc != SQLITE_DONE)
    {
      _db_sqlite_set_error (self->conn, error, rc, sqlite3_sql (self->stmt));
      return -1;
    }
  return sqlite3_total_changes64 (db) != total_before ? sqlite3_changes64 (db) : 0;
}

void
_db_sqlite_reset (DbBackendStmt *base)
{
  sqlite3_reset (_db_sqlite_stmt (base)->stmt);
}

int
_db_sqlite_column_count (DbBackendStmt *base)
{
  return sqlite3_column_count (_db_sqlite_stmt (base)->stmt);
}

const char *
_db_sqlite_column_name (DbBackendStmt *base,
                        int            column)
{
  return sqlite3_column_name (_db_sqlite_stmt (base)->stmt, column);
}

DbValueKind
_db_sqlite_column_kind (DbBackendStmt *base,
                        int            column)
{
  int type = sqlite3_column_type (_db_sqlite_stmt (base)->stmt, column);

  return type == SQLITE_NULL ? DB_VALUE_NULL : (DbValueKind) type;
}

gint64
_db_sqlite_column_int64 (DbBackendStmt *base,
                         int            column)
{
  return sqlite3_column_int64 (_db_sqlite_stmt (base)->stmt, column);
}

double
_db_sqlite_column_double (DbBackendStmt *base,
                          int            column)
{
  return sqlite3_column_double (_db_sqlite_stmt (base)->stmt, column);
}

const char *
_db_sqlite_column_text (DbBackendStmt *base,
                        int            column,
                        gsize         *len)
{
  sqlite3_stmt *stmt = _db_sqlite_stmt (base)->stmt;
  /* The pointer first, then the size, as SQLite's documentation asks. */
  const char *text = (const char *) sqlite3_column_text (stmt, column);

  if (len != NULL)
    *len = (gsize) sqlite3_column_bytes (stmt, column);
  return text;
}

gconstpointer
_db_sqlite_column_blob (DbBackendStmt *base,
                        int            column,
                        gsize         *len)
{
  sqlite3_stmt *stmt = _db_sqlite_stmt (base)->stmt;
  const void *blob = sqlite3_column_blob (stmt, column);

  *len = (gsize) sqlite3_column_bytes (stmt, column);
  return blob;
}
