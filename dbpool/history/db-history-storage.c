/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "db-history-storage.h"
#include "db-history-private.h"

/**
 * DbHistoryStorage:
 *
 * A history of LSP diagnostics in an SQLite database, recorded and queried
 * concurrently through a [class@DbPool.Pool].
 *
 * An LSP bridge hands every `textDocument/publishDiagnostics` message to
 * [method@DbPool.HistoryStorage.record_lsp_json_async] (or builds a
 * [class@DbPool.DiagnosticSnapshot] and records it) from wherever it arrives, and
 * reads the history back while recording goes on: a file's history, its latest
 * snapshot, the latest snapshot of every file, and severity trends.
 *
 * Each snapshot is written with all its diagnostics in one write transaction.
 * Nothing blocks the calling thread: LSP JSON is parsed on worker threads,
 * snapshots are written one after another by the storage's writer thread holding
 * the pool's write lease, queries run on the pool's workers, and every callback
 * runs on the thread-default main context of the caller.
 *
 * Old history is removed by [method@DbPool.HistoryStorage.cleanup_async]
 * according to [property@DbPool.HistoryConfig:retention-days] and
 * [property@DbPool.HistoryConfig:max-snapshots-per-file], and automatically every
 * [property@DbPool.HistoryConfig:auto-cleanup-interval-s] seconds by a timer on
 * the main context that was thread-default when the storage was created. The
 * timer does not keep the storage alive.
 *
 * The database schema is versioned with `PRAGMA user_version`; a database written
 * by an older release is upgraded when the storage is created.
 *
 * All methods may be called from any thread; each operation keeps the storage
 * alive until its callback has run, so the storage may be unreferenced while
 * operations are still in flight.
 */

struct _DbHistoryStorage
{
  GObject           parent_instance;

  DbHistoryConfig  *config;           /* a private copy */
  DbPool           *pool;
  GMainContext     *owner_context;
  GSource          *cleanup_source;
  gboolean          auto_cleanup_running;   /* owner context only */
  gboolean          initialized;
  DbHistoryWriter  *writer;                 /* once the pool exists */
};

static void db_history_storage_initable_iface_init       (GInitableIface      *iface);
static void db_history_storage_async_initable_iface_init (GAsyncInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DbHistoryStorage, db_history_storage, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      db_history_storage_initable_iface_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_ASYNC_INITABLE,
                                                      db_history_storage_async_initable_iface_init))

enum {
  PROP_0,
  PROP_CONFIG,
  PROP_POOL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  AUTO_CLEANUP_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Auto-cleanup */

static void
auto_cleanup_done (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  DbHistoryStorage *self = DB_HISTORY_STORAGE (object);
  g_autoptr(GError) error = NULL;
  guint removed;

  self->auto_cleanup_running = FALSE;
  removed = db_history_storage_cleanup_finish (self, result, &error);
  if (error != NULL)
    {
      /* A closed pool means the application is shutting down: nothing to report. */
      if (!g_error_matches (error, DB_POOL_ERROR, DB_POOL_ERROR_CLOSED))
        g_warning ("Automatic history cleanup failed: %s", error->message);
      return;
    }

  g_signal_emit (self, signals[AUTO_CLEANUP_FINISHED], 0, removed);
}

static gboolean
auto_cleanup_tick (gpointer user_data)
{
  GWeakRef *weak_self = user_data;
  g_autoptr(DbHistoryStorage) self = g_weak_ref_get (weak_self);

  if (self == NULL)
    return G_SOURCE_REMOVE;

  /* A cleanup slower than the interval is not stacked up behind itself. */
  if (!self->auto_cleanup_running)
    {
      self->auto_cleanup_running = TRUE;
      /* Whoever iterates the owner context need not have made it thread-default;
       * the completion must come back here all the same. */
      g_main_context_push_thread_default (self->owner_context);
      db_history_storage_cleanup_async (self, NULL, auto_cleanup_done, NULL);
      g_main_context_pop_thread_default (self->owner_context);
    }

  return G_SOURCE_CONTINUE;
}

static void
weak_ref_free (gpointer data)
{
  GWeakRef *weak_ref = data;

  g_weak_ref_clear (weak_ref);
  g_free (weak_ref);
}

static void
start_auto_cleanup (DbHistoryStorage *self)
{
  guint interval = db_history_config_get_auto_cleanup_interval_s (self->config);
  GWeakRef *weak_self;

  if (interval == 0)
    return;

  weak_self = g_new0 (GWeakRef, 1);
  g_weak_ref_init (weak_self, self);

  self->cleanup_source = g_timeout_source_new_seconds (interval);
  g_source_set_static_name (self->cleanup_source, "[dbpool] history auto-cleanup");
  g_source_set_callback (self->cleanup_source, auto_cleanup_tick, weak_self, weak_ref_free);
  g_source_attach (self->cleanup_source, self->owner_context);
}

/* GObject */

static void
db_history_storage_dispose (GObject *object)
{
  DbHistoryStorage *self = DB_HISTORY_STORAGE (object);

  if (self->cleanup_source != NULL)
    {
      g_source_destroy (self->cleanup_source);
      g_clear_pointer (&self->cleanup_source, g_source_unref);
    }
  g_clear_object (&self->pool);

  G_OBJECT_CLASS (db_history_storage_parent_class)->dispose (object);
}

static void
db_history_storage_finalize (GObject *object)
{
  DbHistoryStorage *self = DB_HISTORY_STORAGE (object);

  g_clear_object (&self->config);
  g_clear_pointer (&self->owner_context, g_main_context_unref);
  g_clear_pointer (&self->writer, _db_history_writer_free);

  G_OBJECT_CLASS (db_history_storage_parent_class)->finalize (object);
}

static void
db_history_storage_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  DbHistoryStorage *self = DB_HISTORY_STORAGE (object);

