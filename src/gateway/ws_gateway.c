/*
 * ws_gateway.c: xtrader-ws-gateway, a stand-alone WebSocket server fed by RabbitMQ.
 *
 * The flow document's "WebSocket servers 1..3": the exchange publishes every Execution message
 * (the WS bytes, docs/api.md) to the durable topic exchange "market-notifications" with routing
 * key execution.<SYMBOL>; any number of gateways each consume a private copy and push it to their
 * own WebSocket clients, so WebSocket capacity scales out with more gateways.
 *
 * Threads:
 *  - the main thread runs the project's epoll server (src/net/server.h) and nothing that blocks;
 *  - one AMQP thread (rabbitmq-c is blocking) connects, declares the exchange exactly as the
 *    publisher does (topic, durable, not auto-delete, no arguments), an exclusive auto-delete
 *    server-named queue bound with execution.*, orderbook.*, ticker.*, sets basic.qos prefetch
 *    1000 and consumes with acks. Each delivery is copied into a bounded mutex-protected queue
 *    and the eventfd that is the server's wake_fd is written. The main thread's on_wake drains
 *    the queue and sends every body to the clients; then it publishes the last delivery tag it
 *    handed out, which the AMQP thread acknowledges (multiple=true) on its own connection (a
 *    rabbitmq-c connection is not shared between threads). On any failure the AMQP thread drops
 *    the connection and reconnects with a back-off (100 ms doubling to 5 s). The queue is
 *    exclusive, so it dies with the connection: messages published while no connection is up are
 *    not seen by this gateway (the exchange's clients recover with REST, as after any reconnect).
 *
 * WebSocket protocol (the subset of port 7001 a gateway can serve; it has no symbol table, no
 * keys, no order books of its own):
 *  - every open connection receives every Execution message (routing key execution.*), as the
 *    exchange does with auth off, without any op;
 *  - {"op":"ping"} -> {"type":"pong","ts":N};
 *  - subscribe/unsubscribe: "executions" is acknowledged (it is always on); "orderbook.<SYM>" and
 *    "ticker.<SYM>" are acknowledged, followed by the newest message this gateway has seen with
 *    that routing key (the exchange's order book messages are full snapshots, so it is a valid
 *    start), then relay the messages published with that key; "trades.<SYM>" gets the error frame
 *    UNSUPPORTED_CHANNEL (nothing publishes trades to RabbitMQ). Any well-formed symbol name is
 *    accepted (there is no symbol table to check it against);
 *  - {"op":"auth",...} gets the error frame UNSUPPORTED_OP (no keys here: executions are
 *    broadcast);
 *  - malformed messages get the same error frames as port 7001 (xt_ws_decode).
 * GET /health on the same port: 200 {"status":"ok","amqp":"connected"} or 503
 * {"status":"degraded","amqp":"disconnected"}; other plain HTTP requests 404.
 *
 * Usage: xtrader-ws-gateway [--port 7101] [--listen 127.0.0.1] [--path /v1/ws]
 *          [--amqp amqp://guest:guest@127.0.0.1:5672/] [--exchange market-notifications]
 *          [--max-connections 10000]
 * SIGTERM / SIGINT stop it cleanly; SIGPIPE is ignored. The password of the AMQP URL is never
 * logged (xt_redact_url).
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>

#include "brokers/publisher.h"
#include "common/clock.h"
#include "net/server.h"
#include "net/ws_message.h"

#define GW_QUEUE_CAP		4096	/* deliveries between the AMQP thread and the loop */
#define GW_PREFETCH			1000
#define GW_CHANNEL			1
#define GW_FRAME_MAX		131072
#define GW_HEARTBEAT_S		10
#define GW_CONNECT_TIMEOUT_MS 2000
#define GW_RPC_TIMEOUT_MS	5000
#define GW_POLL_MS			50		/* the AMQP thread's wait for a delivery, between checks */
#define GW_BACKOFF_MIN_MS	100
#define GW_BACKOFF_MAX_MS	5000
#define GW_SUBS_MAX			64		/* relayed channels per connection */
#define GW_CHANNEL_NAME_MAX (10 + XT_SYMBOL_NAME_MAX + 1)	/* "orderbook." + symbol + NUL */
#define GW_ROUTING_KEY_MAX	256
#define GW_LATEST_MAX		4096	/* orderbook/ticker channels whose latest message is kept */

/* ---- logging --------------------------------------------------------------------------------- */

static void gw_log(const char *fmt,...) __attribute__((format(printf, 1, 2)));

