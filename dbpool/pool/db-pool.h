/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(DBPOOL_INSIDE) && !defined(DBPOOL_COMPILATION)
# error "Only <dbpool.h> can be included directly."
#endif

#include <gio/gio.h>

#include "db-types.h"
#include "db-pool-config.h"
#include "db-pool-stats.h"
#include "db-connection.h"
#include "db-rows.h"

G_BEGIN_DECLS

#define DB_TYPE_POOL (db_pool_get_type ())

DBPOOL_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (DbPool, db_pool, DB, POOL, GObject)

/**
 * DbConnectionFunc:
 * @connection: (transfer none): the leased connection, valid until the function returns
 * @user_data: (closure): the data passed to [method@DbPool.Pool.run_async]
 * @cancellable: (nullable): the operation's cancellable; a statement running when it
 *   fires is interrupted
 * @error: return location for an error
 *
 * Work run on a pool worker thread with a leased connection. The lease is returned
 * to the pool (rolling back a transaction left open) after the function returns.
 *
 * For a %DB_ACCESS_WRITE [method@DbPool.Pool.run_async] the function is a write job
 * (see [property@DbPool.PoolConfig:group-commit]): it runs inside a savepoint of a
 * transaction it may share with other jobs; returning an error rolls back everything
 * it did, and [method@DbPool.Connection.begin] and its commit and rollback nest.
 * The lease is the batch's: releasing it does nothing.
 *
 * Returns: (transfer full) (nullable): the result handed to
 *   [method@DbPool.Pool.run_finish], or %NULL with @error set on failure
 */
typedef gpointer (*DbConnectionFunc) (DbConnection  *connection,
                                      gpointer       user_data,
                                      GCancellable  *cancellable,
                                      GError       **error);

DBPOOL_AVAILABLE_IN_ALL
DbPool       *db_pool_new            (DbPoolConfig         *config,
                                      GCancellable         *cancellable,
                                      GError              **error);
DBPOOL_AVAILABLE_IN_ALL
void          db_pool_new_async      (DbPoolConfig         *config,
                                      int                   io_priority,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
DBPOOL_AVAILABLE_IN_ALL
DbPool       *db_pool_new_finish     (GAsyncResult         *result,
                                      GError              **error);

DBPOOL_AVAILABLE_IN_ALL
void          db_pool_acquire_async  (DbPool               *self,
                                      DbAccess              access,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
DBPOOL_AVAILABLE_IN_ALL
DbConnection *db_pool_acquire_finish (DbPool               *self,
                                      GAsyncResult         *result,
                                      GError              **error);
DBPOOL_AVAILABLE_IN_ALL
DbConnection *db_pool_acquire        (DbPool               *self,
                                      DbAccess              access,
                                      GCancellable         *cancellable,
                                      GError              **error);
DBPOOL_AVAILABLE_IN_ALL
DbConnection *db_pool_acquire_with_origin (DbPool          *self,
                                      DbAccess              access,
                                      const char           *origin,
                                      GCancellable         *cancellable,
                                      GError              **error);

DBPOOL_AVAILABLE_IN_ALL
void          db_pool_run_async      (DbPool               *self,
                                      DbAccess              access,
                                      DbConnectionFunc      func,
                                      gpointer              func_data,
                                      GDestroyNotify        func_data_destroy,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
DBPOOL_AVAILABLE_IN_ALL
gpointer      db_pool_run_finish     (DbPool               *self,
                                      GAsyncResult         *result,
                                      GError              **error);

DBPOOL_AVAILABLE_IN_ALL
void          db_pool_execute_async  (DbPool               *self,
                                      const char           *sql,
                                      GVariant             *params,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
DBPOOL_AVAILABLE_IN_ALL
gint64        db_pool_execute_finish (DbPool               *self,
                                      GAsyncResult         *result,
                                      gint64               *last_insert_rowid,
                                      GError              **error);
DBPOOL_AVAILABLE_IN_ALL
gint64        db_pool_execute        (DbPool               *self,
                                      const char           *sql,
                                      GVariant             *params,
                                      gint64               *last_insert_rowid,
                                      GCancellable         *cancellable,
                                      GError              **error);
DBPOOL_AVAILABLE_IN_ALL
void          db_pool_execute_batch_async  (DbPool         *self,
                                            const char     *sql,
                                            GVariant       *param_rows,
                                            GCancellable   *cancellable,
                                            GAsyncReadyCallback callback,
                                            gpointer        user_data);
DBPOOL_AVAILABLE_IN_ALL
gint64        db_pool_execute_batch_finish (DbPool         *self,
                                            GAsyncResult   *result,
                                            GError        **error);
DBPOOL_AVAILABLE_IN_ALL
void          db_pool_query_async    (DbPool               *self,
                                      const char           *sql,
                                      GVariant             *params,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
DBPOOL_AVAILABLE_IN_ALL
DbRows       *db_pool_query_finish   (DbPool               *self,
                                      GAsyncResult         *result,
                                      GError              **error);

DBPOOL_AVAILABLE_IN_ALL
DbPoolStats  *db_pool_get_stats      (DbPool               *self);
DBPOOL_AVAILABLE_IN_ALL
DbPoolConfig *db_pool_get_config     (DbPool               *self);
DBPOOL_AVAILABLE_IN_ALL
char         *db_pool_get_metrics    (DbPool               *self);
DBPOOL_AVAILABLE_IN_ALL
char         *db_pool_get_stats_json (DbPool               *self);
DBPOOL_AVAILABLE_IN_ALL
gboolean      db_pool_reconfigure    (DbPool               *self,
                                      DbPoolConfig         *config,
                                      GError              **error);
DBPOOL_AVAILABLE_IN_ALL
gboolean      db_pool_is_closed      (DbPool               *self);

DBPOOL_AVAILABLE_IN_ALL
void          db_pool_close_async    (DbPool               *self,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
DBPOOL_AVAILABLE_IN_ALL
gboolean      db_pool_close_finish   (DbPool               *self,
                                      GAsyncResult         *result,
                                      GError              **error);
DBPOOL_AVAILABLE_IN_ALL
void          db_pool_close          (DbPool               *self);

G_END_DECLS
