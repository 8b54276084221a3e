/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Group commit: write jobs and the queue they wait in.
 *
 * A write job is a unit of writing the pool runs for its caller: one statement
 * (execute_async, execute), one statement over many parameter rows (execute_batch),
 * or a function given the write lease (a WRITE run_async, HistoryStorage's records).
 * Jobs wait in the pool's DbWriteQueue. One runner at a time holds the writer's turn
 * and takes every job already queued (up to group-commit-max-jobs) into one
 * transaction, each inside its own savepoint (db-write-batch.c); it never waits for
 * more to arrive. A job is finished, and its caller told, only once that transaction
 * committed or the job failed.
 *
 * The queue has its own lock, never held while the pool lock is taken or any SQL
 * runs. */

#include <gio/gio.h>

#include "db-connection.h"
#include "db-pool.h"
#include "db-pool-private.h"

G_BEGIN_DECLS

typedef enum
{
  DB_WRITE_JOB_EXECUTE,   /* @sql with @params */
  DB_WRITE_JOB_BATCH,     /* @sql once per row of @params, all or nothing */
  DB_WRITE_JOB_RUN,       /* @func with the lease */
} DbWriteJobKind;

typedef struct _DbWriteJob   DbWriteJob;
typedef struct _DbWriteQueue DbWriteQueue;

/* Called once the job is finished (its results below are final), outside every
 * lock, on the runner's thread or, for a job cancelled while queued, on the thread
 * that saw the cancellation. */
typedef void (*DbWriteJobDone) (DbWriteJob *job);

struct _DbWriteJob
{
  GList             link;            /* in the queue or a batch; data = self */
  DbWriteJobKind    kind;
  char             *sql;
  GVariant         *params;
  DbConnectionFunc  func;
  gpointer          func_data;
  GCancellable     *cancellable;     /* borrowed from the caller's task or call */

  /* results, written by the runner before @done */
  gint64            changes;
  gint64            last_insert_rowid;
  gpointer          result;          /* RUN: what @func returned */
  GError           *error;

  /* the queue's (under its lock) */
  DbWriteQueue     *queue;
  gboolean          alone;           /* runs in a batch of its own */
  int               state;
  gint64            queued_us;
  GSource          *cancel_source;   /* async: on @task's context */
  gulong            cancel_id;       /* sync: a ::cancelled handler */
  gboolean          become_runner;   /* sync: the runner role was handed to this caller */
  GCond            *sync_cond;

  DbWriteJobDone    done;            /* async only */
  GTask            *task;            /* async: the caller's, owns the job */
};

DbWriteQueue *_db_write_queue_new    (DbPool       *pool,
                                      gboolean      group_commit,
                                      guint         max_jobs);
void          _db_write_queue_free   (DbWriteQueue *self);

/* Queues @job, whose @done is called once it is finished; @job->task holds the job
 * and its cancellable (watched on the task's context). */
void          _db_write_queue_submit (DbWriteQueue *self,
                                      DbWriteJob   *job);
/* Queues @job and blocks until it is finished (for worker threads). */
void          _db_write_queue_run    (DbWriteQueue *self,
                                      DbWriteJob   *job);

/* Frees what a finished job still holds, not the job itself. */
void          _db_write_job_clear    (DbWriteJob   *job);

/* db-write-batch.c: runs @jobs (a GQueue of DbWriteJob, in order) on @lease, the
 * writer's, and sets each job's results. Jobs it did not get to because SQLite
 * rolled the whole transaction back under it (I/O error, full disk) are moved to
 * @not_run, untouched, to be queued again. @queue marks each job running while it
 * runs, for cancellation; @core counts the commits. */
void          _db_write_batch_run    (DbWriteQueue *queue,
                                      DbPoolCore   *core,
                                      DbConnection *lease,
                                      GQueue       *jobs,
                                      GQueue       *not_run);
/* For the batch: @job starts running on @lease (cancelling it now interrupts the
 * lease's statement), or with NULL, the running job is done. FALSE if @job was
 * cancelled before it started: it must not run. */
gboolean      _db_write_queue_set_running (DbWriteQueue *self,
                                           DbWriteJob   *job,
                                           DbConnection *lease);

G_END_DECLS
