/*
 * xtrader.h: what the extension's C files share: GUC variables and their limits, and helpers
 * used by more than one SQL function.
 *
 * Only code under src/pg includes postgres.h; the engine core (src/engine) never does.
 */
#ifndef XTRADER_PG_H
#define XTRADER_PG_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "fmgr.h"
#include "utils/numeric.h"

/* Limits as named triples (default, min, max); the engine's own bounds are the outer fence. */
#define XT_DEFAULT_MAX_SYMBOLS	64
#define XT_MIN_MAX_SYMBOLS		1
#define XT_MAX_MAX_SYMBOLS		65536

#define XT_DEFAULT_MAX_ORDERS	262144
#define XT_MIN_MAX_ORDERS		16
#define XT_MAX_MAX_ORDERS		(1 << 26)
#define XT_DEFAULT_MAX_LEVELS	4096
#define XT_MIN_MAX_LEVELS		4
#define XT_MAX_MAX_LEVELS		(1 << 20)
#define XT_DEFAULT_MAX_CLORDIDS 262144
#define XT_MAX_MAX_CLORDIDS		(1 << 26)
#define XT_DEFAULT_RING_SLOTS	65536
#define XT_MIN_RING_SLOTS		1024
#define XT_MAX_RING_SLOTS		(1 << 24)
#define XT_DEFAULT_EVENT_RING	(1 << 20)
#define XT_MIN_EVENT_RING		1024
#define XT_MAX_EVENT_RING		(1 << 28)
#define XT_DEFAULT_SUBMIT_TIMEOUT_MS 10000
#define XT_DEFAULT_PERSIST_BATCH 50000

/* TimestampTz counts microseconds from 2000-01-01; the APIs and messages count ms from 1970. */
static inline int64
xt_unix_ms(TimestampTz at)
{
	return at / 1000 + (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * 1000;
}

/* GUCs (src/pg/xtrader.c); the sizing ones are also declared in shmem.h */
extern int	xt_guc_max_symbols;

/* The network worker (src/pg/net_worker.c) */
#define XT_DEFAULT_REST_PORT	7000
#define XT_DEFAULT_WS_PORT		7001
#define XT_DEFAULT_RATE_PER_MINUTE 600000
#define XT_DEFAULT_RATE_BURST	10000
extern int	xt_guc_rest_port;
extern int	xt_guc_ws_port;
extern char *xt_guc_listen_addresses;
extern bool xt_guc_rest_auth;
extern int	xt_guc_auth_window_ms;
extern int	xt_guc_rate_per_minute;
extern int	xt_guc_rate_burst;
extern int	xt_guc_net_max_connections;

/* The broker workers (src/pg/broker_worker.c) */
extern char *xt_guc_redis_url;
extern char *xt_guc_kafka_brokers;
extern char *xt_guc_amqp_url;
extern int	xt_guc_broker_health_ms;
extern int	xt_guc_broker_batch;
extern int	xt_guc_broker_book_depth;
extern int	xt_guc_redis_maxlen;
extern int	xt_guc_redis_consumers;
extern int	xt_guc_consumer_claim_idle_ms;
extern int	xt_guc_consumer_batch;

/* Fractional digits a tick or lot size may have. */
#define XT_STEP_MAX_SCALE		8

/* src/pg/numeric_util.c: exact numeric helpers shared by the SQL functions. */
extern int	xt_numeric_cmp(Numeric a, Numeric b);
extern bool xt_numeric_is_multiple(Numeric value, Numeric step);
extern int32 xt_numeric_min_scale(Numeric value);
extern bool xt_numeric_units(Numeric value, Numeric step, int64 *units);
extern Numeric xt_numeric_from_cstring(const char *s);
extern void xt_require_arg(FunctionCallInfo fcinfo, int argno, const char *name);
extern int64 xt_numeric_to_units(Numeric v, Numeric step, const char *field,
								 const char *step_name);

/* src/pg/symbols.c: a backend's cache of xtrader.symbols, reloaded when a symbol is added. */
typedef struct XtSymbol
{
	char		name[32];
	int32		symbol_id;
	Numeric		tick;			/* in TopMemoryContext */
	Numeric		lot;
	int64		min_lots;		/* 1 when unset */
	int64		max_lots;		/* XT_VALUE_MAX when unset */
} XtSymbol;

/* The symbol by name, or NULL. */
extern const XtSymbol *xt_symbol_lookup(const char *name);
/* The symbol by engine id, or NULL. */
extern const XtSymbol *xt_symbol_by_id(int32 symbol_id);

/*
 * src/pg/spi_txn.c: run fn(ctx, arg) in a transaction of its own, SPI connected and a snapshot
 * pushed, for background workers. An ERROR inside rolls back and returns false after logging it
 * (LOG the first time, DEBUG1 while the same message repeats, remembered in last_error); the
 * worker goes on. CurrentMemoryContext is the same afterwards.
 */
typedef void (*XtSpiFn) (void *ctx, void *arg);
extern bool xt_spi_transaction(XtSpiFn fn, void *ctx, void *arg, const char *who,
							   char *last_error, size_t last_error_cap);
/* The same; on false *sqlerrcode (if not NULL) is the error's code (ERRCODE_...), else 0. */
extern bool xt_spi_transaction_code(XtSpiFn fn, void *ctx, void *arg, const char *who,
									char *last_error, size_t last_error_cap, int *sqlerrcode);

/* ticks/lots -> exact numeric */
extern Numeric xt_units_to_numeric(int64 units, Numeric step);

#endif							/* XTRADER_PG_H */
