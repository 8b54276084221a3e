/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* ThreadSanitizer cannot see GLib's synchronization: Debian's libglib is not
 * instrumented and GMutex/GCond are raw futexes. These annotations tell it about the
 * happens-before edges dbpool relies on (the pool lock, handing a job to a worker,
 * returning a GTask to another thread), so a TSan build reports real races only.
 * They compile to nothing in normal builds. */

#include <gio/gio.h>

#if defined(__SANITIZE_THREAD__)
# define DB_TSAN 1
#elif defined(__has_feature)
# if __has_feature(thread_sanitizer)
#  define DB_TSAN 1
# endif
#endif

#ifdef DB_TSAN
void __tsan_acquire (void *addr);
void __tsan_release (void *addr);
# define DB_TSAN_ACQUIRE(p) __tsan_acquire ((void *) (p))
# define DB_TSAN_RELEASE(p) __tsan_release ((void *) (p))
#else
# define DB_TSAN_ACQUIRE(p) ((void) 0)
# define DB_TSAN_RELEASE(p) ((void) 0)
#endif

static inline void
db_mutex_lock (GMutex *mutex)
{
  g_mutex_lock (mutex);
  DB_TSAN_ACQUIRE (mutex);
}

static inline void
db_mutex_unlock (GMutex *mutex)
{
  DB_TSAN_RELEASE (mutex);
  g_mutex_unlock (mutex);
}

static inline void
db_cond_wait (GCond  *cond,
              GMutex *mutex)
{
  DB_TSAN_RELEASE (mutex);
  g_cond_wait (cond, mutex);
  DB_TSAN_ACQUIRE (mutex);
}

static inline gboolean
db_cond_wait_until (GCond  *cond,
                    GMutex *mutex,
                    gint64  end_time)
{
  gboolean signalled;

  DB_TSAN_RELEASE (mutex);
  signalled = g_cond_wait_until (cond, mutex, end_time);
  DB_TSAN_ACQUIRE (mutex);
  return signalled;
}

/* A GTask returned on a worker is completed on another thread. Functions, not
 * macros: the arguments (often freshly allocated results) are evaluated before the
 * release annotation. */
static inline void
db_task_return_error (GTask *task, GError *error)
{
  DB_TSAN_RELEASE (task);
  g_task_return_error (task, error);
}

static inline void
db_task_return_pointer (GTask *task, gpointer result, GDestroyNotify result_destroy)
{
  DB_TSAN_RELEASE (task);
  g_task_return_pointer (task, result, result_destroy);
}

static inline void
db_task_return_int (GTask *task, gssize result)
{
  DB_TSAN_RELEASE (task);
  g_task_return_int (task, result);
}

static inline void
db_task_return_boolean (GTask *task, gboolean result)
{
  DB_TSAN_RELEASE (task);
  g_task_return_boolean (task, result);
}

static inline gpointer
db_task_propagate_pointer (GTask *task, GError **error)
{
  DB_TSAN_ACQUIRE (task);
  return g_task_propagate_pointer (task, error);
}

static inline gssize
db_task_propagate_int (GTask *task, GError **error)
{
  DB_TSAN_ACQUIRE (task);
  return g_task_propagate_int (task, error);
}

static inline gboolean
db_task_propagate_boolean (GTask *task, GError **error)
{
  DB_TSAN_ACQUIRE (task);
  return g_task_propagate_boolean (task, error);
}
