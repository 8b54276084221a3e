/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "db-backend-private.h"
#include "db-pool-health-private.h"

G_BEGIN_DECLS

/* The pool's record of one open connection: its place in the pool's queues and what
 * leak detection needs. Everything here but @conn is guarded by the pool lock; the
 * raw connection itself belongs to whoever holds the slot. */
typedef struct
{
  GList           link;           /* in the idle or leased queue, or a batch; data = self */
  DbBackendConn  *conn;
  DbAccess        access;         /* of the lease it is out on */
  gint64          leased_at_us;   /* when it last went out on a lease (monotonic) */
  gboolean        leak_reported;
  gboolean        truncate_log;   /* the last one of a closed pool: empty the WAL */
  DbLeaseOrigin   origin;
} DbSlot;

/* A new connection through the backend, in a slot of its own. */
DbSlot   *_db_slot_open       (const DbBackend         *backend,
                               const DbBackendSettings *settings,
                               GError                 **error);
void      _db_slot_close      (DbSlot                *slot);
gboolean  _db_slot_is_expired (DbSlot                *slot,
                               guint                  max_lifetime_ms,
                               gint64                 now);

G_END_DECLS
