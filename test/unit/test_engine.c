/*
 * test_engine.c: unit tests of the matching engine core (src/engine).
 *
 * Owns: the behavioural tests of engine.h: every command, order type, time in force, STP mode,
 * rejection reason and capacity limit, with the exact event list of each case; queries; the state
 * hash (including a hand-computed value); snapshots; the invariant checker; and a seeded random
 * stress run with snapshot/restore and relocation checks. Built with -DXT_CHECK_INVARIANTS, so the
 * engine also checks every invariant after every command.
 *
 * The test includes book.h only to corrupt a state on purpose for xt_engine_check.
 */
#include "engine/engine.h"
#include "engine/book.h"

#include "xt_test.h"

/* ---- fixture ------------------------------------------------------------------------------------ */

#define LOG_MAX 256
#define A 1						/* accounts */
#define B 2
#define C 3
#define BUY XT_SIDE_BUY
#define SELL XT_SIDE_SELL
#define VMAX XT_VALUE_MAX

typedef struct fx
{
	xt_engine  *e;
	void	   *mem;
	size_t		size;
	uint64_t	seq;			/* last seq applied */
	int			n;				/* events of the last command */
	bool		overflow;
	xt_event	ev[LOG_MAX];
} fx;

static const xt_engine_config small_cfg = {4, 64, 8, 4};

static void
fx_sink(void *ctx, const xt_event *ev)
{
	fx		   *f = ctx;

	if (f->n < LOG_MAX)
		f->ev[f->n++] = *ev;
	else
		f->overflow = true;
}

static void *
alloc_block(size_t size)
{
	void	   *mem = aligned_alloc(64, (size + 63) & ~(size_t) 63);

	if (mem == NULL)
	{
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	return mem;
}

static void
fx_apply_raw(fx *f, const xt_command *c)
{
	f->n = 0;
	f->overflow = false;
	if (xt_engine_apply(f->e, c, fx_sink, f) != XT_OK)
		XT_FAIL_AT("apply of seq %llu failed", (unsigned long long) c->seq);
	f->seq = xt_engine_last_seq(f->e);
}

/* Apply c with the next seq; returns that seq (the order id of a new order). */
static uint64_t
fx_do(fx *f, xt_command c)
{
	c.seq = f->seq + 1;
	fx_apply_raw(f, &c);
	return c.seq;
}

static xt_command
c_add_symbol(uint32_t symbol, int64_t min, int64_t max)
{
	xt_command	c;

	memset(&c, 0, sizeof(c));
	c.type = XT_CMD_ADD_SYMBOL;
	c.symbol = symbol;
	c.quantity = min;
	c.max_quantity = max;
	return c;
}

/* A GTC limit order on symbol 0. */
static xt_command
c_new(uint64_t account, int side, int64_t price, int64_t qty)
{
	xt_command	c;

	memset(&c, 0, sizeof(c));
	c.type = XT_CMD_NEW_ORDER;
	c.side = (uint8_t) side;
	c.order_type = XT_TYPE_LIMIT;
	c.tif = XT_TIF_GTC;
	c.stp = XT_STP_CANCEL_RESTING;
	c.account = account;
	c.price = price;
	c.quantity = qty;
	return c;
}

static xt_command
c_tif(uint64_t account, int side, int64_t price, int64_t qty, int tif)
{
	xt_command	c = c_new(account, side, price, qty);

	c.tif = (uint8_t) tif;
	return c;
}

static xt_command
c_market(uint64_t account, int side, int64_t qty, int tif)
{
	xt_command	c = c_new(account, side, 0, qty);

	c.order_type = XT_TYPE_MARKET;
	c.tif = (uint8_t) tif;
	return c;
}

static xt_command
c_stp(xt_command c, int stp)
{
	c.stp = (uint8_t) stp;
	return c;
}

static xt_command
c_clordid(xt_command c, const char *id)
{
	c.clordid_len = (uint8_t) strlen(id);
	memcpy(c.clordid, id, strlen(id));
	return c;
}

static xt_command
c_cancel(uint64_t account, uint64_t id)
{
	xt_command	c;

	memset(&c, 0, sizeof(c));
	c.type = XT_CMD_CANCEL;
	c.account = account;
	c.order_id = id;
	return c;
}

static xt_command
c_amend(uint64_t account, uint64_t id, int64_t price, int64_t qty)
{
	xt_command	c = c_cancel(account, id);

	c.type = XT_CMD_AMEND;
	c.price = price;
	c.quantity = qty;
	return c;
}

/* An engine for cfg with symbol 0 registered (min 1, max XT_VALUE_MAX) as seq 1. */
static fx *
fx_open_bare(const xt_engine_config *cfg)
{
	fx		   *f = calloc(1, sizeof(fx));

	if (f == NULL)
		exit(2);
	f->size = xt_engine_size(cfg);
	f->mem = alloc_block(f->size);
	if (xt_engine_init(f->mem, f->size, cfg, &f->e) != XT_OK)
	{
		fprintf(stderr, "engine init failed\n");
		exit(2);
	}
	return f;
}

static fx *
fx_open(const xt_engine_config *cfg)
{
	fx		   *f = fx_open_bare(cfg);

	fx_do(f, c_add_symbol(0, 0, 0));
	return f;
}

static void
fx_close(fx *f)
{
	free(f->mem);
	free(f);
}

/* ---- expected events ------------------------------------------------------------------------- */

static xt_event
ev_base(uint64_t seq, int type)
{
	xt_event	ev;

	memset(&ev, 0, sizeof(ev));
	ev.seq = seq;
	ev.type = (uint8_t) type;
	return ev;
}

static xt_event
ev_acc(uint64_t seq, int side, int type, int tif, int post_only, uint64_t account, int64_t price,
	   int64_t qty)
{
	xt_event	ev = ev_base(seq, XT_EV_ACCEPTED);

	ev.order_id = seq;
	ev.side = (uint8_t) side;
	ev.order_type = (uint8_t) type;
	ev.tif = (uint8_t) tif;
	ev.post_only = (uint8_t) post_only;
	ev.account = account;
	ev.price = price;
	ev.quantity = qty;
	ev.remaining = qty;
	ev.status = XT_STATUS_PENDING;
	return ev;
}

/* ACCEPTED of a GTC limit order on symbol 0. */
static xt_event
ev_acc_gtc(uint64_t seq, int side, uint64_t account, int64_t price, int64_t qty)
{
	return ev_acc(seq, side, XT_TYPE_LIMIT, XT_TIF_GTC, 0, account, price, qty);
}

static xt_event
ev_rej(uint64_t seq, uint64_t order_id, uint32_t symbol, uint64_t account, int reason, int command)
{
	xt_event	ev = ev_base(seq, XT_EV_REJECTED);

	ev.order_id = order_id;
	ev.symbol = symbol;
	ev.account = account;
	ev.reason = (uint8_t) reason;
	ev.command = (uint8_t) command;
	return ev;
}

/* REJECTED of a new order on symbol 0 (its id is its seq). */
static xt_event
ev_rej_new(uint64_t seq, uint64_t account, int reason)
{
	return ev_rej(seq, seq, 0, account, reason, XT_CMD_NEW_ORDER);
}

static xt_event
ev_trade(uint64_t seq, uint64_t trade_id, int side, uint64_t taker, uint64_t maker,
		 uint64_t account, uint64_t maker_account, int64_t price, int64_t qty,
		 int64_t taker_qty, int64_t remaining, int64_t maker_qty, int64_t maker_remaining)
{
	xt_event	ev = ev_base(seq, XT_EV_TRADE);

	ev.trade_id = trade_id;
	ev.side = (uint8_t) side;
	ev.order_id = taker;
	ev.maker_order_id = maker;
	ev.account = account;
	ev.maker_account = maker_account;
	ev.price = price;
	ev.quantity = qty;
	ev.remaining = remaining;
	ev.maker_remaining = maker_remaining;
	ev.status = (uint8_t) xt_status_of(taker_qty, remaining);
	ev.maker_status = (uint8_t) xt_status_of(maker_qty, maker_remaining);
	return ev;
}

static xt_event
ev_cxl(uint64_t seq, uint64_t id, int side, uint64_t account, int64_t price, int64_t remaining,
	   int reason)
{
	xt_event	ev = ev_base(seq, XT_EV_CANCELLED);

	ev.order_id = id;
	ev.side = (uint8_t) side;
	ev.account = account;
	ev.price = price;
	ev.remaining = remaining;
	ev.reason = (uint8_t) reason;
	ev.status = XT_STATUS_CANCELLED;
	return ev;
}

static xt_event
ev_exp(uint64_t seq, uint64_t id, int side, uint64_t account, int64_t remaining, int reason)
{
	xt_event	ev = ev_base(seq, XT_EV_EXPIRED);

	ev.order_id = id;
	ev.side = (uint8_t) side;
	ev.account = account;
	ev.remaining = remaining;
	ev.reason = (uint8_t) reason;
	ev.status = XT_STATUS_EXPIRED;
	return ev;
}

static xt_event
ev_amd(uint64_t seq, uint64_t id, int side, uint64_t account, int64_t price, int64_t qty,
	   int64_t remaining, int priority_lost)
{
	xt_event	ev = ev_base(seq, XT_EV_AMENDED);

	ev.order_id = id;
	ev.side = (uint8_t) side;
	ev.account = account;
	ev.price = price;
	ev.quantity = qty;
	ev.remaining = remaining;
	ev.status = (uint8_t) xt_status_of(qty, remaining);
	ev.priority_lost = (uint8_t) priority_lost;
	return ev;
}

static xt_event
ev_lvl(uint64_t seq, int side, int64_t price, int64_t total, uint32_t orders)
{
	xt_event	ev = ev_base(seq, XT_EV_LEVEL);

	ev.side = (uint8_t) side;
	ev.price = price;
	ev.level_quantity = total;
	ev.level_orders = orders;
	return ev;
}

static xt_event
ev_dup(uint64_t seq, uint64_t original, uint64_t account)
{
	xt_event	ev = ev_base(seq, XT_EV_DUPLICATE);

	ev.order_id = original;
	ev.account = account;
	return ev;
}

static xt_event
ev_sym(uint64_t seq, uint32_t symbol, int64_t min, int64_t max)
{
	xt_event	ev = ev_base(seq, XT_EV_SYMBOL_ADDED);

	ev.symbol = symbol;
	ev.quantity = min;
	ev.remaining = max;
	return ev;
}

/* The same event on another symbol (every builder above uses symbol 0). */
static xt_event
on_symbol(xt_event ev, uint32_t symbol)
{
	ev.symbol = symbol;
	return ev;
}

static void
ev_print(const char *tag, int i, const xt_event *ev)
{
	fprintf(stderr,
			"    %s[%d] %s seq=%llu side=%u ot=%u tif=%u st=%u mst=%u rsn=%u cmd=%u po=%u pl=%u "
			"sym=%u lo=%u id=%llu mid=%llu tid=%llu acc=%llu macc=%llu px=%lld q=%lld rem=%lld "
			"mrem=%lld lq=%lld pad=%u/%u\n",
			tag, i, xt_event_type_name((xt_event_type) ev->type), (unsigned long long) ev->seq,
			ev->side, ev->order_type, ev->tif, ev->status, ev->maker_status, ev->reason,
			ev->command, ev->post_only, ev->priority_lost, ev->symbol, ev->level_orders,
			(unsigned long long) ev->order_id, (unsigned long long) ev->maker_order_id,
			(unsigned long long) ev->trade_id, (unsigned long long) ev->account,
			(unsigned long long) ev->maker_account, (long long) ev->price,
			(long long) ev->quantity, (long long) ev->remaining, (long long) ev->maker_remaining,
			(long long) ev->level_quantity, ev->pad, ev->pad2);
}

/* The last command's events must be exactly want[0 .. n), byte for byte. */
static void
fx_expect(fx *f, int line, const xt_event *want, int n)
{
	bool		same = !f->overflow && f->n == n;

	for (int i = 0; same && i < n; i++)
		same = memcmp(&f->ev[i], &want[i], sizeof(xt_event)) == 0;
	if (same)
		return;
	XT_FAIL_AT("events of seq %llu differ from the expectation at line %d (got %d, want %d)",
			   (unsigned long long) f->seq, line, f->n, n);
	for (int i = 0; i < f->n; i++)
		ev_print("got ", i, &f->ev[i]);
	for (int i = 0; i < n; i++)
		ev_print("want", i, &want[i]);
}

#define EXPECT(f, ...) \
	fx_expect((f), __LINE__, (const xt_event[]) {__VA_ARGS__}, \
			  (int) (sizeof((const xt_event[]) {__VA_ARGS__}) / sizeof(xt_event)))

static int64_t
best(fx *f, int side)
{
	int64_t		price = -1;

	if (!xt_engine_best(f->e, 0, (xt_side) side, &price))
		return 0;
	return price;
}

static xt_order_info
order(fx *f, uint64_t id)
{
	xt_order_info info;

	memset(&info, 0, sizeof(info));
	if (!xt_engine_order(f->e, id, &info))
		info.order_id = 0;
	return info;
}

static int64_t
level_qty(fx *f, int side, int depth)
{
	xt_level_info lv[16];
	uint32_t	n = xt_engine_depth(f->e, 0, (xt_side) side, lv, 16);

	return (uint32_t) depth < n ? lv[depth].quantity : 0;
}

/* ---- setup, configuration, sequence ---------------------------------------------------------- */

XT_TEST(size_and_init)
{
	xt_engine_config bad[] = {
		{0, 64, 8, 4}, {XT_MAX_SYMBOLS + 1, 64, 8, 4}, {4, 0, 8, 4}, {4, XT_MAX_ORDERS + 1, 8, 4},
		{4, 64, 0, 4}, {4, 64, XT_MAX_LEVELS + 1, 4}, {4, 64, 8, XT_MAX_CLORDIDS + 1},
	};
	xt_engine_config nodedup = {1, 1, 1, 0};
	size_t		size = xt_engine_size(&small_cfg);
	char	   *mem;
	xt_engine  *e = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		XT_CHECK_EQ(xt_engine_size(&bad[i]), 0);
		XT_CHECK_EQ(xt_engine_init(NULL, 0, &bad[i], &e), XT_ERR_CONFIG);
	}
	XT_CHECK_EQ(xt_engine_size(NULL), 0);
	XT_CHECK(size > 0);
	XT_CHECK(xt_engine_size(&nodedup) > 0);
	mem = alloc_block(size + 64);
	XT_CHECK_EQ(xt_engine_init(mem, size - 1, &small_cfg, &e), XT_ERR_MEMORY);
	XT_CHECK_EQ(xt_engine_init(mem + 4, size, &small_cfg, &e), XT_ERR_MEMORY);
	XT_CHECK_EQ(xt_engine_init(NULL, size, &small_cfg, &e), XT_ERR_MEMORY);
	XT_CHECK(e == NULL);
	/* any 8-byte aligned address works: the engine holds no pointers */
	XT_CHECK_EQ(xt_engine_init(mem + 8, size, &small_cfg, &e), XT_OK);
	XT_CHECK(e == (xt_engine *) (mem + 8));
	XT_CHECK_EQ(xt_engine_last_seq(e), 0);
	XT_CHECK_EQ(xt_engine_last_trade_id(e), 0);
	XT_CHECK_EQ(xt_engine_resting_orders(e), 0);
	XT_CHECK(!xt_engine_has_symbol(e, 0));
	XT_CHECK(xt_engine_check(e) == NULL);
	free(mem);
}

