/*
 * codec.c: the binary encoding of an xt_command (layout and contract in codec.h).
 *
 * Owns nothing but the layout. Every multi-byte integer is written and read one byte at a time,
 * least significant first, so the code is independent of host byte order and alignment. No
 * allocation, no global state: callable from any thread or process.
 */
#include "engine/codec.h"

#include <string.h>

/* ---- little-endian primitives ------------------------------------------------------------- */

static void
xt_put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t) v;
	p[1] = (uint8_t) (v >> 8);
}

static void
xt_put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

static void
xt_put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

static uint16_t
xt_get_u16(const uint8_t *p)
{
	return (uint16_t) (p[0] | (p[1] << 8));
}

static uint32_t
xt_get_u32(const uint8_t *p)
{
	uint32_t	v = 0;

	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint64_t
xt_get_u64(const uint8_t *p)
{
	uint64_t	v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* int64 fields travel as their two's-complement bit pattern (memcpy: no implementation-defined
 * conversion of an out-of-range unsigned value). */
static void
xt_put_i64(uint8_t *p, int64_t v)
{
	uint64_t	u;

	memcpy(&u, &v, sizeof(u));
	xt_put_u64(p, u);
}

static int64_t
xt_get_i64(const uint8_t *p)
{
	uint64_t	u = xt_get_u64(p);
	int64_t		v;

	memcpy(&v, &u, sizeof(v));
	return v;
}

/* ---- layout ---------------------------------------------------------------------------------- */

/* Offsets, as drawn in codec.h. */
enum
{
	XT_OFF_VERSION = 0,
	XT_OFF_TYPE = 1,
	XT_OFF_LENGTH = 2,
	XT_OFF_SEQ = 4,				/* also: the bytes needed to know type and length */

	/* NEW_ORDER */
	XT_OFF_NEW_SIDE = 12,
	XT_OFF_NEW_ORDER_TYPE = 13,
	XT_OFF_NEW_TIF = 14,
	XT_OFF_NEW_STP = 15,
	XT_OFF_NEW_POST_ONLY = 16,
	XT_OFF_NEW_CLORDID_LEN = 17,
	XT_OFF_NEW_RESERVED = 18,
	XT_OFF_NEW_SYMBOL = 20,
	XT_OFF_NEW_ACCOUNT = 24,
	XT_OFF_NEW_PRICE = 32,
	XT_OFF_NEW_QUANTITY = 40,
	XT_OFF_NEW_CLORDID = 48,

	/* CANCEL, and the first fields of AMEND */
	XT_OFF_CXL_ACCOUNT = 12,
	XT_OFF_CXL_ORDER_ID = 20,
	XT_OFF_AMD_PRICE = 28,
	XT_OFF_AMD_QUANTITY = 36,

	/* ADD_SYMBOL */
	XT_OFF_ADD_SYMBOL = 12,
	XT_OFF_ADD_MIN_QTY = 16,
	XT_OFF_ADD_MAX_QTY = 24
};

/* Record size of a type without variable bytes, 0 for an unknown type. */
static size_t
xt_fixed_size(uint8_t type)
{
	switch (type)
	{
		case XT_CMD_NEW_ORDER:
			return XT_COMMAND_NEW_ORDER_SIZE;
		case XT_CMD_CANCEL:
			return XT_COMMAND_CANCEL_SIZE;
		case XT_CMD_AMEND:
			return XT_COMMAND_AMEND_SIZE;
		case XT_CMD_ADD_SYMBOL:
			return XT_COMMAND_ADD_SYMBOL_SIZE;
	}
	return 0;
}

/* The enum bytes of a new order, checked the same way on both sides of the codec. */
static bool
xt_new_order_fields_ok(uint8_t side, uint8_t order_type, uint8_t tif, uint8_t stp,
					   uint8_t post_only, uint8_t clordid_len)
{
	return side <= XT_SIDE_SELL
		&& order_type <= XT_TYPE_MARKET
		&& tif <= XT_TIF_FOK
		&& stp <= XT_STP_CANCEL_BOTH
		&& post_only <= 1
		&& clordid_len <= XT_CLORDID_MAX;
}

xt_codec_result
xt_command_validate(const xt_command *cmd)
{
	if (xt_fixed_size(cmd->type) == 0)
		return XT_CODEC_BAD_TYPE;
	if (cmd->type == XT_CMD_NEW_ORDER
		&& !xt_new_order_fields_ok(cmd->side, cmd->order_type, cmd->tif, cmd->stp,
								   cmd->post_only, cmd->clordid_len))
		return XT_CODEC_BAD_FIELD;
	return XT_CODEC_OK;
}

size_t
xt_command_encode(const xt_command *cmd, uint8_t *buf, size_t cap)
{
	size_t		size;

	if (xt_command_validate(cmd) != XT_CODEC_OK)
		return 0;
	size = xt_fixed_size(cmd->type);
	if (cmd->type == XT_CMD_NEW_ORDER)
		size += cmd->clordid_len;
	if (buf == NULL || cap < size)
		return 0;

	buf[XT_OFF_VERSION] = XT_CODEC_VERSION;
	buf[XT_OFF_TYPE] = cmd->type;
	xt_put_u16(buf + XT_OFF_LENGTH, (uint16_t) size);
	xt_put_u64(buf + XT_OFF_SEQ, cmd->seq);

	switch (cmd->type)
	{
		case XT_CMD_NEW_ORDER:
			buf[XT_OFF_NEW_SIDE] = cmd->side;
			buf[XT_OFF_NEW_ORDER_TYPE] = cmd->order_type;
			buf[XT_OFF_NEW_TIF] = cmd->tif;
			buf[XT_OFF_NEW_STP] = cmd->stp;
			buf[XT_OFF_NEW_POST_ONLY] = cmd->post_only;
			buf[XT_OFF_NEW_CLORDID_LEN] = cmd->clordid_len;
			xt_put_u16(buf + XT_OFF_NEW_RESERVED, 0);
			xt_put_u32(buf + XT_OFF_NEW_SYMBOL, cmd->symbol);
			xt_put_u64(buf + XT_OFF_NEW_ACCOUNT, cmd->account);
			xt_put_i64(buf + XT_OFF_NEW_PRICE, cmd->price);
			xt_put_i64(buf + XT_OFF_NEW_QUANTITY, cmd->quantity);
			memcpy(buf + XT_OFF_NEW_CLORDID, cmd->clordid, cmd->clordid_len);
			break;
		case XT_CMD_CANCEL:
			xt_put_u64(buf + XT_OFF_CXL_ACCOUNT, cmd->account);
			xt_put_u64(buf + XT_OFF_CXL_ORDER_ID, cmd->order_id);
			break;
		case XT_CMD_AMEND:
			/* a cancel's fields, then price and quantity */
			xt_put_u64(buf + XT_OFF_CXL_ACCOUNT, cmd->account);
			xt_put_u64(buf + XT_OFF_CXL_ORDER_ID, cmd->order_id);
			xt_put_i64(buf + XT_OFF_AMD_PRICE, cmd->price);
			xt_put_i64(buf + XT_OFF_AMD_QUANTITY, cmd->quantity);
			break;
		case XT_CMD_ADD_SYMBOL:
			xt_put_u32(buf + XT_OFF_ADD_SYMBOL, cmd->symbol);
			xt_put_i64(buf + XT_OFF_ADD_MIN_QTY, cmd->quantity);
			xt_put_i64(buf + XT_OFF_ADD_MAX_QTY, cmd->max_quantity);
			break;
	}
	return size;
}

xt_codec_result
xt_command_decode(const uint8_t *buf, size_t len, xt_command *out)
{
	size_t		size;
	uint8_t		type;

	memset(out, 0, sizeof(*out));
	if (buf == NULL || len < XT_OFF_SEQ)
		return XT_CODEC_TRUNCATED;
	if (buf[XT_OFF_VERSION] != XT_CODEC_VERSION)
		return XT_CODEC_BAD_VERSION;
	type = buf[XT_OFF_TYPE];
	size = xt_fixed_size(type);
	if (size == 0)
		return XT_CODEC_BAD_TYPE;
	if (len < size)
		return XT_CODEC_TRUNCATED;
	if (type == XT_CMD_NEW_ORDER)
	{
		if (buf[XT_OFF_NEW_CLORDID_LEN] > XT_CLORDID_MAX)
			return XT_CODEC_BAD_FIELD;
		size += buf[XT_OFF_NEW_CLORDID_LEN];
		if (len < size)
			return XT_CODEC_TRUNCATED;
	}
	if (xt_get_u16(buf + XT_OFF_LENGTH) != size)
		return XT_CODEC_BAD_FIELD;
	if (len > size)
		return XT_CODEC_TRAILING_BYTES;

	if (type == XT_CMD_NEW_ORDER
		&& (!xt_new_order_fields_ok(buf[XT_OFF_NEW_SIDE], buf[XT_OFF_NEW_ORDER_TYPE],
									buf[XT_OFF_NEW_TIF], buf[XT_OFF_NEW_STP],
									buf[XT_OFF_NEW_POST_ONLY], buf[XT_OFF_NEW_CLORDID_LEN])
			|| xt_get_u16(buf + XT_OFF_NEW_RESERVED) != 0))
		return XT_CODEC_BAD_FIELD;

	/* Fill only now, so that a refused record leaves *out all zero. */
	out->type = type;
	out->seq = xt_get_u64(buf + XT_OFF_SEQ);
	switch (type)
	{
		case XT_CMD_NEW_ORDER:
			out->side = buf[XT_OFF_NEW_SIDE];
			out->order_type = buf[XT_OFF_NEW_ORDER_TYPE];
			out->tif = buf[XT_OFF_NEW_TIF];
			out->stp = buf[XT_OFF_NEW_STP];
			out->post_only = buf[XT_OFF_NEW_POST_ONLY];
			out->clordid_len = buf[XT_OFF_NEW_CLORDID_LEN];
			out->symbol = xt_get_u32(buf + XT_OFF_NEW_SYMBOL);
			out->account = xt_get_u64(buf + XT_OFF_NEW_ACCOUNT);
			out->price = xt_get_i64(buf + XT_OFF_NEW_PRICE);
			out->quantity = xt_get_i64(buf + XT_OFF_NEW_QUANTITY);
			memcpy(out->clordid, buf + XT_OFF_NEW_CLORDID, out->clordid_len);
			break;
		case XT_CMD_CANCEL:
			out->account = xt_get_u64(buf + XT_OFF_CXL_ACCOUNT);
			out->order_id = xt_get_u64(buf + XT_OFF_CXL_ORDER_ID);
			break;
		case XT_CMD_AMEND:
			out->account = xt_get_u64(buf + XT_OFF_CXL_ACCOUNT);
			out->order_id = xt_get_u64(buf + XT_OFF_CXL_ORDER_ID);
			out->price = xt_get_i64(buf + XT_OFF_AMD_PRICE);
			out->quantity = xt_get_i64(buf + XT_OFF_AMD_QUANTITY);
			break;
		case XT_CMD_ADD_SYMBOL:
			out->symbol = xt_get_u32(buf + XT_OFF_ADD_SYMBOL);
			out->quantity = xt_get_i64(buf + XT_OFF_ADD_MIN_QTY);
			out->max_quantity = xt_get_i64(buf + XT_OFF_ADD_MAX_QTY);
			break;
	}
	return XT_CODEC_OK;
}

const char *
xt_codec_result_name(xt_codec_result r)
{
	switch (r)
	{
		case XT_CODEC_OK:
			return "OK";
		case XT_CODEC_TRUNCATED:
			return "TRUNCATED";
		case XT_CODEC_BAD_VERSION:
			return "BAD_VERSION";
		case XT_CODEC_BAD_TYPE:
			return "BAD_TYPE";
		case XT_CODEC_BAD_FIELD:
			return "BAD_FIELD";
		case XT_CODEC_TRAILING_BYTES:
			return "TRAILING_BYTES";
	}
	return "UNKNOWN";
}
