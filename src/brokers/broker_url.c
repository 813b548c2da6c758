/*
 * broker_url.c: parsing of the broker settings xtrader.redis_url, xtrader.amqp_url and
 * xtrader.kafka_brokers, and a redacting formatter so a URL can be logged without its password.
 *
 * Owns: the accepted grammar (strict: anything unexpected is an error naming what is wrong, never
 * a guess) and percent-decoding of user, password and vhost. Error texts never contain the
 * password. Pure functions; any thread.
 *
 *   redis://[[user]:password@]host[:port][/db]        port 6379, db 0..15 style number
 *   amqp://[user[:password]@]host[:port][/vhost]      port 5672, guest/guest, vhost "/"
 *   host:port[,host:port...]                          Kafka bootstrap servers
 *
 * host is a name, an IPv4 address or a bracketed IPv6 literal ([::1]).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "brokers/publisher.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decodes src[0 .. len-1] into out (outlen bytes with the NUL). Rejects bad escapes,
 * control characters and a decoded NUL (it would silently cut a password short).
 */
static bool
pct_decode(const char *src, size_t len, char *out, size_t outlen, const char *what,
		   char *err, size_t errlen)
{
	size_t		o = 0;

	for (size_t i = 0; i < len; i++)
	{
		int			c = (unsigned char) src[i];

		if (c == '%')
		{
			int			h,
						l;

			if (i + 2 >= len)
			{
				snprintf(err, errlen, "bad percent escape in %s", what);
				return false;
			}
			h = hexval((unsigned char) src[i + 1]);
			l = hexval((unsigned char) src[i + 2]);
			if (h < 0 || l < 0)
			{
				snprintf(err, errlen, "bad percent escape in %s", what);
				return false;
			}
			c = h * 16 + l;
			if (c == 0)
			{
				snprintf(err, errlen, "%%00 in %s", what);
				return false;
			}
			i += 2;
		}
		else if (c < 0x21 || c == 0x7f)
		{
			snprintf(err, errlen, "space or control character in %s", what);
			return false;
		}
		if (o + 1 >= outlen)
		{
			snprintf(err, errlen, "%s too long (max %zu bytes)", what, outlen - 1);
			return false;
		}
		out[o++] = (char) c;
	}
	out[o] = '\0';
	return true;
}

/* Parses a port number (1..65535) from s[0 .. len-1]. */
static bool
parse_port(const char *s, size_t len, int *port, char *err, size_t errlen)
{
	long		v = 0;

	if (len == 0 || len > 5)
	{
		snprintf(err, errlen, "bad port");
		return false;
	}
	for (size_t i = 0; i < len; i++)
	{
		if (!isdigit((unsigned char) s[i]))
		{
			snprintf(err, errlen, "bad port (not a number)");
			return false;
		}
		v = v * 10 + (s[i] - '0');
	}
	if (v < 1 || v > 65535)
	{
		snprintf(err, errlen, "port %ld out of range 1..65535", v);
		return false;
	}
	*port = (int) v;
	return true;
}

/*
 * Parses host[:port] in s[0 .. len-1]. A bracketed IPv6 literal keeps its colons. Host names may
 * hold letters, digits, '-', '.', '_'.
 */
static bool
parse_hostport(const char *s, size_t len, char *host, size_t hostlen, int *port, int dflt_port,
			   bool port_required, char *err, size_t errlen)
{
	const char *hs = s;
	size_t		hl;
	const char *rest;
	size_t		restlen;

	if (len == 0)
	{
		snprintf(err, errlen, "missing host");
		return false;
	}
	if (s[0] == '[')
	{
		const char *close = memchr(s, ']', len);

		if (close == NULL)
		{
			snprintf(err, errlen, "unterminated [ in host");
			return false;
		}
		hs = s + 1;
		hl = (size_t) (close - hs);
		for (size_t i = 0; i < hl; i++)
		{
			if (!isxdigit((unsigned char) hs[i]) && hs[i] != ':' && hs[i] != '.')
			{
				snprintf(err, errlen, "bad IPv6 literal");
				return false;
			}
		}
		rest = close + 1;
		restlen = len - (size_t) (rest - s);
	}
	else
	{
		const char *colon = memchr(s, ':', len);

		hl = colon ? (size_t) (colon - s) : len;
		for (size_t i = 0; i < hl; i++)
		{
			if (!isalnum((unsigned char) s[i]) && s[i] != '-' && s[i] != '.' && s[i] != '_')
			{
				snprintf(err, errlen, "bad character in host");
				return false;
			}
		}
		rest = s + hl;
		restlen = len - hl;
	}
	if (hl == 0)
	{
		snprintf(err, errlen, "missing host");
		return false;
	}
	if (hl >= hostlen)
	{
		snprintf(err, errlen, "host too long");
		return false;
	}
	memcpy(host, hs, hl);
	host[hl] = '\0';
	if (restlen == 0)
	{
		if (port_required)
		{
			snprintf(err, errlen, "missing :port after host %s", host);
			return false;
		}
		*port = dflt_port;
		return true;
	}
	if (rest[0] != ':')
	{
		snprintf(err, errlen, "unexpected text after host %s", host);
		return false;
	}
	return parse_port(rest + 1, restlen - 1, port, err, errlen);
}

/*
 * The common part of redis:// and amqp://: scheme, userinfo (split at the LAST '@' of the
 * authority, so an unencoded '@' in a password is not taken for the host), host and port.
 * Sets *path to what follows the authority ("" or "/...").
 */
