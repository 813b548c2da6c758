/*
 * engine.c: applying commands: validation, price-time matching and the events they produce.
 *
 * Owns: xt_engine_size, xt_engine_init, xt_engine_apply and the sequence counters, i.e. the rules
 * of "ORDER OF EVENTS" in engine.h. The data-structure primitives are in book.h, the dedup window
 * in dedup.c; queries, the state hash and the invariant check in query.c; snapshots in snapshot.c.
 *
 * Called only by the engine's owner thread. Every state change of a command happens before or
 * between its events; since the sink may not call back into the engine, the order in which the
 * book is updated and events are emitted within one command is not observable.
 */
#include "engine/engine.h"

#include "engine/book.h"
#include "engine/dedup.h"

#ifdef XT_CHECK_INVARIANTS
#include <stdio.h>
#include <stdlib.h>
#endif

/* The command being applied and where its events go. */
typedef struct xt_run
{
	xt_engine  *e;
	uint64_t	seq;
	xt_event_fn sink;
	void	   *ctx;
} xt_run;

/* An order while it takes liquidity: a new order, or a resting order whose price was amended. */
typedef struct xt_taker
{
	uint64_t	id;
	uint64_t	account;
	int64_t		price;			/* 0 for a market order */
	int64_t		quantity;
	int64_t		remaining;
	int64_t		limit;			/* least opposite-side sort key it may trade with */
	uint32_t	symbol;
	uint8_t		side;
	uint8_t		stp;
	bool		stopped;		/* self-trade prevention ended its matching */
} xt_taker;

/* ---- events -------------------------------------------------------------------------------- */

/* Copying a zero event compiles to a few vector stores; memset() became "rep stos", far slower. */
static const xt_event xt_no_event;

static inline void
xt_ev_start(const xt_run *r, xt_event *ev, xt_event_type type)
{
	*ev = xt_no_event;
	ev->seq = r->seq;
	ev->type = (uint8_t) type;
}

static void
xt_emit_reject(const xt_run *r, const xt_command *c, xt_reason reason)
{
	xt_event	ev;

	xt_ev_start(r, &ev, XT_EV_REJECTED);
	if (c->type == XT_CMD_NEW_ORDER)
	{
		ev.order_id = c->seq;
		ev.symbol = c->symbol;
	}
	else if (c->type == XT_CMD_CANCEL || c->type == XT_CMD_AMEND)
		ev.order_id = c->order_id;
	ev.account = c->account;
	ev.reason = (uint8_t) reason;
	ev.command = c->type;
	r->sink(r->ctx, &ev);
}

/* CANCELLED (with the order's price) or EXPIRED (without) for an order leaving the engine. */
static void
xt_emit_gone(const xt_run *r, xt_event_type type, uint64_t id, uint32_t symbol, int side,
			 uint64_t account, int64_t price, int64_t remaining, xt_reason reason)
{
	xt_event	ev;

	xt_ev_start(r, &ev, type);
	ev.order_id = id;
	ev.symbol = symbol;
	ev.side = (uint8_t) side;
	ev.account = account;
	ev.remaining = remaining;
	ev.reason = (uint8_t) reason;
	if (type == XT_EV_CANCELLED)
	{
		ev.price = price;
		ev.status = XT_STATUS_CANCELLED;
	}
	else
		ev.status = XT_STATUS_EXPIRED;
	r->sink(r->ctx, &ev);
}

static void
xt_emit_level(const xt_run *r, uint32_t symbol, int side, int64_t price, int64_t total,
			  uint32_t orders)
{
	xt_event	ev;

	xt_ev_start(r, &ev, XT_EV_LEVEL);
	ev.symbol = symbol;
	ev.side = (uint8_t) side;
	ev.price = price;
	ev.level_quantity = total;
	ev.level_orders = orders;
	r->sink(r->ctx, &ev);
}

