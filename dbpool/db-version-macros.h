/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(DBPOOL_INSIDE) && !defined(DBPOOL_COMPILATION)
# error "Only <dbpool.h> can be included directly."
#endif

#include <glib.h>

/* Symbols are hidden by default (gnu_symbol_visibility: 'hidden'); every public
 * declaration carries one of these so the ABI is exactly what the headers list. */
#ifndef _DBPOOL_EXTERN
# define _DBPOOL_EXTERN __attribute__((visibility("default"))) extern
#endif

#define DBPOOL_AVAILABLE_IN_ALL _DBPOOL_EXTERN
#define DBPOOL_AVAILABLE_IN_1_0 _DBPOOL_EXTERN
