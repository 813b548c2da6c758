/*
 * test_publishers.c: the publisher core (src/brokers) against the real brokers of
 * scripts/brokers: URL parsing and redaction, then for Redis, RabbitMQ and Kafka a round trip read
 * back by a real consumer (ids, bodies, keys, order), the resend of an already delivered batch
 * (confirmed; a consumer deduplicating by id sees each message once), and the bounded failure of
 * a publisher pointed at a port nobody listens on. The broker outages are in
 * test_publisher_chaos.c.
 *
 * Needs: scripts/brokers start. Every stream/topic/exchange/queue name is fresh per run.
 */
#include "xt_test.h"

#include "test_pub_util.h"

/* ---- URL parsing -------------------------------------------------------------------------------- */

XT_TEST(url_redis)
{
	xt_broker_url u;
	char		err[256];

	XT_REQUIRE(xt_parse_redis_url("redis://127.0.0.1:6379", &u, err, sizeof(err)));
	XT_CHECK_STR(u.host, "127.0.0.1");
	XT_CHECK_EQ(u.port, 6379);
	XT_CHECK_EQ(u.db, 0);
	XT_CHECK(!u.has_password);

	XT_REQUIRE(xt_parse_redis_url("redis://app:s%40cr%2Ft@redis.example:6380/3", &u, err,
								  sizeof(err)));
	XT_CHECK_STR(u.user, "app");
	XT_CHECK_STR(u.password, "s@cr/t");
	XT_CHECK_STR(u.host, "redis.example");
	XT_CHECK_EQ(u.port, 6380);
	XT_CHECK_EQ(u.db, 3);

	XT_REQUIRE(xt_parse_redis_url("redis://:pw@[::1]:7000", &u, err, sizeof(err)));
	XT_CHECK_STR(u.user, "");
	XT_CHECK_STR(u.password, "pw");
	XT_CHECK_STR(u.host, "::1");
	XT_CHECK_EQ(u.port, 7000);

	XT_REQUIRE(xt_parse_redis_url("redis://host", &u, err, sizeof(err)));
	XT_CHECK_EQ(u.port, 6379);

	XT_CHECK(!xt_parse_redis_url("http://127.0.0.1:6379", &u, err, sizeof(err)));
	XT_CHECK(!xt_parse_redis_url("redis://127.0.0.1:0", &u, err, sizeof(err)));
	XT_CHECK(!xt_parse_redis_url("redis://127.0.0.1:65536", &u, err, sizeof(err)));
	XT_CHECK(!xt_parse_redis_url("redis://127.0.0.1:63x9", &u, err, sizeof(err)));
	XT_CHECK(!xt_parse_redis_url("redis://:6379", &u, err, sizeof(err)));
	XT_CHECK(!xt_parse_redis_url("redis://h:1/x", &u, err, sizeof(err)));
	XT_CHECK(!xt_parse_redis_url("redis://h:1?db=2", &u, err, sizeof(err)));
	XT_CHECK(!xt_parse_redis_url("redis://user@h:1", &u, err, sizeof(err)));
	XT_CHECK(!xt_parse_redis_url("redis://u:p%4@h:1", &u, err, sizeof(err)));
	XT_CHECK(!xt_parse_redis_url("redis://u:p%00x@h:1", &u, err, sizeof(err)));
	XT_CHECK(!xt_parse_redis_url("redis://h o:1", &u, err, sizeof(err)));
	XT_CHECK(!xt_parse_redis_url("redis://[::1:1", &u, err, sizeof(err)));
	XT_CHECK(!xt_parse_redis_url(NULL, &u, err, sizeof(err)));
	/* an error never shows the password */
	XT_CHECK(!xt_parse_redis_url("redis://u:hunter2@h:99999", &u, err, sizeof(err)));
	XT_CHECK(strstr(err, "hunter2") == NULL);
}

