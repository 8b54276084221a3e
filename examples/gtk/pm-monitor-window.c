/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The monitor window: the pool's statistics as labels and a level bar, each bound to
 * a DbPool property with g_object_bind_property() (the pool notifies on the main
 * context, coalesced, so the bindings need no code of their own), and the latest
 * notes in a GtkColumnView whose model is the query's DbRows itself.
 */
#include "pm-monitor-window.h"

#define QUERY_SQL "SELECT id, body, weight, created_us FROM notes ORDER BY id DESC"
#define INSERT_SQL "INSERT INTO notes (body, weight, created_us) VALUES (?, ?, ?)"

/* The numeric statistics shown, each as "title: value". */
static const struct
{
  const char *property;
  const char *title;
} stats[] = {
  { "active-connections", "Leased now" },
  { "idle-connections", "Idle" },
  { "waiting-requests", "Waiting" },
  { "total-requests", "Requests" },
  { "group-commit-jobs", "Writes committed" },
  { "group-commits", "Commits (group commit)" },
  { "total-connections-created", "Connections opened" },
  { "max-wait-time-us", "Longest wait (µs)" },
  { "timeouts", "Timeouts" },
};

struct _PmMonitorWindow
{
  GtkApplicationWindow  parent_instance;

  DbPool               *pool;
  GCancellable         *cancellable;
  GHashTable           *stat_labels;    /* property name → GtkLabel (owned by the grid) */
  GtkLevelBar          *active_bar;
  GtkLabel             *rows_label;
  GtkColumnView        *view;
  GtkSingleSelection   *selection;
  guint                 keep_writing_id;
  guint                 n_bound;        /* cells the column view has bound so far */
};

G_DEFINE_FINAL_TYPE (PmMonitorWindow, pm_monitor_window, GTK_TYPE_APPLICATION_WINDOW)

static void
pm_monitor_window_dispose (GObject *object)
{
  PmMonitorWindow *self = PM_MONITOR_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->keep_writing_id, g_source_remove);
  g_clear_pointer (&self->stat_labels, g_hash_table_unref);

  G_OBJECT_CLASS (pm_monitor_window_parent_class)->dispose (object);
}

static void
pm_monitor_window_finalize (GObject *object)
{
  PmMonitorWindow *self = PM_MONITOR_WINDOW (object);

  g_clear_object (&self->pool);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (pm_monitor_window_parent_class)->finalize (object);
}

static void
pm_monitor_window_class_init (PmMonitorWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pm_monitor_window_dispose;
  object_class->finalize = pm_monitor_window_finalize;
}

static void
pm_monitor_window_init (PmMonitorWindow *self)
{
  self->cancellable = g_cancellable_new ();
  self->stat_labels = g_hash_table_new (g_str_hash, g_str_equal);
}

/* --- writing ---------------------------------------------------------------- */

typedef struct
{
  guint   pending;
  GError *error;
} WriteBatch;

static void
write_batch_free (gpointer data)
{
  WriteBatch *batch = data;

  g_clear_error (&batch->error);
  g_free (batch);
}

static void
insert_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  WriteBatch *batch = g_task_get_task_data (task);
  GError *error = NULL;

  if (db_pool_execute_finish (DB_POOL (source), result, NULL, &error) < 0)
    {
      if (batch->error == NULL)
        batch->error = error;
      else
        g_error_free (error);
    }

  if (--batch->pending > 0)
    return;
  if (batch->error != NULL)
    g_task_return_error (task, g_steal_pointer (&batch->error));
  else
    g_task_return_boolean (task, TRUE);
}

void
pm_monitor_window_write_async (PmMonitorWindow     *self,
                               guint                n_rows,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, self->cancellable, callback, user_data);
  WriteBatch *batch = g_new0 (WriteBatch, 1);

  g_return_if_fail (n_rows > 0);

  g_task_set_source_tag (task, pm_monitor_window_write_async);
  batch->pending = n_rows;
  g_task_set_task_data (task, batch, write_batch_free);

  /* All queued at once: they wait their turn for the one write lease in the pool's
   * queue, which is what makes "Waiting" and "Longest wait" move. */
  for (guint i = 0; i < n_rows; i++)
    {
      g_autofree char *body = g_strdup_printf ("note %u of %u", i + 1, n_rows);

      db_pool_execute_async (self->pool, INSERT_SQL,
                             g_variant_new ("(sdx)", body, g_random_double_range (0, 100),
                                            g_get_real_time ()),
                             self->cancellable, insert_done, g_object_ref (task));
    }
}

