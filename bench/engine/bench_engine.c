/*
 * bench_engine.c: throughput and latency of the matching engine core, one thread.
 *
 * Owns: the two benchmark workloads, their seeded command-stream generators and the measurement.
 *
 *   mix=exchange  ~1,000 resting orders per side, then 9% GTC limit, 3% IOC, 6% cancel and 82%
 *                 amend (90% of amends move the price by 1-4 ticks, 10% change the quantity).
 *   mix=match     insert-and-match flow around ~500 resting orders per side: 40% passive GTC
 *                 (while its side is below target, else aggressive instead), 45% aggressive GTC
 *                 limits up to 3 ticks through the best price, 10% market, 5% IOC limits.
 *
 * Every stream is generated up front into an array (a second engine tracks which orders are
 * live, so cancels and amends always name resting orders), so the timed loops do nothing but
 * xt_engine_apply. Throughput is the median of --reps long loops, each from the same post-prefill
 * state (restored from a snapshot). Latency is a separate pass timing every command with the TSC
 * (x86) or CLOCK_MONOTONIC, minus the measured cost of an empty timing pair (timer_ns). The
 * baseline is the reference model (test/unit/reference.c) on a prefix of the same stream, in the
 * same run; ref_hash_match=1 says it reached the same state hash as the engine on that prefix.
 *
 * Usage: bench_engine [--mix exchange|match|all] [--cmds N] [--seed S] [--reps R]
 *                     [--ref-cmds N] [--quick]
 * Prints one line per workload: bench=engine mix=... key=value ...
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define XT_HAVE_TSC 1
#endif

#include "engine/engine.h"
#include "reference.h"

#define MID_PRICE		1000000
#define TARGET_PER_SIDE 1000

/* ---- clocks ----------------------------------------------------------------------------------- */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

#ifdef XT_HAVE_TSC
static inline uint64_t
tick_start(void)
{
	_mm_lfence();
	return __rdtsc();
}

static inline uint64_t
tick_end(void)
{
	unsigned int aux;
	uint64_t	t = __rdtscp(&aux);

	_mm_lfence();
	return t;
}

