/*
 * json.h: the strict JSON parser and the bounded JSON writer of the REST/WebSocket layer.
 *
 * Owns: the one JSON grammar xTrader accepts from clients (RFC 8259, strictly: UTF-8 validated,
 * no duplicate keys, no trailing bytes, bounded depth/size) and the primitives every encoder uses
 * to write JSON (escaped strings, integers, exact decimals as strings).
 *
 * Callers: src/net decoders and encoders, later the network worker. Pure C11: no allocation, no
 * I/O, no global state; every function may run on any thread as long as each document/writer is
 * used by one thread at a time. Input text is (pointer, length), never read past length.
 *
 * PARSE MODEL: the caller provides an arena (a node array and a string buffer). The parse writes
 * the tree there in document (pre-)order: a container's first child, if any, is the next node;
 * siblings are linked by `next`. Strings are stored decoded (escapes resolved) and NUL-terminated
 * in the string buffer (a string may still contain NUL from \u0000: always use len). Numbers are
 * NEVER converted: their exact source text is kept, so "0.1" and "50000000.12345678" reach
 * src/common/decimal.h unchanged. The arena needs at most one node per value and at most
 * len + 1 bytes of string buffer per input byte plus one NUL per value: XT_JSON_STRBUF_FOR().
 *
 * ERRORS: a parse fails with a reason and the byte offset where it was detected.
 */
#ifndef XT_NET_JSON_H
#define XT_NET_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/decimal.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- limits ------------------------------------------------------------------------------ */

#define XT_JSON_INPUT_MAX		65536	/* bytes of one document: a longer body is a 413 */
#define XT_JSON_DEPTH_DEFAULT	32		/* nested arrays/objects */
#define XT_JSON_DEPTH_MAX		64		/* the most a caller may configure */
#define XT_JSON_NONE			UINT32_MAX	/* "no node" in next links */

/* String buffer that can never run out for an input of len bytes parsed into at most nodes
 * nodes: every decoded string or number is no longer than its source, plus one NUL each. */
#define XT_JSON_STRBUF_FOR(len, nodes)	((size_t) (len) + (size_t) (nodes) + 1)

/* ---- types ---------------------------------------------------------------------------------- */

typedef enum xt_json_type
{
	XT_JSON_NULL = 0,
	XT_JSON_FALSE = 1,
	XT_JSON_TRUE = 2,
	XT_JSON_NUMBER = 3,			/* text = exact source spelling */
	XT_JSON_STRING = 4,			/* text = decoded UTF-8 */
	XT_JSON_ARRAY = 5,
	XT_JSON_OBJECT = 6
} xt_json_type;

typedef enum xt_json_error
{
	XT_JSON_OK = 0,
	XT_JSON_ERR_EMPTY = 1,		/* no value at all (empty or whitespace only) */
	XT_JSON_ERR_SYNTAX = 2,		/* a byte the grammar does not allow here */
	XT_JSON_ERR_TRUNCATED = 3,	/* the input ended inside a value */
	XT_JSON_ERR_NUMBER = 4,		/* a malformed number ("01", "1.", "-", "1e") */
	XT_JSON_ERR_STRING = 5,		/* an unescaped control character in a string */
	XT_JSON_ERR_ESCAPE = 6,		/* a bad escape, or a lone / mismatched UTF-16 surrogate */
	XT_JSON_ERR_UTF8 = 7,		/* invalid UTF-8 (bad byte, overlong, surrogate, > U+10FFFF) */
	XT_JSON_ERR_DUPLICATE_KEY = 8,	/* an object names the same key twice */
	XT_JSON_ERR_TRAILING = 9,	/* bytes after the value */
	XT_JSON_ERR_DEPTH = 10,		/* nesting deeper than the document's max_depth */
	XT_JSON_ERR_TOO_MANY_NODES = 11,	/* more values than the arena's nodes */
	XT_JSON_ERR_STRBUF = 12,	/* the arena's string buffer is full */
	XT_JSON_ERR_TOO_LARGE = 13	/* input longer than XT_JSON_INPUT_MAX */
} xt_json_error;

typedef struct xt_json_node
{
	uint8_t		type;			/* xt_json_type */
	uint32_t	len;			/* NUMBER/STRING: bytes of text; ARRAY/OBJECT: children */
	uint32_t	next;			/* next sibling, or XT_JSON_NONE */
	uint32_t	text;			/* NUMBER/STRING: offset of text in the string buffer */
	uint32_t	key;			/* member of an object: offset of its key in the string buffer */
	uint32_t	key_len;		/* member of an object: bytes of its key (else 0) */
} xt_json_node;

/* A parsed document and its arena. Fields are read-only for callers after a parse. */
typedef struct xt_json_doc
{
	xt_json_node *nodes;
	uint32_t	max_nodes;
	uint32_t	count;			/* nodes used; the root is nodes[0] */
	char	   *strbuf;
	size_t		strbuf_cap;
	size_t		strbuf_len;
	uint32_t	max_depth;
} xt_json_doc;

/* ---- parsing ------------------------------------------------------------------------------ */

/*
 * Point doc at the caller's arena: nodes[0 .. max_nodes) and strbuf[0 .. strbuf_cap). max_depth
 * starts at XT_JSON_DEPTH_DEFAULT; a caller may lower it (or raise it up to XT_JSON_DEPTH_MAX)
 * before parsing.
 */
