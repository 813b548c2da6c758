/*
 * test_net_server.c: unit tests of src/net/server.{h,c} (with http_parse and ws_frame).
 *
 * A real server on 127.0.0.1 (ports found free by binding port 0 first) driven by plain client
 * sockets from the same thread: every client wait runs xt_server_run_once in a loop with short
 * time-outs, so server and clients take turns. Covers HTTP (answers, bodies, pipelining with a
 * deferred answer, keep-alive rules, every refusal, time-outs), the WebSocket handshake and
 * framing (fragments, ping/pong, every close code, the slow-consumer drop), the wake fd, ticks,
 * on_close accounting and max_connections; plus the pure parsers directly.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/http_parse.h"
#include "net/server.h"
#include "net/ws_frame.h"
#include "xt_test.h"

/* ---- the callbacks' record -------------------------------------------------------------------- */

#define MAX_REC 64
#define MAX_IDS 256

typedef struct rec_req
{
	uint64_t	id;
	char		method[16];
	char		target[256];
	char		body[1024];
	size_t		body_len;
	int			minor;
	xt_listener listener;
} rec_req;

typedef struct test_ctx
{
	xt_server  *s;
	int			n_req;
	rec_req		req[MAX_REC];
	int			n_open;
	int			n_text;
	char		last_text[70000];
	size_t		last_text_len;
	uint64_t	last_ws_id;
	int			n_wake;
	int			n_tick;
	/* every handed connection and how often on_close ran for it */
	uint64_t	ids[MAX_IDS];
	int			closes[MAX_IDS];
	int			n_ids;
	bool		echo_ws;		/* answer each text message with "echo:" + text */
} test_ctx;

static test_ctx T;

static int
id_index(uint64_t id)
{
	for (int i = 0; i < T.n_ids; i++)
		if (T.ids[i] == id)
			return i;
	if (T.n_ids < MAX_IDS)
	{
		T.ids[T.n_ids] = id;
		T.closes[T.n_ids] = 0;
		return T.n_ids++;
	}
	return -1;
}

