/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gio/gio.h>

#include "db-connection-private.h"
#include "db-enum-types.h"
#include "db-pool-core-private.h"
#include "db-pool-private.h"
#include "db-statement-runner-private.h"
#include "db-write-queue-private.h"

/**
 * DbPool:
 *
 * A pool of SQLite connections: one writer, many readers, fair waiting, and
 * statistics a UI can watch.
 *
 * A pool keeps between [property@DbPool.PoolConfig:min-connections] and
 * [property@DbPool.PoolConfig:max-connections] open connections to one database in
 * WAL mode and lends them out as leases ([class@DbPool.Connection]). At most one
 * %DB_ACCESS_WRITE lease is out at a time; further writers queue in the pool, never
 * in SQLite's busy handler. Read leases run alongside the writer.
 *
 * Waiting is first come, first served: a returned connection goes straight to the
 * oldest waiter it can serve. Every wait honours
 * [property@DbPool.PoolConfig:connection-timeout-ms] (%DB_POOL_ERROR_TIMEOUT) and a
 * [class@Gio.Cancellable] (%G_IO_ERROR_CANCELLED).
 *
 * Where code runs: opening connections and the work of
 * [method@DbPool.Pool.run_async], [method@DbPool.Pool.execute_async] and
 * [method@DbPool.Pool.query_async] happen on the pool's own worker threads; their
 * results come back on the thread-default main context of the caller. The stats
 * properties change on any thread but emit `notify::` only on the main context that
 * was thread-default when the pool was created, coalesced to at most one emission
 * per property per dispatch.
 *
 * Write jobs (execute_async, [method@DbPool.Pool.execute],
 * [method@DbPool.Pool.execute_batch_async], a %DB_ACCESS_WRITE run_async) queued
 * together share one transaction, each in its own savepoint, and are acknowledged
 * once it committed: see [property@DbPool.PoolConfig:group-commit]. A WRITE lease
 * from [method@DbPool.Pool.acquire] keeps the writer to itself; leases and batches
 * take turns in FIFO order.
 *
 * Maintenance runs every [property@DbPool.PoolConfig:maintenance-interval-ms] from a
 * timer on that same context, with its work on a worker: it closes connections idle
 * longer than [property@DbPool.PoolConfig:idle-timeout-ms] down to the minimum,
 * replaces connections older than [property@DbPool.PoolConfig:max-lifetime-ms],
 * refills to the minimum and runs a passive WAL checkpoint when the pool is idle,
 * holding the writer's turn meanwhile so that no commit runs beside it.
 */

struct _DbPool
{
  GObject          parent_instance;

  DbPoolConfig    *config;
  char            *name;          /* the config's, fixed at construction */
  DbPoolConfig    *applied;        /* what config must show: changes to it are undone */
  DbPoolCore      *core;
  DbWriteQueue    *write_queue;
  DbStatementRunner *statement_runner;
  gboolean         detects_leaks;  /* atomic: reconfigure() may change it */

  GMainContext    *owner_context;
  GThreadPool     *workers;
  DbPoolNotifier  *notifier;
  GSource         *maintenance_source;
  /* Exclusive mode: a connection of its own, never lent, open from construction
   * until the pool is drained. The process's lock on the file (and SQLite's
   * in-memory WAL index) lasts only while some connection to it is open, and
   * maintenance may close every lent one (min-connections 0, max-lifetime-ms). */
  DbSlot          *lock_keeper;   /* atomic */
};

enum {
  PROP_0,
  PROP_CONFIG,
  PROP_BACKEND,
  N_PROPS
};

enum {
  SIGNAL_LEASE_HELD_TOO_LONG,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The stats (db-pool-stats-table.c) follow the other properties, in table order. */
#define FIRST_STAT_PROP N_PROPS

static GParamSpec *properties[N_PROPS];
static GParamSpec **stat_properties;

static void db_pool_initable_iface_init       (GInitableIface      *iface);
static void db_pool_async_initable_iface_init (GAsyncInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DbPool, db_pool, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, db_pool_initable_iface_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_ASYNC_INITABLE, db_pool_async_initable_iface_init))

