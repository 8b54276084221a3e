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
 * that at most one write lease is out, and that connections above max-connections
 * (after reconfigure() shrank it) are only ever out on leases, never idle. */
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
  DbPoolHistograms histograms;
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
  /* Above max-connections only after reconfigure() shrank it, and then the excess is
   * out on leases: it retires as it comes back, never parks idle. */
  if (self->n_open > self->limits.max_connections && self->idle.length > 0 && !self->closed)
    g_error ("dbpool: invariant broken: %u open > max-connections %u with %u idle",
             self->n_open, self->limits.max_connections, self->idle.length);
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
    _db_lease_origin_copy (&slot->origin, origin);
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

/* More connections are open than max-connections allows (reconfigure() shrank it):
 * one coming back retires instead of parking idle. */
static gboolean
over_max_locked (DbPoolCore *self)
{
  return self->n_open > self->limits.max_connections;
}

static GError *
closed_error (void)
{
  return g_error_new_literal (DB_POOL_ERROR, DB_POOL_ERROR_CLOSED, "The pool is closed");
}

static GError *
timeout_error (DbWaiter *waiter)
{
  return g_error_new (DB_POOL_ERROR, DB_POOL_ERROR_TIMEOUT,
                      "No connection became available within %u ms", waiter->timeout_ms);
}

/* What the pool was doing when a wait timed out: counted under the lock (the leased
 * list is short), put into words by explain_timeout() once it is dropped. */
typedef struct
{
  guint          n_leased;
  guint          n_mine;          /* leased to the thread that timed out */
  guint          n_opening;
  guint          n_waiting;       /* still queued, besides the one that timed out */
  guint          max_connections;
  gboolean       writer_out;
  gint64         writer_held_us;
  DbLeaseOrigin  writer_origin;
} DbPoolPicture;

/* The write lease held by @thread, or NULL. */
static DbSlot *
writer_held_by_locked (DbPoolCore *self,
                       gsize       thread)
{
  if (!self->writer_busy)
    return NULL;
  for (GList *l = self->leased.head; l != NULL; l = l->next)
    {
      DbSlot *slot = l->data;

      if (slot->access == DB_ACCESS_WRITE)
        return slot->origin.holder == thread ? slot : NULL;
    }
  return NULL;
}

static void
picture_locked (DbPoolCore    *self,
                DbPoolPicture *out)
{
  gsize me = _db_thread_id ();
  gint64 now = g_get_monotonic_time ();

  memset (out, 0, sizeof *out);
  out->n_leased = self->leased.length;
  out->n_opening = self->n_opening;
  out->n_waiting = self->waiters.length;
  out->max_connections = self->limits.max_connections;
  for (GList *l = self->leased.head; l != NULL; l = l->next)
    {
      DbSlot *slot = l->data;

      out->n_mine += slot->origin.holder == me;
      if (slot->access == DB_ACCESS_WRITE)
        {
          out->writer_out = TRUE;
          out->writer_held_us = now - slot->leased_at_us;
          _db_lease_origin_copy (&out->writer_origin, &slot->origin);
        }
    }
}

