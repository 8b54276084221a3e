/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The seam between the pool and a database engine. The pool, the leases
 * (DbConnection, DbStatement, DbRows) and the binder only ever talk to a backend
 * through this header; a backend lives in a folder of its own (dbpool/sqlite/, later
 * dbpool/pgsql/) and is the only code that includes its engine's headers.
 *
 * A backend provides one DbBackend table of functions. Its connection struct starts
 * with a DbBackendConn (the part the pool reads) and its statement struct with a
 * DbBackendStmt. A raw connection, and every statement checked out of it, is used by
 * one thread at a time: whoever holds it (the pool's idle queue, a lease, a worker
 * job). Only interrupt() may be called from another thread.
 *
 * Errors: every function that can fail sets a GError in DB_POOL_ERROR (or
 * G_IO_ERROR_CANCELLED, see interrupt()) whose message carries the engine's own
 * message and, where there is one, the statement; and it records on the connection
 * what the pool must know: @broken for a connection that must not be reused (I/O
 * error, corruption), @full_errors for storage that is full. That one mapping lives
 * in the backend's folder; nothing above it interprets engine result codes.
 *
 * Misuse the pool can see for itself is checked above the seam, once, in db-bind.c
 * (parameter numbers, counts, names, value types): a backend is only asked to bind
 * parameter numbers from 1 to @n_params. */

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
  /* Only this process may use the database while the pool is open (SQLite: the
   * unix-excl VFS, one process-wide lock, the WAL index in memory). */
  gboolean       exclusive;
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

/* The start of every backend's statement struct. A statement is checked out of its
 * connection's cache, used by the connection's holder, and checked in again before
 * the connection goes back to the pool. */
struct _DbBackendStmt
{
  const DbBackend *backend;
  int              n_params;        /* the largest parameter number; fixed */
  int              n_columns;       /* result columns, as of the checkout or the last
                                     * step that returned a row (a schema change may
                                     * re-prepare the statement with other columns) */
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
  /* @truncate_log: the last connection of a closed pool empties the WAL on its way
   * (not if it is @broken). Every statement must have been checked in. */
  void           (*close)           (DbBackendConn           *conn,
                                     gboolean                 truncate_log);
  /* Makes a returned connection safe to hand out again (resets running statements,
   * rolls back an open transaction, forgets an interrupt). FALSE if it can no longer
   * be trusted. */
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
  /* Any thread: the statement running on @conn, if any, fails soon, and from now
   * until reset_for_reuse() a statement that fails because of it fails with
   * G_IO_ERROR_CANCELLED. */
  void           (*interrupt)       (DbBackendConn           *conn);
  /* A write job starts on @conn (a batch runs several on one connection): an
   * interrupt meant for the previous job is forgotten and the last inserted rowid
   * reads 0 until the job inserts, so each job's results are its own. */
  void           (*start_job)       (DbBackendConn           *conn);
  /* The engine's own handle (SQLite's database handle), or NULL where there is none
   * to give. */
  gpointer       (*get_handle)      (DbBackendConn           *conn);

  /* Transactions. The statements that start one: BEGIN IMMEDIATE-like for the writer
   * (takes the write lock now), a plain snapshot for readers. They run as any other
   * statement does; COMMIT and ROLLBACK are the same everywhere. */
  const char    *begin_write_sql;
  const char    *begin_read_sql;
  gboolean       (*in_transaction)    (DbBackendConn         *conn);
  /* The rowid (or the engine's equivalent) of the last row inserted on @conn. */
  gint64         (*last_insert_rowid) (DbBackendConn         *conn);

  /* Statements. checkout() gives the statement for @sql, which must hold exactly one
   * (a second one is MISUSE), from the connection's LRU cache (prepared to be kept on
   * a miss). While checked out nobody else gets it: the same SQL checked out again
   * gets a private copy, discarded at check-in. checkin() resets a cached statement
   * and clears its bindings, so nothing bound for one caller reaches the next. */
  DbBackendStmt *(*checkout)        (DbBackendConn           *conn,
                                     const char              *sql,
                                     GError                 **error);
  /* The first statement of @script, not cached (check it in when done); *@tail is
   * where the rest of the script starts. TRUE with *@stmt_out NULL when only
   * white space and comments are left. */
  gboolean       (*prepare_script)  (DbBackendConn           *conn,
                                     const char              *script,
                                     DbBackendStmt          **stmt_out,
                                     const char             **tail,
                                     GError                 **error);
  void           (*checkin)         (DbBackendStmt           *stmt);
  /* The statement's text as the engine keeps it, for messages. */
  const char    *(*get_sql)         (DbBackendStmt           *stmt);
  /* Whether the statement leaves the database as it is (the READ-lease check). */
  gboolean       (*is_read_only)    (DbBackendStmt           *stmt);

