/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pool on PostgreSQL, against the throwaway server pg-server.sh starts
 * (DBPOOL_TEST_PG_URI). Each test works in a schema of its own. */
#include <string.h>

#include "test-common.h"

static const char *
pg_uri (void)
{
  return g_getenv ("DBPOOL_TEST_PG_URI");
}

/* A pool whose connections all work in a fresh schema named after the test, so
 * tests do not see each other's tables. */
static DbPool *
pg_pool_new (guint max_connections)
{
  g_autofree char *schema = g_strdelimit (g_strdup (g_test_get_path () + 1), "/-", '_');
  g_autofree char *create = g_strdup_printf ("DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s",
                                             schema, schema);
  g_autofree char *uri = g_strdup_printf ("%s&options=-csearch_path%%3D%s", pg_uri (), schema);
  g_autoptr(DbPoolConfig) bootstrap = test_config (pg_uri (), 1, 1);
  g_autoptr(DbPool) boot = test_pool_new (bootstrap);
  g_autoptr(DbConnection) conn = test_acquire (boot, DB_ACCESS_WRITE);
  g_autoptr(GError) error = NULL;
  g_autoptr(DbPoolConfig) config = NULL;

  g_assert_true (db_connection_execute_script (conn, create, &error));
  g_assert_no_error (error);
  db_connection_release (conn);
  db_pool_close (boot);

  config = test_config (uri, 1, max_connections);
  return test_pool_new (config);
}

static void
assert_error_mentions (const GError *error,
                       const char   *a,
                       const char   *b)
{
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, a));
  if (b != NULL)
    g_assert_nonnull (strstr (error->message, b));
}

static void
test_open_and_backend (void)
{
  g_autoptr(DbPool) pool = pg_pool_new (2);
  g_autoptr(DbConnection) conn = test_acquire (pool, DB_ACCESS_READ);
  g_autofree char *backend = NULL;
  g_autoptr(DbRows) rows = NULL;
  g_autoptr(GError) error = NULL;

  g_object_get (pool, "backend", &backend, NULL);
  g_assert_cmpstr (backend, ==, "postgresql");
  g_assert_null (db_connection_get_handle (conn));

  rows = db_connection_query (conn, "SELECT current_setting('server_version_num')::int >= 150000 AS ok",
                              NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (db_rows_get_int64 (rows, 0, 0), ==, 1);
  g_assert_cmpstr (db_rows_get_column_name (rows, 0), ==, "ok");
}

static void
test_unreachable_server (void)
{
  g_autoptr(DbPoolConfig) config =
    test_config ("postgresql://tester@/postgres?host=/nonexistent-dir&port=1", 1, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(DbPool) pool = db_pool_new (config, NULL, &error);

  g_assert_null (pool);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_OPEN);
  assert_error_mentions (error, "Cannot connect to PostgreSQL", "/nonexistent-dir");
}

static void
test_no_exclusive (void)
{
  g_autoptr(DbPoolConfig) config = test_config (pg_uri (), 1, 1);
  g_autoptr(GError) error = NULL;

  db_pool_config_set_exclusive (config, TRUE);
  g_assert_false (db_pool_config_validate (config, &error));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG);
  assert_error_mentions (error, "“exclusive”", "PostgreSQL");
}