static void
gw_log(const char *fmt,...)
{
	char		line[1024];
	struct timespec ts;
	struct tm	tm;
	va_list		ap;
	int			off;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	off = (int) strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	off += snprintf(line + off, sizeof(line) - (size_t) off, ".%03ldZ xtrader-ws-gateway[%d]: ",
					ts.tv_nsec / 1000000, (int) getpid());
	va_start(ap, fmt);
	vsnprintf(line + off, sizeof(line) - (size_t) off, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", line);
}

/* ---- the hand-over queue ------------------------------------------------------------------------ */

typedef struct gw_item
{
	char	   *body;
	size_t		len;
	uint64_t	tag;			/* delivery tag on connection generation gen */
	uint32_t	gen;
	char		routing_key[GW_ROUTING_KEY_MAX];
} gw_item;

typedef struct gw_state
{
	/* options */
	const char *amqp_url;
	char		amqp_url_redacted[512];
	const char *exchange;
	xt_broker_url url;

	int			wake_fd;
	atomic_bool stop;
	atomic_bool amqp_connected;

	pthread_mutex_t mu;
	pthread_cond_t space;
	gw_item		q[GW_QUEUE_CAP];
	uint32_t	q_head;			/* next to pop */
	uint32_t	q_n;
	uint64_t	done_tag;		/* last tag handed to the clients on generation done_gen */
	uint32_t	done_gen;

	/* main thread only */
	xt_server  *server;
	struct gw_conn **conns;
	uint32_t	n_conns;
	uint32_t	cap_conns;
	uint64_t	delivered;		/* messages taken from RabbitMQ */
	uint64_t	dropped_unrouted;
	char	   *out;			/* encoder buffer */
	size_t		out_cap;
	struct gw_latest *latest;	/* the newest message of each orderbook/ticker channel */
	uint32_t	n_latest;
} gw_state;

/*
 * The newest message of one orderbook.<SYM> / ticker.<SYM> channel, sent to a new subscriber at
 * once: the exchange publishes every order book message as a full snapshot of its top levels and
 * every ticker whole, so the newest one is all a client needs to start (RabbitMQ delivers one
 * routing key's messages in publish order).
 */
typedef struct gw_latest
{
	char		channel[GW_CHANNEL_NAME_MAX];
	char	   *body;
	size_t		len;
} gw_latest;

typedef struct gw_conn
{
	uint64_t	id;
	uint32_t	index;			/* in gw_state.conns */
	uint32_t	n_subs;
	char		subs[GW_SUBS_MAX][GW_CHANNEL_NAME_MAX];
} gw_conn;

static volatile sig_atomic_t gw_signalled = 0;
static int	gw_signal_fd = -1;

static void
gw_on_signal(int sig)
{
	uint64_t	one = 1;
	int			saved = errno;

	(void) sig;
	gw_signalled = 1;
	if (gw_signal_fd >= 0)
		(void) !write(gw_signal_fd, &one, sizeof(one));
	errno = saved;
}

static void
gw_wake(gw_state *g)
{
	uint64_t	one = 1;

	(void) !write(g->wake_fd, &one, sizeof(one));
}

/* AMQP thread: copies one delivery into the queue, waiting for room (bounded by the stop flag). */
static bool
gw_push(gw_state *g, const amqp_envelope_t *env, uint32_t gen)
{
	gw_item		it;
	size_t		rk = env->routing_key.len;

	memset(&it, 0, sizeof(it));
	it.len = env->message.body.len;
	it.body = malloc(it.len + 1);
	if (it.body == NULL)
		return false;
	memcpy(it.body, env->message.body.bytes, it.len);
	it.body[it.len] = '\0';
	if (rk >= sizeof(it.routing_key))
		rk = sizeof(it.routing_key) - 1;
	memcpy(it.routing_key, env->routing_key.bytes, rk);
	it.routing_key[rk] = '\0';
	it.tag = env->delivery_tag;
	it.gen = gen;

	pthread_mutex_lock(&g->mu);
	while (g->q_n == GW_QUEUE_CAP && !atomic_load(&g->stop))
	{
		struct timespec dl;

		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_nsec += 100 * 1000000L;
		if (dl.tv_nsec >= 1000000000L)
		{
			dl.tv_sec++;
			dl.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&g->space, &g->mu, &dl);
	}
	if (g->q_n == GW_QUEUE_CAP)
	{
		pthread_mutex_unlock(&g->mu);
		free(it.body);
		return false;
	}
	g->q[(g->q_head + g->q_n) % GW_QUEUE_CAP] = it;
	g->q_n++;
	pthread_mutex_unlock(&g->mu);
	gw_wake(g);
	return true;
}

/* ---- the AMQP thread ------------------------------------------------------------------------------ */

static struct timeval
gw_tv(int ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return tv;
}

static bool
gw_rpc_ok(amqp_rpc_reply_t r, const char *what)
{
	switch (r.reply_type)
	{
		case AMQP_RESPONSE_NORMAL:
			return true;
		case AMQP_RESPONSE_NONE:
			gw_log("amqp %s: missing RPC reply", what);
			break;
		case AMQP_RESPONSE_LIBRARY_EXCEPTION:
			gw_log("amqp %s: %s", what, amqp_error_string2(r.library_error));
			break;
		case AMQP_RESPONSE_SERVER_EXCEPTION:
			if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD)
			{
				amqp_connection_close_t *m = r.reply.decoded;

				gw_log("amqp %s: connection closed by the server: %u %.*s", what, m->reply_code,
					   (int) m->reply_text.len, (const char *) m->reply_text.bytes);
			}
			else if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD)
			{
				amqp_channel_close_t *m = r.reply.decoded;

				gw_log("amqp %s: channel closed by the server: %u %.*s", what, m->reply_code,
					   (int) m->reply_text.len, (const char *) m->reply_text.bytes);
			}
			else
				gw_log("amqp %s: unexpected server method 0x%08x", what, (unsigned) r.reply.id);
			break;
	}
	return false;
}

