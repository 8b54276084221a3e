/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(DBPOOL_INSIDE) && !defined(DBPOOL_COMPILATION)
# error "Only <dbpool.h> can be included directly."
#endif

#include <gio/gio.h>

#include "db-types.h"

G_BEGIN_DECLS

#define DB_TYPE_ROWS (db_rows_get_type ())

DBPOOL_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (DbRows, db_rows, DB, ROWS, GObject)

DBPOOL_AVAILABLE_IN_ALL
guint        db_rows_get_n_rows       (DbRows *self);
DBPOOL_AVAILABLE_IN_ALL
guint        db_rows_get_n_columns    (DbRows *self);
DBPOOL_AVAILABLE_IN_ALL
const char  *db_rows_get_column_name  (DbRows *self, guint column);
DBPOOL_AVAILABLE_IN_ALL
int          db_rows_get_column_index (DbRows *self, const char *name);
DBPOOL_AVAILABLE_IN_ALL
gboolean     db_rows_get_value        (DbRows *self, guint row, guint column, GValue *value);
DBPOOL_AVAILABLE_IN_ALL
gint64       db_rows_get_int64        (DbRows *self, guint row, guint column);
DBPOOL_AVAILABLE_IN_ALL
double       db_rows_get_double       (DbRows *self, guint row, guint column);
DBPOOL_AVAILABLE_IN_ALL
const char  *db_rows_get_string       (DbRows *self, guint row, guint column);
DBPOOL_AVAILABLE_IN_ALL
GBytes      *db_rows_get_bytes        (DbRows *self, guint row, guint column);
DBPOOL_AVAILABLE_IN_ALL
gboolean     db_rows_is_null          (DbRows *self, guint row, guint column);
DBPOOL_AVAILABLE_IN_ALL
GVariant    *db_rows_get_row_variant  (DbRows *self, guint row);
DBPOOL_AVAILABLE_IN_ALL
GVariant    *db_rows_to_variant       (DbRows *self);
DBPOOL_AVAILABLE_IN_ALL
char        *db_rows_to_json          (DbRows *self);

G_END_DECLS
