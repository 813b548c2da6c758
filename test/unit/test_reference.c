/*
 * test_reference.c: hand-computed scenarios that validate the reference model (reference.c).
 *
 * Owns the model's own correctness: every expected event list below was worked out by hand from
 * engine.h's ORDER OF EVENTS and event field table, not produced by running code, so a model that
 * drifts from the header fails here before it can bless a wrong engine in test_differential.
 * Nothing here uses the real engine.
 */
#include "event_print.h"
#include "reference.h"
#include "xt_test.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

enum
{
	BUY = XT_SIDE_BUY,
	SELL = XT_SIDE_SELL
};

#define MAXV		XT_VALUE_MAX
#define EVMAX		64

/* ---- fixture: one model, its seq counter and the events of the last command ------------------- */

typedef struct fx
{
	xt_ref	   *ref;
	uint64_t	seq;			/* last applied seq */
	xt_event	ev[EVMAX];
	int			n;
	int			overflow;
} fx;

static void
capture(void *ctx, const xt_event *ev)
{
	fx		   *f = ctx;

	if (f->n < EVMAX)
		f->ev[f->n++] = *ev;
	else
		f->overflow++;
}

static fx  *
fx_new(uint32_t symbols, uint32_t orders, uint32_t levels, uint32_t clordids)
{
	xt_engine_config cfg = {symbols, orders, levels, clordids};
	fx		   *f = calloc(1, sizeof(fx));

	if (f == NULL)
		abort();
	f->ref = xt_ref_create(&cfg);
	if (f->ref == NULL)
		abort();
	return f;
}

static void
fx_free(fx *f)
{
	xt_ref_destroy(f->ref);
	free(f);
}

/* Apply c with the next seq; returns that seq (= the new order's id). */
static uint64_t
run(fx *f, xt_command c)
{
	xt_result	r;

	c.seq = f->seq + 1;
	f->n = 0;
	f->overflow = 0;
	r = xt_ref_apply(f->ref, &c, capture, f);
	if (r != XT_OK)
	{
		fprintf(stderr, "  unexpected result %d for seq %" PRIu64 "\n", (int) r, c.seq);
		abort();
	}
	f->seq = c.seq;
	return c.seq;
}

/* ---- commands ---------------------------------------------------------------------------------- */

static xt_command
c_limit(uint32_t sym, int side, uint64_t acct, int64_t price, int64_t qty)
{
	xt_command	c;

	memset(&c, 0, sizeof(c));
	c.type = XT_CMD_NEW_ORDER;
	c.symbol = sym;
	c.side = (uint8_t) side;
	c.order_type = XT_TYPE_LIMIT;
	c.tif = XT_TIF_GTC;
	c.stp = XT_STP_CANCEL_RESTING;
	c.account = acct;
	c.price = price;
	c.quantity = qty;
	return c;
}

static xt_command
c_tif(xt_command c, xt_tif tif)
{
	c.tif = (uint8_t) tif;
	return c;
}

static xt_command
c_stp(xt_command c, xt_stp stp)
{
	c.stp = (uint8_t) stp;
	return c;
}

static xt_command
c_po(xt_command c)
{
	c.post_only = 1;
	return c;
}

static xt_command
c_clordid(xt_command c, const char *id)
{
	c.clordid_len = (uint8_t) strlen(id);
	memcpy(c.clordid, id, c.clordid_len);
	return c;
}

static xt_command
c_market(uint32_t sym, int side, uint64_t acct, int64_t qty, xt_tif tif)
{
	xt_command	c = c_limit(sym, side, acct, 0, qty);

	c.order_type = XT_TYPE_MARKET;
	c.tif = (uint8_t) tif;
	return c;
}

static xt_command
c_cancel(uint64_t acct, uint64_t id)
{
	xt_command	c;

	memset(&c, 0, sizeof(c));
	c.type = XT_CMD_CANCEL;
	c.account = acct;
	c.order_id = id;
	return c;
}

static xt_command
c_amend(uint64_t acct, uint64_t id, int64_t price, int64_t qty)
{
	xt_command	c;

	memset(&c, 0, sizeof(c));
	c.type = XT_CMD_AMEND;
	c.account = acct;
	c.order_id = id;
	c.price = price;
	c.quantity = qty;
	return c;
}

static xt_command
c_add(uint32_t sym, int64_t min_qty, int64_t max_qty)
{
	xt_command	c;

	memset(&c, 0, sizeof(c));
	c.type = XT_CMD_ADD_SYMBOL;
	c.symbol = sym;
	c.quantity = min_qty;
	c.max_quantity = max_qty;
	return c;
}

/* ---- expected events, straight from engine.h's field table ---------------------------------- */

static xt_event
ev0(uint64_t seq, xt_event_type type)
{
	xt_event	e;

	memset(&e, 0, sizeof(e));
	e.seq = seq;
	e.type = (uint8_t) type;
	return e;
}

static xt_event
E_acc(uint64_t seq, uint32_t sym, int side, xt_order_type type, xt_tif tif, int po,
	  uint64_t acct, int64_t price, int64_t qty)
{
	xt_event	e = ev0(seq, XT_EV_ACCEPTED);

	e.order_id = seq;
	e.symbol = sym;
	e.side = (uint8_t) side;
	e.order_type = (uint8_t) type;
	e.tif = (uint8_t) tif;
	e.post_only = (uint8_t) po;
	e.account = acct;
	e.price = price;
	e.quantity = qty;
	e.remaining = qty;
	e.status = XT_STATUS_PENDING;
	return e;
}

/* ACCEPTED of a plain limit GTC order */
static xt_event
E_accl(uint64_t seq, uint32_t sym, int side, uint64_t acct, int64_t price, int64_t qty)
{
	return E_acc(seq, sym, side, XT_TYPE_LIMIT, XT_TIF_GTC, 0, acct, price, qty);
}

static xt_event
E_rej(uint64_t seq, uint64_t order_id, uint32_t sym, uint64_t acct, xt_reason reason,
	  xt_command_type command)
{
	xt_event	e = ev0(seq, XT_EV_REJECTED);

	e.order_id = order_id;
	e.symbol = sym;
	e.account = acct;
	e.reason = (uint8_t) reason;
	e.command = (uint8_t) command;
	return e;
}

static xt_event
E_trade(uint64_t seq, uint64_t tid, uint32_t sym, int side, uint64_t taker, uint64_t maker,
		uint64_t acct, uint64_t macct, int64_t price, int64_t qty, int64_t rem, int64_t mrem,
		xt_status st, xt_status mst)
{
	xt_event	e = ev0(seq, XT_EV_TRADE);

	e.trade_id = tid;
	e.symbol = sym;
	e.side = (uint8_t) side;
	e.order_id = taker;
	e.maker_order_id = maker;
	e.account = acct;
	e.maker_account = macct;
	e.price = price;
	e.quantity = qty;
	e.remaining = rem;
	e.maker_remaining = mrem;
	e.status = (uint8_t) st;
	e.maker_status = (uint8_t) mst;
	return e;
}

static xt_event
E_cxl(uint64_t seq, uint64_t id, uint32_t sym, int side, uint64_t acct, int64_t price,
	  int64_t rem, xt_reason reason)
{
	xt_event	e = ev0(seq, XT_EV_CANCELLED);

	e.order_id = id;
	e.symbol = sym;
	e.side = (uint8_t) side;
	e.account = acct;
	e.price = price;
	e.remaining = rem;
	e.reason = (uint8_t) reason;
	e.status = XT_STATUS_CANCELLED;
	return e;
}

static xt_event
E_amd(uint64_t seq, uint64_t id, uint32_t sym, int side, uint64_t acct, int64_t price,
	  int64_t qty, int64_t rem, xt_status st, int lost)
{
	xt_event	e = ev0(seq, XT_EV_AMENDED);

	e.order_id = id;
	e.symbol = sym;
	e.side = (uint8_t) side;
	e.account = acct;
	e.price = price;
	e.quantity = qty;
	e.remaining = rem;
	e.status = (uint8_t) st;
	e.priority_lost = (uint8_t) lost;
	return e;
}

static xt_event
E_exp(uint64_t seq, uint64_t id, uint32_t sym, int side, uint64_t acct, int64_t rem,
	  xt_reason reason)
{
	xt_event	e = ev0(seq, XT_EV_EXPIRED);

	e.order_id = id;
	e.symbol = sym;
	e.side = (uint8_t) side;
	e.account = acct;
	e.remaining = rem;
	e.reason = (uint8_t) reason;
	e.status = XT_STATUS_EXPIRED;
	return e;
}

static xt_event
E_lvl(uint64_t seq, uint32_t sym, int side, int64_t price, int64_t lq, uint32_t lo)
{
	xt_event	e = ev0(seq, XT_EV_LEVEL);

	e.symbol = sym;
	e.side = (uint8_t) side;
	e.price = price;
	e.level_quantity = lq;
	e.level_orders = lo;
	return e;
}

static xt_event
E_dup(uint64_t seq, uint64_t id, uint32_t sym, uint64_t acct)
{
	xt_event	e = ev0(seq, XT_EV_DUPLICATE);

	e.order_id = id;
	e.symbol = sym;
	e.account = acct;
	return e;
}

static xt_event
E_sym(uint64_t seq, uint32_t sym, int64_t min_qty, int64_t max_qty)
{
	xt_event	e = ev0(seq, XT_EV_SYMBOL_ADDED);

	e.symbol = sym;
	e.quantity = min_qty;
	e.remaining = max_qty;
	return e;
}

/* ---- comparing --------------------------------------------------------------------------------- */



/* True if the last command produced exactly exp[0 .. n); else prints both lists. */
static bool
same_events(const fx *f, const xt_event *exp, int n)
{
	bool		ok = f->overflow == 0 && f->n == n;

	for (int i = 0; ok && i < n; i++)
		ok = memcmp(&f->ev[i], &exp[i], sizeof(xt_event)) == 0;
	if (!ok)
	{
		fprintf(stderr, "    expected %d events:\n", n);
		for (int i = 0; i < n; i++)
			xt_test_print_event("      ", &exp[i]);
		fprintf(stderr, "    got %d events:\n", f->n + f->overflow);
		for (int i = 0; i < f->n; i++)
			xt_test_print_event("      ", &f->ev[i]);
	}
	return ok;
}

#define EXPECT(f, ...) \
	do { \
		const xt_event exp_[] = {__VA_ARGS__}; \
		XT_CHECK(same_events((f), exp_, (int) (sizeof(exp_) / sizeof(exp_[0])))); \
	} while (0)