/* Opens the connection, the channel, the exchange, the queue, its bindings and the consumer. */
static amqp_connection_state_t
gw_amqp_connect(gw_state *g)
{
	static const char *const bindings[] = {"execution.*", "orderbook.*", "ticker.*"};
	amqp_connection_state_t conn = amqp_new_connection();
	amqp_socket_t *sock;
	struct timeval ctv = gw_tv(GW_CONNECT_TIMEOUT_MS);
	struct timeval rtv = gw_tv(GW_RPC_TIMEOUT_MS);
	amqp_queue_declare_ok_t *qok;
	amqp_bytes_t queue;
	int			rc;

	if (conn == NULL)
		return NULL;
	sock = amqp_tcp_socket_new(conn);
	if (sock == NULL)
		goto fail;
	rc = amqp_socket_open_noblock(sock, g->url.host, g->url.port, &ctv);
	if (rc != AMQP_STATUS_OK)
	{
		gw_log("amqp connect to %s:%d: %s", g->url.host, g->url.port, amqp_error_string2(rc));
		goto fail;
	}
	amqp_set_handshake_timeout(conn, &ctv);
	amqp_set_rpc_timeout(conn, &rtv);
	if (!gw_rpc_ok(amqp_login(conn, g->url.vhost, 0, GW_FRAME_MAX, GW_HEARTBEAT_S,
							  AMQP_SASL_METHOD_PLAIN, g->url.user, g->url.password), "login"))
		goto fail;
	amqp_channel_open(conn, GW_CHANNEL);
	if (!gw_rpc_ok(amqp_get_rpc_reply(conn), "channel.open"))
		goto fail;
	/* exactly the publisher's declaration (src/brokers/amqp_pub.c): equivalent, so never refused */
	amqp_exchange_declare(conn, GW_CHANNEL, amqp_cstring_bytes(g->exchange),
						  amqp_cstring_bytes("topic"), 0 /* passive */ , 1 /* durable */ ,
						  0 /* auto_delete */ , 0 /* internal */ , amqp_empty_table);
	if (!gw_rpc_ok(amqp_get_rpc_reply(conn), "exchange.declare"))
		goto fail;
	qok = amqp_queue_declare(conn, GW_CHANNEL, amqp_empty_bytes, 0 /* passive */ ,
							 0 /* durable */ , 1 /* exclusive */ , 1 /* auto_delete */ ,
							 amqp_empty_table);
	if (!gw_rpc_ok(amqp_get_rpc_reply(conn), "queue.declare") || qok == NULL)
		goto fail;
	queue = amqp_bytes_malloc_dup(qok->queue);
	if (queue.bytes == NULL)
		goto fail;
	for (size_t i = 0; i < sizeof(bindings) / sizeof(bindings[0]); i++)
	{
		amqp_queue_bind(conn, GW_CHANNEL, queue, amqp_cstring_bytes(g->exchange),
						amqp_cstring_bytes(bindings[i]), amqp_empty_table);
		if (!gw_rpc_ok(amqp_get_rpc_reply(conn), "queue.bind"))
		{
			amqp_bytes_free(queue);
			goto fail;
		}
	}
	amqp_basic_qos(conn, GW_CHANNEL, 0, GW_PREFETCH, 0);
	if (!gw_rpc_ok(amqp_get_rpc_reply(conn), "basic.qos"))
	{
		amqp_bytes_free(queue);
		goto fail;
	}
	amqp_basic_consume(conn, GW_CHANNEL, queue, amqp_empty_bytes, 0 /* no_local */ ,
					   0 /* no_ack */ , 1 /* exclusive */ , amqp_empty_table);
	amqp_bytes_free(queue);
	if (!gw_rpc_ok(amqp_get_rpc_reply(conn), "basic.consume"))
		goto fail;
	return conn;

fail:
	amqp_destroy_connection(conn);
	return NULL;
}

