/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <float.h>
#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>
#include <sqlite3.h>

#include "dbpool.h"
#include "db-bind-private.h"
#include "db-rows-private.h"
#include "db-sqlite-conn-private.h"

/* These tests drive the binding and result-set layers directly on one backend
 * connection (SQLite, in memory), without a pool. */

static DbBackendConn *
open_db (void)
{
  DbBackendSettings settings = {
    .path = (char *) ":memory:",
    .statement_cache_size = 16,
  };
  g_autoptr(GError) error = NULL;
  DbBackendConn *conn = _db_backend_open (_db_backend_for_path (settings.path), &settings, &error);

  g_assert_no_error (error);
  /* Columns without a declared type have no affinity: values keep the type they
   * were bound with, which is what the round trips check. */
  g_assert_cmpint (sqlite3_exec (_db_backend_conn_get_handle (conn), "CREATE TABLE t (v)",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  return conn;
}

static void
close_db (DbBackendConn *conn)
{
  _db_backend_conn_close (conn, FALSE);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DbBackendConn, close_db)

static sqlite3 *
handle (DbBackendConn *db)
{
  return _db_backend_conn_get_handle (db);
}

/* The SQLite statement behind a backend statement, to check what was bound with
 * SQLite's own functions. */
static sqlite3_stmt *
raw (DbBackendStmt *stmt)
{
  return _db_sqlite_stmt (stmt)->stmt;
}

static DbBackendStmt *
checkout (DbBackendConn *db,
          const char    *sql)
{
  g_autoptr(GError) error = NULL;
  DbBackendStmt *stmt = _db_backend_conn_checkout (db, sql, &error);

  if (stmt == NULL)
    g_error ("prepare “%s”: %s", sql, error->message);
  return stmt;
}

/* Checks out @sql, binds @params (sinking a floating ref), steps to the end and
 * collects the rows, as the connection layer does. */
static DbRows *
run (DbBackendConn  *db,
     const char     *sql,
     GVariant       *params,
     GError        **error)
{
  g_autoptr(GVariant) owned = params != NULL ? g_variant_ref_sink (params) : NULL;
  g_autoptr(DbRows) rows = NULL;
  g_autoptr(GError) step_error = NULL;
  DbBackendStmt *stmt = checkout (db, sql);
  DbStepResult step;

  if (!_db_bind_params (stmt, owned, error))
    {
      _db_backend_stmt_checkin (stmt);
      return NULL;
    }

  rows = _db_rows_new_for_statement (stmt);
  while ((step = _db_backend_stmt_step (stmt, &step_error)) == DB_STEP_ROW)
    _db_rows_append_current (rows, stmt);
  if (step == DB_STEP_ERROR)
    g_error ("step “%s”: %s", sql, step_error->message);
  _db_backend_stmt_checkin (stmt);

  return g_steal_pointer (&rows);
}

static DbRows *
run_ok (DbBackendConn *db,
        const char    *sql,
        GVariant      *params)
{
  g_autoptr(GError) error = NULL;
  DbRows *rows = run (db, sql, params, &error);

  g_assert_no_error (error);
  g_assert_nonnull (rows);
  return rows;
}

/* Binding must fail with MISUSE and a message containing every one of the
 * NULL-terminated substrings. */
static void
assert_misuse (DbBackendConn *db,
               const char    *sql,
               GVariant      *params,
               ...)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DbRows) rows = run (db, sql, params, &error);
  const char *needle;
  va_list args;

  g_assert_null (rows);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
  g_test_message ("%s → %s", sql, error->message);

  va_start (args, params);
  while ((needle = va_arg (args, const char *)) != NULL)
    if (strstr (error->message, needle) == NULL)
      g_error ("message “%s” lacks “%s”", error->message, needle);
  va_end (args);
}

/* Binding */

/* Stores @value through a parameter and reads it back with its storage class. */
static DbRows *
round_trip (DbBackendConn *db,
            GVariant      *value)
{
  g_autoptr(DbRows) inserted = NULL;

  g_assert_cmpint (sqlite3_exec (handle (db), "DELETE FROM t", NULL, NULL, NULL), ==, SQLITE_OK);
  inserted = run_ok (db, "INSERT INTO t (v) VALUES (?)", g_variant_new_tuple (&value, 1));
  g_assert_cmpuint (db_rows_get_n_rows (inserted), ==, 0);

  return run_ok (db, "SELECT v, typeof (v) FROM t", NULL);
}

static void
assert_int_round_trip (DbBackendConn *db,
                       GVariant      *value,
                       gint64         expected)
{
  g_autoptr(DbRows) rows = round_trip (db, value);

  g_assert_cmpuint (db_rows_get_n_rows (rows), ==, 1);
  g_assert_cmpstr (db_rows_get_string (rows, 0, 1), ==, "integer");
  g_assert_cmpint (db_rows_get_int64 (rows, 0, 0), ==, expected);
}

static void
assert_text_round_trip (DbBackendConn *db,
                        GVariant      *value,
                        const char    *expected)
{
  g_autoptr(DbRows) rows = round_trip (db, value);

  g_assert_cmpstr (db_rows_get_string (rows, 0, 1), ==, "text");
  g_assert_cmpstr (db_rows_get_string (rows, 0, 0), ==, expected);
}

