/*
 * http_parse.h: the HTTP/1.1 request-head parser of the server (src/net/server.c).
 *
 * Owns: the grammar of a request head that xTrader accepts (RFC 9112, strictly) and the answer
 * the server gives to a bad one (status, stable error code, message), plus the header helpers of
 * server.h (xt_http_request_header, xt_http_reason).
 *
 * Callers: src/net/server.c, tests and test/fuzz/fuzz_http.c. Pure C11: no allocation, no I/O, no
 * global state. The input is (pointer, length), never read past length.
 *
 * INCREMENTAL: a head that arrives in pieces is scanned once. The scan state remembers how far the
 * bytes were checked, so call xt_http_parse_head again with the same buffer grown at its end (the
 * bytes already seen unchanged) and the same state; reset the state (xt_http_scan_init) for the
 * next request. Only a complete head is split into request line and headers.
 *
 * GRAMMAR (anything else is 400 unless said otherwise):
 *  - lines end in CRLF; a bare LF or a bare CR is refused (no guessing at line ends, which is
 *    where request smuggling lives), and so is any control byte other than HTAB;
 *  - empty lines before the request line are skipped (RFC 9112 section 2.2) but count towards
 *    head_max; a head longer than head_max, or with more than XT_HTTP_MAX_HEADERS fields, is 431;
 *  - request line: METHOD SP target SP HTTP/1.0 or HTTP/1.1, single spaces; method is a token;
 *    target starts with '/' (origin-form only: no absolute-form, no "*") and is visible ASCII;
 *    a well-formed HTTP/<digit>.<digit> of another version is 505;
 *  - header fields: token ':' OWS value OWS, no blank before the colon, no obs-fold (a line that
 *    starts with a blank); values may hold obs-text (bytes >= 0x80);
 *  - Content-Length: digits only; repeated fields must agree; more than body_max is 413 (said
 *    as soon as the head is complete, before any body is read);
 *  - Transfer-Encoding (any, with or without Content-Length) is refused: "chunked" alone is 411
 *    LENGTH_REQUIRED (send Content-Length instead), any other coding 501 NOT_IMPLEMENTED.
 *  - no Host header is required.
 */
#ifndef XT_NET_HTTP_PARSE_H
#define XT_NET_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/server.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum xt_http_parse_result
{
	XT_HTTP_NEED_MORE = 0,		/* no complete head yet, nothing wrong so far */
	XT_HTTP_HEAD_OK = 1,		/* *out holds the head */
	XT_HTTP_HEAD_ERROR = 2		/* *err says what to answer; the connection must close */
} xt_http_parse_result;

/* Where the scan of one request head stands (opaque to callers; zero it with xt_http_scan_init). */
typedef struct xt_http_scan
{
	size_t		pos;			/* bytes checked so far */
	size_t		line_start;		/* start of the line being scanned */
	size_t		head_start;		/* start of the request line (after skipped empty lines) */
	size_t		head_len;		/* end of the head once found, else 0 */
	bool		cr;				/* the byte before pos was CR */
} xt_http_scan;

typedef struct xt_http_head
{
	xt_http_request req;		/* body "" and body_len 0: the body is the caller's business */
	size_t		head_len;		/* bytes from the buffer start through the blank line */
	uint64_t	content_length; /* 0 when absent */
	bool		keep_alive;		/* HTTP/1.1 unless "Connection: close"; 1.0 only with keep-alive */
	bool		connection_upgrade; /* Connection lists the token "upgrade" */
	bool		upgrade_websocket;	/* Upgrade lists the protocol "websocket" */
} xt_http_head;

typedef struct xt_http_error
{
	int			status;			/* 400, 411, 413, 431, 501, 505 */
	const char *code;			/* "BAD_REQUEST", ... (a static string) */
	const char *message;		/* for humans (a static string, plain ASCII, no quotes) */
} xt_http_error;

void		xt_http_scan_init(xt_http_scan *scan);

/*
 * Parse the request head at the start of buf[0 .. len). head_max bounds the head (leading empty
 * lines included), body_max the declared Content-Length. On XT_HTTP_HEAD_OK the request's
 * pointers point into buf.
 */
xt_http_parse_result xt_http_parse_head(const char *buf, size_t len, size_t head_max,
										size_t body_max, xt_http_scan *scan, xt_http_head *out,
										xt_http_error *err);

/* Does the comma-separated list value[0 .. len) hold token (case-insensitive, blanks around
 * elements ignored)? "keep-alive, Upgrade" holds "upgrade". */
bool		xt_http_list_has(const char *value, size_t len, const char *token);

#ifdef __cplusplus
}
#endif

#endif							/* XT_NET_HTTP_PARSE_H */
