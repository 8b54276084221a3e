/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fault injection through the "fault" VFS shim (fault-vfs.c): every call a small
 * workload makes to xOpen, xRead, xWrite, xSync, xTruncate, xLock, xShmLock,
 * xShmMap and xFileSize is failed in turn, once and from then on, with I/O errors,
 * SQLITE_FULL and SQLITE_BUSY. Each run must end with errors reported as GErrors,
 * no lease outstanding, connections that saw an I/O error discarded, the pool usable
 * again once the fault is gone, and a database that passes integrity_check and holds
 * either the state before or the state after each operation.
 *
 * Also: the database made unreadable, its directory moved away, its file deleted,
 * and the disk full, each while the pool runs.
 *
 * The synchronous workload is swept over every call; the asynchronous one (the same
 * operations through execute_async, run_async and query_async, to check that errors
 * come back through the main loop) over every 4th, starting at a different call for
 * each kind.
 *
 * Environment knobs:
 *   DBPOOL_FAULT_STRIDE        sweep every Nth call of the sync workload [1]
 *   DBPOOL_FAULT_ASYNC_STRIDE  sweep every Nth call of the async workload [4]
 *   DBPOOL_FAULT_BATCH_STRIDE  sweep every Nth call of the batch workload [1]
 *   DBPOOL_FAULT_ONLY          sweep only the fault kinds whose name contains this
 *   DBPOOL_FAULT_VERBOSE       log every error the workload gets
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test-common.h"
#include "fault-vfs.h"

#define N_TXN 6

typedef enum {
  FATE_NONE,      /* not attempted, or failed before its commit: must be absent */
  FATE_DOUBT,     /* the commit reported an error: absent or complete */
  FATE_ACKED,     /* committed: must be complete */
} Fate;

typedef struct
{
  char    *path;
  char    *uri;

  /* outcomes */
  Fate     create;
  Fate     fate[N_TXN + 2];      /* by txn number; N_TXN + 1 is the recovery write */
  guint    rows[N_TXN + 2];
  guint    n_errors;
  guint    n_fatal_errors;       /* errors that leave a connection in doubt */
  gboolean last_write_after_fault; /* the fault had fired when the last write began */
} Workload;

/* The run in progress, for the watchdog's message. */
static struct
{
  GMutex   lock;
  char    *what;
  gint64   started_us;
  gboolean done;
  GCond    cond;
} current;

static void
set_current (const char *what)
{
  g_mutex_lock (&current.lock);
  g_free (current.what);
  current.what = g_strdup (what);
  current.started_us = g_get_monotonic_time ();
  g_mutex_unlock (&current.lock);
}

/* No single run may take long: a hang aborts with the run that hung. */
static gpointer
watchdog_thread (gpointer data)
{
  gint64 limit_us = 120 * G_USEC_PER_SEC;

  g_mutex_lock (&current.lock);
  while (!current.done)
    {
      if (current.what != NULL && g_get_monotonic_time () - current.started_us > limit_us)
        {
          g_printerr ("\nfault watchdog: “%s” has not finished after 120 s: a hang\n", current.what);
          abort ();
        }
      g_cond_wait_until (&current.cond, &current.lock, g_get_monotonic_time () + G_USEC_PER_SEC);
    }
  g_mutex_unlock (&current.lock);
  return NULL;
}

/* An assertion that fails mid-sweep says which run it was in. */
static void
on_abort (int sig)
{
  const char *what = current.what;

  if (what != NULL)
    {
      static const char prefix[] = "\nfault run in progress: ";

      if (write (STDERR_FILENO, prefix, sizeof prefix - 1) < 0 ||
          write (STDERR_FILENO, what, strlen (what)) < 0 ||
          write (STDERR_FILENO, "\n", 1) < 0)
        {
          /* nothing more to do */
        }
    }
  signal (sig, SIG_DFL);
  raise (sig);
}

static guint
env_uint (const char *name,
          guint       fallback)
{
  const char *value = g_getenv (name);

  return value != NULL && *value != '\0' ? (guint) g_ascii_strtoull (value, NULL, 10) : fallback;
}

/* Whether @error is one after which the pool must not trust the connection: an I/O
 * error (but not a full disk), a broken lock protocol, corruption. */
static gboolean
error_is_fatal (const GError *error)
{
  if (error->domain != DB_POOL_ERROR)
    return FALSE;
  if (error->code == DB_POOL_ERROR_CORRUPT)
    return TRUE;
  return error->code == DB_POOL_ERROR_IO &&
         strstr (error->message, sqlite3_errstr (SQLITE_FULL)) == NULL;
}

/* Every failure must be a GError in the pool's domain with a code that fits a
 * storage fault. */
static void
note_error (Workload   *w,
            GError     *error,
            const char *what)
{
  if (error == NULL)
    g_error ("[%s] %s failed without setting an error", current.what, what);
  /* After a failed CREATE TABLE, the table may just not be there. */
  if (w->create != FATE_ACKED && g_error_matches (error, DB_POOL_ERROR, DB_POOL_ERROR_SQL) &&
      strstr (error->message, "no such table") != NULL)
    return;
  if (error->domain != DB_POOL_ERROR ||
      (error->code != DB_POOL_ERROR_IO && error->code != DB_POOL_ERROR_BUSY &&
       error->code != DB_POOL_ERROR_OPEN && error->code != DB_POOL_ERROR_CORRUPT))
    g_error ("[%s] %s failed with an unexpected error: %s (%s, %d)", current.what, what,
             error->message, g_quark_to_string (error->domain), error->code);
  if (g_getenv ("DBPOOL_FAULT_VERBOSE") != NULL)
    g_test_message ("[%s] %s: %s", current.what, what, error->message);
  w->n_errors++;
  if (error_is_fatal (error))
    w->n_fatal_errors++;
}

static guint64
destroyed_of (DbPool *pool)
{
  g_autoptr(DbPoolStats) stats = db_pool_get_stats (pool);

  return stats->total_connections_destroyed;
}

/* Releases @conn; if it saw an error that leaves it in doubt, the pool must have
 * closed it rather than put it back. */
static void
release_checked (DbPool        *pool,
                 DbConnection **conn,
                 gboolean       in_doubt)
{
  guint64 before;

  if (*conn == NULL)
    return;
  before = destroyed_of (pool);
  db_connection_release (*conn);
  g_clear_object (conn);
  if (in_doubt)
    g_assert_cmpuint (destroyed_of (pool), >, before);
}

