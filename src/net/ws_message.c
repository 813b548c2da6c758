/*
 * ws_message.c: WebSocket client message decoding and server message encoding.
 *
 * The encoders are the only producers of these bytes: the WebSocket server and the RabbitMQ
 * publisher call the same functions, so a client sees identical messages from either path.
 */
#include "net/ws_message.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "net/json.h"

#define WS_JSON_NODES	32
#define WS_JSON_TEXT	2048

/* printf-checked: the callers' format strings are verified by the compiler */
static xt_ws_error reject(char *msg, size_t msg_cap, xt_ws_error e, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

static xt_ws_error
reject(char *msg, size_t msg_cap, xt_ws_error e, const char *fmt,...)
{
	va_list		ap;

	if (msg_cap > 0)
	{
		va_start(ap, fmt);
		vsnprintf(msg, msg_cap, fmt, ap);
		va_end(ap);
	}
	return e;
}

/* How many bytes of client text s[0 .. len) to echo in a message: at most 40, cut on a UTF-8
 * boundary (the parser validated it) and before any NUL, so "%.*s" prints valid text. */
static int
echo_len(const char *s, size_t len)
{
	size_t		n = len < 40 ? len : 40;
	const char *nul = memchr(s, '\0', n);

	if (nul)
		n = (size_t) (nul - s);
	else if (n < len)
		while (n > 0 && ((unsigned char) s[n] & 0xC0) == 0x80)
			n--;
	return (int) n;
}

static bool
key_is(const xt_json_doc *doc, const xt_json_node *n, const char *name)
{
	return n->key_len == strlen(name) && memcmp(xt_json_key(doc, n), name, n->key_len) == 0;
}

/* Copy a STRING (or, for a timestamp, a NUMBER) member into dst[0 .. max] as a C string. */
static bool
copy_text(const xt_json_doc *doc, const xt_json_node *n, bool number_ok, char *dst, size_t max)
{
	if (!(n->type == XT_JSON_STRING || (number_ok && n->type == XT_JSON_NUMBER))
		|| n->len == 0 || n->len > max || memchr(xt_json_text(doc, n), '\0', n->len) != NULL)
		return false;
	memcpy(dst, xt_json_text(doc, n), n->len);
	dst[n->len] = '\0';
	return true;
}

static const struct
{
	const char *prefix;
	uint8_t		kind;
}			channel_prefixes[] = {
	{"orderbook.", XT_WS_CH_ORDERBOOK},
	{"trades.", XT_WS_CH_TRADES},
	{"ticker.", XT_WS_CH_TICKER},
};

static xt_ws_error
decode_channel(const xt_json_doc *doc, const xt_json_node *n, xt_symbol_lookup_fn lookup,
			   void *lookup_ctx, xt_ws_channel *ch, char *msg, size_t msg_cap)
{
	const char *t = xt_json_text(doc, n);

	memset(ch, 0, sizeof(*ch));
	if (n->type != XT_JSON_STRING)
		return reject(msg, msg_cap, XT_WS_INVALID_CHANNEL, "channels must be strings");
	if (n->len == 10 && memcmp(t, "executions", 10) == 0)
	{
		ch->kind = XT_WS_CH_EXECUTIONS;
		return XT_WS_OK;
	}
	for (size_t i = 0; i < sizeof(channel_prefixes) / sizeof(channel_prefixes[0]); i++)
	{
		size_t		plen = strlen(channel_prefixes[i].prefix);
		xt_symbol_spec spec;
		size_t		slen;

		if (n->len <= plen || memcmp(t, channel_prefixes[i].prefix, plen) != 0)
			continue;
		slen = n->len - plen;
		if (slen > XT_SYMBOL_NAME_MAX || memchr(t + plen, '\0', slen) != NULL
			|| !lookup(lookup_ctx, t + plen, slen, &spec))
			return reject(msg, msg_cap, XT_WS_UNKNOWN_SYMBOL, "unknown symbol in channel \"%.*s\"",
						  echo_len(t, n->len), t);
		ch->kind = channel_prefixes[i].kind;
		ch->symbol = spec.id;
		ch->symbol_len = (uint8_t) slen;
		memcpy(ch->symbol_name, t + plen, slen);
		ch->symbol_name[slen] = '\0';
		return XT_WS_OK;
	}
	return reject(msg, msg_cap, XT_WS_INVALID_CHANNEL,
				  "unknown channel: use orderbook.<SYMBOL>, trades.<SYMBOL>, ticker.<SYMBOL> or executions");
}

static bool
same_channel(const xt_ws_channel *a, const xt_ws_channel *b)
{
	return a->kind == b->kind && a->symbol_len == b->symbol_len
		&& memcmp(a->symbol_name, b->symbol_name, a->symbol_len) == 0;
}

static xt_ws_error
decode_message(const xt_json_doc *doc, xt_symbol_lookup_fn lookup, void *lookup_ctx,
			   xt_ws_request *out, char *msg, size_t msg_cap)
{
	const xt_json_node *root = &doc->nodes[0];
	const xt_json_node *op = xt_json_get(doc, root, "op", 2);
	const xt_json_node *n;

	if (root->type != XT_JSON_OBJECT)
		return reject(msg, msg_cap, XT_WS_INVALID_MESSAGE, "a message must be a JSON object");
	if (!op)
		return reject(msg, msg_cap, XT_WS_MISSING_FIELD, "op is required");
	if (xt_json_string_is(doc, op, "auth", 4))
		out->op = XT_WS_OP_AUTH;
	else if (xt_json_string_is(doc, op, "subscribe", 9))
		out->op = XT_WS_OP_SUBSCRIBE;
	else if (xt_json_string_is(doc, op, "unsubscribe", 11))
		out->op = XT_WS_OP_UNSUBSCRIBE;
	else if (xt_json_string_is(doc, op, "ping", 4))
		out->op = XT_WS_OP_PING;
	else
		return reject(msg, msg_cap, XT_WS_UNKNOWN_OP,
					  "op must be \"auth\", \"subscribe\", \"unsubscribe\" or \"ping\"");

	/* every member must belong to the op */
	for (n = xt_json_first(doc, root); n; n = xt_json_next(doc, n))
	{
		bool		ok = key_is(doc, n, "op");

		if (out->op == XT_WS_OP_AUTH)
			ok = ok || key_is(doc, n, "api_key") || key_is(doc, n, "timestamp")
				|| key_is(doc, n, "signature");
		else if (out->op != XT_WS_OP_PING)
			ok = ok || key_is(doc, n, "channels");
		if (!ok)
			return reject(msg, msg_cap, XT_WS_UNKNOWN_FIELD, "unknown field \"%.*s\"",
						  echo_len(xt_json_key(doc, n), n->key_len), xt_json_key(doc, n));
	}

	if (out->op == XT_WS_OP_AUTH)
	{
		static const struct
		{
			const char *name;
			bool		number_ok;
			size_t		offset;
			size_t		max;
		}			f[] = {
			{"api_key", false, offsetof(xt_ws_request, api_key), XT_WS_API_KEY_MAX},
			{"timestamp", true, offsetof(xt_ws_request, timestamp), XT_WS_TIMESTAMP_MAX},
			{"signature", false, offsetof(xt_ws_request, signature), XT_WS_SIGNATURE_MAX},
		};

		for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		{
			n = xt_json_get(doc, root, f[i].name, strlen(f[i].name));
			if (!n)
				return reject(msg, msg_cap, XT_WS_MISSING_FIELD, "%s is required", f[i].name);
			if (!copy_text(doc, n, f[i].number_ok, (char *) out + f[i].offset, f[i].max))
				return reject(msg, msg_cap, XT_WS_INVALID_FIELD,
							  "%s must be a %s of 1 to %zu characters", f[i].name,
							  f[i].number_ok ? "number or string" : "string", f[i].max);
		}
	}
	else if (out->op == XT_WS_OP_SUBSCRIBE || out->op == XT_WS_OP_UNSUBSCRIBE)
	{
		const xt_json_node *c;

		n = xt_json_get(doc, root, "channels", 8);
		if (!n)
			return reject(msg, msg_cap, XT_WS_MISSING_FIELD, "channels is required");
		if (n->type != XT_JSON_ARRAY || n->len == 0)
			return reject(msg, msg_cap, XT_WS_INVALID_CHANNEL,
						  "channels must be a non-empty array of channel names");
		if (n->len > XT_WS_CHANNELS_MAX)
			return reject(msg, msg_cap, XT_WS_TOO_MANY_CHANNELS,
						  "at most %d channels per message", XT_WS_CHANNELS_MAX);
		for (c = xt_json_first(doc, n); c; c = xt_json_next(doc, c))
		{
			xt_ws_channel *ch = &out->channels[out->n_channels];
			xt_ws_error e = decode_channel(doc, c, lookup, lookup_ctx, ch, msg, msg_cap);

			if (e != XT_WS_OK)
				return e;
			for (uint8_t i = 0; i < out->n_channels; i++)
				if (same_channel(&out->channels[i], ch))
					return reject(msg, msg_cap, XT_WS_INVALID_CHANNEL,
								  "a channel is listed twice");
			out->n_channels++;
		}
	}
	return XT_WS_OK;
}

xt_ws_error
xt_ws_decode(const char *text, size_t len, xt_symbol_lookup_fn lookup, void *lookup_ctx,
			 xt_ws_request *out, char *msg, size_t msg_cap)
{
	xt_json_node nodes[WS_JSON_NODES];
	char		strbuf[WS_JSON_TEXT];
	xt_json_doc doc;
	xt_json_error je;
	size_t		offset;
	xt_ws_error e;

	memset(out, 0, sizeof(*out));
	if (msg_cap > 0)
		msg[0] = '\0';
	if (len > XT_WS_MESSAGE_MAX)
		return reject(msg, msg_cap, XT_WS_MESSAGE_TOO_LARGE,
					  "a message has at most %d bytes", XT_WS_MESSAGE_MAX);
	xt_json_doc_init(&doc, nodes, WS_JSON_NODES, strbuf, sizeof(strbuf));
	/* a subscribe is op + one array of channels: depth 2 is all any valid message needs */
	doc.max_depth = 4;
	je = xt_json_parse(&doc, text, len, &offset);
	if (je == XT_JSON_ERR_TOO_MANY_NODES || je == XT_JSON_ERR_STRBUF)
		return reject(msg, msg_cap, XT_WS_INVALID_MESSAGE, "message too complex");
	if (je != XT_JSON_OK)
	{
		xt_json_error_message(je, offset, msg, msg_cap);
		return XT_WS_INVALID_JSON;
	}
	e = decode_message(&doc, lookup, lookup_ctx, out, msg, msg_cap);
	if (e != XT_WS_OK)
		memset(out, 0, sizeof(*out));
	return e;
}

const char *
xt_ws_error_name(xt_ws_error e)
{
	switch (e)
	{
		case XT_WS_OK:
			return "OK";
		case XT_WS_MESSAGE_TOO_LARGE:
			return "MESSAGE_TOO_LARGE";
		case XT_WS_INVALID_JSON:
			return "INVALID_JSON";
		case XT_WS_INVALID_MESSAGE:
			return "INVALID_MESSAGE";
		case XT_WS_MISSING_FIELD:
			return "MISSING_FIELD";
		case XT_WS_UNKNOWN_FIELD:
			return "UNKNOWN_FIELD";
		case XT_WS_UNKNOWN_OP:
			return "UNKNOWN_OP";
		case XT_WS_INVALID_FIELD:
			return "INVALID_FIELD";
		case XT_WS_INVALID_CHANNEL:
			return "INVALID_CHANNEL";
		case XT_WS_UNKNOWN_SYMBOL:
			return "UNKNOWN_SYMBOL";
		case XT_WS_TOO_MANY_CHANNELS:
			return "TOO_MANY_CHANNELS";
	}
	return "UNKNOWN";
}

size_t
xt_ws_channel_name(const xt_ws_channel *ch, char *buf, size_t cap)
{
	int			n;

	if (ch->kind == XT_WS_CH_EXECUTIONS)
		n = snprintf(buf, cap, "executions");
	else if (ch->kind >= XT_WS_CH_ORDERBOOK && ch->kind <= XT_WS_CH_TICKER)
		n = snprintf(buf, cap, "%s%s", channel_prefixes[ch->kind - XT_WS_CH_ORDERBOOK].prefix,
					 ch->symbol_name);
	else
		return 0;
	return n < 0 || (size_t) n >= cap ? 0 : (size_t) n;
}

/* ---- encoders ------------------------------------------------------------------------------ */

size_t
xt_ws_encode_execution(const xt_event *ev, xt_ws_role role, const char *symbol, xt_step tick,
					   xt_step lot, int64_t ts_ms, char *buf, size_t cap)
{
	xt_json_writer w;
	bool		taker = role == XT_WS_TAKER;
	uint8_t		status = taker ? ev->status : ev->maker_status;
	uint8_t		side = taker ? ev->side : (uint8_t) (ev->side ^ 1);

	if (cap == 0 || ev->type != XT_EV_TRADE || (role != XT_WS_TAKER && role != XT_WS_MAKER)
		|| ev->side > XT_SIDE_SELL
		|| (status != XT_STATUS_FILLED && status != XT_STATUS_PARTIALLY_FILLED
			&& status != XT_STATUS_PENDING))
		return 0;
	xt_jw_init(&w, buf, cap);
	xt_jw_object_begin(&w);
	xt_jw_key(&w, "type");
	xt_jw_cstring(&w, "Execution");
	xt_jw_key(&w, "execution_report");
	xt_jw_object_begin(&w);
	xt_jw_key(&w, "order_id");
	xt_jw_uint(&w, taker ? ev->order_id : ev->maker_order_id);
	xt_jw_key(&w, "execution_id");
	xt_jw_uint(&w, ev->trade_id);
	xt_jw_key(&w, "symbol");
	xt_jw_cstring(&w, symbol);
	xt_jw_key(&w, "side");
	xt_jw_cstring(&w, xt_side_name((xt_side) side));
	xt_jw_key(&w, "price");
	xt_jw_decimal(&w, ev->price, tick);
	xt_jw_key(&w, "quantity");
	xt_jw_decimal(&w, ev->quantity, lot);
	xt_jw_key(&w, "remaining_quantity");
	xt_jw_decimal(&w, taker ? ev->remaining : ev->maker_remaining, lot);
	xt_jw_key(&w, "role");
	xt_jw_cstring(&w, taker ? "taker" : "maker");
	xt_jw_key(&w, "seq");
	xt_jw_uint(&w, ev->seq);
	xt_jw_key(&w, "ts");
	xt_jw_int(&w, ts_ms);
	xt_jw_object_end(&w);
	xt_jw_key(&w, "order_status");
	xt_jw_cstring(&w, xt_status_name((xt_status) status));
	xt_jw_object_end(&w);
	return xt_jw_finish(&w);
}

static void
write_level(xt_json_writer *w, int64_t price, int64_t quantity, xt_step tick, xt_step lot)
{
	xt_jw_array_begin(w);
	xt_jw_decimal(w, price, tick);
	xt_jw_decimal(w, quantity, lot);
	xt_jw_array_end(w);
}

size_t
xt_ws_encode_book_snapshot(const char *symbol, xt_step tick, xt_step lot, uint64_t seq,
						   const xt_level_info *bids, uint32_t n_bids,
						   const xt_level_info *asks, uint32_t n_asks, char *buf, size_t cap)
{
	xt_json_writer w;

	if (cap == 0)
		return 0;
	xt_jw_init(&w, buf, cap);
	xt_jw_object_begin(&w);
	xt_jw_key(&w, "type");
	xt_jw_cstring(&w, "orderbook_snapshot");
	xt_jw_key(&w, "symbol");
	xt_jw_cstring(&w, symbol);
	xt_jw_key(&w, "seq");
	xt_jw_uint(&w, seq);
	xt_jw_key(&w, "bids");
	xt_jw_array_begin(&w);
	for (uint32_t i = 0; i < n_bids; i++)
		write_level(&w, bids[i].price, bids[i].quantity, tick, lot);
	xt_jw_array_end(&w);
	xt_jw_key(&w, "asks");
	xt_jw_array_begin(&w);
	for (uint32_t i = 0; i < n_asks; i++)
		write_level(&w, asks[i].price, asks[i].quantity, tick, lot);
	xt_jw_array_end(&w);
	xt_jw_object_end(&w);
	return xt_jw_finish(&w);
}

size_t
xt_ws_encode_book_update(const char *symbol, xt_step tick, xt_step lot, uint64_t seq,
						 const xt_event *levels, uint32_t n_levels, char *buf, size_t cap)
{
	xt_json_writer w;

	if (cap == 0)
		return 0;
	for (uint32_t i = 0; i < n_levels; i++)
		if (levels[i].type != XT_EV_LEVEL || levels[i].side > XT_SIDE_SELL)
			return 0;
	xt_jw_init(&w, buf, cap);
	xt_jw_object_begin(&w);
	xt_jw_key(&w, "type");
	xt_jw_cstring(&w, "orderbook_update");
	xt_jw_key(&w, "symbol");
	xt_jw_cstring(&w, symbol);
	xt_jw_key(&w, "seq");
	xt_jw_uint(&w, seq);
	for (int side = XT_SIDE_BUY; side <= XT_SIDE_SELL; side++)
	{
		xt_jw_key(&w, side == XT_SIDE_BUY ? "bids" : "asks");
		xt_jw_array_begin(&w);
		for (uint32_t i = 0; i < n_levels; i++)
			if (levels[i].side == side)
				write_level(&w, levels[i].price, levels[i].level_quantity, tick, lot);
		xt_jw_array_end(&w);
	}
	xt_jw_object_end(&w);
	return xt_jw_finish(&w);
}

size_t
xt_ws_encode_trade(const xt_event *ev, const char *symbol, xt_step tick, xt_step lot,
				   int64_t ts_ms, char *buf, size_t cap)
{
	xt_json_writer w;

	if (cap == 0 || ev->type != XT_EV_TRADE || ev->side > XT_SIDE_SELL)
		return 0;
	xt_jw_init(&w, buf, cap);
	xt_jw_object_begin(&w);
	xt_jw_key(&w, "type");
	xt_jw_cstring(&w, "trade");
	xt_jw_key(&w, "symbol");
	xt_jw_cstring(&w, symbol);
	xt_jw_key(&w, "trade_id");
	xt_jw_uint(&w, ev->trade_id);
	xt_jw_key(&w, "price");
	xt_jw_decimal(&w, ev->price, tick);
	xt_jw_key(&w, "quantity");
	xt_jw_decimal(&w, ev->quantity, lot);
	xt_jw_key(&w, "taker_side");
	xt_jw_cstring(&w, xt_side_name((xt_side) ev->side));
	xt_jw_key(&w, "seq");
	xt_jw_uint(&w, ev->seq);
	xt_jw_key(&w, "ts");
	xt_jw_int(&w, ts_ms);
	xt_jw_object_end(&w);
	return xt_jw_finish(&w);
}

static void
price_or_null(xt_json_writer *w, const char *key, int64_t price, xt_step tick)
{
	xt_jw_key(w, key);
	if (price == 0)
		xt_jw_null(w);
	else
		xt_jw_decimal(w, price, tick);
}

size_t
xt_ws_encode_ticker(const xt_ws_ticker *t, char *buf, size_t cap)
{
	xt_json_writer w;

	if (cap == 0)
		return 0;
	xt_jw_init(&w, buf, cap);
	xt_jw_object_begin(&w);
	xt_jw_key(&w, "type");
	xt_jw_cstring(&w, "ticker");
	xt_jw_key(&w, "symbol");
	xt_jw_cstring(&w, t->symbol);
	price_or_null(&w, "last_price", t->last_price, t->tick);
	price_or_null(&w, "best_bid", t->best_bid, t->tick);
	price_or_null(&w, "best_ask", t->best_ask, t->tick);
	xt_jw_key(&w, "volume_24h");
	xt_jw_decimal(&w, t->volume_24h, t->lot);
	xt_jw_key(&w, "seq");
	xt_jw_uint(&w, t->seq);
	xt_jw_key(&w, "ts");
	xt_jw_int(&w, t->ts_ms);
	xt_jw_object_end(&w);
	return xt_jw_finish(&w);
}

size_t
xt_ws_encode_pong(int64_t ts_ms, char *buf, size_t cap)
{
	xt_json_writer w;

	if (cap == 0)
		return 0;
	xt_jw_init(&w, buf, cap);
	xt_jw_object_begin(&w);
	xt_jw_key(&w, "type");
	xt_jw_cstring(&w, "pong");
	xt_jw_key(&w, "ts");
	xt_jw_int(&w, ts_ms);
	xt_jw_object_end(&w);
	return xt_jw_finish(&w);
}

size_t
xt_ws_encode_authenticated(char *buf, size_t cap)
{
	xt_json_writer w;

	if (cap == 0)
		return 0;
	xt_jw_init(&w, buf, cap);
	xt_jw_object_begin(&w);
	xt_jw_key(&w, "type");
	xt_jw_cstring(&w, "authenticated");
	xt_jw_object_end(&w);
	return xt_jw_finish(&w);
}

size_t
xt_ws_encode_subscribed(xt_ws_op op, const xt_ws_channel *channels, uint32_t n, char *buf,
						size_t cap)
{
	xt_json_writer w;

	if (cap == 0 || (op != XT_WS_OP_SUBSCRIBE && op != XT_WS_OP_UNSUBSCRIBE))
		return 0;
	xt_jw_init(&w, buf, cap);
	xt_jw_object_begin(&w);
	xt_jw_key(&w, "type");
	xt_jw_cstring(&w, op == XT_WS_OP_SUBSCRIBE ? "subscribed" : "unsubscribed");
	xt_jw_key(&w, "channels");
	xt_jw_array_begin(&w);
	for (uint32_t i = 0; i < n; i++)
	{
		char		name[XT_SYMBOL_NAME_MAX + 16];
		size_t		len = xt_ws_channel_name(&channels[i], name, sizeof(name));

		if (len == 0)
			return 0;
		xt_jw_string(&w, name, len);
	}
	xt_jw_array_end(&w);
	xt_jw_object_end(&w);
	return xt_jw_finish(&w);
}

size_t
xt_ws_encode_error(const char *code, const char *message, char *buf, size_t cap)
{
	xt_json_writer w;

	if (cap == 0)
		return 0;
	xt_jw_init(&w, buf, cap);
	xt_jw_object_begin(&w);
	xt_jw_key(&w, "type");
	xt_jw_cstring(&w, "error");
	xt_jw_key(&w, "error");
	xt_jw_cstring(&w, code);
	xt_jw_key(&w, "message");
	xt_jw_cstring(&w, message);
	xt_jw_object_end(&w);
	return xt_jw_finish(&w);
}
