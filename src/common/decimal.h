/*
 * decimal.h: exact decimal text <-> integer ticks and lots.
 *
 * Owns: the one grammar xTrader accepts for a decimal number written as text (PostgreSQL numeric
 * output, JSON numbers and JSON strings, logs); the validation of a step (a tick size or a lot
 * size); the conversion of a decimal into an integer count of steps and back; and the reason
 * codes and user messages of every refusal.
 *
 * Callers: the SQL layer (src/pg), the JSON/REST layer and log formatting. Pure C11: no
 * PostgreSQL, no allocation, no floating point and no global state, so every function may be
 * called from any thread or process at any time. Input text is (pointer, length) and is never
 * read past length: it need not be NUL-terminated.
 *
 * GRAMMAR (the whole text must match; nothing is trimmed):
 *
 *     decimal  = [ "-" ] digits [ "." digits ] [ exponent ]
 *     exponent = ( "e" / "E" ) [ "+" / "-" ] digits
 *     digits   = 1*( "0" / "1" / ... / "9" )
 *
 *   Accepted: "50000000", "0.001", "0.0010", "007", "1e-3", "5E7", "1.5e+2", "-0".
 *   SYNTAX:   "", " 1", "1 ", "+1", ".5", "1.", "1..2", "1e", "1e+", "0x10", "NaN", "Infinity",
 *             "1,5", anything with a byte outside the grammar (NUL included).
 *   A leading '+', ".5" and "1." are refused although PostgreSQL's numeric input takes them:
 *   neither JSON nor numeric output ever produces them, and one spelling fewer is one ambiguity
 *   fewer. Leading zeros are accepted (the value is unambiguous).
 *   The exponent may have any number of digits and any size: it is evaluated symbolically (the
 *   position of the highest and lowest non-zero digit), never by looping over its value, so
 *   "1e-400" is simply TOO_PRECISE and "1e400" OVERFLOW, in time linear in the text length.
 *
 * CONVERSION to steps (xt_decimal_to_units): the value is exact; the same value in any accepted
 * spelling ("0.001", "0.0010", "1e-3", "1.0E-3", "0.00001e2") gives the same result. Checks in
 * this order, the first failure is the answer:
 *
 *   SYNTAX        the text does not match the grammar
 *   ZERO          the value is zero, whatever its sign or spelling ("0", "-0.000", "0e9")
 *   NEGATIVE      the value is below zero
 *   TOO_PRECISE   a non-zero digit lies beyond the 8th fractional place ("0.000000001"): no step
 *                 can represent it (steps have at most 8 fractional digits)
 *   OVERFLOW      value > XT_VALUE_MAX * step
 *   NOT_MULTIPLE  representable in 8 fractional digits but not a whole number of steps
 *                 ("0.0015" with step "0.001", "1500" with step "1000")
 *   OK            units = value / step, in [1, XT_VALUE_MAX]
 *
 * (BAD_STEP: the xt_step passed in is not a valid step; a caller bug, checked before the text.)
 */
#ifndef XT_DECIMAL_H
#define XT_DECIMAL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- limits ------------------------------------------------------------------------------ */

#define XT_DECIMAL_SCALE_MAX	8	/* fractional digits of a step, and of any exact value here */
#define XT_DECIMAL_E8			((int64_t) 100000000)	/* 10^XT_DECIMAL_SCALE_MAX */

/* A step lies in [0.00000001, 10000000000]: 1 .. 10^18 hundred-millionths. The upper bound keeps
 * XT_VALUE_MAX * step (in hundred-millionths) far inside 128 bits and is far above any sensible
 * tick or lot size. */
#define XT_STEP_E8_MAX			((int64_t) 1000000000000000000)	/* 10^18 */

/* Longest text xt_units_to_decimal writes, without its NUL: XT_VALUE_MAX steps of the largest
 * step with 8 fractional digits is 26 integer digits, '.', 8 digits. Buffers of
 * XT_DECIMAL_TEXT_MAX + 1 bytes always suffice. */
#define XT_DECIMAL_TEXT_MAX		35

/* ---- reason codes ------------------------------------------------------------------------ */

/* Stable numbers and names (xt_decimal_reason_name): the JSON layer sends them as error codes. */
typedef enum xt_decimal_reason
{
	XT_DEC_OK = 0,
	XT_DEC_SYNTAX = 1,			/* not a decimal of the grammar above */
	XT_DEC_ZERO = 2,			/* the value is zero */
	XT_DEC_NEGATIVE = 3,		/* the value is below zero */
	XT_DEC_TOO_PRECISE = 4,		/* a non-zero digit beyond the 8th fractional place */
	XT_DEC_OVERFLOW = 5,		/* more than XT_VALUE_MAX steps (or, for a step, above 10^10) */
	XT_DEC_NOT_MULTIPLE = 6,	/* not a whole number of steps */
	XT_DEC_BAD_STEP = 7,		/* the xt_step argument is not a valid step (caller bug) */
	XT_DEC_BUFFER = 8			/* an output buffer is too small */
} xt_decimal_reason;

