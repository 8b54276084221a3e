/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One measured run: a contender, a read/write mix, a number of threads (or of
 * operations in flight), an operation count and a time cap.
 *
 * Threaded contenders share one harness: worker threads are started and set up
 * before the clock starts, take operations from a shared counter in chunks (so a
 * thread the machine's other load slows down does not leave the others idle), and
 * the run ends when the last of them finishes. A warm-up phase runs first with the
 * same threads and connections, untimed. */
#include <string.h>

#include "bench.h"

typedef struct _Shared Shared;

typedef struct
{
  Shared   *shared;
  GThread  *thread;
  guint64   rng;
  guint64   reads;
  guint64   writes;
  BenchErrors errors;
  GArray   *read_latency;
  GArray   *write_latency;
  gint64    end_ns;
  DbConnection *held;      /* IMPL_POOL_HELD(_VARIANT): one lease for the whole phase */
  /* IMPL_POOL_SYNC and IMPL_POOL_LEASE: the thread's read and write lease objects,
   * created by its first operation of each kind, released after every operation and
   * reacquired for the next, kept until the thread ends */
  DbConnection *kept[2];
  sqlite3      *db;        /* IMPL_RAW_THREADS: the thread's own handle */
  sqlite3_stmt *read_stmt;
  sqlite3_stmt *write_stmt;
} Worker;

struct _Shared
{
  const BenchSpec *spec;
  DbPool          *pool;

  /* IMPL_RAW and IMPL_SINGLE(_FIFO): one handle; IMPL_SINGLE serializes on @db_lock,
   * IMPL_SINGLE_FIFO hands the handle to the oldest waiter, as the pool hands out its
   * write lease (ARCHITECTURE.md, rule 2) */
  GMutex           db_lock;
  gboolean         fifo_held;
  GQueue           fifo_waiters;
  sqlite3         *db;
  sqlite3_stmt    *read_stmt;
  sqlite3_stmt    *write_stmt;

  /* the current phase; written by the main thread before it starts the phase */
  guint64          phase_ops;
  guint64          next_op;        /* __atomic */
  guint            chunk;
  gint64           deadline_ns;
  gboolean         record;

  GMutex           phase_lock;
  GCond            phase_cond;
  guint            phase;          /* bumped to start a phase */
  guint            n_finished;
  gboolean         quit;

  Worker          *workers;
  guint            n_workers;
};

/* ------------------------------------------------------------------------------- */
/* Plain SQLite: the limit, the single connection and open-per-op.                 */

static gboolean
op_open_per_op (Worker   *w,
                gboolean  write,
                gint64    key)
{
  const BenchSpec *spec = w->shared->spec;
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = NULL;
  sqlite3 *db;
  gboolean ok = FALSE;

  db = bench_open_db (spec->db_path, spec->synchronous, &error);
  if (db == NULL)
    {
      bench_errors_note (&w->errors, error->message);
      return FALSE;
    }
  if (sqlite3_prepare_v2 (db, write ? BENCH_SQL_INSERT : BENCH_SQL_READ, -1, &stmt, NULL) != SQLITE_OK)
    bench_errors_note (&w->errors, sqlite3_errmsg (db));
  else
    ok = write ? bench_stmt_write (db, stmt, key, &w->errors)
               : bench_stmt_read (db, stmt, key, &w->errors);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return ok;
}

typedef struct
{
  GCond    cond;
  gboolean granted;
} FifoWaiter;

static void
fifo_lock (Shared *s)
{
  FifoWaiter waiter = { .granted = FALSE };

  g_mutex_lock (&s->db_lock);
  if (!s->fifo_held && s->fifo_waiters.length == 0)
    {
      s->fifo_held = TRUE;
      g_mutex_unlock (&s->db_lock);
      return;
    }
  g_cond_init (&waiter.cond);
  g_queue_push_tail (&s->fifo_waiters, &waiter);
  while (!waiter.granted)
    g_cond_wait (&waiter.cond, &s->db_lock);
  g_mutex_unlock (&s->db_lock);
  g_cond_clear (&waiter.cond);
}

static void
fifo_unlock (Shared *s)
{
  FifoWaiter *next;

  g_mutex_lock (&s->db_lock);
  next = g_queue_pop_head (&s->fifo_waiters);
  if (next != NULL)
    {
      /* Direct handoff: the handle stays taken, on behalf of the oldest waiter. */
      next->granted = TRUE;
      g_cond_signal (&next->cond);
    }
  else
    s->fifo_held = FALSE;
  g_mutex_unlock (&s->db_lock);
}

/* ------------------------------------------------------------------------------- */
/* The pool, blocking path.                                                        */

/* The fast idiom: a DbStatement from the connection's statement cache, typed
 * parameters, the row read in place. The statement is given back (unref) before the
 * caller releases the lease. */
static gboolean
pool_prepared (Worker       *w,
               DbConnection *lease,
               gboolean      write,
               gint64        key)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DbStatement) stmt = NULL;
  gboolean ok = FALSE;

  stmt = db_connection_prepare (lease, write ? BENCH_SQL_INSERT : BENCH_SQL_READ, &error);
  if (stmt != NULL && db_statement_bind_int64 (stmt, 1, key, &error))
    {
      if (write)
        {
          gint64 changes = db_statement_bind_text (stmt, 2, BENCH_PAYLOAD, &error)
                         ? db_statement_execute (stmt, &error) : -1;

          ok = changes == 1;
          if (changes >= 0 && !ok)
            bench_errors_note (&w->errors, "an insert did not change exactly one row");
        }
      else if (db_statement_step (stmt, &error))
        {
          ok = db_statement_get_string (stmt, 0) != NULL &&
               db_statement_get_int64 (stmt, 1) == bench_item_value (key);
          if (!ok)
            bench_errors_note (&w->errors, "a point read returned the wrong row");
        }
      else if (error == NULL)
        bench_errors_note (&w->errors, "a point read returned no row");
    }

  if (error != NULL)
    bench_errors_note (&w->errors, error->message);
  return ok;
}

