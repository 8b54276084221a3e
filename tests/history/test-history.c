/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include <json-glib/json-glib.h>
#include <sqlite3.h>

#include "test-common.h"
#include "fault-vfs.h"

#define DAY_US ((gint64) 24 * 3600 * G_USEC_PER_SEC)

/* Helpers: run one async operation to completion on the thread-default context. */


static DbHistoryConfig *
test_history_config (void)
{
  g_autofree char *path = test_db_path ();
  DbHistoryConfig *config = db_history_config_new (path);

  /* The timer is tested on its own; elsewhere it must not interfere. */
  db_history_config_set_auto_cleanup_interval_s (config, 0);
  db_history_config_set_exclusive (config, test_exclusive_mode ());
  return config;
}

static DbHistoryStorage *
storage_new (DbHistoryConfig *config)
{
  g_autoptr(GError) error = NULL;
  DbHistoryStorage *storage = db_history_storage_new (config, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (DB_IS_HISTORY_STORAGE (storage));
  return storage;
}

static gint64
record_json (DbHistoryStorage  *storage,
             const char        *json,
             GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  db_history_storage_record_lsp_json_async (storage, json, NULL, test_store_result, &result);
  return db_history_storage_record_lsp_json_finish (storage, test_wait_result (&result), error);
}

static gint64
record_json_ok (DbHistoryStorage *storage,
                const char       *json)
{
  g_autoptr(GError) error = NULL;
  gint64 id = record_json (storage, json, &error);

  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

static gint64
record_snapshot (DbHistoryStorage      *storage,
                 DbDiagnosticSnapshot  *snapshot,
                 GError               **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  db_history_storage_record_snapshot_async (storage, snapshot, NULL, test_store_result, &result);
  return db_history_storage_record_snapshot_finish (storage, test_wait_result (&result), error);
}

static gint64
record_snapshot_ok (DbHistoryStorage     *storage,
                    DbDiagnosticSnapshot *snapshot)
{
  g_autoptr(GError) error = NULL;
  gint64 id = record_snapshot (storage, snapshot, &error);

  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  g_assert_cmpint (db_diagnostic_snapshot_get_id (snapshot), ==, id);
  return id;
}

/* A snapshot of @uri at @timestamp_us with @n_errors errors and @n_warnings warnings. */
static DbDiagnosticSnapshot *
make_snapshot (const char *uri,
               gint64      timestamp_us,
               guint       n_errors,
               guint       n_warnings)
{
  DbDiagnosticSnapshot *snapshot = db_diagnostic_snapshot_new (uri, -1);

  db_diagnostic_snapshot_set_timestamp_us (snapshot, timestamp_us);
  for (guint i = 0; i < n_errors + n_warnings; i++)
    {
      g_autoptr(DbDiagnostic) d = db_diagnostic_new (i < n_errors ? DB_SEVERITY_ERROR
                                                                   : DB_SEVERITY_WARNING,
                                                     "something", "test", NULL, i, 0, i, 1);
      db_diagnostic_snapshot_add_diagnostic (snapshot, d);
    }
  return snapshot;
}

static GListModel *
file_history (DbHistoryStorage *storage,
              const char       *uri,
              guint             limit)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GListModel *model;

  db_history_storage_get_file_history_async (storage, uri, limit, NULL, test_store_result, &result);
  model = db_history_storage_get_file_history_finish (storage, test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (model);
  return model;
}

static DbDiagnosticSnapshot *
get_snapshot (DbHistoryStorage *storage,
              gint64            id)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  DbDiagnosticSnapshot *snapshot;

  db_history_storage_get_snapshot_async (storage, id, NULL, test_store_result, &result);
  snapshot = db_history_storage_get_snapshot_finish (storage, test_wait_result (&result), &error);
  g_assert_no_error (error);
  return snapshot;
}

static GVariant *
trend (DbHistoryStorage *storage,
       const char       *uri,
       gint64            since_us,
       gint64            bucket_us)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GVariant *value;

  db_history_storage_get_trend_async (storage, uri, since_us, bucket_us, NULL,
                                      test_store_result, &result);
  value = db_history_storage_get_trend_finish (storage, test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (value);
  g_assert_cmpstr (g_variant_get_type_string (value), ==, "a(xuuuu)");
  return value;
}

static guint
cleanup (DbHistoryStorage *storage)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint removed;

  db_history_storage_cleanup_async (storage, NULL, test_store_result, &result);
  removed = db_history_storage_cleanup_finish (storage, test_wait_result (&result), &error);
  g_assert_no_error (error);
  return removed;
}

/* One integer from SQL of our own through the storage's pool. */
static gint64
query_int (DbHistoryStorage *storage,
           const char       *sql,
           GVariant         *params)
{
  DbPool *pool = db_history_storage_get_pool (storage);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DbRows) rows = NULL;

  db_pool_query_async (pool, sql, params, NULL, test_store_result, &result);
  rows = db_pool_query_finish (pool, test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (db_rows_get_n_rows (rows), ==, 1);
  return db_rows_get_int64 (rows, 0, 0);
}

static void
assert_row_counts (DbHistoryStorage *storage,
                   gint64            files,
                   gint64            snapshots,
                   gint64            diagnostics)
{
  g_assert_cmpint (query_int (storage, "SELECT count(*) FROM files", NULL), ==, files);
  g_assert_cmpint (query_int (storage, "SELECT count(*) FROM snapshots", NULL), ==, snapshots);
  g_assert_cmpint (query_int (storage, "SELECT count(*) FROM diagnostics", NULL), ==, diagnostics);
}

static DbDiagnostic *
diagnostic_at (DbDiagnosticSnapshot *snapshot,
               guint                 i)
{
  GListModel *model = db_diagnostic_snapshot_get_diagnostics (snapshot);
  DbDiagnostic *d;

  g_assert_cmpuint (i, <, g_list_model_get_n_items (model));
  /* Borrowed: the model keeps its own reference. */
  d = g_list_model_get_item (model, i);
  g_object_unref (d);
  return d;
}

static void
assert_diagnostic (DbDiagnostic *d,
                   DbSeverity    severity,
                   const char   *message,
                   const char   *source,
                   const char   *code,
                   guint         start_line,
                   guint         start_character,
                   guint         end_line,
                   guint         end_character)
{
  g_assert_cmpint (db_diagnostic_get_severity (d), ==, severity);
  g_assert_cmpstr (db_diagnostic_get_message (d), ==, message);
  g_assert_cmpstr (db_diagnostic_get_source (d), ==, source);
  g_assert_cmpstr (db_diagnostic_get_code (d), ==, code);
  g_assert_cmpuint (db_diagnostic_get_start_line (d), ==, start_line);
  g_assert_cmpuint (db_diagnostic_get_start_character (d), ==, start_character);
  g_assert_cmpuint (db_diagnostic_get_end_line (d), ==, end_line);
  g_assert_cmpuint (db_diagnostic_get_end_character (d), ==, end_character);
}

/* Config */

