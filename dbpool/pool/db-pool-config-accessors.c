/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The typed accessors of DbPoolConfig: db_pool_config_get_*() and
 * db_pool_config_set_*() for every property, with their documentation. The struct,
 * the property ids and the defaults they use are in db-pool-config-private.h; the
 * GObject itself (properties, construction, presets, validation, JSON) is in
 * db-pool-config.c. */

#include "db-pool-config-private.h"

/* Accessors. Each setter notifies only on a real change, as property bindings and
 * UI code expect. */

#define DEFINE_UINT_ACCESSORS(field, PROP)                                       \
guint                                                                            \
db_pool_config_get_##field (DbPoolConfig *self)                                  \
{                                                                                \
  g_return_val_if_fail (DB_IS_POOL_CONFIG (self), 0);                            \
  return self->field;                                                            \
}                                                                                \
                                                                                 \
void                                                                             \
db_pool_config_set_##field (DbPoolConfig *self,                                  \
                            guint         value)                                 \
{                                                                                \
  g_return_if_fail (DB_IS_POOL_CONFIG (self));                                   \
  if (self->field == value)                                                      \
    return;                                                                      \
  self->field = value;                                                           \
  _db_pool_config_notify (self, PROP);                                           \
}

/**
 * db_pool_config_get_path:
 * @self: a config
 *
 * Gets [property@DbPool.PoolConfig:path].
 *
 * Returns: (nullable): the database file
 */
const char *
db_pool_config_get_path (DbPoolConfig *self)
{
  g_return_val_if_fail (DB_IS_POOL_CONFIG (self), NULL);

  return self->path;
}

/**
 * db_pool_config_set_path:
 * @self: a config
 * @path: (nullable): the database file
 *
 * Sets [property@DbPool.PoolConfig:path].
 */
void
db_pool_config_set_path (DbPoolConfig *self,
                         const char   *path)
{
  g_return_if_fail (DB_IS_POOL_CONFIG (self));

  if (g_strcmp0 (self->path, path) == 0)
    return;
  g_free (self->path);
  self->path = g_strdup (path);
  _db_pool_config_notify (self, PROP_PATH);
}

/**
 * db_pool_config_get_name:
 * @self: a config
 *
 * Gets [property@DbPool.PoolConfig:name].
 *
 * Returns: (nullable): the pool's name in metrics and logs
 */
const char *
db_pool_config_get_name (DbPoolConfig *self)
{
  g_return_val_if_fail (DB_IS_POOL_CONFIG (self), NULL);

  return self->name;
}

/**
 * db_pool_config_set_name:
 * @self: a config
 * @name: (nullable): the pool's name in metrics and logs
 *
 * Sets [property@DbPool.PoolConfig:name].
 */
void
db_pool_config_set_name (DbPoolConfig *self,
                         const char   *name)
{
  g_return_if_fail (DB_IS_POOL_CONFIG (self));

  if (g_strcmp0 (self->name, name) == 0)
    return;
  g_free (self->name);
  self->name = g_strdup (name);
  _db_pool_config_notify (self, PROP_NAME);
}

/**
 * db_pool_config_get_min_connections:
 * @self: a config
 *
 * Gets [property@DbPool.PoolConfig:min-connections].
 *
 * Returns: the number of connections kept open
 */
/**
 * db_pool_config_set_min_connections:
 * @self: a config
 * @value: the number of connections kept open
 *
 * Sets [property@DbPool.PoolConfig:min-connections].
 */
DEFINE_UINT_ACCESSORS (min_connections, PROP_MIN_CONNECTIONS)

/**
 * db_pool_config_get_max_connections:
 * @self: a config
 *
 * Gets [property@DbPool.PoolConfig:max-connections].
 *
 * Returns: the most connections open at once
 */
/**
 * db_pool_config_set_max_connections:
 * @self: a config
 * @value: the most connections open at once
 *
 * Sets [property@DbPool.PoolConfig:max-connections].
 */
DEFINE_UINT_ACCESSORS (max_connections, PROP_MAX_CONNECTIONS)

/**
 * db_pool_config_get_connection_timeout_ms:
 * @self: a config
 *
 * Gets [property@DbPool.PoolConfig:connection-timeout-ms].
 *
 * Returns: milliseconds an acquire may wait, 0 for no limit
 */
/**
 * db_pool_config_set_connection_timeout_ms:
 * @self: a config
 * @value: milliseconds an acquire may wait, 0 for no limit
 *
 * Sets [property@DbPool.PoolConfig:connection-timeout-ms].
 */
DEFINE_UINT_ACCESSORS (connection_timeout_ms, PROP_CONNECTION_TIMEOUT_MS)

