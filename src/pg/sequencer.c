/*
 * sequencer.c: the producer side of the sequencer ring (see sequencer.h and shmem.h).
 *
 * Runs in SQL backends. Never sleeps in a polling loop: it waits on condition variables that the
 * engine worker (ring space, state) and the persister (durability) broadcast.
 */
#include "postgres.h"

#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/proc.h"
#include "utils/timestamp.h"

#include "engine/codec.h"
#include "pg/sequencer.h"

/* Is this backend in the database the engine persists to? Checked once per backend. */
static void
xt_check_database(void)
{
	static Oid	checked_db = InvalidOid;
	char	   *name;

	if (checked_db == MyDatabaseId)
		return;
	name = get_database_name(MyDatabaseId);
	if (name == NULL || strcmp(name, xt_guc_database) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("xtrader trades in database \"%s\", not in \"%s\"",
						xt_guc_database, name ? name : "?"),
				 errhint("Connect to database \"%s\", or set xtrader.database and restart.",
						 xt_guc_database)));
	checked_db = MyDatabaseId;
}

static long
xt_ms_left(TimestampTz deadline)
{
	long		ms = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);

	return ms;
}

static void
xt_not_ready_error(uint32 state)
{
	if (state == XT_STATE_NO_EXTENSION)
		ereport(ERROR,
				(errcode(ERRCODE_CANNOT_CONNECT_NOW),
				 errmsg("xtrader engine has no extension to serve in database \"%s\"", xt_guc_database),
				 errhint("Run CREATE EXTENSION xtrader in that database.")));
	ereport(ERROR,
			(errcode(ERRCODE_CANNOT_CONNECT_NOW),
			 errmsg("xtrader engine is %s", state == XT_STATE_RECOVERING ? "recovering" : "starting"),
			 errhint("Retry in a moment; no order was accepted.")));
}

void
xt_wait_until_ready(void)
{
	TimestampTz deadline;
	uint32		state;

	xt_require_shmem();
	xt_check_database();
	state = pg_atomic_read_u32(&xt_shared->state);
	if (state == XT_STATE_READY)
		return;

	/*
	 * Wait, bounded, in every other state: even NO_EXTENSION, since a caller of an xtrader
	 * function in this database proves the extension exists and the engine is about to notice.
	 */
	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), xt_guc_submit_timeout_ms);
	ConditionVariablePrepareToSleep(&xt_shared->state_cv);
	while ((state = pg_atomic_read_u32(&xt_shared->state)) != XT_STATE_READY)
	{
		long		left = xt_ms_left(deadline);

		if (left <= 0)
		{
			ConditionVariableCancelSleep();
			xt_not_ready_error(state);
		}
		ConditionVariableTimedSleep(&xt_shared->state_cv, left, PG_WAIT_EXTENSION);
	}
	ConditionVariableCancelSleep();
}

/*
 * Enqueue cmds[0 .. n) under one hold of seq_lock (consecutive sequence numbers, FIFO) and wake
 * the engine. reply_procno is the reply slot to fill, or -1. Returns the last sequence number and
 * the generation it belongs to.
 */
static uint64
xt_enqueue(xt_command *cmds, int n, int reply_procno, TimestampTz deadline, uint32 *generation)
{
	XtInSlot   *slots = xt_in_slots();
	uint64		tail;
	uint64		last = 0;

	/* The journal must be able to hold whatever is sequenced: the SQL layer validated the
	 * values; this guards the structure (enums, lengths) against a caller's bug. */
	for (int i = 0; i < n; i++)
		if (xt_command_validate(&cmds[i]) != XT_CODEC_OK)
			elog(ERROR, "xtrader: refusing to sequence a malformed command (%s)",
				 xt_codec_result_name(xt_command_validate(&cmds[i])));

	/* Take the lock with room for all n commands; sleep on in_space_cv while the ring is full. */
	ConditionVariablePrepareToSleep(&xt_shared->in_space_cv);
	for (;;)
	{
		uint32		state;

		LWLockAcquire(&xt_shared->seq_lock, LW_EXCLUSIVE);
		state = pg_atomic_read_u32(&xt_shared->state);
		if (state != XT_STATE_READY)
		{
			LWLockRelease(&xt_shared->seq_lock);
			ConditionVariableCancelSleep();
			xt_not_ready_error(state);
		}
		tail = pg_atomic_read_u64(&xt_shared->in_tail);
		if (tail - pg_atomic_read_u64(&xt_shared->in_head) + n <= xt_shared->in_slots)
			break;
		LWLockRelease(&xt_shared->seq_lock);
		if (xt_ms_left(deadline) <= 0)
		{
			ConditionVariableCancelSleep();
			ereport(ERROR,
					(errcode(ERRCODE_CANNOT_CONNECT_NOW),
					 errmsg("xtrader sequencer is full"),
					 errhint("Retry in a moment; no order was accepted.")));
		}
		ConditionVariableTimedSleep(&xt_shared->in_space_cv, xt_ms_left(deadline), PG_WAIT_EXTENSION);
	}
	ConditionVariableCancelSleep();

	/* seq_lock held: number and enqueue in one step, so sequence order is ring order. */
	*generation = pg_atomic_read_u32(&xt_shared->generation);
	for (int i = 0; i < n; i++)
	{
		XtInSlot   *slot = &slots[tail % xt_shared->in_slots];

		last = ++xt_shared->last_seq;
		cmds[i].seq = last;
		slot->cmd = cmds[i];
		slot->procno = (i == n - 1) ? reply_procno : -1;
		tail++;
	}
	if (reply_procno >= 0)
		xt_replies()[reply_procno].seq = 0; /* stale until the engine answers this one */
	pg_write_barrier();
	pg_atomic_write_u64(&xt_shared->in_tail, tail);
	LWLockRelease(&xt_shared->seq_lock);
	if (xt_shared->engine_latch)
		SetLatch(xt_shared->engine_latch);
	return last;
}

