/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: db_pool_config_new_from_json() and
 * db_history_config_new_from_json(), which share one JSON reader.
 *
 * Beyond "no crash", the oracle is the documented contract: a failure is
 * DB_POOL_ERROR_INVALID_CONFIG with a message, and an accepted configuration
 * validates and survives to_json() → new_from_json() → to_json() unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"
#include "db-pool-config.h"
#include "db-history-config.h"

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
check_error (const GError *error)
{
  g_assert_nonnull (error);
  g_assert_true (error->domain == DB_POOL_ERROR);
  g_assert_cmpint (error->code, ==, DB_POOL_ERROR_INVALID_CONFIG);
  g_assert_true (error->message != NULL && error->message[0] != '\0');
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
}

static void
fuzz_pool_config (const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DbPoolConfig) config = db_pool_config_new_from_json (json, &error);
  g_autoptr(DbPoolConfig) again = NULL;
  g_autoptr(DbPoolConfig) copy = NULL;
  g_autofree char *text = NULL;
  g_autofree char *text_again = NULL;
  g_autofree char *text_copy = NULL;

  if (config == NULL)
    {
      check_error (error);
      return;
    }
  g_assert_no_error (error);
  g_assert_true (db_pool_config_validate (config, NULL));

  text = db_pool_config_to_json (config);
  again = db_pool_config_new_from_json (text, &error);
  g_assert_no_error (error);
  text_again = db_pool_config_to_json (again);
  g_assert_cmpstr (text, ==, text_again);

  copy = db_pool_config_copy (config);
  text_copy = db_pool_config_to_json (copy);
  g_assert_cmpstr (text, ==, text_copy);
}

static void
fuzz_history_config (const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DbHistoryConfig) config = db_history_config_new_from_json (json, &error);
  g_autoptr(DbHistoryConfig) again = NULL;
  g_autofree char *text = NULL;
  g_autofree char *text_again = NULL;

  if (config == NULL)
    {
      check_error (error);
      return;
    }
  g_assert_no_error (error);
  g_assert_true (db_history_config_validate (config, NULL));

  text = db_history_config_to_json (config);
  again = db_history_config_new_from_json (text, &error);
  g_assert_no_error (error);
  text_again = db_history_config_to_json (again);
  g_assert_cmpstr (text, ==, text_again);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  /* The API takes a NUL-terminated string: anything after an embedded NUL is not
   * part of it, as for any C caller. */
  g_autofree char *json = g_strndup ((const char *) data, size);

  fuzz_pool_config (json);
  fuzz_history_config (json);
  return 0;
}
