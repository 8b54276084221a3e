/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Failing fast when the database is unreachable (the circuit breaker), recovering on
 * its own, and reporting leases held too long. */
#include "test-common.h"
#include "fault-vfs.h"

static DbCircuitState
circuit_state (DbPool *pool)
{
  DbCircuitState state;

  g_object_get (pool, "circuit-state", &state, NULL);
  return state;
}

static guint64
connection_errors (DbPool *pool)
{
  g_autoptr(DbPoolStats) stats = db_pool_get_stats (pool);

  return stats->connection_errors;
}

static void
record_state (DbPool         *pool,
              GParamSpec     *pspec,
              DbCircuitState *seen)
{
  /* notify:: runs on the owner context, here the test's main thread. */
  g_assert_true (g_main_context_is_owner (g_main_context_default ()));
  g_object_get (pool, "circuit-state", seen, NULL);
}

static void
test_breaker_fails_fast_then_recovers (void)
{
  DbCircuitState seen = DB_CIRCUIT_CLOSED;
  g_autofree char *path = test_db_path ();
  g_autofree char *uri = g_strdup_printf ("file:%s?vfs=fault", path);
  g_autoptr(DbPoolConfig) config = test_config (uri, 1, 4);
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) held = NULL;
  DbConnection *conn;
  guint opens_before;

  fault_vfs_register ();
  db_pool_config_set_circuit_breaker_threshold (config, 2);
  db_pool_config_set_circuit_breaker_cooldown_ms (config, 500);
  db_pool_config_set_maintenance_interval_ms (config, 0);
  pool = test_pool_new (config);
  g_assert_cmpint (circuit_state (pool), ==, DB_CIRCUIT_CLOSED);
  g_signal_connect (pool, "notify::circuit-state", G_CALLBACK (record_state), &seen);

  /* The one open connection is busy, so every further acquire needs a new one. */
  held = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
  g_assert_no_error (error);

  g_test_expect_message ("dbpool", G_LOG_LEVEL_MESSAGE, "*unreachable, failing fast*");
  fault_vfs_arm (FAULT_OPEN, 1, SQLITE_CANTOPEN, TRUE);
  for (int i = 0; i < 2; i++)
    {
      conn = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
      g_assert_null (conn);
      g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_OPEN);
      g_clear_error (&error);
    }
  g_test_assert_expected_messages ();
  g_assert_cmpint (circuit_state (pool), ==, DB_CIRCUIT_OPEN);
  g_assert_cmpuint (connection_errors (pool), ==, 2);

  /* Open: fails at once, without even trying to open. */
  opens_before = fault_vfs_calls (FAULT_OPEN);
  conn = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
  g_assert_null (conn);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_OPEN);
  g_assert_nonnull (strstr (error->message, "failing fast"));
  g_assert_nonnull (strstr (error->message, path));
  g_clear_error (&error);
  g_assert_cmpuint (fault_vfs_calls (FAULT_OPEN), ==, opens_before);
  g_assert_cmpuint (connection_errors (pool), ==, 2);

  /* Idle connections are still served while the breaker is open. */
  g_clear_object (&held);
  held = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
  g_assert_no_error (error);

  /* After the cool-down, a failing trial opens it again (for twice as long). */
  g_usleep (600000);
  conn = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
  g_assert_null (conn);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_OPEN);
  g_clear_error (&error);
  g_assert_cmpint (circuit_state (pool), ==, DB_CIRCUIT_OPEN);
  g_assert_cmpuint (connection_errors (pool), ==, 3);
  /* It stays open through the cool-down (nobody retries): the owner context hears. */
  test_wait_until (seen == DB_CIRCUIT_OPEN, 2000);

  /* The database comes back: after the cool-down the trial succeeds and closes it. */
  fault_vfs_disarm ();
  g_usleep (1100000);
  g_test_expect_message ("dbpool", G_LOG_LEVEL_MESSAGE, "*reachable again*");
  conn = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (conn);
  g_test_assert_expected_messages ();
  g_assert_cmpint (circuit_state (pool), ==, DB_CIRCUIT_CLOSED);
  test_wait_until (seen == DB_CIRCUIT_CLOSED, 2000);
  g_object_unref (conn);
}

static GMutex messages_lock;

/* The pool logs from worker threads, after it updated its state. */
static void
collect_message (const char     *domain,
                 GLogLevelFlags  level,
                 const char     *message,
                 gpointer        data)
{
  g_mutex_lock (&messages_lock);
  g_string_append_printf (data, "%s\n", message);
  g_mutex_unlock (&messages_lock);
}

static gboolean
messages_contain (GString    *messages,
                  const char *text)
{
  gboolean found;

  g_mutex_lock (&messages_lock);
  found = strstr (messages->str, text) != NULL;
  g_mutex_unlock (&messages_lock);
  return found;
}