gboolean
pm_monitor_window_write_finish (PmMonitorWindow  *self,
                                GAsyncResult     *result,
                                GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- the result in a GtkColumnView ------------------------------------------ */

static void
cell_setup (GtkSignalListItemFactory *factory,
            GtkListItem              *item,
            gpointer                  user_data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_list_item_set_child (item, label);
}

/* The item is a DbRow: the row of the DbRows the selection model wraps. */
static void
cell_bind (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           gpointer                  user_data)
{
  PmMonitorWindow *self = user_data;
  guint column = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (factory), "pm-column"));
  DbRow *row = gtk_list_item_get_item (item);
  const char *text = db_row_get_string (row, column);
  g_autofree char *valid = NULL;

  /* SQLite does not check that text is UTF-8; GTK needs it to be. (This table has
   * no blobs, which would read as NULL here: db_row_get_bytes() gives those.) */
  if (text != NULL && !g_utf8_validate (text, -1, NULL))
    text = valid = g_utf8_make_valid (text, -1);
  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)),
                      text != NULL ? text : "NULL");
  self->n_bound++;
}

/* One column per result column, named as SQLite names it. */
static void
add_columns (PmMonitorWindow *self,
             DbRows          *rows)
{
  for (guint column = 0; column < db_rows_get_n_columns (rows); column++)
    {
      GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
      g_autoptr(GtkColumnViewColumn) view_column = NULL;

      g_object_set_data (G_OBJECT (factory), "pm-column", GUINT_TO_POINTER (column));
      g_signal_connect (factory, "setup", G_CALLBACK (cell_setup), NULL);
      g_signal_connect (factory, "bind", G_CALLBACK (cell_bind), self);
      view_column = gtk_column_view_column_new (db_rows_get_column_name (rows, column),
                                                factory);
      gtk_column_view_column_set_expand (view_column, column == 1);
      gtk_column_view_append_column (self->view, view_column);
    }
}

static void
query_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PmMonitorWindow *self = g_task_get_source_object (task);
  g_autoptr(DbRows) rows = NULL;
  GError *error = NULL;

  rows = db_pool_query_finish (DB_POOL (source), result, &error);
  if (rows == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (g_list_model_get_n_items (G_LIST_MODEL (gtk_column_view_get_columns (self->view))) == 0)
    add_columns (self, rows);
  /* A DbRows never changes, so a new result is a new model, not an update. */
  gtk_single_selection_set_model (self->selection, G_LIST_MODEL (rows));
  g_task_return_boolean (task, TRUE);
}

void
pm_monitor_window_refresh_async (PmMonitorWindow     *self,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GTask *task = g_task_new (self, self->cancellable, callback, user_data);

  g_task_set_source_tag (task, pm_monitor_window_refresh_async);
  db_pool_query_async (self->pool, QUERY_SQL, NULL, self->cancellable, query_done, task);
}

gboolean
pm_monitor_window_refresh_finish (PmMonitorWindow  *self,
                                  GAsyncResult     *result,
                                  GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- buttons ---------------------------------------------------------------- */

static void
report_error (PmMonitorWindow *self,
              const GError    *error)
{
  /* Closing the window cancels what is still running; that is not a failure. */
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_printerr ("pool-monitor: %s\n", error->message);
}

static void
refresh_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!pm_monitor_window_refresh_finish (PM_MONITOR_WINDOW (source), result, &error))
    report_error (PM_MONITOR_WINDOW (source), error);
}

static void
write_done_then_refresh (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  PmMonitorWindow *self = PM_MONITOR_WINDOW (source);
  g_autoptr(GError) error = NULL;

  if (!pm_monitor_window_write_finish (self, result, &error))
    report_error (self, error);
  else
    pm_monitor_window_refresh_async (self, refresh_done, NULL);
}

static void
on_write_clicked (GtkButton       *button,
                  PmMonitorWindow *self)
{
  pm_monitor_window_write_async (self, 100, write_done_then_refresh, NULL);
}

static void
on_refresh_clicked (GtkButton       *button,
                    PmMonitorWindow *self)
{
  pm_monitor_window_refresh_async (self, refresh_done, NULL);
}

static gboolean
keep_writing_tick (gpointer user_data)
{
  pm_monitor_window_write_async (user_data, 10, write_done_then_refresh, NULL);
  return G_SOURCE_CONTINUE;
}

static void
on_keep_writing (GtkToggleButton *toggle,
                 PmMonitorWindow *self)
{
  g_clear_handle_id (&self->keep_writing_id, g_source_remove);
  if (gtk_toggle_button_get_active (toggle))
    self->keep_writing_id = g_timeout_add (250, keep_writing_tick, self);
}

/* --- building the window ---------------------------------------------------- */

static gboolean
n_items_to_label (GBinding     *binding,
                  const GValue *from,
                  GValue       *to,
                  gpointer      user_data)
{
  g_value_take_string (to, g_strdup_printf ("%u notes", g_value_get_uint (from)));
  return TRUE;
}