/* The GVariant idiom: parameters as a GVariant tuple, rows as DbRows. */
static gboolean
pool_variant (Worker       *w,
              DbConnection *lease,
              gboolean      write,
              gint64        key)
{
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (write)
    {
      ok = db_connection_execute (lease, BENCH_SQL_INSERT,
                                  g_variant_new ("(xs)", key, BENCH_PAYLOAD), &error) == 1;
    }
  else
    {
      g_autoptr(DbRows) rows = db_connection_query (lease, BENCH_SQL_READ,
                                                    g_variant_new ("(x)", key), &error);

      ok = rows != NULL && db_rows_get_n_rows (rows) == 1 &&
           db_rows_get_string (rows, 0, 0) != NULL &&
           db_rows_get_int64 (rows, 0, 1) == bench_item_value (key);
      if (rows != NULL && !ok)
        bench_errors_note (&w->errors, "a point read returned the wrong row");
    }
  if (error != NULL)
    bench_errors_note (&w->errors, error->message);
  return ok;
}

/* Whether a contender keeps one lease object per access kind and thread (and
 * reacquires it per operation) rather than creating one per operation. */
static gboolean
keeps_lease_objects (BenchImpl impl)
{
  return impl == IMPL_POOL_SYNC || impl == IMPL_POOL_LEASE;
}

/* Takes the lease for one operation, recording how long that took (the acquire
 * wait): the thread's kept lease object reacquired (the first operation of its kind
 * creates it with db_pool_acquire()), or a new lease object. NULL on failure, noted. */
static DbConnection *
pool_lease (Worker   *w,
            gboolean  write,
            gboolean  keep)
{
  Shared *s = w->shared;
  g_autoptr(GError) error = NULL;
  DbConnection **kept = &w->kept[write ? 1 : 0];
  DbConnection *lease;
  gint64 t0 = s->record ? bench_now_ns () : 0;

  if (keep && *kept != NULL)
    lease = db_connection_reacquire (*kept, NULL, &error) ? *kept : NULL;
  else
    {
      lease = db_pool_acquire (s->pool, write ? DB_ACCESS_WRITE : DB_ACCESS_READ, NULL, &error);
      if (keep)
        *kept = lease;
    }
  if (s->record)
    {
      gint64 waited = bench_now_ns () - t0;

      g_array_append_val (write ? w->write_latency : w->read_latency, waited);
    }
  if (lease == NULL)
    bench_errors_note (&w->errors, error->message);
  return lease;
}

