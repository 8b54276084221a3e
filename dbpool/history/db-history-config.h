/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(DBPOOL_INSIDE) && !defined(DBPOOL_COMPILATION)
# error "Only <dbpool.h> can be included directly."
#endif

#include <glib-object.h>

#include "db-types.h"

G_BEGIN_DECLS

#define DB_TYPE_HISTORY_CONFIG (db_history_config_get_type ())

DBPOOL_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (DbHistoryConfig, db_history_config, DB, HISTORY_CONFIG, GObject)

DBPOOL_AVAILABLE_IN_ALL
DbHistoryConfig *db_history_config_new                         (const char       *db_path);
DBPOOL_AVAILABLE_IN_ALL
DbHistoryConfig *db_history_config_new_from_json               (const char       *json,
                                                                GError          **error);
DBPOOL_AVAILABLE_IN_ALL
char            *db_history_config_to_json                     (DbHistoryConfig  *self);
DBPOOL_AVAILABLE_IN_ALL
gboolean         db_history_config_validate                    (DbHistoryConfig  *self,
                                                                GError          **error);
DBPOOL_AVAILABLE_IN_ALL
DbHistoryConfig *db_history_config_copy                        (DbHistoryConfig  *self);

DBPOOL_AVAILABLE_IN_ALL
const char      *db_history_config_get_db_path                 (DbHistoryConfig  *self);
DBPOOL_AVAILABLE_IN_ALL
void             db_history_config_set_db_path                 (DbHistoryConfig  *self,
                                                                const char       *db_path);
DBPOOL_AVAILABLE_IN_ALL
guint            db_history_config_get_retention_days          (DbHistoryConfig  *self);
DBPOOL_AVAILABLE_IN_ALL
void             db_history_config_set_retention_days          (DbHistoryConfig  *self,
                                                                guint             value);
DBPOOL_AVAILABLE_IN_ALL
guint            db_history_config_get_max_snapshots_per_file  (DbHistoryConfig  *self);
DBPOOL_AVAILABLE_IN_ALL
void             db_history_config_set_max_snapshots_per_file  (DbHistoryConfig  *self,
                                                                guint             value);
DBPOOL_AVAILABLE_IN_ALL
guint            db_history_config_get_auto_cleanup_interval_s (DbHistoryConfig  *self);
DBPOOL_AVAILABLE_IN_ALL
void             db_history_config_set_auto_cleanup_interval_s (DbHistoryConfig  *self,
                                                                guint             value);
DBPOOL_AVAILABLE_IN_ALL
guint            db_history_config_get_min_connections         (DbHistoryConfig  *self);
DBPOOL_AVAILABLE_IN_ALL
void             db_history_config_set_min_connections         (DbHistoryConfig  *self,
                                                                guint             value);
DBPOOL_AVAILABLE_IN_ALL
guint            db_history_config_get_max_connections         (DbHistoryConfig  *self);
DBPOOL_AVAILABLE_IN_ALL
void             db_history_config_set_max_connections         (DbHistoryConfig  *self,
                                                                guint             value);
DBPOOL_AVAILABLE_IN_ALL
guint            db_history_config_get_connection_timeout_secs (DbHistoryConfig  *self);
DBPOOL_AVAILABLE_IN_ALL
void             db_history_config_set_connection_timeout_secs (DbHistoryConfig  *self,
                                                                guint             value);
DBPOOL_AVAILABLE_IN_ALL
gboolean         db_history_config_get_exclusive               (DbHistoryConfig  *self);
DBPOOL_AVAILABLE_IN_ALL
void             db_history_config_set_exclusive               (DbHistoryConfig  *self,
                                                                gboolean          value);

G_END_DECLS
