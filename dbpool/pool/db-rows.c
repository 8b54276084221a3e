/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "db-rows-private.h"
#include "db-row.h"

/**
 * DbRows:
 *
 * The result of a query: every row, copied out of SQLite before the statement was
 * reset, so it can be read on any thread, in any order, for as long as a reference
 * is held.
 *
 * A `DbRows` is immutable and safe to share between threads. Values keep the type
 * SQLite gave them (integer, real, text, blob or NULL); the typed getters convert the
 * way SQLite's own column getters do.
 *
 * Rows and columns are counted from 0. Passing a row or column out of range is a
 * programmer error (a critical warning), as for other GLib containers.
 *
 * `DbRows` is also a [iface@Gio.ListModel] of [class@DbPool.Row] items, one per
 * row, so a query result can feed a `GtkListView` or `GtkColumnView` (through a
 * `GtkNoSelection` or `GtkSingleSelection`) directly. The items are made when asked
 * for, each holding a reference on the result set. Because a result set never
 * changes, the model never emits [signal@Gio.ListModel::items-changed]: to show
 * new data, run the query again and give the widget the new `DbRows`. Like the
 * getters, the list model may be read from any thread.
 */

/* One value. 16 bytes, and no allocation of its own: text and blob bytes live in the
 * shared arena, so a row of N columns costs N cells and one arena append per string. */
typedef struct
{
  guint32 type;          /* a DbValueKind */
  guint32 len;           /* bytes of text or blob, without the added NUL */
  union {
    gint64  i;
    double  d;
    guint64 offset;      /* into the arena */
  } v;
} Cell;

G_STATIC_ASSERT (sizeof (Cell) == 16);

struct _DbRows
{
  GObject     parent_instance;

  guint       n_columns;
  guint       n_rows;
  char      **column_names;
  /* TRUE for the first column of each name; later duplicates are left out of
   * the a{sv} and JSON forms, which are keyed by name. */
  gboolean   *first_of_name;

  GArray     *cells;     /* of Cell, row-major */
  GByteArray *arena;     /* text (NUL-terminated) and blob bytes */

  /* get_string() on a number returns a string that must live as long as @self;
   * these are rendered on demand, on any thread, hence the lock. */
  GMutex      rendered_lock;
  GHashTable *rendered;  /* cell index → char * */
};

static void db_rows_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DbRows, db_rows, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, db_rows_list_model_init))

/* GListModel. Nothing here can change after the rows were handed over, so there is
 * nothing to lock and items-changed is never emitted. */
static GType
db_rows_get_item_type (GListModel *model)
{
  return DB_TYPE_ROW;
}

static guint
db_rows_get_n_items (GListModel *model)
{
  return DB_ROWS (model)->n_rows;
}

static gpointer
db_rows_get_item (GListModel *model,
                  guint       position)
{
  DbRows *self = DB_ROWS (model);

  /* Past the end is not an error for a GListModel: it is how callers find the end. */
  if (position >= self->n_rows)
    return NULL;
  return _db_row_new (self, position);
}

static void
db_rows_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = db_rows_get_item_type;
  iface->get_n_items = db_rows_get_n_items;
  iface->get_item = db_rows_get_item;
}

static void
db_rows_finalize (GObject *object)
{
  DbRows *self = DB_ROWS (object);

  g_clear_pointer (&self->column_names, g_strfreev);
  g_clear_pointer (&self->first_of_name, g_free);
  g_clear_pointer (&self->cells, g_array_unref);
  g_clear_pointer (&self->arena, g_byte_array_unref);
  g_clear_pointer (&self->rendered, g_hash_table_unref);
  g_mutex_clear (&self->rendered_lock);

  G_OBJECT_CLASS (db_rows_parent_class)->finalize (object);
}

static void
db_rows_class_init (DbRowsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = db_rows_finalize;
}

static void
db_rows_init (DbRows *self)
{
  g_mutex_init (&self->rendered_lock);
  self->cells = g_array_new (FALSE, FALSE, sizeof (Cell));
  self->arena = g_byte_array_new ();
}

