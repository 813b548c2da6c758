/*
 * test_codec.c: unit tests of src/engine/codec.{h,c}.
 *
 * Golden byte vectors, written by hand from the layout drawn in codec.h, pin the format: an
 * accidental change of an offset, a width or the byte order fails here. Then random round trips of
 * every command type (unused fields filled with garbage, which decode must give back as zero),
 * every decode error, and truncation at every length.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command_norm.h"
#include "engine/codec.h"
#include "engine/engine.h"
#include "xt_test.h"

/* ---- helpers ------------------------------------------------------------------------------- */

static uint64_t rng_state = 0xD1B54A32D192ED03ull;

static uint64_t
rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

/* Field-by-field equality (memcmp would also compare the struct's padding holes). */
static bool
cmd_equal(const xt_command *a, const xt_command *b)
{
	return a->seq == b->seq && a->type == b->type && a->side == b->side
		&& a->order_type == b->order_type && a->tif == b->tif && a->stp == b->stp
		&& a->post_only == b->post_only && a->clordid_len == b->clordid_len
		&& a->pad == b->pad && a->symbol == b->symbol && a->account == b->account
		&& a->order_id == b->order_id && a->price == b->price && a->quantity == b->quantity
		&& a->max_quantity == b->max_quantity
		&& memcmp(a->clordid, b->clordid, sizeof(a->clordid)) == 0;
}

static bool
cmd_is_zero(const xt_command *c)
{
	xt_command	z;

	memset(&z, 0, sizeof(z));
	return cmd_equal(c, &z);
}


/* A random command of the given type: valid enum bytes, every other field random garbage. */
static xt_command
random_command(uint8_t type)
{
	xt_command	c;
	uint8_t    *p = (uint8_t *) &c;

	for (size_t i = 0; i < sizeof(c); i++)
		p[i] = (uint8_t) rnd();
	c.type = type;
	c.side = (uint8_t) (rnd() % 2);
	c.order_type = (uint8_t) (rnd() % 2);
	c.tif = (uint8_t) (rnd() % 3);
	c.stp = (uint8_t) (rnd() % 3);
	c.post_only = (uint8_t) (rnd() % 2);
	c.clordid_len = (uint8_t) (rnd() % (XT_CLORDID_MAX + 1));
	switch (rnd() % 4)			/* the extremes of the integer fields, often */
	{
		case 0:
			c.price = INT64_MIN;
			c.quantity = INT64_MAX;
			c.seq = UINT64_MAX;
			break;
		case 1:
			c.price = 0;
			c.quantity = -1;
			c.max_quantity = XT_VALUE_MAX;
			break;
		default:
			break;
	}
	return c;
}

static const uint8_t all_types[] = {
	XT_CMD_NEW_ORDER, XT_CMD_CANCEL, XT_CMD_AMEND, XT_CMD_ADD_SYMBOL
};

/* ---- golden vectors ------------------------------------------------------------------------ */

/* NEW_ORDER: sell limit IOC, STP cancel-both, clordid "ab-1", quantity -2 (two's complement). */
static const uint8_t golden_new[] = {
	0x01, 0x01, 0x34, 0x00,		/* version 1, type NEW_ORDER, length 52 */
	0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,	/* seq 0x0102030405060708 */
	0x01, 0x00, 0x01, 0x02,		/* side SELL, LIMIT, IOC, CANCEL_BOTH */
	0x00, 0x04, 0x00, 0x00,		/* post_only 0, clordid_len 4, reserved */
	0x0D, 0x0C, 0x0B, 0x0A,		/* symbol 0x0A0B0C0D */
	0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,	/* account 0x1122334455667788 */
	0x80, 0xF0, 0xFA, 0x02, 0x00, 0x00, 0x00, 0x00,	/* price 50000000 */
	0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,	/* quantity -2 */
	'a', 'b', '-', '1'			/* clordid */
};

static xt_command
golden_new_cmd(void)
{
	xt_command	c;

	memset(&c, 0, sizeof(c));
	c.seq = 0x0102030405060708ull;
	c.type = XT_CMD_NEW_ORDER;
	c.side = XT_SIDE_SELL;
	c.order_type = XT_TYPE_LIMIT;
	c.tif = XT_TIF_IOC;
	c.stp = XT_STP_CANCEL_BOTH;
	c.post_only = 0;
	c.clordid_len = 4;
	memcpy(c.clordid, "ab-1", 4);
	c.symbol = 0x0A0B0C0Du;
	c.account = 0x1122334455667788ull;
	c.price = 50000000;
	c.quantity = -2;
	return c;
}