/* ---- types ---------------------------------------------------------------------------------- */

/* A validated step (tick size or lot size): the step times 10^8, so "0.001" is {100000} and "1000"
 * is {100000000000}. Valid when 1 <= e8 <= XT_STEP_E8_MAX. Built by xt_step_parse, or directly from
 * a stored integer. */
typedef struct xt_step
{
	int64_t		e8;
} xt_step;

/* An exact signed decimal: mantissa * 10^-scale, with 0 <= scale <= XT_DECIMAL_SCALE_MAX and the
 * fewest fractional digits (mantissa is not a multiple of 10 unless scale is 0; zero is {0, 0}). */
typedef struct xt_decimal
{
	int64_t		mantissa;
	int32_t		scale;
} xt_decimal;

/* ---- conversions ------------------------------------------------------------------------------ */

/*
 * Parse and validate a step ("1", "1000", "0.001", "0.00000001", also "1e-3").
 * Returns XT_DEC_OK and sets *out, or SYNTAX, ZERO, NEGATIVE, TOO_PRECISE (more than 8 fractional
 * digits) or OVERFLOW (above 10000000000); then *out is {0}.
 */
xt_decimal_reason xt_step_parse(const char *text, size_t len, xt_step *out);

/*
 * Convert a decimal text into a whole count of steps, by the rules at the top of this file.
 * Returns XT_DEC_OK and sets *units in [1, XT_VALUE_MAX], or a reason and sets *units to 0.
 */
xt_decimal_reason xt_decimal_to_units(const char *text, size_t len, xt_step step,
									  int64_t *units);

/*
 * Write the canonical text of units * step into buf: no exponent, no sign, at least one digit
 * before a '.', no '.' for a whole number, no trailing fractional zero ("50000000", "0.001",
 * "50000000.12345678"; units 0 gives "0"). NUL-terminated. units must be in [0, XT_VALUE_MAX]
 * and step valid. Returns the length (without the NUL, at most XT_DECIMAL_TEXT_MAX), or 0 if units
 * or step is out of range or cap is too small (then buf holds "" if cap > 0). The text parses back
 * to the same units with the same step. The text of a step itself is units 1.
 */
size_t		xt_units_to_decimal(int64_t units, xt_step step, char *buf, size_t cap);

/*
 * Parse any decimal of the grammar, of either sign, into its exact (mantissa, scale) form.
 * Returns XT_DEC_OK, SYNTAX, TOO_PRECISE (more than 8 significant fractional digits) or OVERFLOW
 * (the mantissa at the fewest fractional digits passes INT64_MAX in magnitude); on failure *out is
 * {0, 0}. For the SQL layer's checks on values that are not counts of steps.
 */
xt_decimal_reason xt_decimal_parse(const char *text, size_t len, xt_decimal *out);

/* Exact three-way comparison of two values from xt_decimal_parse: -1, 0 or 1. */
int			xt_decimal_cmp(xt_decimal a, xt_decimal b);

/* ---- names and messages ------------------------------------------------------------------ */

/* "OK", "SYNTAX", "ZERO", "NEGATIVE", "TOO_PRECISE", "OVERFLOW", "NOT_MULTIPLE", "BAD_STEP",
 * "BUFFER"; "UNKNOWN" for any other number. Static strings. */
const char *xt_decimal_reason_name(xt_decimal_reason r);

/*
 * A short lower-case user message for a refusal of xt_decimal_to_units, snprintf-style: writes at
 * most cap bytes (NUL included) and returns the full length. field names the value ("price",
 * "quantity"), step_name its step ("tick size", "lot size"). Examples:
 *   NOT_MULTIPLE "price must be a multiple of the tick size 0.001"
 *   OVERFLOW     "price must be at most 9007199254740.991 with the tick size 0.001"
 */
size_t		xt_decimal_message(xt_decimal_reason r, const char *field, const char *step_name,
							   xt_step step, char *buf, size_t cap);

/* The same for a refusal of xt_step_parse: step_name is "tick size" or "lot size". Example:
 *   TOO_PRECISE "tick size must have at most 8 decimal places" */
size_t		xt_step_message(xt_decimal_reason r, const char *step_name, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif							/* XT_DECIMAL_H */