static void
xt_emit_trade(const xt_run *r, const xt_taker *t, const xt_order *m, int64_t qty)
{
	xt_event	ev;

	xt_ev_start(r, &ev, XT_EV_TRADE);
	ev.trade_id = ++r->e->last_trade_id;
	ev.symbol = t->symbol;
	ev.side = t->side;
	ev.order_id = t->id;
	ev.maker_order_id = m->id;
	ev.account = t->account;
	ev.maker_account = m->account;
	ev.price = m->price;
	ev.quantity = qty;
	ev.remaining = t->remaining;
	ev.maker_remaining = m->remaining;
	ev.status = (uint8_t) xt_status_of(t->quantity, t->remaining);
	ev.maker_status = (uint8_t) xt_status_of(m->quantity, m->remaining);
	r->sink(r->ctx, &ev);
}

static void
xt_emit_amended(const xt_run *r, const xt_order *o, bool priority_lost)
{
	xt_event	ev;

	xt_ev_start(r, &ev, XT_EV_AMENDED);
	ev.order_id = o->id;
	ev.symbol = o->symbol;
	ev.side = o->side;
	ev.account = o->account;
	ev.price = o->price;
	ev.quantity = o->quantity;
	ev.remaining = o->remaining;
	ev.status = (uint8_t) xt_status_of(o->quantity, o->remaining);
	ev.priority_lost = priority_lost;
	r->sink(r->ctx, &ev);
}

/* ---- matching ---------------------------------------------------------------------------- */

/* True if the opposite side's best price would trade with limit key lim (see xt_taker.limit). */
static inline bool
xt_crosses(const xt_engine *e, uint32_t symbol, int opp, int64_t lim)
{
	uint32_t	n = xt_symbols(e)[symbol].nlevels[opp];

	return n > 0 && xt_side_keys(e, symbol, opp)[n - 1] >= lim;
}

/*
 * FOK pre-check (step 6): can the taker fill completely from other accounts' orders before self-
 * trade prevention would stop it? Walks only as far as needed.
 */
static bool
xt_fok_fillable(const xt_engine *e, const xt_taker *t)
{
	int			opp = t->side ^ 1;
	const int64_t *keys = xt_side_keys(e, t->symbol, opp);
	const uint32_t *lvix = xt_side_lvix(e, t->symbol, opp);
	const xt_order *orders = xt_orders(e);
	int64_t		need = t->quantity;

	for (uint32_t i = xt_symbols(e)[t->symbol].nlevels[opp]; i-- > 0 && keys[i] >= t->limit;)
	{
		for (uint32_t oi = xt_levels(e)[lvix[i]].head; oi != XT_NIL; oi = orders[oi].next)
		{
			const xt_order *m = &orders[oi];

			if (m->account == t->account)
			{
				if (t->stp == XT_STP_CANCEL_RESTING)
					continue;
				return false;
			}
			if (m->remaining >= need)
				return true;
			need -= m->remaining;
		}
	}
	return false;
}

/*
 * Step 7: trade the taker against the opposite side, best level first, FIFO within a level,
 * until it is exhausted, the next level is out of its limit, or self-trade prevention stops it.
 * One LEVEL event per level whose total changed, when the taker leaves it.
 */
