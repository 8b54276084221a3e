/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "db-pool.h"
#include "db-pool-stats.h"
#include "db-slot-private.h"

G_BEGIN_DECLS

typedef struct _DbPoolCore DbPoolCore;

/* Called by a lease when it is released: @slot goes back to the pool (or is closed if
 * it can no longer be trusted, has expired, or the pool is closing). */
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

/* The front end (db-pool.c), for the core, the async operations and maintenance. */
typedef void (*DbJobFunc) (gpointer data);

/* The one way work gets onto the pool's GThreadPool. */
void          _db_pool_push_job          (DbPool        *self,
                                          DbJobFunc      func,
                                          gpointer       data);
DbPoolCore   *_db_pool_get_core          (DbPool        *self);
gboolean      _db_pool_detects_leaks     (DbPool        *self);
/* Counters changed: a coalesced notify:: follows on the owner context. */
void          _db_pool_stats_changed     (DbPool        *self);
void          _db_pool_emit_lease_held_too_long (DbPool     *self,
                                                 guint64     held_us,
                                                 const char *where);
/* db-pool-maintenance.c: the timer on the owner context. */
GSource      *_db_pool_maintenance_start (DbPool        *self,
                                          GMainContext  *context,
                                          guint          interval_ms);

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