XT_TEST(add_symbol)
{
	fx		   *f = fx_open_bare(&small_cfg);

	fx_do(f, c_add_symbol(0, 0, 0));
	EXPECT(f, ev_sym(1, 0, 1, VMAX));
	fx_do(f, c_add_symbol(3, 5, 50));
	EXPECT(f, ev_sym(2, 3, 5, 50));
	XT_CHECK(xt_engine_has_symbol(f->e, 3));
	XT_CHECK(!xt_engine_has_symbol(f->e, 1));
	XT_CHECK(!xt_engine_has_symbol(f->e, 4));
	/* an id whose book is empty takes new limits (a listing rolled back in SQL leaves one) */
	fx_do(f, c_add_symbol(3, 1, 2));
	EXPECT(f, ev_sym(3, 3, 1, 2));
	fx_do(f, c_add_symbol(4, 1, 2));
	EXPECT(f, ev_rej(4, 0, 0, 0, XT_REJ_SYMBOL_CAPACITY, XT_CMD_ADD_SYMBOL));
	/* capacity is checked before "in use", and both before the quantities */
	fx_do(f, c_add_symbol(UINT32_MAX, -1, 0));
	EXPECT(f, ev_rej(5, 0, 0, 0, XT_REJ_SYMBOL_CAPACITY, XT_CMD_ADD_SYMBOL));
	fx_do(f, c_add_symbol(3, -1, 0));
	EXPECT(f, ev_rej(6, 0, 0, 0, XT_REJ_INVALID_QUANTITY, XT_CMD_ADD_SYMBOL));
	fx_do(f, c_add_symbol(1, -1, 0));
	EXPECT(f, ev_rej(7, 0, 0, 0, XT_REJ_INVALID_QUANTITY, XT_CMD_ADD_SYMBOL));
	fx_do(f, c_add_symbol(1, 0, -1));
	EXPECT(f, ev_rej(8, 0, 0, 0, XT_REJ_INVALID_QUANTITY, XT_CMD_ADD_SYMBOL));
	fx_do(f, c_add_symbol(1, 10, 9));
	EXPECT(f, ev_rej(9, 0, 0, 0, XT_REJ_INVALID_QUANTITY, XT_CMD_ADD_SYMBOL));
	fx_do(f, c_add_symbol(1, VMAX + 1, 0));
	EXPECT(f, ev_rej(10, 0, 0, 0, XT_REJ_INVALID_QUANTITY, XT_CMD_ADD_SYMBOL));
	fx_do(f, c_add_symbol(1, 0, VMAX + 1));
	EXPECT(f, ev_rej(11, 0, 0, 0, XT_REJ_INVALID_QUANTITY, XT_CMD_ADD_SYMBOL));
	XT_CHECK(!xt_engine_has_symbol(f->e, 1));
	/* min 0 defaults to 1 and min == max is fine */
	fx_do(f, c_add_symbol(1, 0, 1));
	EXPECT(f, ev_sym(12, 1, 1, 1));
	fx_do(f, c_add_symbol(2, VMAX, 0));
	EXPECT(f, ev_sym(13, 2, VMAX, VMAX));
	fx_close(f);
}

XT_TEST(add_symbol_in_use)
{
	fx		   *f = fx_open_bare(&small_cfg);
	xt_command	c = c_new(A, BUY, 100, 1);
	uint64_t	order_id;

	fx_do(f, c_add_symbol(2, 0, 0));
	c.symbol = 2;
	fx_do(f, c);
	order_id = f->seq;
	/* a book with a resting order keeps its limits, even with the same ones */
	fx_do(f, c_add_symbol(2, 0, 0));
	EXPECT(f, ev_rej(3, 0, 0, 0, XT_REJ_SYMBOL_EXISTS, XT_CMD_ADD_SYMBOL));
	fx_do(f, c_add_symbol(2, 5, 10));
	EXPECT(f, ev_rej(4, 0, 0, 0, XT_REJ_SYMBOL_EXISTS, XT_CMD_ADD_SYMBOL));
	/* emptied again, it can be redefined; the symbol count does not grow */
	{
		xt_command	x;

		memset(&x, 0, sizeof(x));
		x.type = XT_CMD_CANCEL;
		x.account = A;
		x.order_id = order_id;
		fx_do(f, x);
	}
	fx_do(f, c_add_symbol(2, 5, 10));
	EXPECT(f, ev_sym(6, 2, 5, 10));
	XT_CHECK(xt_engine_has_symbol(f->e, 2));
	XT_CHECK(xt_engine_check(f->e) == NULL);
	fx_close(f);
}

XT_TEST(sequence_gap)
{
	fx		   *f = fx_open(&small_cfg);
	xt_command	c = c_new(A, BUY, 100, 1);
	uint64_t	h = xt_engine_hash(f->e);

	f->n = 0;
	c.seq = 3;
	XT_CHECK_EQ(xt_engine_apply(f->e, &c, fx_sink, f), XT_ERR_SEQUENCE);
	c.seq = 1;
	XT_CHECK_EQ(xt_engine_apply(f->e, &c, fx_sink, f), XT_ERR_SEQUENCE);
	c.seq = 0;
	XT_CHECK_EQ(xt_engine_apply(f->e, &c, fx_sink, f), XT_ERR_SEQUENCE);
	XT_CHECK_EQ(f->n, 0);
	XT_CHECK_EQ(xt_engine_last_seq(f->e), 1);
	XT_CHECK_U64(xt_engine_hash(f->e), h);
	c.seq = 2;
	XT_CHECK_EQ(xt_engine_apply(f->e, &c, fx_sink, f), XT_OK);
	XT_CHECK_EQ(f->n, 2);
	/* the sequence never wraps to 0 */
	xt_engine_set_last_seq(f->e, UINT64_MAX, 0);
	c.seq = 0;
	f->n = 0;
	XT_CHECK_EQ(xt_engine_apply(f->e, &c, fx_sink, f), XT_ERR_SEQUENCE);
	XT_CHECK_EQ(f->n, 0);
	fx_close(f);
}

XT_TEST(set_last_seq_continues_numbering)
{
	fx		   *f = fx_open_bare(&small_cfg);

	xt_engine_set_last_seq(f->e, 1000, 77);
	f->seq = 1000;
	XT_CHECK_EQ(xt_engine_last_seq(f->e), 1000);
	XT_CHECK_EQ(xt_engine_last_trade_id(f->e), 77);
	fx_do(f, c_add_symbol(0, 0, 0));
	fx_do(f, c_new(A, SELL, 100, 5));
	fx_do(f, c_new(B, BUY, 100, 5));
	EXPECT(f, ev_acc_gtc(1003, BUY, B, 100, 5),
		   ev_trade(1003, 78, BUY, 1003, 1002, B, A, 100, 5, 5, 0, 5, 0),
		   ev_lvl(1003, SELL, 100, 0, 0));
	XT_CHECK_EQ(xt_engine_last_trade_id(f->e), 78);
	fx_close(f);
}

XT_TEST(unknown_command)
{
	fx		   *f = fx_open(&small_cfg);
	xt_command	c = c_new(A, BUY, 100, 1);

	c.type = 0;
	fx_do(f, c);
	EXPECT(f, ev_rej(2, 0, 0, A, XT_REJ_INVALID_COMMAND, 0));
	c.type = 99;
	c.order_id = 7;
	fx_do(f, c);
	EXPECT(f, ev_rej(3, 0, 0, A, XT_REJ_INVALID_COMMAND, 99));
	fx_close(f);
}

/* ---- new orders: validation ------------------------------------------------------------------ */

XT_TEST(new_order_validation)
{
	fx		   *f = fx_open(&small_cfg);
	xt_command	c;
	uint64_t	s;

	fx_do(f, c_add_symbol(2, 5, 50));	/* seq 2 */

	c = c_new(A, BUY, 100, 10);
	c.symbol = 1;
	s = fx_do(f, c);
	EXPECT(f, ev_rej(s, s, 1, A, XT_REJ_UNKNOWN_SYMBOL, XT_CMD_NEW_ORDER));
	c.symbol = 1000;
	c.side = 9;				/* symbol is checked first */
	s = fx_do(f, c);
	EXPECT(f, ev_rej(s, s, 1000, A, XT_REJ_UNKNOWN_SYMBOL, XT_CMD_NEW_ORDER));

	c = c_new(A, 2, 100, 10);
	c.order_type = 2;
	s = fx_do(f, c);
	EXPECT(f, ev_rej_new(s, A, XT_REJ_INVALID_SIDE));
	c = c_new(A, BUY, 100, 10);
	c.order_type = 2;
	c.tif = 3;
	s = fx_do(f, c);
	EXPECT(f, ev_rej_new(s, A, XT_REJ_INVALID_TYPE));
	c = c_tif(A, BUY, 100, 10, 3);
	c.stp = 3;
	s = fx_do(f, c);
	EXPECT(f, ev_rej_new(s, A, XT_REJ_INVALID_TIF));
	c = c_stp(c_new(A, BUY, 100, 10), 3);
	c.clordid_len = XT_CLORDID_MAX + 1;
	s = fx_do(f, c);
	EXPECT(f, ev_rej_new(s, A, XT_REJ_INVALID_STP));
	c = c_new(A, BUY, 0, 10);
	c.clordid_len = XT_CLORDID_MAX + 1;
	s = fx_do(f, c);
	EXPECT(f, ev_rej_new(s, A, XT_REJ_INVALID_CLORDID));

	c = c_new(A, BUY, 0, 0);
	s = fx_do(f, c);
	EXPECT(f, ev_rej_new(s, A, XT_REJ_INVALID_PRICE));
	s = fx_do(f, c_new(A, BUY, -5, 10));
	EXPECT(f, ev_rej_new(s, A, XT_REJ_INVALID_PRICE));
	s = fx_do(f, c_new(A, SELL, VMAX + 1, 10));
	EXPECT(f, ev_rej_new(s, A, XT_REJ_INVALID_PRICE));
	c = c_market(A, BUY, 10, XT_TIF_IOC);
	c.price = 100;
	s = fx_do(f, c);
	EXPECT(f, ev_rej_new(s, A, XT_REJ_INVALID_PRICE));

	s = fx_do(f, c_new(A, BUY, 100, 0));
	EXPECT(f, ev_rej_new(s, A, XT_REJ_INVALID_QUANTITY));
	s = fx_do(f, c_new(A, BUY, 100, -1));
	EXPECT(f, ev_rej_new(s, A, XT_REJ_INVALID_QUANTITY));
	c = c_new(A, BUY, 100, VMAX + 1);
	c.symbol = 2;			/* the range check comes before the symbol's max */
	s = fx_do(f, c);
	EXPECT(f, ev_rej(s, s, 2, A, XT_REJ_INVALID_QUANTITY, XT_CMD_NEW_ORDER));
	c = c_new(A, BUY, 100, 4);
	c.symbol = 2;
	c.post_only = 5;
	s = fx_do(f, c);
	EXPECT(f, ev_rej(s, s, 2, A, XT_REJ_QUANTITY_BELOW_MIN, XT_CMD_NEW_ORDER));
	c.quantity = 51;
	s = fx_do(f, c);
	EXPECT(f, ev_rej(s, s, 2, A, XT_REJ_QUANTITY_ABOVE_MAX, XT_CMD_NEW_ORDER));

	/* post-only validity */
	c = c_market(A, BUY, 10, XT_TIF_GTC);
	c.post_only = 1;
	s = fx_do(f, c);
	EXPECT(f, ev_rej_new(s, A, XT_REJ_POST_ONLY_INVALID));
	c = c_tif(A, BUY, 100, 10, XT_TIF_IOC);
	c.post_only = 1;
	s = fx_do(f, c);
	EXPECT(f, ev_rej_new(s, A, XT_REJ_POST_ONLY_INVALID));
	c.tif = XT_TIF_FOK;
	s = fx_do(f, c);
	EXPECT(f, ev_rej_new(s, A, XT_REJ_POST_ONLY_INVALID));
	c = c_new(A, BUY, 100, 10);
	c.post_only = 2;
	s = fx_do(f, c);
	EXPECT(f, ev_rej_new(s, A, XT_REJ_POST_ONLY_INVALID));

	XT_CHECK_EQ(xt_engine_resting_orders(f->e), 0);

	/* the boundaries themselves are valid */
	c = c_new(A, BUY, VMAX, 50);
	c.symbol = 2;
	s = fx_do(f, c);
	EXPECT(f, on_symbol(ev_acc_gtc(s, BUY, A, VMAX, 50), 2), on_symbol(ev_lvl(s, BUY, VMAX, 50, 1), 2));
	c = c_new(B, SELL, VMAX, 5);
	c.symbol = 2;
	c.post_only = 1;
	c.clordid_len = XT_CLORDID_MAX;
	s = fx_do(f, c);
	EXPECT(f, on_symbol(ev_rej_new(s, B, XT_REJ_POST_ONLY_WOULD_CROSS), 2));
	s = fx_do(f, c_new(B, SELL, 1, VMAX));
	EXPECT(f, ev_acc_gtc(s, SELL, B, 1, VMAX), ev_lvl(s, SELL, 1, VMAX, 1));
	fx_close(f);
}

/* ---- new orders: resting and matching ------------------------------------------------------- */