#define CREATE_SQL "CREATE TABLE IF NOT EXISTS t (txn INTEGER NOT NULL, k INTEGER NOT NULL, " \
                   "v BLOB, PRIMARY KEY (txn, k))"
#define INSERT_SQL "INSERT INTO t (txn, k, v) VALUES (?, ?, zeroblob(?))"

/* One transaction of @n rows: the one way both the sync and the async workload write. */
static Fate
write_txn (DbConnection  *conn,
           Workload      *w,
           guint          txn,
           guint          n,
           GError       **error)
{
  /* Like an application would: make sure of the schema first if that failed before. */
  if (w->create != FATE_ACKED)
    {
      if (db_connection_execute (conn, CREATE_SQL, NULL, error) < 0)
        return FATE_NONE;
      w->create = FATE_ACKED;
    }
  if (n > 1 && !db_connection_begin (conn, error))
    return FATE_NONE;
  for (guint k = 1; k <= n; k++)
    if (db_connection_execute (conn, INSERT_SQL, g_variant_new ("(uuu)", txn, k, 300u), error) != 1)
      {
        if (n > 1)
          db_connection_rollback (conn, NULL);
        /* A failing single-statement autocommit write may have failed at its commit. */
        return n == 1 ? FATE_DOUBT : FATE_NONE;
      }
  if (n > 1 && !db_connection_commit (conn, error))
    return FATE_DOUBT;
  return FATE_ACKED;
}

/* Checks what a reader sees against what was acknowledged so far. */
static void
check_counts (Workload *w,
              DbRows   *rows)
{
  guint seen[N_TXN + 2] = { 0 };

  for (guint i = 0; i < db_rows_get_n_rows (rows); i++)
    {
      gint64 txn = db_rows_get_int64 (rows, i, 0);

      g_assert_cmpint (txn, >=, 1);
      g_assert_cmpint (txn, <=, N_TXN + 1);
      seen[txn] = (guint) db_rows_get_int64 (rows, i, 1);
    }
  for (guint txn = 1; txn <= N_TXN + 1; txn++)
    switch (w->fate[txn])
      {
      case FATE_ACKED:
        if (seen[txn] != w->rows[txn])
          g_error ("[%s] txn %u was acknowledged with %u rows but %u are there",
                   current.what, txn, w->rows[txn], seen[txn]);
        break;
      case FATE_DOUBT:
        if (seen[txn] != 0 && seen[txn] != w->rows[txn])
          g_error ("[%s] txn %u is half there: %u of %u rows",
                   current.what, txn, seen[txn], w->rows[txn]);
        break;
      case FATE_NONE:
        if (seen[txn] != 0)
          g_error ("[%s] txn %u failed before its commit but %u rows are there",
                   current.what, txn, seen[txn]);
        break;
      default:
        g_assert_not_reached ();
      }
}

#define COUNT_SQL "SELECT txn, count(*) FROM t GROUP BY txn"

/* ------------------------------------------------------------------------------- */
/* The synchronous workload.                                                       */

static void
sync_write (Workload *w,
            DbPool   *pool,
            guint     txn,
            guint     n)
{
  g_autoptr(GError) error = NULL;
  DbConnection *conn = db_pool_acquire (pool, DB_ACCESS_WRITE, NULL, &error);
  gboolean fatal = FALSE;

  w->rows[txn] = n;
  if (conn == NULL)
    {
      note_error (w, error, "acquire (write)");
      return;
    }
  w->fate[txn] = write_txn (conn, w, txn, n, &error);
  if (w->fate[txn] != FATE_ACKED)
    {
      note_error (w, error, "write");
      fatal = error_is_fatal (error);
    }
  release_checked (pool, &conn, fatal);
}

static void
sync_read (Workload     *w,
           DbPool       *pool,
           DbConnection *conn)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DbRows) rows = NULL;
  DbConnection *own = NULL;

  if (conn == NULL)
    {
      own = conn = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
      if (conn == NULL)
        {
          note_error (w, error, "acquire (read)");
          return;
        }
    }
  rows = db_connection_query (conn, COUNT_SQL, NULL, &error);
  if (rows != NULL)
    check_counts (w, rows);
  else
    note_error (w, error, "read");
  if (own != NULL)
    release_checked (pool, &own, error != NULL && error_is_fatal (error));
}

static void
sync_workload (Workload *w,
               DbPool   *pool)
{
  g_autoptr(GError) error = NULL;
  DbConnection *conn;

  /* Schema. */
  conn = db_pool_acquire (pool, DB_ACCESS_WRITE, NULL, &error);
  if (conn == NULL)
    {
      note_error (w, error, "acquire (create)");
      g_clear_error (&error);
    }
  else
    {
      gboolean fatal = FALSE;

      if (db_connection_execute (conn, CREATE_SQL, NULL, &error) >= 0)
        w->create = FATE_ACKED;
      else
        {
          w->create = FATE_DOUBT;
          note_error (w, error, "create table");
          fatal = error_is_fatal (error);
          g_clear_error (&error);
        }
      release_checked (pool, &conn, fatal);
    }

  /* Transactions, each followed by a read. */
  for (guint txn = 1; txn <= 4; txn++)
    {
      sync_write (w, pool, txn, txn == 4 ? 1 : 3);
      sync_read (w, pool, NULL);
    }

  /* A reader holding a lease across a write: two connections at once. */
  {
    DbConnection *reader = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);

    if (reader == NULL)
      {
        note_error (w, error, "acquire (held read)");
        g_clear_error (&error);
      }
    else
      sync_read (w, pool, reader);
    sync_write (w, pool, 5, 2);
    if (reader != NULL)
      {
        g_autoptr(GError) read_error = NULL;
        g_autoptr(DbRows) rows = db_connection_query (reader, COUNT_SQL, NULL, &read_error);

        if (rows == NULL)
          note_error (w, read_error, "read (held)");
        release_checked (pool, &reader, read_error != NULL && error_is_fatal (read_error));
      }
  }
  w->last_write_after_fault = fault_vfs_injected () > 0;
  sync_write (w, pool, N_TXN, 3);
  sync_read (w, pool, NULL);
}

