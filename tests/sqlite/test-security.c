/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Security properties of pooled connections and of HistoryStorage:
 *
 * - DEFENSIVE: no way to rewrite the schema or raw pages with ordinary SQL;
 * - trusted_schema off: views, triggers, DEFAULT clauses and (once the schema is
 *   re-read after registering) constraints, generated columns and indexes cannot call
 *   application functions that are not marked innocuous;
 * - extension loading is off, from SQL and from the C API;
 * - new database files and their -wal, -shm and -journal files are owner-only
 *   whatever the umask;
 * - text reaching HistoryStorage (LSP JSON from a language server, snapshots built by
 *   the application, query arguments) is data: stored and returned verbatim, and
 *   never changes anything else in the database. */
#include <string.h>
#include <sys/stat.h>

#include <json-glib/json-glib.h>
#include <sqlite3.h>

#include "test-common.h"

/* Helpers */

static DbPool *
pool_new (const char *path)
{
  g_autoptr(DbPoolConfig) config = test_config (path, 3, 4);

  return test_pool_new (config);
}

static void
exec_ok (DbConnection *conn,
         const char   *sql)
{
  g_autoptr(GError) error = NULL;

  db_connection_execute_script (conn, sql, &error);
  g_assert_no_error (error);
}

/* Runs @sql as one statement (or as a script when @script) and expects it to fail. */
static void
exec_fails (DbConnection *conn,
            const char   *sql,
            gboolean      script,
            const char   *message_part)
{
  g_autoptr(GError) error = NULL;
  gboolean failed;

  if (script)
    failed = !db_connection_execute_script (conn, sql, &error);
  else
    failed = db_connection_execute (conn, sql, NULL, &error) < 0;
  if (!failed)
    g_error ("“%s” succeeded; it must fail", sql);
  g_assert_nonnull (error);
  g_assert_true (error->domain == DB_POOL_ERROR);
  if (message_part != NULL && strstr (error->message, message_part) == NULL)
    g_error ("“%s” failed with “%s”, expected a message containing “%s”",
             sql, error->message, message_part);
}

static char *
query_text (DbConnection *conn,
            const char   *sql)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DbRows) rows = db_connection_query (conn, sql, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (db_rows_get_n_rows (rows), ==, 1);
  return g_strdup (db_rows_get_string (rows, 0, 0));
}

static gint64
query_int (DbConnection *conn,
           const char   *sql)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DbRows) rows = db_connection_query (conn, sql, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (db_rows_get_n_rows (rows), ==, 1);
  return db_rows_get_int64 (rows, 0, 0);
}

static gboolean
has_module (DbConnection *conn,
            const char   *module)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DbRows) rows = db_connection_query (conn,
                                                "SELECT 1 FROM pragma_module_list WHERE name = ?",
                                                g_variant_new ("(s)", module), &error);

  g_assert_no_error (error);
  return db_rows_get_n_rows (rows) > 0;
}

/* Runs @sql on a connection of its own, straight on the file, so that no pooled
 * connection's state can hide a change. Returns the first column of its one row. */
static char *
file_query (const char *path,
            const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *text;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return text;
}

/* The whole schema and user_version as text, after checking the file is intact. */
static char *
file_schema (const char *path)
{
  g_autofree char *integrity = file_query (path, "PRAGMA integrity_check");

  g_assert_cmpstr (integrity, ==, "ok");
  return file_query (path,
                     "SELECT group_concat(type || '|' || name || '|' || tbl_name || '|' ||"
                     "                    coalesce(sql, ''), char(10))"
                     "       || char(10) || 'user_version='"
                     "       || (SELECT user_version FROM pragma_user_version)"
                     " FROM (SELECT * FROM sqlite_schema ORDER BY type, name)");
}

static gint64
file_count (const char *path,
            const char *table)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM %s", table);
  g_autofree char *count = file_query (path, sql);

  return g_ascii_strtoll (count, NULL, 10);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* The names in the database's directory, sorted: an ATTACH or a stray file shows. */
static char *
dir_listing (const char *path)
{
  g_autofree char *dirname = g_path_get_dirname (path);
  g_autoptr(GDir) dir = g_dir_open (dirname, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" ", (char **) names->pdata);
}

/* Connection flags */

static void
assert_hardened (sqlite3 *db)
{
  int value = -1;

  g_assert_cmpint (sqlite3_db_config (db, SQLITE_DBCONFIG_DEFENSIVE, -1, &value), ==, SQLITE_OK);
  g_assert_cmpint (value, ==, 1);
  value = -1;
  g_assert_cmpint (sqlite3_db_config (db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, -1, &value), ==, SQLITE_OK);
  g_assert_cmpint (value, ==, 0);
  value = -1;
  g_assert_cmpint (sqlite3_db_config (db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, -1, &value),
                   ==, SQLITE_OK);
  g_assert_cmpint (value, ==, 0);
}

