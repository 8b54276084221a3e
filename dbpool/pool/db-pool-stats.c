/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <json-glib/json-glib.h>

#include "db-pool-stats-table-private.h"

G_DEFINE_BOXED_TYPE (DbPoolStats, db_pool_stats, db_pool_stats_copy, db_pool_stats_free)

/**
 * db_pool_stats_copy:
 * @self: a stats snapshot
 *
 * Copies a stats snapshot.
 *
 * Returns: (transfer full): a new snapshot with the same values; free it with
 *   [method@DbPool.PoolStats.free]
 */
DbPoolStats *
db_pool_stats_copy (const DbPoolStats *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_memdup2 (self, sizeof *self);
}

/**
 * db_pool_stats_free: (skip)
 * @self: (nullable): a stats snapshot
 *
 * Frees a stats snapshot. Does nothing if @self is %NULL.
 */
void
db_pool_stats_free (DbPoolStats *self)
{
  g_free (self);
}

static void
add_uint64 (JsonBuilder *builder,
            const char  *name,
            guint64      value)
{
  json_builder_set_member_name (builder, name);
  /* JSON numbers here are gint64; a counter would need centuries to pass that. */
  json_builder_add_int_value (builder, (gint64) MIN (value, (guint64) G_MAXINT64));
}

void
_db_pool_stats_add_json_members (const DbPoolStats *self,
                                 JsonBuilder       *builder)
{
  DbPoolSnapshot snapshot = { 0 };

  /* The keys, their order and the values' source are the stats table's. */
  snapshot.stats = *self;
  for (guint i = 0; i < _db_pool_n_stats; i++)
    if (_db_pool_stats[i].in_stats)
      add_uint64 (builder, _db_pool_stats[i].name,
                  _db_pool_stat_get (&_db_pool_stats[i], &snapshot));
  add_uint64 (builder, "average-wait-time-us",
              self->total_wait_time_us / MAX (self->total_requests, 1));
}

/**
 * db_pool_stats_to_json:
 * @self: a stats snapshot
 *
 * Writes the snapshot as a compact JSON object for logs and monitoring. There is one
 * key per field, in the struct's order, named like the matching [class@DbPool.Pool]
 * property (`total-connections-created`, `active-connections`, `total-requests`,
 * ...), then the derived `average-wait-time-us` (`total-wait-time-us` divided by
 * `total-requests`, 0 when there were none). All values are integers.
 *
 * Returns: (transfer full): a JSON object as a string
 */
char *
db_pool_stats_to_json (const DbPoolStats *self)
{
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  _db_pool_stats_add_json_members (self, builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}
