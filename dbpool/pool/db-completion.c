/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Results of async operations, delivered by one source per owner context.
 *
 * Threading, kept simple on purpose: one process-wide mutex guards the list of
 * sources and every source's queue; it is held only to push, to find a source or to
 * take a whole queue, never around a callback. A source is in the list exactly while
 * its queue is not empty: the worker that queues the first result creates and
 * attaches it (ready at once), and its dispatch takes the queue and the source out
 * of the list in one step, then returns the tasks without the lock. A result queued
 * meanwhile starts a new source, dispatched after this one: FIFO per context holds.
 * The source holds its tasks, each task its pool: nothing here outlives a pool
 * wrongly, and a context that is no longer used keeps no source. */
#include "db-completion-private.h"
#include "db-tuning-private.h"

typedef enum { RESULT_POINTER, RESULT_INT, RESULT_ERROR } ResultKind;

typedef struct
{
  GList           link;        /* data = self */
  GTask          *task;
  ResultKind      kind;
  gpointer        pointer;
  GDestroyNotify  destroy;
  gssize          value;
  GError         *error;
} Result;

typedef struct
{
  GSource       source;
  GMainContext *context;       /* borrowed: the source is attached to it */
  GQueue        results;       /* under completion_lock */
} CompletionSource;

static GMutex completion_lock;
static GPtrArray *sources;     /* CompletionSource, the ones with results, under the lock */

static void
result_deliver (Result *r)
{
  g_autoptr(GTask) task = r->task;

  if (r->kind == RESULT_POINTER)
    g_task_return_pointer (task, r->pointer, r->destroy);
  else if (r->kind == RESULT_INT)
    g_task_return_int (task, r->value);
  else
    g_task_return_error (task, r->error);
  g_free (r);
}

static gboolean
completion_dispatch (GSource     *source,
                     GSourceFunc  callback,
                     gpointer     user_data)
{
  CompletionSource *self = (CompletionSource *) source;
  GQueue results;
  GList *l;

  g_mutex_lock (&completion_lock);
  results = self->results;
  g_queue_init (&self->results);
  g_ptr_array_remove_fast (sources, self);
  g_mutex_unlock (&completion_lock);

  while ((l = g_queue_pop_head_link (&results)) != NULL)
    result_deliver (l->data);
  return G_SOURCE_REMOVE;
}

/* Only if the context is destroyed with results still queued (as GTask's own idle
 * sources would be): the tasks are dropped undelivered. */
static void
completion_finalize (GSource *source)
{
  CompletionSource *self = (CompletionSource *) source;
  GList *l;

  g_mutex_lock (&completion_lock);
  if (sources != NULL)
    g_ptr_array_remove_fast (sources, self);
  g_mutex_unlock (&completion_lock);
  while ((l = g_queue_pop_head_link (&self->results)) != NULL)
    {
      Result *r = l->data;

      if (r->kind == RESULT_POINTER && r->destroy != NULL && r->pointer != NULL)
        r->destroy (r->pointer);
      g_clear_error (&r->error);
      g_object_unref (r->task);
      g_free (r);
    }
}

static GSourceFuncs completion_funcs = {
  .dispatch = completion_dispatch,
  .finalize = completion_finalize,
};

static void
push (Result *r)
{
  GMainContext *context = g_task_get_context (r->task);
  CompletionSource *found = NULL;
  GSource *created = NULL;

  /* Off (dbpool-bench measures the trick): GTask's own idle source per result. */
  if (!_db_tuning.gathered_completions)
    {
      result_deliver (r);
      return;
    }

  r->link.data = r;
  g_mutex_lock (&completion_lock);
  if (sources == NULL)
    sources = g_ptr_array_new ();
  for (guint i = 0; found == NULL && i < sources->len; i++)
    if (((CompletionSource *) sources->pdata[i])->context == context)
      found = sources->pdata[i];
  if (found == NULL)
    {
      created = g_source_new (&completion_funcs, sizeof (CompletionSource));
      found = (CompletionSource *) created;
      found->context = context;
      g_queue_init (&found->results);
      g_source_set_static_name (created, "[dbpool] async completions");
      g_source_set_priority (created, g_task_get_priority (r->task));
      g_source_set_ready_time (created, 0);
      g_ptr_array_add (sources, found);
    }
  g_queue_push_tail_link (&found->results, &r->link);
  g_mutex_unlock (&completion_lock);

  /* Attached outside the lock (it takes the context's): until then it cannot be
   * dispatched, and results queued meanwhile simply join it. */
  if (created != NULL)
    {
      g_source_attach (created, context);
      g_source_unref (created);
    }
}

void
_db_completion_return_pointer (GTask          *task,
                               gpointer        result,
                               GDestroyNotify  result_destroy)
{
  Result *r = g_new0 (Result, 1);

  r->task = task;
  r->kind = RESULT_POINTER;
  r->pointer = result;
  r->destroy = result_destroy;
  push (r);
}

void
_db_completion_return_int (GTask  *task,
                           gssize  result)
{
  Result *r = g_new0 (Result, 1);

  r->task = task;
  r->kind = RESULT_INT;
  r->value = result;
  push (r);
}

void
_db_completion_return_error (GTask  *task,
                             GError *error)
{
  Result *r = g_new0 (Result, 1);

  r->task = task;
  r->kind = RESULT_ERROR;
  r->error = error;
  push (r);
}
