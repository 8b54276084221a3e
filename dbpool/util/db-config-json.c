/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include <json-glib/json-glib.h>

#include "db-config-json-private.h"
#include "db-json-private.h"
#include "db-types.h"

/* For error messages: what the user wrote, in JSON terms rather than GType names. */
static char *
describe_node (JsonNode *node)
{
  g_autofree char *text = NULL;
  GType type;

  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      return g_strdup ("an object");
    case JSON_NODE_ARRAY:
      return g_strdup ("an array");
    case JSON_NODE_NULL:
      return g_strdup ("null");
    case JSON_NODE_VALUE:
    default:
      break;
    }

  text = json_to_string (node, FALSE);
  type = json_node_get_value_type (node);
  if (type == G_TYPE_STRING)
    return g_strdup_printf ("the string %s", text);
  if (type == G_TYPE_INT64)
    return g_strdup_printf ("the integer %s", text);
  if (type == G_TYPE_DOUBLE)
    return g_strdup_printf ("the number %s", text);
  return g_strdup (text);
}

static gboolean
invalid_value (GError     **error,
               const char  *key,
               const char  *expected,
               JsonNode    *node)
{
  g_autofree char *got = describe_node (node);

  g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG,
               "Invalid “%s”: expected %s, got %s", key, expected, got);
  return FALSE;
}

static gboolean
enum_from_json (GParamSpec  *pspec,
                JsonNode    *node,
                GType        node_type,
                GValue      *value,
                GError     **error)
{
  GType type = G_PARAM_SPEC_VALUE_TYPE (pspec);
  g_autoptr(GEnumClass) enum_class = g_type_class_ref (type);
  GEnumValue *enum_value = NULL;

  if (node_type == G_TYPE_STRING)
    {
      g_autofree char *nick = g_ascii_strdown (json_node_get_string (node), -1);

      enum_value = g_enum_get_value_by_nick (enum_class, nick);
    }
  else if (node_type == G_TYPE_INT64)
    {
      gint64 n = json_node_get_int (node);

      if (n >= G_MININT && n <= G_MAXINT)
        enum_value = g_enum_get_value (enum_class, (int) n);
    }

  if (enum_value == NULL)
    {
      g_autoptr(GString) expected = g_string_new ("one of ");

      for (guint i = 0; i < enum_class->n_values; i++)
        g_string_append_printf (expected, "%s\"%s\"", i > 0 ? ", " : "",
                                enum_class->values[i].value_nick);
      g_string_append_printf (expected, " (or %d to %d)",
                              enum_class->minimum, enum_class->maximum);
      return invalid_value (error, g_param_spec_get_name (pspec), expected->str, node);
    }

  g_value_init (value, type);
  g_value_set_enum (value, enum_value->value);
  return TRUE;
}

static gboolean
value_from_json (GParamSpec  *pspec,
                 JsonNode    *node,
                 GValue      *value,
                 GError     **error)
{
  const char *key = g_param_spec_get_name (pspec);
  GType type = G_PARAM_SPEC_VALUE_TYPE (pspec);
  GType node_type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node)
                                                 : G_TYPE_INVALID;

  if (type == G_TYPE_STRING)
    {
      if (node_type != G_TYPE_STRING)
        return invalid_value (error, key, "a string", node);
      g_value_init (value, G_TYPE_STRING);
      g_value_set_string (value, json_node_get_string (node));
      return TRUE;
    }

  if (type == G_TYPE_BOOLEAN)
    {
      if (node_type != G_TYPE_BOOLEAN)
        return invalid_value (error, key, "true or false", node);
      g_value_init (value, G_TYPE_BOOLEAN);
      g_value_set_boolean (value, json_node_get_boolean (node));
      return TRUE;
    }

  if (type == G_TYPE_UINT)
    {
      GParamSpecUInt *uint_pspec = G_PARAM_SPEC_UINT (pspec);
      gint64 n;

      if (node_type != G_TYPE_INT64)
        return invalid_value (error, key, "a non-negative integer", node);
      n = json_node_get_int (node);
      if (n < uint_pspec->minimum || n > uint_pspec->maximum)
        {
          g_autofree char *expected = g_strdup_printf ("an integer from %u to %u",
                                                       uint_pspec->minimum,
                                                       uint_pspec->maximum);
          return invalid_value (error, key, expected, node);
        }
      g_value_init (value, G_TYPE_UINT);
      g_value_set_uint (value, (guint) n);
      return TRUE;
    }

  if (G_TYPE_IS_ENUM (type))
    return enum_from_json (pspec, node, node_type, value, error);

  g_assert_not_reached ();
}

