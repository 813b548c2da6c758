/*
 * decimal.c: exact decimal text <-> integer ticks and lots (the contract is in decimal.h).
 *
 * Owns the grammar, the conversions and the messages; nothing else. Pure C11 with one extension,
 * unsigned __int128 (GCC and Clang), for products such as XT_VALUE_MAX * step that pass 64 bits.
 * No allocation, no floating point, no global state: callable from any thread or process.
 *
 * How a text becomes a value: xt_scan checks the grammar in one pass and records where the integer
 * and fractional digits are and the exponent (saturated). From those it finds the power of ten of
 * the highest and the lowest non-zero digit. Every decision that could depend on a huge exponent
 * (zero, too precise, too large) is taken from those two powers alone, and the value is then built
 * by Horner's rule from the highest non-zero digit down to 10^-8, stopping as soon as it passes
 * its limit. So work is linear in the text and at most ~40 steps beyond it, whatever the exponent.
 */
#include "common/decimal.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "engine/engine.h"

#ifndef __SIZEOF_INT128__
#error "decimal.c needs unsigned __int128 (GCC or Clang on a 64-bit target)"
#endif

__extension__ typedef unsigned __int128 xt_u128;
__extension__ typedef __int128 xt_i128;

/*
 * The exponent saturates at +-XT_EXP_CLAMP and texts longer than XT_SCAN_LEN_MAX are refused, so
 * that every digit position (a text offset plus the exponent) fits an int64 with room to spare.
 * Saturation never changes an answer: with |exponent| >= 10^17 and fewer than 2^56 digits, every
 * non-zero digit is either above 10^26 (OVERFLOW for any step) or below 10^-8 (TOO_PRECISE), and
 * the same holds for the true exponent.
 */
#define XT_EXP_CLAMP		((int64_t) 100000000000000000)	/* 10^17 */
#define XT_SCAN_LEN_MAX		((size_t) 1 << 56)

/* What one pass over a text learns about it. */
typedef struct xt_scan
{
	const char *text;
	int64_t		int_begin;		/* offset of the first integer digit */
	int64_t		int_len;		/* integer digits (>= 1) */
	int64_t		frac_begin;		/* offset of the first fractional digit */
	int64_t		frac_len;		/* fractional digits (0 when there is no '.') */
	int64_t		exp;			/* exponent, saturated at +-XT_EXP_CLAMP */
	bool		negative;		/* a leading '-' (also on a zero) */
	bool		zero;			/* every digit is '0' */
	int64_t		p_hi;			/* power of ten of the highest non-zero digit (if !zero) */
	int64_t		p_lo;			/* power of ten of the lowest non-zero digit (if !zero) */
} xt_scan;

static inline bool
xt_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The k-th digit (0 = the first integer digit) of the digits before and after the '.'. */
static int
xt_scan_digit_at(const xt_scan *s, int64_t k)
{
	if (k < s->int_len)
		return s->text[s->int_begin + k] - '0';
	return s->text[s->frac_begin + (k - s->int_len)] - '0';
}

/* The digit worth 10^p in the value: 0 where the text has no digit (exponent padding). */
static int
xt_scan_digit_of_power(const xt_scan *s, int64_t p)
{
	int64_t		k = (s->int_len - 1) - (p - s->exp);

	if (k < 0 || k >= s->int_len + s->frac_len)
		return 0;
	return xt_scan_digit_at(s, k);
}

