/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dbpool-bench: the pool against the alternatives it replaces and against SQLite's
 * own limit, in one run, on one machine (issue 6; HistoryStorage numbers of issue 4).
 *
 *   dbpool-bench [--quick] [--json FILE] [--markdown FILE] [--repeat N] [--strict]
 *
 * Every number is the median of --repeat runs, and the runs of one repetition are
 * interleaved (each contender once, then the next repetition), so that a burst of
 * load from elsewhere on the machine hits all contenders alike. The targets are
 * checked on ratios within this one run. Exit status is 0 whatever the targets say,
 * unless --strict is given. */
#include <stdio.h>

#include <glib/gstdio.h>

#include "bench-session.h"

static gboolean opt_quick;
static gboolean opt_strict;
static gboolean opt_keep;
static char *opt_json;
static char *opt_markdown;
static char *opt_dir;
static char *opt_lsp_data;
static char *opt_threads;
static int opt_repeat;
static gint64 opt_ops;
static double opt_max_seconds;
static gint64 opt_history_diagnostics;
static char *opt_sections;
static char *opt_workloads;
static char *opt_contenders;

static const GOptionEntry option_entries[] = {
  { "quick", 'q', 0, G_OPTION_ARG_NONE, &opt_quick,
    "Short version (what `meson test --benchmark` runs)", NULL },
  { "json", 'j', 0, G_OPTION_ARG_FILENAME, &opt_json,
    "Write the full results here (default: dbpool-bench.json)", "FILE" },
  { "markdown", 'm', 0, G_OPTION_ARG_FILENAME, &opt_markdown,
    "Also write the markdown report here", "FILE" },
  { "repeat", 'r', 0, G_OPTION_ARG_INT, &opt_repeat,
    "Repetitions of every measurement; medians are reported (default 3)", "N" },
  { "ops", 0, 0, G_OPTION_ARG_INT64, &opt_ops,
    "Operations per throughput run (default 100000, quick 4000)", "N" },
  { "max-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &opt_max_seconds,
    "Cap on one throughput run (default 1.5, quick 0.15)", "S" },
  { "threads", 't', 0, G_OPTION_ARG_STRING, &opt_threads,
    "Thread counts of the sweep (default 1,2,4,8,16; quick 1,2,8)", "LIST" },
  { "history-diagnostics", 0, 0, G_OPTION_ARG_INT64, &opt_history_diagnostics,
    "Diagnostics stored before the history queries (default 1000000, quick 100000)", "N" },
  { "lsp-data", 0, 0, G_OPTION_ARG_FILENAME, &opt_lsp_data,
    "The LSP captures (default: $DBPOOL_LSP_DATA_DIR, else the source tree's ../shared/data/lsp)", "DIR" },
  { "sections", 0, 0, G_OPTION_ARG_STRING, &opt_sections,
    "Only these sections: sweep,breakdown,original,latency,scaling,history (default: all)", "LIST" },
  { "workloads", 0, 0, G_OPTION_ARG_STRING, &opt_workloads,
    "Only these sweep workloads: read,write,mix,write-full,mix-full "
    "(default: all; quick: all but mix-full)", "LIST" },
  { "contenders", 0, 0, G_OPTION_ARG_STRING, &opt_contenders,
    "Only these contenders: raw,raw-threads,single,open,sync,sync-variant,async,async-limit,"
    "lease,lease-new,held,held-variant; also "
    "single-fifo, which runs only when named (default: all but single-fifo)", "LIST" },
  { "dir", 'd', 0, G_OPTION_ARG_FILENAME, &opt_dir,
    "Where the databases go (default: a new directory under the temporary directory)", "DIR" },
  { "keep", 0, 0, G_OPTION_ARG_NONE, &opt_keep,
    "Keep the databases afterwards", NULL },
  { "strict", 0, 0, G_OPTION_ARG_NONE, &opt_strict,
    "Exit with status 1 if a target is missed", NULL },
  G_OPTION_ENTRY_NULL
};