XT_TEST(url_amqp)
{
	xt_broker_url u;
	char		err[256];

	XT_REQUIRE(xt_parse_amqp_url("amqp://guest:guest@127.0.0.1:5672/", &u, err, sizeof(err)));
	XT_CHECK_STR(u.user, "guest");
	XT_CHECK_STR(u.password, "guest");
	XT_CHECK_STR(u.vhost, "/");
	XT_CHECK_EQ(u.port, 5672);

	XT_REQUIRE(xt_parse_amqp_url("amqp://a%20b:p%3Aw%40d@mq:5673/prod%2Feu", &u, err,
								 sizeof(err)));
	XT_CHECK_STR(u.user, "a b");
	XT_CHECK_STR(u.password, "p:w@d");
	XT_CHECK_STR(u.host, "mq");
	XT_CHECK_EQ(u.port, 5673);
	XT_CHECK_STR(u.vhost, "prod/eu");

	XT_REQUIRE(xt_parse_amqp_url("amqp://mq/%2F", &u, err, sizeof(err)));
	XT_CHECK_STR(u.vhost, "/");
	XT_CHECK_STR(u.user, "guest");
	XT_CHECK_EQ(u.port, 5672);

	XT_CHECK(!xt_parse_amqp_url("amqps://mq", &u, err, sizeof(err)));
	XT_CHECK(!xt_parse_amqp_url("amqp://user@mq", &u, err, sizeof(err)));
	XT_CHECK(!xt_parse_amqp_url("amqp://u:p@mq/a/b", &u, err, sizeof(err)));
	XT_CHECK(!xt_parse_amqp_url("amqp://u:p@mq/%zz", &u, err, sizeof(err)));
	XT_CHECK(!xt_parse_amqp_url("amqp://u:p@:5672/", &u, err, sizeof(err)));
	XT_CHECK(!xt_parse_amqp_url("amqp://u:p@mq:5672x/", &u, err, sizeof(err)));
}

XT_TEST(url_kafka)
{
	int			n = 0;
	char		err[256];

	XT_CHECK(xt_parse_kafka_brokers("127.0.0.1:9092", &n, err, sizeof(err)));
	XT_CHECK_EQ(n, 1);
	XT_CHECK(xt_parse_kafka_brokers("k1:9092,k2.example:9093,[::1]:9094", &n, err, sizeof(err)));
	XT_CHECK_EQ(n, 3);
	XT_CHECK(!xt_parse_kafka_brokers("", &n, err, sizeof(err)));
	XT_CHECK(!xt_parse_kafka_brokers("k1", &n, err, sizeof(err)));
	XT_CHECK(!xt_parse_kafka_brokers("k1:9092,", &n, err, sizeof(err)));
	XT_CHECK(!xt_parse_kafka_brokers("k1:9092,,k2:1", &n, err, sizeof(err)));
	XT_CHECK(!xt_parse_kafka_brokers("PLAINTEXT://k1:9092", &n, err, sizeof(err)));
	XT_CHECK(!xt_parse_kafka_brokers("k1:9092 k2:9092", &n, err, sizeof(err)));
}

XT_TEST(url_redact)
{
	char		out[256];

	xt_redact_url("amqp://app:s3cret@mq:5672/prod", out, sizeof(out));
	XT_CHECK_STR(out, "amqp://app:****@mq:5672/prod");
	xt_redact_url("redis://:s3cret@r:6379/1", out, sizeof(out));
	XT_CHECK_STR(out, "redis://:****@r:6379/1");
	xt_redact_url("redis://127.0.0.1:6379", out, sizeof(out));
	XT_CHECK_STR(out, "redis://127.0.0.1:6379");
	xt_redact_url("amqp://u:p@w@mq/", out, sizeof(out));	/* the last '@' ends userinfo */
	XT_CHECK_STR(out, "amqp://u:****@mq/");
	xt_redact_url("k1:9092,k2:9092", out, sizeof(out));
	XT_CHECK_STR(out, "k1:9092,k2:9092");
	xt_redact_url("amqp://app:s3cret@mq:5672/prod", out, 12);
	XT_CHECK(strstr(out, "s3cret") == NULL);
}

