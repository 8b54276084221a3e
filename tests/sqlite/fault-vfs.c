/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "fault-vfs.h"
#include "test-common.h"
#include "db-sqlite-conn-private.h"

typedef struct
{
  sqlite3_file  base;
  sqlite3_file *real;   /* allocated right after this struct */
} FaultFile;

static sqlite3_vfs fault_vfs;
static sqlite3_vfs *real_vfs;
static sqlite3_io_methods fault_io_v1, fault_io_v2, fault_io_v3;

static struct
{
  GMutex   lock;
  guint    calls[FAULT_N_POINTS];
  guint    nth[FAULT_N_POINTS];
  int      rc[FAULT_N_POINTS];
  gboolean persistent[FAULT_N_POINTS];
  guint    injected;
} state;

/* Returns the result code to inject for this call of @point, or SQLITE_OK. */
static int
should_fail (FaultPoint point)
{
  int rc = SQLITE_OK;
  guint n;

  g_mutex_lock (&state.lock);
  n = ++state.calls[point];
  if (state.nth[point] != 0 &&
      (n == state.nth[point] || (state.persistent[point] && n > state.nth[point])))
    {
      rc = state.rc[point];
      state.injected++;
    }
  g_mutex_unlock (&state.lock);
  return rc;
}

void
fault_vfs_arm (FaultPoint point,
               guint      nth,
               int        rc,
               gboolean   persistent)
{
  g_mutex_lock (&state.lock);
  memset (state.calls, 0, sizeof state.calls);
  memset (state.nth, 0, sizeof state.nth);
  state.injected = 0;
  state.nth[point] = nth;
  state.rc[point] = rc;
  state.persistent[point] = persistent;
  g_mutex_unlock (&state.lock);
}

void
fault_vfs_add (FaultPoint point,
               guint      nth,
               int        rc,
               gboolean   persistent)
{
  g_mutex_lock (&state.lock);
  state.calls[point] = 0;
  state.nth[point] = nth;
  state.rc[point] = rc;
  state.persistent[point] = persistent;
  g_mutex_unlock (&state.lock);
}

void
fault_vfs_disarm (void)
{
  g_mutex_lock (&state.lock);
  memset (state.nth, 0, sizeof state.nth);
  memset (state.calls, 0, sizeof state.calls);
  state.injected = 0;
  g_mutex_unlock (&state.lock);
}

/* Whether some point fails with SQLITE_BUSY from now on. */
static gboolean
persistent_busy_armed (void)
{
  gboolean busy = FALSE;

  g_mutex_lock (&state.lock);
  for (guint i = 0; i < FAULT_N_POINTS; i++)
    busy |= state.nth[i] != 0 && state.persistent[i] && (state.rc[i] & 0xff) == SQLITE_BUSY;
  g_mutex_unlock (&state.lock);
  return busy;
}

guint
fault_vfs_calls (FaultPoint point)
{
  guint n;

  g_mutex_lock (&state.lock);
  n = state.calls[point];
  g_mutex_unlock (&state.lock);
  return n;
}

guint
fault_vfs_injected (void)
{
  guint n;

  g_mutex_lock (&state.lock);
  n = state.injected;
  g_mutex_unlock (&state.lock);
  return n;
}

#define REAL(f) (((FaultFile *) (f))->real)

static int
f_close (sqlite3_file *f)
{
  int rc = REAL (f)->pMethods ? REAL (f)->pMethods->xClose (REAL (f)) : SQLITE_OK;

  return rc;
}

static int
f_read (sqlite3_file *f, void *buf, int amt, sqlite3_int64 ofst)
{
  int rc = should_fail (FAULT_READ);

  return rc ? rc : REAL (f)->pMethods->xRead (REAL (f), buf, amt, ofst);
}

