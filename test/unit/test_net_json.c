/*
 * test_net_json.c: unit tests of src/net/json.{h,c}.
 *
 * Table-driven: every parse error code with its byte offset (syntax, numbers, strings, escapes,
 * surrogates, UTF-8 overlongs/surrogates/out of range/truncation, duplicate keys, trailing bytes,
 * depth, arena limits, input size), exact number text, the tree layout, and the writer (escaping,
 * integers at the limits, exact decimals, times, overflow latching, misuse). Every input is parsed
 * from a heap block of exactly its length so ASan catches a read past the end.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "net/json.h"
#include "xt_test.h"

#define NODES 256

static xt_json_node nodes[NODES];
static char strbuf[XT_JSON_STRBUF_FOR(XT_JSON_INPUT_MAX + 16, NODES)];
static xt_json_doc doc;

static xt_json_error
parse_n(const char *text, size_t len, size_t *off)
{
	char	   *p = malloc(len > 0 ? len : 1);
	xt_json_error e;

	memcpy(p, text, len);
	xt_json_doc_init(&doc, nodes, NODES, strbuf, sizeof(strbuf));
	e = xt_json_parse(&doc, p, len, off);
	free(p);
	return e;
}

static xt_json_error
parse(const char *text, size_t *off)
{
	return parse_n(text, strlen(text), off);
}

typedef struct
{
	const char *text;
	xt_json_error err;
	size_t		offset;
} parse_case;

XT_TEST(json_valid_documents)
{
	static const char *const ok[] = {
		"{}", "[]", "0", "-0", "1.5e+10", "\"\"", "true", "false", "null", " \t\r\n{} \n",
		"{\"a\":[1,2,{\"b\":null}],\"c\":\"x\"}", "[[],[[]],{}]", "\"\\u00e9\\ud83d\\ude00\"",
		"\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", "\"\\/\\\\\\\"\\b\\f\\n\\r\\t\"",
		"\"\xef\xbf\xbf\"", "\"\xf4\x8f\xbf\xbf\"", "\"\xed\x9f\xbf\"", "1E-3", "0.001",
		"{\"a\":1,\"A\":2}",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
	{
		size_t		off = 99;
		xt_json_error e = parse(ok[i], &off);

		if (e != XT_JSON_OK)
			XT_FAIL_AT("%s: %s at %zu", ok[i], xt_json_error_name(e), off);
		XT_CHECK_EQ(off, 0);
	}
}

XT_TEST(json_error_codes_and_offsets)
{
	static const parse_case cases[] = {
		{"", XT_JSON_ERR_EMPTY, 0},
		{"   ", XT_JSON_ERR_EMPTY, 3},
		{"{", XT_JSON_ERR_TRUNCATED, 1},
		{"[1,", XT_JSON_ERR_TRUNCATED, 3},
		{"{\"a\"", XT_JSON_ERR_TRUNCATED, 4},
		{"{\"a\":", XT_JSON_ERR_TRUNCATED, 5},
		{"\"abc", XT_JSON_ERR_TRUNCATED, 4},
		{"tru", XT_JSON_ERR_TRUNCATED, 3},
		{"nul", XT_JSON_ERR_TRUNCATED, 3},
		{"trUe", XT_JSON_ERR_SYNTAX, 0},
		{"nulL", XT_JSON_ERR_SYNTAX, 0},
		{"[1 2]", XT_JSON_ERR_SYNTAX, 3},
		{"[1,]", XT_JSON_ERR_SYNTAX, 3},
		{"{,}", XT_JSON_ERR_SYNTAX, 1},
		{"{\"a\" 1}", XT_JSON_ERR_SYNTAX, 5},
		{"{a:1}", XT_JSON_ERR_SYNTAX, 1},
		{"{\"a\":1,}", XT_JSON_ERR_SYNTAX, 7},
		{"'a'", XT_JSON_ERR_SYNTAX, 0},
		{"NaN", XT_JSON_ERR_SYNTAX, 0},
		{"+1", XT_JSON_ERR_SYNTAX, 0},
		{".5", XT_JSON_ERR_SYNTAX, 0},
		{"\xef\xbb\xbf{}", XT_JSON_ERR_SYNTAX, 0},	/* a BOM is not JSON */
		{"\xff", XT_JSON_ERR_UTF8, 0},
		{"01", XT_JSON_ERR_NUMBER, 1},
		{"-", XT_JSON_ERR_TRUNCATED, 1},
		{"-a", XT_JSON_ERR_NUMBER, 1},
		{"1.", XT_JSON_ERR_TRUNCATED, 2},
		{"1.e3", XT_JSON_ERR_NUMBER, 2},
		{"1e", XT_JSON_ERR_TRUNCATED, 2},
		{"1e+", XT_JSON_ERR_TRUNCATED, 3},
		{"1ex", XT_JSON_ERR_NUMBER, 2},
		{"-01", XT_JSON_ERR_NUMBER, 2},
		{"\"a\tb\"", XT_JSON_ERR_STRING, 2},
		{"\"a\nb\"", XT_JSON_ERR_STRING, 2},
		{"\"\\x\"", XT_JSON_ERR_ESCAPE, 1},
		{"\"\\u12g4\"", XT_JSON_ERR_ESCAPE, 5},
		{"\"\\u12", XT_JSON_ERR_TRUNCATED, 5},
		{"\"\\", XT_JSON_ERR_TRUNCATED, 2},
		{"\"\\udc00\"", XT_JSON_ERR_ESCAPE, 1},	/* lone low surrogate */
		{"\"\\ud800\"", XT_JSON_ERR_ESCAPE, 1},	/* lone high surrogate */
		{"\"\\ud800x\"", XT_JSON_ERR_ESCAPE, 1},
		{"\"\\ud800\\n\"", XT_JSON_ERR_ESCAPE, 1},
		{"\"\\ud800\\ud800\"", XT_JSON_ERR_ESCAPE, 1},	/* high + high */
		{"\"\\ud800", XT_JSON_ERR_TRUNCATED, 1},
		{"\"\xc0\xaf\"", XT_JSON_ERR_UTF8, 1},	/* overlong '/' */
		{"\"\xc1\xbf\"", XT_JSON_ERR_UTF8, 1},
		{"\"\xe0\x80\xaf\"", XT_JSON_ERR_UTF8, 1},	/* overlong 3-byte */
		{"\"\xf0\x80\x80\xaf\"", XT_JSON_ERR_UTF8, 1},	/* overlong 4-byte */
		{"\"\xed\xa0\x80\"", XT_JSON_ERR_UTF8, 1},	/* U+D800 encoded */
		{"\"\xed\xbf\xbf\"", XT_JSON_ERR_UTF8, 1},	/* U+DFFF encoded */
		{"\"\xf4\x90\x80\x80\"", XT_JSON_ERR_UTF8, 1},	/* U+110000 */
		{"\"\xf5\x80\x80\x80\"", XT_JSON_ERR_UTF8, 1},
		{"\"\x80\"", XT_JSON_ERR_UTF8, 1},	/* lone continuation */
		{"\"\xc3\x28\"", XT_JSON_ERR_UTF8, 1},	/* bad continuation */
		{"\"\xe2\x82\"", XT_JSON_ERR_UTF8, 1},	/* short sequence before the quote */
		{"\"\xe2\x82", XT_JSON_ERR_TRUNCATED, 1},
		{"\"ok\xfe\"", XT_JSON_ERR_UTF8, 3},
		{"{\"a\":1,\"a\":2}", XT_JSON_ERR_DUPLICATE_KEY, 7},
		{"{\"a\":1,\"b\":2,\"\\u0061\":3}", XT_JSON_ERR_DUPLICATE_KEY, 13},	/* escaped dup */
		{"{\"x\":{\"a\":1,\"a\":1}}", XT_JSON_ERR_DUPLICATE_KEY, 12},
		{"{} x", XT_JSON_ERR_TRAILING, 3},
		{"1 2", XT_JSON_ERR_TRAILING, 2},
		{"{}{}", XT_JSON_ERR_TRAILING, 2},
		{"\"a\"\x00", XT_JSON_ERR_TRAILING, 3},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		size_t		off = 9999;
		size_t		len = strlen(cases[i].text);
		xt_json_error e;

		/* the NUL case: include the byte after the visible text */
		if (i == sizeof(cases) / sizeof(cases[0]) - 1)
			len++;
		e = parse_n(cases[i].text, len, &off);
		if (e != cases[i].err || off != cases[i].offset)
			XT_FAIL_AT("case %zu %s: got %s at %zu, want %s at %zu", i, cases[i].text,
					   xt_json_error_name(e), off, xt_json_error_name(cases[i].err),
					   cases[i].offset);
	}
}

