/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pool's self-protection: the circuit breaker and where leases come from. */
#include <stdlib.h>   /* defines __GLIBC__ on glibc */
#include <string.h>

#ifdef __GLIBC__
# include <execinfo.h>
#endif

#include "db-pool-health-private.h"

/* A failed trial doubles the cool-down, up to this many times the configured one. */
#define MAX_COOLDOWN_FACTOR 32

void
_db_breaker_init (DbBreaker *self,
                  guint      threshold,
                  guint      cooldown_ms)
{
  self->threshold = threshold;
  self->base_cooldown_us = (gint64) cooldown_ms * 1000;
  self->state = DB_CIRCUIT_CLOSED;
  self->failures = 0;
  self->cooldown_us = self->base_cooldown_us;
  self->retry_at_us = 0;
  self->last_error = NULL;
}

void
_db_breaker_clear (DbBreaker *self)
{
  g_clear_error (&self->last_error);
}

DbBreakerVerdict
_db_breaker_may_open (DbBreaker *self,
                      gint64     now)
{
  switch (self->state)
    {
    case DB_CIRCUIT_OPEN:
      if (now < self->retry_at_us)
        return DB_BREAKER_FAIL;
      self->state = DB_CIRCUIT_HALF_OPEN;
      return DB_BREAKER_ALLOW;
    case DB_CIRCUIT_HALF_OPEN:
      return DB_BREAKER_WAIT;
    case DB_CIRCUIT_CLOSED:
    default:
      return DB_BREAKER_ALLOW;
    }
}

gboolean
_db_breaker_success (DbBreaker *self)
{
  gboolean changed = self->state != DB_CIRCUIT_CLOSED;

  self->failures = 0;
  self->state = DB_CIRCUIT_CLOSED;
  self->cooldown_us = self->base_cooldown_us;
  g_clear_error (&self->last_error);
  return changed;
}

gboolean
_db_breaker_failure (DbBreaker    *self,
                     const GError *error,
                     gint64        now)
{
  DbCircuitState before = self->state;

  g_clear_error (&self->last_error);
  self->last_error = g_error_copy (error);
  self->failures++;

  if (self->threshold == 0)
    return FALSE;

  if (before == DB_CIRCUIT_HALF_OPEN)
    self->cooldown_us = MIN (self->cooldown_us * 2, self->base_cooldown_us * MAX_COOLDOWN_FACTOR);
  else if (self->failures < self->threshold)
    return FALSE;
  else
    self->cooldown_us = self->base_cooldown_us;

  self->state = DB_CIRCUIT_OPEN;
  self->retry_at_us = now + self->cooldown_us;
  /* A failed trial (HALF_OPEN → OPEN) is not news: only the first opening is. */
  return before == DB_CIRCUIT_CLOSED;
}

GError *
_db_breaker_error (DbBreaker  *self,
                   const char *path,
                   gint64      now)
{
  return g_error_new (DB_POOL_ERROR, DB_POOL_ERROR_OPEN,
                      "Database “%s” is unreachable (%u failed opens in a row; last: %s); "
                      "failing fast, next attempt in %" G_GINT64_FORMAT " ms",
                      path, self->failures,
                      self->last_error ? self->last_error->message : "unknown error",
                      MAX (self->retry_at_us - now, 0) / 1000);
}

/* Per thread: set and read on the acquiring thread, inside the call that set it, so
 * no lock is needed and no other acquire can see it. */
static GPrivate caller_hint;

void
_db_lease_origin_set_caller (const char *caller)
{
  g_private_set (&caller_hint, (gpointer) caller);
}

static GPrivate thread_id;

gsize
_db_thread_id (void)
{
  static gsize last_id;
  gsize id = GPOINTER_TO_SIZE (g_private_get (&thread_id));

  if (G_UNLIKELY (id == 0))
    {
      id = (gsize) g_atomic_pointer_add (&last_id, 1) + 1;
      g_private_set (&thread_id, GSIZE_TO_POINTER (id));
    }
  return id;
}

void
_db_lease_origin_init (DbLeaseOrigin *self,
                       const char    *entry,
                       gsize          holder)
{
  const char *caller = g_private_get (&caller_hint);

  self->entry = entry;
  self->holder = holder;
  /* Interned: origins are copied by value into slots and reports, and call sites are
   * few, so the string simply lives as long as the process. */
  self->caller = caller != NULL ? g_intern_string (caller) : NULL;
  self->n_frames = 0;
}

void
_db_lease_origin_copy (DbLeaseOrigin       *dest,
                       const DbLeaseOrigin *src)
{
  dest->entry = src->entry;
  dest->holder = src->holder;
  dest->caller = src->caller;
  dest->n_frames = src->n_frames;
  if (src->n_frames > 0)
    memcpy (dest->frames, src->frames, sizeof src->frames[0] * (gsize) src->n_frames);
}

void
_db_lease_origin_capture (DbLeaseOrigin *self,
                          const char    *entry)
{
  self->entry = entry;
  if (self->caller != NULL)
    {
      /* Under a binding the C stack shows only the interpreter. */
      self->n_frames = 0;
      return;
    }
#ifdef __GLIBC__
  self->n_frames = backtrace (self->frames, DB_LEASE_ORIGIN_FRAMES);
#else
  self->n_frames = 0;
#endif
}

char *
_db_lease_origin_describe (const DbLeaseOrigin *self)
{
  GString *out = g_string_new (NULL);

  g_string_append_printf (out, "acquired through %s", self->entry ? self->entry : "(unknown)");
  if (self->caller != NULL)
    g_string_append_printf (out, " at %s", self->caller);
#ifdef __GLIBC__
  if (self->n_frames > 0)
    {
      char **symbols = backtrace_symbols (self->frames, self->n_frames);

      /* Frame 0 is the capture itself and frame 1 dbpool's entry point. */
      for (int i = 2; symbols != NULL && i < self->n_frames; i++)
        g_string_append_printf (out, "\n  #%d %s", i - 2, symbols[i]);
      free (symbols);
    }
#endif
  if (self->n_frames == 0 && self->caller == NULL)
    g_string_append (out, " (set leak-threshold-ms to record the stack of each acquire)");
  return g_string_free (out, FALSE);
}
