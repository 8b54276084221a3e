/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "db-statement.h"

G_BEGIN_DECLS

/* Called by the lease on release: the statement gives its SQLite statement back to
 * the connection, drops its reference on the lease and fails with MISUSE from then
 * on. */
void _db_statement_detach (DbStatement *self);

G_END_DECLS
