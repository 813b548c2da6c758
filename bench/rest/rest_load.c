/*
 * rest_load.c: POST /v1/order at a fixed rate over keep-alive connections, with the latency of
 * every answer (wrk runs closed-loop and cannot hold a constant rate; this is the open-loop part
 * of bench/rest/run.sh). It also writes the signed requests wrk replays (--write-lua).
 *
 * Request i is due at start + i / rate. It goes out on an idle connection as soon as it is due
 * (a timerfd wakes the loop); each connection carries one request at a time. Latency is measured
 * from the time the request was DUE, not from when it was written, so a server that falls behind
 * (every connection busy, requests queue up in here) shows its queueing in the percentiles
 * instead of hiding it (no coordinated omission). Requests due in the first --warmup seconds are
 * sent but not measured.
 *
 * Orders: GTC limit orders, Buy and Sell alternating, price and quantity drawn from the given
 * lists (valid multiples of the symbol's tick and lot, made by run.sh): buys from --prices, sells
 * from --sell-prices (default: the same list); run.sh gives buys mostly above the mid price and
 * sells mostly below, so most orders trade on arrival and the book stays small.
 * With --key/--secret every request is signed (X-XT-APIKEY/TIMESTAMP/SIGNATURE, timestamp = now);
 * with --key2/--secret2 as well, the sells are signed with the second key (another account, so
 * buys and sells trade instead of cancelling each other by self-trade prevention). Without keys
 * the server must run with xtrader.rest_auth = off.
 *
 * --write-lua FILE: no load; writes a Lua file for bench/rest/order.lua instead:
 *     return { t0 = <wall ms>, slot_ms = L, slots = { {req, req, ...}, ... } }
 * --slots S slots of --per-slot N complete HTTP requests (alternating Buy/Sell as above). Slot j
 * serves the wall-clock interval [t0 + j*L, t0 + (j+1)*L) and is signed with the timestamp
 * t0 + j*L + L/2, so with L = the server's xtrader.auth_window_ms every request of a slot is
 * inside the window while it is used, with L/2 to spare on either side (wrk's LuaJIT has no HMAC:
 * the requests are signed here, ahead of time).
 *
 * Usage: rest_load --symbol S --prices P1,P2,.. [--sell-prices P1,..] --qtys Q1,Q2,..
 *                  [--host 127.0.0.1] [--port 7000]
 *                  [--rate 10000] [--conns 64] [--secs 10] [--warmup 1]
 *                  [--key K --secret S [--key2 K --secret2 S]] [--wait-keys 1]
 *                  [--write-lua FILE --slots S --slot-ms L --per-slot N] [--trace FILE]
 * Prints one line (load mode):
 *   rest_load rate=.. conns=.. secs=.. sent=.. answered=.. ok=.. failed=.. late_sends=..
 *             achieved_per_s=.. p50_ms=.. p90_ms=.. p99_ms=.. p999_ms=.. max_ms=.. codes=200:N,...
 * (measured requests only; ok = 200 answers; failed = no answer: connection lost or time-out).
 * --trace FILE writes "due_ms latency_ms status" per measured answer (due_ms from the end of the
 * warm-up), to find stalls.
 */
#include "bench_net.h"

#include <signal.h>
#include <sys/epoll.h>

enum
{
	C_DOWN = 0,
	C_IDLE = 1,
	C_BUSY = 2
};

typedef struct conn
{
	int			fd;
	int			state;
	bool		want_out;		/* EPOLLOUT registered */
	int64_t		due_ns;			/* the request in flight was due then */
	bool		measured;
	size_t		out_len;
	size_t		out_off;
	size_t		in_len;
	char		out[4096];
	char		in[16384];
} conn;

