/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The asynchronous contenders: N operations in flight from this thread's main loop,
 * each completed one submitting the next, every round trip timed from call to callback.
 *
 * Their floor (BENCH_HOP) makes the same two thread hops as query_async, a job on a
 * GThreadPool and a GTask result delivered on this thread's main context, around the
 * same prepared statement on raw connections, and nothing else: no pool, no lease,
 * no GVariant, no DbRows.
 *
 * BENCH_GOM is gom 0.4's GomAdapter, what a GNOME application would otherwise use:
 * one adapter thread that drains its queue of reads, each on the adapter's own
 * connection with the same prepared statement, its result a GTask returned on this
 * thread's main context. Built only when gom-1.0 is found. */
#include "bench.h"

#ifdef BENCH_HAVE_GOM
#include <gom/gom.h>
#endif

typedef struct
{
  sqlite3      *db;
  sqlite3_stmt *stmt[2];
} RawConn;

typedef struct
{
  const BenchSpec *spec;
  DbPool          *pool;           /* BENCH_ASYNC */
  GThreadPool     *workers;        /* BENCH_HOP */
  gpointer         gom;            /* BENCH_GOM: a GomAdapter */
  sqlite3_stmt    *gom_stmt[2];    /* prepared on the adapter's thread, first use */
  gint             gom_closing;    /* atomic: until the adapter thread finalized them */
  GMutex           idle_lock;
  GPtrArray       *idle;           /* RawConn, BENCH_HOP */
  guint64          rng;
  guint            in_flight;
  gint64           deadline_ns;
  gint64           end_ns;
  GArray          *latency_ns;     /* double, measured phase only */
  GError          *error;          /* the first failure, which stops the run */
} AsyncRun;

typedef struct
{
  AsyncRun *run;
  gint64    start_ns;
  gint64    key;
  gboolean  write;
} AsyncOp;

static void submit (AsyncRun *run);

static void
done (GObject      *source,
      GAsyncResult *res,
      gpointer      data)
{
  AsyncOp *op = data;
  AsyncRun *run = op->run;
  g_autoptr(GError) error = NULL;
  g_autoptr(DbRows) rows = NULL;
  gboolean ok;

  if (run->workers != NULL || run->gom != NULL)
    ok = g_task_propagate_boolean (G_TASK (res), &error);
  else if (op->write)
    ok = db_pool_execute_finish (DB_POOL (source), res, NULL, &error) == 1;
  else
    ok = (rows = db_pool_query_finish (DB_POOL (source), res, &error)) != NULL &&
         db_rows_get_n_rows (rows) == 1 && db_rows_get_string (rows, 0, 0) != NULL &&
         db_rows_get_int64 (rows, 0, 1) == bench_item_value (op->key);
  run->end_ns = bench_now_ns ();
  bench_check (ok, &error);
  bench_keep_first_error (&run->error, &error);
  if (ok && run->latency_ns != NULL)
    {
      double ns = (double) (run->end_ns - op->start_ns);

      g_array_append_val (run->latency_ns, ns);
    }
  run->in_flight--;
  g_free (op);
  submit (run);
}

/* On a GThreadPool worker: a raw connection from the idle stack, the statement, the
 * GTask's result back to the main context that started it. */
