/*
 * engine.h: the xTrader matching engine core.
 *
 * Owns: every order book (one per symbol), the resting-order pool, the order-id index, the
 * client-order-id dedup window, and the rules of price-time priority matching.
 *
 * Pure C11: no PostgreSQL, no I/O, no locks and no malloc. The caller hands the engine one
 * contiguous block of memory (sized by xt_engine_size() for an xt_engine_config) and the engine
 * never touches anything else. Internally every link is an index or an offset from the start of
 * that block, never a pointer, so the block may live in PostgreSQL shared memory, be copied, or be
 * mapped at another address.
 *
 * Threads: an engine is owned by one thread at a time. Readers in other processes (SQL backends
 * answering xt_order_book) must be serialised against the owner by the caller (an LWLock).
 *
 * Determinism contract: the same sequence of commands applied to engines created with the same
 * configuration yields the same events, byte for byte, and the same xt_engine_hash(). A snapshot
 * restored into a fresh engine followed by the remaining commands gives the same events and hash
 * as an engine that never stopped. Nothing depends on time, addresses or randomness.
 *
 * Units: a price is an int64 count of ticks of its symbol, a quantity an int64 count of lots.
 * Decimal text <-> ticks/lots lives in src/common/decimal.h; the engine never sees a decimal.
 */
#ifndef XT_ENGINE_H
#define XT_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- limits ------------------------------------------------------------------------------ */

/* Prices (ticks) and quantities (lots) lie in [1, XT_VALUE_MAX]. 2^53 - 1 keeps every value
 * exact in any JSON consumer that reads numbers as doubles. */
#define XT_VALUE_MAX        ((int64_t) 9007199254740991)	/* 2^53 - 1 */
#define XT_CLORDID_MAX      36	/* bytes of a client order id (a UUID with dashes fits) */

#define XT_MIN_SYMBOLS      1
#define XT_MAX_SYMBOLS      65536
#define XT_MIN_ORDERS       1
#define XT_MAX_ORDERS       (1u << 26)	/* resting orders in the whole engine */
#define XT_MIN_LEVELS       1
#define XT_MAX_LEVELS       (1u << 20)	/* price levels per side per symbol */
#define XT_MAX_CLORDIDS     (1u << 26)	/* client-order-id dedup window (0 disables dedup) */

/* ---- results of API calls (not events) ------------------------------------------------------ */

typedef enum xt_result
{
	XT_OK = 0,
	XT_ERR_CONFIG,				/* configuration outside its XT_MIN_/XT_MAX_ bounds */
	XT_ERR_MEMORY,				/* the memory block is too small or misaligned (8 bytes) */
	XT_ERR_SEQUENCE,			/* command seq is not last_seq + 1: a sequencer bug */
	XT_ERR_SNAPSHOT,			/* snapshot buffer malformed, truncated or from another version */
	XT_ERR_SNAPSHOT_FIT,		/* snapshot does not fit this engine's configuration */
	XT_ERR_BUFFER				/* output buffer too small */
} xt_result;

/* ---- enumerations ----------------------------------------------------------------------------- */

typedef enum xt_side
{
	XT_SIDE_BUY = 0,
	XT_SIDE_SELL = 1
} xt_side;

typedef enum xt_order_type
{
	XT_TYPE_LIMIT = 0,
	XT_TYPE_MARKET = 1
} xt_order_type;

typedef enum xt_tif
{
	XT_TIF_GTC = 0,				/* rests until filled or cancelled */
	XT_TIF_IOC = 1,				/* fills what it can now, the rest expires */
	XT_TIF_FOK = 2				/* fills completely now, or expires without any trade */
} xt_tif;

/* Self-trade prevention: what happens when an incoming order would trade with a resting order
 * of the same account. */
typedef enum xt_stp
{
	XT_STP_CANCEL_RESTING = 0,	/* cancel the resting order, keep matching (the default) */
	XT_STP_CANCEL_INCOMING = 1, /* cancel the incoming order's remainder, stop matching */
	XT_STP_CANCEL_BOTH = 2		/* cancel both, stop matching */
} xt_stp;

