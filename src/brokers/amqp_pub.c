/*
 * amqp_pub.c: the RabbitMQ publisher (rabbitmq-c / librabbitmq, AMQP 0-9-1).
 *
 * Owns: one connection with one channel (1) in confirm mode, the durable topic exchange it
 * declares on connect (default "market-notifications"), and the mapping of a batch onto
 * persistent basic.publish frames (delivery_mode 2, content_type application/json, message_id =
 * the id in decimal, routing key from the message) followed by one bounded wait for the broker's
 * basic.ack / basic.nack (multiple=true acks settle every tag up to theirs).
 *
 * Delivery tags: confirm.select numbers the channel's publishes 1, 2, 3...; a batch's messages
 * get next_tag .. next_tag + n - 1. A batch either has every tag settled or the connection is
 * dropped (timeout, I/O error, channel closed), so a late ack can never be taken for another
 * batch's: a new connection starts at tag 1 again.
 *
 * Bounded: TCP connect and the AMQP handshake by connect_timeout_ms; RPCs and the confirm wait by
 * io_timeout_ms. rabbitmq-c writes basic.publish frames with no deadline, so a broker that stops
 * reading (SIGSTOP, memory alarm) could block a write forever once the socket's send buffer is
 * full. We keep the bytes not yet acknowledged by the peer's TCP stack (SIOCOUTQ) below a quarter
 * of the send buffer before each publish, waiting for room at most until the batch deadline: a
 * write then always fits in the buffer and returns at once.
 *
 * Messages to a routing key no queue is bound to are dropped by the exchange and still acked
 * (no mandatory flag): they are notifications for whoever listens.
 *
 * Threads: the publisher's owner only.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <linux/sockios.h>

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>

#include "brokers/publisher.h"
#include "common/clock.h"

#define XT_AMQP_CHANNEL		1
#define XT_AMQP_FRAME_MAX	131072
#define XT_AMQP_SNDBUF		(1 << 20)

typedef struct amqp_impl
{
	xt_broker_url url;
	const char *exchange;
	amqp_connection_state_t conn;
	bool		open;			/* login done: a graceful close is possible */
	int			fd;
	int			outq_budget;	/* max unacknowledged bytes in the socket before a write */
	uint64_t	next_tag;		/* delivery tag of the next publish on this channel */
	size_t		cap;
	unsigned char *status;		/* per message of the batch: 0 pending, 1 acked, 2 nacked */
} amqp_impl;

enum
{
	TAG_PENDING = 0,
	TAG_ACKED,
	TAG_NACKED
};

static struct timeval
ms_to_tv(int64_t ms)
{
	struct timeval tv;

	if (ms < 0)
		ms = 0;
	tv.tv_sec = (time_t) (ms / 1000);
	tv.tv_usec = (suseconds_t) ((ms % 1000) * 1000);
	return tv;
}

/* Sets the error text from an RPC reply; returns true when the reply is a success. */
static bool
rpc_ok(xt_publisher *p, amqp_rpc_reply_t r, const char *what)
{
	switch (r.reply_type)
	{
		case AMQP_RESPONSE_NORMAL:
			return true;
		case AMQP_RESPONSE_NONE:
			xt_pub_set_error(p, "%s: missing RPC reply", what);
			break;
		case AMQP_RESPONSE_LIBRARY_EXCEPTION:
			if (r.library_error == AMQP_STATUS_TIMEOUT)
				xt_pub_set_error(p, "%s: no answer within the timeout", what);
			else
				xt_pub_set_error(p, "%s: %s", what, amqp_error_string2(r.library_error));
			break;
		case AMQP_RESPONSE_SERVER_EXCEPTION:
			if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD)
			{
				amqp_connection_close_t *m = r.reply.decoded;

				xt_pub_set_error(p, "%s: connection closed by the server: %u %.*s", what,
								 m->reply_code, (int) m->reply_text.len,
								 (const char *) m->reply_text.bytes);
			}
			else if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD)
			{
				amqp_channel_close_t *m = r.reply.decoded;

				xt_pub_set_error(p, "%s: channel closed by the server: %u %.*s", what,
								 m->reply_code, (int) m->reply_text.len,
								 (const char *) m->reply_text.bytes);
			}
			else
				xt_pub_set_error(p, "%s: unexpected server method 0x%08x", what,
								 (unsigned) r.reply.id);
			break;
	}
	return false;
}