static void
assert_null_round_trip (DbBackendConn *db,
                        GVariant      *value)
{
  g_autoptr(DbRows) rows = round_trip (db, value);

  g_assert_cmpstr (db_rows_get_string (rows, 0, 1), ==, "null");
  g_assert_true (db_rows_is_null (rows, 0, 0));
}

static void
test_bind_integers (void)
{
  g_autoptr(DbBackendConn) db = open_db ();

  assert_int_round_trip (db, g_variant_new_boolean (TRUE), 1);
  assert_int_round_trip (db, g_variant_new_boolean (FALSE), 0);
  assert_int_round_trip (db, g_variant_new_byte (255), 255);
  assert_int_round_trip (db, g_variant_new_int16 (G_MININT16), G_MININT16);
  assert_int_round_trip (db, g_variant_new_uint16 (G_MAXUINT16), G_MAXUINT16);
  assert_int_round_trip (db, g_variant_new_int32 (G_MININT32), G_MININT32);
  assert_int_round_trip (db, g_variant_new_uint32 (G_MAXUINT32), G_MAXUINT32);
  assert_int_round_trip (db, g_variant_new_int64 (G_MININT64), G_MININT64);
  assert_int_round_trip (db, g_variant_new_int64 (G_MAXINT64), G_MAXINT64);
  assert_int_round_trip (db, g_variant_new_uint64 (G_MAXINT64), G_MAXINT64);
}

static void
test_bind_double (void)
{
  g_autoptr(DbBackendConn) db = open_db ();
  g_autoptr(DbRows) rows = round_trip (db, g_variant_new_double (-0.125));

  g_assert_cmpstr (db_rows_get_string (rows, 0, 1), ==, "real");
  g_assert_cmpfloat (db_rows_get_double (rows, 0, 0), ==, -0.125);
}

static void
test_bind_strings (void)
{
  g_autoptr(DbBackendConn) db = open_db ();

  assert_text_round_trip (db, g_variant_new_string ("plain"), "plain");
  assert_text_round_trip (db, g_variant_new_string (""), "");
  assert_text_round_trip (db, g_variant_new_string ("Grüße, 日本語, 🎉"), "Grüße, 日本語, 🎉");
  assert_text_round_trip (db, g_variant_new_object_path ("/org/example/Object"),
                          "/org/example/Object");
  assert_text_round_trip (db, g_variant_new_signature ("a{sv}"), "a{sv}");
}

static void
test_bind_blob (void)
{
  static const guint8 data[] = { 0x00, 0xff, 0x10, 0x00, 'a' };
  g_autoptr(DbBackendConn) db = open_db ();
  g_autoptr(DbRows) rows = NULL;
  g_autoptr(DbRows) empty = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) empty_bytes = NULL;

  rows = round_trip (db, g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, sizeof data, 1));
  g_assert_cmpstr (db_rows_get_string (rows, 0, 1), ==, "blob");
  bytes = db_rows_get_bytes (rows, 0, 0);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), data, sizeof data);

  /* An empty byte array is an empty blob, not NULL. */
  empty = round_trip (db, g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, NULL, 0, 1));
  g_assert_cmpstr (db_rows_get_string (empty, 0, 1), ==, "blob");
  g_assert_false (db_rows_is_null (empty, 0, 0));
  empty_bytes = db_rows_get_bytes (empty, 0, 0);
  g_assert_nonnull (empty_bytes);
  g_assert_cmpuint (g_bytes_get_size (empty_bytes), ==, 0);
}

static void
test_bind_variant_and_maybe (void)
{
  g_autoptr(DbBackendConn) db = open_db ();

  assert_int_round_trip (db, g_variant_new_variant (g_variant_new_int32 (5)), 5);
  assert_int_round_trip (db, g_variant_new_variant (g_variant_new_variant (
                               g_variant_new_int32 (6))), 6);
  assert_int_round_trip (db, g_variant_new_maybe (NULL, g_variant_new_int32 (7)), 7);
  assert_text_round_trip (db, g_variant_new_maybe (NULL, g_variant_new_string ("just")), "just");
  assert_null_round_trip (db, g_variant_new_maybe (G_VARIANT_TYPE_INT32, NULL));
  assert_null_round_trip (db, g_variant_new_maybe (G_VARIANT_TYPE_STRING, NULL));
  assert_null_round_trip (db, g_variant_new_maybe (G_VARIANT_TYPE_VARIANT, NULL));
  assert_null_round_trip (db, g_variant_new_variant (g_variant_new_maybe (G_VARIANT_TYPE_BYTESTRING,
                                                                          NULL)));
}

static void
test_bind_several_positional (void)
{
  g_autoptr(DbBackendConn) db = open_db ();
  g_autoptr(DbRows) rows = run_ok (db, "SELECT ?, ?, ?3, ?",
                                   g_variant_new ("(sxdms)", "a", (gint64) 2, 3.5, NULL));

  g_assert_cmpuint (db_rows_get_n_columns (rows), ==, 4);
  g_assert_cmpstr (db_rows_get_string (rows, 0, 0), ==, "a");
  g_assert_cmpint (db_rows_get_int64 (rows, 0, 1), ==, 2);
  g_assert_cmpfloat (db_rows_get_double (rows, 0, 2), ==, 3.5);
  g_assert_true (db_rows_is_null (rows, 0, 3));
}

