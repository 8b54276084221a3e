/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one place where stats changes become notify:: emissions.
 *
 * Counters change on any thread. Handlers (GTK, PyGObject, gjs) must only ever run on
 * the pool's owner GMainContext, and a burst of operations must cost a handful of
 * emissions, not one each. So a change only "kicks" a GSource attached to the owner
 * context; when it dispatches it takes one snapshot and notifies the properties whose
 * value differs from the last snapshot it notified. A kick that finds the source
 * already pending costs one atomic operation and no wakeup. */
#include "db-pool-private.h"

/* At most one dispatch per this many microseconds (one 60 Hz frame): a UI cannot show
 * changes faster, and it bounds the wakeups of the owner thread under load. */
#define NOTIFY_INTERVAL_US 16000

struct _DbPoolNotifier
{
  GSource       source;
  GWeakRef      pool_ref;
  int           pending;            /* atomic */
  gint64        next_allowed_us;    /* atomic (__atomic builtins) */
  GParamSpec  **pspecs;
  guint         n_pspecs;
  DbPoolSnapshot last;               /* owner context only */
  guint         recheck;            /* owner context only: stat indices to notify again */
};

guint64
_db_pool_snapshot_get_field (const DbPoolSnapshot *snapshot,
                             guint                 index)
{
  const DbPoolStats *stats = &snapshot->stats;

  switch (index)
    {
    case 0: return stats->total_connections_created;
    case 1: return stats->total_connections_destroyed;
    case 2: return stats->current_active_connections;
    case 3: return stats->current_idle_connections;
    case 4: return stats->waiting_requests;
    case 5: return stats->total_requests;
    case 6: return stats->total_wait_time_us;
    case 7: return stats->max_wait_time_us;
    case 8: return stats->connection_errors;
    case 9: return stats->timeouts;
    case 10: return snapshot->circuit_state;
    default:
      g_assert_not_reached ();
    }
}

static gboolean
notifier_dispatch (GSource     *source,
                   GSourceFunc  callback,
                   gpointer     user_data)
{
  DbPoolNotifier *self = (DbPoolNotifier *) source;
  g_autoptr(GObject) pool = NULL;
  DbPoolSnapshot now;
  guint notified = 0;

  g_source_set_ready_time (source, -1);
  __atomic_store_n (&self->next_allowed_us, g_get_monotonic_time () + NOTIFY_INTERVAL_US,
                    __ATOMIC_RELAXED);
  /* Cleared before the snapshot: a change racing with it kicks again, so nothing is
   * ever left unnotified. */
  g_atomic_int_set (&self->pending, 0);

  pool = g_weak_ref_get (&self->pool_ref);
  if (pool == NULL)
    return G_SOURCE_CONTINUE;

  _db_pool_snapshot (DB_POOL (pool), &now);

  g_object_freeze_notify (pool);
  for (guint i = 0; i < self->n_pspecs; i++)
    if (_db_pool_snapshot_get_field (&now, i) != _db_pool_snapshot_get_field (&self->last, i) ||
        (self->recheck & (1u << i)) != 0)
      {
        g_object_notify_by_pspec (pool, self->pspecs[i]);
        notified |= 1u << i;
      }
  self->last = now;
  g_object_thaw_notify (pool);

  /* Handlers read the live value when notified. If anything changed since the snapshot
   * (a kick arrived meanwhile), what they read may be neither the snapshot nor the
   * final value, and the next snapshot may equal this one: notify them again then. */
  self->recheck = g_atomic_int_get (&self->pending) ? notified : 0;

  return G_SOURCE_CONTINUE;
}

static void
notifier_finalize (GSource *source)
{
  DbPoolNotifier *self = (DbPoolNotifier *) source;

  g_weak_ref_clear (&self->pool_ref);
}

static GSourceFuncs notifier_funcs = {
  .dispatch = notifier_dispatch,
  .finalize = notifier_finalize,
};

DbPoolNotifier *
_db_pool_notifier_new (DbPool        *pool,
                       GMainContext  *context,
                       GParamSpec   **stat_pspecs,
                       guint          n_stat_pspecs)
{
  GSource *source = g_source_new (&notifier_funcs, sizeof (DbPoolNotifier));
  DbPoolNotifier *self = (DbPoolNotifier *) source;

  g_source_set_static_name (source, "[dbpool] stats notify");
  g_source_set_priority (source, G_PRIORITY_DEFAULT_IDLE);
  g_weak_ref_init (&self->pool_ref, pool);
  self->pspecs = stat_pspecs;
  self->n_pspecs = n_stat_pspecs;
  g_source_attach (source, context);

  return self;
}

void
_db_pool_notifier_kick (DbPoolNotifier *self)
{
  gint64 next_allowed;

  /* Read before the exchange: while a dispatch is pending (nearly always under load)
   * every acquire and release returns here without writing the shared cache line. */
  if (self == NULL || g_atomic_int_get (&self->pending) ||
      !g_atomic_int_compare_and_exchange (&self->pending, 0, 1))
    return;

  next_allowed = __atomic_load_n (&self->next_allowed_us, __ATOMIC_RELAXED);
  /* A ready time in the past means "now"; otherwise the owner context sleeps until
   * the interval is over and then notifies everything that changed meanwhile. */
  g_source_set_ready_time (&self->source, next_allowed);
}

void
_db_pool_notifier_free (DbPoolNotifier *self)
{
  if (self == NULL)
    return;

  /* The source (and this struct) lives on while a dispatch is running on the owner
   * thread; the weak reference makes that dispatch a no-op. */
  g_source_destroy (&self->source);
  g_source_unref (&self->source);
}