/* Order status, as the flow document derives it from remaining vs quantity, plus final states. */
typedef enum xt_status
{
	XT_STATUS_PENDING = 0,		/* remaining == quantity */
	XT_STATUS_PARTIALLY_FILLED = 1, /* 0 < remaining < quantity */
	XT_STATUS_FILLED = 2,		/* remaining == 0 */
	XT_STATUS_CANCELLED = 3,
	XT_STATUS_EXPIRED = 4,
	XT_STATUS_REJECTED = 5
} xt_status;

/* Why a command was rejected or an order cancelled/expired. Stable numbers: they are stored in the
 * journal and shown to users. */
typedef enum xt_reason
{
	XT_REASON_NONE = 0,
	/* rejections of a command */
	XT_REJ_UNKNOWN_SYMBOL = 1,	/* symbol id not registered */
	XT_REJ_INVALID_SIDE = 2,
	XT_REJ_INVALID_TYPE = 3,
	XT_REJ_INVALID_TIF = 4,
	XT_REJ_INVALID_PRICE = 5,	/* limit price outside [1, XT_VALUE_MAX] or market price != 0 */
	XT_REJ_INVALID_QUANTITY = 6,	/* outside [1, XT_VALUE_MAX] */
	XT_REJ_QUANTITY_BELOW_MIN = 7,	/* below the symbol's min_qty */
	XT_REJ_QUANTITY_ABOVE_MAX = 8,	/* above the symbol's max_qty */
	XT_REJ_INVALID_STP = 9,
	XT_REJ_INVALID_CLORDID = 10,	/* client order id longer than XT_CLORDID_MAX */
	XT_REJ_POST_ONLY_INVALID = 11,	/* post-only on a market order or with IOC/FOK */
	XT_REJ_POST_ONLY_WOULD_CROSS = 12,	/* post-only limit would trade on arrival */
	XT_REJ_ORDER_CAPACITY = 13,		/* the resting-order pool is full */
	XT_REJ_LEVEL_CAPACITY = 14,		/* the side has XT max levels and this price is new */
	XT_REJ_LEVEL_OVERFLOW = 15,		/* the level's total quantity would pass INT64_MAX */
	XT_REJ_UNKNOWN_ORDER = 16,	/* cancel/amend of an id that is not resting (or not yours) */
	XT_REJ_AMEND_NOTHING = 17,	/* amend with neither a new price nor a new quantity */
	XT_REJ_AMEND_QUANTITY = 18, /* new quantity <= quantity already filled */
	XT_REJ_SYMBOL_EXISTS = 19,	/* add-symbol of an id in use */
	XT_REJ_SYMBOL_CAPACITY = 20,	/* add-symbol id >= max_symbols */
	XT_REJ_INVALID_COMMAND = 21,	/* unknown command type */
	/* reasons of a cancel or an expiry */
	XT_CXL_USER = 32,			/* cancelled by a cancel command */
	XT_CXL_SELF_TRADE = 33,		/* cancelled by self-trade prevention */
	XT_EXP_IOC = 40,			/* IOC or market remainder */
	XT_EXP_FOK = 41				/* FOK could not fill completely */
} xt_reason;

/* ---- configuration ------------------------------------------------------------------------ */

typedef struct xt_engine_config
{
	uint32_t	max_symbols;	/* symbol ids are 0 .. max_symbols - 1 */
	uint32_t	max_orders;		/* resting orders across all symbols */
	uint32_t	max_levels;		/* price levels per side per symbol */
	uint32_t	max_clordids;	/* dedup window: the last N accepted client order ids */
} xt_engine_config;

/* ---- commands ---------------------------------------------------------------------------------- */

typedef enum xt_command_type
{
	XT_CMD_NEW_ORDER = 1,
	XT_CMD_CANCEL = 2,
	XT_CMD_AMEND = 3,
	XT_CMD_ADD_SYMBOL = 4
} xt_command_type;

/*
 * One sequenced command. seq is assigned by the sequencer and must be exactly last_seq + 1.
 * (seq 0 is never valid, so the sequence never wraps and no order id is 0.)
 * A new order's id IS its seq: order ids and sequence numbers share one space, so the order id
 * returned to a client is known as soon as the order is sequenced.
 */