/* ------------------------------------------------------------------------------- */
/* Sections.                                                                       */

static gboolean
run_sweep (BenchSession  *session,
           GError       **error)
{
  const BenchPlan *plan = &session->plan;
  g_autoptr(GPtrArray) list = g_ptr_array_new ();
  guint64 warmup = MIN (plan->ops / 10, 2000);

  for (guint w = 0; w < bench_n_sweep_workloads; w++)
    {
      DbSynchronous sync = bench_sweep_workloads[w].synchronous;
      guint permille = bench_sweep_workloads[w].write_permille;

      if (!bench_selected (session->workloads, bench_sweep_workloads[w].key))
        continue;
      bench_session_add_case (session, list, "sweep", IMPL_RAW, sync, permille, 1,
                              plan->ops, warmup, plan->max_seconds, FALSE);
      for (guint t = 0; t < plan->n_threads; t++)
        {
          static const BenchImpl impls[] = { IMPL_SINGLE, IMPL_SINGLE_FIFO, IMPL_OPEN_PER_OP,
                                             IMPL_POOL_SYNC };

          for (guint i = 0; i < G_N_ELEMENTS (impls); i++)
            /* Open-per-op warms nothing up. */
            bench_session_add_case (session, list, "sweep", impls[i], sync, permille,
                                    plan->threads[t], plan->ops,
                                    impls[i] == IMPL_OPEN_PER_OP ? warmup / 10 : warmup,
                                    plan->max_seconds, FALSE);
          /* The GVariant idiom beside the fast one. Under FULL both wait for the disk
           * and would only measure it again. */
          if (sync == DB_SYNCHRONOUS_NORMAL)
            bench_session_add_case (session, list, "sweep", IMPL_POOL_SYNC_VARIANT, sync, permille,
                                    plan->threads[t], plan->ops, warmup, plan->max_seconds, FALSE);
        }
      /* SQLite's own ceiling for concurrent reads in one process (writers on several
       * raw connections would only meet in SQLite's busy handler). */
      if (permille == 0)
        for (guint t = 0; t < plan->n_threads; t++)
          if (plan->threads[t] > 1)
            bench_session_add_case (session, list, "sweep", IMPL_RAW_THREADS, sync, permille,
                                    plan->threads[t], plan->ops, warmup, plan->max_seconds, FALSE);
      for (guint k = 0; k < plan->n_in_flight; k++)
        bench_session_add_case (session, list, "sweep", IMPL_POOL_ASYNC, sync, permille,
                                plan->in_flight[k], plan->ops, warmup, plan->max_seconds, FALSE);
    }

  g_printerr ("Throughput sweep: %u cases x %u\n", list->len, plan->repeat);
  return bench_session_run_cases (session, list, plan->repeat, error);
}

/* The original design's rows: a burst of 100 writes, of 50 reads, and of both at once.
 * Each contender first runs one untimed burst (the pool opens the connections the
 * burst needs, the single connection warms its cache), then the measured one: the
 * steady state of a long-running application, where open-per-op still opens a
 * connection for every operation. */
static gboolean
run_original (BenchSession  *session,
              GError       **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new ();

  for (guint i = 0; i < bench_n_original_rows; i++)
    {
      static const BenchImpl impls[] = { IMPL_SINGLE, IMPL_OPEN_PER_OP, IMPL_POOL_SYNC };
      guint ops = bench_original_rows[i].ops;
      guint permille = bench_original_rows[i].write_permille;

      for (guint j = 0; j < G_N_ELEMENTS (impls); j++)
        bench_session_add_case (session, list, "original", impls[j], DB_SYNCHRONOUS_NORMAL,
                                permille, BENCH_ORIGINAL_THREADS, ops, ops, 0, FALSE);
      bench_session_add_case (session, list, "original", IMPL_POOL_ASYNC, DB_SYNCHRONOUS_NORMAL,
                              permille, ops, ops, ops, 0, FALSE);
    }
  g_printerr ("Original design rows: %u cases x %u\n", list->len, session->plan.original_repeat);
  return bench_session_run_cases (session, list, session->plan.original_repeat, error);
}

