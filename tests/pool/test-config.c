/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include <json-glib/json-glib.h>

#include "dbpool.h"

/* Asserts that @error is INVALID_CONFIG and that its message names @key. */
#define assert_invalid_config(error, key)                                    \
  G_STMT_START {                                                             \
    g_assert_error ((error), DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG);    \
    if (strstr ((error)->message, (key)) == NULL)                            \
      g_error ("message “%s” does not name “%s”", (error)->message, (key));  \
    g_test_message ("%s", (error)->message);                                 \
  } G_STMT_END

static void
assert_configs_equal (DbPoolConfig *a,
                      DbPoolConfig *b)
{
  guint n_pspecs;
  g_autofree GParamSpec **pspecs =
    g_object_class_list_properties (G_OBJECT_GET_CLASS (a), &n_pspecs);

  g_assert_cmpuint (n_pspecs, ==, 18);
  for (guint i = 0; i < n_pspecs; i++)
    {
      g_auto(GValue) va = G_VALUE_INIT;
      g_auto(GValue) vb = G_VALUE_INIT;

      g_value_init (&va, pspecs[i]->value_type);
      g_value_init (&vb, pspecs[i]->value_type);
      g_object_get_property (G_OBJECT (a), pspecs[i]->name, &va);
      g_object_get_property (G_OBJECT (b), pspecs[i]->name, &vb);
      if (g_param_values_cmp (pspecs[i], &va, &vb) != 0)
        g_error ("property %s differs", pspecs[i]->name);
    }
}

/* Every property a non-default value, so a round trip that drops one shows. */
static DbPoolConfig *
new_unusual_config (void)
{
  DbPoolConfig *config = db_pool_config_new ("/tmp/ünïcode \"quoted\".db");

  g_object_set (config,
                "min-connections", 3,
                "max-connections", 7,
                "connection-timeout-ms", 0,
                "idle-timeout-ms", 11,
                "max-lifetime-ms", 0,
                "busy-timeout-ms", 13,
                "enable-wal", FALSE,
                "synchronous", DB_SYNCHRONOUS_EXTRA,
                "statement-cache-size", 0,
                "maintenance-interval-ms", 17,
                "circuit-breaker-threshold", 0,
                "circuit-breaker-cooldown-ms", 19,
                "leak-threshold-ms", 23,
                "name", "ünïcode \"pool\"\n",
                "exclusive", TRUE,
                "group-commit", FALSE,
                "group-commit-max-jobs", 7,
                NULL);
  return config;
}

static void
test_defaults (void)
{
  g_autoptr(DbPoolConfig) config = db_pool_config_new ("test.db");
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (db_pool_config_get_path (config), ==, "test.db");
  g_assert_cmpuint (db_pool_config_get_min_connections (config), ==, 2);
  g_assert_cmpuint (db_pool_config_get_max_connections (config), ==, 10);
  g_assert_cmpuint (db_pool_config_get_connection_timeout_ms (config), ==, 5000);
  g_assert_cmpuint (db_pool_config_get_idle_timeout_ms (config), ==, 300000);
  g_assert_cmpuint (db_pool_config_get_max_lifetime_ms (config), ==, 1800000);
  g_assert_cmpuint (db_pool_config_get_busy_timeout_ms (config), ==, 5000);
  g_assert_true (db_pool_config_get_enable_wal (config));
  g_assert_cmpint (db_pool_config_get_synchronous (config), ==, DB_SYNCHRONOUS_NORMAL);
  g_assert_cmpuint (db_pool_config_get_statement_cache_size (config), ==, 64);
  g_assert_cmpuint (db_pool_config_get_maintenance_interval_ms (config), ==, 30000);
  g_assert_false (db_pool_config_get_exclusive (config));

  g_assert_true (db_pool_config_validate (config, &error));
  g_assert_no_error (error);
}

