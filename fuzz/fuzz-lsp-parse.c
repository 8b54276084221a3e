/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: LSP publishDiagnostics ingestion
 * (_db_lsp_parse_publish_diagnostics, what record_lsp_json_async runs on its parser
 * threads).
 *
 * The input is parsed twice: NUL-terminated, as HistoryStorage passes it, and with an
 * explicit length. Beyond "no crash", an accepted message must give a record the
 * writer can store: a non-empty UTF-8 URI, severities 1 to 4 matching the counts,
 * positions within LSP's 32-bit range, and UTF-8 strings (the writer binds them as
 * GVariant strings). A rejected one is DB_POOL_ERROR_INVALID_INPUT with a UTF-8
 * message. */
#include <stdint.h>
#include <string.h>

#include "fuzz-common.h"
#include "db-lsp-parse-private.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_init_glib ();
  return 0;
}

static void
check_string (const char *what,
              const char *text)
{
  if (!g_utf8_validate (text, -1, NULL))
    g_error ("accepted message has a %s that is not UTF-8", what);
}

static void
check_record (const DbSnapshotRecord *record)
{
  guint counts[4] = { 0, };

  g_assert_nonnull (record->file_uri);
  g_assert_cmpuint (strlen (record->file_uri), >, 0);
  check_string ("uri", record->file_uri);
  g_assert_cmpint (record->version, >=, -1);
  g_assert_cmpint (record->timestamp_us, ==, 1);

  for (guint i = 0; i < record->diagnostics->len; i++)
    {
      const DbDiagnosticRecord *d = &g_array_index (record->diagnostics,
                                                    DbDiagnosticRecord, i);

      g_assert_cmpint (d->severity, >=, DB_SEVERITY_ERROR);
      g_assert_cmpint (d->severity, <=, DB_SEVERITY_HINT);
      counts[d->severity - DB_SEVERITY_ERROR]++;
      g_assert_cmpuint (d->start_line, <=, G_MAXINT32);
      g_assert_cmpuint (d->start_character, <=, G_MAXINT32);
      g_assert_cmpuint (d->end_line, <=, G_MAXINT32);
      g_assert_cmpuint (d->end_character, <=, G_MAXINT32);
      g_assert_nonnull (d->message);
      check_string ("message", d->message);
      if (d->source != NULL)
        check_string ("source", d->source);
      if (d->code != NULL)
        check_string ("code", d->code);
    }

  g_assert_cmpmem (counts, sizeof counts, record->counts, sizeof record->counts);
}

static void
check_error (const GError *error)
{
  g_assert_nonnull (error);
  g_assert_true (error->domain == DB_POOL_ERROR);
  g_assert_cmpint (error->code, ==, DB_POOL_ERROR_INVALID_INPUT);
  g_assert_true (error->message != NULL && error->message[0] != '\0');
  /* GError messages are UTF-8, even when they quote what the sender wrote. */
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
}

static gboolean
parse (const char *json,
       gssize      length)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DbSnapshotRecord) record = NULL;

  record = _db_lsp_parse_publish_diagnostics (json, length, 1, &error);
  if (record == NULL)
    {
      check_error (error);
      return FALSE;
    }
  g_assert_no_error (error);
  check_record (record);
  return TRUE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *json = g_strndup ((const char *) data, size);
  gboolean accepted = parse (json, -1);

  /* Without embedded NULs both spellings are the same message. */
  if (memchr (data, '\0', size) == NULL)
    g_assert_cmpint (parse ((const char *) data, (gssize) size), ==, accepted);
  else
    parse ((const char *) data, (gssize) size);

  return 0;
}
