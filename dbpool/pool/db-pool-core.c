/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pool's core: the one lock, the queues and counts it guards, and the handoff.
 *
 * The lease path, in order: an acquire builds a DbWaiter and calls enqueue_locked();
 * if nobody is queued ahead and a connection (or a slot to open one) is free,
 * try_grant_locked() serves it at once; otherwise it queues, and the next
 * _db_pool_core_return() (or a finished open) runs dispatch_locked(), which hands the
 * connection straight to the oldest waiter it can serve (ARCHITECTURE.md rules 1-3).
 * A grant that is a slot opens its connection outside the lock (take_grant()).
 *
 * Counter moves go through the small helpers below (reserve_slot_locked,
 * lend_locked, ...), and check_locked() verifies after each locked section, when
 * DBPOOL_CHECK_INVARIANTS is set (the test suite sets it), that
 *   n_open = idle + leased + opening + borrowed
 * and that at most one write lease is out. */
#include <gio/gio.h>

#include "db-connection-private.h"
#include "db-pool-core-private.h"
#include "db-pool-private.h"
#include "db-tuning-private.h"

/* What a locked section leaves to do once the lock is dropped. */
typedef struct
{
  GQueue   finished;          /* async waiters to complete */
  GQueue   to_close;          /* DbSlots to close */
  GSList  *close_tasks;       /* close_async tasks to return */
} DbBatch;

#define DB_BATCH_INIT { G_QUEUE_INIT, G_QUEUE_INIT, NULL }

struct _DbPoolCore
{
  DbPool          *pool;          /* borrowed: the pool owns the core */
  const DbBackend *backend;
  DbBackendSettings settings;
  DbPoolLimits     limits;
  gboolean         may_spin;      /* more than one processor */
  gboolean         check;         /* check the invariants after each locked section */
  gboolean         shutting_down; /* dispose: no worker may run any more */

  /* Everything below is guarded by @lock. */
  GMutex           lock;
  GCond            drained_cond;
  GQueue           idle;          /* DbSlot, most recently returned first */
  GQueue           waiters;       /* DbWaiter, oldest first */
  GQueue           leased;        /* DbSlot out on a lease */
  DbBreaker        breaker;
  guint            n_open;        /* idle + leased + opening + borrowed */
  guint            n_opening;
  guint            n_borrowed;    /* held by maintenance */
  guint            n_closing;
  gboolean         writer_busy;
  guint            n_spinning;    /* sync waiters spinning for a handoff: 0 or 1 */
  gboolean         closed;
  GSList          *close_tasks;
  DbPoolStats      stats;
};

/* Maintenance work decided under the lock, done on a worker. */
struct _DbMaintenance
{
  GQueue   to_close;
  guint    to_open;
  DbSlot  *to_checkpoint;
};

/* ------------------------------------------------------------------------------- */
/* Counter moves and the invariants they keep. Called with the lock held.          */

static void
check_locked (DbPoolCore *self)
{
  guint writers = 0;

  if (!self->check)
    return;
  for (GList *l = self->leased.head; l != NULL; l = l->next)
    writers += ((DbSlot *) l->data)->access == DB_ACCESS_WRITE;

  if (self->n_open != self->idle.length + self->leased.length + self->n_opening + self->n_borrowed)
    g_error ("dbpool: invariant broken: %u open != %u idle + %u leased + %u opening + %u borrowed",
             self->n_open, self->idle.length, self->leased.length, self->n_opening,
             self->n_borrowed);
  if (writers > 1 || (writers == 1 && !self->writer_busy))
    g_error ("dbpool: invariant broken: %u write leases out, writer %s", writers,
             self->writer_busy ? "busy" : "free");
  if (self->n_open > self->limits.max_connections && !self->closed)
    g_error ("dbpool: invariant broken: %u open > max-connections %u", self->n_open,
             self->limits.max_connections);
}

/* A slot to open one more connection: counted as open (and opening) from now on. */
static void
reserve_slot_locked (DbPoolCore *self)
{
  self->n_open++;
  self->n_opening++;
}

