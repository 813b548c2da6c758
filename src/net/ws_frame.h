/*
 * ws_frame.h: WebSocket (RFC 6455) framing for the server (src/net/server.c).
 *
 * Owns: decoding of client frame headers with every check that needs only the header (reserved
 * bits, opcodes, control frame rules, client masking), the bytes of server frames (never masked),
 * the handshake's Sec-WebSocket-Key check and Sec-WebSocket-Accept value, which close codes a
 * peer may send, and strict UTF-8 validation of text.
 *
 * Callers: src/net/server.c, tests and test/fuzz/fuzz_http.c. Pure C11 plus OpenSSL's libcrypto
 * (SHA-1, base64) for the accept key: no allocation, no I/O, no global state.
 */
#ifndef XT_NET_WS_FRAME_H
#define XT_NET_WS_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* opcodes */
#define XT_WSF_CONT		0x0
#define XT_WSF_TEXT		0x1
#define XT_WSF_BINARY	0x2
#define XT_WSF_CLOSE	0x8
#define XT_WSF_PING		0x9
#define XT_WSF_PONG		0xA

#define XT_WSF_HEADER_MAX	14	/* 2 + 8 (64-bit length) + 4 (mask) */
#define XT_WSF_CONTROL_MAX	125 /* payload bytes of a control frame */
#define XT_WS_ACCEPT_LEN	28	/* base64 of a SHA-1 */

/* close codes */
#define XT_WS_CLOSE_NORMAL		1000
#define XT_WS_CLOSE_GOING_AWAY	1001
#define XT_WS_CLOSE_PROTOCOL	1002
#define XT_WS_CLOSE_UNSUPPORTED 1003
#define XT_WS_CLOSE_BAD_DATA	1007
#define XT_WS_CLOSE_POLICY		1008
#define XT_WS_CLOSE_TOO_BIG		1009

typedef enum xt_wsf_result
{
	XT_WSF_NEED_MORE = 0,		/* the header is not complete yet */
	XT_WSF_OK = 1,
	XT_WSF_ERROR = 2			/* close with *close_code (*why says why, static ASCII) */
} xt_wsf_result;

typedef struct xt_ws_frame
{
	bool		fin;
	uint8_t		opcode;
	uint8_t		mask[4];
	uint64_t	payload_len;
	size_t		header_len;		/* bytes before the payload */
} xt_ws_frame;

/*
 * Decode the header of one client frame at buf[0 .. len). Refused with 1002: reserved bits set
 * (no extension is negotiated), an unknown opcode, a control frame that is fragmented or longer
 * than 125 bytes, an unmasked frame, a 64-bit length with its top bit set.
 */
xt_wsf_result xt_wsf_parse_header(const uint8_t *buf, size_t len, xt_ws_frame *f,
								  uint16_t *close_code, const char **why);

/* XOR the payload p[0 .. n) with the frame's mask (in place; its own inverse). */
void		xt_wsf_unmask(uint8_t *p, size_t n, const uint8_t mask[4]);

/* Write the header of an unmasked, final server frame into out; returns its length (2..10). */
size_t		xt_wsf_header(uint8_t out[XT_WSF_HEADER_MAX], uint8_t opcode, uint64_t payload_len);

/* Is code one a peer may put in a close frame (1000-1003, 1007-1011, 3000-4999)? */
bool		xt_ws_close_code_valid(uint16_t code);

/* Is p[0 .. n) valid UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF)? */
bool		xt_utf8_valid(const uint8_t *p, size_t n);

/* Is key a Sec-WebSocket-Key: the base64 of 16 bytes (24 characters ending in "==")? */
bool		xt_ws_key_valid(const char *key, size_t len);

/* Sec-WebSocket-Accept of key: base64(SHA-1(key + GUID)), NUL-terminated. False if libcrypto
 * fails. */
bool		xt_ws_accept_key(const char *key, size_t len, char out[XT_WS_ACCEPT_LEN + 1]);

#ifdef __cplusplus
}
#endif

#endif							/* XT_NET_WS_FRAME_H */
