/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "db-histogram-private.h"

const guint64 _db_histogram_bounds_us[DB_HISTOGRAM_N_BOUNDS] = {
  10, 25, 50, 100, 250, 500,
  1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
  1000000, 2500000, 5000000, 10000000, 30000000, 60000000,
};

guint
_db_histogram_bucket_index (guint64 value_us)
{
  guint i;

  /* Most values are small: scanning up from the first bound ends soonest, and it is
   * cheaper than a bisection for 21 bounds. */
  for (i = 0; i < DB_HISTOGRAM_N_BOUNDS; i++)
    if (value_us <= _db_histogram_bounds_us[i])
      break;
  return i;
}

void
_db_histogram_record (DbHistogram *self,
                      guint64      value_us)
{
  self->count++;
  self->sum_us += value_us;
  self->buckets[_db_histogram_bucket_index (value_us)]++;
}

static void
add_uint64 (JsonBuilder *builder,
            guint64      value)
{
  /* JSON numbers here are gint64, as in db_pool_stats_to_json(). */
  json_builder_add_int_value (builder, (gint64) MIN (value, (guint64) G_MAXINT64));
}

void
_db_histogram_add_json (const DbHistogram *self,
                        JsonBuilder       *builder,
                        const char        *name)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "count");
  add_uint64 (builder, self->count);
  json_builder_set_member_name (builder, "sum-us");
  add_uint64 (builder, self->sum_us);
  json_builder_set_member_name (builder, "bucket-bounds-us");
  json_builder_begin_array (builder);
  for (guint i = 0; i < DB_HISTOGRAM_N_BOUNDS; i++)
    add_uint64 (builder, _db_histogram_bounds_us[i]);
  json_builder_end_array (builder);
  /* One more than the bounds: the last counts the values above the last bound. */
  json_builder_set_member_name (builder, "bucket-counts");
  json_builder_begin_array (builder);
  for (guint i = 0; i <= DB_HISTOGRAM_N_BOUNDS; i++)
    add_uint64 (builder, self->buckets[i]);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

void
_db_histogram_append_seconds (GString *out,
                              guint64  us)
{
  guint fraction = (guint) (us % G_USEC_PER_SEC);
  char digits[8];
  int len;

  g_string_append_printf (out, "%" G_GUINT64_FORMAT, us / G_USEC_PER_SEC);
  if (fraction == 0)
    return;
  len = g_snprintf (digits, sizeof digits, "%06u", fraction);
  while (len > 0 && digits[len - 1] == '0')
    len--;
  g_string_append_c (out, '.');
  g_string_append_len (out, digits, len);
}
