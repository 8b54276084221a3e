/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Clocks, statistics and the SQLite set-up every contender shares. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

gint64
bench_now_ns (void)
{
  struct timespec ts;

  /* g_get_monotonic_time() has microsecond resolution; an uncontended acquire takes
   * a fraction of that. */
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

/* CPU time of the whole process (every thread, including the pool's workers). On a
 * shared machine, CPU time over wall time shows how many cores a run really got. */
gint64
bench_cpu_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

char *
bench_load_average (void)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) fields = NULL;

  if (!g_file_get_contents ("/proc/loadavg", &contents, NULL, NULL))
    return g_strdup ("unknown");
  fields = g_strsplit (contents, " ", 4);
  if (g_strv_length (fields) < 3)
    return g_strdup ("unknown");
  return g_strdup_printf ("%s %s %s", fields[0], fields[1], fields[2]);
}

char *
bench_cpu_model (void)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents ("/proc/cpuinfo", &contents, NULL, NULL))
    return g_strdup ("unknown");
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "model name"))
      {
        const char *colon = strchr (lines[i], ':');

        if (colon != NULL)
          return g_strstrip (g_strdup (colon + 1));
      }
  return g_strdup ("unknown");
}

const char *
bench_impl_name (BenchImpl impl)
{
  switch (impl)
    {
    case IMPL_RAW:          return "limit (raw sqlite3)";
    case IMPL_SINGLE:       return "before / single";
    case IMPL_OPEN_PER_OP:  return "before / open-per-op";
    case IMPL_POOL_SYNC:    return "dbpool sync";
    case IMPL_POOL_ASYNC:   return "dbpool async";
    case IMPL_ASYNC_LIMIT:  return "limit async (GTask hop, raw sqlite3)";
    case IMPL_SINGLE_FIFO:  return "before / single, FIFO handoff";
    case IMPL_POOL_LEASE:   return "dbpool: release + reacquire only, kept lease object";
    case IMPL_POOL_HELD:    return "dbpool: DbStatement on a held lease";
    case IMPL_RAW_THREADS:  return "limit, a raw connection per thread";
    case IMPL_POOL_SYNC_VARIANT: return "dbpool sync, GVariant API";
    case IMPL_POOL_LEASE_NEW:    return "dbpool: acquire + release, new lease object per op";
    case IMPL_POOL_HELD_VARIANT: return "dbpool: GVariant statement API on a held lease";
    case N_IMPLS:
    default:
      g_assert_not_reached ();
    }
}

const char *
bench_synchronous_name (DbSynchronous synchronous)
{
  switch (synchronous)
    {
    case DB_SYNCHRONOUS_OFF:    return "OFF";
    case DB_SYNCHRONOUS_NORMAL: return "NORMAL";
    case DB_SYNCHRONOUS_FULL:   return "FULL";
    case DB_SYNCHRONOUS_EXTRA:  return "EXTRA";
    default:
      g_assert_not_reached ();
    }
}

static gboolean
exec_sql (sqlite3     *db,
          const char  *sql,
          GError     **error)
{
  char *errmsg = NULL;
  int rc = sqlite3_exec (db, sql, NULL, NULL, &errmsg);

  if (rc != SQLITE_OK)
    {
      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_SQL, "%s: %s", sql,
                   errmsg ? errmsg : sqlite3_errstr (rc));
      sqlite3_free (errmsg);
      return FALSE;
    }
  return TRUE;
}

/* The baselines open their handles exactly as the pool opens its own
 * (dbpool/db-sqlite.c): same flags, same security settings, same pragmas, so that
 * only the way connections are shared differs. */
sqlite3 *
bench_open_db (const char     *path,
               DbSynchronous   synchronous,
               GError        **error)
{
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
                    SQLITE_OPEN_URI | SQLITE_OPEN_EXRESCODE;
  g_autofree char *setup = NULL;
  sqlite3 *db = NULL;
  int rc;

  rc = sqlite3_open_v2 (path, &db, flags, NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_OPEN, "Cannot open %s: %s", path,
                   db ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
      sqlite3_close_v2 (db);
      return NULL;
    }

  sqlite3_extended_result_codes (db, 1);
  sqlite3_db_config (db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
  sqlite3_db_config (db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
  sqlite3_db_config (db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
  sqlite3_busy_timeout (db, 5000);

  setup = g_strdup_printf ("PRAGMA journal_mode=WAL;"
                           "PRAGMA synchronous=%s;"
                           "PRAGMA foreign_keys=ON;"
                           "PRAGMA temp_store=MEMORY;"
                           "PRAGMA cache_size=-8192",
                           bench_synchronous_name (synchronous));
  if (!exec_sql (db, setup, error))
    {
      sqlite3_close_v2 (db);
      return NULL;
    }
  return db;
}

gboolean
bench_create_database (const char  *path,
                       guint        n_items,
                       GError     **error)
{
  sqlite3 *db = bench_open_db (path, DB_SYNCHRONOUS_NORMAL, error);
  sqlite3_stmt *stmt = NULL;
  gboolean ok = FALSE;

  if (db == NULL)
    return FALSE;

  if (!exec_sql (db,
                 "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                 "                    value INTEGER NOT NULL);"
                 "CREATE TABLE log (id INTEGER PRIMARY KEY, item INTEGER NOT NULL,"
                 "                  payload TEXT NOT NULL);"
                 "BEGIN", error))
    goto out;

  if (sqlite3_prepare_v2 (db, "INSERT INTO items (id, name, value) VALUES (?, ?, ?)",
                          -1, &stmt, NULL) != SQLITE_OK)
    {
      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_SQL, "%s", sqlite3_errmsg (db));
      goto out;
    }
  for (guint i = 1; i <= n_items; i++)
    {
      char name[32];

      g_snprintf (name, sizeof name, "item-%07u", i);
      sqlite3_bind_int64 (stmt, 1, i);
      sqlite3_bind_text (stmt, 2, name, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 3, bench_item_value (i));
      if (sqlite3_step (stmt) != SQLITE_DONE)
        {
          g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_SQL, "%s", sqlite3_errmsg (db));
          goto out;
        }
      sqlite3_reset (stmt);
    }
  ok = exec_sql (db, "COMMIT; PRAGMA wal_checkpoint(TRUNCATE)", error);

out:
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return ok;
}

