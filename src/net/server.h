/*
 * server.h: the REST (HTTP/1.1) and WebSocket (RFC 6455) server of the network worker.
 *
 * Owns: the listening sockets, every client connection and its buffers, HTTP/1.1 request parsing
 * (request line, headers, Content-Length bodies, keep-alive, pipelining), the WebSocket handshake
 * and framing (masking, fragmentation, ping/pong, close), time-outs of slow or idle clients, and
 * the bound on what a connection may hold in memory. It knows nothing of orders: complete
 * requests and messages go to the caller's callbacks, which answer through xt_conn_*.
 *
 * Why not libwebsockets (docs/architecture.md): the API signs the request target exactly as sent,
 * which libwebsockets rewrites (it unescapes and splits the query); we need a bounded send buffer
 * per connection with a drop policy, exact error answers for malformed HTTP, and one epoll loop
 * that also waits on PostgreSQL's wake-up eventfd. A small single-threaded epoll server gives all
 * of that in code we can unit test and fuzz.
 *
 * Callers: the network worker (src/pg/net_worker.c) and tests. Plain C11 + POSIX (epoll, Linux)
 * + OpenSSL libcrypto (SHA-1 and base64 for the handshake). Not thread-safe: one thread runs the
 * loop and calls everything here. Callbacks run inside xt_server_run_once.
 *
 * CONNECTIONS are named by a 64-bit id (never reused while the server lives), so a caller that
 * answers later (a deferred HTTP response) looks its connection up again and finds NULL if the
 * client went away meanwhile.
 *
 * HTTP: one request at a time per connection. A request is complete when its head (at most
 * head_max bytes) and its Content-Length body (at most body_max bytes) have arrived; then
 * on_request runs. Further pipelined requests wait (unparsed, bounded by head_max + body_max in
 * the input buffer) until the caller answered with xt_conn_respond, so answers keep request order.
 * The server answers by itself, and closes: malformed request line or headers (400), a head too
 * large (431), a body too large (413, without reading it), Transfer-Encoding (411 / 501), an HTTP
 * version other than 1.0/1.1 (505), a client that sends nothing for idle_timeout_ms or takes
 * longer than request_timeout_ms to send one request (408 if it began one, else a silent close).
 * "Connection: close" and HTTP/1.0 without keep-alive close after the answer.
 *
 * WEBSOCKET: only on the ws listener, only "GET <ws_path>" with a valid upgrade (else 400/404/426
 * answered by the server). After the 101, on_ws_open runs; each complete text message (fragments
 * joined, at most ws_message_max bytes, else close 1009) goes to on_ws_text. Binary messages get
 * close 1003, invalid UTF-8 in a text message close 1007, protocol errors (unmasked frame, bad
 * opcode, control frame too long or fragmented) close 1002. Pings are answered with pongs; the
 * server pings a quiet client every ws_ping_interval_ms and closes one silent for twice that.
 *
 * BOUNDED MEMORY: every connection's output is bounded by send_buffer_max. xt_conn_ws_send
 * refuses a message that would go over it and closes the connection with 1008 ("slow consumer"),
 * so a reader that stops reading costs at most send_buffer_max bytes. HTTP answers are never
 * dropped (one per request, bounded by the caller's body sizes).
 */
#ifndef XT_NET_SERVER_H
#define XT_NET_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xt_server xt_server;
typedef struct xt_conn xt_conn;

#define XT_HTTP_MAX_HEADERS 64

typedef struct xt_http_header
{
	const char *name;			/* as sent (compare case-insensitively) */
	size_t		name_len;
	const char *value;			/* leading and trailing blanks removed */
	size_t		value_len;
} xt_http_header;

/* One complete request. All pointers point into the connection's input buffer and are valid only
 * during on_request (copy what a deferred answer needs). */
typedef struct xt_http_request
{
	const char *method;			/* "GET", case as sent */
	size_t		method_len;
	const char *target;			/* request target exactly as sent: "/v1/trades/X?limit=5" */
	size_t		target_len;
	int			version_minor;	/* HTTP/1.<minor> */
	const char *body;			/* Content-Length bytes ("" when none) */
	size_t		body_len;
	uint32_t	n_headers;
	xt_http_header headers[XT_HTTP_MAX_HEADERS];
} xt_http_request;

/* The value of the first header called name (case-insensitive), or NULL. */
const char *xt_http_request_header(const xt_http_request *req, const char *name, size_t *value_len);

typedef enum xt_listener
{
	XT_LISTENER_REST = 0,
	XT_LISTENER_WS = 1
} xt_listener;