static void
test_config_defaults (void)
{
  g_autoptr(DbHistoryConfig) config = db_history_config_new ("h.db");
  g_autoptr(DbHistoryConfig) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;

  g_assert_cmpstr (db_history_config_get_db_path (config), ==, "h.db");
  g_assert_cmpuint (db_history_config_get_retention_days (config), ==, 30);
  g_assert_cmpuint (db_history_config_get_max_snapshots_per_file (config), ==, 100);
  g_assert_cmpuint (db_history_config_get_auto_cleanup_interval_s (config), ==, 3600);
  g_assert_cmpuint (db_history_config_get_min_connections (config), ==, 2);
  g_assert_cmpuint (db_history_config_get_max_connections (config), ==, 10);
  g_assert_cmpuint (db_history_config_get_connection_timeout_secs (config), ==, 5);
  g_assert_false (db_history_config_get_exclusive (config));
  g_assert_true (db_history_config_validate (config, &error));
  g_assert_no_error (error);

  db_history_config_set_retention_days (config, 7);
  db_history_config_set_max_snapshots_per_file (config, 0);
  db_history_config_set_auto_cleanup_interval_s (config, 60);
  db_history_config_set_min_connections (config, 1);
  db_history_config_set_max_connections (config, 3);
  db_history_config_set_connection_timeout_secs (config, 0);
  db_history_config_set_exclusive (config, TRUE);
  json = db_history_config_to_json (config);
  g_assert_nonnull (strstr (json, "\"retention-days\" : 7"));
  g_assert_nonnull (strstr (json, "\"db-path\" : \"h.db\""));

  back = db_history_config_new_from_json (json, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (db_history_config_get_db_path (back), ==, "h.db");
  g_assert_cmpuint (db_history_config_get_retention_days (back), ==, 7);
  g_assert_cmpuint (db_history_config_get_max_snapshots_per_file (back), ==, 0);
  g_assert_cmpuint (db_history_config_get_auto_cleanup_interval_s (back), ==, 60);
  g_assert_cmpuint (db_history_config_get_min_connections (back), ==, 1);
  g_assert_cmpuint (db_history_config_get_max_connections (back), ==, 3);
  g_assert_cmpuint (db_history_config_get_connection_timeout_secs (back), ==, 0);
  g_assert_true (db_history_config_get_exclusive (back));
}

static void
count_calls (GObject    *object,
             GParamSpec *pspec,
             gpointer    user_data)
{
  guint *calls = user_data;

  (*calls)++;
}

static void
test_config_notify (void)
{
  g_autoptr(DbHistoryConfig) config = db_history_config_new ("h.db");
  guint notified = 0;

  g_signal_connect (config, "notify::retention-days", G_CALLBACK (count_calls), &notified);
  db_history_config_set_retention_days (config, 30);   /* unchanged: no notify */
  g_assert_cmpuint (notified, ==, 0);
  db_history_config_set_retention_days (config, 31);
  g_assert_cmpuint (notified, ==, 1);
  g_object_set (config, "retention-days", 31, NULL);
  g_assert_cmpuint (notified, ==, 1);
}

static void
test_config_json_errors (void)
{
  static const struct {
    const char *json;
    const char *names;   /* a substring the message must contain */
  } cases[] = {
    { "{\"db-path\": \"h.db\", \"retention\": 3}", "“retention”" },
    { "{\"db-path\": \"h.db\", \"retention_days\": 3}", "“retention_days”" },
    { "{\"db-path\": \"h.db\", \"retention-days\": \"3\"}", "“retention-days”" },
    { "{\"db-path\": \"h.db\", \"retention-days\": -1}", "“retention-days”" },
    { "{\"db-path\": \"h.db\", \"retention-days\": 1.5}", "“retention-days”" },
    { "{\"db-path\": \"h.db\", \"retention-days\": 40000}", "“retention-days”" },
    { "{\"db-path\": \"h.db\", \"max-snapshots-per-file\": true}", "“max-snapshots-per-file”" },
    { "{\"db-path\": \"h.db\", \"auto-cleanup-interval-s\": null}", "“auto-cleanup-interval-s”" },
    { "{\"db-path\": \"h.db\", \"auto-cleanup-interval-s\": 5000000000}", "“auto-cleanup-interval-s”" },
    { "{\"db-path\": \"h.db\", \"min-connections\": 5, \"max-connections\": 4}", "“min-connections”" },
    { "{\"db-path\": \"h.db\", \"max-connections\": 0}", "“max-connections”" },
    { "{\"db-path\": \"h.db\", \"max-connections\": 5000}", "“max-connections”" },
    { "{\"db-path\": \"h.db\", \"connection-timeout-secs\": 4294968}", "“connection-timeout-secs”" },
    { "{\"db-path\": \"h.db\", \"connection-timeout-secs\": [1]}", "“connection-timeout-secs”" },
    { "{\"db-path\": \"h.db\", \"exclusive\": \"yes\"}", "“exclusive”" },
    { "{\"db-path\": 3}", "“db-path”" },
    { "{\"db-path\": \"\"}", "“db-path”" },
    { "{\"db-path\": \":memory:\"}", "“db-path”" },
    { "{\"retention-days\": 3}", "“db-path”" },
    { "{\"db-path\": \"h.db\",}", "JSON" },
    { "[\"db-path\"]", "object" },
    { "", "object" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(DbHistoryConfig) config = db_history_config_new_from_json (cases[i].json, &error);

      g_test_message ("case %u: %s → %s", i, cases[i].json, error ? error->message : "(no error)");
      g_assert_null (config);
      g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG);
      g_assert_nonnull (strstr (error->message, cases[i].names));
    }
}

static void
test_config_storage_refuses_invalid (void)
{
  g_autoptr(DbHistoryConfig) config = test_history_config ();
  g_autoptr(DbHistoryStorage) storage = NULL;
  g_autoptr(GError) error = NULL;

  db_history_config_set_min_connections (config, 4);
  db_history_config_set_max_connections (config, 2);
  storage = db_history_storage_new (config, NULL, &error);
  g_assert_null (storage);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG);
  g_assert_nonnull (strstr (error->message, "min-connections"));
}

/* Objects */

static void
test_diagnostic_object (void)
{
  g_autoptr(DbDiagnostic) d = db_diagnostic_new (DB_SEVERITY_HINT, "msg", NULL, "C1", 1, 2, 3, 4);
  g_autoptr(DbDiagnostic) empty = g_object_new (DB_TYPE_DIAGNOSTIC, NULL);
  DbSeverity severity;
  g_autofree char *code = NULL;

  assert_diagnostic (d, DB_SEVERITY_HINT, "msg", NULL, "C1", 1, 2, 3, 4);
  g_object_get (d, "severity", &severity, "code", &code, NULL);
  g_assert_cmpint (severity, ==, DB_SEVERITY_HINT);
  g_assert_cmpstr (code, ==, "C1");

  /* Defaults: an error with an empty (never NULL) message. */
  assert_diagnostic (empty, DB_SEVERITY_ERROR, "", NULL, NULL, 0, 0, 0, 0);
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              gpointer    user_data)
{
  GPtrArray *names = user_data;

  g_ptr_array_add (names, g_strdup (g_param_spec_get_name (pspec)));
}

static void
test_snapshot_object (void)
{
  g_autoptr(DbDiagnosticSnapshot) snapshot = db_diagnostic_snapshot_new ("file:///a.c", 7);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  gint64 before = g_get_real_time ();
  static const DbSeverity severities[] = {
    DB_SEVERITY_WARNING, DB_SEVERITY_ERROR, DB_SEVERITY_WARNING, DB_SEVERITY_HINT,
    DB_SEVERITY_INFORMATION, DB_SEVERITY_WARNING,
  };

  g_assert_cmpint (db_diagnostic_snapshot_get_id (snapshot), ==, 0);
  g_assert_cmpstr (db_diagnostic_snapshot_get_file_uri (snapshot), ==, "file:///a.c");
  g_assert_cmpint (db_diagnostic_snapshot_get_version (snapshot), ==, 7);
  g_assert_cmpint (db_diagnostic_snapshot_get_timestamp_us (snapshot), <=, before);
  g_assert_cmpint (db_diagnostic_snapshot_get_timestamp_us (snapshot), >, before - 60 * G_USEC_PER_SEC);
  g_assert_true (db_diagnostic_snapshot_get_diagnostics_loaded (snapshot));
  g_assert_cmpuint (g_list_model_get_n_items (db_diagnostic_snapshot_get_diagnostics (snapshot)), ==, 0);

  g_signal_connect (snapshot, "notify", G_CALLBACK (count_notify), names);
  for (guint i = 0; i < G_N_ELEMENTS (severities); i++)
    {
      g_autoptr(DbDiagnostic) d = db_diagnostic_new (severities[i], "m", NULL, NULL, 0, 0, 0, 0);
      db_diagnostic_snapshot_add_diagnostic (snapshot, d);
    }

  g_assert_cmpuint (db_diagnostic_snapshot_get_error_count (snapshot), ==, 1);
  g_assert_cmpuint (db_diagnostic_snapshot_get_warning_count (snapshot), ==, 3);
  g_assert_cmpuint (db_diagnostic_snapshot_get_information_count (snapshot), ==, 1);
  g_assert_cmpuint (db_diagnostic_snapshot_get_hint_count (snapshot), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (db_diagnostic_snapshot_get_diagnostics (snapshot)), ==, 6);
  g_assert_cmpuint (names->len, ==, 6);
  g_assert_cmpstr (g_ptr_array_index (names, 0), ==, "warning-count");
  g_assert_cmpstr (g_ptr_array_index (names, 1), ==, "error-count");

  /* Setting the same value again does not notify. */
  db_diagnostic_snapshot_set_version (snapshot, 7);
  db_diagnostic_snapshot_set_file_uri (snapshot, "file:///a.c");
  g_assert_cmpuint (names->len, ==, 6);
  db_diagnostic_snapshot_set_version (snapshot, -1);
  g_assert_cmpuint (names->len, ==, 7);
}

/* Recording and reading back */

static void
test_record_snapshot (void)
{
  g_autoptr(DbHistoryConfig) config = test_history_config ();
  g_autoptr(DbHistoryStorage) storage = storage_new (config);
  g_autoptr(DbDiagnosticSnapshot) snapshot = db_diagnostic_snapshot_new ("file:///src/main.c", 3);
  g_autoptr(DbDiagnosticSnapshot) back = NULL;
  g_autoptr(DbDiagnostic) d1 = db_diagnostic_new (DB_SEVERITY_ERROR, "expected ';'", "clang", "expected_semi", 10, 4, 10, 5);
  g_autoptr(DbDiagnostic) d2 = db_diagnostic_new (DB_SEVERITY_WARNING, "unused variable 'x'", NULL, NULL, 2, 0, 2, 8);
  g_autoptr(DbDiagnostic) d3 = db_diagnostic_new (DB_SEVERITY_HINT, "could be const", "clang-tidy", "42", 0, 0, 1, 0);
  gint64 id;

  db_diagnostic_snapshot_add_diagnostic (snapshot, d1);
  db_diagnostic_snapshot_add_diagnostic (snapshot, d2);
  db_diagnostic_snapshot_add_diagnostic (snapshot, d3);
  id = record_snapshot_ok (storage, snapshot);
  assert_row_counts (storage, 1, 1, 3);

  back = test_history_latest (storage, "file:///src/main.c");
  g_assert_nonnull (back);
  g_assert_cmpint (db_diagnostic_snapshot_get_id (back), ==, id);
  g_assert_cmpstr (db_diagnostic_snapshot_get_file_uri (back), ==, "file:///src/main.c");
  g_assert_cmpint (db_diagnostic_snapshot_get_version (back), ==, 3);
  g_assert_cmpint (db_diagnostic_snapshot_get_timestamp_us (back), ==,
                   db_diagnostic_snapshot_get_timestamp_us (snapshot));
  g_assert_true (db_diagnostic_snapshot_get_diagnostics_loaded (back));
  g_assert_cmpuint (db_diagnostic_snapshot_get_error_count (back), ==, 1);
  g_assert_cmpuint (db_diagnostic_snapshot_get_warning_count (back), ==, 1);
  g_assert_cmpuint (db_diagnostic_snapshot_get_information_count (back), ==, 0);
  g_assert_cmpuint (db_diagnostic_snapshot_get_hint_count (back), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (db_diagnostic_snapshot_get_diagnostics (back)), ==, 3);
  assert_diagnostic (diagnostic_at (back, 0), DB_SEVERITY_ERROR, "expected ';'", "clang", "expected_semi", 10, 4, 10, 5);
  assert_diagnostic (diagnostic_at (back, 1), DB_SEVERITY_WARNING, "unused variable 'x'", NULL, NULL, 2, 0, 2, 8);
  assert_diagnostic (diagnostic_at (back, 2), DB_SEVERITY_HINT, "could be const", "clang-tidy", "42", 0, 0, 1, 0);

  /* The same through get_snapshot. */
  g_clear_object (&back);
  back = get_snapshot (storage, id);
  g_assert_nonnull (back);
  g_assert_cmpstr (db_diagnostic_snapshot_get_file_uri (back), ==, "file:///src/main.c");
  g_assert_cmpuint (g_list_model_get_n_items (db_diagnostic_snapshot_get_diagnostics (back)), ==, 3);

  /* Unknown ids and files are NULL without an error. */
  g_clear_object (&back);
  back = get_snapshot (storage, id + 1000);
  g_assert_null (back);
}

