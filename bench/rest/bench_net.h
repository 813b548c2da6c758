/*
 * bench_net.h: small client-side helpers shared by the REST and WebSocket load generators
 * (bench/rest/rest_load.c, bench/ws/ws_bench.c). Header-only (static functions), plain POSIX
 * sockets and OpenSSL libcrypto (HMAC-SHA256 for request signatures, SHA-1 + base64 for the
 * WebSocket handshake). Not part of the server: it speaks to it from the outside, as a client.
 *
 * Owns: clocks, non-blocking TCP connects, HTTP/1.1 request building (with the API's
 * X-XT-APIKEY / X-XT-TIMESTAMP / X-XT-SIGNATURE signature when a key is given), parsing of one
 * HTTP response with a Content-Length body, a blocking one-shot request for set-up probes,
 * latency sample arrays and percentiles, and the order price/quantity lists given on the command
 * line.
 */
#ifndef XT_BENCH_NET_H
#define XT_BENCH_NET_H

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#define BN_MAX_LIST 64

/* ---- clocks --------------------------------------------------------------------------------- */

static inline int64_t
bn_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline int64_t
bn_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Arm a timerfd (CLOCK_MONOTONIC) to fire at the absolute time at_ns (0 disarms it). */
static inline void
bn_timer_at(int tfd, int64_t at_ns)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	if (at_ns > 0)
	{
		its.it_value.tv_sec = at_ns / 1000000000;
		its.it_value.tv_nsec = at_ns % 1000000000;
	}
	(void) timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static inline void