XtTryEnqueue
xt_try_enqueue(xt_command *cmd, uint32 *generation)
{
	XtInSlot   *slot;
	uint64		tail;

	if (xt_command_validate(cmd) != XT_CODEC_OK)
		return XT_ENQUEUE_MALFORMED;
	LWLockAcquire(&xt_shared->seq_lock, LW_EXCLUSIVE);
	if (pg_atomic_read_u32(&xt_shared->state) != XT_STATE_READY)
	{
		LWLockRelease(&xt_shared->seq_lock);
		return XT_ENQUEUE_NOT_READY;
	}
	tail = pg_atomic_read_u64(&xt_shared->in_tail);
	if (tail - pg_atomic_read_u64(&xt_shared->in_head) >= xt_shared->in_slots)
	{
		LWLockRelease(&xt_shared->seq_lock);
		return XT_ENQUEUE_FULL;
	}
	*generation = pg_atomic_read_u32(&xt_shared->generation);
	cmd->seq = ++xt_shared->last_seq;
	slot = &xt_in_slots()[tail % xt_shared->in_slots];
	slot->cmd = *cmd;
	slot->procno = -1;
	pg_write_barrier();
	pg_atomic_write_u64(&xt_shared->in_tail, tail + 1);
	LWLockRelease(&xt_shared->seq_lock);
	if (xt_shared->engine_latch)
		SetLatch(xt_shared->engine_latch);
	return XT_ENQUEUED;
}

/* Sleep on durable_cv until the persister has committed seq last (of the given generation). */
static void
xt_wait_durable(uint64 last, uint32 generation, TimestampTz deadline)
{
	ConditionVariablePrepareToSleep(&xt_shared->durable_cv);
	for (;;)
	{
		long		left;

		/*
		 * A recovery in between discarded what was not durable, and renumbers from there: ours
		 * happened only if the journal it recovered from already held it.
		 */
		if (pg_atomic_read_u32(&xt_shared->generation) != generation)
		{
			if (last <= xt_shared->recovered_seq)
				break;
			ConditionVariableCancelSleep();
			ereport(ERROR,
					(errcode(ERRCODE_CANNOT_CONNECT_NOW),
					 errmsg("xtrader engine restarted before command %llu was durable",
							(unsigned long long) last),
					 errdetail("The command was discarded by recovery and did not happen."),
					 errhint("Submit it again.")));
		}
		if (pg_atomic_read_u64(&xt_shared->durable_seq) >= last)
			break;
		left = xt_ms_left(deadline);
		if (left <= 0)
		{
			ConditionVariableCancelSleep();
			ereport(ERROR,
					(errcode(ERRCODE_QUERY_CANCELED),
					 errmsg("timed out waiting for command %llu to become durable",
							(unsigned long long) last),
					 errdetail("It was sequenced and may still take effect."),
					 errhint("Check it with xt_order(%llu).", (unsigned long long) last)));
		}
		ConditionVariableTimedSleep(&xt_shared->durable_cv, left, PG_WAIT_EXTENSION);
	}
	ConditionVariableCancelSleep();
}

void
xt_sequence_and_wait(xt_command *cmds, int n, XtReply *reply)
{
	TimestampTz deadline;
	uint32		generation = 0;
	uint32		first_generation = 0;
	uint64		last = 0;
	int			procno = MyProc->pgprocno;

	Assert(n >= 1);
	Assert(reply == NULL || n == 1);
	xt_wait_until_ready();
	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), xt_guc_submit_timeout_ms);

	/* Big batches go in pieces; a recovery between pieces would split them, so it is an error. */
	for (int done = 0; done < n; done += XT_SEQ_MAX_BATCH)
	{
		int			chunk = Min(n - done, XT_SEQ_MAX_BATCH);

		last = xt_enqueue(cmds + done, chunk, reply ? procno : -1, deadline, &generation);
		if (done == 0)
			first_generation = generation;
		else if (generation != first_generation)
			ereport(ERROR,
					(errcode(ERRCODE_CANNOT_CONNECT_NOW),
					 errmsg("xtrader engine restarted in the middle of a batch"),
					 errdetail("Orders up to %llu may have been discarded; check them with xt_order().",
							   (unsigned long long) last)));
	}
	xt_wait_durable(last, first_generation, deadline);

	if (reply != NULL)
	{
		pg_read_barrier();
		*reply = xt_replies()[procno];
		if (reply->seq != last)
			elog(ERROR, "xtrader: reply slot of command %llu holds %llu",
				 (unsigned long long) last, (unsigned long long) reply->seq);
	}
}
