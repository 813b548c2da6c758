/*
 * test_pub_util.h: shared helpers of the publisher tests (test_publishers.c,
 * test_publisher_chaos.c): message generation, real consumers for each broker (Redis XRANGE, a
 * librdkafka consumer from the beginning, RabbitMQ basic.get on a bound queue), a dedup-by-id
 * check, and bounded waits.
 *
 * Every name a test creates (stream, topic, exchange, queue) carries a per-run token, so runs are
 * independent and can overlap with another engineer's. Brokers: scripts/brokers (127.0.0.1).
 */
#ifndef XT_TEST_PUB_UTIL_H
#define XT_TEST_PUB_UTIL_H

#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <hiredis/hiredis.h>
#include <librdkafka/rdkafka.h>

#include "brokers/publisher.h"

/* The brokers of scripts/brokers: 127.0.0.1 on XT_REDIS_PORT, XT_RABBITMQ_PORT, XT_KAFKA_PORT
 * (6379, 5672, 9092 when unset), so the tests also run against a private set. */
#define T_REDIS_URL t_redis_url
#define T_AMQP_URL	t_amqp_url
#define T_KAFKA		t_kafka

static char t_run[48];			/* per-run token for names */
static int	t_redis_port;
static int	t_amqp_port;
static char t_redis_url[64];
static char t_amqp_url[80];
static char t_kafka[32];

/* The port in environment variable name, or dflt when it is unset or not a port. */
static inline int
t_env_port(const char *name, int dflt)
{
	const char *v = getenv(name);
	char	   *end;
	long		port;

	if (v == NULL || *v == '\0')
		return dflt;
	port = strtol(v, &end, 10);
	return *end == '\0' && port > 0 && port <= 65535 ? (int) port : dflt;
}

__attribute__((constructor)) static void
t_setup(void)
{
	/* a write to a socket the broker closed must fail with EPIPE (PostgreSQL ignores it too) */
	signal(SIGPIPE, SIG_IGN);
	snprintf(t_run, sizeof(t_run), "%ld-%d", (long) time(NULL), (int) getpid());
	t_redis_port = t_env_port("XT_REDIS_PORT", 6379);
	t_amqp_port = t_env_port("XT_RABBITMQ_PORT", 5672);
	snprintf(t_redis_url, sizeof(t_redis_url), "redis://127.0.0.1:%d", t_redis_port);
	snprintf(t_amqp_url, sizeof(t_amqp_url), "amqp://guest:guest@127.0.0.1:%d/", t_amqp_port);
	snprintf(t_kafka, sizeof(t_kafka), "127.0.0.1:%d", t_env_port("XT_KAFKA_PORT", 9092));
}

static inline double
t_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

/* ---- messages ---------------------------------------------------------------------------------- */

static const char *t_symbols[] = {"BTC-KRW", "ETH-KRW", "XRP-KRW"};

/* A batch of n messages with ids first .. first+n-1: bodies are execution JSON, routing keys cycle
 * through execution./ticker./orderbook. (2 of 3 are executions). */
typedef struct t_batch
{
	size_t		n;
	xt_pub_msg *m;
	char	  **bodies;
	char	  **rkeys;
} t_batch;

static inline void
t_batch_make(t_batch *b, uint64_t first, size_t n)
{
	b->n = n;
	b->m = calloc(n, sizeof(xt_pub_msg));
	b->bodies = calloc(n, sizeof(char *));
	b->rkeys = calloc(n, sizeof(char *));
	for (size_t i = 0; i < n; i++)
	{
		uint64_t	id = first + i;
		const char *sym = t_symbols[id % 3];
		const char *kind = (id % 5 == 3) ? "ticker" : "execution";

		b->bodies[i] = malloc(320);
		snprintf(b->bodies[i], 320,
				 "{\"type\":\"Execution\",\"seq\":%" PRIu64 ",\"execution_report\":{\"order_id\":%"
				 PRIu64 ",\"symbol\":\"%s\",\"side\":\"Buy\",\"price\":\"50000000\","
				 "\"quantity\":\"0.001\",\"remaining_quantity\":\"0\"},\"order_status\":\"Filled\"}",
				 id, id * 7, sym);
		b->rkeys[i] = malloc(64);
		snprintf(b->rkeys[i], 64, "%s.%s", kind, sym);
		b->m[i].id = id;
		b->m[i].key = sym;
		b->m[i].routing_key = b->rkeys[i];
		b->m[i].body = b->bodies[i];
		b->m[i].len = strlen(b->bodies[i]);
	}
}