/* Only the exact property name is a key; the underscore spelling that GObject would
 * also accept is reported, with the right spelling, so that JSON files stay uniform. */
static GParamSpec *
find_key (GObjectClass  *klass,
          const char    *key,
          GError       **error)
{
  GParamSpec *pspec = g_object_class_find_property (klass, key);

  if (pspec != NULL && strcmp (g_param_spec_get_name (pspec), key) == 0 &&
      (pspec->flags & G_PARAM_WRITABLE) != 0 &&
      (pspec->flags & G_PARAM_CONSTRUCT_ONLY) == 0)
    return pspec;

  if (pspec != NULL && strcmp (g_param_spec_get_name (pspec), key) != 0)
    g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG,
                 "Unknown configuration key “%s” (did you mean “%s”?)",
                 key, g_param_spec_get_name (pspec));
  else
    g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG,
                 "Unknown configuration key “%s”", key);
  return NULL;
}

GObject *
_db_config_json_parse (GType         type,
                       const char   *json,
                       const char   *required_key,
                       GError      **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GObject) object = NULL;
  g_autoptr(GError) local_error = NULL;
  GObjectClass *klass;
  JsonObject *json_object;
  JsonNode *root;
  JsonObjectIter iter;
  const char *key;
  JsonNode *member;
  g_autofree char *why = NULL;

  g_assert (json != NULL);

  parser = json_parser_new_immutable ();
  if (!_db_json_check_text (json, strlen (json), &why))
    {
      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG,
                   "Invalid configuration JSON: %s", why);
      return NULL;
    }
  if (!json_parser_load_from_data (parser, json, -1, &local_error))
    {
      /* json-glib quotes the offending token cut at a byte count, maybe mid-character. */
      g_autofree char *valid = g_utf8_make_valid (local_error->message, -1);

      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG,
                   "Invalid configuration JSON: %s", valid);
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG,
                   "Invalid configuration JSON: expected an object, got %s",
                   root != NULL ? json_node_type_name (root) : "nothing");
      return NULL;
    }
  json_object = json_node_get_object (root);

  if (required_key != NULL && !json_object_has_member (json_object, required_key))
    {
      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG,
                   "Missing “%s”: a database file name is required", required_key);
      return NULL;
    }

  object = g_object_new (type, NULL);
  klass = G_OBJECT_GET_CLASS (object);

  json_object_iter_init (&iter, json_object);
  while (json_object_iter_next (&iter, &key, &member))
    {
      g_auto(GValue) value = G_VALUE_INIT;
      GParamSpec *pspec = find_key (klass, key, error);

      if (pspec == NULL || !value_from_json (pspec, member, &value, error))
        return NULL;
      g_object_set_property (object, key, &value);
    }

  return g_steal_pointer (&object);
}

char *
_db_config_json_serialize (GObject     *object,
                           GParamSpec **pspecs,
                           guint        n_pspecs)
{
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonGenerator) generator = NULL;
  g_autoptr(JsonNode) root = NULL;

  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  for (guint i = 0; i < n_pspecs; i++)
    {
      GParamSpec *pspec = pspecs[i];
      GType type = G_PARAM_SPEC_VALUE_TYPE (pspec);
      g_auto(GValue) value = G_VALUE_INIT;

      g_value_init (&value, type);
      g_object_get_property (object, g_param_spec_get_name (pspec), &value);
      json_builder_set_member_name (builder, g_param_spec_get_name (pspec));

      if (type == G_TYPE_STRING)
        {
          if (g_value_get_string (&value) != NULL)
            json_builder_add_string_value (builder, g_value_get_string (&value));
          else
            json_builder_add_null_value (builder);
        }
      else if (type == G_TYPE_UINT)
        json_builder_add_int_value (builder, g_value_get_uint (&value));
      else if (type == G_TYPE_BOOLEAN)
        json_builder_add_boolean_value (builder, g_value_get_boolean (&value));
      else if (G_TYPE_IS_ENUM (type))
        {
          g_autoptr(GEnumClass) enum_class = g_type_class_ref (type);
          GEnumValue *enum_value = g_enum_get_value (enum_class, g_value_get_enum (&value));

          if (enum_value != NULL)
            json_builder_add_string_value (builder, enum_value->value_nick);
          else
            json_builder_add_int_value (builder, g_value_get_enum (&value));
        }
      else
        g_assert_not_reached ();
    }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  generator = json_generator_new ();
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_root (generator, root);

  return json_generator_to_data (generator, NULL);
}
