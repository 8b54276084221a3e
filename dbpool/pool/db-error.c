/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "db-error-private.h"

/**
 * db_pool_error_quark:
 *
 * The error domain of dbpool, %DB_POOL_ERROR.
 *
 * Returns: the quark of the domain
 */
G_DEFINE_QUARK (db-pool-error-quark, db_pool_error)

char *
_db_error_sql_excerpt (const char *sql)
{
  const char *start = sql;
  const char *end;
  char *first_line;

  if (sql == NULL)
    return NULL;

  while (g_ascii_isspace (*start))
    start++;
  end = strchr (start, '\n');
  first_line = end ? g_strndup (start, end - start) : g_strdup (start);
  g_strchomp (first_line);
  if (*first_line == '\0')
    {
      g_free (first_line);
      return NULL;
    }
  /* A message names the statement; it does not reproduce a long one. */
  if (g_utf8_strlen (first_line, -1) > 120)
    {
      char *cut = g_utf8_offset_to_pointer (first_line, 117);
      char *tmp;

      *cut = '\0';
      tmp = g_strconcat (first_line, "...", NULL);
      g_free (first_line);
      first_line = tmp;
    }
  return first_line;
}
