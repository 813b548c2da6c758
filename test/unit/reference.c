/*
 * reference.c: the reference model of the matching engine (interface in reference.h).
 *
 * Owns a second, independent reading of src/engine/engine.h: the same commands must give the
 * same events, byte for byte, and the same hash as the real engine. It is written to be obviously
 * correct, not fast, and shares no code with src/engine:
 *  - every resting order of every symbol lives in one plain array, in the order it joined the
 *    book; nothing else describes the book (no level objects, no index);
 *  - every question (best price, the first order of a level in FIFO order, a level's total,
 *    the number of levels of a side, the depth, the hash) is answered by scanning that array,
 *    or by copying the orders of one side and sorting them into priority order;
 *  - the steps of engine.h's ORDER OF EVENTS appear below in the same order, numbered alike.
 *
 * FIFO within a level is "lowest priority value first": an order gets priority = the seq of the
 * command that put it at the back of its level (its NEW, or an amend that lost priority), and
 * seqs only grow, so the back of a level always has the highest priority value.
 */
#include "reference.h"

#include <stdlib.h>
#include <string.h>

/* One resting order. */
typedef struct ref_order
{
	uint64_t	id;
	uint64_t	account;
	uint64_t	priority;
	uint32_t	symbol;
	uint8_t		side;
	uint8_t		stp;
	uint8_t		post_only;
	int64_t		price;
	int64_t		quantity;		/* total, as amended */
	int64_t		remaining;
} ref_order;

/* One entry of the client-order-id dedup window. */
typedef struct ref_clordid
{
	uint64_t	account;
	uint64_t	order_id;		/* the order that was accepted with this id */
	uint8_t		len;
	char		bytes[XT_CLORDID_MAX];
} ref_clordid;

typedef struct ref_symbol
{
	bool		used;
	int64_t		min_qty;
	int64_t		max_qty;
} ref_symbol;

struct xt_ref
{
	xt_engine_config cfg;
	uint64_t	last_seq;
	uint64_t	last_trade_id;
	ref_symbol *symbols;		/* cfg.max_symbols entries */

	ref_order  *orders;			/* resting orders, in the order they joined the book */
	uint32_t	norders;
	uint32_t	orders_cap;		/* allocated entries (grows; never above cfg.max_orders) */

	/* Dedup window, oldest first: win[win_start .. win_end). Evicting the oldest only moves
	 * win_start; the array is compacted when it runs out of room. */
	ref_clordid *win;
	size_t		win_start;
	size_t		win_end;
	size_t		win_cap;
};

/* A taker being matched: a new order, or a resting order whose amend changed its price. */
typedef struct ref_taker
{
	uint64_t	id;
	uint64_t	account;
	uint32_t	symbol;
	uint8_t		side;
	uint8_t		order_type;
	uint8_t		stp;
	int64_t		price;			/* 0 for a market order */
	int64_t		quantity;
	int64_t		remaining;
} ref_taker;

/* ---- small helpers ---------------------------------------------------------------------------- */

static void *
ref_alloc(size_t n, size_t size)
{
	void	   *p = calloc(n ? n : 1, size);

	/* A test helper: running out of memory is not a case worth modelling. */
	if (p == NULL)
		abort();
	return p;
}

static void
ev_init(xt_event *ev, const xt_command *cmd, xt_event_type type)
{
	/* Every field not listed for an event type is zero: events are compared with memcmp. */
	memset(ev, 0, sizeof(*ev));
	ev->seq = cmd->seq;
	ev->type = (uint8_t) type;
}

static void
emit(xt_event_fn sink, void *ctx, const xt_event *ev)
{
	if (sink)
		sink(ctx, ev);
}

static bool
value_ok(int64_t v)
{
	return v >= 1 && v <= XT_VALUE_MAX;
}

static bool
symbol_known(const xt_ref *ref, uint32_t symbol)
{
	return symbol < ref->cfg.max_symbols && ref->symbols[symbol].used;
}

/* Index of a resting order by id, or -1. */
static long
find_order(const xt_ref *ref, uint64_t id)
{
	for (uint32_t i = 0; i < ref->norders; i++)
		if (ref->orders[i].id == id)
			return (long) i;
	return -1;
}

static void
remove_order(xt_ref *ref, long i)
{
	/* memmove keeps the array in book-arrival order (not needed for correctness: FIFO is by
	 * priority; it just keeps the array easy to read in a debugger). */
	memmove(&ref->orders[i], &ref->orders[i + 1],
			(size_t) (ref->norders - (uint32_t) i - 1) * sizeof(ref_order));
	ref->norders--;
}