/* ------------------------------------------------------------------------------- */
/* The asynchronous workload: the same operations through run_async, execute_async
 * and query_async, results delivered on the main loop.                            */

typedef enum {
  MODE_SYNC,
  MODE_ASYNC,
  MODE_BATCH,
} Mode;

static const char *const mode_names[] = { "sync", "async", "batch" };

typedef struct
{
  Workload *w;
  guint     txn;
  guint     n;
  Fate      fate;
  Fate      create_before;
} AsyncTxn;

static gpointer
async_txn_func (DbConnection  *conn,
                gpointer       data,
                GCancellable  *cancellable,
                GError       **error)
{
  AsyncTxn *t = data;

  t->create_before = t->w->create;
  t->fate = write_txn (conn, t->w, t->txn, t->n, error);
  return t->fate == FATE_ACKED ? GINT_TO_POINTER (1) : NULL;
}

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  GAsyncResult **out = data;

  *out = g_object_ref (result);
}

static GAsyncResult *
await (GAsyncResult **res)
{
  while (*res == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *res;
}

/* Notes the error of a failed async operation. The worker gives the lease back
 * before it returns the result, so a connection the error left in doubt has been
 * closed by the time the callback runs. */
static void
note_async_error (Workload     *w,
                  DbPool       *pool,
                  guint64       destroyed_before,
                  GError      **error,
                  const char   *what)
{
  note_error (w, *error, what);
  if (error_is_fatal (*error))
    g_assert_cmpuint (destroyed_of (pool), >, destroyed_before);
  g_clear_error (error);
}

static void
async_workload (Workload *w,
                DbPool   *pool)
{
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(GAsyncResult) res = NULL;
    guint64 destroyed = destroyed_of (pool);

    db_pool_execute_async (pool, CREATE_SQL, NULL, NULL, store_result, &res);
    if (db_pool_execute_finish (pool, await (&res), NULL, &error) >= 0)
      w->create = FATE_ACKED;
    else
      {
        /* Either the acquire or the statement failed. */
        w->create = FATE_DOUBT;
        note_async_error (w, pool, destroyed, &error, "execute_async (create)");
      }
  }

  for (guint txn = 1; txn <= N_TXN; txn++)
    {
      g_autoptr(GAsyncResult) res = NULL;
      g_autoptr(GAsyncResult) qres = NULL;
      g_autoptr(DbRows) rows = NULL;
      AsyncTxn t = { .w = w, .txn = txn, .n = txn % 3 == 0 ? 1 : 3 };
      guint64 destroyed = destroyed_of (pool);

      w->rows[txn] = t.n;
      if (txn == N_TXN)
        w->last_write_after_fault = fault_vfs_injected () > 0 && w->create == FATE_ACKED;
      if (txn % 3 == 0)
        {
          /* A single statement through execute_async. */
          db_pool_execute_async (pool, INSERT_SQL, g_variant_new ("(uuu)", txn, 1u, 300u),
                                 NULL, store_result, &res);
          if (db_pool_execute_finish (pool, await (&res), NULL, &error) == 1)
            w->fate[txn] = FATE_ACKED;
          else
            {
              w->fate[txn] = FATE_DOUBT;
              note_async_error (w, pool, destroyed, &error, "execute_async (insert)");
            }
        }
      else
        {
          db_pool_run_async (pool, DB_ACCESS_WRITE, async_txn_func, &t, NULL, NULL,
                             store_result, &res);
          if (db_pool_run_finish (pool, await (&res), &error) != NULL)
            w->fate[txn] = FATE_ACKED;
          else
            {
              /* t.fate stays FATE_NONE if the job never ran. A write job's own commit
               * is a savepoint's release: if it got that far, the error came from
               * the transaction it shared (its COMMIT perhaps), so its rows may or may
               * not be there. */
              w->fate[txn] = t.fate == FATE_ACKED ? FATE_DOUBT : t.fate;
              /* Nor is a CREATE the job ran: make sure of the schema again. */
              w->create = t.create_before;
              note_async_error (w, pool, destroyed, &error, "run_async (transaction)");
            }
        }

      destroyed = destroyed_of (pool);
      db_pool_query_async (pool, COUNT_SQL, NULL, NULL, store_result, &qres);
      rows = db_pool_query_finish (pool, await (&qres), &error);
      if (rows != NULL)
        check_counts (w, rows);
      else
        note_async_error (w, pool, destroyed, &error, "query_async");
    }
}

/* ------------------------------------------------------------------------------- */
/* The batch workload: every transaction in flight at once, queued behind a held   */
/* WRITE lease so that the write queue runs them as one group commit (each job in  */
/* its own savepoint, one COMMIT for all): a fault during one job or during the    */
/* shared COMMIT must leave no acknowledged job without its rows and no job that   */
/* failed before its commit with rows.                                              */

