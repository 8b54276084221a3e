/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "db-types.h"

G_BEGIN_DECLS

/* The circuit breaker: when opening connections keeps failing (database unreachable),
 * acquires that need a new connection fail at once for a cool-down instead of each
 * paying for its own failed open, then one trial open is let through. All functions
 * are called with the pool lock held; none of them does anything slow. */
typedef struct
{
  guint           threshold;        /* failures in a row that open it; 0 = never */
  gint64          base_cooldown_us;
  DbCircuitState  state;
  guint           failures;         /* consecutive failed opens */
  gint64          cooldown_us;      /* current cool-down, doubles per failed trial */
  gint64          retry_at_us;      /* OPEN: when the next trial may start */
  GError         *last_error;
} DbBreaker;

typedef enum {
  DB_BREAKER_ALLOW,   /* open a connection (in HALF_OPEN: the trial) */
  DB_BREAKER_WAIT,    /* a trial is running: wait for its outcome */
  DB_BREAKER_FAIL,    /* open and cooling down: fail fast */
} DbBreakerVerdict;

void              _db_breaker_init     (DbBreaker    *self,
                                        guint         threshold,
                                        guint         cooldown_ms);
void              _db_breaker_clear    (DbBreaker    *self);
DbBreakerVerdict  _db_breaker_may_open (DbBreaker    *self,
                                        gint64        now);
/* Return TRUE when the breaker closes again / first opens (worth a log line). */
gboolean          _db_breaker_success  (DbBreaker    *self);
gboolean          _db_breaker_failure  (DbBreaker    *self,
                                        const GError *error,
                                        gint64        now);
GError           *_db_breaker_error    (DbBreaker    *self,
                                        const char   *path,
                                        gint64        now);

/* Where a lease was acquired, for leak reports: captured only when leak detection
 * is on (a stack walk per acquire), described only when a leak is reported. */
#define DB_LEASE_ORIGIN_FRAMES 24

typedef struct
{
  const char *entry;                 /* the public function that acquired it */
  const char *caller;                /* interned: a binding's own origin, or NULL */
  int         n_frames;
  void       *frames[DB_LEASE_ORIGIN_FRAMES];
} DbLeaseOrigin;

void  _db_lease_origin_capture  (DbLeaseOrigin       *self,
                                 const char          *entry);
char *_db_lease_origin_describe (const DbLeaseOrigin *self);
/* A binding's description of its caller (db_pool_acquire_with_origin()), read by
 * the next capture on this thread; NULL clears it. */
void  _db_lease_origin_set_caller (const char        *caller);

G_END_DECLS
