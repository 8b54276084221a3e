/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Set-up shared by the fuzz targets. */
#pragma once

#include <signal.h>
#include <stdlib.h>

#include <glib.h>

/* GLib ends a fatal message (g_error, a failed g_return_if_fail made fatal) with a
 * breakpoint, SIGTRAP, which libFuzzer does not catch: the process would die without
 * saving the input. An abort is caught like any crash. */
G_GNUC_NORETURN static void
fuzz_trap_to_abort (int signum)
{
  abort ();
}

static inline void
fuzz_init_glib (void)
{
  /* Criticals and warnings are bugs here (a precondition failed, a NULL slipped
   * through), not noise. */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  signal (SIGTRAP, fuzz_trap_to_abort);
}