static void
xt_match(const xt_run *r, xt_taker *t)
{
	xt_engine  *e = r->e;
	int			opp = t->side ^ 1;
	xt_symbol  *s = &xt_symbols(e)[t->symbol];
	const int64_t *keys = xt_side_keys(e, t->symbol, opp);
	const uint32_t *lvix = xt_side_lvix(e, t->symbol, opp);
	xt_order   *orders = xt_orders(e);

	while (t->remaining > 0 && s->nlevels[opp] > 0)
	{
		uint32_t	top = s->nlevels[opp] - 1;
		xt_level   *lv;
		bool		changed = false;

		if (keys[top] < t->limit)
			break;
		lv = &xt_levels(e)[lvix[top]];
		/* every maker it meets is filled or cancelled, except the last: always the head */
		while (lv->head != XT_NIL && t->remaining > 0)
		{
			uint32_t	oi = lv->head;
			xt_order   *m = &orders[oi];
			int64_t		qty;

			if (m->account == t->account)
			{
				if (t->stp == XT_STP_CANCEL_INCOMING)
				{
					t->stopped = true;
					break;
				}
				xt_emit_gone(r, XT_EV_CANCELLED, m->id, m->symbol, m->side, m->account,
							 m->price, m->remaining, XT_CXL_SELF_TRADE);
				xt_level_unlink(e, oi);
				xt_order_release(e, oi);
				changed = true;
				if (t->stp == XT_STP_CANCEL_BOTH)
				{
					t->stopped = true;
					break;
				}
				continue;
			}
			qty = t->remaining < m->remaining ? t->remaining : m->remaining;
			t->remaining -= qty;
			m->remaining -= qty;
			lv->total -= qty;
			changed = true;
			xt_emit_trade(r, t, m, qty);
			if (m->remaining == 0)
			{
				xt_level_unlink(e, oi);
				xt_order_release(e, oi);
			}
		}
		if (changed)
		{
			int64_t		price = lv->price;

			if (lv->count == 0)
			{
				xt_level_destroy(e, t->symbol, opp, top);
				xt_emit_level(r, t->symbol, opp, price, 0, 0);
			}
			else
				xt_emit_level(r, t->symbol, opp, price, lv->total, lv->count);
		}
		if (t->stopped)
			break;
	}
}

/*
 * Put order oi (fields set, not in any level) at the back of its price level: the existing level
 * at position pos if found, else a new one created there. Then the LEVEL event.
 */
static void
xt_rest(const xt_run *r, uint32_t oi, uint32_t pos, bool found)
{
	xt_engine  *e = r->e;
	xt_order   *o = &xt_orders(e)[oi];
	uint32_t	li;
	xt_level   *lv;

	li = found ? xt_side_lvix(e, o->symbol, o->side)[pos]
		: xt_level_create(e, o->symbol, o->side, pos, o->price);
	xt_level_push(e, li, oi);
	lv = &xt_levels(e)[li];
	xt_emit_level(r, o->symbol, o->side, o->price, lv->total, lv->count);
}

/* ---- commands ------------------------------------------------------------------------------- */

/* Step 1 of NEW_ORDER: the first failing check, or XT_REASON_NONE. */
static xt_reason
xt_validate_new(const xt_engine *e, const xt_command *c)
{
	const xt_symbol *s;

	if (c->symbol >= e->cfg.max_symbols || !xt_symbols(e)[c->symbol].registered)
		return XT_REJ_UNKNOWN_SYMBOL;
	s = &xt_symbols(e)[c->symbol];
	if (c->side > XT_SIDE_SELL)
		return XT_REJ_INVALID_SIDE;
	if (c->order_type > XT_TYPE_MARKET)
		return XT_REJ_INVALID_TYPE;
	if (c->tif > XT_TIF_FOK)
		return XT_REJ_INVALID_TIF;
	if (c->stp > XT_STP_CANCEL_BOTH)
		return XT_REJ_INVALID_STP;
	if (c->clordid_len > XT_CLORDID_MAX)
		return XT_REJ_INVALID_CLORDID;
	if (c->order_type == XT_TYPE_LIMIT ? c->price < 1 || c->price > XT_VALUE_MAX : c->price != 0)
		return XT_REJ_INVALID_PRICE;
	if (c->quantity < 1 || c->quantity > XT_VALUE_MAX)
		return XT_REJ_INVALID_QUANTITY;
	if (c->quantity < s->min_qty)
		return XT_REJ_QUANTITY_BELOW_MIN;
	if (c->quantity > s->max_qty)
		return XT_REJ_QUANTITY_ABOVE_MAX;
	if (c->post_only > 1 ||
		(c->post_only && (c->order_type == XT_TYPE_MARKET || c->tif != XT_TIF_GTC)))
		return XT_REJ_POST_ONLY_INVALID;
	return XT_REASON_NONE;
}

