/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The history's SQL: schema and migrations, the write of one snapshot, and the
 * queries. Everything here runs on a pool worker thread with a lease, uses only the
 * public DbConnection API, and binds every value as a parameter. */

#include "db-history-private.h"

/* Schema versions, applied in order by _db_history_migrate() inside one write
 * transaction. Each script ends by recording its version in PRAGMA user_version, so
 * a database written by an older release is upgraded step by step when opened.
 *
 * v1: files, snapshots and diagnostics, indexed for history by file and time and
 *     for loading a snapshot's diagnostics.
 * v2: per-severity counts on the snapshot row, backfilled from the diagnostics, so
 *     history, trend and latest-per-file never scan diagnostics; an index by time
 *     for retention cleanup and trends across all files. */
static const char * const migrations[] = {
  /* 0 → 1 */
  "CREATE TABLE files (\n"
  "  id INTEGER PRIMARY KEY,\n"
  "  uri TEXT NOT NULL UNIQUE\n"
  ");\n"
  "CREATE TABLE snapshots (\n"
  "  id INTEGER PRIMARY KEY,\n"
  "  file_id INTEGER NOT NULL REFERENCES files (id),\n"
  "  timestamp_us INTEGER NOT NULL,\n"
  "  version INTEGER\n"
  ");\n"
  /* Scanned backwards this gives (timestamp_us DESC, id DESC): newest first with
   * ties broken by insertion order, without a sort. */
  "CREATE INDEX snapshots_by_file_time ON snapshots (file_id, timestamp_us);\n"
  "CREATE TABLE diagnostics (\n"
  "  id INTEGER PRIMARY KEY,\n"
  "  snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,\n"
  "  severity INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 4),\n"
  "  message TEXT NOT NULL,\n"
  "  source TEXT,\n"
  "  code TEXT,\n"
  "  start_line INTEGER NOT NULL,\n"
  "  start_character INTEGER NOT NULL,\n"
  "  end_line INTEGER NOT NULL,\n"
  "  end_character INTEGER NOT NULL\n"
  ");\n"
  "CREATE INDEX diagnostics_by_snapshot ON diagnostics (snapshot_id);\n"
  "PRAGMA user_version = 1;\n",

  /* 1 → 2 */
  "ALTER TABLE snapshots ADD COLUMN error_count INTEGER NOT NULL DEFAULT 0;\n"
  "ALTER TABLE snapshots ADD COLUMN warning_count INTEGER NOT NULL DEFAULT 0;\n"
  "ALTER TABLE snapshots ADD COLUMN information_count INTEGER NOT NULL DEFAULT 0;\n"
  "ALTER TABLE snapshots ADD COLUMN hint_count INTEGER NOT NULL DEFAULT 0;\n"
  "UPDATE snapshots SET\n"
  "  error_count = (SELECT count(*) FROM diagnostics\n"
  "                 WHERE snapshot_id = snapshots.id AND severity = 1),\n"
  "  warning_count = (SELECT count(*) FROM diagnostics\n"
  "                   WHERE snapshot_id = snapshots.id AND severity = 2),\n"
  "  information_count = (SELECT count(*) FROM diagnostics\n"
  "                       WHERE snapshot_id = snapshots.id AND severity = 3),\n"
  "  hint_count = (SELECT count(*) FROM diagnostics\n"
  "                WHERE snapshot_id = snapshots.id AND severity = 4);\n"
  "CREATE INDEX snapshots_by_time ON snapshots (timestamp_us);\n"
  "PRAGMA user_version = 2;\n",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == DB_HISTORY_SCHEMA_VERSION);

static gboolean
read_user_version (DbConnection  *lease,
                   gint64        *version,
                   GError       **error)
{
  g_autoptr(DbRows) rows = db_connection_query (lease, "PRAGMA user_version", NULL, error);

  if (rows == NULL)
    return FALSE;
  *version = db_rows_get_n_rows (rows) > 0 ? db_rows_get_int64 (rows, 0, 0) : 0;
  return TRUE;
}

