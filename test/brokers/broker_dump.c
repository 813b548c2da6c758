/*
 * broker_dump.c: read what the brokers hold, for test/brokers/chaos_pg.sh (not a test itself:
 * `make brokers-unit` runs only test_*.c). Built with `make build/brokers/broker_dump`.
 *
 *   broker_dump redis STREAM                  every entry (XRANGE), oldest first
 *   broker_dump redis-del STREAM              DEL the stream (prints the number of keys deleted)
 *   broker_dump kafka-offsets TOPIC           "PARTITION<TAB>END_OFFSET" per partition (nothing
 *                                             when the topic does not exist; never creates it)
 *   broker_dump kafka-create TOPIC            create it (broker defaults; there already: fine)
 *                                             and wait until every partition has a leader
 *   broker_dump kafka TOPIC [P:OFF,...]       every partition from OFF (from its beginning when
 *                                             not listed) up to its end offset at the start
 *   broker_dump amqp-bind EXCHANGE QUEUE BINDING
 *                                             declare the exchange exactly as the publisher does
 *                                             (durable topic), a durable queue, and bind them
 *   broker_dump amqp QUEUE                    drain QUEUE (a consumer with prefetch, auto-ack;
 *                                             for a queue no one publishes to any more)
 *   broker_dump amqp-delete QUEUE             delete QUEUE
 *
 * The readers print one line per message:
 *
 *   ID<TAB>KEY<TAB>BODY<TAB>META
 *
 * ID: the message id (Redis: the stream id's first part; Kafka: the "xt-id" header; RabbitMQ:
 * message_id), 0 when missing or not a number. KEY: Redis the field name, Kafka the message key,
 * RabbitMQ the routing key. BODY: the payload as is (JSON never holds raw tabs or newlines; if
 * one does, they are printed as '?' and META says "badchars"). META: space-separated facts —
 * Redis "entry=<stream id> fields=<n>", Kafka "partition=<p> offset=<o> idtext=<header>
 * type=<xt-type header>", RabbitMQ "delivery_mode=<m> content_type=<t> message_id=<text>
 * type=<type property>" ("-" when absent). Exit status 0 when the read
 * finished, 1 on any error (printed to stderr).
 *
 * Ports: XT_REDIS_PORT (6379), XT_KAFKA_PORT (9092), XT_RABBITMQ_PORT (5672) on 127.0.0.1, as
 * scripts/brokers uses them. Reuses test_pub_util.h (its AMQP declare/cleanup, its consumer
 * loops' shape).
 */
#include "test_pub_util.h"

#include <errno.h>

/* Prints one output line; raw tabs/newlines/NULs in key or body become '?'. */
static void
emit(uint64_t id, const char *key, size_t klen, const char *body, size_t blen, const char *meta)
{
	bool		bad = false;

	printf("%" PRIu64 "\t", id);
	for (size_t i = 0; i < klen; i++)
	{
		char		c = key[i];

		if (c == '\t' || c == '\n' || c == '\r' || c == '\0')
		{
			c = '?';
			bad = true;
		}
		putchar(c);
	}
	putchar('\t');
	for (size_t i = 0; i < blen; i++)
	{
		char		c = body[i];

		if (c == '\t' || c == '\n' || c == '\r' || c == '\0')
		{
			c = '?';
			bad = true;
		}
		putchar(c);
	}
	printf("\t%s%s\n", meta, bad ? " badchars" : "");
}

static uint64_t
parse_id(const char *s, size_t len)
{
	char		buf[32];
	char	   *end;
	unsigned long long v;

	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (buf[i] < '0' || buf[i] > '9')
			return 0;
	errno = 0;
	v = strtoull(buf, &end, 10);
	return errno || *end ? 0 : (uint64_t) v;
}

/* ---- Redis ---------------------------------------------------------------------------------- */

static redisContext *
redis_open(void)
{
	struct timeval tv = {5, 0};
	redisContext *c = redisConnectWithTimeout("127.0.0.1", t_redis_port, tv);

	if (c == NULL || c->err)
	{
		fprintf(stderr, "redis: connect: %s\n", c ? c->errstr : "out of memory");
		if (c)
			redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, tv);
	return c;
}

