/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* db_pool_reconfigure(): resizing and retuning a running pool, and what it refuses;
 * and the pool's own configuration object, which is not the way to change it. */
#include "test-common.h"

static DbPoolStats *
stats (DbPool *pool)
{
  return db_pool_get_stats (pool);
}

static DbPoolConfig *
changed_copy (DbPool *pool)
{
  return db_pool_config_copy (db_pool_get_config (pool));
}

static void
reconfigure_ok (DbPool       *pool,
                DbPoolConfig *config)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (db_pool_reconfigure (pool, config, &error));
  g_assert_no_error (error);
}

/* ---- growing ------------------------------------------------------------------- */

typedef struct
{
  DbPool       *pool;
  DbConnection *lease;
  GError       *error;
} Waiter;

static gpointer
waiter_thread (gpointer data)
{
  Waiter *w = data;

  w->lease = db_pool_acquire (w->pool, DB_ACCESS_READ, NULL, &w->error);
  return NULL;
}

static guint
n_waiting (DbPool *pool)
{
  g_autoptr(DbPoolStats) s = stats (pool);

  return s->waiting_requests;
}

static void
test_grow_serves_waiters (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPoolConfig) bigger = NULL;
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(DbConnection) held = NULL;
  g_autoptr(DbConnection) async_lease = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  Waiter w = { NULL, NULL, NULL };
  GThread *thread;

  /* Long enough that only the new maximum can serve them in time. */
  db_pool_config_set_connection_timeout_ms (config, 60000);
  pool = test_pool_new (config);
  held = test_acquire (pool, DB_ACCESS_WRITE);

  w.pool = pool;
  thread = g_thread_new ("waiter", waiter_thread, &w);
  test_wait_until (n_waiting (pool) == 1, 10000);
  db_pool_acquire_async (pool, DB_ACCESS_READ, NULL, test_store_result, &result);
  test_wait_until (n_waiting (pool) == 2, 10000);

  bigger = changed_copy (pool);
  db_pool_config_set_max_connections (bigger, 3);
  reconfigure_ok (pool, bigger);

  g_thread_join (thread);
  g_assert_no_error (w.error);
  g_assert_nonnull (w.lease);
  async_lease = db_pool_acquire_finish (pool, test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (async_lease);
  g_assert_cmpuint (db_pool_config_get_max_connections (db_pool_get_config (pool)), ==, 3);
  {
    g_autoptr(DbPoolStats) s = stats (pool);

    g_assert_cmpuint (s->current_active_connections, ==, 3);
    g_assert_cmpuint (s->waiting_requests, ==, 0);
    g_assert_cmpuint (s->timeouts, ==, 0);
  }
  g_clear_object (&w.lease);
}

/* ---- shrinking ----------------------------------------------------------------- */

static void
test_shrink_below_leased (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 4, 4);
  g_autoptr(DbPoolConfig) smaller = NULL;
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(GError) error = NULL;
  DbConnection *leases[4];
  Waiter w = { NULL, NULL, NULL };
  GThread *thread;
  guint64 destroyed;

  db_pool_config_set_connection_timeout_ms (config, 60000);
  pool = test_pool_new (config);
  for (guint i = 0; i < 4; i++)
    leases[i] = test_acquire (pool, i == 0 ? DB_ACCESS_WRITE : DB_ACCESS_READ);

  w.pool = pool;
  thread = g_thread_new ("waiter", waiter_thread, &w);
  test_wait_until (n_waiting (pool) == 1, 10000);

  smaller = changed_copy (pool);
  db_pool_config_set_min_connections (smaller, 1);
  db_pool_config_set_max_connections (smaller, 2);
  reconfigure_ok (pool, smaller);
  {
    g_autoptr(DbPoolStats) s = stats (pool);

    /* Nothing taken from the leases. */
    g_assert_cmpuint (s->current_active_connections, ==, 4);
    destroyed = s->total_connections_destroyed;
  }

  /* Two come back: both above the new maximum, so both close; the waiter, which
   * would otherwise have had the first, keeps waiting. */
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(DbPoolStats) s = NULL;

      g_clear_object (&leases[i]);
      s = stats (pool);
      g_assert_cmpuint (s->total_connections_destroyed, ==, destroyed + i + 1);
      g_assert_cmpuint (s->current_idle_connections, ==, 0);
      g_assert_cmpuint (s->current_active_connections, ==, 3 - i);
      g_assert_cmpuint (s->waiting_requests, ==, 1);
    }

  /* The next one is within the maximum: it goes straight to the waiter. */
  g_clear_object (&leases[2]);
  g_thread_join (thread);
  g_assert_no_error (w.error);
  g_assert_nonnull (w.lease);
  {
    g_autoptr(DbPoolStats) s = stats (pool);

    g_assert_cmpuint (s->total_connections_destroyed, ==, destroyed + 2);
    g_assert_cmpuint (s->current_active_connections, ==, 2);
    g_assert_cmpuint (s->waiting_requests, ==, 0);
  }
  g_clear_object (&w.lease);
  g_clear_object (&leases[3]);
  {
    g_autoptr(DbPoolStats) s = stats (pool);

    g_assert_cmpuint (s->current_idle_connections, ==, 2);
  }
}

static void
test_shrink_closes_idle (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 4, 4);
  g_autoptr(DbPoolConfig) smaller = NULL;
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(DbPoolStats) s = NULL;

  pool = test_pool_new (config);
  smaller = changed_copy (pool);
  db_pool_config_set_min_connections (smaller, 0);
  db_pool_config_set_max_connections (smaller, 1);
  reconfigure_ok (pool, smaller);

  s = stats (pool);
  g_assert_cmpuint (s->current_idle_connections, ==, 1);
  g_assert_cmpuint (s->total_connections_destroyed, ==, 3);
}

