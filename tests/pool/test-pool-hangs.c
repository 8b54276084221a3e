/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Waits that could never end are reported instead: db_pool_close() on a thread that
 * holds leases, a second write lease on the thread holding the write lease; a
 * timeout says what the pool was doing. The cases that used to hang run in a
 * subprocess with a time limit, so a regression fails here instead of hanging. */
#include "test-common.h"

/* Far longer than any of these needs; a subprocess still running then has hung. */
#define HANG_LIMIT_US (30 * G_USEC_PER_SEC)

/* ---- close on a thread that holds leases --------------------------------------- */

typedef struct
{
  DbConnection *lease;
  int           released;   /* atomic */
} LateRelease;

static gpointer
release_later (gpointer data)
{
  LateRelease *late = data;

  g_usleep (200 * 1000);
  g_atomic_int_set (&late->released, TRUE);
  g_clear_object (&late->lease);
  return NULL;
}

static void
close_on_holding_thread (guint leak_threshold_ms)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 4);
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(DbConnection) mine_read = NULL;
  g_autoptr(DbConnection) mine_write = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  LateRelease late = { NULL, FALSE };
  GThread *other;

  db_pool_config_set_leak_threshold_ms (config, leak_threshold_ms);
  pool = test_pool_new (config);

  /* Two leases for this thread (one blocking, one async) and one for another thread,
   * which gives it back a little later. */
  mine_read = test_acquire (pool, DB_ACCESS_READ);
  db_pool_acquire_async (pool, DB_ACCESS_WRITE, NULL, test_store_result, &result);
  mine_write = db_pool_acquire_finish (pool, test_wait_result (&result), &error);
  g_assert_no_error (error);
  late.lease = test_acquire_on_other_thread (pool, DB_ACCESS_READ, &error);
  g_assert_no_error (error);
  other = g_thread_new ("late-release", release_later, &late);

  g_test_expect_message ("dbpool", G_LOG_LEVEL_CRITICAL,
                         leak_threshold_ms > 0
                         ? "*db_pool_close()*still holds 2 of its leases*"
                           "a lease acquired through db_pool_acquire()\n  #0 *"
                           "a lease acquired through db_pool_acquire_async()\n  #0 *"
                         : "*db_pool_close()*still holds 2 of its leases*they close when released*"
                           "a lease acquired through db_pool_acquire() (set leak-threshold-ms*"
                           "a lease acquired through db_pool_acquire_async() (set leak-threshold-ms*");
  db_pool_close (pool);
  g_test_assert_expected_messages ();

  /* The other thread's lease was waited for; this thread's were not. */
  g_assert_true (g_atomic_int_get (&late.released));
  g_thread_join (other);
  g_assert_true (db_pool_is_closed (pool));
  g_assert_false (db_connection_is_released (mine_read));

  /* Still usable, and closed once released. */
  db_connection_execute (mine_write, "CREATE TABLE t (x)", NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&mine_read);
  g_clear_object (&mine_write);
  {
    g_autoptr(DbPoolStats) stats = db_pool_get_stats (pool);

    g_assert_cmpuint (stats->current_active_connections, ==, 0);
    g_assert_cmpuint (stats->current_idle_connections, ==, 0);
    g_assert_cmpuint (stats->total_connections_destroyed, ==, stats->total_connections_created);
  }
}

static void
test_close_on_holding_thread_child (void)
{
  close_on_holding_thread (0);
}

static void
test_close_on_holding_thread_stack_child (void)
{
  close_on_holding_thread (60000);
}

static void
test_close_on_holding_thread (void)
{
  g_test_trap_subprocess ("/pool/hangs/close-on-holding-thread/subprocess", HANG_LIMIT_US, 0);
  g_test_trap_assert_passed ();
  g_test_trap_subprocess ("/pool/hangs/close-on-holding-thread-stack/subprocess", HANG_LIMIT_US, 0);
  g_test_trap_assert_passed ();
}

/* ---- a second write lease on the writer's thread ------------------------------- */

