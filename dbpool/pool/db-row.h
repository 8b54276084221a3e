/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(DBPOOL_INSIDE) && !defined(DBPOOL_COMPILATION)
# error "Only <dbpool.h> can be included directly."
#endif

#include <glib-object.h>

#include "db-types.h"
#include "db-rows.h"

G_BEGIN_DECLS

#define DB_TYPE_ROW (db_row_get_type ())

DBPOOL_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (DbRow, db_row, DB, ROW, GObject)

DBPOOL_AVAILABLE_IN_ALL
DbRows      *db_row_get_rows          (DbRow      *self);
DBPOOL_AVAILABLE_IN_ALL
guint        db_row_get_index         (DbRow      *self);
DBPOOL_AVAILABLE_IN_ALL
guint        db_row_get_n_columns     (DbRow      *self);
DBPOOL_AVAILABLE_IN_ALL
int          db_row_get_column_index  (DbRow      *self,
                                       const char *name);
DBPOOL_AVAILABLE_IN_ALL
gboolean     db_row_get_value         (DbRow      *self,
                                       guint       column,
                                       GValue     *value);
DBPOOL_AVAILABLE_IN_ALL
gint64       db_row_get_int64         (DbRow      *self,
                                       guint       column);
DBPOOL_AVAILABLE_IN_ALL
double       db_row_get_double        (DbRow      *self,
                                       guint       column);
DBPOOL_AVAILABLE_IN_ALL
const char  *db_row_get_string        (DbRow      *self,
                                       guint       column);
DBPOOL_AVAILABLE_IN_ALL
GBytes      *db_row_get_bytes         (DbRow      *self,
                                       guint       column);
DBPOOL_AVAILABLE_IN_ALL
gboolean     db_row_is_null           (DbRow      *self,
                                       guint       column);

G_END_DECLS