static int
redis_dump(const char *stream)
{
	redisContext *c = redis_open();
	char		start[64] = "-";
	int			rc = 0;

	if (c == NULL)
		return 1;
	for (;;)
	{
		redisReply *r = redisCommand(c, "XRANGE %s %s + COUNT 1000", stream, start);
		size_t		got;

		if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		{
			fprintf(stderr, "redis: XRANGE %s: %s\n", stream,
					r == NULL ? c->errstr : r->type == REDIS_REPLY_ERROR ? r->str : "not an array");
			if (r)
				freeReplyObject(r);
			rc = 1;
			break;
		}
		got = r->elements;
		for (size_t i = 0; i < got; i++)
		{
			redisReply *e = r->element[i];
			redisReply *f;
			const char *eid;
			const char *dash;
			char		meta[160];

			if (e->type != REDIS_REPLY_ARRAY || e->elements < 2 ||
				e->element[0]->type != REDIS_REPLY_STRING || e->element[1]->type != REDIS_REPLY_ARRAY)
			{
				fprintf(stderr, "redis: malformed XRANGE entry\n");
				rc = 1;
				continue;
			}
			eid = e->element[0]->str;
			f = e->element[1];
			dash = strchr(eid, '-');
			snprintf(meta, sizeof(meta), "entry=%s fields=%zu", eid, f->elements / 2);
			emit(parse_id(eid, dash ? (size_t) (dash - eid) : strlen(eid)),
				 f->elements >= 1 ? f->element[0]->str : "", f->elements >= 1 ? f->element[0]->len : 0,
				 f->elements >= 2 ? f->element[1]->str : "", f->elements >= 2 ? f->element[1]->len : 0,
				 meta);
			if (i + 1 == got)
				snprintf(start, sizeof(start), "(%s", eid);
		}
		freeReplyObject(r);
		if (got < 1000)
			break;
	}
	redisFree(c);
	return rc;
}

static int
redis_del(const char *stream)
{
	redisContext *c = redis_open();
	redisReply *r;
	int			rc = 1;

	if (c == NULL)
		return 1;
	r = redisCommand(c, "DEL %s", stream);
	if (r && r->type == REDIS_REPLY_INTEGER)
	{
		printf("%lld\n", r->integer);
		rc = 0;
	}
	else
		fprintf(stderr, "redis: DEL %s failed\n", stream);
	if (r)
		freeReplyObject(r);
	redisFree(c);
	return rc;
}

/* ---- Kafka ---------------------------------------------------------------------------------- */

#define MAX_PARTS 256

static rd_kafka_t *
kafka_consumer(void)
{
	char		err[512];
	char		bootstrap[64];
	char		group[128];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_t *rk;

	snprintf(bootstrap, sizeof(bootstrap), "%s", T_KAFKA);
	snprintf(group, sizeof(group), "xt-broker-dump-%s", t_run);
	if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err)) ||
		rd_kafka_conf_set(conf, "group.id", group, err, sizeof(err)) ||
		rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof(err)) ||
		rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof(err)) ||
		rd_kafka_conf_set(conf, "allow.auto.create.topics", "false", err, sizeof(err)) ||
		rd_kafka_conf_set(conf, "isolation.level", "read_uncommitted", err, sizeof(err)))
	{
		fprintf(stderr, "kafka: config: %s\n", err);
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
	if (rk == NULL)
		fprintf(stderr, "kafka: consumer: %s\n", err);
	return rk;
}

/* The partitions of topic (from an all-topics metadata request, which never auto-creates);
 * -1 on error, 0 when the topic does not exist. */
