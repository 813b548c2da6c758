/*
 * test_decimal.c: unit tests of src/common/decimal.{h,c}.
 *
 * Table-driven: every rule of the grammar and of the conversion, boundaries at XT_VALUE_MAX and
 * one past it, steps with 0..8 fractional digits and large integer steps, the flow document's
 * example order. Then randomised checks against an independent oracle written here with plain
 * 128-bit arithmetic: a random exact value (in hundred-millionths) is spelled in a random accepted
 * way (leading zeros, moved decimal point, exponent, trailing zeros) and must convert to what the
 * oracle says. Every text is passed in a heap block of exactly its length, so that under
 * AddressSanitizer a read past the length fails.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/decimal.h"
#include "engine/engine.h"
#include "xt_test.h"

__extension__ typedef unsigned __int128 u128;

#define MAX XT_VALUE_MAX

/* ---- helpers ------------------------------------------------------------------------------- */

/* Copy text[0 .. len) into a block of exactly len bytes (not NUL-terminated). */
static char *
exact_copy(const char *text, size_t len)
{
	char	   *p = malloc(len > 0 ? len : 1);

	if (p == NULL)
	{
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	memcpy(p, text, len);
	return p;
}

static xt_decimal_reason
to_units_n(const char *text, size_t len, xt_step step, int64_t *units)
{
	char	   *p = exact_copy(text, len);
	xt_decimal_reason r = xt_decimal_to_units(p, len, step, units);

	free(p);
	return r;
}

static xt_decimal_reason
to_units(const char *text, xt_step step, int64_t *units)
{
	return to_units_n(text, strlen(text), step, units);
}

static xt_decimal_reason
step_parse(const char *text, xt_step *out)
{
	size_t		len = strlen(text);
	char	   *p = exact_copy(text, len);
	xt_decimal_reason r = xt_step_parse(p, len, out);

	free(p);
	return r;
}

static xt_decimal_reason
dec_parse(const char *text, xt_decimal *out)
{
	size_t		len = strlen(text);
	char	   *p = exact_copy(text, len);
	xt_decimal_reason r = xt_decimal_parse(p, len, out);

	free(p);
	return r;
}

/* A step the test knows is valid (fails the test loudly otherwise). */
static xt_step
S(const char *text)
{
	xt_step		s;

	if (step_parse(text, &s) != XT_DEC_OK)
	{
		fprintf(stderr, "test bug: step \"%s\" does not parse\n", text);
		exit(2);
	}
	return s;
}

/* xorshift64*: deterministic, so a failure reproduces. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t
rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

static uint64_t
rnd_below(uint64_t n)
{
	return n == 0 ? 0 : rnd() % n;
}

/* ---- the table ------------------------------------------------------------------------------- */

typedef struct case_t
{
	const char *text;
	const char *step;
	xt_decimal_reason reason;
	int64_t		units;
} case_t;

static const case_t cases[] = {
	/* plain integers, step 1 */
	{"1", "1", XT_DEC_OK, 1},
	{"7", "1", XT_DEC_OK, 7},
	{"50000000", "1", XT_DEC_OK, 50000000},
	{"0050000000", "1", XT_DEC_OK, 50000000},
	{"9007199254740991", "1", XT_DEC_OK, MAX},
	{"9007199254740991.0", "1", XT_DEC_OK, MAX},
	{"9007199254740991.00000000000000", "1", XT_DEC_OK, MAX},
	{"9007199254740992", "1", XT_DEC_OVERFLOW, 0},
	{"9007199254740991.5", "1", XT_DEC_OVERFLOW, 0},	/* OVERFLOW is checked before NOT_MULTIPLE */
	{"9007199254740990.5", "1", XT_DEC_NOT_MULTIPLE, 0},
	{"9223372036854775807", "1", XT_DEC_OVERFLOW, 0},
	{"18446744073709551617", "1", XT_DEC_OVERFLOW, 0},
	{"123456789012345678901234567890123456789012345678901234567890", "1", XT_DEC_OVERFLOW, 0},

	/* the flow document's order: price 50000000, quantity 0.001 */
	{"50000000", "1000", XT_DEC_OK, 50000},
	{"50000000", "1", XT_DEC_OK, 50000000},
	{"0.001", "0.001", XT_DEC_OK, 1},
	{"0.001", "0.0001", XT_DEC_OK, 10},
	{"50000000.12345678", "0.00000001", XT_DEC_OK, 5000000012345678},

	/* zero, whatever the spelling or sign */
	{"0", "1", XT_DEC_ZERO, 0},
	{"00", "1", XT_DEC_ZERO, 0},
	{"-0", "1", XT_DEC_ZERO, 0},
	{"0.000", "0.001", XT_DEC_ZERO, 0},
	{"-0.00000000000000000000", "1", XT_DEC_ZERO, 0},
	{"0e5", "1", XT_DEC_ZERO, 0},
	{"0E-99999999999999999999999999", "1", XT_DEC_ZERO, 0},
	{"-0.0e+99999999999999999999999999", "1", XT_DEC_ZERO, 0},

	/* negative: checked before precision, multiple and size */
	{"-1", "1", XT_DEC_NEGATIVE, 0},
	{"-50000000", "1000", XT_DEC_NEGATIVE, 0},
	{"-0.001", "1", XT_DEC_NEGATIVE, 0},
	{"-0.000000001", "1", XT_DEC_NEGATIVE, 0},
	{"-1e999", "1", XT_DEC_NEGATIVE, 0},
	{"-1e-999", "1", XT_DEC_NEGATIVE, 0},
	{"-9007199254740992", "1", XT_DEC_NEGATIVE, 0},

	/* too precise: a non-zero digit beyond 10^-8, for any step */
	{"0.000000001", "1", XT_DEC_TOO_PRECISE, 0},
	{"0.000000001", "0.00000001", XT_DEC_TOO_PRECISE, 0},
	{"1.000000001", "0.00000001", XT_DEC_TOO_PRECISE, 0},
	{"0.0000000010", "0.00000001", XT_DEC_TOO_PRECISE, 0},
	{"1e-9", "0.00000001", XT_DEC_TOO_PRECISE, 0},
	{"0.1e-8", "0.00000001", XT_DEC_TOO_PRECISE, 0},
	{"123456789012345678901234567890.000000001", "1", XT_DEC_TOO_PRECISE, 0},
	{"1.000000000", "1", XT_DEC_OK, 1},	/* trailing zeros past 10^-8 are fine */
	{"0.00000001", "0.00000001", XT_DEC_OK, 1},
	{"0.000000010", "0.00000001", XT_DEC_OK, 1},

	/* not a multiple of the step, within 8 fractional digits */
	{"0.0015", "0.001", XT_DEC_NOT_MULTIPLE, 0},
	{"1.5", "1", XT_DEC_NOT_MULTIPLE, 0},
	{"0.00000001", "1", XT_DEC_NOT_MULTIPLE, 0},
	{"1500", "1000", XT_DEC_NOT_MULTIPLE, 0},
	{"999", "1000", XT_DEC_NOT_MULTIPLE, 0},
	{"1000.001", "1000", XT_DEC_NOT_MULTIPLE, 0},
	{"0.25", "0.1", XT_DEC_NOT_MULTIPLE, 0},
	{"1.25", "0.5", XT_DEC_NOT_MULTIPLE, 0},
	{"0.00000010", "0.00000003", XT_DEC_NOT_MULTIPLE, 0},

	/* trailing fractional zeros */
	{"0.0010", "0.001", XT_DEC_OK, 1},
	{"0.00100000", "0.001", XT_DEC_OK, 1},
	{"1.10", "0.1", XT_DEC_OK, 11},

	/* exponents: the same value as the plain spelling */
	{"1e-3", "0.001", XT_DEC_OK, 1},
	{"1E-3", "0.001", XT_DEC_OK, 1},
	{"1e-03", "0.001", XT_DEC_OK, 1},
	{"1e-0000000000000000000000000003", "0.001", XT_DEC_OK, 1},
	{"1.0E-3", "0.001", XT_DEC_OK, 1},
	{"0.1e-2", "0.001", XT_DEC_OK, 1},
	{"0.00001e2", "0.001", XT_DEC_OK, 1},
	{"100e-5", "0.001", XT_DEC_OK, 1},
	{"5E7", "1", XT_DEC_OK, 50000000},
	{"5e+7", "1", XT_DEC_OK, 50000000},
	{"5e07", "1", XT_DEC_OK, 50000000},
	{"0.5e8", "1", XT_DEC_OK, 50000000},
	{"5000000000e-2", "1", XT_DEC_OK, 50000000},
	{"5e0", "1", XT_DEC_OK, 5},
	{"5e-0", "1", XT_DEC_OK, 5},
	{"9.007199254740991e15", "1", XT_DEC_OK, MAX},
	{"9.007199254740992e15", "1", XT_DEC_OVERFLOW, 0},
	{"9007199254740991e-3", "0.001", XT_DEC_OK, MAX},
	{"1.5e-3", "0.001", XT_DEC_NOT_MULTIPLE, 0},
	{"1e-9", "1", XT_DEC_TOO_PRECISE, 0},
	/* absurd exponents: answered from digit positions, never by looping over the exponent */
	{"1e400", "1", XT_DEC_OVERFLOW, 0},
	{"1e-400", "1", XT_DEC_TOO_PRECISE, 0},
	{"1e99999999999999999999999999999999", "1", XT_DEC_OVERFLOW, 0},
	{"1e-99999999999999999999999999999999", "1", XT_DEC_TOO_PRECISE, 0},
	{"1e9223372036854775807", "0.00000001", XT_DEC_OVERFLOW, 0},
	{"1e-9223372036854775808", "10000000000", XT_DEC_TOO_PRECISE, 0},
	{"1e-99999999999999999999999999999999", "1", XT_DEC_TOO_PRECISE, 0},
	/* mantissas far wider than 128 bits */
	{"1000000000000000000000000000000000000000e-39", "1", XT_DEC_OK, 1},
	{"1000000000000000000000000000000000000000e-39", "0.1", XT_DEC_OK, 10},
	{"123456780000000000000000000000000000000000e-41", "0.0000001", XT_DEC_OK, 12345678},
	{"100000000000000000000000000000000000000000000000000000000000000000000000001e-66", "1", XT_DEC_TOO_PRECISE, 0},

	/* syntax */
	{"", "1", XT_DEC_SYNTAX, 0},
	{" ", "1", XT_DEC_SYNTAX, 0},
	{" 1", "1", XT_DEC_SYNTAX, 0},
	{"1 ", "1", XT_DEC_SYNTAX, 0},
	{"\t1", "1", XT_DEC_SYNTAX, 0},
	{"1\n", "1", XT_DEC_SYNTAX, 0},
	{"+", "1", XT_DEC_SYNTAX, 0},
	{"+1", "1", XT_DEC_SYNTAX, 0},
	{"-", "1", XT_DEC_SYNTAX, 0},
	{"--1", "1", XT_DEC_SYNTAX, 0},
	{"-+1", "1", XT_DEC_SYNTAX, 0},
	{".", "1", XT_DEC_SYNTAX, 0},
	{"1.", "1", XT_DEC_SYNTAX, 0},
	{".5", "0.1", XT_DEC_SYNTAX, 0},
	{"-.5", "0.1", XT_DEC_SYNTAX, 0},
	{"1..2", "0.1", XT_DEC_SYNTAX, 0},
	{"1.2.3", "0.1", XT_DEC_SYNTAX, 0},
	{"1.e5", "1", XT_DEC_SYNTAX, 0},
	{"0x10", "1", XT_DEC_SYNTAX, 0},
	{"NaN", "1", XT_DEC_SYNTAX, 0},
	{"nan", "1", XT_DEC_SYNTAX, 0},
	{"Infinity", "1", XT_DEC_SYNTAX, 0},
	{"-Infinity", "1", XT_DEC_SYNTAX, 0},
	{"inf", "1", XT_DEC_SYNTAX, 0},
	{"e5", "1", XT_DEC_SYNTAX, 0},
	{"1e", "1", XT_DEC_SYNTAX, 0},
	{"1E", "1", XT_DEC_SYNTAX, 0},
	{"1e+", "1", XT_DEC_SYNTAX, 0},
	{"1e-", "1", XT_DEC_SYNTAX, 0},
	{"1e+-5", "1", XT_DEC_SYNTAX, 0},
	{"1ee5", "1", XT_DEC_SYNTAX, 0},
	{"1e5.5", "1", XT_DEC_SYNTAX, 0},
	{"1e5e5", "1", XT_DEC_SYNTAX, 0},
	{"1d5", "1", XT_DEC_SYNTAX, 0},
	{"1,5", "0.1", XT_DEC_SYNTAX, 0},
	{"1_000", "1", XT_DEC_SYNTAX, 0},
	{"1:5", "1", XT_DEC_SYNTAX, 0},		/* the bytes either side of '0'..'9' */
	{"1/2", "1", XT_DEC_SYNTAX, 0},
	{"1e:", "1", XT_DEC_SYNTAX, 0},
	{"1./", "1", XT_DEC_SYNTAX, 0},
	{"1-", "1", XT_DEC_SYNTAX, 0},
	{"1x", "1", XT_DEC_SYNTAX, 0},
	{"\"1\"", "1", XT_DEC_SYNTAX, 0},
	{"\xd9\xa1", "1", XT_DEC_SYNTAX, 0},	/* ARABIC-INDIC DIGIT ONE */
	{"\xef\xbc\x91", "1", XT_DEC_SYNTAX, 0},	/* FULLWIDTH DIGIT ONE */
	{"1\xc2\xa0", "1", XT_DEC_SYNTAX, 0},	/* trailing no-break space */

	/* steps with 1 .. 8 fractional digits */
	{"0.3", "0.1", XT_DEC_OK, 3},
	{"900719925474099.1", "0.1", XT_DEC_OK, MAX},
	{"900719925474099.2", "0.1", XT_DEC_OVERFLOW, 0},
	{"12.34", "0.01", XT_DEC_OK, 1234},
	{"90071992547409.91", "0.01", XT_DEC_OK, MAX},
	{"90071992547409.92", "0.01", XT_DEC_OVERFLOW, 0},
	{"9007199254740.991", "0.001", XT_DEC_OK, MAX},
	{"9007199254740.992", "0.001", XT_DEC_OVERFLOW, 0},
	{"900719925474.0991", "0.0001", XT_DEC_OK, MAX},
	{"900719925474.0992", "0.0001", XT_DEC_OVERFLOW, 0},
	{"1", "0.00001", XT_DEC_OK, 100000},
	{"90071992547.40991", "0.00001", XT_DEC_OK, MAX},
	{"90071992547.40992", "0.00001", XT_DEC_OVERFLOW, 0},
	{"9007199254.740991", "0.000001", XT_DEC_OK, MAX},
	{"9007199254.740992", "0.000001", XT_DEC_OVERFLOW, 0},
	{"0.0000007", "0.0000001", XT_DEC_OK, 7},
	{"900719925.4740991", "0.0000001", XT_DEC_OK, MAX},
	{"900719925.4740992", "0.0000001", XT_DEC_OVERFLOW, 0},
	{"1", "0.00000001", XT_DEC_OK, 100000000},
	{"90071992.54740991", "0.00000001", XT_DEC_OK, MAX},
	{"90071992.54740992", "0.00000001", XT_DEC_OVERFLOW, 0},

	/* steps that are not powers of ten */
	{"1.5", "0.5", XT_DEC_OK, 3},
	{"7.5", "2.5", XT_DEC_OK, 3},
	{"0.00000009", "0.00000003", XT_DEC_OK, 3},
	{"246.912", "123.456", XT_DEC_OK, 2},

	/* large integer steps */
	{"1000", "1000", XT_DEC_OK, 1},
	{"1e3", "1000", XT_DEC_OK, 1},
	{"500", "1000", XT_DEC_NOT_MULTIPLE, 0},
	{"9007199254740991000", "1000", XT_DEC_OK, MAX},
	{"9007199254740992000", "1000", XT_DEC_OVERFLOW, 0},
	{"9007199254740991001", "1000", XT_DEC_OVERFLOW, 0},
	{"9007199254740990001", "1000", XT_DEC_NOT_MULTIPLE, 0},
	{"10000000000", "10000000000", XT_DEC_OK, 1},
	{"1e10", "1e10", XT_DEC_OK, 1},
	{"90071992547409910000000000", "10000000000", XT_DEC_OK, MAX},
	{"90071992547409910000000001", "10000000000", XT_DEC_OVERFLOW, 0},
	{"90071992547409920000000000", "10000000000", XT_DEC_OVERFLOW, 0},
	{"90071992547409909909928007.45259009", "9999999999.99999999", XT_DEC_OK, MAX},
	{"90071992547409909909928007.45259010", "9999999999.99999999", XT_DEC_OVERFLOW, 0},
};

XT_TEST(table)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		const case_t *c = &cases[i];
		int64_t		units = -1;
		xt_decimal_reason r = to_units(c->text, S(c->step), &units);

		if (r != c->reason || units != c->units)
			XT_FAIL_AT("\"%s\" step %s: got %s %lld, want %s %lld", c->text, c->step,
					   xt_decimal_reason_name(r), (long long) units,
					   xt_decimal_reason_name(c->reason), (long long) c->units);
	}
}