static void
test_record_clean_snapshot (void)
{
  g_autoptr(DbHistoryConfig) config = test_history_config ();
  g_autoptr(DbHistoryStorage) storage = storage_new (config);
  g_autoptr(DbDiagnosticSnapshot) back = NULL;
  gint64 id;

  id = record_json_ok (storage, "{\"uri\": \"file:///clean.py\", \"diagnostics\": []}");
  assert_row_counts (storage, 1, 1, 0);
  back = test_history_latest (storage, "file:///clean.py");
  g_assert_nonnull (back);
  g_assert_cmpint (db_diagnostic_snapshot_get_id (back), ==, id);
  g_assert_cmpint (db_diagnostic_snapshot_get_version (back), ==, -1);
  g_assert_cmpuint (g_list_model_get_n_items (db_diagnostic_snapshot_get_diagnostics (back)), ==, 0);
  g_assert_cmpuint (db_diagnostic_snapshot_get_error_count (back), ==, 0);
}

static void
test_record_snapshot_bad (void)
{
  g_autoptr(DbHistoryConfig) config = test_history_config ();
  g_autoptr(DbHistoryStorage) storage = storage_new (config);
  g_autoptr(DbDiagnosticSnapshot) snapshot = db_diagnostic_snapshot_new ("", -1);
  g_autoptr(GListModel) history = NULL;
  g_autoptr(GError) error = NULL;
  DbDiagnosticSnapshot *summary;

  g_assert_cmpint (record_snapshot (storage, snapshot, &error), ==, 0);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "file-uri"));
  g_clear_error (&error);
  assert_row_counts (storage, 0, 0, 0);

  /* A summary cannot be recorded: its diagnostics are not there. */
  record_json_ok (storage, "{\"uri\": \"file:///s.c\", \"diagnostics\": "
                  "[{\"range\": {\"start\": {\"line\": 0, \"character\": 0}, "
                  "\"end\": {\"line\": 0, \"character\": 1}}, \"message\": \"m\"}]}");
  history = file_history (storage, "file:///s.c", 0);
  summary = g_list_model_get_item (history, 0);
  g_assert_cmpint (record_snapshot (storage, summary, &error), ==, 0);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_INPUT);
  g_object_unref (summary);
  assert_row_counts (storage, 1, 1, 1);
}

static void
test_record_lsp_json (void)
{
  g_autoptr(DbHistoryConfig) config = test_history_config ();
  g_autoptr(DbHistoryStorage) storage = storage_new (config);
  g_autoptr(DbDiagnosticSnapshot) back = NULL;
  gint64 before = g_get_real_time ();
  gint64 id;

  /* The whole notification, with every optional member, an integer code, a null
   * code, a missing severity, and members LSP may add later. */
  id = record_json_ok (storage,
    "{\"jsonrpc\": \"2.0\", \"method\": \"textDocument/publishDiagnostics\", \"params\": {"
    " \"uri\": \"file:///home/dev/x.c\", \"version\": 12, \"diagnostics\": ["
    "  {\"range\": {\"start\": {\"line\": 1, \"character\": 2}, \"end\": {\"line\": 3, \"character\": 4}},"
    "   \"severity\": 2, \"code\": 1234, \"source\": \"gcc\", \"message\": \"first\","
    "   \"codeDescription\": {\"href\": \"https://example.com\"}, \"tags\": [1, 2],"
    "   \"relatedInformation\": [{\"location\": {\"uri\": \"file:///y\", \"range\": {}}, \"message\": \"here\"}],"
    "   \"data\": {\"anything\": [1, \"x\"]}},"
    "  {\"range\": {\"start\": {\"line\": 0, \"character\": 0}, \"end\": {\"line\": 0, \"character\": 0}},"
    "   \"message\": \"no severity\", \"code\": null, \"source\": null, \"tags\": null},"
    "  {\"range\": {\"start\": {\"line\": 5, \"character\": 6}, \"end\": {\"line\": 7, \"character\": 8}},"
    "   \"severity\": 3, \"code\": \"E1\", \"message\": \"third\"},"
    "  {\"range\": {\"start\": {\"line\": 9, \"character\": 9}, \"end\": {\"line\": 9, \"character\": 10}},"
    "   \"severity\": 4, \"code\": -7, \"message\": {\"kind\": \"markdown\", \"value\": \"fourth\"}}"
    " ]}}");

  back = test_history_latest (storage, "file:///home/dev/x.c");
  g_assert_nonnull (back);
  g_assert_cmpint (db_diagnostic_snapshot_get_id (back), ==, id);
  g_assert_cmpint (db_diagnostic_snapshot_get_version (back), ==, 12);
  g_assert_cmpint (db_diagnostic_snapshot_get_timestamp_us (back), >=, before);
  g_assert_cmpint (db_diagnostic_snapshot_get_timestamp_us (back), <=, g_get_real_time ());
  g_assert_cmpuint (db_diagnostic_snapshot_get_error_count (back), ==, 1);
  g_assert_cmpuint (db_diagnostic_snapshot_get_warning_count (back), ==, 1);
  g_assert_cmpuint (db_diagnostic_snapshot_get_information_count (back), ==, 1);
  g_assert_cmpuint (db_diagnostic_snapshot_get_hint_count (back), ==, 1);
  assert_diagnostic (diagnostic_at (back, 0), DB_SEVERITY_WARNING, "first", "gcc", "1234", 1, 2, 3, 4);
  assert_diagnostic (diagnostic_at (back, 1), DB_SEVERITY_ERROR, "no severity", NULL, NULL, 0, 0, 0, 0);
  assert_diagnostic (diagnostic_at (back, 2), DB_SEVERITY_INFORMATION, "third", NULL, "E1", 5, 6, 7, 8);
  assert_diagnostic (diagnostic_at (back, 3), DB_SEVERITY_HINT, "fourth", NULL, "-7", 9, 9, 9, 10);

  /* Just the params object, with a null version. */
  g_clear_object (&back);
  id = record_json_ok (storage,
    "{\"uri\": \"file:///home/dev/x.c\", \"version\": null, \"diagnostics\": ["
    " {\"range\": {\"start\": {\"line\": 100, \"character\": 0}, \"end\": {\"line\": 100, \"character\": 2147483647}},"
    "  \"severity\": 1, \"message\": \"only\"}]}");
  back = test_history_latest (storage, "file:///home/dev/x.c");
  g_assert_cmpint (db_diagnostic_snapshot_get_id (back), ==, id);
  g_assert_cmpint (db_diagnostic_snapshot_get_version (back), ==, -1);
  assert_diagnostic (diagnostic_at (back, 0), DB_SEVERITY_ERROR, "only", NULL, NULL, 100, 0, 100, G_MAXINT32);

  assert_row_counts (storage, 1, 2, 5);
}

