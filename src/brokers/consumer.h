/*
 * consumer.h: a member of the Redis consumer group that moves executions from the stream into
 * PostgreSQL (the flow document's "execution_processors").
 *
 * Owns: the Redis side of consuming: connecting (bounded), creating the group if it is missing,
 * reading batches with XREADGROUP, taking over messages another member left pending for too long
 * (XAUTOCLAIM), and acknowledging (XACK) a batch only after the caller's store callback said it
 * is committed. It knows nothing of PostgreSQL: the caller stores (the background worker through
 * SPI, the standalone program xtrader-consumer through libpq).
 *
 * Delivery: at least once into the store, exactly once in effect, because the store is
 * idempotent on the message id (INSERT ... ON CONFLICT DO NOTHING). A member that dies between
 * its commit and its XACK leaves the batch pending; it is redelivered (to itself on restart, as
 * its own pending entries are read first, or to another member by XAUTOCLAIM) and the store
 * ignores the copies.
 *
 * Plain C11 + hiredis; no global state; one consumer per thread. The process must ignore SIGPIPE.
 */
#ifndef XT_BROKERS_CONSUMER_H
#define XT_BROKERS_CONSUMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define XT_CONSUMER_DEFAULT_STREAM	"executions"
#define XT_CONSUMER_DEFAULT_GROUP	"execution_processors"
#define XT_CONSUMER_DEFAULT_FIELD	"data"
#define XT_CONSUMER_DEFAULT_COUNT	100
#define XT_CONSUMER_DEFAULT_BLOCK_MS 1000
#define XT_CONSUMER_DEFAULT_CLAIM_IDLE_MS 30000
#define XT_CONSUMER_ERRLEN			256

typedef struct xt_consumer xt_consumer;

typedef struct xt_consumer_config
{
	const char *url;			/* redis://[[user]:password@]host[:port][/db] (broker_url.c) */
	const char *stream;			/* NULL = "executions" */
	const char *group;			/* NULL = "execution_processors" */
	const char *field;			/* NULL = "data": the entry field holding the message */
	const char *name;			/* this member's name in the group: unique per member */
	int			count;			/* messages per XREADGROUP / XAUTOCLAIM; 0 = 100 */
	int			block_ms;		/* XREADGROUP BLOCK; 0 = 1000 */
	int			claim_idle_ms;	/* XAUTOCLAIM min-idle-time; 0 = 30000 */
	int			connect_timeout_ms; /* 0 = 2000 */
	int			io_timeout_ms;	/* 0 = block_ms + 5000; at least block_ms + 1000 */
} xt_consumer_config;

/* One message: the stream entry id "<id>-0" as id, and the field's value. */
typedef struct xt_consumer_msg
{
	uint64_t	id;
	const char *body;			/* valid during the store call only; not NUL-terminated */
	size_t		len;
} xt_consumer_msg;

/* Store msgs[0 .. n) (ids increasing) and commit; true once committed. On false nothing is
 * acknowledged and the messages stay pending (delivered again later). */
typedef bool (*xt_consumer_store_fn) (void *ctx, const xt_consumer_msg *msgs, size_t n);

typedef struct xt_consumer_stats
{
	uint64_t	delivered;		/* messages handed to store (copies counted again) */
	uint64_t	acked;
	uint64_t	claimed;		/* taken over from other members by XAUTOCLAIM */
	uint64_t	errors;			/* failed connects, commands, stores */
	uint64_t	reconnects;
} xt_consumer_stats;

/* A consumer for cfg (copied). Does not connect. NULL with a reason in err (never a password)
 * when the configuration is invalid. */
xt_consumer *xt_consumer_create(const xt_consumer_config *cfg, char *err, size_t errlen);

/*
 * One round, bounded by about io_timeout_ms (plus the store's own time):
 *  1. connect if needed and create the group (XGROUP CREATE ... 0 MKSTREAM: from the first entry kept; BUSYGROUP is fine);
 *  2. first, this member's own pending entries (XREADGROUP ... 0): a restart finishes its batch;
 *  3. every claim_idle_ms / 2: XAUTOCLAIM entries idle longer than claim_idle_ms;
 *  4. otherwise XREADGROUP ... > with BLOCK block_ms.
 * Each batch goes to store, then XACK. Returns the number of messages stored in this round
 * (0 when there was nothing), or -1 on a Redis or store failure (see xt_consumer_last_error;
 * the connection is dropped and the next round reconnects).
 */
int			xt_consumer_poll(xt_consumer *c, xt_consumer_store_fn store, void *ctx);

const char *xt_consumer_last_error(const xt_consumer *c);	/* "" if none; never a password */
xt_consumer_stats xt_consumer_get_stats(const xt_consumer *c);
bool		xt_consumer_connected(const xt_consumer *c);

/* Drop the connection and free everything. NULL is fine. */
void		xt_consumer_destroy(xt_consumer *c);

#ifdef __cplusplus
}
#endif

#endif							/* XT_BROKERS_CONSUMER_H */