  /* Parameters, numbered from 1, in dbpool's syntax: a name as written, with its
   * prefix (":id", "@id", "$id"), "?NNN" for a numbered positional one, NULL for a
   * plain "?". index() takes such a name and is 0 for an unknown one. */
  const char    *(*param_name)      (DbBackendStmt           *stmt,
                                     int                      index);
  int            (*param_index)     (DbBackendStmt           *stmt,
                                     const char              *name);
  /* Binds copy text and blobs. @index is in range (checked by db-bind.c) and the
   * statement is not running. */
  gboolean       (*bind_null)       (DbBackendStmt           *stmt,
                                     int                      index,
                                     GError                 **error);
  gboolean       (*bind_int64)      (DbBackendStmt           *stmt,
                                     int                      index,
                                     gint64                   value,
                                     GError                 **error);
  gboolean       (*bind_double)     (DbBackendStmt           *stmt,
                                     int                      index,
                                     double                   value,
                                     GError                 **error);
  /* @text is valid UTF-8, @len bytes long. */
  gboolean       (*bind_text)       (DbBackendStmt           *stmt,
                                     int                      index,
                                     const char              *text,
                                     gsize                    len,
                                     GError                 **error);
  /* Zero bytes bind an empty blob, not NULL. */
  gboolean       (*bind_blob)       (DbBackendStmt           *stmt,
                                     int                      index,
                                     gconstpointer            data,
                                     gsize                    len,
                                     GError                 **error);
  /* Every parameter back to NULL. */
  void           (*clear_bindings)  (DbBackendStmt           *stmt);

  /* Running. After DONE or ERROR the statement must be reset before it runs again. */
  DbStepResult   (*step)            (DbBackendStmt           *stmt,
                                     GError                 **error);
  /* Steps to the end, discarding rows: the number of rows the statement itself
   * changed (0 for a query or DDL, whatever ran before it), or -1 with @error. */
  gint64         (*run_to_done)     (DbBackendStmt           *stmt,
                                     GError                 **error);
  /* Back to the start, bindings kept; ends the read a statement stopped before its
   * last row holds open. */
  void           (*reset)           (DbBackendStmt           *stmt);

  /* Columns of the current row (the last step returned ROW), numbered from 0 and in
   * range. Conversions are the engine's own; text and blob pointers are valid until
   * the next step, reset or bind. */
  int            (*column_count)    (DbBackendStmt           *stmt);
  const char    *(*column_name)     (DbBackendStmt           *stmt,
                                     int                      column);
  DbValueKind    (*column_kind)     (DbBackendStmt           *stmt,
                                     int                      column);
  gint64         (*column_int64)    (DbBackendStmt           *stmt,
                                     int                      column);
  double         (*column_double)   (DbBackendStmt           *stmt,
                                     int                      column);
  /* NULL for SQL NULL; *@len (unless @len is NULL: asking costs a call) is the length
   * in bytes, without the NUL that follows. */
  const char    *(*column_text)     (DbBackendStmt           *stmt,
                                     int                      column,
                                     gsize                   *len);
  /* NULL for SQL NULL or an empty blob. */
  gconstpointer  (*column_blob)     (DbBackendStmt           *stmt,
                                     int                      column,
                                     gsize                   *len);
};

/* The backend @path selects: PostgreSQL for a postgresql:// or postgres:// URI (a
 * backend whose open() fails with OPEN when dbpool was built without libpq), SQLite
 * otherwise. */
const DbBackend *_db_backend_for_path (const char *path);

/* Call sites read better through these, and each costs one indirect call. */

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

static inline gboolean
_db_backend_conn_set_read_only (DbBackendConn  *conn,
                                gboolean        read_only,
                                GError        **error)
{
  return conn->backend->set_read_only (conn, read_only, error);
}

