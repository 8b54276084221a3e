/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(DBPOOL_INSIDE) && !defined(DBPOOL_COMPILATION)
# error "Only <dbpool.h> can be included directly."
#endif

#include <glib.h>

#include "db-version-macros.h"

G_BEGIN_DECLS

/**
 * DbAccess:
 * @DB_ACCESS_READ: a read lease: runs concurrently with other reads and with the
 *   writer; any statement that would write fails with %DB_POOL_ERROR_READ_ONLY.
 * @DB_ACCESS_WRITE: a write lease: at most one is outstanding at a time; further
 *   write acquires queue in the pool (never in SQLite's busy handler).
 *
 * What a lease will be used for.
 */
typedef enum {
  DB_ACCESS_READ,
  DB_ACCESS_WRITE,
} DbAccess;

/**
 * DbSynchronous:
 * @DB_SYNCHRONOUS_OFF: no fsync at all; a power loss can corrupt the database.
 * @DB_SYNCHRONOUS_NORMAL: in WAL mode, commits survive a process crash; the last
 *   commits may be lost on power loss. The default.
 * @DB_SYNCHRONOUS_FULL: every commit is fsynced before it is acknowledged.
 * @DB_SYNCHRONOUS_EXTRA: like FULL, and the directory is synced too.
 *
 * The value of SQLite's `synchronous` pragma for every pooled connection.
 */
typedef enum {
  DB_SYNCHRONOUS_OFF,
  DB_SYNCHRONOUS_NORMAL,
  DB_SYNCHRONOUS_FULL,
  DB_SYNCHRONOUS_EXTRA,
} DbSynchronous;

/**
 * DbSeverity:
 * @DB_SEVERITY_ERROR: an error (LSP value 1)
 * @DB_SEVERITY_WARNING: a warning (LSP value 2)
 * @DB_SEVERITY_INFORMATION: information (LSP value 3)
 * @DB_SEVERITY_HINT: a hint (LSP value 4)
 *
 * The severity of an LSP diagnostic, with the protocol's numeric values.
 */
typedef enum {
  DB_SEVERITY_ERROR = 1,
  DB_SEVERITY_WARNING = 2,
  DB_SEVERITY_INFORMATION = 3,
  DB_SEVERITY_HINT = 4,
} DbSeverity;

/**
 * DbCircuitState:
 * @DB_CIRCUIT_CLOSED: opening connections works; the normal state.
 * @DB_CIRCUIT_OPEN: opening connections failed
 *   [property@DbPool.PoolConfig:circuit-breaker-threshold] times in a row: acquires
 *   that need a new connection fail at once with %DB_POOL_ERROR_OPEN until the
 *   cool-down is over. Idle connections are still handed out.
 * @DB_CIRCUIT_HALF_OPEN: the cool-down is over and one trial open is running; other
 *   acquires that need a new connection wait for its outcome.
 *
 * The state of a pool's circuit breaker, see [property@DbPool.Pool:circuit-state].
 */
typedef enum {
  DB_CIRCUIT_CLOSED,
  DB_CIRCUIT_OPEN,
  DB_CIRCUIT_HALF_OPEN,
} DbCircuitState;

/**
 * DB_POOL_ERROR:
 *
 * The error domain of dbpool. Errors in this domain are from the
 * [error@DbPool.PoolError] enumeration.
 */
#define DB_POOL_ERROR (db_pool_error_quark ())

/**
 * DbPoolError:
 * @DB_POOL_ERROR_FAILED: an error that fits no other code (SQLite's message says more).
 * @DB_POOL_ERROR_TIMEOUT: no connection became available within
 *   [property@DbPool.PoolConfig:connection-timeout-ms].
 * @DB_POOL_ERROR_CLOSED: the pool is closed or closing.
 * @DB_POOL_ERROR_INVALID_CONFIG: a configuration value is invalid; the message names the key.
 * @DB_POOL_ERROR_OPEN: a database connection could not be opened or set up.
 * @DB_POOL_ERROR_SQL: the SQL is invalid (syntax error, unknown table or column, ...).
 * @DB_POOL_ERROR_CONSTRAINT: a constraint (UNIQUE, NOT NULL, CHECK, FOREIGN KEY) was violated.
 * @DB_POOL_ERROR_BUSY: the database is locked by another process beyond busy-timeout-ms.
 * @DB_POOL_ERROR_READ_ONLY: a write was attempted on a read lease or a read-only database.
 * @DB_POOL_ERROR_IO: an I/O error, including a full disk; the connection is discarded.
 * @DB_POOL_ERROR_CORRUPT: the database file is corrupt or is not a database.
 * @DB_POOL_ERROR_MISUSE: the API was used wrongly: a released lease, wrong parameter
 *   count or type, more than one statement where one is expected.
 * @DB_POOL_ERROR_INVALID_INPUT: input data (for instance LSP JSON) is malformed; the
 *   message names the offending field.
 *
 * Error codes of the %DB_POOL_ERROR domain. Cancellation is reported as
 * %G_IO_ERROR_CANCELLED, not in this domain.
 */
typedef enum {
  DB_POOL_ERROR_FAILED,
  DB_POOL_ERROR_TIMEOUT,
  DB_POOL_ERROR_CLOSED,
  DB_POOL_ERROR_INVALID_CONFIG,
  DB_POOL_ERROR_OPEN,
  DB_POOL_ERROR_SQL,
  DB_POOL_ERROR_CONSTRAINT,
  DB_POOL_ERROR_BUSY,
  DB_POOL_ERROR_READ_ONLY,
  DB_POOL_ERROR_IO,
  DB_POOL_ERROR_CORRUPT,
  DB_POOL_ERROR_MISUSE,
  DB_POOL_ERROR_INVALID_INPUT,
} DbPoolError;

DBPOOL_AVAILABLE_IN_ALL
GQuark db_pool_error_quark (void);

G_END_DECLS