/* TSC ticks per nanosecond, against CLOCK_MONOTONIC over ~100 ms. */
static double
ticks_per_ns(void)
{
	double		t0 = now_s();
	uint64_t	k0 = tick_start();
	double		t1;

	while ((t1 = now_s()) - t0 < 0.1)
		;
	return (double) (tick_end() - k0) / ((t1 - t0) * 1e9);
}
#else
static inline uint64_t
tick_start(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

#define tick_end tick_start

static double
ticks_per_ns(void)
{
	return 1.0;
}
#endif

/* ---- random numbers ----------------------------------------------------------------------------- */

typedef struct rng
{
	uint64_t	s;
} rng;

static uint64_t
rnd(rng *r)
{
	uint64_t	z = (r->s += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static int64_t
rnd_in(rng *r, int64_t lo, int64_t hi)
{
	return lo + (int64_t) (rnd(r) % (uint64_t) (hi - lo + 1));
}

/* ---- stream generation ------------------------------------------------------------------------ */

/*
 * The generator applies every command it makes to its own engine and follows the events, so it
 * always knows the live orders (for cancels and amends) and the size of each side.
 */
typedef struct gen
{
	rng			r;
	xt_engine  *e;
	void	   *mem;
	uint64_t	seq;
	uint64_t   *live;			/* live order ids, unordered */
	uint32_t   *where;			/* where[id] = 1 + index in live[], 0 if not live */
	uint8_t    *side_of;		/* side_of[id] */
	uint32_t	nlive;
	uint32_t	per_side[2];
	size_t		max_id;
} gen;

static void
live_add(gen *g, uint64_t id, int side)
{
	g->live[g->nlive] = id;
	g->where[id] = ++g->nlive;
	g->side_of[id] = (uint8_t) side;
	g->per_side[side]++;
}

static void
live_remove(gen *g, uint64_t id)
{
	uint32_t	k = g->where[id];
	uint64_t	last;

	if (k == 0)
		return;
	last = g->live[--g->nlive];
	g->live[k - 1] = last;
	g->where[last] = k;
	g->where[id] = 0;
	g->per_side[g->side_of[id]]--;
}

static void
gen_sink(void *ctx, const xt_event *ev)
{
	gen		   *g = ctx;

	if (ev->type == XT_EV_TRADE)
	{
		if (ev->maker_remaining == 0)
			live_remove(g, ev->maker_order_id);
		if (ev->remaining == 0)
			live_remove(g, ev->order_id);	/* an amended order that traded away */
	}
	else if (ev->type == XT_EV_CANCELLED)
		live_remove(g, ev->order_id);
}

static void *
engine_block(const xt_engine_config *cfg, xt_engine **e)
{
	size_t		size = xt_engine_size(cfg);
	void	   *mem = aligned_alloc(64, (size + 63) & ~(size_t) 63);

	if (mem == NULL || xt_engine_init(mem, size, cfg, e) != XT_OK)
	{
		fprintf(stderr, "bench_engine: cannot build an engine of %zu bytes\n", size);
		exit(1);
	}
	return mem;
}

static void
gen_open(gen *g, const xt_engine_config *cfg, uint64_t seed, size_t total)
{
	memset(g, 0, sizeof(*g));
	g->r.s = seed;
	g->mem = engine_block(cfg, &g->e);
	g->max_id = total + 2;
	g->live = malloc(sizeof(uint64_t) * cfg->max_orders);
	g->where = calloc(g->max_id, sizeof(uint32_t));
	g->side_of = calloc(g->max_id, 1);
	if (g->live == NULL || g->where == NULL || g->side_of == NULL)
	{
		fprintf(stderr, "bench_engine: out of memory\n");
		exit(1);
	}
}

static void
gen_close(gen *g)
{
	free(g->mem);
	free(g->live);
	free(g->where);
	free(g->side_of);
}

/* Give c the next seq, apply it to the generator's engine, and store it. */
static void
gen_emit(gen *g, xt_command *c, xt_command *out)
{
	c->seq = ++g->seq;
	if (xt_engine_apply(g->e, c, gen_sink, g) != XT_OK)
	{
		fprintf(stderr, "bench_engine: generator out of sequence\n");
		exit(1);
	}
	if (c->type == XT_CMD_NEW_ORDER)
	{
		xt_order_info o;

		if (xt_engine_order(g->e, c->seq, &o))
			live_add(g, c->seq, o.side);
	}
	*out = *c;
}

static xt_command
new_order(gen *g, int side, int type, int tif, int64_t price, int64_t qty)
{
	xt_command	c;

	memset(&c, 0, sizeof(c));
	c.type = XT_CMD_NEW_ORDER;
	c.side = (uint8_t) side;
	c.order_type = (uint8_t) type;
	c.tif = (uint8_t) tif;
	c.stp = XT_STP_CANCEL_RESTING;
	c.account = (uint64_t) rnd_in(&g->r, 1, 1000);
	c.price = price;
	c.quantity = qty;
	return c;
}

/* A passive price: near the top of the side more often than deep in it. */
static int64_t
passive_price(gen *g, int side)
{
	int64_t		off = (int64_t) (rnd(&g->r) % (uint64_t) rnd_in(&g->r, 1, 200));

	return side == XT_SIDE_BUY ? MID_PRICE - 1 - off : MID_PRICE + 1 + off;
}

/* A price that crosses the opposite best by up to `through` ticks (or the mid if it is empty). */
static int64_t
crossing_price(gen *g, int side, int through)
{
	int64_t		best;

	if (!xt_engine_best(g->e, 0, (xt_side) (side ^ 1), &best))
		best = MID_PRICE;
	return side == XT_SIDE_BUY ? best + rnd_in(&g->r, 0, through)
		: best - rnd_in(&g->r, 0, through);
}

static void
gen_prefill(gen *g, xt_command *out, size_t n)
{
	xt_command	c;

	memset(&c, 0, sizeof(c));
	c.type = XT_CMD_ADD_SYMBOL;
	gen_emit(g, &c, &out[0]);
	for (size_t i = 1; i < n; i++)
	{
		int			side = (int) (i & 1);

		c = new_order(g, side, XT_TYPE_LIMIT, XT_TIF_GTC, passive_price(g, side),
					  rnd_in(&g->r, 1, 100));
		gen_emit(g, &c, &out[i]);
	}
}

static void
gen_exchange(gen *g, xt_command *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		int			r = (int) rnd_in(&g->r, 0, 99);
		int			side = (int) (rnd(&g->r) & 1);
		xt_command	c;

		if (g->nlive == 0 || r < 9)
		{
			/* a full side turns its new orders aggressive, which keeps both sides near target */
			if (g->per_side[side] < TARGET_PER_SIDE)
				c = new_order(g, side, XT_TYPE_LIMIT, XT_TIF_GTC, passive_price(g, side),
							  rnd_in(&g->r, 1, 100));
			else
				c = new_order(g, side, XT_TYPE_LIMIT, XT_TIF_GTC, crossing_price(g, side, 2),
							  rnd_in(&g->r, 1, 100));
		}
		else if (r < 12)
			c = new_order(g, side, XT_TYPE_LIMIT, XT_TIF_IOC, crossing_price(g, side, 10),
						  rnd_in(&g->r, 1, 50));
		else
		{
			uint64_t	id = g->live[rnd(&g->r) % g->nlive];
			xt_order_info o;

			xt_engine_order(g->e, id, &o);
			memset(&c, 0, sizeof(c));
			c.account = o.account;
			c.order_id = id;
			if (r < 18)
				c.type = XT_CMD_CANCEL;
			else
			{
				c.type = XT_CMD_AMEND;
				if (rnd_in(&g->r, 0, 9) > 0)
				{
					int64_t		delta = rnd_in(&g->r, 1, 4);

					c.price = o.price + (rnd(&g->r) & 1 ? delta : -delta);
					if (c.price < 1)
						c.price = o.price + delta;
				}
				else
				{
					c.quantity = rnd_in(&g->r, 1, 100);
					if (c.quantity == o.quantity)
						c.quantity++;
				}
			}
		}
		gen_emit(g, &c, &out[i]);
	}
}

static void
gen_match(gen *g, xt_command *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		int			r = (int) rnd_in(&g->r, 0, 99);
		xt_command	c;

		/*
		 * Add to the smaller side, and take from the larger one (a buy takes from the asks):
		 * passive orders only while that side is below target, so the book stays near it.
		 */
		int			side = g->per_side[XT_SIDE_BUY] <= g->per_side[XT_SIDE_SELL]
			? XT_SIDE_BUY : XT_SIDE_SELL;

		if ((r < 40 && g->per_side[side] < TARGET_PER_SIDE / 2) || g->per_side[side ^ 1] < 20)
			c = new_order(g, side, XT_TYPE_LIMIT, XT_TIF_GTC, passive_price(g, side),
						  rnd_in(&g->r, 1, 100));
		else if (r < 85)
			c = new_order(g, side, XT_TYPE_LIMIT, XT_TIF_GTC, crossing_price(g, side, 3),
						  rnd_in(&g->r, 1, 100));
		else if (r < 95)
			c = new_order(g, side, XT_TYPE_MARKET, XT_TIF_IOC, 0, rnd_in(&g->r, 1, 100));
		else
			c = new_order(g, side, XT_TYPE_LIMIT, XT_TIF_IOC, crossing_price(g, side, 5),
						  rnd_in(&g->r, 1, 100));
		gen_emit(g, &c, &out[i]);
	}
}

/* ---- measurement ----------------------------------------------------------------------------- */

typedef struct counts
{
	uint64_t	events;
	uint64_t	trades;
} counts;

/* The sink a real consumer would be: it looks at every event. */
static void
count_sink(void *ctx, const xt_event *ev)
{
	counts	   *k = ctx;

	k->events++;
	k->trades += ev->type == XT_EV_TRADE;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *) a;
	uint64_t	y = *(const uint64_t *) b;

	return x < y ? -1 : x > y;
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return x < y ? -1 : x > y;
}

