/*
 * test_net_route.c: unit tests of src/net/http_route.{h,c}.
 *
 * One table of (method, target) -> result, route, parameters, Allow list: every endpoint, every
 * refusal (404, 405 with its Allow list, bad ids at the int64 edge, query bounds and defaults,
 * unknown/repeated parameters, 414). Targets are passed in blocks of exactly their length.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/http_route.h"
#include "xt_test.h"

typedef struct
{
	const char *method;
	const char *target;
	xt_route_result result;
	xt_route	route;
	uint64_t	id;
	const char *symbol;
	uint32_t	param;			/* depth or limit */
	const char *allow;
} route_case;

XT_TEST(route_table)
{
	static const route_case cases[] = {
		{"POST", "/v1/order", XT_ROUTE_OK, XT_ROUTE_ORDER_CREATE, 0, NULL, 0, "POST"},
		{"GET", "/v1/order/123", XT_ROUTE_OK, XT_ROUTE_ORDER_GET, 123, NULL, 0, "GET, DELETE"},
		{"DELETE", "/v1/order/9223372036854775807", XT_ROUTE_OK, XT_ROUTE_ORDER_CANCEL,
		9223372036854775807ULL, NULL, 0, "GET, DELETE"},
		{"GET", "/v1/orderbook/BTC-KRW", XT_ROUTE_OK, XT_ROUTE_ORDERBOOK, 0, "BTC-KRW", 20, "GET"},
		{"GET", "/v1/orderbook/BTC-KRW?depth=5", XT_ROUTE_OK, XT_ROUTE_ORDERBOOK, 0, "BTC-KRW", 5, "GET"},
		{"GET", "/v1/orderbook/BTC-KRW?depth=500", XT_ROUTE_OK, XT_ROUTE_ORDERBOOK, 0, "BTC-KRW", 500, "GET"},
		{"GET", "/v1/orderbook/BTC-KRW?", XT_ROUTE_OK, XT_ROUTE_ORDERBOOK, 0, "BTC-KRW", 20, "GET"},
		{"GET", "/v1/orderbook/BTC-KRW?depth=7&", XT_ROUTE_OK, XT_ROUTE_ORDERBOOK, 0, "BTC-KRW", 7, "GET"},
		{"GET", "/v1/trades/ETH-KRW", XT_ROUTE_OK, XT_ROUTE_TRADES, 0, "ETH-KRW", 100, "GET"},
		{"GET", "/v1/trades/ETH-KRW?limit=1000", XT_ROUTE_OK, XT_ROUTE_TRADES, 0, "ETH-KRW", 1000, "GET"},
		{"GET", "/v1/symbols", XT_ROUTE_OK, XT_ROUTE_SYMBOLS, 0, NULL, 0, "GET"},
		{"GET", "/health", XT_ROUTE_OK, XT_ROUTE_HEALTH, 0, NULL, 0, "GET"},
		{"GET", "/metrics", XT_ROUTE_OK, XT_ROUTE_METRICS, 0, NULL, 0, "GET"},
		/* 404 */
		{"GET", "/", XT_ROUTE_NOT_FOUND, XT_ROUTE_NONE, 0, NULL, 0, NULL},
		{"GET", "", XT_ROUTE_NOT_FOUND, XT_ROUTE_NONE, 0, NULL, 0, NULL},
		{"GET", "/v1/orders", XT_ROUTE_NOT_FOUND, XT_ROUTE_NONE, 0, NULL, 0, NULL},
		{"GET", "/v1/order/", XT_ROUTE_NOT_FOUND, XT_ROUTE_NONE, 0, NULL, 0, NULL},
		{"GET", "/v1/order/1/", XT_ROUTE_NOT_FOUND, XT_ROUTE_NONE, 0, NULL, 0, NULL},
		{"GET", "/v1/order/1/fills", XT_ROUTE_NOT_FOUND, XT_ROUTE_NONE, 0, NULL, 0, NULL},
		{"GET", "/health/", XT_ROUTE_NOT_FOUND, XT_ROUTE_NONE, 0, NULL, 0, NULL},
		{"GET", "/HEALTH", XT_ROUTE_NOT_FOUND, XT_ROUTE_NONE, 0, NULL, 0, NULL},
		{"GET", "/v1/symbols/", XT_ROUTE_NOT_FOUND, XT_ROUTE_NONE, 0, NULL, 0, NULL},
		{"GET", "/v1/orderbook/", XT_ROUTE_NOT_FOUND, XT_ROUTE_NONE, 0, NULL, 0, NULL},
		{"GET", "/v1/orderbook/BTC%2DKRW", XT_ROUTE_NOT_FOUND, XT_ROUTE_NONE, 0, NULL, 0, NULL},
		{"GET", "/v1/orderbook/..", XT_ROUTE_NOT_FOUND, XT_ROUTE_NONE, 0, NULL, 0, NULL},
		{"GET", "/v1/orderbook/.", XT_ROUTE_NOT_FOUND, XT_ROUTE_NONE, 0, NULL, 0, NULL},
		{"GET", "/v1/trades/ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456", XT_ROUTE_NOT_FOUND, XT_ROUTE_NONE, 0, NULL, 0, NULL},
		{"GET", "/v1//order", XT_ROUTE_NOT_FOUND, XT_ROUTE_NONE, 0, NULL, 0, NULL},
		{"GET", "v1/symbols", XT_ROUTE_NOT_FOUND, XT_ROUTE_NONE, 0, NULL, 0, NULL},
		/* 405 with the path's Allow list */
		{"GET", "/v1/order", XT_ROUTE_METHOD_NOT_ALLOWED, XT_ROUTE_ORDER_CREATE, 0, NULL, 0, "POST"},
		{"POST", "/v1/order/5", XT_ROUTE_METHOD_NOT_ALLOWED, XT_ROUTE_ORDER_GET, 0, NULL, 0, "GET, DELETE"},
		{"PUT", "/v1/order/5", XT_ROUTE_METHOD_NOT_ALLOWED, XT_ROUTE_ORDER_GET, 0, NULL, 0, "GET, DELETE"},
		{"get", "/health", XT_ROUTE_METHOD_NOT_ALLOWED, XT_ROUTE_HEALTH, 0, NULL, 0, "GET"},
		{"HEAD", "/metrics", XT_ROUTE_METHOD_NOT_ALLOWED, XT_ROUTE_METRICS, 0, NULL, 0, "GET"},
		{"DELETE", "/v1/orderbook/BTC-KRW", XT_ROUTE_METHOD_NOT_ALLOWED, XT_ROUTE_ORDERBOOK, 0, NULL, 0, "GET"},
		{"POST", "/v1/order/abc", XT_ROUTE_METHOD_NOT_ALLOWED, XT_ROUTE_ORDER_GET, 0, NULL, 0, "GET, DELETE"},
		/* 400 ids */
		{"GET", "/v1/order/0", XT_ROUTE_INVALID_ORDER_ID, XT_ROUTE_ORDER_GET, 0, NULL, 0, "GET, DELETE"},
		{"GET", "/v1/order/007", XT_ROUTE_INVALID_ORDER_ID, XT_ROUTE_ORDER_GET, 0, NULL, 0, "GET, DELETE"},
		{"GET", "/v1/order/-1", XT_ROUTE_INVALID_ORDER_ID, XT_ROUTE_ORDER_GET, 0, NULL, 0, "GET, DELETE"},
		{"GET", "/v1/order/+1", XT_ROUTE_INVALID_ORDER_ID, XT_ROUTE_ORDER_GET, 0, NULL, 0, "GET, DELETE"},
		{"GET", "/v1/order/1e3", XT_ROUTE_INVALID_ORDER_ID, XT_ROUTE_ORDER_GET, 0, NULL, 0, "GET, DELETE"},
		{"GET", "/v1/order/9223372036854775808", XT_ROUTE_INVALID_ORDER_ID, XT_ROUTE_ORDER_GET, 0, NULL, 0, "GET, DELETE"},
		{"DELETE", "/v1/order/18446744073709551616", XT_ROUTE_INVALID_ORDER_ID, XT_ROUTE_ORDER_CANCEL, 0, NULL, 0, "GET, DELETE"},
		{"GET", "/v1/order/99999999999999999999", XT_ROUTE_INVALID_ORDER_ID, XT_ROUTE_ORDER_GET, 0, NULL, 0, "GET, DELETE"},
		/* 400 query */
		{"GET", "/v1/orderbook/BTC-KRW?depth=0", XT_ROUTE_INVALID_PARAMETER, XT_ROUTE_ORDERBOOK, 0, "BTC-KRW", 20, "GET"},
		{"GET", "/v1/orderbook/BTC-KRW?depth=501", XT_ROUTE_INVALID_PARAMETER, XT_ROUTE_ORDERBOOK, 0, "BTC-KRW", 20, "GET"},
		{"GET", "/v1/orderbook/BTC-KRW?depth=", XT_ROUTE_INVALID_PARAMETER, XT_ROUTE_ORDERBOOK, 0, "BTC-KRW", 20, "GET"},
		{"GET", "/v1/orderbook/BTC-KRW?depth", XT_ROUTE_INVALID_PARAMETER, XT_ROUTE_ORDERBOOK, 0, "BTC-KRW", 20, "GET"},
		{"GET", "/v1/orderbook/BTC-KRW?depth=1x", XT_ROUTE_INVALID_PARAMETER, XT_ROUTE_ORDERBOOK, 0, "BTC-KRW", 20, "GET"},
		{"GET", "/v1/orderbook/BTC-KRW?depth=99999999999999999999", XT_ROUTE_INVALID_PARAMETER, XT_ROUTE_ORDERBOOK, 0, "BTC-KRW", 20, "GET"},
		{"GET", "/v1/trades/BTC-KRW?limit=1001", XT_ROUTE_INVALID_PARAMETER, XT_ROUTE_TRADES, 0, "BTC-KRW", 100, "GET"},
		{"GET", "/v1/trades/BTC-KRW?limit=-5", XT_ROUTE_INVALID_PARAMETER, XT_ROUTE_TRADES, 0, "BTC-KRW", 100, "GET"},
		{"GET", "/v1/trades/BTC-KRW?depth=5", XT_ROUTE_UNKNOWN_PARAMETER, XT_ROUTE_TRADES, 0, "BTC-KRW", 100, "GET"},
		{"GET", "/v1/trades/BTC-KRW?limit=5&limit=6", XT_ROUTE_UNKNOWN_PARAMETER, XT_ROUTE_TRADES, 0, "BTC-KRW", 5, "GET"},
		{"GET", "/v1/orderbook/BTC-KRW?Depth=5", XT_ROUTE_UNKNOWN_PARAMETER, XT_ROUTE_ORDERBOOK, 0, "BTC-KRW", 20, "GET"},
		{"GET", "/health?verbose=1", XT_ROUTE_UNKNOWN_PARAMETER, XT_ROUTE_HEALTH, 0, NULL, 0, "GET"},
		{"GET", "/v1/order/5?x", XT_ROUTE_UNKNOWN_PARAMETER, XT_ROUTE_ORDER_GET, 5, NULL, 0, "GET, DELETE"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		const route_case *c = &cases[i];
		size_t		tlen = strlen(c->target);
		char	   *t = malloc(tlen > 0 ? tlen : 1);
		xt_route_match m;
		xt_route_result r;
		uint32_t	param;

		memcpy(t, c->target, tlen);
		r = xt_route_request(c->method, strlen(c->method), t, tlen, &m);
		param = m.route == XT_ROUTE_ORDERBOOK ? m.depth : m.limit;
		if (r != c->result || m.route != c->route || m.order_id != c->id || param != c->param)
			XT_FAIL_AT("case %zu %s %s: got %s route %d id %llu param %u", i, c->method,
					   c->target, xt_route_result_name(r), (int) m.route,
					   (unsigned long long) m.order_id, param);
		if ((c->allow == NULL) != (m.allow == NULL)
			|| (c->allow && strcmp(c->allow, m.allow) != 0))
			XT_FAIL_AT("case %zu: allow %s", i, m.allow ? m.allow : "(null)");
		if (c->symbol && r != XT_ROUTE_METHOD_NOT_ALLOWED)
		{
			XT_CHECK(m.symbol_len == strlen(c->symbol)
					 && memcmp(m.symbol, c->symbol, m.symbol_len) == 0);
			XT_CHECK(m.symbol == t + strlen("/v1/orderbook/")
					 || m.symbol == t + strlen("/v1/trades/"));
		}
		else
			XT_CHECK(m.symbol == NULL);
		free(t);
	}
}

XT_TEST(route_target_length)
{
	char	   *t = malloc(XT_TARGET_MAX + 1);
	xt_route_match m;

	memset(t, 'a', XT_TARGET_MAX + 1);
	memcpy(t, "/health?", 8);
	XT_CHECK_EQ(xt_route_request("GET", 3, t, XT_TARGET_MAX, &m), XT_ROUTE_UNKNOWN_PARAMETER);
	XT_CHECK_EQ(xt_route_request("GET", 3, t, XT_TARGET_MAX + 1, &m), XT_ROUTE_URI_TOO_LONG);
	XT_CHECK_EQ(xt_route_http_status(XT_ROUTE_URI_TOO_LONG), 414);
	free(t);
}

XT_TEST(route_names_status_messages)
{
	for (int r = XT_ROUTE_OK; r <= XT_ROUTE_URI_TOO_LONG; r++)
	{
		XT_CHECK(strcmp(xt_route_result_name((xt_route_result) r), "UNKNOWN") != 0);
		XT_CHECK(strcmp(xt_route_result_message((xt_route_result) r, XT_ROUTE_NONE),
						"unknown routing result") != 0);
	}
	XT_CHECK_STR(xt_route_result_name((xt_route_result) 20), "UNKNOWN");
	XT_CHECK_EQ(xt_route_http_status(XT_ROUTE_OK), 200);
	XT_CHECK_EQ(xt_route_http_status(XT_ROUTE_NOT_FOUND), 404);
	XT_CHECK_EQ(xt_route_http_status(XT_ROUTE_METHOD_NOT_ALLOWED), 405);
	XT_CHECK_EQ(xt_route_http_status(XT_ROUTE_INVALID_ORDER_ID), 400);
	XT_CHECK_EQ(xt_route_http_status(XT_ROUTE_INVALID_PARAMETER), 400);
	XT_CHECK_EQ(xt_route_http_status(XT_ROUTE_UNKNOWN_PARAMETER), 400);
	XT_CHECK_STR(xt_route_result_message(XT_ROUTE_INVALID_PARAMETER, XT_ROUTE_ORDERBOOK),
				 "depth must be an integer from 1 to 500");
	XT_CHECK_STR(xt_route_result_message(XT_ROUTE_INVALID_PARAMETER, XT_ROUTE_TRADES),
				 "limit must be an integer from 1 to 1000");
}

XT_TEST_MAIN()