static void
test_bind_named (void)
{
  static const char *statements[] = {
    "SELECT :name, :n, :name",
    "SELECT @name, @n, @name",
    "SELECT $name, $n, $name",
  };
  g_autoptr(DbBackendConn) db = open_db ();

  for (guint i = 0; i < G_N_ELEMENTS (statements); i++)
    {
      char prefix = strchr (statements[i], ' ')[1];
      g_autofree char *prefixed = g_strdup_printf ("%cn", prefix);
      GVariantBuilder builder;
      g_autoptr(DbRows) rows = NULL;

      /* One key without its prefix, one with it. */
      g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&builder, "{sv}", "name", g_variant_new_string ("x"));
      g_variant_builder_add (&builder, "{sv}", prefixed, g_variant_new_int32 (42));
      rows = run_ok (db, statements[i], g_variant_builder_end (&builder));

      g_assert_cmpstr (db_rows_get_string (rows, 0, 0), ==, "x");
      g_assert_cmpint (db_rows_get_int64 (rows, 0, 1), ==, 42);
      g_assert_cmpstr (db_rows_get_string (rows, 0, 2), ==, "x");
    }
}

/* Bindings see through a `v` around the parameters, and dictionaries need not be
 * a{sv}: a{ss} from Python works as well. */
static void
test_bind_wrapped_params (void)
{
  g_autoptr(DbBackendConn) db = open_db ();
  g_autoptr(DbRows) rows1 = NULL;
  g_autoptr(DbRows) rows2 = NULL;
  g_autoptr(DbRows) rows3 = NULL;
  g_autoptr(DbRows) rows4 = NULL;

  rows1 = run_ok (db, "SELECT ?", g_variant_new_variant (g_variant_new ("(i)", 3)));
  g_assert_cmpint (db_rows_get_int64 (rows1, 0, 0), ==, 3);

  rows2 = run_ok (db, "SELECT :a", g_variant_new_variant (g_variant_new_parsed ("{'a': <4>}")));
  g_assert_cmpint (db_rows_get_int64 (rows2, 0, 0), ==, 4);

  rows3 = run_ok (db, "SELECT :a || :b", g_variant_new_parsed ("{'a': 'x', 'b': 'y'}"));
  g_assert_cmpstr (db_rows_get_string (rows3, 0, 0), ==, "xy");

  /* No parameters: NULL, () and an empty dictionary are all fine. */
  rows4 = run_ok (db, "SELECT 1", g_variant_new ("()"));
  g_assert_cmpint (db_rows_get_int64 (rows4, 0, 0), ==, 1);
  g_clear_object (&rows4);
  rows4 = run_ok (db, "SELECT 1", g_variant_new_parsed ("@a{sv} {}"));
  g_assert_cmpint (db_rows_get_int64 (rows4, 0, 0), ==, 1);
}

/* A cached statement is re-bound: nothing from the previous use may survive,
 * not even when the new binding fails half way. */
static void
test_bind_clears_previous (void)
{
  g_autoptr(DbBackendConn) db = open_db ();
  g_autoptr(GVariant) first = g_variant_ref_sink (g_variant_new_parsed ("{'a': <1>, 'b': <2>}"));
  g_autoptr(GVariant) second = NULL;
  g_autoptr(GError) error = NULL;
  DbBackendStmt *stmt = NULL;
  GVariantBuilder builder;

  /* b is a handle, which cannot be bound: the error comes after a was bound. */
  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&builder, "{sv}", "a", g_variant_new_int32 (3));
  g_variant_builder_add (&builder, "{sv}", "b", g_variant_new_handle (0));
  second = g_variant_ref_sink (g_variant_builder_end (&builder));

  stmt = checkout (db, "SELECT :a, :b");
  g_assert_true (_db_bind_params (stmt, first, &error));
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_step (raw (stmt)), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (raw (stmt), 1), ==, 2);
  sqlite3_reset (raw (stmt));

  g_assert_false (_db_bind_params (stmt, second, &error));
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE);
  g_assert_cmpint (sqlite3_step (raw (stmt)), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (raw (stmt), 0), ==, 3);
  g_assert_cmpint (sqlite3_column_type (raw (stmt), 1), ==, SQLITE_NULL);
  _db_backend_stmt_checkin (stmt);
}

/* What was bound must stay valid even if someone serializes the parameters (which
 * frees a tree-form variant's children) between binding and stepping. valgrind or
 * ASan turn a mistake here into an error. */
