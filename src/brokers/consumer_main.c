/*
 * consumer_main.c: xtrader-consumer, a member of the Redis consumer group "execution_processors"
 * that runs on any host (consumer.h) and stores into PostgreSQL through libpq, into the same
 * table as the in-server consumer workers:
 *
 *     SELECT xtrader.xt_store_execution_messages($1::bigint[], $2::text[], $3::text)
 *
 * one statement (so one transaction) per batch, idempotent on the message id; a batch is
 * acknowledged in Redis only after that statement returned (committed). Usage: --help.
 *
 * Resilience: Redis and PostgreSQL are reconnected with a backoff (100 ms doubling to 5 s); the
 * member takes no new entries while PostgreSQL is unreachable. SIGTERM / SIGINT finish the round
 * and exit 0; SIGPIPE is ignored. Logs go to stderr and never show a password (the Redis URL is
 * redacted, the PostgreSQL connection string is never printed).
 *
 * Test hooks: --die-before-store[=N] / --die-before-ack[=N] end the process with _exit(137) at
 * its N-th batch (default the first) before storing it / after its commit but before XACK;
 * --slow-store-ms MS sleeps before each store (a window to kill -9 in).
 *
 * Built only as its own program: the whole file is compiled only when XT_CONSUMER_PROGRAM is
 * defined (its build line passes -DXT_CONSUMER_PROGRAM), so a wildcard over the .c files of
 * src/brokers that builds the extension or the broker tests sees an empty unit, no main().
 */
#ifdef XT_CONSUMER_PROGRAM

#ifndef _GNU_SOURCE
#define _GNU_SOURCE				/* getopt_long, sigaction, nanosleep, localtime_r */
#endif

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "brokers/consumer.h"
#include "brokers/publisher.h"	/* xt_redact_url */

#define PROG "xtrader-consumer"
#define STORE_SQL "SELECT xtrader.xt_store_execution_messages($1::bigint[], $2::text[], $3::text)"
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

static volatile sig_atomic_t stop_requested = 0;

typedef struct app
{
	const char *conninfo;
	const char *name;
	PGconn	   *pg;
	bool		pg_ever;
	int			slow_store_ms;
	long		die_before_store;	/* batch number (1 = first), 0 = off */
	long		die_before_ack;
	bool		verbose;
	long		batches;		/* store calls */
	uint64_t	inserted;		/* rows the store really inserted (copies excluded) */
	uint64_t	pg_errors;
	uint64_t	pg_reconnects;
	/* the array literals, grown on demand */
	char	   *ids;
	size_t		ids_cap;
	char	   *bodies;
	size_t		bodies_cap;
} app;

static void logmsg(const app *a, const char *fmt,...) __attribute__((format(printf, 2, 3)));

static void
logmsg(const app *a, const char *fmt,...)
{
	char		ts[32];
	struct timespec now;
	struct tm	tm;
	va_list		ap;
	char		line[1024];

	clock_gettime(CLOCK_REALTIME, &now);
	localtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* one write per line: lines of several members sharing a log file do not interleave */
	fprintf(stderr, "%s.%03ld %s %s: %s\n", ts, now.tv_nsec / 1000000L, PROG,
			a != NULL && a->name != NULL ? a->name : "-", line);
	fflush(stderr);
}

static void
on_stop_signal(int sig)
{
	(void) sig;
	stop_requested = 1;
}

/* Sleeps ms milliseconds, returning early when a stop was requested. */
static void
sleep_ms(int ms)
{
	while (ms > 0 && !stop_requested)
	{
		int			step = ms > 100 ? 100 : ms;
		struct timespec ts;

		ts.tv_sec = 0;
		ts.tv_nsec = (long) step * 1000000L;
		nanosleep(&ts, NULL);
		ms -= step;
	}
}

/* ---- PostgreSQL ------------------------------------------------------------------------------- */