static void
append_order(xt_ref *ref, const ref_order *o)
{
	if (ref->norders == ref->orders_cap)
	{
		uint32_t	cap = ref->orders_cap * 2;

		if (cap > ref->cfg.max_orders)
			cap = ref->cfg.max_orders;
		ref->orders = realloc(ref->orders, (size_t) cap * sizeof(ref_order));
		if (ref->orders == NULL)
			abort();
		ref->orders_cap = cap;
	}
	/* Callers check capacity first (NEW step 3); an amend re-adds the order it just removed. */
	if (ref->norders >= ref->orders_cap)
		abort();
	ref->orders[ref->norders++] = *o;
}

/* Best price of a side: the highest bid or the lowest ask. */
static bool
best_price(const xt_ref *ref, uint32_t symbol, uint8_t side, int64_t *price)
{
	bool		found = false;
	int64_t		best = 0;

	for (uint32_t i = 0; i < ref->norders; i++)
	{
		const ref_order *o = &ref->orders[i];

		if (o->symbol != symbol || o->side != side)
			continue;
		if (!found || (side == XT_SIDE_BUY ? o->price > best : o->price < best))
			best = o->price;
		found = true;
	}
	if (found)
		*price = best;
	return found;
}

/* Total remaining and order count of one price level (0, 0: the level does not exist). */
static void
level_of(const xt_ref *ref, uint32_t symbol, uint8_t side, int64_t price,
		 int64_t *total, uint32_t *count)
{
	int64_t		t = 0;
	uint32_t	n = 0;

	for (uint32_t i = 0; i < ref->norders; i++)
	{
		const ref_order *o = &ref->orders[i];

		if (o->symbol == symbol && o->side == side && o->price == price)
		{
			t += o->remaining;
			n++;
		}
	}
	*total = t;
	*count = n;
}

/* The first order of a level in FIFO order (lowest priority), or -1 if the level is empty. */
static long
fifo_first(const xt_ref *ref, uint32_t symbol, uint8_t side, int64_t price)
{
	long		first = -1;

	for (uint32_t i = 0; i < ref->norders; i++)
	{
		const ref_order *o = &ref->orders[i];

		if (o->symbol != symbol || o->side != side || o->price != price)
			continue;
		if (first < 0 || o->priority < ref->orders[first].priority)
			first = (long) i;
	}
	return first;
}

/* Priority order within one side: best price first, then FIFO (lowest priority value). */
static int
cmp_priority(const void *a, const void *b)
{
	const ref_order *x = a;
	const ref_order *y = b;

	if (x->price != y->price)
	{
		bool		x_better = x->side == XT_SIDE_BUY ? x->price > y->price : x->price < y->price;

		return x_better ? -1 : 1;
	}
	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	return 0;
}

/*
 * Copies of the resting orders of one side of one symbol, in priority order. Returns a malloc'd
 * array (caller frees) and its length in *n.
 */
static ref_order *
side_sorted(const xt_ref *ref, uint32_t symbol, uint8_t side, uint32_t *n)
{
	ref_order  *out = ref_alloc(ref->norders, sizeof(ref_order));
	uint32_t	k = 0;

	for (uint32_t i = 0; i < ref->norders; i++)
		if (ref->orders[i].symbol == symbol && ref->orders[i].side == side)
			out[k++] = ref->orders[i];
	qsort(out, k, sizeof(ref_order), cmp_priority);
	*n = k;
	return out;
}

/* Number of distinct prices (levels) of one side. */
static uint32_t
count_levels(const xt_ref *ref, uint32_t symbol, uint8_t side)
{
	uint32_t	n;
	uint32_t	levels = 0;
	ref_order  *s = side_sorted(ref, symbol, side, &n);

	for (uint32_t i = 0; i < n; i++)
		if (i == 0 || s[i].price != s[i - 1].price)
			levels++;
	free(s);
	return levels;
}

/* ---- the dedup window ------------------------------------------------------------------------- */

static const ref_clordid *
window_find(const xt_ref *ref, uint64_t account, const char *bytes, uint8_t len)
{
	for (size_t i = ref->win_start; i < ref->win_end; i++)
	{
		const ref_clordid *c = &ref->win[i];

		if (c->account == account && c->len == len && memcmp(c->bytes, bytes, len) == 0)
			return c;
	}
	return NULL;
}

static void
window_add(xt_ref *ref, uint64_t account, uint64_t order_id, const char *bytes, uint8_t len)
{
	ref_clordid *c;

	if (ref->cfg.max_clordids == 0)
		return;					/* dedup disabled */
	if (ref->win_end - ref->win_start == ref->cfg.max_clordids)
		ref->win_start++;		/* full: the oldest entry leaves */
	if (ref->win_end == ref->win_cap)
	{
		size_t		live = ref->win_end - ref->win_start;

		if (ref->win_start > 0)
		{
			memmove(ref->win, ref->win + ref->win_start, live * sizeof(ref_clordid));
			ref->win_start = 0;
			ref->win_end = live;
		}
		else
		{
			ref->win_cap = ref->win_cap ? ref->win_cap * 2 : 16;
			ref->win = realloc(ref->win, ref->win_cap * sizeof(ref_clordid));
			if (ref->win == NULL)
				abort();
		}
	}
	c = &ref->win[ref->win_end++];
	memset(c, 0, sizeof(*c));
	c->account = account;
	c->order_id = order_id;
	c->len = len;
	memcpy(c->bytes, bytes, len);
}

