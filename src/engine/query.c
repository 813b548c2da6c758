/*
 * query.c: read-only views of an engine: queries, the state hash, the invariant check, names.
 *
 * Owns: everything in engine.h that reads but never changes an engine. Callers in other processes
 * must hold the lock that serialises them against the owner thread (engine.h).
 */
#include "engine/engine.h"

#include "engine/book.h"
#include "engine/dedup.h"

static void
xt_fill_info(const xt_order *o, xt_order_info *out)
{
	out->order_id = o->id;
	out->account = o->account;
	out->priority = o->priority;
	out->symbol = o->symbol;
	out->side = o->side;
	out->stp = o->flags & XT_STP_MASK;
	out->post_only = (o->flags & XT_FLAG_POST_ONLY) ? 1 : 0;
	out->status = (uint8_t) xt_status_of(o->quantity, o->remaining);
	out->price = o->price;
	out->quantity = o->quantity;
	out->remaining = o->remaining;
}

bool
xt_engine_has_symbol(const xt_engine *eng, uint32_t symbol)
{
	return symbol < eng->cfg.max_symbols && xt_symbols(eng)[symbol].registered;
}

bool
xt_engine_best(const xt_engine *eng, uint32_t symbol, xt_side side, int64_t *price)
{
	uint32_t	n;

	if (!xt_engine_has_symbol(eng, symbol) || (side != XT_SIDE_BUY && side != XT_SIDE_SELL))
		return false;
	n = xt_symbols(eng)[symbol].nlevels[side];
	if (n == 0)
		return false;
	*price = xt_levels(eng)[xt_side_lvix(eng, symbol, side)[n - 1]].price;
	return true;
}

uint32_t
xt_engine_depth(const xt_engine *eng, uint32_t symbol, xt_side side, xt_level_info *out,
				uint32_t max)
{
	const uint32_t *lvix;
	uint32_t	n;
	uint32_t	k = 0;

	if (!xt_engine_has_symbol(eng, symbol) || (side != XT_SIDE_BUY && side != XT_SIDE_SELL))
		return 0;
	lvix = xt_side_lvix(eng, symbol, side);
	n = xt_symbols(eng)[symbol].nlevels[side];
	while (k < max && k < n)
	{
		const xt_level *lv = &xt_levels(eng)[lvix[n - 1 - k]];

		out[k].price = lv->price;
		out[k].quantity = lv->total;
		out[k].orders = lv->count;
		k++;
	}
	return k;
}

bool
xt_engine_order(const xt_engine *eng, uint64_t order_id, xt_order_info *out)
{
	uint32_t	oi = xt_id_find(eng, order_id);

	if (oi == XT_NIL)
		return false;
	xt_fill_info(&xt_orders(eng)[oi], out);
	return true;
}

void
xt_engine_foreach_order(const xt_engine *eng, uint32_t symbol, xt_order_fn fn, void *ctx)
{
	const xt_order *orders = xt_orders(eng);

	if (!xt_engine_has_symbol(eng, symbol))
		return;
	for (int side = XT_SIDE_BUY; side <= XT_SIDE_SELL; side++)
	{
		const uint32_t *lvix = xt_side_lvix(eng, symbol, side);

		for (uint32_t i = xt_symbols(eng)[symbol].nlevels[side]; i-- > 0;)
		{
			for (uint32_t oi = xt_levels(eng)[lvix[i]].head; oi != XT_NIL; oi = orders[oi].next)
			{
				xt_order_info info;

				xt_fill_info(&orders[oi], &info);
				if (!fn(ctx, &info))
					return;
			}
		}
	}
}

uint32_t
xt_engine_resting_orders(const xt_engine *eng)
{
	return eng->resting;
}

/* ---- hash ------------------------------------------------------------------------------------ */

#define XT_FNV_BASIS	UINT64_C(0xcbf29ce484222325)
#define XT_FNV_PRIME	UINT64_C(0x100000001b3)

/* FNV-1a of one word fed as its 8 little-endian bytes (the definition in engine.h). */
static inline uint64_t
xt_fnv_word(uint64_t h, uint64_t w)
{
	for (int i = 0; i < 8; i++)
	{
		h ^= (w >> (8 * i)) & 0xff;
		h *= XT_FNV_PRIME;
	}
	return h;
}

