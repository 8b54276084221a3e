/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* DbStatement (typed prepared statements on a lease) and db_connection_reacquire(). */
#include <math.h>
#include <string.h>

#include <sqlite3.h>

#include "test-common.h"
#include "db-bind-private.h"
#include "db-connection-private.h"

#define SCHEMA "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, n INTEGER);"

static DbStatement *
prepare (DbConnection *conn,
         const char   *sql)
{
  g_autoptr(GError) error = NULL;
  DbStatement *stmt = db_connection_prepare (conn, sql, &error);

  g_assert_no_error (error);
  g_assert_nonnull (stmt);
  return stmt;
}

static void
step_row (DbStatement *stmt)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (db_statement_step (stmt, &error));
  g_assert_no_error (error);
}

static void
step_done (DbStatement *stmt)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (db_statement_step (stmt, &error));
  g_assert_no_error (error);
}

/* A pool with table t holding rows id 1..@n_rows (name "row<id>", n = id * 10). */
static DbPool *
pool_with_rows (DbPoolConfig *config,
                int           n_rows)
{
  DbPool *pool = test_pool_new (config);
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) conn = test_acquire (pool, DB_ACCESS_WRITE);
  g_autoptr(DbStatement) insert = NULL;

  g_assert_true (db_connection_execute_script (conn, SCHEMA, &error));
  g_assert_no_error (error);
  insert = prepare (conn, "INSERT INTO t (id, name, n) VALUES (?, 'row' || ?1, ?1 * 10)");
  g_assert_true (db_connection_begin (conn, &error));
  g_assert_no_error (error);
  for (int i = 1; i <= n_rows; i++)
    {
      g_assert_true (db_statement_bind_int64 (insert, 1, i, &error));
      g_assert_no_error (error);
      g_assert_cmpint (db_statement_execute (insert, &error), ==, 1);
      g_assert_no_error (error);
    }
  g_assert_true (db_connection_commit (conn, &error));
  g_assert_no_error (error);
  return pool;
}

static gint64
count_rows (DbConnection *conn)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DbRows) rows = db_connection_query (conn, "SELECT count(*) FROM t", NULL, &error);

  g_assert_no_error (error);
  return db_rows_get_int64 (rows, 0, 0);
}

/* How many SQLite statements with exactly this text exist on the lease's handle. */
static int
count_sqlite_statements (DbConnection *conn,
                         const char   *sql)
{
  sqlite3 *db = db_connection_get_handle (conn);
  sqlite3_stmt *stmt = NULL;
  int n = 0;

  g_assert_nonnull (db);
  while ((stmt = sqlite3_next_stmt (db, stmt)) != NULL)
    if (g_strcmp0 (sqlite3_sql (stmt), sql) == 0)
      n++;
  return n;
}

static DbPoolStats *
stats (DbPool *pool)
{
  return db_pool_get_stats (pool);
}

static void
assert_counts (DbPool *pool,
               guint   active,
               guint   idle)
{
  g_autoptr(DbPoolStats) s = stats (pool);

  g_assert_cmpuint (s->current_active_connections, ==, active);
  g_assert_cmpuint (s->current_idle_connections, ==, idle);
}

static void
wait_for_waiting (DbPool *pool,
                  guint   n)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  guint waiting = 0;

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(DbPoolStats) s = stats (pool);

      waiting = s->waiting_requests;
      if (waiting >= n)
        break;
      g_usleep (500);
    }
  g_assert_cmpuint (waiting, ==, n);
}

/* ---- values ---------------------------------------------------------------------- */

static void
test_round_trip (void)
{
  static const guint8 with_nuls[] = { 0x00, 'a', 0x00, 0xff, 0x00 };
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(DbConnection) conn = test_acquire (pool, DB_ACCESS_READ);
  g_autoptr(DbStatement) stmt = NULL;
  g_autoptr(GBytes) blob = g_bytes_new_static (with_nuls, sizeof with_nuls);
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GError) error = NULL;
  const char *sql = "SELECT ?1 AS v, typeof(?1) AS type";
  const guint8 *data;
  gsize size;

  stmt = prepare (conn, sql);
  g_assert_cmpuint (db_statement_get_n_parameters (stmt), ==, 1);
  g_assert_cmpuint (db_statement_get_n_columns (stmt), ==, 2);
  g_assert_cmpstr (db_statement_get_column_name (stmt, 0), ==, "v");
  g_assert_cmpstr (db_statement_get_column_name (stmt, 1), ==, "type");

  /* Never bound: NULL. */
  step_row (stmt);
  g_assert_true (db_statement_is_null (stmt, 0));
  g_assert_cmpstr (db_statement_get_string (stmt, 1), ==, "null");
  g_assert_null (db_statement_get_string (stmt, 0));
  g_assert_null (db_statement_get_bytes (stmt, 0));
  g_assert_cmpint (db_statement_get_int64 (stmt, 0), ==, 0);
  step_done (stmt);

  /* int64 extremes, and the other getters' conversions of an integer. */
  g_assert_true (db_statement_bind_int64 (stmt, 1, G_MAXINT64, &error));
  g_assert_no_error (error);
  step_row (stmt);
  g_assert_false (db_statement_is_null (stmt, 0));
  g_assert_cmpint (db_statement_get_int64 (stmt, 0), ==, G_MAXINT64);
  g_assert_cmpstr (db_statement_get_string (stmt, 1), ==, "integer");
  g_assert_cmpstr (db_statement_get_string (stmt, 0), ==, "9223372036854775807");

  g_assert_true (db_statement_bind_int64 (stmt, 1, G_MININT64, &error));
  g_assert_no_error (error);
  step_row (stmt);
  g_assert_cmpint (db_statement_get_int64 (stmt, 0), ==, G_MININT64);

  g_assert_true (db_statement_bind_int64 (stmt, 1, 0, &error));
  step_row (stmt);
  g_assert_cmpint (db_statement_get_int64 (stmt, 0), ==, 0);
  g_assert_false (db_statement_is_null (stmt, 0));

  /* double */
  g_assert_true (db_statement_bind_double (stmt, 1, -2.25, &error));
  g_assert_no_error (error);
  step_row (stmt);
  g_assert_cmpfloat (db_statement_get_double (stmt, 0), ==, -2.25);
  g_assert_cmpstr (db_statement_get_string (stmt, 1), ==, "real");
  g_assert_true (db_statement_bind_double (stmt, 1, 1e300, &error));
  step_row (stmt);
  g_assert_cmpfloat (db_statement_get_double (stmt, 0), ==, 1e300);
  g_assert_true (db_statement_bind_double (stmt, 1, INFINITY, &error));
  step_row (stmt);
  g_assert_true (isinf (db_statement_get_double (stmt, 0)));

  /* text, including non-ASCII and empty (which is not NULL) */
  g_assert_true (db_statement_bind_text (stmt, 1, "h\xc3\xa9 \xe2\x98\x83", &error));
  g_assert_no_error (error);
  step_row (stmt);
  g_assert_cmpstr (db_statement_get_string (stmt, 0), ==, "h\xc3\xa9 \xe2\x98\x83");
  g_assert_cmpstr (db_statement_get_string (stmt, 1), ==, "text");
  out = db_statement_get_bytes (stmt, 0);
  g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out), "h\xc3\xa9 \xe2\x98\x83", 7);
  g_clear_pointer (&out, g_bytes_unref);

  g_assert_true (db_statement_bind_text (stmt, 1, "", &error));
  g_assert_no_error (error);
  step_row (stmt);
  g_assert_false (db_statement_is_null (stmt, 0));
  g_assert_cmpstr (db_statement_get_string (stmt, 0), ==, "");
  g_assert_cmpstr (db_statement_get_string (stmt, 1), ==, "text");

  /* text NULL binds SQL NULL */
  g_assert_true (db_statement_bind_text (stmt, 1, NULL, &error));
  step_row (stmt);
  g_assert_true (db_statement_is_null (stmt, 0));

  /* a blob with NULs comes back byte for byte */
  g_assert_true (db_statement_bind_bytes (stmt, 1, blob, &error));
  g_assert_no_error (error);
  step_row (stmt);
  g_assert_cmpstr (db_statement_get_string (stmt, 1), ==, "blob");
  out = db_statement_get_bytes (stmt, 0);
  g_assert_nonnull (out);
  data = g_bytes_get_data (out, &size);
  g_assert_cmpmem (data, size, with_nuls, sizeof with_nuls);
  g_clear_pointer (&out, g_bytes_unref);

  /* an empty blob is an empty blob, not NULL */
  g_assert_true (db_statement_bind_bytes (stmt, 1, empty, &error));
  g_assert_no_error (error);
  step_row (stmt);
  g_assert_false (db_statement_is_null (stmt, 0));
  g_assert_cmpstr (db_statement_get_string (stmt, 1), ==, "blob");
  out = db_statement_get_bytes (stmt, 0);
  g_assert_nonnull (out);
  g_assert_cmpuint (g_bytes_get_size (out), ==, 0);
  g_clear_pointer (&out, g_bytes_unref);

  /* bytes NULL and bind_null both bind SQL NULL */
  g_assert_true (db_statement_bind_bytes (stmt, 1, NULL, &error));
  step_row (stmt);
  g_assert_true (db_statement_is_null (stmt, 0));
  g_assert_true (db_statement_bind_int64 (stmt, 1, 5, &error));
  g_assert_true (db_statement_bind_null (stmt, 1, &error));
  g_assert_no_error (error);
  step_row (stmt);
  g_assert_true (db_statement_is_null (stmt, 0));
  g_assert_cmpstr (db_statement_get_string (stmt, 1), ==, "null");
  g_assert_null (db_statement_get_bytes (stmt, 0));
  g_assert_cmpfloat (db_statement_get_double (stmt, 0), ==, 0.0);
  step_done (stmt);
}

