/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dbpool-bench: the pool against SQLite's own limit and the designs it replaces, and
 * each of the library's speed tricks on and off, in one table of ratios taken within
 * one run. The figures belong in docs/benchmarks.md, which says how to read them. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "bench.h"

static gboolean  opt_quick;
static char     *opt_sections;
static double    opt_seconds;
static int       opt_rounds;
static char     *opt_lsp_data;

static const GOptionEntry options[] = {
  { "quick", 0, 0, G_OPTION_ARG_NONE, &opt_quick, "The short version (seconds, not minutes)", NULL },
  { "section", 0, 0, G_OPTION_ARG_STRING, &opt_sections,
    "Only these sections (default: all)", "read,write,async,group,history,tricks" },
  { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &opt_seconds,
    "Measured time per run (default 0.5, quick 0.1; tricks half of it)", "S" },
  { "rounds", 0, 0, G_OPTION_ARG_INT, &opt_rounds,
    "Rounds of each comparison (default 5, quick 2; tricks 4 times as many)", "N" },
  { "lsp-data", 0, 0, G_OPTION_ARG_FILENAME, &opt_lsp_data,
    "The LSP captures, *.jsonl (default: the source tree's tests/data/lsp)", "DIR" },
  G_OPTION_ENTRY_NULL
};

typedef enum { OPS, P50, P99, N_METRICS } Metric;

#define MAX_CASES   64
#define MAX_ROWS    96
#define MAX_ROUNDS  64

/* One measurement, repeated in rounds. */
typedef struct
{
  const char *label;
  BenchSpec   spec;
  double      values[N_METRICS][MAX_ROUNDS];
  guint       n_rounds;
} Case;

/* One line of the table: a number of a case, and the line it is divided by. */
typedef struct
{
  const char *section;
  const char *contender;
  const char *threads;
  Case       *c;
  Metric      metric;
  int         reference;          /* -1: none */
} Row;

typedef struct
{
  Case          cases[MAX_CASES];
  guint         n_cases;
  Row           rows[MAX_ROWS];
  guint         n_rows;
  GStringChunk *strings;          /* of the labels */
  char         *db_path;
  BenchHistory *history;          /* NULL without captures */
  double        seconds;          /* per run */
  guint         rounds;
  double        query_seconds;    /* of file-history queries, per run */
} Bench;

static Case *
add_case (Bench          *b,
          const char     *label,
          BenchContender  who,
          guint           write_permille,
          guint           threads,
          const DbTuning *tuning)
{
  Case *c = &b->cases[b->n_cases++];

  g_assert (b->n_cases <= MAX_CASES);
  c->label = g_string_chunk_insert (b->strings, label);
  c->spec = (BenchSpec) {
    .db_path = b->db_path, .contender = who, .write_permille = write_permille,
    .threads = threads, .max_connections = 16,
    .seconds = who == BENCH_PARSE ? b->query_seconds / 5 : who >= BENCH_PARSE ? b->query_seconds
             : b->seconds,
    .tuning = tuning ? *tuning : bench_default_tuning,
  };
  return c;
}

static int
add_row (Bench      *b,
         const char *section,
         const char *contender,
         const char *threads,
         Case       *c,
         Metric      metric,
         int         reference)
{
  g_assert (b->n_rows < MAX_ROWS);
  b->rows[b->n_rows] = (Row) { section, g_string_chunk_insert_const (b->strings, contender),
                               g_string_chunk_insert_const (b->strings, threads), c, metric,
                               reference };
  return (int) b->n_rows++;
}

static gboolean
run_case (Bench        *b,
          Case         *c,
          BenchResult  *result,
          GError      **error)
{
  result->p50_ns = result->p99_ns = NAN;
  if (c->spec.contender >= BENCH_PARSE)
    return bench_history_run (b->history, &c->spec, result, error);
  if (c->spec.contender == BENCH_ASYNC || c->spec.contender == BENCH_HOP ||
      c->spec.contender == BENCH_GOM)
    return bench_run_async (&c->spec, result, error);
  return bench_run_sync (&c->spec, result, error);
}

/* Runs the cases added since @first @rounds times, each round starting one case
 * further on (with two cases: AB, BA, AB, ...), so that the machine's slow moments
 * land on every contender alike. */