static inline void
t_batch_free(t_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
	{
		free(b->bodies[i]);
		free(b->rkeys[i]);
	}
	free(b->m);
	free(b->bodies);
	free(b->rkeys);
	memset(b, 0, sizeof(*b));
}

/* ---- what a consumer saw ------------------------------------------------------------------------ */

typedef struct t_seen
{
	size_t		n;
	size_t		cap;
	uint64_t   *ids;
	char	  **bodies;
	char	  **keys;			/* Kafka key / AMQP routing key / Redis field */
} t_seen;

static inline void
t_seen_add(t_seen *s, uint64_t id, const char *body, size_t len, const char *key, size_t klen)
{
	if (s->n == s->cap)
	{
		s->cap = s->cap ? s->cap * 2 : 256;
		s->ids = realloc(s->ids, s->cap * sizeof(uint64_t));
		s->bodies = realloc(s->bodies, s->cap * sizeof(char *));
		s->keys = realloc(s->keys, s->cap * sizeof(char *));
	}
	s->ids[s->n] = id;
	s->bodies[s->n] = strndup(body ? body : "", len);
	s->keys[s->n] = strndup(key ? key : "", klen);
	s->n++;
}

static inline void
t_seen_free(t_seen *s)
{
	for (size_t i = 0; i < s->n; i++)
	{
		free(s->bodies[i]);
		free(s->keys[i]);
	}
	free(s->ids);
	free(s->bodies);
	free(s->keys);
	memset(s, 0, sizeof(*s));
}

/*
 * The consumer side of the contract: dedup by id. Checks that the unique ids seen are exactly
 * first .. first+n-1 (each once after dedup, none missing, none foreign) and that each message's
 * first occurrence is in increasing id order. Returns the number of problems (printed).
 */
static inline int
t_check_dedup(const t_seen *s, uint64_t first, size_t n, bool check_order)
{
	unsigned char *got = calloc(n, 1);
	int			problems = 0;
	uint64_t	last_new = 0;

	for (size_t i = 0; i < s->n; i++)
	{
		uint64_t	id = s->ids[i];

		if (id < first || id >= first + n)
		{
			if (problems++ < 5)
				fprintf(stderr, "  foreign id %" PRIu64 "\n", id);
			continue;
		}
		if (got[id - first])
			continue;			/* a duplicate: dropped by the dedup */
		got[id - first] = 1;
		if (check_order && id < last_new)
		{
			if (problems++ < 5)
				fprintf(stderr, "  id %" PRIu64 " first seen after %" PRIu64 "\n", id, last_new);
		}
		last_new = id;
	}
	for (size_t i = 0; i < n; i++)
	{
		if (!got[i] && problems++ < 10)
			fprintf(stderr, "  id %" PRIu64 " missing\n", first + i);
	}
	free(got);
	return problems;
}

/* ---- Redis consumer: XRANGE ---------------------------------------------------------------------- */