/* Values stored in a table come back with their types, through a write and a read
 * lease. */
static void
test_round_trip_table (void)
{
  static const guint8 raw[] = { 0x00, 0x01, 0x00 };
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 2);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(DbConnection) w = test_acquire (pool, DB_ACCESS_WRITE);
  g_autoptr(DbConnection) r = NULL;
  g_autoptr(DbStatement) insert = NULL;
  g_autoptr(DbStatement) select = NULL;
  g_autoptr(GBytes) blob = g_bytes_new_static (raw, sizeof raw);
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (db_connection_execute_script (w, "CREATE TABLE v (i INTEGER, d REAL, s TEXT, b BLOB);", &error));
  g_assert_no_error (error);
  insert = prepare (w, "INSERT INTO v (i, d, s, b) VALUES (?, ?, ?, ?)");
  g_assert_cmpuint (db_statement_get_n_parameters (insert), ==, 4);
  g_assert_cmpuint (db_statement_get_n_columns (insert), ==, 0);
  g_assert_true (db_statement_bind_int64 (insert, 1, -7, &error));
  g_assert_true (db_statement_bind_double (insert, 2, 0.5, &error));
  g_assert_true (db_statement_bind_text (insert, 3, "x", &error));
  g_assert_true (db_statement_bind_bytes (insert, 4, blob, &error));
  g_assert_no_error (error);
  g_assert_cmpint (db_statement_execute (insert, &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpint (db_connection_get_last_insert_rowid (w), ==, 1);
  /* An insert steps to DONE, with no row. */
  db_statement_clear_bindings (insert);
  step_done (insert);
  g_clear_pointer (&insert, db_statement_unref);
  g_clear_object (&w);

  r = test_acquire (pool, DB_ACCESS_READ);
  select = prepare (r, "SELECT i, d, s, b FROM v ORDER BY rowid");
  step_row (select);
  g_assert_cmpint (db_statement_get_int64 (select, 0), ==, -7);
  g_assert_cmpfloat (db_statement_get_double (select, 1), ==, 0.5);
  g_assert_cmpstr (db_statement_get_string (select, 2), ==, "x");
  out = db_statement_get_bytes (select, 3);
  g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out), raw, sizeof raw);
  step_row (select);
  for (guint c = 0; c < 4; c++)
    g_assert_true (db_statement_is_null (select, c));
  step_done (select);
}

static void
test_parameters (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(DbConnection) conn = test_acquire (pool, DB_ACCESS_READ);
  g_autoptr(DbStatement) named = NULL;
  g_autoptr(DbStatement) numbered = NULL;
  g_autoptr(GError) error = NULL;

  named = prepare (conn, "SELECT :x, @y, $z, :x + 1");
  g_assert_cmpuint (db_statement_get_n_parameters (named), ==, 3);
  g_assert_cmpuint (db_statement_get_parameter_index (named, ":x"), ==, 1);
  g_assert_cmpuint (db_statement_get_parameter_index (named, "@y"), ==, 2);
  g_assert_cmpuint (db_statement_get_parameter_index (named, "$z"), ==, 3);
  g_assert_cmpuint (db_statement_get_parameter_index (named, "x"), ==, 0);
  g_assert_cmpuint (db_statement_get_parameter_index (named, ":y"), ==, 0);
  g_assert_cmpuint (db_statement_get_parameter_index (named, ":nope"), ==, 0);

  g_assert_true (db_statement_bind_int64 (named, db_statement_get_parameter_index (named, ":x"), 41, &error));
  g_assert_true (db_statement_bind_text (named, db_statement_get_parameter_index (named, "@y"), "why", &error));
  g_assert_true (db_statement_bind_double (named, db_statement_get_parameter_index (named, "$z"), 1.5, &error));
  g_assert_no_error (error);
  step_row (named);
  g_assert_cmpint (db_statement_get_int64 (named, 0), ==, 41);
  g_assert_cmpstr (db_statement_get_string (named, 1), ==, "why");
  g_assert_cmpfloat (db_statement_get_double (named, 2), ==, 1.5);
  g_assert_cmpint (db_statement_get_int64 (named, 3), ==, 42);

  /* ?NNN: the count is the largest number; unused numbers in between stay NULL. */
  numbered = prepare (conn, "SELECT ?3, ?1, ?3 - ?1, ?2 IS NULL");
  g_assert_cmpuint (db_statement_get_n_parameters (numbered), ==, 3);
  g_assert_true (db_statement_bind_int64 (numbered, 1, 10, &error));
  g_assert_true (db_statement_bind_int64 (numbered, 3, 30, &error));
  g_assert_no_error (error);
  step_row (numbered);
  g_assert_cmpint (db_statement_get_int64 (numbered, 0), ==, 30);
  g_assert_cmpint (db_statement_get_int64 (numbered, 1), ==, 10);
  g_assert_cmpint (db_statement_get_int64 (numbered, 2), ==, 20);
  g_assert_cmpint (db_statement_get_int64 (numbered, 3), ==, 1);

  /* Out of range: MISUSE naming the number, for every bind function. */
  g_assert_false (db_statement_bind_int64 (numbered, 4, 1, &error));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
  g_assert_nonnull (strstr (error->message, "Parameter 4"));
  g_clear_error (&error);
  g_assert_false (db_statement_bind_int64 (numbered, 0, 1, &error));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
  g_assert_nonnull (strstr (error->message, "Parameter 0"));
  g_clear_error (&error);
  g_assert_false (db_statement_bind_double (numbered, 9, 1.0, &error));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
  g_assert_nonnull (strstr (error->message, "9"));
  g_clear_error (&error);
  g_assert_false (db_statement_bind_text (numbered, 9, "x", &error));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
  g_clear_error (&error);
  g_assert_false (db_statement_bind_null (numbered, 9, &error));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
  g_clear_error (&error);
  {
    g_autoptr(GBytes) b = g_bytes_new ("x", 1);

    g_assert_false (db_statement_bind_bytes (numbered, 9, b, &error));
    g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
    g_clear_error (&error);
  }
  g_assert_false (db_statement_bind_int64 (numbered, G_MAXUINT, 1, &error));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
  g_clear_error (&error);

  /* The failed binds changed nothing. */
  step_row (numbered);
  g_assert_cmpint (db_statement_get_int64 (numbered, 0), ==, 30);
  g_assert_cmpint (db_statement_get_int64 (numbered, 1), ==, 10);
}

/* One binder: DbStatement's typed binds and GVariant parameters go through the same
 * code (db-bind-private.h), so a mistake is the same error with the same message
 * whichever way the value came: MISUSE for what the caller got wrong, the backend's
 * one mapping for what the engine refused. */
static void
assert_error_message (GError      *error,
                      GQuark       domain,
                      int          code,
                      const char  *message)
{
  g_assert_error (error, domain, code);
  g_assert_cmpstr (error->message, ==, message);
}

