/*
 * http_route.c: the REST routing table.
 *
 * Few routes, fixed prefixes: a linear table beats any trie here and reads like the API list.
 */
#include "net/http_route.h"

#include <stdbool.h>
#include <string.h>

typedef enum param_kind
{
	PARAM_NONE = 0,				/* the path is exactly the prefix */
	PARAM_ID = 1,				/* prefix + order id */
	PARAM_SYMBOL = 2			/* prefix + symbol */
} param_kind;

typedef struct route_def
{
	const char *prefix;
	param_kind	param;
	const char *allow;
	xt_route	get;			/* the route of each allowed method, NONE if not allowed */
	xt_route	post;
	xt_route	del;
} route_def;

static const route_def routes[] = {
	{"/v1/order", PARAM_NONE, "POST", XT_ROUTE_NONE, XT_ROUTE_ORDER_CREATE, XT_ROUTE_NONE},
	{"/v1/order/", PARAM_ID, "GET, DELETE", XT_ROUTE_ORDER_GET, XT_ROUTE_NONE, XT_ROUTE_ORDER_CANCEL},
	{"/v1/orderbook/", PARAM_SYMBOL, "GET", XT_ROUTE_ORDERBOOK, XT_ROUTE_NONE, XT_ROUTE_NONE},
	{"/v1/trades/", PARAM_SYMBOL, "GET", XT_ROUTE_TRADES, XT_ROUTE_NONE, XT_ROUTE_NONE},
	{"/v1/symbols", PARAM_NONE, "GET", XT_ROUTE_SYMBOLS, XT_ROUTE_NONE, XT_ROUTE_NONE},
	{"/health", PARAM_NONE, "GET", XT_ROUTE_HEALTH, XT_ROUTE_NONE, XT_ROUTE_NONE},
	{"/metrics", PARAM_NONE, "GET", XT_ROUTE_METRICS, XT_ROUTE_NONE, XT_ROUTE_NONE},
};

#define SYMBOL_SEGMENT_MAX 32

static bool
symbol_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
		|| c == '.' || c == '_' || c == '-';
}

/* Strict unsigned integer: 1..19 digits, no leading zero, value in [1, max]. */
static bool
parse_uint(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t	v = 0;

	if (len == 0 || len > 19 || s[0] == '0')
		return false;
	for (size_t i = 0; i < len; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t) (s[i] - '0');	/* 19 digits fit in uint64 */
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

static bool
method_is(const char *m, size_t len, const char *name)
{
	return len == strlen(name) && memcmp(m, name, len) == 0;
}

/* The query "name=value&..." of a route: only `name` (if not NULL), at most once. */
static xt_route_result
parse_query(const char *q, size_t len, const char *name, uint32_t min, uint32_t max,
			uint32_t *value)
{
	size_t		pos = 0;
	bool		seen = false;

	while (pos < len)
	{
		const char *pair = q + pos;
		const char *amp = memchr(pair, '&', len - pos);
		size_t		plen = amp ? (size_t) (amp - pair) : len - pos;
		const char *eq = memchr(pair, '=', plen);
		size_t		nlen = eq ? (size_t) (eq - pair) : plen;
		uint64_t	v;

		pos += plen + (amp ? 1 : 0);
		if (plen == 0)
			continue;			/* "a=1&&b" and a trailing '&' are harmless */
		if (name == NULL || nlen != strlen(name) || memcmp(pair, name, nlen) != 0 || seen)
			return XT_ROUTE_UNKNOWN_PARAMETER;
		seen = true;
		if (!eq || !parse_uint(eq + 1, plen - nlen - 1, max, &v) || v < min)
			return XT_ROUTE_INVALID_PARAMETER;
		*value = (uint32_t) v;
	}
	return XT_ROUTE_OK;
}

xt_route_result
xt_route_request(const char *method, size_t method_len, const char *target, size_t target_len,
				 xt_route_match *m)
{
	const char *qmark;
	size_t		path_len;
	const route_def *def = NULL;
	const char *param = NULL;
	size_t		param_len = 0;
	xt_route	route;

	memset(m, 0, sizeof(*m));
	if (target_len > XT_TARGET_MAX)
		return XT_ROUTE_URI_TOO_LONG;
	qmark = memchr(target, '?', target_len);
	path_len = qmark ? (size_t) (qmark - target) : target_len;

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]) && def == NULL; i++)
	{
		size_t		plen = strlen(routes[i].prefix);

		if (path_len < plen || memcmp(target, routes[i].prefix, plen) != 0)
			continue;
		if (routes[i].param == PARAM_NONE)
		{
			if (path_len == plen)
				def = &routes[i];
			continue;
		}
		param = target + plen;
		param_len = path_len - plen;
		if (param_len == 0 || memchr(param, '/', param_len) != NULL)
			continue;
		if (routes[i].param == PARAM_SYMBOL)
		{
			if (param_len > SYMBOL_SEGMENT_MAX)
				continue;
			for (size_t k = 0; k < param_len; k++)
				if (!symbol_char(param[k]))
					return XT_ROUTE_NOT_FOUND;
			/* "." and ".." are path segments, never symbols */
			if (param[0] == '.' && (param_len == 1 || (param_len == 2 && param[1] == '.')))
				return XT_ROUTE_NOT_FOUND;
		}
		def = &routes[i];
	}
	if (def == NULL)
		return XT_ROUTE_NOT_FOUND;

	m->allow = def->allow;
	route = method_is(method, method_len, "GET") ? def->get
		: method_is(method, method_len, "POST") ? def->post
		: method_is(method, method_len, "DELETE") ? def->del
		: XT_ROUTE_NONE;
	if (route == XT_ROUTE_NONE)
	{
		m->route = def->get != XT_ROUTE_NONE ? def->get : def->post;
		return XT_ROUTE_METHOD_NOT_ALLOWED;
	}
	m->route = route;

	if (def->param == PARAM_ID && !parse_uint(param, param_len, INT64_MAX, &m->order_id))
		return XT_ROUTE_INVALID_ORDER_ID;
	if (def->param == PARAM_SYMBOL)
	{
		m->symbol = param;
		m->symbol_len = param_len;
	}

	{
		const char *q = qmark ? qmark + 1 : target + target_len;
		size_t		qlen = qmark ? target_len - path_len - 1 : 0;

		if (route == XT_ROUTE_ORDERBOOK)
		{
			m->depth = XT_DEPTH_DEFAULT;
			return parse_query(q, qlen, "depth", XT_DEPTH_MIN, XT_DEPTH_MAX, &m->depth);
		}
		if (route == XT_ROUTE_TRADES)
		{
			m->limit = XT_LIMIT_DEFAULT;
			return parse_query(q, qlen, "limit", XT_LIMIT_MIN, XT_LIMIT_MAX, &m->limit);
		}
		return parse_query(q, qlen, NULL, 0, 0, NULL);
	}
}

