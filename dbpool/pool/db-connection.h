/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(DBPOOL_INSIDE) && !defined(DBPOOL_COMPILATION)
# error "Only <dbpool.h> can be included directly."
#endif

#include <gio/gio.h>

#include "db-types.h"
#include "db-rows.h"
#include "db-statement.h"

G_BEGIN_DECLS

/* The handle db_connection_get_handle() returns (SQLite's `sqlite3`); SQLite's own
 * header says what to do with it. A struct tag rather than a typedef: the
 * introspection scanner would want a namespace for the typedef. */
struct sqlite3;

#define DB_TYPE_CONNECTION (db_connection_get_type ())

DBPOOL_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (DbConnection, db_connection, DB, CONNECTION, GObject)

DBPOOL_AVAILABLE_IN_ALL
gint64    db_connection_execute               (DbConnection  *self,
                                               const char    *sql,
                                               GVariant      *params,
                                               GError       **error);
DBPOOL_AVAILABLE_IN_ALL
DbRows   *db_connection_query                 (DbConnection  *self,
                                               const char    *sql,
                                               GVariant      *params,
                                               GError       **error);
DBPOOL_AVAILABLE_IN_ALL
DbStatement *db_connection_prepare            (DbConnection  *self,
                                               const char    *sql,
                                               GError       **error);
DBPOOL_AVAILABLE_IN_ALL
gboolean  db_connection_execute_script        (DbConnection  *self,
                                               const char    *sql,
                                               GError       **error);
DBPOOL_AVAILABLE_IN_ALL
gint64    db_connection_get_last_insert_rowid (DbConnection  *self);
DBPOOL_AVAILABLE_IN_ALL
gboolean  db_connection_begin                 (DbConnection  *self,
                                               GError       **error);
DBPOOL_AVAILABLE_IN_ALL
gboolean  db_connection_commit                (DbConnection  *self,
                                               GError       **error);
DBPOOL_AVAILABLE_IN_ALL
gboolean  db_connection_rollback              (DbConnection  *self,
                                               GError       **error);
DBPOOL_AVAILABLE_IN_ALL
gboolean  db_connection_in_transaction        (DbConnection  *self);
DBPOOL_AVAILABLE_IN_ALL
DbAccess  db_connection_get_access            (DbConnection  *self);
DBPOOL_AVAILABLE_IN_ALL
gboolean  db_connection_is_released          (DbConnection  *self);
DBPOOL_AVAILABLE_IN_ALL
void      db_connection_release               (DbConnection  *self);
DBPOOL_AVAILABLE_IN_ALL
gboolean  db_connection_reacquire             (DbConnection  *self,
                                               GCancellable  *cancellable,
                                               GError       **error);
DBPOOL_AVAILABLE_IN_ALL
struct sqlite3 *db_connection_get_handle      (DbConnection  *self);
DBPOOL_AVAILABLE_IN_ALL
gint64    db_connection_get_created_at_us     (DbConnection  *self);
DBPOOL_AVAILABLE_IN_ALL
gint64    db_connection_get_last_used_us      (DbConnection  *self);
DBPOOL_AVAILABLE_IN_ALL
gint64    db_connection_get_age_us            (DbConnection  *self);
DBPOOL_AVAILABLE_IN_ALL
gint64    db_connection_get_idle_time_us      (DbConnection  *self);

G_END_DECLS
