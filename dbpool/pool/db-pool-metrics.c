/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pool's stats for monitoring systems: OpenMetrics text named after
 * OpenTelemetry's db.client.connection.* metrics (db_pool_get_metrics()), and the
 * stats JSON with the histograms (db_pool_get_stats_json()). Both read one snapshot
 * of the core (_db_pool_core_snapshot_metrics()), so every number in one answer was
 * taken at the same instant. */
#include "db-enum-types.h"
#include "db-pool-core-private.h"
#include "db-pool-private.h"

/* Appends @value as an OpenMetrics label value: backslash, double quote and line feed
 * are the only characters escaped; everything else is UTF-8 as is (the config checks
 * that the name is UTF-8). */
static void
append_label_value (GString    *out,
                    const char *value)
{
  for (const char *p = value; *p != '\0'; p++)
    {
      switch (*p)
        {
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        default:
          g_string_append_c (out, *p);
        }
    }
}

/* A MetricFamily's metadata. @unit is the name's suffix, or NULL. */
static void
family (GString    *out,
        const char *name,
        const char *type,
        const char *unit,
        const char *help)
{
  g_string_append_printf (out, "# TYPE %s %s\n", name, type);
  if (unit != NULL)
    g_string_append_printf (out, "# UNIT %s %s\n", name, unit);
  g_string_append_printf (out, "# HELP %s %s\n", name, help);
}

/* "name{pool_name="…"[,extra]} " with @labels already escaped; the value follows. */
static void
sample_start (GString    *out,
              const char *name,
              const char *suffix,
              const char *labels,
              const char *extra_label)
{
  g_string_append_printf (out, "%s%s{%s", name, suffix, labels);
  if (extra_label != NULL)
    g_string_append_printf (out, ",%s", extra_label);
  g_string_append (out, "} ");
}

static void
sample (GString    *out,
        const char *name,
        const char *suffix,
        const char *labels,
        const char *extra_label,
        guint64     value)
{
  sample_start (out, name, suffix, labels, extra_label);
  g_string_append_printf (out, "%" G_GUINT64_FORMAT "\n", value);
}

static void
gauge (GString    *out,
       const char *name,
       const char *help,
       const char *labels,
       guint64     value)
{
  family (out, name, "gauge", NULL, help);
  sample (out, name, "", labels, NULL, value);
}

static void
counter (GString    *out,
         const char *name,
         const char *help,
         const char *labels,
         guint64     value)
{
  family (out, name, "counter", NULL, help);
  sample (out, name, "_total", labels, NULL, value);
}

/* A histogram in seconds: cumulative buckets, +Inf (equal to _count), _count, _sum. */
static void
histogram (GString           *out,
           const char        *name,
           const char        *help,
           const char        *labels,
           const DbHistogram *histogram)
{
  guint64 cumulative = 0;

  family (out, name, "histogram", "seconds", help);
  for (guint i = 0; i < DB_HISTOGRAM_N_BOUNDS; i++)
    {
      cumulative += histogram->buckets[i];
      g_string_append_printf (out, "%s_bucket{%s,le=\"", name, labels);
      _db_histogram_append_seconds (out, _db_histogram_bounds_us[i]);
      g_string_append_printf (out, "\"} %" G_GUINT64_FORMAT "\n", cumulative);
    }
  cumulative += histogram->buckets[DB_HISTOGRAM_N_BOUNDS];
  sample (out, name, "_bucket", labels, "le=\"+Inf\"", cumulative);
  sample (out, name, "_count", labels, NULL, histogram->count);
  sample_start (out, name, "_sum", labels, NULL);
  _db_histogram_append_seconds (out, histogram->sum_us);
  g_string_append_c (out, '\n');
}

/* The circuit breaker as an OpenMetrics StateSet: one sample per state, 1 for the
 * current one. */
static void
circuit_stateset (GString        *out,
                  const char     *labels,
                  DbCircuitState  state)
{
  static const char name[] = "dbpool_circuit_state";
  g_autoptr(GEnumClass) klass = g_type_class_ref (DB_TYPE_CIRCUIT_STATE);

  family (out, name, "stateset", NULL,
          "The circuit breaker: closed (opening connections works), open (failing fast), "
          "half-open (one trial open running).");
  for (guint i = 0; i < klass->n_values; i++)
    {
      g_autofree char *state_label = g_strdup_printf ("%s=\"%s\"", name,
                                                      klass->values[i].value_nick);

      sample (out, name, "", labels, state_label, klass->values[i].value == (int) state);
    }
}

/**
 * db_pool_get_metrics:
 * @self: a pool
 *
 * Writes the pool's statistics as [OpenMetrics](https://openmetrics.io) text, the
 * format Prometheus and the OpenTelemetry Collector scrape. The metrics are named
 * after OpenTelemetry's `db.client.connection.*` semantic conventions, with dots as
 * underscores and the unit as a suffix, and every sample carries a `pool_name` label
 * with [property@DbPool.PoolConfig:name]:
 *
 * - `db_client_connection_count` (gauge, `state` = `idle` or `used`)
 * - `db_client_connection_max`, `db_client_connection_idle_max` (gauges,
 *   [property@DbPool.PoolConfig:max-connections]) and
 *   `db_client_connection_idle_min` ([property@DbPool.PoolConfig:min-connections])
 * - `db_client_connection_pending_requests` (gauge)
 * - `db_client_connection_timeouts_total` (counter)
 * - `db_client_connection_create_time_seconds`,
 *   `db_client_connection_wait_time_seconds` and
 *   `db_client_connection_use_time_seconds` (histograms with fixed buckets from
 *   10 µs to 60 s)
 *
 * and the stats that have no OpenTelemetry name: `dbpool_connections_destroyed_total`,
 * `dbpool_connection_errors_total`, `dbpool_group_commits_total`,
 * `dbpool_group_commit_jobs_total`, `dbpool_max_wait_time_seconds` and the
 * `dbpool_circuit_state` state set. The text ends with `# EOF`. The monitoring guide
 * lists what each one means and shows how to serve it over HTTP.
 *
 * All values come from one snapshot taken under the pool's lock, so they agree with
 * each other (the wait-time histogram's `_count` is the
 * [property@DbPool.Pool:total-requests] of the same instant). Safe from any thread,
 * also after the pool was closed.
 *
 * Returns: (transfer full): the metrics as OpenMetrics text (UTF-8)
 */
