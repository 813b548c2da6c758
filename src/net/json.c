/*
 * json.c: strict RFC 8259 parser into a caller arena, and the bounded writer.
 *
 * The parser is a recursive descent whose recursion is bounded by max_depth (at most
 * XT_JSON_DEPTH_MAX frames), so a hostile "[[[[..." cannot exhaust the stack. Duplicate keys are
 * found by comparing each new key with the earlier keys of its object: quadratic in the members of
 * one object, which the caller bounds through max_nodes (the order and WS decoders use small
 * arenas), and it needs no memory beyond the arena.
 */
#include "net/json.h"

#include "common/utf8.h"

#include <stdio.h>
#include <string.h>

typedef struct parser
{
	xt_json_doc *doc;
	const unsigned char *p;
	const unsigned char *end;
	const unsigned char *start;
	xt_json_error err;
	const unsigned char *err_at;
} parser;

static bool
fail(parser *ps, xt_json_error e, const unsigned char *at)
{
	if (ps->err == XT_JSON_OK)
	{
		ps->err = e;
		ps->err_at = at;
	}
	return false;
}

static void
skip_ws(parser *ps)
{
	while (ps->p < ps->end &&
		   (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static bool
new_node(parser *ps, xt_json_type type, uint32_t *idx)
{
	xt_json_doc *doc = ps->doc;
	xt_json_node *n;

	if (doc->count >= doc->max_nodes)
		return fail(ps, XT_JSON_ERR_TOO_MANY_NODES, ps->p);
	*idx = doc->count++;
	n = &doc->nodes[*idx];
	memset(n, 0, sizeof(*n));
	n->type = (uint8_t) type;
	n->next = XT_JSON_NONE;
	return true;
}

static bool
strbuf_put(parser *ps, const void *bytes, size_t n)
{
	xt_json_doc *doc = ps->doc;

	if (doc->strbuf_cap - doc->strbuf_len < n)
		return fail(ps, XT_JSON_ERR_STRBUF, ps->p);
	memcpy(doc->strbuf + doc->strbuf_len, bytes, n);
	doc->strbuf_len += n;
	return true;
}

static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits after "\u" at ps->p; advances past them. */
static bool
read_hex4(parser *ps, uint32_t *out)
{
	uint32_t	v = 0;

	for (int i = 0; i < 4; i++)
	{
		int			h;

		if (ps->p >= ps->end)
			return fail(ps, XT_JSON_ERR_TRUNCATED, ps->p);
		h = hex_value(*ps->p);
		if (h < 0)
			return fail(ps, XT_JSON_ERR_ESCAPE, ps->p);
		v = v * 16 + (uint32_t) h;
		ps->p++;
	}
	*out = v;
	return true;
}

static bool
put_code_point(parser *ps, uint32_t cp)
{
	unsigned char b[4];
	size_t		n;

	if (cp < 0x80)
	{
		b[0] = (unsigned char) cp;
		n = 1;
	}
	else if (cp < 0x800)
	{
		b[0] = (unsigned char) (0xC0 | (cp >> 6));
		b[1] = (unsigned char) (0x80 | (cp & 0x3F));
		n = 2;
	}
	else if (cp < 0x10000)
	{
		b[0] = (unsigned char) (0xE0 | (cp >> 12));
		b[1] = (unsigned char) (0x80 | ((cp >> 6) & 0x3F));
		b[2] = (unsigned char) (0x80 | (cp & 0x3F));
		n = 3;
	}
	else
	{
		b[0] = (unsigned char) (0xF0 | (cp >> 18));
		b[1] = (unsigned char) (0x80 | ((cp >> 12) & 0x3F));
		b[2] = (unsigned char) (0x80 | ((cp >> 6) & 0x3F));
		b[3] = (unsigned char) (0x80 | (cp & 0x3F));
		n = 4;
	}
	return strbuf_put(ps, b, n);
}

/* A string at ps->p (the opening quote); its decoded text goes to the string buffer. */
static bool
parse_string(parser *ps, uint32_t *off, uint32_t *len)
{
	xt_json_doc *doc = ps->doc;
	size_t		begin = doc->strbuf_len;

	ps->p++;					/* the quote */
	for (;;)
	{
		const unsigned char *run = ps->p;

		/* copy runs of plain ASCII at once */
		while (ps->p < ps->end && *ps->p >= 0x20 && *ps->p < 0x80 && *ps->p != '"' && *ps->p != '\\')
			ps->p++;
		if (ps->p > run && !strbuf_put(ps, run, (size_t) (ps->p - run)))
			return false;
		if (ps->p >= ps->end)
			return fail(ps, XT_JSON_ERR_TRUNCATED, ps->p);

		if (*ps->p == '"')
		{
			ps->p++;
			break;
		}
		else if (*ps->p < 0x20)
			return fail(ps, XT_JSON_ERR_STRING, ps->p);
		else if (*ps->p >= 0x80)
		{
			bool		truncated;
			size_t		n = xt_utf8_seq(ps->p, (size_t) (ps->end - ps->p), &truncated);

			if (n == 0)
				return fail(ps, truncated ? XT_JSON_ERR_TRUNCATED : XT_JSON_ERR_UTF8, ps->p);
			if (!strbuf_put(ps, ps->p, n))
				return false;
			ps->p += n;
		}
		else
		{
			/* an escape */
			const unsigned char *esc = ps->p;
			char		c;

			ps->p++;
			if (ps->p >= ps->end)
				return fail(ps, XT_JSON_ERR_TRUNCATED, ps->p);
			switch (*ps->p)
			{
				case '"':
				case '\\':
				case '/':
					c = (char) *ps->p;
					break;
				case 'b':
					c = '\b';
					break;
				case 'f':
					c = '\f';
					break;
				case 'n':
					c = '\n';
					break;
				case 'r':
					c = '\r';
					break;
				case 't':
					c = '\t';
					break;
				case 'u':
					{
						uint32_t	cp;

						ps->p++;
						if (!read_hex4(ps, &cp))
							return false;
						if (cp >= 0xDC00 && cp <= 0xDFFF)
							return fail(ps, XT_JSON_ERR_ESCAPE, esc);
						if (cp >= 0xD800 && cp <= 0xDBFF)
						{
							uint32_t	lo;

							/* a high surrogate must be followed by "\u" + a low one */
							if (ps->end - ps->p < 2)
								return fail(ps, ps->p == ps->end || *ps->p == '\\'
											? XT_JSON_ERR_TRUNCATED : XT_JSON_ERR_ESCAPE, esc);
							if (ps->p[0] != '\\' || ps->p[1] != 'u')
								return fail(ps, XT_JSON_ERR_ESCAPE, esc);
							ps->p += 2;
							if (!read_hex4(ps, &lo))
								return false;
							if (lo < 0xDC00 || lo > 0xDFFF)
								return fail(ps, XT_JSON_ERR_ESCAPE, esc);
							cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
						}
						if (!put_code_point(ps, cp))
							return false;
						continue;
					}
				default:
					return fail(ps, XT_JSON_ERR_ESCAPE, esc);
			}
			ps->p++;
			if (!strbuf_put(ps, &c, 1))
				return false;
		}
	}
	*off = (uint32_t) begin;
	*len = (uint32_t) (doc->strbuf_len - begin);
	return strbuf_put(ps, "", 1);
}

/* number = [ "-" ] int [ frac ] [ exp ]; int = "0" / digit1-9 *digit */
static bool
parse_number(parser *ps, uint32_t idx)
{
	const unsigned char *start = ps->p;
	xt_json_node *n;

	if (ps->p < ps->end && *ps->p == '-')
		ps->p++;
	if (ps->p >= ps->end)
		return fail(ps, XT_JSON_ERR_TRUNCATED, ps->p);
	if (*ps->p == '0')
	{
		ps->p++;
		if (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			return fail(ps, XT_JSON_ERR_NUMBER, ps->p);
	}
	else if (*ps->p >= '1' && *ps->p <= '9')
	{
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	else
		return fail(ps, XT_JSON_ERR_NUMBER, ps->p);

	if (ps->p < ps->end && *ps->p == '.')
	{
		ps->p++;
		if (ps->p >= ps->end)
			return fail(ps, XT_JSON_ERR_TRUNCATED, ps->p);
		if (!(*ps->p >= '0' && *ps->p <= '9'))
			return fail(ps, XT_JSON_ERR_NUMBER, ps->p);
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E'))
	{
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (ps->p >= ps->end)
			return fail(ps, XT_JSON_ERR_TRUNCATED, ps->p);
		if (!(*ps->p >= '0' && *ps->p <= '9'))
			return fail(ps, XT_JSON_ERR_NUMBER, ps->p);
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}

	n = &ps->doc->nodes[idx];
	n->text = (uint32_t) ps->doc->strbuf_len;
	n->len = (uint32_t) (ps->p - start);
	return strbuf_put(ps, start, n->len) && strbuf_put(ps, "", 1);
}

static bool
parse_literal(parser *ps, const char *word, size_t len)
{
	if ((size_t) (ps->end - ps->p) < len)
	{
		/* a prefix of the word that reaches the end is truncated, anything else is syntax */
		if (memcmp(ps->p, word, (size_t) (ps->end - ps->p)) == 0)
			return fail(ps, XT_JSON_ERR_TRUNCATED, ps->end);
		return fail(ps, XT_JSON_ERR_SYNTAX, ps->p);
	}
	if (memcmp(ps->p, word, len) != 0)
		return fail(ps, XT_JSON_ERR_SYNTAX, ps->p);
	ps->p += len;
	return true;
}

static bool parse_value(parser *ps, uint32_t depth, uint32_t *out);

/* Does an earlier member of the object at obj already use the key of node idx? */
static bool
duplicate_key(const xt_json_doc *doc, uint32_t first, uint32_t idx)
{
	const xt_json_node *k = &doc->nodes[idx];

	for (uint32_t i = first; i != idx; i = doc->nodes[i].next)
	{
		const xt_json_node *m = &doc->nodes[i];

		if (m->key_len == k->key_len
			&& memcmp(doc->strbuf + m->key, doc->strbuf + k->key, k->key_len) == 0)
			return true;
	}
	return false;
}

static bool
parse_container(parser *ps, uint32_t depth, uint32_t idx, bool is_object)
{
	xt_json_doc *doc = ps->doc;
	uint32_t	prev = XT_JSON_NONE;
	uint32_t	first = XT_JSON_NONE;
	unsigned char close = is_object ? '}' : ']';

	if (depth >= doc->max_depth)
		return fail(ps, XT_JSON_ERR_DEPTH, ps->p);
	ps->p++;					/* '{' or '[' */
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close)
	{
		ps->p++;
		return true;
	}
	for (;;)
	{
		uint32_t	key_off = 0,
					key_len = 0,
					child;
		const unsigned char *key_at = ps->p;

		if (is_object)
		{
			if (ps->p >= ps->end)
				return fail(ps, XT_JSON_ERR_TRUNCATED, ps->p);
			if (*ps->p != '"')
				return fail(ps, XT_JSON_ERR_SYNTAX, ps->p);
			if (!parse_string(ps, &key_off, &key_len))
				return false;
			skip_ws(ps);
			if (ps->p >= ps->end)
				return fail(ps, XT_JSON_ERR_TRUNCATED, ps->p);
			if (*ps->p != ':')
				return fail(ps, XT_JSON_ERR_SYNTAX, ps->p);
			ps->p++;
		}
		if (!parse_value(ps, depth + 1, &child))
			return false;
		doc->nodes[child].key = key_off;
		doc->nodes[child].key_len = key_len;
		if (first == XT_JSON_NONE)
			first = child;
		else
			doc->nodes[prev].next = child;
		if (is_object && duplicate_key(doc, first, child))
			return fail(ps, XT_JSON_ERR_DUPLICATE_KEY, key_at);
		prev = child;
		doc->nodes[idx].len++;

		skip_ws(ps);
		if (ps->p >= ps->end)
			return fail(ps, XT_JSON_ERR_TRUNCATED, ps->p);
		if (*ps->p == close)
		{
			ps->p++;
			return true;
		}
		if (*ps->p != ',')
			return fail(ps, XT_JSON_ERR_SYNTAX, ps->p);
		ps->p++;
		skip_ws(ps);
	}
}

/* One value (with leading whitespace) at ps->p; depth counts the containers around it. */
static bool
parse_value(parser *ps, uint32_t depth, uint32_t *out)
{
	uint32_t	idx;
	uint32_t	off,
				len;

	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, depth == 0 ? XT_JSON_ERR_EMPTY : XT_JSON_ERR_TRUNCATED, ps->p);
	switch (*ps->p)
	{
		case '{':
		case '[':
			if (!new_node(ps, *ps->p == '{' ? XT_JSON_OBJECT : XT_JSON_ARRAY, &idx))
				return false;
			*out = idx;
			return parse_container(ps, depth, idx, *ps->p == '{');
		case '"':
			if (!new_node(ps, XT_JSON_STRING, &idx) || !parse_string(ps, &off, &len))
				return false;
			ps->doc->nodes[idx].text = off;
			ps->doc->nodes[idx].len = len;
			*out = idx;
			return true;
		case 't':
			return new_node(ps, XT_JSON_TRUE, out) && parse_literal(ps, "true", 4);
		case 'f':
			return new_node(ps, XT_JSON_FALSE, out) && parse_literal(ps, "false", 5);
		case 'n':
			return new_node(ps, XT_JSON_NULL, out) && parse_literal(ps, "null", 4);
		default:
			if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
				return new_node(ps, XT_JSON_NUMBER, out) && parse_number(ps, *out);
			if (*ps->p >= 0x80)
			{
				bool		truncated;

				/* a non-ASCII byte outside a string: say whether it was even UTF-8 */
				if (xt_utf8_seq(ps->p, (size_t) (ps->end - ps->p), &truncated) == 0)
					return fail(ps, XT_JSON_ERR_UTF8, ps->p);
			}
			return fail(ps, XT_JSON_ERR_SYNTAX, ps->p);
	}
}

void
xt_json_doc_init(xt_json_doc *doc, xt_json_node *nodes, uint32_t max_nodes, char *strbuf,
				 size_t strbuf_cap)
{
	doc->nodes = nodes;
	doc->max_nodes = max_nodes;
	doc->count = 0;
	doc->strbuf = strbuf;
	doc->strbuf_cap = strbuf_cap;
	doc->strbuf_len = 0;
	doc->max_depth = XT_JSON_DEPTH_DEFAULT;
}

xt_json_error
xt_json_parse(xt_json_doc *doc, const char *text, size_t len, size_t *err_offset)
{
	parser		ps;
	uint32_t	root;

	doc->count = 0;
	doc->strbuf_len = 0;
	if (doc->max_depth > XT_JSON_DEPTH_MAX)
		doc->max_depth = XT_JSON_DEPTH_MAX;
	if (len > XT_JSON_INPUT_MAX)
	{
		if (err_offset)
			*err_offset = XT_JSON_INPUT_MAX;
		return XT_JSON_ERR_TOO_LARGE;
	}
	ps.doc = doc;
	ps.start = (const unsigned char *) text;
	ps.p = ps.start;
	ps.end = ps.start + len;
	ps.err = XT_JSON_OK;
	ps.err_at = ps.start;

	if (parse_value(&ps, 0, &root))
	{
		skip_ws(&ps);
		if (ps.p != ps.end)
			fail(&ps, XT_JSON_ERR_TRAILING, ps.p);
	}
	if (err_offset)
		*err_offset = ps.err == XT_JSON_OK ? 0 : (size_t) (ps.err_at - ps.start);
	return ps.err;
}

const xt_json_node *
xt_json_first(const xt_json_doc *doc, const xt_json_node *n)
{
	(void) doc;
	if ((n->type != XT_JSON_ARRAY && n->type != XT_JSON_OBJECT) || n->len == 0)
		return NULL;
	return n + 1;				/* pre-order: the first child follows its parent */
}

const xt_json_node *
xt_json_next(const xt_json_doc *doc, const xt_json_node *n)
{
	return n->next == XT_JSON_NONE ? NULL : &doc->nodes[n->next];
}

const xt_json_node *
xt_json_get(const xt_json_doc *doc, const xt_json_node *obj, const char *name, size_t name_len)
{
	if (obj->type != XT_JSON_OBJECT)
		return NULL;
	for (const xt_json_node *m = xt_json_first(doc, obj); m; m = xt_json_next(doc, m))
		if (m->key_len == name_len && memcmp(doc->strbuf + m->key, name, name_len) == 0)
			return m;
	return NULL;
}

bool
xt_json_string_is(const xt_json_doc *doc, const xt_json_node *n, const char *s, size_t len)
{
	return n->type == XT_JSON_STRING && n->len == len && memcmp(doc->strbuf + n->text, s, len) == 0;
}

const char *
xt_json_error_name(xt_json_error e)
{
	switch (e)
	{
		case XT_JSON_OK:
			return "OK";
		case XT_JSON_ERR_EMPTY:
			return "EMPTY";
		case XT_JSON_ERR_SYNTAX:
			return "SYNTAX";
		case XT_JSON_ERR_TRUNCATED:
			return "TRUNCATED";
		case XT_JSON_ERR_NUMBER:
			return "NUMBER";
		case XT_JSON_ERR_STRING:
			return "STRING";
		case XT_JSON_ERR_ESCAPE:
			return "ESCAPE";
		case XT_JSON_ERR_UTF8:
			return "UTF8";
		case XT_JSON_ERR_DUPLICATE_KEY:
			return "DUPLICATE_KEY";
		case XT_JSON_ERR_TRAILING:
			return "TRAILING";
		case XT_JSON_ERR_DEPTH:
			return "DEPTH";
		case XT_JSON_ERR_TOO_MANY_NODES:
			return "TOO_MANY_NODES";
		case XT_JSON_ERR_STRBUF:
			return "STRBUF";
		case XT_JSON_ERR_TOO_LARGE:
			return "TOO_LARGE";
	}
	return "UNKNOWN";
}

size_t
xt_json_error_message(xt_json_error e, size_t offset, char *buf, size_t cap)
{
	const char *what;
	int			n;

	switch (e)
	{
		case XT_JSON_OK:
			what = "no error";
			break;
		case XT_JSON_ERR_EMPTY:
			what = "empty document";
			break;
		case XT_JSON_ERR_SYNTAX:
			what = "unexpected character";
			break;
		case XT_JSON_ERR_TRUNCATED:
			what = "unexpected end of input";
			break;
		case XT_JSON_ERR_NUMBER:
			what = "malformed number";
			break;
		case XT_JSON_ERR_STRING:
			what = "control character in string";
			break;
		case XT_JSON_ERR_ESCAPE:
			what = "invalid escape";
			break;
		case XT_JSON_ERR_UTF8:
			what = "invalid UTF-8";
			break;
		case XT_JSON_ERR_DUPLICATE_KEY:
			what = "duplicate key";
			break;
		case XT_JSON_ERR_TRAILING:
			what = "unexpected data after the value";
			break;
		case XT_JSON_ERR_DEPTH:
			what = "nesting too deep";
			break;
		case XT_JSON_ERR_TOO_MANY_NODES:
			what = "too many values";
			break;
		case XT_JSON_ERR_STRBUF:
			what = "too much text";
			break;
		case XT_JSON_ERR_TOO_LARGE:
			what = "document larger than 65536 bytes";
			break;
		default:
			what = "unknown error";
			break;
	}
	n = snprintf(buf, cap, "%s at byte %zu", what, offset);
	return n < 0 ? 0 : (size_t) n;
}

/* ---- writer ------------------------------------------------------------------------------- */

/* The writer's own nesting bound: one bit of `nonempty` per level, level 0 the top. */
#define XT_JW_DEPTH_MAX 63

static void
jw_put(xt_json_writer *w, const char *s, size_t n)
{
	if (w->overflow)
		return;
	if (w->cap - 1 - w->len < n)
	{
		w->overflow = true;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

/* Before any value or key: a comma if the current container already has an entry. */
static void
jw_separate(xt_json_writer *w)
{
	if (w->after_key)
	{
		w->after_key = false;
		return;
	}
	if (w->nonempty & ((uint64_t) 1 << w->depth))
		jw_put(w, ",", 1);
	w->nonempty |= (uint64_t) 1 << w->depth;
}

void
xt_jw_init(xt_json_writer *w, char *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->overflow = cap == 0;
	w->after_key = false;
	w->depth = 0;
	w->nonempty = 0;
	if (cap > 0)
		buf[0] = '\0';
}

size_t
xt_jw_finish(const xt_json_writer *w)
{
	return w->overflow || w->depth != 0 || w->after_key ? 0 : w->len;
}

static void
jw_open(xt_json_writer *w, const char *c)
{
	jw_separate(w);
	if (w->depth >= XT_JW_DEPTH_MAX)
	{
		w->overflow = true;
		return;
	}
	jw_put(w, c, 1);
	w->depth++;
	w->nonempty &= ~((uint64_t) 1 << w->depth);
}

static void
jw_close(xt_json_writer *w, const char *c)
{
	if (w->depth == 0 || w->after_key)
	{
		w->overflow = true;		/* unbalanced: an encoder bug, never emit it */
		return;
	}
	w->depth--;
	jw_put(w, c, 1);
}

void
xt_jw_object_begin(xt_json_writer *w)
{
	jw_open(w, "{");
}

void
xt_jw_object_end(xt_json_writer *w)
{
	jw_close(w, "}");
}

void
xt_jw_array_begin(xt_json_writer *w)
{
	jw_open(w, "[");
}

void
xt_jw_array_end(xt_json_writer *w)
{
	jw_close(w, "]");
}

static void
jw_escaped(xt_json_writer *w, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t		run = 0;

	jw_put(w, "\"", 1);
	for (size_t i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];
		char		esc[6];
		size_t		n = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		jw_put(w, s + run, i - run);
		run = i + 1;
		esc[0] = '\\';
		switch (c)
		{
			case '"':
				esc[1] = '"';
				break;
			case '\\':
				esc[1] = '\\';
				break;
			case '\b':
				esc[1] = 'b';
				break;
			case '\f':
				esc[1] = 'f';
				break;
			case '\n':
				esc[1] = 'n';
				break;
			case '\r':
				esc[1] = 'r';
				break;
			case '\t':
				esc[1] = 't';
				break;
			default:
				esc[1] = 'u';
				esc[2] = '0';
				esc[3] = '0';
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 15];
				n = 6;
				break;
		}
		jw_put(w, esc, n);
	}
	jw_put(w, s + run, len - run);
	jw_put(w, "\"", 1);
}

void
xt_jw_key(xt_json_writer *w, const char *key)
{
	if (w->after_key || w->depth == 0)
	{
		w->overflow = true;		/* a key where a value belongs */
		return;
	}
	jw_separate(w);
	jw_escaped(w, key, strlen(key));
	jw_put(w, ":", 1);
	w->after_key = true;
}

void
xt_jw_string(xt_json_writer *w, const char *s, size_t len)
{
	jw_separate(w);
	jw_escaped(w, s, len);
}

void
xt_jw_cstring(xt_json_writer *w, const char *s)
{
	xt_jw_string(w, s, strlen(s));
}

static void
jw_digits(xt_json_writer *w, uint64_t v)
{
	char		digits[20];
	size_t		n = 0;

	do
	{
		digits[sizeof(digits) - 1 - n++] = (char) ('0' + v % 10);
		v /= 10;
	} while (v != 0);
	jw_put(w, digits + sizeof(digits) - n, n);
}

void
xt_jw_uint(xt_json_writer *w, uint64_t v)
{
	jw_separate(w);
	jw_digits(w, v);
}

void
xt_jw_int(xt_json_writer *w, int64_t v)
{
	jw_separate(w);
	if (v < 0)
	{
		jw_put(w, "-", 1);
		/* -(v + 1) + 1 avoids negating INT64_MIN */
		jw_digits(w, (uint64_t) (-(v + 1)) + 1);
	}
	else
		jw_digits(w, (uint64_t) v);
}

void
xt_jw_bool(xt_json_writer *w, bool v)
{
	jw_separate(w);
	jw_put(w, v ? "true" : "false", v ? 4 : 5);
}

void
xt_jw_null(xt_json_writer *w)
{
	jw_separate(w);
	jw_put(w, "null", 4);
}

void
xt_jw_decimal(xt_json_writer *w, int64_t units, xt_step step)
{
	char		text[XT_DECIMAL_TEXT_MAX + 1];
	size_t		n = xt_units_to_decimal(units, step, text, sizeof(text));

	if (n == 0)
	{
		w->overflow = true;
		return;
	}
	jw_separate(w);
	jw_put(w, "\"", 1);
	jw_put(w, text, n);
	jw_put(w, "\"", 1);
}

/* Days since 1970-01-01 -> civil date (H. Hinnant's days_from_civil inverse, proleptic
 * Gregorian), exact for any int64 day count this writer accepts. */
static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t		era,
				yoe,
				doy,
				mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	yoe = z - era * 146097;
	yoe = (yoe - yoe / 1460 + yoe / 36524 - yoe / 146096) / 365;
	doy = z - era * 146097 - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* 0001-01-01 and 10000-01-01 in microseconds since the epoch */
#define XT_TIME_US_MIN	(-62135596800LL * 1000000)
#define XT_TIME_US_END	(253402300800LL * 1000000)

void
xt_jw_time_us(xt_json_writer *w, int64_t us)
{
	int64_t		secs,
				frac,
				days,
				sod,
				year;
	int			month,
				day;
	char		text[40];
	int			n;

	if (us < XT_TIME_US_MIN || us >= XT_TIME_US_END)
	{
		w->overflow = true;
		return;
	}
	/* floor division, so instants before 1970 land on the right second and day */
	secs = us / 1000000;
	frac = us % 1000000;
	if (frac < 0)
	{
		frac += 1000000;
		secs--;
	}
	days = secs / 86400;
	sod = secs % 86400;
	if (sod < 0)
	{
		sod += 86400;
		days--;
	}
	civil_from_days(days, &year, &month, &day);
	n = snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", (int) year, month,
				 day, (int) (sod / 3600), (int) (sod / 60 % 60), (int) (sod % 60), (int) frac);
	xt_jw_string(w, text, (size_t) n);
}

size_t
xt_json_error_body(char *buf, size_t cap, const char *code, const char *message)
{
	xt_json_writer w;

	if (cap == 0)
		return 0;
	xt_jw_init(&w, buf, cap);
	xt_jw_object_begin(&w);
	xt_jw_key(&w, "error");
	xt_jw_cstring(&w, code);
	xt_jw_key(&w, "message");
	xt_jw_cstring(&w, message);
	xt_jw_object_end(&w);
	return xt_jw_finish(&w);
}
