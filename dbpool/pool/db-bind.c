/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "db-bind-private.h"
#include "db-types.h"

gboolean
_db_bind_out_of_range (DbBackendStmt  *stmt,
                       guint           index,
                       GError        **error)
{
  g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE,
               "Parameter %u is out of range: “%s” has %d parameter(s), numbered from 1",
               index, _db_backend_stmt_get_sql (stmt), stmt->n_params);
  return FALSE;
}

/* How the user will recognise a parameter in an error: by the name they wrote in
 * the SQL, or by 1-based position for `?`. */
static char *
describe_param (DbBackendStmt *stmt,
                guint          index)
{
  const char *name = _db_backend_stmt_param_name (stmt, (int) index);

  if (name != NULL && name[0] != '?')
    return g_strdup_printf ("parameter “%s”", name);
  return g_strdup_printf ("parameter %u", index);
}

static gboolean
unsupported_type (DbBackendStmt *stmt,
                  guint          index,
                  GVariant      *value,
                  const char    *why,
                  GError       **error)
{
  g_autofree char *what = describe_param (stmt, index);

  g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE,
               "Cannot bind %s of type “%s”: %s",
               what, g_variant_get_type_string (value), why);
  return FALSE;
}

/* Every value goes through the typed binds of db-bind-private.h, as DbStatement's do. */
static gboolean
bind_value (DbBackendStmt  *stmt,
            guint           index,
            GVariant       *value,
            GError        **error)
{
  switch (g_variant_classify (value))
    {
    case G_VARIANT_CLASS_BOOLEAN:
      return _db_bind_int64 (stmt, index, g_variant_get_boolean (value) ? 1 : 0, error);
    case G_VARIANT_CLASS_BYTE:
      return _db_bind_int64 (stmt, index, g_variant_get_byte (value), error);
    case G_VARIANT_CLASS_INT16:
      return _db_bind_int64 (stmt, index, g_variant_get_int16 (value), error);
    case G_VARIANT_CLASS_UINT16:
      return _db_bind_int64 (stmt, index, g_variant_get_uint16 (value), error);
    case G_VARIANT_CLASS_INT32:
      return _db_bind_int64 (stmt, index, g_variant_get_int32 (value), error);
    case G_VARIANT_CLASS_UINT32:
      return _db_bind_int64 (stmt, index, g_variant_get_uint32 (value), error);
    case G_VARIANT_CLASS_INT64:
      return _db_bind_int64 (stmt, index, g_variant_get_int64 (value), error);
    case G_VARIANT_CLASS_UINT64:
      {
        guint64 n = g_variant_get_uint64 (value);

        /* Wrapping to a negative number would store a different value silently. */
        if (n > G_MAXINT64)
          {
            g_autofree char *what = describe_param (stmt, index);

            g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE,
                         "Cannot bind %s: %" G_GUINT64_FORMAT " does not fit in "
                         "SQLite's signed 64-bit integer", what, n);
            return FALSE;
          }
        return _db_bind_int64 (stmt, index, (gint64) n, error);
      }
    case G_VARIANT_CLASS_DOUBLE:
      return _db_bind_double (stmt, index, g_variant_get_double (value), error);
    case G_VARIANT_CLASS_STRING:
    case G_VARIANT_CLASS_OBJECT_PATH:
    case G_VARIANT_CLASS_SIGNATURE:
      {
        gsize len;
        const char *text = g_variant_get_string (value, &len);

        return _db_bind_text (stmt, index, text, len, error);
      }
    case G_VARIANT_CLASS_VARIANT:
      {
        g_autoptr(GVariant) inner = g_variant_get_variant (value);

        return bind_value (stmt, index, inner, error);
      }
    case G_VARIANT_CLASS_MAYBE:
      {
        g_autoptr(GVariant) inner = g_variant_get_maybe (value);

        if (inner == NULL)
          return _db_bind_null (stmt, index, error);
        return bind_value (stmt, index, inner, error);
      }
    case G_VARIANT_CLASS_ARRAY:
      {
        gsize len;
        const void *data;

        if (!g_variant_is_of_type (value, G_VARIANT_TYPE_BYTESTRING))
          return unsupported_type (stmt, index, value,
                                   "only byte arrays (“ay”) bind, as blobs", error);

        data = g_variant_get_fixed_array (value, &len, 1);
        return _db_bind_blob (stmt, index, data, len, error);
      }
    case G_VARIANT_CLASS_HANDLE:
      return unsupported_type (stmt, index, value,
                               "file descriptor handles have no meaning in a database",
                               error);
    case G_VARIANT_CLASS_TUPLE:
    case G_VARIANT_CLASS_DICT_ENTRY:
    default:
      return unsupported_type (stmt, index, value,
                               "use integers, booleans, doubles, strings, “ay” for "
                               "blobs, or a maybe type for NULL", error);
    }
}

