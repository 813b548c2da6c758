/*
 * auth.h: API-key authentication and per-key rate limiting of the REST and WebSocket APIs.
 *
 * Owns: the signature scheme (what is signed, how, and how it is checked), the receive window,
 * the result codes of every refusal, the token-bucket rate limiter, and the one safe way to show
 * an API key in a log line.
 *
 * Callers: the network worker (and tests). Pure C11 plus OpenSSL libcrypto (HMAC-SHA256 through
 * EVP_MAC, CRYPTO_memcmp). No allocation of its own, no I/O, no clock: the caller passes the time,
 * so tests are exact and the worker reads the clock once per request. Thread-safe; a rate bucket
 * is owned by one thread at a time (the caller serialises access to a shared one).
 *
 * REST SIGNATURE
 *   X-XT-APIKEY:    the key id: 1..64 bytes of [A-Za-z0-9_-]
 *   X-XT-TIMESTAMP: the client's time in ms since the Unix epoch, 1..15 ASCII digits
 *   X-XT-SIGNATURE: 64 hex digits (lower case is canonical; upper case is accepted) of
 *                   HMAC-SHA256(secret, timestamp || method || path_and_query || body)
 *   where || is plain concatenation with no separators: timestamp exactly as sent in the header,
 *   method the upper-case request method ("POST"), path_and_query the request target exactly as
 *   sent on the request line ("/v1/order", "/v1/trades/BTC-KRW?limit=10"; not re-encoded), body
 *   the raw body bytes ("" for none). Example string to sign:
 *     1700000000000POST/v1/order{"symbol":"BTC-KRW","side":"Buy",...}
 *   Accepted when |now - timestamp| <= window (default 5000 ms, both directions: a client clock
 *   ahead of the server is as suspicious as a replay).
 *
 * WEBSOCKET SIGNATURE (the {"op":"auth"} message): the same HMAC over
 *   timestamp || "GET" || "/v1/ws"
 * (the WebSocket upgrade is a GET of /v1/ws with no body), with the same window.
 *
 * CHECK ORDER (first failure is the answer): MISSING_HEADER, BAD_API_KEY, BAD_TIMESTAMP,
 * STALE_TIMESTAMP, UNKNOWN_API_KEY (the key lookup), BAD_SIGNATURE (malformed or wrong). The
 * signature is compared in constant time; the cheap checks come first so a flood of garbage never
 * reaches the key store or HMAC.
 */
#ifndef XT_NET_AUTH_H
#define XT_NET_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define XT_AUTH_API_KEY_MAX		64
#define XT_AUTH_SECRET_MAX		128		/* bytes of a secret */
#define XT_AUTH_TIMESTAMP_MAX	15		/* digits: ms until the year 33658 */
#define XT_AUTH_SIGNATURE_LEN	64		/* hex digits of HMAC-SHA256 */
#define XT_AUTH_WINDOW_DEFAULT	5000	/* ms */
#define XT_AUTH_WINDOW_MIN		1
#define XT_AUTH_WINDOW_MAX		600000
#define XT_AUTH_KEY_LOG_MAX		16		/* buffer for xt_auth_key_for_log, NUL included */

typedef enum xt_auth_result
{
	XT_AUTH_OK = 0,
	XT_AUTH_MISSING_HEADER = 1, /* a header (or WS auth field) is absent or empty */
	XT_AUTH_BAD_API_KEY = 2,	/* the key is too long or has a byte outside [A-Za-z0-9_-] */
	XT_AUTH_BAD_TIMESTAMP = 3,	/* not 1..15 ASCII digits */
	XT_AUTH_STALE_TIMESTAMP = 4,	/* outside the receive window */
	XT_AUTH_UNKNOWN_API_KEY = 5,	/* no such key, or revoked */
	XT_AUTH_BAD_SIGNATURE = 6,	/* not 64 hex digits, or not the HMAC of the request */
	XT_AUTH_INTERNAL = 7		/* libcrypto failed: answer 500, never 401 */
} xt_auth_result;

/* A key's secret and owner, as the caller's key store returns them. */
typedef struct xt_auth_key
{
	uint64_t	account;
	size_t		secret_len;		/* 1 .. XT_AUTH_SECRET_MAX */
	unsigned char secret[XT_AUTH_SECRET_MAX];
} xt_auth_key;

/* Find an API key (key[0 .. len), already checked by the syntax rule above). Returns true and
 * fills *out, or false if the key is unknown or revoked. */
typedef bool (*xt_auth_lookup_fn) (void *ctx, const char *key, size_t len, xt_auth_key *out);

