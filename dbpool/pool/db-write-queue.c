/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The write-job queue and its runner (see db-write-queue-private.h).
 *
 * At most one runner exists at a time (@runner_active). Whoever queues a job while
 * there is none starts one: a blocking caller (db_pool_execute()) becomes the runner
 * itself for one batch, so a job alone costs no thread switch, and then hands the
 * role to the caller of the next job if that is blocking too (flat combining: that
 * thread is woken anyway), else to a worker; an async caller pushes a runner onto
 * the pool's workers. The runner takes the writer's turn like
 * any WRITE acquire, in the pool's FIFO order, then runs batches for as long as jobs
 * are queued and no WRITE lease is waiting; then it gives the turn back and, if jobs
 * remain, queues again behind that lease.
 *
 * A blocking caller's runner runs only statement jobs (execute, execute_batch):
 * other callers' functions run on the pool's workers, as run_async promises. */
#include <gio/gio.h>

#include "db-connection-private.h"
#include "db-pool-core-private.h"
#include "db-pool-private.h"
#include "db-sql-words-private.h"
#include "db-write-queue-private.h"

enum { JOB_NEW, JOB_QUEUED, JOB_TAKEN, JOB_RUNNING, JOB_FINISHED };

struct _DbWriteQueue
{
  DbPool       *pool;            /* borrowed: the pool owns the queue */
  guint         max_jobs;

  GMutex        lock;
  GQueue        pending;         /* DbWriteJob, oldest first */
  gboolean      runner_active;   /* FALSE only while @pending is empty */
  DbWriteJob   *running;
  DbConnection *running_lease;
};

/* Set on a thread while it runs a batch: a job that queues another write job and
 * waits for it would wait for itself. */
static GPrivate in_runner;

DbWriteQueue *
_db_write_queue_new (DbPool   *pool,
                     gboolean  group_commit,
                     guint     max_jobs)
{
  DbWriteQueue *self = g_new0 (DbWriteQueue, 1);

  self->pool = pool;
  self->max_jobs = group_commit ? MAX (max_jobs, 1) : 1;
  g_mutex_init (&self->lock);
  g_queue_init (&self->pending);
  return self;
}

void
_db_write_queue_free (DbWriteQueue *self)
{
  if (self == NULL)
    return;
  /* Every queued job's task or caller holds the pool. */
  g_assert (g_queue_is_empty (&self->pending));
  g_mutex_clear (&self->lock);
  g_free (self);
}

void
_db_write_job_clear (DbWriteJob *job)
{
  g_clear_pointer (&job->sql, g_free);
  g_clear_pointer (&job->params, g_variant_unref);
  g_clear_error (&job->error);
}

static GError *
cancelled_error (void)
{
  return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "The operation was cancelled");
}

/* ------------------------------------------------------------------------------- */
/* Finishing.                                                                      */

/* Marks @jobs (a GQueue whose links are the jobs') finished, under the lock, and
 * wakes their blocking callers. The async ones are moved to @async, to be told
 * after the lock is dropped: a blocking caller's job lives on its stack and may be
 * gone the moment the lock is. */
static void
finish_locked (DbWriteQueue *self,
               GQueue       *jobs,
               GQueue       *async)
{
  GList *l;

  while ((l = g_queue_pop_head_link (jobs)) != NULL)
    {
      DbWriteJob *job = l->data;

      job->state = JOB_FINISHED;
      if (job->task != NULL)
        g_queue_push_tail_link (async, l);
      else
        {
          g_cond_signal (job->sync_cond);
        }
    }
}

static void
tell_async (GQueue *async)
{
  GList *l;

  while ((l = g_queue_pop_head_link (async)) != NULL)
    {
      DbWriteJob *job = l->data;

      if (job->cancel_source != NULL)
        {
          g_source_destroy (job->cancel_source);
          g_clear_pointer (&job->cancel_source, g_source_unref);
        }
      job->done (job);   /* may free the job */
    }
}

static void
finish (DbWriteQueue *self,
        GQueue       *jobs)
{
  GQueue async = G_QUEUE_INIT;

  g_mutex_lock (&self->lock);
  finish_locked (self, jobs, &async);
  g_mutex_unlock (&self->lock);
  tell_async (&async);
}

