/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Opening and setting up one SQLite handle, and its prepared-statement cache. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "db-error-private.h"
#include "db-sqlite-private.h"
#include "db-tuning-private.h"

struct _DbStmtEntry
{
  GList         link;     /* in DbConn.lru; data = self */
  char         *sql;
  sqlite3_stmt *stmt;
  gboolean      in_use;   /* checked out: nobody else may step it */
  gboolean      evicted;  /* left the cache while in use: freed at check-in */
};

void
_db_sqlite_global_init (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      /* SQLite's global memory statistics take a process-wide mutex on every
       * allocation, serializing all connections. They can only be switched off before
       * SQLite initializes; if the application initialized it first, its choice stands
       * (sqlite3_config then returns SQLITE_MISUSE, which is fine). */
      if (sqlite3_config (SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK)
        g_debug ("SQLite was initialized before dbpool; leaving memory statistics as set");
      sqlite3_initialize ();

      /* Each handle is used by one thread at a time, which needs at least SQLite's
       * multi-thread mode. */
      if (sqlite3_threadsafe () == 0)
        g_critical ("dbpool: this SQLite was built with SQLITE_THREADSAFE=0 and cannot be pooled");

      g_once_init_leave (&initialized, 1);
    }
}

void
_db_conn_settings_clear (DbConnSettings *settings)
{
  g_clear_pointer (&settings->path, g_free);
}

static void
stmt_entry_free (gpointer data)
{
  DbStmtEntry *entry = data;

  sqlite3_finalize (entry->stmt);
  g_free (entry->sql);
  g_free (entry);
}

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
exec_setup (sqlite3     *db,
            const char  *path,
            const char  *sql,
            GError     **error)
{
  char *errmsg = NULL;
  int rc = sqlite3_exec (db, sql, NULL, NULL, &errmsg);

  if (rc != SQLITE_OK)
    {
      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_OPEN,
                   "Cannot set up database “%s”: %s (SQLite %s) in “%s”",
                   path, errmsg ? errmsg : sqlite3_errstr (rc), sqlite3_errstr (rc), sql);
      sqlite3_free (errmsg);
      return FALSE;
    }
  return TRUE;
}

static gboolean
enable_wal (sqlite3     *db,
            const char  *path,
            GError     **error)
{
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

DbConn *
_db_conn_open (const DbConnSettings  *settings,
               GError               **error)
{
  gboolean may_create = g_atomic_int_get (&settings->may_create);
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI |
                    SQLITE_OPEN_EXRESCODE | (may_create ? SQLITE_OPEN_CREATE : 0);
  sqlite3 *db = NULL;
  DbConn *conn;
  int rc;

  _db_sqlite_global_init ();

  if (may_create && !create_private_file (settings->path, error))
    return NULL;

  rc = sqlite3_open_v2 (settings->path, &db, flags, NULL);
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

  if ((settings->enable_wal && !enable_wal (db, settings->path, error)) ||
      !exec_setup (db, settings->path, synchronous_pragma (settings->synchronous), error) ||
      /* temp tables in memory; 8 MiB page cache per connection. mmap stays off: a
       * database truncated or removed under a mapping turns I/O errors into SIGBUS. */
      !exec_setup (db, settings->path,
                   "PRAGMA foreign_keys=ON;"
                   "PRAGMA temp_store=MEMORY;"
                   "PRAGMA cache_size=-8192", error) ||
      /* Read the schema now: this opens the WAL while the files are where they were
       * found. A connection that opened it lazily, later, would read the main file
       * alone (committed tables "missing") once the files moved or could not be
       * opened. */
      !exec_setup (db, settings->path, "SELECT count(*) FROM sqlite_schema", error))
    {
      sqlite3_close_v2 (db);
      return NULL;
    }

  conn = g_new0 (DbConn, 1);
  conn->link.data = conn;
  conn->db = db;
  conn->cache_capacity = settings->statement_cache_size;
  conn->stmt_cache = g_hash_table_new (g_str_hash, g_str_equal);
  conn->created_at_us = conn->last_used_us = g_get_monotonic_time ();
  conn->query_only = 0;

  return conn;
}

void
_db_conn_close (DbConn *conn)
{
  GList *l;

  if (conn == NULL)
    return;

  while ((l = g_queue_pop_head_link (&conn->lru)) != NULL)
    stmt_entry_free (l->data);
  g_clear_pointer (&conn->stmt_cache, g_hash_table_unref);
  g_clear_pointer (&conn->query_only_on, sqlite3_finalize);
  g_clear_pointer (&conn->query_only_off, sqlite3_finalize);

  if (conn->checkpoint_on_close && conn->last_fatal_rc == 0)
    _db_conn_checkpoint (conn, SQLITE_CHECKPOINT_TRUNCATE);

  if (sqlite3_close (conn->db) != SQLITE_OK)
    {
      g_warning ("dbpool: closing a connection failed: %s", sqlite3_errmsg (conn->db));
      sqlite3_close_v2 (conn->db);
    }
  g_free (conn);
}

gboolean
_db_conn_check_not_moved (DbConn  *conn,
                          GError **error)
{
  int moved = 0;

  if (sqlite3_file_control (conn->db, "main", SQLITE_FCNTL_HAS_MOVED, &moved) != SQLITE_OK ||
      !moved)
    return TRUE;

  _db_conn_note_result (conn, SQLITE_IOERR);
  g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_IO,
               "The database file “%s” was deleted, renamed or replaced while in use",
               sqlite3_db_filename (conn->db, "main"));
  return FALSE;
}

