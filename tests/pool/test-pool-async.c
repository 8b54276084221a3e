/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pool from a main loop: async acquire and statements, notify:: on the owner
 * thread, timeouts, cancellation, close_async. */
#include "test-common.h"

static GThread *main_thread;

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  GAsyncResult **out = data;

  g_assert_true (g_thread_self () == main_thread);
  *out = g_object_ref (result);
}

#define await_result(res) test_wait_until ((res) != NULL, 20000)

static void
test_async_new_and_acquire (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 2, 4);
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(DbConnection) conn = NULL;
  g_autoptr(DbPoolStats) stats = NULL;

  db_pool_new_async (config, G_PRIORITY_DEFAULT, NULL, store_result, &res);
  await_result (res);
  pool = db_pool_new_finish (res, &error);
  g_assert_no_error (error);
  g_clear_object (&res);

  stats = db_pool_get_stats (pool);
  g_assert_cmpuint (stats->total_connections_created, ==, 2);

  db_pool_acquire_async (pool, DB_ACCESS_WRITE, NULL, store_result, &res);
  await_result (res);
  conn = db_pool_acquire_finish (pool, res, &error);
  g_assert_no_error (error);
  g_assert_cmpint (db_connection_get_access (conn), ==, DB_ACCESS_WRITE);
  g_assert_cmpint (db_connection_execute (conn, "CREATE TABLE t (x)", NULL, &error), ==, 0);
  g_assert_no_error (error);
}

static void
test_async_new_error (void)
{
  g_autoptr(DbPoolConfig) config = db_pool_config_new ("/nonexistent-dbpool-dir/x.db");
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DbPool) pool = NULL;

  db_pool_new_async (config, G_PRIORITY_DEFAULT, NULL, store_result, &res);
  await_result (res);
  pool = db_pool_new_finish (res, &error);
  g_assert_null (pool);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_OPEN);
}

static void
test_execute_query_async (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 4);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DbRows) rows = NULL;
  gint64 rowid = 0;

  db_pool_execute_async (pool, "CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT)", NULL, NULL, store_result, &res);
  await_result (res);
  g_assert_cmpint (db_pool_execute_finish (pool, res, NULL, &error), ==, 0);
  g_assert_no_error (error);
  g_clear_object (&res);

  for (int i = 0; i < 5; i++)
    {
      db_pool_execute_async (pool, "INSERT INTO t (s) VALUES (?)", g_variant_new ("(s)", "row"),
                             NULL, store_result, &res);
      await_result (res);
      g_assert_cmpint (db_pool_execute_finish (pool, res, &rowid, &error), ==, 1);
      g_assert_no_error (error);
      g_assert_cmpint (rowid, ==, i + 1);
      g_clear_object (&res);
    }

  db_pool_query_async (pool, "SELECT id, s FROM t WHERE id > ?", g_variant_new ("(i)", 2),
                       NULL, store_result, &res);
  await_result (res);
  rows = db_pool_query_finish (pool, res, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (db_rows_get_n_rows (rows), ==, 3);
  g_assert_cmpint (db_rows_get_int64 (rows, 0, 0), ==, 3);
  g_clear_object (&res);

  db_pool_query_async (pool, "SELECT nope FROM t", NULL, NULL, store_result, &res);
  await_result (res);
  g_assert_null (db_pool_query_finish (pool, res, &error));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_SQL);
}

/* ---- run_async ----------------------------------------------------------------- */

static gpointer
count_in_worker (DbConnection  *conn,
                 gpointer       data,
                 GCancellable  *cancellable,
                 GError       **error)
{
  g_autoptr(DbRows) rows = NULL;

  g_assert_true (g_thread_self () != main_thread);
  if (db_connection_execute (conn, "INSERT INTO t (s) VALUES (?)", g_variant_new ("(s)", (char *) data), error) < 0)
    return NULL;
  rows = db_connection_query (conn, "SELECT count(*) FROM t", NULL, error);
  if (rows == NULL)
    return NULL;
  return g_strdup_printf ("%" G_GINT64_FORMAT, db_rows_get_int64 (rows, 0, 0));
}

static gpointer
fail_in_worker (DbConnection  *conn,
                gpointer       data,
                GCancellable  *cancellable,
                GError       **error)
{
  db_connection_begin (conn, NULL);
  db_connection_execute (conn, "INSERT INTO t (s) VALUES ('rolled back')", NULL, NULL);
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the closure failed");
  return NULL;
}

