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
  gint64          leased_at_us;   /* when it last went out on a lease (monotonic) */
  gboolean        leak_reported;
  DbLeaseOrigin   origin;
  gboolean        truncate_log;   /* when retired: the last connection of a closed pool */
} DbSlot;

G_END_DECLS