static void
batch_workload (Workload *w,
                DbPool   *pool)
{
  g_autoptr(GError) error = NULL;
  GAsyncResult *res[N_TXN + 1] = { NULL };
  AsyncTxn t[N_TXN + 1];
  DbConnection *hold;
  Fate created;
  guint64 destroyed;

  {
    g_autoptr(GAsyncResult) cres = NULL;

    destroyed = destroyed_of (pool);
    db_pool_execute_async (pool, CREATE_SQL, NULL, NULL, store_result, &cres);
    if (db_pool_execute_finish (pool, await (&cres), NULL, &error) >= 0)
      w->create = FATE_ACKED;
    else
      {
        w->create = FATE_DOUBT;
        note_async_error (w, pool, destroyed, &error, "execute_async (create)");
      }
  }

  created = w->create;
  /* The batch's connection, if an error left it in doubt, is closed once for all
   * its jobs, perhaps before the first callback runs: count from before the queue. */
  destroyed = destroyed_of (pool);
  /* Without the lease the first job could start before the others are queued. */
  hold = db_pool_acquire (pool, DB_ACCESS_WRITE, NULL, &error);
  if (hold == NULL)
    note_async_error (w, pool, destroyed_of (pool), &error, "acquire (hold)");

  for (guint txn = 1; txn <= N_TXN; txn++)
    {
      t[txn] = (AsyncTxn) { .w = w, .txn = txn, .n = txn % 3 == 0 ? 1 : 3 };
      w->rows[txn] = t[txn].n;
      if (txn % 3 == 0)
        db_pool_execute_async (pool, INSERT_SQL, g_variant_new ("(uuu)", txn, 1u, 300u),
                               NULL, store_result, &res[txn]);
      else
        db_pool_run_async (pool, DB_ACCESS_WRITE, async_txn_func, &t[txn], NULL, NULL,
                           store_result, &res[txn]);
    }
  g_clear_object (&hold);

  for (guint txn = 1; txn <= N_TXN; txn++)
    {
      if (txn % 3 == 0)
        {
          if (db_pool_execute_finish (pool, await (&res[txn]), NULL, &error) == 1)
            w->fate[txn] = FATE_ACKED;
          else
            {
              w->fate[txn] = FATE_DOUBT;
              note_async_error (w, pool, destroyed, &error, "execute_async (batched insert)");
            }
        }
      else if (db_pool_run_finish (pool, await (&res[txn]), &error) != NULL)
        w->fate[txn] = FATE_ACKED;
      else
        {
          /* As in the async workload: released savepoint, failed shared COMMIT. */
          w->fate[txn] = t[txn].fate == FATE_ACKED ? FATE_DOUBT : t[txn].fate;
          note_async_error (w, pool, destroyed, &error, "run_async (batched transaction)");
        }
      g_clear_object (&res[txn]);
    }
  /* The jobs ran write_txn, which creates the table when the first CREATE failed and
   * notes that in w->create even if its job was rolled back later: only an
   * acknowledged job proves the table is there. */
  if (created != FATE_ACKED)
    {
      w->create = FATE_DOUBT;
      for (guint txn = 1; txn <= N_TXN; txn++)
        if (w->fate[txn] == FATE_ACKED)
          w->create = FATE_ACKED;
    }

  {
    g_autoptr(GAsyncResult) qres = NULL;
    g_autoptr(DbRows) rows = NULL;

    destroyed = destroyed_of (pool);
    db_pool_query_async (pool, COUNT_SQL, NULL, NULL, store_result, &qres);
    rows = db_pool_query_finish (pool, await (&qres), &error);
    if (rows != NULL)
      check_counts (w, rows);
    else
      note_async_error (w, pool, destroyed, &error, "query_async");
  }
}

/* ------------------------------------------------------------------------------- */
/* One run: open, work (perhaps under a fault), disarm, recover, close, verify.    */

static DbPoolConfig *
fault_config (const char    *uri,
              DbSynchronous  synchronous)
{
  DbPoolConfig *config = test_config (uri, 1, 3);

  db_pool_config_set_synchronous (config, synchronous);
  /* Deterministic call sequences: no maintenance, no circuit breaker between runs
   * (failing fast is not what is under test here). */
  db_pool_config_set_maintenance_interval_ms (config, 0);
  db_pool_config_set_circuit_breaker_threshold (config, 0);
  db_pool_config_set_busy_timeout_ms (config, 2000);
  db_pool_config_set_connection_timeout_ms (config, 10000);
  return config;
}

/* Reopens without the fault VFS and checks the database: intact, and every
 * transaction either complete (acknowledged ones always) or absent. */
static void
verify_database (Workload *w)
{
  g_autoptr(DbPoolConfig) config = test_config (w->path, 1, 1);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) conn = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
  g_autoptr(DbRows) check = NULL;
  g_autoptr(DbRows) table = NULL;

  g_assert_no_error (error);
  check = db_connection_query (conn, "PRAGMA integrity_check", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (db_rows_get_string (check, 0, 0), ==, "ok");

  table = db_connection_query (conn, "SELECT count(*) FROM sqlite_schema WHERE name = 't'", NULL, &error);
  g_assert_no_error (error);
  if (db_rows_get_int64 (table, 0, 0) == 0)
    {
      g_assert_cmpint (w->create, !=, FATE_ACKED);
      for (guint txn = 1; txn <= N_TXN + 1; txn++)
        g_assert_cmpint (w->fate[txn], !=, FATE_ACKED);
    }
  else
    {
      g_autoptr(DbRows) rows = db_connection_query (conn, COUNT_SQL, NULL, &error);

      g_assert_no_error (error);
      check_counts (w, rows);
    }
  g_clear_object (&conn);
  db_pool_close (pool);
}

typedef struct
{
  const char    *name;
  FaultPoint     point;
  int            rc;
  gboolean       sync_full;     /* synchronous=FULL instead of the default NORMAL */
} FaultKind;

static const FaultKind fault_kinds[] = {
  { "open/CANTOPEN", FAULT_OPEN, SQLITE_CANTOPEN },
  { "open/IOERR", FAULT_OPEN, SQLITE_IOERR },
  { "read/IOERR_READ", FAULT_READ, SQLITE_IOERR_READ },
  { "write/IOERR_WRITE", FAULT_WRITE, SQLITE_IOERR_WRITE },
  { "write/FULL", FAULT_WRITE, SQLITE_FULL },
  { "sync/IOERR_FSYNC", FAULT_SYNC, SQLITE_IOERR_FSYNC },
  /* With synchronous=FULL every commit syncs the WAL: many more sync calls. */
  { "sync/IOERR_FSYNC/synchronous=FULL", FAULT_SYNC, SQLITE_IOERR_FSYNC, TRUE },
  { "truncate/IOERR_TRUNCATE", FAULT_TRUNCATE, SQLITE_IOERR_TRUNCATE },
  { "truncate/FULL", FAULT_TRUNCATE, SQLITE_FULL },
  { "lock/IOERR_LOCK", FAULT_LOCK, SQLITE_IOERR_LOCK },
  { "lock/BUSY", FAULT_LOCK, SQLITE_BUSY },
  { "shm-lock/IOERR_SHMLOCK", FAULT_SHM_LOCK, SQLITE_IOERR_SHMLOCK },
  { "shm-lock/BUSY", FAULT_SHM_LOCK, SQLITE_BUSY },
  { "shm-map/IOERR_SHMMAP", FAULT_SHM_MAP, SQLITE_IOERR_SHMMAP },
  { "file-size/IOERR_FSTAT", FAULT_FILE_SIZE, SQLITE_IOERR_FSTAT },
};

typedef struct
{
  guint runs;
  guint hit;           /* runs where the fault was injected */
  guint surfaced;      /* ... and reached the caller as an error */
  guint absorbed;      /* ... and SQLite got over it by itself */
  guint fatal;         /* runs with an error that left a connection in doubt */
  guint open_failed;   /* runs where the pool could not even be created */
} SweepStats;