static void
apply_or_die(xt_engine *e, const xt_command *c, xt_event_fn sink, void *ctx)
{
	if (xt_engine_apply(e, c, sink, ctx) != XT_OK)
	{
		fprintf(stderr, "bench_engine: engine refused seq %" PRIu64 "\n", c->seq);
		exit(1);
	}
}

static void
restore_or_die(xt_engine *e, const void *snap, size_t len)
{
	if (xt_engine_restore(e, snap, len) != XT_OK)
	{
		fprintf(stderr, "bench_engine: restore failed\n");
		exit(1);
	}
}

/* Cost of an empty start/end timing pair, in ticks (the median of many). */
static uint64_t
timer_overhead(void)
{
	enum
	{
		N = 100001
	};
	static uint64_t d[N];

	for (int i = 0; i < N; i++)
	{
		uint64_t	t0 = tick_start();

		d[i] = tick_end() - t0;
	}
	qsort(d, N, sizeof(d[0]), cmp_u64);
	return d[N / 2];
}

typedef struct options
{
	const char *mix;
	size_t		cmds;
	size_t		ref_cmds;
	uint64_t	seed;
	int			reps;
} options;

static void
run_workload(const char *mix, const options *opt, double tpn, uint64_t overhead)
{
	const xt_engine_config cfg = {1, 1u << 16, 1u << 13, 0};
	size_t		prefill = 2 * TARGET_PER_SIDE + 1;
	size_t		n = opt->cmds;
	size_t		total = prefill + n;
	size_t		k = opt->ref_cmds < n ? opt->ref_cmds : n;
	xt_command *cmds = malloc(total * sizeof(xt_command));
	uint64_t   *lat = malloc(n * sizeof(uint64_t));
	double	   *rates = malloc((size_t) opt->reps * sizeof(double));
	xt_engine  *e;
	void	   *mem = engine_block(&cfg, &e);
	void	   *snap;
	size_t		snap_len;
	gen			g;
	counts		cnt = {0, 0};
	uint32_t	resting;
	double		events_per_cmd;
	double		trades_per_cmd;
	double		t0;
	double		ref_rate;
	uint64_t	ref_hash;
	xt_ref	   *ref;

	if (cmds == NULL || lat == NULL || rates == NULL)
	{
		fprintf(stderr, "bench_engine: out of memory for %zu commands\n", total);
		exit(1);
	}
	gen_open(&g, &cfg, opt->seed, total);
	gen_prefill(&g, cmds, prefill);
	if (strcmp(mix, "exchange") == 0)
		gen_exchange(&g, cmds + prefill, n);
	else
		gen_match(&g, cmds + prefill, n);
	gen_close(&g);

	/* the post-prefill state, to start every timed run from */
	for (size_t i = 0; i < prefill; i++)
		apply_or_die(e, &cmds[i], count_sink, &cnt);
	snap_len = xt_engine_snapshot_size(e);
	snap = malloc(snap_len);
	if (snap == NULL || xt_engine_snapshot(e, snap, snap_len, &snap_len) != XT_OK)
	{
		fprintf(stderr, "bench_engine: snapshot failed\n");
		exit(1);
	}

	/* throughput */
	for (int rep = 0; rep < opt->reps; rep++)
	{
		restore_or_die(e, snap, snap_len);
		cnt.events = cnt.trades = 0;
		t0 = now_s();
		for (size_t i = prefill; i < total; i++)
			xt_engine_apply(e, &cmds[i], count_sink, &cnt);
		rates[rep] = (double) n / (now_s() - t0);
	}
	resting = xt_engine_resting_orders(e);
	events_per_cmd = (double) cnt.events / (double) n;
	trades_per_cmd = (double) cnt.trades / (double) n;
	qsort(rates, (size_t) opt->reps, sizeof(double), cmp_double);

	/* latency of each command */
	restore_or_die(e, snap, snap_len);
	for (size_t i = 0; i < n; i++)
	{
		uint64_t	s = tick_start();

		xt_engine_apply(e, &cmds[prefill + i], count_sink, &cnt);
		lat[i] = tick_end() - s;
		lat[i] = lat[i] > overhead ? lat[i] - overhead : 0;
	}
	qsort(lat, n, sizeof(lat[0]), cmp_u64);

	/* baseline: the reference model on the first k commands of the same stream */
	ref = xt_ref_create(&cfg);
	if (ref == NULL)
	{
		fprintf(stderr, "bench_engine: xt_ref_create failed\n");
		exit(1);
	}
	for (size_t i = 0; i < prefill; i++)
		xt_ref_apply(ref, &cmds[i], count_sink, &cnt);
	t0 = now_s();
	for (size_t i = prefill; i < prefill + k; i++)
		xt_ref_apply(ref, &cmds[i], count_sink, &cnt);
	ref_rate = (double) k / (now_s() - t0);
	ref_hash = xt_ref_hash(ref);
	xt_ref_destroy(ref);
	restore_or_die(e, snap, snap_len);
	for (size_t i = prefill; i < prefill + k; i++)
		xt_engine_apply(e, &cmds[i], count_sink, &cnt);

	printf("bench=engine mix=%s cmds=%zu reps=%d ops_per_s=%.0f ops_per_s_min=%.0f "
		   "ops_per_s_max=%.0f p50_ns=%.0f p99_ns=%.0f p999_ns=%.0f max_ns=%.0f timer_ns=%.0f "
		   "events_per_cmd=%.2f trades_per_cmd=%.3f resting=%" PRIu32 " seed=%" PRIu64 " "
		   "baseline=reference baseline_cmds=%zu baseline_ops_per_s=%.0f ratio=%.1f "
		   "ref_hash_match=%d\n",
		   mix, n, opt->reps, rates[opt->reps / 2], rates[0], rates[opt->reps - 1],
		   (double) lat[n / 2] / tpn, (double) lat[n - 1 - n / 100] / tpn,
		   (double) lat[n - 1 - n / 1000] / tpn, (double) lat[n - 1] / tpn,
		   (double) overhead / tpn, events_per_cmd, trades_per_cmd, resting, opt->seed, k, ref_rate, rates[opt->reps / 2] / ref_rate,
		   ref_hash == xt_engine_hash(e));
	fflush(stdout);
	free(snap);
	free(mem);
	free(cmds);
	free(lat);
	free(rates);
}