/* Every bad input is INVALID_INPUT naming the field, and records nothing. */
static void
test_record_lsp_json_bad (void)
{
#define RANGE "\"range\": {\"start\": {\"line\": 1, \"character\": 2}, \"end\": {\"line\": 1, \"character\": 3}}"
#define GOOD_DIAG "{" RANGE ", \"severity\": 1, \"message\": \"ok\"}"
#define NOTE(params) "{\"jsonrpc\": \"2.0\", \"method\": \"textDocument/publishDiagnostics\", \"params\": " params "}"
  static const struct {
    const char *json;
    const char *names;
  } cases[] = {
    /* Not JSON, or not an object */
    { "", "expected a JSON object" },
    { "{\"uri\": ", "malformed JSON" },
    { "{\"uri\": \"file:///a\", \"diagnostics\": []", "malformed JSON" },
    { "[1, 2]", "expected a JSON object, got an array" },
    { "\"text\"", "expected a JSON object" },
    { "\xff\xfe{}", "malformed JSON" },
    /* Not publishDiagnostics */
    { "{\"jsonrpc\": \"2.0\", \"method\": \"textDocument/didOpen\", \"params\": {\"uri\": \"file:///a\", \"diagnostics\": []}}", "“method”" },
    { "{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": null}", "“method”" },
    { "{\"jsonrpc\": \"2.0\", \"method\": 5, \"params\": {}}", "“method”" },
    { "{\"method\": \"textDocument/publishDiagnostics\"}", "“params”" },
    { "{\"method\": \"textDocument/publishDiagnostics\", \"params\": [1]}", "“params”" },
    /* uri */
    { NOTE ("{\"diagnostics\": []}"), "“params.uri”" },
    { NOTE ("{\"uri\": 42, \"diagnostics\": []}"), "“params.uri”" },
    { NOTE ("{\"uri\": null, \"diagnostics\": []}"), "“params.uri”" },
    { NOTE ("{\"uri\": \"\", \"diagnostics\": []}"), "“params.uri”" },
    { "{\"uri\": [\"file:///a\"], \"diagnostics\": []}", "“uri”" },
    /* version */
    { NOTE ("{\"uri\": \"file:///a\", \"version\": \"3\", \"diagnostics\": []}"), "“params.version”" },
    { NOTE ("{\"uri\": \"file:///a\", \"version\": 1.5, \"diagnostics\": []}"), "“params.version”" },
    { NOTE ("{\"uri\": \"file:///a\", \"version\": -2, \"diagnostics\": []}"), "“params.version”" },
    /* diagnostics */
    { NOTE ("{\"uri\": \"file:///a\"}"), "“params.diagnostics”" },
    { NOTE ("{\"uri\": \"file:///a\", \"diagnostics\": null}"), "“params.diagnostics”" },
    { NOTE ("{\"uri\": \"file:///a\", \"diagnostics\": {}}"), "“params.diagnostics”" },
    { NOTE ("{\"uri\": \"file:///a\", \"diagnostics\": [" GOOD_DIAG ", 7]}"), "“params.diagnostics[1]”" },
    /* range and positions */
    { NOTE ("{\"uri\": \"file:///a\", \"diagnostics\": [{\"message\": \"m\"}]}"), "“params.diagnostics[0].range”" },
    { NOTE ("{\"uri\": \"file:///a\", \"diagnostics\": [{\"range\": [], \"message\": \"m\"}]}"), "“params.diagnostics[0].range”" },
    { NOTE ("{\"uri\": \"file:///a\", \"diagnostics\": [{\"range\": {\"end\": {\"line\": 1, \"character\": 1}}, \"message\": \"m\"}]}"), "“params.diagnostics[0].range.start”" },
    { NOTE ("{\"uri\": \"file:///a\", \"diagnostics\": [" GOOD_DIAG ", " GOOD_DIAG ", " GOOD_DIAG ", {\"range\": {\"start\": {\"line\": -1, \"character\": 0}, \"end\": {\"line\": 1, \"character\": 1}}, \"message\": \"m\"}]}"), "“params.diagnostics[3].range.start.line”" },
    { NOTE ("{\"uri\": \"file:///a\", \"diagnostics\": [{\"range\": {\"start\": {\"line\": 1.5, \"character\": 0}, \"end\": {\"line\": 1, \"character\": 1}}, \"message\": \"m\"}]}"), "“params.diagnostics[0].range.start.line”" },
    { NOTE ("{\"uri\": \"file:///a\", \"diagnostics\": [{\"range\": {\"start\": {\"line\": 1, \"character\": \"0\"}, \"end\": {\"line\": 1, \"character\": 1}}, \"message\": \"m\"}]}"), "“params.diagnostics[0].range.start.character”" },
    { NOTE ("{\"uri\": \"file:///a\", \"diagnostics\": [{\"range\": {\"start\": {\"line\": 1, \"character\": 0}, \"end\": {\"line\": 1}}, \"message\": \"m\"}]}"), "“params.diagnostics[0].range.end.character”" },
    { NOTE ("{\"uri\": \"file:///a\", \"diagnostics\": [{\"range\": {\"start\": {\"line\": 1, \"character\": 0}, \"end\": {\"line\": 2147483648, \"character\": 1}}, \"message\": \"m\"}]}"), "“params.diagnostics[0].range.end.line”" },
    { NOTE ("{\"uri\": \"file:///a\", \"diagnostics\": [{\"range\": {\"start\": {\"line\": 1, \"character\": 0}, \"end\": {\"line\": null, \"character\": 1}}, \"message\": \"m\"}]}"), "“params.diagnostics[0].range.end.line”" },
    /* severity */
    { NOTE ("{\"uri\": \"file:///a\", \"diagnostics\": [{" RANGE ", \"severity\": 0, \"message\": \"m\"}]}"), "“params.diagnostics[0].severity”" },
    { NOTE ("{\"uri\": \"file:///a\", \"diagnostics\": [{" RANGE ", \"severity\": 5, \"message\": \"m\"}]}"), "“params.diagnostics[0].severity”" },
    { NOTE ("{\"uri\": \"file:///a\", \"diagnostics\": [{" RANGE ", \"severity\": \"error\", \"message\": \"m\"}]}"), "“params.diagnostics[0].severity”" },
    { NOTE ("{\"uri\": \"file:///a\", \"diagnostics\": [{" RANGE ", \"severity\": 1.0, \"message\": \"m\"}]}"), "“params.diagnostics[0].severity”" },
    /* message */
    { NOTE ("{\"uri\": \"file:///a\", \"diagnostics\": [{" RANGE "}]}"), "“params.diagnostics[0].message”" },
    { NOTE ("{\"uri\": \"file:///a\", \"diagnostics\": [{" RANGE ", \"message\": 3}]}"), "“params.diagnostics[0].message”" },
    { NOTE ("{\"uri\": \"file:///a\", \"diagnostics\": [{" RANGE ", \"message\": null}]}"), "“params.diagnostics[0].message”" },
    /* code, source and the optional members */
    { NOTE ("{\"uri\": \"file:///a\", \"diagnostics\": [{" RANGE ", \"message\": \"m\", \"code\": 1.5}]}"), "“params.diagnostics[0].code”" },
    { NOTE ("{\"uri\": \"file:///a\", \"diagnostics\": [{" RANGE ", \"message\": \"m\", \"code\": true}]}"), "“params.diagnostics[0].code”" },
    { NOTE ("{\"uri\": \"file:///a\", \"diagnostics\": [{" RANGE ", \"message\": \"m\", \"code\": {}}]}"), "“params.diagnostics[0].code”" },
    { NOTE ("{\"uri\": \"file:///a\", \"diagnostics\": [{" RANGE ", \"message\": \"m\", \"source\": 1}]}"), "“params.diagnostics[0].source”" },
    { NOTE ("{\"uri\": \"file:///a\", \"diagnostics\": [{" RANGE ", \"message\": \"m\", \"codeDescription\": \"x\"}]}"), "“params.diagnostics[0].codeDescription”" },
    { NOTE ("{\"uri\": \"file:///a\", \"diagnostics\": [{" RANGE ", \"message\": \"m\", \"codeDescription\": {\"href\": 1}}]}"), "“params.diagnostics[0].codeDescription.href”" },
    { NOTE ("{\"uri\": \"file:///a\", \"diagnostics\": [{" RANGE ", \"message\": \"m\", \"tags\": 1}]}"), "“params.diagnostics[0].tags”" },
    { NOTE ("{\"uri\": \"file:///a\", \"diagnostics\": [{" RANGE ", \"message\": \"m\", \"tags\": [1, \"x\"]}]}"), "“params.diagnostics[0].tags[1]”" },
    { NOTE ("{\"uri\": \"file:///a\", \"diagnostics\": [{" RANGE ", \"message\": \"m\", \"relatedInformation\": {}}]}"), "“params.diagnostics[0].relatedInformation”" },
    { NOTE ("{\"uri\": \"file:///a\", \"diagnostics\": [{" RANGE ", \"message\": \"m\", \"relatedInformation\": [3]}]}"), "“params.diagnostics[0].relatedInformation[0]”" },
    /* Without the envelope, paths have no "params." */
    { "{\"uri\": \"file:///a\", \"diagnostics\": [" GOOD_DIAG ", {" RANGE ", \"severity\": 9, \"message\": \"m\"}]}", "“diagnostics[1].severity”" },
  };
#undef NOTE
#undef GOOD_DIAG
#undef RANGE
  g_autoptr(DbHistoryConfig) config = test_history_config ();
  g_autoptr(DbHistoryStorage) storage = storage_new (config);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 id = record_json (storage, cases[i].json, &error);

      g_test_message ("case %u: %s", i, error ? error->message : "(no error)");
      g_assert_cmpint (id, ==, 0);
      g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_INPUT);
      g_assert_nonnull (strstr (error->message, cases[i].names));
    }

  assert_row_counts (storage, 0, 0, 0);
}