/* CANCEL: account 42, order 0xDEADBEEF. */
static const uint8_t golden_cancel[] = {
	0x01, 0x02, 0x1C, 0x00,		/* version 1, type CANCEL, length 28 */
	0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* seq 7 */
	0x2A, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* account 42 */
	0xEF, 0xBE, 0xAD, 0xDE, 0x00, 0x00, 0x00, 0x00	/* order_id 0xDEADBEEF */
};

static xt_command
golden_cancel_cmd(void)
{
	xt_command	c;

	memset(&c, 0, sizeof(c));
	c.seq = 7;
	c.type = XT_CMD_CANCEL;
	c.account = 42;
	c.order_id = 0xDEADBEEFull;
	return c;
}

/* AMEND: price unchanged (0), new quantity XT_VALUE_MAX. */
static const uint8_t golden_amend[] = {
	0x01, 0x03, 0x2C, 0x00,		/* version 1, type AMEND, length 44 */
	0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* seq 256 */
	0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* account 3 */
	0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* order_id 5 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* price 0 */
	0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0x00	/* quantity 2^53 - 1 */
};

static xt_command
golden_amend_cmd(void)
{
	xt_command	c;

	memset(&c, 0, sizeof(c));
	c.seq = 256;
	c.type = XT_CMD_AMEND;
	c.account = 3;
	c.order_id = 5;
	c.price = 0;
	c.quantity = XT_VALUE_MAX;
	return c;
}

/* ADD_SYMBOL: symbol 65535, min_qty 10, max_qty 0 (default). */
static const uint8_t golden_add[] = {
	0x01, 0x04, 0x20, 0x00,		/* version 1, type ADD_SYMBOL, length 32 */
	0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* seq 1 */
	0xFF, 0xFF, 0x00, 0x00,		/* symbol 65535 */
	0x0A, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* min_qty 10 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00	/* max_qty 0 */
};

static xt_command
golden_add_cmd(void)
{
	xt_command	c;

	memset(&c, 0, sizeof(c));
	c.seq = 1;
	c.type = XT_CMD_ADD_SYMBOL;
	c.symbol = 65535;
	c.quantity = 10;
	c.max_quantity = 0;
	return c;
}

typedef struct golden
{
	const char *name;
	const uint8_t *bytes;
	size_t		len;
	xt_command	(*cmd) (void);
} golden;

static const golden goldens[] = {
	{"new_order", golden_new, sizeof(golden_new), golden_new_cmd},
	{"cancel", golden_cancel, sizeof(golden_cancel), golden_cancel_cmd},
	{"amend", golden_amend, sizeof(golden_amend), golden_amend_cmd},
	{"add_symbol", golden_add, sizeof(golden_add), golden_add_cmd},
};

#define NGOLDEN (sizeof(goldens) / sizeof(goldens[0]))

XT_TEST(golden_encode)
{
	for (size_t g = 0; g < NGOLDEN; g++)
	{
		xt_command	c = goldens[g].cmd();
		uint8_t		buf[XT_COMMAND_ENCODED_MAX];
		size_t		n = xt_command_encode(&c, buf, sizeof(buf));

		if (n != goldens[g].len || memcmp(buf, goldens[g].bytes, n) != 0)
		{
			XT_FAIL_AT("%s: encoding differs from the golden vector (length %zu, want %zu)",
					   goldens[g].name, n, goldens[g].len);
			for (size_t i = 0; i < n && i < goldens[g].len; i++)
				if (buf[i] != goldens[g].bytes[i])
					fprintf(stderr, "    byte %zu: 0x%02x, want 0x%02x\n", i, buf[i],
							goldens[g].bytes[i]);
		}
	}
}

XT_TEST(golden_decode)
{
	for (size_t g = 0; g < NGOLDEN; g++)
	{
		xt_command	want = goldens[g].cmd();
		xt_command	got;

		XT_CHECK_EQ(xt_command_decode(goldens[g].bytes, goldens[g].len, &got), XT_CODEC_OK);
		if (!cmd_equal(&got, &want))
			XT_FAIL_AT("%s: decoded command differs", goldens[g].name);
	}
}