static gboolean
run_latency (BenchSession  *session,
             GError       **error)
{
  const BenchPlan *plan = &session->plan;
  g_autoptr(GPtrArray) list = g_ptr_array_new ();
  guint64 ops = plan->latency_ops;
  double cap = plan->max_seconds * 2;

  for (guint t = 0; t < plan->n_threads; t++)
    bench_session_add_case (session, list, "latency", IMPL_POOL_SYNC, DB_SYNCHRONOUS_NORMAL, 100,
                            plan->threads[t], ops, ops / 10, cap, TRUE);
  for (guint i = 0; i < 2; i++)
    {
      BenchImpl impl = i == 0 ? IMPL_ASYNC_LIMIT : IMPL_POOL_ASYNC;

      bench_session_add_case (session, list, "latency", impl, DB_SYNCHRONOUS_NORMAL, 0, 1,
                              ops, ops / 10, cap, TRUE);
      bench_session_add_case (session, list, "latency", impl, DB_SYNCHRONOUS_NORMAL, 0, 16,
                              ops, ops / 10, cap, TRUE);
      bench_session_add_case (session, list, "latency", impl, DB_SYNCHRONOUS_NORMAL, 1000, 1,
                              ops / 4, ops / 40, cap, TRUE);
    }
  g_printerr ("Latency: %u cases x %u\n", list->len, plan->repeat);
  return bench_session_run_cases (session, list, plan->repeat, error);
}

/* Where a pooled operation's time goes, on one thread: the limit, the lease alone
 * (release and reacquire on a kept lease object, and acquire and release with a new
 * lease object per operation, no statement), the statement APIs alone (DbStatement and
 * the GVariant one, on a lease held for the whole run), and lease and statement
 * together, as an application runs them (the fast idiom and the GVariant one). */
static gboolean
run_breakdown (BenchSession  *session,
               GError       **error)
{
  const BenchPlan *plan = &session->plan;
  g_autoptr(GPtrArray) list = g_ptr_array_new ();
  guint64 warmup = MIN (plan->ops / 10, 2000);

  for (guint i = 0; i < 2; i++)
    {
      static const BenchImpl impls[] = { IMPL_RAW, IMPL_POOL_LEASE, IMPL_POOL_LEASE_NEW,
                                         IMPL_POOL_HELD, IMPL_POOL_HELD_VARIANT,
                                         IMPL_POOL_SYNC, IMPL_POOL_SYNC_VARIANT };
      guint permille = i == 0 ? 0 : 1000;

      for (guint j = 0; j < G_N_ELEMENTS (impls); j++)
        bench_session_add_case (session, list, "breakdown", impls[j], DB_SYNCHRONOUS_NORMAL,
                                permille, 1, plan->ops, warmup, plan->max_seconds, FALSE);
    }
  g_printerr ("Breakdown: %u cases x %u\n", list->len, plan->repeat);
  return bench_session_run_cases (session, list, plan->repeat, error);
}

/* No warm-up and no cap: how the cost of starting up amortizes over 1 000 to
 * 100 000 operations. */
static gboolean
run_scaling (BenchSession  *session,
             GError       **error)
{
  const BenchPlan *plan = &session->plan;
  g_autoptr(GPtrArray) list = g_ptr_array_new ();

  for (guint i = 0; i < plan->n_scaling_ops; i++)
    {
      static const struct { BenchImpl impl; guint threads; } rows[] = {
        { IMPL_RAW, 1 }, { IMPL_SINGLE, 2 }, { IMPL_POOL_SYNC, 1 }, { IMPL_POOL_SYNC, 2 },
        { IMPL_POOL_ASYNC, 16 },
      };

      for (guint r = 0; r < G_N_ELEMENTS (rows); r++)
        bench_session_add_case (session, list, "scaling", rows[r].impl, DB_SYNCHRONOUS_NORMAL, 0,
                                rows[r].threads, plan->scaling_ops[i], 0, 0, FALSE);
    }
  g_printerr ("Operation-count scaling: %u cases x %u\n", list->len, plan->repeat);
  return bench_session_run_cases (session, list, plan->repeat, error);
}