/* ---- events ------------------------------------------------------------------------------------ */

static void
emit_rejected(const xt_command *cmd, uint64_t order_id, xt_reason reason,
			  xt_event_fn sink, void *ctx)
{
	xt_event	ev;

	ev_init(&ev, cmd, XT_EV_REJECTED);
	ev.order_id = order_id;
	/* symbol is listed for NEW only: cancel, amend, add-symbol and unknown commands leave it 0 */
	if (cmd->type == XT_CMD_NEW_ORDER)
		ev.symbol = cmd->symbol;
	ev.account = cmd->account;
	ev.reason = (uint8_t) reason;
	ev.command = cmd->type;
	emit(sink, ctx, &ev);
}

static void
emit_level(const xt_ref *ref, const xt_command *cmd, uint32_t symbol, uint8_t side,
		   int64_t price, xt_event_fn sink, void *ctx)
{
	xt_event	ev;
	int64_t		total;
	uint32_t	count;

	level_of(ref, symbol, side, price, &total, &count);
	ev_init(&ev, cmd, XT_EV_LEVEL);
	ev.symbol = symbol;
	ev.side = side;
	ev.price = price;
	ev.level_quantity = total;
	ev.level_orders = count;
	emit(sink, ctx, &ev);
}

/* CANCELLED of a resting order (user cancel, or the maker side of self-trade prevention). */
static void
emit_cancelled_resting(const xt_command *cmd, const ref_order *o, xt_reason reason,
					   xt_event_fn sink, void *ctx)
{
	xt_event	ev;

	ev_init(&ev, cmd, XT_EV_CANCELLED);
	ev.order_id = o->id;
	ev.symbol = o->symbol;
	ev.side = o->side;
	ev.account = o->account;
	ev.price = o->price;
	ev.remaining = o->remaining;
	ev.reason = (uint8_t) reason;
	ev.status = XT_STATUS_CANCELLED;
	emit(sink, ctx, &ev);
}

static void
emit_expired(const xt_command *cmd, const ref_taker *t, xt_reason reason,
			 xt_event_fn sink, void *ctx)
{
	xt_event	ev;

	ev_init(&ev, cmd, XT_EV_EXPIRED);
	ev.order_id = t->id;
	ev.symbol = t->symbol;
	ev.side = t->side;
	ev.account = t->account;
	ev.remaining = t->remaining;
	ev.reason = (uint8_t) reason;
	ev.status = XT_STATUS_EXPIRED;
	emit(sink, ctx, &ev);
}

/* ---- matching (NEW_ORDER steps 6 to 8, shared with AMEND step 4) ------------------------------ */

static bool
matchable(const ref_taker *t, int64_t level_price)
{
	if (t->order_type == XT_TYPE_MARKET)
		return true;
	return t->side == XT_SIDE_BUY ? level_price <= t->price : level_price >= t->price;
}

/* Step 6: the quantity a FOK taker could fill, walking the book in priority order. */
static int64_t
fok_fillable(const xt_ref *ref, const ref_taker *t)
{
	uint32_t	n;
	ref_order  *s = side_sorted(ref, t->symbol, (uint8_t) (t->side ^ 1), &n);
	int64_t		sum = 0;

	for (uint32_t i = 0; i < n && matchable(t, s[i].price); i++)
	{
		if (s[i].account == t->account)
		{
			if (t->stp == XT_STP_CANCEL_RESTING)
				continue;
			break;
		}
		sum += s[i].remaining;
		if (sum >= t->quantity)
			break;				/* enough; stopping also keeps the sum far from overflow */
	}
	free(s);
	return sum;
}