typedef struct xt_server_callbacks
{
	void	   *ctx;

	/* A complete HTTP request (either listener; on the WS listener only requests that are not
	 * an upgrade of ws_path). Answer now or later with xt_conn_respond, exactly once. */
	void		(*on_request) (void *ctx, xt_conn *c, const xt_http_request *req);
	/* A WebSocket connection is open (after the 101 was queued). */
	void		(*on_ws_open) (void *ctx, xt_conn *c);
	/* One complete text message (valid UTF-8). */
	void		(*on_ws_text) (void *ctx, xt_conn *c, const char *text, size_t len);
	/* The connection is going away (any reason); its id is dead after this returns. Called for
	 * every connection that was handed to on_request or on_ws_open. */
	void		(*on_close) (void *ctx, xt_conn *c);
	/* wake_fd became readable (already drained by the server). May be NULL. */
	void		(*on_wake) (void *ctx);
	/* Every tick_ms (roughly: after the loop's epoll_wait returns past the deadline). May be NULL. */
	void		(*on_tick) (void *ctx);
} xt_server_callbacks;

typedef struct xt_server_config
{
	const char *listen_addr;	/* numeric IPv4 or IPv6 address, "*" for all IPv4+IPv6 */
	int			rest_port;		/* 0 = no REST listener */
	int			ws_port;		/* 0 = no WebSocket listener */
	const char *ws_path;		/* "/v1/ws" */
	int			wake_fd;		/* an eventfd to watch, or -1 */
	int			tick_ms;		/* on_tick period, e.g. 100 */
	uint32_t	max_connections;	/* beyond it new connections are closed at once */
	size_t		head_max;		/* bytes of request line + headers, e.g. 16384 */
	size_t		body_max;		/* bytes of a body, e.g. 65536 */
	size_t		ws_message_max; /* bytes of one WS message after joining fragments, e.g. 65536 */
	size_t		send_buffer_max;	/* bytes queued for one connection, e.g. 1 << 20 */
	int			idle_timeout_ms;	/* HTTP keep-alive idle, e.g. 60000 */
	int			request_timeout_ms; /* from the first byte of a request to its end, e.g. 10000 */
	int			ws_ping_interval_ms;	/* e.g. 20000 */
} xt_server_config;

/* Sensible defaults for every field (ports 7000/7001, 127.0.0.1, /v1/ws, no wake fd). */
void		xt_server_config_defaults(xt_server_config *cfg);

/*
 * Bind and listen (SO_REUSEADDR, non-blocking), create the epoll set. Returns 0, or -1 with a
 * message in err (e.g. "cannot bind 127.0.0.1:7000: Address already in use").
 */
int			xt_server_open(xt_server **out, const xt_server_config *cfg,
						   const xt_server_callbacks *cb, char *err, size_t err_cap);

/* Wait up to timeout_ms for events, handle them (running callbacks), run on_tick when due.
 * Returns 0, or -1 on an unexpected epoll failure (errno set). */
int			xt_server_run_once(xt_server *s, int timeout_ms);

/* Close every connection (on_close for each) and the listeners; free everything. */
void		xt_server_close(xt_server *s);

/* ---- connections ------------------------------------------------------------------------- */
uint64_t	xt_conn_id(const xt_conn *c);
xt_conn    *xt_server_find(xt_server *s, uint64_t id);	/* NULL when it is gone */
xt_listener xt_conn_listener(const xt_conn *c);
void		xt_conn_set_user(xt_conn *c, void *user);
void	   *xt_conn_user(const xt_conn *c);
bool		xt_conn_is_ws(const xt_conn *c);

/*
 * Answer the connection's current request: status line, Content-Type (if not NULL),
 * Content-Length, Connection (keep-alive or close), then extra_headers (zero or more complete
 * "Name: value\r\n" lines, or NULL), then the body. Then the next pipelined request, if any, is
 * parsed. Calling it when no request is waiting for an answer is a no-op.
 */
void		xt_conn_respond(xt_conn *c, int status, const char *content_type,
							const char *extra_headers, const char *body, size_t body_len);

/* Queue one text message. Returns false (and starts a close with 1008) when it does not fit in
 * send_buffer_max; false also when the connection is not an open WebSocket. */
bool		xt_conn_ws_send(xt_conn *c, const char *text, size_t len);

/* Send a close frame (code, reason of at most 123 bytes) and close once it is written. */
void		xt_conn_ws_close(xt_conn *c, uint16_t code, const char *reason);

/* ---- statistics ---------------------------------------------------------------------------- */
typedef struct xt_server_stats
{
	uint64_t	connections_open;	/* now, both listeners */
	uint64_t	ws_open;		/* now */
	uint64_t	accepted_total;
	uint64_t	requests_total;
	uint64_t	ws_messages_in;
	uint64_t	ws_messages_out;
	uint64_t	slow_consumers_dropped;
	uint64_t	timeouts;
	uint64_t	protocol_errors;	/* answered 400/413/431/... or WS closes 1002/1007/1009 */
	uint64_t	bytes_out;
} xt_server_stats;

void		xt_server_get_stats(const xt_server *s, xt_server_stats *out);

/* The "Reason-Phrase" of a status ("Not Found"), "Unknown" for others. */
const char *xt_http_reason(int status);

#ifdef __cplusplus
}
#endif

#endif							/* XT_NET_SERVER_H */
