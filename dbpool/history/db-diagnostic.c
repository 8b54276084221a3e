/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "db-diagnostic.h"
#include "db-enum-types.h"

/**
 * DbDiagnostic:
 *
 * One LSP diagnostic: a severity, a message and the range it applies to, with
 * the optional source (the tool that produced it) and code.
 *
 * A diagnostic is immutable once constructed, so it can be shared between
 * threads and between several [class@DbPool.DiagnosticSnapshot]s. Positions are
 * 0-based lines and characters, exactly as the Language Server Protocol sends
 * them.
 */

/* LSP positions are `uinteger`, 0 .. 2^31 - 1. */
#define DB_DIAGNOSTIC_POSITION_MAX ((guint) G_MAXINT32)

struct _DbDiagnostic
{
  GObject     parent_instance;

  DbSeverity  severity;
  char       *message;
  char       *source;
  char       *code;
  guint       start_line;
  guint       start_character;
  guint       end_line;
  guint       end_character;
};

G_DEFINE_FINAL_TYPE (DbDiagnostic, db_diagnostic, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SEVERITY,
  PROP_MESSAGE,
  PROP_SOURCE,
  PROP_CODE,
  PROP_START_LINE,
  PROP_START_CHARACTER,
  PROP_END_LINE,
  PROP_END_CHARACTER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
db_diagnostic_finalize (GObject *object)
{
  DbDiagnostic *self = DB_DIAGNOSTIC (object);

  g_free (self->message);
  g_free (self->source);
  g_free (self->code);

  G_OBJECT_CLASS (db_diagnostic_parent_class)->finalize (object);
}

static void
db_diagnostic_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  DbDiagnostic *self = DB_DIAGNOSTIC (object);

  switch (prop_id)
    {
    case PROP_SEVERITY:
      g_value_set_enum (value, self->severity);
      break;
    case PROP_MESSAGE:
      g_value_set_string (value, self->message);
      break;
    case PROP_SOURCE:
      g_value_set_string (value, self->source);
      break;
    case PROP_CODE:
      g_value_set_string (value, self->code);
      break;
    case PROP_START_LINE:
      g_value_set_uint (value, self->start_line);
      break;
    case PROP_START_CHARACTER:
      g_value_set_uint (value, self->start_character);
      break;
    case PROP_END_LINE:
      g_value_set_uint (value, self->end_line);
      break;
    case PROP_END_CHARACTER:
      g_value_set_uint (value, self->end_character);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
db_diagnostic_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  DbDiagnostic *self = DB_DIAGNOSTIC (object);

  switch (prop_id)
    {
    case PROP_SEVERITY:
      self->severity = g_value_get_enum (value);
      break;
    case PROP_MESSAGE:
      /* The message is required by LSP; never expose NULL. */
      g_free (self->message);
      self->message = g_strdup (g_value_get_string (value) ? g_value_get_string (value) : "");
      break;
    case PROP_SOURCE:
      g_free (self->source);
      self->source = g_value_dup_string (value);
      break;
    case PROP_CODE:
      g_free (self->code);
      self->code = g_value_dup_string (value);
      break;
    case PROP_START_LINE:
      self->start_line = g_value_get_uint (value);
      break;
    case PROP_START_CHARACTER:
      self->start_character = g_value_get_uint (value);
      break;
    case PROP_END_LINE:
      self->end_line = g_value_get_uint (value);
      break;
    case PROP_END_CHARACTER:
      self->end_character = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
db_diagnostic_class_init (DbDiagnosticClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = db_diagnostic_finalize;
  object_class->get_property = db_diagnostic_get_property;
  object_class->set_property = db_diagnostic_set_property;

  /**
   * DbDiagnostic:severity:
   *
   * How serious the diagnostic is.
   */
  properties[PROP_SEVERITY] =
    g_param_spec_enum ("severity", NULL, NULL,
                       DB_TYPE_SEVERITY, DB_SEVERITY_ERROR, flags);

  /**
   * DbDiagnostic:message:
   *
   * The diagnostic's message; never %NULL (an unset message reads as "").
   */
  properties[PROP_MESSAGE] =
    g_param_spec_string ("message", NULL, NULL, "", flags);

  /**
   * DbDiagnostic:source:
   *
   * The tool that produced the diagnostic ("clang-tidy", "pyflakes", ...), or
   * %NULL when the server did not say.
   */
  properties[PROP_SOURCE] =
    g_param_spec_string ("source", NULL, NULL, NULL, flags);

  /**
   * DbDiagnostic:code:
   *
   * The diagnostic's code, or %NULL. LSP allows a string or an integer; integer
   * codes are kept as their decimal text ("42").
   */
  properties[PROP_CODE] =
    g_param_spec_string ("code", NULL, NULL, NULL, flags);

  /**
   * DbDiagnostic:start-line:
   *
   * The 0-based line where the range starts.
   */
  properties[PROP_START_LINE] =
    g_param_spec_uint ("start-line", NULL, NULL,
                       0, DB_DIAGNOSTIC_POSITION_MAX, 0, flags);

  /**
   * DbDiagnostic:start-character:
   *
   * The 0-based character offset in [property@DbPool.Diagnostic:start-line]
   * where the range starts.
   */
  properties[PROP_START_CHARACTER] =
    g_param_spec_uint ("start-character", NULL, NULL,
                       0, DB_DIAGNOSTIC_POSITION_MAX, 0, flags);

  /**
   * DbDiagnostic:end-line:
   *
   * The 0-based line where the range ends.
   */
  properties[PROP_END_LINE] =
    g_param_spec_uint ("end-line", NULL, NULL,
                       0, DB_DIAGNOSTIC_POSITION_MAX, 0, flags);

  /**
   * DbDiagnostic:end-character:
   *
   * The 0-based character offset in [property@DbPool.Diagnostic:end-line]
   * where the range ends (exclusive, as in LSP).
   */
  properties[PROP_END_CHARACTER] =
    g_param_spec_uint ("end-character", NULL, NULL,
                       0, DB_DIAGNOSTIC_POSITION_MAX, 0, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
db_diagnostic_init (DbDiagnostic *self)
{
  self->severity = DB_SEVERITY_ERROR;
  self->message = g_strdup ("");
}

/**
 * db_diagnostic_new:
 * @severity: the severity
 * @message: the message
 * @source: (nullable): the tool that produced the diagnostic
 * @code: (nullable): the diagnostic code, as text
 * @start_line: 0-based start line
 * @start_character: 0-based start character
 * @end_line: 0-based end line
 * @end_character: 0-based end character
 *
 * Creates an immutable diagnostic. Positions are at most `G_MAXINT32`, the
 * range of LSP's `uinteger`.
 *
 * Returns: (transfer full): a new diagnostic
 */
DbDiagnostic *
db_diagnostic_new (DbSeverity  severity,
                   const char *message,
                   const char *source,
                   const char *code,
                   guint       start_line,
                   guint       start_character,
                   guint       end_line,
                   guint       end_character)
{
  g_return_val_if_fail (severity >= DB_SEVERITY_ERROR && severity <= DB_SEVERITY_HINT, NULL);
  g_return_val_if_fail (message != NULL, NULL);
  g_return_val_if_fail (start_line <= DB_DIAGNOSTIC_POSITION_MAX, NULL);
  g_return_val_if_fail (start_character <= DB_DIAGNOSTIC_POSITION_MAX, NULL);
  g_return_val_if_fail (end_line <= DB_DIAGNOSTIC_POSITION_MAX, NULL);
  g_return_val_if_fail (end_character <= DB_DIAGNOSTIC_POSITION_MAX, NULL);

  return g_object_new (DB_TYPE_DIAGNOSTIC,
                       "severity", severity,
                       "message", message,
                       "source", source,
                       "code", code,
                       "start-line", start_line,
                       "start-character", start_character,
                       "end-line", end_line,
                       "end-character", end_character,
                       NULL);
}

/**
 * db_diagnostic_get_severity:
 * @self: a diagnostic
 *
 * Gets [property@DbPool.Diagnostic:severity], how serious the diagnostic is.
 *
 * Returns: the diagnostic's severity
 */
DbSeverity
db_diagnostic_get_severity (DbDiagnostic *self)
{
  g_return_val_if_fail (DB_IS_DIAGNOSTIC (self), DB_SEVERITY_ERROR);
  return self->severity;
}

/**
 * db_diagnostic_get_message:
 * @self: a diagnostic
 *
 * Gets [property@DbPool.Diagnostic:message], the text the language server
 * reported, exactly as it was recorded.
 *
 * Returns: (transfer none): the message, never %NULL
 */
const char *
db_diagnostic_get_message (DbDiagnostic *self)
{
  g_return_val_if_fail (DB_IS_DIAGNOSTIC (self), NULL);
  return self->message;
}

/**
 * db_diagnostic_get_source:
 * @self: a diagnostic
 *
 * Gets [property@DbPool.Diagnostic:source], the tool that produced the
 * diagnostic, such as "pyflakes" or "clang-tidy".
 *
 * Returns: (transfer none) (nullable): the tool that produced the diagnostic
 */
const char *
db_diagnostic_get_source (DbDiagnostic *self)
{
  g_return_val_if_fail (DB_IS_DIAGNOSTIC (self), NULL);
  return self->source;
}

/**
 * db_diagnostic_get_code:
 * @self: a diagnostic
 *
 * Gets [property@DbPool.Diagnostic:code]; an integer LSP code reads as its
 * decimal text.
 *
 * Returns: (transfer none) (nullable): the code as text
 */
const char *
db_diagnostic_get_code (DbDiagnostic *self)
{
  g_return_val_if_fail (DB_IS_DIAGNOSTIC (self), NULL);
  return self->code;
}

/**
 * db_diagnostic_get_start_line:
 * @self: a diagnostic
 *
 * Gets [property@DbPool.Diagnostic:start-line], the line where the range starts.
 *
 * Returns: the 0-based start line
 */
guint
db_diagnostic_get_start_line (DbDiagnostic *self)
{
  g_return_val_if_fail (DB_IS_DIAGNOSTIC (self), 0);
  return self->start_line;
}

/**
 * db_diagnostic_get_start_character:
 * @self: a diagnostic
 *
 * Gets [property@DbPool.Diagnostic:start-character], the character offset
 * where the range starts.
 *
 * Returns: the 0-based start character
 */
guint
db_diagnostic_get_start_character (DbDiagnostic *self)
{
  g_return_val_if_fail (DB_IS_DIAGNOSTIC (self), 0);
  return self->start_character;
}

/**
 * db_diagnostic_get_end_line:
 * @self: a diagnostic
 *
 * Gets [property@DbPool.Diagnostic:end-line], the line where the range ends.
 *
 * Returns: the 0-based end line
 */
guint
db_diagnostic_get_end_line (DbDiagnostic *self)
{
  g_return_val_if_fail (DB_IS_DIAGNOSTIC (self), 0);
  return self->end_line;
}

/**
 * db_diagnostic_get_end_character:
 * @self: a diagnostic
 *
 * Gets [property@DbPool.Diagnostic:end-character], the character offset
 * where the range ends (exclusive).
 *
 * Returns: the 0-based end character
 */
guint
db_diagnostic_get_end_character (DbDiagnostic *self)
{
  g_return_val_if_fail (DB_IS_DIAGNOSTIC (self), 0);
  return self->end_character;
}