/* ------------------------------------------------------------------------------- */
/* Cancellation: a queued job leaves the queue at once; a running one has its       */
/* statement interrupted.                                                          */

static void
cancel_job (DbWriteQueue *self,
            DbWriteJob   *job)
{
  GQueue done = G_QUEUE_INIT;
  GQueue async = G_QUEUE_INIT;

  g_mutex_lock (&self->lock);
  if (job->state == JOB_QUEUED)
    {
      g_queue_unlink (&self->pending, &job->link);
      job->error = cancelled_error ();
      g_queue_push_tail_link (&done, &job->link);
      finish_locked (self, &done, &async);
    }
  else if (job->state == JOB_RUNNING && self->running == job)
    _db_connection_interrupt (NULL, self->running_lease);
  g_mutex_unlock (&self->lock);
  tell_async (&async);
}

/* On the task's context. The job outlives this call: it is destroyed with its task,
 * which the source's destruction (before the job finishes) precedes, and whose
 * result is delivered on this same context, after this returns. */
static gboolean
cancel_source_cb (GCancellable *cancellable,
                  gpointer      user_data)
{
  DbWriteJob *job = user_data;

  cancel_job (job->queue, job);
  return G_SOURCE_REMOVE;
}

static void
cancelled_cb (GCancellable *cancellable,
              DbWriteJob   *job)
{
  /* A blocking caller's job: the caller disconnects this handler before its job
   * goes, so the job outlives every call. */
  cancel_job (job->queue, job);
}

gboolean
_db_write_queue_set_running (DbWriteQueue *self,
                             DbWriteJob   *job,
                             DbConnection *lease)
{
  gboolean run = TRUE;

  g_mutex_lock (&self->lock);
  if (job != NULL)
    {
      /* Checked under the lock that cancel_job() takes: a cancellation is either seen
       * here or finds the job running and interrupts it. */
      run = !g_cancellable_is_cancelled (job->cancellable);
      if (run)
        job->state = JOB_RUNNING;
    }
  else if (self->running != NULL)
    self->running->state = JOB_TAKEN;
  self->running = run ? job : NULL;
  self->running_lease = run ? lease : NULL;
  g_mutex_unlock (&self->lock);
  return run;
}

/* ------------------------------------------------------------------------------- */
/* Taking work.                                                                    */

/* Moves the jobs for the next batch from the queue to @batch.
 * @statements_only: stop at a job with a function. */
static void
take_batch (DbWriteQueue *self,
            gboolean      statements_only,
            GQueue       *batch)
{
  g_mutex_lock (&self->lock);
  while (batch->length < self->max_jobs && self->pending.head != NULL)
    {
      DbWriteJob *job = self->pending.head->data;

      if (statements_only && job->kind == DB_WRITE_JOB_RUN)
        break;
      if (job->alone && batch->length > 0)
        break;
      g_queue_pop_head_link (&self->pending);
      job->state = JOB_TAKEN;
      g_queue_push_tail_link (batch, &job->link);
      if (job->alone)
        break;
    }
  g_mutex_unlock (&self->lock);
}

static gboolean
has_pending (DbWriteQueue *self)
{
  gboolean any;

  g_mutex_lock (&self->lock);
  any = self->pending.head != NULL;
  g_mutex_unlock (&self->lock);
  return any;
}

/* Jobs a lost transaction did not get to go back to the front, in their order. */
static void
requeue (DbWriteQueue *self,
         GQueue       *jobs)
{
  GList *l;

  g_mutex_lock (&self->lock);
  while ((l = g_queue_pop_tail_link (jobs)) != NULL)
    {
      DbWriteJob *job = l->data;

      job->state = JOB_QUEUED;
      g_queue_push_head_link (&self->pending, l);
    }
  g_mutex_unlock (&self->lock);
}

/* The runner could not get the writer's turn. A timeout fails the jobs that waited
 * all of it (queued before the runner asked); a blocking runner that was cancelled
 * or misused the pool (see _db_pool_core_acquire()) loses only its own job; anything
 * else (the pool closed, the database unreachable) fails every
 * queued job. TRUE if jobs remain, the runner role going on. */
