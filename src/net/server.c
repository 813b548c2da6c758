/*
 * server.c: the single-threaded epoll HTTP/1.1 + WebSocket server (server.h).
 *
 * SHAPE OF THE LOOP. Event handlers only do I/O: accept, recv into the connection's input buffer,
 * note that a socket became writable; then they put the connection on the "dirty" list.
 * service() then runs each dirty connection once: parse and dispatch its input (the callbacks),
 * write its output, tell the caller it is going (on_close), free it when dead, and set its epoll
 * interest (level-triggered; EPOLLOUT only while output is pending, EPOLLIN only while there is
 * room for input). API calls (xt_conn_respond, xt_conn_ws_send, ...) only queue bytes or mark a
 * state and put the connection on the list as well, so they never run a callback and never free
 * a connection under a caller that still holds its pointer: connections are freed only in
 * service(), after on_close.
 *
 * LIFECYCLE: HTTP -> (upgrade) WS -> CLOSING (write out what is queued; input read and dropped)
 * -> LINGER (FIN sent; drop input until the client's FIN, so closing with unread input does not
 * send an RST that destroys our last answer in flight) -> DEAD -> freed. An error or time-out
 * goes straight to DEAD. on_close runs once, when a handed connection first leaves HTTP/WS;
 * xt_server_find stops returning it at that moment.
 *
 * IDS: (generation << 32) | slot. Slots live in one array sized max_connections (stable
 * pointers, O(1) lookup); a slot's generation grows each time it is freed, so an id is not
 * reused until one slot has been reused 2^32 times. The same id is the epoll tag of the socket,
 * so an event still queued for a freed connection finds nothing.
 *
 * TIME-OUTS are checked by a sweep of the used slots on every tick (O(connections) every tick_ms,
 * a few comparisons each: about 20 us for 20,000 connections).
 *
 * BUFFERS exist only while they hold bytes (freed when emptied), so 20,000 idle connections cost
 * their slots and sockets, not 20,000 buffers.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE				/* accept4, SOCK_NONBLOCK, MSG_NOSIGNAL */
#endif

#include "common/clock.h"
#include "net/server.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/http_parse.h"
#include "net/ws_frame.h"

#define EVENTS_MAX		256
#define ACCEPT_BATCH	64		/* accepts per listener event: a connection storm cannot starve
								 * the clients already connected */
#define READS_PER_EVENT 4		/* recv calls per readable event, for the same fairness */
#define DRAINS_PER_EVENT 16
#define BUF_MIN			4096
#define LISTEN_BACKLOG	1024
#define LINGER_DEFAULT_MS 5000	/* graceful close bound when request_timeout_ms is 0 */
#define NO_SLOT			UINT32_MAX

/* epoll tags of the fds that are not connections (connection ids have a generation >= 1 in their
 * upper half, so they are never this small) */
#define TAG_LISTENER	1		/* + xt_listener */
#define TAG_WAKE		3

typedef enum conn_state
{
	CS_FREE = 0,
	CS_HTTP,					/* reading requests */
	CS_WS,						/* an open WebSocket */
	CS_CLOSING,					/* writing out what is queued */
	CS_LINGER,					/* FIN sent, waiting for the client's */
	CS_DEAD						/* to be freed by service() */
} conn_state;

/* Bytes [off, len) of data[0 .. cap) are live. */
typedef struct xbuf
{
	char	   *data;
	size_t		off;
	size_t		len;
	size_t		cap;
} xbuf;

struct xt_conn
{
	xt_server  *s;
	uint64_t	id;				/* 0 while the slot is free */
	uint32_t	gen;
	uint32_t	next_free;
	uint32_t	next_dirty;
	int			fd;
	uint8_t		state;			/* conn_state */
	uint8_t		listener;		/* xt_listener */
	bool		in_dirty;		/* on the dirty list, or being serviced */
	bool		handed;			/* given to on_request / on_ws_open: on_close is due */
	bool		rd_eof;			/* the client sent its FIN */
	bool		awaiting;		/* the current request waits for xt_conn_respond */
	bool		answered;		/* ... and has its answer queued (consumed in service) */
	bool		keep_alive;		/* of the current request */
	bool		head_method;	/* the current request is a HEAD: answer without the body */
	bool		msg_active;		/* a fragmented text message is being joined in msg */
	uint32_t	events;			/* the epoll interest now set */
	size_t		req_len;		/* head + body bytes of the current request */
	size_t		need;			/* input bytes needed before parsing again (head seen, body due) */
	xt_http_scan scan;
	xbuf		in;
	xbuf		out;
	xbuf		msg;
	int64_t		idle_since;		/* HTTP: between requests since */
	int64_t		req_start;		/* HTTP: first byte of the current request */
	int64_t		last_rx;		/* bytes last received */
	int64_t		last_tx;		/* output last made progress, or was queued into an empty buffer */
	int64_t		last_ping;
	int64_t		close_deadline; /* CLOSING / LINGER: give up on a graceful close */
	void	   *user;
};

struct xt_server
{
	xt_server_config cfg;
	char	   *ws_path;		/* own copy */
	xt_server_callbacks cb;
	int			epfd;
	int			listen_fd[2];
	bool		listen_paused[2];	/* out of file descriptors: retried on the next tick */
	size_t		http_in_max;	/* input a connection may hold: head_max + body_max */
	size_t		ws_in_max;		/* ... once a WebSocket: one frame of ws_message_max */
	int64_t		linger_ms;
	xt_conn    *conns;
	uint32_t	n_slots;
	uint32_t	used_hw;		/* slots [0, used_hw) were used at some time: the sweep range */
	uint32_t	free_head;
	uint32_t	dirty_head;
	uint32_t	dirty_tail;
	int64_t		now;			/* monotonic ms, read once per wake-up */
	int64_t		next_tick;
	xt_server_stats st;
	struct epoll_event events[EVENTS_MAX];
	char		drain[16384];	/* sink for the input of closing connections */
};