/* Step 7. Returns true if self-trade prevention stopped the matching (INCOMING or BOTH). */
static bool
match(xt_ref *ref, const xt_command *cmd, ref_taker *t, xt_event_fn sink, void *ctx)
{
	uint8_t		opp = (uint8_t) (t->side ^ 1);

	while (t->remaining > 0)
	{
		int64_t		lp;
		bool		changed = false;
		bool		stopped = false;

		if (!best_price(ref, t->symbol, opp, &lp) || !matchable(t, lp))
			break;

		/* take the level's orders in FIFO order until it is empty, or the taker is done */
		while (t->remaining > 0)
		{
			long		i = fifo_first(ref, t->symbol, opp, lp);
			ref_order  *m;

			if (i < 0)
				break;			/* level used up */
			m = &ref->orders[i];
			if (m->account == t->account)
			{
				if (t->stp == XT_STP_CANCEL_INCOMING)
				{
					stopped = true;
					break;
				}
				emit_cancelled_resting(cmd, m, XT_CXL_SELF_TRADE, sink, ctx);
				remove_order(ref, i);
				changed = true;
				if (t->stp == XT_STP_CANCEL_BOTH)
				{
					stopped = true;
					break;
				}
				continue;		/* CANCEL_RESTING */
			}
			else
			{
				int64_t		q = t->remaining < m->remaining ? t->remaining : m->remaining;
				xt_event	ev;

				t->remaining -= q;
				m->remaining -= q;
				ev_init(&ev, cmd, XT_EV_TRADE);
				ev.trade_id = ++ref->last_trade_id;
				ev.symbol = t->symbol;
				ev.side = t->side;
				ev.order_id = t->id;
				ev.maker_order_id = m->id;
				ev.account = t->account;
				ev.maker_account = m->account;
				ev.price = m->price;
				ev.quantity = q;
				ev.remaining = t->remaining;
				ev.maker_remaining = m->remaining;
				ev.status = (uint8_t) xt_status_of(t->quantity, t->remaining);
				ev.maker_status = (uint8_t) xt_status_of(m->quantity, m->remaining);
				emit(sink, ctx, &ev);
				if (m->remaining == 0)
					remove_order(ref, i);
				changed = true;
			}
		}
		/* the taker leaves this level: one LEVEL if its total changed */
		if (changed)
			emit_level(ref, cmd, t->symbol, opp, lp, sink, ctx);
		if (stopped)
			return true;
	}
	return false;
}

/*
 * Step 8 for a taker that is a limit GTC order (a new one, or an amended one): cancelled by STP,
 * or rests at the back of its level followed by LEVEL. Other takers are handled by the caller.
 */
static void
rest_or_cancel(xt_ref *ref, const xt_command *cmd, const ref_taker *t, bool stopped,
			   uint8_t post_only, xt_event_fn sink, void *ctx)
{
	if (stopped)
	{
		xt_event	ev;

		ev_init(&ev, cmd, XT_EV_CANCELLED);
		ev.order_id = t->id;
		ev.symbol = t->symbol;
		ev.side = t->side;
		ev.account = t->account;
		ev.price = t->price;
		ev.remaining = t->remaining;
		ev.reason = XT_CXL_SELF_TRADE;
		ev.status = XT_STATUS_CANCELLED;
		emit(sink, ctx, &ev);
	}
	else if (t->remaining > 0)
	{
		ref_order	o;

		memset(&o, 0, sizeof(o));
		o.id = t->id;
		o.account = t->account;
		o.priority = cmd->seq;	/* the back of the level */
		o.symbol = t->symbol;
		o.side = t->side;
		o.stp = t->stp;
		o.post_only = post_only;
		o.price = t->price;
		o.quantity = t->quantity;
		o.remaining = t->remaining;
		append_order(ref, &o);
		emit_level(ref, cmd, t->symbol, t->side, t->price, sink, ctx);
	}
}

/* ---- commands ---------------------------------------------------------------------------------- */

/* NEW_ORDER step 1: the first failing validation, or XT_REASON_NONE. */
static xt_reason
validate_new(const xt_ref *ref, const xt_command *cmd)
{
	if (!symbol_known(ref, cmd->symbol))
		return XT_REJ_UNKNOWN_SYMBOL;
	if (cmd->side != XT_SIDE_BUY && cmd->side != XT_SIDE_SELL)
		return XT_REJ_INVALID_SIDE;
	if (cmd->order_type != XT_TYPE_LIMIT && cmd->order_type != XT_TYPE_MARKET)
		return XT_REJ_INVALID_TYPE;
	if (cmd->tif != XT_TIF_GTC && cmd->tif != XT_TIF_IOC && cmd->tif != XT_TIF_FOK)
		return XT_REJ_INVALID_TIF;
	if (cmd->stp != XT_STP_CANCEL_RESTING && cmd->stp != XT_STP_CANCEL_INCOMING &&
		cmd->stp != XT_STP_CANCEL_BOTH)
		return XT_REJ_INVALID_STP;
	if (cmd->clordid_len > XT_CLORDID_MAX)
		return XT_REJ_INVALID_CLORDID;
	if (cmd->order_type == XT_TYPE_LIMIT ? !value_ok(cmd->price) : cmd->price != 0)
		return XT_REJ_INVALID_PRICE;
	if (!value_ok(cmd->quantity))
		return XT_REJ_INVALID_QUANTITY;
	if (cmd->quantity < ref->symbols[cmd->symbol].min_qty)
		return XT_REJ_QUANTITY_BELOW_MIN;
	if (cmd->quantity > ref->symbols[cmd->symbol].max_qty)
		return XT_REJ_QUANTITY_ABOVE_MAX;

	/*
	 * post_only is documented as "0 or 1"; any other value is treated as an invalid post-only
	 * flag (engine.h does not name a reason for it; POST_ONLY_INVALID is the closest).
	 */
	if (cmd->post_only > 1)
		return XT_REJ_POST_ONLY_INVALID;
	if (cmd->post_only && (cmd->order_type == XT_TYPE_MARKET || cmd->tif != XT_TIF_GTC))
		return XT_REJ_POST_ONLY_INVALID;
	return XT_REASON_NONE;
}

