/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The dbpool quick start in C: open a pool, create a table, run writes and reads at
 * the same time on the pool's worker threads while the main thread only dispatches
 * results, write a batch in one transaction, print the rows and the pool's statistics.
 *
 *   quickstart [DATABASE]
 *
 * Without an argument the database lives in a new temporary directory that is
 * removed at the end. Build it with
 *
 *   cc quickstart.c -o quickstart $(pkg-config --cflags --libs dbpool-1.0)
 */
#include <glib/gstdio.h>
#include <dbpool.h>

#define N_WRITES 20
#define N_READS  10

typedef struct
{
  guint   pending;  /* operations started and not finished yet */
  GError *error;    /* the first failure */
  DbRows *rows;     /* what query_done() received */
} Progress;

static void
progress_fail (Progress *progress,
               GError   *error)
{
  if (progress->error == NULL)
    progress->error = error;
  else
    g_error_free (error);
}

/* Completions run on the main context, on the thread that started the operation. */
static void
insert_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Progress *progress = user_data;
  GError *error = NULL;

  if (db_pool_execute_finish (DB_POOL (source), result, NULL, &error) < 0)
    progress_fail (progress, error);
  progress->pending--;
}

static void
count_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Progress *progress = user_data;
  g_autoptr(DbRows) rows = NULL;
  GError *error = NULL;

  rows = db_pool_query_finish (DB_POOL (source), result, &error);
  if (rows == NULL)
    progress_fail (progress, error);
  else
    g_print ("a reader saw %" G_GINT64_FORMAT " notes\n", db_rows_get_int64 (rows, 0, 0));
  progress->pending--;
}

static void
query_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Progress *progress = user_data;
  GError *error = NULL;

  g_clear_object (&progress->rows);
  progress->rows = db_pool_query_finish (DB_POOL (source), result, &error);
  if (progress->rows == NULL)
    progress_fail (progress, error);
  progress->pending--;
}

static void
run_done (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Progress *progress = user_data;
  g_autofree char *summary = NULL;
  GError *error = NULL;

  summary = db_pool_run_finish (DB_POOL (source), result, &error);
  if (error != NULL)
    progress_fail (progress, error);
  else
    g_print ("%s\n", summary);
  progress->pending--;
}

/* Dispatches completions until every started operation has finished. A GUI runs its
 * main loop instead; this program has nothing else to do meanwhile. */
static gboolean
wait_for (Progress  *progress,
          GError   **error)
{
  while (progress->pending > 0)
    g_main_context_iteration (NULL, TRUE);
  if (progress->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&progress->error));
      return FALSE;
    }
  return TRUE;
}

/* Runs on a pool worker thread with a write lease: a whole transaction, kept short.
 * Returning NULL with @error set fails the operation; the pool rolls back a
 * transaction left open when it takes the lease back. */
static gpointer
insert_batch (DbConnection  *connection,
              gpointer       user_data,
              GCancellable  *cancellable,
              GError       **error)
{
  const char * const *bodies = user_data;
  guint n = 0;

  if (!db_connection_begin (connection, error))
    return NULL;
  for (; bodies[n] != NULL; n++)
    if (db_connection_execute (connection,
                               "INSERT INTO notes (author, body) VALUES (?, ?)",
                               g_variant_new ("(ss)", "batch", bodies[n]),
                               error) < 0)
      return NULL;
  if (!db_connection_commit (connection, error))
    return NULL;

  return g_strdup_printf ("one transaction inserted %u notes", n);
}

