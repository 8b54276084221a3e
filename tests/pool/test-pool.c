/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pool's synchronous paths: leases, waiting, errors, closing. */
#include <sys/stat.h>

#include <sqlite3.h>

#include "test-common.h"

static void
create_table (DbPool *pool)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) conn = db_pool_acquire (pool, DB_ACCESS_WRITE, NULL, &error);

  g_assert_no_error (error);
  db_connection_execute_script (conn,
                                "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, n INTEGER);",
                                &error);
  g_assert_no_error (error);
}

static gint64
count_rows (DbPool *pool)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) conn = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
  g_autoptr(DbRows) rows = NULL;

  g_assert_no_error (error);
  rows = db_connection_query (conn, "SELECT count(*) FROM t", NULL, &error);
  g_assert_no_error (error);
  return db_rows_get_int64 (rows, 0, 0);
}

static void
test_basic (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 2, 4);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) w = NULL;
  g_autoptr(DbConnection) r = NULL;
  g_autoptr(DbRows) rows = NULL;
  g_autoptr(DbPoolStats) stats = NULL;
  gint64 changed;

  stats = db_pool_get_stats (pool);
  g_assert_cmpuint (stats->total_connections_created, ==, 2);
  g_assert_cmpuint (stats->current_idle_connections, ==, 2);
  g_clear_pointer (&stats, db_pool_stats_free);

  create_table (pool);
  w = db_pool_acquire (pool, DB_ACCESS_WRITE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (db_connection_get_access (w), ==, DB_ACCESS_WRITE);
  changed = db_connection_execute (w, "INSERT INTO t (name, n) VALUES (?, ?)",
                                   g_variant_new ("(sx)", "alpha", (gint64) 1), &error);
  g_assert_no_error (error);
  g_assert_cmpint (changed, ==, 1);
  g_assert_cmpint (db_connection_get_last_insert_rowid (w), ==, 1);
  {
    GVariantBuilder b;

    g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add (&b, "{sv}", "name", g_variant_new_string ("beta"));
    g_variant_builder_add (&b, "{sv}", "n", g_variant_new_maybe (G_VARIANT_TYPE_INT64, NULL));
    db_connection_execute (w, "INSERT INTO t (name, n) VALUES (:name, :n)", g_variant_builder_end (&b), &error);
    g_assert_no_error (error);
  }

  stats = db_pool_get_stats (pool);
  g_assert_cmpuint (stats->current_active_connections, ==, 1);
  g_assert_cmpuint (stats->current_idle_connections, ==, 1);
  g_clear_pointer (&stats, db_pool_stats_free);

  r = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
  g_assert_no_error (error);
  rows = db_connection_query (r, "SELECT name, n FROM t ORDER BY id", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (db_rows_get_n_rows (rows), ==, 2);
  g_assert_cmpstr (db_rows_get_string (rows, 0, 0), ==, "alpha");
  g_assert_cmpint (db_rows_get_int64 (rows, 0, 1), ==, 1);
  g_assert_cmpstr (db_rows_get_string (rows, 1, 0), ==, "beta");
  g_assert_true (db_rows_is_null (rows, 1, 1));
  g_assert_cmpint (db_connection_get_age_us (r), >=, 0);
  g_assert_cmpint (db_connection_get_created_at_us (r), >, 0);
}

/* ---- FIFO ---------------------------------------------------------------------- */

typedef struct
{
  DbPool  *pool;
  int      id;
  GMutex  *mutex;
  GArray  *order;
  DbAccess access;
} FifoClient;

static gpointer
fifo_client (gpointer data)
{
  FifoClient *client = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) conn = db_pool_acquire (client->pool, client->access, NULL, &error);

  g_assert_no_error (error);
  g_mutex_lock (client->mutex);
  g_array_append_val (client->order, client->id);
  g_mutex_unlock (client->mutex);
  g_usleep (2000);
  db_connection_release (conn);
  return NULL;
}

static guint
waiting (DbPool *pool)
{
  g_autoptr(DbPoolStats) stats = db_pool_get_stats (pool);

  return stats->waiting_requests;
}

static void
wait_for_waiting (DbPool *pool,
                  guint   n)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (waiting (pool) < n && g_get_monotonic_time () < deadline)
    g_usleep (500);
  g_assert_cmpuint (waiting (pool), ==, n);
}

