/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Exclusive mode (DbPoolConfig:exclusive, SQLite's unix-excl VFS): another process
 * is kept out while the pool is open and let in once it closed; the pool's own
 * connections still work together (one writer, readers beside it, the WAL index in
 * memory); the lock does not lapse when maintenance closes idle connections; and a
 * file this process already has open the ordinary way is refused.
 *
 * The other process is exclusive-helper (see there), run with g_spawn_sync(). */
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "test-common.h"

typedef struct
{
  int   status;     /* the helper's exit status */
  char *output;     /* its stdout, without the final newline */
} HelperResult;

static void
helper_result_clear (HelperResult *r)
{
  g_clear_pointer (&r->output, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (HelperResult, helper_result_clear)

static char *
helper_path (void)
{
  return g_test_build_filename (G_TEST_BUILT, "exclusive-helper", NULL);
}

/* Runs the helper on @path to its end. */
static void
run_helper (const char   *path,
            gboolean      exclusive,
            HelperResult *out)
{
  g_autofree char *exe = helper_path ();
  const char *argv[] = { exe, path, exclusive ? "--exclusive" : NULL, NULL };
  g_autoptr(GError) error = NULL;
  int wait_status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out->output, NULL,
                &wait_status, &error);
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (wait_status));
  out->status = WEXITSTATUS (wait_status);
  g_strchomp (out->output);
  g_test_message ("exclusive-helper%s: exit %d: %s", exclusive ? " --exclusive" : "",
                  out->status, out->output);
}

/* The helper failed to open @path with DB_POOL_ERROR_BUSY and a message that says
 * which process holds it. */
static void
assert_helper_busy (const HelperResult *r,
                    const char         *path,
                    const char         *says)
{
  g_autofree char *prefix = g_strdup_printf ("error %d ", DB_POOL_ERROR_BUSY);
  g_autofree char *pid = g_strdup_printf ("another process (pid %d)", (int) getpid ());

  g_assert_cmpint (r->status, ==, 2);
  g_assert_true (g_str_has_prefix (r->output, prefix));
  g_assert_nonnull (strstr (r->output, path));
  g_assert_nonnull (strstr (r->output, says));
  /* Linux names the process (this one); elsewhere the message says less. */
  if (g_file_test ("/proc/locks", G_FILE_TEST_EXISTS))
    g_assert_nonnull (strstr (r->output, pid));
}

static DbPoolConfig *
exclusive_config (const char *path,
                  guint       min_connections,
                  guint       max_connections)
{
  DbPoolConfig *config = test_config (path, min_connections, max_connections);

  db_pool_config_set_exclusive (config, TRUE);
  return config;
}

static void
execute (DbConnection *conn,
         const char   *sql)
{
  g_autoptr(GError) error = NULL;

  db_connection_execute (conn, sql, NULL, &error);
  g_assert_no_error (error);
}

static gint64
query_int (DbConnection *conn,
           const char   *sql)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DbRows) rows = db_connection_query (conn, sql, NULL, &error);

  g_assert_no_error (error);
  return db_rows_get_int64 (rows, 0, 0);
}

static gboolean
has_proc_locks (void)
{
  if (g_file_test ("/proc/locks", G_FILE_TEST_EXISTS))
    return TRUE;
  g_test_skip ("needs /proc/locks to see which locks this process holds");
  return FALSE;
}

/* ------------------------------------------------------------------------------- */

static void
test_other_process_busy_until_closed (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = exclusive_config (path, 2, 4);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(DbConnection) conn = test_acquire (pool, DB_ACCESS_WRITE);
  g_auto(HelperResult) plain = { 0 };
  g_auto(HelperResult) excl = { 0 };
  g_auto(HelperResult) after = { 0 };
  g_autofree char *sqlite3_cli = g_find_program_in_path ("sqlite3");

  execute (conn, "CREATE TABLE t (x)");
  execute (conn, "INSERT INTO t VALUES (1)");
  g_clear_object (&conn);

  /* A default pool and an exclusive one in another process both fail. */
  run_helper (path, FALSE, &plain);
  assert_helper_busy (&plain, path, "holds the database exclusively");
  run_helper (path, TRUE, &excl);
  assert_helper_busy (&excl, path, "holds the database exclusively");

  /* What the sqlite3 shell sees (docs/tuning.md quotes it). */
  if (sqlite3_cli != NULL)
    {
      const char *argv[] = { sqlite3_cli, path, "SELECT count(*) FROM t", NULL };
      g_autofree char *err = NULL;
      int wait_status = 0;

      g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                    &err, &wait_status, NULL);
      g_test_message ("sqlite3 shell: %s", err);
      g_assert_nonnull (strstr (err, "database is locked"));
      g_assert_false (WIFEXITED (wait_status) && WEXITSTATUS (wait_status) == 0);
    }

  db_pool_close (pool);
  run_helper (path, FALSE, &after);
  g_assert_cmpint (after.status, ==, 0);
  g_assert_cmpstr (after.output, ==, "ok");
}