XT_TEST(json_numbers_keep_their_exact_text)
{
	static const char *const nums[] = {
		"0.1", "0.001", "50000000.12345678", "1e-3", "-0", "123456789012345678901234567890",
		"1.000000000000000000000000001", "9007199254740993", "1E+400",
	};

	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
	{
		char		text[128];
		const xt_json_node *n;

		snprintf(text, sizeof(text), "[%s]", nums[i]);
		XT_REQUIRE(parse(text, NULL) == XT_JSON_OK);
		n = xt_json_first(&doc, &doc.nodes[0]);
		XT_REQUIRE(n != NULL);
		XT_CHECK_EQ(n->type, XT_JSON_NUMBER);
		XT_CHECK_EQ(n->len, strlen(nums[i]));
		XT_CHECK_STR(xt_json_text(&doc, n), nums[i]);
	}
}

XT_TEST(json_tree_layout_and_lookup)
{
	const xt_json_node *root,
			   *a,
			   *c,
			   *e;

	XT_REQUIRE(parse("{\"a\":[1,\"two\",true],\"b\":{},\"c\":\"x\\u0000y\"}", NULL) == XT_JSON_OK);
	root = &doc.nodes[0];
	XT_CHECK_EQ(root->type, XT_JSON_OBJECT);
	XT_CHECK_EQ(root->len, 3);
	a = xt_json_get(&doc, root, "a", 1);
	XT_REQUIRE(a != NULL);
	XT_CHECK_EQ(a->type, XT_JSON_ARRAY);
	XT_CHECK_EQ(a->len, 3);
	e = xt_json_first(&doc, a);
	XT_REQUIRE(e != NULL);
	XT_CHECK_STR(xt_json_text(&doc, e), "1");
	e = xt_json_next(&doc, e);
	XT_REQUIRE(e != NULL);
	XT_CHECK(xt_json_string_is(&doc, e, "two", 3));
	e = xt_json_next(&doc, e);
	XT_REQUIRE(e != NULL);
	XT_CHECK_EQ(e->type, XT_JSON_TRUE);
	XT_CHECK(xt_json_next(&doc, e) == NULL);
	XT_CHECK(xt_json_first(&doc, xt_json_get(&doc, root, "b", 1)) == NULL);
	c = xt_json_get(&doc, root, "c", 1);
	XT_REQUIRE(c != NULL);
	XT_CHECK_EQ(c->len, 3);		/* the NUL from \u0000 is kept, len tells */
	XT_CHECK(memcmp(xt_json_text(&doc, c), "x\0y", 3) == 0);
	XT_CHECK(xt_json_get(&doc, root, "z", 1) == NULL);
	XT_CHECK(xt_json_get(&doc, a, "a", 1) == NULL);	/* not an object */
	XT_CHECK(!xt_json_string_is(&doc, a, "a", 1));
}