XT_TEST(limit_rests)
{
	fx		   *f = fx_open(&small_cfg);
	uint64_t	b = fx_do(f, c_new(A, BUY, 100, 10));
	xt_order_info o;

	EXPECT(f, ev_acc_gtc(2, BUY, A, 100, 10), ev_lvl(2, BUY, 100, 10, 1));
	fx_do(f, c_new(B, BUY, 100, 5));
	EXPECT(f, ev_acc_gtc(3, BUY, B, 100, 5), ev_lvl(3, BUY, 100, 15, 2));
	fx_do(f, c_new(B, SELL, 101, 7));
	EXPECT(f, ev_acc_gtc(4, SELL, B, 101, 7), ev_lvl(4, SELL, 101, 7, 1));
	XT_CHECK_EQ(best(f, BUY), 100);
	XT_CHECK_EQ(best(f, SELL), 101);
	o = order(f, b);
	XT_CHECK_U64(o.order_id, 2);
	XT_CHECK_U64(o.account, A);
	XT_CHECK_U64(o.priority, 2);
	XT_CHECK_EQ(o.symbol, 0);
	XT_CHECK_EQ(o.side, BUY);
	XT_CHECK_EQ(o.stp, XT_STP_CANCEL_RESTING);
	XT_CHECK_EQ(o.post_only, 0);
	XT_CHECK_EQ(o.status, XT_STATUS_PENDING);
	XT_CHECK_EQ(o.price, 100);
	XT_CHECK_EQ(o.quantity, 10);
	XT_CHECK_EQ(o.remaining, 10);
	XT_CHECK_EQ(xt_engine_resting_orders(f->e), 3);
	fx_close(f);
}

XT_TEST(exact_fill)
{
	fx		   *f = fx_open(&small_cfg);

	fx_do(f, c_new(A, SELL, 100, 10));
	fx_do(f, c_new(B, BUY, 100, 10));
	EXPECT(f, ev_acc_gtc(3, BUY, B, 100, 10),
		   ev_trade(3, 1, BUY, 3, 2, B, A, 100, 10, 10, 0, 10, 0),
		   ev_lvl(3, SELL, 100, 0, 0));
	XT_CHECK_EQ(xt_engine_resting_orders(f->e), 0);
	XT_CHECK_EQ(best(f, SELL), 0);
	XT_CHECK_EQ(best(f, BUY), 0);
	XT_CHECK(order(f, 2).order_id == 0);
	XT_CHECK_EQ(xt_engine_last_trade_id(f->e), 1);
	fx_close(f);
}

XT_TEST(partial_fill_taker_rests)
{
	fx		   *f = fx_open(&small_cfg);
	xt_order_info o;

	fx_do(f, c_new(A, SELL, 100, 4));
	fx_do(f, c_new(B, BUY, 101, 10));
	EXPECT(f, ev_acc_gtc(3, BUY, B, 101, 10),
		   ev_trade(3, 1, BUY, 3, 2, B, A, 100, 4, 10, 6, 4, 0),
		   ev_lvl(3, SELL, 100, 0, 0),
		   ev_lvl(3, BUY, 101, 6, 1));
	o = order(f, 3);
	XT_CHECK_EQ(o.remaining, 6);
	XT_CHECK_EQ(o.quantity, 10);
	XT_CHECK_EQ(o.status, XT_STATUS_PARTIALLY_FILLED);
	XT_CHECK_EQ(best(f, BUY), 101);
	fx_close(f);
}

XT_TEST(partial_fill_maker_stays)
{
	fx		   *f = fx_open(&small_cfg);

	fx_do(f, c_new(A, SELL, 100, 10));
	fx_do(f, c_new(B, BUY, 100, 4));
	EXPECT(f, ev_acc_gtc(3, BUY, B, 100, 4),
		   ev_trade(3, 1, BUY, 3, 2, B, A, 100, 4, 4, 0, 10, 6),
		   ev_lvl(3, SELL, 100, 6, 1));
	XT_CHECK_EQ(order(f, 2).status, XT_STATUS_PARTIALLY_FILLED);
	XT_CHECK_EQ(order(f, 2).remaining, 6);
	XT_CHECK_EQ(xt_engine_resting_orders(f->e), 1);
	fx_close(f);
}

XT_TEST(walk_levels_in_price_time_order)
{
	fx		   *f = fx_open(&small_cfg);

	fx_do(f, c_new(A, SELL, 101, 5));	/* 2 */
	fx_do(f, c_new(A, SELL, 102, 3));	/* 3 */
	fx_do(f, c_new(C, SELL, 102, 4));	/* 4 */
	fx_do(f, c_new(A, SELL, 104, 7));	/* 5 */
	fx_do(f, c_new(B, BUY, 103, 20));	/* 6 */
	EXPECT(f, ev_acc_gtc(6, BUY, B, 103, 20),
		   ev_trade(6, 1, BUY, 6, 2, B, A, 101, 5, 20, 15, 5, 0),
		   ev_lvl(6, SELL, 101, 0, 0),
		   ev_trade(6, 2, BUY, 6, 3, B, A, 102, 3, 20, 12, 3, 0),
		   ev_trade(6, 3, BUY, 6, 4, B, C, 102, 4, 20, 8, 4, 0),
		   ev_lvl(6, SELL, 102, 0, 0),
		   ev_lvl(6, BUY, 103, 8, 1));
	XT_CHECK_EQ(best(f, SELL), 104);
	XT_CHECK_EQ(best(f, BUY), 103);

	/* a sell walks bids from the highest price down */
	fx_do(f, c_new(C, BUY, 99, 2));		/* 7 */
	fx_do(f, c_new(A, SELL, 99, 11));	/* 8 */
	EXPECT(f, ev_acc_gtc(8, SELL, A, 99, 11),
		   ev_trade(8, 4, SELL, 8, 6, A, B, 103, 8, 11, 3, 20, 0),
		   ev_lvl(8, BUY, 103, 0, 0),
		   ev_trade(8, 5, SELL, 8, 7, A, C, 99, 2, 11, 1, 2, 0),
		   ev_lvl(8, BUY, 99, 0, 0),
		   ev_lvl(8, SELL, 99, 1, 1));
	fx_close(f);
}

XT_TEST(market_on_empty_book_expires)
{
	fx		   *f = fx_open(&small_cfg);

	fx_do(f, c_market(B, BUY, 5, XT_TIF_IOC));
	EXPECT(f, ev_acc(2, BUY, XT_TYPE_MARKET, XT_TIF_IOC, 0, B, 0, 5),
		   ev_exp(2, 2, BUY, B, 5, XT_EXP_IOC));
	/* an empty opposite side is empty even if this side has orders */
	fx_do(f, c_new(A, SELL, 100, 1));
	fx_do(f, c_market(B, SELL, 5, XT_TIF_GTC));
	EXPECT(f, ev_acc(4, SELL, XT_TYPE_MARKET, XT_TIF_GTC, 0, B, 0, 5),
		   ev_exp(4, 4, SELL, B, 5, XT_EXP_IOC));
	XT_CHECK_EQ(xt_engine_resting_orders(f->e), 1);
	fx_close(f);
}

XT_TEST(market_walks_any_price_and_expires_remainder)
{
	fx		   *f = fx_open(&small_cfg);

	fx_do(f, c_new(A, SELL, 100, 3));	/* 2 */
	fx_do(f, c_new(C, SELL, 5000, 1));	/* 3 */
	fx_do(f, c_market(B, BUY, 6, XT_TIF_GTC));	/* 4: a market GTC still never rests */
	EXPECT(f, ev_acc(4, BUY, XT_TYPE_MARKET, XT_TIF_GTC, 0, B, 0, 6),
		   ev_trade(4, 1, BUY, 4, 2, B, A, 100, 3, 6, 3, 3, 0),
		   ev_lvl(4, SELL, 100, 0, 0),
		   ev_trade(4, 2, BUY, 4, 3, B, C, 5000, 1, 6, 2, 1, 0),
		   ev_lvl(4, SELL, 5000, 0, 0),
		   ev_exp(4, 4, BUY, B, 2, XT_EXP_IOC));
	XT_CHECK_EQ(xt_engine_resting_orders(f->e), 0);

	fx_do(f, c_new(A, BUY, 100, 3));	/* 5 */
	fx_do(f, c_new(C, BUY, 1, 4));		/* 6 */
	fx_do(f, c_market(B, SELL, 7, XT_TIF_IOC));	/* 7: exactly everything */
	EXPECT(f, ev_acc(7, SELL, XT_TYPE_MARKET, XT_TIF_IOC, 0, B, 0, 7),
		   ev_trade(7, 3, SELL, 7, 5, B, A, 100, 3, 7, 4, 3, 0),
		   ev_lvl(7, BUY, 100, 0, 0),
		   ev_trade(7, 4, SELL, 7, 6, B, C, 1, 4, 7, 0, 4, 0),
		   ev_lvl(7, BUY, 1, 0, 0));
	fx_close(f);
}

XT_TEST(ioc_limit)
{
	fx		   *f = fx_open(&small_cfg);

	fx_do(f, c_new(A, SELL, 100, 3));	/* 2 */
	fx_do(f, c_new(A, SELL, 102, 5));	/* 3 */
	fx_do(f, c_tif(B, BUY, 101, 10, XT_TIF_IOC));	/* 4 */
	EXPECT(f, ev_acc(4, BUY, XT_TYPE_LIMIT, XT_TIF_IOC, 0, B, 101, 10),
		   ev_trade(4, 1, BUY, 4, 2, B, A, 100, 3, 10, 7, 3, 0),
		   ev_lvl(4, SELL, 100, 0, 0),
		   ev_exp(4, 4, BUY, B, 7, XT_EXP_IOC));
	fx_do(f, c_tif(B, BUY, 101, 10, XT_TIF_IOC));	/* 5: nothing matchable */
	EXPECT(f, ev_acc(5, BUY, XT_TYPE_LIMIT, XT_TIF_IOC, 0, B, 101, 10),
		   ev_exp(5, 5, BUY, B, 10, XT_EXP_IOC));
	fx_do(f, c_tif(B, BUY, 102, 5, XT_TIF_IOC));	/* 6: fills completely, no expiry */
	EXPECT(f, ev_acc(6, BUY, XT_TYPE_LIMIT, XT_TIF_IOC, 0, B, 102, 5),
		   ev_trade(6, 2, BUY, 6, 3, B, A, 102, 5, 5, 0, 5, 0),
		   ev_lvl(6, SELL, 102, 0, 0));
	XT_CHECK_EQ(xt_engine_resting_orders(f->e), 0);
	fx_close(f);
}

XT_TEST(fok_fills_or_expires_untouched)
{
	fx		   *f = fx_open(&small_cfg);
	uint64_t	h;

	fx_do(f, c_new(A, SELL, 100, 3));	/* 2 */
	fx_do(f, c_new(C, SELL, 101, 4));	/* 3 */
	fx_do(f, c_new(C, SELL, 102, 9));	/* 4: beyond the limit below */
	h = xt_engine_hash(f->e);
	fx_do(f, c_tif(B, BUY, 101, 8, XT_TIF_FOK));	/* 5: 7 available within 101 */
	EXPECT(f, ev_acc(5, BUY, XT_TYPE_LIMIT, XT_TIF_FOK, 0, B, 101, 8),
		   ev_exp(5, 5, BUY, B, 8, XT_EXP_FOK));
	XT_CHECK_EQ(level_qty(f, SELL, 0), 3);
	XT_CHECK_EQ(level_qty(f, SELL, 1), 4);
	XT_CHECK_EQ(xt_engine_last_trade_id(f->e), 0);
	XT_CHECK(xt_engine_hash(f->e) != h);	/* only last_seq moved */
	fx_do(f, c_tif(B, BUY, 101, 7, XT_TIF_FOK));	/* 6: exactly enough */
	EXPECT(f, ev_acc(6, BUY, XT_TYPE_LIMIT, XT_TIF_FOK, 0, B, 101, 7),
		   ev_trade(6, 1, BUY, 6, 2, B, A, 100, 3, 7, 4, 3, 0),
		   ev_lvl(6, SELL, 100, 0, 0),
		   ev_trade(6, 2, BUY, 6, 3, B, C, 101, 4, 7, 0, 4, 0),
		   ev_lvl(6, SELL, 101, 0, 0));
	fx_do(f, c_market(B, BUY, 10, XT_TIF_FOK));		/* 7: market FOK, 9 available */
	EXPECT(f, ev_acc(7, BUY, XT_TYPE_MARKET, XT_TIF_FOK, 0, B, 0, 10),
		   ev_exp(7, 7, BUY, B, 10, XT_EXP_FOK));
	fx_do(f, c_market(B, BUY, 2, XT_TIF_FOK));		/* 8 */
	EXPECT(f, ev_acc(8, BUY, XT_TYPE_MARKET, XT_TIF_FOK, 0, B, 0, 2),
		   ev_trade(8, 3, BUY, 8, 4, B, C, 102, 2, 2, 0, 9, 7),
		   ev_lvl(8, SELL, 102, 7, 1));
	fx_close(f);
}

