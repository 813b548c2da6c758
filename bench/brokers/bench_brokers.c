/*
 * bench_brokers.c: confirmed messages per second of each publisher (src/brokers) beside a plain
 * client loop against the same broker in the same run.
 *
 * Owns: the workload (N messages of ~S bytes of execution JSON, ids 1..N, three symbols, routing
 * keys execution./ticker.) and the three baselines:
 *   redis  a plain hiredis loop: pipelined XADD <stream> MAXLEN ~ 10000000 <id>-0 data <body>,
 *          B commands per round trip, every reply read;
 *   kafka  a plain librdkafka producer (acks=all, otherwise default settings) producing all N
 *          messages back to back, then flushing; delivery reports counted;
 *   amqp   a plain rabbitmq-c loop: confirm.select, B persistent basic.publish, then wait for
 *          the acks of the B messages.
 * The publisher side calls xt_pub_publish_batch with batches of B and counts confirmed messages.
 * Every run uses fresh stream/topic/exchange names; RabbitMQ runs publish to a durable topic
 * exchange with one durable queue bound to "#" (so messages are persisted, as in production),
 * purged between runs. Kafka topics are created (and have a leader) before either side's clock
 * starts, as the workers' topic already exists in production. Each side runs --reps times
 * (alternating); the median is reported.
 *
 * Usage: bench_brokers [--broker redis|kafka|amqp|all] [--msgs N] [--batch B] [--size S]
 *                      [--reps R]
 * Brokers on 127.0.0.1, ports from XT_REDIS_PORT (6379), XT_KAFKA_PORT (9092) and
 * XT_RABBITMQ_PORT (5672), as scripts/brokers runs them.
 * Prints one line per broker:
 *   bench=brokers broker=redis msgs=... batch=... size=... msgs_per_s=... baseline_per_s=...
 *   ratio=... target_per_s=... target_met=yes|no
 */
#include <inttypes.h>
#include <signal.h>
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

static size_t n_msgs = 200000;
static size_t batch = 1000;
static size_t msg_size = 300;
static int	reps = 3;
static xt_pub_msg *msgs;
static char run_tag[48];
static int	run_no;
static int	redis_port = 6379;
static int	kafka_port = 9092;
static int	amqp_port = 5672;
static char redis_url[64];
static char kafka_url[64];
static char amqp_url[96];

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

static const char *syms[] = {"BTC-KRW", "ETH-KRW", "XRP-KRW"};

static int
env_port(const char *name, int dflt)
{
	const char *v = getenv(name);

	return v && *v ? atoi(v) : dflt;
}

