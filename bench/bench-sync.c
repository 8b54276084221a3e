/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The blocking contenders on worker threads. Each thread sets itself up and warms up
 * (its connection, its lease objects, the statement caches) before the clock starts;
 * then all run until the deadline, and the run lasts until the last one stops. The
 * first failure stops a thread and fails the run. */
#include "bench.h"

/* Untimed operations per thread before the measured phase. */
#define WARMUP_OPS 500

typedef struct _Run Run;

typedef struct
{
  Run          *run;
  GThread      *thread;
  guint64       rng;
  guint64       ops;
  gint64        end_ns;
  GError       *error;
  sqlite3      *db;          /* BENCH_RAW: the thread's own connection */
  sqlite3_stmt *stmt[2];     /* read, write */
  DbConnection *kept[2];     /* BENCH_POOL: a read and a write lease object, reacquired */
} Worker;

struct _Run
{
  const BenchSpec *spec;
  DbPool          *pool;
  GMutex           single_lock;   /* BENCH_SINGLE: one handle for every thread */
  sqlite3         *single;
  sqlite3_stmt    *single_stmt[2];

  GMutex           lock;
  GCond            cond;
  guint            n_ready;
  gboolean         go;
  gint64           deadline_ns;
};

static gboolean
op_open_per_op (Worker    *w,
                gboolean   write,
                gint64     key,
                GError   **error)
{
  sqlite3_stmt *stmt = NULL;
  sqlite3 *db = bench_open_db (w->run->spec->db_path, error);
  gboolean ok = db != NULL && bench_prepare (db, write, &stmt, error) &&
                bench_raw_op (db, stmt, write, key, error);

  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return ok;
}

/* The fast path: the thread's lease object for this access kind, reacquired (the
 * first use creates it), a DbStatement from the connection's cache with typed binds
 * and getters, given back before the lease is released. */
static gboolean
op_pool (Worker    *w,
         gboolean   write,
         gint64     key,
         GError   **error)
{
  DbConnection **lease = &w->kept[write];
  DbStatement *stmt;
  gboolean ok;

  if (*lease != NULL ? !db_connection_reacquire (*lease, NULL, error)
      : (*lease = db_pool_acquire (w->run->pool, write ? DB_ACCESS_WRITE : DB_ACCESS_READ,
                                   NULL, error)) == NULL)
    return FALSE;
  stmt = db_connection_prepare (*lease, write ? BENCH_SQL_INSERT : BENCH_SQL_READ, error);
  ok = stmt != NULL && db_statement_bind_int64 (stmt, 1, key, error) &&
       bench_check (write ? db_statement_bind_text (stmt, 2, BENCH_PAYLOAD, error) &&
                            db_statement_execute (stmt, error) == 1
                          : db_statement_step (stmt, error) &&
                            db_statement_get_string (stmt, 0) != NULL &&
                            db_statement_get_int64 (stmt, 1) == bench_item_value (key), error);
  g_clear_pointer (&stmt, db_statement_unref);
  db_connection_release (*lease);
  return ok;
}

/* The everyday API: a new lease per operation, a GVariant tuple of parameters, the
 * rows copied into a DbRows. */
static gboolean
op_pool_everyday (Worker    *w,
                  gboolean   write,
                  gint64     key,
                  GError   **error)
{
  g_autoptr(DbConnection) lease = NULL;
  g_autoptr(DbRows) rows = NULL;
  gboolean ok;

  lease = db_pool_acquire (w->run->pool, write ? DB_ACCESS_WRITE : DB_ACCESS_READ, NULL, error);
  if (lease == NULL)
    return FALSE;
  if (write)
    ok = db_connection_execute (lease, BENCH_SQL_INSERT,
                                g_variant_new ("(xs)", key, BENCH_PAYLOAD), error) == 1;
  else
    ok = (rows = db_connection_query (lease, BENCH_SQL_READ, g_variant_new ("(x)", key), error)) != NULL &&
         db_rows_get_n_rows (rows) == 1 && db_rows_get_string (rows, 0, 0) != NULL &&
         db_rows_get_int64 (rows, 0, 1) == bench_item_value (key);
  db_connection_release (lease);
  return bench_check (ok, error);
}

/* The exclusive contenders: the same pool as bench_pool_new() makes, in exclusive
 * mode. Nothing else of this process may have the file open meanwhile (the pool
 * would refuse it): every other contender closes its handles when its run ends. */
static DbPool *
pool_new_exclusive (const BenchSpec  *spec,
                    GError          **error)
{
  g_autoptr(DbPoolConfig) config = db_pool_config_new (spec->db_path);

  bench_tuning_apply (&spec->tuning);
  db_pool_config_set_min_connections (config, 2);
  db_pool_config_set_max_connections (config, spec->max_connections);
  db_pool_config_set_exclusive (config, TRUE);
  return db_pool_new (config, NULL, error);
}