static void
gw_amqp_close(amqp_connection_state_t conn, bool graceful)
{
	if (conn == NULL)
		return;
	if (graceful)
	{
		struct timeval tv = gw_tv(1000);

		amqp_set_rpc_timeout(conn, &tv);
		amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
	}
	amqp_destroy_connection(conn);
}

/* Sleeps ms in slices, returning early on stop. */
static void
gw_sleep_ms(gw_state *g, int ms)
{
	int64_t		end = xt_mono_ms() + ms;

	while (!atomic_load(&g->stop))
	{
		int64_t		left = end - xt_mono_ms();
		struct timespec ts;

		if (left <= 0)
			return;
		if (left > 50)
			left = 50;
		ts.tv_sec = 0;
		ts.tv_nsec = (long) left * 1000000L;
		nanosleep(&ts, NULL);
	}
}

static void *
gw_amqp_thread(void *arg)
{
	gw_state   *g = arg;
	int			backoff = GW_BACKOFF_MIN_MS;
	uint32_t	gen = 0;

	while (!atomic_load(&g->stop))
	{
		amqp_connection_state_t conn = gw_amqp_connect(g);
		uint64_t	acked = 0;
		bool		graceful = true;

		if (conn == NULL)
		{
			gw_sleep_ms(g, backoff);
			backoff = backoff * 2 > GW_BACKOFF_MAX_MS ? GW_BACKOFF_MAX_MS : backoff * 2;
			continue;
		}
		gen++;
		pthread_mutex_lock(&g->mu);
		g->done_gen = gen;
		g->done_tag = 0;
		pthread_mutex_unlock(&g->mu);
		backoff = GW_BACKOFF_MIN_MS;
		atomic_store(&g->amqp_connected, true);
		gw_wake(g);				/* /health changes */
		gw_log("amqp connected to %s, exchange \"%s\"", g->amqp_url_redacted, g->exchange);

		while (!atomic_load(&g->stop))
		{
			amqp_envelope_t env;
			amqp_rpc_reply_t r;
			struct timeval tv = gw_tv(GW_POLL_MS);
			uint64_t	done;

			/* acknowledge what the loop handed to the clients */
			pthread_mutex_lock(&g->mu);
			done = g->done_gen == gen ? g->done_tag : 0;
			pthread_mutex_unlock(&g->mu);
			if (done > acked)
			{
				if (amqp_basic_ack(conn, GW_CHANNEL, done, 1 /* multiple */ ) != AMQP_STATUS_OK)
				{
					gw_log("amqp basic.ack failed");
					graceful = false;
					break;
				}
				acked = done;
			}

			amqp_maybe_release_buffers(conn);
			r = amqp_consume_message(conn, &env, &tv, 0);
			if (r.reply_type == AMQP_RESPONSE_NORMAL)
			{
				bool		ok = gw_push(g, &env, gen);

				amqp_destroy_envelope(&env);
				if (!ok)
				{
					if (!atomic_load(&g->stop))
						gw_log("out of memory for a delivery; reconnecting");
					break;
				}
				continue;
			}
			if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
				r.library_error == AMQP_STATUS_TIMEOUT)
				continue;
			if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
				r.library_error == AMQP_STATUS_UNEXPECTED_STATE)
			{
				/* a frame other than a delivery: the broker closing the channel/connection */
				amqp_frame_t frame;
				struct timeval ftv = gw_tv(GW_POLL_MS);

				if (amqp_simple_wait_frame_noblock(conn, &frame, &ftv) == AMQP_STATUS_OK &&
					frame.frame_type == AMQP_FRAME_METHOD)
				{
					if (frame.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD)
					{
						amqp_connection_close_ok_t ok;

						amqp_send_method(conn, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
						gw_log("amqp connection closed by the server");
						graceful = false;
						break;
					}
					if (frame.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD)
					{
						gw_log("amqp channel closed by the server");
						break;
					}
					continue;	/* basic.ack etc.: ignore */
				}
				continue;
			}
			if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION)
				gw_log("amqp consume: %s", amqp_error_string2(r.library_error));
			else
				gw_log("amqp consume: unexpected reply type %d", (int) r.reply_type);
			graceful = false;
			break;
		}
		atomic_store(&g->amqp_connected, false);
		gw_wake(g);
		gw_amqp_close(conn, graceful && atomic_load(&g->stop));
		if (!atomic_load(&g->stop))
		{
			gw_log("amqp disconnected; reconnecting");
			gw_sleep_ms(g, backoff);
		}
	}
	return NULL;
}

