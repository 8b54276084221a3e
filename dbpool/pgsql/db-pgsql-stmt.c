/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Statements on PostgreSQL: prepared once per connection under a generated name,
 * parameters sent as text (blobs as binary bytea), rows read from one PGresult. */
#include <gio/gio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "db-pgsql-conn-private.h"
#include "db-pgsql-rewrite-private.h"
#include "db-sql-words-private.h"

/* Type OIDs from the server's catalogue (pg_type.dat); stable across versions. */
#define OID_BOOL    16
#define OID_BYTEA   17
#define OID_INT8    20
#define OID_INT2    21
#define OID_INT4    23
#define OID_OID     26
#define OID_FLOAT4 700
#define OID_FLOAT8 701

static void
clear_result (DbPgStmt *self)
{
  if (self->blobs != NULL)
    for (int i = 0; i < self->base.n_columns; i++)
      g_clear_pointer (&self->blobs[i], PQfreemem);
  g_clear_pointer (&self->res, PQclear);
  self->row = -1;
}

static void
stmt_free (DbPgStmt *self)
{
  clear_result (self);
  g_clear_pointer (&self->desc, PQclear);
  for (int i = 0; i < self->base.n_params; i++)
    g_free (self->values[i]);
  g_free (self->values);
  g_free (self->lengths);
  g_free (self->formats);
  g_free (self->blobs);
  g_free (self->blob_lens);
  g_ptr_array_unref (self->param_names);
  g_free (self->sql);
  g_free (self->pg_sql);
  g_free (self);
}

void
_db_pgsql_cache_clear (DbPgConn *conn)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, conn->stmt_cache);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      g_hash_table_iter_remove (&iter);
      stmt_free (value);
    }
}

/* Whether the statement only reads: the first keyword, as libpq does not say before
 * the statement runs. A wrong TRUE costs nothing: a read lease's session is
 * READ ONLY and the server refuses the write (25006) all the same. */
static gboolean
sql_reads_only (const char *pg_sql)
{
  static const char *const writers[] = {
    "INSERT", "UPDATE", "DELETE", "MERGE", "CREATE", "DROP", "ALTER", "TRUNCATE",
    "COPY", "GRANT", "REVOKE", "VACUUM", "REINDEX", "CLUSTER", "COMMENT", "LOCK",
  };
  const char *p = pg_sql;

  while (g_ascii_isspace (*p) || *p == '(')
    p++;
  /* WITH … INSERT (a data-modifying CTE) is left to the server. */
  return !_db_sql_starts_with_any (p, writers, G_N_ELEMENTS (writers));
}

static DbPgStmt *
stmt_new (DbPgConn   *conn,
          const char *sql,
          char       *pg_sql,
          GPtrArray  *names)
{
  DbPgStmt *self = g_new0 (DbPgStmt, 1);
  int n = (int) names->len;

  self->base.backend = conn->base.backend;
  self->base.n_params = n;
  self->conn = conn;
  self->sql = g_strdup (sql);
  self->pg_sql = pg_sql;
  self->param_names = names;
  self->values = g_new0 (char *, MAX (n, 1));
  self->lengths = g_new0 (int, MAX (n, 1));
  self->formats = g_new0 (int, MAX (n, 1));
  self->read_only = sql_reads_only (pg_sql);
  self->row = -1;
  return self;
}

/* Prepares @self on the server under a new name; its column count from the
 * description, so DbRows knows its columns before the first row. */
static gboolean
stmt_prepare (DbPgStmt  *self,
              GError   **error)
{
  DbPgConn *conn = self->conn;
  PGresult *res;

  g_snprintf (self->name, sizeof self->name, "dbpool_%u", ++conn->next_name);
  res = PQprepare (conn->pg, self->name, self->pg_sql, self->base.n_params, NULL);
  if (PQresultStatus (res) != PGRES_COMMAND_OK)
    {
      _db_pgsql_set_error (conn, error, res, self->sql);
      PQclear (res);
      return FALSE;
    }
  PQclear (res);

  res = PQdescribePrepared (conn->pg, self->name);
  if (PQresultStatus (res) != PGRES_COMMAND_OK)
    {
      _db_pgsql_set_error (conn, error, res, self->sql);
      PQclear (res);
      return FALSE;
    }
  self->base.n_columns = PQnfields (res);
  self->desc = res;
  return TRUE;
}