static bool
pg_ensure(app *a)
{
	const char *keys[9];
	const char *vals[9];
	char		appname[64];
	int			k = 0;

	if (a->pg != NULL && PQstatus(a->pg) == CONNECTION_OK)
		return true;
	if (a->pg != NULL)
	{
		PQfinish(a->pg);
		a->pg = NULL;
	}
	snprintf(appname, sizeof(appname), "%s %s", PROG, a->name);
	/* defaults first: the connection string (expanded from dbname, last) may override them */
	keys[k] = "connect_timeout";
	vals[k++] = "5";
	keys[k] = "application_name";
	vals[k++] = appname;
	keys[k] = "keepalives_idle";
	vals[k++] = "10";
	keys[k] = "keepalives_interval";
	vals[k++] = "5";
	keys[k] = "keepalives_count";
	vals[k++] = "3";
	keys[k] = "options";
	vals[k++] = "-c statement_timeout=60000";
	keys[k] = "dbname";
	vals[k++] = a->conninfo;
	keys[k] = NULL;
	vals[k] = NULL;
	a->pg = PQconnectdbParams(keys, vals, 1);
	if (a->pg == NULL || PQstatus(a->pg) != CONNECTION_OK)
	{
		char		msg[512] = "out of memory";

		if (a->pg != NULL)
		{
			/* libpq's messages name host, port, user and database, never the password */
			snprintf(msg, sizeof(msg), "%s", PQerrorMessage(a->pg));
			msg[strcspn(msg, "\n")] = '\0';
			PQfinish(a->pg);
			a->pg = NULL;
		}
		a->pg_errors++;
		logmsg(a, "postgresql: connect failed: %s", msg);
		return false;
	}
	if (a->pg_ever)
		a->pg_reconnects++;
	a->pg_ever = true;
	logmsg(a, "postgresql: connected (host %s, port %s, database %s, user %s)",
		   PQhost(a->pg), PQport(a->pg), PQdb(a->pg), PQuser(a->pg));
	return true;
}

/* Makes room for need more bytes at *len in *buf (capacity *cap). */
static bool
reserve(char **buf, size_t *cap, size_t len, size_t need)
{
	size_t		want = len + need + 1;
	size_t		ncap;
	char	   *n;

	if (want <= *cap)
		return true;
	ncap = *cap ? *cap : 4096;
	while (ncap < want)
		ncap *= 2;
	n = realloc(*buf, ncap);
	if (n == NULL)
		return false;
	*buf = n;
	*cap = ncap;
	return true;
}

/* {id,id,...} and {"body","body",...} (array literals; '"' and '\' escaped in the bodies). */
static bool
build_arrays(app *a, const xt_consumer_msg *msgs, size_t n)
{
	size_t		il = 0;
	size_t		bl = 0;

	if (!reserve(&a->ids, &a->ids_cap, 0, 2 + n * 21) ||
		!reserve(&a->bodies, &a->bodies_cap, 0, 2))
		return false;
	a->ids[il++] = '{';
	a->bodies[bl++] = '{';
	for (size_t i = 0; i < n; i++)
	{
		const char *b = msgs[i].body;

		il += (size_t) snprintf(a->ids + il, a->ids_cap - il, "%s%llu", i ? "," : "",
								(unsigned long long) msgs[i].id);
		if (!reserve(&a->bodies, &a->bodies_cap, bl, msgs[i].len * 2 + 4))
			return false;
		if (i > 0)
			a->bodies[bl++] = ',';
		a->bodies[bl++] = '"';
		for (size_t j = 0; j < msgs[i].len; j++)
		{
			if (b[j] == '"' || b[j] == '\\')
				a->bodies[bl++] = '\\';
			a->bodies[bl++] = b[j];
		}
		a->bodies[bl++] = '"';
	}
	a->ids[il++] = '}';
	a->ids[il] = '\0';
	a->bodies[bl++] = '}';
	a->bodies[bl] = '\0';
	return true;
}