DbRows *
_db_rows_new_for_statement (DbBackendStmt *stmt)
{
  DbRows *self;

  g_assert (stmt != NULL);

  self = g_object_new (DB_TYPE_ROWS, NULL);
  self->n_columns = (guint) _db_backend_stmt_column_count (stmt);
  self->column_names = g_new0 (char *, self->n_columns + 1);
  self->first_of_name = g_new0 (gboolean, self->n_columns);

  for (guint i = 0; i < self->n_columns; i++)
    {
      const char *name = _db_backend_stmt_column_name (stmt, (int) i);

      /* NULL only when SQLite is out of memory; names may come from arbitrary SQL
       * text, and they become GVariant and JSON keys, which must be UTF-8. */
      self->column_names[i] = name == NULL ? g_strdup_printf ("column%u", i)
                            : g_utf8_validate (name, -1, NULL) ? g_strdup (name)
                            : g_utf8_make_valid (name, -1);
      self->first_of_name[i] = TRUE;
      for (guint j = 0; j < i; j++)
        {
          if (strcmp (self->column_names[i], self->column_names[j]) == 0)
            {
              self->first_of_name[i] = FALSE;
              break;
            }
        }
    }

  return self;
}

static void
append_bytes (DbRows     *self,
              Cell       *cell,
              const void *data,
              gsize       len)
{
  static const guint8 nul = 0;

  cell->len = (guint32) len;
  cell->v.offset = self->arena->len;
  if (cell->len > 0)
    g_byte_array_append (self->arena, data, cell->len);
  /* Text is handed out as C strings; blobs get the NUL too, so that converting one
   * to a number (as SQLite allows) can parse it safely. */
  g_byte_array_append (self->arena, &nul, 1);
}

void
_db_rows_append_current (DbRows        *self,
                         DbBackendStmt *stmt)
{
  guint first = self->cells->len;

  g_assert (DB_IS_ROWS (self));
  g_assert (stmt != NULL);
  g_assert ((guint) stmt->n_columns == self->n_columns);

  g_array_set_size (self->cells, first + self->n_columns);

  for (guint i = 0; i < self->n_columns; i++)
    {
      Cell *cell = &g_array_index (self->cells, Cell, first + i);
      int col = (int) i;

      cell->type = (guint32) _db_backend_stmt_column_kind (stmt, col);
      cell->len = 0;
      cell->v.i = 0;

      switch (cell->type)
        {
        case DB_VALUE_INT64:
          cell->v.i = _db_backend_stmt_column_int64 (stmt, col);
          break;
        case DB_VALUE_DOUBLE:
          cell->v.d = _db_backend_stmt_column_double (stmt, col);
          break;
        case DB_VALUE_TEXT:
          {
            gsize len;
            const char *text = _db_backend_stmt_column_text (stmt, col, &len);

            append_bytes (self, cell, text, len);
          }
          break;
        case DB_VALUE_BLOB:
          {
            gsize len;
            gconstpointer blob = _db_backend_stmt_column_blob (stmt, col, &len);

            append_bytes (self, cell, blob, len);
          }
          break;
        case DB_VALUE_NULL:
        default:
          cell->type = DB_VALUE_NULL;
          break;
        }
    }

  self->n_rows++;
}

static inline const Cell *
get_cell (DbRows *self,
          guint   row,
          guint   column)
{
  return &g_array_index (self->cells, Cell, (gsize) row * self->n_columns + column);
}

static inline const char *
cell_data (DbRows     *self,
           const Cell *cell)
{
  return (const char *) self->arena->data + cell->v.offset;
}

/* A macro rather than a function so that criticals name the public function; the
 * arguments are always plain variables, left unparenthesized to keep the message
 * readable ("row < self->n_rows"). */
#define CHECK_CELL(self, row, column, val)              \
  G_STMT_START {                                        \
    g_return_val_if_fail (DB_IS_ROWS (self), val);      \
    g_return_val_if_fail (row < self->n_rows, val);     \
    g_return_val_if_fail (column < self->n_columns, val); \
  } G_STMT_END

/* SQLite renders reals with 15 significant digits and always marks them as reals
 * ("1.0", "1.0e+20", "Inf"); so do we, so that get_string() agrees with
 * CAST(x AS TEXT). */