/* The GParamSpec defaults are what introspection and g_object_new() users see. */
static void
test_pspec_defaults_match (void)
{
  g_autoptr(DbPoolConfig) config = db_pool_config_new (NULL);
  guint n_pspecs;
  g_autofree GParamSpec **pspecs =
    g_object_class_list_properties (G_OBJECT_GET_CLASS (config), &n_pspecs);

  for (guint i = 0; i < n_pspecs; i++)
    {
      g_auto(GValue) value = G_VALUE_INIT;

      g_assert_true (pspecs[i]->flags & G_PARAM_EXPLICIT_NOTIFY);
      g_assert_true (pspecs[i]->flags & G_PARAM_READWRITE);
      g_value_init (&value, pspecs[i]->value_type);
      g_object_get_property (G_OBJECT (config), pspecs[i]->name, &value);
      if (!g_param_value_defaults (pspecs[i], &value))
        g_error ("property %s does not start at its default", pspecs[i]->name);
    }
}

static void
test_high_performance (void)
{
  g_autoptr(DbPoolConfig) config = db_pool_config_new_high_performance ("hp.db");
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (db_pool_config_get_path (config), ==, "hp.db");
  g_assert_cmpuint (db_pool_config_get_min_connections (config), ==, 5);
  g_assert_cmpuint (db_pool_config_get_max_connections (config), ==, 50);
  g_assert_cmpuint (db_pool_config_get_connection_timeout_ms (config), ==, 1000);
  g_assert_cmpuint (db_pool_config_get_idle_timeout_ms (config), ==, 120000);
  g_assert_true (db_pool_config_get_enable_wal (config));
  /* Unspecified in the preset: defaults. */
  g_assert_cmpuint (db_pool_config_get_max_lifetime_ms (config), ==, 1800000);
  g_assert_cmpuint (db_pool_config_get_busy_timeout_ms (config), ==, 5000);
  g_assert_cmpint (db_pool_config_get_synchronous (config), ==, DB_SYNCHRONOUS_NORMAL);
  g_assert_cmpuint (db_pool_config_get_statement_cache_size (config), ==, 64);
  g_assert_cmpuint (db_pool_config_get_maintenance_interval_ms (config), ==, 30000);
  g_assert_false (db_pool_config_get_exclusive (config));

  g_assert_true (db_pool_config_validate (config, &error));
  g_assert_no_error (error);
}

static void
test_memory_efficient (void)
{
  g_autoptr(DbPoolConfig) config = db_pool_config_new_memory_efficient ("me.db");
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (db_pool_config_get_path (config), ==, "me.db");
  g_assert_cmpuint (db_pool_config_get_min_connections (config), ==, 1);
  g_assert_cmpuint (db_pool_config_get_max_connections (config), ==, 5);
  g_assert_cmpuint (db_pool_config_get_connection_timeout_ms (config), ==, 10000);
  g_assert_cmpuint (db_pool_config_get_idle_timeout_ms (config), ==, 600000);
  g_assert_true (db_pool_config_get_enable_wal (config));
  g_assert_cmpuint (db_pool_config_get_max_lifetime_ms (config), ==, 1800000);
  g_assert_cmpuint (db_pool_config_get_busy_timeout_ms (config), ==, 5000);
  g_assert_cmpint (db_pool_config_get_synchronous (config), ==, DB_SYNCHRONOUS_NORMAL);
  g_assert_cmpuint (db_pool_config_get_statement_cache_size (config), ==, 64);
  g_assert_cmpuint (db_pool_config_get_maintenance_interval_ms (config), ==, 30000);
  g_assert_false (db_pool_config_get_exclusive (config));

  g_assert_true (db_pool_config_validate (config, &error));
  g_assert_no_error (error);
}

/* Validation: one rule per test. */

static void
check_invalid (DbPoolConfig *config,
               const char   *key)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (db_pool_config_validate (config, &error));
  assert_invalid_config (error, key);
}

static void
test_validate_path_null (void)
{
  g_autoptr(DbPoolConfig) config = db_pool_config_new (NULL);

  check_invalid (config, "path");
}