static void
remove_database (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);

  g_unlink (path);
  g_unlink (wal);
  g_unlink (shm);
  g_rmdir (dir);
}

static void
assert_closed_and_drained (DbPool *pool)
{
  g_autoptr(DbPoolStats) stats = db_pool_get_stats (pool);

  g_assert_cmpuint (stats->current_active_connections, ==, 0);
  g_assert_cmpuint (stats->current_idle_connections, ==, 0);
  g_assert_cmpuint (stats->waiting_requests, ==, 0);
  g_assert_cmpuint (stats->total_connections_created, ==, stats->total_connections_destroyed);
}

/* Runs the workload once with @point's @nth call failing (0: nothing fails) and
 * checks everything. A one-shot fault stays armed through the close, so faults in
 * the final checkpoint are swept too; after a persistent one, the same pool must
 * work again once the fault is cleared. Returns how many calls of @point were made
 * before the close (in *calls_before_close) and in all (return value). */
static guint
run_once (Mode              mode,
          const FaultKind  *kind,
          guint             nth,
          gboolean          persistent,
          SweepStats       *sweep,
          guint            *calls_before_close)
{
  FaultPoint point = kind->point;
  Workload w = { 0 };
  g_autoptr(DbPoolConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  DbPool *pool;
  guint injected, calls;

  w.path = test_db_path ();
  w.uri = g_strdup_printf ("file:%s?vfs=fault", w.path);
  config = fault_config (w.uri, kind->sync_full ? DB_SYNCHRONOUS_FULL : DB_SYNCHRONOUS_NORMAL);

  fault_vfs_arm (point, nth, kind->rc, persistent);
  pool = db_pool_new (config, NULL, &error);
  if (pool == NULL)
    {
      note_error (&w, error, "db_pool_new");
      g_clear_error (&error);
      sweep->open_failed++;
    }
  else
    {
      g_autoptr(DbPoolStats) stats = NULL;

      if (mode == MODE_ASYNC)
        async_workload (&w, pool);
      else if (mode == MODE_BATCH)
        batch_workload (&w, pool);
      else
        sync_workload (&w, pool);

      stats = db_pool_get_stats (pool);
      /* No lease leaked, whatever failed. */
      g_assert_cmpuint (stats->current_active_connections, ==, 0);
      g_assert_cmpuint (stats->waiting_requests, ==, 0);
      /* A connection that saw an I/O error was counted and closed. */
      if (w.n_fatal_errors > 0)
        g_assert_cmpuint (stats->connection_errors, >, 0);
      /* A transient fault is over once it fired: the last write went through. */
      if (!persistent && w.last_write_after_fault)
        g_assert_cmpint (w.fate[N_TXN], ==, FATE_ACKED);
    }

  if (calls_before_close != NULL)
    *calls_before_close = fault_vfs_calls (point);

  if (pool != NULL && persistent)
    {
      /* The fault is gone: the same pool works again, without a restart. */
      DbConnection *conn;

      fault_vfs_disarm ();
      conn = db_pool_acquire (pool, DB_ACCESS_WRITE, NULL, &error);
      g_assert_no_error (error);
      w.rows[N_TXN + 1] = 2;
      w.fate[N_TXN + 1] = write_txn (conn, &w, N_TXN + 1, 2, &error);
      g_assert_no_error (error);
      g_clear_object (&conn);
      {
        g_autoptr(DbConnection) reader = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
        g_autoptr(DbRows) rows = NULL;

        g_assert_no_error (error);
        rows = db_connection_query (reader, COUNT_SQL, NULL, &error);
        g_assert_no_error (error);
        check_counts (&w, rows);
      }
    }

  if (pool != NULL)
    {
      db_pool_close (pool);
      assert_closed_and_drained (pool);
      g_object_unref (pool);
    }

  injected = fault_vfs_injected ();
  calls = fault_vfs_calls (point);
  fault_vfs_disarm ();

  verify_database (&w);

  sweep->runs++;
  if (injected > 0)
    {
      sweep->hit++;
      if (w.n_errors > 0)
        sweep->surfaced++;
      else
        sweep->absorbed++;
    }
  if (w.n_fatal_errors > 0)
    sweep->fatal++;

  remove_database (w.path);
  g_free (w.path);
  g_free (w.uri);
  return calls;
}

static void
sweep_kinds (Mode mode)
{
  guint stride = MAX (mode == MODE_ASYNC ? env_uint ("DBPOOL_FAULT_ASYNC_STRIDE", 4)
                      : mode == MODE_BATCH ? env_uint ("DBPOOL_FAULT_BATCH_STRIDE", 1)
                      : env_uint ("DBPOOL_FAULT_STRIDE", 1), 1);
  const char *only = g_getenv ("DBPOOL_FAULT_ONLY");
  SweepStats total = { 0 };
  guint points = 0;

  for (guint k = 0; k < G_N_ELEMENTS (fault_kinds); k++)
    {
      const FaultKind *kind = &fault_kinds[k];
      SweepStats sweep = { 0 };
      guint before_close = 0, all;
      guint kind_points = 0;

      if (only != NULL && strstr (kind->name, only) == NULL)
        continue;

      /* A clean run counts the calls there are to fail. */
      set_current (kind->name);
      all = run_once (mode, kind, 0, FALSE, &sweep, &before_close);
      g_assert_cmpuint (sweep.hit, ==, 0);

      for (guint persistent = 0; persistent <= 1; persistent++)
        {
          guint last = persistent ? before_close : all;

          for (guint nth = 1 + (k + persistent) % stride; nth <= last; nth += stride)
            {
              g_autofree char *what = g_strdup_printf ("%s %s, call %u of %u%s",
                                                       mode_names[mode], kind->name, nth,
                                                       last, persistent ? " and every one after" : "");

              set_current (what);
              run_once (mode, kind, nth, persistent, &sweep, NULL);
              kind_points++;
            }
        }

      g_test_message ("%s %s: %u calls before close, %u with close; %u runs: fault hit %u, "
                      "reported %u, absorbed by SQLite %u, connection in doubt %u, pool open failed %u",
                      mode_names[mode], kind->name, before_close, all, sweep.runs - 1,
                      sweep.hit, sweep.surfaced, sweep.absorbed, sweep.fatal, sweep.open_failed);
      g_assert_cmpuint (all, >, 0);
      points += kind_points;
      total.runs += sweep.runs;
      total.hit += sweep.hit;
      total.surfaced += sweep.surfaced;
      total.fatal += sweep.fatal;
    }
  set_current (NULL);

  g_test_message ("%s sweep: %u fault points swept (every %s; %u runs); the fault hit in %u, "
                  "reached the caller in %u, left a connection in doubt (discarded) in %u",
                  mode_names[mode], points, stride == 1 ? "call" : "few calls", total.runs,
                  total.hit, total.surfaced, total.fatal);
  if (only == NULL)
    {
      g_assert_cmpuint (total.hit, >, 0);
      g_assert_cmpuint (total.surfaced, >, 0);
      g_assert_cmpuint (total.fatal, >, 0);
    }
}

static void
test_sweep_sync (void)
{
  sweep_kinds (MODE_SYNC);
}

static void
test_sweep_async (void)
{
  sweep_kinds (MODE_ASYNC);
}

static void
test_sweep_batch (void)
{
  sweep_kinds (MODE_BATCH);
}

/* ------------------------------------------------------------------------------- */
/* The database going away, or the disk filling up, while a pool runs.            */

typedef struct
{
  DbPool *pool;
  char   *path;
  gint64  next_id;
  GArray *acked;          /* gint64: ids whose insert was acknowledged */
} Scenario;

#define SCENARIO_TABLE "CREATE TABLE IF NOT EXISTS s (id INTEGER PRIMARY KEY, pad BLOB)"

static void
scenario_init (Scenario     *sc,
               DbPoolConfig *config,
               const char   *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) conn = NULL;

  sc->pool = test_pool_new (config);
  sc->path = g_strdup (path);
  sc->next_id = 1;
  sc->acked = g_array_new (FALSE, FALSE, sizeof (gint64));
  conn = db_pool_acquire (sc->pool, DB_ACCESS_WRITE, NULL, &error);
  g_assert_no_error (error);
  db_connection_execute (conn, SCENARIO_TABLE, NULL, &error);
  g_assert_no_error (error);
}

