/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(DBPOOL_INSIDE) && !defined(DBPOOL_COMPILATION)
# error "Only <dbpool.h> can be included directly."
#endif

#include <glib-object.h>

#include "db-types.h"

G_BEGIN_DECLS

#define DB_TYPE_POOL_CONFIG (db_pool_config_get_type ())

DBPOOL_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (DbPoolConfig, db_pool_config, DB, POOL_CONFIG, GObject)

DBPOOL_AVAILABLE_IN_ALL
DbPoolConfig  *db_pool_config_new                  (const char    *path);
DBPOOL_AVAILABLE_IN_ALL
DbPoolConfig  *db_pool_config_new_high_performance (const char    *path);
DBPOOL_AVAILABLE_IN_ALL
DbPoolConfig  *db_pool_config_new_memory_efficient (const char    *path);
DBPOOL_AVAILABLE_IN_ALL
DbPoolConfig  *db_pool_config_new_from_json        (const char    *json,
                                                    GError       **error);
DBPOOL_AVAILABLE_IN_ALL
char          *db_pool_config_to_json              (DbPoolConfig  *self);
DBPOOL_AVAILABLE_IN_ALL
gboolean       db_pool_config_validate             (DbPoolConfig  *self,
                                                    GError       **error);
DBPOOL_AVAILABLE_IN_ALL
DbPoolConfig  *db_pool_config_copy                 (DbPoolConfig  *self);

DBPOOL_AVAILABLE_IN_ALL
const char    *db_pool_config_get_path                    (DbPoolConfig *self);
DBPOOL_AVAILABLE_IN_ALL
void           db_pool_config_set_path                    (DbPoolConfig *self, const char *path);
DBPOOL_AVAILABLE_IN_ALL
guint          db_pool_config_get_min_connections         (DbPoolConfig *self);
DBPOOL_AVAILABLE_IN_ALL
void           db_pool_config_set_min_connections         (DbPoolConfig *self, guint value);
DBPOOL_AVAILABLE_IN_ALL
guint          db_pool_config_get_max_connections         (DbPoolConfig *self);
DBPOOL_AVAILABLE_IN_ALL
void           db_pool_config_set_max_connections         (DbPoolConfig *self, guint value);
DBPOOL_AVAILABLE_IN_ALL
guint          db_pool_config_get_connection_timeout_ms   (DbPoolConfig *self);
DBPOOL_AVAILABLE_IN_ALL
void           db_pool_config_set_connection_timeout_ms   (DbPoolConfig *self, guint value);
DBPOOL_AVAILABLE_IN_ALL
guint          db_pool_config_get_idle_timeout_ms         (DbPoolConfig *self);
DBPOOL_AVAILABLE_IN_ALL
void           db_pool_config_set_idle_timeout_ms         (DbPoolConfig *self, guint value);
DBPOOL_AVAILABLE_IN_ALL
guint          db_pool_config_get_max_lifetime_ms         (DbPoolConfig *self);
DBPOOL_AVAILABLE_IN_ALL
void           db_pool_config_set_max_lifetime_ms         (DbPoolConfig *self, guint value);
DBPOOL_AVAILABLE_IN_ALL
guint          db_pool_config_get_busy_timeout_ms         (DbPoolConfig *self);
DBPOOL_AVAILABLE_IN_ALL
void           db_pool_config_set_busy_timeout_ms         (DbPoolConfig *self, guint value);
DBPOOL_AVAILABLE_IN_ALL
gboolean       db_pool_config_get_enable_wal              (DbPoolConfig *self);
DBPOOL_AVAILABLE_IN_ALL
void           db_pool_config_set_enable_wal              (DbPoolConfig *self, gboolean value);
DBPOOL_AVAILABLE_IN_ALL
DbSynchronous  db_pool_config_get_synchronous             (DbPoolConfig *self);
DBPOOL_AVAILABLE_IN_ALL
void           db_pool_config_set_synchronous             (DbPoolConfig *self, DbSynchronous value);
DBPOOL_AVAILABLE_IN_ALL
guint          db_pool_config_get_statement_cache_size    (DbPoolConfig *self);
DBPOOL_AVAILABLE_IN_ALL
void           db_pool_config_set_statement_cache_size    (DbPoolConfig *self, guint value);
DBPOOL_AVAILABLE_IN_ALL
guint          db_pool_config_get_maintenance_interval_ms (DbPoolConfig *self);
DBPOOL_AVAILABLE_IN_ALL
void           db_pool_config_set_maintenance_interval_ms (DbPoolConfig *self, guint value);
DBPOOL_AVAILABLE_IN_ALL
guint          db_pool_config_get_circuit_breaker_threshold (DbPoolConfig *self);
DBPOOL_AVAILABLE_IN_ALL
void           db_pool_config_set_circuit_breaker_threshold (DbPoolConfig *self, guint value);
DBPOOL_AVAILABLE_IN_ALL
guint          db_pool_config_get_circuit_breaker_cooldown_ms (DbPoolConfig *self);
DBPOOL_AVAILABLE_IN_ALL
void           db_pool_config_set_circuit_breaker_cooldown_ms (DbPoolConfig *self, guint value);
DBPOOL_AVAILABLE_IN_ALL
guint          db_pool_config_get_leak_threshold_ms (DbPoolConfig *self);
DBPOOL_AVAILABLE_IN_ALL
void           db_pool_config_set_leak_threshold_ms (DbPoolConfig *self, guint value);
DBPOOL_AVAILABLE_IN_ALL
const char    *db_pool_config_get_name                    (DbPoolConfig *self);
DBPOOL_AVAILABLE_IN_ALL
void           db_pool_config_set_name                    (DbPoolConfig *self, const char *name);
DBPOOL_AVAILABLE_IN_ALL
gboolean       db_pool_config_get_exclusive               (DbPoolConfig *self);
DBPOOL_AVAILABLE_IN_ALL
void           db_pool_config_set_exclusive               (DbPoolConfig *self, gboolean value);
DBPOOL_AVAILABLE_IN_ALL
gboolean       db_pool_config_get_group_commit      (DbPoolConfig *self);
DBPOOL_AVAILABLE_IN_ALL
void           db_pool_config_set_group_commit      (DbPoolConfig *self, gboolean value);
DBPOOL_AVAILABLE_IN_ALL
guint          db_pool_config_get_group_commit_max_jobs (DbPoolConfig *self);
DBPOOL_AVAILABLE_IN_ALL
void           db_pool_config_set_group_commit_max_jobs (DbPoolConfig *self, guint value);

G_END_DECLS