typedef struct xt_command
{
	uint64_t	seq;
	uint8_t		type;			/* xt_command_type */
	uint8_t		side;			/* NEW: xt_side */
	uint8_t		order_type;		/* NEW: xt_order_type */
	uint8_t		tif;			/* NEW: xt_tif */
	uint8_t		stp;			/* NEW: xt_stp */
	uint8_t		post_only;		/* NEW: 0 or 1 */
	uint8_t		clordid_len;	/* NEW: 0 = none */
	uint8_t		pad;
	uint32_t	symbol;			/* NEW, ADD_SYMBOL */
	uint64_t	account;		/* NEW, CANCEL, AMEND (must own the order) */
	uint64_t	order_id;		/* CANCEL, AMEND: the target order */
	int64_t		price;			/* NEW limit, AMEND (0 = unchanged) */
	int64_t		quantity;		/* NEW; AMEND new total quantity (0 = unchanged);
								 * ADD_SYMBOL: min_qty (0 = 1) */
	int64_t		max_quantity;	/* ADD_SYMBOL: max_qty (0 = XT_VALUE_MAX) */
	char		clordid[XT_CLORDID_MAX];	/* NEW: not NUL-terminated */
} xt_command;

/* ---- events ---------------------------------------------------------------------------------- */

typedef enum xt_event_type
{
	XT_EV_ACCEPTED = 1,			/* a new order entered the engine */
	XT_EV_REJECTED = 2,			/* a command was refused; nothing changed */
	XT_EV_TRADE = 3,			/* taker and maker traded at the maker's price */
	XT_EV_CANCELLED = 4,		/* an order left the book (user or self-trade prevention) */
	XT_EV_AMENDED = 5,			/* an order's price and/or quantity changed */
	XT_EV_EXPIRED = 6,			/* an IOC/FOK/market remainder was dropped */
	XT_EV_LEVEL = 7,			/* a price level's total changed (market data) */
	XT_EV_DUPLICATE = 8,		/* a repeated client order id: the original order id, no action */
	XT_EV_SYMBOL_ADDED = 9		/* ADD_SYMBOL succeeded */
} xt_event_type;

/*
 * One event. Every field not listed for a type is zero, so events compare with memcmp.
 *
 *   ACCEPTED     order_id, symbol, side, order_type, tif, post_only, account, price, quantity,
 *                remaining (= quantity), status PENDING
 *   REJECTED     order_id (the new order's id = seq, or the cancel/amend target), symbol (NEW),
 *                account, reason, command (xt_command_type)
 *   TRADE        trade_id, symbol, side (the taker's), order_id (taker), maker_order_id, account
 *                (taker), maker_account, price (maker's), quantity, remaining (taker),
 *                maker_remaining, status (taker), maker_status
 *   CANCELLED    order_id, symbol, side, account, price, remaining (what was left), reason,
 *                status CANCELLED
 *   AMENDED      order_id, symbol, side, account, price (new), quantity (new total),
 *                remaining (new), status, priority_lost (1 if it went to the back of its level)
 *   EXPIRED      order_id, symbol, side, account, remaining (what was dropped), reason,
 *                status EXPIRED
 *   LEVEL        symbol, side, price, level_quantity (new total, 0 = level gone), level_orders
 *   DUPLICATE    order_id (the ORIGINAL order), symbol, account
 *   SYMBOL_ADDED symbol, quantity (min quantity), remaining (max quantity)
 *
 * seq is the seq of the command that caused the event.
 *
 * Clarifications (resolving gaps in the list above):
 *   - REJECTED of an ADD_SYMBOL or of an unknown command type: order_id 0, symbol 0 (only NEW
 *     carries its symbol); account is copied from the command for every command type; command
 *     is the command's type byte as given.
 *   - DUPLICATE: symbol and account are the command's. The dedup key is (account, the first
 *     clordid_len bytes of clordid), engine-wide across symbols.
 *   - CANCELLED price is the order's price: 0 for a market order cancelled by STP.
 *   - TRADE/AMENDED status uses the order's total quantity as amended.
 */