static gboolean
run_history (BenchSession  *session,
             const char    *work_dir,
             GError       **error)
{
  g_autofree char *lsp_dir = NULL;

  if (!bench_selected (session->sections, "history"))
    {
      session->history_why_not = g_strdup ("not selected");
      return TRUE;
    }

  lsp_dir = g_strdup (opt_lsp_data ? opt_lsp_data
                      : g_getenv ("DBPOOL_LSP_DATA_DIR") ? g_getenv ("DBPOOL_LSP_DATA_DIR")
                      : BENCH_DEFAULT_LSP_DATA_DIR);
  if (!g_file_test (lsp_dir, G_FILE_TEST_IS_DIR))
    {
      session->history_why_not = g_strdup_printf ("no LSP captures at %s (set DBPOOL_LSP_DATA_DIR)",
                                                  lsp_dir);
      return TRUE;
    }

  g_printerr ("HistoryStorage: filling to %" G_GUINT64_FORMAT " diagnostics from %s, then "
              "querying for %.0f s while ingesting\n",
              session->plan.history_diagnostics, lsp_dir, session->plan.history_query_seconds);
  if (!bench_history_run (lsp_dir, work_dir, session->plan.history_diagnostics,
                          session->plan.history_query_seconds, &session->history, error))
    return FALSE;
  session->history_ran = TRUE;
  return TRUE;
}

/* ------------------------------------------------------------------------------- */

static gboolean
parse_threads (const char  *text,
               guint      **out,
               guint       *n_out,
               GError     **error)
{
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);
  guint n = g_strv_length (parts);

  *out = g_new0 (guint, MAX (n, 1));
  *n_out = 0;
  for (guint i = 0; i < n; i++)
    {
      guint64 v;

      if (!g_ascii_string_to_unsigned (g_strstrip (parts[i]), 10, 1, 256, &v, error))
        return FALSE;
      (*out)[(*n_out)++] = (guint) v;
    }
  if (*n_out == 0)
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "empty list");
  return *n_out > 0;
}

static gboolean
make_plan (BenchSession  *session,
           GError       **error)
{
  static guint in_flight[] = { 1, 4, 16, 64 };
  static guint quick_in_flight[] = { 1, 16 };
  BenchPlan *plan = &session->plan;

  plan->repeat = opt_repeat > 0 ? (guint) opt_repeat : 3;
  plan->ops = opt_ops > 0 ? (guint64) opt_ops : opt_quick ? 4000 : 100000;
  plan->max_seconds = opt_max_seconds > 0 ? opt_max_seconds : opt_quick ? 0.15 : 1.5;
  if (!parse_threads (opt_threads ? opt_threads : opt_quick ? "1,2,8" : "1,2,4,8,16",
                      &plan->threads, &plan->n_threads, error))
    return FALSE;
  plan->in_flight = opt_quick ? quick_in_flight : in_flight;
  plan->n_in_flight = opt_quick ? G_N_ELEMENTS (quick_in_flight) : G_N_ELEMENTS (in_flight);
  plan->original_repeat = opt_quick ? 7 : 21;
  plan->latency_ops = opt_quick ? 3000 : 20000;
  plan->history_diagnostics = opt_history_diagnostics > 0 ? (guint64) opt_history_diagnostics
                            : opt_quick ? 100000 : 1000000;
  plan->history_query_seconds = opt_quick ? 2 : 10;
  plan->scaling_ops[0] = 1000;
  plan->scaling_ops[1] = 10000;
  plan->scaling_ops[2] = 100000;
  plan->n_scaling_ops = opt_quick ? 2 : 3;

  session->quick = opt_quick;
  session->sections = g_strdup (opt_sections);
  /* The short version keeps one FULL workload: enough to see what fsync costs. */
  session->workloads = g_strdup (opt_workloads ? opt_workloads
                                 : opt_quick ? "read,write,mix,write-full" : NULL);
  session->contenders = g_strdup (opt_contenders);
  return TRUE;
}