DbBackendStmt *
_db_pgsql_checkout (DbBackendConn  *conn,
                    const char     *sql,
                    GError        **error)
{
  DbPgConn *self = _db_pgsql_conn (conn);
  DbPgStmt *stmt = g_hash_table_lookup (self->stmt_cache, sql);
  g_autoptr(GPtrArray) names = NULL;
  const char *tail = NULL;
  char *pg_sql;

  if (stmt != NULL && !stmt->in_use)
    {
      stmt->in_use = TRUE;
      return &stmt->base;
    }

  names = g_ptr_array_new_with_free_func (g_free);
  pg_sql = _db_pgsql_rewrite (sql, names, &tail, error);
  if (pg_sql == NULL)
    return NULL;
  while (g_ascii_isspace (*tail))
    tail++;
  if (*tail != '\0')
    {
      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE,
                   "More than one statement in “%s”: use db_connection_execute_script()",
                   sql);
      g_free (pg_sql);
      return NULL;
    }

  stmt = stmt_new (self, sql, pg_sql, g_steal_pointer (&names));
  if (!stmt_prepare (stmt, error))
    {
      stmt_free (stmt);
      return NULL;
    }
  /* A second checkout of the same SQL, or one past the cache's capacity, is a
   * private copy; its server-side statement goes at the next reuse. */
  if (g_hash_table_lookup (self->stmt_cache, sql) == NULL &&
      g_hash_table_size (self->stmt_cache) < self->cache_capacity)
    {
      stmt->cached = TRUE;
      g_hash_table_insert (self->stmt_cache, stmt->sql, stmt);
    }
  stmt->in_use = TRUE;
  return &stmt->base;
}

gboolean
_db_pgsql_prepare_script (DbBackendConn  *conn,
                          const char     *script,
                          DbBackendStmt **stmt_out,
                          const char    **tail,
                          GError        **error)
{
  DbPgConn *self = _db_pgsql_conn (conn);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *first = NULL;
  char *pg_sql;
  const char *end = NULL;
  DbPgStmt *stmt;

  *stmt_out = NULL;
  pg_sql = _db_pgsql_rewrite (script, names, &end, error);
  if (pg_sql == NULL)
    return FALSE;
  *tail = end;

  /* Only white space and comments? The server says so with an empty query. */
  {
    const char *p = pg_sql;
    gboolean empty = TRUE;

    while (*p != '\0' && empty)
      {
        if (g_ascii_isspace (*p))
          p++;
        else if (p[0] == '-' && p[1] == '-')
          while (*p != '\0' && *p != '\n')
            p++;
        else if (p[0] == '/' && p[1] == '*')
          {
            const char *c = strstr (p + 2, "*/");
            p = c != NULL ? c + 2 : p + strlen (p);
          }
        else
          empty = FALSE;
      }
    if (empty)
      {
        g_free (pg_sql);
        if (**tail == '\0')
          return TRUE;
        /* An empty statement (";;"): go on with the rest. */
        return _db_pgsql_prepare_script (conn, *tail, stmt_out, tail, error);
      }
  }

  /* Not empty here, so end > script; the message shows the statement without its ';'. */
  first = g_strndup (script, end - script - (end[-1] == ';' ? 1 : 0));
  stmt = stmt_new (self, first, pg_sql, g_steal_pointer (&names));
  /* Unnamed: a script statement runs once, through PQexecParams. */
  stmt->name[0] = '\0';
  stmt->in_use = TRUE;
  *stmt_out = &stmt->base;
  return TRUE;
}

void
_db_pgsql_checkin (DbBackendStmt *stmt)
{
  DbPgStmt *self = _db_pgsql_stmt (stmt);

  if (!self->cached)
    {
      if (self->name[0] != '\0')
        g_ptr_array_add (self->conn->to_deallocate, g_strdup (self->name));
      stmt_free (self);
      return;
    }
  clear_result (self);
  _db_pgsql_clear_bindings (stmt);
  self->in_use = FALSE;
}

const char *
_db_pgsql_get_sql (DbBackendStmt *stmt)
{
  return _db_pgsql_stmt (stmt)->sql;
}

gboolean
_db_pgsql_is_read_only (DbBackendStmt *stmt)
{
  return _db_pgsql_stmt (stmt)->read_only;
}

const char *
_db_pgsql_param_name (DbBackendStmt *stmt,
                      int            index)
{
  DbPgStmt *self = _db_pgsql_stmt (stmt);

  if (index < 1 || index > (int) self->param_names->len)
    return NULL;
  return self->param_names->pdata[index - 1];
}

int
_db_pgsql_param_index (DbBackendStmt *stmt,
                       const char    *name)
{
  DbPgStmt *self = _db_pgsql_stmt (stmt);

  for (guint i = 0; i < self->param_names->len; i++)
    if (g_strcmp0 (self->param_names->pdata[i], name) == 0)
      return (int) i + 1;
  return 0;
}

