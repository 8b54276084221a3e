/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The SQLite backend's own structs and helpers, shared by the files of this folder
 * (and by tests that look behind the seam). Nothing outside dbpool/sqlite/ includes
 * this header, nor <sqlite3.h>. */

#include <glib.h>
#include <sqlite3.h>

#include "db-backend-private.h"

G_BEGIN_DECLS

typedef struct _DbSqliteStmt DbSqliteStmt;

/* One open SQLite handle. */
typedef struct
{
  DbBackendConn  base;
  sqlite3       *db;
  GHashTable    *stmt_cache;    /* sql → DbSqliteStmt */
  DbSqliteStmt  *memo[8];       /* recent lookups by the caller's SQL pointer: no hashing */
  GQueue         lru;           /* of cached DbSqliteStmt, most recently used first */
  guint          cache_capacity;
  sqlite3_stmt  *query_only_on;
  sqlite3_stmt  *query_only_off;
  int            query_only;    /* current PRAGMA query_only state; -1 unknown */
  int            interrupted;   /* atomic: interrupt() was called since the last reuse */
} DbSqliteConn;

/* A statement: a cached one (@sql set, in the connection's cache and LRU) or a
 * private copy (@sql NULL, finalized at check-in). */
struct _DbSqliteStmt
{
  DbBackendStmt  base;
  DbSqliteConn  *conn;
  sqlite3_stmt  *stmt;
  GList          link;          /* in conn->lru; data = self */
  char          *sql;           /* the cache key */
  gboolean       in_use;        /* checked out: nobody else may step it */
  gboolean       evicted;       /* left the cache while in use: freed at check-in */
};

static inline DbSqliteConn *
_db_sqlite_conn (DbBackendConn *conn)
{
  return (DbSqliteConn *) conn;
}

static inline DbSqliteStmt *
_db_sqlite_stmt (DbBackendStmt *stmt)
{
  return (DbSqliteStmt *) stmt;
}

void           _db_sqlite_global_init    (void);

/* db-sqlite-error.c: the one place SQLite result codes become DbPoolError codes. */
DbPoolError    _db_sqlite_error_code     (int            rc);
/* TRUE for result codes after which a connection can no longer be trusted (I/O
 * errors, corruption, out of memory): it is discarded on release. */
gboolean       _db_sqlite_rc_is_fatal    (int            rc);
/* Records @rc on @conn if it leaves the connection in doubt or the storage full. */
void           _db_sqlite_note_result    (DbSqliteConn  *conn,
                                          int            rc);
/* Sets @error from @rc (noting it on @conn first): SQLite's message for the
 * connection and the first line of @sql (when not NULL); an interrupt that
 * interrupt() asked for is G_IO_ERROR_CANCELLED. */
void           _db_sqlite_set_error      (DbSqliteConn  *conn,
                                          GError       **error,
                                          int            rc,
                                          const char    *sql);

/* db-sqlite-lock.c: who holds the database file (/proc/locks, Linux). A SQLITE_BUSY
 * @rc while opening as DB_POOL_ERROR_BUSY, naming the process that holds the file
 * where it can be told; and after an exclusive open, FALSE (DB_POOL_ERROR_OPEN) if
 * the process did not get the file to itself. */
void           _db_sqlite_set_busy_error     (sqlite3                  *db,
                                              const char               *path,
                                              gboolean                  exclusive,
                                              int                       rc,
                                              GError                  **error);
gboolean       _db_sqlite_check_exclusive    (sqlite3                  *db,
                                              const char               *path,
                                              GError                  **error);

/* db-sqlite-conn.c */
DbBackendConn *_db_sqlite_open               (const DbBackendSettings  *settings,
                                              GError                  **error);
void           _db_sqlite_close              (DbBackendConn            *conn,
                                              gboolean                  truncate_log);
gboolean       _db_sqlite_reset_for_reuse    (DbBackendConn            *conn);
gboolean       _db_sqlite_set_read_only      (DbBackendConn            *conn,
                                              gboolean                  read_only,
                                              GError                  **error);
int            _db_sqlite_get_read_only      (DbBackendConn            *conn);
gboolean       _db_sqlite_check_not_moved    (DbBackendConn            *conn,
                                              GError                  **error);
gboolean       _db_sqlite_checkpoint         (DbBackendConn            *conn,
                                              DbCheckpointMode          mode);
void           _db_sqlite_interrupt          (DbBackendConn            *conn);
void           _db_sqlite_start_job          (DbBackendConn            *conn);
gpointer       _db_sqlite_get_handle         (DbBackendConn            *conn);
gboolean       _db_sqlite_in_transaction     (DbBackendConn            *conn);
gint64         _db_sqlite_last_insert_rowid  (DbBackendConn            *conn);

/* db-sqlite-stmt.c */
void           _db_sqlite_cache_clear        (DbSqliteConn             *conn);
DbBackendStmt *_db_sqlite_checkout           (DbBackendConn            *conn,
                                              const char               *sql,
                                              GError                  **error);
gboolean       _db_sqlite_prepare_script     (DbBackendConn            *conn,
                                              const char               *script,
                                              DbBackendStmt           **stmt_out,
                                              const char              **tail,
                                              GError                  **error);
void           _db_sqlite_checkin            (DbBackendStmt            *stmt);
const char    *_db_sqlite_get_sql            (DbBackendStmt            *stmt);
gboolean       _db_sqlite_is_read_only       (DbBackendStmt            *stmt);
const char    *_db_sqlite_param_name         (DbBackendStmt            *stmt,
                                              int                       index);
int            _db_sqlite_param_index        (DbBackendStmt            *stmt,
                                              const char               *name);
gboolean       _db_sqlite_bind_null          (DbBackendStmt            *stmt,
                                              int                       index,
                                              GError                  **error);
gboolean       _db_sqlite_bind_int64         (DbBackendStmt            *stmt,
                                              int                       index,
                                              gint64                    value,
                                              GError                  **error);
gboolean       _db_sqlite_bind_double        (DbBackendStmt            *stmt,
                                              int                       index,
                                              double                    value,
                                              GError                  **error);
gboolean       _db_sqlite_bind_text          (DbBackendStmt            *stmt,
                                              int                       index,
                                              const char               *text,
                                              gsize                     len,
                                              GError                  **error);
gboolean       _db_sqlite_bind_blob          (DbBackendStmt            *stmt,
                                              int                       index,
                                              gconstpointer             data,
                                              gsize                     len,
                                              GError                  **error);
void           _db_sqlite_clear_bindings     (DbBackendStmt            *stmt);
DbStepResult   _db_sqlite_step               (DbBackendStmt            *stmt,
                                              GError                  **error);
gint64         _db_sqlite_run_to_done        (DbBackendStmt            *stmt,
                                              GError                  **error);
void           _db_sqlite_reset              (DbBackendStmt            *stmt);
int            _db_sqlite_column_count       (DbBackendStmt            *stmt);
const char    *_db_sqlite_column_name        (DbBackendStmt            *stmt,
                                              int                       column);
DbValueKind    _db_sqlite_column_kind        (DbBackendStmt            *stmt,
                                              int                       column);
gint64         _db_sqlite_column_int64       (DbBackendStmt            *stmt,
                                              int                       column);
double         _db_sqlite_column_double      (DbBackendStmt            *stmt,
                                              int                       column);
const char    *_db_sqlite_column_text        (DbBackendStmt            *stmt,
                                              int                       column,
                                              gsize                    *len);
gconstpointer  _db_sqlite_column_blob        (DbBackendStmt            *stmt,
                                              int                       column,
                                              gsize                    *len);

G_END_DECLS
