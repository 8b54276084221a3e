/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "db-types.h"

G_BEGIN_DECLS

/* One diagnostic as plain data. The strings live in the owning record's chunk. */
typedef struct
{
  DbSeverity   severity;
  guint        start_line;
  guint        start_character;
  guint        end_line;
  guint        end_character;
  const char  *message;
  const char  *source;     /* nullable */
  const char  *code;       /* nullable; integer codes as decimal text */
} DbDiagnosticRecord;

/* A snapshot as plain data: what a write job needs, detached from any GObject so it
 * can be built on one thread (the caller's, or a parsing worker) and written on
 * another without sharing mutable state. */
typedef struct
{
  char          *file_uri;
  gint64         timestamp_us;
  int            version;       /* -1 for none */
  guint          counts[4];     /* indexed by DbSeverity - 1 */
  GArray        *diagnostics;   /* of DbDiagnosticRecord */
  GStringChunk  *strings;       /* sources and codes deduplicated: they repeat a lot */
} DbSnapshotRecord;

DbSnapshotRecord *_db_snapshot_record_new  (const char        *file_uri,
                                            gint64             timestamp_us,
                                            int                version);
void              _db_snapshot_record_add  (DbSnapshotRecord  *self,
                                            DbSeverity         severity,
                                            const char        *message,
                                            const char        *source,
                                            const char        *code,
                                            guint              start_line,
                                            guint              start_character,
                                            guint              end_line,
                                            guint              end_character);
void              _db_snapshot_record_free (DbSnapshotRecord  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DbSnapshotRecord, _db_snapshot_record_free)

/* Parses one LSP textDocument/publishDiagnostics message: the whole JSON-RPC
 * notification or just its params. @length may be -1 for a NUL-terminated string.
 * The snapshot is stamped @timestamp_us.
 *
 * A diagnostic without "severity" (or with null) is an error, as VS Code and most
 * clients read it; LSP leaves the choice to the client. Unknown members are ignored
 * (LSP is extensible); null optional members count as absent.
 *
 * Anything malformed is DB_POOL_ERROR_INVALID_INPUT naming the field's path, such as
 * `params.diagnostics[3].range.start.line` (without the `params.` when only the
 * params object was given). */
DbSnapshotRecord *_db_lsp_parse_publish_diagnostics (const char  *json,
                                                     gssize       length,
                                                     gint64       timestamp_us,
                                                     GError     **error);

G_END_DECLS
