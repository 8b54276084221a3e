/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Stress: worker threads with blocking acquires and main-loop clients with the async
 * API hammer a sequence of pools on one database: random reads and writes,
 * transactions committed, rolled back or abandoned, cancellations, timeouts, and
 * pools closed while clients still run. Afterwards no lease is outstanding, the
 * connection counts add up, and the database holds exactly the writes that were
 * acknowledged. A watchdog aborts with a report instead of letting a deadlock hang.
 *
 * Environment knobs (defaults in brackets):
 *   DBPOOL_STRESS_OPS         client operations over all rounds [100000; 10000 under valgrind]
 *   DBPOOL_STRESS_ROUNDS      pools used one after the other [6]
 *   DBPOOL_STRESS_THREADS     threads using db_pool_acquire [6]
 *   DBPOOL_STRESS_CLIENTS     main-loop clients using the async API [8]
 *   DBPOOL_STRESS_STALL_S     watchdog: abort after this long without progress [60]
 *   DBPOOL_STRESS_DEADLINE_S  watchdog: abort when the whole test takes longer [280]
 *   (under valgrind the watchdog allows ten times as long)
 *   DBPOOL_STRESS_SEED        seed for the random choices [random]
 */
#include <stdlib.h>

#include "test-common.h"

#if defined(__has_include)
# if __has_include(<valgrind/valgrind.h>)
#  include <valgrind/valgrind.h>
# endif
#endif
#ifndef RUNNING_ON_VALGRIND
# define RUNNING_ON_VALGRIND 0
#endif

/* What became of each row id a client tried to write. */
enum {
  ID_UNUSED,
  ID_PENDING,    /* handed out, outcome not known yet */
  ID_ACKED,      /* the commit succeeded: the row must be there */
  ID_ABSENT,     /* the write failed, was cancelled or rolled back: it must not */
};

#define N_SLOTS 64

typedef struct _Round Round;

typedef struct
{
  guint64   target_ops;
  guint     n_rounds;
  guint     n_threads;
  guint     n_clients;
  guint32   seed;
  char     *path;

  GMutex    id_lock;
  gint64    next_id;         /* under id_lock */
  guint8   *ids;             /* ID_* per id */
  gsize     max_ids;

  /* progress and outcomes; atomic */
  gint      ops;
  gint      acked;
  gint      rolled_back;
  gint      timeouts;
  gint      cancelled;
  gint      closed;
  gint      constraint;
  gint      notifications;

  /* for the watchdog report */
  Round    *round;           /* atomic pointer */
  gint      round_index;     /* atomic */
} Stress;

struct _Round
{
  Stress       *stress;
  DbPool       *pool;
  guint         index;
  guint64       ops_end;         /* stop when stress->ops reaches this */
  gboolean      close_while_running;

  gint          stop;            /* atomic: clients start nothing new */
  gint          threads_running; /* atomic */
  guint         clients_running; /* main thread only */

  /* cancellables that sync threads wait with, cancelled by a timer */
  GMutex        slot_lock;
  GCancellable *slots[N_SLOTS];

  GAsyncResult *close_result;
};

static GThread *main_thread;
static Stress *the_stress;       /* for the watchdog */

static guint
env_uint (const char *name,
          guint       fallback)
{
  const char *value = g_getenv (name);

  return value != NULL && *value != '\0' ? (guint) g_ascii_strtoull (value, NULL, 10) : fallback;
}

/* ------------------------------------------------------------------------------- */
/* Ids and outcomes.                                                                */

/* Reserves @n fresh row ids; FALSE once the id space is used up. */
static gboolean
take_ids (Stress *stress,
          guint   n,
          gint64 *first)
{
  gboolean ok;

  g_mutex_lock (&stress->id_lock);
  ok = stress->next_id + n <= (gint64) stress->max_ids;
  if (ok)
    {
      *first = stress->next_id;
      stress->next_id += n;
      for (guint i = 0; i < n; i++)
        stress->ids[*first + i] = ID_PENDING;
    }
  g_mutex_unlock (&stress->id_lock);
  return ok;
}

static void
settle_ids (Stress *stress,
            gint64  first,
            guint   n,
            guint8  outcome)
{
  for (guint i = 0; i < n; i++)
    {
      g_assert_cmpint (stress->ids[first + i], ==, ID_PENDING);
      stress->ids[first + i] = outcome;
    }
  if (outcome == ID_ACKED)
    g_atomic_int_add (&stress->acked, n);
}

static void
count_op (Stress *stress)
{
  g_atomic_int_inc (&stress->ops);
}

static gboolean
budget_spent (Round *round)
{
  return (guint64) g_atomic_int_get (&round->stress->ops) >= round->ops_end;
}