static bool
amqp_pub_init(xt_publisher *p)
{
	amqp_impl  *a = calloc(1, sizeof(*a));
	char		err[XT_PUB_ERRLEN];

	if (a == NULL)
	{
		xt_pub_set_error(p, "out of memory");
		return false;
	}
	p->impl = a;
	a->fd = -1;
	if (!xt_parse_amqp_url(p->cfg.url, &a->url, err, sizeof(err)))
	{
		xt_pub_set_error(p, "xtrader.amqp_url: %s", err);
		return false;
	}
	a->exchange = p->cfg.target ? p->cfg.target : XT_PUB_DEFAULT_AMQP_EXCHANGE;
	if (a->exchange[0] == '\0' || strlen(a->exchange) > 255)
	{
		xt_pub_set_error(p, "exchange name must be 1..255 bytes");
		return false;
	}
	return true;
}

static void
amqp_pub_disconnect(xt_publisher *p)
{
	amqp_impl  *a = p->impl;

	if (a->conn == NULL)
		return;
	if (a->open)
	{
		/* graceful close (no "client unexpectedly closed" in the broker's log), but briefly */
		struct timeval tv = ms_to_tv(p->cfg.io_timeout_ms < 1000 ? p->cfg.io_timeout_ms : 1000);

		amqp_set_rpc_timeout(a->conn, &tv);
		amqp_connection_close(a->conn, AMQP_REPLY_SUCCESS);
	}
	amqp_destroy_connection(a->conn);
	a->conn = NULL;
	a->open = false;
	a->fd = -1;
}

static void
amqp_pub_fini(xt_publisher *p)
{
	amqp_impl  *a = p->impl;

	if (a == NULL)
		return;
	if (a->conn)
	{
		amqp_destroy_connection(a->conn);
		a->conn = NULL;
	}
	memset(&a->url, 0, sizeof(a->url));
	free(a->status);
	free(a);
	p->impl = NULL;
}

static bool
amqp_pub_connect(xt_publisher *p)
{
	amqp_impl  *a = p->impl;
	amqp_socket_t *sock;
	struct timeval ctv = ms_to_tv(p->cfg.connect_timeout_ms);
	struct timeval iotv = ms_to_tv(p->cfg.io_timeout_ms);
	int			rc;
	int			sndbuf = XT_AMQP_SNDBUF;
	socklen_t	optlen = sizeof(sndbuf);

	amqp_pub_disconnect(p);
	a->conn = amqp_new_connection();
	if (a->conn == NULL)
	{
		xt_pub_set_error(p, "out of memory");
		return false;
	}
	sock = amqp_tcp_socket_new(a->conn);
	if (sock == NULL)
	{
		xt_pub_set_error(p, "cannot create a socket");
		return false;
	}
	rc = amqp_socket_open_noblock(sock, a->url.host, a->url.port, &ctv);
	if (rc != AMQP_STATUS_OK)
	{
		xt_pub_set_error(p, "connect to %s:%d: %s", a->url.host, a->url.port,
						 amqp_error_string2(rc));
		return false;
	}
	a->fd = amqp_socket_get_sockfd(sock);
	/* a known, large send buffer: the budget for unacknowledged bytes is a part of it */
	(void) setsockopt(a->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (getsockopt(a->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &optlen) != 0 || sndbuf < 16384)
		sndbuf = 16384;
	a->outq_budget = sndbuf / 4;
	amqp_set_handshake_timeout(a->conn, &ctv);
	amqp_set_rpc_timeout(a->conn, &ctv);

	/* heartbeat 0: dead peers are found by our own timeouts on every call */
	if (!rpc_ok(p, amqp_login(a->conn, a->url.vhost, 0, XT_AMQP_FRAME_MAX, 0,
							  AMQP_SASL_METHOD_PLAIN, a->url.user, a->url.password),
				"login"))
		return false;
	a->open = true;
	amqp_channel_open(a->conn, XT_AMQP_CHANNEL);
	if (!rpc_ok(p, amqp_get_rpc_reply(a->conn), "channel.open"))
		return false;
	amqp_exchange_declare(a->conn, XT_AMQP_CHANNEL, amqp_cstring_bytes(a->exchange),
						  amqp_cstring_bytes("topic"), 0 /* passive */ , 1 /* durable */ ,
						  0 /* auto_delete */ , 0 /* internal */ , amqp_empty_table);
	if (!rpc_ok(p, amqp_get_rpc_reply(a->conn), "exchange.declare"))
		return false;
	amqp_confirm_select(a->conn, XT_AMQP_CHANNEL);
	if (!rpc_ok(p, amqp_get_rpc_reply(a->conn), "confirm.select"))
		return false;
	amqp_set_rpc_timeout(a->conn, &iotv);
	a->next_tag = 1;
	return true;
}

/* Health check: a passive exchange.declare, one RPC that also proves the exchange exists. */
static bool
amqp_pub_ping(xt_publisher *p)
{
	amqp_impl  *a = p->impl;

	amqp_rpc_reply_t r;

	amqp_exchange_declare(a->conn, XT_AMQP_CHANNEL, amqp_cstring_bytes(a->exchange),
						  amqp_cstring_bytes("topic"), 1, 1, 0, 0, amqp_empty_table);
	r = amqp_get_rpc_reply(a->conn);
	if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION)
		a->open = false;		/* timed out or I/O error: no close handshake */
	return rpc_ok(p, r, "health check (exchange.declare passive)");
}

