/*
 * kafka_pub.c: the Apache Kafka publisher (librdkafka).
 *
 * Owns: one idempotent producer (enable.idempotence=true, acks=all, max.in.flight=5: no
 * duplicates from librdkafka's own retries and per-partition order kept) and the mapping of a
 * batch onto produce calls to one topic (default "market-data"): key = the symbol (so one
 * symbol's messages share a partition and keep their order), value = the body, and a header
 * "xt-id" = the id in decimal (and "xt-type" = the message type when given) so consumers can
 * deduplicate on (type, id) without parsing the body.
 *
 * A batch is produced as a whole, then flushed with a deadline (io_timeout_ms); each message's
 * delivery report says whether the broker confirmed it. Messages still outstanding at the deadline
 * are purged from librdkafka's queues (RD_KAFKA_PURGE_F_QUEUE | _INFLIGHT), so nothing of this
 * batch is retried behind the caller's back after we return: the caller owns every resend. A
 * purged in-flight message may still have been written; consumers deduplicate on the id.
 *
 * Each batch gets a generation number, stored with the message index in the message's opaque, so
 * a delivery report of an older batch that arrives late can never be counted for the current one.
 *
 * Connection: librdkafka connects and reconnects by itself; "connect" here creates the producer
 * (once) and proves a broker answers a metadata request within connect_timeout_ms. The producer is
 * recreated only after a fatal error (the idempotent producer's fencing/sequence failures).
 * librdkafka's log lines are not printed (its log callback is off); errors reach last_error
 * through the error callback, which runs inside rd_kafka_poll/flush on the owner's thread.
 *
 * Threads: the publisher's owner only (librdkafka's internal threads never touch our state: the
 * callbacks are served by poll/flush on the calling thread).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "brokers/publisher.h"
#include "common/clock.h"

_Static_assert(sizeof(uintptr_t) >= 8, "the message opaque packs generation and index");

typedef struct kafka_impl
{
	rd_kafka_t *rk;
	const char *topic;
	char		bootstrap[1024];
	uint32_t	gen;			/* generation of the batch in flight */
	size_t		cap;
	unsigned char *status;		/* per message: 0 pending, 1 delivered, 2 failed */
	size_t		outstanding;	/* reports still expected for this generation */
	rd_kafka_resp_err_t first_err;	/* error of the lowest failed index */
	size_t		first_err_idx;
	xt_publisher *pub;
} kafka_impl;

enum
{
	MSG_PENDING = 0,
	MSG_DELIVERED,
	MSG_FAILED
};

/* Delivery report: served from rd_kafka_poll/flush on the owner's thread. */
static void
dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	kafka_impl *k = opaque;
	uintptr_t	tag = (uintptr_t) m->_private;
	uint32_t	gen = (uint32_t) (tag >> 32);
	size_t		idx = (size_t) (tag & 0xffffffffu);

	(void) rk;
	if (gen != k->gen || idx >= k->cap || k->status[idx] != MSG_PENDING)
		return;					/* a report from an older batch, already given up */
	if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR)
		k->status[idx] = MSG_DELIVERED;
	else
	{
		k->status[idx] = MSG_FAILED;
		if (k->first_err == RD_KAFKA_RESP_ERR_NO_ERROR || idx < k->first_err_idx)
		{
			k->first_err = m->err;
			k->first_err_idx = idx;
		}
	}
	if (k->outstanding > 0)
		k->outstanding--;
}

/* Client-level errors (all brokers down, fatal idempotence errors): remembered as last_error. */
static void
error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	kafka_impl *k = opaque;

	(void) rk;
	xt_pub_set_error(k->pub, "%s: %s", rd_kafka_err2name((rd_kafka_resp_err_t) err), reason);
}

static void
log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	/* deliberately silent: errors come through error_cb and the delivery reports */
	(void) rk;
	(void) level;
	(void) fac;
	(void) buf;
}

static bool
kafka_init(xt_publisher *p)
{
	kafka_impl *k = calloc(1, sizeof(*k));
	char		err[XT_PUB_ERRLEN];
	int			count;

	if (k == NULL)
	{
		xt_pub_set_error(p, "out of memory");
		return false;
	}
	p->impl = k;
	k->pub = p;
	if (!xt_parse_kafka_brokers(p->cfg.url, &count, err, sizeof(err)))
	{
		xt_pub_set_error(p, "xtrader.kafka_brokers: %s", err);
		return false;
	}
	if (strlen(p->cfg.url) >= sizeof(k->bootstrap))
	{
		xt_pub_set_error(p, "xtrader.kafka_brokers: too long");
		return false;
	}
	strcpy(k->bootstrap, p->cfg.url);
	k->topic = p->cfg.target ? p->cfg.target : XT_PUB_DEFAULT_KAFKA_TOPIC;
	if (k->topic[0] == '\0' || strlen(k->topic) > 249)
	{
		xt_pub_set_error(p, "topic name must be 1..249 bytes");
		return false;
	}
	return true;
}

