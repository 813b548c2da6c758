/*
 * engine_worker.c: the background worker that owns the books.
 *
 * One process, the only writer of the engine memory. It
 *   1. recovers: drops whatever is in the rings (not durable, so never acknowledged), rebuilds
 *      the books by replaying the durable journal through the engine (deterministic, so the
 *      result is the state before the crash), then opens the sequencer (state READY);
 *   2. loops: takes the commands the backends sequenced, applies them in sequence order, writes
 *      each command and its events to the outbound ring for the persister, and fills the reply
 *      slot of the backend waiting for it.
 * It never sleeps in a polling loop: it waits on its latch, which producers set.
 *
 * Dying any other way than a clean shutdown makes the postmaster reset shared memory (exit
 * code 2 via xt_worker_crash, or a signal), so a half-applied command can never be seen.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "pg/replay.h"
#include "pg/shmem.h"

/* Commands applied under one hold of book_lock: bounds how long a book reader waits. */
#define XT_APPLY_BATCH 256

typedef struct XtApplyCtx
{
	uint64		out_pos;		/* next outbound record to write */
	uint64		complete_pos;	/* end of the last complete command */
	TimestampTz at;
	uint8		cmd_type;
	XtReply		reply;
	uint64		trades;
} XtApplyCtx;

void
xt_worker_crash(const char *why)
{
	ereport(LOG, (errmsg("xtrader: %s; restarting the engine through crash recovery", why)));
	proc_exit(2);
}

/*
 * Make room for one more outbound record. When the ring is full, publish the complete commands
 * written so far and sleep until the persister has consumed some. The ring is sized (shmem.c) to
 * hold the events of any single command, so this always ends.
 */
static void
xt_out_reserve(XtApplyCtx *ctx)
{
	XtShared   *sh = xt_shared;

	if (ctx->out_pos - xt_out_floor(sh) < sh->out_recs)
		return;
	pg_write_barrier();
	pg_atomic_write_u64(&sh->out_write, ctx->complete_pos);
	if (sh->persister_latch)
		SetLatch(sh->persister_latch);
	ConditionVariablePrepareToSleep(&sh->out_space_cv);
	while (ctx->out_pos - xt_out_floor(sh) >= sh->out_recs)
	{
		/* interrupts are held (book_lock), so look for shutdown ourselves */
		if (ShutdownRequestPending)
			proc_exit(0);
		ConditionVariableTimedSleep(&sh->out_space_cv, 1000, PG_WAIT_EXTENSION);
	}
	ConditionVariableCancelSleep();
}

static XtOutRec *
xt_out_next(XtApplyCtx *ctx, XtOutKind kind)
{
	XtOutRec   *rec;

	xt_out_reserve(ctx);
	rec = &xt_out_recs()[ctx->out_pos % xt_shared->out_recs];
	rec->kind = (uint8) kind;
	rec->at = ctx->at;
	ctx->out_pos++;
	return rec;
}

/*
 * Fold one event of a command into the answer to that command: accepted, rejected (why) or a
 * duplicate, the order it concerns, and that order's status. The engine worker builds the
 * submitter's reply with it and the persister the journal's outcome columns, so both always
 * tell the same story.
 */
void
xt_reply_fold(XtReply *r, uint8 cmd_type, const xt_event *ev)
{
	switch ((xt_event_type) ev->type)
	{
		case XT_EV_ACCEPTED:
		case XT_EV_AMENDED:
			r->outcome = XT_OUTCOME_ACCEPTED;
			r->order_id = ev->order_id;
			r->status = ev->status;
			break;
		case XT_EV_REJECTED:
			r->outcome = XT_OUTCOME_REJECTED;
			r->order_id = ev->order_id;
			r->reason = ev->reason;
			r->status = XT_STATUS_REJECTED;
			break;
		case XT_EV_DUPLICATE:
			r->outcome = XT_OUTCOME_DUPLICATE;
			r->order_id = ev->order_id;
			break;
		case XT_EV_SYMBOL_ADDED:
			r->outcome = XT_OUTCOME_ACCEPTED;
			break;
		case XT_EV_CANCELLED:
			if (cmd_type == XT_CMD_CANCEL)
			{
				r->outcome = XT_OUTCOME_ACCEPTED;
				r->order_id = ev->order_id;
			}
			if (ev->order_id == r->order_id)
				r->status = ev->status;
			break;
		case XT_EV_TRADE:
		case XT_EV_EXPIRED:
			if (ev->order_id == r->order_id)
				r->status = ev->status;
			break;
		case XT_EV_LEVEL:
			break;
	}
}

/* Event sink: copy the event to the outbound ring and derive the submitter's reply. */
static void
xt_apply_sink(void *vctx, const xt_event *ev)
{
	XtApplyCtx *ctx = (XtApplyCtx *) vctx;

	xt_out_next(ctx, XT_OUT_EVENT)->u.ev = *ev;
	if (ev->type == XT_EV_TRADE)
		ctx->trades++;
	xt_reply_fold(&ctx->reply, ctx->cmd_type, ev);
}

