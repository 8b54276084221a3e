/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <sqlite3.h>

G_BEGIN_DECLS

/* The one place where GVariant parameters become SQLite values.
 *
 * @params: NULL, a tuple for positional parameters (`?`, `?NNN`; named ones may be
 * bound by position too), or a dictionary with string keys (`a{sv}`, or any `a{s*}`)
 * for named ones (`:name`, `@name`, `$name`; a key may be given with or without its
 * prefix). A variant of type `v` wrapping one of these is unwrapped.
 *
 * Values: b, y, n, q, i, u, x and t (up to G_MAXINT64) bind as integers, d as a
 * real, s, o and g as text, ay as a blob, v is unwrapped, and a maybe binds NULL
 * when empty and its value otherwise.
 *
 * Previous bindings are cleared first, so a cached statement never runs with a value
 * left over from an earlier use.
 *
 * On a wrong count, a missing or unknown name (a typo is an error, not an ignored
 * key), a positional `?` with a dictionary, or an unsupported type (h, arrays other
 * than ay, tuples, dictionaries): FALSE and a DB_POOL_ERROR_MISUSE error naming the
 * parameter (its 1-based index or its name) and the type.
 *
 * Text and blobs are bound with SQLITE_TRANSIENT: SQLite copies them, so @params
 * may be dropped as soon as this returns (copying measured cheaper than serializing
 * the tuple to keep pointers into it stable). A floating @params is not sunk: the
 * caller owns it. */
gboolean _db_bind_params (sqlite3_stmt  *stmt,
                          GVariant      *params,
                          GError       **error);

G_END_DECLS
