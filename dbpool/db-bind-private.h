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
 * Lifetime contract: text and blobs are bound with SQLITE_STATIC, i.e. SQLite keeps
 * pointers into @params instead of copying. The caller must therefore keep @params
 * alive until the statement has been stepped for the last time and reset, and must
 * not step the statement again after dropping @params without rebinding (call
 * sqlite3_clear_bindings() after the final sqlite3_reset() if the statement is
 * cached). To make those pointers stable, @params is serialized (g_variant_get_data())
 * here; a floating @params is not sunk, so the caller owns it throughout. */
gboolean _db_bind_params (sqlite3_stmt  *stmt,
                          GVariant      *params,
                          GError       **error);

G_END_DECLS