static void
test_verbatim (void)
{
  static const char *const texts[] = {
    "file:///it's \"quoted\"; DROP TABLE snapshots; --.c",
    "Robert'); DELETE FROM diagnostics WHERE ('1'='1",
    "SELECT * FROM files; /* comment */ -- and % _ \\ wildcards",
    "Ünïcödé ✓ 日本語 emoji 🚀 and a\ttab\nnewline",
  };
  g_autoptr(DbHistoryConfig) config = test_history_config ();
  g_autoptr(DbHistoryStorage) storage = storage_new (config);

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      const char *text = texts[i];
      g_autofree char *uri = g_strdup_printf ("file:///%u/%s", i, text);
      g_autoptr(DbDiagnosticSnapshot) snapshot = db_diagnostic_snapshot_new (uri, i);
      g_autoptr(DbDiagnosticSnapshot) back = NULL;
      g_autoptr(DbDiagnostic) d = db_diagnostic_new (DB_SEVERITY_WARNING, text, text, text, 1, 2, 3, 4);
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *json = NULL;
      g_autofree char *json_uri = g_strconcat (uri, "#json", NULL);

      /* Through a snapshot object. */
      db_diagnostic_snapshot_add_diagnostic (snapshot, d);
      record_snapshot_ok (storage, snapshot);
      back = test_history_latest (storage, uri);
      g_assert_nonnull (back);
      g_assert_cmpstr (db_diagnostic_snapshot_get_file_uri (back), ==, uri);
      assert_diagnostic (diagnostic_at (back, 0), DB_SEVERITY_WARNING, text, text, text, 1, 2, 3, 4);
      g_clear_object (&back);

      /* Through JSON (json-glib escapes what needs escaping). */
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "uri");
      json_builder_add_string_value (builder, json_uri);
      json_builder_set_member_name (builder, "diagnostics");
      json_builder_begin_array (builder);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "range");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "start");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "line");
      json_builder_add_int_value (builder, 5);
      json_builder_set_member_name (builder, "character");
      json_builder_add_int_value (builder, 6);
      json_builder_end_object (builder);
      json_builder_set_member_name (builder, "end");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "line");
      json_builder_add_int_value (builder, 7);
      json_builder_set_member_name (builder, "character");
      json_builder_add_int_value (builder, 8);
      json_builder_end_object (builder);
      json_builder_end_object (builder);
      json_builder_set_member_name (builder, "severity");
      json_builder_add_int_value (builder, 1);
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, text);
      json_builder_set_member_name (builder, "source");
      json_builder_add_string_value (builder, text);
      json_builder_set_member_name (builder, "code");
      json_builder_add_string_value (builder, text);
      json_builder_end_object (builder);
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      json = json_to_string (root, FALSE);

      record_json_ok (storage, json);
      back = test_history_latest (storage, json_uri);
      g_assert_nonnull (back);
      g_assert_cmpstr (db_diagnostic_snapshot_get_file_uri (back), ==, json_uri);
      assert_diagnostic (diagnostic_at (back, 0), DB_SEVERITY_ERROR, text, text, text, 5, 6, 7, 8);
    }

  /* Nothing was executed as SQL. */
  assert_row_counts (storage, 2 * G_N_ELEMENTS (texts), 2 * G_N_ELEMENTS (texts),
                     2 * G_N_ELEMENTS (texts));
}

/* Queries */

static void
test_latest_none (void)
{
  g_autoptr(DbHistoryConfig) config = test_history_config ();
  g_autoptr(DbHistoryStorage) storage = storage_new (config);
  g_autoptr(DbDiagnosticSnapshot) none = test_history_latest (storage, "file:///nothing");
  g_autoptr(GListModel) history = file_history (storage, "file:///nothing", 10);
  g_autoptr(GVariant) t = trend (storage, "file:///nothing", 0, G_USEC_PER_SEC);

  g_assert_null (none);
  g_assert_cmpuint (g_list_model_get_n_items (history), ==, 0);
  g_assert_cmpuint (g_variant_n_children (t), ==, 0);
}

static void
test_history_order (void)
{
  g_autoptr(DbHistoryConfig) config = test_history_config ();
  g_autoptr(DbHistoryStorage) storage = storage_new (config);
  g_autoptr(GListModel) all = NULL;
  g_autoptr(GListModel) limited = NULL;
  g_autoptr(GListModel) other = NULL;
  g_autoptr(DbDiagnosticSnapshot) newest = NULL;
  gint64 base = g_get_real_time () - (gint64) 3600 * G_USEC_PER_SEC;
  /* Recorded out of time order; two share a timestamp (the later id wins). */
  static const struct { gint64 offset_s; guint errors; } order[] = {
    { 30, 3 }, { 10, 1 }, { 50, 5 }, { 20, 2 }, { 40, 4 }, { 50, 6 },
  };
  gint64 ids[G_N_ELEMENTS (order)];
  static const guint expected_errors[] = { 6, 5, 4, 3, 2, 1 };

  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    {
      g_autoptr(DbDiagnosticSnapshot) s =
        make_snapshot ("file:///h.c", base + order[i].offset_s * G_USEC_PER_SEC, order[i].errors, 1);
      ids[i] = record_snapshot_ok (storage, s);
    }
  {
    g_autoptr(DbDiagnosticSnapshot) s = make_snapshot ("file:///other.c", base + 100 * G_USEC_PER_SEC, 9, 0);
    record_snapshot_ok (storage, s);
  }

  all = file_history (storage, "file:///h.c", 0);
  g_assert_cmpuint (g_list_model_get_n_items (all), ==, G_N_ELEMENTS (order));
  for (guint i = 0; i < g_list_model_get_n_items (all); i++)
    {
      g_autoptr(DbDiagnosticSnapshot) s = g_list_model_get_item (all, i);

      g_assert_cmpstr (db_diagnostic_snapshot_get_file_uri (s), ==, "file:///h.c");
      g_assert_cmpuint (db_diagnostic_snapshot_get_error_count (s), ==, expected_errors[i]);
      g_assert_cmpuint (db_diagnostic_snapshot_get_warning_count (s), ==, 1);
      /* Summaries: counts without the diagnostics. */
      g_assert_false (db_diagnostic_snapshot_get_diagnostics_loaded (s));
      g_assert_cmpuint (g_list_model_get_n_items (db_diagnostic_snapshot_get_diagnostics (s)), ==, 0);
    }
  {
    g_autoptr(DbDiagnosticSnapshot) first = g_list_model_get_item (all, 0);
    g_autoptr(DbDiagnosticSnapshot) second = g_list_model_get_item (all, 1);
    g_autoptr(DbDiagnosticSnapshot) full = NULL;

    g_assert_cmpint (db_diagnostic_snapshot_get_id (first), ==, ids[5]);
    g_assert_cmpint (db_diagnostic_snapshot_get_id (second), ==, ids[2]);
    g_assert_cmpint (db_diagnostic_snapshot_get_timestamp_us (first), ==, base + 50 * G_USEC_PER_SEC);

    /* A summary's id loads the complete snapshot. */
    full = get_snapshot (storage, db_diagnostic_snapshot_get_id (second));
    g_assert_true (db_diagnostic_snapshot_get_diagnostics_loaded (full));
    g_assert_cmpuint (g_list_model_get_n_items (db_diagnostic_snapshot_get_diagnostics (full)), ==, 6);
    g_assert_cmpuint (db_diagnostic_snapshot_get_error_count (full), ==, 5);
  }

  limited = file_history (storage, "file:///h.c", 2);
  g_assert_cmpuint (g_list_model_get_n_items (limited), ==, 2);
  {
    g_autoptr(DbDiagnosticSnapshot) s = g_list_model_get_item (limited, 1);
    g_assert_cmpint (db_diagnostic_snapshot_get_id (s), ==, ids[2]);
  }

  other = file_history (storage, "file:///other.c", 10);
  g_assert_cmpuint (g_list_model_get_n_items (other), ==, 1);

  newest = test_history_latest (storage, "file:///h.c");
  g_assert_cmpint (db_diagnostic_snapshot_get_id (newest), ==, ids[5]);
  g_assert_cmpuint (db_diagnostic_snapshot_get_error_count (newest), ==, 6);
}

static void
test_list_latest (void)
{
  g_autoptr(DbHistoryConfig) config = test_history_config ();
  g_autoptr(DbHistoryStorage) storage = storage_new (config);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GListModel) model = NULL;
  gint64 base = g_get_real_time () - (gint64) 3600 * G_USEC_PER_SEC;
  static const struct { const char *uri; gint64 offset_s; guint errors; } snaps[] = {
    { "file:///b.c", 1, 1 }, { "file:///a.c", 2, 2 }, { "file:///b.c", 3, 3 },
    { "file:///c.c", 4, 4 }, { "file:///a.c", 0, 5 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (snaps); i++)
    {
      g_autoptr(DbDiagnosticSnapshot) s =
        make_snapshot (snaps[i].uri, base + snaps[i].offset_s * G_USEC_PER_SEC, snaps[i].errors, 0);
      record_snapshot_ok (storage, s);
    }

  db_history_storage_list_latest_async (storage, NULL, test_store_result, &result);
  model = db_history_storage_list_latest_finish (storage, test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 3);
  {
    static const struct { const char *uri; guint errors; } expected[] = {
      { "file:///a.c", 2 }, { "file:///b.c", 3 }, { "file:///c.c", 4 },
    };

    for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
      {
        g_autoptr(DbDiagnosticSnapshot) s = g_list_model_get_item (model, i);

        g_assert_cmpstr (db_diagnostic_snapshot_get_file_uri (s), ==, expected[i].uri);
        g_assert_cmpuint (db_diagnostic_snapshot_get_error_count (s), ==, expected[i].errors);
      }
  }
}

static void
assert_bucket (GVariant *t,
               gsize     i,
               gint64    start,
               guint     errors,
               guint     warnings)
{
  gint64 s;
  guint32 e, w, n, h;

  g_assert_cmpuint (i, <, g_variant_n_children (t));
  g_variant_get_child (t, i, "(xuuuu)", &s, &e, &w, &n, &h);
  g_assert_cmpint (s, ==, start);
  g_assert_cmpuint (e, ==, errors);
  g_assert_cmpuint (w, ==, warnings);
  g_assert_cmpuint (n, ==, 0);
  g_assert_cmpuint (h, ==, 0);
}

