/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* HistoryStorage under the load it exists for: the real LSP captures recorded by four
 * concurrent producers (each on its own thread and main context, a few messages in
 * flight, as an LSP bridge relaying several servers would), first until the target
 * number of diagnostics is stored, then on and on while the main thread asks for file
 * histories one after the other and times each round trip.
 * The limits it is compared with are in bench-history-limits.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "bench.h"

#define N_PRODUCERS      4
#define PRODUCER_WINDOW  8    /* messages in flight per producer */
#define HISTORY_LIMIT    50

typedef struct
{
  DbHistoryStorage *storage;
  const BenchCaptures   *captures;
  guint64          *next;         /* __atomic: messages handed out so far */
  guint64           limit;        /* 0: until *stop */
  int              *stop;         /* atomic */
  GMainContext     *context;
  GThread          *thread;
  guint             in_flight;
  guint64           snapshots;
  guint64           diagnostics;
  guint64           errors;
  char             *first_error;
} Producer;

typedef struct
{
  Producer *producer;
  guint     message;
} Record;

static gboolean producer_issue (Producer *p);

static void
recorded (GObject      *source,
          GAsyncResult *result,
          gpointer      data)
{
  Record *rec = data;
  Producer *p = rec->producer;
  g_autoptr(GError) error = NULL;

  if (db_history_storage_record_lsp_json_finish (DB_HISTORY_STORAGE (source), result, &error) > 0)
    {
      p->snapshots++;
      p->diagnostics += g_array_index (p->captures->n_diagnostics, guint, rec->message);
    }
  else
    {
      p->errors++;
      if (p->first_error == NULL)
        p->first_error = g_strdup (error ? error->message : "no snapshot id");
    }
  p->in_flight--;
  g_free (rec);
  producer_issue (p);
}

static gboolean
producer_issue (Producer *p)
{
  guint n_messages = p->captures->messages->len;
  guint64 seq;
  Record *rec;

  if (g_atomic_int_get (p->stop))
    return FALSE;
  seq = __atomic_fetch_add (p->next, 1, __ATOMIC_RELAXED);
  if (p->limit != 0 && seq >= p->limit)
    return FALSE;

  rec = g_new (Record, 1);
  rec->producer = p;
  rec->message = (guint) (seq % n_messages);
  p->in_flight++;
  db_history_storage_record_lsp_json_async (p->storage,
                                            g_ptr_array_index (p->captures->messages, rec->message),
                                            NULL, recorded, rec);
  return TRUE;
}

static gpointer
producer_thread (gpointer data)
{
  Producer *p = data;

  g_main_context_push_thread_default (p->context);
  for (guint i = 0; i < PRODUCER_WINDOW; i++)
    if (!producer_issue (p))
      break;
  while (p->in_flight > 0)
    g_main_context_iteration (p->context, TRUE);
  g_main_context_pop_thread_default (p->context);
  return NULL;
}

static void
start_producers (Producer         *producers,
                 DbHistoryStorage *storage,
                 const BenchCaptures   *captures,
                 guint64          *next,
                 guint64           limit,
                 int              *stop)
{
  for (guint i = 0; i < N_PRODUCERS; i++)
    {
      producers[i] = (Producer) {
        .storage = storage,
        .captures = captures,
        .next = next,
        .limit = limit,
        .stop = stop,
        .context = g_main_context_new (),
      };
    }
  for (guint i = 0; i < N_PRODUCERS; i++)
    producers[i].thread = g_thread_new ("bench-producer", producer_thread, &producers[i]);
}

/* Joins the producers; returns the diagnostics they recorded. */
static guint64
join_producers (Producer  *producers,
                guint64   *snapshots,
                GError   **error)
{
  guint64 diagnostics = 0;
  guint64 errors = 0;
  g_autofree char *first_error = NULL;

  *snapshots = 0;
  for (guint i = 0; i < N_PRODUCERS; i++)
    {
      Producer *p = &producers[i];

      g_thread_join (p->thread);
      g_main_context_unref (p->context);
      diagnostics += p->diagnostics;
      *snapshots += p->snapshots;
      errors += p->errors;
      if (first_error == NULL)
        first_error = g_steal_pointer (&p->first_error);
      g_free (p->first_error);
    }
  if (errors > 0)
    g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_FAILED,
                 "%" G_GUINT64_FORMAT " records failed, the first with: %s",
                 errors, first_error);
  return diagnostics;
}

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  GAsyncResult **out = data;

  *out = g_object_ref (result);
}

