/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Ingests the real LSP captures (tests/data/lsp, or $DBPOOL_LSP_DATA_DIR) through
 * HistoryStorage from several producer threads at once while queries run, then checks
 * that what was stored is exactly what the JSON holds. The expected counts are
 * computed here, independently of the library's parser. */

#include <string.h>

#include <json-glib/json-glib.h>

#include "test-common.h"

#define N_PRODUCERS 4

static const char *const data_files[] = {
  "clangd-zlib-examples.jsonl",
  "pylsp-cpython-lib.jsonl",
};

typedef struct
{
  guint counts[4];   /* by severity - 1 */
  guint total;
} Expected;

typedef struct
{
  GPtrArray  *messages;       /* every line, as sent */
  GHashTable *expected;       /* uri → Expected */
  guint       totals[4];
  guint       n_diagnostics;
} Data;

static void
data_clear (Data *data)
{
  g_clear_pointer (&data->messages, g_ptr_array_unref);
  g_clear_pointer (&data->expected, g_hash_table_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Data, data_clear)

/* What the JSON says, read plainly: severity as sent (LSP: 1..4; absent means an
 * error, the documented reading). */
static void
expect_message (Data       *data,
                const char *line)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *params;
  JsonArray *diagnostics;
  Expected *expected;
  const char *uri;

  json_parser_load_from_data (parser, line, -1, &error);
  g_assert_no_error (error);
  params = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)),
                                          "params");
  uri = json_object_get_string_member (params, "uri");
  diagnostics = json_object_get_array_member (params, "diagnostics");

  /* Each file is published once in the captures, so per-file counts are exact. */
  g_assert_false (g_hash_table_contains (data->expected, uri));
  expected = g_new0 (Expected, 1);
  g_hash_table_insert (data->expected, g_strdup (uri), expected);

  for (guint i = 0; i < json_array_get_length (diagnostics); i++)
    {
      JsonObject *d = json_array_get_object_element (diagnostics, i);
      gint64 severity = json_object_get_int_member_with_default (d, "severity", 1);

      g_assert_cmpint (severity, >=, 1);
      g_assert_cmpint (severity, <=, 4);
      expected->counts[severity - 1]++;
      expected->total++;
      data->totals[severity - 1]++;
      data->n_diagnostics++;
    }
}

static void
load_data (Data *data)
{
  /* The captures ship in the tree, so there is nothing to skip for: run by hand
   * (without the build's environment) the test finds them under G_TEST_SRCDIR. */
  const char *dir = g_getenv ("DBPOOL_LSP_DATA_DIR");
  g_autofree char *dist_dir = NULL;

  if (dir == NULL)
    dir = dist_dir = g_test_build_filename (G_TEST_DIST, "data", "lsp", NULL);

  data->messages = g_ptr_array_new_with_free_func (g_free);
  data->expected = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (guint f = 0; f < G_N_ELEMENTS (data_files); f++)
    {
      g_autofree char *path = g_build_filename (dir, data_files[f], NULL);
      g_autofree char *contents = NULL;
      g_autoptr(GError) error = NULL;
      g_auto(GStrv) lines = NULL;

      g_file_get_contents (path, &contents, NULL, &error);
      g_assert_no_error (error);
      lines = g_strsplit (contents, "\n", -1);
      for (guint i = 0; lines[i] != NULL; i++)
        {
          if (lines[i][0] == '\0')
            continue;
          expect_message (data, lines[i]);
          g_ptr_array_add (data->messages, g_strdup (lines[i]));
        }
    }
}

/* Producers: each thread has its own main context, records its share of the
 * messages with all of them in flight at once, and waits for its callbacks. */

typedef struct
{
  DbHistoryStorage *storage;
  GPtrArray        *messages;
  guint             first;
  guint             step;
  guint             pending;    /* producer thread only */
  guint             recorded;   /* producer thread only, until joined */
  GMainContext     *context;
  GThread          *thread;
  GThread          *self;       /* set by the thread itself */
  int               done;       /* atomic */
  GError           *error;
} Producer;

