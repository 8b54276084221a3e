/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "db-pool-config.h"

G_BEGIN_DECLS

/* The insides of DbPoolConfig, shared by db-pool-config.c (the GObject: properties,
 * construction, presets, copy, validation, JSON) and db-pool-config-accessors.c (the
 * typed getters and setters): the instance struct, the property ids and the defaults. */

struct _DbPoolConfig
{
  GObject        parent_instance;

  char          *path;
  guint          min_connections;
  guint          max_connections;
  guint          connection_timeout_ms;
  guint          idle_timeout_ms;
  guint          max_lifetime_ms;
  guint          busy_timeout_ms;
  gboolean       enable_wal;
  DbSynchronous  synchronous;
  guint          statement_cache_size;
  guint          maintenance_interval_ms;
  guint          circuit_breaker_threshold;
  guint          circuit_breaker_cooldown_ms;
  guint          leak_threshold_ms;
  char          *name;
  gboolean       exclusive;
  gboolean       group_commit;
  guint          group_commit_max_jobs;
};

enum {
  PROP_0,
  PROP_PATH,
  PROP_MIN_CONNECTIONS,
  PROP_MAX_CONNECTIONS,
  PROP_CONNECTION_TIMEOUT_MS,
  PROP_IDLE_TIMEOUT_MS,
  PROP_MAX_LIFETIME_MS,
  PROP_BUSY_TIMEOUT_MS,
  PROP_ENABLE_WAL,
  PROP_SYNCHRONOUS,
  PROP_STATEMENT_CACHE_SIZE,
  PROP_MAINTENANCE_INTERVAL_MS,
  PROP_CIRCUIT_BREAKER_THRESHOLD,
  PROP_CIRCUIT_BREAKER_COOLDOWN_MS,
  PROP_LEAK_THRESHOLD_MS,
  PROP_NAME,
  PROP_EXCLUSIVE,
  PROP_GROUP_COMMIT,
  PROP_GROUP_COMMIT_MAX_JOBS,
  N_PROPS
};

/* The single definition of the defaults: the GParamSpecs and the instance init both
 * read these, so the documented default and the real one cannot drift apart. */
#define DEFAULT_MIN_CONNECTIONS         2
#define DEFAULT_MAX_CONNECTIONS         10
#define DEFAULT_CONNECTION_TIMEOUT_MS   5000
#define DEFAULT_IDLE_TIMEOUT_MS         300000
#define DEFAULT_MAX_LIFETIME_MS         1800000
#define DEFAULT_BUSY_TIMEOUT_MS         5000
#define DEFAULT_ENABLE_WAL              TRUE
#define DEFAULT_SYNCHRONOUS             DB_SYNCHRONOUS_NORMAL
#define DEFAULT_STATEMENT_CACHE_SIZE    64
#define DEFAULT_MAINTENANCE_INTERVAL_MS 30000
#define DEFAULT_CIRCUIT_BREAKER_THRESHOLD 3
#define DEFAULT_CIRCUIT_BREAKER_COOLDOWN_MS 1000
#define DEFAULT_LEAK_THRESHOLD_MS       0
#define DEFAULT_NAME                    "dbpool"
#define DEFAULT_EXCLUSIVE               FALSE
#define DEFAULT_GROUP_COMMIT            TRUE
#define DEFAULT_GROUP_COMMIT_MAX_JOBS   256

/* Notifies property @prop_id of @self (one of the PROP_* above). */
void _db_pool_config_notify (DbPoolConfig *self,
                             guint         prop_id);

G_END_DECLS
