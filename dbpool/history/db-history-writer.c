/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The recording pipeline of a DbHistoryStorage.
 *
 * Records go through one write queue. A single drainer at a time takes the pool's
 * write lease and writes queued snapshots back to back, one transaction each, so a
 * burst of messages costs one lease hand-off rather than one per message and never
 * waits out the pool's connection timeout in its queue behind itself. The drainer
 * gives the lease back after a short slice so that other writers (a cleanup, the
 * application's own) get their turn in the pool's FIFO order.
 *
 * LSP JSON is parsed on parser threads beside the drainer, so several producers'
 * messages are parsed while another snapshot is being written.
 *
 * Both kinds of thread are the writer's own GThreadPools, so they never wait behind
 * unrelated work in a shared pool, and they need no main context: results are
 * returned on each record's GTask straight from the thread, and GTask delivers them
 * on the caller's context. The parsers are exclusive threads running at a lower
 * priority (see parse_thread()). */

#ifdef __linux__
# include <errno.h>
# include <sys/resource.h>
# include <sys/syscall.h>
# include <unistd.h>
#endif

#include "db-history-private.h"
#include "db-tuning-private.h"

#define DRAIN_SLICE_SNAPSHOTS 64
#define DRAIN_SLICE_US        (20 * 1000)

struct _DbHistoryWriter
{
  GObject      *owner;          /* not referenced, except while work runs */
  DbPool       *pool;

  GMutex        lock;
  GQueue        queue;          /* of GTask, under lock */
  gboolean      draining;       /* a drainer runs; under lock */

  GThreadPool  *drainer;        /* one thread */
  GThreadPool  *parsers;
};

DbRecordData *
_db_record_data_new (void)
{
  return g_new0 (DbRecordData, 1);
}

void
_db_record_data_free (gpointer data)
{
  DbRecordData *rd = data;

  _db_snapshot_record_free (rd->record);
  g_free (rd->json);
  g_clear_object (&rd->snapshot);
  g_free (rd);
}

static void
fail_queued (DbHistoryWriter *self,
             const GError    *error)
{
  GQueue failed = G_QUEUE_INIT;
  GTask *task;

  g_mutex_lock (&self->lock);
  failed = self->queue;
  g_queue_init (&self->queue);
  self->draining = FALSE;
  g_mutex_unlock (&self->lock);

  while ((task = g_queue_pop_head (&failed)) != NULL)
    {
      /* Allocated before the return, so TSan sees it published with the result. */
      GError *copy = g_error_copy (error);

      g_task_return_error (task, copy);
      g_object_unref (task);
    }
}

/* The next queued record, or NULL after retiring the drainer (under the same lock,
 * so a record queued right after starts a new one). */
static GTask *
next_queued (DbHistoryWriter *self)
{
  GTask *task;

  g_mutex_lock (&self->lock);
  task = g_queue_pop_head (&self->queue);
  if (task == NULL)
    self->draining = FALSE;
  g_mutex_unlock (&self->lock);

  return task;
}

/* FALSE if writing failed. */
static gboolean
write_one (DbConnection *lease,
           GTask        *task)
{
  DbRecordData *rd = g_task_get_task_data (task);
  GError *error = NULL;
  gint64 id;

  if (g_task_return_error_if_cancelled (task))
    return TRUE;

  id = _db_history_write_snapshot (lease, rd->record, &error);
  if (id == 0)
    {
      g_task_return_error (task, error);
      return FALSE;
    }
  else
    {
      gint64 *result = g_memdup2 (&id, sizeof id);

      g_task_return_pointer (task, result, g_free);
      return TRUE;
    }
}

/* @data is a reference to the owner, which keeps the writer alive. A blocking
 * acquire is what the pool offers code that is already off the main thread. */
static void
drain_thread (gpointer data,
              gpointer user_data)
{
  GObject *owner = data;
  DbHistoryWriter *self = user_data;
  gboolean active = TRUE;

  while (active)
    {
      g_autoptr(DbConnection) lease = NULL;
      g_autoptr(GError) error = NULL;
      gint64 slice_end;

      lease = db_pool_acquire (self->pool, DB_ACCESS_WRITE, NULL, &error);
      if (lease == NULL)
        {
          fail_queued (self, error);
          break;
        }

      slice_end = g_get_monotonic_time () + DRAIN_SLICE_US;
      for (guint written = 0;
           written < DRAIN_SLICE_SNAPSHOTS && g_get_monotonic_time () < slice_end;
           written++)
        {
          GTask *task = next_queued (self);
          gboolean ok;

          if (task == NULL)
            {
              active = FALSE;
              break;
            }
          ok = write_one (lease, task);
          g_object_unref (task);
          /* A failed write may have left the connection in doubt (an I/O error): it
           * goes back now, so that the pool retires it before the next record. */
          if (!ok)
            break;
        }
      /* At the end of a slice the lease goes back, and the next acquire queues
       * behind the other writers. */
      db_connection_release (lease);
    }

  /* Possibly the last reference: nothing of @self may be touched after this. */
  g_object_unref (owner);
}

void
_db_history_writer_write (DbHistoryWriter *self,
                          GTask           *task)
{
  gboolean start;

  g_mutex_lock (&self->lock);
  g_queue_push_tail (&self->queue, task);
  start = !self->draining;
  self->draining = TRUE;
  g_mutex_unlock (&self->lock);

  if (start)
    {
      g_object_ref (self->owner);
      g_thread_pool_push (self->drainer, self->owner, NULL);
    }
}

/* Parsing is background work that can keep every processor busy while LSP servers
 * publish; queries (file histories for a UI) are interactive. On Linux each parser
 * thread lowers its own priority once, so a query's worker gets a processor at once
 * instead of waiting for a parser's time slice to end (docs/benchmarks.md measures it
 * on and off). The threads are the parser pool's own (exclusive): a shared
 * GLib thread would carry the lower priority into other work, and an unprivileged
 * thread cannot raise it back. */
#define PARSER_NICE_INCREMENT 5

static void
lower_thread_priority_once (void)
{
#if defined(__linux__) && defined(SYS_gettid)
  static GPrivate lowered;
  pid_t tid;

  if (!_db_tuning.parser_renice || g_private_get (&lowered) != NULL)
    return;
  g_private_set (&lowered, GINT_TO_POINTER (1));
  tid = (pid_t) syscall (SYS_gettid);
  errno = 0;
  {
    int now = getpriority (PRIO_PROCESS, (id_t) tid);

    /* Best effort: failing leaves the thread as it was. */
    if (errno == 0)
      (void) setpriority (PRIO_PROCESS, (id_t) tid, MIN (now + PARSER_NICE_INCREMENT, 19));
  }
#endif
}

/* @data is the caller's task (a reference), which keeps the owner and so the
 * writer alive. */
static void
parse_thread (gpointer data,
              gpointer user_data)
{
  g_autoptr(GTask) task = data;
  DbHistoryWriter *self = user_data;
  DbRecordData *rd;
  GError *error = NULL;

  lower_thread_priority_once ();
  rd = g_task_get_task_data (task);
  if (g_task_return_error_if_cancelled (task))
    return;

  rd->record = _db_lsp_parse_publish_diagnostics (rd->json, -1, rd->timestamp_us, &error);
  g_clear_pointer (&rd->json, g_free);
  if (rd->record == NULL)
    g_task_return_error (task, error);
  else
    _db_history_writer_write (self, g_steal_pointer (&task));
}

void
_db_history_writer_parse_and_write (DbHistoryWriter *self,
                                    GTask           *task)
{
  g_thread_pool_push (self->parsers, task, NULL);
}

DbHistoryWriter *
_db_history_writer_new (GObject *owner,
                        DbPool  *pool)
{
  DbHistoryWriter *self = g_new0 (DbHistoryWriter, 1);

  self->owner = owner;
  self->pool = g_object_ref (pool);
  g_mutex_init (&self->lock);
  g_queue_init (&self->queue);

  /* The drainer's pool cannot fail (non-exclusive); the parsers' could only fail to
   * start threads, and then start them on the first push. Parsing (json-glib) is the
   * bottleneck of ingestion, while the drainer mostly waits on SQLite: one parser per
   * processor (at least two). */
  self->drainer = g_thread_pool_new (drain_thread, self, 1, FALSE, NULL);
  self->parsers = g_thread_pool_new (parse_thread, self,
                                     (int) MAX (2, g_get_num_processors ()),
                                     TRUE, NULL);
  return self;
}

void
_db_history_writer_free (DbHistoryWriter *self)
{
  if (self == NULL)
    return;

  /* Every queued or parsing record's task holds the owner, so nothing is pending.
   * This may run on one of the writer's own threads (dropping the last reference):
   * do not wait for them, GLib frees each pool when its thread is done. */
  g_assert (g_queue_is_empty (&self->queue));
  g_thread_pool_free (self->drainer, FALSE, FALSE);
  g_thread_pool_free (self->parsers, FALSE, FALSE);
  g_mutex_clear (&self->lock);
  g_object_unref (self->pool);
  g_free (self);
}