static bool
conf_set(xt_publisher *p, rd_kafka_conf_t *conf, const char *name, const char *value)
{
	char		err[256];

	if (rd_kafka_conf_set(conf, name, value, err, sizeof(err)) != RD_KAFKA_CONF_OK)
	{
		xt_pub_set_error(p, "config %s: %s", name, err);
		return false;
	}
	return true;
}

/* Creates the idempotent producer (no network yet: librdkafka connects in the background). */
static bool
create_producer(xt_publisher *p)
{
	kafka_impl *k = p->impl;
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char		v[32];
	char		err[512];
	int			io = p->cfg.io_timeout_ms;
	int			cto = p->cfg.connect_timeout_ms;
	bool		ok = true;

	ok = ok && conf_set(p, conf, "bootstrap.servers", k->bootstrap);
	ok = ok && conf_set(p, conf, "enable.idempotence", "true");
	ok = ok && conf_set(p, conf, "acks", "all");
	ok = ok && conf_set(p, conf, "max.in.flight.requests.per.connection", "5");
	/* a batch is flushed right after it is produced: lingering only adds latency */
	ok = ok && conf_set(p, conf, "linger.ms", "1");
	ok = ok && conf_set(p, conf, "batch.num.messages", "10000");
	/* JSON compresses ~3x: fewer bytes for the broker to write and replicate, for little CPU */
	ok = ok && conf_set(p, conf, "compression.type", "lz4");
	ok = ok && conf_set(p, conf, "batch.size", "4000000");
	snprintf(v, sizeof(v), "%d", XT_PUB_MAX_BATCH * 2);
	ok = ok && conf_set(p, conf, "queue.buffering.max.messages", v);
	/* librdkafka gives up on a message at about our own deadline; we purge what is left */
	snprintf(v, sizeof(v), "%d", io + 100);
	ok = ok && conf_set(p, conf, "message.timeout.ms", v);
	snprintf(v, sizeof(v), "%d", io < 100 ? 100 : io);
	ok = ok && conf_set(p, conf, "socket.timeout.ms", v);
	snprintf(v, sizeof(v), "%d", cto < 1000 ? 1000 : cto);
	ok = ok && conf_set(p, conf, "socket.connection.setup.timeout.ms", v);
	ok = ok && conf_set(p, conf, "reconnect.backoff.ms", "100");
	ok = ok && conf_set(p, conf, "reconnect.backoff.max.ms", "1000");
	ok = ok && conf_set(p, conf, "log.connection.close", "false");
	if (!ok)
	{
		rd_kafka_conf_destroy(conf);
		return false;
	}
	rd_kafka_conf_set_opaque(conf, k);
	rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
	rd_kafka_conf_set_error_cb(conf, error_cb);
	rd_kafka_conf_set_log_cb(conf, log_cb);
	k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (k->rk == NULL)
	{
		xt_pub_set_error(p, "rd_kafka_new: %s", err);	/* conf is freed by rd_kafka_new */
		return false;
	}
	return true;
}

/* One metadata round trip to any broker, bounded; the health check and the proof of connect. */
static bool
metadata_ping(xt_publisher *p, int timeout_ms, const char *what)
{
	kafka_impl *k = p->impl;
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t err;
	char		fatal[256];

	if (rd_kafka_fatal_error(k->rk, fatal, sizeof(fatal)) != RD_KAFKA_RESP_ERR_NO_ERROR)
	{
		xt_pub_set_error(p, "fatal producer error: %s", fatal);
		return false;
	}
	err = rd_kafka_metadata(k->rk, 0, NULL, &md, timeout_ms);
	rd_kafka_poll(k->rk, 0);	/* serve error callbacks */
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
	{
		xt_pub_set_error(p, "%s: metadata request to %s: %s", what, k->bootstrap,
						 rd_kafka_err2str(err));
		return false;
	}
	if (md->broker_cnt == 0)
	{
		rd_kafka_metadata_destroy(md);
		xt_pub_set_error(p, "%s: no brokers in the metadata of %s", what, k->bootstrap);
		return false;
	}
	rd_kafka_metadata_destroy(md);
	return true;
}

static bool
kafka_connect(xt_publisher *p)
{
	kafka_impl *k = p->impl;

	if (k->rk == NULL && !create_producer(p))
		return false;
	return metadata_ping(p, p->cfg.connect_timeout_ms, "connect");
}

static bool
kafka_ping(xt_publisher *p)
{
	return metadata_ping(p, p->cfg.io_timeout_ms, "health check");
}

/*
 * Disconnect keeps the producer (librdkafka reconnects by itself and keeps its idempotence state)
 * unless it hit a fatal error, which only a new producer clears. Nothing of ours is queued in it:
 * every batch ends with its messages delivered, failed or purged.
 */
static void
kafka_disconnect(xt_publisher *p)
{
	kafka_impl *k = p->impl;

	if (k->rk && rd_kafka_fatal_error(k->rk, NULL, 0) != RD_KAFKA_RESP_ERR_NO_ERROR)
	{
		rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		rd_kafka_destroy(k->rk);
		k->rk = NULL;
	}
}

