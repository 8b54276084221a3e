/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(DBPOOL_INSIDE) && !defined(DBPOOL_COMPILATION)
# error "Only <dbpool.h> can be included directly."
#endif

#include <gio/gio.h>

#include "db-types.h"
#include "db-pool.h"
#include "db-history-config.h"
#include "db-diagnostic.h"
#include "db-diagnostic-snapshot.h"

G_BEGIN_DECLS

#define DB_TYPE_HISTORY_STORAGE (db_history_storage_get_type ())

DBPOOL_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (DbHistoryStorage, db_history_storage, DB, HISTORY_STORAGE, GObject)

DBPOOL_AVAILABLE_IN_ALL
DbHistoryStorage     *db_history_storage_new                    (DbHistoryConfig      *config,
                                                                 GCancellable         *cancellable,
                                                                 GError              **error);
DBPOOL_AVAILABLE_IN_ALL
void                  db_history_storage_new_async              (DbHistoryConfig      *config,
                                                                 int                   io_priority,
                                                                 GCancellable         *cancellable,
                                                                 GAsyncReadyCallback   callback,
                                                                 gpointer              user_data);
DBPOOL_AVAILABLE_IN_ALL
DbHistoryStorage     *db_history_storage_new_finish             (GAsyncResult         *result,
                                                                 GError              **error);

DBPOOL_AVAILABLE_IN_ALL
DbPool               *db_history_storage_get_pool               (DbHistoryStorage     *self);
DBPOOL_AVAILABLE_IN_ALL
DbHistoryConfig      *db_history_storage_get_config             (DbHistoryStorage     *self);

DBPOOL_AVAILABLE_IN_ALL
void                  db_history_storage_record_snapshot_async  (DbHistoryStorage     *self,
                                                                 DbDiagnosticSnapshot *snapshot,
                                                                 GCancellable         *cancellable,
                                                                 GAsyncReadyCallback   callback,
                                                                 gpointer              user_data);
DBPOOL_AVAILABLE_IN_ALL
gint64                db_history_storage_record_snapshot_finish (DbHistoryStorage     *self,
                                                                 GAsyncResult         *result,
                                                                 GError              **error);

DBPOOL_AVAILABLE_IN_ALL
void                  db_history_storage_record_lsp_json_async  (DbHistoryStorage     *self,
                                                                 const char           *json,
                                                                 GCancellable         *cancellable,
                                                                 GAsyncReadyCallback   callback,
                                                                 gpointer              user_data);
DBPOOL_AVAILABLE_IN_ALL
gint64                db_history_storage_record_lsp_json_finish (DbHistoryStorage     *self,
                                                                 GAsyncResult         *result,
                                                                 GError              **error);

DBPOOL_AVAILABLE_IN_ALL
void                  db_history_storage_get_file_history_async (DbHistoryStorage     *self,
                                                                 const char           *file_uri,
                                                                 guint                 limit,
                                                                 GCancellable         *cancellable,
                                                                 GAsyncReadyCallback   callback,
                                                                 gpointer              user_data);
DBPOOL_AVAILABLE_IN_ALL
GListModel           *db_history_storage_get_file_history_finish (DbHistoryStorage    *self,
                                                                 GAsyncResult         *result,
                                                                 GError              **error);

DBPOOL_AVAILABLE_IN_ALL
void                  db_history_storage_get_latest_async       (DbHistoryStorage     *self,
                                                                 const char           *file_uri,
                                                                 GCancellable         *cancellable,
                                                                 GAsyncReadyCallback   callback,
                                                                 gpointer              user_data);
DBPOOL_AVAILABLE_IN_ALL
DbDiagnosticSnapshot *db_history_storage_get_latest_finish      (DbHistoryStorage     *self,
                                                                 GAsyncResult         *result,
                                                                 GError              **error);

DBPOOL_AVAILABLE_IN_ALL
void                  db_history_storage_get_snapshot_async     (DbHistoryStorage     *self,
                                                                 gint64                id,
                                                                 GCancellable         *cancellable,
                                                                 GAsyncReadyCallback   callback,
                                                                 gpointer              user_data);
DBPOOL_AVAILABLE_IN_ALL
DbDiagnosticSnapshot *db_history_storage_get_snapshot_finish    (DbHistoryStorage     *self,
                                                                 GAsyncResult         *result,
                                                                 GError              **error);

DBPOOL_AVAILABLE_IN_ALL
void                  db_history_storage_list_latest_async      (DbHistoryStorage     *self,
                                                                 GCancellable         *cancellable,
                                                                 GAsyncReadyCallback   callback,
                                                                 gpointer              user_data);
DBPOOL_AVAILABLE_IN_ALL
GListModel           *db_history_storage_list_latest_finish     (DbHistoryStorage     *self,
                                                                 GAsyncResult         *result,
                                                                 GError              **error);

DBPOOL_AVAILABLE_IN_ALL
void                  db_history_storage_get_trend_async        (DbHistoryStorage     *self,
                                                                 const char           *file_uri,
                                                                 gint64                since_us,
                                                                 gint64                bucket_us,
                                                                 GCancellable         *cancellable,
                                                                 GAsyncReadyCallback   callback,
                                                                 gpointer              user_data);
DBPOOL_AVAILABLE_IN_ALL
GVariant             *db_history_storage_get_trend_finish       (DbHistoryStorage     *self,
                                                                 GAsyncResult         *result,
                                                                 GError              **error);

DBPOOL_AVAILABLE_IN_ALL
void                  db_history_storage_cleanup_async          (DbHistoryStorage     *self,
                                                                 GCancellable         *cancellable,
                                                                 GAsyncReadyCallback   callback,
                                                                 gpointer              user_data);
DBPOOL_AVAILABLE_IN_ALL
guint                 db_history_storage_cleanup_finish         (DbHistoryStorage     *self,
                                                                 GAsyncResult         *result,
                                                                 GError              **error);

G_END_DECLS