static void
xt_new_order(const xt_run *r, const xt_command *c)
{
	xt_engine  *e = r->e;
	xt_reason	reason = xt_validate_new(e, c);
	bool		dedup = c->clordid_len > 0 && e->cfg.max_clordids > 0;
	bool		rests = c->order_type == XT_TYPE_LIMIT && c->tif == XT_TIF_GTC;
	uint32_t	pos = 0;
	bool		found = false;
	xt_taker	t;
	xt_event	ev;

	if (reason != XT_REASON_NONE)
	{
		xt_emit_reject(r, c, reason);
		return;
	}
	if (dedup)
	{
		uint64_t	original;

		if (xt_dedup_find(e, c->account, c->clordid, c->clordid_len, &original))
		{
			xt_ev_start(r, &ev, XT_EV_DUPLICATE);
			ev.order_id = original;
			ev.symbol = c->symbol;
			ev.account = c->account;
			r->sink(r->ctx, &ev);
			return;
		}
	}
	if (rests)
	{
		uint32_t	n = xt_symbols(e)[c->symbol].nlevels[c->side];

		if (e->resting == e->cfg.max_orders)
			reason = XT_REJ_ORDER_CAPACITY;
		else
		{
			found = xt_side_search(xt_side_keys(e, c->symbol, c->side), n,
								   xt_key(c->side, c->price), &pos);
			if (!found && n == e->cfg.max_levels)
				reason = XT_REJ_LEVEL_CAPACITY;
			else if (found &&
					 xt_levels(e)[xt_side_lvix(e, c->symbol, c->side)[pos]].total >
					 INT64_MAX - c->quantity)
				reason = XT_REJ_LEVEL_OVERFLOW;
		}
		if (reason != XT_REASON_NONE)
		{
			xt_emit_reject(r, c, reason);
			return;
		}
	}

	t.id = c->seq;
	t.account = c->account;
	t.price = c->price;
	t.quantity = c->quantity;
	t.remaining = c->quantity;
	t.limit = c->order_type == XT_TYPE_MARKET ? INT64_MIN : xt_key(c->side ^ 1, c->price);
	t.symbol = c->symbol;
	t.side = c->side;
	t.stp = c->stp;
	t.stopped = false;

	if (c->post_only && xt_crosses(e, c->symbol, c->side ^ 1, t.limit))
	{
		xt_emit_reject(r, c, XT_REJ_POST_ONLY_WOULD_CROSS);
		return;
	}

	xt_ev_start(r, &ev, XT_EV_ACCEPTED);
	ev.order_id = c->seq;
	ev.symbol = c->symbol;
	ev.side = c->side;
	ev.order_type = c->order_type;
	ev.tif = c->tif;
	ev.post_only = c->post_only;
	ev.account = c->account;
	ev.price = c->price;
	ev.quantity = c->quantity;
	ev.remaining = c->quantity;
	ev.status = XT_STATUS_PENDING;
	r->sink(r->ctx, &ev);
	if (dedup)
		xt_dedup_add(e, c->account, c->clordid, c->clordid_len, c->seq);

	if (c->tif == XT_TIF_FOK && !xt_fok_fillable(e, &t))
	{
		xt_emit_gone(r, XT_EV_EXPIRED, t.id, t.symbol, t.side, t.account, 0, t.quantity,
					 XT_EXP_FOK);
		return;
	}
	xt_match(r, &t);
	if (t.stopped)
		xt_emit_gone(r, XT_EV_CANCELLED, t.id, t.symbol, t.side, t.account, t.price,
					 t.remaining, XT_CXL_SELF_TRADE);
	else if (t.remaining > 0 && rests)
	{
		/* matching touched only the other side, so pos and found still hold */
		uint32_t	oi = xt_order_alloc(e);
		xt_order   *o = &xt_orders(e)[oi];

		o->id = t.id;
		o->account = t.account;
		o->priority = t.id;
		o->price = t.price;
		o->quantity = t.quantity;
		o->remaining = t.remaining;
		o->symbol = (uint16_t) t.symbol;
		o->side = t.side;
		o->flags = (uint8_t) (t.stp | (c->post_only ? XT_FLAG_POST_ONLY : 0));
		xt_id_insert(e, o->id, oi);
		xt_rest(r, oi, pos, found);
	}
	else if (t.remaining > 0)
		xt_emit_gone(r, XT_EV_EXPIRED, t.id, t.symbol, t.side, t.account, 0, t.remaining,
					 XT_EXP_IOC);
}

