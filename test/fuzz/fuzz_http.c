/*
 * fuzz_http.c: libFuzzer target for the server's pure parsers: the HTTP request-head parser
 * (src/net/http_parse.{h,c}) and the WebSocket frame decoder and UTF-8 validator
 * (src/net/ws_frame.{h,c}).
 *
 * Input: arbitrary bytes, used twice. Properties, abort() on violation:
 *   - HTTP: a known result; parsing the whole input and feeding it one byte more at a time (the
 *     server's slowest client) agree on result, head length, fields and error status; on success
 *     every pointer lies inside the head, the method is a token, the target starts with '/', no
 *     name or value holds CR/LF or blanks at its ends, Content-Length is within body_max, and
 *     xt_http_request_header finds every field by its name; on error a known status, a code and
 *     a message;
 *   - WS: the bytes as a stream of client frames: each decoded header is within its bounds
 *     (control frames final and short, lengths below 2^63), the header re-encodes to the same
 *     length, unmasking twice restores the payload, and xt_utf8_valid agrees with a plain
 *     code-point decoder on every payload.
 * Run: make build/fuzz/fuzz_http && build/fuzz/fuzz_http <scratch dir> test/fuzz/corpus/fuzz_http
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/http_parse.h"
#include "net/ws_frame.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "fuzz_http: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

#define HEAD_MAX 2048
#define BODY_MAX 4096

static bool
inside(const char *p, size_t n, const char *buf, size_t len)
{
	return p >= buf && n <= len && p + n <= buf + len;
}

static bool
tchar(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("\"(),/:;<=>?@[\\]{}", c) == NULL;
}

static void
check_head(const char *buf, size_t len, const xt_http_head *h)
{
	const xt_http_request *r = &h->req;

	CHECK(h->head_len >= 16 && h->head_len <= len && h->head_len <= HEAD_MAX);
	CHECK(memcmp(buf + h->head_len - 4, "\r\n\r\n", 4) == 0);
	CHECK(h->content_length <= BODY_MAX);
	CHECK(r->version_minor == 0 || r->version_minor == 1);
	CHECK(r->body_len == 0 && r->body && r->body[0] == '\0');
	CHECK(r->method_len > 0 && inside(r->method, r->method_len, buf, h->head_len));
	for (size_t i = 0; i < r->method_len; i++)
		CHECK(tchar((unsigned char) r->method[i]));
	CHECK(r->target_len > 0 && r->target[0] == '/' && inside(r->target, r->target_len, buf, h->head_len));
	for (size_t i = 0; i < r->target_len; i++)
		CHECK((unsigned char) r->target[i] > 0x20 && (unsigned char) r->target[i] < 0x7f);
	CHECK(r->n_headers <= XT_HTTP_MAX_HEADERS);
	for (uint32_t i = 0; i < r->n_headers; i++)
	{
		const xt_http_header *f = &r->headers[i];
		char		name[HEAD_MAX + 1];
		size_t		vlen;

		CHECK(f->name_len > 0 && inside(f->name, f->name_len, buf, h->head_len));
		CHECK(inside(f->value, f->value_len, buf, h->head_len));
		for (size_t k = 0; k < f->name_len; k++)
			CHECK(tchar((unsigned char) f->name[k]));
		CHECK(f->name[f->name_len] == ':');
		CHECK(memchr(f->value, '\r', f->value_len) == NULL && memchr(f->value, '\n', f->value_len) == NULL);
		if (f->value_len > 0)
			CHECK(f->value[0] != ' ' && f->value[0] != '\t' &&
				  f->value[f->value_len - 1] != ' ' && f->value[f->value_len - 1] != '\t');
		memcpy(name, f->name, f->name_len);
		name[f->name_len] = '\0';
		CHECK(xt_http_request_header(r, name, &vlen) != NULL);
	}
}

static void
fuzz_http_head(const char *buf, size_t len)
{
	xt_http_scan scan;
	xt_http_head whole,
				step;
	xt_http_error ew,
				es;
	xt_http_parse_result rw,
				rs = XT_HTTP_NEED_MORE;

	memset(&ew, 0, sizeof(ew));
	memset(&es, 0, sizeof(es));
	xt_http_scan_init(&scan);
	rw = xt_http_parse_head(buf, len, HEAD_MAX, BODY_MAX, &scan, &whole, &ew);
	CHECK(rw == XT_HTTP_NEED_MORE || rw == XT_HTTP_HEAD_OK || rw == XT_HTTP_HEAD_ERROR);
	xt_http_scan_init(&scan);
	for (size_t n = 0; n <= len && rs == XT_HTTP_NEED_MORE; n++)
		rs = xt_http_parse_head(buf, n, HEAD_MAX, BODY_MAX, &scan, &step, &es);
	CHECK(rs == rw);
	if (rw == XT_HTTP_HEAD_OK)
	{
		check_head(buf, len, &whole);
		CHECK(step.head_len == whole.head_len && step.content_length == whole.content_length);
		CHECK(step.keep_alive == whole.keep_alive && step.req.n_headers == whole.req.n_headers);
		CHECK(step.upgrade_websocket == whole.upgrade_websocket);
		CHECK(step.connection_upgrade == whole.connection_upgrade);
		/* re-parsing a completed scan gives the same head */
		CHECK(xt_http_parse_head(buf, len, HEAD_MAX, BODY_MAX, &scan, &step, &es) == XT_HTTP_HEAD_OK);
		CHECK(step.head_len == whole.head_len && step.req.method == whole.req.method);
	}
	else if (rw == XT_HTTP_HEAD_ERROR)
	{
		CHECK(ew.status == es.status);
		CHECK(ew.status == 400 || ew.status == 411 || ew.status == 413 || ew.status == 431 ||
			  ew.status == 501 || ew.status == 505);
		CHECK(ew.code && ew.code[0] && ew.message && ew.message[0]);
		CHECK(strcmp(xt_http_reason(ew.status), "Unknown") != 0);
	}
	else
		CHECK(len < HEAD_MAX);
}

