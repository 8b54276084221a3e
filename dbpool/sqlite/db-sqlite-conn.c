/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Opening and setting up one SQLite handle, and what the pool does with it between
 * leases. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "db-sqlite-conn-private.h"
#include "db-sqlite-private.h"

/* The file a database name refers to: a plain path, or the path of a "file:" URI
 * (percent-decoded, without its query). NULL when it names no file on disk. */
static char *
database_file_path (const char *name)
{
  const char *path = name;
  g_autofree char *raw = NULL;

  if (!g_str_has_prefix (name, "file:"))
    return g_strdup (name);

  path = name + strlen ("file:");
  if (g_str_has_prefix (path, "///"))
    path += 2;
  else if (g_str_has_prefix (path, "//localhost/"))
    path += strlen ("//localhost");
  else if (g_str_has_prefix (path, "//"))
    return NULL;   /* another authority: SQLite refuses it anyway */

  raw = g_strndup (path, strcspn (path, "?#"));
  return g_uri_unescape_string (raw, NULL);
}

/* New database files are owner-only: create the file ourselves with mode 0600 before
 * SQLite opens it (SQLite's -wal and -shm files copy the main file's mode). */
static gboolean
create_private_file (const char  *name,
                     GError     **error)
{
  g_autofree char *path = database_file_path (name);
  int fd;

  if (path == NULL || *path == '\0')
    return TRUE;

  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0)
    {
      close (fd);
      return TRUE;
    }
  if (errno == EEXIST)
    return TRUE;

  {
    int saved_errno = errno;
    g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_OPEN,
                 "Cannot create database file “%s”: %s", path, g_strerror (saved_errno));
  }
  return FALSE;
}

static gboolean
exec_setup (sqlite3                  *db,
            const DbBackendSettings  *settings,
            const char               *sql,
            GError                  **error)
{
  const char *path = settings->path;
  char *errmsg = NULL;
  int rc = sqlite3_exec (db, sql, NULL, NULL, &errmsg);

  if (rc != SQLITE_OK)
    {
      if ((rc & 0xff) == SQLITE_BUSY)
        _db_sqlite_set_busy_error (db, path, settings->exclusive, rc, error);
      else
        g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_OPEN,
                     "Cannot set up database “%s”: %s (SQLite %s) in “%s”",
                     path, errmsg ? errmsg : sqlite3_errstr (rc), sqlite3_errstr (rc), sql);
      sqlite3_free (errmsg);
      return FALSE;
    }
  return TRUE;
}

static gboolean
enable_wal (sqlite3                  *db,
            const DbBackendSettings  *settings,
            GError                  **error)
{
  const char *path = settings->path;
  sqlite3_stmt *stmt = NULL;
  g_autofree char *mode = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (db, "PRAGMA journal_mode=WAL", -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        {
          mode = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
          rc = SQLITE_OK;
        }
    }
  if (rc != SQLITE_OK)
    {
      if ((rc & 0xff) == SQLITE_BUSY)
        _db_sqlite_set_busy_error (db, path, settings->exclusive, rc, error);
      else
        g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_OPEN,
                     "Cannot enable WAL on “%s”: %s (SQLite %s)",
                     path, sqlite3_errmsg (db), sqlite3_errstr (rc));
      sqlite3_finalize (stmt);
      return FALSE;
    }
  sqlite3_finalize (stmt);

  /* journal_mode silently keeps the old mode where WAL is impossible (some VFSes,
   * network file systems); the pool's one-writer/many-readers model relies on it. */
  if (g_ascii_strcasecmp (mode ? mode : "", "wal") != 0)
    {
      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_OPEN,
                   "Cannot enable WAL on “%s”: journal_mode stayed “%s”",
                   path, mode ? mode : "(none)");
      return FALSE;
    }
  return TRUE;
}

static const char *
synchronous_pragma (DbSynchronous synchronous)
{
  switch (synchronous)
    {
    case DB_SYNCHRONOUS_OFF:
      return "PRAGMA synchronous=OFF";
    case DB_SYNCHRONOUS_FULL:
      return "PRAGMA synchronous=FULL";
    case DB_SYNCHRONOUS_EXTRA:
      return "PRAGMA synchronous=EXTRA";
    case DB_SYNCHRONOUS_NORMAL:
    default:
      return "PRAGMA synchronous=NORMAL";
    }
}

/* Virtual machine steps between two looks at the interrupt flag: cheap enough not to
 * show in a point read, which finishes before the first look. */
#define PROGRESS_OPCODES 1000

static int
interrupted_cb (void *data)
{
  DbSqliteConn *conn = data;

  return g_atomic_int_get (&conn->interrupted);
}