static void
xt_apply_one(xt_engine *eng, XtInSlot *slot, XtApplyCtx *ctx)
{
	memset(&ctx->reply, 0, sizeof(ctx->reply));
	ctx->reply.seq = slot->cmd.seq;
	ctx->cmd_type = slot->cmd.type;
	xt_out_next(ctx, XT_OUT_COMMAND)->u.cmd = slot->cmd;

	if (xt_engine_apply(eng, &slot->cmd, xt_apply_sink, ctx) != XT_OK)
		xt_worker_crash("the sequencer handed the engine a command out of sequence");

	ctx->complete_pos = ctx->out_pos;
	if (slot->procno >= 0)
		xt_replies()[slot->procno] = ctx->reply;
}

/* Apply everything the producers have published; returns when the ring is empty. */
static void
xt_drain(void)
{
	XtShared   *sh = xt_shared;
	xt_engine  *eng = xt_shared_engine();
	XtInSlot   *slots = xt_in_slots();
	uint64		head = pg_atomic_read_u64(&sh->in_head);
	XtApplyCtx	ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.out_pos = ctx.complete_pos = pg_atomic_read_u64(&sh->out_write);

	for (;;)
	{
		uint64		tail = pg_atomic_read_u64(&sh->in_tail);
		uint64		n;

		/* under steady load the ring is never empty: still leave promptly on shutdown */
		if (head == tail || ShutdownRequestPending)
			break;
		pg_read_barrier();		/* slot contents before in_tail */
		n = Min(tail - head, XT_APPLY_BATCH);
		ctx.at = GetCurrentTimestamp();
		ctx.trades = 0;

		LWLockAcquire(&sh->book_lock, LW_EXCLUSIVE);
		for (uint64 i = 0; i < n; i++)
			xt_apply_one(eng, &slots[(head + i) % sh->in_slots], &ctx);
		/* publish before releasing: under book_lock, out_write always matches the books (the
		 * network worker attaches its cursor there) */
		pg_write_barrier();		/* records and replies before the positions */
		pg_atomic_write_u64(&sh->out_write, ctx.complete_pos);
		LWLockRelease(&sh->book_lock);

		head += n;
		pg_atomic_write_u64(&sh->applied_seq, xt_engine_last_seq(eng));
		pg_atomic_write_u64(&sh->in_head, head);
		pg_atomic_fetch_add_u64(&sh->commands, n);
		pg_atomic_fetch_add_u64(&sh->trades, ctx.trades);
		ConditionVariableBroadcast(&sh->in_space_cv);
		if (sh->persister_latch)
			SetLatch(sh->persister_latch);
	}
}

/*
 * Restore the newest snapshot, then replay the journal after it. A snapshot that cannot be used
 * leaves the engine empty again and the whole journal is replayed. Returns the snapshot's seq
 * (0: none) and sets *replayed. Inside a transaction with SPI.
 */
static uint64
xt_rebuild_books(xt_engine **eng, uint64 *replayed)
{
	uint64		snapshot_seq = xt_snapshot_restore(*eng, PG_UINT64_MAX, "xtrader");

	if (snapshot_seq == 0)
	{
		xt_engine_config cfg;

		xt_engine_config_from_gucs(&cfg);
		if (xt_engine_init(xt_shared_engine(), xt_shared->engine_size, &cfg, eng) != XT_OK)
			xt_worker_crash("could not initialise the engine");
	}
	*replayed = xt_journal_scan(snapshot_seq, PG_UINT64_MAX, 0, xt_journal_replay_one, *eng);
	return snapshot_seq;
}

/*
 * Does xtrader.journal exist? The catalog scan (MVCC) answers for what is committed; the catalog
 * caches, through which the replay looks the table up, can lag it for a moment: CREATE EXTENSION
 * wakes us from its commit callback, which PostgreSQL runs just before it sends the commit's
 * cache invalidations. So wait (bounded) until both agree. Inside a transaction with SPI.
 */
static bool
xt_journal_exists(void)
{
	for (int tries = 0;; tries++)
	{
		bool		isnull;
		bool		in_catalog;
		bool		in_cache;

		if (SPI_execute("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c "
						"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
						"WHERE n.nspname = 'xtrader' AND c.relname = 'journal'), "
						"to_regclass('xtrader.journal') IS NOT NULL", true, 1) != SPI_OK_SELECT)
			elog(ERROR, "xtrader: cannot look for xtrader.journal");
		in_catalog = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		in_cache = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
		if (in_catalog == in_cache || tries == 500)
			return in_catalog && in_cache;
		pg_usleep(10000L);
		AcceptInvalidationMessages();
	}
}

