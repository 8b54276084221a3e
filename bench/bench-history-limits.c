/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The two limits that frame HistoryStorage's ingestion rate, measured in the same run:
 * json-glib parsing the captures with no storage at all, and raw SQLite inserting the
 * already parsed diagnostics on one thread into the same schema, one transaction per
 * snapshot, with prepared statements. Recording needs both for every diagnostic, so
 * together they bound what any implementation can reach on this machine. */
#include <json-glib/json-glib.h>

#include "bench.h"

typedef struct
{
  const BenchCaptures *captures;
  gint64          deadline_ns;
  guint64         diagnostics;
  gint64          end_ns;
} ParseWorker;

static gpointer
parse_worker (gpointer data)
{
  ParseWorker *w = data;

  for (guint i = 0; bench_now_ns () < w->deadline_ns; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      const char *text = g_ptr_array_index (w->captures->messages, i % w->captures->messages->len);

      if (!json_parser_load_from_data (parser, text, -1, NULL))
        g_error ("a capture that parsed before failed to parse");
      w->diagnostics += bench_read_diagnostics (parser, NULL, NULL);
    }
  w->end_ns = bench_now_ns ();
  return NULL;
}

/* json-glib parsing the captures on @n_threads threads: diagnostics/s in total. */
double
bench_parse_limit (const BenchCaptures *captures,
             guint           n_threads,
             double          seconds)
{
  g_autofree ParseWorker *workers = g_new0 (ParseWorker, n_threads);
  g_autofree GThread **threads = g_new0 (GThread *, n_threads);
  gint64 start = bench_now_ns ();
  gint64 end = start;
  guint64 total = 0;

  for (guint i = 0; i < n_threads; i++)
    {
      workers[i].captures = captures;
      workers[i].deadline_ns = start + (gint64) (seconds * 1e9);
      threads[i] = g_thread_new ("bench-parse", parse_worker, &workers[i]);
    }
  for (guint i = 0; i < n_threads; i++)
    {
      g_thread_join (threads[i]);
      total += workers[i].diagnostics;
      end = MAX (end, workers[i].end_ns);
    }
  return total / ((end - start) / 1e9);
}

/* The schema HistoryStorage creates (dbpool/db-history-sql.c, version 2). */
static const char limit_schema[] =
  "CREATE TABLE files (id INTEGER PRIMARY KEY, uri TEXT NOT NULL UNIQUE);"
  "CREATE TABLE snapshots (id INTEGER PRIMARY KEY,"
  "  file_id INTEGER NOT NULL REFERENCES files (id), timestamp_us INTEGER NOT NULL,"
  "  version INTEGER, error_count INTEGER NOT NULL DEFAULT 0,"
  "  warning_count INTEGER NOT NULL DEFAULT 0, information_count INTEGER NOT NULL DEFAULT 0,"
  "  hint_count INTEGER NOT NULL DEFAULT 0);"
  "CREATE INDEX snapshots_by_file_time ON snapshots (file_id, timestamp_us);"
  "CREATE INDEX snapshots_by_time ON snapshots (timestamp_us);"
  "CREATE TABLE diagnostics (id INTEGER PRIMARY KEY,"
  "  snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,"
  "  severity INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 4), message TEXT NOT NULL,"
  "  source TEXT, code TEXT, start_line INTEGER NOT NULL,"
  "  start_character INTEGER NOT NULL, end_line INTEGER NOT NULL,"
  "  end_character INTEGER NOT NULL);"
  "CREATE INDEX diagnostics_by_snapshot ON diagnostics (snapshot_id);";

static gboolean
step_done (sqlite3_stmt  *stmt,
           GError       **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    {
      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_SQL, "insert limit: %s",
                   sqlite3_errmsg (sqlite3_db_handle (stmt)));
      return FALSE;
    }
  return TRUE;
}

static void
bind_text_or_null (sqlite3_stmt *stmt,
                   int           index,
                   const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null (stmt, index);
}

/* Raw SQLite storing the parsed captures on one thread, one transaction per
 * snapshot: diagnostics/s. */