/* Check the grammar of text[0 .. len) and fill *s. Returns XT_DEC_OK or XT_DEC_SYNTAX. */
static xt_decimal_reason
xt_scan_text(const char *text, size_t len, xt_scan *s)
{
	size_t		i = 0;
	size_t		start;
	int64_t		n;
	int64_t		k;

	memset(s, 0, sizeof(*s));
	s->text = text;
	if (text == NULL || len == 0 || len > XT_SCAN_LEN_MAX)
		return XT_DEC_SYNTAX;

	if (text[i] == '-')
	{
		s->negative = true;
		i++;
	}

	start = i;
	while (i < len && xt_is_digit(text[i]))
		i++;
	if (i == start)
		return XT_DEC_SYNTAX;	/* "", "-", ".5", "+1", "NaN", " 1" */
	s->int_begin = (int64_t) start;
	s->int_len = (int64_t) (i - start);

	if (i < len && text[i] == '.')
	{
		i++;
		start = i;
		while (i < len && xt_is_digit(text[i]))
			i++;
		if (i == start)
			return XT_DEC_SYNTAX;	/* "1.", "1.e5", "1..2" */
		s->frac_begin = (int64_t) start;
		s->frac_len = (int64_t) (i - start);
	}

	if (i < len && (text[i] == 'e' || text[i] == 'E'))
	{
		bool		exp_negative = false;
		int64_t		e = 0;

		i++;
		if (i < len && (text[i] == '+' || text[i] == '-'))
		{
			exp_negative = text[i] == '-';
			i++;
		}
		start = i;
		while (i < len && xt_is_digit(text[i]))
		{
			/* e < 10^17 here, so e * 10 + 9 cannot overflow; then saturate */
			if (e < XT_EXP_CLAMP)
				e = e * 10 + (text[i] - '0');
			if (e > XT_EXP_CLAMP)
				e = XT_EXP_CLAMP;
			i++;
		}
		if (i == start)
			return XT_DEC_SYNTAX;	/* "1e", "1e+", "1ex" */
		s->exp = exp_negative ? -e : e;
	}

	if (i != len)
		return XT_DEC_SYNTAX;	/* trailing garbage: "1 ", "1x", "0x10", "1,5" */

	n = s->int_len + s->frac_len;
	for (k = 0; k < n && xt_scan_digit_at(s, k) == 0; k++)
		;
	if (k == n)
	{
		s->zero = true;
		return XT_DEC_OK;
	}
	s->p_hi = (s->int_len - 1 - k) + s->exp;
	for (k = n - 1; xt_scan_digit_at(s, k) == 0; k--)
		;
	s->p_lo = (s->int_len - 1 - k) + s->exp;
	return XT_DEC_OK;
}

/*
 * The value of a non-zero scan in units of 10^bottom (bottom <= p_lo, so the result is exact), by
 * Horner's rule from the highest non-zero digit. Returns false as soon as it passes limit (which
 * must be below 10^37, so v * 10 + 9 stays inside 128 bits). The first digit is non-zero, so the
 * loop runs at most ~38 times past the point where v >= 1, whatever p_hi is.
 */
static bool
xt_scan_value(const xt_scan *s, int64_t bottom, xt_u128 limit, xt_u128 *out)
{
	xt_u128		v = 0;
	int64_t		p;

	for (p = s->p_hi; p >= bottom; p--)
	{
		v = v * 10 + (xt_u128) xt_scan_digit_of_power(s, p);
		if (v > limit)
			return false;
	}
	*out = v;
	return true;
}

static inline bool
xt_step_valid(xt_step step)
{
	return step.e8 >= 1 && step.e8 <= XT_STEP_E8_MAX;
}

xt_decimal_reason
xt_step_parse(const char *text, size_t len, xt_step *out)
{
	xt_scan		s;
	xt_u128		v;
	xt_decimal_reason r;

	out->e8 = 0;
	r = xt_scan_text(text, len, &s);
	if (r != XT_DEC_OK)
		return r;
	if (s.zero)
		return XT_DEC_ZERO;
	if (s.negative)
		return XT_DEC_NEGATIVE;
	if (s.p_lo < -XT_DECIMAL_SCALE_MAX)
		return XT_DEC_TOO_PRECISE;
	if (!xt_scan_value(&s, -XT_DECIMAL_SCALE_MAX, (xt_u128) XT_STEP_E8_MAX, &v))
		return XT_DEC_OVERFLOW;
	out->e8 = (int64_t) v;
	return XT_DEC_OK;
}