/* close_async() completes once the lock is given up, too. */
static void
test_close_async_releases (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = exclusive_config (path, 1, 2);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(HelperResult) before = { 0 };
  g_auto(HelperResult) after = { 0 };

  run_helper (path, FALSE, &before);
  assert_helper_busy (&before, path, "holds the database exclusively");

  db_pool_close_async (pool, NULL, test_store_result, &result);
  g_assert_true (db_pool_close_finish (pool, test_wait_result (&result), &error));
  g_assert_no_error (error);
  run_helper (path, FALSE, &after);
  g_assert_cmpint (after.status, ==, 0);
  g_assert_cmpstr (after.output, ==, "ok");
}

/* Creating an exclusive pool while another process has the database open fails the
 * same way, and works once that process is gone. */
static void
test_open_busy_while_other_process_has_it (void)
{
  g_autofree char *path = test_db_path ();
  g_autofree char *exe = helper_path ();
  const char *argv[] = { exe, "--hold", path, NULL };
  g_autoptr(DbPoolConfig) config = exclusive_config (path, 1, 2);
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOChannel) out = NULL;
  g_autofree char *line = NULL;
  g_autofree char *pid_text = NULL;
  GPid pid;
  int in_fd, out_fd, wait_status;

  g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                            &pid, &in_fd, &out_fd, NULL, &error);
  g_assert_no_error (error);
  out = g_io_channel_unix_new (out_fd);
  g_io_channel_set_close_on_unref (out, TRUE);
  g_io_channel_read_line (out, &line, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "ready\n");

  db_pool_config_set_busy_timeout_ms (config, 50);
  pool = db_pool_new (config, NULL, &error);
  g_assert_null (pool);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_BUSY);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "in exclusive mode"));
  g_assert_nonnull (strstr (error->message, "another process"));
  pid_text = g_strdup_printf ("(pid %d) has the database open", (int) pid);
  if (g_file_test ("/proc/locks", G_FILE_TEST_EXISTS))
    g_assert_nonnull (strstr (error->message, pid_text));
  g_clear_error (&error);

  close (in_fd);   /* the helper closes its pool and exits */
  g_assert_cmpint (waitpid (pid, &wait_status, 0), ==, pid);
  g_spawn_close_pid (pid);
  g_assert_true (WIFEXITED (wait_status) && WEXITSTATUS (wait_status) == 0);

  pool = test_pool_new (config);
  db_pool_close (pool);
}

typedef struct
{
  DbPool *pool;
  gint64  seen;
} Reader;

static gpointer
read_on_thread (gpointer data)
{
  Reader *reader = data;
  g_autoptr(DbConnection) conn = test_acquire (reader->pool, DB_ACCESS_READ);

  reader->seen = query_int (conn, "SELECT count(*) FROM t");
  return NULL;
}

/* Several connections of the one process: the writer commits while readers keep
 * their snapshots, readers on other threads see the commit, and there is no -shm
 * file (the WAL index is in memory). */
