/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* DbRows as a GListModel of DbRow items, through the public API only: what a GTK
 * list widget sees. */
#include <string.h>

#include "test-common.h"

/* Integer, real, text, blob, NULL and text that converts, in two rows; and a third
 * with other values, so a getter reading the wrong row shows. */
#define MIXED_SQL \
  "SELECT 1 AS i, 2.5 AS d, 'txt' AS s, x'00ff' AS b, NULL AS n, '42abc' AS t " \
  "UNION ALL SELECT -7, 1.0, '', x'', 3, '1.9' " \
  "UNION ALL SELECT 9223372036854775807, -0.0, 'é', x'61', 'x', ' 12'"

static DbRows *
query (DbPool     *pool,
       const char *sql)
{
  g_autoptr(DbConnection) conn = test_acquire (pool, DB_ACCESS_READ);
  g_autoptr(GError) error = NULL;
  DbRows *rows = db_connection_query (conn, sql, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (rows);
  return rows;
}

static DbPool *
new_pool (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 2);

  return test_pool_new (config);
}

static void
count_items_changed (GListModel *model,
                     guint       position,
                     guint       removed,
                     guint       added,
                     gpointer    user_data)
{
  (*(guint *) user_data)++;
}

static void
test_model_shape (void)
{
  g_autoptr(DbPool) pool = new_pool ();
  g_autoptr(DbRows) rows = query (pool, MIXED_SQL);
  GListModel *model;
  guint changes = 0;

  g_assert_true (G_IS_LIST_MODEL (rows));
  model = G_LIST_MODEL (rows);
  g_signal_connect (model, "items-changed", G_CALLBACK (count_items_changed), &changes);

  g_assert_true (g_list_model_get_item_type (model) == DB_TYPE_ROW);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 3);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, db_rows_get_n_rows (rows));

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(DbRow) row = g_list_model_get_item (model, i);
      g_autoptr(GObject) object = g_list_model_get_object (model, i);

      g_assert_true (DB_IS_ROW (row));
      g_assert_true (DB_IS_ROW (object));
      g_assert_cmpuint (db_row_get_index (row), ==, i);
      g_assert_cmpuint (db_row_get_index (DB_ROW (object)), ==, i);
      g_assert_true (db_row_get_rows (row) == rows);
      g_assert_cmpuint (db_row_get_n_columns (row), ==, 6);
    }

  /* Past the end is how a GListModel says "no more", not an error. */
  g_assert_null (g_list_model_get_item (model, 3));
  g_assert_null (g_list_model_get_item (model, G_MAXUINT));

  /* Immutable: nothing above (nor anything else) makes it change. */
  g_assert_cmpuint (changes, ==, 0);
}

static void
test_model_column_index (void)
{
  g_autoptr(DbPool) pool = new_pool ();
  g_autoptr(DbRows) rows = query (pool, "SELECT 1 AS id, 2 AS Name, 3 AS name");
  g_autoptr(DbRow) row = g_list_model_get_item (G_LIST_MODEL (rows), 0);

  g_assert_cmpint (db_row_get_column_index (row, "id"), ==, 0);
  g_assert_cmpint (db_row_get_column_index (row, "Name"), ==, 1);
  g_assert_cmpint (db_row_get_column_index (row, "name"), ==, 2);   /* exact first */
  g_assert_cmpint (db_row_get_column_index (row, "ID"), ==, 0);     /* then any case */
  g_assert_cmpint (db_row_get_column_index (row, "missing"), ==, -1);
}

static gboolean
bytes_equal (GBytes *a,
             GBytes *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return g_bytes_equal (a, b);
}

/* Every getter of every cell agrees with the DbRows getter for the same row, and a
 * few hand-checked values show that "agrees" is not "both read row 0". */