static void
test_fifo (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) order = g_array_new (FALSE, FALSE, sizeof (int));
  FifoClient clients[8];
  GThread *threads[8];
  DbConnection *held;
  GMutex mutex;

  g_mutex_init (&mutex);
  held = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
  g_assert_no_error (error);

  /* Start the clients one by one, each only once the previous one is queued, so
   * the queue order is known; mix reads and writes. */
  for (int i = 0; i < 8; i++)
    {
      clients[i] = (FifoClient) { pool, i, &mutex, order, i % 3 == 0 ? DB_ACCESS_WRITE : DB_ACCESS_READ };
      threads[i] = g_thread_new ("fifo", fifo_client, &clients[i]);
      wait_for_waiting (pool, i + 1);
    }

  g_object_unref (held);
  for (int i = 0; i < 8; i++)
    g_thread_join (threads[i]);

  g_assert_cmpuint (order->len, ==, 8);
  for (int i = 0; i < 8; i++)
    g_assert_cmpint (g_array_index (order, int, i), ==, i);
  g_mutex_clear (&mutex);
}

/* ---- timeout ------------------------------------------------------------------- */

static void
test_timeout (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) held = NULL;
  g_autoptr(DbConnection) late = NULL;
  g_autoptr(DbPoolStats) stats = NULL;

  db_pool_config_set_connection_timeout_ms (config, 50);
  pool = test_pool_new (config);
  held = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
  g_assert_no_error (error);

  late = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_TIMEOUT);
  g_assert_null (late);

  stats = db_pool_get_stats (pool);
  g_assert_cmpuint (stats->timeouts, ==, 1);
  g_assert_cmpuint (stats->waiting_requests, ==, 0);
  g_assert_cmpuint (stats->total_requests, ==, 2);
  g_assert_cmpuint (stats->max_wait_time_us, >=, 50000);
}

/* ---- cancellation while queued ------------------------------------------------- */

typedef struct
{
  DbPool       *pool;
  GCancellable *cancellable;
  GError       *error;
  DbAccess      access;
} Waiter;

static gpointer
waiter_thread (gpointer data)
{
  Waiter *w = data;
  DbConnection *conn = db_pool_acquire (w->pool, w->access, w->cancellable, &w->error);

  g_clear_object (&conn);
  return NULL;
}

static void
test_cancel_queued (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) held = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(DbPoolStats) stats = NULL;
  Waiter w = { pool, cancellable, NULL, DB_ACCESS_READ };
  GThread *thread;

  held = db_pool_acquire (pool, DB_ACCESS_WRITE, NULL, &error);
  g_assert_no_error (error);
  thread = g_thread_new ("waiter", waiter_thread, &w);
  wait_for_waiting (pool, 1);
  g_cancellable_cancel (cancellable);
  g_thread_join (thread);
  g_assert_error (w.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&w.error);

  stats = db_pool_get_stats (pool);
  g_assert_cmpuint (stats->waiting_requests, ==, 0);
  g_assert_cmpuint (stats->current_active_connections, ==, 1);
  g_clear_object (&held);
  g_clear_pointer (&stats, db_pool_stats_free);

  /* Nothing was lost: the single connection is back and usable. */
  stats = db_pool_get_stats (pool);
  g_assert_cmpuint (stats->current_idle_connections, ==, 1);
  create_table (pool);
  g_assert_cmpint (count_rows (pool), ==, 0);
}

/* ---- one writer, reads beside it ----------------------------------------------- */