/* ------------------------------------------------------------------------------- */
/* Worker jobs: the one way work gets onto the pool's GThreadPool.                 */

typedef struct
{
  DbJobFunc    func;
  gpointer     data;
  GThreadPool *workers;
} DbJob;

static GPrivate current_workers;   /* the GThreadPool whose job this thread runs */

static void
job_run (gpointer job_ptr,
         gpointer unused)
{
  DbJob *job = job_ptr;

  g_private_set (&current_workers, job->workers);
  job->func (job->data);
  g_private_set (&current_workers, NULL);
  g_free (job);
}

void
_db_pool_push_job (DbPool    *self,
                   DbJobFunc  func,
                   gpointer   data)
{
  DbJob *job = g_new (DbJob, 1);

  job->func = func;
  job->data = data;
  job->workers = self->workers;
  /* Only fails if a new thread cannot be spawned when none is running; then the job
   * runs on the next free worker anyway, so nothing is lost. */
  g_thread_pool_push (self->workers, job, NULL);
}

DbPoolCore *
_db_pool_get_core (DbPool *self)
{
  return self->core;
}

DbWriteQueue *
_db_pool_get_write_queue (DbPool *self)
{
  return self->write_queue;
}

DbStatementRunner *
_db_pool_get_statement_runner (DbPool *self)
{
  return self->statement_runner;
}

const char *
_db_pool_get_name (DbPool *self)
{
  return self->name;
}

gboolean
_db_pool_detects_leaks (DbPool *self)
{
  return g_atomic_int_get (&self->detects_leaks);
}

void
_db_pool_stats_changed (DbPool *self)
{
  _db_pool_notifier_kick (self->notifier);
}

void
_db_pool_emit_lease_held_too_long (DbPool     *self,
                                   guint64     held_us,
                                   const char *where)
{
  g_signal_emit (self, signals[SIGNAL_LEASE_HELD_TOO_LONG], 0, held_us, where);
}

/* ------------------------------------------------------------------------------- */
/* Leases.                                                                         */

DbSlot *
_db_pool_acquire_conn (DbPool        *self,
                       DbAccess       access,
                       GCancellable  *cancellable,
                       const char    *entry,
                       GError       **error)
{
  return _db_pool_core_acquire (self->core, access, cancellable, entry, error);
}

void
_db_pool_return_conn (DbPool   *self,
                      DbSlot   *slot,
                      DbAccess  access)
{
  _db_pool_core_return (self->core, slot, access);
}

/**
 * db_pool_acquire:
 * @self: a pool
 * @access: read or write
 * @cancellable: (nullable): a cancellable to stop waiting
 * @error: return location for an error
 *
 * Leases a connection, blocking until one is available. This is for code that
 * already runs on a worker thread; from a main loop use
 * [method@DbPool.Pool.acquire_async] or the `*_async` statement functions.
 *
 * When no connection is idle and the pool is at its maximum, the caller queues
 * behind earlier waiters. It fails with %DB_POOL_ERROR_TIMEOUT after
 * [property@DbPool.PoolConfig:connection-timeout-ms], %G_IO_ERROR_CANCELLED when
 * @cancellable fires, %DB_POOL_ERROR_CLOSED when the pool closes, and
 * %DB_POOL_ERROR_OPEN when a new connection cannot be opened.
 *
 * Returns: (transfer full): the lease, or %NULL with @error set
 */
