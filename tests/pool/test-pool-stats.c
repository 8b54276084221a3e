/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The stats table (db-pool-stats-table.c) against what it is meant to describe:
 * DbPool's properties, DbPoolStats, the JSON, and the notifier. A stat added to one
 * of them and not to the table fails here. (tests/python/test_stats.py checks the
 * DbPoolStats fields one by one through introspection, which C cannot list.) */
#include <json-glib/json-glib.h>

#include "test-common.h"
#include "db-pool-notify-private.h"

#define STAT_FLAGS (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY)

static const DbPoolStat *
find_stat (const char *name)
{
  for (guint i = 0; i < _db_pool_n_stats; i++)
    if (g_str_equal (_db_pool_stats[i].name, name))
      return &_db_pool_stats[i];
  return NULL;
}

static GType
stat_value_type (const DbPoolStat *stat)
{
  switch (stat->type)
    {
    case DB_POOL_STAT_UINT:
      return G_TYPE_UINT;
    case DB_POOL_STAT_UINT64:
      return G_TYPE_UINT64;
    case DB_POOL_STAT_ENUM:
      return stat->enum_type ();
    default:
      g_assert_not_reached ();
    }
}

static gsize
stat_size (const DbPoolStat *stat)
{
  switch (stat->type)
    {
    case DB_POOL_STAT_UINT:
      return sizeof (guint);
    case DB_POOL_STAT_UINT64:
      return sizeof (guint64);
    case DB_POOL_STAT_ENUM:
      return sizeof (int);
    default:
      g_assert_not_reached ();
    }
}

static void
set_stat (DbPoolSnapshot   *snapshot,
          const DbPoolStat *stat,
          guint64           value)
{
  switch (stat->type)
    {
    case DB_POOL_STAT_UINT:
      G_STRUCT_MEMBER (guint, snapshot, stat->offset) = (guint) value;
      break;
    case DB_POOL_STAT_UINT64:
      G_STRUCT_MEMBER (guint64, snapshot, stat->offset) = value;
      break;
    case DB_POOL_STAT_ENUM:
      G_STRUCT_MEMBER (int, snapshot, stat->offset) = (int) value;
      break;
    default:
      g_assert_not_reached ();
    }
}

/* Every property of DbPool but :config and :backend is a stat of the table, and the other way
 * round, with the type and flags the table promises. */
static void
test_table_matches_properties (void)
{
  g_autoptr(GTypeClass) klass = g_type_class_ref (DB_TYPE_POOL);
  g_autofree GParamSpec **pspecs = NULL;
  guint n_pspecs = 0;
  guint n_stat_props = 0;

  pspecs = g_object_class_list_properties (G_OBJECT_CLASS (klass), &n_pspecs);
  for (guint i = 0; i < n_pspecs; i++)
    {
      const DbPoolStat *stat;

      /* Not stats: the config and the backend it selects. */
      if (g_str_equal (pspecs[i]->name, "config") || g_str_equal (pspecs[i]->name, "backend"))
        continue;
      g_test_message ("property %s", pspecs[i]->name);
      stat = find_stat (pspecs[i]->name);
      g_assert_nonnull (stat);
      g_assert_true (pspecs[i]->owner_type == DB_TYPE_POOL);
      g_assert_true (G_PARAM_SPEC_VALUE_TYPE (pspecs[i]) == stat_value_type (stat));
      g_assert_cmphex (pspecs[i]->flags, ==, STAT_FLAGS);
      n_stat_props++;
    }
  g_assert_cmpuint (n_stat_props, ==, _db_pool_n_stats);

  for (guint i = 0; i < _db_pool_n_stats; i++)
    g_assert_true (find_stat (_db_pool_stats[i].name) == &_db_pool_stats[i]);
}

/* The DbPoolStats entries are DbPoolStats fields, in the struct's order (the JSON
 * order), and leave no room in the struct for a field the table forgot: every gap is
 * alignment padding, smaller than the field after it. The others lie outside it. */
