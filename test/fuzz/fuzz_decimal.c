/*
 * fuzz_decimal.c: libFuzzer target for src/common/decimal.{h,c}.
 *
 * Input: the first byte selects a step from a fixed table, the rest is the value text (not
 * NUL-terminated; libFuzzer's buffer is exactly the input's size, so under AddressSanitizer any
 * read past the length fails). Properties checked on every input, abort() on violation:
 *   - the reason is one xt_decimal_to_units may return, and units is 0 unless it is OK;
 *   - OK: units in [1, XT_VALUE_MAX]; the canonical text of units parses back to the same units,
 *     is a fixed point of format(parse(.)), and has no exponent, sign or trailing fractional zero;
 *   - spelling invariance: for any text that is not SYNTAX, "0" after the sign, "e0" appended
 *     (when there is no exponent), "0" appended to a fraction (when there is no exponent) and a
 *     leading '-' give the answers the rules say, with the same units;
 *   - xt_decimal_parse agrees with xt_decimal_to_units (same value, same syntax verdict);
 *   - xt_step_parse: a valid step formats and parses back to itself.
 * Run: make build/fuzz/fuzz_decimal && build/fuzz/fuzz_decimal test/fuzz/corpus/fuzz_decimal
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/decimal.h"
#include "engine/engine.h"

__extension__ typedef unsigned __int128 u128;

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Steps as e8 (step * 10^8): powers of ten from 10^-8 to 10^10, and odd ones. */
static const int64_t steps[] = {
	100000000,					/* 1 */
	100000000000,				/* 1000 */
	100000,						/* 0.001 */
	10000,						/* 0.0001 */
	1,							/* 0.00000001 */
	10,							/* 0.0000001 */
	10000000,					/* 0.1 */
	1000000,					/* 0.01 */
	50000000,					/* 0.5 */
	3,							/* 0.00000003 */
	12345600000,				/* 123.456 */
	XT_STEP_E8_MAX,				/* 10000000000 */
	XT_STEP_E8_MAX - 1,			/* 9999999999.99999999 */
	700000000,					/* 7 */
	250000000,					/* 2.5 */
	1000,						/* 0.00001 */
};

#define CHECK(cond) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "fuzz_decimal: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

static bool
known_reason(xt_decimal_reason r)
{
	return r == XT_DEC_OK || r == XT_DEC_SYNTAX || r == XT_DEC_ZERO || r == XT_DEC_NEGATIVE
		|| r == XT_DEC_TOO_PRECISE || r == XT_DEC_OVERFLOW || r == XT_DEC_NOT_MULTIPLE;
}

/* Convert a variant built in a heap block of exactly its length. */
static xt_decimal_reason
convert_copy(const char *text, size_t len, xt_step step, int64_t *units)
{
	char	   *p = malloc(len > 0 ? len : 1);
	xt_decimal_reason r;

	CHECK(p != NULL);
	memcpy(p, text, len);
	r = xt_decimal_to_units(p, len, step, units);
	free(p);
	return r;
}

static void
check_spellings(const char *text, size_t len, xt_step step, xt_decimal_reason r, int64_t units)
{
	char	   *v = malloc(len + 3);
	bool		neg = len > 0 && text[0] == '-';
	bool		has_exp = memchr(text, 'e', len) != NULL || memchr(text, 'E', len) != NULL;
	bool		has_point = memchr(text, '.', len) != NULL;
	int64_t		u;

	CHECK(v != NULL);

	/* a leading zero after the sign */
	memcpy(v, text, neg);
	v[neg] = '0';
	memcpy(v + neg + 1, text + neg, len - neg);
	CHECK(convert_copy(v, len + 1, step, &u) == r && u == units);

	if (!has_exp)
	{
		memcpy(v, text, len);
		memcpy(v + len, "e0", 2);
		CHECK(convert_copy(v, len + 2, step, &u) == r && u == units);
		memcpy(v + len, "E-0", 3);
		CHECK(convert_copy(v, len + 3, step, &u) == r && u == units);
		if (has_point)
		{
			v[len] = '0';
			CHECK(convert_copy(v, len + 1, step, &u) == r && u == units);
		}
	}

	if (!neg)
	{
		v[0] = '-';
		memcpy(v + 1, text, len);
		CHECK(convert_copy(v, len + 1, step, &u) == (r == XT_DEC_ZERO ? XT_DEC_ZERO
													  : XT_DEC_NEGATIVE));
		CHECK(u == 0);
	}
	free(v);
}