static int
kafka_partitions(rd_kafka_t *rk, const char *topic, int32_t *ids, int max)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, NULL, &md, 10000);
	int			n = 0;

	if (err)
	{
		fprintf(stderr, "kafka: metadata: %s\n", rd_kafka_err2str(err));
		return -1;
	}
	for (int t = 0; t < md->topic_cnt; t++)
	{
		if (strcmp(md->topics[t].topic, topic) != 0)
			continue;
		if (md->topics[t].err)
		{
			fprintf(stderr, "kafka: topic %s: %s\n", topic, rd_kafka_err2str(md->topics[t].err));
			rd_kafka_metadata_destroy(md);
			return -1;
		}
		for (int p = 0; p < md->topics[t].partition_cnt && n < max; p++)
			ids[n++] = md->topics[t].partitions[p].id;
	}
	rd_kafka_metadata_destroy(md);
	return n;
}

static int
kafka_offsets(const char *topic)
{
	rd_kafka_t *rk = kafka_consumer();
	int32_t		parts[MAX_PARTS];
	int			n,
				rc = 0;

	if (rk == NULL)
		return 1;
	n = kafka_partitions(rk, topic, parts, MAX_PARTS);
	if (n < 0)
		rc = 1;
	for (int i = 0; i < n; i++)
	{
		int64_t		lo = 0,
					hi = 0;
		rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(rk, topic, parts[i], &lo, &hi,
																	10000);

		if (err)
		{
			fprintf(stderr, "kafka: offsets of %s [%d]: %s\n", topic, parts[i], rd_kafka_err2str(err));
			rc = 1;
			continue;
		}
		printf("%d\t%" PRId64 "\n", parts[i], hi);
	}
	rd_kafka_destroy(rk);
	return rc;
}

/* Creates topic with the broker's default partitions and replication (already there: fine), then
 * waits until the metadata shows it with a leader for every partition. */