static void
scenario_clear (Scenario *sc)
{
  g_clear_object (&sc->pool);
  g_clear_pointer (&sc->path, g_free);
  g_clear_pointer (&sc->acked, g_array_unref);
}

/* One insert on a write lease; every failure is a GError. */
static gboolean
scenario_write (Scenario  *sc,
                GError   **error)
{
  g_autoptr(DbConnection) conn = db_pool_acquire (sc->pool, DB_ACCESS_WRITE, NULL, error);
  gint64 id = sc->next_id++;

  if (conn == NULL)
    {
      g_assert (error == NULL || *error != NULL);
      return FALSE;
    }
  if (db_connection_execute (conn, "INSERT INTO s (id, pad) VALUES (?, zeroblob(3000))",
                             g_variant_new ("(x)", id), error) != 1)
    {
      g_assert (error == NULL || *error != NULL);
      return FALSE;
    }
  g_array_append_val (sc->acked, id);
  return TRUE;
}

/* The same through execute_async: the error comes back on the main loop. */
static gboolean
scenario_write_async (Scenario  *sc,
                      GError   **error)
{
  g_autoptr(GAsyncResult) res = NULL;
  gint64 id = sc->next_id++;

  db_pool_execute_async (sc->pool, "INSERT INTO s (id, pad) VALUES (?, zeroblob(3000))",
                         g_variant_new ("(x)", id), NULL, store_result, &res);
  if (db_pool_execute_finish (sc->pool, await (&res), NULL, error) != 1)
    {
      g_assert (error == NULL || *error != NULL);
      return FALSE;
    }
  g_array_append_val (sc->acked, id);
  return TRUE;
}

/* @n read leases held at once (so the pool may have to open connections), each
 * counting the acknowledged rows. */
static gboolean
scenario_read (Scenario  *sc,
               guint      n,
               GError   **error)
{
  DbConnection *leases[4] = { NULL };
  gboolean ok = TRUE;

  g_assert_cmpuint (n, <=, G_N_ELEMENTS (leases));
  for (guint i = 0; i < n && ok; i++)
    {
      g_autoptr(DbRows) rows = NULL;

      leases[i] = db_pool_acquire (sc->pool, DB_ACCESS_READ, NULL, error);
      if (leases[i] != NULL)
        rows = db_connection_query (leases[i], "SELECT count(*) FROM s", NULL, error);
      if (rows == NULL)
        {
          g_assert (error == NULL || *error != NULL);
          ok = FALSE;
        }
      else
        g_assert_cmpint (db_rows_get_int64 (rows, 0, 0), >=, (gint64) sc->acked->len);
    }
  for (guint i = 0; i < n; i++)
    g_clear_object (&leases[i]);
  return ok;
}

/* Retries a write and a three-lease read until both work, running maintenance and
 * letting the circuit breaker's cool-down pass; fails the test after 20 s. */
static void
scenario_recover (Scenario *sc)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  g_autoptr(GError) last = NULL;

  for (;;)
    {
      g_clear_error (&last);
      if (scenario_write (sc, &last) && scenario_read (sc, 3, &last))
        return;
      if (g_get_monotonic_time () > deadline)
        g_error ("the pool did not recover within 20 s once the fault was gone: %s", last->message);
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (5000);
    }
}

static DbPoolStats *
scenario_stats (Scenario *sc)
{
  return db_pool_get_stats (sc->pool);
}

/* Closes the pool and checks, through a fresh pool on the plain path, that the
 * database is intact and every acknowledged row is there. */