static void
test_bind_errors_shared (void)
{
  static const char out_of_range[] =
    "Parameter 3 is out of range: “SELECT ?, ?” has 2 parameter(s), numbered from 1";
  static const char out_of_range_0[] =
    "Parameter 0 is out of range: “SELECT ?, ?” has 2 parameter(s), numbered from 1";
  static const char wrong_count[] = "Statement expects 2 parameters, got 1";
  static const char handle_type[] =
    "Cannot bind parameter 2 of type “h”: file descriptor handles have no meaning in a database";
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 2);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(DbConnection) conn = test_acquire (pool, DB_ACCESS_READ);
  g_autoptr(DbStatement) stmt = prepare (conn, "SELECT ?, ?");
  g_autoptr(GBytes) bytes = g_bytes_new ("x", 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) other = NULL;
  DbBackendStmt *backend_stmt;
  sqlite3 *db;
  int old_limit;

  /* Out of range: MISUSE, word for word the same from every typed bind... */
  g_assert_false (db_statement_bind_int64 (stmt, 3, 1, &error));
  assert_error_message (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE, out_of_range);
  g_clear_error (&error);
  g_assert_false (db_statement_bind_double (stmt, 3, 1.0, &error));
  assert_error_message (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE, out_of_range);
  g_clear_error (&error);
  g_assert_false (db_statement_bind_text (stmt, 3, "x", &error));
  assert_error_message (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE, out_of_range);
  g_clear_error (&error);
  g_assert_false (db_statement_bind_text (stmt, 3, NULL, &error));
  assert_error_message (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE, out_of_range);
  g_clear_error (&error);
  g_assert_false (db_statement_bind_bytes (stmt, 3, bytes, &error));
  assert_error_message (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE, out_of_range);
  g_clear_error (&error);
  g_assert_false (db_statement_bind_null (stmt, 0, &error));
  assert_error_message (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE, out_of_range_0);
  g_clear_error (&error);

  /* ... and from the binder's typed binds, which the GVariant walker calls, on the
   * backend statement behind execute() and query(). */
  backend_stmt = _db_connection_checkout (conn, "SELECT ?, ?", &error);
  g_assert_no_error (error);
  g_assert_false (_db_bind_int64 (backend_stmt, 3, 1, &error));
  assert_error_message (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE, out_of_range);
  g_clear_error (&error);
  {
    /* The binder does not sink: its callers own their parameters. */
    g_autoptr(GVariant) params = g_variant_ref_sink (g_variant_new ("(i)", 1));

    g_assert_false (_db_bind_params (backend_stmt, params, &error));
    assert_error_message (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE, wrong_count);
    g_clear_error (&error);
  }
  _db_backend_stmt_checkin (backend_stmt);

  /* A wrong count and an unsupported type: MISUSE through every GVariant entry. */
  g_assert_null (db_connection_query (conn, "SELECT ?, ?", g_variant_new ("(i)", 1), &error));
  assert_error_message (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE, wrong_count);
  g_clear_error (&error);
  g_assert_cmpint (db_connection_execute (conn, "SELECT ?, ?", g_variant_new ("(i)", 1), &error),
                   ==, -1);
  assert_error_message (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE, wrong_count);
  g_clear_error (&error);
  g_assert_null (db_connection_query (conn, "SELECT ?, ?", g_variant_new ("(ih)", 1, 0), &error));
  assert_error_message (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE, handle_type);
  g_clear_error (&error);
  {
    g_autoptr(GAsyncResult) result = NULL;

    db_pool_query_async (pool, "SELECT ?, ?", g_variant_new ("(ih)", 1, 0), NULL,
                         test_store_result, &result);
    g_assert_null (db_pool_query_finish (pool, test_wait_result (&result), &error));
    assert_error_message (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE, handle_type);
    g_clear_error (&error);
  }

  /* What the engine refuses is the backend's one error, whichever way the value came:
   * text or a blob longer than SQLite's length limit. */
  db = db_connection_get_handle (conn);
  old_limit = sqlite3_limit (db, SQLITE_LIMIT_LENGTH, 8);
  g_assert_false (db_statement_bind_text (stmt, 1, "longer than eight", &error));
  g_assert_null (db_connection_query (conn, "SELECT ?, ?",
                                      g_variant_new ("(ss)", "longer than eight", ""), &other));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_SQL);
  assert_error_message (other, DB_POOL_ERROR, DB_POOL_ERROR_SQL, error->message);
  g_assert_nonnull (strstr (error->message, "too big"));
  g_clear_error (&error);
  g_clear_error (&other);
  {
    g_autoptr(GBytes) big = g_bytes_new ("0123456789", 10);

    g_assert_false (db_statement_bind_bytes (stmt, 2, big, &error));
    g_assert_null (db_connection_query (conn, "SELECT ?, ?",
                                        g_variant_new ("(s@ay)", "",
                                                       g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE,
                                                                                  "0123456789", 10, 1)),
                                        &other));
    assert_error_message (other, DB_POOL_ERROR, DB_POOL_ERROR_SQL, error->message);
  }
  sqlite3_limit (db, SQLITE_LIMIT_LENGTH, old_limit);
}

static void
test_invalid_utf8 (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(DbConnection) conn = test_acquire (pool, DB_ACCESS_READ);
  g_autoptr(DbStatement) stmt = NULL;
  g_autoptr(GError) error = NULL;

  stmt = prepare (conn, "SELECT ?1, ?2");
  g_assert_true (db_statement_bind_text (stmt, 1, "kept", &error));
  g_assert_no_error (error);

  g_assert_false (db_statement_bind_text (stmt, 1, "ab\xff\xfe", &error));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "Parameter 1"));
  g_assert_nonnull (strstr (error->message, "UTF-8"));
  g_assert_nonnull (strstr (error->message, "byte 2"));
  g_clear_error (&error);

  g_assert_false (db_statement_bind_text (stmt, 2, "\xc3", &error));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_INPUT);
  g_clear_error (&error);

  /* Nothing was bound: the earlier value stays, the other stays NULL. */
  step_row (stmt);
  g_assert_cmpstr (db_statement_get_string (stmt, 0), ==, "kept");
  g_assert_true (db_statement_is_null (stmt, 1));
}

/* ---- stepping ------------------------------------------------------------------- */

static void
test_step_many_rows (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 2);
  g_autoptr(DbPool) pool = pool_with_rows (config, 2000);
  g_autoptr(DbConnection) conn = test_acquire (pool, DB_ACCESS_READ);
  g_autoptr(DbStatement) stmt = NULL;
  g_autoptr(GError) error = NULL;
  gint64 expected = 1;
  gint64 sum = 0;

  g_assert_cmpint (count_rows (conn), ==, 2000);
  stmt = prepare (conn, "SELECT id, name, n FROM t ORDER BY id");
  g_assert_cmpstr (db_statement_get_column_name (stmt, 2), ==, "n");
  while (db_statement_step (stmt, &error))
    {
      g_autofree char *name = g_strdup_printf ("row%" G_GINT64_FORMAT, expected);

      g_assert_cmpint (db_statement_get_int64 (stmt, 0), ==, expected);
      g_assert_cmpstr (db_statement_get_string (stmt, 1), ==, name);
      sum += db_statement_get_int64 (stmt, 2);
      expected++;
    }
  g_assert_no_error (error);
  g_assert_cmpint (expected, ==, 2001);
  g_assert_cmpint (sum, ==, 10 * 2000 * 2001 / 2);

  /* After DONE the next step starts over, with the same bindings. */
  step_row (stmt);
  g_assert_cmpint (db_statement_get_int64 (stmt, 0), ==, 1);
  step_row (stmt);
  g_assert_cmpint (db_statement_get_int64 (stmt, 0), ==, 2);

  /* reset starts over too */
  db_statement_reset (stmt);
  step_row (stmt);
  g_assert_cmpint (db_statement_get_int64 (stmt, 0), ==, 1);
}

static void
test_step_after_done_keeps_bindings (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 2);
  g_autoptr(DbPool) pool = pool_with_rows (config, 30);
  g_autoptr(DbConnection) conn = test_acquire (pool, DB_ACCESS_READ);
  g_autoptr(DbStatement) stmt = NULL;
  g_autoptr(GError) error = NULL;

  stmt = prepare (conn, "SELECT id FROM t WHERE id >= ? AND id < ? ORDER BY id");
  g_assert_true (db_statement_bind_int64 (stmt, 1, 10, &error));
  g_assert_true (db_statement_bind_int64 (stmt, 2, 13, &error));
  g_assert_no_error (error);
  for (int round = 0; round < 2; round++)
    {
      for (int id = 10; id < 13; id++)
        {
          step_row (stmt);
          g_assert_cmpint (db_statement_get_int64 (stmt, 0), ==, id);
        }
      step_done (stmt);
    }
}

static void
test_rebind_restarts (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 2);
  g_autoptr(DbPool) pool = pool_with_rows (config, 30);
  g_autoptr(DbConnection) conn = test_acquire (pool, DB_ACCESS_READ);
  g_autoptr(DbStatement) stmt = NULL;
  g_autoptr(GError) error = NULL;
  int n = 0;

  stmt = prepare (conn, "SELECT id FROM t WHERE id >= ? AND id < ? ORDER BY id");
  g_assert_true (db_statement_bind_int64 (stmt, 1, 10, &error));
  g_assert_true (db_statement_bind_int64 (stmt, 2, 20, &error));
  g_assert_no_error (error);
  step_row (stmt);
  g_assert_cmpint (db_statement_get_int64 (stmt, 0), ==, 10);
  step_row (stmt);
  g_assert_cmpint (db_statement_get_int64 (stmt, 0), ==, 11);

  /* Mid-iteration: binding the first parameter starts over, the second is kept. */
  g_assert_true (db_statement_bind_int64 (stmt, 1, 15, &error));
  g_assert_no_error (error);
  while (db_statement_step (stmt, &error))
    {
      g_assert_cmpint (db_statement_get_int64 (stmt, 0), ==, 15 + n);
      n++;
    }
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 5);   /* 15..19: the upper bound 20 is still bound */

  /* After DONE as well. */
  g_assert_true (db_statement_bind_int64 (stmt, 2, 17, &error));
  n = 0;
  while (db_statement_step (stmt, &error))
    n++;
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 2);   /* 15, 16 */
}

