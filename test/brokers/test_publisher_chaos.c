/*
 * test_publisher_chaos.c: broker outages under a publishing loop, for each broker in turn:
 * SIGKILL (scripts/brokers kill, then start) and SIGSTOP (pause, then resume).
 *
 * The loop is what a publishing worker does: publish_batch from its cursor, advance the cursor by
 * the confirmed prefix only. A thread hits the broker while the loop runs. Checked: the failing
 * call returns (a prefix or 0) within connect + I/O timeout; the state becomes DISCONNECTED or
 * FAILED with an error text; while the broker is down publish_batch and health_check fail fast
 * and the state is FAILED; after start/resume health_check succeeds (polled with a deadline), the
 * loop resends from the first unconfirmed message and completes; a real consumer deduplicating by
 * id then sees every id exactly once, none missing, first occurrences in increasing order.
 *
 * Needs scripts/brokers start; restarts brokers (takes ~1 min). Leaves them running.
 * Usage: test_publisher_chaos [name-filter]   e.g. "redis", "kafka_pause"
 */
#include <pthread.h>

#include "xt_test.h"

#include "test_pub_util.h"

typedef struct chaos
{
	const char *broker;			/* scripts/brokers name */
	xt_publisher *p;
	t_batch		all;
	size_t		cursor;			/* first unconfirmed message: the "durable cursor" */
	size_t		batch;
	double		bound_s;		/* a call must return within this */
	double		max_call_s;		/* longest call seen while the broker was down */
	const char *action;			/* "kill redis", "pause kafka", ... run by the thread */
	int			action_rc;
} chaos;

static void *
action_thread(void *arg)
{
	chaos	   *c = arg;

	c->action_rc = t_brokers(c->action);
	return NULL;
}

/* One worker step; returns the confirmed count and tracks the call time. */
static size_t
step(chaos *c)
{
	size_t		n = c->all.n - c->cursor < c->batch ? c->all.n - c->cursor : c->batch;
	double		t0 = t_now();
	size_t		k = xt_pub_publish_batch(c->p, c->all.m + c->cursor, n);
	double		dt = t_now() - t0;

	if (dt > c->max_call_s)
		c->max_call_s = dt;
	c->cursor += k;
	return k;
}

/*
 * The scenario. fault: "kill" or "pause"; restore: "start" or "resume". Returns after the
 * consumer check has been read into *seen by the caller's reader.
 */
static void
run_chaos(chaos *c, const char *fault, const char *restore)
{
	char		action[64],
				again[64];
	pthread_t	th;
	double		t0;
	bool		failed_seen = false;
	size_t		cursor_at_fault;
	xt_pub_state st;

	/* live: a few batches, all confirmed */
	XT_REQUIRE(xt_pub_health_check(c->p));
	for (int i = 0; i < 3; i++)
		XT_CHECK_EQ(step(c), c->batch);

	/* the fault lands while the loop publishes */
	snprintf(action, sizeof(action), "%s %s", fault, c->broker);
	c->action = action;
	cursor_at_fault = c->cursor;
	XT_REQUIRE(pthread_create(&th, NULL, action_thread, c) == 0);
	t0 = t_now();
	while (c->cursor < c->all.n && t_now() - t0 < 60)
	{
		size_t		want = c->all.n - c->cursor < c->batch ? c->all.n - c->cursor : c->batch;

		if (step(c) < want)
		{
			failed_seen = true;
			break;
		}
	}
	pthread_join(th, NULL);
	XT_CHECK_EQ(c->action_rc, 0);
	XT_REQUIRE(failed_seen);	/* else the outage came after the last message: N too small */
	st = xt_pub_get_state(c->p);
	XT_CHECK(st == XT_PUB_DISCONNECTED || st == XT_PUB_FAILED);
	XT_CHECK(xt_pub_last_error(c->p)[0] != '\0');
	printf("# %s: failed after %zu more confirmed; state %s; error: %s\n", action,
		   c->cursor - cursor_at_fault, xt_pub_state_name(st), xt_pub_last_error(c->p));

	/* while down: both calls fail within their bound, the state is FAILED */
	XT_CHECK_EQ(step(c), 0);
	t0 = t_now();
	XT_CHECK(!xt_pub_health_check(c->p));
	XT_CHECK(t_now() - t0 <= c->bound_s);
	XT_CHECK_EQ(xt_pub_get_state(c->p), XT_PUB_FAILED);
	XT_CHECK(c->max_call_s <= c->bound_s);
	printf("# %s: longest call while down %.2f s (bound %.1f s)\n", action, c->max_call_s,
		   c->bound_s);

	/* recovery: the health check notices, the loop resends from the cursor and completes */
	snprintf(again, sizeof(again), "%s %s", restore, c->broker);
	XT_CHECK_EQ(t_brokers(again), 0);
	{
		double		took = t_wait_healthy(c->p, 90);

		XT_CHECK(took >= 0);
		printf("# %s: healthy %.2f s after '%s' returned\n", action, took, again);
	}
	t0 = t_now();
	while (c->cursor < c->all.n && t_now() - t0 < 60)
	{
		if (step(c) == 0 && xt_pub_get_state(c->p) != XT_PUB_LIVE)
			(void) t_wait_healthy(c->p, 30);
	}
	XT_CHECK_EQ(c->cursor, c->all.n);
	XT_CHECK(xt_pub_get_stats(c->p).reconnects >= 1);
}

