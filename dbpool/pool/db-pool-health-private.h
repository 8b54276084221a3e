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

/* Where a lease was acquired and which thread holds it. The entry and the holder
 * cost nothing and are always set (_db_lease_origin_init()): the holder is how the
 * pool tells a thread that would wait for itself (closing the pool, or a second
 * write lease, while holding one) from one that waits for others. The stack is
 * captured only when leak detection is on (a stack walk per acquire). Described only
 * when something is reported. */
#define DB_LEASE_ORIGIN_FRAMES 24

typedef struct
{
  const char *entry;                 /* the public function that acquired it */
  gsize       holder;                /* _db_thread_id() of the thread the lease is for;
                                      * 0 for pool jobs */
  const char *caller;                /* interned: a binding's own origin (db_pool_acquire_with_origin()), or NULL */
  int         n_frames;
  void       *frames[DB_LEASE_ORIGIN_FRAMES];
} DbLeaseOrigin;

/* This thread's number: unlike a GThread pointer, never reused by a later thread. */
gsize _db_thread_id             (void);

void  _db_lease_origin_init     (DbLeaseOrigin       *self,
                                 const char          *entry,
                                 gsize                holder);
/* Keeps the holder and the caller; sets the entry and records the stack (not for
 * a binding's caller, whose C stack shows only the interpreter). */
void  _db_lease_origin_capture  (DbLeaseOrigin       *self,
                                 const char          *entry);
/* Copies @src into @dest, the stack only as far as it was recorded (hot path). */
void  _db_lease_origin_copy     (DbLeaseOrigin       *dest,
                                 const DbLeaseOrigin *src);
char *_db_lease_origin_describe (const DbLeaseOrigin *self);
/* A binding's description of its caller (db_pool_acquire_with_origin()), read by
 * the next _db_lease_origin_init() on this thread; NULL clears it. */
void  _db_lease_origin_set_caller (const char        *caller);

G_END_DECLS