static void
test_validate_path_empty (void)
{
  g_autoptr(DbPoolConfig) config = db_pool_config_new ("");

  check_invalid (config, "path");
}

static void
test_validate_path_memory (void)
{
  g_autoptr(DbPoolConfig) config = db_pool_config_new (":memory:");
  g_autoptr(GError) error = NULL;

  g_assert_false (db_pool_config_validate (config, &error));
  assert_invalid_config (error, "path");
  /* The message explains why, not only what. */
  g_assert_nonnull (strstr (error->message, "in-memory"));
}

static void
test_validate_path_memory_uri (void)
{
  g_autoptr(DbPoolConfig) config = db_pool_config_new ("file::memory:?cache=shared");
  g_autoptr(DbPoolConfig) config2 = db_pool_config_new ("file:x.db?mode=memory");

  check_invalid (config, "path");
  check_invalid (config2, "path");
}

static void
test_validate_max_zero (void)
{
  g_autoptr(DbPoolConfig) config = db_pool_config_new ("x.db");

  db_pool_config_set_min_connections (config, 0);
  db_pool_config_set_max_connections (config, 0);
  check_invalid (config, "max-connections");
}

static void
test_validate_max_too_large (void)
{
  g_autoptr(DbPoolConfig) config = db_pool_config_new ("x.db");
  g_autoptr(GError) error = NULL;

  db_pool_config_set_max_connections (config, 1024);
  g_assert_true (db_pool_config_validate (config, &error));
  g_assert_no_error (error);

  db_pool_config_set_max_connections (config, 1025);
  check_invalid (config, "max-connections");
}

static void
test_validate_min_above_max (void)
{
  g_autoptr(DbPoolConfig) config = db_pool_config_new ("x.db");
  g_autoptr(GError) error = NULL;

  db_pool_config_set_min_connections (config, 4);
  db_pool_config_set_max_connections (config, 4);
  g_assert_true (db_pool_config_validate (config, &error));
  g_assert_no_error (error);

  db_pool_config_set_min_connections (config, 5);
  check_invalid (config, "min-connections");
}

static void
test_validate_busy_timeout (void)
{
  g_autoptr(DbPoolConfig) config = db_pool_config_new ("x.db");

  db_pool_config_set_busy_timeout_ms (config, (guint) G_MAXINT + 1);
  check_invalid (config, "busy-timeout-ms");
}

static void
test_validate_statement_cache (void)
{
  g_autoptr(DbPoolConfig) config = db_pool_config_new ("x.db");
  g_autoptr(GError) error = NULL;

  db_pool_config_set_statement_cache_size (config, 10000);
  g_assert_true (db_pool_config_validate (config, &error));
  g_assert_no_error (error);

  db_pool_config_set_statement_cache_size (config, 10001);
  check_invalid (config, "statement-cache-size");
}

/* The name goes into metrics labels and log lines: required, UTF-8. */
static void
test_validate_name (void)
{
  g_autoptr(DbPoolConfig) config = db_pool_config_new ("x.db");
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (db_pool_config_get_name (config), ==, "dbpool");
  db_pool_config_set_name (config, "history \"main\"\n");
  g_assert_true (db_pool_config_validate (config, &error));
  g_assert_no_error (error);

  db_pool_config_set_name (config, "");
  check_invalid (config, "name");
  db_pool_config_set_name (config, NULL);
  check_invalid (config, "name");
  db_pool_config_set_name (config, "bad \xff name");
  check_invalid (config, "name");
}

static void
test_json_name (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DbPoolConfig) config =
    db_pool_config_new_from_json ("{\"path\": \"x.db\", \"name\": \"importer\"}", &error);
  g_autoptr(DbPoolConfig) empty = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (db_pool_config_get_name (config), ==, "importer");

  empty = db_pool_config_new_from_json ("{\"path\": \"x.db\", \"name\": \"\"}", &error);
  g_assert_null (empty);
  assert_invalid_config (error, "name");
}