XT_TEST(json_escapes_decode_to_utf8)
{
	const xt_json_node *n;

	XT_REQUIRE(parse("\"\\u00e9\\u20AC\\ud83d\\ude00\\/\\t\"", NULL) == XT_JSON_OK);
	n = &doc.nodes[0];
	XT_CHECK_EQ(n->len, 2 + 3 + 4 + 2);
	XT_CHECK(memcmp(xt_json_text(&doc, n), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80/\t", n->len) == 0);
	XT_REQUIRE(parse("\"\\udbff\\udfff\"", NULL) == XT_JSON_OK);	/* U+10FFFF */
	XT_CHECK(memcmp(xt_json_text(&doc, &doc.nodes[0]), "\xf4\x8f\xbf\xbf", 4) == 0);
}

XT_TEST(json_depth_limit)
{
	char		text[200];
	size_t		off;

	/* 32 nested arrays pass at the default depth, 33 do not */
	memset(text, '[', 32);
	memset(text + 32, ']', 32);
	XT_CHECK_EQ(parse_n(text, 64, &off), XT_JSON_OK);
	memset(text, '[', 33);
	memset(text + 33, ']', 33);
	XT_CHECK_EQ(parse_n(text, 66, &off), XT_JSON_ERR_DEPTH);
	XT_CHECK_EQ(off, 32);

	/* a lowered limit applies, objects count too */
	xt_json_doc_init(&doc, nodes, NODES, strbuf, sizeof(strbuf));
	doc.max_depth = 2;
	XT_CHECK_EQ(xt_json_parse(&doc, "{\"a\":[1]}", 9, &off), XT_JSON_OK);
	XT_CHECK_EQ(xt_json_parse(&doc, "{\"a\":[{}]}", 10, &off), XT_JSON_ERR_DEPTH);
	XT_CHECK_EQ(off, 6);

	/* deep hostile input: 100000 '[' fails fast at the limit, no stack overflow */
	{
		size_t		n = 60000;
		char	   *deep = malloc(n);

		memset(deep, '[', n);
		XT_CHECK_EQ(parse_n(deep, n, &off), XT_JSON_ERR_DEPTH);
		free(deep);
	}
}

XT_TEST(json_arena_and_size_limits)
{
	xt_json_node few[3];
	char		small[8];
	size_t		off;
	char	   *big;

	xt_json_doc_init(&doc, few, 3, strbuf, sizeof(strbuf));
	XT_CHECK_EQ(xt_json_parse(&doc, "[1,2]", 5, &off), XT_JSON_OK);
	XT_CHECK_EQ(xt_json_parse(&doc, "[1,2,3]", 7, &off), XT_JSON_ERR_TOO_MANY_NODES);
	XT_CHECK_EQ(off, 5);

	xt_json_doc_init(&doc, nodes, NODES, small, sizeof(small));
	XT_CHECK_EQ(xt_json_parse(&doc, "\"abcdef\"", 8, &off), XT_JSON_OK);	/* 6 + NUL */
	XT_CHECK_EQ(xt_json_parse(&doc, "\"abcdefgh\"", 10, &off), XT_JSON_ERR_STRBUF);

	/* exactly XT_JSON_INPUT_MAX bytes parse; one more is TOO_LARGE before any parsing */
	big = malloc(XT_JSON_INPUT_MAX + 1);
	memset(big, ' ', XT_JSON_INPUT_MAX + 1);
	big[0] = '"';
	big[XT_JSON_INPUT_MAX - 1] = '"';
	XT_CHECK_EQ(parse_n(big, XT_JSON_INPUT_MAX, &off), XT_JSON_OK);
	XT_CHECK_EQ(doc.nodes[0].len, XT_JSON_INPUT_MAX - 2);
	XT_CHECK_EQ(parse_n(big, XT_JSON_INPUT_MAX + 1, &off), XT_JSON_ERR_TOO_LARGE);
	free(big);

	/* the worst-case string buffer formula is enough for a document of many tiny values */
	{
		static xt_json_node many[4096];
		static char sb[XT_JSON_STRBUF_FOR(8192, 4096)];
		char		text[8192];
		size_t		n = 0;

		text[n++] = '[';
		while (n < 8000)
		{
			text[n++] = '1';
			text[n++] = ',';
		}
		text[n - 1] = ']';
		xt_json_doc_init(&doc, many, 4096, sb, sizeof(sb));
		XT_CHECK_EQ(xt_json_parse(&doc, text, n, &off), XT_JSON_OK);
		XT_CHECK_EQ(doc.count, 4001);	/* the array and its 4000 numbers */
	}
}

XT_TEST(json_error_names_and_messages)
{
	char		msg[80];

	for (int e = XT_JSON_OK; e <= XT_JSON_ERR_TOO_LARGE; e++)
		XT_CHECK(strcmp(xt_json_error_name((xt_json_error) e), "UNKNOWN") != 0);
	XT_CHECK_STR(xt_json_error_name((xt_json_error) 99), "UNKNOWN");
	XT_CHECK_EQ(xt_json_error_message(XT_JSON_ERR_UTF8, 17, msg, sizeof(msg)),
				strlen("invalid UTF-8 at byte 17"));
	XT_CHECK_STR(msg, "invalid UTF-8 at byte 17");
	xt_json_error_message(XT_JSON_ERR_DUPLICATE_KEY, 3, msg, sizeof(msg));
	XT_CHECK_STR(msg, "duplicate key at byte 3");
}

/* ---- writer ------------------------------------------------------------------------------- */

XT_TEST(json_writer_builds_documents)
{
	char		buf[256];
	xt_json_writer w;
	xt_step		milli = {100000};

	xt_jw_init(&w, buf, sizeof(buf));
	xt_jw_object_begin(&w);
	xt_jw_key(&w, "a");
	xt_jw_int(&w, -5);
	xt_jw_key(&w, "b");
	xt_jw_array_begin(&w);
	xt_jw_uint(&w, 0);
	xt_jw_bool(&w, true);
	xt_jw_bool(&w, false);
	xt_jw_null(&w);
	xt_jw_array_begin(&w);
	xt_jw_array_end(&w);
	xt_jw_object_begin(&w);
	xt_jw_object_end(&w);
	xt_jw_decimal(&w, 1, milli);
	xt_jw_array_end(&w);
	xt_jw_key(&w, "c");
	xt_jw_cstring(&w, "q\"\\/\n\r\t\b\f\x01\x1f\x7f\xc3\xa9");
	xt_jw_object_end(&w);
	XT_CHECK_EQ(xt_jw_finish(&w), strlen(buf));
	XT_CHECK_STR(buf, "{\"a\":-5,\"b\":[0,true,false,null,[],{},\"0.001\"],"
				 "\"c\":\"q\\\"\\\\/\\n\\r\\t\\b\\f\\u0001\\u001f\x7f\xc3\xa9\"}");
}

XT_TEST(json_writer_integers_at_limits)
{
	char		buf[64];
	xt_json_writer w;

	xt_jw_init(&w, buf, sizeof(buf));
	xt_jw_array_begin(&w);
	xt_jw_int(&w, INT64_MIN);
	xt_jw_int(&w, INT64_MAX);
	xt_jw_uint(&w, UINT64_MAX);
	xt_jw_array_end(&w);
	XT_CHECK(xt_jw_finish(&w) > 0);
	XT_CHECK_STR(buf, "[-9223372036854775808,9223372036854775807,18446744073709551615]");
}

XT_TEST(json_writer_decimals_are_exact)
{
	static const struct
	{
		int64_t		units;
		int64_t		step_e8;
		const char *text;
	}			cases[] = {
		{50000000, 100000000, "\"50000000\""},
		{1, 100000, "\"0.001\""},
		{5000000012345678, 1, "\"50000000.12345678\""},
		{1, 10000000, "\"0.1\""},
		{0, 100000, "\"0\""},
		{XT_VALUE_MAX, 1, "\"90071992.54740991\""},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		char		buf[64];
		xt_json_writer w;
		xt_step		s = {cases[i].step_e8};

		xt_jw_init(&w, buf, sizeof(buf));
		xt_jw_decimal(&w, cases[i].units, s);
		XT_CHECK(xt_jw_finish(&w) > 0);
		XT_CHECK_STR(buf, cases[i].text);
	}
}

XT_TEST(json_writer_times)
{
	static const struct
	{
		int64_t		us;
		const char *text;
	}			cases[] = {
		{0, "\"1970-01-01T00:00:00.000000Z\""},
		{1700000000123456, "\"2023-11-14T22:13:20.123456Z\""},
		{951782400000000, "\"2000-02-29T00:00:00.000000Z\""},
		{-1, "\"1969-12-31T23:59:59.999999Z\""},
		{-62135596800LL * 1000000, "\"0001-01-01T00:00:00.000000Z\""},
		{253402300799999999LL, "\"9999-12-31T23:59:59.999999Z\""},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		char		buf[64];
		xt_json_writer w;

		xt_jw_init(&w, buf, sizeof(buf));
		xt_jw_time_us(&w, cases[i].us);
		XT_CHECK(xt_jw_finish(&w) > 0);
		XT_CHECK_STR(buf, cases[i].text);
	}
	{
		char		buf[64];
		xt_json_writer w;

		xt_jw_init(&w, buf, sizeof(buf));
		xt_jw_time_us(&w, 253402300800000000LL);
		XT_CHECK_EQ(xt_jw_finish(&w), 0);
		xt_jw_init(&w, buf, sizeof(buf));
		xt_jw_time_us(&w, -62135596800LL * 1000000 - 1);
		XT_CHECK_EQ(xt_jw_finish(&w), 0);
	}
}

XT_TEST(json_writer_overflow_and_misuse)
{
	char		buf[8];
	xt_json_writer w;
	xt_step		bad = {0};
	xt_step		one = {100000000};

	/* every prefix capacity either fits or reports 0, and never writes past cap */
	for (size_t cap = 1; cap <= 8; cap++)
	{
		char		big[16];

		memset(big, 'Z', sizeof(big));
		xt_jw_init(&w, big, cap);
		xt_jw_array_begin(&w);
		xt_jw_cstring(&w, "abc");
		xt_jw_array_end(&w);
		XT_CHECK_EQ(xt_jw_finish(&w), cap >= 8 ? 7 : 0);
		XT_CHECK(big[cap] == 'Z');
		XT_CHECK(memchr(big, '\0', cap) != NULL);
	}

	xt_jw_init(&w, buf, sizeof(buf));
	xt_jw_decimal(&w, 1, bad);
	XT_CHECK_EQ(xt_jw_finish(&w), 0);
	xt_jw_init(&w, buf, sizeof(buf));
	xt_jw_decimal(&w, -1, one);
	XT_CHECK_EQ(xt_jw_finish(&w), 0);

	xt_jw_init(&w, buf, sizeof(buf));
	xt_jw_array_begin(&w);
	XT_CHECK_EQ(xt_jw_finish(&w), 0);	/* still open */
	xt_jw_init(&w, buf, sizeof(buf));
	xt_jw_array_end(&w);
	XT_CHECK_EQ(xt_jw_finish(&w), 0);	/* close without open */
	xt_jw_init(&w, buf, sizeof(buf));
	xt_jw_key(&w, "k");
	XT_CHECK_EQ(xt_jw_finish(&w), 0);	/* key outside an object */
	xt_jw_init(&w, buf, sizeof(buf));
	xt_jw_object_begin(&w);
	xt_jw_key(&w, "k");
	xt_jw_object_end(&w);
	XT_CHECK_EQ(xt_jw_finish(&w), 0);	/* key without value */

	{
		char		deep[256];

		xt_jw_init(&w, deep, sizeof(deep));
		for (int i = 0; i < 64; i++)
			xt_jw_array_begin(&w);
		for (int i = 0; i < 64; i++)
			xt_jw_array_end(&w);
		XT_CHECK_EQ(xt_jw_finish(&w), 0);	/* 64 levels: beyond the writer's 63 */
	}
}

XT_TEST(json_error_body_round_trips)
{
	char		buf[128];
	size_t		n = xt_json_error_body(buf, sizeof(buf), "INVALID_PRICE", "say \"hi\"\n");
	const xt_json_node *m;

	XT_CHECK_STR(buf, "{\"error\":\"INVALID_PRICE\",\"message\":\"say \\\"hi\\\"\\n\"}");
	XT_REQUIRE(parse_n(buf, n, NULL) == XT_JSON_OK);
	m = xt_json_get(&doc, &doc.nodes[0], "message", 7);
	XT_REQUIRE(m != NULL);
	XT_CHECK_STR(xt_json_text(&doc, m), "say \"hi\"\n");
	XT_CHECK_EQ(xt_json_error_body(buf, 10, "X", "y"), 0);
	XT_CHECK_EQ(xt_json_error_body(buf, 0, "X", "y"), 0);
}

XT_TEST_MAIN()
