/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One batch of write jobs on the writer's lease (see db-write-queue-private.h).
 *
 *   BEGIN IMMEDIATE
 *     SAVEPOINT dbpool_job  <job 1>  RELEASE SAVEPOINT dbpool_job
 *     SAVEPOINT dbpool_job  <job 2 fails>  ROLLBACK TO / RELEASE SAVEPOINT dbpool_job
 *     ...
 *   COMMIT
 *
 * A job alone needs no savepoint: a single statement runs as it is (autocommit), any
 * other job in BEGIN ... COMMIT, so that it is all or nothing. The control statements
 * go through the connection's statement cache, so they are prepared once.
 *
 * SQLite may roll the whole transaction back by itself when a statement fails with
 * an I/O error, a full disk in some places, or an interrupt (cancelling a running
 * job): db_connection_in_transaction() is then FALSE. Nothing of that transaction may
 * be acknowledged. The failing job keeps its error; the statement jobs that had
 * already run, and every job not run yet, are queued again, to run in the next
 * transaction (rerunning SQL that was rolled back is safe); a function's job that had
 * already run fails with DB_POOL_ERROR_BUSY instead, because running the caller's
 * function a second time could repeat what it did outside the database. A failed
 * COMMIT fails every job of the transaction. */
#include <gio/gio.h>

#include "db-connection-private.h"
#include "db-pool-core-private.h"
#include "db-pool-private.h"
#include "db-write-queue-private.h"

#define SAVEPOINT_SQL          "SAVEPOINT dbpool_job"
#define RELEASE_SQL            "RELEASE SAVEPOINT dbpool_job"
#define ROLLBACK_TO_SQL        "ROLLBACK TO SAVEPOINT dbpool_job"

static gboolean
control (DbConnection  *lease,
         const char    *sql,
         GError       **error)
{
  return db_connection_execute (lease, sql, NULL, error) >= 0;
}

/* execute_batch: @job->params is an array of parameter rows, each a tuple, a
 * dictionary or a variant holding one. */
static gint64
run_rows (DbConnection  *lease,
          DbWriteJob    *job,
          GError       **error)
{
  gsize n = g_variant_n_children (job->params);
  gint64 total = 0;

  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) row = g_variant_get_child_value (job->params, i);
      gint64 changes;

      if (g_variant_is_of_type (row, G_VARIANT_TYPE_VARIANT))
        {
          GVariant *inner = g_variant_get_variant (row);

          g_variant_unref (row);
          row = inner;
        }
      changes = db_connection_execute (lease, job->sql, row, error);
      if (changes < 0)
        {
          g_prefix_error (error, "Row %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " of the batch: ",
                          i + 1, n);
          return -1;
        }
      total += changes;
    }
  return total;
}

/* Runs @job's own work; FALSE with @job->error set if it failed. */
static gboolean
run_job (DbWriteQueue *queue,
         DbConnection *lease,
         DbWriteJob   *job)
{
  GError *error = NULL;
  gboolean ok;

  _db_connection_begin_job (lease);
  if (!_db_write_queue_set_running (queue, job, lease))
    {
      _db_connection_end_job (lease, NULL);
      job->error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                        "The operation was cancelled");
      return FALSE;
    }

  switch (job->kind)
    {
    case DB_WRITE_JOB_EXECUTE:
      job->changes = db_connection_execute (lease, job->sql, job->params, &error);
      job->last_insert_rowid = db_connection_get_last_insert_rowid (lease);
      ok = job->changes >= 0;
      break;
    case DB_WRITE_JOB_BATCH:
      job->changes = run_rows (lease, job, &error);
      ok = job->changes >= 0;
      break;
    case DB_WRITE_JOB_RUN:
      job->result = job->func (lease, job->func_data, job->cancellable, &error);
      ok = error == NULL;
      break;
    default:
      g_assert_not_reached ();
    }

  _db_write_queue_set_running (queue, NULL, NULL);
  /* What the function began and left open goes; if even that fails, so does the job. */
  if (!_db_connection_end_job (lease, ok ? &error : NULL))
    ok = FALSE;
  if (!ok)
    job->error = error;
  return ok;
}

static GError *
rolled_back_error (const GError *cause)
{
  return g_error_new (DB_POOL_ERROR, DB_POOL_ERROR_BUSY,
                      "Nothing of this job was committed: the transaction it shared with "
                      "other jobs was rolled back when one of them failed (%s); run it again",
                      cause->message);
}

