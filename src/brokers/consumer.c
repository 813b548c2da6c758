/*
 * consumer.c: one member of the Redis consumer group "execution_processors" (consumer.h).
 *
 * Owns: the hiredis connection of the member (bounded connect and I/O), the group creation, the
 * order of reading in a round (own pending entries, then XAUTOCLAIM of idle entries every
 * claim_idle_ms / 2, then new entries with XREADGROUP ... >), the defensive parsing of the RESP2
 * replies, and XACK after the caller's store said "committed". Nothing about PostgreSQL.
 *
 * Entries:
 *  - the entry id must be "<n>-0" with 0 < n <= INT64_MAX (the message id, 2 x execution_id +
 *    role): anything else is a dead letter (with no dead-letter callback: skipped, left pending,
 *    never acknowledged), counted as an error and named in last_error;
 *  - an entry without the configured field (or whose value is not a string) likewise;
 *  - a message the store callback leaves out (msg.error) or the database refuses (found by
 *    splitting the refused batch in halves) is a dead letter too;
 *  - an entry that was deleted from the stream while pending (XREADGROUP ... 0 returns it with
 *    nil fields; Redis 6.2's XAUTOCLAIM returns nil in its place) cannot be delivered any more:
 *    it is acknowledged so it leaves the pending list, and counted as an error (Redis 7's
 *    XAUTOCLAIM removes such entries itself and lists them in its third element: counted too).
 *
 * Own pending entries are read with a cursor (the last id seen), so a skipped entry does not
 * make the member read the same batch forever; the cursor starts at 0 on every (re)connect,
 * which is how a batch whose store failed is read again first.
 *
 * Plain C11 + hiredis; no global state; a consumer belongs to one thread.
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L	/* clock_gettime */
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "brokers/consumer.h"
#include "brokers/publisher.h"	/* xt_broker_url, xt_parse_redis_url */
#include "brokers/redis_conn.h"
#include "common/clock.h"
#include "common/utf8.h"

#define CONS_MIN_TIMEOUT_MS		10
#define CONS_MAX_TIMEOUT_MS		600000
#define CONS_DEFAULT_CONNECT_MS 2000
#define CONS_MAX_COUNT			XT_CONSUMER_MAX_COUNT
#define CONS_IDLEN				48	/* "<ms>-<seq>" of a stream entry id, with room */
#define CONS_CLAIM_MAX_CALLS	1000	/* XAUTOCLAIM calls in one round at most */

struct xt_consumer
{
	xt_consumer_config cfg;		/* the strings point to the copies below */
	char	   *url_copy;
	char	   *stream;
	char	   *group;
	char	   *field;
	char	   *name;
	char		count_text[16];
	char		block_text[16];
	char		idle_text[16];
	xt_broker_url url;			/* parsed url_copy (holds the password: wiped on destroy) */

	redisContext *rc;			/* NULL = not connected */
	int			timeout_ms;		/* the socket timeout in force (error texts) */
	bool		ever_connected;

	bool		own_done;		/* this connection has read all of the member's own entries */
	char		own_cursor[CONS_IDLEN]; /* XREADGROUP ... <cursor>: the last own entry read */
	bool		claim_active;	/* an XAUTOCLAIM scan is under way (claim_cursor) */
	char		claim_cursor[CONS_IDLEN];
	uint64_t	next_claim_ms;	/* monotonic time of the next scan */

	xt_consumer_stats stats;
	char		last_error[XT_CONSUMER_ERRLEN];	/* never holds a password */

	/* per-batch scratch, grown on demand */
	size_t		cap;
	xt_consumer_msg *msgs;
	const char **ack_argv;		/* "XACK" stream group id... (ids point into the reply) */
	size_t	   *ack_argl;
	const redisReply **msg_ids;	/* the entry id of each msgs[i] (in the reply) */
	xt_consumer_dead *dead;		/* this batch's dead letters; their texts are malloc'd */
	size_t		ndead;
	char		store_err[XT_CONSUMER_STORE_ERRLEN];
};

/* ---- small helpers ----------------------------------------------------------------------------- */

static void set_error(xt_consumer *c, const char *fmt,...) __attribute__((format(printf, 2, 3)));

static void
set_error(xt_consumer *c, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(c->last_error, sizeof(c->last_error), fmt, ap);
	va_end(ap);
}