XT_TEST(create_rejects_bad_config)
{
	char		err[256] = "";
	xt_pub_config cfg = {.kind = XT_PUB_AMQP, .url = "amqp://app:topsecret@mq:99999/"};

	XT_CHECK(xt_pub_create(&cfg, err, sizeof(err)) == NULL);
	XT_CHECK(strstr(err, "port") != NULL);
	XT_CHECK(strstr(err, "topsecret") == NULL);
	cfg.kind = XT_PUB_KAFKA;
	cfg.url = "kafka://k1:9092";
	XT_CHECK(xt_pub_create(&cfg, err, sizeof(err)) == NULL);
	cfg.kind = XT_PUB_REDIS;
	cfg.url = "";
	XT_CHECK(xt_pub_create(&cfg, err, sizeof(err)) == NULL);
}

/* ---- a broker nobody runs: bounded failure, FAILED state, counters ------------------------------- */

static void
check_unreachable(xt_pub_kind kind, const char *url)
{
	char		err[256];
	xt_pub_config cfg = {.kind = kind, .url = url, .connect_timeout_ms = 500,
	.io_timeout_ms = 1000};
	xt_publisher *p = xt_pub_create(&cfg, err, sizeof(err));
	t_batch		b;
	double		t0;

	XT_REQUIRE(p != NULL);
	XT_CHECK_EQ(xt_pub_get_state(p), XT_PUB_DISCONNECTED);
	t_batch_make(&b, 1, 10);
	t0 = t_now();
	XT_CHECK_EQ(xt_pub_publish_batch(p, b.m, b.n), 0);
	XT_CHECK(!xt_pub_health_check(p));
	XT_CHECK(t_now() - t0 < 4.0);
	XT_CHECK_EQ(xt_pub_get_state(p), XT_PUB_FAILED);
	XT_CHECK(xt_pub_last_error(p)[0] != '\0');
	XT_CHECK(xt_pub_get_stats(p).errors >= 2);
	XT_CHECK_EQ(xt_pub_get_stats(p).confirmed, 0);
	t_batch_free(&b);
	xt_pub_destroy(p);
}

XT_TEST(unreachable_redis)
{
	check_unreachable(XT_PUB_REDIS, "redis://127.0.0.1:1");
}

XT_TEST(unreachable_amqp)
{
	check_unreachable(XT_PUB_AMQP, "amqp://guest:guest@127.0.0.1:1/");
}

XT_TEST(unreachable_kafka)
{
	check_unreachable(XT_PUB_KAFKA, "127.0.0.1:1");
}

XT_TEST(batch_ids_must_increase)
{
	char		err[256];
	xt_pub_config cfg = {.kind = XT_PUB_REDIS, .url = T_REDIS_URL};
	xt_publisher *p = xt_pub_create(&cfg, err, sizeof(err));
	t_batch		b;

	XT_REQUIRE(p != NULL);
	t_batch_make(&b, 10, 3);
	b.m[2].id = 11;				/* 10, 11, 11 */
	XT_CHECK_EQ(xt_pub_publish_batch(p, b.m, b.n), 0);
	XT_CHECK(strstr(xt_pub_last_error(p), "increase") != NULL);
	t_batch_free(&b);
	xt_pub_destroy(p);
}

/* ---- Redis ----------------------------------------------------------------------------------------- */

static xt_publisher *
redis_pub(const char *stream)
{
	char		err[256];
	xt_pub_config cfg = {.kind = XT_PUB_REDIS, .url = T_REDIS_URL, .target = stream,
	.connect_timeout_ms = 2000, .io_timeout_ms = 3000};
	xt_publisher *p = xt_pub_create(&cfg, err, sizeof(err));

	if (p == NULL)
		fprintf(stderr, "  redis publisher: %s\n", err);
	return p;
}

