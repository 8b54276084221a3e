/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The group-commit section: single-row inserts, each its own write job, against
 * SQLite's own limit for them (a raw connection committing one row per transaction)
 * at synchronous NORMAL and FULL, all in one run.
 *
 * Contenders: execute_async with 64 in flight (group commit on and off), the
 * blocking db_pool_execute from 4 and 16 threads, and one execute_async alone (its
 * round trip, group commit on and off: a job alone must not wait for company). Each
 * round measures every contender once; the table gives the median rate of the rounds
 * and the median of each round's ratio to that round's raw rate, plus the average
 * batch size (group-commit-jobs / group-commits). */
#include "bench.h"

typedef struct
{
  DbPool   *pool;
  guint     in_flight;
  gint64    end_ns;
  guint64   done;
  guint64   seq;
  GArray   *latency_ns;   /* double */
  GError   *error;
} AsyncDrive;

typedef struct
{
  AsyncDrive *drive;
  gint64      start_ns;
} AsyncInsert;

static GVariant *
insert_params (guint64 seq)
{
  return g_variant_new ("(xs)", (gint64) (seq % BENCH_N_ITEMS) + 1, BENCH_PAYLOAD);
}

static void submit_insert (AsyncDrive *drive);

static void
insert_done (GObject      *source,
             GAsyncResult *res,
             gpointer      data)
{
  g_autofree AsyncInsert *op = data;
  AsyncDrive *drive = op->drive;
  g_autoptr(GError) error = NULL;

  drive->in_flight--;
  if (db_pool_execute_finish (DB_POOL (source), res, NULL, &error) != 1)
    bench_keep_first_error (&drive->error, &error);
  else
    {
      double ns = (double) (bench_now_ns () - op->start_ns);

      drive->done++;
      if (drive->latency_ns != NULL)
        g_array_append_val (drive->latency_ns, ns);
    }
  if (drive->error == NULL && bench_now_ns () < drive->end_ns)
    submit_insert (drive);
}

static void
submit_insert (AsyncDrive *drive)
{
  AsyncInsert *op = g_new0 (AsyncInsert, 1);

  op->drive = drive;
  op->start_ns = bench_now_ns ();
  drive->in_flight++;
  db_pool_execute_async (drive->pool, BENCH_SQL_INSERT, insert_params (drive->seq++), NULL,
                         insert_done, op);
}

static DbPool *
group_pool (const char     *path,
            DbSynchronous   sync,
            gboolean        group_commit,
            GError        **error)
{
  g_autoptr(DbPoolConfig) config = db_pool_config_new (path);

  bench_tuning_apply (NULL);
  db_pool_config_set_synchronous (config, sync);
  db_pool_config_set_group_commit (config, group_commit);
  db_pool_config_set_min_connections (config, 2);
  db_pool_config_set_max_connections (config, 4);
  return db_pool_new (config, NULL, error);
}

static double
batch_size (DbPool *pool)
{
  g_autoptr(DbPoolStats) stats = db_pool_get_stats (pool);

  return stats->group_commits > 0 ? (double) stats->group_commit_jobs / stats->group_commits : 0;
}

