/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Group commit (issue 12): write jobs queued together share one transaction, each in
 * its own savepoint, and each is acknowledged only for its own work. */
#include "test-common.h"
#include "db-tuning-private.h"

#define N_JOBS 64

static DbPool *
gc_pool_new (gboolean group_commit,
             guint    timeout_ms)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 4);
  g_autoptr(GError) error = NULL;
  DbPool *pool;

  db_pool_config_set_group_commit (config, group_commit);
  if (timeout_ms > 0)
    db_pool_config_set_connection_timeout_ms (config, timeout_ms);
  pool = test_pool_new (config);
  db_pool_execute (pool, "CREATE TABLE t (id INTEGER PRIMARY KEY, u INTEGER UNIQUE, s TEXT)",
                   NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  return pool;
}

static gint64
count_rows (DbPool     *pool,
            const char *where)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) conn = test_acquire (pool, DB_ACCESS_READ);
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM t WHERE %s", where);
  g_autoptr(DbRows) rows = db_connection_query (conn, sql, NULL, &error);

  g_assert_no_error (error);
  return db_rows_get_int64 (rows, 0, 0);
}

static gboolean
row_exists (DbPool *pool,
            gint64  u)
{
  g_autofree char *where = g_strdup_printf ("u = %" G_GINT64_FORMAT, u);

  return count_rows (pool, where) == 1;
}

/* Every 10th insert repeats an earlier u: exactly those fail, every other row commits.
 * With group commit the 64 jobs, queued while a held WRITE lease blocks the writer,
 * share transactions; without it each job commits alone. */
static void
run_duplicates (gboolean group_commit)
{
  g_autoptr(DbPool) pool = gc_pool_new (group_commit, 0);
  GAsyncResult *results[N_JOBS] = { NULL };
  g_autoptr(DbConnection) hold = test_acquire (pool, DB_ACCESS_WRITE);
  g_autoptr(DbPoolStats) before = db_pool_get_stats (pool);
  g_autoptr(DbPoolStats) after = NULL;
  guint64 commits, jobs;

  for (guint i = 0; i < N_JOBS; i++)
    {
      gint64 u = (i % 10 == 9) ? i - 1 : i;

      db_pool_execute_async (pool, "INSERT INTO t (u) VALUES (?)", g_variant_new ("(x)", u),
                             NULL, test_store_result, &results[i]);
    }
  /* Queued behind the lease, so the runner finds them all waiting. */
  db_connection_release (hold);

  for (guint i = 0; i < N_JOBS; i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 rowid = -1;
      gint64 changes = db_pool_execute_finish (pool, test_wait_result (&results[i]), &rowid, &error);

      if (i % 10 == 9)
        {
          g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_CONSTRAINT);
          g_assert_cmpint (changes, <, 0);
        }
      else
        {
          g_assert_no_error (error);
          g_assert_cmpint (changes, ==, 1);
          g_assert_cmpint (rowid, >, 0);
          g_assert_true (row_exists (pool, i));
        }
      g_clear_object (&results[i]);
    }
  g_assert_cmpint (count_rows (pool, "1"), ==, N_JOBS - N_JOBS / 10);

  after = db_pool_get_stats (pool);
  commits = after->group_commits - before->group_commits;
  jobs = after->group_commit_jobs - before->group_commit_jobs;
  g_assert_cmpuint (commits, >, 0);
  g_assert_cmpuint (jobs, ==, N_JOBS - N_JOBS / 10);
  if (group_commit)
    g_assert_cmpuint (jobs, >, commits);
  else
    g_assert_cmpuint (jobs, ==, commits);
}

static void
test_duplicates_grouped (void)
{
  run_duplicates (TRUE);
}

static void
test_duplicates_ungrouped (void)
{
  run_duplicates (FALSE);
}

/* An UPDATE job after an INSERT job in the same batch reports its own changes and no
 * rowid: the counters are each job's, not the connection's. */