static void
test_clear_bindings (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(DbConnection) conn = test_acquire (pool, DB_ACCESS_READ);
  g_autoptr(DbStatement) stmt = NULL;
  g_autoptr(GError) error = NULL;

  stmt = prepare (conn, "SELECT ?, ?");
  g_assert_true (db_statement_bind_int64 (stmt, 1, 5, &error));
  g_assert_true (db_statement_bind_text (stmt, 2, "five", &error));
  g_assert_no_error (error);
  step_row (stmt);
  g_assert_cmpint (db_statement_get_int64 (stmt, 0), ==, 5);

  /* Mid-row: clearing starts over and makes every parameter NULL. */
  db_statement_clear_bindings (stmt);
  step_row (stmt);
  g_assert_true (db_statement_is_null (stmt, 0));
  g_assert_true (db_statement_is_null (stmt, 1));
  step_done (stmt);
}

static void
test_execute (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPool) pool = pool_with_rows (config, 10);
  g_autoptr(DbConnection) conn = test_acquire (pool, DB_ACCESS_WRITE);
  g_autoptr(DbStatement) update = NULL;
  g_autoptr(DbStatement) insert = NULL;
  g_autoptr(DbStatement) select = NULL;
  g_autoptr(GError) error = NULL;

  update = prepare (conn, "UPDATE t SET n = n + 1 WHERE id <= ?");
  g_assert_true (db_statement_bind_int64 (update, 1, 4, &error));
  g_assert_no_error (error);
  g_assert_cmpint (db_statement_execute (update, &error), ==, 4);
  g_assert_no_error (error);
  /* Re-run with the same bindings. */
  g_assert_cmpint (db_statement_execute (update, &error), ==, 4);
  g_assert_no_error (error);
  g_assert_true (db_statement_bind_int64 (update, 1, 1, &error));
  g_assert_cmpint (db_statement_execute (update, &error), ==, 1);
  g_assert_no_error (error);

  select = prepare (conn, "SELECT n FROM t WHERE id = ?");
  for (int id = 1; id <= 5; id++)
    {
      g_assert_true (db_statement_bind_int64 (select, 1, id, &error));
      step_row (select);
      g_assert_cmpint (db_statement_get_int64 (select, 0), ==,
                       id * 10 + (id == 1 ? 3 : id <= 4 ? 2 : 0));
      step_done (select);
    }

  /* A write returning rows: stepped, then executed with another binding. */
  insert = prepare (conn, "INSERT INTO t (name, n) VALUES (?, 0) RETURNING id");
  g_assert_true (db_statement_bind_text (insert, 1, "returning", &error));
  step_row (insert);
  g_assert_cmpint (db_statement_get_int64 (insert, 0), ==, 11);
  step_done (insert);
  g_assert_true (db_statement_bind_text (insert, 1, "executed", &error));
  g_assert_cmpint (db_statement_execute (insert, &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (conn), ==, 12);
  g_assert_cmpint (db_connection_get_last_insert_rowid (conn), ==, 12);

  /* execute after a partial step runs from the beginning and leaves the statement
   * ready to start over. */
  g_clear_pointer (&select, db_statement_unref);
  select = prepare (conn, "SELECT id FROM t ORDER BY id");
  step_row (select);
  step_row (select);
  g_assert_cmpint (db_statement_get_int64 (select, 0), ==, 2);
  g_assert_cmpint (db_statement_execute (select, &error), ==, 0);
  g_assert_no_error (error);
  step_row (select);
  g_assert_cmpint (db_statement_get_int64 (select, 0), ==, 1);
  g_clear_pointer (&select, db_statement_unref);
  select = prepare (conn, "SELECT n FROM t WHERE id = 1");
  g_assert_false (db_statement_step (insert, &error));   /* the same binding again */
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_CONSTRAINT);
  g_clear_error (&error);

  /* A statement that changes nothing reports 0, not the count of the last write. */
  g_assert_cmpint (db_statement_execute (update, &error), ==, 1);
  g_assert_cmpint (db_statement_execute (select, &error), ==, 0);
  g_assert_no_error (error);
  /* The same for db_connection_execute(), and for DDL. */
  g_assert_cmpint (db_connection_execute (conn, "UPDATE t SET n = 0 WHERE id <= 3", NULL, &error), ==, 3);
  g_assert_cmpint (db_connection_execute (conn, "CREATE TABLE other (x)", NULL, &error), ==, 0);
  g_assert_cmpint (db_connection_execute (conn, "UPDATE t SET n = 0 WHERE id <= 3", NULL, &error), ==, 3);
  g_assert_cmpint (db_connection_execute (conn, "SELECT * FROM t", NULL, &error), ==, 0);
  g_assert_cmpint (db_connection_execute (conn, "UPDATE t SET n = 1 WHERE id > 1000", NULL, &error), ==, 0);
  g_assert_no_error (error);
}

/* A statement stopped before its last row keeps its read transaction (and WAL
 * snapshot) open; reset ends it. */
static void
test_reset_ends_read (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 2);
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(DbConnection) reader = NULL;
  g_autoptr(DbConnection) writer = NULL;
  g_autoptr(DbStatement) stmt = NULL;
  g_autoptr(GError) error = NULL;
  const char *checkpoint = "PRAGMA wal_checkpoint(TRUNCATE)";

  /* No idle checkpoint may run behind the test's back; a busy reader fails the
   * checkpoint at once instead of being waited for. */
  db_pool_config_set_maintenance_interval_ms (config, 0);
  db_pool_config_set_busy_timeout_ms (config, 0);
  pool = pool_with_rows (config, 10);

  reader = test_acquire (pool, DB_ACCESS_READ);
  writer = test_acquire (pool, DB_ACCESS_WRITE);
  stmt = prepare (reader, "SELECT id FROM t ORDER BY id");
  step_row (stmt);
  step_row (stmt);

  g_assert_cmpint (db_connection_execute (writer, "INSERT INTO t (name) VALUES ('new')", NULL, &error), ==, 1);
  g_assert_no_error (error);

  /* Same lease, other statement: still inside the open statement's snapshot. */
  g_assert_cmpint (count_rows (reader), ==, 10);
  {
    g_autoptr(DbRows) rows = db_connection_query (writer, checkpoint, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpint (db_rows_get_int64 (rows, 0, 0), ==, 1);   /* busy: a reader holds the WAL */
  }

  db_statement_reset (stmt);
  g_assert_cmpint (count_rows (reader), ==, 11);
  {
    g_autoptr(DbRows) rows = db_connection_query (writer, checkpoint, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpint (db_rows_get_int64 (rows, 0, 0), ==, 0);
  }

  /* Stepping to DONE ends the read as well. */
  while (db_statement_step (stmt, &error))
    ;
  g_assert_no_error (error);
  g_assert_cmpint (db_connection_execute (writer, "INSERT INTO t (name) VALUES ('newer')", NULL, &error), ==, 1);
  g_assert_cmpint (count_rows (reader), ==, 12);
}

/* Freeing a statement stopped mid-iteration, or releasing its lease, ends its read as
 * well: the connection must not keep an old snapshot for its next user. (No raw
 * handle is taken here: that would make the pool reset every statement anyway.) */
static void
test_free_or_release_ends_read (void)
{
  const char *sqls[] = { "SELECT id FROM t ORDER BY id", "SELECT id FROM t ORDER BY id DESC" };
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 2, 2);
  g_autoptr(DbPool) pool = pool_with_rows (config, 10);
  g_autoptr(DbConnection) writer = test_acquire (pool, DB_ACCESS_WRITE);
  g_autoptr(DbConnection) reader = test_acquire (pool, DB_ACCESS_READ);
  g_autoptr(GError) error = NULL;
  DbStatement *a, *b, *copy;

  /* Freed mid-iteration: a cached statement and a private copy. */
  a = prepare (reader, sqls[0]);
  copy = prepare (reader, sqls[0]);
  step_row (a);
  step_row (copy);
  db_statement_unref (a);
  db_statement_unref (copy);
  g_assert_cmpint (db_connection_execute (writer, "INSERT INTO t (name) VALUES ('one')", NULL, &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (reader), ==, 11);

  /* Released mid-iteration: the reader's connection is the only idle one afterwards
   * (the writer holds the other), so the next read lease gets it. */
  a = prepare (reader, sqls[0]);
  b = prepare (reader, sqls[1]);
  copy = prepare (reader, sqls[1]);
  step_row (a);
  step_row (b);
  step_row (copy);
  db_connection_release (reader);
  g_clear_object (&reader);
  assert_counts (pool, 1, 1);
  g_assert_cmpint (db_connection_execute (writer, "INSERT INTO t (name) VALUES ('two')", NULL, &error), ==, 1);
  g_assert_no_error (error);
  reader = test_acquire (pool, DB_ACCESS_READ);
  g_assert_cmpint (count_rows (reader), ==, 12);
  db_statement_unref (a);
  db_statement_unref (b);
  db_statement_unref (copy);
}

/* The cache must go by the SQL text, not by where the caller keeps it. */
static void
test_cache_same_buffer (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(DbConnection) conn = NULL;
  char buffer[64];

  db_pool_config_set_statement_cache_size (config, 4);
  pool = test_pool_new (config);
  conn = test_acquire (pool, DB_ACCESS_READ);
  for (int round = 0; round < 3; round++)
    for (int i = 0; i < 12; i++)
      {
        g_autoptr(DbStatement) stmt = NULL;

        g_snprintf (buffer, sizeof buffer, "SELECT %d", i % 6);
        stmt = prepare (conn, buffer);
        step_row (stmt);
        g_assert_cmpint (db_statement_get_int64 (stmt, 0), ==, i % 6);
        /* Change the text in place while the statement is alive. */
        g_snprintf (buffer, sizeof buffer, "SELECT %d", i % 6 + 100);
        {
          g_autoptr(DbStatement) other = prepare (conn, buffer);

          step_row (other);
          g_assert_cmpint (db_statement_get_int64 (other, 0), ==, i % 6 + 100);
        }
        step_done (stmt);
      }
}

/* ---- statements and the cache ------------------------------------------------------ */

static void
test_same_sql_independent (void)
{
  const char *sql = "SELECT id FROM t ORDER BY id";
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPool) pool = pool_with_rows (config, 5);
  g_autoptr(DbConnection) conn = test_acquire (pool, DB_ACCESS_READ);
  DbStatement *a, *b;

  a = prepare (conn, sql);
  b = prepare (conn, sql);
  g_assert_true (a != b);
  g_assert_cmpint (count_sqlite_statements (conn, sql), ==, 2);

  step_row (a);
  step_row (a);
  g_assert_cmpint (db_statement_get_int64 (a, 0), ==, 2);
  step_row (b);
  g_assert_cmpint (db_statement_get_int64 (b, 0), ==, 1);
  step_row (a);
  g_assert_cmpint (db_statement_get_int64 (a, 0), ==, 3);
  step_row (b);
  g_assert_cmpint (db_statement_get_int64 (b, 0), ==, 2);

  /* Resetting one does not touch the other. */
  db_statement_reset (b);
  step_row (a);
  g_assert_cmpint (db_statement_get_int64 (a, 0), ==, 4);
  step_row (b);
  g_assert_cmpint (db_statement_get_int64 (b, 0), ==, 1);

  /* Freeing the cached one first: the copy goes on, then is finalized. */
  db_statement_unref (a);
  step_row (b);
  g_assert_cmpint (db_statement_get_int64 (b, 0), ==, 2);
  db_statement_unref (b);
  g_assert_cmpint (count_sqlite_statements (conn, sql), ==, 1);

  /* The cached one is handed out again, reset and unbound. */
  a = prepare (conn, sql);
  g_assert_cmpint (count_sqlite_statements (conn, sql), ==, 1);
  step_row (a);
  g_assert_cmpint (db_statement_get_int64 (a, 0), ==, 1);
  db_statement_unref (a);
}

