/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(DBPOOL_INSIDE) && !defined(DBPOOL_COMPILATION)
# error "Only <dbpool.h> can be included directly."
#endif

#include <glib-object.h>

#include "db-types.h"

G_BEGIN_DECLS

#define DB_TYPE_DIAGNOSTIC (db_diagnostic_get_type ())

DBPOOL_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (DbDiagnostic, db_diagnostic, DB, DIAGNOSTIC, GObject)

DBPOOL_AVAILABLE_IN_ALL
DbDiagnostic *db_diagnostic_new                 (DbSeverity    severity,
                                                 const char   *message,
                                                 const char   *source,
                                                 const char   *code,
                                                 guint         start_line,
                                                 guint         start_character,
                                                 guint         end_line,
                                                 guint         end_character);

DBPOOL_AVAILABLE_IN_ALL
DbSeverity    db_diagnostic_get_severity        (DbDiagnostic *self);
DBPOOL_AVAILABLE_IN_ALL
const char   *db_diagnostic_get_message         (DbDiagnostic *self);
DBPOOL_AVAILABLE_IN_ALL
const char   *db_diagnostic_get_source          (DbDiagnostic *self);
DBPOOL_AVAILABLE_IN_ALL
const char   *db_diagnostic_get_code            (DbDiagnostic *self);
DBPOOL_AVAILABLE_IN_ALL
guint         db_diagnostic_get_start_line      (DbDiagnostic *self);
DBPOOL_AVAILABLE_IN_ALL
guint         db_diagnostic_get_start_character (DbDiagnostic *self);
DBPOOL_AVAILABLE_IN_ALL
guint         db_diagnostic_get_end_line        (DbDiagnostic *self);
DBPOOL_AVAILABLE_IN_ALL
guint         db_diagnostic_get_end_character   (DbDiagnostic *self);

G_END_DECLS
