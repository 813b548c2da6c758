/*
 * redis_pub.c: the Redis Streams publisher (hiredis, synchronous context).
 *
 * Owns: one connection to Redis and the mapping of a batch onto pipelined
 *
 *     XADD <stream> MAXLEN ~ <N> <id>-0 <field> <body>
 *
 * commands. The explicit entry id <id>-0 (the global sequence number) is what makes a resend
 * harmless: Redis refuses an id that is not above the stream's top entry with "ERR The ID
 * specified in XADD is equal or smaller than the target stream top item". Such a refusal counts as
 * confirmed only when the entry is really there (checked with XRANGE <id>-0 <id>-0) or when it is
 * older than the oldest retained entry (MAXLEN trimmed it, so it was delivered long ago); an id
 * below the top that is absent from the retained range is a gap and is reported as an error, never
 * silently confirmed.
 *
 * Bounded: the TCP connect by connect_timeout_ms, every read and write by io_timeout_ms
 * (SO_RCVTIMEO/SO_SNDTIMEO via redisSetTimeout), so a SIGSTOPped Redis makes a call fail after
 * about one timeout. After any I/O error the context is unusable (hiredis) and is dropped.
 *
 * Threads: the publisher's owner only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "brokers/publisher.h"
#include "brokers/redis_conn.h"

#define XT_REDIS_DUP_ERROR "equal or smaller than the target stream top item"

typedef struct redis_impl
{
	xt_broker_url url;
	redisContext *c;
	const char *stream;
	char		maxlen_text[24];
	int			timeout_ms;		/* the socket timeout in force (for error texts) */
	/* per-batch scratch, grown on demand */
	size_t		cap;
	char	   *idtext;			/* cap * 24 bytes: "<id>-0" of each message */
	unsigned char *status;		/* cap: MSG_* of each message */
} redis_impl;

enum
{
	MSG_PENDING = 0,
	MSG_ADDED,					/* XADD returned the id */
	MSG_DUP,					/* "equal or smaller": must be verified */
	MSG_REFUSED					/* another error reply */
};

/* The context's error as the publisher's error text (redis_conn.h words it). */
static void
set_ctx_error(xt_publisher *p, redisContext *c, const char *what)
{
	redis_impl *r = p->impl;
	char		err[XT_PUB_ERRLEN];

	xt_redis_ctx_error(c, &r->url, r->timeout_ms, what, err, sizeof(err));
	xt_pub_set_error(p, "%s", err);
}

static bool
redis_init(xt_publisher *p)
{
	redis_impl *r = calloc(1, sizeof(*r));
	char		err[XT_PUB_ERRLEN];

	if (r == NULL)
	{
		xt_pub_set_error(p, "out of memory");
		return false;
	}
	p->impl = r;
	if (!xt_parse_redis_url(p->cfg.url, &r->url, err, sizeof(err)))
	{
		xt_pub_set_error(p, "xtrader.redis_url: %s", err);
		return false;
	}
	r->stream = p->cfg.target ? p->cfg.target : XT_PUB_DEFAULT_REDIS_STREAM;
	if (r->stream[0] == '\0')
	{
		xt_pub_set_error(p, "empty stream name");
		return false;
	}
	snprintf(r->maxlen_text, sizeof(r->maxlen_text), "%ld", p->cfg.redis_maxlen);
	return true;
}

static void
redis_fini(xt_publisher *p)
{
	redis_impl *r = p->impl;

	if (r == NULL)
		return;
	if (r->c)
		redisFree(r->c);
	/* the password does not outlive the publisher in freed memory */
	memset(&r->url, 0, sizeof(r->url));
	free(r->idtext);
	free(r->status);
	free(r);
	p->impl = NULL;
}

static void
redis_disconnect(xt_publisher *p)
{
	redis_impl *r = p->impl;

	if (r->c)
	{
		redisFree(r->c);
		r->c = NULL;
	}
}

