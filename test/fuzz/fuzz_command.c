/*
 * fuzz_command.c: libFuzzer target for src/engine/codec.{h,c}.
 *
 * Two directions on every input, abort() on any violation:
 *   - decode: the bytes are a record. When decode succeeds, the command has every unused field
 *     zero, re-encodes to exactly the input bytes, and that decodes to the identical command;
 *     every shorter prefix is TRUNCATED. When decode fails, the output is all zero.
 *   - encode: the first sizeof(xt_command) bytes are taken as a raw command (any garbage in any
 *     field). encode succeeds exactly when xt_command_validate says OK, and then the record
 *     decodes to the command with its unused fields zeroed.
 * Run: make build/fuzz/fuzz_command && build/fuzz/fuzz_command test/fuzz/corpus/fuzz_command
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command_norm.h"
#include "engine/codec.h"
#include "engine/engine.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "fuzz_command: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

/* Field by field (memcmp would also compare the struct's padding holes). */
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


static void
check_decode(const uint8_t *data, size_t size)
{
	xt_command	c;
	xt_command	again;
	xt_command	zero;
	uint8_t		buf[XT_COMMAND_ENCODED_MAX];
	xt_codec_result r = xt_command_decode(data, size, &c);
	size_t		n;

	memset(&zero, 0, sizeof(zero));
	CHECK(r <= XT_CODEC_TRAILING_BYTES);
	if (r != XT_CODEC_OK)
	{
		CHECK(cmd_equal(&c, &zero));
		return;
	}
	{
		xt_command	norm = xt_test_normalise_command(&c);

		CHECK(cmd_equal(&c, &norm));
	}
	CHECK(xt_command_validate(&c) == XT_CODEC_OK);
	n = xt_command_encode(&c, buf, sizeof(buf));
	CHECK(n == size && memcmp(buf, data, size) == 0);
	CHECK(xt_command_decode(buf, n, &again) == XT_CODEC_OK && cmd_equal(&again, &c));
	for (size_t k = 0; k < n; k++)
		CHECK(xt_command_decode(buf, k, &again) == XT_CODEC_TRUNCATED);
}

static void
check_encode(const uint8_t *data, size_t size)
{
	xt_command	raw;
	xt_command	got;
	xt_command	want;
	uint8_t		buf[XT_COMMAND_ENCODED_MAX];
	xt_codec_result v;
	size_t		n;

	if (size < sizeof(raw))
		return;
	memcpy(&raw, data, sizeof(raw));
	v = xt_command_validate(&raw);
	CHECK(v == XT_CODEC_OK || v == XT_CODEC_BAD_TYPE || v == XT_CODEC_BAD_FIELD);
	n = xt_command_encode(&raw, buf, sizeof(buf));
	CHECK((n != 0) == (v == XT_CODEC_OK));
	if (n == 0)
		return;
	CHECK(n <= XT_COMMAND_ENCODED_MAX);
	CHECK(xt_command_encode(&raw, buf, n - 1) == 0);
	CHECK(xt_command_decode(buf, n, &got) == XT_CODEC_OK);
	want = xt_test_normalise_command(&raw);
	CHECK(cmd_equal(&got, &want));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_decode(data, size);
	check_encode(data, size);
	return 0;
}