static gboolean
quickstart (const char  *path,
            GError     **error)
{
  static const char * const batch[] = { "first", "second", "third", NULL };
  static const char * const authors[] = { "ada", "grace", "linus" };
  g_autoptr(DbPoolConfig) config = NULL;
  g_autoptr(DbPool) pool = NULL;
  g_autoptr(DbRows) rows = NULL;
  g_autoptr(DbPoolStats) stats = NULL;
  g_autofree char *stats_json = NULL;
  Progress progress = { 0, NULL, NULL };
  gint64 before, after = 0;

  config = db_pool_config_new (path);
  db_pool_config_set_max_connections (config, 4);

  /* Opens min-connections connections before returning. A GUI would use
   * db_pool_new_async() so the main thread never blocks on disk. */
  pool = db_pool_new (config, NULL, error);
  if (pool == NULL)
    return FALSE;

  progress.pending++;
  db_pool_execute_async (pool,
                         "CREATE TABLE IF NOT EXISTS notes ("
                         "  id INTEGER PRIMARY KEY,"
                         "  author TEXT NOT NULL,"
                         "  body TEXT NOT NULL)",
                         NULL, NULL, insert_done, &progress);
  if (!wait_for (&progress, error))
    return FALSE;

  progress.pending++;
  db_pool_query_async (pool, "SELECT count(*) FROM notes", NULL, NULL,
                       query_done, &progress);
  if (!wait_for (&progress, error))
    return FALSE;
  before = db_rows_get_int64 (progress.rows, 0, 0);
  g_clear_object (&progress.rows);

  /* Everything starts at once. The writes take turns on the one write lease (the
   * pool queues them, SQLite never sees two writers); the reads run beside them,
   * each seeing the last committed state. */
  for (guint i = 0; i < N_WRITES; i++)
    {
      g_autofree char *body = g_strdup_printf ("note %u", i);

      progress.pending++;
      db_pool_execute_async (pool, "INSERT INTO notes (author, body) VALUES (?, ?)",
                             g_variant_new ("(ss)", authors[i % G_N_ELEMENTS (authors)], body),
                             NULL, insert_done, &progress);
    }
  for (guint i = 0; i < N_READS; i++)
    {
      progress.pending++;
      db_pool_query_async (pool, "SELECT count(*) FROM notes", NULL, NULL,
                           count_done, &progress);
    }
  progress.pending++;
  db_pool_run_async (pool, DB_ACCESS_WRITE, insert_batch, (gpointer) batch, NULL,
                     NULL, run_done, &progress);
  if (!wait_for (&progress, error))
    return FALSE;

  progress.pending++;
  db_pool_query_async (pool,
                       "SELECT author, count(*) FROM notes GROUP BY author ORDER BY author",
                       NULL, NULL, query_done, &progress);
  if (!wait_for (&progress, error))
    return FALSE;
  rows = g_steal_pointer (&progress.rows);

  g_print ("\n%-8s %s\n", "author", "notes");
  for (guint r = 0; r < db_rows_get_n_rows (rows); r++)
    {
      g_print ("%-8s %" G_GINT64_FORMAT "\n",
               db_rows_get_string (rows, r, 0), db_rows_get_int64 (rows, r, 1));
      after += db_rows_get_int64 (rows, r, 1);
    }
  if (after - before != N_WRITES + G_N_ELEMENTS (batch) - 1)
    {
      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_FAILED,
                   "Expected %u new notes, found %" G_GINT64_FORMAT,
                   (guint) (N_WRITES + G_N_ELEMENTS (batch) - 1), after - before);
      return FALSE;
    }

  stats = db_pool_get_stats (pool);
  stats_json = db_pool_stats_to_json (stats);
  g_print ("\npool stats: %s\n", stats_json);

  /* Waits for outstanding leases, then closes every connection. */
  db_pool_close (pool);
  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmpdir = NULL;
  g_autofree char *path = NULL;
  gboolean ok;

  if (argc > 2)
    {
      g_printerr ("Usage: %s [DATABASE]\n", argv[0]);
      return 2;
    }

  if (argc == 2)
    path = g_strdup (argv[1]);
  else
    {
      tmpdir = g_dir_make_tmp ("dbpool-quickstart-XXXXXX", &error);
      if (tmpdir == NULL)
        {
          g_printerr ("quickstart: %s\n", error->message);
          return 1;
        }
      path = g_build_filename (tmpdir, "quickstart.db", NULL);
    }

  ok = quickstart (path, &error);

  if (tmpdir != NULL)
    {
      const char *suffixes[] = { "", "-wal", "-shm" };

      for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
        {
          g_autofree char *file = g_strconcat (path, suffixes[i], NULL);
          g_remove (file);
        }
      g_rmdir (tmpdir);
    }

  if (!ok)
    {
      g_printerr ("quickstart: %s\n", error->message);
      return 1;
    }
  return 0;
}