gboolean
_db_history_migrate (DbConnection  *lease,
                     GError       **error)
{
  gint64 version;

  g_assert (db_connection_get_access (lease) == DB_ACCESS_WRITE);

  /* The common case, an up-to-date database, takes no write lock. */
  if (!read_user_version (lease, &version, error))
    return FALSE;
  if (version == DB_HISTORY_SCHEMA_VERSION)
    return TRUE;

  if (!db_connection_begin (lease, error))
    return FALSE;

  /* Again under the write lock: another process may have migrated meanwhile. */
  if (!read_user_version (lease, &version, error))
    goto fail;

  if (version < 0 || version > DB_HISTORY_SCHEMA_VERSION)
    {
      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_FAILED,
                   "The history database has schema version %" G_GINT64_FORMAT
                   ", newer than the version %d this library knows; "
                   "it was written by a newer release",
                   version, DB_HISTORY_SCHEMA_VERSION);
      goto fail;
    }

  for (; version < DB_HISTORY_SCHEMA_VERSION; version++)
    if (!db_connection_execute_script (lease, migrations[version], error))
      {
        g_prefix_error (error, "Could not upgrade the history database to schema version %d: ",
                        (int) version + 1);
        goto fail;
      }

  return db_connection_commit (lease, error);

fail:
  db_connection_rollback (lease, NULL);
  return FALSE;
}

/* Writes */

static gint64
lookup_or_insert_file (DbConnection  *lease,
                       const char    *uri,
                       GError       **error)
{
  g_autoptr(DbRows) rows = NULL;

  rows = db_connection_query (lease, "SELECT id FROM files WHERE uri = ?",
                              g_variant_new ("(s)", uri), error);
  if (rows == NULL)
    return 0;
  if (db_rows_get_n_rows (rows) > 0)
    return db_rows_get_int64 (rows, 0, 0);

  if (db_connection_execute (lease, "INSERT INTO files (uri) VALUES (?)",
                             g_variant_new ("(s)", uri), error) < 0)
    return 0;
  return db_connection_get_last_insert_rowid (lease);
}

/* One statement from the lease's cache for every diagnostic, each value bound with
 * its type: no GVariant per value, no tuple serialized and taken apart again. */
#define INSERT_DIAGNOSTIC_SQL \
  "INSERT INTO diagnostics (snapshot_id, severity, message, source, code, start_line," \
  " start_character, end_line, end_character) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"

static gboolean
insert_diagnostics (DbConnection      *lease,
                    gint64             snapshot_id,
                    DbSnapshotRecord  *record,
                    GError           **error)
{
  g_autoptr(DbStatement) stmt = NULL;

  if (record->diagnostics->len == 0)
    return TRUE;

  stmt = db_connection_prepare (lease, INSERT_DIAGNOSTIC_SQL, error);
  if (stmt == NULL)
    return FALSE;

  for (guint i = 0; i < record->diagnostics->len; i++)
    {
      const DbDiagnosticRecord *d = &g_array_index (record->diagnostics, DbDiagnosticRecord, i);

      if (!db_statement_bind_int64 (stmt, 1, snapshot_id, error) ||
          !db_statement_bind_int64 (stmt, 2, d->severity, error) ||
          !db_statement_bind_text (stmt, 3, d->message, error) ||
          !db_statement_bind_text (stmt, 4, d->source, error) ||
          !db_statement_bind_text (stmt, 5, d->code, error) ||
          !db_statement_bind_int64 (stmt, 6, d->start_line, error) ||
          !db_statement_bind_int64 (stmt, 7, d->start_character, error) ||
          !db_statement_bind_int64 (stmt, 8, d->end_line, error) ||
          !db_statement_bind_int64 (stmt, 9, d->end_character, error) ||
          db_statement_execute (stmt, error) < 0)
        return FALSE;
    }
  return TRUE;
}

