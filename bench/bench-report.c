/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The targets of issue 6 (and issue 4's HistoryStorage numbers), checked on ratios
 * within one session, and the markdown report. */
#include <math.h>
#include <string.h>

#include "bench-session.h"

G_GNUC_PRINTF (6, 7)
static void
add_target (BenchSession *session,
            const char   *name,
            double        value,
            double        threshold,
            gboolean      at_most,
            const char   *measured_format,
            ...)
{
  BenchTarget *t = g_new0 (BenchTarget, 1);
  va_list args;

  t->name = g_strdup (name);
  t->value = value;
  t->threshold = threshold;
  t->at_most = at_most;
  t->evaluated = !isnan (value) && !isinf (value);
  t->pass = t->evaluated && (at_most ? value <= threshold : value >= threshold);
  if (t->evaluated)
    {
      va_start (args, measured_format);
      t->measured = g_strdup_vprintf (measured_format, args);
      va_end (args);
    }
  else
    t->measured = g_strdup ("not measured in this run");
  g_ptr_array_add (session->targets, t);
}

/* ------------------------------------------------------------------------------- */
/* Formatting.                                                                     */

static char *
format_rate (double ops_per_s)
{
  if (isnan (ops_per_s))
    return g_strdup ("–");
  if (ops_per_s >= 10000)
    return g_strdup_printf ("%.0f k", ops_per_s / 1000);
  if (ops_per_s >= 1000)
    return g_strdup_printf ("%.1f k", ops_per_s / 1000);
  return g_strdup_printf ("%.0f", ops_per_s);
}

static char *
format_ratio (double ratio)
{
  if (isnan (ratio) || isinf (ratio))
    return g_strdup ("–");
  return g_strdup_printf ("%.2f×", ratio);
}

static char *
format_us (double ns)
{
  if (isnan (ns))
    return g_strdup ("–");
  if (ns >= 1e6)
    return g_strdup_printf ("%.2f ms", ns / 1e6);
  return g_strdup_printf ("%.1f µs", ns / 1e3);
}

/* ------------------------------------------------------------------------------- */
/* Reporting.                                                                      */

static void
report_sweep (BenchSession *session,
             GString      *md)
{
  g_string_append_printf (md, "### Throughput (operations/s, median of %u)\n\n", session->plan.repeat);
  g_string_append_printf (md, "Threads for the blocking contenders; operations in flight for dbpool async. "
             "The limit is one thread by definition.\n\n");

  for (guint w = 0; w < bench_n_sweep_workloads; w++)
    {
      DbSynchronous sync = bench_sweep_workloads[w].synchronous;
      guint permille = bench_sweep_workloads[w].write_permille;
      static const BenchImpl rows[] = { IMPL_RAW, IMPL_RAW_THREADS, IMPL_SINGLE, IMPL_SINGLE_FIFO,
                                        IMPL_OPEN_PER_OP, IMPL_POOL_SYNC, IMPL_POOL_SYNC_VARIANT };
      gboolean variant_measured = FALSE;
      double raw = bench_session_rate (session, "sweep", IMPL_RAW, sync, permille, 1);

      if (!bench_selected (session->workloads, bench_sweep_workloads[w].key))
        continue;

      g_string_append_printf (md, "**%s, synchronous=%s**\n\n| contender |", bench_workload_name (permille),
                 bench_synchronous_name (sync));
      for (guint t = 0; t < session->plan.n_threads; t++)
        g_string_append_printf (md, " %u |", session->plan.threads[t]);
      g_string_append_printf (md, "\n|---|");
      for (guint t = 0; t < session->plan.n_threads; t++)
        g_string_append_printf (md, "---:|");
      g_string_append_printf (md, "\n");

      for (guint r = 0; r < G_N_ELEMENTS (rows); r++)
        {
          gboolean measured = FALSE;

          for (guint t = 0; t < session->plan.n_threads; t++)
            if (bench_session_find_case (session, "sweep", rows[r], sync, permille,
                                         session->plan.threads[t]) != NULL)
              measured = TRUE;
          if (!measured && rows[r] != IMPL_RAW)
            continue;
          if (rows[r] == IMPL_POOL_SYNC_VARIANT)
            variant_measured = TRUE;
          g_string_append_printf (md, "| %s |", bench_impl_name (rows[r]));
          for (guint t = 0; t < session->plan.n_threads; t++)
            {
              g_autofree char *s = NULL;

              if (rows[r] == IMPL_RAW && t > 0)
                {
                  g_string_append_printf (md, " |");
                  continue;
                }
              s = format_rate (bench_session_rate (session, "sweep", rows[r], sync, permille, session->plan.threads[t]));
              g_string_append_printf (md, " %s |", s);
            }
          g_string_append_printf (md, "\n");
        }

      g_string_append_printf (md, "| dbpool sync ÷ limit |");
      for (guint t = 0; t < session->plan.n_threads; t++)
        {
          g_autofree char *s = format_ratio (bench_session_rate (session, "sweep", IMPL_POOL_SYNC, sync, permille,
                                                        session->plan.threads[t]) / raw);
          g_string_append_printf (md, " %s |", s);
        }
      g_string_append_printf (md, "\n");
      if (variant_measured)
        {
          g_string_append_printf (md, "| dbpool sync, GVariant API ÷ limit |");
          for (guint t = 0; t < session->plan.n_threads; t++)
            {
              g_autofree char *s = format_ratio (bench_session_rate (session, "sweep", IMPL_POOL_SYNC_VARIANT, sync,
                                                                     permille, session->plan.threads[t]) / raw);
              g_string_append_printf (md, " %s |", s);
            }
          g_string_append_printf (md, "\n");
        }
      if (permille == 0)
        {
          g_string_append_printf (md, "| raw connection per thread ÷ limit |");
          for (guint t = 0; t < session->plan.n_threads; t++)
            {
              g_autofree char *s = format_ratio (bench_session_rate (session, "sweep", IMPL_RAW_THREADS, sync, permille,
                                                                     session->plan.threads[t]) / raw);
              g_string_append_printf (md, " %s |", s);
            }
          g_string_append_printf (md, "\n");
        }
      g_string_append_printf (md, "| cores used by dbpool sync |");
      for (guint t = 0; t < session->plan.n_threads; t++)
        {
          BenchCase *c = bench_session_find_case (session, "sweep", IMPL_POOL_SYNC, sync, permille, session->plan.threads[t]);

          g_string_append_printf (md, " %.2f |", c != NULL ? bench_median_of (c->cores_used) : NAN);
        }
      g_string_append_printf (md, "\n| dbpool sync ÷ single |");
      for (guint t = 0; t < session->plan.n_threads; t++)
        {
          g_autofree char *s = format_ratio (bench_session_rate (session, "sweep", IMPL_POOL_SYNC, sync, permille, session->plan.threads[t]) /
                                             bench_session_rate (session, "sweep", IMPL_SINGLE, sync, permille, session->plan.threads[t]));
          g_string_append_printf (md, " %s |", s);
        }
      g_string_append_printf (md, "\n\n");

      g_string_append_printf (md, "| dbpool async, in flight |");
      for (guint k = 0; k < session->plan.n_in_flight; k++)
        g_string_append_printf (md, " %u |", session->plan.in_flight[k]);
      g_string_append_printf (md, "\n|---|");
      for (guint k = 0; k < session->plan.n_in_flight; k++)
        g_string_append_printf (md, "---:|");
      g_string_append_printf (md, "\n| operations/s |");
      for (guint k = 0; k < session->plan.n_in_flight; k++)
        {
          g_autofree char *s = format_rate (bench_session_rate (session, "sweep", IMPL_POOL_ASYNC, sync, permille,
                                                       session->plan.in_flight[k]));
          g_string_append_printf (md, " %s |", s);
        }
      g_string_append_printf (md, "\n| ÷ limit |");
      for (guint k = 0; k < session->plan.n_in_flight; k++)
        {
          g_autofree char *s = format_ratio (bench_session_rate (session, "sweep", IMPL_POOL_ASYNC, sync, permille,
                                                        session->plan.in_flight[k]) / raw);
          g_string_append_printf (md, " %s |", s);
        }
      g_string_append_printf (md, "\n\n");
    }
}

static void
report_breakdown (BenchSession *session,
                  GString      *md)
{
  static const BenchImpl rows[] = { IMPL_RAW, IMPL_POOL_LEASE, IMPL_POOL_LEASE_NEW, IMPL_POOL_HELD,
                                    IMPL_POOL_HELD_VARIANT, IMPL_POOL_SYNC, IMPL_POOL_SYNC_VARIANT };

  g_string_append_printf (md, "### Where a pooled operation's time goes (1 thread, synchronous=NORMAL, "
                          "median of %u)\n\n", session->plan.repeat);
  g_string_append_printf (md, "The lease alone (no statement): released and reacquired on a lease object the "
                          "thread keeps, or acquired and released with a new lease object per operation. "
                          "The statement alone, on a lease held for the whole run: `DbStatement` (typed "
                          "binds, the row read in place) or the GVariant API (a tuple in, `DbRows` out). "
                          "Then both, as an application runs them: dbpool sync (kept lease object, "
                          "`DbStatement`) and its GVariant-API form (new lease object, tuple, `DbRows`).\n\n");
  g_string_append_printf (md, "| contender | point reads/s | µs per read | single-row inserts/s | "
                          "µs per insert |\n|---|---:|---:|---:|---:|\n");
  for (guint r = 0; r < G_N_ELEMENTS (rows); r++)
    {
      double reads = bench_session_rate (session, "breakdown", rows[r], DB_SYNCHRONOUS_NORMAL, 0, 1);
      double writes = bench_session_rate (session, "breakdown", rows[r], DB_SYNCHRONOUS_NORMAL, 1000, 1);
      g_autofree char *rs = NULL;
      g_autofree char *ws = NULL;

      if (isnan (reads) && isnan (writes))
        continue;
      rs = format_rate (reads);
      ws = format_rate (writes);

      g_string_append_printf (md, "| %s | %s | %.2f | %s | %.2f |\n", bench_impl_name (rows[r]),
                              rs, 1e6 / reads, ws, 1e6 / writes);
    }
  g_string_append_printf (md, "\n");
}

static void
report_scaling (BenchSession *session,
               GString      *md)
{
  static const struct { BenchImpl impl; guint threads; const char *label; } rows[] = {
    { IMPL_RAW, 1, "limit (raw sqlite3), 1 thread" },
    { IMPL_SINGLE, 2, "before / single, 2 threads" },
    { IMPL_POOL_SYNC, 1, "dbpool sync, 1 thread" },
    { IMPL_POOL_SYNC, 2, "dbpool sync, 2 threads" },
    { IMPL_POOL_ASYNC, 16, "dbpool async, 16 in flight" },
  };

  g_string_append_printf (md, "### Operation count (point reads, synchronous=NORMAL, no warm-up, operations/s)\n\n"
             "| contender |");
  for (guint i = 0; i < session->plan.n_scaling_ops; i++)
    g_string_append_printf (md, " %" G_GUINT64_FORMAT " ops |", session->plan.scaling_ops[i]);
  g_string_append_printf (md, "\n|---|");
  for (guint i = 0; i < session->plan.n_scaling_ops; i++)
    g_string_append_printf (md, "---:|");
  g_string_append_printf (md, "\n");
  for (guint r = 0; r < G_N_ELEMENTS (rows); r++)
    {
      g_string_append_printf (md, "| %s |", rows[r].label);
      for (guint i = 0; i < session->plan.n_scaling_ops; i++)
        {
          guint64 ops = session->plan.scaling_ops[i];
          g_autofree char *s = NULL;
          BenchCase *found = NULL;

          for (guint c = 0; c < session->cases->len && found == NULL; c++)
            {
              BenchCase *cs = g_ptr_array_index (session->cases, c);

              if (g_str_equal (cs->section, "scaling") && cs->spec.impl == rows[r].impl &&
                  cs->spec.threads == rows[r].threads && cs->spec.ops == ops)
                found = cs;
            }
          s = format_rate (found ? bench_median_of (found->ops_per_s) : NAN);
          g_string_append_printf (md, " %s |", s);
        }
      g_string_append_printf (md, "\n");
    }
  g_string_append_printf (md, "\n");
}

static double
original_ms (BenchSession *session,
             BenchImpl     impl,
             guint         row)
{
  guint threads = impl == IMPL_POOL_ASYNC ? bench_original_rows[row].ops : BENCH_ORIGINAL_THREADS;
  BenchCase *c = bench_session_find_case (session, "original", impl, DB_SYNCHRONOUS_NORMAL, bench_original_rows[row].write_permille, threads);

  return c != NULL ? bench_median_of (c->seconds) * 1000 : NAN;
}

static double
original_reuse (BenchSession *session,
                BenchImpl     impl,
                guint         row)
{
  guint threads = impl == IMPL_POOL_ASYNC ? bench_original_rows[row].ops : BENCH_ORIGINAL_THREADS;
  BenchCase *c = bench_session_find_case (session, "original", impl, DB_SYNCHRONOUS_NORMAL, bench_original_rows[row].write_permille, threads);

  if (c == NULL || c->pool_requests == 0)
    return NAN;
  return 100.0 * (double) (c->pool_requests - MIN (c->pool_requests, c->pool_connections_created)) /
         (double) c->pool_requests;
}

static void
report_original (BenchSession *session,
                GString      *md)
{
  g_string_append_printf (md, "### The original design's rows (synchronous=NORMAL, wall time of the whole burst, "
             "median of %u)\n\n", session->plan.original_repeat);
  g_string_append_printf (md, "Blocking contenders use %u threads; dbpool async has the whole burst in flight. "
             "Each repetition starts a new pool (2 connections) and runs one untimed burst "
             "before the measured one. Connection reuse is the share of acquires served by "
             "an already-open connection over both bursts.\n\n", BENCH_ORIGINAL_THREADS);
  g_string_append_printf (md, "| metric | before / single | before / open-per-op | dbpool sync | dbpool async | "
             "sync vs open-per-op | sync vs single | async vs open-per-op |\n"
             "|---|---:|---:|---:|---:|---:|---:|---:|\n");
  for (guint i = 0; i < bench_n_original_rows; i++)
    {
      double single = original_ms (session, IMPL_SINGLE, i);
      double open = original_ms (session, IMPL_OPEN_PER_OP, i);
      double sync = original_ms (session, IMPL_POOL_SYNC, i);
      double async = original_ms (session, IMPL_POOL_ASYNC, i);

      g_autofree char *r1 = format_ratio (open / sync);
      g_autofree char *r2 = format_ratio (single / sync);
      g_autofree char *r3 = format_ratio (open / async);

      g_string_append_printf (md, "| %s | %.2f ms | %.2f ms | %.2f ms | %.2f ms | **%s** | %s | %s |\n",
                 bench_original_rows[i].label, single, open, sync, async, r1, r2, r3);
    }
  g_string_append_printf (md, "| Connection reuse (mixed burst) | 100 %% (one connection) | 0 %% | %.1f %% | %.1f %% | | | |\n\n",
             original_reuse (session, IMPL_POOL_SYNC, 2), original_reuse (session, IMPL_POOL_ASYNC, 2));
}

static BenchCase *
latency_case (BenchSession *session,
              BenchImpl     impl,
              guint         write_permille,
              guint         threads)
{
  return bench_session_find_case (session, "latency", impl, DB_SYNCHRONOUS_NORMAL, write_permille, threads);
}

static void
report_latency (BenchSession *session,
               GString      *md)
{
  g_string_append_printf (md, "### Latency (synchronous=NORMAL, median over %u runs of each run's percentile)\n\n",
             session->plan.repeat);
  g_string_append_printf (md, "| what | load | p50 | p99 |\n|---|---|---:|---:|\n");
  for (guint t = 0; t < session->plan.n_threads; t++)
    {
      BenchCase *c = latency_case (session, IMPL_POOL_SYNC, 100, session->plan.threads[t]);
      g_autofree char *r50 = NULL, *r99 = NULL, *w50 = NULL, *w99 = NULL;

      if (c == NULL)
        continue;
      r50 = format_us (bench_median_of (c->read_p50));
      r99 = format_us (bench_median_of (c->read_p99));
      w50 = format_us (bench_median_of (c->write_p50));
      w99 = format_us (bench_median_of (c->write_p99));

      g_string_append_printf (md, "| acquire wait, read lease | 90/10 mix, %u threads | %s | %s |\n",
                 session->plan.threads[t], r50, r99);
      g_string_append_printf (md, "| acquire wait, write lease | 90/10 mix, %u threads | %s | %s |\n",
                 session->plan.threads[t], w50, w99);
    }
  {
    static const struct { BenchImpl impl; guint permille; guint k; const char *what; } rows[] = {
      { IMPL_POOL_ASYNC, 0, 1, "`query_async` round trip (point read)" },
      { IMPL_ASYNC_LIMIT, 0, 1, "limit: GThreadPool job + GTask return around the raw read" },
      { IMPL_POOL_ASYNC, 0, 16, "`query_async` round trip (point read)" },
      { IMPL_ASYNC_LIMIT, 0, 16, "limit: GThreadPool job + GTask return around the raw read" },
      { IMPL_POOL_ASYNC, 1000, 1, "`execute_async` round trip (insert)" },
      { IMPL_ASYNC_LIMIT, 1000, 1, "limit: GThreadPool job + GTask return around the raw insert" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
      {
        BenchCase *c = latency_case (session, rows[i].impl, rows[i].permille, rows[i].k);
        g_autofree char *s50 = NULL, *s99 = NULL;

        if (c == NULL)
          continue;
        s50 = format_us (bench_median_of (rows[i].permille ? c->write_p50 : c->read_p50));
        s99 = format_us (bench_median_of (rows[i].permille ? c->write_p99 : c->read_p99));

        g_string_append_printf (md, "| %s | %u in flight | %s | %s |\n", rows[i].what, rows[i].k, s50, s99);
      }
  }
  g_string_append_printf (md, "\n");
}

static void
report_history (BenchSession *session,
                GString      *md)
{
  const BenchHistoryResult *h = &session->history;

  g_string_append_printf (md, "### HistoryStorage (real LSP captures, 4 concurrent producers)\n\n");
  if (!session->history_ran)
    {
      g_string_append_printf (md, "Not measured: %s\n\n", session->history_why_not);
      return;
    }
  g_string_append_printf (md, "| measurement | value |\n|---|---:|\n");
  g_string_append_printf (md, "| captures | %u messages, %u diagnostics |\n", h->messages, h->diagnostics);
  g_string_append_printf (md, "| ingestion into an empty database | %.0f diagnostics/s (%" G_GUINT64_FORMAT
             " diagnostics in %" G_GUINT64_FORMAT " snapshots, %.1f s, %.2f cores used: "
             "%.0f diagnostics per CPU-second) |\n",
             h->ingest_rate, h->ingest_diagnostics, h->ingest_snapshots, h->ingest_seconds,
             h->ingest_cores, h->ingest_rate / h->ingest_cores);
  g_string_append_printf (md, "| diagnostics stored before the queries | %" G_GUINT64_FORMAT " |\n", h->stored_diagnostics);
  g_string_append_printf (md, "| file-history query (limit %u) while ingesting: p50 / p99 / max | %.2f / %.2f / %.2f ms "
             "(%" G_GUINT64_FORMAT " queries) |\n",
             h->history_limit, h->query_p50_ms, h->query_p99_ms, h->query_max_ms, h->query_count);
  g_string_append_printf (md, "| ingestion while those queries ran | %.0f diagnostics/s |\n", h->concurrent_ingest_rate);
  g_string_append_printf (md, "| limit: json-glib parsing only, %u threads | %.0f diagnostics/s (1 thread: %.0f) |\n",
             h->limit_threads, h->parse_rate, h->parse_rate_one_thread);
  g_string_append_printf (md, "| limit: raw SQLite inserting parsed diagnostics, 1 thread | %.0f diagnostics/s |\n",
             h->insert_rate);
  g_string_append_printf (md, "| limit: both, on %u cores (%u ÷ (1/parse + 1/insert)) | %.0f diagnostics/s |\n\n",
             h->limit_threads, h->limit_threads, h->pipeline_ceiling);
}

static double
min_ratio_over_threads (BenchSession  *session,
                        BenchImpl      impl,
                        BenchImpl      base_impl,
                        gboolean       base_same_threads,
                        DbSynchronous  sync,
                        guint          permille,
                        guint          min_threads,
                        guint         *at_threads)
{
  double best = NAN;

  *at_threads = 0;
  for (guint t = 0; t < session->plan.n_threads; t++)
    {
      guint threads = session->plan.threads[t];
      double ratio;

      if (threads < min_threads)
        continue;
      ratio = bench_session_rate (session, "sweep", impl, sync, permille, threads) /
              bench_session_rate (session, "sweep", base_impl, sync, permille, base_same_threads ? threads : 1);
      if (isnan (ratio) || isinf (ratio))
        continue;
      if (isnan (best) || ratio < best)
        {
          best = ratio;
          *at_threads = threads;
        }
    }
  return best;
}

/* The GVariant API's figure beside a target measured on dbpool sync, for information
 * only; empty when it was not measured. @at is 0 for a one-thread figure. */
static char *
variant_note (double ratio,
              guint  at)
{
  if (isnan (ratio) || isinf (ratio))
    return g_strdup ("");
  if (at == 0)
    return g_strdup_printf (" (GVariant API: %.2f×)", ratio);
  return g_strdup_printf ("; GVariant API: %.2f×, lowest at %u", ratio, at);
}

/* variant_note() for a target that takes the lowest ratio over thread counts. */
static char *
variant_target_note (BenchSession  *session,
                     BenchImpl      base_impl,
                     gboolean       base_same_threads,
                     DbSynchronous  sync,
                     guint          permille,
                     guint          min_threads)
{
  guint at = 0;
  double ratio = min_ratio_over_threads (session, IMPL_POOL_SYNC_VARIANT, base_impl, base_same_threads,
                                         sync, permille, min_threads, &at);

  return variant_note (ratio, MAX (at, 1));
}

void
bench_session_evaluate (BenchSession *session)
{
  const BenchHistoryResult *history = &session->history;
  guint at = 0;
  double v;

  {
    double raw = bench_session_rate (session, "sweep", IMPL_RAW, DB_SYNCHRONOUS_NORMAL, 0, 1);
    g_autofree char *note =
      variant_note (bench_session_rate (session, "sweep", IMPL_POOL_SYNC_VARIANT, DB_SYNCHRONOUS_NORMAL,
                                        0, 1) / raw, 0);

    v = bench_session_rate (session, "sweep", IMPL_POOL_SYNC, DB_SYNCHRONOUS_NORMAL, 0, 1) / raw;
    add_target (session, "sync pooled point read, 1 thread ≥ 0.9 × limit", v, 0.9, FALSE, "%.2f×%s",
                v, note);
  }

  {
    guint at_raw = 0;
    double raw = min_ratio_over_threads (session, IMPL_RAW_THREADS, IMPL_RAW, FALSE,
                                         DB_SYNCHRONOUS_NORMAL, 0, 2, &at_raw);
    g_autofree char *note = variant_target_note (session, IMPL_RAW, FALSE, DB_SYNCHRONOUS_NORMAL, 0, 2);

    /* With SQLite's own ceiling beside it: raw connections on as many threads. */
    v = min_ratio_over_threads (session, IMPL_POOL_SYNC, IMPL_RAW, FALSE, DB_SYNCHRONOUS_NORMAL, 0, 2, &at);
    add_target (session, "point reads, ≥ 2 threads ≥ 1.7 × limit (1 thread)", v, 1.7, FALSE,
                "%.2f× (lowest, at %u threads%s); a raw connection per thread: %.2f× (lowest, at %u)",
                v, at, note, raw, at_raw);
  }

  for (guint s = 0; s < 2; s++)
    {
      DbSynchronous sync = s == 0 ? DB_SYNCHRONOUS_NORMAL : DB_SYNCHRONOUS_FULL;
      g_autofree char *name = g_strdup_printf ("concurrent single-row writes ≥ 0.8 × limit commit rate (%s)",
                                               bench_synchronous_name (sync));
      g_autofree char *note = variant_target_note (session, IMPL_RAW, FALSE, sync, 1000, 2);

      v = min_ratio_over_threads (session, IMPL_POOL_SYNC, IMPL_RAW, FALSE, sync, 1000, 2, &at);
      add_target (session, name, v, 0.8, FALSE, "%.2f× (lowest, at %u threads%s)", v, at, note);
    }

  {
    BenchCase *c = latency_case (session, IMPL_POOL_ASYNC, 0, 1);
    double p50 = c ? bench_median_of (c->read_p50) / 1000 : NAN;
    double p99 = c ? bench_median_of (c->read_p99) / 1000 : NAN;

    add_target (session, "query_async round trip p50 ≤ 40 µs", p50, 40, TRUE, "%.1f µs", p50);
    add_target (session, "query_async round trip p99 ≤ 200 µs", p99, 200, TRUE, "%.1f µs", p99);
  }

  {
    g_autofree char *note = variant_target_note (session, IMPL_SINGLE, TRUE, DB_SYNCHRONOUS_NORMAL, 0, 2);

    v = min_ratio_over_threads (session, IMPL_POOL_SYNC, IMPL_SINGLE, TRUE, DB_SYNCHRONOUS_NORMAL, 0, 2, &at);
    add_target (session, "reads vs before / single (≥ 2 threads) ≥ 1.7×", v, 1.7, FALSE,
                "%.2f× (lowest, at %u threads%s)", v, at, note);
  }

  for (guint s = 0; s < 2; s++)
    {
      DbSynchronous sync = s == 0 ? DB_SYNCHRONOUS_NORMAL : DB_SYNCHRONOUS_FULL;
      g_autofree char *name = g_strdup_printf ("writes vs before / single no slower (%s, every thread count)",
                                               bench_synchronous_name (sync));
      g_autofree char *note = variant_target_note (session, IMPL_SINGLE, TRUE, sync, 1000, 1);

      v = min_ratio_over_threads (session, IMPL_POOL_SYNC, IMPL_SINGLE, TRUE, sync, 1000, 1, &at);
      add_target (session, name, v, 1.0, FALSE, "%.2f× (lowest, at %u threads%s)", v, at, note);
    }

  v = original_ms (session, IMPL_OPEN_PER_OP, 0) / original_ms (session, IMPL_POOL_SYNC, 0);
  add_target (session, "100 concurrent writes vs before / open-per-op ≥ 8.3×", v, 8.3, FALSE, "%.1f×", v);
  v = original_ms (session, IMPL_OPEN_PER_OP, 1) / original_ms (session, IMPL_POOL_SYNC, 1);
  add_target (session, "50 concurrent reads vs before / open-per-op ≥ 9×", v, 9, FALSE, "%.1f×", v);

  if (session->history_ran)
    {
      g_autofree char *p99_name =
        g_strdup_printf ("HistoryStorage file-history p99 ≤ 5 ms, %" G_GUINT64_FORMAT
                         " diagnostics stored, while ingesting", history->stored_diagnostics);

      add_target (session, "HistoryStorage ingestion, 4 producers ≥ 50 000 diagnostics/s",
                  history->ingest_rate, 50000, FALSE, "%.0f/s", history->ingest_rate);
      add_target (session, p99_name, history->query_p99_ms, 5, TRUE, "%.2f ms", history->query_p99_ms);
    }
}

static guint
report_targets (BenchSession *session,
                GString      *md)
{
  guint missed = 0;

  g_string_append_printf (md, "### Targets\n\n| target | measured | result |\n|---|---:|---|\n");
  for (guint i = 0; i < session->targets->len; i++)
    {
      BenchTarget *t = g_ptr_array_index (session->targets, i);
      const char *verdict = !t->evaluated ? "n/a" : t->pass ? "PASS" : "**MISS**";

      if (t->evaluated && !t->pass)
        missed++;
      g_string_append_printf (md, "| %s | %s | %s |\n", t->name, t->measured, verdict);
    }
  g_string_append_printf (md, "\n");
  return missed;
}

static void
report_errors (BenchSession *session,
               GString      *md)
{
  gboolean any = FALSE;

  for (guint i = 0; i < session->cases->len; i++)
    {
      BenchCase *c = g_ptr_array_index (session->cases, i);

      if (c->errors == 0)
        continue;
      if (!any)
        g_string_append_printf (md, "### Failed operations\n\n");
      any = TRUE;
      g_string_append_printf (md, "- %s, %s, %s, %u %s: %" G_GUINT64_FORMAT " failed (first: %s)\n",
                              c->section, bench_impl_name (c->spec.impl),
                              bench_workload_name (c->spec.write_permille), c->spec.threads,
                              BENCH_IS_ASYNC (c->spec.impl) ? "in flight" : "threads",
                              c->errors, c->first_error);
    }
  if (any)
    g_string_append_printf (md, "\n");
}

/* Appends the whole report to @md; returns the number of targets missed. */
guint
bench_session_markdown (BenchSession *session,
                        GString      *md)
{
  guint missed;

  g_string_append_printf (md, "## dbpool-bench%s — %s\n\n", session->quick ? " --quick" : "",
                          session->date);
  g_string_append_printf (md, "Machine: %d cores, %s; SQLite %s; GLib %u.%u.%u; dbpool %s. "
                          "Total run time %.0f s; load average %s at the start, %s at the end.\n\n",
                          g_get_num_processors (), session->cpu_model, sqlite3_libversion (),
                          glib_major_version, glib_minor_version, glib_micro_version,
                          DBPOOL_VERSION_S, session->total_seconds, session->load_start,
                          session->load_end);
  missed = report_targets (session, md);
  if (bench_selected (session->sections, "original"))
    report_original (session, md);
  if (bench_selected (session->sections, "sweep"))
    report_sweep (session, md);
  if (bench_selected (session->sections, "breakdown"))
    report_breakdown (session, md);
  if (bench_selected (session->sections, "latency"))
    report_latency (session, md);
  if (bench_selected (session->sections, "scaling"))
    report_scaling (session, md);
  report_history (session, md);
  report_errors (session, md);
  return missed;
}
