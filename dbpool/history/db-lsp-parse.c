/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include <json-glib/json-glib.h>

#include "db-json-private.h"
#include "db-lsp-parse-private.h"

#define PUBLISH_DIAGNOSTICS "textDocument/publishDiagnostics"

/* LSP `integer` and `uinteger` are 32-bit. */
#define LSP_INTEGER_MAX G_MAXINT32

DbSnapshotRecord *
_db_snapshot_record_new (const char *file_uri,
                         gint64      timestamp_us,
                         int         version)
{
  DbSnapshotRecord *self = g_new0 (DbSnapshotRecord, 1);

  self->file_uri = g_strdup (file_uri);
  self->timestamp_us = timestamp_us;
  self->version = version;
  self->diagnostics = g_array_new (FALSE, FALSE, sizeof (DbDiagnosticRecord));
  self->strings = g_string_chunk_new (4096);
  return self;
}

void
_db_snapshot_record_add (DbSnapshotRecord *self,
                         DbSeverity        severity,
                         const char       *message,
                         const char       *source,
                         const char       *code,
                         guint             start_line,
                         guint             start_character,
                         guint             end_line,
                         guint             end_character)
{
  DbDiagnosticRecord record;

  g_assert (severity >= DB_SEVERITY_ERROR && severity <= DB_SEVERITY_HINT);
  g_assert (message != NULL);

  record.severity = severity;
  record.start_line = start_line;
  record.start_character = start_character;
  record.end_line = end_line;
  record.end_character = end_character;
  /* Messages rarely repeat; sources and codes nearly always do. */
  record.message = g_string_chunk_insert (self->strings, message);
  record.source = source ? g_string_chunk_insert_const (self->strings, source) : NULL;
  record.code = code ? g_string_chunk_insert_const (self->strings, code) : NULL;

  g_array_append_val (self->diagnostics, record);
  self->counts[severity - DB_SEVERITY_ERROR]++;
}

void
_db_snapshot_record_free (DbSnapshotRecord *self)
{
  if (self == NULL)
    return;

  g_free (self->file_uri);
  g_array_unref (self->diagnostics);
  g_string_chunk_free (self->strings);
  g_free (self);
}

/* Error reporting. Paths are only formatted when something is wrong, so the valid
 * path (the hot one) costs no string building. */

typedef struct
{
  const char  *prefix;   /* "params." or "" */
  GError     **error;
} ParseContext;

/* For error messages: what the sender wrote, in JSON terms. */
static char *
describe_node (JsonNode *node)
{
  GType type;

  if (node == NULL)
    return g_strdup ("nothing");

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

  type = json_node_get_value_type (node);
  if (type == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node)[0] ? "a string" : "an empty string");
  if (type == G_TYPE_BOOLEAN)
    return g_strdup (json_node_get_boolean (node) ? "true" : "false");
  if (type == G_TYPE_INT64)
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  if (type == G_TYPE_DOUBLE)
    {
      char buffer[G_ASCII_DTOSTR_BUF_SIZE];

      /* "1.0" must not read as the integer 1 it was refused for being. */
      g_ascii_dtostr (buffer, sizeof buffer, json_node_get_double (node));
      if (strpbrk (buffer, ".eEn") == NULL)
        return g_strdup_printf ("the number %s.0", buffer);
      return g_strdup_printf ("the number %s", buffer);
    }
  return g_strdup (g_type_name (type));
}

G_GNUC_PRINTF (4, 5)
static gboolean
invalid_field (ParseContext *ctx,
               JsonNode     *got,
               const char   *expected,
               const char   *path_format,
               ...)
{
  g_autofree char *path = NULL;
  g_autofree char *described = describe_node (got);
  va_list args;

  va_start (args, path_format);
  path = g_strdup_vprintf (path_format, args);
  va_end (args);

  if (got == NULL)
    g_set_error (ctx->error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_INPUT,
                 "Invalid publishDiagnostics message: “%s%s” is missing; expected %s",
                 ctx->prefix, path, expected);
  else
    g_set_error (ctx->error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_INPUT,
                 "Invalid publishDiagnostics message: “%s%s” must be %s, got %s",
                 ctx->prefix, path, expected, described);
  return FALSE;
}

static inline gboolean
node_is_null (JsonNode *node)
{
  return node == NULL || JSON_NODE_HOLDS_NULL (node);
}

static inline gboolean
node_is_string (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_STRING;
}

static inline gboolean
node_is_integer (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_INT64;
}

