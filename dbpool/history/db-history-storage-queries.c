/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The queries and the cleanup of DbHistoryStorage: the _async()/_finish() pairs of
 * get_file_history, get_latest, get_snapshot, list_latest, get_trend and cleanup, the
 * pool jobs they run and the GTask plumbing they share. The GObject, its construction
 * and migration, auto-cleanup and the record calls are in db-history-storage.c; this
 * file reaches the storage only through its public getters for the pool and config. */

#include "db-history-storage.h"
#include "db-history-private.h"

/* Queries and cleanup. Each is a GTask of ours wrapping a db_pool_run_async() job,
 * so that results are typed and the storage stays alive while its work is in
 * flight. */

/* The job's result, or NULL after returning the job's error on @task. */
static gpointer
finish_job (GTask        *task,
            DbPool       *pool,
            GAsyncResult *result)
{
  GError *error = NULL;
  gpointer value = db_pool_run_finish (pool, result, &error);

  if (error != NULL)
    g_task_return_error (task, error);
  return value;
}

typedef struct
{
  char   *file_uri;
  gint64  id;
  guint   limit;
  gint64  since_us;
  gint64  bucket_us;
  guint   retention_days;
  guint   max_snapshots_per_file;
} QueryData;

static void
query_data_free (gpointer data)
{
  QueryData *qd = data;

  g_free (qd->file_uri);
  g_free (qd);
}

/* NULL results are legitimate for some queries (no latest snapshot), so jobs hand
 * back a small box and failures are told apart by the error alone. */
typedef struct
{
  gpointer       value;
  GDestroyNotify free_value;
} ResultBox;

static ResultBox *
result_box_new (gpointer       value,
                GDestroyNotify free_value)
{
  ResultBox *box = g_new (ResultBox, 1);

  box->value = value;
  box->free_value = free_value;
  /* Built on a worker, read on the caller's thread. */
  return box;
}

static void
query_done (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autofree ResultBox *box = finish_job (task, DB_POOL (object), result);

  if (box == NULL)
    return;

  g_task_return_pointer (task, box->value, box->free_value);
}

static void
start_query (DbHistoryStorage    *self,
             DbAccess             access,
             DbConnectionFunc     job,
             QueryData           *qd,
             gpointer             source_tag,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, qd, query_data_free);

  db_pool_run_async (db_history_storage_get_pool (self), access, job, qd, NULL, cancellable,
                     query_done, g_steal_pointer (&task));
}