static void
remove_work_dir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (dir);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(GString) md = g_string_new (NULL);
  g_auto(BenchSession) session = { 0 };
  g_autofree char *work_dir = NULL;
  g_autofree char *json = NULL;
  const char *json_path;
  gint64 t_start = bench_now_ns ();
  guint missed;

  bench_session_init (&session);
  session.load_start = bench_load_average ();

  /* Before anything touches SQLite: the pool turns SQLite's global memory statistics
   * off (they take a process-wide mutex on every allocation) as it initializes
   * SQLite. Doing it here makes the setting the same for every contender, whichever
   * happens to initialize SQLite first. */
  sqlite3_config (SQLITE_CONFIG_MEMSTATUS, 0);
  sqlite3_initialize ();

  context = g_option_context_new ("- measure dbpool against its baselines and SQLite's limit");
  g_option_context_add_main_entries (context, option_entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || !make_plan (&session, &error))
    {
      g_printerr ("dbpool-bench: %s\n", error->message);
      return 2;
    }

  if (opt_dir != NULL)
    {
      work_dir = g_strdup (opt_dir);
      g_mkdir_with_parents (work_dir, 0700);
    }
  else if ((work_dir = g_dir_make_tmp ("dbpool-bench-XXXXXX", &error)) == NULL)
    {
      g_printerr ("dbpool-bench: %s\n", error->message);
      return 1;
    }
  session.db_path = g_build_filename (work_dir, "bench.db", NULL);
  g_unlink (session.db_path);

  now = g_date_time_new_now_local ();
  session.date = g_date_time_format_iso8601 (now);
  session.cpu_model = bench_cpu_model ();
  g_printerr ("dbpool-bench%s: %d cores, %s, SQLite %s; databases in %s\n",
              opt_quick ? " --quick" : "", g_get_num_processors (), session.cpu_model,
              sqlite3_libversion (), work_dir);

  if (!bench_create_database (session.db_path, BENCH_N_ITEMS, &error) ||
      (bench_selected (session.sections, "sweep") && !run_sweep (&session, &error)) ||
      (bench_selected (session.sections, "breakdown") && !run_breakdown (&session, &error)) ||
      (bench_selected (session.sections, "original") && !run_original (&session, &error)) ||
      (bench_selected (session.sections, "latency") && !run_latency (&session, &error)) ||
      (bench_selected (session.sections, "scaling") && !run_scaling (&session, &error)) ||
      !run_history (&session, work_dir, &error))
    {
      g_printerr ("dbpool-bench: %s\n", error->message);
      return 1;
    }

  session.load_end = bench_load_average ();
  session.total_seconds = (bench_now_ns () - t_start) / 1e9;
  bench_session_evaluate (&session);
  missed = bench_session_markdown (&session, md);
  fputs (md->str, stdout);
  fflush (stdout);

  json = bench_session_to_json (&session);
  json_path = opt_json ? opt_json : "dbpool-bench.json";
  if (!g_file_set_contents (json_path, json, -1, &error) ||
      (opt_markdown != NULL && !g_file_set_contents (opt_markdown, md->str, -1, &error)))
    {
      g_printerr ("dbpool-bench: %s\n", error->message);
      return 1;
    }
  g_printerr ("Full results: %s\n", json_path);
  if (opt_markdown != NULL)
    g_printerr ("Report: %s\n", opt_markdown);

  if (!opt_keep)
    remove_work_dir (work_dir);

  g_printerr ("%u target%s missed\n", missed, missed == 1 ? "" : "s");
  return opt_strict && missed > 0 ? 1 : 0;
}
