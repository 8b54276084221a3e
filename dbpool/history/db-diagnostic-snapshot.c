/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "db-history-private.h"

/**
 * DbDiagnosticSnapshot:
 *
 * The diagnostics a language server published for one file at one moment: what
 * one `textDocument/publishDiagnostics` notification says.
 *
 * Build one with [ctor@DbPool.DiagnosticSnapshot.new] and
 * [method@DbPool.DiagnosticSnapshot.add_diagnostic] and store it with
 * [method@DbPool.HistoryStorage.record_snapshot_async], or read stored ones
 * back from a [class@DbPool.HistoryStorage].
 *
 * The per-severity counts always describe the snapshot's diagnostics. Snapshots
 * returned by [method@DbPool.HistoryStorage.get_file_history_async] are
 * summaries: they carry the stored counts but not the diagnostics themselves
 * ([property@DbPool.DiagnosticSnapshot:diagnostics-loaded] is %FALSE); load a
 * complete one with [method@DbPool.HistoryStorage.get_snapshot_async].
 *
 * A snapshot is a plain GObject: use it from one thread at a time.
 */

struct _DbDiagnosticSnapshot
{
  GObject      parent_instance;

  gint64       id;
  char        *file_uri;
  gint64       timestamp_us;
  int          version;
  guint        counts[4];       /* indexed by DbSeverity - 1 */
  GListStore  *diagnostics;
  gboolean     diagnostics_loaded;
};

