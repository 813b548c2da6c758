/*
 * http_parse.c: the strict HTTP/1.1 request-head parser (see http_parse.h for the grammar).
 *
 * Two passes: a byte scan that resumes where the previous call stopped (finds the end of the head,
 * refuses bad bytes and bare line ends as soon as they arrive, enforces head_max), then, once the
 * head is complete, one split into request line and header fields. The scan is what runs on every
 * read of a slow client, so it is the only part that must be incremental.
 */
#include "net/http_parse.h"

#include <string.h>

/* RFC 9110 tchar: the bytes of a token (methods, header names). */
static bool
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char) (c - 'A' + 'a') : c;
}

static bool
ieq(const char *a, size_t a_len, const char *b)
{
	size_t		b_len = strlen(b);

	if (a_len != b_len)
		return false;
	for (size_t i = 0; i < a_len; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

static xt_http_parse_result
fail(xt_http_error *err, int status, const char *code, const char *message)
{
	err->status = status;
	err->code = code;
	err->message = message;
	return XT_HTTP_HEAD_ERROR;
}

static xt_http_parse_result
bad(xt_http_error *err, const char *message)
{
	return fail(err, 400, "BAD_REQUEST", message);
}

void
xt_http_scan_init(xt_http_scan *scan)
{
	memset(scan, 0, sizeof(*scan));
}

/*
 * Scan bytes [scan->pos, min(len, head_max)) for the blank line that ends the head. Refuses bare
 * CR/LF and control bytes at once, so a client speaking something else (TLS, binary) is told 400
 * without waiting for head_max bytes or the time-out.
 */
static xt_http_parse_result
scan_head(const char *buf, size_t len, size_t head_max, xt_http_scan *scan, xt_http_error *err)
{
	size_t		end = len < head_max ? len : head_max;

	for (; scan->pos < end; scan->pos++)
	{
		unsigned char c = (unsigned char) buf[scan->pos];

		if (scan->cr)
		{
			if (c != '\n')
				return bad(err, "a CR not followed by LF");
			scan->cr = false;
			if (scan->pos - 1 == scan->line_start)
			{
				/* an empty line: before the request line it is skipped, after it ends the head */
				if (scan->line_start == scan->head_start)
					scan->head_start = scan->pos + 1;
				else
				{
					scan->head_len = ++scan->pos;
					return XT_HTTP_HEAD_OK;
				}
			}
			scan->line_start = scan->pos + 1;
		}
		else if (c == '\r')
			scan->cr = true;
		else if (c == '\n')
			return bad(err, "a line must end with CRLF, not a bare LF");
		else if ((c < 0x20 && c != '\t') || c == 0x7f)
			return bad(err, "a control character in the request head");
	}
	if (scan->pos >= head_max)
		return fail(err, 431, "HEADERS_TOO_LARGE", "the request head is too large");
	return XT_HTTP_NEED_MORE;
}

/* "HTTP/1.1" -> minor 1; other well-formed versions are 505, anything else 400. */
static xt_http_parse_result
parse_version(const char *v, size_t n, int *minor, xt_http_error *err)
{
	if (n != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' ||
		v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9')
		return bad(err, "malformed HTTP version in the request line");
	if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
		return fail(err, 505, "HTTP_VERSION_NOT_SUPPORTED", "only HTTP/1.0 and HTTP/1.1 are supported");
	*minor = v[7] - '0';
	return XT_HTTP_HEAD_OK;
}

/* METHOD SP target SP HTTP/1.x, line[0 .. n) without its CRLF. */
static xt_http_parse_result
parse_request_line(const char *line, size_t n, xt_http_request *req, xt_http_error *err)
{
	size_t		i = 0,
				t;

	while (i < n && is_tchar((unsigned char) line[i]))
		i++;
	if (i == 0 || i >= n || line[i] != ' ')
		return bad(err, "malformed method in the request line");
	req->method = line;
	req->method_len = i;
	t = ++i;
	if (i >= n || line[i] != '/')
		return bad(err, "the request target must start with /");
	while (i < n && (unsigned char) line[i] > 0x20 && (unsigned char) line[i] < 0x7f)
		i++;
	if (i >= n || line[i] != ' ')
		return bad(err, "malformed request target");
	req->target = line + t;
	req->target_len = i - t;
	i++;
	return parse_version(line + i, n - i, &req->version_minor, err);
}

/* Digits only; saturates at UINT64_MAX (which any body_max refuses). */
static bool
parse_length(const char *v, size_t n, uint64_t *out)
{
	uint64_t	x = 0;

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
	{
		if (v[i] < '0' || v[i] > '9')
			return false;
		if (x > (UINT64_MAX - 9) / 10)
			x = UINT64_MAX;
		else
			x = x * 10 + (uint64_t) (v[i] - '0');
	}
	*out = x;
	return true;
}

/* name ':' OWS value OWS, line[0 .. n) without its CRLF. */
static xt_http_parse_result
parse_field(const char *line, size_t n, xt_http_header *h, xt_http_error *err)
{
	size_t		i = 0,
				end = n;

	if (n > 0 && is_blank(line[0]))
		return bad(err, "obsolete line folding in a header field");
	while (i < n && is_tchar((unsigned char) line[i]))
		i++;
	if (i == 0 || i >= n || line[i] != ':')
		return bad(err, "malformed header field");
	h->name = line;
	h->name_len = i;
	i++;
	while (i < end && is_blank(line[i]))
		i++;
	while (end > i && is_blank(line[end - 1]))
		end--;
	h->value = line + i;
	h->value_len = end - i;
	return XT_HTTP_HEAD_OK;
}

typedef struct head_facts
{
	bool		has_length;
	bool		has_te;
	bool		te_chunked_only;
	bool		conn_close;
	bool		conn_keep_alive;
} head_facts;

/* Record what the server itself needs from one header field. */
static xt_http_parse_result
note_field(const xt_http_header *h, head_facts *f, xt_http_head *out, xt_http_error *err)
{
	if (ieq(h->name, h->name_len, "content-length"))
	{
		uint64_t	n;

		if (!parse_length(h->value, h->value_len, &n))
			return bad(err, "Content-Length must be digits only");
		if (f->has_length && n != out->content_length)
			return bad(err, "conflicting Content-Length fields");
		f->has_length = true;
		out->content_length = n;
	}
	else if (ieq(h->name, h->name_len, "transfer-encoding"))
	{
		f->te_chunked_only = !f->has_te && ieq(h->value, h->value_len, "chunked");
		f->has_te = true;
	}
	else if (ieq(h->name, h->name_len, "connection"))
	{
		f->conn_close |= xt_http_list_has(h->value, h->value_len, "close");
		f->conn_keep_alive |= xt_http_list_has(h->value, h->value_len, "keep-alive");
		out->connection_upgrade |= xt_http_list_has(h->value, h->value_len, "upgrade");
	}
	else if (ieq(h->name, h->name_len, "upgrade"))
		out->upgrade_websocket |= xt_http_list_has(h->value, h->value_len, "websocket");
	return XT_HTTP_HEAD_OK;
}

/* Split the complete head buf[head_start .. head_len) into request line and fields. */
static xt_http_parse_result
split_head(const char *buf, const xt_http_scan *scan, size_t body_max, xt_http_head *out,
		   xt_http_error *err)
{
	const char *p = buf + scan->head_start;
	const char *end = buf + scan->head_len - 2;	/* the blank line's CRLF */
	head_facts	f;
	xt_http_parse_result r;
	bool		first = true;

	memset(out, 0, sizeof(*out));
	memset(&f, 0, sizeof(f));
	out->head_len = scan->head_len;
	out->req.body = "";
	while (p < end)
	{
		/* the scan guaranteed every CR here is followed by LF and ends a line */
		const char *cr = memchr(p, '\r', (size_t) (end - p));
		size_t		n = (size_t) (cr - p);

		if (first)
			r = parse_request_line(p, n, &out->req, err);
		else if (out->req.n_headers >= XT_HTTP_MAX_HEADERS)
			return fail(err, 431, "HEADERS_TOO_LARGE", "too many header fields");
		else
		{
			xt_http_header *h = &out->req.headers[out->req.n_headers];

			r = parse_field(p, n, h, err);
			if (r == XT_HTTP_HEAD_OK)
			{
				out->req.n_headers++;
				r = note_field(h, &f, out, err);
			}
		}
		if (r != XT_HTTP_HEAD_OK)
			return r;
		first = false;
		p = cr + 2;
	}
	if (f.has_te)
		return f.te_chunked_only
			? fail(err, 411, "LENGTH_REQUIRED", "chunked bodies are not supported: send Content-Length")
			: fail(err, 501, "NOT_IMPLEMENTED", "Transfer-Encoding is not supported");
	if (out->content_length > body_max)
		return fail(err, 413, "PAYLOAD_TOO_LARGE", "the request body is too large");
	out->keep_alive = out->req.version_minor == 1 ? !f.conn_close
		: f.conn_keep_alive && !f.conn_close;
	return XT_HTTP_HEAD_OK;
}

xt_http_parse_result
xt_http_parse_head(const char *buf, size_t len, size_t head_max, size_t body_max,
				   xt_http_scan *scan, xt_http_head *out, xt_http_error *err)
{
	if (scan->head_len == 0)
	{
		xt_http_parse_result r = scan_head(buf, len, head_max, scan, err);

		if (r != XT_HTTP_HEAD_OK)
			return r;
	}
	if (scan->head_len > len)
		return XT_HTTP_NEED_MORE;	/* a caller that shrank the buffer: never read past len */
	return split_head(buf, scan, body_max, out, err);
}

bool
xt_http_list_has(const char *value, size_t len, const char *token)
{
	size_t		i = 0;

	while (i < len)
	{
		size_t		start,
					end;

		while (i < len && (is_blank(value[i]) || value[i] == ','))
			i++;
		start = i;
		while (i < len && value[i] != ',')
			i++;
		end = i;
		while (end > start && is_blank(value[end - 1]))
			end--;
		if (end > start && ieq(value + start, end - start, token))
			return true;
	}
	return false;
}

const char *
xt_http_request_header(const xt_http_request *req, const char *name, size_t *value_len)
{
	for (uint32_t i = 0; i < req->n_headers; i++)
	{
		const xt_http_header *h = &req->headers[i];

		if (ieq(h->name, h->name_len, name))
		{
			if (value_len)
				*value_len = h->value_len;
			return h->value;
		}
	}
	if (value_len)
		*value_len = 0;
	return NULL;
}

const char *
xt_http_reason(int status)
{
	switch (status)
	{
		case 100: return "Continue";
		case 101: return "Switching Protocols";
		case 200: return "OK";
		case 201: return "Created";
		case 202: return "Accepted";
		case 204: return "No Content";
		case 301: return "Moved Permanently";
		case 302: return "Found";
		case 304: return "Not Modified";
		case 400: return "Bad Request";
		case 401: return "Unauthorized";
		case 403: return "Forbidden";
		case 404: return "Not Found";
		case 405: return "Method Not Allowed";
		case 408: return "Request Timeout";
		case 409: return "Conflict";
		case 410: return "Gone";
		case 411: return "Length Required";
		case 413: return "Content Too Large";
		case 414: return "URI Too Long";
		case 415: return "Unsupported Media Type";
		case 422: return "Unprocessable Content";
		case 426: return "Upgrade Required";
		case 429: return "Too Many Requests";
		case 431: return "Request Header Fields Too Large";
		case 500: return "Internal Server Error";
		case 501: return "Not Implemented";
		case 502: return "Bad Gateway";
		case 503: return "Service Unavailable";
		case 504: return "Gateway Timeout";
		case 505: return "HTTP Version Not Supported";
	}
	return "Unknown";
}