xt_decimal_reason
xt_decimal_to_units(const char *text, size_t len, xt_step step, int64_t *units)
{
	xt_scan		s;
	xt_u128		v;
	xt_decimal_reason r;

	*units = 0;
	if (!xt_step_valid(step))
		return XT_DEC_BAD_STEP;
	r = xt_scan_text(text, len, &s);
	if (r != XT_DEC_OK)
		return r;
	if (s.zero)
		return XT_DEC_ZERO;
	if (s.negative)
		return XT_DEC_NEGATIVE;
	if (s.p_lo < -XT_DECIMAL_SCALE_MAX)
		return XT_DEC_TOO_PRECISE;
	/* limit <= (2^53 - 1) * 10^18 < 10^34 */
	if (!xt_scan_value(&s, -XT_DECIMAL_SCALE_MAX,
					   (xt_u128) XT_VALUE_MAX * (xt_u128) step.e8, &v))
		return XT_DEC_OVERFLOW;
	if (v % (xt_u128) step.e8 != 0)
		return XT_DEC_NOT_MULTIPLE;
	*units = (int64_t) (v / (xt_u128) step.e8);
	return XT_DEC_OK;
}

size_t
xt_units_to_decimal(int64_t units, xt_step step, char *buf, size_t cap)
{
	char		digits[XT_DECIMAL_TEXT_MAX + 1];
	char		text[XT_DECIMAL_TEXT_MAX + 1];
	size_t		n = 0;
	size_t		nd = 0;
	xt_u128		whole;
	int64_t		frac;

	if (buf != NULL && cap > 0)
		buf[0] = '\0';
	if (buf == NULL || units < 0 || units > XT_VALUE_MAX || !xt_step_valid(step))
		return 0;

	/* units * e8 < 10^34: 26 whole digits at most, then 8 fractional ones */
	whole = (xt_u128) units * (xt_u128) step.e8;
	frac = (int64_t) (whole % (xt_u128) XT_DECIMAL_E8);
	whole /= (xt_u128) XT_DECIMAL_E8;

	do
	{
		digits[nd++] = (char) ('0' + (int) (whole % 10));
		whole /= 10;
	} while (whole != 0);
	while (nd > 0)
		text[n++] = digits[--nd];

	if (frac != 0)
	{
		int			places = XT_DECIMAL_SCALE_MAX;

		while (frac % 10 == 0)	/* no trailing fractional zero */
		{
			frac /= 10;
			places--;
		}
		text[n++] = '.';
		for (int i = places - 1; i >= 0; i--)
		{
			text[n + i] = (char) ('0' + frac % 10);
			frac /= 10;
		}
		n += places;
	}

	if (n + 1 > cap)
		return 0;
	memcpy(buf, text, n);
	buf[n] = '\0';
	return n;
}

xt_decimal_reason
xt_decimal_parse(const char *text, size_t len, xt_decimal *out)
{
	xt_scan		s;
	xt_u128		v;
	int64_t		scale;
	xt_decimal_reason r;

	out->mantissa = 0;
	out->scale = 0;
	r = xt_scan_text(text, len, &s);
	if (r != XT_DEC_OK || s.zero)
		return r;
	if (s.p_lo < -XT_DECIMAL_SCALE_MAX)
		return XT_DEC_TOO_PRECISE;
	scale = s.p_lo < 0 ? -s.p_lo : 0;
	if (!xt_scan_value(&s, -scale, (xt_u128) INT64_MAX, &v))
		return XT_DEC_OVERFLOW;
	out->mantissa = s.negative ? -(int64_t) v : (int64_t) v;
	out->scale = (int32_t) scale;
	return XT_DEC_OK;
}

int
xt_decimal_cmp(xt_decimal a, xt_decimal b)
{
	static const int64_t pow10[XT_DECIMAL_SCALE_MAX + 1] = {
		100000000, 10000000, 1000000, 100000, 10000, 1000, 100, 10, 1
	};
	xt_i128		x,
				y;

	/* both at scale 8: |mantissa| * 10^8 < 2^127 */
	x = (xt_i128) a.mantissa * pow10[a.scale];
	y = (xt_i128) b.mantissa * pow10[b.scale];
	return x < y ? -1 : x > y ? 1 : 0;
}

