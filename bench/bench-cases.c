/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Cases: defining them, running them repeatedly, finding their medians. */
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "bench-session.h"

const BenchWorkload bench_sweep_workloads[] = {
  { "read", DB_SYNCHRONOUS_NORMAL, 0 },
  { "write", DB_SYNCHRONOUS_NORMAL, 1000 },
  { "mix", DB_SYNCHRONOUS_NORMAL, 100 },
  { "write-full", DB_SYNCHRONOUS_FULL, 1000 },
  { "mix-full", DB_SYNCHRONOUS_FULL, 100 },
};
const guint bench_n_sweep_workloads = G_N_ELEMENTS (bench_sweep_workloads);

const BenchOriginalRow bench_original_rows[] = {
  { "Concurrent Writes (100 ops)", 100, 1000 },
  { "Concurrent Reads (50 ops)", 50, 0 },
  { "Mixed Read/Write (100 writes + 50 reads)", 150, 667 },
};
const guint bench_n_original_rows = G_N_ELEMENTS (bench_original_rows);

/* Whether @name is in the comma-separated @list (a NULL list selects everything). */
gboolean
bench_selected (const char *list,
                const char *name)
{
  g_auto(GStrv) parts = NULL;

  if (list == NULL)
    return TRUE;
  parts = g_strsplit (list, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    if (g_str_equal (g_strstrip (parts[i]), name))
      return TRUE;
  return FALSE;
}

static const char *
impl_key (BenchImpl impl)
{
  static const char *const keys[] = { "raw", "single", "open", "sync", "async", "async-limit",
                                      "single-fifo", "lease", "held", "raw-threads",
                                      "sync-variant", "lease-new", "held-variant" };

  G_STATIC_ASSERT (G_N_ELEMENTS (keys) == N_IMPLS);
  return keys[impl];
}

const char *
bench_workload_name (guint write_permille)
{
  switch (write_permille)
    {
    case 0:    return "point reads";
    case 1000: return "single-row inserts";
    case 100:  return "90/10 read/write";
    default:   return "mixed";
    }
}

double
bench_median_of (GArray *values)
{
  return bench_median ((const double *) values->data, values->len);
}

static void
case_free (gpointer data)
{
  BenchCase *c = data;

  g_array_unref (c->ops_per_s);
  g_array_unref (c->seconds);
  g_array_unref (c->cores_used);
  g_array_unref (c->read_p50);
  g_array_unref (c->read_p99);
  g_array_unref (c->write_p50);
  g_array_unref (c->write_p99);
  g_free (c->first_error);
  g_free (c);
}

static void
target_free (gpointer data)
{
  BenchTarget *t = data;

  g_free (t->name);
  g_free (t->measured);
  g_free (t);
}

void
bench_session_init (BenchSession *session)
{
  memset (session, 0, sizeof *session);
  session->cases = g_ptr_array_new_with_free_func (case_free);
  session->targets = g_ptr_array_new_with_free_func (target_free);
}

void
bench_session_clear (BenchSession *session)
{
  g_clear_pointer (&session->cases, g_ptr_array_unref);
  g_clear_pointer (&session->targets, g_ptr_array_unref);
  g_clear_pointer (&session->db_path, g_free);
  g_clear_pointer (&session->sections, g_free);
  g_clear_pointer (&session->workloads, g_free);
  g_clear_pointer (&session->contenders, g_free);
  g_clear_pointer (&session->history_why_not, g_free);
  g_clear_pointer (&session->date, g_free);
  g_clear_pointer (&session->cpu_model, g_free);
  g_clear_pointer (&session->load_start, g_free);
  g_clear_pointer (&session->load_end, g_free);
  g_clear_pointer (&session->plan.threads, g_free);
}

/* Adds a case to the session and to @list (if not NULL), unless the contender is
 * not selected: then it returns NULL. */
BenchCase *
bench_session_add_case (BenchSession  *session,
                        GPtrArray     *list,
                        const char    *section,
                        BenchImpl      impl,
                        DbSynchronous  synchronous,
                        guint          write_permille,
                        guint          threads,
                        guint64        ops,
                        guint64        warmup_ops,
                        double         max_seconds,
                        gboolean       record_latency)
{
  BenchCase *c;

  /* The FIFO variant of the single connection is a diagnostic (what fair handoff
   * costs by itself); it runs only when asked for by name. */
  if (impl == IMPL_SINGLE_FIFO && session->contenders == NULL)
    return NULL;
  if (!bench_selected (session->contenders, impl_key (impl)))
    return NULL;

  c = g_new0 (BenchCase, 1);
  c->section = section;
  c->spec = (BenchSpec) {
    .db_path = session->db_path,
    .impl = impl,
    .synchronous = synchronous,
    .write_permille = write_permille,
    .threads = impl == IMPL_RAW ? 1 : threads,
    .ops = ops,
    .warmup_ops = warmup_ops,
    .max_seconds = max_seconds,
    .record_latency = record_latency,
    .n_items = BENCH_N_ITEMS,
    .pool_max_connections = BENCH_POOL_MAX_CONNECTIONS,
    .seed = session->cases->len + 1,
  };
  c->ops_per_s = g_array_new (FALSE, FALSE, sizeof (double));
  c->seconds = g_array_new (FALSE, FALSE, sizeof (double));
  c->cores_used = g_array_new (FALSE, FALSE, sizeof (double));
  c->read_p50 = g_array_new (FALSE, FALSE, sizeof (double));
  c->read_p99 = g_array_new (FALSE, FALSE, sizeof (double));
  c->write_p50 = g_array_new (FALSE, FALSE, sizeof (double));
  c->write_p99 = g_array_new (FALSE, FALSE, sizeof (double));
  g_ptr_array_add (session->cases, c);
  if (list != NULL)
    g_ptr_array_add (list, c);
  return c;
}

/* Writes back what the previous run left dirty in the page cache, so that the
 * kernel's writeback does not land in the middle of the next run. */
static void
settle (const char *db_path)
{
  g_autofree char *dir = g_path_get_dirname (db_path);
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd >= 0)
    {
      syncfs (fd);
      close (fd);
    }
}

