/*
 * publisher.h: the broker-neutral publisher interface of xTrader (Redis Streams, Kafka, RabbitMQ)
 * and the one state machine every publisher runs.
 *
 * Owns: the message and configuration types, the connection state machine (an explicit enum
 * driven by one switch, xt_pub_step), the counters and the last error text, and the dispatch to
 * the three implementations (redis_pub.c, kafka_pub.c, amqp_pub.c) through xt_pub_ops.
 *
 * Delivery contract (what a publishing worker relies on):
 *  - xt_pub_publish_batch(p, msgs, n) returns k, 0 <= k <= n: messages msgs[0 .. k-1] are
 *    CONFIRMED by the broker (Redis replied to the XADD, Kafka delivered with acks=all, RabbitMQ
 *    sent basic.ack). Nothing is said about msgs[k ..]: some may have reached the broker. The
 *    caller advances its durable cursor over the k confirmed messages only and resends from
 *    msgs[k] later. Every message carries its global sequence number as its id, so a resend is
 *    either dropped by the broker (Redis: explicit stream id) or deduplicated by consumers on the
 *    id (Kafka, RabbitMQ). See docs/brokers.md, "Publishing".
 *  - Every call is bounded in time by the configured connect and I/O timeouts, also when the
 *    broker is SIGSTOPped (TCP connects still succeed, nothing answers): one broker's fault never
 *    blocks its worker for longer than about connect_timeout + io_timeout.
 *  - Messages in one batch must have strictly increasing ids.
 *
 * Threads: a publisher belongs to one thread (one worker). Different publishers are independent.
 * The process must ignore SIGPIPE (PostgreSQL backends do): a write to a socket the broker closed
 * must fail with EPIPE, not kill the process.
 *
 * No PostgreSQL here: plain C11 + hiredis, librdkafka, librabbitmq.
 */
#ifndef XT_BROKERS_PUBLISHER_H
#define XT_BROKERS_PUBLISHER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- limits and defaults ---------------------------------------------------------------------- */

#define XT_PUB_DEFAULT_CONNECT_TIMEOUT_MS	2000
#define XT_PUB_MIN_TIMEOUT_MS				10
#define XT_PUB_MAX_TIMEOUT_MS				600000
#define XT_PUB_DEFAULT_IO_TIMEOUT_MS		5000
#define XT_PUB_DEFAULT_REDIS_MAXLEN			10000000L	/* XADD MAXLEN ~ N */
#define XT_PUB_DEFAULT_REDIS_FIELD			"data"
#define XT_PUB_DEFAULT_REDIS_STREAM			"executions"
#define XT_PUB_DEFAULT_KAFKA_TOPIC			"market-data"
#define XT_PUB_DEFAULT_AMQP_EXCHANGE		"market-notifications"
#define XT_PUB_MAX_BATCH					100000	/* messages per publish_batch call */
#define XT_PUB_ERRLEN						256

/* ---- types ------------------------------------------------------------------------------------ */

typedef enum xt_pub_kind
{
	XT_PUB_REDIS = 0,
	XT_PUB_KAFKA = 1,
	XT_PUB_AMQP = 2
} xt_pub_kind;

/*
 * Connection state. Transitions (all in xt_pub_step):
 *
 *   DISCONNECTED --connect--> CONNECTING --ok--> LIVE --io error/timeout--> DISCONNECTED
 *                                        \--fail--> FAILED --connect--> CONNECTING ...
 *
 * DISCONNECTED: no usable connection (never connected, or a live one broke); the next
 * publish_batch or health_check tries to connect. FAILED: the last connect attempt failed; the
 * caller retries with health_check on its interval (every 5 s). CONNECTING is only seen while a
 * connect attempt runs. LIVE: the last operation succeeded.
 */
typedef enum xt_pub_state
{
	XT_PUB_DISCONNECTED = 0,
	XT_PUB_CONNECTING = 1,
	XT_PUB_LIVE = 2,
	XT_PUB_FAILED = 3
} xt_pub_state;

