/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The seam between the pool and a database engine. The pool, the leases
 * (DbConnection, DbStatement, DbRows) and the binder only ever talk to a backend
 * through this header; a backend lives in a folder of its own (dbpool/sqlite/, later
 * dbpool/pgsql/) and is the only code that includes its engine's headers.
 *
 * A backend provides one DbBackend table of functions. Its connection struct starts
 * with a DbBackendConn (the part the pool reads) and its statements are opaque
 * DbBackendStmt pointers. A raw connection is used by one thread at a time: whoever
 * holds it (the pool's idle queue, a lease, a worker job). Only interrupt() may be
 * called from another thread.
 *
 * Errors: every function that can fail sets a GError in DB_POOL_ERROR (or
 * G_IO_ERROR_CANCELLED, see interrupt()) whose message carries the engine's own
 * message and, where there is one, the statement; and it records on the connection
 * what the pool must know: @broken for a connection that must not be reused (I/O
 * error, corruption), @full_errors for storage that is full. That one mapping lives
 * in the backend's folder; nothing above it interprets engine result codes. */

#include <gio/gio.h>

#include "db-types.h"

G_BEGIN_DECLS

typedef struct _DbBackend     DbBackend;
typedef struct _DbBackendConn DbBackendConn;
typedef struct _DbBackendStmt DbBackendStmt;

/* What a connection needs from the configuration; copied once at pool start so the
 * hot paths never touch the GObject config. */
typedef struct
{
  char          *path;
  guint          busy_timeout_ms;
  gboolean       enable_wal;
  DbSynchronous  synchronous;
  guint          statement_cache_size;
  /* Only the pool's first open may create the database: a file removed while the
   * pool runs must be an error, not a silently new, empty database. Atomic. */
  int            may_create;
} DbBackendSettings;

void _db_backend_settings_clear (DbBackendSettings *settings);

/* The start of every backend's connection struct: what the pool and the leases read
 * and write. Owned by whoever holds the connection (never guarded by the pool lock:
 * the pool's own bookkeeping is in its DbSlot). */
struct _DbBackendConn
{
  const DbBackend *backend;
  gint64           created_at_us;   /* monotonic */
  gint64           last_used_us;    /* monotonic */
  gboolean         broken;          /* must be closed, not reused */
  guint            full_errors;     /* statements that failed on full storage since the
                                     * pool last collected them */
  gboolean         handle_exposed;  /* the engine handle was given out on this lease */
};

typedef enum
{
  DB_CHECKPOINT_PASSIVE,     /* copy what can be copied; never waits */
  DB_CHECKPOINT_TRUNCATE,    /* copy everything and empty the log (on close) */
} DbCheckpointMode;

typedef enum
{
  DB_STEP_ROW,
  DB_STEP_DONE,
  DB_STEP_ERROR,
} DbStepResult;

typedef enum
{
  DB_VALUE_NULL,
  DB_VALUE_INT64,
  DB_VALUE_DOUBLE,
  DB_VALUE_TEXT,
  DB_VALUE_BLOB,
} DbValueKind;

struct _DbBackend
{
  const char *name;   /* "sqlite" */

  /* Connections. */
  DbBackendConn *(*open)            (const DbBackendSettings *settings,
                                     GError                 **error);
  /* @truncate_log: the last connection of a closed pool empties the WAL on its way. */
  void           (*close)           (DbBackendConn           *conn,
                                     gboolean                 truncate_log);
  /* Makes a returned connection safe to hand out again (resets running statements,
   * rolls back an open transaction). FALSE if it can no longer be trusted. */
  gboolean       (*reset_for_reuse) (DbBackendConn           *conn);
  /* Read leases are really read-only. Cheap when the mode does not change. */
  gboolean       (*set_read_only)   (DbBackendConn           *conn,
                                     gboolean                 read_only,
                                     GError                 **error);
  /* Whether the connection is in read-only mode now (-1 unknown); the pool prefers
   * idle connections already in the mode a request needs. */
  int            (*get_read_only)   (DbBackendConn           *conn);
  /* FALSE (and @broken set) if the database was deleted, renamed or replaced since the
   * connection opened it. Called once per write lease. */
  gboolean       (*check_not_moved) (DbBackendConn           *conn,
                                     GError                 **error);
  gboolean       (*checkpoint)      (DbBackendConn           *conn,
                                     DbCheckpointMode         mode);
  /* Any thread: the statement running on @conn, if any, fails soon. */
  void           (*interrupt)       (DbBackendConn           *conn);
  /* The engine's own handle (sqlite3 *), or NULL where there is none to give. */
  gpointer       (*get_handle)      (DbBackendConn           *conn);
};

/* The backend @path selects. Only SQLite for now. */
const DbBackend *_db_backend_for_path (const char *path);

static inline DbBackendConn *
_db_backend_open (const DbBackend          *backend,
                  const DbBackendSettings  *settings,
                  GError                  **error)
{
  return backend->open (settings, error);
}

static inline void
_db_backend_conn_close (DbBackendConn *conn,
                        gboolean       truncate_log)
{
  conn->backend->close (conn, truncate_log);
}

static inline gboolean
_db_backend_conn_reset_for_reuse (DbBackendConn *conn)
{
  return conn->backend->reset_for_reuse (conn);
}

static inline int
_db_backend_conn_get_read_only (DbBackendConn *conn)
{
  return conn->backend->get_read_only (conn);
}

static inline gboolean
_db_backend_conn_checkpoint (DbBackendConn    *conn,
                             DbCheckpointMode  mode)
{
  return conn->backend->checkpoint (conn, mode);
}

G_END_DECLS