/* The store callback: one statement (one transaction) for the batch; true once it committed. */
static bool
store_batch(void *ctx, const xt_consumer_msg *msgs, size_t n)
{
	app		   *a = ctx;
	const char *params[3];
	PGresult   *res;
	bool		ok;

	a->batches++;
	if (a->die_before_store > 0 && a->batches == a->die_before_store)
	{
		logmsg(a, "test hook: dying before storing batch %ld (%zu messages, ids %llu..%llu)",
			   a->batches, n, (unsigned long long) msgs[0].id,
			   (unsigned long long) msgs[n - 1].id);
		_exit(137);
	}
	for (size_t i = 0; i < n; i++)
	{
		if (memchr(msgs[i].body, '\0', msgs[i].len) != NULL)
		{
			logmsg(a, "message %llu has a NUL byte in its body: cannot be stored as text",
				   (unsigned long long) msgs[i].id);
			return false;
		}
	}
	if (!build_arrays(a, msgs, n))
	{
		logmsg(a, "out of memory for a batch of %zu", n);
		return false;
	}
	if (a->slow_store_ms > 0)
		sleep_ms(a->slow_store_ms);
	if (!pg_ensure(a))
		return false;
	params[0] = a->ids;
	params[1] = a->bodies;
	params[2] = a->name;
	res = PQexecParams(a->pg, STORE_SQL, 3, NULL, params, NULL, NULL, 0);
	ok = res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
	if (ok)
	{
		long		ins = strtol(PQgetvalue(res, 0, 0), NULL, 10);

		a->inserted += ins > 0 ? (uint64_t) ins : 0;
		if (a->verbose)
			logmsg(a, "stored batch %ld: %zu messages (ids %llu..%llu), %ld new", a->batches, n,
				   (unsigned long long) msgs[0].id, (unsigned long long) msgs[n - 1].id, ins);
	}
	else
	{
		char		msg[512];
		const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

		snprintf(msg, sizeof(msg), "%s", res ? PQresultErrorMessage(res) : PQerrorMessage(a->pg));
		msg[strcspn(msg, "\n")] = '\0';
		a->pg_errors++;
		logmsg(a, "postgresql: storing %zu messages (ids %llu..%llu) failed [%s]: %s", n,
			   (unsigned long long) msgs[0].id, (unsigned long long) msgs[n - 1].id,
			   state ? state : "-", msg[0] ? msg : "no result");
		if (PQstatus(a->pg) != CONNECTION_OK)
		{
			PQfinish(a->pg);
			a->pg = NULL;
		}
	}
	PQclear(res);
	if (ok && a->die_before_ack > 0 && a->batches == a->die_before_ack)
	{
		logmsg(a, "test hook: batch %ld committed (%zu messages, ids %llu..%llu), dying before "
			   "XACK", a->batches, n, (unsigned long long) msgs[0].id,
			   (unsigned long long) msgs[n - 1].id);
		_exit(137);
	}
	return ok;
}

/* ---- the program ------------------------------------------------------------------------------ */

static void
usage(FILE *f)
{
	fprintf(f,
			"usage: " PROG " --name NAME [options]\n"
			"Moves executions from the Redis stream (consumer group) into PostgreSQL\n"
			"(xtrader.execution_history), acknowledging each batch after its commit.\n"
			"\n"
			"  --name NAME            this member's name in the group (unique per member)\n"
			"  --redis URL            redis://[[user]:password@]host[:port][/db]"
			" (default redis://127.0.0.1:6379)\n"
			"  --pg CONNINFO          libpq connection string or URI (default: the PG* environment)\n"
			"  --stream NAME          stream (default " XT_CONSUMER_DEFAULT_STREAM ")\n"
			"  --group NAME           consumer group (default " XT_CONSUMER_DEFAULT_GROUP ")\n"
			"  --field NAME           entry field holding the message (default "
			XT_CONSUMER_DEFAULT_FIELD ")\n"
			"  --count N              messages per read / claim (default %d)\n"
			"  --block-ms MS          XREADGROUP BLOCK (default %d)\n"
			"  --claim-idle-ms MS     take over entries pending longer than MS (default %d)\n"
			"  --connect-timeout-ms MS, --io-timeout-ms MS   Redis time limits\n"
			"  --stop-after-store     exit 0 after the first batch is stored and acknowledged\n"
			"  --idle-exit-ms MS      exit 0 after MS without any message\n"
			"  --stats-interval-s S   log the counters every S seconds (default 0: at exit only)\n"
			"  --verbose              log every batch\n"
			"  test hooks: --die-before-store[=N], --die-before-ack[=N] (_exit(137) at batch N,\n"
			"              default 1), --slow-store-ms MS (sleep before each store)\n",
			XT_CONSUMER_DEFAULT_COUNT, XT_CONSUMER_DEFAULT_BLOCK_MS,
			XT_CONSUMER_DEFAULT_CLAIM_IDLE_MS);
}

