/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The parent project's program: `parent DIR` opens a pool on DIR/parent.db and runs
 * one query. */
#include <dbpool.h>

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (argc > 1 ? argv[1] : ".", "parent.db", NULL);
  g_autoptr(DbPoolConfig) config = db_pool_config_new (path);
  g_autoptr(DbPool) pool = db_pool_new (config, NULL, &error);
  g_autoptr(DbConnection) conn = NULL;
  g_autoptr(DbRows) rows = NULL;

  g_assert_no_error (error);
  conn = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
  g_assert_no_error (error);
  rows = db_connection_query (conn, "SELECT 6 * 7", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (db_rows_get_int64 (rows, 0, 0), ==, 42);
  g_print ("parent: dbpool %s as a subproject\n", DBPOOL_VERSION_S);
  return 0;
}