/* Whether clients should start nothing new. In a round that closes its pool while
 * clients run, they go on past the budget until they see the pool closed. */
static gboolean
round_over (Round *round)
{
  if (g_atomic_int_get (&round->stop) || db_pool_is_closed (round->pool))
    return TRUE;
  return !round->close_while_running && budget_spent (round);
}

/* The errors a client may legitimately get; anything else fails the test. Returns
 * TRUE if the pool is closed, so the client should stop. */
static gboolean
expect_error (Round      *round,
              GError     *error,
              const char *what)
{
  Stress *stress = round->stress;

  g_assert_nonnull (error);
  if (g_error_matches (error, DB_POOL_ERROR, DB_POOL_ERROR_TIMEOUT))
    g_atomic_int_inc (&stress->timeouts);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_atomic_int_inc (&stress->cancelled);
  else if (g_error_matches (error, DB_POOL_ERROR, DB_POOL_ERROR_CLOSED))
    {
      g_atomic_int_inc (&stress->closed);
      return TRUE;
    }
  else
    g_error ("stress round %u: %s failed unexpectedly: %s (%s, %d)", round->index, what,
             error->message, g_quark_to_string (error->domain), error->code);
  return FALSE;
}

#define INSERT_SQL "INSERT INTO t (id, who, pad) VALUES (?, ?, zeroblob(?))"

static GVariant *
insert_params (gint64  id,
               guint   who,
               GRand  *rand)
{
  return g_variant_new ("(xuu)", id, who, (guint32) g_rand_int_range (rand, 0, 200));
}

/* Inserts ids first..first+n-1 on a write lease, one statement each. */
static gboolean
insert_each (DbConnection  *conn,
             gint64         first,
             guint          n,
             guint          who,
             GRand         *rand,
             GError       **error)
{
  for (guint i = 0; i < n; i++)
    if (db_connection_execute (conn, INSERT_SQL, insert_params (first + i, who, rand), error) != 1)
      return FALSE;
  return TRUE;
}

/* Commits ids first..first+n-1: in one transaction when n > 1. */
static gboolean
insert_rows (DbConnection  *conn,
             gint64         first,
             guint          n,
             guint          who,
             GRand         *rand,
             GError       **error)
{
  if (n == 1)
    return insert_each (conn, first, 1, who, rand, error);
  return db_connection_begin (conn, error) &&
         insert_each (conn, first, n, who, rand, error) &&
         db_connection_commit (conn, error);
}

/* ------------------------------------------------------------------------------- */
/* Threads with blocking acquires.                                                 */

typedef struct
{
  Round *round;
  guint  index;
  GRand *rand;
} Worker;

/* An acquire that the cancel timer may interrupt. */
static DbConnection *
acquire_cancellable (Worker    *worker,
                     DbAccess   access,
                     GError   **error)
{
  Round *round = worker->round;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  guint slot = worker->index % N_SLOTS;
  DbConnection *conn;

  g_mutex_lock (&round->slot_lock);
  g_set_object (&round->slots[slot], cancellable);
  g_mutex_unlock (&round->slot_lock);

  conn = db_pool_acquire (round->pool, access, cancellable, error);

  g_mutex_lock (&round->slot_lock);
  g_clear_object (&round->slots[slot]);
  g_mutex_unlock (&round->slot_lock);
  return conn;
}

static void
check_visible (Worker *worker,
               gint64  id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) conn = db_pool_acquire (worker->round->pool, DB_ACCESS_READ, NULL, &error);
  g_autoptr(DbRows) rows = NULL;

  if (conn == NULL)
    {
      expect_error (worker->round, error, "acquire (read back)");
      return;
    }
  rows = db_connection_query (conn, "SELECT count(*) FROM t WHERE id = ?",
                              g_variant_new ("(x)", id), &error);
  g_assert_no_error (error);
  /* A read started after an acknowledged commit sees it, on any connection. */
  g_assert_cmpint (db_rows_get_int64 (rows, 0, 0), ==, 1);
}