static void
test_breaker_recovers_on_its_own (void)
{
  g_autoptr(GString) messages = g_string_new (NULL);
  guint handler;
  g_autofree char *path = test_db_path ();
  g_autofree char *uri = g_strdup_printf ("file:%s?vfs=fault", path);
  g_autoptr(DbPoolConfig) config = test_config (uri, 2, 4);
  g_autoptr(DbPool) pool = NULL;

  fault_vfs_register ();
  db_pool_config_set_circuit_breaker_threshold (config, 2);
  db_pool_config_set_circuit_breaker_cooldown_ms (config, 100);
  db_pool_config_set_maintenance_interval_ms (config, 20);
  db_pool_config_set_max_lifetime_ms (config, 50);
  pool = test_pool_new (config);
  handler = g_log_set_handler ("dbpool", G_LOG_LEVEL_MESSAGE, collect_message, messages);

  /* Connections expire and cannot be replaced: the refills fail, the breaker opens. */
  fault_vfs_arm (FAULT_OPEN, 1, SQLITE_CANTOPEN, TRUE);
  test_wait_until (circuit_state (pool) == DB_CIRCUIT_OPEN, 5000);

  /* Nobody acquires: the pool retries by itself once the database is back. */
  fault_vfs_disarm ();
  test_wait_until (({ g_autoptr(DbPoolStats) s = db_pool_get_stats (pool);
                      circuit_state (pool) == DB_CIRCUIT_CLOSED && s->current_idle_connections >= 1 &&
                      messages_contain (messages, "reachable again"); }),
                   5000);
  g_log_remove_handler ("dbpool", handler);
  g_assert_true (messages_contain (messages, "unreachable, failing fast"));
}

typedef struct
{
  guint    count;
  guint64  held_us;
  char    *where;
  GThread *thread;
} LeakLog;

static void
on_leak (DbPool     *pool,
         guint64     held_us,
         const char *where,
         LeakLog    *log)
{
  log->count++;
  log->held_us = held_us;
  g_free (log->where);
  log->where = g_strdup (where);
  log->thread = g_thread_self ();
}

static void
test_lease_held_too_long (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 2);
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) forgotten = NULL;
  g_autoptr(DbConnection) brief = NULL;
  LeakLog log = { 0 };

  db_pool_config_set_leak_threshold_ms (config, 80);
  db_pool_config_set_maintenance_interval_ms (config, 20);
  pool = test_pool_new (config);
  g_signal_connect (pool, "lease-held-too-long", G_CALLBACK (on_leak), &log);

  g_test_expect_message ("dbpool", G_LOG_LEVEL_WARNING, "*has been held for*db_pool_acquire()*");
  forgotten = db_pool_acquire (pool, DB_ACCESS_WRITE, NULL, &error);
  g_assert_no_error (error);
  /* A lease returned in time is never reported. */
  brief = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&brief);

  test_wait_until (log.count == 1, 5000);
  g_test_assert_expected_messages ();
  g_assert_true (log.thread == g_thread_self ());
  g_assert_cmpuint (log.held_us, >=, 80000);
  g_assert_nonnull (strstr (log.where, "db_pool_acquire()"));

  /* Reported once, not at every maintenance run. */
  for (int i = 0; i < 10; i++)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10000);
    }
  g_assert_cmpuint (log.count, ==, 1);
  g_clear_object (&forgotten);
  g_free (log.where);
}

/* A binding names its own caller: the report says where, without the C stack. */
static void
test_lease_origin_from_binding (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 2);
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) forgotten = NULL;
  g_autoptr(DbConnection) plain = NULL;
  LeakLog log = { 0 };

  db_pool_config_set_leak_threshold_ms (config, 50);
  db_pool_config_set_maintenance_interval_ms (config, 20);
  pool = test_pool_new (config);
  g_signal_connect (pool, "lease-held-too-long", G_CALLBACK (on_leak), &log);

  g_test_expect_message ("dbpool", G_LOG_LEVEL_WARNING,
                         "*has been held for*acquired through db_pool_acquire() at script.py:7");
  forgotten = db_pool_acquire_with_origin (pool, DB_ACCESS_WRITE, "script.py:7", NULL, &error);
  g_assert_no_error (error);
  test_wait_until (log.count == 1, 5000);
  g_test_assert_expected_messages ();
  g_assert_cmpstr (log.where, ==, "acquired through db_pool_acquire() at script.py:7");
  g_clear_object (&forgotten);

  /* The origin was for that acquire only: the next one on this thread is plain C. */
  g_test_expect_message ("dbpool", G_LOG_LEVEL_WARNING, "*has been held for*");
  plain = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
  g_assert_no_error (error);
  test_wait_until (log.count == 2, 5000);
  g_test_assert_expected_messages ();
  g_assert_null (strstr (log.where, "script.py"));
  g_free (log.where);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/health/breaker-fails-fast-then-recovers", test_breaker_fails_fast_then_recovers);
  g_test_add_func ("/health/breaker-recovers-on-its-own", test_breaker_recovers_on_its_own);
  g_test_add_func ("/health/lease-held-too-long", test_lease_held_too_long);
  g_test_add_func ("/health/lease-origin-from-binding", test_lease_origin_from_binding);

  return g_test_run ();
}