static void
test_run_async (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 4);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *count = NULL;
  int destroyed = 0;

  db_pool_execute_async (pool, "CREATE TABLE t (s TEXT)", NULL, NULL, store_result, &res);
  await_result (res);
  db_pool_execute_finish (pool, res, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&res);

  db_pool_run_async (pool, DB_ACCESS_WRITE, count_in_worker, g_strdup ("hello"), g_free,
                     NULL, store_result, &res);
  await_result (res);
  count = db_pool_run_finish (pool, res, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (count, ==, "1");
  g_clear_object (&res);

  /* An error from the closure arrives as is; its open transaction is rolled back. */
  db_pool_run_async (pool, DB_ACCESS_WRITE, fail_in_worker, &destroyed, NULL, NULL, store_result, &res);
  await_result (res);
  g_assert_null (db_pool_run_finish (pool, res, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_clear_error (&error);
  g_clear_object (&res);

  db_pool_query_async (pool, "SELECT count(*) FROM t", NULL, NULL, store_result, &res);
  await_result (res);
  {
    g_autoptr(DbRows) rows = db_pool_query_finish (pool, res, &error);

    g_assert_no_error (error);
    g_assert_cmpint (db_rows_get_int64 (rows, 0, 0), ==, 1);
  }
}

/* ---- results gathered ------------------------------------------------------------ */

/* Results that came in while the owner context was busy are delivered by one source
 * in one dispatch, each callback on the owner thread. (The order of results is the
 * order the operations finished: a worker gives the connection to the next waiter
 * before it queues its own result.) */
typedef struct
{
  int       finished;       /* atomic: functions that ran on a worker */
  int       ran[8];         /* the order they ran in: with one connection, FIFO */
  guint     n_done;
  GSource  *sources[8];     /* g_main_current_source() of each callback, in call order */
  int       order[8];
  GThread  *thread;         /* where the callbacks must run */
} Gathered;

static gpointer
count_finished (DbConnection  *conn,
                gpointer       data,
                GCancellable  *cancellable,
                GError       **error)
{
  Gathered *g = ((gpointer *) data)[0];

  /* One connection: one function at a time, so the index is not raced. */
  g->ran[g_atomic_int_get (&g->finished)] = GPOINTER_TO_INT (((gpointer *) data)[1]);
  g_atomic_int_inc (&g->finished);
  return data;
}

static void
gathered_done (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  g_autoptr(GError) error = NULL;
  gpointer *op = db_pool_run_finish (DB_POOL (source), result, &error);
  Gathered *g = op[0];

  g_assert_no_error (error);
  g_assert_true (g_thread_self () == g->thread);
  g_assert_cmpuint (g->n_done, <, G_N_ELEMENTS (g->sources));
  g->sources[g->n_done] = g_main_current_source ();
  g->order[g->n_done] = GPOINTER_TO_INT (op[1]);
  g->n_done++;
}

static void
run_gathered (DbPool       *pool,
              GMainContext *context)
{
  Gathered g = { .thread = g_thread_self () };
  gpointer ops[G_N_ELEMENTS (g.sources)][2];

  /* One connection: the functions run one after the other, in FIFO order. */
  for (guint i = 0; i < G_N_ELEMENTS (ops); i++)
    {
      ops[i][0] = &g;
      ops[i][1] = GINT_TO_POINTER (i);
      db_pool_run_async (pool, DB_ACCESS_READ, count_finished, ops[i], NULL, NULL,
                         gathered_done, ops[i]);
    }
  /* The owner context is not iterated until every result is queued (the last one a
   * moment after its function returned). */
  for (guint waited_ms = 0; g_atomic_int_get (&g.finished) < (int) G_N_ELEMENTS (ops); waited_ms++)
    {
      g_assert_cmpuint (waited_ms, <, 20000);
      g_usleep (1000);
    }
  g_usleep (300 * 1000);
  g_assert_cmpuint (g.n_done, ==, 0);
  while (g.n_done < G_N_ELEMENTS (ops))
    g_main_context_iteration (context, TRUE);

  for (guint i = 0; i < G_N_ELEMENTS (ops); i++)
    {
      guint seen = 0;

      g_assert_cmpint (g.ran[i], ==, (int) i);
      for (guint j = 0; j < G_N_ELEMENTS (ops); j++)
        seen += g.order[j] == (int) i;
      g_assert_cmpuint (seen, ==, 1);
      g_assert_nonnull (g.sources[i]);
      g_assert_true (g.sources[i] == g.sources[0]);
    }
}

static gpointer
gathered_thread (gpointer data)
{
  g_autoptr(GMainContext) context = g_main_context_new ();

  g_main_context_push_thread_default (context);
  run_gathered (data, context);
  g_main_context_pop_thread_default (context);
  return NULL;
}

static void
test_results_gathered (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPool) pool = test_pool_new (config);

  run_gathered (pool, NULL);
  /* Another thread's own context gets its results there, not on the main one. */
  g_thread_join (g_thread_new ("gathered", gathered_thread, pool));
}

/* ---- statements that run long --------------------------------------------------- */

/* Async statements share a few workers (about one per processor); statements that
 * run long must not hold up a quick one behind them: once nothing finished for a
 * while, a new statement gets a worker of its own. */
#define ENDLESS "SELECT (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) " \
                "SELECT count(*) FROM c)"

static void
test_long_statements_do_not_hold_up_quick_ones (void)
{
  g_autofree char *path = test_db_path ();
  guint n_long = MAX (g_get_num_processors (), 1) + 1;
  g_autoptr(DbPoolConfig) config = test_config (path, 1, n_long + 2);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree GAsyncResult **long_res = g_new0 (GAsyncResult *, n_long);
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DbRows) rows = NULL;
  gint64 start;

  for (guint i = 0; i < n_long; i++)
    db_pool_query_async (pool, ENDLESS, NULL, cancellable, store_result, &long_res[i]);
  /* Long enough for every endless statement to be running. */
  start = g_get_monotonic_time ();
  while (g_get_monotonic_time () - start < 200 * 1000)
    g_main_context_iteration (NULL, FALSE) ? (void) 0 : g_usleep (1000);

  db_pool_query_async (pool, "SELECT 42", NULL, NULL, store_result, &res);
  test_wait_until (res != NULL, 10000);
  rows = db_pool_query_finish (pool, res, &error);
  g_assert_no_error (error);
  g_assert_cmpint (db_rows_get_int64 (rows, 0, 0), ==, 42);
  for (guint i = 0; i < n_long; i++)
    g_assert_null (long_res[i]);

  g_cancellable_cancel (cancellable);
  for (guint i = 0; i < n_long; i++)
    {
      g_autoptr(GError) cancelled = NULL;

      test_wait_until (long_res[i] != NULL, 20000);
      g_assert_null (db_pool_query_finish (pool, long_res[i], &cancelled));
      g_assert_error (cancelled, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_clear_object (&long_res[i]);
    }
}

/* A waiter queued with no timeout and no cancellable has no GSource holding its task:
 * the queue itself must keep it alive (a use-after-free found under valgrind). */
static gpointer
short_write (DbConnection  *conn,
             gpointer       data,
             GCancellable  *cancellable,
             GError       **error)
{
  g_usleep (2000);
  return GINT_TO_POINTER (1);
}

static void
count_run (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (db_pool_run_finish (DB_POOL (source), result, &error) == GINT_TO_POINTER (1));
  g_assert_no_error (error);
  (*(int *) data)++;
}

static void
test_queued_without_timeout (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 2);
  g_autoptr(DbPool) pool = NULL;
  int done = 0;

  db_pool_config_set_connection_timeout_ms (config, 0);
  pool = test_pool_new (config);
  for (int i = 0; i < 8; i++)
    db_pool_run_async (pool, DB_ACCESS_WRITE, short_write, NULL, NULL, NULL, count_run, &done);
  test_wait_until (done == 8, 20000);
}