/* One random client operation. Returns FALSE once the pool is closed. */
static gboolean
worker_step (Worker *worker)
{
  Round *round = worker->round;
  Stress *stress = round->stress;
  GRand *rand = worker->rand;
  guint action = g_rand_int_range (rand, 0, 100);
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) conn = NULL;
  g_autoptr(DbRows) rows = NULL;
  gboolean closed = FALSE;

  count_op (stress);

  if (action < 30)
    {
      /* A read, released explicitly or by dropping the reference. */
      conn = db_pool_acquire (round->pool, DB_ACCESS_READ, NULL, &error);
      if (conn == NULL)
        return !expect_error (round, error, "acquire (read)");
      rows = db_connection_query (conn, "SELECT count(*), max(id) FROM t WHERE id BETWEEN ? AND ?",
                                  g_variant_new ("(xx)", (gint64) g_rand_int_range (rand, 0, 1000),
                                                 (gint64) g_rand_int_range (rand, 1000, 2000)),
                                  &error);
      g_assert_no_error (error);
      if (g_rand_boolean (rand))
        db_connection_release (conn);
    }
  else if (action < 60)
    {
      /* A write: committed, abandoned inside its transaction, or failing on a
       * constraint. */
      guint n = g_rand_int_range (rand, 1, 4);
      guint fate = g_rand_int_range (rand, 0, 20);
      gint64 first;

      conn = db_pool_acquire (round->pool, DB_ACCESS_WRITE, NULL, &error);
      if (conn == NULL)
        return !expect_error (round, error, "acquire (write)");
      if (!take_ids (stress, n, &first))
        return TRUE;

      if (fate == 0)
        {
          /* Released with the transaction open: the pool rolls it back. */
          g_assert_true (db_connection_begin (conn, &error));
          g_assert_true (insert_each (conn, first, n, worker->index, rand, &error));
          g_assert_no_error (error);
          g_assert_true (db_connection_in_transaction (conn));
          g_clear_object (&conn);
          settle_ids (stress, first, n, ID_ABSENT);
          g_atomic_int_inc (&stress->rolled_back);
        }
      else if (fate == 1)
        {
          /* Id 0 exists since the start: the transaction fails and is rolled back. */
          g_assert_true (db_connection_begin (conn, &error));
          g_assert_true (insert_each (conn, first, n, worker->index, rand, &error));
          g_assert_cmpint (db_connection_execute (conn, INSERT_SQL, insert_params (0, 0, rand), &error), ==, -1);
          g_assert_error (error, DB_POOL_ERROR, DB_POOL_ERROR_CONSTRAINT);
          g_clear_error (&error);
          g_assert_true (db_connection_rollback (conn, &error));
          g_assert_no_error (error);
          settle_ids (stress, first, n, ID_ABSENT);
          g_atomic_int_inc (&stress->constraint);
        }
      else
        {
          if (!insert_rows (conn, first, n, worker->index, rand, &error))
            g_error ("stress round %u: a write failed: %s", round->index, error->message);
          settle_ids (stress, first, n, ID_ACKED);
          g_clear_object (&conn);
          if (fate == 2)
            check_visible (worker, first + n - 1);
        }
    }
  else if (action < 72)
    {
      /* A wait the cancel timer may cut short. */
      DbAccess access = g_rand_boolean (rand) ? DB_ACCESS_READ : DB_ACCESS_WRITE;

      conn = acquire_cancellable (worker, access, &error);
      if (conn == NULL)
        return !expect_error (round, error, "acquire (cancellable)");
      g_usleep (g_rand_int_range (rand, 0, 300));
    }
  else if (action < 78)
    {
      /* Holding a lease for a while makes others queue and time out. */
      conn = db_pool_acquire (round->pool,
                              g_rand_boolean (rand) ? DB_ACCESS_READ : DB_ACCESS_WRITE,
                              NULL, &error);
      if (conn == NULL)
        return !expect_error (round, error, "acquire (long hold)");
      g_usleep (g_rand_int_range (rand, 300, 2000));
    }
  else if (action < 90)
    {
      /* Two read leases at once. */
      g_autoptr(DbConnection) second = NULL;

      conn = db_pool_acquire (round->pool, DB_ACCESS_READ, NULL, &error);
      if (conn == NULL)
        return !expect_error (round, error, "acquire (first of two)");
      /* Cancellable, so that threads each holding one and waiting for another can
       * never wedge a pool that has no timeout. */
      second = acquire_cancellable (worker, DB_ACCESS_READ, &error);
      if (second == NULL)
        closed = expect_error (round, error, "acquire (second of two)");
      else
        {
          rows = db_connection_query (second, "SELECT max(id) FROM t", NULL, &error);
          g_assert_no_error (error);
        }
    }
  else
    {
      /* Already cancelled: fails at once, whatever the pool's state. */
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();

      g_cancellable_cancel (cancellable);
      conn = db_pool_acquire (round->pool, DB_ACCESS_WRITE, cancellable, &error);
      g_assert_null (conn);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_atomic_int_inc (&stress->cancelled);
    }

  return !closed;
}

static gpointer
worker_thread (gpointer data)
{
  Worker *worker = data;
  Round *round = worker->round;

  while (!round_over (round))
    if (!worker_step (worker))
      break;

  g_atomic_int_add (&round->threads_running, -1);
  g_main_context_wakeup (NULL);
  g_rand_free (worker->rand);
  g_free (worker);
  return NULL;
}

