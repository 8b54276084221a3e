/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* HistoryStorage recording the real LSP captures (tests/data/lsp/ *.jsonl, one
 * publishDiagnostics notification a line), replayed over and over by 4 producer
 * threads, each with its own main context and a few messages in flight, as several
 * language servers would publish. The file-history queries come from this thread,
 * one after the other, each timed from call to callback. */
#include <json-glib/json-glib.h>

#include "bench.h"

#define N_PRODUCERS      4
#define PRODUCER_WINDOW  8    /* messages in flight per producer */
#define HISTORY_LIMIT    50   /* snapshots per file-history query */

struct _BenchHistory
{
  GPtrArray *messages;        /* char *, one notification each */
  GPtrArray *uris;            /* char *, the file of each */
  GArray    *n_diagnostics;   /* guint, in each */
  guint      total;           /* diagnostics in all of them */
  char      *db_path;
  guint64    target;          /* diagnostics stored by the fill */
  gboolean   filled;
};

typedef struct
{
  BenchHistory     *history;
  DbHistoryStorage *storage;     /* NULL: parse only, store nothing (the limit) */
  GThread          *thread;
  GMainContext     *context;
  guint64          *next;        /* __atomic: messages handed out, by all producers */
  guint64           limit;       /* 0: until *stop */
  int              *stop;        /* atomic */
  guint             in_flight;
  guint64           diagnostics;
  GError           *error;       /* the first failure, which stops this producer */
} Producer;

typedef struct
{
  Producer *producer;
  guint     message;
} Record;

static void produce (Producer *p);

static void
recorded (GObject      *source,
          GAsyncResult *result,
          gpointer      data)
{
  Record *rec = data;
  Producer *p = rec->producer;
  g_autoptr(GError) error = NULL;

  if (db_history_storage_record_lsp_json_finish (DB_HISTORY_STORAGE (source), result, &error) > 0)
    p->diagnostics += g_array_index (p->history->n_diagnostics, guint, rec->message);
  else if (!bench_check (FALSE, &error))
    bench_keep_first_error (&p->error, &error);
  p->in_flight--;
  g_free (rec);
  produce (p);
}

/* The next message, or -1 when done. */
static gint64
next_message (Producer *p)
{
  guint64 seq;

  if (g_atomic_int_get (p->stop) || p->error != NULL)
    return -1;
  seq = __atomic_fetch_add (p->next, 1, __ATOMIC_RELAXED);
  return p->limit != 0 && seq >= p->limit ? -1 : (gint64) (seq % p->history->messages->len);
}

static void
produce (Producer *p)
{
  gint64 m = next_message (p);
  Record *rec;

  if (m < 0)
    return;
  rec = g_new (Record, 1);
  rec->producer = p;
  rec->message = (guint) m;
  p->in_flight++;
  db_history_storage_record_lsp_json_async (p->storage, g_ptr_array_index (p->history->messages, m),
                                            NULL, recorded, rec);
}

static gpointer
producer_thread (gpointer data)
{
  Producer *p = data;
  gint64 m;

  /* The limit: what every record costs before storage, json-glib building the tree of
   * a notification (reading its fields is cheap next to that). */
  while (p->storage == NULL && (m = next_message (p)) >= 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (json_parser_load_from_data (parser, g_ptr_array_index (p->history->messages, m), -1, &p->error))
        p->diagnostics += g_array_index (p->history->n_diagnostics, guint, m);
    }
  g_main_context_push_thread_default (p->context);
  for (guint i = 0; p->storage != NULL && i < PRODUCER_WINDOW; i++)
    produce (p);
  while (p->in_flight > 0)
    g_main_context_iteration (p->context, TRUE);
  g_main_context_pop_thread_default (p->context);
  return NULL;
}

BenchHistory *
bench_history_new (const char  *lsp_dir,
                   const char  *db_path,
                   guint64      target,
                   GError     **error)
{
  g_autoptr(BenchHistory) h = g_new0 (BenchHistory, 1);
  g_autoptr(GDir) dir = g_dir_open (lsp_dir, 0, error);
  const char *name;

  h->messages = g_ptr_array_new_with_free_func (g_free);
  h->uris = g_ptr_array_new_with_free_func (g_free);
  h->n_diagnostics = g_array_new (FALSE, FALSE, sizeof (guint));
  h->db_path = g_strdup (db_path);
  h->target = target;
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (lsp_dir, name, NULL);
      g_autofree char *contents = NULL;
      g_auto(GStrv) lines = NULL;

      if (!g_str_has_suffix (name, ".jsonl"))
        continue;
      if (!g_file_get_contents (path, &contents, NULL, error))
        return NULL;
      lines = g_strsplit (contents, "\n", -1);
      for (guint i = 0; lines[i] != NULL; i++)
        {
          g_autoptr(JsonParser) parser = json_parser_new ();
          JsonObject *params;
          guint n;

          if (lines[i][0] == '\0')
            continue;
          if (!json_parser_load_from_data (parser, lines[i], -1, error))
            return NULL;
          params = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)),
                                                  "params");
          n = json_array_get_length (json_object_get_array_member (params, "diagnostics"));
          g_ptr_array_add (h->messages, g_strdup (lines[i]));
          g_ptr_array_add (h->uris, g_strdup (json_object_get_string_member (params, "uri")));
          g_array_append_val (h->n_diagnostics, n);
          h->total += n;
        }
    }
  if (dir != NULL && h->total == 0)
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "No LSP diagnostics in %s", lsp_dir);
  return h->total > 0 ? g_steal_pointer (&h) : NULL;
}

