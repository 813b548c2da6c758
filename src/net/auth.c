/*
 * auth.c: HMAC-SHA256 request signatures, the receive window, and token-bucket rate limits.
 *
 * HMAC goes through OpenSSL 3's EVP_MAC so the four parts of the signed string are fed in turn
 * (no copy of a 64 KiB body into a scratch buffer). The fetched EVP_MAC is not cached: fetching
 * is a lookup in libcrypto's own cache, and a static would need thread-safe initialisation.
 */
#include "net/auth.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#define HMAC_LEN 32

/* HMAC-SHA256(secret, parts[0] || parts[1] || ...) into mac[HMAC_LEN]. */
static bool
hmac_parts(const unsigned char *secret, size_t secret_len, const char *const *parts,
		   const size_t *lens, int n, unsigned char mac[HMAC_LEN])
{
	EVP_MAC    *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = m ? EVP_MAC_CTX_new(m) : NULL;
	OSSL_PARAM	params[2];
	size_t		out_len = 0;
	bool		ok = false;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *) "SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (ctx && EVP_MAC_init(ctx, secret, secret_len, params))
	{
		ok = true;
		for (int i = 0; i < n && ok; i++)
			ok = lens[i] == 0 || EVP_MAC_update(ctx, (const unsigned char *) parts[i], lens[i]);
		ok = ok && EVP_MAC_final(ctx, mac, &out_len, HMAC_LEN) && out_len == HMAC_LEN;
	}
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(m);
	return ok;
}

bool
xt_auth_sign(const unsigned char *secret, size_t secret_len, const char *timestamp,
			 size_t timestamp_len, const char *method, size_t method_len,
			 const char *path_and_query, size_t path_and_query_len, const char *body,
			 size_t body_len, char out[XT_AUTH_SIGNATURE_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	const char *parts[4] = {timestamp, method, path_and_query, body};
	size_t		lens[4] = {timestamp_len, method_len, path_and_query_len, body_len};
	unsigned char mac[HMAC_LEN];

	out[0] = '\0';
	if (!hmac_parts(secret, secret_len, parts, lens, 4, mac))
		return false;
	for (int i = 0; i < HMAC_LEN; i++)
	{
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 15];
	}
	out[XT_AUTH_SIGNATURE_LEN] = '\0';
	return true;
}

static bool
key_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
		|| c == '_' || c == '-';
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

/*
 * Every check of a signed request. parts[0] is the timestamp text; the signature is compared
 * against HMAC(secret, parts...).
 */