XT_TEST(redis_round_trip)
{
	char		stream[96];
	xt_publisher *p;
	t_batch		b;
	t_seen		s = {0};

	snprintf(stream, sizeof(stream), "xt:test:%s:rt", t_run);
	p = redis_pub(stream);
	XT_REQUIRE(p != NULL);
	t_batch_make(&b, 1001, 2500);
	XT_CHECK(xt_pub_health_check(p));
	XT_CHECK_EQ(xt_pub_get_state(p), XT_PUB_LIVE);
	/* three batches of different sizes */
	XT_CHECK_EQ(xt_pub_publish_batch(p, b.m, 1), 1);
	XT_CHECK_EQ(xt_pub_publish_batch(p, b.m + 1, 999), 999);
	XT_CHECK_EQ(xt_pub_publish_batch(p, b.m + 1000, 1500), 1500);
	XT_CHECK_EQ(xt_pub_get_stats(p).confirmed, 2500);
	XT_CHECK_EQ(xt_pub_get_stats(p).duplicates, 0);
	XT_CHECK(t_redis_read(stream, &s));
	/* key_kind -1: the field is checked below (it is "data" for all) */
	XT_CHECK_EQ(t_compare_exact(&s, &b, -1), 0);
	for (size_t i = 0; i < s.n; i++)
		if (strcmp(s.keys[i], "data") != 0)
		{
			XT_FAIL_AT("field %s", s.keys[i]);
			break;
		}
	t_seen_free(&s);
	t_batch_free(&b);
	xt_pub_destroy(p);
	t_redis_int("DEL", stream);
}

XT_TEST(redis_field_per_message)
{
	char		stream[96];
	xt_publisher *p;
	t_batch		b;
	t_seen		s = {0};

	snprintf(stream, sizeof(stream), "xt:test:%s:field", t_run);
	p = redis_pub(stream);
	XT_REQUIRE(p != NULL);
	t_batch_make(&b, 1, 2);
	b.m[1].field = "execution";
	XT_CHECK_EQ(xt_pub_publish_batch(p, b.m, 2), 2);
	XT_CHECK(t_redis_read(stream, &s));
	XT_REQUIRE(s.n == 2);
	XT_CHECK_STR(s.keys[0], "data");
	XT_CHECK_STR(s.keys[1], "execution");
	t_seen_free(&s);
	t_batch_free(&b);
	xt_pub_destroy(p);
	t_redis_int("DEL", stream);
}

XT_TEST(redis_resend_is_confirmed)
{
	char		stream[96];
	xt_publisher *p;
	t_batch		b;
	t_seen		s = {0};

	snprintf(stream, sizeof(stream), "xt:test:%s:resend", t_run);
	p = redis_pub(stream);
	XT_REQUIRE(p != NULL);
	t_batch_make(&b, 1, 15);
	XT_CHECK_EQ(xt_pub_publish_batch(p, b.m, 10), 10);
	/* the same batch again (a lost reply, a worker restart): all confirmed, nothing added */
	XT_CHECK_EQ(xt_pub_publish_batch(p, b.m, 10), 10);
	XT_CHECK_EQ(xt_pub_get_stats(p).duplicates, 10);
	XT_CHECK_EQ(t_redis_int("XLEN", stream), 10);
	/* an overlapping batch: 5..10 already there, 11..15 new */
	XT_CHECK_EQ(xt_pub_publish_batch(p, b.m + 4, 11), 11);
	XT_CHECK_EQ(xt_pub_get_stats(p).duplicates, 16);
	XT_CHECK_EQ(t_redis_int("XLEN", stream), 15);
	XT_CHECK_EQ(xt_pub_get_state(p), XT_PUB_LIVE);
	XT_CHECK(t_redis_read(stream, &s));
	XT_CHECK_EQ(t_compare_exact(&s, &b, -1), 0);
	t_seen_free(&s);
	t_batch_free(&b);
	xt_pub_destroy(p);
	t_redis_int("DEL", stream);
}

