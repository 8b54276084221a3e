/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Crash durability: a child process commits sequence numbers through the pool and
 * reports each acknowledged commit on a pipe; the parent SIGKILLs it at a random
 * moment, reopens the database and checks that it is intact and that every number
 * the child was told had committed is there.
 *
 * The child is this same binary run with --crash-child, so no second executable is
 * needed. Environment knobs (defaults in brackets):
 *   DBPOOL_CRASH_ITERATIONS       kills with synchronous=NORMAL [200; 40 under valgrind]
 *   DBPOOL_CRASH_FULL_ITERATIONS  kills with synchronous=FULL [20; 5 under valgrind]
 *   DBPOOL_CRASH_EXCLUSIVE_ITERATIONS  kills of an exclusive pool (unix-excl: the WAL
 *                                 index only in the dead process's memory), synchronous=NORMAL
 *                                 [100; 20 under valgrind]
 *   DBPOOL_CRASH_MAX_DELAY_MS     longest random delay before the kill [40]
 *   DBPOOL_CRASH_SEED             seed for the random kill moments [random]
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <sqlite3.h>

#include "test-common.h"

#if defined(__has_include)
# if __has_include(<valgrind/valgrind.h>)
#  include <valgrind/valgrind.h>
# endif
#endif
#ifndef RUNNING_ON_VALGRIND
# define RUNNING_ON_VALGRIND 0
#endif

/* A fresh database is started every so many kills, so verifying "every number ever
 * acknowledged" stays cheap while most kills still hit a database that already went
 * through earlier crashes. */
#define KILLS_PER_DATABASE 20

/* ------------------------------------------------------------------------------- */
/* The child.                                                                      */

typedef struct
{
  DbPool  *pool;
  int      ack_fd;
  GMutex   lock;
  gint64   next;        /* under @lock: the next sequence number to use */
} Child;

/* Reserves @n consecutive sequence numbers. */
static gint64
child_take_numbers (Child *child,
                    guint  n)
{
  gint64 first;

  g_mutex_lock (&child->lock);
  first = child->next;
  child->next += n;
  g_mutex_unlock (&child->lock);
  return first;
}

static G_NORETURN void
child_fail (const char   *what,
            const GError *error)
{
  g_printerr ("crash-child: %s: %s\n", what, error ? error->message : "(no error)");
  _exit (2);
}

/* Reports @n numbers starting at @first as committed, in one write so that a kill
 * never leaves half a line (writes up to PIPE_BUF bytes to a pipe are atomic). */
static void
child_ack (Child  *child,
           gint64  first,
           guint   n)
{
  char buf[512];
  gsize len = 0;

  g_assert (n <= 16);
  for (guint i = 0; i < n; i++)
    len += g_snprintf (buf + len, sizeof buf - len, "%" G_GINT64_FORMAT "\n", first + i);

  for (gsize done = 0; done < len;)
    {
      gssize w = write (child->ack_fd, buf + done, len - done);

      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        _exit (3);   /* the parent went away */
      done += w;
    }
}

static GVariant *
insert_params (gint64 n,
               guint  pad)
{
  return g_variant_new ("(xu)", n, pad);
}

#define INSERT_SQL "INSERT INTO seq (n, pad) VALUES (?, zeroblob(?))"

/* Sync writers on their own threads: multi-row transactions and single inserts. */
static gpointer
child_writer_thread (gpointer data)
{
  Child *child = data;
  GRand *rand = g_rand_new ();

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(DbConnection) conn = db_pool_acquire (child->pool, DB_ACCESS_WRITE, NULL, &error);
      guint n = g_rand_int_range (rand, 1, 6);
      gint64 first;

      if (conn == NULL)
        child_fail ("acquire", error);

      first = child_take_numbers (child, n);
      if (n == 1)
        {
          if (db_connection_execute (conn, INSERT_SQL,
                                     insert_params (first, g_rand_int_range (rand, 0, 3000)),
                                     &error) != 1)
            child_fail ("insert", error);
        }
      else
        {
          if (!db_connection_begin (conn, &error))
            child_fail ("begin", error);
          for (guint i = 0; i < n; i++)
            if (db_connection_execute (conn, INSERT_SQL,
                                       insert_params (first + i, g_rand_int_range (rand, 0, 3000)),
                                       &error) != 1)
              child_fail ("insert", error);
          if (!db_connection_commit (conn, &error))
            child_fail ("commit", error);
        }
      db_connection_release (conn);
      child_ack (child, first, n);
    }

  return NULL;
}