static void
test_one_writer_reads_proceed (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 4);
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) writer = NULL;
  g_autoptr(DbConnection) second = NULL;
  g_autoptr(DbConnection) reader = NULL;
  g_autoptr(DbRows) rows = NULL;

  db_pool_config_set_connection_timeout_ms (config, 100);
  pool = test_pool_new (config);
  create_table (pool);

  writer = db_pool_acquire (pool, DB_ACCESS_WRITE, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (db_connection_begin (writer, &error));
  g_assert_no_error (error);
  db_connection_execute (writer, "INSERT INTO t (name) VALUES ('uncommitted')", NULL, &error);
  g_assert_no_error (error);

  /* A second write lease on another thread waits for the first (here: until it
   * times out), even though connections are free; on this thread it would wait for
   * itself (tests/pool/test-pool-hangs.c). */
  second = test_acquire_on_other_thread (pool, DB_ACCESS_WRITE, &error);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_TIMEOUT);
  g_assert_null (second);
  g_clear_error (&error);

  /* A read proceeds at once during the write and sees the last committed state. */
  reader = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
  g_assert_no_error (error);
  rows = db_connection_query (reader, "SELECT count(*) FROM t", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (db_rows_get_int64 (rows, 0, 0), ==, 0);
  g_clear_object (&rows);

  g_assert_true (db_connection_commit (writer, &error));
  g_assert_no_error (error);
  g_clear_object (&writer);

  second = db_pool_acquire (pool, DB_ACCESS_WRITE, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (second);
}

typedef struct
{
  DbPool *pool;
  int    *in_write;
  int    *max_in_write;
  int    *reads_during_write;
  int     iterations;
  int     writers_left;   /* atomic */
} OverlapArgs;

static gpointer
overlap_writer (gpointer data)
{
  OverlapArgs *a = data;

  for (int i = 0; i < a->iterations; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(DbConnection) conn = db_pool_acquire (a->pool, DB_ACCESS_WRITE, NULL, &error);
      int now;

      g_assert_no_error (error);
      now = g_atomic_int_add (a->in_write, 1) + 1;
      if (now > g_atomic_int_get (a->max_in_write))
        g_atomic_int_set (a->max_in_write, now);
      db_connection_execute (conn, "INSERT INTO t (n) VALUES (?)", g_variant_new ("(i)", i), &error);
      g_assert_no_error (error);
      g_usleep (300);
      g_atomic_int_add (a->in_write, -1);
    }
  g_atomic_int_add (&a->writers_left, -1);
  return NULL;
}

static gpointer
overlap_reader (gpointer data)
{
  OverlapArgs *a = data;

  /* Until the writers are done, however the threads were scheduled: on a loaded
   * machine the readers could otherwise all finish before the first write. */
  for (int i = 0; i < a->iterations * 2 || g_atomic_int_get (&a->writers_left) > 0; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(DbConnection) conn = db_pool_acquire (a->pool, DB_ACCESS_READ, NULL, &error);
      g_autoptr(DbRows) rows = NULL;

      g_assert_no_error (error);
      rows = db_connection_query (conn, "SELECT count(*) FROM t", NULL, &error);
      g_assert_no_error (error);
      if (g_atomic_int_get (a->in_write) > 0)
        g_atomic_int_inc (a->reads_during_write);
    }
  return NULL;
}

static void
test_writers_never_overlap (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 2, 6);
  g_autoptr(DbPool) pool = test_pool_new (config);
  int in_write = 0, max_in_write = 0, reads_during_write = 0;
  OverlapArgs args = { pool, &in_write, &max_in_write, &reads_during_write, 100, 3 };
  GThread *threads[6];

  create_table (pool);
  for (int i = 0; i < 3; i++)
    threads[i] = g_thread_new ("writer", overlap_writer, &args);
  for (int i = 3; i < 6; i++)
    threads[i] = g_thread_new ("reader", overlap_reader, &args);
  for (int i = 0; i < 6; i++)
    g_thread_join (threads[i]);

  g_assert_cmpint (max_in_write, ==, 1);
  g_assert_cmpint (count_rows (pool), ==, 300);
  /* Reads overlapped writes (3 writers hold the write lease most of the time). */
  g_assert_cmpint (reads_during_write, >, 0);
}

/* Short write leases back to back from more threads than processors: every handoff
 * goes to a thread that is spinning or sleeping for it (the spinning path leaves
 * without the lock). Exclusivity must hold and no grant may be lost; under ASan or
 * TSan this also checks that nothing touches a waiter after it left. */
typedef struct
{
  DbPool *pool;
  int    *in_write;
  int    *max_in_write;
  int    *total;
  int     rounds;
  gboolean reuse;
} StormArgs;