static void
test_every_connection_hardened (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPool) pool = pool_new (path);
  g_autoptr(DbConnection) writer = test_acquire (pool, DB_ACCESS_WRITE);
  DbConnection *readers[3];

  /* Three readers and the writer: more than min-connections, so connections opened
   * on demand are checked as well as the initial ones. */
  assert_hardened (db_connection_get_handle (writer));
  for (guint i = 0; i < G_N_ELEMENTS (readers); i++)
    {
      readers[i] = test_acquire (pool, DB_ACCESS_READ);
      assert_hardened (db_connection_get_handle (readers[i]));
    }
  for (guint i = 0; i < G_N_ELEMENTS (readers); i++)
    g_object_unref (readers[i]);
}

/* DEFENSIVE */

static void
test_writable_schema (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPool) pool = pool_new (path);
  g_autoptr(DbConnection) conn = test_acquire (pool, DB_ACCESS_WRITE);
  g_autofree char *schema_before = NULL;
  g_autofree char *schema_after = NULL;
  g_autofree char *mode = NULL;
  gint64 schema_version;

  exec_ok (conn,
           "CREATE TABLE t (id INTEGER PRIMARY KEY, secret TEXT NOT NULL);"
           "CREATE INDEX t_secret ON t (secret);"
           "INSERT INTO t (secret) VALUES ('a'), ('b');");
  schema_before = file_schema (path);
  schema_version = query_int (conn, "PRAGMA schema_version");

  /* The classic: writable_schema, then rewrite a table's definition. SQLite accepts
   * the pragma, but under DEFENSIVE sqlite_schema stays read-only. */
  exec_ok (conn, "PRAGMA writable_schema=ON;");
  exec_fails (conn, "UPDATE sqlite_schema SET sql = 'CREATE TABLE t (id INTEGER PRIMARY KEY)'"
                    " WHERE name = 't'", FALSE, "may not be modified");
  exec_fails (conn, "UPDATE sqlite_master SET sql = replace(sql, 'NOT NULL', '')"
                    " WHERE name = 't'", FALSE, "may not be modified");
  exec_fails (conn, "DELETE FROM sqlite_schema WHERE name = 't_secret'", FALSE,
              "may not be modified");
  exec_fails (conn, "INSERT INTO sqlite_schema VALUES ('table', 'evil', 'evil', 2,"
                    " 'CREATE TABLE evil (x)')", FALSE, "may not be modified");
  exec_fails (conn, "UPDATE sqlite_temp_schema SET sql = '' ", FALSE, NULL);

  /* The same in one script, and with the other spellings of the pragma. */
  exec_fails (conn, "PRAGMA writable_schema=1; UPDATE sqlite_schema SET rootpage = 1"
                    " WHERE name = 't';", TRUE, "may not be modified");
  exec_fails (conn, "PRAGMA main.writable_schema=RESET; DELETE FROM main.sqlite_master;",
              TRUE, "may not be modified");

  /* schema_version=N would make other connections misread the schema. */
  exec_ok (conn, "PRAGMA schema_version=4242;");
  g_assert_cmpint (query_int (conn, "PRAGMA schema_version"), ==, schema_version);

  /* journal_mode=OFF would let ordinary SQL corrupt the file on a rollback. */
  mode = query_text (conn, "PRAGMA journal_mode=OFF");
  g_assert_cmpstr (mode, ==, "wal");

  /* Raw pages, where SQLite has the sqlite_dbpage table. */
  if (has_module (conn, "sqlite_dbpage"))
    {
      g_assert_cmpint (query_int (conn, "SELECT count(*) FROM sqlite_dbpage"), >, 0);
      exec_fails (conn, "UPDATE sqlite_dbpage SET data = zeroblob(length(data))"
                        " WHERE pgno = 1", FALSE, NULL);
      exec_fails (conn, "INSERT INTO sqlite_dbpage (pgno, data)"
                        " SELECT pgno, zeroblob(length(data)) FROM sqlite_dbpage", FALSE, NULL);
    }
  else
    g_test_message ("sqlite_dbpage is not compiled in; that variant is not tried");

  /* Shadow tables of virtual tables (FTS5 here) are not writable directly. */
  if (has_module (conn, "fts5"))
    {
      exec_ok (conn, "CREATE VIRTUAL TABLE f USING fts5 (body);"
                     "INSERT INTO f (body) VALUES ('hello world');");
      g_free (schema_before);
      schema_before = file_schema (path);
      exec_fails (conn, "UPDATE f_data SET block = x'00'", FALSE, "may not be modified");
      exec_fails (conn, "DELETE FROM f_content", FALSE, "may not be modified");
      g_assert_cmpint (query_int (conn, "SELECT count(*) FROM f WHERE f MATCH 'hello'"), ==, 1);
    }
  else
    g_test_message ("FTS5 is not compiled in; the shadow table variant is not tried");

  /* Nothing changed: same schema, same rows, file intact (checked by file_schema). */
  schema_after = file_schema (path);
  g_assert_cmpstr (schema_after, ==, schema_before);
  g_assert_cmpint (file_count (path, "t"), ==, 2);
  g_assert_cmpint (query_int (conn, "SELECT count(*) FROM t WHERE secret IN ('a', 'b')"), ==, 2);
}