XT_TEST(fok_with_self_trade_prevention)
{
	const int	modes[] = {XT_STP_CANCEL_RESTING, XT_STP_CANCEL_INCOMING, XT_STP_CANCEL_BOTH};

	for (int m = 0; m < 3; m++)
	{
		fx		   *f = fx_open(&small_cfg);

		fx_do(f, c_new(A, SELL, 100, 3));	/* 2: own order first in the queue */
		fx_do(f, c_new(C, SELL, 100, 4));	/* 3 */
		fx_do(f, c_new(C, SELL, 101, 5));	/* 4 */
		fx_do(f, c_stp(c_tif(A, BUY, 101, 9, XT_TIF_FOK), modes[m]));	/* 5 */
		if (modes[m] == XT_STP_CANCEL_RESTING)
			EXPECT(f, ev_acc(5, BUY, XT_TYPE_LIMIT, XT_TIF_FOK, 0, A, 101, 9),
				   ev_cxl(5, 2, SELL, A, 100, 3, XT_CXL_SELF_TRADE),
				   ev_trade(5, 1, BUY, 5, 3, A, C, 100, 4, 9, 5, 4, 0),
				   ev_lvl(5, SELL, 100, 0, 0),
				   ev_trade(5, 2, BUY, 5, 4, A, C, 101, 5, 9, 0, 5, 0),
				   ev_lvl(5, SELL, 101, 0, 0));
		else
		{
			/* the own order ends the walk before any liquidity: nothing happens */
			EXPECT(f, ev_acc(5, BUY, XT_TYPE_LIMIT, XT_TIF_FOK, 0, A, 101, 9),
				   ev_exp(5, 5, BUY, A, 9, XT_EXP_FOK));
			XT_CHECK_EQ(xt_engine_resting_orders(f->e), 3);
		}
		fx_close(f);
	}

	/* other liquidity ahead of the own order is enough: it fills, the own order is not reached */
	for (int m = 0; m < 3; m++)
	{
		fx		   *f = fx_open(&small_cfg);

		fx_do(f, c_new(C, SELL, 100, 4));	/* 2 */
		fx_do(f, c_new(A, SELL, 100, 3));	/* 3 */
		fx_do(f, c_new(C, SELL, 101, 5));	/* 4 */
		fx_do(f, c_stp(c_tif(A, BUY, 101, 4, XT_TIF_FOK), modes[m]));	/* 5 */
		EXPECT(f, ev_acc(5, BUY, XT_TYPE_LIMIT, XT_TIF_FOK, 0, A, 101, 4),
			   ev_trade(5, 1, BUY, 5, 2, A, C, 100, 4, 4, 0, 4, 0),
			   ev_lvl(5, SELL, 100, 3, 1));
		/* one more than that: only CANCEL_RESTING may skip the own order to reach 101 */
		fx_do(f, c_stp(c_tif(A, BUY, 101, 5, XT_TIF_FOK), modes[m]));	/* 6 */
		if (modes[m] == XT_STP_CANCEL_RESTING)
			EXPECT(f, ev_acc(6, BUY, XT_TYPE_LIMIT, XT_TIF_FOK, 0, A, 101, 5),
				   ev_cxl(6, 3, SELL, A, 100, 3, XT_CXL_SELF_TRADE),
				   ev_lvl(6, SELL, 100, 0, 0),
				   ev_trade(6, 2, BUY, 6, 4, A, C, 101, 5, 5, 0, 5, 0),
				   ev_lvl(6, SELL, 101, 0, 0));
		else
			EXPECT(f, ev_acc(6, BUY, XT_TYPE_LIMIT, XT_TIF_FOK, 0, A, 101, 5),
				   ev_exp(6, 6, BUY, A, 5, XT_EXP_FOK));
		fx_close(f);
	}
}

XT_TEST(post_only)
{
	fx		   *f = fx_open(&small_cfg);
	xt_command	c;

	fx_do(f, c_new(A, SELL, 100, 5));	/* 2 */
	c = c_new(B, BUY, 99, 2);
	c.post_only = 1;
	fx_do(f, c);						/* 3 */
	EXPECT(f, ev_acc(3, BUY, XT_TYPE_LIMIT, XT_TIF_GTC, 1, B, 99, 2), ev_lvl(3, BUY, 99, 2, 1));
	XT_CHECK_EQ(order(f, 3).post_only, 1);
	c.price = 100;						/* equal to the best ask: would trade */
	fx_do(f, c);						/* 4 */
	EXPECT(f, ev_rej_new(4, B, XT_REJ_POST_ONLY_WOULD_CROSS));
	c.price = 150;
	fx_do(f, c);						/* 5 */
	EXPECT(f, ev_rej_new(5, B, XT_REJ_POST_ONLY_WOULD_CROSS));
	c = c_new(A, SELL, 99, 1);
	c.post_only = 1;
	fx_do(f, c);						/* 6: even against its own account's bid */
	EXPECT(f, ev_rej_new(6, A, XT_REJ_POST_ONLY_WOULD_CROSS));
	c.price = 101;
	fx_do(f, c);						/* 7 */
	EXPECT(f, ev_acc(7, SELL, XT_TYPE_LIMIT, XT_TIF_GTC, 1, A, 101, 1), ev_lvl(7, SELL, 101, 1, 1));
	XT_CHECK_EQ(xt_engine_resting_orders(f->e), 3);
	fx_close(f);
}

XT_TEST(stp_cancel_resting)
{
	fx		   *f = fx_open(&small_cfg);

	fx_do(f, c_new(A, SELL, 100, 3));	/* 2 */
	fx_do(f, c_new(C, SELL, 100, 4));	/* 3 */
	fx_do(f, c_stp(c_new(A, BUY, 100, 5), XT_STP_CANCEL_RESTING));	/* 4 */
	EXPECT(f, ev_acc_gtc(4, BUY, A, 100, 5),
		   ev_cxl(4, 2, SELL, A, 100, 3, XT_CXL_SELF_TRADE),
		   ev_trade(4, 1, BUY, 4, 3, A, C, 100, 4, 5, 1, 4, 0),
		   ev_lvl(4, SELL, 100, 0, 0),
		   ev_lvl(4, BUY, 100, 1, 1));
	XT_CHECK(order(f, 2).order_id == 0);
	fx_close(f);
}

XT_TEST(stp_cancel_incoming_and_both)
{
	for (int both = 0; both < 2; both++)
	{
		fx		   *f = fx_open(&small_cfg);

		fx_do(f, c_new(C, SELL, 100, 2));	/* 2 */
		fx_do(f, c_new(A, SELL, 100, 3));	/* 3 */
		fx_do(f, c_new(C, SELL, 100, 4));	/* 4 */
		fx_do(f, c_stp(c_new(A, BUY, 100, 10),
					   both ? XT_STP_CANCEL_BOTH : XT_STP_CANCEL_INCOMING));	/* 5 */
		if (!both)
			EXPECT(f, ev_acc_gtc(5, BUY, A, 100, 10),
				   ev_trade(5, 1, BUY, 5, 2, A, C, 100, 2, 10, 8, 2, 0),
				   ev_lvl(5, SELL, 100, 7, 2),
				   ev_cxl(5, 5, BUY, A, 100, 8, XT_CXL_SELF_TRADE));
		else
			EXPECT(f, ev_acc_gtc(5, BUY, A, 100, 10),
				   ev_trade(5, 1, BUY, 5, 2, A, C, 100, 2, 10, 8, 2, 0),
				   ev_cxl(5, 3, SELL, A, 100, 3, XT_CXL_SELF_TRADE),
				   ev_lvl(5, SELL, 100, 4, 1),
				   ev_cxl(5, 5, BUY, A, 100, 8, XT_CXL_SELF_TRADE));
		XT_CHECK(order(f, 5).order_id == 0);	/* a GTC stopped by STP does not rest */
		XT_CHECK_EQ(best(f, BUY), 0);
		fx_close(f);
	}
}

XT_TEST(stp_incoming_at_head_changes_nothing)
{
	fx		   *f = fx_open(&small_cfg);

	fx_do(f, c_new(A, SELL, 100, 3));	/* 2 */
	fx_do(f, c_stp(c_new(A, BUY, 100, 1), XT_STP_CANCEL_INCOMING));	/* 3 */
	EXPECT(f, ev_acc_gtc(3, BUY, A, 100, 1), ev_cxl(3, 3, BUY, A, 100, 1, XT_CXL_SELF_TRADE));
	/* a market taker cancelled by STP reports its price, 0 */
	fx_do(f, c_stp(c_market(A, BUY, 2, XT_TIF_IOC), XT_STP_CANCEL_BOTH));	/* 4 */
	EXPECT(f, ev_acc(4, BUY, XT_TYPE_MARKET, XT_TIF_IOC, 0, A, 0, 2),
		   ev_cxl(4, 2, SELL, A, 100, 3, XT_CXL_SELF_TRADE),
		   ev_lvl(4, SELL, 100, 0, 0),
		   ev_cxl(4, 4, BUY, A, 0, 2, XT_CXL_SELF_TRADE));
	/* CANCEL_RESTING sweeps own orders across levels and then expires as IOC */
	fx_do(f, c_new(B, BUY, 90, 1));		/* 5 */
	fx_do(f, c_new(B, BUY, 89, 1));		/* 6 */
	fx_do(f, c_market(B, SELL, 5, XT_TIF_IOC));	/* 7 */
	EXPECT(f, ev_acc(7, SELL, XT_TYPE_MARKET, XT_TIF_IOC, 0, B, 0, 5),
		   ev_cxl(7, 5, BUY, B, 90, 1, XT_CXL_SELF_TRADE),
		   ev_lvl(7, BUY, 90, 0, 0),
		   ev_cxl(7, 6, BUY, B, 89, 1, XT_CXL_SELF_TRADE),
		   ev_lvl(7, BUY, 89, 0, 0),
		   ev_exp(7, 7, SELL, B, 5, XT_EXP_IOC));
	fx_close(f);
}

/* ---- cancel ------------------------------------------------------------------------------------- */

XT_TEST(cancel)
{
	fx		   *f = fx_open(&small_cfg);

	fx_do(f, c_new(A, BUY, 100, 5));	/* 2 */
	fx_do(f, c_new(A, BUY, 100, 3));	/* 3 */
	fx_do(f, c_new(B, SELL, 105, 3));	/* 4 */
	fx_do(f, c_cancel(A, 2));			/* 5 */
	EXPECT(f, ev_cxl(5, 2, BUY, A, 100, 5, XT_CXL_USER), ev_lvl(5, BUY, 100, 3, 1));
	fx_do(f, c_cancel(B, 3));			/* 6: not B's */
	EXPECT(f, ev_rej(6, 3, 0, B, XT_REJ_UNKNOWN_ORDER, XT_CMD_CANCEL));
	XT_CHECK(order(f, 3).order_id == 3);
	fx_do(f, c_cancel(A, 3));			/* 7 */
	EXPECT(f, ev_cxl(7, 3, BUY, A, 100, 3, XT_CXL_USER), ev_lvl(7, BUY, 100, 0, 0));
	fx_do(f, c_cancel(A, 3));			/* 8: already gone */
	EXPECT(f, ev_rej(8, 3, 0, A, XT_REJ_UNKNOWN_ORDER, XT_CMD_CANCEL));
	fx_do(f, c_cancel(A, 999));			/* 9: never existed */
	EXPECT(f, ev_rej(9, 999, 0, A, XT_REJ_UNKNOWN_ORDER, XT_CMD_CANCEL));
	fx_do(f, c_cancel(A, 0));			/* 10 */
	EXPECT(f, ev_rej(10, 0, 0, A, XT_REJ_UNKNOWN_ORDER, XT_CMD_CANCEL));
	/* a partially filled order reports what was left */
	fx_do(f, c_new(C, BUY, 105, 1));	/* 11 */
	fx_do(f, c_cancel(B, 4));			/* 12 */
	EXPECT(f, ev_cxl(12, 4, SELL, B, 105, 2, XT_CXL_USER), ev_lvl(12, SELL, 105, 0, 0));
	XT_CHECK_EQ(xt_engine_resting_orders(f->e), 0);
	/* filled orders cannot be cancelled */
	fx_do(f, c_cancel(C, 11));			/* 13 */
	EXPECT(f, ev_rej(13, 11, 0, C, XT_REJ_UNKNOWN_ORDER, XT_CMD_CANCEL));
	fx_close(f);
}

/* ---- amend ------------------------------------------------------------------------------------ */

XT_TEST(amend_price_loses_priority)
{
	fx		   *f = fx_open(&small_cfg);

	fx_do(f, c_new(A, BUY, 100, 5));	/* 2 */
	fx_do(f, c_new(B, BUY, 100, 4));	/* 3 */
	fx_do(f, c_amend(A, 2, 101, 0));	/* 4 */
	EXPECT(f, ev_amd(4, 2, BUY, A, 101, 5, 5, 1),
		   ev_lvl(4, BUY, 100, 4, 1),
		   ev_lvl(4, BUY, 101, 5, 1));
	XT_CHECK_U64(order(f, 2).priority, 4);
	XT_CHECK_EQ(order(f, 2).price, 101);
	fx_do(f, c_amend(A, 2, 100, 0));	/* 5: back to 100, now behind order 3 */
	EXPECT(f, ev_amd(5, 2, BUY, A, 100, 5, 5, 1),
		   ev_lvl(5, BUY, 101, 0, 0),
		   ev_lvl(5, BUY, 100, 9, 2));
	XT_CHECK_U64(order(f, 2).priority, 5);
	fx_do(f, c_new(C, SELL, 100, 4));	/* 6 */
	EXPECT(f, ev_acc_gtc(6, SELL, C, 100, 4),
		   ev_trade(6, 1, SELL, 6, 3, C, B, 100, 4, 4, 0, 4, 0),
		   ev_lvl(6, BUY, 100, 5, 1));
	fx_close(f);
}

XT_TEST(amend_price_crosses_and_trades)
{
	fx		   *f = fx_open(&small_cfg);

	fx_do(f, c_new(C, SELL, 102, 3));	/* 2 */
	fx_do(f, c_new(C, SELL, 103, 9));	/* 3 */
	fx_do(f, c_new(A, BUY, 100, 5));	/* 4 */
	fx_do(f, c_amend(A, 4, 102, 0));	/* 5 */
	EXPECT(f, ev_amd(5, 4, BUY, A, 102, 5, 5, 1),
		   ev_lvl(5, BUY, 100, 0, 0),
		   ev_trade(5, 1, BUY, 4, 2, A, C, 102, 3, 5, 2, 3, 0),
		   ev_lvl(5, SELL, 102, 0, 0),
		   ev_lvl(5, BUY, 102, 2, 1));
	XT_CHECK_EQ(order(f, 4).remaining, 2);
	XT_CHECK_EQ(order(f, 4).status, XT_STATUS_PARTIALLY_FILLED);
	XT_CHECK_U64(order(f, 4).priority, 5);
	/* crossing with a new total quantity, filled completely: it leaves the book */
	fx_do(f, c_amend(A, 4, 103, 7));	/* 6: filled 3, new remaining 4 */
	EXPECT(f, ev_amd(6, 4, BUY, A, 103, 7, 4, 1),
		   ev_lvl(6, BUY, 102, 0, 0),
		   ev_trade(6, 2, BUY, 4, 3, A, C, 103, 4, 7, 0, 9, 5),
		   ev_lvl(6, SELL, 103, 5, 1));
	XT_CHECK(order(f, 4).order_id == 0);
	XT_CHECK_EQ(xt_engine_resting_orders(f->e), 1);
	fx_close(f);
}