/*
 * An exponent is exact however large, even when it is only large enough to be cancelled by a very
 * long digit string: 10^-1991 * 10^1999 = 10^8.
 */
XT_TEST(long_digits_with_large_exponent)
{
	char		text[2100];
	size_t		n = 0;
	int64_t		u;

	text[n++] = '0';
	text[n++] = '.';
	memset(text + n, '0', 1990);
	n += 1990;
	text[n++] = '1';
	n += (size_t) sprintf(text + n, "e1999");
	XT_CHECK_EQ(to_units_n(text, n, S("1"), &u), XT_DEC_OK);
	XT_CHECK_EQ(u, 100000000);
	n -= 4;
	n += (size_t) sprintf(text + n, "1990");	/* 10^-1 */
	XT_CHECK_EQ(to_units_n(text, n, S("0.1"), &u), XT_DEC_OK);
	XT_CHECK_EQ(u, 1);
	n -= 4;
	n += (size_t) sprintf(text + n, "1982");	/* 10^-9 */
	XT_CHECK_EQ(to_units_n(text, n, S("0.00000001"), &u), XT_DEC_TOO_PRECISE);
}

/* A length shorter than the text: only the first len bytes count. */
XT_TEST(length_bounds_the_text)
{
	const char	buf[] = "12345";
	int64_t		u;

	XT_CHECK_EQ(xt_decimal_to_units(buf, 3, S("1"), &u), XT_DEC_OK);
	XT_CHECK_EQ(u, 123);
	XT_CHECK_EQ(to_units_n("0.0015", 5, S("0.001"), &u), XT_DEC_OK);	/* "0.001" */
	XT_CHECK_EQ(u, 1);
	XT_CHECK_EQ(to_units_n("1e-3", 3, S("0.001"), &u), XT_DEC_SYNTAX);	/* "1e-" */
	XT_CHECK_EQ(to_units_n("1\0", 2, S("1"), &u), XT_DEC_SYNTAX);	/* embedded NUL */
	XT_CHECK_EQ(to_units_n("\0" "1", 2, S("1"), &u), XT_DEC_SYNTAX);
	XT_CHECK_EQ(xt_decimal_to_units(NULL, 0, S("1"), &u), XT_DEC_SYNTAX);
	XT_CHECK_EQ(xt_decimal_to_units(buf, 0, S("1"), &u), XT_DEC_SYNTAX);
	XT_CHECK_EQ(u, 0);
}