/* trusted_schema off */

typedef struct
{
  int calls;
} FunctionData;

static void
counting_function (sqlite3_context  *ctx,
                   int               argc,
                   sqlite3_value   **argv)
{
  FunctionData *data = sqlite3_user_data (ctx);

  data->calls++;
  sqlite3_result_int (ctx, 1);
}

static void
register_functions (sqlite3      *db,
                    FunctionData *app,
                    FunctionData *innocuous)
{
  /* An application function with side effects (not SQLITE_INNOCUOUS), and for
   * contrast one that declares itself harmless. Both are deterministic, which CHECK
   * constraints and generated columns require anyway, so that only innocuousness
   * differs. */
  g_assert_cmpint (sqlite3_create_function_v2 (db, "app_fn", -1,
                                               SQLITE_UTF8 | SQLITE_DETERMINISTIC, app,
                                               counting_function, NULL, NULL, NULL),
                   ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_create_function_v2 (db, "harmless_fn", -1,
                                               SQLITE_UTF8 | SQLITE_DETERMINISTIC |
                                               SQLITE_INNOCUOUS, innocuous,
                                               counting_function, NULL, NULL, NULL),
                   ==, SQLITE_OK);
}

/* The attacker's side: a database file crafted with a plain SQLite handle (schema
 * trusted, as by default) whose schema calls the application's function when the
 * application uses it. */
static void
craft_database (const char *path,
                const char *schema)
{
  FunctionData app = { 0 }, innocuous = { 0 };
  sqlite3 *db = NULL;
  char *errmsg = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  sqlite3_db_config (db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 1, NULL);
  register_functions (db, &app, &innocuous);
  if (sqlite3_exec (db, schema, NULL, NULL, &errmsg) != SQLITE_OK)
    g_error ("crafting the database: %s", errmsg);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
}

/* Views, triggers and DEFAULT clauses are resolved each time they are used. */
static void
test_untrusted_schema (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(DbConnection) conn = NULL;
  FunctionData app = { 0 }, innocuous = { 0 };

  craft_database (path,
                  "CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER);"
                  "CREATE VIEW v_app AS SELECT app_fn(1) AS r;"
                  "CREATE VIEW v_nested AS SELECT r FROM (SELECT app_fn(2) AS r);"
                  "CREATE VIEW v_harmless AS SELECT harmless_fn(1) AS r;"
                  "CREATE TABLE log (x);"
                  "CREATE TRIGGER t_insert AFTER INSERT ON t BEGIN"
                  "  INSERT INTO log VALUES (app_fn(new.x));"
                  "END;"
                  "CREATE TABLE defaulted (x INTEGER, y INTEGER DEFAULT (app_fn(1)));");
  pool = pool_new (path);
  conn = test_acquire (pool, DB_ACCESS_WRITE);
  register_functions (db_connection_get_handle (conn), &app, &innocuous);

  /* Called directly by the application, both work. */
  g_assert_cmpint (query_int (conn, "SELECT app_fn(1) + harmless_fn(1)"), ==, 2);
  g_assert_cmpint (app.calls, ==, 1);
  g_assert_cmpint (innocuous.calls, ==, 1);
  app.calls = innocuous.calls = 0;

  /* Called from the schema, the one with side effects is refused. */
  exec_fails (conn, "SELECT * FROM v_app", FALSE, "unsafe use of app_fn");
  exec_fails (conn, "SELECT * FROM v_nested", FALSE, "unsafe use of app_fn");
  exec_fails (conn, "INSERT INTO t (x) VALUES (1)", FALSE, "unsafe use of app_fn");
  exec_fails (conn, "INSERT INTO defaulted (x) VALUES (1)", FALSE, "unsafe use of app_fn");
  g_assert_cmpint (app.calls, ==, 0);

  /* Nothing the failed statements touched was written. */
  g_assert_cmpint (query_int (conn, "SELECT count(*) FROM t"), ==, 0);
  g_assert_cmpint (query_int (conn, "SELECT count(*) FROM log"), ==, 0);
  g_assert_cmpint (query_int (conn, "SELECT count(*) FROM defaulted"), ==, 0);

  /* The innocuous function is allowed in the schema: the refusals above are
   * trusted_schema at work, not a broken schema. */
  g_assert_cmpint (query_int (conn, "SELECT r FROM v_harmless"), ==, 1);
  g_assert_cmpint (innocuous.calls, ==, 1);
}