static void
test_connections_work_together (void)
{
  g_autofree char *path = test_db_path ();
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autoptr(DbPoolConfig) config = exclusive_config (path, 3, 4);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(DbConnection) writer = test_acquire (pool, DB_ACCESS_WRITE);
  g_autoptr(DbConnection) reader = test_acquire (pool, DB_ACCESS_READ);
  g_autoptr(GError) error = NULL;
  g_autoptr(DbRows) rows = NULL;
  Reader readers[3] = { 0 };
  GThread *threads[G_N_ELEMENTS (readers)];

  execute (writer, "CREATE TABLE t (x)");
  execute (writer, "INSERT INTO t VALUES (1)");

  /* The pool's connections lock each other the ordinary way, inside the process:
   * locking_mode stays normal. */
  rows = db_connection_query (reader, "PRAGMA locking_mode", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (db_rows_get_string (rows, 0, 0), ==, "normal");

  g_assert_true (db_connection_begin (reader, &error));
  g_assert_no_error (error);
  g_assert_cmpint (query_int (reader, "SELECT count(*) FROM t"), ==, 1);

  g_assert_true (db_connection_begin (writer, &error));
  execute (writer, "INSERT INTO t VALUES (2)");
  g_assert_cmpint (query_int (reader, "SELECT count(*) FROM t"), ==, 1);
  g_assert_true (db_connection_commit (writer, &error));
  g_assert_no_error (error);

  /* The old snapshot holds until the reader's transaction ends. */
  g_assert_cmpint (query_int (reader, "SELECT count(*) FROM t"), ==, 1);
  g_assert_true (db_connection_commit (reader, &error));
  g_assert_cmpint (query_int (reader, "SELECT count(*) FROM t"), ==, 2);
  g_clear_object (&reader);

  /* Readers on other threads, beside the writer that is still out. */
  for (guint i = 0; i < G_N_ELEMENTS (readers); i++)
    {
      readers[i].pool = pool;
      threads[i] = g_thread_new ("reader", read_on_thread, &readers[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (readers); i++)
    {
      g_thread_join (threads[i]);
      g_assert_cmpint (readers[i].seen, ==, 2);
    }
  g_clear_object (&writer);

  g_assert_true (g_file_test (wal, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (shm, G_FILE_TEST_EXISTS));

  /* Closed: the log is checkpointed into the file and removed. */
  db_pool_close (pool);
  g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
  g_clear_object (&pool);
  pool = test_pool_new (config);
  reader = test_acquire (pool, DB_ACCESS_READ);
  g_assert_cmpint (query_int (reader, "SELECT count(*) FROM t"), ==, 2);
}

/* Maintenance may close every pooled connection (min-connections 0 here); the
 * database stays locked against other processes all the same, and the pool opens
 * new connections under the same lock. */
static void
test_lock_outlives_idle_connections (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = exclusive_config (path, 0, 2);
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(DbConnection) conn = NULL;
  g_auto(HelperResult) r = { 0 };
  guint64 created = 0, destroyed = 0;

  db_pool_config_set_idle_timeout_ms (config, 1);
  db_pool_config_set_maintenance_interval_ms (config, 10);
  pool = test_pool_new (config);
  /* Every pooled connection closed (maintenance may borrow an idle one for a moment,
   * so the idle count alone does not say it). */
  test_wait_until ((g_object_get (pool, "total-connections-created", &created,
                                  "total-connections-destroyed", &destroyed, NULL),
                    destroyed > 0 && destroyed == created), 10000);

  run_helper (path, FALSE, &r);
  assert_helper_busy (&r, path, "holds the database exclusively");

  conn = test_acquire (pool, DB_ACCESS_WRITE);
  execute (conn, "CREATE TABLE t (x)");
}

/* A file this process already has open without exclusive mode cannot be opened in
 * exclusive mode (other processes would not be kept out); the other way round,
 * ordinary connections join the exclusive lock. */
static void
test_mixed_modes_in_one_process (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) plain_config = test_config (path, 1, 2);
  g_autoptr(DbPoolConfig) excl_config = exclusive_config (path, 1, 2);
  g_autoptr(DbPool) plain = NULL;
  g_autoptr(DbPool) excl = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) conn = NULL;
  g_auto(HelperResult) r = { 0 };

  if (!has_proc_locks ())
    return;
  db_pool_config_set_exclusive (plain_config, FALSE);

  plain = test_pool_new (plain_config);
  excl = db_pool_new (excl_config, NULL, &error);
  g_assert_null (excl);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_OPEN);
  g_assert_nonnull (strstr (error->message, "already has it open without exclusive mode"));
  g_clear_error (&error);
  db_pool_close (plain);
  g_clear_object (&plain);

  excl = test_pool_new (excl_config);
  plain = test_pool_new (plain_config);
  conn = test_acquire (plain, DB_ACCESS_WRITE);
  execute (conn, "CREATE TABLE t (x)");
  g_clear_object (&conn);
  run_helper (path, FALSE, &r);
  assert_helper_busy (&r, path, "holds the database exclusively");
}

/* A URI that picks a VFS without the process lock is refused, not silently shared. */
static void
test_uri_vfs_without_lock (void)
{
  g_autofree char *path = test_db_path ();
  g_autofree char *uri = g_strdup_printf ("file:%s?vfs=unix", path);
  g_autoptr(DbPoolConfig) config = exclusive_config (uri, 1, 2);
  g_autoptr(GError) error = NULL;
  g_autoptr(DbPool) pool = NULL;

  if (!has_proc_locks ())
    return;
  pool = db_pool_new (config, NULL, &error);
  g_assert_null (pool);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_OPEN);
  g_assert_nonnull (strstr (error->message, "VFS “unix” took no exclusive lock"));
}

/* DbHistoryConfig:exclusive reaches the storage's pool. */
static void
test_history_exclusive (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbHistoryConfig) config = db_history_config_new (path);
  g_autoptr(DbHistoryStorage) storage = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(HelperResult) r = { 0 };

  db_history_config_set_exclusive (config, TRUE);
  storage = db_history_storage_new (config, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (db_pool_config_get_exclusive (
    db_pool_get_config (db_history_storage_get_pool (storage))));

  run_helper (path, FALSE, &r);
  assert_helper_busy (&r, path, "holds the database exclusively");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/exclusive/other-process-busy-until-closed", test_other_process_busy_until_closed);
  g_test_add_func ("/exclusive/close-async-releases", test_close_async_releases);
  g_test_add_func ("/exclusive/open-busy-while-other-process-has-it",
                   test_open_busy_while_other_process_has_it);
  g_test_add_func ("/exclusive/connections-work-together", test_connections_work_together);
  g_test_add_func ("/exclusive/lock-outlives-idle-connections", test_lock_outlives_idle_connections);
  g_test_add_func ("/exclusive/mixed-modes-in-one-process", test_mixed_modes_in_one_process);
  g_test_add_func ("/exclusive/uri-vfs-without-lock", test_uri_vfs_without_lock);
  g_test_add_func ("/exclusive/history", test_history_exclusive);

  return g_test_run ();
}