static void
test_table_layout (void)
{
  gsize end = 0;
  guint n_in_stats = 0;

  for (guint i = 0; i < _db_pool_n_stats; i++)
    {
      const DbPoolStat *stat = &_db_pool_stats[i];
      gsize size = stat_size (stat);

      g_test_message ("stat %s at %zu", stat->name, stat->offset);
      g_assert_cmpuint (stat->offset % size, ==, 0);
      if (!stat->in_stats)
        {
          g_assert_true (stat->type == DB_POOL_STAT_ENUM);
          g_assert_cmpuint (stat->offset, >=, sizeof (DbPoolStats));
          g_assert_cmpuint (stat->offset + size, <=, sizeof (DbPoolSnapshot));
          continue;
        }
      g_assert_true (stat->type != DB_POOL_STAT_ENUM);
      g_assert_cmpuint (stat->offset, >=, end);
      g_assert_cmpuint (stat->offset - end, <, size);
      end = stat->offset + size;
      n_in_stats++;
    }
  g_assert_cmpuint (n_in_stats, >, 0);
  g_assert_cmpuint (end, <=, sizeof (DbPoolStats));
  g_assert_cmpuint (sizeof (DbPoolStats) - end, <, G_ALIGNOF (DbPoolStats));
}

/* The JSON byte for byte: keys, order, values, the derived average. */
static void
test_json_format (void)
{
  DbPoolStats stats = {
    .total_connections_created = 1,
    .total_connections_destroyed = 2,
    .current_active_connections = 3,
    .current_idle_connections = 4,
    .waiting_requests = 5,
    .total_requests = 6,
    .total_wait_time_us = 7000000000000,
    .max_wait_time_us = 8,
    .connection_errors = 9,
    .timeouts = G_MAXUINT64,
    .group_commits = 10,
    .group_commit_jobs = 11,
  };
  g_autofree char *json = db_pool_stats_to_json (&stats);

  g_assert_cmpstr (json, ==,
                   "{\"total-connections-created\":1,"
                   "\"total-connections-destroyed\":2,"
                   "\"active-connections\":3,"
                   "\"idle-connections\":4,"
                   "\"waiting-requests\":5,"
                   "\"total-requests\":6,"
                   "\"total-wait-time-us\":7000000000000,"
                   "\"max-wait-time-us\":8,"
                   "\"connection-errors\":9,"
                   "\"timeouts\":9223372036854775807,"
                   "\"group-commits\":10,"
                   "\"group-commit-jobs\":11,"
                   "\"average-wait-time-us\":1166666666666}");
}

/* Each JSON key but the derived average is a stat property, in table order, and
 * carries the value at that stat's offset. */
static void
test_json_keys_are_properties (void)
{
  g_autoptr(GTypeClass) klass = g_type_class_ref (DB_TYPE_POOL);
  DbPoolSnapshot snapshot = { 0 };
  g_autofree char *json = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GList) members = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *object;
  GList *l;

  for (guint i = 0; i < _db_pool_n_stats; i++)
    if (_db_pool_stats[i].in_stats)
      set_stat (&snapshot, &_db_pool_stats[i], 1000 + i);

  json = db_pool_stats_to_json (&snapshot.stats);
  node = json_from_string (json, &error);
  g_assert_no_error (error);
  object = json_node_get_object (node);
  members = json_object_get_members (object);

  l = members;
  for (guint i = 0; i < _db_pool_n_stats; i++)
    {
      const DbPoolStat *stat = &_db_pool_stats[i];
      GParamSpec *pspec;

      if (!stat->in_stats)
        {
          g_assert_false (json_object_has_member (object, stat->name));
          continue;
        }
      g_assert_nonnull (l);
      g_assert_cmpstr (l->data, ==, stat->name);
      pspec = g_object_class_find_property (G_OBJECT_CLASS (klass), l->data);
      g_assert_nonnull (pspec);
      g_assert_true (G_PARAM_SPEC_VALUE_TYPE (pspec) == G_TYPE_UINT ||
                     G_PARAM_SPEC_VALUE_TYPE (pspec) == G_TYPE_UINT64);
      g_assert_cmpint (json_object_get_int_member (object, l->data), ==, 1000 + i);
      l = l->next;
    }
  g_assert_nonnull (l);
  g_assert_cmpstr (l->data, ==, "average-wait-time-us");
  g_assert_null (l->next);
}

/* A property read goes to the stat of its own id: reading every stat works (an id
 * the pool does not know warns, and warnings are fatal here) and gives what
 * db_pool_get_stats() says. */