/* ---- the WebSocket side (main thread) ---------------------------------------------------------- */

/* No symbol table here: any name of the allowed length is a symbol (id 0). */
static bool
gw_symbol_lookup(void *ctx, const char *name, size_t len, xt_symbol_spec *out)
{
	(void) ctx;
	(void) name;
	if (len == 0 || len > XT_SYMBOL_NAME_MAX)
		return false;
	memset(out, 0, sizeof(*out));
	out->min_lots = 1;
	out->max_lots = 1;
	return true;
}

static void
gw_send_error(gw_state *g, xt_conn *c, const char *code, const char *msg)
{
	size_t		n = xt_ws_encode_error(code, msg, g->out, g->out_cap);

	if (n)
		xt_conn_ws_send(c, g->out, n);
}

static void
gw_on_ws_open(void *ctx, xt_conn *c)
{
	gw_state   *g = ctx;
	gw_conn    *gc;

	if (g->n_conns == g->cap_conns)
	{
		uint32_t	ncap = g->cap_conns ? g->cap_conns * 2 : 64;
		gw_conn   **n = realloc(g->conns, ncap * sizeof(*n));

		if (n == NULL)
		{
			xt_conn_ws_close(c, 1011, "out of memory");
			return;
		}
		g->conns = n;
		g->cap_conns = ncap;
	}
	gc = calloc(1, sizeof(*gc));
	if (gc == NULL)
	{
		xt_conn_ws_close(c, 1011, "out of memory");
		return;
	}
	gc->id = xt_conn_id(c);
	gc->index = g->n_conns;
	g->conns[g->n_conns++] = gc;
	xt_conn_set_user(c, gc);
}

static void
gw_on_close(void *ctx, xt_conn *c)
{
	gw_state   *g = ctx;
	gw_conn    *gc = xt_conn_user(c);

	if (gc == NULL)
		return;
	xt_conn_set_user(c, NULL);
	if (gc->index < g->n_conns && g->conns[gc->index] == gc)
	{
		gw_conn    *last = g->conns[--g->n_conns];

		g->conns[gc->index] = last;
		last->index = gc->index;
	}
	free(gc);
}

static int
gw_sub_index(const gw_conn *gc, const char *name)
{
	for (uint32_t i = 0; i < gc->n_subs; i++)
		if (strcmp(gc->subs[i], name) == 0)
			return (int) i;
	return -1;
}

static gw_latest *gw_latest_find(gw_state *g, const char *channel);

static void
gw_subscribe(gw_state *g, xt_conn *c, gw_conn *gc, const xt_ws_request *r)
{
	bool		subscribe = r->op == XT_WS_OP_SUBSCRIBE;
	uint32_t	adding = 0;
	size_t		n;

	/* check first, so a refused message changes nothing */
	for (int i = 0; i < r->n_channels; i++)
	{
		const xt_ws_channel *ch = &r->channels[i];
		char		name[GW_CHANNEL_NAME_MAX];

		if (ch->kind == XT_WS_CH_TRADES)
		{
			char		msg[XT_ERROR_MESSAGE_MAX];

			snprintf(msg, sizeof(msg),
					 "trades.%s is not served by this gateway (use executions, orderbook.<SYMBOL>, "
					 "ticker.<SYMBOL>)", ch->symbol_name);
			gw_send_error(g, c, "UNSUPPORTED_CHANNEL", msg);
			return;
		}
		if (ch->kind == XT_WS_CH_EXECUTIONS || !subscribe)
			continue;
		if (xt_ws_channel_name(ch, name, sizeof(name)) == 0)
		{
			gw_send_error(g, c, "INVALID_CHANNEL", "channel name too long");
			return;
		}
		if (gw_sub_index(gc, name) < 0)
			adding++;
	}
	if (subscribe && gc->n_subs + adding > GW_SUBS_MAX)
	{
		gw_send_error(g, c, "TOO_MANY_CHANNELS", "a connection holds at most 64 channels");
		return;
	}
	for (int i = 0; i < r->n_channels; i++)
	{
		const xt_ws_channel *ch = &r->channels[i];
		char		name[GW_CHANNEL_NAME_MAX];
		int			at;

		if (ch->kind == XT_WS_CH_EXECUTIONS)
			continue;			/* always on: every connection gets every execution */
		if (xt_ws_channel_name(ch, name, sizeof(name)) == 0)
			continue;
		at = gw_sub_index(gc, name);
		if (subscribe && at < 0 && gc->n_subs < GW_SUBS_MAX)
			memcpy(gc->subs[gc->n_subs++], name, sizeof(name));
		else if (!subscribe && at >= 0)
		{
			if ((uint32_t) at != gc->n_subs - 1)
				memcpy(gc->subs[at], gc->subs[gc->n_subs - 1], sizeof(gc->subs[at]));
			gc->n_subs--;
		}
	}
	n = xt_ws_encode_subscribed((xt_ws_op) r->op, r->channels, r->n_channels, g->out, g->out_cap);
	if (n)
		xt_conn_ws_send(c, g->out, n);
	/* then what the channels hold now, as port 7001 sends a snapshot and the ticker */
	for (int i = 0; subscribe && i < r->n_channels; i++)
	{
		char		name[GW_CHANNEL_NAME_MAX];
		const gw_latest *l;

		if (r->channels[i].kind == XT_WS_CH_EXECUTIONS ||
			xt_ws_channel_name(&r->channels[i], name, sizeof(name)) == 0)
			continue;
		l = gw_latest_find(g, name);
		if (l && l->body)
			xt_conn_ws_send(c, l->body, l->len);
	}
}