bn_die(const char *fmt, ...)
{
	va_list		ap;

	va_start(ap, fmt);
	fputs("error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* ---- sockets ---------------------------------------------------------------------------------- */

/*
 * Start a non-blocking TCP connect to host:port (numeric IPv4). Returns the fd (the connect may
 * still be in progress: wait for EPOLLOUT, then check bn_connect_result), or -1 with errno set.
 */
static inline int
bn_connect_start(const char *host, int port)
{
	struct sockaddr_in sa;
	int			fd,
				one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t) port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
	{
		errno = EINVAL;
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	(void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 && errno != EINPROGRESS)
	{
		int			e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* 0 once a started connect succeeded, else its errno. */
static inline int
bn_connect_result(int fd)
{
	int			err = 0;
	socklen_t	len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return errno;
	return err;
}

/* A blocking connect with a time-out in ms; returns a NON-blocking fd, or -1. */
static inline int
bn_connect_wait(const char *host, int port, int timeout_ms)
{
	struct pollfd pfd;
	int			fd = bn_connect_start(host, port);

	if (fd < 0)
		return -1;
	pfd.fd = fd;
	pfd.events = POLLOUT;
	pfd.revents = 0;
	if (poll(&pfd, 1, timeout_ms) != 1 || bn_connect_result(fd) != 0)
	{
		close(fd);
		return -1;
	}
	return fd;
}

/* ---- signatures ----------------------------------------------------------------------------- */

/* out = lower-case hex of HMAC-SHA256(secret, data[0 .. len)), 64 digits and a NUL. */
static inline void
bn_hmac_hex(const char *secret, const char *data, size_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t		mac_len = 0;

	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, strlen(secret),
				   (const unsigned char *) data, len, mac, sizeof(mac), &mac_len) || mac_len != 32)
		bn_die("HMAC-SHA256 failed in libcrypto");
	for (size_t i = 0; i < 32; i++)
	{
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 15];
	}
	out[64] = '\0';
}

/* The X-XT-TIMESTAMP to sign with instead of the clock when not 0 (pre-signed requests). */
static int64_t bn_fixed_ts;

/* An API key and its secret (NULL key: no signature headers, for a server with auth off). */
typedef struct bn_key
{
	const char *key;
	const char *secret;
} bn_key;

/*
 * Build one HTTP/1.1 request into buf: method, target, Host, then Content-Type and
 * Content-Length when there is a body, then the three signature headers when key->key is set.
 * Returns its length, or 0 if it does not fit.
 */
static inline size_t
bn_http_request(char *buf, size_t cap, const char *host, int port, const char *method,
				const char *target, const char *body, size_t body_len, const bn_key *key)
{
	char		auth[256] = "";
	int			n;

	if (key && key->key)
	{
		char		ts[24];
		char		sig[65];
		char		tosign[8192];
		int			tl;

		snprintf(ts, sizeof(ts), "%" PRId64, bn_fixed_ts ? bn_fixed_ts : bn_wall_ms());
		tl = snprintf(tosign, sizeof(tosign), "%s%s%s", ts, method, target);
		if (tl < 0 || (size_t) tl + body_len >= sizeof(tosign))
			return 0;
		memcpy(tosign + tl, body, body_len);
		bn_hmac_hex(key->secret, tosign, (size_t) tl + body_len, sig);
		snprintf(auth, sizeof(auth), "X-XT-APIKEY: %s\r\nX-XT-TIMESTAMP: %s\r\nX-XT-SIGNATURE: %s\r\n",
				 key->key, ts, sig);
	}
	if (body_len > 0)
		n = snprintf(buf, cap, "%s %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
					 "Content-Length: %zu\r\n%s\r\n", method, target, host, port, body_len, auth);
	else
		n = snprintf(buf, cap, "%s %s HTTP/1.1\r\nHost: %s:%d\r\n%s\r\n", method, target, host,
					 port, auth);
	if (n < 0 || (size_t) n + body_len >= cap)
		return 0;
	memcpy(buf + n, body, body_len);
	buf[n + body_len] = '\0';
	return (size_t) n + body_len;
}

/* The value of header name (case-insensitive) in head[0 .. len), or NULL; *vlen its length. */
static inline const char *
bn_http_header(const char *head, size_t len, const char *name, size_t *vlen)
{
	size_t		nl = strlen(name);
	const char *p = memchr(head, '\n', len);	/* skip the status line */

	while (p && (size_t) (p + 1 - head) < len)
	{
		const char *line = p + 1;
		const char *end = memchr(line, '\n', len - (size_t) (line - head));

		if (!end)
			break;
		if ((size_t) (end - line) > nl && line[nl] == ':' && strncasecmp(line, name, nl) == 0)
		{
			const char *v = line + nl + 1;
			const char *ve = end;

			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			*vlen = (size_t) (ve - v);
			return v;
		}
		p = end;
	}
	return NULL;
}

/*
 * Parse one HTTP response at the start of buf[0 .. len). Returns its total length (head + body)
 * and sets *status, *body, *body_len, *close (the server said Connection: close); 0 if it is not
 * complete yet; -1 if it is malformed.
 */
static inline ssize_t
bn_http_response(const char *buf, size_t len, int *status, const char **body, size_t *body_len,
				 bool *close_after)
{
	const char *eoh;
	const char *v;
	size_t		head_len,
				vlen,
				clen = 0;

	if (len < 12)
		return 0;
	if (memcmp(buf, "HTTP/1.", 7) != 0)
		return -1;
	eoh = memmem(buf, len, "\r\n\r\n", 4);
	if (!eoh)
		return len > 65536 ? -1 : 0;
	head_len = (size_t) (eoh - buf) + 4;
	if (!isdigit((unsigned char) buf[9]) || !isdigit((unsigned char) buf[10]) ||
		!isdigit((unsigned char) buf[11]))
		return -1;
	*status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	v = bn_http_header(buf, head_len, "Content-Length", &vlen);
	if (v)
	{
		for (size_t i = 0; i < vlen; i++)
		{
			if (!isdigit((unsigned char) v[i]))
				return -1;
			clen = clen * 10 + (size_t) (v[i] - '0');
		}
	}
	v = bn_http_header(buf, head_len, "Connection", &vlen);
	*close_after = v && vlen == 5 && strncasecmp(v, "close", 5) == 0;
	if (len < head_len + clen)
		return 0;
	*body = buf + head_len;
	*body_len = clen;
	return (ssize_t) (head_len + clen);
}

/* The integer after "key": in a JSON text (no nesting awareness: keys must be unique), or -1. */
static inline int64_t
bn_json_int(const char *text, size_t len, const char *key)
{
	char		pat[64];
	int			pl = snprintf(pat, sizeof(pat), "\"%s\":", key);
	const char *p = memmem(text, len, pat, (size_t) pl);
	int64_t		v = 0;

	if (!p)
		return -1;
	p += pl;
	while (p < text + len && *p == ' ')
		p++;
	if (p >= text + len || !isdigit((unsigned char) *p))
		return -1;
	while (p < text + len && isdigit((unsigned char) *p))
		v = v * 10 + (*p++ - '0');
	return v;
}

/*
 * One blocking request on a fresh connection (for set-up and probes): returns the HTTP status,
 * or -1 if there was no complete answer within timeout_ms. The body (NUL-terminated, truncated
 * to cap) goes to body_out when it is not NULL.
 */
static inline int
bn_http_once(const char *host, int port, const char *method, const char *target,
			 const char *body, const bn_key *key, char *body_out, size_t cap, int timeout_ms)
{
	char		req[16384];
	char		resp[65536];
	size_t		rl,
				got = 0,
				off = 0;
	int64_t		deadline = bn_now_ns() + (int64_t) timeout_ms * 1000000;
	int			fd;

	rl = bn_http_request(req, sizeof(req), host, port, method, target, body ? body : "",
						 body ? strlen(body) : 0, key);
	if (rl == 0)
		return -1;
	fd = bn_connect_wait(host, port, timeout_ms);
	if (fd < 0)
		return -1;
	while (bn_now_ns() < deadline)
	{
		struct pollfd pfd = {.fd = fd, .events = off < rl ? POLLOUT | POLLIN : POLLIN};
		int			status;
		const char *b;
		size_t		bl;
		bool		cl;
		ssize_t		r,
					n;

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		if (off < rl && (pfd.revents & POLLOUT))
		{
			n = send(fd, req + off, rl - off, MSG_NOSIGNAL);
			if (n > 0)
				off += (size_t) n;
			else if (n < 0 && errno != EAGAIN)
				break;
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
		{
			n = recv(fd, resp + got, sizeof(resp) - 1 - got, 0);
			if (n <= 0 && !(n < 0 && errno == EAGAIN))
				break;
			if (n > 0)
				got += (size_t) n;
			r = bn_http_response(resp, got, &status, &b, &bl, &cl);
			if (r < 0)
				break;
			if (r > 0)
			{
				if (body_out && cap > 0)
				{
					size_t		c = bl < cap - 1 ? bl : cap - 1;

					memcpy(body_out, b, c);
					body_out[c] = '\0';
				}
				close(fd);
				return status;
			}
		}
	}
	close(fd);
	return -1;
}

/*
 * Wait until a signed GET /v1/order/1 with key is no longer refused with 401 (a new key reaches
 * the server within about a second). Returns the last status (404 or 200 when the key works).
 */
static inline int
bn_wait_key(const char *host, int port, const bn_key *key, int timeout_ms)
{
	int64_t		deadline = bn_now_ns() + (int64_t) timeout_ms * 1000000;
	char		body[512];
	int			st = -1;

	while (bn_now_ns() < deadline)
	{
		st = bn_http_once(host, port, "GET", "/v1/order/1", NULL, key, body, sizeof(body), 2000);
		if (st != 401 && st != -1)
			return st;
		usleep(100000);
	}
	if (st == 401)
		fprintf(stderr, "# key %.8s... still refused: %s\n", key->key ? key->key : "(none)", body);
	return st;
}

/* ---- latency samples -------------------------------------------------------------------------- */

typedef struct bn_samples
{
	int64_t    *v;				/* nanoseconds */
	size_t		n;
	size_t		cap;
} bn_samples;

static inline void
bn_samples_add(bn_samples *s, int64_t ns)
{
	if (s->n == s->cap)
	{
		s->cap = s->cap ? s->cap * 2 : 65536;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v)
			bn_die("out of memory");
	}
	s->v[s->n++] = ns;
}

static inline int
bn_cmp_i64(const void *a, const void *b)
{
	int64_t		x = *(const int64_t *) a,
				y = *(const int64_t *) b;

	return (x > y) - (x < y);
}

/* Sort once, then ask for percentiles (p in 0..100) in milliseconds; NAN-free: -1 when empty. */
static inline void
bn_samples_sort(bn_samples *s)
{
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), bn_cmp_i64);
}