/* A pooled operation as an application runs it: take a lease, run the statement,
 * release. The lease contenders of the breakdown take and release only. */
static gboolean
op_pool_sync (Worker   *w,
              gboolean  write,
              gint64    key)
{
  BenchImpl impl = w->shared->spec->impl;
  gboolean keep = keeps_lease_objects (impl);
  DbConnection *lease = pool_lease (w, write, keep);
  gboolean ok = TRUE;

  if (lease == NULL)
    return FALSE;
  if (impl == IMPL_POOL_SYNC)
    ok = pool_prepared (w, lease, write, key);
  else if (impl == IMPL_POOL_SYNC_VARIANT)
    ok = pool_variant (w, lease, write, key);
  db_connection_release (lease);
  if (!keep)
    g_object_unref (lease);
  return ok;
}

/* The breakdown's other half: the statement API alone, on one lease taken at the
 * first operation and kept to the end of the phase. */
static gboolean
op_pool_held (Worker   *w,
              gboolean  write,
              gint64    key)
{
  if (w->held == NULL)
    {
      g_autoptr(GError) error = NULL;

      w->held = db_pool_acquire (w->shared->pool, write ? DB_ACCESS_WRITE : DB_ACCESS_READ,
                                 NULL, &error);
      if (w->held == NULL)
        {
          bench_errors_note (&w->errors, error->message);
          return FALSE;
        }
    }
  return w->shared->spec->impl == IMPL_POOL_HELD ? pool_prepared (w, w->held, write, key)
                                                 : pool_variant (w, w->held, write, key);
}

/* ------------------------------------------------------------------------------- */
/* The threaded harness.                                                           */

static void
run_op (Worker   *w,
        gboolean  write,
        gint64    key)
{
  Shared *s = w->shared;
  gboolean ok = FALSE;

  switch (s->spec->impl)
    {
    case IMPL_RAW:
      ok = write ? bench_stmt_write (s->db, s->write_stmt, key, &w->errors)
                 : bench_stmt_read (s->db, s->read_stmt, key, &w->errors);
      break;
    case IMPL_RAW_THREADS:
      ok = write ? bench_stmt_write (w->db, w->write_stmt, key, &w->errors)
                 : bench_stmt_read (w->db, w->read_stmt, key, &w->errors);
      break;
    case IMPL_SINGLE:
      g_mutex_lock (&s->db_lock);
      ok = write ? bench_stmt_write (s->db, s->write_stmt, key, &w->errors)
                 : bench_stmt_read (s->db, s->read_stmt, key, &w->errors);
      g_mutex_unlock (&s->db_lock);
      break;
    case IMPL_SINGLE_FIFO:
      fifo_lock (s);
      ok = write ? bench_stmt_write (s->db, s->write_stmt, key, &w->errors)
                 : bench_stmt_read (s->db, s->read_stmt, key, &w->errors);
      fifo_unlock (s);
      break;
    case IMPL_OPEN_PER_OP:
      ok = op_open_per_op (w, write, key);
      break;
    case IMPL_POOL_SYNC:
    case IMPL_POOL_SYNC_VARIANT:
    case IMPL_POOL_LEASE:
    case IMPL_POOL_LEASE_NEW:
      ok = op_pool_sync (w, write, key);
      break;
    case IMPL_POOL_HELD:
    case IMPL_POOL_HELD_VARIANT:
      ok = op_pool_held (w, write, key);
      break;
    case IMPL_POOL_ASYNC:
    case IMPL_ASYNC_LIMIT:
    case N_IMPLS:
    default:
      g_assert_not_reached ();
    }

  if (ok && write)
    w->writes++;
  else if (ok)
    w->reads++;
}

static void
run_phase (Worker *w)
{
  Shared *s = w->shared;
  const BenchSpec *spec = s->spec;

  w->reads = w->writes = 0;
  for (;;)
    {
      guint64 first = __atomic_fetch_add (&s->next_op, s->chunk, __ATOMIC_RELAXED);
      guint64 last = MIN (first + s->chunk, s->phase_ops);

      if (first >= s->phase_ops || (s->deadline_ns != 0 && bench_now_ns () > s->deadline_ns))
        break;

      for (guint64 i = first; i < last; i++)
        {
          guint64 r = bench_rand (&w->rng);
          gboolean write = (r % 1000) < spec->write_permille;
          gint64 key = 1 + (gint64) ((r >> 20) % spec->n_items);

          run_op (w, write, key);
        }
    }
  w->end_ns = bench_now_ns ();
  if (w->held != NULL)
    {
      db_connection_release (w->held);
      g_clear_object (&w->held);
    }
}