static int
clamp_timeout(int v, int dflt)
{
	if (v <= 0)
		return dflt;
	if (v < CONS_MIN_TIMEOUT_MS)
		return CONS_MIN_TIMEOUT_MS;
	if (v > CONS_MAX_TIMEOUT_MS)
		return CONS_MAX_TIMEOUT_MS;
	return v;
}

static char *
dup_or(const char *s, const char *dflt)
{
	const char *v = (s != NULL) ? s : dflt;
	size_t		n = strlen(v) + 1;
	char	   *d = malloc(n);

	if (d != NULL)
		memcpy(d, v, n);
	return d;
}

/* "<n>-0" with 0 < n <= INT64_MAX (the id is a bigint in PostgreSQL); nothing else. */
static bool
parse_entry_id(const char *s, size_t len, uint64_t *out)
{
	uint64_t	v = 0;
	size_t		i = 0;

	if (len < 3 || s[0] < '1' || s[0] > '9')
		return false;
	while (i < len && s[i] >= '0' && s[i] <= '9')
	{
		uint64_t	d = (uint64_t) (s[i] - '0');

		if (v > (UINT64_C(9223372036854775807) - d) / 10)
			return false;
		v = v * 10 + d;
		i++;
	}
	if (i + 2 != len || s[i] != '-' || s[i + 1] != '0')
		return false;
	*out = v;
	return true;
}

/* The reply's text for an error message: at most 120 bytes of an error/status reply. */
static int
reply_len(const redisReply *r)
{
	if (r == NULL || (r->type != REDIS_REPLY_ERROR && r->type != REDIS_REPLY_STATUS &&
					  r->type != REDIS_REPLY_STRING) || r->str == NULL)
		return 0;
	return r->len > 120 ? 120 : (int) r->len;
}

static const char *
reply_str(const redisReply *r)
{
	return reply_len(r) > 0 ? r->str : "";
}

static bool
is_string(const redisReply *r)
{
	return r != NULL && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) &&
		r->str != NULL;
}

/* ---- connection ------------------------------------------------------------------------------- */

static void
drop_connection(xt_consumer *c)
{
	if (c->rc != NULL)
	{
		redisFree(c->rc);
		c->rc = NULL;
	}
	/* the next connection reads this member's own pending entries first, from the start */
	c->own_done = false;
	strcpy(c->own_cursor, "0");
}

/* The context's error as the consumer's error text (redis_conn.h words it). */
static void
set_ctx_error(xt_consumer *c, const char *what)
{
	char		err[XT_CONSUMER_ERRLEN];

	if (c->rc == NULL)
	{
		set_error(c, "redis %s: not connected", what);
		return;
	}
	xt_redis_ctx_error(c->rc, &c->url, c->timeout_ms, what, err, sizeof(err));
	set_error(c, "redis %s", err);
}

/*
 * Runs one command; returns its reply (caller frees) or NULL after an I/O error, a timeout or
 * an error reply (error text set; an error reply is freed here). NULL means: drop the connection.
 */