/* execute_async, @in_flight at a time: inserts per second; @p50_ns if asked. */
static gboolean
run_async (const char     *path,
           DbSynchronous   sync,
           gboolean        group_commit,
           guint           in_flight,
           double          seconds,
           double         *rate,
           double         *batch,
           double         *p50_ns,
           GError        **error)
{
  g_autoptr(DbPool) pool = group_pool (path, sync, group_commit, error);
  AsyncDrive drive = { 0 };
  gint64 start;

  if (pool == NULL)
    return FALSE;
  drive.pool = pool;
  drive.latency_ns = p50_ns != NULL ? g_array_new (FALSE, FALSE, sizeof (double)) : NULL;
  start = bench_now_ns ();
  drive.end_ns = start + (gint64) (seconds * 1e9);
  for (guint i = 0; i < in_flight; i++)
    submit_insert (&drive);
  while (drive.in_flight > 0)
    g_main_context_iteration (NULL, TRUE);
  *rate = drive.done / ((bench_now_ns () - start) / 1e9);
  *batch = batch_size (pool);
  if (p50_ns != NULL)
    {
      *p50_ns = bench_percentile (drive.latency_ns, 50);
      g_array_unref (drive.latency_ns);
    }
  bench_pool_close (g_steal_pointer (&pool));
  if (drive.error != NULL)
    {
      g_propagate_error (error, drive.error);
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  DbPool  *pool;
  gint64   end_ns;
  guint64  done;       /* atomic */
  guint    index;
  GError  *error;      /* under lock */
  GMutex   lock;
} ThreadDrive;

static gpointer
execute_thread (gpointer data)
{
  ThreadDrive *drive = data;
  guint64 seq = (guint64) g_atomic_int_add (&drive->index, 1) * 1000003;

  while (bench_now_ns () < drive->end_ns)
    {
      g_autoptr(GError) error = NULL;

      if (db_pool_execute (drive->pool, BENCH_SQL_INSERT, insert_params (seq++), NULL, NULL,
                           &error) != 1)
        {
          g_mutex_lock (&drive->lock);
          bench_keep_first_error (&drive->error, &error);
          g_mutex_unlock (&drive->lock);
          break;
        }
      g_atomic_pointer_add (&drive->done, 1);
    }
  return NULL;
}

/* db_pool_execute from @threads threads. */
static gboolean
run_threads (const char     *path,
             DbSynchronous   sync,
             guint           threads,
             double          seconds,
             double         *rate,
             double         *batch,
             GError        **error)
{
  g_autoptr(DbPool) pool = group_pool (path, sync, TRUE, error);
  g_autoptr(GPtrArray) running = g_ptr_array_new ();
  ThreadDrive drive = { 0 };
  gint64 start;

  if (pool == NULL)
    return FALSE;
  g_mutex_init (&drive.lock);
  drive.pool = pool;
  start = bench_now_ns ();
  drive.end_ns = start + (gint64) (seconds * 1e9);
  for (guint i = 0; i < threads; i++)
    g_ptr_array_add (running, g_thread_new ("bench-execute", execute_thread, &drive));
  for (guint i = 0; i < running->len; i++)
    g_thread_join (running->pdata[i]);
  *rate = drive.done / ((bench_now_ns () - start) / 1e9);
  *batch = batch_size (pool);
  bench_pool_close (g_steal_pointer (&pool));
  g_mutex_clear (&drive.lock);
  if (drive.error != NULL)
    {
      g_propagate_error (error, drive.error);
      return FALSE;
    }
  return TRUE;
}

/* SQLite's own limit: one raw connection, a prepared insert, one commit per row. */
static gboolean
run_raw (const char     *path,
         DbSynchronous   sync,
         double          seconds,
         double         *rate,
         GError        **error)
{
  sqlite3 *db = bench_open_db (path, error);
  sqlite3_stmt *stmt = NULL;
  guint64 done = 0;
  gint64 start, end;
  gboolean ok;

  if (db == NULL)
    return FALSE;
  ok = sqlite3_exec (db, sync == DB_SYNCHRONOUS_FULL ? "PRAGMA synchronous=FULL"
                                                     : "PRAGMA synchronous=NORMAL",
                     NULL, NULL, NULL) == SQLITE_OK &&
       bench_prepare (db, TRUE, &stmt, error);
  start = bench_now_ns ();
  end = start + (gint64) (seconds * 1e9);
  while (ok && bench_now_ns () < end)
    {
      ok = bench_raw_op (db, stmt, TRUE, (gint64) (done % BENCH_N_ITEMS) + 1, error);
      done++;
    }
  *rate = done / ((bench_now_ns () - start) / 1e9);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return ok;
}

enum { RAW, ASYNC64, ASYNC64_OFF, EXEC4, EXEC16, N_RATES };
static const char *const rate_names[N_RATES] = {
  "limit: raw sqlite3, one commit per row, 1 thread",
  "dbpool execute_async, 64 in flight, group commit",
  "dbpool execute_async, 64 in flight, group-commit = FALSE",
  "dbpool db_pool_execute, 4 threads, group commit",
  "dbpool db_pool_execute, 16 threads, group commit",
};

gboolean
bench_group_section (const char  *path,
                     double       seconds,
                     guint        rounds,
                     GString     *out,
                     GError     **error)
{
  static const DbSynchronous modes[] = { DB_SYNCHRONOUS_NORMAL, DB_SYNCHRONOUS_FULL };
  double rate[2][N_RATES][16], ratio[2][N_RATES][16], batch[2][N_RATES][16];
  double p50_on[16], p50_off[16], p50_ratio[16], unused;

  rounds = MIN (rounds, 16);
  for (guint r = 0; r < rounds; r++)
    for (guint m = 0; m < G_N_ELEMENTS (modes); m++)
      {
        /* FULL pays an fsync per commit: give it longer to average over. */
        double s = modes[m] == DB_SYNCHRONOUS_FULL ? seconds * 2 : seconds;

        g_printerr ("dbpool-bench: group commit, round %u of %u, %s\n", r + 1, rounds,
                    m == 0 ? "NORMAL" : "FULL");
        batch[m][RAW][r] = 0;
        if (!run_raw (path, modes[m], s, &rate[m][RAW][r], error) ||
            !run_async (path, modes[m], TRUE, 64, s, &rate[m][ASYNC64][r], &batch[m][ASYNC64][r],
                        NULL, error) ||
            !run_async (path, modes[m], FALSE, 64, s, &rate[m][ASYNC64_OFF][r],
                        &batch[m][ASYNC64_OFF][r], NULL, error) ||
            !run_threads (path, modes[m], 4, s, &rate[m][EXEC4][r], &batch[m][EXEC4][r], error) ||
            !run_threads (path, modes[m], 16, s, &rate[m][EXEC16][r], &batch[m][EXEC16][r], error))
          return FALSE;
        for (guint k = 0; k < N_RATES; k++)
          ratio[m][k][r] = rate[m][k][r] / rate[m][RAW][r];
      }

  /* A job alone: the round trip of one execute_async with nothing else queued. */
  for (guint r = 0; r < rounds; r++)
    if (!run_async (path, DB_SYNCHRONOUS_NORMAL, TRUE, 1, seconds, &unused, &unused, &p50_on[r],
                    error) ||
        !run_async (path, DB_SYNCHRONOUS_NORMAL, FALSE, 1, seconds, &unused, &unused,
                    &p50_off[r], error))
      return FALSE;
    else
      p50_ratio[r] = p50_on[r] / p50_off[r];

  g_string_append (out, "\n| group commit | contender | synchronous | inserts/s | ÷ raw | jobs per commit |\n"
                        "| --- | --- | --- | ---: | ---: | ---: |\n");
  for (guint m = 0; m < G_N_ELEMENTS (modes); m++)
    for (guint k = 0; k < N_RATES; k++)
      {
        g_string_append_printf (out, "| single-row inserts | %s | %s | %.0f | %.2f× | ", rate_names[k],
                                m == 0 ? "NORMAL" : "FULL", bench_median (rate[m][k], rounds),
                                bench_median (ratio[m][k], rounds));
        if (k == RAW)
          g_string_append (out, "1 |\n");
        else
          g_string_append_printf (out, "%.1f |\n", bench_median (batch[m][k], rounds));
      }
  g_string_append_printf (out, "| a job alone | execute_async round trip p50, 1 in flight, group commit "
                               "÷ group-commit = FALSE | NORMAL | %.1f µs vs %.1f µs | %.2f× | |\n",
                          bench_median (p50_on, rounds) / 1000, bench_median (p50_off, rounds) / 1000,
                          bench_median (p50_ratio, rounds));
  return TRUE;
}