static void
make_messages(void)
{
	msgs = calloc(n_msgs, sizeof(*msgs));
	for (size_t i = 0; i < n_msgs; i++)
	{
		uint64_t	id = i + 1;
		char	   *body = malloc(msg_size + 1);
		char	   *rk = malloc(32);
		int			len = snprintf(body, msg_size + 1,
								   "{\"type\":\"Execution\",\"seq\":%" PRIu64 ",\"execution_report\":"
								   "{\"order_id\":%" PRIu64 ",\"symbol\":\"%s\",\"side\":\"Buy\","
								   "\"price\":\"50000000\",\"quantity\":\"0.001\","
								   "\"remaining_quantity\":\"0\"},\"order_status\":\"Filled\","
								   "\"pad\":\"", id, id * 7, syms[id % 3]);

		/* pad to exactly msg_size bytes of valid JSON */
		while ((size_t) len + 2 < msg_size)
			body[len++] = 'x';
		body[len++] = '"';
		body[len++] = '}';
		body[len] = '\0';
		snprintf(rk, 32, "%s.%s", id % 5 == 3 ? "ticker" : "execution", syms[id % 3]);
		msgs[i].id = id;
		msgs[i].key = syms[id % 3];
		msgs[i].routing_key = rk;
		msgs[i].body = body;
		msgs[i].len = (size_t) len;
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : x > y;
}

static void
fresh_name(char *out, size_t len, const char *fmt)
{
	snprintf(out, len, fmt, run_tag, ++run_no);
}

/* ---- the publisher side ---------------------------------------------------------------------------- */

static double
run_publisher(xt_pub_kind kind, const char *url, const char *target)
{
	char		err[256];
	xt_pub_config cfg = {.kind = kind, .url = url, .target = target, .io_timeout_ms = 30000};
	xt_publisher *p = xt_pub_create(&cfg, err, sizeof(err));
	size_t		cursor = 0;
	double		t0,
				dt;

	if (p == NULL || !xt_pub_health_check(p))
	{
		fprintf(stderr, "publisher %s: %s\n", url, p ? xt_pub_last_error(p) : err);
		xt_pub_destroy(p);
		return 0;
	}
	t0 = now_s();
	while (cursor < n_msgs)
	{
		size_t		n = n_msgs - cursor < batch ? n_msgs - cursor : batch;
		size_t		k = xt_pub_publish_batch(p, msgs + cursor, n);

		cursor += k;
		if (k < n)
		{
			fprintf(stderr, "publisher: short batch: %s\n", xt_pub_last_error(p));
			break;
		}
	}
	dt = now_s() - t0;
	xt_pub_destroy(p);
	return (double) cursor / dt;
}

/* ---- Redis baseline ---------------------------------------------------------------------------------- */

static double
redis_baseline(const char *stream)
{
	struct timeval tv = {30, 0};
	redisContext *c = redisConnectWithTimeout("127.0.0.1", redis_port, tv);
	size_t		done = 0;
	double		t0,
				dt;

	if (c == NULL || c->err)
		return 0;
	redisSetTimeout(c, tv);
	t0 = now_s();
	for (size_t off = 0; off < n_msgs; off += batch)
	{
		size_t		n = n_msgs - off < batch ? n_msgs - off : batch;

		for (size_t i = 0; i < n; i++)
		{
			char		id[24];
			const xt_pub_msg *m = &msgs[off + i];
			const char *argv[8] = {"XADD", stream, "MAXLEN", "~", "10000000", id, "data", m->body};
			size_t		argl[8] = {4, strlen(stream), 6, 1, 8, 0, 4, m->len};

			argl[5] = (size_t) snprintf(id, sizeof(id), "%" PRIu64 "-0", m->id);
			redisAppendCommandArgv(c, 8, argv, argl);
		}
		for (size_t i = 0; i < n; i++)
		{
			void	   *r;

			if (redisGetReply(c, &r) != REDIS_OK)
				goto out;
			if (((redisReply *) r)->type == REDIS_REPLY_STRING)
				done++;
			freeReplyObject(r);
		}
	}
out:
	dt = now_s() - t0;
	redisFree(c);
	return (double) done / dt;
}

static void
redis_del(const char *stream)
{
	struct timeval tv = {10, 0};
	redisContext *c = redisConnectWithTimeout("127.0.0.1", redis_port, tv);

	if (c && !c->err)
		freeReplyObject(redisCommand(c, "DEL %s", stream));
	if (c)
		redisFree(c);
}

/* ---- Kafka baseline ---------------------------------------------------------------------------------- */

static size_t kafka_ok;

static void
kafka_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	(void) rk;
	(void) opaque;
	if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR)
		kafka_ok++;
}