/* One REST request's authentication inputs; a header that is absent is NULL (or length 0). */
typedef struct xt_auth_request
{
	const char *api_key;
	size_t		api_key_len;
	const char *timestamp;
	size_t		timestamp_len;
	const char *signature;
	size_t		signature_len;
	const char *method;
	size_t		method_len;
	const char *path_and_query;
	size_t		path_and_query_len;
	const char *body;
	size_t		body_len;
} xt_auth_request;

/*
 * Authenticate a REST request at time now_ms with the given receive window (ms; values outside
 * [XT_AUTH_WINDOW_MIN, XT_AUTH_WINDOW_MAX] mean the default). Returns XT_AUTH_OK and sets
 * *account, or the first failing check. The secret copy on the stack is wiped before return.
 */
xt_auth_result xt_auth_verify_rest(const xt_auth_request *req, int64_t now_ms, int64_t window_ms,
								   xt_auth_lookup_fn lookup, void *lookup_ctx, uint64_t *account);

/*
 * Authenticate a WebSocket auth message (NUL-terminated texts, e.g. from xt_ws_request) the same
 * way, over timestamp || "GET" || "/v1/ws".
 */
xt_auth_result xt_auth_verify_ws(const char *api_key, const char *timestamp,
								 const char *signature, int64_t now_ms, int64_t window_ms,
								 xt_auth_lookup_fn lookup, void *lookup_ctx, uint64_t *account);

/*
 * The lower-case hex signature of a request (what a client computes): HMAC-SHA256(secret,
 * timestamp || method || path_and_query || body) into out[0 .. 64] with a NUL. Returns false only
 * if libcrypto fails. For tests, the demo client and documentation examples.
 */
bool		xt_auth_sign(const unsigned char *secret, size_t secret_len,
						 const char *timestamp, size_t timestamp_len,
						 const char *method, size_t method_len,
						 const char *path_and_query, size_t path_and_query_len,
						 const char *body, size_t body_len,
						 char out[XT_AUTH_SIGNATURE_LEN + 1]);

/* "BAD_SIGNATURE", ...: the stable code sent as "error"; "UNKNOWN" for other numbers. */
const char *xt_auth_result_name(xt_auth_result r);

/* A short user message for a result ("signature does not match the request"). Never contains
 * the key, the secret or the signature. */
const char *xt_auth_result_message(xt_auth_result r);

/* HTTP status: 200 OK, 500 INTERNAL, 401 otherwise. */
int			xt_auth_http_status(xt_auth_result r);

/*
 * A key made safe for logs: its first 4 bytes (fewer for a key of 8 bytes or less, so at least
 * half stays hidden) followed by "...", bytes outside [A-Za-z0-9_-] shown as '?'. Writes into
 * buf[0 .. cap) (XT_AUTH_KEY_LOG_MAX suffices), NUL-terminated; returns the length written.
 */
size_t		xt_auth_key_for_log(const char *key, size_t len, char *buf, size_t cap);

/* ---- rate limiting ------------------------------------------------------------------------ */

/*
 * Token bucket: up to burst requests at once, refilled at per_minute requests per minute. Integer
 * arithmetic: a token is XT_RATE_TOKEN units and the bucket gains per_minute units per ms, so any
 * rate from 1 per minute to 1,000,000 per second refills exactly, with no floating point.
 */
#define XT_RATE_TOKEN			60000	/* units of one token: ms per minute */
#define XT_RATE_PER_MINUTE_MAX	60000000
#define XT_RATE_BURST_MAX		1000000

typedef struct xt_rate_limit
{
	int64_t		per_minute;		/* 1 .. XT_RATE_PER_MINUTE_MAX tokens per minute */
	int64_t		burst;			/* 1 .. XT_RATE_BURST_MAX tokens */
} xt_rate_limit;

typedef struct xt_rate_bucket
{
	int64_t		units;			/* 0 .. burst * XT_RATE_TOKEN */
	int64_t		last_ms;		/* time of the last refill */
} xt_rate_bucket;

/* A full bucket at time now_ms (a new key starts with its whole burst). */
void		xt_rate_init(xt_rate_bucket *b, const xt_rate_limit *lim, int64_t now_ms);

/*
 * Take one token at time now_ms. Returns true if the request may proceed. Otherwise returns false
 * and sets *retry_after_s to the whole seconds (>= 1, rounded up) until a token is available
 * (at most 60 for the slowest rate):
 * the Retry-After header of the 429. A clock that goes backwards refills nothing.
 * A limit outside its bounds refuses every request with a Retry-After of 1.
 */
bool		xt_rate_take(xt_rate_bucket *b, const xt_rate_limit *lim, int64_t now_ms,
						 int64_t *retry_after_s);

#ifdef __cplusplus
}
#endif

#endif							/* XT_NET_AUTH_H */