static void
gw_on_ws_text(void *ctx, xt_conn *c, const char *text, size_t len)
{
	gw_state   *g = ctx;
	gw_conn    *gc = xt_conn_user(c);
	xt_ws_request r;
	xt_ws_error e;
	char		msg[XT_ERROR_MESSAGE_MAX];

	if (gc == NULL)
		return;
	e = xt_ws_decode(text, len, gw_symbol_lookup, g, &r, msg, sizeof(msg));
	if (e != XT_WS_OK)
	{
		gw_send_error(g, c, xt_ws_error_name(e), msg);
		return;
	}
	switch (r.op)
	{
		case XT_WS_OP_AUTH:
			gw_send_error(g, c, "UNSUPPORTED_OP",
						  "this gateway has no keys: every connection receives all executions");
			break;
		case XT_WS_OP_SUBSCRIBE:
		case XT_WS_OP_UNSUBSCRIBE:
			gw_subscribe(g, c, gc, &r);
			break;
		case XT_WS_OP_PING:
			{
				size_t		n = xt_ws_encode_pong(xt_wall_ms(), g->out, g->out_cap);

				if (n)
					xt_conn_ws_send(c, g->out, n);
			}
			break;
	}
}

static void
gw_on_request(void *ctx, xt_conn *c, const xt_http_request *req)
{
	gw_state   *g = ctx;
	bool		get = req->method_len == 3 && memcmp(req->method, "GET", 3) == 0;
	size_t		tl = req->target_len;
	const char *q = memchr(req->target, '?', tl);

	if (q)
		tl = (size_t) (q - req->target);
	if (tl == 7 && memcmp(req->target, "/health", 7) == 0)
	{
		static const char ok[] = "{\"status\":\"ok\",\"amqp\":\"connected\"}";
		static const char bad[] = "{\"status\":\"degraded\",\"amqp\":\"disconnected\"}";

		if (!get)
		{
			static const char na[] = "{\"error\":\"METHOD_NOT_ALLOWED\",\"message\":\"use GET\"}";

			xt_conn_respond(c, 405, "application/json", "Allow: GET\r\n", na, sizeof(na) - 1);
			return;
		}
		if (atomic_load(&g->amqp_connected))
			xt_conn_respond(c, 200, "application/json", NULL, ok, sizeof(ok) - 1);
		else
			xt_conn_respond(c, 503, "application/json", NULL, bad, sizeof(bad) - 1);
		return;
	}
	{
		static const char nf[] = "{\"error\":\"NOT_FOUND\",\"message\":\"no such endpoint\"}";

		xt_conn_respond(c, 404, "application/json", NULL, nf, sizeof(nf) - 1);
	}
}

static gw_latest *
gw_latest_find(gw_state *g, const char *channel)
{
	for (uint32_t i = 0; i < g->n_latest; i++)
		if (strcmp(g->latest[i].channel, channel) == 0)
			return &g->latest[i];
	return NULL;
}

