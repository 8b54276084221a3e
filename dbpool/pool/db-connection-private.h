/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "db-backend-private.h"
#include "db-connection.h"
#include "db-pool.h"
#include "db-slot-private.h"

G_BEGIN_DECLS

/* A new lease on @slot's connection; it holds a reference on @pool and gives @slot
 * back to it when released or finalized. */
DbConnection  *_db_connection_new_lease       (DbPool        *pool,
                                               DbSlot        *slot,
                                               DbAccess       access);

/* Write jobs (db-write-batch.c): between begin_job() and end_job() the lease is lent
 * to a job's function inside a batch's transaction. begin()/commit()/rollback()
 * become savepoints, transaction statements are MISUSE, release() does nothing, the
 * job's interrupt and rowid start afresh. end_job() rolls back what the function
 * began and left open, and detaches its statements; FALSE (with @error) if that
 * rollback failed. */
void           _db_connection_begin_job       (DbConnection  *self);
/* FALSE once the connection saw an I/O error or corruption (it retires on release). */
gboolean       _db_connection_is_trusted      (DbConnection  *self);
gboolean       _db_connection_end_job         (DbConnection  *self,
                                               GError       **error);

/* A GCancellable::cancelled handler (any thread): interrupts the statement running on
 * the lease, which then fails with G_IO_ERROR_CANCELLED. */
void           _db_connection_interrupt       (GCancellable  *cancellable,
                                               DbConnection  *self);

/* For DbStatement (db-statement.c): statements are checked out of the lease's
 * connection (after the lease's usability and read-only checks) and tracked by the
 * lease, which detaches every live one when it is released. Check them in with
 * _db_backend_stmt_checkin(). */
DbBackendStmt *_db_connection_checkout          (DbConnection  *self,
                                                 const char    *sql,
                                                 GError       **error);
void           _db_connection_track_statement   (DbConnection  *self,
                                                 GList         *link);
void           _db_connection_untrack_statement (DbConnection  *self,
                                                 GList         *link);
/* One freed DbStatement's memory, kept by the lease for the next prepare (a thread
 * looping over reacquire/prepare/release allocates nothing). keep_spare() returns
 * FALSE if the lease already keeps one. */
gpointer       _db_connection_take_spare        (DbConnection  *self);
gboolean       _db_connection_keep_spare        (DbConnection  *self,
                                                 gpointer       memory);

/* The engine's handle behind db_connection_get_handle() (which the backend types):
 * NULL if the lease was released or the engine has none. */
gpointer       _db_connection_get_engine_handle (DbConnection  *self);

G_END_DECLS