static const char *opt_host = "127.0.0.1";
static int	opt_port = 7000;
static int	opt_rate = 10000;
static int	opt_conns = 64;
static int	opt_secs = 10;
static int	opt_warmup = 1;
static const char *opt_symbol;
static const char *prices[BN_MAX_LIST];	/* of the buys */
static const char *sell_prices[BN_MAX_LIST];
static const char *qtys[BN_MAX_LIST];
static int	n_prices,
			n_sell_prices,
			n_qtys;
static bn_key key,
			key2;
static const char *opt_lua;
static int	opt_slots = 4;
static int	opt_slot_ms = 5000;
static int	opt_per_slot = 1024;
static int	opt_wait_keys = 0;
static FILE *trace;				/* --trace FILE: "due_ms latency_ms status" per measured answer */

static conn *conns;
static int *idle;
static int	n_idle;
static int	ep;

static void
ep_set(int ci, bool want_out)
{
	struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.u64 = (uint64_t) ci + 1};

	if (epoll_ctl(ep, EPOLL_CTL_MOD, conns[ci].fd, &ev) < 0)
		bn_die("epoll_ctl: %s", strerror(errno));
	conns[ci].want_out = want_out;
}

static bool
conn_open(int ci)
{
	conn	   *c = &conns[ci];
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t) ci + 1};

	c->fd = bn_connect_wait(opt_host, opt_port, 2000);
	if (c->fd < 0)
		return false;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
		bn_die("epoll_ctl: %s", strerror(errno));
	c->state = C_IDLE;
	c->want_out = false;
	c->in_len = c->out_len = c->out_off = 0;
	idle[n_idle++] = ci;
	return true;
}

static void
conn_close(int ci)
{
	conn	   *c = &conns[ci];

	if (c->fd >= 0)
		close(c->fd);				/* also leaves the epoll set */
	c->fd = -1;
	c->state = C_DOWN;
}

/* Write what is pending; false if the connection broke. */
static bool
conn_flush(int ci)
{
	conn	   *c = &conns[ci];

	while (c->out_off < c->out_len)
	{
		ssize_t		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

		if (n < 0)
		{
			if (errno == EAGAIN)
				break;
			return false;
		}
		c->out_off += (size_t) n;
	}
	if ((c->out_off < c->out_len) != c->want_out)
		ep_set(ci, c->out_off < c->out_len);
	return true;
}

/* Order i (Buy when even, Sell when odd) as a complete request, signed as of now. */
static size_t
order_request(char *buf, size_t cap, int64_t i, uint64_t *seed)
{
	char		body[512];
	bool		sell = (i & 1) != 0;
	int			bl;

	bl = snprintf(body, sizeof(body),
				  "{\"symbol\":\"%s\",\"side\":\"%s\",\"order_type\":\"Limit\",\"price\":\"%s\",\"quantity\":\"%s\"}",
				  opt_symbol, sell ? "Sell" : "Buy",
				  sell ? sell_prices[bn_rand(seed) % (uint64_t) n_sell_prices]
				  : prices[bn_rand(seed) % (uint64_t) n_prices],
				  qtys[bn_rand(seed) % (uint64_t) n_qtys]);
	return bn_http_request(buf, cap, opt_host, opt_port, "POST", "/v1/order", body, (size_t) bl,
						   sell && key2.key ? &key2 : &key);
}