gboolean
_db_conn_checkpoint (DbConn *conn,
                     int     mode)
{
  int rc = sqlite3_wal_checkpoint_v2 (conn->db, NULL, mode, NULL, NULL);

  _db_conn_note_result (conn, rc);
  return rc == SQLITE_OK;
}

void
_db_conn_note_result (DbConn *conn,
                      int     rc)
{
  if (_db_sqlite_rc_is_fatal (rc) && conn->last_fatal_rc == 0)
    conn->last_fatal_rc = rc;
  /* A full disk leaves the connection usable, but it is a storage failure the
   * connection-errors stat should show. */
  if ((rc & 0xff) == SQLITE_FULL)
    conn->full_errors++;
}

static gboolean
is_blank (const char *tail)
{
  while (*tail && g_ascii_isspace (*tail))
    tail++;
  return *tail == '\0';
}

/* Prepares exactly one statement from @sql; a second one in the text is an error
 * (it would silently never run). */
static sqlite3_stmt *
prepare_one (DbConn      *conn,
             const char  *sql,
             gboolean     persistent,
             GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  const char *tail = NULL;
  int rc;

  rc = sqlite3_prepare_v3 (conn->db, sql, -1, persistent ? SQLITE_PREPARE_PERSISTENT : 0,
                           &stmt, &tail);
  if (rc != SQLITE_OK)
    {
      _db_conn_note_result (conn, rc);
      _db_set_error_from_sqlite (error, conn->db, rc, sql);
      return NULL;
    }
  if (stmt == NULL)
    {
      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE,
                   "The SQL text holds no statement");
      return NULL;
    }
  if (tail != NULL && !is_blank (tail))
    {
      sqlite3_stmt *next = NULL;

      /* A tail of only comments prepares to nothing; anything else is a second
       * statement that would silently never run. */
      rc = sqlite3_prepare_v2 (conn->db, tail, -1, &next, NULL);
      if (rc != SQLITE_OK || next != NULL)
        {
          g_autofree char *first = g_strndup (sql, tail - sql);

          sqlite3_finalize (next);
          sqlite3_finalize (stmt);
          g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE,
                       "More than one statement in “%s...”; use execute_script() for scripts",
                       g_strstrip (first));
          return NULL;
        }
    }
  return stmt;
}

/* Drops the least recently used entries beyond the capacity. One still checked out
 * (a DbStatement holds it) leaves the cache now and is freed at check-in. */
/* The statement for one SQL string is usually asked for with the same pointer (a
 * literal, a constant) again and again: a slot picked by the pointer remembers the
 * entry, and a string comparison, cheaper than hashing the text, confirms it. */
static inline guint
memo_slot (const char *sql)
{
  return ((guintptr) sql >> 3) % G_N_ELEMENTS (((DbConn *) NULL)->memo);
}

static DbStmtEntry *
lookup_entry (DbConn     *conn,
              const char *sql)
{
  guint slot = memo_slot (sql);
  DbStmtEntry *entry = conn->memo[slot];

  if (!_db_tuning.statement_memo)
    return g_hash_table_lookup (conn->stmt_cache, sql);
  if (entry != NULL && strcmp (entry->sql, sql) == 0)
    return entry;
  entry = g_hash_table_lookup (conn->stmt_cache, sql);
  if (entry != NULL)
    conn->memo[slot] = entry;
  return entry;
}

static void
forget_entry (DbConn      *conn,
              DbStmtEntry *entry)
{
  for (guint i = 0; i < G_N_ELEMENTS (conn->memo); i++)
    if (conn->memo[i] == entry)
      conn->memo[i] = NULL;
  g_hash_table_remove (conn->stmt_cache, entry->sql);
}

static void
trim_cache (DbConn *conn)
{
  while (conn->lru.length > conn->cache_capacity)
    {
      GList *oldest = g_queue_pop_tail_link (&conn->lru);
      DbStmtEntry *victim = oldest->data;

      forget_entry (conn, victim);
      if (victim->in_use)
        victim->evicted = TRUE;
      else
        stmt_entry_free (victim);
    }
}