static inline double
bn_pct_ms(const bn_samples *s, double p)
{
	size_t		i;

	if (s->n == 0)
		return -1.0;
	i = (size_t) ((double) s->n * p / 100.0);
	if (i >= s->n)
		i = s->n - 1;
	return (double) s->v[i] / 1e6;
}

/* ---- order lists ---------------------------------------------------------------------------- */

/* Split a comma-separated list of decimal texts (checked: digits, one dot) into out[]. */
static inline int
bn_parse_list(char *text, const char **out, int max, const char *what)
{
	int			n = 0;

	for (char *tok = strtok(text, ","); tok; tok = strtok(NULL, ","))
	{
		int			dots = 0;

		for (const char *c = tok; *c; c++)
			if (*c == '.')
				dots++;
			else if (!isdigit((unsigned char) *c))
				bn_die("%s: \"%s\" is not a decimal", what, tok);
		if (dots > 1 || !*tok)
			bn_die("%s: \"%s\" is not a decimal", what, tok);
		if (n == max)
			bn_die("%s: more than %d values", what, max);
		out[n++] = tok;
	}
	if (n == 0)
		bn_die("%s: empty list", what);
	return n;
}

/* A small deterministic PRNG (xorshift64*). */
static inline uint64_t
bn_rand(uint64_t *s)
{
	uint64_t	x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

#endif							/* XT_BENCH_NET_H */