/* CHECK constraints, generated columns and index expressions are resolved once, when
 * the schema is read, and SQLite checks innocuousness only then: a function
 * registered on a connection that has already read the schema (any leased one) is
 * called from them without the check. Re-reading the schema after registering
 * (PRAGMA writable_schema=RESET, which DEFENSIVE allows) applies it, and SQLite then
 * refuses the whole schema as malformed. */
static void
test_untrusted_schema_constraints (void)
{
  static const char * const schemas[] = {
    "CREATE TABLE x (a INTEGER CHECK (app_fn(a) = 1));",
    "CREATE TABLE x (a INTEGER, b INTEGER AS (app_fn(a)));",
    "CREATE TABLE x (a INTEGER, b INTEGER AS (app_fn(a)) STORED);",
    "CREATE TABLE x (a INTEGER); CREATE INDEX x_fn ON x (app_fn(a));",
    "CREATE TABLE x (a INTEGER); CREATE INDEX x_part ON x (a) WHERE app_fn(a) = 1;",
  };

  for (guint i = 0; i < G_N_ELEMENTS (schemas); i++)
    {
      g_autofree char *path = test_db_path ();
      g_autoptr(DbPool) pool = NULL;
      g_autoptr(DbConnection) conn = NULL;
      FunctionData app = { 0 }, innocuous = { 0 };

      g_test_message ("%s", schemas[i]);
      craft_database (path, schemas[i]);
      pool = pool_new (path);
      conn = test_acquire (pool, DB_ACCESS_WRITE);
      register_functions (db_connection_get_handle (conn), &app, &innocuous);
      exec_ok (conn, "PRAGMA writable_schema=RESET;");

      exec_fails (conn, "INSERT INTO x (a) VALUES (1)", FALSE, "unsafe use of app_fn");
      exec_fails (conn, "SELECT * FROM x", FALSE, "unsafe use of app_fn");
      g_assert_cmpint (app.calls, ==, 0);
      /* The refused schema is still intact on disk: DEFENSIVE let nothing write it. */
      g_clear_object (&conn);
      db_pool_close (pool);
      g_assert_cmpint (file_count (path, "x"), ==, 0);
    }
}

/* Extensions */

static void
test_load_extension (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPool) pool = pool_new (path);
  g_autoptr(DbConnection) conn = test_acquire (pool, DB_ACCESS_WRITE);
  g_autoptr(DbConnection) reader = test_acquire (pool, DB_ACCESS_READ);
  g_autoptr(GError) error = NULL;
  g_autoptr(DbRows) rows = NULL;
  char *errmsg = NULL;
  int rc;

  /* "not authorized", not "cannot open": refused before any file is looked at. */
  exec_fails (conn, "SELECT load_extension('/nonexistent/libevil.so')", FALSE,
              "not authorized");
  exec_fails (conn, "SELECT load_extension('libevil', 'sqlite3_evil_init')", FALSE,
              "not authorized");
  rows = db_connection_query (reader, "SELECT load_extension('/nonexistent/libevil.so')",
                              NULL, &error);
  g_assert_null (rows);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_SQL);
  g_assert_nonnull (strstr (error->message, "not authorized"));

  /* The C API has a switch of its own (SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION); the SQL
   * function is only ever enabled by sqlite3_enable_load_extension(). */
  rc = sqlite3_load_extension (db_connection_get_handle (conn), "/nonexistent/libevil.so",
                               NULL, &errmsg);
  g_assert_cmpint (rc, ==, SQLITE_ERROR);
  g_assert_nonnull (errmsg);
  g_assert_nonnull (strstr (errmsg, "not authorized"));
  sqlite3_free (errmsg);
}

/* File modes */

static void
assert_private (const char *path)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    g_error ("“%s” does not exist", path);
  if ((st.st_mode & 0777) != 0600)
    g_error ("“%s” has mode %03o, expected 0600", path, (unsigned) (st.st_mode & 0777));
}

static void
assert_exists (const char *path)
{
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
}

/* With umask 0 SQLite would create files 0644 (its default mode): world-readable. */
static void
test_file_modes_wal (void)
{
  g_autofree char *path = test_db_path ();
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);
  mode_t old_umask = umask (0);
  g_autoptr(DbPool) pool = pool_new (path);
  g_autoptr(DbConnection) conn = test_acquire (pool, DB_ACCESS_WRITE);

  exec_ok (conn, "CREATE TABLE t (x); INSERT INTO t VALUES (1);");
  assert_exists (wal);
  assert_exists (shm);
  assert_private (path);
  assert_private (wal);
  assert_private (shm);

  g_clear_object (&conn);
  db_pool_close (pool);
  umask (old_umask);
}

