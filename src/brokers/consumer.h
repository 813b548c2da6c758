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
 * Dead letters: an entry that cannot be stored (its id is not "<message id>-0", it lacks the
 * field, the store callback finds it unreadable, or the database refuses it) goes to the caller's
 * dead-letter callback with the reason, and is acknowledged once that committed. When the
 * database refuses a batch (XT_STORE_REFUSED: its data, not its availability), the batch is
 * split in halves, each stored on its own, down to the single messages it refuses: one bad
 * message costs about 2 log2(batch) small transactions and never stops the group.
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
#define XT_CONSUMER_MAX_COUNT		100000
#define XT_CONSUMER_ERRLEN			256
#define XT_CONSUMER_STORE_ERRLEN	512	/* the store's reason for refusing (a PostgreSQL error) */

typedef struct xt_consumer xt_consumer;

typedef struct xt_consumer_config
{
	const char *url;			/* redis://[[user]:password@]host[:port][/db] (broker_url.c) */
	const char *stream;			/* NULL = "executions" */
	const char *group;			/* NULL = "execution_processors" */
	const char *field;			/* NULL = "data": the entry field holding the message */
	const char *name;			/* this member's name in the group: unique per member */
	int			count;			/* messages per XREADGROUP / XAUTOCLAIM (the batch); 0 = 100 */
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
	const char *error;			/* NULL; see xt_consumer_store_fn */
} xt_consumer_msg;

typedef enum xt_store_result
{
	XT_STORE_COMMITTED = 0,		/* stored and committed */
	XT_STORE_REFUSED = 1,		/* nothing committed: the database refused the data (a message in
								 * it), err says why; the consumer isolates the bad messages */
	XT_STORE_FAILED = 2			/* nothing committed: the database is not available (or any other
								 * failure not about the data): the batch is delivered again */
} xt_store_result;

/*
 * Store msgs[0 .. n) (ids increasing) in one transaction and commit. A message the callback
 * itself finds unstorable (it does not parse) it leaves out and marks with msgs[i].error (its own
 * text, valid until the callback is called again); the consumer makes it a dead letter. Nothing
 * is acknowledged unless the result is XT_STORE_COMMITTED.
 */
typedef xt_store_result (*xt_consumer_store_fn) (void *ctx, xt_consumer_msg *msgs, size_t n,
												  char *err, size_t errlen);

/* A stream entry that cannot be stored. Every text is NUL-terminated valid UTF-8 without NUL
 * bytes (bytes of the body or entry id that are not, and NUL, are written as \xNN). */
typedef struct xt_consumer_dead
{
	const char *entry_id;		/* the stream entry id */
	uint64_t	id;				/* the message id, or 0 when the entry id is not "<id>-0" */
	const char *body;			/* the field's value ("" when the entry has no such field) */
	size_t		len;
	const char *error;			/* why */
} xt_consumer_dead;

/* Store the dead letters d[0 .. n) of the stream in one transaction, idempotently (a dead letter
 * stored before is ignored); true once committed. On false nothing is acknowledged. */
typedef bool (*xt_consumer_dead_fn) (void *ctx, const char *stream, const xt_consumer_dead *d,
									 size_t n, char *err, size_t errlen);

typedef struct xt_consumer_stats
{
	uint64_t	delivered;		/* messages handed to store (copies counted again) */
	uint64_t	acked;
	uint64_t	claimed;		/* taken over from other members by XAUTOCLAIM */
	uint64_t	dead_letters;	/* entries given to the dead-letter callback (copies counted again) */
	uint64_t	refused;		/* store calls the database refused (each split further) */
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
 * Each batch goes to store (and what cannot be stored to dead), then XACK. Returns the number
 * of entries handled in this round (stored or dead-lettered; 0 when there was nothing), or -1 on
 * a Redis or store failure (see xt_consumer_last_error; the connection is dropped and the next
 * round reconnects). dead may be NULL: an entry that cannot be stored then stays pending (and a
 * refused batch is retried as a whole), as before dead letters existed.
 */
int			xt_consumer_poll(xt_consumer *c, xt_consumer_store_fn store, xt_consumer_dead_fn dead,
							 void *ctx);

const char *xt_consumer_last_error(const xt_consumer *c);	/* "" if none; never a password */
xt_consumer_stats xt_consumer_get_stats(const xt_consumer *c);
bool		xt_consumer_connected(const xt_consumer *c);

/* Drop the connection and free everything. NULL is fine. */
void		xt_consumer_destroy(xt_consumer *c);

#ifdef __cplusplus
}
#endif

#endif							/* XT_BROKERS_CONSUMER_H */