static void
test_model_getters_match_rows (void)
{
  g_autoptr(DbPool) pool = new_pool ();
  g_autoptr(DbRows) rows = query (pool, MIXED_SQL);
  GListModel *model = G_LIST_MODEL (rows);

  for (guint r = 0; r < db_rows_get_n_rows (rows); r++)
    {
      g_autoptr(DbRow) row = g_list_model_get_item (model, r);

      for (guint c = 0; c < db_rows_get_n_columns (rows); c++)
        {
          g_auto(GValue) from_rows = G_VALUE_INIT;
          g_auto(GValue) from_row = G_VALUE_INIT;
          g_autoptr(GBytes) bytes_rows = db_rows_get_bytes (rows, r, c);
          g_autoptr(GBytes) bytes_row = db_row_get_bytes (row, c);
          gboolean have_rows, have_row;

          g_assert_cmpint (db_row_get_int64 (row, c), ==, db_rows_get_int64 (rows, r, c));
          g_assert_cmpfloat (db_row_get_double (row, c), ==, db_rows_get_double (rows, r, c));
          g_assert_cmpstr (db_row_get_string (row, c), ==, db_rows_get_string (rows, r, c));
          g_assert_cmpint (db_row_is_null (row, c), ==, db_rows_is_null (rows, r, c));
          g_assert_true (bytes_equal (bytes_row, bytes_rows));

          have_rows = db_rows_get_value (rows, r, c, &from_rows);
          have_row = db_row_get_value (row, c, &from_row);
          g_assert_cmpint (have_row, ==, have_rows);
          g_assert_cmpstr (G_VALUE_TYPE_NAME (&from_row), ==, G_VALUE_TYPE_NAME (&from_rows));
        }
    }

  {
    g_autoptr(DbRow) first = g_list_model_get_item (model, 0);
    g_autoptr(DbRow) second = g_list_model_get_item (model, 1);
    g_autoptr(DbRow) third = g_list_model_get_item (model, 2);
    g_autoptr(GBytes) blob = db_row_get_bytes (first, 3);
    g_autoptr(GBytes) empty_blob = db_row_get_bytes (second, 3);
    g_auto(GValue) v_int = G_VALUE_INIT;
    g_auto(GValue) v_text = G_VALUE_INIT;
    g_auto(GValue) v_null = G_VALUE_INIT;

    g_assert_cmpint (db_row_get_int64 (first, 0), ==, 1);
    g_assert_cmpint (db_row_get_int64 (second, 0), ==, -7);
    g_assert_cmpint (db_row_get_int64 (third, 0), ==, G_MAXINT64);
    g_assert_cmpfloat (db_row_get_double (first, 1), ==, 2.5);
    g_assert_cmpstr (db_row_get_string (second, 1), ==, "1.0");    /* as CAST(1.0 AS TEXT) */
    g_assert_cmpstr (db_row_get_string (first, 2), ==, "txt");
    g_assert_cmpstr (db_row_get_string (second, 2), ==, "");
    g_assert_cmpstr (db_row_get_string (third, 2), ==, "é");
    g_assert_cmpmem (g_bytes_get_data (blob, NULL), g_bytes_get_size (blob), "\0\xff", 2);
    g_assert_cmpuint (g_bytes_get_size (empty_blob), ==, 0);
    g_assert_null (db_row_get_string (first, 3));                  /* a blob is not text */
    g_assert_true (db_row_is_null (first, 4));
    g_assert_false (db_row_is_null (second, 4));
    g_assert_null (db_row_get_string (first, 4));
    g_assert_null (db_row_get_bytes (first, 4));
    g_assert_cmpint (db_row_get_int64 (first, 5), ==, 42);          /* '42abc' */
    g_assert_cmpint (db_row_get_int64 (second, 5), ==, 1);          /* '1.9' */
    g_assert_cmpfloat (db_row_get_double (second, 5), ==, 1.9);
    g_assert_cmpint (db_row_get_int64 (third, 5), ==, 12);          /* ' 12' */

    g_assert_true (db_row_get_value (second, 0, &v_int));
    g_assert_true (G_VALUE_HOLDS_INT64 (&v_int));
    g_assert_cmpint (g_value_get_int64 (&v_int), ==, -7);
    g_assert_true (db_row_get_value (third, 2, &v_text));
    g_assert_cmpstr (g_value_get_string (&v_text), ==, "é");
    g_assert_false (db_row_get_value (first, 4, &v_null));
    g_assert_true (G_VALUE_HOLDS_POINTER (&v_null));
    g_assert_null (g_value_get_pointer (&v_null));
  }
}

/* A row is all a list widget keeps: it must keep its result set (and the strings
 * it handed out) alive after the caller dropped the DbRows. */
static void
test_model_row_keeps_rows_alive (void)
{
  g_autoptr(DbPool) pool = new_pool ();
  DbRows *rows = query (pool, "SELECT 'kept' AS s, x'0102' AS b");
  DbRow *row = g_list_model_get_item (G_LIST_MODEL (rows), 0);
  GBytes *bytes;
  const char *text;

  g_object_add_weak_pointer (G_OBJECT (rows), (gpointer *) &rows);
  text = db_row_get_string (row, 0);
  g_object_unref (rows);
  g_assert_nonnull (rows);                     /* still alive: the row holds it */
  g_assert_cmpstr (text, ==, "kept");
  g_assert_cmpstr (db_row_get_string (row, 0), ==, "kept");

  /* The bytes hold the result set too, so they outlive the row. */
  bytes = db_row_get_bytes (row, 1);
  g_object_unref (row);
  g_assert_nonnull (rows);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), "\x01\x02", 2);
  g_bytes_unref (bytes);
  g_assert_null (rows);                        /* and nothing else kept it */
}