static bool
parse_common(const char *s, const char *scheme, int dflt_port, xt_broker_url *out,
			 const char **path, char *err, size_t errlen)
{
	size_t		sl = strlen(scheme);
	const char *auth;
	const char *auth_end;
	const char *at = NULL;

	memset(out, 0, sizeof(*out));
	if (s == NULL || strncmp(s, scheme, sl) != 0 || strncmp(s + sl, "://", 3) != 0)
	{
		snprintf(err, errlen, "URL must start with %s://", scheme);
		return false;
	}
	auth = s + sl + 3;
	auth_end = auth + strcspn(auth, "/?#");
	if (*auth_end == '?' || *auth_end == '#')
	{
		snprintf(err, errlen, "query strings and fragments are not supported");
		return false;
	}
	for (const char *c = auth; c < auth_end; c++)
		if (*c == '@')
			at = c;
	if (at)
	{
		const char *colon = memchr(auth, ':', (size_t) (at - auth));
		size_t		ulen = colon ? (size_t) (colon - auth) : (size_t) (at - auth);

		if (!pct_decode(auth, ulen, out->user, sizeof(out->user), "user", err, errlen))
			return false;
		if (colon)
		{
			if (!pct_decode(colon + 1, (size_t) (at - colon - 1), out->password,
							sizeof(out->password), "password", err, errlen))
				return false;
			out->has_password = true;
		}
		auth = at + 1;
	}
	if (!parse_hostport(auth, (size_t) (auth_end - auth), out->host, sizeof(out->host),
						&out->port, dflt_port, false, err, errlen))
		return false;
	*path = auth_end;
	return true;
}

bool
xt_parse_redis_url(const char *s, xt_broker_url *out, char *err, size_t errlen)
{
	const char *path;

	if (!parse_common(s, "redis", 6379, out, &path, err, errlen))
		return false;
	if (out->user[0] != '\0' && !out->has_password)
	{
		snprintf(err, errlen, "redis URL has a user but no password (redis://user:password@host)");
		return false;
	}
	out->db = 0;
	if (path[0] == '/' && path[1] != '\0')
	{
		long		v = 0;

		for (const char *c = path + 1; *c; c++)
		{
			if (!isdigit((unsigned char) *c) || v > 100000)
			{
				snprintf(err, errlen, "redis database must be a number, e.g. redis://host:6379/0");
				return false;
			}
			v = v * 10 + (*c - '0');
		}
		out->db = (int) v;
	}
	return true;
}

bool
xt_parse_amqp_url(const char *s, xt_broker_url *out, char *err, size_t errlen)
{
	const char *path;

	if (!parse_common(s, "amqp", 5672, out, &path, err, errlen))
		return false;
	if (out->user[0] == '\0' && !out->has_password)
	{
		strcpy(out->user, "guest");
		strcpy(out->password, "guest");
		out->has_password = true;
	}
	else if (!out->has_password)
	{
		snprintf(err, errlen, "amqp URL has a user but no password");
		return false;
	}
	/* "" and "/" both mean the default vhost "/"; "/%2F" is "/" spelled out; "/x" is "x" */
	if (path[0] == '\0' || (path[0] == '/' && path[1] == '\0'))
		strcpy(out->vhost, "/");
	else
	{
		if (strchr(path + 1, '/'))
		{
			snprintf(err, errlen, "amqp vhost must be one path segment (encode '/' as %%2F)");
			return false;
		}
		if (!pct_decode(path + 1, strlen(path + 1), out->vhost, sizeof(out->vhost), "vhost",
						err, errlen))
			return false;
	}
	return true;
}

bool
xt_parse_kafka_brokers(const char *s, int *count, char *err, size_t errlen)
{
	int			n = 0;

	if (s == NULL || *s == '\0')
	{
		snprintf(err, errlen, "empty Kafka bootstrap list");
		return false;
	}
	while (*s)
	{
		size_t		len = strcspn(s, ",");
		char		host[XT_URL_HOSTLEN];
		int			port;

		if (strstr(s, "://") != NULL && (size_t) (strstr(s, "://") - s) < len)
		{
			snprintf(err, errlen, "Kafka bootstrap entries are host:port, without a scheme");
			return false;
		}
		if (!parse_hostport(s, len, host, sizeof(host), &port, 0, true, err, errlen))
			return false;
		if (++n > XT_KAFKA_MAX_BOOTSTRAP)
		{
			snprintf(err, errlen, "more than %d Kafka bootstrap servers", XT_KAFKA_MAX_BOOTSTRAP);
			return false;
		}
		s += len;
		if (*s == ',')
		{
			s++;
			if (*s == '\0')
			{
				snprintf(err, errlen, "trailing comma in Kafka bootstrap list");
				return false;
			}
		}
	}
	*count = n;
	return true;
}

void
xt_redact_url(const char *url, char *out, size_t outlen)
{
	const char *auth;
	const char *auth_end;
	const char *at = NULL;
	const char *colon;

	if (outlen == 0)
		return;
	if (url == NULL)
	{
		out[0] = '\0';
		return;
	}
	auth = strstr(url, "://");
	if (auth == NULL)
	{
		snprintf(out, outlen, "%s", url);
		return;
	}
	auth += 3;
	auth_end = auth + strcspn(auth, "/?#");
	for (const char *c = auth; c < auth_end; c++)
		if (*c == '@')
			at = c;
	colon = at ? memchr(auth, ':', (size_t) (at - auth)) : NULL;
	if (colon == NULL)
	{
		snprintf(out, outlen, "%s", url);
		return;
	}
	snprintf(out, outlen, "%.*s****%s", (int) (colon + 1 - url), url, at);
}