/* The transaction is gone (see the top of the file); @failed is the job that lost it
 * (already carrying its error) or, when a control statement failed, the job it was
 * for, which gets @cause. */
static void
transaction_lost (GQueue       *jobs,
                  GList        *failed,
                  const GError *cause,
                  GQueue       *not_run)
{
  gboolean before = TRUE;
  GList *l, *next;

  if (((DbWriteJob *) failed->data)->error == NULL)
    ((DbWriteJob *) failed->data)->error = g_error_copy (cause);

  for (l = jobs->head; l != NULL; l = next)
    {
      DbWriteJob *job = l->data;

      next = l->next;
      if (l == failed)
        {
          before = FALSE;
          continue;
        }
      if (before && job->error != NULL)
        continue;   /* failed earlier, rolled back to its savepoint: its error stands */
      if (before && job->kind == DB_WRITE_JOB_RUN)
        {
          job->error = rolled_back_error (cause);
          continue;
        }
      job->changes = 0;
      job->last_insert_rowid = 0;
      g_queue_unlink (jobs, l);
      g_queue_push_tail_link (not_run, l);
    }
}

static void
fail_all (GQueue       *jobs,
          const GError *error,
          const char   *what)
{
  for (GList *l = jobs->head; l != NULL; l = l->next)
    {
      DbWriteJob *job = l->data;

      if (job->error == NULL)
        {
          job->error = g_error_copy (error);
          g_prefix_error (&job->error, "%s: ", what);
        }
    }
}

static void
rollback_quietly (DbConnection *lease)
{
  if (db_connection_in_transaction (lease))
    db_connection_rollback (lease, NULL);
}

void
_db_write_batch_run (DbWriteQueue *queue,
                     DbPoolCore   *core,
                     DbConnection *lease,
                     GQueue       *jobs,
                     GQueue       *not_run)
{
  g_autoptr(GError) error = NULL;
  gboolean savepoints = jobs->length > 1;
  DbWriteJob *first = jobs->head->data;
  guint committed = 0;

  if (!savepoints && first->kind == DB_WRITE_JOB_EXECUTE)
    {
      if (run_job (queue, lease, first))
        _db_pool_core_count_group_commit (core, 1);
      return;
    }

  if (!db_connection_begin (lease, &error))
    {
      fail_all (jobs, error, "Starting the transaction failed");
      return;
    }

  for (GList *l = jobs->head; l != NULL; l = l->next)
    {
      DbWriteJob *job = l->data;
      gboolean ok;

      if (savepoints && !control (lease, SAVEPOINT_SQL, &error))
        {
          rollback_quietly (lease);
          transaction_lost (jobs, l, error, not_run);
          return;
        }

      ok = run_job (queue, lease, job);
      if (!db_connection_in_transaction (lease))
        {
          /* Gone even if the job says it succeeded (a function that swallowed the
           * error): nothing of it is committed, so it cannot be acknowledged. */
          g_autoptr(GError) lost = ok ? g_error_new_literal (DB_POOL_ERROR, DB_POOL_ERROR_IO,
                                                             "The transaction was rolled back "
                                                             "while this job ran") : NULL;

          transaction_lost (jobs, l, ok ? lost : job->error, not_run);
          return;
        }
      if (!savepoints)
        {
          if (!ok)
            {
              rollback_quietly (lease);
              return;
            }
        }
      else if (ok ? !control (lease, RELEASE_SQL, &error)
                  : (!control (lease, ROLLBACK_TO_SQL, &error) ||
                     !control (lease, RELEASE_SQL, &error)))
        {
          rollback_quietly (lease);
          transaction_lost (jobs, l, error, not_run);
          return;
        }
      committed += ok;
    }

  if (!db_connection_commit (lease, &error))
    {
      /* Every job of the transaction fails: those that had not failed already, with
       * the commit's error. */
      for (GList *l = jobs->head; l != NULL; l = l->next)
        {
          DbWriteJob *job = l->data;

          if (job->error == NULL)
            {
              job->error = g_error_copy (error);
              g_prefix_error (&job->error, "Committing the transaction failed: ");
            }
        }
      rollback_quietly (lease);
      return;
    }
  if (committed > 0)
    _db_pool_core_count_group_commit (core, committed);
}