static char *
render_double (double d)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  const char *e;

  if (isinf (d))
    return g_strdup (d > 0 ? "Inf" : "-Inf");
  if (d == 0.0)
    return g_strdup ("0.0");   /* also for -0.0, as SQLite */

  g_ascii_formatd (buf, sizeof buf, "%.15g", d);
  if (strchr (buf, '.') != NULL)
    return g_strdup (buf);
  e = strchr (buf, 'e');
  if (e == NULL)
    return g_strconcat (buf, ".0", NULL);
  return g_strdup_printf ("%.*s.0%s", (int) (e - buf), buf, e);
}

/* SQLite's real from text: a decimal number (leading part), else 0. Unlike
 * g_ascii_strtod(), SQLite knows no hexadecimal, "inf" or "nan". */
static double
text_to_double (const char *text)
{
  const char *p = text;

  while (g_ascii_isspace (*p))
    p++;
  if (*p == '+' || *p == '-')
    p++;
  if (!g_ascii_isdigit (*p) && !(*p == '.' && g_ascii_isdigit (p[1])))
    return 0.0;
  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
    return 0.0;
  return g_ascii_strtod (text, NULL);
}

static gint64
double_to_int64 (double d)
{
  /* Saturating, like SQLite, rather than C's undefined behaviour. */
  if (isnan (d))
    return 0;
  if (d <= (double) G_MININT64)
    return G_MININT64;
  if (d >= (double) G_MAXINT64)
    return G_MAXINT64;
  return (gint64) d;
}

/* SQLite's integer from text takes the leading integer and ignores the rest:
 * "1.9" is 1 and "1e3" is 1. Out-of-range values saturate. */
static gint64
text_to_int64 (const char *text)
{
  return g_ascii_strtoll (text, NULL, 10);
}

/**
 * db_rows_get_n_rows:
 * @self: a result set
 *
 * Gets the number of rows.
 *
 * Returns: the number of rows, possibly 0
 */
guint
db_rows_get_n_rows (DbRows *self)
{
  g_return_val_if_fail (DB_IS_ROWS (self), 0);

  return self->n_rows;
}

/**
 * db_rows_get_n_columns:
 * @self: a result set
 *
 * Gets the number of columns of the statement, which is known even when there are
 * no rows.
 *
 * Returns: the number of columns
 */
guint
db_rows_get_n_columns (DbRows *self)
{
  g_return_val_if_fail (DB_IS_ROWS (self), 0);

  return self->n_columns;
}

/**
 * db_rows_get_column_name:
 * @self: a result set
 * @column: a column index
 *
 * Gets the name SQLite gives @column: its `AS` alias if there is one, otherwise
 * a name derived from the expression.
 *
 * Returns: (transfer none): the column name, valid as long as @self
 */
const char *
db_rows_get_column_name (DbRows *self,
                         guint   column)
{
  g_return_val_if_fail (DB_IS_ROWS (self), NULL);
  g_return_val_if_fail (column < self->n_columns, NULL);

  return self->column_names[column];
}

/**
 * db_rows_get_column_index:
 * @self: a result set
 * @name: a column name
 *
 * Finds a column by name. An exact match wins; failing that, names are compared
 * ignoring ASCII case, as SQL identifiers are. When several columns share a name,
 * the first one is found.
 *
 * Returns: the index of the column, or -1 if there is none called @name
 */
int
db_rows_get_column_index (DbRows     *self,
                          const char *name)
{
  g_return_val_if_fail (DB_IS_ROWS (self), -1);
  g_return_val_if_fail (name != NULL, -1);

  for (guint i = 0; i < self->n_columns; i++)
    if (strcmp (self->column_names[i], name) == 0)
      return (int) i;

  for (guint i = 0; i < self->n_columns; i++)
    if (g_ascii_strcasecmp (self->column_names[i], name) == 0)
      return (int) i;

  return -1;
}

/**
 * db_rows_is_null:
 * @self: a result set
 * @row: a row index
 * @column: a column index
 *
 * Checks whether a value is SQL `NULL`.
 *
 * Returns: %TRUE for `NULL`
 */
gboolean
db_rows_is_null (DbRows *self,
                 guint   row,
                 guint   column)
{
  CHECK_CELL (self, row, column, TRUE);

  return get_cell (self, row, column)->type == DB_VALUE_NULL;
}