static gboolean
run_op (Worker *w)
{
  Run *run = w->run;
  guint64 r = bench_rand (&w->rng);
  gboolean write = (r % 1000) < run->spec->write_permille;
  gint64 key = 1 + (gint64) ((r >> 20) % BENCH_N_ITEMS);
  gboolean ok;

  if (run->spec->contender == BENCH_RAW)
    ok = bench_raw_op (w->db, w->stmt[write], write, key, &w->error);
  else if (run->spec->contender == BENCH_OPEN_PER_OP)
    ok = op_open_per_op (w, write, key, &w->error);
  else if (run->spec->contender == BENCH_POOL || run->spec->contender == BENCH_POOL_EXCLUSIVE)
    ok = op_pool (w, write, key, &w->error);
  else if (run->spec->contender == BENCH_POOL_EVERYDAY ||
           run->spec->contender == BENCH_POOL_EVERYDAY_EXCLUSIVE)
    ok = op_pool_everyday (w, write, key, &w->error);
  else
    {
      g_mutex_lock (&run->single_lock);
      ok = bench_raw_op (run->single, run->single_stmt[write], write, key, &w->error);
      g_mutex_unlock (&run->single_lock);
    }
  w->ops += ok;
  return ok;
}

static gpointer
worker_thread (gpointer data)
{
  Worker *w = data;
  Run *run = w->run;
  /* Open-per-op pays its whole cost on every operation; nothing to warm up. */
  guint warmup = run->spec->contender == BENCH_OPEN_PER_OP ? 1 : WARMUP_OPS;
  gboolean ok = run->spec->contender != BENCH_RAW ||
                ((w->db = bench_open_db (run->spec->db_path, &w->error)) != NULL &&
                 bench_prepare (w->db, FALSE, &w->stmt[0], &w->error) &&
                 bench_prepare (w->db, TRUE, &w->stmt[1], &w->error));

  for (guint i = 0; ok && i < warmup; i++)
    ok = run_op (w);
  w->ops = 0;

  g_mutex_lock (&run->lock);
  run->n_ready++;
  g_cond_broadcast (&run->cond);
  while (!run->go)
    g_cond_wait (&run->cond, &run->lock);
  g_mutex_unlock (&run->lock);

  /* The clock is cheap (vDSO) next to an operation; reading it after every one keeps
   * slow contenders from overrunning the deadline. */
  while (ok && bench_now_ns () < run->deadline_ns)
    ok = run_op (w);
  w->end_ns = bench_now_ns ();

  g_clear_object (&w->kept[0]);
  g_clear_object (&w->kept[1]);
  sqlite3_finalize (w->stmt[0]);
  sqlite3_finalize (w->stmt[1]);
  sqlite3_close (w->db);
  return NULL;
}

gboolean
bench_run_sync (const BenchSpec  *spec,
                BenchResult      *result,
                GError          **error)
{
  Run run = { .spec = spec };
  g_autofree Worker *workers = g_new0 (Worker, spec->threads);
  gboolean exclusive = spec->contender == BENCH_POOL_EXCLUSIVE ||
                       spec->contender == BENCH_POOL_EVERYDAY_EXCLUSIVE;
  gboolean pool = exclusive || spec->contender == BENCH_POOL ||
                  spec->contender == BENCH_POOL_EVERYDAY;
  gboolean ok = TRUE;
  guint64 ops = 0;
  gint64 start_ns, end_ns = 0;

  g_mutex_init (&run.single_lock);
  g_mutex_init (&run.lock);
  g_cond_init (&run.cond);
  if (spec->contender == BENCH_SINGLE)
    ok = (run.single = bench_open_db (spec->db_path, error)) != NULL &&
         bench_prepare (run.single, FALSE, &run.single_stmt[0], error) &&
         bench_prepare (run.single, TRUE, &run.single_stmt[1], error);
  else if (pool)
    ok = (run.pool = exclusive ? pool_new_exclusive (spec, error) : bench_pool_new (spec, error)) != NULL;

  for (guint i = 0; ok && i < spec->threads; i++)
    {
      workers[i].run = &run;
      workers[i].rng = g_random_int () | ((guint64) (i + 1) << 32);
      workers[i].thread = g_thread_new ("bench-worker", worker_thread, &workers[i]);
    }

  g_mutex_lock (&run.lock);
  while (ok && run.n_ready < spec->threads)
    g_cond_wait (&run.cond, &run.lock);
  start_ns = bench_now_ns ();
  run.deadline_ns = start_ns + (gint64) (spec->seconds * 1e9);
  run.go = TRUE;
  g_cond_broadcast (&run.cond);
  g_mutex_unlock (&run.lock);

  for (guint i = 0; ok && i < spec->threads; i++)
    {
      g_thread_join (workers[i].thread);
      ops += workers[i].ops;
      end_ns = MAX (end_ns, workers[i].end_ns);
    }
  for (guint i = 0; i < spec->threads; i++)
    ok = bench_keep_first_error (error, &workers[i].error) && ok;
  result->ops_per_s = ops / ((end_ns - start_ns) / 1e9);

  if (pool)
    bench_pool_close (g_steal_pointer (&run.pool));
  sqlite3_finalize (run.single_stmt[0]);
  sqlite3_finalize (run.single_stmt[1]);
  sqlite3_close (run.single);
  g_mutex_clear (&run.single_lock);
  g_mutex_clear (&run.lock);
  g_cond_clear (&run.cond);
  return ok;
}
