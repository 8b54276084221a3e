/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include <gio/gio.h>

#include "db-bind-private.h"
#include "db-connection-private.h"
#include "db-enum-types.h"
#include "db-pool-private.h"
#include "db-rows-private.h"
#include "db-sql-words-private.h"
#include "db-statement-private.h"
#include "db-tuning-private.h"

/**
 * DbConnection:
 *
 * A lease on one pooled SQLite connection.
 *
 * Get one with [method@DbPool.Pool.acquire] (on a worker thread) or
 * [method@DbPool.Pool.acquire_async], or receive one in a [callback@DbPool.ConnectionFunc].
 * A lease is used by one thread at a time. It goes back to the pool when
 * [method@DbPool.Connection.release] is called or its last reference is dropped,
 * whichever comes first; after that every call fails with %DB_POOL_ERROR_MISUSE.
 *
 * A %DB_ACCESS_READ lease is really read-only (`PRAGMA query_only`): a statement that
 * would write fails with %DB_POOL_ERROR_READ_ONLY. A lease returned with a transaction
 * still open is rolled back before the connection is handed out again, and a
 * connection that saw an I/O error or corruption is closed instead of reused.
 *
 * Its properties are the original design's `ConnectionStats`: times are in
 * microseconds of the monotonic clock ([func@GLib.get_monotonic_time]).
 */
struct _DbConnection
{
  GObject          parent_instance;

  DbPool          *pool;
  DbSlot          *slot;          /* the pool's record of the connection; NULL once released */
  DbBackendConn   *conn;          /* slot->conn, read on every call; NULL once released */
  const DbBackend *backend;       /* kept after release, for its SQL texts */
  DbAccess         access;
  int              released;      /* atomic */
  gboolean         mode_ready;    /* the read-only mode matches access */
  gint64           created_at_us;
  GQueue           statements;    /* live DbStatements, detached on release */
  gpointer         spare;         /* a freed DbStatement's memory, for the next one */
  gboolean         in_job;        /* lent to a write job's function inside a batch */
  guint            job_depth;     /* the function's begin()s not yet committed */
};

enum {
  PROP_0,
  PROP_ACCESS,
  PROP_CREATED_AT_US,
  PROP_LAST_USED_US,
  PROP_AGE_US,
  PROP_IDLE_TIME_US,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (DbConnection, db_connection, G_TYPE_OBJECT)

/* @slot, just leased by the pool, becomes this lease's: the one place a lease (new
 * or reacquired) starts over. */
static void
attach (DbConnection *self,
        DbSlot       *slot)
{
  self->slot = slot;
  self->conn = slot->conn;
  self->backend = slot->conn->backend;
  self->mode_ready = FALSE;
  self->created_at_us = slot->conn->created_at_us;
  slot->conn->last_used_us = slot->leased_at_us;
  g_atomic_int_set (&self->released, FALSE);
}

DbConnection *
_db_connection_new_lease (DbPool   *pool,
                          DbSlot   *slot,
                          DbAccess  access)
{
  DbConnection *self = g_object_new (DB_TYPE_CONNECTION, NULL);

  self->pool = g_object_ref (pool);
  self->access = access;
  attach (self, slot);

  return self;
}

void
_db_connection_interrupt (GCancellable *cancellable,
                          DbConnection *self)
{
  /* The backend remembers the request, so the failure it causes is reported as a
   * cancellation even if the cancellable is reset before the error is mapped. */
  _db_backend_conn_interrupt (self->conn);
}

static gboolean rollback_nested (DbConnection  *self,
                                 GError       **error);

gboolean
_db_connection_is_trusted (DbConnection *self)
{
  return self->conn != NULL && !self->conn->broken;
}

void
_db_connection_begin_job (DbConnection *self)
{
  self->in_job = TRUE;
  self->job_depth = 0;
  _db_backend_conn_start_job (self->conn);
}

gboolean
_db_connection_end_job (DbConnection  *self,
                        GError       **error)
{
  DbConnection *holder;
  GList *l;
  gboolean ok = TRUE;

  /* What the function began and did not commit is rolled back, as a lease's release
   * does with a transaction left open. */
  while (ok && self->job_depth > 0)
    ok = rollback_nested (self, error);
  self->in_job = FALSE;

  /* The next job must not see this one's statements. */
  holder = self->statements.length > 0 ? g_object_ref (self) : NULL;
  while ((l = g_queue_pop_head_link (&self->statements)) != NULL)
    _db_statement_detach (l->data);
  g_clear_object (&holder);
  return ok;
}

/* Every public call starts here: a released lease is MISUSE, and the connection's
 * read-only mode is made to match the lease's access on first use (cheaper than
 * switching at hand-out time for leases that never run a statement). */
static gboolean
check_usable (DbConnection  *self,
              GError       **error)
{
  if (g_atomic_int_get (&self->released))
    {
      g_set_error_literal (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE,
                           "This connection lease was already released");
      return FALSE;
    }
  if (!self->mode_ready)
    {
      /* Once per write lease, a stat(): writes to a database file that was deleted or
       * replaced under the pool would be acknowledged and then lost with the old
       * inode. Fail them instead; the connection is discarded on release. */
      if (self->access == DB_ACCESS_WRITE &&
          !_db_backend_conn_check_not_moved (self->conn, error))
        return FALSE;
      if (!_db_backend_conn_set_read_only (self->conn, self->access == DB_ACCESS_READ, error))
        return FALSE;
      self->mode_ready = TRUE;
    }
  return TRUE;
}

static gboolean
check_writable (DbConnection   *self,
                DbBackendStmt  *stmt,
                const char     *sql,
                GError        **error)
{
  if (self->access == DB_ACCESS_READ && !_db_backend_stmt_is_read_only (stmt))
    {
      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_READ_ONLY,
                   "Cannot write through a read lease: “%s”", sql);
      return FALSE;
    }
  return TRUE;
}

