/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The asynchronous contenders: K operations in flight from this thread's main loop,
 * each issued again from the callback of the one before. */
#include <string.h>

#include "bench.h"

/* The floor of that design, for comparison: the same two thread hops as
 * query_async (a job on a GThreadPool, a GTask result delivered on this thread's
 * main context) around the same prepared statements on raw handles, and nothing
 * else: no pool, no lease, no GVariant, no DbRows. */
typedef struct
{
  sqlite3      *db;
  sqlite3_stmt *read_stmt;
  sqlite3_stmt *write_stmt;
} RawConn;

typedef struct
{
  GMutex       lock;
  GPtrArray   *idle;      /* RawConn */
  GThreadPool *workers;
} HopLimit;

typedef struct
{
  const BenchSpec *spec;
  DbPool          *pool;
  HopLimit        *limit;
  BenchResult     *result;
  guint64          target;
  guint64          issued;
  guint64          completed;
  guint64          reads;
  guint64          writes;
  gint64           deadline_ns;
  gint64           end_ns;
  gboolean         record;
  guint64          rng;
} AsyncRun;

typedef struct
{
  AsyncRun *run;
  gint64    start_ns;
  gint64    key;
} AsyncOp;

static gboolean async_issue (AsyncRun *run);

static void
async_complete (AsyncOp  *op,
                gboolean  write,
                gboolean  ok)
{
  AsyncRun *run = op->run;
  gint64 now = bench_now_ns ();

  if (run->record)
    {
      gint64 elapsed = now - op->start_ns;

      g_array_append_val (write ? run->result->write_latency_ns : run->result->read_latency_ns,
                          elapsed);
    }
  if (ok && write)
    run->writes++;
  else if (ok)
    run->reads++;
  run->completed++;
  run->end_ns = now;
  g_free (op);

  async_issue (run);
}

static void
async_read_done (GObject      *source,
                 GAsyncResult *res,
                 gpointer      data)
{
  AsyncOp *op = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(DbRows) rows = db_pool_query_finish (DB_POOL (source), res, &error);
  gboolean ok = rows != NULL && db_rows_get_n_rows (rows) == 1 &&
                db_rows_get_string (rows, 0, 0) != NULL &&
                db_rows_get_int64 (rows, 0, 1) == bench_item_value (op->key);

  if (error != NULL)
    bench_note_error (op->run->result, error->message);
  else if (!ok)
    bench_note_error (op->run->result, "a point read returned the wrong row");
  async_complete (op, FALSE, ok);
}

static void
async_write_done (GObject      *source,
                  GAsyncResult *res,
                  gpointer      data)
{
  AsyncOp *op = data;
  g_autoptr(GError) error = NULL;
  gint64 changes = db_pool_execute_finish (DB_POOL (source), res, NULL, &error);

  if (error != NULL)
    bench_note_error (op->run->result, error->message);
  async_complete (op, TRUE, changes == 1);
}

typedef struct
{
  gboolean write;
  gint64   key;
} HopJob;

static void
hop_job (gpointer data,
         gpointer user_data)
{
  GTask *task = data;
  HopLimit *limit = user_data;
  HopJob *job = g_task_get_task_data (task);
  BenchErrors errors = { 0 };
  RawConn *c;
  gboolean ok;

  g_mutex_lock (&limit->lock);
  c = g_ptr_array_steal_index_fast (limit->idle, limit->idle->len - 1);
  g_mutex_unlock (&limit->lock);

  ok = job->write ? bench_stmt_write (c->db, c->write_stmt, job->key, &errors)
                  : bench_stmt_read (c->db, c->read_stmt, job->key, &errors);

  g_mutex_lock (&limit->lock);
  g_ptr_array_add (limit->idle, c);
  g_mutex_unlock (&limit->lock);

  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_new_error (task, DB_POOL_ERROR, DB_POOL_ERROR_SQL, "%s",
                             errors.first ? errors.first : "failed");
  bench_errors_clear (&errors);
  g_object_unref (task);
}

static void
async_hop_done (GObject      *source,
                GAsyncResult *res,
                gpointer      data)
{
  AsyncOp *op = data;
  HopJob *job = g_task_get_task_data (G_TASK (res));
  g_autoptr(GError) error = NULL;
  gboolean write = job->write;
  gboolean ok = g_task_propagate_boolean (G_TASK (res), &error);

  if (error != NULL)
    bench_note_error (op->run->result, error->message);
  async_complete (op, write, ok);
}

static gboolean
async_issue (AsyncRun *run)
{
  const BenchSpec *spec = run->spec;
  AsyncOp *op;
  guint64 r;
  gboolean write;

  if (run->issued >= run->target ||
      (run->deadline_ns != 0 && bench_now_ns () > run->deadline_ns))
    return FALSE;

  r = bench_rand (&run->rng);
  write = (r % 1000) < spec->write_permille;
  op = g_new (AsyncOp, 1);
  op->run = run;
  op->key = 1 + (gint64) ((r >> 20) % spec->n_items);
  run->issued++;
  op->start_ns = bench_now_ns ();
  if (run->limit != NULL)
    {
      GTask *task = g_task_new (NULL, NULL, async_hop_done, op);
      HopJob *job = g_new (HopJob, 1);

      job->write = write;
      job->key = op->key;
      g_task_set_task_data (task, job, g_free);
      g_thread_pool_push (run->limit->workers, task, NULL);
    }
  else if (write)
    db_pool_execute_async (run->pool, BENCH_SQL_INSERT,
                           g_variant_new ("(xs)", op->key, BENCH_PAYLOAD),
                           NULL, async_write_done, op);
  else
    db_pool_query_async (run->pool, BENCH_SQL_READ, g_variant_new ("(x)", op->key),
                         NULL, async_read_done, op);
  return TRUE;
}