static void
test_bind_static_lifetime (void)
{
  g_autoptr(DbBackendConn) db = open_db ();
  g_autofree char *long_text = g_strnfill (4096, 'q');
  g_autoptr(GVariant) params = NULL;
  g_autoptr(GError) error = NULL;
  DbBackendStmt *stmt = NULL;
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_TUPLE);
  g_variant_builder_add (&builder, "s", long_text);
  g_variant_builder_add (&builder, "v", g_variant_new_string ("inner"));
  g_variant_builder_add_value (&builder, g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE,
                                                                    "blob", 4, 1));
  params = g_variant_ref_sink (g_variant_builder_end (&builder));

  stmt = checkout (db, "SELECT ?, ?, ?");
  g_assert_true (_db_bind_params (stmt, params, &error));
  g_assert_no_error (error);
  (void) g_variant_get_data (params);
  g_assert_cmpint (sqlite3_step (raw (stmt)), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (raw (stmt), 0), ==, long_text);
  g_assert_cmpstr ((const char *) sqlite3_column_text (raw (stmt), 1), ==, "inner");
  g_assert_cmpmem (sqlite3_column_blob (raw (stmt), 2), sqlite3_column_bytes (raw (stmt), 2),
                   "blob", 4);
  _db_backend_stmt_checkin (stmt);
}

static void
test_misuse_count (void)
{
  g_autoptr(DbBackendConn) db = open_db ();

  assert_misuse (db, "SELECT ?, ?", g_variant_new ("(i)", 1), "expects 2", "got 1", NULL);
  assert_misuse (db, "SELECT ?", g_variant_new ("(ii)", 1, 2), "expects 1", "got 2", NULL);
  assert_misuse (db, "SELECT ?", NULL, "expects 1", "got 0", NULL);
  assert_misuse (db, "SELECT ?, ?", g_variant_new ("()"), "expects 2", "got 0", NULL);
  assert_misuse (db, "SELECT 1", g_variant_new ("(i)", 1), "expects 0", "got 1", NULL);
  assert_misuse (db, "SELECT :a", NULL, "expects 1", NULL);
}

static void
test_misuse_missing_name (void)
{
  g_autoptr(DbBackendConn) db = open_db ();

  assert_misuse (db, "SELECT :a, :bee", g_variant_new_parsed ("{'a': <1>}"), ":bee", NULL);
  assert_misuse (db, "SELECT @a, @bee", g_variant_new_parsed ("{'a': <1>}"), "@bee", NULL);
}

static void
test_misuse_unused_key (void)
{
  g_autoptr(DbBackendConn) db = open_db ();

  /* A typo must not silently bind NULL. */
  assert_misuse (db, "SELECT :name", g_variant_new_parsed ("{'name': <1>, 'nmae': <2>}"),
                 "nmae", NULL);
  assert_misuse (db, "SELECT 1", g_variant_new_parsed ("{'extra': <1>}"), "extra", NULL);
  /* The right name with the wrong prefix is not the same parameter. */
  assert_misuse (db, "SELECT :name", g_variant_new_parsed ("{'@name': <1>}"), "@name", NULL);
  /* Given twice, once with and once without prefix. */
  assert_misuse (db, "SELECT :name", g_variant_new_parsed ("{'name': <1>, ':name': <2>}"),
                 "twice", NULL);
}

static void
test_misuse_positional_with_dict (void)
{
  g_autoptr(DbBackendConn) db = open_db ();

  assert_misuse (db, "SELECT :a, ?", g_variant_new_parsed ("{'a': <1>}"), "positional", "tuple",
                 NULL);
  assert_misuse (db, "SELECT ?1", g_variant_new_parsed ("{'a': <1>}"), "?1", NULL);
}

static void
test_misuse_unsupported_type (void)
{
  g_autoptr(DbBackendConn) db = open_db ();

  assert_misuse (db, "SELECT ?, ?", g_variant_new ("(ih)", 1, 0), "parameter 2", "“h”", NULL);
  assert_misuse (db, "SELECT ?", g_variant_new_parsed ("([1, 2],)"), "parameter 1", "“ai”",
                 NULL);
  assert_misuse (db, "SELECT ?", g_variant_new_parsed ("((1, 2),)"), "“(ii)”", NULL);
  assert_misuse (db, "SELECT ?", g_variant_new_parsed ("(<{'k': <1>}>,)"), "“a{sv}”", NULL);
  assert_misuse (db, "SELECT ?", g_variant_new_parsed ("(['s'],)"), "“as”", NULL);
  assert_misuse (db, "SELECT :p", g_variant_new_parsed ("{'p': <@ai [1]>}"), ":p", "“ai”", NULL);
  assert_misuse (db, "SELECT ?", g_variant_new_parsed ("(just <(1, 2)>,)"), "“(ii)”", NULL);
  /* The parameters themselves must be a tuple or a dictionary. */
  assert_misuse (db, "SELECT ?", g_variant_new_string ("x"), "tuple", "“s”", NULL);
  assert_misuse (db, "SELECT ?", g_variant_new_parsed ("[1]"), "“ai”", NULL);
}

static void
test_misuse_uint64_overflow (void)
{
  g_autoptr(DbBackendConn) db = open_db ();

  assert_misuse (db, "SELECT ?", g_variant_new ("(t)", (guint64) G_MAXINT64 + 1),
                 "parameter 1", "9223372036854775808", NULL);
  assert_misuse (db, "SELECT :big", g_variant_new_parsed ("{'big': <uint64 18446744073709551615>}"),
                 ":big", NULL);
}

/* Rows */

static DbRows *
mixed_rows (DbBackendConn *db)
{
  return run_ok (db,
                 "SELECT 1 AS i, 2.5 AS d, 'txt' AS s, x'00ff' AS b, NULL AS n "
                 "UNION ALL "
                 "SELECT -7, 1.0, '42abc', x'', 3",
                 NULL);
}