static void
test_model_empty (void)
{
  g_autoptr(DbPool) pool = new_pool ();
  g_autoptr(DbRows) rows = query (pool, "SELECT 1 AS one WHERE 0");

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (rows)), ==, 0);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (rows)) == DB_TYPE_ROW);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (rows), 0));
}

/* A column out of range is what it is for DbRows: a critical naming the check, and
 * the same fallback value from each getter. */
static void
test_model_bad_column (void)
{
  g_autoptr(DbPool) pool = new_pool ();
  g_autoptr(DbRows) rows = query (pool, "SELECT 5 AS five");
  g_autoptr(DbRow) row = g_list_model_get_item (G_LIST_MODEL (rows), 0);
  g_auto(GValue) value = G_VALUE_INIT;

  /* Each pair: the DbRow getter's critical names it, then the DbRows getter on the
   * same cell gives the same fallback. */
#define EXPECT_SAME(type, row_func, rows_func)                                      \
  G_STMT_START {                                                                    \
    type from_row;                                                                  \
    type from_rows;                                                                 \
    g_test_expect_message ("dbpool", G_LOG_LEVEL_CRITICAL,                          \
                           "*" #row_func "*column < db_rows_get_n_columns*");       \
    from_row = row_func (row, 1);                                                   \
    g_test_assert_expected_messages ();                                             \
    g_test_expect_message ("dbpool", G_LOG_LEVEL_CRITICAL,                          \
                           "*" #rows_func "*column < *n_columns*");                 \
    from_rows = rows_func (rows, 0, 1);                                             \
    g_test_assert_expected_messages ();                                             \
    g_assert_true (from_row == from_rows);                                          \
  } G_STMT_END
  EXPECT_SAME (gint64, db_row_get_int64, db_rows_get_int64);
  EXPECT_SAME (double, db_row_get_double, db_rows_get_double);
  EXPECT_SAME (const char *, db_row_get_string, db_rows_get_string);
  EXPECT_SAME (GBytes *, db_row_get_bytes, db_rows_get_bytes);
  EXPECT_SAME (gboolean, db_row_is_null, db_rows_is_null);
#undef EXPECT_SAME

  g_test_expect_message ("dbpool", G_LOG_LEVEL_CRITICAL,
                         "*db_row_get_value*column < db_rows_get_n_columns*");
  g_assert_false (db_row_get_value (row, 1, &value));
  g_test_assert_expected_messages ();
  g_assert_true (G_VALUE_TYPE (&value) == G_TYPE_INVALID);   /* left unset */

  /* The row still works afterwards. */
  g_assert_cmpint (db_row_get_int64 (row, 0), ==, 5);
}

/* The model, like the getters, may be read from any thread at once. */
typedef struct
{
  DbRows *rows;
  gint64  sum;
} ThreadData;

static gpointer
read_all_items (gpointer user_data)
{
  ThreadData *data = user_data;
  GListModel *model = G_LIST_MODEL (data->rows);

  for (guint round = 0; round < 20; round++)
    for (guint i = 0; i < g_list_model_get_n_items (model); i++)
      {
        g_autoptr(DbRow) row = g_list_model_get_item (model, i);

        data->sum += db_row_get_int64 (row, 0) + (gint64) strlen (db_row_get_string (row, 1));
      }
  return NULL;
}

static void
test_model_threads (void)
{
  g_autoptr(DbPool) pool = new_pool ();
  g_autoptr(DbRows) rows = query (pool,
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 500) "
    "SELECT x, x * 1.5 FROM c");
  ThreadData data[4];
  GThread *threads[4];
  gint64 expected = 0;

  for (guint i = 0; i < 500; i++)
    expected += db_rows_get_int64 (rows, i, 0) + (gint64) strlen (db_rows_get_string (rows, i, 1));
  expected *= 20;

  for (guint t = 0; t < G_N_ELEMENTS (threads); t++)
    {
      data[t] = (ThreadData) { rows, 0 };
      threads[t] = g_thread_new ("rows-model", read_all_items, &data[t]);
    }
  for (guint t = 0; t < G_N_ELEMENTS (threads); t++)
    {
      g_thread_join (threads[t]);
      g_assert_cmpint (data[t].sum, ==, expected);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/rows-model/shape", test_model_shape);
  g_test_add_func ("/rows-model/column-index", test_model_column_index);
  g_test_add_func ("/rows-model/getters-match-rows", test_model_getters_match_rows);
  g_test_add_func ("/rows-model/row-keeps-rows-alive", test_model_row_keeps_rows_alive);
  g_test_add_func ("/rows-model/empty", test_model_empty);
  g_test_add_func ("/rows-model/bad-column", test_model_bad_column);
  g_test_add_func ("/rows-model/threads", test_model_threads);

  return g_test_run ();
}
