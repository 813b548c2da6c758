/*
 * numeric_util.c: checking the SQL API's arguments, and exact arithmetic on numeric values.
 *
 * Prices and quantities arrive as numeric and become integer counts of ticks and lots. All of it
 * stays in numeric (exact decimal) until the final integer, so no value ever passes through a
 * binary float. Every SQL function reports a bad value through these, so the same mistake reads
 * the same everywhere.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"

#include "engine/engine.h"
#include "pg/xtrader.h"

/* Three-way compare of two numerics (NaN sorts last, as in PostgreSQL). */
int
xt_numeric_cmp(Numeric a, Numeric b)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp,
											 NumericGetDatum(a), NumericGetDatum(b)));
}

/* True when value is an exact multiple of step (step > 0, both finite). */
bool
xt_numeric_is_multiple(Numeric value, Numeric step)
{
	Numeric		rem = DatumGetNumeric(DirectFunctionCall2(numeric_mod,
														  NumericGetDatum(value),
														  NumericGetDatum(step)));

	return xt_numeric_cmp(rem, int64_to_numeric(0)) == 0;
}

/* The fewest fractional digits that represent value exactly ("0.0010" -> 3). */
int32
xt_numeric_min_scale(Numeric value)
{
	return DatumGetInt32(DirectFunctionCall1(numeric_min_scale, NumericGetDatum(value)));
}

/*
 * value / step as an integer count of steps, when value is a positive exact multiple of step and
 * the count is within [1, XT_VALUE_MAX]. Returns false otherwise (the caller reports why).
 */
bool
xt_numeric_units(Numeric value, Numeric step, int64 *units)
{
	Numeric		quotient;
	Numeric		limit = int64_to_numeric(XT_VALUE_MAX);

	if (numeric_is_nan(value) || numeric_is_inf(value) || !xt_numeric_is_multiple(value, step))
		return false;
	quotient = DatumGetNumeric(DirectFunctionCall2(numeric_div_trunc,
												   NumericGetDatum(value),
												   NumericGetDatum(step)));
	if (xt_numeric_cmp(quotient, limit) > 0)
		return false;
	*units = DatumGetInt64(DirectFunctionCall1(numeric_int8, NumericGetDatum(quotient)));
	return *units >= 1;
}

Numeric
xt_numeric_from_cstring(const char *s)
{
	return DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(s),
											   ObjectIdGetDatum(InvalidOid),
											   Int32GetDatum(-1)));
}

/* units * step, exactly, without trailing fractional zeros (0.0010 -> 0.001). */
Numeric
xt_units_to_numeric(int64 units, Numeric step)
{
	Datum		product = DirectFunctionCall2(numeric_mul,
											  NumericGetDatum(int64_to_numeric(units)),
											  NumericGetDatum(step));

	return DatumGetNumeric(DirectFunctionCall1(numeric_trim_scale, product));
}

/* ERROR 22004 "<name> must not be null" when argument argno is NULL. */
void
xt_require_arg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name)));
}

/*
 * v as a whole number of steps (ticks or lots) in [1, XT_VALUE_MAX]. Every way it can be wrong is
 * its own ERROR: not finite or not positive (22023), off the step's grid (22023), too large
 * (22003). field names the argument, step_name the step ("tick size", "lot size").
 */
int64
xt_numeric_to_units(Numeric v, Numeric step, const char *field, const char *step_name)
{
	int64		units;

	if (numeric_is_nan(v) || numeric_is_inf(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite number", field)));
	if (xt_numeric_cmp(v, int64_to_numeric(0)) <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be positive", field)));
	if (!xt_numeric_is_multiple(v, step))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s %s is not a multiple of the %s %s", field, numeric_normalize(v),
						step_name, numeric_normalize(step))));
	if (!xt_numeric_units(v, step, &units))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s %s is out of range", field, numeric_normalize(v)),
				 errdetail("At most %lld %ss.", (long long) XT_VALUE_MAX,
						   strcmp(step_name, "tick size") == 0 ? "tick" : "lot")));
	return units;
}