static void
producer_recorded (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Producer *producer = user_data;
  GError *error = NULL;
  gint64 id;

  /* Callbacks come back to the producer's own context and thread. */
  g_assert_true (g_main_context_is_owner (producer->context));
  g_assert_true (g_thread_self () == producer->self);

  id = db_history_storage_record_lsp_json_finish (DB_HISTORY_STORAGE (object), result, &error);
  if (error != NULL && producer->error == NULL)
    producer->error = error;
  else if (error != NULL)
    g_error_free (error);
  else if (id > 0)
    producer->recorded++;
  producer->pending--;
}

static gpointer
producer_thread (gpointer user_data)
{
  Producer *producer = user_data;

  producer->self = g_thread_self ();
  g_main_context_push_thread_default (producer->context);
  for (guint i = producer->first; i < producer->messages->len; i += producer->step)
    {
      producer->pending++;
      db_history_storage_record_lsp_json_async (producer->storage,
                                                g_ptr_array_index (producer->messages, i),
                                                NULL, producer_recorded, producer);
    }
  while (producer->pending > 0)
    g_main_context_iteration (producer->context, TRUE);
  g_main_context_pop_thread_default (producer->context);
  g_atomic_int_set (&producer->done, TRUE);

  return NULL;
}

/* Queries on the main thread while the producers run. */

static void
store_result (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

static void
assert_summary_matches (DbDiagnosticSnapshot *snapshot,
                        Data                 *data)
{
  Expected *expected = g_hash_table_lookup (data->expected,
                                            db_diagnostic_snapshot_get_file_uri (snapshot));

  g_assert_nonnull (expected);
  g_assert_cmpuint (db_diagnostic_snapshot_get_error_count (snapshot), ==, expected->counts[0]);
  g_assert_cmpuint (db_diagnostic_snapshot_get_warning_count (snapshot), ==, expected->counts[1]);
  g_assert_cmpuint (db_diagnostic_snapshot_get_information_count (snapshot), ==, expected->counts[2]);
  g_assert_cmpuint (db_diagnostic_snapshot_get_hint_count (snapshot), ==, expected->counts[3]);
}

static GListModel *
list_latest (DbHistoryStorage *storage)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GListModel *model;

  db_history_storage_list_latest_async (storage, NULL, store_result, &result);
  model = db_history_storage_list_latest_finish (storage, wait_result (&result), &error);
  g_assert_no_error (error);
  return model;
}

/* One round of reads. Whatever is visible must be complete: a snapshot is written
 * with all its diagnostics in one transaction, so its counts are never partial. */
static void
query_round (DbHistoryStorage *storage,
             Data             *data,
             guint             round)
{
  g_autoptr(GListModel) latest = list_latest (storage);
  guint n = g_list_model_get_n_items (latest);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(DbDiagnosticSnapshot) s = g_list_model_get_item (latest, i);
      assert_summary_matches (s, data);
    }

  if (n > 0)
    {
      g_autoptr(DbDiagnosticSnapshot) some = g_list_model_get_item (latest, round % n);
      const char *uri = db_diagnostic_snapshot_get_file_uri (some);
      Expected *expected = g_hash_table_lookup (data->expected, uri);
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GAsyncResult) history_result = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(DbDiagnosticSnapshot) full = NULL;
      g_autoptr(GListModel) history = NULL;

      db_history_storage_get_latest_async (storage, uri, NULL, store_result, &result);
      db_history_storage_get_file_history_async (storage, uri, 10, NULL, store_result, &history_result);

      full = db_history_storage_get_latest_finish (storage, wait_result (&result), &error);
      g_assert_no_error (error);
      g_assert_nonnull (full);
      g_assert_cmpuint (g_list_model_get_n_items (db_diagnostic_snapshot_get_diagnostics (full)),
                        ==, expected->total);
      assert_summary_matches (full, data);

      history = db_history_storage_get_file_history_finish (storage, wait_result (&history_result), &error);
      g_assert_no_error (error);
      g_assert_cmpuint (g_list_model_get_n_items (history), ==, 1);
    }
}

static gint64
query_int (DbHistoryStorage *storage,
           const char       *sql,
           GVariant         *params)
{
  DbPool *pool = db_history_storage_get_pool (storage);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DbRows) rows = NULL;

  db_pool_query_async (pool, sql, params, NULL, store_result, &result);
  rows = db_pool_query_finish (pool, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (db_rows_get_n_rows (rows), ==, 1);
  return db_rows_get_int64 (rows, 0, 0);
}