/* Checks one level of the depth of a side. */
static void
check_level(const fx *f, uint32_t sym, xt_side side, uint32_t idx, int64_t price, int64_t qty,
			uint32_t orders)
{
	xt_level_info l[16];
	uint32_t	n = xt_ref_depth(f->ref, sym, side, l, 16);

	XT_CHECK(idx < n);
	if (idx < n)
	{
		XT_CHECK_EQ(l[idx].price, price);
		XT_CHECK_EQ(l[idx].quantity, qty);
		XT_CHECK_EQ(l[idx].orders, orders);
	}
}

static uint32_t
depth_levels(const fx *f, uint32_t sym, xt_side side)
{
	xt_level_info l[64];

	return xt_ref_depth(f->ref, sym, side, l, 64);
}

/* ---- configuration and symbols ------------------------------------------------------------- */

XT_TEST(config_bounds)
{
	xt_engine_config ok = {1, 1, 1, 0};
	xt_engine_config big = {XT_MAX_SYMBOLS, XT_MAX_ORDERS, XT_MAX_LEVELS, XT_MAX_CLORDIDS};
	xt_engine_config bad[] = {
		{0, 10, 10, 10}, {10, 0, 10, 10}, {10, 10, 0, 10},
		{XT_MAX_SYMBOLS + 1, 10, 10, 10}, {10, XT_MAX_ORDERS + 1, 10, 10},
		{10, 10, XT_MAX_LEVELS + 1, 10}, {10, 10, 10, XT_MAX_CLORDIDS + 1},
	};
	xt_ref	   *r = xt_ref_create(&ok);

	XT_CHECK(r != NULL);
	xt_ref_destroy(r);
	/* the largest configuration is valid, and the model must not allocate it up front */
	r = xt_ref_create(&big);
	XT_CHECK(r != NULL);
	xt_ref_destroy(r);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		XT_CHECK(xt_ref_create(&bad[i]) == NULL);
}

XT_TEST(add_symbol)
{
	fx		   *f = fx_new(5, 10, 10, 10);
	uint64_t	s;
	xt_command	c;

	s = run(f, c_add(0, 0, 0));
	EXPECT(f, E_sym(s, 0, 1, MAXV));
	/* an empty book is redefined; one with a resting order is "in use" */
	s = run(f, c_add(0, 0, 0));
	EXPECT(f, E_sym(s, 0, 1, MAXV));
	run(f, c_limit(0, XT_SIDE_BUY, 1, 100, 1));
	s = run(f, c_add(0, 0, 0));
	EXPECT(f, E_rej(s, 0, 0, 0, XT_REJ_SYMBOL_EXISTS, XT_CMD_ADD_SYMBOL));
	/* exists is checked before the limits */
	s = run(f, c_add(0, -1, 0));
	EXPECT(f, E_rej(s, 0, 0, 0, XT_REJ_SYMBOL_EXISTS, XT_CMD_ADD_SYMBOL));
	/* capacity before anything else; the account of the command is echoed */
	c = c_add(5, -1, 0);
	c.account = 77;
	s = run(f, c);
	EXPECT(f, E_rej(s, 0, 0, 77, XT_REJ_SYMBOL_CAPACITY, XT_CMD_ADD_SYMBOL));
	s = run(f, c_add(1, -1, 0));
	EXPECT(f, E_rej(s, 0, 0, 0, XT_REJ_INVALID_QUANTITY, XT_CMD_ADD_SYMBOL));
	s = run(f, c_add(1, 0, -1));
	EXPECT(f, E_rej(s, 0, 0, 0, XT_REJ_INVALID_QUANTITY, XT_CMD_ADD_SYMBOL));
	s = run(f, c_add(1, 10, 5));
	EXPECT(f, E_rej(s, 0, 0, 0, XT_REJ_INVALID_QUANTITY, XT_CMD_ADD_SYMBOL));
	/* limits above XT_VALUE_MAX could never be met by a valid quantity */
	s = run(f, c_add(1, 0, MAXV + 1));
	EXPECT(f, E_rej(s, 0, 0, 0, XT_REJ_INVALID_QUANTITY, XT_CMD_ADD_SYMBOL));
	s = run(f, c_add(1, MAXV + 1, INT64_MAX));
	EXPECT(f, E_rej(s, 0, 0, 0, XT_REJ_INVALID_QUANTITY, XT_CMD_ADD_SYMBOL));
	s = run(f, c_add(1, MAXV, MAXV));
	EXPECT(f, E_sym(s, 1, MAXV, MAXV));
	/* min 10 with max defaulted is fine */
	s = run(f, c_add(4, 10, 0));
	EXPECT(f, E_sym(s, 4, 10, MAXV));
	s = run(f, c_add(2, 7, 7));
	EXPECT(f, E_sym(s, 2, 7, 7));
	s = run(f, c_add(3, 0, 3));
	EXPECT(f, E_sym(s, 3, 1, 3));

	/* trade ids count across symbols */
	run(f, c_limit(2, SELL, 1, 10, 7));
	s = run(f, c_limit(2, BUY, 2, 10, 7));
	EXPECT(f, E_accl(s, 2, BUY, 2, 10, 7),
		   E_trade(s, 1, 2, BUY, s, s - 1, 2, 1, 10, 7, 0, 0, XT_STATUS_FILLED, XT_STATUS_FILLED),
		   E_lvl(s, 2, SELL, 10, 0, 0));
	run(f, c_limit(3, BUY, 1, 10, 3));
	s = run(f, c_limit(3, SELL, 2, 9, 3));
	EXPECT(f, E_accl(s, 3, SELL, 2, 9, 3),
		   E_trade(s, 2, 3, SELL, s, s - 1, 2, 1, 10, 3, 0, 0, XT_STATUS_FILLED, XT_STATUS_FILLED),
		   E_lvl(s, 3, BUY, 10, 0, 0));
	fx_free(f);
}

XT_TEST(sequence_and_unknown_command)
{
	fx		   *f = fx_new(2, 10, 10, 10);
	xt_command	c = c_add(0, 0, 0);
	uint64_t	h;
	uint64_t	s;

	/* seq must be last_seq + 1: 0, 2 and a repeat are refused without events or change */
	h = xt_ref_hash(f->ref);
	f->n = 0;
	c.seq = 0;
	XT_CHECK_EQ(xt_ref_apply(f->ref, &c, capture, f), XT_ERR_SEQUENCE);
	c.seq = 2;
	XT_CHECK_EQ(xt_ref_apply(f->ref, &c, capture, f), XT_ERR_SEQUENCE);
	XT_CHECK_EQ(f->n, 0);
	XT_CHECK_U64(xt_ref_hash(f->ref), h);
	s = run(f, c_add(0, 0, 0));
	XT_CHECK_U64(s, 1);
	h = xt_ref_hash(f->ref);
	f->n = 0;
	c.seq = 1;
	XT_CHECK_EQ(xt_ref_apply(f->ref, &c, capture, f), XT_ERR_SEQUENCE);
	XT_CHECK_EQ(f->n, 0);
	XT_CHECK_U64(xt_ref_hash(f->ref), h);

	/* unknown command types */
	memset(&c, 0, sizeof(c));
	c.account = 5;
	c.order_id = 9;
	c.symbol = 1;
	c.type = 0;
	s = run(f, c);
	EXPECT(f, E_rej(s, 0, 0, 5, XT_REJ_INVALID_COMMAND, 0));
	c.type = 5;
	s = run(f, c);
	EXPECT(f, E_rej(s, 0, 0, 5, XT_REJ_INVALID_COMMAND, 5));
	c.type = 255;
	s = run(f, c);
	EXPECT(f, E_rej(s, 0, 0, 5, XT_REJ_INVALID_COMMAND, 255));
	fx_free(f);
}

/* ---- NEW_ORDER validation ------------------------------------------------------------------ */

XT_TEST(validation_order)
{
	fx		   *f = fx_new(4, 10, 10, 10);
	xt_command	c;
	uint64_t	s;

	run(f, c_add(0, 5, 50));
#define REJ_NEW(cmd, sym, reason) \
	do { s = run(f, (cmd)); EXPECT(f, E_rej(s, s, (sym), 1, (reason), XT_CMD_NEW_ORDER)); } while (0)

	/* each command carries the named fault plus the next ones in the list: the first wins */
	c = c_limit(3, 7, 1, 0, 0);
	REJ_NEW(c, 3, XT_REJ_UNKNOWN_SYMBOL);	/* registered? no */
	c = c_limit(99, 7, 1, 0, 0);
	REJ_NEW(c, 99, XT_REJ_UNKNOWN_SYMBOL);	/* >= max_symbols */
	c = c_limit(0, 2, 1, 0, 0);
	c.order_type = 2;
	REJ_NEW(c, 0, XT_REJ_INVALID_SIDE);
	c = c_limit(0, BUY, 1, 0, 0);
	c.order_type = 2;
	c.tif = 3;
	REJ_NEW(c, 0, XT_REJ_INVALID_TYPE);
	c = c_limit(0, BUY, 1, 0, 0);
	c.tif = 3;
	c.stp = 3;
	REJ_NEW(c, 0, XT_REJ_INVALID_TIF);
	c = c_limit(0, BUY, 1, 0, 0);
	c.stp = 3;
	c.clordid_len = XT_CLORDID_MAX + 1;
	REJ_NEW(c, 0, XT_REJ_INVALID_STP);
	c = c_limit(0, BUY, 1, 0, 0);
	c.clordid_len = XT_CLORDID_MAX + 1;
	REJ_NEW(c, 0, XT_REJ_INVALID_CLORDID);
	REJ_NEW(c_limit(0, BUY, 1, 0, 0), 0, XT_REJ_INVALID_PRICE);
	REJ_NEW(c_limit(0, BUY, 1, -1, 10), 0, XT_REJ_INVALID_PRICE);
	REJ_NEW(c_limit(0, BUY, 1, MAXV + 1, 10), 0, XT_REJ_INVALID_PRICE);
	c = c_market(0, BUY, 1, 10, XT_TIF_IOC);
	c.price = 1;
	REJ_NEW(c, 0, XT_REJ_INVALID_PRICE);
	REJ_NEW(c_po(c_market(0, BUY, 1, 0, XT_TIF_GTC)), 0, XT_REJ_INVALID_QUANTITY);
	REJ_NEW(c_limit(0, BUY, 1, 10, -1), 0, XT_REJ_INVALID_QUANTITY);
	REJ_NEW(c_limit(0, BUY, 1, 10, MAXV + 1), 0, XT_REJ_INVALID_QUANTITY);
	REJ_NEW(c_po(c_market(0, BUY, 1, 4, XT_TIF_GTC)), 0, XT_REJ_QUANTITY_BELOW_MIN);
	REJ_NEW(c_po(c_market(0, BUY, 1, 51, XT_TIF_GTC)), 0, XT_REJ_QUANTITY_ABOVE_MAX);
	REJ_NEW(c_po(c_market(0, BUY, 1, 5, XT_TIF_GTC)), 0, XT_REJ_POST_ONLY_INVALID);
	REJ_NEW(c_po(c_tif(c_limit(0, BUY, 1, 10, 5), XT_TIF_IOC)), 0, XT_REJ_POST_ONLY_INVALID);
	REJ_NEW(c_po(c_tif(c_limit(0, BUY, 1, 10, 5), XT_TIF_FOK)), 0, XT_REJ_POST_ONLY_INVALID);
	c = c_limit(0, BUY, 1, 10, 5);
	c.post_only = 2;			/* documented as 0 or 1 */
	REJ_NEW(c, 0, XT_REJ_POST_ONLY_INVALID);
#undef REJ_NEW
	XT_CHECK_EQ(xt_ref_resting_orders(f->ref), 0);

	/* the extremes themselves are valid; a 36-byte clordid too */
	c = c_clordid(c_limit(0, SELL, 1, MAXV, 50), "0123456789abcdef0123456789abcdef0123");
	s = run(f, c);
	EXPECT(f, E_accl(s, 0, SELL, 1, MAXV, 50), E_lvl(s, 0, SELL, MAXV, 50, 1));
	s = run(f, c_limit(0, BUY, 1, 1, 5));
	EXPECT(f, E_accl(s, 0, BUY, 1, 1, 5), E_lvl(s, 0, BUY, 1, 5, 1));
	fx_free(f);
}

