/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The pool's core: the one lock, and everything it guards. db-pool-core.c is the only
 * file that takes the lock; the DbPool front end (db-pool.c), the async operations
 * (db-pool-async.c) and maintenance (db-pool-maintenance.c) call the functions below.
 *
 * Guarded by the lock: the idle queue, the leased list, the waiter queue, the counts
 * of connections in each state, the writer flag, the circuit breaker, the stats and
 * the wait, use and create time histograms.
 * Nothing slow runs under it (opening, SQL, closing, completing tasks): a locked
 * section leaves that work in a batch that runs once the lock is dropped. */

#include <gio/gio.h>

#include "db-histogram-private.h"
#include "db-pool-private.h"
#include "db-slot-private.h"
#include "db-waiter-private.h"

G_BEGIN_DECLS

/* The settings the core runs by, copied from the configuration at construction; the
 * first six may change later (_db_pool_core_reconfigure()). */
typedef struct
{
  guint  min_connections;
  guint  max_connections;
  guint  connection_timeout_ms;
  guint  idle_timeout_ms;
  guint  max_lifetime_ms;
  guint  leak_threshold_ms;
  guint  circuit_breaker_threshold;
  guint  circuit_breaker_cooldown_ms;
} DbPoolLimits;

/* One lease held longer than leak-threshold-ms, reported once. */
typedef struct
{
  gint64        held_us;
  DbAccess      access;
  DbLeaseOrigin origin;
} DbLeakReport;

/* @pool is borrowed: it owns the core. @settings are the core's from now on. */
DbPoolCore *_db_pool_core_new            (DbPool              *pool,
                                          DbBackendSettings   *settings,
                                          const DbPoolLimits  *limits);
void        _db_pool_core_free           (DbPoolCore          *core);
const char *_db_pool_core_get_path       (DbPoolCore          *core);
/* A connection outside the pool: never lent, not counted in any stat or invariant
 * (an exclusive pool's lock keeper, db-pool.c). Close it with _db_slot_close(). */
DbSlot     *_db_pool_core_open_unpooled  (DbPoolCore          *core,
                                          GError             **error);

/* Opens one connection into the idle queue (construction: proves the database is
 * reachable). From then on the database file must exist: see finish_opening(). */
gboolean    _db_pool_core_open_idle      (DbPoolCore          *core,
                                          GError             **error);
void        _db_pool_core_finish_opening (DbPoolCore          *core);

/* Blocking acquire (db_pool_acquire(), db_connection_reacquire()); @entry names the
 * public function for leak reports. */
DbSlot     *_db_pool_core_acquire        (DbPoolCore          *core,
                                          DbAccess             access,
                                          GCancellable        *cancellable,
                                          const char          *entry,
                                          GError             **error);

/* Async acquire: @waiter lives in @task's data. @done runs once the waiter is
 * finished (served or failed), outside the lock, on whichever thread finished it; it
 * must start with _db_waiter_take_task() and end in one of: the waiter's
 * error returned, _db_pool_core_take_grant() on a worker. */
void        _db_pool_core_enqueue_async  (DbPoolCore          *core,
                                          GTask               *task,
                                          DbWaiter            *waiter,
                                          DbAccess             access,
                                          DbWaiterDone         done);
/* The connection a finished waiter was granted, opening it if the grant was a slot
 * (slow: call it on a worker when @waiter->open_slot). */
DbSlot     *_db_pool_core_take_grant     (DbPoolCore          *core,
                                          DbWaiter            *waiter,
                                          GError             **error);

/* A lease gives its connection back. */
void        _db_pool_core_return         (DbPoolCore          *core,
                                          DbSlot              *slot,
                                          DbAccess             access);

/* Maintenance (db-pool-maintenance.c): one pass, decided under the lock, the slow
 * part run on a worker by run_maintenance(). FALSE if there is nothing to do. */
typedef struct _DbMaintenance DbMaintenance;
DbMaintenance *_db_pool_core_plan_maintenance (DbPoolCore     *core,
                                               gint64          now);
void        _db_pool_core_run_maintenance  (DbPoolCore        *core,
                                            DbMaintenance     *work);
/* DbLeakReports of the leases held past leak-threshold-ms and not reported yet
 * (they count as reported from now on). */
GArray     *_db_pool_core_collect_leaks  (DbPoolCore          *core,
                                          gint64               now);

/* Closing: new and queued acquires fail with CLOSED, idle connections close now,
 * leased ones when they come back. close() blocks until drained, except for the
 * leases held by its own thread (a g_critical names them); close_async() returns
 * @task (TRUE) once drained. */
void        _db_pool_core_close          (DbPoolCore          *core);
void        _db_pool_core_close_async    (DbPoolCore          *core,
                                          GTask               *task);
gboolean    _db_pool_core_is_closed      (DbPoolCore          *core);

/* Applies the reconfigurable part of @limits (not the circuit breaker's) to a running
 * pool: extra connections retire (idle ones now, leased ones when they come back),
 * waiters are served if the maximum grew. FALSE if the pool is closed. */
gboolean    _db_pool_core_reconfigure    (DbPoolCore          *core,
                                          const DbPoolLimits  *limits);
/* From dispose: no lease or job is left (they keep the pool alive), so connections
 * close on this thread. */
void        _db_pool_core_shutdown       (DbPoolCore          *core);

/* Group commit (db-write-queue.c): whether a write waiter is queued (a batch runner
 * holding the writer then gives its turn back), and a committed batch counted. */
gboolean    _db_pool_core_writer_wanted  (DbPoolCore          *core);
void        _db_pool_core_count_group_commit (DbPoolCore      *core,
                                          guint                n_jobs);

void        _db_pool_core_snapshot       (DbPoolCore          *core,
                                          DbPoolSnapshot      *out);

/* What db_pool_get_metrics() and db_pool_get_stats_json() report, all taken at one
 * instant: the snapshot, the histograms and the limits they are measured against. */
typedef struct
{
  DbPoolSnapshot   snapshot;
  DbPoolHistograms histograms;
  guint            min_connections;
  guint            max_connections;
} DbPoolMetricsSnapshot;

void        _db_pool_core_snapshot_metrics (DbPoolCore            *core,
                                            DbPoolMetricsSnapshot *out);

G_END_DECLS