static gint64
count_diagnostics (DbHistoryStorage  *storage,
                   GError           **error)
{
  DbPool *pool = db_history_storage_get_pool (storage);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(DbRows) rows = NULL;

  db_pool_query_async (pool, "SELECT count(*) FROM diagnostics", NULL, NULL,
                       store_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  rows = db_pool_query_finish (pool, result, error);
  return rows != NULL ? db_rows_get_int64 (rows, 0, 0) : -1;
}

gboolean
bench_history_run (const char          *data_dir,
                   const char          *work_dir,
                   guint64              target_diagnostics,
                   double               query_seconds,
                   BenchHistoryResult  *out,
                   GError             **error)
{
  g_auto(BenchCaptures) captures = { 0 };
  g_autofree char *path = g_build_filename (work_dir, "history.db", NULL);
  g_autoptr(DbHistoryConfig) config = NULL;
  g_autoptr(DbHistoryStorage) storage = NULL;
  g_autoptr(GArray) latencies = g_array_new (FALSE, FALSE, sizeof (gint64));   /* ns */
  Producer producers[N_PRODUCERS];
  guint64 next = 0;
  guint64 passes, snapshots, recorded_diagnostics;
  int stop = 0;
  gint64 start, elapsed, deadline, cpu_start;
  guint64 rng = 0x2545F4914F6CDD1DULL;

  memset (out, 0, sizeof *out);
  if (!bench_captures_load (&captures, data_dir, error))
    return FALSE;
  out->messages = captures.messages->len;
  out->diagnostics = captures.total;
  out->history_limit = HISTORY_LIMIT;

  /* The limits first, on an idle pool. */
  out->limit_threads = g_get_num_processors ();
  out->parse_rate = bench_parse_limit (&captures, out->limit_threads, query_seconds / 4);
  out->parse_rate_one_thread = bench_parse_limit (&captures, 1, query_seconds / 4);
  out->insert_rate = bench_insert_limit (&captures, work_dir, query_seconds / 4, error);
  if (out->insert_rate < 0)
    return FALSE;
  /* Each diagnostic costs a parse and an insert; on N cores at best
   * N / (1/parse-per-thread + 1/insert) diagnostics/s. */
  out->pipeline_ceiling = out->limit_threads /
                          (1.0 / out->parse_rate_one_thread + 1.0 / out->insert_rate);

  config = db_history_config_new (path);
  /* Cleanup would delete what the query phase needs stored. */
  db_history_config_set_auto_cleanup_interval_s (config, 0);
  storage = db_history_storage_new (config, NULL, error);
  if (storage == NULL)
    return FALSE;

  /* Fill: whole passes over the captures until the target is reached. */
  passes = MAX ((target_diagnostics + captures.total - 1) / captures.total, 1);
  start = bench_now_ns ();
  cpu_start = bench_cpu_ns ();
  start_producers (producers, storage, &captures, &next, passes * captures.messages->len, &stop);
  out->ingest_diagnostics = join_producers (producers, &out->ingest_snapshots, error);
  elapsed = bench_now_ns () - start;
  out->ingest_cores = (bench_cpu_ns () - cpu_start) / (double) elapsed;
  if (error != NULL && *error != NULL)
    return FALSE;
  out->ingest_seconds = elapsed / 1e9;
  out->ingest_rate = out->ingest_diagnostics / out->ingest_seconds;

  {
    gint64 stored = count_diagnostics (storage, error);

    if (stored < 0)
      return FALSE;
    out->stored_diagnostics = (guint64) stored;
  }

  /* Query while ingesting. */
  next = 0;
  start_producers (producers, storage, &captures, &next, 0, &stop);
  start = bench_now_ns ();
  deadline = start + (gint64) (query_seconds * 1e9);
  while (bench_now_ns () < deadline)
    {
      const char *uri = g_ptr_array_index (captures.uris, bench_rand (&rng) % captures.uris->len);
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GListModel) history = NULL;
      gint64 t0 = bench_now_ns ();
      gint64 ns;

      db_history_storage_get_file_history_async (storage, uri, HISTORY_LIMIT, NULL,
                                                 store_result, &result);
      while (result == NULL)
        g_main_context_iteration (NULL, TRUE);
      history = db_history_storage_get_file_history_finish (storage, result, error);
      ns = bench_now_ns () - t0;
      if (history == NULL)
        break;
      if (g_list_model_get_n_items (history) == 0)
        {
          g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_FAILED,
                       "The history of %s came back empty", uri);
          break;
        }
      g_array_append_val (latencies, ns);
    }
  g_atomic_int_set (&stop, 1);
  recorded_diagnostics = join_producers (producers, &snapshots,
                                         error != NULL && *error != NULL ? NULL : error);
  elapsed = bench_now_ns () - start;
  if (error != NULL && *error != NULL)
    return FALSE;

  out->concurrent_ingest_rate = recorded_diagnostics / (elapsed / 1e9);
  out->query_count = latencies->len;
  out->query_p50_ms = bench_percentile (latencies, 50) / 1e6;
  out->query_p99_ms = bench_percentile (latencies, 99) / 1e6;
  out->query_max_ms = bench_percentile (latencies, 100) / 1e6;

  /* Let the storage's last main-context work run before it goes. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  return TRUE;
}
