/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "db-config-json-private.h"
#include "db-pool-config-private.h"
#include "db-pool-private.h"
#include "db-enum-types.h"

/* Sanity bounds checked by db_pool_config_validate(); documented on the properties. */
#define MAX_CONNECTIONS_LIMIT      1024
#define STATEMENT_CACHE_SIZE_LIMIT 10000

/**
 * DbPoolConfig:
 *
 * The settings of a [class@DbPool.Pool].
 *
 * A config is an ordinary mutable object: create one with [ctor@DbPool.PoolConfig.new]
 * or one of the presets, adjust properties, and hand it to [ctor@DbPool.Pool.new].
 * Times are in milliseconds and `0` means "never" (no timeout, no limit).
 *
 * A config can also be read from and written to JSON whose keys are the property
 * names, see [ctor@DbPool.PoolConfig.new_from_json] and
 * [method@DbPool.PoolConfig.to_json].
 *
 * Setters and [method@DbPool.PoolConfig.validate] are separate on purpose: properties
 * may pass through invalid combinations while being edited (for instance raising
 * `min-connections` before `max-connections`), so only the whole config is checked.
 */

G_DEFINE_FINAL_TYPE (DbPoolConfig, db_pool_config, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

static void
db_pool_config_finalize (GObject *object)
{
  DbPoolConfig *self = DB_POOL_CONFIG (object);

  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->name, g_free);

  G_OBJECT_CLASS (db_pool_config_parent_class)->finalize (object);
}

