/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: GVariant parameter binding (_db_bind_params).
 *
 * Input: byte 0 picks a GVariant type from types[], byte 1 a statement from
 * statements[], and the rest is the variant's serialized data, loaded untrusted with
 * g_variant_new_from_data() (no data at all: NULL parameters). Both that variant as
 * it came (possibly not in normal form) and its normal form are bound to the
 * statement, checked out of an in-memory SQLite backend connection, the way
 * DbConnection does: bind, step while the variant is alive, reset, clear.
 *
 * The oracle is the contract in db-bind-private.h, worked out here independently:
 * whether binding must succeed (count, names, supported value types), and when it
 * does, that every parameter reads back as the value given. A failure must be a
 * DB_POOL_ERROR_MISUSE with a message. Untrusted variants also check that what was
 * bound stays valid until the reset (ASan would see it dangle). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <sqlite3.h>

#include "fuzz-common.h"
#include "db-bind-private.h"
#include "db-sqlite-conn-private.h"
#include "db-types.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* `v` members let the fuzzer reach any value type inside a fixed outer type. */
static const char * const types[] = {
  "(ixsd)",
  "(vvvv)",
  "a{sv}",
  "a{ss}",
  "v",
  "(mxmsmaymb)",
  "a{sx}",
  "(ayayayay)",
  "(uqnh)",
  "((ii)iii)",
  "a{s(ii)}",
  "(sv)",
  "(vvvvv)",
  "mv",
  "as",
  "()",
};

/* Several layouts of positional and named parameters. */
static const char * const statements[] = {
  "SELECT ?, ?, ?, ?",
  "SELECT :a, :b, @c, $d",
  "SELECT ?1, ?2, ?1, :x",
  "SELECT :a, :a, ?5",
  "SELECT :name, :value, :id, @p, $q",
  "SELECT ?, :a, ?, @b",
  "SELECT $a::b, $c(d), :e",
  "SELECT 1",
  "SELECT ?3, :a",
  "SELECT :a, :b, :c, :d, :e",
};

static DbBackendConn *db;
static DbBackendStmt *prepared[G_N_ELEMENTS (statements)];

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  DbBackendSettings settings = {
    .path = (char *) ":memory:",
    .statement_cache_size = G_N_ELEMENTS (statements),
  };
  g_autoptr(GError) error = NULL;

  fuzz_init_glib ();

  db = _db_backend_open (_db_backend_for_path (settings.path), &settings, &error);
  g_assert_no_error (error);
  /* Checked out once and kept across inputs like a connection's statement cache, so
   * that a binding left over from an earlier input would show. */
  for (guint i = 0; i < G_N_ELEMENTS (statements); i++)
    {
      prepared[i] = _db_backend_conn_checkout (db, statements[i], &error);
      g_assert_no_error (error);
    }
  return 0;
}

/* The value a parameter holds after binding: v unwrapped, a maybe's value, or NULL
 * (returned as NULL) for an empty maybe. */
static GVariant *
unwrap (GVariant *value)
{
  g_autoptr(GVariant) current = g_variant_ref (value);

  for (;;)
    {
      g_autoptr(GVariant) inner = NULL;

      if (g_variant_is_of_type (current, G_VARIANT_TYPE_VARIANT))
        inner = g_variant_get_variant (current);
      else if (g_variant_is_of_type (current, G_VARIANT_TYPE_MAYBE))
        {
          inner = g_variant_get_maybe (current);
          if (inner == NULL)
            return NULL;
        }
      else
        return g_steal_pointer (&current);

      g_clear_pointer (&current, g_variant_unref);
      current = g_steal_pointer (&inner);
    }
}

static gboolean
is_bindable (GVariant *value)
{
  g_autoptr(GVariant) inner = unwrap (value);

  if (inner == NULL)
    return TRUE;

  switch (g_variant_classify (inner))
    {
    case G_VARIANT_CLASS_BOOLEAN:
    case G_VARIANT_CLASS_BYTE:
    case G_VARIANT_CLASS_INT16:
    case G_VARIANT_CLASS_UINT16:
    case G_VARIANT_CLASS_INT32:
    case G_VARIANT_CLASS_UINT32:
    case G_VARIANT_CLASS_INT64:
    case G_VARIANT_CLASS_DOUBLE:
    case G_VARIANT_CLASS_STRING:
    case G_VARIANT_CLASS_OBJECT_PATH:
    case G_VARIANT_CLASS_SIGNATURE:
      return TRUE;
    case G_VARIANT_CLASS_UINT64:
      return g_variant_get_uint64 (inner) <= G_MAXINT64;
    case G_VARIANT_CLASS_ARRAY:
      return g_variant_is_of_type (inner, G_VARIANT_TYPE_BYTESTRING);
    case G_VARIANT_CLASS_HANDLE:
    case G_VARIANT_CLASS_TUPLE:
    case G_VARIANT_CLASS_DICT_ENTRY:
    case G_VARIANT_CLASS_VARIANT:
    case G_VARIANT_CLASS_MAYBE:
    default:
      return FALSE;
    }
}

