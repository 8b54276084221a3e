/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The speed tricks, each of which must show in the benchmark to stay: dbpool-bench
 * turns them off one at a time (before it creates a pool) to measure what each is
 * worth; docs/benchmarks.md has the figures. Nothing else changes them (the hook below is for tests). */
typedef struct
{
  gboolean handoff_spin;      /* the oldest blocked waiter spins for its handoff */
  gboolean thread_affinity;   /* an idle connection goes to the thread that returned it */
  gboolean statement_memo;    /* cached statements found by the caller's SQL pointer */
  gboolean spare_statement;   /* a lease keeps a freed DbStatement's memory */
  gboolean parser_renice;     /* HistoryStorage's LSP parser threads run at nice +5 */
  gboolean gathered_completions; /* async results delivered by one source per context */
  gboolean statement_runner;  /* async statements drained by at most a worker per core */

  /* Not a trick: a test hook, NULL outside tests. Called on the maintenance worker
   * right after a checkpoint, while the writer's turn is still held, so a test can
   * show that no write is granted meanwhile. */
  void   (*checkpoint_hook) (void);
} DbTuning;

extern DbTuning _db_tuning;

G_END_DECLS