typedef struct xt_event
{
	uint64_t	seq;
	uint8_t		type;			/* xt_event_type */
	uint8_t		side;
	uint8_t		order_type;
	uint8_t		tif;
	uint8_t		status;			/* xt_status of order_id after this event */
	uint8_t		maker_status;
	uint8_t		reason;			/* xt_reason */
	uint8_t		command;		/* REJECTED: the xt_command_type refused */
	uint8_t		post_only;
	uint8_t		priority_lost;
	uint16_t	pad;
	uint32_t	symbol;
	uint32_t	level_orders;
	uint32_t	pad2;
	uint64_t	order_id;
	uint64_t	maker_order_id;
	uint64_t	trade_id;
	uint64_t	account;
	uint64_t	maker_account;
	int64_t		price;
	int64_t		quantity;
	int64_t		remaining;
	int64_t		maker_remaining;
	int64_t		level_quantity;
} xt_event;

/*
 * Event sink: called synchronously, in order, for every event of a command. The event is only
 * valid during the call. The sink must not call back into the engine.
 */
typedef void (*xt_event_fn) (void *ctx, const xt_event *ev);

/*
 * ORDER OF EVENTS (part of the determinism contract; the reference model in test/unit follows it)
 *
 * NEW_ORDER
 *   1. Validation, in this order: symbol, side, type, tif, stp, clordid length, price, quantity,
 *      min/max quantity, post-only validity. First failure -> one REJECTED, stop. (post_only
 *      other than 0 or 1 is POST_ONLY_INVALID.)
 *   2. Client order id (clordid_len > 0): if (account, clordid) is in the dedup window ->
 *      one DUPLICATE carrying the original order id, stop.
 *   3. Capacity, only for an order that could rest (LIMIT + GTC): pool full -> REJECTED
 *      ORDER_CAPACITY; its price level does not exist and the side already has max_levels ->
 *      REJECTED LEVEL_CAPACITY; adding its quantity to the existing level would pass INT64_MAX ->
 *      REJECTED LEVEL_OVERFLOW. Stop.
 *   4. Post-only: a limit that would trade with the best opposite price (buy price >= best ask,
 *      sell price <= best bid) -> REJECTED POST_ONLY_WOULD_CROSS, stop.
 *   5. ACCEPTED (the clordid enters the dedup window here).
 *   6. FOK: walk the matchable resting orders in priority order, summing the quantity of those of
 *      other accounts; an own-account order is skipped under CANCEL_RESTING and ends the walk
 *      under CANCEL_INCOMING / CANCEL_BOTH. Sum < quantity -> EXPIRED (reason EXP_FOK, remaining =
 *      quantity), stop: no trade, no cancel, no level change.
 *   7. Matching: while remaining > 0 and the best opposite level is matchable (market: any; buy
 *      limit: ask <= price; sell limit: bid >= price), take its orders in FIFO order:
 *        other account -> TRADE at the maker's price for min(remaining, maker remaining); a
 *          filled maker leaves the book;
 *        own account   -> CANCEL_RESTING: CANCELLED (maker, reason CXL_SELF_TRADE), continue;
 *                         CANCEL_INCOMING: stop matching, taker remainder cancelled in step 8;
 *                         CANCEL_BOTH: CANCELLED (maker), then as CANCEL_INCOMING.
 *      When the taker leaves a level (exhausted, or matching stops), and that level's total
 *      changed, one LEVEL event for it (level_quantity 0 if it is gone).
 *   8. Remainder: stopped by STP (INCOMING/BOTH) -> CANCELLED (taker, CXL_SELF_TRADE); else
 *      LIMIT+GTC -> it rests at the back of its level, then LEVEL for that level; else (IOC,
 *      MARKET) -> EXPIRED (reason EXP_IOC).
 *
 * CANCEL
 *   Order not resting, or resting for another account -> REJECTED UNKNOWN_ORDER. Else CANCELLED
 *   (reason CXL_USER), then LEVEL.
 *
 * AMEND (price 0 = unchanged, quantity 0 = unchanged; quantity is the new TOTAL quantity)
 *   1. Checks in this order, the first failure is one REJECTED: not resting / other account ->
 *      UNKNOWN_ORDER; price != 0 and outside [1, XT_VALUE_MAX] -> INVALID_PRICE; quantity != 0 and
 *      outside [1, XT_VALUE_MAX] -> INVALID_QUANTITY; quantity != 0 and outside the symbol's
 *      min/max -> QUANTITY_BELOW_MIN / ABOVE_MAX; quantity != 0 and <= already filled ->
 *      AMEND_QUANTITY; neither price nor quantity differs from the order's -> AMEND_NOTHING.
 *   2. New price: its level is new and the side is full -> LEVEL_CAPACITY; the target level's total
 *      would overflow -> LEVEL_OVERFLOW; the order is post-only and the new price would trade ->
 *      POST_ONLY_WOULD_CROSS. Any of these: REJECTED, order unchanged.
 *      (The side's level count includes the order's old level, as it is before the amend. Same
 *      price with a larger quantity: LEVEL_OVERFLOW if level total - old remaining + new
 *      remaining would pass INT64_MAX.)
 *   3. AMENDED. Priority is kept only when the price is unchanged and the quantity does not grow;
 *      otherwise the order moves to the back of the (new) level: priority_lost = 1.
 *   4. Price unchanged: LEVEL for its level. Price changed: LEVEL for the old level, then the
 *      order matches as a taker exactly as NEW_ORDER step 7 (its own STP mode), then step 8 for
 *      GTC (CANCELLED by STP, or rests + LEVEL).
 *
 * ADD_SYMBOL
 *   symbol >= max_symbols -> REJECTED SYMBOL_CAPACITY; in use AND its book holds a resting order
 *   -> SYMBOL_EXISTS; min/max invalid (min < 0, max < 0, min > max after defaults) ->
 *   INVALID_QUANTITY. Else SYMBOL_ADDED: a new symbol, or new limits for an id whose book is
 *   empty. (The SQL layer sequences ADD_SYMBOL inside the transaction that lists the symbol; if
 *   that transaction rolls back, the journal keeps the id registered with no listing and no
 *   orders, and the next listing must be able to take the id again.)
 *   (min or max above XT_VALUE_MAX is also INVALID_QUANTITY; SYMBOL_ADDED carries the values
 *   after defaults.)
 *
 * Trade ids count 1, 2, 3, ... across the whole engine.
 */