/* What happened; the input of the state machine. */
typedef enum xt_pub_event
{
	XT_PUB_EV_CONNECT = 0,		/* the caller needs a connection (publish / health check) */
	XT_PUB_EV_CONNECTED,		/* the implementation's connect succeeded */
	XT_PUB_EV_CONNECT_FAILED,	/* ... failed (error text already set) */
	XT_PUB_EV_BROKEN,			/* an I/O error or timeout on a live connection */
	XT_PUB_EV_CLOSE				/* destroy: drop the connection */
} xt_pub_event;

/* One message. Pointers are borrowed for the duration of the call only. */
typedef struct xt_pub_msg
{
	uint64_t	id;				/* global sequence number: unique, increasing, > 0 */
	const char *key;			/* symbol: Kafka message key (partitioning, per-symbol order) */
	const char *routing_key;	/* RabbitMQ: execution.SYM / orderbook.SYM / ticker.SYM */
	const char *field;			/* Redis stream field name; NULL = the configured default */
	const char *type;			/* message type ("Execution", "orderbook_snapshot", "ticker"):
								 * Kafka header xt-type, RabbitMQ property type; NULL = none.
								 * Ids are unique per type: consumers dedup on (type, id). */
	const char *body;			/* the payload (JSON), not necessarily NUL-terminated */
	size_t		len;			/* bytes of body */
} xt_pub_msg;

typedef struct xt_pub_config
{
	xt_pub_kind kind;
	const char *url;			/* redis://..., amqp://..., Kafka host:port[,host:port...] */
	const char *target;			/* stream / topic / exchange; NULL = the default above */
	int			connect_timeout_ms; /* 0 = default; bounds TCP connect + handshake */
	int			io_timeout_ms;	/* 0 = default; bounds one publish_batch / health_check */
	long		redis_maxlen;	/* 0 = default; < 0 = no MAXLEN trimming */
	const char *redis_field;	/* default stream field name; NULL = "data" */
} xt_pub_config;

typedef struct xt_pub_stats
{
	uint64_t	sent;			/* messages handed to the broker (resends counted again) */
	uint64_t	confirmed;		/* messages confirmed (returned in a prefix) */
	uint64_t	duplicates;		/* confirmed because the broker already had them (Redis) */
	uint64_t	errors;			/* failed operations (connects, batches, pings) */
	uint64_t	reconnects;		/* successful connects after the first */
} xt_pub_stats;

typedef struct xt_publisher xt_publisher;

/* The implementation of one broker. Each function sets the error text (xt_pub_set_error) on
 * failure. */
typedef struct xt_pub_ops
{
	const char *name;			/* "redis", "kafka", "amqp" */
	/* Parses/copies the configuration; returns false (error set) if it is invalid. */
	bool		(*init) (xt_publisher *p);
	/* Opens the connection (bounded by connect_timeout_ms). */
	bool		(*connect) (xt_publisher *p);
	/* Sends n >= 1 messages; returns the confirmed prefix; *broken = true when the connection
	 * must be dropped (I/O error, timeout). */
	size_t		(*publish) (xt_publisher *p, const xt_pub_msg *msgs, size_t n, bool *broken);
	/* Cheap round trip on a live connection. */
	bool		(*ping) (xt_publisher *p);
	/* Drops the connection (no blocking wait on a dead broker). */
	void		(*disconnect) (xt_publisher *p);
	/* Frees what init allocated. */
	void		(*fini) (xt_publisher *p);
} xt_pub_ops;

struct xt_publisher
{
	const xt_pub_ops *ops;
	xt_pub_config cfg;			/* strings point into the copies below */
	char	   *url_copy;
	char	   *target_copy;
	char	   *field_copy;
	xt_pub_state state;
	bool		ever_connected;
	xt_pub_stats stats;
	char		last_error[XT_PUB_ERRLEN];	/* never holds a password */
	void	   *impl;			/* the implementation's private state */
};

