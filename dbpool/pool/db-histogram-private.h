/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A fixed-bucket histogram of durations in microseconds (wait, use and create time
 * of the pool's connections, db-histogram.c). Every histogram has the same bounds, so
 * recording is a short scan and two histograms can be added bucket by bucket. It has
 * no lock of its own: the pool records into its histograms under the pool lock, next
 * to the counters it already updates there, and reads them in the same snapshot. */

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* 10 µs to 60 s, in 1-2.5-5 steps: a pooled SQLite lease is handed over in
 * microseconds, a connection opens in about a millisecond, and a lease may be held
 * for seconds. */
#define DB_HISTOGRAM_N_BOUNDS 21

/* The inclusive upper bounds of the buckets, in microseconds, ascending. A value
 * above the last one goes to the overflow bucket (OpenMetrics' le="+Inf"). */
extern const guint64 _db_histogram_bounds_us[DB_HISTOGRAM_N_BOUNDS];

typedef struct
{
  guint64 count;                                  /* values recorded */
  guint64 sum_us;                                 /* their sum */
  guint64 buckets[DB_HISTOGRAM_N_BOUNDS + 1];     /* per bucket, not cumulative; the
                                                   * last is the overflow */
} DbHistogram;

/* The pool's three, as OpenTelemetry's db.client.connection.* names them. */
typedef struct
{
  DbHistogram wait_time;    /* acquires: time queued for a connection */
  DbHistogram use_time;     /* leases: from acquire to release */
  DbHistogram create_time;  /* connections opened: time to open one */
} DbPoolHistograms;

/* The bucket @value_us falls in: the first bound not below it, or the overflow. */
guint    _db_histogram_bucket_index (guint64            value_us);
void     _db_histogram_record       (DbHistogram       *self,
                                     guint64            value_us);

/* Adds "@name": {"count", "sum-us", "bucket-bounds-us", "bucket-counts"} to the
 * object @builder is writing (see db_pool_get_stats_json()). */
void     _db_histogram_add_json     (const DbHistogram *self,
                                     JsonBuilder       *builder,
                                     const char        *name);

/* Appends @us as exact decimal seconds ("0.00001", "2.5", "0"): no binary floating
 * point on the way, so the text says exactly what was counted. */
void     _db_histogram_append_seconds (GString         *out,
                                       guint64          us);

G_END_DECLS