static bool
redis_connect(xt_publisher *p)
{
	redis_impl *r = p->impl;
	char		err[XT_PUB_ERRLEN];

	redis_disconnect(p);
	/* the handshake is part of connecting: bounded by the connect timeout */
	r->c = xt_redis_open(&r->url, p->cfg.connect_timeout_ms, err, sizeof(err));
	if (r->c == NULL)
	{
		xt_pub_set_error(p, "%s", err);
		return false;
	}
	r->timeout_ms = p->cfg.io_timeout_ms;
	if (redisSetTimeout(r->c, xt_redis_tv(p->cfg.io_timeout_ms)) != REDIS_OK)
	{
		set_ctx_error(p, r->c, "set timeout");
		return false;
	}
	return true;
}

static bool
redis_ping(xt_publisher *p)
{
	redis_impl *r = p->impl;
	redisReply *reply = redisCommand(r->c, "PING");
	bool		ok;

	if (reply == NULL)
	{
		set_ctx_error(p, r->c, "PING");
		return false;
	}
	ok = reply->type == REDIS_REPLY_STATUS && strcmp(reply->str, "PONG") == 0;
	if (!ok)
		xt_pub_set_error(p, "PING: unexpected reply");
	freeReplyObject(reply);
	return ok;
}

static bool
grow(redis_impl *r, size_t n)
{
	char	   *ids;
	unsigned char *st;

	if (n <= r->cap)
		return true;
	ids = realloc(r->idtext, n * 24);
	if (ids == NULL)
		return false;
	r->idtext = ids;
	st = realloc(r->status, n);
	if (st == NULL)
		return false;
	r->status = st;
	r->cap = n;
	return true;
}

/* Parses "<ms>-<seq>" (a stream entry id); only the ms part matters here (seq is always 0). */
static unsigned long long
entry_ms(const char *s)
{
	return strtoull(s, NULL, 10);
}

/*
 * Settles the MSG_DUP messages of msgs[0 .. upto-1]: one pipelined round trip of
 * XRANGE <stream> <id>-0 <id>-0 for each, plus XRANGE <stream> - + COUNT 1 (the oldest retained
 * entry). Present or older than the oldest retained entry -> MSG_ADDED (counted as duplicate);
 * otherwise MSG_REFUSED with a gap error. Returns false on an I/O error.
 */
static bool
verify_duplicates(xt_publisher *p, const xt_pub_msg *msgs, size_t upto)
{
	redis_impl *r = p->impl;
	size_t		ndup = 0;
	unsigned long long oldest = 0;
	bool		have_oldest = false;
	redisReply *reply;

	for (size_t i = 0; i < upto; i++)
	{
		if (r->status[i] != MSG_DUP)
			continue;
		{
			const char *argv[4] = {"XRANGE", r->stream, r->idtext + i * 24, r->idtext + i * 24};

			redisAppendCommandArgv(r->c, 4, argv, NULL);
		}
		ndup++;
	}
	if (ndup == 0)
		return true;
	{
		const char *argv[6] = {"XRANGE", r->stream, "-", "+", "COUNT", "1"};

		redisAppendCommandArgv(r->c, 6, argv, NULL);
	}
	/* the replies come in order: the ndup lookups, then the oldest entry */
	{
		size_t		j = 0;
		size_t	   *dup_idx = malloc(ndup * sizeof(size_t));
		bool	   *present = malloc(ndup * sizeof(bool));

		if (dup_idx == NULL || present == NULL)
		{
			free(dup_idx);
			free(present);
			xt_pub_set_error(p, "out of memory");
			return false;		/* the pipeline is out of step: drop the connection */
		}
		for (size_t i = 0; i < upto; i++)
			if (r->status[i] == MSG_DUP)
				dup_idx[j++] = i;
		for (j = 0; j <= ndup; j++)
		{
			void	   *rp = NULL;

			if (redisGetReply(r->c, &rp) != REDIS_OK)
			{
				set_ctx_error(p, r->c, "XRANGE");
				free(dup_idx);
				free(present);
				return false;
			}
			reply = rp;
			if (j < ndup)
				present[j] = reply->type == REDIS_REPLY_ARRAY && reply->elements == 1;
			else if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 1 &&
					 reply->element[0]->type == REDIS_REPLY_ARRAY &&
					 reply->element[0]->elements >= 1 &&
					 reply->element[0]->element[0]->type == REDIS_REPLY_STRING)
			{
				oldest = entry_ms(reply->element[0]->element[0]->str);
				have_oldest = true;
			}
			freeReplyObject(reply);
		}
		for (j = 0; j < ndup; j++)
		{
			size_t		i = dup_idx[j];

			if (present[j] || (have_oldest && msgs[i].id < oldest))
			{
				r->status[i] = MSG_ADDED;
				p->stats.duplicates++;
			}
			else
			{
				r->status[i] = MSG_REFUSED;
				xt_pub_set_error(p, "XADD %s %s: id below the stream's top but absent (a gap, "
								 "not a resend)", r->stream, r->idtext + i * 24);
			}
		}
		free(dup_idx);
		free(present);
	}
	return true;
}

