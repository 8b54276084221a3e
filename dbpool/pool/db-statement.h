/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(DBPOOL_INSIDE) && !defined(DBPOOL_COMPILATION)
# error "Only <dbpool.h> can be included directly."
#endif

#include <glib-object.h>

#include "db-types.h"

G_BEGIN_DECLS

typedef struct _DbStatement DbStatement;

#define DB_TYPE_STATEMENT (db_statement_get_type ())

DBPOOL_AVAILABLE_IN_ALL
GType         db_statement_get_type            (void) G_GNUC_CONST;

DBPOOL_AVAILABLE_IN_ALL
DbStatement  *db_statement_ref                 (DbStatement   *self);
DBPOOL_AVAILABLE_IN_ALL
void          db_statement_unref               (DbStatement   *self);

DBPOOL_AVAILABLE_IN_ALL
guint         db_statement_get_n_parameters    (DbStatement   *self);
DBPOOL_AVAILABLE_IN_ALL
guint         db_statement_get_parameter_index (DbStatement   *self,
                                                const char    *name);
DBPOOL_AVAILABLE_IN_ALL
gboolean      db_statement_bind_int64          (DbStatement   *self,
                                                guint          index,
                                                gint64         value,
                                                GError       **error);
DBPOOL_AVAILABLE_IN_ALL
gboolean      db_statement_bind_double         (DbStatement   *self,
                                                guint          index,
                                                double         value,
                                                GError       **error);
DBPOOL_AVAILABLE_IN_ALL
gboolean      db_statement_bind_text           (DbStatement   *self,
                                                guint          index,
                                                const char    *value,
                                                GError       **error);
DBPOOL_AVAILABLE_IN_ALL
gboolean      db_statement_bind_bytes          (DbStatement   *self,
                                                guint          index,
                                                GBytes        *value,
                                                GError       **error);
DBPOOL_AVAILABLE_IN_ALL
gboolean      db_statement_bind_null           (DbStatement   *self,
                                                guint          index,
                                                GError       **error);
DBPOOL_AVAILABLE_IN_ALL
void          db_statement_clear_bindings      (DbStatement   *self);

DBPOOL_AVAILABLE_IN_ALL
gboolean      db_statement_step                (DbStatement   *self,
                                                GError       **error);
DBPOOL_AVAILABLE_IN_ALL
gint64        db_statement_execute             (DbStatement   *self,
                                                GError       **error);
DBPOOL_AVAILABLE_IN_ALL
void          db_statement_reset               (DbStatement   *self);

DBPOOL_AVAILABLE_IN_ALL
guint         db_statement_get_n_columns       (DbStatement   *self);
DBPOOL_AVAILABLE_IN_ALL
const char   *db_statement_get_column_name     (DbStatement   *self,
                                                guint          column);
DBPOOL_AVAILABLE_IN_ALL
gboolean      db_statement_is_null             (DbStatement   *self,
                                                guint          column);
DBPOOL_AVAILABLE_IN_ALL
gint64        db_statement_get_int64           (DbStatement   *self,
                                                guint          column);
DBPOOL_AVAILABLE_IN_ALL
double        db_statement_get_double          (DbStatement   *self,
                                                guint          column);
DBPOOL_AVAILABLE_IN_ALL
const char   *db_statement_get_string          (DbStatement   *self,
                                                guint          column);
DBPOOL_AVAILABLE_IN_ALL
GBytes       *db_statement_get_bytes           (DbStatement   *self,
                                                guint          column);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DbStatement, db_statement_unref)

G_END_DECLS