static gpointer
worker_thread (gpointer data)
{
  Worker *w = data;
  Shared *s = w->shared;
  guint seen = 0;

  for (;;)
    {
      g_mutex_lock (&s->phase_lock);
      while (s->phase == seen && !s->quit)
        g_cond_wait (&s->phase_cond, &s->phase_lock);
      if (s->quit)
        {
          g_mutex_unlock (&s->phase_lock);
          break;
        }
      seen = s->phase;
      g_mutex_unlock (&s->phase_lock);

      run_phase (w);

      g_mutex_lock (&s->phase_lock);
      s->n_finished++;
      g_cond_broadcast (&s->phase_cond);
      g_mutex_unlock (&s->phase_lock);
    }
  /* Released after every operation already; before the pool closes. */
  g_clear_object (&w->kept[0]);
  g_clear_object (&w->kept[1]);
  return NULL;
}

/* Runs one phase on every worker; returns its wall time in seconds. */
static double
threaded_phase (Shared   *s,
                guint64   ops,
                double    max_seconds,
                gboolean  record,
                double   *cpu_seconds)
{
  gint64 start_ns;
  gint64 end_ns = 0;
  gint64 cpu_start = bench_cpu_ns ();

  s->phase_ops = ops;
  s->next_op = 0;
  s->record = record;
  /* Open-per-op takes milliseconds per operation: hand those out one at a time so
   * the time cap is honoured. */
  s->chunk = s->spec->impl == IMPL_OPEN_PER_OP ? 1
           : (guint) CLAMP (ops / (s->n_workers * 16), 1, 64);

  g_mutex_lock (&s->phase_lock);
  s->n_finished = 0;
  start_ns = bench_now_ns ();
  s->deadline_ns = max_seconds > 0 ? start_ns + (gint64) (max_seconds * 1e9) : 0;
  s->phase++;
  g_cond_broadcast (&s->phase_cond);
  while (s->n_finished < s->n_workers)
    g_cond_wait (&s->phase_cond, &s->phase_lock);
  g_mutex_unlock (&s->phase_lock);

  *cpu_seconds = (bench_cpu_ns () - cpu_start) / 1e9;
  for (guint i = 0; i < s->n_workers; i++)
    end_ns = MAX (end_ns, s->workers[i].end_ns);
  return (double) (end_ns - start_ns) / 1e9;
}

