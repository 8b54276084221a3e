/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A program built as a user builds one against an installed dbpool:
 *
 *   cc installed.c -o installed $(pkg-config --cflags --libs dbpool-1.0)
 *
 * (test-install.py does, against a private prefix). It checks that the installed
 * headers (the generated version and enum headers too) compile and the installed
 * library links and works: DIR is where its database goes.
 */
#include <dbpool.h>

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autoptr(DbPoolConfig) config = NULL;
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(DbConnection) conn = NULL;
  g_autoptr(DbRows) rows = NULL;

  if (argc != 2)
    g_error ("usage: installed DIR");

  /* db-version.h, generated at build time, is installed and consistent. */
  if (!DBPOOL_CHECK_VERSION (DBPOOL_MAJOR_VERSION, DBPOOL_MINOR_VERSION, DBPOOL_MICRO_VERSION))
    g_error ("DBPOOL_CHECK_VERSION refuses the headers' own version");

  path = g_build_filename (argv[1], "installed.db", NULL);
  config = db_pool_config_new (path);
  pool = db_pool_new (config, NULL, &error);
  g_assert_no_error (error);
  conn = db_pool_acquire (pool, DB_ACCESS_WRITE, NULL, &error);
  g_assert_no_error (error);
  db_connection_execute (conn, "CREATE TABLE t (name TEXT)", NULL, &error);
  g_assert_no_error (error);
  db_connection_execute (conn, "INSERT INTO t VALUES (?)", g_variant_new ("(s)", "installed"), &error);
  g_assert_no_error (error);

  /* The error domain is reachable by its documented name. */
  g_assert_cmpint (db_connection_execute (conn, "SELEC", NULL, &error), <, 0);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_SQL);
  g_clear_error (&error);

  rows = db_connection_query (conn, "SELECT name FROM t", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (db_rows_get_n_rows (rows), ==, 1);
  g_print ("C: %s, dbpool %s\n", db_rows_get_string (rows, 0, 0), DBPOOL_VERSION_S);

  db_connection_release (conn);
  db_pool_close (pool);
  return 0;
}
