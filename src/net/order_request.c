/*
 * order_request.c: POST /v1/order decoding and the order API's response bodies.
 *
 * The decoder only reads the parsed tree; every value check is one small function per field, run
 * in the order the header documents, so the first failure is deterministic whatever the order of
 * the members in the body.
 */
#include "net/order_request.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "net/json.h"

static const char *const known_fields[] = {
	"symbol", "side", "order_type", "price", "quantity", "time_in_force", "client_order_id",
	"post_only"
};

/* Longest client-supplied text echoed in a message: enough to recognise a typo, and short enough
 * that the message always fits XT_ERROR_MESSAGE_MAX. */
#define ECHO_MAX 32

typedef struct decoder
{
	const xt_json_doc *doc;
	const xt_json_node *root;
	char	   *msg;
	size_t		msg_cap;
} decoder;

/* printf-checked: the callers' format strings are verified by the compiler */
static xt_order_error reject(decoder *d, xt_order_error e, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

static xt_order_error
reject(decoder *d, xt_order_error e, const char *fmt,...)
{
	va_list		ap;

	if (d->msg_cap > 0)
	{
		va_start(ap, fmt);
		vsnprintf(d->msg, d->msg_cap, fmt, ap);
		va_end(ap);
	}
	return e;
}

/* How many bytes of s[0 .. len) to echo: at most ECHO_MAX, cut on a UTF-8 boundary (the text was
 * validated by the parser), and before any NUL so that "%.*s" shows all of it. */
static int
echo_len(const char *s, size_t len)
{
	size_t		n = len < ECHO_MAX ? len : ECHO_MAX;
	const char *nul = memchr(s, '\0', n);

	if (nul)
		n = (size_t) (nul - s);
	else if (n < len)
		while (n > 0 && ((unsigned char) s[n] & 0xC0) == 0x80)
			n--;
	return (int) n;
}

/* The member name, or NULL if absent or JSON null (for optional fields null means absent). */
static const xt_json_node *
field(const decoder *d, const char *name)
{
	const xt_json_node *n = xt_json_get(d->doc, d->root, name, strlen(name));

	return n && n->type != XT_JSON_NULL ? n : NULL;
}

/* Case-insensitive match of a STRING node against an ASCII word. */
static bool
word_is(const decoder *d, const xt_json_node *n, const char *word)
{
	size_t		len = strlen(word);
	const char *t = xt_json_text(d->doc, n);

	if (n->type != XT_JSON_STRING || n->len != len)
		return false;
	for (size_t i = 0; i < len; i++)
	{
		char		c = t[i];

		if (c >= 'A' && c <= 'Z')
			c = (char) (c - 'A' + 'a');
		if (c != word[i])
			return false;
	}
	return true;
}

static xt_order_error
decode_units(decoder *d, const xt_json_node *n, const char *name, const char *step_name,
			 xt_step step, xt_order_error code, int64_t *units)
{
	xt_decimal_reason r;

	if (n->type != XT_JSON_NUMBER && n->type != XT_JSON_STRING)
		return reject(d, code, "%s must be a decimal number or string", name);
	r = xt_decimal_to_units(xt_json_text(d->doc, n), n->len, step, units);
	if (r != XT_DEC_OK)
	{
		if (r == XT_DEC_SYNTAX)
			return reject(d, code, "%s must be a decimal number such as \"0.001\"", name);
		xt_decimal_message(r, name, step_name, step, d->msg, d->msg_cap);
		return code;
	}
	return XT_ORDER_OK;
}

static xt_order_error
decode_body(decoder *d, xt_symbol_lookup_fn lookup, void *lookup_ctx, xt_order_request *out)
{
	const xt_json_node *n;
	xt_symbol_spec spec = {0};

	if (d->root->type != XT_JSON_OBJECT)
		return reject(d, XT_ORDER_INVALID_REQUEST, "the request body must be a JSON object");

	for (n = xt_json_first(d->doc, d->root); n; n = xt_json_next(d->doc, n))
	{
		bool		known = false;

		for (size_t i = 0; i < sizeof(known_fields) / sizeof(known_fields[0]); i++)
			if (n->key_len == strlen(known_fields[i])
				&& memcmp(xt_json_key(d->doc, n), known_fields[i], n->key_len) == 0)
				known = true;
		if (!known)
			return reject(d, XT_ORDER_UNKNOWN_FIELD, "unknown field \"%.*s\"",
						  echo_len(xt_json_key(d->doc, n), n->key_len), xt_json_key(d->doc, n));
	}

	/* symbol */
	if (!(n = field(d, "symbol")))
		return reject(d, XT_ORDER_MISSING_FIELD, "symbol is required");
	if (n->type != XT_JSON_STRING)
		return reject(d, XT_ORDER_INVALID_SYMBOL, "symbol must be a string");
	if (n->len == 0 || n->len > XT_SYMBOL_NAME_MAX
		|| !lookup(lookup_ctx, xt_json_text(d->doc, n), n->len, &spec))
		return reject(d, XT_ORDER_UNKNOWN_SYMBOL, "unknown symbol \"%.*s\"",
					  echo_len(xt_json_text(d->doc, n), n->len), xt_json_text(d->doc, n));
	out->symbol = spec.id;

	/* side */
	if (!(n = field(d, "side")))
		return reject(d, XT_ORDER_MISSING_FIELD, "side is required");
	if (word_is(d, n, "buy"))
		out->side = XT_SIDE_BUY;
	else if (word_is(d, n, "sell"))
		out->side = XT_SIDE_SELL;
	else
		return reject(d, XT_ORDER_INVALID_SIDE, "side must be \"Buy\" or \"Sell\"");

	/* order_type */
	if (!(n = field(d, "order_type")))
		return reject(d, XT_ORDER_MISSING_FIELD, "order_type is required");
	if (word_is(d, n, "limit"))
		out->order_type = XT_TYPE_LIMIT;
	else if (word_is(d, n, "market"))
		out->order_type = XT_TYPE_MARKET;
	else
		return reject(d, XT_ORDER_INVALID_ORDER_TYPE,
					  "order_type must be \"Limit\" or \"Market\"");

	/* time_in_force */
	out->tif = XT_TIF_GTC;
	if ((n = field(d, "time_in_force")))
	{
		if (word_is(d, n, "gtc"))
			out->tif = XT_TIF_GTC;
		else if (word_is(d, n, "ioc"))
			out->tif = XT_TIF_IOC;
		else if (word_is(d, n, "fok"))
			out->tif = XT_TIF_FOK;
		else
			return reject(d, XT_ORDER_INVALID_TIME_IN_FORCE,
						  "time_in_force must be \"GTC\", \"IOC\" or \"FOK\"");
	}

	/* client_order_id: 1..36 printable ASCII bytes, so it can be logged and echoed verbatim */
	if ((n = field(d, "client_order_id")))
	{
		const char *t = xt_json_text(d->doc, n);

		if (n->type != XT_JSON_STRING || n->len < 1 || n->len > XT_CLORDID_MAX)
			return reject(d, XT_ORDER_INVALID_CLIENT_ORDER_ID,
						  "client_order_id must be a string of 1 to %d characters",
						  XT_CLORDID_MAX);
		for (uint32_t i = 0; i < n->len; i++)
			if (t[i] < 0x20 || t[i] > 0x7E)
				return reject(d, XT_ORDER_INVALID_CLIENT_ORDER_ID,
							  "client_order_id must be printable ASCII");
		memcpy(out->clordid, t, n->len);
		out->clordid_len = (uint8_t) n->len;
	}

	/* price */
	n = field(d, "price");
	if (out->order_type == XT_TYPE_MARKET)
	{
		if (n)
			return reject(d, XT_ORDER_INVALID_PRICE, "a market order must not have a price");
		out->price = 0;
	}
	else
	{
		xt_order_error e;

		if (!n)
			return reject(d, XT_ORDER_MISSING_FIELD, "price is required for a limit order");
		e = decode_units(d, n, "price", "tick size", spec.tick, XT_ORDER_INVALID_PRICE,
						 &out->price);
		if (e != XT_ORDER_OK)
			return e;
	}

	/* quantity */
	if (!(n = field(d, "quantity")))
		return reject(d, XT_ORDER_MISSING_FIELD, "quantity is required");
	{
		xt_order_error e = decode_units(d, n, "quantity", "lot size", spec.lot,
										XT_ORDER_INVALID_QUANTITY, &out->quantity);
		char		bound[XT_DECIMAL_TEXT_MAX + 1];

		if (e != XT_ORDER_OK)
			return e;
		if (out->quantity < spec.min_lots)
		{
			xt_units_to_decimal(spec.min_lots, spec.lot, bound, sizeof(bound));
			return reject(d, XT_ORDER_INVALID_QUANTITY, "quantity must be at least %s", bound);
		}
		if (out->quantity > spec.max_lots)
		{
			xt_units_to_decimal(spec.max_lots, spec.lot, bound, sizeof(bound));
			return reject(d, XT_ORDER_INVALID_QUANTITY, "quantity must be at most %s", bound);
		}
	}

	/* post_only */
	if ((n = field(d, "post_only")))
	{
		if (n->type != XT_JSON_TRUE && n->type != XT_JSON_FALSE)
			return reject(d, XT_ORDER_INVALID_POST_ONLY, "post_only must be true or false");
		out->post_only = n->type == XT_JSON_TRUE;
		if (out->post_only && (out->order_type != XT_TYPE_LIMIT || out->tif != XT_TIF_GTC))
			return reject(d, XT_ORDER_INVALID_POST_ONLY,
						  "post_only needs a limit order with time_in_force \"GTC\"");
	}
	return XT_ORDER_OK;
}

xt_order_error
xt_order_request_decode(const char *body, size_t len, xt_symbol_lookup_fn lookup,
						void *lookup_ctx, xt_order_request *out, char *msg, size_t msg_cap)
{
	xt_json_node nodes[XT_ORDER_JSON_NODES];
	char		text[XT_ORDER_JSON_TEXT];
	xt_json_doc doc;
	decoder		d;
	size_t		offset;
	xt_json_error je;
	xt_order_error e;

	memset(out, 0, sizeof(*out));
	if (msg_cap > 0)
		msg[0] = '\0';
	d.msg = msg;
	d.msg_cap = msg_cap;

	xt_json_doc_init(&doc, nodes, XT_ORDER_JSON_NODES, text, sizeof(text));
	/* an order is one flat object: a little slack, and deep input fails before the arena fills */
	doc.max_depth = 4;
	je = xt_json_parse(&doc, body, len, &offset);
	switch (je)
	{
		case XT_JSON_OK:
			break;
		case XT_JSON_ERR_TOO_LARGE:
			return reject(&d, XT_ORDER_PAYLOAD_TOO_LARGE,
						  "the request body is larger than %d bytes", XT_JSON_INPUT_MAX);
		case XT_JSON_ERR_TOO_MANY_NODES:
		case XT_JSON_ERR_STRBUF:
			return reject(&d, XT_ORDER_INVALID_REQUEST,
						  "an order has at most %d JSON values and %d bytes of text",
						  XT_ORDER_JSON_NODES, XT_ORDER_JSON_TEXT);
		default:
			xt_json_error_message(je, offset, msg, msg_cap);
			return XT_ORDER_INVALID_JSON;
	}
	d.doc = &doc;
	d.root = &doc.nodes[0];
	e = decode_body(&d, lookup, lookup_ctx, out);
	if (e != XT_ORDER_OK)
		memset(out, 0, sizeof(*out));
	return e;
}

void
xt_order_request_to_command(const xt_order_request *req, uint64_t account, xt_command *cmd)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->type = XT_CMD_NEW_ORDER;
	cmd->side = req->side;
	cmd->order_type = req->order_type;
	cmd->tif = req->tif;
	cmd->stp = XT_STP_CANCEL_RESTING;
	cmd->post_only = req->post_only;
	cmd->clordid_len = req->clordid_len;
	memcpy(cmd->clordid, req->clordid, req->clordid_len);
	cmd->symbol = req->symbol;
	cmd->account = account;
	cmd->price = req->price;
	cmd->quantity = req->quantity;
}

