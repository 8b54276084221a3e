/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "db-backend-private.h"
#include "db-row.h"
#include "db-rows.h"

G_BEGIN_DECLS

/* Builds a result set while a statement is stepped (on whichever thread runs it):
 * the column names are taken from @stmt once, then every row is copied with
 * _db_rows_append_current() (the same @stmt, right after a step returned
 * DB_STEP_ROW). Values are copied, so the statement may be reset afterwards.
 *
 * Only the thread that builds a DbRows may append to it, and only before it is
 * handed to anyone else: accessors return pointers into its storage (strings, and
 * GBytes that share it), which appending could move. Once handed over it is
 * immutable and safe to read from any thread. */
DbRows   *_db_rows_new_for_statement (DbBackendStmt *stmt);
void      _db_rows_append_current    (DbRows        *self,
                                      DbBackendStmt *stmt);

/* The list model's item for row @index (< the row count) of @rows: a new DbRow
 * holding a reference on @rows (db-row.c). */
DbRow    *_db_row_new                (DbRows        *rows,
                                      guint          index);

G_END_DECLS