int
main(int argc, char **argv)
{
	options		opt = {"all", 5000000, 20000, 1, 3};
	double		tpn;
	uint64_t	overhead;

	for (int i = 1; i < argc; i++)
	{
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--quick") == 0)
		{
			opt.cmds = 20000;
			opt.ref_cmds = 2000;
			opt.reps = 1;
		}
		else if (strcmp(a, "--mix") == 0 && v != NULL && ++i)
			opt.mix = v;
		else if (strcmp(a, "--cmds") == 0 && v != NULL && ++i)
			opt.cmds = (size_t) strtoull(v, NULL, 10);
		else if (strcmp(a, "--ref-cmds") == 0 && v != NULL && ++i)
			opt.ref_cmds = (size_t) strtoull(v, NULL, 10);
		else if (strcmp(a, "--seed") == 0 && v != NULL && ++i)
			opt.seed = strtoull(v, NULL, 10);
		else if (strcmp(a, "--reps") == 0 && v != NULL && ++i)
			opt.reps = atoi(v);
		else
		{
			fprintf(stderr, "usage: %s [--mix exchange|match|all] [--cmds N] [--seed S] "
					"[--reps R] [--ref-cmds N] [--quick]\n", argv[0]);
			return 2;
		}
	}
	if (opt.cmds < 1000 || opt.reps < 1 ||
		(strcmp(opt.mix, "all") != 0 && strcmp(opt.mix, "exchange") != 0 &&
		 strcmp(opt.mix, "match") != 0))
	{
		fprintf(stderr, "bench_engine: need --cmds >= 1000, --reps >= 1 and a known --mix\n");
		return 2;
	}
	tpn = ticks_per_ns();
	overhead = timer_overhead();
	if (strcmp(opt.mix, "match") != 0)
		run_workload("exchange", &opt, tpn, overhead);
	if (strcmp(opt.mix, "exchange") != 0)
		run_workload("match", &opt, tpn, overhead);
	return 0;
}
