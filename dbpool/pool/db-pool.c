/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gio/gio.h>

#include "db-connection-private.h"
#include "db-enum-types.h"
#include "db-error-private.h"
#include "db-pool-private.h"
#include "db-tuning-private.h"

/**
 * DbPool:
 *
 * A pool of SQLite connections: one writer, many readers, fair waiting, and
 * statistics a UI can watch.
 *
 * A pool keeps between [property@DbPool.PoolConfig:min-connections] and
 * [property@DbPool.PoolConfig:max-connections] open connections to one database in
 * WAL mode and lends them out as leases ([class@DbPool.Connection]). At most one
 * %DB_ACCESS_WRITE lease is out at a time; further writers queue in the pool, never
 * in SQLite's busy handler. Read leases run alongside the writer.
 *
 * Waiting is first come, first served: a returned connection goes straight to the
 * oldest waiter it can serve. Every wait honours
 * [property@DbPool.PoolConfig:connection-timeout-ms] (%DB_POOL_ERROR_TIMEOUT) and a
 * [class@Gio.Cancellable] (%G_IO_ERROR_CANCELLED).
 *
 * Where code runs: opening connections and the work of
 * [method@DbPool.Pool.run_async], [method@DbPool.Pool.execute_async] and
 * [method@DbPool.Pool.query_async] happen on the pool's own worker threads; their
 * results come back on the thread-default main context of the caller. The stats
 * properties change on any thread but emit `notify::` only on the main context that
 * was thread-default when the pool was created, coalesced to at most one emission
 * per property per dispatch.
 *
 * Maintenance runs every [property@DbPool.PoolConfig:maintenance-interval-ms] from a
 * timer on that same context, with its work on a worker: it closes connections idle
 * longer than [property@DbPool.PoolConfig:idle-timeout-ms] down to the minimum,
 * replaces connections older than [property@DbPool.PoolConfig:max-lifetime-ms],
 * refills to the minimum and runs a passive WAL checkpoint when the pool is idle.
 */

typedef struct _DbWaiter DbWaiter;
typedef void (*DbWaiterDone) (DbPool *pool, DbWaiter *waiter);

/* Someone waiting for a connection. Sync waiters live on the waiting thread's stack
 * and sleep on @cond; async waiters live in their GTask's data and get @done called
 * (outside the lock) on whichever thread served them. Whoever takes the waiter off
 * the queue under the lock decides its outcome; everyone else backs off. */
struct _DbWaiter
{
  GList         link;         /* in self->waiters, then in a batch; data = self */
  DbPool       *pool;         /* borrowed */
  DbAccess      access;
  DbLeaseOrigin origin;       /* filled only when leak detection is on */
  gint64        enqueued_us;
  gboolean      queued;
  gboolean      finished;

  /* outcome: exactly one of these */
  DbSlot       *slot;         /* an open connection */
  gboolean      open_slot;    /* permission to open a new connection */
  GError       *error;

  /* sync */
  GCond         cond;
  gboolean      sleeping;     /* in g_cond_wait(): only then does a grant signal @cond */
  gboolean      spinning;     /* watching @granted without the lock (counted in n_spinning) */
  gboolean      spun;         /* has spun once without being served: sleeps from now on */
  int           granted;      /* atomic: set when finished, for a spinning waiter */
  /* async */
  DbWaiterDone  done;
  GTask        *task;         /* owns the waiter */
  gboolean      holds_task;   /* the queue holds a reference on @task */
  GSource      *timeout_source;
  GSource      *cancel_source;
};

/* What a locked section leaves to do once the lock is dropped. */
typedef struct
{
  GQueue   finished;          /* async waiters to complete */
  GQueue   to_close;          /* DbSlot to close */
  GSList  *close_tasks;       /* close_async tasks to return */
} DbBatch;

#define DB_BATCH_INIT { G_QUEUE_INIT, G_QUEUE_INIT, NULL }

struct _DbPool
{
  GObject          parent_instance;

  DbPoolConfig    *config;
  const DbBackend *backend;
  DbBackendSettings settings;
  guint            min_connections;
  guint            max_connections;
  guint            connection_timeout_ms;
  guint            idle_timeout_ms;
  guint            max_lifetime_ms;
  guint            maintenance_interval_ms;
  guint            leak_threshold_ms;

  GMainContext    *owner_context;
  GThreadPool     *workers;
  DbPoolNotifier  *notifier;
  GSource         *maintenance_source;

  /* Everything below is guarded by @lock. */
  GMutex           lock;
  GCond            drained_cond;
  GQueue           idle;          /* DbSlot, most recently returned first */
  GQueue           waiters;       /* DbWaiter, oldest first */
  GQueue           leased;        /* DbSlot out on a lease */
  DbBreaker        breaker;
  guint            n_open;        /* idle + leased + opening + borrowed */
  guint            n_leased;
  guint            n_opening;
  guint            n_borrowed;    /* held by maintenance */
  guint            n_closing;
  gboolean         writer_busy;
  guint            n_spinning;    /* sync waiters spinning for a handoff: 0 or 1 */
  gboolean         may_spin;      /* more than one processor */
  gboolean         closed;
  GSList          *close_tasks;
  DbPoolStats      stats;

  gboolean         disposing;
};

enum {
  PROP_0,
  PROP_CONFIG,
  /* notified values, in _db_pool_snapshot_get_field() order */
  PROP_TOTAL_CONNECTIONS_CREATED,
  PROP_TOTAL_CONNECTIONS_DESTROYED,
  PROP_ACTIVE_CONNECTIONS,
  PROP_IDLE_CONNECTIONS,
  PROP_WAITING_REQUESTS,
  PROP_TOTAL_REQUESTS,
  PROP_TOTAL_WAIT_TIME_US,
  PROP_MAX_WAIT_TIME_US,
  PROP_CONNECTION_ERRORS,
  PROP_TIMEOUTS,
  PROP_CIRCUIT_STATE,
  N_PROPS
};

enum {
  SIGNAL_LEASE_HELD_TOO_LONG,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

#define FIRST_STAT_PROP PROP_TOTAL_CONNECTIONS_CREATED
#define N_STAT_PROPS (N_PROPS - FIRST_STAT_PROP)

static GParamSpec *properties[N_PROPS];

static void db_pool_initable_iface_init       (GInitableIface      *iface);
static void db_pool_async_initable_iface_init (GAsyncInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DbPool, db_pool, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, db_pool_initable_iface_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_ASYNC_INITABLE, db_pool_async_initable_iface_init))

/* ------------------------------------------------------------------------------- */
/* Worker jobs: the one way work gets onto the pool's GThreadPool.                 */

typedef void (*DbJobFunc) (gpointer data);

typedef struct
{
  DbJobFunc    func;
  gpointer     data;
  GThreadPool *workers;
} DbJob;

static GPrivate current_workers;   /* the GThreadPool whose job this thread runs */

static void
job_run (gpointer job_ptr,
         gpointer unused)
{
  DbJob *job = job_ptr;

  g_private_set (&current_workers, job->workers);
  job->func (job->data);
  g_private_set (&current_workers, NULL);
  g_free (job);
}

static void
push_job (DbPool    *self,
          DbJobFunc  func,
          gpointer   data)
{
  DbJob *job = g_new (DbJob, 1);

  job->func = func;
  job->data = data;
  job->workers = self->workers;
  /* Only fails if a new thread cannot be spawned when none is running; then the job
   * runs on the next free worker anyway, so nothing is lost. */
  g_thread_pool_push (self->workers, job, NULL);
}

/* ------------------------------------------------------------------------------- */
/* Locked state changes. Every function named *_locked is called with @lock held,
 * does only bookkeeping, and leaves slow work (closing, completing tasks) in a batch. */

static void
count_request_locked (DbPool   *self,
                      DbWaiter *waiter,
                      gint64    now)
{
  guint64 waited = waiter->enqueued_us ? (guint64) MAX (now - waiter->enqueued_us, 0) : 0;

  self->stats.total_requests++;
  self->stats.total_wait_time_us += waited;
  if (waited > self->stats.max_wait_time_us)
    self->stats.max_wait_time_us = waited;
}

static void
finish_waiter_locked (DbPool   *self,
                      DbWaiter *waiter,
                      DbBatch  *batch,
                      gint64    now)
{
  g_assert (!waiter->finished);

  if (waiter->queued)
    {
      g_queue_unlink (&self->waiters, &waiter->link);
      waiter->queued = FALSE;
    }
  waiter->finished = TRUE;
  count_request_locked (self, waiter, now);

  if (waiter->done != NULL)
    {
      g_queue_push_tail_link (&batch->finished, &waiter->link);
      return;
    }
  if (waiter->spinning)
    {
      waiter->spinning = FALSE;
      self->n_spinning--;
    }
  /* A sleeping waiter cannot leave before it gets the lock back; a spinning one
   * leaves as soon as it sees @granted, taking its stack with it: set it last. */
  if (waiter->sleeping)
    g_cond_signal (&waiter->cond);
  g_atomic_int_set (&waiter->granted, TRUE);
}

