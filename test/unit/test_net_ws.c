/*
 * test_net_ws.c: unit tests of src/net/ws_message.{h,c}.
 *
 * Decoding: every op, every error code, channel parsing and symbol resolution. Encoding: the
 * Execution message byte for byte as the flow document shows it, for both sides of a trade taken
 * from the real engine (full fill, partial fill, and a maker still pending), book snapshot and
 * diffs built from the engine's LEVEL events, trade, ticker, acknowledgements and error frames;
 * every encoded message parses back with the strict parser.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "net/json.h"
#include "net/order_request.h"
#include "net/ws_message.h"
#include "xt_test.h"

static bool
lookup(void *ctx, const char *name, size_t len, xt_symbol_spec *out)
{
	(void) ctx;
	if (len == 7 && memcmp(name, "BTC-KRW", 7) == 0)
	{
		out->id = 1;
		out->tick.e8 = 100000000;
		out->lot.e8 = 100000;
		out->min_lots = 1;
		out->max_lots = XT_VALUE_MAX;
		return true;
	}
	if (len == 7 && memcmp(name, "ETH-KRW", 7) == 0)
	{
		out->id = 2;
		return true;
	}
	return false;
}

static char msg[XT_ERROR_MESSAGE_MAX];

static xt_ws_error
decode(const char *text, xt_ws_request *req)
{
	size_t		len = strlen(text);
	char	   *p = malloc(len > 0 ? len : 1);
	xt_ws_error e;

	memcpy(p, text, len);
	e = xt_ws_decode(p, len, lookup, NULL, req, msg, sizeof(msg));
	free(p);
	return e;
}

/* The encoded text must be one valid JSON document. */
static bool
parses(const char *text)
{
	static xt_json_node nodes[512];
	static char strbuf[16384];
	xt_json_doc doc;

	xt_json_doc_init(&doc, nodes, 512, strbuf, sizeof(strbuf));
	return xt_json_parse(&doc, text, strlen(text), NULL) == XT_JSON_OK;
}

XT_TEST(ws_decode_ops)
{
	xt_ws_request r;
	char		name[64];

	XT_REQUIRE(decode("{\"op\":\"ping\"}", &r) == XT_WS_OK);
	XT_CHECK_EQ(r.op, XT_WS_OP_PING);

	XT_REQUIRE(decode("{\"op\":\"auth\",\"api_key\":\"k1\",\"timestamp\":1700000000000,"
					  "\"signature\":\"ab\"}", &r) == XT_WS_OK);
	XT_CHECK_EQ(r.op, XT_WS_OP_AUTH);
	XT_CHECK_STR(r.api_key, "k1");
	XT_CHECK_STR(r.timestamp, "1700000000000");
	XT_CHECK_STR(r.signature, "ab");
	XT_REQUIRE(decode("{\"signature\":\"s\",\"timestamp\":\"17\",\"api_key\":\"k\",\"op\":\"auth\"}", &r) == XT_WS_OK);
	XT_CHECK_STR(r.timestamp, "17");

	XT_REQUIRE(decode("{\"op\":\"subscribe\",\"channels\":[\"orderbook.BTC-KRW\",\"trades.BTC-KRW\","
					  "\"ticker.ETH-KRW\",\"executions\"]}", &r) == XT_WS_OK);
	XT_CHECK_EQ(r.op, XT_WS_OP_SUBSCRIBE);
	XT_REQUIRE(r.n_channels == 4);
	XT_CHECK_EQ(r.channels[0].kind, XT_WS_CH_ORDERBOOK);
	XT_CHECK_EQ(r.channels[0].symbol, 1);
	XT_CHECK_STR(r.channels[0].symbol_name, "BTC-KRW");
	XT_CHECK_EQ(r.channels[1].kind, XT_WS_CH_TRADES);
	XT_CHECK_EQ(r.channels[2].kind, XT_WS_CH_TICKER);
	XT_CHECK_EQ(r.channels[2].symbol, 2);
	XT_CHECK_EQ(r.channels[3].kind, XT_WS_CH_EXECUTIONS);
	XT_CHECK_EQ(xt_ws_channel_name(&r.channels[2], name, sizeof(name)), 14);
	XT_CHECK_STR(name, "ticker.ETH-KRW");
	XT_CHECK_EQ(xt_ws_channel_name(&r.channels[3], name, sizeof(name)), 10);
	XT_CHECK_STR(name, "executions");
	XT_CHECK_EQ(xt_ws_channel_name(&r.channels[0], name, 10), 0);

	XT_REQUIRE(decode("{\"op\":\"unsubscribe\",\"channels\":[\"trades.BTC-KRW\"]}", &r) == XT_WS_OK);
	XT_CHECK_EQ(r.op, XT_WS_OP_UNSUBSCRIBE);
	XT_CHECK_EQ(r.n_channels, 1);
}