static int
f_write (sqlite3_file *f, const void *buf, int amt, sqlite3_int64 ofst)
{
  int rc = should_fail (FAULT_WRITE);

  return rc ? rc : REAL (f)->pMethods->xWrite (REAL (f), buf, amt, ofst);
}

static int
f_truncate (sqlite3_file *f, sqlite3_int64 size)
{
  int rc = should_fail (FAULT_TRUNCATE);

  return rc ? rc : REAL (f)->pMethods->xTruncate (REAL (f), size);
}

static int
f_sync (sqlite3_file *f, int flags)
{
  int rc = should_fail (FAULT_SYNC);

  return rc ? rc : REAL (f)->pMethods->xSync (REAL (f), flags);
}

static int
f_file_size (sqlite3_file *f, sqlite3_int64 *size)
{
  int rc = should_fail (FAULT_FILE_SIZE);

  return rc ? rc : REAL (f)->pMethods->xFileSize (REAL (f), size);
}

static int
f_lock (sqlite3_file *f, int level)
{
  int rc = should_fail (FAULT_LOCK);

  return rc ? rc : REAL (f)->pMethods->xLock (REAL (f), level);
}

static int
f_unlock (sqlite3_file *f, int level)
{
  return REAL (f)->pMethods->xUnlock (REAL (f), level);
}

static int
f_check_reserved (sqlite3_file *f, int *out)
{
  return REAL (f)->pMethods->xCheckReservedLock (REAL (f), out);
}

static int
f_file_control (sqlite3_file *f, int op, void *arg)
{
  return REAL (f)->pMethods->xFileControl (REAL (f), op, arg);
}

static int
f_sector_size (sqlite3_file *f)
{
  return REAL (f)->pMethods->xSectorSize (REAL (f));
}

static int
f_device_characteristics (sqlite3_file *f)
{
  return REAL (f)->pMethods->xDeviceCharacteristics (REAL (f));
}

static int
f_shm_map (sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
  int rc = should_fail (FAULT_SHM_MAP);

  if (rc != SQLITE_OK)
    {
      *pp = NULL;
      return rc;
    }
  return REAL (f)->pMethods->xShmMap (REAL (f), pg, pgsz, extend, pp);
}

static int
f_shm_lock (sqlite3_file *f, int offset, int n, int flags)
{
  int rc;

  /* Only taking a lock is a fault point: SQLite ignores what unlocking returns, so a
   * failed unlock here would leave a lock held that no real VFS leaves behind. */
  if (flags & SQLITE_SHM_UNLOCK)
    return REAL (f)->pMethods->xShmLock (REAL (f), offset, n, flags);

  rc = should_fail (FAULT_SHM_LOCK);
  return rc ? rc : REAL (f)->pMethods->xShmLock (REAL (f), offset, n, flags);
}

static void
f_shm_barrier (sqlite3_file *f)
{
  REAL (f)->pMethods->xShmBarrier (REAL (f));
}

static int
f_shm_unmap (sqlite3_file *f, int delete_flag)
{
  return REAL (f)->pMethods->xShmUnmap (REAL (f), delete_flag);
}

static int
f_fetch (sqlite3_file *f, sqlite3_int64 ofst, int amt, void **pp)
{
  return REAL (f)->pMethods->xFetch (REAL (f), ofst, amt, pp);
}

static int
f_unfetch (sqlite3_file *f, sqlite3_int64 ofst, void *p)
{
  return REAL (f)->pMethods->xUnfetch (REAL (f), ofst, p);
}

static int
v_open (sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out_flags)
{
  FaultFile *ff = (FaultFile *) file;
  int rc;

  ff->real = (sqlite3_file *) (ff + 1);
  ff->base.pMethods = NULL;
  rc = should_fail (FAULT_OPEN);
  if (rc != SQLITE_OK)
    return rc;

  rc = real_vfs->xOpen (real_vfs, name, ff->real, flags, out_flags);
  if (rc != SQLITE_OK || ff->real->pMethods == NULL)
    return rc;

  switch (ff->real->pMethods->iVersion)
    {
    case 1: ff->base.pMethods = &fault_io_v1; break;
    case 2: ff->base.pMethods = &fault_io_v2; break;
    default: ff->base.pMethods = &fault_io_v3; break;
    }
  return SQLITE_OK;
}

