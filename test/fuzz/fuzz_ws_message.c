/*
 * fuzz_ws_message.c: libFuzzer target for the WebSocket client message decoder
 * (src/net/ws_message.{h,c}).
 *
 * Input: arbitrary bytes as one client message. Properties, abort() on violation: a known code; on
 * error a non-empty message, a zeroed request, and an error frame that parses as JSON; on success
 * a request whose op and channels are in range, whose texts are NUL-terminated within their
 * bounds, and whose subscribe acknowledgement parses as JSON; decoding is deterministic.
 * Run: make build/fuzz/fuzz_ws_message && build/fuzz/fuzz_ws_message <scratch dir>
 *      test/fuzz/corpus/fuzz_ws_message
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/json.h"
#include "net/order_request.h"
#include "net/ws_message.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "fuzz_ws_message: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

static bool
lookup(void *ctx, const char *name, size_t len, xt_symbol_spec *out)
{
	(void) ctx;
	if ((len == 7 && memcmp(name, "BTC-KRW", 7) == 0) || (len == 7 && memcmp(name, "ETH-KRW", 7) == 0))
	{
		memset(out, 0, sizeof(*out));
		out->id = name[0] == 'B' ? 1 : 2;
		return true;
	}
	return false;
}

static bool
parses(const char *text, size_t len)
{
	static xt_json_node nodes[256];
	static char strbuf[8192];
	xt_json_doc doc;

	xt_json_doc_init(&doc, nodes, 256, strbuf, sizeof(strbuf));
	return xt_json_parse(&doc, text, len, NULL) == XT_JSON_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	xt_ws_request r,
				r2;
	char		msg[XT_ERROR_MESSAGE_MAX],
				msg2[XT_ERROR_MESSAGE_MAX];
	char		out[4096];
	size_t		n;
	xt_ws_error e = xt_ws_decode((const char *) data, size, lookup, NULL, &r, msg, sizeof(msg));

	CHECK(e <= XT_WS_TOO_MANY_CHANNELS);
	CHECK(xt_ws_decode((const char *) data, size, lookup, NULL, &r2, msg2, sizeof(msg2)) == e);
	CHECK(memcmp(&r, &r2, sizeof(r)) == 0 && strcmp(msg, msg2) == 0);
	if (e != XT_WS_OK)
	{
		static const xt_ws_request zero;

		CHECK(msg[0] != '\0');
		CHECK(memcmp(&r, &zero, sizeof(r)) == 0);
		n = xt_ws_encode_error(xt_ws_error_name(e), msg, out, sizeof(out));
		CHECK(n > 0 && parses(out, n));
		return 0;
	}
	CHECK(r.op >= XT_WS_OP_AUTH && r.op <= XT_WS_OP_PING);
	CHECK(strlen(r.api_key) <= XT_WS_API_KEY_MAX && strlen(r.timestamp) <= XT_WS_TIMESTAMP_MAX
		  && strlen(r.signature) <= XT_WS_SIGNATURE_MAX);
	if (r.op == XT_WS_OP_AUTH)
		CHECK(r.api_key[0] && r.timestamp[0] && r.signature[0]);
	if (r.op == XT_WS_OP_SUBSCRIBE || r.op == XT_WS_OP_UNSUBSCRIBE)
	{
		CHECK(r.n_channels >= 1 && r.n_channels <= XT_WS_CHANNELS_MAX);
		for (int i = 0; i < r.n_channels; i++)
		{
			CHECK(r.channels[i].kind >= XT_WS_CH_ORDERBOOK && r.channels[i].kind <= XT_WS_CH_EXECUTIONS);
			CHECK(r.channels[i].symbol_len == strlen(r.channels[i].symbol_name));
			CHECK((r.channels[i].kind == XT_WS_CH_EXECUTIONS) == (r.channels[i].symbol_len == 0));
		}
		n = xt_ws_encode_subscribed((xt_ws_op) r.op, r.channels, r.n_channels, out, sizeof(out));
		CHECK(n > 0 && parses(out, n));
	}
	else
		CHECK(r.n_channels == 0);
	return 0;
}