static void
test_per_job_results (void)
{
  g_autoptr(DbPool) pool = gc_pool_new (TRUE, 0);
  g_autoptr(GError) error = NULL;
  GAsyncResult *ins = NULL, *upd = NULL, *ins2 = NULL;
  g_autoptr(DbConnection) hold = NULL;
  gint64 rowid = -1, changes;

  db_pool_execute (pool, "INSERT INTO t (u) VALUES (100), (101), (102)", NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  hold = test_acquire (pool, DB_ACCESS_WRITE);
  db_pool_execute_async (pool, "INSERT INTO t (u) VALUES (1)", NULL, NULL, test_store_result, &ins);
  db_pool_execute_async (pool, "UPDATE t SET s = 'x' WHERE u >= 100", NULL, NULL, test_store_result, &upd);
  db_pool_execute_async (pool, "INSERT INTO t (u) VALUES (2), (3)", NULL, NULL, test_store_result, &ins2);
  db_connection_release (hold);

  changes = db_pool_execute_finish (pool, test_wait_result (&ins), &rowid, &error);
  g_assert_no_error (error);
  g_assert_cmpint (changes, ==, 1);
  g_assert_cmpint (rowid, ==, 4);

  rowid = -1;
  changes = db_pool_execute_finish (pool, test_wait_result (&upd), &rowid, &error);
  g_assert_no_error (error);
  g_assert_cmpint (changes, ==, 3);
  g_assert_cmpint (rowid, ==, 0);

  changes = db_pool_execute_finish (pool, test_wait_result (&ins2), &rowid, &error);
  g_assert_no_error (error);
  g_assert_cmpint (changes, ==, 2);
  g_assert_cmpint (rowid, ==, 6);

  g_object_unref (ins);
  g_object_unref (upd);
  g_object_unref (ins2);
}

/* Blocking db_pool_execute from 8 threads: all rows there, batches larger than 1. */
#define N_THREADS 8
#define PER_THREAD 50

static int threads_started;

static gpointer
execute_thread (gpointer data)
{
  DbPool *pool = g_object_get_data (G_OBJECT (data), "pool");
  guint base = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (data), "base"));

  g_atomic_int_inc (&threads_started);

  for (guint i = 0; i < PER_THREAD; i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 changes = db_pool_execute (pool, "INSERT INTO t (u) VALUES (?)",
                                        g_variant_new ("(x)", (gint64) (base + i)),
                                        NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (changes, ==, 1);
    }
  return NULL;
}

static void
test_blocking_threads (void)
{
  g_autoptr(DbPool) pool = gc_pool_new (TRUE, 0);
  GThread *threads[N_THREADS];
  GObject *args[N_THREADS];
  g_autoptr(DbConnection) hold = test_acquire (pool, DB_ACCESS_WRITE);
  g_autoptr(DbPoolStats) stats = NULL;

  for (guint i = 0; i < N_THREADS; i++)
    {
      args[i] = g_object_new (G_TYPE_OBJECT, NULL);
      g_object_set_data (args[i], "pool", pool);
      g_object_set_data (args[i], "base", GUINT_TO_POINTER (i * 1000));
      threads[i] = g_thread_new ("execute", execute_thread, args[i]);
    }
  /* Queued write jobs are not acquires (waiting_requests does not count them), so
   * the test cannot await them; it waits until every thread started, and batches
   * form from then on while each commit is on disk. */
  test_wait_until (g_atomic_int_get (&threads_started) == N_THREADS, 10000);
  db_connection_release (hold);

  for (guint i = 0; i < N_THREADS; i++)
    {
      g_thread_join (threads[i]);
      g_object_unref (args[i]);
    }
  g_assert_cmpint (count_rows (pool, "1"), ==, N_THREADS * PER_THREAD);
  stats = db_pool_get_stats (pool);
  g_assert_cmpuint (stats->group_commit_jobs, >=, N_THREADS * PER_THREAD);
  g_assert_cmpuint (stats->group_commit_jobs, >, stats->group_commits);
}

/* execute_batch_async: all or nothing per job; other jobs of the batch commit. */
static GVariant *
tuple_rows (gint64 first,
            guint  n,
            gint64 dup_at)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("av"));
  for (guint k = 0; k < n; k++)
    {
      gint64 u = (dup_at >= 0 && k == (guint) dup_at) ? first : first + k;
      g_variant_builder_add (&b, "v", g_variant_new ("(x)", u));
    }
  return g_variant_builder_end (&b);
}

static GVariant *
dict_rows (gint64 first,
           guint  n)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("aa{sv}"));
  for (guint k = 0; k < n; k++)
    {
      g_variant_builder_open (&b, G_VARIANT_TYPE ("a{sv}"));
      g_variant_builder_add (&b, "{sv}", "u", g_variant_new_int64 (first + k));
      g_variant_builder_close (&b);
    }
  return g_variant_builder_end (&b);
}

