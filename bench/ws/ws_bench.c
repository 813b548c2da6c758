/*
 * ws_bench.c: WebSocket client benchmarks of the network worker (bench/ws/run.sh runs them).
 *
 * Plain POSIX sockets, one epoll loop per process, OpenSSL libcrypto for the handshake key
 * (SHA-1, base64) and the request signatures (HMAC-SHA256). Client frames are masked (RFC 6455
 * 5.3); server frames are read unmasked; server pings are answered; close frames are answered and
 * their code recorded (1008 = dropped as a slow consumer).
 *
 *   ws_bench rtt    order -> Execution round trip. One WebSocket, authenticated as account A
 *                   (so it receives A's executions), and --http keep-alive REST connections.
 *                   First an idle baseline: --ping-rate {"op":"ping"}/s for --ping-secs, each
 *                   timed to its pong (ping_idle). Then pairs at --rate orders/s (rate/2 pairs/s)
 *                   for --secs after --warmup: a maker (key B) Sell Limit GTC at --price/--qty,
 *                   and once it is answered 200 a taker (key A) Buy Limit IOC at the same price
 *                   and quantity, which trades with the oldest resting maker (every taker is sent
 *                   after its own maker is durable, so there always is one). The round trip is
 *                   from writing the taker's POST to reading the Execution with the taker's
 *                   order_id (matched through a table of order ids, whichever of the POST answer
 *                   and the Execution comes first). Meanwhile a ping every 10 ms on the same
 *                   WebSocket gives the baseline under the same load (ping_p50/p99).
 *   ws_bench conns  open --n idle WebSockets (--parallel handshakes at a time), in --procs
 *                   processes (one process may not hold more descriptors than RLIMIT_NOFILE);
 *                   once every process has opened what it could, all hold for --hold secs, then
 *                   send {"op":"ping"} on every connection: held = pongs received.
 *   ws_bench fanout --n WebSockets authenticated as A, and pairs as in rtt at each rate of
 *                   --pair-rates (pairs/s) for --secs each: every pair sends one Execution (the
 *                   taker's) to each of the n connections. Counts the Execution messages received
 *                   across all connections, including those that arrive after the orders stopped
 *                   (a server behind drains its backlog), over the time from the first order to
 *                   the last message; and closes with 1008. Connections closed in a step are
 *                   reopened before the next.
 *
 * Common options: --host 127.0.0.1 --ws-port 7001 --rest-port 7000 --key-a K --secret-a S
 * --key-b K --secret-b S --symbol SYM --price P --qty Q (rtt and fanout need both keys, as self-
 * trade prevention stops one account trading with itself; conns needs none).
 * Each mode prints one result line (ws_rtt ..., ws_conns ..., ws_fanout ...); lines starting with
 * '#' explain.
 */
#include "bench_net.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/wait.h>

/* ---- options -------------------------------------------------------------------------------- */

static const char *o_host = "127.0.0.1";
static int	o_ws_port = 7001;
static int	o_rest_port = 7000;
static bn_key key_a,
			key_b;
static const char *o_symbol = "WSBENCH-KRW";
static const char *o_price;
static const char *o_qty;
static int	o_rate = 10000;			/* rtt: orders/s (2 per pair) */
static int	o_secs = 10;
static int	o_warmup = 1;
static int	o_http = 64;
static int	o_ping_rate = 2000;
static int	o_ping_secs = 3;
static int	o_n = 1000;
static int	o_parallel = 256;
static int	o_procs = 1;
static int	o_hold = 5;
static char o_pair_rates[256] = "250,500,1000";

/* ---- event loop ----------------------------------------------------------------------------- */

#define TAG_TIMER	1ULL
#define TAG_WS		2ULL
#define TAG_HTTP	3ULL
#define TAG_GO		4ULL
#define TAG(kind, i) (((kind) << 32) | (uint64_t) (uint32_t) (i))

static int	ep = -1;
static int	tfd = -1;
static uint64_t rng = 0x243F6A8885A308D3ULL;

static void ws_io(int i, uint32_t events);
static void http_io(int i, uint32_t events);
static void (*on_go) (void);

static void
ep_add(int fd, uint64_t tag, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.u64 = tag};

	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		bn_die("epoll_ctl add: %s", strerror(errno));
}

static void
ep_mod(int fd, uint64_t tag, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.u64 = tag};

	if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) < 0)
		bn_die("epoll_ctl mod: %s", strerror(errno));
}

/* Wait for events until wake_at (absolute, 0 = none) or at most max_ms, and handle them. */
static void
loop_once(int64_t wake_at, int max_ms)
{
	static struct epoll_event evs[1024];
	int			n;

	bn_timer_at(tfd, wake_at);
	n = epoll_wait(ep, evs, 1024, max_ms);
	if (n < 0 && errno != EINTR)
		bn_die("epoll_wait: %s", strerror(errno));
	for (int e = 0; e < n; e++)
	{
		uint64_t	tag = evs[e].data.u64;
		uint64_t	kind = tag >> 32;
		int			i = (int) (uint32_t) tag;

		if (kind == TAG_TIMER)
		{
			uint64_t	x;

			if (read(tfd, &x, sizeof(x)) < 0 && errno != EAGAIN)
				bn_die("timerfd: %s", strerror(errno));
		}
		else if (kind == TAG_WS)
			ws_io(i, evs[e].events);
		else if (kind == TAG_HTTP)
			http_io(i, evs[e].events);
		else if (kind == TAG_GO && on_go)
			on_go();
	}
}

/* ---- WebSocket connections ------------------------------------------------------------------ */

enum
{
	WS_DEAD = 0,
	WS_CONNECTING,
	WS_HANDSHAKE,
	WS_AUTHING,
	WS_OPEN,
	WS_CLOSING					/* we sent a close frame */
};

typedef struct ws
{
	int			fd;
	uint8_t		state;
	bool		want_out;
	bool		auth;			/* authenticate as A once open */
	uint16_t	close_code;		/* from the server's close frame */
	int64_t		t_start;
	char		accept[32];		/* the Sec-WebSocket-Accept we expect */
	char	   *in;
	size_t		in_len,
				in_cap;
	char	   *out;
	size_t		out_len,
				out_off,
				out_cap;
} ws;

static ws  *wss;
static int	n_wss;
static size_t ws_in_initial = 2048;

/* counters of connection outcomes */
static int64_t n_open,
			n_connecting,
			fail_connect,
			fail_handshake,
			fail_auth,
			closed_by_server,
			closed_1008,
			errors_seen;
