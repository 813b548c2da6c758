/*
 * exec_msg.c: the stored fields of an Execution message (exec_msg.h), for the consumer group.
 *
 * Each check mirrors what PostgreSQL would refuse when storing the row (a NOT NULL, a bigint or
 * numeric that does not parse, the role CHECK, a NUL in a text), so a bad message is refused here,
 * with a clear reason, before its batch goes to the database. A few are stricter than PostgreSQL's
 * casts (no spaces or '+' around a number, no NaN or Infinity as a price): such a message is not
 * what the exchange publishes, and the dead-letter table is the place to look at it.
 */
#include "brokers/exec_msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static bool set_err(char *err, size_t errlen, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

static bool
set_err(char *err, size_t errlen, const char *fmt,...)
{
	va_list		ap;

	if (err != NULL && errlen > 0)
	{
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return false;
}

/* -?digits(.digits)?([eE][+-]?digits)?: the JSON number grammar, also for decimals in strings. */
static bool
is_decimal(const char *s, size_t n)
{
	size_t		i = 0;
	size_t		d;

	if (i < n && s[i] == '-')
		i++;
	for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		;
	if (i == d)
		return false;
	if (i < n && s[i] == '.')
	{
		for (d = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return false;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E'))
	{
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return false;
	}
	return i == n;
}

/* -?digits within int64. */
static bool
parse_int64(const char *s, size_t n, int64_t *out)
{
	bool		neg = false;
	uint64_t	v = 0;
	uint64_t	limit;
	size_t		i = 0;

	if (i < n && s[i] == '-')
	{
		neg = true;
		i++;
	}
	if (i == n)
		return false;
	limit = neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
	for (; i < n; i++)
	{
		uint64_t	d;

		if (s[i] < '0' || s[i] > '9')
			return false;
		d = (uint64_t) (s[i] - '0');
		if (v > (limit - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = neg ? (int64_t) (0 - v) : (int64_t) v;
	return true;
}

/* The member name of obj as a string without NUL; NULL with err set otherwise. */
static const char *
get_string(const xt_json_doc *doc, const xt_json_node *obj, const char *prefix, const char *name,
		   char *err, size_t errlen)
{
	const xt_json_node *m = xt_json_get(doc, obj, name, strlen(name));
	const char *t;

	if (m == NULL)
	{
		set_err(err, errlen, "%s%s is missing", prefix, name);
		return NULL;
	}
	if (m->type != XT_JSON_STRING)
	{
		set_err(err, errlen, "%s%s is not a string", prefix, name);
		return NULL;
	}
	t = xt_json_text(doc, m);
	if (memchr(t, '\0', m->len) != NULL)
	{
		set_err(err, errlen, "%s%s holds a NUL character", prefix, name);
		return NULL;
	}
	return t;
}

static bool
get_int64(const xt_json_doc *doc, const xt_json_node *obj, const char *name, int64_t *out,
		  char *err, size_t errlen)
{
	const xt_json_node *m = xt_json_get(doc, obj, name, strlen(name));

	if (m == NULL)
		return set_err(err, errlen, "execution_report.%s is missing", name);
	if ((m->type != XT_JSON_NUMBER && m->type != XT_JSON_STRING) ||
		!parse_int64(xt_json_text(doc, m), m->len, out))
		return set_err(err, errlen, "execution_report.%s is not an integer in the bigint range",
					   name);
	return true;
}

static const char *
get_decimal(const xt_json_doc *doc, const xt_json_node *obj, const char *name, char *err,
			size_t errlen)
{
	const xt_json_node *m = xt_json_get(doc, obj, name, strlen(name));

	if (m == NULL)
	{
		set_err(err, errlen, "execution_report.%s is missing", name);
		return NULL;
	}
	if ((m->type != XT_JSON_NUMBER && m->type != XT_JSON_STRING) ||
		!is_decimal(xt_json_text(doc, m), m->len))
	{
		set_err(err, errlen, "execution_report.%s is not a decimal number", name);
		return NULL;
	}
	return xt_json_text(doc, m);
}

bool
xt_exec_msg_parse(xt_exec_parser *p, const char *body, size_t len, xt_exec_fields *out,
				  char *err, size_t errlen)
{
	xt_json_doc *doc = &p->doc;
	const xt_json_node *root;
	const xt_json_node *rep;
	const xt_json_node *type;
	size_t		off = 0;
	xt_json_error e;

	memset(out, 0, sizeof(*out));
	xt_json_doc_init(doc, p->nodes, XT_EXEC_MSG_MAX_NODES, p->strbuf, sizeof(p->strbuf));
	e = xt_json_parse(doc, body, len, &off);
	if (e != XT_JSON_OK)
	{
		char		why[96];

		xt_json_error_message(e, off, why, sizeof(why));
		return set_err(err, errlen, "not valid JSON: %s", why);
	}
	root = &doc->nodes[0];
	if (root->type != XT_JSON_OBJECT)
		return set_err(err, errlen, "not a JSON object");
	type = xt_json_get(doc, root, "type", 4);
	if (type != NULL && !xt_json_string_is(doc, type, "Execution", 9))
		return set_err(err, errlen, "not an Execution message (\"type\" is not \"Execution\")");
	rep = xt_json_get(doc, root, "execution_report", 16);
	if (rep == NULL)
		return set_err(err, errlen, "execution_report is missing");
	if (rep->type != XT_JSON_OBJECT)
		return set_err(err, errlen, "execution_report is not an object");
	if (!get_int64(doc, rep, "execution_id", &out->execution_id, err, errlen) ||
		!get_int64(doc, rep, "order_id", &out->order_id, err, errlen))
		return false;
	if ((out->role = get_string(doc, rep, "execution_report.", "role", err, errlen)) == NULL ||
		(out->symbol = get_string(doc, rep, "execution_report.", "symbol", err, errlen)) == NULL ||
		(out->side = get_string(doc, rep, "execution_report.", "side", err, errlen)) == NULL ||
		(out->price = get_decimal(doc, rep, "price", err, errlen)) == NULL ||
		(out->quantity = get_decimal(doc, rep, "quantity", err, errlen)) == NULL ||
		(out->order_status = get_string(doc, root, "", "order_status", err, errlen)) == NULL)
		return false;
	if (strcmp(out->role, "taker") != 0 && strcmp(out->role, "maker") != 0)
		return set_err(err, errlen, "execution_report.role is neither \"taker\" nor \"maker\"");
	return true;
}