XT_TEST(bad_step)
{
	const xt_step bad[] = {{0}, {-1}, {INT64_MIN}, {XT_STEP_E8_MAX + 1}, {INT64_MAX}};
	int64_t		u = 99;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		XT_CHECK_EQ(xt_decimal_to_units("1", 1, bad[i], &u), XT_DEC_BAD_STEP);
		XT_CHECK_EQ(u, 0);
		XT_CHECK_EQ(xt_decimal_to_units("x", 1, bad[i], &u), XT_DEC_BAD_STEP);
	}
	XT_CHECK_EQ(xt_decimal_to_units("1", 1, (xt_step) {XT_STEP_E8_MAX}, &u), XT_DEC_NOT_MULTIPLE);
	XT_CHECK_EQ(xt_decimal_to_units("1", 1, (xt_step) {1}, &u), XT_DEC_OK);
	XT_CHECK_EQ(u, 100000000);
}

typedef struct step_case
{
	const char *text;
	xt_decimal_reason reason;
	int64_t		e8;
} step_case;

XT_TEST(step_parse)
{
	static const step_case sc[] = {
		{"1", XT_DEC_OK, 100000000},
		{"1000", XT_DEC_OK, 100000000000},
		{"0.1", XT_DEC_OK, 10000000},
		{"0.01", XT_DEC_OK, 1000000},
		{"0.001", XT_DEC_OK, 100000},
		{"0.0010", XT_DEC_OK, 100000},
		{"1e-3", XT_DEC_OK, 100000},
		{"0.0001", XT_DEC_OK, 10000},
		{"0.00001", XT_DEC_OK, 1000},
		{"0.000001", XT_DEC_OK, 100},
		{"0.0000001", XT_DEC_OK, 10},
		{"0.00000001", XT_DEC_OK, 1},
		{"1e-8", XT_DEC_OK, 1},
		{"0.5", XT_DEC_OK, 50000000},
		{"123.456", XT_DEC_OK, 12345600000},
		{"10000000000", XT_DEC_OK, XT_STEP_E8_MAX},
		{"1e10", XT_DEC_OK, XT_STEP_E8_MAX},
		{"9999999999.99999999", XT_DEC_OK, XT_STEP_E8_MAX - 1},
		{"10000000000.00000001", XT_DEC_OVERFLOW, 0},
		{"1e11", XT_DEC_OVERFLOW, 0},
		{"1e999999999999999999999", XT_DEC_OVERFLOW, 0},
		{"0.000000001", XT_DEC_TOO_PRECISE, 0},
		{"1.000000001", XT_DEC_TOO_PRECISE, 0},
		{"1e-9", XT_DEC_TOO_PRECISE, 0},
		{"0", XT_DEC_ZERO, 0},
		{"0.00000000", XT_DEC_ZERO, 0},
		{"-0", XT_DEC_ZERO, 0},
		{"-1", XT_DEC_NEGATIVE, 0},
		{"-0.001", XT_DEC_NEGATIVE, 0},
		{"", XT_DEC_SYNTAX, 0},
		{"abc", XT_DEC_SYNTAX, 0},
		{".001", XT_DEC_SYNTAX, 0},
		{"1 ", XT_DEC_SYNTAX, 0},
	};

	for (size_t i = 0; i < sizeof(sc) / sizeof(sc[0]); i++)
	{
		xt_step		s = {-1};
		xt_decimal_reason r = step_parse(sc[i].text, &s);

		if (r != sc[i].reason || s.e8 != sc[i].e8)
			XT_FAIL_AT("step \"%s\": got %s %lld, want %s %lld", sc[i].text,
					   xt_decimal_reason_name(r), (long long) s.e8,
					   xt_decimal_reason_name(sc[i].reason), (long long) sc[i].e8);
	}
}