/* @slot goes out on a lease: counted, and listed for leak detection. */
static void
lend_locked (DbPoolCore          *self,
             DbSlot              *slot,
             DbAccess             access,
             const DbLeaseOrigin *origin)
{
  slot->access = access;
  slot->leased_at_us = g_get_monotonic_time ();
  slot->leak_reported = FALSE;
  if (origin != NULL)
    slot->origin = *origin;
  g_queue_push_tail_link (&self->leased, &slot->link);
}

/* Takes @slot out of service; it is closed, from @to_close, after the lock is
 * dropped. The caller has already taken it off the idle or leased queue (or it was
 * opening or borrowed). */
static void
retire_locked (DbPoolCore *self,
               DbSlot     *slot,
               GQueue     *to_close)
{
  self->n_open--;
  self->n_closing++;
  self->stats.total_connections_destroyed++;
  /* The last connection of a closed pool truncates the WAL on its way out. */
  slot->truncate_log = self->closed && self->n_open == 0;
  g_queue_push_tail_link (to_close, &slot->link);
}

static GError *
closed_error (void)
{
  return g_error_new_literal (DB_POOL_ERROR, DB_POOL_ERROR_CLOSED, "The pool is closed");
}

static GError *
timeout_error (DbPoolCore *self)
{
  return g_error_new (DB_POOL_ERROR, DB_POOL_ERROR_TIMEOUT,
                      "No connection became available within %u ms",
                      self->limits.connection_timeout_ms);
}

/* ------------------------------------------------------------------------------- */
/* Finishing waiters, and the handoff spin.                                        */

static void
count_request_locked (DbPoolCore *self,
                      DbWaiter   *waiter,
                      gint64      now)
{
  guint64 waited = waiter->enqueued_us ? (guint64) MAX (now - waiter->enqueued_us, 0) : 0;

  self->stats.total_requests++;
  self->stats.total_wait_time_us += waited;
  if (waited > self->stats.max_wait_time_us)
    self->stats.max_wait_time_us = waited;
}

static void
finish_waiter_locked (DbPoolCore *self,
                      DbWaiter   *waiter,
                      DbBatch    *batch,
                      gint64      now)
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
 * machine with an idle vCPU can take longer than a short commit. So the oldest
 * waiter, if it is a blocked thread, spins instead of sleeping (once, for a short
 * while) while the connection it waits for is in use: the handoff stays first come,
 * first served but reaches it without a wake-up. It is woken to spin when it becomes
 * the oldest, in parallel with the current holder's work. At most one waiter spins,
 * and never on a single processor. */

