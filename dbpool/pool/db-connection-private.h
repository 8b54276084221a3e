/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "db-connection.h"
#include "db-pool.h"
#include "db-slot-private.h"
#include "db-sqlite-private.h"

G_BEGIN_DECLS

/* A new lease on @slot; it holds a reference on @pool and gives @slot back to it
 * when released or finalized. */
DbConnection *_db_connection_new_lease       (DbPool       *pool,
                                              DbSlot       *slot,
                                              DbAccess      access);

/* While set, a statement running on the lease is interrupted when @cancellable
 * fires, and the interruption is reported as G_IO_ERROR_CANCELLED. */
void          _db_connection_set_cancellable (DbConnection *self,
                                              GCancellable *cancellable);

/* A GCancellable::cancelled handler (any thread): interrupts the statement running on
 * the lease, which then fails with G_IO_ERROR_CANCELLED. */
void          _db_connection_interrupt       (GCancellable *cancellable,
                                              DbConnection *self);

/* For DbStatement (db-statement.c): statements are checked out of the lease's
 * connection (after the lease's usability and read-only checks) and tracked by the
 * lease, which detaches every live one when it is released. */
sqlite3_stmt *_db_connection_checkout          (DbConnection  *self,
                                                const char    *sql,
                                                DbStmtEntry  **entry,
                                                GError       **error);
void          _db_connection_checkin           (DbConnection  *self,
                                                sqlite3_stmt  *stmt,
                                                DbStmtEntry   *entry);
void          _db_connection_track_statement   (DbConnection  *self,
                                                GList         *link);
void          _db_connection_untrack_statement (DbConnection  *self,
                                                GList         *link);
/* One freed DbStatement's memory, kept by the lease for the next prepare (a thread
 * looping over reacquire/prepare/release allocates nothing). keep_spare() returns
 * FALSE if the lease already keeps one. */
gpointer      _db_connection_take_spare        (DbConnection  *self);
gboolean      _db_connection_keep_spare        (DbConnection  *self,
                                                gpointer       memory);
/* SQLite's error for @rc as a GError (cancellation mapped, fatal codes noted). */
void          _db_connection_set_error         (DbConnection  *self,
                                                GError       **error,
                                                int            rc,
                                                const char    *sql);

G_END_DECLS
