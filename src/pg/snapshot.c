/*
 * snapshot.c: xt_snapshot(), which stores the books as one engine snapshot (src/engine) so that
 * recovery restores it and replays only the journal after it, instead of the whole journal.
 *
 * A snapshot must hold durable state only: a command applied but not yet committed may still be
 * lost in a crash, and a snapshot that contained it would resurrect it. So the snapshot is taken
 * with book_lock held (the engine cannot apply anything) once the persister has made every
 * applied command durable (durable_seq == applied_seq); the persister needs no book_lock, so it
 * catches up while we wait. Matching pauses for that wait plus the serialisation (tens of ms per
 * 100,000 resting orders); run it when the book is quiet, e.g. from a scheduler.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "engine/engine.h"
#include "pg/sequencer.h"
#include "pg/shmem.h"
#include "pg/xtrader.h"

PG_FUNCTION_INFO_V1(xt_snapshot);

/*
 * xt_snapshot() RETURNS TABLE(seq bigint, bytes bigint, resting_orders integer)
 *
 * Stores a snapshot of every book as of the last durable command in xtrader.snapshots and returns
 * what it stored. ERROR 57P03 if the engine is not ready, 57014 if the persister does not catch
 * up within xtrader.submit_timeout.
 */
Datum
xt_snapshot(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	xt_engine  *eng;
	TimestampTz deadline;
	bytea	   *data;
	size_t		cap,
				len = 0;
	uint64		seq;
	uint32		resting;
	xt_result	rc;

	xt_wait_until_ready();
	eng = xt_shared_engine();
	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), xt_guc_submit_timeout_ms);

	LWLockAcquire(&xt_shared->book_lock, LW_SHARED);
	ConditionVariablePrepareToSleep(&xt_shared->durable_cv);
	while (pg_atomic_read_u64(&xt_shared->durable_seq) < xt_engine_last_seq(eng))
	{
		long		left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);

		if (left <= 0)
		{
			ConditionVariableCancelSleep();
			LWLockRelease(&xt_shared->book_lock);
			ereport(ERROR,
					(errcode(ERRCODE_QUERY_CANCELED),
					 errmsg("the persister did not catch up within xtrader.submit_timeout"),
					 errhint("Retry when the book is quieter.")));
		}
		ConditionVariableTimedSleep(&xt_shared->durable_cv, left, PG_WAIT_EXTENSION);
	}
	ConditionVariableCancelSleep();

	cap = xt_engine_snapshot_size(eng);
	if (cap > MaxAllocSize - VARHDRSZ)
	{
		LWLockRelease(&xt_shared->book_lock);
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the books are too large for one snapshot (%zu bytes)", cap)));
	}
	data = (bytea *) palloc(VARHDRSZ + cap);
	rc = xt_engine_snapshot(eng, VARDATA(data), cap, &len);
	seq = xt_engine_last_seq(eng);
	resting = xt_engine_resting_orders(eng);
	LWLockRelease(&xt_shared->book_lock);
	if (rc != XT_OK)
		elog(ERROR, "xtrader: the engine could not write a snapshot (%d)", (int) rc);
	SET_VARSIZE(data, VARHDRSZ + len);

	SPI_connect();
	{
		Oid			argtypes[2] = {INT8OID, BYTEAOID};
		Datum		args[2] = {Int64GetDatum((int64) seq), PointerGetDatum(data)};

		if (SPI_execute_with_args("INSERT INTO xtrader.snapshots (seq, taken_at, data) "
								  "VALUES ($1, now(), $2) ON CONFLICT (seq) DO NOTHING",
								  2, argtypes, args, NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "xtrader: could not store the snapshot");
	}
	SPI_finish();

	InitMaterializedSRF(fcinfo, 0);
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = Int64GetDatum((int64) seq);
		values[1] = Int64GetDatum((int64) len);
		values[2] = Int32GetDatum((int32) resting);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