double
bench_insert_limit (const BenchCaptures  *captures,
              const char      *work_dir,
              double           seconds,
              GError         **error)
{
  g_autofree char *path = g_build_filename (work_dir, "history-limit.db", NULL);
  sqlite3_stmt *begin = NULL, *commit = NULL, *file_get = NULL, *file_put = NULL;
  sqlite3_stmt *snap = NULL, *diag = NULL;
  guint64 diagnostics = 0;
  double rate = -1;
  gint64 start, deadline;
  sqlite3 *db;

  db = bench_open_db (path, DB_SYNCHRONOUS_NORMAL, error);
  if (db == NULL)
    return -1;
  if (sqlite3_exec (db, limit_schema, NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2 (db, "BEGIN IMMEDIATE", -1, &begin, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2 (db, "COMMIT", -1, &commit, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2 (db, "SELECT id FROM files WHERE uri = ?", -1, &file_get, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2 (db, "INSERT INTO files (uri) VALUES (?)", -1, &file_put, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2 (db, "INSERT INTO snapshots (file_id, timestamp_us, version, error_count,"
                              " warning_count, information_count, hint_count)"
                              " VALUES (?, ?, ?, ?, ?, ?, ?)", -1, &snap, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2 (db, "INSERT INTO diagnostics (snapshot_id, severity, message, source,"
                              " code, start_line, start_character, end_line, end_character)"
                              " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &diag, NULL) != SQLITE_OK)
    {
      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_SQL, "insert limit: %s", sqlite3_errmsg (db));
      goto out;
    }

  start = bench_now_ns ();
  deadline = start + (gint64) (seconds * 1e9);
  for (guint i = 0; bench_now_ns () < deadline; i++)
    {
      guint m = i % captures->messages->len;
      GArray *diags = g_ptr_array_index (captures->parsed, m);
      gint64 counts[4] = { 0, 0, 0, 0 };
      gint64 file_id, snapshot_id;

      for (guint d = 0; d < diags->len; d++)
        counts[CLAMP (g_array_index (diags, BenchDiag, d).severity, 1, 4) - 1]++;

      if (!step_done (begin, error))
        goto out;
      sqlite3_bind_text (file_get, 1, g_ptr_array_index (captures->uris, m), -1, SQLITE_STATIC);
      if (sqlite3_step (file_get) == SQLITE_ROW)
        file_id = sqlite3_column_int64 (file_get, 0);
      else
        {
          sqlite3_bind_text (file_put, 1, g_ptr_array_index (captures->uris, m), -1, SQLITE_STATIC);
          if (!step_done (file_put, error))
            goto out;
          file_id = sqlite3_last_insert_rowid (db);
        }
      sqlite3_reset (file_get);

      sqlite3_bind_int64 (snap, 1, file_id);
      sqlite3_bind_int64 (snap, 2, g_get_real_time ());
      sqlite3_bind_null (snap, 3);
      for (int k = 0; k < 4; k++)
        sqlite3_bind_int64 (snap, 4 + k, counts[k]);
      if (!step_done (snap, error))
        goto out;
      snapshot_id = sqlite3_last_insert_rowid (db);

      for (guint d = 0; d < diags->len; d++)
        {
          const BenchDiag *x = &g_array_index (diags, BenchDiag, d);

          sqlite3_bind_int64 (diag, 1, snapshot_id);
          sqlite3_bind_int64 (diag, 2, x->severity);
          sqlite3_bind_text (diag, 3, x->message, -1, SQLITE_STATIC);
          bind_text_or_null (diag, 4, x->source);
          bind_text_or_null (diag, 5, x->code);
          sqlite3_bind_int64 (diag, 6, x->start_line);
          sqlite3_bind_int64 (diag, 7, x->start_character);
          sqlite3_bind_int64 (diag, 8, x->end_line);
          sqlite3_bind_int64 (diag, 9, x->end_character);
          if (!step_done (diag, error))
            goto out;
        }
      if (!step_done (commit, error))
        goto out;
      diagnostics += diags->len;
    }
  rate = diagnostics / ((bench_now_ns () - start) / 1e9);

out:
  sqlite3_finalize (begin);
  sqlite3_finalize (commit);
  sqlite3_finalize (file_get);
  sqlite3_finalize (file_put);
  sqlite3_finalize (snap);
  sqlite3_finalize (diag);
  sqlite3_close (db);
  return rate;
}
