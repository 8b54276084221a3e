/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The clock, statistics, and the SQLite set-up every contender shares. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

gint64
bench_now_ns (void)
{
  struct timespec ts;

  /* g_get_monotonic_time() counts microseconds; a lease takes a fraction of one. */
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

char *
bench_cpu_model (void)
{
  g_autofree char *contents = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/cpuinfo", &contents, NULL, NULL) ||
      (line = strstr (contents, "model name")) == NULL || (line = strchr (line, ':')) == NULL)
    return g_strdup ("unknown CPU");
  return g_strstrip (g_strndup (line + 1, strcspn (line + 1, "\n")));
}

static gboolean
exec_sql (sqlite3     *db,
          const char  *sql,
          GError     **error)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) == SQLITE_OK)
    return TRUE;
  g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_SQL, "%s: %s", sql,
               message ? message : sqlite3_errmsg (db));
  sqlite3_free (message);
  return FALSE;
}

/* The baselines open their handles as the pool opens its own (dbpool/sqlite): the
 * same flags, security settings and pragmas, so that only the sharing differs. */
sqlite3 *
bench_open_db (const char  *path,
               GError     **error)
{
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
                    SQLITE_OPEN_URI | SQLITE_OPEN_EXRESCODE;
  sqlite3 *db = NULL;

  if (sqlite3_open_v2 (path, &db, flags, NULL) != SQLITE_OK)
    {
      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_OPEN, "Cannot open %s: %s", path,
                   db ? sqlite3_errmsg (db) : "out of memory");
      sqlite3_close_v2 (db);
      return NULL;
    }
  sqlite3_db_config (db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
  sqlite3_db_config (db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
  sqlite3_db_config (db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
  sqlite3_busy_timeout (db, 5000);
  if (!exec_sql (db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                     "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;"
                     "PRAGMA cache_size=-8192", error))
    {
      sqlite3_close_v2 (db);
      return NULL;
    }
  return db;
}

/* Item i is named item-000000i and worth bench_item_value (i). */
gboolean
bench_create_database (const char  *path,
                       GError     **error)
{
  sqlite3 *db = bench_open_db (path, error);
  gboolean ok = db != NULL &&
    exec_sql (db, "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                  "  value INTEGER NOT NULL);"
                  "CREATE TABLE log (id INTEGER PRIMARY KEY, item INTEGER NOT NULL,"
                  "  payload TEXT NOT NULL);"
                  "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
                  "  WHERE i < " G_STRINGIFY (BENCH_N_ITEMS) ")"
                  "INSERT INTO items SELECT i, printf ('item-%07d', i),"
                  "  (i * 2654435761) % 1000003 FROM n;"
                  "PRAGMA wal_checkpoint(TRUNCATE)", error);

  sqlite3_close (db);
  return ok;
}

gboolean
bench_prepare (sqlite3       *db,
               gboolean       write,
               sqlite3_stmt **stmt,
               GError       **error)
{
  if (sqlite3_prepare_v3 (db, write ? BENCH_SQL_INSERT : BENCH_SQL_READ, -1,
                          SQLITE_PREPARE_PERSISTENT, stmt, NULL) == SQLITE_OK)
    return TRUE;
  g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_SQL, "prepare: %s", sqlite3_errmsg (db));
  return FALSE;
}

/* One operation on a raw handle: a point read that checks its row, or a single-row
 * insert in autocommit (its own transaction, its own commit). */
gboolean
bench_raw_op (sqlite3       *db,
              sqlite3_stmt  *stmt,
              gboolean       write,
              gint64         key,
              GError       **error)
{
  int rc;
  gboolean ok;

  sqlite3_bind_int64 (stmt, 1, key);
  if (write)
    sqlite3_bind_text (stmt, 2, BENCH_PAYLOAD, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_FAILED, "%s", sqlite3_errmsg (db));
  ok = bench_check (write ? rc == SQLITE_DONE
                          : rc == SQLITE_ROW && sqlite3_column_text (stmt, 0) != NULL &&
                            sqlite3_column_int64 (stmt, 1) == bench_item_value (key), error);
  sqlite3_reset (stmt);
  return ok;
}

/* Every result is checked: a contender that gets a wrong row or change count fails
 * the run, with @error (if nothing set it already). */
gboolean
bench_check (gboolean   ok,
             GError   **error)
{
  if (!ok && *error == NULL)
    g_set_error_literal (error, DB_POOL_ERROR, DB_POOL_ERROR_FAILED, "a wrong row or change count");
  return ok;
}

/* Moves *@src (if set) into @dest, unless that holds an earlier error: the first
 * failure is the one reported. FALSE if there was one. */
gboolean
bench_keep_first_error (GError **dest,
                        GError **src)
{
  if (*src == NULL)
    return TRUE;
  if (dest != NULL && *dest == NULL)
    g_propagate_error (dest, g_steal_pointer (src));
  g_clear_error (src);
  return FALSE;
}

/* The library's switches as it ships them; main() saves them before any pool exists. */
DbTuning bench_default_tuning;

/* The switches are read while a pool runs, so they are set before it is created and
 * put back (NULL) after it is closed, and only here. */
void
bench_tuning_apply (const DbTuning *tuning)
{
  _db_tuning = tuning != NULL ? *tuning : bench_default_tuning;
}

DbPool *
bench_pool_new (const BenchSpec  *spec,
                GError          **error)
{
  g_autoptr(DbPoolConfig) config = db_pool_config_new (spec->db_path);

  bench_tuning_apply (&spec->tuning);
  /* The defaults otherwise, as an application that sized its pool for its threads. */
  db_pool_config_set_min_connections (config, 2);
  db_pool_config_set_max_connections (config, spec->max_connections);
  return db_pool_new (config, NULL, error);
}

void
bench_pool_close (DbPool *pool)
{
  if (pool != NULL)
    {
      db_pool_close (pool);
      g_object_unref (pool);
    }
  /* Let the pool's last main-context work (notifications) run before the next. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  bench_tuning_apply (NULL);
}

static int
compare_double (const void *a,
                const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* Nearest rank, of doubles (sorted in place); NAN without samples. */
double
bench_percentile (GArray *samples,
                  double  p)
{
  gsize rank;

  if (samples->len == 0)
    return NAN;
  qsort (samples->data, samples->len, sizeof (double), compare_double);
  rank = (gsize) MAX (1.0, ceil (p / 100.0 * samples->len));
  return g_array_index (samples, double, MIN (rank, samples->len) - 1);
}

/* Of @n doubles, left in their order (which pairs them by round); NAN without any. */
double
bench_median (const double *values,
              guint         n)
{
  g_autoptr(GArray) sorted = g_array_new (FALSE, FALSE, sizeof (double));
  double lo;

  if (n == 0)
    return NAN;
  g_array_append_vals (sorted, values, n);
  lo = bench_percentile (sorted, 50);
  /* An even count: the mean of the two in the middle. */
  return n % 2 ? lo : (lo + g_array_index (sorted, double, n / 2)) / 2;
}