XT_TEST(redis_gap_is_not_confirmed)
{
	char		stream[96];
	xt_publisher *p;
	t_batch		b;

	snprintf(stream, sizeof(stream), "xt:test:%s:gap", t_run);
	p = redis_pub(stream);
	XT_REQUIRE(p != NULL);
	t_batch_make(&b, 1, 10);
	XT_CHECK_EQ(xt_pub_publish_batch(p, b.m, 5), 5);	/* 1..5 */
	XT_CHECK_EQ(xt_pub_publish_batch(p, b.m + 7, 3), 3);	/* 8..10 */
	/* 6 and 7 are below the top (10) but were never added: a gap, not a duplicate */
	XT_CHECK_EQ(xt_pub_publish_batch(p, b.m + 5, 2), 0);
	XT_CHECK(strstr(xt_pub_last_error(p), "gap") != NULL);
	XT_CHECK_EQ(xt_pub_get_state(p), XT_PUB_LIVE);
	/* 4, 5 are duplicates, 6 is a gap: the confirmed prefix is 2 */
	XT_CHECK_EQ(xt_pub_publish_batch(p, b.m + 3, 4), 2);
	XT_CHECK_EQ(t_redis_int("XLEN", stream), 8);
	t_batch_free(&b);
	xt_pub_destroy(p);
	t_redis_int("DEL", stream);
}

XT_TEST(redis_trimmed_resend_is_confirmed)
{
	char		stream[96];
	char		err[256];
	xt_publisher *p;
	t_batch		b;
	xt_pub_config cfg = {.kind = XT_PUB_REDIS, .url = T_REDIS_URL, .redis_maxlen = -1};

	snprintf(stream, sizeof(stream), "xt:test:%s:trim", t_run);
	cfg.target = stream;
	p = xt_pub_create(&cfg, err, sizeof(err));
	XT_REQUIRE(p != NULL);
	t_batch_make(&b, 1, 200);
	XT_CHECK_EQ(xt_pub_publish_batch(p, b.m, 200), 200);
	/* exact trim to the newest 50 (as MAXLEN ~ does over time), then resend the oldest */
	{
		struct timeval tv = {5, 0};
		redisContext *c = redisConnectWithTimeout("127.0.0.1", t_redis_port, tv);
		redisReply *r = redisCommand(c, "XTRIM %s MAXLEN 50", stream);

		XT_CHECK(r && r->type == REDIS_REPLY_INTEGER && r->integer == 150);
		freeReplyObject(r);
		redisFree(c);
	}
	XT_CHECK_EQ(xt_pub_publish_batch(p, b.m, 100), 100);
	XT_CHECK_EQ(t_redis_int("XLEN", stream), 50);
	t_batch_free(&b);
	xt_pub_destroy(p);
	t_redis_int("DEL", stream);
}

/* ---- RabbitMQ -------------------------------------------------------------------------------------- */

static xt_publisher *
amqp_pub(const char *exchange)
{
	char		err[256];
	xt_pub_config cfg = {.kind = XT_PUB_AMQP, .url = T_AMQP_URL, .target = exchange,
	.connect_timeout_ms = 3000, .io_timeout_ms = 5000};
	xt_publisher *p = xt_pub_create(&cfg, err, sizeof(err));

	if (p == NULL)
		fprintf(stderr, "  amqp publisher: %s\n", err);
	return p;
}

