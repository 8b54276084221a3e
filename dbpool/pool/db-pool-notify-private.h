/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Stats notification (db-pool-notify.c): one coalescing source on the owner context.
 * It knows the pool only through the stats table, their pspecs and a snapshot
 * function, not through the pool's internals. */
#pragma once

#include "db-pool.h"
#include "db-pool-stats-table-private.h"

G_BEGIN_DECLS

typedef struct _DbPoolNotifier DbPoolNotifier;

/* Fills @out at one instant; called on the owner context. */
typedef void (*DbPoolSnapshotFunc) (DbPool         *pool,
                                    DbPoolSnapshot *out);

/* Notifies @pspecs[i] when _db_pool_stat_get (&@stats[i], ...) changes. Both arrays
 * must outlive the notifier. */
DbPoolNotifier *_db_pool_notifier_new     (DbPool              *pool,
                                           GMainContext        *context,
                                           DbPoolSnapshotFunc   snapshot,
                                           const DbPoolStat    *stats,
                                           GParamSpec         **pspecs,
                                           guint                n_stats);
void            _db_pool_notifier_kick    (DbPoolNotifier      *notifier);
void            _db_pool_notifier_free    (DbPoolNotifier      *notifier);

G_END_DECLS