typedef struct
{
  Child  *child;
  gint64  n;
} AsyncInsert;

static void start_async_insert (Child *child);

static void
async_insert_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      data)
{
  AsyncInsert *insert = data;
  g_autoptr(GError) error = NULL;

  if (db_pool_execute_finish (DB_POOL (source), result, NULL, &error) != 1)
    child_fail ("execute_async", error);
  child_ack (insert->child, insert->n, 1);
  start_async_insert (insert->child);
  g_free (insert);
}

/* Main-loop writers: execute_async chains, each starting its next insert once the
 * last one was acknowledged. */
static void
start_async_insert (Child *child)
{
  AsyncInsert *insert = g_new0 (AsyncInsert, 1);

  insert->child = child;
  insert->n = child_take_numbers (child, 1);
  db_pool_execute_async (child->pool, INSERT_SQL,
                         insert_params (insert->n, g_random_int_range (0, 6000)),
                         NULL, async_insert_done, insert);
}

static gboolean
child_give_up (gpointer data)
{
  /* The parent kills long before this; never outlive a parent that died. */
  g_printerr ("crash-child: not killed after 60 s, exiting\n");
  _exit (4);
}

/* @mode: "normal", "full" or "normal-exclusive". */
static int
crash_child_main (const char *path,
                  const char *mode)
{
  g_autoptr(DbPoolConfig) config = db_pool_config_new (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) conn = NULL;
  g_autoptr(DbRows) rows = NULL;
  Child child = { 0 };

#ifdef __linux__
  prctl (PR_SET_PDEATHSIG, SIGKILL);
#endif
  /* Acknowledgements go to the pipe on fd 1; anything else that might print to
   * stdout goes to stderr instead. */
  child.ack_fd = dup (STDOUT_FILENO);
  dup2 (STDERR_FILENO, STDOUT_FILENO);
  g_mutex_init (&child.lock);

  db_pool_config_set_min_connections (config, 1);
  db_pool_config_set_max_connections (config, 4);
  db_pool_config_set_synchronous (config, g_str_has_prefix (mode, "full")
                                  ? DB_SYNCHRONOUS_FULL : DB_SYNCHRONOUS_NORMAL);
  db_pool_config_set_exclusive (config, g_str_has_suffix (mode, "-exclusive"));
  /* Frequent maintenance, so some kills land in a checkpoint. */
  db_pool_config_set_maintenance_interval_ms (config, 5);

  child.pool = db_pool_new (config, NULL, &error);
  if (child.pool == NULL)
    child_fail ("db_pool_new", error);

  conn = db_pool_acquire (child.pool, DB_ACCESS_WRITE, NULL, &error);
  if (conn == NULL ||
      db_connection_execute (conn, "CREATE TABLE IF NOT EXISTS seq (n INTEGER PRIMARY KEY, pad BLOB)",
                             NULL, &error) < 0 ||
      (rows = db_connection_query (conn, "SELECT coalesce(max(n), 0) + 1 FROM seq", NULL, &error)) == NULL)
    child_fail ("set-up", error);
  /* Rows committed but not acknowledged before an earlier kill are above every
   * acknowledged number: start after them. */
  child.next = db_rows_get_int64 (rows, 0, 0);
  g_clear_object (&conn);

  /* Runs until killed: nothing is ever joined or freed. */
  for (guint i = 0; i < 2; i++)
    g_thread_unref (g_thread_new ("crash-writer", child_writer_thread, &child));
  /* Many execute_async chains in flight: the write queue runs them as group commits
   * (several jobs per transaction), so kills land inside batches and in their
   * shared COMMIT; each job is acknowledged only once its batch committed. */
  for (guint i = 0; i < 32; i++)
    start_async_insert (&child);

  g_timeout_add_seconds (60, child_give_up, NULL);
  for (;;)
    g_main_context_iteration (NULL, TRUE);
}

/* ------------------------------------------------------------------------------- */
/* The parent.                                                                     */