static redisReply *
command(xt_consumer *c, int argc, const char **argv, const size_t *argl, const char *what)
{
	redisReply *r = redisCommandArgv(c->rc, argc, argv, argl);

	if (r == NULL)
	{
		set_ctx_error(c, what);
		return NULL;
	}
	if (r->type == REDIS_REPLY_ERROR)
	{
		set_error(c, "redis %s refused: %.*s", what, reply_len(r), reply_str(r));
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

/* XGROUP CREATE <stream> <group> 0 MKSTREAM; an existing group (BUSYGROUP) is fine. */
static bool
create_group(xt_consumer *c)
{
	const char *argv[6] = {"XGROUP", "CREATE", c->stream, c->group, "0", "MKSTREAM"};
	redisReply *r = redisCommandArgv(c->rc, 6, argv, NULL);
	bool		ok;

	if (r == NULL)
	{
		set_ctx_error(c, "XGROUP CREATE");
		return false;
	}
	ok = r->type != REDIS_REPLY_ERROR || (r->str != NULL && strncmp(r->str, "BUSYGROUP", 9) == 0);
	if (!ok)
		set_error(c, "redis XGROUP CREATE %s %s refused: %.*s", c->stream, c->group,
				  reply_len(r), reply_str(r));
	freeReplyObject(r);
	return ok;
}

static bool
try_connect(xt_consumer *c)
{
	char		err[XT_CONSUMER_ERRLEN];

	drop_connection(c);
	/* the handshake is part of connecting: bounded by the connect timeout */
	c->timeout_ms = c->cfg.connect_timeout_ms;
	c->rc = xt_redis_open(&c->url, c->cfg.connect_timeout_ms, err, sizeof(err));
	if (c->rc == NULL)
	{
		set_error(c, "redis %s", err);
		return false;
	}
	if (!create_group(c))
		return false;
	c->timeout_ms = c->cfg.io_timeout_ms;
	if (redisSetTimeout(c->rc, xt_redis_tv(c->cfg.io_timeout_ms)) != REDIS_OK)
	{
		set_ctx_error(c, "set timeout");
		return false;
	}
	return true;
}

static bool
ensure_connected(xt_consumer *c)
{
	if (c->rc != NULL)
		return true;
	if (!try_connect(c))
	{
		drop_connection(c);
		c->stats.errors++;
		return false;
	}
	if (c->ever_connected)
		c->stats.reconnects++;
	c->ever_connected = true;
	return true;
}

/* ---- batches ---------------------------------------------------------------------------------- */

static bool
grow(xt_consumer *c, size_t n)
{
	xt_consumer_msg *m;
	const char **av;
	size_t	   *al;

	if (n <= c->cap)
		return true;
	m = realloc(c->msgs, n * sizeof(*m));
	if (m == NULL)
		return false;
	c->msgs = m;
	av = realloc(c->ack_argv, (n + 3) * sizeof(*av));
	if (av == NULL)
		return false;
	c->ack_argv = av;
	al = realloc(c->ack_argl, (n + 3) * sizeof(*al));
	if (al == NULL)
		return false;
	c->ack_argl = al;
	{
		const redisReply **ids = realloc(c->msg_ids, n * sizeof(*ids));
		xt_consumer_dead *d;

		if (ids == NULL)
			return false;
		c->msg_ids = ids;
		d = realloc(c->dead, n * sizeof(*d));
		if (d == NULL)
			return false;
		c->dead = d;
	}
	c->cap = n;
	return true;
}

/* ---- dead letters ----------------------------------------------------------------------------- */

/*
 * s[0 .. n) as valid UTF-8 without NUL into out (room for 4 n + 1 bytes): valid sequences as they
 * are, any other byte as \xNN. Returns the length; *escaped tells whether a byte was escaped.
 */
static size_t
sanitize(const char *s, size_t n, char *out, bool *escaped)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = (const uint8_t *) s;
	size_t		o = 0;
	size_t		i = 0;

	while (i < n)
	{
		size_t		k = 1;
		bool		truncated;

		if (p[i] >= 0x80)
			k = xt_utf8_seq(p + i, n - i, &truncated);
		if (p[i] == 0 || k == 0)
		{
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[p[i] >> 4];
			out[o++] = hex[p[i] & 15];
			*escaped = true;
			i++;
			continue;
		}
		memcpy(out + o, p + i, k);
		o += k;
		i += k;
	}
	out[o] = '\0';
	return o;
}

/*
 * Adds a dead letter for the entry idr (message id, 0 if none) with body[0 .. len) and the
 * reason why; its texts are copied (and made valid UTF-8). False when out of memory.
 */
static bool
add_dead(xt_consumer *c, const redisReply *idr, uint64_t id, const char *body, size_t len,
		 const char *why)
{
	size_t		wlen = strlen(why);
	size_t		need = 4 * idr->len + 1 + 4 * len + 1 + 4 * wlen + 80;
	char	   *buf = malloc(need);
	xt_consumer_dead *d = &c->dead[c->ndead];
	bool		escaped = false;
	size_t		o = 0;

	if (buf == NULL)
		return false;
	d->entry_id = buf;
	o += sanitize(idr->str, idr->len, buf, &escaped) + 1;
	d->id = id;
	d->body = buf + o;
	d->len = sanitize(body, len, buf + o, &escaped);
	o += d->len + 1;
	d->error = buf + o;
	o += sanitize(why, wlen, buf + o, &escaped);
	if (escaped)
		snprintf(buf + o, need - o, " (bytes that are not UTF-8, and NUL, written as \\xNN)");
	c->ndead++;
	return true;
}

static void
clear_dead(xt_consumer *c)
{
	for (size_t i = 0; i < c->ndead; i++)
		free((void *) c->dead[i].entry_id);
	c->ndead = 0;
}

/* The value of the configured field in a flat [name, value, ...] array; NULL if absent. */
static const redisReply *
find_field(const xt_consumer *c, const redisReply *fields)
{
	size_t		flen = strlen(c->field);

	for (size_t i = 0; i + 1 < fields->elements; i += 2)
	{
		const redisReply *k = fields->element[i];

		if (is_string(k) && k->len == flen && memcmp(k->str, c->field, flen) == 0)
			return fields->element[i + 1];
	}
	return NULL;
}

/*
 * Stores msgs[0 .. n) with store; where the database refuses them, stores each half on its own,
 * down to single messages, which become dead letters (with dead letters on). Messages the store
 * leaves out (msg.error) become dead letters too. Returns XT_STORE_COMMITTED once every message
 * is committed or waits in the dead-letter list, else the failure (error set).
 */
static xt_store_result
store_range(xt_consumer *c, xt_consumer_msg *msgs, const redisReply **ids, size_t n,
			xt_consumer_store_fn store, bool with_dead, void *ctx)
{
	xt_store_result r;
	size_t		half;

	for (size_t i = 0; i < n; i++)
		msgs[i].error = NULL;
	c->store_err[0] = '\0';
	r = store(ctx, msgs, n, c->store_err, sizeof(c->store_err));
	if (r == XT_STORE_COMMITTED)
	{
		for (size_t i = 0; i < n; i++)
		{
			if (msgs[i].error == NULL)
				continue;
			if (!with_dead)
			{
				/* left out, and no dead letters: the batch stays pending (acknowledging it would
				 * drop this one), the others' copies are ignored when it comes again */
				set_error(c, "stream %s: message %llu cannot be stored (batch left pending): %s",
						  c->stream, (unsigned long long) msgs[i].id, msgs[i].error);
				return XT_STORE_FAILED;
			}
			if (!add_dead(c, ids[i], msgs[i].id, msgs[i].body, msgs[i].len, msgs[i].error))
			{
				set_error(c, "out of memory for a dead letter");
				return XT_STORE_FAILED;
			}
		}
		return XT_STORE_COMMITTED;
	}
	set_error(c, "store %s %zu message%s (ids %llu..%llu): %s",
			  r == XT_STORE_REFUSED ? "refused" : "failed for", n, n == 1 ? "" : "s",
			  (unsigned long long) msgs[0].id, (unsigned long long) msgs[n - 1].id,
			  c->store_err[0] ? c->store_err : "no reason given");
	if (r != XT_STORE_REFUSED)
		return XT_STORE_FAILED;
	c->stats.refused++;
	if (!with_dead)
		return XT_STORE_FAILED;
	if (n == 1)
	{
		if (!add_dead(c, ids[0], msgs[0].id, msgs[0].body, msgs[0].len,
					  c->store_err[0] ? c->store_err : "refused by the store"))
		{
			set_error(c, "out of memory for a dead letter");
			return XT_STORE_FAILED;
		}
		return XT_STORE_COMMITTED;
	}
	half = n / 2;
	r = store_range(c, msgs, ids, half, store, with_dead, ctx);
	if (r != XT_STORE_COMMITTED)
		return r;
	return store_range(c, msgs + half, ids + half, n - half, store, with_dead, ctx);
}

/* The reason an entry is a dead letter or skipped, when it is not a message. */
static void
entry_problem(xt_consumer *c, const redisReply *idr, bool id_ok, char *why, size_t whylen)
{
	if (!id_ok)
		snprintf(why, whylen, "stream entry id %.*s is not <message id>-0",
				 idr->len > 40 ? 40 : (int) idr->len, idr->str);
	else
		snprintf(why, whylen, "stream entry has no string field \"%s\"", c->field);
}

/*
 * Stores and acknowledges one batch: entries is the array of [id, [field, value, ...]] entries
 * of an XREADGROUP or XAUTOCLAIM reply (kept alive by the caller until this returns). Copies
 * the id of the last entry to last_id (when given). Returns the number of entries stored or made
 * dead letters, or -1 after a store or Redis failure (error set).
 */
static int
process_entries(xt_consumer *c, const redisReply *entries, bool claimed,
				xt_consumer_store_fn store, xt_consumer_dead_fn dead, void *ctx, char *last_id)
{
	size_t		nmsg = 0;
	size_t		nack = 0;
	size_t		ndeleted = 0;
	bool		sorted = true;
	int			result = -1;

	if (!grow(c, entries->elements))
	{
		set_error(c, "out of memory for a batch of %zu", entries->elements);
		c->stats.errors++;
		return -1;
	}
	clear_dead(c);
	c->ack_argv[0] = "XACK";
	c->ack_argl[0] = 4;
	c->ack_argv[1] = c->stream;
	c->ack_argl[1] = strlen(c->stream);
	c->ack_argv[2] = c->group;
	c->ack_argl[2] = strlen(c->group);

	for (size_t i = 0; i < entries->elements; i++)
	{
		const redisReply *e = entries->element[i];
		const redisReply *idr;
		const redisReply *fields;
		const redisReply *val;
		uint64_t	id = 0;
		bool		id_ok;

		if (e == NULL || e->type == REDIS_REPLY_NIL)
		{
			/* Redis 6.2 XAUTOCLAIM: a claimed entry that no longer exists (no id to ack) */
			ndeleted++;
			continue;
		}
		if (e->type != REDIS_REPLY_ARRAY || e->elements < 1 || !is_string(e->element[0]))
		{
			set_error(c, "stream %s: malformed entry in a reply (skipped)", c->stream);
			c->stats.errors++;
			continue;
		}
		idr = e->element[0];
		if (last_id != NULL && idr->len < CONS_IDLEN)
		{
			memcpy(last_id, idr->str, idr->len);
			last_id[idr->len] = '\0';
		}
		fields = e->elements >= 2 ? e->element[1] : NULL;
		if (fields == NULL || fields->type == REDIS_REPLY_NIL)
		{
			/* deleted from the stream while pending: nothing to deliver; off the pending list */
			c->ack_argv[3 + nack] = idr->str;
			c->ack_argl[3 + nack] = idr->len;
			nack++;
			ndeleted++;
			continue;
		}
		id_ok = parse_entry_id(idr->str, idr->len, &id);
		val = fields->type == REDIS_REPLY_ARRAY ? find_field(c, fields) : NULL;
		if (!id_ok || val == NULL || val->type != REDIS_REPLY_STRING || val->str == NULL)
		{
			char		why[XT_CONSUMER_ERRLEN];
			bool		has_val = val != NULL && val->type == REDIS_REPLY_STRING && val->str != NULL;

			entry_problem(c, idr, id_ok, why, sizeof(why));
			c->stats.errors++;
			if (dead == NULL)
			{
				set_error(c, "stream %s: %s (left pending)", c->stream, why);
				continue;
			}
			set_error(c, "stream %s: %s (a dead letter)", c->stream, why);
			if (!add_dead(c, idr, id_ok ? id : 0, has_val ? val->str : "",
						  has_val ? val->len : 0, why))
			{
				set_error(c, "out of memory for a dead letter");
				goto out;
			}
			c->ack_argv[3 + nack] = idr->str;
			c->ack_argl[3 + nack] = idr->len;
			nack++;
			continue;
		}
		c->msgs[nmsg].id = id;
		c->msgs[nmsg].body = val->str;
		c->msgs[nmsg].len = val->len;
		c->msgs[nmsg].error = NULL;
		c->msg_ids[nmsg] = idr;
		if (nmsg > 0 && c->msgs[nmsg - 1].id >= id)
			sorted = false;
		nmsg++;
		c->ack_argv[3 + nack] = idr->str;
		c->ack_argl[3 + nack] = idr->len;
		nack++;
	}
	if (ndeleted > 0)
	{
		set_error(c, "stream %s: %zu pending entr%s no longer in the stream (trimmed or "
				  "deleted before being stored)", c->stream, ndeleted, ndeleted == 1 ? "y" : "ies");
		c->stats.errors += ndeleted;
	}
	if (nmsg > 0)
	{
		xt_store_result r;

		/* the stream and the pending list are in id order; be sure anyway (store needs it) */
		if (!sorted)
		{
			/* insertion sort of (msg, entry id) pairs: batches arrive sorted, this is a fallback */
			for (size_t i = 1; i < nmsg; i++)
			{
				xt_consumer_msg m = c->msgs[i];
				const redisReply *r2 = c->msg_ids[i];
				size_t		j = i;

				while (j > 0 && c->msgs[j - 1].id > m.id)
				{
					c->msgs[j] = c->msgs[j - 1];
					c->msg_ids[j] = c->msg_ids[j - 1];
					j--;
				}
				c->msgs[j] = m;
				c->msg_ids[j] = r2;
			}
		}
		if (claimed)
			c->stats.claimed += nmsg;
		c->stats.delivered += nmsg;
		r = store_range(c, c->msgs, c->msg_ids, nmsg, store, dead != NULL, ctx);
		if (r != XT_STORE_COMMITTED)
		{
			/* error set by store_range; what was committed is ignored when delivered again */
			c->stats.errors++;
			goto out;
		}
	}
	if (c->ndead > 0)
	{
		char		err[XT_CONSUMER_STORE_ERRLEN] = "";

		if (!dead(ctx, c->stream, c->dead, c->ndead, err, sizeof(err)))
		{
			set_error(c, "storing %zu dead letter%s failed: %s (not acknowledged, delivered "
					  "again)", c->ndead, c->ndead == 1 ? "" : "s", err[0] ? err : "no reason");
			c->stats.errors++;
			goto out;
		}
		c->stats.dead_letters += c->ndead;
	}
	if (nack > 0)
	{
		redisReply *r = command(c, (int) (3 + nack), c->ack_argv, c->ack_argl, "XACK");

		if (r == NULL)
		{
			/* stored but not acknowledged: delivered again, and the store ignores the copies */
			c->stats.errors++;
			goto out;
		}
		if (r->type == REDIS_REPLY_INTEGER && r->integer > 0)
			c->stats.acked += (uint64_t) r->integer;
		freeReplyObject(r);
	}
	result = (int) (nmsg + c->ndead);
out:
	if (result < 0)
		drop_connection(c);
	clear_dead(c);
	return result;
}

/* The entries array of the one stream in an XREADGROUP reply; NULL when there is none. */
static const redisReply *
xread_entries(const redisReply *r)
{
	const redisReply *s;

	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1)
		return NULL;
	s = r->element[0];
	if (s == NULL || s->type != REDIS_REPLY_ARRAY || s->elements < 2 ||
		s->element[1] == NULL || s->element[1]->type != REDIS_REPLY_ARRAY)
		return NULL;
	return s->element[1];
}