static bool fd_exhausted;
static int64_t opens_total;		/* successful opens (for the fail-fast rule) */
static bool gave_up;			/* ws_open_range stopped: the server accepts no more */

/* mode hooks */
static void (*on_ws_open) (int i);
static void (*on_ws_text) (int i, const char *p, size_t len);

static void
ws_free(ws *w)
{
	free(w->in);
	free(w->out);
	w->in = w->out = NULL;
	w->in_len = w->in_cap = w->out_len = w->out_off = w->out_cap = 0;
}

/* The connection is gone (for any reason); counted by the caller. */
static void
ws_dead(int i)
{
	ws		   *w = &wss[i];

	if (w->state == WS_OPEN || w->state == WS_CLOSING)
		n_open--;
	else if (w->state != WS_DEAD)
		n_connecting--;
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	w->state = WS_DEAD;
	ws_free(w);
}

static void
ws_flush(int i)
{
	ws		   *w = &wss[i];

	while (w->out_off < w->out_len)
	{
		ssize_t		n = send(w->fd, w->out + w->out_off, w->out_len - w->out_off, MSG_NOSIGNAL);

		if (n < 0)
		{
			if (errno == EAGAIN)
				break;
			if (w->state == WS_OPEN)
				closed_by_server++;
			ws_dead(i);
			return;
		}
		w->out_off += (size_t) n;
	}
	if (w->out_off == w->out_len)
		w->out_off = w->out_len = 0;
	if ((w->out_len > 0) != w->want_out)
	{
		w->want_out = w->out_len > 0;
		ep_mod(w->fd, TAG(TAG_WS, i), EPOLLIN | (w->want_out ? EPOLLOUT : 0));
	}
}

static void
ws_queue(ws *w, const void *p, size_t len)
{
	if (w->out_len + len > w->out_cap)
	{
		size_t		cap = w->out_cap ? w->out_cap : 256;

		while (cap < w->out_len + len)
			cap *= 2;
		w->out = realloc(w->out, cap);
		if (!w->out)
			bn_die("out of memory");
		w->out_cap = cap;
	}
	memcpy(w->out + w->out_len, p, len);
	w->out_len += len;
}

/* Queue one masked frame and try to write it. */
static void
ws_send(int i, int opcode, const char *payload, size_t len)
{
	ws		   *w = &wss[i];
	unsigned char hdr[14];
	unsigned char mask[4];
	char		body[4096];
	size_t		h = 0;
	uint32_t	m = (uint32_t) bn_rand(&rng);

	if (w->state == WS_DEAD || len > sizeof(body))
		return;
	hdr[h++] = (unsigned char) (0x80 | opcode);
	if (len < 126)
		hdr[h++] = (unsigned char) (0x80 | len);
	else
	{
		hdr[h++] = 0x80 | 126;
		hdr[h++] = (unsigned char) (len >> 8);
		hdr[h++] = (unsigned char) len;
	}
	memcpy(mask, &m, 4);
	memcpy(hdr + h, mask, 4);
	h += 4;
	for (size_t k = 0; k < len; k++)
		body[k] = (char) (payload[k] ^ mask[k & 3]);
	ws_queue(w, hdr, h);
	ws_queue(w, body, len);
	ws_flush(i);
}

static void
ws_send_text(int i, const char *text)
{
	ws_send(i, 1, text, strlen(text));
}

/* Start a connection; false when no descriptor is left (fd_exhausted) or the connect failed. */
static bool
ws_start(int i, bool auth)
{
	ws		   *w = &wss[i];
	int			fd = bn_connect_start(o_host, o_ws_port);

	if (fd < 0)
	{
		if (errno == EMFILE || errno == ENFILE)
			fd_exhausted = true;
		else
			fail_connect++;
		return false;
	}
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->state = WS_CONNECTING;
	w->auth = auth;
	w->t_start = bn_now_ns();
	w->want_out = true;
	n_connecting++;
	ep_add(fd, TAG(TAG_WS, i), EPOLLIN | EPOLLOUT);
	return true;
}

