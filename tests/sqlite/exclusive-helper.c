/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The second process of test-exclusive: opens a dbpool pool on a database and says
 * on stdout what happened.
 *
 *   exclusive-helper [--exclusive] [--hold] PATH
 *
 * Opens a pool on PATH (exclusive with --exclusive; busy-timeout-ms 50, so a locked
 * database fails fast) and reads the schema through a lease. On success it prints
 * "ok" and exits 0; with --hold it prints "ready" instead and keeps the pool open
 * until its stdin reaches end of file, then exits 0. On failure it prints
 * "error CODE MESSAGE" (CODE: the DbPoolError number, -1 for another domain) and
 * exits 2. */
#include <stdio.h>
#include <string.h>

#include <dbpool.h>

static int
fail (GError *error)
{
  printf ("error %d %s\n", error->domain == DB_POOL_ERROR ? error->code : -1, error->message);
  fflush (stdout);
  return 2;
}

int
main (int    argc,
      char **argv)
{
  gboolean exclusive = FALSE;
  gboolean hold = FALSE;
  const char *path = NULL;
  g_autoptr(DbPoolConfig) config = NULL;
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(DbConnection) conn = NULL;
  g_autoptr(DbRows) rows = NULL;
  g_autoptr(GError) error = NULL;

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--exclusive") == 0)
        exclusive = TRUE;
      else if (strcmp (argv[i], "--hold") == 0)
        hold = TRUE;
      else
        path = argv[i];
    }
  if (path == NULL)
    {
      fprintf (stderr, "usage: exclusive-helper [--exclusive] [--hold] PATH\n");
      return 1;
    }

  config = db_pool_config_new (path);
  db_pool_config_set_min_connections (config, 1);
  db_pool_config_set_busy_timeout_ms (config, 50);
  db_pool_config_set_exclusive (config, exclusive);

  pool = db_pool_new (config, NULL, &error);
  if (pool == NULL)
    return fail (error);
  conn = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
  if (conn == NULL)
    return fail (error);
  rows = db_connection_query (conn, "SELECT count(*) FROM sqlite_schema", NULL, &error);
  if (rows == NULL)
    return fail (error);
  g_clear_object (&conn);

  printf ("%s\n", hold ? "ready" : "ok");
  fflush (stdout);
  if (hold)
    while (getchar () != EOF)
      ;
  db_pool_close (pool);
  return 0;
}