gint64
_db_history_write_snapshot (DbConnection      *lease,
                            DbSnapshotRecord  *record,
                            GError           **error)
{
  gint64 file_id;
  gint64 snapshot_id;

  if (!db_connection_begin (lease, error))
    return 0;

  file_id = lookup_or_insert_file (lease, record->file_uri, error);
  if (file_id == 0)
    goto fail;

  if (db_connection_execute (lease,
                             "INSERT INTO snapshots (file_id, timestamp_us, version, error_count,"
                             " warning_count, information_count, hint_count)"
                             " VALUES (?, ?, ?, ?, ?, ?, ?)",
                             g_variant_new ("(xxmxxxxx)",
                                            file_id,
                                            record->timestamp_us,
                                            record->version >= 0, (gint64) record->version,
                                            (gint64) record->counts[0],
                                            (gint64) record->counts[1],
                                            (gint64) record->counts[2],
                                            (gint64) record->counts[3]),
                             error) < 0)
    goto fail;
  snapshot_id = db_connection_get_last_insert_rowid (lease);

  if (!insert_diagnostics (lease, snapshot_id, record, error))
    goto fail;

  if (!db_connection_commit (lease, error))
    goto fail;

  return snapshot_id;

fail:
  db_connection_rollback (lease, NULL);
  return 0;
}

/* Reads */

static int
version_from_rows (DbRows *rows,
                   guint   row,
                   guint   column)
{
  return db_rows_is_null (rows, row, column) ? -1 : (int) db_rows_get_int64 (rows, row, column);
}

static void
counts_from_rows (DbRows *rows,
                  guint   row,
                  guint   first_column,
                  guint   counts[4])
{
  for (guint i = 0; i < 4; i++)
    counts[i] = (guint) CLAMP (db_rows_get_int64 (rows, row, first_column + i), 0, G_MAXUINT);
}

GListModel *
_db_history_query_file_history (DbConnection  *lease,
                                const char    *file_uri,
                                guint          limit,
                                GError       **error)
{
  g_autoptr(DbRows) rows = NULL;
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  GListStore *store;

  rows = db_connection_query (lease,
                              "SELECT s.id, s.timestamp_us, s.version, s.error_count,"
                              " s.warning_count, s.information_count, s.hint_count"
                              " FROM files AS f JOIN snapshots AS s ON s.file_id = f.id"
                              " WHERE f.uri = ?"
                              " ORDER BY s.timestamp_us DESC, s.id DESC"
                              " LIMIT ?",
                              g_variant_new ("(sx)", file_uri,
                                             limit > 0 ? (gint64) limit : (gint64) -1),
                              error);
  if (rows == NULL)
    return NULL;

  for (guint r = 0; r < db_rows_get_n_rows (rows); r++)
    {
      guint counts[4];

      counts_from_rows (rows, r, 3, counts);
      g_ptr_array_add (items,
                       _db_diagnostic_snapshot_new_summary (db_rows_get_int64 (rows, r, 0),
                                                            file_uri,
                                                            db_rows_get_int64 (rows, r, 1),
                                                            version_from_rows (rows, r, 2),
                                                            counts));
    }

  store = g_list_store_new (DB_TYPE_DIAGNOSTIC_SNAPSHOT);
  g_list_store_splice (store, 0, 0, items->pdata, items->len);
  return G_LIST_MODEL (store);
}

/* Builds a full snapshot from rows of (s.id, f.uri, s.timestamp_us, s.version,
 * d.severity, d.message, d.source, d.code, d.start_line, d.start_character,
 * d.end_line, d.end_character), one per diagnostic, or one with NULL d.* columns
 * for a clean snapshot (LEFT JOIN). */
