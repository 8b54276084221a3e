/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <sqlite3.h>

#include "db-types.h"

G_BEGIN_DECLS

/* The one place where SQLite result codes become DbPoolError codes. */
DbPoolError _db_error_code_from_sqlite (int rc);

/* Sets @error from @rc, with SQLite's message for @db (when @db is not NULL) and the
 * first line of @sql (when not NULL). */
void        _db_set_error_from_sqlite  (GError     **error,
                                        sqlite3     *db,
                                        int          rc,
                                        const char  *sql);

/* TRUE for result codes after which a connection can no longer be trusted
 * (I/O errors, corruption, out of memory): it is discarded on release. */
gboolean    _db_sqlite_rc_is_fatal     (int rc);

G_END_DECLS