/* 0 means "never" for every time, and min-connections 0 means "on demand". */
static void
test_validate_zeros_are_valid (void)
{
  g_autoptr(DbPoolConfig) config = db_pool_config_new ("x.db");
  g_autoptr(GError) error = NULL;

  g_object_set (config,
                "min-connections", 0,
                "connection-timeout-ms", 0,
                "idle-timeout-ms", 0,
                "max-lifetime-ms", 0,
                "busy-timeout-ms", 0,
                "statement-cache-size", 0,
                "maintenance-interval-ms", 0,
                NULL);
  g_assert_true (db_pool_config_validate (config, &error));
  g_assert_no_error (error);
}

/* JSON */

static void
test_json_round_trip (void)
{
  g_autoptr(DbPoolConfig) config = new_unusual_config ();
  g_autoptr(DbPoolConfig) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *json = db_pool_config_to_json (config);
  JsonObject *object;

  g_test_message ("%s", json);

  /* Every property, under its property name; synchronous as its nick. */
  node = json_from_string (json, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  object = json_node_get_object (node);
  g_assert_cmpuint (json_object_get_size (object), ==, 18);
  g_assert_true (json_object_get_boolean_member (object, "exclusive"));
  g_assert_cmpstr (json_object_get_string_member (object, "synchronous"), ==, "extra");
  g_assert_cmpint (json_object_get_int_member (object, "max-connections"), ==, 7);
  g_assert_false (json_object_get_boolean_member (object, "enable-wal"));
  /* Pretty printed: one member per line. */
  g_assert_nonnull (strchr (json, '\n'));

  back = db_pool_config_new_from_json (json, &error);
  g_assert_no_error (error);
  g_assert_nonnull (back);
  assert_configs_equal (config, back);
}

static void
test_json_minimal (void)
{
  g_autoptr(DbPoolConfig) config = NULL;
  g_autoptr(DbPoolConfig) defaults = db_pool_config_new ("only-path.db");
  g_autoptr(GError) error = NULL;

  config = db_pool_config_new_from_json ("{\"path\": \"only-path.db\"}", &error);
  g_assert_no_error (error);
  assert_configs_equal (config, defaults);

  g_clear_object (&config);
  config = db_pool_config_new_from_json ("{\"path\": \"x.db\", \"max-connections\": 20,"
                                         " \"enable-wal\": false}", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (db_pool_config_get_max_connections (config), ==, 20);
  g_assert_false (db_pool_config_get_enable_wal (config));
  g_assert_cmpuint (db_pool_config_get_min_connections (config), ==, 2);
}

static void
test_json_synchronous_forms (void)
{
  static const struct {
    const char    *json_value;
    DbSynchronous  expected;
  } cases[] = {
    { "\"off\"", DB_SYNCHRONOUS_OFF },
    { "\"NORMAL\"", DB_SYNCHRONOUS_NORMAL },
    { "\"Full\"", DB_SYNCHRONOUS_FULL },
    { "\"extra\"", DB_SYNCHRONOUS_EXTRA },
    { "0", DB_SYNCHRONOUS_OFF },
    { "2", DB_SYNCHRONOUS_FULL },
    { "3", DB_SYNCHRONOUS_EXTRA },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *json = g_strdup_printf ("{\"path\": \"x.db\", \"synchronous\": %s}",
                                               cases[i].json_value);
      g_autoptr(DbPoolConfig) config = db_pool_config_new_from_json (json, &error);

      g_assert_no_error (error);
      g_assert_cmpint (db_pool_config_get_synchronous (config), ==, cases[i].expected);
    }
}

static void
check_bad_json (const char *json,
                const char *expected_in_message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DbPoolConfig) config = db_pool_config_new_from_json (json, &error);

  g_test_message ("JSON: %s", json);
  g_assert_null (config);
  assert_invalid_config (error, expected_in_message);
}

static void
test_json_malformed (void)
{
  /* The position of the syntax error is part of the message. */
  check_bad_json ("{\"path\": \"x.db\",\n \"max-connections\": }", ":2:");
  check_bad_json ("{\"path\": \"x.db\"", "JSON");
  check_bad_json ("", "JSON");
}

static void
test_json_not_object (void)
{
  check_bad_json ("[{\"path\": \"x.db\"}]", "object");
  check_bad_json ("\"x.db\"", "object");
  check_bad_json ("42", "object");
  check_bad_json ("null", "object");
}

static void
test_json_missing_path (void)
{
  check_bad_json ("{}", "path");
  check_bad_json ("{\"max-connections\": 3}", "path");
}

static void
test_json_unknown_key (void)
{
  check_bad_json ("{\"path\": \"x.db\", \"max-conections\": 3}", "max-conections");
  /* The spelling GObject would tolerate is still not a key; the message helps. */
  check_bad_json ("{\"path\": \"x.db\", \"max_connections\": 3}", "max-connections");
}

static void
test_json_wrong_type_string (void)
{
  check_bad_json ("{\"path\": 42}", "path");
  check_bad_json ("{\"path\": null}", "path");
  check_bad_json ("{\"path\": [\"x.db\"]}", "path");
}

static void
test_json_wrong_type_uint (void)
{
  check_bad_json ("{\"path\": \"x.db\", \"max-connections\": \"20\"}", "max-connections");
  check_bad_json ("{\"path\": \"x.db\", \"max-connections\": 2.5}", "max-connections");
  check_bad_json ("{\"path\": \"x.db\", \"max-connections\": true}", "max-connections");
  check_bad_json ("{\"path\": \"x.db\", \"max-connections\": null}", "max-connections");
  check_bad_json ("{\"path\": \"x.db\", \"idle-timeout-ms\": {}}", "idle-timeout-ms");
}

static void
test_json_wrong_type_boolean (void)
{
  check_bad_json ("{\"path\": \"x.db\", \"enable-wal\": 1}", "enable-wal");
  check_bad_json ("{\"path\": \"x.db\", \"enable-wal\": \"true\"}", "enable-wal");
  check_bad_json ("{\"path\": \"x.db\", \"exclusive\": 0}", "exclusive");
}

static void
test_json_wrong_type_enum (void)
{
  check_bad_json ("{\"path\": \"x.db\", \"synchronous\": true}", "synchronous");
  check_bad_json ("{\"path\": \"x.db\", \"synchronous\": 1.0}", "synchronous");
}

static void
test_json_negative (void)
{
  check_bad_json ("{\"path\": \"x.db\", \"min-connections\": -1}", "min-connections");
  check_bad_json ("{\"path\": \"x.db\", \"busy-timeout-ms\": -5000}", "busy-timeout-ms");
}

static void
test_json_too_large (void)
{
  check_bad_json ("{\"path\": \"x.db\", \"idle-timeout-ms\": 4294967296}", "idle-timeout-ms");
  check_bad_json ("{\"path\": \"x.db\", \"maintenance-interval-ms\": 9223372036854775807}",
                  "maintenance-interval-ms");
}

static void
test_json_bad_synchronous (void)
{
  check_bad_json ("{\"path\": \"x.db\", \"synchronous\": \"sometimes\"}", "synchronous");
  check_bad_json ("{\"path\": \"x.db\", \"synchronous\": 4}", "synchronous");
  check_bad_json ("{\"path\": \"x.db\", \"synchronous\": -1}", "synchronous");
}

/* from_json also validates the whole config. */
static void
test_json_validates (void)
{
  check_bad_json ("{\"path\": \"x.db\", \"max-connections\": 0}", "max-connections");
  check_bad_json ("{\"path\": \"x.db\", \"min-connections\": 11}", "min-connections");
  check_bad_json ("{\"path\": \":memory:\"}", "path");
  check_bad_json ("{\"path\": \"\"}", "path");
}

/* Setters and notify */

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              gpointer    user_data)
{
  GHashTable *counts = user_data;
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (counts, pspec->name));

  g_hash_table_insert (counts, (gpointer) pspec->name, GUINT_TO_POINTER (n + 1));
}

