/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A GTK 4 window on a live dbpool pool: its statistics bound to labels and a level
 * bar, updating while writes run, and the notes table in a GtkColumnView fed by a
 * DbRows (a GListModel of DbRow) through a GtkSingleSelection.
 *
 *   pool-monitor [--database PATH] [--self-test]
 *
 * Without --database the pool works in a new temporary directory, removed on exit.
 * --self-test writes, checks what the window shows, and exits with status 0 only if
 * every check passed and nothing logged a warning or a critical. Build it with
 *
 *   cc pool-monitor.c pm-monitor-window.c pm-self-test.c -o pool-monitor \
 *      $(pkg-config --cflags --libs dbpool-1.0 gtk4)
 */
#include <glib/gstdio.h>
#include <glib-unix.h>

#include "pm-monitor-window.h"
#include "pm-self-test.h"

typedef struct
{
  GtkApplication *app;
  char           *database;    /* --database */
  gboolean        self_test;   /* --self-test */
  char           *tmpdir;      /* ours to remove, when there was no --database */
  DbPool         *pool;
  int             status;
} Monitor;

/* Every warning and critical from any library, counted so that --self-test fails on
 * one even when it did not abort; each is still printed as usual. */
static guint n_bad_messages;

static GLogWriterOutput
count_bad_messages (GLogLevelFlags   log_level,
                    const GLogField *fields,
                    gsize            n_fields,
                    gpointer         user_data)
{
  if (log_level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    n_bad_messages++;
  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

static gboolean
run_self_test (gpointer user_data)
{
  Monitor *monitor = user_data;
  GtkWindow *window = gtk_application_get_active_window (monitor->app);

  if (!pm_self_test_run (PM_MONITOR_WINDOW (window)))
    monitor->status = 1;
  gtk_window_destroy (window);   /* the last window: the application quits */
  return G_SOURCE_REMOVE;
}

static void
schema_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Monitor *monitor = user_data;
  g_autoptr(GError) error = NULL;
  PmMonitorWindow *window;

  if (db_pool_execute_finish (DB_POOL (source), result, NULL, &error) < 0)
    {
      g_printerr ("pool-monitor: creating the table: %s\n", error->message);
      monitor->status = 1;
      g_application_release (G_APPLICATION (monitor->app));
      return;
    }

  window = pm_monitor_window_new (monitor->app, monitor->pool);
  gtk_window_present (GTK_WINDOW (window));
  g_application_release (G_APPLICATION (monitor->app));

  if (monitor->self_test)
    g_idle_add (run_self_test, monitor);
  else
    pm_monitor_window_refresh_async (window, NULL, NULL);
}

static void
pool_ready (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Monitor *monitor = user_data;
  g_autoptr(GError) error = NULL;

  monitor->pool = db_pool_new_finish (result, &error);
  if (monitor->pool == NULL)
    {
      g_printerr ("pool-monitor: %s\n", error->message);
      monitor->status = 1;
      g_application_release (G_APPLICATION (monitor->app));
      return;
    }
  db_pool_execute_async (monitor->pool, PM_SCHEMA_SQL, NULL, NULL, schema_done, monitor);
}

/* The pool opens its connections on a worker: the main thread never blocks on I/O.
 * The application is held until the window exists. */
static void
activate (GApplication *app,
          Monitor      *monitor)
{
  g_autoptr(DbPoolConfig) config = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  if (monitor->pool != NULL)
    {
      gtk_window_present (gtk_application_get_active_window (monitor->app));
      return;
    }

  if (monitor->database != NULL)
    path = g_strdup (monitor->database);
  else
    {
      monitor->tmpdir = g_dir_make_tmp ("dbpool-monitor-XXXXXX", &error);
      if (monitor->tmpdir == NULL)
        {
          g_printerr ("pool-monitor: %s\n", error->message);
          monitor->status = 1;
          return;
        }
      path = g_build_filename (monitor->tmpdir, "monitor.db", NULL);
    }

  config = db_pool_config_new (path);
  db_pool_config_set_min_connections (config, 1);
  db_pool_config_set_max_connections (config, 4);
  g_application_hold (app);
  db_pool_new_async (config, G_PRIORITY_DEFAULT, NULL, pool_ready, monitor);
}

static void
remove_tmpdir (const char *tmpdir)
{
  g_autoptr(GDir) dir = g_dir_open (tmpdir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (tmpdir, name, NULL);
      g_unlink (file);
    }
  g_rmdir (tmpdir);
}

/* Ctrl-C quits through the main loop, so the pool is closed and the temporary
 * directory removed as on a normal exit. */
static gboolean
on_sigint (gpointer user_data)
{
  g_application_quit (user_data);
  return G_SOURCE_CONTINUE;
}

static int
handle_local_options (GApplication *app,
                      GVariantDict *options,
                      Monitor      *monitor)
{
  g_variant_dict_lookup (options, "database", "^ay", &monitor->database);
  monitor->self_test = g_variant_dict_contains (options, "self-test");
  return -1;   /* go on */
}

int
main (int   argc,
      char *argv[])
{
  static const GOptionEntry entries[] = {
    { "database", 'd', 0, G_OPTION_ARG_FILENAME, NULL, "The database file", "PATH" },
    { "self-test", 0, 0, G_OPTION_ARG_NONE, NULL, "Write, check what the window shows, quit", NULL },
    { NULL }
  };
  Monitor monitor = { 0 };
  int status;

  g_log_set_writer_func (count_bad_messages, NULL, NULL);

  /* Non-unique: a second window on another database is a second process, and the
   * self-test needs no session bus. */
  monitor.app = gtk_application_new ("org.example.DbPoolMonitor", G_APPLICATION_NON_UNIQUE);
  g_application_add_main_option_entries (G_APPLICATION (monitor.app), entries);
  g_signal_connect (monitor.app, "handle-local-options", G_CALLBACK (handle_local_options),
                    &monitor);
  g_signal_connect (monitor.app, "activate", G_CALLBACK (activate), &monitor);
  g_unix_signal_add (SIGINT, on_sigint, monitor.app);

  status = g_application_run (G_APPLICATION (monitor.app), argc, argv);
  g_clear_object (&monitor.app);   /* the window, and with it its pool reference */

  if (monitor.pool != NULL)
    {
      /* Nothing holds a lease any more (the window is gone), so this cannot wait on
       * ourselves; it truncates the write-ahead log. */
      db_pool_close (monitor.pool);
      g_clear_object (&monitor.pool);
    }
  if (monitor.tmpdir != NULL)
    remove_tmpdir (monitor.tmpdir);
  g_free (monitor.tmpdir);
  g_free (monitor.database);

  if (monitor.self_test)
    {
      if (n_bad_messages > 0)
        g_printerr ("self-test: FAIL: %u warning(s) or critical(s) were logged\n", n_bad_messages);
      else if (status == 0 && monitor.status == 0)
        g_print ("self-test: PASS\n");
    }
  if (status == 0)
    status = monitor.status;
  if (monitor.self_test && n_bad_messages > 0)
    status = 1;
  return status;
}