static void
new_order(xt_ref *ref, const xt_command *cmd, xt_event_fn sink, void *ctx)
{
	xt_reason	r;
	xt_event	ev;
	ref_taker	t;
	bool		can_rest = cmd->order_type == XT_TYPE_LIMIT && cmd->tif == XT_TIF_GTC;
	bool		stopped;

	/* 1. validation */
	r = validate_new(ref, cmd);
	if (r != XT_REASON_NONE)
	{
		emit_rejected(cmd, cmd->seq, r, sink, ctx);
		return;
	}

	/* 2. client order id already in the dedup window */
	if (cmd->clordid_len > 0)
	{
		const ref_clordid *c = window_find(ref, cmd->account, cmd->clordid, cmd->clordid_len);

		if (c != NULL)
		{
			ev_init(&ev, cmd, XT_EV_DUPLICATE);
			ev.order_id = c->order_id;
			ev.symbol = cmd->symbol;
			ev.account = cmd->account;
			emit(sink, ctx, &ev);
			return;
		}
	}

	/* 3. capacity, only for an order that could rest */
	if (can_rest)
	{
		int64_t		total;
		uint32_t	count;

		r = XT_REASON_NONE;
		level_of(ref, cmd->symbol, cmd->side, cmd->price, &total, &count);
		if (ref->norders >= ref->cfg.max_orders)
			r = XT_REJ_ORDER_CAPACITY;
		else if (count == 0 &&
				 count_levels(ref, cmd->symbol, cmd->side) >= ref->cfg.max_levels)
			r = XT_REJ_LEVEL_CAPACITY;
		else if (count > 0 && total > INT64_MAX - cmd->quantity)
			r = XT_REJ_LEVEL_OVERFLOW;
		if (r != XT_REASON_NONE)
		{
			emit_rejected(cmd, cmd->seq, r, sink, ctx);
			return;
		}
	}

	/* 4. post-only that would trade with the best opposite price */
	if (cmd->post_only)
	{
		int64_t		bp;

		if (best_price(ref, cmd->symbol, (uint8_t) (cmd->side ^ 1), &bp) &&
			(cmd->side == XT_SIDE_BUY ? cmd->price >= bp : cmd->price <= bp))
		{
			emit_rejected(cmd, cmd->seq, XT_REJ_POST_ONLY_WOULD_CROSS, sink, ctx);
			return;
		}
	}

	/* 5. accepted; the clordid enters the dedup window */
	ev_init(&ev, cmd, XT_EV_ACCEPTED);
	ev.order_id = cmd->seq;
	ev.symbol = cmd->symbol;
	ev.side = cmd->side;
	ev.order_type = cmd->order_type;
	ev.tif = cmd->tif;
	ev.post_only = cmd->post_only;
	ev.account = cmd->account;
	ev.price = cmd->price;
	ev.quantity = cmd->quantity;
	ev.remaining = cmd->quantity;
	ev.status = XT_STATUS_PENDING;
	emit(sink, ctx, &ev);
	if (cmd->clordid_len > 0)
		window_add(ref, cmd->account, cmd->seq, cmd->clordid, cmd->clordid_len);

	memset(&t, 0, sizeof(t));
	t.id = cmd->seq;
	t.account = cmd->account;
	t.symbol = cmd->symbol;
	t.side = cmd->side;
	t.order_type = cmd->order_type;
	t.stp = cmd->stp;
	t.price = cmd->price;
	t.quantity = cmd->quantity;
	t.remaining = cmd->quantity;

	/* 6. FOK that cannot fill completely: expires untouched */
	if (cmd->tif == XT_TIF_FOK && fok_fillable(ref, &t) < t.quantity)
	{
		emit_expired(cmd, &t, XT_EXP_FOK, sink, ctx);
		return;
	}

	/* 7. matching */
	stopped = match(ref, cmd, &t, sink, ctx);

	/* 8. remainder */
	if (stopped || can_rest)
		rest_or_cancel(ref, cmd, &t, stopped, cmd->post_only, sink, ctx);
	else if (t.remaining > 0)
		emit_expired(cmd, &t, XT_EXP_IOC, sink, ctx);
}

