/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared declarations of the dbpool benchmark (dbpool-bench). */
#pragma once

#include <dbpool.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>

G_BEGIN_DECLS

/* The rows every workload runs on: point reads hit `items` by primary key, writes
 * append single rows to `log`. Each item's value is a function of its id, so every
 * read checks what it got back. */
#define BENCH_SQL_READ   "SELECT name, value FROM items WHERE id = ?"
#define BENCH_SQL_INSERT "INSERT INTO log (item, payload) VALUES (?, ?)"
#define BENCH_PAYLOAD    "diagnostic: unused variable 'x' [-Wunused-variable]"

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
  IMPL_RAW,            /* limit: one thread, prepared statements, no pool */
  IMPL_SINGLE,         /* before: one sqlite3 * behind a GMutex */
  IMPL_OPEN_PER_OP,    /* before: open, set up, run, close */
  IMPL_POOL_SYNC,      /* dbpool, blocking, the fast idiom: each thread keeps its lease objects
                        * (db_connection_reacquire), statements are DbStatement */
  IMPL_POOL_ASYNC,     /* dbpool: query_async/execute_async from a main loop */
  IMPL_ASYNC_LIMIT,    /* limit of the async design: the same thread hops, raw sqlite3 */
  IMPL_SINGLE_FIFO,    /* before / single, but waiters served first come, first served */
  IMPL_POOL_LEASE,     /* breakdown: release and reacquire on a kept lease object only */
  IMPL_POOL_HELD,      /* breakdown: DbStatement on a lease held for the whole run */
  IMPL_RAW_THREADS,    /* limit of concurrency: raw sqlite3, one connection per thread */
  IMPL_POOL_SYNC_VARIANT, /* dbpool, blocking, the GVariant idiom: db_pool_acquire() per
                           * operation, GVariant parameters in, DbRows out */
  IMPL_POOL_LEASE_NEW, /* breakdown: db_pool_acquire() and release, a new lease object per op */
  IMPL_POOL_HELD_VARIANT, /* breakdown: the GVariant statement API on a held lease */
  N_IMPLS
} BenchImpl;

typedef struct
{
  const char    *db_path;
  BenchImpl      impl;
  DbSynchronous  synchronous;
  guint          write_permille;   /* 0 = reads only, 1000 = writes only */
  guint          threads;          /* threads, or operations in flight for POOL_ASYNC */
  guint64        ops;              /* operations to run */
  guint64        warmup_ops;       /* untimed, before the measured ones */
  double         max_seconds;      /* stop the measured phase early after this */
  gboolean       record_latency;   /* acquire wait (POOL_SYNC*) or round trip (POOL_ASYNC) */
  guint          n_items;
  guint          pool_max_connections;
  guint64        seed;
} BenchSpec;

typedef struct
{
  guint64  ops;                    /* completed in the measured phase */
  guint64  reads;
  guint64  writes;
  guint64  errors;
  double   seconds;
  double   ops_per_s;
  double   cpu_seconds;            /* process CPU time over the measured phase */
  GArray  *read_latency_ns;        /* of gint64, when recorded */
  GArray  *write_latency_ns;
  /* pool only: whole run including warm-up */
  guint64  pool_requests;
  guint64  pool_connections_created;
  char    *first_error;
} BenchResult;

/* Failed operations of a run: how many, and the first message. */
typedef struct
{
  guint64  count;
  char    *first;
} BenchErrors;

/* bench-util.c */
gint64       bench_now_ns             (void);
gint64       bench_cpu_ns             (void);
char        *bench_load_average       (void);
char        *bench_cpu_model          (void);
const char  *bench_impl_name          (BenchImpl       impl);
const char  *bench_synchronous_name   (DbSynchronous   synchronous);
sqlite3     *bench_open_db            (const char     *path,
                                       DbSynchronous   synchronous,
                                       GError        **error);
gboolean     bench_create_database    (const char     *path,
                                       guint           n_items,
                                       GError        **error);
DbPoolConfig *bench_pool_config       (const BenchSpec *spec);
void         bench_result_clear       (BenchResult    *result);
double       bench_percentile         (GArray         *samples_ns,
                                       double          p);