static void http_error(xt_conn *c, int status, const char *code, const char *message,
					   const char *extra_headers);

/* ---- small helpers -------------------------------------------------------------------------- */

static size_t
buf_live(const xbuf *b)
{
	return b->len - b->off;
}

static void
buf_free(xbuf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/*
 * Make room for extra more bytes after the live ones: slide them to the front, else grow by
 * doubling (to at most max(cap_hint, what is needed)). False if memory runs out.
 */
static bool
buf_reserve(xbuf *b, size_t extra, size_t cap_hint)
{
	size_t		live = buf_live(b),
				cap;
	char	   *p;

	if (b->cap - b->len >= extra)
		return true;
	if (b->off > 0)
	{
		memmove(b->data, b->data + b->off, live);
		b->off = 0;
		b->len = live;
		if (b->cap - b->len >= extra)
			return true;
	}
	if (extra > SIZE_MAX - live)
		return false;
	cap = b->cap ? b->cap : BUF_MIN;
	while (cap < live + extra)
		cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
	if (cap > cap_hint && cap_hint >= live + extra)
		cap = cap_hint;
	p = realloc(b->data, cap);
	if (p == NULL)
		return false;
	b->data = p;
	b->cap = cap;
	return true;
}

/* Drop n live bytes from the front; an emptied buffer is freed. */
static void
buf_consume(xbuf *b, size_t n)
{
	b->off += n;
	if (b->off >= b->len)
		buf_free(b);
}

static uint32_t
slot_of(const xt_conn *c)
{
	return (uint32_t) (c->id & 0xFFFFFFFFu);
}

static size_t
in_limit(const xt_conn *c)
{
	return c->state == CS_WS ? c->s->ws_in_max : c->s->http_in_max;
}

/* ---- connection state ----------------------------------------------------------------------- */

static void
mark_dirty(xt_conn *c)
{
	xt_server  *s = c->s;

	if (c->in_dirty || c->state == CS_FREE)
		return;
	c->in_dirty = true;
	c->next_dirty = NO_SLOT;
	if (s->dirty_tail == NO_SLOT)
		s->dirty_head = slot_of(c);
	else
		s->conns[s->dirty_tail].next_dirty = slot_of(c);
	s->dirty_tail = slot_of(c);
}

/* The one place the state changes, so ws_open stays exact. */
static void
set_state(xt_conn *c, conn_state st)
{
	if (c->state == CS_WS)
		c->s->st.ws_open--;
	if (st == CS_WS)
		c->s->st.ws_open++;
	c->state = (uint8_t) st;
}

/* Close at once, dropping whatever is queued. */
static void
conn_abort(xt_conn *c)
{
	if (c->state == CS_FREE || c->state == CS_DEAD)
		return;
	set_state(c, CS_DEAD);
	mark_dirty(c);
}

/* Close once the queued output is written (then FIN, then wait a little for the client's). */
static void
conn_close_gracefully(xt_conn *c)
{
	if (c->state != CS_HTTP && c->state != CS_WS)
		return;
	set_state(c, CS_CLOSING);
	c->close_deadline = c->s->now + c->s->linger_ms;
	mark_dirty(c);
}

/* Queue n bytes of output (no bound: callers apply send_buffer_max where it holds). */
static bool
out_append(xt_conn *c, const void *p, size_t n)
{
	if (c->state == CS_FREE || c->state == CS_DEAD)
		return false;
	if (n == 0)
		return true;
	if (!buf_reserve(&c->out, n, SIZE_MAX))
	{
		conn_abort(c);
		return false;
	}
	if (buf_live(&c->out) == 0)
		c->last_tx = c->s->now;
	memcpy(c->out.data + c->out.len, p, n);
	c->out.len += n;
	mark_dirty(c);
	return true;
}

static bool
out_str(xt_conn *c, const char *s)
{
	return out_append(c, s, strlen(s));
}

/* ---- HTTP answers --------------------------------------------------------------------------- */

static void
http_answer(xt_conn *c, int status, const char *content_type, const char *extra_headers,
			const char *body, size_t body_len, bool keep_alive)
{
	char		line[96];
	bool		bodiless = status == 204 || status == 304;	/* no Content-Length, no body */
	int			n;

	n = snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\n", status, xt_http_reason(status));
	out_append(c, line, (size_t) n);
	if (content_type)
	{
		out_str(c, "Content-Type: ");
		out_str(c, content_type);
		out_str(c, "\r\n");
	}
	if (!bodiless)
	{
		n = snprintf(line, sizeof(line), "Content-Length: %zu\r\n", body_len);
		out_append(c, line, (size_t) n);
	}
	out_str(c, keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
	if (extra_headers)
		out_str(c, extra_headers);
	out_str(c, "\r\n");
	/* a HEAD answer announces the length of the body it does not carry */
	if (!bodiless && !c->head_method && body_len > 0)
		out_append(c, body, body_len);
}

/* The server's own answer to a request it refuses: {"error":CODE,"message":text}, then close. */
static void
http_error(xt_conn *c, int status, const char *code, const char *message,
		   const char *extra_headers)
{
	char		body[256];
	int			n = snprintf(body, sizeof(body), "{\"error\":\"%s\",\"message\":\"%s\"}", code,
							 message);

	if (n < 0 || (size_t) n >= sizeof(body))
		n = snprintf(body, sizeof(body), "{\"error\":\"%s\",\"message\":\"\"}", code);
	if (status == 408)
		c->s->st.timeouts++;
	else
		c->s->st.protocol_errors++;
	c->head_method = false;
	c->awaiting = false;
	http_answer(c, status, "application/json", extra_headers, body, (size_t) n, false);
	conn_close_gracefully(c);
}

/* ---- WebSocket output ----------------------------------------------------------------------- */

/* Queue one frame if it fits in send_buffer_max; false (nothing queued) if it does not. */
static bool
ws_queue(xt_conn *c, uint8_t opcode, const void *payload, size_t n)
{
	uint8_t		hdr[XT_WSF_HEADER_MAX];
	size_t		h = xt_wsf_header(hdr, opcode, n);
	size_t		pending = buf_live(&c->out);
	size_t		max = c->s->cfg.send_buffer_max;

	if (pending > max || h + n > max - pending)
		return false;
	return out_append(c, hdr, h) && out_append(c, payload, n);
}

/*
 * Queue a close frame and close once it is written. The one frame allowed past send_buffer_max
 * (at most 129 bytes), so even a dropped slow consumer learns why.
 */
static void
ws_send_close(xt_conn *c, bool with_code, uint16_t code, const char *reason, size_t reason_len)
{
	uint8_t		frame[XT_WSF_HEADER_MAX + XT_WSF_CONTROL_MAX];
	size_t		plen = 0,
				h;

	if (c->state != CS_WS)
		return;
	if (with_code)
	{
		if (reason_len > XT_WSF_CONTROL_MAX - 2)
			reason_len = XT_WSF_CONTROL_MAX - 2;
		h = xt_wsf_header(frame, XT_WSF_CLOSE, 2 + reason_len);
		frame[h] = (uint8_t) (code >> 8);
		frame[h + 1] = (uint8_t) code;
		if (reason_len > 0)
			memcpy(frame + h + 2, reason, reason_len);
		plen = 2 + reason_len;
	}
	else
		h = xt_wsf_header(frame, XT_WSF_CLOSE, 0);
	out_append(c, frame, h + plen);
	conn_close_gracefully(c);
}

/* A client that broke the protocol: close with code (1002/1003/1007/1009) and say why. */
static void
ws_fail(xt_conn *c, uint16_t code, const char *why)
{
	c->s->st.protocol_errors++;
	ws_send_close(c, true, code, why, strlen(why));
}

/* A client that does not read what it is sent: drop it with 1008. */
static void
ws_drop_slow(xt_conn *c)
{
	static const char why[] = "slow consumer";

	if (c->state != CS_WS)
		return;
	c->s->st.slow_consumers_dropped++;
	ws_send_close(c, true, XT_WS_CLOSE_POLICY, why, sizeof(why) - 1);
}

/* ---- WebSocket input ------------------------------------------------------------------------ */

static void
ws_deliver(xt_conn *c, const uint8_t *p, size_t n)
{
	xt_server  *s = c->s;

	if (!xt_utf8_valid(p, n))
	{
		ws_fail(c, XT_WS_CLOSE_BAD_DATA, "invalid UTF-8 in a text message");
		return;
	}
	s->st.ws_messages_in++;
	if (s->cb.on_ws_text)
		s->cb.on_ws_text(s->cb.ctx, c, n > 0 ? (const char *) p : "", n);
}

/* One text or continuation frame (already unmasked): deliver it or join it to its message. */
static void
ws_text_fragment(xt_conn *c, bool fin, const uint8_t *p, size_t n)
{
	if (fin && !c->msg_active)
	{
		ws_deliver(c, p, n);	/* the common case: one frame, no copy */
		return;
	}
	if (n > 0)
	{
		if (!buf_reserve(&c->msg, n, c->s->cfg.ws_message_max))
		{
			conn_abort(c);
			return;
		}
		memcpy(c->msg.data + c->msg.len, p, n);
		c->msg.len += n;
	}
	c->msg_active = !fin;
	if (fin)
	{
		ws_deliver(c, (const uint8_t *) c->msg.data, buf_live(&c->msg));
		buf_free(&c->msg);
	}
}

/* The client's close frame: check it, echo its code, close. */
static void
ws_peer_close(xt_conn *c, const uint8_t *p, size_t n)
{
	uint16_t	code;

	if (n == 0)
	{
		ws_send_close(c, false, 0, NULL, 0);
		return;
	}
	if (n == 1)
	{
		ws_fail(c, XT_WS_CLOSE_PROTOCOL, "a close payload of one byte");
		return;
	}
	code = (uint16_t) (p[0] << 8 | p[1]);
	if (!xt_ws_close_code_valid(code))
		ws_fail(c, XT_WS_CLOSE_PROTOCOL, "invalid close code");
	else if (!xt_utf8_valid(p + 2, n - 2))
		ws_fail(c, XT_WS_CLOSE_BAD_DATA, "invalid UTF-8 in the close reason");
	else
		ws_send_close(c, true, code, NULL, 0);
}

/* Checks that need only the header, made before waiting for (possibly big) payloads. */
static bool
ws_frame_allowed(xt_conn *c, const xt_ws_frame *f)
{
	if (f->opcode == XT_WSF_BINARY)
		ws_fail(c, XT_WS_CLOSE_UNSUPPORTED, "binary messages are not accepted");
	else if (f->opcode == XT_WSF_CONT && !c->msg_active)
		ws_fail(c, XT_WS_CLOSE_PROTOCOL, "a continuation frame outside a message");
	else if (f->opcode == XT_WSF_TEXT && c->msg_active)
		ws_fail(c, XT_WS_CLOSE_PROTOCOL, "a new message inside a fragmented one");
	else if ((f->opcode == XT_WSF_TEXT || f->opcode == XT_WSF_CONT) &&
			 f->payload_len > (uint64_t) (c->s->cfg.ws_message_max - buf_live(&c->msg)))
		ws_fail(c, XT_WS_CLOSE_TOO_BIG, "message too big");
	else
		return true;
	return false;
}

static void
ws_handle_frame(xt_conn *c, const xt_ws_frame *f, const uint8_t *payload)
{
	size_t		n = (size_t) f->payload_len;

	switch (f->opcode)
	{
		case XT_WSF_TEXT:
		case XT_WSF_CONT:
			ws_text_fragment(c, f->fin, payload, n);
			break;
		case XT_WSF_CLOSE:
			ws_peer_close(c, payload, n);
			break;
		case XT_WSF_PING:
			/* a client that pings but does not read our pongs is a slow consumer too */
			if (!ws_queue(c, XT_WSF_PONG, payload, n))
				ws_drop_slow(c);
			break;
		default:
			break;				/* a pong: its arrival already counted as a sign of life */
	}
}

/* Handle every complete frame in the input. */
static void
process_ws(xt_conn *c)
{
	while (c->state == CS_WS && buf_live(&c->in) > 0)
	{
		uint8_t    *p = (uint8_t *) c->in.data + c->in.off;
		size_t		avail = buf_live(&c->in);
		xt_ws_frame f;
		uint16_t	code = 0;
		const char *why = NULL;
		xt_wsf_result r = xt_wsf_parse_header(p, avail, &f, &code, &why);

		if (r == XT_WSF_NEED_MORE)
			break;
		if (r == XT_WSF_ERROR)
		{
			ws_fail(c, code, why);
			return;
		}
		if (!ws_frame_allowed(c, &f))
			return;
		if (avail - f.header_len < f.payload_len)
			break;
		xt_wsf_unmask(p + f.header_len, (size_t) f.payload_len, f.mask);
		ws_handle_frame(c, &f, p + f.header_len);
		buf_consume(&c->in, f.header_len + (size_t) f.payload_len);
	}
	if (c->state == CS_WS && c->rd_eof)
		conn_close_gracefully(c);
}

/* ---- HTTP input ----------------------------------------------------------------------------- */

/* The target's path (before any '?') is ws_path. */
static bool
is_ws_path(const xt_server *s, const xt_http_request *req)
{
	size_t		n = strlen(s->ws_path);
	const char *q = memchr(req->target, '?', req->target_len);
	size_t		path_len = q ? (size_t) (q - req->target) : req->target_len;

	return path_len == n && memcmp(req->target, s->ws_path, n) == 0;
}

/* The answer to the current request is queued: drop its bytes, get ready for the next. */
static void
finish_request(xt_conn *c)
{
	buf_consume(&c->in, c->req_len);
	c->awaiting = false;
	c->answered = false;
	c->req_len = 0;
	c->need = 0;
	xt_http_scan_init(&c->scan);
	c->idle_since = c->s->now;
	c->req_start = c->s->now;	/* a pipelined request's clock starts when its turn comes */
	if (!c->keep_alive)
		conn_close_gracefully(c);
}

/* Which of the handshake's conditions fails (RFC 6455 section 4.2.1), or NULL. */
static const char *
ws_handshake_problem(const xt_http_head *h)
{
	const xt_http_request *req = &h->req;
	size_t		key_len;
	const char *key = xt_http_request_header(req, "Sec-WebSocket-Key", &key_len);

	if (req->method_len != 3 || memcmp(req->method, "GET", 3) != 0)
		return "a WebSocket upgrade must be a GET";
	if (req->version_minor != 1)
		return "a WebSocket upgrade needs HTTP/1.1";
	if (!h->connection_upgrade)
		return "a WebSocket upgrade needs Connection: Upgrade";
	if (h->content_length != 0)
		return "a WebSocket upgrade has no body";
	if (key == NULL || !xt_ws_key_valid(key, key_len))
		return "Sec-WebSocket-Key must be 24 base64 characters";
	return NULL;
}

/* A request for ws_path, or an upgrade to WebSocket, on the WS listener: the server answers. */
static void
ws_handshake(xt_conn *c, const xt_http_head *h)
{
	xt_server  *s = c->s;
	const xt_http_request *req = &h->req;
	size_t		ver_len,
				key_len;
	const char *ver = xt_http_request_header(req, "Sec-WebSocket-Version", &ver_len);
	const char *key = xt_http_request_header(req, "Sec-WebSocket-Key", &key_len);
	const char *problem;
	char		accept[XT_WS_ACCEPT_LEN + 1];
	char		resp[192];
	int			n;

	if (!is_ws_path(s, req))
		http_error(c, 404, "NOT_FOUND", "no WebSocket endpoint at this path", NULL);
	else if (!h->upgrade_websocket)
		http_error(c, 426, "UPGRADE_REQUIRED", "this path speaks only WebSocket",
				   "Upgrade: websocket\r\n");
	else if ((problem = ws_handshake_problem(h)) != NULL)
		http_error(c, 400, "BAD_REQUEST", problem, NULL);
	else if (ver == NULL || ver_len != 2 || memcmp(ver, "13", 2) != 0)
		http_error(c, 426, "UPGRADE_REQUIRED", "Sec-WebSocket-Version must be 13",
				   "Sec-WebSocket-Version: 13\r\n");
	else if (!xt_ws_accept_key(key, key_len, accept))
		conn_abort(c);
	if (c->state != CS_HTTP)
		return;
	n = snprintf(resp, sizeof(resp),
				 "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
				 "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", accept);
	out_append(c, resp, (size_t) n);
	buf_consume(&c->in, c->req_len);
	c->awaiting = false;
	c->req_len = 0;
	set_state(c, CS_WS);
	c->last_rx = c->last_ping = s->now;
	c->handed = true;
	if (s->cb.on_ws_open)
		s->cb.on_ws_open(s->cb.ctx, c);
}

/* A complete request (head and body in the input): dispatch it. */
static void
start_request(xt_conn *c, xt_http_head *h)
{
	xt_server  *s = c->s;
	xt_http_request *req = &h->req;

	c->awaiting = true;
	c->answered = false;
	c->req_len = h->head_len + (size_t) h->content_length;
	c->need = 0;
	c->keep_alive = h->keep_alive;
	c->head_method = req->method_len == 4 && memcmp(req->method, "HEAD", 4) == 0;
	if (h->content_length > 0)
		req->body = c->in.data + c->in.off + h->head_len;
	req->body_len = (size_t) h->content_length;
	s->st.requests_total++;
	/* Upgrade is honoured only on the WS listener; elsewhere it is ignored (RFC 9110 7.8) */
	if (c->listener == XT_LISTENER_WS && (h->upgrade_websocket || is_ws_path(s, req)))
	{
		ws_handshake(c, h);
		return;
	}
	c->handed = true;
	if (s->cb.on_request)
		s->cb.on_request(s->cb.ctx, c, req);
	else
		http_error(c, 404, "NOT_FOUND", "nothing is served here", NULL);
}

/* Parse and dispatch requests until one waits for its answer or the input runs out. */
static void
process_http(xt_conn *c)
{
	xt_server  *s = c->s;

	while (c->state == CS_HTTP)
	{
		size_t		avail = buf_live(&c->in);
		xt_http_head head;
		xt_http_error err;
		xt_http_parse_result r;

		if (c->awaiting)
		{
			/* a client that hangs up before its answer is gone (a half-close is not told
			 * apart from a close: both read as EOF, and half-closing clients are rare) */
			if (!c->answered && c->rd_eof)
				conn_abort(c);
			if (!c->answered)
				return;
			finish_request(c);
			continue;
		}
		if (avail == 0 || avail < c->need)
			break;
		r = xt_http_parse_head(c->in.data + c->in.off, avail, s->cfg.head_max, s->cfg.body_max,
							   &c->scan, &head, &err);
		if (r == XT_HTTP_HEAD_ERROR)
		{
			http_error(c, err.status, err.code, err.message, NULL);
			return;
		}
		if (r == XT_HTTP_NEED_MORE)
			break;
		if (avail < head.head_len + head.content_length)
		{
			c->need = head.head_len + (size_t) head.content_length;
			break;
		}
		start_request(c, &head);
	}
	/* the client has stopped sending and nothing it sent is still to be answered */
	if (c->state == CS_HTTP && c->rd_eof && !c->awaiting)
		conn_close_gracefully(c);
}

/* ---- socket I/O ----------------------------------------------------------------------------- */

/* Write out what is queued; a CLOSING connection whose output is all gone sends its FIN. */
static void
flush_output(xt_conn *c)
{
	xt_server  *s = c->s;

	while (buf_live(&c->out) > 0)
	{
		ssize_t		n = send(c->fd, c->out.data + c->out.off, buf_live(&c->out), MSG_NOSIGNAL);

		if (n > 0)
		{
			buf_consume(&c->out, (size_t) n);
			s->st.bytes_out += (uint64_t) n;
			c->last_tx = s->now;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		set_state(c, CS_DEAD);
		return;
	}
	if (c->state == CS_CLOSING)
	{
		if (c->rd_eof)
			set_state(c, CS_DEAD);
		else
		{
			shutdown(c->fd, SHUT_WR);
			set_state(c, CS_LINGER);
		}
	}
}

/* Read what the client sent, up to the input bound. */
static void
read_input(xt_conn *c)
{
	xt_server  *s = c->s;
	size_t		limit = in_limit(c);

	for (int i = 0; i < READS_PER_EVENT && !c->rd_eof; i++)
	{
		size_t		live = buf_live(&c->in),
					room;
		ssize_t		n;

		if (live >= limit)
			break;
		if (!buf_reserve(&c->in, limit - live < BUF_MIN ? limit - live : BUF_MIN, limit))
		{
			conn_abort(c);
			return;
		}
		room = c->in.cap - c->in.len;
		if (room > limit - live)
			room = limit - live;
		n = recv(c->fd, c->in.data + c->in.len, room, 0);
		if (n > 0)
		{
			if (live == 0)
				c->req_start = s->now;
			c->in.len += (size_t) n;
			c->last_rx = s->now;
			if ((size_t) n < room)
				break;
		}
		else if (n == 0)
			c->rd_eof = true;
		else if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		else if (errno != EINTR)
		{
			conn_abort(c);
			return;
		}
	}
	if (c->in.len == 0)
		buf_free(&c->in);		/* reserved for a read that brought nothing */
	mark_dirty(c);
}

/* A closing connection: read and drop, until the client's FIN. */
static void
drain_input(xt_conn *c)
{
	for (int i = 0; i < DRAINS_PER_EVENT; i++)
	{
		ssize_t		n = recv(c->fd, c->s->drain, sizeof(c->s->drain), 0);

		if (n > 0)
			continue;
		if (n == 0)
		{
			c->rd_eof = true;
			if (c->state == CS_LINGER)
				set_state(c, CS_DEAD);
		}
		else if (errno == EINTR)
			continue;
		else if (errno != EAGAIN && errno != EWOULDBLOCK)
			set_state(c, CS_DEAD);
		break;
	}
	mark_dirty(c);
}

static void
set_interest(xt_conn *c)
{
	xt_server  *s = c->s;
	uint32_t	want = 0;
	struct epoll_event ev;

	if (!c->rd_eof && (c->state == CS_CLOSING || c->state == CS_LINGER ||
					   buf_live(&c->in) < in_limit(c)))
		want |= EPOLLIN;
	if (buf_live(&c->out) > 0)
		want |= EPOLLOUT;
	if (want == c->events)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = want;
	ev.data.u64 = c->id;
	if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->events = want;
	else
		set_state(c, CS_DEAD);
}

/* ---- connection slots ----------------------------------------------------------------------- */

static void
conn_new(xt_server *s, int fd, xt_listener listener)
{
	uint32_t	slot = s->free_head;
	xt_conn    *c = &s->conns[slot];
	struct epoll_event ev;
	int			one = 1;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = (uint64_t) c->gen << 32 | slot;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
	{
		close(fd);
		return;
	}
	/* answers are written whole; Nagle would only delay the last segment of each */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s->free_head = c->next_free;
	c->id = ev.data.u64;
	c->fd = fd;
	c->listener = (uint8_t) listener;
	c->events = EPOLLIN;
	c->state = CS_HTTP;
	c->next_free = NO_SLOT;
	xt_http_scan_init(&c->scan);
	c->idle_since = c->req_start = c->last_rx = c->last_tx = c->last_ping = s->now;
	if (slot >= s->used_hw)
		s->used_hw = slot + 1;
	s->st.accepted_total++;
	s->st.connections_open++;
}

static void
conn_free(xt_conn *c)
{
	xt_server  *s = c->s;
	uint32_t	slot = slot_of(c);
	uint32_t	gen = c->gen + 1 ? c->gen + 1 : 1;

	close(c->fd);
	buf_free(&c->in);
	buf_free(&c->out);
	buf_free(&c->msg);
	s->st.connections_open--;
	memset(c, 0, sizeof(*c));
	c->s = s;
	c->gen = gen;
	c->fd = -1;
	c->state = CS_FREE;
	c->next_free = s->free_head;
	s->free_head = slot;
}

/* The connection an epoll tag names, in any state but free. */
static xt_conn *
conn_by_id(xt_server *s, uint64_t id)
{
	uint32_t	slot = (uint32_t) (id & 0xFFFFFFFFu);

	if ((id >> 32) == 0 || slot >= s->n_slots || s->conns[slot].id != id)
		return NULL;
	return &s->conns[slot];
}

/* Everything a connection needs after its events or API calls (see the file comment). */
static void
service(xt_conn *c)
{
	xt_server  *s = c->s;

	if (c->state == CS_HTTP)
		process_http(c);
	if (c->state == CS_WS)
		process_ws(c);
	if (c->state != CS_DEAD)
		flush_output(c);
	if (c->state != CS_DEAD)
		set_interest(c);
	if (c->state >= CS_CLOSING && c->handed)
	{
		c->handed = false;
		if (s->cb.on_close)
			s->cb.on_close(s->cb.ctx, c);
	}
	if (c->state == CS_DEAD)
		conn_free(c);
}

static void
process_dirty(xt_server *s)
{
	while (s->dirty_head != NO_SLOT)
	{
		xt_conn    *c = &s->conns[s->dirty_head];

		s->dirty_head = c->next_dirty;
		if (s->dirty_head == NO_SLOT)
			s->dirty_tail = NO_SLOT;
		/* in_dirty stays set while it is serviced: what its callbacks queue is written below */
		service(c);
		c->in_dirty = false;
	}
}

/* ---- time-outs ------------------------------------------------------------------------------ */

static void
sweep_http(xt_conn *c)
{
	xt_server  *s = c->s;
	const xt_server_config *cfg = &s->cfg;
	int64_t		now = s->now;

	if (cfg->idle_timeout_ms > 0 && buf_live(&c->out) > 0 &&
		now - c->last_tx >= cfg->idle_timeout_ms)
	{
		/* it does not read its answers */
		s->st.timeouts++;
		conn_abort(c);
	}
	else if (c->awaiting)
		return;					/* our turn, not the client's */
	else if (buf_live(&c->in) > 0)
	{
		if (cfg->request_timeout_ms > 0 && now - c->req_start >= cfg->request_timeout_ms)
			http_error(c, 408, "REQUEST_TIMEOUT", "the request took too long to arrive", NULL);
	}
	else if (cfg->idle_timeout_ms > 0 && buf_live(&c->out) == 0 &&
			 now - c->idle_since >= cfg->idle_timeout_ms)
	{
		s->st.timeouts++;
		conn_close_gracefully(c);
	}
}

static void
sweep_ws(xt_conn *c)
{
	xt_server  *s = c->s;
	int64_t		interval = s->cfg.ws_ping_interval_ms;
	int64_t		quiet = s->now - c->last_rx;

	if (interval <= 0)
		return;
	if (quiet >= 2 * interval)
	{
		s->st.timeouts++;
		conn_abort(c);
	}
	else if (quiet >= interval && s->now - c->last_ping >= interval)
	{
		c->last_ping = s->now;
		(void) ws_queue(c, XT_WSF_PING, NULL, 0);	/* no room: the silence rule decides */
	}
}

static void
sweep(xt_server *s)
{
	for (uint32_t i = 0; i < s->used_hw; i++)
	{
		xt_conn    *c = &s->conns[i];

		switch (c->state)
		{
			case CS_HTTP:
				sweep_http(c);
				break;
			case CS_WS:
				sweep_ws(c);
				break;
			case CS_CLOSING:
			case CS_LINGER:
				if (s->now >= c->close_deadline)
					conn_abort(c);
				break;
			default:
				break;
		}
	}
}

/* ---- listeners and the wake fd -------------------------------------------------------------- */

static void
listener_watch(xt_server *s, int which, bool on)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = on ? EPOLLIN : 0;
	ev.data.u64 = TAG_LISTENER + (uint64_t) which;
	if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, s->listen_fd[which], &ev) == 0)
		s->listen_paused[which] = !on;
}