static void
cancel(xt_ref *ref, const xt_command *cmd, xt_event_fn sink, void *ctx)
{
	long		i = find_order(ref, cmd->order_id);
	ref_order	o;

	if (i < 0 || ref->orders[i].account != cmd->account)
	{
		emit_rejected(cmd, cmd->order_id, XT_REJ_UNKNOWN_ORDER, sink, ctx);
		return;
	}
	o = ref->orders[i];
	emit_cancelled_resting(cmd, &o, XT_CXL_USER, sink, ctx);
	remove_order(ref, i);
	emit_level(ref, cmd, o.symbol, o.side, o.price, sink, ctx);
}

static void
amend(xt_ref *ref, const xt_command *cmd, xt_event_fn sink, void *ctx)
{
	long		i = find_order(ref, cmd->order_id);
	ref_order	o;
	const ref_symbol *sym;
	bool		price_changed;
	bool		qty_changed;
	int64_t		new_price;
	int64_t		new_qty;
	int64_t		new_rem;
	xt_reason	r = XT_REASON_NONE;
	xt_event	ev;

	/* 1. checks */
	if (i < 0 || ref->orders[i].account != cmd->account)
	{
		emit_rejected(cmd, cmd->order_id, XT_REJ_UNKNOWN_ORDER, sink, ctx);
		return;
	}
	o = ref->orders[i];
	sym = &ref->symbols[o.symbol];
	if (cmd->price != 0 && !value_ok(cmd->price))
		r = XT_REJ_INVALID_PRICE;
	else if (cmd->quantity != 0 && !value_ok(cmd->quantity))
		r = XT_REJ_INVALID_QUANTITY;
	else if (cmd->quantity != 0 && cmd->quantity < sym->min_qty)
		r = XT_REJ_QUANTITY_BELOW_MIN;
	else if (cmd->quantity != 0 && cmd->quantity > sym->max_qty)
		r = XT_REJ_QUANTITY_ABOVE_MAX;
	else if (cmd->quantity != 0 && cmd->quantity <= o.quantity - o.remaining)
		r = XT_REJ_AMEND_QUANTITY;
	else if ((cmd->price == 0 || cmd->price == o.price) &&
			 (cmd->quantity == 0 || cmd->quantity == o.quantity))
		r = XT_REJ_AMEND_NOTHING;
	if (r != XT_REASON_NONE)
	{
		emit_rejected(cmd, cmd->order_id, r, sink, ctx);
		return;
	}
	price_changed = cmd->price != 0 && cmd->price != o.price;
	qty_changed = cmd->quantity != 0 && cmd->quantity != o.quantity;
	new_price = price_changed ? cmd->price : o.price;
	new_qty = qty_changed ? cmd->quantity : o.quantity;
	new_rem = new_qty - (o.quantity - o.remaining);

	/* 2. checks of the target level */
	if (price_changed)
	{
		int64_t		total;
		uint32_t	count;
		int64_t		bp;

		/* counted with the order still on its old level, as the book is when the amend arrives */
		level_of(ref, o.symbol, o.side, new_price, &total, &count);
		if (count == 0 && count_levels(ref, o.symbol, o.side) >= ref->cfg.max_levels)
			r = XT_REJ_LEVEL_CAPACITY;
		else if (count > 0 && total > INT64_MAX - new_rem)
			r = XT_REJ_LEVEL_OVERFLOW;
		else if (o.post_only &&
				 best_price(ref, o.symbol, (uint8_t) (o.side ^ 1), &bp) &&
				 (o.side == XT_SIDE_BUY ? new_price >= bp : new_price <= bp))
			r = XT_REJ_POST_ONLY_WOULD_CROSS;
	}
	else if (new_rem > o.remaining)
	{
		int64_t		total;
		uint32_t	count;

		/*
		 * Same price, more quantity: the level grows by the difference. engine.h lists the
		 * overflow check under "new price" only, but the same level can overflow here too and
		 * int64 overflow is not an option; LEVEL_OVERFLOW is the only sensible answer.
		 */
		level_of(ref, o.symbol, o.side, o.price, &total, &count);
		if (total - o.remaining > INT64_MAX - new_rem)
			r = XT_REJ_LEVEL_OVERFLOW;
	}
	if (r != XT_REASON_NONE)
	{
		emit_rejected(cmd, cmd->order_id, r, sink, ctx);
		return;
	}

	/* 3. AMENDED; priority is kept only at the same price with a quantity that did not grow */
	{
		bool		lost = price_changed || new_qty > o.quantity;

		ev_init(&ev, cmd, XT_EV_AMENDED);
		ev.order_id = o.id;
		ev.symbol = o.symbol;
		ev.side = o.side;
		ev.account = o.account;
		ev.price = new_price;
		ev.quantity = new_qty;
		ev.remaining = new_rem;
		ev.status = (uint8_t) xt_status_of(new_qty, new_rem);
		ev.priority_lost = lost ? 1 : 0;
		emit(sink, ctx, &ev);

		if (!price_changed)
		{
			/* 4. same price: new quantities (and to the back of the level if it grew), LEVEL */
			ref->orders[i].quantity = new_qty;
			ref->orders[i].remaining = new_rem;
			if (lost)
			{
				ref_order	moved = ref->orders[i];

				moved.priority = cmd->seq;
				remove_order(ref, i);
				append_order(ref, &moved);
			}
			emit_level(ref, cmd, o.symbol, o.side, o.price, sink, ctx);
			return;
		}
	}

	/* 4. new price: leave the old level (LEVEL), then trade as a taker, then rest or cancel */
	{
		ref_taker	t;
		bool		stopped;

		remove_order(ref, i);
		emit_level(ref, cmd, o.symbol, o.side, o.price, sink, ctx);

		memset(&t, 0, sizeof(t));
		t.id = o.id;
		t.account = o.account;
		t.symbol = o.symbol;
		t.side = o.side;
		t.order_type = XT_TYPE_LIMIT;
		t.stp = o.stp;
		t.price = new_price;
		t.quantity = new_qty;
		t.remaining = new_rem;
		stopped = match(ref, cmd, &t, sink, ctx);
		rest_or_cancel(ref, cmd, &t, stopped, o.post_only, sink, ctx);
	}
}

