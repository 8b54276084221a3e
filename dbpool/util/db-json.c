/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "db-json-private.h"

typedef struct
{
  const char  *start;
  const char  *p;
  const char  *end;
  char       **message;
} Scan;

/* Positions as json-glib writes them, "<data>:line:column:", so that both kinds of
 * syntax error read the same. */
static gboolean
fail (Scan       *s,
      const char *what)
{
  guint line = 1;
  const char *line_start = s->start;

  for (const char *q = s->start; q < s->p; q++)
    if (*q == '\n')
      {
        line++;
        line_start = q + 1;
      }
  *s->message = g_strdup_printf ("<data>:%u:%u: %s", line,
                                 (guint) g_utf8_pointer_to_offset (line_start, s->p) + 1, what);
  return FALSE;
}

static void
skip_space (Scan *s)
{
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
    s->p++;
}

static gboolean
peek (Scan *s,
      char  c)
{
  return s->p < s->end && *s->p == c;
}

static int
hex4 (Scan *s)
{
  int value = 0;

  if (s->end - s->p < 4)
    return -1;
  for (int i = 0; i < 4; i++)
    {
      int digit = g_ascii_xdigit_value (s->p[i]);

      if (digit < 0)
        return -1;
      value = value * 16 + digit;
    }
  s->p += 4;
  return value;
}

static gboolean
scan_string (Scan *s)
{
  s->p++;   /* the opening quote */
  while (s->p < s->end && *s->p != '"')
    {
      int unit;

      if (*s->p == '\0')
        return fail (s, "NUL character in a string");
      if (*s->p != '\\')
        {
          s->p++;
          continue;
        }
      if (++s->p == s->end)
        break;
      if (strchr ("\"\\/bfnrt", *s->p) != NULL && *s->p != '\0')
        {
          s->p++;
          continue;
        }
      if (*s->p != 'u')
        return fail (s, "invalid escape");
      s->p++;
      if ((unit = hex4 (s)) < 0)
        return fail (s, "\\u escape without four hex digits");
      if (unit >= 0xDC00 && unit <= 0xDFFF)
        return fail (s, "lone UTF-16 surrogate escape");
      if (unit >= 0xD800 && unit <= 0xDBFF)
        {
          int low;

          if (s->end - s->p < 2 || s->p[0] != '\\' || s->p[1] != 'u')
            return fail (s, "lone UTF-16 surrogate escape");
          s->p += 2;
          if ((low = hex4 (s)) < 0xDC00 || low > 0xDFFF)
            return fail (s, "lone UTF-16 surrogate escape");
        }
    }
  if (s->p == s->end)
    return fail (s, "unterminated string");
  s->p++;
  return TRUE;
}

static gboolean
scan_digits (Scan *s)
{
  const char *first = s->p;

  while (s->p < s->end && g_ascii_isdigit (*s->p))
    s->p++;
  return s->p > first;
}

static gboolean
scan_number (Scan *s)
{
  if (peek (s, '-'))
    s->p++;
  if (peek (s, '0'))
    s->p++;
  else if (!scan_digits (s))
    return fail (s, "invalid number");
  if (peek (s, '.'))
    {
      s->p++;
      if (!scan_digits (s))
        return fail (s, "invalid number");
    }
  if (peek (s, 'e') || peek (s, 'E'))
    {
      s->p++;
      if (peek (s, '+') || peek (s, '-'))
        s->p++;
      if (!scan_digits (s))
        return fail (s, "invalid number");
    }
  return TRUE;
}

static gboolean
scan_word (Scan       *s,
           const char *word)
{
  gsize len = strlen (word);

  if ((gsize) (s->end - s->p) < len || memcmp (s->p, word, len) != 0)
    return fail (s, "unexpected character");
  s->p += len;
  return TRUE;
}

static gboolean
scan_value (Scan  *s,
            guint  depth)
{
  skip_space (s);
  if (s->p == s->end)
    return fail (s, "unexpected end");

  switch (*s->p)
    {
    case '{':
    case '[':
      {
        char close = *s->p == '{' ? '}' : ']';
        gboolean object = close == '}';

        if (depth == DB_JSON_MAX_DEPTH)
          return fail (s, "nested more than " G_STRINGIFY (DB_JSON_MAX_DEPTH) " deep");
        s->p++;
        skip_space (s);
        if (peek (s, close))
          {
            s->p++;
            return TRUE;
          }
        for (;;)
          {
            if (object)
              {
                skip_space (s);
                if (!peek (s, '"'))
                  return fail (s, "expected a member name");
                if (!scan_string (s))
                  return FALSE;
                skip_space (s);
                if (!peek (s, ':'))
                  return fail (s, "expected “:”");
                s->p++;
              }
            if (!scan_value (s, depth + 1))
              return FALSE;
            skip_space (s);
            if (peek (s, ','))
              s->p++;
            else if (peek (s, close))
              {
                s->p++;
                return TRUE;
              }
            else
              return fail (s, object ? "expected “,” or “}”" : "expected “,” or “]”");
          }
      }
    case '"':
      return scan_string (s);
    case 't':
      return scan_word (s, "true");
    case 'f':
      return scan_word (s, "false");
    case 'n':
      return scan_word (s, "null");
    default:
      if (*s->p == '-' || g_ascii_isdigit (*s->p))
        return scan_number (s);
      return fail (s, "unexpected character");
    }
}

gboolean
_db_json_check_text (const char  *json,
                     gsize        length,
                     char       **message)
{
  Scan s = { json, json, json + length, message };
  const char *invalid;

  if (!g_utf8_validate (json, length, &invalid))
    {
      /* A NUL ends what g_utf8_validate() checks; only trailing NULs are allowed. */
      s.p = invalid;
      if (!(*invalid == '\0' && g_utf8_validate (json, invalid - json, NULL)))
        return fail (&s, "not UTF-8");
    }

  /* Empty text is json-glib's to report ("expected a JSON object, got nothing"). */
  skip_space (&s);
  if (s.p == s.end)
    return TRUE;

  if (!scan_value (&s, 0))
    return FALSE;

  skip_space (&s);
  while (s.p < s.end && *s.p == '\0')
    s.p++;
  if (s.p < s.end)
    return fail (&s, "unexpected data after the JSON value");
  return TRUE;
}