const char *
xt_order_error_name(xt_order_error e)
{
	switch (e)
	{
		case XT_ORDER_OK:
			return "OK";
		case XT_ORDER_PAYLOAD_TOO_LARGE:
			return "PAYLOAD_TOO_LARGE";
		case XT_ORDER_INVALID_JSON:
			return "INVALID_JSON";
		case XT_ORDER_INVALID_REQUEST:
			return "INVALID_REQUEST";
		case XT_ORDER_MISSING_FIELD:
			return "MISSING_FIELD";
		case XT_ORDER_UNKNOWN_FIELD:
			return "UNKNOWN_FIELD";
		case XT_ORDER_INVALID_SYMBOL:
			return "INVALID_SYMBOL";
		case XT_ORDER_UNKNOWN_SYMBOL:
			return "UNKNOWN_SYMBOL";
		case XT_ORDER_INVALID_SIDE:
			return "INVALID_SIDE";
		case XT_ORDER_INVALID_ORDER_TYPE:
			return "INVALID_ORDER_TYPE";
		case XT_ORDER_INVALID_TIME_IN_FORCE:
			return "INVALID_TIME_IN_FORCE";
		case XT_ORDER_INVALID_CLIENT_ORDER_ID:
			return "INVALID_CLIENT_ORDER_ID";
		case XT_ORDER_INVALID_PRICE:
			return "INVALID_PRICE";
		case XT_ORDER_INVALID_QUANTITY:
			return "INVALID_QUANTITY";
		case XT_ORDER_INVALID_POST_ONLY:
			return "INVALID_POST_ONLY";
	}
	return "UNKNOWN";
}

