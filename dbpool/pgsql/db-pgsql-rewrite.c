/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A small lexer over PostgreSQL's SQL: just enough to know where literals, quoted
 * identifiers and comments are, so a `?` or `:x` inside them stays text. */
#include <string.h>

#include "db-types.h"
#include "db-pgsql-rewrite-private.h"

static gboolean
is_ident_start (char c)
{
  return g_ascii_isalpha (c) || c == '_' || (guchar) c >= 0x80;
}

static gboolean
is_ident_char (char c)
{
  return is_ident_start (c) || g_ascii_isdigit (c) || c == '$';
}

/* The length of a dollar-quote tag at @p ("$$" or "$tag$"), or 0 if @p starts none. */
static gsize
dollar_tag_len (const char *p)
{
  const char *q = p + 1;

  if (*q == '$')
    return 2;
  if (!is_ident_start (*q))
    return 0;
  while (is_ident_char (*q) && *q != '$')
    q++;
  return *q == '$' ? (gsize) (q - p + 1) : 0;
}

static int
add_param (GPtrArray  *names,
           const char *name)
{
  if (name != NULL)
    for (guint i = 0; i < names->len; i++)
      if (g_strcmp0 (names->pdata[i], name) == 0)
        return (int) i + 1;
  g_ptr_array_add (names, g_strdup (name));
  return (int) names->len;
}

static gboolean
unterminated (GError    **error,
              const char *what,
              const char *sql)
{
  g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_SQL,
               "Unterminated %s in “%s”", what, sql);
  return FALSE;
}

char *
_db_pgsql_rewrite (const char   *sql,
                   GPtrArray    *names,
                   const char  **tail,
                   GError      **error)
{
  g_autoptr(GString) out = g_string_sized_new (strlen (sql) + 16);
  const char *p = sql;

  while (*p != '\0')
    {
      const char *start = p;

      if (*p == ';' && tail != NULL)
        {
          *tail = p + 1;
          return g_string_free (g_steal_pointer (&out), FALSE);
        }
      else if (*p == '\'' || *p == '"')
        {
          /* 'it''s' and "a""b": a doubled quote stays inside. Backslashes only
           * escape in E'' strings (standard_conforming_strings is on by default). */
          char q = *p;
          gboolean backslash = q == '\'' && p > sql &&
                               (p[-1] == 'E' || p[-1] == 'e') &&
                               (p - 1 == sql || !is_ident_char (p[-2]));
          p++;
          for (;;)
            {
              if (*p == '\0')
                return unterminated (error, q == '"' ? "quoted identifier" : "string literal", sql), NULL;
              if (backslash && *p == '\\' && p[1] != '\0')
                p += 2;
              else if (*p == q && p[1] == q)
                p += 2;
              else if (*p == q)
                {
                  p++;
                  break;
                }
              else
                p++;
            }
          g_string_append_len (out, start, p - start);
        }
      else if (p[0] == '-' && p[1] == '-')
        {
          while (*p != '\0' && *p != '\n')
            p++;
          g_string_append_len (out, start, p - start);
        }
      else if (p[0] == '/' && p[1] == '*')
        {
          /* PostgreSQL's block comments nest. */
          int depth = 1;
          p += 2;
          while (depth > 0)
            {
              if (*p == '\0')
                return unterminated (error, "comment", sql), NULL;
              if (p[0] == '/' && p[1] == '*')
                depth++, p += 2;
              else if (p[0] == '*' && p[1] == '/')
                depth--, p += 2;
              else
                p++;
            }
          g_string_append_len (out, start, p - start);
        }
      else if (*p == '$' && (p == sql || !is_ident_char (p[-1])) && dollar_tag_len (p) > 0)
        {
          gsize tag = dollar_tag_len (p);
          const char *end;
          g_autofree char *tag_str = g_strndup (p, tag);

          end = strstr (p + tag, tag_str);
          if (end == NULL)
            return unterminated (error, "dollar-quoted string", sql), NULL;
          p = end + tag;
          g_string_append_len (out, start, p - start);
        }
      else if (is_ident_start (*p))
        {
          /* A whole word, so the `$` inside an identifier is never a tag. */
          while (is_ident_char (*p))
            p++;
          g_string_append_len (out, start, p - start);
        }
      else if (p[0] == ':' && p[1] == ':')
        {
          g_string_append (out, "::");
          p += 2;
        }
      else if ((*p == ':' || *p == '@') && is_ident_start (p[1]))
        {
          g_autofree char *name = NULL;
          p++;
          while (is_ident_char (*p) && *p != '$')
            p++;
          name = g_strndup (start, p - start);
          g_string_append_printf (out, "$%d", add_param (names, name));
        }
      else if (*p == '?')
        {
          p++;
          if (g_ascii_isdigit (*p))
            {
              guint64 n = 0;
              g_autofree char *name = NULL;

              while (g_ascii_isdigit (*p) && n < 100000)
                n = n * 10 + (guint64) (*p++ - '0');
              if (n == 0 || n > 32766)
                {
                  g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_SQL,
                               "Parameter “%.*s” out of range (1 to 32766) in “%s”",
                               (int) (p - start), start, sql);
                  return NULL;
                }
              name = g_strdup_printf ("?%" G_GUINT64_FORMAT, n);
              /* ?NNN is that number; the numbers below it that nobody named are
               * plain, unnamed parameters. */
              while (names->len < n)
                g_ptr_array_add (names, NULL);
              if (names->pdata[n - 1] == NULL)
                names->pdata[n - 1] = g_steal_pointer (&name);
              g_string_append_printf (out, "$%" G_GUINT64_FORMAT, n);
            }
          else
            {
              g_ptr_array_add (names, NULL);
              g_string_append_printf (out, "$%u", names->len);
            }
        }
      else
        {
          g_string_append_c (out, *p);
          p++;
        }
    }

  if (tail != NULL)
    *tail = p;
  return g_string_free (g_steal_pointer (&out), FALSE);
}
