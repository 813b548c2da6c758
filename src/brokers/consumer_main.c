/*
 * consumer_main.c: xtrader-consumer, a member of the Redis consumer group "execution_processors"
 * that runs on any host (consumer.h) and stores into PostgreSQL through libpq, into the same
 * table as the in-server consumer workers:
 *
 *     SELECT xtrader.xt_store_executions(ids, execution_ids, roles, ..., bodies, consumer)
 *
 * (a prepared statement; the fields taken out of each message here, exec_msg.h, one array literal
 * per column), one statement (so one transaction) per batch, idempotent on the message id; a
 * batch is acknowledged in Redis only after that statement returned (committed). A message that
 * does not parse, or that PostgreSQL refuses (SQLSTATE class 22 or 23; consumer.c isolates it by
 * splitting the batch), goes to xtrader.xt_store_dead_letters() and is acknowledged after that
 * commit. Usage: --help.
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
#include "brokers/exec_msg.h"
#include "brokers/publisher.h"	/* xt_redact_url */

#define PROG "xtrader-consumer"
#define STORE_STMT "xt_store"
#define STORE_SQL "SELECT xtrader.xt_store_executions($1::bigint[], $2::bigint[], $3::text[], " \
	"$4::bigint[], $5::text[], $6::text[], $7::numeric[], $8::numeric[], $9::text[], $10::text[], " \
	"$11::text)"
#define STORE_NPARAMS 11
#define DEAD_STMT "xt_dead"
#define DEAD_SQL "SELECT xtrader.xt_store_dead_letters($1::text, $2::text[], $3::bigint[], " \
	"$4::text[], $5::text[], $6::text)"
#define DEAD_NPARAMS 6
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

static volatile sig_atomic_t stop_requested = 0;

/* A PostgreSQL array literal being built ("{1,2}", "{\"a\",\"b\"}"); ok latches false on OOM. */
typedef struct lit
{
	char	   *buf;
	size_t		len;
	size_t		cap;
	bool		ok;
} lit;

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
	uint64_t	dead_letters;	/* dead letters really inserted (copies excluded) */
	uint64_t	pg_errors;
	uint64_t	pg_reconnects;
	bool		prepared;		/* STORE_STMT and DEAD_STMT exist on this connection */
	xt_exec_parser *parser;
	char	  (*parse_err)[XT_EXEC_MSG_ERRLEN];	/* one per message of the batch */
	size_t		parse_err_cap;
	lit			lits[STORE_NPARAMS];	/* the array literals, grown on demand */
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
	a->prepared = false;
	logmsg(a, "postgresql: connected (host %s, port %s, database %s, user %s)",
		   PQhost(a->pg), PQport(a->pg), PQdb(a->pg), PQuser(a->pg));
	return true;
}

/* Makes room for need more bytes (and a NUL) after l->len. */
static bool
lit_reserve(lit *l, size_t need)
{
	size_t		want = l->len + need + 1;
	size_t		ncap;
	char	   *n;

	if (!l->ok)
		return false;
	if (want <= l->cap)
		return true;
	ncap = l->cap ? l->cap : 4096;
	while (ncap < want)
		ncap *= 2;
	n = realloc(l->buf, ncap);
	if (n == NULL)
		return l->ok = false;
	l->buf = n;
	l->cap = ncap;
	return true;
}

static void
lit_begin(lit *l)
{
	l->len = 0;
	l->ok = true;
	if (lit_reserve(l, 1))
		l->buf[l->len++] = '{';
}

/* The separator before an element (none before the first). */
static void
lit_sep(lit *l)
{
	if (l->len > 1 && lit_reserve(l, 1))
		l->buf[l->len++] = ',';
}

static void
lit_int(lit *l, int64_t v)
{
	lit_sep(l);
	if (lit_reserve(l, 24))
		l->len += (size_t) snprintf(l->buf + l->len, 24, "%lld", (long long) v);
}

static void
lit_null(lit *l)
{
	lit_sep(l);
	if (lit_reserve(l, 4))
	{
		memcpy(l->buf + l->len, "NULL", 4);
		l->len += 4;
	}
}

