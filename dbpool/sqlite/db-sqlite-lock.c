/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who holds a database file's SQLite locks, as the kernel lists them in /proc/locks.
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

gboolean
_db_sqlite_lock_info (const char       *file_path,
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