static gboolean
bind_positional (DbBackendStmt *stmt,
                 GVariant      *params,
                 int            expected,
                 GError       **error)
{
  gsize n = g_variant_n_children (params);

  if (n != (gsize) expected)
    {
      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE,
                   "Statement expects %d parameter%s, got %" G_GSIZE_FORMAT,
                   expected, expected == 1 ? "" : "s", n);
      return FALSE;
    }

  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (params, i);

      if (!bind_value (stmt, (guint) i + 1, child, error))
        return FALSE;
    }

  return TRUE;
}

/* A key may be written with the prefix used in the SQL or without one. */
static int
find_named_param (DbBackendStmt *stmt,
                  const char    *key)
{
  static const char prefixes[] = ":@$";
  int index = 0;

  if (key[0] == '\0')
    return 0;

  if (strchr (prefixes, key[0]) != NULL)
    return _db_backend_stmt_param_index (stmt, key);

  for (guint i = 0; index == 0 && prefixes[i] != '\0'; i++)
    {
      g_autofree char *name = g_strdup_printf ("%c%s", prefixes[i], key);

      index = _db_backend_stmt_param_index (stmt, name);
    }

  return index;
}

static gboolean
bind_named (DbBackendStmt *stmt,
            GVariant      *params,
            int            expected,
            GError       **error)
{
  g_autofree guint8 *bound = g_new0 (guint8, expected + 1);
  gsize n = g_variant_n_children (params);

  for (int i = 1; i <= expected; i++)
    {
      const char *name = _db_backend_stmt_param_name (stmt, i);

      if (name == NULL || name[0] == '?')
        {
          g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE,
                       "Statement has the positional parameter %s (number %d), which "
                       "a dictionary cannot bind; pass a tuple, or name it (:name)",
                       name != NULL ? name : "?", i);
          return FALSE;
        }
    }

  for (gsize k = 0; k < n; k++)
    {
      g_autoptr(GVariant) entry = g_variant_get_child_value (params, k);
      g_autoptr(GVariant) key_variant = g_variant_get_child_value (entry, 0);
      g_autoptr(GVariant) value = g_variant_get_child_value (entry, 1);
      const char *key = g_variant_get_string (key_variant, NULL);
      int index = find_named_param (stmt, key);

      if (index == 0)
        {
          g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE,
                       "Unknown parameter “%s”: the statement has no parameter of that name",
                       key);
          return FALSE;
        }
      if (bound[index])
        {
          g_autofree char *what = describe_param (stmt, (guint) index);

          g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE,
                       "Value for %s given twice (key “%s”)", what, key);
          return FALSE;
        }
      if (!bind_value (stmt, (guint) index, value, error))
        return FALSE;
      bound[index] = TRUE;
    }

  for (int i = 1; i <= expected; i++)
    {
      if (!bound[i])
        {
          g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE,
                       "Missing value for parameter “%s”",
                       _db_backend_stmt_param_name (stmt, i));
          return FALSE;
        }
    }

  return TRUE;
}

gboolean
_db_bind_params (DbBackendStmt  *stmt,
                 GVariant       *params,
                 GError        **error)
{
  g_autoptr(GVariant) unboxed = NULL;
  int expected;

  g_assert (stmt != NULL);

  _db_backend_stmt_clear_bindings (stmt);
  expected = stmt->n_params;

  if (params == NULL)
    {
      if (expected != 0)
        {
          g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE,
                       "Statement expects %d parameter%s, got 0",
                       expected, expected == 1 ? "" : "s");
          return FALSE;
        }
      return TRUE;
    }

  /* Binds copy text and blobs, so nothing needs pinning: serializing the whole tuple
   * first, to take each child out of the serialized form, cost more than the copies
   * (docs/benchmarks.md). */

  while (g_variant_is_of_type (params, G_VARIANT_TYPE_VARIANT))
    {
      GVariant *inner = g_variant_get_variant (params);

      g_clear_pointer (&unboxed, g_variant_unref);
      unboxed = inner;
      params = inner;
    }

  if (g_variant_is_of_type (params, G_VARIANT_TYPE_TUPLE))
    return bind_positional (stmt, params, expected, error);

  if (g_variant_is_of_type (params, G_VARIANT_TYPE ("a{s*}")))
    return bind_named (stmt, params, expected, error);

  g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE,
               "Parameters must be a tuple (for ?) or a dictionary “a{sv}” (for :name), "
               "not “%s”", g_variant_get_type_string (params));
  return FALSE;
}