/* s[0 .. n) quoted, '"' and '\' escaped (s holds no NUL). */
static void
lit_str(lit *l, const char *s, size_t n)
{
	lit_sep(l);
	if (!lit_reserve(l, 2 * n + 2))
		return;
	l->buf[l->len++] = '"';
	for (size_t j = 0; j < n; j++)
	{
		if (s[j] == '"' || s[j] == '\\')
			l->buf[l->len++] = '\\';
		l->buf[l->len++] = s[j];
	}
	l->buf[l->len++] = '"';
}

/* Closes the literal; false when something did not fit in memory. */
static bool
lit_end(lit *l)
{
	if (!lit_reserve(l, 1))
		return false;
	l->buf[l->len++] = '}';
	l->buf[l->len] = '\0';
	return true;
}

/* Prepares the two statements on a new connection. */
static bool
pg_prepare(app *a, char *err, size_t errlen)
{
	PGresult   *res;
	bool		ok;

	if (a->prepared)
		return true;
	res = PQprepare(a->pg, STORE_STMT, STORE_SQL, STORE_NPARAMS, NULL);
	ok = res != NULL && PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	if (ok)
	{
		res = PQprepare(a->pg, DEAD_STMT, DEAD_SQL, DEAD_NPARAMS, NULL);
		ok = res != NULL && PQresultStatus(res) == PGRES_COMMAND_OK;
		PQclear(res);
	}
	if (!ok)
	{
		snprintf(err, errlen, "preparing the store statements: %s", PQerrorMessage(a->pg));
		err[strcspn(err, "\n")] = '\0';
		a->pg_errors++;
		if (PQstatus(a->pg) != CONNECTION_OK)
		{
			PQfinish(a->pg);
			a->pg = NULL;
		}
		return false;
	}
	a->prepared = true;
	return true;
}

/*
 * Runs a prepared statement; XT_STORE_COMMITTED with its integer result in *count, or why not:
 * XT_STORE_REFUSED for an error about the data (SQLSTATE class 22, data exception, or 23,
 * integrity constraint violation), XT_STORE_FAILED for anything else (err set, logged).
 */
static xt_store_result
pg_run(app *a, const char *stmt, int nparams, const char *const *params, long *count,
	   const char *what, char *err, size_t errlen)
{
	PGresult   *res = PQexecPrepared(a->pg, stmt, nparams, params, NULL, NULL, 0);
	xt_store_result r = XT_STORE_COMMITTED;

	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		*count = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	else
	{
		const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
		const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

		/* the message alone ("value overflows numeric format"), as the in-server members have it */
		snprintf(err, errlen, "%s", primary != NULL ? primary :
				 res ? PQresultErrorMessage(res) : PQerrorMessage(a->pg));
		err[strcspn(err, "\n")] = '\0';
		if (err[0] == '\0')
			snprintf(err, errlen, "no result");
		r = state != NULL && PQstatus(a->pg) == CONNECTION_OK &&
			(strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0)
			? XT_STORE_REFUSED : XT_STORE_FAILED;
		if (r == XT_STORE_FAILED)
		{
			a->pg_errors++;
			logmsg(a, "postgresql: %s failed [%s]: %s", what, state ? state : "-", err);
		}
		if (PQstatus(a->pg) != CONNECTION_OK)
		{
			PQfinish(a->pg);
			a->pg = NULL;
		}
	}
	PQclear(res);
	return r;
}

/*
 * The store callback (consumer.h): the fields of each message taken out here, one statement (one
 * transaction) for the batch. A message that does not parse is left out with its reason.
 */