/* Reads every entry of stream (id must be "<n>-0"); key = the field name. false on error. */
static inline bool
t_redis_read(const char *stream, t_seen *out)
{
	struct timeval tv = {5, 0};
	redisContext *c = redisConnectWithTimeout("127.0.0.1", t_redis_port, tv);
	char		start[48] = "-";
	bool		ok = true;

	if (c == NULL || c->err)
	{
		if (c)
			redisFree(c);
		return false;
	}
	redisSetTimeout(c, tv);
	for (;;)
	{
		redisReply *r = redisCommand(c, "XRANGE %s %s + COUNT 1000", stream, start);
		size_t		got;

		if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		{
			ok = false;
			if (r)
				freeReplyObject(r);
			break;
		}
		got = r->elements;
		for (size_t i = 0; i < got; i++)
		{
			redisReply *e = r->element[i];
			redisReply *f = e->element[1];
			unsigned long long ms = 0,
						seq = 1;

			if (sscanf(e->element[0]->str, "%llu-%llu", &ms, &seq) != 2 || seq != 0)
				ok = false;
			t_seen_add(out, ms, f->elements >= 2 ? f->element[1]->str : "",
					   f->elements >= 2 ? f->element[1]->len : 0,
					   f->elements >= 1 ? f->element[0]->str : "",
					   f->elements >= 1 ? f->element[0]->len : 0);
			if (i + 1 == got)
				snprintf(start, sizeof(start), "(%s", e->element[0]->str);
		}
		freeReplyObject(r);
		if (got < 1000)
			break;
	}
	redisFree(c);
	return ok;
}

static inline long long
t_redis_int(const char *cmd, const char *arg)
{
	struct timeval tv = {5, 0};
	redisContext *c = redisConnectWithTimeout("127.0.0.1", t_redis_port, tv);
	long long	v = -1;

	if (c && !c->err)
	{
		redisReply *r = redisCommand(c, "%s %s", cmd, arg);

		if (r && r->type == REDIS_REPLY_INTEGER)
			v = r->integer;
		if (r)
			freeReplyObject(r);
	}
	if (c)
		redisFree(c);
	return v;
}

/* ---- RabbitMQ consumer: a durable queue bound to the exchange, basic.get ------------------------ */

typedef struct t_amqp
{
	amqp_connection_state_t conn;
	bool		ok;
} t_amqp;

static inline bool
t_amqp_rpc_ok(amqp_connection_state_t conn, const char *what)
{
	amqp_rpc_reply_t r = amqp_get_rpc_reply(conn);

	if (r.reply_type != AMQP_RESPONSE_NORMAL)
	{
		fprintf(stderr, "  amqp %s failed (reply type %d)\n", what, (int) r.reply_type);
		return false;
	}
	return true;
}

static inline bool
t_amqp_open(t_amqp *t)
{
	amqp_socket_t *s;
	struct timeval tv = {5, 0};

	memset(t, 0, sizeof(*t));
	t->conn = amqp_new_connection();
	s = amqp_tcp_socket_new(t->conn);
	if (amqp_socket_open_noblock(s, "127.0.0.1", t_amqp_port, &tv) != AMQP_STATUS_OK)
		return false;
	amqp_set_rpc_timeout(t->conn, &tv);
	amqp_set_handshake_timeout(t->conn, &tv);
	if (amqp_login(t->conn, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest",
				   "guest").reply_type != AMQP_RESPONSE_NORMAL)
		return false;
	amqp_channel_open(t->conn, 1);
	t->ok = t_amqp_rpc_ok(t->conn, "channel.open");
	return t->ok;
}

static inline void
t_amqp_close(t_amqp *t)
{
	if (t->conn)
	{
		amqp_channel_close(t->conn, 1, AMQP_REPLY_SUCCESS);
		amqp_connection_close(t->conn, AMQP_REPLY_SUCCESS);
		amqp_destroy_connection(t->conn);
	}
	t->conn = NULL;
}