static gboolean
run_cases (Bench    *b,
           guint     first,
           guint     rounds,
           GError  **error)
{
  guint n = b->n_cases - first;

  for (guint r = 0; r < MIN (rounds, MAX_ROUNDS); r++)
    for (guint j = 0; j < n; j++)
      {
        Case *c = &b->cases[first + (j + r) % n];
        BenchResult result;

        if (!run_case (b, c, &result, error))
          return FALSE;
        c->values[OPS][r] = result.ops_per_s;
        c->values[P50][r] = result.p50_ns;
        c->values[P99][r] = result.p99_ns;
        c->n_rounds = r + 1;
        g_printerr ("  [%u/%u] %s: %.0f/s", r + 1, rounds, c->label, result.ops_per_s);
        if (!isnan (result.p50_ns))
          g_printerr (", p50 %.1f us, p99 %.1f us", result.p50_ns / 1e3, result.p99_ns / 1e3);
        g_printerr ("\n");
      }
  return TRUE;
}

/* A section of blocking and async contenders on one workload, a row each. */
typedef struct
{
  const char     *contender;
  BenchContender  who;
  guint           threads;        /* or in flight */
  int             reference;      /* a row of the same section, or -1 */
} RowDef;

#define LIMIT_READ    "limit: raw sqlite3, prepared statement"
#define RAW_THREADS   "raw connection per thread"
#define SINGLE        "before: one connection behind a GMutex"
#define OPEN_PER_OP   "before: open per operation"
#define POOL_SYNC     "dbpool sync: reacquire + DbStatement"
#define POOL_EVERYDAY "dbpool everyday: acquire + query, GVariant in, DbRows out"
#define EXCLUSIVE     ", exclusive mode"

/* Several threads are divided by SQLite's own limit for concurrent reads in one
 * process, a raw connection per thread. */
static const RowDef read_rows[] = {
  { LIMIT_READ, BENCH_RAW, 1, -1 },
  { SINGLE, BENCH_SINGLE, 1, 0 },
  { OPEN_PER_OP, BENCH_OPEN_PER_OP, 1, 0 },
  { POOL_SYNC, BENCH_POOL, 1, 0 },
  { POOL_EVERYDAY, BENCH_POOL_EVERYDAY, 1, 0 },
  { RAW_THREADS, BENCH_RAW, 2, 0 },
  { POOL_SYNC, BENCH_POOL, 2, 5 },
  { SINGLE, BENCH_SINGLE, 2, 5 },
  { RAW_THREADS, BENCH_RAW, 4, 0 },
  { POOL_SYNC, BENCH_POOL, 4, 8 },
  { SINGLE, BENCH_SINGLE, 4, 8 },
  /* Exclusive mode, divided by the limit with the default VFS. */
  { POOL_SYNC EXCLUSIVE, BENCH_POOL_EXCLUSIVE, 1, 0 },
  { POOL_EVERYDAY EXCLUSIVE, BENCH_POOL_EVERYDAY_EXCLUSIVE, 1, 0 },
};

/* Raw connections on several threads would only meet in SQLite's busy handler. */
static const RowDef write_rows[] = {
  { "limit: raw sqlite3, one commit per row", BENCH_RAW, 1, -1 },
  { SINGLE, BENCH_SINGLE, 4, 0 },
  { OPEN_PER_OP, BENCH_OPEN_PER_OP, 1, 0 },
  { POOL_SYNC, BENCH_POOL, 1, 0 },
  { POOL_SYNC, BENCH_POOL, 2, 0 },
  { POOL_SYNC, BENCH_POOL, 4, 0 },
  { "dbpool everyday: acquire + execute, GVariant in", BENCH_POOL_EVERYDAY, 1, 0 },
  { "dbpool execute_async", BENCH_ASYNC, 16, 0 },
};

/* With gom (built only when found), query_async with 16 in flight is divided by gom's
 * adapter doing the same reads: issue 13's target is 2×. */
static const RowDef async_rows[] = {
  { "floor: GThreadPool job + GTask, raw read", BENCH_HOP, 1, -1 },
  { "dbpool query_async", BENCH_ASYNC, 1, 0 },
  { "floor: GThreadPool job + GTask, raw read", BENCH_HOP, 16, -1 },
  { "dbpool query_async", BENCH_ASYNC, 16, 2 },
#ifdef BENCH_HAVE_GOM
  { "gom 0.4 GomAdapter, raw read on its thread", BENCH_GOM, 16, -1 },
  { "dbpool query_async", BENCH_ASYNC, 16, 4 },
#endif
};