/* A cached statement handed out again must not carry the previous user's bindings. */
static void
test_bindings_not_inherited (void)
{
  const char *sql = "SELECT ?";
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(DbConnection) conn = test_acquire (pool, DB_ACCESS_READ);
  g_autoptr(GError) error = NULL;
  DbStatement *stmt;

  stmt = prepare (conn, sql);
  g_assert_true (db_statement_bind_text (stmt, 1, "secret", &error));
  step_row (stmt);
  db_statement_unref (stmt);

  stmt = prepare (conn, sql);
  step_row (stmt);
  g_assert_true (db_statement_is_null (stmt, 0));
  db_statement_unref (stmt);
}

/* Runs "SELECT i" for i in [@from, @to): other statements that fill the cache. */
static void
query_others (DbConnection *conn,
              int           from,
              int           to)
{
  for (int i = from; i < to; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *other = g_strdup_printf ("SELECT %d", i);
      g_autoptr(DbRows) rows = db_connection_query (conn, other, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpint (db_rows_get_int64 (rows, 0, 0), ==, i);
    }
}

static void
test_cache_eviction_in_use (void)
{
  const char *sql = "SELECT id FROM t ORDER BY id";
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(DbConnection) conn = NULL;
  g_autoptr(GError) error = NULL;
  DbStatement *a, *b;

  db_pool_config_set_statement_cache_size (config, 2);
  pool = pool_with_rows (config, 6);
  conn = test_acquire (pool, DB_ACCESS_READ);

  a = prepare (conn, sql);
  step_row (a);
  g_assert_cmpint (db_statement_get_int64 (a, 0), ==, 1);

  /* Two other statements push the one in use out of a cache of two. */
  query_others (conn, 0, 4);
  g_assert_cmpint (count_sqlite_statements (conn, "SELECT 0"), ==, 0);
  g_assert_cmpint (count_sqlite_statements (conn, sql), ==, 1);   /* evicted, still alive */

  /* The evicted statement goes on where it was. */
  step_row (a);
  g_assert_cmpint (db_statement_get_int64 (a, 0), ==, 2);

  /* The same SQL again gets a fresh cache entry. */
  b = prepare (conn, sql);
  g_assert_cmpint (count_sqlite_statements (conn, sql), ==, 2);
  step_row (b);
  g_assert_cmpint (db_statement_get_int64 (b, 0), ==, 1);
  step_row (a);
  g_assert_cmpint (db_statement_get_int64 (a, 0), ==, 3);

  /* Freeing the evicted one finalizes it; the new entry stays cached. */
  db_statement_unref (a);
  g_assert_cmpint (count_sqlite_statements (conn, sql), ==, 1);
  step_row (b);
  g_assert_cmpint (db_statement_get_int64 (b, 0), ==, 2);
  db_statement_unref (b);
  g_assert_cmpint (count_sqlite_statements (conn, sql), ==, 1);

  /* Evicted while in use, then the lease released with it alive: detached and freed
   * at release, the statement itself freed later. */
  a = prepare (conn, "SELECT n FROM t ORDER BY id");
  step_row (a);
  query_others (conn, 10, 13);
  db_connection_release (conn);
  g_assert_false (db_statement_step (a, &error));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
  g_clear_error (&error);
  db_statement_unref (a);
  assert_counts (pool, 0, 1);
}

static void
test_cache_disabled (void)
{
  const char *sql = "SELECT id FROM t ORDER BY id";
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(DbConnection) conn = NULL;
  DbStatement *a, *b;

  db_pool_config_set_statement_cache_size (config, 0);
  pool = pool_with_rows (config, 3);
  conn = test_acquire (pool, DB_ACCESS_READ);

  a = prepare (conn, sql);
  b = prepare (conn, sql);
  step_row (a);
  step_row (a);
  step_row (b);
  g_assert_cmpint (db_statement_get_int64 (a, 0), ==, 2);
  g_assert_cmpint (db_statement_get_int64 (b, 0), ==, 1);
  g_assert_cmpint (count_sqlite_statements (conn, sql), ==, 2);
  db_statement_unref (a);
  db_statement_unref (b);
  g_assert_cmpint (count_sqlite_statements (conn, sql), ==, 0);
}

/* db_connection_execute()/query() with the SQL of a live DbStatement use their own
 * copy, never the statement's. */
static void
test_execute_beside_statement (void)
{
  const char *sql = "SELECT id FROM t ORDER BY id";
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPool) pool = pool_with_rows (config, 5);
  g_autoptr(DbConnection) conn = test_acquire (pool, DB_ACCESS_WRITE);
  g_autoptr(DbStatement) stmt = NULL;
  g_autoptr(DbStatement) update = NULL;
  g_autoptr(GError) error = NULL;

  stmt = prepare (conn, sql);
  step_row (stmt);
  step_row (stmt);
  g_assert_cmpint (db_statement_get_int64 (stmt, 0), ==, 2);

  {
    g_autoptr(DbRows) rows = db_connection_query (conn, sql, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (db_rows_get_n_rows (rows), ==, 5);
    g_assert_cmpint (db_rows_get_int64 (rows, 4, 0), ==, 5);
  }
  g_assert_cmpint (db_connection_execute (conn, sql, NULL, &error), ==, 0);
  g_assert_no_error (error);

  for (int id = 3; id <= 5; id++)
    {
      step_row (stmt);
      g_assert_cmpint (db_statement_get_int64 (stmt, 0), ==, id);
    }
  step_done (stmt);

  /* Same for a write statement kept prepared. */
  update = prepare (conn, "UPDATE t SET n = ? WHERE id = 1");
  g_assert_true (db_statement_bind_int64 (update, 1, 111, &error));
  g_assert_cmpint (db_connection_execute (conn, "UPDATE t SET n = ? WHERE id = 1",
                                          g_variant_new ("(x)", (gint64) 222), &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpint (db_statement_execute (update, &error), ==, 1);   /* still bound to 111 */
  g_assert_no_error (error);
  {
    g_autoptr(DbRows) rows = db_connection_query (conn, "SELECT n FROM t WHERE id = 1", NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpint (db_rows_get_int64 (rows, 0, 0), ==, 111);
  }
}

/* ---- the statement and its lease --------------------------------------------------- */

static void
test_release_detaches (void)
{
  const char *sql = "SELECT id, name FROM t ORDER BY id";
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPool) pool = pool_with_rows (config, 5);
  g_autoptr(DbConnection) conn = test_acquire (pool, DB_ACCESS_WRITE);
  g_autoptr(DbConnection) again = NULL;
  g_autoptr(GBytes) bytes = g_bytes_new ("x", 1);
  g_autoptr(GError) error = NULL;
  DbStatement *stmt, *idle, *insert, *extra_ref;

  stmt = prepare (conn, sql);
  idle = prepare (conn, "SELECT ?");
  insert = prepare (conn, "INSERT INTO t (name) VALUES (?)");
  extra_ref = db_statement_ref (stmt);
  g_assert_true (extra_ref == stmt);
  step_row (stmt);
  g_assert_true (db_connection_begin (conn, &error));
  g_assert_true (db_statement_bind_text (insert, 1, "uncommitted", &error));
  g_assert_cmpint (db_statement_execute (insert, &error), ==, 1);
  g_assert_no_error (error);
  assert_counts (pool, 1, 0);

  /* Released with three live statements (one mid-row): the connection goes back now. */
  db_connection_release (conn);
  assert_counts (pool, 0, 1);

  g_assert_false (db_statement_step (stmt, &error));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
  g_clear_error (&error);
  g_assert_cmpint (db_statement_execute (insert, &error), ==, -1);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
  g_clear_error (&error);
  g_assert_false (db_statement_bind_int64 (idle, 1, 1, &error));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
  g_clear_error (&error);
  g_assert_false (db_statement_bind_double (idle, 1, 1.0, &error));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
  g_clear_error (&error);
  g_assert_false (db_statement_bind_text (idle, 1, "x", &error));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
  g_clear_error (&error);
  g_assert_false (db_statement_bind_bytes (idle, 1, bytes, &error));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
  g_clear_error (&error);
  g_assert_false (db_statement_bind_null (idle, 1, &error));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
  g_clear_error (&error);
  g_assert_cmpuint (db_statement_get_n_columns (stmt), ==, 0);
  g_assert_cmpuint (db_statement_get_n_parameters (idle), ==, 0);
  g_assert_cmpuint (db_statement_get_parameter_index (idle, ":x"), ==, 0);
  g_assert_null (db_statement_get_column_name (stmt, 0));
  db_statement_reset (stmt);           /* harmless */
  db_statement_clear_bindings (idle);  /* harmless */

  /* There is no row any more: a getter is a programming error. */
  g_test_expect_message ("dbpool", G_LOG_LEVEL_CRITICAL, "*has_row*");
  g_assert_cmpint (db_statement_get_int64 (stmt, 0), ==, 0);
  g_test_assert_expected_messages ();
  g_test_expect_message ("dbpool", G_LOG_LEVEL_CRITICAL, "*has_row*");
  g_assert_null (db_statement_get_string (stmt, 1));
  g_test_assert_expected_messages ();
  g_test_expect_message ("dbpool", G_LOG_LEVEL_CRITICAL, "*has_row*");
  g_assert_null (db_statement_get_bytes (stmt, 1));
  g_test_assert_expected_messages ();

  /* The connection came back clean (transaction rolled back, nothing running), and a
   * new lease on it prepares the same SQL. */
  again = test_acquire (pool, DB_ACCESS_WRITE);
  g_assert_false (db_connection_in_transaction (again));
  g_assert_cmpint (count_rows (again), ==, 5);
  {
    g_autoptr(DbStatement) fresh = prepare (again, sql);
    g_autoptr(DbStatement) fresh_insert = prepare (again, "INSERT INTO t (name) VALUES (?)");

    step_row (fresh);
    g_assert_cmpint (db_statement_get_int64 (fresh, 0), ==, 1);
    g_assert_cmpstr (db_statement_get_string (fresh, 1), ==, "row1");
    step_row (fresh);
    g_assert_cmpint (db_statement_get_int64 (fresh, 0), ==, 2);
    /* The detached INSERT's binding did not travel with the connection. */
    step_done (fresh_insert);
    g_assert_cmpint (count_rows (again), ==, 6);
    {
      g_autoptr(DbRows) rows = db_connection_query (again, "SELECT count(*) FROM t WHERE name IS NULL",
                                                    NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpint (db_rows_get_int64 (rows, 0, 0), ==, 1);
    }
  }
  /* Each SQL text is prepared once on the connection: nothing leaked at release. */
  g_assert_cmpint (count_sqlite_statements (again, sql), ==, 1);
  g_assert_cmpint (count_sqlite_statements (again, "SELECT ?"), ==, 1);

  /* Unreffing detached statements is safe, also while another lease holds the
   * connection. */
  db_statement_unref (extra_ref);
  db_statement_unref (stmt);
  db_statement_unref (idle);
  db_statement_unref (insert);
  g_assert_cmpint (count_sqlite_statements (again, sql), ==, 1);
  g_assert_cmpint (count_rows (again), ==, 6);
}

static void
test_statement_keeps_lease (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPool) pool = pool_with_rows (config, 3);
  g_autoptr(GError) error = NULL;
  DbConnection *conn;
  DbStatement *stmt, *copy;

  conn = test_acquire (pool, DB_ACCESS_READ);
  stmt = prepare (conn, "SELECT id FROM t ORDER BY id");
  g_object_unref (conn);   /* only the statement holds the lease now */
  assert_counts (pool, 1, 0);

  step_row (stmt);
  g_assert_cmpint (db_statement_get_int64 (stmt, 0), ==, 1);

  /* A boxed copy is a reference. */
  copy = g_boxed_copy (DB_TYPE_STATEMENT, stmt);
  g_assert_true (copy == stmt);
  db_statement_unref (stmt);
  assert_counts (pool, 1, 0);
  step_row (copy);
  g_assert_cmpint (db_statement_get_int64 (copy, 0), ==, 2);

  g_boxed_free (DB_TYPE_STATEMENT, copy);
  assert_counts (pool, 0, 1);

  /* The connection is back and usable. */
  conn = test_acquire (pool, DB_ACCESS_READ);
  g_assert_cmpint (count_rows (conn), ==, 3);
  g_object_unref (conn);
}

/* A detached statement no longer holds its lease: dropping a reacquired lease returns
 * it although a statement from before is still alive. */
static void
test_detached_does_not_pin_lease (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPool) pool = pool_with_rows (config, 2);
  g_autoptr(GError) error = NULL;
  DbConnection *conn;
  DbStatement *stale, *stmt;

  conn = test_acquire (pool, DB_ACCESS_READ);
  stale = prepare (conn, "SELECT id FROM t ORDER BY id");
  step_row (stale);
  db_connection_release (conn);
  g_assert_true (db_connection_reacquire (conn, NULL, &error));
  g_assert_no_error (error);
  assert_counts (pool, 1, 0);
  g_object_unref (conn);
  assert_counts (pool, 0, 1);
  g_assert_false (db_statement_step (stale, &error));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
  g_clear_error (&error);
  db_statement_unref (stale);

  /* Released through a pointer only the statement keeps alive: the lease lives
   * until the connection is back, then goes with the statement's reference. */
  conn = test_acquire (pool, DB_ACCESS_READ);
  stmt = prepare (conn, "SELECT id FROM t ORDER BY id");
  step_row (stmt);
  g_object_unref (conn);
  assert_counts (pool, 1, 0);
  db_connection_release (conn);
  assert_counts (pool, 0, 1);
  g_assert_false (db_statement_step (stmt, &error));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
  g_clear_error (&error);
  g_assert_cmpuint (db_statement_get_n_columns (stmt), ==, 0);
  db_statement_unref (stmt);

  conn = test_acquire (pool, DB_ACCESS_READ);
  g_assert_cmpint (count_rows (conn), ==, 2);
  g_object_unref (conn);
}

/* ---- errors --------------------------------------------------------------------- */

static void
test_read_lease_read_only (void)
{
  const char *insert = "INSERT INTO t (name) VALUES (?)";
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPool) pool = pool_with_rows (config, 1);
  g_autoptr(DbConnection) reader = test_acquire (pool, DB_ACCESS_READ);
  g_autoptr(DbConnection) writer = NULL;
  g_autoptr(DbStatement) stmt = NULL;
  g_autoptr(GError) error = NULL;

  stmt = db_connection_prepare (reader, insert, &error);
  g_assert_null (stmt);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_READ_ONLY);
  g_assert_nonnull (strstr (error->message, insert));
  g_clear_error (&error);

  stmt = db_connection_prepare (reader, "DELETE FROM t", &error);
  g_assert_null (stmt);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_READ_ONLY);
  g_clear_error (&error);

  /* Reads are fine, and the refused statement went back to the cache unharmed. */
  stmt = prepare (reader, "SELECT count(*) FROM t");
  step_row (stmt);
  g_assert_cmpint (db_statement_get_int64 (stmt, 0), ==, 1);
  g_clear_pointer (&stmt, db_statement_unref);
  g_clear_object (&reader);

  writer = test_acquire (pool, DB_ACCESS_WRITE);   /* the same, single connection */
  stmt = prepare (writer, insert);
  g_assert_true (db_statement_bind_text (stmt, 1, "written", &error));
  g_assert_cmpint (db_statement_execute (stmt, &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (writer), ==, 2);
}