static DbDiagnosticSnapshot *
snapshot_from_rows (DbRows *rows)
{
  g_autoptr(GPtrArray) diagnostics = g_ptr_array_new_with_free_func (g_object_unref);
  guint n_rows = db_rows_get_n_rows (rows);

  g_assert (n_rows > 0);

  for (guint r = 0; r < n_rows; r++)
    {
      gint64 severity;

      if (db_rows_is_null (rows, r, 4))
        continue;
      severity = db_rows_get_int64 (rows, r, 4);
      g_ptr_array_add (diagnostics,
                       g_object_new (DB_TYPE_DIAGNOSTIC,
                                     "severity", (DbSeverity) CLAMP (severity, DB_SEVERITY_ERROR,
                                                                     DB_SEVERITY_HINT),
                                     "message", db_rows_get_string (rows, r, 5),
                                     "source", db_rows_get_string (rows, r, 6),
                                     "code", db_rows_get_string (rows, r, 7),
                                     "start-line", (guint) db_rows_get_int64 (rows, r, 8),
                                     "start-character", (guint) db_rows_get_int64 (rows, r, 9),
                                     "end-line", (guint) db_rows_get_int64 (rows, r, 10),
                                     "end-character", (guint) db_rows_get_int64 (rows, r, 11),
                                     NULL));
    }

  return _db_diagnostic_snapshot_new_stored (db_rows_get_int64 (rows, 0, 0),
                                             db_rows_get_string (rows, 0, 1),
                                             db_rows_get_int64 (rows, 0, 2),
                                             version_from_rows (rows, 0, 3),
                                             diagnostics);
}

#define FULL_SNAPSHOT_COLUMNS \
  "s.id, s.uri, s.timestamp_us, s.version, d.severity, d.message, d.source, d.code," \
  " d.start_line, d.start_character, d.end_line, d.end_character"

/* One statement, so the snapshot and its diagnostics come from one consistent read
 * even while cleanup runs. */
DbDiagnosticSnapshot *
_db_history_query_snapshot (DbConnection  *lease,
                            const char    *file_uri,
                            gint64         id,
                            GError       **error)
{
  g_autoptr(DbRows) rows = NULL;

  if (file_uri != NULL)
    rows = db_connection_query (lease,
                                "SELECT " FULL_SNAPSHOT_COLUMNS
                                " FROM (SELECT s.id, f.uri, s.timestamp_us, s.version"
                                "       FROM files AS f JOIN snapshots AS s ON s.file_id = f.id"
                                "       WHERE f.uri = ?"
                                "       ORDER BY s.timestamp_us DESC, s.id DESC LIMIT 1) AS s"
                                " LEFT JOIN diagnostics AS d ON d.snapshot_id = s.id"
                                " ORDER BY d.id",
                                g_variant_new ("(s)", file_uri), error);
  else
    rows = db_connection_query (lease,
                                "SELECT " FULL_SNAPSHOT_COLUMNS
                                " FROM (SELECT s.id, f.uri, s.timestamp_us, s.version"
                                "       FROM snapshots AS s JOIN files AS f ON f.id = s.file_id"
                                "       WHERE s.id = ?) AS s"
                                " LEFT JOIN diagnostics AS d ON d.snapshot_id = s.id"
                                " ORDER BY d.id",
                                g_variant_new ("(x)", id), error);
  if (rows == NULL || db_rows_get_n_rows (rows) == 0)
    return NULL;

  return snapshot_from_rows (rows);
}

GListModel *
_db_history_query_latest_per_file (DbConnection  *lease,
                                   GError       **error)
{
  g_autoptr(DbRows) rows = NULL;
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  GListStore *store;

  rows = db_connection_query (lease,
                              "SELECT s.id, f.uri, s.timestamp_us, s.version, s.error_count,"
                              " s.warning_count, s.information_count, s.hint_count"
                              " FROM files AS f JOIN snapshots AS s"
                              "   ON s.id = (SELECT id FROM snapshots WHERE file_id = f.id"
                              "              ORDER BY timestamp_us DESC, id DESC LIMIT 1)"
                              " ORDER BY f.uri",
                              NULL, error);
  if (rows == NULL)
    return NULL;

  for (guint r = 0; r < db_rows_get_n_rows (rows); r++)
    {
      guint counts[4];

      counts_from_rows (rows, r, 4, counts);
      g_ptr_array_add (items,
                       _db_diagnostic_snapshot_new_summary (db_rows_get_int64 (rows, r, 0),
                                                            db_rows_get_string (rows, r, 1),
                                                            db_rows_get_int64 (rows, r, 2),
                                                            version_from_rows (rows, r, 3),
                                                            counts));
    }

  store = g_list_store_new (DB_TYPE_DIAGNOSTIC_SNAPSHOT);
  g_list_store_splice (store, 0, 0, items->pdata, items->len);
  return G_LIST_MODEL (store);
}

