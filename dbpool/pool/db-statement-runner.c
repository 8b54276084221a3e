/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The async statements' queue and the drainers that empty it.
 *
 * An operation arrives here holding its connection already (the core granted it),
 * so what is left is CPU work: bind, step, build the rows. A drainer is a job on
 * the pool's GThreadPool that runs queued operations until the queue is empty, then
 * ends. There are at most as many drainers as processors while they make progress:
 * more threads than cores only add wake-ups and context switches. If no operation
 * has finished for STALL_US (long statements, or a worker that is not scheduled),
 * a new operation starts one more drainer, so slow statements do not hold up quick
 * ones for long; the number of connections bounds the drainers in any case, as each
 * queued operation holds one.
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
  gint64   last_progress_us;  /* a drainer last took an operation */
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

static void
drain_job (gpointer data)
{
  g_autoptr(DbPool) pool = data;
  DbStatementRunner *self = _db_pool_get_statement_runner (pool);

  for (;;)
    {
      GList *l;
      Item *item;

      g_mutex_lock (&self->lock);
      self->last_progress_us = g_get_monotonic_time ();
      l = g_queue_pop_head_link (&self->items);
      if (l == NULL)
        {
          self->n_drainers--;
          g_mutex_unlock (&self->lock);
          return;
        }
      g_mutex_unlock (&self->lock);

      item = l->data;
      item->func (item->data);
      g_free (item);
    }
}

void
_db_statement_runner_push (DbStatementRunner *self,
                           DbJobFunc          func,
                           gpointer           data)
{
  Item *item;
  gboolean start;

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

  g_mutex_lock (&self->lock);
  g_queue_push_tail_link (&self->items, &item->link);
  start = self->n_drainers < self->max_drainers ||
          g_get_monotonic_time () - self->last_progress_us >= STALL_US;
  if (start)
    self->n_drainers++;
  g_mutex_unlock (&self->lock);

  if (start)
    _db_pool_push_job (self->pool, drain_job, g_object_ref (self->pool));
}