void		xt_json_doc_init(xt_json_doc *doc, xt_json_node *nodes, uint32_t max_nodes,
							 char *strbuf, size_t strbuf_cap);

/*
 * Parse text[0 .. len) as exactly one JSON value (whitespace around it allowed). Returns XT_JSON_OK
 * with the tree in doc (root nodes[0]), or an error with *err_offset (if not NULL) the byte offset
 * where it was found; on error the arena content is unspecified. May be called again on the same
 * doc: each parse starts from an empty arena.
 */
xt_json_error xt_json_parse(xt_json_doc *doc, const char *text, size_t len, size_t *err_offset);

/* ---- reading a parsed document ------------------------------------------------------------- */

/* Text of a NUMBER/STRING node (NUL-terminated; use node->len), or of a member's key. */
static inline const char *
xt_json_text(const xt_json_doc *doc, const xt_json_node *n)
{
	return doc->strbuf + n->text;
}

static inline const char *
xt_json_key(const xt_json_doc *doc, const xt_json_node *n)
{
	return doc->strbuf + n->key;
}

/* First child of an ARRAY/OBJECT, or NULL if it is empty (or not a container). */
const xt_json_node *xt_json_first(const xt_json_doc *doc, const xt_json_node *n);

/* Next sibling, or NULL. */
const xt_json_node *xt_json_next(const xt_json_doc *doc, const xt_json_node *n);

/* The member of OBJECT obj whose key is name[0 .. name_len), or NULL. */
const xt_json_node *xt_json_get(const xt_json_doc *doc, const xt_json_node *obj,
								const char *name, size_t name_len);

/* True when node is a STRING equal to s[0 .. len). */
bool		xt_json_string_is(const xt_json_doc *doc, const xt_json_node *n, const char *s,
							  size_t len);

/* "SYNTAX", "UTF8", ... for logs and tests; "UNKNOWN" for other numbers. */
const char *xt_json_error_name(xt_json_error e);

/*
 * A lower-case user message for a parse failure, snprintf-style (writes at most cap bytes with the
 * NUL, returns the full length): "invalid UTF-8 at byte 17".
 */
size_t		xt_json_error_message(xt_json_error e, size_t offset, char *buf, size_t cap);

/* ---- writing ------------------------------------------------------------------------------ */

/*
 * A writer appends to buf[0 .. cap) and keeps it NUL-terminated. Commas between members and
 * elements are inserted automatically. When something does not fit, the writer latches its
 * overflow flag, stops writing, and xt_jw_finish returns 0: callers check once at the end.
 * Nesting deeper than 63 levels, or a key/value/close out of place, also latches overflow.
 */
typedef struct xt_json_writer
{
	char	   *buf;
	size_t		cap;
	size_t		len;
	bool		overflow;
	bool		after_key;		/* a key was written, its value comes next (no comma) */
	uint32_t	depth;
	uint64_t	nonempty;		/* bit d: the container at depth d already has an entry */
} xt_json_writer;

/* Start writing into buf[0 .. cap). cap must be at least 1 (room for the NUL). */
void		xt_jw_init(xt_json_writer *w, char *buf, size_t cap);

/* Bytes written (without the NUL), or 0 if anything overflowed or containers are still open. */
size_t		xt_jw_finish(const xt_json_writer *w);

void		xt_jw_object_begin(xt_json_writer *w);
void		xt_jw_object_end(xt_json_writer *w);
void		xt_jw_array_begin(xt_json_writer *w);
void		xt_jw_array_end(xt_json_writer *w);

/* A member key (escaped like any string); the next call writes its value. */
void		xt_jw_key(xt_json_writer *w, const char *key);

/* A string value, s[0 .. len) escaped: '"', '\\' and control characters (\n, \t, ... or
 * \u00XX). s must be valid UTF-8 (all text here comes from validated input or constants). */
void		xt_jw_string(xt_json_writer *w, const char *s, size_t len);

/* A NUL-terminated string value. */
void		xt_jw_cstring(xt_json_writer *w, const char *s);

void		xt_jw_int(xt_json_writer *w, int64_t v);
void		xt_jw_uint(xt_json_writer *w, uint64_t v);
void		xt_jw_bool(xt_json_writer *w, bool v);
void		xt_jw_null(xt_json_writer *w);

/*
 * units * step as an exact decimal JSON STRING ("0.001"), by xt_units_to_decimal. units outside
 * [0, XT_VALUE_MAX] or an invalid step latches overflow (an encoder bug must not emit bad data).
 */
void		xt_jw_decimal(xt_json_writer *w, int64_t units, xt_step step);

/*
 * A time as an RFC 3339 UTC JSON string with microseconds, "2024-05-01T12:34:56.789012Z", from
 * microseconds since the Unix epoch. Years outside 1..9999 latch overflow.
 */
void		xt_jw_time_us(xt_json_writer *w, int64_t us);

/*
 * The REST error body {"error": code, "message": message} into buf. Returns its length, or 0 if it
 * does not fit.
 */
size_t		xt_json_error_body(char *buf, size_t cap, const char *code, const char *message);

#ifdef __cplusplus
}
#endif

#endif							/* XT_NET_JSON_H */
