/*
 * test_differential.c: the real engine (src/engine) against the reference model (reference.c).
 *
 * Owns the claim "the engine does what engine.h says" at scale: a seeded generator produces
 * millions of random commands (valid and invalid, clustered around the spread so that matching,
 * self-trade prevention, FOK, amends, duplicates and capacity limits are all frequent), and every
 * command must give the same xt_result and the same events, byte for byte, from the engine and
 * from the model. Periodically, and at the end, the hash, the depth of every book, a sample of
 * orders, foreach_order and the resting count must agree too.
 *
 * It also owns the determinism/snapshot check: at random points the engine is snapshotted and
 * restored into a fresh engine, and from then on both engines (and the model) get every command
 * and must stay identical.
 *
 * On the first mismatch a run stops and prints the profile, seed and command index (the stream is
 * a pure function of the seed and the model's state, so that is a reproducer), the command, and
 * both event lists.
 */
#include "engine/engine.h"
#include "event_print.h"
#include "reference.h"
#include "xt_test.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#if defined(__SANITIZE_ADDRESS__)
#define XT_DIFF_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define XT_DIFF_SANITIZED 1
#endif
#endif

/*
 * Commands per seed: at least a million in the normal build; under ASan/UBSan (about 10x slower)
 * a tenth of it keeps the sanitizer run within a minute or two.
 */
#ifdef XT_DIFF_SANITIZED
#define SCALE_DIV	10
#else
#define SCALE_DIV	1
#endif

#define CHECK_EVERY 997			/* full cross-check period (prime: drifts over the phases) */
#define MAX_SYMBOLS_GEN 64		/* the generator tracks at most this many symbol ids */

/* ---- a run profile ----------------------------------------------------------------------------- */

typedef enum gen_mode
{
	MODE_NORMAL,				/* a few books around a drifting mid, all paths */
	MODE_OVERFLOW				/* huge quantities piled on two prices: level totals near 2^63 */
} gen_mode;

typedef struct profile
{
	const char *name;
	uint64_t	seed;
	long		commands;
	xt_engine_config cfg;
	uint32_t	initial_symbols;	/* registered by ADD_SYMBOL before the random stream */
	uint32_t	target_resting; /* cancels speed up above this book size */
	uint32_t	accounts;
	uint32_t	clordid_pool;	/* distinct reusable clordids per account */
	int			snapshots;		/* snapshot/restore points in the run */
	gen_mode	mode;
	const int  *required;		/* rejections this run must produce, 0-terminated: a reason,
								 * or CR(command, reason) for one command type */
} profile;

#define CR(cmd, reason) ((cmd) * 100 + (reason))

/* ---- PRNG: splitmix64 seeds xoshiro256** ------------------------------------------------------- */