static void
test_params (void)
{
  g_autoptr(DbPool) pool = pg_pool_new (2);
  g_autoptr(DbConnection) conn = test_acquire (pool, DB_ACCESS_WRITE);
  g_autoptr(GError) error = NULL;
  g_autoptr(DbRows) rows = NULL;

  g_assert_true (db_connection_execute_script (conn,
      "CREATE TABLE t (id bigint PRIMARY KEY, name text, note text);"
      "INSERT INTO t VALUES (0, 'zero ?', ':not_a_param');", &error));
  g_assert_no_error (error);

  g_assert_cmpint (db_connection_execute (conn, "INSERT INTO t VALUES (?, ?, '?')",
                                          g_variant_new_parsed ("(1, 'one')"), &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpint (db_connection_execute (conn, "INSERT INTO t (id, name) VALUES (:id, :name)",
                                          g_variant_new_parsed ("{'id': <2>, 'name': <'two'>}"), &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpint (db_connection_execute (conn, "UPDATE t SET note = :n WHERE id >= :lo",
                                          g_variant_new_parsed ("{'n': <'x'>, 'lo': <1>}"), &error), ==, 2);
  g_assert_no_error (error);

  rows = db_connection_query (conn, "SELECT id, name, note FROM t WHERE id <= ? ORDER BY id",
                              g_variant_new_parsed ("(2,)"), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (db_rows_get_n_rows (rows), ==, 3);
  g_assert_cmpstr (db_rows_get_string (rows, 0, 1), ==, "zero ?");
  g_assert_cmpstr (db_rows_get_string (rows, 0, 2), ==, ":not_a_param");
  g_assert_cmpstr (db_rows_get_string (rows, 1, 1), ==, "one");
  g_assert_cmpstr (db_rows_get_string (rows, 2, 1), ==, "two");
  g_assert_cmpstr (db_rows_get_string (rows, 2, 2), ==, "x");

  /* The same SQL again comes from the connection's statement cache. */
  for (int i = 0; i < 3; i++)
    {
      g_autoptr(DbRows) again = db_connection_query (conn, "SELECT id, name, note FROM t WHERE id <= ? ORDER BY id",
                                                     g_variant_new_parsed ("(0,)"), &error);
      g_assert_no_error (error);
      g_assert_cmpuint (db_rows_get_n_rows (again), ==, 1);
    }

  /* RETURNING is how an insert gives its id on PostgreSQL. */
  {
    g_autoptr(DbRows) ret = db_connection_query (conn, "INSERT INTO t (id) VALUES (?) RETURNING id * 10",
                                                 g_variant_new_parsed ("(7,)"), &error);
    g_assert_no_error (error);
    g_assert_cmpint (db_rows_get_int64 (ret, 0, 0), ==, 70);
    g_assert_cmpint (db_connection_get_last_insert_rowid (conn), ==, 0);
  }
}

static void
test_types (void)
{
  g_autoptr(DbPool) pool = pg_pool_new (2);
  g_autoptr(DbConnection) conn = test_acquire (pool, DB_ACCESS_WRITE);
  g_autoptr(GError) error = NULL;
  g_autoptr(DbRows) rows = NULL;
  g_autoptr(DbStatement) insert = NULL;
  g_autoptr(DbStatement) select = NULL;
  static const guint8 blob[] = { 0, 1, 0xff, '\\', 'x', 0 };
  g_autoptr(GBytes) bytes = g_bytes_new_static (blob, sizeof blob);
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  GType expected[] = { G_TYPE_INT64, G_TYPE_INT64, G_TYPE_INT64, G_TYPE_INT64,
                       G_TYPE_DOUBLE, G_TYPE_DOUBLE, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_BYTES };

  rows = db_connection_query (conn,
      "SELECT 9000000000::int8, 7::int4, -3::int2, true, 1.5::float8, 2.5::float4,"
      " 'héllo'::text, 'v'::varchar(4), '\\x00ff'::bytea, NULL::int", NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_auto(GValue) value = G_VALUE_INIT;

      g_assert_true (db_rows_get_value (rows, 0, i, &value));
      g_assert_true (G_VALUE_HOLDS (&value, expected[i]));
    }
  g_assert_cmpint (db_rows_get_int64 (rows, 0, 0), ==, G_GINT64_CONSTANT (9000000000));
  g_assert_cmpint (db_rows_get_int64 (rows, 0, 1), ==, 7);
  g_assert_cmpint (db_rows_get_int64 (rows, 0, 2), ==, -3);
  g_assert_cmpint (db_rows_get_int64 (rows, 0, 3), ==, 1);
  g_assert_cmpfloat (db_rows_get_double (rows, 0, 4), ==, 1.5);
  g_assert_cmpfloat (db_rows_get_double (rows, 0, 5), ==, 2.5);
  g_assert_cmpstr (db_rows_get_string (rows, 0, 6), ==, "héllo");
  g_assert_cmpstr (db_rows_get_string (rows, 0, 7), ==, "v");
  {
    g_autoptr(GBytes) b = db_rows_get_bytes (rows, 0, 8);
    g_assert_cmpmem (g_bytes_get_data (b, NULL), g_bytes_get_size (b), "\x00\xff", 2);
  }
  g_assert_true (db_rows_is_null (rows, 0, 9));

  /* DbStatement's typed binds round-trip, bytes as bytea (NUL bytes and an empty
   * blob included, which is not NULL). */
  g_assert_true (db_connection_execute_script (conn,
      "CREATE TABLE v (i bigint, d double precision, s text, b bytea, n text)", &error));
  g_assert_no_error (error);
  insert = db_connection_prepare (conn, "INSERT INTO v VALUES (?, ?, :s, :b, :n)", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (db_statement_get_n_parameters (insert), ==, 5);
  g_assert_cmpuint (db_statement_get_parameter_index (insert, ":b"), ==, 4);
  g_assert_true (db_statement_bind_int64 (insert, 1, G_MININT64, &error));
  g_assert_true (db_statement_bind_double (insert, 2, -0.125, &error));
  g_assert_true (db_statement_bind_text (insert, 3, "it's ? :x", &error));
  g_assert_true (db_statement_bind_bytes (insert, 4, bytes, &error));
  g_assert_true (db_statement_bind_null (insert, 5, &error));
  g_assert_no_error (error);
  g_assert_cmpint (db_statement_execute (insert, &error), ==, 1);
  g_assert_no_error (error);
  db_statement_reset (insert);
  g_assert_true (db_statement_bind_bytes (insert, 4, empty, &error));
  g_assert_cmpint (db_statement_execute (insert, &error), ==, 1);
  g_assert_no_error (error);

  select = db_connection_prepare (conn, "SELECT i, d, s, b, n, b IS NULL FROM v", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (db_statement_get_n_columns (select), ==, 6);
  g_assert_true (db_statement_step (select, &error));
  g_assert_cmpint (db_statement_get_int64 (select, 0), ==, G_MININT64);
  g_assert_cmpfloat (db_statement_get_double (select, 1), ==, -0.125);
  g_assert_cmpstr (db_statement_get_string (select, 2), ==, "it's ? :x");
  {
    g_autoptr(GBytes) b = db_statement_get_bytes (select, 3);
    g_assert_true (g_bytes_equal (b, bytes));
  }
  g_assert_true (db_statement_is_null (select, 4));
  g_assert_true (db_statement_step (select, &error));
  g_assert_false (db_statement_is_null (select, 3));
  g_assert_cmpint (db_statement_get_int64 (select, 5), ==, 0);
  g_assert_false (db_statement_step (select, &error));
  g_assert_no_error (error);
}

static void
test_errors (void)
{
  g_autoptr(DbPool) pool = pg_pool_new (2);
  g_autoptr(DbConnection) conn = test_acquire (pool, DB_ACCESS_WRITE);
  g_autoptr(GError) error = NULL;

  g_assert_true (db_connection_execute_script (conn,
      "CREATE TABLE u (id int PRIMARY KEY, n int NOT NULL CHECK (n > 0))", &error));
  g_assert_no_error (error);
  g_assert_cmpint (db_connection_execute (conn, "INSERT INTO u VALUES (1, 1)", NULL, &error), ==, 1);

  g_assert_cmpint (db_connection_execute (conn, "INSERT INTO u VALUES (1, 1)", NULL, &error), ==, -1);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_CONSTRAINT);
  assert_error_mentions (error, "duplicate key", "23505");
  assert_error_mentions (error, "INSERT INTO u VALUES (1, 1)", NULL);
  g_clear_error (&error);

  g_assert_cmpint (db_connection_execute (conn, "INSERT INTO u VALUES (2, 0)", NULL, &error), ==, -1);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_CONSTRAINT);
  assert_error_mentions (error, "check constraint", "23514");
  g_clear_error (&error);

  g_assert_cmpint (db_connection_execute (conn, "SELEC 1", NULL, &error), ==, -1);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_SQL);
  assert_error_mentions (error, "syntax error", "42601");
  g_clear_error (&error);

  g_assert_cmpint (db_connection_execute (conn, "SELECT * FROM missing_table", NULL, &error), ==, -1);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_SQL);
  assert_error_mentions (error, "missing_table", "42P01");
  g_clear_error (&error);

  /* A deadlock's SQLSTATE is BUSY: raised here directly, as making a real one needs
   * two writers, which one pool never has. */
  g_assert_cmpint (db_connection_execute (conn,
      "DO $$ BEGIN RAISE EXCEPTION 'made up' USING ERRCODE = '40P01'; END $$", NULL, &error), ==, -1);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_BUSY);
  assert_error_mentions (error, "made up", "40P01");
  g_clear_error (&error);
  g_assert_cmpint (db_connection_execute (conn,
      "DO $$ BEGIN RAISE EXCEPTION 'serial' USING ERRCODE = '40001'; END $$", NULL, &error), ==, -1);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_BUSY);
  g_clear_error (&error);

  /* Two statements in one execute are MISUSE, as on SQLite. */
  g_assert_cmpint (db_connection_execute (conn, "SELECT 1; SELECT 2", NULL, &error), ==, -1);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
  g_clear_error (&error);

  /* An error inside a transaction does not leave the lease unusable after rollback. */
  g_assert_true (db_connection_begin (conn, &error));
  g_assert_cmpint (db_connection_execute (conn, "INSERT INTO u VALUES (1, 1)", NULL, &error), ==, -1);
  g_clear_error (&error);
  g_assert_true (db_connection_rollback (conn, &error));
  g_assert_no_error (error);
  g_assert_cmpint (db_connection_execute (conn, "INSERT INTO u VALUES (3, 3)", NULL, &error), ==, 1);
  g_assert_no_error (error);
}

static void
test_read_only (void)
{
  g_autoptr(DbPool) pool = pg_pool_new (2);
  g_autoptr(GError) error = NULL;
  DbConnection *conn = test_acquire (pool, DB_ACCESS_WRITE);

  g_assert_true (db_connection_execute_script (conn, "CREATE TABLE r (id int)", &error));
  g_assert_no_error (error);
  db_connection_release (conn);
  g_object_unref (conn);

  conn = test_acquire (pool, DB_ACCESS_READ);
  /* Caught by the pool before it runs... */
  g_assert_cmpint (db_connection_execute (conn, "INSERT INTO r VALUES (1)", NULL, &error), ==, -1);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_READ_ONLY);
  g_clear_error (&error);
  /* ...and by the server for what only it can see (a data-modifying CTE), since the
   * read lease's session is READ ONLY. */
  {
    g_autoptr(DbRows) rows = db_connection_query (conn,
        "WITH x AS (INSERT INTO r VALUES (1) RETURNING id) SELECT * FROM x", NULL, &error);
    g_assert_null (rows);
    g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_READ_ONLY);
    assert_error_mentions (error, "read-only transaction", "25006");
    g_clear_error (&error);
  }
  db_connection_release (conn);
  g_object_unref (conn);

  /* A write lease on the same connection writes again. */
  g_assert_cmpint (db_pool_execute (pool, "INSERT INTO r VALUES (1)", NULL, NULL, NULL, &error), ==, 1);
  g_assert_no_error (error);
}

