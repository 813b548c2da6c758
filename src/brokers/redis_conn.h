/*
 * redis_conn.h: opening a Redis connection the way both Redis clients of xTrader need it (the
 * publisher, redis_pub.c, and the consumer-group member, consumer.c): a bounded connect, then
 * AUTH / SELECT / PING each bounded by the same time-out (a SIGSTOPped server still completes TCP
 * connects; only an answer proves it is there), and one wording for a context's errors.
 *
 * Plain C11 + hiredis. Error texts never contain the password.
 */
#ifndef XT_BROKERS_REDIS_CONN_H
#define XT_BROKERS_REDIS_CONN_H

#include <stddef.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "brokers/publisher.h"

/* ms as a struct timeval for hiredis. */
struct timeval xt_redis_tv(int ms);

/*
 * Describe the context's last error for the operation what into err: a socket time-out reads as
 * "<what>: no answer from host:port within <timeout_ms> ms", anything else as
 * "<what>: <hiredis text> (host:port)".
 */
void		xt_redis_ctx_error(const redisContext *rc, const xt_broker_url *url, int timeout_ms,
							   const char *what, char *err, size_t errlen);

/*
 * Connect to url and run the handshake, all bounded by connect_ms; keep-alive on. Returns the
 * context with its time-out still connect_ms (the caller sets its I/O time-out), or NULL with
 * err set ("connect to host:port: ...", "AUTH refused: ...", "PING: no answer ...").
 */
redisContext *xt_redis_open(const xt_broker_url *url, int connect_ms, char *err, size_t errlen);

#endif							/* XT_BROKERS_REDIS_CONN_H */