static GtkWidget *
build_stats (PmMonitorWindow *self)
{
  GtkWidget *grid = gtk_grid_new ();
  guint max_connections = db_pool_config_get_max_connections (db_pool_get_config (self->pool));

  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  gtk_grid_set_row_spacing (GTK_GRID (grid), 4);

  for (guint i = 0; i < G_N_ELEMENTS (stats); i++)
    {
      GtkWidget *title = gtk_label_new (stats[i].title);
      GtkWidget *value = gtk_label_new (NULL);

      gtk_label_set_xalign (GTK_LABEL (title), 0.0);
      gtk_label_set_xalign (GTK_LABEL (value), 1.0);
      gtk_grid_attach (GTK_GRID (grid), title, 0, (int) i, 1, 1);
      gtk_grid_attach (GTK_GRID (grid), value, 1, (int) i, 1, 1);
      /* GLib converts the integer property to the label's string itself. */
      g_object_bind_property (self->pool, stats[i].property, value, "label",
                              G_BINDING_SYNC_CREATE);
      g_hash_table_insert (self->stat_labels, (gpointer) stats[i].property, value);
    }

  self->active_bar = GTK_LEVEL_BAR (gtk_level_bar_new_for_interval (0, max_connections));
  gtk_widget_set_hexpand (GTK_WIDGET (self->active_bar), TRUE);
  g_object_bind_property (self->pool, "active-connections", self->active_bar, "value",
                          G_BINDING_SYNC_CREATE);
  gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (self->active_bar), 0,
                   G_N_ELEMENTS (stats), 2, 1);

  return grid;
}

static GtkWidget *
build_view (PmMonitorWindow *self)
{
  GtkWidget *scrolled = gtk_scrolled_window_new ();

  /* Empty until the first query: the selection is given the DbRows then. */
  self->selection = gtk_single_selection_new (NULL);
  self->view = GTK_COLUMN_VIEW (gtk_column_view_new (GTK_SELECTION_MODEL (self->selection)));
  gtk_column_view_set_show_row_separators (self->view, TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), GTK_WIDGET (self->view));
  gtk_widget_set_vexpand (scrolled, TRUE);
  gtk_widget_set_size_request (scrolled, -1, 240);

  return scrolled;
}

PmMonitorWindow *
pm_monitor_window_new (GtkApplication *app,
                       DbPool         *pool)
{
  PmMonitorWindow *self = g_object_new (PM_TYPE_MONITOR_WINDOW,
                                        "application", app,
                                        "title", "dbpool monitor",
                                        "default-width", 560,
                                        "default-height", 520,
                                        NULL);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *write = gtk_button_new_with_label ("Write 100 notes");
  GtkWidget *keep = gtk_toggle_button_new_with_label ("Keep writing");
  GtkWidget *refresh = gtk_button_new_with_label ("Refresh");

  self->pool = g_object_ref (pool);

  gtk_widget_set_margin_top (box, 12);
  gtk_widget_set_margin_bottom (box, 12);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_box_append (GTK_BOX (box), build_stats (self));

  g_signal_connect (write, "clicked", G_CALLBACK (on_write_clicked), self);
  g_signal_connect (keep, "toggled", G_CALLBACK (on_keep_writing), self);
  g_signal_connect (refresh, "clicked", G_CALLBACK (on_refresh_clicked), self);
  gtk_box_append (GTK_BOX (buttons), write);
  gtk_box_append (GTK_BOX (buttons), keep);
  gtk_box_append (GTK_BOX (buttons), refresh);
  gtk_box_append (GTK_BOX (box), buttons);

  gtk_box_append (GTK_BOX (box), build_view (self));
  self->rows_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->rows_label, 0.0);
  /* The selection model's n-items (GTK 4.8) follows whichever DbRows it holds. */
  g_object_bind_property_full (self->selection, "n-items", self->rows_label, "label",
                               G_BINDING_SYNC_CREATE, n_items_to_label, NULL, NULL, NULL);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->rows_label));

  gtk_window_set_child (GTK_WINDOW (self), box);
  return self;
}

DbPool *
pm_monitor_window_get_pool (PmMonitorWindow *self)
{
  return self->pool;
}

GtkLabel *
pm_monitor_window_get_stat_label (PmMonitorWindow *self,
                                  const char      *property)
{
  return g_hash_table_lookup (self->stat_labels, property);
}

GtkLevelBar *
pm_monitor_window_get_active_bar (PmMonitorWindow *self)
{
  return self->active_bar;
}

GtkLabel *
pm_monitor_window_get_rows_label (PmMonitorWindow *self)
{
  return self->rows_label;
}

GtkColumnView *
pm_monitor_window_get_view (PmMonitorWindow *self)
{
  return self->view;
}

guint
pm_monitor_window_get_n_bound (PmMonitorWindow *self)
{
  return self->n_bound;
}
