/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* JSON for configuration objects whose keys are their property names (string, uint,
 * boolean and enum properties). One implementation for every config class, so that
 * DbPoolConfig and DbHistoryConfig accept and reject exactly the same things.
 *
 * _db_config_json_parse() creates an object of @type and sets every member of the
 * JSON object on it. Unknown keys (including the underscore spelling of a known one),
 * wrong JSON types, out-of-range integers, a missing @required_key and malformed JSON
 * are DB_POOL_ERROR_INVALID_CONFIG naming the key. The caller still validates the
 * combination of values. */
GObject *_db_config_json_parse     (GType          type,
                                    const char    *json,
                                    const char    *required_key,
                                    GError       **error);

/* Writes the @n_pspecs properties of @object, in that order, as pretty-printed JSON
 * (NULL strings as null, enums as their nick). */
char    *_db_config_json_serialize (GObject       *object,
                                    GParamSpec   **pspecs,
                                    guint          n_pspecs);

G_END_DECLS