/* ---- timeout and cancellation -------------------------------------------------- */

static void
test_async_timeout_and_cancel (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) held = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(DbPoolStats) stats = NULL;

  db_pool_config_set_connection_timeout_ms (config, 50);
  pool = test_pool_new (config);
  held = db_pool_acquire (pool, DB_ACCESS_WRITE, NULL, &error);
  g_assert_no_error (error);

  db_pool_acquire_async (pool, DB_ACCESS_READ, NULL, store_result, &res);
  await_result (res);
  g_assert_null (db_pool_acquire_finish (pool, res, &error));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_TIMEOUT);
  g_clear_error (&error);
  g_clear_object (&res);

  db_pool_query_async (pool, "SELECT 1", NULL, cancellable, store_result, &res);
  g_cancellable_cancel (cancellable);
  await_result (res);
  g_assert_null (db_pool_query_finish (pool, res, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_clear_object (&res);

  stats = db_pool_get_stats (pool);
  g_assert_cmpuint (stats->timeouts, ==, 1);
  g_assert_cmpuint (stats->waiting_requests, ==, 0);
  g_assert_cmpuint (stats->current_active_connections, ==, 1);
  g_clear_object (&held);
  g_clear_pointer (&stats, db_pool_stats_free);

  stats = db_pool_get_stats (pool);
  g_assert_cmpuint (stats->current_idle_connections, ==, 1);
}

static gboolean
cancel_later (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

static void
test_cancel_running_statement (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 2);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(DbRows) rows = NULL;
  gint64 start = g_get_monotonic_time ();

  /* A statement that would run for minutes. */
  db_pool_query_async (pool,
                       "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                       "SELECT count(*) FROM c WHERE x < 0",
                       NULL, cancellable, store_result, &res);
  g_timeout_add (100, cancel_later, cancellable);
  await_result (res);
  g_assert_null (db_pool_query_finish (pool, res, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 20 * G_USEC_PER_SEC);
  g_clear_object (&res);
  g_clear_error (&error);

  /* The connection it ran on is fine afterwards. */
  db_pool_query_async (pool, "SELECT 42", NULL, NULL, store_result, &res);
  await_result (res);
  rows = db_pool_query_finish (pool, res, &error);
  g_assert_no_error (error);
  g_assert_cmpint (db_rows_get_int64 (rows, 0, 0), ==, 42);
}

static gboolean
cancel_and_reset_later (gpointer data)
{
  g_cancellable_cancel (data);
  g_cancellable_reset (data);
  return G_SOURCE_REMOVE;
}

/* An interruption is a cancellation even if the cancellable was reset meanwhile. */
static void
test_cancel_then_reset (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 2);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();

  db_pool_query_async (pool,
                       "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                       "SELECT count(*) FROM c WHERE x < 0",
                       NULL, cancellable, store_result, &res);
  g_timeout_add (100, cancel_and_reset_later, cancellable);
  await_result (res);
  g_assert_null (db_pool_query_finish (pool, res, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* Cancels racing with handoffs: whatever wins, no connection is lost. */
static void
test_cancel_races_handoff (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(GError) error = NULL;
  g_autoptr(DbPoolStats) stats = NULL;

  for (int i = 0; i < 200; i++)
    {
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();
      g_autoptr(GAsyncResult) res = NULL;
      DbConnection *held = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
      DbConnection *got;

      g_assert_no_error (error);
      db_pool_acquire_async (pool, DB_ACCESS_READ, cancellable, store_result, &res);
      /* release and cancel back to back */
      if (i % 2)
        {
          g_object_unref (held);
          g_cancellable_cancel (cancellable);
        }
      else
        {
          g_cancellable_cancel (cancellable);
          g_object_unref (held);
        }
      await_result (res);
      got = db_pool_acquire_finish (pool, res, &error);
      if (got == NULL)
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
          g_clear_error (&error);
        }
      g_clear_object (&got);
    }

  /* Let GTask drop any lease it was handed after a cancel. */
  test_wait_until (({ DbPoolStats *s = db_pool_get_stats (pool);
                      gboolean ok = s->current_idle_connections == 1 && s->current_active_connections == 0;
                      db_pool_stats_free (s); ok; }), 5000);
  stats = db_pool_get_stats (pool);
  g_assert_cmpuint (stats->total_connections_created, ==, 1);
}

/* ---- notify:: ------------------------------------------------------------------ */

typedef struct
{
  guint    notifications;
  gboolean off_thread;
  guint64  last_total_requests;
} NotifyLog;

static void
on_notify (GObject    *object,
           GParamSpec *pspec,
           gpointer    data)
{
  NotifyLog *log = data;

  log->notifications++;
  if (g_thread_self () != main_thread)
    log->off_thread = TRUE;
  if (g_str_equal (pspec->name, "total-requests"))
    g_object_get (object, "total-requests", &log->last_total_requests, NULL);
}

typedef struct
{
  DbPool *pool;
  int     ops;
} Burst;

static gpointer
burst_thread (gpointer data)
{
  Burst *b = data;

  for (int i = 0; i < b->ops; i++)
    {
      g_autoptr(GError) error = NULL;
      DbConnection *conn = db_pool_acquire (b->pool, i % 10 ? DB_ACCESS_READ : DB_ACCESS_WRITE, NULL, &error);

      g_assert_no_error (error);
      g_object_unref (conn);
    }
  return NULL;
}

static void
test_notify_on_owner_thread_coalesced (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 2, 4);
  g_autoptr(DbPool) pool = test_pool_new (config);
  NotifyLog log = { 0 };
  Burst burst = { pool, 5000 };
  GThread *threads[2];
  gboolean joined = FALSE;

  g_signal_connect (pool, "notify", G_CALLBACK (on_notify), &log);

  threads[0] = g_thread_new ("burst", burst_thread, &burst);
  threads[1] = g_thread_new ("burst", burst_thread, &burst);
  /* Keep the owner loop running while the workers hammer the pool. */
  while (!joined)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (200);
      joined = ({ DbPoolStats *s = db_pool_get_stats (pool);
                  gboolean done = s->total_requests >= 10000;
                  db_pool_stats_free (s); done; });
    }
  g_thread_join (threads[0]);
  g_thread_join (threads[1]);

  /* The final values arrive too. */
  test_wait_until (log.last_total_requests == 10000, 5000);

  g_assert_false (log.off_thread);
  /* The count grows with how long the burst takes (one dispatch per 16 ms at most):
   * printed so that a slow run (valgrind, a loaded machine) shows its margin. */
  g_test_message ("%u notifications for 10000 acquires and releases", log.notifications);
  g_assert_cmpuint (log.notifications, >, 0);
  /* 10 000 acquires and 10 000 releases: coalesced into far fewer emissions. */
  g_assert_cmpuint (log.notifications, <, 10000 / 10);
}

/* Without a running main loop nothing is emitted, not even from worker threads. */
static void
test_no_notify_without_owner_loop (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 2);
  g_autoptr(DbPool) pool = test_pool_new (config);
  NotifyLog log = { 0 };
  Burst burst = { pool, 100 };
  GThread *thread;

  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_signal_connect (pool, "notify", G_CALLBACK (on_notify), &log);
  thread = g_thread_new ("burst", burst_thread, &burst);
  g_thread_join (thread);
  g_assert_cmpuint (log.notifications, ==, 0);

  test_wait_until (log.last_total_requests == 100, 5000);
  g_assert_false (log.off_thread);
}