/* ---- resting, trading, order types ---------------------------------------------------------- */

XT_TEST(resting_and_depth)
{
	fx		   *f = fx_new(4, 100, 10, 16);
	xt_order_info o;
	xt_level_info l[4];
	uint64_t	s;

	run(f, c_add(0, 0, 0));
	s = run(f, c_limit(0, BUY, 1, 100, 10));
	EXPECT(f, E_accl(s, 0, BUY, 1, 100, 10), E_lvl(s, 0, BUY, 100, 10, 1));
	s = run(f, c_stp(c_limit(0, BUY, 2, 100, 5), XT_STP_CANCEL_BOTH));
	EXPECT(f, E_accl(s, 0, BUY, 2, 100, 5), E_lvl(s, 0, BUY, 100, 15, 2));
	s = run(f, c_limit(0, BUY, 1, 99, 7));
	EXPECT(f, E_accl(s, 0, BUY, 1, 99, 7), E_lvl(s, 0, BUY, 99, 7, 1));
	s = run(f, c_limit(0, SELL, 2, 105, 3));
	EXPECT(f, E_accl(s, 0, SELL, 2, 105, 3), E_lvl(s, 0, SELL, 105, 3, 1));

	check_level(f, 0, XT_SIDE_BUY, 0, 100, 15, 2);
	check_level(f, 0, XT_SIDE_BUY, 1, 99, 7, 1);
	check_level(f, 0, XT_SIDE_SELL, 0, 105, 3, 1);
	XT_CHECK_EQ(depth_levels(f, 0, XT_SIDE_BUY), 2);
	XT_CHECK_EQ(xt_ref_depth(f->ref, 0, XT_SIDE_BUY, l, 1), 1);
	XT_CHECK_EQ(xt_ref_depth(f->ref, 1, XT_SIDE_BUY, l, 4), 0);
	XT_CHECK_EQ(xt_ref_depth(f->ref, 1000, XT_SIDE_BUY, l, 4), 0);
	XT_CHECK_EQ(xt_ref_resting_orders(f->ref), 4);

	XT_REQUIRE(xt_ref_order(f->ref, 3, &o));
	XT_CHECK_U64(o.order_id, 3);
	XT_CHECK_U64(o.account, 2);
	XT_CHECK_U64(o.priority, 3);
	XT_CHECK_EQ(o.symbol, 0);
	XT_CHECK_EQ(o.side, XT_SIDE_BUY);
	XT_CHECK_EQ(o.stp, XT_STP_CANCEL_BOTH);
	XT_CHECK_EQ(o.post_only, 0);
	XT_CHECK_EQ(o.status, XT_STATUS_PENDING);
	XT_CHECK_EQ(o.price, 100);
	XT_CHECK_EQ(o.quantity, 5);
	XT_CHECK_EQ(o.remaining, 5);
	XT_CHECK(!xt_ref_order(f->ref, 1, &o));	/* the add-symbol seq is no order */
	XT_CHECK(!xt_ref_order(f->ref, 6, &o));
	fx_free(f);
}

XT_TEST(fills_across_levels)
{
	fx		   *f = fx_new(4, 100, 10, 16);
	xt_order_info o;
	uint64_t	s;

	run(f, c_add(0, 0, 0));
	run(f, c_limit(0, SELL, 1, 101, 5));	/* 2 */
	run(f, c_limit(0, SELL, 2, 101, 3));	/* 3 */
	s = run(f, c_limit(0, SELL, 1, 102, 4));	/* 4 */
	EXPECT(f, E_accl(s, 0, SELL, 1, 102, 4), E_lvl(s, 0, SELL, 102, 4, 1));

	s = run(f, c_limit(0, BUY, 3, 102, 10));
	XT_CHECK_U64(s, 5);
	EXPECT(f, E_accl(5, 0, BUY, 3, 102, 10),
		   E_trade(5, 1, 0, BUY, 5, 2, 3, 1, 101, 5, 5, 0,
				   XT_STATUS_PARTIALLY_FILLED, XT_STATUS_FILLED),
		   E_trade(5, 2, 0, BUY, 5, 3, 3, 2, 101, 3, 2, 0,
				   XT_STATUS_PARTIALLY_FILLED, XT_STATUS_FILLED),
		   E_lvl(5, 0, SELL, 101, 0, 0),
		   E_trade(5, 3, 0, BUY, 5, 4, 3, 1, 102, 2, 0, 2,
				   XT_STATUS_FILLED, XT_STATUS_PARTIALLY_FILLED),
		   E_lvl(5, 0, SELL, 102, 2, 1));
	XT_CHECK_EQ(xt_ref_resting_orders(f->ref), 1);
	XT_REQUIRE(xt_ref_order(f->ref, 4, &o));
	XT_CHECK_EQ(o.quantity, 4);
	XT_CHECK_EQ(o.remaining, 2);
	XT_CHECK_EQ(o.status, XT_STATUS_PARTIALLY_FILLED);
	XT_CHECK_U64(o.priority, 4);

	/* below the best ask: rests */
	s = run(f, c_limit(0, BUY, 3, 101, 3));
	EXPECT(f, E_accl(6, 0, BUY, 3, 101, 3), E_lvl(6, 0, BUY, 101, 3, 1));
	/* a sell through the bid trades at the bid (the maker's price), then rests */
	s = run(f, c_limit(0, SELL, 2, 100, 5));
	EXPECT(f, E_accl(7, 0, SELL, 2, 100, 5),
		   E_trade(7, 4, 0, SELL, 7, 6, 2, 3, 101, 3, 2, 0,
				   XT_STATUS_PARTIALLY_FILLED, XT_STATUS_FILLED),
		   E_lvl(7, 0, BUY, 101, 0, 0),
		   E_lvl(7, 0, SELL, 100, 2, 1));
	check_level(f, 0, XT_SIDE_SELL, 0, 100, 2, 1);
	check_level(f, 0, XT_SIDE_SELL, 1, 102, 2, 1);
	XT_CHECK_EQ(depth_levels(f, 0, XT_SIDE_BUY), 0);
	XT_REQUIRE(xt_ref_order(f->ref, 7, &o));
	XT_CHECK_EQ(o.status, XT_STATUS_PARTIALLY_FILLED);
	fx_free(f);
}

XT_TEST(market_orders)
{
	fx		   *f = fx_new(4, 100, 10, 16);
	uint64_t	s;

	run(f, c_add(0, 0, 0));
	run(f, c_limit(0, SELL, 1, 100, 2));	/* 2 */
	run(f, c_limit(0, SELL, 2, 101, 4));	/* 3 */
	s = run(f, c_market(0, BUY, 3, 10, XT_TIF_IOC));
	EXPECT(f, E_acc(4, 0, BUY, XT_TYPE_MARKET, XT_TIF_IOC, 0, 3, 0, 10),
		   E_trade(4, 1, 0, BUY, 4, 2, 3, 1, 100, 2, 8, 0,
				   XT_STATUS_PARTIALLY_FILLED, XT_STATUS_FILLED),
		   E_lvl(4, 0, SELL, 100, 0, 0),
		   E_trade(4, 2, 0, BUY, 4, 3, 3, 2, 101, 4, 4, 0,
				   XT_STATUS_PARTIALLY_FILLED, XT_STATUS_FILLED),
		   E_lvl(4, 0, SELL, 101, 0, 0),
		   E_exp(4, 4, 0, BUY, 3, 4, XT_EXP_IOC));
	(void) s;
	/* a market GTC never rests: its remainder expires too */
	s = run(f, c_market(0, SELL, 3, 5, XT_TIF_GTC));
	EXPECT(f, E_acc(5, 0, SELL, XT_TYPE_MARKET, XT_TIF_GTC, 0, 3, 0, 5),
		   E_exp(5, 5, 0, SELL, 3, 5, XT_EXP_IOC));
	XT_CHECK_EQ(xt_ref_resting_orders(f->ref), 0);

	/* market FOK: all of the book counts */
	run(f, c_limit(0, SELL, 1, 100, 3));	/* 6 */
	run(f, c_limit(0, SELL, 1, 900, 1));	/* 7 */
	s = run(f, c_market(0, BUY, 2, 5, XT_TIF_FOK));
	EXPECT(f, E_acc(8, 0, BUY, XT_TYPE_MARKET, XT_TIF_FOK, 0, 2, 0, 5),
		   E_exp(8, 8, 0, BUY, 2, 5, XT_EXP_FOK));
	s = run(f, c_market(0, BUY, 2, 4, XT_TIF_FOK));
	EXPECT(f, E_acc(9, 0, BUY, XT_TYPE_MARKET, XT_TIF_FOK, 0, 2, 0, 4),
		   E_trade(9, 3, 0, BUY, 9, 6, 2, 1, 100, 3, 1, 0,
				   XT_STATUS_PARTIALLY_FILLED, XT_STATUS_FILLED),
		   E_lvl(9, 0, SELL, 100, 0, 0),
		   E_trade(9, 4, 0, BUY, 9, 7, 2, 1, 900, 1, 0, 0,
				   XT_STATUS_FILLED, XT_STATUS_FILLED),
		   E_lvl(9, 0, SELL, 900, 0, 0));
	fx_free(f);
}