static void
test_ingest_real_data (void)
{
  g_auto(Data) data = { 0 };
  g_autofree char *path = test_db_path ();
  g_autoptr(DbHistoryConfig) config = db_history_config_new (path);
  g_autoptr(DbHistoryStorage) storage = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GListModel) latest = NULL;
  g_autoptr(GVariant) trend = NULL;
  g_autoptr(GAsyncResult) trend_result = NULL;
  Producer producers[N_PRODUCERS];
  guint rounds = 0;
  guint recorded = 0;
  gboolean running;
  guint totals[4] = { 0, 0, 0, 0 };
  gint64 start_us = g_get_real_time ();

  load_data (&data);
  /* The captures as documented in their README. */
  g_assert_cmpuint (data.messages->len, ==, 122);
  g_assert_cmpuint (data.n_diagnostics, ==, 7705);
  g_assert_cmpuint (g_hash_table_size (data.expected), ==, 122);

  db_history_config_set_auto_cleanup_interval_s (config, 0);
  db_history_config_set_max_connections (config, 6);
  storage = db_history_storage_new (config, NULL, &error);
  g_assert_no_error (error);

  for (guint p = 0; p < N_PRODUCERS; p++)
    {
      producers[p] = (Producer) {
        .storage = storage,
        .messages = data.messages,
        .first = p,
        .step = N_PRODUCERS,
        .context = g_main_context_new (),
      };
    }
  /* The Producer structs stay put from here on: threads get pointers to them. */
  for (guint p = 0; p < N_PRODUCERS; p++)
    producers[p].thread = g_thread_new ("producer", producer_thread, &producers[p]);

  /* Read while they write; at least one round even if they are already done. */
  do
    {
      query_round (storage, &data, rounds++);
      running = FALSE;
      for (guint p = 0; p < N_PRODUCERS; p++)
        running |= !g_atomic_int_get (&producers[p].done);
    }
  while (running && rounds < 100000);

  for (guint p = 0; p < N_PRODUCERS; p++)
    {
      g_thread_join (producers[p].thread);
      g_assert_no_error (producers[p].error);
      recorded += producers[p].recorded;
      g_main_context_unref (producers[p].context);
    }
  g_test_message ("%u query rounds ran during ingestion", rounds);
  g_assert_cmpuint (recorded, ==, 122);

  /* Every row, by table and by severity, straight from SQL. */
  g_assert_cmpint (query_int (storage, "SELECT count(*) FROM snapshots", NULL), ==, 122);
  g_assert_cmpint (query_int (storage, "SELECT count(*) FROM files", NULL), ==, 122);
  g_assert_cmpint (query_int (storage, "SELECT count(*) FROM diagnostics", NULL), ==, 7705);
  for (gint64 severity = 1; severity <= 4; severity++)
    g_assert_cmpint (query_int (storage, "SELECT count(*) FROM diagnostics WHERE severity = ?",
                                g_variant_new ("(x)", severity)),
                     ==, data.totals[severity - 1]);

  /* Per file, through the API. */
  latest = list_latest (storage);
  g_assert_cmpuint (g_list_model_get_n_items (latest), ==, 122);
  for (guint i = 0; i < g_list_model_get_n_items (latest); i++)
    {
      g_autoptr(DbDiagnosticSnapshot) s = g_list_model_get_item (latest, i);

      assert_summary_matches (s, &data);
      for (guint k = 0; k < 4; k++)
        totals[k] += db_diagnostic_snapshot_get_count (s, k + 1);
    }
  for (guint k = 0; k < 4; k++)
    g_assert_cmpuint (totals[k], ==, data.totals[k]);

  /* And the trend over everything: one bucket holding all of it. */
  db_history_storage_get_trend_async (storage, NULL, start_us, (gint64) G_USEC_PER_SEC * 3600 * 24,
                                      NULL, store_result, &trend_result);
  trend = db_history_storage_get_trend_finish (storage, wait_result (&trend_result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_variant_n_children (trend), ==, 1);
  {
    gint64 bucket;
    guint32 c[4];

    g_variant_get_child (trend, 0, "(xuuuu)", &bucket, &c[0], &c[1], &c[2], &c[3]);
    g_assert_cmpint (bucket, ==, start_us);
    for (guint k = 0; k < 4; k++)
      g_assert_cmpuint (c[k], ==, data.totals[k]);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/history-data/ingest-real-data", test_ingest_real_data);

  return g_test_run ();
}