uint64_t
xt_engine_hash(const xt_engine *eng)
{
	const xt_order *orders = xt_orders(eng);
	uint64_t	h = XT_FNV_BASIS;

	h = xt_fnv_word(h, eng->last_seq);
	h = xt_fnv_word(h, eng->last_trade_id);
	for (uint32_t sym = 0; sym < eng->cfg.max_symbols; sym++)
	{
		const xt_symbol *s = &xt_symbols(eng)[sym];

		if (!s->registered)
			continue;
		h = xt_fnv_word(h, sym);
		h = xt_fnv_word(h, (uint64_t) s->min_qty);
		h = xt_fnv_word(h, (uint64_t) s->max_qty);
		for (int side = XT_SIDE_BUY; side <= XT_SIDE_SELL; side++)
		{
			const uint32_t *lvix = xt_side_lvix(eng, sym, side);

			h = xt_fnv_word(h, s->nlevels[side]);
			for (uint32_t i = s->nlevels[side]; i-- > 0;)
			{
				const xt_level *lv = &xt_levels(eng)[lvix[i]];

				h = xt_fnv_word(h, (uint64_t) lv->price);
				h = xt_fnv_word(h, (uint64_t) lv->total);
				h = xt_fnv_word(h, lv->count);
				for (uint32_t oi = lv->head; oi != XT_NIL; oi = orders[oi].next)
				{
					const xt_order *o = &orders[oi];

					h = xt_fnv_word(h, o->id);
					h = xt_fnv_word(h, o->account);
					h = xt_fnv_word(h, o->priority);
					h = xt_fnv_word(h, (uint64_t) o->price);
					h = xt_fnv_word(h, (uint64_t) o->quantity);
					h = xt_fnv_word(h, (uint64_t) o->remaining);
					h = xt_fnv_word(h, (uint64_t) o->side | (uint64_t) (o->flags & XT_STP_MASK) << 8 |
									(uint64_t) ((o->flags & XT_FLAG_POST_ONLY) ? 1 : 0) << 16);
				}
			}
		}
	}
	h = xt_fnv_word(h, eng->ring_count);
	for (uint32_t age = 0; age < eng->ring_count; age++)
	{
		const xt_clordid *c = xt_dedup_entry(eng, age);

		h = xt_fnv_word(h, c->account);
		h = xt_fnv_word(h, c->order_id);
		h = xt_fnv_word(h, c->len);
		/* bytes past len are zero in the ring, so whole words are the zero-padded id */
		for (uint32_t i = 0; i < c->len; i++)
		{
			h ^= (unsigned char) c->bytes[i];
			h *= XT_FNV_PRIME;
		}
		for (uint32_t i = c->len; i % 8 != 0; i++)
			h *= XT_FNV_PRIME;	/* a zero byte: h ^= 0 */
	}
	return h;
}

/* ---- invariants ---------------------------------------------------------------------------- */

/* One level's FIFO: links, membership, totals, priorities. NULL or a message. */
static const char *
xt_check_level(const xt_engine *eng, uint32_t sym, int side, uint32_t li, uint32_t *orders_seen)
{
	const xt_order *orders = xt_orders(eng);
	const xt_level *lv = &xt_levels(eng)[li];
	uint32_t	prev = XT_NIL;
	uint32_t	count = 0;
	int64_t		total = 0;
	uint64_t	last_priority = 0;

	if (lv->head == XT_NIL || lv->count == 0)
		return "level: empty level left in the book";
	for (uint32_t oi = lv->head; oi != XT_NIL; oi = orders[oi].next)
	{
		const xt_order *o = &orders[oi];

		if (oi >= eng->order_hwm)
			return "level: link to an order slot that was never allocated";
		if (++count > lv->count)
			return "level: more orders in the list than its count (or a cycle)";
		if (o->prev != prev)
			return "level: broken prev link";
		if (o->level != li || o->symbol != sym || o->side != side || o->price != lv->price)
			return "order: level, symbol, side or price disagrees with its level";
		if (o->remaining < 1 || o->remaining > o->quantity || o->quantity > XT_VALUE_MAX)
			return "order: remaining outside [1, quantity] or quantity too large";
		if ((o->flags & XT_STP_MASK) > XT_STP_CANCEL_BOTH || (o->flags & ~0x07) != 0)
			return "order: bad flags";
		if (o->id == 0 || o->priority < o->id || o->priority > eng->last_seq)
			return "order: id or priority out of order with the sequence";
		if (o->priority <= last_priority)
			return "level: priorities do not increase along the FIFO";
		if (xt_id_find(eng, o->id) != oi)
			return "index: order id does not lead to its slot";
		if (total > INT64_MAX - o->remaining)
			return "level: total overflows";
		total += o->remaining;
		last_priority = o->priority;
		prev = oi;
	}
	if (prev != lv->tail)
		return "level: tail is not the last order";
	if (count != lv->count)
		return "level: count is not the number of its orders";
	if (total != lv->total)
		return "level: total is not the sum of its orders' remaining";
	*orders_seen += count;
	return NULL;
}

