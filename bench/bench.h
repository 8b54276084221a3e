/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the parts of dbpool-bench share: the workload, the contenders, one run. */
#pragma once

#include <math.h>

#include <dbpool.h>
#include <sqlite3.h>

#include "db-tuning-private.h"

G_BEGIN_DECLS

/* Point reads hit `items` by primary key; writes append single rows to `log`, each
 * its own transaction. An item's value is a function of its id, so every read checks
 * what it got back: a contender that returns wrong rows fails the run. */
#define BENCH_N_ITEMS    100000
#define BENCH_SQL_READ   "SELECT name, value FROM items WHERE id = ?"
#define BENCH_SQL_INSERT "INSERT INTO log (item, payload) VALUES (?, ?)"
#define BENCH_PAYLOAD    "diagnostic: unused variable 'x' [-Wunused-variable]"

/* As bench_create_database() computes it in SQL. */
static inline gint64
bench_item_value (gint64 id)
{
  return (id * 2654435761) % 1000003;
}

/* xorshift64*: cheap, per thread, deterministic. */
static inline guint64
bench_rand (guint64 *state)
{
  guint64 x = *state;

  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 2685821657736338717ULL;
}

typedef enum {
  BENCH_RAW,           /* a raw sqlite3 connection per thread; on one thread, the limit */
  BENCH_SINGLE,        /* before: one sqlite3 * behind a GMutex */
  BENCH_OPEN_PER_OP,   /* before: open, set up, run, close */
  BENCH_POOL,          /* dbpool's fast path: a kept lease object reacquired, DbStatement */
  BENCH_POOL_EVERYDAY, /* dbpool's everyday API: db_pool_acquire, GVariant in, DbRows out */
  BENCH_POOL_EXCLUSIVE,          /* BENCH_POOL on a pool in exclusive mode (unix-excl) */
  BENCH_POOL_EVERYDAY_EXCLUSIVE, /* BENCH_POOL_EVERYDAY on a pool in exclusive mode */
  BENCH_ASYNC,         /* query_async / execute_async, N in flight on a main loop */
  BENCH_HOP,           /* the floor of async: a GThreadPool job and a GTask around a raw read */
  BENCH_GOM,           /* gom 0.4's GomAdapter: its thread's queue, a GTask around a raw read */
  /* HistoryStorage, with the LSP captures */
  BENCH_PARSE,         /* the limit of ingestion: json-glib parsing them, storing nothing */
  BENCH_FILL,          /* 4 producers recording into the empty database, to the target */
  BENCH_QUERY,         /* file-history queries, one after the other, nothing else running */
  BENCH_QUERY_INGESTING, /* the same while the 4 producers keep recording */
} BenchContender;

typedef struct
{
  const char     *db_path;
  BenchContender  contender;
  guint           write_permille;   /* 0: point reads only, 1000: inserts only */
  guint           threads;          /* or operations in flight, for the async ones */
  guint           max_connections;  /* of the pool */
  double          seconds;          /* measured phase */
  DbTuning        tuning;           /* the library's switches, set before the pool exists */
} BenchSpec;

typedef struct
{
  double ops_per_s;
  double p50_ns;                    /* round trip, async contenders only (else NAN) */
  double p99_ns;
} BenchResult;

/* bench-util.c */
gint64    bench_now_ns          (void);
char     *bench_cpu_model       (void);
sqlite3  *bench_open_db         (const char *path, GError **error);
gboolean  bench_create_database (const char *path, GError **error);
gboolean  bench_prepare         (sqlite3 *db, gboolean write, sqlite3_stmt **stmt, GError **error);
gboolean  bench_raw_op          (sqlite3 *db, sqlite3_stmt *stmt, gboolean write, gint64 key,
                                 GError **error);
gboolean  bench_check           (gboolean ok, GError **error);
gboolean  bench_keep_first_error (GError **dest, GError **src);
extern DbTuning bench_default_tuning;
void      bench_tuning_apply    (const DbTuning *tuning);   /* NULL: bench_default_tuning */
DbPool   *bench_pool_new        (const BenchSpec *spec, GError **error);
void      bench_pool_close      (DbPool *pool);
double    bench_percentile      (GArray *samples, double p);
double    bench_median          (const double *values, guint n);

/* bench-sync.c: the blocking contenders, on spec->threads threads */
gboolean  bench_run_sync        (const BenchSpec *spec, BenchResult *result, GError **error);

/* bench-async.c: BENCH_ASYNC, BENCH_HOP and BENCH_GOM, from this thread's main loop */
gboolean  bench_run_async       (const BenchSpec *spec, BenchResult *result, GError **error);

/* bench-group.c: the group-commit section, appended to @out as its own table. */
gboolean  bench_group_section   (const char *path, double seconds, guint rounds, GString *out,
                                 GError **error);

/* bench-history.c: the HistoryStorage contenders. The rate is of diagnostics (of
 * queries for BENCH_QUERY), the percentiles of the queries' round trips. The first
 * query run fills the database if no BENCH_FILL ran. */
typedef struct _BenchHistory BenchHistory;

BenchHistory *bench_history_new (const char *lsp_dir, const char *db_path, guint64 target,
                                 GError **error);
void     bench_history_free     (BenchHistory *history);
gboolean bench_history_run      (BenchHistory *history, const BenchSpec *spec, BenchResult *result,
                                 GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BenchHistory, bench_history_free)

G_END_DECLS