/* Handing a connection to a sleeping thread costs a wake-up, which on a virtual
 * machine with an idle vCPU takes tens of microseconds: longer than a short commit.
 * So the oldest waiter, if it is a blocked thread, spins instead of sleeping (once,
 * for at most SPIN_US) while the connection it waits for is in use: the handoff stays
 * first come, first served but reaches it without a wake-up. It is woken to spin when
 * it becomes the oldest, in parallel with the current holder's work. At most one
 * waiter spins, and never on a single processor. */
#define SPIN_US 50

static void
arm_spinner_locked (DbPool *self)
{
  DbWaiter *head;

  if (!self->may_spin || !_db_tuning.handoff_spin || self->n_spinning > 0 || self->waiters.head == NULL)
    return;
  head = self->waiters.head->data;
  if (head->done != NULL || head->spun)
    return;

  head->spinning = TRUE;
  self->n_spinning++;
  /* Under the lock, like every grant's signal: once it is dropped the waiter may be
   * served and gone, and its GCond with its stack. */
  if (head->sleeping)
    g_cond_signal (&head->cond);
}

static inline void
cpu_relax (void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause ();
#elif defined(__aarch64__)
  __asm__ __volatile__ ("yield");
#endif
}

/* Without the lock: until @waiter is finished or SPIN_US have passed. */
static void
spin_for_grant (DbWaiter *waiter)
{
  gint64 deadline = g_get_monotonic_time () + SPIN_US;

  for (guint i = 1; !g_atomic_int_get (&waiter->granted); i++)
    {
      cpu_relax ();
      if (i % 64 == 0)
        {
          if (g_get_monotonic_time () >= deadline)
            return;
          /* Let a runnable thread, perhaps the holder, have this processor. */
          g_thread_yield ();
        }
    }
}

/* The connection this thread returned last (any pool's; only ever compared, never
 * dereferenced unless found in this pool's idle queue). */
static GPrivate last_returned;

static DbSlot *
take_idle_locked (DbPool   *self,
                  DbAccess  access)
{
  gboolean want_query_only = access == DB_ACCESS_READ;
  gpointer mine = _db_tuning.thread_affinity ? g_private_get (&last_returned) : NULL;
  GList *match = NULL;
  GList *l;

  /* Prefer the connection this thread used last: its pages and statements are warm
   * in this core's caches, and two threads keep apart instead of trading connections
   * on every operation. Then one already in the right query_only state (and so with
   * the right statements warm). The idle queue is short. Which idle connection serves
   * a request does not change who is served first. */
  for (l = self->idle.head; l != NULL; l = l->next)
    {
      DbSlot *slot = l->data;

      if (_db_backend_conn_get_read_only (slot->conn) != want_query_only)
        continue;
      if (slot == mine)
        {
          match = l;
          break;
        }
      if (match == NULL)
        match = l;
    }
  if (match == NULL)
    match = self->idle.head;

  g_queue_unlink (&self->idle, match);
  return match->data;
}

/* @slot goes out on a lease: counted, and listed for leak detection. */
static void
lease_locked (DbPool              *self,
              DbSlot              *slot,
              const DbLeaseOrigin *origin)
{
  self->n_leased++;
  slot->leased_at_us = g_get_monotonic_time ();
  slot->leak_reported = FALSE;
  if (origin != NULL)
    slot->origin = *origin;
  g_queue_push_tail_link (&self->leased, &slot->link);
}

/* Tries to serve @waiter right now: an idle connection, a slot to open one, or (the
 * circuit breaker being open) an immediate error. */
static gboolean
try_grant_locked (DbPool   *self,
                  DbWaiter *waiter)
{
  if (waiter->access == DB_ACCESS_WRITE && self->writer_busy)
    return FALSE;

  if (self->idle.length > 0)
    {
      waiter->slot = take_idle_locked (self, waiter->access);
      lease_locked (self, waiter->slot, self->leak_threshold_ms > 0 ? &waiter->origin : NULL);
    }
  else if (self->n_open < self->max_connections)
    {
      gint64 now = g_get_monotonic_time ();

      switch (_db_breaker_may_open (&self->breaker, now))
        {
        case DB_BREAKER_FAIL:
          waiter->error = _db_breaker_error (&self->breaker, self->settings.path, now);
          return TRUE;
        case DB_BREAKER_WAIT:
          return FALSE;
        case DB_BREAKER_ALLOW:
        default:
          break;
        }
      waiter->open_slot = TRUE;
      self->n_open++;
      self->n_opening++;
    }
  else
    return FALSE;

  if (waiter->access == DB_ACCESS_WRITE)
    self->writer_busy = TRUE;
  return TRUE;
}

/* Direct handoff: serve queued waiters, oldest first, while capacity lasts. A writer
 * blocked only by another writer is skipped so readers behind it are not. */
static void
dispatch_locked (DbPool  *self,
                 DbBatch *batch)
{
  GList *l = self->waiters.head;
  gint64 now = 0;

  while (l != NULL)
    {
      DbWaiter *waiter = l->data;
      GList *next = l->next;

      if (waiter->access == DB_ACCESS_WRITE && self->writer_busy)
        {
          l = next;
          continue;
        }
      if (!try_grant_locked (self, waiter))
        break;   /* no connection for anyone behind it either */

      if (now == 0)
        now = g_get_monotonic_time ();
      finish_waiter_locked (self, waiter, batch, now);
      l = next;
    }
  arm_spinner_locked (self);
}

static void
fail_waiter_locked (DbPool   *self,
                    DbWaiter *waiter,
                    DbBatch  *batch,
                    GError   *error)
{
  waiter->error = error;
  if (g_error_matches (error, DB_POOL_ERROR, DB_POOL_ERROR_TIMEOUT))
    self->stats.timeouts++;
  finish_waiter_locked (self, waiter, batch, g_get_monotonic_time ());
}

static gboolean
drained_locked (DbPool *self)
{
  return self->n_open == 0 && self->n_closing == 0;
}

/* A closed pool is drained once no connection is open, leased or being closed:
 * db_pool_close() wakes up and close_async() tasks complete. */
static void
check_drained_locked (DbPool  *self,
                      DbBatch *batch)
{
  if (!self->closed || !drained_locked (self))
    return;

  g_cond_broadcast (&self->drained_cond);
  batch->close_tasks = g_slist_concat (batch->close_tasks, g_steal_pointer (&self->close_tasks));
}

/* Takes @slot out of service; its connection is closed after the lock is dropped. */
static void
retire_locked (DbPool  *self,
               DbSlot  *slot,
               DbBatch *batch)
{
  self->n_open--;
  self->n_closing++;
  self->stats.total_connections_destroyed++;
  /* The last connection of a closed pool truncates the WAL on its way out. */
  slot->truncate_log = self->closed && self->n_open == 0;
  g_queue_push_tail_link (&batch->to_close, &slot->link);
}

static void finish_batch (DbPool *self, DbBatch *batch);

/* ------------------------------------------------------------------------------- */
/* Opening connections.                                                            */

