/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The asynchronous operations: acquire_async and the statement jobs (run_async,
 * execute_async, query_async). Each is a GTask whose data starts with a DbWaiter:
 * the core queues it like any acquire, and once it is served the work runs on one
 * of the pool's workers; the GTask returns its result on the caller's context. */
#include <gio/gio.h>

#include "db-completion-private.h"
#include "db-connection-private.h"
#include "db-pool-core-private.h"
#include "db-pool-private.h"
#include "db-sql-words-private.h"
#include "db-statement-runner-private.h"
#include "db-write-queue-private.h"

static void
waiter_free (gpointer data)
{
  DbWaiter *waiter = data;

  _db_waiter_clear (waiter);
  g_free (waiter);
}

static void
acquire_open_job (gpointer data)
{
  g_autoptr(GTask) task = data;
  DbPool *self = g_task_get_source_object (task);
  DbWaiter *waiter = g_task_get_task_data (task);
  GError *error = NULL;
  DbSlot *slot = _db_pool_core_take_grant (_db_pool_get_core (self), waiter, &error);

  if (slot == NULL)
    _db_completion_return_error (g_steal_pointer (&task), error);
  else
    _db_completion_return_pointer (g_steal_pointer (&task),
                                   _db_connection_new_lease (self, slot, waiter->access),
                                   g_object_unref);
}

static void
acquire_done (DbPool   *self,
              DbWaiter *waiter)
{
  g_autoptr(GTask) task = _db_waiter_take_task (waiter);

  if (waiter->error != NULL)
    g_task_return_error (task, g_steal_pointer (&waiter->error));
  else if (waiter->open_slot)
    _db_pool_push_job (self, acquire_open_job, g_object_ref (task));
  else
    /* If the task was cancelled meanwhile, GTask drops this lease, which returns the
     * connection to the pool: a cancel racing a handoff loses nothing. */
    _db_completion_return_pointer (g_steal_pointer (&task),
                                   _db_connection_new_lease (self,
                                                             g_steal_pointer (&waiter->slot),
                                                             waiter->access),
                                   g_object_unref);
}

/**
 * db_pool_acquire_async:
 * @self: a pool
 * @access: read or write
 * @cancellable: (nullable): a cancellable to stop waiting
 * @callback: (scope async): called on the caller's thread-default main context
 * @user_data: data for @callback
 *
 * Leases a connection without blocking. The same rules as
 * [method@DbPool.Pool.acquire] apply: FIFO waiting, timeout, cancellation.
 */
void
db_pool_acquire_async (DbPool              *self,
                       DbAccess             access,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  DbWaiter *waiter;

  g_return_if_fail (DB_IS_POOL (self));
  g_return_if_fail (access == DB_ACCESS_READ || access == DB_ACCESS_WRITE);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, db_pool_acquire_async);
  waiter = g_new0 (DbWaiter, 1);
  g_task_set_task_data (task, waiter, waiter_free);
  /* The lease is for the code running this context, which could wait for itself. */
  _db_lease_origin_init (&waiter->origin, "db_pool_acquire_async()", _db_thread_id ());
  if (_db_pool_detects_leaks (self))
    _db_lease_origin_capture (&waiter->origin, "db_pool_acquire_async()");

  _db_pool_core_enqueue_async (_db_pool_get_core (self), task, waiter, access, acquire_done);
}

/**
 * db_pool_acquire_finish:
 * @self: a pool
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Finishes [method@DbPool.Pool.acquire_async].
 *
 * Returns: (transfer full): the lease, or %NULL with @error set
 */