static void
db_pool_config_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  DbPoolConfig *self = DB_POOL_CONFIG (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_MIN_CONNECTIONS:
      g_value_set_uint (value, self->min_connections);
      break;
    case PROP_MAX_CONNECTIONS:
      g_value_set_uint (value, self->max_connections);
      break;
    case PROP_CONNECTION_TIMEOUT_MS:
      g_value_set_uint (value, self->connection_timeout_ms);
      break;
    case PROP_IDLE_TIMEOUT_MS:
      g_value_set_uint (value, self->idle_timeout_ms);
      break;
    case PROP_MAX_LIFETIME_MS:
      g_value_set_uint (value, self->max_lifetime_ms);
      break;
    case PROP_BUSY_TIMEOUT_MS:
      g_value_set_uint (value, self->busy_timeout_ms);
      break;
    case PROP_ENABLE_WAL:
      g_value_set_boolean (value, self->enable_wal);
      break;
    case PROP_SYNCHRONOUS:
      g_value_set_enum (value, self->synchronous);
      break;
    case PROP_STATEMENT_CACHE_SIZE:
      g_value_set_uint (value, self->statement_cache_size);
      break;
    case PROP_MAINTENANCE_INTERVAL_MS:
      g_value_set_uint (value, self->maintenance_interval_ms);
      break;
    case PROP_CIRCUIT_BREAKER_THRESHOLD:
      g_value_set_uint (value, self->circuit_breaker_threshold);
      break;
    case PROP_CIRCUIT_BREAKER_COOLDOWN_MS:
      g_value_set_uint (value, self->circuit_breaker_cooldown_ms);
      break;
    case PROP_LEAK_THRESHOLD_MS:
      g_value_set_uint (value, self->leak_threshold_ms);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_EXCLUSIVE:
      g_value_set_boolean (value, self->exclusive);
      break;
    case PROP_GROUP_COMMIT:
      g_value_set_boolean (value, self->group_commit);
      break;
    case PROP_GROUP_COMMIT_MAX_JOBS:
      g_value_set_uint (value, self->group_commit_max_jobs);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
db_pool_config_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  DbPoolConfig *self = DB_POOL_CONFIG (object);

  switch (prop_id)
    {
    case PROP_PATH:
      db_pool_config_set_path (self, g_value_get_string (value));
      break;
    case PROP_MIN_CONNECTIONS:
      db_pool_config_set_min_connections (self, g_value_get_uint (value));
      break;
    case PROP_MAX_CONNECTIONS:
      db_pool_config_set_max_connections (self, g_value_get_uint (value));
      break;
    case PROP_CONNECTION_TIMEOUT_MS:
      db_pool_config_set_connection_timeout_ms (self, g_value_get_uint (value));
      break;
    case PROP_IDLE_TIMEOUT_MS:
      db_pool_config_set_idle_timeout_ms (self, g_value_get_uint (value));
      break;
    case PROP_MAX_LIFETIME_MS:
      db_pool_config_set_max_lifetime_ms (self, g_value_get_uint (value));
      break;
    case PROP_BUSY_TIMEOUT_MS:
      db_pool_config_set_busy_timeout_ms (self, g_value_get_uint (value));
      break;
    case PROP_ENABLE_WAL:
      db_pool_config_set_enable_wal (self, g_value_get_boolean (value));
      break;
    case PROP_SYNCHRONOUS:
      db_pool_config_set_synchronous (self, g_value_get_enum (value));
      break;
    case PROP_STATEMENT_CACHE_SIZE:
      db_pool_config_set_statement_cache_size (self, g_value_get_uint (value));
      break;
    case PROP_MAINTENANCE_INTERVAL_MS:
      db_pool_config_set_maintenance_interval_ms (self, g_value_get_uint (value));
      break;
    case PROP_CIRCUIT_BREAKER_THRESHOLD:
      db_pool_config_set_circuit_breaker_threshold (self, g_value_get_uint (value));
      break;
    case PROP_CIRCUIT_BREAKER_COOLDOWN_MS:
      db_pool_config_set_circuit_breaker_cooldown_ms (self, g_value_get_uint (value));
      break;
    case PROP_LEAK_THRESHOLD_MS:
      db_pool_config_set_leak_threshold_ms (self, g_value_get_uint (value));
      break;
    case PROP_NAME:
      db_pool_config_set_name (self, g_value_get_string (value));
      break;
    case PROP_EXCLUSIVE:
      db_pool_config_set_exclusive (self, g_value_get_boolean (value));
      break;
    case PROP_GROUP_COMMIT:
      db_pool_config_set_group_commit (self, g_value_get_boolean (value));
      break;
    case PROP_GROUP_COMMIT_MAX_JOBS:
      db_pool_config_set_group_commit_max_jobs (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static GParamSpec *
uint_param (const char *name,
            const char *nick,
            const char *blurb,
            guint       default_value)
{
  /* The full guint range is accepted here; semantic limits are reported as a GError by
   * db_pool_config_validate() instead of a g_warning from g_object_set(). */
  return g_param_spec_uint (name, nick, blurb, 0, G_MAXUINT, default_value,
                            G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                            G_PARAM_STATIC_STRINGS);
}

static void
db_pool_config_class_init (DbPoolConfigClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = db_pool_config_finalize;
  object_class->get_property = db_pool_config_get_property;
  object_class->set_property = db_pool_config_set_property;

  /**
   * DbPoolConfig:path:
   *
   * The file name of the SQLite database. Required: a config without a path does
   * not validate. `:memory:` is rejected because every pooled connection would
   * get its own, separate in-memory database.
   */
  properties[PROP_PATH] =
    g_param_spec_string ("path", "Path", "The database file",
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                         G_PARAM_STATIC_STRINGS);

  /**
   * DbPoolConfig:min-connections:
   *
   * How many connections the pool opens up front and keeps open even when idle
   * (maintenance refills to this number). Default 2. `0` opens connections only on
   * demand. Must not exceed [property@DbPool.PoolConfig:max-connections].
   */
  properties[PROP_MIN_CONNECTIONS] =
    uint_param ("min-connections", "Minimum connections",
                "Connections kept open even when idle", DEFAULT_MIN_CONNECTIONS);

  /**
   * DbPoolConfig:max-connections:
   *
   * The most connections open at once, leased and idle together; further acquires
   * wait. Default 10. Must be between 1 and 1024. At most one of them is leased
   * for writing at a time.
   */
  properties[PROP_MAX_CONNECTIONS] =
    uint_param ("max-connections", "Maximum connections",
                "The most connections open at once", DEFAULT_MAX_CONNECTIONS);

  /**
   * DbPoolConfig:connection-timeout-ms:
   *
   * How long, in milliseconds, an acquire waits for a connection before failing with
   * %DB_POOL_ERROR_TIMEOUT. Default 5000. `0` waits forever (cancellation still
   * works).
   */
  properties[PROP_CONNECTION_TIMEOUT_MS] =
    uint_param ("connection-timeout-ms", "Connection timeout",
                "Milliseconds an acquire may wait, 0 for no limit",
                DEFAULT_CONNECTION_TIMEOUT_MS);

  /**
   * DbPoolConfig:idle-timeout-ms:
   *
   * How long, in milliseconds, a connection may sit idle in the pool before
   * maintenance closes it (never below
   * [property@DbPool.PoolConfig:min-connections]). Default 300000 (5 minutes).
   * `0` never closes idle connections.
   */
  properties[PROP_IDLE_TIMEOUT_MS] =
    uint_param ("idle-timeout-ms", "Idle timeout",
                "Milliseconds before an idle connection is closed, 0 for never",
                DEFAULT_IDLE_TIMEOUT_MS);

  /**
   * DbPoolConfig:max-lifetime-ms:
   *
   * The age, in milliseconds, after which an idle connection is closed and replaced,
   * so that long-lived handles do not accumulate memory. Default 1800000
   * (30 minutes). `0` keeps connections for the life of the pool.
   */
  properties[PROP_MAX_LIFETIME_MS] =
    uint_param ("max-lifetime-ms", "Maximum lifetime",
                "Milliseconds after which a connection is replaced, 0 for never",
                DEFAULT_MAX_LIFETIME_MS);

  /**
   * DbPoolConfig:busy-timeout-ms:
   *
   * SQLite's busy timeout in milliseconds: how long a statement retries when the
   * database is locked by another process, before failing with
   * %DB_POOL_ERROR_BUSY. Writers inside one pool never wait here, the pool queues
   * them. Default 5000. `0` fails at once. At most %G_MAXINT.
   */
  properties[PROP_BUSY_TIMEOUT_MS] =
    uint_param ("busy-timeout-ms", "Busy timeout",
                "Milliseconds SQLite retries a locked database, 0 to fail at once",
                DEFAULT_BUSY_TIMEOUT_MS);

  /**
   * DbPoolConfig:enable-wal:
   *
   * Whether connections use write-ahead logging (`journal_mode=WAL`), which lets
   * reads run while a write is in progress. Default %TRUE. Without it readers and the
   * writer block each other.
   */
  properties[PROP_ENABLE_WAL] =
    g_param_spec_boolean ("enable-wal", "Enable WAL",
                          "Whether to use write-ahead logging",
                          DEFAULT_ENABLE_WAL,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS);

  /**
   * DbPoolConfig:synchronous:
   *
   * The `synchronous` pragma of every connection. Default
   * %DB_SYNCHRONOUS_NORMAL, which in WAL mode is safe against process crashes.
   * In JSON it is written as the lower-case nick (`"normal"`).
   */
  properties[PROP_SYNCHRONOUS] =
    g_param_spec_enum ("synchronous", "Synchronous",
                       "The synchronous pragma",
                       DB_TYPE_SYNCHRONOUS,
                       DEFAULT_SYNCHRONOUS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                       G_PARAM_STATIC_STRINGS);

  /**
   * DbPoolConfig:statement-cache-size:
   *
   * How many prepared statements each connection keeps (least recently used are
   * finalized first). Default 64. `0` disables the cache: every statement is
   * prepared and finalized per call. At most 10000.
   */
  properties[PROP_STATEMENT_CACHE_SIZE] =
    uint_param ("statement-cache-size", "Statement cache size",
                "Prepared statements kept per connection, 0 to disable",
                DEFAULT_STATEMENT_CACHE_SIZE);

  /**
   * DbPoolConfig:maintenance-interval-ms:
   *
   * How often, in milliseconds, the pool closes idle and expired connections and
   * refills to [property@DbPool.PoolConfig:min-connections]. Default 30000.
   * `0` disables periodic maintenance.
   */
  properties[PROP_MAINTENANCE_INTERVAL_MS] =
    uint_param ("maintenance-interval-ms", "Maintenance interval",
                "Milliseconds between maintenance runs, 0 for none",
                DEFAULT_MAINTENANCE_INTERVAL_MS);

  /**
   * DbPoolConfig:circuit-breaker-threshold:
   *
   * How many connection opens in a row must fail before the pool stops trying for a
   * while (the circuit breaker opens): acquires that need a new connection then fail
   * at once with %DB_POOL_ERROR_OPEN instead of each waiting for its own failure, and
   * the pool retries on its own after
   * [property@DbPool.PoolConfig:circuit-breaker-cooldown-ms]. Default 3; `0` turns the
   * breaker off.
   */
  properties[PROP_CIRCUIT_BREAKER_THRESHOLD] =
    uint_param ("circuit-breaker-threshold", "Circuit breaker threshold",
                "Failed opens in a row before failing fast, 0 for never",
                DEFAULT_CIRCUIT_BREAKER_THRESHOLD);

  /**
   * DbPoolConfig:circuit-breaker-cooldown-ms:
   *
   * How long, in milliseconds, the open circuit breaker fails acquires fast before
   * one trial open is let through. Each failed trial doubles the wait, up to 32 times
   * this value; a successful open closes the breaker. Default 1000.
   */
  properties[PROP_CIRCUIT_BREAKER_COOLDOWN_MS] =
    uint_param ("circuit-breaker-cooldown-ms", "Circuit breaker cooldown",
                "Milliseconds before a trial open",
                DEFAULT_CIRCUIT_BREAKER_COOLDOWN_MS);

  /**
   * DbPoolConfig:leak-threshold-ms:
   *
   * A lease held longer than this many milliseconds is reported once: a warning naming
   * where it was acquired is logged and [signal@DbPool.Pool::lease-held-too-long] is
   * emitted on the owner context. Checked at each maintenance run, so the report
   * comes at most [property@DbPool.PoolConfig:maintenance-interval-ms] late. Default
   * `0`: off (capturing where leases are acquired costs a stack walk per acquire).
   */
  properties[PROP_LEAK_THRESHOLD_MS] =
    uint_param ("leak-threshold-ms", "Leak threshold",
                "Milliseconds a lease may be held before it is reported, 0 for never",
                DEFAULT_LEAK_THRESHOLD_MS);

  /**
   * DbPoolConfig:name:
   *
   * The pool's name in its metrics and log messages: the `pool_name` label of
   * [method@DbPool.Pool.get_metrics], the `name` of
   * [method@DbPool.Pool.get_stats_json], and the prefix of the warnings and messages
   * the pool logs. Give each pool of a program its own name, so that two pools on
   * the same file can be told apart. Default `"dbpool"`. Must be non-empty UTF-8.
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", "Name", "The pool's name in metrics and logs",
                         DEFAULT_NAME,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                         G_PARAM_STATIC_STRINGS);

  /**
   * DbPoolConfig:exclusive:
   *
   * Whether this process alone uses the database file while the pool is open.
   * Default %FALSE.
   *
   * An exclusive pool locks the file against every other process when it opens and
   * keeps the lock until it is closed; its connections coordinate with each other
   * inside the process, without operating-system locks, and keep the WAL index in
   * memory instead of a `-shm` file. Reads and commits cost noticeably less, and
   * one writer with many readers works as usual.
   *
   * Meanwhile another process cannot use the database: a pool there fails with
   * %DB_POOL_ERROR_BUSY (after its [property@DbPool.PoolConfig:busy-timeout-ms]),
   * and the `sqlite3` shell says "database is locked". Creating an exclusive pool
   * fails the same way while another process has the database open. Every
   * connection this process opens to the file should come from exclusive pools: an
   * exclusive pool refuses a database the process already has open the ordinary
   * way, which would let other processes in (%DB_POOL_ERROR_OPEN; on Linux, where
   * `/proc/locks` tells). The pool holds one connection of its own for the lock,
   * outside its statistics, so the lock does not lapse when maintenance closes idle
   * connections.
   *
   * Use it when one process owns the database (an LSP bridge, a desktop
   * application with its own file); not when several processes share it or when
   * tools should read the live file. See the [tuning guide](tuning.html).
   */
  properties[PROP_EXCLUSIVE] =
    g_param_spec_boolean ("exclusive", "Exclusive",
                          "Whether only this process opens the database file",
                          DEFAULT_EXCLUSIVE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS);

  /**
   * DbPoolConfig:group-commit:
   *
   * Whether write jobs ([method@DbPool.Pool.execute_async],
   * [method@DbPool.Pool.execute], [method@DbPool.Pool.execute_batch_async], a
   * %DB_ACCESS_WRITE [method@DbPool.Pool.run_async] and HistoryStorage's record
   * calls) that are queued together run in one transaction, each inside its own
   * savepoint. A job is still acknowledged only once that transaction committed, and
   * a job that fails is rolled back alone. Nothing waits for more jobs to arrive: a
   * job alone commits at once. %FALSE gives every job its own transaction. Default
   * %TRUE.
   */
  properties[PROP_GROUP_COMMIT] =
    g_param_spec_boolean ("group-commit", "Group commit",
                          "Whether write jobs queued together share one transaction",
                          DEFAULT_GROUP_COMMIT,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * DbPoolConfig:group-commit-max-jobs:
   *
   * The most write jobs one transaction carries when
   * [property@DbPool.PoolConfig:group-commit] is on; `1` means one commit per job.
   * Default 256.
   */
  properties[PROP_GROUP_COMMIT_MAX_JOBS] =
    uint_param ("group-commit-max-jobs", "Group commit max jobs",
                "Most write jobs in one transaction",
                DEFAULT_GROUP_COMMIT_MAX_JOBS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
db_pool_config_init (DbPoolConfig *self)
{
  self->min_connections = DEFAULT_MIN_CONNECTIONS;
  self->max_connections = DEFAULT_MAX_CONNECTIONS;
  self->connection_timeout_ms = DEFAULT_CONNECTION_TIMEOUT_MS;
  self->idle_timeout_ms = DEFAULT_IDLE_TIMEOUT_MS;
  self->max_lifetime_ms = DEFAULT_MAX_LIFETIME_MS;
  self->busy_timeout_ms = DEFAULT_BUSY_TIMEOUT_MS;
  self->enable_wal = DEFAULT_ENABLE_WAL;
  self->synchronous = DEFAULT_SYNCHRONOUS;
  self->statement_cache_size = DEFAULT_STATEMENT_CACHE_SIZE;
  self->maintenance_interval_ms = DEFAULT_MAINTENANCE_INTERVAL_MS;
  self->circuit_breaker_threshold = DEFAULT_CIRCUIT_BREAKER_THRESHOLD;
  self->circuit_breaker_cooldown_ms = DEFAULT_CIRCUIT_BREAKER_COOLDOWN_MS;
  self->leak_threshold_ms = DEFAULT_LEAK_THRESHOLD_MS;
  self->name = g_strdup (DEFAULT_NAME);
  self->exclusive = DEFAULT_EXCLUSIVE;
  self->group_commit = DEFAULT_GROUP_COMMIT;
  self->group_commit_max_jobs = DEFAULT_GROUP_COMMIT_MAX_JOBS;
}

/**
 * db_pool_config_new:
 * @path: (nullable): the database file
 *
 * Creates a config with the default values for @path.
 *
 * Returns: (transfer full): a new config
 */
DbPoolConfig *
db_pool_config_new (const char *path)
{
  return g_object_new (DB_TYPE_POOL_CONFIG, "path", path, NULL);
}

/**
 * db_pool_config_new_high_performance:
 * @path: (nullable): the database file
 *
 * Creates a config for a busy server-like process: 5 to 50 connections, acquires
 * that fail fast (1 second) and idle connections closed after 2 minutes.
 *
 * Returns: (transfer full): a new config
 */
DbPoolConfig *
db_pool_config_new_high_performance (const char *path)
{
  return g_object_new (DB_TYPE_POOL_CONFIG,
                       "path", path,
                       "min-connections", 5,
                       "max-connections", 50,
                       "connection-timeout-ms", 1000,
                       "idle-timeout-ms", 120000,
                       "enable-wal", TRUE,
                       NULL);
}

/**
 * db_pool_config_new_memory_efficient:
 * @path: (nullable): the database file
 *
 * Creates a config for a small footprint: 1 to 5 connections, patient acquires
 * (10 seconds) and idle connections kept for 10 minutes instead of being reopened.
 *
 * Returns: (transfer full): a new config
 */
DbPoolConfig *
db_pool_config_new_memory_efficient (const char *path)
{
  return g_object_new (DB_TYPE_POOL_CONFIG,
                       "path", path,
                       "min-connections", 1,
                       "max-connections", 5,
                       "connection-timeout-ms", 10000,
                       "idle-timeout-ms", 600000,
                       "enable-wal", TRUE,
                       NULL);
}

/**
 * db_pool_config_copy:
 * @self: a config
 *
 * Creates an independent config with the same values, so that a pool can keep
 * settings that later changes to @self do not affect.
 *
 * Returns: (transfer full): a new config
 */
DbPoolConfig *
db_pool_config_copy (DbPoolConfig *self)
{
  DbPoolConfig *copy;

  g_return_val_if_fail (DB_IS_POOL_CONFIG (self), NULL);

  copy = g_object_new (DB_TYPE_POOL_CONFIG, NULL);
  copy->path = g_strdup (self->path);
  copy->min_connections = self->min_connections;
  copy->max_connections = self->max_connections;
  copy->connection_timeout_ms = self->connection_timeout_ms;
  copy->idle_timeout_ms = self->idle_timeout_ms;
  copy->max_lifetime_ms = self->max_lifetime_ms;
  copy->busy_timeout_ms = self->busy_timeout_ms;
  copy->enable_wal = self->enable_wal;
  copy->synchronous = self->synchronous;
  copy->statement_cache_size = self->statement_cache_size;
  copy->maintenance_interval_ms = self->maintenance_interval_ms;
  copy->circuit_breaker_threshold = self->circuit_breaker_threshold;
  copy->circuit_breaker_cooldown_ms = self->circuit_breaker_cooldown_ms;
  copy->leak_threshold_ms = self->leak_threshold_ms;
  g_free (copy->name);
  copy->name = g_strdup (self->name);
  copy->exclusive = self->exclusive;
  copy->group_commit = self->group_commit;
  copy->group_commit_max_jobs = self->group_commit_max_jobs;

  return copy;
}

static gboolean
is_in_memory_path (const char *path)
{
  if (strcmp (path, ":memory:") == 0)
    return TRUE;

  /* URI filenames ("file::memory:", "file:x?mode=memory") are in-memory too: the
   * backend opens paths as URIs. */
  if (g_str_has_prefix (path, "file:"))
    return g_str_has_prefix (path, "file::memory:") ||
           strstr (path, "mode=memory") != NULL;

  return FALSE;
}

/**
 * db_pool_config_validate:
 * @self: a config
 * @error: return location for a #GError
 *
 * Checks that the config can be used by a pool: a non-empty path that is not an
 * in-memory database (nor, with `exclusive`, a PostgreSQL URI), `max-connections` between 1 and 1024, `min-connections` not
 * above `max-connections`, `busy-timeout-ms` at most %G_MAXINT,
 * `statement-cache-size` at most 10000 and a `name` that is non-empty UTF-8.
 *
 * Returns: %TRUE if the config is valid; otherwise %FALSE with @error set to
 *   %DB_POOL_ERROR_INVALID_CONFIG, whose message names the offending key
 */
gboolean
db_pool_config_validate (DbPoolConfig  *self,
                         GError       **error)
{
  g_return_val_if_fail (DB_IS_POOL_CONFIG (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->path == NULL || self->path[0] == '\0')
    {
      g_set_error_literal (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG,
                           "Invalid “path”: a database file name is required");
      return FALSE;
    }

  if (is_in_memory_path (self->path))
    {
      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG,
                   "Invalid “path” “%s”: an in-memory database is private to one "
                   "connection, so pooled connections would each see a different, "
                   "empty database; use a file (for tests, one in a temporary directory)",
                   self->path);
      return FALSE;
    }

  /* Exclusive mode is SQLite's file lock; a server is shared by design. */
  if (self->exclusive &&
      (g_str_has_prefix (self->path, "postgresql://") || g_str_has_prefix (self->path, "postgres://")))
    {
      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG,
                   "Invalid “exclusive”: “%s” is a PostgreSQL server, which other "
                   "clients share; exclusive mode is for SQLite files only", self->path);
      return FALSE;
    }

  if (self->max_connections == 0)
    {
      g_set_error_literal (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG,
                           "Invalid “max-connections” 0: the pool needs at least one connection");
      return FALSE;
    }

  if (self->max_connections > MAX_CONNECTIONS_LIMIT)
    {
      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG,
                   "Invalid “max-connections” %u: at most %u connections are allowed",
                   self->max_connections, MAX_CONNECTIONS_LIMIT);
      return FALSE;
    }

  if (self->min_connections > self->max_connections)
    {
      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG,
                   "Invalid “min-connections” %u: it is greater than “max-connections” %u",
                   self->min_connections, self->max_connections);
      return FALSE;
    }

  /* The backend's busy timeout is an int. */
  if (self->busy_timeout_ms > G_MAXINT)
    {
      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG,
                   "Invalid “busy-timeout-ms” %u: at most %d milliseconds are allowed",
                   self->busy_timeout_ms, G_MAXINT);
      return FALSE;
    }

  if (self->group_commit_max_jobs == 0)
    {
      g_set_error_literal (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG,
                           "Invalid “group-commit-max-jobs” 0: a transaction carries at least "
                           "one job (1 means one commit per job)");
      return FALSE;
    }

  if (self->statement_cache_size > STATEMENT_CACHE_SIZE_LIMIT)
    {
      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG,
                   "Invalid “statement-cache-size” %u: at most %u statements are allowed",
                   self->statement_cache_size, STATEMENT_CACHE_SIZE_LIMIT);
      return FALSE;
    }

  /* It goes into OpenMetrics labels and log lines, which are UTF-8 text. */
  if (self->name == NULL || self->name[0] == '\0' || !g_utf8_validate (self->name, -1, NULL))
    {
      g_set_error_literal (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG,
                           self->name == NULL || self->name[0] == '\0'
                           ? "Invalid “name”: the pool needs a name for its metrics and logs"
                           : "Invalid “name”: it is not valid UTF-8");
      return FALSE;
    }

  return TRUE;
}

/**
 * db_pool_config_new_from_json:
 * @json: a JSON object whose keys are property names
 * @error: return location for a #GError
 *
 * Reads a config from JSON such as `{"path": "x.db", "max-connections": 20}`.
 * Keys left out keep their defaults; `path` is required. Integers must be JSON
 * integers in range, booleans JSON booleans, and `synchronous` a nick such as
 * `"normal"` (any case) or its number. The result is then checked with
 * [method@DbPool.PoolConfig.validate].
 *
 * Returns: (transfer full): a new config, or %NULL with @error set to
 *   %DB_POOL_ERROR_INVALID_CONFIG naming the key at fault, or describing the JSON
 *   syntax error and its position
 */
DbPoolConfig *
db_pool_config_new_from_json (const char  *json,
                              GError     **error)
{
  g_autoptr(DbPoolConfig) self = NULL;

  g_return_val_if_fail (json != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = (DbPoolConfig *) _db_config_json_parse (DB_TYPE_POOL_CONFIG, json, "path", error);
  if (self == NULL || !db_pool_config_validate (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

/**
 * db_pool_config_to_json:
 * @self: a config
 *
 * Writes every property of @self as pretty-printed JSON, `synchronous` as its nick.
 * [ctor@DbPool.PoolConfig.new_from_json] reads the result back to an equal config.
 *
 * Returns: (transfer full): a JSON object as a string
 */
char *
db_pool_config_to_json (DbPoolConfig *self)
{
  g_return_val_if_fail (DB_IS_POOL_CONFIG (self), NULL);

  return _db_config_json_serialize (G_OBJECT (self), properties + 1, N_PROPS - 1);
}

/* For the accessors in db-pool-config-accessors.c, which do not see properties[]. */
void
_db_pool_config_notify (DbPoolConfig *self,
                        guint         prop_id)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

/* For db_pool_reconfigure(): the first property whose value differs between @a and
 * @b, leaving out those named in @changeable; NULL if none. Every property is
 * compared, so one added later is refused until the pool learns to apply it. */
const char *
_db_pool_config_first_difference (DbPoolConfig       *a,
                                  DbPoolConfig       *b,
                                  const char * const *changeable)
{
  for (guint i = 1; i < N_PROPS; i++)
    {
      GParamSpec *pspec = properties[i];
      g_auto(GValue) value_a = G_VALUE_INIT;
      g_auto(GValue) value_b = G_VALUE_INIT;

      if (g_strv_contains (changeable, pspec->name))
        continue;
      g_value_init (&value_a, pspec->value_type);
      g_value_init (&value_b, pspec->value_type);
      g_object_get_property (G_OBJECT (a), pspec->name, &value_a);
      g_object_get_property (G_OBJECT (b), pspec->name, &value_b);
      if (g_param_values_cmp (pspec, &value_a, &value_b) != 0)
        return pspec->name;
    }
  return NULL;
}