static gboolean
cancel_tick (gpointer data)
{
  Round *round = data;
  guint slot = g_random_int_range (0, N_SLOTS);
  g_autoptr(GCancellable) victim = NULL;

  g_mutex_lock (&round->slot_lock);
  g_set_object (&victim, round->slots[slot]);
  g_mutex_unlock (&round->slot_lock);
  if (victim != NULL)
    g_cancellable_cancel (victim);
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------------------- */
/* Main-loop clients.                                                              */

typedef struct
{
  Round        *round;
  guint         index;
  GRand        *rand;
  gint64        first;
  guint         n;
  DbConnection *held;
} Client;

static void client_next (Client *client);

static gboolean
client_next_idle (gpointer data)
{
  client_next (data);
  return G_SOURCE_REMOVE;
}

static gboolean
cancel_later_cb (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

/* A cancellable for the next operation: none, or one cancelled at once, on the next
 * dispatch, or a little later, so cancels race every stage of the operation. */
static GCancellable *
client_cancellable (Client *client)
{
  GCancellable *cancellable;

  switch (g_rand_int_range (client->rand, 0, 10))
    {
    case 0:
      cancellable = g_cancellable_new ();
      g_idle_add_full (G_PRIORITY_DEFAULT, cancel_later_cb, g_object_ref (cancellable), g_object_unref);
      return cancellable;
    case 1:
      cancellable = g_cancellable_new ();
      g_timeout_add_full (G_PRIORITY_DEFAULT, g_rand_int_range (client->rand, 0, 3),
                          cancel_later_cb, g_object_ref (cancellable), g_object_unref);
      return cancellable;
    case 2:
      return g_cancellable_new ();   /* perhaps cancelled right after the call */
    default:
      return NULL;
    }
}

static gboolean
release_held_cb (gpointer data)
{
  Client *client = data;

  g_clear_object (&client->held);
  client_next (client);
  return G_SOURCE_REMOVE;
}

static void
acquired_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  Client *client = data;
  Round *round = client->round;
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) conn = db_pool_acquire_finish (DB_POOL (source), result, &error);

  g_assert_true (g_thread_self () == main_thread);
  if (conn == NULL)
    {
      if (client->n > 0)
        settle_ids (round->stress, client->first, client->n, ID_ABSENT);
      expect_error (round, error, "acquire_async");
      client_next (client);
      return;
    }

  if (db_connection_get_access (conn) == DB_ACCESS_WRITE && client->n > 0)
    {
      if (!insert_rows (conn, client->first, client->n, 1000 + client->index, client->rand, &error))
        g_error ("stress round %u: a write on an async lease failed: %s", round->index, error->message);
      settle_ids (round->stress, client->first, client->n, ID_ACKED);
    }
  else
    {
      g_autoptr(DbRows) rows = db_connection_query (conn, "SELECT max(id) FROM t", NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (db_rows_get_n_rows (rows), ==, 1);
    }

  if (g_rand_int_range (client->rand, 0, 4) == 0)
    {
      /* Keep it across a few dispatches before giving it back. */
      client->held = g_steal_pointer (&conn);
      g_timeout_add (g_rand_int_range (client->rand, 0, 3), release_held_cb, client);
      return;
    }
  client_next (client);
}

static void
executed_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  Client *client = data;
  g_autoptr(GError) error = NULL;
  gint64 changes = db_pool_execute_finish (DB_POOL (source), result, NULL, &error);

  g_assert_true (g_thread_self () == main_thread);
  if (changes == 1)
    settle_ids (client->round->stress, client->first, 1, ID_ACKED);
  else
    {
      /* Cancelled, timed out or closed before it committed: a committed write is
       * never reported as cancelled. */
      settle_ids (client->round->stress, client->first, 1, ID_ABSENT);
      expect_error (client->round, error, "execute_async");
    }
  client_next (client);
}

static void
queried_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  Client *client = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(DbRows) rows = db_pool_query_finish (DB_POOL (source), result, &error);

  g_assert_true (g_thread_self () == main_thread);
  if (rows == NULL)
    expect_error (client->round, error, "query_async");
  else
    g_assert_cmpuint (db_rows_get_n_rows (rows), ==, 1);
  client_next (client);
}

typedef struct
{
  gint64 id;
  guint  who;
} RunInsert;

static gpointer
run_insert_func (DbConnection  *conn,
                 gpointer       data,
                 GCancellable  *cancellable,
                 GError       **error)
{
  RunInsert *insert = data;

  g_assert_true (g_thread_self () != main_thread);
  if (db_connection_execute (conn, INSERT_SQL,
                             g_variant_new ("(xuu)", insert->id, insert->who, 16u), error) != 1)
    return NULL;
  return GINT_TO_POINTER (1);
}