DbConnection *
db_pool_acquire_finish (DbPool        *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (DB_IS_POOL (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == db_pool_acquire_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------------------- */
/* Work on a worker thread: run_async, execute_async, query_async.                 */

typedef enum { OP_RUN, OP_EXECUTE, OP_QUERY, OP_BATCH } OpKind;

/* The task data of every statement operation. A write job (execute, a WRITE run,
 * execute_batch) goes through the write queue as @job; anything else waits for a
 * lease as @waiter. */
typedef struct
{
  DbWaiter          waiter;      /* first: the core finds it in the task data */
  DbWriteJob        job;
  OpKind            kind;
  GDestroyNotify    func_data_destroy;
  gint64            last_insert_rowid;
} OpData;

static void
op_data_free (gpointer data)
{
  OpData *op = data;

  _db_waiter_clear (&op->waiter);
  _db_write_job_clear (&op->job);
  if (op->func_data_destroy != NULL)
    op->func_data_destroy (op->job.func_data);
  g_free (op);
}

/* A write job finished: its results go to the caller's context. */
static void
job_done (DbWriteJob *job)
{
  OpData *op = g_task_get_task_data (job->task);
  g_autoptr(GTask) task = g_steal_pointer (&job->task);

  if (job->error != NULL)
    _db_completion_return_error (g_steal_pointer (&task), g_steal_pointer (&job->error));
  else if (op->kind == OP_RUN)
    _db_completion_return_pointer (g_steal_pointer (&task), job->result, NULL);
  else
    {
      op->last_insert_rowid = job->last_insert_rowid;
      _db_completion_return_int (g_steal_pointer (&task), job->changes);
    }
}

static void
op_job (gpointer data)
{
  g_autoptr(GTask) task = data;
  OpData *op = g_task_get_task_data (task);
  DbPool *self = g_task_get_source_object (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(DbConnection) lease = NULL;
  GError *error = NULL;
  DbSlot *slot;
  gulong handler_id = 0;

  slot = _db_pool_core_take_grant (_db_pool_get_core (self), &op->waiter, &error);
  if (slot == NULL)
    {
      _db_completion_return_error (g_steal_pointer (&task), error);
      return;
    }

  lease = _db_connection_new_lease (self, slot, op->waiter.access);
  /* The backend remembers the interrupt, so the statement it stops fails with
   * G_IO_ERROR_CANCELLED. */
  if (cancellable != NULL)
    handler_id = g_cancellable_connect (cancellable, G_CALLBACK (_db_connection_interrupt),
                                        lease, NULL);
  /* Cancelled while it waited for a worker: SQLite forgets an interrupt that comes
   * before the statement starts, so the statement would run to its end. */
  if (g_cancellable_is_cancelled (cancellable))
    {
      g_cancellable_disconnect (cancellable, handler_id);
      db_connection_release (lease);
      _db_completion_return_error (g_steal_pointer (&task), _db_waiter_cancelled_error ());
      return;
    }

  switch (op->kind)
    {
    case OP_RUN:
      {
        gpointer result = op->job.func (lease, op->job.func_data, cancellable, &error);

        g_cancellable_disconnect (cancellable, handler_id);
        db_connection_release (lease);
        if (error != NULL)
          _db_completion_return_error (g_steal_pointer (&task), error);
        else
          _db_completion_return_pointer (g_steal_pointer (&task), result, NULL);
      }
      break;

    case OP_EXECUTE:
      {
        gint64 changes = db_connection_execute (lease, op->job.sql, op->job.params, &error);

        op->last_insert_rowid = db_connection_get_last_insert_rowid (lease);
        g_cancellable_disconnect (cancellable, handler_id);
        db_connection_release (lease);
        if (error != NULL)
          _db_completion_return_error (g_steal_pointer (&task), error);
        else
          _db_completion_return_int (g_steal_pointer (&task), changes);
      }
      break;

    case OP_QUERY:
      {
        DbRows *rows = db_connection_query (lease, op->job.sql, op->job.params, &error);

        g_cancellable_disconnect (cancellable, handler_id);
        db_connection_release (lease);
        if (error != NULL)
          _db_completion_return_error (g_steal_pointer (&task), error);
        else
          _db_completion_return_pointer (g_steal_pointer (&task), rows, g_object_unref);
      }
      break;

    case OP_BATCH:   /* always a write job */
    default:
      g_assert_not_reached ();
    }
}

static void
op_done (DbPool   *self,
         DbWaiter *waiter)
{
  g_autoptr(GTask) task = _db_waiter_take_task (waiter);

  OpData *op = (OpData *) waiter;

  if (waiter->error != NULL)
    g_task_return_error (task, g_steal_pointer (&waiter->error));
  else if (op->kind == OP_RUN)
    /* The caller's function may block: a worker of its own. */
    _db_pool_push_job (self, op_job, g_object_ref (task));
  else
    _db_statement_runner_push (_db_pool_get_statement_runner (self), op_job,
                               g_object_ref (task));
}

static void
start_op (DbPool              *self,
          OpData              *op,
          DbAccess             access,
          gpointer             source_tag,
          const char          *entry,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  /* Once the work ran, its result is reported even if the cancellable fired late:
   * a committed write must not be reported as cancelled. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, op, op_data_free);
  /* A pool job holds this lease, not the caller: closing waits for it. */
  _db_lease_origin_init (&op->waiter.origin, entry, 0);

  if (access == DB_ACCESS_WRITE && op->kind != OP_QUERY)
    {
      op->job.kind = op->kind == OP_RUN ? DB_WRITE_JOB_RUN
                   : op->kind == OP_BATCH ? DB_WRITE_JOB_BATCH : DB_WRITE_JOB_EXECUTE;
      op->job.cancellable = cancellable;
      op->job.done = job_done;
      op->job.task = g_steal_pointer (&task);   /* the queue returns it */
      _db_write_queue_submit (_db_pool_get_write_queue (self), &op->job);
      return;
    }

  if (_db_pool_detects_leaks (self))
    _db_lease_origin_capture (&op->waiter.origin, entry);
  _db_pool_core_enqueue_async (_db_pool_get_core (self), task, &op->waiter, access, op_done);
}

/* A statement that only reads can use a read lease and run beside the writer. */
static DbAccess
access_for_sql (const char *sql)
{
  static const char *const readers[] = { "SELECT", "VALUES" };

  return _db_sql_starts_with_any (sql, readers, G_N_ELEMENTS (readers)) ? DB_ACCESS_READ
                                                                        : DB_ACCESS_WRITE;
}

/* execute_async and query_async: one statement, its access chosen from its text. */
static void
start_statement_op (DbPool              *self,
                    OpKind               kind,
                    const char          *sql,
                    GVariant            *params,
                    gpointer             source_tag,
                    const char          *entry,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  OpData *op = g_new0 (OpData, 1);

  op->kind = kind;
  op->job.sql = g_strdup (sql);
  op->job.params = params ? g_variant_ref_sink (params) : NULL;
  start_op (self, op, access_for_sql (sql), source_tag, entry, cancellable, callback,
            user_data);
}

/**
 * db_pool_run_async: (skip)
 * @self: a pool
 * @access: the lease @func needs
 * @func: (scope notified) (closure func_data) (destroy func_data_destroy): work to run
 *   on a pool worker thread with a leased connection
 * @func_data: data for @func
 * @func_data_destroy: (nullable): frees @func_data once @func has run
 * @cancellable: (nullable): a cancellable: stops waiting for a connection, and
 *   interrupts a statement @func is running
 * @callback: (scope async): called on the caller's thread-default main context
 * @user_data: data for @callback
 *
 * Runs @func on a worker thread with a lease on a connection, then gives the lease
 * back (rolling back a transaction @func left open) and delivers @func's result to
 * @callback.
 *
 * With %DB_ACCESS_WRITE, @func is a write job (see
 * [property@DbPool.PoolConfig:group-commit]): it runs inside a savepoint of a
 * transaction it may share with other jobs, and @callback runs once that committed.
 * If @func returns an error, everything it did is rolled back, so it can simply be
 * run again; [method@DbPool.Connection.begin], commit and rollback nest inside it. This is the original design's `with_connection` (write) and
 * `with_read_connection` (read).
 *
 * @func runs on another thread, so this is not exposed to bindings (gjs cannot run
 * JavaScript off its main thread); they use [method@DbPool.Pool.execute_async] and
 * [method@DbPool.Pool.query_async], and Python's override provides its own
 * `run_async` on top of [method@DbPool.Pool.acquire].
 */
void
db_pool_run_async (DbPool              *self,
                   DbAccess             access,
                   DbConnectionFunc     func,
                   gpointer             func_data,
                   GDestroyNotify       func_data_destroy,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  OpData *op;

  g_return_if_fail (DB_IS_POOL (self));
  g_return_if_fail (access == DB_ACCESS_READ || access == DB_ACCESS_WRITE);
  g_return_if_fail (func != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  op = g_new0 (OpData, 1);
  op->kind = OP_RUN;
  op->job.func = func;
  op->job.func_data = func_data;
  op->func_data_destroy = func_data_destroy;
  start_op (self, op, access, db_pool_run_async, "db_pool_run_async()",
            cancellable, callback, user_data);
}

/**
 * db_pool_run_finish: (skip)
 * @self: a pool
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Finishes [method@DbPool.Pool.run_async].
 *
 * Returns: (transfer full) (nullable): what the function returned; %NULL with @error
 *   set on failure
 */
gpointer
db_pool_run_finish (DbPool        *self,
                    GAsyncResult  *result,
                    GError       **error)
{
  g_return_val_if_fail (DB_IS_POOL (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == db_pool_run_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * db_pool_execute_async:
 * @self: a pool
 * @sql: one SQL statement
 * @params: (nullable): parameters, as for [method@DbPool.Connection.execute]; a
 *   floating reference is consumed
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called on the caller's thread-default main context
 * @user_data: data for @callback
 *
 * Runs one statement on a worker thread as a write job (see
 * [property@DbPool.PoolConfig:group-commit]: statements queued together share a
 * transaction, and the callback runs once it committed), or on a read lease if it is
 * a `SELECT`. No caller code runs on the worker, so this is safe from gjs.
 */
void
db_pool_execute_async (DbPool              *self,
                       const char          *sql,
                       GVariant            *params,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_return_if_fail (DB_IS_POOL (self));
  g_return_if_fail (sql != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  start_statement_op (self, OP_EXECUTE, sql, params, db_pool_execute_async, "db_pool_execute_async()",
                      cancellable, callback, user_data);
}

/**
 * db_pool_execute_finish:
 * @self: a pool
 * @result: the result passed to the callback
 * @last_insert_rowid: (out) (optional): the rowid of the row the statement inserted
 *   (0 if it inserted none)
 * @error: return location for an error
 *
 * Finishes [method@DbPool.Pool.execute_async].
 *
 * Returns: the number of rows changed, or -1 with @error set
 */
gint64
db_pool_execute_finish (DbPool        *self,
                        GAsyncResult  *result,
                        gint64        *last_insert_rowid,
                        GError       **error)
{
  OpData *op;
  gint64 changes;

  g_return_val_if_fail (DB_IS_POOL (self), -1);
  g_return_val_if_fail (g_task_is_valid (result, self), -1);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == db_pool_execute_async, -1);

  op = g_task_get_task_data (G_TASK (result));
  changes = g_task_propagate_int (G_TASK (result), error);
  if (last_insert_rowid != NULL)
    *last_insert_rowid = changes >= 0 ? op->last_insert_rowid : 0;
  return changes;
}

/**
 * db_pool_query_async:
 * @self: a pool
 * @sql: one SQL statement
 * @params: (nullable): parameters, as for [method@DbPool.Connection.execute]; a
 *   floating reference is consumed
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called on the caller's thread-default main context
 * @user_data: data for @callback
 *
 * Runs one statement on a worker thread and materializes its rows. A `SELECT` runs
 * on a read lease, beside the writer; anything else (`INSERT ... RETURNING`) on the
 * write lease. Safe from gjs.
 */
void
db_pool_query_async (DbPool              *self,
                     const char          *sql,
                     GVariant            *params,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_return_if_fail (DB_IS_POOL (self));
  g_return_if_fail (sql != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  start_statement_op (self, OP_QUERY, sql, params, db_pool_query_async, "db_pool_query_async()",
                      cancellable, callback, user_data);
}

/**
 * db_pool_query_finish:
 * @self: a pool
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Finishes [method@DbPool.Pool.query_async].
 *
 * Returns: (transfer full): the rows, or %NULL with @error set
 */
DbRows *
db_pool_query_finish (DbPool        *self,
                      GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (DB_IS_POOL (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == db_pool_query_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * db_pool_execute_batch_async:
 * @self: a pool
 * @sql: one SQL statement that writes
 * @param_rows: the parameter rows: an array of tuples (`a(sx)`), of dictionaries
 *   (`aa{sv}`) or of variants holding either (`av`); a floating reference is consumed
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called on the caller's thread-default main context
 * @user_data: data for @callback
 *
 * Runs @sql once for each row of @param_rows, as one write job: all rows or none.
 * The statement is prepared once. A row that fails (a constraint, a wrong
 * parameter) fails the whole job with an error naming the row, and nothing of it is
 * committed. Safe from gjs.
 */
void
db_pool_execute_batch_async (DbPool              *self,
                             const char          *sql,
                             GVariant            *param_rows,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GVariant) rows = NULL;
  OpData *op;

  g_return_if_fail (DB_IS_POOL (self));
  g_return_if_fail (sql != NULL);
  g_return_if_fail (param_rows != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  rows = g_variant_ref_sink (param_rows);
  if (!g_variant_is_of_type (rows, G_VARIANT_TYPE_ARRAY))
    {
      g_task_report_new_error (self, callback, user_data, db_pool_execute_batch_async,
                               DB_POOL_ERROR, DB_POOL_ERROR_MISUSE,
                               "The parameter rows of a batch must be an array of tuples, "
                               "dictionaries or variants, not “%s”",
                               g_variant_get_type_string (rows));
      return;
    }

  op = g_new0 (OpData, 1);
  op->kind = OP_BATCH;
  op->job.sql = g_strdup (sql);
  op->job.params = g_steal_pointer (&rows);
  start_op (self, op, DB_ACCESS_WRITE, db_pool_execute_batch_async,
            "db_pool_execute_batch_async()", cancellable, callback, user_data);
}

/**
 * db_pool_execute_batch_finish:
 * @self: a pool
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Finishes [method@DbPool.Pool.execute_batch_async].
 *
 * Returns: the number of rows changed by all the rows together, or -1 with @error set
 */
gint64
db_pool_execute_batch_finish (DbPool        *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (DB_IS_POOL (self), -1);
  g_return_val_if_fail (g_task_is_valid (result, self), -1);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == db_pool_execute_batch_async,
                        -1);

  return g_task_propagate_int (G_TASK (result), error);
}

/**
 * db_pool_execute:
 * @self: a pool
 * @sql: one SQL statement
 * @params: (nullable): parameters, as for [method@DbPool.Connection.execute]; a
 *   floating reference is consumed
 * @last_insert_rowid: (out) (optional): the rowid of the row the statement inserted
 *   (0 if it inserted none)
 * @cancellable: (nullable): a cancellable: a statement still queued is dropped, one
 *   running is interrupted
 * @error: return location for an error
 *
 * Runs one statement as a write job and blocks until it committed: the blocking
 * form of [method@DbPool.Pool.execute_async], for worker threads. Statements of
 * several threads calling this at once share transactions (see
 * [property@DbPool.PoolConfig:group-commit]), which is much faster than each
 * thread taking the write lease in turn. A statement that only reads (`SELECT`)
 * runs on a read lease instead.
 *
 * Returns: the number of rows changed, or -1 with @error set
 */
gint64
db_pool_execute (DbPool        *self,
                 const char    *sql,
                 GVariant      *params,
                 gint64        *last_insert_rowid,
                 GCancellable  *cancellable,
                 GError       **error)
{
  g_autoptr(GVariant) owned = params ? g_variant_ref_sink (params) : NULL;
  DbWriteJob job = { 0 };
  gint64 changes;

  g_return_val_if_fail (DB_IS_POOL (self), -1);
  g_return_val_if_fail (sql != NULL, -1);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  if (last_insert_rowid != NULL)
    *last_insert_rowid = 0;

  if (access_for_sql (sql) == DB_ACCESS_READ)
    {
      g_autoptr(DbConnection) lease = db_pool_acquire (self, DB_ACCESS_READ, cancellable, error);

      return lease ? db_connection_execute (lease, sql, g_steal_pointer (&owned), error) : -1;
    }

  job.kind = DB_WRITE_JOB_EXECUTE;
  job.sql = (char *) sql;               /* borrowed: the job ends before we return */
  job.params = owned;
  job.cancellable = cancellable;
  _db_write_queue_run (_db_pool_get_write_queue (self), &job);

  if (job.error != NULL)
    {
      g_propagate_error (error, job.error);
      return -1;
    }
  changes = job.changes;
  if (last_insert_rowid != NULL)
    *last_insert_rowid = job.last_insert_rowid;
  return changes;
}