XT_TEST(amend_quantity_down_keeps_priority)
{
	fx		   *f = fx_open(&small_cfg);

	fx_do(f, c_new(A, BUY, 100, 5));	/* 2 */
	fx_do(f, c_new(B, BUY, 100, 4));	/* 3 */
	fx_do(f, c_amend(A, 2, 0, 3));		/* 4 */
	EXPECT(f, ev_amd(4, 2, BUY, A, 100, 3, 3, 0), ev_lvl(4, BUY, 100, 7, 2));
	XT_CHECK_U64(order(f, 2).priority, 2);
	fx_do(f, c_amend(A, 2, 100, 2));	/* 5: an explicit unchanged price is "unchanged" */
	EXPECT(f, ev_amd(5, 2, BUY, A, 100, 2, 2, 0), ev_lvl(5, BUY, 100, 6, 2));
	fx_do(f, c_new(C, SELL, 100, 2));	/* 6: order 2 is still first */
	EXPECT(f, ev_acc_gtc(6, SELL, C, 100, 2),
		   ev_trade(6, 1, SELL, 6, 2, C, A, 100, 2, 2, 0, 2, 0),
		   ev_lvl(6, BUY, 100, 4, 1));
	fx_close(f);
}

XT_TEST(amend_quantity_up_loses_priority)
{
	fx		   *f = fx_open(&small_cfg);

	fx_do(f, c_new(A, BUY, 100, 5));	/* 2 */
	fx_do(f, c_new(B, BUY, 100, 4));	/* 3 */
	fx_do(f, c_amend(A, 2, 0, 8));		/* 4 */
	EXPECT(f, ev_amd(4, 2, BUY, A, 100, 8, 8, 1), ev_lvl(4, BUY, 100, 12, 2));
	XT_CHECK_U64(order(f, 2).priority, 4);
	fx_do(f, c_new(C, SELL, 100, 5));	/* 5: order 3 first now */
	EXPECT(f, ev_acc_gtc(5, SELL, C, 100, 5),
		   ev_trade(5, 1, SELL, 5, 3, C, B, 100, 4, 5, 1, 4, 0),
		   ev_trade(5, 2, SELL, 5, 2, C, A, 100, 1, 5, 0, 8, 7),
		   ev_lvl(5, BUY, 100, 7, 1));
	/* the only order of a level that grows stays alone there */
	fx_do(f, c_amend(A, 2, 0, 9));		/* 6 */
	EXPECT(f, ev_amd(6, 2, BUY, A, 100, 9, 8, 1), ev_lvl(6, BUY, 100, 8, 1));
	fx_close(f);
}

XT_TEST(amend_partially_filled_order)
{
	fx		   *f = fx_open(&small_cfg);

	fx_do(f, c_new(A, BUY, 100, 10));	/* 2 */
	fx_do(f, c_new(C, SELL, 100, 4));	/* 3: order 2 has 4 filled, 6 left */
	fx_do(f, c_amend(A, 2, 0, 8));		/* 4 */
	EXPECT(f, ev_amd(4, 2, BUY, A, 100, 8, 4, 0), ev_lvl(4, BUY, 100, 4, 1));
	fx_do(f, c_amend(A, 2, 0, 4));		/* 5: <= filled */
	EXPECT(f, ev_rej(5, 2, 0, A, XT_REJ_AMEND_QUANTITY, XT_CMD_AMEND));
	fx_do(f, c_amend(A, 2, 0, 3));		/* 6 */
	EXPECT(f, ev_rej(6, 2, 0, A, XT_REJ_AMEND_QUANTITY, XT_CMD_AMEND));
	fx_do(f, c_amend(A, 2, 99, 5));		/* 7: new price and quantity, remaining 1 */
	EXPECT(f, ev_amd(7, 2, BUY, A, 99, 5, 1, 1),
		   ev_lvl(7, BUY, 100, 0, 0),
		   ev_lvl(7, BUY, 99, 1, 1));
	XT_CHECK_EQ(order(f, 2).status, XT_STATUS_PARTIALLY_FILLED);
	fx_close(f);
}

XT_TEST(amend_rejections)
{
	fx		   *f = fx_open(&small_cfg);
	xt_command	c;

	fx_do(f, c_add_symbol(1, 5, 50));	/* 2 */
	c = c_new(A, BUY, 100, 10);
	c.symbol = 1;
	fx_do(f, c);						/* 3 */
	fx_do(f, c_amend(B, 3, 101, 0));	/* 4 */
	EXPECT(f, ev_rej(4, 3, 0, B, XT_REJ_UNKNOWN_ORDER, XT_CMD_AMEND));
	fx_do(f, c_amend(A, 77, 101, 0));	/* 5 */
	EXPECT(f, ev_rej(5, 77, 0, A, XT_REJ_UNKNOWN_ORDER, XT_CMD_AMEND));
	fx_do(f, c_amend(A, 3, -1, -1));	/* 6: price before quantity */
	EXPECT(f, ev_rej(6, 3, 0, A, XT_REJ_INVALID_PRICE, XT_CMD_AMEND));
	fx_do(f, c_amend(A, 3, VMAX + 1, 0));	/* 7 */
	EXPECT(f, ev_rej(7, 3, 0, A, XT_REJ_INVALID_PRICE, XT_CMD_AMEND));
	fx_do(f, c_amend(A, 3, 0, -1));		/* 8 */
	EXPECT(f, ev_rej(8, 3, 0, A, XT_REJ_INVALID_QUANTITY, XT_CMD_AMEND));
	fx_do(f, c_amend(A, 3, 0, VMAX + 1));	/* 9 */
	EXPECT(f, ev_rej(9, 3, 0, A, XT_REJ_INVALID_QUANTITY, XT_CMD_AMEND));
	fx_do(f, c_amend(A, 3, 0, 4));		/* 10 */
	EXPECT(f, ev_rej(10, 3, 0, A, XT_REJ_QUANTITY_BELOW_MIN, XT_CMD_AMEND));
	fx_do(f, c_amend(A, 3, 0, 51));		/* 11 */
	EXPECT(f, ev_rej(11, 3, 0, A, XT_REJ_QUANTITY_ABOVE_MAX, XT_CMD_AMEND));
	fx_do(f, c_amend(A, 3, 0, 0));		/* 12 */
	EXPECT(f, ev_rej(12, 3, 0, A, XT_REJ_AMEND_NOTHING, XT_CMD_AMEND));
	fx_do(f, c_amend(A, 3, 100, 10));	/* 13 */
	EXPECT(f, ev_rej(13, 3, 0, A, XT_REJ_AMEND_NOTHING, XT_CMD_AMEND));
	fx_do(f, c_amend(A, 3, 0, 10));		/* 14 */
	EXPECT(f, ev_rej(14, 3, 0, A, XT_REJ_AMEND_NOTHING, XT_CMD_AMEND));
	fx_do(f, c_amend(A, 3, 100, 50));	/* 15: the symbol's max itself is fine */
	EXPECT(f, on_symbol(ev_amd(15, 3, BUY, A, 100, 50, 50, 1), 1),
		   on_symbol(ev_lvl(15, BUY, 100, 50, 1), 1));
	fx_close(f);
}

XT_TEST(amend_post_only)
{
	fx		   *f = fx_open(&small_cfg);
	xt_command	c = c_new(A, BUY, 100, 5);

	c.post_only = 1;
	fx_do(f, c_new(C, SELL, 102, 3));	/* 2 */
	fx_do(f, c);						/* 3 */
	fx_do(f, c_amend(A, 3, 102, 0));	/* 4 */
	EXPECT(f, ev_rej(4, 3, 0, A, XT_REJ_POST_ONLY_WOULD_CROSS, XT_CMD_AMEND));
	XT_CHECK_EQ(order(f, 3).price, 100);
	XT_CHECK_U64(order(f, 3).priority, 3);
	fx_do(f, c_amend(A, 3, 101, 0));	/* 5 */
	EXPECT(f, ev_amd(5, 3, BUY, A, 101, 5, 5, 1),
		   ev_lvl(5, BUY, 100, 0, 0),
		   ev_lvl(5, BUY, 101, 5, 1));
	XT_CHECK_EQ(order(f, 3).post_only, 1);
	fx_close(f);
}

XT_TEST(amend_with_self_trade_prevention)
{
	fx		   *f = fx_open(&small_cfg);

	fx_do(f, c_new(A, SELL, 101, 3));	/* 2 */
	fx_do(f, c_stp(c_new(A, BUY, 100, 5), XT_STP_CANCEL_BOTH));	/* 3 */
	fx_do(f, c_amend(A, 3, 101, 0));	/* 4 */
	EXPECT(f, ev_amd(4, 3, BUY, A, 101, 5, 5, 1),
		   ev_lvl(4, BUY, 100, 0, 0),
		   ev_cxl(4, 2, SELL, A, 101, 3, XT_CXL_SELF_TRADE),
		   ev_lvl(4, SELL, 101, 0, 0),
		   ev_cxl(4, 3, BUY, A, 101, 5, XT_CXL_SELF_TRADE));
	XT_CHECK_EQ(xt_engine_resting_orders(f->e), 0);

	fx_do(f, c_new(A, SELL, 101, 3));	/* 5 */
	fx_do(f, c_new(C, SELL, 101, 1));	/* 6 */
	fx_do(f, c_stp(c_new(A, BUY, 100, 5), XT_STP_CANCEL_RESTING));	/* 7 */
	fx_do(f, c_amend(A, 7, 101, 0));	/* 8 */
	EXPECT(f, ev_amd(8, 7, BUY, A, 101, 5, 5, 1),
		   ev_lvl(8, BUY, 100, 0, 0),
		   ev_cxl(8, 5, SELL, A, 101, 3, XT_CXL_SELF_TRADE),
		   ev_trade(8, 1, BUY, 7, 6, A, C, 101, 1, 5, 4, 1, 0),
		   ev_lvl(8, SELL, 101, 0, 0),
		   ev_lvl(8, BUY, 101, 4, 1));
	fx_close(f);
}

/* ---- capacity -------------------------------------------------------------------------------- */

XT_TEST(order_capacity)
{
	xt_engine_config cfg = {1, 3, 8, 0};
	fx		   *f = fx_open(&cfg);

	fx_do(f, c_new(A, BUY, 100, 1));	/* 2 */
	fx_do(f, c_new(A, BUY, 99, 1));		/* 3 */
	fx_do(f, c_new(B, SELL, 105, 5));	/* 4 */
	fx_do(f, c_new(A, BUY, 98, 1));		/* 5 */
	EXPECT(f, ev_rej_new(5, A, XT_REJ_ORDER_CAPACITY));
	/* checked for any GTC limit, even one that would trade completely */
	fx_do(f, c_new(C, BUY, 105, 1));	/* 6 */
	EXPECT(f, ev_rej_new(6, C, XT_REJ_ORDER_CAPACITY));
	/* but not for orders that cannot rest */
	fx_do(f, c_tif(C, BUY, 105, 1, XT_TIF_IOC));	/* 7 */
	EXPECT(f, ev_acc(7, BUY, XT_TYPE_LIMIT, XT_TIF_IOC, 0, C, 105, 1),
		   ev_trade(7, 1, BUY, 7, 4, C, B, 105, 1, 1, 0, 5, 4),
		   ev_lvl(7, SELL, 105, 4, 1));
	fx_do(f, c_market(C, SELL, 1, XT_TIF_IOC));	/* 8: frees a slot */
	XT_CHECK_EQ(xt_engine_resting_orders(f->e), 2);
	fx_do(f, c_new(A, BUY, 98, 1));		/* 9 */
	EXPECT(f, ev_acc_gtc(9, BUY, A, 98, 1), ev_lvl(9, BUY, 98, 1, 1));
	fx_do(f, c_cancel(A, 9));			/* 10 */
	fx_do(f, c_new(A, BUY, 97, 1));		/* 11: the freed slot is reused */
	EXPECT(f, ev_acc_gtc(11, BUY, A, 97, 1), ev_lvl(11, BUY, 97, 1, 1));
	fx_close(f);
}

XT_TEST(level_capacity)
{
	xt_engine_config cfg = {1, 16, 2, 0};
	fx		   *f = fx_open(&cfg);

	fx_do(f, c_new(A, BUY, 100, 1));	/* 2 */
	fx_do(f, c_new(A, BUY, 99, 1));		/* 3 */
	fx_do(f, c_new(A, BUY, 98, 1));		/* 4 */
	EXPECT(f, ev_rej_new(4, A, XT_REJ_LEVEL_CAPACITY));
	fx_do(f, c_new(A, BUY, 101, 1));	/* 5: a better price is no exception */
	EXPECT(f, ev_rej_new(5, A, XT_REJ_LEVEL_CAPACITY));
	fx_do(f, c_new(A, BUY, 99, 2));		/* 6: existing level */
	EXPECT(f, ev_acc_gtc(6, BUY, A, 99, 2), ev_lvl(6, BUY, 99, 3, 2));
	fx_do(f, c_new(B, SELL, 110, 1));	/* 7: the other side has its own limit */
	fx_do(f, c_new(B, SELL, 111, 1));	/* 8 */
	EXPECT(f, ev_acc_gtc(8, SELL, B, 111, 1), ev_lvl(8, SELL, 111, 1, 1));
	/* amend to a new price on a full side, even if its old level would empty */
	fx_do(f, c_amend(A, 2, 97, 0));		/* 9 */
	EXPECT(f, ev_rej(9, 2, 0, A, XT_REJ_LEVEL_CAPACITY, XT_CMD_AMEND));
	fx_do(f, c_amend(A, 2, 99, 0));		/* 10: to the other existing level is fine */
	EXPECT(f, ev_amd(10, 2, BUY, A, 99, 1, 1, 1),
		   ev_lvl(10, BUY, 100, 0, 0),
		   ev_lvl(10, BUY, 99, 4, 3));
	fx_do(f, c_amend(A, 3, 98, 0));		/* 11: one level free now */
	EXPECT(f, ev_amd(11, 3, BUY, A, 98, 1, 1, 1),
		   ev_lvl(11, BUY, 99, 3, 2),
		   ev_lvl(11, BUY, 98, 1, 1));
	/* an IOC never needs a level */
	fx_do(f, c_tif(A, BUY, 50, 1, XT_TIF_IOC));	/* 12 */
	EXPECT(f, ev_acc(12, BUY, XT_TYPE_LIMIT, XT_TIF_IOC, 0, A, 50, 1),
		   ev_exp(12, 12, BUY, A, 1, XT_EXP_IOC));
	fx_close(f);
}

