/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "db-backend-private.h"
#include "db-sqlite-private.h"

void
_db_backend_settings_clear (DbBackendSettings *settings)
{
  g_clear_pointer (&settings->path, g_free);
}

const DbBackend *
_db_backend_for_path (const char *path)
{
  /* PostgreSQL URIs will select their backend here. */
  return &_db_sqlite_backend;
}
