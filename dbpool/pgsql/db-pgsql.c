/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The PostgreSQL backend's table of functions. */
#include "db-pgsql-conn-private.h"
#include "db-pgsql-private.h"

const DbBackend _db_pgsql_backend = {
  .name = "postgresql",

  .open = _db_pgsql_open,
  .close = _db_pgsql_close,
  .reset_for_reuse = _db_pgsql_reset_for_reuse,
  .set_read_only = _db_pgsql_set_read_only,
  .get_read_only = _db_pgsql_get_read_only,
  .check_not_moved = _db_pgsql_check_not_moved,
  .checkpoint = _db_pgsql_checkpoint,
  .interrupt = _db_pgsql_interrupt,
  .start_job = _db_pgsql_start_job,
  .get_handle = _db_pgsql_get_handle,

  /* The pool already lets one write lease run at a time, so the writer needs no
   * lock up front; readers take a snapshot that lasts the whole transaction, as
   * SQLite's readers do. */
  .begin_write_sql = "BEGIN",
  .begin_read_sql = "BEGIN ISOLATION LEVEL REPEATABLE READ",
  .in_transaction = _db_pgsql_in_transaction,
  .last_insert_rowid = _db_pgsql_last_insert_rowid,

  .checkout = _db_pgsql_checkout,
  .prepare_script = _db_pgsql_prepare_script,
  .checkin = _db_pgsql_checkin,
  .get_sql = _db_pgsql_get_sql,
  .is_read_only = _db_pgsql_is_read_only,
  .param_name = _db_pgsql_param_name,
  .param_index = _db_pgsql_param_index,
  .bind_null = _db_pgsql_bind_null,
  .bind_int64 = _db_pgsql_bind_int64,
  .bind_double = _db_pgsql_bind_double,
  .bind_text = _db_pgsql_bind_text,
  .bind_blob = _db_pgsql_bind_blob,
  .clear_bindings = _db_pgsql_clear_bindings,
  .step = _db_pgsql_step,
  .run_to_done = _db_pgsql_run_to_done,
  .reset = _db_pgsql_reset,
  .column_count = _db_pgsql_column_count,
  .column_name = _db_pgsql_column_name,
  .column_kind = _db_pgsql_column_kind,
  .column_int64 = _db_pgsql_column_int64,
  .column_double = _db_pgsql_column_double,
  .column_text = _db_pgsql_column_text,
  .column_blob = _db_pgsql_column_blob,
};