typedef struct rng
{
	uint64_t	s[4];
} rng;

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t	z = (*x += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static void
rng_seed(rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
rng_next(rng *r)
{
	uint64_t	result = rotl(r->s[1] * 5, 7) * 9;
	uint64_t	t = r->s[1] << 17;

	r->s[2] ^= r->s[0];
	r->s[3] ^= r->s[1];
	r->s[1] ^= r->s[2];
	r->s[0] ^= r->s[3];
	r->s[2] ^= t;
	r->s[3] = rotl(r->s[3], 45);
	return result;
}

/* uniform in [0, n) (the modulo bias is irrelevant at these ranges); n > 0 */
static uint64_t
rng_below(rng *r, uint64_t n)
{
	return rng_next(r) % n;
}

static bool
rng_pm(rng *r, unsigned per_mille)
{
	return rng_below(r, 1000) < per_mille;
}

/* ---- event lists -------------------------------------------------------------------------------- */

typedef struct evlist
{
	xt_event   *ev;
	size_t		n;
	size_t		cap;
} evlist;

static void
evlist_sink(void *ctx, const xt_event *ev)
{
	evlist	   *l = ctx;

	if (l->n == l->cap)
	{
		l->cap = l->cap ? l->cap * 2 : 256;
		l->ev = realloc(l->ev, l->cap * sizeof(xt_event));
		if (l->ev == NULL)
			abort();
	}
	l->ev[l->n++] = *ev;
}

/* ---- printing ---------------------------------------------------------------------------------- */



static void
print_command(const xt_command *c)
{
	fprintf(stderr, "  command: seq=%" PRIu64 " type=%u side=%u order_type=%u tif=%u stp=%u "
			"post_only=%u symbol=%u account=%" PRIu64 " order_id=%" PRIu64 " price=%" PRId64
			" quantity=%" PRId64 " max_quantity=%" PRId64 " clordid_len=%u clordid=\"",
			c->seq, c->type, c->side, c->order_type, c->tif, c->stp, c->post_only, c->symbol,
			c->account, c->order_id, c->price, c->quantity, c->max_quantity, c->clordid_len);
	for (int i = 0; i < XT_CLORDID_MAX && i < c->clordid_len; i++)
	{
		unsigned char ch = (unsigned char) c->clordid[i];

		if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\')
			fputc(ch, stderr);
		else
			fprintf(stderr, "\\x%02x", ch);
	}
	fprintf(stderr, "\"\n");
}

static void
print_lists(const char *a_name, const evlist *a, const char *b_name, const evlist *b)
{
	size_t		first = 0;

	while (first < a->n && first < b->n &&
		   memcmp(&a->ev[first], &b->ev[first], sizeof(xt_event)) == 0)
		first++;
	fprintf(stderr, "  %s (%zu events):\n", a_name, a->n);
	for (size_t i = 0; i < a->n; i++)
		xt_test_print_event(i == first ? "    ! " : "      ", &a->ev[i]);
	fprintf(stderr, "  %s (%zu events):\n", b_name, b->n);
	for (size_t i = 0; i < b->n; i++)
		xt_test_print_event(i == first ? "    ! " : "      ", &b->ev[i]);
}

/* ---- coverage ---------------------------------------------------------------------------------- */

typedef struct coverage
{
	long		events[16];		/* by event type */
	long		rejects[5][64];	/* by command type (0 = unknown) and reason */
	long		trades;
	long		sweeps;			/* commands whose trades hit two or more prices */
	long		stp_maker;		/* resting orders cancelled by STP */
	long		stp_taker;		/* incoming/amended orders cancelled by STP */
	long		stp_taker_market;	/* ... of which market orders */
	long		user_cancels;
	long		exp_ioc;
	long		exp_fok;
	long		fok_filled;
	long		market_accepted;
	long		post_only_rested;
	long		amend_kept;		/* AMENDED priority_lost 0 */
	long		amend_lost;
	long		amend_traded;	/* an amend whose new price traded */
	long		amend_stp;		/* an amend cancelled by STP */
	long		duplicates;
	long		symbols_added;
	long		seq_errors;
	long		snapshots;
	long		restores_checked;	/* failed restores (corrupt, truncated, too small) verified */
	long		checkpoints;
	uint32_t	max_resting;
} coverage;

/* Counts the interesting paths of one command, from the model's events. */
static void
cover_command(coverage *cv, const xt_command *c, const evlist *l)
{
	int64_t		first_trade_price = 0;
	bool		traded = false;
	bool		sweep = false;
	bool		fok = false;
	bool		fok_expired = false;

	for (size_t i = 0; i < l->n; i++)
	{
		const xt_event *e = &l->ev[i];

		if (e->type < 16)
			cv->events[e->type]++;
		switch (e->type)
		{
			case XT_EV_REJECTED:
				cv->rejects[e->command <= 4 ? e->command : 0][e->reason & 63]++;
				break;
			case XT_EV_ACCEPTED:
				if (e->tif == XT_TIF_FOK)
					fok = true;
				if (e->order_type == XT_TYPE_MARKET)
					cv->market_accepted++;
				break;
			case XT_EV_TRADE:
				cv->trades++;
				if (traded && e->price != first_trade_price)
					sweep = true;
				if (!traded)
					first_trade_price = e->price;
				traded = true;
				if (c->type == XT_CMD_AMEND)
					cv->amend_traded++;
				break;
			case XT_EV_CANCELLED:
				if (e->reason == XT_CXL_USER)
					cv->user_cancels++;
				else if (e->order_id == c->seq ||
						 (c->type == XT_CMD_AMEND && e->order_id == c->order_id))
				{
					cv->stp_taker++;
					if (c->type == XT_CMD_AMEND)
						cv->amend_stp++;
					else if (c->order_type == XT_TYPE_MARKET)
						cv->stp_taker_market++;
				}
				else
					cv->stp_maker++;
				break;
			case XT_EV_EXPIRED:
				if (e->reason == XT_EXP_FOK)
				{
					cv->exp_fok++;
					fok_expired = true;
				}
				else
					cv->exp_ioc++;
				break;
			case XT_EV_AMENDED:
				if (e->priority_lost)
					cv->amend_lost++;
				else
					cv->amend_kept++;
				break;
			case XT_EV_DUPLICATE:
				cv->duplicates++;
				break;
			case XT_EV_SYMBOL_ADDED:
				cv->symbols_added++;
				break;
			case XT_EV_LEVEL:
				if (c->type == XT_CMD_NEW_ORDER && c->post_only && e->side == c->side)
					cv->post_only_rested++;
				break;
		}
	}
	if (sweep)
		cv->sweeps++;
	if (fok && !fok_expired && traded)
		cv->fok_filled++;
}

/* ---- the differential run ---------------------------------------------------------------------- */

typedef struct gen_symbol
{
	bool		known;			/* registered (from SYMBOL_ADDED) */
	int64_t		min_qty;
	int64_t		max_qty;
	int64_t		mid;			/* where the generator centres prices */
} gen_symbol;

typedef struct diff
{
	const profile *p;
	xt_engine_config cfg;
	size_t		size;
	xt_engine  *a;				/* the engine that never stops */
	void	   *amem;
	xt_engine  *b;				/* restored from a snapshot (NULL before the first one) */
	void	   *bmem;
	xt_ref	   *ref;
	uint64_t	seq;			/* last applied */
	long		index;			/* index of the current command in the run */

	rng			gen;			/* the command stream */
	rng			aux;			/* checks and snapshot choices: never perturbs the stream */
	gen_symbol	sym[MAX_SYMBOLS_GEN];
	uint64_t   *ids;			/* ids of GTC orders seen accepted (maybe no longer resting) */
	size_t		nids;
	size_t		capids;
	long	   *snap_at;		/* command indexes of snapshot points, ascending */
	int			nsnap;
	int			next_snap;

	evlist		er;				/* events of the current command: model, engine a, engine b */
	evlist		ea;
	evlist		eb;
	coverage	cv;
	bool		failed;
} diff;

static void *
xmalloc(size_t n)
{
	void	   *p = malloc(n ? n : 1);

	if (p == NULL)
		abort();
	return p;
}

/* A fresh engine for cfg in a malloc'd block (malloc is 16-byte aligned, engine needs 8). */
static xt_engine *
new_engine(const xt_engine_config *cfg, void **mem)
{
	size_t		size = xt_engine_size(cfg);
	xt_engine  *e = NULL;

	*mem = xmalloc(size);
	if (xt_engine_init(*mem, size, cfg, &e) != XT_OK || e == NULL)
	{
		fprintf(stderr, "  xt_engine_init failed for a valid configuration\n");
		abort();
	}
	return e;
}

static void
fail_header(diff *d, const char *what)
{
	fprintf(stderr, "  MISMATCH (%s): profile %s seed %" PRIu64 " command index %ld seq %" PRIu64
			"\n", what, d->p->name, d->p->seed, d->index, d->seq);
	d->failed = true;
}

/* ---- generating commands ------------------------------------------------------------------------ */

static uint32_t
gen_symbol_id(diff *d)
{
	uint32_t	known[MAX_SYMBOLS_GEN];
	uint32_t	n = 0;
	uint32_t	lim = d->cfg.max_symbols < MAX_SYMBOLS_GEN ? d->cfg.max_symbols : MAX_SYMBOLS_GEN;

	for (uint32_t s = 0; s < lim; s++)
		if (d->sym[s].known)
			known[n++] = s;
	/* now and then an unregistered id or one past max_symbols */
	if (n == 0 || rng_pm(&d->gen, 15))
		return rng_pm(&d->gen, 50) ? UINT32_MAX : (uint32_t) rng_below(&d->gen, d->cfg.max_symbols + 3);
	return known[rng_below(&d->gen, n)];
}

static int64_t
gen_invalid_value(diff *d)
{
	static const int64_t bad[] = {0, -1, -1000, XT_VALUE_MAX + 1, INT64_MAX, INT64_MIN};

	return bad[rng_below(&d->gen, sizeof(bad) / sizeof(bad[0]))];
}

static int64_t
clamp_price(int64_t p)
{
	return p < 1 ? 1 : p;
}

static int64_t
gen_limit_price(diff *d, uint32_t s, int side)
{
	rng		   *r = &d->gen;
	int64_t		mid = s < MAX_SYMBOLS_GEN ? d->sym[s].mid : 1000;
	uint64_t	u = rng_below(r, 1000);

	if (d->p->mode == MODE_OVERFLOW)
	{
		/* two bid prices, two ask prices ten ticks higher: the bid levels mostly only grow */
		if (u < 5)
			return gen_invalid_value(d);
		return side == XT_SIDE_BUY ? (u < 950 ? 100 : 101) : (u < 900 ? 111 : 110);
	}
	if (u < 5)
		return gen_invalid_value(d);
	if (u < 7)
		return XT_VALUE_MAX;	/* valid extreme: a buy sweeps the whole ask side */
	if (u < 9)
		return 1;
	if (u < 30)
		return clamp_price(mid + (rng_pm(r, 500) ? 1 : -1) * (int64_t) (10 + rng_below(r, 1000)));
	/* near the mid, buys a tick lower and sells a tick higher: they overlap often */
	return clamp_price(mid + (int64_t) rng_below(r, 9) - 4 + (side == XT_SIDE_BUY ? -1 : 1));
}

static int64_t
gen_quantity(diff *d, uint32_t s)
{
	rng		   *r = &d->gen;
	uint64_t	u = rng_below(r, 1000);
	int64_t		lo = 1;
	int64_t		hi = XT_VALUE_MAX;

	if (s < MAX_SYMBOLS_GEN && d->sym[s].known)
	{
		lo = d->sym[s].min_qty;
		hi = d->sym[s].max_qty;
	}
	if (d->p->mode == MODE_OVERFLOW)
	{
		if (u < 5)
			return gen_invalid_value(d);
		if (u < 850)
			return XT_VALUE_MAX - (int64_t) rng_below(r, 3);
		return 1 + (int64_t) rng_below(r, 2000);
	}
	if (u < 10)
		return gen_invalid_value(d);
	if (u < 30)
	{
		/* the symbol's limits and one past them */
		int64_t		edge[] = {lo - 1, lo, hi, hi + 1};

		return edge[rng_below(r, 4)];
	}
	if (u < 35)
		return 1 + (int64_t) rng_below(r, (uint64_t) XT_VALUE_MAX);
	if (u < 250)
		return 1 + (int64_t) rng_below(r, 200);
	return 1 + (int64_t) rng_below(r, 20);
}

static void
gen_clordid(diff *d, xt_command *c)
{
	rng		   *r = &d->gen;
	uint64_t	u = rng_below(r, 1000);

	if (u < 300)
	{
		/* a small reusable pool per account: repeats within and after the dedup window */
		int			n = snprintf(c->clordid, sizeof(c->clordid), "ord-%u",
								 (unsigned) rng_below(r, d->p->clordid_pool));

		c->clordid_len = (uint8_t) n;
	}
	else if (u < 330)
	{
		c->clordid_len = (uint8_t) (1 + rng_below(r, XT_CLORDID_MAX));
		for (int i = 0; i < c->clordid_len; i++)
			c->clordid[i] = (char) rng_below(r, 256);
	}
	else if (u < 333)
		c->clordid_len = (uint8_t) (XT_CLORDID_MAX + 1 + rng_below(r, 255 - XT_CLORDID_MAX));
	/* bytes past clordid_len are not part of the id: fill them with noise half of the time */
	if (c->clordid_len < XT_CLORDID_MAX && rng_pm(r, 500))
		for (int i = c->clordid_len; i < XT_CLORDID_MAX; i++)
			c->clordid[i] = (char) (1 + rng_below(r, 255));
}

/*
 * The quantity that exactly fills the level (symbol, side, price) up to INT64_MAX, or one more:
 * the LEVEL_OVERFLOW boundary. 0 if the level does not exist or has more room than one order.
 */
static int64_t
overflow_edge(diff *d, uint32_t symbol, int side, int64_t price)
{
	xt_level_info *l = xmalloc(d->cfg.max_levels * sizeof(xt_level_info));
	uint32_t	n = xt_ref_depth(d->ref, symbol, (xt_side) side, l, d->cfg.max_levels);
	int64_t		edge = 0;

	for (uint32_t i = 0; i < n; i++)
	{
		if (l[i].price == price && INT64_MAX - l[i].quantity < XT_VALUE_MAX)
			edge = INT64_MAX - l[i].quantity + (int64_t) rng_below(&d->gen, 2);
	}
	free(l);
	return edge;
}

static void
gen_new(diff *d, xt_command *c)
{
	rng		   *r = &d->gen;
	uint64_t	u;

	c->type = XT_CMD_NEW_ORDER;
	c->symbol = gen_symbol_id(d);
	c->side = (uint8_t) (rng_pm(r, 3) ? 2 + rng_below(r, 254) : rng_below(r, 2));
	if (d->p->mode == MODE_OVERFLOW && c->side <= XT_SIDE_SELL)
		c->side = rng_pm(r, 900) ? XT_SIDE_BUY : XT_SIDE_SELL;	/* bids pile up */
	if (rng_pm(r, 3))
		c->order_type = (uint8_t) (2 + rng_below(r, 254));
	else
		c->order_type = rng_pm(r, d->p->mode == MODE_OVERFLOW ? 20 : 100) ?
			XT_TYPE_MARKET : XT_TYPE_LIMIT;
	u = rng_below(r, 1000);
	c->tif = (uint8_t) (u < 3 ? 3 + rng_below(r, 253) :
						u < 650 ? XT_TIF_GTC : u < 850 ? XT_TIF_IOC : XT_TIF_FOK);
	if (d->p->mode == MODE_OVERFLOW && u < 950)
		c->tif = XT_TIF_GTC;
	u = rng_below(r, 1000);
	c->stp = (uint8_t) (u < 3 ? 3 + rng_below(r, 253) :
						u < 700 ? XT_STP_CANCEL_RESTING :
						u < 850 ? XT_STP_CANCEL_INCOMING : XT_STP_CANCEL_BOTH);
	u = rng_below(r, 1000);
	c->post_only = (uint8_t) (u < 3 ? 2 + rng_below(r, 254) : u < 110 ? 1 : 0);
	c->account = 1 + rng_below(r, d->p->accounts);
	if (rng_pm(r, 10))
	{
		/* accounts at the edges: 0 and ~0 must not be special to the engine */
		static const uint64_t odd[] = {0, UINT64_MAX, UINT64_C(1) << 63, 1000};

		c->account = odd[rng_below(r, 4)];
	}
	if (c->order_type == XT_TYPE_MARKET)
		c->price = rng_pm(r, 10) ? 1 + (int64_t) rng_below(r, 1000) : 0;
	else
		c->price = gen_limit_price(d, c->symbol, c->side);
	c->quantity = gen_quantity(d, c->symbol);
	if (d->p->mode == MODE_OVERFLOW && c->order_type == XT_TYPE_LIMIT && rng_pm(r, 150))
	{
		int64_t		edge = overflow_edge(d, c->symbol, c->side, c->price);

		if (edge >= 1 && edge <= XT_VALUE_MAX)
			c->quantity = edge;
	}
	gen_clordid(d, c);
}

/* A resting order id from the candidates (dropping those that are gone), or 0. */
static uint64_t
pick_live(diff *d, xt_order_info *o)
{
	for (int tries = 0; tries < 8 && d->nids > 0; tries++)
	{
		size_t		i = (size_t) rng_below(&d->gen, d->nids);
		uint64_t	id = d->ids[i];

		if (xt_ref_order(d->ref, id, o))
			return id;
		d->ids[i] = d->ids[--d->nids];
	}
	return 0;
}

/* An id that is most likely not resting: filled, cancelled, never an order, or in the future. */
static uint64_t
gen_dead_id(diff *d)
{
	uint64_t	u = rng_below(&d->gen, 12);

	if (u == 0)
		return rng_pm(&d->gen, 500) ? 0 : UINT64_MAX;
	if (u == 1)
		return d->seq + 1 + rng_below(&d->gen, 5);
	if (u == 2 && d->nids > 0)
	{
		/* the low 32 bits of a (probably) live id: an index keyed on them must still miss */
		return d->ids[rng_below(&d->gen, d->nids)] + (UINT64_C(1) << (32 + rng_below(&d->gen, 31)));
	}
	return 1 + rng_below(&d->gen, d->seq + 1);
}

static uint64_t
other_account(diff *d, uint64_t acct)
{
	return acct + 1 + rng_below(&d->gen, d->p->accounts);
}

static void
gen_cancel(diff *d, xt_command *c)
{
	xt_order_info o;
	uint64_t	id = rng_pm(&d->gen, 880) ? pick_live(d, &o) : 0;

	c->type = XT_CMD_CANCEL;
	if (id != 0)
	{
		c->order_id = id;
		c->account = rng_pm(&d->gen, 950) ? o.account : other_account(d, o.account);
	}
	else
	{
		c->order_id = gen_dead_id(d);
		c->account = 1 + rng_below(&d->gen, d->p->accounts);
	}
}

static void
gen_amend(diff *d, xt_command *c)
{
	rng		   *r = &d->gen;
	xt_order_info o;
	uint64_t	id = rng_pm(r, 920) ? pick_live(d, &o) : 0;
	uint64_t	u;

	c->type = XT_CMD_AMEND;
	if (id == 0)
	{
		c->order_id = gen_dead_id(d);
		c->account = 1 + rng_below(r, d->p->accounts);
		c->price = rng_pm(r, 500) ? gen_limit_price(d, 0, XT_SIDE_BUY) : 0;
		c->quantity = rng_pm(r, 500) ? 1 + (int64_t) rng_below(r, 20) : 0;
		return;
	}
	c->order_id = id;
	c->account = rng_pm(r, 970) ? o.account : other_account(d, o.account);

	u = rng_below(r, 1000);
	if (u < 400)
		c->price = 0;
	else if (u < 500)
		c->price = o.price;
	else if (u < 800)
		c->price = gen_limit_price(d, o.symbol, o.side);	/* may cross */
	else if (u < 950)
		c->price = clamp_price(o.price + (int64_t) rng_below(r, 7) - 3);
	else if (u < 970)
		c->price = gen_invalid_value(d);
	else
		c->price = 0;

	u = rng_below(r, 1000);
	if (u < 420)
		c->quantity = 0;
	else if (u < 520)
		c->quantity = o.quantity;
	else if (u < 700)
		c->quantity = 1 + (int64_t) rng_below(r, (uint64_t) o.quantity);	/* down, or <= filled */
	else if (u < 850)
		c->quantity = o.quantity + 1 + (int64_t) rng_below(r, 20);
	else if (u < 920)
		c->quantity = o.quantity - o.remaining + (int64_t) rng_below(r, 2);	/* filled, +1 */
	else if (u < 960)
	{
		gen_symbol *gs = o.symbol < MAX_SYMBOLS_GEN ? &d->sym[o.symbol] : NULL;
		int64_t		edge[] = {gs ? gs->min_qty - 1 : 0, gs ? gs->max_qty + 1 : 0,
		gs ? gs->max_qty : 1};

		c->quantity = edge[rng_below(r, 3)];
	}
	else if (u < 980)
		c->quantity = gen_invalid_value(d);
	else
		c->quantity = 0;
	if (d->p->mode == MODE_OVERFLOW && rng_pm(r, 300))
	{
		/* grow it up to (or one past) the room left on its level, at its price or a new one */
		int64_t		price = c->price != 0 ? c->price : o.price;
		int64_t		edge = overflow_edge(d, o.symbol, o.side, price);
		int64_t		filled = o.quantity - o.remaining;

		if (price == o.price)
			edge += o.remaining;	/* its own remaining is already in the total */
		c->quantity = o.quantity + 1 + (int64_t) rng_below(r, 3000);
		if (edge > 0 && edge <= XT_VALUE_MAX - filled)
			c->quantity = filled + edge;
	}
}

/*
 * ADD_SYMBOL. Invalid limits go to a free id while there is one (else the capacity and exists
 * checks, which come first, would hide them); valid ones register the free ids one at a time,
 * spread over the run, and otherwise hit a used id or one past max_symbols.
 */
static void
gen_add_symbol(diff *d, xt_command *c)
{
	rng		   *r = &d->gen;
	uint64_t	u = rng_below(r, 1000);
	uint32_t	lim = d->cfg.max_symbols < MAX_SYMBOLS_GEN ? d->cfg.max_symbols : MAX_SYMBOLS_GEN;
	uint32_t	free_ids[MAX_SYMBOLS_GEN];
	uint32_t	nfree = 0;
	bool		valid = u < 600;
	long		slot = d->p->commands / (long) (lim - d->p->initial_symbols + 1);
	long		added = d->cv.symbols_added - (long) d->p->initial_symbols;

	for (uint32_t s = 0; s < lim; s++)
		if (!d->sym[s].known)
			free_ids[nfree++] = s;
	c->type = XT_CMD_ADD_SYMBOL;
	c->symbol = (uint32_t) rng_below(r, d->cfg.max_symbols + 2);
	if (nfree > 0 && (valid ? d->index >= slot * (added + 1) : rng_pm(r, 900)))
		c->symbol = free_ids[rng_below(r, nfree)];
	else if (valid && c->symbol < lim && !d->sym[c->symbol].known)
		c->symbol = d->cfg.max_symbols + (uint32_t) rng_below(r, 2);	/* not yet: capacity */
	if (rng_pm(r, 100))
		c->account = 1 + rng_below(r, 5);
	if (u < 250)
		return;					/* defaults */
	if (u < 550)
	{
		c->quantity = 1 + (int64_t) rng_below(r, 10);
		c->max_quantity = c->quantity + (int64_t) rng_below(r, 1000);
	}
	else if (u < 600)
		c->max_quantity = 20 + (int64_t) rng_below(r, 5);	/* small max */
	else if (u < 700)
	{
		c->quantity = 2 + (int64_t) rng_below(r, 10);
		c->max_quantity = c->quantity - 1;	/* min > max */
	}
	else if (u < 780)
		c->quantity = -1 - (int64_t) rng_below(r, 10);
	else if (u < 860)
		c->max_quantity = -1 - (int64_t) rng_below(r, 10);
	else if (u < 930)
		c->max_quantity = XT_VALUE_MAX + 1 + (int64_t) rng_below(r, 10);
	else
	{
		c->quantity = XT_VALUE_MAX + 1;
		c->max_quantity = INT64_MAX;
	}
}

/* The next command of the stream (seq not set). */
static void
gen_command(diff *d, xt_command *c)
{
	rng		   *r = &d->gen;
	uint32_t	resting = xt_ref_resting_orders(d->ref);
	unsigned	cancel_pm = 200;
	unsigned	amend_pm = 150;
	uint64_t	u;

	memset(c, 0, sizeof(*c));
	if (resting < d->p->target_resting / 2)
		cancel_pm = 90;
	else if (resting > d->p->target_resting)
		cancel_pm = resting > 2 * d->p->target_resting ? 600 : 420;
	if (d->p->mode == MODE_OVERFLOW)
	{
		cancel_pm = resting > d->p->target_resting ? 300 : 20;
		amend_pm = 100;
	}

	u = rng_below(r, 1000);
	if (u < 3)
		gen_add_symbol(d, c);
	else if (u < 5)
	{
		static const uint8_t bad[] = {0, 5, 6, 200, 255};

		c->type = bad[rng_below(r, sizeof(bad))];
		c->account = 1 + rng_below(r, d->p->accounts);
		c->order_id = rng_below(r, 100);
		c->symbol = (uint32_t) rng_below(r, 4);
	}
	else if (u < 5 + cancel_pm)
		gen_cancel(d, c);
	else if (u < 5 + cancel_pm + amend_pm)
		gen_amend(d, c);
	else
		gen_new(d, c);
}

/* Learn from the model's events: registered symbols, candidate ids for cancel/amend. */
static void
learn(diff *d)
{
	for (size_t i = 0; i < d->er.n; i++)
	{
		const xt_event *e = &d->er.ev[i];

		if (e->type == XT_EV_SYMBOL_ADDED && e->symbol < MAX_SYMBOLS_GEN)
		{
			d->sym[e->symbol].known = true;
			d->sym[e->symbol].min_qty = e->quantity;
			d->sym[e->symbol].max_qty = e->remaining;
		}
		else if (e->type == XT_EV_ACCEPTED && e->order_type == XT_TYPE_LIMIT &&
				 e->tif == XT_TIF_GTC)
		{
			if (d->nids == d->capids)
			{
				/* full: forget a random candidate (it may well be gone already) */
				d->ids[rng_below(&d->gen, d->nids)] = e->order_id;
				continue;
			}
			d->ids[d->nids++] = e->order_id;
		}
	}
}

/* Move each symbol's mid: a slow random walk, re-centred on the book now and then. */
static void
drift(diff *d)
{
	rng		   *r = &d->gen;
	uint32_t	lim = d->cfg.max_symbols < MAX_SYMBOLS_GEN ? d->cfg.max_symbols : MAX_SYMBOLS_GEN;

	for (uint32_t s = 0; s < lim; s++)
	{
		gen_symbol *gs = &d->sym[s];

		if (!gs->known)
			continue;
		if (rng_pm(r, 20))
			gs->mid += rng_pm(r, 500) ? 1 : -1;
		if (rng_pm(r, 5))
		{
			xt_level_info bid;
			xt_level_info ask;

			if (xt_ref_depth(d->ref, s, XT_SIDE_BUY, &bid, 1) == 1 &&
				xt_ref_depth(d->ref, s, XT_SIDE_SELL, &ask, 1) == 1 &&
				ask.price - bid.price < 50)
				gs->mid = bid.price + (ask.price - bid.price) / 2;
		}
		if (gs->mid < 30)
			gs->mid = 30;
		if (gs->mid > 100000)
			gs->mid = 100000;
	}
}

/* ---- applying and comparing -------------------------------------------------------------------- */

static bool
lists_equal(const evlist *x, const evlist *y)
{
	if (x->n != y->n)
		return false;
	for (size_t i = 0; i < x->n; i++)
		if (memcmp(&x->ev[i], &y->ev[i], sizeof(xt_event)) != 0)
			return false;
	return true;
}

/* Apply one command to the model and the engine(s); false (after printing) on any difference. */
static bool
apply_all(diff *d, const xt_command *c)
{
	xt_result	rr;
	xt_result	ra;
	xt_result	rb = XT_OK;

	d->er.n = d->ea.n = d->eb.n = 0;
	rr = xt_ref_apply(d->ref, c, evlist_sink, &d->er);
	ra = xt_engine_apply(d->a, c, evlist_sink, &d->ea);
	if (d->b)
		rb = xt_engine_apply(d->b, c, evlist_sink, &d->eb);
	if (rr != ra || !lists_equal(&d->er, &d->ea))
	{
		fail_header(d, "engine vs model");
		fprintf(stderr, "  result: model %d, engine %d\n", (int) rr, (int) ra);
		print_command(c);
		print_lists("model", &d->er, "engine", &d->ea);
		return false;
	}
	if (d->b && (rb != ra || !lists_equal(&d->ea, &d->eb)))
	{
		fail_header(d, "restored engine vs engine");
		fprintf(stderr, "  result: engine %d, restored %d\n", (int) ra, (int) rb);
		print_command(c);
		print_lists("engine", &d->ea, "restored engine", &d->eb);
		return false;
	}
	return true;
}

static bool
same_order_info(const xt_order_info *x, const xt_order_info *y)
{
	return x->order_id == y->order_id && x->account == y->account &&
		x->priority == y->priority && x->symbol == y->symbol && x->side == y->side &&
		x->stp == y->stp && x->post_only == y->post_only && x->status == y->status &&
		x->price == y->price && x->quantity == y->quantity && x->remaining == y->remaining;
}

static void
print_order(const char *who, bool found, const xt_order_info *o)
{
	if (!found)
	{
		fprintf(stderr, "    %s: not resting\n", who);
		return;
	}
	fprintf(stderr, "    %s: id=%" PRIu64 " account=%" PRIu64 " priority=%" PRIu64 " symbol=%u "
			"side=%u stp=%u post_only=%u status=%u price=%" PRId64 " quantity=%" PRId64
			" remaining=%" PRId64 "\n", who, o->order_id, o->account, o->priority, o->symbol,
			o->side, o->stp, o->post_only, o->status, o->price, o->quantity, o->remaining);
}

static bool
check_order(diff *d, const xt_engine *e, const char *name, uint64_t id)
{
	xt_order_info x;
	xt_order_info y;
	bool		fx;
	bool		fy;

	memset(&x, 0, sizeof(x));
	memset(&y, 0, sizeof(y));
	fx = xt_ref_order(d->ref, id, &x);
	fy = xt_engine_order(e, id, &y);
	if (fx != fy || (fx && !same_order_info(&x, &y)))
	{
		fail_header(d, "xt_engine_order");
		fprintf(stderr, "  %s, order %" PRIu64 ":\n", name, id);
		print_order("model", fx, &x);
		print_order(name, fy, &y);
		return false;
	}
	return true;
}

/* foreach_order: every visited order as the model has it, in book order, all of them. */
typedef struct visit
{
	diff	   *d;
	const char *name;
	uint32_t	symbol;
	uint32_t	count;
	bool		seen_sell;
	int64_t		last_price;
	uint64_t	last_priority;
	bool		ok;
} visit;

static bool
visit_order(void *ctx, const xt_order_info *o)
{
	visit	   *v = ctx;
	xt_order_info m;
	bool		first_of_side = v->count == 0 || (o->side == XT_SIDE_SELL && !v->seen_sell);

	memset(&m, 0, sizeof(m));
	if (!xt_ref_order(v->d->ref, o->order_id, &m) || !same_order_info(&m, o) ||
		o->symbol != v->symbol || (v->seen_sell && o->side == XT_SIDE_BUY))
	{
		v->ok = false;
		fprintf(stderr, "  %s foreach_order(symbol %u): order #%u differs or is misplaced\n",
				v->name, v->symbol, v->count);
		print_order("model", xt_ref_order(v->d->ref, o->order_id, &m), &m);
		print_order("visited", true, o);
		return false;
	}
	if (!first_of_side)
	{
		bool		worse = o->side == XT_SIDE_BUY ? o->price < v->last_price
			: o->price > v->last_price;

		if (!(worse || (o->price == v->last_price && o->priority > v->last_priority)))
		{
			v->ok = false;
			fprintf(stderr, "  %s foreach_order(symbol %u): order %" PRIu64
					" out of priority order\n", v->name, v->symbol, o->order_id);
			return false;
		}
	}
	if (o->side == XT_SIDE_SELL)
		v->seen_sell = true;
	v->last_price = o->price;
	v->last_priority = o->priority;
	v->count++;
	return true;
}

/* Everything observable of one engine against the model. */
static bool
check_engine(diff *d, const xt_engine *e, const char *name)
{
	uint32_t	maxl = d->cfg.max_levels + 1;
	xt_level_info *lm = xmalloc(maxl * sizeof(xt_level_info));
	xt_level_info *le = xmalloc(maxl * sizeof(xt_level_info));
	bool		ok = true;
	const char *broken = xt_engine_check(e);
	uint64_t	hm = xt_ref_hash(d->ref);
	uint64_t	he = xt_engine_hash(e);

	if (broken != NULL)
	{
		fail_header(d, "xt_engine_check");
		fprintf(stderr, "  %s: %s\n", name, broken);
		ok = false;
	}
	if (ok && hm != he)
	{
		fail_header(d, "hash");
		fprintf(stderr, "  model %016" PRIx64 ", %s %016" PRIx64 "\n", hm, name, he);
		ok = false;
	}
	if (ok && (xt_engine_last_seq(e) != d->seq ||
			   xt_engine_last_trade_id(e) != (uint64_t) d->cv.trades))
	{
		fail_header(d, "last seq / trade id");
		fprintf(stderr, "  %s: last_seq %" PRIu64 " (want %" PRIu64 "), last_trade_id %" PRIu64
				" (want %ld)\n", name, xt_engine_last_seq(e), d->seq,
				xt_engine_last_trade_id(e), d->cv.trades);
		ok = false;
	}
	if (ok && xt_engine_resting_orders(e) != xt_ref_resting_orders(d->ref))
	{
		fail_header(d, "resting orders");
		fprintf(stderr, "  model %u, %s %u\n", xt_ref_resting_orders(d->ref), name,
				xt_engine_resting_orders(e));
		ok = false;
	}
	for (uint32_t s = 0; ok && s < d->cfg.max_symbols + 2; s++)
	{
		uint32_t	orders = 0;
		bool		known = s < MAX_SYMBOLS_GEN ? d->sym[s].known : false;

		if (s < MAX_SYMBOLS_GEN && xt_engine_has_symbol(e, s) != known)
		{
			fail_header(d, "xt_engine_has_symbol");
			fprintf(stderr, "  %s: symbol %u: %d, model %d\n", name, s,
					(int) xt_engine_has_symbol(e, s), (int) known);
			ok = false;
			break;
		}
		for (int side = XT_SIDE_BUY; ok && side <= XT_SIDE_SELL; side++)
		{
			uint32_t	nm = xt_ref_depth(d->ref, s, (xt_side) side, lm, maxl);
			uint32_t	ne = xt_engine_depth(e, s, (xt_side) side, le, maxl);
			int64_t		best = 0;
			bool		has_best = xt_engine_best(e, s, (xt_side) side, &best);
			bool		same = nm == ne;

			for (uint32_t i = 0; same && i < nm; i++)
				same = lm[i].price == le[i].price && lm[i].quantity == le[i].quantity &&
					lm[i].orders == le[i].orders;
			if (!same || has_best != (nm > 0) || (nm > 0 && best != lm[0].price))
			{
				fail_header(d, "depth / best");
				fprintf(stderr, "  %s: symbol %u side %d: model %u levels, engine %u; "
						"best %d %" PRId64 "\n", name, s, side, nm, ne, (int) has_best, best);
				for (uint32_t i = 0; i < nm || i < ne; i++)
					fprintf(stderr, "    #%u model %" PRId64 " x %" PRId64 " (%u)   engine %"
							PRId64 " x %" PRId64 " (%u)\n", i,
							i < nm ? lm[i].price : 0, i < nm ? lm[i].quantity : 0,
							i < nm ? lm[i].orders : 0, i < ne ? le[i].price : 0,
							i < ne ? le[i].quantity : 0, i < ne ? le[i].orders : 0);
				ok = false;
			}
			/* depth with a small max returns the best levels */
			if (ok && nm > 1 && xt_engine_depth(e, s, (xt_side) side, le, 1) != 1)
			{
				fail_header(d, "depth max");
				ok = false;
			}
			for (uint32_t i = 0; i < nm; i++)
				orders += lm[i].orders;
		}
		if (ok && known)
		{
			visit		v;

			memset(&v, 0, sizeof(v));
			v.d = d;
			v.name = name;
			v.symbol = s;
			v.ok = true;
			xt_engine_foreach_order(e, s, visit_order, &v);
			if (!v.ok || v.count != orders)
			{
				if (v.ok)
					fprintf(stderr, "  %s foreach_order(symbol %u) visited %u of %u orders\n",
							name, s, v.count, orders);
				fail_header(d, "foreach_order");
				ok = false;
			}
		}
	}
	/* a sample of ids: candidates (mostly resting) and any id seen so far */
	for (int i = 0; ok && i < 24; i++)
	{
		uint64_t	id = (i < 12 && d->nids > 0) ? d->ids[rng_below(&d->aux, d->nids)]
			: 1 + rng_below(&d->aux, d->seq + 2);

		if (i >= 20)
			id += UINT64_C(1) << 32;	/* same low 32 bits as a real id: never found */

		ok = check_order(d, e, name, id);
	}
	free(lm);
	free(le);
	return ok;
}

static bool
checkpoint(diff *d)
{
	d->cv.checkpoints++;
	if (!check_engine(d, d->a, "engine"))
		return false;
	return d->b == NULL || check_engine(d, d->b, "restored engine");
}

/*
 * Snapshot one of the engines, check the failure modes of restore on damaged copies, and make a
 * clean restore the new second engine.
 */
static bool
snapshot_point(diff *d)
{
	const xt_engine *src = (d->b != NULL && rng_pm(&d->aux, 500)) ? d->b : d->a;
	size_t		cap = xt_engine_snapshot_size(src);
	unsigned char *buf = xmalloc(cap);
	size_t		len = 0;
	xt_result	r;
	void	   *mem;
	xt_engine  *c;
	uint64_t	empty_hash;
	bool		ok = true;

	d->cv.snapshots++;
	r = xt_engine_snapshot(src, buf, cap, &len);
	if (r != XT_OK || len == 0 || len > cap)
	{
		fail_header(d, "snapshot");
		fprintf(stderr, "  xt_engine_snapshot: result %d, len %zu, cap %zu\n", (int) r, len, cap);
		free(buf);
		return false;
	}
	if (len > 1)
	{
		size_t		small_len = 0;

		r = xt_engine_snapshot(src, buf, len - 1, &small_len);
		if (r != XT_ERR_BUFFER)
		{
			fail_header(d, "snapshot into a short buffer");
			fprintf(stderr, "  result %d, want XT_ERR_BUFFER\n", (int) r);
			ok = false;
		}
		/* rewrite: a failed call may have scribbled on the buffer */
		r = xt_engine_snapshot(src, buf, cap, &len);
		if (r != XT_OK)
			ok = false;
	}

	/* damaged copies must be refused and leave the engine empty */
	c = new_engine(&d->cfg, &mem);
	empty_hash = xt_engine_hash(c);
	free(mem);
	for (int k = 0; ok && k < 2; k++)
	{
		unsigned char *bad = xmalloc(len);
		size_t		bad_len = len;

		memcpy(bad, buf, len);
		if (k == 0)
			bad_len = (size_t) rng_below(&d->aux, len);	/* truncated */
		else
			bad[rng_below(&d->aux, len)] ^= (unsigned char) (1 + rng_below(&d->aux, 255));
		c = new_engine(&d->cfg, &mem);
		r = xt_engine_restore(c, bad, bad_len);
		if (r != XT_ERR_SNAPSHOT || xt_engine_hash(c) != empty_hash ||
			xt_engine_resting_orders(c) != 0)
		{
			fail_header(d, k == 0 ? "restore of a truncated snapshot" :
						"restore of a corrupted snapshot");
			fprintf(stderr, "  result %d (want XT_ERR_SNAPSHOT), resting %u, hash %s empty\n",
					(int) r, xt_engine_resting_orders(c),
					xt_engine_hash(c) == empty_hash ? "==" : "!=");
			ok = false;
		}
		else
			d->cv.restores_checked++;
		free(mem);
		free(bad);
	}
	/* an engine too small for the book */
	if (ok && xt_ref_resting_orders(d->ref) >= 2)
	{
		xt_engine_config small = d->cfg;

		small.max_orders = xt_ref_resting_orders(d->ref) - 1;
		c = new_engine(&small, &mem);
		r = xt_engine_restore(c, buf, len);
		if (r != XT_ERR_SNAPSHOT_FIT || xt_engine_resting_orders(c) != 0)
		{
			fail_header(d, "restore into a smaller engine");
			fprintf(stderr, "  result %d (want XT_ERR_SNAPSHOT_FIT), resting %u\n", (int) r,
					xt_engine_resting_orders(c));
			ok = false;
		}
		else
			d->cv.restores_checked++;
		free(mem);
	}

	/* the clean restore replaces the second engine */
	if (ok)
	{
		c = new_engine(&d->cfg, &mem);
		r = xt_engine_restore(c, buf, len);
		if (r != XT_OK)
		{
			fail_header(d, "restore");
			fprintf(stderr, "  xt_engine_restore: result %d\n", (int) r);
			free(mem);
			ok = false;
		}
		else
		{
			free(d->bmem);
			d->b = c;
			d->bmem = mem;
			ok = checkpoint(d);
		}
	}
	free(buf);
	return ok;
}

/* One sequence error: no events, no change, on all sides. */
static bool
sequence_error(diff *d, xt_command *c)
{
	static const int64_t delta[] = {0, 2, 3, 1000};
	uint64_t	h = xt_ref_hash(d->ref);
	uint64_t	ha = xt_engine_hash(d->a);

	c->seq = rng_pm(&d->aux, 100) ? 0 : d->seq + (uint64_t) delta[rng_below(&d->aux, 4)];
	d->cv.seq_errors++;
	d->er.n = d->ea.n = d->eb.n = 0;
	if (xt_ref_apply(d->ref, c, evlist_sink, &d->er) != XT_ERR_SEQUENCE ||
		xt_engine_apply(d->a, c, evlist_sink, &d->ea) != XT_ERR_SEQUENCE ||
		(d->b && xt_engine_apply(d->b, c, evlist_sink, &d->eb) != XT_ERR_SEQUENCE) ||
		d->er.n + d->ea.n + d->eb.n != 0 || xt_ref_hash(d->ref) != h ||
		xt_engine_hash(d->a) != ha)
	{
		fail_header(d, "sequence error");
		print_command(c);
		return false;
	}
	return true;
}

static int
cmp_long(const void *x, const void *y)
{
	long		a = *(const long *) x;
	long		b = *(const long *) y;

	return a < b ? -1 : a > b;
}

static void
print_coverage(const diff *d, double secs)
{
	const coverage *cv = &d->cv;
	static const char *cmd_names[] = {"?", "NEW", "CANCEL", "AMEND", "ADD_SYMBOL"};

	printf("  %s seed %" PRIu64 ": %ld commands in %.2fs (%.0f/s), max resting %u, "
		   "%ld checkpoints, %ld snapshots, %ld failed restores verified, %ld seq errors\n",
		   d->p->name, d->p->seed, d->index, secs, secs > 0 ? (double) d->index / secs : 0.0,
		   cv->max_resting, cv->checkpoints, cv->snapshots, cv->restores_checked, cv->seq_errors);
	printf("    events: accepted %ld rejected %ld trade %ld cancelled %ld amended %ld expired %ld "
		   "level %ld duplicate %ld symbol_added %ld\n",
		   cv->events[XT_EV_ACCEPTED], cv->events[XT_EV_REJECTED], cv->events[XT_EV_TRADE],
		   cv->events[XT_EV_CANCELLED], cv->events[XT_EV_AMENDED], cv->events[XT_EV_EXPIRED],
		   cv->events[XT_EV_LEVEL], cv->events[XT_EV_DUPLICATE], cv->events[XT_EV_SYMBOL_ADDED]);
	printf("    paths: sweeps %ld, market %ld, stp maker %ld, stp taker %ld (market %ld, amend %ld), "
		   "user cancels %ld, exp ioc %ld, exp fok %ld, fok filled %ld, post-only rested %ld, "
		   "amend kept %ld lost %ld traded %ld\n",
		   cv->sweeps, cv->market_accepted, cv->stp_maker, cv->stp_taker, cv->stp_taker_market,
		   cv->amend_stp, cv->user_cancels, cv->exp_ioc, cv->exp_fok, cv->fok_filled,
		   cv->post_only_rested, cv->amend_kept, cv->amend_lost, cv->amend_traded);
	for (int t = 0; t <= 4; t++)
	{
		bool		any = false;

		for (int r = 0; r < 64; r++)
		{
			if (cv->rejects[t][r] == 0)
				continue;
			if (!any)
				printf("    rejects of %s:", cmd_names[t]);
			any = true;
			printf(" %d:%ld", r, cv->rejects[t][r]);
		}
		if (any)
			printf("\n");
	}
	fflush(stdout);
}

static long
rejects_of(const coverage *cv, int reason)
{
	long		n = 0;

	for (int t = 0; t <= 4; t++)
		n += cv->rejects[t][reason];
	return n;
}

/* Runs one profile; returns its coverage through *out. */
static void
run_profile(const profile *p, coverage *out)
{
	diff	   *d = calloc(1, sizeof(diff));
	xt_command	c;
	clock_t		t0 = clock();
	long		n = p->commands;

	XT_REQUIRE(d != NULL);
	d->p = p;
	d->cfg = p->cfg;
	d->ref = xt_ref_create(&d->cfg);
	XT_REQUIRE(d->ref != NULL);
	d->a = new_engine(&d->cfg, &d->amem);
	rng_seed(&d->gen, p->seed);
	rng_seed(&d->aux, p->seed ^ UINT64_C(0x5eed5eed5eed5eed));
	d->capids = 4096;
	d->ids = xmalloc(d->capids * sizeof(uint64_t));
	for (uint32_t s = 0; s < MAX_SYMBOLS_GEN; s++)
		d->sym[s].mid = 1000 + 100 * (int64_t) s;

	/* snapshot points, spread at random over the run */
	d->nsnap = p->snapshots;
	d->snap_at = xmalloc((size_t) (d->nsnap + 1) * sizeof(long));
	for (int i = 0; i < d->nsnap; i++)
		d->snap_at[i] = 1 + (long) rng_below(&d->aux, (uint64_t) n);
	qsort(d->snap_at, (size_t) d->nsnap, sizeof(long), cmp_long);

	/* the initial symbols: the first unlimited, the others with min/max quantities */
	for (uint32_t s = 0; s < p->initial_symbols && !d->failed; s++)
	{
		memset(&c, 0, sizeof(c));
		c.type = XT_CMD_ADD_SYMBOL;
		c.symbol = s;
		if (s % 3 == 1)
		{
			c.quantity = 5;
			c.max_quantity = 500;
		}
		else if (s % 3 == 2)
			c.max_quantity = 60;
		if (p->mode == MODE_OVERFLOW)
			c.quantity = c.max_quantity = 0;
		c.seq = ++d->seq;
		if (apply_all(d, &c))
		{
			cover_command(&d->cv, &c, &d->er);
			learn(d);
		}
	}

	for (d->index = 0; d->index < n && !d->failed; d->index++)
	{
		uint32_t	resting;

		gen_command(d, &c);
		if (rng_pm(&d->aux, 2) && !sequence_error(d, &c))
			break;
		c.seq = ++d->seq;
		if (!apply_all(d, &c))
			break;
		cover_command(&d->cv, &c, &d->er);
		learn(d);
		drift(d);
		resting = xt_ref_resting_orders(d->ref);
		if (resting > d->cv.max_resting)
			d->cv.max_resting = resting;
		if ((d->index + 1) % CHECK_EVERY == 0 && !checkpoint(d))
			break;
		while (d->next_snap < d->nsnap && d->snap_at[d->next_snap] <= d->index)
		{
			d->next_snap++;
			if (!snapshot_point(d))
				break;
		}
	}
	if (!d->failed)
		checkpoint(d);
	XT_CHECK(!d->failed);
	print_coverage(d, (double) (clock() - t0) / CLOCKS_PER_SEC);

	/* the generator must keep exercising the paths: a silent generator is a failed test */
	if (!d->failed)
	{
		const coverage *cv = &d->cv;

		XT_CHECK_EQ(d->index, n);
		XT_CHECK(cv->trades > n / 100);
		XT_CHECK(cv->events[XT_EV_LEVEL] > 0);
		XT_CHECK(cv->events[XT_EV_ACCEPTED] > 0);
		XT_CHECK(cv->user_cancels > 0);
		XT_CHECK(cv->stp_maker > 0);
		XT_CHECK(cv->stp_taker > 0);
		XT_CHECK(cv->amend_lost > 0);
		XT_CHECK(cv->amend_kept > 0);
		XT_CHECK(cv->duplicates > 0 || p->cfg.max_clordids == 0);
		XT_CHECK(cv->duplicates == 0 || p->cfg.max_clordids != 0);
		XT_CHECK(cv->seq_errors > 0);
		XT_CHECK(cv->snapshots >= p->snapshots);
		XT_CHECK(cv->restores_checked >= 2 * p->snapshots);
		XT_CHECK(cv->checkpoints > 0);
		/* (a one-order engine cannot sweep levels or trade on an amend) */
		if (p->mode == MODE_NORMAL && p->cfg.max_orders >= 8)
		{
			XT_CHECK(cv->sweeps > 0);
			XT_CHECK(cv->market_accepted > 0);
			XT_CHECK(cv->stp_taker_market > 0);
			XT_CHECK(cv->exp_ioc > 0);
			XT_CHECK(cv->exp_fok > 0);
			XT_CHECK(cv->fok_filled > 0);
			XT_CHECK(cv->post_only_rested > 0);
			XT_CHECK(cv->amend_traded > 0);
			XT_CHECK(cv->amend_stp > 0);
		}
		XT_CHECK(cv->symbols_added >= p->initial_symbols);
		for (const int *r = p->required; r && *r; r++)
		{
			long		got = *r < 100 ? rejects_of(cv, *r) : cv->rejects[*r / 100][*r % 100];

			if (got == 0)
				XT_FAIL_AT("%s seed %" PRIu64 ": no rejection with reason %d of command %d",
						   p->name, p->seed, *r % 100, *r / 100);
		}
		*out = *cv;
	}

	xt_ref_destroy(d->ref);
	free(d->amem);
	free(d->bmem);
	free(d->ids);
	free(d->snap_at);
	free(d->er.ev);
	free(d->ea.ev);
	free(d->eb.ev);
	free(d);
}

/* ---- the runs ---------------------------------------------------------------------------------- */

/* every reason a normal book produces (ORDER_CAPACITY and LEVEL_OVERFLOW need special configs) */
static const int normal_reasons[] = {
	XT_REJ_UNKNOWN_SYMBOL, XT_REJ_INVALID_SIDE, XT_REJ_INVALID_TYPE, XT_REJ_INVALID_TIF,
	XT_REJ_INVALID_PRICE, XT_REJ_INVALID_QUANTITY, XT_REJ_QUANTITY_BELOW_MIN,
	XT_REJ_QUANTITY_ABOVE_MAX, XT_REJ_INVALID_STP, XT_REJ_INVALID_CLORDID,
	XT_REJ_POST_ONLY_INVALID, XT_REJ_POST_ONLY_WOULD_CROSS, XT_REJ_UNKNOWN_ORDER,
	XT_REJ_AMEND_NOTHING, XT_REJ_AMEND_QUANTITY, XT_REJ_SYMBOL_EXISTS, XT_REJ_SYMBOL_CAPACITY,
	XT_REJ_INVALID_COMMAND,
	CR(XT_CMD_AMEND, XT_REJ_INVALID_PRICE), CR(XT_CMD_AMEND, XT_REJ_INVALID_QUANTITY),
	CR(XT_CMD_AMEND, XT_REJ_QUANTITY_BELOW_MIN), CR(XT_CMD_AMEND, XT_REJ_QUANTITY_ABOVE_MAX),
	CR(XT_CMD_AMEND, XT_REJ_POST_ONLY_WOULD_CROSS), CR(XT_CMD_AMEND, XT_REJ_UNKNOWN_ORDER),
	CR(XT_CMD_ADD_SYMBOL, XT_REJ_INVALID_QUANTITY), 0
};
static const int tiny_reasons[] = {
	XT_REJ_ORDER_CAPACITY, XT_REJ_LEVEL_CAPACITY, XT_REJ_POST_ONLY_WOULD_CROSS,
	XT_REJ_UNKNOWN_ORDER, XT_REJ_AMEND_NOTHING, XT_REJ_AMEND_QUANTITY, XT_REJ_SYMBOL_CAPACITY,
	CR(XT_CMD_AMEND, XT_REJ_LEVEL_CAPACITY), 0
};
static const int minimal_reasons[] = {
	XT_REJ_ORDER_CAPACITY, XT_REJ_SYMBOL_CAPACITY, XT_REJ_SYMBOL_EXISTS, 0
};
static const int overflow_reasons[] = {
	CR(XT_CMD_NEW_ORDER, XT_REJ_LEVEL_OVERFLOW), CR(XT_CMD_AMEND, XT_REJ_LEVEL_OVERFLOW), 0
};

#define NORMAL_CFG {8, 128, 32, 16}

#define NRUNS 8					/* the XT_TESTs below */

static coverage total_cv;		/* summed over the runs, for the closing check */
static int	runs_done;

/*
 * XT_DIFF_SEED=n replaces each run's seed by seed + n and XT_DIFF_COMMANDS=n sets the commands
 * per run: more seeds or longer runs without editing this file (e.g. a nightly soak).
 */
static void
run_and_sum(const profile *given)
{
	coverage	cv;
	profile		p = *given;
	const char *seed = getenv("XT_DIFF_SEED");
	const char *commands = getenv("XT_DIFF_COMMANDS");

	if (seed != NULL)
		p.seed += strtoull(seed, NULL, 0);
	if (commands != NULL && strtol(commands, NULL, 0) > 0)
		p.commands = strtol(commands, NULL, 0);
	memset(&cv, 0, sizeof(cv));
	run_profile(&p, &cv);
	for (int t = 0; t <= 4; t++)
		for (int r = 0; r < 64; r++)
			total_cv.rejects[t][r] += cv.rejects[t][r];

	/*
	 * Whichever run completes the set (the order of the tests is not fixed) checks that the runs
	 * together produced every rejection reason of engine.h. A filtered run skips this.
	 */
	if (++runs_done == NRUNS)
	{
		for (int r = XT_REJ_UNKNOWN_SYMBOL; r <= XT_REJ_INVALID_COMMAND; r++)
			if (rejects_of(&total_cv, r) == 0)
				XT_FAIL_AT("no run produced a rejection with reason %d", r);
	}
}

#define NORMAL_RUN(seed_) \
	{"normal", (seed_), 1000000 / SCALE_DIV, NORMAL_CFG, 4, 160, 3, 24, 4, MODE_NORMAL, \
	 normal_reasons}

XT_TEST(differential_seed_1)
{
	const profile p = NORMAL_RUN(1);

	run_and_sum(&p);
}

XT_TEST(differential_seed_2)
{
	const profile p = NORMAL_RUN(0x9e3779b97f4a7c15);

	run_and_sum(&p);
}

XT_TEST(differential_seed_3)
{
	const profile p = NORMAL_RUN(20261127);

	run_and_sum(&p);
}

XT_TEST(differential_seed_4)
{
	const profile p = NORMAL_RUN(0xdeadbeef);

	run_and_sum(&p);
}

/* A tiny engine: the pool, the levels and the dedup window are full most of the time. */
XT_TEST(differential_tiny)
{
	const profile p = {"tiny", 77, 1000000 / SCALE_DIV, {3, 50, 5, 8}, 3, 100, 3, 12, 4,
	MODE_NORMAL, tiny_reasons};

	run_and_sum(&p);
}

/* The smallest engine there is: one symbol, one resting order, one level, one dedup entry. */
XT_TEST(differential_minimal)
{
	const profile p = {"minimal", 11, 200000 / SCALE_DIV, {1, 1, 1, 1}, 1, 4, 2, 3, 3,
	MODE_NORMAL, minimal_reasons};

	run_and_sum(&p);
}

/* No dedup window at all (max_clordids 0): repeated clordids are never duplicates. */
XT_TEST(differential_no_dedup)
{
	const profile p = {"no-dedup", 5, 200000 / SCALE_DIV, {4, 512, 32, 0}, 4, 200, 2, 20, 2,
	MODE_NORMAL, NULL};

	run_and_sum(&p);
}

/* Level totals close to INT64_MAX: more than 1024 orders of ~2^53 on one price. */
XT_TEST(differential_overflow)
{
	const profile p = {"overflow", 3, 30000, {2, 3000, 8, 64}, 1, 2900, 3, 50, 2,
	MODE_OVERFLOW, overflow_reasons};

	run_and_sum(&p);
}

XT_TEST_MAIN()
