/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gio/gio.h>

#include "db-bind-private.h"
#include "db-connection-private.h"
#include "db-statement-private.h"

/**
 * DbStatement:
 *
 * A prepared statement on a lease, with typed parameters and columns.
 *
 * Get one with [method@DbPool.Connection.prepare]. It is the fast path for statements
 * that run often: the SQLite statement comes from the connection's statement cache,
 * parameters are bound one by one with their type (no [struct@GLib.Variant] is
 * built), and each row is read in place with typed getters (no
 * [class@DbPool.Rows] is materialized).
 *
 * ```c
 * g_autoptr(DbStatement) stmt = db_connection_prepare (lease, "SELECT name FROM users WHERE id = ?", error);
 *
 * if (stmt == NULL || !db_statement_bind_int64 (stmt, 1, id, error))
 *   return FALSE;
 * while (db_statement_step (stmt, error))
 *   g_print ("%s\n", db_statement_get_string (stmt, 0));
 * ```
 *
 * As in SQLite, parameters are numbered from 1 and columns from 0. Binding after a
 * step starts the statement over (the other bindings are kept), so a loop can bind
 * and step again without resetting by hand.
 *
 * A statement belongs to its lease: use it on the thread that uses the lease. It holds
 * a reference on the lease, so the lease is not returned while a statement on it is
 * alive unless [method@DbPool.Connection.release] is called; after that the statement
 * no longer holds the lease and every call on it fails with %DB_POOL_ERROR_MISUSE
 * (getters return 0 or %NULL). A
 * statement on a %DB_ACCESS_READ lease that would write fails to prepare with
 * %DB_POOL_ERROR_READ_ONLY.
 */
struct _DbStatement
{
  gatomicrefcount  ref_count;
  GList            link;       /* in the lease's list of live statements; data = self */
  DbConnection    *lease;      /* strong; NULL once detached */
  DbBackendStmt   *stmt;       /* checked out of the lease's connection; NULL once detached */
  gboolean         stepped;    /* stepped since the last reset */
  gboolean         has_row;    /* the last step produced a row */
};

G_DEFINE_BOXED_TYPE (DbStatement, db_statement, db_statement_ref, db_statement_unref)

/**
 * db_connection_prepare:
 * @self: a lease
 * @sql: one SQL statement, with `?`, `?NNN`, `:name`, `@name` or `$name` parameters
 * @error: return location for an error
 *
 * Prepares @sql on this lease, from the connection's statement cache when it is there.
 * Preparing the same SQL again while an earlier statement for it is alive gives an
 * independent statement.
 *
 * Returns: (transfer full): the statement, or %NULL with @error set
 */
