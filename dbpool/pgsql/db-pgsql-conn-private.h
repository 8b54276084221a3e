/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The PostgreSQL backend's own structs, shared by the files of this folder. Nothing
 * outside dbpool/pgsql/ includes this header, nor <libpq-fe.h>. */

#include <glib.h>
#include <libpq-fe.h>

#include "db-backend-private.h"

G_BEGIN_DECLS

typedef struct _DbPgStmt DbPgStmt;

/* One PGconn. */
typedef struct
{
  DbBackendConn  base;
  PGconn        *pg;
  PGcancel      *cancel;        /* made once at open, so interrupt() allocates nothing */
  GHashTable    *stmt_cache;    /* sql → DbPgStmt */
  guint          cache_capacity;
  guint          next_name;     /* the server-side statement names, s1, s2, … */
  GPtrArray     *to_deallocate; /* names of private copies, dropped at the next reuse */
  int            read_only;     /* the session's default; -1 unknown */
  int            interrupted;   /* atomic: interrupt() was called since the last reuse */
} DbPgConn;

/* A statement: cached (@cached, in the connection's cache) or a private copy (freed
 * at check-in; its server-side statement is deallocated at the next reuse). Scripts
 * run unnamed (@name[0] == '\0') through PQexecParams. */
struct _DbPgStmt
{
  DbBackendStmt  base;
  DbPgConn      *conn;
  char          *sql;           /* as the caller wrote it: the cache key, messages */
  char          *pg_sql;        /* with $n */
  char           name[24];
  GPtrArray     *param_names;   /* index 0 is $1 */
  char         **values;        /* n_params; NULL is SQL NULL */
  int           *lengths;
  int           *formats;       /* 1 (binary) for blobs, so bytea needs no escaping */
  gboolean       cached;
  gboolean       in_use;
  gboolean       read_only;
  PGresult      *desc;          /* the prepared statement's description: column
                                 * names before the first step */
  PGresult      *res;           /* after the first step */
  int            row;           /* the current row of @res */
  guchar       **blobs;         /* decoded bytea of the current row, per column */
  size_t        *blob_lens;
};

static inline DbPgConn *
_db_pgsql_conn (DbBackendConn *conn)
{
  return (DbPgConn *) conn;
}

static inline DbPgStmt *
_db_pgsql_stmt (DbBackendStmt *stmt)
{
  return (DbPgStmt *) stmt;
}

/* db-pgsql-error.c: the one place SQLSTATEs become DbPoolError codes. */
/* Sets @error from @res (NULL: from the connection's message): PostgreSQL's message,
 * its SQLSTATE and the first line of @sql. A lost connection is IO and marks @conn
 * broken; 57014 (query_canceled) is G_IO_ERROR_CANCELLED. */
void           _db_pgsql_set_error       (DbPgConn      *conn,
                                          GError       **error,
                                          const PGresult *res,
                                          const char    *sql);
/* The DbPoolError code for @sqlstate (not 57014). */
DbPoolError    _db_pgsql_error_code      (const char    *sqlstate);
/* Runs @sql (no parameters, no rows wanted); FALSE with @error. */
gboolean       _db_pgsql_exec            (DbPgConn      *conn,
                                          const char    *sql,
                                          GError       **error);

/* db-pgsql-conn.c */
DbBackendConn *_db_pgsql_open               (const DbBackendSettings  *settings,
                                             GError                  **error);
void           _db_pgsql_close              (DbBackendConn            *conn,
                                             gboolean                  truncate_log);
gboolean       _db_pgsql_reset_for_reuse    (DbBackendConn            *conn);
gboolean       _db_pgsql_set_read_only      (DbBackendConn            *conn,
                                             gboolean                  read_only,
                                             GError                  **error);
int            _db_pgsql_get_read_only      (DbBackendConn            *conn);
gboolean       _db_pgsql_check_not_moved    (DbBackendConn            *conn,
                                             GError                  **error);
gboolean       _db_pgsql_checkpoint         (DbBackendConn            *conn,
                                             DbCheckpointMode          mode);
void           _db_pgsql_interrupt          (DbBackendConn            *conn);
void           _db_pgsql_start_job          (DbBackendConn            *conn);
gpointer       _db_pgsql_get_handle         (DbBackendConn            *conn);
gboolean       _db_pgsql_in_transaction     (DbBackendConn            *conn);
gint64         _db_pgsql_last_insert_rowid  (DbBackendConn            *conn);

/* db-pgsql-stmt.c */
void           _db_pgsql_cache_clear        (DbPgConn                 *conn);
DbBackendStmt *_db_pgsql_checkout           (DbBackendConn            *conn,
                                             const char               *sql,
                                             GError                  **error);
gboolean       _db_pgsql_prepare_script     (DbBackendConn            *conn,
                                             const char               *script,
                                             DbBackendStmt           **stmt_out,
                                             const char              **tail,
                                             GError                  **error);
void           _db_pgsql_checkin            (DbBackendStmt            *stmt);
const char    *_db_pgsql_get_sql            (DbBackendStmt            *stmt);
gboolean       _db_pgsql_is_read_only       (DbBackendStmt            *stmt);
const char    *_db_pgsql_param_name         (DbBackendStmt            *stmt,
                                             int                       index);
int            _db_pgsql_param_index        (DbBackendStmt            *stmt,
                                             const char               *name);
gboolean       _db_pgsql_bind_null          (DbBackendStmt            *stmt,
                                             int                       index,
                                             GError                  **error);
gboolean       _db_pgsql_bind_int64         (DbBackendStmt            *stmt,
                                             int                       index,
                                             gint64                    value,
                                             GError                  **error);
gboolean       _db_pgsql_bind_double        (DbBackendStmt            *stmt,
                                             int                       index,
                                             double                    value,
                                             GError                  **error);
gboolean       _db_pgsql_bind_text          (DbBackendStmt            *stmt,
                                             int                       index,
                                             const char               *text,
                                             gsize                     len,
                                             GError                  **error);
gboolean       _db_pgsql_bind_blob          (DbBackendStmt            *stmt,
                                             int                       index,
                                             gconstpointer             data,
                                             gsize                     len,
                                             GError                  **error);
void           _db_pgsql_clear_bindings     (DbBackendStmt            *stmt);
DbStepResult   _db_pgsql_step               (DbBackendStmt            *stmt,
                                             GError                  **error);
gint64         _db_pgsql_run_to_done        (DbBackendStmt            *stmt,
                                             GError                  **error);
void           _db_pgsql_reset              (DbBackendStmt            *stmt);
int            _db_pgsql_column_count       (DbBackendStmt            *stmt);
const char    *_db_pgsql_column_name        (DbBackendStmt            *stmt,
                                             int                       column);
DbValueKind    _db_pgsql_column_kind        (DbBackendStmt            *stmt,
                                             int                       column);
gint64         _db_pgsql_column_int64       (DbBackendStmt            *stmt,
                                             int                       column);
double         _db_pgsql_column_double      (DbBackendStmt            *stmt,
                                             int                       column);
const char    *_db_pgsql_column_text        (DbBackendStmt            *stmt,
                                             int                       column,
                                             gsize                    *len);
gconstpointer  _db_pgsql_column_blob        (DbBackendStmt            *stmt,
                                             int                       column,
                                             gsize                    *len);

G_END_DECLS
