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

DbPoolError
_db_error_code_from_sqlite (int rc)
{
  switch (rc & 0xff)
    {
    case SQLITE_CONSTRAINT:
      return DB_POOL_ERROR_CONSTRAINT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return DB_POOL_ERROR_BUSY;
    case SQLITE_READONLY:
      return DB_POOL_ERROR_READ_ONLY;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
      return DB_POOL_ERROR_IO;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return DB_POOL_ERROR_CORRUPT;
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
      return DB_POOL_ERROR_MISUSE;
    case SQLITE_ERROR:
    case SQLITE_AUTH:
    case SQLITE_SCHEMA:
    case SQLITE_TOOBIG:
    case SQLITE_MISMATCH:
      return DB_POOL_ERROR_SQL;
    default:
      return DB_POOL_ERROR_FAILED;
    }
}

gboolean
_db_sqlite_rc_is_fatal (int rc)
{
  switch (rc & 0xff)
    {
    case SQLITE_IOERR:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_NOMEM:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
      return TRUE;
    default:
      return FALSE;
    }
}

void
_db_set_error_from_sqlite (GError     **error,
                           sqlite3     *db,
                           int          rc,
                           const char  *sql)
{
  const char *msg = NULL;
  g_autofree char *first_line = NULL;

  if (error == NULL)
    return;

  /* sqlite3_errmsg() describes the most recent failure on @db, which is @rc's only
   * when the codes agree; otherwise fall back to the generic text for @rc. */
  if (db != NULL && sqlite3_extended_errcode (db) == rc)
    msg = sqlite3_errmsg (db);
  if (msg == NULL || *msg == '\0')
    msg = sqlite3_errstr (rc);

  if (sql != NULL)
    {
      const char *start = sql;
      const char *end;

      while (g_ascii_isspace (*start))
        start++;
      end = strchr (start, '\n');
      first_line = end ? g_strndup (start, end - start) : g_strdup (start);
      g_strchomp (first_line);
      if (g_utf8_strlen (first_line, -1) > 120)
        {
          char *cut = g_utf8_offset_to_pointer (first_line, 117);
          *cut = '\0';
          {
            char *tmp = g_strconcat (first_line, "...", NULL);
            g_free (first_line);
            first_line = tmp;
          }
        }
    }

  if (first_line != NULL && *first_line != '\0')
    g_set_error (error, DB_POOL_ERROR, _db_error_code_from_sqlite (rc),
                 "%s (SQLite %s) in “%s”", msg, sqlite3_errstr (rc), first_line);
  else
    g_set_error (error, DB_POOL_ERROR, _db_error_code_from_sqlite (rc),
                 "%s (SQLite %s)", msg, sqlite3_errstr (rc));
}