static void
test_file_modes_rollback_journal (void)
{
  g_autofree char *path = test_db_path ();
  g_autofree char *journal = g_strconcat (path, "-journal", NULL);
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 2);
  mode_t old_umask = umask (0);
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(DbConnection) conn = NULL;
  g_autoptr(GError) error = NULL;

  db_pool_config_set_enable_wal (config, FALSE);
  pool = test_pool_new (config);
  conn = test_acquire (pool, DB_ACCESS_WRITE);
  exec_ok (conn, "CREATE TABLE t (x); INSERT INTO t VALUES (1);");

  /* The journal exists while a write transaction has changed a page. */
  g_assert_true (db_connection_begin (conn, &error));
  g_assert_no_error (error);
  db_connection_execute (conn, "UPDATE t SET x = 2", NULL, &error);
  g_assert_no_error (error);
  assert_exists (journal);
  assert_private (journal);
  assert_private (path);
  g_assert_true (db_connection_rollback (conn, &error));
  g_assert_no_error (error);

  g_clear_object (&conn);
  db_pool_close (pool);
  umask (old_umask);
}

static void
test_file_modes_uri (void)
{
  g_autofree char *path = test_db_path ();
  g_autofree char *uri = g_strconcat ("file:", path, "?cache=private", NULL);
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  mode_t old_umask = umask (0);
  g_autoptr(DbPool) pool = pool_new (uri);
  g_autoptr(DbConnection) conn = test_acquire (pool, DB_ACCESS_WRITE);

  /* A URI names the same kind of file; it must not be created world-readable. */
  exec_ok (conn, "CREATE TABLE t (x); INSERT INTO t VALUES (1);");
  assert_private (path);
  assert_private (wal);

  g_clear_object (&conn);
  db_pool_close (pool);
  umask (old_umask);
}

/* HistoryStorage: injection */


static DbHistoryStorage *
storage_new (const char *path)
{
  g_autoptr(DbHistoryConfig) config = db_history_config_new (path);
  g_autoptr(GError) error = NULL;
  DbHistoryStorage *storage;

  db_history_config_set_auto_cleanup_interval_s (config, 0);
  storage = db_history_storage_new (config, NULL, &error);
  g_assert_no_error (error);
  return storage;
}

static gint64
record_json (DbHistoryStorage  *storage,
             const char        *json,
             GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  db_history_storage_record_lsp_json_async (storage, json, NULL, test_store_result, &result);
  return db_history_storage_record_lsp_json_finish (storage, test_wait_result (&result), error);
}

static gint64
record_snapshot (DbHistoryStorage     *storage,
                 DbDiagnosticSnapshot *snapshot)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id;

  db_history_storage_record_snapshot_async (storage, snapshot, NULL, test_store_result, &result);
  id = db_history_storage_record_snapshot_finish (storage, test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

static DbDiagnosticSnapshot *
get_snapshot (DbHistoryStorage *storage,
              gint64            id)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  DbDiagnosticSnapshot *snapshot;

  db_history_storage_get_snapshot_async (storage, id, NULL, test_store_result, &result);
  snapshot = db_history_storage_get_snapshot_finish (storage, test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (snapshot);
  return snapshot;
}

static guint
history_length (DbHistoryStorage *storage,
                const char       *uri)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GListModel) model = NULL;

  db_history_storage_get_file_history_async (storage, uri, 0, NULL, test_store_result, &result);
  model = db_history_storage_get_file_history_finish (storage, test_wait_result (&result), &error);
  g_assert_no_error (error);
  return g_list_model_get_n_items (model);
}

static GVariant *
trend (DbHistoryStorage *storage,
       const char       *uri)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GVariant *value;

  db_history_storage_get_trend_async (storage, uri, 0, (gint64) G_USEC_PER_SEC * 3600, NULL,
                                      test_store_result, &result);
  value = db_history_storage_get_trend_finish (storage, test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (value);
  return value;
}

/* Text that would do damage if it were ever pasted into SQL, or into a format
 * string, rather than bound. */
static const char * const payloads[] = {
  "'); DROP TABLE files; --",
  "\"); DROP TABLE snapshots; --",
  "x' OR '1'='1",
  "x\" OR \"1\"=\"1",
  "'; DELETE FROM diagnostics; SELECT '",
  "' || (SELECT group_concat(sql) FROM sqlite_schema) || '",
  "1; ATTACH DATABASE 'pwned.db' AS pwned; CREATE TABLE pwned.t (x); --",
  "'); PRAGMA writable_schema=ON; UPDATE sqlite_schema SET sql='x'; --",
  "'); UPDATE snapshots SET error_count = 999; --",
  "file:///x'); INSERT INTO files (uri) VALUES ('injected'); --",
  "?1 ?2 ?999 :name @name $name ? $a::b $c(d)",
  "%s%s%s%n%x %% %1$s",
  "\\' \\\" \\\\ \\0 \\n",
  "line1\nline2\r\n\ttab\x01\x1f",
  "/* unterminated comment",
  "-- trailing comment",
  "NULL",
  "é ü 漢字 😀 \xe2\x80\x8b \xef\xbb\xbf",
  "🙂'); DROP TABLE files;--",
  "file:///home/dev/a.c",
};