/**
 * db_rows_get_int64:
 * @self: a result set
 * @row: a row index
 * @column: a column index
 *
 * Gets a value as an integer, converted as SQLite's column getters do: reals are
 * truncated toward zero (saturating at the #gint64 limits), text and blobs are read
 * for their leading decimal integer (`"12abc"` is 12, `"1.9"` is 1, `"x"` is 0),
 * and `NULL` is 0.
 *
 * Returns: the value as an integer
 */
gint64
db_rows_get_int64 (DbRows *self,
                   guint   row,
                   guint   column)
{
  const Cell *cell;

  CHECK_CELL (self, row, column, 0);

  cell = get_cell (self, row, column);
  switch (cell->type)
    {
    case DB_VALUE_INT64:
      return cell->v.i;
    case DB_VALUE_DOUBLE:
      return double_to_int64 (cell->v.d);
    case DB_VALUE_TEXT:
    case DB_VALUE_BLOB:
      return text_to_int64 (cell_data (self, cell));
    case DB_VALUE_NULL:
    default:
      return 0;
    }
}

/**
 * db_rows_get_double:
 * @self: a result set
 * @row: a row index
 * @column: a column index
 *
 * Gets a value as a floating-point number, converted as SQLite's column getters do:
 * text and blobs are read for their leading decimal number (`"1.5x"` is 1.5,
 * `"x"` is 0.0) and `NULL` is 0.0.
 *
 * Returns: the value as a double
 */
double
db_rows_get_double (DbRows *self,
                    guint   row,
                    guint   column)
{
  const Cell *cell;

  CHECK_CELL (self, row, column, 0.0);

  cell = get_cell (self, row, column);
  switch (cell->type)
    {
    case DB_VALUE_INT64:
      return (double) cell->v.i;
    case DB_VALUE_DOUBLE:
      return cell->v.d;
    case DB_VALUE_TEXT:
    case DB_VALUE_BLOB:
      return text_to_double (cell_data (self, cell));
    case DB_VALUE_NULL:
    default:
      return 0.0;
    }
}

static const char *
get_rendered (DbRows     *self,
              guint       row,
              guint       column,
              const Cell *cell)
{
  gpointer key = GSIZE_TO_POINTER ((gsize) row * self->n_columns + column);
  const char *str;

  g_mutex_lock (&self->rendered_lock);
  if (self->rendered == NULL)
    self->rendered = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  str = g_hash_table_lookup (self->rendered, key);
  if (str == NULL)
    {
      char *new_str = cell->type == DB_VALUE_INT64
                      ? g_strdup_printf ("%" G_GINT64_FORMAT, cell->v.i)
                      : render_double (cell->v.d);

      g_hash_table_insert (self->rendered, key, new_str);
      str = new_str;
    }
  g_mutex_unlock (&self->rendered_lock);

  return str;
}

/**
 * db_rows_get_string:
 * @self: a result set
 * @row: a row index
 * @column: a column index
 *
 * Gets a value as text. Text is returned as stored (SQLite does not check that it is
 * valid UTF-8, so neither can this). Integers and reals are rendered as
 * `CAST(x AS TEXT)` would (`42`, `0.5`, `1.0`). Blobs are not text: use
 * [method@DbPool.Rows.get_bytes] for them.
 *
 * Returns: (transfer none) (nullable): the text, valid as long as @self; %NULL for
 *   `NULL` and for blobs
 */
const char *
db_rows_get_string (DbRows *self,
                    guint   row,
                    guint   column)
{
  const Cell *cell;

  CHECK_CELL (self, row, column, NULL);

  cell = get_cell (self, row, column);
  switch (cell->type)
    {
    case DB_VALUE_TEXT:
      return cell_data (self, cell);
    case DB_VALUE_INT64:
    case DB_VALUE_DOUBLE:
      return get_rendered (self, row, column, cell);
    case DB_VALUE_BLOB:
    case DB_VALUE_NULL:
    default:
      return NULL;
    }
}

/**
 * db_rows_get_bytes:
 * @self: a result set
 * @row: a row index
 * @column: a column index
 *
 * Gets a value as bytes: a blob's contents, the bytes of text (without a trailing
 * NUL), or the text form of a number. The blob and text bytes are not copied; the
 * #GBytes keeps @self alive instead.
 *
 * Returns: (transfer full) (nullable): the bytes, or %NULL for `NULL`
 */