/* ---- close_async --------------------------------------------------------------- */

static void
test_close_async_waits_for_leases (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 2, 2);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GAsyncResult) close_res = NULL;
  g_autoptr(GError) error = NULL;
  DbConnection *held;

  held = db_pool_acquire (pool, DB_ACCESS_WRITE, NULL, &error);
  g_assert_no_error (error);
  db_pool_close_async (pool, NULL, store_result, &close_res);

  /* New work fails at once. */
  db_pool_query_async (pool, "SELECT 1", NULL, NULL, store_result, &res);
  await_result (res);
  g_assert_null (db_pool_query_finish (pool, res, &error));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_CLOSED);
  g_clear_error (&error);

  /* The close waits for the outstanding lease. */
  for (int i = 0; i < 20; i++)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_assert_null (close_res);

  g_object_unref (held);
  await_result (close_res);
  g_assert_true (db_pool_close_finish (pool, close_res, &error));
  g_assert_no_error (error);
  {
    g_autoptr(DbPoolStats) stats = db_pool_get_stats (pool);

    g_assert_cmpuint (stats->total_connections_destroyed, ==, stats->total_connections_created);
    g_assert_cmpuint (stats->current_idle_connections, ==, 0);
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  main_thread = g_thread_self ();

  g_test_add_func ("/pool-async/new-and-acquire", test_async_new_and_acquire);
  g_test_add_func ("/pool-async/new-error", test_async_new_error);
  g_test_add_func ("/pool-async/execute-query", test_execute_query_async);
  g_test_add_func ("/pool-async/run", test_run_async);
  g_test_add_func ("/pool-async/results-gathered", test_results_gathered);
  g_test_add_func ("/pool-async/long-statements", test_long_statements_do_not_hold_up_quick_ones);
  g_test_add_func ("/pool-async/queued-without-timeout", test_queued_without_timeout);
  g_test_add_func ("/pool-async/timeout-and-cancel", test_async_timeout_and_cancel);
  g_test_add_func ("/pool-async/cancel-running-statement", test_cancel_running_statement);
  g_test_add_func ("/pool-async/cancel-then-reset", test_cancel_then_reset);
  g_test_add_func ("/pool-async/cancel-races-handoff", test_cancel_races_handoff);
  g_test_add_func ("/pool-async/notify-owner-thread-coalesced", test_notify_on_owner_thread_coalesced);
  g_test_add_func ("/pool-async/no-notify-without-owner-loop", test_no_notify_without_owner_loop);
  g_test_add_func ("/pool-async/close-async-waits", test_close_async_waits_for_leases);

  return g_test_run ();
}