static void
ran_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      data)
{
  Client *client = data;
  g_autoptr(GError) error = NULL;
  gpointer ret = db_pool_run_finish (DB_POOL (source), result, &error);

  g_assert_true (g_thread_self () == main_thread);
  if (ret != NULL)
    settle_ids (client->round->stress, client->first, 1, ID_ACKED);
  else
    {
      settle_ids (client->round->stress, client->first, 1, ID_ABSENT);
      expect_error (client->round, error, "run_async");
    }
  client_next (client);
}

static void
client_next (Client *client)
{
  Round *round = client->round;
  Stress *stress = round->stress;
  g_autoptr(GCancellable) cancellable = NULL;
  guint action;
  guint n_ids;

  if (round_over (round))
    {
      round->clients_running--;
      g_rand_free (client->rand);
      g_free (client);
      return;
    }

  client->n = 0;
  action = g_rand_int_range (client->rand, 0, 100);
  n_ids = action < 25 ? 1 : action < 50 ? 0 : action < 70 ? g_rand_int_range (client->rand, 1, 3)
        : action < 85 ? 0 : action < 95 ? 1 : 0;
  if (n_ids > 0 && !take_ids (stress, n_ids, &client->first))
    action = 30;   /* out of ids: read instead */
  else
    client->n = n_ids;
  if (action >= 95)
    {
      /* Nothing this time; come back on the next dispatch. */
      g_idle_add (client_next_idle, client);
      return;
    }

  count_op (stress);
  cancellable = client_cancellable (client);

  if (action < 25)
    db_pool_execute_async (round->pool, INSERT_SQL,
                           insert_params (client->first, 1000 + client->index, client->rand),
                           cancellable, executed_cb, client);
  else if (action < 50)
    db_pool_query_async (round->pool, "SELECT count(*) FROM t WHERE id BETWEEN ?1 AND ?1 + 100",
                         g_variant_new ("(x)", (gint64) g_rand_int_range (client->rand, 0, 100000)),
                         cancellable, queried_cb, client);
  else if (action < 70)
    db_pool_acquire_async (round->pool, DB_ACCESS_WRITE, cancellable, acquired_cb, client);
  else if (action < 85)
    db_pool_acquire_async (round->pool, DB_ACCESS_READ, cancellable, acquired_cb, client);
  else
    {
      RunInsert *insert = g_new0 (RunInsert, 1);

      insert->id = client->first;
      insert->who = 2000 + client->index;
      db_pool_run_async (round->pool, DB_ACCESS_WRITE, run_insert_func, insert, g_free,
                         cancellable, ran_cb, client);
    }

  if (cancellable != NULL && g_rand_int_range (client->rand, 0, 3) == 0)
    g_cancellable_cancel (cancellable);
}

/* ------------------------------------------------------------------------------- */
/* Rounds.                                                                         */

static void
on_notify (GObject    *object,
           GParamSpec *pspec,
           gpointer    data)
{
  Stress *stress = data;

  /* Stats signals only ever reach the owner context. */
  if (g_thread_self () != main_thread)
    g_error ("notify::%s emitted on a thread other than the pool's owner", pspec->name);
  g_atomic_int_inc (&stress->notifications);
}

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  GAsyncResult **out = data;

  *out = g_object_ref (result);
}

static DbPoolConfig *
round_config (Stress *stress,
              guint   index)
{
  DbPoolConfig *config = db_pool_config_new (stress->path);

  db_pool_config_set_exclusive (config, test_exclusive_mode ());
  switch (index % 4)
    {
    case 0:
      /* Small and churning: connections expire and idle out all the time. */
      db_pool_config_set_min_connections (config, 1);
      db_pool_config_set_max_connections (config, 3);
      db_pool_config_set_connection_timeout_ms (config, 10);
      db_pool_config_set_idle_timeout_ms (config, 20);
      db_pool_config_set_max_lifetime_ms (config, 100);
      db_pool_config_set_maintenance_interval_ms (config, 5);
      break;
    case 1:
      /* No timeout at all: every wait ends by a grant, a cancel or the close. */
      db_pool_config_set_min_connections (config, 0);
      db_pool_config_set_max_connections (config, 8);
      db_pool_config_set_connection_timeout_ms (config, 0);
      db_pool_config_set_maintenance_interval_ms (config, 10);
      break;
    case 2:
      /* Two connections and a 2 ms timeout: timeouts galore, no statement cache. */
      db_pool_config_set_min_connections (config, 2);
      db_pool_config_set_max_connections (config, 2);
      db_pool_config_set_connection_timeout_ms (config, 2);
      db_pool_config_set_statement_cache_size (config, 0);
      db_pool_config_set_maintenance_interval_ms (config, 7);
      break;
    default:
      /* Roomier, with a tiny statement cache that keeps evicting. */
      db_pool_config_set_min_connections (config, 2);
      db_pool_config_set_max_connections (config, 10);
      db_pool_config_set_connection_timeout_ms (config, 50);
      db_pool_config_set_statement_cache_size (config, 2);
      db_pool_config_set_maintenance_interval_ms (config, 3);
      break;
    }
  return config;
}