static void
test_trend (void)
{
  g_autoptr(DbHistoryConfig) config = test_history_config ();
  g_autoptr(DbHistoryStorage) storage = storage_new (config);
  g_autoptr(GVariant) one = NULL;
  g_autoptr(GVariant) all = NULL;
  g_autoptr(GVariant) late = NULL;
  const gint64 minute = 60 * G_USEC_PER_SEC;
  const gint64 t0 = (g_get_real_time () / (60 * minute) - 10) * 60 * minute;   /* hours ago */
  /* (file, minute, errors, warnings) */
  static const struct { const char *uri; int minute; guint errors; guint warnings; } snaps[] = {
    { "file:///a.c", -5, 7, 7 },   /* before since: still a's state at the start */
    { "file:///a.c",  1, 1, 1 },
    { "file:///a.c",  3, 2, 0 },   /* bucket 0 ends with a = (2, 0) */
    { "file:///b.c",  4, 10, 10 },
    { "file:///b.c", 12, 20, 0 },  /* bucket 2 (10-14), only b */
    { "file:///a.c", 31, 0, 3 },   /* bucket 6 (30-34) */
  };

  for (guint i = 0; i < G_N_ELEMENTS (snaps); i++)
    {
      g_autoptr(DbDiagnosticSnapshot) s =
        make_snapshot (snaps[i].uri, t0 + snaps[i].minute * minute, snaps[i].errors, snaps[i].warnings);
      record_snapshot_ok (storage, s);
    }

  /* 5-minute buckets from t0: one entry per bucket with snapshots. */
  one = trend (storage, "file:///a.c", t0, 5 * minute);
  g_assert_cmpuint (g_variant_n_children (one), ==, 2);
  assert_bucket (one, 0, t0, 2, 0);
  assert_bucket (one, 1, t0 + 30 * minute, 0, 3);

  /* All files: a file that was not republished keeps counting. */
  all = trend (storage, NULL, t0, 5 * minute);
  g_assert_cmpuint (g_variant_n_children (all), ==, 3);
  assert_bucket (all, 0, t0, 2 + 10, 0 + 10);
  assert_bucket (all, 1, t0 + 10 * minute, 2 + 20, 0);
  assert_bucket (all, 2, t0 + 30 * minute, 0 + 20, 3);

  /* Since after everything but the last: the earlier state still counts. */
  late = trend (storage, NULL, t0 + 20 * minute, 60 * minute);
  g_assert_cmpuint (g_variant_n_children (late), ==, 1);
  assert_bucket (late, 0, t0 + 20 * minute, 20, 3);

  /* A bucket width must be positive. */
  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) bad = NULL;

    db_history_storage_get_trend_async (storage, NULL, t0, 0, NULL, test_store_result, &result);
    bad = db_history_storage_get_trend_finish (storage, test_wait_result (&result), &error);
    g_assert_null (bad);
    g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_INPUT);
  }
}

/* Cleanup */

static void
test_cleanup_retention (void)
{
  g_autoptr(DbHistoryConfig) config = test_history_config ();
  g_autoptr(DbHistoryStorage) storage = NULL;
  g_autoptr(GListModel) kept = NULL;
  gint64 now = g_get_real_time ();

  db_history_config_set_retention_days (config, 10);
  db_history_config_set_max_snapshots_per_file (config, 0);
  storage = storage_new (config);

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(DbDiagnosticSnapshot) old_a = make_snapshot ("file:///a.c", now - (11 + i) * DAY_US, 2, 1);
      g_autoptr(DbDiagnosticSnapshot) old_gone = make_snapshot ("file:///gone.c", now - (20 + i) * DAY_US, 1, 0);
      record_snapshot_ok (storage, old_a);
      record_snapshot_ok (storage, old_gone);
    }
  {
    g_autoptr(DbDiagnosticSnapshot) recent = make_snapshot ("file:///a.c", now - 9 * DAY_US, 1, 1);
    g_autoptr(DbDiagnosticSnapshot) fresh = make_snapshot ("file:///a.c", now, 0, 4);
    record_snapshot_ok (storage, recent);
    record_snapshot_ok (storage, fresh);
  }
  assert_row_counts (storage, 2, 8, 3 * 3 + 3 * 1 + 2 + 4);

  g_assert_cmpuint (cleanup (storage), ==, 6);
  /* The file with no snapshot left is gone too; diagnostics went with their snapshots. */
  assert_row_counts (storage, 1, 2, 2 + 4);
  kept = file_history (storage, "file:///a.c", 0);
  g_assert_cmpuint (g_list_model_get_n_items (kept), ==, 2);

  g_assert_cmpuint (cleanup (storage), ==, 0);
}

static void
test_cleanup_max_per_file (void)
{
  g_autoptr(DbHistoryConfig) config = test_history_config ();
  g_autoptr(DbHistoryStorage) storage = NULL;
  g_autoptr(GListModel) a = NULL;
  gint64 now = g_get_real_time ();

  db_history_config_set_retention_days (config, 0);
  db_history_config_set_max_snapshots_per_file (config, 3);
  storage = storage_new (config);

  for (guint i = 0; i < 5; i++)
    {
      /* a.c: i errors at now - (10 - i) s, so the newest three have 2, 3, 4 errors */
      g_autoptr(DbDiagnosticSnapshot) s = make_snapshot ("file:///a.c", now - (10 - i) * G_USEC_PER_SEC, i, 0);
      record_snapshot_ok (storage, s);
    }
  for (guint i = 0; i < 2; i++)
    {
      /* Very old, but retention is off. */
      g_autoptr(DbDiagnosticSnapshot) s = make_snapshot ("file:///b.c", now - 1000 * DAY_US + i, 1, 0);
      record_snapshot_ok (storage, s);
    }
  assert_row_counts (storage, 2, 7, 0 + 1 + 2 + 3 + 4 + 2);

  g_assert_cmpuint (cleanup (storage), ==, 2);
  assert_row_counts (storage, 2, 5, 2 + 3 + 4 + 2);

  a = file_history (storage, "file:///a.c", 0);
  g_assert_cmpuint (g_list_model_get_n_items (a), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(DbDiagnosticSnapshot) s = g_list_model_get_item (a, i);
      g_assert_cmpuint (db_diagnostic_snapshot_get_error_count (s), ==, 4 - i);
    }
}

static void
on_auto_cleanup (DbHistoryStorage *storage,
                 guint             removed,
                 gpointer          user_data)
{
  GArray *runs = user_data;

  /* Delivered on the owner context, i.e. this (the main) thread. */
  g_assert_true (g_main_context_is_owner (g_main_context_default ()));
  g_array_append_val (runs, removed);
}

static void
test_auto_cleanup (void)
{
  g_autoptr(DbHistoryConfig) config = test_history_config ();
  g_autoptr(DbHistoryStorage) storage = NULL;
  g_autoptr(GArray) runs = g_array_new (FALSE, FALSE, sizeof (guint));
  gint64 now = g_get_real_time ();

  db_history_config_set_retention_days (config, 1);
  db_history_config_set_max_snapshots_per_file (config, 2);
  storage = storage_new (config);

  /* Three too old, and four recent of which two exceed the per-file limit, written
   * before the timer exists. */
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(DbDiagnosticSnapshot) s = make_snapshot ("file:///old.c", now - 2 * DAY_US - i, 1, 0);
      record_snapshot_ok (storage, s);
    }
  for (guint i = 0; i < 4; i++)
    {
      g_autoptr(DbDiagnosticSnapshot) s = make_snapshot ("file:///new.c", now - i, 0, 1);
      record_snapshot_ok (storage, s);
    }
  assert_row_counts (storage, 2, 7, 7);
  g_clear_object (&storage);

  db_history_config_set_auto_cleanup_interval_s (config, 1);
  storage = storage_new (config);
  g_signal_connect (storage, "auto-cleanup-finished", G_CALLBACK (on_auto_cleanup), runs);
  assert_row_counts (storage, 2, 7, 7);

  /* Nobody calls cleanup: the timer on this (the owner) context does. */
  test_wait_until (runs->len >= 1, 10000);
  g_assert_cmpuint (g_array_index (runs, guint, 0), ==, 5);
  assert_row_counts (storage, 1, 2, 2);

  /* It keeps running. */
  test_wait_until (runs->len >= 2, 10000);
  g_assert_cmpuint (g_array_index (runs, guint, 1), ==, 0);
}

static void
test_auto_cleanup_weak (void)
{
  g_autoptr(DbHistoryConfig) config = test_history_config ();
  DbHistoryStorage *storage;
  DbPool *pool;
  gint64 deadline;

  db_history_config_set_auto_cleanup_interval_s (config, 1);
  storage = storage_new (config);
  pool = g_object_ref (db_history_storage_get_pool (storage));
  g_object_add_weak_pointer (G_OBJECT (storage), (gpointer *) &storage);

  /* The timer alone does not keep the storage alive. */
  g_object_unref (storage);
  g_assert_null (storage);

  /* And once it fires after that, it just goes away. */
  deadline = g_get_monotonic_time () + 1500 * 1000;
  while (g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE) ? (void) 0 : g_usleep (10000);

  db_pool_close (pool);
  g_object_unref (pool);
}

/* Construction and migration */

static void
new_async_done (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  DbHistoryStorage **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = db_history_storage_new_finish (result, &error);
  g_assert_no_error (error);
}

static void
test_new_async (void)
{
  g_autoptr(DbHistoryConfig) config = test_history_config ();
  g_autoptr(DbHistoryStorage) storage = NULL;
  g_autoptr(DbDiagnosticSnapshot) snapshot = make_snapshot ("file:///async.c", g_get_real_time (), 1, 2);
  g_autoptr(DbHistoryConfig) own = NULL;

  db_history_storage_new_async (config, G_PRIORITY_DEFAULT, NULL, new_async_done, &storage);
  while (storage == NULL)
    g_main_context_iteration (NULL, TRUE);

  g_assert_true (DB_IS_POOL (db_history_storage_get_pool (storage)));
  record_snapshot_ok (storage, snapshot);
  g_assert_cmpint (query_int (storage, "PRAGMA user_version", NULL), ==, 2);

  /* The storage keeps its own copy of the config. */
  db_history_config_set_retention_days (config, 1);
  g_object_get (storage, "config", &own, NULL);
  g_assert_cmpuint (db_history_config_get_retention_days (own), ==, 30);
}