static gboolean
run_threaded (const BenchSpec  *spec,
              BenchResult      *result,
              GError          **error)
{
  Shared s = { .spec = spec };
  gboolean ok = FALSE;

  g_mutex_init (&s.db_lock);
  g_mutex_init (&s.phase_lock);
  g_cond_init (&s.phase_cond);

  switch (spec->impl)
    {
    case IMPL_RAW:
    case IMPL_SINGLE:
    case IMPL_SINGLE_FIFO:
      s.db = bench_open_db (spec->db_path, spec->synchronous, error);
      if (s.db == NULL || !bench_prepare_statements (s.db, &s.read_stmt, &s.write_stmt, error))
        goto out;
      break;
    case IMPL_POOL_SYNC:
    case IMPL_POOL_SYNC_VARIANT:
    case IMPL_POOL_LEASE:
    case IMPL_POOL_LEASE_NEW:
    case IMPL_POOL_HELD:
    case IMPL_POOL_HELD_VARIANT:
      {
        g_autoptr(DbPoolConfig) config = bench_pool_config (spec);

        s.pool = db_pool_new (config, NULL, error);
        if (s.pool == NULL)
          goto out;
      }
      break;
    case IMPL_OPEN_PER_OP:
    case IMPL_RAW_THREADS:
      break;
    case IMPL_POOL_ASYNC:
    case IMPL_ASYNC_LIMIT:
    case N_IMPLS:
    default:
      g_assert_not_reached ();
    }

  s.n_workers = spec->impl == IMPL_RAW ? 1 : MAX (spec->threads, 1);
  s.workers = g_new0 (Worker, s.n_workers);
  for (guint i = 0; i < s.n_workers; i++)
    {
      Worker *w = &s.workers[i];

      w->shared = &s;
      w->rng = spec->seed * 0x9E3779B97F4A7C15ULL + i + 1;
      if (spec->impl == IMPL_RAW_THREADS)
        {
          w->db = bench_open_db (spec->db_path, spec->synchronous, error);
          if (w->db == NULL ||
              !bench_prepare_statements (w->db, &w->read_stmt, &w->write_stmt, error))
            goto out;
        }
    }
  for (guint i = 0; i < s.n_workers; i++)
    {
      Worker *w = &s.workers[i];

      w->read_latency = g_array_new (FALSE, FALSE, sizeof (gint64));
      w->write_latency = g_array_new (FALSE, FALSE, sizeof (gint64));
      w->thread = g_thread_new ("bench-worker", worker_thread, w);
    }

  if (spec->warmup_ops > 0)
    {
      double unused;

      threaded_phase (&s, spec->warmup_ops, spec->max_seconds / 4, FALSE, &unused);
    }

  for (guint i = 0; i < s.n_workers; i++)
    {
      g_array_set_size (s.workers[i].read_latency, 0);
      g_array_set_size (s.workers[i].write_latency, 0);
      bench_errors_clear (&s.workers[i].errors);
    }

  result->seconds = threaded_phase (&s, spec->ops, spec->max_seconds, spec->record_latency,
                                    &result->cpu_seconds);

  g_mutex_lock (&s.phase_lock);
  s.quit = TRUE;
  g_cond_broadcast (&s.phase_cond);
  g_mutex_unlock (&s.phase_lock);

  if (spec->record_latency)
    {
      result->read_latency_ns = g_array_new (FALSE, FALSE, sizeof (gint64));
      result->write_latency_ns = g_array_new (FALSE, FALSE, sizeof (gint64));
    }
  for (guint i = 0; i < s.n_workers; i++)
    {
      Worker *w = &s.workers[i];

      g_thread_join (w->thread);
      result->reads += w->reads;
      result->writes += w->writes;
      result->errors += w->errors.count;
      if (result->first_error == NULL && w->errors.first != NULL)
        result->first_error = g_strdup (w->errors.first);
      if (spec->record_latency)
        {
          g_array_append_vals (result->read_latency_ns, w->read_latency->data, w->read_latency->len);
          g_array_append_vals (result->write_latency_ns, w->write_latency->data, w->write_latency->len);
        }
      g_array_unref (w->read_latency);
      g_array_unref (w->write_latency);
      bench_errors_clear (&w->errors);
    }
  result->ops = result->reads + result->writes;
  result->ops_per_s = result->seconds > 0 ? result->ops / result->seconds : 0;

  if (s.pool != NULL)
    {
      g_autoptr(DbPoolStats) stats = db_pool_get_stats (s.pool);

      result->pool_requests = stats->total_requests;
      result->pool_connections_created = stats->total_connections_created;
    }
  ok = TRUE;

out:
  for (guint i = 0; s.workers != NULL && i < s.n_workers; i++)
    {
      sqlite3_finalize (s.workers[i].read_stmt);
      sqlite3_finalize (s.workers[i].write_stmt);
      if (s.workers[i].db != NULL)
        sqlite3_close (s.workers[i].db);
    }
  g_free (s.workers);
  sqlite3_finalize (s.read_stmt);
  sqlite3_finalize (s.write_stmt);
  if (s.db != NULL)
    sqlite3_close (s.db);
  if (s.pool != NULL)
    {
      db_pool_close (s.pool);
      g_object_unref (s.pool);
    }
  g_mutex_clear (&s.db_lock);
  g_mutex_clear (&s.phase_lock);
  g_cond_clear (&s.phase_cond);
  return ok;
}

gboolean
bench_run (const BenchSpec  *spec,
           BenchResult      *result,
           GError          **error)
{
  memset (result, 0, sizeof *result);

  if (spec->impl == IMPL_POOL_ASYNC)
    return bench_run_async (spec, result, error);
  if (spec->impl == IMPL_ASYNC_LIMIT)
    return bench_run_async_limit (spec, result, error);
  return run_threaded (spec, result, error);
}