const char *
xt_decimal_reason_name(xt_decimal_reason r)
{
	switch (r)
	{
		case XT_DEC_OK:
			return "OK";
		case XT_DEC_SYNTAX:
			return "SYNTAX";
		case XT_DEC_ZERO:
			return "ZERO";
		case XT_DEC_NEGATIVE:
			return "NEGATIVE";
		case XT_DEC_TOO_PRECISE:
			return "TOO_PRECISE";
		case XT_DEC_OVERFLOW:
			return "OVERFLOW";
		case XT_DEC_NOT_MULTIPLE:
			return "NOT_MULTIPLE";
		case XT_DEC_BAD_STEP:
			return "BAD_STEP";
		case XT_DEC_BUFFER:
			return "BUFFER";
	}
	return "UNKNOWN";
}

/* snprintf's int result as a size_t length (a negative result, an encoding error, as 0). */
static size_t
xt_len(int n)
{
	return n < 0 ? 0 : (size_t) n;
}

size_t
xt_decimal_message(xt_decimal_reason r, const char *field, const char *step_name, xt_step step,
				   char *buf, size_t cap)
{
	char		step_text[XT_DECIMAL_TEXT_MAX + 1];
	char		max_text[XT_DECIMAL_TEXT_MAX + 1];

	if (xt_units_to_decimal(1, step, step_text, sizeof(step_text)) == 0)
		snprintf(step_text, sizeof(step_text), "(invalid)");

	switch (r)
	{
		case XT_DEC_OK:
			return xt_len(snprintf(buf, cap, "%s is valid", field));
		case XT_DEC_SYNTAX:
			return xt_len(snprintf(buf, cap, "%s is not a valid decimal number", field));
		case XT_DEC_ZERO:
			return xt_len(snprintf(buf, cap, "%s must be greater than zero", field));
		case XT_DEC_NEGATIVE:
			return xt_len(snprintf(buf, cap, "%s must not be negative", field));
		case XT_DEC_TOO_PRECISE:
			return xt_len(snprintf(buf, cap, "%s has more decimal places than the %s %s allows",
								   field, step_name, step_text));
		case XT_DEC_OVERFLOW:
			if (xt_units_to_decimal(XT_VALUE_MAX, step, max_text, sizeof(max_text)) == 0)
				return xt_len(snprintf(buf, cap, "%s is too large", field));
			return xt_len(snprintf(buf, cap, "%s must be at most %s with the %s %s",
								   field, max_text, step_name, step_text));
		case XT_DEC_NOT_MULTIPLE:
			return xt_len(snprintf(buf, cap, "%s must be a multiple of the %s %s",
								   field, step_name, step_text));
		case XT_DEC_BAD_STEP:
			return xt_len(snprintf(buf, cap, "%s cannot be checked: the %s is not valid",
								   field, step_name));
		case XT_DEC_BUFFER:
			return xt_len(snprintf(buf, cap, "%s does not fit its buffer", field));
	}
	return xt_len(snprintf(buf, cap, "%s is not valid", field));
}

size_t
xt_step_message(xt_decimal_reason r, const char *step_name, char *buf, size_t cap)
{
	switch (r)
	{
		case XT_DEC_OK:
			return xt_len(snprintf(buf, cap, "%s is valid", step_name));
		case XT_DEC_SYNTAX:
			return xt_len(snprintf(buf, cap, "%s is not a valid decimal number", step_name));
		case XT_DEC_ZERO:
			return xt_len(snprintf(buf, cap, "%s must be greater than zero", step_name));
		case XT_DEC_NEGATIVE:
			return xt_len(snprintf(buf, cap, "%s must not be negative", step_name));
		case XT_DEC_TOO_PRECISE:
			return xt_len(snprintf(buf, cap, "%s must have at most %d decimal places",
								   step_name, XT_DECIMAL_SCALE_MAX));
		case XT_DEC_OVERFLOW:
			{
				char		max_text[XT_DECIMAL_TEXT_MAX + 1];
				xt_step		largest = {XT_STEP_E8_MAX};

				xt_units_to_decimal(1, largest, max_text, sizeof(max_text));
				return xt_len(snprintf(buf, cap, "%s must be at most %s", step_name, max_text));
			}
		case XT_DEC_NOT_MULTIPLE:
		case XT_DEC_BAD_STEP:
		case XT_DEC_BUFFER:
			break;
	}
	return xt_len(snprintf(buf, cap, "%s is not valid", step_name));
}