static guint
notify_count (GHashTable *counts,
              const char *name)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (counts, name));
}

static void
test_notify_only_on_change (void)
{
  g_autoptr(DbPoolConfig) config = db_pool_config_new ("a.db");
  g_autoptr(GHashTable) counts = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *path = NULL;
  guint n_pspecs;
  g_autofree GParamSpec **pspecs =
    g_object_class_list_properties (G_OBJECT_GET_CLASS (config), &n_pspecs);

  g_signal_connect (config, "notify", G_CALLBACK (count_notify), counts);

  /* The same value, through the setters and through g_object_set(): no notify. */
  db_pool_config_set_path (config, "a.db");
  db_pool_config_set_min_connections (config, 2);
  db_pool_config_set_max_connections (config, 10);
  db_pool_config_set_connection_timeout_ms (config, 5000);
  db_pool_config_set_idle_timeout_ms (config, 300000);
  db_pool_config_set_max_lifetime_ms (config, 1800000);
  db_pool_config_set_busy_timeout_ms (config, 5000);
  db_pool_config_set_enable_wal (config, TRUE);
  db_pool_config_set_synchronous (config, DB_SYNCHRONOUS_NORMAL);
  db_pool_config_set_statement_cache_size (config, 64);
  db_pool_config_set_maintenance_interval_ms (config, 30000);
  db_pool_config_set_circuit_breaker_threshold (config, 3);
  db_pool_config_set_circuit_breaker_cooldown_ms (config, 1000);
  db_pool_config_set_leak_threshold_ms (config, 0);
  db_pool_config_set_name (config, "dbpool");
  db_pool_config_set_exclusive (config, FALSE);
  db_pool_config_set_group_commit (config, TRUE);
  db_pool_config_set_group_commit_max_jobs (config, 256);
  g_object_set (config, "path", "a.db", "max-connections", 10, "enable-wal", TRUE,
                "synchronous", DB_SYNCHRONOUS_NORMAL, NULL);
  g_assert_cmpuint (g_hash_table_size (counts), ==, 0);

  /* A change notifies exactly once per property. */
  db_pool_config_set_path (config, "b.db");
  db_pool_config_set_min_connections (config, 1);
  db_pool_config_set_max_connections (config, 9);
  db_pool_config_set_connection_timeout_ms (config, 1);
  db_pool_config_set_idle_timeout_ms (config, 2);
  db_pool_config_set_max_lifetime_ms (config, 3);
  db_pool_config_set_busy_timeout_ms (config, 4);
  db_pool_config_set_enable_wal (config, FALSE);
  db_pool_config_set_synchronous (config, DB_SYNCHRONOUS_FULL);
  db_pool_config_set_statement_cache_size (config, 5);
  db_pool_config_set_maintenance_interval_ms (config, 6);
  db_pool_config_set_circuit_breaker_threshold (config, 7);
  db_pool_config_set_circuit_breaker_cooldown_ms (config, 8);
  db_pool_config_set_leak_threshold_ms (config, 9);
  db_pool_config_set_name (config, "other");
  db_pool_config_set_exclusive (config, TRUE);
  db_pool_config_set_group_commit (config, FALSE);
  db_pool_config_set_group_commit_max_jobs (config, 10);
  for (guint i = 0; i < n_pspecs; i++)
    if (notify_count (counts, pspecs[i]->name) != 1)
      g_error ("%s notified %u times", pspecs[i]->name,
               notify_count (counts, pspecs[i]->name));

  g_assert_cmpstr (db_pool_config_get_path (config), ==, "b.db");
  g_assert_cmpuint (db_pool_config_get_min_connections (config), ==, 1);
  g_assert_cmpuint (db_pool_config_get_max_connections (config), ==, 9);
  g_assert_cmpuint (db_pool_config_get_connection_timeout_ms (config), ==, 1);
  g_assert_cmpuint (db_pool_config_get_idle_timeout_ms (config), ==, 2);
  g_assert_cmpuint (db_pool_config_get_max_lifetime_ms (config), ==, 3);
  g_assert_cmpuint (db_pool_config_get_busy_timeout_ms (config), ==, 4);
  g_assert_false (db_pool_config_get_enable_wal (config));
  g_assert_cmpint (db_pool_config_get_synchronous (config), ==, DB_SYNCHRONOUS_FULL);
  g_assert_cmpuint (db_pool_config_get_statement_cache_size (config), ==, 5);
  g_assert_cmpuint (db_pool_config_get_maintenance_interval_ms (config), ==, 6);

  /* Through g_object_set() too, and a boolean is a boolean whatever its int. */
  g_hash_table_remove_all (counts);
  g_object_set (config, "max-connections", 12, "path", "c.db", NULL);
  db_pool_config_set_enable_wal (config, FALSE);
  g_assert_cmpuint (notify_count (counts, "max-connections"), ==, 1);
  g_assert_cmpuint (notify_count (counts, "path"), ==, 1);
  g_assert_cmpuint (notify_count (counts, "enable-wal"), ==, 0);
  g_object_get (config, "path", &path, NULL);
  g_assert_cmpstr (path, ==, "c.db");

  /* Clearing the path is a change as well. */
  db_pool_config_set_path (config, NULL);
  g_assert_cmpuint (notify_count (counts, "path"), ==, 2);
  g_assert_null (db_pool_config_get_path (config));
}