/* ---- the engine ----------------------------------------------------------------------------- */

typedef struct xt_engine xt_engine;	/* lives at the start of the caller's block */

/* Bytes the caller must provide for cfg, or 0 if cfg is out of bounds. */
size_t		xt_engine_size(const xt_engine_config *cfg);

/*
 * Build an empty engine in mem[0 .. size). mem must be 8-byte aligned. Returns XT_OK and sets
 * *out (== mem), or XT_ERR_CONFIG / XT_ERR_MEMORY.
 */
xt_result	xt_engine_init(void *mem, size_t size, const xt_engine_config *cfg, xt_engine **out);

/*
 * Apply one command. Events go to sink(ctx, ...) in the documented order. Returns XT_OK (the
 * command may still have been REJECTED: that is an event, not an error) or XT_ERR_SEQUENCE, in
 * which case nothing happened and no event was emitted.
 */
xt_result	xt_engine_apply(xt_engine *eng, const xt_command *cmd, xt_event_fn sink, void *ctx);

uint64_t	xt_engine_last_seq(const xt_engine *eng);
uint64_t	xt_engine_last_trade_id(const xt_engine *eng);

/* Start numbering after a known point (an empty engine recovering from a journal). */
void		xt_engine_set_last_seq(xt_engine *eng, uint64_t seq, uint64_t last_trade_id);

/* ---- queries (read-only) --------------------------------------------------------------- */

typedef struct xt_level_info
{
	int64_t		price;
	int64_t		quantity;		/* total remaining of the level's orders */
	uint32_t	orders;
} xt_level_info;

typedef struct xt_order_info
{
	uint64_t	order_id;
	uint64_t	account;
	uint64_t	priority;		/* seq that gave it its place in the queue (id, or the amend) */
	uint32_t	symbol;
	uint8_t		side;
	uint8_t		stp;
	uint8_t		post_only;
	uint8_t		status;			/* PENDING or PARTIALLY_FILLED: only resting orders exist */
	int64_t		price;
	int64_t		quantity;		/* total, as amended */
	int64_t		remaining;
} xt_order_info;

bool		xt_engine_has_symbol(const xt_engine *eng, uint32_t symbol);