static gboolean
run_section (Bench         *b,
             const char    *section,
             guint          write_permille,
             const RowDef  *defs,
             guint          n,
             GError       **error)
{
  guint first_case = b->n_cases;
  int row_of[16];   /* of each def */

  g_assert (n <= G_N_ELEMENTS (row_of));
  for (guint i = 0; i < n; i++)
    {
      gboolean async = defs[i].who == BENCH_ASYNC || defs[i].who == BENCH_HOP ||
                       defs[i].who == BENCH_GOM;
      int ref = defs[i].reference < 0 ? -1 : row_of[defs[i].reference];
      g_autofree char *threads = g_strdup_printf ("%u%s", defs[i].threads, async ? " in flight" : "");
      g_autofree char *label = g_strdup_printf ("%s, %s, %s", section, defs[i].contender, threads);
      Case *c = add_case (b, label, defs[i].who, write_permille, defs[i].threads, NULL);

      row_of[i] = add_row (b, section, defs[i].contender, threads, c, OPS, ref);
      /* The round trip, call to callback, with one in flight: the hops' wake-ups. Its
       * p50 and p99 rows follow the throughput row, divided by the reference's. */
      if (async && defs[i].threads == 1 && write_permille == 0)
        for (Metric m = P50; m <= P99; m++)
          {
            g_autofree char *what = g_strdup_printf ("%s, round trip %s", defs[i].contender,
                                                     m == P50 ? "p50" : "p99");

            add_row (b, section, what, threads, c, m, ref < 0 ? -1 : ref + (int) m);
          }
    }
  return run_cases (b, first_case, b->rounds, error);
}

/* One pass each: the fill alone takes many seconds, and the queries are thousands. */
static gboolean
section_history (Bench   *b,
                 GError **error)
{
  const char *s = "HistoryStorage";
  guint first = b->n_cases;
  Case *idle, *busy;
  int parse, fill, p50, p99;

  parse = add_row (b, s, "limit: json-glib parsing alone", "4 threads",
                   add_case (b, "parse limit", BENCH_PARSE, 0, 0, NULL), OPS, -1);
  fill = add_row (b, s, "ingestion into an empty database", "4 producers",
                  add_case (b, "ingestion", BENCH_FILL, 0, 0, NULL), OPS, parse);
  if (!run_cases (b, first, 1, error))
    return FALSE;

  first = b->n_cases;
  idle = add_case (b, "file history, alone", BENCH_QUERY, 0, 0, NULL);
  busy = add_case (b, "file history, ingesting", BENCH_QUERY_INGESTING, 0, 0, NULL);
  p50 = add_row (b, s, "file-history query p50, nothing else running", "1", idle, P50, -1);
  p99 = add_row (b, s, "file-history query p99, nothing else running", "1", idle, P99, -1);
  add_row (b, s, "file-history query p50 while ingesting", "1 + 4 producers", busy, P50, p50);
  add_row (b, s, "file-history query p99 while ingesting", "1 + 4 producers", busy, P99, p99);
  add_row (b, s, "ingestion while queried", "4 producers", busy, OPS, fill);
  return run_cases (b, first, 1, error);
}

/* Each trick where it is meant to matter, with dbpool sync (DbStatement, reacquire),
 * or query_async for the async one. */
typedef struct
{
  const char *name;
  gsize       field;              /* in DbTuning */
  guint       write_permille;
  guint       threads;
  guint       max_connections;
  const char *workload;
} TrickDef;

static const TrickDef tricks[] = {
  { "handoff spin", offsetof (DbTuning, handoff_spin), 1000, 2, 16, "single-row inserts" },
  { "handoff spin", offsetof (DbTuning, handoff_spin), 1000, 4, 16, "single-row inserts" },
  { "handoff spin", offsetof (DbTuning, handoff_spin), 0, 4, 2, "point reads, 2 connections" },
  { "handoff spin", offsetof (DbTuning, handoff_spin), 100, 8, 4, "90/10 reads/inserts, 4 connections" },
  { "thread affinity", offsetof (DbTuning, thread_affinity), 0, 2, 16, "point reads" },
  { "statement memo", offsetof (DbTuning, statement_memo), 0, 1, 16, "point reads" },
  { "spare statement", offsetof (DbTuning, spare_statement), 0, 1, 16, "point reads" },
  { "parser renice", offsetof (DbTuning, parser_renice), 0, 1, 16, "file-history query p99 while ingesting" },
  { "gathered completions", offsetof (DbTuning, gathered_completions), 0, 16, 16,
    "query_async point reads, 16 in flight" },
  { "statement runner", offsetof (DbTuning, statement_runner), 0, 16, 16,
    "query_async point reads, 16 in flight" },
};

/* The trick on and off (everything else as shipped), in alternating order; the "on"
 * row is divided by the "off" one below it. */