typedef struct format_case
{
	int64_t		units;
	const char *step;
	const char *text;
} format_case;

XT_TEST(format)
{
	static const format_case fc[] = {
		{0, "1", "0"},
		{0, "0.001", "0"},
		{1, "1", "1"},
		{50000000, "1", "50000000"},
		{50000, "1000", "50000000"},
		{1, "0.001", "0.001"},
		{10, "0.0001", "0.001"},
		{11, "0.0001", "0.0011"},
		{1000, "0.001", "1"},
		{1001, "0.001", "1.001"},
		{100, "0.01", "1"},
		{150, "0.01", "1.5"},
		{3, "0.5", "1.5"},
		{1, "0.00000001", "0.00000001"},
		{5000000012345678, "0.00000001", "50000000.12345678"},
		{MAX, "1", "9007199254740991"},
		{MAX, "0.001", "9007199254740.991"},
		{MAX, "0.00000001", "90071992.54740991"},
		{MAX, "1000", "9007199254740991000"},
		{MAX, "10000000000", "90071992547409910000000000"},
		{MAX, "9999999999.99999999", "90071992547409909909928007.45259009"},
		{1, "9999999999.99999999", "9999999999.99999999"},
		{2, "123.456", "246.912"},
	};
	char		buf[XT_DECIMAL_TEXT_MAX + 1];

	for (size_t i = 0; i < sizeof(fc) / sizeof(fc[0]); i++)
	{
		size_t		n = xt_units_to_decimal(fc[i].units, S(fc[i].step), buf, sizeof(buf));

		XT_CHECK_STR(buf, fc[i].text);
		XT_CHECK_EQ(n, strlen(fc[i].text));
	}
	/* the longest text there is fills XT_DECIMAL_TEXT_MAX exactly */
	XT_CHECK_EQ(xt_units_to_decimal(MAX, S("9999999999.99999999"), buf, sizeof(buf)),
				XT_DECIMAL_TEXT_MAX);
}