static void
test_prepare_errors (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPool) pool = pool_with_rows (config, 1);
  g_autoptr(DbConnection) conn = test_acquire (pool, DB_ACCESS_WRITE);
  g_autoptr(DbStatement) stmt = NULL;
  g_autoptr(GError) error = NULL;

  stmt = db_connection_prepare (conn, "SELEKT * FROM t", &error);
  g_assert_null (stmt);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_SQL);
  g_assert_nonnull (strstr (error->message, "syntax error"));
  g_assert_nonnull (strstr (error->message, "SELEKT * FROM t"));
  g_clear_error (&error);

  stmt = db_connection_prepare (conn, "SELECT * FROM no_such_table", &error);
  g_assert_null (stmt);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_SQL);
  g_assert_nonnull (strstr (error->message, "no such table"));
  g_clear_error (&error);

  stmt = db_connection_prepare (conn, "SELECT 1; SELECT 2", &error);
  g_assert_null (stmt);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
  g_clear_error (&error);

  stmt = db_connection_prepare (conn, "   ", &error);
  g_assert_null (stmt);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
  g_clear_error (&error);

  /* The lease is fine afterwards. */
  stmt = prepare (conn, "SELECT count(*) FROM t");
  step_row (stmt);
  g_assert_cmpint (db_statement_get_int64 (stmt, 0), ==, 1);
}