static void
arm_spinner_locked (DbPoolCore *self)
{
  DbWaiter *head;

  if (!self->may_spin || !_db_tuning.handoff_spin || self->n_spinning > 0 ||
      self->waiters.head == NULL)
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

/* ------------------------------------------------------------------------------- */
/* Granting: idle connections, slots, the direct handoff.                          */

/* The slot this thread returned last (any pool's; only ever compared, never
 * dereferenced unless found in this pool's idle queue). */
static GPrivate last_returned;

static DbSlot *
take_idle_locked (DbPoolCore *self,
                  DbAccess    access)
{
  gboolean want_query_only = access == DB_ACCESS_READ;
  gpointer mine = _db_tuning.thread_affinity ? g_private_get (&last_returned) : NULL;
  GList *match = NULL;
  GList *l;

  /* Prefer the connection this thread used last: its pages and statements are warm
   * in this core's caches, and two threads keep apart instead of trading connections
   * on every operation. Then one already in the right read-only state (and so with
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

/* Tries to serve @waiter right now: an idle connection, a slot to open one, or (the
 * circuit breaker being open) an immediate error. */
static gboolean
try_grant_locked (DbPoolCore *self,
                  DbWaiter   *waiter)
{
  if (waiter->access == DB_ACCESS_WRITE && self->writer_busy)
    return FALSE;

  if (self->idle.length > 0)
    {
      waiter->slot = take_idle_locked (self, waiter->access);
      lend_locked (self, waiter->slot, waiter->access,
                   self->limits.leak_threshold_ms > 0 ? &waiter->origin : NULL);
    }
  else if (self->n_open < self->limits.max_connections)
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
      reserve_slot_locked (self);
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
dispatch_locked (DbPoolCore *self,
                 DbBatch    *batch)
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
fail_waiter_locked (DbPoolCore *self,
                    DbWaiter   *waiter,
                    DbBatch    *batch,
                    GError     *error)
{
  waiter->error = error;
  if (g_error_matches (error, DB_POOL_ERROR, DB_POOL_ERROR_TIMEOUT))
    self->stats.timeouts++;
  finish_waiter_locked (self, waiter, batch, g_get_monotonic_time ());
}

static gboolean
drained_locked (DbPoolCore *self)
{
  return self->n_open == 0 && self->n_closing == 0;
}

/* A closed pool is drained once no connection is open, leased or being closed:
 * close() wakes up and close_async() tasks complete. */
static void
check_drained_locked (DbPoolCore *self,
                      DbBatch    *batch)
{
  if (!self->closed || !drained_locked (self))
    return;

  g_cond_broadcast (&self->drained_cond);
  batch->close_tasks = g_slist_concat (batch->close_tasks, g_steal_pointer (&self->close_tasks));
}

/* The end of every locked section that changed something. */
static void
unlock (DbPoolCore *self)
{
  check_locked (self);
  g_mutex_unlock (&self->lock);
}

/* ------------------------------------------------------------------------------- */
/* After the lock: closing connections, completing waiters and close tasks.        */

static void finish_batch (DbPoolCore *self, DbBatch *batch);

static void
close_slots (DbPoolCore *self,
             GQueue     *to_close)
{
  DbBatch batch = DB_BATCH_INIT;
  guint n = 0;
  GList *l;

  while ((l = g_queue_pop_head_link (to_close)) != NULL)
    {
      _db_slot_close (l->data);
      n++;
    }
  if (n == 0)
    return;

  g_mutex_lock (&self->lock);
  self->n_closing -= n;
  check_drained_locked (self, &batch);
  unlock (self);
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

  close_slots (_db_pool_get_core (job->pool), &job->to_close);
  g_object_unref (job->pool);
  g_free (job);
}

static void
finish_batch (DbPoolCore *self,
              DbBatch    *batch)
{
  GList *l;

  while ((l = g_queue_pop_head_link (&batch->finished)) != NULL)
    {
      DbWaiter *waiter = l->data;

      waiter->done (self->pool, waiter);
    }

  if (batch->to_close.length > 0)
    {
      /* Closing may checkpoint the WAL: never on the caller's (perhaps UI) thread.
       * Only dispose, when no worker may run any more, closes in place. */
      if (!self->shutting_down)
        {
          CloseJob *job = g_new0 (CloseJob, 1);

          job->pool = g_object_ref (self->pool);
          job->to_close = batch->to_close;
          g_queue_init (&batch->to_close);
          _db_pool_push_job (self->pool, close_job, job);
        }
      else
        close_slots (self, &batch->to_close);
    }

  for (GSList *t = batch->close_tasks; t != NULL; t = t->next)
    {
      g_task_return_boolean (t->data, TRUE);
      g_object_unref (t->data);
    }
  g_clear_pointer (&batch->close_tasks, g_slist_free);

  _db_pool_stats_changed (self->pool);
}

/* ------------------------------------------------------------------------------- */
/* Opening connections.                                                            */

/* The caller holds an open slot (reserve_slot_locked()). With @lease the new
 * connection is lent to the caller, else it goes to the idle queue. */
static DbSlot *
open_in_slot (DbPoolCore          *self,
              gboolean             lease,
              DbAccess             access,
              const DbLeaseOrigin *origin,
              GError             **error)
{
  g_autoptr(GError) local_error = NULL;
  DbSlot *slot = _db_slot_open (self->backend, &self->settings, &local_error);
  DbBatch batch = DB_BATCH_INIT;
  gboolean breaker_changed;

  g_mutex_lock (&self->lock);
  self->n_opening--;
  if (slot != NULL)
    {
      breaker_changed = _db_breaker_success (&self->breaker);
      self->stats.total_connections_created++;
      if (lease)
        {
          lend_locked (self, slot, access, origin);
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
        retire_locked (self, slot, &batch.to_close);
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
  unlock (self);
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
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return slot;
}

gboolean
_db_pool_core_open_idle (DbPoolCore  *self,
                         GError     **error)
{
  g_mutex_lock (&self->lock);
  reserve_slot_locked (self);
  unlock (self);

  return open_in_slot (self, FALSE, DB_ACCESS_READ, NULL, error) != NULL;
}

void
_db_pool_core_finish_opening (DbPoolCore *self)
{
  /* From now on the database exists; if it disappears, opens must fail. */
  g_atomic_int_set (&self->settings.may_create, FALSE);
}

DbSlot *
_db_pool_core_take_grant (DbPoolCore  *self,
                          DbWaiter    *waiter,
                          GError     **error)
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
  slot = open_in_slot (self, TRUE, waiter->access,
                       self->limits.leak_threshold_ms > 0 ? &waiter->origin : NULL, error);
  if (slot == NULL && waiter->access == DB_ACCESS_WRITE)
    {
      DbBatch batch = DB_BATCH_INIT;

      /* The writer turn this waiter held goes to the next writer. */
      g_mutex_lock (&self->lock);
      self->writer_busy = FALSE;
      dispatch_locked (self, &batch);
      unlock (self);
      finish_batch (self, &batch);
    }
  return slot;
}

/* ------------------------------------------------------------------------------- */
/* Returning a lease.                                                              */

void
_db_pool_core_return (DbPoolCore *self,
                      DbSlot     *slot,
                      DbAccess    access)
{
  DbBackendConn *conn = slot->conn;
  DbBatch batch = DB_BATCH_INIT;
  gboolean healthy;
  gint64 now;

  /* Outside the lock: this may roll back a transaction. */
  healthy = _db_backend_conn_reset_for_reuse (conn);
  now = g_get_monotonic_time ();
  conn->last_used_us = now;

  g_mutex_lock (&self->lock);
  self->stats.connection_errors += conn->full_errors;
  conn->full_errors = 0;
  g_queue_unlink (&self->leased, &slot->link);
  if (access == DB_ACCESS_WRITE)
    self->writer_busy = FALSE;

  if (!healthy)
    {
      self->stats.connection_errors++;
      retire_locked (self, slot, &batch.to_close);
    }
  else if (self->closed || _db_slot_is_expired (slot, self->limits.max_lifetime_ms, now))
    retire_locked (self, slot, &batch.to_close);
  else
    {
      g_queue_push_head_link (&self->idle, &slot->link);
      g_private_set (&last_returned, slot);
    }

  dispatch_locked (self, &batch);
  unlock (self);

  finish_batch (self, &batch);
}

/* ------------------------------------------------------------------------------- */
/* Acquiring: the entry for every acquire, then the sync and async waits.          */

/* Serves @waiter at once if nobody is queued ahead of it, else queues it and lets
 * dispatch decide. Returns TRUE if the waiter is finished (served or failed) by the
 * time the lock is dropped. */
static gboolean
enqueue_locked (DbPoolCore *self,
                DbWaiter   *waiter,
                DbBatch    *batch)
{
  waiter->core = self;
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

static void
sync_waiter_cancelled (GCancellable *cancellable,
                       gpointer      data)
{
  DbWaiter *waiter = data;
  DbPoolCore *self = waiter->core;
  DbBatch batch = DB_BATCH_INIT;

  g_mutex_lock (&self->lock);
  if (waiter->queued)
    fail_waiter_locked (self, waiter, &batch, _db_waiter_cancelled_error ());
  unlock (self);
}

/* Waits, with the lock held on entry, until @waiter is finished, spinning for the
 * handoff when armed and failing it at its deadline. Returns with the lock held
 * unless a spin was served (then nothing more needs the lock). */
static gboolean
wait_locked (DbPoolCore *self,
             DbWaiter   *waiter,
             DbBatch    *batch)
{
  gint64 deadline = self->limits.connection_timeout_ms > 0
    ? waiter->enqueued_us + (gint64) self->limits.connection_timeout_ms * 1000 : 0;

  while (!waiter->finished)
    {
      gboolean woken;

      if (waiter->spinning)
        {
          g_mutex_unlock (&self->lock);
          _db_waiter_spin_for_grant (waiter);
          /* Served: whoever finished the waiter set everything before @granted and
           * took it off the spinner count; going back to the lock here would queue
           * behind the releaser that is still holding it. */
          if (g_atomic_int_get (&waiter->granted))
            return FALSE;
          g_mutex_lock (&self->lock);
          if (waiter->spinning)
            {
              waiter->spinning = FALSE;
              waiter->spun = TRUE;
              self->n_spinning--;
            }
          continue;
        }

      waiter->sleeping = TRUE;
      if (deadline == 0)
        {
          g_cond_wait (&waiter->cond, &self->lock);
          woken = TRUE;
        }
      else
        woken = g_cond_wait_until (&waiter->cond, &self->lock, deadline);
      waiter->sleeping = FALSE;
      if (!woken && !waiter->finished)
        fail_waiter_locked (self, waiter, batch, timeout_error (self));
    }
  return TRUE;
}

DbSlot *
_db_pool_core_acquire (DbPoolCore    *self,
                       DbAccess       access,
                       GCancellable  *cancellable,
                       const char    *entry,
                       GError       **error)
{
  DbWaiter waiter = { .access = access };
  DbBatch batch = DB_BATCH_INIT;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  if (self->limits.leak_threshold_ms > 0)
    _db_lease_origin_capture (&waiter.origin, entry);

  g_cond_init (&waiter.cond);
  g_mutex_lock (&self->lock);
  if (!enqueue_locked (self, &waiter, &batch))
    {
      gulong handler_id = 0;

      if (cancellable != NULL)
        {
          /* The handler takes the lock (and runs at once if already cancelled). */
          unlock (self);
          handler_id = g_cancellable_connect (cancellable, G_CALLBACK (sync_waiter_cancelled),
                                              &waiter, NULL);
          g_mutex_lock (&self->lock);
        }
      if (wait_locked (self, &waiter, &batch))
        unlock (self);
      g_cancellable_disconnect (cancellable, handler_id);
    }
  else
    unlock (self);
  g_cond_clear (&waiter.cond);

  finish_batch (self, &batch);

  return _db_pool_core_take_grant (self, &waiter, error);
}

static gboolean
waiter_expire (GTask  *task,
               GError *error)
{
  DbWaiter *waiter = g_task_get_task_data (task);
  DbPoolCore *self = waiter->core;
  DbBatch batch = DB_BATCH_INIT;

  g_mutex_lock (&self->lock);
  if (waiter->queued)
    fail_waiter_locked (self, waiter, &batch, error);
  else
    g_error_free (error);
  unlock (self);

  finish_batch (self, &batch);
  return G_SOURCE_REMOVE;
}

static GError *
waiter_timeout_error (DbWaiter *waiter)
{
  return timeout_error (waiter->core);
}

void
_db_pool_core_enqueue_async (DbPoolCore   *self,
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
      waiter->core = self;
      waiter->error = _db_waiter_cancelled_error ();
      done (self->pool, waiter);
      return;
    }

  g_mutex_lock (&self->lock);
  finished = enqueue_locked (self, waiter, &batch);
  if (!finished)
    {
      /* The queue keeps the task (and so the waiter) alive until the waiter is
       * finished; the done function drops this reference. The sources exist before
       * the lock is dropped, so nobody can finish the waiter without seeing them. */
      g_object_ref (task);
      waiter->holds_task = TRUE;
      _db_waiter_watch (waiter, self->limits.connection_timeout_ms, waiter_timeout_error,
                        waiter_expire);
    }
  unlock (self);

  finish_batch (self, &batch);
  if (finished)
    done (self->pool, waiter);
}

/* ------------------------------------------------------------------------------- */
/* Maintenance.                                                                    */

DbMaintenance *
_db_pool_core_plan_maintenance (DbPoolCore *self,
                                gint64      now)
{
  g_autofree DbMaintenance *work = g_new0 (DbMaintenance, 1);
  const DbPoolLimits *limits = &self->limits;
  GList *l;

  g_mutex_lock (&self->lock);
  if (self->closed)
    {
      g_mutex_unlock (&self->lock);
      return NULL;
    }

  for (l = self->idle.tail; l != NULL;)
    {
      DbSlot *slot = l->data;
      GList *prev = l->prev;
      gboolean idle_too_long = limits->idle_timeout_ms > 0 &&
                               now - slot->conn->last_used_us >= (gint64) limits->idle_timeout_ms * 1000 &&
                               self->n_open > limits->min_connections;

      if (idle_too_long || _db_slot_is_expired (slot, self->limits.max_lifetime_ms, now))
        {
          g_queue_unlink (&self->idle, l);
          retire_locked (self, slot, &work->to_close);
        }
      l = prev;
    }

  /* Refill, unless the breaker says the database is unreachable: then this is how
   * the pool retries on its own once the cool-down is over (one trial at a time). */
  while (self->n_open < limits->min_connections &&
         _db_breaker_may_open (&self->breaker, now) == DB_BREAKER_ALLOW)
    {
      reserve_slot_locked (self);
      work->to_open++;
    }

  /* Checkpoint only when nobody is using the pool, so it competes with no one, and
   * with the writer's turn held: SQLite 3.40 can corrupt the WAL when a checkpoint
   * races another connection's commit that resets the log (fixed upstream in
   * 3.51.3), so no write may be granted until it is done. */
  if (self->settings.enable_wal && self->leased.length == 0 && self->waiters.length == 0 &&
      self->idle.length > 0 && !self->writer_busy)
    {
      work->to_checkpoint = take_idle_locked (self, DB_ACCESS_WRITE);
      self->n_borrowed++;
      self->writer_busy = TRUE;
    }
  unlock (self);

  if (work->to_close.length == 0 && work->to_open == 0 && work->to_checkpoint == NULL)
    return NULL;

  _db_pool_stats_changed (self->pool);
  return g_steal_pointer (&work);
}

void
_db_pool_core_run_maintenance (DbPoolCore    *self,
                               DbMaintenance *work)
{
  close_slots (self, &work->to_close);

  for (guint i = 0; i < work->to_open; i++)
    {
      g_autoptr(GError) error = NULL;

      /* Failures are counted in connection-errors; the next tick tries again. */
      if (open_in_slot (self, FALSE, DB_ACCESS_READ, NULL, &error) == NULL)
        g_debug ("dbpool: refilling the pool failed: %s", error->message);
    }

  if (work->to_checkpoint != NULL)
    {
      DbSlot *slot = work->to_checkpoint;
      DbBatch batch = DB_BATCH_INIT;
      gboolean healthy;

      /* PASSIVE never waits for readers or the writer; it copies what it can. */
      _db_backend_conn_checkpoint (slot->conn, DB_CHECKPOINT_PASSIVE);
      if (_db_tuning.checkpoint_hook != NULL)
        _db_tuning.checkpoint_hook ();
      healthy = !slot->conn->broken;

      g_mutex_lock (&self->lock);
      self->n_borrowed--;
      self->writer_busy = FALSE;
      if (!healthy)
        {
          self->stats.connection_errors++;
          retire_locked (self, slot, &batch.to_close);
        }
      else if (self->closed)
        retire_locked (self, slot, &batch.to_close);
      else
        g_queue_push_tail_link (&self->idle, &slot->link);
      dispatch_locked (self, &batch);
      unlock (self);
      finish_batch (self, &batch);
    }

  g_free (work);
}

GArray *
_db_pool_core_collect_leaks (DbPoolCore *self,
                             gint64      now)
{
  gint64 threshold_us = (gint64) self->limits.leak_threshold_ms * 1000;
  GArray *reports = g_array_new (FALSE, FALSE, sizeof (DbLeakReport));

  if (threshold_us == 0)
    return reports;

  g_mutex_lock (&self->lock);
  for (GList *l = self->leased.head; l != NULL; l = l->next)
    {
      DbSlot *slot = l->data;

      if (!slot->leak_reported && now - slot->leased_at_us >= threshold_us)
        {
          DbLeakReport report = { now - slot->leased_at_us, slot->access, slot->origin };

          slot->leak_reported = TRUE;
          g_array_append_val (reports, report);
        }
    }
  g_mutex_unlock (&self->lock);
  return reports;
}

/* ------------------------------------------------------------------------------- */
/* Closing.                                                                        */

static void
begin_close_locked (DbPoolCore *self,
                    DbBatch    *batch)
{
  GList *l;

  if (self->closed)
    return;
  self->closed = TRUE;

  while (self->waiters.head != NULL)
    fail_waiter_locked (self, self->waiters.head->data, batch, closed_error ());
  while ((l = g_queue_pop_head_link (&self->idle)) != NULL)
    retire_locked (self, l->data, &batch->to_close);
  check_drained_locked (self, batch);
}

void
_db_pool_core_close (DbPoolCore *self)
{
  DbBatch batch = DB_BATCH_INIT;

  g_mutex_lock (&self->lock);
  begin_close_locked (self, &batch);
  unlock (self);
  finish_batch (self, &batch);

  g_mutex_lock (&self->lock);
  while (!drained_locked (self))
    g_cond_wait (&self->drained_cond, &self->lock);
  g_mutex_unlock (&self->lock);
}

void
_db_pool_core_close_async (DbPoolCore *self,
                           GTask      *task)
{
  DbBatch batch = DB_BATCH_INIT;

  g_mutex_lock (&self->lock);
  /* Queued first, so that the drain that begin_close_locked() may reach returns it. */
  self->close_tasks = g_slist_append (self->close_tasks, g_object_ref (task));
  begin_close_locked (self, &batch);
  check_drained_locked (self, &batch);
  unlock (self);
  finish_batch (self, &batch);
}

gboolean
_db_pool_core_is_closed (DbPoolCore *self)
{
  gboolean closed;

  g_mutex_lock (&self->lock);
  closed = self->closed;
  g_mutex_unlock (&self->lock);
  return closed;
}

void
_db_pool_core_shutdown (DbPoolCore *self)
{
  DbBatch batch = DB_BATCH_INIT;

  self->shutting_down = TRUE;
  g_mutex_lock (&self->lock);
  begin_close_locked (self, &batch);
  unlock (self);
  finish_batch (self, &batch);
}

/* ------------------------------------------------------------------------------- */
/* Stats and life cycle.                                                           */

gboolean
_db_pool_core_writer_wanted (DbPoolCore *self)
{
  gboolean wanted = FALSE;

  g_mutex_lock (&self->lock);
  for (GList *l = self->waiters.head; l != NULL && !wanted; l = l->next)
    wanted = ((DbWaiter *) l->data)->access == DB_ACCESS_WRITE;
  g_mutex_unlock (&self->lock);
  return wanted;
}

void
_db_pool_core_count_group_commit (DbPoolCore *self,
                                  guint       n_jobs)
{
  g_mutex_lock (&self->lock);
  self->stats.group_commits++;
  self->stats.group_commit_jobs += n_jobs;
  g_mutex_unlock (&self->lock);
  _db_pool_stats_changed (self->pool);
}

void
_db_pool_core_snapshot (DbPoolCore     *self,
                        DbPoolSnapshot *out)
{
  g_mutex_lock (&self->lock);
  out->stats = self->stats;
  out->stats.current_active_connections = self->leased.length;
  out->stats.current_idle_connections = self->idle.length;
  out->stats.waiting_requests = self->waiters.length;
  out->circuit_state = self->breaker.state;
  g_mutex_unlock (&self->lock);
}

const char *
_db_pool_core_get_path (DbPoolCore *self)
{
  return self->settings.path;
}

DbPoolCore *
_db_pool_core_new (DbPool             *pool,
                   DbBackendSettings  *settings,
                   const DbPoolLimits *limits)
{
  DbPoolCore *self = g_new0 (DbPoolCore, 1);

  self->pool = pool;
  self->backend = _db_backend_for_path (settings->path);
  self->settings = *settings;
  memset (settings, 0, sizeof *settings);
  self->limits = *limits;
  self->may_spin = g_get_num_processors () > 1;
  self->check = g_strcmp0 (g_getenv ("DBPOOL_CHECK_INVARIANTS"), "1") == 0;
  g_mutex_init (&self->lock);
  g_cond_init (&self->drained_cond);
  _db_breaker_init (&self->breaker, limits->circuit_breaker_threshold,
                    limits->circuit_breaker_cooldown_ms);
  return self;
}

void
_db_pool_core_free (DbPoolCore *self)
{
  if (self == NULL)
    return;
  _db_backend_settings_clear (&self->settings);
  _db_breaker_clear (&self->breaker);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->drained_cond);
  g_free (self);
}