GBytes *
db_rows_get_bytes (DbRows *self,
                   guint   row,
                   guint   column)
{
  const Cell *cell;

  CHECK_CELL (self, row, column, NULL);

  cell = get_cell (self, row, column);
  switch (cell->type)
    {
    case DB_VALUE_TEXT:
    case DB_VALUE_BLOB:
      if (cell->len == 0)
        return g_bytes_new (NULL, 0);
      return g_bytes_new_with_free_func (cell_data (self, cell), cell->len,
                                         g_object_unref, g_object_ref (self));
    case DB_VALUE_INT64:
    case DB_VALUE_DOUBLE:
      {
        const char *str = get_rendered (self, row, column, cell);
        return g_bytes_new (str, strlen (str));
      }
    case DB_VALUE_NULL:
    default:
      return NULL;
    }
}

/**
 * db_rows_get_value:
 * @self: a result set
 * @row: a row index
 * @column: a column index
 * @value: (out caller-allocates): an unset #GValue (`G_VALUE_INIT`) to fill
 *
 * Gets a value with its SQLite type: @value is initialized to %G_TYPE_INT64 for
 * integers, %G_TYPE_DOUBLE for reals, %G_TYPE_STRING for text (a copy) and
 * %G_TYPE_BYTES for blobs.
 *
 * For `NULL`, %FALSE is returned and @value holds a %NULL %G_TYPE_POINTER: an
 * initialized value rather than an unset one, because language bindings cannot
 * convert an unset #GValue (Python then sees `(False, None)`, JavaScript
 * `[false, null]`). Either way, g_value_unset() @value when done, or declare it
 * with `g_auto(GValue)`.
 *
 * Returns: %TRUE if @value holds the value, %FALSE if the value is `NULL`
 */
gboolean
db_rows_get_value (DbRows *self,
                   guint   row,
                   guint   column,
                   GValue *value)
{
  const Cell *cell;

  CHECK_CELL (self, row, column, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);
  g_return_val_if_fail (G_VALUE_TYPE (value) == G_TYPE_INVALID, FALSE);

  cell = get_cell (self, row, column);
  switch (cell->type)
    {
    case DB_VALUE_INT64:
      g_value_init (value, G_TYPE_INT64);
      g_value_set_int64 (value, cell->v.i);
      return TRUE;
    case DB_VALUE_DOUBLE:
      g_value_init (value, G_TYPE_DOUBLE);
      g_value_set_double (value, cell->v.d);
      return TRUE;
    case DB_VALUE_TEXT:
      g_value_init (value, G_TYPE_STRING);
      g_value_set_string (value, cell_data (self, cell));
      return TRUE;
    case DB_VALUE_BLOB:
      g_value_init (value, G_TYPE_BYTES);
      g_value_take_boxed (value, db_rows_get_bytes (self, row, column));
      return TRUE;
    case DB_VALUE_NULL:
    default:
      g_value_init (value, G_TYPE_POINTER);   /* holding NULL; see above */
      return FALSE;
    }
}

/* GVariant strings and JSON strings must be valid UTF-8 without NULs; SQLite text
 * need not be. Invalid sequences become U+FFFD rather than failing the whole result. */
static char *
cell_to_utf8 (DbRows     *self,
              const Cell *cell)
{
  const char *text = cell_data (self, cell);

  if (g_utf8_validate_len (text, cell->len, NULL))
    return g_strndup (text, cell->len);
  return g_utf8_make_valid (text, cell->len);
}

static GVariant *
cell_to_variant (DbRows     *self,
                 guint       row,
                 guint       column,
                 const Cell *cell)
{
  switch (cell->type)
    {
    case DB_VALUE_INT64:
      return g_variant_new_int64 (cell->v.i);
    case DB_VALUE_DOUBLE:
      return g_variant_new_double (cell->v.d);
    case DB_VALUE_TEXT:
      return g_variant_new_take_string (cell_to_utf8 (self, cell));
    case DB_VALUE_BLOB:
      {
        g_autoptr(GBytes) bytes = db_rows_get_bytes (self, row, column);
        return g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, bytes, TRUE);
      }
    case DB_VALUE_NULL:
    default:
      g_assert_not_reached ();
    }
}