static void
scenario_finish (Scenario *sc)
{
  g_autoptr(DbPoolConfig) config = test_config (sc->path, 1, 1);
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) conn = NULL;
  g_autoptr(DbRows) check = NULL;
  g_autoptr(DbRows) rows = NULL;
  g_autoptr(GHashTable) present = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));

  db_pool_close (sc->pool);
  assert_closed_and_drained (sc->pool);

  pool = test_pool_new (config);
  conn = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
  g_assert_no_error (error);
  check = db_connection_query (conn, "PRAGMA integrity_check", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (db_rows_get_string (check, 0, 0), ==, "ok");
  rows = db_connection_query (conn, "SELECT id FROM s", NULL, &error);
  g_assert_no_error (error);
  g_array_set_size (ids, db_rows_get_n_rows (rows));
  for (guint i = 0; i < ids->len; i++)
    {
      g_array_index (ids, gint64, i) = db_rows_get_int64 (rows, i, 0);
      g_hash_table_add (present, &g_array_index (ids, gint64, i));
    }
  for (guint i = 0; i < sc->acked->len; i++)
    if (!g_hash_table_contains (present, &g_array_index (sc->acked, gint64, i)))
      g_error ("acknowledged row %" G_GINT64_FORMAT " is missing", g_array_index (sc->acked, gint64, i));
  g_clear_object (&conn);
  db_pool_close (pool);
}

static DbPoolConfig *
scenario_config (const char *path_or_uri)
{
  DbPoolConfig *config = test_config (path_or_uri, 2, 4);

  /* Maintenance keeps trying to refill while the database is gone; the breaker
   * fails fast meanwhile and lets a trial open through every 20 ms or so. */
  db_pool_config_set_maintenance_interval_ms (config, 10);
  db_pool_config_set_circuit_breaker_cooldown_ms (config, 20);
  db_pool_config_set_busy_timeout_ms (config, 2000);
  return config;
}

/* What failing to reach the database may look like: an I/O error from a connection
 * (which is then discarded), or failing to open a new one (perhaps fast, through the
 * circuit breaker). */
static void
assert_unreachable_error (const GError *error)
{
  g_assert_nonnull (error);
  if (!g_error_matches (error, DB_POOL_ERROR, DB_POOL_ERROR_IO) &&
      !g_error_matches (error, DB_POOL_ERROR, DB_POOL_ERROR_OPEN))
    g_error ("unexpected error while the database is unreachable: %s (%s, %d)", error->message,
             g_quark_to_string (error->domain), error->code);
}

/* Every storage call fails: the file cannot be opened, read or locked. */
static void
test_unreadable (void)
{
  g_autofree char *path = test_db_path ();
  g_autofree char *uri = g_strdup_printf ("file:%s?vfs=fault", path);
  g_autoptr(DbPoolConfig) config = scenario_config (uri);
  g_autoptr(DbPoolStats) before = NULL;
  g_autoptr(DbPoolStats) during = NULL;
  Scenario sc = { 0 };

  set_current ("unreadable");
  scenario_init (&sc, config, path);
  for (guint i = 0; i < 5; i++)
    g_assert_true (scenario_write (&sc, NULL));
  /* Every open connection has seen the table: a connection with an outdated schema
   * would report “no such table” when it cannot read, instead of the I/O error. */
  g_assert_true (scenario_read (&sc, 2, NULL));
  before = scenario_stats (&sc);

  fault_vfs_arm (FAULT_OPEN, 1, SQLITE_CANTOPEN, TRUE);
  fault_vfs_add (FAULT_READ, 1, SQLITE_IOERR_READ, TRUE);
  fault_vfs_add (FAULT_LOCK, 1, SQLITE_IOERR_LOCK, TRUE);
  fault_vfs_add (FAULT_SHM_LOCK, 1, SQLITE_IOERR_SHMLOCK, TRUE);

  /* While it lasts, everything fails, each with a GError. */
  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (i % 2 ? scenario_write_async (&sc, &error) : scenario_write (&sc, &error));
      assert_unreachable_error (error);
      g_clear_error (&error);
      g_assert_false (scenario_read (&sc, 1 + i % 3, &error));
      assert_unreachable_error (error);
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }
  during = scenario_stats (&sc);
  g_assert_cmpuint (during->current_active_connections, ==, 0);
  /* The connections that hit the errors were discarded, failed reopens counted. */
  g_assert_cmpuint (during->connection_errors, >, before->connection_errors);
  g_assert_cmpuint (during->total_connections_destroyed, >, before->total_connections_destroyed);
  g_test_message ("unreadable: %" G_GUINT64_FORMAT " connection errors, %" G_GUINT64_FORMAT
                  " connections discarded", during->connection_errors - before->connection_errors,
                  during->total_connections_destroyed - before->total_connections_destroyed);

  fault_vfs_disarm ();
  scenario_recover (&sc);
  scenario_finish (&sc);
  set_current (NULL);
  scenario_clear (&sc);
}

/* Leases @n connections at once without using them: beyond the connections already
 * open, the pool has to open new ones. */
static gboolean
scenario_hold (Scenario  *sc,
               guint      n,
               GError   **error)
{
  DbConnection *leases[4] = { NULL };
  gboolean ok = TRUE;

  g_assert_cmpuint (n, <=, G_N_ELEMENTS (leases));
  for (guint i = 0; i < n && ok; i++)
    ok = (leases[i] = db_pool_acquire (sc->pool, DB_ACCESS_READ, NULL, error)) != NULL;
  for (guint i = 0; i < n; i++)
    g_clear_object (&leases[i]);
  return ok;
}

/* The directory holding the database is renamed away and back. The connections
 * already open keep their files, so they go on working on the one database (it only
 * moved); new connections cannot be opened. No lease may see a database without
 * what was committed. */
static void
test_directory_moved (void)
{
  g_autofree char *path = test_db_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *moved = g_strconcat (dir, ".moved", NULL);
  g_autoptr(DbPoolConfig) config = scenario_config (path);
  g_autoptr(DbPoolStats) before = NULL;
  g_autoptr(DbPoolStats) during = NULL;
  Scenario sc = { 0 };
  guint n_open;

  set_current ("directory-moved");
  scenario_init (&sc, config, path);
  for (guint i = 0; i < 5; i++)
    g_assert_true (scenario_write (&sc, NULL));
  before = scenario_stats (&sc);
  /* min-connections = 2: both are open, one of them never used since the table was
   * created. */
  n_open = before->total_connections_created - before->total_connections_destroyed;
  g_assert_cmpuint (n_open, ==, 2);

  g_assert_cmpint (g_rename (dir, moved), ==, 0);
  for (guint i = 0; i < 10; i++)
    {
      g_autoptr(GError) error = NULL;

      /* Writing and reading through the open connections work on the database as it
       * is, or fail for lack of a connection (maintenance may have one out for a
       * checkpoint), or with an I/O error; never “no such table”. */
      if (!scenario_write (&sc, &error))
        {
          assert_unreachable_error (error);
          g_clear_error (&error);
        }
      if (!scenario_read (&sc, n_open, &error))
        {
          assert_unreachable_error (error);
          g_clear_error (&error);
        }
      /* One more connection than there are cannot be opened. */
      g_assert_false (scenario_hold (&sc, n_open + 1, &error));
      g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_OPEN);
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }
  during = scenario_stats (&sc);
  g_assert_cmpuint (during->current_active_connections, ==, 0);
  g_assert_cmpuint (during->connection_errors, >, before->connection_errors);

  g_assert_cmpint (g_rename (moved, dir), ==, 0);
  scenario_recover (&sc);
  g_assert_true (scenario_hold (&sc, 4, NULL));
  /* Rows acknowledged while the directory was away are there too. */
  scenario_finish (&sc);
  set_current (NULL);
  scenario_clear (&sc);
}