DbBackendConn *
_db_sqlite_open (const DbBackendSettings  *settings,
                 GError                  **error)
{
  gboolean may_create = g_atomic_int_get (&settings->may_create);
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI |
                    SQLITE_OPEN_EXRESCODE | (may_create ? SQLITE_OPEN_CREATE : 0);
  sqlite3 *db = NULL;
  DbSqliteConn *conn;
  int rc;

  _db_sqlite_global_init ();

  if (may_create && !create_private_file (settings->path, error))
    return NULL;

  /* Exclusive mode is SQLite's unix-excl VFS: the first lock any connection of this
   * process takes on the file becomes one write lock that shuts out every other
   * process until the last connection here closes; between the connections of this
   * process locking goes on as usual (locking_mode stays NORMAL: EXCLUSIVE would
   * let one connection shut out the pool's others), kept in memory, and the WAL
   * index lives in heap memory shared by them instead of a -shm file. A "vfs=" in a
   * URI path still wins; _db_sqlite_check_exclusive() catches one that locks nothing
   * out. */
  rc = sqlite3_open_v2 (settings->path, &db, flags, settings->exclusive ? "unix-excl" : NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_OPEN,
                   "Cannot open database “%s”: %s (SQLite %s)", settings->path,
                   db ? sqlite3_errmsg (db) : sqlite3_errstr (rc), sqlite3_errstr (rc));
      sqlite3_close_v2 (db);
      return NULL;
    }

  sqlite3_extended_result_codes (db, 1);
  /* Security defaults: no schema tricks through writable_schema and friends, no
   * functions with side effects from views or triggers, no extensions. */
  sqlite3_db_config (db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
  sqlite3_db_config (db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
  sqlite3_db_config (db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
  sqlite3_busy_timeout (db, (int) MIN (settings->busy_timeout_ms, (guint) G_MAXINT));

  if ((settings->enable_wal && !enable_wal (db, settings, error)) ||
      !exec_setup (db, settings, synchronous_pragma (settings->synchronous), error) ||
      /* temp tables in memory; 8 MiB page cache per connection. mmap stays off: a
       * database truncated or removed under a mapping turns I/O errors into SIGBUS. */
      !exec_setup (db, settings,
                   "PRAGMA foreign_keys=ON;"
                   "PRAGMA temp_store=MEMORY;"
                   "PRAGMA cache_size=-8192", error) ||
      /* Read the schema now: this opens the WAL while the files are where they were
       * found. A connection that opened it lazily, later, would read the main file
       * alone (committed tables "missing") once the files moved or could not be
       * opened. */
      !exec_setup (db, settings, "SELECT count(*) FROM sqlite_schema", error) ||
      (settings->exclusive && !_db_sqlite_check_exclusive (db, settings->path, error)))
    {
      sqlite3_close_v2 (db);
      return NULL;
    }

  conn = g_new0 (DbSqliteConn, 1);
  conn->base.backend = &_db_sqlite_backend;
  conn->base.created_at_us = conn->base.last_used_us = g_get_monotonic_time ();
  conn->db = db;
  conn->cache_capacity = settings->statement_cache_size;
  conn->stmt_cache = g_hash_table_new (g_str_hash, g_str_equal);
  conn->query_only = 0;
  /* sqlite3_interrupt() only stops statements already running: one that was about to
   * start when the interrupt came would run to its end. The progress handler makes the
   * interrupt stick: a statement that runs long enough to be worth stopping checks
   * the flag as it goes. */
  sqlite3_progress_handler (db, PROGRESS_OPCODES, interrupted_cb, conn);

  return &conn->base;
}

void
_db_sqlite_close (DbBackendConn *base,
                  gboolean       truncate_log)
{
  DbSqliteConn *conn = _db_sqlite_conn (base);

  if (conn == NULL)
    return;

  _db_sqlite_cache_clear (conn);
  g_clear_pointer (&conn->stmt_cache, g_hash_table_unref);
  g_clear_pointer (&conn->query_only_on, sqlite3_finalize);
  g_clear_pointer (&conn->query_only_off, sqlite3_finalize);

  /* A connection in doubt writes nothing more, not even a checkpoint. */
  if (truncate_log && !conn->base.broken)
    _db_sqlite_checkpoint (base, DB_CHECKPOINT_TRUNCATE);

  if (sqlite3_close (conn->db) != SQLITE_OK)
    {
      g_warning ("dbpool: closing a connection failed: %s", sqlite3_errmsg (conn->db));
      sqlite3_close_v2 (conn->db);
    }
  g_free (conn);
}

gboolean
_db_sqlite_check_not_moved (DbBackendConn  *base,
                            GError        **error)
{
  DbSqliteConn *conn = _db_sqlite_conn (base);
  int moved = 0;

  if (sqlite3_file_control (conn->db, "main", SQLITE_FCNTL_HAS_MOVED, &moved) != SQLITE_OK ||
      !moved)
    return TRUE;

  _db_sqlite_note_result (conn, SQLITE_IOERR);
  g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_IO,
               "The database file “%s” was deleted, renamed or replaced while in use",
               sqlite3_db_filename (conn->db, "main"));
  return FALSE;
}

gboolean
_db_sqlite_checkpoint (DbBackendConn    *base,
                       DbCheckpointMode  mode)
{
  DbSqliteConn *conn = _db_sqlite_conn (base);
  int rc = sqlite3_wal_checkpoint_v2 (conn->db, NULL,
                                      mode == DB_CHECKPOINT_TRUNCATE ? SQLITE_CHECKPOINT_TRUNCATE
                                                                     : SQLITE_CHECKPOINT_PASSIVE,
                                      NULL, NULL);

  _db_sqlite_note_result (conn, rc);
  return rc == SQLITE_OK;
}

gboolean
_db_sqlite_set_read_only (DbBackendConn  *base,
                          gboolean        read_only,
                          GError        **error)
{
  DbSqliteConn *conn = _db_sqlite_conn (base);
  sqlite3_stmt **slot = read_only ? &conn->query_only_on : &conn->query_only_off;
  int rc;

  if (conn->query_only == (read_only ? 1 : 0))
    return TRUE;

  if (*slot == NULL)
    {
      rc = sqlite3_prepare_v3 (conn->db,
                               read_only ? "PRAGMA query_only=1" : "PRAGMA query_only=0",
                               -1, SQLITE_PREPARE_PERSISTENT, slot, NULL);
      if (rc != SQLITE_OK)
        {
          _db_sqlite_set_error (conn, error, rc, NULL);
          return FALSE;
        }
    }

  rc = sqlite3_step (*slot);
  sqlite3_reset (*slot);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    {
      _db_sqlite_set_error (conn, error, rc, NULL);
      conn->query_only = -1;
      return FALSE;
    }
  conn->query_only = read_only ? 1 : 0;
  return TRUE;
}

int
_db_sqlite_get_read_only (DbBackendConn *base)
{
  return _db_sqlite_conn (base)->query_only;
}

gboolean
_db_sqlite_reset_for_reuse (DbBackendConn *base)
{
  DbSqliteConn *conn = _db_sqlite_conn (base);
  sqlite3_stmt *stmt = NULL;

  /* Statements left mid-step by a raw handle user would hold a read snapshot open and
   * block checkpoints. dbpool's own statements are reset by the time they are
   * checked in or detached, so the walk is needed only after the handle was out. */
  if (conn->base.handle_exposed)
    {
      while ((stmt = sqlite3_next_stmt (conn->db, stmt)) != NULL)
        if (sqlite3_stmt_busy (stmt))
          sqlite3_reset (stmt);
      conn->base.handle_exposed = FALSE;
    }

  /* No interrupt is pending past the lease that asked for it (nobody interrupts a
   * connection the pool holds). */
  g_atomic_int_set (&conn->interrupted, FALSE);

  if (!sqlite3_get_autocommit (conn->db))
    {
      int rc = sqlite3_exec (conn->db, "ROLLBACK", NULL, NULL, NULL);

      _db_sqlite_note_result (conn, rc);
      if (rc != SQLITE_OK && !sqlite3_get_autocommit (conn->db))
        return FALSE;
    }

  return !conn->base.broken;
}

void
_db_sqlite_interrupt (DbBackendConn *base)
{
  DbSqliteConn *conn = _db_sqlite_conn (base);

  /* First the flag, then the interrupt: the failure it causes must find the flag
   * set. sqlite3_interrupt() is thread-safe; a statement that is not running
   * ignores it. */
  g_atomic_int_set (&conn->interrupted, TRUE);
  sqlite3_interrupt (conn->db);
}

void
_db_sqlite_start_job (DbBackendConn *base)
{
  DbSqliteConn *conn = _db_sqlite_conn (base);

  /* A late sqlite3_interrupt() needs no undoing: SQLite forgets it when the next
   * statement starts with none running. */
  g_atomic_int_set (&conn->interrupted, FALSE);
  sqlite3_set_last_insert_rowid (conn->db, 0);
}

gpointer
_db_sqlite_get_handle (DbBackendConn *base)
{
  return _db_sqlite_conn (base)->db;
}

gboolean
_db_sqlite_in_transaction (DbBackendConn *base)
{
  return !sqlite3_get_autocommit (_db_sqlite_conn (base)->db);
}

gint64
_db_sqlite_last_insert_rowid (DbBackendConn *base)
{
  return sqlite3_last_insert_rowid (_db_sqlite_conn (base)->db);
}