static void
xt_cancel(const xt_run *r, const xt_command *c)
{
	xt_engine  *e = r->e;
	uint32_t	oi = xt_id_find(e, c->order_id);
	xt_order   *o;
	xt_level   *lv;
	bool		gone;

	if (oi == XT_NIL || xt_orders(e)[oi].account != c->account)
	{
		xt_emit_reject(r, c, XT_REJ_UNKNOWN_ORDER);
		return;
	}
	o = &xt_orders(e)[oi];
	xt_emit_gone(r, XT_EV_CANCELLED, o->id, o->symbol, o->side, o->account, o->price,
				 o->remaining, XT_CXL_USER);
	lv = &xt_levels(e)[o->level];
	gone = xt_book_remove(e, oi) != XT_NIL;
	xt_emit_level(r, o->symbol, o->side, o->price, gone ? 0 : lv->total, gone ? 0 : lv->count);
	xt_order_release(e, oi);
}

/* AMEND at an unchanged price: the order stays in its level, at the back if it grew. */
static void
xt_amend_in_place(const xt_run *r, const xt_command *c, uint32_t oi, int64_t qty, int64_t rem)
{
	xt_engine  *e = r->e;
	xt_order   *o = &xt_orders(e)[oi];
	xt_level   *lv = &xt_levels(e)[o->level];
	int64_t		delta = rem - o->remaining;
	bool		grows = qty > o->quantity;

	if (delta > 0 && lv->total > INT64_MAX - delta)
	{
		xt_emit_reject(r, c, XT_REJ_LEVEL_OVERFLOW);
		return;
	}
	if (grows)
	{
		uint32_t	li = o->level;

		xt_level_unlink(e, oi);
		o->quantity = qty;
		o->remaining = rem;
		o->priority = r->seq;
		xt_level_push(e, li, oi);
	}
	else
	{
		lv->total += delta;
		o->quantity = qty;
		o->remaining = rem;
	}
	xt_emit_amended(r, o, grows);
	xt_emit_level(r, o->symbol, o->side, o->price, lv->total, lv->count);
}