static void
test_copy (void)
{
  g_autoptr(DbPoolConfig) config = new_unusual_config ();
  g_autoptr(DbPoolConfig) copy = db_pool_config_copy (config);

  g_assert_true (copy != config);
  assert_configs_equal (config, copy);

  /* Independent afterwards. */
  db_pool_config_set_path (config, "other.db");
  db_pool_config_set_max_connections (config, 99);
  g_assert_cmpstr (db_pool_config_get_path (copy), ==, "/tmp/ünïcode \"quoted\".db");
  g_assert_cmpuint (db_pool_config_get_max_connections (copy), ==, 7);
}

/* DbPoolStats is tested here too: it is the other plain value type. */

static void
test_stats_boxed (void)
{
  DbPoolStats stats = { 0 };
  g_autoptr(DbPoolStats) copy = NULL;

  stats.total_connections_created = 3;
  stats.max_wait_time_us = G_MAXUINT64 / 2;
  stats.timeouts = 7;

  copy = g_boxed_copy (DB_TYPE_POOL_STATS, &stats);
  g_assert_true (copy != &stats);
  g_assert_cmpmem (copy, sizeof *copy, &stats, sizeof stats);
  g_assert_true (G_TYPE_IS_BOXED (DB_TYPE_POOL_STATS));
  db_pool_stats_free (NULL);
}