/* The caller holds an open slot (n_open and n_opening were counted for it). */
static DbSlot *
open_in_slot (DbPool              *self,
              gboolean             lease,
              const DbLeaseOrigin *origin,
              GError             **error)
{
  g_autoptr(GError) local_error = NULL;
  DbBackendConn *conn = _db_backend_open (self->backend, &self->settings, &local_error);
  DbSlot *slot = NULL;
  DbBatch batch = DB_BATCH_INIT;
  gboolean breaker_changed;

  if (conn != NULL)
    {
      slot = g_new0 (DbSlot, 1);
      slot->link.data = slot;
      slot->conn = conn;
    }

  g_mutex_lock (&self->lock);
  self->n_opening--;
  if (slot != NULL)
    {
      breaker_changed = _db_breaker_success (&self->breaker);
      self->stats.total_connections_created++;
      if (lease)
        {
          lease_locked (self, slot, origin);
          /* Waiters held back by a trial open may open their own now. */
          if (breaker_changed)
            dispatch_locked (self, &batch);
        }
      else if (!self->closed)
        {
          g_queue_push_head_link (&self->idle, &slot->link);
          dispatch_locked (self, &batch);
        }
      else
        {
          self->n_open++;   /* retire_locked() takes it back off */
          retire_locked (self, slot, &batch);
        }
    }
  else
    {
      breaker_changed = _db_breaker_failure (&self->breaker, local_error, g_get_monotonic_time ());
      self->n_open--;
      self->stats.connection_errors++;
      /* The slot is free again; a waiter may now open instead, or (the breaker just
       * opened) fail fast. */
      dispatch_locked (self, &batch);
      check_drained_locked (self, &batch);
    }
  g_mutex_unlock (&self->lock);
  finish_batch (self, &batch);

  if (breaker_changed)
    {
      if (slot != NULL)
        g_message ("dbpool: database “%s” is reachable again", self->settings.path);
      else
        g_message ("dbpool: database “%s” unreachable, failing fast: %s",
                   self->settings.path, local_error->message);
    }

  if (slot == NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return lease ? slot : NULL;
}

/* A granted waiter whose grant was a slot opens its connection; on failure the
 * writer slot it may hold is given up. */
static DbSlot *
take_grant (DbPool    *self,
            DbWaiter  *waiter,
            GError   **error)
{
  DbSlot *slot;

  if (waiter->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&waiter->error));
      return NULL;
    }
  if (!waiter->open_slot)
    return g_steal_pointer (&waiter->slot);

  waiter->open_slot = FALSE;
  slot = open_in_slot (self, TRUE, self->leak_threshold_ms > 0 ? &waiter->origin : NULL, error);
  if (slot == NULL && waiter->access == DB_ACCESS_WRITE)
    {
      DbBatch batch = DB_BATCH_INIT;

      g_mutex_lock (&self->lock);
      self->writer_busy = FALSE;
      dispatch_locked (self, &batch);
      g_mutex_unlock (&self->lock);
      finish_batch (self, &batch);
    }
  return slot;
}

/* ------------------------------------------------------------------------------- */
/* After the lock.                                                                 */

static void
close_conns (DbPool *self,
             GQueue *to_close)
{
  DbBatch batch = DB_BATCH_INIT;
  guint n = 0;
  GList *l;

  while ((l = g_queue_pop_head_link (to_close)) != NULL)
    {
      DbSlot *slot = l->data;

      _db_backend_conn_close (slot->conn, slot->truncate_log);
      g_free (slot);
      n++;
    }
  if (n == 0)
    return;

  g_mutex_lock (&self->lock);
  self->n_closing -= n;
  check_drained_locked (self, &batch);
  g_mutex_unlock (&self->lock);
  finish_batch (self, &batch);
}

typedef struct
{
  DbPool *pool;
  GQueue  to_close;
} CloseJob;

static void
close_job (gpointer data)
{
  CloseJob *job = data;

  close_conns (job->pool, &job->to_close);
  g_object_unref (job->pool);
  g_free (job);
}

static void
finish_batch (DbPool  *self,
              DbBatch *batch)
{
  GList *l;

  while ((l = g_queue_pop_head_link (&batch->finished)) != NULL)
    {
      DbWaiter *waiter = l->data;

      waiter->done (self, waiter);
    }

  if (batch->to_close.length > 0)
    {
      /* Closing may checkpoint the WAL: never on the caller's (perhaps UI) thread.
       * Only dispose, when no worker may run any more, closes in place. */
      if (!self->disposing)
        {
          CloseJob *job = g_new0 (CloseJob, 1);

          job->pool = g_object_ref (self);
          job->to_close = batch->to_close;
          g_queue_init (&batch->to_close);
          push_job (self, close_job, job);
        }
      else
        close_conns (self, &batch->to_close);
    }

  for (GSList *t = batch->close_tasks; t != NULL; t = t->next)
    {
      g_task_return_boolean (t->data, TRUE);
      g_object_unref (t->data);
    }
  g_clear_pointer (&batch->close_tasks, g_slist_free);

  _db_pool_notifier_kick (self->notifier);
}

static gboolean
is_expired (DbPool *self,
            DbSlot *slot,
            gint64  now)
{
  return self->max_lifetime_ms > 0 &&
         now - slot->conn->created_at_us >= (gint64) self->max_lifetime_ms * 1000;
}

void
_db_pool_return_conn (DbPool   *self,
                      DbSlot   *slot,
                      DbAccess  access)
{
  DbBatch batch = DB_BATCH_INIT;
  gboolean healthy;
  gint64 now;

  /* Outside the lock: this may roll back a transaction. */
  healthy = _db_backend_conn_reset_for_reuse (slot->conn);
  now = g_get_monotonic_time ();
  slot->conn->last_used_us = now;

  g_mutex_lock (&self->lock);
  self->stats.connection_errors += slot->conn->full_errors;
  slot->conn->full_errors = 0;
  self->n_leased--;
  g_queue_unlink (&self->leased, &slot->link);
  if (access == DB_ACCESS_WRITE)
    self->writer_busy = FALSE;

  if (!healthy)
    {
      self->stats.connection_errors++;
      retire_locked (self, slot, &batch);
    }
  else if (self->closed || is_expired (self, slot, now))
    retire_locked (self, slot, &batch);
  else
    {
      g_queue_push_head_link (&self->idle, &slot->link);
      g_private_set (&last_returned, slot);
    }

  dispatch_locked (self, &batch);
  g_mutex_unlock (&self->lock);

  finish_batch (self, &batch);
}

/* ------------------------------------------------------------------------------- */
/* Synchronous acquire.                                                            */

static void
sync_waiter_cancelled (GCancellable *cancellable,
                       gpointer      data)
{
  DbWaiter *waiter = data;
  DbPool *self = waiter->pool;
  DbBatch batch = DB_BATCH_INIT;

  g_mutex_lock (&self->lock);
  if (waiter->queued)
    fail_waiter_locked (self, waiter, &batch,
                        g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                             "Operation was cancelled"));
  g_mutex_unlock (&self->lock);
}

static GError *
closed_error (void)
{
  return g_error_new_literal (DB_POOL_ERROR, DB_POOL_ERROR_CLOSED, "The pool is closed");
}

static GError *
timeout_error (DbPool *self)
{
  return g_error_new (DB_POOL_ERROR, DB_POOL_ERROR_TIMEOUT,
                      "No connection became available within %u ms",
                      self->connection_timeout_ms);
}

/* The entry for every acquire, sync or async: serve @waiter at once if nobody is
 * queued ahead of it, else queue it and let dispatch decide. Returns TRUE if the
 * waiter is finished (served or failed) by the time the lock is dropped; for an
 * async waiter that is still queued, @attach runs under the lock so its timeout
 * and cancellation sources exist before anyone else can finish it. */
static gboolean
enqueue_locked (DbPool   *self,
                DbWaiter *waiter,
                DbBatch  *batch)
{
  waiter->pool = self;
  waiter->link.data = waiter;

  if (self->closed)
    {
      waiter->error = closed_error ();
      waiter->finished = TRUE;
      count_request_locked (self, waiter, 0);
      return TRUE;
    }

  if (self->waiters.length == 0 && try_grant_locked (self, waiter))
    {
      waiter->finished = TRUE;
      count_request_locked (self, waiter, 0);
      return TRUE;
    }

  waiter->enqueued_us = g_get_monotonic_time ();
  waiter->queued = TRUE;
  g_queue_push_tail_link (&self->waiters, &waiter->link);
  /* A reader may be servable right away behind a writer that is blocked. */
  dispatch_locked (self, batch);
  if (waiter->finished && waiter->done != NULL)
    {
      /* Finished synchronously: the caller completes it, not the batch. */
      g_queue_unlink (&batch->finished, &waiter->link);
    }
  return waiter->finished;
}