/* AMEND to a new price: leave the old level, match as a taker, rest at the back of the new one. */
static void
xt_amend_move(const xt_run *r, const xt_command *c, uint32_t oi, int64_t price, int64_t qty,
			  int64_t rem)
{
	xt_engine  *e = r->e;
	xt_order   *o = &xt_orders(e)[oi];
	int			side = o->side;
	uint32_t	n = xt_symbols(e)[o->symbol].nlevels[side];
	xt_level   *old = &xt_levels(e)[o->level];
	int64_t		old_price = o->price;
	uint32_t	pos;
	uint32_t	removed;
	bool		found;
	xt_taker	t;

	found = xt_side_search(xt_side_keys(e, o->symbol, side), n, xt_key(side, price), &pos);
	if (!found && n == e->cfg.max_levels)
	{
		xt_emit_reject(r, c, XT_REJ_LEVEL_CAPACITY);
		return;
	}
	if (found && xt_levels(e)[xt_side_lvix(e, o->symbol, side)[pos]].total > INT64_MAX - rem)
	{
		xt_emit_reject(r, c, XT_REJ_LEVEL_OVERFLOW);
		return;
	}
	t.limit = xt_key(side ^ 1, price);
	if ((o->flags & XT_FLAG_POST_ONLY) && xt_crosses(e, o->symbol, side ^ 1, t.limit))
	{
		xt_emit_reject(r, c, XT_REJ_POST_ONLY_WOULD_CROSS);
		return;
	}

	removed = xt_book_remove(e, oi);
	if (removed != XT_NIL && removed < pos)
		pos--;
	o->price = price;
	o->quantity = qty;
	o->remaining = rem;
	o->priority = r->seq;
	xt_emit_amended(r, o, true);
	xt_emit_level(r, o->symbol, side, old_price, removed != XT_NIL ? 0 : old->total,
				  removed != XT_NIL ? 0 : old->count);

	t.id = o->id;
	t.account = o->account;
	t.price = price;
	t.quantity = qty;
	t.remaining = rem;
	t.symbol = o->symbol;
	t.side = (uint8_t) side;
	t.stp = o->flags & XT_STP_MASK;
	t.stopped = false;
	xt_match(r, &t);
	if (t.stopped)
	{
		xt_emit_gone(r, XT_EV_CANCELLED, t.id, t.symbol, side, t.account, price, t.remaining,
					 XT_CXL_SELF_TRADE);
		xt_order_release(e, oi);
	}
	else if (t.remaining > 0)
	{
		o->remaining = t.remaining;
		xt_rest(r, oi, pos, found);
	}
	else
		xt_order_release(e, oi);
}

static void
xt_amend(const xt_run *r, const xt_command *c)
{
	xt_engine  *e = r->e;
	uint32_t	oi = xt_id_find(e, c->order_id);
	const xt_order *o;
	const xt_symbol *s;
	int64_t		filled;
	int64_t		price;
	int64_t		qty;
	xt_reason	reason = XT_REASON_NONE;

	if (oi == XT_NIL || xt_orders(e)[oi].account != c->account)
	{
		xt_emit_reject(r, c, XT_REJ_UNKNOWN_ORDER);
		return;
	}
	o = &xt_orders(e)[oi];
	s = &xt_symbols(e)[o->symbol];
	filled = o->quantity - o->remaining;
	price = c->price != 0 ? c->price : o->price;
	qty = c->quantity != 0 ? c->quantity : o->quantity;
	if (c->price != 0 && (c->price < 1 || c->price > XT_VALUE_MAX))
		reason = XT_REJ_INVALID_PRICE;
	else if (c->quantity != 0 && (c->quantity < 1 || c->quantity > XT_VALUE_MAX))
		reason = XT_REJ_INVALID_QUANTITY;
	else if (c->quantity != 0 && c->quantity < s->min_qty)
		reason = XT_REJ_QUANTITY_BELOW_MIN;
	else if (c->quantity != 0 && c->quantity > s->max_qty)
		reason = XT_REJ_QUANTITY_ABOVE_MAX;
	else if (c->quantity != 0 && c->quantity <= filled)
		reason = XT_REJ_AMEND_QUANTITY;
	else if (price == o->price && qty == o->quantity)
		reason = XT_REJ_AMEND_NOTHING;
	if (reason != XT_REASON_NONE)
		xt_emit_reject(r, c, reason);
	else if (price == o->price)
		xt_amend_in_place(r, c, oi, qty, qty - filled);
	else
		xt_amend_move(r, c, oi, price, qty, qty - filled);
}