XT_TEST(ioc_orders)
{
	fx		   *f = fx_new(4, 100, 10, 16);

	run(f, c_add(0, 0, 0));
	run(f, c_limit(0, SELL, 1, 100, 5));	/* 2 */
	run(f, c_limit(0, SELL, 1, 103, 5));	/* 3 */
	run(f, c_tif(c_limit(0, BUY, 2, 101, 8), XT_TIF_IOC));
	EXPECT(f, E_acc(4, 0, BUY, XT_TYPE_LIMIT, XT_TIF_IOC, 0, 2, 101, 8),
		   E_trade(4, 1, 0, BUY, 4, 2, 2, 1, 100, 5, 3, 0,
				   XT_STATUS_PARTIALLY_FILLED, XT_STATUS_FILLED),
		   E_lvl(4, 0, SELL, 100, 0, 0),
		   E_exp(4, 4, 0, BUY, 2, 3, XT_EXP_IOC));
	run(f, c_tif(c_limit(0, BUY, 2, 101, 2), XT_TIF_IOC));
	EXPECT(f, E_acc(5, 0, BUY, XT_TYPE_LIMIT, XT_TIF_IOC, 0, 2, 101, 2),
		   E_exp(5, 5, 0, BUY, 2, 2, XT_EXP_IOC));
	/* filled completely: nothing expires */
	run(f, c_tif(c_limit(0, BUY, 2, 103, 5), XT_TIF_IOC));
	EXPECT(f, E_acc(6, 0, BUY, XT_TYPE_LIMIT, XT_TIF_IOC, 0, 2, 103, 5),
		   E_trade(6, 2, 0, BUY, 6, 3, 2, 1, 103, 5, 0, 0, XT_STATUS_FILLED, XT_STATUS_FILLED),
		   E_lvl(6, 0, SELL, 103, 0, 0));
	XT_CHECK_EQ(xt_ref_resting_orders(f->ref), 0);
	fx_free(f);
}

XT_TEST(fok_orders)
{
	fx		   *f = fx_new(4, 100, 10, 16);
	uint64_t	h;

	run(f, c_add(0, 0, 0));
	run(f, c_limit(0, SELL, 1, 100, 3));	/* 2 */
	run(f, c_limit(0, SELL, 2, 101, 4));	/* 3 */
	run(f, c_limit(0, SELL, 1, 102, 5));	/* 4 */
	/* 7 available at <= 101: not enough for 8 (the 102 level does not count) */
	h = xt_ref_hash(f->ref);
	run(f, c_tif(c_limit(0, BUY, 3, 101, 8), XT_TIF_FOK));
	EXPECT(f, E_acc(5, 0, BUY, XT_TYPE_LIMIT, XT_TIF_FOK, 0, 3, 101, 8),
		   E_exp(5, 5, 0, BUY, 3, 8, XT_EXP_FOK));
	XT_CHECK(xt_ref_hash(f->ref) != h);	/* last_seq moved ... */
	check_level(f, 0, XT_SIDE_SELL, 0, 100, 3, 1);	/* ... the book did not */
	check_level(f, 0, XT_SIDE_SELL, 1, 101, 4, 1);
	check_level(f, 0, XT_SIDE_SELL, 2, 102, 5, 1);
	run(f, c_tif(c_limit(0, BUY, 3, 101, 7), XT_TIF_FOK));
	EXPECT(f, E_acc(6, 0, BUY, XT_TYPE_LIMIT, XT_TIF_FOK, 0, 3, 101, 7),
		   E_trade(6, 1, 0, BUY, 6, 2, 3, 1, 100, 3, 4, 0,
				   XT_STATUS_PARTIALLY_FILLED, XT_STATUS_FILLED),
		   E_lvl(6, 0, SELL, 100, 0, 0),
		   E_trade(6, 2, 0, BUY, 6, 3, 3, 2, 101, 4, 0, 0, XT_STATUS_FILLED, XT_STATUS_FILLED),
		   E_lvl(6, 0, SELL, 101, 0, 0));
	/* a sell FOK against bids */
	run(f, c_limit(0, BUY, 1, 90, 2));	/* 7 */
	run(f, c_limit(0, BUY, 2, 89, 2));	/* 8 */
	run(f, c_tif(c_limit(0, SELL, 3, 89, 3), XT_TIF_FOK));
	EXPECT(f, E_acc(9, 0, SELL, XT_TYPE_LIMIT, XT_TIF_FOK, 0, 3, 89, 3),
		   E_trade(9, 3, 0, SELL, 9, 7, 3, 1, 90, 2, 1, 0,
				   XT_STATUS_PARTIALLY_FILLED, XT_STATUS_FILLED),
		   E_lvl(9, 0, BUY, 90, 0, 0),
		   E_trade(9, 4, 0, SELL, 9, 8, 3, 2, 89, 1, 0, 1,
				   XT_STATUS_FILLED, XT_STATUS_PARTIALLY_FILLED),
		   E_lvl(9, 0, BUY, 89, 1, 1));
	fx_free(f);
}

XT_TEST(fok_with_stp)
{
	fx		   *f = fx_new(4, 100, 10, 16);

	run(f, c_add(0, 0, 0));
	run(f, c_limit(0, SELL, 1, 100, 2));	/* 2: account 1's own */
	run(f, c_limit(0, SELL, 2, 100, 3));	/* 3 */
	run(f, c_limit(0, SELL, 2, 101, 3));	/* 4 */
	/* the own order comes first: it ends the walk under INCOMING and BOTH */
	run(f, c_stp(c_tif(c_limit(0, BUY, 1, 101, 6), XT_TIF_FOK), XT_STP_CANCEL_INCOMING));
	EXPECT(f, E_acc(5, 0, BUY, XT_TYPE_LIMIT, XT_TIF_FOK, 0, 1, 101, 6),
		   E_exp(5, 5, 0, BUY, 1, 6, XT_EXP_FOK));
	run(f, c_stp(c_tif(c_limit(0, BUY, 1, 101, 6), XT_TIF_FOK), XT_STP_CANCEL_BOTH));
	EXPECT(f, E_acc(6, 0, BUY, XT_TYPE_LIMIT, XT_TIF_FOK, 0, 1, 101, 6),
		   E_exp(6, 6, 0, BUY, 1, 6, XT_EXP_FOK));
	/* under CANCEL_RESTING it is skipped: 6 available, 7 is too many ... */
	run(f, c_tif(c_limit(0, BUY, 1, 101, 7), XT_TIF_FOK));
	EXPECT(f, E_acc(7, 0, BUY, XT_TYPE_LIMIT, XT_TIF_FOK, 0, 1, 101, 7),
		   E_exp(7, 7, 0, BUY, 1, 7, XT_EXP_FOK));
	/* ... and 6 fills, cancelling the own order on the way */
	run(f, c_tif(c_limit(0, BUY, 1, 101, 6), XT_TIF_FOK));
	EXPECT(f, E_acc(8, 0, BUY, XT_TYPE_LIMIT, XT_TIF_FOK, 0, 1, 101, 6),
		   E_cxl(8, 2, 0, SELL, 1, 100, 2, XT_CXL_SELF_TRADE),
		   E_trade(8, 1, 0, BUY, 8, 3, 1, 2, 100, 3, 3, 0,
				   XT_STATUS_PARTIALLY_FILLED, XT_STATUS_FILLED),
		   E_lvl(8, 0, SELL, 100, 0, 0),
		   E_trade(8, 2, 0, BUY, 8, 4, 1, 2, 101, 3, 0, 0, XT_STATUS_FILLED, XT_STATUS_FILLED),
		   E_lvl(8, 0, SELL, 101, 0, 0));
	/* an own order behind enough quantity does not matter */
	run(f, c_limit(0, SELL, 2, 100, 4));	/* 9 */
	run(f, c_limit(0, SELL, 1, 100, 1));	/* 10 */
	run(f, c_stp(c_tif(c_limit(0, BUY, 1, 100, 4), XT_TIF_FOK), XT_STP_CANCEL_INCOMING));
	EXPECT(f, E_acc(11, 0, BUY, XT_TYPE_LIMIT, XT_TIF_FOK, 0, 1, 100, 4),
		   E_trade(11, 3, 0, BUY, 11, 9, 1, 2, 100, 4, 0, 0, XT_STATUS_FILLED, XT_STATUS_FILLED),
		   E_lvl(11, 0, SELL, 100, 1, 1));
	/* own order (10) first in the level, other quantity behind it: BOTH expires untouched */
	run(f, c_limit(0, SELL, 2, 100, 2));	/* 12 */
	run(f, c_stp(c_tif(c_limit(0, BUY, 1, 100, 2), XT_TIF_FOK), XT_STP_CANCEL_BOTH));
	EXPECT(f, E_acc(13, 0, BUY, XT_TYPE_LIMIT, XT_TIF_FOK, 0, 1, 100, 2),
		   E_exp(13, 13, 0, BUY, 1, 2, XT_EXP_FOK));
	check_level(f, 0, XT_SIDE_SELL, 0, 100, 3, 2);
	fx_free(f);
}