/*
 * Waits until `need` more bytes fit in the socket without blocking (see the header comment).
 * False when the deadline passes first.
 */
static bool
wait_for_room(amqp_impl *a, int need, int64_t deadline)
{
	for (;;)
	{
		int			outq = 0;

		if (ioctl(a->fd, SIOCOUTQ, &outq) != 0)
			return true;		/* not a TCP socket we know: let the write decide */
		if (outq + need <= a->outq_budget || outq == 0)
			return true;
		if (xt_mono_ms() >= deadline)
			return false;
		/* the peer is slow or stopped: give its TCP stack a millisecond to acknowledge */
		(void) poll(NULL, 0, 1);
	}
}

static bool
grow(amqp_impl *a, size_t n)
{
	unsigned char *st;

	if (n <= a->cap)
		return true;
	st = realloc(a->status, n);
	if (st == NULL)
		return false;
	a->status = st;
	a->cap = n;
	return true;
}

/* Marks the batch's tags settled by one ack/nack; returns how many were newly settled. */
static size_t
settle(amqp_impl *a, uint64_t base, size_t n, uint64_t tag, bool multiple, unsigned char how)
{
	size_t		done = 0;
	uint64_t	lo = multiple ? base : tag;

	if (tag < base)
		return 0;
	if (tag >= base + n)
		tag = base + n - 1;		/* cannot happen on one channel; be safe */
	for (uint64_t t = lo; t <= tag; t++)
	{
		if (a->status[t - base] == TAG_PENDING)
		{
			a->status[t - base] = how;
			done++;
		}
	}
	return done;
}

