/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "db-config-json-private.h"
#include "db-history-private.h"

/* Sanity bounds checked by db_history_config_validate(); documented on the properties. */
#define RETENTION_DAYS_LIMIT           36500           /* a century */
#define CONNECTION_TIMEOUT_SECS_LIMIT  (G_MAXUINT / 1000)

/* The single definition of the defaults (API.md), read by the GParamSpecs and init. */
#define DEFAULT_RETENTION_DAYS          30
#define DEFAULT_MAX_SNAPSHOTS_PER_FILE  100
#define DEFAULT_AUTO_CLEANUP_INTERVAL_S 3600
#define DEFAULT_MIN_CONNECTIONS         2
#define DEFAULT_MAX_CONNECTIONS         10
#define DEFAULT_CONNECTION_TIMEOUT_SECS 5

/**
 * DbHistoryConfig:
 *
 * The settings of a [class@DbPool.HistoryStorage]: where the history lives, how
 * long it is kept, and the size of the [class@DbPool.Pool] underneath.
 *
 * Like [class@DbPool.PoolConfig], a config is an ordinary mutable object that is
 * checked as a whole by [method@DbPool.HistoryConfig.validate], and it reads and
 * writes JSON whose keys are the property names
 * (`{"db-path": "history.db", "retention-days": 7}`) with the same rules.
 * A storage copies its config when it is created.
 */
struct _DbHistoryConfig
{
  GObject  parent_instance;

  char    *db_path;
  guint    retention_days;
  guint    max_snapshots_per_file;
  guint    auto_cleanup_interval_s;
  guint    min_connections;
  guint    max_connections;
  guint    connection_timeout_secs;
  gboolean exclusive;
};