static gboolean
run_trick (Bench           *b,
           const TrickDef  *t,
           GError         **error)
{
  gboolean history = t->field == offsetof (DbTuning, parser_renice);
  gboolean async = t->field == offsetof (DbTuning, gathered_completions) ||
                   t->field == offsetof (DbTuning, statement_runner);
  BenchContender who = history ? BENCH_QUERY_INGESTING : async ? BENCH_ASYNC : BENCH_POOL;
  guint first = b->n_cases;
  g_autofree char *threads = history ? g_strdup ("1 + 4 producers")
                             : g_strdup_printf ("%u%s", t->threads, async ? " in flight" : "");
  g_autofree char *on = g_strdup_printf ("%s on: %s", t->name, t->workload);
  g_autofree char *off = g_strdup_printf ("%s off: %s", t->name, t->workload);
  DbTuning off_tuning = bench_default_tuning;
  Case *on_case, *off_case;

  G_STRUCT_MEMBER (gboolean, &off_tuning, t->field) = FALSE;
  on_case = add_case (b, on, who, t->write_permille, t->threads, NULL);
  off_case = add_case (b, off, who, t->write_permille, t->threads, &off_tuning);
  on_case->spec.max_connections = off_case->spec.max_connections = t->max_connections;
  /* Many short runs: a trick is worth less than this machine's swings from one
   * second to the next, so each pair is measured close together. */
  on_case->spec.seconds = off_case->spec.seconds = history ? b->query_seconds / 10 : b->seconds / 2;

  add_row (b, "tricks", on, threads, on_case, history ? P99 : OPS, (int) b->n_rows + 1);
  add_row (b, "tricks", off, threads, off_case, history ? P99 : OPS, -1);
  if (history)
    {
      /* What the producers recorded meanwhile: a lower priority could cost ingestion. */
      add_row (b, "tricks", "parser renice on: ingestion while queried", "4 producers",
               on_case, OPS, (int) b->n_rows + 1);
      add_row (b, "tricks", "parser renice off: ingestion while queried", "4 producers",
               off_case, OPS, -1);
    }
  return run_cases (b, first, 4 * b->rounds, error);
}

static char *
format_value (const Row *r,
              double     v)
{
  const char *unit = r->c->spec.contender < BENCH_PARSE ? "ops/s" : "diag./s";

  if (isnan (v))
    return g_strdup ("–");
  if (r->metric != OPS)
    return v >= 1e6 ? g_strdup_printf ("%.2f ms", v / 1e6) : g_strdup_printf ("%.1f µs", v / 1e3);
  return v >= 10000 ? g_strdup_printf ("%.0f k %s", v / 1000, unit)
                    : g_strdup_printf ("%.2f k %s", v / 1000, unit);
}

/* The median of each round's ratio (a pair measured seconds apart): steadier on a
 * noisy machine than the ratio of two medians. */
static double
paired_ratio (const Row *r,
              const Row *ref)
{
  double ratios[MAX_ROUNDS];
  guint n = MIN (r->c->n_rounds, ref->c->n_rounds);

  for (guint i = 0; i < n; i++)
    ratios[i] = r->c->values[r->metric][i] / ref->c->values[ref->metric][i];
  return bench_median (ratios, n);
}

static void
print_table (Bench   *b,
             GString *out)
{
  g_string_append (out, "| section | contender | threads | result | ratio | ÷ |\n"
                        "|---|---|---:|---:|---:|---|\n");
  for (guint i = 0; i < b->n_rows; i++)
    {
      const Row *r = &b->rows[i];
      const Row *ref = r->reference >= 0 ? &b->rows[r->reference] : NULL;
      g_autofree char *value = format_value (r, bench_median (r->c->values[r->metric], r->c->n_rounds));
      g_autofree char *ratio = ref ? g_strdup_printf ("%.2f×", paired_ratio (r, ref)) : g_strdup ("");
      g_autofree char *divisor = ref ? g_strdup_printf ("%s (%s)", ref->contender, ref->threads)
                                     : g_strdup ("");

      g_string_append_printf (out, "| %s | %s | %s | %s | %s | %s |\n", r->section,
                              r->contender, r->threads, value, ratio, divisor);
    }
}

static gboolean
selected (const char *name)
{
  g_auto(GStrv) parts = opt_sections ? g_strsplit (opt_sections, ",", -1) : NULL;

  return parts == NULL || g_strv_contains ((const char *const *) parts, name);
}

