/* redis_conn.c: see redis_conn.h. */
#include "brokers/redis_conn.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct timeval
xt_redis_tv(int ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return tv;
}

void
xt_redis_ctx_error(const redisContext *rc, const xt_broker_url *url, int timeout_ms,
				   const char *what, char *err, size_t errlen)
{
	if (rc->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK ||
									strstr(rc->errstr, "temporarily unavailable")))
		snprintf(err, errlen, "%s: no answer from %s:%d within %d ms", what, url->host,
				 url->port, timeout_ms);
	else
		snprintf(err, errlen, "%s: %s (%s:%d)", what, rc->errstr[0] ? rc->errstr : "I/O error",
				 url->host, url->port);
}

/* One handshake command; true when the reply is not an error. */
static bool
handshake(redisContext *rc, const xt_broker_url *url, int timeout_ms, int argc,
		  const char **argv, const char *what, char *err, size_t errlen)
{
	redisReply *reply = redisCommandArgv(rc, argc, argv, NULL);
	bool		ok;

	if (reply == NULL)
	{
		xt_redis_ctx_error(rc, url, timeout_ms, what, err, errlen);
		return false;
	}
	ok = reply->type != REDIS_REPLY_ERROR;
	if (!ok)
		snprintf(err, errlen, "%s refused: %.*s", what, (int) reply->len,
				 reply->str ? reply->str : "");
	freeReplyObject(reply);
	return ok;
}

static bool
open_handshake(redisContext *rc, const xt_broker_url *url, int connect_ms, char *err,
			   size_t errlen)
{
	if (redisSetTimeout(rc, xt_redis_tv(connect_ms)) != REDIS_OK)
	{
		xt_redis_ctx_error(rc, url, connect_ms, "set timeout", err, errlen);
		return false;
	}
	redisEnableKeepAlive(rc);
	if (url->has_password)
	{
		/* AUTH password (the default user) or AUTH user password (an ACL user) */
		const char *argv[3] = {"AUTH", url->user, url->password};

		if (url->user[0] == '\0')
		{
			argv[1] = url->password;
			if (!handshake(rc, url, connect_ms, 2, argv, "AUTH", err, errlen))
				return false;
		}
		else if (!handshake(rc, url, connect_ms, 3, argv, "AUTH", err, errlen))
			return false;
	}
	if (url->db != 0)
	{
		char		db[16];
		const char *argv[2] = {"SELECT", db};

		snprintf(db, sizeof(db), "%d", url->db);
		if (!handshake(rc, url, connect_ms, 2, argv, "SELECT", err, errlen))
			return false;
	}
	{
		const char *argv[1] = {"PING"};

		return handshake(rc, url, connect_ms, 1, argv, "PING", err, errlen);
	}
}

redisContext *
xt_redis_open(const xt_broker_url *url, int connect_ms, char *err, size_t errlen)
{
	redisContext *rc = redisConnectWithTimeout(url->host, url->port, xt_redis_tv(connect_ms));

	if (rc == NULL)
	{
		snprintf(err, errlen, "connect: out of memory");
		return NULL;
	}
	if (rc->err)
	{
		snprintf(err, errlen, "connect to %s:%d: %s", url->host, url->port, rc->errstr);
		redisFree(rc);
		return NULL;
	}
	if (!open_handshake(rc, url, connect_ms, err, errlen))
	{
		redisFree(rc);
		return NULL;
	}
	return rc;
}
