/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Returning an async operation's GTask from a pool worker. g_task_return_*() called
 * off the task's context attaches one idle GSource per task there, and wakes the
 * context each time; these queue the result instead, and one source per context,
 * attached only while it has results to deliver, returns all of them from its
 * dispatch. A GTask returned on its own context's thread completes at once, so each
 * callback runs from that dispatch, in the order the results came in. Any thread;
 * each takes over @task. */
void _db_completion_return_pointer (GTask          *task,
                                    gpointer        result,
                                    GDestroyNotify  result_destroy);
void _db_completion_return_int     (GTask          *task,
                                    gssize          result);
void _db_completion_return_error   (GTask          *task,
                                    GError         *error);

G_END_DECLS
