/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(DBPOOL_INSIDE) && !defined(DBPOOL_COMPILATION)
# error "Only <dbpool.h> can be included directly."
#endif

#include <glib-object.h>

#include "db-types.h"

G_BEGIN_DECLS

#define DB_TYPE_POOL_STATS (db_pool_stats_get_type ())

typedef struct _DbPoolStats DbPoolStats;

/**
 * DbPoolStats:
 * @total_connections_created: SQLite connections opened so far
 * @total_connections_destroyed: connections closed (idle, expired, broken, pool closed)
 * @current_active_connections: connections leased right now
 * @current_idle_connections: connections open and waiting in the pool
 * @waiting_requests: acquires queued for a connection
 * @total_requests: acquires served or failed
 * @total_wait_time_us: summed time acquires spent waiting, in microseconds
 * @max_wait_time_us: the longest single wait, in microseconds
 * @connection_errors: failed opens and connections found broken
 * @timeouts: acquires that failed with %DB_POOL_ERROR_TIMEOUT
 * @group_commits: transactions committed that carried write jobs
 * @group_commit_jobs: write jobs committed in them; divided by @group_commits, the
 *   average batch size
 *
 * A consistent snapshot of a [class@DbPool.Pool]'s counters, all taken at the
 * same instant under the pool's lock. See [method@DbPool.Pool.get_stats].
 */
struct _DbPoolStats
{
  guint64 total_connections_created;
  guint64 total_connections_destroyed;
  guint   current_active_connections;
  guint   current_idle_connections;
  guint   waiting_requests;
  guint64 total_requests;
  guint64 total_wait_time_us;
  guint64 max_wait_time_us;
  guint64 connection_errors;
  guint64 timeouts;
  guint64 group_commits;
  guint64 group_commit_jobs;
};

DBPOOL_AVAILABLE_IN_ALL
GType        db_pool_stats_get_type (void) G_GNUC_CONST;
DBPOOL_AVAILABLE_IN_ALL
DbPoolStats *db_pool_stats_copy     (const DbPoolStats *self);
DBPOOL_AVAILABLE_IN_ALL
void         db_pool_stats_free     (DbPoolStats       *self);
DBPOOL_AVAILABLE_IN_ALL
char        *db_pool_stats_to_json  (const DbPoolStats *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DbPoolStats, db_pool_stats_free)

G_END_DECLS