const char *
xt_engine_check(const xt_engine *eng)
{
	const xt_id_slot *ids = xt_ids(eng);
	uint32_t	orders_seen = 0;
	uint32_t	levels_seen = 0;
	uint32_t	symbols_seen = 0;
	uint32_t	used = 0;
	uint32_t	nfree = 0;
	const char *msg;

	if (eng->resting > eng->cfg.max_orders || eng->order_hwm > eng->cfg.max_orders ||
		eng->nlevels > eng->level_cap || eng->level_hwm > eng->level_cap)
		return "pool: counters beyond capacity";
	for (uint32_t sym = 0; sym < eng->cfg.max_symbols; sym++)
	{
		const xt_symbol *s = &xt_symbols(eng)[sym];

		if (!s->registered)
		{
			if (s->nlevels[XT_SIDE_BUY] != 0 || s->nlevels[XT_SIDE_SELL] != 0)
				return "symbol: levels on an unregistered symbol";
			continue;
		}
		symbols_seen++;
		if (s->min_qty < 1 || s->min_qty > s->max_qty || s->max_qty > XT_VALUE_MAX)
			return "symbol: bad min/max quantity";
		for (int side = XT_SIDE_BUY; side <= XT_SIDE_SELL; side++)
		{
			const int64_t *keys = xt_side_keys(eng, sym, side);
			const uint32_t *lvix = xt_side_lvix(eng, sym, side);
			uint32_t	n = s->nlevels[side];

			if (n > eng->cfg.max_levels)
				return "side: more levels than max_levels";
			for (uint32_t i = 0; i < n; i++)
			{
				const xt_level *lv;

				if (lvix[i] >= eng->level_hwm)
					return "side: link to a level slot that was never allocated";
				lv = &xt_levels(eng)[lvix[i]];
				if (lv->price < 1 || lv->price > XT_VALUE_MAX || keys[i] != xt_key(side, lv->price))
					return "side: sort key disagrees with the level price";
				if (i > 0 && keys[i - 1] >= keys[i])
					return "side: levels not strictly sorted";
				msg = xt_check_level(eng, sym, side, lvix[i], &orders_seen);
				if (msg != NULL)
					return msg;
				if (orders_seen > eng->resting)
					return "pool: more orders in books than resting (a level listed twice?)";
			}
			levels_seen += n;
		}
		if (s->nlevels[XT_SIDE_BUY] > 0 && s->nlevels[XT_SIDE_SELL] > 0 &&
			xt_side_keys(eng, sym, XT_SIDE_BUY)[s->nlevels[XT_SIDE_BUY] - 1] >=
			-xt_side_keys(eng, sym, XT_SIDE_SELL)[s->nlevels[XT_SIDE_SELL] - 1])
			return "book: crossed (best bid >= best ask)";
	}
	if (symbols_seen != eng->nsymbols)
		return "symbol: registered count is wrong";
	if (orders_seen != eng->resting)
		return "pool: resting count is not the number of orders in books";
	if (levels_seen != eng->nlevels)
		return "pool: level count is not the number of levels in books";

	for (uint32_t i = 0; i <= eng->id_mask; i++)
	{
		if (ids[i].order == 0)
			continue;
		if (ids[i].order > eng->order_hwm ||
			(uint32_t) xt_orders(eng)[ids[i].order - 1].id != ids[i].id_lo)
			return "index: entry for a slot that does not hold that order";
		used++;
	}
	if (used != eng->resting)
		return "index: entries that are not resting orders";

	for (uint32_t oi = eng->order_free; oi != XT_NIL; oi = xt_orders(eng)[oi].next)
	{
		if (oi >= eng->order_hwm || ++nfree > eng->order_hwm)
			return "pool: order free list leaves the pool or cycles";
	}
	if (nfree + eng->resting != eng->order_hwm)
		return "pool: order slots lost (free + resting != allocated)";
	nfree = 0;
	for (uint32_t li = eng->level_free; li != XT_NIL; li = xt_levels(eng)[li].head)
	{
		if (li >= eng->level_hwm || ++nfree > eng->level_hwm)
			return "pool: level free list leaves the pool or cycles";
	}
	if (nfree + eng->nlevels != eng->level_hwm)
		return "pool: level slots lost (free + used != allocated)";

	return xt_dedup_check(eng);
}

