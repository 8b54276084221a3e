/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one place PostgreSQL's SQLSTATEs become DbPoolError codes. */
#include <gio/gio.h>
#include <string.h>

#include "db-pgsql-conn-private.h"

DbPoolError
_db_pgsql_error_code (const char *sqlstate)
{
  if (sqlstate == NULL || strlen (sqlstate) != 5)
    return DB_POOL_ERROR_FAILED;
  if (g_str_has_prefix (sqlstate, "23"))
    return DB_POOL_ERROR_CONSTRAINT;
  /* Serialization failure, deadlock, a lock not had within lock_timeout: the
   * transaction may succeed if retried, as SQLite's BUSY. */
  if (strcmp (sqlstate, "40001") == 0 || strcmp (sqlstate, "40P01") == 0 ||
      strcmp (sqlstate, "55P03") == 0)
    return DB_POOL_ERROR_BUSY;
  if (strcmp (sqlstate, "25006") == 0)
    return DB_POOL_ERROR_READ_ONLY;
  if (g_str_has_prefix (sqlstate, "42"))
    return DB_POOL_ERROR_SQL;
  if (g_str_has_prefix (sqlstate, "08") || g_str_has_prefix (sqlstate, "57P") ||
      g_str_has_prefix (sqlstate, "58"))
    return DB_POOL_ERROR_IO;
  if (g_str_has_prefix (sqlstate, "53"))
    return DB_POOL_ERROR_IO;   /* insufficient resources: disk full, out of memory */
  if (g_str_has_prefix (sqlstate, "XX"))
    return DB_POOL_ERROR_CORRUPT;
  return DB_POOL_ERROR_FAILED;
}

void
_db_pgsql_set_error (DbPgConn       *conn,
                     GError        **error,
                     const PGresult *res,
                     const char     *sql)
{
  const char *sqlstate = res != NULL ? PQresultErrorField (res, PG_DIAG_SQLSTATE) : NULL;
  const char *primary = res != NULL ? PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
  g_autofree char *message = g_strdup (primary != NULL ? primary : PQerrorMessage (conn->pg));
  g_autofree char *first_line = NULL;
  g_autofree char *where = NULL;
  GQuark domain = DB_POOL_ERROR;
  int code;

  /* libpq's own messages span lines ("server closed the connection
   * unexpectedly\n\tThis probably means…"); a GError message reads as one. */
  g_strdelimit (message, "\n\t", ' ');
  g_strstrip (message);
  if (message[0] == '\0')
    {
      g_free (message);
      message = g_strdup ("no message from the server");
    }

  if (PQstatus (conn->pg) == CONNECTION_BAD)
    {
      /* The server went away (or the socket broke): nothing on this connection
       * can be trusted again, whatever the SQLSTATE said. */
      conn->base.broken = TRUE;
      code = DB_POOL_ERROR_IO;
      if (sqlstate == NULL)
        sqlstate = "08006";
    }
  else if (g_strcmp0 (sqlstate, "57014") == 0)
    {
      domain = G_IO_ERROR;
      code = G_IO_ERROR_CANCELLED;
    }
  else
    {
      code = _db_pgsql_error_code (sqlstate);
      if (code == DB_POOL_ERROR_IO)
        conn->base.broken = TRUE;
    }

  if (sql != NULL)
    {
      const char *nl = strchr (sql, '\n');
      first_line = nl != NULL ? g_strndup (sql, nl - sql) : g_strdup (sql);
      where = g_strdup_printf (" in “%s%s”", first_line, nl != NULL ? "…" : "");
    }
  g_set_error (error, domain, code, "%s%s (PostgreSQL SQLSTATE %s)",
               message, where != NULL ? where : "", sqlstate != NULL ? sqlstate : "none");
}

gboolean
_db_pgsql_exec (DbPgConn    *conn,
                const char  *sql,
                GError     **error)
{
  PGresult *res = PQexec (conn->pg, sql);
  ExecStatusType st = PQresultStatus (res);
  gboolean ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

  if (!ok)
    _db_pgsql_set_error (conn, error, res, sql);
  PQclear (res);
  return ok;
}