XT_TEST(post_only)
{
	fx		   *f = fx_new(4, 100, 10, 16);
	xt_order_info o;
	xt_command	c;

	run(f, c_add(0, 0, 0));
	run(f, c_limit(0, SELL, 1, 100, 5));	/* 2 */
	run(f, c_limit(0, BUY, 2, 98, 5));	/* 3 */
	run(f, c_po(c_limit(0, BUY, 3, 99, 1)));
	EXPECT(f, E_acc(4, 0, BUY, XT_TYPE_LIMIT, XT_TIF_GTC, 1, 3, 99, 1),
		   E_lvl(4, 0, BUY, 99, 1, 1));
	XT_REQUIRE(xt_ref_order(f->ref, 4, &o));
	XT_CHECK_EQ(o.post_only, 1);
	/* touching the best opposite price is crossing */
	run(f, c_po(c_limit(0, BUY, 3, 100, 1)));
	EXPECT(f, E_rej(5, 5, 0, 3, XT_REJ_POST_ONLY_WOULD_CROSS, XT_CMD_NEW_ORDER));
	run(f, c_po(c_limit(0, SELL, 3, 99, 1)));
	EXPECT(f, E_rej(6, 6, 0, 3, XT_REJ_POST_ONLY_WOULD_CROSS, XT_CMD_NEW_ORDER));
	run(f, c_po(c_limit(0, SELL, 3, 100, 2)));
	EXPECT(f, E_acc(7, 0, SELL, XT_TYPE_LIMIT, XT_TIF_GTC, 1, 3, 100, 2),
		   E_lvl(7, 0, SELL, 100, 7, 2));
	/* it is the price that counts, even when the best opposite order is the account's own */
	run(f, c_po(c_limit(0, BUY, 1, 100, 1)));
	EXPECT(f, E_rej(8, 8, 0, 1, XT_REJ_POST_ONLY_WOULD_CROSS, XT_CMD_NEW_ORDER));
	fx_free(f);

	/* capacity comes before post-only (step 3 before step 4) */
	f = fx_new(1, 1, 10, 0);
	run(f, c_add(0, 0, 0));
	run(f, c_limit(0, SELL, 1, 100, 5));
	c = c_po(c_limit(0, BUY, 3, 100, 1));
	run(f, c);
	EXPECT(f, E_rej(3, 3, 0, 3, XT_REJ_ORDER_CAPACITY, XT_CMD_NEW_ORDER));
	fx_free(f);
}

/* ---- self-trade prevention ----------------------------------------------------------------------- */

XT_TEST(stp_cancel_resting)
{
	fx		   *f = fx_new(4, 100, 10, 16);
	xt_order_info o;

	run(f, c_add(0, 0, 0));
	run(f, c_limit(0, SELL, 1, 100, 2));	/* 2 */
	run(f, c_limit(0, SELL, 2, 100, 3));	/* 3 */
	run(f, c_limit(0, SELL, 1, 101, 1));	/* 4 */
	run(f, c_limit(0, BUY, 1, 101, 4));
	EXPECT(f, E_accl(5, 0, BUY, 1, 101, 4),
		   E_cxl(5, 2, 0, SELL, 1, 100, 2, XT_CXL_SELF_TRADE),
		   E_trade(5, 1, 0, BUY, 5, 3, 1, 2, 100, 3, 1, 0,
				   XT_STATUS_PARTIALLY_FILLED, XT_STATUS_FILLED),
		   E_lvl(5, 0, SELL, 100, 0, 0),
		   E_cxl(5, 4, 0, SELL, 1, 101, 1, XT_CXL_SELF_TRADE),
		   E_lvl(5, 0, SELL, 101, 0, 0),
		   E_lvl(5, 0, BUY, 101, 1, 1));
	XT_REQUIRE(xt_ref_order(f->ref, 5, &o));
	XT_CHECK_EQ(o.quantity, 4);
	XT_CHECK_EQ(o.remaining, 1);
	XT_CHECK_EQ(o.status, XT_STATUS_PARTIALLY_FILLED);
	XT_CHECK_EQ(xt_ref_resting_orders(f->ref), 1);
	/* a level of only own orders: cancelled, LEVEL, and the taker rests */
	run(f, c_limit(0, SELL, 2, 102, 1));	/* 6 */
	run(f, c_limit(0, SELL, 2, 102, 1));	/* 7 */
	run(f, c_limit(0, BUY, 2, 102, 1));
	EXPECT(f, E_accl(8, 0, BUY, 2, 102, 1),
		   E_cxl(8, 6, 0, SELL, 2, 102, 1, XT_CXL_SELF_TRADE),
		   E_cxl(8, 7, 0, SELL, 2, 102, 1, XT_CXL_SELF_TRADE),
		   E_lvl(8, 0, SELL, 102, 0, 0),
		   E_lvl(8, 0, BUY, 102, 1, 1));
	fx_free(f);
}

XT_TEST(stp_cancel_incoming)
{
	fx		   *f = fx_new(4, 100, 10, 16);

	run(f, c_add(0, 0, 0));
	run(f, c_limit(0, SELL, 2, 100, 2));	/* 2 */
	run(f, c_limit(0, SELL, 1, 100, 3));	/* 3 */
	run(f, c_limit(0, SELL, 2, 101, 5));	/* 4 */
	run(f, c_stp(c_limit(0, BUY, 1, 101, 10), XT_STP_CANCEL_INCOMING));
	EXPECT(f, E_accl(5, 0, BUY, 1, 101, 10),
		   E_trade(5, 1, 0, BUY, 5, 2, 1, 2, 100, 2, 8, 0,
				   XT_STATUS_PARTIALLY_FILLED, XT_STATUS_FILLED),
		   E_lvl(5, 0, SELL, 100, 3, 1),
		   E_cxl(5, 5, 0, BUY, 1, 101, 8, XT_CXL_SELF_TRADE));
	/* stopped at the first order of a level: its total did not change, so no LEVEL */
	run(f, c_stp(c_limit(0, BUY, 1, 101, 1), XT_STP_CANCEL_INCOMING));
	EXPECT(f, E_accl(6, 0, BUY, 1, 101, 1),
		   E_cxl(6, 6, 0, BUY, 1, 101, 1, XT_CXL_SELF_TRADE));
	/* a market or IOC order stopped by STP is CANCELLED, not EXPIRED; a market's price is 0 */
	run(f, c_stp(c_market(0, BUY, 1, 1, XT_TIF_IOC), XT_STP_CANCEL_INCOMING));
	EXPECT(f, E_acc(7, 0, BUY, XT_TYPE_MARKET, XT_TIF_IOC, 0, 1, 0, 1),
		   E_cxl(7, 7, 0, BUY, 1, 0, 1, XT_CXL_SELF_TRADE));
	run(f, c_stp(c_tif(c_limit(0, BUY, 1, 100, 1), XT_TIF_IOC), XT_STP_CANCEL_INCOMING));
	EXPECT(f, E_acc(8, 0, BUY, XT_TYPE_LIMIT, XT_TIF_IOC, 0, 1, 100, 1),
		   E_cxl(8, 8, 0, BUY, 1, 100, 1, XT_CXL_SELF_TRADE));
	XT_CHECK_EQ(xt_ref_resting_orders(f->ref), 2);
	fx_free(f);
}

XT_TEST(stp_cancel_both)
{
	fx		   *f = fx_new(4, 100, 10, 16);

	run(f, c_add(0, 0, 0));
	run(f, c_limit(0, SELL, 2, 100, 2));	/* 2 */
	run(f, c_limit(0, SELL, 1, 100, 3));	/* 3 */
	run(f, c_limit(0, SELL, 2, 100, 5));	/* 4 */
	run(f, c_stp(c_tif(c_limit(0, BUY, 1, 100, 10), XT_TIF_IOC), XT_STP_CANCEL_BOTH));
	EXPECT(f, E_acc(5, 0, BUY, XT_TYPE_LIMIT, XT_TIF_IOC, 0, 1, 100, 10),
		   E_trade(5, 1, 0, BUY, 5, 2, 1, 2, 100, 2, 8, 0,
				   XT_STATUS_PARTIALLY_FILLED, XT_STATUS_FILLED),
		   E_cxl(5, 3, 0, SELL, 1, 100, 3, XT_CXL_SELF_TRADE),
		   E_lvl(5, 0, SELL, 100, 5, 1),
		   E_cxl(5, 5, 0, BUY, 1, 100, 8, XT_CXL_SELF_TRADE));
	check_level(f, 0, XT_SIDE_SELL, 0, 100, 5, 1);
	/* the sell side: a GTC sell meeting the account's own bid first */
	run(f, c_limit(0, BUY, 3, 90, 4));	/* 6 */
	run(f, c_stp(c_limit(0, SELL, 3, 90, 1), XT_STP_CANCEL_BOTH));
	EXPECT(f, E_accl(7, 0, SELL, 3, 90, 1),
		   E_cxl(7, 6, 0, BUY, 3, 90, 4, XT_CXL_SELF_TRADE),
		   E_lvl(7, 0, BUY, 90, 0, 0),
		   E_cxl(7, 7, 0, SELL, 3, 90, 1, XT_CXL_SELF_TRADE));
	XT_CHECK_EQ(xt_ref_resting_orders(f->ref), 1);
	fx_free(f);
}

/* ---- cancel and amend -------------------------------------------------------------------------- */

XT_TEST(cancel_orders)
{
	fx		   *f = fx_new(4, 100, 10, 16);

	run(f, c_add(0, 0, 0));
	run(f, c_limit(0, BUY, 1, 100, 5));	/* 2 */
	run(f, c_limit(0, BUY, 1, 100, 2));	/* 3 */
	run(f, c_cancel(2, 2));
	EXPECT(f, E_rej(4, 2, 0, 2, XT_REJ_UNKNOWN_ORDER, XT_CMD_CANCEL));
	run(f, c_cancel(1, 2));
	EXPECT(f, E_cxl(5, 2, 0, BUY, 1, 100, 5, XT_CXL_USER), E_lvl(5, 0, BUY, 100, 2, 1));
	run(f, c_cancel(1, 2));
	EXPECT(f, E_rej(6, 2, 0, 1, XT_REJ_UNKNOWN_ORDER, XT_CMD_CANCEL));
	run(f, c_cancel(1, 99));
	EXPECT(f, E_rej(7, 99, 0, 1, XT_REJ_UNKNOWN_ORDER, XT_CMD_CANCEL));
	run(f, c_cancel(1, 3));
	EXPECT(f, E_cxl(8, 3, 0, BUY, 1, 100, 2, XT_CXL_USER), E_lvl(8, 0, BUY, 100, 0, 0));
	/* a partially filled order cancels its remainder; a filled one is gone */
	run(f, c_limit(0, SELL, 1, 100, 5));	/* 9 */
	run(f, c_limit(0, BUY, 2, 100, 2));
	EXPECT(f, E_accl(10, 0, BUY, 2, 100, 2),
		   E_trade(10, 1, 0, BUY, 10, 9, 2, 1, 100, 2, 0, 3,
				   XT_STATUS_FILLED, XT_STATUS_PARTIALLY_FILLED),
		   E_lvl(10, 0, SELL, 100, 3, 1));
	run(f, c_cancel(1, 9));
	EXPECT(f, E_cxl(11, 9, 0, SELL, 1, 100, 3, XT_CXL_USER), E_lvl(11, 0, SELL, 100, 0, 0));
	run(f, c_cancel(2, 10));
	EXPECT(f, E_rej(12, 10, 0, 2, XT_REJ_UNKNOWN_ORDER, XT_CMD_CANCEL));
	XT_CHECK_EQ(xt_ref_resting_orders(f->ref), 0);
	fx_free(f);
}