DbStatement *
db_connection_prepare (DbConnection  *self,
                       const char    *sql,
                       GError       **error)
{
  DbBackendStmt *stmt;
  DbStatement *statement;

  g_return_val_if_fail (DB_IS_CONNECTION (self), NULL);
  g_return_val_if_fail (sql != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  stmt = _db_connection_checkout (self, sql, error);
  if (stmt == NULL)
    return NULL;

  /* The memory of the last statement freed on this lease, if any. */
  statement = _db_connection_take_spare (self);
  if (statement == NULL)
    statement = g_new (DbStatement, 1);
  *statement = (DbStatement) {
    .link.data = statement,
    .lease = g_object_ref (self),
    .stmt = stmt,
  };
  g_atomic_ref_count_init (&statement->ref_count);
  _db_connection_track_statement (self, &statement->link);

  return statement;
}

/* Gives the backend statement back to the lease's connection and returns the
 * statement's reference on the lease, for the caller to drop. */
static DbConnection *
give_back (DbStatement *self)
{
  _db_backend_stmt_checkin (g_steal_pointer (&self->stmt));
  self->stepped = FALSE;
  self->has_row = FALSE;
  return g_steal_pointer (&self->lease);
}

void
_db_statement_detach (DbStatement *self)
{
  /* Detached for good: keeping the lease would pin it, and once reacquired the
   * connection in it, until this statement is freed. */
  g_object_unref (give_back (self));
}

/**
 * db_statement_ref:
 * @self: a statement
 *
 * Adds a reference.
 *
 * Returns: (transfer full): @self
 */
DbStatement *
db_statement_ref (DbStatement *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * db_statement_unref:
 * @self: (transfer full): a statement
 *
 * Drops a reference. The last one gives the prepared statement back to the lease's
 * connection (reset, bindings cleared) and drops the statement's reference on the
 * lease, unless the lease was released before.
 */
void
db_statement_unref (DbStatement *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  if (self->stmt != NULL)
    {
      DbConnection *lease;

      _db_connection_untrack_statement (self->lease, &self->link);
      lease = give_back (self);
      /* The next statement prepared on this lease reuses the memory. */
      if (!_db_connection_keep_spare (lease, self))
        g_free (self);
      g_object_unref (lease);
      return;
    }
  g_free (self);
}

static gboolean
check_attached (DbStatement  *self,
                GError      **error)
{
  if (self->stmt != NULL)
    return TRUE;
  g_set_error_literal (error, DB_POOL_ERROR, DB_POOL_ERROR_MISUSE,
                       "The statement's lease was already released");
  return FALSE;
}

/* Back to the start: the one place the statement's step state is reset. */
static void
restart (DbStatement *self)
{
  _db_backend_stmt_reset (self->stmt);
  self->stepped = FALSE;
  self->has_row = FALSE;
}

/* Every bind starts here: the statement must be attached, and binding needs one that
 * is not running, so a stepped statement starts over. */
static gboolean
begin_bind (DbStatement  *self,
            GError      **error)
{
  if (!check_attached (self, error))
    return FALSE;
  if (self->stepped)
    restart (self);
  return TRUE;
}

/**
 * db_statement_get_n_parameters:
 * @self: a statement
 *
 * How many parameters the statement has: the largest parameter number.
 *
 * Returns: the number of parameters (0 once the lease was released)
 */
guint
db_statement_get_n_parameters (DbStatement *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->stmt ? (guint) self->stmt->n_params : 0;
}

/**
 * db_statement_get_parameter_index:
 * @self: a statement
 * @name: a parameter name with its prefix, such as `:id`
 *
 * The number of a named parameter, for the `bind` functions.
 *
 * Returns: the parameter's number (from 1), or 0 if the statement has no such
 *   parameter
 */
guint
db_statement_get_parameter_index (DbStatement *self,
                                  const char  *name)
{
  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (name != NULL, 0);

  return self->stmt ? (guint) _db_backend_stmt_param_index (self->stmt, name) : 0;
}

/* The binds below are the binder's typed binds (db-bind-private.h), which
 * GVariant parameters go through too: the same checks, the same errors. */

/**
 * db_statement_bind_int64:
 * @self: a statement
 * @index: the parameter's number, from 1
 * @value: the value
 * @error: return location for an error
 *
 * Binds an integer to a parameter.
 *
 * Returns: %TRUE on success; %FALSE with %DB_POOL_ERROR_MISUSE for a number out of
 *   range or once the lease was released
 */
gboolean
db_statement_bind_int64 (DbStatement  *self,
                         guint         index,
                         gint64        value,
                         GError      **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return begin_bind (self, error) && _db_bind_int64 (self->stmt, index, value, error);
}

/**
 * db_statement_bind_double:
 * @self: a statement
 * @index: the parameter's number, from 1
 * @value: the value
 * @error: return location for an error
 *
 * Binds a floating-point number to a parameter.
 *
 * Returns: %TRUE on success; %FALSE with %DB_POOL_ERROR_MISUSE for a number out of
 *   range or once the lease was released
 */
gboolean
db_statement_bind_double (DbStatement  *self,
                          guint         index,
                          double        value,
                          GError      **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return begin_bind (self, error) && _db_bind_double (self->stmt, index, value, error);
}

/**
 * db_statement_bind_text:
 * @self: a statement
 * @index: the parameter's number, from 1
 * @value: (nullable): UTF-8 text, or %NULL for SQL NULL
 * @error: return location for an error
 *
 * Binds text to a parameter. The text is copied: @value may be freed at once.
 *
 * Returns: %TRUE on success; %FALSE with %DB_POOL_ERROR_INVALID_INPUT for text that
 *   is not valid UTF-8, or %DB_POOL_ERROR_MISUSE for a number out of range or once
 *   the lease was released
 */
gboolean
db_statement_bind_text (DbStatement  *self,
                        guint         index,
                        const char   *value,
                        GError      **error)
{
  const char *end = NULL;

  g_return_val_if_fail (self != NULL, FALSE);

  if (!check_attached (self, error))
    return FALSE;
  /* Bad input, not a programming error: checked before the parameter number. */
  if (value != NULL && !g_utf8_validate (value, -1, &end))
    {
      g_set_error (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_INPUT,
                   "Parameter %u is not valid UTF-8 (at byte %" G_GSIZE_FORMAT ")",
                   index, (gsize) (end - value));
      return FALSE;
    }
  if (!begin_bind (self, error))
    return FALSE;
  if (value == NULL)
    return _db_bind_null (self->stmt, index, error);
  /* g_utf8_validate() stopped at the NUL. */
  return _db_bind_text (self->stmt, index, value, (gsize) (end - value), error);
}

/**
 * db_statement_bind_bytes:
 * @self: a statement
 * @index: the parameter's number, from 1
 * @value: (nullable): the bytes, or %NULL for SQL NULL
 * @error: return location for an error
 *
 * Binds a blob to a parameter. The bytes are copied.
 *
 * Returns: %TRUE on success; %FALSE with %DB_POOL_ERROR_MISUSE for a number out of
 *   range or once the lease was released
 */
gboolean
db_statement_bind_bytes (DbStatement  *self,
                         guint         index,
                         GBytes       *value,
                         GError      **error)
{
  gconstpointer data;
  gsize size = 0;

  g_return_val_if_fail (self != NULL, FALSE);

  if (!begin_bind (self, error))
    return FALSE;
  if (value == NULL)
    return _db_bind_null (self->stmt, index, error);
  data = g_bytes_get_data (value, &size);
  return _db_bind_blob (self->stmt, index, data, size, error);
}

/**
 * db_statement_bind_null:
 * @self: a statement
 * @index: the parameter's number, from 1
 * @error: return location for an error
 *
 * Binds SQL NULL to a parameter.
 *
 * Returns: %TRUE on success; %FALSE with %DB_POOL_ERROR_MISUSE for a number out of
 *   range or once the lease was released
 */
gboolean
db_statement_bind_null (DbStatement  *self,
                        guint         index,
                        GError      **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return begin_bind (self, error) && _db_bind_null (self->stmt, index, error);
}

/**
 * db_statement_clear_bindings:
 * @self: a statement
 *
 * Starts the statement over and sets every parameter back to NULL.
 */
void
db_statement_clear_bindings (DbStatement *self)
{
  g_return_if_fail (self != NULL);

  if (self->stmt == NULL)
    return;
  db_statement_reset (self);
  _db_backend_stmt_clear_bindings (self->stmt);
}

/**
 * db_statement_step:
 * @self: a statement
 * @error: return location for an error
 *
 * Runs the statement to its next row. After the last row it returns %FALSE without
 * an error, and the next call starts the statement over with the same bindings.
 *
 * Returns: %TRUE if a row is available to the getters; %FALSE when there are no more
 *   rows or on failure (then @error is set and the statement starts over next time)
 */
gboolean
db_statement_step (DbStatement  *self,
                   GError      **error)
{
  DbStepResult step;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_attached (self, error))
    return FALSE;

  self->stepped = TRUE;
  step = _db_backend_stmt_step (self->stmt, error);
  if (G_LIKELY (step == DB_STEP_ROW))
    {
      self->has_row = TRUE;
      return TRUE;
    }

  self->has_row = FALSE;
  /* Reset now: a failed statement must not keep a read snapshot or lock open. */
  if (step == DB_STEP_ERROR)
    restart (self);
  return FALSE;
}

/**
 * db_statement_execute:
 * @self: a statement
 * @error: return location for an error
 *
 * Runs the statement to completion from its start, discarding any rows, and leaves it
 * ready to run again with the same bindings.
 *
 * Returns: the number of rows changed, or -1 with @error set
 */
gint64
db_statement_execute (DbStatement  *self,
                      GError      **error)
{
  gint64 changes;

  g_return_val_if_fail (self != NULL, -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  if (!check_attached (self, error))
    return -1;

  if (self->stepped)
    restart (self);
  changes = _db_backend_stmt_run_to_done (self->stmt, error);
  restart (self);
  return changes;
}

/**
 * db_statement_reset:
 * @self: a statement
 *
 * Starts the statement over, keeping its bindings, and ends the read it may hold open
 * (a statement stopped before its last row keeps its snapshot until then).
 */
void
db_statement_reset (DbStatement *self)
{
  g_return_if_fail (self != NULL);

  if (self->stmt != NULL)
    restart (self);
}

/**
 * db_statement_get_n_columns:
 * @self: a statement
 *
 * How many columns each row has.
 *
 * Returns: the number of result columns (0 for a statement returning no rows, or once
 *   the lease was released)
 */
guint
db_statement_get_n_columns (DbStatement *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->stmt ? (guint) _db_backend_stmt_column_count (self->stmt) : 0;
}

/**
 * db_statement_get_column_name:
 * @self: a statement
 * @column: a column, from 0
 *
 * The name of a result column (its `AS` name if it has one).
 *
 * Returns: (nullable): the name, valid while the statement is; %NULL once the lease was
 *   released
 */
const char *
db_statement_get_column_name (DbStatement *self,
                              guint        column)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (self->stmt == NULL)
    return NULL;
  g_return_val_if_fail (column < (guint) _db_backend_stmt_column_count (self->stmt), NULL);
  return _db_backend_stmt_column_name (self->stmt, (int) column);
}

/* Getters are for the current row only: a programming error otherwise. The column
 * count is the one the backend noted when the row came. */
#define CHECK_ROW(self, column, val)                                                  \
  G_STMT_START {                                                                      \
    g_return_val_if_fail ((self) != NULL, (val));                                     \
    g_return_val_if_fail ((self)->has_row, (val));                                    \
    g_return_val_if_fail ((column) < (guint) (self)->stmt->n_columns, (val));         \
  } G_STMT_END

/**
 * db_statement_is_null:
 * @self: a statement with a row (the last [method@DbPool.Statement.step] returned %TRUE)
 * @column: a column, from 0
 *
 * Whether a column of the current row is NULL.
 *
 * Returns: %TRUE if the value is SQL NULL
 */
gboolean
db_statement_is_null (DbStatement *self,
                      guint        column)
{
  CHECK_ROW (self, column, TRUE);

  return _db_backend_stmt_column_kind (self->stmt, (int) column) == DB_VALUE_NULL;
}

/**
 * db_statement_get_int64:
 * @self: a statement with a row
 * @column: a column, from 0
 *
 * A column of the current row as an integer, converted as SQLite converts (NULL is 0).
 *
 * Returns: the value
 */
gint64
db_statement_get_int64 (DbStatement *self,
                        guint        column)
{
  CHECK_ROW (self, column, 0);

  return _db_backend_stmt_column_int64 (self->stmt, (int) column);
}

/**
 * db_statement_get_double:
 * @self: a statement with a row
 * @column: a column, from 0
 *
 * A column of the current row as a floating-point number (NULL is 0.0).
 *
 * Returns: the value
 */
double
db_statement_get_double (DbStatement *self,
                         guint        column)
{
  CHECK_ROW (self, column, 0.0);

  return _db_backend_stmt_column_double (self->stmt, (int) column);
}

/**
 * db_statement_get_string:
 * @self: a statement with a row
 * @column: a column, from 0
 *
 * A column of the current row as text.
 *
 * Returns: (nullable) (transfer none): the text, or %NULL for SQL NULL; valid until the
 *   next step, reset or bind, or until the statement is freed
 */
const char *
db_statement_get_string (DbStatement *self,
                         guint        column)
{
  CHECK_ROW (self, column, NULL);

  return _db_backend_stmt_column_text (self->stmt, (int) column, NULL);
}

/**
 * db_statement_get_bytes:
 * @self: a statement with a row
 * @column: a column, from 0
 *
 * A column of the current row as bytes (text as its UTF-8 bytes).
 *
 * Returns: (nullable) (transfer full): a copy of the value, or %NULL for SQL NULL
 */
GBytes *
db_statement_get_bytes (DbStatement *self,
                        guint        column)
{
  gconstpointer data;
  gsize size;

  CHECK_ROW (self, column, NULL);

  if (_db_backend_stmt_column_kind (self->stmt, (int) column) == DB_VALUE_NULL)
    return NULL;
  data = _db_backend_stmt_column_blob (self->stmt, (int) column, &size);
  return g_bytes_new (data, size);
}
