/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "db-rows-private.h"
#include "db-row.h"

/**
 * DbRow:
 *
 * One row of a [class@DbPool.Rows], as the items of its [iface@Gio.ListModel]:
 * what a `GtkListView` or `GtkColumnView` factory is handed.
 *
 * A `DbRow` is a view, not a copy: it holds a reference on its result set (which
 * therefore lives at least as long as the row) and its row number, and every getter
 * reads the result set. Values, types and conversions are exactly those of the
 * [class@DbPool.Rows] getters with this row's index; a column out of range is the
 * same programmer error (a critical warning, and the same fallback value).
 *
 * Like the result set, a row is immutable and may be used from any thread.
 * [method@Gio.ListModel.get_item] makes a new `DbRow` each time it is called (it
 * costs one small allocation): compare rows with [method@DbPool.Row.get_index],
 * not by identity.
 */

struct _DbRow
{
  GObject  parent_instance;

  DbRows  *rows;
  guint    index;
};

G_DEFINE_FINAL_TYPE (DbRow, db_row, G_TYPE_OBJECT)

static void
db_row_finalize (GObject *object)
{
  DbRow *self = DB_ROW (object);

  g_clear_object (&self->rows);

  G_OBJECT_CLASS (db_row_parent_class)->finalize (object);
}

static void
db_row_class_init (DbRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = db_row_finalize;
}

static void
db_row_init (DbRow *self)
{
}

DbRow *
_db_row_new (DbRows *rows,
             guint   index)
{
  DbRow *self;

  g_assert (DB_IS_ROWS (rows));
  g_assert (index < db_rows_get_n_rows (rows));

  /* No construct properties: the fields are set directly, so that a list widget
   * scrolling through thousands of rows pays only for the object itself. */
  self = g_object_new (DB_TYPE_ROW, NULL);
  self->rows = g_object_ref (rows);
  self->index = index;

  return self;
}

/* As in db-rows.c, a macro so that the critical names the public function and
 * reads "column < db_rows_get_n_columns (self->rows)". The row index needs no check:
 * a DbRow is only ever made for a row that exists. */
#define CHECK_COLUMN(self, column, val)                                 \
  G_STMT_START {                                                        \
    g_return_val_if_fail (DB_IS_ROW (self), val);                       \
    g_return_val_if_fail (column < db_rows_get_n_columns (self->rows), val); \
  } G_STMT_END

/**
 * db_row_get_rows:
 * @self: a row
 *
 * Gets the result set this row belongs to, for example to read the column names
 * with [method@DbPool.Rows.get_column_name].
 *
 * Returns: (transfer none): the result set, alive as long as @self
 */
DbRows *
db_row_get_rows (DbRow *self)
{
  g_return_val_if_fail (DB_IS_ROW (self), NULL);

  return self->rows;
}

/**
 * db_row_get_index:
 * @self: a row
 *
 * Gets the position of this row in its result set, counted from 0: the position
 * it was fetched at with [method@Gio.ListModel.get_item].
 *
 * Returns: the row index
 */
guint
db_row_get_index (DbRow *self)
{
  g_return_val_if_fail (DB_IS_ROW (self), 0);

  return self->index;
}

/**
 * db_row_get_n_columns:
 * @self: a row
 *
 * Gets the number of columns, the same for every row of a result set.
 *
 * Returns: the number of columns
 */
guint
db_row_get_n_columns (DbRow *self)
{
  g_return_val_if_fail (DB_IS_ROW (self), 0);

  return db_rows_get_n_columns (self->rows);
}

/**
 * db_row_get_column_index:
 * @self: a row
 * @name: a column name
 *
 * Finds a column by name, as [method@DbPool.Rows.get_column_index] does: an exact
 * match first, then ignoring ASCII case; the first of several columns of that name.
 *
 * Returns: the index of the column, or -1 if there is none called @name
 */
int
db_row_get_column_index (DbRow      *self,
                         const char *name)
{
  g_return_val_if_fail (DB_IS_ROW (self), -1);
  g_return_val_if_fail (name != NULL, -1);

  return db_rows_get_column_index (self->rows, name);
}

/**
 * db_row_is_null:
 * @self: a row
 * @column: a column index
 *
 * Checks whether a value is SQL `NULL`, as [method@DbPool.Rows.is_null].
 *
 * Returns: %TRUE for `NULL`
 */
gboolean
db_row_is_null (DbRow *self,
                guint  column)
{
  CHECK_COLUMN (self, column, TRUE);

  return db_rows_is_null (self->rows, self->index, column);
}

/**
 * db_row_get_int64:
 * @self: a row
 * @column: a column index
 *
 * Gets a value as an integer, converted as [method@DbPool.Rows.get_int64] does
 * (reals truncated, text read for its leading integer, `NULL` as 0).
 *
 * Returns: the value as an integer
 */
gint64
db_row_get_int64 (DbRow *self,
                  guint  column)
{
  CHECK_COLUMN (self, column, 0);

  return db_rows_get_int64 (self->rows, self->index, column);
}

/**
 * db_row_get_double:
 * @self: a row
 * @column: a column index
 *
 * Gets a value as a floating-point number, converted as
 * [method@DbPool.Rows.get_double] does (text read for its leading number, `NULL`
 * as 0.0).
 *
 * Returns: the value as a double
 */
double
db_row_get_double (DbRow *self,
                   guint  column)
{
  CHECK_COLUMN (self, column, 0.0);

  return db_rows_get_double (self->rows, self->index, column);
}

/**
 * db_row_get_string:
 * @self: a row
 * @column: a column index
 *
 * Gets a value as text, as [method@DbPool.Rows.get_string] does: text as stored,
 * numbers rendered as `CAST(x AS TEXT)` would render them.
 *
 * Returns: (transfer none) (nullable): the text, valid as long as @self; %NULL for
 *   `NULL` and for blobs
 */
const char *
db_row_get_string (DbRow *self,
                   guint  column)
{
  CHECK_COLUMN (self, column, NULL);

  return db_rows_get_string (self->rows, self->index, column);
}

/**
 * db_row_get_bytes:
 * @self: a row
 * @column: a column index
 *
 * Gets a value as bytes, as [method@DbPool.Rows.get_bytes] does: a blob's
 * contents, the bytes of text, or the text form of a number. The bytes are not
 * copied; the #GBytes keeps the result set alive instead.
 *
 * Returns: (transfer full) (nullable): the bytes, or %NULL for `NULL`
 */
GBytes *
db_row_get_bytes (DbRow *self,
                  guint  column)
{
  CHECK_COLUMN (self, column, NULL);

  return db_rows_get_bytes (self->rows, self->index, column);
}

/**
 * db_row_get_value:
 * @self: a row
 * @column: a column index
 * @value: (out caller-allocates): an unset #GValue (`G_VALUE_INIT`) to fill
 *
 * Gets a value with its SQLite type, as [method@DbPool.Rows.get_value] does:
 * %G_TYPE_INT64, %G_TYPE_DOUBLE, %G_TYPE_STRING or %G_TYPE_BYTES, and for `NULL`
 * %FALSE with @value holding a %NULL %G_TYPE_POINTER. g_value_unset() @value when
 * done.
 *
 * Returns: %TRUE if @value holds the value, %FALSE if the value is `NULL`
 */
gboolean
db_row_get_value (DbRow  *self,
                  guint   column,
                  GValue *value)
{
  CHECK_COLUMN (self, column, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);
  g_return_val_if_fail (G_VALUE_TYPE (value) == G_TYPE_INVALID, FALSE);

  return db_rows_get_value (self->rows, self->index, column, value);
}