static void
set_value (DbPgStmt *self,
           int       index,
           char     *value,
           int       length,
           int       format)
{
  g_free (self->values[index - 1]);
  self->values[index - 1] = value;
  self->lengths[index - 1] = length;
  self->formats[index - 1] = format;
}

gboolean
_db_pgsql_bind_null (DbBackendStmt  *stmt,
                     int             index,
                     GError        **error)
{
  set_value (_db_pgsql_stmt (stmt), index, NULL, 0, 0);
  return TRUE;
}

gboolean
_db_pgsql_bind_int64 (DbBackendStmt  *stmt,
                      int             index,
                      gint64          value,
                      GError        **error)
{
  set_value (_db_pgsql_stmt (stmt), index,
             g_strdup_printf ("%" G_GINT64_FORMAT, value), 0, 0);
  return TRUE;
}

gboolean
_db_pgsql_bind_double (DbBackendStmt  *stmt,
                       int             index,
                       double          value,
                       GError        **error)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  const char *text;

  /* PostgreSQL's spellings for what printf writes as inf and nan. */
  if (isnan (value))
    text = "NaN";
  else if (isinf (value))
    text = value > 0 ? "Infinity" : "-Infinity";
  else
    text = g_ascii_dtostr (buf, sizeof buf, value);
  set_value (_db_pgsql_stmt (stmt), index, g_strdup (text), 0, 0);
  return TRUE;
}

gboolean
_db_pgsql_bind_text (DbBackendStmt  *stmt,
                     int             index,
                     const char     *text,
                     gsize           len,
                     GError        **error)
{
  if (memchr (text, '\0', len) != NULL)
    {
      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE,
                   "Parameter %d: PostgreSQL text cannot hold a NUL character (bind bytes instead)",
                   index);
      return FALSE;
    }
  set_value (_db_pgsql_stmt (stmt), index, g_strndup (text, len), (int) len, 0);
  return TRUE;
}

gboolean
_db_pgsql_bind_blob (DbBackendStmt  *stmt,
                     int             index,
                     gconstpointer   data,
                     gsize           len,
                     GError        **error)
{
  /* Binary format: bytea's binary form is the bytes themselves. g_malloc (0) is
   * NULL, so an empty blob gets one byte, or it would bind as SQL NULL. */
  char *copy = g_malloc (MAX (len, 1));

  if (len > 0)
    memcpy (copy, data, len);
  set_value (_db_pgsql_stmt (stmt), index, copy, (int) len, 1);
  return TRUE;
}

void
_db_pgsql_clear_bindings (DbBackendStmt *stmt)
{
  DbPgStmt *self = _db_pgsql_stmt (stmt);

  for (int i = 0; i < stmt->n_params; i++)
    set_value (self, i + 1, NULL, 0, 0);
}

static gboolean
stmt_execute (DbPgStmt  *self,
              GError   **error)
{
  DbPgConn *conn = self->conn;
  const char *const *values = (const char *const *) self->values;
  ExecStatusType st;

  if (self->name[0] != '\0')
    self->res = PQexecPrepared (conn->pg, self->name, self->base.n_params, values,
                                self->lengths, self->formats, 0);
  else
    self->res = PQexecParams (conn->pg, self->pg_sql, self->base.n_params, NULL, values,
                              self->lengths, self->formats, 0);

  st = PQresultStatus (self->res);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY)
    {
      _db_pgsql_set_error (conn, error, self->res, self->sql);
      g_clear_pointer (&self->res, PQclear);
      return FALSE;
    }
  conn->base.last_used_us = g_get_monotonic_time ();
  if (self->blobs == NULL || PQnfields (self->res) > self->base.n_columns)
    {
      g_free (self->blobs);
      g_free (self->blob_lens);
      self->blobs = g_new0 (guchar *, MAX (PQnfields (self->res), 1));
      self->blob_lens = g_new0 (size_t, MAX (PQnfields (self->res), 1));
    }
  self->base.n_columns = PQnfields (self->res);
  return TRUE;
}

DbStepResult
_db_pgsql_step (DbBackendStmt  *stmt,
                GError        **error)
{
  DbPgStmt *self = _db_pgsql_stmt (stmt);

  if (self->res == NULL)
    {
      if (!stmt_execute (self, error))
        return DB_STEP_ERROR;
    }
  else
    for (int i = 0; i < stmt->n_columns; i++)
      g_clear_pointer (&self->blobs[i], PQfreemem);

  if (self->row + 1 < PQntuples (self->res))
    {
      self->row++;
      return DB_STEP_ROW;
    }
  self->row = PQntuples (self->res);
  return DB_STEP_DONE;
}

