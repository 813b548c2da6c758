/*
 * test_net_auth.c: unit tests of src/net/auth.{h,c}.
 *
 * Signature vectors were computed independently of this code and pasted as constants:
 *   printf '%s' "$string_to_sign" | openssl dgst -sha256 -hmac "$secret"
 * plus RFC 4231 test case 2 (checked with python3 hmac). Then every result code in the documented
 * check order, the window's edges in both directions, key rendering for logs, and the token bucket
 * (burst, refill, Retry-After rounding, clock going backwards, long idle, bad limits).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/auth.h"
#include "xt_test.h"

#define SECRET "demo-secret-0123456789"
#define KEY "xtk_demo01"
#define TS "1700000000000"
#define NOW ((int64_t) 1700000000000)
#define ORDER_BODY "{\"symbol\":\"BTC-KRW\",\"side\":\"Buy\",\"order_type\":\"Limit\",\"price\":50000000,\"quantity\":0.001}"
/* openssl dgst -sha256 -hmac demo-secret-0123456789 over TS "POST/v1/order" ORDER_BODY */
#define SIG_ORDER "db35c3b31c9df9a4f3cf90df41a421b2ce588786b93a6c46bc69566354d6c4af"
/* ... over TS "GET/v1/ws" */
#define SIG_WS "3980cd9158f81fb344d890cc0be5ac55a64a6d3b11c420a4e87d14fb8b59041c"
/* ... over TS "GET/v1/trades/BTC-KRW?limit=10" */
#define SIG_TRADES "a1e37a2aba562a6ebb54fe32427247757afd020d513735cb23dcd5136def61c2"

static int	lookups;

static bool
lookup(void *ctx, const char *key, size_t len, xt_auth_key *out)
{
	(void) ctx;
	lookups++;
	if (len == strlen(KEY) && memcmp(key, KEY, len) == 0)
	{
		out->account = 77;
		out->secret_len = strlen(SECRET);
		memcpy(out->secret, SECRET, out->secret_len);
		return true;
	}
	if (len == 5 && memcmp(key, "empty", 5) == 0)
	{
		out->account = 1;
		out->secret_len = 0;	/* a broken key store */
		return true;
	}
	return false;
}

static xt_auth_request
order_request(const char *key, const char *ts, const char *sig)
{
	xt_auth_request r;

	memset(&r, 0, sizeof(r));
	r.api_key = key;
	r.api_key_len = key ? strlen(key) : 0;
	r.timestamp = ts;
	r.timestamp_len = ts ? strlen(ts) : 0;
	r.signature = sig;
	r.signature_len = sig ? strlen(sig) : 0;
	r.method = "POST";
	r.method_len = 4;
	r.path_and_query = "/v1/order";
	r.path_and_query_len = 9;
	r.body = ORDER_BODY;
	r.body_len = strlen(ORDER_BODY);
	return r;
}