XT_TEST(format_errors)
{
	char		buf[16];

	memset(buf, 'x', sizeof(buf));
	XT_CHECK_EQ(xt_units_to_decimal(1, S("0.001"), buf, 5), 0);	/* "0.001" + NUL needs 6 */
	XT_CHECK_EQ(buf[0], '\0');
	XT_CHECK_EQ(buf[5], 'x');
	XT_CHECK_EQ(xt_units_to_decimal(1, S("0.001"), buf, 6), 5);
	XT_CHECK_STR(buf, "0.001");
	XT_CHECK_EQ(xt_units_to_decimal(7, S("1"), buf, 1), 0);
	XT_CHECK_EQ(xt_units_to_decimal(7, S("1"), buf, 2), 1);
	XT_CHECK_EQ(xt_units_to_decimal(7, S("1"), NULL, 0), 0);
	buf[0] = 'x';
	XT_CHECK_EQ(xt_units_to_decimal(7, S("1"), buf, 0), 0);
	XT_CHECK_EQ(buf[0], 'x');	/* cap 0: nothing written */
	XT_CHECK_EQ(xt_units_to_decimal(-1, S("1"), buf, sizeof(buf)), 0);
	XT_CHECK_EQ(xt_units_to_decimal(INT64_MIN, S("1"), buf, sizeof(buf)), 0);
	XT_CHECK_EQ(xt_units_to_decimal(MAX + 1, S("1"), buf, sizeof(buf)), 0);
	XT_CHECK_EQ(xt_units_to_decimal(1, (xt_step) {0}, buf, sizeof(buf)), 0);
	XT_CHECK_EQ(xt_units_to_decimal(1, (xt_step) {XT_STEP_E8_MAX + 1}, buf, sizeof(buf)), 0);
	XT_CHECK_STR(buf, "");
}

/* ---- xt_decimal_parse and xt_decimal_cmp ----------------------------------------------------- */

typedef struct parse_case
{
	const char *text;
	xt_decimal_reason reason;
	int64_t		mantissa;
	int32_t		scale;
} parse_case;