static size_t
amqp_pub_publish(xt_publisher *p, const xt_pub_msg *msgs, size_t n, bool *broken)
{
	amqp_impl  *a = p->impl;
	int64_t		deadline = xt_mono_ms() + p->cfg.io_timeout_ms;
	uint64_t	base = a->next_tag;
	size_t		published = 0;
	size_t		settled = 0;
	size_t		k;
	bool		nacked = false;
	amqp_bytes_t exchange = amqp_cstring_bytes(a->exchange);

	if (!grow(a, n))
	{
		xt_pub_set_error(p, "out of memory for a batch of %zu", n);
		return 0;
	}
	memset(a->status, TAG_PENDING, n);
	for (size_t i = 0; i < n; i++)
	{
		amqp_basic_properties_t props;
		char		idtext[24];
		int			rc;
		int			need = (int) (msgs[i].len + 256 + (msgs[i].routing_key ? strlen(msgs[i].routing_key) : 0));

		if (msgs[i].routing_key == NULL || msgs[i].routing_key[0] == '\0')
		{
			xt_pub_set_error(p, "message %llu has no routing key", (unsigned long long) msgs[i].id);
			break;
		}
		if (!wait_for_room(a, need, deadline))
		{
			xt_pub_set_error(p, "basic.publish: %s:%d stopped reading (no room within %d ms)",
							 a->url.host, a->url.port, p->cfg.io_timeout_ms);
			*broken = true;
			break;
		}
		snprintf(idtext, sizeof(idtext), "%llu", (unsigned long long) msgs[i].id);
		props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG |
			AMQP_BASIC_MESSAGE_ID_FLAG;
		props.content_type = amqp_cstring_bytes("application/json");
		props.delivery_mode = 2;	/* persistent */
		props.message_id = amqp_cstring_bytes(idtext);
		if (msgs[i].type)
		{
			props._flags |= AMQP_BASIC_TYPE_FLAG;
			props.type = amqp_cstring_bytes(msgs[i].type);
		}
		rc = amqp_basic_publish(a->conn, XT_AMQP_CHANNEL, exchange,
								amqp_cstring_bytes(msgs[i].routing_key), 0, 0, &props,
								(amqp_bytes_t)
								{
									.len = msgs[i].len, .bytes = (void *) msgs[i].body
								});
		if (rc != AMQP_STATUS_OK)
		{
			xt_pub_set_error(p, "basic.publish: %s", amqp_error_string2(rc));
			*broken = true;
			break;
		}
		published++;
		a->next_tag++;
	}
	p->stats.sent += published;

	/* Wait for the confirms of everything published (even after a local stop: the tags are
	 * used, and the next batch must not see this one's acks). */
	while (!*broken && settled < published)
	{
		amqp_frame_t frame;
		struct timeval tv = ms_to_tv(deadline - xt_mono_ms());
		int			rc;

		amqp_maybe_release_buffers(a->conn);
		rc = amqp_simple_wait_frame_noblock(a->conn, &frame, &tv);
		if (rc == AMQP_STATUS_TIMEOUT)
		{
			xt_pub_set_error(p, "no publisher confirm from %s:%d within %d ms (%zu of %zu settled)",
							 a->url.host, a->url.port, p->cfg.io_timeout_ms, settled, published);
			*broken = true;
			break;
		}
		if (rc != AMQP_STATUS_OK)
		{
			xt_pub_set_error(p, "waiting for confirms: %s", amqp_error_string2(rc));
			*broken = true;
			break;
		}
		if (frame.frame_type != AMQP_FRAME_METHOD)
			continue;			/* body of a basic.return: not ours to keep */
		switch (frame.payload.method.id)
		{
			case AMQP_BASIC_ACK_METHOD:
				{
					amqp_basic_ack_t *m = frame.payload.method.decoded;

					settled += settle(a, base, published, m->delivery_tag, m->multiple, TAG_ACKED);
					break;
				}
			case AMQP_BASIC_NACK_METHOD:
				{
					amqp_basic_nack_t *m = frame.payload.method.decoded;

					settled += settle(a, base, published, m->delivery_tag, m->multiple, TAG_NACKED);
					nacked = true;
					break;
				}
			case AMQP_CHANNEL_CLOSE_METHOD:
				{
					amqp_channel_close_t *m = frame.payload.method.decoded;

					xt_pub_set_error(p, "channel closed by the server: %u %.*s", m->reply_code,
									 (int) m->reply_text.len, (const char *) m->reply_text.bytes);
					*broken = true;
					break;
				}
			case AMQP_CONNECTION_CLOSE_METHOD:
				{
					amqp_connection_close_t *m = frame.payload.method.decoded;

					xt_pub_set_error(p, "connection closed by the server: %u %.*s", m->reply_code,
									 (int) m->reply_text.len, (const char *) m->reply_text.bytes);
					a->open = false;	/* no close handshake on a closed connection */
					*broken = true;
					break;
				}
			default:
				break;			/* basic.return, connection.blocked...: nothing to settle */
		}
	}
	for (k = 0; k < published && a->status[k] == TAG_ACKED; k++)
		;
	if (nacked && k < published && a->status[k] == TAG_NACKED)
		xt_pub_set_error(p, "basic.nack for message %llu", (unsigned long long) msgs[k].id);
	if (*broken)
		a->open = false;		/* a peer that timed out will not answer a close either */
	return k;
}

const xt_pub_ops xt_amqp_pub_ops = {
	.name = "amqp",
	.init = amqp_pub_init,
	.connect = amqp_pub_connect,
	.publish = amqp_pub_publish,
	.ping = amqp_pub_ping,
	.disconnect = amqp_pub_disconnect,
	.fini = amqp_pub_fini,
};