static void
add_symbol(xt_ref *ref, const xt_command *cmd, xt_event_fn sink, void *ctx)
{
	int64_t		min_qty = cmd->quantity == 0 ? 1 : cmd->quantity;
	int64_t		max_qty = cmd->max_quantity == 0 ? XT_VALUE_MAX : cmd->max_quantity;
	xt_event	ev;

	if (cmd->symbol >= ref->cfg.max_symbols)
	{
		emit_rejected(cmd, 0, XT_REJ_SYMBOL_CAPACITY, sink, ctx);
		return;
	}
	if (ref->symbols[cmd->symbol].used)
	{
		/* only a book with resting orders keeps its limits; an empty one is redefined */
		for (uint32_t i = 0; i < ref->norders; i++)
			if (ref->orders[i].symbol == cmd->symbol)
			{
				emit_rejected(cmd, 0, XT_REJ_SYMBOL_EXISTS, sink, ctx);
				return;
			}
	}
	if (min_qty < 0 || max_qty < 0 || min_qty > max_qty ||
		min_qty > XT_VALUE_MAX || max_qty > XT_VALUE_MAX)
	{
		emit_rejected(cmd, 0, XT_REJ_INVALID_QUANTITY, sink, ctx);
		return;
	}
	ref->symbols[cmd->symbol].used = true;
	ref->symbols[cmd->symbol].min_qty = min_qty;
	ref->symbols[cmd->symbol].max_qty = max_qty;
	ev_init(&ev, cmd, XT_EV_SYMBOL_ADDED);
	ev.symbol = cmd->symbol;
	ev.quantity = min_qty;
	ev.remaining = max_qty;
	emit(sink, ctx, &ev);
}

/* ---- the interface ------------------------------------------------------------------------- */

xt_ref *
xt_ref_create(const xt_engine_config *cfg)
{
	xt_ref	   *ref;

	if (cfg == NULL ||
		cfg->max_symbols < XT_MIN_SYMBOLS || cfg->max_symbols > XT_MAX_SYMBOLS ||
		cfg->max_orders < XT_MIN_ORDERS || cfg->max_orders > XT_MAX_ORDERS ||
		cfg->max_levels < XT_MIN_LEVELS || cfg->max_levels > XT_MAX_LEVELS ||
		cfg->max_clordids > XT_MAX_CLORDIDS)
		return NULL;
	ref = ref_alloc(1, sizeof(xt_ref));
	ref->cfg = *cfg;
	ref->symbols = ref_alloc(cfg->max_symbols, sizeof(ref_symbol));
	/* grown on demand: max_orders may be 2^26 while a test rests a handful */
	ref->orders_cap = cfg->max_orders < 64 ? cfg->max_orders : 64;
	ref->orders = ref_alloc(ref->orders_cap, sizeof(ref_order));
	return ref;
}

void
xt_ref_destroy(xt_ref *ref)
{
	if (ref == NULL)
		return;
	free(ref->symbols);
	free(ref->orders);
	free(ref->win);
	free(ref);
}

xt_result
xt_ref_apply(xt_ref *ref, const xt_command *cmd, xt_event_fn sink, void *ctx)
{
	/* seq 0 is never valid: the sequence does not wrap */
	if (cmd->seq == 0 || cmd->seq != ref->last_seq + 1)
		return XT_ERR_SEQUENCE;
	ref->last_seq = cmd->seq;
	switch (cmd->type)
	{
		case XT_CMD_NEW_ORDER:
			new_order(ref, cmd, sink, ctx);
			break;
		case XT_CMD_CANCEL:
			cancel(ref, cmd, sink, ctx);
			break;
		case XT_CMD_AMEND:
			amend(ref, cmd, sink, ctx);
			break;
		case XT_CMD_ADD_SYMBOL:
			add_symbol(ref, cmd, sink, ctx);
			break;
		default:
			emit_rejected(cmd, 0, XT_REJ_INVALID_COMMAND, sink, ctx);
			break;
	}
	return XT_OK;
}