/* The blocking acquire behind db_pool_acquire() and db_connection_reacquire(). */
DbSlot *
_db_pool_acquire_conn (DbPool        *self,
                       DbAccess       access,
                       GCancellable  *cancellable,
                       const char    *entry,
                       GError       **error)
{
  DbWaiter waiter = { .access = access };
  DbBatch batch = DB_BATCH_INIT;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  if (self->leak_threshold_ms > 0)
    _db_lease_origin_capture (&waiter.origin, entry);

  g_cond_init (&waiter.cond);
  g_mutex_lock (&self->lock);
  if (!enqueue_locked (self, &waiter, &batch))
    {
      gulong handler_id = 0;
      gboolean locked = TRUE;
      gint64 deadline = self->connection_timeout_ms > 0
        ? waiter.enqueued_us + (gint64) self->connection_timeout_ms * 1000 : 0;

      if (cancellable != NULL)
        {
          /* The handler takes the lock (and runs at once if already cancelled). */
          g_mutex_unlock (&self->lock);
          handler_id = g_cancellable_connect (cancellable, G_CALLBACK (sync_waiter_cancelled),
                                              &waiter, NULL);
          g_mutex_lock (&self->lock);
        }

      while (!waiter.finished)
        {
          gboolean woken;

          if (waiter.spinning)
            {
              g_mutex_unlock (&self->lock);
              spin_for_grant (&waiter);
              /* Served: whoever finished the waiter set everything before @granted
               * and took it off the spinner count; going back to the lock here would
               * queue behind the releaser that is still holding it. */
              if (g_atomic_int_get (&waiter.granted))
                {
                  locked = FALSE;
                  break;
                }
              g_mutex_lock (&self->lock);
              if (waiter.spinning)
                {
                  waiter.spinning = FALSE;
                  waiter.spun = TRUE;
                  self->n_spinning--;
                }
              continue;
            }

          waiter.sleeping = TRUE;
          if (deadline == 0)
            {
              g_cond_wait (&waiter.cond, &self->lock);
              woken = TRUE;
            }
          else
            woken = g_cond_wait_until (&waiter.cond, &self->lock, deadline);
          waiter.sleeping = FALSE;
          if (!woken && !waiter.finished)
            fail_waiter_locked (self, &waiter, &batch, timeout_error (self));
        }
      if (locked)
        g_mutex_unlock (&self->lock);

      g_cancellable_disconnect (cancellable, handler_id);
    }
  else
    g_mutex_unlock (&self->lock);
  g_cond_clear (&waiter.cond);

  finish_batch (self, &batch);

  return take_grant (self, &waiter, error);
}

/**
 * db_pool_acquire:
 * @self: a pool
 * @access: read or write
 * @cancellable: (nullable): a cancellable to stop waiting
 * @error: return location for an error
 *
 * Leases a connection, blocking until one is available. This is for code that
 * already runs on a worker thread; from a main loop use
 * [method@DbPool.Pool.acquire_async] or the `*_async` statement functions.
 *
 * When no connection is idle and the pool is at its maximum, the caller queues
 * behind earlier waiters. It fails with %DB_POOL_ERROR_TIMEOUT after
 * [property@DbPool.PoolConfig:connection-timeout-ms], %G_IO_ERROR_CANCELLED when
 * @cancellable fires, %DB_POOL_ERROR_CLOSED when the pool closes, and
 * %DB_POOL_ERROR_OPEN when a new connection cannot be opened.
 *
 * Returns: (transfer full): the lease, or %NULL with @error set
 */
DbConnection *
db_pool_acquire (DbPool        *self,
                 DbAccess       access,
                 GCancellable  *cancellable,
                 GError       **error)
{
  DbSlot *slot;

  g_return_val_if_fail (DB_IS_POOL (self), NULL);
  g_return_val_if_fail (access == DB_ACCESS_READ || access == DB_ACCESS_WRITE, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  slot = _db_pool_acquire_conn (self, access, cancellable, "db_pool_acquire()", error);
  if (slot == NULL)
    return NULL;
  return _db_connection_new_lease (self, slot, access);
}

/* ------------------------------------------------------------------------------- */
/* Asynchronous acquire. Every async operation's task data starts with a DbWaiter. */

static gboolean
waiter_expire (GTask  *task,
               GError *error)
{
  DbWaiter *waiter = g_task_get_task_data (task);
  DbPool *self = waiter->pool;
  DbBatch batch = DB_BATCH_INIT;

  g_mutex_lock (&self->lock);
  if (waiter->queued)
    fail_waiter_locked (self, waiter, &batch, error);
  else
    g_error_free (error);
  g_mutex_unlock (&self->lock);

  finish_batch (self, &batch);
  return G_SOURCE_REMOVE;
}

static gboolean
waiter_timeout_cb (gpointer data)
{
  GTask *task = data;
  DbWaiter *waiter = g_task_get_task_data (task);

  return waiter_expire (task, timeout_error (waiter->pool));
}

static gboolean
waiter_cancelled_cb (GCancellable *cancellable,
                     gpointer      data)
{
  return waiter_expire (data, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                   "Operation was cancelled"));
}

/* Queues an async waiter whose task data is @waiter. Timeout and cancellation are
 * GSources on the task's context, so their callbacks run where the result goes, and
 * destroying them is safe from whichever thread serves the waiter. */
static void
enqueue_async (DbPool       *self,
               GTask        *task,
               DbWaiter     *waiter,
               DbAccess      access,
               DbWaiterDone  done)
{
  GCancellable *cancellable = g_task_get_cancellable (task);
  DbBatch batch = DB_BATCH_INIT;
  gboolean finished;

  waiter->access = access;
  waiter->done = done;
  waiter->task = task;

  if (g_cancellable_is_cancelled (cancellable))
    {
      waiter->pool = self;
      waiter->error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                           "Operation was cancelled");
      done (self, waiter);
      return;
    }

  g_mutex_lock (&self->lock);
  finished = enqueue_locked (self, waiter, &batch);
  if (!finished)
    {
      GMainContext *context = g_task_get_context (task);

      /* The queue keeps the task (and so the waiter) alive until the waiter is
       * finished; the done function drops this reference. */
      g_object_ref (task);
      waiter->holds_task = TRUE;

      if (self->connection_timeout_ms > 0)
        {
          waiter->timeout_source = g_timeout_source_new (self->connection_timeout_ms);
          g_source_set_static_name (waiter->timeout_source, "[dbpool] acquire timeout");
          g_source_set_callback (waiter->timeout_source, waiter_timeout_cb,
                                 g_object_ref (task), g_object_unref);
          g_source_attach (waiter->timeout_source, context);
        }
      if (cancellable != NULL)
        {
          waiter->cancel_source = g_cancellable_source_new (cancellable);
          g_source_set_static_name (waiter->cancel_source, "[dbpool] acquire cancel");
          g_source_set_callback (waiter->cancel_source, G_SOURCE_FUNC (waiter_cancelled_cb),
                                 g_object_ref (task), g_object_unref);
          g_source_attach (waiter->cancel_source, context);
        }
    }
  g_mutex_unlock (&self->lock);

  finish_batch (self, &batch);
  if (finished)
    done (self, waiter);
}

static void waiter_clear_sources (DbWaiter *waiter);

/* Called first by every done function: takes over the reference the queue held (if
 * the waiter was ever queued) and removes the timeout and cancellation sources. */
static GTask *
waiter_take_task (DbWaiter *waiter)
{
  GTask *task = waiter->holds_task ? waiter->task : g_object_ref (waiter->task);

  waiter->holds_task = FALSE;
  waiter_clear_sources (waiter);
  return task;
}

static void
waiter_clear_sources (DbWaiter *waiter)
{
  if (waiter->timeout_source != NULL)
    {
      g_source_destroy (waiter->timeout_source);
      g_clear_pointer (&waiter->timeout_source, g_source_unref);
    }
  if (waiter->cancel_source != NULL)
    {
      g_source_destroy (waiter->cancel_source);
      g_clear_pointer (&waiter->cancel_source, g_source_unref);
    }
}

static void
waiter_free (gpointer data)
{
  DbWaiter *waiter = data;

  waiter_clear_sources (waiter);
  g_clear_error (&waiter->error);
  /* Every grant is taken by the done function or a job holding the task. */
  g_warn_if_fail (waiter->slot == NULL && !waiter->open_slot);
  g_free (waiter);
}

static void
acquire_open_job (gpointer data)
{
  g_autoptr(GTask) task = data;
  DbWaiter *waiter = g_task_get_task_data (task);
  GError *error = NULL;
  DbSlot *slot = take_grant (waiter->pool, waiter, &error);

  if (slot == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, _db_connection_new_lease (waiter->pool, slot, waiter->access),
                           g_object_unref);
}

static void
acquire_done (DbPool   *self,
              DbWaiter *waiter)
{
  g_autoptr(GTask) task = waiter_take_task (waiter);

  if (waiter->error != NULL)
    g_task_return_error (task, g_steal_pointer (&waiter->error));
  else if (waiter->open_slot)
    push_job (self, acquire_open_job, g_object_ref (task));
  else
    /* If the task was cancelled meanwhile, GTask drops this lease, which returns the
     * connection to the pool: a cancel racing a handoff loses nothing. */
    g_task_return_pointer (task,
                           _db_connection_new_lease (self, g_steal_pointer (&waiter->slot),
                                                     waiter->access),
                           g_object_unref);
}

/**
 * db_pool_acquire_async:
 * @self: a pool
 * @access: read or write
 * @cancellable: (nullable): a cancellable to stop waiting
 * @callback: (scope async): called on the caller's thread-default main context
 * @user_data: data for @callback
 *
 * Leases a connection without blocking. The same rules as
 * [method@DbPool.Pool.acquire] apply: FIFO waiting, timeout, cancellation.
 */
