/*
 * order_request.h: the REST order API's bodies: POST /v1/order in, order answers out.
 *
 * Owns: the decoding and validation of a new-order request body into the values of an engine
 * NEW_ORDER command (enums, price in ticks, quantity in lots), the stable error codes and user
 * messages of every refusal, and the JSON bodies of the answers: ACCEPTED, errors, and the order
 * view of GET /v1/order/{id}.
 *
 * Callers: the network worker (and tests, fuzzers). Pure C11 on top of json.h and
 * src/common/decimal.h: no allocation (the JSON arena lives on the stack, about 5 KiB), no I/O, no
 * global state; thread-safe as long as the symbol lookup callback is.
 *
 * VALIDATION ORDER (the first failure is the answer; it mirrors the engine's own order):
 *   body larger than XT_JSON_INPUT_MAX -> PAYLOAD_TOO_LARGE (413); not JSON, or nested deeper
 *   than 4 levels -> INVALID_JSON;
 *   not an object, or more than XT_ORDER_JSON_NODES values / XT_ORDER_JSON_TEXT bytes of text ->
 *   INVALID_REQUEST; a member not in the list below -> UNKNOWN_FIELD; then per field: symbol,
 *   side, order_type, time_in_force, client_order_id, price, quantity (with min/max), post_only.
 *   Required fields: symbol, side, order_type, quantity, and price for a limit order. An optional
 *   field given as null is the same as absent (time_in_force GTC, no client order id, post_only
 *   false, and no price for a market order).
 */
#ifndef XT_NET_ORDER_REQUEST_H
#define XT_NET_ORDER_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/decimal.h"
#include "engine/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

#define XT_SYMBOL_NAME_MAX		32	/* bytes of a symbol name; longer names are never looked up */
#define XT_ERROR_MESSAGE_MAX	160 /* bytes of a user message, NUL included */
#define XT_ORDER_JSON_NODES		32	/* values in one order body */
#define XT_ORDER_JSON_TEXT		4096	/* bytes of decoded text (strings, numbers) in one body */

/* What the caller knows about a symbol, found by name. */
typedef struct xt_symbol_spec
{
	uint32_t	id;				/* the engine's symbol id */
	xt_step		tick;			/* price step */
	xt_step		lot;			/* quantity step */
	int64_t		min_lots;		/* smallest quantity, in lots (>= 1) */
	int64_t		max_lots;		/* largest quantity, in lots (<= XT_VALUE_MAX) */
} xt_symbol_spec;

/* Find a symbol by its exact name (name[0 .. len), not NUL-terminated, len <= XT_SYMBOL_NAME_MAX).
 * Returns true and fills *out, or false if there is no such symbol. */
typedef bool (*xt_symbol_lookup_fn) (void *ctx, const char *name, size_t len, xt_symbol_spec *out);

typedef enum xt_order_error
{
	XT_ORDER_OK = 0,
	XT_ORDER_PAYLOAD_TOO_LARGE = 1, /* 413 */
	XT_ORDER_INVALID_JSON = 2,
	XT_ORDER_INVALID_REQUEST = 3,	/* valid JSON, but not an object or too big to be an order */
	XT_ORDER_MISSING_FIELD = 4,
	XT_ORDER_UNKNOWN_FIELD = 5,
	XT_ORDER_INVALID_SYMBOL = 6,	/* symbol is not a string */
	XT_ORDER_UNKNOWN_SYMBOL = 7,
	XT_ORDER_INVALID_SIDE = 8,
	XT_ORDER_INVALID_ORDER_TYPE = 9,
	XT_ORDER_INVALID_TIME_IN_FORCE = 10,
	XT_ORDER_INVALID_CLIENT_ORDER_ID = 11,
	XT_ORDER_INVALID_PRICE = 12,
	XT_ORDER_INVALID_QUANTITY = 13,
	XT_ORDER_INVALID_POST_ONLY = 14
} xt_order_error;