static gpointer
storm_writer (gpointer data)
{
  StormArgs *args = data;
  g_autoptr(DbConnection) lease = NULL;

  for (int i = 0; i < args->rounds; i++)
    {
      g_autoptr(GError) error = NULL;
      int now;

      if (lease != NULL && args->reuse)
        g_assert_true (db_connection_reacquire (lease, NULL, &error));
      else
        {
          g_clear_object (&lease);
          lease = db_pool_acquire (args->pool, DB_ACCESS_WRITE, NULL, &error);
        }
      g_assert_no_error (error);

      now = g_atomic_int_add (args->in_write, 1) + 1;
      if (now > g_atomic_int_get (args->max_in_write))
        g_atomic_int_set (args->max_in_write, now);
      (*args->total)++;   /* guarded only by the write lease */
      if (i % 200 == 0)
        {
          gint64 changes = db_connection_execute (lease, "INSERT INTO t (n) VALUES (1)", NULL, &error);

          g_assert_no_error (error);
          g_assert_cmpint (changes, ==, 1);
        }
      g_atomic_int_add (args->in_write, -1);

      db_connection_release (lease);
    }
  return NULL;
}

static void
test_handoff_storm (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 4);
  g_autoptr(DbPool) pool = test_pool_new (config);
  int in_write = 0, max_in_write = 0, total = 0;
  StormArgs args[8];
  GThread *threads[8];

  create_table (pool);
  for (int i = 0; i < 8; i++)
    {
      args[i] = (StormArgs) { pool, &in_write, &max_in_write, &total, 1000, i % 2 == 0 };
      threads[i] = g_thread_new ("storm", storm_writer, &args[i]);
    }
  for (int i = 0; i < 8; i++)
    g_thread_join (threads[i]);

  g_assert_cmpint (max_in_write, ==, 1);
  g_assert_cmpint (total, ==, 8000);
  g_assert_cmpint (count_rows (pool), ==, 8 * 5);
}

/* A thread gets back the connection it returned last, even when another thread
 * returned one since (which LIFO order alone would hand out first). */
typedef struct
{
  DbPool      *pool;
  DbConnection *lease;
} AffinityArgs;

static gpointer
affinity_acquire (gpointer data)
{
  AffinityArgs *args = data;
  g_autoptr(GError) error = NULL;

  args->lease = db_pool_acquire (args->pool, DB_ACCESS_READ, NULL, &error);
  g_assert_no_error (error);
  return NULL;
}

static gpointer
affinity_release (gpointer data)
{
  AffinityArgs *args = data;

  db_connection_release (args->lease);
  return NULL;
}

static void
test_thread_affinity (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 2, 2);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) mine = NULL;
  AffinityArgs other = { pool, NULL };
  sqlite3 *mine_handle, *other_handle;

  create_table (pool);
  mine = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
  g_assert_no_error (error);
  g_thread_join (g_thread_new ("other", affinity_acquire, &other));
  mine_handle = db_connection_get_handle (mine);
  other_handle = db_connection_get_handle (other.lease);
  g_assert_true (mine_handle != other_handle);

  /* This thread returns its connection first, the other thread's comes back after
   * and is at the head of the idle queue. */
  db_connection_release (mine);
  g_thread_join (g_thread_new ("other", affinity_release, &other));

  g_assert_true (db_connection_reacquire (mine, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (db_connection_get_handle (mine) == mine_handle);

  /* The other thread gets the other one (the only one idle). */
  g_clear_object (&other.lease);
  g_thread_join (g_thread_new ("other", affinity_acquire, &other));
  g_assert_true (db_connection_get_handle (other.lease) == other_handle);
  g_clear_object (&other.lease);
}

/* ---- lease misuse -------------------------------------------------------------- */

static void
test_read_lease_is_read_only (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 2);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) reader = NULL;
  sqlite3 *db;
  int rc;

  create_table (pool);
  reader = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpint (db_connection_execute (reader, "INSERT INTO t (name) VALUES ('x')", NULL, &error), ==, -1);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_READ_ONLY);
  g_clear_error (&error);

  g_assert_false (db_connection_execute_script (reader, "SELECT 1; DELETE FROM t;", &error));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_READ_ONLY);
  g_clear_error (&error);

  /* Even past dbpool's own check, SQLite itself refuses (PRAGMA query_only). */
  db = db_connection_get_handle (reader);
  rc = sqlite3_exec (db, "INSERT INTO t (name) VALUES ('raw')", NULL, NULL, NULL);
  g_assert_cmpint (rc & 0xff, ==, SQLITE_READONLY);
  g_clear_object (&reader);

  g_assert_cmpint (count_rows (pool), ==, 0);
}