gint64
_db_pgsql_run_to_done (DbBackendStmt  *stmt,
                       GError        **error)
{
  DbPgStmt *self = _db_pgsql_stmt (stmt);
  const char *changes;

  if (self->res == NULL && !stmt_execute (self, error))
    return -1;
  self->row = PQntuples (self->res);
  /* PQcmdTuples counts what INSERT/UPDATE/DELETE/MERGE changed (with or without
   * RETURNING), but also what a SELECT returned: a query changes nothing. */
  if (PQresultStatus (self->res) == PGRES_TUPLES_OK && self->read_only)
    return 0;
  changes = PQcmdTuples (self->res);
  return changes[0] != '\0' ? g_ascii_strtoll (changes, NULL, 10) : 0;
}

void
_db_pgsql_reset (DbBackendStmt *stmt)
{
  clear_result (_db_pgsql_stmt (stmt));
}

int
_db_pgsql_column_count (DbBackendStmt *stmt)
{
  return stmt->n_columns;
}

const char *
_db_pgsql_column_name (DbBackendStmt *stmt,
                       int            column)
{
  DbPgStmt *self = _db_pgsql_stmt (stmt);

  return PQfname (self->res != NULL ? self->res : self->desc, column);
}

DbValueKind
_db_pgsql_column_kind (DbBackendStmt *stmt,
                       int            column)
{
  DbPgStmt *self = _db_pgsql_stmt (stmt);

  if (PQgetisnull (self->res, self->row, column))
    return DB_VALUE_NULL;
  switch (PQftype (self->res, column))
    {
    case OID_INT8:
    case OID_INT4:
    case OID_INT2:
    case OID_OID:
    case OID_BOOL:
      return DB_VALUE_INT64;
    case OID_FLOAT4:
    case OID_FLOAT8:
      return DB_VALUE_DOUBLE;
    case OID_BYTEA:
      return DB_VALUE_BLOB;
    default:
      /* text, varchar, numeric, timestamps, json…: PostgreSQL's text form. */
      return DB_VALUE_TEXT;
    }
}

gint64
_db_pgsql_column_int64 (DbBackendStmt *stmt,
                        int            column)
{
  DbPgStmt *self = _db_pgsql_stmt (stmt);
  const char *text;

  if (PQgetisnull (self->res, self->row, column))
    return 0;
  text = PQgetvalue (self->res, self->row, column);
  if (PQftype (self->res, column) == OID_BOOL)
    return text[0] == 't';
  if (PQftype (self->res, column) == OID_FLOAT4 || PQftype (self->res, column) == OID_FLOAT8)
    return (gint64) g_ascii_strtod (text, NULL);
  return g_ascii_strtoll (text, NULL, 10);
}

double
_db_pgsql_column_double (DbBackendStmt *stmt,
                         int            column)
{
  DbPgStmt *self = _db_pgsql_stmt (stmt);
  const char *text;

  if (PQgetisnull (self->res, self->row, column))
    return 0.0;
  text = PQgetvalue (self->res, self->row, column);
  if (PQftype (self->res, column) == OID_BOOL)
    return text[0] == 't' ? 1.0 : 0.0;
  return g_ascii_strtod (text, NULL);
}

const char *
_db_pgsql_column_text (DbBackendStmt *stmt,
                       int            column,
                       gsize         *len)
{
  DbPgStmt *self = _db_pgsql_stmt (stmt);

  if (PQgetisnull (self->res, self->row, column))
    {
      if (len != NULL)
        *len = 0;
      return NULL;
    }
  if (len != NULL)
    *len = (gsize) PQgetlength (self->res, self->row, column);
  return PQgetvalue (self->res, self->row, column);
}

gconstpointer
_db_pgsql_column_blob (DbBackendStmt *stmt,
                       int            column,
                       gsize         *len)
{
  DbPgStmt *self = _db_pgsql_stmt (stmt);
  const char *text;

  if (len != NULL)
    *len = 0;
  if (PQgetisnull (self->res, self->row, column))
    return NULL;
  text = PQgetvalue (self->res, self->row, column);
  if (PQftype (self->res, column) != OID_BYTEA)
    {
      /* Other types' bytes are their text form, as SQLite's blob of a text. */
      gsize n = (gsize) PQgetlength (self->res, self->row, column);
      if (len != NULL)
        *len = n;
      return n > 0 ? text : NULL;
    }
  /* Results come as text, so bytea is hex ("\x…"): decoded once per row. */
  if (self->blobs[column] == NULL)
    self->blobs[column] = PQunescapeBytea ((const guchar *) text, &self->blob_lens[column]);
  if (len != NULL)
    *len = self->blob_lens[column];
  return self->blob_lens[column] > 0 ? self->blobs[column] : NULL;
}