/* Rewrites a TIMEOUT error's message to say what the pool was doing. */
static void
explain_timeout (GError              *error,
                 const DbPoolPicture *picture)
{
  GString *text;

  if (!g_error_matches (error, DB_POOL_ERROR, DB_POOL_ERROR_TIMEOUT))
    return;

  text = g_string_new (error->message);
  g_string_append_printf (text, ": %u of %u connections leased", picture->n_leased,
                          picture->max_connections);
  if (picture->n_mine > 0)
    g_string_append_printf (text, " (%u of them to this thread itself)", picture->n_mine);
  if (picture->n_opening > 0)
    g_string_append_printf (text, ", %u being opened", picture->n_opening);
  if (picture->n_waiting > 0)
    g_string_append_printf (text, ", %u more request%s waiting", picture->n_waiting,
                            picture->n_waiting == 1 ? "" : "s");
  if (picture->writer_out)
    {
      g_autofree char *where = _db_lease_origin_describe (&picture->writer_origin);

      g_string_append_printf (text, "; the write lease held for %.1f s, %s",
                              picture->writer_held_us / 1e6, where);
    }
  else
    g_string_append (text, "; no write lease out");

  g_free (error->message);
  error->message = g_string_free (text, FALSE);
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
  /* Every request, like the two sums: its count is total-requests, its sum
   * total-wait-time-us. */
  _db_histogram_record (&self->histograms.wait_time, waited);
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
      lend_locked (self, waiter->slot, waiter->access, &waiter->origin);
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
  if (!self->closed || self->n_closing > 0)
    return;

  /* Not only once drained: a close() on a thread holding leases waits for all but
   * its own (_db_pool_core_close()). */
  g_cond_broadcast (&self->drained_cond);
  if (!drained_locked (self))
    return;
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
  gint64 open_started = g_get_monotonic_time ();
  DbSlot *slot = _db_slot_open (self->backend, &self->settings, &local_error);
  gint64 opened = g_get_monotonic_time ();
  DbBatch batch = DB_BATCH_INIT;
  gboolean breaker_changed;

  g_mutex_lock (&self->lock);
  self->n_opening--;
  if (slot != NULL)
    {
      breaker_changed = _db_breaker_success (&self->breaker);
      self->stats.total_connections_created++;
      _db_histogram_record (&self->histograms.create_time, (guint64) (opened - open_started));
      if (lease)
        {
          lend_locked (self, slot, access, origin);
          /* Waiters held back by a trial open may open their own now. */
          if (breaker_changed)
            dispatch_locked (self, &batch);
        }
      else if (!self->closed && !over_max_locked (self))
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
        g_message ("%s: database “%s” is reachable again", _db_pool_get_name (self->pool),
                   self->settings.path);
      else
        g_message ("%s: database “%s” unreachable, failing fast: %s",
                   _db_pool_get_name (self->pool), self->settings.path, local_error->message);
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
  slot = open_in_slot (self, TRUE, waiter->access, &waiter->origin, error);
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
  _db_histogram_record (&self->histograms.use_time, (guint64) MAX (now - slot->leased_at_us, 0));
  g_queue_unlink (&self->leased, &slot->link);
  if (access == DB_ACCESS_WRITE)
    self->writer_busy = FALSE;

  if (!healthy)
    {
      self->stats.connection_errors++;
      retire_locked (self, slot, &batch.to_close);
    }
  else if (self->closed || over_max_locked (self) ||
           _db_slot_is_expired (slot, self->limits.max_lifetime_ms, now))
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
  /* The timeout it started with, whatever reconfigure() does meanwhile. */
  waiter->timeout_ms = self->limits.connection_timeout_ms;

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
  gint64 deadline = waiter->timeout_ms > 0
    ? waiter->enqueued_us + (gint64) waiter->timeout_ms * 1000 : 0;

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
        fail_waiter_locked (self, waiter, batch, timeout_error (waiter));
    }
  return TRUE;
}

/* A second write lease for the thread that holds the write lease would wait for
 * itself: for ever with connection-timeout-ms 0. Say so at once instead. */