XT_TEST(level_overflow)
{
	xt_engine_config cfg = {1, 1100, 8, 0};
	fx		   *f = fx_open(&cfg);

	/* 1024 * (2^53 - 1) = 2^63 - 1024: one lot short of INT64_MAX after 1023 more */
	for (int i = 0; i < 1024; i++)
		fx_do(f, c_new(A, BUY, 100, VMAX));
	XT_CHECK_EQ(level_qty(f, BUY, 0), INT64_MAX - 1023);
	fx_do(f, c_new(A, BUY, 100, 1024));
	EXPECT(f, ev_rej_new(f->seq, A, XT_REJ_LEVEL_OVERFLOW));
	fx_do(f, c_new(A, BUY, 100, 1023));	/* exactly INT64_MAX */
	EXPECT(f, ev_acc_gtc(f->seq, BUY, A, 100, 1023), ev_lvl(f->seq, BUY, 100, INT64_MAX, 1025));
	{
		uint64_t	small = f->seq;

		fx_do(f, c_amend(A, small, 0, 1024));	/* same price, grows past INT64_MAX */
		EXPECT(f, ev_rej(f->seq, small, 0, A, XT_REJ_LEVEL_OVERFLOW, XT_CMD_AMEND));
		fx_do(f, c_amend(A, small, 0, 1000));	/* shrinking is always fine */
		EXPECT(f, ev_amd(f->seq, small, BUY, A, 100, 1000, 1000, 0),
			   ev_lvl(f->seq, BUY, 100, INT64_MAX - 23, 1025));
	}
	{
		uint64_t	other = fx_do(f, c_new(A, BUY, 99, 24));

		fx_do(f, c_amend(A, other, 100, 0));	/* to a level with room for 23 */
		EXPECT(f, ev_rej(f->seq, other, 0, A, XT_REJ_LEVEL_OVERFLOW, XT_CMD_AMEND));
		fx_do(f, c_amend(A, other, 100, 23));
		EXPECT(f, ev_amd(f->seq, other, BUY, A, 100, 23, 23, 1),
			   ev_lvl(f->seq, BUY, 99, 0, 0),
			   ev_lvl(f->seq, BUY, 100, INT64_MAX, 1026));
	}
	/* a taker may eat from a full level, totals never overflow */
	fx_do(f, c_market(B, SELL, VMAX, XT_TIF_IOC));
	XT_CHECK_EQ(level_qty(f, BUY, 0), INT64_MAX - VMAX);
	fx_close(f);
}

/* ---- client order ids ------------------------------------------------------------------------ */

XT_TEST(clordid_duplicates)
{
	fx		   *f = fx_open(&small_cfg);	/* window of 4 */
	xt_command	c;

	fx_do(f, c_clordid(c_new(A, BUY, 100, 1), "x1"));	/* 2 */
	EXPECT(f, ev_acc_gtc(2, BUY, A, 100, 1), ev_lvl(2, BUY, 100, 1, 1));
	fx_do(f, c_clordid(c_new(A, SELL, 200, 7), "x1"));	/* 3: anything else may differ */
	EXPECT(f, ev_dup(3, 2, A));
	XT_CHECK_EQ(xt_engine_resting_orders(f->e), 1);
	c = c_clordid(c_new(A, BUY, 100, 1), "x1xxxxx");
	c.clordid_len = 2;					/* only the first clordid_len bytes count */
	fx_do(f, c);						/* 4 */
	EXPECT(f, ev_dup(4, 2, A));
	c = c_clordid(c_new(A, BUY, 100, 1), "x1");
	c.symbol = 3;						/* validation first: unknown symbol */
	fx_do(f, c);						/* 5 */
	EXPECT(f, ev_rej(5, 5, 3, A, XT_REJ_UNKNOWN_SYMBOL, XT_CMD_NEW_ORDER));
	fx_do(f, c_clordid(c_new(B, BUY, 100, 1), "x1"));	/* 6: other account */
	EXPECT(f, ev_acc_gtc(6, BUY, B, 100, 1), ev_lvl(6, BUY, 100, 2, 2));
	fx_do(f, c_clordid(c_new(A, BUY, 100, 0), "r1"));	/* 7: rejected, not remembered */
	fx_do(f, c_clordid(c_new(A, BUY, 100, 1), "r1"));	/* 8 */
	EXPECT(f, ev_acc_gtc(8, BUY, A, 100, 1), ev_lvl(8, BUY, 100, 3, 3));
	fx_do(f, c_clordid(c_tif(A, SELL, 500, 1, XT_TIF_IOC), "x2"));	/* 9: expires, remembered */
	fx_do(f, c_clordid(c_tif(A, SELL, 500, 1, XT_TIF_IOC), "x2"));	/* 10 */
	EXPECT(f, ev_dup(10, 9, A));
	/* window: (A,x1) (B,x1) (A,r1) (A,x2); one more evicts (A,x1) */
	fx_do(f, c_clordid(c_new(A, BUY, 90, 1), "x3"));	/* 11 */
	fx_do(f, c_clordid(c_new(A, BUY, 90, 1), "x1"));	/* 12: accepted again, evicts (B,x1) */
	EXPECT(f, ev_acc_gtc(12, BUY, A, 90, 1), ev_lvl(12, BUY, 90, 2, 2));
	fx_do(f, c_clordid(c_new(B, BUY, 90, 1), "x1"));	/* 13: evicts (A,r1) */
	EXPECT(f, ev_acc_gtc(13, BUY, B, 90, 1), ev_lvl(13, BUY, 90, 3, 3));
	fx_do(f, c_clordid(c_new(A, BUY, 90, 1), "x2"));	/* 14: still in the window */
	EXPECT(f, ev_dup(14, 9, A));
	fx_do(f, c_clordid(c_new(A, BUY, 90, 1), "x1"));	/* 15: the new original */
	EXPECT(f, ev_dup(15, 12, A));
	/* a duplicate is reported even when the original has left the book */
	fx_do(f, c_cancel(A, 12));			/* 16 */
	fx_do(f, c_clordid(c_new(A, BUY, 90, 1), "x1"));	/* 17 */
	EXPECT(f, ev_dup(17, 12, A));
	/* the longest id is fine */
	fx_do(f, c_clordid(c_new(A, BUY, 90, 1), "123456789012345678901234567890123456"));
	XT_CHECK_EQ(f->ev[0].type, XT_EV_ACCEPTED);
	fx_do(f, c_clordid(c_new(A, BUY, 90, 1), "123456789012345678901234567890123456"));
	EXPECT(f, ev_dup(f->seq, f->seq - 1, A));
	fx_close(f);
}

XT_TEST(clordid_dedup_disabled)
{
	xt_engine_config cfg = {1, 8, 8, 0};
	fx		   *f = fx_open(&cfg);

	fx_do(f, c_clordid(c_new(A, BUY, 100, 1), "x1"));
	fx_do(f, c_clordid(c_new(A, BUY, 100, 1), "x1"));
	EXPECT(f, ev_acc_gtc(3, BUY, A, 100, 1), ev_lvl(3, BUY, 100, 2, 2));
	fx_close(f);
}

XT_TEST(clordid_before_capacity)
{
	xt_engine_config cfg = {1, 1, 8, 4};
	fx		   *f = fx_open(&cfg);

	fx_do(f, c_clordid(c_new(A, BUY, 100, 1), "k"));	/* 2 */
	fx_do(f, c_clordid(c_new(A, BUY, 100, 1), "k"));	/* 3: duplicate, not capacity */
	EXPECT(f, ev_dup(3, 2, A));
	fx_do(f, c_clordid(c_new(A, BUY, 100, 1), "m"));	/* 4 */
	EXPECT(f, ev_rej_new(4, A, XT_REJ_ORDER_CAPACITY));
	fx_close(f);
}

/* ---- queries ---------------------------------------------------------------------------------- */

typedef struct visit
{
	int			n;
	int			stop_after;
	uint64_t	ids[16];
} visit;

static bool
visit_order(void *ctx, const xt_order_info *o)
{
	visit	   *v = ctx;

	if (v->n < 16)
		v->ids[v->n] = o->order_id;
	v->n++;
	return v->n != v->stop_after;
}

XT_TEST(queries)
{
	fx		   *f = fx_open(&small_cfg);
	xt_level_info lv[8];
	xt_order_info o;
	visit		v;
	int64_t		price = 0;
	xt_command	c;

	fx_do(f, c_new(A, BUY, 100, 5));	/* 2 */
	fx_do(f, c_new(B, BUY, 98, 1));		/* 3 */
	fx_do(f, c_new(C, BUY, 100, 2));	/* 4 */
	fx_do(f, c_new(A, SELL, 103, 7));	/* 5 */
	fx_do(f, c_new(B, SELL, 101, 3));	/* 6 */
	c = c_stp(c_new(C, SELL, 101, 9), XT_STP_CANCEL_BOTH);
	c.post_only = 1;
	fx_do(f, c);						/* 7 */

	XT_CHECK_EQ(xt_engine_depth(f->e, 0, BUY, lv, 8), 2);
	XT_CHECK_EQ(lv[0].price, 100);
	XT_CHECK_EQ(lv[0].quantity, 7);
	XT_CHECK_EQ(lv[0].orders, 2);
	XT_CHECK_EQ(lv[1].price, 98);
	XT_CHECK_EQ(lv[1].quantity, 1);
	XT_CHECK_EQ(lv[1].orders, 1);
	XT_CHECK_EQ(xt_engine_depth(f->e, 0, SELL, lv, 1), 1);
	XT_CHECK_EQ(lv[0].price, 101);
	XT_CHECK_EQ(lv[0].quantity, 12);
	XT_CHECK_EQ(xt_engine_depth(f->e, 0, SELL, lv, 0), 0);
	XT_CHECK_EQ(xt_engine_depth(f->e, 1, SELL, lv, 8), 0);
	XT_CHECK_EQ(xt_engine_depth(f->e, 99, SELL, lv, 8), 0);
	XT_CHECK_EQ(xt_engine_depth(f->e, 0, (xt_side) 2, lv, 8), 0);

	XT_CHECK(xt_engine_best(f->e, 0, BUY, &price) && price == 100);
	XT_CHECK(xt_engine_best(f->e, 0, SELL, &price) && price == 101);
	XT_CHECK(!xt_engine_best(f->e, 1, SELL, &price));
	XT_CHECK(!xt_engine_best(f->e, 70000, SELL, &price));

	XT_CHECK(xt_engine_order(f->e, 7, &o));
	XT_CHECK_U64(o.order_id, 7);
	XT_CHECK_U64(o.account, C);
	XT_CHECK_EQ(o.stp, XT_STP_CANCEL_BOTH);
	XT_CHECK_EQ(o.post_only, 1);
	XT_CHECK_EQ(o.side, SELL);
	XT_CHECK(!xt_engine_order(f->e, 1, &o));
	XT_CHECK(!xt_engine_order(f->e, 0, &o));
	XT_CHECK(!xt_engine_order(f->e, 1000, &o));

	memset(&v, 0, sizeof(v));
	xt_engine_foreach_order(f->e, 0, visit_order, &v);
	XT_CHECK_EQ(v.n, 6);
	XT_CHECK_U64(v.ids[0], 2);
	XT_CHECK_U64(v.ids[1], 4);
	XT_CHECK_U64(v.ids[2], 3);
	XT_CHECK_U64(v.ids[3], 6);
	XT_CHECK_U64(v.ids[4], 7);
	XT_CHECK_U64(v.ids[5], 5);
	memset(&v, 0, sizeof(v));
	v.stop_after = 3;
	xt_engine_foreach_order(f->e, 0, visit_order, &v);
	XT_CHECK_EQ(v.n, 3);
	memset(&v, 0, sizeof(v));
	xt_engine_foreach_order(f->e, 2, visit_order, &v);
	XT_CHECK_EQ(v.n, 0);
	XT_CHECK_EQ(xt_engine_resting_orders(f->e), 6);
	fx_close(f);
}

XT_TEST(names)
{
	XT_CHECK_STR(xt_status_name(XT_STATUS_PENDING), "Pending");
	XT_CHECK_STR(xt_status_name(XT_STATUS_PARTIALLY_FILLED), "PartiallyFilled");
	XT_CHECK_STR(xt_status_name(XT_STATUS_FILLED), "Filled");
	XT_CHECK_STR(xt_status_name(XT_STATUS_CANCELLED), "Cancelled");
	XT_CHECK_STR(xt_status_name(XT_STATUS_EXPIRED), "Expired");
	XT_CHECK_STR(xt_status_name(XT_STATUS_REJECTED), "Rejected");
	XT_CHECK_STR(xt_reason_name(XT_REJ_UNKNOWN_SYMBOL), "UNKNOWN_SYMBOL");
	XT_CHECK_STR(xt_reason_name(XT_REJ_INVALID_COMMAND), "INVALID_COMMAND");
	XT_CHECK_STR(xt_reason_name(XT_CXL_SELF_TRADE), "SELF_TRADE");
	XT_CHECK_STR(xt_reason_name(XT_EXP_FOK), "FOK");
	XT_CHECK_STR(xt_reason_name(XT_REASON_NONE), "NONE");
	XT_CHECK_STR(xt_event_type_name(XT_EV_TRADE), "Trade");
	XT_CHECK_STR(xt_event_type_name(XT_EV_SYMBOL_ADDED), "SymbolAdded");
	/* every defined value has its own name */
	for (int r = 0; r < 64; r++)
	{
		const char *name = xt_reason_name((xt_reason) r);

		if (strcmp(name, "UNKNOWN") == 0)
			continue;
		for (int q = 0; q < r; q++)
			XT_CHECK(strcmp(name, xt_reason_name((xt_reason) q)) != 0);
	}
	XT_CHECK_STR(xt_reason_name((xt_reason) 22), "UNKNOWN");
}

/* ---- hash ------------------------------------------------------------------------------------ */

/* The definition in engine.h, written out independently of the engine's code. */
static uint64_t
fnv_words(const uint64_t *w, int n)
{
	uint64_t	h = UINT64_C(0xcbf29ce484222325);

	for (int i = 0; i < n; i++)
		for (int b = 0; b < 8; b++)
		{
			h ^= (w[i] >> (8 * b)) & 0xff;
			h *= UINT64_C(0x100000001b3);
		}
	return h;
}