static char *
long_payload (void)
{
  GString *text = g_string_new (NULL);

  while (text->len < 64 * 1024)
    g_string_append (text, "'); DROP TABLE files; -- ");
  return g_string_free (text, FALSE);
}

/* A publishDiagnostics notification with @text in every string a server sends. */
static char *
lsp_json (const char *uri,
          const char *text)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "jsonrpc");
  json_builder_add_string_value (b, "2.0");
  json_builder_set_member_name (b, "method");
  json_builder_add_string_value (b, "textDocument/publishDiagnostics");
  json_builder_set_member_name (b, "params");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "uri");
  json_builder_add_string_value (b, uri);
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, 3);
  json_builder_set_member_name (b, "diagnostics");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "range");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "start");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "line");
  json_builder_add_int_value (b, 1);
  json_builder_set_member_name (b, "character");
  json_builder_add_int_value (b, 2);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "end");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "line");
  json_builder_add_int_value (b, 3);
  json_builder_set_member_name (b, "character");
  json_builder_add_int_value (b, 4);
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "severity");
  json_builder_add_int_value (b, 2);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, text);
  json_builder_set_member_name (b, "source");
  json_builder_add_string_value (b, text);
  json_builder_set_member_name (b, "code");
  json_builder_add_string_value (b, text);
  json_builder_set_member_name (b, "codeDescription");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "href");
  json_builder_add_string_value (b, text);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "relatedInformation");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "location");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "uri");
  json_builder_add_string_value (b, text);
  json_builder_set_member_name (b, "range");
  json_builder_begin_object (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, text);
  json_builder_end_object (b);
  json_builder_end_array (b);
  json_builder_end_object (b);
  json_builder_end_array (b);
  json_builder_end_object (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static void
assert_stored (DbHistoryStorage *storage,
               gint64            id,
               const char       *uri,
               const char       *text,
               int               version,
               DbSeverity        severity)
{
  g_autoptr(DbDiagnosticSnapshot) snapshot = get_snapshot (storage, id);
  GListModel *diagnostics = db_diagnostic_snapshot_get_diagnostics (snapshot);
  g_autoptr(DbDiagnostic) d = NULL;

  g_assert_cmpint (db_diagnostic_snapshot_get_id (snapshot), ==, id);
  g_assert_cmpstr (db_diagnostic_snapshot_get_file_uri (snapshot), ==, uri);
  g_assert_cmpint (db_diagnostic_snapshot_get_version (snapshot), ==, version);
  g_assert_cmpuint (db_diagnostic_snapshot_get_count (snapshot, severity), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (diagnostics), ==, 1);

  d = g_list_model_get_item (diagnostics, 0);
  g_assert_cmpint (db_diagnostic_get_severity (d), ==, severity);
  g_assert_cmpstr (db_diagnostic_get_message (d), ==, text);
  g_assert_cmpstr (db_diagnostic_get_source (d), ==, text);
  g_assert_cmpstr (db_diagnostic_get_code (d), ==, text);
  g_assert_cmpuint (db_diagnostic_get_start_line (d), ==, 1);
  g_assert_cmpuint (db_diagnostic_get_start_character (d), ==, 2);
  g_assert_cmpuint (db_diagnostic_get_end_line (d), ==, 3);
  g_assert_cmpuint (db_diagnostic_get_end_character (d), ==, 4);
}

typedef struct
{
  char   *schema;
  char   *listing;
  gint64  files;
  gint64  snapshots;
  gint64  diagnostics;
} DbState;

static void
db_state_read (DbState    *state,
               const char *path)
{
  state->schema = file_schema (path);
  state->listing = dir_listing (path);
  state->files = file_count (path, "files");
  state->snapshots = file_count (path, "snapshots");
  state->diagnostics = file_count (path, "diagnostics");
}

static void
db_state_clear (DbState *state)
{
  g_clear_pointer (&state->schema, g_free);
  g_clear_pointer (&state->listing, g_free);
}

static void
test_injection (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbHistoryStorage) storage = storage_new (path);
  g_autofree char *big = long_payload ();
  g_autoptr(GPtrArray) texts = g_ptr_array_new ();
  DbState before = { 0 }, after = { 0 };
  gint64 expected_files, expected_snapshots;

  for (guint i = 0; i < G_N_ELEMENTS (payloads); i++)
    g_ptr_array_add (texts, (gpointer) payloads[i]);
  g_ptr_array_add (texts, big);

  /* A baseline row, so that a DELETE or UPDATE that got through would show. */
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *json = lsp_json ("file:///baseline.c", "baseline");

    g_assert_cmpint (record_json (storage, json, &error), >, 0);
    g_assert_no_error (error);
  }
  db_state_read (&before, path);
  g_assert_cmpint (before.files, ==, 1);
  g_assert_cmpint (before.snapshots, ==, 1);
  g_assert_cmpint (before.diagnostics, ==, 1);

  for (guint i = 0; i < texts->len; i++)
    {
      const char *text = texts->pdata[i];
      /* The payload is the URI too; "file:///home/dev/a.c" stays a plain URI. */
      const char *uri = text;
      g_autofree char *json = lsp_json (uri, text);
      g_autoptr(GError) error = NULL;
      g_autoptr(DbDiagnosticSnapshot) snapshot = NULL;
      g_autoptr(DbDiagnostic) diagnostic = NULL;
      g_autoptr(DbDiagnosticSnapshot) latest = NULL;
      g_autoptr(GVariant) trend_value = NULL;
      g_autofree char *absent = g_strconcat (text, "' OR '1'='1", NULL);
      gint64 from_json, from_snapshot;

      /* From a language server, through the JSON parser. */
      from_json = record_json (storage, json, &error);
      g_assert_no_error (error);
      g_assert_cmpint (from_json, >, 0);
      assert_stored (storage, from_json, uri, text, 3, DB_SEVERITY_WARNING);

      /* From the application, through the object API, for the same file: the URI
       * lookup must find the row stored above, not add or match another. */
      snapshot = db_diagnostic_snapshot_new (uri, 5);
      diagnostic = db_diagnostic_new (DB_SEVERITY_HINT, text, text, text, 1, 2, 3, 4);
      db_diagnostic_snapshot_add_diagnostic (snapshot, diagnostic);
      from_snapshot = record_snapshot (storage, snapshot);
      assert_stored (storage, from_snapshot, uri, text, 5, DB_SEVERITY_HINT);

      /* Queries take the text as an argument too. */
      latest = test_history_latest (storage, uri);
      g_assert_nonnull (latest);
      g_assert_cmpint (db_diagnostic_snapshot_get_id (latest), ==, from_snapshot);
      g_assert_cmpuint (history_length (storage, uri), ==, 2);
      trend_value = trend (storage, uri);
      g_assert_cmpuint (g_variant_n_children (trend_value), >, 0);
      g_clear_object (&latest);
      latest = test_history_latest (storage, absent);
      g_assert_null (latest);
      g_assert_cmpuint (history_length (storage, absent), ==, 0);
    }

  /* Exactly the rows recorded were added, and nothing else changed: same schema
   * (and user_version), intact file, no other file in the directory. */
  db_state_read (&after, path);
  expected_files = before.files + texts->len;
  expected_snapshots = before.snapshots + 2 * texts->len;
  g_assert_cmpint (after.files, ==, expected_files);
  g_assert_cmpint (after.snapshots, ==, expected_snapshots);
  g_assert_cmpint (after.diagnostics, ==, expected_snapshots);
  g_assert_cmpstr (after.schema, ==, before.schema);
  g_assert_cmpstr (after.listing, ==, before.listing);

  /* The baseline is untouched. */
  {
    g_autoptr(DbDiagnosticSnapshot) baseline = test_history_latest (storage, "file:///baseline.c");

    g_assert_nonnull (baseline);
    assert_stored (storage, db_diagnostic_snapshot_get_id (baseline), "file:///baseline.c",
                   "baseline", 3, DB_SEVERITY_WARNING);
  }

  db_state_clear (&before);
  db_state_clear (&after);
}