  switch (prop_id)
    {
    case PROP_CONFIG:
      g_value_set_object (value, self->config);
      break;
    case PROP_POOL:
      g_value_set_object (value, self->pool);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
db_history_storage_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  DbHistoryStorage *self = DB_HISTORY_STORAGE (object);

  switch (prop_id)
    {
    case PROP_CONFIG:
      {
        DbHistoryConfig *config = g_value_get_object (value);

        /* A copy, so later edits to the caller's object change nothing here. */
        g_clear_object (&self->config);
        self->config = config ? db_history_config_copy (config) : NULL;
      }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
db_history_storage_class_init (DbHistoryStorageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = db_history_storage_dispose;
  object_class->finalize = db_history_storage_finalize;
  object_class->get_property = db_history_storage_get_property;
  object_class->set_property = db_history_storage_set_property;

  /**
   * DbHistoryStorage:config:
   *
   * The storage's settings: a copy of the config it was created with.
   */
  properties[PROP_CONFIG] =
    g_param_spec_object ("config", NULL, NULL, DB_TYPE_HISTORY_CONFIG,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * DbHistoryStorage:pool:
   *
   * The connection pool underneath, for its statistics or for queries of your own.
   */
  properties[PROP_POOL] =
    g_param_spec_object ("pool", NULL, NULL, DB_TYPE_POOL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * DbHistoryStorage::auto-cleanup-finished:
   * @self: the storage
   * @removed: how many snapshots were removed
   *
   * Emitted on the storage's owner main context after each automatic cleanup
   * (see [property@DbPool.HistoryConfig:auto-cleanup-interval-s]) that succeeded.
   */
  signals[AUTO_CLEANUP_FINISHED] =
    g_signal_new ("auto-cleanup-finished",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void
db_history_storage_init (DbHistoryStorage *self)
{
  self->owner_context = g_main_context_ref_thread_default ();
}

/* Initialization */

static gboolean
check_config (DbHistoryStorage  *self,
              GError           **error)
{
  if (self->config == NULL)
    {
      g_set_error_literal (error, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_CONFIG,
                           "A history storage needs a DbHistoryConfig");
      return FALSE;
    }
  return db_history_config_validate (self->config, error);
}

static gboolean
db_history_storage_initable_init (GInitable     *initable,
                                  GCancellable  *cancellable,
                                  GError       **error)
{
  DbHistoryStorage *self = DB_HISTORY_STORAGE (initable);
  g_autoptr(DbPoolConfig) pool_config = NULL;
  g_autoptr(DbConnection) lease = NULL;
  gboolean ok;

  /* GInitable: a second init of a working storage is a no-op. */
  if (self->initialized)
    return TRUE;
  if (self->pool != NULL)
    {
      g_set_error_literal (error, DB_POOL_ERROR, DB_POOL_ERROR_FAILED,
                           "The history storage failed to initialize earlier");
      return FALSE;
    }
  if (!check_config (self, error))
    return FALSE;

  pool_config = _db_history_config_to_pool_config (self->config);
  self->pool = db_pool_new (pool_config, cancellable, error);
  if (self->pool == NULL)
    return FALSE;
  self->writer = _db_history_writer_new (G_OBJECT (self), self->pool);

  /* Blocking is what the synchronous constructor is for. */
  lease = db_pool_acquire (self->pool, DB_ACCESS_WRITE, cancellable, error);
  if (lease == NULL)
    return FALSE;
  ok = _db_history_migrate (lease, error);
  db_connection_release (lease);
  if (!ok)
    return FALSE;

  start_auto_cleanup (self);
  self->initialized = TRUE;
  return TRUE;
}

static void
db_history_storage_initable_iface_init (GInitableIface *iface)
{
  iface->init = db_history_storage_initable_init;
}

static gpointer
migrate_job (DbConnection  *lease,
             gpointer       user_data,
             GCancellable  *cancellable,
             GError       **error)
{
  /* Any non-NULL pointer means success to db_pool_run_finish(). */
  return _db_history_migrate (lease, error) ? GINT_TO_POINTER (TRUE) : NULL;
}

static void
migrate_done (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DbHistoryStorage *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (db_pool_run_finish (DB_POOL (object), result, &error) == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  start_auto_cleanup (self);
  self->initialized = TRUE;
  g_task_return_boolean (task, TRUE);
}

static void
pool_ready (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DbHistoryStorage *self = g_task_get_source_object (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;

  self->pool = db_pool_new_finish (result, &error);
  if (self->pool == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  self->writer = _db_history_writer_new (G_OBJECT (self), self->pool);

  db_pool_run_async (self->pool, DB_ACCESS_WRITE, migrate_job, NULL, NULL,
                     cancellable, migrate_done, g_steal_pointer (&task));
}

static void
db_history_storage_init_async (GAsyncInitable      *initable,
                               int                  io_priority,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  DbHistoryStorage *self = DB_HISTORY_STORAGE (initable);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(DbPoolConfig) pool_config = NULL;
  GError *error = NULL;

  g_task_set_source_tag (task, db_history_storage_init_async);
  g_task_set_priority (task, io_priority);

  if (self->initialized)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (self->pool != NULL)
    {
      g_task_return_new_error (task, DB_POOL_ERROR, DB_POOL_ERROR_FAILED,
                               "The history storage failed to initialize earlier");
      return;
    }
  if (!check_config (self, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  pool_config = _db_history_config_to_pool_config (self->config);
  db_pool_new_async (pool_config, io_priority, cancellable, pool_ready, g_steal_pointer (&task));
}

static gboolean
db_history_storage_init_finish (GAsyncInitable  *initable,
                                GAsyncResult    *result,
                                GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, initable), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
db_history_storage_async_initable_iface_init (GAsyncInitableIface *iface)
{
  iface->init_async = db_history_storage_init_async;
  iface->init_finish = db_history_storage_init_finish;
}

/**
 * db_history_storage_new:
 * @config: the settings
 * @cancellable: (nullable): a cancellable
 * @error: return location for an error
 *
 * Opens (creating or upgrading as needed) the history database of @config and
 * starts its pool, blocking until done. Use
 * [func@DbPool.HistoryStorage.new_async] from a UI thread.
 *
 * Returns: (transfer full): a new storage, or %NULL with @error set: an invalid
 *   config is %DB_POOL_ERROR_INVALID_CONFIG; a database from a newer release
 *   is %DB_POOL_ERROR_FAILED
 */
DbHistoryStorage *
db_history_storage_new (DbHistoryConfig  *config,
                        GCancellable     *cancellable,
                        GError          **error)
{
  g_return_val_if_fail (DB_IS_HISTORY_CONFIG (config), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (DB_TYPE_HISTORY_STORAGE, cancellable, error,
                         "config", config, NULL);
}

/**
 * db_history_storage_new_async:
 * @config: the settings
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called on the caller's thread-default main context
 * @user_data: data for @callback
 *
 * Creates a storage like [ctor@DbPool.HistoryStorage.new] without blocking: the
 * database is opened and upgraded on the pool's workers.
 */
void
db_history_storage_new_async (DbHistoryConfig     *config,
                              int                  io_priority,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (DB_IS_HISTORY_CONFIG (config));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  g_async_initable_new_async (DB_TYPE_HISTORY_STORAGE, io_priority, cancellable,
                              callback, user_data, "config", config, NULL);
}

/**
 * db_history_storage_new_finish:
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Finishes [func@DbPool.HistoryStorage.new_async].
 *
 * Returns: (transfer full): the storage, or %NULL with @error set
 */
DbHistoryStorage *
db_history_storage_new_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_autoptr(GObject) source = NULL;
  GObject *object;

  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  source = g_async_result_get_source_object (result);
  object = g_async_initable_new_finish (G_ASYNC_INITABLE (source), result, error);
  return object ? DB_HISTORY_STORAGE (object) : NULL;
}

/**
 * db_history_storage_get_pool:
 * @self: a storage
 *
 * Gets [property@DbPool.HistoryStorage:pool], the connection pool the
 * storage runs on, for its statistics or for queries of your own.
 *
 * Returns: (transfer none): the storage's connection pool
 */
DbPool *
db_history_storage_get_pool (DbHistoryStorage *self)
{
  g_return_val_if_fail (DB_IS_HISTORY_STORAGE (self), NULL);
  return self->pool;
}

/**
 * db_history_storage_get_config:
 * @self: a storage
 *
 * Gets [property@DbPool.HistoryStorage:config], the storage's own copy of
 * the configuration it was created with.
 *
 * Returns: (transfer none): the storage's copy of its config; do not modify it
 */
DbHistoryConfig *
db_history_storage_get_config (DbHistoryStorage *self)
{
  g_return_val_if_fail (DB_IS_HISTORY_STORAGE (self), NULL);
  return self->config;
}

/* Recording: see db-history-writer.c for the pipeline. */

static gint64
record_finish (DbHistoryStorage  *self,
               GAsyncResult      *result,
               gpointer           source_tag,
               GError           **error)
{
  g_autofree gint64 *id = NULL;
  DbRecordData *rd;

  g_return_val_if_fail (DB_IS_HISTORY_STORAGE (self), 0);
  g_return_val_if_fail (g_task_is_valid (result, self), 0);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  id = g_task_propagate_pointer (G_TASK (result), error);
  if (id == NULL)
    return 0;

  /* Here, on the caller's thread, rather than on the worker that wrote it. */
  rd = g_task_get_task_data (G_TASK (result));
  if (rd != NULL && rd->snapshot != NULL)
    _db_diagnostic_snapshot_set_id (rd->snapshot, *id);
  return *id;
}

static DbSnapshotRecord *
record_from_snapshot (DbDiagnosticSnapshot *snapshot)
{
  GListModel *diagnostics = db_diagnostic_snapshot_get_diagnostics (snapshot);
  guint n = g_list_model_get_n_items (diagnostics);
  DbSnapshotRecord *record;

  record = _db_snapshot_record_new (db_diagnostic_snapshot_get_file_uri (snapshot),
                                    db_diagnostic_snapshot_get_timestamp_us (snapshot),
                                    db_diagnostic_snapshot_get_version (snapshot));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(DbDiagnostic) d = g_list_model_get_item (diagnostics, i);

      _db_snapshot_record_add (record,
                               db_diagnostic_get_severity (d),
                               db_diagnostic_get_message (d),
                               db_diagnostic_get_source (d),
                               db_diagnostic_get_code (d),
                               db_diagnostic_get_start_line (d),
                               db_diagnostic_get_start_character (d),
                               db_diagnostic_get_end_line (d),
                               db_diagnostic_get_end_character (d));
    }
  return record;
}

/**
 * db_history_storage_record_snapshot_async:
 * @self: a storage
 * @snapshot: the snapshot to store
 * @cancellable: (nullable): a cancellable; it stops a snapshot that is still
 *   queued, not one being written
 * @callback: (scope async): called on the caller's thread-default main context
 * @user_data: data for @callback
 *
 * Stores @snapshot and all its diagnostics in one transaction. The snapshot's
 * contents are copied when this is called; on success
 * [method@DbPool.HistoryStorage.record_snapshot_finish] sets its
 * [property@DbPool.DiagnosticSnapshot:id].
 *
 * A snapshot whose [property@DbPool.DiagnosticSnapshot:file-uri] is unset or
 * empty fails with %DB_POOL_ERROR_INVALID_INPUT. A snapshot that was loaded
 * without its diagnostics (see
 * [property@DbPool.DiagnosticSnapshot:diagnostics-loaded]) is refused the same
 * way, since its counts could not be stored truthfully.
 */
void
db_history_storage_record_snapshot_async (DbHistoryStorage     *self,
                                          DbDiagnosticSnapshot *snapshot,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;
  const char *uri;
  DbRecordData *rd;

  g_return_if_fail (DB_IS_HISTORY_STORAGE (self));
  g_return_if_fail (DB_IS_DIAGNOSTIC_SNAPSHOT (snapshot));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, db_history_storage_record_snapshot_async);

  uri = db_diagnostic_snapshot_get_file_uri (snapshot);
  if (uri == NULL || uri[0] == '\0')
    {
      g_task_return_new_error (task, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_INPUT,
                               "Invalid snapshot: “file-uri” must be a non-empty string");
      return;
    }
  if (!db_diagnostic_snapshot_get_diagnostics_loaded (snapshot))
    {
      g_task_return_new_error (task, DB_POOL_ERROR, DB_POOL_ERROR_INVALID_INPUT,
                               "Invalid snapshot: it is a summary without its diagnostics "
                               "(“diagnostics-loaded” is false)");
      return;
    }

  rd = _db_record_data_new ();
  rd->record = record_from_snapshot (snapshot);
  rd->snapshot = g_object_ref (snapshot);
  g_task_set_task_data (task, rd, _db_record_data_free);

  _db_history_writer_write (self->writer, g_steal_pointer (&task));
}

/**
 * db_history_storage_record_snapshot_finish:
 * @self: a storage
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Finishes [method@DbPool.HistoryStorage.record_snapshot_async] and sets the
 * recorded snapshot's [property@DbPool.DiagnosticSnapshot:id].
 *
 * Returns: the new snapshot's id, or 0 with @error set
 */
gint64
db_history_storage_record_snapshot_finish (DbHistoryStorage  *self,
                                           GAsyncResult      *result,
                                           GError           **error)
{
  return record_finish (self, result, db_history_storage_record_snapshot_async, error);
}

/**
 * db_history_storage_record_lsp_json_async:
 * @self: a storage
 * @json: one LSP `textDocument/publishDiagnostics` message: the whole JSON-RPC
 *   notification or just its `params` object
 * @cancellable: (nullable): a cancellable; it stops a message that is still being
 *   parsed or queued, not one being written
 * @callback: (scope async): called on the caller's thread-default main context
 * @user_data: data for @callback
 *
 * Parses @json on a worker thread and stores it as one snapshot, stamped with the
 * time of this call, with all its diagnostics in one transaction.
 *
 * `uri` and `diagnostics` are required; an empty `diagnostics` array records that
 * the file is clean. `version` is optional. Each diagnostic needs a `range` of
 * non-negative integer positions and a string `message`; `severity` (1 to 4) may be
 * left out, and then counts as an error, as most clients read it; `code` may be a
 * string or an integer (stored as its decimal text); `source`, `codeDescription`,
 * `tags` and `relatedInformation` are optional and only type-checked. Optional
 * members that are `null` count as absent; unknown members are ignored.
 *
 * Malformed JSON, a method other than `textDocument/publishDiagnostics`, or a
 * missing or wrong-typed field fails with %DB_POOL_ERROR_INVALID_INPUT, whose
 * message names the field (for instance
 * `params.diagnostics[3].range.start.line`), and records nothing.
 */
void
db_history_storage_record_lsp_json_async (DbHistoryStorage    *self,
                                          const char          *json,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  DbRecordData *rd;

  g_return_if_fail (DB_IS_HISTORY_STORAGE (self));
  g_return_if_fail (json != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, db_history_storage_record_lsp_json_async);

  rd = _db_record_data_new ();
  rd->json = g_strdup (json);
  rd->timestamp_us = g_get_real_time ();
  g_task_set_task_data (task, rd, _db_record_data_free);

  _db_history_writer_parse_and_write (self->writer, g_steal_pointer (&task));
}

/**
 * db_history_storage_record_lsp_json_finish:
 * @self: a storage
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Finishes [method@DbPool.HistoryStorage.record_lsp_json_async].
 *
 * Returns: the new snapshot's id, or 0 with @error set
 */
gint64
db_history_storage_record_lsp_json_finish (DbHistoryStorage  *self,
                                           GAsyncResult      *result,
                                           GError           **error)
{
  return record_finish (self, result, db_history_storage_record_lsp_json_async, error);
}
