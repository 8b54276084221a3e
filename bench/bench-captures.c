/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The real LSP captures (../shared/data/lsp): each notification as sent, its file,
 * and its diagnostics read the way an LSP client must read them. */
#include <json-glib/json-glib.h>

#include "bench.h"

static const char *const data_files[] = {
  "clangd-zlib-examples.jsonl",
  "pylsp-cpython-lib.jsonl",
};

void
bench_captures_clear (BenchCaptures *c)
{
  g_clear_pointer (&c->messages, g_ptr_array_unref);
  g_clear_pointer (&c->n_diagnostics, g_array_unref);
  g_clear_pointer (&c->uris, g_ptr_array_unref);
  g_clear_pointer (&c->parsed, g_ptr_array_unref);
  g_clear_pointer (&c->strings, g_string_chunk_free);
}

static gint64
member_int (JsonObject *object,
            const char *name,
            gint64      fallback)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) ? json_node_get_int (node) : fallback;
}

static JsonObject *
member_object (JsonObject *object,
               const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* Reads what HistoryStorage stores of each diagnostic, the way an LSP client must
 * (optional source, code as string or number). With @strings NULL the values are
 * only looked at: the parse limit. */
guint
bench_read_diagnostics (JsonParser   *parser,
                  GStringChunk *strings,
                  GArray       *out)
{
  JsonObject *root = json_node_get_object (json_parser_get_root (parser));
  JsonObject *params = member_object (root, "params");
  JsonArray *list = json_object_get_array_member (params, "diagnostics");
  guint n = json_array_get_length (list);
  char number[32];

  for (guint i = 0; i < n; i++)
    {
      JsonObject *d = json_array_get_object_element (list, i);
      JsonObject *range = member_object (d, "range");
      JsonObject *start = member_object (range, "start");
      JsonObject *end = member_object (range, "end");
      JsonNode *code = json_object_get_member (d, "code");
      JsonNode *source = json_object_get_member (d, "source");
      BenchDiag diag = {
        .severity = member_int (d, "severity", 1),
        .message = json_object_get_string_member (d, "message"),
        .source = source != NULL && JSON_NODE_HOLDS_VALUE (source) ? json_node_get_string (source) : NULL,
        .start_line = member_int (start, "line", 0),
        .start_character = member_int (start, "character", 0),
        .end_line = member_int (end, "line", 0),
        .end_character = member_int (end, "character", 0),
      };

      if (code != NULL && JSON_NODE_HOLDS_VALUE (code))
        {
          if (json_node_get_value_type (code) == G_TYPE_STRING)
            diag.code = json_node_get_string (code);
          else
            {
              g_snprintf (number, sizeof number, "%" G_GINT64_FORMAT, json_node_get_int (code));
              diag.code = number;
            }
        }
      if (strings != NULL)
        {
          diag.message = g_string_chunk_insert (strings, diag.message);
          diag.source = diag.source ? g_string_chunk_insert_const (strings, diag.source) : NULL;
          diag.code = diag.code ? g_string_chunk_insert_const (strings, diag.code) : NULL;
          g_array_append_val (out, diag);
        }
    }
  return n;
}

gboolean
bench_captures_load (BenchCaptures  *c,
                     const char     *dir,
                     GError        **error)
{
  c->messages = g_ptr_array_new_with_free_func (g_free);
  c->n_diagnostics = g_array_new (FALSE, FALSE, sizeof (guint));
  c->uris = g_ptr_array_new_with_free_func (g_free);
  c->parsed = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  c->strings = g_string_chunk_new (65536);

  for (guint f = 0; f < G_N_ELEMENTS (data_files); f++)
    {
      g_autofree char *path = g_build_filename (dir, data_files[f], NULL);
      g_autofree char *contents = NULL;
      g_auto(GStrv) lines = NULL;

      if (!g_file_get_contents (path, &contents, NULL, error))
        return FALSE;
      lines = g_strsplit (contents, "\n", -1);
      for (guint i = 0; lines[i] != NULL; i++)
        {
          g_autoptr(JsonParser) parser = json_parser_new ();
          GArray *diags = g_array_new (FALSE, FALSE, sizeof (BenchDiag));
          JsonObject *params;
          guint n;

          if (lines[i][0] == '\0')
            {
              g_array_unref (diags);
              continue;
            }
          if (!json_parser_load_from_data (parser, lines[i], -1, error))
            {
              g_array_unref (diags);
              return FALSE;
            }
          params = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)),
                                                  "params");
          n = bench_read_diagnostics (parser, c->strings, diags);
          g_ptr_array_add (c->parsed, diags);
          g_ptr_array_add (c->messages, g_strdup (lines[i]));
          g_ptr_array_add (c->uris, g_strdup (json_object_get_string_member (params, "uri")));
          g_array_append_val (c->n_diagnostics, n);
          c->total += n;
        }
    }
  return TRUE;
}