void
bench_errors_note (BenchErrors *errors,
                   const char  *message)
{
  errors->count++;
  if (errors->first == NULL)
    errors->first = g_strdup (message);
}

void
bench_errors_clear (BenchErrors *errors)
{
  errors->count = 0;
  g_clear_pointer (&errors->first, g_free);
}

/* The statements every contender runs, on a raw handle: a point read that checks the
 * row it got, a single-row insert (its own transaction). */
gboolean
bench_stmt_read (sqlite3      *db,
           sqlite3_stmt *stmt,
           gint64        id,
           BenchErrors  *errors)
{
  gboolean ok = FALSE;
  int rc;

  sqlite3_bind_int64 (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      const unsigned char *name = sqlite3_column_text (stmt, 0);
      gint64 value = sqlite3_column_int64 (stmt, 1);

      ok = name != NULL && value == bench_item_value (id);
      if (!ok)
        bench_errors_note (errors, "a point read returned the wrong row");
    }
  else
    bench_errors_note (errors, sqlite3_errmsg (db));
  sqlite3_reset (stmt);
  return ok;
}

gboolean
bench_stmt_write (sqlite3      *db,
            sqlite3_stmt *stmt,
            gint64        item,
            BenchErrors  *errors)
{
  int rc;

  sqlite3_bind_int64 (stmt, 1, item);
  sqlite3_bind_text (stmt, 2, BENCH_PAYLOAD, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    bench_errors_note (errors, sqlite3_errmsg (db));
  sqlite3_reset (stmt);
  return rc == SQLITE_DONE;
}

gboolean
bench_prepare_statements (sqlite3       *db,
                    sqlite3_stmt **read_stmt,
                    sqlite3_stmt **write_stmt,
                    GError       **error)
{
  if (sqlite3_prepare_v3 (db, BENCH_SQL_READ, -1, SQLITE_PREPARE_PERSISTENT, read_stmt, NULL) != SQLITE_OK ||
      sqlite3_prepare_v3 (db, BENCH_SQL_INSERT, -1, SQLITE_PREPARE_PERSISTENT, write_stmt, NULL) != SQLITE_OK)
    {
      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_SQL, "prepare: %s", sqlite3_errmsg (db));
      return FALSE;
    }
  return TRUE;
}

DbPoolConfig *
bench_pool_config (const BenchSpec *spec)
{
  DbPoolConfig *config = db_pool_config_new (spec->db_path);

  /* The defaults otherwise; enough connections that every thread of the sweep can
   * hold one, as an application sizing its pool for its threads would. */
  db_pool_config_set_min_connections (config, 2);
  db_pool_config_set_max_connections (config, spec->pool_max_connections);
  db_pool_config_set_synchronous (config, spec->synchronous);
  return config;
}

void
bench_result_clear (BenchResult *result)
{
  g_clear_pointer (&result->read_latency_ns, g_array_unref);
  g_clear_pointer (&result->write_latency_ns, g_array_unref);
  g_clear_pointer (&result->first_error, g_free);
}

void
bench_note_error (BenchResult *result,
                  const char  *message)
{
  result->errors++;
  if (result->first_error == NULL)
    result->first_error = g_strdup (message);
}

static int
compare_gint64 (const void *a,
                const void *b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return (x > y) - (x < y);
}

static int
compare_double (const void *a,
                const void *b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

/* Nearest-rank percentile of @samples_ns (sorted in place), in nanoseconds; NAN
 * when there are no samples. */
double
bench_percentile (GArray *samples_ns,
                  double  p)
{
  gsize rank;

  if (samples_ns == NULL || samples_ns->len == 0)
    return NAN;

  qsort (samples_ns->data, samples_ns->len, sizeof (gint64), compare_gint64);
  rank = (gsize) MAX (1.0, ceil (p / 100.0 * samples_ns->len));
  return (double) g_array_index (samples_ns, gint64, MIN (rank, samples_ns->len) - 1);
}

double
bench_median (const double *values,
              guint         n)
{
  g_autofree double *sorted = NULL;

  if (n == 0)
    return NAN;
  sorted = g_memdup2 (values, n * sizeof (double));
  qsort (sorted, n, sizeof (double), compare_double);
  return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
}
