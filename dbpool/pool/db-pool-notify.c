/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one place where stats changes become notify:: emissions.
 *
 * Counters change on any thread. Handlers (GTK, PyGObject, gjs) must only ever run on
 * the pool's owner GMainContext, and a burst of operations must cost a handful of
 * emissions, not one each. So a change only "kicks" a GSource attached to the owner
 * context; when it dispatches it takes one snapshot and notifies the properties whose
 * value differs from the last snapshot it notified. A kick that finds the source
 * already pending costs one atomic operation and no wakeup. */
#include "db-pool-notify-private.h"

/* At most one dispatch per this many microseconds (one 60 Hz frame): a UI cannot show
 * changes faster, and it bounds the wakeups of the owner thread under load. */
#define NOTIFY_INTERVAL_US 16000

struct _DbPoolNotifier
{
  GSource             source;
  GWeakRef            pool_ref;
  int                 pending;          /* atomic */
  gint64              next_allowed_us;  /* atomic (__atomic builtins) */
  DbPoolSnapshotFunc  snapshot;
  const DbPoolStat   *stats;
  GParamSpec        **pspecs;
  guint               n_stats;
  DbPoolSnapshot      last;             /* owner context only */
  guint64             recheck;          /* owner context only: stat bits to notify again */
};

static gboolean
notifier_dispatch (GSource     *source,
                   GSourceFunc  callback,
                   gpointer     user_data)
{
  DbPoolNotifier *self = (DbPoolNotifier *) source;
  g_autoptr(GObject) pool = NULL;
  DbPoolSnapshot now;
  guint64 notified = 0;

  g_source_set_ready_time (source, -1);
  __atomic_store_n (&self->next_allowed_us, g_get_monotonic_time () + NOTIFY_INTERVAL_US,
                    __ATOMIC_RELAXED);
  /* Cleared before the snapshot: a change racing with it kicks again, so nothing is
   * ever left unnotified. */
  g_atomic_int_set (&self->pending, 0);

  pool = g_weak_ref_get (&self->pool_ref);
  if (pool == NULL)
    return G_SOURCE_CONTINUE;

  self->snapshot (DB_POOL (pool), &now);

  g_object_freeze_notify (pool);
  for (guint i = 0; i < self->n_stats; i++)
    {
      const DbPoolStat *stat = &self->stats[i];
      guint64 bit = G_GUINT64_CONSTANT (1) << i;

      if (_db_pool_stat_get (stat, &now) != _db_pool_stat_get (stat, &self->last) ||
          (self->recheck & bit) != 0)
        {
          g_object_notify_by_pspec (pool, self->pspecs[i]);
          notified |= bit;
        }
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
_db_pool_notifier_new (DbPool              *pool,
                       GMainContext        *context,
                       DbPoolSnapshotFunc   snapshot,
                       const DbPoolStat    *stats,
                       GParamSpec         **pspecs,
                       guint                n_stats)
{
  GSource *source;
  DbPoolNotifier *self;

  g_return_val_if_fail (n_stats <= DB_POOL_MAX_STATS, NULL);

  source = g_source_new (&notifier_funcs, sizeof (DbPoolNotifier));
  self = (DbPoolNotifier *) source;

  g_source_set_static_name (source, "[dbpool] stats notify");
  g_source_set_priority (source, G_PRIORITY_DEFAULT_IDLE);
  g_weak_ref_init (&self->pool_ref, pool);
  self->snapshot = snapshot;
  self->stats = stats;
  self->pspecs = pspecs;
  self->n_stats = n_stats;
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
