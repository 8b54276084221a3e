/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The PostgreSQL backend's placeholder rewriter on its own: no server needed. */
#include <dbpool.h>

#include "db-pgsql-rewrite-private.h"

typedef struct
{
  const char *sql;
  const char *expected;
  const char *names;    /* the parameter names, comma-separated, "?" for a plain one */
} Case;

static char *
join_names (GPtrArray *names)
{
  g_autoptr(GString) s = g_string_new (NULL);

  for (guint i = 0; i < names->len; i++)
    {
      if (i > 0)
        g_string_append_c (s, ',');
      g_string_append (s, names->pdata[i] != NULL ? names->pdata[i] : "?");
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static void
test_rewrite_cases (void)
{
  static const Case cases[] = {
    { "SELECT ?", "SELECT $1", "?" },
    { "SELECT ?, ?", "SELECT $1, $2", "?,?" },
    { "SELECT :a, :b, :a", "SELECT $1, $2, $1", ":a,:b" },
    { "SELECT @x + ?", "SELECT $1 + $2", "@x,?" },
    { "SELECT ?2, ?", "SELECT $2, $3", "?,?2,?" },
    /* Left alone: literals, quoted identifiers, comments, casts. */
    { "SELECT '?', ?", "SELECT '?', $1", "?" },
    { "SELECT 'it''s :a ?', :b", "SELECT 'it''s :a ?', $1", ":b" },
    { "SELECT E'\\' ?', ?", "SELECT E'\\' ?', $1", "?" },
    { "SELECT \"col?\", \":x\"\"?\" FROM t WHERE a = ?",
      "SELECT \"col?\", \":x\"\"?\" FROM t WHERE a = $1", "?" },
    { "SELECT ? -- what? :no\n, ?", "SELECT $1 -- what? :no\n, $2", "?,?" },
    { "SELECT /* ? /* :nested */ ? */ ?", "SELECT /* ? /* :nested */ ? */ $1", "?" },
    { "SELECT :a::int, '1'::text", "SELECT $1::int, '1'::text", ":a" },
    { "SELECT $$ ? :a $$, $tag$ '? $tag$, ?", "SELECT $$ ? :a $$, $tag$ '? $tag$, $1", "?" },
    { "SELECT a$b FROM t WHERE x = :v", "SELECT a$b FROM t WHERE x = $1", ":v" },
    { "SELECT 1", "SELECT 1", "" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(GError) error = NULL;
      g_autofree char *out = _db_pgsql_rewrite (cases[i].sql, names, NULL, &error);
      g_autofree char *joined = NULL;

      g_test_message ("%s", cases[i].sql);
      g_assert_no_error (error);
      g_assert_cmpstr (out, ==, cases[i].expected);
      joined = join_names (names);
      g_assert_cmpstr (joined, ==, cases[i].names);
    }
}

static void
test_rewrite_tail (void)
{
  const char *script = "INSERT INTO t VALUES (?, ';'); -- ;\nSELECT :a;";
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) names2 = g_ptr_array_new_with_free_func (g_free);
  const char *tail = NULL;
  g_autofree char *first = _db_pgsql_rewrite (script, names, &tail, NULL);
  g_autofree char *second = NULL;

  g_assert_cmpstr (first, ==, "INSERT INTO t VALUES ($1, ';')");
  g_assert_cmpstr (tail, ==, " -- ;\nSELECT :a;");
  second = _db_pgsql_rewrite (tail, names2, &tail, NULL);
  g_assert_cmpstr (second, ==, " -- ;\nSELECT $1");
  g_assert_cmpstr (names2->pdata[0], ==, ":a");
  g_assert_cmpstr (tail, ==, "");
}

static void
test_rewrite_errors (void)
{
  static const char *const bad[] = {
    "SELECT 'open", "SELECT \"open", "SELECT /* open", "SELECT $$ open", "SELECT ?0",
    "SELECT ?99999",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(GError) error = NULL;
      g_autofree char *out = _db_pgsql_rewrite (bad[i], names, NULL, &error);

      g_assert_null (out);
      g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_SQL);
      g_assert_nonnull (strstr (error->message, bad[i]));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pgsql/rewrite/cases", test_rewrite_cases);
  g_test_add_func ("/pgsql/rewrite/tail", test_rewrite_tail);
  g_test_add_func ("/pgsql/rewrite/errors", test_rewrite_errors);
  return g_test_run ();
}