static void
test_second_writer_child (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 4);
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(DbConnection) writer = NULL;
  g_autoptr(DbConnection) second = NULL;
  g_autoptr(DbConnection) reader = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  /* Waiting for ever is the default that made this a silent hang. */
  db_pool_config_set_connection_timeout_ms (config, 0);
  pool = test_pool_new (config);
  writer = test_acquire (pool, DB_ACCESS_WRITE);

  second = db_pool_acquire (pool, DB_ACCESS_WRITE, NULL, &error);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
  g_assert_null (second);
  g_assert_nonnull (strstr (error->message, "already holds the pool's write lease"));
  g_assert_nonnull (strstr (error->message, "acquired through db_pool_acquire()"));
  g_clear_error (&error);

  /* A read lease on the same thread is fine. */
  reader = test_acquire (pool, DB_ACCESS_READ);
  g_clear_object (&reader);

  /* An async write acquire on this thread can be served once the lease it holds is
   * released: it waits, as any writer does. */
  db_pool_acquire_async (pool, DB_ACCESS_WRITE, NULL, test_store_result, &result);
  g_main_context_iteration (NULL, FALSE);
  g_assert_null (result);
  g_clear_object (&writer);
  second = db_pool_acquire_finish (pool, test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (second);

  /* The write lease this thread got asynchronously counts as its own too. */
  writer = db_pool_acquire (pool, DB_ACCESS_WRITE, NULL, &error);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
  g_assert_nonnull (strstr (error->message, "acquired through db_pool_acquire_async()"));
  g_clear_error (&error);

  {
    g_autoptr(DbPoolStats) stats = db_pool_get_stats (pool);

    g_assert_cmpuint (stats->waiting_requests, ==, 0);
    g_assert_cmpuint (stats->total_requests, ==, 5);
  }
}

static void
test_second_writer (void)
{
  g_test_trap_subprocess ("/pool/hangs/second-writer/subprocess", HANG_LIMIT_US, 0);
  g_test_trap_assert_passed ();
}

/* Another thread's second write lease still waits for the first. */
static void
test_other_thread_writer_waits (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 4);
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(DbConnection) writer = NULL;
  g_autoptr(DbConnection) second = NULL;
  g_autoptr(GError) error = NULL;

  db_pool_config_set_connection_timeout_ms (config, 50);
  pool = test_pool_new (config);
  writer = test_acquire (pool, DB_ACCESS_WRITE);

  second = test_acquire_on_other_thread (pool, DB_ACCESS_WRITE, &error);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_TIMEOUT);
  g_assert_null (second);
}

/* ---- what a timeout says ------------------------------------------------------- */

static void
test_timeout_message (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 2);
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(DbConnection) writer = NULL;
  g_autoptr(DbConnection) reader = NULL;
  g_autoptr(DbConnection) late = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  db_pool_config_set_connection_timeout_ms (config, 50);
  pool = test_pool_new (config);
  writer = test_acquire (pool, DB_ACCESS_WRITE);
  reader = test_acquire (pool, DB_ACCESS_READ);

  /* Another thread: it waits for this one's leases. */
  late = test_acquire_on_other_thread (pool, DB_ACCESS_READ, &error);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_TIMEOUT);
  g_assert_true (g_pattern_match_simple ("No connection became available within 50 ms: "
                                         "2 of 2 connections leased; the write lease held "
                                         "for *.* s, acquired through db_pool_acquire()*",
                                         error->message));
  g_assert_null (strstr (error->message, "this thread"));
  g_clear_error (&error);

  /* This thread: it holds them itself, and is told so. */
  late = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_TIMEOUT);
  g_assert_true (g_pattern_match_simple ("*2 of 2 connections leased (2 of them to this thread*",
                                         error->message));
  g_clear_error (&error);

  /* The async wait's timeout says the same. */
  db_pool_acquire_async (pool, DB_ACCESS_READ, NULL, test_store_result, &result);
  late = db_pool_acquire_finish (pool, test_wait_result (&result), &error);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_TIMEOUT);
  g_assert_true (g_pattern_match_simple ("No connection became available within 50 ms: "
                                         "2 of 2 connections leased (2 of them to this thread*"
                                         "the write lease held for *", error->message));
  g_clear_error (&error);

  /* Without a writer, it says that too. */
  g_clear_object (&writer);
  writer = test_acquire (pool, DB_ACCESS_READ);
  late = test_acquire_on_other_thread (pool, DB_ACCESS_READ, &error);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_TIMEOUT);
  g_assert_true (g_str_has_suffix (error->message, "2 of 2 connections leased; no write lease out"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/pool/hangs/close-on-holding-thread", test_close_on_holding_thread);
  g_test_add_func ("/pool/hangs/close-on-holding-thread/subprocess",
                   test_close_on_holding_thread_child);
  g_test_add_func ("/pool/hangs/close-on-holding-thread-stack/subprocess",
                   test_close_on_holding_thread_stack_child);
  g_test_add_func ("/pool/hangs/second-writer", test_second_writer);
  g_test_add_func ("/pool/hangs/second-writer/subprocess", test_second_writer_child);
  g_test_add_func ("/pool/hangs/other-thread-writer-waits", test_other_thread_writer_waits);
  g_test_add_func ("/pool/hangs/timeout-message", test_timeout_message);

  return g_test_run ();
}