static xt_store_result
store_batch(void *ctx, xt_consumer_msg *msgs, size_t n, char *err, size_t errlen)
{
	app		   *a = ctx;
	const char *params[STORE_NPARAMS];
	size_t		good = 0;
	long		ins = 0;
	xt_store_result r;

	a->batches++;
	if (a->die_before_store > 0 && a->batches == a->die_before_store)
	{
		logmsg(a, "test hook: dying before storing batch %ld (%zu messages, ids %llu..%llu)",
			   a->batches, n, (unsigned long long) msgs[0].id,
			   (unsigned long long) msgs[n - 1].id);
		_exit(137);
	}
	if (n > a->parse_err_cap)
	{
		void	   *e = realloc(a->parse_err, n * sizeof(*a->parse_err));

		if (e == NULL)
		{
			snprintf(err, errlen, "out of memory for a batch of %zu", n);
			return XT_STORE_FAILED;
		}
		a->parse_err = e;
		a->parse_err_cap = n;
	}
	for (int k = 0; k < STORE_NPARAMS - 1; k++)
		lit_begin(&a->lits[k]);
	for (size_t i = 0; i < n; i++)
	{
		xt_exec_fields f;

		if (!xt_exec_msg_parse(a->parser, msgs[i].body, msgs[i].len, &f, a->parse_err[i],
							   sizeof(a->parse_err[i])))
		{
			msgs[i].error = a->parse_err[i];	/* a dead letter */
			continue;
		}
		lit_int(&a->lits[0], (int64_t) msgs[i].id);
		lit_int(&a->lits[1], f.execution_id);
		lit_str(&a->lits[2], f.role, strlen(f.role));
		lit_int(&a->lits[3], f.order_id);
		lit_str(&a->lits[4], f.symbol, strlen(f.symbol));
		lit_str(&a->lits[5], f.side, strlen(f.side));
		lit_str(&a->lits[6], f.price, strlen(f.price));
		lit_str(&a->lits[7], f.quantity, strlen(f.quantity));
		lit_str(&a->lits[8], f.order_status, strlen(f.order_status));
		lit_str(&a->lits[9], msgs[i].body, msgs[i].len);
		good++;
	}
	for (int k = 0; k < STORE_NPARAMS - 1; k++)
	{
		if (!lit_end(&a->lits[k]))
		{
			snprintf(err, errlen, "out of memory for a batch of %zu", n);
			return XT_STORE_FAILED;
		}
		params[k] = a->lits[k].buf;
	}
	params[STORE_NPARAMS - 1] = a->name;
	if (a->slow_store_ms > 0)
		sleep_ms(a->slow_store_ms);
	if (!pg_ensure(a))
	{
		snprintf(err, errlen, "postgresql is not reachable");
		return XT_STORE_FAILED;
	}
	if (!pg_prepare(a, err, errlen))
		return XT_STORE_FAILED;
	if (good == 0)
		r = XT_STORE_COMMITTED; /* every message is a dead letter: nothing to store */
	else
		r = pg_run(a, STORE_STMT, STORE_NPARAMS, params, &ins, "storing a batch", err, errlen);
	if (r == XT_STORE_COMMITTED)
	{
		a->inserted += ins > 0 ? (uint64_t) ins : 0;
		if (a->verbose)
			logmsg(a, "stored batch %ld: %zu messages (ids %llu..%llu), %ld new", a->batches, n,
				   (unsigned long long) msgs[0].id, (unsigned long long) msgs[n - 1].id, ins);
		if (a->die_before_ack > 0 && a->batches == a->die_before_ack)
		{
			logmsg(a, "test hook: batch %ld committed (%zu messages, ids %llu..%llu), dying "
				   "before XACK", a->batches, n, (unsigned long long) msgs[0].id,
				   (unsigned long long) msgs[n - 1].id);
			_exit(137);
		}
	}
	else if (r == XT_STORE_REFUSED && a->verbose)
		logmsg(a, "postgresql refused %zu messages (ids %llu..%llu): %s", n,
			   (unsigned long long) msgs[0].id, (unsigned long long) msgs[n - 1].id, err);
	return r;
}

