/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The few places that look at a statement's first words (which lease it needs,
 * whether it may run inside a shared transaction) without parsing it: after leading
 * white space, @sql starts with the keyword @word (any case, not followed by a letter,
 * digit or underscore). Returns where the text after it starts, or NULL. */
const char *_db_sql_skip_keyword     (const char         *sql,
                                      const char         *word);
/* Whether @sql starts with one of the @n keywords @words. */
gboolean    _db_sql_starts_with_any  (const char         *sql,
                                      const char *const  *words,
                                      gsize               n);

G_END_DECLS