static void
copy_text(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Answers at once with "<METHOD> <target> <body>", except targets starting /defer. */
static void
cb_request(void *ctx, xt_conn *c, const xt_http_request *req)
{
	rec_req    *r;
	char		out[1400];
	int			n;

	(void) ctx;
	id_index(xt_conn_id(c));
	if (T.n_req >= MAX_REC)
		return;
	r = &T.req[T.n_req++];
	r->id = xt_conn_id(c);
	copy_text(r->method, sizeof(r->method), req->method, req->method_len);
	copy_text(r->target, sizeof(r->target), req->target, req->target_len);
	copy_text(r->body, sizeof(r->body), req->body, req->body_len);
	r->body_len = req->body_len;
	r->minor = req->version_minor;
	r->listener = xt_conn_listener(c);
	if (strncmp(r->target, "/defer", 6) == 0)
		return;
	n = snprintf(out, sizeof(out), "%s %s %s", r->method, r->target, r->body);
	xt_conn_respond(c, 200, "text/plain", "X-Test: 1\r\n", out, (size_t) n);
}

static void
cb_ws_open(void *ctx, xt_conn *c)
{
	(void) ctx;
	id_index(xt_conn_id(c));
	T.n_open++;
	T.last_ws_id = xt_conn_id(c);
}

static void
cb_ws_text(void *ctx, xt_conn *c, const char *text, size_t len)
{
	(void) ctx;
	T.n_text++;
	copy_text(T.last_text, sizeof(T.last_text), text, len);
	T.last_text_len = len;
	if (T.echo_ws && len < 1000)
	{
		char		out[1100];

		memcpy(out, "echo:", 5);
		memcpy(out + 5, text, len);
		xt_conn_ws_send(c, out, len + 5);
	}
}

static void
cb_close(void *ctx, xt_conn *c)
{
	int			i = id_index(xt_conn_id(c));

	(void) ctx;
	if (i >= 0)
		T.closes[i]++;
}

static void
cb_wake(void *ctx)
{
	(void) ctx;
	T.n_wake++;
}

static void
cb_tick(void *ctx)
{
	(void) ctx;
	T.n_tick++;
}

/* ---- server set-up ---------------------------------------------------------------------------- */

static int	rest_port,
			ws_port;

static int
free_port(void)
{
	struct sockaddr_in a;
	socklen_t	len = sizeof(a);
	int			fd = socket(AF_INET, SOCK_STREAM, 0),
				port = 0;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *) &a, sizeof(a)) == 0 &&
		getsockname(fd, (struct sockaddr *) &a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static void
test_config(xt_server_config *cfg)
{
	xt_server_config_defaults(cfg);
	cfg->tick_ms = 10;
	cfg->max_connections = 64;
	cfg->head_max = 1024;
	cfg->body_max = 4096;
	cfg->ws_message_max = 8192;
	cfg->send_buffer_max = 64 * 1024;
}

/* Fresh record, a server on two free ports; NULL (after a failed check) if it cannot start. */
static xt_server *
start(xt_server_config *cfg)
{
	xt_server_callbacks cb;
	char		err[256];

	memset(&T, 0, sizeof(T));
	memset(&cb, 0, sizeof(cb));
	cb.on_request = cb_request;
	cb.on_ws_open = cb_ws_open;
	cb.on_ws_text = cb_ws_text;
	cb.on_close = cb_close;
	cb.on_wake = cb_wake;
	cb.on_tick = cb_tick;
	for (int attempt = 0; attempt < 10; attempt++)
	{
		rest_port = free_port();
		ws_port = free_port();
		if (rest_port == ws_port)
			continue;
		cfg->rest_port = rest_port;
		cfg->ws_port = ws_port;
		if (xt_server_open(&T.s, cfg, &cb, err, sizeof(err)) == 0)
			return T.s;
	}
	XT_FAIL_AT("cannot start the server: %s", err);
	return NULL;
}

/* Close the server; every handed connection must have seen on_close exactly once. */
static void
stop(void)
{
	xt_server_close(T.s);
	T.s = NULL;
	for (int i = 0; i < T.n_ids; i++)
		if (T.closes[i] != 1)
			XT_FAIL_AT("connection %d: on_close ran %d times", i, T.closes[i]);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
pump(int ms)
{
	int64_t		end = now_ms() + ms;

	do
		xt_server_run_once(T.s, 2);
	while (now_ms() < end);
}

static xt_server_stats
stats(void)
{
	xt_server_stats st;

	xt_server_get_stats(T.s, &st);
	return st;
}

/* ---- a plain client ---------------------------------------------------------------------------- */

typedef struct client
{
	int			fd;
	char	   *buf;
	size_t		len;
	size_t		cap;
	bool		eof;
} client;

static bool
cl_open(client *c, int port)
{
	struct sockaddr_in a;

	memset(c, 0, sizeof(*c));
	c->cap = 1 << 22;
	c->buf = malloc(c->cap);
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t) port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* connect completes from the listen backlog, before the server accepts */
	if (c->buf == NULL || c->fd < 0 || connect(c->fd, (struct sockaddr *) &a, sizeof(a)) != 0)
		return false;
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
	return true;
}

static void
cl_close(client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
}

static void
cl_send(client *c, const void *p, size_t n)
{
	const char *q = p;

	while (n > 0)
	{
		ssize_t		k = send(c->fd, q, n, MSG_NOSIGNAL);

		if (k > 0)
		{
			q += k;
			n -= (size_t) k;
		}
		else if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			xt_server_run_once(T.s, 2);
		else
			return;
	}
}

static void
cl_sends(client *c, const char *s)
{
	cl_send(c, s, strlen(s));
}

/* Take what has arrived (no waiting). */
static void
cl_recv(client *c)
{
	while (!c->eof && c->len < c->cap)
	{
		ssize_t		k = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);

		if (k > 0)
			c->len += (size_t) k;
		else if (k == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			c->eof = true;
		else
			break;
	}
}

static void
cl_consume(client *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

typedef struct response
{
	int			status;
	char		head[2048];
	char		body[8192];
	size_t		body_len;
} response;

/* One complete response at the start of c->buf: parse and consume it. */
static bool
take_response(client *c, response *r)
{
	char	   *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
	size_t		head_len,
				body_len = 0;
	const char *cl;

	if (end == NULL)
		return false;
	head_len = (size_t) (end - c->buf) + 4;
	copy_text(r->head, sizeof(r->head), c->buf, head_len);
	cl = strstr(r->head, "Content-Length: ");
	if (cl)
		body_len = strtoul(cl + 16, NULL, 10);
	if (strstr(r->head, "HTTP/1.1 101") == r->head)
		body_len = 0;
	if (c->len < head_len + body_len)
		return false;
	r->status = atoi(r->head + 9);
	copy_text(r->body, sizeof(r->body), c->buf + head_len, body_len);
	r->body_len = body_len;
	cl_consume(c, head_len + body_len);
	return true;
}

static bool
cl_response(client *c, response *r, int ms)
{
	int64_t		end = now_ms() + ms;

	memset(r, 0, sizeof(*r));
	for (;;)
	{
		cl_recv(c);
		if (take_response(c, r))
			return true;
		if (c->eof || now_ms() > end)
			return false;
		xt_server_run_once(T.s, 2);
	}
}

/* Wait for EOF (the server closed); what arrived stays in the buffer. */
static bool
cl_eof(client *c, int ms)
{
	int64_t		end = now_ms() + ms;

	for (;;)
	{
		cl_recv(c);
		if (c->eof)
			return true;
		if (now_ms() > end)
			return false;
		xt_server_run_once(T.s, 2);
	}
}

/* ---- WebSocket client side ------------------------------------------------------------------- */

static const uint8_t MASK[4] = {0x37, 0xfa, 0x21, 0x3d};

static size_t
ws_frame(uint8_t *out, bool fin, uint8_t op, const void *payload, size_t n, bool masked)
{
	size_t		h = 0;

	out[h++] = (uint8_t) ((fin ? 0x80 : 0) | op);
	if (n < 126)
		out[h++] = (uint8_t) ((masked ? 0x80 : 0) | n);
	else if (n <= 0xFFFF)
	{
		out[h++] = (uint8_t) ((masked ? 0x80 : 0) | 126);
		out[h++] = (uint8_t) (n >> 8);
		out[h++] = (uint8_t) n;
	}
	else
	{
		out[h++] = (uint8_t) ((masked ? 0x80 : 0) | 127);
		for (int i = 7; i >= 0; i--)
			out[h++] = (uint8_t) ((uint64_t) n >> (8 * i));
	}
	if (masked)
	{
		memcpy(out + h, MASK, 4);
		h += 4;
	}
	memcpy(out + h, payload, n);
	if (masked)
		for (size_t i = 0; i < n; i++)
			out[h + i] ^= MASK[i & 3];
	return h + n;
}

static void
ws_send_frame(client *c, bool fin, uint8_t op, const void *payload, size_t n, bool masked)
{
	uint8_t    *f = malloc(n + 14);

	cl_send(c, f, ws_frame(f, fin, op, payload, n, masked));
	free(f);
}

static void
ws_text(client *c, const char *s)
{
	ws_send_frame(c, true, XT_WSF_TEXT, s, strlen(s), true);
}

typedef struct sframe
{
	int			op;
	bool		fin;
	size_t		len;
	uint8_t		payload[70000];
} sframe;

static sframe F;

/* One server frame at the start of c->buf (never masked): parse and consume it. */
static bool
take_frame(client *c, sframe *f)
{
	const uint8_t *p = (const uint8_t *) c->buf;
	size_t		h = 2,
				n;

	if (c->len < 2)
		return false;
	n = p[1] & 0x7F;
	if (n == 126)
	{
		if (c->len < 4)
			return false;
		n = (size_t) p[2] << 8 | p[3];
		h = 4;
	}
	else if (n == 127)
	{
		if (c->len < 10)
			return false;
		n = 0;
		for (int i = 0; i < 8; i++)
			n = n << 8 | p[2 + i];
		h = 10;
	}
	if (c->len < h + n || n > sizeof(f->payload))
		return false;
	f->op = p[0] & 0x0F;
	f->fin = (p[0] & 0x80) != 0;
	f->len = n;
	memcpy(f->payload, p + h, n);
	cl_consume(c, h + n);
	return true;
}

static bool
cl_frame(client *c, sframe *f, int ms)
{
	int64_t		end = now_ms() + ms;

	for (;;)
	{
		cl_recv(c);
		if (take_frame(c, f))
			return true;
		if (c->eof || now_ms() > end)
			return false;
		xt_server_run_once(T.s, 2);
	}
}

static int
close_code(const sframe *f)
{
	return f->op == XT_WSF_CLOSE && f->len >= 2 ? f->payload[0] << 8 | f->payload[1] : -1;
}

static const char *UPGRADE =
"GET /v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

/* Connect to the WS port and complete the handshake. */
static bool
ws_connect(client *c)
{
	response	r;

	if (!cl_open(c, ws_port))
		return false;
	cl_sends(c, UPGRADE);
	return cl_response(c, &r, 1000) && r.status == 101;
}

/* A protocol error closes with code: the close frame, then EOF. */
static void
expect_ws_close(client *c, int code)
{
	XT_CHECK(cl_frame(c, &F, 1000));
	XT_CHECK_EQ(close_code(&F), code);
	XT_CHECK(cl_eof(c, 1000));
}

/* ---- HTTP ----------------------------------------------------------------------------------- */

XT_TEST(http_get_answered_at_once)
{
	xt_server_config cfg;
	client		c;
	response	r;

	test_config(&cfg);
	XT_REQUIRE(start(&cfg));
	XT_REQUIRE(cl_open(&c, rest_port));
	cl_sends(&c, "GET /v1/symbols?x=1 HTTP/1.1\r\nHost: a\r\n\r\n");
	XT_REQUIRE(cl_response(&c, &r, 1000));
	XT_CHECK_EQ(r.status, 200);
	XT_CHECK(strstr(r.head, "HTTP/1.1 200 OK\r\n") == r.head);
	XT_CHECK(strstr(r.head, "Content-Type: text/plain\r\n"));
	XT_CHECK(strstr(r.head, "Connection: keep-alive\r\n"));
	XT_CHECK(strstr(r.head, "\r\nX-Test: 1\r\n\r\n"));
	XT_CHECK_STR(r.body, "GET /v1/symbols?x=1 ");
	XT_CHECK_EQ(T.n_req, 1);
	XT_CHECK_STR(T.req[0].target, "/v1/symbols?x=1");
	XT_CHECK_EQ(T.req[0].minor, 1);
	XT_CHECK_EQ(T.req[0].listener, XT_LISTENER_REST);
	XT_CHECK_U64(stats().requests_total, 1);
	XT_CHECK_U64(stats().connections_open, 1);
	/* the connection stays open */
	cl_sends(&c, "GET /again HTTP/1.1\r\n\r\n");
	XT_REQUIRE(cl_response(&c, &r, 1000));
	XT_CHECK_STR(r.body, "GET /again ");
	XT_CHECK(stats().bytes_out > 0);
	cl_close(&c);
	pump(30);
	XT_CHECK_U64(stats().connections_open, 0);
	stop();
}

XT_TEST(http_post_with_body)
{
	xt_server_config cfg;
	client		c;
	response	r;

	test_config(&cfg);
	XT_REQUIRE(start(&cfg));
	XT_REQUIRE(cl_open(&c, rest_port));
	cl_sends(&c, "POST /v1/order HTTP/1.1\r\nContent-Length: 13\r\ncontent-type: application/json"
			 "\r\n\r\n{\"a\":\"hello\"}");
	XT_REQUIRE(cl_response(&c, &r, 1000));
	XT_CHECK_EQ(r.status, 200);
	XT_CHECK_STR(r.body, "POST /v1/order {\"a\":\"hello\"}");
	XT_CHECK_EQ(T.req[0].body_len, 13);
	/* the same Content-Length twice is fine; the body arrives later than the head */
	cl_sends(&c, "POST /b HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n");
	pump(20);
	XT_CHECK_EQ(T.n_req, 1);
	cl_sends(&c, "xyz");
	XT_REQUIRE(cl_response(&c, &r, 1000));
	XT_CHECK_STR(r.body, "POST /b xyz");
	cl_close(&c);
	stop();
}

XT_TEST(http_pipelined_in_order_with_deferred_answer)
{
	xt_server_config cfg;
	client		c;
	response	r;
	xt_conn    *conn;

	test_config(&cfg);
	XT_REQUIRE(start(&cfg));
	XT_REQUIRE(cl_open(&c, rest_port));
	cl_sends(&c, "GET /defer/1 HTTP/1.1\r\n\r\nPOST /two HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi"
			 "GET /three HTTP/1.1\r\n\r\n");
	pump(50);
	/* the later requests wait, unparsed, for the first answer */
	XT_CHECK_EQ(T.n_req, 1);
	cl_recv(&c);
	XT_CHECK_EQ(c.len, 0);
	conn = xt_server_find(T.s, T.req[0].id);
	XT_REQUIRE(conn != NULL);
	XT_CHECK(!xt_conn_is_ws(conn));
	xt_conn_respond(conn, 202, "application/json", NULL, "{\"late\":true}", 13);
	xt_conn_respond(conn, 500, NULL, NULL, "twice", 5);	/* nothing waits: a no-op */
	XT_REQUIRE(cl_response(&c, &r, 1000));
	XT_CHECK_EQ(r.status, 202);
	XT_CHECK_STR(r.body, "{\"late\":true}");
	XT_REQUIRE(cl_response(&c, &r, 1000));
	XT_CHECK_STR(r.body, "POST /two hi");
	XT_REQUIRE(cl_response(&c, &r, 1000));
	XT_CHECK_STR(r.body, "GET /three ");
	XT_CHECK_EQ(T.n_req, 3);
	XT_CHECK_U64(T.req[1].id, T.req[0].id);
	cl_close(&c);
	pump(30);
	/* the client went away: its id is dead */
	XT_CHECK(xt_server_find(T.s, T.req[0].id) == NULL);
	stop();
}

XT_TEST(http_deferred_answer_after_client_left)
{
	xt_server_config cfg;
	client		c;

	test_config(&cfg);
	XT_REQUIRE(start(&cfg));
	XT_REQUIRE(cl_open(&c, rest_port));
	cl_sends(&c, "GET /defer HTTP/1.1\r\n\r\n");
	pump(30);
	XT_REQUIRE(T.n_req == 1);
	cl_close(&c);
	pump(30);
	XT_CHECK(xt_server_find(T.s, T.req[0].id) == NULL);
	XT_CHECK_EQ(T.closes[0], 1);
	stop();
}

XT_TEST(http_keep_alive_rules)
{
	xt_server_config cfg;
	client		c;
	response	r;

	test_config(&cfg);
	XT_REQUIRE(start(&cfg));
	/* Connection: close */
	XT_REQUIRE(cl_open(&c, rest_port));
	cl_sends(&c, "GET /a HTTP/1.1\r\nConnection: close\r\n\r\nGET /ignored HTTP/1.1\r\n\r\n");
	XT_REQUIRE(cl_response(&c, &r, 1000));
	XT_CHECK(strstr(r.head, "Connection: close\r\n"));
	XT_CHECK(cl_eof(&c, 1000));
	XT_CHECK_EQ(c.len, 0);
	XT_CHECK_EQ(T.n_req, 1);
	cl_close(&c);
	/* HTTP/1.0: close unless keep-alive */
	XT_REQUIRE(cl_open(&c, rest_port));
	cl_sends(&c, "GET /b HTTP/1.0\r\n\r\n");
	XT_REQUIRE(cl_response(&c, &r, 1000));
	XT_CHECK(strstr(r.head, "HTTP/1.1 200 OK\r\n") == r.head);
	XT_CHECK(strstr(r.head, "Connection: close\r\n"));
	XT_CHECK(cl_eof(&c, 1000));
	XT_CHECK_EQ(T.req[1].minor, 0);
	cl_close(&c);
	XT_REQUIRE(cl_open(&c, rest_port));
	cl_sends(&c, "GET /c HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
	XT_REQUIRE(cl_response(&c, &r, 1000));
	XT_CHECK(strstr(r.head, "Connection: keep-alive\r\n"));
	cl_sends(&c, "GET /d HTTP/1.0\r\n\r\n");
	XT_REQUIRE(cl_response(&c, &r, 1000));
	XT_CHECK_STR(r.body, "GET /d ");
	XT_CHECK(cl_eof(&c, 1000));
	cl_close(&c);
	/* a client that half-closes after its request still gets the answer */
	XT_REQUIRE(cl_open(&c, rest_port));
	cl_sends(&c, "GET /e HTTP/1.1\r\n\r\n");
	shutdown(c.fd, SHUT_WR);
	XT_REQUIRE(cl_response(&c, &r, 1000));
	XT_CHECK_STR(r.body, "GET /e ");
	XT_CHECK(cl_eof(&c, 1000));
	cl_close(&c);
	/* HEAD: the length of a body that is not sent */
	XT_REQUIRE(cl_open(&c, rest_port));
	cl_sends(&c, "HEAD /f HTTP/1.1\r\n\r\nGET /g HTTP/1.1\r\n\r\n");
	pump(50);
	cl_recv(&c);
	{
		const char *second = memmem(c.buf, c.len, "HTTP/1.1 200 OK", 15);

		XT_REQUIRE(second == c.buf);
		second = memmem(c.buf + 1, c.len - 1, "HTTP/1.1 200 OK", 15);
		XT_REQUIRE(second != NULL);
		XT_CHECK(memcmp(second - 4, "\r\n\r\n", 4) == 0);	/* nothing between the heads */
		XT_CHECK(memmem(c.buf, c.len, "Content-Length: 8\r\n", 19) != NULL);
	}
	cl_close(&c);
	stop();
}

/* Send raw bytes on a fresh connection; expect status with error code, then EOF. */
static void
expect_refusal(const char *raw, size_t n, int status, const char *code)
{
	client		c;
	response	r;
	char		want[64];

	if (!cl_open(&c, rest_port))
	{
		XT_FAIL_AT("cannot connect");
		return;
	}
	cl_send(&c, raw, n);
	if (!cl_response(&c, &r, 1000))
		XT_FAIL_AT("no answer to %.40s", raw);
	else
	{
		if (r.status != status)
			XT_FAIL_AT("%.40s: status %d, want %d", raw, r.status, status);
		snprintf(want, sizeof(want), "{\"error\":\"%s\",\"message\":\"", code);
		if (strncmp(r.body, want, strlen(want)) != 0)
			XT_FAIL_AT("%.40s: body %s", raw, r.body);
		XT_CHECK(strstr(r.head, "Connection: close\r\n"));
		XT_CHECK(strstr(r.head, "Content-Type: application/json\r\n"));
	}
	XT_CHECK(cl_eof(&c, 1000));
	cl_close(&c);
}

#define REFUSE(raw, status, code) expect_refusal(raw, sizeof(raw) - 1, status, code)

XT_TEST(http_refusals)
{
	xt_server_config cfg;
	char	   *big;

	test_config(&cfg);
	XT_REQUIRE(start(&cfg));
	REFUSE("GET / HTTP/1.1\r\nContent-Length: 4097\r\n\r\n", 413, "PAYLOAD_TOO_LARGE");
	REFUSE("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413,
		   "PAYLOAD_TOO_LARGE");
	REFUSE("GET /x HTTP/2.0\r\n\r\n", 505, "HTTP_VERSION_NOT_SUPPORTED");
	REFUSE("GET /x HTTP/1.2\r\n\r\n", 505, "HTTP_VERSION_NOT_SUPPORTED");
	REFUSE("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 411,
		   "LENGTH_REQUIRED");
	REFUSE("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, "NOT_IMPLEMENTED");
	REFUSE("POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 411,
		   "LENGTH_REQUIRED");
	REFUSE("GARBAGE\r\n\r\n", 400, "BAD_REQUEST");
	REFUSE("GET  / HTTP/1.1\r\n\r\n", 400, "BAD_REQUEST");
	REFUSE("GET / HTTP/1.1 \r\n\r\n", 400, "BAD_REQUEST");
	REFUSE("GET http://a/ HTTP/1.1\r\n\r\n", 400, "BAD_REQUEST");
	REFUSE("GET * HTTP/1.1\r\n\r\n", 400, "BAD_REQUEST");
	REFUSE("G(T / HTTP/1.1\r\n\r\n", 400, "BAD_REQUEST");
	REFUSE("GET / http/1.1\r\n\r\n", 400, "BAD_REQUEST");
	REFUSE("GET / HTTP/1\r\n\r\n", 400, "BAD_REQUEST");
	REFUSE("GET /\x80 HTTP/1.1\r\n\r\n", 400, "BAD_REQUEST");
	REFUSE("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, "BAD_REQUEST");
	REFUSE("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400, "BAD_REQUEST");
	REFUSE("GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400, "BAD_REQUEST");
	REFUSE("GET / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 400, "BAD_REQUEST");
	REFUSE("GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, "BAD_REQUEST");
	REFUSE("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400, "BAD_REQUEST");
	REFUSE("GET / HTTP/1.1\nHost: a\n\n", 400, "BAD_REQUEST");	/* bare LF */
	REFUSE("GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", 400, "BAD_REQUEST");	/* bare CR */
	REFUSE("GET / HTTP/1.1\r\nA: \x01\r\n\r\n", 400, "BAD_REQUEST");
	/* a TLS ClientHello is refused at its first byte, without waiting for more */
	REFUSE("\x16\x03\x01\x02\x00\x01", 400, "BAD_REQUEST");
	/* head over head_max (1024): 431, with or without its end */
	big = malloc(2048);
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	memset(big + 19, 'a', 2048 - 19);
	expect_refusal(big, 2048, 431, "HEADERS_TOO_LARGE");
	memcpy(big + 2044, "\r\n\r\n", 4);
	expect_refusal(big, 2048, 431, "HEADERS_TOO_LARGE");
	free(big);
	XT_CHECK_EQ(T.n_req, 0);
	XT_CHECK_U64(stats().protocol_errors, 28);
	XT_CHECK_U64(stats().requests_total, 0);
	XT_CHECK_EQ(T.n_ids, 0);	/* never handed: no on_close */
	pump(30);
	XT_CHECK_U64(stats().connections_open, 0);
	stop();
}

XT_TEST(http_too_many_headers_431)
{
	xt_server_config cfg;
	char		raw[2048];
	size_t		n = 0;

	test_config(&cfg);
	XT_REQUIRE(start(&cfg));
	n += (size_t) sprintf(raw + n, "GET / HTTP/1.1\r\n");
	for (int i = 0; i <= XT_HTTP_MAX_HEADERS; i++)
		n += (size_t) sprintf(raw + n, "H%d: v\r\n", i);
	n += (size_t) sprintf(raw + n, "\r\n");
	expect_refusal(raw, n, 431, "HEADERS_TOO_LARGE");
	stop();
}

XT_TEST(http_body_over_max_is_413_and_close)
{
	xt_server_config cfg;
	client		c;
	response	r;
	char		body[8192];

	test_config(&cfg);
	XT_REQUIRE(start(&cfg));
	XT_REQUIRE(cl_open(&c, rest_port));
	memset(body, 'b', sizeof(body));
	cl_sends(&c, "POST /v1/order HTTP/1.1\r\nContent-Length: 8192\r\n\r\n");
	cl_send(&c, body, sizeof(body));	/* the client sends its body anyway */
	XT_REQUIRE(cl_response(&c, &r, 1000));
	XT_CHECK_EQ(r.status, 413);
	XT_CHECK(strstr(r.body, "\"PAYLOAD_TOO_LARGE\""));
	XT_CHECK(cl_eof(&c, 1000));
	XT_CHECK_EQ(T.n_req, 0);
	cl_close(&c);
	/* exactly body_max is fine */
	XT_REQUIRE(cl_open(&c, rest_port));
	cl_sends(&c, "POST /v1/order HTTP/1.1\r\nContent-Length: 4096\r\n\r\n");
	cl_send(&c, body, 4096);
	XT_REQUIRE(cl_response(&c, &r, 1000));
	XT_CHECK_EQ(r.status, 200);
	XT_CHECK_EQ(T.req[0].body_len, 4096);
	cl_close(&c);
	stop();
}

XT_TEST(http_request_split_byte_by_byte)
{
	xt_server_config cfg;
	client		c;
	response	r;
	const char *req = "\r\nPOST /v1/order?a=b HTTP/1.1\r\nX-XT-APIKEY:  k1 \r\nEmpty:\r\n"
		"Content-Length: 5\r\n\r\nhello";

	test_config(&cfg);
	XT_REQUIRE(start(&cfg));
	XT_REQUIRE(cl_open(&c, rest_port));
	for (size_t i = 0; req[i]; i++)
	{
		cl_send(&c, req + i, 1);
		for (int k = 0; k < 3; k++)
			xt_server_run_once(T.s, 1);
		if (req[i + 1])
			XT_CHECK_EQ(T.n_req, 0);
	}
	XT_REQUIRE(cl_response(&c, &r, 1000));
	XT_CHECK_EQ(T.n_req, 1);
	XT_CHECK_STR(r.body, "POST /v1/order?a=b hello");
	cl_close(&c);
	stop();
}

/* xt_http_request_header and the other request fields, seen from inside on_request */
static void
cb_request_headers(void *ctx, xt_conn *c, const xt_http_request *req)
{
	size_t		n = 99;
	const char *v = xt_http_request_header(req, "x-xt-apikey", &n);
	bool		ok = v && n == 2 && memcmp(v, "k1", 2) == 0;

	(void) ctx;
	v = xt_http_request_header(req, "EMPTY", &n);
	ok = ok && v && n == 0;
	ok = ok && xt_http_request_header(req, "missing", &n) == NULL && n == 0;
	ok = ok && req->n_headers == 3 && req->body_len == 0 && req->body && req->body[0] == '\0';
	xt_conn_respond(c, ok ? 204 : 500, NULL, NULL, "ignored", 7);
}

XT_TEST(http_request_header_lookup)
{
	xt_server_config cfg;
	xt_server_callbacks cb;
	xt_server  *s;
	char		err[200];
	client		c;
	response	r;

	test_config(&cfg);
	cfg.rest_port = free_port();
	cfg.ws_port = 0;
	memset(&cb, 0, sizeof(cb));
	cb.on_request = cb_request_headers;
	XT_REQUIRE(xt_server_open(&s, &cfg, &cb, err, sizeof(err)) == 0);
	T.s = s;
	XT_REQUIRE(cl_open(&c, cfg.rest_port));
	cl_sends(&c, "GET / HTTP/1.1\r\nX-XT-APIKEY: \tk1\t \r\nEmpty:   \r\nOther: x\r\n\r\n");
	XT_REQUIRE(cl_response(&c, &r, 1000));
	XT_CHECK_EQ(r.status, 204);
	XT_CHECK(strstr(r.head, "Content-Length") == NULL);
	XT_CHECK_EQ(r.body_len, 0);
	cl_sends(&c, "GET / HTTP/1.1\r\n\r\n");
	XT_REQUIRE(cl_response(&c, &r, 1000));
	XT_CHECK_EQ(r.status, 500);
	cl_close(&c);
	xt_server_close(s);
	T.s = NULL;
}

XT_TEST(http_timeouts)
{
	xt_server_config cfg;
	client		c,
				idle;
	response	r;

	test_config(&cfg);
	cfg.request_timeout_ms = 150;
	cfg.idle_timeout_ms = 250;
	XT_REQUIRE(start(&cfg));
	XT_REQUIRE(cl_open(&c, rest_port));
	XT_REQUIRE(cl_open(&idle, rest_port));
	cl_sends(&c, "GET /slow HT");
	pump(60);
	XT_CHECK(!c.eof);
	XT_REQUIRE(cl_response(&c, &r, 1000));
	XT_CHECK_EQ(r.status, 408);
	XT_CHECK(strstr(r.body, "\"REQUEST_TIMEOUT\""));
	XT_CHECK(cl_eof(&c, 1000));
	/* the idle one is closed without a word */
	XT_CHECK(cl_eof(&idle, 1000));
	XT_CHECK_EQ(idle.len, 0);
	XT_CHECK_U64(stats().timeouts, 2);
	cl_close(&c);
	cl_close(&idle);
	/* an answered keep-alive connection goes idle again */
	XT_REQUIRE(cl_open(&c, rest_port));
	cl_sends(&c, "GET /x HTTP/1.1\r\n\r\n");
	XT_REQUIRE(cl_response(&c, &r, 1000));
	XT_CHECK(cl_eof(&c, 1000));
	XT_CHECK_EQ(c.len, 0);
	cl_close(&c);
	stop();
}

/* ---- WebSocket ------------------------------------------------------------------------------ */

XT_TEST(ws_handshake_and_messages)
{
	xt_server_config cfg;
	client		c;
	response	r;
	uint64_t	id;

	test_config(&cfg);
	XT_REQUIRE(start(&cfg));
	T.echo_ws = true;
	XT_REQUIRE(cl_open(&c, ws_port));
	cl_sends(&c, UPGRADE);
	XT_REQUIRE(cl_response(&c, &r, 1000));
	XT_CHECK_EQ(r.status, 101);
	XT_CHECK(strstr(r.head, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
	XT_CHECK(strstr(r.head, "Upgrade: websocket\r\n"));
	XT_CHECK(strstr(r.head, "Connection: Upgrade\r\n"));
	XT_CHECK_EQ(T.n_open, 1);
	XT_CHECK_EQ(T.n_req, 0);
	XT_CHECK_U64(stats().ws_open, 1);
	id = T.last_ws_id;
	XT_REQUIRE(xt_server_find(T.s, id) != NULL);
	XT_CHECK(xt_conn_is_ws(xt_server_find(T.s, id)));
	XT_CHECK_EQ(xt_conn_listener(xt_server_find(T.s, id)), XT_LISTENER_WS);
	xt_conn_set_user(xt_server_find(T.s, id), &T);
	XT_CHECK(xt_conn_user(xt_server_find(T.s, id)) == &T);
	/* HTTP answers do nothing on a WebSocket */
	xt_conn_respond(xt_server_find(T.s, id), 200, NULL, NULL, "x", 1);

	/* a masked text message */
	ws_text(&c, "{\"op\":\"ping\"}");
	XT_REQUIRE(cl_frame(&c, &F, 1000));
	XT_CHECK_EQ(F.op, XT_WSF_TEXT);
	XT_CHECK(F.fin);
	XT_CHECK(F.len == 18 && memcmp(F.payload, "echo:{\"op\":\"ping\"}", 18) == 0);
	XT_CHECK_STR(T.last_text, "{\"op\":\"ping\"}");

	/* fragmented, with a ping between the fragments, and UTF-8 split across them */
	ws_send_frame(&c, false, XT_WSF_TEXT, "h\xc3", 2, true);
	ws_send_frame(&c, true, XT_WSF_PING, "pp", 2, true);
	ws_send_frame(&c, false, XT_WSF_CONT, "\xa9llo", 4, true);
	ws_send_frame(&c, true, XT_WSF_CONT, "", 0, true);
	XT_REQUIRE(cl_frame(&c, &F, 1000));
	XT_CHECK_EQ(F.op, XT_WSF_PONG);
	XT_CHECK(F.len == 2 && memcmp(F.payload, "pp", 2) == 0);
	XT_REQUIRE(cl_frame(&c, &F, 1000));
	XT_CHECK_EQ(F.op, XT_WSF_TEXT);
	XT_CHECK(F.len == 11 && memcmp(F.payload, "echo:h\xc3\xa9llo", 11) == 0);
	XT_CHECK_EQ(T.n_text, 2);

	/* an empty message, a pong (ignored), a 16-bit length */
	ws_text(&c, "");
	ws_send_frame(&c, true, XT_WSF_PONG, "", 0, true);
	{
		char		msg[300];

		memset(msg, 'm', sizeof(msg));
		ws_send_frame(&c, true, XT_WSF_TEXT, msg, sizeof(msg), true);
	}
	pump(50);
	XT_CHECK_EQ(T.n_text, 4);
	XT_CHECK_EQ(T.last_text_len, 300);
	XT_CHECK_U64(stats().ws_messages_in, 4);

	/* server -> client, 16- and 64-bit lengths */
	{
		char	   *big = malloc(70000);

		memset(big, 'z', 70000);
		XT_CHECK(xt_conn_ws_send(xt_server_find(T.s, id), big, 200));
		XT_CHECK(xt_conn_ws_send(xt_server_find(T.s, id), big, 60000));
		free(big);
	}
	while (cl_frame(&c, &F, 200) && F.len != 200)
		;
	XT_CHECK_EQ(F.len, 200);
	XT_REQUIRE(cl_frame(&c, &F, 1000));
	XT_CHECK_EQ(F.len, 60000);

	/* the client closes: its code is echoed, then the server closes */
	{
		uint8_t		payload[] = {0x03, 0xE8, 'b', 'y', 'e'};

		ws_send_frame(&c, true, XT_WSF_CLOSE, payload, sizeof(payload), true);
	}
	expect_ws_close(&c, 1000);
	XT_CHECK(xt_server_find(T.s, id) == NULL);
	XT_CHECK_U64(stats().ws_open, 0);
	XT_CHECK_U64(stats().protocol_errors, 0);
	cl_close(&c);
	stop();
}

/* Open a WebSocket, send raw frame bytes, expect the close code. */
static void
ws_expect_code(const void *frames, size_t n, int code)
{
	client		c;

	if (!ws_connect(&c))
	{
		XT_FAIL_AT("no WebSocket");
		return;
	}
	cl_send(&c, frames, n);
	expect_ws_close(&c, code);
	cl_close(&c);
}

XT_TEST(ws_protocol_errors)
{
	xt_server_config cfg;
	uint8_t		buf[20000];
	size_t		n;
	char		big[9000];

	test_config(&cfg);
	XT_REQUIRE(start(&cfg));
	/* unmasked */
	n = ws_frame(buf, true, XT_WSF_TEXT, "hi", 2, false);
	ws_expect_code(buf, n, 1002);
	/* reserved bit */
	n = ws_frame(buf, true, XT_WSF_TEXT, "hi", 2, true);
	buf[0] |= 0x40;
	ws_expect_code(buf, n, 1002);
	/* unknown opcode */
	n = ws_frame(buf, true, 0x3, "hi", 2, true);
	ws_expect_code(buf, n, 1002);
	/* fragmented ping, long ping */
	n = ws_frame(buf, false, XT_WSF_PING, "hi", 2, true);
	ws_expect_code(buf, n, 1002);
	memset(big, 'p', 126);
	n = ws_frame(buf, true, XT_WSF_PING, big, 126, true);
	ws_expect_code(buf, n, 1002);
	/* continuation outside a message; a new message inside one */
	n = ws_frame(buf, true, XT_WSF_CONT, "hi", 2, true);
	ws_expect_code(buf, n, 1002);
	n = ws_frame(buf, false, XT_WSF_TEXT, "a", 1, true);
	n += ws_frame(buf + n, true, XT_WSF_TEXT, "b", 1, true);
	ws_expect_code(buf, n, 1002);
	/* bad close frames */
	n = ws_frame(buf, true, XT_WSF_CLOSE, "\x03", 1, true);
	ws_expect_code(buf, n, 1002);
	n = ws_frame(buf, true, XT_WSF_CLOSE, "\x03\xed", 2, true);	/* 1005 */
	ws_expect_code(buf, n, 1002);
	n = ws_frame(buf, true, XT_WSF_CLOSE, "\x03\xe8\xff", 3, true);
	ws_expect_code(buf, n, 1007);
	/* invalid UTF-8: overlong, surrogate, > U+10FFFF, truncated, in fragments */
	n = ws_frame(buf, true, XT_WSF_TEXT, "\xc0\xaf", 2, true);
	ws_expect_code(buf, n, 1007);
	n = ws_frame(buf, true, XT_WSF_TEXT, "\xed\xa0\x80", 3, true);
	ws_expect_code(buf, n, 1007);
	n = ws_frame(buf, true, XT_WSF_TEXT, "\xf4\x90\x80\x80", 4, true);
	ws_expect_code(buf, n, 1007);
	n = ws_frame(buf, false, XT_WSF_TEXT, "ok", 2, true);
	n += ws_frame(buf + n, true, XT_WSF_CONT, "\xe2\x82", 2, true);
	ws_expect_code(buf, n, 1007);
	/* too big: one frame, and joined fragments (ws_message_max 8192) */
	memset(big, 'x', sizeof(big));
	n = ws_frame(buf, true, XT_WSF_TEXT, big, 8193, true);
	ws_expect_code(buf, 4 + 4, 1009);	/* refused from its header alone */
	n = ws_frame(buf, false, XT_WSF_TEXT, big, 5000, true);
	n += ws_frame(buf + n, true, XT_WSF_CONT, big, 3193, true);
	ws_expect_code(buf, n, 1009);
	/* binary */
	n = ws_frame(buf, true, XT_WSF_BINARY, "\x01\x02", 2, true);
	ws_expect_code(buf, n, 1003);
	XT_CHECK_U64(stats().protocol_errors, 17);
	XT_CHECK_EQ(T.n_text, 0);
	/* exactly ws_message_max is fine */
	{
		client		c;

		XT_REQUIRE(ws_connect(&c));
		n = ws_frame(buf, false, XT_WSF_TEXT, big, 4000, true);
		n += ws_frame(buf + n, true, XT_WSF_CONT, big, 4192, true);
		cl_send(&c, buf, n);
		pump(50);
		XT_CHECK_EQ(T.n_text, 1);
		XT_CHECK_EQ(T.last_text_len, 8192);
		cl_close(&c);
	}
	stop();
}

XT_TEST(ws_handshake_refusals)
{
	xt_server_config cfg;
	client		c;
	response	r;

	test_config(&cfg);
	XT_REQUIRE(start(&cfg));
	/* a plain GET on the WS port goes to on_request */
	XT_REQUIRE(cl_open(&c, ws_port));
	cl_sends(&c, "GET /health HTTP/1.1\r\n\r\n");
	XT_REQUIRE(cl_response(&c, &r, 1000));
	XT_CHECK_EQ(r.status, 200);
	XT_CHECK_EQ(T.n_req, 1);
	XT_CHECK_EQ(T.req[0].listener, XT_LISTENER_WS);
	cl_close(&c);
	/* ws_path without an upgrade: 426 */
	XT_REQUIRE(cl_open(&c, ws_port));
	cl_sends(&c, "GET /v1/ws?x HTTP/1.1\r\n\r\n");
	XT_REQUIRE(cl_response(&c, &r, 1000));
	XT_CHECK_EQ(r.status, 426);
	XT_CHECK(strstr(r.head, "Upgrade: websocket\r\n"));
	XT_CHECK(strstr(r.body, "UPGRADE_REQUIRED"));
	cl_close(&c);
	/* an upgrade to another path: 404 */
	XT_REQUIRE(cl_open(&c, ws_port));
	cl_sends(&c, "GET /other HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
	XT_REQUIRE(cl_response(&c, &r, 1000));
	XT_CHECK_EQ(r.status, 404);
	XT_CHECK(strstr(r.body, "NOT_FOUND"));
	cl_close(&c);
	/* version 8: 426 with the version we speak */
	XT_REQUIRE(cl_open(&c, ws_port));
	cl_sends(&c, "GET /v1/ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n");
	XT_REQUIRE(cl_response(&c, &r, 1000));
	XT_CHECK_EQ(r.status, 426);
	XT_CHECK(strstr(r.head, "Sec-WebSocket-Version: 13\r\n"));
	cl_close(&c);
	/* bad key, no Connection: Upgrade, POST, HTTP/1.0: 400 */
	{
		static const char *bad[] = {
			"GET /v1/ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			"Sec-WebSocket-Key: short==\r\nSec-WebSocket-Version: 13\r\n\r\n",
			"GET /v1/ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: keep-alive\r\n"
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
			"POST /v1/ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
			"GET /v1/ws HTTP/1.0\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		{
			XT_REQUIRE(cl_open(&c, ws_port));
			cl_sends(&c, bad[i]);
			XT_REQUIRE(cl_response(&c, &r, 1000));
			XT_CHECK_EQ(r.status, 400);
			XT_CHECK(cl_eof(&c, 1000));
			cl_close(&c);
		}
	}
	/* an upgrade on the REST port is a plain request (Upgrade ignored) */
	XT_REQUIRE(cl_open(&c, rest_port));
	cl_sends(&c, UPGRADE);
	XT_REQUIRE(cl_response(&c, &r, 1000));
	XT_CHECK_EQ(r.status, 200);
	XT_CHECK_STR(r.body, "GET /v1/ws ");
	XT_CHECK_EQ(T.req[1].listener, XT_LISTENER_REST);
	cl_close(&c);
	XT_CHECK_EQ(T.n_open, 0);
	stop();
}

XT_TEST(ws_slow_consumer_dropped_with_1008)
{
	xt_server_config cfg;
	client		c;
	xt_conn    *conn;
	char		msg[4096];
	int			sent = 0,
				got = 0;
	bool		refused = false;

	test_config(&cfg);
	cfg.send_buffer_max = 32 * 1024;
	XT_REQUIRE(start(&cfg));
	XT_REQUIRE(cl_open(&c, ws_port));
	{
		response	r;

		cl_sends(&c, UPGRADE);
		XT_REQUIRE(cl_response(&c, &r, 1000));
	}
	conn = xt_server_find(T.s, T.last_ws_id);
	XT_REQUIRE(conn != NULL);
	memset(msg, 'q', sizeof(msg));
	/* the client does not read: the kernel's socket buffers fill (a few MB on loopback), then
	 * ours */
	for (int i = 0; i < 100000 && !refused; i++)
	{
		if (xt_conn_ws_send(conn, msg, sizeof(msg)))
			sent++;
		else
			refused = true;
		xt_server_run_once(T.s, 0);
	}
	XT_REQUIRE(refused);
	XT_CHECK(!xt_conn_ws_send(conn, "x", 1));	/* closing: refused, not counted again */
	XT_CHECK_U64(stats().slow_consumers_dropped, 1);
	XT_CHECK_U64(stats().ws_messages_out, (uint64_t) sent);
	pump(20);
	XT_CHECK(xt_server_find(T.s, T.last_ws_id) == NULL);
	XT_CHECK_EQ(T.closes[0], 1);
	/* reading now, the client gets every message, then close 1008, then EOF */
	while (cl_frame(&c, &F, 1000) && F.op == XT_WSF_TEXT)
		got++;
	XT_CHECK_EQ(got, sent);
	XT_CHECK_EQ(close_code(&F), 1008);
	XT_CHECK(F.len == 15 && memcmp(F.payload + 2, "slow consumer", 13) == 0);
	XT_CHECK(cl_eof(&c, 1000));
	cl_close(&c);
	stop();
}

XT_TEST(ws_server_close_and_pings)
{
	xt_server_config cfg;
	client		c,
				silent;

	test_config(&cfg);
	cfg.ws_ping_interval_ms = 100;
	XT_REQUIRE(start(&cfg));
	/* xt_conn_ws_close: a close frame with the code and reason, then EOF */
	XT_REQUIRE(ws_connect(&c));
	xt_conn_ws_close(xt_server_find(T.s, T.last_ws_id), 1001, "going away");
	XT_REQUIRE(cl_frame(&c, &F, 1000));
	XT_CHECK_EQ(close_code(&F), 1001);
	XT_CHECK(F.len == 12 && memcmp(F.payload + 2, "going away", 10) == 0);
	/* the client answers the close; the server has already sent its FIN */
	ws_send_frame(&c, true, XT_WSF_CLOSE, "\x03\xe9", 2, true);
	XT_CHECK(cl_eof(&c, 1000));
	cl_close(&c);
	/* a quiet client is pinged; one that answers stays, a silent one goes after 2 intervals */
	XT_REQUIRE(ws_connect(&c));
	XT_REQUIRE(ws_connect(&silent));
	XT_REQUIRE(cl_frame(&c, &F, 1000));
	XT_CHECK_EQ(F.op, XT_WSF_PING);
	XT_CHECK_EQ(F.len, 0);
	for (int i = 0; i < 4; i++)
	{
		ws_send_frame(&c, true, XT_WSF_PONG, "", 0, true);
		pump(60);
	}
	XT_CHECK(cl_eof(&silent, 1000));
	cl_recv(&c);
	XT_CHECK(!c.eof);
	XT_CHECK_U64(stats().ws_open, 1);
	XT_CHECK(stats().timeouts >= 1);
	cl_close(&c);
	cl_close(&silent);
	stop();
}

/* ---- loop, limits, accounting ------------------------------------------------------------- */

XT_TEST(wake_fd_and_tick)
{
	xt_server_config cfg;
	int			efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	uint64_t	one = 1,
				v;

	XT_REQUIRE(efd >= 0);
	test_config(&cfg);
	cfg.wake_fd = efd;
	XT_REQUIRE(start(&cfg));
	pump(30);
	XT_CHECK_EQ(T.n_wake, 0);
	XT_CHECK(T.n_tick >= 1);
	XT_CHECK(write(efd, &one, sizeof(one)) == sizeof(one));
	XT_CHECK(write(efd, &one, sizeof(one)) == sizeof(one));
	xt_server_run_once(T.s, 100);
	XT_CHECK_EQ(T.n_wake, 1);
	XT_CHECK(read(efd, &v, sizeof(v)) < 0 && errno == EAGAIN);	/* drained */
	pump(20);
	XT_CHECK_EQ(T.n_wake, 1);
	{
		int			ticks = T.n_tick;

		pump(100);
		XT_CHECK(T.n_tick - ticks >= 4 && T.n_tick - ticks <= 15);
	}
	stop();
	close(efd);
}

XT_TEST(max_connections_enforced)
{
	xt_server_config cfg;
	client		c[3];
	response	r;

	test_config(&cfg);
	cfg.max_connections = 2;
	XT_REQUIRE(start(&cfg));
	XT_REQUIRE(cl_open(&c[0], rest_port));
	XT_REQUIRE(cl_open(&c[1], rest_port));
	pump(20);
	XT_REQUIRE(cl_open(&c[2], rest_port));
	XT_CHECK(cl_eof(&c[2], 1000));
	XT_CHECK_U64(stats().connections_open, 2);
	XT_CHECK_U64(stats().accepted_total, 2);
	for (int i = 0; i < 2; i++)
	{
		cl_sends(&c[i], "GET /ok HTTP/1.1\r\n\r\n");
		XT_CHECK(cl_response(&c[i], &r, 1000) && r.status == 200);
	}
	/* a freed slot is used again, under a new id */
	cl_close(&c[0]);
	pump(20);
	XT_REQUIRE(cl_open(&c[0], rest_port));
	cl_sends(&c[0], "GET /again HTTP/1.1\r\n\r\n");
	XT_CHECK(cl_response(&c[0], &r, 1000) && r.status == 200);
	XT_CHECK(T.req[2].id != T.req[0].id && T.req[2].id != T.req[1].id);
	XT_CHECK(xt_server_find(T.s, T.req[0].id) == NULL);
	XT_CHECK(xt_server_find(T.s, T.req[2].id) != NULL);
	for (int i = 0; i < 3; i++)
		cl_close(&c[i]);
	stop();
}

XT_TEST(on_close_once_per_connection)
{
	xt_server_config cfg;
	client		c[6];
	response	r;

	test_config(&cfg);
	XT_REQUIRE(start(&cfg));
	/* ended by the client, by the server (Connection: close, protocol error), open at
	 * xt_server_close, and one never handed (refused before any request) */
	XT_REQUIRE(cl_open(&c[0], rest_port));
	cl_sends(&c[0], "GET / HTTP/1.1\r\n\r\n");
	XT_REQUIRE(cl_response(&c[0], &r, 1000));
	cl_close(&c[0]);
	XT_REQUIRE(cl_open(&c[1], rest_port));
	cl_sends(&c[1], "GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
	XT_CHECK(cl_eof(&c[1], 1000));
	XT_REQUIRE(ws_connect(&c[2]));
	ws_send_frame(&c[2], true, XT_WSF_TEXT, "x", 1, false);
	XT_CHECK(cl_eof(&c[2], 1000));
	XT_REQUIRE(ws_connect(&c[3]));
	XT_REQUIRE(cl_open(&c[4], rest_port));
	cl_sends(&c[4], "GET /defer HTTP/1.1\r\n\r\n");
	XT_REQUIRE(cl_open(&c[5], rest_port));
	cl_sends(&c[5], "BAD\r\n\r\n");
	XT_CHECK(cl_eof(&c[5], 1000));
	pump(30);
	XT_CHECK_EQ(T.n_ids, 5);
	XT_CHECK_EQ(T.closes[0] + T.closes[1] + T.closes[2], 3);
	stop();						/* checks every count is exactly 1 */
	for (int i = 0; i < 6; i++)
		cl_close(&c[i]);
}

XT_TEST(open_errors)
{
	xt_server_config cfg;
	xt_server  *s = NULL,
			   *s2 = NULL;
	xt_server_callbacks cb;
	char		err[200];
	char		want[64];

	memset(&cb, 0, sizeof(cb));
	test_config(&cfg);
	cfg.rest_port = free_port();
	cfg.ws_port = 0;
	XT_REQUIRE(xt_server_open(&s, &cfg, &cb, err, sizeof(err)) == 0);
	XT_CHECK(xt_server_open(&s2, &cfg, &cb, err, sizeof(err)) == -1);
	XT_CHECK(s2 == NULL);
	snprintf(want, sizeof(want), "cannot bind 127.0.0.1:%d: ", cfg.rest_port);
	XT_CHECK(strncmp(err, want, strlen(want)) == 0);
	xt_server_close(s);
	cfg.listen_addr = "localhost";	/* numeric only */
	XT_CHECK(xt_server_open(&s2, &cfg, &cb, err, sizeof(err)) == -1);
	XT_CHECK(strstr(err, "invalid listen address") != NULL);
	cfg.listen_addr = "::1";
	if (xt_server_open(&s, &cfg, &cb, err, sizeof(err)) == 0)
		xt_server_close(s);
	else
		XT_CHECK(strstr(err, "cannot bind [::1]:") != NULL);
	cfg.listen_addr = "*";
	XT_CHECK(xt_server_open(&s, &cfg, &cb, err, sizeof(err)) == 0);
	xt_server_close(s);
	cfg.listen_addr = "127.0.0.1";
	cfg.ws_path = "v1/ws";
	XT_CHECK(xt_server_open(&s2, &cfg, &cb, err, sizeof(err)) == -1);
	XT_CHECK_STR(xt_http_reason(404), "Not Found");
	XT_CHECK_STR(xt_http_reason(299), "Unknown");
	xt_server_close(NULL);
}

XT_TEST(listen_on_all_addresses)
{
	xt_server_config cfg;
	client		c;
	response	r;

	test_config(&cfg);
	cfg.listen_addr = "*";
	XT_REQUIRE(start(&cfg));
	XT_REQUIRE(cl_open(&c, rest_port));	/* IPv4 reaches the dual-stack socket */
	cl_sends(&c, "GET /v4 HTTP/1.1\r\n\r\n");
	XT_CHECK(cl_response(&c, &r, 1000) && r.status == 200);
	cl_close(&c);
	stop();
}

/* ---- the pure parsers ------------------------------------------------------------------------ */

XT_TEST(parse_incremental_equals_whole)
{
	static const char *heads[] = {
		"GET / HTTP/1.1\r\n\r\n",
		"\r\n\r\nPOST /a?b HTTP/1.0\r\nContent-Length: 12\r\nConnection: keep-alive\r\n\r\n",
		"GET / HTTP/1.1\r\nConnection: Upgrade, close\r\nUpgrade: h2c, WebSocket\r\n\r\n",
		"GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n",
		"GET / HTTP/3.0\r\n\r\n",
		"GET / HTTP/1.1\r\nX: \x80\xff\r\n\r\n",
	};
	static const int want[] = {XT_HTTP_HEAD_OK, XT_HTTP_HEAD_OK, XT_HTTP_HEAD_OK,
	XT_HTTP_HEAD_ERROR, XT_HTTP_HEAD_ERROR, XT_HTTP_HEAD_OK};

	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++)
	{
		const char *h = heads[i];
		size_t		len = strlen(h);
		xt_http_scan scan;
		xt_http_head a,
					b;
		xt_http_error ea,
					eb;
		xt_http_parse_result ra,
					rb = XT_HTTP_NEED_MORE;

		xt_http_scan_init(&scan);
		ra = xt_http_parse_head(h, len, 1024, 100, &scan, &a, &ea);
		XT_CHECK_EQ(ra, want[i]);
		xt_http_scan_init(&scan);
		for (size_t n = 1; n <= len && rb == XT_HTTP_NEED_MORE; n++)
			rb = xt_http_parse_head(h, n, 1024, 100, &scan, &b, &eb);
		XT_CHECK_EQ(rb, ra);
		if (ra == XT_HTTP_HEAD_OK && rb == XT_HTTP_HEAD_OK)
		{
			XT_CHECK_EQ(a.head_len, len);
			XT_CHECK_EQ(b.head_len, len);
			XT_CHECK_EQ(a.req.n_headers, b.req.n_headers);
			XT_CHECK_EQ(a.keep_alive, b.keep_alive);
		}
		if (ra == XT_HTTP_HEAD_ERROR && rb == XT_HTTP_HEAD_ERROR)
			XT_CHECK_EQ(ea.status, eb.status);
	}
	{
		xt_http_scan scan;
		xt_http_head h;
		xt_http_error e;
		const char *s = heads[2];

		xt_http_scan_init(&scan);
		XT_REQUIRE(xt_http_parse_head(s, strlen(s), 1024, 100, &scan, &h, &e) == XT_HTTP_HEAD_OK);
		XT_CHECK(h.connection_upgrade && h.upgrade_websocket && !h.keep_alive);
		xt_http_scan_init(&scan);
		s = heads[1];
		XT_REQUIRE(xt_http_parse_head(s, strlen(s), 1024, 100, &scan, &h, &e) == XT_HTTP_HEAD_OK);
		XT_CHECK(h.keep_alive && h.content_length == 12 && h.req.version_minor == 0);
		XT_CHECK(h.req.method_len == 4 && memcmp(h.req.method, "POST", 4) == 0);
		/* a head of exactly head_max bytes is fine, one more byte is 431 */
		s = heads[0];
		xt_http_scan_init(&scan);
		XT_CHECK_EQ(xt_http_parse_head(s, strlen(s), strlen(s), 0, &scan, &h, &e), XT_HTTP_HEAD_OK);
		xt_http_scan_init(&scan);
		XT_CHECK_EQ(xt_http_parse_head(s, strlen(s), strlen(s) - 1, 0, &scan, &h, &e),
					XT_HTTP_HEAD_ERROR);
		XT_CHECK_EQ(e.status, 431);
	}
	XT_CHECK(xt_http_list_has("a, keep-alive ,b", 16, "KEEP-ALIVE"));
	XT_CHECK(!xt_http_list_has("keep-alive2", 11, "keep-alive"));
	XT_CHECK(!xt_http_list_has(",,", 2, "x"));
}

XT_TEST(ws_frame_helpers)
{
	char		acc[XT_WS_ACCEPT_LEN + 1];
	uint8_t		hdr[XT_WSF_HEADER_MAX];
	xt_ws_frame f;
	uint16_t	code = 0;
	const char *why = NULL;
	uint8_t		in[14] = {0x81, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4};

	XT_REQUIRE(xt_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", 24, acc));
	XT_CHECK_STR(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	XT_CHECK(xt_ws_key_valid("dGhlIHNhbXBsZSBub25jZQ==", 24));
	XT_CHECK(!xt_ws_key_valid("dGhlIHNhbXBsZSBub25jZR==", 24));
	XT_CHECK(!xt_ws_key_valid("dGhlIHNhbXBsZSBub25j*Q==", 24));
	XT_CHECK(!xt_ws_key_valid("dGhlIHNhbXBsZSBub25jZQ=", 23));
	XT_CHECK_EQ(xt_wsf_header(hdr, XT_WSF_TEXT, 125), 2);
	XT_CHECK_EQ(xt_wsf_header(hdr, XT_WSF_TEXT, 126), 4);
	XT_CHECK(hdr[0] == 0x81 && hdr[1] == 126 && hdr[2] == 0 && hdr[3] == 126);
	XT_CHECK_EQ(xt_wsf_header(hdr, XT_WSF_TEXT, 65536), 10);
	XT_CHECK(hdr[1] == 127 && hdr[7] == 1 && hdr[8] == 0 && hdr[9] == 0);
	XT_CHECK_EQ(xt_wsf_parse_header(in, 13, &f, &code, &why), XT_WSF_NEED_MORE);
	XT_REQUIRE(xt_wsf_parse_header(in, 14, &f, &code, &why) == XT_WSF_OK);
	XT_CHECK(f.fin && f.opcode == XT_WSF_TEXT && f.payload_len == 65536 && f.header_len == 14);
	XT_CHECK(f.mask[0] == 1 && f.mask[3] == 4);
	in[2] = 0x80;
	XT_CHECK_EQ(xt_wsf_parse_header(in, 14, &f, &code, &why), XT_WSF_ERROR);
	XT_CHECK_EQ(code, 1002);
	XT_CHECK(xt_utf8_valid((const uint8_t *) "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10));
	XT_CHECK(xt_utf8_valid((const uint8_t *) "\xef\xbf\xbf\xf4\x8f\xbf\xbf", 7));
	XT_CHECK(!xt_utf8_valid((const uint8_t *) "\xe0\x80\xaf", 3));
	XT_CHECK(!xt_utf8_valid((const uint8_t *) "\xf0\x8f\xbf\xbf", 4));
	XT_CHECK(!xt_utf8_valid((const uint8_t *) "\xc3", 1));
	XT_CHECK(!xt_utf8_valid((const uint8_t *) "\x80", 1));
	XT_CHECK(!xt_utf8_valid((const uint8_t *) "\xc3\x28", 2));
	XT_CHECK(xt_ws_close_code_valid(1000) && xt_ws_close_code_valid(4999));
	XT_CHECK(!xt_ws_close_code_valid(1005) && !xt_ws_close_code_valid(999) &&
			 !xt_ws_close_code_valid(2000) && !xt_ws_close_code_valid(5000));
}

XT_TEST_MAIN()