XT_TEST(sizes)
{
	XT_CHECK_EQ(XT_COMMAND_ENCODED_MAX, 84);
	XT_CHECK_EQ(sizeof(golden_new), XT_COMMAND_NEW_ORDER_SIZE + 4);
	XT_CHECK_EQ(sizeof(golden_cancel), XT_COMMAND_CANCEL_SIZE);
	XT_CHECK_EQ(sizeof(golden_amend), XT_COMMAND_AMEND_SIZE);
	XT_CHECK_EQ(sizeof(golden_add), XT_COMMAND_ADD_SYMBOL_SIZE);
}

/* ---- round trips --------------------------------------------------------------------------- */

XT_TEST(random_round_trip)
{
	for (int i = 0; i < 100000; i++)
	{
		uint8_t		type = all_types[rnd() % 4];
		xt_command	c = random_command(type);
		xt_command	want = xt_test_normalise_command(&c);
		xt_command	got;
		uint8_t		buf[XT_COMMAND_ENCODED_MAX];
		uint8_t		again[XT_COMMAND_ENCODED_MAX];
		size_t		n = xt_command_encode(&c, buf, sizeof(buf));
		size_t		expect = type == XT_CMD_NEW_ORDER ? XT_COMMAND_NEW_ORDER_SIZE + c.clordid_len
			: type == XT_CMD_CANCEL ? XT_COMMAND_CANCEL_SIZE
			: type == XT_CMD_AMEND ? XT_COMMAND_AMEND_SIZE
			: XT_COMMAND_ADD_SYMBOL_SIZE;
		xt_codec_result r;

		XT_REQUIRE(n == expect);
		r = xt_command_decode(buf, n, &got);
		if (r != XT_CODEC_OK || !cmd_equal(&got, &want))
		{
			XT_FAIL_AT("type %d: decode %s or fields differ", type, xt_codec_result_name(r));
			return;
		}
		/* decode(encode(decode(x))) == decode(x), and the bytes are the same */
		XT_REQUIRE(xt_command_encode(&got, again, sizeof(again)) == n);
		XT_REQUIRE(memcmp(buf, again, n) == 0);
	}
}

XT_TEST(full_clordid)
{
	xt_command	c = golden_new_cmd();
	xt_command	got;
	uint8_t		buf[XT_COMMAND_ENCODED_MAX];

	c.clordid_len = XT_CLORDID_MAX;
	memcpy(c.clordid, "123e4567-e89b-12d3-a456-426614174000", XT_CLORDID_MAX);
	XT_CHECK_EQ(xt_command_encode(&c, buf, sizeof(buf)), XT_COMMAND_ENCODED_MAX);
	XT_CHECK_EQ(buf[2], XT_COMMAND_ENCODED_MAX);
	XT_CHECK_EQ(xt_command_decode(buf, XT_COMMAND_ENCODED_MAX, &got), XT_CODEC_OK);
	XT_CHECK(cmd_equal(&got, &c));
	XT_CHECK(memcmp(buf + 48, "123e4567-e89b-12d3-a456-426614174000", XT_CLORDID_MAX) == 0);
}

XT_TEST(unused_fields_dropped)
{
	xt_command	c = golden_cancel_cmd();
	xt_command	got;
	uint8_t		buf[XT_COMMAND_ENCODED_MAX];
	size_t		n;

	/* garbage in every field a cancel does not use: same bytes, decoded as zero */
	c.side = 7;
	c.tif = 9;
	c.clordid_len = 200;
	c.pad = 1;
	c.symbol = 5;
	c.price = 11;
	c.quantity = 12;
	c.max_quantity = 13;
	memset(c.clordid, 'z', sizeof(c.clordid));
	XT_CHECK_EQ(xt_command_validate(&c), XT_CODEC_OK);
	n = xt_command_encode(&c, buf, sizeof(buf));
	XT_CHECK_EQ(n, sizeof(golden_cancel));
	XT_CHECK(memcmp(buf, golden_cancel, sizeof(golden_cancel)) == 0);
	XT_CHECK_EQ(xt_command_decode(buf, n, &got), XT_CODEC_OK);
	c = golden_cancel_cmd();
	XT_CHECK(cmd_equal(&got, &c));

	/* a new order's clordid bytes past clordid_len and its pad are not carried either */
	c = golden_new_cmd();
	memset(c.clordid + 4, 'q', XT_CLORDID_MAX - 4);
	c.pad = 0xEE;
	c.order_id = 99;
	c.max_quantity = 98;
	n = xt_command_encode(&c, buf, sizeof(buf));
	XT_CHECK(n == sizeof(golden_new) && memcmp(buf, golden_new, n) == 0);
	XT_CHECK_EQ(xt_command_decode(buf, n, &got), XT_CODEC_OK);
	c = golden_new_cmd();
	XT_CHECK(cmd_equal(&got, &c));
}