/* Best price of a side: true and *price, or false if that side is empty / no such symbol. */
bool		xt_engine_best(const xt_engine *eng, uint32_t symbol, xt_side side, int64_t *price);

/* Up to max levels of a side, best first. Returns how many were written. */
uint32_t	xt_engine_depth(const xt_engine *eng, uint32_t symbol, xt_side side,
							xt_level_info *out, uint32_t max);

/* A resting order by id: true and *out, or false. */
bool		xt_engine_order(const xt_engine *eng, uint64_t order_id, xt_order_info *out);

/*
 * Visit every resting order of a symbol: buys best price first then sells best price first,
 * FIFO within a level. Stops early if fn returns false.
 */
typedef bool (*xt_order_fn) (void *ctx, const xt_order_info *o);
void		xt_engine_foreach_order(const xt_engine *eng, uint32_t symbol, xt_order_fn fn, void *ctx);

uint32_t	xt_engine_resting_orders(const xt_engine *eng);	/* across all symbols */

/*
 * Stable 64-bit hash of the whole state: last seq, last trade id, every symbol's limits and
 * book (levels in price order, orders in FIFO order with id, account, priority, price, quantity,
 * remaining, flags) and the dedup window in age order. Independent of memory layout, so a
 * restored engine hashes like the original.
 *
 * Exact definition (so independent implementations agree): FNV-1a 64 (offset basis
 * 0xcbf29ce484222325, prime 0x100000001b3) over a stream of uint64 words, each fed as its 8
 * little-endian bytes:
 *   last_seq, last_trade_id;
 *   for each registered symbol in increasing id: symbol, min_qty, max_qty, then for BUY then SELL:
 *     number of levels, then per level best first: price, total quantity, order count, then per
 *     order in FIFO order: order_id, account, priority, price, quantity, remaining,
 *     (side | stp << 8 | post_only << 16);
 *   the dedup window size (entries present), then per entry oldest first: account, original
 *   order id, clordid length, then the clordid bytes zero-padded to a multiple of 8, as words.
 *   (Each such word is the little-endian load of its 8 bytes, so the bytes are fed in order.)
 */
uint64_t	xt_engine_hash(const xt_engine *eng);

/*
 * Check every invariant (book not crossed; levels sorted; level totals and counts equal the sum
 * of their orders; id index and levels agree; pool accounting). Returns NULL if all hold, else
 * a static message naming the first broken one. O(state): for tests and debug builds. Builds
 * with -DXT_CHECK_INVARIANTS call it after every command and abort() on failure.
 */
const char *xt_engine_check(const xt_engine *eng);

/* ---- snapshots ------------------------------------------------------------------------------- */

/* Bytes needed to snapshot the engine as it is now. */
size_t		xt_engine_snapshot_size(const xt_engine *eng);

/* Write a self-describing, versioned, checksummed snapshot. *len = bytes written. */
xt_result	xt_engine_snapshot(const xt_engine *eng, void *buf, size_t cap, size_t *len);

/*
 * Replace eng's state (eng must be freshly initialised) with a snapshot. Fails with
 * XT_ERR_SNAPSHOT (malformed) or XT_ERR_SNAPSHOT_FIT (more symbols, orders, levels or dedup
 * entries than this engine holds); on failure eng is left empty.
 */
xt_result	xt_engine_restore(xt_engine *eng, const void *buf, size_t len);

/* ---- names, for logs, tests, SQL and JSON ------------------------------------------------ */

const char *xt_status_name(xt_status s);	/* "Pending", "PartiallyFilled", "Filled", ... */
const char *xt_reason_name(xt_reason r);	/* "UNKNOWN_SYMBOL", "SELF_TRADE", ... */
const char *xt_event_type_name(xt_event_type t);

/* Status of an order of quantity q with r remaining, by the flow document's rule. */
static inline xt_status
xt_status_of(int64_t quantity, int64_t remaining)
{
	return remaining == 0 ? XT_STATUS_FILLED
		: remaining < quantity ? XT_STATUS_PARTIALLY_FILLED
		: XT_STATUS_PENDING;
}

#ifdef __cplusplus
}
#endif

#endif							/* XT_ENGINE_H */