static void
append_percentile (GArray *out,
                   GArray *samples_ns,
                   double  p)
{
  double v = bench_percentile (samples_ns, p);

  g_array_append_val (out, v);
}

/* Runs every case of @list @repeat times, interleaved, each repetition starting one
 * case further into the list so that no contender always runs first. */
gboolean
bench_session_run_cases (BenchSession  *session,
                         GPtrArray     *list,
                         guint          repeat,
                         GError       **error)
{
  for (guint r = 0; r < repeat; r++)
    for (guint j = 0; j < list->len; j++)
      {
        BenchCase *c = g_ptr_array_index (list, (j + r) % list->len);
        g_auto(BenchResult) result = { 0 };
        double cores;

        c->spec.seed += 1000;
        settle (session->db_path);
        if (!bench_run (&c->spec, &result, error))
          return FALSE;

        g_array_append_val (c->ops_per_s, result.ops_per_s);
        g_array_append_val (c->seconds, result.seconds);
        cores = result.seconds > 0 ? result.cpu_seconds / result.seconds : NAN;
        g_array_append_val (c->cores_used, cores);
        c->ops = result.ops;
        c->errors += result.errors;
        if (c->first_error == NULL && result.first_error != NULL)
          c->first_error = g_strdup (result.first_error);
        c->pool_requests += result.pool_requests;
        c->pool_connections_created += result.pool_connections_created;
        if (c->spec.record_latency)
          {
            append_percentile (c->read_p50, result.read_latency_ns, 50);
            append_percentile (c->read_p99, result.read_latency_ns, 99);
            append_percentile (c->write_p50, result.write_latency_ns, 50);
            append_percentile (c->write_p99, result.write_latency_ns, 99);
          }

        g_printerr ("  [%u/%u] %-9s %-20s %-6s %-18s %3u %s: %10.0f ops/s (%" G_GUINT64_FORMAT
                    " ops, %.3f s, %.2f cores%s)\n",
                    r + 1, repeat, c->section, bench_impl_name (c->spec.impl),
                    bench_synchronous_name (c->spec.synchronous),
                    bench_workload_name (c->spec.write_permille), c->spec.threads,
                    BENCH_IS_ASYNC (c->spec.impl) ? "in flight" : "threads  ",
                    result.ops_per_s, result.ops, result.seconds, cores,
                    result.errors ? ", ERRORS" : "");
      }
  return TRUE;
}

BenchCase *
bench_session_find_case (BenchSession  *session,
                         const char    *section,
                         BenchImpl      impl,
                         DbSynchronous  synchronous,
                         guint          write_permille,
                         guint          threads)
{
  for (guint i = 0; i < session->cases->len; i++)
    {
      BenchCase *c = g_ptr_array_index (session->cases, i);

      if (g_str_equal (c->section, section) && c->spec.impl == impl &&
          c->spec.synchronous == synchronous && c->spec.write_permille == write_permille &&
          c->spec.threads == (impl == IMPL_RAW ? 1 : threads))
        return c;
    }
  return NULL;
}

/* The median rate of a case, NAN if it was not measured. */
double
bench_session_rate (BenchSession  *session,
                    const char    *section,
                    BenchImpl      impl,
                    DbSynchronous  synchronous,
                    guint          write_permille,
                    guint          threads)
{
  BenchCase *c = bench_session_find_case (session, section, impl, synchronous,
                                          write_permille, threads);

  return c != NULL ? bench_median_of (c->ops_per_s) : NAN;
}
