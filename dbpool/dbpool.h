/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#define DBPOOL_INSIDE
# include "db-version-macros.h"
# include "db-version.h"
# include "db-types.h"
# include "db-enum-types.h"
# include "db-pool-config.h"
# include "db-pool-stats.h"
# include "db-rows.h"
# include "db-row.h"
# include "db-statement.h"
# include "db-connection.h"
# include "db-pool.h"
/* HistoryStorage */
# include "db-history-config.h"
# include "db-diagnostic.h"
# include "db-diagnostic-snapshot.h"
# include "db-history-storage.h"
#undef DBPOOL_INSIDE