static gboolean
cancel_soon (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

static void
test_cancel_running (void)
{
  g_autoptr(DbPool) pool = pg_pool_new (2);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DbRows) rows = NULL;
  gint64 start = g_get_monotonic_time ();

  db_pool_query_async (pool, "SELECT pg_sleep(30)", NULL, cancellable, test_store_result, &result);
  /* Long enough for the statement to be running on the server. */
  g_timeout_add (300, cancel_soon, cancellable);
  rows = db_pool_query_finish (pool, test_wait_result (&result), &error);
  g_assert_null (rows);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_USEC_PER_SEC);
  g_clear_error (&error);

  /* The connection is fine afterwards. */
  {
    g_autoptr(DbConnection) conn = test_acquire (pool, DB_ACCESS_READ);
    g_autoptr(DbRows) again = db_connection_query (conn, "SELECT 41 + 1", NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpint (db_rows_get_int64 (again, 0, 0), ==, 42);
  }
}

typedef struct
{
  int  pending;
  int  ok;
  int  constraint;
  int  other;
  int  failed_id;
} Batch;

typedef struct
{
  Batch *batch;
  int    id;
} Job;

static void
job_done (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Job *job = user_data;
  g_autoptr(GError) error = NULL;
  gint64 n = db_pool_execute_finish (DB_POOL (source), result, NULL, &error);

  if (n == 1)
    job->batch->ok++;
  else if (g_error_matches (error, DB_POOL_ERROR, DB_POOL_ERROR_CONSTRAINT))
    {
      job->batch->constraint++;
      job->batch->failed_id = job->id;
    }
  else
    {
      g_test_message ("job %d: %s", job->id, error ? error->message : "no error");
      job->batch->other++;
    }
  job->batch->pending--;
  g_free (job);
}