static const char *self_exe;

typedef struct
{
  GHashTable *acked;           /* gint64* set: every number acknowledged so far */
  guint64     total_acks;
  guint       kills;
  guint       early_kills;     /* killed before waiting for the first ack */
  guint       startup_exits;
} CrashRun;

static guint
env_uint (const char *name,
          guint       fallback)
{
  const char *value = g_getenv (name);

  return value != NULL && *value != '\0' ? (guint) g_ascii_strtoull (value, NULL, 10) : fallback;
}

/* Reads what is available on @fd into @buf, waiting until @deadline_us (monotonic)
 * at most. Returns FALSE at EOF. */
static gboolean
read_some (int      fd,
           GString *buf,
           gint64   deadline_us)
{
  gint64 now = g_get_monotonic_time ();
  struct pollfd pfd = { .fd = fd, .events = POLLIN };
  int timeout_ms = deadline_us < 0 ? -1 : (int) MAX ((deadline_us - now + 999) / 1000, 0);
  char chunk[4096];
  ssize_t r;

  if (poll (&pfd, 1, timeout_ms) <= 0)
    return TRUE;
  r = read (fd, chunk, sizeof chunk);
  if (r < 0 && errno == EINTR)
    return TRUE;
  g_assert_cmpint (r, >=, 0);
  if (r == 0)
    return FALSE;
  g_string_append_len (buf, chunk, r);
  return TRUE;
}

static guint
count_lines (GString *buf)
{
  guint n = 0;

  for (gsize i = 0; i < buf->len; i++)
    n += buf->str[i] == '\n';
  return n;
}

/* While an exclusive child runs, another process (this one) cannot read the file: the
 * kill really lands in exclusive mode. */
static void
assert_locked_out (const char *path)
{
  sqlite3 *db = NULL;
  int rc;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  rc = sqlite3_exec (db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
  g_assert_cmpint (rc & 0xff, ==, SQLITE_BUSY);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
}

/* Runs one child on @path and kills it. Returns the numbers it acknowledged. */
static GArray *
run_child_and_kill (const char *path,
                    const char *synchronous,
                    GRand      *rand,
                    CrashRun   *run)
{
  const char *argv[] = { self_exe, "--crash-child", path, synchronous, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) buf = g_string_new (NULL);
  GArray *acks = g_array_new (FALSE, FALSE, sizeof (gint64));
  gboolean early = g_rand_int_range (rand, 0, 10) == 0;
  guint max_delay_ms = env_uint ("DBPOOL_CRASH_MAX_DELAY_MS", 40);
  gint64 deadline;
  GPid pid;
  int out_fd;
  int status;
  char **lines;

  g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                            NULL, NULL, &pid, NULL, &out_fd, NULL, &error);
  g_assert_no_error (error);

  if (early)
    {
      /* Kill at any moment from the start: opening, WAL recovery, schema set-up. */
      deadline = g_get_monotonic_time () + g_rand_int_range (rand, 0, 1000 * (max_delay_ms + 1));
      run->early_kills++;
    }
  else
    {
      /* Wait for the first acknowledgement (the child is writing), then kill at a
       * random moment after it. */
      gint64 give_up = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

      while (count_lines (buf) == 0)
        {
          if (g_get_monotonic_time () > give_up || !read_some (out_fd, buf, give_up))
            {
              waitpid (pid, &status, WNOHANG);
              g_error ("crash child (synchronous=%s) acknowledged nothing: %s", synchronous,
                       WIFEXITED (status) ? "it exited early (see its message above)"
                                          : "no acknowledgement within 30 s");
            }
        }
      if (g_str_has_suffix (synchronous, "-exclusive"))
        assert_locked_out (path);
      deadline = g_get_monotonic_time () + g_rand_int_range (rand, 0, 1000 * (max_delay_ms + 1));
    }

  while (g_get_monotonic_time () < deadline && read_some (out_fd, buf, deadline))
    ;

  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_spawn_close_pid (pid);
  /* Whatever the child wrote before it died is still in the pipe. */
  while (read_some (out_fd, buf, -1))
    ;
  close (out_fd);

  if (!(WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL))
    g_error ("crash child (synchronous=%s) was not killed by SIGKILL but %s %d "
             "(see its message above)", synchronous,
             WIFEXITED (status) ? "exited with status" : "died of signal",
             WIFEXITED (status) ? WEXITSTATUS (status) : WTERMSIG (status));
  run->kills++;

  lines = g_strsplit (buf->str, "\n", -1);
  for (char **l = lines; *l != NULL; l++)
    {
      char *end = NULL;
      gint64 n;

      /* The text after the last newline is not a whole acknowledgement (and with
       * atomic writes there never is any). */
      if (l[1] == NULL)
        break;
      n = g_ascii_strtoll (*l, &end, 10);
      g_assert_true (end != *l && *end == '\0');
      g_array_append_val (acks, n);
    }
  g_strfreev (lines);
  return acks;
}