static xt_auth_result
verify(const char *api_key, size_t api_key_len, const char *const *parts, const size_t *lens,
	   int n_parts, const char *signature, size_t signature_len, int64_t now_ms,
	   int64_t window_ms, xt_auth_lookup_fn lookup, void *lookup_ctx, uint64_t *account)
{
	const char *ts = parts[0];
	size_t		ts_len = lens[0];
	int64_t		ts_ms = 0;
	int64_t		diff;
	unsigned char given[HMAC_LEN];
	unsigned char mac[HMAC_LEN];
	xt_auth_key key;
	bool		mac_ok;

	*account = 0;
	if (api_key == NULL || api_key_len == 0 || ts == NULL || ts_len == 0
		|| signature == NULL || signature_len == 0)
		return XT_AUTH_MISSING_HEADER;

	if (api_key_len > XT_AUTH_API_KEY_MAX)
		return XT_AUTH_BAD_API_KEY;
	for (size_t i = 0; i < api_key_len; i++)
		if (!key_char((unsigned char) api_key[i]))
			return XT_AUTH_BAD_API_KEY;

	if (ts_len > XT_AUTH_TIMESTAMP_MAX)
		return XT_AUTH_BAD_TIMESTAMP;
	for (size_t i = 0; i < ts_len; i++)
	{
		if (ts[i] < '0' || ts[i] > '9')
			return XT_AUTH_BAD_TIMESTAMP;
		ts_ms = ts_ms * 10 + (ts[i] - '0');	/* 15 digits cannot overflow */
	}

	if (window_ms < XT_AUTH_WINDOW_MIN || window_ms > XT_AUTH_WINDOW_MAX)
		window_ms = XT_AUTH_WINDOW_DEFAULT;
	/* ts_ms < 10^15; a clock beyond +-2^60 ms is broken, and bounding it keeps diff exact */
	if (now_ms < -((int64_t) 1 << 60) || now_ms > ((int64_t) 1 << 60))
		return XT_AUTH_STALE_TIMESTAMP;
	diff = now_ms > ts_ms ? now_ms - ts_ms : ts_ms - now_ms;
	if (diff > window_ms)
		return XT_AUTH_STALE_TIMESTAMP;

	memset(&key, 0, sizeof(key));
	if (!lookup(lookup_ctx, api_key, api_key_len, &key))
	{
		OPENSSL_cleanse(&key, sizeof(key));
		return XT_AUTH_UNKNOWN_API_KEY;
	}
	if (key.secret_len == 0 || key.secret_len > XT_AUTH_SECRET_MAX)
	{
		OPENSSL_cleanse(&key, sizeof(key));
		return XT_AUTH_INTERNAL;	/* a key store bug: never accept an empty secret */
	}

	if (signature_len != XT_AUTH_SIGNATURE_LEN)
	{
		OPENSSL_cleanse(&key, sizeof(key));
		return XT_AUTH_BAD_SIGNATURE;
	}
	for (int i = 0; i < HMAC_LEN; i++)
	{
		int			hi = hex_value((unsigned char) signature[2 * i]);
		int			lo = hex_value((unsigned char) signature[2 * i + 1]);

		if (hi < 0 || lo < 0)
		{
			OPENSSL_cleanse(&key, sizeof(key));
			return XT_AUTH_BAD_SIGNATURE;
		}
		given[i] = (unsigned char) (hi << 4 | lo);
	}

	mac_ok = hmac_parts(key.secret, key.secret_len, parts, lens, n_parts, mac);
	OPENSSL_cleanse(&key.secret, sizeof(key.secret));
	if (!mac_ok)
		return XT_AUTH_INTERNAL;
	if (CRYPTO_memcmp(given, mac, HMAC_LEN) != 0)
		return XT_AUTH_BAD_SIGNATURE;
	*account = key.account;
	return XT_AUTH_OK;
}

xt_auth_result
xt_auth_verify_rest(const xt_auth_request *req, int64_t now_ms, int64_t window_ms,
					xt_auth_lookup_fn lookup, void *lookup_ctx, uint64_t *account)
{
	const char *parts[4] = {req->timestamp, req->method, req->path_and_query, req->body};
	size_t		lens[4] = {req->timestamp_len, req->method_len, req->path_and_query_len,
	req->body_len};

	return verify(req->api_key, req->api_key_len, parts, lens, 4, req->signature,
				  req->signature_len, now_ms, window_ms, lookup, lookup_ctx, account);
}

xt_auth_result
xt_auth_verify_ws(const char *api_key, const char *timestamp, const char *signature,
				  int64_t now_ms, int64_t window_ms, xt_auth_lookup_fn lookup, void *lookup_ctx,
				  uint64_t *account)
{
	const char *parts[3] = {timestamp, "GET", "/v1/ws"};
	size_t		lens[3] = {timestamp ? strlen(timestamp) : 0, 3, 6};

	return verify(api_key, api_key ? strlen(api_key) : 0, parts, lens, 3, signature,
				  signature ? strlen(signature) : 0, now_ms, window_ms, lookup, lookup_ctx,
				  account);
}

const char *
xt_auth_result_name(xt_auth_result r)
{
	switch (r)
	{
		case XT_AUTH_OK:
			return "OK";
		case XT_AUTH_MISSING_HEADER:
			return "MISSING_HEADER";
		case XT_AUTH_BAD_API_KEY:
			return "BAD_API_KEY";
		case XT_AUTH_BAD_TIMESTAMP:
			return "BAD_TIMESTAMP";
		case XT_AUTH_STALE_TIMESTAMP:
			return "STALE_TIMESTAMP";
		case XT_AUTH_UNKNOWN_API_KEY:
			return "UNKNOWN_API_KEY";
		case XT_AUTH_BAD_SIGNATURE:
			return "BAD_SIGNATURE";
		case XT_AUTH_INTERNAL:
			return "INTERNAL";
	}
	return "UNKNOWN";
}