static void
test_execute_batch (void)
{
  g_autoptr(DbPool) pool = gc_pool_new (TRUE, 0);
  g_autoptr(GError) error = NULL;
  GAsyncResult *ok = NULL, *bad = NULL, *dict = NULL, *misuse = NULL;
  g_autoptr(DbConnection) hold = test_acquire (pool, DB_ACCESS_WRITE);
  gint64 n;

  db_pool_execute_batch_async (pool, "INSERT INTO t (u) VALUES (?)", tuple_rows (0, 10, -1),
                               NULL, test_store_result, &ok);
  /* Row 5 repeats row 0's u: the whole job fails, naming the row. */
  db_pool_execute_batch_async (pool, "INSERT INTO t (u) VALUES (?)", tuple_rows (100, 10, 5),
                               NULL, test_store_result, &bad);
  db_pool_execute_batch_async (pool, "INSERT INTO t (u) VALUES (:u)", dict_rows (200, 10),
                               NULL, test_store_result, &dict);
  db_pool_execute_batch_async (pool, "INSERT INTO t (u) VALUES (?)", g_variant_new ("(x)", (gint64) 300),
                               NULL, test_store_result, &misuse);
  db_connection_release (hold);

  n = db_pool_execute_batch_finish (pool, test_wait_result (&ok), &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 10);

  n = db_pool_execute_batch_finish (pool, test_wait_result (&bad), &error);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_CONSTRAINT);
  g_assert_cmpint (n, <, 0);
  g_test_message ("batch error: %s", error->message);
  /* Rows are counted from 1 in the message: k = 5 is the sixth. */
  g_assert_nonnull (strstr (error->message, "Row 6 of 10"));
  g_clear_error (&error);

  n = db_pool_execute_batch_finish (pool, test_wait_result (&dict), &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 10);

  n = db_pool_execute_batch_finish (pool, test_wait_result (&misuse), &error);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
  g_clear_error (&error);

  g_assert_cmpint (count_rows (pool, "u BETWEEN 0 AND 9"), ==, 10);
  g_assert_cmpint (count_rows (pool, "u BETWEEN 100 AND 199"), ==, 0);
  g_assert_cmpint (count_rows (pool, "u BETWEEN 200 AND 209"), ==, 10);
  g_assert_cmpint (count_rows (pool, "u = 300"), ==, 0);

  g_object_unref (ok);
  g_object_unref (bad);
  g_object_unref (dict);
  g_object_unref (misuse);
}

/* WRITE run_async functions are jobs: an error rolls back what they did; begin/commit
 * nest; a begin left open is rolled back; raw COMMIT/BEGIN is MISUSE; release is
 * harmless. */
typedef enum {
  FN_INSERT_THEN_FAIL,
  FN_NESTED_BEGIN_COMMIT,
  FN_BEGIN_NO_COMMIT,
  FN_RAW_COMMIT,
  FN_RAW_BEGIN,
  FN_RELEASE,
} FnKind;

static gpointer
write_fn (DbConnection  *conn,
          gpointer       data,
          GCancellable  *cancellable,
          GError       **error)
{
  FnKind kind = GPOINTER_TO_INT (data);
  gint64 u = 1000 + kind * 10;

  if (db_connection_execute (conn, "INSERT INTO t (u) VALUES (?)", g_variant_new ("(x)", u), error) < 0)
    return NULL;
  switch (kind)
    {
    case FN_INSERT_THEN_FAIL:
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the job changed its mind");
      return NULL;
    case FN_NESTED_BEGIN_COMMIT:
      if (!db_connection_begin (conn, error))
        return NULL;
      if (db_connection_execute (conn, "INSERT INTO t (u) VALUES (?)", g_variant_new ("(x)", u + 1), error) < 0)
        return NULL;
      if (!db_connection_commit (conn, error))
        return NULL;
      break;
    case FN_BEGIN_NO_COMMIT:
      if (!db_connection_begin (conn, error))
        return NULL;
      if (db_connection_execute (conn, "INSERT INTO t (u) VALUES (?)", g_variant_new ("(x)", u + 1), error) < 0)
        return NULL;
      break;
    case FN_RAW_COMMIT:
      if (db_connection_execute (conn, "COMMIT", NULL, error) < 0)
        return NULL;
      break;
    case FN_RAW_BEGIN:
      if (db_connection_execute (conn, "BEGIN", NULL, error) < 0)
        return NULL;
      break;
    case FN_RELEASE:
      db_connection_release (conn);
      if (db_connection_execute (conn, "INSERT INTO t (u) VALUES (?)", g_variant_new ("(x)", u + 1), error) < 0)
        return NULL;
      break;
    default:
      g_assert_not_reached ();
    }
  return g_strdup ("done");
}