static void
exec_ok (sqlite3    *db,
         const char *sql)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

/* What the first release wrote: schema version 1, no counts on snapshots. */
static void
write_v1_database (const char *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  exec_ok (db,
           "CREATE TABLE files (id INTEGER PRIMARY KEY, uri TEXT NOT NULL UNIQUE);"
           "CREATE TABLE snapshots (id INTEGER PRIMARY KEY,"
           "  file_id INTEGER NOT NULL REFERENCES files (id),"
           "  timestamp_us INTEGER NOT NULL, version INTEGER);"
           "CREATE INDEX snapshots_by_file_time ON snapshots (file_id, timestamp_us);"
           "CREATE TABLE diagnostics (id INTEGER PRIMARY KEY,"
           "  snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,"
           "  severity INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 4),"
           "  message TEXT NOT NULL, source TEXT, code TEXT,"
           "  start_line INTEGER NOT NULL, start_character INTEGER NOT NULL,"
           "  end_line INTEGER NOT NULL, end_character INTEGER NOT NULL);"
           "CREATE INDEX diagnostics_by_snapshot ON diagnostics (snapshot_id);"
           "INSERT INTO files VALUES (1, 'file:///legacy.c');"
           "INSERT INTO snapshots VALUES (1, 1, 1000, 1);"
           "INSERT INTO snapshots VALUES (2, 1, 2000, NULL);"
           "INSERT INTO diagnostics VALUES (1, 1, 1, 'e1', 'cc', 'X1', 0, 0, 0, 1);"
           "INSERT INTO diagnostics VALUES (2, 1, 2, 'w1', NULL, NULL, 1, 0, 1, 1);"
           "INSERT INTO diagnostics VALUES (3, 2, 1, 'e2', NULL, NULL, 2, 0, 2, 1);"
           "INSERT INTO diagnostics VALUES (4, 2, 1, 'e3', NULL, NULL, 3, 0, 3, 1);"
           "INSERT INTO diagnostics VALUES (5, 2, 4, 'h1', NULL, NULL, 4, 0, 4, 1);"
           "PRAGMA user_version = 1;");
  sqlite3_close (db);
}

static void
test_migration_v1 (void)
{
  g_autoptr(DbHistoryConfig) config = test_history_config ();
  g_autoptr(DbHistoryStorage) storage = NULL;
  g_autoptr(GListModel) history = NULL;
  g_autoptr(DbDiagnosticSnapshot) newest = NULL;
  g_autoptr(DbDiagnosticSnapshot) added = make_snapshot ("file:///legacy.c", 3000, 0, 1);

  write_v1_database (db_history_config_get_db_path (config));
  storage = storage_new (config);

  g_assert_cmpint (query_int (storage, "PRAGMA user_version", NULL), ==, 2);
  g_assert_cmpint (query_int (storage, "SELECT count(*) FROM sqlite_master"
                              " WHERE type = 'index' AND name = 'snapshots_by_time'", NULL), ==, 1);
  assert_row_counts (storage, 1, 2, 5);

  /* The counts the upgrade added were computed from the old diagnostics. */
  history = file_history (storage, "file:///legacy.c", 0);
  g_assert_cmpuint (g_list_model_get_n_items (history), ==, 2);
  {
    g_autoptr(DbDiagnosticSnapshot) s2 = g_list_model_get_item (history, 0);
    g_autoptr(DbDiagnosticSnapshot) s1 = g_list_model_get_item (history, 1);

    g_assert_cmpint (db_diagnostic_snapshot_get_id (s2), ==, 2);
    g_assert_cmpint (db_diagnostic_snapshot_get_version (s2), ==, -1);
    g_assert_cmpuint (db_diagnostic_snapshot_get_error_count (s2), ==, 2);
    g_assert_cmpuint (db_diagnostic_snapshot_get_hint_count (s2), ==, 1);
    g_assert_cmpint (db_diagnostic_snapshot_get_id (s1), ==, 1);
    g_assert_cmpint (db_diagnostic_snapshot_get_version (s1), ==, 1);
    g_assert_cmpuint (db_diagnostic_snapshot_get_error_count (s1), ==, 1);
    g_assert_cmpuint (db_diagnostic_snapshot_get_warning_count (s1), ==, 1);
  }

  newest = test_history_latest (storage, "file:///legacy.c");
  g_assert_cmpint (db_diagnostic_snapshot_get_id (newest), ==, 2);
  assert_diagnostic (diagnostic_at (newest, 2), DB_SEVERITY_HINT, "h1", NULL, NULL, 4, 0, 4, 1);

  /* And the upgraded database takes new history. */
  record_snapshot_ok (storage, added);
  assert_row_counts (storage, 1, 3, 6);

  /* Opening again is a no-op. */
  g_clear_object (&storage);
  storage = storage_new (config);
  g_assert_cmpint (query_int (storage, "PRAGMA user_version", NULL), ==, 2);
  assert_row_counts (storage, 1, 3, 6);
}

static void
test_migration_newer (void)
{
  g_autoptr(DbHistoryConfig) config = test_history_config ();
  g_autoptr(DbHistoryStorage) storage = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (db_history_config_get_db_path (config), &db), ==, SQLITE_OK);
  exec_ok (db, "CREATE TABLE future (x); PRAGMA user_version = 99;");
  sqlite3_close (db);

  storage = db_history_storage_new (config, NULL, &error);
  g_assert_null (storage);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "99"));
}

/* Lifecycle and failure modes */

static void
count_recorded (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  guint *recorded = user_data;
  g_autoptr(GError) error = NULL;
  gint64 id = db_history_storage_record_lsp_json_finish (DB_HISTORY_STORAGE (object), result, &error);

  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  (*recorded)++;
}

static void
test_unref_in_flight (void)
{
  g_autoptr(DbHistoryConfig) config = test_history_config ();
  DbHistoryStorage *storage = storage_new (config);
  g_autoptr(DbHistoryStorage) again = NULL;
  guint recorded = 0;
  GWeakRef weak;

  /* A GWeakRef, not a weak pointer: the last reference may go on a worker thread. */
  g_weak_ref_init (&weak, storage);
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *json = g_strdup_printf ("{\"uri\": \"file:///f%u.c\", \"diagnostics\": []}", i);
      db_history_storage_record_lsp_json_async (storage, json, NULL, count_recorded, &recorded);
    }
  /* The operations keep it alive; it goes once they are all done. */
  g_object_unref (storage);
  test_wait_until (recorded == 20, 30000);
  test_wait_until (({ GObject *alive = g_weak_ref_get (&weak);
                      g_clear_object (&alive); alive == NULL; }), 30000);
  g_weak_ref_clear (&weak);

  again = storage_new (config);
  assert_row_counts (again, 20, 20, 0);
}

static void
test_pool_closed (void)
{
  g_autoptr(DbHistoryConfig) config = test_history_config ();
  g_autoptr(DbHistoryStorage) storage = storage_new (config);
  g_autoptr(DbDiagnosticSnapshot) snapshot = make_snapshot ("file:///c.c", g_get_real_time (), 1, 0);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GListModel) history = NULL;

  db_pool_close (db_history_storage_get_pool (storage));

  g_assert_cmpint (record_snapshot (storage, snapshot, &error), ==, 0);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_CLOSED);
  g_assert_cmpint (db_diagnostic_snapshot_get_id (snapshot), ==, 0);
  g_clear_error (&error);

  g_assert_cmpint (record_json (storage, "{\"uri\": \"file:///c.c\", \"diagnostics\": []}", &error), ==, 0);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_CLOSED);
  g_clear_error (&error);

  db_history_storage_get_file_history_async (storage, "file:///c.c", 0, NULL, test_store_result, &result);
  history = db_history_storage_get_file_history_finish (storage, test_wait_result (&result), &error);
  g_assert_null (history);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_CLOSED);
}

static void
test_cancelled (void)
{
  g_autoptr(DbHistoryConfig) config = test_history_config ();
  g_autoptr(DbHistoryStorage) storage = storage_new (config);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(DbDiagnosticSnapshot) snapshot = make_snapshot ("file:///c.c", g_get_real_time (), 1, 0);
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  g_autoptr(GError) error = NULL;

  g_cancellable_cancel (cancellable);
  db_history_storage_record_lsp_json_async (storage, "{\"uri\": \"file:///c.c\", \"diagnostics\": []}",
                                            cancellable, test_store_result, &r1);
  g_assert_cmpint (db_history_storage_record_lsp_json_finish (storage, test_wait_result (&r1), &error), ==, 0);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  db_history_storage_record_snapshot_async (storage, snapshot, cancellable, test_store_result, &r2);
  g_assert_cmpint (db_history_storage_record_snapshot_finish (storage, test_wait_result (&r2), &error), ==, 0);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  assert_row_counts (storage, 0, 0, 0);
}

static void
test_initable_twice (void)
{
  g_autoptr(DbHistoryConfig) config = test_history_config ();
  g_autoptr(DbHistoryStorage) storage = storage_new (config);
  g_autoptr(GError) error = NULL;
  DbPool *pool = db_history_storage_get_pool (storage);

  g_assert_true (g_initable_init (G_INITABLE (storage), NULL, &error));
  g_assert_no_error (error);
  g_assert_true (db_history_storage_get_pool (storage) == pool);
}

/* Recording through the pool's statement cache and its error mapping. */

#define INSERT_DIAGNOSTIC_PREFIX "INSERT INTO diagnostics"

