/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "db-pool.h"
#include "db-pool-notify-private.h"
#include "db-pool-stats.h"
#include "db-slot-private.h"

G_BEGIN_DECLS

typedef struct _DbPoolCore DbPoolCore;
typedef struct _DbWriteQueue DbWriteQueue;
typedef struct _DbStatementRunner DbStatementRunner;

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
/* DbPoolConfig:name, fixed at construction: for metrics and log messages. */
const char   *_db_pool_get_name          (DbPool        *self);
DbWriteQueue *_db_pool_get_write_queue   (DbPool        *self);
DbStatementRunner *_db_pool_get_statement_runner (DbPool      *self);
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

/* db-pool-config.c, for db_pool_reconfigure(): the first property, other than those
 * in @changeable, whose value differs between @a and @b (its name), or NULL. */
const char   *_db_pool_config_first_difference (DbPoolConfig       *a,
                                                DbPoolConfig       *b,
                                                const char * const *changeable);

/* Fills a DbPoolSnapshot (db-pool-stats-table-private.h) under the lock; the
 * notifier and get_property read the stats through it. */
void          _db_pool_snapshot          (DbPool         *self,
                                          DbPoolSnapshot *out);

G_END_DECLS