static void
test_run_async_jobs (void)
{
  g_autoptr(DbPool) pool = gc_pool_new (TRUE, 0);
  GAsyncResult *results[FN_RELEASE + 1] = { NULL };
  GAsyncResult *plain = NULL;
  g_autoptr(DbConnection) hold = test_acquire (pool, DB_ACCESS_WRITE);

  for (int k = 0; k <= FN_RELEASE; k++)
    db_pool_run_async (pool, DB_ACCESS_WRITE, write_fn, GINT_TO_POINTER (k), NULL, NULL,
                       test_store_result, &results[k]);
  /* A plain job in the same batch, after all of them: it must commit. */
  db_pool_execute_async (pool, "INSERT INTO t (u) VALUES (5000)", NULL, NULL, test_store_result, &plain);
  db_connection_release (hold);

  for (int k = 0; k <= FN_RELEASE; k++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *res = db_pool_run_finish (pool, test_wait_result (&results[k]), &error);
      gint64 u = 1000 + k * 10;
      g_autofree char *where = g_strdup_printf ("u IN (%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ")", u, u + 1);
      gint64 n = count_rows (pool, where);

      g_test_message ("kind %d: %s, %" G_GINT64_FORMAT " rows", k,
                      error ? error->message : res, n);
      switch ((FnKind) k)
        {
        case FN_INSERT_THEN_FAIL:
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
          g_assert_cmpint (n, ==, 0);
          break;
        case FN_NESTED_BEGIN_COMMIT:
        case FN_RELEASE:
          g_assert_no_error (error);
          g_assert_cmpstr (res, ==, "done");
          g_assert_cmpint (n, ==, 2);
          break;
        case FN_BEGIN_NO_COMMIT:
          /* The part after begin is rolled back, the part before it stays. */
          g_assert_no_error (error);
          g_assert_cmpint (n, ==, 1);
          g_assert_true (row_exists (pool, u));
          break;
        case FN_RAW_COMMIT:
        case FN_RAW_BEGIN:
          g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
          g_assert_cmpint (n, ==, 0);
          break;
        default:
          g_assert_not_reached ();
        }
      g_clear_object (&results[k]);
    }
  {
    g_autoptr(GError) error = NULL;
    db_pool_execute_finish (pool, test_wait_result (&plain), NULL, &error);
    g_assert_no_error (error);
    g_assert_true (row_exists (pool, 5000));
    g_object_unref (plain);
  }
}

/* A job cancelled while queued behind a held WRITE lease never runs and reports
 * CANCELLED before the lease is released. */
static void
test_cancel_queued (void)
{
  g_autoptr(DbPool) pool = gc_pool_new (TRUE, 0);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  GAsyncResult *cancelled = NULL, *other = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) hold = test_acquire (pool, DB_ACCESS_WRITE);

  db_pool_execute_async (pool, "INSERT INTO t (u) VALUES (1)", NULL, cancellable,
                         test_store_result, &cancelled);
  db_pool_execute_async (pool, "INSERT INTO t (u) VALUES (2)", NULL, NULL,
                         test_store_result, &other);
  g_cancellable_cancel (cancellable);
  test_wait_until (cancelled != NULL, 5000);
  g_assert_null (other);
  db_pool_execute_finish (pool, cancelled, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  db_connection_release (hold);
  db_pool_execute_finish (pool, test_wait_result (&other), NULL, &error);
  g_assert_no_error (error);
  g_assert_false (row_exists (pool, 1));
  g_assert_true (row_exists (pool, 2));
  g_object_unref (cancelled);
  g_object_unref (other);
}

/* Jobs behind a WRITE lease held past connection-timeout-ms fail with TIMEOUT; a job
 * queued later still runs once the lease is gone. */
static void
test_timeouts (void)
{
  g_autoptr(DbPool) pool = gc_pool_new (TRUE, 200);
  GAsyncResult *late[4] = { NULL };
  GAsyncResult *after = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) hold = test_acquire (pool, DB_ACCESS_WRITE);

  for (guint i = 0; i < G_N_ELEMENTS (late); i++)
    db_pool_execute_async (pool, "INSERT INTO t (u) VALUES (?)", g_variant_new ("(x)", (gint64) i),
                           NULL, test_store_result, &late[i]);
  for (guint i = 0; i < G_N_ELEMENTS (late); i++)
    {
      db_pool_execute_finish (pool, test_wait_result (&late[i]), NULL, &error);
      g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_TIMEOUT);
      g_clear_error (&error);
      g_clear_object (&late[i]);
    }
  db_pool_execute_async (pool, "INSERT INTO t (u) VALUES (99)", NULL, NULL, test_store_result, &after);
  db_connection_release (hold);
  db_pool_execute_finish (pool, test_wait_result (&after), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (pool, "1"), ==, 1);
  g_assert_true (row_exists (pool, 99));
  g_object_unref (after);
}

