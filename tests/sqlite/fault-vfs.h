/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A test VFS shim over the default VFS (unix-excl in the exclusive run,
 * DBPOOL_TEST_EXCLUSIVE=1) that fails chosen calls on demand.
 * Use it with a database URI: "file:/path/db?vfs=fault".
 *
 * Taking a lock (xLock, xShmLock) is a fault point, releasing one is not: SQLite
 * ignores what unlocking returns, so a failed unlock would leave behind a lock no real
 * file system keeps. While a point is armed to fail with SQLITE_BUSY persistently,
 * the VFS's xSleep returns at once, so SQLite's retry loops (busy handler, WAL
 * read-lock retries) give up without seconds of real waiting. */
#pragma once

#include <glib.h>
#include <sqlite3.h>

typedef enum {
  FAULT_OPEN,
  FAULT_READ,
  FAULT_WRITE,
  FAULT_SYNC,
  FAULT_TRUNCATE,
  FAULT_LOCK,
  FAULT_SHM_LOCK,
  FAULT_SHM_MAP,
  FAULT_FILE_SIZE,
  FAULT_N_POINTS
} FaultPoint;

/* Registers the "fault" VFS (idempotent). */
void         fault_vfs_register   (void);

/* Fail the @nth (1-based) call of @point from now on with @rc; if @persistent, every
 * call after it fails too. Disarms every other point and restarts all call counts.
 * nth = 0 disarms. */
void         fault_vfs_arm        (FaultPoint  point,
                                   guint       nth,
                                   int         rc,
                                   gboolean    persistent);
/* Like fault_vfs_arm(), but leaves the other points armed as they are and restarts
 * only @point's count: several points can fail at once. */
void         fault_vfs_add        (FaultPoint  point,
                                   guint       nth,
                                   int         rc,
                                   gboolean    persistent);
void         fault_vfs_disarm     (void);

/* Calls of @point seen since the last arm/disarm. */
guint        fault_vfs_calls      (FaultPoint  point);
/* How many faults were injected since the last arm/disarm. */
guint        fault_vfs_injected   (void);
