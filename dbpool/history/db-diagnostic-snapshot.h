/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(DBPOOL_INSIDE) && !defined(DBPOOL_COMPILATION)
# error "Only <dbpool.h> can be included directly."
#endif

#include <gio/gio.h>

#include "db-types.h"
#include "db-diagnostic.h"

G_BEGIN_DECLS

#define DB_TYPE_DIAGNOSTIC_SNAPSHOT (db_diagnostic_snapshot_get_type ())

DBPOOL_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (DbDiagnosticSnapshot, db_diagnostic_snapshot, DB, DIAGNOSTIC_SNAPSHOT, GObject)

DBPOOL_AVAILABLE_IN_ALL
DbDiagnosticSnapshot *db_diagnostic_snapshot_new                   (const char           *file_uri,
                                                                     int                   version);
DBPOOL_AVAILABLE_IN_ALL
void                  db_diagnostic_snapshot_add_diagnostic         (DbDiagnosticSnapshot *self,
                                                                     DbDiagnostic         *diagnostic);
DBPOOL_AVAILABLE_IN_ALL
GListModel           *db_diagnostic_snapshot_get_diagnostics        (DbDiagnosticSnapshot *self);
DBPOOL_AVAILABLE_IN_ALL
gboolean              db_diagnostic_snapshot_get_diagnostics_loaded (DbDiagnosticSnapshot *self);

DBPOOL_AVAILABLE_IN_ALL
gint64                db_diagnostic_snapshot_get_id                 (DbDiagnosticSnapshot *self);
DBPOOL_AVAILABLE_IN_ALL
const char           *db_diagnostic_snapshot_get_file_uri           (DbDiagnosticSnapshot *self);
DBPOOL_AVAILABLE_IN_ALL
void                  db_diagnostic_snapshot_set_file_uri           (DbDiagnosticSnapshot *self,
                                                                     const char           *file_uri);
DBPOOL_AVAILABLE_IN_ALL
gint64                db_diagnostic_snapshot_get_timestamp_us       (DbDiagnosticSnapshot *self);
DBPOOL_AVAILABLE_IN_ALL
void                  db_diagnostic_snapshot_set_timestamp_us       (DbDiagnosticSnapshot *self,
                                                                     gint64                timestamp_us);
DBPOOL_AVAILABLE_IN_ALL
int                   db_diagnostic_snapshot_get_version            (DbDiagnosticSnapshot *self);
DBPOOL_AVAILABLE_IN_ALL
void                  db_diagnostic_snapshot_set_version            (DbDiagnosticSnapshot *self,
                                                                     int                   version);
DBPOOL_AVAILABLE_IN_ALL
guint                 db_diagnostic_snapshot_get_error_count        (DbDiagnosticSnapshot *self);
DBPOOL_AVAILABLE_IN_ALL
guint                 db_diagnostic_snapshot_get_warning_count      (DbDiagnosticSnapshot *self);
DBPOOL_AVAILABLE_IN_ALL
guint                 db_diagnostic_snapshot_get_information_count  (DbDiagnosticSnapshot *self);
DBPOOL_AVAILABLE_IN_ALL
guint                 db_diagnostic_snapshot_get_hint_count         (DbDiagnosticSnapshot *self);
DBPOOL_AVAILABLE_IN_ALL
guint                 db_diagnostic_snapshot_get_count              (DbDiagnosticSnapshot *self,
                                                                     DbSeverity            severity);

G_END_DECLS