static void
test_constraint_errors (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPool) pool = pool_with_rows (config, 2);
  g_autoptr(DbConnection) conn = test_acquire (pool, DB_ACCESS_WRITE);
  g_autoptr(DbStatement) stmt = NULL;
  g_autoptr(GError) error = NULL;

  stmt = prepare (conn, "INSERT INTO t (name) VALUES (?)");

  /* At step */
  g_assert_true (db_statement_bind_text (stmt, 1, "row1", &error));
  g_assert_false (db_statement_step (stmt, &error));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_CONSTRAINT);
  g_assert_nonnull (strstr (error->message, "UNIQUE constraint failed: t.name"));
  g_assert_nonnull (strstr (error->message, "INSERT INTO t"));
  g_clear_error (&error);

  /* Usable again: the same binding fails the same way, another one succeeds. */
  g_assert_false (db_statement_step (stmt, &error));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_CONSTRAINT);
  g_clear_error (&error);
  g_assert_true (db_statement_bind_text (stmt, 1, "fresh", &error));
  step_done (stmt);
  g_assert_cmpint (count_rows (conn), ==, 3);

  /* At execute */
  g_assert_cmpint (db_statement_execute (stmt, &error), ==, -1);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_CONSTRAINT);
  g_assert_nonnull (strstr (error->message, "UNIQUE constraint failed: t.name"));
  g_clear_error (&error);
  g_assert_true (db_statement_bind_text (stmt, 1, "fresher", &error));
  g_assert_cmpint (db_statement_execute (stmt, &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (conn), ==, 4);

  /* A failed statement inside a transaction leaves the transaction usable. */
  g_assert_true (db_connection_begin (conn, &error));
  g_assert_cmpint (db_statement_execute (stmt, &error), ==, -1);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_CONSTRAINT);
  g_clear_error (&error);
  g_assert_true (db_connection_in_transaction (conn));
  g_assert_true (db_statement_bind_text (stmt, 1, "in transaction", &error));
  g_assert_cmpint (db_statement_execute (stmt, &error), ==, 1);
  g_assert_true (db_connection_commit (conn, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (conn), ==, 5);
}

/* ---- reacquire ------------------------------------------------------------------ */

static void
test_reacquire_basic (void)
{
  const char *sql = "SELECT id FROM t ORDER BY id";
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 2);
  g_autoptr(DbPool) pool = pool_with_rows (config, 3);
  g_autoptr(DbConnection) conn = test_acquire (pool, DB_ACCESS_READ);
  g_autoptr(DbStatement) old = NULL;
  g_autoptr(GError) error = NULL;

  /* Held: MISUSE, and the lease stays held and usable. */
  g_assert_false (db_connection_reacquire (conn, NULL, &error));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
  g_clear_error (&error);
  g_assert_false (db_connection_is_released (conn));
  g_assert_cmpint (count_rows (conn), ==, 3);
  assert_counts (pool, 1, 0);

  old = prepare (conn, sql);
  step_row (old);

  for (int round = 0; round < 3; round++)
    {
      g_autoptr(DbStatement) stmt = NULL;

      db_connection_release (conn);
      g_assert_true (db_connection_is_released (conn));
      assert_counts (pool, 0, 1);

      g_assert_true (db_connection_reacquire (conn, NULL, &error));
      g_assert_no_error (error);
      g_assert_false (db_connection_is_released (conn));
      g_assert_cmpint (db_connection_get_access (conn), ==, DB_ACCESS_READ);
      g_assert_cmpint (db_connection_get_last_used_us (conn), >, 0);
      assert_counts (pool, 1, 0);

      stmt = prepare (conn, sql);
      step_row (stmt);
      g_assert_cmpint (db_statement_get_int64 (stmt, 0), ==, 1);

      /* Still a read lease after reacquiring. */
      g_assert_null (db_connection_prepare (conn, "DELETE FROM t", &error));
      g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_READ_ONLY);
      g_clear_error (&error);

      /* The statement from the first lease stays detached. */
      g_assert_false (db_statement_step (old, &error));
      g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
      g_clear_error (&error);
      g_assert_false (db_statement_bind_int64 (old, 1, 1, &error));
      g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
      g_clear_error (&error);
      g_assert_cmpuint (db_statement_get_n_columns (old), ==, 0);
    }

  /* A statement on the reacquired lease is detached by the next release in turn. */
  {
    g_autoptr(DbStatement) stmt = prepare (conn, sql);

    db_connection_release (conn);
    g_assert_false (db_statement_step (stmt, &error));
    g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
    g_clear_error (&error);
    g_assert_true (db_connection_reacquire (conn, NULL, &error));
    g_assert_no_error (error);
    g_assert_false (db_statement_step (stmt, &error));
    g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
    g_clear_error (&error);
  }

  /* Dropping a reacquired lease returns it. */
  g_clear_object (&conn);
  assert_counts (pool, 0, 1);
}

/* A write lease reacquired after a read on the same connection (and back) gets the
 * right query_only state. */
static void
test_reacquire_write (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPool) pool = pool_with_rows (config, 1);
  g_autoptr(DbConnection) writer = test_acquire (pool, DB_ACCESS_WRITE);
  g_autoptr(DbConnection) reader = NULL;
  g_autoptr(GError) error = NULL;

  db_connection_release (writer);
  reader = test_acquire (pool, DB_ACCESS_READ);
  g_assert_cmpint (count_rows (reader), ==, 1);
  db_connection_release (reader);

  g_assert_true (db_connection_reacquire (writer, NULL, &error));
  g_assert_no_error (error);
  {
    g_autoptr(DbStatement) insert = prepare (writer, "INSERT INTO t (name) VALUES (?)");

    g_assert_true (db_statement_bind_text (insert, 1, "after reacquire", &error));
    g_assert_cmpint (db_statement_execute (insert, &error), ==, 1);
    g_assert_no_error (error);
  }
  db_connection_release (writer);

  g_assert_true (db_connection_reacquire (reader, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (db_connection_execute (reader, "INSERT INTO t (name) VALUES ('no')", NULL, &error), ==, -1);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_READ_ONLY);
  g_clear_error (&error);
  g_assert_cmpint (count_rows (reader), ==, 2);
}

static void
test_reacquire_timeout (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(DbConnection) a = NULL;
  g_autoptr(DbConnection) b = NULL;
  g_autoptr(GError) error = NULL;
  guint64 timeouts_before;

  db_pool_config_set_connection_timeout_ms (config, 50);
  pool = pool_with_rows (config, 1);
  a = test_acquire (pool, DB_ACCESS_READ);
  db_connection_release (a);
  b = test_acquire (pool, DB_ACCESS_READ);
  {
    g_autoptr(DbPoolStats) s = stats (pool);

    timeouts_before = s->timeouts;
  }

  /* b holds the only connection: a waits, then times out and stays released. */
  g_assert_false (db_connection_reacquire (a, NULL, &error));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_TIMEOUT);
  g_clear_error (&error);
  g_assert_true (db_connection_is_released (a));
  g_assert_cmpint (db_connection_execute (a, "SELECT 1", NULL, &error), ==, -1);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
  g_clear_error (&error);
  {
    g_autoptr(DbPoolStats) s = stats (pool);

    g_assert_cmpuint (s->timeouts, ==, timeouts_before + 1);
    g_assert_cmpuint (s->waiting_requests, ==, 0);
    g_assert_cmpuint (s->current_active_connections, ==, 1);
  }

  /* Once b is back, a gets it. */
  db_connection_release (b);
  g_assert_true (db_connection_reacquire (a, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (a), ==, 1);
}