/* Declares exchange (as the publisher does) and a durable queue bound to it with binding. */
static inline bool
t_amqp_bind(t_amqp *t, const char *exchange, const char *queue, const char *binding)
{
	amqp_exchange_declare(t->conn, 1, amqp_cstring_bytes(exchange), amqp_cstring_bytes("topic"),
						  0, 1, 0, 0, amqp_empty_table);
	if (!t_amqp_rpc_ok(t->conn, "exchange.declare"))
		return false;
	amqp_queue_declare(t->conn, 1, amqp_cstring_bytes(queue), 0, 1, 0, 0, amqp_empty_table);
	if (!t_amqp_rpc_ok(t->conn, "queue.declare"))
		return false;
	amqp_queue_bind(t->conn, 1, amqp_cstring_bytes(queue), amqp_cstring_bytes(exchange),
					amqp_cstring_bytes(binding), amqp_empty_table);
	return t_amqp_rpc_ok(t->conn, "queue.bind");
}

static inline void
t_amqp_cleanup(t_amqp *t, const char *exchange, const char *queue)
{
	if (queue)
	{
		amqp_queue_delete(t->conn, 1, amqp_cstring_bytes(queue), 0, 0);
		amqp_get_rpc_reply(t->conn);
	}
	if (exchange)
	{
		amqp_exchange_delete(t->conn, 1, amqp_cstring_bytes(exchange), 0);
		amqp_get_rpc_reply(t->conn);
	}
}

/*
 * basic.get until the queue is empty; each message: id from message_id, key = routing key.
 * *bad_props counts messages without persistent delivery / application/json / message_id.
 */
static inline bool
t_amqp_drain(t_amqp *t, const char *queue, t_seen *out, int *bad_props)
{
	for (;;)
	{
		amqp_rpc_reply_t r = amqp_basic_get(t->conn, 1, amqp_cstring_bytes(queue), 1);
		amqp_basic_get_ok_t *ok;
		amqp_message_t msg;
		char		idtext[32];
		char		rk[256];

		if (r.reply_type != AMQP_RESPONSE_NORMAL)
			return false;
		if (r.reply.id == AMQP_BASIC_GET_EMPTY_METHOD)
			return true;
		ok = r.reply.decoded;
		snprintf(rk, sizeof(rk), "%.*s", (int) ok->routing_key.len, (char *) ok->routing_key.bytes);
		if (amqp_read_message(t->conn, 1, &msg, 0).reply_type != AMQP_RESPONSE_NORMAL)
			return false;
		if (!(msg.properties._flags & AMQP_BASIC_MESSAGE_ID_FLAG) ||
			!(msg.properties._flags & AMQP_BASIC_DELIVERY_MODE_FLAG) ||
			msg.properties.delivery_mode != 2 ||
			!(msg.properties._flags & AMQP_BASIC_CONTENT_TYPE_FLAG) ||
			msg.properties.content_type.len != 16 ||
			memcmp(msg.properties.content_type.bytes, "application/json", 16) != 0)
			(*bad_props)++;
		snprintf(idtext, sizeof(idtext), "%.*s", (int) msg.properties.message_id.len,
				 (char *) msg.properties.message_id.bytes);
		t_seen_add(out, strtoull(idtext, NULL, 10), msg.body.bytes, msg.body.len, rk, strlen(rk));
		amqp_destroy_message(&msg);
		amqp_maybe_release_buffers(t->conn);
	}
}

/* ---- Kafka consumer: from the beginning of partition 0 to its end -------------------------------- */

/*
 * Reads the (single-partition, auto-created) topic from the beginning until at least `want`
 * messages were read AND the end of the partition was reached, or timeout_s passes. Each message:
 * id from the "xt-id" header, key = message key. *bad_hdr counts messages whose header is missing
 * or does not match the body's "seq".
 */