/*
 * XREADGROUP GROUP g name COUNT n [BLOCK ms] STREAMS s <from>. *got = a batch came back (which
 * may still store nothing when every entry was skipped). Returns stored or -1.
 */
static int
read_group(xt_consumer *c, const char *from, bool block, xt_consumer_store_fn store,
		   xt_consumer_dead_fn dead, void *ctx, bool *got, char *last_id)
{
	const char *argv[12];
	int			a = 0;
	redisReply *r;
	const redisReply *entries;
	int			n;

	*got = false;
	argv[a++] = "XREADGROUP";
	argv[a++] = "GROUP";
	argv[a++] = c->group;
	argv[a++] = c->name;
	argv[a++] = "COUNT";
	argv[a++] = c->count_text;
	if (block)
	{
		argv[a++] = "BLOCK";
		argv[a++] = c->block_text;
	}
	argv[a++] = "STREAMS";
	argv[a++] = c->stream;
	argv[a++] = from;
	r = command(c, a, argv, NULL, "XREADGROUP");
	if (r == NULL)
	{
		c->stats.errors++;
		drop_connection(c);
		return -1;
	}
	if (r->type == REDIS_REPLY_NIL)
	{
		freeReplyObject(r);		/* BLOCK ran out: nothing new */
		return 0;
	}
	if (r->type != REDIS_REPLY_ARRAY)
	{
		set_error(c, "redis XREADGROUP: unexpected reply type %d", r->type);
		freeReplyObject(r);
		c->stats.errors++;
		drop_connection(c);
		return -1;
	}
	entries = xread_entries(r);
	if (entries == NULL || entries->elements == 0)
	{
		freeReplyObject(r);
		return 0;
	}
	*got = true;
	n = process_entries(c, entries, false, store, dead, ctx, last_id);
	freeReplyObject(r);
	return n;
}

