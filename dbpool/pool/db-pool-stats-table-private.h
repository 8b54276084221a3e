/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one description of the stats (db-pool-stats-table.c): the DbPool properties,
 * get_property, the notifier's comparison and the JSON are all made from it. */
#pragma once

#include <json-glib/json-glib.h>

#include "db-pool-stats.h"

G_BEGIN_DECLS

/* Everything a notify:: can announce, taken at one instant under the pool lock. */
typedef struct
{
  DbPoolStats    stats;
  DbCircuitState circuit_state;
} DbPoolSnapshot;

typedef enum
{
  DB_POOL_STAT_UINT,
  DB_POOL_STAT_UINT64,
  DB_POOL_STAT_ENUM,
} DbPoolStatType;

typedef struct
{
  const char      *name;              /* the DbPool property and the JSON key */
  gsize            offset;            /* of the value in DbPoolSnapshot */
  DbPoolStatType   type;
  gboolean         in_stats;          /* a DbPoolStats field, so also in the JSON */
  GType          (*enum_type) (void); /* DB_POOL_STAT_ENUM only */
} DbPoolStat;

/* In property order, which is also the JSON order. */
extern const DbPoolStat _db_pool_stats[];
extern const guint      _db_pool_n_stats;

/* The notifier keeps one bit per stat. */
#define DB_POOL_MAX_STATS 64

/* Inline: the notifier compares every stat of two snapshots on each dispatch. */
static inline guint64
_db_pool_stat_get (const DbPoolStat     *stat,
                   const DbPoolSnapshot *snapshot)
{
  switch (stat->type)
    {
    case DB_POOL_STAT_UINT:
      return G_STRUCT_MEMBER (guint, snapshot, stat->offset);
    case DB_POOL_STAT_UINT64:
      return G_STRUCT_MEMBER (guint64, snapshot, stat->offset);
    case DB_POOL_STAT_ENUM:
      return (guint) G_STRUCT_MEMBER (int, snapshot, stat->offset);
    default:
      g_assert_not_reached ();
    }
}

void         _db_pool_stat_get_value (const DbPoolStat     *stat,
                                      const DbPoolSnapshot *snapshot,
                                      GValue               *value);

/* Installs one read-only property per stat, with ids @first_prop_id + index.
 * Returns the pspecs in table order; they live as long as the class. */
GParamSpec **_db_pool_stats_install  (GObjectClass         *klass,
                                      guint                 first_prop_id);

/* Adds the members of db_pool_stats_to_json() to the object @builder is writing
 * (db_pool_get_stats_json() adds more after them). */
void         _db_pool_stats_add_json_members (const DbPoolStats *stats,
                                              JsonBuilder       *builder);

G_END_DECLS
