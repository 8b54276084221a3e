/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fixed-bucket histograms (db-histogram.c) and what the pool reports with them:
 * db_pool_get_stats_json(), db_pool_get_metrics() and the name in log messages.
 * tests/python/test_metrics.py parses the OpenMetrics text with a real parser. */
#include <string.h>

#include <json-glib/json-glib.h>

#include "test-common.h"
#include "db-histogram-private.h"

/* Histograms ----------------------------------------------------------------------- */

static void
test_histogram_buckets (void)
{
  DbHistogram histogram = { 0 };
  static const guint64 values[] = { 0, 10, 11, 1000, 1001, 70000000 };
  guint64 sum = 0;

  /* Ascending, so "the first bound not below" is well defined. */
  for (guint i = 1; i < DB_HISTOGRAM_N_BOUNDS; i++)
    g_assert_cmpuint (_db_histogram_bounds_us[i - 1], <, _db_histogram_bounds_us[i]);
  g_assert_cmpuint (_db_histogram_bounds_us[0], ==, 10);
  g_assert_cmpuint (_db_histogram_bounds_us[DB_HISTOGRAM_N_BOUNDS - 1], ==, 60000000);

  /* Bounds are inclusive (OpenMetrics' le): a value on a bound is in that bucket. */
  g_assert_cmpuint (_db_histogram_bucket_index (0), ==, 0);
  g_assert_cmpuint (_db_histogram_bucket_index (10), ==, 0);
  g_assert_cmpuint (_db_histogram_bucket_index (11), ==, 1);
  g_assert_cmpuint (_db_histogram_bucket_index (25), ==, 1);
  g_assert_cmpuint (_db_histogram_bucket_index (26), ==, 2);
  for (guint i = 0; i < DB_HISTOGRAM_N_BOUNDS; i++)
    {
      g_assert_cmpuint (_db_histogram_bucket_index (_db_histogram_bounds_us[i]), ==, i);
      g_assert_cmpuint (_db_histogram_bucket_index (_db_histogram_bounds_us[i] + 1), ==, i + 1);
    }
  /* Above the last bound: the overflow bucket (+Inf). */
  g_assert_cmpuint (_db_histogram_bucket_index (60000001), ==, DB_HISTOGRAM_N_BOUNDS);
  g_assert_cmpuint (_db_histogram_bucket_index (G_MAXUINT64), ==, DB_HISTOGRAM_N_BOUNDS);

  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      _db_histogram_record (&histogram, values[i]);
      sum += values[i];
    }
  g_assert_cmpuint (histogram.count, ==, G_N_ELEMENTS (values));
  g_assert_cmpuint (histogram.sum_us, ==, sum);
  g_assert_cmpuint (histogram.buckets[0], ==, 2);                      /* 0, 10 */
  g_assert_cmpuint (histogram.buckets[1], ==, 1);                      /* 11 */
  g_assert_cmpuint (histogram.buckets[6], ==, 1);                      /* 1000: ≤ 1 ms */
  g_assert_cmpuint (histogram.buckets[7], ==, 1);                      /* 1001: ≤ 2.5 ms */
  g_assert_cmpuint (histogram.buckets[DB_HISTOGRAM_N_BOUNDS], ==, 1);  /* 70 s */
  {
    guint64 total = 0;

    for (guint i = 0; i <= DB_HISTOGRAM_N_BOUNDS; i++)
      total += histogram.buckets[i];
    g_assert_cmpuint (total, ==, histogram.count);
  }
}

static void
assert_seconds (guint64     us,
                const char *expected)
{
  g_autoptr(GString) out = g_string_new ("");

  _db_histogram_append_seconds (out, us);
  g_assert_cmpstr (out->str, ==, expected);
}

/* Exact decimal seconds, no float rounding and no trailing zeros. */
static void
test_histogram_seconds (void)
{
  assert_seconds (0, "0");
  assert_seconds (1, "0.000001");
  assert_seconds (10, "0.00001");
  assert_seconds (25, "0.000025");
  assert_seconds (100000, "0.1");
  assert_seconds (1234567, "1.234567");
  assert_seconds (2500000, "2.5");
  assert_seconds (60000000, "60");
  assert_seconds (G_MAXUINT64, "18446744073709.551615");
}