static int
kafka_create(const char *topic)
{
	rd_kafka_t *rk = kafka_consumer();
	rd_kafka_NewTopic_t *nt;
	rd_kafka_queue_t *q;
	rd_kafka_event_t *ev;
	char		err[256];
	int			rc = 0;
	double		deadline = t_now() + 30;

	if (rk == NULL)
		return 1;
	nt = rd_kafka_NewTopic_new(topic, -1, -1, err, sizeof(err));
	if (nt == NULL)
	{
		fprintf(stderr, "kafka: new topic %s: %s\n", topic, err);
		rd_kafka_destroy(rk);
		return 1;
	}
	q = rd_kafka_queue_new(rk);
	rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
	ev = rd_kafka_queue_poll(q, 30000);
	if (ev == NULL || rd_kafka_event_error(ev))
	{
		fprintf(stderr, "kafka: CreateTopics %s: %s\n", topic,
				ev ? rd_kafka_event_error_string(ev) : "no answer within 30 s");
		rc = 1;
	}
	else
	{
		const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
		size_t		n = 0;
		const rd_kafka_topic_result_t **tr = rd_kafka_CreateTopics_result_topics(res, &n);

		for (size_t i = 0; i < n; i++)
		{
			rd_kafka_resp_err_t e = rd_kafka_topic_result_error(tr[i]);

			if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
			{
				fprintf(stderr, "kafka: CreateTopics %s: %s\n", topic,
						rd_kafka_topic_result_error_string(tr[i]));
				rc = 1;
			}
		}
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	rd_kafka_NewTopic_destroy(nt);
	while (rc == 0)
	{
		const struct rd_kafka_metadata *md = NULL;
		bool		ready = false;

		if (rd_kafka_metadata(rk, 1, NULL, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR)
		{
			for (int t = 0; t < md->topic_cnt; t++)
			{
				if (strcmp(md->topics[t].topic, topic) != 0 || md->topics[t].err)
					continue;
				ready = md->topics[t].partition_cnt > 0;
				for (int p = 0; p < md->topics[t].partition_cnt; p++)
					if (md->topics[t].partitions[p].leader < 0 || md->topics[t].partitions[p].err)
						ready = false;
			}
			rd_kafka_metadata_destroy(md);
		}
		if (ready)
			break;
		if (t_now() > deadline)
		{
			fprintf(stderr, "kafka: topic %s has no leader within 30 s\n", topic);
			rc = 1;
			break;
		}
		(void) poll(NULL, 0, 200);
	}
	rd_kafka_destroy(rk);
	return rc;
}

/* from: "P:OFF,P:OFF" (may be empty) */
static int
kafka_dump(const char *topic, const char *from)
{
	rd_kafka_t *rk = kafka_consumer();
	int32_t		parts[MAX_PARTS];
	int64_t		start[MAX_PARTS];
	int64_t		end[MAX_PARTS];
	bool		done[MAX_PARTS];
	int			n,
				left = 0,
				rc = 0;
	rd_kafka_topic_partition_list_t *assign;
	double		deadline = t_now() + 120;

	if (rk == NULL)
		return 1;
	n = kafka_partitions(rk, topic, parts, MAX_PARTS);
	if (n <= 0)
	{
		rd_kafka_destroy(rk);
		if (n == 0)
			fprintf(stderr, "kafka: topic %s does not exist\n", topic);
		return n == 0 ? 0 : 1;
	}
	assign = rd_kafka_topic_partition_list_new(n);
	for (int i = 0; i < n; i++)
	{
		int64_t		lo = 0,
					hi = 0;
		rd_kafka_resp_err_t err;
		const char *s = from;

		start[i] = RD_KAFKA_OFFSET_BEGINNING;
		while (s && *s)
		{
			int			p;
			long long	o;

			if (sscanf(s, "%d:%lld", &p, &o) == 2 && p == parts[i])
				start[i] = o;
			s = strchr(s, ',');
			if (s)
				s++;
		}
		err = rd_kafka_query_watermark_offsets(rk, topic, parts[i], &lo, &hi, 10000);
		if (err)
		{
			fprintf(stderr, "kafka: offsets of %s [%d]: %s\n", topic, parts[i], rd_kafka_err2str(err));
			rd_kafka_topic_partition_list_destroy(assign);
			rd_kafka_destroy(rk);
			return 1;
		}
		if (start[i] >= 0 && start[i] < lo)
		{
			fprintf(stderr, "kafka: %s [%d]: offset %" PRId64 " was deleted (log starts at %" PRId64 ")\n",
					topic, parts[i], start[i], lo);
			rc = 1;
		}
		end[i] = hi;
		done[i] = (start[i] >= 0 ? start[i] : lo) >= hi;
		if (!done[i])
			left++;
		rd_kafka_topic_partition_list_add(assign, topic, parts[i])->offset = start[i];
	}
	if (left > 0)
		rd_kafka_assign(rk, assign);
	rd_kafka_topic_partition_list_destroy(assign);
	while (left > 0 && t_now() < deadline)
	{
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
		rd_kafka_headers_t *hdrs = NULL;
		const void *hv = NULL;
		size_t		hl = 0;
		char		idtext[32] = "";
		char		meta[160];
		int			pi = -1;

		if (m == NULL)
			continue;
		for (int i = 0; i < n; i++)
			if (parts[i] == m->partition)
				pi = i;
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
		{
			if (pi >= 0 && !done[pi] && m->offset >= end[pi])
			{
				done[pi] = true;
				left--;
			}
			rd_kafka_message_destroy(m);
			continue;
		}
		if (m->err)
		{
			fprintf(stderr, "kafka: consume: %s\n", rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
			continue;
		}
		if (pi >= 0 && m->offset < end[pi])
		{
			char		type[32] = "";

			if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR)
			{
				if (rd_kafka_header_get_last(hdrs, "xt-id", &hv, &hl) == RD_KAFKA_RESP_ERR_NO_ERROR &&
					hl < sizeof(idtext))
				{
					memcpy(idtext, hv, hl);
					idtext[hl] = '\0';
				}
				if (rd_kafka_header_get_last(hdrs, "xt-type", &hv, &hl) == RD_KAFKA_RESP_ERR_NO_ERROR &&
					hl < sizeof(type))
				{
					memcpy(type, hv, hl);
					type[hl] = '\0';
				}
			}
			snprintf(meta, sizeof(meta), "partition=%d offset=%" PRId64 " idtext=%s type=%s",
					 (int) m->partition, m->offset, idtext[0] ? idtext : "-", type[0] ? type : "-");
			emit(parse_id(idtext, strlen(idtext)), m->key ? m->key : "", m->key ? m->key_len : 0,
				 m->payload ? m->payload : "", m->payload ? m->len : 0, meta);
			if (m->offset + 1 >= end[pi] && !done[pi])
			{
				done[pi] = true;
				left--;
			}
		}
		rd_kafka_message_destroy(m);
	}
	if (left > 0)
	{
		fprintf(stderr, "kafka: %d partition(s) of %s not read to their end within 120 s\n", left,
				topic);
		rc = 1;
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return rc;
}

/* ---- RabbitMQ ------------------------------------------------------------------------------- */

static bool
amqp_open_port(t_amqp *t)
{
	amqp_socket_t *s;
	struct timeval tv = {10, 0};

	memset(t, 0, sizeof(*t));
	t->conn = amqp_new_connection();
	s = amqp_tcp_socket_new(t->conn);
	if (s == NULL ||
		amqp_socket_open_noblock(s, "127.0.0.1", t_amqp_port, &tv)
		!= AMQP_STATUS_OK)
	{
		fprintf(stderr, "amqp: cannot connect\n");
		return false;
	}
	amqp_set_rpc_timeout(t->conn, &tv);
	amqp_set_handshake_timeout(t->conn, &tv);
	if (amqp_login(t->conn, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest",
				   "guest").reply_type != AMQP_RESPONSE_NORMAL)
	{
		fprintf(stderr, "amqp: login failed\n");
		return false;
	}
	amqp_channel_open(t->conn, 1);
	t->ok = t_amqp_rpc_ok(t->conn, "channel.open");
	return t->ok;
}

/* Prints one delivered message (routing key, properties, body). */
static void
amqp_emit(const char *rk, const amqp_basic_properties_t *props, const amqp_bytes_t body)
{
	char		idtext[64] = "";
	char		ctype[64] = "";
	char		type[64] = "";
	char		meta[256];
	int			mode = 0;

	if (props->_flags & AMQP_BASIC_MESSAGE_ID_FLAG)
		snprintf(idtext, sizeof(idtext), "%.*s", (int) props->message_id.len,
				 (char *) props->message_id.bytes);
	if (props->_flags & AMQP_BASIC_CONTENT_TYPE_FLAG)
		snprintf(ctype, sizeof(ctype), "%.*s", (int) props->content_type.len,
				 (char *) props->content_type.bytes);
	if (props->_flags & AMQP_BASIC_DELIVERY_MODE_FLAG)
		mode = props->delivery_mode;
	if (props->_flags & AMQP_BASIC_TYPE_FLAG)
		snprintf(type, sizeof(type), "%.*s", (int) props->type.len, (char *) props->type.bytes);
	for (char *c = type; *c; c++)
		if (*c == ' ' || *c == '\t')
			*c = '_';
	for (char *c = idtext; *c; c++)
		if (*c == ' ' || *c == '\t')
			*c = '_';
	for (char *c = ctype; *c; c++)
		if (*c == ' ' || *c == '\t')
			*c = '_';
	snprintf(meta, sizeof(meta), "delivery_mode=%d content_type=%s message_id=%s type=%s", mode,
			 ctype[0] ? ctype : "-", idtext[0] ? idtext : "-", type[0] ? type : "-");
	emit(parse_id(idtext, strlen(idtext)), rk, strlen(rk), body.bytes, body.len, meta);
}

/*
 * Drains queue: its message count from a passive queue.declare, then a consumer (auto-ack,
 * prefetch 2000: no round trip per message, unlike basic.get) until that many arrived and nothing
 * more comes for a moment. Meant for a queue nobody publishes to any more.
 */
static int
amqp_drain(t_amqp *t, const char *queue)
{
	amqp_queue_declare_ok_t *d;
	uint64_t	want,
				got = 0;
	double		last = t_now();

	d = amqp_queue_declare(t->conn, 1, amqp_cstring_bytes(queue), 1, 0, 0, 0, amqp_empty_table);
	if (d == NULL || !t_amqp_rpc_ok(t->conn, "queue.declare passive"))
		return 1;
	want = d->message_count;
	amqp_basic_qos(t->conn, 1, 0, 2000, 0);
	if (!t_amqp_rpc_ok(t->conn, "basic.qos"))
		return 1;
	amqp_basic_consume(t->conn, 1, amqp_cstring_bytes(queue), amqp_empty_bytes, 0, 1, 1,
					   amqp_empty_table);
	if (!t_amqp_rpc_ok(t->conn, "basic.consume"))
		return 1;
	for (;;)
	{
		/* once the count is reached, 0.5 s of silence ends it; before, 30 s is an error */
		double		wait = got >= want ? 0.5 : 30;
		struct timeval tv;
		amqp_envelope_t env;
		amqp_rpc_reply_t r;
		char		rk[256];

		amqp_maybe_release_buffers(t->conn);
		tv.tv_sec = (time_t) wait;
		tv.tv_usec = (suseconds_t) ((wait - (double) tv.tv_sec) * 1e6);
		r = amqp_consume_message(t->conn, &env, &tv, 0);
		if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_TIMEOUT)
		{
			if (got >= want)
				return 0;
			fprintf(stderr, "amqp: %s: %" PRIu64 " of %" PRIu64 " messages, then nothing for %.0f s\n",
					queue, got, want, t_now() - last);
			return 1;
		}
		if (r.reply_type != AMQP_RESPONSE_NORMAL)
		{
			fprintf(stderr, "amqp: consuming %s failed (reply type %d, library error %d)\n", queue,
					(int) r.reply_type, r.library_error);
			return 1;
		}
		snprintf(rk, sizeof(rk), "%.*s", (int) env.routing_key.len, (char *) env.routing_key.bytes);
		amqp_emit(rk, &env.message.properties, env.message.body);
		amqp_destroy_envelope(&env);
		got++;
		last = t_now();
	}
}

static int
amqp_cmd(const char *cmd, int argc, char **argv)
{
	t_amqp		t;
	int			rc = 0;

	if (!amqp_open_port(&t))
	{
		t_amqp_close(&t);
		return 1;
	}
	if (strcmp(cmd, "amqp-bind") == 0)
	{
		if (argc != 5)
			rc = 2;
		else if (!t_amqp_bind(&t, argv[2], argv[3], argv[4]))
			rc = 1;
	}
	else if (strcmp(cmd, "amqp") == 0)
		rc = argc == 3 ? amqp_drain(&t, argv[2]) : 2;
	else if (strcmp(cmd, "amqp-delete") == 0)
	{
		if (argc != 3)
			rc = 2;
		else
		{
			amqp_queue_delete(t.conn, 1, amqp_cstring_bytes(argv[2]), 0, 0);
			rc = t_amqp_rpc_ok(t.conn, "queue.delete") ? 0 : 1;
		}
	}
	t_amqp_close(&t);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	int			rc = 2;

	if (strcmp(cmd, "redis") == 0 && argc == 3)
		rc = redis_dump(argv[2]);
	else if (strcmp(cmd, "redis-del") == 0 && argc == 3)
		rc = redis_del(argv[2]);
	else if (strcmp(cmd, "kafka-offsets") == 0 && argc == 3)
		rc = kafka_offsets(argv[2]);
	else if (strcmp(cmd, "kafka-create") == 0 && argc == 3)
		rc = kafka_create(argv[2]);
	else if (strcmp(cmd, "kafka") == 0 && (argc == 3 || argc == 4))
		rc = kafka_dump(argv[2], argc == 4 ? argv[3] : "");
	else if (strncmp(cmd, "amqp", 4) == 0)
		rc = amqp_cmd(cmd, argc, argv);
	if (rc == 2)
		fprintf(stderr, "usage: broker_dump redis|redis-del STREAM | kafka-offsets TOPIC | "
				"kafka-create TOPIC | kafka TOPIC [P:OFF,...] | amqp-bind EXCHANGE QUEUE BINDING | amqp|amqp-delete QUEUE\n");
	if (fflush(stdout) != 0)
		rc = 1;
	return rc;
}