G_DEFINE_FINAL_TYPE (DbDiagnosticSnapshot, db_diagnostic_snapshot, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_FILE_URI,
  PROP_TIMESTAMP_US,
  PROP_VERSION,
  PROP_ERROR_COUNT,
  PROP_WARNING_COUNT,
  PROP_INFORMATION_COUNT,
  PROP_HINT_COUNT,
  PROP_DIAGNOSTICS_LOADED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const int count_props[4] = {
  PROP_ERROR_COUNT, PROP_WARNING_COUNT, PROP_INFORMATION_COUNT, PROP_HINT_COUNT,
};

static void
db_diagnostic_snapshot_finalize (GObject *object)
{
  DbDiagnosticSnapshot *self = DB_DIAGNOSTIC_SNAPSHOT (object);

  g_free (self->file_uri);
  g_clear_object (&self->diagnostics);

  G_OBJECT_CLASS (db_diagnostic_snapshot_parent_class)->finalize (object);
}

static void
db_diagnostic_snapshot_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  DbDiagnosticSnapshot *self = DB_DIAGNOSTIC_SNAPSHOT (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_int64 (value, self->id);
      break;
    case PROP_FILE_URI:
      g_value_set_string (value, self->file_uri);
      break;
    case PROP_TIMESTAMP_US:
      g_value_set_int64 (value, self->timestamp_us);
      break;
    case PROP_VERSION:
      g_value_set_int (value, self->version);
      break;
    case PROP_ERROR_COUNT:
      g_value_set_uint (value, self->counts[0]);
      break;
    case PROP_WARNING_COUNT:
      g_value_set_uint (value, self->counts[1]);
      break;
    case PROP_INFORMATION_COUNT:
      g_value_set_uint (value, self->counts[2]);
      break;
    case PROP_HINT_COUNT:
      g_value_set_uint (value, self->counts[3]);
      break;
    case PROP_DIAGNOSTICS_LOADED:
      g_value_set_boolean (value, self->diagnostics_loaded);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
db_diagnostic_snapshot_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  DbDiagnosticSnapshot *self = DB_DIAGNOSTIC_SNAPSHOT (object);

  switch (prop_id)
    {
    case PROP_FILE_URI:
      db_diagnostic_snapshot_set_file_uri (self, g_value_get_string (value));
      break;
    case PROP_TIMESTAMP_US:
      db_diagnostic_snapshot_set_timestamp_us (self, g_value_get_int64 (value));
      break;
    case PROP_VERSION:
      db_diagnostic_snapshot_set_version (self, g_value_get_int (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
db_diagnostic_snapshot_class_init (DbDiagnosticSnapshotClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = db_diagnostic_snapshot_finalize;
  object_class->get_property = db_diagnostic_snapshot_get_property;
  object_class->set_property = db_diagnostic_snapshot_set_property;

  /**
   * DbDiagnosticSnapshot:id:
   *
   * The snapshot's id in the history database; 0 until it has been stored.
   * Recording a snapshot sets it on the recorded object.
   */
  properties[PROP_ID] =
    g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0, ro);

  /**
   * DbDiagnosticSnapshot:file-uri:
   *
   * The URI of the document the diagnostics are about, stored verbatim.
   */
  properties[PROP_FILE_URI] =
    g_param_spec_string ("file-uri", NULL, NULL, NULL, rw);

  /**
   * DbDiagnosticSnapshot:timestamp-us:
   *
   * When the diagnostics were published: wall-clock microseconds since the Unix
   * epoch (as g_get_real_time() counts). A new snapshot gets the current time.
   */
  properties[PROP_TIMESTAMP_US] =
    g_param_spec_int64 ("timestamp-us", NULL, NULL, 0, G_MAXINT64, 0, rw);

  /**
   * DbDiagnosticSnapshot:version:
   *
   * The LSP document version the diagnostics apply to, or -1 when the server
   * did not send one.
   */
  properties[PROP_VERSION] =
    g_param_spec_int ("version", NULL, NULL, -1, G_MAXINT32, -1, rw);

  /**
   * DbDiagnosticSnapshot:error-count:
   *
   * How many diagnostics have severity %DB_SEVERITY_ERROR.
   */
  properties[PROP_ERROR_COUNT] =
    g_param_spec_uint ("error-count", NULL, NULL, 0, G_MAXUINT, 0, ro);

  /**
   * DbDiagnosticSnapshot:warning-count:
   *
   * How many diagnostics have severity %DB_SEVERITY_WARNING.
   */
  properties[PROP_WARNING_COUNT] =
    g_param_spec_uint ("warning-count", NULL, NULL, 0, G_MAXUINT, 0, ro);

  /**
   * DbDiagnosticSnapshot:information-count:
   *
   * How many diagnostics have severity %DB_SEVERITY_INFORMATION.
   */
  properties[PROP_INFORMATION_COUNT] =
    g_param_spec_uint ("information-count", NULL, NULL, 0, G_MAXUINT, 0, ro);

  /**
   * DbDiagnosticSnapshot:hint-count:
   *
   * How many diagnostics have severity %DB_SEVERITY_HINT.
   */
  properties[PROP_HINT_COUNT] =
    g_param_spec_uint ("hint-count", NULL, NULL, 0, G_MAXUINT, 0, ro);

  /**
   * DbDiagnosticSnapshot:diagnostics-loaded:
   *
   * %TRUE when [method@DbPool.DiagnosticSnapshot.get_diagnostics] holds all of
   * the snapshot's diagnostics; %FALSE for the summaries that history queries
   * return, which carry only the counts.
   */
  properties[PROP_DIAGNOSTICS_LOADED] =
    g_param_spec_boolean ("diagnostics-loaded", NULL, NULL, TRUE, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
db_diagnostic_snapshot_init (DbDiagnosticSnapshot *self)
{
  self->timestamp_us = g_get_real_time ();
  self->version = -1;
  self->diagnostics = g_list_store_new (DB_TYPE_DIAGNOSTIC);
  self->diagnostics_loaded = TRUE;
}

/**
 * db_diagnostic_snapshot_new:
 * @file_uri: the document's URI
 * @version: the LSP document version, or -1 for none
 *
 * Creates an empty snapshot (a "file is clean" snapshot until diagnostics are
 * added) stamped with the current time.
 *
 * Returns: (transfer full): a new snapshot
 */
DbDiagnosticSnapshot *
db_diagnostic_snapshot_new (const char *file_uri,
                            int         version)
{
  g_return_val_if_fail (file_uri != NULL, NULL);
  g_return_val_if_fail (version >= -1, NULL);

  return g_object_new (DB_TYPE_DIAGNOSTIC_SNAPSHOT,
                       "file-uri", file_uri,
                       "version", version,
                       NULL);
}

static void
count_diagnostic (DbDiagnosticSnapshot *self,
                  DbDiagnostic         *diagnostic,
                  gboolean              notify)
{
  DbSeverity severity = db_diagnostic_get_severity (diagnostic);
  guint i;

  g_assert (severity >= DB_SEVERITY_ERROR && severity <= DB_SEVERITY_HINT);
  i = severity - DB_SEVERITY_ERROR;
  self->counts[i]++;
  if (notify)
    g_object_notify_by_pspec (G_OBJECT (self), properties[count_props[i]]);
}

/**
 * db_diagnostic_snapshot_add_diagnostic:
 * @self: a snapshot
 * @diagnostic: (transfer none): the diagnostic to append
 *
 * Appends @diagnostic and updates the per-severity count it belongs to.
 */
void
db_diagnostic_snapshot_add_diagnostic (DbDiagnosticSnapshot *self,
                                       DbDiagnostic         *diagnostic)
{
  g_return_if_fail (DB_IS_DIAGNOSTIC_SNAPSHOT (self));
  g_return_if_fail (DB_IS_DIAGNOSTIC (diagnostic));

  g_list_store_append (self->diagnostics, diagnostic);
  count_diagnostic (self, diagnostic, TRUE);
}

/**
 * db_diagnostic_snapshot_get_diagnostics:
 * @self: a snapshot
 *
 * The snapshot's diagnostics, in the order they were published. The model is
 * owned by the snapshot; treat it as read-only and add diagnostics with
 * [method@DbPool.DiagnosticSnapshot.add_diagnostic].
 *
 * Returns: (transfer none): a list model of [class@DbPool.Diagnostic]
 */
GListModel *
db_diagnostic_snapshot_get_diagnostics (DbDiagnosticSnapshot *self)
{
  g_return_val_if_fail (DB_IS_DIAGNOSTIC_SNAPSHOT (self), NULL);
  return G_LIST_MODEL (self->diagnostics);
}

/**
 * db_diagnostic_snapshot_get_diagnostics_loaded:
 * @self: a snapshot
 *
 * Gets [property@DbPool.DiagnosticSnapshot:diagnostics-loaded]: whether
 * [method@DbPool.DiagnosticSnapshot.get_diagnostics] holds every diagnostic or
 * the snapshot is a summary that carries only the counts.
 *
 * Returns: whether the snapshot holds its diagnostics, or only their counts
 */
gboolean
db_diagnostic_snapshot_get_diagnostics_loaded (DbDiagnosticSnapshot *self)
{
  g_return_val_if_fail (DB_IS_DIAGNOSTIC_SNAPSHOT (self), FALSE);
  return self->diagnostics_loaded;
}

/**
 * db_diagnostic_snapshot_get_id:
 * @self: a snapshot
 *
 * Gets [property@DbPool.DiagnosticSnapshot:id], the snapshot's id in the
 * history database.
 *
 * Returns: the stored id, or 0 when the snapshot has not been stored
 */
gint64
db_diagnostic_snapshot_get_id (DbDiagnosticSnapshot *self)
{
  g_return_val_if_fail (DB_IS_DIAGNOSTIC_SNAPSHOT (self), 0);
  return self->id;
}

/**
 * db_diagnostic_snapshot_get_file_uri:
 * @self: a snapshot
 *
 * Gets [property@DbPool.DiagnosticSnapshot:file-uri], the document the
 * diagnostics are about.
 *
 * Returns: (transfer none) (nullable): the document's URI
 */
const char *
db_diagnostic_snapshot_get_file_uri (DbDiagnosticSnapshot *self)
{
  g_return_val_if_fail (DB_IS_DIAGNOSTIC_SNAPSHOT (self), NULL);
  return self->file_uri;
}

/**
 * db_diagnostic_snapshot_set_file_uri:
 * @self: a snapshot
 * @file_uri: the document's URI
 *
 * Sets [property@DbPool.DiagnosticSnapshot:file-uri].
 */
void
db_diagnostic_snapshot_set_file_uri (DbDiagnosticSnapshot *self,
                                     const char           *file_uri)
{
  g_return_if_fail (DB_IS_DIAGNOSTIC_SNAPSHOT (self));

  if (g_strcmp0 (self->file_uri, file_uri) != 0)
    {
      g_free (self->file_uri);
      self->file_uri = g_strdup (file_uri);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILE_URI]);
    }
}

/**
 * db_diagnostic_snapshot_get_timestamp_us:
 * @self: a snapshot
 *
 * Gets [property@DbPool.DiagnosticSnapshot:timestamp-us], when the
 * diagnostics were published.
 *
 * Returns: wall-clock microseconds since the Unix epoch
 */
gint64
db_diagnostic_snapshot_get_timestamp_us (DbDiagnosticSnapshot *self)
{
  g_return_val_if_fail (DB_IS_DIAGNOSTIC_SNAPSHOT (self), 0);
  return self->timestamp_us;
}

/**
 * db_diagnostic_snapshot_set_timestamp_us:
 * @self: a snapshot
 * @timestamp_us: wall-clock microseconds since the Unix epoch
 *
 * Sets [property@DbPool.DiagnosticSnapshot:timestamp-us], for instance to
 * import history recorded elsewhere.
 */
void
db_diagnostic_snapshot_set_timestamp_us (DbDiagnosticSnapshot *self,
                                         gint64                timestamp_us)
{
  g_return_if_fail (DB_IS_DIAGNOSTIC_SNAPSHOT (self));
  g_return_if_fail (timestamp_us >= 0);

  if (self->timestamp_us != timestamp_us)
    {
      self->timestamp_us = timestamp_us;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TIMESTAMP_US]);
    }
}

/**
 * db_diagnostic_snapshot_get_version:
 * @self: a snapshot
 *
 * Gets [property@DbPool.DiagnosticSnapshot:version], the LSP document
 * version the diagnostics apply to.
 *
 * Returns: the LSP document version, or -1 for none
 */
int
db_diagnostic_snapshot_get_version (DbDiagnosticSnapshot *self)
{
  g_return_val_if_fail (DB_IS_DIAGNOSTIC_SNAPSHOT (self), -1);
  return self->version;
}

/**
 * db_diagnostic_snapshot_set_version:
 * @self: a snapshot
 * @version: the LSP document version, or -1 for none
 *
 * Sets [property@DbPool.DiagnosticSnapshot:version].
 */
void
db_diagnostic_snapshot_set_version (DbDiagnosticSnapshot *self,
                                    int                   version)
{
  g_return_if_fail (DB_IS_DIAGNOSTIC_SNAPSHOT (self));
  g_return_if_fail (version >= -1);

  if (self->version != version)
    {
      self->version = version;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VERSION]);
    }
}