extern const xt_pub_ops xt_redis_pub_ops;
extern const xt_pub_ops xt_kafka_pub_ops;
extern const xt_pub_ops xt_amqp_pub_ops;

/* ---- helpers shared by the implementations ------------------------------------------------------ */

/* Records the error text of the last failure (printf-style; callers never pass secrets). */
static inline void
xt_pub_set_error(xt_publisher *p, const char *fmt,...)
	__attribute__((format(printf, 2, 3)));

static inline void
xt_pub_set_error(xt_publisher *p, const char *fmt,...)
{
	va_list		ap;
	int			off = snprintf(p->last_error, sizeof(p->last_error), "%s: ", p->ops->name);

	if (off < 0 || (size_t) off >= sizeof(p->last_error))
		off = 0;
	va_start(ap, fmt);
	vsnprintf(p->last_error + off, sizeof(p->last_error) - (size_t) off, fmt, ap);
	va_end(ap);
}

static inline int
xt_pub_timeout_or(int v, int dflt)
{
	if (v <= 0)
		return dflt;
	if (v < XT_PUB_MIN_TIMEOUT_MS)
		return XT_PUB_MIN_TIMEOUT_MS;
	if (v > XT_PUB_MAX_TIMEOUT_MS)
		return XT_PUB_MAX_TIMEOUT_MS;
	return v;
}

/* ---- the state machine -------------------------------------------------------------------------- */

/*
 * xt_pub_step: applies one event to the publisher's state; the one place state changes. Returns
 * the new state. EV_CONNECT runs the implementation's connect (bounded) and feeds its outcome back
 * into the machine, so a call with EV_CONNECT ends in LIVE or FAILED (or stays LIVE).
 */
static inline xt_pub_state
xt_pub_step(xt_publisher *p, xt_pub_event ev)
{
	switch (p->state)
	{
		case XT_PUB_DISCONNECTED:
		case XT_PUB_FAILED:
			if (ev == XT_PUB_EV_CONNECT)
			{
				p->state = XT_PUB_CONNECTING;
				return xt_pub_step(p, p->ops->connect(p) ? XT_PUB_EV_CONNECTED
								   : XT_PUB_EV_CONNECT_FAILED);
			}
			/* BROKEN / CLOSE while not connected: nothing to drop */
			break;
		case XT_PUB_CONNECTING:
			if (ev == XT_PUB_EV_CONNECTED)
			{
				if (p->ever_connected)
					p->stats.reconnects++;
				p->ever_connected = true;
				p->state = XT_PUB_LIVE;
			}
			else if (ev == XT_PUB_EV_CONNECT_FAILED)
			{
				/* half-open resources (a socket whose handshake timed out) go now */
				p->ops->disconnect(p);
				p->stats.errors++;
				p->state = XT_PUB_FAILED;
			}
			break;
		case XT_PUB_LIVE:
			if (ev == XT_PUB_EV_BROKEN || ev == XT_PUB_EV_CLOSE)
			{
				p->ops->disconnect(p);
				if (ev == XT_PUB_EV_BROKEN)
					p->stats.errors++;
				p->state = XT_PUB_DISCONNECTED;
			}
			/* CONNECT while live: already connected */
			break;
	}
	return p->state;
}

/* ---- the API ------------------------------------------------------------------------------------ */

