/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every measured number as JSON, so that later runs can be compared with this one. */
#include <math.h>
#include <sys/utsname.h>

#include <json-glib/json-glib.h>

#include "bench-session.h"

static void
json_add_double (JsonBuilder *b,
                 const char  *key,
                 double       value)
{
  json_builder_set_member_name (b, key);
  if (isnan (value) || isinf (value))
    json_builder_add_null_value (b);
  else
    json_builder_add_double_value (b, value);
}

static void
json_add_array (JsonBuilder *b,
                const char  *key,
                GArray      *values)
{
  json_builder_set_member_name (b, key);
  json_builder_begin_array (b);
  for (guint i = 0; i < values->len; i++)
    {
      double v = g_array_index (values, double, i);

      if (isnan (v))
        json_builder_add_null_value (b);
      else
        json_builder_add_double_value (b, v);
    }
  json_builder_end_array (b);
}

char *
bench_session_to_json (BenchSession *session)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  struct utsname uts;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, "dbpool-bench/1");
  json_builder_set_member_name (b, "date");
  json_builder_add_string_value (b, session->date);
  json_builder_set_member_name (b, "quick");
  json_builder_add_boolean_value (b, session->quick);

  json_builder_set_member_name (b, "machine");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "cores");
  json_builder_add_int_value (b, g_get_num_processors ());
  json_builder_set_member_name (b, "cpu_model");
  json_builder_add_string_value (b, session->cpu_model);
  json_builder_set_member_name (b, "sqlite_version");
  json_builder_add_string_value (b, sqlite3_libversion ());
  json_builder_set_member_name (b, "glib_version");
  {
    g_autofree char *v = g_strdup_printf ("%u.%u.%u", glib_major_version, glib_minor_version, glib_micro_version);
    json_builder_add_string_value (b, v);
  }
  json_builder_set_member_name (b, "dbpool_version");
  json_builder_add_string_value (b, DBPOOL_VERSION_S);
  if (uname (&uts) == 0)
    {
      json_builder_set_member_name (b, "kernel");
      json_builder_add_string_value (b, uts.release);
    }
  json_builder_set_member_name (b, "load_average_start");
  json_builder_add_string_value (b, session->load_start);
  json_builder_set_member_name (b, "load_average_end");
  json_builder_add_string_value (b, session->load_end);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "plan");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "repeat");
  json_builder_add_int_value (b, session->plan.repeat);
  json_builder_set_member_name (b, "ops");
  json_builder_add_int_value (b, (gint64) session->plan.ops);
  json_add_double (b, "max_seconds", session->plan.max_seconds);
  json_builder_set_member_name (b, "items");
  json_builder_add_int_value (b, BENCH_N_ITEMS);
  json_builder_set_member_name (b, "pool_max_connections");
  json_builder_add_int_value (b, BENCH_POOL_MAX_CONNECTIONS);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "cases");
  json_builder_begin_array (b);
  for (guint i = 0; i < session->cases->len; i++)
    {
      BenchCase *c = g_ptr_array_index (session->cases, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "section");
      json_builder_add_string_value (b, c->section);
      json_builder_set_member_name (b, "contender");
      json_builder_add_string_value (b, bench_impl_name (c->spec.impl));
      json_builder_set_member_name (b, "synchronous");
      json_builder_add_string_value (b, bench_synchronous_name (c->spec.synchronous));
      json_builder_set_member_name (b, "workload");
      json_builder_add_string_value (b, bench_workload_name (c->spec.write_permille));
      json_builder_set_member_name (b, "write_permille");
      json_builder_add_int_value (b, c->spec.write_permille);
      json_builder_set_member_name (b, BENCH_IS_ASYNC (c->spec.impl) ? "in_flight" : "threads");
      json_builder_add_int_value (b, c->spec.threads);
      json_builder_set_member_name (b, "ops_requested");
      json_builder_add_int_value (b, (gint64) c->spec.ops);
      json_builder_set_member_name (b, "ops_done_last");
      json_builder_add_int_value (b, (gint64) c->ops);
      json_add_double (b, "ops_per_s_median", bench_median_of (c->ops_per_s));
      json_add_array (b, "ops_per_s", c->ops_per_s);
      json_add_array (b, "seconds", c->seconds);
      json_add_array (b, "cores_used", c->cores_used);
      if (c->spec.record_latency)
        {
          json_add_array (b, "read_p50_ns", c->read_p50);
          json_add_array (b, "read_p99_ns", c->read_p99);
          json_add_array (b, "write_p50_ns", c->write_p50);
          json_add_array (b, "write_p99_ns", c->write_p99);
        }
      if (c->pool_requests > 0)
        {
          json_builder_set_member_name (b, "pool_requests");
          json_builder_add_int_value (b, (gint64) c->pool_requests);
          json_builder_set_member_name (b, "pool_connections_created");
          json_builder_add_int_value (b, (gint64) c->pool_connections_created);
        }
      json_builder_set_member_name (b, "errors");
      json_builder_add_int_value (b, (gint64) c->errors);
      if (c->first_error != NULL)
        {
          json_builder_set_member_name (b, "first_error");
          json_builder_add_string_value (b, c->first_error);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "history");
  if (session->history_ran)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "producers");
      json_builder_add_int_value (b, 4);
      json_builder_set_member_name (b, "capture_messages");
      json_builder_add_int_value (b, session->history.messages);
      json_builder_set_member_name (b, "capture_diagnostics");
      json_builder_add_int_value (b, session->history.diagnostics);
      json_builder_set_member_name (b, "ingest_diagnostics");
      json_builder_add_int_value (b, (gint64) session->history.ingest_diagnostics);
      json_builder_set_member_name (b, "ingest_snapshots");
      json_builder_add_int_value (b, (gint64) session->history.ingest_snapshots);
      json_add_double (b, "ingest_seconds", session->history.ingest_seconds);
      json_add_double (b, "ingest_diagnostics_per_s", session->history.ingest_rate);
      json_add_double (b, "ingest_cores_used", session->history.ingest_cores);
      json_builder_set_member_name (b, "stored_diagnostics");
      json_builder_add_int_value (b, (gint64) session->history.stored_diagnostics);
      json_builder_set_member_name (b, "history_limit");
      json_builder_add_int_value (b, session->history.history_limit);
      json_builder_set_member_name (b, "query_count");
      json_builder_add_int_value (b, (gint64) session->history.query_count);
      json_add_double (b, "query_p50_ms", session->history.query_p50_ms);
      json_add_double (b, "query_p99_ms", session->history.query_p99_ms);
      json_add_double (b, "query_max_ms", session->history.query_max_ms);
      json_add_double (b, "concurrent_ingest_diagnostics_per_s", session->history.concurrent_ingest_rate);
      json_builder_set_member_name (b, "limit_threads");
      json_builder_add_int_value (b, session->history.limit_threads);
      json_add_double (b, "limit_parse_diagnostics_per_s", session->history.parse_rate);
      json_add_double (b, "limit_parse_one_thread_diagnostics_per_s", session->history.parse_rate_one_thread);
      json_add_double (b, "limit_insert_diagnostics_per_s", session->history.insert_rate);
      json_add_double (b, "limit_pipeline_diagnostics_per_s", session->history.pipeline_ceiling);
      json_builder_end_object (b);
    }
  else
    json_builder_add_null_value (b);

  json_builder_set_member_name (b, "targets");
  json_builder_begin_array (b);
  for (guint i = 0; i < session->targets->len; i++)
    {
      BenchTarget *t = g_ptr_array_index (session->targets, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "target");
      json_builder_add_string_value (b, t->name);
      json_add_double (b, "value", t->value);
      json_add_double (b, "threshold", t->threshold);
      json_builder_set_member_name (b, "comparison");
      json_builder_add_string_value (b, t->at_most ? "<=" : ">=");
      json_builder_set_member_name (b, "result");
      json_builder_add_string_value (b, !t->evaluated ? "n/a" : t->pass ? "PASS" : "MISS");
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  return json_generator_to_data (gen, NULL);
}