static DbHistoryConfig *
one_connection_config (const char *db_path)
{
  DbHistoryConfig *config = db_history_config_new (db_path);

  db_history_config_set_exclusive (config, test_exclusive_mode ());
  /* Every record and every check below runs on the same connection. */
  db_history_config_set_min_connections (config, 1);
  db_history_config_set_max_connections (config, 1);
  db_history_config_set_auto_cleanup_interval_s (config, 0);
  return config;
}

/* A snapshot whose diagnostics take @n_diagnostics * @message_len bytes. */
static DbDiagnosticSnapshot *
make_big_snapshot (const char *uri,
                   guint       n_diagnostics,
                   gsize       message_len)
{
  DbDiagnosticSnapshot *snapshot = db_diagnostic_snapshot_new (uri, 1);
  g_autofree char *message = g_strnfill (message_len, 'm');

  for (guint i = 0; i < n_diagnostics; i++)
    {
      g_autoptr(DbDiagnostic) d = db_diagnostic_new (DB_SEVERITY_ERROR, message, "test", NULL,
                                                     i, 0, i, 1);
      db_diagnostic_snapshot_add_diagnostic (snapshot, d);
    }
  return snapshot;
}

static void
execute_on_pool (DbPool     *pool,
                 const char *sql)
{
  g_autoptr(DbConnection) lease = test_acquire (pool, DB_ACCESS_WRITE);
  g_autoptr(GError) error = NULL;

  db_connection_execute (lease, sql, NULL, &error);
  g_assert_no_error (error);
}

/* The diagnostics insert is prepared once per connection, not once per snapshot: the
 * connection's cache keeps one SQLite statement for it, which has run once per
 * diagnostic recorded. A statement prepared and finalized per snapshot would leave
 * none behind. */
static void
test_record_insert_cached (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbHistoryConfig) config = one_connection_config (path);
  g_autoptr(DbHistoryStorage) storage = storage_new (config);
  g_autoptr(DbDiagnosticSnapshot) first = make_snapshot ("file:///a.c", 1000, 2, 1);
  g_autoptr(DbDiagnosticSnapshot) second = make_snapshot ("file:///a.c", 2000, 1, 3);
  g_autoptr(DbDiagnosticSnapshot) clean = make_snapshot ("file:///b.c", 3000, 0, 0);
  g_autoptr(DbConnection) lease = NULL;
  sqlite3_stmt *stmt = NULL;
  sqlite3 *db;
  guint n_found = 0;
  int runs = 0;

  record_snapshot_ok (storage, first);
  record_snapshot_ok (storage, clean);
  record_snapshot_ok (storage, second);

  lease = test_acquire (db_history_storage_get_pool (storage), DB_ACCESS_WRITE);
  db = db_connection_get_handle (lease);
  while ((stmt = sqlite3_next_stmt (db, stmt)) != NULL)
    if (g_str_has_prefix (sqlite3_sql (stmt), INSERT_DIAGNOSTIC_PREFIX))
      {
        n_found++;
        runs = sqlite3_stmt_status (stmt, SQLITE_STMTSTATUS_RUN, FALSE);
        g_assert_cmpint (sqlite3_stmt_status (stmt, SQLITE_STMTSTATUS_REPREPARE, FALSE), ==, 0);
      }
  g_assert_cmpuint (n_found, ==, 1);
  g_assert_cmpint (runs, ==, 3 + 4);
}

static void
wait_for_stats (DbPool  *pool,
                guint64  connection_errors,
                guint64  destroyed)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  g_autoptr(DbPoolStats) stats = NULL;

  /* The writer gives its lease back (and the pool counts) just after the record's
   * result is on its way. */
  for (;;)
    {
      g_clear_pointer (&stats, db_pool_stats_free);
      stats = db_pool_get_stats (pool);
      if ((stats->connection_errors >= connection_errors &&
           stats->total_connections_destroyed >= destroyed) ||
          g_get_monotonic_time () > deadline)
        break;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_assert_cmpuint (stats->connection_errors, >=, connection_errors);
  g_assert_cmpuint (stats->total_connections_destroyed, >=, destroyed);
}

/* Storage failures while a snapshot's diagnostics are inserted are what they are, not
 * SQL errors: a full database is DB_POOL_ERROR_IO counted in connection-errors (the
 * connection stays), and so is an I/O error, after which the connection is retired.
 * The messages name the statement that failed, so these are the diagnostics insert's
 * own errors and not the commit's. Nothing of a failed snapshot is recorded. */
static void
test_record_storage_errors (void)
{
  g_autofree char *path = test_db_path ();
  g_autofree char *uri = g_strdup_printf ("file:%s?vfs=fault", path);
  g_autoptr(DbHistoryConfig) config = one_connection_config (uri);
  g_autoptr(DbHistoryStorage) storage = storage_new (config);
  g_autoptr(DbDiagnosticSnapshot) small = make_snapshot ("file:///a.c", 1000, 1, 0);
  g_autoptr(DbDiagnosticSnapshot) big = NULL;
  g_autoptr(DbDiagnosticSnapshot) latest = NULL;
  g_autoptr(DbPoolStats) before = NULL;
  g_autoptr(GError) error = NULL;
  DbPool *pool = db_history_storage_get_pool (storage);
  gint64 kept_id;

  kept_id = record_snapshot_ok (storage, small);

  /* Full: the database may not grow by a page (set on the one connection). */
  execute_on_pool (pool, "PRAGMA max_page_count = 1");
  before = db_pool_get_stats (pool);
  big = make_big_snapshot ("file:///a.c", 20, 2000);
  g_assert_cmpint (record_snapshot (storage, big, &error), ==, 0);
  g_test_message ("full: %s", error->message);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_IO);
  g_assert_nonnull (strstr (error->message, sqlite3_errstr (SQLITE_FULL)));
  g_assert_nonnull (strstr (error->message, INSERT_DIAGNOSTIC_PREFIX));
  g_clear_error (&error);
  wait_for_stats (pool, before->connection_errors + 1, 0);
  execute_on_pool (pool, "PRAGMA max_page_count = 1073741823");
  g_clear_object (&big);
  g_clear_pointer (&before, db_pool_stats_free);

  /* I/O error: a page cache of a few pages spills to the WAL while the diagnostics
   * are inserted, and that write fails. */
  execute_on_pool (pool, "PRAGMA cache_size = 10");
  before = db_pool_get_stats (pool);
  big = make_big_snapshot ("file:///a.c", 200, 1000);
  fault_vfs_arm (FAULT_WRITE, 1, SQLITE_IOERR_WRITE, TRUE);
  g_assert_cmpint (record_snapshot (storage, big, &error), ==, 0);
  g_test_message ("I/O error: %s", error->message);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_IO);
  g_assert_nonnull (strstr (error->message, INSERT_DIAGNOSTIC_PREFIX));
  g_clear_error (&error);
  /* The connection that saw it was retired, not put back. */
  wait_for_stats (pool, before->connection_errors + 1, before->total_connections_destroyed + 1);
  fault_vfs_disarm ();

  /* A new connection records again; the failed snapshots left nothing. */
  g_clear_object (&big);
  big = make_snapshot ("file:///b.c", 3000, 2, 0);
  record_snapshot_ok (storage, big);
  latest = test_history_latest (storage, "file:///a.c");
  g_assert_nonnull (latest);
  g_assert_cmpint (db_diagnostic_snapshot_get_id (latest), ==, kept_id);
  assert_row_counts (storage, 2, 2, 3);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  fault_vfs_register ();

  g_test_add_func ("/history/config/defaults", test_config_defaults);
  g_test_add_func ("/history/config/notify", test_config_notify);
  g_test_add_func ("/history/config/json-errors", test_config_json_errors);
  g_test_add_func ("/history/config/storage-refuses-invalid", test_config_storage_refuses_invalid);
  g_test_add_func ("/history/objects/diagnostic", test_diagnostic_object);
  g_test_add_func ("/history/objects/snapshot", test_snapshot_object);
  g_test_add_func ("/history/record/snapshot", test_record_snapshot);
  g_test_add_func ("/history/record/clean", test_record_clean_snapshot);
  g_test_add_func ("/history/record/snapshot-bad", test_record_snapshot_bad);
  g_test_add_func ("/history/record/lsp-json", test_record_lsp_json);
  g_test_add_func ("/history/record/lsp-json-bad", test_record_lsp_json_bad);
  g_test_add_func ("/history/record/verbatim", test_verbatim);
  g_test_add_func ("/history/record/insert-cached", test_record_insert_cached);
  g_test_add_func ("/history/record/storage-errors", test_record_storage_errors);
  g_test_add_func ("/history/query/latest-none", test_latest_none);
  g_test_add_func ("/history/query/history-order", test_history_order);
  g_test_add_func ("/history/query/list-latest", test_list_latest);
  g_test_add_func ("/history/query/trend", test_trend);
  g_test_add_func ("/history/cleanup/retention", test_cleanup_retention);
  g_test_add_func ("/history/cleanup/max-per-file", test_cleanup_max_per_file);
  g_test_add_func ("/history/cleanup/auto", test_auto_cleanup);
  g_test_add_func ("/history/cleanup/auto-weak", test_auto_cleanup_weak);
  g_test_add_func ("/history/storage/new-async", test_new_async);
  g_test_add_func ("/history/migration/v1", test_migration_v1);
  g_test_add_func ("/history/migration/newer", test_migration_newer);
  g_test_add_func ("/history/storage/unref-in-flight", test_unref_in_flight);
  g_test_add_func ("/history/storage/pool-closed", test_pool_closed);
  g_test_add_func ("/history/storage/cancelled", test_cancelled);
  g_test_add_func ("/history/storage/initable-twice", test_initable_twice);

  return g_test_run ();
}