static void
test_get_property (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 2);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(DbConnection) lease = test_acquire (pool, DB_ACCESS_WRITE);
  g_autoptr(DbPoolStats) stats = db_pool_get_stats (pool);
  DbPoolSnapshot snapshot = { .stats = *stats };

  for (guint i = 0; i < _db_pool_n_stats; i++)
    {
      const DbPoolStat *stat = &_db_pool_stats[i];
      g_auto(GValue) value = G_VALUE_INIT;

      g_object_get_property (G_OBJECT (pool), stat->name, &value);
      switch (stat->type)
        {
        case DB_POOL_STAT_UINT:
          g_assert_cmpuint (g_value_get_uint (&value), ==, _db_pool_stat_get (stat, &snapshot));
          break;
        case DB_POOL_STAT_UINT64:
          g_assert_cmpuint (g_value_get_uint64 (&value), ==, _db_pool_stat_get (stat, &snapshot));
          break;
        case DB_POOL_STAT_ENUM:
          g_assert_cmpint (g_value_get_enum (&value), ==, DB_CIRCUIT_CLOSED);
          break;
        default:
          g_assert_not_reached ();
        }
    }
  g_assert_cmpuint (stats->current_active_connections, ==, 1);
}

/* ---- notify:: ------------------------------------------------------------------ */

static DbPoolSnapshot fake;

static void
fake_snapshot (DbPool         *pool,
               DbPoolSnapshot *out)
{
  *out = fake;
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              gpointer    user_data)
{
  GPtrArray *notified = user_data;

  g_ptr_array_add (notified, (gpointer) pspec->name);
}

/* Runs @context until something was notified or, if nothing is, for a while. */
static void
dispatch (GMainContext *context,
          GPtrArray    *notified,
          guint         timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (notified->len == 0 && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (context, FALSE))
      g_usleep (1000);
}

/* A notifier fed with made-up snapshots: changing one stat notifies that stat's
 * property once, and nothing else. */
static void
test_notify_each_stat_once (void)
{
  g_autofree char *path = test_db_path ();
  g_autoptr(DbPoolConfig) config = test_config (path, 1, 1);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GPtrArray) notified = g_ptr_array_new ();
  g_autofree GParamSpec **pspecs = g_new (GParamSpec *, _db_pool_n_stats);
  DbPoolNotifier *notifier;

  for (guint i = 0; i < _db_pool_n_stats; i++)
    {
      pspecs[i] = g_object_class_find_property (G_OBJECT_GET_CLASS (pool), _db_pool_stats[i].name);
      g_assert_nonnull (pspecs[i]);
    }
  fake = (DbPoolSnapshot) { 0 };
  /* The pool's own notifier is on the default context, which nobody runs here. */
  notifier = _db_pool_notifier_new (pool, context, fake_snapshot, _db_pool_stats, pspecs,
                                    _db_pool_n_stats);
  g_signal_connect (pool, "notify", G_CALLBACK (count_notify), notified);

  for (guint i = 0; i < _db_pool_n_stats; i++)
    {
      const DbPoolStat *stat = &_db_pool_stats[i];

      g_test_message ("changing %s", stat->name);
      /* Above 32 bits where the stat has them: a comparison of the low half only
       * would miss it. */
      set_stat (&fake, stat, stat->type == DB_POOL_STAT_UINT64 ? G_GUINT64_CONSTANT (1) << 40 : 1);
      _db_pool_notifier_kick (notifier);
      dispatch (context, notified, 2000);
      g_assert_cmpuint (notified->len, ==, 1);
      g_assert_cmpstr (g_ptr_array_index (notified, 0), ==, stat->name);
      g_ptr_array_set_size (notified, 0);
    }

  /* Nothing changed: nothing notified. */
  _db_pool_notifier_kick (notifier);
  dispatch (context, notified, 100);
  g_assert_cmpuint (notified->len, ==, 0);

  g_signal_handlers_disconnect_by_data (pool, notified);
  _db_pool_notifier_free (notifier);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/stats/table/matches-properties", test_table_matches_properties);
  g_test_add_func ("/stats/table/layout", test_table_layout);
  g_test_add_func ("/stats/json/format", test_json_format);
  g_test_add_func ("/stats/json/keys-are-properties", test_json_keys_are_properties);
  g_test_add_func ("/stats/get-property", test_get_property);
  g_test_add_func ("/stats/notify/each-stat-once", test_notify_each_stat_once);

  return g_test_run ();
}