/**
 * db_pool_config_get_idle_timeout_ms:
 * @self: a config
 *
 * Gets [property@DbPool.PoolConfig:idle-timeout-ms].
 *
 * Returns: milliseconds before an idle connection is closed, 0 for never
 */
/**
 * db_pool_config_set_idle_timeout_ms:
 * @self: a config
 * @value: milliseconds before an idle connection is closed, 0 for never
 *
 * Sets [property@DbPool.PoolConfig:idle-timeout-ms].
 */
DEFINE_UINT_ACCESSORS (idle_timeout_ms, PROP_IDLE_TIMEOUT_MS)

/**
 * db_pool_config_get_max_lifetime_ms:
 * @self: a config
 *
 * Gets [property@DbPool.PoolConfig:max-lifetime-ms].
 *
 * Returns: milliseconds after which a connection is replaced, 0 for never
 */
/**
 * db_pool_config_set_max_lifetime_ms:
 * @self: a config
 * @value: milliseconds after which a connection is replaced, 0 for never
 *
 * Sets [property@DbPool.PoolConfig:max-lifetime-ms].
 */
DEFINE_UINT_ACCESSORS (max_lifetime_ms, PROP_MAX_LIFETIME_MS)

/**
 * db_pool_config_get_busy_timeout_ms:
 * @self: a config
 *
 * Gets [property@DbPool.PoolConfig:busy-timeout-ms].
 *
 * Returns: milliseconds SQLite retries a locked database
 */
/**
 * db_pool_config_set_busy_timeout_ms:
 * @self: a config
 * @value: milliseconds SQLite retries a locked database, 0 to fail at once
 *
 * Sets [property@DbPool.PoolConfig:busy-timeout-ms].
 */
DEFINE_UINT_ACCESSORS (busy_timeout_ms, PROP_BUSY_TIMEOUT_MS)

/**
 * db_pool_config_get_statement_cache_size:
 * @self: a config
 *
 * Gets [property@DbPool.PoolConfig:statement-cache-size].
 *
 * Returns: prepared statements kept per connection
 */
/**
 * db_pool_config_set_statement_cache_size:
 * @self: a config
 * @value: prepared statements kept per connection, 0 to disable the cache
 *
 * Sets [property@DbPool.PoolConfig:statement-cache-size].
 */
DEFINE_UINT_ACCESSORS (statement_cache_size, PROP_STATEMENT_CACHE_SIZE)

/**
 * db_pool_config_get_maintenance_interval_ms:
 * @self: a config
 *
 * Gets [property@DbPool.PoolConfig:maintenance-interval-ms].
 *
 * Returns: milliseconds between maintenance runs, 0 for none
 */
/**
 * db_pool_config_set_maintenance_interval_ms:
 * @self: a config
 * @value: milliseconds between maintenance runs, 0 for none
 *
 * Sets [property@DbPool.PoolConfig:maintenance-interval-ms].
 */
DEFINE_UINT_ACCESSORS (maintenance_interval_ms, PROP_MAINTENANCE_INTERVAL_MS)

/**
 * db_pool_config_get_circuit_breaker_threshold:
 * @self: a config
 *
 * Gets [property@DbPool.PoolConfig:circuit-breaker-threshold].
 *
 * Returns: the number of failed opens in a row that opens the breaker, 0 for never
 */
/**
 * db_pool_config_set_circuit_breaker_threshold:
 * @self: a config
 * @value: the number of failed opens in a row that opens the breaker, 0 for never
 *
 * Sets [property@DbPool.PoolConfig:circuit-breaker-threshold].
 */
DEFINE_UINT_ACCESSORS (circuit_breaker_threshold, PROP_CIRCUIT_BREAKER_THRESHOLD)

/**
 * db_pool_config_get_circuit_breaker_cooldown_ms:
 * @self: a config
 *
 * Gets [property@DbPool.PoolConfig:circuit-breaker-cooldown-ms].
 *
 * Returns: milliseconds before a trial open
 */
/**
 * db_pool_config_set_circuit_breaker_cooldown_ms:
 * @self: a config
 * @value: milliseconds before a trial open
 *
 * Sets [property@DbPool.PoolConfig:circuit-breaker-cooldown-ms].
 */
DEFINE_UINT_ACCESSORS (circuit_breaker_cooldown_ms, PROP_CIRCUIT_BREAKER_COOLDOWN_MS)

/**
 * db_pool_config_get_leak_threshold_ms:
 * @self: a config
 *
 * Gets [property@DbPool.PoolConfig:leak-threshold-ms].
 *
 * Returns: milliseconds a lease may be held before it is reported, 0 for never
 */
/**
 * db_pool_config_set_leak_threshold_ms:
 * @self: a config
 * @value: milliseconds a lease may be held before it is reported, 0 for never
 *
 * Sets [property@DbPool.PoolConfig:leak-threshold-ms].
 */
