/*
 * ws_frame.c: WebSocket frame headers, UTF-8 validation and the handshake key (ws_frame.h).
 */
#include "net/ws_frame.h"

#include "common/utf8.h"

#include <string.h>

#include <openssl/evp.h>

static xt_wsf_result
frame_error(uint16_t *close_code, const char **why, const char *message)
{
	*close_code = XT_WS_CLOSE_PROTOCOL;
	*why = message;
	return XT_WSF_ERROR;
}

static bool
is_control(uint8_t opcode)
{
	return (opcode & 0x8) != 0;
}

xt_wsf_result
xt_wsf_parse_header(const uint8_t *buf, size_t len, xt_ws_frame *f, uint16_t *close_code,
					const char **why)
{
	size_t		need = 2;
	uint64_t	n;

	if (len < 2)
		return XT_WSF_NEED_MORE;
	memset(f, 0, sizeof(*f));
	f->fin = (buf[0] & 0x80) != 0;
	f->opcode = buf[0] & 0x0F;
	if (buf[0] & 0x70)
		return frame_error(close_code, why, "reserved bits set");
	if (f->opcode != XT_WSF_CONT && f->opcode != XT_WSF_TEXT && f->opcode != XT_WSF_BINARY &&
		f->opcode != XT_WSF_CLOSE && f->opcode != XT_WSF_PING && f->opcode != XT_WSF_PONG)
		return frame_error(close_code, why, "unknown opcode");
	if (!(buf[1] & 0x80))
		return frame_error(close_code, why, "client frames must be masked");
	n = buf[1] & 0x7F;
	if (is_control(f->opcode) && (!f->fin || n > XT_WSF_CONTROL_MAX))
		return frame_error(close_code, why, "control frames must be final and at most 125 bytes");
	if (n == 126)
		need += 2;
	else if (n == 127)
		need += 8;
	need += 4;
	if (len < need)
		return XT_WSF_NEED_MORE;
	if (n == 126)
		n = (uint64_t) buf[2] << 8 | buf[3];
	else if (n == 127)
	{
		n = 0;
		for (int i = 0; i < 8; i++)
			n = n << 8 | buf[2 + i];
		if (n >> 63)
			return frame_error(close_code, why, "payload length with its top bit set");
	}
	memcpy(f->mask, buf + need - 4, 4);
	f->payload_len = n;
	f->header_len = need;
	return XT_WSF_OK;
}

void
xt_wsf_unmask(uint8_t *p, size_t n, const uint8_t mask[4])
{
	for (size_t i = 0; i < n; i++)
		p[i] ^= mask[i & 3];
}

size_t
xt_wsf_header(uint8_t out[XT_WSF_HEADER_MAX], uint8_t opcode, uint64_t payload_len)
{
	out[0] = (uint8_t) (0x80 | (opcode & 0x0F));
	if (payload_len < 126)
	{
		out[1] = (uint8_t) payload_len;
		return 2;
	}
	if (payload_len <= 0xFFFF)
	{
		out[1] = 126;
		out[2] = (uint8_t) (payload_len >> 8);
		out[3] = (uint8_t) payload_len;
		return 4;
	}
	out[1] = 127;
	for (int i = 0; i < 8; i++)
		out[2 + i] = (uint8_t) (payload_len >> (56 - 8 * i));
	return 10;
}

bool
xt_ws_close_code_valid(uint16_t code)
{
	/* 1004-1006 and 1015 are reserved for reporting, never sent; 1012-1014 are IANA-registered
	 * since RFC 6455 and accepted by common peers */
	return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
		(code >= 3000 && code <= 4999);
}

bool
xt_utf8_valid(const uint8_t *p, size_t n)
{
	size_t		i = 0;
	bool		truncated;

	while (i < n)
	{
		size_t		k;

		/* ASCII runs, the common case, one byte at a time without the table */
		if (p[i] < 0x80)
		{
			i++;
			continue;
		}
		k = xt_utf8_seq(p + i, n - i, &truncated);
		if (k == 0)
			return false;
		i += k;
	}
	return true;
}

static bool
is_base64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		c == '+' || c == '/';
}

bool
xt_ws_key_valid(const char *key, size_t len)
{
	if (len != 24 || key[22] != '=' || key[23] != '=')
		return false;
	for (size_t i = 0; i < 22; i++)
		if (!is_base64(key[i]))
			return false;
	/* the last character carries 2 bits of the 16th byte and 4 zero bits */
	return strchr("AQgw", key[21]) != NULL;
}

bool
xt_ws_accept_key(const char *key, size_t len, char out[XT_WS_ACCEPT_LEN + 1])
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool		ok;

	if (ctx == NULL)
		return false;
	ok = EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 &&
		EVP_DigestUpdate(ctx, key, len) == 1 &&
		EVP_DigestUpdate(ctx, guid, sizeof(guid) - 1) == 1 &&
		EVP_DigestFinal_ex(ctx, digest, &dlen) == 1 && dlen == 20;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return false;
	return EVP_EncodeBlock((unsigned char *) out, digest, 20) == XT_WS_ACCEPT_LEN;
}
