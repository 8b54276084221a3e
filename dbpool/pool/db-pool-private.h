/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "db-pool.h"
#include "db-pool-stats.h"
#include "db-slot-private.h"

G_BEGIN_DECLS

/* Called by a lease when it is released: @slot goes back to the pool (or its
 * connection is closed if it can no longer be trusted, has expired, or the pool is
 * closing). */
void          _db_pool_return_conn       (DbPool        *self,
                                          DbSlot        *slot,
                                          DbAccess       access);

/* Blocks for a connection as db_pool_acquire() does; @entry names the public
 * function for leak reports. */
DbSlot       *_db_pool_acquire_conn      (DbPool        *self,
                                          DbAccess       access,
                                          GCancellable  *cancellable,
                                          const char    *entry,
                                          GError       **error);

/* Stats notification (db-pool-notify.c): one coalescing source on the owner context. */
typedef struct _DbPoolNotifier DbPoolNotifier;

DbPoolNotifier *_db_pool_notifier_new     (DbPool          *pool,
                                           GMainContext    *context,
                                           GParamSpec     **stat_pspecs,
                                           guint            n_stat_pspecs);
void            _db_pool_notifier_kick    (DbPoolNotifier  *notifier);
void            _db_pool_notifier_free    (DbPoolNotifier  *notifier);

/* Everything a notify:: can announce, taken at one instant under the pool lock. */
typedef struct
{
  DbPoolStats    stats;
  DbCircuitState circuit_state;
} DbPoolSnapshot;

/* Reads one value (by index into the notified pspec table: the stats in DbPoolStats
 * order, then circuit-state) out of a snapshot. */
guint64         _db_pool_snapshot_get_field (const DbPoolSnapshot *snapshot,
                                             guint                 index);
void            _db_pool_snapshot           (DbPool               *self,
                                             DbPoolSnapshot       *out);

G_END_DECLS
