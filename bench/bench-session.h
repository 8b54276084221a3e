/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One benchmark session: what to measure (the plan), every measured case, the
 * targets of issue 6 checked against them, and the reports. */
#pragma once

#include "bench.h"

G_BEGIN_DECLS

#define BENCH_N_ITEMS               100000
#define BENCH_POOL_MAX_CONNECTIONS  16
#define BENCH_ORIGINAL_THREADS      8
#define BENCH_IS_ASYNC(impl)        ((impl) == IMPL_POOL_ASYNC || (impl) == IMPL_ASYNC_LIMIT)

typedef struct
{
  guint    repeat;
  guint64  ops;
  double   max_seconds;
  guint   *threads;
  guint    n_threads;
  guint   *in_flight;
  guint    n_in_flight;
  guint    original_repeat;
  guint64  latency_ops;
  guint64  history_diagnostics;
  double   history_query_seconds;
  guint64  scaling_ops[3];
  guint    n_scaling_ops;
} BenchPlan;

/* The sweep's workloads. Reads do not depend on `synchronous` (it only changes what
 * a commit waits for), so they run under NORMAL only. */
typedef struct
{
  const char    *key;
  DbSynchronous  synchronous;
  guint          write_permille;
} BenchWorkload;

extern const BenchWorkload bench_sweep_workloads[];
extern const guint         bench_n_sweep_workloads;

/* The original design's "Benchmark Results" rows. */
typedef struct
{
  const char *label;
  guint       ops;
  guint       write_permille;
} BenchOriginalRow;

extern const BenchOriginalRow bench_original_rows[];
extern const guint            bench_n_original_rows;

/* One contender under one workload, measured plan.repeat times. */
typedef struct
{
  const char    *section;
  BenchSpec      spec;
  GArray        *ops_per_s;     /* double, one per repetition */
  GArray        *seconds;
  GArray        *cores_used;    /* CPU time ÷ wall time, one per repetition */
  GArray        *read_p50;      /* double ns, one per repetition (latency cases) */
  GArray        *read_p99;
  GArray        *write_p50;
  GArray        *write_p99;
  guint64        ops;           /* of the last repetition */
  guint64        errors;
  char          *first_error;
  guint64        pool_requests;
  guint64        pool_connections_created;
} BenchCase;

typedef struct
{
  char     *name;
  char     *measured;
  double    value;
  double    threshold;
  gboolean  at_most;       /* value must be <= threshold (else >=) */
  gboolean  pass;
  gboolean  evaluated;
} BenchTarget;

typedef struct
{
  BenchPlan           plan;
  gboolean            quick;
  char               *db_path;
  /* comma-separated selections; NULL selects everything */
  char               *sections;
  char               *workloads;
  char               *contenders;

  GPtrArray          *cases;        /* BenchCase */
  GPtrArray          *targets;      /* BenchTarget */

  BenchHistoryResult  history;
  gboolean            history_ran;
  char               *history_why_not;

  char               *date;
  char               *cpu_model;
  char               *load_start;
  char               *load_end;
  double              total_seconds;
} BenchSession;

/* bench-cases.c */
gboolean     bench_selected            (const char     *list,
                                        const char     *name);
const char  *bench_workload_name       (guint           write_permille);
double       bench_median_of           (GArray         *values);
void         bench_session_init        (BenchSession   *session);
void         bench_session_clear       (BenchSession   *session);
BenchCase   *bench_session_add_case    (BenchSession   *session,
                                        GPtrArray      *list,
                                        const char     *section,
                                        BenchImpl       impl,
                                        DbSynchronous   synchronous,
                                        guint           write_permille,
                                        guint           threads,
                                        guint64         ops,
                                        guint64         warmup_ops,
                                        double          max_seconds,
                                        gboolean        record_latency);
gboolean     bench_session_run_cases   (BenchSession   *session,
                                        GPtrArray      *list,
                                        guint           repeat,
                                        GError        **error);
BenchCase   *bench_session_find_case   (BenchSession   *session,
                                        const char     *section,
                                        BenchImpl       impl,
                                        DbSynchronous   synchronous,
                                        guint           write_permille,
                                        guint           threads);
double       bench_session_rate        (BenchSession   *session,
                                        const char     *section,
                                        BenchImpl       impl,
                                        DbSynchronous   synchronous,
                                        guint           write_permille,
                                        guint           threads);

/* bench-report.c */
void         bench_session_evaluate    (BenchSession   *session);
guint        bench_session_markdown    (BenchSession   *session,
                                        GString        *out);

/* bench-json.c */
char        *bench_session_to_json     (BenchSession   *session);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BenchSession, bench_session_clear)

G_END_DECLS