static void
verify_rows (DbRows     *rows,
             GHashTable *acked,
             const char *how)
{
  g_autoptr(GHashTable) present = g_hash_table_new (g_int64_hash, g_int64_equal);
  guint n_rows = db_rows_get_n_rows (rows);
  GHashTableIter iter;
  gpointer key;

  for (guint i = 0; i < n_rows; i++)
    {
      gint64 *n = g_new (gint64, 1);

      *n = db_rows_get_int64 (rows, i, 0);
      g_hash_table_add (present, n);
    }

  g_hash_table_iter_init (&iter, acked);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (present, key))
      g_error ("acknowledged commit %" G_GINT64_FORMAT " is missing after the kill "
               "(reopened %s; %u rows present, %u acknowledged)",
               *(gint64 *) key, how, n_rows, g_hash_table_size (acked));

  g_hash_table_iter_init (&iter, present);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_free (key);
}

/* Reopens through the pool, as an application would after a crash (in exclusive
 * mode after an exclusive child: the WAL index is rebuilt in memory from the log). */
static void
verify_with_pool (const char *path,
                  gboolean    exclusive,
                  GHashTable *acked)
{
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 2);
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) conn = NULL;
  g_autoptr(DbRows) check = NULL;
  g_autoptr(DbRows) table = NULL;
  g_autoptr(DbRows) rows = NULL;

  db_pool_config_set_exclusive (config, exclusive);
  pool = test_pool_new (config);
  conn = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
  g_assert_no_error (error);
  check = db_connection_query (conn, "PRAGMA integrity_check", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (db_rows_get_string (check, 0, 0), ==, "ok");

  table = db_connection_query (conn, "SELECT count(*) FROM sqlite_schema WHERE name = 'seq'",
                               NULL, &error);
  g_assert_no_error (error);
  if (db_rows_get_int64 (table, 0, 0) == 0)
    {
      /* Killed before the table was created: nothing can have been acknowledged. */
      g_assert_cmpuint (g_hash_table_size (acked), ==, 0);
      return;
    }
  rows = db_connection_query (conn, "SELECT n FROM seq", NULL, &error);
  g_assert_no_error (error);
  verify_rows (rows, acked, "through the pool");
  g_clear_object (&conn);
  db_pool_close (pool);
}

/* Reopens with a bare handle that leaves the WAL in place on close, so the next
 * child starts on a database with a WAL still to recover, as after a real crash. */
static void
verify_raw (const char *path,
            GHashTable *acked)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  g_autoptr(GPtrArray) ns = g_ptr_array_new_with_free_func (g_free);
  gboolean have_table = FALSE;
  GHashTableIter iter;
  gpointer key;
  int rc;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      /* Killed before it even created the file. */
      g_assert_cmpuint (g_hash_table_size (acked), ==, 0);
      return;
    }
  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_db_config (db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL), ==, SQLITE_OK);

  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "ok");
  sqlite3_finalize (stmt);

  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT 1 FROM sqlite_schema WHERE name = 'seq'", -1,
                                       &stmt, NULL), ==, SQLITE_OK);
  have_table = sqlite3_step (stmt) == SQLITE_ROW;
  sqlite3_finalize (stmt);

  if (have_table)
    {
      g_autoptr(GHashTable) present = g_hash_table_new (g_int64_hash, g_int64_equal);

      g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT n FROM seq", -1, &stmt, NULL), ==, SQLITE_OK);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          gint64 *n = g_new (gint64, 1);

          *n = sqlite3_column_int64 (stmt, 0);
          g_ptr_array_add (ns, n);
          g_hash_table_add (present, n);
        }
      g_assert_cmpint (rc, ==, SQLITE_DONE);
      sqlite3_finalize (stmt);

      g_hash_table_iter_init (&iter, acked);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        if (!g_hash_table_contains (present, key))
          g_error ("acknowledged commit %" G_GINT64_FORMAT " is missing after the kill "
                   "(reopened with a bare handle; %u rows present)", *(gint64 *) key, ns->len);
    }
  else
    g_assert_cmpuint (g_hash_table_size (acked), ==, 0);

  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
}