static void
test_release_semantics (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 2);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) conn = NULL;
  g_autoptr(DbPoolStats) stats = NULL;

  create_table (pool);
  conn = db_pool_acquire (pool, DB_ACCESS_WRITE, NULL, &error);
  g_assert_no_error (error);
  db_connection_release (conn);
  db_connection_release (conn);   /* harmless */
  g_assert_true (db_connection_is_released (conn));

  stats = db_pool_get_stats (pool);
  g_assert_cmpuint (stats->current_active_connections, ==, 0);
  g_assert_cmpuint (stats->current_idle_connections, ==, 1);

  g_assert_cmpint (db_connection_execute (conn, "SELECT 1", NULL, &error), ==, -1);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
  g_clear_error (&error);
  g_assert_null (db_connection_query (conn, "SELECT 1", NULL, &error));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
  g_clear_error (&error);
  g_assert_false (db_connection_begin (conn, &error));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
  g_clear_error (&error);
  g_assert_null (db_connection_get_handle (conn));
}

static void
test_release_rolls_back (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(GError) error = NULL;
  DbConnection *conn;

  create_table (pool);
  conn = db_pool_acquire (pool, DB_ACCESS_WRITE, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (db_connection_begin (conn, &error));
  db_connection_execute (conn, "INSERT INTO t (name) VALUES ('lost')", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (db_connection_in_transaction (conn));
  g_object_unref (conn);   /* dropping the last reference releases */

  g_assert_cmpint (count_rows (pool), ==, 0);

  /* The same (single) connection is clean: a new transaction starts fine. */
  conn = db_pool_acquire (pool, DB_ACCESS_WRITE, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (db_connection_in_transaction (conn));
  g_assert_true (db_connection_begin (conn, &error));
  g_assert_no_error (error);
  g_assert_true (db_connection_commit (conn, &error));
  g_object_unref (conn);
}

/* ---- errors -------------------------------------------------------------------- */

static void
test_missing_directory (void)
{
  g_autoptr(DbPoolConfig) config = db_pool_config_new ("/nonexistent-dbpool-dir/sub/x.db");
  g_autoptr(GError) error = NULL;
  g_autoptr(DbPool) pool = db_pool_new (config, NULL, &error);

  g_assert_null (pool);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_OPEN);
  g_assert_nonnull (strstr (error->message, "/nonexistent-dbpool-dir/sub/x.db"));
}

static void
test_invalid_config_rejected (void)
{
  g_autoptr(DbPoolConfig) config = db_pool_config_new ("x.db");
  g_autoptr(GError) error = NULL;
  g_autoptr(DbPool) pool = NULL;

  db_pool_config_set_max_connections (config, 0);
  pool = db_pool_new (config, NULL, &error);
  g_assert_null (pool);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG);
  g_assert_nonnull (strstr (error->message, "max-connections"));
}

static void
test_sql_errors (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 2);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) conn = NULL;

  create_table (pool);
  conn = db_pool_acquire (pool, DB_ACCESS_WRITE, NULL, &error);
  g_assert_no_error (error);

  db_connection_execute (conn, "SELEKT * FROM t", NULL, &error);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_SQL);
  g_assert_nonnull (strstr (error->message, "syntax error"));
  g_assert_nonnull (strstr (error->message, "SELEKT * FROM t"));
  g_clear_error (&error);

  db_connection_execute (conn, "SELECT * FROM no_such_table", NULL, &error);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_SQL);
  g_assert_nonnull (strstr (error->message, "no such table"));
  g_clear_error (&error);

  db_connection_execute (conn, "INSERT INTO t (name) VALUES ('dup')", NULL, &error);
  g_assert_no_error (error);
  db_connection_execute (conn, "INSERT INTO t (name) VALUES ('dup')", NULL, &error);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_CONSTRAINT);
  g_assert_nonnull (strstr (error->message, "UNIQUE constraint failed: t.name"));
  g_clear_error (&error);

  db_connection_execute (conn, "SELECT 1; SELECT 2", NULL, &error);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
  g_clear_error (&error);

  db_connection_execute (conn, "INSERT INTO t (name) VALUES (?)", g_variant_new ("(ss)", "a", "b"), &error);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
  g_clear_error (&error);

  /* After all these errors the connection is still fine. */
  g_assert_cmpint (db_connection_execute (conn, "INSERT INTO t (name) VALUES ('ok')", NULL, &error), ==, 1);
  g_assert_no_error (error);
}