/* ROLLBACK [TRANSACTION] without TO: the whole transaction. */
static gboolean
is_full_rollback (const char *sql)
{
  const char *rest = _db_sql_skip_keyword (sql, "ROLLBACK");
  const char *after_transaction;

  if (rest == NULL)
    return FALSE;
  after_transaction = _db_sql_skip_keyword (rest, "TRANSACTION");
  return _db_sql_skip_keyword (after_transaction != NULL ? after_transaction : rest, "TO") == NULL;
}

/* Inside a batch the transaction belongs to every job in it: a job's own BEGIN would
 * fail anyway, but its COMMIT would commit its neighbours before they are done and
 * its ROLLBACK would undo them. (ROLLBACK TO and RELEASE of its own savepoints are
 * fine.) */
static gboolean
check_job_sql (DbConnection  *self,
               const char    *sql,
               GError       **error)
{
  if (!self->in_job)
    return TRUE;
  if (_db_sql_skip_keyword (sql, "BEGIN") != NULL || _db_sql_skip_keyword (sql, "COMMIT") != NULL ||
      _db_sql_skip_keyword (sql, "END") != NULL || is_full_rollback (sql))
    {
      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE,
                   "“%s” cannot run inside a write job: the job shares its transaction with "
                   "others; use db_connection_begin(), _commit() and _rollback(), which "
                   "become savepoints there", sql);
      return FALSE;
    }
  return TRUE;
}

DbBackendStmt *
_db_connection_checkout (DbConnection  *self,
                         const char    *sql,
                         GError       **error)
{
  DbBackendStmt *stmt;

  if (!check_usable (self, error) || !check_job_sql (self, sql, error))
    return NULL;

  stmt = _db_backend_conn_checkout (self->conn, sql, error);
  if (stmt == NULL)
    return NULL;
  if (!check_writable (self, stmt, sql, error))
    {
      _db_backend_stmt_checkin (stmt);
      return NULL;
    }

  self->conn->last_used_us = g_get_monotonic_time ();
  return stmt;
}

gpointer
_db_connection_take_spare (DbConnection *self)
{
  return g_steal_pointer (&self->spare);
}

gboolean
_db_connection_keep_spare (DbConnection *self,
                           gpointer      memory)
{
  if (self->spare != NULL || !_db_tuning.spare_statement)
    return FALSE;
  self->spare = memory;
  return TRUE;
}

void
_db_connection_track_statement (DbConnection *self,
                                GList        *link)
{
  g_queue_push_tail_link (&self->statements, link);
}

void
_db_connection_untrack_statement (DbConnection *self,
                                  GList        *link)
{
  g_queue_unlink (&self->statements, link);
}