/* ---- encode refusals ------------------------------------------------------------------------ */

XT_TEST(encode_cap)
{
	for (size_t g = 0; g < NGOLDEN; g++)
	{
		xt_command	c = goldens[g].cmd();
		uint8_t		buf[XT_COMMAND_ENCODED_MAX + 1];

		for (size_t cap = 0; cap < goldens[g].len; cap++)
		{
			memset(buf, 0xAA, sizeof(buf));
			XT_CHECK_EQ(xt_command_encode(&c, buf, cap), 0);
			for (size_t i = 0; i < sizeof(buf); i++)
				if (buf[i] != 0xAA)
				{
					XT_FAIL_AT("%s: cap %zu: byte %zu written", goldens[g].name, cap, i);
					break;
				}
		}
		memset(buf, 0xAA, sizeof(buf));
		XT_CHECK_EQ(xt_command_encode(&c, buf, goldens[g].len), goldens[g].len);
		XT_CHECK_EQ(buf[goldens[g].len], 0xAA);	/* nothing past the record */
	}
	{
		xt_command	c = golden_cancel_cmd();

		XT_CHECK_EQ(xt_command_encode(&c, NULL, 100), 0);
	}
}

XT_TEST(encode_invalid)
{
	xt_command	c;
	uint8_t		buf[XT_COMMAND_ENCODED_MAX];

	static const uint8_t bad_types[] = {0, 5, 6, 255};

	for (size_t i = 0; i < sizeof(bad_types); i++)
	{
		c = golden_cancel_cmd();
		c.type = bad_types[i];
		XT_CHECK_EQ(xt_command_validate(&c), XT_CODEC_BAD_TYPE);
		XT_CHECK_EQ(xt_command_encode(&c, buf, sizeof(buf)), 0);
	}

#define BAD_NEW(field, value) \
	do { \
		c = golden_new_cmd(); \
		c.field = (value); \
		XT_CHECK_EQ(xt_command_validate(&c), XT_CODEC_BAD_FIELD); \
		XT_CHECK_EQ(xt_command_encode(&c, buf, sizeof(buf)), 0); \
		c.field = (uint8_t) ((value) - 1); \
		XT_CHECK_EQ(xt_command_validate(&c), XT_CODEC_OK); \
		XT_CHECK(xt_command_encode(&c, buf, sizeof(buf)) > 0); \
	} while (0)
	BAD_NEW(side, 2);
	BAD_NEW(order_type, 2);
	BAD_NEW(tif, 3);
	BAD_NEW(stp, 3);
	BAD_NEW(post_only, 2);
	BAD_NEW(clordid_len, XT_CLORDID_MAX + 1);
#undef BAD_NEW
	c = golden_new_cmd();
	c.side = 255;
	XT_CHECK_EQ(xt_command_validate(&c), XT_CODEC_BAD_FIELD);

	/* business rules are not the codec's: zero, negative and huge values encode */
	c = golden_new_cmd();
	c.price = -5;
	c.quantity = 0;
	c.symbol = UINT32_MAX;
	XT_CHECK_EQ(xt_command_validate(&c), XT_CODEC_OK);
	XT_CHECK(xt_command_encode(&c, buf, sizeof(buf)) > 0);
}

/* ---- decode errors -------------------------------------------------------------------------- */

/* Decode a modified copy of a golden record and expect r, with *out left all zero. */
static void
expect_decode(const uint8_t *bytes, size_t len, xt_codec_result want, const char *what, int line)
{
	xt_command	got;
	xt_codec_result r;

	memset(&got, 0x5A, sizeof(got));
	r = xt_command_decode(bytes, len, &got);
	if (r != want)
	{
		xt_test_failed_checks++;
		fprintf(stderr, "  %s:%d: %s: got %s, want %s\n", __FILE__, line, what,
				xt_codec_result_name(r), xt_codec_result_name(want));
	}
	if (r != XT_CODEC_OK && !cmd_is_zero(&got))
	{
		xt_test_failed_checks++;
		fprintf(stderr, "  %s:%d: %s: output not zeroed on failure\n", __FILE__, line, what);
	}
}