/* The 1-minute load average: how busy the machine was besides this run. */
static char *
load_average (void)
{
  g_autofree char *text = NULL;

  if (!g_file_get_contents ("/proc/loadavg", &text, NULL, NULL))
    return g_strdup ("unknown");
  return g_strndup (text, strcspn (text, " "));
}

static void
remove_dir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
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
  g_autoptr(GOptionContext) context = g_option_context_new ("- dbpool against SQLite's limit and its baselines");
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *work_dir = NULL, *history_path = NULL, *cpu = bench_cpu_model ();
  g_autofree char *load_start = load_average (), *load_end = NULL;
  g_autofree Bench *b = g_new0 (Bench, 1);
  gint64 start = bench_now_ns ();
  g_autoptr(GString) group = g_string_new (NULL);
  gboolean ok;

  /* Before anything touches SQLite, for every contender alike: the pool turns SQLite's
   * global memory statistics off (they take a process-wide mutex on every allocation)
   * when it initializes SQLite, and whoever initializes it first would decide. */
  sqlite3_config (SQLITE_CONFIG_MEMSTATUS, 0);
  sqlite3_initialize ();

  g_option_context_add_main_entries (context, options, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) ||
      (work_dir = g_dir_make_tmp ("dbpool-bench-XXXXXX", &error)) == NULL)
    {
      g_printerr ("dbpool-bench: %s\n", error->message);
      return 2;
    }
  b->seconds = opt_seconds > 0 ? opt_seconds : opt_quick ? 0.1 : 0.5;
  /* Tricks run 4 times as many rounds, at most MAX_ROUNDS. */
  b->rounds = opt_rounds > 0 ? (guint) CLAMP (opt_rounds, 1, MAX_ROUNDS / 4) : opt_quick ? 2 : 5;
  b->query_seconds = opt_quick ? 1 : 10;
  bench_default_tuning = _db_tuning;
  b->strings = g_string_chunk_new (4096);
  b->db_path = g_build_filename (work_dir, "bench.db", NULL);
  history_path = g_build_filename (work_dir, "history.db", NULL);
  if ((selected ("history") || selected ("tricks")) &&
      (b->history = bench_history_new (opt_lsp_data ? opt_lsp_data : BENCH_LSP_DATA_DIR,
                                      history_path, opt_quick ? 50000 : 1000000, &error)) == NULL)
    {
      g_printerr ("dbpool-bench: no HistoryStorage measurements: %s\n", error->message);
      g_clear_error (&error);
    }
  g_printerr ("dbpool-bench%s: %u cores, %s, SQLite %s; in %s\n", opt_quick ? " --quick" : "",
              g_get_num_processors (), cpu, sqlite3_libversion (), work_dir);

  ok = bench_create_database (b->db_path, &error) &&
       (!selected ("read") || run_section (b, "point reads", 0, read_rows,
                                           G_N_ELEMENTS (read_rows), &error)) &&
       (!selected ("write") || run_section (b, "single-row inserts", 1000, write_rows,
                                            G_N_ELEMENTS (write_rows), &error)) &&
       (!selected ("async") || run_section (b, "async point reads", 0, async_rows,
                                            G_N_ELEMENTS (async_rows), &error)) &&
       (!selected ("group") || bench_group_section (b->db_path, b->seconds, b->rounds, group,
                                                    &error)) &&
       (!selected ("history") || b->history == NULL || section_history (b, &error));
  for (guint i = 0; ok && selected ("tricks") && i < G_N_ELEMENTS (tricks); i++)
    if (b->history != NULL || tricks[i].field != offsetof (DbTuning, parser_renice))
      ok = run_trick (b, &tricks[i], &error);

  load_end = load_average ();
  if (ok)
    {
      g_string_append_printf (out, "%u cores (%s), SQLite %s, GLib %u.%u.%u; %g s per run, median "
                              "of %u rounds (tricks: %u of %g s); ratio: median of each round's "
                              "ratio; %.0f s in all, load average %s before, %s after.\n\n",
                              g_get_num_processors (), cpu, sqlite3_libversion (),
                              glib_major_version, glib_minor_version, glib_micro_version,
                              b->seconds, b->rounds, 4 * b->rounds, b->seconds / 2,
                              (bench_now_ns () - start) / 1e9, load_start, load_end);
      print_table (b, out);
      g_string_append (out, group->str);
      fputs (out->str, stdout);
    }
  else
    g_printerr ("dbpool-bench: %s\n", error->message);

  g_clear_pointer (&b->history, bench_history_free);
  g_string_chunk_free (b->strings);
  g_free (b->db_path);
  remove_dir (work_dir);
  return ok ? 0 : 1;
}
