/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "db-slot-private.h"

G_BEGIN_DECLS

typedef struct _DbPool   DbPool;
typedef struct _DbWaiter DbWaiter;

typedef void (*DbWaiterDone) (DbPool   *pool,
                              DbWaiter *waiter);

/* Someone waiting for a connection. Sync waiters live on the waiting thread's stack
 * and sleep on @cond; async waiters live in their GTask's data and get @done called
 * (outside the lock) on whichever thread served them. Whoever takes the waiter off
 * the queue under the lock decides its outcome; everyone else backs off. Only the
 * core (db-pool-core.c, under its lock) changes the fields; its users fill @origin
 * before queueing. */
struct _DbWaiter
{
  GList         link;         /* in the waiter queue, then in a batch; data = self */
  gpointer      core;         /* borrowed: the DbPoolCore queueing it */
  DbAccess      access;
  DbLeaseOrigin origin;       /* filled only when leak detection is on */
  gint64        enqueued_us;
  guint         timeout_ms;   /* connection-timeout-ms when it was queued; 0 = none */
  gboolean      queued;
  gboolean      finished;

  /* outcome: exactly one of these */
  DbSlot       *slot;         /* an open connection */
  gboolean      open_slot;    /* permission to open a new connection */
  GError       *error;

  /* sync */
  GCond         cond;
  gboolean      sleeping;     /* in g_cond_wait(): only then does a grant signal @cond */
  gboolean      spinning;     /* watching @granted without the lock (counted in n_spinning) */
  gboolean      spun;         /* has spun once without being served: sleeps from now on */
  int           granted;      /* atomic: set when finished, for a spinning waiter */
  /* async */
  DbWaiterDone  done;
  GTask        *task;         /* owns the waiter */
  gboolean      holds_task;   /* the queue holds a reference on @task */
  GSource      *timeout_source;
  GSource      *cancel_source;
  GError     *(*timeout_error) (DbWaiter *waiter);
  gboolean    (*expire)        (GTask *task, GError *error);
};

/* Without the lock: until @waiter is granted or a short while has passed. */
void      _db_waiter_spin_for_grant (DbWaiter      *waiter);

/* Called by the core, under its lock, for a queued async waiter: a timeout (if
 * @timeout_ms) and the task's cancellable become GSources on the task's context,
 * which call @expire with a reference on the task and the error. */
void      _db_waiter_watch          (DbWaiter       *waiter,
                                     guint           timeout_ms,
                                     GError       *(*timeout_error) (DbWaiter *waiter),
                                     gboolean      (*expire)        (GTask *task, GError *error));

/* Called first by every done function: takes over the reference the queue held (if
 * the waiter was ever queued) and removes the timeout and cancellation sources. */
GTask    *_db_waiter_take_task      (DbWaiter      *waiter);
/* Frees what a finished async waiter still holds (task data destroy functions). */
void      _db_waiter_clear          (DbWaiter      *waiter);

GError   *_db_waiter_cancelled_error (void);

G_END_DECLS