static GError *
self_deadlock_error (const DbLeaseOrigin *writer)
{
  g_autofree char *where = _db_lease_origin_describe (writer);

  return g_error_new (DB_POOL_ERROR, DB_POOL_ERROR_MISUSE,
                      "This thread already holds the pool's write lease, so a second write "
                      "acquire on it would wait for itself; use the lease it holds or "
                      "release that first. The write lease was %s", where);
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
  DbPoolPicture picture;
  gboolean timed_out = FALSE;
  DbSlot *writer;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  _db_lease_origin_init (&waiter.origin, entry, _db_thread_id ());
  if (g_atomic_int_get (&self->limits.leak_threshold_ms) > 0)
    _db_lease_origin_capture (&waiter.origin, entry);

  g_mutex_lock (&self->lock);
  if (access == DB_ACCESS_WRITE &&
      (writer = writer_held_by_locked (self, _db_thread_id ())) != NULL)
    {
      DbLeaseOrigin origin;

      _db_lease_origin_copy (&origin, &writer->origin);
      count_request_locked (self, &waiter, 0);
      unlock (self);
      g_propagate_error (error, self_deadlock_error (&origin));
      return NULL;
    }

  g_cond_init (&waiter.cond);
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
        {
          timed_out = g_error_matches (waiter.error, DB_POOL_ERROR, DB_POOL_ERROR_TIMEOUT);
          if (timed_out)
            picture_locked (self, &picture);
          unlock (self);
        }
      g_cancellable_disconnect (cancellable, handler_id);
    }
  else
    unlock (self);
  g_cond_clear (&waiter.cond);

  if (timed_out)
    explain_timeout (waiter.error, &picture);
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
  DbPoolPicture picture;
  gboolean timed_out = FALSE;

  g_mutex_lock (&self->lock);
  if (waiter->queued)
    {
      timed_out = g_error_matches (error, DB_POOL_ERROR, DB_POOL_ERROR_TIMEOUT);
      fail_waiter_locked (self, waiter, &batch, error);
      if (timed_out)
        picture_locked (self, &picture);
    }
  else
    g_error_free (error);
  unlock (self);

  /* Before the batch completes the task with the error. */
  if (timed_out)
    explain_timeout (waiter->error, &picture);
  finish_batch (self, &batch);
  return G_SOURCE_REMOVE;
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
      _db_waiter_watch (waiter, waiter->timeout_ms, timeout_error,
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
        g_debug ("%s: refilling the pool failed: %s", _db_pool_get_name (self->pool),
                 error->message);
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
      else if (self->closed || over_max_locked (self))
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
  gint64 threshold_us = (gint64) g_atomic_int_get (&self->limits.leak_threshold_ms) * 1000;
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

/* The leases out to @thread, which cannot come back while it blocks in close(). */
static guint
count_held_by_locked (DbPoolCore *self,
                      gsize       thread,
                      GArray     *origins)
{
  guint n = 0;

  for (GList *l = self->leased.head; l != NULL; l = l->next)
    {
      DbSlot *slot = l->data;

      if (slot->origin.holder != thread)
        continue;
      n++;
      if (origins != NULL)
        {
          DbLeaseOrigin origin;

          _db_lease_origin_copy (&origin, &slot->origin);
          g_array_append_val (origins, origin);
        }
    }
  return n;
}

/* Closing on a thread that holds leases would wait for ever for them: a programmer
 * error, reported as one, after which close() waits for everyone else's. */
static void
report_held_on_close (DbPoolCore *self,
                      GArray     *origins)
{
  g_autoptr(GString) where = g_string_new (NULL);

  for (guint i = 0; i < origins->len; i++)
    {
      g_autofree char *text = _db_lease_origin_describe (&g_array_index (origins, DbLeaseOrigin, i));

      g_string_append_printf (where, "\n- a lease %s", text);
    }
  g_critical ("dbpool: db_pool_close() on “%s” was called on a thread that still holds "
              "%u of its leases; it does not wait for them (it would wait for ever): they "
              "close when released. Release leases before closing the pool.%s",
              self->settings.path, origins->len, where->str);
}

void
_db_pool_core_close (DbPoolCore *self)
{
  g_autoptr(GArray) mine = g_array_new (FALSE, FALSE, sizeof (DbLeaseOrigin));
  gsize me = _db_thread_id ();
  DbBatch batch = DB_BATCH_INIT;

  g_mutex_lock (&self->lock);
  begin_close_locked (self, &batch);
  count_held_by_locked (self, me, mine);
  unlock (self);
  finish_batch (self, &batch);

  if (mine->len > 0)
    report_held_on_close (self, mine);

  g_mutex_lock (&self->lock);
  while (self->n_closing > 0 || self->n_open > count_held_by_locked (self, me, NULL))
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
/* Reconfiguring a running pool.                                                   */

gboolean
_db_pool_core_reconfigure (DbPoolCore         *self,
                           const DbPoolLimits *limits)
{
  DbBatch batch = DB_BATCH_INIT;

  g_mutex_lock (&self->lock);
  if (self->closed)
    {
      g_mutex_unlock (&self->lock);
      return FALSE;
    }

  self->limits.min_connections = limits->min_connections;
  self->limits.max_connections = limits->max_connections;
  self->limits.connection_timeout_ms = limits->connection_timeout_ms;
  self->limits.idle_timeout_ms = limits->idle_timeout_ms;
  self->limits.max_lifetime_ms = limits->max_lifetime_ms;
  /* Read without the lock by each blocking acquire. */
  g_atomic_int_set (&self->limits.leak_threshold_ms, limits->leak_threshold_ms);

  /* Shrunk: idle connections above the new maximum close now, the least recently
   * used first; leased ones retire as they come back (over_max_locked()). */
  while (over_max_locked (self) && self->idle.tail != NULL)
    {
      GList *l = self->idle.tail;

      g_queue_unlink (&self->idle, l);
      retire_locked (self, l->data, &batch.to_close);
    }
  /* Grown: queued waiters may open connections now, oldest first. */
  dispatch_locked (self, &batch);
  unlock (self);

  finish_batch (self, &batch);
  return TRUE;
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

static void
snapshot_locked (DbPoolCore     *self,
                 DbPoolSnapshot *out)
{
  out->stats = self->stats;
  out->stats.current_active_connections = self->leased.length;
  out->stats.current_idle_connections = self->idle.length;
  out->stats.waiting_requests = self->waiters.length;
  out->circuit_state = self->breaker.state;
}

void
_db_pool_core_snapshot (DbPoolCore     *self,
                        DbPoolSnapshot *out)
{
  g_mutex_lock (&self->lock);
  snapshot_locked (self, out);
  g_mutex_unlock (&self->lock);
}

void
_db_pool_core_snapshot_metrics (DbPoolCore            *self,
                                DbPoolMetricsSnapshot *out)
{
  /* One locked section, so that the histograms agree with the counters. */
  g_mutex_lock (&self->lock);
  snapshot_locked (self, &out->snapshot);
  out->histograms = self->histograms;
  out->min_connections = self->limits.min_connections;
  out->max_connections = self->limits.max_connections;
  g_mutex_unlock (&self->lock);
}

const char *
_db_pool_core_get_path (DbPoolCore *self)
{
  return self->settings.path;
}

DbSlot *
_db_pool_core_open_unpooled (DbPoolCore  *self,
                             GError     **error)
{
  /* No lock: nothing the lock guards is touched. */
  return _db_slot_open (self->backend, &self->settings, error);
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
