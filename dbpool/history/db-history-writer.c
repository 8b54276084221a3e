/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The recording pipeline of a DbHistoryStorage.
 *
 * Each record is one write job of the pool (db_pool_run_async() with
 * DB_ACCESS_WRITE): records queued together are written in one transaction, each in
 * its own savepoint, by the pool's group commit, and each is acknowledged once that
 * transaction committed. The job is started on the record's own context, so the
 * pool delivers its result there.
 *
 * LSP JSON is parsed first on parser threads, so several producers' messages are
 * parsed while earlier snapshots are being written. The parsers are the writer's
 * own exclusive threads running at a lower priority (see parse_thread()). */

#ifdef __linux__
# include <errno.h>
# include <sys/resource.h>
# include <sys/syscall.h>
# include <unistd.h>
#endif

#include "db-history-private.h"
#include "db-tuning-private.h"


struct _DbHistoryWriter
{
  DbPool       *pool;
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

static gpointer
write_job (DbConnection  *lease,
           gpointer       data,
           GCancellable  *cancellable,
           GError       **error)
{
  DbRecordData *rd = data;
  gint64 id = _db_history_write_snapshot (lease, rd->record, error);

  return id == 0 ? NULL : g_memdup2 (&id, sizeof id);
}

static void
job_written (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  gint64 *id = db_pool_run_finish (DB_POOL (source), result, &error);

  if (id == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, id, g_free);
}

/* On the record's context: the job's result comes back there. @data is the
 * record's task. */
static gboolean
start_job (gpointer data)
{
  GTask *task = data;
  DbRecordData *rd = g_task_get_task_data (task);

  db_pool_run_async (rd->pool, DB_ACCESS_WRITE, write_job, rd, NULL,
                     g_task_get_cancellable (task), job_written, task);
  return G_SOURCE_REMOVE;
}

void
_db_history_writer_write (DbHistoryWriter *self,
                          GTask           *task)
{
  DbRecordData *rd = g_task_get_task_data (task);

  rd->pool = self->pool;
  g_main_context_invoke (g_task_get_context (task), start_job, task);
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

  self->pool = g_object_ref (pool);
  /* The parsers' pool could only fail to start threads, and then starts them on
   * the first push. Parsing (json-glib) is the bottleneck of ingestion, while
   * writing mostly waits on SQLite: one parser per processor (at least two). */
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

  /* Every parsing record's task holds the owner, so nothing is pending. This may
   * run on a parser thread (dropping the last reference): do not wait for it, GLib
   * frees the pool when its thread is done. */
  g_thread_pool_free (self->parsers, FALSE, FALSE);
  g_object_unref (self->pool);
  g_free (self);
}