static double
async_phase (AsyncRun *run,
             guint64   ops,
             double    max_seconds,
             gboolean  record)
{
  gint64 start_ns;

  run->target = ops;
  run->issued = run->completed = run->reads = run->writes = 0;
  run->record = record;
  start_ns = bench_now_ns ();
  run->end_ns = start_ns;
  run->deadline_ns = max_seconds > 0 ? start_ns + (gint64) (max_seconds * 1e9) : 0;

  for (guint i = 0; i < MAX (run->spec->threads, 1); i++)
    if (!async_issue (run))
      break;
  while (run->completed < run->issued)
    g_main_context_iteration (NULL, TRUE);

  return (double) (run->end_ns - start_ns) / 1e9;
}

/* An untimed warm-up, then the measured phase, into @result: the same for the pool
 * and for its limit. */
static void
run_phases (AsyncRun        *run,
            const BenchSpec *spec,
            BenchResult     *result)
{
  gint64 cpu_start;

  result->read_latency_ns = g_array_new (FALSE, FALSE, sizeof (gint64));
  result->write_latency_ns = g_array_new (FALSE, FALSE, sizeof (gint64));

  if (spec->warmup_ops > 0)
    async_phase (run, spec->warmup_ops, spec->max_seconds / 4, FALSE);
  /* Only the measured phase's errors count. */
  result->errors = 0;
  g_clear_pointer (&result->first_error, g_free);

  cpu_start = bench_cpu_ns ();
  result->seconds = async_phase (run, spec->ops, spec->max_seconds, spec->record_latency);
  result->cpu_seconds = (bench_cpu_ns () - cpu_start) / 1e9;
  result->reads = run->reads;
  result->writes = run->writes;
  result->ops = run->reads + run->writes;
  result->ops_per_s = result->seconds > 0 ? result->ops / result->seconds : 0;

  if (!spec->record_latency)
    {
      g_clear_pointer (&result->read_latency_ns, g_array_unref);
      g_clear_pointer (&result->write_latency_ns, g_array_unref);
    }
}

gboolean
bench_run_async (const BenchSpec  *spec,
           BenchResult      *result,
           GError          **error)
{
  g_autoptr(DbPoolConfig) config = bench_pool_config (spec);
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(DbPoolStats) stats = NULL;
  AsyncRun run = { .spec = spec, .result = result };

  pool = db_pool_new (config, NULL, error);
  if (pool == NULL)
    return FALSE;
  run.pool = pool;
  run.rng = spec->seed * 0x9E3779B97F4A7C15ULL + 1;

  run_phases (&run, spec, result);

  stats = db_pool_get_stats (pool);
  result->pool_requests = stats->total_requests;
  result->pool_connections_created = stats->total_connections_created;

  db_pool_close (pool);
  /* Let the pool's last main-context work (stats notifications) run. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  return TRUE;
}

static void
raw_conn_free (gpointer data)
{
  RawConn *c = data;

  sqlite3_finalize (c->read_stmt);
  sqlite3_finalize (c->write_stmt);
  sqlite3_close (c->db);
  g_free (c);
}

gboolean
bench_run_async_limit (const BenchSpec  *spec,
                 BenchResult      *result,
                 GError          **error)
{
  HopLimit limit = { 0 };
  AsyncRun run = { .spec = spec, .result = result, .limit = &limit };
  guint n = MAX (spec->threads, 1);
  gboolean ok = FALSE;

  g_mutex_init (&limit.lock);
  limit.idle = g_ptr_array_new_with_free_func (raw_conn_free);
  for (guint i = 0; i < n; i++)
    {
      RawConn *c = g_new0 (RawConn, 1);

      g_ptr_array_add (limit.idle, c);
      c->db = bench_open_db (spec->db_path, spec->synchronous, error);
      if (c->db == NULL || !bench_prepare_statements (c->db, &c->read_stmt, &c->write_stmt, error))
        goto out;
    }
  /* Sized as the pool sizes its own. */
  limit.workers = g_thread_pool_new (hop_job, &limit, (int) MIN (n, spec->pool_max_connections) + 1,
                                     FALSE, NULL);
  run.rng = spec->seed * 0x9E3779B97F4A7C15ULL + 1;
  run_phases (&run, spec, result);
  ok = TRUE;

out:
  if (limit.workers != NULL)
    g_thread_pool_free (limit.workers, FALSE, TRUE);
  g_ptr_array_unref (limit.idle);
  g_mutex_clear (&limit.lock);
  return ok;
}