G_DEFINE_FINAL_TYPE (DbHistoryConfig, db_history_config, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_DB_PATH,
  PROP_RETENTION_DAYS,
  PROP_MAX_SNAPSHOTS_PER_FILE,
  PROP_AUTO_CLEANUP_INTERVAL_S,
  PROP_MIN_CONNECTIONS,
  PROP_MAX_CONNECTIONS,
  PROP_CONNECTION_TIMEOUT_SECS,
  PROP_EXCLUSIVE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
db_history_config_finalize (GObject *object)
{
  DbHistoryConfig *self = DB_HISTORY_CONFIG (object);

  g_clear_pointer (&self->db_path, g_free);

  G_OBJECT_CLASS (db_history_config_parent_class)->finalize (object);
}

static void
db_history_config_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  DbHistoryConfig *self = DB_HISTORY_CONFIG (object);

  switch (prop_id)
    {
    case PROP_DB_PATH:
      g_value_set_string (value, self->db_path);
      break;
    case PROP_RETENTION_DAYS:
      g_value_set_uint (value, self->retention_days);
      break;
    case PROP_MAX_SNAPSHOTS_PER_FILE:
      g_value_set_uint (value, self->max_snapshots_per_file);
      break;
    case PROP_AUTO_CLEANUP_INTERVAL_S:
      g_value_set_uint (value, self->auto_cleanup_interval_s);
      break;
    case PROP_MIN_CONNECTIONS:
      g_value_set_uint (value, self->min_connections);
      break;
    case PROP_MAX_CONNECTIONS:
      g_value_set_uint (value, self->max_connections);
      break;
    case PROP_CONNECTION_TIMEOUT_SECS:
      g_value_set_uint (value, self->connection_timeout_secs);
      break;
    case PROP_EXCLUSIVE:
      g_value_set_boolean (value, self->exclusive);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
db_history_config_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  DbHistoryConfig *self = DB_HISTORY_CONFIG (object);

  switch (prop_id)
    {
    case PROP_DB_PATH:
      db_history_config_set_db_path (self, g_value_get_string (value));
      break;
    case PROP_RETENTION_DAYS:
      db_history_config_set_retention_days (self, g_value_get_uint (value));
      break;
    case PROP_MAX_SNAPSHOTS_PER_FILE:
      db_history_config_set_max_snapshots_per_file (self, g_value_get_uint (value));
      break;
    case PROP_AUTO_CLEANUP_INTERVAL_S:
      db_history_config_set_auto_cleanup_interval_s (self, g_value_get_uint (value));
      break;
    case PROP_MIN_CONNECTIONS:
      db_history_config_set_min_connections (self, g_value_get_uint (value));
      break;
    case PROP_MAX_CONNECTIONS:
      db_history_config_set_max_connections (self, g_value_get_uint (value));
      break;
    case PROP_CONNECTION_TIMEOUT_SECS:
      db_history_config_set_connection_timeout_secs (self, g_value_get_uint (value));
      break;
    case PROP_EXCLUSIVE:
      db_history_config_set_exclusive (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static GParamSpec *
uint_param (const char *name,
            guint       default_value)
{
  /* The full guint range is accepted here, as DbPoolConfig does; semantic limits are
   * a GError from db_history_config_validate() instead of a g_warning. */
  return g_param_spec_uint (name, NULL, NULL, 0, G_MAXUINT, default_value,
                            G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                            G_PARAM_STATIC_STRINGS);
}

static void
db_history_config_class_init (DbHistoryConfigClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = db_history_config_finalize;
  object_class->get_property = db_history_config_get_property;
  object_class->set_property = db_history_config_set_property;

  /**
   * DbHistoryConfig:db-path:
   *
   * The SQLite database file holding the history. Required; created (owner-only)
   * when it does not exist.
   */
  properties[PROP_DB_PATH] =
    g_param_spec_string ("db-path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                         G_PARAM_STATIC_STRINGS);

  /**
   * DbHistoryConfig:retention-days:
   *
   * Cleanup removes snapshots older than this many days. Default 30. `0` keeps
   * snapshots regardless of age. At most 36500.
   */
  properties[PROP_RETENTION_DAYS] =
    uint_param ("retention-days", DEFAULT_RETENTION_DAYS);

  /**
   * DbHistoryConfig:max-snapshots-per-file:
   *
   * Cleanup keeps at most this many of the newest snapshots of each file.
   * Default 100. `0` keeps any number.
   */
  properties[PROP_MAX_SNAPSHOTS_PER_FILE] =
    uint_param ("max-snapshots-per-file", DEFAULT_MAX_SNAPSHOTS_PER_FILE);

  /**
   * DbHistoryConfig:auto-cleanup-interval-s:
   *
   * How often, in seconds, the storage runs a cleanup by itself. Default 3600.
   * `0` never cleans up automatically (call
   * [method@DbPool.HistoryStorage.cleanup_async] instead).
   */
  properties[PROP_AUTO_CLEANUP_INTERVAL_S] =
    uint_param ("auto-cleanup-interval-s", DEFAULT_AUTO_CLEANUP_INTERVAL_S);

  /**
   * DbHistoryConfig:min-connections:
   *
   * [property@DbPool.PoolConfig:min-connections] of the storage's pool. Default 2.
   */
  properties[PROP_MIN_CONNECTIONS] =
    uint_param ("min-connections", DEFAULT_MIN_CONNECTIONS);

  /**
   * DbHistoryConfig:max-connections:
   *
   * [property@DbPool.PoolConfig:max-connections] of the storage's pool. Default 10;
   * between 1 and 1024.
   */
  properties[PROP_MAX_CONNECTIONS] =
    uint_param ("max-connections", DEFAULT_MAX_CONNECTIONS);

  /**
   * DbHistoryConfig:connection-timeout-secs:
   *
   * How long, in seconds, an operation waits for a pooled connection before
   * failing with %DB_POOL_ERROR_TIMEOUT
   * ([property@DbPool.PoolConfig:connection-timeout-ms] of the pool). Default 5.
   * `0` waits forever. At most 4294967.
   */
  properties[PROP_CONNECTION_TIMEOUT_SECS] =
    uint_param ("connection-timeout-secs", DEFAULT_CONNECTION_TIMEOUT_SECS);

  /**
   * DbHistoryConfig:exclusive:
   *
   * [property@DbPool.PoolConfig:exclusive] of the storage's pool: only this process
   * opens the history database while the storage is open. Default %FALSE. An
   * editor or LSP bridge that owns its history file gets cheaper reads and
   * records; other processes (and the `sqlite3` shell) cannot open the file
   * meanwhile.
   */
  properties[PROP_EXCLUSIVE] =
    g_param_spec_boolean ("exclusive", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
db_history_config_init (DbHistoryConfig *self)
{
  self->retention_days = DEFAULT_RETENTION_DAYS;
  self->max_snapshots_per_file = DEFAULT_MAX_SNAPSHOTS_PER_FILE;
  self->auto_cleanup_interval_s = DEFAULT_AUTO_CLEANUP_INTERVAL_S;
  self->min_connections = DEFAULT_MIN_CONNECTIONS;
  self->max_connections = DEFAULT_MAX_CONNECTIONS;
  self->connection_timeout_secs = DEFAULT_CONNECTION_TIMEOUT_SECS;
}

/**
 * db_history_config_new:
 * @db_path: (type filename) (nullable): the history database file
 *
 * Creates a config with the default values for @db_path.
 *
 * Returns: (transfer full): a new config
 */
DbHistoryConfig *
db_history_config_new (const char *db_path)
{
  return g_object_new (DB_TYPE_HISTORY_CONFIG, "db-path", db_path, NULL);
}

/**
 * db_history_config_copy:
 * @self: a config
 *
 * Creates an independent config with the same values.
 *
 * Returns: (transfer full): a new config
 */
DbHistoryConfig *
db_history_config_copy (DbHistoryConfig *self)
{
  DbHistoryConfig *copy;

  g_return_val_if_fail (DB_IS_HISTORY_CONFIG (self), NULL);

  copy = g_object_new (DB_TYPE_HISTORY_CONFIG, NULL);
  copy->db_path = g_strdup (self->db_path);
  copy->retention_days = self->retention_days;
  copy->max_snapshots_per_file = self->max_snapshots_per_file;
  copy->auto_cleanup_interval_s = self->auto_cleanup_interval_s;
  copy->min_connections = self->min_connections;
  copy->max_connections = self->max_connections;
  copy->connection_timeout_secs = self->connection_timeout_secs;
  copy->exclusive = self->exclusive;

  return copy;
}

DbPoolConfig *
_db_history_config_to_pool_config (DbHistoryConfig *self)
{
  DbPoolConfig *pool_config = db_pool_config_new (self->db_path);

  db_pool_config_set_min_connections (pool_config, self->min_connections);
  db_pool_config_set_max_connections (pool_config, self->max_connections);
  /* Clamped so that an unvalidated config cannot wrap around to a short timeout. */
  db_pool_config_set_connection_timeout_ms (pool_config,
                                            MIN (self->connection_timeout_secs,
                                                 CONNECTION_TIMEOUT_SECS_LIMIT) * 1000);
  db_pool_config_set_exclusive (pool_config, self->exclusive);
  return pool_config;
}

/**
 * db_history_config_validate:
 * @self: a config
 * @error: return location for a #GError
 *
 * Checks that a storage can be created from the config: a non-empty `db-path`
 * that is a file (not an in-memory database), `retention-days` at most 36500,
 * `connection-timeout-secs` at most 4294967, and pool sizes that
 * [method@DbPool.PoolConfig.validate] accepts (`max-connections` from 1 to 1024,
 * `min-connections` not above it).
 *
 * Returns: %TRUE if the config is valid; otherwise %FALSE with @error set to
 *   %DB_POOL_ERROR_INVALID_CONFIG, whose message names the offending key
 */
gboolean
db_history_config_validate (DbHistoryConfig  *self,
                            GError          **error)
{
  g_autoptr(DbPoolConfig) pool_config = NULL;
  g_autoptr(GError) pool_error = NULL;

  g_return_val_if_fail (DB_IS_HISTORY_CONFIG (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->db_path == NULL || self->db_path[0] == '\0')
    {
      g_set_error_literal (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG,
                           "Invalid “db-path”: a database file name is required");
      return FALSE;
    }

  if (self->retention_days > RETENTION_DAYS_LIMIT)
    {
      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG,
                   "Invalid “retention-days” %u: at most %u days are allowed "
                   "(0 keeps snapshots forever)",
                   self->retention_days, RETENTION_DAYS_LIMIT);
      return FALSE;
    }

  if (self->connection_timeout_secs > CONNECTION_TIMEOUT_SECS_LIMIT)
    {
      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG,
                   "Invalid “connection-timeout-secs” %u: at most %u seconds are allowed "
                   "(0 waits forever)",
                   self->connection_timeout_secs, CONNECTION_TIMEOUT_SECS_LIMIT);
      return FALSE;
    }

  /* The pool's own rules, so the two configs can never disagree. Its keys are ours
   * except for "path", which is reported as "db-path". */
  pool_config = _db_history_config_to_pool_config (self);
  if (!db_pool_config_validate (pool_config, &pool_error))
    {
      const char *message = pool_error->message;

      if (g_str_has_prefix (message, "Invalid “path”"))
        g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG,
                     "Invalid “db-path”%s", message + strlen ("Invalid “path”"));
      else
        g_propagate_error (error, g_steal_pointer (&pool_error));
      return FALSE;
    }

  return TRUE;
}

/**
 * db_history_config_new_from_json:
 * @json: a JSON object whose keys are property names
 * @error: return location for a #GError
 *
 * Reads a config from JSON such as
 * `{"db-path": "history.db", "retention-days": 7, "max-snapshots-per-file": 50}`.
 * Keys left out keep their defaults; `db-path` is required. Values must be JSON
 * integers in range (or a string for `db-path`). The result is then checked with
 * [method@DbPool.HistoryConfig.validate].
 *
 * Returns: (transfer full): a new config, or %NULL with @error set to
 *   %DB_POOL_ERROR_INVALID_CONFIG naming the key at fault, or describing the JSON
 *   syntax error and its position
 */
DbHistoryConfig *
db_history_config_new_from_json (const char  *json,
                                 GError     **error)
{
  g_autoptr(DbHistoryConfig) self = NULL;

  g_return_val_if_fail (json != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = (DbHistoryConfig *) _db_config_json_parse (DB_TYPE_HISTORY_CONFIG, json,
                                                    "db-path", error);
  if (self == NULL || !db_history_config_validate (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

/**
 * db_history_config_to_json:
 * @self: a config
 *
 * Writes every property of @self as pretty-printed JSON that
 * [ctor@DbPool.HistoryConfig.new_from_json] reads back to an equal config.
 *
 * Returns: (transfer full): a JSON object as a string
 */
char *
db_history_config_to_json (DbHistoryConfig *self)
{
  g_return_val_if_fail (DB_IS_HISTORY_CONFIG (self), NULL);

  return _db_config_json_serialize (G_OBJECT (self), properties + 1, N_PROPS - 1);
}

/* Accessors. Each setter notifies only on a real change. */

#define DEFINE_UINT_ACCESSORS(field, PROP)                                       \
guint                                                                            \
db_history_config_get_##field (DbHistoryConfig *self)                            \
{                                                                                \
  g_return_val_if_fail (DB_IS_HISTORY_CONFIG (self), 0);                         \
  return self->field;                                                            \
}                                                                                \
                                                                                 \
void                                                                             \
db_history_config_set_##field (DbHistoryConfig *self,                            \
                               guint            value)                           \
{                                                                                \
  g_return_if_fail (DB_IS_HISTORY_CONFIG (self));                                \
  if (self->field == value)                                                      \
    return;                                                                      \
  self->field = value;                                                           \
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP]);                  \
}

/**
 * db_history_config_get_db_path:
 * @self: a config
 *
 * Gets [property@DbPool.HistoryConfig:db-path].
 *
 * Returns: (type filename) (nullable): the history database file
 */
const char *
db_history_config_get_db_path (DbHistoryConfig *self)
{
  g_return_val_if_fail (DB_IS_HISTORY_CONFIG (self), NULL);

  return self->db_path;
}

/**
 * db_history_config_set_db_path:
 * @self: a config
 * @db_path: (type filename) (nullable): the history database file
 *
 * Sets [property@DbPool.HistoryConfig:db-path].
 */
void
db_history_config_set_db_path (DbHistoryConfig *self,
                               const char      *db_path)
{
  g_return_if_fail (DB_IS_HISTORY_CONFIG (self));

  if (g_strcmp0 (self->db_path, db_path) == 0)
    return;
  g_free (self->db_path);
  self->db_path = g_strdup (db_path);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DB_PATH]);
}

/**
 * db_history_config_get_retention_days:
 * @self: a config
 *
 * Gets [property@DbPool.HistoryConfig:retention-days].
 *
 * Returns: days snapshots are kept, 0 for no age limit
 */
/**
 * db_history_config_set_retention_days:
 * @self: a config
 * @value: days snapshots are kept, 0 for no age limit
 *
 * Sets [property@DbPool.HistoryConfig:retention-days].
 */
DEFINE_UINT_ACCESSORS (retention_days, PROP_RETENTION_DAYS)

/**
 * db_history_config_get_max_snapshots_per_file:
 * @self: a config
 *
 * Gets [property@DbPool.HistoryConfig:max-snapshots-per-file].
 *
 * Returns: snapshots kept per file, 0 for no limit
 */
/**
 * db_history_config_set_max_snapshots_per_file:
 * @self: a config
 * @value: snapshots kept per file, 0 for no limit
 *
 * Sets [property@DbPool.HistoryConfig:max-snapshots-per-file].
 */
DEFINE_UINT_ACCESSORS (max_snapshots_per_file, PROP_MAX_SNAPSHOTS_PER_FILE)

/**
 * db_history_config_get_auto_cleanup_interval_s:
 * @self: a config
 *
 * Gets [property@DbPool.HistoryConfig:auto-cleanup-interval-s].
 *
 * Returns: seconds between automatic cleanups, 0 for none
 */
/**
 * db_history_config_set_auto_cleanup_interval_s:
 * @self: a config
 * @value: seconds between automatic cleanups, 0 for none
 *
 * Sets [property@DbPool.HistoryConfig:auto-cleanup-interval-s].
 */
DEFINE_UINT_ACCESSORS (auto_cleanup_interval_s, PROP_AUTO_CLEANUP_INTERVAL_S)

/**
 * db_history_config_get_min_connections:
 * @self: a config
 *
 * Gets [property@DbPool.HistoryConfig:min-connections].
 *
 * Returns: connections the pool keeps open
 */
/**
 * db_history_config_set_min_connections:
 * @self: a config
 * @value: connections the pool keeps open
 *
 * Sets [property@DbPool.HistoryConfig:min-connections].
 */
DEFINE_UINT_ACCESSORS (min_connections, PROP_MIN_CONNECTIONS)

/**
 * db_history_config_get_max_connections:
 * @self: a config
 *
 * Gets [property@DbPool.HistoryConfig:max-connections].
 *
 * Returns: the most connections the pool opens
 */
/**
 * db_history_config_set_max_connections:
 * @self: a config
 * @value: the most connections the pool opens
 *
 * Sets [property@DbPool.HistoryConfig:max-connections].
 */
DEFINE_UINT_ACCESSORS (max_connections, PROP_MAX_CONNECTIONS)

/**
 * db_history_config_get_connection_timeout_secs:
 * @self: a config
 *
 * Gets [property@DbPool.HistoryConfig:connection-timeout-secs].
 *
 * Returns: seconds an operation waits for a connection, 0 for no limit
 */
/**
 * db_history_config_set_connection_timeout_secs:
 * @self: a config
 * @value: seconds an operation waits for a connection, 0 for no limit
 *
 * Sets [property@DbPool.HistoryConfig:connection-timeout-secs].
 */
DEFINE_UINT_ACCESSORS (connection_timeout_secs, PROP_CONNECTION_TIMEOUT_SECS)

/**
 * db_history_config_get_exclusive:
 * @self: a config
 *
 * Gets [property@DbPool.HistoryConfig:exclusive].
 *
 * Returns: whether only this process opens the history database
 */
gboolean
db_history_config_get_exclusive (DbHistoryConfig *self)
{
  g_return_val_if_fail (DB_IS_HISTORY_CONFIG (self), FALSE);

  return self->exclusive;
}

/**
 * db_history_config_set_exclusive:
 * @self: a config
 * @value: whether only this process opens the history database
 *
 * Sets [property@DbPool.HistoryConfig:exclusive].
 */
void
db_history_config_set_exclusive (DbHistoryConfig *self,
                                 gboolean         value)
{
  g_return_if_fail (DB_IS_HISTORY_CONFIG (self));

  value = !!value;
  if (self->exclusive == value)
    return;
  self->exclusive = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXCLUSIVE]);
}