/**
 * db_diagnostic_snapshot_get_count:
 * @self: a snapshot
 * @severity: a severity
 *
 * Counts the snapshot's diagnostics of one severity; for a summary
 * snapshot this is the count that was stored.
 *
 * Returns: how many of the snapshot's diagnostics have @severity
 */
guint
db_diagnostic_snapshot_get_count (DbDiagnosticSnapshot *self,
                                  DbSeverity            severity)
{
  g_return_val_if_fail (DB_IS_DIAGNOSTIC_SNAPSHOT (self), 0);
  g_return_val_if_fail (severity >= DB_SEVERITY_ERROR && severity <= DB_SEVERITY_HINT, 0);

  return self->counts[severity - DB_SEVERITY_ERROR];
}

/**
 * db_diagnostic_snapshot_get_error_count:
 * @self: a snapshot
 *
 * Gets [property@DbPool.DiagnosticSnapshot:error-count], how many
 * diagnostics are errors.
 *
 * Returns: the number of errors
 */
guint
db_diagnostic_snapshot_get_error_count (DbDiagnosticSnapshot *self)
{
  return db_diagnostic_snapshot_get_count (self, DB_SEVERITY_ERROR);
}

/**
 * db_diagnostic_snapshot_get_warning_count:
 * @self: a snapshot
 *
 * Gets [property@DbPool.DiagnosticSnapshot:warning-count], how many
 * diagnostics are warnings.
 *
 * Returns: the number of warnings
 */
