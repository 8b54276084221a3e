/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small helpers shared by the C tests. */
#pragma once

#include <dbpool.h>
#include <glib/gstdio.h>

/* A fresh database path in a fresh directory (G_TEST_OPTION_ISOLATE_DIRS puts it under
 * the per-test temporary home). */
static inline char *
test_db_path (void)
{
  g_autofree char *dir = NULL;

  dir = g_build_filename (g_get_user_data_dir (), "dbpool-test-XXXXXX", NULL);
  g_mkdir_with_parents (g_get_user_data_dir (), 0700);
  g_assert_nonnull (g_mkdtemp (dir));
  return g_build_filename (dir, "test.db", NULL);
}

/* DBPOOL_TEST_EXCLUSIVE=1: the suite's second run, in exclusive mode
 * (tests/meson.build): test_config() makes exclusive configs, and the fault VFS
 * wraps SQLite's unix-excl VFS instead of the default one. */
static inline gboolean
test_exclusive_mode (void)
{
  return g_strcmp0 (g_getenv ("DBPOOL_TEST_EXCLUSIVE"), "1") == 0;
}

static inline DbPoolConfig *
test_config (const char *path,
             guint       min_connections,
             guint       max_connections)
{
  DbPoolConfig *config = db_pool_config_new (path);

  db_pool_config_set_min_connections (config, min_connections);
  db_pool_config_set_max_connections (config, max_connections);
  db_pool_config_set_exclusive (config, test_exclusive_mode ());
  return config;
}

static inline DbPool *
test_pool_new (DbPoolConfig *config)
{
  g_autoptr(GError) error = NULL;
  DbPool *pool = db_pool_new (config, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (pool);
  /* The exclusive run must not quietly test the default mode. */
  if (test_exclusive_mode ())
    g_assert_true (db_pool_config_get_exclusive (db_pool_get_config (pool)));
  return pool;
}

/* Iterates the thread-default context until @cond holds or @timeout_ms passes. */
#define test_wait_until(cond, timeout_ms) \
  G_STMT_START { \
    gint64 _deadline = g_get_monotonic_time () + (gint64) (timeout_ms) * 1000; \
    while (!(cond) && g_get_monotonic_time () < _deadline) \
      g_main_context_iteration (NULL, FALSE) ? (void) 0 : g_usleep (1000); \
    g_assert_true (cond); \
  } G_STMT_END

/* A GAsyncReadyCallback storing the result in the GAsyncResult* at @user_data, and
 * the loop that waits for it on the thread-default context. */
static inline void
test_store_result (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GAsyncResult **out = user_data;

  g_assert_null (*out);
  *out = g_object_ref (result);
}

static inline GAsyncResult *
test_wait_result (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

/* A lease, or the test fails. */
static inline DbConnection *
test_acquire (DbPool   *pool,
              DbAccess  access)
{
  g_autoptr(GError) error = NULL;
  DbConnection *conn = db_pool_acquire (pool, access, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (conn);
  return conn;
}

/* db_pool_acquire() on a thread of its own, joined before returning: the lease (or
 * the error) is another thread's, as when two threads compete. */
typedef struct
{
  DbPool       *pool;
  DbAccess      access;
  DbConnection *lease;
  GError       *error;
} TestOtherAcquire;

static inline gpointer
test_other_acquire_thread (gpointer data)
{
  TestOtherAcquire *a = data;

  a->lease = db_pool_acquire (a->pool, a->access, NULL, &a->error);
  return NULL;
}

static inline DbConnection *
test_acquire_on_other_thread (DbPool    *pool,
                              DbAccess   access,
                              GError   **error)
{
  TestOtherAcquire a = { pool, access, NULL, NULL };

  g_thread_join (g_thread_new ("other-acquire", test_other_acquire_thread, &a));
  if (a.error != NULL)
    g_propagate_error (error, a.error);
  return a.lease;
}

/* The latest snapshot of @uri (NULL if none), or the test fails on an error. */
static inline DbDiagnosticSnapshot *
test_history_latest (DbHistoryStorage *storage,
                     const char       *uri)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  DbDiagnosticSnapshot *snapshot;

  db_history_storage_get_latest_async (storage, uri, NULL, test_store_result, &result);
  snapshot = db_history_storage_get_latest_finish (storage, test_wait_result (&result), &error);
  g_assert_no_error (error);
  return snapshot;
}