/* The parameter index a dictionary key names: exactly, when written with its prefix,
 * or the first of :key, @key, $key that the statement has. 0 for none. */
static int
key_index (sqlite3_stmt *stmt,
           const char   *key)
{
  static const char prefixes[] = ":@$";

  if (key[0] == '\0')
    return 0;
  if (strchr (prefixes, key[0]) != NULL)
    return sqlite3_bind_parameter_index (stmt, key);
  for (guint i = 0; prefixes[i] != '\0'; i++)
    {
      g_autofree char *name = g_strdup_printf ("%c%s", prefixes[i], key);
      int index = sqlite3_bind_parameter_index (stmt, name);

      if (index != 0)
        return index;
    }
  return 0;
}

/* Fills @values[1..count] with the variant each parameter gets, or returns FALSE
 * when the contract says binding must fail. */
static gboolean
expected_values (sqlite3_stmt  *stmt,
                 GVariant      *params,
                 GVariant     **values,
                 int            count)
{
  g_autoptr(GVariant) unboxed = NULL;

  if (params == NULL)
    return count == 0;

  unboxed = g_variant_ref (params);
  while (g_variant_is_of_type (unboxed, G_VARIANT_TYPE_VARIANT))
    {
      GVariant *inner = g_variant_get_variant (unboxed);

      g_variant_unref (unboxed);
      unboxed = inner;
    }

  if (g_variant_is_of_type (unboxed, G_VARIANT_TYPE_TUPLE))
    {
      if (g_variant_n_children (unboxed) != (gsize) count)
        return FALSE;
      for (int i = 1; i <= count; i++)
        {
          values[i] = g_variant_get_child_value (unboxed, i - 1);
          if (!is_bindable (values[i]))
            return FALSE;
        }
      return TRUE;
    }

  if (g_variant_is_of_type (unboxed, G_VARIANT_TYPE ("a{s*}")))
    {
      for (int i = 1; i <= count; i++)
        {
          const char *name = sqlite3_bind_parameter_name (stmt, i);

          if (name == NULL || name[0] == '?')
            return FALSE;
        }
      for (gsize k = 0; k < g_variant_n_children (unboxed); k++)
        {
          g_autoptr(GVariant) entry = g_variant_get_child_value (unboxed, k);
          g_autoptr(GVariant) key = g_variant_get_child_value (entry, 0);
          int index = key_index (stmt, g_variant_get_string (key, NULL));

          if (index == 0 || values[index] != NULL)
            return FALSE;
          values[index] = g_variant_get_child_value (entry, 1);
          if (!is_bindable (values[index]))
            return FALSE;
        }
      for (int i = 1; i <= count; i++)
        if (values[i] == NULL)
          return FALSE;
      return TRUE;
    }

  return FALSE;
}