static void
test_group_commit (void)
{
  g_autoptr(DbPool) pool = pg_pool_new (4);
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) conn = test_acquire (pool, DB_ACCESS_READ);
  g_autoptr(DbRows) rows = NULL;
  Batch batch = { 0 };
  guint64 commits = 0;

  g_assert_cmpint (db_pool_execute (pool, "CREATE TABLE g (id int PRIMARY KEY)", NULL, NULL, NULL, &error), ==, 0);
  g_assert_no_error (error);
  g_assert_cmpint (db_pool_execute (pool, "INSERT INTO g VALUES (17)", NULL, NULL, NULL, &error), ==, 1);

  /* 32 in flight, one of them a duplicate: only that one fails, the rest commit. */
  for (int i = 0; i < 32; i++)
    {
      Job *job = g_new0 (Job, 1);

      job->batch = &batch;
      job->id = i == 20 ? 17 : 100 + i;
      batch.pending++;
      db_pool_execute_async (pool, "INSERT INTO g VALUES (?)",
                             g_variant_new_parsed ("(%i,)", job->id), NULL, job_done, job);
    }
  test_wait_until (batch.pending == 0, 20000);
  g_assert_cmpint (batch.other, ==, 0);
  g_assert_cmpint (batch.constraint, ==, 1);
  g_assert_cmpint (batch.failed_id, ==, 17);
  g_assert_cmpint (batch.ok, ==, 31);

  rows = db_connection_query (conn, "SELECT count(*) FROM g", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (db_rows_get_int64 (rows, 0, 0), ==, 32);
  g_object_get (pool, "group-commits", &commits, NULL);
  g_assert_cmpuint (commits, >, 0);
}