#define EXPECT_DECODE(b, n, r, what) expect_decode((b), (n), (r), (what), __LINE__)

XT_TEST(truncated_at_every_length)
{
	for (size_t g = 0; g < NGOLDEN; g++)
	{
		char		what[64];

		for (size_t len = 0; len < goldens[g].len; len++)
		{
			/* an exact-size copy: under ASan a read past len fails */
			uint8_t    *buf = malloc(len > 0 ? len : 1);

			XT_REQUIRE(buf != NULL);
			memcpy(buf, goldens[g].bytes, len);
			snprintf(what, sizeof(what), "%s truncated to %zu", goldens[g].name, len);
			EXPECT_DECODE(buf, len, XT_CODEC_TRUNCATED, what);
			if (len == 0)
				EXPECT_DECODE(NULL, 0, XT_CODEC_TRUNCATED, what);
			free(buf);
		}
	}
}

XT_TEST(trailing_bytes)
{
	for (size_t g = 0; g < NGOLDEN; g++)
	{
		uint8_t		buf[XT_COMMAND_ENCODED_MAX + 8];

		memset(buf, 0, sizeof(buf));
		memcpy(buf, goldens[g].bytes, goldens[g].len);
		EXPECT_DECODE(buf, goldens[g].len + 1, XT_CODEC_TRAILING_BYTES, goldens[g].name);
		EXPECT_DECODE(buf, goldens[g].len + 8, XT_CODEC_TRAILING_BYTES, goldens[g].name);
		EXPECT_DECODE(buf, goldens[g].len, XT_CODEC_OK, goldens[g].name);
	}
}

XT_TEST(bad_version)
{
	static const uint8_t versions[] = {0, 2, 0x81, 255};

	for (size_t g = 0; g < NGOLDEN; g++)
		for (size_t v = 0; v < sizeof(versions); v++)
		{
			uint8_t		buf[XT_COMMAND_ENCODED_MAX];

			memcpy(buf, goldens[g].bytes, goldens[g].len);
			buf[0] = versions[v];
			EXPECT_DECODE(buf, goldens[g].len, XT_CODEC_BAD_VERSION, goldens[g].name);
			EXPECT_DECODE(buf, 4, XT_CODEC_BAD_VERSION, goldens[g].name);
		}
}

XT_TEST(bad_type)
{
	static const uint8_t types[] = {0, 5, 6, 0x81, 255};

	for (size_t t = 0; t < sizeof(types); t++)
	{
		uint8_t		buf[XT_COMMAND_ENCODED_MAX];

		memcpy(buf, golden_add, sizeof(golden_add));
		buf[1] = types[t];
		EXPECT_DECODE(buf, sizeof(golden_add), XT_CODEC_BAD_TYPE, "type");
		EXPECT_DECODE(buf, 4, XT_CODEC_BAD_TYPE, "type, header only");
	}
}