static void
chaos_init(chaos *c, const char *broker, xt_pub_kind kind, const char *url, const char *target,
		   int cto, int io, size_t n, size_t batch)
{
	char		err[256];
	xt_pub_config cfg = {.kind = kind, .url = url, .target = target,
	.connect_timeout_ms = cto, .io_timeout_ms = io};

	memset(c, 0, sizeof(*c));
	c->broker = broker;
	c->p = xt_pub_create(&cfg, err, sizeof(err));
	if (c->p == NULL)
		fprintf(stderr, "  create: %s\n", err);
	t_batch_make(&c->all, 1, n);
	c->batch = batch;
	/* one connect + one I/O wait + scheduling slack */
	c->bound_s = (cto + io) / 1000.0 + 1.5;
}

static void
chaos_fini(chaos *c)
{
	xt_pub_destroy(c->p);
	t_batch_free(&c->all);
}

/* ---- Redis: the stream itself dedups (explicit ids), so the check is exact ----------------------- */

static void
redis_chaos(const char *fault, const char *restore)
{
	char		stream[96];
	chaos		c;
	t_seen		s = {0};

	snprintf(stream, sizeof(stream), "xt:chaos:%s:%s", t_run, fault);
	chaos_init(&c, "redis", XT_PUB_REDIS, T_REDIS_URL, stream, 1000, 2000, 200000, 500);
	XT_REQUIRE(c.p != NULL);
	run_chaos(&c, fault, restore);
	XT_CHECK(t_redis_read(stream, &s));
	XT_CHECK_EQ(s.n, c.all.n);	/* no duplicate entries at all: XADD <id>-0 refused them */
	XT_CHECK_EQ(t_check_dedup(&s, 1, c.all.n, true), 0);
	printf("# redis %s: %zu entries, duplicates confirmed on resend: %llu\n", fault, s.n,
		   (unsigned long long) xt_pub_get_stats(c.p).duplicates);
	t_seen_free(&s);
	t_redis_int("DEL", stream);
	chaos_fini(&c);
}

XT_TEST(redis_kill)
{
	redis_chaos("kill", "start");
}

XT_TEST(redis_pause)
{
	redis_chaos("pause", "resume");
}

/* ---- RabbitMQ ------------------------------------------------------------------------------------- */

static void
amqp_chaos(const char *fault, const char *restore)
{
	char		ex[96],
				q[112];
	chaos		c;
	t_amqp		a;
	t_seen		s = {0};
	int			bad = 0;

	snprintf(ex, sizeof(ex), "xt.chaos.%s.%s", t_run, fault);
	snprintf(q, sizeof(q), "%s.all", ex);
	chaos_init(&c, "rabbitmq", XT_PUB_AMQP, T_AMQP_URL, ex, 1000, 3000, 60000, 500);
	XT_REQUIRE(c.p != NULL);
	/* a durable queue bound before publishing: it keeps everything across the restart */
	XT_REQUIRE(xt_pub_health_check(c.p));
	XT_REQUIRE(t_amqp_open(&a));
	XT_REQUIRE(t_amqp_bind(&a, ex, q, "#"));
	t_amqp_close(&a);
	run_chaos(&c, fault, restore);
	XT_REQUIRE(t_amqp_open(&a));
	XT_CHECK(t_amqp_drain(&a, q, &s, &bad));
	XT_CHECK_EQ(bad, 0);
	XT_CHECK(s.n >= c.all.n);
	XT_CHECK_EQ(t_check_dedup(&s, 1, c.all.n, true), 0);
	printf("# rabbitmq %s: %zu deliveries for %zu ids (%zu duplicates removed by the consumer)\n",
		   fault, s.n, c.all.n, s.n - c.all.n);
	t_amqp_cleanup(&a, ex, q);
	t_amqp_close(&a);
	t_seen_free(&s);
	chaos_fini(&c);
}

XT_TEST(rabbitmq_kill)
{
	amqp_chaos("kill", "start");
}

XT_TEST(rabbitmq_pause)
{
	amqp_chaos("pause", "resume");
}

/* ---- Kafka ---------------------------------------------------------------------------------------- */

static void
kafka_chaos(const char *fault, const char *restore)
{
	char		topic[96];
	chaos		c;
	t_seen		s = {0};
	int			bad = 0;

	snprintf(topic, sizeof(topic), "xt-chaos-%s-%s", t_run, fault);
	chaos_init(&c, "kafka", XT_PUB_KAFKA, T_KAFKA, topic, 2000, 5000, 100000, 1000);
	XT_REQUIRE(c.p != NULL);
	run_chaos(&c, fault, restore);
	XT_CHECK(t_kafka_read(topic, c.all.n, 60.0, &s, &bad));
	XT_CHECK_EQ(bad, 0);
	XT_CHECK(s.n >= c.all.n);
	XT_CHECK_EQ(t_check_dedup(&s, 1, c.all.n, true), 0);
	printf("# kafka %s: %zu records for %zu ids (%zu duplicates removed by the consumer)\n",
		   fault, s.n, c.all.n, s.n - c.all.n);
	t_seen_free(&s);
	chaos_fini(&c);
}

XT_TEST(kafka_kill)
{
	kafka_chaos("kill", "start");
}

XT_TEST(kafka_pause)
{
	kafka_chaos("pause", "resume");
}

XT_TEST_MAIN()