int
xt_order_error_http_status(xt_order_error e)
{
	return e == XT_ORDER_OK ? 200 : e == XT_ORDER_PAYLOAD_TOO_LARGE ? 413 : 400;
}

const char *
xt_side_name(xt_side s)
{
	return s == XT_SIDE_BUY ? "Buy" : s == XT_SIDE_SELL ? "Sell" : "Unknown";
}

const char *
xt_order_type_name(xt_order_type t)
{
	return t == XT_TYPE_LIMIT ? "Limit" : t == XT_TYPE_MARKET ? "Market" : "Unknown";
}

const char *
xt_tif_name(xt_tif t)
{
	return t == XT_TIF_GTC ? "GTC" : t == XT_TIF_IOC ? "IOC" : t == XT_TIF_FOK ? "FOK" : "Unknown";
}

size_t
xt_order_encode_accepted(uint64_t order_id, const char *message, char *buf, size_t cap)
{
	xt_json_writer w;

	if (cap == 0)
		return 0;
	xt_jw_init(&w, buf, cap);
	xt_jw_object_begin(&w);
	xt_jw_key(&w, "order_id");
	xt_jw_uint(&w, order_id);
	xt_jw_key(&w, "status");
	xt_jw_cstring(&w, "ACCEPTED");
	xt_jw_key(&w, "message");
	xt_jw_cstring(&w, message);
	xt_jw_object_end(&w);
	return xt_jw_finish(&w);
}

