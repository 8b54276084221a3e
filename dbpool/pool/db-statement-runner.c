/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The async statements' queue and the drainers that empty it.
 *
 * An operation arrives here holding its connection already (the core granted it),
 * so what is left is CPU work: bind, step, build the rows. A drainer is a job on
 * the pool's GThreadPool that runs queued operations until the queue is empty, then
 * ends. There are at most as many drainers as processors while they make progress:
 * more threads than cores only add wake-ups and context switches. The runner is
 * stalled when no operation finished for STALL_US (long statements, or workers that
 * are not scheduled): then a new operation starts one more drainer, and a drainer
 * that takes an operation and leaves others queued starts another, so slow
 * statements hold up quick ones for about STALL_US, not for as long as they run.
 * Each queued operation holds a connection: max-connections bounds the drainers.
 *
 * Threading: one mutex, this runner's own, guards the queue and the counters; it is
 * never held while an operation runs. Each drainer holds a reference on the pool,
 * so the runner outlives it. FIFO holds: operations are taken in the order they
 * arrived. */
#include "db-statement-runner-private.h"
#include "db-tuning-private.h"

#define STALL_US 1000

typedef struct
{
  GList      link;          /* data = self */
  DbJobFunc  func;
  gpointer   data;
} Item;

struct _DbStatementRunner
{
  DbPool  *pool;              /* borrowed: the pool owns the runner */
  GMutex   lock;
  GQueue   items;
  guint    n_drainers;
  guint    max_drainers;      /* while they make progress */
  gint64   last_progress_us;  /* an operation last finished, or the runner woke up */
};

DbStatementRunner *
_db_statement_runner_new (DbPool *pool)
{
  DbStatementRunner *self = g_new0 (DbStatementRunner, 1);

  self->pool = pool;
  g_mutex_init (&self->lock);
  g_queue_init (&self->items);
  self->max_drainers = MAX (g_get_num_processors (), 1);
  self->last_progress_us = g_get_monotonic_time ();
  return self;
}

void
_db_statement_runner_free (DbStatementRunner *self)
{
  g_assert (self->items.length == 0 && self->n_drainers == 0);
  g_mutex_clear (&self->lock);
  g_free (self);
}

static inline gboolean
stalled_locked (DbStatementRunner *self,
                gint64             now)
{
  return now - self->last_progress_us >= STALL_US;
}

static void drain_job (gpointer data);

static void
start_drainer (DbStatementRunner *self)
{
  _db_pool_push_job (self->pool, drain_job, g_object_ref (self->pool));
}

static void
drain_job (gpointer data)
{
  g_autoptr(DbPool) pool = data;
  DbStatementRunner *self = _db_pool_get_statement_runner (pool);
  gboolean finished_one = FALSE;

  for (;;)
    {
      gint64 now = g_get_monotonic_time ();
      gboolean helper;
      GList *l;
      Item *item;

      g_mutex_lock (&self->lock);
      if (finished_one)
        self->last_progress_us = now;
      l = g_queue_pop_head_link (&self->items);
      if (l == NULL)
        {
          self->n_drainers--;
          g_mutex_unlock (&self->lock);
          return;
        }
      /* What this one leaves queued would wait for a stalled drainer. */
      helper = self->items.length > 0 && stalled_locked (self, now);
      if (helper)
        self->n_drainers++;
      g_mutex_unlock (&self->lock);

      if (helper)
        start_drainer (self);
      item = l->data;
      item->func (item->data);
      g_free (item);
      finished_one = TRUE;
    }
}

void
_db_statement_runner_push (DbStatementRunner *self,
                           DbJobFunc          func,
                           gpointer           data)
{
  Item *item;
  gboolean start;
  gint64 now;

  /* Off (dbpool-bench measures the trick): a worker woken per operation. */
  if (!_db_tuning.statement_runner)
    {
      _db_pool_push_job (self->pool, func, data);
      return;
    }

  item = g_new0 (Item, 1);
  item->link.data = item;
  item->func = func;
  item->data = data;

  now = g_get_monotonic_time ();
  g_mutex_lock (&self->lock);
  /* An idle runner is not stalled: it starts counting now. */
  if (self->n_drainers == 0)
    self->last_progress_us = now;
  g_queue_push_tail_link (&self->items, &item->link);
  start = self->n_drainers < self->max_drainers || stalled_locked (self, now);
  if (start)
    self->n_drainers++;
  g_mutex_unlock (&self->lock);

  if (start)
    start_drainer (self);
}
