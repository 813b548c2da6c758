/*
 * shmem.h: xTrader's shared memory: the engine's books, the sequencer ring, the reply slots and
 * the outbound record ring, and the state machine that says whether orders may be submitted.
 *
 * Layout (one ShmemInitStruct block, offsets fixed at startup from the GUCs):
 *
 *   +----------------+ 0
 *   | XtShared       |  counters, positions, locks, condition variables
 *   +----------------+ in_offset
 *   | XtInSlot[N_in] |  sequencer ring: commands in seq order   (producers: backends)
 *   +----------------+ reply_offset
 *   | XtReply[procs] |  one reply slot per PGPROC, by pgprocno   (writer: engine worker)
 *   +----------------+ out_offset
 *   | XtOutRec[N_out]|  outbound ring: command + its events     (writer: engine worker,
 *   +----------------+ engine_offset                              readers: persister, later
 *   | xt_engine      |  the books (src/engine), ~xt_engine_size    REST/WS, ...)
 *   +----------------+
 *
 * Who writes what, and what protects it:
 *   - last_seq, in_tail: under seq_lock (exclusive), held by a producer while it assigns the next
 *     sequence numbers and copies its commands into the ring, so seq order == ring order (FIFO).
 *     in_tail is also published atomically for the engine worker, which reads it without the lock.
 *   - in_head: only the engine worker writes it (atomic), after it consumed slots.
 *   - the engine memory: written by the engine worker under book_lock (exclusive), read by SQL
 *     backends (xt_order_book) under book_lock (shared).
 *   - out_write: only the engine worker (atomic, after a write barrier: records before it are
 *     complete commands). out_read, durable_seq: only the persister, after its commit.
 *   - state, generation: the engine worker (atomics), waking waiters on state_cv.
 *
 * Any death of the engine worker is a PostgreSQL crash-restart (it exits with code 2 or dies by a
 * signal), which resets this memory: so recovery has one path, a fresh block rebuilt from the
 * durable journal. A controlled reset (CREATE EXTENSION) bumps generation and runs the same path.
 */
#ifndef XTRADER_SHMEM_H
#define XTRADER_SHMEM_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "port/atomics.h"
#include "storage/condition_variable.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/spin.h"

#include "engine/engine.h"

typedef enum XtState
{
	XT_STATE_STARTING = 0,		/* engine worker not yet running */
	XT_STATE_NO_EXTENSION,		/* waiting for CREATE EXTENSION xtrader in xtrader.database */
	XT_STATE_RECOVERING,		/* rebuilding the books from the journal */
	XT_STATE_READY				/* accepting orders */
} XtState;

/* One sequencer slot: a command and where its submitter waits for the reply. */
typedef struct XtInSlot
{
	xt_command	cmd;
	int32		procno;			/* reply slot (pgprocno), or -1: the submitter reads tables */
} XtInSlot;

/* The engine's immediate answer to one command, read by its submitter once it is durable. */
typedef enum XtOutcome
{
	XT_OUTCOME_NONE = 0,
	XT_OUTCOME_ACCEPTED,		/* new order accepted / cancel or amend done / symbol added */
	XT_OUTCOME_REJECTED,
	XT_OUTCOME_DUPLICATE		/* repeated client order id: order_id is the original order */
} XtOutcome;

typedef struct XtReply
{
	uint64		seq;			/* the command this reply answers */
	uint64		order_id;
	uint8		outcome;		/* XtOutcome */
	uint8		reason;			/* xt_reason when rejected */
	uint8		status;			/* xt_status of the order after the command */
} XtReply;

/* Fold one event of a command (of type cmd_type) into the answer to it (engine_worker.c). */
void		xt_reply_fold(XtReply *r, uint8 cmd_type, const xt_event *ev);

/* Outbound ring record: a command (first) followed by the events it produced. */
typedef enum XtOutKind
{
	XT_OUT_COMMAND = 1,
	XT_OUT_EVENT = 2
} XtOutKind;

typedef struct XtOutRec
{
	uint8		kind;			/* XtOutKind */
	TimestampTz at;				/* when the engine applied the command */
	union
	{
		xt_command	cmd;
		xt_event	ev;
	}			u;
} XtOutRec;

/*
 * One broker publisher worker's public state (broker_worker.c writes it under mutex; SQL
 * xt_broker_status() and /metrics read it). Which broker is which: XtBroker.
 */
typedef enum XtBroker
{
	XT_BROKER_REDIS = 0,
	XT_BROKER_KAFKA = 1,
	XT_BROKER_AMQP = 2,
	XT_BROKER_COUNT = 3
} XtBroker;

typedef struct XtBrokerShared
{
	slock_t		mutex;
	Latch	   *latch;			/* the worker's, set by the persister after a commit */
	bool		running;		/* the worker is attached */
	uint8		state;			/* xt_pub_state */
	uint64		cursor;			/* last execution message id the broker confirmed */
	uint64		market_cursor;	/* last market data message id confirmed (0: none published) */
	uint64		sent;
	uint64		confirmed;
	uint64		errors;
	uint64		reconnects;
	TimestampTz last_success;	/* last confirmed batch or health check */
	int64		pending_since_ms;	/* executed_at (ms since 1970) of the oldest execution read
									 * and not yet confirmed; 0 when nothing was waiting */
	char		last_error[256];	/* never holds a password */
} XtBrokerShared;