XT_TEST(bad_fields)
{
	uint8_t		buf[XT_COMMAND_ENCODED_MAX + 64];
	const size_t n = sizeof(golden_new);

	/* enum bytes one past their range, and far past */
	static const struct
	{
		size_t		offset;
		uint8_t		first_bad;
		const char *what;
	}			enums[] = {
		{12, 2, "side"}, {13, 2, "order_type"}, {14, 3, "tif"}, {15, 3, "stp"},
		{16, 2, "post_only"},
	};

	for (size_t i = 0; i < sizeof(enums) / sizeof(enums[0]); i++)
	{
		memcpy(buf, golden_new, n);
		buf[enums[i].offset] = enums[i].first_bad;
		EXPECT_DECODE(buf, n, XT_CODEC_BAD_FIELD, enums[i].what);
		buf[enums[i].offset] = 255;
		EXPECT_DECODE(buf, n, XT_CODEC_BAD_FIELD, enums[i].what);
		buf[enums[i].offset] = (uint8_t) (enums[i].first_bad - 1);
		EXPECT_DECODE(buf, n, XT_CODEC_OK, enums[i].what);
	}

	/* reserved bytes, each one */
	memcpy(buf, golden_new, n);
	buf[18] = 1;
	EXPECT_DECODE(buf, n, XT_CODEC_BAD_FIELD, "reserved byte 18");
	memcpy(buf, golden_new, n);
	buf[19] = 0x80;
	EXPECT_DECODE(buf, n, XT_CODEC_BAD_FIELD, "reserved byte 19");

	/* clordid_len past XT_CLORDID_MAX, even with enough bytes and a matching length */
	memset(buf, 'x', sizeof(buf));
	memcpy(buf, golden_new, XT_COMMAND_NEW_ORDER_SIZE);
	buf[17] = XT_CLORDID_MAX + 1;
	buf[2] = XT_COMMAND_NEW_ORDER_SIZE + XT_CLORDID_MAX + 1;
	EXPECT_DECODE(buf, XT_COMMAND_NEW_ORDER_SIZE + XT_CLORDID_MAX + 1, XT_CODEC_BAD_FIELD,
				  "clordid_len 37");
	buf[17] = 255;
	EXPECT_DECODE(buf, XT_COMMAND_NEW_ORDER_SIZE, XT_CODEC_BAD_FIELD, "clordid_len 255");
	/* clordid_len within range but the bytes are missing: truncated */
	memcpy(buf, golden_new, n);
	buf[17] = 10;
	EXPECT_DECODE(buf, n, XT_CODEC_TRUNCATED, "clordid_len 10 with 4 bytes");

	/* the length field disagrees with the record */
	for (size_t g = 0; g < NGOLDEN; g++)
	{
		static const int deltas[] = {-1, 1, 256, -(int) XT_COMMAND_HEADER_SIZE};

		for (size_t d = 0; d < sizeof(deltas) / sizeof(deltas[0]); d++)
		{
			uint16_t	len = (uint16_t) (goldens[g].len + deltas[d]);

			memcpy(buf, goldens[g].bytes, goldens[g].len);
			buf[2] = (uint8_t) len;
			buf[3] = (uint8_t) (len >> 8);
			EXPECT_DECODE(buf, goldens[g].len, XT_CODEC_BAD_FIELD, "length field");
		}
	}

	/* any integer value is structurally fine */
	memcpy(buf, golden_add, sizeof(golden_add));
	memset(buf + 12, 0xFF, sizeof(golden_add) - 12);
	EXPECT_DECODE(buf, sizeof(golden_add), XT_CODEC_OK, "add_symbol all ones");
}

/* Every single-byte corruption of a valid record either decodes to something that re-encodes to
 * the same bytes, or is refused: never accepted as a different encoding. */
XT_TEST(single_byte_corruptions)
{
	for (size_t g = 0; g < NGOLDEN; g++)
		for (size_t i = 0; i < goldens[g].len; i++)
			for (int v = 0; v < 256; v++)
			{
				uint8_t		buf[XT_COMMAND_ENCODED_MAX];
				uint8_t		again[XT_COMMAND_ENCODED_MAX];
				xt_command	got;

				memcpy(buf, goldens[g].bytes, goldens[g].len);
				buf[i] = (uint8_t) v;
				if (xt_command_decode(buf, goldens[g].len, &got) != XT_CODEC_OK)
					continue;
				if (xt_command_encode(&got, again, sizeof(again)) != goldens[g].len
					|| memcmp(again, buf, goldens[g].len) != 0)
				{
					XT_FAIL_AT("%s: byte %zu = %d decodes but does not re-encode the same",
							   goldens[g].name, i, v);
					return;
				}
			}
}

XT_TEST(result_names)
{
	XT_CHECK_STR(xt_codec_result_name(XT_CODEC_OK), "OK");
	XT_CHECK_STR(xt_codec_result_name(XT_CODEC_TRUNCATED), "TRUNCATED");
	XT_CHECK_STR(xt_codec_result_name(XT_CODEC_BAD_VERSION), "BAD_VERSION");
	XT_CHECK_STR(xt_codec_result_name(XT_CODEC_BAD_TYPE), "BAD_TYPE");
	XT_CHECK_STR(xt_codec_result_name(XT_CODEC_BAD_FIELD), "BAD_FIELD");
	XT_CHECK_STR(xt_codec_result_name(XT_CODEC_TRAILING_BYTES), "TRAILING_BYTES");
	XT_CHECK_STR(xt_codec_result_name((xt_codec_result) 42), "UNKNOWN");
}

XT_TEST_MAIN()