static void
test_statement_cache_bounded (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) conn = NULL;
  sqlite3_stmt *stmt = NULL;
  sqlite3 *db;
  int n = 0;

  db_pool_config_set_statement_cache_size (config, 3);
  pool = test_pool_new (config);
  conn = db_pool_acquire (pool, DB_ACCESS_WRITE, NULL, &error);
  g_assert_no_error (error);

  for (int i = 0; i < 10; i++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT %d", i);
      g_autoptr(DbRows) rows = db_connection_query (conn, sql, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpint (db_rows_get_int64 (rows, 0, 0), ==, i);
    }

  db = db_connection_get_handle (conn);
  while ((stmt = sqlite3_next_stmt (db, stmt)) != NULL)
    if (g_str_has_prefix (sqlite3_sql (stmt), "SELECT "))
      n++;
  g_assert_cmpint (n, ==, 3);
}

/* ---- close --------------------------------------------------------------------- */

static gpointer
close_thread (gpointer data)
{
  db_pool_close (data);
  return NULL;
}

static void
test_close_fails_waiters (void)
{
  g_autofree char *path = test_db_path ();
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) held = NULL;
  g_autoptr(DbConnection) after = NULL;
  Waiter w = { pool, NULL, NULL, DB_ACCESS_WRITE };
  GThread *waiter, *closer;
  GStatBuf st;

  create_table (pool);
  held = db_pool_acquire (pool, DB_ACCESS_WRITE, NULL, &error);
  g_assert_no_error (error);
  db_connection_execute (held, "INSERT INTO t (name) VALUES ('kept')", NULL, &error);
  g_assert_no_error (error);

  waiter = g_thread_new ("waiter", waiter_thread, &w);
  wait_for_waiting (pool, 1);
  closer = g_thread_new ("closer", close_thread, pool);

  g_thread_join (waiter);
  g_assert_error (w.error, DB_POOL_ERROR, DB_POOL_ERROR_CLOSED);
  g_clear_error (&w.error);
  g_assert_true (db_pool_is_closed (pool));

  /* The held lease still works while the pool drains. */
  db_connection_execute (held, "INSERT INTO t (name) VALUES ('during close')", NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&held);
  g_thread_join (closer);

  after = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_CLOSED);
  g_assert_null (after);

  {
    g_autoptr(DbPoolStats) stats = db_pool_get_stats (pool);

    g_assert_cmpuint (stats->current_active_connections, ==, 0);
    g_assert_cmpuint (stats->current_idle_connections, ==, 0);
    g_assert_cmpuint (stats->total_connections_created, ==, stats->total_connections_destroyed);
  }
  /* The WAL was checkpointed and truncated (or removed) by the last close. */
  g_assert_true (g_stat (wal, &st) != 0 || st.st_size == 0);

  /* Both writes are durable. */
  {
    g_autoptr(DbPoolConfig) config2 = test_config (path, 1, 1);
    g_autoptr(DbPool) pool2 = test_pool_new (config2);

    g_assert_cmpint (count_rows (pool2), ==, 2);
  }
}

static void
test_lease_outlives_pool (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 2);
  DbPool *pool = test_pool_new (config);
  g_autoptr(GError) error = NULL;
  DbConnection *conn;

  create_table (pool);
  conn = db_pool_acquire (pool, DB_ACCESS_WRITE, NULL, &error);
  g_assert_no_error (error);
  g_object_unref (pool);   /* the lease keeps the pool alive */

  g_assert_cmpint (db_connection_execute (conn, "INSERT INTO t (name) VALUES ('late')", NULL, &error), ==, 1);
  g_assert_no_error (error);
  g_object_unref (conn);   /* returns, then the pool finalizes */

  pool = test_pool_new (config);
  g_assert_cmpint (count_rows (pool), ==, 1);
  g_object_unref (pool);
}