XT_TEST(decimal_parse)
{
	static const parse_case pc[] = {
		{"0", XT_DEC_OK, 0, 0},
		{"-0.000", XT_DEC_OK, 0, 0},
		{"1", XT_DEC_OK, 1, 0},
		{"-1.50", XT_DEC_OK, -15, 1},
		{"1e3", XT_DEC_OK, 1000, 0},
		{"1.23e1", XT_DEC_OK, 123, 1},
		{"1e-8", XT_DEC_OK, 1, 8},
		{"0.00000001", XT_DEC_OK, 1, 8},
		{"50000000.12345678", XT_DEC_OK, 5000000012345678, 8},
		{"9223372036854775807", XT_DEC_OK, INT64_MAX, 0},
		{"-9223372036854775807", XT_DEC_OK, -INT64_MAX, 0},
		{"92233720368.54775807", XT_DEC_OK, INT64_MAX, 8},
		{"92233720368.547758070", XT_DEC_OK, INT64_MAX, 8},
		{"9223372036854775808", XT_DEC_OVERFLOW, 0, 0},
		{"-9223372036854775808", XT_DEC_OVERFLOW, 0, 0},
		{"92233720368.54775808", XT_DEC_OVERFLOW, 0, 0},
		{"1e19", XT_DEC_OVERFLOW, 0, 0},
		{"1e-9", XT_DEC_TOO_PRECISE, 0, 0},
		{"-0.000000001", XT_DEC_TOO_PRECISE, 0, 0},
		{"abc", XT_DEC_SYNTAX, 0, 0},
		{"+1", XT_DEC_SYNTAX, 0, 0},
	};

	for (size_t i = 0; i < sizeof(pc) / sizeof(pc[0]); i++)
	{
		xt_decimal	d = {-7, -7};
		xt_decimal_reason r = dec_parse(pc[i].text, &d);

		if (r != pc[i].reason || d.mantissa != pc[i].mantissa || d.scale != pc[i].scale)
			XT_FAIL_AT("parse \"%s\": got %s {%lld, %d}, want %s {%lld, %d}", pc[i].text,
					   xt_decimal_reason_name(r), (long long) d.mantissa, (int) d.scale,
					   xt_decimal_reason_name(pc[i].reason), (long long) pc[i].mantissa,
					   (int) pc[i].scale);
	}
}

static int
cmp_text(const char *a, const char *b)
{
	xt_decimal	x,
				y;

	if (dec_parse(a, &x) != XT_DEC_OK || dec_parse(b, &y) != XT_DEC_OK)
	{
		fprintf(stderr, "test bug: %s or %s does not parse\n", a, b);
		exit(2);
	}
	return xt_decimal_cmp(x, y);
}

XT_TEST(decimal_cmp)
{
	XT_CHECK_EQ(cmp_text("1", "1.0"), 0);
	XT_CHECK_EQ(cmp_text("0.001", "1e-3"), 0);
	XT_CHECK_EQ(cmp_text("-0", "0"), 0);
	XT_CHECK_EQ(cmp_text("0.001", "0.01"), -1);
	XT_CHECK_EQ(cmp_text("0.01", "0.001"), 1);
	XT_CHECK_EQ(cmp_text("-1", "0"), -1);
	XT_CHECK_EQ(cmp_text("-2", "-1"), -1);
	XT_CHECK_EQ(cmp_text("1e-8", "0"), 1);
	XT_CHECK_EQ(cmp_text("9223372036854775807", "92233720368.54775807"), 1);
	XT_CHECK_EQ(cmp_text("-9223372036854775807", "-92233720368.54775807"), -1);
	XT_CHECK_EQ(cmp_text("92233720368.54775807", "92233720368.54775806"), 1);
	XT_CHECK_EQ(cmp_text("0.99999999", "1"), -1);
}

/* ---- names and messages ------------------------------------------------------------------ */

XT_TEST(reason_names)
{
	XT_CHECK_STR(xt_decimal_reason_name(XT_DEC_OK), "OK");
	XT_CHECK_STR(xt_decimal_reason_name(XT_DEC_SYNTAX), "SYNTAX");
	XT_CHECK_STR(xt_decimal_reason_name(XT_DEC_ZERO), "ZERO");
	XT_CHECK_STR(xt_decimal_reason_name(XT_DEC_NEGATIVE), "NEGATIVE");
	XT_CHECK_STR(xt_decimal_reason_name(XT_DEC_TOO_PRECISE), "TOO_PRECISE");
	XT_CHECK_STR(xt_decimal_reason_name(XT_DEC_OVERFLOW), "OVERFLOW");
	XT_CHECK_STR(xt_decimal_reason_name(XT_DEC_NOT_MULTIPLE), "NOT_MULTIPLE");
	XT_CHECK_STR(xt_decimal_reason_name(XT_DEC_BAD_STEP), "BAD_STEP");
	XT_CHECK_STR(xt_decimal_reason_name(XT_DEC_BUFFER), "BUFFER");
	XT_CHECK_STR(xt_decimal_reason_name((xt_decimal_reason) 99), "UNKNOWN");
	/* the numbers are stable: they may be stored or sent */
	XT_CHECK_EQ(XT_DEC_SYNTAX, 1);
	XT_CHECK_EQ(XT_DEC_ZERO, 2);
	XT_CHECK_EQ(XT_DEC_NEGATIVE, 3);
	XT_CHECK_EQ(XT_DEC_TOO_PRECISE, 4);
	XT_CHECK_EQ(XT_DEC_OVERFLOW, 5);
	XT_CHECK_EQ(XT_DEC_NOT_MULTIPLE, 6);
	XT_CHECK_EQ(XT_DEC_BAD_STEP, 7);
	XT_CHECK_EQ(XT_DEC_BUFFER, 8);
}