static void
xt_add_symbol(const xt_run *r, const xt_command *c)
{
	xt_engine  *e = r->e;
	int64_t		min = c->quantity != 0 ? c->quantity : 1;
	int64_t		max = c->max_quantity != 0 ? c->max_quantity : XT_VALUE_MAX;
	xt_symbol  *s;
	xt_event	ev;

	if (c->symbol >= e->cfg.max_symbols)
	{
		xt_emit_reject(r, c, XT_REJ_SYMBOL_CAPACITY);
		return;
	}
	s = &xt_symbols(e)[c->symbol];
	if (s->registered && (s->nlevels[XT_SIDE_BUY] > 0 || s->nlevels[XT_SIDE_SELL] > 0))
	{
		xt_emit_reject(r, c, XT_REJ_SYMBOL_EXISTS);
		return;
	}
	if (min < 0 || max < 0 || min > XT_VALUE_MAX || max > XT_VALUE_MAX || min > max)
	{
		xt_emit_reject(r, c, XT_REJ_INVALID_QUANTITY);
		return;
	}
	if (!s->registered)			/* else an empty book gets new limits */
		e->nsymbols++;
	s->registered = 1;
	s->min_qty = min;
	s->max_qty = max;
	s->nlevels[XT_SIDE_BUY] = s->nlevels[XT_SIDE_SELL] = 0;
	xt_ev_start(r, &ev, XT_EV_SYMBOL_ADDED);
	ev.symbol = c->symbol;
	ev.quantity = min;
	ev.remaining = max;
	r->sink(r->ctx, &ev);
}

/* ---- public API --------------------------------------------------------------------------------- */

size_t
xt_engine_size(const xt_engine_config *cfg)
{
	xt_engine	layout;

	return xt_book_layout(cfg, &layout);
}

xt_result
xt_engine_init(void *mem, size_t size, const xt_engine_config *cfg, xt_engine **out)
{
	xt_engine	layout;
	size_t		need = xt_book_layout(cfg, &layout);
	xt_engine  *e = mem;

	if (need == 0)
		return XT_ERR_CONFIG;
	if (mem == NULL || ((uintptr_t) mem & 7) != 0 || size < need)
		return XT_ERR_MEMORY;
	*e = layout;
	xt_book_reset(e);
	*out = e;
	return XT_OK;
}

xt_result
xt_engine_apply(xt_engine *eng, const xt_command *cmd, xt_event_fn sink, void *ctx)
{
	xt_run		r;

	if (cmd->seq != eng->last_seq + 1 || cmd->seq == 0)
		return XT_ERR_SEQUENCE;
	eng->last_seq = cmd->seq;
	r.e = eng;
	r.seq = cmd->seq;
	r.sink = sink;
	r.ctx = ctx;
	switch (cmd->type)
	{
		case XT_CMD_NEW_ORDER:
			xt_new_order(&r, cmd);
			break;
		case XT_CMD_CANCEL:
			xt_cancel(&r, cmd);
			break;
		case XT_CMD_AMEND:
			xt_amend(&r, cmd);
			break;
		case XT_CMD_ADD_SYMBOL:
			xt_add_symbol(&r, cmd);
			break;
		default:
			xt_emit_reject(&r, cmd, XT_REJ_INVALID_COMMAND);
			break;
	}
#ifdef XT_CHECK_INVARIANTS
	{
		const char *broken = xt_engine_check(eng);

		if (broken != NULL)
		{
			fprintf(stderr, "xt_engine: invariant broken after seq %llu: %s\n",
					(unsigned long long) cmd->seq, broken);
			abort();
		}
	}
#endif
	return XT_OK;
}

uint64_t
xt_engine_last_seq(const xt_engine *eng)
{
	return eng->last_seq;
}

uint64_t
xt_engine_last_trade_id(const xt_engine *eng)
{
	return eng->last_trade_id;
}

void
xt_engine_set_last_seq(xt_engine *eng, uint64_t seq, uint64_t last_trade_id)
{
	eng->last_seq = seq;
	eng->last_trade_id = last_trade_id;
}
