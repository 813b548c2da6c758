/*
 * fuzz_json.c: libFuzzer target for src/net/json.{h,c} and the order decoder built on it.
 *
 * Input: arbitrary bytes, parsed as a JSON document (libFuzzer's buffer is exactly the input's
 * size, so under AddressSanitizer any read past the length fails). Properties, abort() on
 * violation:
 *   - the result is a known code, the error offset lies within the input, parsing is deterministic;
 *   - OK: the tree is consistent (child counts match sibling chains, texts lie inside the string
 *     buffer and are NUL-terminated); re-encoding it with the writer (numbers as strings of their
 *     exact text, since the writer has no raw-number call) and parsing that gives the same tree
 *     up to that mapping, and re-encoding the second tree gives the same bytes again;
 *   - the same bytes as a POST /v1/order body: a known code, a non-empty message on error, values
 *     in range on success.
 * Run: make build/fuzz/fuzz_json && build/fuzz/fuzz_json <scratch dir> test/fuzz/corpus/fuzz_json
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "net/json.h"
#include "net/order_request.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "fuzz_json: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

#define NODES 4096
#define OUT_MAX (6 * XT_JSON_INPUT_MAX + 16)	/* \u00XX escapes grow a byte to six */

static xt_json_node nodes_a[NODES],
			nodes_b[NODES];
static char strbuf_a[XT_JSON_STRBUF_FOR(XT_JSON_INPUT_MAX, NODES)];
static char strbuf_b[XT_JSON_STRBUF_FOR(XT_JSON_INPUT_MAX, NODES)];
static char out_a[OUT_MAX];
static char out_b[OUT_MAX];
static char key_buf[XT_JSON_INPUT_MAX + 1];

/* Does any member key hold a NUL? (xt_jw_key takes a C string.) */
static bool
has_nul_key(const xt_json_doc *doc)
{
	for (uint32_t i = 1; i < doc->count; i++)
		if (memchr(xt_json_key(doc, &doc->nodes[i]), '\0', doc->nodes[i].key_len))
			return true;
	return false;
}

static void
emit(xt_json_writer *w, const xt_json_doc *doc, const xt_json_node *n)
{
	switch (n->type)
	{
		case XT_JSON_NULL:
			xt_jw_null(w);
			return;
		case XT_JSON_FALSE:
		case XT_JSON_TRUE:
			xt_jw_bool(w, n->type == XT_JSON_TRUE);
			return;
		case XT_JSON_NUMBER:
		case XT_JSON_STRING:
			xt_jw_string(w, xt_json_text(doc, n), n->len);
			return;
	}
	if (n->type == XT_JSON_OBJECT)
		xt_jw_object_begin(w);
	else
		xt_jw_array_begin(w);
	for (const xt_json_node *c = xt_json_first(doc, n); c; c = xt_json_next(doc, c))
	{
		if (n->type == XT_JSON_OBJECT)
		{
			memcpy(key_buf, xt_json_key(doc, c), c->key_len);
			key_buf[c->key_len] = '\0';
			xt_jw_key(w, key_buf);
		}
		emit(w, doc, c);
	}
	if (n->type == XT_JSON_OBJECT)
		xt_jw_object_end(w);
	else
		xt_jw_array_end(w);
}

/* a (original) and b (re-parsed) agree node by node; numbers of a became strings in b. */
static void
same_tree(const xt_json_doc *a, const xt_json_doc *b)
{
	CHECK(a->count == b->count);
	for (uint32_t i = 0; i < a->count; i++)
	{
		const xt_json_node *x = &a->nodes[i],
				   *y = &b->nodes[i];

		CHECK(y->type == (x->type == XT_JSON_NUMBER ? XT_JSON_STRING : x->type));
		CHECK(x->len == y->len && x->next == y->next && x->key_len == y->key_len);
		CHECK(memcmp(xt_json_key(a, x), xt_json_key(b, y), x->key_len) == 0);
		if (x->type == XT_JSON_NUMBER || x->type == XT_JSON_STRING)
			CHECK(memcmp(xt_json_text(a, x), xt_json_text(b, y), x->len) == 0);
	}
}