static int
v_delete (sqlite3_vfs *vfs, const char *name, int sync_dir)
{
  return real_vfs->xDelete (real_vfs, name, sync_dir);
}

static int
v_access (sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
  return real_vfs->xAccess (real_vfs, name, flags, out);
}

static int
v_full_pathname (sqlite3_vfs *vfs, const char *name, int n, char *out)
{
  return real_vfs->xFullPathname (real_vfs, name, n, out);
}

static int
v_randomness (sqlite3_vfs *vfs, int n, char *out)
{
  return real_vfs->xRandomness (real_vfs, n, out);
}

static int
v_sleep (sqlite3_vfs *vfs, int us)
{
  /* Under a persistent injected SQLITE_BUSY, pretend to have slept: SQLite's busy
   * handler and WAL retry loops count the time they asked for, so they still give up,
   * only without seconds of real waiting. Real waits stay real otherwise: a new
   * connection may have to wait for one being closed. */
  if (persistent_busy_armed ())
    return us;
  return real_vfs->xSleep (real_vfs, us);
}

static int
v_current_time_int64 (sqlite3_vfs *vfs, sqlite3_int64 *out)
{
  return real_vfs->xCurrentTimeInt64 (real_vfs, out);
}

static int
v_get_last_error (sqlite3_vfs *vfs, int n, char *out)
{
  return real_vfs->xGetLastError ? real_vfs->xGetLastError (real_vfs, n, out) : 0;
}

void
fault_vfs_register (void)
{
  static gsize once = 0;

  if (!g_once_init_enter (&once))
    return;

  /* SQLite initialized the way the pool does it, before anything else touches it. */
  _db_sqlite_global_init ();
  /* In the exclusive run the pool opens with unix-excl; a URI naming this VFS must
   * keep that behaviour underneath (unix-excl decides by the name of the VFS its
   * xOpen is called with, which is the real one). */
  real_vfs = sqlite3_vfs_find (test_exclusive_mode () ? "unix-excl" : NULL);
  g_assert (real_vfs != NULL);

  fault_io_v1 = (sqlite3_io_methods) {
    1, f_close, f_read, f_write, f_truncate, f_sync, f_file_size, f_lock, f_unlock,
    f_check_reserved, f_file_control, f_sector_size, f_device_characteristics,
    NULL, NULL, NULL, NULL, NULL, NULL,
  };
  fault_io_v2 = fault_io_v1;
  fault_io_v2.iVersion = 2;
  fault_io_v2.xShmMap = f_shm_map;
  fault_io_v2.xShmLock = f_shm_lock;
  fault_io_v2.xShmBarrier = f_shm_barrier;
  fault_io_v2.xShmUnmap = f_shm_unmap;
  fault_io_v3 = fault_io_v2;
  fault_io_v3.iVersion = 3;
  fault_io_v3.xFetch = f_fetch;
  fault_io_v3.xUnfetch = f_unfetch;

  fault_vfs = (sqlite3_vfs) {
    .iVersion = 2,
    .szOsFile = (int) sizeof (FaultFile) + real_vfs->szOsFile,
    .mxPathname = real_vfs->mxPathname,
    .zName = "fault",
    .xOpen = v_open,
    .xDelete = v_delete,
    .xAccess = v_access,
    .xFullPathname = v_full_pathname,
    .xRandomness = v_randomness,
    .xSleep = v_sleep,
    .xGetLastError = v_get_last_error,
    .xCurrentTimeInt64 = v_current_time_int64,
  };
  sqlite3_vfs_register (&fault_vfs, 0);

  g_once_init_leave (&once, 1);
}