sqlite3_stmt *
_db_conn_checkout_statement (DbConn       *conn,
                             const char   *sql,
                             DbStmtEntry **entry_out,
                             GError      **error)
{
  DbStmtEntry *entry = NULL;
  sqlite3_stmt *stmt;

  *entry_out = NULL;
  if (conn->cache_capacity > 0)
    entry = lookup_entry (conn, sql);

  if (entry != NULL && !entry->in_use)
    {
      if (conn->lru.head != &entry->link)
        {
          g_queue_unlink (&conn->lru, &entry->link);
          g_queue_push_head_link (&conn->lru, &entry->link);
        }
      entry->in_use = TRUE;
      *entry_out = entry;
      return entry->stmt;
    }

  /* The same SQL already checked out (a DbStatement still holds it): a private
   * copy, finalized at check-in, so neither resets the other's rows. */
  if (entry != NULL || conn->cache_capacity == 0)
    return prepare_one (conn, sql, FALSE, error);

  stmt = prepare_one (conn, sql, TRUE, error);
  if (stmt == NULL)
    return NULL;

  entry = g_new0 (DbStmtEntry, 1);
  entry->link.data = entry;
  entry->sql = g_strdup (sql);
  entry->stmt = stmt;
  entry->in_use = TRUE;
  g_hash_table_insert (conn->stmt_cache, entry->sql, entry);
  g_queue_push_head_link (&conn->lru, &entry->link);
  trim_cache (conn);

  *entry_out = entry;
  return stmt;
}

void
_db_conn_checkin_statement (DbConn       *conn,
                            sqlite3_stmt *stmt,
                            DbStmtEntry  *entry)
{
  if (stmt == NULL)
    return;

  if (entry == NULL)
    {
      sqlite3_finalize (stmt);
      return;
    }
  g_assert (entry->stmt == stmt && entry->in_use);

  entry->in_use = FALSE;
  if (entry->evicted)
    {
      stmt_entry_free (entry);
      return;
    }
  /* Drop the bindings too: nothing bound for one caller may leak into the next. */
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

int
_db_stmt_run_to_done (sqlite3_stmt *stmt,
                      gint64       *changes)
{
  sqlite3 *db = sqlite3_db_handle (stmt);
  /* sqlite3_changes64() keeps the count of the last INSERT/UPDATE/DELETE: after a
   * SELECT or DDL it would report that earlier statement's rows. */
  gint64 total_before = sqlite3_total_changes64 (db);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    ;
  *changes = sqlite3_total_changes64 (db) != total_before ? sqlite3_changes64 (db) : 0;
  return rc;
}

gboolean
_db_conn_set_query_only (DbConn    *conn,
                         gboolean   query_only,
                         GError   **error)
{
  sqlite3_stmt **slot = query_only ? &conn->query_only_on : &conn->query_only_off;
  int rc;

  if (conn->query_only == (query_only ? 1 : 0))
    return TRUE;

  if (*slot == NULL)
    {
      rc = sqlite3_prepare_v3 (conn->db,
                               query_only ? "PRAGMA query_only=1" : "PRAGMA query_only=0",
                               -1, SQLITE_PREPARE_PERSISTENT, slot, NULL);
      if (rc != SQLITE_OK)
        {
          _db_set_error_from_sqlite (error, conn->db, rc, NULL);
          return FALSE;
        }
    }

  rc = sqlite3_step (*slot);
  sqlite3_reset (*slot);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    {
      _db_conn_note_result (conn, rc);
      _db_set_error_from_sqlite (error, conn->db, rc, NULL);
      conn->query_only = -1;
      return FALSE;
    }
  conn->query_only = query_only ? 1 : 0;
  return TRUE;
}

gboolean
_db_conn_reset_for_reuse (DbConn *conn)
{
  sqlite3_stmt *stmt = NULL;

  /* Statements left mid-step by a raw handle user would hold a read snapshot open and
   * block checkpoints. dbpool's own statements are reset by the time they are
   * checked in or detached, so the walk is needed only after the handle was out. */
  if (conn->handle_exposed)
    {
      while ((stmt = sqlite3_next_stmt (conn->db, stmt)) != NULL)
        if (sqlite3_stmt_busy (stmt))
          sqlite3_reset (stmt);
      conn->handle_exposed = FALSE;
    }

  if (!sqlite3_get_autocommit (conn->db))
    {
      int rc = sqlite3_exec (conn->db, "ROLLBACK", NULL, NULL, NULL);

      _db_conn_note_result (conn, rc);
      if (rc != SQLITE_OK && !sqlite3_get_autocommit (conn->db))
        return FALSE;
    }

  return conn->last_fatal_rc == 0;
}