const char *
xt_auth_result_message(xt_auth_result r)
{
	switch (r)
	{
		case XT_AUTH_OK:
			return "authenticated";
		case XT_AUTH_MISSING_HEADER:
			return "X-XT-APIKEY, X-XT-TIMESTAMP and X-XT-SIGNATURE are required";
		case XT_AUTH_BAD_API_KEY:
			return "the API key is malformed";
		case XT_AUTH_BAD_TIMESTAMP:
			return "the timestamp must be milliseconds since the Unix epoch, digits only";
		case XT_AUTH_STALE_TIMESTAMP:
			return "the timestamp is outside the receive window: check the client clock";
		case XT_AUTH_UNKNOWN_API_KEY:
			return "unknown or revoked API key";
		case XT_AUTH_BAD_SIGNATURE:
			return "the signature does not match the request";
		case XT_AUTH_INTERNAL:
			return "internal error while checking the signature";
	}
	return "unknown authentication result";
}

int
xt_auth_http_status(xt_auth_result r)
{
	return r == XT_AUTH_OK ? 200 : r == XT_AUTH_INTERNAL ? 500 : 401;
}

size_t
xt_auth_key_for_log(const char *key, size_t len, char *buf, size_t cap)
{
	size_t		shown = len > 8 ? 4 : len / 2;
	size_t		n = 0;

	if (cap == 0)
		return 0;
	for (size_t i = 0; i < shown && n + 1 < cap; i++)
		buf[n++] = key_char((unsigned char) key[i]) ? key[i] : '?';
	for (int i = 0; i < 3 && n + 1 < cap; i++)
		buf[n++] = '.';
	buf[n] = '\0';
	return n;
}

/* ---- rate limiting ------------------------------------------------------------------------ */

static bool
limit_valid(const xt_rate_limit *lim)
{
	return lim->per_minute >= 1 && lim->per_minute <= XT_RATE_PER_MINUTE_MAX
		&& lim->burst >= 1 && lim->burst <= XT_RATE_BURST_MAX;
}

void
xt_rate_init(xt_rate_bucket *b, const xt_rate_limit *lim, int64_t now_ms)
{
	b->units = limit_valid(lim) ? lim->burst * XT_RATE_TOKEN : 0;
	b->last_ms = now_ms;
}

bool
xt_rate_take(xt_rate_bucket *b, const xt_rate_limit *lim, int64_t now_ms, int64_t *retry_after_s)
{
	int64_t		cap,
				wait_ms;

	*retry_after_s = 0;
	if (!limit_valid(lim))
	{
		*retry_after_s = 1;
		return false;
	}
	cap = lim->burst * XT_RATE_TOKEN;	/* <= 6 * 10^10 */
	if (now_ms > b->last_ms)
	{
		/* per_minute units per ms; capping the elapsed time at what fills an empty bucket keeps
		 * the product near cap (< 10^11), and the unsigned difference cannot overflow */
		uint64_t	elapsed = (uint64_t) now_ms - (uint64_t) b->last_ms;
		int64_t		fill_ms = cap / lim->per_minute + 1;

		if (elapsed > (uint64_t) fill_ms)
			elapsed = (uint64_t) fill_ms;
		b->units += (int64_t) elapsed * lim->per_minute;
		b->last_ms = now_ms;
	}
	if (b->units > cap)
		b->units = cap;			/* full, or the limit was lowered since the last call */
	if (b->units >= XT_RATE_TOKEN)
	{
		b->units -= XT_RATE_TOKEN;
		return true;
	}
	/* ms until one whole token, then whole seconds, both rounded up */
	wait_ms = (XT_RATE_TOKEN - b->units + lim->per_minute - 1) / lim->per_minute;
	*retry_after_s = (wait_ms + 999) / 1000;
	if (*retry_after_s < 1)
		*retry_after_s = 1;
	return false;
}