void
db_pool_acquire_async (DbPool              *self,
                       DbAccess             access,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  DbWaiter *waiter;

  g_return_if_fail (DB_IS_POOL (self));
  g_return_if_fail (access == DB_ACCESS_READ || access == DB_ACCESS_WRITE);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, db_pool_acquire_async);
  waiter = g_new0 (DbWaiter, 1);
  g_task_set_task_data (task, waiter, waiter_free);
  if (self->leak_threshold_ms > 0)
    _db_lease_origin_capture (&waiter->origin, "db_pool_acquire_async()");

  enqueue_async (self, task, waiter, access, acquire_done);
}

/**
 * db_pool_acquire_finish:
 * @self: a pool
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Finishes [method@DbPool.Pool.acquire_async].
 *
 * Returns: (transfer full): the lease, or %NULL with @error set
 */
DbConnection *
db_pool_acquire_finish (DbPool        *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (DB_IS_POOL (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == db_pool_acquire_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------------------- */
/* Work on a worker thread: run_async, execute_async, query_async.                 */

typedef enum { OP_RUN, OP_EXECUTE, OP_QUERY } OpKind;

typedef struct
{
  DbWaiter          waiter;      /* first: see enqueue_async() */
  OpKind            kind;
  char             *sql;
  GVariant         *params;
  DbConnectionFunc  func;
  gpointer          func_data;
  GDestroyNotify    func_data_destroy;
  gint64            last_insert_rowid;
} OpData;

static void
op_data_free (gpointer data)
{
  OpData *op = data;

  waiter_clear_sources (&op->waiter);
  g_clear_error (&op->waiter.error);
  g_warn_if_fail (op->waiter.slot == NULL && !op->waiter.open_slot);
  g_free (op->sql);
  g_clear_pointer (&op->params, g_variant_unref);
  if (op->func_data_destroy != NULL)
    op->func_data_destroy (op->func_data);
  g_free (op);
}


static void
op_job (gpointer data)
{
  g_autoptr(GTask) task = data;
  OpData *op = g_task_get_task_data (task);
  DbPool *self = op->waiter.pool;
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(DbConnection) lease = NULL;
  GError *error = NULL;
  DbSlot *slot;
  gulong handler_id = 0;

  slot = take_grant (self, &op->waiter, &error);
  if (slot == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  lease = _db_connection_new_lease (self, slot, op->waiter.access);
  if (cancellable != NULL)
    {
      _db_connection_set_cancellable (lease, cancellable);
      handler_id = g_cancellable_connect (cancellable, G_CALLBACK (_db_connection_interrupt),
                                          lease, NULL);
    }

  switch (op->kind)
    {
    case OP_RUN:
      {
        gpointer result = op->func (lease, op->func_data, cancellable, &error);

        g_cancellable_disconnect (cancellable, handler_id);
        db_connection_release (lease);
        if (error != NULL)
          g_task_return_error (task, error);
        else
          g_task_return_pointer (task, result, NULL);
      }
      break;

    case OP_EXECUTE:
      {
        gint64 changes = db_connection_execute (lease, op->sql, op->params, &error);

        op->last_insert_rowid = db_connection_get_last_insert_rowid (lease);
        g_cancellable_disconnect (cancellable, handler_id);
        db_connection_release (lease);
        if (error != NULL)
          g_task_return_error (task, error);
        else
          g_task_return_int (task, changes);
      }
      break;

    case OP_QUERY:
      {
        DbRows *rows = db_connection_query (lease, op->sql, op->params, &error);

        g_cancellable_disconnect (cancellable, handler_id);
        db_connection_release (lease);
        if (error != NULL)
          g_task_return_error (task, error);
        else
          g_task_return_pointer (task, rows, g_object_unref);
      }
      break;

    default:
      g_assert_not_reached ();
    }
}

static void
op_done (DbPool   *self,
         DbWaiter *waiter)
{
  g_autoptr(GTask) task = waiter_take_task (waiter);

  if (waiter->error != NULL)
    g_task_return_error (task, g_steal_pointer (&waiter->error));
  else
    push_job (self, op_job, g_object_ref (task));
}

static void
start_op (DbPool              *self,
          OpData              *op,
          DbAccess             access,
          gpointer             source_tag,
          const char          *entry,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  /* Once the work ran, its result is reported even if the cancellable fired late:
   * a committed write must not be reported as cancelled. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, op, op_data_free);
  if (self->leak_threshold_ms > 0)
    _db_lease_origin_capture (&op->waiter.origin, entry);

  enqueue_async (self, task, &op->waiter, access, op_done);
}

/* A statement that only reads can use a read lease and run beside the writer. */
static DbAccess
access_for_sql (const char *sql)
{
  const char *p = sql;

  while (g_ascii_isspace (*p))
    p++;
  if (g_ascii_strncasecmp (p, "SELECT", 6) == 0 || g_ascii_strncasecmp (p, "VALUES", 6) == 0)
    return DB_ACCESS_READ;
  return DB_ACCESS_WRITE;
}

/**
 * db_pool_run_async: (skip)
 * @self: a pool
 * @access: the lease @func needs
 * @func: (scope notified) (closure func_data) (destroy func_data_destroy): work to run
 *   on a pool worker thread with a leased connection
 * @func_data: data for @func
 * @func_data_destroy: (nullable): frees @func_data once @func has run
 * @cancellable: (nullable): a cancellable: stops waiting for a connection, and
 *   interrupts a statement @func is running
 * @callback: (scope async): called on the caller's thread-default main context
 * @user_data: data for @callback
 *
 * Runs @func on a worker thread with a lease on a connection, then gives the lease
 * back (rolling back a transaction @func left open) and delivers @func's result to
 * @callback. This is the original design's `with_connection` (write) and
 * `with_read_connection` (read).
 *
 * @func runs on another thread, so this is not exposed to bindings (gjs cannot run
 * JavaScript off its main thread); they use [method@DbPool.Pool.execute_async] and
 * [method@DbPool.Pool.query_async], and Python's override provides its own
 * `run_async` on top of [method@DbPool.Pool.acquire].
 */
void
db_pool_run_async (DbPool              *self,
                   DbAccess             access,
                   DbConnectionFunc     func,
                   gpointer             func_data,
                   GDestroyNotify       func_data_destroy,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  OpData *op;

  g_return_if_fail (DB_IS_POOL (self));
  g_return_if_fail (access == DB_ACCESS_READ || access == DB_ACCESS_WRITE);
  g_return_if_fail (func != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  op = g_new0 (OpData, 1);
  op->kind = OP_RUN;
  op->func = func;
  op->func_data = func_data;
  op->func_data_destroy = func_data_destroy;
  start_op (self, op, access, db_pool_run_async, "db_pool_run_async()",
            cancellable, callback, user_data);
}

/**
 * db_pool_run_finish: (skip)
 * @self: a pool
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Finishes [method@DbPool.Pool.run_async].
 *
 * Returns: (transfer full) (nullable): what the function returned; %NULL with @error
 *   set on failure
 */
gpointer
db_pool_run_finish (DbPool        *self,
                    GAsyncResult  *result,
                    GError       **error)
{
  g_return_val_if_fail (DB_IS_POOL (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == db_pool_run_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * db_pool_execute_async:
 * @self: a pool
 * @sql: one SQL statement
 * @params: (nullable): parameters, as for [method@DbPool.Connection.execute]; a
 *   floating reference is consumed
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called on the caller's thread-default main context
 * @user_data: data for @callback
 *
 * Runs one statement on a worker thread with a write lease (a read lease if it is a
 * `SELECT`). No caller code runs on the worker, so this is safe from gjs.
 */
void
db_pool_execute_async (DbPool              *self,
                       const char          *sql,
                       GVariant            *params,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  OpData *op;

  g_return_if_fail (DB_IS_POOL (self));
  g_return_if_fail (sql != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  op = g_new0 (OpData, 1);
  op->kind = OP_EXECUTE;
  op->sql = g_strdup (sql);
  op->params = params ? g_variant_ref_sink (params) : NULL;
  start_op (self, op, access_for_sql (sql), db_pool_execute_async, "db_pool_execute_async()",
            cancellable, callback, user_data);
}

/**
 * db_pool_execute_finish:
 * @self: a pool
 * @result: the result passed to the callback
 * @last_insert_rowid: (out) (optional): the rowid of the last row inserted
 * @error: return location for an error
 *
 * Finishes [method@DbPool.Pool.execute_async].
 *
 * Returns: the number of rows changed, or -1 with @error set
 */
gint64
db_pool_execute_finish (DbPool        *self,
                        GAsyncResult  *result,
                        gint64        *last_insert_rowid,
                        GError       **error)
{
  OpData *op;
  gint64 changes;

  g_return_val_if_fail (DB_IS_POOL (self), -1);
  g_return_val_if_fail (g_task_is_valid (result, self), -1);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == db_pool_execute_async, -1);

  op = g_task_get_task_data (G_TASK (result));
  changes = g_task_propagate_int (G_TASK (result), error);
  if (last_insert_rowid != NULL)
    *last_insert_rowid = changes >= 0 ? op->last_insert_rowid : 0;
  return changes;
}

/**
 * db_pool_query_async:
 * @self: a pool
 * @sql: one SQL statement
 * @params: (nullable): parameters, as for [method@DbPool.Connection.execute]; a
 *   floating reference is consumed
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called on the caller's thread-default main context
 * @user_data: data for @callback
 *
 * Runs one statement on a worker thread and materializes its rows. A `SELECT` runs
 * on a read lease, beside the writer; anything else (`INSERT ... RETURNING`) on the
 * write lease. Safe from gjs.
 */
void
db_pool_query_async (DbPool              *self,
                     const char          *sql,
                     GVariant            *params,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  OpData *op;

  g_return_if_fail (DB_IS_POOL (self));
  g_return_if_fail (sql != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  op = g_new0 (OpData, 1);
  op->kind = OP_QUERY;
  op->sql = g_strdup (sql);
  op->params = params ? g_variant_ref_sink (params) : NULL;
  start_op (self, op, access_for_sql (sql), db_pool_query_async, "db_pool_query_async()",
            cancellable, callback, user_data);
}

/**
 * db_pool_query_finish:
 * @self: a pool
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Finishes [method@DbPool.Pool.query_async].
 *
 * Returns: (transfer full): the rows, or %NULL with @error set
 */
DbRows *
db_pool_query_finish (DbPool        *self,
                      GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (DB_IS_POOL (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == db_pool_query_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------------------- */
/* Maintenance: decided on the owner context, done on a worker.                    */

typedef struct
{
  DbPool *pool;
  GQueue  to_close;
  guint   to_open;
  DbSlot *to_checkpoint;
} MaintenanceWork;

static void
maintenance_job (gpointer data)
{
  MaintenanceWork *work = data;
  DbPool *self = work->pool;

  close_conns (self, &work->to_close);

  for (guint i = 0; i < work->to_open; i++)
    {
      g_autoptr(GError) error = NULL;

      /* Failures are counted in connection-errors; the next tick tries again. */
      if (open_in_slot (self, FALSE, NULL, &error) == NULL && error != NULL)
        g_debug ("dbpool: refilling the pool failed: %s", error->message);
    }

  if (work->to_checkpoint != NULL)
    {
      DbSlot *slot = work->to_checkpoint;
      DbBatch batch = DB_BATCH_INIT;
      gboolean healthy;

      /* PASSIVE never waits for readers or the writer; it copies what it can. */
      _db_backend_conn_checkpoint (slot->conn, DB_CHECKPOINT_PASSIVE);
      healthy = !slot->conn->broken;

      g_mutex_lock (&self->lock);
      self->n_borrowed--;
      if (!healthy)
        {
          self->stats.connection_errors++;
          retire_locked (self, slot, &batch);
        }
      else if (self->closed)
        retire_locked (self, slot, &batch);
      else
        g_queue_push_tail_link (&self->idle, &slot->link);
      dispatch_locked (self, &batch);
      g_mutex_unlock (&self->lock);
      finish_batch (self, &batch);
    }

  g_object_unref (self);
  g_free (work);
}

typedef struct
{
  gint64        held_us;
  DbAccess      access;
  DbLeaseOrigin origin;
} LeakReport;

/* Leases held past leak-threshold-ms, each reported once: a warning naming where it
 * was acquired and ::lease-held-too-long, here on the owner context. */
static void
report_leaks (DbPool *self,
              gint64  now)
{
  g_autoptr(GArray) reports = NULL;

  if (self->leak_threshold_ms == 0)
    return;

  reports = g_array_new (FALSE, FALSE, sizeof (LeakReport));
  g_mutex_lock (&self->lock);
  for (GList *l = self->leased.head; l != NULL; l = l->next)
    {
      DbSlot *slot = l->data;

      if (!slot->leak_reported &&
          now - slot->leased_at_us >= (gint64) self->leak_threshold_ms * 1000)
        {
          LeakReport report = { now - slot->leased_at_us, _db_backend_conn_get_read_only (slot->conn) == 1 ? DB_ACCESS_READ : DB_ACCESS_WRITE, slot->origin };

          slot->leak_reported = TRUE;
          g_array_append_val (reports, report);
        }
    }
  g_mutex_unlock (&self->lock);

  for (guint i = 0; i < reports->len; i++)
    {
      LeakReport *report = &g_array_index (reports, LeakReport, i);
      g_autofree char *where = _db_lease_origin_describe (&report->origin);

      g_warning ("dbpool: a lease on “%s” has been held for %.1f s (leak-threshold-ms is %u), %s",
                 self->settings.path, report->held_us / 1e6, self->leak_threshold_ms, where);
      g_signal_emit (self, signals[SIGNAL_LEASE_HELD_TOO_LONG], 0,
                     (guint64) report->held_us, where);
    }
}

/* Runs one maintenance pass now. Returns FALSE if there was nothing to do. */
static gboolean
maintain (DbPool *self)
{
  MaintenanceWork *work;
  gint64 now = g_get_monotonic_time ();
  GList *l;

  work = g_new0 (MaintenanceWork, 1);

  g_mutex_lock (&self->lock);
  if (self->closed)
    {
      g_mutex_unlock (&self->lock);
      g_free (work);
      return FALSE;
    }

  for (l = self->idle.tail; l != NULL;)
    {
      DbSlot *slot = l->data;
      GList *prev = l->prev;
      gboolean idle_too_long = self->idle_timeout_ms > 0 &&
                               now - slot->conn->last_used_us >= (gint64) self->idle_timeout_ms * 1000 &&
                               self->n_open > self->min_connections;

      if (idle_too_long || is_expired (self, slot, now))
        {
          g_queue_unlink (&self->idle, l);
          self->n_open--;
          self->n_closing++;
          self->stats.total_connections_destroyed++;
          g_queue_push_tail_link (&work->to_close, l);
        }
      l = prev;
    }

  /* Refill, unless the breaker says the database is unreachable: then this is how
   * the pool retries on its own once the cool-down is over (one trial at a time). */
  while (self->n_open < self->min_connections &&
         _db_breaker_may_open (&self->breaker, now) == DB_BREAKER_ALLOW)
    {
      self->n_open++;
      self->n_opening++;
      work->to_open++;
    }

  /* Checkpoint only when nobody is using the pool, so it competes with no one. */
  if (self->settings.enable_wal && self->n_leased == 0 && self->waiters.length == 0 &&
      self->idle.length > 0)
    {
      work->to_checkpoint = take_idle_locked (self, DB_ACCESS_WRITE);
      self->n_borrowed++;
    }
  g_mutex_unlock (&self->lock);

  if (work->to_close.length == 0 && work->to_open == 0 && work->to_checkpoint == NULL)
    {
      g_free (work);
      return FALSE;
    }

  _db_pool_notifier_kick (self->notifier);
  work->pool = g_object_ref (self);
  push_job (self, maintenance_job, work);
  return TRUE;
}

static gboolean
maintenance_tick (gpointer data)
{
  g_autoptr(DbPool) self = g_weak_ref_get (data);

  if (self == NULL)
    return G_SOURCE_REMOVE;

  report_leaks (self, g_get_monotonic_time ());
  maintain (self);
  return G_SOURCE_CONTINUE;
}

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

/* ------------------------------------------------------------------------------- */
/* Closing.                                                                        */

static void
begin_close_locked (DbPool  *self,
                    DbBatch *batch)
{
  GList *l;

  if (self->closed)
    return;
  self->closed = TRUE;

  while (self->waiters.head != NULL)
    fail_waiter_locked (self, self->waiters.head->data, batch, closed_error ());
  while ((l = g_queue_pop_head_link (&self->idle)) != NULL)
    retire_locked (self, l->data, batch);
  check_drained_locked (self, batch);
}

static void
stop_maintenance (DbPool *self)
{
  if (self->maintenance_source != NULL)
    {
      g_source_destroy (self->maintenance_source);
      g_clear_pointer (&self->maintenance_source, g_source_unref);
    }
}

/**
 * db_pool_close:
 * @self: a pool
 *
 * Closes the pool and blocks until it is drained: new and queued acquires fail with
 * %DB_POOL_ERROR_CLOSED, outstanding leases are waited for, then every connection
 * is closed (the last one truncates the WAL). Calling it again does nothing.
 *
 * Do not call it on a thread that holds a lease, or on the main thread while a
 * lease is held by code that needs the main loop to finish.
 */
void
db_pool_close (DbPool *self)
{
  DbBatch batch = DB_BATCH_INIT;

  g_return_if_fail (DB_IS_POOL (self));

  g_mutex_lock (&self->lock);
  begin_close_locked (self, &batch);
  g_mutex_unlock (&self->lock);
  finish_batch (self, &batch);

  g_mutex_lock (&self->lock);
  while (!drained_locked (self))
    g_cond_wait (&self->drained_cond, &self->lock);
  g_mutex_unlock (&self->lock);
}

/**
 * db_pool_close_async:
 * @self: a pool
 * @cancellable: (nullable): not used to abort the close, which always completes;
 *   present for API symmetry
 * @callback: (scope async): called once the pool is drained and closed
 * @user_data: data for @callback
 *
 * Closes the pool like [method@DbPool.Pool.close] without blocking: the callback
 * runs once every outstanding lease came back and every connection is closed.
 */
void
db_pool_close_async (DbPool              *self,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  DbBatch batch = DB_BATCH_INIT;

  g_return_if_fail (DB_IS_POOL (self));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, db_pool_close_async);

  g_mutex_lock (&self->lock);
  /* Queued first, so that the drain that begin_close_locked() may reach returns it. */
  self->close_tasks = g_slist_append (self->close_tasks, g_object_ref (task));
  begin_close_locked (self, &batch);
  check_drained_locked (self, &batch);
  g_mutex_unlock (&self->lock);
  finish_batch (self, &batch);
}

/**
 * db_pool_close_finish:
 * @self: a pool
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Finishes [method@DbPool.Pool.close_async].
 *
 * Returns: %TRUE once closed
 */
gboolean
db_pool_close_finish (DbPool        *self,
                      GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (DB_IS_POOL (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * db_pool_is_closed:
 * @self: a pool
 *
 * Whether the pool was closed.
 *
 * Returns: %TRUE once [method@DbPool.Pool.close] or
 *   [method@DbPool.Pool.close_async] was called
 */
gboolean
db_pool_is_closed (DbPool *self)
{
  gboolean closed;

  g_return_val_if_fail (DB_IS_POOL (self), TRUE);

  g_mutex_lock (&self->lock);
  closed = self->closed;
  g_mutex_unlock (&self->lock);
  return closed;
}

/* ------------------------------------------------------------------------------- */
/* Stats.                                                                          */

void
_db_pool_snapshot (DbPool         *self,
                   DbPoolSnapshot *out)
{
  g_mutex_lock (&self->lock);
  out->stats = self->stats;
  out->stats.current_active_connections = self->n_leased;
  out->stats.current_idle_connections = self->idle.length;
  out->stats.waiting_requests = self->waiters.length;
  out->circuit_state = self->breaker.state;
  g_mutex_unlock (&self->lock);
}

/**
 * db_pool_get_stats:
 * @self: a pool
 *
 * Takes a consistent snapshot of all counters at one instant. Safe from any thread.
 *
 * Returns: (transfer full): the snapshot; free with [method@DbPool.PoolStats.free]
 */
DbPoolStats *
db_pool_get_stats (DbPool *self)
{
  DbPoolSnapshot snapshot;

  g_return_val_if_fail (DB_IS_POOL (self), NULL);

  _db_pool_snapshot (self, &snapshot);
  return db_pool_stats_copy (&snapshot.stats);
}

/**
 * db_pool_get_config:
 * @self: a pool
 *
 * The configuration the pool was created with. The pool took its own copy at
 * creation: changing the returned object has no effect on the pool.
 *
 * Returns: (transfer none): the configuration
 */
DbPoolConfig *
db_pool_get_config (DbPool *self)
{
  g_return_val_if_fail (DB_IS_POOL (self), NULL);

  return self->config;
}

/* ------------------------------------------------------------------------------- */
/* Construction.                                                                   */

static gboolean
open_initial (DbPool        *self,
              GCancellable  *cancellable,
              GError       **error)
{
  /* At least one connection is opened even with min-connections = 0: it proves the
   * database is reachable and WAL took, so configuration errors surface here. */
  guint n = MAX (self->min_connections, 1);

  for (guint i = 0; i < n; i++)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;

      g_mutex_lock (&self->lock);
      self->n_open++;
      self->n_opening++;
      g_mutex_unlock (&self->lock);

      if (open_in_slot (self, FALSE, NULL, error) == NULL && error != NULL && *error != NULL)
        return FALSE;
    }
  return TRUE;
}

static gboolean
db_pool_initable_init (GInitable     *initable,
                       GCancellable  *cancellable,
                       GError       **error)
{
  DbPool *self = DB_POOL (initable);
  GError *local_error = NULL;

  if (self->config == NULL)
    {
      g_set_error_literal (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG,
                           "A pool needs a configuration");
      return FALSE;
    }
  if (!db_pool_config_validate (self->config, error))
    return FALSE;

  if (!open_initial (self, cancellable, &local_error))
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  /* From now on the database exists; if it disappears, opens must fail. */
  g_atomic_int_set (&self->settings.may_create, FALSE);
  return TRUE;
}

static void
db_pool_initable_iface_init (GInitableIface *iface)
{
  iface->init = db_pool_initable_init;
}

static void
init_async_job (gpointer data)
{
  g_autoptr(GTask) task = data;
  GError *error = NULL;

  if (db_pool_initable_init (g_task_get_source_object (task), g_task_get_cancellable (task), &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
db_pool_init_async (GAsyncInitable      *initable,
                    int                  io_priority,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  DbPool *self = DB_POOL (initable);
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, db_pool_init_async);
  g_task_set_priority (task, io_priority);
  push_job (self, init_async_job, task);
}

static gboolean
db_pool_init_finish (GAsyncInitable  *initable,
                     GAsyncResult    *result,
                     GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, initable), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
db_pool_async_initable_iface_init (GAsyncInitableIface *iface)
{
  iface->init_async = db_pool_init_async;
  iface->init_finish = db_pool_init_finish;
}

/**
 * db_pool_new:
 * @config: the configuration; the pool keeps its own copy
 * @cancellable: (nullable): a cancellable
 * @error: return location for an error
 *
 * Creates a pool and opens its first connections on the calling thread. The
 * thread-default main context of the calling thread becomes the pool's owner
 * context: stats notifications and maintenance run there.
 *
 * Returns: (transfer full): the pool, or %NULL with @error set
 *   (%DB_POOL_ERROR_INVALID_CONFIG, %DB_POOL_ERROR_OPEN)
 */
DbPool *
db_pool_new (DbPoolConfig  *config,
             GCancellable  *cancellable,
             GError       **error)
{
  g_return_val_if_fail (DB_IS_POOL_CONFIG (config), NULL);

  return g_initable_new (DB_TYPE_POOL, cancellable, error, "config", config, NULL);
}

/**
 * db_pool_new_async:
 * @config: the configuration; the pool keeps its own copy
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called on the caller's thread-default main context,
 *   which becomes the pool's owner context
 * @user_data: data for @callback
 *
 * Creates a pool, opening its first connections on a worker thread.
 */
void
db_pool_new_async (DbPoolConfig        *config,
                   int                  io_priority,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  g_return_if_fail (DB_IS_POOL_CONFIG (config));

  g_async_initable_new_async (DB_TYPE_POOL, io_priority, cancellable, callback, user_data,
                              "config", config, NULL);
}

/**
 * db_pool_new_finish:
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Finishes [func@DbPool.Pool.new_async].
 *
 * Returns: (transfer full): the pool, or %NULL with @error set
 */
DbPool *
db_pool_new_finish (GAsyncResult  *result,
                    GError       **error)
{
  g_autoptr(GObject) source = g_async_result_get_source_object (result);
  GObject *object = g_async_initable_new_finish (G_ASYNC_INITABLE (source), result, error);

  return object ? DB_POOL (object) : NULL;
}

static void
db_pool_constructed (GObject *object)
{
  DbPool *self = DB_POOL (object);
  GWeakRef *weak;

  G_OBJECT_CLASS (db_pool_parent_class)->constructed (object);

  self->owner_context = g_main_context_ref_thread_default ();

  if (self->config != NULL)
    {
      DbPoolConfig *c = self->config;

      self->backend = _db_backend_for_path (db_pool_config_get_path (c));
      self->settings.path = g_strdup (db_pool_config_get_path (c));
      self->settings.busy_timeout_ms = db_pool_config_get_busy_timeout_ms (c);
      self->settings.enable_wal = db_pool_config_get_enable_wal (c);
      self->settings.synchronous = db_pool_config_get_synchronous (c);
      self->settings.statement_cache_size = db_pool_config_get_statement_cache_size (c);
      self->settings.may_create = TRUE;
      self->min_connections = db_pool_config_get_min_connections (c);
      self->max_connections = db_pool_config_get_max_connections (c);
      self->connection_timeout_ms = db_pool_config_get_connection_timeout_ms (c);
      self->idle_timeout_ms = db_pool_config_get_idle_timeout_ms (c);
      self->max_lifetime_ms = db_pool_config_get_max_lifetime_ms (c);
      self->maintenance_interval_ms = db_pool_config_get_maintenance_interval_ms (c);
      self->leak_threshold_ms = db_pool_config_get_leak_threshold_ms (c);
      _db_breaker_init (&self->breaker, db_pool_config_get_circuit_breaker_threshold (c),
                        db_pool_config_get_circuit_breaker_cooldown_ms (c));
    }

  /* One thread per connection (they may all be busy in statements) plus one for
   * opening and maintenance; threads are started lazily. */
  self->workers = g_thread_pool_new (job_run, NULL, (int) MIN (MAX (self->max_connections, 1) + 1, 128),
                                     FALSE, NULL);

  self->notifier = _db_pool_notifier_new (self, self->owner_context,
                                          &properties[FIRST_STAT_PROP], N_STAT_PROPS);

  if (self->maintenance_interval_ms > 0)
    {
      weak = g_new0 (GWeakRef, 1);
      g_weak_ref_init (weak, self);
      self->maintenance_source = g_timeout_source_new (self->maintenance_interval_ms);
      g_source_set_static_name (self->maintenance_source, "[dbpool] maintenance");
      g_source_set_callback (self->maintenance_source, maintenance_tick, weak, weak_ref_free);
      g_source_attach (self->maintenance_source, self->owner_context);
    }
}

static void
db_pool_dispose (GObject *object)
{
  DbPool *self = DB_POOL (object);
  DbBatch batch = DB_BATCH_INIT;

  stop_maintenance (self);

  /* Nothing holds a lease or a job now (both keep the pool alive): close in place. */
  self->disposing = TRUE;
  g_mutex_lock (&self->lock);
  begin_close_locked (self, &batch);
  g_mutex_unlock (&self->lock);
  finish_batch (self, &batch);

  g_clear_pointer (&self->notifier, _db_pool_notifier_free);

  if (self->workers != NULL)
    {
      /* Joining from one of our own workers (the last reference dropped by a job)
       * would wait for ourselves. */
      gboolean on_worker = g_private_get (&current_workers) == self->workers;

      g_thread_pool_free (g_steal_pointer (&self->workers), FALSE, !on_worker);
    }

  G_OBJECT_CLASS (db_pool_parent_class)->dispose (object);
}

static void
db_pool_finalize (GObject *object)
{
  DbPool *self = DB_POOL (object);

  g_clear_object (&self->config);
  _db_backend_settings_clear (&self->settings);
  g_clear_pointer (&self->owner_context, g_main_context_unref);
  _db_breaker_clear (&self->breaker);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->drained_cond);

  G_OBJECT_CLASS (db_pool_parent_class)->finalize (object);
}

static void
db_pool_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  DbPool *self = DB_POOL (object);

  if (prop_id == PROP_CONFIG)
    g_value_set_object (value, self->config);
  else if (prop_id >= FIRST_STAT_PROP && prop_id < N_PROPS)
    {
      DbPoolSnapshot snapshot;
      guint64 v;

      _db_pool_snapshot (self, &snapshot);
      v = _db_pool_snapshot_get_field (&snapshot, prop_id - FIRST_STAT_PROP);
      if (G_PARAM_SPEC_VALUE_TYPE (pspec) == G_TYPE_UINT)
        g_value_set_uint (value, (guint) v);
      else if (G_PARAM_SPEC_VALUE_TYPE (pspec) == G_TYPE_UINT64)
        g_value_set_uint64 (value, v);
      else
        g_value_set_enum (value, (int) v);
    }
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
db_pool_set_property (GObject      *object,
                      guint         prop_id,
                      const GValue *value,
                      GParamSpec   *pspec)
{
  DbPool *self = DB_POOL (object);

  switch (prop_id)
    {
    case PROP_CONFIG:
      {
        DbPoolConfig *config = g_value_get_object (value);

        /* A private copy: the caller may keep changing theirs. */
        self->config = config ? db_pool_config_copy (config) : NULL;
      }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static GParamSpec *
stat_uint64 (const char *name)
{
  return g_param_spec_uint64 (name, NULL, NULL, 0, G_MAXUINT64, 0,
                              G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
}

static GParamSpec *
stat_uint (const char *name)
{
  return g_param_spec_uint (name, NULL, NULL, 0, G_MAXUINT, 0,
                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
}

static void
db_pool_class_init (DbPoolClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = db_pool_constructed;
  object_class->dispose = db_pool_dispose;
  object_class->finalize = db_pool_finalize;
  object_class->get_property = db_pool_get_property;
  object_class->set_property = db_pool_set_property;

  /**
   * DbPool:config:
   *
   * The configuration, copied at construction.
   */
  properties[PROP_CONFIG] =
    g_param_spec_object ("config", NULL, NULL, DB_TYPE_POOL_CONFIG,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * DbPool:total-connections-created:
   *
   * SQLite connections opened so far.
   */
  properties[PROP_TOTAL_CONNECTIONS_CREATED] = stat_uint64 ("total-connections-created");
  /**
   * DbPool:total-connections-destroyed:
   *
   * Connections closed so far: idle, expired, broken, or at close.
   */
  properties[PROP_TOTAL_CONNECTIONS_DESTROYED] = stat_uint64 ("total-connections-destroyed");
  /**
   * DbPool:active-connections:
   *
   * Connections leased right now.
   */
  properties[PROP_ACTIVE_CONNECTIONS] = stat_uint ("active-connections");
  /**
   * DbPool:idle-connections:
   *
   * Connections open and waiting in the pool.
   */
  properties[PROP_IDLE_CONNECTIONS] = stat_uint ("idle-connections");
  /**
   * DbPool:waiting-requests:
   *
   * Acquires queued for a connection right now.
   */
  properties[PROP_WAITING_REQUESTS] = stat_uint ("waiting-requests");
  /**
   * DbPool:total-requests:
   *
   * Acquires served or failed so far.
   */
  properties[PROP_TOTAL_REQUESTS] = stat_uint64 ("total-requests");
  /**
   * DbPool:total-wait-time-us:
   *
   * Summed time acquires spent waiting for a connection, in microseconds.
   */
  properties[PROP_TOTAL_WAIT_TIME_US] = stat_uint64 ("total-wait-time-us");
  /**
   * DbPool:max-wait-time-us:
   *
   * The longest single wait for a connection, in microseconds.
   */
  properties[PROP_MAX_WAIT_TIME_US] = stat_uint64 ("max-wait-time-us");
  /**
   * DbPool:connection-errors:
   *
   * Failed opens, connections found broken (I/O error, corruption) and statements
   * that failed because the disk was full (those connections stay in use).
   */
  properties[PROP_CONNECTION_ERRORS] = stat_uint64 ("connection-errors");
  /**
   * DbPool:timeouts:
   *
   * Acquires that failed with %DB_POOL_ERROR_TIMEOUT.
   */
  properties[PROP_TIMEOUTS] = stat_uint64 ("timeouts");
  /**
   * DbPool:circuit-state:
   *
   * The circuit breaker: %DB_CIRCUIT_OPEN while opening connections keeps failing
   * and acquires that need a new connection fail fast. See
   * [property@DbPool.PoolConfig:circuit-breaker-threshold].
   */
  properties[PROP_CIRCUIT_STATE] =
    g_param_spec_enum ("circuit-state", NULL, NULL, DB_TYPE_CIRCUIT_STATE, DB_CIRCUIT_CLOSED,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * DbPool::lease-held-too-long:
   * @self: the pool
   * @held_us: how long the lease has been held, in microseconds
   * @where: where it was acquired: the dbpool function and a stack trace
   *
   * Emitted on the owner context, once per lease, when a lease has been held longer
   * than [property@DbPool.PoolConfig:leak-threshold-ms]: usually a lease that was
   * forgotten instead of released. A warning with the same text is logged too.
   */
  signals[SIGNAL_LEASE_HELD_TOO_LONG] =
    g_signal_new ("lease-held-too-long", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT64, G_TYPE_STRING);
}

static void
db_pool_init (DbPool *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->drained_cond);
  self->may_spin = g_get_num_processors () > 1;
}