static void
test_backend_gone (void)
{
  g_autoptr(DbPool) pool = pg_pool_new (2);
  g_autoptr(GError) error = NULL;
  g_autoptr(DbPoolConfig) other_config = test_config (pg_uri (), 1, 1);
  g_autoptr(DbPool) other = test_pool_new (other_config);
  DbConnection *conn = test_acquire (pool, DB_ACCESS_WRITE);
  g_autoptr(DbRows) rows = db_connection_query (conn, "SELECT pg_backend_pid()", NULL, &error);
  gint64 pid = db_rows_get_int64 (rows, 0, 0);
  gint64 new_pid;
  guint64 destroyed_before = 0, destroyed_after = 0;

  g_assert_no_error (error);
  g_object_get (pool, "total-connections-destroyed", &destroyed_before, NULL);

  /* The server ends this connection's backend, as a restart or a crash would. */
  g_assert_cmpint (db_pool_execute (other, "SELECT pg_terminate_backend(?::int)",
                                    g_variant_new_parsed ("(%x,)", pid), NULL, NULL, &error), ==, 0);
  g_assert_no_error (error);

  g_assert_cmpint (db_connection_execute (conn, "SELECT 1", NULL, &error), ==, -1);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_IO);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  db_connection_release (conn);
  g_object_unref (conn);

  /* Retired, not handed out again: the next lease is a new backend. */
  g_object_get (pool, "total-connections-destroyed", &destroyed_after, NULL);
  g_assert_cmpuint (destroyed_after, ==, destroyed_before + 1);
  conn = test_acquire (pool, DB_ACCESS_WRITE);
  g_clear_pointer (&rows, g_object_unref);
  rows = db_connection_query (conn, "SELECT pg_backend_pid()", NULL, &error);
  g_assert_no_error (error);
  new_pid = db_rows_get_int64 (rows, 0, 0);
  g_assert_cmpint (new_pid, !=, pid);
  db_connection_release (conn);
  g_object_unref (conn);
}