static void
test_rows_accessors (void)
{
  g_autoptr(DbBackendConn) db = open_db ();
  g_autoptr(DbRows) rows = mixed_rows (db);
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GBytes) text_bytes = NULL;
  g_autoptr(GBytes) int_bytes = NULL;
  static const char *names[] = { "i", "d", "s", "b", "n" };

  g_assert_cmpuint (db_rows_get_n_rows (rows), ==, 2);
  g_assert_cmpuint (db_rows_get_n_columns (rows), ==, 5);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_assert_cmpstr (db_rows_get_column_name (rows, i), ==, names[i]);
      g_assert_cmpint (db_rows_get_column_index (rows, names[i]), ==, i);
    }
  g_assert_cmpint (db_rows_get_column_index (rows, "S"), ==, 2);
  g_assert_cmpint (db_rows_get_column_index (rows, "missing"), ==, -1);

  /* Typed values. */
  g_assert_cmpint (db_rows_get_int64 (rows, 0, 0), ==, 1);
  g_assert_cmpint (db_rows_get_int64 (rows, 1, 0), ==, -7);
  g_assert_cmpfloat (db_rows_get_double (rows, 0, 1), ==, 2.5);
  g_assert_cmpstr (db_rows_get_string (rows, 0, 2), ==, "txt");
  g_assert_true (db_rows_is_null (rows, 0, 4));
  g_assert_false (db_rows_is_null (rows, 1, 4));
  g_assert_false (db_rows_is_null (rows, 1, 3));

  /* Conversions as SQLite does them. */
  g_assert_cmpint (db_rows_get_int64 (rows, 0, 1), ==, 2);          /* 2.5 */
  g_assert_cmpfloat (db_rows_get_double (rows, 0, 0), ==, 1.0);     /* 1 */
  g_assert_cmpint (db_rows_get_int64 (rows, 1, 2), ==, 42);         /* '42abc' */
  g_assert_cmpint (db_rows_get_int64 (rows, 0, 2), ==, 0);          /* 'txt' */
  g_assert_cmpint (db_rows_get_int64 (rows, 0, 4), ==, 0);          /* NULL */
  g_assert_cmpfloat (db_rows_get_double (rows, 0, 4), ==, 0.0);     /* NULL */
  g_assert_cmpstr (db_rows_get_string (rows, 0, 0), ==, "1");
  g_assert_cmpstr (db_rows_get_string (rows, 1, 0), ==, "-7");
  g_assert_cmpstr (db_rows_get_string (rows, 0, 1), ==, "2.5");
  g_assert_cmpstr (db_rows_get_string (rows, 1, 1), ==, "1.0");     /* as CAST(1.0 AS TEXT) */
  g_assert_null (db_rows_get_string (rows, 0, 3));                  /* blob */
  g_assert_null (db_rows_get_string (rows, 0, 4));                  /* NULL */
  /* The rendered string is stable: the same pointer every time. */
  g_assert_true (db_rows_get_string (rows, 0, 0) == db_rows_get_string (rows, 0, 0));

  blob = db_rows_get_bytes (rows, 0, 3);
  g_assert_cmpmem (g_bytes_get_data (blob, NULL), g_bytes_get_size (blob), "\0\xff", 2);
  text_bytes = db_rows_get_bytes (rows, 0, 2);
  g_assert_cmpmem (g_bytes_get_data (text_bytes, NULL), g_bytes_get_size (text_bytes), "txt", 3);
  int_bytes = db_rows_get_bytes (rows, 1, 0);
  g_assert_cmpmem (g_bytes_get_data (int_bytes, NULL), g_bytes_get_size (int_bytes), "-7", 2);
  g_assert_null (db_rows_get_bytes (rows, 0, 4));
}

/* The conversions agree with SQLite's own sqlite3_column_int64/double() and with
 * CAST(x AS TEXT), checked against SQLite rather than against numbers written here. */
static void
test_rows_conversions_match_sqlite (void)
{
  static const char *sql =
    "SELECT '1.9', '1e3', '  12', '-3.5e1', 'x', '9e99', '12abc', ' 0x10', '1.5e', 'inf', "
    "'-9223372036854775809', '99999999999999999999', '.5', x'3432', 1.0, 1e20, 0.1, -0.0, "
    "1.0/3, 123456789012345678.0, 9e999, -9e999, -2.5, 1e-7, 9223372036854775807, "
    "-9223372036854775808";
  g_autoptr(DbBackendConn) db = open_db ();
  g_autoptr(DbRows) rows = run_ok (db, sql, NULL);
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (handle (db), sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);

  for (guint i = 0; i < db_rows_get_n_columns (rows); i++)
    {
      int type = sqlite3_column_type (stmt, (int) i);
      gint64 as_int = sqlite3_column_int64 (stmt, (int) i);
      double as_double = sqlite3_column_double (stmt, (int) i);
      g_autofree char *as_text = g_strdup ((const char *) sqlite3_column_text (stmt, (int) i));

      g_test_message ("column %u: %s", i, as_text);
      g_assert_cmpint (db_rows_get_int64 (rows, 0, i), ==, as_int);
      /* SQLite parses text with long double arithmetic, which valgrind emulates with
       * less precision, so allow for the last bit. */
      if (db_rows_get_double (rows, 0, i) != as_double)
        g_assert_cmpfloat_with_epsilon (db_rows_get_double (rows, 0, i), as_double,
                                        fabs (as_double) * 4 * DBL_EPSILON);
      if (type != SQLITE_BLOB)
        g_assert_cmpstr (db_rows_get_string (rows, 0, i), ==, as_text);
    }
  sqlite3_finalize (stmt);
}