/* A job cancelled while it runs is interrupted and rolled back; the other jobs of its
 * batch are not lost. */
static int long_job_started;

static gpointer
long_job (DbConnection  *conn,
          gpointer       data,
          GCancellable  *cancellable,
          GError       **error)
{
  g_autoptr(DbRows) rows = NULL;

  if (db_connection_execute (conn, "INSERT INTO t (u) VALUES (2)", NULL, error) < 0)
    return NULL;
  g_atomic_int_set (&long_job_started, 1);
  /* Runs for minutes unless interrupted. */
  rows = db_connection_query (conn,
                              "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                              "SELECT count(*) FROM c", NULL, error);
  if (rows == NULL)
    return NULL;
  return g_strdup ("finished");
}

static void
test_cancel_running (void)
{
  g_autoptr(DbPool) pool = gc_pool_new (TRUE, 0);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  GAsyncResult *before = NULL, *running = NULL, *after = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) hold = test_acquire (pool, DB_ACCESS_WRITE);
  gpointer res;

  g_atomic_int_set (&long_job_started, 0);
  db_pool_execute_async (pool, "INSERT INTO t (u) VALUES (1)", NULL, NULL, test_store_result, &before);
  db_pool_run_async (pool, DB_ACCESS_WRITE, long_job, NULL, NULL, cancellable,
                     test_store_result, &running);
  db_pool_execute_async (pool, "INSERT INTO t (u) VALUES (3)", NULL, NULL, test_store_result, &after);
  db_connection_release (hold);

  test_wait_until (g_atomic_int_get (&long_job_started) == 1, 10000);
  g_cancellable_cancel (cancellable);

  /* Bounded: an interrupt that never reaches the statement fails here, not by hanging. */
  test_wait_until (running != NULL, 10000);
  res = db_pool_run_finish (pool, running, &error);
  g_assert_null (res);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  db_pool_execute_finish (pool, test_wait_result (&before), NULL, &error);
  g_assert_no_error (error);
  db_pool_execute_finish (pool, test_wait_result (&after), NULL, &error);
  g_assert_no_error (error);

  g_assert_true (row_exists (pool, 1));
  g_assert_false (row_exists (pool, 2));
  g_assert_true (row_exists (pool, 3));
  g_object_unref (before);
  g_object_unref (running);
  g_object_unref (after);
}

/* FIFO between write jobs and WRITE leases, read from the rowids: rows get ids in the
 * order their writers ran. */
static gint64
rowid_of (DbPool *pool,
          gint64  u)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) conn = test_acquire (pool, DB_ACCESS_READ);
  g_autoptr(DbRows) rows = db_connection_query (conn, "SELECT id FROM t WHERE u = ?",
                                                g_variant_new ("(x)", u), &error);

  g_assert_no_error (error);
  g_assert_cmpuint (db_rows_get_n_rows (rows), ==, 1);
  return db_rows_get_int64 (rows, 0, 0);
}

static guint
waiting_requests (DbPool *pool)
{
  g_autoptr(DbPoolStats) stats = db_pool_get_stats (pool);

  return stats->waiting_requests;
}

static void
lease_insert (DbPool       *pool,
              GAsyncResult *result,
              gint64        u)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) lease = db_pool_acquire_finish (pool, result, &error);

  g_assert_no_error (error);
  db_connection_execute (lease, "INSERT INTO t (u) VALUES (?)", g_variant_new ("(x)", u), &error);
  g_assert_no_error (error);
}