static void
run_kills (DbSynchronous synchronous,
           gboolean      exclusive,
           guint         n_kills)
{
  const char *sync_name = synchronous == DB_SYNCHRONOUS_FULL ? (exclusive ? "full-exclusive" : "full")
                                                             : (exclusive ? "normal-exclusive" : "normal");
  const char *seed_env = g_getenv ("DBPOOL_CRASH_SEED");
  guint32 seed = seed_env ? (guint32) g_ascii_strtoull (seed_env, NULL, 10) : g_random_int ();
  GRand *rand = g_rand_new_with_seed (seed);
  CrashRun run = { 0 };
  g_autofree char *path = NULL;

  g_test_message ("synchronous=%s, %u kills, DBPOOL_CRASH_SEED=%u", sync_name, n_kills, seed);
  run.acked = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

  for (guint i = 0; i < n_kills; i++)
    {
      g_autoptr(GArray) acks = NULL;

      if (i % KILLS_PER_DATABASE == 0)
        {
          g_free (path);
          path = test_db_path ();
          g_hash_table_remove_all (run.acked);
        }

      acks = run_child_and_kill (path, sync_name, rand, &run);
      for (guint j = 0; j < acks->len; j++)
        {
          gint64 *n = g_new (gint64, 1);

          *n = g_array_index (acks, gint64, j);
          g_assert_true (g_hash_table_add (run.acked, n));   /* each number once */
        }
      run.total_acks += acks->len;

      if (i % 2 == 0)
        verify_with_pool (path, exclusive, run.acked);
      else
        verify_raw (path, run.acked);
    }

  g_test_message ("synchronous=%s: %u SIGKILLs (%u at a random moment from start-up), "
                  "%" G_GUINT64_FORMAT " acknowledged commits, all present after reopening",
                  sync_name, run.kills, run.early_kills, run.total_acks);
  g_assert_cmpuint (run.kills, ==, n_kills);
  if (n_kills > run.early_kills)
    g_assert_cmpuint (run.total_acks, >, 0);

  g_hash_table_unref (run.acked);
  g_rand_free (rand);
}

static void
test_crash_normal (void)
{
  /* Under valgrind only the parent is slowed down (the children run natively), but
   * its checks after each kill are. */
  run_kills (DB_SYNCHRONOUS_NORMAL, FALSE,
             env_uint ("DBPOOL_CRASH_ITERATIONS", RUNNING_ON_VALGRIND ? 40 : 200));
}

static void
test_crash_full (void)
{
  run_kills (DB_SYNCHRONOUS_FULL, FALSE,
             env_uint ("DBPOOL_CRASH_FULL_ITERATIONS", RUNNING_ON_VALGRIND ? 5 : 20));
}

static void
test_crash_exclusive (void)
{
  run_kills (DB_SYNCHRONOUS_NORMAL, TRUE,
             env_uint ("DBPOOL_CRASH_EXCLUSIVE_ITERATIONS", RUNNING_ON_VALGRIND ? 20 : 100));
}

int
main (int    argc,
      char **argv)
{
  if (argc == 4 && g_str_equal (argv[1], "--crash-child"))
    return crash_child_main (argv[2], argv[3]);

  self_exe = g_path_is_absolute (argv[0]) ? argv[0] : g_file_read_link ("/proc/self/exe", NULL);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/crash/sigkill-synchronous-normal", test_crash_normal);
  g_test_add_func ("/crash/sigkill-synchronous-full", test_crash_full);
  g_test_add_func ("/crash/sigkill-exclusive", test_crash_exclusive);

  return g_test_run ();
}