/* A database removed while the pool runs is an error for new connections, never a
 * silently created, empty database beside the old one. */
static void
test_removed_database_not_recreated (void)
{
  g_autofree char *path = test_db_path ();
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 2);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) held = NULL;
  g_autoptr(DbConnection) fresh = NULL;

  create_table (pool);
  held = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_unlink (wal);
  g_unlink (shm);

  /* The only idle connection is held: this needs a new one. */
  fresh = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
  g_assert_null (fresh);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_OPEN);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

/* ---- security defaults --------------------------------------------------------- */

static void
side_effect (sqlite3_context *ctx,
             int              argc,
             sqlite3_value  **argv)
{
  sqlite3_result_int (ctx, 42);
}

static void
test_security_defaults (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 2);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) conn = NULL;
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  create_table (pool);
  conn = db_pool_acquire (pool, DB_ACCESS_WRITE, NULL, &error);
  g_assert_no_error (error);

  /* DEFENSIVE: writable_schema cannot be used to rewrite sqlite_schema. */
  db_connection_execute (conn, "PRAGMA writable_schema=ON", NULL, &error);
  g_assert_no_error (error);
  db_connection_execute (conn, "UPDATE sqlite_schema SET sql='CREATE TABLE t(x)' WHERE name='t'", NULL, &error);
  g_assert_nonnull (error);
  g_clear_error (&error);

  /* No extension loading from SQL. */
  db_connection_execute (conn, "SELECT load_extension('/lib/x86_64-linux-gnu/libc.so.6')", NULL, &error);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_SQL);
  g_clear_error (&error);

  /* trusted_schema off: a view cannot call an application function that is not
   * marked SQLITE_INNOCUOUS, though direct calls still work. */
  g_assert_cmpint (sqlite3_create_function (db_connection_get_handle (conn), "side_effect", 0,
                                            SQLITE_UTF8, NULL, side_effect, NULL, NULL), ==, SQLITE_OK);
  {
    g_autoptr(DbRows) direct = db_connection_query (conn, "SELECT side_effect()", NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpint (db_rows_get_int64 (direct, 0, 0), ==, 42);
  }
  db_connection_execute_script (conn, "CREATE VIEW v AS SELECT side_effect() AS r;", &error);
  g_assert_no_error (error);
  {
    g_autoptr(DbRows) rows = db_connection_query (conn, "SELECT * FROM v", NULL, &error);

    g_assert_null (rows);
    g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_SQL);
    g_assert_nonnull (strstr (error->message, "unsafe use of side_effect"));
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/pool/basic", test_basic);
  g_test_add_func ("/pool/fifo", test_fifo);
  g_test_add_func ("/pool/timeout", test_timeout);
  g_test_add_func ("/pool/cancel-queued", test_cancel_queued);
  g_test_add_func ("/pool/one-writer-reads-proceed", test_one_writer_reads_proceed);
  g_test_add_func ("/pool/writers-never-overlap", test_writers_never_overlap);
  g_test_add_func ("/pool/handoff-storm", test_handoff_storm);
  g_test_add_func ("/pool/thread-affinity", test_thread_affinity);
  g_test_add_func ("/pool/read-lease-is-read-only", test_read_lease_is_read_only);
  g_test_add_func ("/pool/release-semantics", test_release_semantics);
  g_test_add_func ("/pool/release-rolls-back", test_release_rolls_back);
  g_test_add_func ("/pool/missing-directory", test_missing_directory);
  g_test_add_func ("/pool/invalid-config", test_invalid_config_rejected);
  g_test_add_func ("/pool/sql-errors", test_sql_errors);
  g_test_add_func ("/pool/statement-cache-bounded", test_statement_cache_bounded);
  g_test_add_func ("/pool/close-fails-waiters", test_close_fails_waiters);
  g_test_add_func ("/pool/lease-outlives-pool", test_lease_outlives_pool);
  g_test_add_func ("/pool/security-defaults", test_security_defaults);
  g_test_add_func ("/pool/removed-database-not-recreated", test_removed_database_not_recreated);

  return g_test_run ();
}