/* The database file and its -wal and -shm are deleted under the running pool. The
 * acknowledged data is gone with them. What must hold: the pool does not quietly
 * create a new, empty database in its place (new connections fail instead, counted
 * as connection errors), every operation ends with a result or a GError, nothing
 * hangs or leaks, and the pool closes cleanly. */
static void
test_file_deleted (void)
{
  g_autofree char *path = test_db_path ();
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);
  g_autoptr(DbPoolConfig) config = scenario_config (path);
  g_autoptr(DbPoolStats) before = NULL;
  g_autoptr(DbPoolStats) stats = NULL;
  Scenario sc = { 0 };
  guint failures = 0;

  set_current ("file-deleted");
  scenario_init (&sc, config, path);
  for (guint i = 0; i < 5; i++)
    g_assert_true (scenario_write (&sc, NULL));
  before = scenario_stats (&sc);

  g_assert_cmpint (g_unlink (path), ==, 0);
  g_unlink (wal);
  g_unlink (shm);
  for (guint i = 0; i < 10; i++)
    {
      g_autoptr(GError) error = NULL;

      if (!(i % 2 ? scenario_write_async (&sc, &error) : scenario_write (&sc, &error)))
        {
          g_assert_true (error->domain == DB_POOL_ERROR);
          g_clear_error (&error);
          failures++;
        }
      if (!scenario_read (&sc, 1 + i % 2, &error))
        {
          g_assert_true (error->domain == DB_POOL_ERROR);
          g_clear_error (&error);
          failures++;
        }
      /* A connection beyond those open cannot be had: there is no database to open. */
      g_assert_false (scenario_hold (&sc, 4, &error));
      g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_OPEN);
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }
  g_test_message ("file deleted: %u of 20 operations on the connections already open failed",
                  failures);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  stats = scenario_stats (&sc);
  g_assert_cmpuint (stats->current_active_connections, ==, 0);
  g_assert_cmpuint (stats->connection_errors, >, before->connection_errors);
  db_pool_close (sc.pool);
  assert_closed_and_drained (sc.pool);
  set_current (NULL);
  scenario_clear (&sc);
}

/* Every write and truncate fails with SQLITE_FULL, as on a full disk. */
static void
test_disk_full (void)
{
  g_autofree char *path = test_db_path ();
  g_autofree char *uri = g_strdup_printf ("file:%s?vfs=fault", path);
  g_autoptr(DbPoolConfig) config = scenario_config (uri);
  g_autoptr(DbPoolStats) before = NULL;
  g_autoptr(DbPoolStats) during = NULL;
  Scenario sc = { 0 };

  set_current ("disk-full");
  scenario_init (&sc, config, path);
  for (guint i = 0; i < 5; i++)
    g_assert_true (scenario_write (&sc, NULL));
  before = scenario_stats (&sc);

  fault_vfs_arm (FAULT_WRITE, 1, SQLITE_FULL, TRUE);
  fault_vfs_add (FAULT_TRUNCATE, 1, SQLITE_FULL, TRUE);
  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(GError) error = NULL;

      /* Writes fail, saying why... */
      g_assert_false (i % 2 ? scenario_write_async (&sc, &error) : scenario_write (&sc, &error));
      g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_IO);
      g_assert_nonnull (strstr (error->message, sqlite3_errstr (SQLITE_FULL)));
      g_clear_error (&error);
      /* ... reads of what is there go on. */
      g_assert_true (scenario_read (&sc, 1 + i % 3, &error));
      g_assert_no_error (error);
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }
  g_assert_cmpuint (fault_vfs_injected (), >=, 20);
  during = scenario_stats (&sc);
  g_assert_cmpuint (during->current_active_connections, ==, 0);
  /* A full disk is counted in connection-errors, though the connections stay in use
   * (it is not a connection in doubt). */
  g_assert_cmpuint (during->connection_errors, >=, before->connection_errors + 20);
  g_test_message ("disk full: 20 writes refused, 20 reads served; connection errors %"
                  G_GUINT64_FORMAT ", connections closed %" G_GUINT64_FORMAT,
                  during->connection_errors - before->connection_errors,
                  during->total_connections_destroyed - before->total_connections_destroyed);

  fault_vfs_disarm ();
  scenario_recover (&sc);
  scenario_finish (&sc);
  set_current (NULL);
  scenario_clear (&sc);
}

int
main (int    argc,
      char **argv)
{
  GThread *dog;
  int ret;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  fault_vfs_register ();
  signal (SIGABRT, on_abort);
  g_mutex_init (&current.lock);
  g_cond_init (&current.cond);
  dog = g_thread_new ("fault-watchdog", watchdog_thread, NULL);

  g_test_add_func ("/faults/sweep-sync", test_sweep_sync);
  g_test_add_func ("/faults/sweep-async", test_sweep_async);
  g_test_add_func ("/faults/sweep-batch", test_sweep_batch);
  g_test_add_func ("/faults/unreadable", test_unreadable);
  g_test_add_func ("/faults/directory-moved", test_directory_moved);
  g_test_add_func ("/faults/file-deleted", test_file_deleted);
  g_test_add_func ("/faults/disk-full", test_disk_full);

  ret = g_test_run ();

  g_mutex_lock (&current.lock);
  current.done = TRUE;
  g_cond_signal (&current.cond);
  g_mutex_unlock (&current.lock);
  g_thread_join (dog);
  return ret;
}