static gboolean
acquire_failed (DbWriteQueue *self,
                DbWriteJob   *own,
                gint64        asked_us,
                const GError *error)
{
  GQueue failed = G_QUEUE_INIT;
  GQueue async = G_QUEUE_INIT;
  gboolean timeout = g_error_matches (error, DB_POOL_ERROR, DB_POOL_ERROR_TIMEOUT);
  gboolean own_only = own != NULL &&
                      (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
                       g_error_matches (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE));
  gboolean more;
  GList *l, *next;

  g_mutex_lock (&self->lock);
  for (l = self->pending.head; l != NULL; l = next)
    {
      DbWriteJob *job = l->data;

      next = l->next;
      if (own_only ? job != own : timeout && job != own && job->queued_us > asked_us)
        continue;
      g_queue_unlink (&self->pending, l);
      job->error = g_error_copy (error);
      g_queue_push_tail_link (&failed, l);
    }
  more = self->pending.head != NULL;
  if (!more)
    self->runner_active = FALSE;
  finish_locked (self, &failed, &async);
  g_mutex_unlock (&self->lock);
  tell_async (&async);
  return more;
}

/* After a runner gave the writer's turn back: TRUE if jobs are queued and the role
 * goes on, else the runner retires. */
static gboolean
still_pending (DbWriteQueue *self)
{
  gboolean more;

  g_mutex_lock (&self->lock);
  more = self->pending.head != NULL;
  if (!more)
    self->runner_active = FALSE;
  g_mutex_unlock (&self->lock);
  return more;
}

/* How long a blocking caller's runner keeps running others' statement jobs before it
 * hands the role on and returns to its caller. */
#define SYNC_RUNNER_SLICE_US 500

static void runner_job (gpointer data);

static void
start_worker_runner (DbWriteQueue *self)
{
  _db_pool_push_job (self->pool, runner_job, g_object_ref (self->pool));
}

/* A blocking caller's runner is done with its batch while jobs remain: the role goes
 * to the caller of the next job if that is a blocking statement job (it is woken for
 * it anyway, and its own job is in the next batch), else to a worker. */
static void
hand_over (DbWriteQueue *self)
{
  DbWriteJob *next;
  gboolean to_caller = FALSE;

  g_mutex_lock (&self->lock);
  next = self->pending.head != NULL ? self->pending.head->data : NULL;
  if (next != NULL && next->task == NULL && next->kind != DB_WRITE_JOB_RUN)
    {
      next->become_runner = TRUE;
      g_cond_signal (next->sync_cond);
      to_caller = TRUE;
    }
  g_mutex_unlock (&self->lock);
  if (!to_caller)
    start_worker_runner (self);
}

/* Runs batches on the writer's turn until the queue is empty (or, for a blocking
 * caller's runner, after one batch). The caller holds the runner role. */
static void
run_batches (DbWriteQueue *self,
             DbWriteJob   *own)
{
  DbPoolCore *core = _db_pool_get_core (self->pool);
  gboolean on_worker = own == NULL;
  gint64 role_start_us = g_get_monotonic_time ();

  g_private_set (&in_runner, self);
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(DbConnection) lease = NULL;
      gint64 asked_us = g_get_monotonic_time ();
      DbSlot *slot;

      slot = _db_pool_core_acquire (core, DB_ACCESS_WRITE, own ? own->cancellable : NULL,
                                    own ? "db_pool_execute()" : "a group commit", &error);
      if (slot == NULL)
        {
          if (!acquire_failed (self, own, asked_us, error))
            break;
          if (on_worker)
            continue;   /* for the jobs that have not waited a whole timeout yet */
          hand_over (self);
          break;
        }

      lease = _db_connection_new_lease (self->pool, slot, DB_ACCESS_WRITE);
      for (;;)
        {
          GQueue batch = G_QUEUE_INIT;
          GQueue not_run = G_QUEUE_INIT;
          gboolean keep;

          take_batch (self, !on_worker, &batch);
          if (batch.length == 0)
            break;
          _db_write_batch_run (self, core, lease, &batch, &not_run);
          requeue (self, &not_run);

          /* A blocking caller's runner goes on for a short while (its own job is
           * done, but its caller waits for it to return), which spares a hand-over
           * per batch while other threads keep queueing. */
          keep = (on_worker || g_get_monotonic_time () - role_start_us < SYNC_RUNNER_SLICE_US) &&
                 has_pending (self) && _db_connection_is_trusted (lease) &&
                 !_db_pool_core_writer_wanted (core) && !_db_pool_core_is_closed (core);
          /* The last batch gives the writer back before its jobs are told: a caller
           * woken by its result finds the pool at rest. */
          if (!keep)
            db_connection_release (lease);
          finish (self, &batch);
          if (!keep)
            break;
        }
      db_connection_release (lease);

      if (!still_pending (self))
        break;
      if (!on_worker)
        {
          /* The jobs behind are others': the role goes on elsewhere. */
          hand_over (self);
          break;
        }
      /* Jobs remain: queue for the writer's turn again, behind whoever asked. */
    }
  g_private_set (&in_runner, NULL);
}