typedef struct XtShared
{
	/* fixed at startup */
	Size		in_offset;
	Size		reply_offset;
	Size		out_offset;
	Size		engine_offset;
	Size		engine_size;
	uint32		in_slots;
	uint32		n_replies;
	uint64		out_recs;

	LWLock		seq_lock;		/* last_seq, in_tail (producers) */
	LWLock		book_lock;		/* the engine memory */
	LWLock		persist_lock;	/* held by the persister over one batch, read to commit */

	pg_atomic_uint32 state;		/* XtState */
	pg_atomic_uint32 generation;	/* bumped by each recovery; waiters of an older one give up */
	pg_atomic_uint32 reset_requested;	/* generation a reset was asked for */
	pg_atomic_uint32 persister_parked;	/* generation the persister stopped for */
	pg_atomic_uint32 symbols_version;	/* bumped when a symbol is added: backend caches reload */

	uint64		last_seq;		/* last sequence number handed out (seq_lock) */
	uint64		recovered_seq;	/* last seq in the journal at the last recovery (seq_lock) */
	pg_atomic_uint64 in_tail;	/* next free slot (written under seq_lock) */
	pg_atomic_uint64 in_head;	/* next slot the engine worker reads */
	pg_atomic_uint64 applied_seq;	/* last seq applied by the engine */
	pg_atomic_uint64 durable_seq;	/* last seq committed by the persister */
	pg_atomic_uint64 out_write; /* records [out_read, out_write) wait for the persister */
	pg_atomic_uint64 out_read;

	/*
	 * The network worker's cursor: it reads the durable records [net_read, out_read). While
	 * net_attached is set the engine never overwrites a record at or after net_read. The network
	 * worker attaches under book_lock (shared), where out_write matches the books exactly, and
	 * detaches when it exits; a recovery detaches it (the ring restarts from 0).
	 */
	pg_atomic_uint64 net_read;
	pg_atomic_uint32 net_attached;	/* 0, or the generation it attached in + 1 */
	pg_atomic_uint32 api_keys_version;	/* bumped when an API key is created or revoked */

	ConditionVariable durable_cv;	/* durable_seq advanced, or the generation changed */
	ConditionVariable in_space_cv;	/* the sequencer ring has room again */
	ConditionVariable out_space_cv; /* the outbound ring has room again */
	ConditionVariable state_cv;		/* state changed */

	Latch	   *engine_latch;	/* set by producers after they enqueue */
	Latch	   *persister_latch;	/* set by the engine worker after it published records */

	XtBrokerShared brokers[XT_BROKER_COUNT];

	/* statistics (monotonic counters) */
	pg_atomic_uint64 commands;
	pg_atomic_uint64 trades;
	pg_atomic_uint64 batches;	/* persister commits */
	pg_atomic_uint64 events_persisted;
	TimestampTz recovery_started;
	TimestampTz recovery_finished;
	uint64		recovery_commands;	/* journal records replayed by the last recovery */
} XtShared;

/* GUC-sized limits (src/pg/xtrader.c) */
extern int	xt_guc_max_orders;
extern int	xt_guc_max_levels;
extern int	xt_guc_max_clordids;
extern int	xt_guc_ring_slots;
extern int	xt_guc_event_ring_records;
extern char *xt_guc_database;
extern int	xt_guc_submit_timeout_ms;
extern int	xt_guc_persist_batch;

extern XtShared *xt_shared;

/*
 * An eventfd created by the postmaster (_PG_init) and inherited by every child: the persister
 * writes to it after a commit, and the network worker's epoll loop wakes up on it (a latch cannot
 * wake an epoll loop that is not PostgreSQL's). -1 when it could not be created.
 */
extern int	xt_net_wake_fd;

/* Wake the network worker (after new records became durable); cheap when it is not attached. */
void		xt_net_wakeup(void);

/* The oldest outbound record some reader still needs: the engine may overwrite below it. */
static inline uint64
xt_out_floor(XtShared *sh)
{
	uint64		floor = pg_atomic_read_u64(&sh->out_read);

	if (pg_atomic_read_u32(&sh->net_attached) != 0)
	{
		uint64		net = pg_atomic_read_u64(&sh->net_read);

		if (net < floor)
			floor = net;
	}
	return floor;
}

void		xt_shmem_install_hooks(void);
void		xt_engine_config_from_gucs(xt_engine_config *cfg);

/* Attach-time accessors for the regions that follow XtShared. */
static inline XtInSlot *
xt_in_slots(void)
{
	return (XtInSlot *) ((char *) xt_shared + xt_shared->in_offset);
}

static inline XtReply *
xt_replies(void)
{
	return (XtReply *) ((char *) xt_shared + xt_shared->reply_offset);
}

static inline XtOutRec *
xt_out_recs(void)
{
	return (XtOutRec *) ((char *) xt_shared + xt_shared->out_offset);
}

static inline xt_engine *
xt_shared_engine(void)
{
	return (xt_engine *) ((char *) xt_shared + xt_shared->engine_offset);
}

/* Background worker entry points (engine_worker.c, persister.c) and registration. */
void		xt_register_workers(void);
PGDLLEXPORT void xt_engine_worker_main(Datum arg);
PGDLLEXPORT void xt_persister_main(Datum arg);
PGDLLEXPORT void xt_net_worker_main(Datum arg);
PGDLLEXPORT void xt_broker_worker_main(Datum arg);
PGDLLEXPORT void xt_consumer_worker_main(Datum arg);

/* Wake the broker workers (after executions became durable). */
void		xt_brokers_wakeup(void);

/* Is a broker configured (its URL GUC set)? Its worker runs only then. */
bool		xt_broker_enabled(XtBroker which);
const char *xt_broker_name(XtBroker which);	/* "redis", "kafka", "amqp" */

/* Exit so that the postmaster treats it as a crash (and resets shared memory): see shmem.h. */
void		xt_worker_crash(const char *why) pg_attribute_noreturn();

/* Fails with a clear ERROR when the library was not preloaded (no shared memory). */
void		xt_require_shmem(void);

#endif							/* XTRADER_SHMEM_H */