/* Keep a copy of an orderbook/ticker delivery as its channel's newest message. */
static void
gw_remember(gw_state *g, const gw_item *it)
{
	gw_latest  *l = gw_latest_find(g, it->routing_key);
	char	   *copy;

	if (strlen(it->routing_key) >= GW_CHANNEL_NAME_MAX)
		return;					/* no client can subscribe to it */
	if (l == NULL)
	{
		if (g->n_latest == GW_LATEST_MAX)
			return;				/* bounded: later channels are relayed, not kept */
		l = &g->latest[g->n_latest++];
		snprintf(l->channel, sizeof(l->channel), "%s", it->routing_key);
		l->body = NULL;
	}
	copy = malloc(it->len > 0 ? it->len : 1);
	if (copy == NULL)
		return;					/* keep the older one: still a valid snapshot */
	memcpy(copy, it->body, it->len);
	free(l->body);
	l->body = copy;
	l->len = it->len;
}

/* Sends one delivery to its connections: executions to all, orderbook/ticker to subscribers. */
static void
gw_route(gw_state *g, const gw_item *it)
{
	bool		all = strncmp(it->routing_key, "execution.", 10) == 0;

	if (!all && strncmp(it->routing_key, "orderbook.", 10) != 0 &&
		strncmp(it->routing_key, "ticker.", 7) != 0)
	{
		g->dropped_unrouted++;
		return;
	}
	if (!all)
		gw_remember(g, it);
	/* a send can close a slow consumer; that connection's on_close runs later from the loop, but
	 * iterate by id to stay safe either way */
	for (uint32_t i = 0; i < g->n_conns; i++)
	{
		gw_conn    *gc = g->conns[i];
		xt_conn    *c;

		if (!all && gw_sub_index(gc, it->routing_key) < 0)
			continue;
		c = xt_server_find(g->server, gc->id);
		if (c == NULL || !xt_conn_is_ws(c))
			continue;
		(void) xt_conn_ws_send(c, it->body, it->len);
	}
}

static void
gw_on_wake(void *ctx)
{
	gw_state   *g = ctx;

	for (;;)
	{
		gw_item		batch[256];
		uint32_t	n = 0;

		pthread_mutex_lock(&g->mu);
		while (n < 256 && g->q_n > 0)
		{
			batch[n++] = g->q[g->q_head];
			g->q_head = (g->q_head + 1) % GW_QUEUE_CAP;
			g->q_n--;
		}
		pthread_mutex_unlock(&g->mu);
		if (n == 0)
			return;
		for (uint32_t i = 0; i < n; i++)
		{
			gw_route(g, &batch[i]);
			free(batch[i].body);
		}
		g->delivered += n;
		/* queued to every client: the AMQP thread may acknowledge up to the last tag */
		pthread_mutex_lock(&g->mu);
		for (uint32_t i = 0; i < n; i++)
			if (batch[i].gen == g->done_gen && batch[i].tag > g->done_tag)
				g->done_tag = batch[i].tag;
		pthread_cond_signal(&g->space);
		pthread_mutex_unlock(&g->mu);
	}
}

/* ---- main -------------------------------------------------------------------------------------- */

static void
gw_usage(FILE *f)
{
	fprintf(f,
			"usage: xtrader-ws-gateway [--port 7101] [--listen 127.0.0.1] [--path /v1/ws]\n"
			"         [--amqp amqp://guest:guest@127.0.0.1:5672/] [--exchange market-notifications]\n"
			"         [--max-connections 10000]\n");
}