static gpointer
query_finish (DbHistoryStorage  *self,
              GAsyncResult      *result,
              gpointer           source_tag,
              GError           **error)
{
  g_return_val_if_fail (DB_IS_HISTORY_STORAGE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gpointer
file_history_job (DbConnection  *lease,
                  gpointer       user_data,
                  GCancellable  *cancellable,
                  GError       **error)
{
  QueryData *qd = user_data;
  GListModel *model = _db_history_query_file_history (lease, qd->file_uri, qd->limit, error);

  return model ? result_box_new (model, g_object_unref) : NULL;
}

/**
 * db_history_storage_get_file_history_async:
 * @self: a storage
 * @file_uri: the document's URI
 * @limit: the most snapshots to return, 0 for all
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called on the caller's thread-default main context
 * @user_data: data for @callback
 *
 * Reads the history of @file_uri, newest first. The snapshots are summaries:
 * they carry their id, time, version and per-severity counts (stored with the
 * snapshot, so this never reads diagnostics) but not the diagnostics themselves;
 * load one completely with [method@DbPool.HistoryStorage.get_snapshot_async].
 */
void
db_history_storage_get_file_history_async (DbHistoryStorage    *self,
                                           const char          *file_uri,
                                           guint                limit,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  QueryData *qd;

  g_return_if_fail (DB_IS_HISTORY_STORAGE (self));
  g_return_if_fail (file_uri != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  qd = g_new0 (QueryData, 1);
  qd->file_uri = g_strdup (file_uri);
  qd->limit = limit;
  start_query (self, DB_ACCESS_READ, file_history_job, qd,
               db_history_storage_get_file_history_async, cancellable, callback, user_data);
}

/**
 * db_history_storage_get_file_history_finish:
 * @self: a storage
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Finishes [method@DbPool.HistoryStorage.get_file_history_async].
 *
 * Returns: (transfer full): a list model of [class@DbPool.DiagnosticSnapshot]
 *   summaries, newest first (empty for an unknown file), or %NULL with @error set
 */
GListModel *
db_history_storage_get_file_history_finish (DbHistoryStorage  *self,
                                            GAsyncResult      *result,
                                            GError           **error)
{
  return query_finish (self, result, db_history_storage_get_file_history_async, error);
}

static gpointer
snapshot_job (DbConnection  *lease,
              gpointer       user_data,
              GCancellable  *cancellable,
              GError       **error)
{
  QueryData *qd = user_data;
  GError *local_error = NULL;
  DbDiagnosticSnapshot *snapshot;

  snapshot = _db_history_query_snapshot (lease, qd->file_uri, qd->id, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  return result_box_new (snapshot, g_object_unref);
}

/**
 * db_history_storage_get_latest_async:
 * @self: a storage
 * @file_uri: the document's URI
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called on the caller's thread-default main context
 * @user_data: data for @callback
 *
 * Reads the newest snapshot of @file_uri with all its diagnostics.
 */
void
db_history_storage_get_latest_async (DbHistoryStorage    *self,
                                     const char          *file_uri,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  QueryData *qd;

  g_return_if_fail (DB_IS_HISTORY_STORAGE (self));
  g_return_if_fail (file_uri != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  qd = g_new0 (QueryData, 1);
  qd->file_uri = g_strdup (file_uri);
  start_query (self, DB_ACCESS_READ, snapshot_job, qd,
               db_history_storage_get_latest_async, cancellable, callback, user_data);
}

/**
 * db_history_storage_get_latest_finish:
 * @self: a storage
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Finishes [method@DbPool.HistoryStorage.get_latest_async].
 *
 * Returns: (transfer full) (nullable): the newest snapshot, with its diagnostics;
 *   %NULL without an error when the file has no history, or %NULL with @error set
 */
DbDiagnosticSnapshot *
db_history_storage_get_latest_finish (DbHistoryStorage  *self,
                                      GAsyncResult      *result,
                                      GError           **error)
{
  return query_finish (self, result, db_history_storage_get_latest_async, error);
}

/**
 * db_history_storage_get_snapshot_async:
 * @self: a storage
 * @id: a snapshot id, as returned when it was recorded or found in a history
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called on the caller's thread-default main context
 * @user_data: data for @callback
 *
 * Reads one stored snapshot with all its diagnostics.
 */
void
db_history_storage_get_snapshot_async (DbHistoryStorage    *self,
                                       gint64               id,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  QueryData *qd;

  g_return_if_fail (DB_IS_HISTORY_STORAGE (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  qd = g_new0 (QueryData, 1);
  qd->id = id;
  start_query (self, DB_ACCESS_READ, snapshot_job, qd,
               db_history_storage_get_snapshot_async, cancellable, callback, user_data);
}

/**
 * db_history_storage_get_snapshot_finish:
 * @self: a storage
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Finishes [method@DbPool.HistoryStorage.get_snapshot_async].
 *
 * Returns: (transfer full) (nullable): the snapshot with its diagnostics; %NULL
 *   without an error when there is no such snapshot (any more), or %NULL with
 *   @error set
 */
DbDiagnosticSnapshot *
db_history_storage_get_snapshot_finish (DbHistoryStorage  *self,
                                        GAsyncResult      *result,
                                        GError           **error)
{
  return query_finish (self, result, db_history_storage_get_snapshot_async, error);
}

static gpointer
latest_per_file_job (DbConnection  *lease,
                     gpointer       user_data,
                     GCancellable  *cancellable,
                     GError       **error)
{
  GListModel *model = _db_history_query_latest_per_file (lease, error);

  return model ? result_box_new (model, g_object_unref) : NULL;
}

/**
 * db_history_storage_list_latest_async:
 * @self: a storage
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called on the caller's thread-default main context
 * @user_data: data for @callback
 *
 * Reads the newest snapshot of every file in the history, as summaries with
 * their per-severity counts (for instance to list the files with the most
 * errors), ordered by file URI.
 */
void
db_history_storage_list_latest_async (DbHistoryStorage    *self,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_return_if_fail (DB_IS_HISTORY_STORAGE (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  start_query (self, DB_ACCESS_READ, latest_per_file_job, g_new0 (QueryData, 1),
               db_history_storage_list_latest_async, cancellable, callback, user_data);
}

/**
 * db_history_storage_list_latest_finish:
 * @self: a storage
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Finishes [method@DbPool.HistoryStorage.list_latest_async].
 *
 * Returns: (transfer full): a list model of [class@DbPool.DiagnosticSnapshot]
 *   summaries, one per file, or %NULL with @error set
 */
GListModel *
db_history_storage_list_latest_finish (DbHistoryStorage  *self,
                                       GAsyncResult      *result,
                                       GError           **error)
{
  return query_finish (self, result, db_history_storage_list_latest_async, error);
}

static gpointer
trend_job (DbConnection  *lease,
           gpointer       user_data,
           GCancellable  *cancellable,
           GError       **error)
{
  QueryData *qd = user_data;
  GVariant *trend = _db_history_query_trend (lease, qd->file_uri, qd->since_us, qd->bucket_us,
                                             error);

  return trend ? result_box_new (trend, (GDestroyNotify) g_variant_unref) : NULL;
}

/**
 * db_history_storage_get_trend_async:
 * @self: a storage
 * @file_uri: (nullable): one document's URI, or %NULL for all files together
 * @since_us: the start of the first bucket, wall-clock microseconds since the epoch
 * @bucket_us: the width of a bucket in microseconds; must be positive
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called on the caller's thread-default main context
 * @user_data: data for @callback
 *
 * Computes how many diagnostics of each severity the file (or all files) had
 * over time. Time from @since_us on is cut into buckets of @bucket_us; there is
 * one entry for each bucket in which at least one snapshot was recorded, holding
 * the state at the end of that bucket: every file counts with its newest snapshot
 * recorded before the bucket's end (a file last published before @since_us still
 * counts), so a file that was not republished keeps its diagnostics rather than
 * dropping to zero.
 */
void
db_history_storage_get_trend_async (DbHistoryStorage    *self,
                                    const char          *file_uri,
                                    gint64               since_us,
                                    gint64               bucket_us,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  QueryData *qd;

  g_return_if_fail (DB_IS_HISTORY_STORAGE (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (bucket_us <= 0)
    {
      g_task_report_new_error (self, callback, user_data, db_history_storage_get_trend_async,
                               DB_POOL_ERROR, DB_POOL_ERROR_INVALID_INPUT,
                               "Invalid trend bucket width %" G_GINT64_FORMAT
                               " µs: it must be positive", bucket_us);
      return;
    }

  qd = g_new0 (QueryData, 1);
  qd->file_uri = g_strdup (file_uri);
  qd->since_us = since_us;
  qd->bucket_us = bucket_us;
  start_query (self, DB_ACCESS_READ, trend_job, qd,
               db_history_storage_get_trend_async, cancellable, callback, user_data);
}

/**
 * db_history_storage_get_trend_finish:
 * @self: a storage
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Finishes [method@DbPool.HistoryStorage.get_trend_async].
 *
 * Returns: (transfer full): an `a(xuuuu)` array of (bucket start, errors,
 *   warnings, informations, hints) in time order, or %NULL with @error set
 */
GVariant *
db_history_storage_get_trend_finish (DbHistoryStorage  *self,
                                     GAsyncResult      *result,
                                     GError           **error)
{
  return query_finish (self, result, db_history_storage_get_trend_async, error);
}

static gpointer
cleanup_job (DbConnection  *lease,
             gpointer       user_data,
             GCancellable  *cancellable,
             GError       **error)
{
  QueryData *qd = user_data;
  guint removed = 0;

  if (!_db_history_cleanup (lease, qd->retention_days, qd->max_snapshots_per_file,
                            &removed, error))
    return NULL;
  return result_box_new (GUINT_TO_POINTER (removed), NULL);
}

/**
 * db_history_storage_cleanup_async:
 * @self: a storage
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called on the caller's thread-default main context
 * @user_data: data for @callback
 *
 * Removes, in one transaction, the snapshots (and their diagnostics) older than
 * [property@DbPool.HistoryConfig:retention-days] and those beyond the newest
 * [property@DbPool.HistoryConfig:max-snapshots-per-file] of each file.
 */
void
db_history_storage_cleanup_async (DbHistoryStorage    *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  DbHistoryConfig *config;
  QueryData *qd;

  g_return_if_fail (DB_IS_HISTORY_STORAGE (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  qd = g_new0 (QueryData, 1);
  config = db_history_storage_get_config (self);
  qd->retention_days = db_history_config_get_retention_days (config);
  qd->max_snapshots_per_file = db_history_config_get_max_snapshots_per_file (config);
  start_query (self, DB_ACCESS_WRITE, cleanup_job, qd,
               db_history_storage_cleanup_async, cancellable, callback, user_data);
}

/**
 * db_history_storage_cleanup_finish:
 * @self: a storage
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Finishes [method@DbPool.HistoryStorage.cleanup_async].
 *
 * Returns: how many snapshots were removed; 0 with @error set on failure
 */
guint
db_history_storage_cleanup_finish (DbHistoryStorage  *self,
                                   GAsyncResult      *result,
                                   GError           **error)
{
  return GPOINTER_TO_UINT (query_finish (self, result, db_history_storage_cleanup_async, error));
}
