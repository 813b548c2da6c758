/*
 * ws_message.h: the WebSocket protocol of port 7001 (path /v1/ws), both directions.
 *
 * Owns: decoding of client messages (auth, subscribe, unsubscribe, ping) with their error codes,
 * and the exact bytes of every server message: Execution reports (the flow document's format;
 * the same bytes are the RabbitMQ message body), order book snapshots and sequenced diffs, trades,
 * ticker, pong, acknowledgements and error frames.
 *
 * Callers: the network worker and the RabbitMQ publisher (and tests, fuzzers). Pure C11 on top of
 * json.h: no allocation (the decoder's JSON arena is on the stack, about 3 KiB), no I/O, no global
 * state; thread-safe as long as the symbol lookup callback is.
 *
 * Every encoder writes one complete JSON text into buf[0 .. cap), NUL-terminated, and returns its
 * length, or 0 if it does not fit or an argument is out of range (nothing partial is ever sent).
 */
#ifndef XT_NET_WS_MESSAGE_H
#define XT_NET_WS_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/decimal.h"
#include "engine/engine.h"
#include "net/order_request.h"

#ifdef __cplusplus
extern "C" {
#endif

#define XT_WS_MESSAGE_MAX		4096	/* bytes of one client message */
#define XT_WS_CHANNELS_MAX		16		/* channels in one subscribe/unsubscribe */
#define XT_WS_API_KEY_MAX		64		/* bytes of an API key (auth.h checks its alphabet) */
#define XT_WS_TIMESTAMP_MAX		19		/* digits of a timestamp */
#define XT_WS_SIGNATURE_MAX		64		/* hex digits of a signature */

/* ---- client -> server ---------------------------------------------------------------------- */

typedef enum xt_ws_op
{
	XT_WS_OP_AUTH = 1,
	XT_WS_OP_SUBSCRIBE = 2,
	XT_WS_OP_UNSUBSCRIBE = 3,
	XT_WS_OP_PING = 4
} xt_ws_op;

typedef enum xt_ws_channel_kind
{
	XT_WS_CH_ORDERBOOK = 1,		/* "orderbook.<SYMBOL>": snapshot, then diffs */
	XT_WS_CH_TRADES = 2,		/* "trades.<SYMBOL>" */
	XT_WS_CH_TICKER = 3,		/* "ticker.<SYMBOL>" */
	XT_WS_CH_EXECUTIONS = 4		/* "executions": the connection's own executions (auth on) */
} xt_ws_channel_kind;

typedef struct xt_ws_channel
{
	uint8_t		kind;			/* xt_ws_channel_kind */
	uint8_t		symbol_len;		/* 0 for executions */
	uint32_t	symbol;			/* symbol id (0 for executions) */
	char		symbol_name[XT_SYMBOL_NAME_MAX + 1];	/* NUL-terminated */
} xt_ws_channel;

typedef enum xt_ws_error
{
	XT_WS_OK = 0,
	XT_WS_MESSAGE_TOO_LARGE = 1,	/* longer than XT_WS_MESSAGE_MAX */
	XT_WS_INVALID_JSON = 2,
	XT_WS_INVALID_MESSAGE = 3,	/* not an object, or too many values */
	XT_WS_MISSING_FIELD = 4,
	XT_WS_UNKNOWN_FIELD = 5,	/* a member the op does not take */
	XT_WS_UNKNOWN_OP = 6,
	XT_WS_INVALID_FIELD = 7,	/* wrong type or length of api_key, timestamp or signature */
	XT_WS_INVALID_CHANNEL = 8,	/* not an array of known channel names, empty, or a duplicate */
	XT_WS_UNKNOWN_SYMBOL = 9,
	XT_WS_TOO_MANY_CHANNELS = 10
} xt_ws_error;

/* A decoded client message. Texts are NUL-terminated copies, syntax checked by auth.h later. */
typedef struct xt_ws_request
{
	uint8_t		op;				/* xt_ws_op */
	uint8_t		n_channels;
	char		api_key[XT_WS_API_KEY_MAX + 1];
	char		timestamp[XT_WS_TIMESTAMP_MAX + 1];
	char		signature[XT_WS_SIGNATURE_MAX + 1];
	xt_ws_channel channels[XT_WS_CHANNELS_MAX];
} xt_ws_request;

/*
 * Decode one client message (text[0 .. len), not NUL-terminated):
 *   {"op":"auth","api_key":K,"timestamp":T,"signature":S}   T: ms since epoch, integer or string
 *   {"op":"subscribe","channels":[...]} / {"op":"unsubscribe","channels":[...]}
 *   {"op":"ping"}
 * Returns XT_WS_OK and fills *out, or an error code with its user message in msg[0 .. msg_cap)
 * (XT_ERROR_MESSAGE_MAX suffices); then *out is zeroed. Channel symbols are resolved with lookup.
 */
xt_ws_error xt_ws_decode(const char *text, size_t len, xt_symbol_lookup_fn lookup,
						 void *lookup_ctx, xt_ws_request *out, char *msg, size_t msg_cap);

/* "INVALID_CHANNEL", ...; "UNKNOWN" for other numbers. */
const char *xt_ws_error_name(xt_ws_error e);

/* The channel's wire name into buf ("orderbook.BTC-KRW", "executions"). Returns its length, or 0
 * if it does not fit. */
size_t		xt_ws_channel_name(const xt_ws_channel *ch, char *buf, size_t cap);

/* ---- server -> client ------------------------------------------------------------------------ */

typedef enum xt_ws_role
{
	XT_WS_TAKER = 0,
	XT_WS_MAKER = 1
} xt_ws_role;

/*
 * The Execution message of one side of a TRADE event, exactly:
 *   {"type":"Execution","execution_report":{"order_id":N,"execution_id":N,"symbol":"BTC-KRW",
 *    "side":"Buy","price":"50000000","quantity":"0.001","remaining_quantity":"0",
 *    "role":"taker","seq":N,"ts":N},"order_status":"Filled"}
 * taker: order_id, side, remaining and status of the taker; maker: maker_order_id, the opposite
 * side, maker_remaining and maker_status. execution_id is the trade id (the same in both
 * reports), seq the event's sequence number, ts the caller's time in ms since the epoch.
 * order_status is Filled / PartiallyFilled / Pending (xt_status_of: remaining vs quantity).
 * Returns 0 if ev is not a TRADE or a value is out of range.
 */
size_t		xt_ws_encode_execution(const xt_event *ev, xt_ws_role role, const char *symbol,
								   xt_step tick, xt_step lot, int64_t ts_ms,
								   char *buf, size_t cap);

/*
 * Order book snapshot, levels best first:
 *   {"type":"orderbook_snapshot","symbol":S,"seq":N,"bids":[["price","qty"],...],"asks":[...]}
 * seq is the symbol's book sequence the snapshot reflects: the next diff carries seq + 1.
 */
size_t		xt_ws_encode_book_snapshot(const char *symbol, xt_step tick, xt_step lot, uint64_t seq,
									   const xt_level_info *bids, uint32_t n_bids,
									   const xt_level_info *asks, uint32_t n_asks,
									   char *buf, size_t cap);

/*
 * Order book diff from the LEVEL events of one command (in event order):
 *   {"type":"orderbook_update","symbol":S,"seq":N,"bids":[["price","qty"]],"asks":[...]}
 * A quantity "0" removes the level. seq must be the previous message's seq + 1 for this symbol:
 * a client that sees a gap discards its book and resubscribes. Returns 0 if an event is not a
 * LEVEL event.
 */
size_t		xt_ws_encode_book_update(const char *symbol, xt_step tick, xt_step lot, uint64_t seq,
									 const xt_event *levels, uint32_t n_levels,
									 char *buf, size_t cap);

/*
 * A public trade from a TRADE event:
 *   {"type":"trade","symbol":S,"trade_id":N,"price":"..","quantity":"..","taker_side":"Buy",
 *    "seq":N,"ts":N}
 */
size_t		xt_ws_encode_trade(const xt_event *ev, const char *symbol, xt_step tick, xt_step lot,
							   int64_t ts_ms, char *buf, size_t cap);

typedef struct xt_ws_ticker
{
	const char *symbol;
	xt_step		tick;
	xt_step		lot;
	int64_t		last_price;		/* ticks; 0 = no trade yet (null) */
	int64_t		best_bid;		/* ticks; 0 = empty side (null) */
	int64_t		best_ask;
	int64_t		volume_24h;		/* lots */
	uint64_t	seq;
	int64_t		ts_ms;
} xt_ws_ticker;

/* {"type":"ticker","symbol":S,"last_price":"..","best_bid":"..","best_ask":"..",
 *  "volume_24h":"..","seq":N,"ts":N} (absent prices are null) */
size_t		xt_ws_encode_ticker(const xt_ws_ticker *t, char *buf, size_t cap);

/* {"type":"pong","ts":N} */
size_t		xt_ws_encode_pong(int64_t ts_ms, char *buf, size_t cap);

/* {"type":"authenticated"} */
size_t		xt_ws_encode_authenticated(char *buf, size_t cap);

/* {"type":"subscribed","channels":[...]} or "unsubscribed" (op SUBSCRIBE / UNSUBSCRIBE). */
size_t		xt_ws_encode_subscribed(xt_ws_op op, const xt_ws_channel *channels, uint32_t n,
									char *buf, size_t cap);

/* {"type":"error","error":code,"message":message}: code is any stable code (xt_ws_error_name,
 * an auth.h result name, ...). */
size_t		xt_ws_encode_error(const char *code, const char *message, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif							/* XT_NET_WS_MESSAGE_H */