XT_TEST(hash_matches_the_written_definition)
{
	fx		   *f = fx_open_bare(&small_cfg);
	xt_command	c;

	{
		uint64_t	empty[] = {0, 0, 0};

		XT_CHECK_U64(xt_engine_hash(f->e), fnv_words(empty, 3));
	}
	fx_do(f, c_add_symbol(0, 0, 0));								/* 1 */
	fx_do(f, c_clordid(c_new(A, BUY, 100, 10), "abc"));			/* 2 */
	c = c_stp(c_new(B, SELL, 105, 4), XT_STP_CANCEL_BOTH);
	c.post_only = 1;
	fx_do(f, c);													/* 3 */
	fx_do(f, c_new(C, BUY, 105, 1));								/* 4: trade 1 */
	fx_do(f, c_clordid(c_tif(C, SELL, 200, 1, XT_TIF_IOC), "123456789"));	/* 5 */
	{
		uint64_t	w[] = {
			5, 1,
			0, 1, (uint64_t) VMAX,
			1, 100, 10, 1, 2, A, 2, 100, 10, 10, 0,
			1, 105, 3, 1, 3, B, 3, 105, 4, 3, 1 | 2 << 8 | 1 << 16,
			2,
			A, 2, 3, 'a' | 'b' << 8 | 'c' << 16,
			C, 5, 9, UINT64_C(0x3837363534333231), '9',
		};

		XT_CHECK_U64(xt_engine_hash(f->e), fnv_words(w, (int) (sizeof(w) / sizeof(w[0]))));
	}
	fx_close(f);
}

/* A seeded command stream over symbols 0 and 1 (registered) and 2 (not), with some invalid
 * values, all command types and frequent self-trades: for stress, snapshot and replay tests. */
typedef struct gen
{
	uint64_t	state;
	uint64_t	seq;
} gen;