XT_TEST(amend_quantity)
{
	fx		   *f = fx_new(4, 100, 10, 16);
	xt_order_info o;

	run(f, c_add(0, 0, 0));
	run(f, c_add(1, 2, 50));
	run(f, c_limit(0, BUY, 1, 100, 10));	/* 3 */
	run(f, c_limit(0, BUY, 2, 100, 10));	/* 4 */
	/* down: keeps its place */
	run(f, c_amend(1, 3, 0, 6));
	EXPECT(f, E_amd(5, 3, 0, BUY, 1, 100, 6, 6, XT_STATUS_PENDING, 0),
		   E_lvl(5, 0, BUY, 100, 16, 2));
	XT_REQUIRE(xt_ref_order(f->ref, 3, &o));
	XT_CHECK_U64(o.priority, 3);
	/* up: to the back of the level */
	run(f, c_amend(1, 3, 100, 12));
	EXPECT(f, E_amd(6, 3, 0, BUY, 1, 100, 12, 12, XT_STATUS_PENDING, 1),
		   E_lvl(6, 0, BUY, 100, 22, 2));
	XT_REQUIRE(xt_ref_order(f->ref, 3, &o));
	XT_CHECK_U64(o.priority, 6);
	/* so order 4 now trades first */
	run(f, c_limit(0, SELL, 3, 100, 11));
	EXPECT(f, E_accl(7, 0, SELL, 3, 100, 11),
		   E_trade(7, 1, 0, SELL, 7, 4, 3, 2, 100, 10, 1, 0,
				   XT_STATUS_PARTIALLY_FILLED, XT_STATUS_FILLED),
		   E_trade(7, 2, 0, SELL, 7, 3, 3, 1, 100, 1, 0, 11,
				   XT_STATUS_FILLED, XT_STATUS_PARTIALLY_FILLED),
		   E_lvl(7, 0, BUY, 100, 11, 1));
	/* order 3: quantity 12, filled 1 */
	run(f, c_amend(1, 3, 0, 1));
	EXPECT(f, E_rej(8, 3, 0, 1, XT_REJ_AMEND_QUANTITY, XT_CMD_AMEND));
	run(f, c_amend(1, 3, 0, 2));
	EXPECT(f, E_amd(9, 3, 0, BUY, 1, 100, 2, 1, XT_STATUS_PARTIALLY_FILLED, 0),
		   E_lvl(9, 0, BUY, 100, 1, 1));
	run(f, c_amend(1, 3, 0, 2));
	EXPECT(f, E_rej(10, 3, 0, 1, XT_REJ_AMEND_NOTHING, XT_CMD_AMEND));
	run(f, c_amend(1, 3, 100, 0));
	EXPECT(f, E_rej(11, 3, 0, 1, XT_REJ_AMEND_NOTHING, XT_CMD_AMEND));
	run(f, c_amend(1, 3, 0, 0));
	EXPECT(f, E_rej(12, 3, 0, 1, XT_REJ_AMEND_NOTHING, XT_CMD_AMEND));
	/* check order: owner, price, quantity, limits, filled */
	run(f, c_amend(2, 3, -1, -1));
	EXPECT(f, E_rej(13, 3, 0, 2, XT_REJ_UNKNOWN_ORDER, XT_CMD_AMEND));
	run(f, c_amend(1, 3, -1, -1));
	EXPECT(f, E_rej(14, 3, 0, 1, XT_REJ_INVALID_PRICE, XT_CMD_AMEND));
	run(f, c_amend(1, 3, MAXV + 1, 0));
	EXPECT(f, E_rej(15, 3, 0, 1, XT_REJ_INVALID_PRICE, XT_CMD_AMEND));
	run(f, c_amend(1, 3, 0, -5));
	EXPECT(f, E_rej(16, 3, 0, 1, XT_REJ_INVALID_QUANTITY, XT_CMD_AMEND));
	run(f, c_amend(1, 3, 0, MAXV + 1));
	EXPECT(f, E_rej(17, 3, 0, 1, XT_REJ_INVALID_QUANTITY, XT_CMD_AMEND));
	run(f, c_amend(1, 77, 0, 5));
	EXPECT(f, E_rej(18, 77, 0, 1, XT_REJ_UNKNOWN_ORDER, XT_CMD_AMEND));
	/* symbol 1 has min 2, max 50 */
	run(f, c_limit(1, BUY, 1, 100, 10));	/* 19 */
	run(f, c_amend(1, 19, 0, 1));
	EXPECT(f, E_rej(20, 19, 0, 1, XT_REJ_QUANTITY_BELOW_MIN, XT_CMD_AMEND));
	run(f, c_amend(1, 19, 0, 51));
	EXPECT(f, E_rej(21, 19, 0, 1, XT_REJ_QUANTITY_ABOVE_MAX, XT_CMD_AMEND));
	run(f, c_amend(1, 19, 0, 50));
	EXPECT(f, E_amd(22, 19, 1, BUY, 1, 100, 50, 50, XT_STATUS_PENDING, 1),
		   E_lvl(22, 1, BUY, 100, 50, 1));
	fx_free(f);
}

XT_TEST(amend_price)
{
	fx		   *f = fx_new(4, 100, 10, 16);
	xt_order_info o;

	run(f, c_add(0, 0, 0));
	run(f, c_limit(0, BUY, 1, 100, 5));	/* 2 */
	run(f, c_limit(0, BUY, 2, 100, 5));	/* 3 */
	run(f, c_limit(0, SELL, 3, 105, 4));	/* 4 */
	run(f, c_limit(0, SELL, 3, 106, 4));	/* 5 */
	run(f, c_amend(1, 2, 101, 0));
	EXPECT(f, E_amd(6, 2, 0, BUY, 1, 101, 5, 5, XT_STATUS_PENDING, 1),
		   E_lvl(6, 0, BUY, 100, 5, 1),
		   E_lvl(6, 0, BUY, 101, 5, 1));
	XT_REQUIRE(xt_ref_order(f->ref, 2, &o));
	XT_CHECK_U64(o.priority, 6);
	/* a new price that crosses trades as a taker; the taker's status counts the new total */
	run(f, c_amend(1, 2, 105, 6));
	EXPECT(f, E_amd(7, 2, 0, BUY, 1, 105, 6, 6, XT_STATUS_PENDING, 1),
		   E_lvl(7, 0, BUY, 101, 0, 0),
		   E_trade(7, 1, 0, BUY, 2, 4, 1, 3, 105, 4, 2, 0,
				   XT_STATUS_PARTIALLY_FILLED, XT_STATUS_FILLED),
		   E_lvl(7, 0, SELL, 105, 0, 0),
		   E_lvl(7, 0, BUY, 105, 2, 1));
	XT_REQUIRE(xt_ref_order(f->ref, 2, &o));
	XT_CHECK_U64(o.priority, 7);
	XT_CHECK_EQ(o.quantity, 6);
	XT_CHECK_EQ(o.remaining, 2);
	/* a lower price of a partially filled order */
	run(f, c_amend(1, 2, 99, 0));
	EXPECT(f, E_amd(8, 2, 0, BUY, 1, 99, 6, 2, XT_STATUS_PARTIALLY_FILLED, 1),
		   E_lvl(8, 0, BUY, 105, 0, 0),
		   E_lvl(8, 0, BUY, 99, 2, 1));
	/* price and quantity at once: remaining = 9 - 4 filled */
	run(f, c_amend(1, 2, 107, 9));
	EXPECT(f, E_amd(9, 2, 0, BUY, 1, 107, 9, 5, XT_STATUS_PARTIALLY_FILLED, 1),
		   E_lvl(9, 0, BUY, 99, 0, 0),
		   E_trade(9, 2, 0, BUY, 2, 5, 1, 3, 106, 4, 1, 0,
				   XT_STATUS_PARTIALLY_FILLED, XT_STATUS_FILLED),
		   E_lvl(9, 0, SELL, 106, 0, 0),
		   E_lvl(9, 0, BUY, 107, 1, 1));
	/* the amended order's own STP mode applies: CANCEL_RESTING */
	run(f, c_limit(0, SELL, 2, 108, 3));	/* 10 */
	run(f, c_amend(2, 3, 108, 0));
	EXPECT(f, E_amd(11, 3, 0, BUY, 2, 108, 5, 5, XT_STATUS_PENDING, 1),
		   E_lvl(11, 0, BUY, 100, 0, 0),
		   E_cxl(11, 10, 0, SELL, 2, 108, 3, XT_CXL_SELF_TRADE),
		   E_lvl(11, 0, SELL, 108, 0, 0),
		   E_lvl(11, 0, BUY, 108, 5, 1));
	/* CANCEL_INCOMING: the amended order is cancelled, the own order stays */
	run(f, c_stp(c_limit(0, BUY, 3, 90, 2), XT_STP_CANCEL_INCOMING));	/* 12 */
	run(f, c_limit(0, SELL, 3, 110, 1));	/* 13 */
	run(f, c_amend(3, 12, 110, 0));
	EXPECT(f, E_amd(14, 12, 0, BUY, 3, 110, 2, 2, XT_STATUS_PENDING, 1),
		   E_lvl(14, 0, BUY, 90, 0, 0),
		   E_cxl(14, 12, 0, BUY, 3, 110, 2, XT_CXL_SELF_TRADE));
	XT_CHECK(!xt_ref_order(f->ref, 12, &o));
	XT_CHECK(xt_ref_order(f->ref, 13, &o));
	/* an amend that fills the order completely: it does not rest */
	run(f, c_amend(2, 3, 110, 1));
	EXPECT(f, E_amd(15, 3, 0, BUY, 2, 110, 1, 1, XT_STATUS_PENDING, 1),
		   E_lvl(15, 0, BUY, 108, 0, 0),
		   E_trade(15, 3, 0, BUY, 3, 13, 2, 3, 110, 1, 0, 0, XT_STATUS_FILLED, XT_STATUS_FILLED),
		   E_lvl(15, 0, SELL, 110, 0, 0));
	XT_CHECK(!xt_ref_order(f->ref, 3, &o));
	fx_free(f);
}