static void
check_canonical(int64_t units, xt_step step)
{
	char		buf[XT_DECIMAL_TEXT_MAX + 1];
	char		again[XT_DECIMAL_TEXT_MAX + 1];
	size_t		n = xt_units_to_decimal(units, step, buf, sizeof(buf));
	int64_t		back = 0;

	CHECK(n >= 1 && n <= XT_DECIMAL_TEXT_MAX && n == strlen(buf));
	CHECK(strpbrk(buf, "eE+-") == NULL);
	CHECK(!(strchr(buf, '.') && buf[n - 1] == '0'));
	CHECK(!(buf[0] == '0' && n > 1 && buf[1] != '.'));
	CHECK(convert_copy(buf, n, step, &back) == XT_DEC_OK && back == units);
	CHECK(xt_units_to_decimal(back, step, again, sizeof(again)) == n);
	CHECK(memcmp(buf, again, n + 1) == 0);
	/* one byte short of room fails cleanly */
	CHECK(xt_units_to_decimal(units, step, again, n) == 0);
}

/* xt_decimal_parse sees the same value: the same syntax and precision verdicts, and when both
 * succeed mantissa * 10^(8 - scale) == units * step. */
static void
check_parse_agrees(const char *text, size_t len, xt_step step, xt_decimal_reason r, int64_t units)
{
	xt_decimal	d;
	xt_decimal_reason pr = xt_decimal_parse(text, len, &d);

	CHECK(pr == XT_DEC_OK || pr == XT_DEC_SYNTAX || pr == XT_DEC_TOO_PRECISE
		  || pr == XT_DEC_OVERFLOW);
	CHECK((pr == XT_DEC_SYNTAX) == (r == XT_DEC_SYNTAX));
	/* a negative value is NEGATIVE before it is TOO_PRECISE; parse has no sign rule */
	if (r == XT_DEC_TOO_PRECISE)
		CHECK(pr == XT_DEC_TOO_PRECISE);
	if (pr == XT_DEC_TOO_PRECISE)
		CHECK(r == XT_DEC_TOO_PRECISE || r == XT_DEC_NEGATIVE);
	if (r == XT_DEC_ZERO)
		CHECK(pr == XT_DEC_OK && d.mantissa == 0 && d.scale == 0);
	if (pr != XT_DEC_OK)
		CHECK(d.mantissa == 0 && d.scale == 0);
	else
	{
		CHECK(d.scale >= 0 && d.scale <= XT_DECIMAL_SCALE_MAX);
		CHECK(d.scale == 0 || d.mantissa % 10 != 0);
		if (r == XT_DEC_NEGATIVE)
			CHECK(d.mantissa < 0);
		if (r == XT_DEC_OK)
		{
			u128		m = (u128) d.mantissa;

			for (int i = d.scale; i < XT_DECIMAL_SCALE_MAX; i++)
				m *= 10;
			CHECK(d.mantissa > 0 && m == (u128) units * (u128) step.e8);
		}
	}
}

static void
check_step_parse(const char *text, size_t len)
{
	xt_step		s;
	xt_decimal_reason r = xt_step_parse(text, len, &s);
	char		buf[XT_DECIMAL_TEXT_MAX + 1];
	size_t		n;
	xt_step		back;

	if (r != XT_DEC_OK)
	{
		CHECK(s.e8 == 0);
		CHECK(r == XT_DEC_SYNTAX || r == XT_DEC_ZERO || r == XT_DEC_NEGATIVE
			  || r == XT_DEC_TOO_PRECISE || r == XT_DEC_OVERFLOW);
		return;
	}
	CHECK(s.e8 >= 1 && s.e8 <= XT_STEP_E8_MAX);
	n = xt_units_to_decimal(1, s, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK(xt_step_parse(buf, n, &back) == XT_DEC_OK && back.e8 == s.e8);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	xt_step		step;
	const char *text;
	size_t		len;
	int64_t		units = -1;
	xt_decimal_reason r;

	if (size < 1)
		return 0;
	step.e8 = steps[data[0] % (sizeof(steps) / sizeof(steps[0]))];
	text = (const char *) data + 1;
	len = size - 1;

	r = xt_decimal_to_units(text, len, step, &units);
	CHECK(known_reason(r));
	CHECK(r == XT_DEC_OK ? units >= 1 && units <= XT_VALUE_MAX : units == 0);
	/* deterministic */
	{
		int64_t		u2;

		CHECK(xt_decimal_to_units(text, len, step, &u2) == r && u2 == units);
	}

	if (r == XT_DEC_OK)
		check_canonical(units, step);
	if (r != XT_DEC_SYNTAX && len < 4096)
		check_spellings(text, len, step, r, units);
	check_parse_agrees(text, len, step, r, units);
	check_step_parse(text, len);
	return 0;
}