static void
test_histogram_json (void)
{
  DbHistogram histogram = { 0 };
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  JsonObject *object;
  JsonArray *bounds, *counts;

  _db_histogram_record (&histogram, 5);
  _db_histogram_record (&histogram, 3000);
  _db_histogram_record (&histogram, 90000000);

  json_builder_begin_object (builder);
  _db_histogram_add_json (&histogram, builder, "h");
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  object = json_object_get_object_member (json_node_get_object (root), "h");

  g_assert_cmpint (json_object_get_int_member (object, "count"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (object, "sum-us"), ==, 90003005);
  bounds = json_object_get_array_member (object, "bucket-bounds-us");
  counts = json_object_get_array_member (object, "bucket-counts");
  g_assert_cmpuint (json_array_get_length (bounds), ==, DB_HISTOGRAM_N_BOUNDS);
  g_assert_cmpuint (json_array_get_length (counts), ==, DB_HISTOGRAM_N_BOUNDS + 1);
  for (guint i = 0; i < DB_HISTOGRAM_N_BOUNDS; i++)
    g_assert_cmpint (json_array_get_int_element (bounds, i), ==, _db_histogram_bounds_us[i]);
  g_assert_cmpint (json_array_get_int_element (counts, 0), ==, 1);
  g_assert_cmpint (json_array_get_int_element (counts, 8), ==, 1);   /* ≤ 5 ms */
  g_assert_cmpint (json_array_get_int_element (counts, DB_HISTOGRAM_N_BOUNDS), ==, 1);
}

/* The pool ------------------------------------------------------------------------- */

static JsonObject *
histogram_member (JsonNode   *root,
                  const char *name)
{
  return json_object_get_object_member (json_node_get_object (root), name);
}

/* How many values of a histogram in the JSON lie in buckets wholly above @bound_us
 * (one of the bounds): bucket i holds the values in (bound i-1, bound i]. */
static gint64
count_above (JsonObject *histogram,
             guint64     bound_us)
{
  JsonArray *counts = json_object_get_array_member (histogram, "bucket-counts");
  gint64 n = 0;

  for (guint i = 1; i <= DB_HISTOGRAM_N_BOUNDS; i++)
    if (_db_histogram_bounds_us[i - 1] >= bound_us)
      n += json_array_get_int_element (counts, i);
  return n;
}

static void
test_stats_json (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 2);
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DbPoolStats) stats = NULL;
  g_autofree char *stats_json = NULL;
  g_autofree char *json = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonObject *wait, *use, *create;

  db_pool_config_set_name (config, "app");
  pool = test_pool_new (config);

  for (int i = 0; i < 3; i++)
    {
      g_autoptr(DbConnection) conn = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);

      g_assert_no_error (error);
      /* One lease held long enough to land in a bucket above 25 ms. */
      if (i == 1)
        g_usleep (30000);
    }

  stats = db_pool_get_stats (pool);
  stats_json = db_pool_stats_to_json (stats);
  json = db_pool_get_stats_json (pool);
  g_test_message ("%s", json);

  /* The existing members first, byte for byte, then the new ones. */
  g_assert_cmpint (strncmp (json, stats_json, strlen (stats_json) - 1), ==, 0);
  g_assert_true (g_str_has_prefix (json + strlen (stats_json) - 1, ",\"name\":\"app\","));

  root = json_from_string (json, &error);
  g_assert_no_error (error);
  wait = histogram_member (root, "wait-time-histogram");
  use = histogram_member (root, "use-time-histogram");
  create = histogram_member (root, "create-time-histogram");

  g_assert_cmpint (stats->total_requests, ==, 3);
  g_assert_cmpint (json_object_get_int_member (wait, "count"), ==, stats->total_requests);
  g_assert_cmpint (json_object_get_int_member (wait, "sum-us"), ==, stats->total_wait_time_us);
  g_assert_cmpint (json_object_get_int_member (use, "count"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (use, "sum-us"), >=, 30000);
  g_assert_cmpint (count_above (use, 25000), ==, 1);
  g_assert_cmpint (json_object_get_int_member (create, "count"), ==,
                   stats->total_connections_created);
  g_assert_cmpint (json_object_get_int_member (create, "count"), >=, 1);
}

typedef struct
{
  DbPool  *pool;
  GError  *error;
} Waiter;

static gpointer
acquire_in_thread (gpointer data)
{
  Waiter *waiter = data;
  DbConnection *conn = db_pool_acquire (waiter->pool, DB_ACCESS_READ, NULL, &waiter->error);

  g_assert_null (conn);
  return NULL;
}

static gboolean
contains_line (const char *text,
               const char *line)
{
  g_autofree char *needle = g_strconcat ("\n", line, "\n", NULL);

  return strstr (text, needle) != NULL;
}

/* A wait that timed out is in the wait histogram and the timeouts counter, and the
 * pool's name is an escaped label. */