guint
db_diagnostic_snapshot_get_warning_count (DbDiagnosticSnapshot *self)
{
  return db_diagnostic_snapshot_get_count (self, DB_SEVERITY_WARNING);
}

/**
 * db_diagnostic_snapshot_get_information_count:
 * @self: a snapshot
 *
 * Gets [property@DbPool.DiagnosticSnapshot:information-count], how many
 * diagnostics are informational.
 *
 * Returns: the number of informational diagnostics
 */
guint
db_diagnostic_snapshot_get_information_count (DbDiagnosticSnapshot *self)
{
  return db_diagnostic_snapshot_get_count (self, DB_SEVERITY_INFORMATION);
}

/**
 * db_diagnostic_snapshot_get_hint_count:
 * @self: a snapshot
 *
 * Gets [property@DbPool.DiagnosticSnapshot:hint-count], how many
 * diagnostics are hints.
 *
 * Returns: the number of hints
 */
guint
db_diagnostic_snapshot_get_hint_count (DbDiagnosticSnapshot *self)
{
  return db_diagnostic_snapshot_get_count (self, DB_SEVERITY_HINT);
}

void
_db_diagnostic_snapshot_set_id (DbDiagnosticSnapshot *self,
                                gint64                id)
{
  g_assert (DB_IS_DIAGNOSTIC_SNAPSHOT (self));

  if (self->id != id)
    {
      self->id = id;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ID]);
    }
}