const char *
xt_route_result_name(xt_route_result r)
{
	switch (r)
	{
		case XT_ROUTE_OK:
			return "OK";
		case XT_ROUTE_NOT_FOUND:
			return "NOT_FOUND";
		case XT_ROUTE_METHOD_NOT_ALLOWED:
			return "METHOD_NOT_ALLOWED";
		case XT_ROUTE_INVALID_ORDER_ID:
			return "INVALID_ORDER_ID";
		case XT_ROUTE_INVALID_PARAMETER:
			return "INVALID_PARAMETER";
		case XT_ROUTE_UNKNOWN_PARAMETER:
			return "UNKNOWN_PARAMETER";
		case XT_ROUTE_URI_TOO_LONG:
			return "URI_TOO_LONG";
	}
	return "UNKNOWN";
}

int
xt_route_http_status(xt_route_result r)
{
	switch (r)
	{
		case XT_ROUTE_OK:
			return 200;
		case XT_ROUTE_NOT_FOUND:
			return 404;
		case XT_ROUTE_METHOD_NOT_ALLOWED:
			return 405;
		case XT_ROUTE_URI_TOO_LONG:
			return 414;
		case XT_ROUTE_INVALID_ORDER_ID:
		case XT_ROUTE_INVALID_PARAMETER:
		case XT_ROUTE_UNKNOWN_PARAMETER:
			return 400;
	}
	return 500;
}

const char *
xt_route_result_message(xt_route_result r, xt_route route)
{
	switch (r)
	{
		case XT_ROUTE_OK:
			return "ok";
		case XT_ROUTE_NOT_FOUND:
			return "no such endpoint";
		case XT_ROUTE_METHOD_NOT_ALLOWED:
			return "method not allowed for this endpoint: see the Allow header";
		case XT_ROUTE_INVALID_ORDER_ID:
			return "the order id must be a positive integer";
		case XT_ROUTE_INVALID_PARAMETER:
			return route == XT_ROUTE_ORDERBOOK ? "depth must be an integer from 1 to 500"
				: "limit must be an integer from 1 to 1000";
		case XT_ROUTE_UNKNOWN_PARAMETER:
			return route == XT_ROUTE_ORDERBOOK ? "the only query parameter is depth, at most once"
				: route == XT_ROUTE_TRADES ? "the only query parameter is limit, at most once"
				: "this endpoint takes no query parameters";
		case XT_ROUTE_URI_TOO_LONG:
			return "the request target is longer than 2048 bytes";
	}
	return "unknown routing result";
}