/*
 * XAUTOCLAIM s g name min-idle <cursor> COUNT n, continuing the scan at claim_cursor until it
 * comes back to 0-0 (the scan is over: the next one in claim_idle_ms / 2) or a batch was
 * claimed (stored and acknowledged here; the scan goes on in the next round).
 */
static int
autoclaim(xt_consumer *c, xt_consumer_store_fn store, xt_consumer_dead_fn dead, void *ctx,
		  bool *got)
{
	uint64_t	start = (uint64_t) xt_mono_ms();

	*got = false;
	for (int calls = 0; calls < CONS_CLAIM_MAX_CALLS; calls++)
	{
		const char *argv[8] = {"XAUTOCLAIM", c->stream, c->group, c->name, c->idle_text,
		c->claim_cursor, "COUNT", c->count_text};
		redisReply *r = command(c, 8, argv, NULL, "XAUTOCLAIM");
		const redisReply *cur;
		const redisReply *entries;
		int			n = 0;

		if (r == NULL)
		{
			c->stats.errors++;
			drop_connection(c);
			return -1;
		}
		cur = (r->type == REDIS_REPLY_ARRAY && r->elements >= 2) ? r->element[0] : NULL;
		entries = cur != NULL ? r->element[1] : NULL;
		if (!is_string(cur) || cur->len >= CONS_IDLEN || entries == NULL ||
			entries->type != REDIS_REPLY_ARRAY)
		{
			set_error(c, "redis XAUTOCLAIM: unexpected reply");
			freeReplyObject(r);
			c->stats.errors++;
			drop_connection(c);
			return -1;
		}
		memcpy(c->claim_cursor, cur->str, cur->len);
		c->claim_cursor[cur->len] = '\0';
		/* Redis 7: the ids of claimed entries that were no longer in the stream (already off the
		 * pending list) */
		if (r->elements >= 3 && r->element[2] != NULL &&
			r->element[2]->type == REDIS_REPLY_ARRAY && r->element[2]->elements > 0)
		{
			set_error(c, "stream %s: %zu pending entr%s no longer in the stream (trimmed or "
					  "deleted before being stored)", c->stream, r->element[2]->elements,
					  r->element[2]->elements == 1 ? "y" : "ies");
			c->stats.errors += r->element[2]->elements;
		}
		if (strcmp(c->claim_cursor, "0-0") == 0)
		{
			c->claim_active = false;
			c->next_claim_ms = (uint64_t) xt_mono_ms() + (uint64_t) (c->cfg.claim_idle_ms / 2);
		}
		if (entries->elements > 0)
		{
			*got = true;
			n = process_entries(c, entries, true, store, dead, ctx, NULL);
		}
		freeReplyObject(r);
		if (*got || !c->claim_active)
			return n;
		/* a long pending list: give the rest of the round to new entries, go on next round */
		if ((uint64_t) xt_mono_ms() - start > (uint64_t) c->cfg.io_timeout_ms / 2)
			return 0;
	}
	return 0;
}