XT_TEST(messages)
{
	char		buf[160];
	xt_step		tick = S("0.001");
	xt_step		lot = S("0.0001");
	size_t		n;

#define MSG(r, f, sn, st) (xt_decimal_message((r), (f), (sn), (st), buf, sizeof(buf)), buf)
	XT_CHECK_STR(MSG(XT_DEC_NOT_MULTIPLE, "price", "tick size", tick),
				 "price must be a multiple of the tick size 0.001");
	XT_CHECK_STR(MSG(XT_DEC_OVERFLOW, "price", "tick size", tick),
				 "price must be at most 9007199254740.991 with the tick size 0.001");
	XT_CHECK_STR(MSG(XT_DEC_TOO_PRECISE, "quantity", "lot size", lot),
				 "quantity has more decimal places than the lot size 0.0001 allows");
	XT_CHECK_STR(MSG(XT_DEC_ZERO, "quantity", "lot size", lot),
				 "quantity must be greater than zero");
	XT_CHECK_STR(MSG(XT_DEC_NEGATIVE, "price", "tick size", tick), "price must not be negative");
	XT_CHECK_STR(MSG(XT_DEC_SYNTAX, "price", "tick size", tick),
				 "price is not a valid decimal number");
	XT_CHECK_STR(MSG(XT_DEC_BAD_STEP, "price", "tick size", (xt_step) {0}),
				 "price cannot be checked: the tick size is not valid");
#undef MSG

	/* snprintf-style: truncates, NUL-terminates, returns the full length */
	n = xt_decimal_message(XT_DEC_NOT_MULTIPLE, "price", "tick size", tick, buf, 6);
	XT_CHECK_EQ(n, strlen("price must be a multiple of the tick size 0.001"));
	XT_CHECK_STR(buf, "price");
	XT_CHECK_EQ(xt_decimal_message(XT_DEC_ZERO, "price", "tick size", tick, NULL, 0),
				strlen("price must be greater than zero"));

	xt_step_message(XT_DEC_TOO_PRECISE, "tick size", buf, sizeof(buf));
	XT_CHECK_STR(buf, "tick size must have at most 8 decimal places");
	xt_step_message(XT_DEC_OVERFLOW, "lot size", buf, sizeof(buf));
	XT_CHECK_STR(buf, "lot size must be at most 10000000000");
	xt_step_message(XT_DEC_ZERO, "lot size", buf, sizeof(buf));
	XT_CHECK_STR(buf, "lot size must be greater than zero");
	xt_step_message(XT_DEC_SYNTAX, "tick size", buf, sizeof(buf));
	XT_CHECK_STR(buf, "tick size is not a valid decimal number");
}

/* ---- randomised: an independent oracle ---------------------------------------------------- */

/*
 * Spell the value v * 10^-places in a random accepted way into out (NUL-terminated; returns the
 * length): the digits of v, then 0..3 extra trailing zeros, a '.' at a random place (or none),
 * 0..2 leading zeros, and the exponent that restores the value (omitted or not when it is 0).
 */
static size_t
spell(u128 v, long places, char *out, bool negative)
{
	char		digits[64];
	char		rev[64];
	size_t		nd = 0,
				nr = 0,
				n = 0;
	long		zeros = (long) rnd_below(4);
	size_t		lead = (size_t) rnd_below(3);
	size_t		point;
	long		exp;

	do
	{
		rev[nr++] = (char) ('0' + (int) (v % 10));
		v /= 10;
	} while (v != 0);
	while (nr > 0)
		digits[nd++] = rev[--nr];
	for (long i = 0; i < zeros; i++)
		digits[nd++] = '0';

	/* the value is digits * 10^(-places - zeros); a '.' after `point` digits adds nd - point */
	point = 1 + (size_t) rnd_below(nd);	/* 1 .. nd (nd: no '.') */
	if (rnd_below(3) == 0 && (long) nd > places + zeros)
		point = nd - (size_t) (places + zeros);	/* the plain spelling, exponent 0 */
	exp = (long) (nd - point) - places - zeros;

	if (negative)
		out[n++] = '-';
	for (size_t i = 0; i < lead; i++)
		out[n++] = '0';
	memcpy(out + n, digits, point);
	n += point;
	if (point < nd)
	{
		out[n++] = '.';
		memcpy(out + n, digits + point, nd - point);
		n += nd - point;
	}
	if (exp != 0 || rnd_below(4) == 0)
		n += (size_t) sprintf(out + n, "%s%s%ld", rnd_below(2) ? "e" : "E",
							  exp >= 0 && rnd_below(2) ? "+" : "", exp);
	out[n] = '\0';
	return n;
}

/* What xt_decimal_to_units must answer for a non-negative value v * 10^-8. */
static xt_decimal_reason
oracle(u128 v, xt_step step, int64_t *units)
{
	*units = 0;
	if (v == 0)
		return XT_DEC_ZERO;
	if (v > (u128) MAX * (u128) step.e8)
		return XT_DEC_OVERFLOW;
	if (v % (u128) step.e8 != 0)
		return XT_DEC_NOT_MULTIPLE;
	*units = (int64_t) (v / (u128) step.e8);
	return XT_DEC_OK;
}

static xt_step
random_step(void)
{
	static const char *const named[] = {
		"1", "1000", "0.001", "0.0001", "0.00000001", "0.1", "0.01", "0.5", "10000000000",
		"9999999999.99999999", "0.00000003", "123.456", "25"
	};

	if (rnd_below(2) == 0)
		return S(named[rnd_below(sizeof(named) / sizeof(named[0]))]);
	/* a random step: a few significant digits at a random scale */
	{
		int64_t		e8 = (int64_t) (1 + rnd_below(999));

		for (uint64_t k = rnd_below(16); k > 0; k--)
			e8 *= 10;
		return (xt_step) {e8};
	}
}

