/*
 * test_net_order.c: unit tests of src/net/order_request.{h,c}.
 *
 * A table of request bodies, each with the error code it must get (every code is reached) and,
 * for the accepted ones, the exact ticks and lots: 0.1, 0.001, 50000000.12345678 and 1e-3 as JSON
 * numbers and strings, case-insensitive enums, optional fields and nulls, min/max quantities.
 * Then the messages, the command mapping, and the exact bytes of every response body.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "net/json.h"
#include "net/order_request.h"
#include "xt_test.h"

static const struct
{
	const char *name;
	xt_symbol_spec spec;
}			symbols[] = {
	/* tick 1, lot 0.001 */
	{"BTC-KRW", {7, {100000000}, {100000}, 1, 1000000}},
	/* tick 1000, lot 0.0001, 10..1000000 lots */
	{"ETH-KRW", {8, {100000000000}, {10000}, 10, 1000000}},
	/* tick and lot 0.00000001 */
	{"FINE-USD", {9, {1}, {1}, 1, XT_VALUE_MAX}},
	/* tick 0.1, lot 0.1 */
	{"TENTH-USD", {10, {10000000}, {10000000}, 1, XT_VALUE_MAX}},
};

static int	lookups;

static bool
lookup(void *ctx, const char *name, size_t len, xt_symbol_spec *out)
{
	(void) ctx;
	lookups++;
	for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++)
		if (strlen(symbols[i].name) == len && memcmp(symbols[i].name, name, len) == 0)
		{
			*out = symbols[i].spec;
			return true;
		}
	return false;
}

static char msg[XT_ERROR_MESSAGE_MAX];

static xt_order_error
decode_n(const char *body, size_t len, xt_order_request *req)
{
	char	   *p = malloc(len > 0 ? len : 1);
	xt_order_error e;

	memcpy(p, body, len);
	e = xt_order_request_decode(p, len, lookup, NULL, req, msg, sizeof(msg));
	free(p);
	return e;
}

static xt_order_error
decode(const char *body, xt_order_request *req)
{
	return decode_n(body, strlen(body), req);
}

#define BTC "{\"symbol\":\"BTC-KRW\","

typedef struct
{
	const char *body;
	xt_order_error err;
	const char *message;		/* NULL: not checked */
} bad_case;