/* A language server sent `\ud800` (a lone UTF-16 surrogate) or `\377` (an octal
 * escape, which JSON does not have but json-glib 1.6 decodes): json-glib turns either
 * into bytes that are not UTF-8. Found by fuzz-lsp-parse; the writer crashed on them
 * (g_variant_new_string() refused the text and the NULL reached
 * g_variant_new_tuple()). Whatever the storage does with such a message, it must not
 * crash, must keep storing, and must store and report only UTF-8. */
static void
test_json_escapes (void)
{
  static const char * const messages[] = {
    "{\"uri\": \"file:///s.c\", \"diagnostics\": [{\"range\": {\"start\": {\"line\": 0,"
    " \"character\": 0}, \"end\": {\"line\": 0, \"character\": 1}},"
    " \"message\": \"bad \\ud800 text\"}]}",
    "{\"uri\": \"file:///s\\udfff.c\", \"diagnostics\": []}",
    "{\"uri\": \"file:///s.c\", \"diagnostics\": [{\"range\": {\"start\": {\"line\": 0,"
    " \"character\": 0}, \"end\": {\"line\": 0, \"character\": 1}},"
    " \"message\": \"m\", \"source\": \"\\udc00\", \"code\": \"\\ud83d\"}]}",
    "{\"uri\": \"file:///s.c\", \"diagnostics\": [{\"range\": {\"start\": {\"line\": 0,"
    " \"character\": 0}, \"end\": {\"line\": 0, \"character\": 1}},"
    " \"message\": \"octal \\377\\376\"}]}",
    "{\"uri\": \"file:///s\\200.c\", \"diagnostics\": []}",
  };
  g_autofree char *path = test_db_path ();
  g_autoptr(DbHistoryStorage) storage = storage_new (path);
  g_autofree char *schema_before = file_schema (path);
  g_autofree char *schema_after = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (messages); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 id = record_json (storage, messages[i], &error);

      if (id > 0)
        {
          g_autoptr(DbDiagnosticSnapshot) snapshot = get_snapshot (storage, id);
          GListModel *diagnostics = db_diagnostic_snapshot_get_diagnostics (snapshot);

          g_assert_no_error (error);
          g_assert_true (g_utf8_validate (db_diagnostic_snapshot_get_file_uri (snapshot), -1, NULL));
          for (guint k = 0; k < g_list_model_get_n_items (diagnostics); k++)
            {
              g_autoptr(DbDiagnostic) d = g_list_model_get_item (diagnostics, k);

              g_assert_true (g_utf8_validate (db_diagnostic_get_message (d), -1, NULL));
              if (db_diagnostic_get_source (d) != NULL)
                g_assert_true (g_utf8_validate (db_diagnostic_get_source (d), -1, NULL));
              if (db_diagnostic_get_code (d) != NULL)
                g_assert_true (g_utf8_validate (db_diagnostic_get_code (d), -1, NULL));
            }
        }
      else
        {
          g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_INPUT);
          g_assert_true (g_utf8_validate (error->message, -1, NULL));
        }
    }

  /* Still working, and the file is intact. */
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *json = lsp_json ("file:///after.c", "after");

    g_assert_cmpint (record_json (storage, json, &error), >, 0);
    g_assert_no_error (error);
  }
  schema_after = file_schema (path);
  g_assert_cmpstr (schema_after, ==, schema_before);
}