static void
hop_job (gpointer data,
         gpointer user_data)
{
  g_autoptr(GTask) task = data;
  AsyncRun *run = user_data;
  AsyncOp *op = g_task_get_task_data (task);
  GError *error = NULL;
  RawConn *c;

  g_mutex_lock (&run->idle_lock);
  c = g_ptr_array_steal_index_fast (run->idle, run->idle->len - 1);
  g_mutex_unlock (&run->idle_lock);
  bench_raw_op (c->db, c->stmt[op->write], op->write, op->key, &error);
  g_mutex_lock (&run->idle_lock);
  g_ptr_array_add (run->idle, c);
  g_mutex_unlock (&run->idle_lock);

  if (error == NULL)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

#ifdef BENCH_HAVE_GOM
/* On gom's adapter thread, which owns the handle: the same raw read as hop_job. */
static void
gom_job (GomAdapter *adapter,
         gpointer    data)
{
  g_autoptr(GTask) task = data;
  AsyncOp *op = g_task_get_task_data (task);
  AsyncRun *run = op->run;
  sqlite3 *db = gom_adapter_get_handle (adapter);
  sqlite3_stmt **stmt = &run->gom_stmt[op->write];
  GError *error = NULL;

  if (*stmt != NULL || bench_prepare (db, op->write, stmt, &error))
    bench_raw_op (db, *stmt, op->write, op->key, &error);
  if (error == NULL)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
gom_finalize_job (GomAdapter *adapter,
                  gpointer    data)
{
  AsyncRun *run = data;

  g_clear_pointer (&run->gom_stmt[0], sqlite3_finalize);
  g_clear_pointer (&run->gom_stmt[1], sqlite3_finalize);
  g_atomic_int_set (&run->gom_closing, FALSE);
  g_main_context_wakeup (NULL);
}
#endif

static void
submit (AsyncRun *run)
{
  guint64 r;
  AsyncOp *op;

  if (run->error != NULL || bench_now_ns () >= run->deadline_ns)
    return;
  r = bench_rand (&run->rng);
  op = g_new (AsyncOp, 1);
  op->run = run;
  op->write = (r % 1000) < run->spec->write_permille;
  op->key = 1 + (gint64) ((r >> 20) % BENCH_N_ITEMS);
  op->start_ns = bench_now_ns ();
  run->in_flight++;
  if (run->workers != NULL)
    {
      GTask *task = g_task_new (NULL, NULL, done, op);

      g_task_set_task_data (task, op, NULL);
      g_thread_pool_push (run->workers, task, NULL);
    }
#ifdef BENCH_HAVE_GOM
  else if (run->gom != NULL)
    {
      GTask *task = g_task_new (NULL, NULL, done, op);

      g_task_set_task_data (task, op, NULL);
      if (op->write)
        gom_adapter_queue_write (run->gom, gom_job, task);
      else
        gom_adapter_queue_read (run->gom, gom_job, task);
    }
#endif
  else if (op->write)
    db_pool_execute_async (run->pool, BENCH_SQL_INSERT,
                           g_variant_new ("(xs)", op->key, BENCH_PAYLOAD), NULL, done, op);
  else
    db_pool_query_async (run->pool, BENCH_SQL_READ, g_variant_new ("(x)", op->key), NULL, done, op);
}

/* Until @seconds have passed and the last operation in flight has completed. */
static double
phase (AsyncRun *run,
       double    seconds)
{
  gint64 start_ns = bench_now_ns ();

  run->deadline_ns = start_ns + (gint64) (seconds * 1e9);
  for (guint i = 0; i < run->spec->threads; i++)
    submit (run);
  while (run->in_flight > 0)
    g_main_context_iteration (NULL, TRUE);
  return (run->end_ns - start_ns) / 1e9;
}

static void
raw_conn_free (gpointer data)
{
  RawConn *c = data;

  sqlite3_finalize (c->stmt[0]);
  sqlite3_finalize (c->stmt[1]);
  sqlite3_close (c->db);
  g_free (c);
}

gboolean
bench_run_async (const BenchSpec  *spec,
                 BenchResult      *result,
                 GError          **error)
{
  AsyncRun run = { .spec = spec, .rng = g_random_int () | 1 };
  gboolean ok = TRUE;
  double seconds;

  g_mutex_init (&run.idle_lock);
  run.idle = g_ptr_array_new_with_free_func (raw_conn_free);
  if (spec->contender == BENCH_ASYNC)
    ok = (run.pool = bench_pool_new (spec, error)) != NULL;
#ifdef BENCH_HAVE_GOM
  else if (spec->contender == BENCH_GOM)
    {
      run.gom = gom_adapter_new ();
      ok = gom_adapter_open_sync (run.gom, spec->db_path, error);
    }
#endif
  else
    {
      /* As many connections and threads as the pool would use for this many in flight. */
      guint n = MIN (spec->threads, spec->max_connections);

      for (guint i = 0; ok && i < n; i++)
        {
          RawConn *c = g_new0 (RawConn, 1);

          g_ptr_array_add (run.idle, c);
          ok = (c->db = bench_open_db (spec->db_path, error)) != NULL &&
               bench_prepare (c->db, FALSE, &c->stmt[0], error) &&
               bench_prepare (c->db, TRUE, &c->stmt[1], error);
        }
      run.workers = g_thread_pool_new (hop_job, &run, (int) n, FALSE, NULL);
    }

  if (ok)
    {
      /* A tenth of the time, untimed: threads started, connections opened and warm. */
      phase (&run, spec->seconds / 10);
      run.latency_ns = g_array_new (FALSE, FALSE, sizeof (double));
      seconds = phase (&run, spec->seconds);
      result->ops_per_s = run.latency_ns->len / seconds;
      result->p50_ns = bench_percentile (run.latency_ns, 50);
      result->p99_ns = bench_percentile (run.latency_ns, 99);
      g_array_unref (run.latency_ns);
    }
  ok = bench_keep_first_error (ok ? error : NULL, &run.error) && ok;

  if (run.workers != NULL)
    g_thread_pool_free (run.workers, FALSE, TRUE);
#ifdef BENCH_HAVE_GOM
  if (run.gom != NULL)
    {
      /* The statements belong to the adapter's thread: finalized there, before the
       * handle closes. */
      run.gom_closing = TRUE;
      gom_adapter_queue_read (run.gom, gom_finalize_job, &run);
      while (g_atomic_int_get (&run.gom_closing))
        g_main_context_iteration (NULL, TRUE);
      gom_adapter_close_sync (run.gom, NULL);
      g_clear_object (&run.gom);
    }
#endif
  if (spec->contender == BENCH_ASYNC)
    bench_pool_close (g_steal_pointer (&run.pool));
  g_ptr_array_unref (run.idle);
  g_mutex_clear (&run.idle_lock);
  return ok;
}