static bool
parse_int(const char *s, long min, long max, long *out)
{
	char	   *end;
	long		v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static void
log_stats(const app *a, const xt_consumer *c, const char *what)
{
	xt_consumer_stats s = xt_consumer_get_stats(c);

	logmsg(a, "%s: delivered=%llu inserted=%llu acked=%llu claimed=%llu errors=%llu "
		   "reconnects=%llu pg_errors=%llu pg_reconnects=%llu", what,
		   (unsigned long long) s.delivered, (unsigned long long) a->inserted,
		   (unsigned long long) s.acked, (unsigned long long) s.claimed,
		   (unsigned long long) s.errors, (unsigned long long) s.reconnects,
		   (unsigned long long) a->pg_errors, (unsigned long long) a->pg_reconnects);
}

int
main(int argc, char **argv)
{
	enum
	{
		OPT_NAME = 1000, OPT_REDIS, OPT_PG, OPT_STREAM, OPT_GROUP, OPT_FIELD, OPT_COUNT,
		OPT_BLOCK, OPT_CLAIM, OPT_CONNECT_TO, OPT_IO_TO, OPT_STOP_AFTER, OPT_IDLE_EXIT,
		OPT_STATS, OPT_VERBOSE, OPT_DIE_STORE, OPT_DIE_ACK, OPT_SLOW, OPT_HELP
	};
	static const struct option opts[] = {
		{"name", required_argument, NULL, OPT_NAME},
		{"redis", required_argument, NULL, OPT_REDIS},
		{"pg", required_argument, NULL, OPT_PG},
		{"stream", required_argument, NULL, OPT_STREAM},
		{"group", required_argument, NULL, OPT_GROUP},
		{"field", required_argument, NULL, OPT_FIELD},
		{"count", required_argument, NULL, OPT_COUNT},
		{"block-ms", required_argument, NULL, OPT_BLOCK},
		{"claim-idle-ms", required_argument, NULL, OPT_CLAIM},
		{"connect-timeout-ms", required_argument, NULL, OPT_CONNECT_TO},
		{"io-timeout-ms", required_argument, NULL, OPT_IO_TO},
		{"stop-after-store", no_argument, NULL, OPT_STOP_AFTER},
		{"idle-exit-ms", required_argument, NULL, OPT_IDLE_EXIT},
		{"stats-interval-s", required_argument, NULL, OPT_STATS},
		{"verbose", no_argument, NULL, OPT_VERBOSE},
		{"die-before-store", optional_argument, NULL, OPT_DIE_STORE},
		{"die-before-ack", optional_argument, NULL, OPT_DIE_ACK},
		{"slow-store-ms", required_argument, NULL, OPT_SLOW},
		{"help", no_argument, NULL, OPT_HELP},
		{NULL, 0, NULL, 0}
	};
	app			a;
	xt_consumer_config cfg;
	xt_consumer *c;
	char		err[XT_CONSUMER_ERRLEN];
	char		redacted[512];
	const char *redis_url = "redis://127.0.0.1:6379";
	bool		stop_after_store = false;
	long		idle_exit_ms = 0;
	long		stats_interval_s = 0;
	int			backoff = BACKOFF_MIN_MS;
	bool		was_connected = false;
	struct timespec t0;
	time_t		last_stats;
	time_t		idle_since;
	struct sigaction sa;
	int			opt;

	memset(&a, 0, sizeof(a));
	memset(&cfg, 0, sizeof(cfg));
	a.conninfo = "";
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1)
	{
		long		v = 0;
		bool		good = true;

		switch (opt)
		{
			case OPT_NAME:
				a.name = optarg;
				break;
			case OPT_REDIS:
				redis_url = optarg;
				break;
			case OPT_PG:
				a.conninfo = optarg;
				break;
			case OPT_STREAM:
				cfg.stream = optarg;
				break;
			case OPT_GROUP:
				cfg.group = optarg;
				break;
			case OPT_FIELD:
				cfg.field = optarg;
				break;
			case OPT_COUNT:
				good = parse_int(optarg, 1, 100000, &v);
				cfg.count = (int) v;
				break;
			case OPT_BLOCK:
				good = parse_int(optarg, 1, 600000, &v);
				cfg.block_ms = (int) v;
				break;
			case OPT_CLAIM:
				good = parse_int(optarg, 1, INT_MAX, &v);
				cfg.claim_idle_ms = (int) v;
				break;
			case OPT_CONNECT_TO:
				good = parse_int(optarg, 1, 600000, &v);
				cfg.connect_timeout_ms = (int) v;
				break;
			case OPT_IO_TO:
				good = parse_int(optarg, 1, 600000, &v);
				cfg.io_timeout_ms = (int) v;
				break;
			case OPT_STOP_AFTER:
				stop_after_store = true;
				break;
			case OPT_IDLE_EXIT:
				good = parse_int(optarg, 1, INT_MAX, &idle_exit_ms);
				break;
			case OPT_STATS:
				good = parse_int(optarg, 0, 86400, &stats_interval_s);
				break;
			case OPT_VERBOSE:
				a.verbose = true;
				break;
			case OPT_DIE_STORE:
				a.die_before_store = 1;
				if (optarg)
					good = parse_int(optarg, 1, LONG_MAX, &a.die_before_store);
				break;
			case OPT_DIE_ACK:
				a.die_before_ack = 1;
				if (optarg)
					good = parse_int(optarg, 1, LONG_MAX, &a.die_before_ack);
				break;
			case OPT_SLOW:
				good = parse_int(optarg, 0, 3600000, &v);
				a.slow_store_ms = (int) v;
				break;
			case OPT_HELP:
				usage(stdout);
				return 0;
			default:
				usage(stderr);
				return 2;
		}
		if (!good)
		{
			fprintf(stderr, PROG ": bad value for --%s: %s\n", opts[opt - OPT_NAME].name,
					optarg ? optarg : "");
			return 2;
		}
	}
	if (optind < argc || a.name == NULL || a.name[0] == '\0')
	{
		fprintf(stderr, PROG ": %s\n", optind < argc ? "unexpected argument" : "--name is required");
		usage(stderr);
		return 2;
	}
	cfg.url = redis_url;
	cfg.name = a.name;
	xt_redact_url(redis_url, redacted, sizeof(redacted));
	c = xt_consumer_create(&cfg, err, sizeof(err));
	if (c == NULL)
	{
		logmsg(&a, "%s", err);
		return 1;
	}

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	logmsg(&a, "starting: redis %s, stream %s, group %s, count %d, claim idle %d ms (pid %d)",
		   redacted, cfg.stream ? cfg.stream : XT_CONSUMER_DEFAULT_STREAM,
		   cfg.group ? cfg.group : XT_CONSUMER_DEFAULT_GROUP,
		   cfg.count ? cfg.count : XT_CONSUMER_DEFAULT_COUNT,
		   cfg.claim_idle_ms ? cfg.claim_idle_ms : XT_CONSUMER_DEFAULT_CLAIM_IDLE_MS,
		   (int) getpid());
	clock_gettime(CLOCK_MONOTONIC, &t0);
	last_stats = t0.tv_sec;
	idle_since = t0.tv_sec * 1000 + t0.tv_nsec / 1000000;

	while (!stop_requested)
	{
		xt_consumer_stats before;
		xt_consumer_stats after;
		struct timespec now;
		long		now_ms;
		int			n;

		/* no new entries while they could not be stored: they would wait for a claim */
		if (!pg_ensure(&a))
		{
			sleep_ms(backoff);
			backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
			continue;
		}
		before = xt_consumer_get_stats(c);
		n = xt_consumer_poll(c, store_batch, &a);
		after = xt_consumer_get_stats(c);
		if (xt_consumer_connected(c) && !was_connected)
			logmsg(&a, "redis: connected to %s", redacted);
		if (after.errors > before.errors)
			logmsg(&a, "%s", xt_consumer_last_error(c));
		if (after.claimed > before.claimed)
			logmsg(&a, "claimed %llu messages pending longer than the idle limit",
				   (unsigned long long) (after.claimed - before.claimed));
		was_connected = xt_consumer_connected(c);
		clock_gettime(CLOCK_MONOTONIC, &now);
		now_ms = now.tv_sec * 1000 + now.tv_nsec / 1000000;
		if (n < 0)
		{
			sleep_ms(backoff);
			backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
			idle_since = now_ms;
			continue;
		}
		backoff = BACKOFF_MIN_MS;
		if (n > 0 || after.acked > before.acked)
		{
			idle_since = now_ms;
			if (n > 0 && stop_after_store)
				break;
		}
		else if (idle_exit_ms > 0 && now_ms - idle_since >= idle_exit_ms)
		{
			logmsg(&a, "no message for %ld ms: exiting", idle_exit_ms);
			break;
		}
		if (stats_interval_s > 0 && now.tv_sec - last_stats >= stats_interval_s)
		{
			log_stats(&a, c, "stats");
			last_stats = now.tv_sec;
		}
	}
	log_stats(&a, c, stop_requested ? "stopping on signal" : "stopping");
	xt_consumer_destroy(c);
	if (a.pg != NULL)
		PQfinish(a.pg);
	free(a.ids);
	free(a.bodies);
	return 0;
}

#endif							/* XT_CONSUMER_PROGRAM */