DbConnection *
db_pool_acquire (DbPool        *self,
                 DbAccess       access,
                 GCancellable  *cancellable,
                 GError       **error)
{
  DbSlot *slot;

  g_return_val_if_fail (DB_IS_POOL (self), NULL);
  g_return_val_if_fail (access == DB_ACCESS_READ || access == DB_ACCESS_WRITE, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  slot = _db_pool_core_acquire (self->core, access, cancellable, "db_pool_acquire()", error);
  if (slot == NULL)
    return NULL;
  return _db_connection_new_lease (self, slot, access);
}

/**
 * db_pool_acquire_with_origin:
 * @self: a pool
 * @access: read or write
 * @origin: (nullable): where the caller acquires the lease, in the caller's own
 *   terms, for instance `"script.py:42"`; %NULL is [method@DbPool.Pool.acquire]
 * @cancellable: (nullable): a cancellable to stop waiting
 * @error: return location for an error
 *
 * [method@DbPool.Pool.acquire], for language bindings: when the lease is reported
 * as held too long (see [property@DbPool.PoolConfig:leak-threshold-ms]), the
 * report names @origin instead of the C call stack, which for an interpreted
 * caller shows only the interpreter. The PyGObject override calls it with the
 * Python file and line that called `pool.acquire()`.
 *
 * Returns: (transfer full): the lease, or %NULL with @error set
 */
DbConnection *
db_pool_acquire_with_origin (DbPool        *self,
                             DbAccess       access,
                             const char    *origin,
                             GCancellable  *cancellable,
                             GError       **error)
{
  DbSlot *slot;

  g_return_val_if_fail (DB_IS_POOL (self), NULL);
  g_return_val_if_fail (access == DB_ACCESS_READ || access == DB_ACCESS_WRITE, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* The core captures the origin on this thread, before it waits; the hint is
   * only read there. */
  _db_lease_origin_set_caller (origin);
  slot = _db_pool_core_acquire (self->core, access, cancellable, "db_pool_acquire()", error);
  _db_lease_origin_set_caller (NULL);
  if (slot == NULL)
    return NULL;
  return _db_connection_new_lease (self, slot, access);
}

/* ------------------------------------------------------------------------------- */
/* Closing.                                                                        */

/* Once drained: the keeper is the last connection, so closing it hands the file to
 * other processes. Any thread; once. */
static void
close_lock_keeper (DbPool *self)
{
  DbSlot *keeper = g_atomic_pointer_exchange (&self->lock_keeper, NULL);

  if (keeper != NULL)
    _db_slot_close (keeper);
}

static void
close_lock_keeper_job (gpointer data)
{
  g_autoptr(GTask) task = data;

  close_lock_keeper (g_task_get_source_object (task));
  g_task_return_boolean (task, TRUE);
}

/* The pool drained: close the keeper on a worker (closing the last connection may
 * checkpoint), then complete the caller's close_async() task. */
static void
drained_then_close_keeper (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  _db_pool_push_job (DB_POOL (source), close_lock_keeper_job, user_data);
}

static void
stop_maintenance (DbPool *self)
{
  if (self->maintenance_source != NULL)
    {
      g_source_destroy (self->maintenance_source);
      g_clear_pointer (&self->maintenance_source, g_source_unref);
    }
}

/**
 * db_pool_close:
 * @self: a pool
 *
 * Closes the pool and blocks until it is drained: new and queued acquires fail with
 * %DB_POOL_ERROR_CLOSED, outstanding leases are waited for, then every connection
 * is closed (the last one truncates the WAL). Calling it again does nothing.
 *
 * Leases held by the calling thread itself (acquired on it with
 * [method@DbPool.Pool.acquire], [method@DbPool.Connection.reacquire] or
 * [method@DbPool.Pool.acquire_async]) could never come back while it waits, so they
 * are not waited for: that is a programmer error, logged as a critical warning naming
 * where each was acquired, and those connections close when they are released.
 *
 * Do not call it on the main thread while a lease is held by code that needs the
 * main loop to finish: use [method@DbPool.Pool.close_async] there.
 */
void
db_pool_close (DbPool *self)
{
  g_return_if_fail (DB_IS_POOL (self));

  _db_pool_core_close (self->core);
  close_lock_keeper (self);
}

/**
 * db_pool_close_async:
 * @self: a pool
 * @cancellable: (nullable): not used to abort the close, which always completes;
 *   present for API symmetry
 * @callback: (scope async): called once the pool is drained and closed
 * @user_data: data for @callback
 *
 * Closes the pool like [method@DbPool.Pool.close] without blocking: the callback
 * runs once every outstanding lease came back and every connection is closed.
 */
void
db_pool_close_async (DbPool              *self,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (DB_IS_POOL (self));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, db_pool_close_async);
  if (g_atomic_pointer_get (&self->lock_keeper) != NULL)
    {
      /* The core completes @drained; the caller's task completes after the keeper. */
      g_autoptr(GTask) drained = g_task_new (self, NULL, drained_then_close_keeper,
                                             g_steal_pointer (&task));

      _db_pool_core_close_async (self->core, drained);
      return;
    }
  _db_pool_core_close_async (self->core, task);
}

/**
 * db_pool_close_finish:
 * @self: a pool
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Finishes [method@DbPool.Pool.close_async].
 *
 * Returns: %TRUE once closed
 */
gboolean
db_pool_close_finish (DbPool        *self,
                      GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (DB_IS_POOL (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * db_pool_is_closed:
 * @self: a pool
 *
 * Whether the pool was closed.
 *
 * Returns: %TRUE once [method@DbPool.Pool.close] or
 *   [method@DbPool.Pool.close_async] was called
 */
gboolean
db_pool_is_closed (DbPool *self)
{
  g_return_val_if_fail (DB_IS_POOL (self), TRUE);

  return _db_pool_core_is_closed (self->core);
}

/* ------------------------------------------------------------------------------- */
/* Stats.                                                                          */

void
_db_pool_snapshot (DbPool         *self,
                   DbPoolSnapshot *out)
{
  _db_pool_core_snapshot (self->core, out);
}

/**
 * db_pool_get_stats:
 * @self: a pool
 *
 * Takes a consistent snapshot of all counters at one instant. Safe from any thread.
 *
 * Returns: (transfer full): the snapshot; free with [method@DbPool.PoolStats.free]
 */
DbPoolStats *
db_pool_get_stats (DbPool *self)
{
  DbPoolSnapshot snapshot;

  g_return_val_if_fail (DB_IS_POOL (self), NULL);

  _db_pool_snapshot (self, &snapshot);
  return db_pool_stats_copy (&snapshot.stats);
}

/**
 * db_pool_get_config:
 * @self: a pool
 *
 * The configuration the pool runs with: the pool's own copy of the one it was
 * created with, updated by [method@DbPool.Pool.reconfigure].
 *
 * It is for reading, and always shows what the pool runs by: a property set on it
 * is set back at once, with a warning. To change a running pool, change a copy
 * ([method@DbPool.PoolConfig.copy]) and pass it to [method@DbPool.Pool.reconfigure].
 *
 * Returns: (transfer none): the configuration
 */
DbPoolConfig *
db_pool_get_config (DbPool *self)
{
  g_return_val_if_fail (DB_IS_POOL (self), NULL);

  return self->config;
}

/* ------------------------------------------------------------------------------- */
/* Reconfiguring.                                                                  */

/* What db_pool_reconfigure() applies; anything else needs a new pool. */
static const char * const reconfigurable[] = {
  "min-connections", "max-connections", "connection-timeout-ms", "idle-timeout-ms",
  "max-lifetime-ms", "leak-threshold-ms", NULL
};

static void
limits_from_config (DbPoolConfig *c,
                    DbPoolLimits *limits)
{
  limits->min_connections = db_pool_config_get_min_connections (c);
  limits->max_connections = db_pool_config_get_max_connections (c);
  limits->connection_timeout_ms = db_pool_config_get_connection_timeout_ms (c);
  limits->idle_timeout_ms = db_pool_config_get_idle_timeout_ms (c);
  limits->max_lifetime_ms = db_pool_config_get_max_lifetime_ms (c);
  limits->leak_threshold_ms = db_pool_config_get_leak_threshold_ms (c);
  limits->circuit_breaker_threshold = db_pool_config_get_circuit_breaker_threshold (c);
  limits->circuit_breaker_cooldown_ms = db_pool_config_get_circuit_breaker_cooldown_ms (c);
}

/* Workers: one per connection (they may all be busy in statements) plus one for
 * opening and maintenance. */
static int
n_workers_for (guint max_connections)
{
  return (int) MIN (MAX (max_connections, 1) + 1, 128);
}

static void config_changed_behind_pool (DbPoolConfig *config,
                                        GParamSpec   *pspec,
                                        DbPool       *self);

/* Sets @names (all if NULL) of the pool's configuration from @from, quietly. */
static void
set_config_quietly (DbPool             *self,
                    DbPoolConfig       *from,
                    const char * const *names,
                    const char         *name)
{
  g_signal_handlers_block_by_func (self->config, config_changed_behind_pool, self);
  g_object_freeze_notify (G_OBJECT (self->config));
  for (guint i = 0; names == NULL ? i == 0 : names[i] != NULL; i++)
    {
      const char *property = names ? names[i] : name;
      g_auto(GValue) value = G_VALUE_INIT;

      g_object_get_property (G_OBJECT (from), property, &value);
      g_object_set_property (G_OBJECT (self->config), property, &value);
    }
  g_object_thaw_notify (G_OBJECT (self->config));
  g_signal_handlers_unblock_by_func (self->config, config_changed_behind_pool, self);
}

/* The configuration object shows what the pool runs by: a change made on it would
 * make it lie, so it is undone, loudly. */
static void
config_changed_behind_pool (DbPoolConfig *config,
                            GParamSpec   *pspec,
                            DbPool       *self)
{
  g_warning ("dbpool: “%s” was changed on the configuration of the running pool on “%s”; "
             "the change is undone: to change a running pool, pass a changed copy to "
             "db_pool_reconfigure()",
             pspec->name, _db_pool_core_get_path (self->core));
  set_config_quietly (self, self->applied, NULL, pspec->name);
}

/**
 * db_pool_reconfigure:
 * @self: a running pool
 * @config: the new configuration, for example a changed copy of
 *   [method@DbPool.Pool.get_config]'s
 * @error: return location for an error
 *
 * Resizes and retunes a running pool: applies @config's
 * [property@DbPool.PoolConfig:min-connections],
 * [property@DbPool.PoolConfig:max-connections],
 * [property@DbPool.PoolConfig:connection-timeout-ms],
 * [property@DbPool.PoolConfig:idle-timeout-ms],
 * [property@DbPool.PoolConfig:max-lifetime-ms] and
 * [property@DbPool.PoolConfig:leak-threshold-ms]. Every other property must be the
 * same as the pool's.
 *
 * A larger maximum serves queued requests at once, oldest first. A smaller one
 * closes idle connections above it now; connections out on leases beyond it close
 * when they are returned, and until then no new connection is opened. A larger
 * minimum is filled by the next maintenance tick. The new timeout applies to
 * requests that start waiting from now on, the new leak threshold to leases
 * acquired from now on.
 *
 * Call it on the thread of the pool's owner main context: the pool's configuration
 * ([method@DbPool.Pool.get_config]) is updated and notifies there.
 *
 * Returns: %TRUE if applied; otherwise %FALSE with @error set: %DB_POOL_ERROR_INVALID_CONFIG
 *   when @config is invalid or changes another property (the message names it),
 *   %DB_POOL_ERROR_CLOSED when the pool is closed. Nothing is applied then.
 */
gboolean
db_pool_reconfigure (DbPool        *self,
                     DbPoolConfig  *config,
                     GError       **error)
{
  DbPoolLimits limits = { 0 };
  const char *fixed;

  g_return_val_if_fail (DB_IS_POOL (self), FALSE);
  g_return_val_if_fail (DB_IS_POOL_CONFIG (config), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!db_pool_config_validate (config, error))
    return FALSE;
  fixed = _db_pool_config_first_difference (self->config, config, reconfigurable);
  if (fixed != NULL)
    {
      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG,
                   "“%s” cannot change on a running pool: db_pool_reconfigure() applies "
                   "only min-connections, max-connections, connection-timeout-ms, "
                   "idle-timeout-ms, max-lifetime-ms and leak-threshold-ms; a new “%s” "
                   "needs a new pool", fixed, fixed);
      return FALSE;
    }

  limits_from_config (config, &limits);
  /* Before the core can grant a connection more: a worker for each. */
  if (limits.max_connections > db_pool_config_get_max_connections (self->config))
    g_thread_pool_set_max_threads (self->workers, n_workers_for (limits.max_connections), NULL);
  if (!_db_pool_core_reconfigure (self->core, &limits))
    {
      g_set_error_literal (error, DB_POOL_ERROR, DB_POOL_ERROR_CLOSED, "The pool is closed");
      return FALSE;
    }
  g_atomic_int_set (&self->detects_leaks, limits.leak_threshold_ms > 0);

  set_config_quietly (self, config, reconfigurable, NULL);
  g_clear_object (&self->applied);
  self->applied = db_pool_config_copy (self->config);

  /* A smaller pool: the workers above the new count retire as they go idle. */
  if (limits.max_connections < (guint) g_thread_pool_get_max_threads (self->workers) - 1)
    g_thread_pool_set_max_threads (self->workers, n_workers_for (limits.max_connections), NULL);
  _db_pool_stats_changed (self);
  return TRUE;
}

/* ------------------------------------------------------------------------------- */
/* Construction.                                                                   */

static gboolean
open_initial (DbPool        *self,
              GCancellable  *cancellable,
              GError       **error)
{
  /* At least one connection is opened even with min-connections = 0: it proves the
   * database is reachable and WAL took, so configuration errors surface here. */
  guint n = MAX (db_pool_config_get_min_connections (self->config), 1);

  for (guint i = 0; i < n; i++)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      if (!_db_pool_core_open_idle (self->core, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
db_pool_initable_init (GInitable     *initable,
                       GCancellable  *cancellable,
                       GError       **error)
{
  DbPool *self = DB_POOL (initable);
  GError *local_error = NULL;

  if (self->config == NULL)
    {
      g_set_error_literal (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG,
                           "A pool needs a configuration");
      return FALSE;
    }
  if (!db_pool_config_validate (self->config, error))
    return FALSE;

  /* First, so that the keeper is the connection that takes the lock; the pool's own
   * come and go under it. */
  if (db_pool_config_get_exclusive (self->config))
    {
      DbSlot *keeper = _db_pool_core_open_unpooled (self->core, error);

      if (keeper == NULL)
        return FALSE;
      g_atomic_pointer_set (&self->lock_keeper, keeper);
    }

  if (!open_initial (self, cancellable, &local_error))
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  _db_pool_core_finish_opening (self->core);
  return TRUE;
}

static void
db_pool_initable_iface_init (GInitableIface *iface)
{
  iface->init = db_pool_initable_init;
}

static void
init_async_job (gpointer data)
{
  g_autoptr(GTask) task = data;
  GError *error = NULL;

  if (db_pool_initable_init (g_task_get_source_object (task), g_task_get_cancellable (task), &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
db_pool_init_async (GAsyncInitable      *initable,
                    int                  io_priority,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  DbPool *self = DB_POOL (initable);
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, db_pool_init_async);
  g_task_set_priority (task, io_priority);
  _db_pool_push_job (self, init_async_job, task);
}

static gboolean
db_pool_init_finish (GAsyncInitable  *initable,
                     GAsyncResult    *result,
                     GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, initable), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
db_pool_async_initable_iface_init (GAsyncInitableIface *iface)
{
  iface->init_async = db_pool_init_async;
  iface->init_finish = db_pool_init_finish;
}

/**
 * db_pool_new:
 * @config: the configuration; the pool keeps its own copy
 * @cancellable: (nullable): a cancellable
 * @error: return location for an error
 *
 * Creates a pool and opens its first connections on the calling thread. The
 * thread-default main context of the calling thread becomes the pool's owner
 * context: stats notifications and maintenance run there.
 *
 * Returns: (transfer full): the pool, or %NULL with @error set
 *   (%DB_POOL_ERROR_INVALID_CONFIG, %DB_POOL_ERROR_OPEN)
 */
DbPool *
db_pool_new (DbPoolConfig  *config,
             GCancellable  *cancellable,
             GError       **error)
{
  g_return_val_if_fail (DB_IS_POOL_CONFIG (config), NULL);

  return g_initable_new (DB_TYPE_POOL, cancellable, error, "config", config, NULL);
}

/**
 * db_pool_new_async:
 * @config: the configuration; the pool keeps its own copy
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called on the caller's thread-default main context,
 *   which becomes the pool's owner context
 * @user_data: data for @callback
 *
 * Creates a pool, opening its first connections on a worker thread.
 */
void
db_pool_new_async (DbPoolConfig        *config,
                   int                  io_priority,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  g_return_if_fail (DB_IS_POOL_CONFIG (config));

  g_async_initable_new_async (DB_TYPE_POOL, io_priority, cancellable, callback, user_data,
                              "config", config, NULL);
}

/**
 * db_pool_new_finish:
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Finishes [func@DbPool.Pool.new_async].
 *
 * Returns: (transfer full): the pool, or %NULL with @error set
 */
DbPool *
db_pool_new_finish (GAsyncResult  *result,
                    GError       **error)
{
  g_autoptr(GObject) source = g_async_result_get_source_object (result);
  GObject *object = g_async_initable_new_finish (G_ASYNC_INITABLE (source), result, error);

  return object ? DB_POOL (object) : NULL;
}

static void
db_pool_constructed (GObject *object)
{
  DbPool *self = DB_POOL (object);
  DbBackendSettings settings = { 0 };
  DbPoolLimits limits = { 0 };
  guint maintenance_interval_ms = 0;
  gboolean group_commit = TRUE;
  guint group_commit_max_jobs = 1;

  G_OBJECT_CLASS (db_pool_parent_class)->constructed (object);

  self->owner_context = g_main_context_ref_thread_default ();
  /* Read from any thread by the metrics and the log messages: a copy that nothing
   * changes (the config's own property may be set later). */
  self->name = g_strdup (self->config != NULL ? db_pool_config_get_name (self->config) : NULL);
  if (self->name == NULL)
    self->name = g_strdup ("dbpool");

  /* Without a config, initable_init() fails; the core still needs to exist. */
  if (self->config != NULL)
    {
      DbPoolConfig *c = self->config;

      settings.path = g_strdup (db_pool_config_get_path (c));
      settings.busy_timeout_ms = db_pool_config_get_busy_timeout_ms (c);
      settings.enable_wal = db_pool_config_get_enable_wal (c);
      settings.synchronous = db_pool_config_get_synchronous (c);
      settings.statement_cache_size = db_pool_config_get_statement_cache_size (c);
      settings.exclusive = db_pool_config_get_exclusive (c);
      settings.may_create = TRUE;
      limits_from_config (c, &limits);
      maintenance_interval_ms = db_pool_config_get_maintenance_interval_ms (c);
      self->applied = db_pool_config_copy (c);
      g_signal_connect_object (c, "notify", G_CALLBACK (config_changed_behind_pool), self, 0);
      group_commit = db_pool_config_get_group_commit (c);
      group_commit_max_jobs = db_pool_config_get_group_commit_max_jobs (c);
    }
  self->detects_leaks = limits.leak_threshold_ms > 0;
  self->core = _db_pool_core_new (self, &settings, &limits);
  self->write_queue = _db_write_queue_new (self, group_commit, group_commit_max_jobs);
  self->statement_runner = _db_statement_runner_new (self);

  /* Threads are started lazily. */
  self->workers = g_thread_pool_new (job_run, NULL, n_workers_for (limits.max_connections),
                                     FALSE, NULL);

  self->notifier = _db_pool_notifier_new (self, self->owner_context, _db_pool_snapshot,
                                          _db_pool_stats, stat_properties, _db_pool_n_stats);

  if (maintenance_interval_ms > 0)
    self->maintenance_source = _db_pool_maintenance_start (self, self->owner_context,
                                                           maintenance_interval_ms);
}

static void
db_pool_dispose (GObject *object)
{
  DbPool *self = DB_POOL (object);

  stop_maintenance (self);

  /* Nothing holds a lease or a job now (both keep the pool alive): close in place.
   * Dispose may run twice; the second time there is nothing left to close. */
  if (self->core != NULL)
    _db_pool_core_shutdown (self->core);
  close_lock_keeper (self);

  g_clear_pointer (&self->notifier, _db_pool_notifier_free);

  if (self->workers != NULL)
    {
      /* Joining from one of our own workers (the last reference dropped by a job)
       * would wait for ourselves. */
      gboolean on_worker = g_private_get (&current_workers) == self->workers;

      g_thread_pool_free (g_steal_pointer (&self->workers), FALSE, !on_worker);
    }

  G_OBJECT_CLASS (db_pool_parent_class)->dispose (object);
}

static void
db_pool_finalize (GObject *object)
{
  DbPool *self = DB_POOL (object);

  g_clear_object (&self->config);
  g_clear_pointer (&self->name, g_free);
  g_clear_object (&self->applied);
  g_clear_pointer (&self->write_queue, _db_write_queue_free);
  g_clear_pointer (&self->statement_runner, _db_statement_runner_free);
  g_clear_pointer (&self->core, _db_pool_core_free);
  g_clear_pointer (&self->owner_context, g_main_context_unref);

  G_OBJECT_CLASS (db_pool_parent_class)->finalize (object);
}

static void
db_pool_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  DbPool *self = DB_POOL (object);

  if (prop_id == PROP_CONFIG)
    g_value_set_object (value, self->config);
  else if (prop_id == PROP_BACKEND)
    g_value_set_string (value, self->config != NULL
                               ? _db_backend_for_path (db_pool_config_get_path (self->config))->name
                               : NULL);
  else if (prop_id >= FIRST_STAT_PROP && prop_id - FIRST_STAT_PROP < _db_pool_n_stats)
    {
      DbPoolSnapshot snapshot;

      _db_pool_snapshot (self, &snapshot);
      _db_pool_stat_get_value (&_db_pool_stats[prop_id - FIRST_STAT_PROP], &snapshot, value);
    }
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
db_pool_set_property (GObject      *object,
                      guint         prop_id,
                      const GValue *value,
                      GParamSpec   *pspec)
{
  DbPool *self = DB_POOL (object);

  switch (prop_id)
    {
    case PROP_CONFIG:
      {
        DbPoolConfig *config = g_value_get_object (value);

        /* A private copy: the caller may keep changing theirs. */
        self->config = config ? db_pool_config_copy (config) : NULL;
      }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
db_pool_class_init (DbPoolClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = db_pool_constructed;
  object_class->dispose = db_pool_dispose;
  object_class->finalize = db_pool_finalize;
  object_class->get_property = db_pool_get_property;
  object_class->set_property = db_pool_set_property;

  /**
   * DbPool:config:
   *
   * The configuration, copied at construction.
   */
  properties[PROP_CONFIG] =
    g_param_spec_object ("config", NULL, NULL, DB_TYPE_POOL_CONFIG,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * DbPool:backend:
   *
   * The database engine the config's path selects: `"sqlite"`, or `"postgresql"`
   * for a `postgresql://` or `postgres://` URI (see docs/postgresql.md).
   */
  properties[PROP_BACKEND] =
    g_param_spec_string ("backend", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  /* The stats and their doc comments are in db-pool-stats-table.c. */
  stat_properties = _db_pool_stats_install (object_class, FIRST_STAT_PROP);

  /**
   * DbPool::lease-held-too-long:
   * @self: the pool
   * @held_us: how long the lease has been held, in microseconds
   * @where: where it was acquired: the dbpool function and a stack trace
   *
   * Emitted on the owner context, once per lease, when a lease has been held longer
   * than [property@DbPool.PoolConfig:leak-threshold-ms]: usually a lease that was
   * forgotten instead of released. A warning with the same text is logged too.
   */
  signals[SIGNAL_LEASE_HELD_TOO_LONG] =
    g_signal_new ("lease-held-too-long", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT64, G_TYPE_STRING);
}

static void
db_pool_init (DbPool *self)
{
}
