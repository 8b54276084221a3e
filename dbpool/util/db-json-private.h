/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Containers nested deeper than this are refused: json-glib parses recursively, and
 * a message of a few hundred kilobytes of "[" overflows a thread's stack. */
#define DB_JSON_MAX_DEPTH 512

/* Checks that @json is one strict JSON (RFC 8259) value, before json-glib 1.6 parses
 * it. json-glib is lenient where that does harm: it accepts several top-level values
 * ("{}{}") and leaks all but the last; it turns lone UTF-16 surrogate escapes
 * ("\ud800") and octal escapes ("\200") into bytes that are not UTF-8, and leaks on a
 * malformed surrogate pair; it takes comments; and it recurses once per nesting
 * level. Strict JSON nested at most DB_JSON_MAX_DEPTH deep, with surrogate escapes in
 * pairs, is parsed by json-glib as written.
 *
 * On failure returns FALSE and sets @message to where ("<data>:line:column:", as
 * json-glib writes it) and what is wrong. */
gboolean _db_json_check_text (const char  *json,
                              gsize        length,
                              char       **message);

G_END_DECLS
