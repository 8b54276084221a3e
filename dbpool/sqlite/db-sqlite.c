/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The SQLite backend: its table of functions, the process-wide set-up, and the one
 * public function typed with SQLite's own handle. */
#include "db-connection-private.h"
#include "db-sqlite-conn-private.h"
#include "db-sqlite-private.h"

void
_db_sqlite_global_init (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      /* SQLite's global memory statistics take a process-wide mutex on every
       * allocation, serializing all connections. They can only be switched off before
       * SQLite initializes; if the application initialized it first, its choice stands
       * (sqlite3_config then returns SQLITE_MISUSE, which is fine). */
      if (sqlite3_config (SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK)
        g_debug ("SQLite was initialized before dbpool; leaving memory statistics as set");
      sqlite3_initialize ();

      /* Each handle is used by one thread at a time, which needs at least SQLite's
       * multi-thread mode. */
      if (sqlite3_threadsafe () == 0)
        g_critical ("dbpool: this SQLite was built with SQLITE_THREADSAFE=0 and cannot be pooled");

      g_once_init_leave (&initialized, 1);
    }
}

const DbBackend _db_sqlite_backend = {
  .name = "sqlite",

  .open = _db_sqlite_open,
  .close = _db_sqlite_close,
  .reset_for_reuse = _db_sqlite_reset_for_reuse,
  .set_read_only = _db_sqlite_set_read_only,
  .get_read_only = _db_sqlite_get_read_only,
  .check_not_moved = _db_sqlite_check_not_moved,
  .checkpoint = _db_sqlite_checkpoint,
  .interrupt = _db_sqlite_interrupt,
  .start_job = _db_sqlite_start_job,
  .get_handle = _db_sqlite_get_handle,

  /* The writer takes the write lock at BEGIN, so a later statement never fails with
   * BUSY halfway; readers get a deferred snapshot. */
  .begin_write_sql = "BEGIN IMMEDIATE",
  .begin_read_sql = "BEGIN",
  .in_transaction = _db_sqlite_in_transaction,
  .last_insert_rowid = _db_sqlite_last_insert_rowid,

  .checkout = _db_sqlite_checkout,
  .prepare_script = _db_sqlite_prepare_script,
  .checkin = _db_sqlite_checkin,
  .get_sql = _db_sqlite_get_sql,
  .is_read_only = _db_sqlite_is_read_only,
  .param_name = _db_sqlite_param_name,
  .param_index = _db_sqlite_param_index,
  .bind_null = _db_sqlite_bind_null,
  .bind_int64 = _db_sqlite_bind_int64,
  .bind_double = _db_sqlite_bind_double,
  .bind_text = _db_sqlite_bind_text,
  .bind_blob = _db_sqlite_bind_blob,
  .clear_bindings = _db_sqlite_clear_bindings,
  .step = _db_sqlite_step,
  .run_to_done = _db_sqlite_run_to_done,
  .reset = _db_sqlite_reset,
  .column_count = _db_sqlite_column_count,
  .column_name = _db_sqlite_column_name,
  .column_kind = _db_sqlite_column_kind,
  .column_int64 = _db_sqlite_column_int64,
  .column_double = _db_sqlite_column_double,
  .column_text = _db_sqlite_column_text,
  .column_blob = _db_sqlite_column_blob,
};

/**
 * db_connection_get_handle: (skip)
 * @self: a lease
 *
 * The raw SQLite handle, for C code that needs an API dbpool does not wrap. It is
 * valid until the lease is released; do not close it, change its pragmas or keep
 * statements prepared on it past the lease.
 *
 * Returns: (transfer none) (nullable): the handle, or %NULL if the lease was released
 */
sqlite3 *
db_connection_get_handle (DbConnection *self)
{
  g_return_val_if_fail (DB_IS_CONNECTION (self), NULL);

  /* Here, beside the backend, because it is the one public function typed with
   * SQLite's handle; the lease itself knows no engine. */
  return _db_connection_get_engine_handle (self);
}