static void
test_metrics_timeout (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) held = NULL;
  g_autofree char *metrics = NULL;
  g_autofree char *json = NULL;
  g_autoptr(JsonNode) root = NULL;
  Waiter waiter = { 0 };
  GThread *thread;

  db_pool_config_set_name (config, "a \"b\" \\ c\nd");
  db_pool_config_set_connection_timeout_ms (config, 50);
  pool = test_pool_new (config);

  held = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
  g_assert_no_error (error);
  waiter.pool = pool;
  thread = g_thread_new ("waiter", acquire_in_thread, &waiter);
  g_thread_join (thread);
  g_assert_error (waiter.error, DB_POOL_ERROR, DB_POOL_ERROR_TIMEOUT);
  g_clear_error (&waiter.error);

  metrics = db_pool_get_metrics (pool);
  g_test_message ("%s", metrics);
  g_assert_true (g_str_has_suffix (metrics, "\n# EOF\n"));
  g_assert_true (contains_line (metrics,
    "db_client_connection_count{pool_name=\"a \\\"b\\\" \\\\ c\\nd\",state=\"used\"} 1"));
  g_assert_true (contains_line (metrics,
    "db_client_connection_count{pool_name=\"a \\\"b\\\" \\\\ c\\nd\",state=\"idle\"} 0"));
  g_assert_true (contains_line (metrics,
    "db_client_connection_timeouts_total{pool_name=\"a \\\"b\\\" \\\\ c\\nd\"} 1"));
  g_assert_true (contains_line (metrics,
    "db_client_connection_wait_time_seconds_count{pool_name=\"a \\\"b\\\" \\\\ c\\nd\"} 2"));
  g_assert_true (contains_line (metrics,
    "db_client_connection_max{pool_name=\"a \\\"b\\\" \\\\ c\\nd\"} 1"));
  /* The timed-out wait (at least 50 ms) is not in the buckets up to 25 ms. */
  g_assert_true (contains_line (metrics,
    "db_client_connection_wait_time_seconds_bucket{pool_name=\"a \\\"b\\\" \\\\ c\\nd\",le=\"0.025\"} 1"));
  g_assert_true (contains_line (metrics,
    "db_client_connection_wait_time_seconds_bucket{pool_name=\"a \\\"b\\\" \\\\ c\\nd\",le=\"+Inf\"} 2"));

  json = db_pool_get_stats_json (pool);
  root = json_from_string (json, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (root), "name"), ==,
                   "a \"b\" \\ c\nd");
  g_assert_cmpint (count_above (histogram_member (root, "wait-time-histogram"), 25000), ==, 1);
}

/* Changing the config's name after the pool was created changes nothing: the pool
 * keeps the name it was created with. */
static void
test_metrics_name_fixed (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 0, 1);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autofree char *metrics = NULL;

  /* The pool's config undoes a change made on it, with a warning. */
  g_test_expect_message ("dbpool", G_LOG_LEVEL_WARNING, "*“name” was changed*");
  db_pool_config_set_name (db_pool_get_config (pool), "renamed");
  g_test_assert_expected_messages ();
  g_assert_cmpstr (db_pool_config_get_name (db_pool_get_config (pool)), ==, "dbpool");
  metrics = db_pool_get_metrics (pool);
  g_assert_true (contains_line (metrics, "db_client_connection_max{pool_name=\"dbpool\"} 1"));
  g_assert_null (strstr (metrics, "renamed"));
}

static void
on_leak (DbPool     *pool,
         guint64     held_us,
         const char *where,
         gpointer    data)
{
  guint *reports = data;

  (*reports)++;
}

/* The leak report names the pool. */
static void
test_leak_report_names_pool (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) forgotten = NULL;
  guint reports = 0;

  db_pool_config_set_name (config, "importer");
  db_pool_config_set_leak_threshold_ms (config, 30);
  db_pool_config_set_maintenance_interval_ms (config, 10);
  pool = test_pool_new (config);
  g_signal_connect (pool, "lease-held-too-long", G_CALLBACK (on_leak), &reports);

  g_test_expect_message ("dbpool", G_LOG_LEVEL_WARNING, "importer: a lease on*has been held for*");
  forgotten = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
  g_assert_no_error (error);
  /* Emitted on this thread's context, so no atomics. */
  test_wait_until (reports == 1, 10000);
  g_test_assert_expected_messages ();
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/histogram/buckets", test_histogram_buckets);
  g_test_add_func ("/histogram/seconds", test_histogram_seconds);
  g_test_add_func ("/histogram/json", test_histogram_json);
  g_test_add_func ("/metrics/stats-json", test_stats_json);
  g_test_add_func ("/metrics/timeout", test_metrics_timeout);
  g_test_add_func ("/metrics/name-fixed", test_metrics_name_fixed);
  g_test_add_func ("/metrics/leak-report-names-pool", test_leak_report_names_pool);

  return g_test_run ();
}