XT_TEST(amqp_round_trip)
{
	char		ex[96],
				qe[112],
				qt[112];
	xt_publisher *p;
	t_batch		b;
	t_amqp		c;
	t_seen		se = {0},
				st = {0};
	int			bad = 0;
	size_t		nexec = 0,
				ntick = 0;

	snprintf(ex, sizeof(ex), "xt.test.%s.rt", t_run);
	snprintf(qe, sizeof(qe), "%s.executions", ex);
	snprintf(qt, sizeof(qt), "%s.tickers", ex);
	p = amqp_pub(ex);
	XT_REQUIRE(p != NULL);
	/* the publisher declares the exchange on connect; the consumer binds its queues after */
	XT_REQUIRE(xt_pub_health_check(p));
	XT_REQUIRE(t_amqp_open(&c));
	XT_REQUIRE(t_amqp_bind(&c, ex, qe, "execution.*"));
	XT_REQUIRE(t_amqp_bind(&c, ex, qt, "ticker.*"));
	t_batch_make(&b, 5001, 3000);
	XT_CHECK_EQ(xt_pub_publish_batch(p, b.m, 1000), 1000);
	XT_CHECK_EQ(xt_pub_publish_batch(p, b.m + 1000, 1), 1);
	XT_CHECK_EQ(xt_pub_publish_batch(p, b.m + 1001, 1999), 1999);
	XT_CHECK_EQ(xt_pub_get_stats(p).confirmed, 3000);
	XT_CHECK(t_amqp_drain(&c, qe, &se, &bad));
	XT_CHECK(t_amqp_drain(&c, qt, &st, &bad));
	XT_CHECK_EQ(bad, 0);
	/* each queue got exactly its routing keys' messages, in order, with their bodies */
	{
		size_t		ie = 0,
					it = 0;

		for (size_t i = 0; i < b.n; i++)
		{
			t_seen	   *s = strncmp(b.rkeys[i], "execution.", 10) == 0 ? &se : &st;
			size_t	   *j = s == &se ? &ie : &it;

			if (s == &se)
				nexec++;
			else
				ntick++;
			if (*j >= s->n || s->ids[*j] != b.m[i].id || strcmp(s->bodies[*j], b.bodies[i]) ||
				strcmp(s->keys[*j], b.rkeys[i]))
			{
				XT_FAIL_AT("message %" PRIu64 " not where expected", b.m[i].id);
				break;
			}
			(*j)++;
		}
		XT_CHECK_EQ(se.n, nexec);
		XT_CHECK_EQ(st.n, ntick);
		XT_CHECK(ntick > 0 && nexec > 0);
	}
	t_amqp_cleanup(&c, ex, qe);
	t_amqp_cleanup(&c, NULL, qt);
	t_amqp_close(&c);
	t_seen_free(&se);
	t_seen_free(&st);
	t_batch_free(&b);
	xt_pub_destroy(p);
}

XT_TEST(amqp_resend_dedup)
{
	char		ex[96],
				q[112];
	xt_publisher *p;
	t_batch		b;
	t_amqp		c;
	t_seen		s = {0};
	int			bad = 0;

	snprintf(ex, sizeof(ex), "xt.test.%s.resend", t_run);
	snprintf(q, sizeof(q), "%s.all", ex);
	p = amqp_pub(ex);
	XT_REQUIRE(p != NULL);
	XT_REQUIRE(xt_pub_health_check(p));
	XT_REQUIRE(t_amqp_open(&c));
	XT_REQUIRE(t_amqp_bind(&c, ex, q, "#"));
	t_batch_make(&b, 1, 500);
	XT_CHECK_EQ(xt_pub_publish_batch(p, b.m, 300), 300);
	/* resend of an already delivered batch (a lost cursor update) and an overlapping one */
	XT_CHECK_EQ(xt_pub_publish_batch(p, b.m, 300), 300);
	XT_CHECK_EQ(xt_pub_publish_batch(p, b.m + 200, 300), 300);
	XT_CHECK(t_amqp_drain(&c, q, &s, &bad));
	XT_CHECK_EQ(s.n, 900);		/* RabbitMQ does not dedup: the consumer must */
	XT_CHECK_EQ(t_check_dedup(&s, 1, 500, true), 0);
	XT_CHECK_EQ(bad, 0);
	t_amqp_cleanup(&c, ex, q);
	t_amqp_close(&c);
	t_seen_free(&s);
	t_batch_free(&b);
	xt_pub_destroy(p);
}