static GVariant *
row_to_variant (DbRows *self,
                guint   row)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  for (guint column = 0; column < self->n_columns; column++)
    {
      const Cell *cell = get_cell (self, row, column);

      if (cell->type == DB_VALUE_NULL || !self->first_of_name[column])
        continue;
      g_variant_builder_add (&builder, "{sv}", self->column_names[column],
                             cell_to_variant (self, row, column, cell));
    }

  return g_variant_builder_end (&builder);
}

/**
 * db_rows_get_row_variant:
 * @self: a result set
 * @row: a row index
 *
 * Gets one row as a dictionary from column name to value (`a{sv}`). Values are
 * `x` (integer), `d` (real), `s` (text) or `ay` (blob); `NULL` values are left
 * out, so a missing key means `NULL`. When several columns share a name only the
 * first is included. Text that is not valid UTF-8 has the invalid bytes replaced
 * by U+FFFD.
 *
 * The result is a floating reference, like those of `g_variant_new_*()`.
 *
 * Returns: (transfer none): an `a{sv}` #GVariant
 */
GVariant *
db_rows_get_row_variant (DbRows *self,
                         guint   row)
{
  g_return_val_if_fail (DB_IS_ROWS (self), NULL);
  g_return_val_if_fail (row < self->n_rows, NULL);

  return row_to_variant (self, row);
}

/**
 * db_rows_to_variant:
 * @self: a result set
 *
 * Gets every row as an array of dictionaries (`aa{sv}`), each as
 * [method@DbPool.Rows.get_row_variant] describes.
 *
 * The result is a floating reference, like those of `g_variant_new_*()`.
 *
 * Returns: (transfer none): an `aa{sv}` #GVariant
 */
GVariant *
db_rows_to_variant (DbRows *self)
{
  GVariantBuilder builder;

  g_return_val_if_fail (DB_IS_ROWS (self), NULL);

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa{sv}"));
  for (guint row = 0; row < self->n_rows; row++)
    g_variant_builder_add_value (&builder, row_to_variant (self, row));

  return g_variant_builder_end (&builder);
}

static void
add_cell_json (JsonBuilder *builder,
               DbRows      *self,
               const Cell  *cell)
{
  switch (cell->type)
    {
    case DB_VALUE_INT64:
      json_builder_add_int_value (builder, cell->v.i);
      break;
    case DB_VALUE_DOUBLE:
      /* JSON has no infinities (SQLite turns NaN into NULL itself). */
      if (isfinite (cell->v.d))
        json_builder_add_double_value (builder, cell->v.d);
      else
        json_builder_add_null_value (builder);
      break;
    case DB_VALUE_TEXT:
      {
        g_autofree char *text = cell_to_utf8 (self, cell);
        json_builder_add_string_value (builder, text);
      }
      break;
    case DB_VALUE_BLOB:
      {
        g_autofree char *base64 = g_base64_encode ((const guchar *) cell_data (self, cell),
                                                   cell->len);
        json_builder_add_string_value (builder, base64);
      }
      break;
    case DB_VALUE_NULL:
    default:
      json_builder_add_null_value (builder);
      break;
    }
}

/**
 * db_rows_to_json:
 * @self: a result set
 *
 * Writes every row as a compact JSON array of objects keyed by column name:
 * integers and reals as numbers, text as strings, `NULL` as `null`, and blobs as
 * base64 strings (JSON has no binary type). Non-finite reals become `null`. When
 * several columns share a name only the first is included. Text that is not
 * valid UTF-8 has the invalid bytes replaced by U+FFFD.
 *
 * Returns: (transfer full): a JSON array as a string
 */
char *
db_rows_to_json (DbRows *self)
{
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (DB_IS_ROWS (self), NULL);

  builder = json_builder_new_immutable ();
  json_builder_begin_array (builder);
  for (guint row = 0; row < self->n_rows; row++)
    {
      json_builder_begin_object (builder);
      for (guint column = 0; column < self->n_columns; column++)
        {
          if (!self->first_of_name[column])
            continue;
          json_builder_set_member_name (builder, self->column_names[column]);
          add_cell_json (builder, self, get_cell (self, row, column));
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}
