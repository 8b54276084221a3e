/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "pm-monitor-window.h"

G_BEGIN_DECLS

/* Drives @window as a user would and checks what it shows (the bound statistics
 * follow the writes, the column view holds every row of the DbRows); prints one line
 * per check. Iterates the main context until done. Returns FALSE on a failure. */
gboolean pm_self_test_run (PmMonitorWindow *window);

G_END_DECLS
