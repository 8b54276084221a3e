/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pool's record of a connection, and the pool's only calls that open and close
 * raw connections through the backend. */
#include "db-slot-private.h"

DbSlot *
_db_slot_open (const DbBackend          *backend,
               const DbBackendSettings  *settings,
               GError                  **error)
{
  DbBackendConn *conn = _db_backend_open (backend, settings, error);
  DbSlot *slot;

  if (conn == NULL)
    return NULL;
  slot = g_new0 (DbSlot, 1);
  slot->link.data = slot;
  slot->conn = conn;
  return slot;
}

void
_db_slot_close (DbSlot *slot)
{
  _db_backend_conn_close (slot->conn, slot->truncate_log);
  g_free (slot);
}

gboolean
_db_slot_is_expired (DbSlot *slot,
                     guint   max_lifetime_ms,
                     gint64  now)
{
  return max_lifetime_ms > 0 &&
         now - slot->conn->created_at_us >= (gint64) max_lifetime_ms * 1000;
}