/* ---- names ------------------------------------------------------------------------------------- */

const char *
xt_status_name(xt_status s)
{
	switch (s)
	{
		case XT_STATUS_PENDING:
			return "Pending";
		case XT_STATUS_PARTIALLY_FILLED:
			return "PartiallyFilled";
		case XT_STATUS_FILLED:
			return "Filled";
		case XT_STATUS_CANCELLED:
			return "Cancelled";
		case XT_STATUS_EXPIRED:
			return "Expired";
		case XT_STATUS_REJECTED:
			return "Rejected";
	}
	return "Unknown";
}

/* The enum name without its XT_REJ_ / XT_CXL_ / XT_EXP_ prefix. */
const char *
xt_reason_name(xt_reason r)
{
	switch (r)
	{
		case XT_REASON_NONE:
			return "NONE";
		case XT_REJ_UNKNOWN_SYMBOL:
			return "UNKNOWN_SYMBOL";
		case XT_REJ_INVALID_SIDE:
			return "INVALID_SIDE";
		case XT_REJ_INVALID_TYPE:
			return "INVALID_TYPE";
		case XT_REJ_INVALID_TIF:
			return "INVALID_TIF";
		case XT_REJ_INVALID_PRICE:
			return "INVALID_PRICE";
		case XT_REJ_INVALID_QUANTITY:
			return "INVALID_QUANTITY";
		case XT_REJ_QUANTITY_BELOW_MIN:
			return "QUANTITY_BELOW_MIN";
		case XT_REJ_QUANTITY_ABOVE_MAX:
			return "QUANTITY_ABOVE_MAX";
		case XT_REJ_INVALID_STP:
			return "INVALID_STP";
		case XT_REJ_INVALID_CLORDID:
			return "INVALID_CLORDID";
		case XT_REJ_POST_ONLY_INVALID:
			return "POST_ONLY_INVALID";
		case XT_REJ_POST_ONLY_WOULD_CROSS:
			return "POST_ONLY_WOULD_CROSS";
		case XT_REJ_ORDER_CAPACITY:
			return "ORDER_CAPACITY";
		case XT_REJ_LEVEL_CAPACITY:
			return "LEVEL_CAPACITY";
		case XT_REJ_LEVEL_OVERFLOW:
			return "LEVEL_OVERFLOW";
		case XT_REJ_UNKNOWN_ORDER:
			return "UNKNOWN_ORDER";
		case XT_REJ_AMEND_NOTHING:
			return "AMEND_NOTHING";
		case XT_REJ_AMEND_QUANTITY:
			return "AMEND_QUANTITY";
		case XT_REJ_SYMBOL_EXISTS:
			return "SYMBOL_EXISTS";
		case XT_REJ_SYMBOL_CAPACITY:
			return "SYMBOL_CAPACITY";
		case XT_REJ_INVALID_COMMAND:
			return "INVALID_COMMAND";
		case XT_CXL_USER:
			return "USER";
		case XT_CXL_SELF_TRADE:
			return "SELF_TRADE";
		case XT_EXP_IOC:
			return "IOC";
		case XT_EXP_FOK:
			return "FOK";
	}
	return "UNKNOWN";
}

const char *
xt_event_type_name(xt_event_type t)
{
	switch (t)
	{
		case XT_EV_ACCEPTED:
			return "Accepted";
		case XT_EV_REJECTED:
			return "Rejected";
		case XT_EV_TRADE:
			return "Trade";
		case XT_EV_CANCELLED:
			return "Cancelled";
		case XT_EV_AMENDED:
			return "Amended";
		case XT_EV_EXPIRED:
			return "Expired";
		case XT_EV_LEVEL:
			return "Level";
		case XT_EV_DUPLICATE:
			return "Duplicate";
		case XT_EV_SYMBOL_ADDED:
			return "SymbolAdded";
	}
	return "Unknown";
}