static inline int
_db_backend_conn_get_read_only (DbBackendConn *conn)
{
  return conn->backend->get_read_only (conn);
}

static inline gboolean
_db_backend_conn_check_not_moved (DbBackendConn  *conn,
                                  GError        **error)
{
  return conn->backend->check_not_moved (conn, error);
}

static inline gboolean
_db_backend_conn_checkpoint (DbBackendConn    *conn,
                             DbCheckpointMode  mode)
{
  return conn->backend->checkpoint (conn, mode);
}

static inline void
_db_backend_conn_interrupt (DbBackendConn *conn)
{
  conn->backend->interrupt (conn);
}

static inline void
_db_backend_conn_start_job (DbBackendConn *conn)
{
  conn->backend->start_job (conn);
}

static inline gpointer
_db_backend_conn_get_handle (DbBackendConn *conn)
{
  return conn->backend->get_handle (conn);
}

static inline gboolean
_db_backend_conn_in_transaction (DbBackendConn *conn)
{
  return conn->backend->in_transaction (conn);
}

static inline gint64
_db_backend_conn_last_insert_rowid (DbBackendConn *conn)
{
  return conn->backend->last_insert_rowid (conn);
}

static inline DbBackendStmt *
_db_backend_conn_checkout (DbBackendConn  *conn,
                           const char     *sql,
                           GError        **error)
{
  return conn->backend->checkout (conn, sql, error);
}

static inline gboolean
_db_backend_conn_prepare_script (DbBackendConn  *conn,
                                 const char     *script,
                                 DbBackendStmt **stmt_out,
                                 const char    **tail,
                                 GError        **error)
{
  return conn->backend->prepare_script (conn, script, stmt_out, tail, error);
}

static inline void
_db_backend_stmt_checkin (DbBackendStmt *stmt)
{
  stmt->backend->checkin (stmt);
}

static inline const char *
_db_backend_stmt_get_sql (DbBackendStmt *stmt)
{
  return stmt->backend->get_sql (stmt);
}

static inline gboolean
_db_backend_stmt_is_read_only (DbBackendStmt *stmt)
{
  return stmt->backend->is_read_only (stmt);
}

static inline const char *
_db_backend_stmt_param_name (DbBackendStmt *stmt,
                             int            index)
{
  return stmt->backend->param_name (stmt, index);
}

static inline int
_db_backend_stmt_param_index (DbBackendStmt *stmt,
                              const char    *name)
{
  return stmt->backend->param_index (stmt, name);
}

static inline void
_db_backend_stmt_clear_bindings (DbBackendStmt *stmt)
{
  stmt->backend->clear_bindings (stmt);
}

static inline DbStepResult
_db_backend_stmt_step (DbBackendStmt  *stmt,
                       GError        **error)
{
  return stmt->backend->step (stmt, error);
}

static inline gint64
_db_backend_stmt_run_to_done (DbBackendStmt  *stmt,
                              GError        **error)
{
  return stmt->backend->run_to_done (stmt, error);
}

static inline void
_db_backend_stmt_reset (DbBackendStmt *stmt)
{
  stmt->backend->reset (stmt);
}

static inline int
_db_backend_stmt_column_count (DbBackendStmt *stmt)
{
  return stmt->backend->column_count (stmt);
}

static inline const char *
_db_backend_stmt_column_name (DbBackendStmt *stmt,
                              int            column)
{
  return stmt->backend->column_name (stmt, column);
}

static inline DbValueKind
_db_backend_stmt_column_kind (DbBackendStmt *stmt,
                              int            column)
{
  return stmt->backend->column_kind (stmt, column);
}

static inline gint64
_db_backend_stmt_column_int64 (DbBackendStmt *stmt,
                               int            column)
{
  return stmt->backend->column_int64 (stmt, column);
}

static inline double
_db_backend_stmt_column_double (DbBackendStmt *stmt,
                                int            column)
{
  return stmt->backend->column_double (stmt, column);
}

static inline const char *
_db_backend_stmt_column_text (DbBackendStmt *stmt,
                              int            column,
                              gsize         *len)
{
  return stmt->backend->column_text (stmt, column, len);
}

static inline gconstpointer
_db_backend_stmt_column_blob (DbBackendStmt *stmt,
                              int            column,
                              gsize         *len)
{
  return stmt->backend->column_blob (stmt, column, len);
}

G_END_DECLS