/* --write-lua: the signed requests of every slot, as a Lua table (see the top of this file). */
static void
write_lua(uint64_t *seed)
{
	FILE	   *f = fopen(opt_lua, "w");
	int64_t		t0 = bn_wall_ms();
	char		req[4096];

	if (!f)
		bn_die("cannot write %s: %s", opt_lua, strerror(errno));
	fprintf(f, "-- written by bench/rest/rest_load --write-lua: signed requests, one list per time slot\n"
			"return { t0 = %" PRId64 ", slot_ms = %d, slots = {\n", t0, opt_slot_ms);
	for (int j = 0; j < opt_slots; j++)
	{
		bn_fixed_ts = t0 + (int64_t) j * opt_slot_ms + opt_slot_ms / 2;
		fputs("{\n", f);
		for (int k = 0; k < opt_per_slot; k++)
		{
			size_t		rl = order_request(req, sizeof(req), k, seed);

			if (rl == 0)
				bn_die("request does not fit");
			fputc('"', f);
			for (size_t c = 0; c < rl; c++)
			{
				if (req[c] == '\r')
					fputs("\\r", f);
				else if (req[c] == '\n')
					fputs("\\n", f);
				else if (req[c] == '"' || req[c] == '\\')
				{
					fputc('\\', f);
					fputc(req[c], f);
				}
				else
					fputc(req[c], f);
			}
			fputs("\",\n", f);
		}
		fputs("},\n", f);
	}
	fputs("} }\n", f);
	bn_fixed_ts = 0;
	if (fclose(f) != 0)
		bn_die("cannot write %s: %s", opt_lua, strerror(errno));
}