static inline JsonObject *
node_get_object (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* A position member: an LSP uinteger. */
static gboolean
parse_uint (ParseContext *ctx,
            JsonObject   *object,
            const char   *member,
            guint         index,
            const char   *which,
            guint        *out)
{
  JsonNode *node = json_object_get_member (object, member);
  gint64 n;

  if (!node_is_integer (node) ||
      (n = json_node_get_int (node)) < 0 || n > LSP_INTEGER_MAX)
    return invalid_field (ctx, node, "an integer from 0 to 2147483647",
                          "diagnostics[%u].range.%s.%s", index, which, member);

  *out = (guint) n;
  return TRUE;
}

static gboolean
parse_position (ParseContext *ctx,
                JsonObject   *range,
                guint         index,
                const char   *which,
                guint        *line,
                guint        *character)
{
  JsonNode *node = json_object_get_member (range, which);
  JsonObject *position = node_get_object (node);

  if (position == NULL)
    return invalid_field (ctx, node, "a position object",
                          "diagnostics[%u].range.%s", index, which);

  return parse_uint (ctx, position, "line", index, which, line) &&
         parse_uint (ctx, position, "character", index, which, character);
}

/* The optional members a client may ignore are still checked for their JSON type,
 * so a sender that garbles them hears about it; their contents are not stored. */
static gboolean
check_optional_members (ParseContext *ctx,
                        JsonObject   *diagnostic,
                        guint         index)
{
  JsonNode *node;

  node = json_object_get_member (diagnostic, "codeDescription");
  if (!node_is_null (node))
    {
      JsonObject *description = node_get_object (node);
      JsonNode *href;

      if (description == NULL)
        return invalid_field (ctx, node, "an object", "diagnostics[%u].codeDescription", index);
      href = json_object_get_member (description, "href");
      if (!node_is_null (href) && !node_is_string (href))
        return invalid_field (ctx, href, "a string",
                              "diagnostics[%u].codeDescription.href", index);
    }

  node = json_object_get_member (diagnostic, "tags");
  if (!node_is_null (node))
    {
      JsonArray *tags;

      if (!JSON_NODE_HOLDS_ARRAY (node))
        return invalid_field (ctx, node, "an array of integers", "diagnostics[%u].tags", index);
      tags = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (tags); i++)
        {
          JsonNode *tag = json_array_get_element (tags, i);

          if (!node_is_integer (tag))
            return invalid_field (ctx, tag, "an integer", "diagnostics[%u].tags[%u]", index, i);
        }
    }

  node = json_object_get_member (diagnostic, "relatedInformation");
  if (!node_is_null (node))
    {
      JsonArray *related;

      if (!JSON_NODE_HOLDS_ARRAY (node))
        return invalid_field (ctx, node, "an array of objects",
                              "diagnostics[%u].relatedInformation", index);
      related = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (related); i++)
        {
          JsonNode *item = json_array_get_element (related, i);

          if (node_get_object (item) == NULL)
            return invalid_field (ctx, item, "an object",
                                  "diagnostics[%u].relatedInformation[%u]", index, i);
        }
    }

  return TRUE;
}

static gboolean
parse_diagnostic (ParseContext     *ctx,
                  JsonNode         *node,
                  guint             index,
                  DbSnapshotRecord *record)
{
  JsonObject *diagnostic = node_get_object (node);
  JsonObject *range;
  JsonNode *member;
  DbSeverity severity = DB_SEVERITY_ERROR;
  const char *message;
  const char *source = NULL;
  g_autofree char *code_text = NULL;
  const char *code = NULL;
  guint start_line, start_character, end_line, end_character;

  if (diagnostic == NULL)
    return invalid_field (ctx, node, "a diagnostic object", "diagnostics[%u]", index);

  member = json_object_get_member (diagnostic, "range");
  range = node_get_object (member);
  if (range == NULL)
    return invalid_field (ctx, member, "a range object", "diagnostics[%u].range", index);
  if (!parse_position (ctx, range, index, "start", &start_line, &start_character) ||
      !parse_position (ctx, range, index, "end", &end_line, &end_character))
    return FALSE;

  member = json_object_get_member (diagnostic, "severity");
  if (!node_is_null (member))
    {
      gint64 n;

      if (!node_is_integer (member) ||
          (n = json_node_get_int (member)) < DB_SEVERITY_ERROR || n > DB_SEVERITY_HINT)
        return invalid_field (ctx, member, "an integer from 1 (error) to 4 (hint)",
                              "diagnostics[%u].severity", index);
      severity = (DbSeverity) n;
    }

  /* LSP 3.18 also allows MarkupContent ({kind, value}); its text is what is kept. */
  member = json_object_get_member (diagnostic, "message");
  if (node_is_string (member))
    message = json_node_get_string (member);
  else
    {
      JsonObject *markup = node_get_object (member);
      JsonNode *value = markup ? json_object_get_member (markup, "value") : NULL;

      if (!node_is_string (value))
        return invalid_field (ctx, member, "a string", "diagnostics[%u].message", index);
      message = json_node_get_string (value);
    }

  member = json_object_get_member (diagnostic, "source");
  if (!node_is_null (member))
    {
      if (!node_is_string (member))
        return invalid_field (ctx, member, "a string", "diagnostics[%u].source", index);
      source = json_node_get_string (member);
    }

  member = json_object_get_member (diagnostic, "code");
  if (node_is_string (member))
    code = json_node_get_string (member);
  else if (node_is_integer (member))
    code = code_text = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (member));
  else if (!node_is_null (member))
    return invalid_field (ctx, member, "a string or an integer", "diagnostics[%u].code", index);

  if (!check_optional_members (ctx, diagnostic, index))
    return FALSE;

  _db_snapshot_record_add (record, severity, message, source, code,
                           start_line, start_character, end_line, end_character);
  return TRUE;
}