/* Checks out @sql (from the cache), checks it may run on this lease and binds
 * @params: how db_connection_execute() and _query() start. */
static DbBackendStmt *
start_statement (DbConnection  *self,
                 const char    *sql,
                 GVariant      *params,
                 GError       **error)
{
  DbBackendStmt *stmt = _db_connection_checkout (self, sql, error);

  if (stmt != NULL && !_db_bind_params (stmt, params, error))
    {
      _db_backend_stmt_checkin (stmt);
      return NULL;
    }
  return stmt;
}

/**
 * db_connection_execute:
 * @self: a lease
 * @sql: one SQL statement
 * @params: (nullable): parameters: a tuple for `?` placeholders, `a{sv}` for named
 *   ones (`:name`, `@name`, `$name`), or %NULL; a maybe without a value binds NULL
 * @error: return location for an error
 *
 * Runs one statement to completion, discarding any rows it returns. The statement
 * is prepared once per connection and cached.
 *
 * If @params is floating, it is consumed.
 *
 * Returns: the number of rows changed, or -1 with @error set
 */
gint64
db_connection_execute (DbConnection  *self,
                       const char    *sql,
                       GVariant      *params,
                       GError       **error)
{
  g_autoptr(GVariant) owned = params ? g_variant_ref_sink (params) : NULL;
  DbBackendStmt *stmt;
  gint64 changes;

  g_return_val_if_fail (DB_IS_CONNECTION (self), -1);
  g_return_val_if_fail (sql != NULL, -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  stmt = start_statement (self, sql, owned, error);
  if (stmt == NULL)
    return -1;

  changes = _db_backend_stmt_run_to_done (stmt, error);
  _db_backend_stmt_checkin (stmt);
  return changes;
}

/**
 * db_connection_query:
 * @self: a lease
 * @sql: one SQL statement
 * @params: (nullable): parameters, as for [method@DbPool.Connection.execute]
 * @error: return location for an error
 *
 * Runs one statement and materializes every row it returns.
 *
 * If @params is floating, it is consumed.
 *
 * Returns: (transfer full): the rows, or %NULL with @error set
 */
DbRows *
db_connection_query (DbConnection  *self,
                     const char    *sql,
                     GVariant      *params,
                     GError       **error)
{
  g_autoptr(GVariant) owned = params ? g_variant_ref_sink (params) : NULL;
  g_autoptr(DbRows) rows = NULL;
  DbBackendStmt *stmt;
  DbStepResult step;

  g_return_val_if_fail (DB_IS_CONNECTION (self), NULL);
  g_return_val_if_fail (sql != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  stmt = start_statement (self, sql, owned, error);
  if (stmt == NULL)
    return NULL;

  rows = _db_rows_new_for_statement (stmt);
  while ((step = _db_backend_stmt_step (stmt, error)) == DB_STEP_ROW)
    _db_rows_append_current (rows, stmt);
  if (step == DB_STEP_ERROR)
    g_clear_object (&rows);

  _db_backend_stmt_checkin (stmt);
  return g_steal_pointer (&rows);
}

/**
 * db_connection_execute_script:
 * @self: a lease
 * @sql: any number of SQL statements, without parameters
 * @error: return location for an error
 *
 * Runs every statement in @sql in order, for schema set-up and migrations. The
 * statements are not cached. Stops at the first failure; statements before it stay
 * applied unless the caller wraps the script in a transaction.
 *
 * Returns: %TRUE on success
 */
gboolean
db_connection_execute_script (DbConnection  *self,
                              const char    *sql,
                              GError       **error)
{
  const char *cursor = sql;

  g_return_val_if_fail (DB_IS_CONNECTION (self), FALSE);
  g_return_val_if_fail (sql != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_usable (self, error))
    return FALSE;

  while (*cursor != '\0')
    {
      DbBackendStmt *stmt = NULL;
      const char *tail = NULL;
      gboolean ok;

      if (!_db_backend_conn_prepare_script (self->conn, cursor, &stmt, &tail, error))
        return FALSE;
      if (stmt == NULL)   /* only whitespace or comments left */
        break;

      if (!check_job_sql (self, cursor, error) || !check_writable (self, stmt, cursor, error))
        {
          _db_backend_stmt_checkin (stmt);
          return FALSE;
        }
      ok = _db_backend_stmt_run_to_done (stmt, error) >= 0;
      _db_backend_stmt_checkin (stmt);
      if (!ok)
        return FALSE;
      cursor = tail;
    }

  self->conn->last_used_us = g_get_monotonic_time ();
  return TRUE;
}

/**
 * db_connection_get_last_insert_rowid:
 * @self: a lease
 *
 * The rowid of the last row inserted through this connection.
 *
 * Returns: the rowid of the last row inserted through this connection (0 if none,
 *   or if the lease was released)
 */
gint64
db_connection_get_last_insert_rowid (DbConnection *self)
{
  g_return_val_if_fail (DB_IS_CONNECTION (self), 0);

  if (g_atomic_int_get (&self->released))
    return 0;
  return _db_backend_conn_last_insert_rowid (self->conn);
}

static gboolean
run_control (DbConnection  *self,
             const char    *sql,
             GError       **error)
{
  return db_connection_execute (self, sql, NULL, error) >= 0;
}

/* In a write job, commit() and rollback() end the job's innermost begin(). */
static gboolean
check_job_depth (DbConnection  *self,
                 const char    *what,
                 GError       **error)
{
  if (self->job_depth > 0)
    return TRUE;
  g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE,
               "No transaction to %s: db_connection_begin() was not called in this job",
               what);
  return FALSE;
}

static gboolean
rollback_nested (DbConnection  *self,
                 GError       **error)
{
  if (!run_control (self, "ROLLBACK TO SAVEPOINT dbpool_nested", error) ||
      !run_control (self, "RELEASE SAVEPOINT dbpool_nested", error))
    return FALSE;
  self->job_depth--;
  return TRUE;
}

/**
 * db_connection_begin:
 * @self: a lease
 * @error: return location for an error
 *
 * Starts a transaction. On a write lease it is `BEGIN IMMEDIATE`, so the write lock
 * is taken now and a later statement never fails with %DB_POOL_ERROR_BUSY halfway.
 * On a read lease it is a deferred `BEGIN`: a consistent snapshot across several
 * queries while the writer goes on.
 *
 * In the function of a %DB_ACCESS_WRITE [method@DbPool.Pool.run_async], which runs as
 * a write job beside others in one transaction (see
 * [property@DbPool.PoolConfig:group-commit]), it is a `SAVEPOINT`, and
 * [method@DbPool.Connection.commit] and [method@DbPool.Connection.rollback] end it:
 * they nest.
 *
 * Returns: %TRUE on success
 */
gboolean
db_connection_begin (DbConnection  *self,
                     GError       **error)
{
  g_return_val_if_fail (DB_IS_CONNECTION (self), FALSE);

  if (self->in_job)
    {
      if (!run_control (self, "SAVEPOINT dbpool_nested", error))
        return FALSE;
      self->job_depth++;
      return TRUE;
    }
  return run_control (self, self->access == DB_ACCESS_WRITE ? self->backend->begin_write_sql
                                                            : self->backend->begin_read_sql,
                      error);
}

/**
 * db_connection_commit:
 * @self: a lease
 * @error: return location for an error
 *
 * Commits the transaction started by [method@DbPool.Connection.begin].
 *
 * Returns: %TRUE on success
 */
gboolean
db_connection_commit (DbConnection  *self,
                      GError       **error)
{
  g_return_val_if_fail (DB_IS_CONNECTION (self), FALSE);

  if (self->in_job)
    {
      if (!check_job_depth (self, "commit", error) ||
          !run_control (self, "RELEASE SAVEPOINT dbpool_nested", error))
        return FALSE;
      self->job_depth--;
      return TRUE;
    }
  return run_control (self, "COMMIT", error);
}

/**
 * db_connection_rollback:
 * @self: a lease
 * @error: return location for an error
 *
 * Rolls back the transaction started by [method@DbPool.Connection.begin].
 *
 * Returns: %TRUE on success
 */
gboolean
db_connection_rollback (DbConnection  *self,
                        GError       **error)
{
  g_return_val_if_fail (DB_IS_CONNECTION (self), FALSE);

  if (self->in_job)
    return check_job_depth (self, "roll back", error) && rollback_nested (self, error);
  return run_control (self, "ROLLBACK", error);
}

/**
 * db_connection_in_transaction:
 * @self: a lease
 *
 * Whether a transaction is open on this lease.
 *
 * Returns: %TRUE if a transaction is open on this lease
 */
gboolean
db_connection_in_transaction (DbConnection *self)
{
  g_return_val_if_fail (DB_IS_CONNECTION (self), FALSE);

  if (g_atomic_int_get (&self->released))
    return FALSE;
  if (self->in_job)
    return self->job_depth > 0;
  return _db_backend_conn_in_transaction (self->conn);
}

/**
 * db_connection_get_access:
 * @self: a lease
 *
 * Whether this is a read or a write lease.
 *
 * Returns: whether this is a read or a write lease
 */
DbAccess
db_connection_get_access (DbConnection *self)
{
  g_return_val_if_fail (DB_IS_CONNECTION (self), DB_ACCESS_READ);

  return self->access;
}

/**
 * db_connection_is_released:
 * @self: a lease
 *
 * Whether the lease already went back to the pool.
 *
 * Returns: %TRUE once the lease went back to the pool
 */
gboolean
db_connection_is_released (DbConnection *self)
{
  g_return_val_if_fail (DB_IS_CONNECTION (self), TRUE);

  return g_atomic_int_get (&self->released);
}

/**
 * db_connection_release:
 * @self: a lease
 *
 * Gives the connection back to the pool now, rolling back a transaction left open.
 * Calling it again does nothing. Dropping the last reference releases too; calling
 * this explicitly returns the connection at a well-defined point, which matters in
 * languages with garbage collection.
 */
void
db_connection_release (DbConnection *self)
{
  DbConnection *holder;
  DbSlot *slot;
  GList *l;

  g_return_if_fail (DB_IS_CONNECTION (self));

  /* A job's function borrows the batch's lease: the batch gives it back. */
  if (self->in_job)
    return;
  if (!g_atomic_int_compare_and_exchange (&self->released, 0, 1))
    return;

  /* Statements still held by the caller give their backend statements back now, while
   * the connection is ours; from here on they fail with MISUSE. Each drops its
   * reference on the lease: hold one until the connection is back. (Dispose never
   * gets here with statements: each of them holds a reference.) */
  holder = self->statements.length > 0 ? g_object_ref (self) : NULL;
  while ((l = g_queue_pop_head_link (&self->statements)) != NULL)
    _db_statement_detach (l->data);

  slot = g_steal_pointer (&self->slot);
  self->conn = NULL;
  _db_pool_return_conn (self->pool, slot, self->access);
  g_clear_object (&holder);
}

/**
 * db_connection_reacquire:
 * @self: a released lease
 * @cancellable: (nullable): a cancellable to stop waiting
 * @error: return location for an error
 *
 * Leases a connection again from the same pool, with the same access, into this
 * released lease object. It waits, times out and fails exactly as
 * [method@DbPool.Pool.acquire] does, and like it is for worker threads.
 *
 * The connection may be a different one than before. Statements prepared on the
 * earlier lease stay detached. A thread that takes and returns leases in a loop can
 * keep one lease object this way instead of creating and finalizing one per
 * operation, which in GLib takes process-wide locks.
 *
 * Returns: %TRUE with the lease held again; %FALSE with @error set, the lease staying
 *   released (%DB_POOL_ERROR_MISUSE if it was not released)
 */
gboolean
db_connection_reacquire (DbConnection  *self,
                         GCancellable  *cancellable,
                         GError       **error)
{
  DbSlot *slot;

  g_return_val_if_fail (DB_IS_CONNECTION (self), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!g_atomic_int_get (&self->released))
    {
      g_set_error_literal (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE,
                           "This connection lease is still held; release it first");
      return FALSE;
    }

  slot = _db_pool_acquire_conn (self->pool, self->access, cancellable,
                                "db_connection_reacquire()", error);
  if (slot == NULL)
    return FALSE;

  attach (self, slot);
  return TRUE;
}

gpointer
_db_connection_get_engine_handle (DbConnection *self)
{
  if (!check_usable (self, NULL))
    return NULL;
  /* A raw handle user may leave statements running: the connection is swept when it
   * comes back. */
  self->conn->handle_exposed = TRUE;
  return _db_backend_conn_get_handle (self->conn);
}

/**
 * db_connection_get_created_at_us:
 * @self: a lease
 *
 * When the underlying SQLite connection was opened.
 *
 * Returns: when the underlying SQLite connection was opened (monotonic µs)
 */
gint64
db_connection_get_created_at_us (DbConnection *self)
{
  g_return_val_if_fail (DB_IS_CONNECTION (self), 0);

  return self->created_at_us;
}

/**
 * db_connection_get_last_used_us:
 * @self: a lease
 *
 * When the connection was last used.
 *
 * Returns: when a statement last ran on the connection, or when it was leased
 *   (monotonic µs); 0 after release
 */
gint64
db_connection_get_last_used_us (DbConnection *self)
{
  g_return_val_if_fail (DB_IS_CONNECTION (self), 0);

  if (g_atomic_int_get (&self->released))
    return 0;
  return self->conn->last_used_us;
}

/**
 * db_connection_get_age_us:
 * @self: a lease
 *
 * How old the underlying SQLite connection is.
 *
 * Returns: how long ago the underlying SQLite connection was opened, in µs
 */
gint64
db_connection_get_age_us (DbConnection *self)
{
  g_return_val_if_fail (DB_IS_CONNECTION (self), 0);

  return g_get_monotonic_time () - self->created_at_us;
}

/**
 * db_connection_get_idle_time_us:
 * @self: a lease
 *
 * How long the connection has gone unused.
 *
 * Returns: how long ago the connection was last used, in µs; 0 after release
 */
gint64
db_connection_get_idle_time_us (DbConnection *self)
{
  gint64 last_used;

  g_return_val_if_fail (DB_IS_CONNECTION (self), 0);

  last_used = db_connection_get_last_used_us (self);
  return last_used ? g_get_monotonic_time () - last_used : 0;
}

static void
db_connection_dispose (GObject *object)
{
  DbConnection *self = DB_CONNECTION (object);

  db_connection_release (self);

  G_OBJECT_CLASS (db_connection_parent_class)->dispose (object);
}

static void
db_connection_finalize (GObject *object)
{
  DbConnection *self = DB_CONNECTION (object);

  g_clear_pointer (&self->spare, g_free);
  /* Last: dropping the pool may finalize it, closing every handle. */
  g_clear_object (&self->pool);

  G_OBJECT_CLASS (db_connection_parent_class)->finalize (object);
}

static void
db_connection_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  DbConnection *self = DB_CONNECTION (object);

  switch (prop_id)
    {
    case PROP_ACCESS:
      g_value_set_enum (value, self->access);
      break;
    case PROP_CREATED_AT_US:
      g_value_set_int64 (value, db_connection_get_created_at_us (self));
      break;
    case PROP_LAST_USED_US:
      g_value_set_int64 (value, db_connection_get_last_used_us (self));
      break;
    case PROP_AGE_US:
      g_value_set_int64 (value, db_connection_get_age_us (self));
      break;
    case PROP_IDLE_TIME_US:
      g_value_set_int64 (value, db_connection_get_idle_time_us (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
db_connection_class_init (DbConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = db_connection_dispose;
  object_class->finalize = db_connection_finalize;
  object_class->get_property = db_connection_get_property;

  /**
   * DbConnection:access:
   *
   * Whether this is a read or a write lease.
   */
  properties[PROP_ACCESS] =
    g_param_spec_enum ("access", NULL, NULL, DB_TYPE_ACCESS, DB_ACCESS_READ,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * DbConnection:created-at-us:
   *
   * When the underlying SQLite connection was opened, in monotonic microseconds.
   */
  properties[PROP_CREATED_AT_US] =
    g_param_spec_int64 ("created-at-us", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * DbConnection:last-used-us:
   *
   * When a statement last ran on the connection (or it was leased), in monotonic
   * microseconds; 0 after release.
   */
  properties[PROP_LAST_USED_US] =
    g_param_spec_int64 ("last-used-us", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * DbConnection:age-us:
   *
   * How long ago the underlying SQLite connection was opened, in microseconds.
   */
  properties[PROP_AGE_US] =
    g_param_spec_int64 ("age-us", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * DbConnection:idle-time-us:
   *
   * How long ago the connection was last used, in microseconds.
   */
  properties[PROP_IDLE_TIME_US] =
    g_param_spec_int64 ("idle-time-us", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
db_connection_init (DbConnection *self)
{
}