XT_TEST(ws_decode_errors)
{
	static const struct
	{
		const char *text;
		xt_ws_error err;
		const char *message;
	}			cases[] = {
		{"", XT_WS_INVALID_JSON, "empty document at byte 0"},
		{"{\"op\":\"ping\"", XT_WS_INVALID_JSON, NULL},
		{"{\"op\":\"ping\",\"op\":\"ping\"}", XT_WS_INVALID_JSON, NULL},
		{"[[[[[[]]]]]]", XT_WS_INVALID_JSON, "nesting too deep at byte 4"},
		{"[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32]",
		XT_WS_INVALID_MESSAGE, "message too complex"},
		{"\"ping\"", XT_WS_INVALID_MESSAGE, "a message must be a JSON object"},
		{"{}", XT_WS_MISSING_FIELD, "op is required"},
		{"{\"op\":\"PING\"}", XT_WS_UNKNOWN_OP, NULL},
		{"{\"op\":1}", XT_WS_UNKNOWN_OP, NULL},
		{"{\"op\":\"ping\",\"channels\":[]}", XT_WS_UNKNOWN_FIELD, "unknown field \"channels\""},
		{"{\"op\":\"subscribe\",\"channels\":[\"executions\"],\"api_key\":\"k\"}", XT_WS_UNKNOWN_FIELD, NULL},
		{"{\"op\":\"auth\",\"api_key\":\"k\",\"timestamp\":1,\"signature\":\"s\",\"id\":1}", XT_WS_UNKNOWN_FIELD, NULL},
		{"{\"op\":\"auth\",\"timestamp\":1,\"signature\":\"s\"}", XT_WS_MISSING_FIELD, "api_key is required"},
		{"{\"op\":\"auth\",\"api_key\":\"k\",\"signature\":\"s\"}", XT_WS_MISSING_FIELD, "timestamp is required"},
		{"{\"op\":\"auth\",\"api_key\":\"k\",\"timestamp\":1}", XT_WS_MISSING_FIELD, "signature is required"},
		{"{\"op\":\"auth\",\"api_key\":7,\"timestamp\":1,\"signature\":\"s\"}", XT_WS_INVALID_FIELD,
		"api_key must be a string of 1 to 64 characters"},
		{"{\"op\":\"auth\",\"api_key\":\"\",\"timestamp\":1,\"signature\":\"s\"}", XT_WS_INVALID_FIELD, NULL},
		{"{\"op\":\"auth\",\"api_key\":\"k\\u0000x\",\"timestamp\":1,\"signature\":\"s\"}", XT_WS_INVALID_FIELD, NULL},
		{"{\"op\":\"auth\",\"api_key\":\"k\",\"timestamp\":true,\"signature\":\"s\"}", XT_WS_INVALID_FIELD,
		"timestamp must be a number or string of 1 to 19 characters"},
		{"{\"op\":\"auth\",\"api_key\":\"k\",\"timestamp\":12345678901234567890,\"signature\":\"s\"}", XT_WS_INVALID_FIELD, NULL},
		{"{\"op\":\"auth\",\"api_key\":\"k\",\"timestamp\":1,\"signature\":\"00000000000000000000000000000000000000000000000000000000000000000\"}",
		XT_WS_INVALID_FIELD, NULL},
		{"{\"op\":\"subscribe\"}", XT_WS_MISSING_FIELD, "channels is required"},
		{"{\"op\":\"subscribe\",\"channels\":[]}", XT_WS_INVALID_CHANNEL, NULL},
		{"{\"op\":\"subscribe\",\"channels\":\"trades.BTC-KRW\"}", XT_WS_INVALID_CHANNEL, NULL},
		{"{\"op\":\"subscribe\",\"channels\":[1]}", XT_WS_INVALID_CHANNEL, "channels must be strings"},
		{"{\"op\":\"subscribe\",\"channels\":[\"candles.BTC-KRW\"]}", XT_WS_INVALID_CHANNEL, NULL},
		{"{\"op\":\"subscribe\",\"channels\":[\"trades.\"]}", XT_WS_INVALID_CHANNEL, NULL},
		{"{\"op\":\"subscribe\",\"channels\":[\"Executions\"]}", XT_WS_INVALID_CHANNEL, NULL},
		{"{\"op\":\"subscribe\",\"channels\":[\"trades.BTC-KRW\",\"trades.BTC-KRW\"]}", XT_WS_INVALID_CHANNEL,
		"a channel is listed twice"},
		{"{\"op\":\"subscribe\",\"channels\":[\"executions\",\"executions\"]}", XT_WS_INVALID_CHANNEL, NULL},
		{"{\"op\":\"subscribe\",\"channels\":[\"trades.DOGE-KRW\"]}", XT_WS_UNKNOWN_SYMBOL,
		"unknown symbol in channel \"trades.DOGE-KRW\""},
		{"{\"op\":\"subscribe\",\"channels\":[\"trades.BTC-KRW\\u0000\"]}", XT_WS_UNKNOWN_SYMBOL, NULL},
		{"{\"op\":\"subscribe\",\"channels\":[\"ticker.ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456\"]}", XT_WS_UNKNOWN_SYMBOL, NULL},
		{"{\"op\":\"subscribe\",\"channels\":[\"executions\",\"trades.BTC-KRW\",\"ticker.BTC-KRW\",\"orderbook.BTC-KRW\","
			"\"trades.ETH-KRW\",\"ticker.ETH-KRW\",\"orderbook.ETH-KRW\",\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\"]}",
		XT_WS_TOO_MANY_CHANNELS, "at most 16 channels per message"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		xt_ws_request r;
		xt_ws_error e = decode(cases[i].text, &r);

		if (e != cases[i].err)
			XT_FAIL_AT("case %zu %s: got %s (%s), want %s", i, cases[i].text, xt_ws_error_name(e),
					   msg, xt_ws_error_name(cases[i].err));
		else if (cases[i].message && strcmp(msg, cases[i].message) != 0)
			XT_FAIL_AT("case %zu: message \"%s\", want \"%s\"", i, msg, cases[i].message);
		XT_CHECK(msg[0] != '\0');
		XT_CHECK_EQ(r.op, 0);	/* zeroed on error */
	}

	/* size limit before parsing */
	{
		char	   *big = malloc(XT_WS_MESSAGE_MAX + 1);
		xt_ws_request r;

		memset(big, ' ', XT_WS_MESSAGE_MAX + 1);
		memcpy(big, "{\"op\":\"ping\"}", 13);
		XT_CHECK_EQ(xt_ws_decode(big, XT_WS_MESSAGE_MAX, lookup, NULL, &r, msg, sizeof(msg)), XT_WS_OK);
		XT_CHECK_EQ(xt_ws_decode(big, XT_WS_MESSAGE_MAX + 1, lookup, NULL, &r, msg, sizeof(msg)),
					XT_WS_MESSAGE_TOO_LARGE);
		free(big);
	}
	for (int e = XT_WS_OK; e <= XT_WS_TOO_MANY_CHANNELS; e++)
		XT_CHECK(strcmp(xt_ws_error_name((xt_ws_error) e), "UNKNOWN") != 0);
	XT_CHECK_STR(xt_ws_error_name((xt_ws_error) 50), "UNKNOWN");
}

/* ---- a real engine produces the events ---------------------------------------------------- */

#define MAX_EVENTS 64

typedef struct
{
	xt_event	ev[MAX_EVENTS];
	int			n;
} sink_buf;

static void
sink(void *ctx, const xt_event *ev)
{
	sink_buf   *s = ctx;

	if (s->n < MAX_EVENTS)
		s->ev[s->n++] = *ev;
}

static xt_engine *eng;
static void *eng_mem;
static uint64_t eng_seq;

static void
engine_start(void)
{
	xt_engine_config cfg = {4, 64, 16, 0};
	size_t		size = xt_engine_size(&cfg);
	xt_command	c;
	sink_buf	s = {.n = 0};

	free(eng_mem);
	eng_mem = aligned_alloc(8, (size + 7) / 8 * 8);
	xt_engine_init(eng_mem, size, &cfg, &eng);
	eng_seq = 0;
	memset(&c, 0, sizeof(c));
	c.seq = ++eng_seq;
	c.type = XT_CMD_ADD_SYMBOL;
	c.symbol = 1;
	xt_engine_apply(eng, &c, sink, &s);
}

static void
order(sink_buf *s, uint64_t account, xt_side side, int64_t price, int64_t qty)
{
	xt_command	c;

	memset(&c, 0, sizeof(c));
	c.seq = ++eng_seq;
	c.type = XT_CMD_NEW_ORDER;
	c.symbol = 1;
	c.account = account;
	c.side = (uint8_t) side;
	c.order_type = XT_TYPE_LIMIT;
	c.tif = XT_TIF_GTC;
	c.price = price;
	c.quantity = qty;
	s->n = 0;
	xt_engine_apply(eng, &c, sink, s);
}

static const xt_event *
find(const sink_buf *s, xt_event_type t, int nth)
{
	for (int i = 0; i < s->n; i++)
		if (s->ev[i].type == t && nth-- == 0)
			return &s->ev[i];
	return NULL;
}

static const xt_step TICK = {100000000};	/* 1 KRW */
static const xt_step LOT = {100000};	/* 0.001 BTC */

XT_TEST(ws_execution_messages_exactly_as_the_flow_document)
{
	sink_buf	s;
	const xt_event *t;
	char		buf[512];

	engine_start();
	/* maker sells 0.003 at 50000000, taker buys 0.001: taker Filled, maker PartiallyFilled */
	order(&s, 1, XT_SIDE_SELL, 50000000, 3);
	order(&s, 2, XT_SIDE_BUY, 50000000, 1);
	t = find(&s, XT_EV_TRADE, 0);
	XT_REQUIRE(t != NULL);

	XT_CHECK(xt_ws_encode_execution(t, XT_WS_TAKER, "BTC-KRW", TICK, LOT, 1700000000123,
									buf, sizeof(buf)) == strlen(buf));
	XT_CHECK_STR(buf, "{\"type\":\"Execution\",\"execution_report\":{\"order_id\":3,"
				 "\"execution_id\":1,\"symbol\":\"BTC-KRW\",\"side\":\"Buy\","
				 "\"price\":\"50000000\",\"quantity\":\"0.001\",\"remaining_quantity\":\"0\","
				 "\"role\":\"taker\",\"seq\":3,\"ts\":1700000000123},\"order_status\":\"Filled\"}");
	XT_CHECK(parses(buf));

	XT_CHECK(xt_ws_encode_execution(t, XT_WS_MAKER, "BTC-KRW", TICK, LOT, 1700000000123,
									buf, sizeof(buf)) > 0);
	XT_CHECK_STR(buf, "{\"type\":\"Execution\",\"execution_report\":{\"order_id\":2,"
				 "\"execution_id\":1,\"symbol\":\"BTC-KRW\",\"side\":\"Sell\","
				 "\"price\":\"50000000\",\"quantity\":\"0.001\",\"remaining_quantity\":\"0.002\","
				 "\"role\":\"maker\",\"seq\":3,\"ts\":1700000000123},"
				 "\"order_status\":\"PartiallyFilled\"}");

	/* a taker bigger than the book: taker PartiallyFilled, maker Filled */
	order(&s, 3, XT_SIDE_BUY, 50000000, 5);
	t = find(&s, XT_EV_TRADE, 0);
	XT_REQUIRE(t != NULL);
	XT_CHECK(xt_ws_encode_execution(t, XT_WS_TAKER, "BTC-KRW", TICK, LOT, 5, buf, sizeof(buf)) > 0);
	XT_CHECK(strstr(buf, "\"quantity\":\"0.002\",\"remaining_quantity\":\"0.003\"") != NULL);
	XT_CHECK(strstr(buf, "\"order_status\":\"PartiallyFilled\"}") != NULL);
	XT_CHECK(xt_ws_encode_execution(t, XT_WS_MAKER, "BTC-KRW", TICK, LOT, 5, buf, sizeof(buf)) > 0);
	XT_CHECK(strstr(buf, "\"order_status\":\"Filled\"}") != NULL);
	XT_CHECK(strstr(buf, "\"execution_id\":2,") != NULL);

	/* a status outside the three is refused, as is a non-trade event and a small buffer */
	{
		xt_event	bad = *t;

		bad.status = XT_STATUS_CANCELLED;
		XT_CHECK_EQ(xt_ws_encode_execution(&bad, XT_WS_TAKER, "BTC-KRW", TICK, LOT, 5, buf, sizeof(buf)), 0);
		bad = *t;
		bad.type = XT_EV_ACCEPTED;
		XT_CHECK_EQ(xt_ws_encode_execution(&bad, XT_WS_TAKER, "BTC-KRW", TICK, LOT, 5, buf, sizeof(buf)), 0);
		XT_CHECK_EQ(xt_ws_encode_execution(t, XT_WS_TAKER, "BTC-KRW", TICK, LOT, 5, buf, 100), 0);
		XT_CHECK_EQ(xt_ws_encode_execution(t, (xt_ws_role) 2, "BTC-KRW", TICK, LOT, 5, buf, sizeof(buf)), 0);
	}

	/* Pending: a status of a report whose remaining equals its quantity cannot come from a
	 * trade, but the mapping is by the event's status field */
	{
		xt_event	p = *t;

		p.maker_status = XT_STATUS_PENDING;
		XT_CHECK(xt_ws_encode_execution(&p, XT_WS_MAKER, "BTC-KRW", TICK, LOT, 5, buf, sizeof(buf)) > 0);
		XT_CHECK(strstr(buf, "\"order_status\":\"Pending\"}") != NULL);
	}
}

XT_TEST(ws_book_trade_ticker_messages)
{
	sink_buf	s;
	xt_event	levels[8];
	int			nl = 0;
	xt_level_info bids[4],
				asks[4];
	uint32_t	nb,
				na;
	char		buf[1024];
	const xt_event *t;

	engine_start();
	order(&s, 1, XT_SIDE_SELL, 50000100, 2000);
	order(&s, 1, XT_SIDE_SELL, 50000000, 3);
	order(&s, 2, XT_SIDE_BUY, 49999000, 1500);
	nb = xt_engine_depth(eng, 1, XT_SIDE_BUY, bids, 4);
	na = xt_engine_depth(eng, 1, XT_SIDE_SELL, asks, 4);
	XT_CHECK(xt_ws_encode_book_snapshot("BTC-KRW", TICK, LOT, 41, bids, nb, asks, na,
										buf, sizeof(buf)) > 0);
	XT_CHECK_STR(buf, "{\"type\":\"orderbook_snapshot\",\"symbol\":\"BTC-KRW\",\"seq\":41,"
				 "\"bids\":[[\"49999000\",\"1.5\"]],"
				 "\"asks\":[[\"50000000\",\"0.003\"],[\"50000100\",\"2\"]]}");
	XT_CHECK(parses(buf));

	/* a buy that clears the best ask and rests: LEVEL events -> one diff */
	order(&s, 3, XT_SIDE_BUY, 50000000, 5);
	for (int i = 0; i < s.n; i++)
		if (s.ev[i].type == XT_EV_LEVEL)
			levels[nl++] = s.ev[i];
	XT_REQUIRE(nl == 2);
	XT_CHECK(xt_ws_encode_book_update("BTC-KRW", TICK, LOT, 42, levels, (uint32_t) nl,
									  buf, sizeof(buf)) > 0);
	XT_CHECK_STR(buf, "{\"type\":\"orderbook_update\",\"symbol\":\"BTC-KRW\",\"seq\":42,"
				 "\"bids\":[[\"50000000\",\"0.002\"]],\"asks\":[[\"50000000\",\"0\"]]}");
	XT_CHECK(parses(buf));
	XT_CHECK(xt_ws_encode_book_update("BTC-KRW", TICK, LOT, 43, levels, 0, buf, sizeof(buf)) > 0);
	XT_CHECK_STR(buf, "{\"type\":\"orderbook_update\",\"symbol\":\"BTC-KRW\",\"seq\":43,\"bids\":[],\"asks\":[]}");
	t = find(&s, XT_EV_TRADE, 0);
	XT_REQUIRE(t != NULL);
	XT_CHECK_EQ(xt_ws_encode_book_update("BTC-KRW", TICK, LOT, 44, t, 1, buf, sizeof(buf)), 0);

	XT_CHECK(xt_ws_encode_trade(t, "BTC-KRW", TICK, LOT, 1700000000000, buf, sizeof(buf)) > 0);
	XT_CHECK_STR(buf, "{\"type\":\"trade\",\"symbol\":\"BTC-KRW\",\"trade_id\":1,"
				 "\"price\":\"50000000\",\"quantity\":\"0.003\",\"taker_side\":\"Buy\","
				 "\"seq\":5,\"ts\":1700000000000}");
	XT_CHECK_EQ(xt_ws_encode_trade(&levels[0], "BTC-KRW", TICK, LOT, 0, buf, sizeof(buf)), 0);

	{
		xt_ws_ticker tk = {"BTC-KRW", TICK, LOT, 50000000, 50000000, 0, 3, 7, 1700000000000};

		XT_CHECK(xt_ws_encode_ticker(&tk, buf, sizeof(buf)) > 0);
		XT_CHECK_STR(buf, "{\"type\":\"ticker\",\"symbol\":\"BTC-KRW\",\"last_price\":\"50000000\","
					 "\"best_bid\":\"50000000\",\"best_ask\":null,\"volume_24h\":\"0.003\","
					 "\"seq\":7,\"ts\":1700000000000}");
		XT_CHECK(parses(buf));
	}
}

XT_TEST(ws_small_messages)
{
	char		buf[256];
	xt_ws_request r;

	XT_CHECK(xt_ws_encode_pong(1700000000000, buf, sizeof(buf)) > 0);
	XT_CHECK_STR(buf, "{\"type\":\"pong\",\"ts\":1700000000000}");
	XT_CHECK(xt_ws_encode_authenticated(buf, sizeof(buf)) > 0);
	XT_CHECK_STR(buf, "{\"type\":\"authenticated\"}");
	XT_CHECK(xt_ws_encode_error("BAD_SIGNATURE", "the signature does not match", buf, sizeof(buf)) > 0);
	XT_CHECK_STR(buf, "{\"type\":\"error\",\"error\":\"BAD_SIGNATURE\",\"message\":\"the signature does not match\"}");
	XT_CHECK_EQ(xt_ws_encode_error("X", "y", buf, 10), 0);

	XT_REQUIRE(decode("{\"op\":\"subscribe\",\"channels\":[\"orderbook.BTC-KRW\",\"executions\"]}", &r) == XT_WS_OK);
	XT_CHECK(xt_ws_encode_subscribed(XT_WS_OP_SUBSCRIBE, r.channels, r.n_channels, buf, sizeof(buf)) > 0);
	XT_CHECK_STR(buf, "{\"type\":\"subscribed\",\"channels\":[\"orderbook.BTC-KRW\",\"executions\"]}");
	XT_CHECK(xt_ws_encode_subscribed(XT_WS_OP_UNSUBSCRIBE, r.channels, 1, buf, sizeof(buf)) > 0);
	XT_CHECK_STR(buf, "{\"type\":\"unsubscribed\",\"channels\":[\"orderbook.BTC-KRW\"]}");
	XT_CHECK_EQ(xt_ws_encode_subscribed(XT_WS_OP_PING, r.channels, 1, buf, sizeof(buf)), 0);
}

XT_TEST_MAIN()