static void
ws_send_handshake(int i)
{
	ws		   *w = &wss[i];
	unsigned char nonce[16];
	unsigned char sha[EVP_MAX_MD_SIZE];
	unsigned int sha_len = 0;
	char		key[32];
	char		cat[128];
	char		req[512];
	int			n;

	for (int k = 0; k < 16; k += 8)
	{
		uint64_t	r = bn_rand(&rng);

		memcpy(nonce + k, &r, 8);
	}
	EVP_EncodeBlock((unsigned char *) key, nonce, 16);
	n = snprintf(cat, sizeof(cat), "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
	if (!EVP_Digest(cat, (size_t) n, sha, &sha_len, EVP_sha1(), NULL))
		bn_die("SHA-1 failed in libcrypto");
	EVP_EncodeBlock((unsigned char *) w->accept, sha, (int) sha_len);
	n = snprintf(req, sizeof(req),
				 "GET /v1/ws HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
				 "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", o_host, o_ws_port, key);
	ws_queue(w, req, (size_t) n);
	w->state = WS_HANDSHAKE;
	ws_flush(i);
}

static void
ws_send_auth(int i)
{
	char		ts[24];
	char		tosign[64];
	char		sig[65];
	char		msg[512];

	snprintf(ts, sizeof(ts), "%" PRId64, bn_wall_ms());
	snprintf(tosign, sizeof(tosign), "%sGET/v1/ws", ts);
	bn_hmac_hex(key_a.secret, tosign, strlen(tosign), sig);
	snprintf(msg, sizeof(msg), "{\"op\":\"auth\",\"api_key\":\"%s\",\"timestamp\":%s,\"signature\":\"%s\"}",
			 key_a.key, ts, sig);
	wss[i].state = WS_AUTHING;
	ws_send_text(i, msg);
}

static void
ws_opened(int i)
{
	wss[i].state = WS_OPEN;
	n_connecting--;
	n_open++;
	opens_total++;
	if (on_ws_open)
		on_ws_open(i);
}

static void
ws_text(int i, const char *p, size_t len)
{
	ws		   *w = &wss[i];

	if (len > 16 && memcmp(p, "{\"type\":\"error\"", 15) == 0)
	{
		if (errors_seen++ < 5)
			fprintf(stderr, "# error frame: %.*s\n", (int) (len > 300 ? 300 : len), p);
		if (w->state == WS_AUTHING)
		{
			fail_auth++;
			ws_dead(i);
		}
		return;
	}
	if (w->state == WS_AUTHING)
	{
		if (len >= 24 && memcmp(p, "{\"type\":\"authenticated\"", 23) == 0)
			ws_opened(i);
		return;				/* anything before the answer (none expected) is ignored */
	}
	if (w->state == WS_OPEN && on_ws_text)
		on_ws_text(i, p, len);
}

/* Parse complete frames at the front of the input buffer. */
static void
ws_frames(int i)
{
	ws		   *w = &wss[i];
	size_t		off = 0;

	while (w->state != WS_DEAD)
	{
		const unsigned char *b = (const unsigned char *) w->in + off;
		size_t		avail = w->in_len - off;
		size_t		h = 2;
		uint64_t	plen;
		int			opcode;
		const char *payload;

		if (avail < 2)
			break;
		opcode = b[0] & 0x0F;
		plen = b[1] & 0x7F;
		if (plen == 126)
		{
			if (avail < 4)
				break;
			plen = ((uint64_t) b[2] << 8) | b[3];
			h = 4;
		}
		else if (plen == 127)
		{
			if (avail < 10)
				break;
			plen = 0;
			for (int k = 0; k < 8; k++)
				plen = (plen << 8) | b[2 + k];
			h = 10;
		}
		if (b[1] & 0x80)
			h += 4;				/* a server must not mask; skip the key if it does */
		if (plen > (64u << 20))
			bn_die("a %" PRIu64 "-byte frame from the server", plen);
		if (avail < h + plen)
		{
			/* incomplete: make room for the whole frame */
			if (h + plen > w->in_cap)
			{
				size_t		cap = w->in_cap;

				while (cap < h + plen)
					cap *= 2;
				w->in = realloc(w->in, cap);
				if (!w->in)
					bn_die("out of memory");
				w->in_cap = cap;
			}
			break;
		}
		payload = (const char *) b + h;
		off += h + (size_t) plen;
		switch (opcode)
		{
			case 0x1:			/* text (a fragmented message counts by its first frame) */
				ws_text(i, payload, (size_t) plen);
				break;
			case 0x8:			/* close */
				w->close_code = plen >= 2 ? (uint16_t) (((unsigned char) payload[0] << 8) | (unsigned char) payload[1]) : 1005;
				if (w->close_code == 1008)
					closed_1008++;
				if (w->state == WS_OPEN)
					closed_by_server++;
				else if (w->state == WS_AUTHING || w->state == WS_HANDSHAKE)
					fail_auth++;
				if (w->state != WS_CLOSING)
				{
					/* answer the close (best effort, unqueued: the connection ends here) */
					unsigned char f[8] = {0x88, 0x80, 0, 0, 0, 0, 0, 0};	/* mask key 0 */
					size_t		fl = 6;

					if (plen >= 2)
					{
						f[1] = 0x82;
						f[6] = (unsigned char) payload[0];
						f[7] = (unsigned char) payload[1];
						fl = 8;
					}
					(void) send(w->fd, f, fl, MSG_NOSIGNAL | MSG_DONTWAIT);
				}
				ws_dead(i);
				return;
			case 0x9:			/* ping */
				ws_send(i, 0xA, payload, (size_t) plen);
				break;
			default:			/* pong, continuation, binary: ignored */
				break;
		}
	}
	if (w->state != WS_DEAD && off > 0)
	{
		memmove(w->in, w->in + off, w->in_len - off);
		w->in_len -= off;
	}
}

static void
ws_io(int i, uint32_t events)
{
	ws		   *w = &wss[i];

	if (w->state == WS_DEAD)
		return;
	if (w->state == WS_CONNECTING)
	{
		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		if (bn_connect_result(w->fd) != 0)
		{
			fail_connect++;
			ws_dead(i);
			return;
		}
		w->in_cap = ws_in_initial;
		w->in = malloc(w->in_cap);
		if (!w->in)
			bn_die("out of memory");
		ws_send_handshake(i);
		return;
	}
	if ((events & EPOLLOUT) && w->out_len > 0)
	{
		ws_flush(i);
		if (w->state == WS_DEAD)
			return;
	}
	if (!(events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		return;
	for (int reads = 0; reads < 4 && w->state != WS_DEAD; reads++)
	{
		ssize_t		r;

		if (w->in_len == w->in_cap)
		{
			w->in_cap *= 2;
			w->in = realloc(w->in, w->in_cap);
			if (!w->in)
				bn_die("out of memory");
		}
		r = recv(w->fd, w->in + w->in_len, w->in_cap - w->in_len, 0);
		if (r < 0 && errno == EAGAIN)
			break;
		if (r <= 0)
		{
			if (w->state == WS_OPEN)
				closed_by_server++;
			else if (w->state == WS_HANDSHAKE || w->state == WS_CONNECTING)
				fail_handshake++;
			else if (w->state == WS_AUTHING)
				fail_auth++;
			ws_dead(i);
			return;
		}
		w->in_len += (size_t) r;
		if (w->state == WS_HANDSHAKE)
		{
			const char *eoh = memmem(w->in, w->in_len, "\r\n\r\n", 4);
			const char *v;
			size_t		vl,
						hl;

			if (!eoh)
			{
				if (w->in_len > 8192)
				{
					fail_handshake++;
					ws_dead(i);
				}
				continue;
			}
			hl = (size_t) (eoh - w->in) + 4;
			v = bn_http_header(w->in, hl, "Sec-WebSocket-Accept", &vl);
			if (w->in_len < 12 || memcmp(w->in + 8, " 101", 4) != 0 || !v ||
				vl != strlen(w->accept) || memcmp(v, w->accept, vl) != 0)
			{
				if (fail_handshake++ < 3)
					fprintf(stderr, "# handshake refused: %.*s\n", (int) (hl > 300 ? 300 : hl), w->in);
				ws_dead(i);
				return;
			}
			memmove(w->in, w->in + hl, w->in_len - hl);
			w->in_len -= hl;
			if (w->auth)
				ws_send_auth(i);
			else
				ws_opened(i);
		}
		if (w->state != WS_HANDSHAKE && w->state != WS_DEAD)
			ws_frames(i);
		if ((size_t) r < w->in_cap / 2)
			break;				/* drained for now */
	}
}

/* Open connections [from, to) (at most o_parallel handshakes at a time) until all are open or
 * failed, or timeout_s passes. A handshake (connect included) that takes over 10 s fails. When
 * 2 * o_parallel attempts in a row fail, the server accepts no more: stop starting new ones
 * (gave_up) instead of waiting out every time-out. */
static void
ws_open_range(int from, int to, bool auth, int timeout_s)
{
	int64_t		deadline = bn_now_ns() + (int64_t) timeout_s * 1000000000;
	int64_t		last_scan = 0;
	int64_t		opens_seen = opens_total;
	int64_t		fails_at_open = fail_connect + fail_handshake + fail_auth;
	int			next = from;

	gave_up = false;

	while (bn_now_ns() < deadline)
	{
		int64_t		fails = fail_connect + fail_handshake + fail_auth;

		if (opens_total != opens_seen)
		{
			opens_seen = opens_total;
			fails_at_open = fails;
		}
		if (!gave_up && fails - fails_at_open > 2 * (int64_t) o_parallel)
		{
			gave_up = true;
			fprintf(stderr, "# %" PRId64 " connection attempts in a row failed: not starting more\n",
					fails - fails_at_open);
		}
		while (next < to && n_connecting < o_parallel && !fd_exhausted && !gave_up)
		{
			if (wss[next].state == WS_DEAD)
				(void) ws_start(next, auth);
			next++;
		}
		if ((next >= to || fd_exhausted || gave_up) && n_connecting == 0)
			return;
		loop_once(0, 50);
		/* give up on handshakes that take longer than 10 s (checked twice a second) */
		if (n_connecting > 0 && bn_now_ns() - last_scan > 500000000)
		{
			int64_t		now = bn_now_ns();

			last_scan = now;

			for (int i = from; i < next; i++)
				if (wss[i].state > WS_DEAD && wss[i].state < WS_OPEN &&
					now - wss[i].t_start > 10000000000LL)
				{
					fail_handshake++;
					ws_dead(i);
				}
		}
	}
}

static void
ws_alloc(int n)
{
	wss = calloc((size_t) n, sizeof(*wss));
	if (!wss)
		bn_die("out of memory");
	for (int i = 0; i < n; i++)
		wss[i].fd = -1;
	n_wss = n;
}

/* Send a close frame on every open connection, give the server up to 2 s to close (so the
 * TIME_WAIT state stays on its side), then close the rest. */
static void
ws_close_all(void)
{
	int64_t		deadline = bn_now_ns() + 2000000000;

	for (int i = 0; i < n_wss; i++)
		if (wss[i].state == WS_OPEN)
		{
			wss[i].state = WS_CLOSING;
			ws_send(i, 0x8, "\x03\xe8", 2);
		}
	while (n_open > 0 && bn_now_ns() < deadline)
		loop_once(0, 50);
	for (int i = 0; i < n_wss; i++)
		if (wss[i].state != WS_DEAD)
			ws_dead(i);
}

/* ---- HTTP connections driving order pairs ---------------------------------------------------- */

typedef struct hc
{
	int			fd;
	bool		want_out;
	int			phase;			/* 0 idle, 1 maker in flight, 2 taker in flight */
	bool		measured;
	int64_t		t_send;			/* when the request in flight was written */
	size_t		out_len,
				out_off,
				in_len;
	char		out[4096];
	char		in[16384];
} hc;

static hc  *hcs;
static int	n_hcs;
static int *hc_idle;
static int	n_hc_idle;
static int64_t pairs_started,
			pairs_done,
			maker_errors,
			taker_errors,
			taker_expired,
			http_broken;
static int64_t http_codes[600];
static bn_samples post_lat;		/* taker POST answer latency (measured pairs) */

/* mode hook: a taker was answered 200 with this order id */
static void (*on_taker) (int64_t order_id, int64_t t_send, bool measured);

static void
hc_connect(int i)
{
	hc		   *h = &hcs[i];

	h->fd = bn_connect_wait(o_host, o_rest_port, 2000);
	if (h->fd < 0)
		bn_die("cannot connect to %s:%d: %s", o_host, o_rest_port, strerror(errno));
	h->phase = 0;
	h->want_out = false;
	h->in_len = h->out_len = h->out_off = 0;
	ep_add(h->fd, TAG(TAG_HTTP, i), EPOLLIN);
	hc_idle[n_hc_idle++] = i;
}

static void
hc_alloc(int n)
{
	hcs = calloc((size_t) n, sizeof(*hcs));
	hc_idle = calloc((size_t) n, sizeof(*hc_idle));
	if (!hcs || !hc_idle)
		bn_die("out of memory");
	n_hcs = n;
	for (int i = 0; i < n; i++)
		hc_connect(i);
}

static void
hc_reconnect(int i)
{
	hc		   *h = &hcs[i];

	if (h->phase != 0)
		http_broken++;
	else
		for (int k = 0; k < n_hc_idle; k++)
			if (hc_idle[k] == i)
			{
				hc_idle[k] = hc_idle[--n_hc_idle];
				break;
			}
	close(h->fd);
	hc_connect(i);
}

static void
hc_flush(int i)
{
	hc		   *h = &hcs[i];

	while (h->out_off < h->out_len)
	{
		ssize_t		n = send(h->fd, h->out + h->out_off, h->out_len - h->out_off, MSG_NOSIGNAL);

		if (n < 0)
		{
			if (errno == EAGAIN)
				break;
			hc_reconnect(i);
			return;
		}
		h->out_off += (size_t) n;
	}
	if ((h->out_off < h->out_len) != h->want_out)
	{
		h->want_out = h->out_off < h->out_len;
		ep_mod(h->fd, TAG(TAG_HTTP, i), EPOLLIN | (h->want_out ? EPOLLOUT : 0));
	}
}

static void
hc_post(int i, bool taker)
{
	hc		   *h = &hcs[i];
	char		body[512];
	int			bl;

	bl = snprintf(body, sizeof(body),
				  taker ? "{\"symbol\":\"%s\",\"side\":\"Buy\",\"order_type\":\"Limit\",\"price\":\"%s\",\"quantity\":\"%s\",\"time_in_force\":\"IOC\"}"
				  : "{\"symbol\":\"%s\",\"side\":\"Sell\",\"order_type\":\"Limit\",\"price\":\"%s\",\"quantity\":\"%s\"}",
				  o_symbol, o_price, o_qty);
	h->out_len = bn_http_request(h->out, sizeof(h->out), o_host, o_rest_port, "POST", "/v1/order",
								 body, (size_t) bl, taker ? &key_a : &key_b);
	if (h->out_len == 0)
		bn_die("request does not fit");
	h->out_off = 0;
	h->in_len = 0;
	h->phase = taker ? 2 : 1;
	h->t_send = bn_now_ns();
	hc_flush(i);
}

/* Start a pair on an idle connection; false if none is idle. */
static bool
pair_start(bool measured)
{
	int			i;

	if (n_hc_idle == 0)
		return false;
	i = hc_idle[--n_hc_idle];
	hcs[i].measured = measured;
	pairs_started++;
	hc_post(i, false);
	return true;
}

static void
http_io(int i, uint32_t events)
{
	hc		   *h = &hcs[i];
	ssize_t		r,
				used;
	int			status;
	const char *b;
	size_t		bl;
	bool		cl;

	if ((events & EPOLLOUT) && h->out_off < h->out_len)
		hc_flush(i);
	if (!(events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		return;
	r = recv(h->fd, h->in + h->in_len, sizeof(h->in) - h->in_len, 0);
	if (r < 0 && errno == EAGAIN)
		return;
	if (r <= 0)
	{
		hc_reconnect(i);
		return;
	}
	h->in_len += (size_t) r;
	used = bn_http_response(h->in, h->in_len, &status, &b, &bl, &cl);
	if (used < 0 || (used == 0 && h->in_len == sizeof(h->in)))
		bn_die("malformed HTTP answer: %.200s", h->in);
	if (used == 0)
		return;
	if (h->phase == 0)
		bn_die("an HTTP answer nobody asked for: %.200s", h->in);
	http_codes[status >= 100 && status < 600 ? status : 0]++;
	if (status != 200 && http_codes[status >= 100 && status < 600 ? status : 0] <= 3)
		fprintf(stderr, "# HTTP %d (%s): %.*s\n", status, h->phase == 1 ? "maker" : "taker", (int) bl, b);
	if (h->phase == 1)
	{
		if (status == 200 && !cl)
		{
			hc_post(i, true);
			return;
		}
		if (status != 200)
			maker_errors++;
	}
	else
	{
		int64_t		t = bn_now_ns();

		if (status == 200)
		{
			int64_t		oid = bn_json_int(b, bl, "order_id");

			pairs_done++;
			if (memmem(b, bl, "Expired", 7))
				taker_expired++;
			if (h->measured)
				bn_samples_add(&post_lat, t - h->t_send);
			if (oid > 0 && on_taker)
				on_taker(oid, h->t_send, h->measured);
		}
		else
			taker_errors++;
	}
	h->phase = 0;
	h->in_len = 0;
	if (cl)
	{
		close(h->fd);
		hc_connect(i);
	}
	else
		hc_idle[n_hc_idle++] = i;
}

/*
 * Run pairs at pairs_per_s for secs (+ warmup: not measured) and then wait up to drain_s for the
 * pairs in flight. Requests due while no connection is idle are sent as soon as one is (late).
 * tick() runs once per loop iteration (pings in rtt).
 */
static int64_t pairs_late;

static void
drive_pairs(double pairs_per_s, int secs, int warmup, double drain_s, void (*tick) (int64_t now))
{
	int64_t		start = bn_now_ns() + 10000000;
	int64_t		measure_from = start + (int64_t) warmup * 1000000000;
	int64_t		end = measure_from + (int64_t) secs * 1000000000;
	int64_t		k = 0;
	int64_t		drain_until;

	for (;;)
	{
		int64_t		now = bn_now_ns();
		int64_t		due = start + (int64_t) ((double) k * 1e9 / pairs_per_s);

		while (due <= now && due < end && n_hc_idle > 0)
		{
			if (now - due > 1000000)
				pairs_late++;
			pair_start(due >= measure_from);
			k++;
			due = start + (int64_t) ((double) k * 1e9 / pairs_per_s);
		}
		if (tick)
			tick(now);
		if (due >= end)
			break;
		loop_once(n_hc_idle > 0 ? due : 0, 10);
	}
	drain_until = bn_now_ns() + (int64_t) (drain_s * 1e9);
	while (bn_now_ns() < drain_until)
	{
		if (tick)
			tick(bn_now_ns());
		if (n_hc_idle == n_hcs && !tick)
			break;
		loop_once(0, 10);
	}
}

/* ---- rtt ------------------------------------------------------------------------------------------ */

typedef struct rtt_entry
{
	int64_t		order_id;		/* 0 = free */
	int64_t		t_send;
	int64_t		t_exec;
	uint8_t		measured;
	uint8_t		counted;
} rtt_entry;

static rtt_entry *rtt_tab;
static size_t rtt_mask;
static bn_samples rtt_lat,
			ping_lat,
			ping_loaded_lat;
static int64_t execs_seen,
			execs_unknown;

/* a FIFO of ping send times (pongs come back in order on one connection) */
#define PING_FIFO 65536
static int64_t ping_t[PING_FIFO];
static uint8_t ping_kind[PING_FIFO];	/* 0 baseline, 1 loaded and measured, 2 loaded warm-up */
static uint32_t ping_head,
			ping_tail;

static rtt_entry *
rtt_slot(int64_t oid)
{
	size_t		h = ((uint64_t) oid * 0x9E3779B97F4A7C15ULL) & rtt_mask;

	for (size_t probes = 0; probes <= rtt_mask; probes++, h = (h + 1) & rtt_mask)
		if (rtt_tab[h].order_id == oid || rtt_tab[h].order_id == 0)
		{
			rtt_tab[h].order_id = oid;
			return &rtt_tab[h];
		}
	bn_die("order id table full");
	return NULL;
}

static void
rtt_try(rtt_entry *e)
{
	if (e->t_send && e->t_exec && !e->counted)
	{
		e->counted = 1;
		if (e->measured)
			bn_samples_add(&rtt_lat, e->t_exec - e->t_send);
	}
}

static void
rtt_on_taker(int64_t oid, int64_t t_send, bool measured)
{
	rtt_entry  *e = rtt_slot(oid);

	e->t_send = t_send;
	e->measured = measured;
	rtt_try(e);
}

static void
rtt_on_text(int i, const char *p, size_t len)
{
	int64_t		now = bn_now_ns();

	(void) i;
	if (len > 20 && memcmp(p, "{\"type\":\"Execution\"", 19) == 0)
	{
		int64_t		oid = bn_json_int(p, len, "order_id");
		rtt_entry  *e;

		execs_seen++;
		if (oid <= 0)
		{
			execs_unknown++;
			return;
		}
		e = rtt_slot(oid);
		if (!e->t_exec)
			e->t_exec = now;
		rtt_try(e);
	}
	else if (len > 14 && memcmp(p, "{\"type\":\"pong\"", 14) == 0)
	{
		if (ping_head == ping_tail)
			return;				/* a pong we did not ask for */
		{
			uint32_t	s = ping_tail++ % PING_FIFO;

			if (ping_kind[s] == 0)
				bn_samples_add(&ping_lat, now - ping_t[s]);
			else if (ping_kind[s] == 1)
				bn_samples_add(&ping_loaded_lat, now - ping_t[s]);
		}
	}
}

static void
ping_send(int kind)
{
	uint32_t	s;

	if (ping_head - ping_tail >= PING_FIFO || wss[0].state != WS_OPEN)
		return;
	s = ping_head++ % PING_FIFO;
	ping_t[s] = bn_now_ns();
	ping_kind[s] = (uint8_t) kind;
	ws_send_text(0, "{\"op\":\"ping\"}");
}

static int64_t loaded_ping_next,
			loaded_measure_from;

static void
rtt_tick(int64_t now)
{
	if (now >= loaded_ping_next)
	{
		ping_send(now >= loaded_measure_from ? 1 : 2);
		loaded_ping_next = now + 10000000;
	}
}

static void
need_keys(void)
{
	if (!key_a.key || !key_a.secret || !key_b.key || !key_b.secret)
		bn_die("this mode needs --key-a/--secret-a and --key-b/--secret-b (two accounts: one account cannot trade with itself)");
	if (!o_price || !o_qty)
		bn_die("this mode needs --price and --qty");
	if (bn_wait_key(o_host, o_rest_port, &key_a, 5000) == 401 ||
		bn_wait_key(o_host, o_rest_port, &key_b, 5000) == 401)
		bn_die("the server refuses the API keys");
}

static int
mode_rtt(void)
{
	size_t		tab = 1;
	int64_t		expected = (int64_t) o_rate / 2 * (o_secs + o_warmup) * 2 + 1024;
	int64_t		lost = 0,
				measured_takers = 0;

	need_keys();
	while (tab < (size_t) expected * 2)
		tab <<= 1;
	rtt_tab = calloc(tab, sizeof(*rtt_tab));
	if (!rtt_tab)
		bn_die("out of memory");
	rtt_mask = tab - 1;

	ws_alloc(1);
	ws_in_initial = 65536;
	on_ws_text = rtt_on_text;
	on_taker = rtt_on_taker;
	ws_open_range(0, 1, true, 10);
	if (wss[0].state != WS_OPEN)
		bn_die("the WebSocket did not open and authenticate (connect failures %" PRId64
			   ", handshake %" PRId64 ", auth %" PRId64 ")", fail_connect, fail_handshake, fail_auth);

	/* baseline: ping -> pong at o_ping_rate for o_ping_secs */
	{
		int64_t		interval = 1000000000LL / o_ping_rate;
		int64_t		start = bn_now_ns() + 10000000;
		int64_t		total = (int64_t) o_ping_rate * o_ping_secs;
		int64_t		k = 0;
		int64_t		until;

		while (k < total && wss[0].state == WS_OPEN)
		{
			int64_t		now = bn_now_ns();

			while (k < total && start + k * interval <= now)
			{
				ping_send(0);
				k++;
			}
			loop_once(k < total ? start + k * interval : 0, 10);
		}
		until = bn_now_ns() + 2000000000;
		while (ping_head != ping_tail && bn_now_ns() < until)
			loop_once(0, 10);
	}

	/* order -> Execution round trips */
	hc_alloc(o_http);
	loaded_ping_next = bn_now_ns();
	loaded_measure_from = bn_now_ns() + 10000000 + (int64_t) o_warmup * 1000000000;
	drive_pairs(o_rate / 2.0, o_secs, o_warmup, 3.0, rtt_tick);
	for (size_t k = 0; k <= rtt_mask; k++)
		if (rtt_tab[k].order_id && rtt_tab[k].t_send && rtt_tab[k].measured)
		{
			measured_takers++;
			if (!rtt_tab[k].t_exec)
				lost++;
		}
	bn_samples_sort(&rtt_lat);
	bn_samples_sort(&ping_lat);
	bn_samples_sort(&ping_loaded_lat);
	bn_samples_sort(&post_lat);
	printf("ws_rtt rate=%d secs=%d http_conns=%d pairs=%" PRId64 " measured=%" PRId64 " samples=%zu lost=%" PRId64
		   " rtt_p50_ms=%.3f rtt_p90_ms=%.3f rtt_p99_ms=%.3f rtt_p999_ms=%.3f rtt_max_ms=%.3f"
		   " ping_p50_ms=%.3f ping_p99_ms=%.3f ping_samples=%zu ping_idle_p50_ms=%.3f ping_idle_p99_ms=%.3f"
		   " taker_post_p50_ms=%.3f taker_post_p99_ms=%.3f achieved_orders_per_s=%.0f late_pairs=%" PRId64
		   " maker_errors=%" PRId64 " taker_errors=%" PRId64 " taker_expired=%" PRId64 " http_broken=%" PRId64
		   " ws_closed=%" PRId64 "\n",
		   o_rate, o_secs, o_http, pairs_done, measured_takers, rtt_lat.n, lost,
		   bn_pct_ms(&rtt_lat, 50), bn_pct_ms(&rtt_lat, 90), bn_pct_ms(&rtt_lat, 99),
		   bn_pct_ms(&rtt_lat, 99.9), bn_pct_ms(&rtt_lat, 100),
		   bn_pct_ms(&ping_loaded_lat, 50), bn_pct_ms(&ping_loaded_lat, 99), ping_loaded_lat.n,
		   bn_pct_ms(&ping_lat, 50), bn_pct_ms(&ping_lat, 99),
		   bn_pct_ms(&post_lat, 50), bn_pct_ms(&post_lat, 99),
		   2.0 * (double) measured_takers / o_secs, pairs_late, maker_errors, taker_errors,
		   taker_expired, http_broken, closed_by_server);
	ws_close_all();
	return 0;
}

/* ---- conns ------------------------------------------------------------------------------------ */

static int64_t pongs;
static bool go_received;
static int go_fd = -1;

static void
conns_on_text(int i, const char *p, size_t len)
{
	(void) i;
	if (len > 14 && memcmp(p, "{\"type\":\"pong\"", 14) == 0)
		pongs++;
}

static void
conns_on_go(void)
{
	char		c;

	if (read(go_fd, &c, 1) >= 0)
		go_received = true;
}

/* One process's share: open n, report "opened", wait for the go byte, hold, ping, report. */
static void
conns_child(int n, int report_fd)
{
	char		line[256];
	int64_t		t0 = bn_now_ns(),
				t_open,
				deadline;
	int			len;
	int64_t		opened;

	ws_alloc(n);
	on_ws_text = conns_on_text;
	on_go = conns_on_go;
	ws_open_range(0, n, false, 120);
	t_open = bn_now_ns();
	opened = n_open;
	len = snprintf(line, sizeof(line), "opened %" PRId64 " %.3f\n", opened, (double) (t_open - t0) / 1e9);
	if (write(report_fd, line, (size_t) len) < 0)
		bn_die("report pipe: %s", strerror(errno));
	if (go_fd >= 0)
	{
		ep_add(go_fd, TAG(TAG_GO, 0), EPOLLIN);
		while (!go_received)
			loop_once(0, 100);
	}
	/* everybody is open: hold, then one ping on every open connection */
	deadline = bn_now_ns() + (int64_t) o_hold * 1000000000;
	while (bn_now_ns() < deadline)
		loop_once(0, 100);
	{
		int64_t		sent = 0;

		for (int i = 0; i < n_wss; i++)
			if (wss[i].state == WS_OPEN)
			{
				ws_send_text(i, "{\"op\":\"ping\"}");
				sent++;
			}
		deadline = bn_now_ns() + 15000000000LL;
		while (pongs < sent && bn_now_ns() < deadline)
			loop_once(0, 100);
	}
	len = snprintf(line, sizeof(line),
				   "held %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %d %d\n", pongs,
				   fail_connect, fail_handshake, closed_by_server, closed_1008, fd_exhausted ? 1 : 0,
				   gave_up ? 1 : 0);
	if (write(report_fd, line, (size_t) len) < 0)
		bn_die("report pipe: %s", strerror(errno));
	ws_close_all();
}

static int
mode_conns(void)
{
	int			procs = o_procs < 1 ? 1 : o_procs;
	int			rep[2];
	int		   *go = calloc((size_t) procs, sizeof(int));
	pid_t	   *pids = calloc((size_t) procs, sizeof(pid_t));
	FILE	   *in;
	char		line[256];
	int64_t		opened = 0,
				held = 0,
				f_conn = 0,
				f_hs = 0,
				closed = 0,
				c1008 = 0;
	int			exhausted = 0,
				stopped = 0;
	double		open_secs = 0;
	struct rlimit rl;

	if (!go || !pids || pipe(rep) < 0)
		bn_die("pipe: %s", strerror(errno));
	getrlimit(RLIMIT_NOFILE, &rl);
	fflush(stdout);
	for (int p = 0; p < procs; p++)
	{
		int			g[2];
		int			share = o_n / procs + (p < o_n % procs ? 1 : 0);

		if (pipe(g) < 0)
			bn_die("pipe: %s", strerror(errno));
		pids[p] = fork();
		if (pids[p] < 0)
			bn_die("fork: %s", strerror(errno));
		if (pids[p] == 0)
		{
			close(rep[0]);
			close(g[1]);
			go_fd = g[0];
			rng ^= (uint64_t) (p + 1) * 0x9E3779B97F4A7C15ULL;
			ep = epoll_create1(EPOLL_CLOEXEC);
			tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
			if (ep < 0 || tfd < 0)
				bn_die("epoll/timerfd: %s", strerror(errno));
			ep_add(tfd, TAG(TAG_TIMER, 0), EPOLLIN);
			conns_child(share, rep[1]);
			_exit(0);
		}
		close(g[0]);
		go[p] = g[1];
	}
	close(rep[1]);
	in = fdopen(rep[0], "r");
	if (!in)
		bn_die("fdopen: %s", strerror(errno));
	/* barrier: every process has opened what it could */
	for (int got = 0; got < procs && fgets(line, sizeof(line), in);)
	{
		long long	n;
		double		s;

		if (sscanf(line, "opened %lld %lf", &n, &s) == 2)
		{
			opened += n;
			if (s > open_secs)
				open_secs = s;
			got++;
		}
	}
	fprintf(stderr, "# %" PRId64 " WebSockets open after %.1f s; holding %d s\n", opened, open_secs, o_hold);
	for (int p = 0; p < procs; p++)
	{
		if (write(go[p], "g", 1) < 0)
			bn_die("go pipe: %s", strerror(errno));
	}
	while (fgets(line, sizeof(line), in))
	{
		long long	a,
					b,
					c,
					d,
					e;
		int			x,
					y;

		if (sscanf(line, "held %lld %lld %lld %lld %lld %d %d", &a, &b, &c, &d, &e, &x, &y) == 7)
		{
			stopped |= y;
			held += a;
			f_conn += b;
			f_hs += c;
			closed += d;
			c1008 += e;
			exhausted |= x;
		}
	}
	for (int p = 0; p < procs; p++)
		waitpid(pids[p], NULL, 0);
	printf("ws_conns target=%d procs=%d opened=%" PRId64 " held=%" PRId64 " failed_connect=%" PRId64
		   " failed_handshake=%" PRId64 " closed_by_server=%" PRId64 " closed_1008=%" PRId64
		   " client_fd_exhausted=%d stopped_early=%d client_rlimit_nofile=%llu open_secs=%.1f\n",
		   o_n, procs, opened, held, f_conn, f_hs, closed, c1008, exhausted, stopped,
		   (unsigned long long) rl.rlim_cur, open_secs);
	return 0;
}

/* ---- fanout ------------------------------------------------------------------------------------ */

static int64_t fan_msgs;
static int64_t fan_last_ns;		/* when the last counted Execution arrived */
static bool fan_counting;

static void
fan_on_text(int i, const char *p, size_t len)
{
	(void) i;
	if (fan_counting && len > 20 && memcmp(p, "{\"type\":\"Execution\"", 19) == 0)
	{
		fan_msgs++;
		fan_last_ns = bn_now_ns();
	}
}

static double
cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double) ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		(double) ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static int
mode_fanout(void)
{
	const char *rates[16];
	int			n_rates;
	double		best = 0;
	int			best_rate = 0;
	int64_t		c1008_total = 0,
				min_open = o_n;

	need_keys();
	n_rates = bn_parse_list(o_pair_rates, rates, 16, "--pair-rates");
	ws_alloc(o_n);
	ws_in_initial = 65536;
	on_ws_text = fan_on_text;
	hc_alloc(o_http);
	for (int s = 0; s < n_rates; s++)
	{
		int			r = atoi(rates[s]);
		int64_t		c0,
					d0,
					p0,
					open_at_start,
					t0,
					t_drive,
					expected;
		double		cpu0,
					span,
					mps;

		if (r < 1)
			continue;
		/* (re)open and authenticate whatever is closed */
		ws_open_range(0, o_n, true, 60);
		open_at_start = n_open;
		if (open_at_start < min_open)
			min_open = open_at_start;
		c0 = closed_1008;
		d0 = closed_by_server;
		p0 = pairs_done;
		fan_msgs = 0;
		fan_last_ns = 0;
		fan_counting = true;
		cpu0 = cpu_s();
		t0 = bn_now_ns();
		drive_pairs(r, o_secs, 0, 0.0, NULL);
		t_drive = bn_now_ns();

		/*
		 * Every message of this step is counted, also those that arrive after the orders stopped
		 * (a server behind its offered load drains its backlog then): until every pair is
		 * answered and no Execution came for 1 s (at most 60 s). The rate is over the time from
		 * the first order to the last message, so nothing carries over into the next step.
		 */
		for (;;)
		{
			int64_t		now = bn_now_ns();
			int64_t		quiet_since = fan_last_ns > t_drive ? fan_last_ns : t_drive;

			if ((n_hc_idle == n_hcs && now - quiet_since > 1000000000) || now - t_drive > 60000000000LL)
				break;
			loop_once(0, 50);
		}
		fan_counting = false;
		span = fan_last_ns > t0 ? (double) (fan_last_ns - t0) / 1e9 : 0;
		mps = span > 0 ? (double) fan_msgs / span : 0;
		expected = (pairs_done - p0) * open_at_start;
		fprintf(stderr, "# fanout step: pairs_per_s=%d conns=%" PRId64 " offered_msgs_per_s=%.0f msgs_per_s=%.0f"
				" msgs=%" PRId64 " expected=%" PRId64 " drain_after_orders_s=%.2f pairs_done=%" PRId64
				" achieved_pairs_per_s=%.0f"
				" closed_1008=%" PRId64 " closed_other=%" PRId64 " client_cpu=%.2f\n",
				r, open_at_start, (double) r * (double) open_at_start, mps, fan_msgs, expected,
				fan_last_ns > t_drive ? (double) (fan_last_ns - t_drive) / 1e9 : 0.0, pairs_done - p0,
				span > 0 ? (double) (pairs_done - p0) / span : 0.0,
				closed_1008 - c0, (closed_by_server - d0) - (closed_1008 - c0),
				span > 0 ? (cpu_s() - cpu0) / span : 0.0);
		c1008_total += closed_1008 - c0;
		if (mps > best)
		{
			best = mps;
			best_rate = r;
		}
	}
	printf("ws_fanout conns=%d min_open=%" PRId64 " msgs_per_s=%.0f best_pairs_per_s=%d closed_1008=%" PRId64
		   " failed_connect=%" PRId64 " failed_handshake=%" PRId64 " failed_auth=%" PRId64
		   " maker_errors=%" PRId64 " taker_errors=%" PRId64 " taker_expired=%" PRId64 "\n",
		   o_n, min_open, best, best_rate, c1008_total, fail_connect, fail_handshake, fail_auth,
		   maker_errors, taker_errors, taker_expired);
	ws_close_all();
	return 0;
}

/* ---- main ------------------------------------------------------------------------------------- */

int
main(int argc, char **argv)
{
	const char *mode;

	if (argc < 2)
		bn_die("usage: ws_bench rtt|conns|fanout [options] (see the comment at the top of ws_bench.c)");
	mode = argv[1];
	for (int i = 2; i < argc; i++)
	{
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			bn_die("%s needs a value", a);
		i++;
		if (strcmp(a, "--host") == 0)
			o_host = v;
		else if (strcmp(a, "--ws-port") == 0)
			o_ws_port = atoi(v);
		else if (strcmp(a, "--rest-port") == 0)
			o_rest_port = atoi(v);
		else if (strcmp(a, "--key-a") == 0)
			key_a.key = v;
		else if (strcmp(a, "--secret-a") == 0)
			key_a.secret = v;
		else if (strcmp(a, "--key-b") == 0)
			key_b.key = v;
		else if (strcmp(a, "--secret-b") == 0)
			key_b.secret = v;
		else if (strcmp(a, "--symbol") == 0)
			o_symbol = v;
		else if (strcmp(a, "--price") == 0)
			o_price = v;
		else if (strcmp(a, "--qty") == 0)
			o_qty = v;
		else if (strcmp(a, "--rate") == 0)
			o_rate = atoi(v);
		else if (strcmp(a, "--secs") == 0)
			o_secs = atoi(v);
		else if (strcmp(a, "--warmup") == 0)
			o_warmup = atoi(v);
		else if (strcmp(a, "--http") == 0)
			o_http = atoi(v);
		else if (strcmp(a, "--ping-rate") == 0)
			o_ping_rate = atoi(v);
		else if (strcmp(a, "--ping-secs") == 0)
			o_ping_secs = atoi(v);
		else if (strcmp(a, "--n") == 0)
			o_n = atoi(v);
		else if (strcmp(a, "--parallel") == 0)
			o_parallel = atoi(v);
		else if (strcmp(a, "--procs") == 0)
			o_procs = atoi(v);
		else if (strcmp(a, "--hold") == 0)
			o_hold = atoi(v);
		else if (strcmp(a, "--pair-rates") == 0)
			snprintf(o_pair_rates, sizeof(o_pair_rates), "%s", v);
		else
			bn_die("unknown option %s", a);
	}
	if (o_rate < 2 || o_secs < 1 || o_warmup < 0 || o_http < 1 || o_ping_rate < 1 ||
		o_ping_secs < 1 || o_n < 1 || o_parallel < 1 || o_hold < 0)
		bn_die("an option is out of range");
	signal(SIGPIPE, SIG_IGN);
	rng ^= (uint64_t) getpid() << 17;
	if (strcmp(mode, "conns") == 0)
		return mode_conns();
	ep = epoll_create1(EPOLL_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (ep < 0 || tfd < 0)
		bn_die("epoll/timerfd: %s", strerror(errno));
	ep_add(tfd, TAG(TAG_TIMER, 0), EPOLLIN);
	if (strcmp(mode, "rtt") == 0)
		return mode_rtt();
	if (strcmp(mode, "fanout") == 0)
		return mode_fanout();
	bn_die("unknown mode %s (rtt, conns, fanout)", mode);
	return 1;
}