static DbDiagnosticSnapshot *
new_stored (gint64      id,
            const char *file_uri,
            gint64      timestamp_us,
            int         version)
{
  DbDiagnosticSnapshot *self = g_object_new (DB_TYPE_DIAGNOSTIC_SNAPSHOT, NULL);

  /* Fields are set directly: nobody can be listening to a brand-new object. */
  self->id = id;
  self->file_uri = g_strdup (file_uri);
  self->timestamp_us = timestamp_us;
  self->version = version;
  return self;
}

DbDiagnosticSnapshot *
_db_diagnostic_snapshot_new_summary (gint64       id,
                                     const char  *file_uri,
                                     gint64       timestamp_us,
                                     int          version,
                                     const guint  counts[4])
{
  DbDiagnosticSnapshot *self = new_stored (id, file_uri, timestamp_us, version);

  memcpy (self->counts, counts, sizeof self->counts);
  self->diagnostics_loaded = FALSE;
  return self;
}

DbDiagnosticSnapshot *
_db_diagnostic_snapshot_new_stored (gint64      id,
                                    const char *file_uri,
                                    gint64      timestamp_us,
                                    int         version,
                                    GPtrArray  *diagnostics)
{
  DbDiagnosticSnapshot *self = new_stored (id, file_uri, timestamp_us, version);

  for (guint i = 0; i < diagnostics->len; i++)
    count_diagnostic (self, g_ptr_array_index (diagnostics, i), FALSE);
  g_list_store_splice (self->diagnostics, 0, 0, diagnostics->pdata, diagnostics->len);
  return self;
}