static inline bool
t_kafka_read(const char *topic, size_t want, double timeout_s, t_seen *out, int *bad_hdr)
{
	char		err[512];
	char		group[128];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_t *rk;
	rd_kafka_topic_partition_list_t *parts;
	double		deadline = t_now() + timeout_s;
	bool		at_eof = false;

	snprintf(group, sizeof(group), "xt-test-%s", t_run);
	rd_kafka_conf_set(conf, "bootstrap.servers", T_KAFKA, err, sizeof(err));
	rd_kafka_conf_set(conf, "group.id", group, err, sizeof(err));
	rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof(err));
	rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof(err));
	rd_kafka_conf_set(conf, "isolation.level", "read_uncommitted", err, sizeof(err));
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
	if (rk == NULL)
	{
		fprintf(stderr, "  kafka consumer: %s\n", err);
		return false;
	}
	parts = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(parts, topic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
	rd_kafka_assign(rk, parts);
	rd_kafka_topic_partition_list_destroy(parts);
	while (t_now() < deadline && !(at_eof && out->n >= want))
	{
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
		rd_kafka_headers_t *hdrs = NULL;
		const void *hv = NULL;
		size_t		hl = 0;
		char		idtext[32] = "";
		uint64_t	id;

		if (m == NULL)
			continue;
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
		{
			at_eof = true;
			rd_kafka_message_destroy(m);
			continue;
		}
		if (m->err)
		{
			/* e.g. the topic is not there yet: keep polling until the deadline */
			rd_kafka_message_destroy(m);
			continue;
		}
		at_eof = false;
		if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR &&
			rd_kafka_header_get_last(hdrs, "xt-id", &hv, &hl) == RD_KAFKA_RESP_ERR_NO_ERROR &&
			hl < sizeof(idtext))
		{
			memcpy(idtext, hv, hl);
			idtext[hl] = '\0';
		}
		id = strtoull(idtext, NULL, 10);
		{
			char		pat[48];

			snprintf(pat, sizeof(pat), "\"seq\":%" PRIu64 ",", id);
			if (id == 0 || m->len == 0 || memmem(m->payload, m->len, pat, strlen(pat)) == NULL)
				(*bad_hdr)++;
		}
		t_seen_add(out, id, m->payload, m->len, m->key, m->key_len);
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return at_eof && out->n >= want;
}

/* Exact comparison of what a consumer saw with what was published (no duplicates expected). */
static inline int
t_compare_exact(const t_seen *s, const t_batch *b, int key_kind)
{
	int			problems = 0;

	if (s->n != b->n)
	{
		fprintf(stderr, "  consumer saw %zu messages, expected %zu\n", s->n, b->n);
		return 1;
	}
	for (size_t i = 0; i < b->n; i++)
	{
		const char *want_key = key_kind == 0 ? b->m[i].key : b->m[i].routing_key;

		if (s->ids[i] != b->m[i].id || strcmp(s->bodies[i], b->bodies[i]) != 0 ||
			(key_kind >= 0 && strcmp(s->keys[i], want_key) != 0))
		{
			if (problems++ < 5)
				fprintf(stderr, "  message %zu: got id %" PRIu64 " key %s, expected id %" PRIu64
						" key %s%s\n", i, s->ids[i], s->keys[i], b->m[i].id, want_key,
						strcmp(s->bodies[i], b->bodies[i]) ? " (body differs)" : "");
		}
	}
	return problems;
}

/* ---- scripts/brokers and bounded waits ------------------------------------------------------------ */

static inline int
t_brokers(const char *args)
{
	char		cmd[256];

	snprintf(cmd, sizeof(cmd), "scripts/brokers %s >/dev/null 2>&1", args);
	return system(cmd);
}

/* Polls xt_pub_health_check until it succeeds or timeout_s passes; returns seconds taken or -1. */
static inline double
t_wait_healthy(xt_publisher *p, double timeout_s)
{
	double		t0 = t_now();

	while (t_now() - t0 < timeout_s)
	{
		if (xt_pub_health_check(p))
			return t_now() - t0;
		/* a failed check already waited up to its connect timeout, or was refused at once:
		 * in the refused case wait a little before knocking again */
		(void) poll(NULL, 0, 100);
	}
	return -1;
}

#endif							/* XT_TEST_PUB_UTIL_H */
