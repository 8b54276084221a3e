/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "db-sql-words-private.h"

const char *
_db_sql_skip_keyword (const char *sql,
                      const char *word)
{
  gsize n = strlen (word);

  while (g_ascii_isspace (*sql))
    sql++;
  if (g_ascii_strncasecmp (sql, word, n) != 0 || g_ascii_isalnum (sql[n]) || sql[n] == '_')
    return NULL;
  return sql + n;
}

gboolean
_db_sql_starts_with_any (const char         *sql,
                         const char *const  *words,
                         gsize               n)
{
  for (gsize i = 0; i < n; i++)
    if (_db_sql_skip_keyword (sql, words[i]) != NULL)
      return TRUE;
  return FALSE;
}