/* FNV-1a 64 over uint64 words, each as its 8 little-endian bytes (engine.h, xt_engine_hash). */
static uint64_t
fnv_word(uint64_t h, uint64_t w)
{
	for (int b = 0; b < 8; b++)
	{
		h ^= (w >> (8 * b)) & 0xff;
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

uint64_t
xt_ref_hash(const xt_ref *ref)
{
	uint64_t	h = UINT64_C(0xcbf29ce484222325);

	h = fnv_word(h, ref->last_seq);
	h = fnv_word(h, ref->last_trade_id);
	for (uint32_t s = 0; s < ref->cfg.max_symbols; s++)
	{
		if (!ref->symbols[s].used)
			continue;
		h = fnv_word(h, s);
		h = fnv_word(h, (uint64_t) ref->symbols[s].min_qty);
		h = fnv_word(h, (uint64_t) ref->symbols[s].max_qty);
		for (uint8_t side = XT_SIDE_BUY; side <= XT_SIDE_SELL; side++)
		{
			uint32_t	n;
			ref_order  *o = side_sorted(ref, s, side, &n);

			h = fnv_word(h, count_levels(ref, s, side));
			for (uint32_t i = 0; i < n;)
			{
				uint32_t	j = i;
				int64_t		total = 0;

				while (j < n && o[j].price == o[i].price)
					total += o[j++].remaining;
				h = fnv_word(h, (uint64_t) o[i].price);
				h = fnv_word(h, (uint64_t) total);
				h = fnv_word(h, j - i);
				for (; i < j; i++)
				{
					h = fnv_word(h, o[i].id);
					h = fnv_word(h, o[i].account);
					h = fnv_word(h, o[i].priority);
					h = fnv_word(h, (uint64_t) o[i].price);
					h = fnv_word(h, (uint64_t) o[i].quantity);
					h = fnv_word(h, (uint64_t) o[i].remaining);
					h = fnv_word(h, (uint64_t) o[i].side | (uint64_t) o[i].stp << 8 |
								 (uint64_t) o[i].post_only << 16);
				}
			}
			free(o);
		}
	}
	h = fnv_word(h, ref->win_end - ref->win_start);
	for (size_t i = ref->win_start; i < ref->win_end; i++)
	{
		const ref_clordid *c = &ref->win[i];

		h = fnv_word(h, c->account);
		h = fnv_word(h, c->order_id);
		h = fnv_word(h, c->len);
		for (int w = 0; w * 8 < c->len; w++)
		{
			uint64_t	word = 0;

			/* bytes past len are zero: the clordid zero-padded to a multiple of 8 */
			for (int b = 0; b < 8 && w * 8 + b < c->len; b++)
				word |= (uint64_t) (unsigned char) c->bytes[w * 8 + b] << (8 * b);
			h = fnv_word(h, word);
		}
	}
	return h;
}

uint32_t
xt_ref_depth(const xt_ref *ref, uint32_t symbol, xt_side side, xt_level_info *out, uint32_t max)
{
	uint32_t	n;
	uint32_t	levels = 0;
	ref_order  *o;

	if (!symbol_known(ref, symbol))
		return 0;
	o = side_sorted(ref, symbol, (uint8_t) side, &n);
	for (uint32_t i = 0; i < n && levels < max;)
	{
		xt_level_info *l = &out[levels++];

		memset(l, 0, sizeof(*l));
		l->price = o[i].price;
		for (; i < n && o[i].price == l->price; i++)
		{
			l->quantity += o[i].remaining;
			l->orders++;
		}
	}
	free(o);
	return levels;
}

bool
xt_ref_order(const xt_ref *ref, uint64_t order_id, xt_order_info *out)
{
	long		i = find_order(ref, order_id);
	const ref_order *o;

	if (i < 0)
		return false;
	o = &ref->orders[i];
	memset(out, 0, sizeof(*out));
	out->order_id = o->id;
	out->account = o->account;
	out->priority = o->priority;
	out->symbol = o->symbol;
	out->side = o->side;
	out->stp = o->stp;
	out->post_only = o->post_only;
	out->status = (uint8_t) xt_status_of(o->quantity, o->remaining);
	out->price = o->price;
	out->quantity = o->quantity;
	out->remaining = o->remaining;
	return true;
}

uint32_t
xt_ref_resting_orders(const xt_ref *ref)
{
	return ref->norders;
}