/* A random value in hundred-millionths, in the interesting places around step multiples. */
static u128
random_value(xt_step step)
{
	u128		limit = (u128) MAX * (u128) step.e8;
	u128		units;

	switch (rnd_below(6))
	{
		case 0:					/* a small multiple */
			return (u128) (1 + rnd_below(1000)) * (u128) step.e8;
		case 1:					/* a uniform number of steps */
			return (u128) (1 + rnd_below((uint64_t) MAX)) * (u128) step.e8;
		case 2:					/* near the top */
			units = (u128) (MAX - (int64_t) rnd_below(3) + (int64_t) rnd_below(3));
			return units * (u128) step.e8 + rnd_below(2);
		case 3:					/* off-step */
			return (u128) (1 + rnd_below(1000000)) * (u128) step.e8 + 1 + rnd_below(7);
		case 4:					/* anything up to a bit past the limit */
			return (((u128) rnd() << 64) | rnd()) % (limit + limit / 8 + 2);
		default:				/* tiny */
			return rnd_below(3);
	}
}

XT_TEST(random_spellings_match_oracle)
{
	char		text[128];
	int			checked = 0;

	for (int i = 0; i < 200000; i++)
	{
		xt_step		step = random_step();
		u128		v = random_value(step);
		int64_t		want_units,
					units;
		xt_decimal_reason want = oracle(v, step, &want_units);
		bool		negative = v != 0 && rnd_below(16) == 0;
		size_t		len = spell(v, 8, text, negative || (v == 0 && rnd_below(2)));
		xt_decimal_reason r = to_units_n(text, len, step, &units);

		if (negative)
			want = XT_DEC_NEGATIVE, want_units = 0;
		if (r != want || units != want_units)
		{
			XT_FAIL_AT("\"%s\" step e8 %lld: got %s %lld, want %s %lld", text,
					   (long long) step.e8, xt_decimal_reason_name(r), (long long) units,
					   xt_decimal_reason_name(want), (long long) want_units);
			if (xt_test_failed_checks > 20)
				return;
		}
		checked++;
	}
	XT_CHECK_EQ(checked, 200000);
}

/* A non-zero digit one place past 10^-8 makes any value TOO_PRECISE, whatever the spelling. */
XT_TEST(random_too_precise)
{
	char		text[128];

	for (int i = 0; i < 50000; i++)
	{
		xt_step		step = random_step();
		u128		v = random_value(step) * 10 + 1 + rnd_below(9);	/* in 10^-9 */
		size_t		len = spell(v, 9, text, false);
		int64_t		units = -1;
		xt_decimal_reason r = to_units_n(text, len, step, &units);

		if (r != XT_DEC_TOO_PRECISE || units != 0)
		{
			XT_FAIL_AT("\"%s\": got %s, want TOO_PRECISE", text, xt_decimal_reason_name(r));
			return;
		}
	}
}

XT_TEST(random_round_trip)
{
	char		buf[XT_DECIMAL_TEXT_MAX + 1];

	for (int i = 0; i < 200000; i++)
	{
		xt_step		step = random_step();
		int64_t		units,
					back = 0;
		size_t		n;

		switch (rnd_below(3))
		{
			case 0:
				units = (int64_t) (1 + rnd_below((uint64_t) MAX));
				break;
			case 1:
				units = (int64_t) (1 + rnd_below(100000));
				break;
			default:
				units = MAX - (int64_t) rnd_below(100);
				break;
		}
		n = xt_units_to_decimal(units, step, buf, sizeof(buf));
		if (n == 0 || n != strlen(buf)
			|| to_units_n(buf, n, step, &back) != XT_DEC_OK || back != units)
		{
			XT_FAIL_AT("units %lld step e8 %lld: text \"%s\" back %lld", (long long) units,
					   (long long) step.e8, buf, (long long) back);
			return;
		}
		/* canonical: no exponent, no '+', no trailing fractional zero, no leading zero */
		if (strpbrk(buf, "eE+-") || (strchr(buf, '.') && buf[n - 1] == '0')
			|| (buf[0] == '0' && n > 1 && buf[1] != '.'))
		{
			XT_FAIL_AT("not canonical: \"%s\"", buf);
			return;
		}
	}
}

/* The same value in many spellings, for the flow document's quantity and price. */
XT_TEST(same_value_many_spellings)
{
	static const char *const qty[] = {
		"0.001", "0.0010", "0.00100000", "00.001", "1e-3", "1E-3", "1.0e-3", "0.1e-2",
		"0.01e-1", "100e-5", "0.00001e+2", "1e-0003", "1000000e-9", "0.001e0", "0.001E+0",
	};
	static const char *const price[] = {
		"50000000", "50000000.0", "5e7", "5E+7", "5.0e7", "0.5e8", "500e5", "50000000e0",
		"5000000000e-2", "050000000", "50000000.00000000000", "0.00000005e15",
	};
	int64_t		u;

	for (size_t i = 0; i < sizeof(qty) / sizeof(qty[0]); i++)
	{
		XT_CHECK_EQ(to_units(qty[i], S("0.001"), &u), XT_DEC_OK);
		XT_CHECK_EQ(u, 1);
		XT_CHECK_EQ(to_units(qty[i], S("0.0001"), &u), XT_DEC_OK);
		XT_CHECK_EQ(u, 10);
		XT_CHECK_EQ(to_units(qty[i], S("0.01"), &u), XT_DEC_NOT_MULTIPLE);
	}
	for (size_t i = 0; i < sizeof(price) / sizeof(price[0]); i++)
	{
		XT_CHECK_EQ(to_units(price[i], S("1000"), &u), XT_DEC_OK);
		XT_CHECK_EQ(u, 50000);
		XT_CHECK_EQ(to_units(price[i], S("1"), &u), XT_DEC_OK);
		XT_CHECK_EQ(u, 50000000);
		XT_CHECK_EQ(to_units(price[i], S("0.3"), &u), XT_DEC_NOT_MULTIPLE);
	}
}

XT_TEST_MAIN()
