/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Maintenance: a timer on the owner context decides (in the core, under its lock)
 * what to close, open and checkpoint, and a worker does it. The same tick reports
 * leases held past leak-threshold-ms: a warning and ::lease-held-too-long, emitted
 * here, on the owner context. */
#include <gio/gio.h>

#include "db-pool-core-private.h"
#include "db-pool-private.h"

typedef struct
{
  DbPool        *pool;
  DbMaintenance *work;
} MaintenanceJob;

static void
maintenance_job (gpointer data)
{
  MaintenanceJob *job = data;

  _db_pool_core_run_maintenance (_db_pool_get_core (job->pool), job->work);
  g_object_unref (job->pool);
  g_free (job);
}

static gboolean
maintain (DbPool *self)
{
  DbMaintenance *work = _db_pool_core_plan_maintenance (_db_pool_get_core (self),
                                                        g_get_monotonic_time ());
  MaintenanceJob *job;

  if (work == NULL)
    return FALSE;

  job = g_new0 (MaintenanceJob, 1);
  job->pool = g_object_ref (self);
  job->work = work;
  _db_pool_push_job (self, maintenance_job, job);
  return TRUE;
}

static void
report_leaks (DbPool *self,
              gint64  now)
{
  DbPoolCore *core = _db_pool_get_core (self);
  g_autoptr(GArray) reports = _db_pool_core_collect_leaks (core, now);

  for (guint i = 0; i < reports->len; i++)
    {
      DbLeakReport *report = &g_array_index (reports, DbLeakReport, i);
      g_autofree char *where = _db_lease_origin_describe (&report->origin);

      g_warning ("%s: a lease on “%s” has been held for %.1f s (leak-threshold-ms is %u), %s",
                 _db_pool_get_name (self), _db_pool_core_get_path (core), report->held_us / 1e6,
                 db_pool_config_get_leak_threshold_ms (db_pool_get_config (self)), where);
      _db_pool_emit_lease_held_too_long (self, (guint64) report->held_us, where);
    }
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

GSource *
_db_pool_maintenance_start (DbPool       *self,
                            GMainContext *context,
                            guint         interval_ms)
{
  GWeakRef *weak = g_new0 (GWeakRef, 1);
  GSource *source = g_timeout_source_new (interval_ms);

  /* A weak reference: the timer must not keep an abandoned pool alive. */
  g_weak_ref_init (weak, self);
  g_source_set_static_name (source, "[dbpool] maintenance");
  g_source_set_callback (source, maintenance_tick, weak, weak_ref_free);
  g_source_attach (source, context);
  return source;
}