/* pg_ctl COMMAND on the suite's server, as the user pg-server.sh runs it as. */
static void
pg_ctl (const char *command)
{
  const char *user = g_getenv ("DBPOOL_TEST_PG_USER");
  g_autofree char *port = g_strdup_printf ("-p %s", g_getenv ("DBPOOL_TEST_PG_PORT"));
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  int status = 0;

  if (user != NULL && user[0] != '\0')
    {
      g_ptr_array_add (argv, (char *) "runuser");
      g_ptr_array_add (argv, (char *) "-u");
      g_ptr_array_add (argv, (char *) user);
      g_ptr_array_add (argv, (char *) "--");
    }
  g_ptr_array_add (argv, (char *) g_getenv ("DBPOOL_TEST_PG_CTL"));
  g_ptr_array_add (argv, (char *) "-D");
  g_ptr_array_add (argv, (char *) g_getenv ("DBPOOL_TEST_PG_DATA"));
  g_ptr_array_add (argv, (char *) "-w");
  if (g_str_equal (command, "stop"))
    {
      g_ptr_array_add (argv, (char *) "-m");
      g_ptr_array_add (argv, (char *) "fast");
    }
  else
    {
      g_ptr_array_add (argv, (char *) "-o");
      g_ptr_array_add (argv, port);
      g_ptr_array_add (argv, (char *) "-l");
      g_ptr_array_add (argv, (char *) "/dev/null");
    }
  g_ptr_array_add (argv, (char *) command);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH,
                               NULL, NULL, &out, NULL, &status, &error));
  g_assert_no_error (error);
  g_test_message ("pg_ctl %s: %s", command, out);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

/* The server stops under an idle pool and comes back: while it is down a statement
 * is IO (its connection retired) and a new connection OPEN; once it is back the pool
 * serves again without being reopened. */
static void
test_server_restart (void)
{
  g_autoptr(DbPool) pool = pg_pool_new (2);
  g_autoptr(GError) error = NULL;
  guint64 errors = 0;
  DbConnection *conn;

  g_assert_cmpint (db_pool_execute (pool, "CREATE TABLE k (id int)", NULL, NULL, NULL, &error), ==, 0);
  g_assert_no_error (error);
  g_assert_cmpint (db_pool_execute (pool, "INSERT INTO k VALUES (1)", NULL, NULL, NULL, &error), ==, 1);

  conn = test_acquire (pool, DB_ACCESS_READ);
  pg_ctl ("stop");
  g_assert_null (db_connection_query (conn, "SELECT count(*) FROM k", NULL, &error));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_IO);
  g_clear_error (&error);
  db_connection_release (conn);
  g_object_unref (conn);

  /* Nothing to connect to now. */
  conn = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
  g_assert_null (conn);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_OPEN);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_object_get (pool, "connection-errors", &errors, NULL);
  g_assert_cmpuint (errors, >, 0);

  pg_ctl ("start");
  {
    g_autoptr(DbRows) rows = NULL;
    gint64 deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;

    /* The circuit breaker may hold new connections back for its cooldown. */
    while ((conn = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error)) == NULL &&
           g_get_monotonic_time () < deadline)
      {
        g_clear_error (&error);
        g_usleep (100 * 1000);
      }
    g_assert_no_error (error);
    rows = db_connection_query (conn, "SELECT count(*) FROM k", NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpint (db_rows_get_int64 (rows, 0, 0), ==, 1);
    db_connection_release (conn);
    g_object_unref (conn);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  if (pg_uri () == NULL)
    {
      /* TAP's skip line, and meson's skip status for a non-TAP run. */
      g_print ("1..0 # SKIP DBPOOL_TEST_PG_URI is not set: run through tests/pgsql/pg-server.sh\n");
      return 77;
    }
  g_test_add_func ("/pgsql/open", test_open_and_backend);
  g_test_add_func ("/pgsql/unreachable", test_unreachable_server);
  g_test_add_func ("/pgsql/no-exclusive", test_no_exclusive);
  g_test_add_func ("/pgsql/params", test_params);
  g_test_add_func ("/pgsql/types", test_types);
  g_test_add_func ("/pgsql/errors", test_errors);
  g_test_add_func ("/pgsql/read-only", test_read_only);
  g_test_add_func ("/pgsql/cancel-running", test_cancel_running);
  g_test_add_func ("/pgsql/group-commit", test_group_commit);
  g_test_add_func ("/pgsql/backend-gone", test_backend_gone);
  g_test_add_func ("/pgsql/server-restart", test_server_restart);
  return g_test_run ();
}
