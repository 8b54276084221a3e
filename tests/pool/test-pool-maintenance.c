/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Maintenance from the owner context: idle timeout, max lifetime, refill to min,
 * and a broken connection replaced. */
#include "test-common.h"
#include "fault-vfs.h"

static DbPoolStats *
stats_of (DbPool *pool)
{
  return db_pool_get_stats (pool);
}

static guint
idle_of (DbPool *pool)
{
  g_autoptr(DbPoolStats) s = stats_of (pool);

  return s->current_idle_connections;
}

static guint64
created_of (DbPool *pool)
{
  g_autoptr(DbPoolStats) s = stats_of (pool);

  return s->total_connections_created;
}

/* Leases @n connections at once so the pool grows to @n, then returns them. */
static void
grow_to (DbPool *pool,
         guint   n)
{
  DbConnection *leases[16];

  g_assert_cmpuint (n, <=, G_N_ELEMENTS (leases));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;

      leases[i] = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
      g_assert_no_error (error);
    }
  for (guint i = 0; i < n; i++)
    g_object_unref (leases[i]);
}

static void
test_idle_timeout (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 4);
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(DbPoolStats) stats = NULL;

  db_pool_config_set_idle_timeout_ms (config, 50);
  db_pool_config_set_maintenance_interval_ms (config, 20);
  pool = test_pool_new (config);

  grow_to (pool, 4);
  g_assert_cmpuint (idle_of (pool), ==, 4);

  /* Closed down to min-connections, never below. */
  test_wait_until (idle_of (pool) == 1, 5000);
  stats = stats_of (pool);
  g_assert_cmpuint (stats->total_connections_created, ==, 4);
  g_assert_cmpuint (stats->total_connections_destroyed, ==, 3);
  g_clear_pointer (&stats, db_pool_stats_free);

  /* Stays at the minimum afterwards. */
  for (int i = 0; i < 10; i++)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10000);
    }
  g_assert_cmpuint (idle_of (pool), ==, 1);
}

static void
test_max_lifetime_and_refill (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 2, 4);
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) conn = NULL;

  db_pool_config_set_max_lifetime_ms (config, 60);
  db_pool_config_set_maintenance_interval_ms (config, 20);
  pool = test_pool_new (config);
  g_assert_cmpuint (created_of (pool), ==, 2);

  /* Expired connections are replaced, and the pool refills to its minimum. */
  test_wait_until (created_of (pool) >= 4 && idle_of (pool) == 2, 5000);

  /* A lease past max-lifetime is closed when it comes back, not reused. */
  conn = db_pool_acquire (pool, DB_ACCESS_WRITE, NULL, &error);
  g_assert_no_error (error);
  g_usleep (80000);
  g_assert_cmpint (db_connection_get_age_us (conn), >=, 60000);
  {
    g_autoptr(DbPoolStats) before = stats_of (pool);
    g_autoptr(DbPoolStats) after = NULL;

    g_clear_object (&conn);
    after = stats_of (pool);
    g_assert_cmpuint (after->total_connections_destroyed, >, before->total_connections_destroyed);
  }
  test_wait_until (idle_of (pool) == 2, 5000);
}

static void
test_broken_connection_replaced (void)
{
  g_autofree char *path = test_db_path ();
  g_autofree char *uri = g_strdup_printf ("file:%s?vfs=fault", path);
  g_autoptr(DbPoolConfig) config = test_config (uri, 1, 1);
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DbPoolStats) stats = NULL;
  g_autoptr(DbRows) rows = NULL;
  DbConnection *conn;

  fault_vfs_register ();
  pool = test_pool_new (config);

  conn = db_pool_acquire (pool, DB_ACCESS_WRITE, NULL, &error);
  g_assert_no_error (error);
  db_connection_execute (conn, "CREATE TABLE t (x)", NULL, &error);
  g_assert_no_error (error);

  /* Every write fails from now on: the commit hits an I/O error. */
  fault_vfs_arm (FAULT_WRITE, 1, SQLITE_IOERR_WRITE, TRUE);
  db_connection_execute (conn, "INSERT INTO t VALUES (1)", NULL, &error);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_IO);
  g_clear_error (&error);
  g_assert_cmpuint (fault_vfs_injected (), >=, 1);
  fault_vfs_disarm ();

  /* The connection in doubt is discarded on release, not reused. */
  g_object_unref (conn);
  stats = db_pool_get_stats (pool);
  g_assert_cmpuint (stats->connection_errors, ==, 1);
  g_assert_cmpuint (stats->total_connections_destroyed, ==, 1);
  g_clear_pointer (&stats, db_pool_stats_free);

  /* A fresh connection replaces it; the failed insert left nothing behind. */
  conn = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
  g_assert_no_error (error);
  rows = db_connection_query (conn, "SELECT count(*) FROM t", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (db_rows_get_int64 (rows, 0, 0), ==, 0);
  g_object_unref (conn);
  stats = db_pool_get_stats (pool);
  g_assert_cmpuint (stats->total_connections_created, ==, 2);
}

static void
test_maintenance_stops_with_pool (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 2);
  DbPool *pool;
  GWeakRef weak;

  db_pool_config_set_maintenance_interval_ms (config, 10);
  pool = test_pool_new (config);
  g_weak_ref_init (&weak, pool);
  /* The timer must not keep the pool alive. */
  g_object_unref (pool);
  g_assert_null (g_weak_ref_get (&weak));
  for (int i = 0; i < 5; i++)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (5000);
    }
  g_weak_ref_clear (&weak);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/maintenance/idle-timeout", test_idle_timeout);
  g_test_add_func ("/maintenance/max-lifetime-and-refill", test_max_lifetime_and_refill);
  g_test_add_func ("/maintenance/broken-connection-replaced", test_broken_connection_replaced);
  g_test_add_func ("/maintenance/stops-with-pool", test_maintenance_stops_with_pool);

  return g_test_run ();
}