XT_TEST(order_rejections_table)
{
	static const bad_case cases[] = {
		{"", XT_ORDER_INVALID_JSON, "empty document at byte 0"},
		{"{\"symbol\":", XT_ORDER_INVALID_JSON, "unexpected end of input at byte 10"},
		{"{\"symbol\":\"BTC\xff\"}", XT_ORDER_INVALID_JSON, "invalid UTF-8 at byte 14"},
		{"{\"side\":\"Buy\",\"side\":\"Buy\"}", XT_ORDER_INVALID_JSON, "duplicate key at byte 14"},
		{"[]", XT_ORDER_INVALID_REQUEST, "the request body must be a JSON object"},
		{"\"order\"", XT_ORDER_INVALID_REQUEST, NULL},
		{"{\"prise\":1}", XT_ORDER_UNKNOWN_FIELD, "unknown field \"prise\""},
		{BTC "\"side\":\"Buy\",\"order_type\":\"Limit\",\"price\":1,\"quantity\":1,\"account\":\"x\"}",
		XT_ORDER_UNKNOWN_FIELD, "unknown field \"account\""},
		{"{}", XT_ORDER_MISSING_FIELD, "symbol is required"},
		{"{\"symbol\":null}", XT_ORDER_MISSING_FIELD, "symbol is required"},
		{"{\"symbol\":5}", XT_ORDER_INVALID_SYMBOL, "symbol must be a string"},
		{"{\"symbol\":\"DOGE-KRW\"}", XT_ORDER_UNKNOWN_SYMBOL, "unknown symbol \"DOGE-KRW\""},
		{"{\"symbol\":\"\"}", XT_ORDER_UNKNOWN_SYMBOL, NULL},
		{"{\"symbol\":\"btc-krw\"}", XT_ORDER_UNKNOWN_SYMBOL, NULL},	/* names are exact */
		{BTC "\"order_type\":\"Limit\"}", XT_ORDER_MISSING_FIELD, "side is required"},
		{BTC "\"side\":\"Hold\"}", XT_ORDER_INVALID_SIDE, "side must be \"Buy\" or \"Sell\""},
		{BTC "\"side\":1}", XT_ORDER_INVALID_SIDE, NULL},
		{BTC "\"side\":\"Buy \"}", XT_ORDER_INVALID_SIDE, NULL},
		{BTC "\"side\":\"Buy\"}", XT_ORDER_MISSING_FIELD, "order_type is required"},
		{BTC "\"side\":\"Buy\",\"order_type\":\"Stop\"}", XT_ORDER_INVALID_ORDER_TYPE,
		"order_type must be \"Limit\" or \"Market\""},
		{BTC "\"side\":\"Buy\",\"order_type\":\"Limit\",\"time_in_force\":\"DAY\"}",
		XT_ORDER_INVALID_TIME_IN_FORCE, "time_in_force must be \"GTC\", \"IOC\" or \"FOK\""},
		{BTC "\"side\":\"Buy\",\"order_type\":\"Limit\",\"time_in_force\":true}",
		XT_ORDER_INVALID_TIME_IN_FORCE, NULL},
		{BTC "\"side\":\"Buy\",\"order_type\":\"Limit\",\"client_order_id\":\"\"}",
		XT_ORDER_INVALID_CLIENT_ORDER_ID, "client_order_id must be a string of 1 to 36 characters"},
		{BTC "\"side\":\"Buy\",\"order_type\":\"Limit\",\"client_order_id\":\"0123456789012345678901234567890123456\"}",
		XT_ORDER_INVALID_CLIENT_ORDER_ID, NULL},
		{BTC "\"side\":\"Buy\",\"order_type\":\"Limit\",\"client_order_id\":42}",
		XT_ORDER_INVALID_CLIENT_ORDER_ID, NULL},
		{BTC "\"side\":\"Buy\",\"order_type\":\"Limit\",\"client_order_id\":\"a\\nb\"}",
		XT_ORDER_INVALID_CLIENT_ORDER_ID, "client_order_id must be printable ASCII"},
		{BTC "\"side\":\"Buy\",\"order_type\":\"Limit\",\"client_order_id\":\"\xc3\xa9\"}",
		XT_ORDER_INVALID_CLIENT_ORDER_ID, NULL},
		{BTC "\"side\":\"Buy\",\"order_type\":\"Limit\",\"quantity\":1}", XT_ORDER_MISSING_FIELD,
		"price is required for a limit order"},
		{BTC "\"side\":\"Buy\",\"order_type\":\"Limit\",\"price\":null,\"quantity\":1}",
		XT_ORDER_MISSING_FIELD, NULL},
		{BTC "\"side\":\"Buy\",\"order_type\":\"Market\",\"price\":1,\"quantity\":1}",
		XT_ORDER_INVALID_PRICE, "a market order must not have a price"},
		{BTC "\"side\":\"Buy\",\"order_type\":\"Limit\",\"price\":true,\"quantity\":1}",
		XT_ORDER_INVALID_PRICE, "price must be a decimal number or string"},
		{BTC "\"side\":\"Buy\",\"order_type\":\"Limit\",\"price\":\"abc\",\"quantity\":1}",
		XT_ORDER_INVALID_PRICE, "price must be a decimal number such as \"0.001\""},
		{BTC "\"side\":\"Buy\",\"order_type\":\"Limit\",\"price\":\" 1\",\"quantity\":1}",
		XT_ORDER_INVALID_PRICE, NULL},
		{BTC "\"side\":\"Buy\",\"order_type\":\"Limit\",\"price\":0,\"quantity\":1}",
		XT_ORDER_INVALID_PRICE, NULL},
		{BTC "\"side\":\"Buy\",\"order_type\":\"Limit\",\"price\":-5,\"quantity\":1}",
		XT_ORDER_INVALID_PRICE, NULL},
		{BTC "\"side\":\"Buy\",\"order_type\":\"Limit\",\"price\":0.5,\"quantity\":1}",
		XT_ORDER_INVALID_PRICE, "price must be a multiple of the tick size 1"},
		{BTC "\"side\":\"Buy\",\"order_type\":\"Limit\",\"price\":9007199254740992,\"quantity\":1}",
		XT_ORDER_INVALID_PRICE, NULL},
		{BTC "\"side\":\"Buy\",\"order_type\":\"Limit\",\"price\":1e400,\"quantity\":1}",
		XT_ORDER_INVALID_PRICE, NULL},
		{BTC "\"side\":\"Buy\",\"order_type\":\"Limit\",\"price\":\"1e-400\",\"quantity\":1}",
		XT_ORDER_INVALID_PRICE, NULL},
		{BTC "\"side\":\"Buy\",\"order_type\":\"Limit\",\"price\":1}", XT_ORDER_MISSING_FIELD,
		"quantity is required"},
		{BTC "\"side\":\"Buy\",\"order_type\":\"Limit\",\"price\":1,\"quantity\":0.0001}",
		XT_ORDER_INVALID_QUANTITY, "quantity must be a multiple of the lot size 0.001"},
		{BTC "\"side\":\"Buy\",\"order_type\":\"Limit\",\"price\":1,\"quantity\":\"0.000000001\"}",
		XT_ORDER_INVALID_QUANTITY, NULL},
		{BTC "\"side\":\"Buy\",\"order_type\":\"Limit\",\"price\":1,\"quantity\":[]}",
		XT_ORDER_INVALID_QUANTITY, NULL},
		{BTC "\"side\":\"Buy\",\"order_type\":\"Limit\",\"price\":1,\"quantity\":1000.001}",
		XT_ORDER_INVALID_QUANTITY, "quantity must be at most 1000"},
		{"{\"symbol\":\"ETH-KRW\",\"side\":\"Buy\",\"order_type\":\"Limit\",\"price\":1000,\"quantity\":0.0009}",
		XT_ORDER_INVALID_QUANTITY, "quantity must be at least 0.001"},
		{BTC "\"side\":\"Buy\",\"order_type\":\"Limit\",\"price\":1,\"quantity\":1,\"post_only\":1}",
		XT_ORDER_INVALID_POST_ONLY, "post_only must be true or false"},
		{BTC "\"side\":\"Buy\",\"order_type\":\"Limit\",\"price\":1,\"quantity\":1,\"post_only\":\"true\"}",
		XT_ORDER_INVALID_POST_ONLY, NULL},
		{BTC "\"side\":\"Buy\",\"order_type\":\"Market\",\"quantity\":1,\"post_only\":true}",
		XT_ORDER_INVALID_POST_ONLY, "post_only needs a limit order with time_in_force \"GTC\""},
		{BTC "\"side\":\"Buy\",\"order_type\":\"Limit\",\"time_in_force\":\"IOC\",\"price\":1,\"quantity\":1,\"post_only\":true}",
		XT_ORDER_INVALID_POST_ONLY, NULL},
		/* validation order: the first failing field wins whatever the member order */
		{"{\"quantity\":-1,\"price\":\"x\",\"side\":\"no\",\"symbol\":\"BTC-KRW\",\"order_type\":\"Limit\"}",
		XT_ORDER_INVALID_SIDE, NULL},
		{"{\"quantity\":-1,\"price\":\"x\",\"side\":\"buy\",\"symbol\":\"BTC-KRW\",\"order_type\":\"Limit\"}",
		XT_ORDER_INVALID_PRICE, NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		xt_order_request req;
		xt_order_error e;

		memset(&req, 0x5a, sizeof(req));
		e = decode(cases[i].body, &req);
		if (e != cases[i].err)
			XT_FAIL_AT("case %zu %s: got %s (%s), want %s", i, cases[i].body,
					   xt_order_error_name(e), msg, xt_order_error_name(cases[i].err));
		else if (cases[i].message && strcmp(msg, cases[i].message) != 0)
			XT_FAIL_AT("case %zu: message \"%s\", want \"%s\"", i, msg, cases[i].message);
		XT_CHECK(msg[0] != '\0');
		/* a refused request leaves nothing half-filled */
		{
			xt_order_request zero;

			memset(&zero, 0, sizeof(zero));
			XT_CHECK(memcmp(&req, &zero, sizeof(req)) == 0);
		}
	}
}

XT_TEST(order_accepted_values_are_exact)
{
	static const struct
	{
		const char *body;
		uint32_t	symbol;
		int64_t		price;
		int64_t		quantity;
	}			cases[] = {
		/* the flow document's example: JSON numbers */
		{"{\"symbol\":\"BTC-KRW\",\"side\":\"Buy\",\"order_type\":\"Limit\",\"price\":50000000,\"quantity\":0.001}",
		7, 50000000, 1},
		{"{\"symbol\":\"BTC-KRW\",\"side\":\"Buy\",\"order_type\":\"Limit\",\"price\":\"50000000\",\"quantity\":\"0.001\"}",
		7, 50000000, 1},
		{"{\"symbol\":\"BTC-KRW\",\"side\":\"Buy\",\"order_type\":\"Limit\",\"price\":5E7,\"quantity\":1e-3}",
		7, 50000000, 1},
		{"{\"symbol\":\"BTC-KRW\",\"side\":\"Buy\",\"order_type\":\"Limit\",\"price\":\"5e7\",\"quantity\":\"1.0E-3\"}",
		7, 50000000, 1},
		{"{\"symbol\":\"FINE-USD\",\"side\":\"Buy\",\"order_type\":\"Limit\",\"price\":50000000.12345678,\"quantity\":0.1}",
		9, 5000000012345678, 10000000},
		{"{\"symbol\":\"FINE-USD\",\"side\":\"Buy\",\"order_type\":\"Limit\",\"price\":\"50000000.12345678\",\"quantity\":\"0.001\"}",
		9, 5000000012345678, 100000},
		/* 0.1 + 0.2 style values that a double would blur */
		{"{\"symbol\":\"TENTH-USD\",\"side\":\"Buy\",\"order_type\":\"Limit\",\"price\":0.3,\"quantity\":0.1}",
		10, 3, 1},
		{"{\"symbol\":\"FINE-USD\",\"side\":\"Sell\",\"order_type\":\"Limit\",\"price\":90071992.54740991,\"quantity\":0.00000001}",
		9, XT_VALUE_MAX, 1},
		{"{\"symbol\":\"BTC-KRW\",\"side\":\"Buy\",\"order_type\":\"Limit\",\"price\":9007199254740991,\"quantity\":1000}",
		7, XT_VALUE_MAX, 1000000},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		xt_order_request req;
		xt_order_error e = decode(cases[i].body, &req);

		if (e != XT_ORDER_OK)
		{
			XT_FAIL_AT("case %zu: %s %s", i, xt_order_error_name(e), msg);
			continue;
		}
		XT_CHECK_EQ(req.symbol, cases[i].symbol);
		XT_CHECK_EQ(req.price, cases[i].price);
		XT_CHECK_EQ(req.quantity, cases[i].quantity);
		XT_CHECK_EQ(req.order_type, XT_TYPE_LIMIT);
		XT_CHECK_EQ(req.tif, XT_TIF_GTC);
		XT_CHECK_EQ(req.post_only, 0);
		XT_CHECK_EQ(req.clordid_len, 0);
	}
}

XT_TEST(order_enums_case_insensitive_and_optionals)
{
	xt_order_request req;
	xt_command	cmd;

	XT_REQUIRE(decode("{\"symbol\":\"BTC-KRW\",\"side\":\"SELL\",\"order_type\":\"market\","
					  "\"quantity\":\"2\",\"time_in_force\":\"ioc\",\"price\":null,"
					  "\"client_order_id\":null,\"post_only\":null}", &req) == XT_ORDER_OK);
	XT_CHECK_EQ(req.side, XT_SIDE_SELL);
	XT_CHECK_EQ(req.order_type, XT_TYPE_MARKET);
	XT_CHECK_EQ(req.tif, XT_TIF_IOC);
	XT_CHECK_EQ(req.price, 0);
	XT_CHECK_EQ(req.quantity, 2000);

	XT_REQUIRE(decode("{\"symbol\":\"BTC-KRW\",\"side\":\"bUy\",\"order_type\":\"LIMIT\","
					  "\"price\":49000000,\"quantity\":1,\"time_in_force\":\"Fok\"}", &req) == XT_ORDER_OK);
	XT_CHECK_EQ(req.side, XT_SIDE_BUY);
	XT_CHECK_EQ(req.tif, XT_TIF_FOK);

	XT_REQUIRE(decode("{\"client_order_id\":\"550e8400-e29b-41d4-a716-446655440000\","
					  "\"post_only\":true,\"symbol\":\"BTC-KRW\",\"side\":\"Buy\","
					  "\"order_type\":\"Limit\",\"price\":49000000,\"quantity\":1,"
					  "\"time_in_force\":\"GTC\"}", &req) == XT_ORDER_OK);
	XT_CHECK_EQ(req.post_only, 1);
	XT_CHECK_EQ(req.clordid_len, 36);
	XT_CHECK(memcmp(req.clordid, "550e8400-e29b-41d4-a716-446655440000", 36) == 0);

	xt_order_request_to_command(&req, 42, &cmd);
	XT_CHECK_EQ(cmd.type, XT_CMD_NEW_ORDER);
	XT_CHECK_EQ(cmd.seq, 0);
	XT_CHECK_EQ(cmd.symbol, 7);
	XT_CHECK_EQ(cmd.account, 42);
	XT_CHECK_EQ(cmd.side, XT_SIDE_BUY);
	XT_CHECK_EQ(cmd.order_type, XT_TYPE_LIMIT);
	XT_CHECK_EQ(cmd.tif, XT_TIF_GTC);
	XT_CHECK_EQ(cmd.stp, XT_STP_CANCEL_RESTING);
	XT_CHECK_EQ(cmd.post_only, 1);
	XT_CHECK_EQ(cmd.price, 49000000);
	XT_CHECK_EQ(cmd.quantity, 1000);
	XT_CHECK_EQ(cmd.clordid_len, 36);
	XT_CHECK(memcmp(cmd.clordid, req.clordid, 36) == 0);

	/* post_only false is fine on any order */
	XT_CHECK_EQ(decode("{\"symbol\":\"BTC-KRW\",\"side\":\"Buy\",\"order_type\":\"Market\","
					   "\"quantity\":1,\"post_only\":false}", &req), XT_ORDER_OK);
}

XT_TEST(order_limits_and_lookup_calls)
{
	xt_order_request req;
	char	   *big;
	char		body[512];
	size_t		n = 0;

	/* one lookup per request, none before the body is known to be an object of known fields */
	lookups = 0;
	decode("{\"symbol\":\"BTC-KRW\",\"side\":\"Buy\",\"order_type\":\"Limit\",\"price\":1,\"quantity\":1}", &req);
	XT_CHECK_EQ(lookups, 1);
	decode("{\"symbol\":\"BTC-KRW\",\"x\":1}", &req);
	XT_CHECK_EQ(lookups, 1);
	/* a name longer than any symbol is never looked up */
	decode("{\"symbol\":\"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456\"}", &req);
	XT_CHECK_EQ(lookups, 1);

	big = malloc(XT_JSON_INPUT_MAX + 1);
	memset(big, ' ', XT_JSON_INPUT_MAX + 1);
	XT_CHECK_EQ(decode_n(big, XT_JSON_INPUT_MAX + 1, &req), XT_ORDER_PAYLOAD_TOO_LARGE);
	XT_CHECK_EQ(xt_order_error_http_status(XT_ORDER_PAYLOAD_TOO_LARGE), 413);
	free(big);

	/* more values than an order can have */
	body[n++] = '[';
	for (int i = 0; i < 40; i++)
		n += (size_t) snprintf(body + n, sizeof(body) - n, "%s1", i ? "," : "");
	body[n++] = ']';
	XT_CHECK_EQ(decode_n(body, n, &req), XT_ORDER_INVALID_REQUEST);

	/* deep nesting is refused cleanly */
	memset(body, '[', 200);
	XT_CHECK_EQ(decode_n(body, 200, &req), XT_ORDER_INVALID_JSON);
	XT_CHECK_STR(msg, "nesting too deep at byte 4");

	/* a long unknown key is echoed cut on a character boundary */
	XT_CHECK_EQ(decode("{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9zzzz\":1}", &req),
				XT_ORDER_UNKNOWN_FIELD);
	XT_CHECK_STR(msg, "unknown field \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"");
}

XT_TEST(order_error_names_and_status)
{
	for (int e = XT_ORDER_OK; e <= XT_ORDER_INVALID_POST_ONLY; e++)
	{
		XT_CHECK(strcmp(xt_order_error_name((xt_order_error) e), "UNKNOWN") != 0);
		XT_CHECK_EQ(xt_order_error_http_status((xt_order_error) e),
					e == XT_ORDER_OK ? 200 : e == XT_ORDER_PAYLOAD_TOO_LARGE ? 413 : 400);
	}
	XT_CHECK_STR(xt_order_error_name((xt_order_error) 77), "UNKNOWN");
	XT_CHECK_STR(xt_order_error_name(XT_ORDER_INVALID_PRICE), "INVALID_PRICE");
	XT_CHECK_STR(xt_side_name(XT_SIDE_SELL), "Sell");
	XT_CHECK_STR(xt_side_name((xt_side) 9), "Unknown");
	XT_CHECK_STR(xt_order_type_name(XT_TYPE_MARKET), "Market");
	XT_CHECK_STR(xt_tif_name(XT_TIF_FOK), "FOK");
}

XT_TEST(order_response_bodies)
{
	char		buf[512];
	xt_order_view v;

	XT_CHECK(xt_order_encode_accepted(123, "order accepted: Pending", buf, sizeof(buf)) > 0);
	XT_CHECK_STR(buf, "{\"order_id\":123,\"status\":\"ACCEPTED\",\"message\":\"order accepted: Pending\"}");
	XT_CHECK_EQ(xt_order_encode_accepted(123, "x", buf, 20), 0);

	XT_CHECK(xt_order_encode_error(XT_ORDER_UNKNOWN_SYMBOL, "unknown symbol \"X\"", buf, sizeof(buf)) > 0);
	XT_CHECK_STR(buf, "{\"error\":\"UNKNOWN_SYMBOL\",\"message\":\"unknown symbol \\\"X\\\"\"}");

	memset(&v, 0, sizeof(v));
	v.order_id = 9007199254740993ULL;
	v.symbol = "BTC-KRW";
	v.tick.e8 = 100000000;
	v.lot.e8 = 100000;
	v.side = XT_SIDE_BUY;
	v.order_type = XT_TYPE_LIMIT;
	v.tif = XT_TIF_GTC;
	v.status = XT_STATUS_PARTIALLY_FILLED;
	v.price = 50000000;
	v.quantity = 3;
	v.filled = 1;
	v.remaining = 2;
	v.created_at_us = 1700000000123456;
	v.updated_at_us = 1700000000223456;
	XT_CHECK(xt_order_encode_view(&v, buf, sizeof(buf)) == strlen(buf));
	XT_CHECK_STR(buf, "{\"order_id\":9007199254740993,\"symbol\":\"BTC-KRW\",\"side\":\"Buy\","
				 "\"order_type\":\"Limit\",\"time_in_force\":\"GTC\",\"price\":\"50000000\","
				 "\"quantity\":\"0.003\",\"filled_quantity\":\"0.001\","
				 "\"remaining_quantity\":\"0.002\",\"status\":\"PartiallyFilled\","
				 "\"client_order_id\":null,\"created_at\":\"2023-11-14T22:13:20.123456Z\","
				 "\"updated_at\":\"2023-11-14T22:13:20.223456Z\"}");

	/* a market order has no price; a client order id is shown */
	v.order_type = XT_TYPE_MARKET;
	v.tif = XT_TIF_IOC;
	v.price = 0;
	v.status = XT_STATUS_EXPIRED;
	v.remaining = 0;
	v.clordid = "my-id-1";
	v.clordid_len = 7;
	XT_CHECK(xt_order_encode_view(&v, buf, sizeof(buf)) > 0);
	XT_CHECK(strstr(buf, "\"price\":null,") != NULL);
	XT_CHECK(strstr(buf, "\"status\":\"Expired\",\"client_order_id\":\"my-id-1\"") != NULL);

	/* out-of-range values produce nothing rather than bad JSON */
	v.status = 77;
	XT_CHECK_EQ(xt_order_encode_view(&v, buf, sizeof(buf)), 0);
	v.status = XT_STATUS_FILLED;
	v.quantity = -1;
	XT_CHECK_EQ(xt_order_encode_view(&v, buf, sizeof(buf)), 0);
	v.quantity = 3;
	XT_CHECK_EQ(xt_order_encode_view(&v, buf, 100), 0);
}

XT_TEST_MAIN()