/* The dead-letter callback (consumer.h): one statement for the batch's dead letters. */
static bool
store_dead(void *ctx, const char *stream, const xt_consumer_dead *d, size_t n, char *err,
		   size_t errlen)
{
	app		   *a = ctx;
	const char *params[DEAD_NPARAMS];
	lit		   *l = a->lits;	/* the store's literals are free again here */
	long		ins = 0;

	for (int k = 0; k < 4; k++)
		lit_begin(&l[k]);
	for (size_t i = 0; i < n; i++)
	{
		lit_str(&l[0], d[i].entry_id, strlen(d[i].entry_id));
		if (d[i].id == 0)
			lit_null(&l[1]);
		else
			lit_int(&l[1], (int64_t) d[i].id);
		lit_str(&l[2], d[i].body, d[i].len);
		lit_str(&l[3], d[i].error, strlen(d[i].error));
	}
	params[0] = stream;
	for (int k = 0; k < 4; k++)
	{
		if (!lit_end(&l[k]))
		{
			snprintf(err, errlen, "out of memory for %zu dead letters", n);
			return false;
		}
		params[1 + k] = l[k].buf;
	}
	params[5] = a->name;
	if (!pg_ensure(a))
	{
		snprintf(err, errlen, "postgresql is not reachable");
		return false;
	}
	if (!pg_prepare(a, err, errlen) ||
		pg_run(a, DEAD_STMT, DEAD_NPARAMS, params, &ins, "storing dead letters", err, errlen) !=
		XT_STORE_COMMITTED)
		return false;
	a->dead_letters += ins > 0 ? (uint64_t) ins : 0;
	for (size_t i = 0; i < n; i++)
		logmsg(a, "dead letter: stream %s entry %s: %s", stream, d[i].entry_id, d[i].error);
	if ((size_t) ins < n)
		logmsg(a, "%zu of these %zu dead letters were stored before", n - (size_t) ins, n);
	return true;
}

/* ---- the program ------------------------------------------------------------------------------ */

static void
usage(FILE *f)
{
	fprintf(f,
			"usage: " PROG " --name NAME [options]\n"
			"Moves executions from the Redis stream (consumer group) into PostgreSQL\n"
			"(xtrader.execution_history), acknowledging each batch after its commit; a message\n"
			"that cannot be stored goes to xtrader.execution_dead_letters with the reason.\n"
			"\n"
			"  --name NAME            this member's name in the group (unique per member)\n"
			"  --redis URL            redis://[[user]:password@]host[:port][/db]"
			" (default redis://127.0.0.1:6379)\n"
			"  --pg CONNINFO          libpq connection string or URI (default: the PG* environment)\n"
			"  --stream NAME          stream (default " XT_CONSUMER_DEFAULT_STREAM ")\n"
			"  --group NAME           consumer group (default " XT_CONSUMER_DEFAULT_GROUP ")\n"
			"  --field NAME           entry field holding the message (default "
			XT_CONSUMER_DEFAULT_FIELD ")\n"
			"  --batch N, --count N   messages per read / claim / store transaction (default %d)\n"
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

	logmsg(a, "%s: delivered=%llu inserted=%llu dead_letters=%llu refused=%llu acked=%llu "
		   "claimed=%llu errors=%llu reconnects=%llu pg_errors=%llu pg_reconnects=%llu", what,
		   (unsigned long long) s.delivered, (unsigned long long) a->inserted,
		   (unsigned long long) a->dead_letters, (unsigned long long) s.refused,
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
		OPT_STATS, OPT_VERBOSE, OPT_DIE_STORE, OPT_DIE_ACK, OPT_SLOW, OPT_HELP, OPT_BATCH
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
		{"batch", required_argument, NULL, OPT_BATCH},	/* = --count (same order as the enum) */
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
			case OPT_BATCH:
				good = parse_int(optarg, 1, XT_CONSUMER_MAX_COUNT, &v);
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
	a.parser = malloc(sizeof(*a.parser));
	if (a.parser == NULL)
	{
		logmsg(&a, "out of memory");
		return 1;
	}
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
		n = xt_consumer_poll(c, store_batch, store_dead, &a);
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
	for (int k = 0; k < STORE_NPARAMS; k++)
		free(a.lits[k].buf);
	free(a.parser);
	free(a.parse_err);
	return 0;
}

#endif							/* XT_CONSUMER_PROGRAM */