typedef struct
{
  DbConnection *lease;
  GCancellable *cancellable;
  GError       *error;
  gboolean      result;
} ReacquireArgs;

static gpointer
reacquire_thread (gpointer data)
{
  ReacquireArgs *args = data;

  args->result = db_connection_reacquire (args->lease, args->cancellable, &args->error);
  return NULL;
}

static void
test_reacquire_cancel (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(DbConnection) a = test_acquire (pool, DB_ACCESS_READ);
  g_autoptr(DbConnection) b = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  ReacquireArgs args = { a, cancellable, NULL, TRUE };
  GThread *thread;

  db_connection_release (a);
  b = test_acquire (pool, DB_ACCESS_READ);

  /* Cancelled while waiting. */
  thread = g_thread_new ("reacquire", reacquire_thread, &args);
  wait_for_waiting (pool, 1);
  g_cancellable_cancel (cancellable);
  g_thread_join (thread);
  g_assert_false (args.result);
  g_assert_error (args.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&args.error);
  g_assert_true (db_connection_is_released (a));
  wait_for_waiting (pool, 0);

  /* Already cancelled: fails at once, even with a connection free. */
  db_connection_release (b);
  g_assert_false (db_connection_reacquire (a, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_true (db_connection_is_released (a));
  assert_counts (pool, 0, 1);

  g_cancellable_reset (cancellable);
  g_assert_true (db_connection_reacquire (a, cancellable, &error));
  g_assert_no_error (error);
  assert_counts (pool, 1, 0);
}

static void
test_reacquire_closed (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 2);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(DbConnection) conn = test_acquire (pool, DB_ACCESS_WRITE);
  g_autoptr(DbStatement) stmt = prepare (conn, "SELECT 1");
  g_autoptr(GError) error = NULL;

  db_connection_release (conn);
  db_pool_close (pool);

  g_assert_false (db_connection_reacquire (conn, NULL, &error));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_CLOSED);
  g_clear_error (&error);
  g_assert_true (db_connection_is_released (conn));
  g_assert_false (db_statement_step (stmt, &error));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
  g_clear_error (&error);
}

typedef struct
{
  DbPool *pool;
  int     got_write;   /* atomic */
} WriterArgs;

static gpointer
writer_thread (gpointer data)
{
  WriterArgs *args = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) conn = db_pool_acquire (args->pool, DB_ACCESS_WRITE, NULL, &error);

  g_assert_no_error (error);
  g_atomic_int_set (&args->got_write, 1);
  g_assert_cmpint (db_connection_execute (conn, "INSERT INTO t (name) VALUES ('from thread')", NULL, &error), ==, 1);
  g_assert_no_error (error);
  return NULL;
}

/* A reacquired write lease is the one writer: it waits for another write lease... */
static void
test_reacquire_writer_waits (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 3);
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(DbConnection) writer = NULL;
  g_autoptr(DbConnection) other = NULL;
  g_autoptr(GError) error = NULL;

  db_pool_config_set_connection_timeout_ms (config, 50);
  pool = pool_with_rows (config, 1);
  writer = test_acquire (pool, DB_ACCESS_WRITE);
  db_connection_release (writer);

  /* Here until it times out, although connections are free (the write lease is
   * another thread's: this one's own would be MISUSE, not a wait). */
  other = test_acquire_on_other_thread (pool, DB_ACCESS_WRITE, &error);
  g_assert_no_error (error);
  g_assert_false (db_connection_reacquire (writer, NULL, &error));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_TIMEOUT);
  g_clear_error (&error);
  g_assert_true (db_connection_is_released (writer));

  /* ...and, once reacquired, other writers wait for it. */
  g_clear_object (&other);
  g_assert_true (db_connection_reacquire (writer, NULL, &error));
  g_assert_no_error (error);
  other = test_acquire_on_other_thread (pool, DB_ACCESS_WRITE, &error);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_TIMEOUT);
  g_assert_null (other);
  g_clear_error (&error);

  /* On the thread holding it, a second write lease would wait for itself. */
  other = db_pool_acquire (pool, DB_ACCESS_WRITE, NULL, &error);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
  g_assert_null (other);
  g_clear_error (&error);
}

/* ...and a writer on another thread queues behind it while reads go on. */
static void
test_reacquire_single_writer (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 3);
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(DbConnection) writer = NULL;
  g_autoptr(DbConnection) reader = NULL;
  g_autoptr(GError) error = NULL;
  WriterArgs args = { NULL, 0 };
  GThread *thread;

  db_pool_config_set_connection_timeout_ms (config, 0);   /* wait as long as it takes */
  pool = pool_with_rows (config, 1);
  args.pool = pool;

  writer = test_acquire (pool, DB_ACCESS_WRITE);
  db_connection_release (writer);
  g_assert_true (db_connection_reacquire (writer, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (db_connection_begin (writer, &error));
  g_assert_cmpint (db_connection_execute (writer, "INSERT INTO t (name) VALUES ('reacquired')", NULL, &error), ==, 1);
  g_assert_no_error (error);

  thread = g_thread_new ("writer", writer_thread, &args);
  wait_for_waiting (pool, 1);
  g_assert_cmpint (g_atomic_int_get (&args.got_write), ==, 0);

  reader = test_acquire (pool, DB_ACCESS_READ);
  g_assert_cmpint (count_rows (reader), ==, 1);   /* the write is not committed yet */
  g_clear_object (&reader);
  g_assert_cmpint (g_atomic_int_get (&args.got_write), ==, 0);

  g_assert_cmpint (db_connection_execute (writer, "INSERT INTO t (name) VALUES ('still the writer')", NULL, &error), ==, 1);
  g_assert_true (db_connection_commit (writer, &error));
  g_assert_no_error (error);
  db_connection_release (writer);   /* the waiting writer gets its turn */
  g_thread_join (thread);
  g_assert_cmpint (g_atomic_int_get (&args.got_write), ==, 1);

  reader = test_acquire (pool, DB_ACCESS_READ);
  g_assert_cmpint (count_rows (reader), ==, 4);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/statement/round-trip", test_round_trip);
  g_test_add_func ("/statement/round-trip-table", test_round_trip_table);
  g_test_add_func ("/statement/parameters", test_parameters);
  g_test_add_func ("/statement/bind-errors-shared", test_bind_errors_shared);
  g_test_add_func ("/statement/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/statement/step-many-rows", test_step_many_rows);
  g_test_add_func ("/statement/step-after-done", test_step_after_done_keeps_bindings);
  g_test_add_func ("/statement/rebind-restarts", test_rebind_restarts);
  g_test_add_func ("/statement/clear-bindings", test_clear_bindings);
  g_test_add_func ("/statement/execute", test_execute);
  g_test_add_func ("/statement/reset-ends-read", test_reset_ends_read);
  g_test_add_func ("/statement/free-or-release-ends-read", test_free_or_release_ends_read);
  g_test_add_func ("/statement/cache-same-buffer", test_cache_same_buffer);
  g_test_add_func ("/statement/same-sql-independent", test_same_sql_independent);
  g_test_add_func ("/statement/bindings-not-inherited", test_bindings_not_inherited);
  g_test_add_func ("/statement/cache-eviction-in-use", test_cache_eviction_in_use);
  g_test_add_func ("/statement/cache-disabled", test_cache_disabled);
  g_test_add_func ("/statement/execute-beside-statement", test_execute_beside_statement);
  g_test_add_func ("/statement/release-detaches", test_release_detaches);
  g_test_add_func ("/statement/keeps-lease", test_statement_keeps_lease);
  g_test_add_func ("/statement/read-lease-read-only", test_read_lease_read_only);
  g_test_add_func ("/statement/prepare-errors", test_prepare_errors);
  g_test_add_func ("/statement/constraint-errors", test_constraint_errors);
  g_test_add_func ("/reacquire/basic", test_reacquire_basic);
  g_test_add_func ("/reacquire/write", test_reacquire_write);
  g_test_add_func ("/reacquire/timeout", test_reacquire_timeout);
  g_test_add_func ("/reacquire/cancel", test_reacquire_cancel);
  g_test_add_func ("/reacquire/closed", test_reacquire_closed);
  g_test_add_func ("/reacquire/detached-does-not-pin-lease", test_detached_does_not_pin_lease);
  g_test_add_func ("/reacquire/writer-waits", test_reacquire_writer_waits);
  g_test_add_func ("/reacquire/single-writer", test_reacquire_single_writer);

  return g_test_run ();
}