static void
runner_job (gpointer data)
{
  g_autoptr(DbPool) pool = data;

  run_batches (_db_pool_get_write_queue (pool), NULL);
}

/* ------------------------------------------------------------------------------- */
/* Queueing.                                                                       */

/* Statements SQLite refuses inside a transaction (VACUUM, ATTACH, DETACH, some
 * pragmas such as journal_mode) run in a batch of their own, that is in autocommit,
 * as they would on a lease. */
static gboolean
needs_autocommit (const DbWriteJob *job)
{
  static const char *const words[] = { "VACUUM", "ATTACH", "DETACH", "PRAGMA" };

  return job->kind == DB_WRITE_JOB_EXECUTE &&
         _db_sql_starts_with_any (job->sql, words, G_N_ELEMENTS (words));
}

/* TRUE if the caller must start a runner. */
static gboolean
enqueue (DbWriteQueue *self,
         DbWriteJob   *job)
{
  gboolean start;

  job->queue = self;
  job->alone = needs_autocommit (job);
  job->queued_us = g_get_monotonic_time ();
  g_mutex_lock (&self->lock);
  job->state = JOB_QUEUED;
  g_queue_push_tail_link (&self->pending, &job->link);
  start = !self->runner_active;
  self->runner_active = TRUE;
  g_mutex_unlock (&self->lock);
  return start;
}

void
_db_write_queue_submit (DbWriteQueue *self,
                        DbWriteJob   *job)
{
  job->link.data = job;
  job->queue = self;
  if (g_cancellable_is_cancelled (job->cancellable))
    {
      job->error = cancelled_error ();
      job->state = JOB_FINISHED;
      job->done (job);
      return;
    }

  if (job->cancellable != NULL)
    {
      /* On the task's context, like the callback. */
      job->cancel_source = g_cancellable_source_new (job->cancellable);
      g_source_set_callback (job->cancel_source, G_SOURCE_FUNC (cancel_source_cb), job, NULL);
      g_source_attach (job->cancel_source, g_task_get_context (job->task));
    }

  if (enqueue (self, job))
    start_worker_runner (self);
}

void
_db_write_queue_run (DbWriteQueue *self,
                     DbWriteJob   *job)
{
  GCond cond;
  gboolean start;

  job->link.data = job;
  if (g_private_get (&in_runner) == self)
    {
      job->error = g_error_new_literal (DB_POOL_ERROR, DB_POOL_ERROR_MISUSE,
                                        "A write job cannot wait for another write job of "
                                        "the same pool: it would wait for itself (run the "
                                        "statement on the job's own connection instead)");
      return;
    }
  if (g_cancellable_is_cancelled (job->cancellable))
    {
      job->error = cancelled_error ();
      return;
    }

  g_cond_init (&cond);
  job->sync_cond = &cond;
  start = enqueue (self, job);
  if (job->cancellable != NULL)
    job->cancel_id = g_cancellable_connect (job->cancellable, G_CALLBACK (cancelled_cb),
                                            job, NULL);
  if (start)
    run_batches (self, job);

  for (;;)
    {
      gboolean become;

      g_mutex_lock (&self->lock);
      while (job->state != JOB_FINISHED && !job->become_runner)
        g_cond_wait (&cond, &self->lock);
      become = job->become_runner;
      job->become_runner = FALSE;
      g_mutex_unlock (&self->lock);
      if (!become)
        break;
      /* Even if the job was cancelled meanwhile: the role must go on. */
      run_batches (self, job);
    }

  g_cancellable_disconnect (job->cancellable, job->cancel_id);
  g_cond_clear (&cond);
}