/* ---- timeouts ------------------------------------------------------------------ */

static void
test_new_timeout_applies (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPoolConfig) shorter = NULL;
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(DbConnection) held = NULL;
  g_autoptr(DbConnection) late = NULL;
  g_autoptr(GError) error = NULL;

  db_pool_config_set_connection_timeout_ms (config, 0);   /* for ever */
  pool = test_pool_new (config);
  held = test_acquire (pool, DB_ACCESS_READ);

  shorter = changed_copy (pool);
  db_pool_config_set_connection_timeout_ms (shorter, 30);
  db_pool_config_set_leak_threshold_ms (shorter, 60000);
  db_pool_config_set_idle_timeout_ms (shorter, 1000);
  db_pool_config_set_max_lifetime_ms (shorter, 2000);
  reconfigure_ok (pool, shorter);

  late = test_acquire_on_other_thread (pool, DB_ACCESS_READ, &error);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_TIMEOUT);
  g_assert_true (g_str_has_prefix (error->message, "No connection became available within 30 ms"));
  g_assert_cmpuint (db_pool_config_get_connection_timeout_ms (db_pool_get_config (pool)), ==, 30);
  g_assert_cmpuint (db_pool_config_get_leak_threshold_ms (db_pool_get_config (pool)), ==, 60000);
  g_assert_cmpuint (db_pool_config_get_idle_timeout_ms (db_pool_get_config (pool)), ==, 1000);
  g_assert_cmpuint (db_pool_config_get_max_lifetime_ms (db_pool_get_config (pool)), ==, 2000);
}

/* ---- what it refuses ----------------------------------------------------------- */

static void
test_refuses_other_changes (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 2);
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(GError) error = NULL;
  struct { const char *property; guint value; } fixed[] = {
    { "busy-timeout-ms", 1 },
    { "statement-cache-size", 3 },
    { "maintenance-interval-ms", 7 },
    { "circuit-breaker-threshold", 9 },
  };

  pool = test_pool_new (config);

  for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
    {
      g_autoptr(DbPoolConfig) changed = changed_copy (pool);
      g_autofree char *quoted = g_strdup_printf ("“%s” cannot change on a running pool", fixed[i].property);

      /* Together with an allowed change, which must not be applied either. */
      db_pool_config_set_max_connections (changed, 5);
      g_object_set (changed, fixed[i].property, fixed[i].value, NULL);
      g_assert_false (db_pool_reconfigure (pool, changed, &error));
      g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG);
      g_assert_true (g_str_has_prefix (error->message, quoted));
      g_clear_error (&error);
    }
  {
    g_autoptr(DbPoolConfig) changed = changed_copy (pool);
    g_autofree char *other = g_strconcat (path, ".other", NULL);

    db_pool_config_set_path (changed, other);
    g_assert_false (db_pool_reconfigure (pool, changed, &error));
    g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG);
    g_assert_true (g_str_has_prefix (error->message, "“path” cannot change on a running pool"));
    g_clear_error (&error);
  }
  {
    g_autoptr(DbPoolConfig) changed = changed_copy (pool);

    /* Invalid as a whole: the validator's message. */
    db_pool_config_set_min_connections (changed, 3);
    g_assert_false (db_pool_reconfigure (pool, changed, &error));
    g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG);
    g_assert_nonnull (strstr (error->message, "min-connections"));
    g_clear_error (&error);
  }
  g_assert_cmpuint (db_pool_config_get_max_connections (db_pool_get_config (pool)), ==, 2);

  {
    g_autoptr(DbPoolConfig) changed = changed_copy (pool);

    db_pool_close (pool);
    db_pool_config_set_max_connections (changed, 3);
    g_assert_false (db_pool_reconfigure (pool, changed, &error));
    g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_CLOSED);
    g_clear_error (&error);
  }
}

/* ---- the pool's own configuration object --------------------------------------- */

static void
test_get_config_is_not_the_way (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(DbConnection) held = NULL;
  g_autoptr(DbConnection) late = NULL;
  g_autoptr(GError) error = NULL;

  db_pool_config_set_connection_timeout_ms (config, 30);
  pool = test_pool_new (config);
  held = test_acquire (pool, DB_ACCESS_READ);

  /* Changing it is not silently ignored: it is undone, with a warning... */
  g_test_expect_message ("dbpool", G_LOG_LEVEL_WARNING,
                         "*“max-connections” was changed on the configuration of the running "
                         "pool*undone*db_pool_reconfigure()*");
  db_pool_config_set_max_connections (db_pool_get_config (pool), 2);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (db_pool_config_get_max_connections (db_pool_get_config (pool)), ==, 1);

  /* ...and it does not change the pool. */
  late = test_acquire_on_other_thread (pool, DB_ACCESS_READ, &error);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_TIMEOUT);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/pool/reconfigure/grow-serves-waiters", test_grow_serves_waiters);
  g_test_add_func ("/pool/reconfigure/shrink-below-leased", test_shrink_below_leased);
  g_test_add_func ("/pool/reconfigure/shrink-closes-idle", test_shrink_closes_idle);
  g_test_add_func ("/pool/reconfigure/new-timeout-applies", test_new_timeout_applies);
  g_test_add_func ("/pool/reconfigure/refuses-other-changes", test_refuses_other_changes);
  g_test_add_func ("/pool/reconfigure/get-config-is-not-the-way", test_get_config_is_not_the_way);

  return g_test_run ();
}