double       bench_median             (const double   *values,
                                       guint           n);
void         bench_note_error         (BenchResult    *result,
                                       const char     *message);

void         bench_errors_note        (BenchErrors    *errors,
                                       const char     *message);
void         bench_errors_clear       (BenchErrors    *errors);
gboolean     bench_prepare_statements (sqlite3        *db,
                                       sqlite3_stmt  **read_stmt,
                                       sqlite3_stmt  **write_stmt,
                                       GError        **error);
gboolean     bench_stmt_read          (sqlite3        *db,
                                       sqlite3_stmt   *stmt,
                                       gint64          id,
                                       BenchErrors    *errors);
gboolean     bench_stmt_write         (sqlite3        *db,
                                       sqlite3_stmt   *stmt,
                                       gint64          item,
                                       BenchErrors    *errors);

/* bench-run.c */
gboolean     bench_run                (const BenchSpec *spec,
                                       BenchResult     *result,
                                       GError         **error);

/* bench-async.c */
gboolean     bench_run_async          (const BenchSpec *spec,
                                       BenchResult     *result,
                                       GError         **error);
gboolean     bench_run_async_limit    (const BenchSpec *spec,
                                       BenchResult     *result,
                                       GError         **error);

/* bench-captures.c */
typedef struct
{
  gint64      severity;
  const char *message;
  const char *source;
  const char *code;
  gint64      start_line;
  gint64      start_character;
  gint64      end_line;
  gint64      end_character;
} BenchDiag;

typedef struct
{
  GPtrArray    *messages;       /* char *, one notification each */
  GArray       *n_diagnostics;  /* guint per message */
  GPtrArray    *uris;           /* char *, per message */
  GPtrArray    *parsed;         /* GArray of BenchDiag, per message */
  GStringChunk *strings;
  guint         total;          /* diagnostics in all messages */
} BenchCaptures;

gboolean     bench_captures_load      (BenchCaptures  *captures,
                                       const char     *dir,
                                       GError        **error);
void         bench_captures_clear     (BenchCaptures  *captures);
/* Reads the diagnostics of a parsed notification; appends them to @out (with their
 * strings copied into @strings) unless both are NULL. Returns how many there are. */
guint        bench_read_diagnostics   (JsonParser     *parser,
                                       GStringChunk   *strings,
                                       GArray         *out);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BenchCaptures, bench_captures_clear)

/* bench-history-limits.c */
double       bench_parse_limit        (const BenchCaptures *captures,
                                       guint                n_threads,
                                       double               seconds);
double       bench_insert_limit       (const BenchCaptures *captures,
                                       const char          *work_dir,
                                       double               seconds,
                                       GError             **error);

/* bench-history.c */
typedef struct
{
  guint   messages;                /* in the captures */
  guint   diagnostics;             /* in the captures */
  guint64 ingest_diagnostics;      /* recorded in the fill phase */
  guint64 ingest_snapshots;
  double  ingest_seconds;
  double  ingest_rate;             /* diagnostics/s, fill phase */
  double  ingest_cores;            /* process CPU time ÷ wall time, fill phase */
  guint64 stored_diagnostics;      /* counted in the database afterwards */
  guint64 query_count;             /* file-history queries while ingesting */
  double  query_p50_ms;
  double  query_p99_ms;
  double  query_max_ms;
  double  concurrent_ingest_rate;  /* diagnostics/s while the queries ran */
  guint   history_limit;
  /* the limits */
  guint   limit_threads;
  double  parse_rate;              /* json-glib only, limit_threads threads */
  double  parse_rate_one_thread;
  double  insert_rate;             /* raw SQLite, one thread */
  double  pipeline_ceiling;        /* both, on limit_threads cores */
} BenchHistoryResult;

gboolean     bench_history_run        (const char         *data_dir,
                                       const char         *work_dir,
                                       guint64             target_diagnostics,
                                       double              query_seconds,
                                       BenchHistoryResult *result,
                                       GError            **error);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BenchResult, bench_result_clear)

G_END_DECLS
