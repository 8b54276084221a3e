/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "db-enum-types.h"
#include "db-pool-stats-table-private.h"

/* A counter of DbPoolStats. Its type (uint or uint64 property) is taken from the
 * field, so the two cannot disagree; a field of any other type does not compile
 * until _db_pool_stat_get(), the pspecs and the JSON learn about that type. */
#define STAT(name, field) \
  { name, G_STRUCT_OFFSET (DbPoolSnapshot, stats.field), \
    _Generic (((DbPoolStats *) NULL)->field, \
              guint: DB_POOL_STAT_UINT, \
              guint64: DB_POOL_STAT_UINT64), \
    TRUE, NULL }

/* An enum that is notified like the stats but is not in DbPoolStats (nor the JSON). */
#define SNAPSHOT_ENUM(name, member, get_type) \
  { name, G_STRUCT_OFFSET (DbPoolSnapshot, member), DB_POOL_STAT_ENUM, FALSE, get_type }

/* The stats, described once.
 *
 * Adding a stat takes: the field in DbPoolStats (with its @field line in the struct's
 * doc comment), one STAT() line here with the property's doc comment above it, and
 * the code that counts it (under the lock, in the core's DbPoolStats, which
 * _db_pool_core_snapshot() in db-pool-core.c copies whole). The DbPool property, its
 * value, its notify:: and its JSON key all follow from the line. Keep the entries in
 * the struct's order: that is the JSON's order. tests/pool/test-pool-stats.c and
 * tests/python/test_stats.py fail when the table and the struct or the class
 * disagree. */
const DbPoolStat _db_pool_stats[] = {
  /**
   * DbPool:total-connections-created:
   *
   * SQLite connections opened so far.
   */
  STAT ("total-connections-created", total_connections_created),
  /**
   * DbPool:total-connections-destroyed:
   *
   * Connections closed so far: idle, expired, broken, or at close.
   */
  STAT ("total-connections-destroyed", total_connections_destroyed),
  /**
   * DbPool:active-connections:
   *
   * Connections leased right now.
   */
  STAT ("active-connections", current_active_connections),
  /**
   * DbPool:idle-connections:
   *
   * Connections open and waiting in the pool.
   */
  STAT ("idle-connections", current_idle_connections),
  /**
   * DbPool:waiting-requests:
   *
   * Acquires queued for a connection right now.
   */
  STAT ("waiting-requests", waiting_requests),
  /**
   * DbPool:total-requests:
   *
   * Acquires served or failed so far.
   */
  STAT ("total-requests", total_requests),
  /**
   * DbPool:total-wait-time-us:
   *
   * Summed time acquires spent waiting for a connection, in microseconds.
   */
  STAT ("total-wait-time-us", total_wait_time_us),
  /**
   * DbPool:max-wait-time-us:
   *
   * The longest single wait for a connection, in microseconds.
   */
  STAT ("max-wait-time-us", max_wait_time_us),
  /**
   * DbPool:connection-errors:
   *
   * Failed opens, connections found broken (I/O error, corruption) and statements
   * that failed because the disk was full (those connections stay in use).
   */
  STAT ("connection-errors", connection_errors),
  /**
   * DbPool:timeouts:
   *
   * Acquires that failed with %DB_POOL_ERROR_TIMEOUT.
   */
  STAT ("timeouts", timeouts),
  /**
   * DbPool:group-commits:
   *
   * Transactions committed that carried write jobs (see
   * [property@DbPool.PoolConfig:group-commit]).
   */
  STAT ("group-commits", group_commits),
  /**
   * DbPool:group-commit-jobs:
   *
   * Write jobs committed in those transactions: divided by
   * [property@DbPool.Pool:group-commits], the average number of jobs per commit.
   */
  STAT ("group-commit-jobs", group_commit_jobs),
  /**
   * DbPool:circuit-state:
   *
   * The circuit breaker: %DB_CIRCUIT_OPEN while opening connections keeps failing
   * and acquires that need a new connection fail fast. See
   * [property@DbPool.PoolConfig:circuit-breaker-threshold].
   */
  SNAPSHOT_ENUM ("circuit-state", circuit_state, db_circuit_state_get_type),
};

const guint _db_pool_n_stats = G_N_ELEMENTS (_db_pool_stats);

G_STATIC_ASSERT (G_N_ELEMENTS (_db_pool_stats) <= DB_POOL_MAX_STATS);
/* Enum members are read as int. */
G_STATIC_ASSERT (sizeof (DbCircuitState) == sizeof (int));

void
_db_pool_stat_get_value (const DbPoolStat     *stat,
                         const DbPoolSnapshot *snapshot,
                         GValue               *value)
{
  guint64 v = _db_pool_stat_get (stat, snapshot);

  switch (stat->type)
    {
    case DB_POOL_STAT_UINT:
      g_value_set_uint (value, (guint) v);
      break;
    case DB_POOL_STAT_UINT64:
      g_value_set_uint64 (value, v);
      break;
    case DB_POOL_STAT_ENUM:
      g_value_set_enum (value, (int) v);
      break;
    default:
      g_assert_not_reached ();
    }
}

static GParamSpec *
stat_pspec_new (const DbPoolStat *stat)
{
  /* Read-only, and notified by the notifier only (never by g_object_set()). */
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  switch (stat->type)
    {
    case DB_POOL_STAT_UINT:
      return g_param_spec_uint (stat->name, NULL, NULL, 0, G_MAXUINT, 0, flags);
    case DB_POOL_STAT_UINT64:
      return g_param_spec_uint64 (stat->name, NULL, NULL, 0, G_MAXUINT64, 0, flags);
    case DB_POOL_STAT_ENUM:
      /* 0, like every value of a pool that has not started: DB_CIRCUIT_CLOSED. */
      return g_param_spec_enum (stat->name, NULL, NULL, stat->enum_type (), 0, flags);
    default:
      g_assert_not_reached ();
    }
}

GParamSpec **
_db_pool_stats_install (GObjectClass *klass,
                        guint         first_prop_id)
{
  GParamSpec **pspecs = g_new (GParamSpec *, _db_pool_n_stats);

  for (guint i = 0; i < _db_pool_n_stats; i++)
    {
      pspecs[i] = stat_pspec_new (&_db_pool_stats[i]);
      g_object_class_install_property (klass, first_prop_id + i, pspecs[i]);
    }

  return pspecs;
}
