/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The scripted mode (`pool-monitor --self-test`), run by `meson test` under Xvfb.
 * It uses only what the window shows: the labels and the level bar that
 * g_object_bind_property() keeps in step with the pool, and the column view's model.
 */
#include "pm-self-test.h"

#define ROUNDS         3
#define ROWS_PER_ROUND 20
/* Only turns an event that never comes into a readable failure; nothing is timed. */
#define GUARD_S        30

static gboolean
wake (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates the main context until @cond holds; FALSE (after saying what) if it does
 * not within GUARD_S. A periodic wake-up makes sure the deadline is noticed. */
#define SPIN_UNTIL(cond, what)                                                  \
  G_STMT_START {                                                                \
    gint64 deadline_ = g_get_monotonic_time () + GUARD_S * G_USEC_PER_SEC;      \
    while (!(cond))                                                             \
      {                                                                         \
        if (g_get_monotonic_time () > deadline_)                                \
          {                                                                     \
            g_printerr ("self-test: FAIL: gave up waiting for %s\n", what);     \
            return FALSE;                                                       \
          }                                                                     \
        g_main_context_iteration (NULL, TRUE);                                  \
      }                                                                         \
  } G_STMT_END

#define CHECK(cond, ...)                                                        \
  G_STMT_START {                                                                \
    if (!(cond))                                                                \
      {                                                                         \
        g_autofree char *what_ = g_strdup_printf (__VA_ARGS__);                 \
        g_printerr ("self-test: FAIL: %s\n", what_);                            \
        return FALSE;                                                           \
      }                                                                         \
  } G_STMT_END

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* The pool's own value of a statistics property (uint or uint64). */
static guint64
stat_value (PmMonitorWindow *window,
            const char      *property)
{
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_UINT64);
  g_object_get_property (G_OBJECT (pm_monitor_window_get_pool (window)), property, &value);
  return g_value_get_uint64 (&value);
}

/* What the label bound to @property shows, as a number. */
static guint64
label_value (PmMonitorWindow *window,
             const char      *property)
{
  return g_ascii_strtoull (gtk_label_get_label (pm_monitor_window_get_stat_label (window, property)),
                           NULL, 10);
}

static gboolean
label_shows (PmMonitorWindow *window,
             const char      *property,
             guint64          expected)
{
  return label_value (window, property) == expected;
}

/* Writes come from the app while the monitor runs; after each round the bound
 * "Writes committed" label has caught up with the pool and moved on by the round's
 * writes (each insert is a write job; several share a commit). */
static gboolean
check_writes_update_monitor (PmMonitorWindow *window)
{
  guint64 shown = label_value (window, "group-commit-jobs");

  for (guint round = 1; round <= ROUNDS; round++)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;
      guint64 now;

      pm_monitor_window_write_async (window, ROWS_PER_ROUND, store_result, &result);
      SPIN_UNTIL (result != NULL, "a round of writes");
      CHECK (pm_monitor_window_write_finish (window, result, &error),
             "writes failed: %s", error->message);

      now = stat_value (window, "group-commit-jobs");
      SPIN_UNTIL (label_shows (window, "group-commit-jobs", now),
                  "the Writes committed label to show the pool's group-commit-jobs");
      CHECK (now >= shown + ROWS_PER_ROUND,
             "Writes committed went from %" G_GUINT64_FORMAT " to only %" G_GUINT64_FORMAT,
             shown, now);
      g_print ("self-test: round %u: Writes committed label %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT "\n",
               round, shown, now);
      shown = now;
    }
  return TRUE;
}

/* A lease held by the app shows in "Leased now" and the level bar, and its release
 * shows too. */
static gboolean
check_lease_shows (PmMonitorWindow *window)
{
  DbPool *pool = pm_monitor_window_get_pool (window);
  GtkLevelBar *bar = pm_monitor_window_get_active_bar (window);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) lease = NULL;

  db_pool_acquire_async (pool, DB_ACCESS_WRITE, NULL, store_result, &result);
  SPIN_UNTIL (result != NULL, "a write lease");
  lease = db_pool_acquire_finish (pool, result, &error);
  CHECK (lease != NULL, "acquire failed: %s", error->message);

  SPIN_UNTIL (label_shows (window, "active-connections", 1) && gtk_level_bar_get_value (bar) == 1.0,
              "Leased now = 1 and the level bar at 1 while a lease is held");
  db_connection_release (lease);
  SPIN_UNTIL (label_shows (window, "active-connections", 0) && gtk_level_bar_get_value (bar) == 0.0,
              "Leased now = 0 and the level bar at 0 after the release");
  g_print ("self-test: a held lease showed in the label and the level bar, and its release\n");
  return TRUE;
}

/* The query's DbRows is the column view's model: every row is there, the items are
 * DbRow, and the view has drawn some of them. */
static gboolean
check_column_view (PmMonitorWindow *window)
{
  GtkColumnView *view = pm_monitor_window_get_view (window);
  GtkSingleSelection *selection = GTK_SINGLE_SELECTION (gtk_column_view_get_model (view));
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  DbRow *first;
  g_autofree char *rows_text = NULL;
  guint expected = ROUNDS * ROWS_PER_ROUND;
  guint n_items;

  pm_monitor_window_refresh_async (window, store_result, &result);
  SPIN_UNTIL (result != NULL, "the query");
  CHECK (pm_monitor_window_refresh_finish (window, result, &error),
         "query failed: %s", error->message);

  CHECK (DB_IS_ROWS (gtk_single_selection_get_model (selection)),
         "the selection's model is not the DbRows");
  n_items = g_list_model_get_n_items (G_LIST_MODEL (selection));
  CHECK (n_items == expected, "the column view has %u rows, expected %u", n_items, expected);
  CHECK (g_list_model_get_n_items (gtk_column_view_get_columns (view)) == 4,
         "the column view has %u columns, expected 4",
         g_list_model_get_n_items (gtk_column_view_get_columns (view)));

  rows_text = g_strdup_printf ("%u notes", expected);
  SPIN_UNTIL (g_strcmp0 (gtk_label_get_label (pm_monitor_window_get_rows_label (window)),
                         rows_text) == 0,
              "the row count label bound to the selection's n-items");

  /* Newest first, and the single selection picks the first row. */
  first = gtk_single_selection_get_selected_item (selection);
  CHECK (first != NULL && DB_IS_ROW (first), "the selected item is not a DbRow");
  CHECK (db_row_get_index (first) == 0, "the selected row is %u, expected 0",
         db_row_get_index (first));
  CHECK (db_row_get_int64 (first, 0) == (gint64) expected,
         "the first row's id is %" G_GINT64_FORMAT ", expected %u",
         db_row_get_int64 (first, 0), expected);

  SPIN_UNTIL (pm_monitor_window_get_n_bound (window) > 0, "the column view to bind its cells");
  g_print ("self-test: the column view shows %u DbRow items (%u cells bound)\n",
           n_items, pm_monitor_window_get_n_bound (window));
  return TRUE;
}

static gboolean
check_shown (PmMonitorWindow *window)
{
  SPIN_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (window)), "the window to be shown");
  return TRUE;
}

gboolean
pm_self_test_run (PmMonitorWindow *window)
{
  guint wake_id = g_timeout_add (100, wake, NULL);
  gboolean ok;

  ok = check_shown (window)
       && check_writes_update_monitor (window)
       && check_lease_shows (window)
       && check_column_view (window);

  g_source_remove (wake_id);
  return ok;
}
