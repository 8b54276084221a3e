/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "db-types.h"

G_BEGIN_DECLS

/* How a statement is named in error messages, whatever the backend: its first line,
 * without leading white space, cut to 120 characters. NULL for NULL or an empty
 * line. */
char *_db_error_sql_excerpt (const char *sql);

G_END_DECLS