static void
test_rows_get_value (void)
{
  g_autoptr(DbBackendConn) db = open_db ();
  g_autoptr(DbRows) rows = mixed_rows (db);
  g_auto(GValue) v_int = G_VALUE_INIT;
  g_auto(GValue) v_double = G_VALUE_INIT;
  g_auto(GValue) v_text = G_VALUE_INIT;
  g_auto(GValue) v_blob = G_VALUE_INIT;
  g_auto(GValue) v_null = G_VALUE_INIT;
  GBytes *bytes;

  g_assert_true (db_rows_get_value (rows, 0, 0, &v_int));
  g_assert_true (G_VALUE_HOLDS_INT64 (&v_int));
  g_assert_cmpint (g_value_get_int64 (&v_int), ==, 1);

  g_assert_true (db_rows_get_value (rows, 0, 1, &v_double));
  g_assert_true (G_VALUE_HOLDS_DOUBLE (&v_double));
  g_assert_cmpfloat (g_value_get_double (&v_double), ==, 2.5);

  g_assert_true (db_rows_get_value (rows, 0, 2, &v_text));
  g_assert_true (G_VALUE_HOLDS_STRING (&v_text));
  g_assert_cmpstr (g_value_get_string (&v_text), ==, "txt");

  g_assert_true (db_rows_get_value (rows, 0, 3, &v_blob));
  g_assert_true (G_VALUE_HOLDS (&v_blob, G_TYPE_BYTES));
  bytes = g_value_get_boxed (&v_blob);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), "\0\xff", 2);

  /* NULL: FALSE, and a NULL pointer value that bindings can convert (to None). */
  g_assert_false (db_rows_get_value (rows, 0, 4, &v_null));
  g_assert_true (G_VALUE_HOLDS_POINTER (&v_null));
  g_assert_null (g_value_get_pointer (&v_null));
}

static void
test_rows_variant (void)
{
  g_autoptr(DbBackendConn) db = open_db ();
  g_autoptr(DbRows) rows = mixed_rows (db);
  g_autoptr(GVariant) all = NULL;
  g_autoptr(GVariant) row0 = NULL;
  g_autoptr(GVariant) row1 = NULL;
  g_autoptr(GVariant) blob = NULL;
  g_autoptr(GVariant) empty_blob = NULL;
  const char *s;
  gint64 x;
  double d;

  all = db_rows_to_variant (rows);
  /* Floating, like g_variant_new_*(). */
  g_assert_true (g_variant_is_floating (all));
  g_variant_ref_sink (all);
  g_assert_cmpstr (g_variant_get_type_string (all), ==, "aa{sv}");
  g_assert_cmpuint (g_variant_n_children (all), ==, 2);

  row0 = g_variant_get_child_value (all, 0);
  g_assert_cmpuint (g_variant_n_children (row0), ==, 4);   /* n is NULL: left out */
  g_assert_true (g_variant_lookup (row0, "i", "x", &x));
  g_assert_cmpint (x, ==, 1);
  g_assert_true (g_variant_lookup (row0, "d", "d", &d));
  g_assert_cmpfloat (d, ==, 2.5);
  g_assert_true (g_variant_lookup (row0, "s", "&s", &s));
  g_assert_cmpstr (s, ==, "txt");
  blob = g_variant_lookup_value (row0, "b", G_VARIANT_TYPE_BYTESTRING);
  g_assert_nonnull (blob);
  g_assert_cmpmem (g_variant_get_data (blob), g_variant_get_size (blob), "\0\xff", 2);
  g_assert_false (g_variant_lookup (row0, "n", "*", NULL));

  row1 = db_rows_get_row_variant (rows, 1);
  g_assert_true (g_variant_is_floating (row1));
  g_variant_ref_sink (row1);
  g_assert_cmpuint (g_variant_n_children (row1), ==, 5);
  g_assert_true (g_variant_lookup (row1, "n", "x", &x));
  g_assert_cmpint (x, ==, 3);
  empty_blob = g_variant_lookup_value (row1, "b", G_VARIANT_TYPE_BYTESTRING);
  g_assert_nonnull (empty_blob);
  g_assert_cmpuint (g_variant_get_size (empty_blob), ==, 0);
  {
    g_autoptr(GVariant) child1 = g_variant_get_child_value (all, 1);
    g_assert_true (g_variant_equal (row1, child1));
  }
}