XT_TEST(amend_post_only)
{
	fx		   *f = fx_new(4, 100, 10, 16);
	xt_order_info o;

	run(f, c_add(0, 0, 0));
	run(f, c_limit(0, SELL, 1, 100, 5));	/* 2 */
	run(f, c_po(c_limit(0, BUY, 2, 98, 5)));	/* 3 */
	run(f, c_amend(2, 3, 100, 0));
	EXPECT(f, E_rej(4, 3, 0, 2, XT_REJ_POST_ONLY_WOULD_CROSS, XT_CMD_AMEND));
	XT_REQUIRE(xt_ref_order(f->ref, 3, &o));
	XT_CHECK_EQ(o.price, 98);
	XT_CHECK_U64(o.priority, 3);
	run(f, c_amend(2, 3, 99, 0));
	EXPECT(f, E_amd(5, 3, 0, BUY, 2, 99, 5, 5, XT_STATUS_PENDING, 1),
		   E_lvl(5, 0, BUY, 98, 0, 0),
		   E_lvl(5, 0, BUY, 99, 5, 1));
	XT_REQUIRE(xt_ref_order(f->ref, 3, &o));
	XT_CHECK_EQ(o.post_only, 1);
	fx_free(f);
}

/* ---- client order ids ---------------------------------------------------------------------------- */

XT_TEST(duplicates)
{
	fx		   *f = fx_new(4, 100, 10, 3);
	xt_command	c;

	run(f, c_add(0, 0, 0));
	run(f, c_add(1, 0, 0));
	/* IOC orders on an empty book: accepted and expired, so only the window changes */
#define IOC(sym, acct, id) c_clordid(c_tif(c_limit((sym), BUY, (acct), 100, 5), XT_TIF_IOC), (id))
	run(f, IOC(0, 1, "A"));
	EXPECT(f, E_acc(3, 0, BUY, XT_TYPE_LIMIT, XT_TIF_IOC, 0, 1, 100, 5),
		   E_exp(3, 3, 0, BUY, 1, 5, XT_EXP_IOC));
	/* the command's symbol is reported, the original order id */
	run(f, IOC(1, 1, "A"));
	EXPECT(f, E_dup(4, 3, 1, 1));
	/* per account */
	run(f, IOC(0, 2, "A"));
	EXPECT(f, E_acc(5, 0, BUY, XT_TYPE_LIMIT, XT_TIF_IOC, 0, 2, 100, 5),
		   E_exp(5, 5, 0, BUY, 2, 5, XT_EXP_IOC));
	/* validation comes first; a rejected order does not enter the window */
	c = IOC(0, 1, "B");
	c.quantity = 0;
	run(f, c);
	EXPECT(f, E_rej(6, 6, 0, 1, XT_REJ_INVALID_QUANTITY, XT_CMD_NEW_ORDER));
	c = IOC(0, 1, "A");
	c.quantity = 0;
	run(f, c);
	EXPECT(f, E_rej(7, 7, 0, 1, XT_REJ_INVALID_QUANTITY, XT_CMD_NEW_ORDER));
	run(f, IOC(0, 1, "B"));
	EXPECT(f, E_acc(8, 0, BUY, XT_TYPE_LIMIT, XT_TIF_IOC, 0, 1, 100, 5),
		   E_exp(8, 8, 0, BUY, 1, 5, XT_EXP_IOC));
	/* window (3): (1,A,3) (2,A,5) (1,B,8); "AB" is another id than "A" */
	run(f, IOC(0, 1, "AB"));	/* 9: evicts (1,A,3) */
	EXPECT(f, E_acc(9, 0, BUY, XT_TYPE_LIMIT, XT_TIF_IOC, 0, 1, 100, 5),
		   E_exp(9, 9, 0, BUY, 1, 5, XT_EXP_IOC));
	run(f, IOC(0, 1, "A"));		/* 10: evicted, so new; evicts (2,A,5) */
	EXPECT(f, E_acc(10, 0, BUY, XT_TYPE_LIMIT, XT_TIF_IOC, 0, 1, 100, 5),
		   E_exp(10, 10, 0, BUY, 1, 5, XT_EXP_IOC));
	run(f, IOC(0, 2, "A"));		/* 11: new again; evicts (1,B,8) */
	EXPECT(f, E_acc(11, 0, BUY, XT_TYPE_LIMIT, XT_TIF_IOC, 0, 2, 100, 5),
		   E_exp(11, 11, 0, BUY, 2, 5, XT_EXP_IOC));
	run(f, IOC(0, 1, "AB"));
	EXPECT(f, E_dup(12, 9, 0, 1));
	/* bytes past clordid_len are not part of the id */
	c = IOC(0, 1, "A");
	memset(c.clordid + 1, 'x', XT_CLORDID_MAX - 1);
	run(f, c);
	EXPECT(f, E_dup(13, 10, 0, 1));
	/* a duplicate does not refresh its window entry: (1,A,10) is still the oldest */
	run(f, IOC(0, 3, "Z"));		/* 14: evicts (1,AB,9) */
	run(f, IOC(0, 1, "A"));
	EXPECT(f, E_dup(15, 10, 0, 1));
	run(f, IOC(0, 3, "Y"));		/* 16: evicts (1,A,10) */
	run(f, IOC(0, 1, "A"));
	EXPECT(f, E_acc(17, 0, BUY, XT_TYPE_LIMIT, XT_TIF_IOC, 0, 1, 100, 5),
		   E_exp(17, 17, 0, BUY, 1, 5, XT_EXP_IOC));
	/* the window is not tied to resting: a cancelled order's id stays a duplicate */
	run(f, c_clordid(c_limit(0, BUY, 4, 100, 5), "R"));	/* 18 */
	run(f, c_cancel(4, 18));
	run(f, c_clordid(c_limit(0, BUY, 4, 100, 5), "R"));
	EXPECT(f, E_dup(20, 18, 0, 4));
	/* no clordid: never a duplicate */
	run(f, c_tif(c_limit(0, BUY, 4, 100, 5), XT_TIF_IOC));
	EXPECT(f, E_acc(21, 0, BUY, XT_TYPE_LIMIT, XT_TIF_IOC, 0, 4, 100, 5),
		   E_exp(21, 21, 0, BUY, 4, 5, XT_EXP_IOC));
	fx_free(f);

	/* max_clordids 0 disables dedup */
	f = fx_new(1, 10, 10, 0);
	run(f, c_add(0, 0, 0));
	run(f, IOC(0, 1, "A"));
	run(f, IOC(0, 1, "A"));
	EXPECT(f, E_acc(3, 0, BUY, XT_TYPE_LIMIT, XT_TIF_IOC, 0, 1, 100, 5),
		   E_exp(3, 3, 0, BUY, 1, 5, XT_EXP_IOC));
#undef IOC
	fx_free(f);
}

/* ---- capacity ------------------------------------------------------------------------------------ */

XT_TEST(order_capacity)
{
	fx		   *f = fx_new(2, 2, 10, 10);

	run(f, c_add(0, 0, 0));
	run(f, c_limit(0, BUY, 1, 100, 1));	/* 2 */
	run(f, c_limit(0, SELL, 1, 105, 1));	/* 3 */
	run(f, c_limit(0, BUY, 2, 100, 1));
	EXPECT(f, E_rej(4, 4, 0, 2, XT_REJ_ORDER_CAPACITY, XT_CMD_NEW_ORDER));
	/* checked for any limit GTC, even one that would fill at once */
	run(f, c_limit(0, BUY, 2, 105, 1));
	EXPECT(f, E_rej(5, 5, 0, 2, XT_REJ_ORDER_CAPACITY, XT_CMD_NEW_ORDER));
	/* ... but not for IOC or market */
	run(f, c_tif(c_limit(0, BUY, 2, 105, 1), XT_TIF_IOC));
	EXPECT(f, E_acc(6, 0, BUY, XT_TYPE_LIMIT, XT_TIF_IOC, 0, 2, 105, 1),
		   E_trade(6, 1, 0, BUY, 6, 3, 2, 1, 105, 1, 0, 0, XT_STATUS_FILLED, XT_STATUS_FILLED),
		   E_lvl(6, 0, SELL, 105, 0, 0));
	run(f, c_limit(0, BUY, 2, 101, 1));
	EXPECT(f, E_accl(7, 0, BUY, 2, 101, 1), E_lvl(7, 0, BUY, 101, 1, 1));
	/* a duplicate is answered before capacity is looked at */
	run(f, c_clordid(c_tif(c_limit(0, SELL, 2, 200, 1), XT_TIF_IOC), "X"));	/* 8 */
	run(f, c_clordid(c_limit(0, SELL, 2, 200, 1), "X"));
	EXPECT(f, E_dup(9, 8, 0, 2));
	run(f, c_clordid(c_limit(0, SELL, 2, 200, 1), "Y"));
	EXPECT(f, E_rej(10, 10, 0, 2, XT_REJ_ORDER_CAPACITY, XT_CMD_NEW_ORDER));
	fx_free(f);

	/* pool full is reported before a missing level */
	f = fx_new(1, 1, 1, 0);
	run(f, c_add(0, 0, 0));
	run(f, c_limit(0, BUY, 1, 100, 1));
	run(f, c_limit(0, BUY, 1, 99, 1));
	EXPECT(f, E_rej(3, 3, 0, 1, XT_REJ_ORDER_CAPACITY, XT_CMD_NEW_ORDER));
	fx_free(f);
}

