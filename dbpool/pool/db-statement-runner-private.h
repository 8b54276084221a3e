/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "db-pool-private.h"

G_BEGIN_DECLS

/* Runs the async statement operations (query_async, a reading execute_async) on a
 * few of the pool's workers, each taking queued operations one after the other
 * before it stops, instead of one worker woken per operation: on a machine with
 * few cores, waking many threads for short statements costs more than the
 * statements. See db-statement-runner.c for when it adds a worker. */
typedef struct _DbStatementRunner DbStatementRunner;

DbStatementRunner *_db_statement_runner_new  (DbPool            *pool);
void               _db_statement_runner_free (DbStatementRunner *self);
/* Any thread; @func (@data) runs on a pool worker. */
void               _db_statement_runner_push (DbStatementRunner *self,
                                              DbJobFunc          func,
                                              gpointer           data);

G_END_DECLS