/* ---- the API ---------------------------------------------------------------------------------- */

xt_consumer *
xt_consumer_create(const xt_consumer_config *cfg, char *err, size_t errlen)
{
	xt_consumer *c;
	char		perr[XT_PUB_ERRLEN];

	if (cfg == NULL || cfg->url == NULL || cfg->url[0] == '\0')
	{
		snprintf(err, errlen, "consumer: empty Redis URL");
		return NULL;
	}
	if (cfg->name == NULL || cfg->name[0] == '\0')
	{
		snprintf(err, errlen, "consumer: a member name is required");
		return NULL;
	}
	if ((cfg->stream != NULL && cfg->stream[0] == '\0') ||
		(cfg->group != NULL && cfg->group[0] == '\0') ||
		(cfg->field != NULL && cfg->field[0] == '\0'))
	{
		snprintf(err, errlen, "consumer: empty stream, group or field name");
		return NULL;
	}
	if (cfg->count < 0 || cfg->count > CONS_MAX_COUNT || cfg->block_ms < 0 ||
		cfg->block_ms > CONS_MAX_TIMEOUT_MS || cfg->claim_idle_ms < 0)
	{
		snprintf(err, errlen, "consumer: count must be 0..%d, block_ms 0..%d, claim_idle_ms >= 0",
				 CONS_MAX_COUNT, CONS_MAX_TIMEOUT_MS);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
	{
		snprintf(err, errlen, "consumer: out of memory");
		return NULL;
	}
	c->cfg = *cfg;
	c->url_copy = dup_or(cfg->url, "");
	c->stream = dup_or(cfg->stream, XT_CONSUMER_DEFAULT_STREAM);
	c->group = dup_or(cfg->group, XT_CONSUMER_DEFAULT_GROUP);
	c->field = dup_or(cfg->field, XT_CONSUMER_DEFAULT_FIELD);
	c->name = dup_or(cfg->name, "");
	if (c->url_copy == NULL || c->stream == NULL || c->group == NULL || c->field == NULL ||
		c->name == NULL)
	{
		snprintf(err, errlen, "consumer: out of memory");
		xt_consumer_destroy(c);
		return NULL;
	}
	c->cfg.url = c->url_copy;
	c->cfg.stream = c->stream;
	c->cfg.group = c->group;
	c->cfg.field = c->field;
	c->cfg.name = c->name;
	if (c->cfg.count == 0)
		c->cfg.count = XT_CONSUMER_DEFAULT_COUNT;
	if (c->cfg.block_ms == 0)
		c->cfg.block_ms = XT_CONSUMER_DEFAULT_BLOCK_MS;
	if (c->cfg.claim_idle_ms == 0)
		c->cfg.claim_idle_ms = XT_CONSUMER_DEFAULT_CLAIM_IDLE_MS;
	c->cfg.connect_timeout_ms = clamp_timeout(cfg->connect_timeout_ms, CONS_DEFAULT_CONNECT_MS);
	c->cfg.io_timeout_ms = clamp_timeout(cfg->io_timeout_ms, c->cfg.block_ms + 5000);
	/* the socket must outwait a blocking read, or every idle round would look like a timeout */
	if (c->cfg.io_timeout_ms < c->cfg.block_ms + 1000)
		c->cfg.io_timeout_ms = c->cfg.block_ms + 1000;
	snprintf(c->count_text, sizeof(c->count_text), "%d", c->cfg.count);
	snprintf(c->block_text, sizeof(c->block_text), "%d", c->cfg.block_ms);
	snprintf(c->idle_text, sizeof(c->idle_text), "%d", c->cfg.claim_idle_ms);
	if (!xt_parse_redis_url(c->url_copy, &c->url, perr, sizeof(perr)))
	{
		snprintf(err, errlen, "consumer: Redis URL: %s", perr);
		xt_consumer_destroy(c);
		return NULL;
	}
	strcpy(c->own_cursor, "0");
	strcpy(c->claim_cursor, "0-0");
	c->next_claim_ms = 0;		/* the first round looks for entries a dead member left */
	return c;
}

int
xt_consumer_poll(xt_consumer *c, xt_consumer_store_fn store, xt_consumer_dead_fn dead, void *ctx)
{
	bool		got;
	int			n;

	if (c == NULL || store == NULL)
		return -1;
	if (!ensure_connected(c))
		return -1;

	/* 1. this member's own pending entries (a restart finishes its batch) */
	if (!c->own_done)
	{
		char		last[CONS_IDLEN] = "";

		n = read_group(c, c->own_cursor, false, store, dead, ctx, &got, last);
		if (n < 0)
			return -1;
		if (got)
		{
			if (last[0] != '\0')
				memcpy(c->own_cursor, last, sizeof(last));
			return n;
		}
		c->own_done = true;
	}

	/* 2. entries other members left pending for longer than claim_idle_ms */
	if (c->claim_active || (uint64_t) xt_mono_ms() >= c->next_claim_ms)
	{
		if (!c->claim_active)
		{
			c->claim_active = true;
			strcpy(c->claim_cursor, "0-0");
		}
		n = autoclaim(c, store, dead, ctx, &got);
		if (n < 0)
			return -1;
		if (got)
			return n;
	}

	/* 3. new entries */
	return read_group(c, ">", true, store, dead, ctx, &got, NULL);
}

const char *
xt_consumer_last_error(const xt_consumer *c)
{
	return c != NULL ? c->last_error : "";
}

xt_consumer_stats
xt_consumer_get_stats(const xt_consumer *c)
{
	xt_consumer_stats none;

	if (c != NULL)
		return c->stats;
	memset(&none, 0, sizeof(none));
	return none;
}

bool
xt_consumer_connected(const xt_consumer *c)
{
	return c != NULL && c->rc != NULL;
}

void
xt_consumer_destroy(xt_consumer *c)
{
	if (c == NULL)
		return;
	if (c->rc != NULL)
		redisFree(c->rc);
	/* the password does not outlive the consumer in freed memory */
	memset(&c->url, 0, sizeof(c->url));
	if (c->url_copy != NULL)
		memset(c->url_copy, 0, strlen(c->url_copy));
	free(c->url_copy);
	free(c->stream);
	free(c->group);
	free(c->field);
	free(c->name);
	free(c->msgs);
	free(c->ack_argv);
	free(c->ack_argl);
	clear_dead(c);
	free(c->dead);
	free(c->msg_ids);
	free(c);
}