/* A validated new order, ready for xt_order_request_to_command. */
typedef struct xt_order_request
{
	uint32_t	symbol;
	uint8_t		side;			/* xt_side */
	uint8_t		order_type;		/* xt_order_type */
	uint8_t		tif;			/* xt_tif */
	uint8_t		post_only;		/* 0 or 1 */
	uint8_t		clordid_len;	/* 0 = none */
	char		clordid[XT_CLORDID_MAX];	/* not NUL-terminated */
	int64_t		price;			/* ticks; 0 for a market order */
	int64_t		quantity;		/* lots */
} xt_order_request;

/*
 * Decode and validate a POST /v1/order body (body[0 .. len), not NUL-terminated). Returns
 * XT_ORDER_OK and fills *out, or an error code and writes its user message into msg[0 .. msg_cap)
 * (NUL-terminated, truncated if needed; XT_ERROR_MESSAGE_MAX always suffices). On error *out is
 * zeroed. lookup is called at most once, with the symbol's name.
 */
xt_order_error xt_order_request_decode(const char *body, size_t len, xt_symbol_lookup_fn lookup,
									   void *lookup_ctx, xt_order_request *out,
									   char *msg, size_t msg_cap);

/*
 * The NEW_ORDER command for a decoded request: seq 0 (the sequencer assigns it), the given account,
 * self-trade prevention XT_STP_CANCEL_RESTING (the SQL API's default).
 */
void		xt_order_request_to_command(const xt_order_request *req, uint64_t account,
										xt_command *cmd);

/* "INVALID_PRICE", ...: the stable code sent as "error"; "UNKNOWN" for other numbers. */
const char *xt_order_error_name(xt_order_error e);

/* The HTTP status of an error: 413 for PAYLOAD_TOO_LARGE, 400 otherwise (200 for OK). */
int			xt_order_error_http_status(xt_order_error e);

/* ---- names shared by every encoder ------------------------------------------------------- */

const char *xt_side_name(xt_side s);	/* "Buy", "Sell"; "Unknown" otherwise */
const char *xt_order_type_name(xt_order_type t);	/* "Limit", "Market" */
const char *xt_tif_name(xt_tif t);		/* "GTC", "IOC", "FOK" */

/* ---- response bodies ------------------------------------------------------------------------ */

/*
 * {"order_id":<integer>,"status":"ACCEPTED","message":message}. Returns the length written into
 * buf (NUL-terminated), or 0 if it does not fit.
 */
size_t		xt_order_encode_accepted(uint64_t order_id, const char *message, char *buf, size_t cap);

/* {"error":<name of e>,"message":message}. Returns the length, or 0 if it does not fit. */
size_t		xt_order_encode_error(xt_order_error e, const char *message, char *buf, size_t cap);

/* One order as GET /v1/order/{id} shows it. */
typedef struct xt_order_view
{
	uint64_t	order_id;
	const char *symbol;			/* NUL-terminated name */
	xt_step		tick;
	xt_step		lot;
	uint8_t		side;			/* xt_side */
	uint8_t		order_type;		/* xt_order_type */
	uint8_t		tif;			/* xt_tif */
	uint8_t		status;			/* xt_status */
	int64_t		price;			/* ticks; 0 = none (market order): JSON null */
	int64_t		quantity;		/* lots, total as last amended */
	int64_t		filled;			/* lots traded */
	int64_t		remaining;		/* lots still open (0 once final) */
	const char *clordid;		/* client order id bytes, or NULL */
	size_t		clordid_len;
	int64_t		created_at_us;	/* microseconds since the Unix epoch, UTC */
	int64_t		updated_at_us;
} xt_order_view;

/*
 * {"order_id":N,"symbol":"BTC-KRW","side":"Buy","order_type":"Limit","time_in_force":"GTC",
 *  "price":"50000000","quantity":"0.001","filled_quantity":"0","remaining_quantity":"0.001",
 *  "status":"Pending","client_order_id":null,"created_at":"2024-05-01T12:00:00.000000Z",
 *  "updated_at":"..."}
 * Decimals are strings, exact; price null for a market order; times RFC 3339 UTC with
 * microseconds. Returns the length, or 0 if it does not fit or a value is out of range.
 */
size_t		xt_order_encode_view(const xt_order_view *v, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif							/* XT_NET_ORDER_REQUEST_H */