static void
check_tree(const xt_json_doc *doc)
{
	CHECK(doc->count >= 1 && doc->count <= NODES);
	for (uint32_t i = 0; i < doc->count; i++)
	{
		const xt_json_node *n = &doc->nodes[i];

		CHECK(n->type <= XT_JSON_OBJECT);
		CHECK(n->next == XT_JSON_NONE || (n->next > i && n->next < doc->count));
		CHECK((size_t) n->key + n->key_len <= doc->strbuf_len);
		if (n->type == XT_JSON_NUMBER || n->type == XT_JSON_STRING)
		{
			CHECK((size_t) n->text + n->len < doc->strbuf_len);
			CHECK(xt_json_text(doc, n)[n->len] == '\0');
		}
		if (n->type == XT_JSON_ARRAY || n->type == XT_JSON_OBJECT)
		{
			uint32_t	count = 0;

			for (const xt_json_node *c = xt_json_first(doc, n); c; c = xt_json_next(doc, c))
				count++;
			CHECK(count == n->len);
		}
	}
	CHECK(doc->nodes[0].next == XT_JSON_NONE);
}

static bool
lookup(void *ctx, const char *name, size_t len, xt_symbol_spec *out)
{
	(void) ctx;
	if (len != 7 || memcmp(name, "BTC-KRW", 7) != 0)
		return false;
	out->id = 1;
	out->tick.e8 = 100000000;
	out->lot.e8 = 100000;
	out->min_lots = 1;
	out->max_lots = 1000000;
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *) data;
	xt_json_doc a,
				b;
	size_t		off = SIZE_MAX,
				off2;
	xt_json_error e;

	xt_json_doc_init(&a, nodes_a, NODES, strbuf_a, sizeof(strbuf_a));
	e = xt_json_parse(&a, text, size, &off);
	CHECK(e <= XT_JSON_ERR_TOO_LARGE);
	CHECK(e == XT_JSON_OK ? off == 0 : off <= size);
	xt_json_doc_init(&b, nodes_b, NODES, strbuf_b, sizeof(strbuf_b));
	CHECK(xt_json_parse(&b, text, size, &off2) == e && off2 == off);

	if (e == XT_JSON_OK)
	{
		xt_json_writer w;
		size_t		n1,
					n2;

		check_tree(&a);
		if (!has_nul_key(&a))
		{
			xt_jw_init(&w, out_a, sizeof(out_a));
			emit(&w, &a, &a.nodes[0]);
			n1 = xt_jw_finish(&w);
			CHECK(n1 > 0);
			if (n1 <= XT_JSON_INPUT_MAX)
			{
				CHECK(xt_json_parse(&b, out_a, n1, &off2) == XT_JSON_OK);
				same_tree(&a, &b);
				xt_jw_init(&w, out_b, sizeof(out_b));
				emit(&w, &b, &b.nodes[0]);
				n2 = xt_jw_finish(&w);
				CHECK(n2 == n1 && memcmp(out_a, out_b, n1) == 0);
			}
		}
	}

	{
		xt_order_request req;
		char		msg[XT_ERROR_MESSAGE_MAX];
		xt_order_error oe = xt_order_request_decode(text, size, lookup, NULL, &req, msg,
													sizeof(msg));

		CHECK(oe <= XT_ORDER_INVALID_POST_ONLY);
		if (oe == XT_ORDER_OK)
		{
			CHECK(req.symbol == 1 && req.side <= XT_SIDE_SELL && req.order_type <= XT_TYPE_MARKET);
			CHECK(req.tif <= XT_TIF_FOK && req.post_only <= 1 && req.clordid_len <= XT_CLORDID_MAX);
			CHECK(req.quantity >= 1 && req.quantity <= 1000000);
			CHECK(req.order_type == XT_TYPE_MARKET ? req.price == 0
				  : req.price >= 1 && req.price <= XT_VALUE_MAX);
		}
		else
		{
			CHECK(msg[0] != '\0');
			/* the error body is always valid JSON */
			CHECK(xt_order_encode_error(oe, msg, out_a, sizeof(out_a)) > 0);
			CHECK(xt_json_parse(&b, out_a, strlen(out_a), &off2) == XT_JSON_OK);
		}
	}
	return 0;
}