static void
test_rows_duplicate_names (void)
{
  g_autoptr(DbBackendConn) db = open_db ();
  g_autoptr(DbRows) rows = run_ok (db, "SELECT 1 AS a, 2 AS a, 3 AS b", NULL);
  g_autoptr(GVariant) row = g_variant_ref_sink (db_rows_get_row_variant (rows, 0));
  g_autofree char *json = db_rows_to_json (rows);
  gint64 a;

  g_assert_cmpint (db_rows_get_column_index (rows, "a"), ==, 0);
  g_assert_cmpuint (g_variant_n_children (row), ==, 2);
  g_assert_true (g_variant_lookup (row, "a", "x", &a));
  g_assert_cmpint (a, ==, 1);
  g_assert_cmpstr (json, ==, "[{\"a\":1,\"b\":3}]");
}

static void
test_rows_json (void)
{
  g_autoptr(DbBackendConn) db = open_db ();
  g_autoptr(DbRows) rows = mixed_rows (db);
  g_autofree char *json = db_rows_to_json (rows);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonArray *array;
  JsonObject *row0;
  JsonObject *row1;

  g_test_message ("%s", json);
  root = json_from_string (json, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (root));
  array = json_node_get_array (root);
  g_assert_cmpuint (json_array_get_length (array), ==, 2);

  row0 = json_array_get_object_element (array, 0);
  g_assert_cmpuint (json_object_get_size (row0), ==, 5);   /* NULL is kept, as null */
  g_assert_cmpint (json_object_get_int_member (row0, "i"), ==, 1);
  g_assert_cmpfloat (json_object_get_double_member (row0, "d"), ==, 2.5);
  g_assert_cmpstr (json_object_get_string_member (row0, "s"), ==, "txt");
  g_assert_cmpstr (json_object_get_string_member (row0, "b"), ==, "AP8=");   /* base64 */
  g_assert_true (json_object_get_null_member (row0, "n"));

  row1 = json_array_get_object_element (array, 1);
  g_assert_cmpint (json_object_get_int_member (row1, "i"), ==, -7);
  g_assert_cmpfloat (json_object_get_double_member (row1, "d"), ==, 1.0);
  g_assert_cmpstr (json_object_get_string_member (row1, "b"), ==, "");
  g_assert_cmpint (json_object_get_int_member (row1, "n"), ==, 3);
}

static void
test_rows_empty (void)
{
  g_autoptr(DbBackendConn) db = open_db ();
  g_autoptr(DbRows) rows = run_ok (db, "SELECT v, v AS w FROM t", NULL);
  g_autoptr(GVariant) variant = NULL;
  g_autofree char *json = NULL;

  g_assert_cmpuint (db_rows_get_n_rows (rows), ==, 0);
  g_assert_cmpuint (db_rows_get_n_columns (rows), ==, 2);
  g_assert_cmpstr (db_rows_get_column_name (rows, 1), ==, "w");

  variant = g_variant_ref_sink (db_rows_to_variant (rows));
  g_assert_cmpstr (g_variant_get_type_string (variant), ==, "aa{sv}");
  g_assert_cmpuint (g_variant_n_children (variant), ==, 0);

  json = db_rows_to_json (rows);
  g_assert_cmpstr (json, ==, "[]");
}

/* Text is kept byte for byte; only the GVariant and JSON forms, which require
 * UTF-8, replace invalid sequences. */
static void
test_rows_non_ascii (void)
{
  g_autoptr(DbBackendConn) db = open_db ();
  const char *text = "Grüße — 日本語 🎉";
  g_autoptr(DbRows) rows = run_ok (db, "SELECT ? AS good, CAST (x'ff41' AS TEXT) AS bad",
                                   g_variant_new ("(s)", text));
  g_autoptr(GVariant) row = g_variant_ref_sink (db_rows_get_row_variant (rows, 0));
  g_autofree char *json = db_rows_to_json (rows);
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *object;
  const char *s;

  g_assert_cmpstr (db_rows_get_string (rows, 0, 0), ==, text);
  g_assert_cmpstr (db_rows_get_string (rows, 0, 1), ==, "\xff" "A");

  g_assert_true (g_variant_lookup (row, "good", "&s", &s));
  g_assert_cmpstr (s, ==, text);
  g_assert_true (g_variant_lookup (row, "bad", "&s", &s));
  g_assert_cmpstr (s, ==, "\xef\xbf\xbd" "A");

  root = json_from_string (json, &error);
  g_assert_no_error (error);
  object = json_array_get_object_element (json_node_get_array (root), 0);
  g_assert_cmpstr (json_object_get_string_member (object, "good"), ==, text);
  g_assert_cmpstr (json_object_get_string_member (object, "bad"), ==, "\xef\xbf\xbd" "A");
}

/* A blob's GBytes shares the result's storage and keeps it alive. */
static void
test_rows_blob_outlives_rows (void)
{
  g_autoptr(DbBackendConn) db = open_db ();
  guint8 data[1000];
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GVariant) variant = NULL;
  DbRows *rows;

  for (guint i = 0; i < sizeof data; i++)
    data[i] = (guint8) (i * 7);

  rows = run_ok (db, "SELECT ? AS b",
                 g_variant_new ("(@ay)", g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data,
                                                                     sizeof data, 1)));
  bytes = db_rows_get_bytes (rows, 0, 0);
  variant = g_variant_ref_sink (db_rows_get_row_variant (rows, 0));
  g_object_unref (rows);

  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), data, sizeof data);
  {
    g_autoptr(GVariant) b = g_variant_lookup_value (variant, "b", G_VARIANT_TYPE_BYTESTRING);
    g_assert_cmpmem (g_variant_get_data (b), g_variant_get_size (b), data, sizeof data);
  }
}