/* json-glib parses recursively, once per nesting level: a message of a few hundred
 * kilobytes of "[" overflowed the parser thread's stack and killed the process (a
 * language server controls that text; LSP allows any JSON in a diagnostic's "data").
 * Found while fuzzing the LSP parser. Either refused or stored, never a crash. */
static char *
deeply_nested (const char *prefix,
               guint       depth,
               const char *suffix)
{
  GString *text = g_string_new (prefix);

  for (guint i = 0; i < depth; i++)
    g_string_append_c (text, '[');
  for (guint i = 0; i < depth; i++)
    g_string_append_c (text, ']');
  g_string_append (text, suffix);
  return g_string_free (text, FALSE);
}

static void
test_deep_nesting (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbHistoryStorage) storage = storage_new (path);
  g_autofree char *message = deeply_nested ("{\"uri\": \"file:///deep.c\", \"diagnostics\": [],"
                                            " \"data\": ", 1000000, "}");
  g_autofree char *config_json = deeply_nested ("{\"path\": \"x.db\", \"idle-timeout-ms\": ",
                                                1000000, "}");
  g_autoptr(GError) error = NULL;
  g_autoptr(DbPoolConfig) config = NULL;
  gint64 id;

  id = record_json (storage, message, &error);
  if (id == 0)
    {
      g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_INPUT);
      g_clear_error (&error);
    }
  else
    g_assert_no_error (error);

  /* Still working. */
  {
    g_autofree char *json = lsp_json ("file:///after.c", "after");

    g_assert_cmpint (record_json (storage, json, &error), >, 0);
    g_assert_no_error (error);
  }

  config = db_pool_config_new_from_json (config_json, &error);
  g_assert_null (config);
  g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/security/every-connection-hardened", test_every_connection_hardened);
  g_test_add_func ("/security/defensive/writable-schema", test_writable_schema);
  g_test_add_func ("/security/untrusted-schema/views-triggers", test_untrusted_schema);
  g_test_add_func ("/security/untrusted-schema/constraints", test_untrusted_schema_constraints);
  g_test_add_func ("/security/load-extension", test_load_extension);
  g_test_add_func ("/security/file-modes/wal", test_file_modes_wal);
  g_test_add_func ("/security/file-modes/rollback-journal", test_file_modes_rollback_journal);
  g_test_add_func ("/security/file-modes/uri", test_file_modes_uri);
  g_test_add_func ("/security/history/injection", test_injection);
  g_test_add_func ("/security/history/json-escapes", test_json_escapes);
  g_test_add_func ("/security/json/deep-nesting", test_deep_nesting);

  return g_test_run ();
}