static size_t
redis_publish(xt_publisher *p, const xt_pub_msg *msgs, size_t n, bool *broken)
{
	redis_impl *r = p->impl;
	size_t		k;
	size_t		first_refused = n;
	bool		need_verify = false;

	if (!grow(r, n))
	{
		xt_pub_set_error(p, "out of memory for a batch of %zu", n);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
	{
		const char *argv[8];
		size_t		argl[8];
		int			a = 0;
		char	   *id = r->idtext + i * 24;
		const char *field = msgs[i].field ? msgs[i].field : p->cfg.redis_field;

		snprintf(id, 24, "%llu-0", (unsigned long long) msgs[i].id);
		r->status[i] = MSG_PENDING;
		argv[a] = "XADD";
		argl[a++] = 4;
		argv[a] = r->stream;
		argl[a++] = strlen(r->stream);
		if (p->cfg.redis_maxlen > 0)
		{
			argv[a] = "MAXLEN";
			argl[a++] = 6;
			argv[a] = "~";
			argl[a++] = 1;
			argv[a] = r->maxlen_text;
			argl[a++] = strlen(r->maxlen_text);
		}
		argv[a] = id;
		argl[a++] = strlen(id);
		argv[a] = field;
		argl[a++] = strlen(field);
		argv[a] = msgs[i].body;
		argl[a++] = msgs[i].len;
		if (redisAppendCommandArgv(r->c, a, argv, argl) != REDIS_OK)
		{
			xt_pub_set_error(p, "out of memory formatting XADD");
			*broken = true;		/* part of the batch may be buffered: start over clean */
			return 0;
		}
	}
	p->stats.sent += n;

	/* Read every reply (even after a refusal) so the connection stays in step. */
	for (size_t i = 0; i < n; i++)
	{
		void	   *rp = NULL;
		redisReply *reply;

		if (redisGetReply(r->c, &rp) != REDIS_OK)
		{
			set_ctx_error(p, r->c, "XADD");
			*broken = true;
			break;
		}
		reply = rp;
		if (reply->type == REDIS_REPLY_STRING)
			r->status[i] = MSG_ADDED;
		else if (reply->type == REDIS_REPLY_ERROR && strstr(reply->str, XT_REDIS_DUP_ERROR))
		{
			r->status[i] = MSG_DUP;
			need_verify = true;
		}
		else
		{
			r->status[i] = MSG_REFUSED;
			if (first_refused == n)
			{
				first_refused = i;
				xt_pub_set_error(p, "XADD %s %s refused: %.*s", r->stream, r->idtext + i * 24,
								 reply->type == REDIS_REPLY_ERROR ? (int) reply->len : 16,
								 reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
			}
		}
		freeReplyObject(reply);
	}
	/* only the duplicates before the first hard failure can extend the prefix */
	if (need_verify && !*broken)
	{
		size_t		upto = first_refused;

		if (!verify_duplicates(p, msgs, upto))
			*broken = true;
	}
	for (k = 0; k < n && r->status[k] == MSG_ADDED; k++)
		;
	return k;
}

const xt_pub_ops xt_redis_pub_ops = {
	.name = "redis",
	.init = redis_init,
	.connect = redis_connect,
	.publish = redis_publish,
	.ping = redis_ping,
	.disconnect = redis_disconnect,
	.fini = redis_fini,
};