void
bench_history_free (BenchHistory *h)
{
  g_ptr_array_unref (h->messages);
  g_ptr_array_unref (h->uris);
  g_array_unref (h->n_diagnostics);
  g_free (h->db_path);
  g_free (h);
}

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

/* File-history queries one after the other until @deadline_ns, each timed. */
static gboolean
query (BenchHistory      *history,
       DbHistoryStorage  *storage,
       gint64             deadline_ns,
       GArray            *latency_ns,
       GError           **error)
{
  guint64 rng = g_random_int () | 1;

  while (bench_now_ns () < deadline_ns)
    {
      const char *uri = g_ptr_array_index (history->uris, bench_rand (&rng) % history->uris->len);
      g_autoptr(GAsyncResult) res = NULL;
      g_autoptr(GListModel) snapshots = NULL;
      gint64 t0 = bench_now_ns ();
      double ns;

      db_history_storage_get_file_history_async (storage, uri, HISTORY_LIMIT, NULL,
                                                 store_result, &res);
      while (res == NULL)
        g_main_context_iteration (NULL, TRUE);
      snapshots = db_history_storage_get_file_history_finish (storage, res, error);
      ns = (double) (bench_now_ns () - t0);
      if (!bench_check (snapshots != NULL && g_list_model_get_n_items (snapshots) > 0, error))
        return FALSE;
      g_array_append_val (latency_ns, ns);
    }
  return TRUE;
}

gboolean
bench_history_run (BenchHistory     *history,
                   const BenchSpec  *spec,
                   BenchResult      *result,
                   GError          **error)
{
  g_autoptr(DbHistoryConfig) config = db_history_config_new (history->db_path);
  g_autoptr(GArray) latency_ns = g_array_new (FALSE, FALSE, sizeof (double));
  BenchContender who = spec->contender;
  DbHistoryStorage *storage = NULL;
  Producer producers[N_PRODUCERS];
  guint64 next = 0, passes = MAX ((history->target + history->total - 1) / history->total, 1);
  int stop = 0;
  double diagnostics = 0;
  gint64 start;
  gboolean ok = TRUE;

  /* The queries need something to read: the fill comes first, with the library's
   * defaults, into this run's empty database, once. */
  if (who != BENCH_PARSE && who != BENCH_FILL && !history->filled)
    {
      BenchSpec fill = { .contender = BENCH_FILL };

      if (!bench_history_run (history, &fill, result, error))
        return FALSE;
    }
  /* The queries read what cleanup would delete. */
  db_history_config_set_auto_cleanup_interval_s (config, 0);
  bench_tuning_apply (who == BENCH_FILL ? NULL : &spec->tuning);
  if (who != BENCH_PARSE)
    ok = (storage = db_history_storage_new (config, NULL, error)) != NULL;
  start = bench_now_ns ();
  for (guint i = 0; ok && who != BENCH_QUERY && i < N_PRODUCERS; i++)
    {
      producers[i] = (Producer) { .history = history, .storage = storage, .next = &next,
                                  .limit = who == BENCH_FILL ? passes * history->messages->len : 0,
                                  .stop = &stop, .context = g_main_context_new () };
      producers[i].thread = g_thread_new ("bench-producer", producer_thread, &producers[i]);
    }
  if (ok && who == BENCH_PARSE)
    g_usleep ((gulong) (spec->seconds * G_USEC_PER_SEC));
  else if (ok && who != BENCH_FILL)
    ok = query (history, storage, start + (gint64) (spec->seconds * 1e9), latency_ns, error);
  /* The fill's producers stop at their limit. */
  g_atomic_int_set (&stop, who != BENCH_FILL);
  for (guint i = 0; (storage != NULL || who == BENCH_PARSE) && who != BENCH_QUERY && i < N_PRODUCERS; i++)
    {
      g_thread_join (producers[i].thread);
      g_main_context_unref (producers[i].context);
      diagnostics += producers[i].diagnostics;
      ok = bench_keep_first_error (ok ? error : NULL, &producers[i].error) && ok;
    }
  result->ops_per_s = (who == BENCH_QUERY ? latency_ns->len : diagnostics) /
                      ((bench_now_ns () - start) / 1e9);
  result->p50_ns = bench_percentile (latency_ns, 50);
  result->p99_ns = bench_percentile (latency_ns, 99);
  history->filled |= who == BENCH_FILL && ok;

  g_clear_object (&storage);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  bench_tuning_apply (NULL);
  return ok;
}