static uint64_t
gen_next(gen *g)
{
	/* splitmix64: tiny, seedable, good enough for choosing test commands */
	uint64_t	z = (g->state += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static int64_t
gen_range(gen *g, int64_t lo, int64_t hi)
{
	return lo + (int64_t) (gen_next(g) % (uint64_t) (hi - lo + 1));
}

static xt_command
gen_command(gen *g)
{
	xt_command	c;
	int			kind = (int) gen_range(g, 0, 99);

	memset(&c, 0, sizeof(c));
	c.seq = ++g->seq;
	c.account = (uint64_t) gen_range(g, 1, 3);
	if (kind < 50)
	{
		c.type = XT_CMD_NEW_ORDER;
		c.symbol = (uint32_t) (gen_range(g, 0, 20) == 0 ? 2 : gen_range(g, 0, 1));
		c.side = (uint8_t) gen_range(g, 0, 1);
		c.order_type = (uint8_t) (gen_range(g, 0, 9) == 0 ? XT_TYPE_MARKET : XT_TYPE_LIMIT);
		c.tif = (uint8_t) (gen_range(g, 0, 9) < 7 ? XT_TIF_GTC : gen_range(g, 1, 2));
		c.stp = (uint8_t) gen_range(g, 0, 2);
		c.post_only = (uint8_t) (gen_range(g, 0, 7) == 0);
		c.price = c.order_type == XT_TYPE_MARKET ? 0 : gen_range(g, 95, 105);
		c.quantity = gen_range(g, 1, 12);
		if (gen_range(g, 0, 3) == 0)
		{
			c.clordid_len = (uint8_t) gen_range(g, 1, 2);
			c.clordid[0] = (char) ('a' + gen_range(g, 0, 3));
			c.clordid[1] = (char) ('a' + gen_range(g, 0, 3));
		}
		if (gen_range(g, 0, 49) == 0)
			c.quantity = 0;		/* an occasional invalid order */
	}
	else if (kind < 65)
	{
		c.type = XT_CMD_CANCEL;
		c.order_id = g->seq > 30 ? g->seq - (uint64_t) gen_range(g, 1, 30) : 1;
	}
	else if (kind < 99)
	{
		c.type = XT_CMD_AMEND;
		c.order_id = g->seq > 30 ? g->seq - (uint64_t) gen_range(g, 1, 30) : 1;
		c.price = gen_range(g, 0, 2) == 0 ? 0 : gen_range(g, 95, 105);
		c.quantity = gen_range(g, 0, 2) == 0 ? 0 : gen_range(g, 1, 14);
	}
	else
	{
		c.type = XT_CMD_ADD_SYMBOL;
		c.symbol = (uint32_t) gen_range(g, 0, 4);
	}
	return c;
}

/* Set up symbols 0 and 1 in engine f the way gen_command expects (seqs 1 and 2). */
static void
gen_setup(fx *f, gen *g, uint64_t seed)
{
	g->state = seed;
	g->seq = 0;
	fx_do(f, c_add_symbol(0, 0, 0));
	fx_do(f, c_add_symbol(1, 2, 11));
	g->seq = 2;
}

/* Hash of a list of events (to compare whole runs cheaply). */
static uint64_t
events_hash(uint64_t h, const fx *f)
{
	const unsigned char *p = (const unsigned char *) f->ev;

	for (size_t i = 0; i < (size_t) f->n * sizeof(xt_event); i++)
	{
		h ^= p[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

XT_TEST(hash_same_history_same_hash)
{
	const xt_engine_config big = {8, 256, 32, 16};
	fx		   *f1 = fx_open_bare(&small_cfg);
	fx		   *f2 = fx_open_bare(&small_cfg);
	fx		   *f3 = fx_open(&small_cfg);
	fx		   *f4 = fx_open(&big);
	gen			g1, g2;
	uint64_t	e1 = 1, e2 = 1;
	bool		all_same = true;

	gen_setup(f1, &g1, 42);
	gen_setup(f2, &g2, 42);
	for (int i = 0; i < 2000; i++)
	{
		fx_apply_raw(f1, (xt_command[]) {gen_command(&g1)});
		fx_apply_raw(f2, (xt_command[]) {gen_command(&g2)});
		e1 = events_hash(e1, f1);
		e2 = events_hash(e2, f2);
		all_same = all_same && xt_engine_hash(f1->e) == xt_engine_hash(f2->e);
	}
	XT_CHECK(all_same);
	XT_CHECK_U64(e1, e2);
	fx_close(f1);
	fx_close(f2);

	/* nor on the configuration, while no limit is reached */
	fx_do(f3, c_new(A, BUY, 100, 5));
	fx_do(f4, c_new(A, BUY, 100, 5));
	fx_do(f3, c_clordid(c_new(B, SELL, 100, 2), "z"));
	fx_do(f4, c_clordid(c_new(B, SELL, 100, 2), "z"));
	XT_CHECK_U64(xt_engine_hash(f3->e), xt_engine_hash(f4->e));
	fx_close(f3);
	fx_close(f4);
}

XT_TEST(hash_different_history_different_hash)
{
	fx		   *f1 = fx_open(&small_cfg);
	fx		   *f2 = fx_open(&small_cfg);
	uint64_t	h0 = xt_engine_hash(f1->e);

	XT_CHECK_U64(h0, xt_engine_hash(f2->e));
	fx_do(f1, c_new(A, BUY, 100, 5));
	fx_do(f2, c_new(A, BUY, 100, 6));
	XT_CHECK(xt_engine_hash(f1->e) != xt_engine_hash(f2->e));
	XT_CHECK(xt_engine_hash(f1->e) != h0);
	fx_do(f2, c_amend(A, 2, 0, 5));		/* same book as f1, one seq later */
	fx_do(f1, c_cancel(B, 2));			/* rejected: only the seq moves */
	XT_CHECK_U64(xt_engine_hash(f1->e), xt_engine_hash(f2->e));
	fx_do(f1, c_amend(A, 2, 0, 8));		/* priority changes */
	fx_do(f2, c_amend(A, 2, 0, 8));
	XT_CHECK_U64(xt_engine_hash(f1->e), xt_engine_hash(f2->e));
	fx_do(f1, c_clordid(c_new(A, BUY, 99, 1), "q"));
	fx_do(f2, c_new(A, BUY, 99, 1));	/* differs only in the dedup window */
	XT_CHECK(xt_engine_hash(f1->e) != xt_engine_hash(f2->e));
	fx_close(f1);
	fx_close(f2);
}

/* ---- snapshots ------------------------------------------------------------------------------- */

static void
fix_checksum(unsigned char *buf, size_t len)
{
	uint64_t	h = UINT64_C(0xcbf29ce484222325);

	for (size_t i = 0; i + 8 < len; i += 8)
	{
		uint64_t	w = 0;

		for (int b = 0; b < 8; b++)
			w |= (uint64_t) buf[i + b] << (8 * b);
		h = (h ^ w) * UINT64_C(0x100000001b3);
	}
	for (int b = 0; b < 8; b++)
		buf[len - 8 + b] = (unsigned char) (h >> (8 * b));
}

static unsigned char *
take_snapshot(fx *f, size_t *len)
{
	size_t		size = xt_engine_snapshot_size(f->e);
	unsigned char *buf = malloc(size + 16);

	if (buf == NULL)
		exit(2);
	XT_CHECK_EQ(xt_engine_snapshot(f->e, buf, size - 1, len), XT_ERR_BUFFER);
	XT_CHECK_EQ(xt_engine_snapshot(f->e, buf, size + 16, len), XT_OK);
	XT_CHECK_EQ(*len, size);
	return buf;
}

static bool
is_empty(fx *f)
{
	fx		   *fresh = fx_open_bare(&f->e->cfg);
	bool		empty = xt_engine_hash(f->e) == xt_engine_hash(fresh->e) &&
		xt_engine_resting_orders(f->e) == 0 && !xt_engine_has_symbol(f->e, 0) &&
		xt_engine_check(f->e) == NULL;

	fx_close(fresh);
	return empty;
}

XT_TEST(snapshot_restore_same_hash_and_future)
{
	const xt_engine_config big = {8, 256, 32, 16};
	fx		   *f = fx_open_bare(&small_cfg);
	fx		   *r = fx_open_bare(&small_cfg);
	fx		   *rb = fx_open_bare(&big);
	gen			g;
	size_t		len;
	unsigned char *buf;
	bool		same = true;

	gen_setup(f, &g, 7);
	for (int i = 0; i < 700; i++)
		fx_apply_raw(f, (xt_command[]) {gen_command(&g)});
	XT_CHECK(xt_engine_resting_orders(f->e) > 10);
	XT_CHECK(f->e->ring_head != 0);	/* the dedup ring has wrapped */
	buf = take_snapshot(f, &len);

	/* into a "dirty" engine: restore replaces whatever was there */
	fx_do(r, c_add_symbol(3, 0, 0));
	XT_CHECK_EQ(xt_engine_restore(r->e, buf, len), XT_OK);
	r->seq = xt_engine_last_seq(r->e);
	XT_CHECK_U64(xt_engine_hash(r->e), xt_engine_hash(f->e));
	XT_CHECK(xt_engine_has_symbol(r->e, 3) == xt_engine_has_symbol(f->e, 3));
	XT_CHECK(xt_engine_check(r->e) == NULL);
	XT_CHECK_EQ(xt_engine_last_trade_id(r->e), xt_engine_last_trade_id(f->e));
	XT_CHECK_EQ(xt_engine_resting_orders(r->e), xt_engine_resting_orders(f->e));
	/* a snapshot of the restored engine is byte-identical */
	{
		size_t		len2;
		unsigned char *buf2 = take_snapshot(r, &len2);

		XT_CHECK(len2 == len && memcmp(buf, buf2, len) == 0);
		free(buf2);
	}
	/* a larger engine holds it too */
	XT_CHECK_EQ(xt_engine_restore(rb->e, buf, len), XT_OK);
	XT_CHECK_U64(xt_engine_hash(rb->e), xt_engine_hash(f->e));

	for (int i = 0; i < 1500; i++)
	{
		xt_command	c = gen_command(&g);

		fx_apply_raw(f, &c);
		fx_apply_raw(r, &c);
		same = same && f->n == r->n && memcmp(f->ev, r->ev, (size_t) f->n * sizeof(xt_event)) == 0;
	}
	XT_CHECK(same);
	XT_CHECK_U64(xt_engine_hash(r->e), xt_engine_hash(f->e));
	free(buf);
	fx_close(f);
	fx_close(r);
	fx_close(rb);
}

XT_TEST(snapshot_empty_engine)
{
	fx		   *f = fx_open_bare(&small_cfg);
	fx		   *r = fx_open_bare(&small_cfg);
	size_t		len;
	unsigned char *buf = take_snapshot(f, &len);

	XT_CHECK_EQ(len, 64);
	XT_CHECK_EQ(xt_engine_restore(r->e, buf, len), XT_OK);
	XT_CHECK_U64(xt_engine_hash(r->e), xt_engine_hash(f->e));
	free(buf);
	fx_close(f);
	fx_close(r);
}

XT_TEST(snapshot_rejects_damage)
{
	fx		   *f = fx_open(&small_cfg);
	fx		   *r = fx_open_bare(&small_cfg);
	size_t		len;
	unsigned char *buf;
	unsigned char *bad;
	bool		all_caught = true;

	fx_do(f, c_clordid(c_new(A, BUY, 100, 5), "c1"));	/* 2 */
	fx_do(f, c_new(B, BUY, 100, 3));	/* 3 */
	fx_do(f, c_new(C, SELL, 104, 2));	/* 4 */
	buf = take_snapshot(f, &len);
	bad = malloc(len + 8);

	/* every single flipped bit is caught by the checksum */
	for (size_t i = 0; i < len; i++)
	{
		memcpy(bad, buf, len);
		bad[i] ^= (unsigned char) (1u << (i % 8));
		all_caught = all_caught && xt_engine_restore(r->e, bad, len) == XT_ERR_SNAPSHOT &&
			is_empty(r);
	}
	XT_CHECK(all_caught);
	/* every truncation, and trailing garbage */
	all_caught = true;
	for (size_t n = 0; n < len; n++)
		all_caught = all_caught && xt_engine_restore(r->e, buf, n) == XT_ERR_SNAPSHOT;
	XT_CHECK(all_caught);
	memcpy(bad, buf, len);
	memset(bad + len, 0, 8);
	XT_CHECK_EQ(xt_engine_restore(r->e, bad, len + 8), XT_ERR_SNAPSHOT);
	XT_CHECK_EQ(xt_engine_restore(r->e, NULL, len), XT_ERR_SNAPSHOT);

	/* well-checksummed but wrong: another version, a bad header, bad content */
	{
		/* offsets: header 56, symbol 0 at 56 (32 B), its best bid level at 88 (16 B),
		 * that level's first order (id 2) at 104, second (id 3) at 152 */
		struct
		{
			size_t		off;
			unsigned char val;
		}			edits[] = {
			{8, 2},				/* version 2 */
			{52, 1},			/* reserved header word */
			{12, 2},			/* symbol count disagrees with the length */
			{60, 3},			/* symbol 0 claims 3 buy levels */
			{88, 0},			/* level price 100 -> 0 */
			{96, 3},			/* level claims 3 orders */
			{100, 1},			/* reserved level word */
			{104 + 32, 9},		/* remaining 9 > quantity 5 */
			{104 + 40, 7},		/* stp 7 */
			{104 + 16, 3},		/* priority 3 = the next order's: not increasing */
			{152, 2},			/* order 3 renamed to 2: duplicate id */
			{104, 0},			/* order id 0 */
			{88, 200},			/* bid at 200 >= ask 104: crossed */
		};

		for (size_t k = 0; k < sizeof(edits) / sizeof(edits[0]); k++)
		{
			xt_result	res;

			memcpy(bad, buf, len);
			bad[edits[k].off] = edits[k].val;
			fix_checksum(bad, len);
			res = xt_engine_restore(r->e, bad, len);
			if (res != XT_ERR_SNAPSHOT || !is_empty(r))
				XT_FAIL_AT("edit %zu (offset %zu) was not rejected cleanly: %d", k, edits[k].off,
						   (int) res);
		}
	}
	/* and the original still restores */
	XT_CHECK_EQ(xt_engine_restore(r->e, buf, len), XT_OK);
	XT_CHECK_U64(xt_engine_hash(r->e), xt_engine_hash(f->e));
	free(bad);
	free(buf);
	fx_close(f);
	fx_close(r);
}

XT_TEST(snapshot_does_not_fit)
{
	const xt_engine_config tight[] = {
		{1, 64, 8, 4},			/* symbol 1 is registered */
		{4, 3, 8, 4},			/* 4 resting orders */
		{4, 64, 1, 4},			/* 2 bid levels */
		{4, 64, 8, 1},			/* 2 dedup entries */
		{4, 64, 8, 0},
	};
	fx		   *f = fx_open(&small_cfg);
	size_t		len;
	unsigned char *buf;

	fx_do(f, c_add_symbol(1, 0, 0));
	fx_do(f, c_clordid(c_new(A, BUY, 100, 5), "a"));
	fx_do(f, c_clordid(c_new(A, BUY, 99, 5), "b"));
	fx_do(f, c_new(A, SELL, 101, 5));
	fx_do(f, c_new(A, SELL, 101, 5));
	buf = take_snapshot(f, &len);
	for (size_t k = 0; k < sizeof(tight) / sizeof(tight[0]); k++)
	{
		fx		   *r = fx_open_bare(&tight[k]);

		if (xt_engine_restore(r->e, buf, len) != XT_ERR_SNAPSHOT_FIT || !is_empty(r))
			XT_FAIL_AT("config %zu accepted a snapshot too large for it", k);
		fx_close(r);
	}
	free(buf);
	fx_close(f);
}

/* ---- the invariant checker --------------------------------------------------------------------- */

XT_TEST(check_catches_corruption)
{
	fx		   *f = fx_open(&small_cfg);
	xt_engine  *e;
	uint32_t   *bid_lvix;
	int64_t    *bid_keys;
	xt_order   *o;
	xt_level   *lv;
	const char *msg;

	fx_do(f, c_clordid(c_new(A, BUY, 100, 5), "c1"));	/* 2 */
	fx_do(f, c_new(B, BUY, 100, 3));	/* 3 */
	fx_do(f, c_new(B, BUY, 98, 3));		/* 4 */
	fx_do(f, c_new(C, SELL, 104, 2));	/* 5 */
	fx_do(f, c_cancel(C, 5));			/* 6: a slot on the free list */
	fx_do(f, c_new(C, SELL, 105, 2));	/* 7 */
	fx_do(f, c_new(C, SELL, 106, 2));	/* 8 */
	e = f->e;
	XT_REQUIRE(xt_engine_check(e) == NULL);
	bid_lvix = xt_side_lvix(e, 0, BUY);
	bid_keys = xt_side_keys(e, 0, BUY);
	lv = &xt_levels(e)[bid_lvix[1]];	/* the best bid, 100 */
	o = &xt_orders(e)[xt_id_find(e, 2)];

#define CORRUPT(field, value) \
	do { \
		__typeof__(field) saved_ = (field); \
		(field) = (value); \
		msg = xt_engine_check(e); \
		XT_CHECK(msg != NULL); \
		(field) = saved_; \
		XT_CHECK(xt_engine_check(e) == NULL); \
	} while (0)

	CORRUPT(lv->total, lv->total + 1);
	CORRUPT(lv->count, 3);
	CORRUPT(lv->tail, lv->head);
	CORRUPT(o->remaining, 0);
	CORRUPT(o->remaining, o->quantity + 1);
	CORRUPT(o->price, 101);
	CORRUPT(o->priority, 3);
	CORRUPT(o->id, 77);
	CORRUPT(o->flags, 0x83);
	CORRUPT(o->next, xt_id_find(e, 2));	/* a cycle */
	CORRUPT(bid_keys[0], 100);			/* unsorted */
	CORRUPT(bid_keys[1], 99);			/* key disagrees with price */
	CORRUPT(bid_lvix[0], bid_lvix[1]);	/* one level listed twice */
	CORRUPT(xt_symbols(e)[0].nlevels[BUY], 1);
	CORRUPT(xt_symbols(e)[2].nlevels[SELL], 1);
	CORRUPT(e->resting, e->resting + 1);
	CORRUPT(e->order_free, xt_id_find(e, 2));
	CORRUPT(e->level_hwm, e->level_hwm + 1);
	CORRUPT(e->nsymbols, 2);
	CORRUPT(e->ring_count, 0);
	/* a crossed book: move the best ask's level (105) under the best bid */
	{
		uint32_t	n = xt_symbols(e)[0].nlevels[SELL];
		xt_level   *ask = &xt_levels(e)[xt_side_lvix(e, 0, SELL)[n - 1]];
		int64_t	   *ask_key = &xt_side_keys(e, 0, SELL)[n - 1];
		xt_order   *ao = &xt_orders(e)[ask->head];

		ask->price = ao->price = 100;
		*ask_key = -100;
		msg = xt_engine_check(e);
		XT_CHECK(msg != NULL && strstr(msg, "crossed") != NULL);
		ask->price = ao->price = 105;
		*ask_key = -105;
		XT_CHECK(xt_engine_check(e) == NULL);
	}
#undef CORRUPT
	fx_close(f);
}

/* ---- book primitives ------------------------------------------------------------------------ */

/* The sorted-array search against a linear scan: dense and sparse keys, every depth and size. */
XT_TEST(side_search_matches_linear_scan)
{
	int64_t		keys[300];
	gen			g = {12345, 0};
	int			wrong = 0;

	for (int round = 0; round < 4000; round++)
	{
		uint32_t	n = (uint32_t) gen_range(&g, 0, 300);
		int64_t		step_max = round % 3 == 0 ? 1 : round % 3 == 1 ? 3 : 1000;
		int64_t		k = gen_range(&g, -VMAX, VMAX - 300 * 1000);

		for (uint32_t i = 0; i < n; i++)
		{
			k += gen_range(&g, 1, step_max);
			keys[i] = k;
		}
		for (int q = 0; q < 20; q++)
		{
			int64_t		key;
			uint32_t	pos = 7777;
			uint32_t	want = 0;
			bool		found;

			if (n > 0 && q % 2 == 0)
				key = keys[gen_range(&g, 0, n - 1)] + gen_range(&g, -1, 1);
			else
				key = n > 0 ? gen_range(&g, keys[0] - 5, keys[n - 1] + 5) : gen_range(&g, -9, 9);
			while (want < n && keys[want] < key)
				want++;
			found = xt_side_search(keys, n, key, &pos);
			if (pos != want || found != (want < n && keys[want] == key))
				wrong++;
		}
	}
	XT_CHECK_EQ(wrong, 0);
}

/* The order-id index under heavy collisions: ids sharing their low 32 bits, long runs. */
XT_TEST(id_index_collisions)
{
	const xt_engine_config cfg = {1, 512, 8, 0};
	fx		   *f = fx_open_bare(&cfg);
	xt_engine  *e = f->e;
	uint64_t	ids[512];
	uint32_t	slots[512];
	uint32_t	n = 0;
	gen			g = {99, 0};
	int			wrong = 0;

	for (int step = 0; step < 20000; step++)
	{
		if (n < 512 && (n == 0 || gen_range(&g, 0, 2) > 0))
		{
			uint64_t	id;
			bool		dup;

			/* low 32 bits from a tiny range, high bits varied: many equal low halves */
			do
			{
				id = (uint64_t) gen_range(&g, 1, 40) << 32 | (uint64_t) gen_range(&g, 0, 24);
				dup = false;
				for (uint32_t i = 0; i < n; i++)
					dup = dup || ids[i] == id;
			} while (dup);
			slots[n] = xt_order_alloc(e);
			xt_orders(e)[slots[n]].id = id;
			xt_id_insert(e, id, slots[n]);
			ids[n++] = id;
		}
		else
		{
			uint32_t	k = (uint32_t) gen_range(&g, 0, n - 1);

			xt_order_release(e, slots[k]);
			ids[k] = ids[--n];
			slots[k] = slots[n];
		}
		if (step % 97 == 0 || n == 512)
		{
			for (uint32_t i = 0; i < n; i++)
				wrong += xt_id_find(e, ids[i]) != slots[i];
			wrong += xt_id_find(e, (uint64_t) 41 << 32 | 3) != XT_NIL;
			wrong += xt_id_find(e, 0) != XT_NIL;
		}
	}
	XT_CHECK_EQ(wrong, 0);
	fx_close(f);
}

/* ---- random stress: invariants, replicas from snapshots and from a moved block ------------------ */

XT_TEST(random_stress_with_replicas)
{
	const xt_engine_config cfg = {3, 40, 5, 6};
	fx		   *f = fx_open_bare(&cfg);
	fx		   *snap = NULL;	/* restored from a snapshot of f */
	fx		   *moved = NULL;	/* a byte copy of f's block at another address */
	gen			g;
	uint64_t	trade_id = 0;
	int			bad_events = 0;
	int			replica_diffs = 0;
	int			broken = 0;
	int			counts[10] = {0};
	int			reasons[64] = {0};
	const int	want_reasons[] = {
		XT_REJ_UNKNOWN_SYMBOL, XT_REJ_INVALID_QUANTITY, XT_REJ_QUANTITY_BELOW_MIN,
		XT_REJ_QUANTITY_ABOVE_MAX, XT_REJ_POST_ONLY_INVALID, XT_REJ_POST_ONLY_WOULD_CROSS,
		XT_REJ_ORDER_CAPACITY, XT_REJ_LEVEL_CAPACITY, XT_REJ_UNKNOWN_ORDER, XT_REJ_AMEND_NOTHING,
		XT_REJ_AMEND_QUANTITY, XT_REJ_SYMBOL_EXISTS, XT_REJ_SYMBOL_CAPACITY, XT_CXL_USER,
		XT_CXL_SELF_TRADE, XT_EXP_IOC, XT_EXP_FOK,
	};

	gen_setup(f, &g, 2024);
	for (int i = 0; i < 30000; i++)
	{
		xt_command	c = gen_command(&g);

		fx_apply_raw(f, &c);
		for (int k = 0; k < f->n; k++)
		{
			const xt_event *ev = &f->ev[k];

			counts[ev->type < 10 ? ev->type : 0]++;
			reasons[ev->reason < 64 ? ev->reason : 0]++;
			if (ev->seq != c.seq || ev->pad != 0 || ev->pad2 != 0)
				bad_events++;
			if (ev->type == XT_EV_TRADE &&
				(ev->trade_id != ++trade_id || ev->quantity < 1 || ev->price < 1 ||
				 ev->remaining < 0 || ev->maker_remaining < 0))
				bad_events++;
		}
		if (xt_engine_check(f->e) != NULL)
			broken++;
		for (int k = 0; k < 2; k++)
		{
			fx		   *rep = k == 0 ? snap : moved;

			if (rep == NULL)
				continue;
			fx_apply_raw(rep, &c);
			if (rep->n != f->n || memcmp(rep->ev, f->ev, (size_t) f->n * sizeof(xt_event)) != 0)
				replica_diffs++;
		}
		if (i % 5000 == 4999)
		{
			size_t		len;
			unsigned char *buf = take_snapshot(f, &len);

			if (snap != NULL)
			{
				XT_CHECK_U64(xt_engine_hash(snap->e), xt_engine_hash(f->e));
				fx_close(snap);
			}
			if (moved != NULL)
			{
				XT_CHECK_U64(xt_engine_hash(moved->e), xt_engine_hash(f->e));
				fx_close(moved);
			}
			snap = fx_open_bare(&cfg);
			XT_CHECK_EQ(xt_engine_restore(snap->e, buf, len), XT_OK);
			snap->seq = f->seq;
			free(buf);
			moved = fx_open_bare(&cfg);
			memcpy(moved->mem, f->mem, f->size);
			moved->e = (xt_engine *) moved->mem;
			moved->seq = f->seq;
		}
	}
	XT_CHECK_EQ(bad_events, 0);
	XT_CHECK_EQ(replica_diffs, 0);
	XT_CHECK_EQ(broken, 0);
	/* the stream reached every kind of event */
	for (int t = XT_EV_ACCEPTED; t <= XT_EV_SYMBOL_ADDED; t++)
		if (counts[t] == 0)
			XT_FAIL_AT("no %s event in the stress run", xt_event_type_name((xt_event_type) t));
	for (size_t k = 0; k < sizeof(want_reasons) / sizeof(want_reasons[0]); k++)
		if (reasons[want_reasons[k]] == 0)
			XT_FAIL_AT("no reason %s in the stress run", xt_reason_name((xt_reason) want_reasons[k]));
	XT_CHECK_U64(xt_engine_hash(snap->e), xt_engine_hash(f->e));
	XT_CHECK_U64(xt_engine_hash(moved->e), xt_engine_hash(f->e));
	fx_close(snap);
	fx_close(moved);
	fx_close(f);
}

XT_TEST_MAIN()