static double
kafka_baseline(const char *topic)
{
	char		err[256];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_t *rk;
	double		t0,
				dt;

	rd_kafka_conf_set(conf, "bootstrap.servers", kafka_url, err, sizeof(err));
	rd_kafka_conf_set(conf, "acks", "all", err, sizeof(err));
	rd_kafka_conf_set_dr_msg_cb(conf, kafka_dr);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (rk == NULL)
		return 0;
	kafka_ok = 0;
	/* connect before the clock starts, as the publisher's health check does */
	{
		const struct rd_kafka_metadata *md;

		if (rd_kafka_metadata(rk, 0, NULL, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR)
			rd_kafka_metadata_destroy(md);
	}
	t0 = now_s();
	for (size_t i = 0; i < n_msgs; i++)
	{
		const xt_pub_msg *m = &msgs[i];

		while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
								 RD_KAFKA_V_KEY(m->key, strlen(m->key)),
								 RD_KAFKA_V_VALUE((void *) m->body, m->len),
								 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
								 RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
			rd_kafka_poll(rk, 10);
		rd_kafka_poll(rk, 0);
	}
	rd_kafka_flush(rk, 60000);
	dt = now_s() - t0;
	rd_kafka_destroy(rk);
	return (double) kafka_ok / dt;
}

/*
 * Have the broker create topic (auto.create.topics.enable, the producer's metadata request for
 * it) and wait until every partition has a leader, at most 15 s: false if it did not happen.
 */
static bool
kafka_create_topic(const char *topic)
{
	char		err[256];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_t *rk;
	rd_kafka_topic_t *t;
	bool		ready = false;

	rd_kafka_conf_set(conf, "bootstrap.servers", kafka_url, err, sizeof(err));
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (rk == NULL)
		return false;
	t = rd_kafka_topic_new(rk, topic, NULL);
	for (double deadline = now_s() + 15; !ready && now_s() < deadline;)
	{
		const struct rd_kafka_metadata *md;

		if (rd_kafka_metadata(rk, 0, t, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR)
		{
			ready = md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
				md->topics[0].partition_cnt > 0;
			for (int i = 0; ready && i < md->topics[0].partition_cnt; i++)
				ready = md->topics[0].partitions[i].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
					md->topics[0].partitions[i].leader >= 0;
			rd_kafka_metadata_destroy(md);
		}
		if (!ready)
			usleep(100 * 1000);
	}
	rd_kafka_topic_destroy(t);
	rd_kafka_destroy(rk);
	return ready;
}

/* ---- RabbitMQ baseline ------------------------------------------------------------------------------- */

static amqp_connection_state_t
amqp_open(void)
{
	amqp_connection_state_t conn = amqp_new_connection();
	amqp_socket_t *s = amqp_tcp_socket_new(conn);
	struct timeval tv = {30, 0};

	if (amqp_socket_open_noblock(s, "127.0.0.1", amqp_port, &tv) != AMQP_STATUS_OK)
		return NULL;
	amqp_set_rpc_timeout(conn, &tv);
	if (amqp_login(conn, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest",
				   "guest").reply_type != AMQP_RESPONSE_NORMAL)
		return NULL;
	amqp_channel_open(conn, 1);
	if (amqp_get_rpc_reply(conn).reply_type != AMQP_RESPONSE_NORMAL)
		return NULL;
	return conn;
}

static void
amqp_close(amqp_connection_state_t conn)
{
	amqp_channel_close(conn, 1, AMQP_REPLY_SUCCESS);
	amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
	amqp_destroy_connection(conn);
}

/* A durable topic exchange with one durable queue bound to "#". */
static bool
amqp_setup(const char *ex)
{
	amqp_connection_state_t c = amqp_open();
	char		q[128];
	bool		ok;

	if (c == NULL)
		return false;
	snprintf(q, sizeof(q), "%s.q", ex);
	amqp_exchange_declare(c, 1, amqp_cstring_bytes(ex), amqp_cstring_bytes("topic"), 0, 1, 0, 0,
						  amqp_empty_table);
	amqp_queue_declare(c, 1, amqp_cstring_bytes(q), 0, 1, 0, 0, amqp_empty_table);
	amqp_queue_bind(c, 1, amqp_cstring_bytes(q), amqp_cstring_bytes(ex), amqp_cstring_bytes("#"),
					amqp_empty_table);
	ok = amqp_get_rpc_reply(c).reply_type == AMQP_RESPONSE_NORMAL;
	amqp_close(c);
	return ok;
}

static void
amqp_teardown(const char *ex)
{
	amqp_connection_state_t c = amqp_open();
	char		q[128];

	if (c == NULL)
		return;
	snprintf(q, sizeof(q), "%s.q", ex);
	amqp_queue_delete(c, 1, amqp_cstring_bytes(q), 0, 0);
	amqp_get_rpc_reply(c);
	amqp_exchange_delete(c, 1, amqp_cstring_bytes(ex), 0);
	amqp_get_rpc_reply(c);
	amqp_close(c);
}

static double
amqp_baseline(const char *ex)
{
	amqp_connection_state_t c = amqp_open();
	amqp_basic_properties_t props;
	uint64_t	tag = 0;
	size_t		acked = 0;
	double		t0,
				dt;

	if (c == NULL)
		return 0;
	amqp_confirm_select(c, 1);
	if (amqp_get_rpc_reply(c).reply_type != AMQP_RESPONSE_NORMAL)
		return 0;
	t0 = now_s();
	for (size_t off = 0; off < n_msgs; off += batch)
	{
		size_t		n = n_msgs - off < batch ? n_msgs - off : batch;
		uint64_t	last = tag + n;

		for (size_t i = 0; i < n; i++)
		{
			const xt_pub_msg *m = &msgs[off + i];
			char		id[24];

			snprintf(id, sizeof(id), "%" PRIu64, m->id);
			props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG |
				AMQP_BASIC_MESSAGE_ID_FLAG;
			props.content_type = amqp_cstring_bytes("application/json");
			props.delivery_mode = 2;
			props.message_id = amqp_cstring_bytes(id);
			amqp_basic_publish(c, 1, amqp_cstring_bytes(ex), amqp_cstring_bytes(m->routing_key),
							   0, 0, &props,
							   (amqp_bytes_t)
							   {
								   .len = m->len, .bytes = (void *) m->body
							   });
		}
		tag = last;
		/* wait until the broker acked up to the last tag of the batch */
		for (;;)
		{
			amqp_frame_t f;
			struct timeval tv = {30, 0};

			amqp_maybe_release_buffers(c);
			if (amqp_simple_wait_frame_noblock(c, &f, &tv) != AMQP_STATUS_OK)
				goto out;
			if (f.frame_type == AMQP_FRAME_METHOD && f.payload.method.id == AMQP_BASIC_ACK_METHOD)
			{
				amqp_basic_ack_t *a = f.payload.method.decoded;

				if (a->delivery_tag >= last)
					break;
			}
		}
		acked += n;
	}
out:
	dt = now_s() - t0;
	amqp_close(c);
	return (double) acked / dt;
}

/* ---- main -------------------------------------------------------------------------------------------- */

typedef enum
{
	B_REDIS,
	B_KAFKA,
	B_AMQP
} which;

static void
bench_one(which w)
{
	double	   *pub = calloc((size_t) reps, sizeof(double));
	double	   *base = calloc((size_t) reps, sizeof(double));
	const char *name = w == B_REDIS ? "redis" : w == B_KAFKA ? "kafka" : "amqp";
	double		target = w == B_REDIS ? 100000 : w == B_KAFKA ? 500000 : 30000;
	double		mp,
				mb,
				ratio;

	for (int r = 0; r < reps; r++)
	{
		char		a[96],
					b[96];

		switch (w)
		{
			case B_REDIS:
				fresh_name(a, sizeof(a), "xt:bench:%s:%d");
				fresh_name(b, sizeof(b), "xt:bench:%s:%d");
				base[r] = redis_baseline(b);
				pub[r] = run_publisher(XT_PUB_REDIS, redis_url, a);
				redis_del(a);
				redis_del(b);
				break;
			case B_KAFKA:
				fresh_name(a, sizeof(a), "xt-bench-%s-%d");
				fresh_name(b, sizeof(b), "xt-bench-%s-%d");
				if (!kafka_create_topic(a) || !kafka_create_topic(b))
					fprintf(stderr, "kafka: topics not ready, their creation is timed\n");
				base[r] = kafka_baseline(b);
				pub[r] = run_publisher(XT_PUB_KAFKA, kafka_url, a);
				break;
			case B_AMQP:
				fresh_name(a, sizeof(a), "xt.bench.%s.%d");
				fresh_name(b, sizeof(b), "xt.bench.%s.%d");
				if (!amqp_setup(a) || !amqp_setup(b))
					fprintf(stderr, "amqp setup failed\n");
				base[r] = amqp_baseline(b);
				pub[r] = run_publisher(XT_PUB_AMQP, amqp_url, a);
				amqp_teardown(a);
				amqp_teardown(b);
				break;
		}
		fprintf(stderr, "# %s rep %d: publisher %.0f/s baseline %.0f/s\n", name, r + 1, pub[r],
				base[r]);
	}
	qsort(pub, (size_t) reps, sizeof(double), cmp_double);
	qsort(base, (size_t) reps, sizeof(double), cmp_double);
	mp = pub[reps / 2];
	mb = base[reps / 2];
	ratio = mb > 0 ? mp / mb : 0;
	printf("bench=brokers broker=%s msgs=%zu batch=%zu size=%zu msgs_per_s=%.0f "
		   "baseline_per_s=%.0f ratio=%.2f target_per_s=%.0f target_met=%s\n",
		   name, n_msgs, batch, msg_size, mp, mb, ratio, target,
		   (mp >= target && ratio >= 0.5) ? "yes" : "no");
	fflush(stdout);
	free(pub);
	free(base);
}

int
main(int argc, char **argv)
{
	const char *broker = "all";

	signal(SIGPIPE, SIG_IGN);
	for (int i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "--broker") == 0 && i + 1 < argc)
			broker = argv[++i];
		else if (strcmp(argv[i], "--msgs") == 0 && i + 1 < argc)
			n_msgs = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
			batch = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc)
			msg_size = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
			reps = atoi(argv[++i]);
		else
		{
			fprintf(stderr, "usage: bench_brokers [--broker redis|kafka|amqp|all] [--msgs N] "
					"[--batch B] [--size S] [--reps R]\n");
			return 2;
		}
	}
	if (n_msgs == 0 || batch == 0 || batch > XT_PUB_MAX_BATCH || msg_size < 200 || reps < 1)
	{
		fprintf(stderr, "bench_brokers: bad arguments (size >= 200, 1 <= batch <= %d)\n",
				XT_PUB_MAX_BATCH);
		return 2;
	}
	redis_port = env_port("XT_REDIS_PORT", redis_port);
	kafka_port = env_port("XT_KAFKA_PORT", kafka_port);
	amqp_port = env_port("XT_RABBITMQ_PORT", amqp_port);
	snprintf(redis_url, sizeof(redis_url), "redis://127.0.0.1:%d", redis_port);
	snprintf(kafka_url, sizeof(kafka_url), "127.0.0.1:%d", kafka_port);
	snprintf(amqp_url, sizeof(amqp_url), "amqp://guest:guest@127.0.0.1:%d/", amqp_port);
	snprintf(run_tag, sizeof(run_tag), "%ld-%d", (long) time(NULL), (int) getpid());
	make_messages();
	if (strcmp(broker, "all") == 0 || strcmp(broker, "redis") == 0)
		bench_one(B_REDIS);
	if (strcmp(broker, "all") == 0 || strcmp(broker, "kafka") == 0)
		bench_one(B_KAFKA);
	if (strcmp(broker, "all") == 0 || strcmp(broker, "amqp") == 0)
		bench_one(B_AMQP);
	return 0;
}
