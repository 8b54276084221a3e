/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "db-diagnostic-snapshot.h"
#include "db-history-config.h"
#include "db-pool-config.h"
#include "db-connection.h"
#include "db-pool.h"
#include "db-lsp-parse-private.h"

G_BEGIN_DECLS

/* Internals shared by the HistoryStorage layer (config, snapshot, storage). */

/* The pool settings a history config implies (connection-timeout-secs in ms). */
DbPoolConfig         *_db_history_config_to_pool_config (DbHistoryConfig *self);

/* What HistoryStorage needs beyond the public API: stored snapshots get their id,
 * and history rows become summaries that carry the counts stored on the snapshot
 * row without loading (or pretending to have) their diagnostics. */
void                  _db_diagnostic_snapshot_set_id      (DbDiagnosticSnapshot *self,
                                                           gint64                id);
DbDiagnosticSnapshot *_db_diagnostic_snapshot_new_summary (gint64                id,
                                                           const char           *file_uri,
                                                           gint64                timestamp_us,
                                                           int                   version,
                                                           const guint           counts[4]);
/* A stored snapshot with all its diagnostics (a GPtrArray of DbDiagnostic, added in
 * one splice so a large snapshot costs one items-changed, not thousands). */
DbDiagnosticSnapshot *_db_diagnostic_snapshot_new_stored  (gint64                id,
                                                           const char           *file_uri,
                                                           gint64                timestamp_us,
                                                           int                   version,
                                                           GPtrArray            *diagnostics);

/* The SQL of the history (db-history-sql.c). Each runs on a pool worker with a lease:
 * a write lease for migrate, write and cleanup, a read lease for the rest. */
#define DB_HISTORY_SCHEMA_VERSION 2

gboolean              _db_history_migrate                (DbConnection      *lease,
                                                          GError           **error);
/* One write transaction; returns the new snapshot id, or 0 with @error set. */
gint64                _db_history_write_snapshot         (DbConnection      *lease,
                                                          DbSnapshotRecord  *record,
                                                          GError           **error);
/* Summaries, newest first; @limit 0 for all. */
GListModel           *_db_history_query_file_history     (DbConnection      *lease,
                                                          const char        *file_uri,
                                                          guint              limit,
                                                          GError           **error);
/* The newest snapshot of @file_uri or, when @file_uri is NULL, snapshot @id, with its
 * diagnostics; NULL without error when there is none. */
DbDiagnosticSnapshot *_db_history_query_snapshot         (DbConnection      *lease,
                                                          const char        *file_uri,
                                                          gint64             id,
                                                          GError           **error);
/* Summaries of each file's newest snapshot, by URI. */
GListModel           *_db_history_query_latest_per_file  (DbConnection      *lease,
                                                          GError           **error);
GVariant             *_db_history_query_trend            (DbConnection      *lease,
                                                          const char        *file_uri,
                                                          gint64             since_us,
                                                          gint64             bucket_us,
                                                          GError           **error);
gboolean              _db_history_cleanup                (DbConnection      *lease,
                                                          guint              retention_days,
                                                          guint              max_snapshots_per_file,
                                                          guint             *removed,
                                                          GError           **error);

/* The recording pipeline (db-history-writer.c): each record a write job of the pool
 * (group commit), LSP JSON parsed first on parser threads. Records are GTasks whose
 * task data is a DbRecordData. */
typedef struct
{
  DbSnapshotRecord     *record;
  char                 *json;          /* to parse, for record_lsp_json */
  gint64                timestamp_us;  /* for the parsed snapshot */
  DbDiagnosticSnapshot *snapshot;      /* record_snapshot: gets its id in finish */
  DbPool               *pool;          /* borrowed (the task's storage holds it), to write with */
} DbRecordData;

DbRecordData         *_db_record_data_new                (void);
void                  _db_record_data_free               (gpointer           data);

typedef struct _DbHistoryWriter DbHistoryWriter;

/* @owner must free the writer in its finalize; every record's task holds @owner. */
DbHistoryWriter      *_db_history_writer_new             (GObject          *owner,
                                                          DbPool           *pool);
void                  _db_history_writer_free            (DbHistoryWriter  *self);
/* Both take @task, whose task data is a DbRecordData with a record (write) or
 * JSON (parse_and_write). */
void                  _db_history_writer_write           (DbHistoryWriter  *self,
                                                          GTask            *task);
void                  _db_history_writer_parse_and_write (DbHistoryWriter  *self,
                                                          GTask            *task);

G_END_DECLS