static bool
gw_int_arg(const char *s, long lo, long hi, long *out)
{
	char	   *end;
	long		v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

int
main(int argc, char **argv)
{
	static gw_state g;
	xt_server_config cfg;
	xt_server_callbacks cb;
	char		err[256];
	long		port = 7101;
	long		max_conn = 10000;
	const char *listen_addr = "127.0.0.1";
	const char *path = "/v1/ws";
	pthread_t	th;
	struct sigaction sa;
	int			rc = 0;

	g.amqp_url = "amqp://guest:guest@127.0.0.1:5672/";
	g.exchange = XT_PUB_DEFAULT_AMQP_EXCHANGE;
	for (int i = 1; i < argc; i++)
	{
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
		{
			gw_usage(stdout);
			return 0;
		}
		if (v == NULL)
		{
			gw_usage(stderr);
			return 2;
		}
		i++;
		if (strcmp(a, "--port") == 0)
		{
			if (!gw_int_arg(v, 1, 65535, &port))
			{
				fprintf(stderr, "xtrader-ws-gateway: --port must be 1..65535\n");
				return 2;
			}
		}
		else if (strcmp(a, "--max-connections") == 0)
		{
			if (!gw_int_arg(v, 1, 1000000, &max_conn))
			{
				fprintf(stderr, "xtrader-ws-gateway: --max-connections must be 1..1000000\n");
				return 2;
			}
		}
		else if (strcmp(a, "--listen") == 0)
			listen_addr = v;
		else if (strcmp(a, "--path") == 0)
			path = v;
		else if (strcmp(a, "--amqp") == 0)
			g.amqp_url = v;
		else if (strcmp(a, "--exchange") == 0)
			g.exchange = v;
		else
		{
			gw_usage(stderr);
			return 2;
		}
	}
	xt_redact_url(g.amqp_url, g.amqp_url_redacted, sizeof(g.amqp_url_redacted));
	if (!xt_parse_amqp_url(g.amqp_url, &g.url, err, sizeof(err)))
	{
		fprintf(stderr, "xtrader-ws-gateway: --amqp %s: %s\n", g.amqp_url_redacted, err);
		return 2;
	}
	if (g.exchange[0] == '\0' || strlen(g.exchange) > 255)
	{
		fprintf(stderr, "xtrader-ws-gateway: --exchange must be 1..255 bytes\n");
		return 2;
	}
	if (path[0] != '/')
	{
		fprintf(stderr, "xtrader-ws-gateway: --path must start with /\n");
		return 2;
	}

	g.out_cap = 8192;
	g.out = malloc(g.out_cap);
	g.latest = calloc(GW_LATEST_MAX, sizeof(gw_latest));
	g.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (g.out == NULL || g.latest == NULL || g.wake_fd < 0)
	{
		fprintf(stderr, "xtrader-ws-gateway: cannot allocate: %s\n", strerror(errno));
		return 1;
	}
	gw_signal_fd = g.wake_fd;
	pthread_mutex_init(&g.mu, NULL);
	pthread_cond_init(&g.space, NULL);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	xt_server_config_defaults(&cfg);
	cfg.listen_addr = listen_addr;
	cfg.rest_port = 0;
	cfg.ws_port = (int) port;
	cfg.ws_path = path;
	cfg.wake_fd = g.wake_fd;
	cfg.max_connections = (uint32_t) max_conn;
	memset(&cb, 0, sizeof(cb));
	cb.ctx = &g;
	cb.on_request = gw_on_request;
	cb.on_ws_open = gw_on_ws_open;
	cb.on_ws_text = gw_on_ws_text;
	cb.on_close = gw_on_close;
	cb.on_wake = gw_on_wake;
	if (xt_server_open(&g.server, &cfg, &cb, err, sizeof(err)) != 0)
	{
		fprintf(stderr, "xtrader-ws-gateway: %s\n", err);
		return 1;
	}

	/* signals: the handler only sets a flag and writes the eventfd */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = gw_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	/* the AMQP thread gets no signals: they go to the loop */
	{
		sigset_t	block,
					old;

		sigemptyset(&block);
		sigaddset(&block, SIGTERM);
		sigaddset(&block, SIGINT);
		pthread_sigmask(SIG_BLOCK, &block, &old);
		if (pthread_create(&th, NULL, gw_amqp_thread, &g) != 0)
		{
			fprintf(stderr, "xtrader-ws-gateway: cannot start the AMQP thread\n");
			xt_server_close(g.server);
			return 1;
		}
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	gw_log("listening on ws://%s:%ld%s (GET /health), amqp %s, exchange \"%s\"", listen_addr, port,
		   path, g.amqp_url_redacted, g.exchange);

	while (!gw_signalled)
	{
		if (xt_server_run_once(g.server, 1000) != 0 && errno != EINTR)
		{
			gw_log("epoll failed: %s", strerror(errno));
			rc = 1;
			break;
		}
	}
	gw_log("stopping");
	atomic_store(&g.stop, true);
	pthread_mutex_lock(&g.mu);
	pthread_cond_broadcast(&g.space);
	pthread_mutex_unlock(&g.mu);
	pthread_join(th, NULL);
	gw_on_wake(&g);				/* what was still queued goes out with the close */
	xt_server_close(g.server);
	for (uint32_t i = 0; i < g.q_n; i++)
		free(g.q[(g.q_head + i) % GW_QUEUE_CAP].body);
	free(g.conns);
	free(g.out);
	for (uint32_t i = 0; i < g.n_latest; i++)
		free(g.latest[i].body);
	free(g.latest);
	close(g.wake_fd);
	memset(&g.url, 0, sizeof(g.url));
	gw_log("stopped (%llu messages delivered)", (unsigned long long) g.delivered);
	return rc;
}