/* Finds the params object: @root itself, or its "params" when @root is a JSON-RPC
 * notification (recognised by any of its envelope members). */
static JsonObject *
find_params (ParseContext *ctx,
             JsonObject   *root)
{
  JsonNode *method;
  JsonNode *params;

  if (!json_object_has_member (root, "method") &&
      !json_object_has_member (root, "jsonrpc") &&
      !json_object_has_member (root, "params"))
    {
      ctx->prefix = "";
      return root;
    }

  ctx->prefix = "";
  method = json_object_get_member (root, "method");
  if (!node_is_string (method))
    {
      invalid_field (ctx, method, "the string \"" PUBLISH_DIAGNOSTICS "\"", "method");
      return NULL;
    }
  if (g_strcmp0 (json_node_get_string (method), PUBLISH_DIAGNOSTICS) != 0)
    {
      g_set_error (ctx->error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_INPUT,
                   "Invalid publishDiagnostics message: “method” is “%s”, not “"
                   PUBLISH_DIAGNOSTICS "”", json_node_get_string (method));
      return NULL;
    }

  params = json_object_get_member (root, "params");
  if (node_get_object (params) == NULL)
    {
      invalid_field (ctx, params, "an object", "params");
      return NULL;
    }

  ctx->prefix = "params.";
  return json_node_get_object (params);
}

DbSnapshotRecord *
_db_lsp_parse_publish_diagnostics (const char  *json,
                                   gssize       length,
                                   gint64       timestamp_us,
                                   GError     **error)
{
  /* Not immutable: sealing hashes every node, and the tree lives only here. */
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) json_error = NULL;
  g_autoptr(DbSnapshotRecord) record = NULL;
  ParseContext ctx = { "", error };
  JsonNode *root;
  JsonObject *params;
  JsonNode *member;
  JsonArray *diagnostics;
  int version = -1;
  g_autofree char *why = NULL;

  g_assert (json != NULL);

  if (!_db_json_check_text (json, length < 0 ? strlen (json) : (gsize) length, &why))
    {
      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_INPUT,
                   "Invalid publishDiagnostics message: malformed JSON: %s", why);
      return NULL;
    }
  if (!json_parser_load_from_data (parser, json, length, &json_error))
    {
      /* json-glib quotes the offending token cut at a byte count, maybe mid-character. */
      g_autofree char *valid = g_utf8_make_valid (json_error->message, -1);

      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_INPUT,
                   "Invalid publishDiagnostics message: malformed JSON: %s", valid);
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_autofree char *described = describe_node (root);

      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_INPUT,
                   "Invalid publishDiagnostics message: expected a JSON object, got %s",
                   described);
      return NULL;
    }

  params = find_params (&ctx, json_node_get_object (root));
  if (params == NULL)
    return NULL;

  member = json_object_get_member (params, "uri");
  if (!node_is_string (member) || json_node_get_string (member)[0] == '\0')
    {
      invalid_field (&ctx, member, "a non-empty string", "uri");
      return NULL;
    }

  record = _db_snapshot_record_new (json_node_get_string (member), timestamp_us, -1);

  member = json_object_get_member (params, "version");
  if (!node_is_null (member))
    {
      gint64 n;

      if (!node_is_integer (member) ||
          (n = json_node_get_int (member)) < 0 || n > LSP_INTEGER_MAX)
        {
          invalid_field (&ctx, member, "an integer from 0 to 2147483647", "version");
          return NULL;
        }
      version = (int) n;
    }
  record->version = version;

  member = json_object_get_member (params, "diagnostics");
  if (member == NULL || !JSON_NODE_HOLDS_ARRAY (member))
    {
      invalid_field (&ctx, member, "an array (empty when the file is clean)", "diagnostics");
      return NULL;
    }
  diagnostics = json_node_get_array (member);

  for (guint i = 0; i < json_array_get_length (diagnostics); i++)
    if (!parse_diagnostic (&ctx, json_array_get_element (diagnostics, i), i, record))
      return NULL;

  return g_steal_pointer (&record);
}