/* Trend */

typedef struct
{
  gint64 counts[4];
} FileCounts;

static void
trend_apply (GHashTable *files,
             gint64      totals[4],
             gint64      file_id,
             DbRows     *rows,
             guint       row,
             guint       first_column)
{
  FileCounts *current = g_hash_table_lookup (files, &file_id);

  if (current == NULL)
    {
      gint64 *key = g_new (gint64, 1);

      *key = file_id;
      current = g_new0 (FileCounts, 1);
      g_hash_table_insert (files, key, current);
    }

  for (guint i = 0; i < 4; i++)
    {
      gint64 n = db_rows_get_int64 (rows, row, first_column + i);

      totals[i] += n - current->counts[i];
      current->counts[i] = n;
    }
}

static void
trend_emit (GVariantBuilder *builder,
            gint64           bucket_start,
            const gint64     totals[4])
{
  guint32 c[4];

  for (guint i = 0; i < 4; i++)
    c[i] = (guint32) CLAMP (totals[i], 0, G_MAXUINT32);
  g_variant_builder_add (builder, "(xuuuu)", bucket_start, c[0], c[1], c[2], c[3]);
}

/* The state of the matching files at the end of every bucket in which at least one
 * snapshot was recorded: each file counts with its newest snapshot recorded before
 * the bucket's end, including snapshots from before @since_us. One pass over the
 * snapshots in time order (their counts are on the row), in one read transaction. */
GVariant *
_db_history_query_trend (DbConnection  *lease,
                         const char    *file_uri,
                         gint64         since_us,
                         gint64         bucket_us,
                         GError       **error)
{
  g_autoptr(GHashTable) files = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  g_autoptr(DbRows) before = NULL;
  g_autoptr(DbRows) rows = NULL;
  GVariantBuilder builder;
  gint64 totals[4] = { 0, 0, 0, 0 };
  gint64 bucket = 0;
  gboolean in_bucket = FALSE;
  GVariant *params;

  g_assert (bucket_us > 0);

  if (!db_connection_begin (lease, error))
    return NULL;

  params = file_uri != NULL ? g_variant_new ("(xs)", since_us, file_uri)
                            : g_variant_new ("(x)", since_us);
  before = db_connection_query (lease,
                                file_uri != NULL
                                ? "SELECT s.file_id, s.error_count, s.warning_count,"
                                  " s.information_count, s.hint_count"
                                  " FROM files AS f JOIN snapshots AS s"
                                  "   ON s.id = (SELECT id FROM snapshots"
                                  "              WHERE file_id = f.id AND timestamp_us < ?1"
                                  "              ORDER BY timestamp_us DESC, id DESC LIMIT 1)"
                                  " WHERE f.uri = ?2"
                                : "SELECT s.file_id, s.error_count, s.warning_count,"
                                  " s.information_count, s.hint_count"
                                  " FROM files AS f JOIN snapshots AS s"
                                  "   ON s.id = (SELECT id FROM snapshots"
                                  "              WHERE file_id = f.id AND timestamp_us < ?1"
                                  "              ORDER BY timestamp_us DESC, id DESC LIMIT 1)",
                                params, error);
  if (before == NULL)
    goto fail;

  params = file_uri != NULL ? g_variant_new ("(xs)", since_us, file_uri)
                            : g_variant_new ("(x)", since_us);
  rows = db_connection_query (lease,
                              file_uri != NULL
                              ? "SELECT s.file_id, s.timestamp_us, s.error_count, s.warning_count,"
                                " s.information_count, s.hint_count"
                                " FROM files AS f JOIN snapshots AS s ON s.file_id = f.id"
                                " WHERE f.uri = ?2 AND s.timestamp_us >= ?1"
                                " ORDER BY s.timestamp_us, s.id"
                              : "SELECT s.file_id, s.timestamp_us, s.error_count, s.warning_count,"
                                " s.information_count, s.hint_count"
                                " FROM snapshots AS s"
                                " WHERE s.timestamp_us >= ?1"
                                " ORDER BY s.timestamp_us, s.id",
                              params, error);
  if (rows == NULL)
    goto fail;

  if (!db_connection_commit (lease, error))
    goto fail;

  for (guint r = 0; r < db_rows_get_n_rows (before); r++)
    trend_apply (files, totals, db_rows_get_int64 (before, r, 0), before, r, 1);

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(xuuuu)"));
  for (guint r = 0; r < db_rows_get_n_rows (rows); r++)
    {
      gint64 timestamp_us = db_rows_get_int64 (rows, r, 1);
      gint64 this_bucket = since_us + ((timestamp_us - since_us) / bucket_us) * bucket_us;

      if (in_bucket && this_bucket != bucket)
        trend_emit (&builder, bucket, totals);
      bucket = this_bucket;
      in_bucket = TRUE;
      trend_apply (files, totals, db_rows_get_int64 (rows, r, 0), rows, r, 2);
    }
  if (in_bucket)
    trend_emit (&builder, bucket, totals);

  return g_variant_ref_sink (g_variant_builder_end (&builder));

fail:
  db_connection_rollback (lease, NULL);
  return NULL;
}