static void
test_fifo (void)
{
  g_autoptr(DbPool) pool = gc_pool_new (TRUE, 0);
  g_autoptr(GError) error = NULL;
  GAsyncResult *jobs[3] = { NULL };
  GAsyncResult *lease = NULL, *late = NULL;
  DbConnection *hold = test_acquire (pool, DB_ACCESS_WRITE);

  /* A lease asked for after queued jobs waits for their batch. */
  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    db_pool_execute_async (pool, "INSERT INTO t (u) VALUES (?)", g_variant_new ("(x)", (gint64) i),
                           NULL, test_store_result, &jobs[i]);
  /* The queue's runner starts on a pool worker and only then asks for the writer's
   * turn: the lease asked for after that must wait for it. */
  test_wait_until (waiting_requests (pool) >= 1, 10000);
  db_pool_acquire_async (pool, DB_ACCESS_WRITE, NULL, test_store_result, &lease);
  g_object_unref (hold);
  lease_insert (pool, test_wait_result (&lease), 10);
  g_clear_object (&lease);
  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    {
      db_pool_execute_finish (pool, test_wait_result (&jobs[i]), NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (rowid_of (pool, i), <, rowid_of (pool, 10));
      g_clear_object (&jobs[i]);
    }

  /* Jobs queued after a waiting lease wait for it. */
  hold = test_acquire (pool, DB_ACCESS_WRITE);
  db_pool_acquire_async (pool, DB_ACCESS_WRITE, NULL, test_store_result, &lease);
  test_wait_until (waiting_requests (pool) >= 1, 10000);
  db_pool_execute_async (pool, "INSERT INTO t (u) VALUES (21)", NULL, NULL, test_store_result, &late);
  g_object_unref (hold);
  lease_insert (pool, test_wait_result (&lease), 20);
  g_clear_object (&lease);
  db_pool_execute_finish (pool, test_wait_result (&late), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (rowid_of (pool, 20), <, rowid_of (pool, 21));
  g_object_unref (late);
}

/* No write is granted while a maintenance checkpoint runs: the hook, called while the
 * checkpoint still holds the writer's turn, asks for a WRITE lease and must time out,
 * while a READ lease is granted at once (so the pool itself is not stuck). */
static DbPool *hook_pool;
static int hook_calls;
static int hook_write_error = -1;
static gboolean hook_read_ok;

static void
checkpoint_hook (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) write = NULL;
  g_autoptr(DbConnection) read = NULL;

  if (g_atomic_int_add (&hook_calls, 1) != 0)
    return;
  write = db_pool_acquire (hook_pool, DB_ACCESS_WRITE, NULL, &error);
  hook_write_error = error != NULL && error->domain == DB_POOL_ERROR ? error->code : 0;
  g_clear_error (&error);
  g_clear_object (&write);
  read = db_pool_acquire (hook_pool, DB_ACCESS_READ, NULL, &error);
  hook_read_ok = read != NULL;
  g_clear_object (&read);
  g_atomic_int_set (&hook_calls, 100);
}

static void
test_checkpoint_holds_writer (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 2, 4);
  g_autoptr(GError) error = NULL;
  g_autoptr(DbPool) pool = NULL;

  db_pool_config_set_maintenance_interval_ms (config, 20);
  db_pool_config_set_connection_timeout_ms (config, 150);
  pool = test_pool_new (config);
  db_pool_execute (pool, "CREATE TABLE t (u INTEGER)", NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  hook_pool = pool;
  _db_tuning.checkpoint_hook = checkpoint_hook;
  test_wait_until (g_atomic_int_get (&hook_calls) >= 100, 10000);
  _db_tuning.checkpoint_hook = NULL;
  hook_pool = NULL;

  g_assert_cmpint (hook_write_error, ==, DB_POOL_ERROR_TIMEOUT);
  g_assert_true (hook_read_ok);
  /* Once the checkpoint is over, writes go through again. */
  db_pool_execute (pool, "INSERT INTO t VALUES (1)", NULL, NULL, NULL, &error);
  g_assert_no_error (error);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/group-commit/duplicates-grouped", test_duplicates_grouped);
  g_test_add_func ("/group-commit/duplicates-ungrouped", test_duplicates_ungrouped);
  g_test_add_func ("/group-commit/per-job-results", test_per_job_results);
  g_test_add_func ("/group-commit/blocking-threads", test_blocking_threads);
  g_test_add_func ("/group-commit/execute-batch", test_execute_batch);
  g_test_add_func ("/group-commit/run-async-jobs", test_run_async_jobs);
  g_test_add_func ("/group-commit/cancel-queued", test_cancel_queued);
  g_test_add_func ("/group-commit/timeouts", test_timeouts);
  g_test_add_func ("/group-commit/cancel-running", test_cancel_running);
  g_test_add_func ("/group-commit/fifo", test_fifo);
  g_test_add_func ("/group-commit/checkpoint-holds-writer", test_checkpoint_holds_writer);

  return g_test_run ();
}
