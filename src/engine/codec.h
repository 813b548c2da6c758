/*
 * codec.h: the binary encoding of an xt_command, for the shared-memory rings and the journal.
 *
 * Owns: the byte layout below, its version number, and the structural validation of a record.
 * Callers: the sequencer's producers (SQL backends, the REST worker) encode; the engine worker,
 * the persister and recovery decode. Pure C11, no allocation, no global state: any thread or
 * process may call it. The layout is little-endian regardless of the host, written byte by byte,
 * so records are portable and need no alignment.
 *
 * A record is a 12-byte header followed by the fields its command type uses (per engine.h) and
 * nothing else. All integers are little-endian; offsets are in bytes from the record's start.
 *
 *   header (every type)
 *   +0      +1      +2             +4                              +12
 *   +-------+-------+--------------+-------------------------------+
 *   |version| type  | length (u16) |           seq (u64)           |
 *   +-------+-------+--------------+-------------------------------+
 *     version = XT_CODEC_VERSION (1); type = xt_command_type (1..4);
 *     length  = bytes of the whole record, header included
 *
 *   NEW_ORDER (type 1): 48 + clordid_len bytes (48 .. 84)
 *   +12  +13   +14 +15 +16   +17   +18     +20      +24       +32     +40      +48
 *   +----+-----+---+---+-----+-----+-------+--------+---------+-------+--------+---------------+
 *   |side|otype|tif|stp|post |clord|reserv.| symbol | account | price |quantity| clordid bytes |
 *   | u8 | u8  |u8 |u8 |only | len | u16=0 |  u32   |   u64   |  i64  |  i64   | [clordid_len] |
 *   +----+-----+---+---+-----+-----+-------+--------+---------+-------+--------+---------------+
 *
 *   CANCEL (type 2): 28 bytes            AMEND (type 3): 44 bytes
 *   +12       +20        +28             +12       +20        +28     +36      +44
 *   +---------+----------+               +---------+----------+-------+--------+
 *   | account | order_id |               | account | order_id | price |quantity|
 *   |   u64   |   u64    |               |   u64   |   u64    |  i64  |  i64   |
 *   +---------+----------+               +---------+----------+-------+--------+
 *
 *   ADD_SYMBOL (type 4): 32 bytes
 *   +12      +16                  +24                     +32
 *   +--------+--------------------+-----------------------+
 *   | symbol | quantity (min_qty) | max_quantity (max_qty)|
 *   |  u32   |        i64         |          i64          |
 *   +--------+--------------------+-----------------------+
 *
 * The reserved u16 of NEW_ORDER keeps symbol 4-aligned for a human reading a hex dump and is room
 * for future flags; version 1 requires it to be zero so that it can be given a meaning later.
 *
 * The encoding is canonical: a command has exactly one encoding, and a record that decodes is
 * exactly the encoding of what it decodes to. Fields a type does not use are not stored; decode
 * sets them (and the clordid bytes past clordid_len, and pad) to zero.
 *
 * Structure versus business rules: decode refuses what is not a command at all (unknown version
 * or type, an enum byte out of range, post_only not 0/1, clordid_len > XT_CLORDID_MAX, reserved
 * bytes set, a length that disagrees): such a record is corruption or a producer bug, and nothing
 * downstream could give it a meaning. It accepts any integer value (a zero quantity, a negative
 * price, an unknown symbol, a foreign order id). Refusing those is the engine's job, for two
 * reasons: the engine's refusal is itself a sequenced REJECTED event that the journal records and
 * replay must reproduce exactly, which only works if the command reaches the engine; and the rules
 * (which depend on engine state such as a symbol's min/max quantity) then live in one place
 * instead of two that could drift apart.
 */
#ifndef XT_CODEC_H
#define XT_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

#define XT_CODEC_VERSION			1
#define XT_COMMAND_HEADER_SIZE		12
#define XT_COMMAND_NEW_ORDER_SIZE	48	/* without its clordid bytes */
#define XT_COMMAND_CANCEL_SIZE		28
#define XT_COMMAND_AMEND_SIZE		44
#define XT_COMMAND_ADD_SYMBOL_SIZE	32
/* The largest record: a new order with a full client order id. */
#define XT_COMMAND_ENCODED_MAX		(XT_COMMAND_NEW_ORDER_SIZE + XT_CLORDID_MAX)

/* Stable numbers: logged by the readers of rings and journal. */
typedef enum xt_codec_result
{
	XT_CODEC_OK = 0,
	XT_CODEC_TRUNCATED = 1,		/* fewer bytes than the record needs */
	XT_CODEC_BAD_VERSION = 2,	/* version byte is not XT_CODEC_VERSION */
	XT_CODEC_BAD_TYPE = 3,		/* type is not an xt_command_type */
	XT_CODEC_BAD_FIELD = 4,		/* enum out of range, post_only > 1, clordid_len too long,
								 * reserved bytes not zero, length field disagrees */
	XT_CODEC_TRAILING_BYTES = 5 /* more bytes than the record */
} xt_codec_result;

/*
 * Encode cmd into buf[0 .. cap). Returns the record's length (XT_COMMAND_CANCEL_SIZE etc., at most
 * XT_COMMAND_ENCODED_MAX), or 0 if cap is too small or cmd cannot be encoded (it fails
 * xt_command_validate); then buf is untouched. A cap of XT_COMMAND_ENCODED_MAX always suffices.
 */
size_t		xt_command_encode(const xt_command *cmd, uint8_t *buf, size_t cap);

/*
 * Decode exactly one record from buf[0 .. len): len must be the record's length. Checks, in this
 * order: at least the 4 bytes of version, type and length (TRUNCATED); version (BAD_VERSION);
 * type (BAD_TYPE); the type's fixed size (TRUNCATED); clordid_len (BAD_FIELD); the whole record
 * (TRUNCATED); the length field (BAD_FIELD); no extra bytes (TRAILING_BYTES); enum bytes and
 * reserved bytes (BAD_FIELD). On XT_CODEC_OK *out holds the command with every unused field zero;
 * on failure *out is all zero.
 */
xt_codec_result xt_command_decode(const uint8_t *buf, size_t len, xt_command *out);

/*
 * The structural checks of decode, applied to a command before it is encoded: XT_CODEC_OK,
 * BAD_TYPE or BAD_FIELD. A producer calls it to refuse a command before giving it a sequence
 * number. Fields the type does not use are not checked (they are not encoded).
 */
xt_codec_result xt_command_validate(const xt_command *cmd);

/* "OK", "TRUNCATED", "BAD_VERSION", "BAD_TYPE", "BAD_FIELD", "TRAILING_BYTES"; "UNKNOWN". */
const char *xt_codec_result_name(xt_codec_result r);

#ifdef __cplusplus
}
#endif

#endif							/* XT_CODEC_H */