XT_TEST(amqp_exchange_type_conflict_fails_cleanly)
{
	char		ex[96],
				err[256];
	t_amqp		c;
	xt_publisher *p;
	t_batch		b;

	/* someone declared our exchange as "direct": connect must fail with the server's reason */
	snprintf(ex, sizeof(ex), "xt.test.%s.conflict", t_run);
	XT_REQUIRE(t_amqp_open(&c));
	amqp_exchange_declare(c.conn, 1, amqp_cstring_bytes(ex), amqp_cstring_bytes("direct"), 0, 0,
						  1, 0, amqp_empty_table);
	XT_REQUIRE(t_amqp_rpc_ok(c.conn, "exchange.declare direct"));
	p = amqp_pub(ex);
	XT_REQUIRE(p != NULL);
	t_batch_make(&b, 1, 3);
	XT_CHECK_EQ(xt_pub_publish_batch(p, b.m, 3), 0);
	XT_CHECK_EQ(xt_pub_get_state(p), XT_PUB_FAILED);
	snprintf(err, sizeof(err), "%s", xt_pub_last_error(p));
	XT_CHECK(strstr(err, "PRECONDITION_FAILED") != NULL || strstr(err, "406") != NULL);
	t_amqp_cleanup(&c, ex, NULL);
	t_amqp_close(&c);
	t_batch_free(&b);
	xt_pub_destroy(p);
}

/* ---- Kafka ----------------------------------------------------------------------------------------- */

static xt_publisher *
kafka_pub(const char *topic)
{
	char		err[256];
	xt_pub_config cfg = {.kind = XT_PUB_KAFKA, .url = T_KAFKA, .target = topic,
	.connect_timeout_ms = 5000, .io_timeout_ms = 10000};
	xt_publisher *p = xt_pub_create(&cfg, err, sizeof(err));

	if (p == NULL)
		fprintf(stderr, "  kafka publisher: %s\n", err);
	return p;
}

XT_TEST(kafka_round_trip)
{
	char		topic[96];
	xt_publisher *p;
	t_batch		b;
	t_seen		s = {0};
	int			bad = 0;

	snprintf(topic, sizeof(topic), "xt-test-%s-rt", t_run);
	p = kafka_pub(topic);
	XT_REQUIRE(p != NULL);
	XT_CHECK(xt_pub_health_check(p));
	XT_CHECK_EQ(xt_pub_get_state(p), XT_PUB_LIVE);
	t_batch_make(&b, 70001, 3000);
	XT_CHECK_EQ(xt_pub_publish_batch(p, b.m, 1), 1);
	XT_CHECK_EQ(xt_pub_publish_batch(p, b.m + 1, 999), 999);
	XT_CHECK_EQ(xt_pub_publish_batch(p, b.m + 1000, 2000), 2000);
	XT_CHECK_EQ(xt_pub_get_stats(p).confirmed, 3000);
	if (xt_pub_get_stats(p).confirmed != 3000)
		fprintf(stderr, "  last error: %s\n", xt_pub_last_error(p));
	XT_CHECK(t_kafka_read(topic, 3000, 30.0, &s, &bad));
	XT_CHECK_EQ(bad, 0);
	XT_CHECK_EQ(t_compare_exact(&s, &b, 0), 0);
	t_seen_free(&s);
	t_batch_free(&b);
	xt_pub_destroy(p);
}

XT_TEST(kafka_resend_dedup)
{
	char		topic[96];
	xt_publisher *p;
	t_batch		b;
	t_seen		s = {0};
	int			bad = 0;

	snprintf(topic, sizeof(topic), "xt-test-%s-resend", t_run);
	p = kafka_pub(topic);
	XT_REQUIRE(p != NULL);
	t_batch_make(&b, 1, 500);
	XT_CHECK_EQ(xt_pub_publish_batch(p, b.m, 300), 300);
	XT_CHECK_EQ(xt_pub_publish_batch(p, b.m, 300), 300);
	XT_CHECK_EQ(xt_pub_publish_batch(p, b.m + 200, 300), 300);
	XT_CHECK(t_kafka_read(topic, 900, 30.0, &s, &bad));
	XT_CHECK_EQ(s.n, 900);		/* a new produce of the same id is a new record: dedup is ours */
	XT_CHECK_EQ(t_check_dedup(&s, 1, 500, true), 0);
	XT_CHECK_EQ(bad, 0);
	t_seen_free(&s);
	t_batch_free(&b);
	xt_pub_destroy(p);
}

XT_TEST_MAIN()