XT_TEST(level_capacity)
{
	fx		   *f = fx_new(4, 100, 2, 10);
	xt_order_info o;

	run(f, c_add(0, 0, 0));
	run(f, c_add(1, 0, 0));
	run(f, c_limit(0, BUY, 1, 100, 1));	/* 3 */
	run(f, c_limit(0, BUY, 1, 99, 1));	/* 4 */
	run(f, c_limit(0, BUY, 1, 98, 1));
	EXPECT(f, E_rej(5, 5, 0, 1, XT_REJ_LEVEL_CAPACITY, XT_CMD_NEW_ORDER));
	run(f, c_limit(0, BUY, 1, 99, 1));	/* 6: existing level */
	EXPECT(f, E_accl(6, 0, BUY, 1, 99, 1), E_lvl(6, 0, BUY, 99, 2, 2));
	/* per side and per symbol */
	run(f, c_limit(0, SELL, 1, 101, 1));	/* 7 */
	run(f, c_limit(0, SELL, 1, 102, 1));	/* 8 */
	run(f, c_limit(0, SELL, 1, 103, 1));
	EXPECT(f, E_rej(9, 9, 0, 1, XT_REJ_LEVEL_CAPACITY, XT_CMD_NEW_ORDER));
	run(f, c_limit(1, BUY, 1, 50, 1));
	EXPECT(f, E_accl(10, 1, BUY, 1, 50, 1), E_lvl(10, 1, BUY, 50, 1, 1));
	/* an IOC needs no level */
	run(f, c_tif(c_limit(0, BUY, 1, 98, 1), XT_TIF_IOC));
	EXPECT(f, E_acc(11, 0, BUY, XT_TYPE_LIMIT, XT_TIF_IOC, 0, 1, 98, 1),
		   E_exp(11, 11, 0, BUY, 1, 1, XT_EXP_IOC));
	/* a GTC at a new price is refused on a full side even if it would trade at once */
	run(f, c_limit(0, SELL, 2, 97, 1));
	EXPECT(f, E_rej(12, 12, 0, 2, XT_REJ_LEVEL_CAPACITY, XT_CMD_NEW_ORDER));
	/* amend to a new price on a full side */
	run(f, c_amend(1, 4, 98, 0));
	EXPECT(f, E_rej(13, 4, 0, 1, XT_REJ_LEVEL_CAPACITY, XT_CMD_AMEND));
	/*
	 * Order 3 is alone at 100: moving it would free its level, but the side is full when the
	 * amend is checked (AMEND step 2 counts the book as it is), so it is refused.
	 */
	run(f, c_amend(1, 3, 97, 0));
	EXPECT(f, E_rej(14, 3, 0, 1, XT_REJ_LEVEL_CAPACITY, XT_CMD_AMEND));
	XT_REQUIRE(xt_ref_order(f->ref, 3, &o));
	XT_CHECK_EQ(o.price, 100);
	/* to an existing level is fine */
	run(f, c_amend(1, 3, 99, 0));
	EXPECT(f, E_amd(15, 3, 0, BUY, 1, 99, 1, 1, XT_STATUS_PENDING, 1),
		   E_lvl(15, 0, BUY, 100, 0, 0),
		   E_lvl(15, 0, BUY, 99, 3, 3));
	XT_CHECK_EQ(depth_levels(f, 0, XT_SIDE_BUY), 1);
	fx_free(f);
}

XT_TEST(level_overflow)
{
	fx		   *f = fx_new(1, 2000, 4, 0);
	uint64_t	s = 0;
	int64_t		total;

	run(f, c_add(0, 0, 0));
	/* 1024 orders of 2^53 - 1 make 2^63 - 1024: 1023 more fit, 1024 do not */
	for (int i = 0; i < 1024; i++)
		s = run(f, c_limit(0, BUY, 1, 100, MAXV));
	total = 1024 * MAXV;
	EXPECT(f, E_accl(s, 0, BUY, 1, 100, MAXV), E_lvl(s, 0, BUY, 100, total, 1024));
	s = run(f, c_limit(0, BUY, 2, 100, 1024));
	EXPECT(f, E_rej(s, s, 0, 2, XT_REJ_LEVEL_OVERFLOW, XT_CMD_NEW_ORDER));
	s = run(f, c_limit(0, BUY, 2, 100, 1000));
	EXPECT(f, E_accl(s, 0, BUY, 2, 100, 1000), E_lvl(s, 0, BUY, 100, INT64_MAX - 23, 1025));
	/* growing it by 24 at the same price would pass INT64_MAX too */
	run(f, c_amend(2, s, 0, 1024));
	EXPECT(f, E_rej(s + 1, s, 0, 2, XT_REJ_LEVEL_OVERFLOW, XT_CMD_AMEND));
	run(f, c_amend(2, s, 0, 1023));
	EXPECT(f, E_amd(s + 2, s, 0, BUY, 2, 100, 1023, 1023, XT_STATUS_PENDING, 1),
		   E_lvl(s + 2, 0, BUY, 100, INT64_MAX, 1025));
	check_level(f, 0, XT_SIDE_BUY, 0, 100, INT64_MAX, 1025);
	/* moving another order onto the full level */
	s = run(f, c_limit(0, BUY, 2, 99, 1));
	run(f, c_amend(2, s, 100, 0));
	EXPECT(f, E_rej(s + 1, s, 0, 2, XT_REJ_LEVEL_OVERFLOW, XT_CMD_AMEND));
	/* trades of the largest quantities */
	s = run(f, c_market(0, SELL, 3, MAXV, XT_TIF_IOC));
	EXPECT(f, E_acc(s, 0, SELL, XT_TYPE_MARKET, XT_TIF_IOC, 0, 3, 0, MAXV),
		   E_trade(s, 1, 0, SELL, s, 2, 3, 1, 100, MAXV, 0, 0,
				   XT_STATUS_FILLED, XT_STATUS_FILLED),
		   E_lvl(s, 0, BUY, 100, INT64_MAX - MAXV, 1024));
	fx_free(f);
}

/* ---- the hash ------------------------------------------------------------------------------------ */

static uint64_t
fnv_bytes(uint64_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		h ^= p[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

/* FNV-1a over a list of words, each written out as 8 little-endian bytes */
static uint64_t
fnv_words(const uint64_t *w, size_t n, const char *clordid_tail, size_t tail_len)
{
	uint64_t	h = UINT64_C(0xcbf29ce484222325);

	for (size_t i = 0; i < n; i++)
	{
		unsigned char b[8];

		for (int k = 0; k < 8; k++)
			b[k] = (unsigned char) (w[i] >> (8 * k));
		h = fnv_bytes(h, b, 8);
	}
	/* the clordid bytes as they are, zero-padded: the same as little-endian words */
	if (tail_len > 0)
	{
		unsigned char pad[XT_CLORDID_MAX + 8];

		memset(pad, 0, sizeof(pad));
		memcpy(pad, clordid_tail, tail_len);
		h = fnv_bytes(h, pad, (tail_len + 7) / 8 * 8);
	}
	return h;
}

XT_TEST(hash_definition)
{
	fx		   *f = fx_new(8, 100, 10, 4);
	const uint64_t empty[] = {0, 0, 0};

	XT_CHECK_U64(xt_ref_hash(f->ref), fnv_words(empty, 3, NULL, 0));
	/* a known value: FNV-1a 64 of 24 zero bytes */
	{
		unsigned char z[24] = {0};

		XT_CHECK_U64(xt_ref_hash(f->ref), fnv_bytes(UINT64_C(0xcbf29ce484222325), z, 24));
	}

	run(f, c_add(3, 2, 100));
	{
		const uint64_t w[] = {1, 0, 3, 2, 100, 0, 0, 0};

		XT_CHECK_U64(xt_ref_hash(f->ref), fnv_words(w, 8, NULL, 0));
	}
	run(f, c_clordid(c_stp(c_limit(3, BUY, 7, 50, 10), XT_STP_CANCEL_BOTH), "abcdefghij"));
	run(f, c_po(c_limit(3, SELL, 8, 60, 4)));
	run(f, c_limit(3, BUY, 9, 50, 5));
	run(f, c_limit(3, BUY, 9, 49, 6));
	{
		const uint64_t w[] = {
			5, 0,
			3, 2, 100,
			2,					/* buy levels */
			50, 15, 2,
			2, 7, 2, 50, 10, 10, 0 | 2 << 8 | 0 << 16,
			4, 9, 4, 50, 5, 5, 0,
			49, 6, 1,
			5, 9, 5, 49, 6, 6, 0,
			1,					/* sell levels */
			60, 4, 1,
			3, 8, 3, 60, 4, 4, 1 | 0 << 8 | 1 << 16,
			1,					/* dedup window */
			7, 2, 10,
		};

		XT_CHECK_U64(xt_ref_hash(f->ref), fnv_words(w, sizeof(w) / sizeof(w[0]), "abcdefghij", 10));
	}
	/* a trade: last_trade_id, remaining and the level total move */
	run(f, c_tif(c_limit(3, SELL, 8, 50, 3), XT_TIF_IOC));
	{
		const uint64_t w[] = {
			6, 1,
			3, 2, 100,
			2,
			50, 12, 2,
			2, 7, 2, 50, 10, 7, 0 | 2 << 8 | 0 << 16,
			4, 9, 4, 50, 5, 5, 0,
			49, 6, 1,
			5, 9, 5, 49, 6, 6, 0,
			1,
			60, 4, 1,
			3, 8, 3, 60, 4, 4, 1 | 0 << 8 | 1 << 16,
			1,
			7, 2, 10,
		};

		XT_CHECK_U64(xt_ref_hash(f->ref), fnv_words(w, sizeof(w) / sizeof(w[0]), "abcdefghij", 10));
	}
	fx_free(f);
}

XT_TEST(hash_changes)
{
	fx		   *a = fx_new(4, 100, 10, 4);
	fx		   *b = fx_new(4, 100, 10, 4);
	uint64_t	h;

	run(a, c_add(0, 0, 0));
	run(b, c_add(0, 0, 0));
	run(a, c_limit(0, BUY, 1, 100, 5));
	run(b, c_limit(0, BUY, 1, 100, 5));
	XT_CHECK_U64(xt_ref_hash(a->ref), xt_ref_hash(b->ref));

	/* same orders, other FIFO order: different hash */
	run(a, c_limit(0, BUY, 2, 100, 5));
	run(a, c_limit(0, BUY, 3, 100, 5));
	run(b, c_limit(0, BUY, 3, 100, 5));
	run(b, c_limit(0, BUY, 2, 100, 5));
	XT_CHECK(xt_ref_hash(a->ref) != xt_ref_hash(b->ref));

	/* every state change moves the hash, including a rejection (last_seq) and an amend */
	h = xt_ref_hash(a->ref);
	run(a, c_cancel(9, 2));
	XT_CHECK(xt_ref_hash(a->ref) != h);
	h = xt_ref_hash(a->ref);
	run(a, c_amend(1, 2, 0, 4));
	XT_CHECK(xt_ref_hash(a->ref) != h);
	fx_free(a);
	fx_free(b);
}

XT_TEST_MAIN()