char *
db_pool_get_metrics (DbPool *self)
{
  DbPoolMetricsSnapshot m;
  const DbPoolStats *stats = &m.snapshot.stats;
  GString *out;
  g_autoptr(GString) labels = g_string_new ("pool_name=\"");

  g_return_val_if_fail (DB_IS_POOL (self), NULL);

  _db_pool_core_snapshot_metrics (_db_pool_get_core (self), &m);
  append_label_value (labels, _db_pool_get_name (self));
  g_string_append_c (labels, '"');

  out = g_string_sized_new (8192);

  family (out, "db_client_connection_count", "gauge", NULL,
          "The number of connections that are currently in the state described by the "
          "state label.");
  sample (out, "db_client_connection_count", "", labels->str, "state=\"idle\"",
          stats->current_idle_connections);
  sample (out, "db_client_connection_count", "", labels->str, "state=\"used\"",
          stats->current_active_connections);
  /* Every open connection may be idle at once; min-connections is what maintenance
   * keeps open, idle or not, and never closes idle connections below. */
  gauge (out, "db_client_connection_idle_max",
         "The maximum number of idle open connections allowed.", labels->str,
         m.max_connections);
  gauge (out, "db_client_connection_idle_min",
         "The minimum number of idle open connections allowed.", labels->str,
         m.min_connections);
  gauge (out, "db_client_connection_max",
         "The maximum number of open connections allowed.", labels->str,
         m.max_connections);
  gauge (out, "db_client_connection_pending_requests",
         "The number of current pending requests for an open connection.", labels->str,
         stats->waiting_requests);
  counter (out, "db_client_connection_timeouts",
           "The number of connection timeouts that have occurred trying to obtain a "
           "connection from the pool.", labels->str, stats->timeouts);
  histogram (out, "db_client_connection_create_time_seconds",
             "The time it took to create a new connection.", labels->str,
             &m.histograms.create_time);
  histogram (out, "db_client_connection_wait_time_seconds",
             "The time it took to obtain an open connection from the pool (queued; "
             "opening a new one is create_time).", labels->str,
             &m.histograms.wait_time);
  histogram (out, "db_client_connection_use_time_seconds",
             "The time between borrowing a connection and returning it to the pool.",
             labels->str, &m.histograms.use_time);

  counter (out, "dbpool_connections_destroyed",
           "Connections closed: idle, expired, broken, or at close.", labels->str,
           stats->total_connections_destroyed);
  counter (out, "dbpool_connection_errors",
           "Failed opens, connections found broken and statements that failed because "
           "the disk was full.", labels->str, stats->connection_errors);
  counter (out, "dbpool_group_commits",
           "Transactions committed that carried write jobs.", labels->str,
           stats->group_commits);
  counter (out, "dbpool_group_commit_jobs",
           "Write jobs committed in those transactions.", labels->str,
           stats->group_commit_jobs);
  family (out, "dbpool_max_wait_time_seconds", "gauge", "seconds",
          "The longest single wait for a connection so far.");
  sample_start (out, "dbpool_max_wait_time_seconds", "", labels->str, NULL);
  _db_histogram_append_seconds (out, stats->max_wait_time_us);
  g_string_append_c (out, '\n');
  circuit_stateset (out, labels->str, m.snapshot.circuit_state);

  g_string_append (out, "# EOF\n");
  return g_string_free (out, FALSE);
}

/**
 * db_pool_get_stats_json:
 * @self: a pool
 *
 * Writes a snapshot of the pool's statistics as a compact JSON object: first exactly
 * the members of [method@DbPool.PoolStats.to_json], in the same order, then
 * `name` ([property@DbPool.PoolConfig:name]) and the three histograms
 * `wait-time-histogram`, `use-time-histogram` and `create-time-histogram`. Each
 * histogram is an object with `count`, `sum-us`, `bucket-bounds-us` (the inclusive
 * upper bounds, in microseconds) and `bucket-counts` (how many values fell in each
 * bucket, not cumulative, with one more entry than there are bounds: the values
 * above the last bound). These are the histograms of [method@DbPool.Pool.get_metrics].
 *
 * All values are taken at one instant: `wait-time-histogram`'s `count` and `sum-us`
 * are `total-requests` and `total-wait-time-us`. Safe from any thread.
 *
 * Returns: (transfer full): a JSON object as a string
 */
char *
db_pool_get_stats_json (DbPool *self)
{
  DbPoolMetricsSnapshot m;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (DB_IS_POOL (self), NULL);

  _db_pool_core_snapshot_metrics (_db_pool_get_core (self), &m);

  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  _db_pool_stats_add_json_members (&m.snapshot.stats, builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, _db_pool_get_name (self));
  _db_histogram_add_json (&m.histograms.wait_time, builder, "wait-time-histogram");
  _db_histogram_add_json (&m.histograms.use_time, builder, "use-time-histogram");
  _db_histogram_add_json (&m.histograms.create_time, builder, "create-time-histogram");
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}
