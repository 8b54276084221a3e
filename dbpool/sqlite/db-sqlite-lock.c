/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who holds a database file's SQLite locks, as the kernel lists them in /proc/locks,
 * and the errors exclusive mode gives from it.
 *
 * Exclusive mode (SQLite's "unix-excl" VFS) takes one POSIX write lock over the
 * file's shared-lock bytes the first time any connection of the process locks the
 * file, and keeps it until the process's last connection to the file closes. Two
 * things need to know who holds that range:
 *  - an exclusive open checks that it really got the lock: if the process already
 *    had the file open without exclusive mode, SQLite joins that connection's
 *    ordinary locking instead, and other processes would not be kept out;
 *  - a SQLITE_BUSY at open is explained by the process that holds the file.
 *
 * The file itself is never opened here: closing any descriptor of a file drops every
 * POSIX lock the process holds on it, the exclusive lock included. Only Linux has
 * /proc/locks; elsewhere nothing is known and the callers say less. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db-sqlite-conn-private.h"

typedef struct
{
  gboolean  self_write;    /* this process holds them exclusively (unix-excl) */
  gboolean  self_read;     /* this process holds a SHARED lock the ordinary way */
  gint64    other_pid;     /* another process that holds a lock there, 0 if none */
  gboolean  other_write;   /* ... and its lock is exclusive */
} DbSqliteLockInfo;

/* SQLite's lock bytes with the default pending byte (os.h): the shared range that
 * SHARED locks read-lock and that EXCLUSIVE and unix-excl write-lock. */
#define SQLITE_PENDING_BYTE  0x40000000
#define SQLITE_SHARED_FIRST  (SQLITE_PENDING_BYTE + 2)
#define SQLITE_SHARED_SIZE   510

/* One line of /proc/locks, e.g.
 *   "3: POSIX  ADVISORY  WRITE 4711 fe:00:11026506 1073741826 1073742335"
 * (a waiter's line has "->" after the number). FALSE for lines that are not a held
 * POSIX lock. */
static gboolean
parse_lock_line (const char *line,
                 gboolean   *write,
                 gint64     *pid,
                 guint64    *inode,
                 guint64    *start,
                 guint64    *end)
{
  g_auto(GStrv) fields = g_strsplit_set (line, " \t\n", -1);
  const char *f[8];
  guint n = 0;
  const char *colon;

  for (guint i = 0; fields[i] != NULL && n < G_N_ELEMENTS (f); i++)
    if (fields[i][0] != '\0')
      f[n++] = fields[i];
  if (n < 8 || strcmp (f[1], "POSIX") != 0)
    return FALSE;

  *write = strcmp (f[3], "WRITE") == 0;
  *pid = g_ascii_strtoll (f[4], NULL, 10);
  /* major:minor:inode; only the inode is compared (see below). */
  colon = strrchr (f[5], ':');
  if (colon == NULL)
    return FALSE;
  *inode = g_ascii_strtoull (colon + 1, NULL, 10);
  *start = g_ascii_strtoull (f[6], NULL, 10);
  *end = strcmp (f[7], "EOF") == 0 ? G_MAXUINT64 : g_ascii_strtoull (f[7], NULL, 10);
  return TRUE;
}

/* The POSIX locks on SQLite's shared-lock bytes of @file_path. FALSE (and all zero)
 * where that cannot be known. */
static gboolean
lock_info (const char       *file_path,
           DbSqliteLockInfo *out)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  struct stat st;
  gint64 self_pid = getpid ();

  memset (out, 0, sizeof *out);
  if (file_path == NULL || stat (file_path, &st) != 0 ||
      !g_file_get_contents ("/proc/locks", &contents, NULL, NULL))
    return FALSE;

  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      gboolean write;
      gint64 pid;
      guint64 inode, start, end;

      /* Matched by inode alone: the device numbers in /proc/locks are the file
       * system's, which on some (btrfs subvolumes, overlays) differ from the st_dev
       * that stat() reports. Another file with the same inode number on another file
       * system, locked in SQLite's shared range, is too unlikely to matter. */
      if (!parse_lock_line (lines[i], &write, &pid, &inode, &start, &end) ||
          inode != (guint64) st.st_ino ||
          end < SQLITE_SHARED_FIRST || start > SQLITE_SHARED_FIRST + SQLITE_SHARED_SIZE - 1)
        continue;

      if (pid == self_pid)
        {
          out->self_write |= write;
          out->self_read |= !write;
        }
      else if (out->other_pid == 0 || (write && !out->other_write))
        {
          out->other_pid = pid;
          out->other_write = write;
        }
    }
  return TRUE;
}

/* SQLITE_BUSY while opening: some other process has held the file locked for all of
 * busy-timeout-ms. That is no failure of this pool's own (DB_POOL_ERROR_BUSY, not
 * OPEN), and the message says who, when /proc/locks can tell. */
void
_db_sqlite_set_busy_error (sqlite3     *db,
                           const char  *path,
                           gboolean     exclusive,
                           int          rc,
                           GError     **error)
{
  DbSqliteLockInfo locks;
  g_autofree char *who = NULL;
  const char *mode = exclusive ? " in exclusive mode" : "";

  lock_info (sqlite3_db_filename (db, "main"), &locks);
  who = locks.other_pid > 0
          ? g_strdup_printf ("another process (pid %" G_GINT64_FORMAT ")", locks.other_pid)
          : g_strdup ("another process");

  if (locks.other_pid > 0 && locks.other_write)
    g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_BUSY,
                 "Cannot open database “%s”%s: %s holds the database exclusively (SQLite %s)",
                 path, mode, who, sqlite3_errstr (rc));
  else if (locks.other_pid > 0 && exclusive)
    g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_BUSY,
                 "Cannot open database “%s” in exclusive mode: %s has the database open "
                 "(SQLite %s)", path, who, sqlite3_errstr (rc));
  else
    g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_BUSY,
                 "Cannot open database “%s”%s: %s holds the database (exclusively, or "
                 "locked for longer than busy-timeout-ms) (SQLite %s)",
                 path, mode, who, sqlite3_errstr (rc));
}

/* After an exclusive open: did this process really get the file to itself? SQLite
 * takes unix-excl's process-wide lock only if the process did not have the file
 * open already; otherwise the new connection silently joins the ordinary locking of
 * the connections there before it, and other processes are not kept out. Neither
 * is anything kept out through a URI that chose another VFS ("?vfs=unix"). Where
 * /proc/locks cannot be read, SQLite is taken at its word. */
gboolean
_db_sqlite_check_exclusive (sqlite3     *db,
                            const char  *path,
                            GError     **error)
{
  DbSqliteLockInfo locks;
  sqlite3_vfs *vfs = NULL;

  if (!lock_info (sqlite3_db_filename (db, "main"), &locks) || locks.self_write)
    return TRUE;

  sqlite3_file_control (db, "main", SQLITE_FCNTL_VFS_POINTER, &vfs);
  if (vfs != NULL && strcmp (vfs->zName, "unix-excl") == 0 && locks.self_read)
    g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_OPEN,
                 "Cannot open database “%s” in exclusive mode: this process already has "
                 "it open without exclusive mode (another pool or a connection of its own), "
                 "so other processes could not be kept out; open every connection to it "
                 "in exclusive mode, or none",
                 path);
  else
    g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_OPEN,
                 "Cannot open database “%s” in exclusive mode: its VFS “%s” took no "
                 "exclusive lock (exclusive mode needs SQLite's unix-excl VFS; leave "
                 "“vfs=” out of the URI)",
                 path, vfs != NULL ? vfs->zName : "(unknown)");
  return FALSE;
}
