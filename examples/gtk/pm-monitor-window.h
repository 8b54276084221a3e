/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gtk/gtk.h>
#include <dbpool.h>

G_BEGIN_DECLS

#define PM_TYPE_MONITOR_WINDOW (pm_monitor_window_get_type ())

G_DECLARE_FINAL_TYPE (PmMonitorWindow, pm_monitor_window, PM, MONITOR_WINDOW, GtkApplicationWindow)

/* The schema the window writes to and shows. */
#define PM_SCHEMA_SQL \
  "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, " \
  "weight REAL, created_us INTEGER NOT NULL)"

PmMonitorWindow *pm_monitor_window_new            (GtkApplication      *app,
                                                   DbPool              *pool);

/* Inserts @n_rows notes, each its own execute_async on the pool's workers; completes
 * when all are done (the first error, if any). */
void             pm_monitor_window_write_async    (PmMonitorWindow     *self,
                                                   guint                n_rows,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean         pm_monitor_window_write_finish   (PmMonitorWindow     *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);

/* Runs the query again and gives its DbRows to the column view. */
void             pm_monitor_window_refresh_async  (PmMonitorWindow     *self,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean         pm_monitor_window_refresh_finish (PmMonitorWindow     *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);

/* For the scripted self-test: what the user sees. */
DbPool          *pm_monitor_window_get_pool       (PmMonitorWindow     *self);
GtkLabel        *pm_monitor_window_get_stat_label (PmMonitorWindow     *self,
                                                   const char          *property);
GtkLevelBar     *pm_monitor_window_get_active_bar (PmMonitorWindow     *self);
GtkLabel        *pm_monitor_window_get_rows_label (PmMonitorWindow     *self);
GtkColumnView   *pm_monitor_window_get_view       (PmMonitorWindow     *self);
guint            pm_monitor_window_get_n_bound    (PmMonitorWindow     *self);

G_END_DECLS