static void
accept_ready(xt_server *s, int which)
{
	for (int i = 0; i < ACCEPT_BATCH; i++)
	{
		int			fd = accept4(s->listen_fd[which], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
		{
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			/* out of descriptors or memory: a level-triggered listener would spin, so it
			 * rests until the next tick */
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				listener_watch(s, which, false);
			return;
		}
		if (s->free_head == NO_SLOT)
		{
			close(fd);			/* max_connections reached */
			continue;
		}
		conn_new(s, fd, (xt_listener) which);
	}
}

static void
wake_ready(xt_server *s)
{
	uint64_t	v;

	/* one read empties an eventfd (and never blocks a readable one) */
	if (read(s->cfg.wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		v = 0;
	if (s->cb.on_wake)
		s->cb.on_wake(s->cb.ctx);
}

/* socket, SO_REUSEADDR, (dual-stack), bind, listen; -1 with errno on failure. */
static int
bind_listen(const struct sockaddr *sa, socklen_t len, bool dual_stack)
{
	int			one = 1,
				zero = 0,
				fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
		(dual_stack && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) != 0) ||
		bind(fd, sa, len) != 0 || listen(fd, LISTEN_BACKLOG) != 0)
	{
		int			e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* "*": every IPv6 and IPv4 address, or every IPv4 one where there is no IPv6. */
static int
listen_any(int port)
{
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	int			fd;

	memset(&a6, 0, sizeof(a6));
	a6.sin6_family = AF_INET6;
	a6.sin6_port = htons((uint16_t) port);
	a6.sin6_addr = in6addr_any;
	fd = bind_listen((const struct sockaddr *) &a6, sizeof(a6), true);
	if (fd >= 0 || (errno != EAFNOSUPPORT && errno != EADDRNOTAVAIL && errno != EPROTONOSUPPORT))
		return fd;
	memset(&a4, 0, sizeof(a4));
	a4.sin_family = AF_INET;
	a4.sin_port = htons((uint16_t) port);
	a4.sin_addr.s_addr = htonl(INADDR_ANY);
	return bind_listen((const struct sockaddr *) &a4, sizeof(a4), false);
}

static int
open_listener(xt_server *s, const char *addr, int port, xt_listener which, char *err,
			  size_t err_cap)
{
	struct epoll_event ev;
	int			fd;
	bool		v6 = strchr(addr, ':') != NULL;

	if (strcmp(addr, "*") == 0)
		fd = listen_any(port);
	else
	{
		struct addrinfo hints,
				   *ai = NULL;
		char		service[16];
		int			rc;

		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
		snprintf(service, sizeof(service), "%d", port);
		rc = getaddrinfo(addr, service, &hints, &ai);
		if (rc != 0)
		{
			snprintf(err, err_cap, "invalid listen address \"%s\": %s", addr, gai_strerror(rc));
			return -1;
		}
		fd = bind_listen(ai->ai_addr, ai->ai_addrlen, false);
		if (fd < 0)
		{
			int			e = errno;

			freeaddrinfo(ai);
			errno = e;
		}
		else
			freeaddrinfo(ai);
	}
	if (fd < 0)
	{
		snprintf(err, err_cap, v6 ? "cannot bind [%s]:%d: %s" : "cannot bind %s:%d: %s", addr,
				 port, strerror(errno));
		return -1;
	}
	s->listen_fd[which] = fd;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = TAG_LISTENER + (uint64_t) which;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
	{
		snprintf(err, err_cap, "epoll_ctl: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- public API ----------------------------------------------------------------------------- */

void
xt_server_config_defaults(xt_server_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->listen_addr = "127.0.0.1";
	cfg->rest_port = 7000;
	cfg->ws_port = 7001;
	cfg->ws_path = "/v1/ws";
	cfg->wake_fd = -1;
	cfg->tick_ms = 100;
	cfg->max_connections = 10000;
	cfg->head_max = 16384;
	cfg->body_max = 65536;
	cfg->ws_message_max = 65536;
	cfg->send_buffer_max = (size_t) 1 << 20;
	cfg->idle_timeout_ms = 60000;
	cfg->request_timeout_ms = 10000;
	cfg->ws_ping_interval_ms = 20000;
}

static const char *
config_problem(const xt_server_config *cfg)
{
	if (cfg->listen_addr == NULL || cfg->listen_addr[0] == '\0')
		return "listen_addr is required";
	if (cfg->rest_port < 0 || cfg->rest_port > 65535 || cfg->ws_port < 0 || cfg->ws_port > 65535)
		return "ports must be from 0 to 65535";
	if (cfg->ws_path == NULL || cfg->ws_path[0] != '/')
		return "ws_path must start with /";
	if (cfg->head_max == 0 || cfg->head_max > SIZE_MAX / 4 || cfg->body_max > SIZE_MAX / 4 ||
		cfg->ws_message_max > SIZE_MAX / 4)
		return "head_max, body_max and ws_message_max must be positive and sane";
	return NULL;
}

/* Frees what xt_server_open built (no connection exists yet, or all are freed). */
static void
server_destroy(xt_server *s)
{
	for (int i = 0; i < 2; i++)
		if (s->listen_fd[i] >= 0)
			close(s->listen_fd[i]);
	if (s->epfd >= 0)
		close(s->epfd);
	free(s->conns);
	free(s->ws_path);
	free(s);
}

int
xt_server_open(xt_server **out, const xt_server_config *cfg, const xt_server_callbacks *cb,
			   char *err, size_t err_cap)
{
	const char *problem = config_problem(cfg);
	xt_server  *s;
	uint32_t	n = cfg->max_connections;

	*out = NULL;
	if (problem)
	{
		snprintf(err, err_cap, "%s", problem);
		return -1;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
	{
		snprintf(err, err_cap, "out of memory");
		return -1;
	}
	s->cfg = *cfg;
	s->epfd = s->listen_fd[0] = s->listen_fd[1] = -1;
	if (cb)
		s->cb = *cb;
	if (s->cfg.tick_ms <= 0)
		s->cfg.tick_ms = 100;
	s->http_in_max = cfg->head_max + cfg->body_max;
	s->ws_in_max = cfg->ws_message_max + XT_WSF_HEADER_MAX;
	s->linger_ms = cfg->request_timeout_ms > 0 ? cfg->request_timeout_ms : LINGER_DEFAULT_MS;
	s->ws_path = malloc(strlen(cfg->ws_path) + 1);
	s->conns = calloc(n > 0 ? n : 1, sizeof(xt_conn));
	if (s->ws_path == NULL || s->conns == NULL)
	{
		snprintf(err, err_cap, "out of memory for %u connections", (unsigned) n);
		server_destroy(s);
		return -1;
	}
	strcpy(s->ws_path, cfg->ws_path);
	s->cfg.ws_path = s->ws_path;
	s->cfg.listen_addr = NULL;	/* the caller's string is not kept */
	s->n_slots = n;
	s->free_head = n > 0 ? 0 : NO_SLOT;
	s->dirty_head = s->dirty_tail = NO_SLOT;
	for (uint32_t i = 0; i < n; i++)
	{
		s->conns[i].s = s;
		s->conns[i].gen = 1;
		s->conns[i].fd = -1;
		s->conns[i].next_free = i + 1 < n ? i + 1 : NO_SLOT;
	}
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0)
	{
		snprintf(err, err_cap, "epoll_create1: %s", strerror(errno));
		server_destroy(s);
		return -1;
	}
	if ((cfg->rest_port > 0 &&
		 open_listener(s, cfg->listen_addr, cfg->rest_port, XT_LISTENER_REST, err, err_cap) != 0) ||
		(cfg->ws_port > 0 &&
		 open_listener(s, cfg->listen_addr, cfg->ws_port, XT_LISTENER_WS, err, err_cap) != 0))
	{
		server_destroy(s);
		return -1;
	}
	if (cfg->wake_fd >= 0)
	{
		struct epoll_event ev;

		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.u64 = TAG_WAKE;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, cfg->wake_fd, &ev) != 0)
		{
			snprintf(err, err_cap, "cannot watch wake_fd %d: %s", cfg->wake_fd, strerror(errno));
			server_destroy(s);
			return -1;
		}
	}
	s->now = xt_mono_ms();
	s->next_tick = s->now + s->cfg.tick_ms;
	*out = s;
	return 0;
}

static void
on_tick_due(xt_server *s)
{
	s->next_tick = s->now + s->cfg.tick_ms;
	for (int i = 0; i < 2; i++)
		if (s->listen_paused[i])
			listener_watch(s, i, true);
	sweep(s);
	if (s->cb.on_tick)
		s->cb.on_tick(s->cb.ctx);
	process_dirty(s);
}

int
xt_server_run_once(xt_server *s, int timeout_ms)
{
	int			n,
				wait = timeout_ms;
	int64_t		until_tick;

	s->now = xt_mono_ms();
	until_tick = s->next_tick > s->now ? s->next_tick - s->now : 0;
	if (s->dirty_head != NO_SLOT)
		wait = 0;				/* answers queued between calls go out now */
	else if (wait < 0 || wait > until_tick)
		wait = (int) until_tick;
	n = epoll_wait(s->epfd, s->events, EVENTS_MAX, wait);
	if (n < 0)
	{
		if (errno != EINTR)
			return -1;
		n = 0;
	}
	s->now = xt_mono_ms();
	for (int i = 0; i < n; i++)
	{
		uint64_t	tag = s->events[i].data.u64;

		if (tag == TAG_LISTENER + XT_LISTENER_REST || tag == TAG_LISTENER + XT_LISTENER_WS)
			accept_ready(s, (int) (tag - TAG_LISTENER));
		else if (tag == TAG_WAKE)
			wake_ready(s);
		else
		{
			xt_conn    *c = conn_by_id(s, tag);
			uint32_t	ev = s->events[i].events;

			if (c == NULL || c->state == CS_DEAD)
				continue;
			if (ev & (EPOLLERR | EPOLLHUP))
				conn_abort(c);
			else if ((ev & EPOLLIN) && (c->state == CS_CLOSING || c->state == CS_LINGER))
				drain_input(c);
			else if (ev & EPOLLIN)
				read_input(c);
			if (ev & EPOLLOUT)
				mark_dirty(c);
		}
	}
	process_dirty(s);
	if (s->now >= s->next_tick)
		on_tick_due(s);
	return 0;
}

void
xt_server_close(xt_server *s)
{
	if (s == NULL)
		return;
	/* dead first, so what on_close callbacks call on other connections is a no-op */
	for (uint32_t i = 0; i < s->used_hw; i++)
		if (s->conns[i].state != CS_FREE)
			set_state(&s->conns[i], CS_DEAD);
	for (uint32_t i = 0; i < s->used_hw; i++)
	{
		xt_conn    *c = &s->conns[i];

		if (c->state == CS_FREE)
			continue;
		if (c->handed && s->cb.on_close)
			s->cb.on_close(s->cb.ctx, c);
		c->handed = false;
		conn_free(c);
	}
	server_destroy(s);
}

uint64_t
xt_conn_id(const xt_conn *c)
{
	return c ? c->id : 0;
}

xt_conn *
xt_server_find(xt_server *s, uint64_t id)
{
	xt_conn    *c = s ? conn_by_id(s, id) : NULL;

	return c && (c->state == CS_HTTP || c->state == CS_WS) ? c : NULL;
}

xt_listener
xt_conn_listener(const xt_conn *c)
{
	return (xt_listener) c->listener;
}

void
xt_conn_set_user(xt_conn *c, void *user)
{
	c->user = user;
}

void *
xt_conn_user(const xt_conn *c)
{
	return c->user;
}

bool
xt_conn_is_ws(const xt_conn *c)
{
	return c != NULL && c->state == CS_WS;
}

void
xt_conn_respond(xt_conn *c, int status, const char *content_type, const char *extra_headers,
				const char *body, size_t body_len)
{
	if (c == NULL || c->state != CS_HTTP || !c->awaiting || c->answered)
		return;
	if (status < 200 || status > 599)
		status = 500;			/* 1xx and nonsense are not answers a caller can give */
	http_answer(c, status, content_type, extra_headers, body, body_len, c->keep_alive);
	c->answered = true;
	mark_dirty(c);
}

bool
xt_conn_ws_send(xt_conn *c, const char *text, size_t len)
{
	if (c == NULL || c->state != CS_WS)
		return false;
	if (!ws_queue(c, XT_WSF_TEXT, text, len))
	{
		ws_drop_slow(c);
		return false;
	}
	c->s->st.ws_messages_out++;
	return true;
}

void
xt_conn_ws_close(xt_conn *c, uint16_t code, const char *reason)
{
	if (c == NULL || c->state != CS_WS)
		return;
	ws_send_close(c, true, code, reason, reason ? strlen(reason) : 0);
}

void
xt_server_get_stats(const xt_server *s, xt_server_stats *out)
{
	*out = s->st;
}