static void
check_column (sqlite3_stmt *stmt,
              int           column,
              GVariant     *expected)
{
  g_autoptr(GVariant) value = unwrap (expected);
  int type = sqlite3_column_type (stmt, column);

  if (value == NULL)
    {
      g_assert_cmpint (type, ==, SQLITE_NULL);
      return;
    }

  switch (g_variant_classify (value))
    {
    case G_VARIANT_CLASS_BOOLEAN:
      g_assert_cmpint (type, ==, SQLITE_INTEGER);
      g_assert_cmpint (sqlite3_column_int64 (stmt, column), ==,
                       g_variant_get_boolean (value) ? 1 : 0);
      break;
    case G_VARIANT_CLASS_BYTE:
      g_assert_cmpint (type, ==, SQLITE_INTEGER);
      g_assert_cmpint (sqlite3_column_int64 (stmt, column), ==, g_variant_get_byte (value));
      break;
    case G_VARIANT_CLASS_INT16:
      g_assert_cmpint (type, ==, SQLITE_INTEGER);
      g_assert_cmpint (sqlite3_column_int64 (stmt, column), ==, g_variant_get_int16 (value));
      break;
    case G_VARIANT_CLASS_UINT16:
      g_assert_cmpint (type, ==, SQLITE_INTEGER);
      g_assert_cmpint (sqlite3_column_int64 (stmt, column), ==, g_variant_get_uint16 (value));
      break;
    case G_VARIANT_CLASS_INT32:
      g_assert_cmpint (type, ==, SQLITE_INTEGER);
      g_assert_cmpint (sqlite3_column_int64 (stmt, column), ==, g_variant_get_int32 (value));
      break;
    case G_VARIANT_CLASS_UINT32:
      g_assert_cmpint (type, ==, SQLITE_INTEGER);
      g_assert_cmpint (sqlite3_column_int64 (stmt, column), ==, g_variant_get_uint32 (value));
      break;
    case G_VARIANT_CLASS_INT64:
      g_assert_cmpint (type, ==, SQLITE_INTEGER);
      g_assert_cmpint (sqlite3_column_int64 (stmt, column), ==, g_variant_get_int64 (value));
      break;
    case G_VARIANT_CLASS_UINT64:
      g_assert_cmpint (type, ==, SQLITE_INTEGER);
      g_assert_cmpint (sqlite3_column_int64 (stmt, column), ==,
                       (gint64) g_variant_get_uint64 (value));
      break;
    case G_VARIANT_CLASS_DOUBLE:
      {
        double d = g_variant_get_double (value);

        /* SQLite stores a NaN as NULL. */
        if (isnan (d))
          g_assert_cmpint (type, ==, SQLITE_NULL);
        else
          {
            g_assert_cmpint (type, ==, SQLITE_FLOAT);
            g_assert_true (sqlite3_column_double (stmt, column) == d);
          }
      }
      break;
    case G_VARIANT_CLASS_STRING:
    case G_VARIANT_CLASS_OBJECT_PATH:
    case G_VARIANT_CLASS_SIGNATURE:
      {
        gsize len;
        const char *text = g_variant_get_string (value, &len);

        g_assert_cmpint (type, ==, SQLITE_TEXT);
        g_assert_cmpmem (sqlite3_column_text (stmt, column), sqlite3_column_bytes (stmt, column),
                         text, len);
      }
      break;
    case G_VARIANT_CLASS_ARRAY:
      {
        gsize len;
        const void *bytes = g_variant_get_fixed_array (value, &len, 1);

        /* An empty ay is an empty blob, not NULL. */
        g_assert_cmpint (type, ==, SQLITE_BLOB);
        g_assert_cmpint (sqlite3_column_bytes (stmt, column), ==, (int) len);
        if (len > 0)
          g_assert_cmpmem (sqlite3_column_blob (stmt, column), (int) len, bytes, len);
      }
      break;
    case G_VARIANT_CLASS_HANDLE:
    case G_VARIANT_CLASS_TUPLE:
    case G_VARIANT_CLASS_DICT_ENTRY:
    case G_VARIANT_CLASS_VARIANT:
    case G_VARIANT_CLASS_MAYBE:
    default:
      g_assert_not_reached ();
    }
}

static void
bind_and_check (DbBackendStmt *backend_stmt,
                GVariant      *params)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = _db_sqlite_stmt (backend_stmt)->stmt;
  int count = sqlite3_bind_parameter_count (stmt);
  GVariant **expected = g_new0 (GVariant *, count + 1);
  gboolean should_bind = expected_values (stmt, params, expected, count);
  gboolean bound = _db_bind_params (backend_stmt, params, &error);

  if (bound != should_bind)
    g_error ("binding “%s” to “%s” %s, the contract says it should %s (%s)",
             params ? g_variant_get_type_string (params) : "NULL", sqlite3_sql (stmt),
             bound ? "succeeded" : "failed", should_bind ? "succeed" : "fail",
             error ? error->message : "no error");

  if (!bound)
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == DB_POOL_ERROR);
      g_assert_cmpint (error->code, ==, DB_POOL_ERROR_MISUSE);
      g_assert_true (error->message != NULL && error->message[0] != '\0');
    }
  else
    {
      /* Each column is one parameter, named by its SQL text (a bare `?` is numbered
       * by position, as in these statements it always is). */
      g_assert_no_error (error);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
      for (int column = 0; column < sqlite3_column_count (stmt); column++)
        {
          const char *sql = sqlite3_column_name (stmt, column);
          int index = sqlite3_bind_parameter_index (stmt, sql);

          if (index == 0 && strcmp (sql, "?") == 0)
            index = column + 1;
          if (index > 0)
            check_column (stmt, column, expected[index]);
        }
    }

  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  for (int i = 0; i <= count; i++)
    g_clear_pointer (&expected[i], g_variant_unref);
  g_free (expected);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const GVariantType *type;
  DbBackendStmt *stmt;
  g_autoptr(GVariant) raw = NULL;
  g_autoptr(GVariant) normal = NULL;
  gpointer copy;

  if (size < 2)
    return 0;

  type = G_VARIANT_TYPE (types[data[0] % G_N_ELEMENTS (types)]);
  stmt = prepared[data[1] % G_N_ELEMENTS (statements)];

  if (size == 2)
    {
      bind_and_check (stmt, NULL);
      return 0;
    }

  /* An exact-size copy, so that ASan sees any read past the serialized data. */
  copy = g_memdup2 (data + 2, size - 2);
  raw = g_variant_ref_sink (g_variant_new_from_data (type, copy, size - 2, FALSE,
                                                     g_free, copy));
  normal = g_variant_get_normal_form (raw);   /* not floating */

  bind_and_check (stmt, raw);
  bind_and_check (stmt, normal);
  return 0;
}