/* The validator's reference: decode code points one by one, judge each. */
static bool
utf8_reference(const uint8_t *p, size_t n)
{
	size_t		i = 0;

	while (i < n)
	{
		uint32_t	cp;
		size_t		k;

		if (p[i] < 0x80)
		{
			i++;
			continue;
		}
		if ((p[i] & 0xE0) == 0xC0)
		{
			k = 2;
			cp = p[i] & 0x1F;
		}
		else if ((p[i] & 0xF0) == 0xE0)
		{
			k = 3;
			cp = p[i] & 0x0F;
		}
		else if ((p[i] & 0xF8) == 0xF0)
		{
			k = 4;
			cp = p[i] & 0x07;
		}
		else
			return false;
		if (i + k > n)
			return false;
		for (size_t j = 1; j < k; j++)
		{
			if ((p[i + j] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + j] & 0x3F);
		}
		if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
			(cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
			return false;
		i += k;
	}
	return true;
}

static void
fuzz_ws_frames(const uint8_t *data, size_t size)
{
	uint8_t    *buf = malloc(size ? size : 1);
	size_t		off = 0;

	CHECK(buf != NULL);
	if (size)
		memcpy(buf, data, size);
	CHECK(xt_utf8_valid(buf, size) == utf8_reference(buf, size));
	while (off < size)
	{
		xt_ws_frame f;
		uint16_t	code = 0;
		const char *why = NULL;
		xt_wsf_result r = xt_wsf_parse_header(buf + off, size - off, &f, &code, &why);
		uint8_t		hdr[XT_WSF_HEADER_MAX];
		size_t		hlen,
					n;

		CHECK(r == XT_WSF_NEED_MORE || r == XT_WSF_OK || r == XT_WSF_ERROR);
		if (r == XT_WSF_ERROR)
		{
			CHECK(code == XT_WS_CLOSE_PROTOCOL && why && why[0]);
			break;
		}
		if (r == XT_WSF_NEED_MORE)
		{
			CHECK(size - off < XT_WSF_HEADER_MAX);
			break;
		}
		CHECK(f.header_len == 6 || f.header_len == 8 || f.header_len == 14);
		CHECK(f.header_len <= size - off && (f.payload_len >> 63) == 0);
		if (f.opcode & 0x8)
			CHECK(f.fin && f.payload_len <= XT_WSF_CONTROL_MAX);
		hlen = xt_wsf_header(hdr, f.opcode, f.payload_len);
		CHECK(hdr[0] == (0x80 | f.opcode));
		/* our encoding is minimal; a client's may not be, so it is at most as long */
		CHECK(hlen + 4 <= f.header_len);
		off += f.header_len;
		if (f.payload_len > size - off)
			break;
		n = (size_t) f.payload_len;
		{
			uint8_t    *copy = malloc(n ? n : 1);

			CHECK(copy != NULL);
			if (n)
				memcpy(copy, buf + off, n);
			xt_wsf_unmask(buf + off, n, f.mask);
			CHECK(xt_utf8_valid(buf + off, n) == utf8_reference(buf + off, n));
			xt_wsf_unmask(buf + off, n, f.mask);
			CHECK(n == 0 || memcmp(copy, buf + off, n) == 0);
			free(copy);
		}
		off += n;
	}
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_http_head((const char *) data, size);
	fuzz_ws_frames(data, size);
	return 0;
}
