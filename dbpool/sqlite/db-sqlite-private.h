/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <sqlite3.h>

#include "db-types.h"
#include "db-pool-health-private.h"

G_BEGIN_DECLS

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
} DbConnSettings;

typedef struct _DbStmtEntry DbStmtEntry;

/* One open SQLite handle owned by a pool. It is used by exactly one thread at a time:
 * whoever holds it (an idle queue under the pool lock, a lease, or a worker job). */
typedef struct _DbConn
{
  GList          link;          /* in the pool's idle or leased queue, or a batch */
  sqlite3       *db;
  GHashTable    *stmt_cache;    /* sql → DbStmtEntry */
  DbStmtEntry   *memo[8];       /* recent lookups by the caller's SQL pointer: no hashing */
  GQueue         lru;           /* of DbStmtEntry, most recently used first */
  guint          cache_capacity;
  gint64         created_at_us; /* monotonic */
  gint64         last_used_us;  /* monotonic */
  sqlite3_stmt  *query_only_on;
  sqlite3_stmt  *query_only_off;
  int            query_only;    /* current PRAGMA query_only state; -1 unknown */
  int            last_fatal_rc; /* nonzero once an I/O / corruption error was seen */
  guint          full_errors;   /* SQLITE_FULL seen since the last return to the pool */
  gboolean       checkpoint_on_close;
  gboolean       handle_exposed; /* raw handle given out during this lease */

  /* While leased; guarded by the pool lock. */
  gint64         leased_at_us;
  gboolean       leak_reported;
  DbLeaseOrigin  origin;
} DbConn;

void          _db_sqlite_global_init     (void);

void          _db_conn_settings_clear    (DbConnSettings        *settings);
DbConn       *_db_conn_open              (const DbConnSettings  *settings,
                                          GError               **error);
void          _db_conn_close             (DbConn                *conn);

/* A statement for @sql, which must hold exactly one, from the connection's LRU cache
 * (prepared with SQLITE_PREPARE_PERSISTENT on a miss). While checked out nobody else
 * gets it: the same SQL checked out twice gets a private copy (*entry_out = NULL).
 * Give it back with _db_conn_checkin_statement(), which resets and unbinds a cached
 * one and finalizes a copy. */
sqlite3_stmt *_db_conn_checkout_statement (DbConn               *conn,
                                           const char           *sql,
                                           DbStmtEntry         **entry_out,
                                           GError              **error);
void          _db_conn_checkin_statement  (DbConn               *conn,
                                           sqlite3_stmt         *stmt,
                                           DbStmtEntry          *entry);

/* Steps @stmt to completion, discarding rows. On SQLITE_DONE *changes is the number
 * of rows @stmt itself changed; returns SQLite's last result code. */
int           _db_stmt_run_to_done        (sqlite3_stmt         *stmt,
                                           gint64               *changes);

gboolean      _db_conn_set_query_only    (DbConn                *conn,
                                          gboolean               query_only,
                                          GError               **error);

/* Makes a returned connection safe to hand out again: resets running statements and
 * rolls back an open transaction. FALSE if it can no longer be trusted. */
gboolean      _db_conn_reset_for_reuse   (DbConn                *conn);

/* Records @rc if it leaves the connection in doubt. */
void          _db_conn_note_result       (DbConn                *conn,
                                          int                    rc);

/* FALSE (and the connection marked broken) if the database file was deleted, renamed
 * or replaced since the connection opened it. */
gboolean      _db_conn_check_not_moved   (DbConn                *conn,
                                          GError               **error);

gboolean      _db_conn_checkpoint        (DbConn                *conn,
                                          int                    mode);

G_END_DECLS