static void
assert_drained (DbPool *pool,
                guint   index)
{
  g_autoptr(DbPoolStats) stats = db_pool_get_stats (pool);

  if (stats->current_active_connections != 0 || stats->waiting_requests != 0 ||
      stats->current_idle_connections != 0 ||
      stats->total_connections_created != stats->total_connections_destroyed)
    g_error ("stress round %u: after close: active %u, waiting %u, idle %u, created %" G_GUINT64_FORMAT
             ", destroyed %" G_GUINT64_FORMAT, index, stats->current_active_connections,
             stats->waiting_requests, stats->current_idle_connections,
             stats->total_connections_created, stats->total_connections_destroyed);
}

static gboolean
balanced (DbPool *pool)
{
  g_autoptr(DbPoolStats) stats = db_pool_get_stats (pool);

  return stats->current_active_connections == 0 && stats->waiting_requests == 0 &&
         stats->total_connections_created - stats->total_connections_destroyed ==
         stats->current_idle_connections;
}

static void
wait_clients_done (Round *round)
{
  while (round->clients_running > 0 || g_atomic_int_get (&round->threads_running) > 0)
    g_main_context_iteration (NULL, TRUE);
}

static void
run_round (Stress  *stress,
           guint    index,
           GThread **threads)
{
  g_autoptr(DbPoolConfig) config = round_config (stress, index);
  g_autoptr(GError) error = NULL;
  g_autoptr(DbPoolStats) stats = NULL;
  Round round = { 0 };
  guint cancel_id;
  guint64 start_ops = g_atomic_int_get (&stress->ops);
  gint64 start_us = g_get_monotonic_time ();

  round.stress = stress;
  round.index = index;
  round.close_while_running = index % 2 == 1;
  round.ops_end = start_ops + (stress->target_ops - start_ops) / (stress->n_rounds - index);
  g_mutex_init (&round.slot_lock);
  round.pool = db_pool_new (config, NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (round.pool, "notify", G_CALLBACK (on_notify), stress);
  g_atomic_pointer_set (&stress->round, &round);
  g_atomic_int_set (&stress->round_index, index);

  cancel_id = g_timeout_add (1, cancel_tick, &round);

  g_atomic_int_set (&round.threads_running, stress->n_threads);
  for (guint i = 0; i < stress->n_threads; i++)
    {
      Worker *worker = g_new0 (Worker, 1);

      worker->round = &round;
      worker->index = i;
      worker->rand = g_rand_new_with_seed (stress->seed + 7919 * index + i);
      threads[i] = g_thread_new ("stress-worker", worker_thread, worker);
    }
  round.clients_running = stress->n_clients;
  for (guint i = 0; i < stress->n_clients; i++)
    {
      Client *client = g_new0 (Client, 1);

      client->round = &round;
      client->index = i;
      client->rand = g_rand_new_with_seed (stress->seed + 104729 * (index + 1) + i);
      client_next (client);
    }

  if (round.close_while_running)
    {
      /* Close as soon as the budget is spent, with clients still mid-operation:
       * queued and new acquires fail with CLOSED, outstanding leases are waited for. */
      while (!budget_spent (&round))
        g_main_context_iteration (NULL, TRUE);
      db_pool_close_async (round.pool, NULL, store_result, &round.close_result);
      while (round.close_result == NULL)
        g_main_context_iteration (NULL, TRUE);
      g_atomic_int_set (&round.stop, TRUE);
      wait_clients_done (&round);
      g_assert_true (db_pool_close_finish (round.pool, round.close_result, &error));
      g_assert_no_error (error);
    }
  else
    {
      /* Let everyone finish, check the books with the pool still open, then close. */
      wait_clients_done (&round);
      g_atomic_int_set (&round.stop, TRUE);
      /* Maintenance may hold an idle connection for a checkpoint a moment longer. */
      test_wait_until (balanced (round.pool), 10000);
      db_pool_close_async (round.pool, NULL, store_result, &round.close_result);
      while (round.close_result == NULL)
        g_main_context_iteration (NULL, TRUE);
      g_assert_true (db_pool_close_finish (round.pool, round.close_result, &error));
      g_assert_no_error (error);
    }

  for (guint i = 0; i < stress->n_threads; i++)
    g_thread_join (threads[i]);
  assert_drained (round.pool, index);

  stats = db_pool_get_stats (round.pool);
  g_test_message ("round %u (%s, %.1f s): %" G_GUINT64_FORMAT " ops so far; pool: %" G_GUINT64_FORMAT
                  " requests, %" G_GUINT64_FORMAT " timeouts, %" G_GUINT64_FORMAT " connections opened",
                  index, round.close_while_running ? "closed while running" : "closed when idle",
                  (g_get_monotonic_time () - start_us) / (double) G_USEC_PER_SEC,
                  (guint64) g_atomic_int_get (&stress->ops), stats->total_requests, stats->timeouts,
                  stats->total_connections_created);
  g_assert_cmpuint (stats->connection_errors, ==, 0);

  g_source_remove (cancel_id);
  g_atomic_pointer_set (&stress->round, NULL);
  for (guint i = 0; i < N_SLOTS; i++)
    g_clear_object (&round.slots[i]);
  g_mutex_clear (&round.slot_lock);
  g_clear_object (&round.close_result);
  /* Let the sources that still point at finished clients' cancellables run out. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_object_unref (round.pool);
}

/* ------------------------------------------------------------------------------- */
/* Watchdog.                                                                       */

typedef struct
{
  GMutex  lock;
  GCond   cond;
  gboolean done;
  guint   stall_s;
  guint   deadline_s;
} Watchdog;

static gpointer
watchdog_thread (gpointer data)
{
  Watchdog *dog = data;
  gint64 start = g_get_monotonic_time ();
  gint64 last_progress = start;
  gint last_ops = -1;

  g_mutex_lock (&dog->lock);
  while (!dog->done)
    {
      gint64 now = g_get_monotonic_time ();
      gint ops = g_atomic_int_get (&the_stress->ops);
      const char *why = NULL;

      if (ops != last_ops)
        {
          last_ops = ops;
          last_progress = now;
        }
      if (now - last_progress > (gint64) dog->stall_s * G_USEC_PER_SEC)
        why = "no operation completed";
      else if (now - start > (gint64) dog->deadline_s * G_USEC_PER_SEC)
        why = "the test ran past its deadline";

      if (why != NULL)
        {
          Round *round = g_atomic_pointer_get (&the_stress->round);

          g_printerr ("\nstress watchdog: %s (stall limit %u s, deadline %u s): probably a deadlock.\n"
                      "  round %d, %d operations done, %d acknowledged writes\n",
                      why, dog->stall_s, dog->deadline_s,
                      g_atomic_int_get (&the_stress->round_index), ops,
                      g_atomic_int_get (&the_stress->acked));
          if (round != NULL)
            {
              g_autoptr(DbPoolStats) stats = db_pool_get_stats (round->pool);
              g_autofree char *json = db_pool_stats_to_json (stats);

              g_printerr ("  threads still running %d, stop %d, closed %d\n  pool stats: %s\n",
                          g_atomic_int_get (&round->threads_running),
                          g_atomic_int_get (&round->stop),
                          db_pool_is_closed (round->pool), json);
            }
          abort ();
        }
      g_cond_wait_until (&dog->cond, &dog->lock, g_get_monotonic_time () + G_USEC_PER_SEC);
    }
  g_mutex_unlock (&dog->lock);
  return NULL;
}

/* ------------------------------------------------------------------------------- */

static void
verify_database (Stress *stress)
{
  g_autoptr(DbPoolConfig) config = test_config (stress->path, 1, 1);
  g_autoptr(DbPool) pool = test_pool_new (config);
  g_autoptr(GError) error = NULL;
  g_autoptr(DbConnection) conn = db_pool_acquire (pool, DB_ACCESS_READ, NULL, &error);
  g_autoptr(DbRows) check = NULL;
  g_autoptr(DbRows) rows = NULL;
  g_autofree guint8 *present = g_new0 (guint8, stress->max_ids);
  guint n_rows, n_acked = 0;

  g_assert_no_error (error);
  check = db_connection_query (conn, "PRAGMA integrity_check", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (db_rows_get_string (check, 0, 0), ==, "ok");

  rows = db_connection_query (conn, "SELECT id FROM t", NULL, &error);
  g_assert_no_error (error);
  n_rows = db_rows_get_n_rows (rows);
  for (guint i = 0; i < n_rows; i++)
    {
      gint64 id = db_rows_get_int64 (rows, i, 0);

      g_assert_cmpint (id, >=, 0);
      g_assert_cmpint (id, <, (gint64) stress->max_ids);
      present[id] = 1;
    }

  for (gint64 id = 1; id < stress->next_id; id++)
    {
      switch (stress->ids[id])
        {
        case ID_ACKED:
          n_acked++;
          if (!present[id])
            g_error ("acknowledged write %" G_GINT64_FORMAT " is missing", id);
          break;
        case ID_ABSENT:
          if (present[id])
            g_error ("write %" G_GINT64_FORMAT " was reported failed, cancelled or rolled back "
                     "but is in the database", id);
          break;
        default:
          g_error ("write %" G_GINT64_FORMAT " never got an outcome (state %u)", id, stress->ids[id]);
        }
    }
  for (gint64 id = stress->next_id; id < (gint64) stress->max_ids; id++)
    g_assert_false (present[id]);

  g_assert_cmpuint (n_acked, ==, (guint) g_atomic_int_get (&stress->acked));
  /* id 0 is the row written at the start. */
  g_assert_cmpuint (n_rows, ==, n_acked + 1);
}

static void
test_stress (void)
{
  Stress stress = { 0 };
  Watchdog dog = { 0 };
  const char *seed_env = g_getenv ("DBPOOL_STRESS_SEED");
  g_autofree GThread **threads = NULL;
  GThread *dog_thread;
  gint64 start = g_get_monotonic_time ();
  gdouble seconds;

  /* Valgrind runs threads one at a time, some fifty times slower. */
  stress.target_ops = env_uint ("DBPOOL_STRESS_OPS", RUNNING_ON_VALGRIND ? 10000 : 100000);
  stress.n_rounds = MAX (env_uint ("DBPOOL_STRESS_ROUNDS", 6), 1);
  stress.n_threads = env_uint ("DBPOOL_STRESS_THREADS", 6);
  stress.n_clients = env_uint ("DBPOOL_STRESS_CLIENTS", 8);
  stress.seed = seed_env ? (guint32) g_ascii_strtoull (seed_env, NULL, 10) : g_random_int ();
  stress.path = test_db_path ();
  /* Each operation writes at most three rows. */
  stress.max_ids = stress.target_ops * 3 + 1024;
  stress.ids = g_new0 (guint8, stress.max_ids);
  stress.next_id = 1;
  g_mutex_init (&stress.id_lock);
  the_stress = &stress;
  threads = g_new0 (GThread *, MAX (stress.n_threads, 1));

  g_test_message ("%" G_GUINT64_FORMAT " operations, %u rounds, %u threads, %u main-loop clients, "
                  "DBPOOL_STRESS_SEED=%u", stress.target_ops, stress.n_rounds, stress.n_threads,
                  stress.n_clients, stress.seed);

  {
    g_autoptr(DbPoolConfig) config = test_config (stress.path, 1, 1);
    g_autoptr(DbPool) pool = test_pool_new (config);
    g_autoptr(GError) error = NULL;
    g_autoptr(DbConnection) conn = db_pool_acquire (pool, DB_ACCESS_WRITE, NULL, &error);

    g_assert_no_error (error);
    db_connection_execute (conn, "CREATE TABLE t (id INTEGER PRIMARY KEY, who INTEGER NOT NULL, pad BLOB)",
                           NULL, &error);
    g_assert_no_error (error);
    db_connection_execute (conn, "INSERT INTO t (id, who) VALUES (0, 0)", NULL, &error);
    g_assert_no_error (error);
  }

  g_mutex_init (&dog.lock);
  g_cond_init (&dog.cond);
  dog.stall_s = env_uint ("DBPOOL_STRESS_STALL_S", RUNNING_ON_VALGRIND ? 600 : 60);
  dog.deadline_s = env_uint ("DBPOOL_STRESS_DEADLINE_S", RUNNING_ON_VALGRIND ? 3000 : 280);
  dog_thread = g_thread_new ("stress-watchdog", watchdog_thread, &dog);

  for (guint i = 0; i < stress.n_rounds; i++)
    run_round (&stress, i, threads);

  g_mutex_lock (&dog.lock);
  dog.done = TRUE;
  g_cond_signal (&dog.cond);
  g_mutex_unlock (&dog.lock);
  g_thread_join (dog_thread);

  verify_database (&stress);

  seconds = (g_get_monotonic_time () - start) / (gdouble) G_USEC_PER_SEC;
  g_test_message ("survived %d operations in %.1f s: %d writes acknowledged and present, "
                  "%d rolled back, %d constraint failures, %d timeouts, %d cancellations, "
                  "%d closed errors, %d notifications (all on the owner thread)",
                  g_atomic_int_get (&stress.ops), seconds, g_atomic_int_get (&stress.acked),
                  stress.rolled_back, stress.constraint, stress.timeouts, stress.cancelled,
                  stress.closed, stress.notifications);
  g_assert_cmpuint ((guint64) g_atomic_int_get (&stress.ops), >=, stress.target_ops);
  g_assert_cmpint (stress.acked, >, 0);

  the_stress = NULL;
  g_mutex_clear (&stress.id_lock);
  g_mutex_clear (&dog.lock);
  g_cond_clear (&dog.cond);
  g_free (stress.ids);
  g_free (stress.path);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  main_thread = g_thread_self ();

  g_test_add_func ("/stress/threads-and-main-loop", test_stress);

  return g_test_run ();
}