/*
 * Rebuild the books from the journal and open the sequencer. Returns false (state
 * NO_EXTENSION) when the extension is not installed in xtrader.database. reset_seen is the
 * reset request this recovery answers: one made while it ran (a CREATE EXTENSION committing
 * meanwhile) keeps the state RECOVERING, for the loop runs another recovery at once.
 */
static bool
xt_recover(uint32 reset_seen)
{
	XtShared   *sh = xt_shared;
	xt_engine_config cfg;
	xt_engine  *eng;
	bool		have_journal;
	uint64		replayed = 0;
	uint64		snapshot_seq = 0;
	uint64		last;

	sh->recovery_started = GetCurrentTimestamp();
	pg_atomic_write_u32(&sh->state, XT_STATE_RECOVERING);
	ConditionVariableBroadcast(&sh->state_cv);

	/*
	 * Quiesce: wait out the persister's batch in flight (it commits or aborts whole), keep
	 * producers out, then drop both rings. What they held was not durable, so nobody was told it
	 * happened; its submitters learn it from the generation change.
	 */
	LWLockAcquire(&sh->persist_lock, LW_EXCLUSIVE);
	LWLockAcquire(&sh->seq_lock, LW_EXCLUSIVE);
	pg_atomic_write_u64(&sh->in_head, 0);
	pg_atomic_write_u64(&sh->in_tail, 0);
	pg_atomic_write_u32(&sh->net_attached, 0);	/* it re-attaches to the new ring */
	pg_write_barrier();
	pg_atomic_write_u64(&sh->out_read, 0);
	pg_atomic_write_u64(&sh->out_write, 0);
	LWLockRelease(&sh->seq_lock);
	LWLockRelease(&sh->persist_lock);

	LWLockAcquire(&sh->book_lock, LW_EXCLUSIVE);
	xt_engine_config_from_gucs(&cfg);
	if (xt_engine_init(xt_shared_engine(), sh->engine_size, &cfg, &eng) != XT_OK)
		xt_worker_crash("could not initialise the engine");

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "xtrader: replaying the journal");
	have_journal = xt_journal_exists();
	if (have_journal)
	{
		snapshot_seq = xt_rebuild_books(&eng, &replayed);
	}
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_RUNNING, "xtrader: matching");

	last = xt_engine_last_seq(eng);
	LWLockAcquire(&sh->seq_lock, LW_EXCLUSIVE);
	sh->last_seq = last;
	sh->recovered_seq = last;
	pg_atomic_write_u64(&sh->applied_seq, last);
	pg_atomic_write_u64(&sh->durable_seq, last);
	pg_atomic_fetch_add_u32(&sh->generation, 1);
	pg_atomic_fetch_add_u32(&sh->symbols_version, 1);
	if (pg_atomic_read_u32(&sh->reset_requested) != reset_seen)
		pg_atomic_write_u32(&sh->state, XT_STATE_RECOVERING);
	else
		pg_atomic_write_u32(&sh->state, have_journal ? XT_STATE_READY : XT_STATE_NO_EXTENSION);
	LWLockRelease(&sh->seq_lock);
	LWLockRelease(&sh->book_lock);

	sh->recovery_commands = replayed;
	sh->recovery_finished = GetCurrentTimestamp();
	ConditionVariableBroadcast(&sh->state_cv);
	ConditionVariableBroadcast(&sh->durable_cv);
	ConditionVariableBroadcast(&sh->in_space_cv);
	if (sh->persister_latch)
		SetLatch(sh->persister_latch);

	if (have_journal)
		ereport(LOG,
				(errmsg("xtrader: engine ready after restoring snapshot %llu and replaying %llu commands in %ld ms (last seq %llu, %u resting orders)",
						(unsigned long long) snapshot_seq, (unsigned long long) replayed,
						(long) TimestampDifferenceMilliseconds(sh->recovery_started, sh->recovery_finished),
						(unsigned long long) last, xt_engine_resting_orders(eng))));
	else
		ereport(LOG,
				(errmsg("xtrader: waiting for CREATE EXTENSION xtrader in database \"%s\"",
						xt_guc_database)));
	return have_journal;
}

void
xt_engine_worker_main(Datum arg)
{
	uint32		reset_seen;

	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(xt_guc_database, NULL, 0);

	xt_shared->engine_latch = MyLatch;
	reset_seen = pg_atomic_read_u32(&xt_shared->reset_requested);
	xt_recover(reset_seen);

	for (;;)
	{
		uint32		reset;

		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		if (ShutdownRequestPending)
			break;
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		reset = pg_atomic_read_u32(&xt_shared->reset_requested);
		if (reset != reset_seen)
		{
			reset_seen = reset;
			xt_recover(reset_seen);
		}
		if (pg_atomic_read_u32(&xt_shared->state) == XT_STATE_READY)
			xt_drain();

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_EXIT_ON_PM_DEATH, -1L, PG_WAIT_EXTENSION);
	}
	xt_shared->engine_latch = NULL;
	proc_exit(0);
}