XT_TEST(auth_sign_matches_independent_vectors)
{
	char		sig[XT_AUTH_SIGNATURE_LEN + 1];
	const unsigned char *s = (const unsigned char *) SECRET;

	XT_REQUIRE(xt_auth_sign(s, strlen(SECRET), TS, 13, "POST", 4, "/v1/order", 9, ORDER_BODY,
							strlen(ORDER_BODY), sig));
	XT_CHECK_STR(sig, SIG_ORDER);
	XT_REQUIRE(xt_auth_sign(s, strlen(SECRET), TS, 13, "GET", 3, "/v1/ws", 6, "", 0, sig));
	XT_CHECK_STR(sig, SIG_WS);
	XT_REQUIRE(xt_auth_sign(s, strlen(SECRET), TS, 13, "GET", 3, "/v1/trades/BTC-KRW?limit=10",
							27, NULL, 0, sig));
	XT_CHECK_STR(sig, SIG_TRADES);
	/* RFC 4231 test case 2, the message split across the parts: concatenation, no separators */
	XT_REQUIRE(xt_auth_sign((const unsigned char *) "Jefe", 4, "what do ", 8, "ya want ", 8,
							"for nothing?", 12, "", 0, sig));
	XT_CHECK_STR(sig, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

XT_TEST(auth_rest_accepts_a_valid_request)
{
	xt_auth_request r = order_request(KEY, TS, SIG_ORDER);
	uint64_t	account = 0;
	char		upper[XT_AUTH_SIGNATURE_LEN + 1];

	XT_CHECK_EQ(xt_auth_verify_rest(&r, NOW, 5000, lookup, NULL, &account), XT_AUTH_OK);
	XT_CHECK_EQ(account, 77);

	/* upper-case hex is the same signature */
	for (int i = 0; i <= XT_AUTH_SIGNATURE_LEN; i++)
		upper[i] = (char) (SIG_ORDER[i] >= 'a' && SIG_ORDER[i] <= 'f' ? SIG_ORDER[i] - 32 : SIG_ORDER[i]);
	r = order_request(KEY, TS, upper);
	XT_CHECK_EQ(xt_auth_verify_rest(&r, NOW, 5000, lookup, NULL, &account), XT_AUTH_OK);

	/* a GET with a query and no body */
	r = order_request(KEY, TS, SIG_TRADES);
	r.method = "GET";
	r.method_len = 3;
	r.path_and_query = "/v1/trades/BTC-KRW?limit=10";
	r.path_and_query_len = 27;
	r.body = NULL;
	r.body_len = 0;
	XT_CHECK_EQ(xt_auth_verify_rest(&r, NOW, 5000, lookup, NULL, &account), XT_AUTH_OK);
}

XT_TEST(auth_rest_result_codes_in_order)
{
	static const struct
	{
		const char *key;
		const char *ts;
		const char *sig;
		int64_t		now;
		xt_auth_result want;
		int			lookups;	/* the key store is reached only after the cheap checks */
	}			cases[] = {
		{NULL, TS, SIG_ORDER, NOW, XT_AUTH_MISSING_HEADER, 0},
		{KEY, NULL, SIG_ORDER, NOW, XT_AUTH_MISSING_HEADER, 0},
		{KEY, TS, NULL, NOW, XT_AUTH_MISSING_HEADER, 0},
		{"", TS, SIG_ORDER, NOW, XT_AUTH_MISSING_HEADER, 0},
		{"bad key", TS, SIG_ORDER, NOW, XT_AUTH_BAD_API_KEY, 0},
		{"k\xc3\xa9", TS, SIG_ORDER, NOW, XT_AUTH_BAD_API_KEY, 0},
		{"k0123456789012345678901234567890123456789012345678901234567890123", TS, SIG_ORDER, NOW,
		XT_AUTH_BAD_API_KEY, 0},
		{KEY, "17e11", SIG_ORDER, NOW, XT_AUTH_BAD_TIMESTAMP, 0},
		{KEY, "-1700000000000", SIG_ORDER, NOW, XT_AUTH_BAD_TIMESTAMP, 0},
		{KEY, " 1700000000000", SIG_ORDER, NOW, XT_AUTH_BAD_TIMESTAMP, 0},
		{KEY, "1700000000000.5", SIG_ORDER, NOW, XT_AUTH_BAD_TIMESTAMP, 0},
		{KEY, "1234567890123456", SIG_ORDER, NOW, XT_AUTH_BAD_TIMESTAMP, 0},
		/* window edges, both directions */
		{KEY, TS, SIG_ORDER, NOW + 5000, XT_AUTH_OK, 1},
		{KEY, TS, SIG_ORDER, NOW - 5000, XT_AUTH_OK, 1},
		{KEY, TS, SIG_ORDER, NOW + 5001, XT_AUTH_STALE_TIMESTAMP, 0},
		{KEY, TS, SIG_ORDER, NOW - 5001, XT_AUTH_STALE_TIMESTAMP, 0},
		{KEY, TS, SIG_ORDER, INT64_MIN, XT_AUTH_STALE_TIMESTAMP, 0},
		{KEY, TS, SIG_ORDER, INT64_MAX, XT_AUTH_STALE_TIMESTAMP, 0},
		{"someone_else", TS, SIG_ORDER, NOW, XT_AUTH_UNKNOWN_API_KEY, 1},
		{"empty", TS, SIG_ORDER, NOW, XT_AUTH_INTERNAL, 1},
		{KEY, TS, "db35c3b3", NOW, XT_AUTH_BAD_SIGNATURE, 1},
		{KEY, TS, SIG_ORDER "00", NOW, XT_AUTH_BAD_SIGNATURE, 1},
		{KEY, TS, "zb35c3b31c9df9a4f3cf90df41a421b2ce588786b93a6c46bc69566354d6c4af", NOW,
		XT_AUTH_BAD_SIGNATURE, 1},
		/* one bit off in the last byte */
		{KEY, TS, "db35c3b31c9df9a4f3cf90df41a421b2ce588786b93a6c46bc69566354d6c4ae", NOW,
		XT_AUTH_BAD_SIGNATURE, 1},
		/* the signature of another request (same key and time) */
		{KEY, TS, SIG_WS, NOW, XT_AUTH_BAD_SIGNATURE, 1},
		/* a different timestamp inside the window: the signed string changes */
		{KEY, "1700000000001", SIG_ORDER, NOW, XT_AUTH_BAD_SIGNATURE, 1},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		xt_auth_request r = order_request(cases[i].key, cases[i].ts, cases[i].sig);
		uint64_t	account = 99;
		xt_auth_result got;

		lookups = 0;
		got = xt_auth_verify_rest(&r, cases[i].now, 5000, lookup, NULL, &account);
		if (got != cases[i].want)
			XT_FAIL_AT("case %zu: got %s, want %s", i, xt_auth_result_name(got),
					   xt_auth_result_name(cases[i].want));
		XT_CHECK_EQ(lookups, cases[i].lookups);
		XT_CHECK_EQ(account, got == XT_AUTH_OK ? 77 : 0);
	}

	/* a tampered body, method or path fails */
	{
		xt_auth_request r = order_request(KEY, TS, SIG_ORDER);
		uint64_t	account;

		r.body_len--;
		XT_CHECK_EQ(xt_auth_verify_rest(&r, NOW, 5000, lookup, NULL, &account), XT_AUTH_BAD_SIGNATURE);
		r = order_request(KEY, TS, SIG_ORDER);
		r.method = "PUT ";
		XT_CHECK_EQ(xt_auth_verify_rest(&r, NOW, 5000, lookup, NULL, &account), XT_AUTH_BAD_SIGNATURE);
		r = order_request(KEY, TS, SIG_ORDER);
		r.path_and_query = "/v1/orders";
		r.path_and_query_len = 10;
		XT_CHECK_EQ(xt_auth_verify_rest(&r, NOW, 5000, lookup, NULL, &account), XT_AUTH_BAD_SIGNATURE);
	}
}

XT_TEST(auth_window_setting)
{
	xt_auth_request r = order_request(KEY, TS, SIG_ORDER);
	uint64_t	account;

	XT_CHECK_EQ(xt_auth_verify_rest(&r, NOW + 1000, 1000, lookup, NULL, &account), XT_AUTH_OK);
	XT_CHECK_EQ(xt_auth_verify_rest(&r, NOW + 1001, 1000, lookup, NULL, &account), XT_AUTH_STALE_TIMESTAMP);
	/* out-of-range windows mean the default 5000 */
	XT_CHECK_EQ(xt_auth_verify_rest(&r, NOW + 5000, 0, lookup, NULL, &account), XT_AUTH_OK);
	XT_CHECK_EQ(xt_auth_verify_rest(&r, NOW + 5001, -1, lookup, NULL, &account), XT_AUTH_STALE_TIMESTAMP);
	XT_CHECK_EQ(xt_auth_verify_rest(&r, NOW + 600000, XT_AUTH_WINDOW_MAX, lookup, NULL, &account), XT_AUTH_OK);
	XT_CHECK_EQ(xt_auth_verify_rest(&r, NOW + 6000, XT_AUTH_WINDOW_MAX + 1, lookup, NULL, &account),
				XT_AUTH_STALE_TIMESTAMP);
}

XT_TEST(auth_websocket)
{
	uint64_t	account = 0;

	XT_CHECK_EQ(xt_auth_verify_ws(KEY, TS, SIG_WS, NOW, 5000, lookup, NULL, &account), XT_AUTH_OK);
	XT_CHECK_EQ(account, 77);
	XT_CHECK_EQ(xt_auth_verify_ws(KEY, TS, SIG_ORDER, NOW, 5000, lookup, NULL, &account), XT_AUTH_BAD_SIGNATURE);
	XT_CHECK_EQ(xt_auth_verify_ws(KEY, TS, SIG_WS, NOW + 5001, 5000, lookup, NULL, &account),
				XT_AUTH_STALE_TIMESTAMP);
	XT_CHECK_EQ(xt_auth_verify_ws(NULL, TS, SIG_WS, NOW, 5000, lookup, NULL, &account), XT_AUTH_MISSING_HEADER);
	XT_CHECK_EQ(xt_auth_verify_ws(KEY, "", SIG_WS, NOW, 5000, lookup, NULL, &account), XT_AUTH_MISSING_HEADER);
	XT_CHECK_EQ(xt_auth_verify_ws(KEY, "1.7e12", SIG_WS, NOW, 5000, lookup, NULL, &account), XT_AUTH_BAD_TIMESTAMP);
	XT_CHECK_EQ(account, 0);
}

XT_TEST(auth_names_messages_status)
{
	for (int r = XT_AUTH_OK; r <= XT_AUTH_INTERNAL; r++)
	{
		XT_CHECK(strcmp(xt_auth_result_name((xt_auth_result) r), "UNKNOWN") != 0);
		XT_CHECK(strstr(xt_auth_result_message((xt_auth_result) r), "unknown authentication") == NULL);
		XT_CHECK_EQ(xt_auth_http_status((xt_auth_result) r),
					r == XT_AUTH_OK ? 200 : r == XT_AUTH_INTERNAL ? 500 : 401);
	}
	XT_CHECK_STR(xt_auth_result_name((xt_auth_result) 40), "UNKNOWN");
	XT_CHECK_STR(xt_auth_result_name(XT_AUTH_STALE_TIMESTAMP), "STALE_TIMESTAMP");
}

XT_TEST(auth_key_for_log_shows_a_prefix_only)
{
	char		buf[XT_AUTH_KEY_LOG_MAX];

	XT_CHECK_EQ(xt_auth_key_for_log("xtk_0123456789abcdef", 20, buf, sizeof(buf)), 7);
	XT_CHECK_STR(buf, "xtk_...");
	XT_CHECK_EQ(xt_auth_key_for_log("abcdefgh", 8, buf, sizeof(buf)), 7);
	XT_CHECK_STR(buf, "abcd...");
	XT_CHECK_EQ(xt_auth_key_for_log("abcdef", 6, buf, sizeof(buf)), 6);
	XT_CHECK_STR(buf, "abc...");
	XT_CHECK_EQ(xt_auth_key_for_log("a", 1, buf, sizeof(buf)), 3);
	XT_CHECK_STR(buf, "...");
	XT_CHECK_EQ(xt_auth_key_for_log("a\nb\"cdefghij", 12, buf, sizeof(buf)), 7);
	XT_CHECK_STR(buf, "a?b?...");
	XT_CHECK_EQ(xt_auth_key_for_log("xtk_0123456789", 14, buf, 4), 3);
	XT_CHECK_STR(buf, "xtk");
	XT_CHECK_EQ(xt_auth_key_for_log("xtk_0123456789", 14, buf, 0), 0);
}

XT_TEST(rate_limiter_burst_refill_retry_after)
{
	xt_rate_limit lim = {600, 5};	/* 10 per second, bursts of 5 */
	xt_rate_bucket b;
	int64_t		retry;

	xt_rate_init(&b, &lim, 1000);
	for (int i = 0; i < 5; i++)
		XT_CHECK(xt_rate_take(&b, &lim, 1000, &retry) && retry == 0);
	XT_CHECK(!xt_rate_take(&b, &lim, 1000, &retry));
	XT_CHECK_EQ(retry, 1);
	/* one token every 100 ms, exactly */
	XT_CHECK(!xt_rate_take(&b, &lim, 1099, &retry));
	XT_CHECK(xt_rate_take(&b, &lim, 1100, &retry));
	XT_CHECK(!xt_rate_take(&b, &lim, 1100, &retry));
	/* a long idle refills the whole burst and no more */
	XT_CHECK(xt_rate_take(&b, &lim, 100000000, &retry));
	for (int i = 0; i < 4; i++)
		XT_CHECK(xt_rate_take(&b, &lim, 100000000, &retry));
	XT_CHECK(!xt_rate_take(&b, &lim, 100000000, &retry));
	/* the clock going backwards refills nothing and does not move the bucket's time */
	XT_CHECK(!xt_rate_take(&b, &lim, 5, &retry));
	XT_CHECK(!xt_rate_take(&b, &lim, 100000099, &retry));
	XT_CHECK(xt_rate_take(&b, &lim, 100000100, &retry));
}

XT_TEST(rate_limiter_retry_after_rounding)
{
	static const struct
	{
		int64_t		per_minute;
		int64_t		after_ms;	/* time since the bucket was emptied */
		int64_t		retry;
	}			cases[] = {
		{1, 0, 60},				/* one per minute: a full minute to wait */
		{1, 1, 60},				/* 59.999 s rounds up */
		{1, 59000, 1},
		{1, 58999, 2},
		{2, 0, 30},
		{7, 0, 9},				/* 8571.43 ms -> 8572 ms -> 9 s */
		{60, 0, 1},
		{60, 999, 1},
		{3600000, 0, 1},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		xt_rate_limit lim = {cases[i].per_minute, 1};
		xt_rate_bucket b;
		int64_t		retry;

		xt_rate_init(&b, &lim, 0);
		XT_CHECK(xt_rate_take(&b, &lim, 0, &retry));
		XT_CHECK(!xt_rate_take(&b, &lim, cases[i].after_ms, &retry));
		if (retry != cases[i].retry)
			XT_FAIL_AT("case %zu: retry %lld, want %lld", i, (long long) retry,
					   (long long) cases[i].retry);
	}
	/* and the token really arrives when Retry-After says */
	{
		xt_rate_limit lim = {7, 1};
		xt_rate_bucket b;
		int64_t		retry;

		xt_rate_init(&b, &lim, 0);
		XT_CHECK(xt_rate_take(&b, &lim, 0, &retry));
		XT_CHECK(!xt_rate_take(&b, &lim, 8571, &retry));
		XT_CHECK(xt_rate_take(&b, &lim, 8572, &retry));
	}
}

XT_TEST(rate_limiter_bounds)
{
	xt_rate_limit bad_rate = {0, 5};
	xt_rate_limit bad_burst = {60, 0};
	xt_rate_limit big = {XT_RATE_PER_MINUTE_MAX, XT_RATE_BURST_MAX};
	xt_rate_bucket b;
	int64_t		retry;

	xt_rate_init(&b, &bad_rate, 0);
	XT_CHECK(!xt_rate_take(&b, &bad_rate, 0, &retry));
	XT_CHECK_EQ(retry, 1);
	xt_rate_init(&b, &bad_burst, 0);
	XT_CHECK(!xt_rate_take(&b, &bad_burst, 1000000, &retry));
	XT_CHECK_EQ(retry, 1);

	/* the largest limits over the largest idle time do not overflow */
	xt_rate_init(&b, &big, INT64_MIN);
	for (int i = 0; i < 1000; i++)
		XT_CHECK(xt_rate_take(&b, &big, INT64_MIN, &retry));
	XT_CHECK(xt_rate_take(&b, &big, INT64_MAX, &retry));
	XT_CHECK_EQ(b.units, (int64_t) XT_RATE_BURST_MAX * XT_RATE_TOKEN - XT_RATE_TOKEN);

	/* a lowered limit caps what the bucket holds */
	{
		xt_rate_limit lower = {XT_RATE_PER_MINUTE_MAX, 2};

		XT_CHECK(xt_rate_take(&b, &lower, INT64_MAX, &retry));
		XT_CHECK(xt_rate_take(&b, &lower, INT64_MAX, &retry));
		XT_CHECK(!xt_rate_take(&b, &lower, INT64_MAX, &retry));
	}
}

XT_TEST_MAIN()
