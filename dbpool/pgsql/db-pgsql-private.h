/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the rest of the library knows of the PostgreSQL backend: its table of
 * functions. Everything else is in db-pgsql-conn-private.h, for this folder only. */

#include "db-backend-private.h"

G_BEGIN_DECLS

extern const DbBackend _db_pgsql_backend;

G_END_DECLS