int
main(int argc, char **argv)
{
	struct epoll_event evs[256];
	int			tfd;
	int64_t		start,
				measure_from,
				deadline,
				total,
				next = 0,
				last_answer = 0;
	uint64_t	seed = 0x9E3779B97F4A7C15ULL;
	int64_t		inflight = 0,
				sent_m = 0,
				answered_m = 0,
				failed_m = 0,
				late = 0;
	int64_t		codes[600] = {0};
	int			errors_printed = 0;
	bn_samples	lat = {0};
	char		plist[4096] = "",
				splist[4096] = "",
				qlist[4096] = "";

	for (int i = 1; i < argc; i++)
	{
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			bn_die("%s needs a value", a);
		i++;
		if (strcmp(a, "--host") == 0)
			opt_host = v;
		else if (strcmp(a, "--port") == 0)
			opt_port = atoi(v);
		else if (strcmp(a, "--rate") == 0)
			opt_rate = atoi(v);
		else if (strcmp(a, "--conns") == 0)
			opt_conns = atoi(v);
		else if (strcmp(a, "--secs") == 0)
			opt_secs = atoi(v);
		else if (strcmp(a, "--warmup") == 0)
			opt_warmup = atoi(v);
		else if (strcmp(a, "--symbol") == 0)
			opt_symbol = v;
		else if (strcmp(a, "--prices") == 0)
			snprintf(plist, sizeof(plist), "%s", v);
		else if (strcmp(a, "--sell-prices") == 0)
			snprintf(splist, sizeof(splist), "%s", v);
		else if (strcmp(a, "--qtys") == 0)
			snprintf(qlist, sizeof(qlist), "%s", v);
		else if (strcmp(a, "--key2") == 0)
			key2.key = v;
		else if (strcmp(a, "--secret2") == 0)
			key2.secret = v;
		else if (strcmp(a, "--write-lua") == 0)
			opt_lua = v;
		else if (strcmp(a, "--slots") == 0)
			opt_slots = atoi(v);
		else if (strcmp(a, "--slot-ms") == 0)
			opt_slot_ms = atoi(v);
		else if (strcmp(a, "--per-slot") == 0)
			opt_per_slot = atoi(v);
		else if (strcmp(a, "--wait-keys") == 0)
			opt_wait_keys = atoi(v);
		else if (strcmp(a, "--trace") == 0)
		{
			trace = fopen(v, "w");
			if (!trace)
				bn_die("cannot write %s: %s", v, strerror(errno));
		}
		else if (strcmp(a, "--key") == 0)
			key.key = v;
		else if (strcmp(a, "--secret") == 0)
			key.secret = v;
		else if (strcmp(a, "--seed") == 0)
			seed = strtoull(v, NULL, 10) | 1;
		else
			bn_die("unknown option %s", a);
	}
	if (!opt_symbol || !plist[0] || !qlist[0])
		bn_die("usage: rest_load --symbol S --prices P1,P2 --qtys Q1,Q2 [--rate R] [--conns K] [--secs S] [--warmup W] [--key K --secret S]");
	if (opt_rate < 1 || opt_conns < 1 || opt_secs < 1 || opt_warmup < 0 || (key.key && !key.secret) ||
		(key2.key && (!key2.secret || !key.key)) || opt_slots < 1 || opt_slot_ms < 2 || opt_per_slot < 2)
		bn_die("bad --rate/--conns/--secs/--warmup/--slots/--slot-ms/--per-slot, or a key without its secret");
	n_prices = bn_parse_list(plist, prices, BN_MAX_LIST, "--prices");
	n_qtys = bn_parse_list(qlist, qtys, BN_MAX_LIST, "--qtys");
	if (splist[0])
		n_sell_prices = bn_parse_list(splist, sell_prices, BN_MAX_LIST, "--sell-prices");
	else
	{
		memcpy(sell_prices, prices, sizeof(prices));
		n_sell_prices = n_prices;
	}
	signal(SIGPIPE, SIG_IGN);
	if (opt_wait_keys && key.key)
	{
		/* a new key reaches the server within about a second: wait until both work */
		if (bn_wait_key(opt_host, opt_port, &key, 10000) == 401 ||
			(key2.key && bn_wait_key(opt_host, opt_port, &key2, 10000) == 401))
			bn_die("the server refuses the API key(s)");
	}
	if (opt_lua)
	{
		write_lua(&seed);
		return 0;
	}

	ep = epoll_create1(EPOLL_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (ep < 0 || tfd < 0)
		bn_die("epoll/timerfd: %s", strerror(errno));
	{
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0};

		epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
	}
	conns = calloc((size_t) opt_conns, sizeof(*conns));
	idle = calloc((size_t) opt_conns, sizeof(*idle));
	if (!conns || !idle)
		bn_die("out of memory");
	for (int i = 0; i < opt_conns; i++)
	{
		conns[i].fd = -1;
		if (!conn_open(i))
			bn_die("cannot connect to %s:%d: %s", opt_host, opt_port, strerror(errno));
	}

	total = (int64_t) opt_rate * (opt_secs + opt_warmup);
	start = bn_now_ns() + 20000000;
	measure_from = start + (int64_t) opt_warmup * 1000000000;
	deadline = start + (int64_t) (opt_secs + opt_warmup + 10) * 1000000000;

	for (;;)
	{
		int64_t		now = bn_now_ns();
		int			n;

		/* send everything that is due, as far as connections are free */
		while (next < total && start + next * 1000000000LL / opt_rate <= now && n_idle > 0)
		{
			int			ci = idle[--n_idle];
			conn	   *c = &conns[ci];
			size_t		rl = order_request(c->out, sizeof(c->out), next, &seed);

			if (rl == 0)
				bn_die("request does not fit");
			c->out_len = rl;
			c->out_off = 0;
			c->in_len = 0;
			c->due_ns = start + next * 1000000000LL / opt_rate;
			c->measured = c->due_ns >= measure_from;
			c->state = C_BUSY;
			if (c->measured && now - c->due_ns > 1000000)
				late++;
			if (c->measured)
				sent_m++;
			inflight++;
			next++;
			if (!conn_flush(ci))
			{
				/* broken before it went out: count it and replace the connection */
				if (c->measured)
					failed_m++;
				inflight--;
				conn_close(ci);
				if (!conn_open(ci))
					bn_die("reconnect failed: %s", strerror(errno));
			}
		}
		if (next >= total && inflight == 0)
			break;
		if (now > deadline)
		{
			failed_m += inflight;	/* never answered */
			break;
		}
		bn_timer_at(tfd, next < total && n_idle > 0 ? start + next * 1000000000LL / opt_rate : 0);
		n = epoll_wait(ep, evs, 256, 100);
		for (int e = 0; e < n; e++)
		{
			int			ci;
			conn	   *c;
			bool		broken = false;

			if (evs[e].data.u64 == 0)
			{
				uint64_t	x;

				if (read(tfd, &x, sizeof(x)) < 0 && errno != EAGAIN)
					bn_die("timerfd: %s", strerror(errno));
				continue;
			}
			ci = (int) evs[e].data.u64 - 1;
			c = &conns[ci];
			if (c->fd < 0)
				continue;
			if ((evs[e].events & EPOLLOUT) && !conn_flush(ci))
				broken = true;
			if (!broken && (evs[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
			{
				ssize_t		r = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);

				if (r == 0 || (r < 0 && errno != EAGAIN))
					broken = true;
				else if (r > 0)
				{
					int			status;
					const char *b;
					size_t		bl;
					bool		cl;
					ssize_t		used;

					c->in_len += (size_t) r;
					used = bn_http_response(c->in, c->in_len, &status, &b, &bl, &cl);
					if (used < 0 || (used == 0 && c->in_len == sizeof(c->in)))
						bn_die("malformed HTTP answer: %.200s", c->in);
					if (used > 0)
					{
						int64_t		t = bn_now_ns();

						if (c->state != C_BUSY)
							bn_die("an answer nobody asked for: %.200s", c->in);
						if (c->measured)
						{
							answered_m++;
							codes[status >= 100 && status < 600 ? status : 0]++;
							if (status == 200)
								bn_samples_add(&lat, t - c->due_ns);
							last_answer = t;
							if (trace)
								fprintf(trace, "%.3f %.3f %d\n", (double) (c->due_ns - measure_from) / 1e6,
										(double) (t - c->due_ns) / 1e6, status);
						}
						if (status != 200 && errors_printed++ < 3)
							fprintf(stderr, "# HTTP %d: %.*s\n", status, (int) bl, b);
						inflight--;
						c->state = C_IDLE;
						c->in_len = 0;
						if (cl)
						{
							conn_close(ci);
							if (!conn_open(ci))
								bn_die("reconnect failed: %s", strerror(errno));
						}
						else
							idle[n_idle++] = ci;
					}
				}
			}
			if (broken)
			{
				if (c->state == C_BUSY)
				{
					if (c->measured)
						failed_m++;
					inflight--;
				}
				else
				{
					/* an idle connection closed by the server: take it off the idle stack */
					for (int k = 0; k < n_idle; k++)
						if (idle[k] == ci)
						{
							idle[k] = idle[--n_idle];
							break;
						}
				}
				conn_close(ci);
				if (!conn_open(ci))
					bn_die("reconnect failed: %s", strerror(errno));
			}
		}
	}

	if (trace)
		fclose(trace);
	bn_samples_sort(&lat);
	{
		double		span = last_answer > measure_from ? (double) (last_answer - measure_from) / 1e9 : 0;
		char		cbuf[512] = "";
		size_t		o = 0;

		for (int s = 0; s < 600; s++)
			if (codes[s] && o < sizeof(cbuf) - 24)
				o += (size_t) snprintf(cbuf + o, sizeof(cbuf) - o, "%s%d:%" PRId64, o ? "," : "", s, codes[s]);
		printf("rest_load rate=%d conns=%d secs=%d sent=%" PRId64 " answered=%" PRId64 " ok=%" PRId64
			   " failed=%" PRId64 " late_sends=%" PRId64 " achieved_per_s=%.0f p50_ms=%.3f p90_ms=%.3f"
			   " p99_ms=%.3f p999_ms=%.3f max_ms=%.3f codes=%s\n",
			   opt_rate, opt_conns, opt_secs, sent_m, answered_m, codes[200], failed_m, late,
			   span > 0 ? (double) answered_m / span : 0.0, bn_pct_ms(&lat, 50), bn_pct_ms(&lat, 90),
			   bn_pct_ms(&lat, 99), bn_pct_ms(&lat, 99.9), bn_pct_ms(&lat, 100), o ? cbuf : "none");
	}
	return 0;
}