size_t
xt_order_encode_error(xt_order_error e, const char *message, char *buf, size_t cap)
{
	return xt_json_error_body(buf, cap, xt_order_error_name(e), message);
}

size_t
xt_order_encode_view(const xt_order_view *v, char *buf, size_t cap)
{
	xt_json_writer w;

	if (cap == 0 || v->side > XT_SIDE_SELL || v->order_type > XT_TYPE_MARKET
		|| v->tif > XT_TIF_FOK || v->status > XT_STATUS_REJECTED)
		return 0;
	xt_jw_init(&w, buf, cap);
	xt_jw_object_begin(&w);
	xt_jw_key(&w, "order_id");
	xt_jw_uint(&w, v->order_id);
	xt_jw_key(&w, "symbol");
	xt_jw_cstring(&w, v->symbol);
	xt_jw_key(&w, "side");
	xt_jw_cstring(&w, xt_side_name((xt_side) v->side));
	xt_jw_key(&w, "order_type");
	xt_jw_cstring(&w, xt_order_type_name((xt_order_type) v->order_type));
	xt_jw_key(&w, "time_in_force");
	xt_jw_cstring(&w, xt_tif_name((xt_tif) v->tif));
	xt_jw_key(&w, "price");
	if (v->price == 0)
		xt_jw_null(&w);
	else
		xt_jw_decimal(&w, v->price, v->tick);
	xt_jw_key(&w, "quantity");
	xt_jw_decimal(&w, v->quantity, v->lot);
	xt_jw_key(&w, "filled_quantity");
	xt_jw_decimal(&w, v->filled, v->lot);
	xt_jw_key(&w, "remaining_quantity");
	xt_jw_decimal(&w, v->remaining, v->lot);
	xt_jw_key(&w, "status");
	xt_jw_cstring(&w, xt_status_name((xt_status) v->status));
	xt_jw_key(&w, "client_order_id");
	if (v->clordid == NULL || v->clordid_len == 0)
		xt_jw_null(&w);
	else
		xt_jw_string(&w, v->clordid, v->clordid_len);
	xt_jw_key(&w, "created_at");
	xt_jw_time_us(&w, v->created_at_us);
	xt_jw_key(&w, "updated_at");
	xt_jw_time_us(&w, v->updated_at_us);
	xt_jw_object_end(&w);
	return xt_jw_finish(&w);
}
