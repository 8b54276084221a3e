/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "db-tuning-private.h"

DbTuning _db_tuning = {
  .handoff_spin = TRUE,
  .thread_affinity = TRUE,
  .statement_memo = TRUE,
  .spare_statement = TRUE,
  .parser_renice = TRUE,
  .gathered_completions = TRUE,
  .statement_runner = TRUE,
};
