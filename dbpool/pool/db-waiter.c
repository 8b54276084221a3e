/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a waiter does without the pool lock: spin for its handoff, watch its timeout
 * and cancellable, and give up its task and sources once finished. The core
 * (db-pool-core.c) decides its outcome, under the lock. */
#include "db-waiter-private.h"

/* How long an armed waiter spins before it sleeps: about one short commit. The core
 * (arm_spinner_locked) says why and who spins. */
#define SPIN_US 50

static inline void
cpu_relax (void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause ();
#elif defined(__aarch64__)
  __asm__ __volatile__ ("yield");
#endif
}

void
_db_waiter_spin_for_grant (DbWaiter *waiter)
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

static gboolean
waiter_timeout_cb (gpointer data)
{
  GTask *task = data;
  DbWaiter *waiter = g_task_get_task_data (task);

  return waiter->expire (task, waiter->timeout_error (waiter));
}

static gboolean
waiter_cancelled_cb (GCancellable *cancellable,
                     gpointer      data)
{
  GTask *task = data;
  DbWaiter *waiter = g_task_get_task_data (task);

  return waiter->expire (task, _db_waiter_cancelled_error ());
}

/* The sources are on the task's context, so their callbacks run where the result
 * goes, and destroying them is safe from whichever thread serves the waiter. */
void
_db_waiter_watch (DbWaiter  *waiter,
                  guint      timeout_ms,
                  GError  *(*timeout_error) (DbWaiter *waiter),
                  gboolean (*expire)        (GTask *task, GError *error))
{
  GTask *task = waiter->task;
  GCancellable *cancellable = g_task_get_cancellable (task);
  GMainContext *context = g_task_get_context (task);

  waiter->timeout_error = timeout_error;
  waiter->expire = expire;
  if (timeout_ms > 0)
    {
      waiter->timeout_source = g_timeout_source_new (timeout_ms);
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

GError *
_db_waiter_cancelled_error (void)
{
  return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
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

GTask *
_db_waiter_take_task (DbWaiter *waiter)
{
  GTask *task = waiter->holds_task ? waiter->task : g_object_ref (waiter->task);

  waiter->holds_task = FALSE;
  waiter_clear_sources (waiter);
  return task;
}

void
_db_waiter_clear (DbWaiter *waiter)
{
  waiter_clear_sources (waiter);
  g_clear_error (&waiter->error);
  /* Every grant is taken by the done function or a job holding the task. */
  g_warn_if_fail (waiter->slot == NULL && !waiter->open_slot);
}