static void
test_stats_to_json (void)
{
  DbPoolStats stats = {
    .total_connections_created = 12,
    .total_connections_destroyed = 2,
    .current_active_connections = 3,
    .current_idle_connections = 7,
    .waiting_requests = 1,
    .total_requests = 4,
    .total_wait_time_us = 1001,
    .max_wait_time_us = 900,
    .connection_errors = 5,
    .timeouts = 6,
  };
  static const struct {
    const char *key;
    gint64      value;
  } expected[] = {
    { "total-connections-created", 12 },
    { "total-connections-destroyed", 2 },
    { "active-connections", 3 },
    { "idle-connections", 7 },
    { "waiting-requests", 1 },
    { "total-requests", 4 },
    { "total-wait-time-us", 1001 },
    { "max-wait-time-us", 900 },
    { "connection-errors", 5 },
    { "timeouts", 6 },
    { "group-commits", 0 },
    { "group-commit-jobs", 0 },
    { "average-wait-time-us", 250 },
  };
  g_autofree char *json = db_pool_stats_to_json (&stats);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = json_from_string (json, &error);
  JsonObject *object;

  g_test_message ("%s", json);
  g_assert_no_error (error);
  object = json_node_get_object (node);
  g_assert_cmpuint (json_object_get_size (object), ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_assert_true (json_object_has_member (object, expected[i].key));
      g_assert_cmpint (json_object_get_int_member (object, expected[i].key), ==,
                       expected[i].value);
    }

  /* No requests yet: the average is 0, not a division by zero. */
  {
    DbPoolStats empty = { 0 };
    g_autofree char *json2 = db_pool_stats_to_json (&empty);
    g_autoptr(JsonNode) node2 = json_from_string (json2, &error);

    g_assert_no_error (error);
    g_assert_cmpint (json_object_get_int_member (json_node_get_object (node2),
                                                 "average-wait-time-us"), ==, 0);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/config/defaults", test_defaults);
  g_test_add_func ("/config/pspec-defaults", test_pspec_defaults_match);
  g_test_add_func ("/config/preset/high-performance", test_high_performance);
  g_test_add_func ("/config/preset/memory-efficient", test_memory_efficient);
  g_test_add_func ("/config/validate/path-null", test_validate_path_null);
  g_test_add_func ("/config/validate/path-empty", test_validate_path_empty);
  g_test_add_func ("/config/validate/path-memory", test_validate_path_memory);
  g_test_add_func ("/config/validate/path-memory-uri", test_validate_path_memory_uri);
  g_test_add_func ("/config/validate/max-connections-zero", test_validate_max_zero);
  g_test_add_func ("/config/validate/max-connections-too-large", test_validate_max_too_large);
  g_test_add_func ("/config/validate/min-above-max", test_validate_min_above_max);
  g_test_add_func ("/config/validate/busy-timeout-too-large", test_validate_busy_timeout);
  g_test_add_func ("/config/validate/statement-cache-too-large", test_validate_statement_cache);
  g_test_add_func ("/config/validate/name", test_validate_name);
  g_test_add_func ("/config/validate/zeros-are-valid", test_validate_zeros_are_valid);
  g_test_add_func ("/config/json/round-trip", test_json_round_trip);
  g_test_add_func ("/config/json/minimal", test_json_minimal);
  g_test_add_func ("/config/json/synchronous-forms", test_json_synchronous_forms);
  g_test_add_func ("/config/json/malformed", test_json_malformed);
  g_test_add_func ("/config/json/not-object", test_json_not_object);
  g_test_add_func ("/config/json/missing-path", test_json_missing_path);
  g_test_add_func ("/config/json/unknown-key", test_json_unknown_key);
  g_test_add_func ("/config/json/wrong-type/string", test_json_wrong_type_string);
  g_test_add_func ("/config/json/wrong-type/uint", test_json_wrong_type_uint);
  g_test_add_func ("/config/json/wrong-type/boolean", test_json_wrong_type_boolean);
  g_test_add_func ("/config/json/wrong-type/enum", test_json_wrong_type_enum);
  g_test_add_func ("/config/json/negative", test_json_negative);
  g_test_add_func ("/config/json/too-large", test_json_too_large);
  g_test_add_func ("/config/json/bad-synchronous", test_json_bad_synchronous);
  g_test_add_func ("/config/json/validates", test_json_validates);
  g_test_add_func ("/config/json/name", test_json_name);
  g_test_add_func ("/config/notify-only-on-change", test_notify_only_on_change);
  g_test_add_func ("/config/copy", test_copy);
  g_test_add_func ("/stats/boxed", test_stats_boxed);
  g_test_add_func ("/stats/to-json", test_stats_to_json);

  return g_test_run ();
}
