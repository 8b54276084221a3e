/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* dbpool's parameter syntax (`?`, `?NNN`, `:name`, `@name`) rewritten to PostgreSQL's
 * `$1…$n`. Pure text work, no libpq: unit-tested on its own. */

#include <glib.h>

G_BEGIN_DECLS

/* Rewrites the first statement of @sql. Placeholders inside string literals ('…',
 * E'…', dollar-quoted $tag$…$tag$), quoted identifiers ("…") and comments (-- and
 * nested /​* *​/) are left alone, as are casts (`::`). @names gets one entry per
 * parameter number (index 0 is $1): the name as written with its prefix, "?NNN" for a
 * numbered one, NULL for a plain `?`; the same name is the same number, as in SQLite.
 * If @tail is not NULL the statement ends at the first `;` outside those (and *@tail
 * points after it); otherwise the whole of @sql is one statement. Returns the new
 * text, or NULL with @error (DB_POOL_ERROR_SQL) for an unterminated literal or a bad
 * ?NNN. */
char *_db_pgsql_rewrite (const char   *sql,
                         GPtrArray    *names,
                         const char  **tail,
                         GError      **error);

G_END_DECLS
