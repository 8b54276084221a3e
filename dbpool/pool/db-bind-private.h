/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "db-backend-private.h"

G_BEGIN_DECLS

/* The one place parameters are bound. DbStatement's typed binds, the GVariant
 * parameters of execute()/query() and everything built on them (HistoryStorage
 * included) go through the typed binds below, which check what the pool can check
 * itself and leave the rest to the backend; so a given mistake is the same error,
 * with the same message, whichever way the value came.
 *
 * Parameters are numbered from 1. A number out of range (0, or beyond the largest
 * number in the statement) is DB_POOL_ERROR_MISUSE naming the number, the statement
 * and how many parameters it has, and binds nothing. Failures of the engine itself
 * (a value too big, out of memory) are the backend's errors. Text and blobs are
 * copied: the caller's memory may go as soon as a bind returns. The statement must
 * not be running (reset it first). */

gboolean _db_bind_out_of_range (DbBackendStmt  *stmt,
                                guint           index,
                                GError        **error);

static inline gboolean
_db_bind_check_index (DbBackendStmt  *stmt,
                      guint           index,
                      GError        **error)
{
  /* index 0 wraps around and fails too. */
  if (G_LIKELY (index - 1 < (guint) stmt->n_params))
    return TRUE;
  return _db_bind_out_of_range (stmt, index, error);
}

static inline gboolean
_db_bind_null (DbBackendStmt  *stmt,
               guint           index,
               GError        **error)
{
  return _db_bind_check_index (stmt, index, error) &&
         stmt->backend->bind_null (stmt, (int) index, error);
}

static inline gboolean
_db_bind_int64 (DbBackendStmt  *stmt,
                guint           index,
                gint64          value,
                GError        **error)
{
  return _db_bind_check_index (stmt, index, error) &&
         stmt->backend->bind_int64 (stmt, (int) index, value, error);
}

static inline gboolean
_db_bind_double (DbBackendStmt  *stmt,
                 guint           index,
                 double          value,
                 GError        **error)
{
  return _db_bind_check_index (stmt, index, error) &&
         stmt->backend->bind_double (stmt, (int) index, value, error);
}

/* @text must be valid UTF-8 (GVariant strings are; DbStatement checks the caller's
 * text first, as INVALID_INPUT). */
static inline gboolean
_db_bind_text (DbBackendStmt  *stmt,
               guint           index,
               const char     *text,
               gsize           len,
               GError        **error)
{
  return _db_bind_check_index (stmt, index, error) &&
         stmt->backend->bind_text (stmt, (int) index, text, len, error);
}

/* Zero bytes bind an empty blob, not NULL. */
static inline gboolean
_db_bind_blob (DbBackendStmt  *stmt,
               guint           index,
               gconstpointer   data,
               gsize           len,
               GError        **error)
{
  return _db_bind_check_index (stmt, index, error) &&
         stmt->backend->bind_blob (stmt, (int) index, data, len, error);
}

/* GVariant parameters.
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
 * A floating @params is not sunk: the caller owns it. */
gboolean _db_bind_params (DbBackendStmt  *stmt,
                          GVariant       *params,
                          GError        **error);

G_END_DECLS