/* Cleanup */

static gint64
delete_snapshots (DbConnection  *lease,
                  const char    *diagnostics_sql,
                  const char    *snapshots_sql,
                  gint64         param,
                  GError       **error)
{
  /* Diagnostics first and explicitly: correct whether or not the connection enforces
   * the foreign key's ON DELETE CASCADE. */
  if (db_connection_execute (lease, diagnostics_sql, g_variant_new ("(x)", param), error) < 0)
    return -1;
  return db_connection_execute (lease, snapshots_sql, g_variant_new ("(x)", param), error);
}

gboolean
_db_history_cleanup (DbConnection  *lease,
                     guint          retention_days,
                     guint          max_snapshots_per_file,
                     guint         *removed,
                     GError       **error)
{
  gint64 total = 0;
  gint64 n;

  if (!db_connection_begin (lease, error))
    return FALSE;

  if (retention_days > 0)
    {
      gint64 cutoff = g_get_real_time () - (gint64) retention_days * 24 * 3600 * G_USEC_PER_SEC;

      n = delete_snapshots (lease,
                            "DELETE FROM diagnostics WHERE snapshot_id IN"
                            " (SELECT id FROM snapshots WHERE timestamp_us < ?)",
                            "DELETE FROM snapshots WHERE timestamp_us < ?",
                            cutoff, error);
      if (n < 0)
        goto fail;
      total += n;
    }

  if (max_snapshots_per_file > 0)
    {
#define BEYOND_LIMIT \
  "SELECT id FROM (SELECT id, row_number () OVER" \
  " (PARTITION BY file_id ORDER BY timestamp_us DESC, id DESC) AS n FROM snapshots)" \
  " WHERE n > ?"
      n = delete_snapshots (lease,
                            "DELETE FROM diagnostics WHERE snapshot_id IN (" BEYOND_LIMIT ")",
                            "DELETE FROM snapshots WHERE id IN (" BEYOND_LIMIT ")",
                            max_snapshots_per_file, error);
#undef BEYOND_LIMIT
      if (n < 0)
        goto fail;
      total += n;
    }

  if (total > 0 &&
      db_connection_execute (lease,
                             "DELETE FROM files WHERE NOT EXISTS"
                             " (SELECT 1 FROM snapshots WHERE file_id = files.id)",
                             NULL, error) < 0)
    goto fail;

  if (!db_connection_commit (lease, error))
    goto fail;

  *removed = (guint) MIN (total, G_MAXUINT);
  return TRUE;

fail:
  db_connection_rollback (lease, NULL);
  return FALSE;
}