DEFINE_UINT_ACCESSORS (leak_threshold_ms, PROP_LEAK_THRESHOLD_MS)

/**
 * db_pool_config_get_group_commit_max_jobs:
 * @self: a config
 *
 * Gets [property@DbPool.PoolConfig:group-commit-max-jobs].
 *
 * Returns: the most write jobs in one transaction
 */
/**
 * db_pool_config_set_group_commit_max_jobs:
 * @self: a config
 * @value: the most write jobs in one transaction, at least 1
 *
 * Sets [property@DbPool.PoolConfig:group-commit-max-jobs].
 */
DEFINE_UINT_ACCESSORS (group_commit_max_jobs, PROP_GROUP_COMMIT_MAX_JOBS)

/**
 * db_pool_config_get_group_commit:
 * @self: a config
 *
 * Gets [property@DbPool.PoolConfig:group-commit].
 *
 * Returns: whether write jobs queued together share one transaction
 */
gboolean
db_pool_config_get_group_commit (DbPoolConfig *self)
{
  g_return_val_if_fail (DB_IS_POOL_CONFIG (self), FALSE);

  return self->group_commit;
}

/**
 * db_pool_config_set_group_commit:
 * @self: a config
 * @value: whether write jobs queued together share one transaction
 *
 * Sets [property@DbPool.PoolConfig:group-commit].
 */
void
db_pool_config_set_group_commit (DbPoolConfig *self,
                                 gboolean      value)
{
  g_return_if_fail (DB_IS_POOL_CONFIG (self));

  value = !!value;
  if (self->group_commit == value)
    return;
  self->group_commit = value;
  _db_pool_config_notify (self, PROP_GROUP_COMMIT);
}

/**
 * db_pool_config_get_enable_wal:
 * @self: a config
 *
 * Gets [property@DbPool.PoolConfig:enable-wal].
 *
 * Returns: whether connections use write-ahead logging
 */
gboolean
db_pool_config_get_enable_wal (DbPoolConfig *self)
{
  g_return_val_if_fail (DB_IS_POOL_CONFIG (self), FALSE);

  return self->enable_wal;
}

/**
 * db_pool_config_set_enable_wal:
 * @self: a config
 * @value: whether connections use write-ahead logging
 *
 * Sets [property@DbPool.PoolConfig:enable-wal].
 */
void
db_pool_config_set_enable_wal (DbPoolConfig *self,
                               gboolean      value)
{
  g_return_if_fail (DB_IS_POOL_CONFIG (self));

  value = !!value;
  if (self->enable_wal == value)
    return;
  self->enable_wal = value;
  _db_pool_config_notify (self, PROP_ENABLE_WAL);
}

/**
 * db_pool_config_get_exclusive:
 * @self: a config
 *
 * Gets [property@DbPool.PoolConfig:exclusive].
 *
 * Returns: whether only this process opens the database file
 */
gboolean
db_pool_config_get_exclusive (DbPoolConfig *self)
{
  g_return_val_if_fail (DB_IS_POOL_CONFIG (self), FALSE);

  return self->exclusive;
}

/**
 * db_pool_config_set_exclusive:
 * @self: a config
 * @value: whether only this process opens the database file
 *
 * Sets [property@DbPool.PoolConfig:exclusive].
 */
void
db_pool_config_set_exclusive (DbPoolConfig *self,
                              gboolean      value)
{
  g_return_if_fail (DB_IS_POOL_CONFIG (self));

  value = !!value;
  if (self->exclusive == value)
    return;
  self->exclusive = value;
  _db_pool_config_notify (self, PROP_EXCLUSIVE);
}

/**
 * db_pool_config_get_synchronous:
 * @self: a config
 *
 * Gets [property@DbPool.PoolConfig:synchronous].
 *
 * Returns: the synchronous pragma of every connection
 */
DbSynchronous
db_pool_config_get_synchronous (DbPoolConfig *self)
{
  g_return_val_if_fail (DB_IS_POOL_CONFIG (self), DEFAULT_SYNCHRONOUS);

  return self->synchronous;
}

/**
 * db_pool_config_set_synchronous:
 * @self: a config
 * @value: the synchronous pragma of every connection
 *
 * Sets [property@DbPool.PoolConfig:synchronous].
 */
void
db_pool_config_set_synchronous (DbPoolConfig  *self,
                                DbSynchronous  value)
{
  g_return_if_fail (DB_IS_POOL_CONFIG (self));
  g_return_if_fail (value >= DB_SYNCHRONOUS_OFF && value <= DB_SYNCHRONOUS_EXTRA);

  if (self->synchronous == value)
    return;
  self->synchronous = value;
  _db_pool_config_notify (self, PROP_SYNCHRONOUS);
}