static inline char *
xt_pub_strdup(const char *s)
{
	size_t		n;
	char	   *d;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	d = malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

static inline void xt_pub_destroy(xt_publisher *p);

/*
 * xt_pub_create: a publisher for cfg (copied; the caller's strings may go away). Does not
 * connect: the first publish_batch or health_check does. Returns NULL with the reason in err
 * when the configuration is invalid (a malformed URL, say); err never holds a password.
 */
static inline xt_publisher *
xt_pub_create(const xt_pub_config *cfg, char *err, size_t errlen)
{
	xt_publisher *p;
	const xt_pub_ops *ops;

	switch (cfg->kind)
	{
		case XT_PUB_REDIS:
			ops = &xt_redis_pub_ops;
			break;
		case XT_PUB_KAFKA:
			ops = &xt_kafka_pub_ops;
			break;
		case XT_PUB_AMQP:
			ops = &xt_amqp_pub_ops;
			break;
		default:
			snprintf(err, errlen, "unknown publisher kind %d", (int) cfg->kind);
			return NULL;
	}
	if (cfg->url == NULL || cfg->url[0] == '\0')
	{
		snprintf(err, errlen, "%s: empty URL", ops->name);
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL)
	{
		snprintf(err, errlen, "%s: out of memory", ops->name);
		return NULL;
	}
	p->ops = ops;
	p->cfg = *cfg;
	p->url_copy = xt_pub_strdup(cfg->url);
	p->target_copy = xt_pub_strdup(cfg->target);
	p->field_copy = xt_pub_strdup(cfg->redis_field ? cfg->redis_field : XT_PUB_DEFAULT_REDIS_FIELD);
	p->cfg.url = p->url_copy;
	p->cfg.target = p->target_copy;
	p->cfg.redis_field = p->field_copy;
	p->cfg.connect_timeout_ms = xt_pub_timeout_or(cfg->connect_timeout_ms,
												  XT_PUB_DEFAULT_CONNECT_TIMEOUT_MS);
	p->cfg.io_timeout_ms = xt_pub_timeout_or(cfg->io_timeout_ms, XT_PUB_DEFAULT_IO_TIMEOUT_MS);
	if (cfg->redis_maxlen == 0)
		p->cfg.redis_maxlen = XT_PUB_DEFAULT_REDIS_MAXLEN;
	p->state = XT_PUB_DISCONNECTED;
	if (p->url_copy == NULL || (cfg->target && p->target_copy == NULL) || p->field_copy == NULL)
	{
		snprintf(err, errlen, "%s: out of memory", ops->name);
		free(p->url_copy);
		free(p->target_copy);
		free(p->field_copy);
		free(p);
		return NULL;
	}
	if (!ops->init(p))
	{
		snprintf(err, errlen, "%s", p->last_error);
		if (ops->fini)
			ops->fini(p);
		free(p->url_copy);
		free(p->target_copy);
		free(p->field_copy);
		free(p);
		return NULL;
	}
	return p;
}

/*
 * xt_pub_publish_batch: publishes msgs[0 .. n-1] (ids strictly increasing) and returns how many
 * of the first ones the broker confirmed (see the contract above). Connects first when not LIVE
 * (one bounded attempt); returns 0 if that fails. On an I/O error or timeout the connection is
 * dropped (state DISCONNECTED) and the confirmed prefix so far is returned.
 */
static inline size_t
xt_pub_publish_batch(xt_publisher *p, const xt_pub_msg *msgs, size_t n)
{
	bool		broken = false;
	size_t		k;

	if (n == 0)
		return 0;
	if (n > XT_PUB_MAX_BATCH)
		n = XT_PUB_MAX_BATCH;	/* the caller sees a short prefix and sends the rest next */
	for (size_t i = 1; i < n; i++)
	{
		if (msgs[i].id <= msgs[i - 1].id)
		{
			xt_pub_set_error(p, "ids in a batch must increase (%llu after %llu)",
							 (unsigned long long) msgs[i].id,
							 (unsigned long long) msgs[i - 1].id);
			p->stats.errors++;
			return 0;
		}
	}
	if (msgs[0].id == 0)
	{
		xt_pub_set_error(p, "message id 0 is not valid");
		p->stats.errors++;
		return 0;
	}
	if (xt_pub_step(p, XT_PUB_EV_CONNECT) != XT_PUB_LIVE)
		return 0;
	k = p->ops->publish(p, msgs, n, &broken);
	p->stats.confirmed += k;
	if (broken)
		xt_pub_step(p, XT_PUB_EV_BROKEN);
	else if (k < n)
		p->stats.errors++;		/* refused by the broker, connection fine (error set) */
	return k;
}

/*
 * xt_pub_health_check: true when the broker answers a cheap round trip (PING, metadata request,
 * a channel RPC) within the I/O timeout. Connects first when not LIVE, which is how a worker
 * notices recovery: call it on the health interval (5 s) while the state is not LIVE.
 */
static inline bool
xt_pub_health_check(xt_publisher *p)
{
	if (xt_pub_step(p, XT_PUB_EV_CONNECT) != XT_PUB_LIVE)
		return false;
	if (p->ops->ping(p))
		return true;
	xt_pub_step(p, XT_PUB_EV_BROKEN);
	return false;
}

static inline xt_pub_state
xt_pub_get_state(const xt_publisher *p)
{
	return p->state;
}

static inline const char *
xt_pub_state_name(xt_pub_state s)
{
	switch (s)
	{
		case XT_PUB_DISCONNECTED:
			return "disconnected";
		case XT_PUB_CONNECTING:
			return "connecting";
		case XT_PUB_LIVE:
			return "live";
		case XT_PUB_FAILED:
			return "failed";
	}
	return "?";
}

/* The last error text ("" if none yet). Safe to log: it never contains a password. */
static inline const char *
xt_pub_last_error(const xt_publisher *p)
{
	return p->last_error;
}

static inline xt_pub_stats
xt_pub_get_stats(const xt_publisher *p)
{
	return p->stats;
}

/* Drops the connection (without waiting for a dead broker) and frees everything. NULL is fine. */
static inline void
xt_pub_destroy(xt_publisher *p)
{
	if (p == NULL)
		return;
	xt_pub_step(p, XT_PUB_EV_CLOSE);
	if (p->ops->fini)
		p->ops->fini(p);
	free(p->url_copy);
	free(p->target_copy);
	free(p->field_copy);
	free(p);
}

/* ---- broker URLs (broker_url.c) ----------------------------------------------------------------- */

#define XT_URL_HOSTLEN	256
#define XT_URL_USERLEN	128
#define XT_URL_PASSLEN	256
#define XT_URL_VHOSTLEN 256
#define XT_KAFKA_MAX_BOOTSTRAP 32

/* A parsed redis:// or amqp:// URL; user, password and vhost are percent-decoded. */
typedef struct xt_broker_url
{
	char		host[XT_URL_HOSTLEN];	/* without the brackets of an IPv6 literal */
	int			port;
	char		user[XT_URL_USERLEN];	/* "" = none (Redis: AUTH with the password only) */
	char		password[XT_URL_PASSLEN];
	bool		has_password;
	int			db;				/* Redis: database number (default 0) */
	char		vhost[XT_URL_VHOSTLEN]; /* AMQP: virtual host (default "/") */
} xt_broker_url;

/* redis://[[user]:password@]host[:port][/db]; port defaults to 6379. */
extern bool xt_parse_redis_url(const char *s, xt_broker_url *out, char *err, size_t errlen);

/* amqp://[user[:password]@]host[:port][/vhost]; port 5672, user/password guest, vhost "/". */
extern bool xt_parse_amqp_url(const char *s, xt_broker_url *out, char *err, size_t errlen);

/* host:port[,host:port...]: the Kafka bootstrap list, validated; *count hosts. */
extern bool xt_parse_kafka_brokers(const char *s, int *count, char *err, size_t errlen);

/* Copies url to out with the password replaced by "****" (for logs); always NUL-terminates. */
extern void xt_redact_url(const char *url, char *out, size_t outlen);

#endif							/* XT_BROKERS_PUBLISHER_H */