static void
kafka_fini(xt_publisher *p)
{
	kafka_impl *k = p->impl;

	if (k == NULL)
		return;
	if (k->rk)
	{
		/* everything of ours is settled; drop whatever librdkafka still holds, do not wait */
		rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		rd_kafka_poll(k->rk, 0);
		rd_kafka_destroy(k->rk);
	}
	free(k->status);
	free(k);
	p->impl = NULL;
}

static bool
grow(kafka_impl *k, size_t n)
{
	unsigned char *st;

	if (n <= k->cap)
		return true;
	st = realloc(k->status, n);
	if (st == NULL)
		return false;
	k->status = st;
	k->cap = n;
	return true;
}

static size_t
kafka_publish(xt_publisher *p, const xt_pub_msg *msgs, size_t n, bool *broken)
{
	kafka_impl *k = p->impl;
	int64_t		deadline = xt_mono_ms() + p->cfg.io_timeout_ms;
	size_t		produced = 0;
	size_t		c;

	if (!grow(k, n))
	{
		xt_pub_set_error(p, "out of memory for a batch of %zu", n);
		return 0;
	}
	k->gen++;
	memset(k->status, MSG_PENDING, n);
	k->outstanding = 0;
	k->first_err = RD_KAFKA_RESP_ERR_NO_ERROR;
	k->first_err_idx = 0;

	for (size_t i = 0; i < n; i++)
	{
		char		idtext[24];
		int			idlen = snprintf(idtext, sizeof(idtext), "%" PRIu64, msgs[i].id);
		uintptr_t	tag = ((uintptr_t) k->gen << 32) | (uintptr_t) i;
		const char *key = msgs[i].key ? msgs[i].key : "";
		rd_kafka_resp_err_t err;
		rd_kafka_headers_t *headers = rd_kafka_headers_new(2);

		rd_kafka_header_add(headers, "xt-id", -1, idtext, idlen);
		if (msgs[i].type)
			rd_kafka_header_add(headers, "xt-type", -1, msgs[i].type, -1);
		for (;;)
		{
			/* on success the message owns the headers; on failure they stay ours */
			err = rd_kafka_producev(k->rk,
									RD_KAFKA_V_TOPIC(k->topic),
									RD_KAFKA_V_KEY(key, strlen(key)),
									RD_KAFKA_V_VALUE((void *) msgs[i].body, msgs[i].len),
									RD_KAFKA_V_HEADERS(headers),
									RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
									RD_KAFKA_V_OPAQUE((void *) tag),
									RD_KAFKA_V_END);
			if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || xt_mono_ms() >= deadline)
				break;
			rd_kafka_poll(k->rk, 10);	/* let delivery reports make room */
		}
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		{
			rd_kafka_headers_destroy(headers);
			xt_pub_set_error(p, "produce %s: %s", idtext, rd_kafka_err2str(err));
			if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL || err == RD_KAFKA_RESP_ERR__FATAL)
				*broken = true;
			break;
		}
		produced++;
		k->outstanding++;
	}
	p->stats.sent += produced;

	/* Wait for the reports; flush sends at once (no linger) and serves the callbacks. */
	while (k->outstanding > 0)
	{
		int64_t		left = deadline - xt_mono_ms();

		if (left <= 0)
			break;
		rd_kafka_flush(k->rk, (int) (left < 100 ? left : 100));
	}
	if (k->outstanding > 0)
	{
		xt_pub_set_error(p, "no delivery report from %s within %d ms for %zu of %zu messages",
						 k->bootstrap, p->cfg.io_timeout_ms, k->outstanding, produced);
		rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		rd_kafka_poll(k->rk, 0);	/* collect the purge reports (they are failures) */
		*broken = true;
	}
	/* any report arriving from now on belongs to a finished generation and is ignored */
	k->gen++;
	for (c = 0; c < produced && k->status[c] == MSG_DELIVERED; c++)
		;
	if (c < produced && k->status[c] == MSG_FAILED && !*broken)
	{
		xt_pub_set_error(p, "delivery of message %llu failed: %s",
						 (unsigned long long) msgs[c].id, rd_kafka_err2str(k->first_err));
		/* transport-level failures mean the broker is gone: treat as a broken connection */
		if (k->first_err == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT ||
			k->first_err == RD_KAFKA_RESP_ERR__TRANSPORT ||
			k->first_err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
			k->first_err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT ||
			k->first_err == RD_KAFKA_RESP_ERR__PURGE_QUEUE ||
			k->first_err == RD_KAFKA_RESP_ERR__FATAL)
			*broken = true;
	}
	return c;
}

const xt_pub_ops xt_kafka_pub_ops = {
	.name = "kafka",
	.init = kafka_init,
	.connect = kafka_connect,
	.publish = kafka_publish,
	.ping = kafka_ping,
	.disconnect = kafka_disconnect,
	.fini = kafka_fini,
};
