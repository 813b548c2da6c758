/*
 * xtrader.h: what the extension's C files share: GUC variables and their limits, and helpers
 * used by more than one SQL function.
 *
 * Only code under src/pg includes postgres.h; the engine core (src/engine) never does.
 */
#ifndef XTRADER_PG_H
#define XTRADER_PG_H

#include "postgres.h"
#include "utils/numeric.h"

/* Limits as named triples (default, min, max); the engine's own bounds are the outer fence. */
#define XT_DEFAULT_MAX_SYMBOLS	64
#define XT_MIN_MAX_SYMBOLS		1
#define XT_MAX_MAX_SYMBOLS		65536

/* GUCs (src/pg/xtrader.c) */
extern int	xt_guc_max_symbols;

/* Fractional digits a tick or lot size may have. */
#define XT_STEP_MAX_SCALE		8

/* src/pg/numeric_util.c: exact numeric helpers shared by the SQL functions. */
extern int	xt_numeric_cmp(Numeric a, Numeric b);
extern bool xt_numeric_is_multiple(Numeric value, Numeric step);
extern int32 xt_numeric_min_scale(Numeric value);
extern bool xt_numeric_units(Numeric value, Numeric step, int64 *units);
extern Numeric xt_numeric_from_cstring(const char *s);

#endif							/* XTRADER_PG_H */
