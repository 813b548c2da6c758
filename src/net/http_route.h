/*
 * http_route.h: the REST API's routing table: method + request target -> route and parameters.
 *
 * Owns: the list of REST endpoints, which methods each path allows (the 405 Allow list), and the
 * strict parsing of path parameters (order ids, symbol names) and query parameters (depth, limit:
 * digits only, bounded, with defaults; unknown or repeated parameters refused).
 *
 * Callers: the network worker (and tests). Pure C11, no allocation, no I/O, no global state;
 * thread-safe. Inputs are (pointer, length) and never read past length. The match result points
 * into the caller's target text (the symbol), so the target must outlive the result.
 */
#ifndef XT_NET_HTTP_ROUTE_H
#define XT_NET_HTTP_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define XT_DEPTH_DEFAULT	20		/* GET /v1/orderbook/{symbol}?depth=N */
#define XT_DEPTH_MIN		1
#define XT_DEPTH_MAX		500
#define XT_LIMIT_DEFAULT	100		/* GET /v1/trades/{symbol}?limit=N */
#define XT_LIMIT_MIN		1
#define XT_LIMIT_MAX		1000
#define XT_TARGET_MAX		2048	/* bytes of a request target */

typedef enum xt_route
{
	XT_ROUTE_NONE = 0,
	XT_ROUTE_ORDER_CREATE = 1,	/* POST   /v1/order */
	XT_ROUTE_ORDER_GET = 2,		/* GET    /v1/order/{id} */
	XT_ROUTE_ORDER_CANCEL = 3,	/* DELETE /v1/order/{id} */
	XT_ROUTE_ORDERBOOK = 4,		/* GET    /v1/orderbook/{symbol}?depth=N */
	XT_ROUTE_TRADES = 5,		/* GET    /v1/trades/{symbol}?limit=N */
	XT_ROUTE_SYMBOLS = 6,		/* GET    /v1/symbols */
	XT_ROUTE_HEALTH = 7,		/* GET    /health */
	XT_ROUTE_METRICS = 8		/* GET    /metrics */
} xt_route;

typedef enum xt_route_result
{
	XT_ROUTE_OK = 0,			/* 200: route and parameters set */
	XT_ROUTE_NOT_FOUND = 1,		/* 404 NOT_FOUND: no such path */
	XT_ROUTE_METHOD_NOT_ALLOWED = 2,	/* 405 METHOD_NOT_ALLOWED: see allow */
	XT_ROUTE_INVALID_ORDER_ID = 3,	/* 400: not 1..19 digits without a leading zero, 0, or >
									 * INT64_MAX */
	XT_ROUTE_INVALID_PARAMETER = 4, /* 400: a query value not digits or out of its bounds */
	XT_ROUTE_UNKNOWN_PARAMETER = 5, /* 400: a query parameter the route does not take, or twice */
	XT_ROUTE_URI_TOO_LONG = 6	/* 414: target longer than XT_TARGET_MAX */
} xt_route_result;

typedef struct xt_route_match
{
	xt_route	route;			/* also set for 405 (the path matched) */
	const char *allow;			/* the Allow header value of the path ("GET, DELETE"), or NULL */
	uint64_t	order_id;		/* ORDER_GET, ORDER_CANCEL */
	const char *symbol;			/* ORDERBOOK, TRADES: points into the target; not terminated */
	size_t		symbol_len;
	uint32_t	depth;			/* ORDERBOOK */
	uint32_t	limit;			/* TRADES */
} xt_route_match;

/*
 * Route one request. method is case-sensitive ("GET"; HTTP methods are). target is the request
 * target as sent: an origin-form path with an optional "?query" (no fragment, no percent-decoding:
 * no valid parameter needs it). Paths are exact: no trailing slash, no empty or dot segments.
 * A symbol segment is 1..32 bytes of [A-Za-z0-9._-]; anything else is NOT_FOUND. The path is
 * matched before the method (so a wrong method on a known path is 405, not 404) and the query last.
 * Returns the result and fills *m (zeroed first).
 */
xt_route_result xt_route_request(const char *method, size_t method_len, const char *target,
								 size_t target_len, xt_route_match *m);

/* "NOT_FOUND", "METHOD_NOT_ALLOWED", "INVALID_ORDER_ID", ...: the JSON error code. */
const char *xt_route_result_name(xt_route_result r);

/* 200, 404, 405, 400 or 414. */
int			xt_route_http_status(xt_route_result r);

/* A lower-case user message for a refusal ("depth must be an integer from 1 to 500"). */
const char *xt_route_result_message(xt_route_result r, xt_route route);

#ifdef __cplusplus
}
#endif

#endif							/* XT_NET_HTTP_ROUTE_H */
