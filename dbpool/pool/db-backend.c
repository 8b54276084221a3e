/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "db-backend-private.h"
#include "db-sqlite-private.h"
#ifdef DBPOOL_HAVE_PGSQL
#include "db-pgsql-private.h"
#endif

void
_db_backend_settings_clear (DbBackendSettings *settings)
{
  g_clear_pointer (&settings->path, g_free);
}

#ifndef DBPOOL_HAVE_PGSQL
static DbBackendConn *
unavailable_open (const DbBackendSettings  *settings,
                  GError                  **error)
{
  /* Rather than SQLite creating a file called "postgresql:…". */
  g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_OPEN,
               "Cannot open “%s”: this dbpool was built without the PostgreSQL "
               "backend (libpq was not found at build time)", settings->path);
  return NULL;
}

/* Only open() is ever called: nothing else runs without a connection. */
static const DbBackend _db_unavailable_backend = {
  .name = "postgresql",
  .open = unavailable_open,
};
#endif

const DbBackend *
_db_backend_for_path (const char *path)
{
  /* libpq's URI forms; anything else (a file name, a file: URI) is SQLite's. */
  if (path != NULL &&
      (g_str_has_prefix (path, "postgresql://") || g_str_has_prefix (path, "postgres://")))
    {
#ifdef DBPOOL_HAVE_PGSQL
      return &_db_pgsql_backend;
#else
      return &_db_unavailable_backend;
#endif
    }
  return &_db_sqlite_backend;
}