static void
test_rows_many (void)
{
  g_autoptr(DbBackendConn) db = open_db ();
  g_autoptr(DbRows) rows = run_ok (db,
                                   "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
                                   "FROM n WHERE i < 20000) "
                                   "SELECT i, 'row ' || i AS label, i * 0.5 AS half FROM n",
                                   NULL);
  gint64 sum = 0;

  g_assert_cmpuint (db_rows_get_n_rows (rows), ==, 20000);
  for (guint r = 0; r < db_rows_get_n_rows (rows); r++)
    {
      g_autofree char *expected = g_strdup_printf ("row %u", r + 1);

      sum += db_rows_get_int64 (rows, r, 0);
      g_assert_cmpstr (db_rows_get_string (rows, r, 1), ==, expected);
      g_assert_cmpfloat (db_rows_get_double (rows, r, 2), ==, (r + 1) * 0.5);
    }
  g_assert_cmpint (sum, ==, (gint64) 20000 * 20001 / 2);
}

/* get_string() on numbers fills a cache: it must be safe from several threads. */
static gpointer
render_all (gpointer data)
{
  DbRows *rows = data;

  for (guint r = 0; r < db_rows_get_n_rows (rows); r++)
    {
      char expected[32];

      g_snprintf (expected, sizeof expected, "%u", r);
      g_assert_cmpstr (db_rows_get_string (rows, r, 0), ==, expected);
    }
  return NULL;
}

static void
test_rows_threads (void)
{
  g_autoptr(DbBackendConn) db = open_db ();
  g_autoptr(DbRows) rows = run_ok (db,
                                   "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 "
                                   "FROM n WHERE i < 2999) SELECT i FROM n",
                                   NULL);
  GThread *threads[4];

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("render", render_all, rows);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);
}

static void
test_rows_out_of_range (void)
{
  g_autoptr(DbBackendConn) db = open_db ();
  g_autoptr(DbRows) rows = run_ok (db, "SELECT 1, 2", NULL);

  g_test_expect_message ("dbpool", G_LOG_LEVEL_CRITICAL, "*row < *n_rows*");
  g_assert_cmpint (db_rows_get_int64 (rows, 1, 0), ==, 0);
  g_test_assert_expected_messages ();

  g_test_expect_message ("dbpool", G_LOG_LEVEL_CRITICAL, "*column < *n_columns*");
  g_assert_null (db_rows_get_string (rows, 0, 2));
  g_test_assert_expected_messages ();

  g_test_expect_message ("dbpool", G_LOG_LEVEL_CRITICAL, "*column < *n_columns*");
  g_assert_null (db_rows_get_column_name (rows, 2));
  g_test_assert_expected_messages ();
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/bind/integers", test_bind_integers);
  g_test_add_func ("/bind/double", test_bind_double);
  g_test_add_func ("/bind/strings", test_bind_strings);
  g_test_add_func ("/bind/blob", test_bind_blob);
  g_test_add_func ("/bind/variant-and-maybe", test_bind_variant_and_maybe);
  g_test_add_func ("/bind/several-positional", test_bind_several_positional);
  g_test_add_func ("/bind/named", test_bind_named);
  g_test_add_func ("/bind/wrapped-params", test_bind_wrapped_params);
  g_test_add_func ("/bind/clears-previous", test_bind_clears_previous);
  g_test_add_func ("/bind/static-lifetime", test_bind_static_lifetime);
  g_test_add_func ("/bind/misuse/count", test_misuse_count);
  g_test_add_func ("/bind/misuse/missing-name", test_misuse_missing_name);
  g_test_add_func ("/bind/misuse/unused-key", test_misuse_unused_key);
  g_test_add_func ("/bind/misuse/positional-with-dict", test_misuse_positional_with_dict);
  g_test_add_func ("/bind/misuse/unsupported-type", test_misuse_unsupported_type);
  g_test_add_func ("/bind/misuse/uint64-overflow", test_misuse_uint64_overflow);
  g_test_add_func ("/rows/accessors", test_rows_accessors);
  g_test_add_func ("/rows/conversions-match-sqlite", test_rows_conversions_match_sqlite);
  g_test_add_func ("/rows/get-value", test_rows_get_value);
  g_test_add_func ("/rows/variant", test_rows_variant);
  g_test_add_func ("/rows/duplicate-names", test_rows_duplicate_names);
  g_test_add_func ("/rows/json", test_rows_json);
  g_test_add_func ("/rows/empty", test_rows_empty);
  g_test_add_func ("/rows/non-ascii", test_rows_non_ascii);
  g_test_add_func ("/rows/blob-outlives-rows", test_rows_blob_outlives_rows);
  g_test_add_func ("/rows/many", test_rows_many);
  g_test_add_func ("/rows/threads", test_rows_threads);
  g_test_add_func ("/rows/out-of-range", test_rows_out_of_range);

  return g_test_run ();
}
