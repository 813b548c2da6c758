/*
 * replay.c: snapshots and journal, read back (see replay.h).
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "utils/timestamp.h"

#include "engine/codec.h"
#include "pg/replay.h"

/* Journal rows fetched per round trip. */
#define XT_REPLAY_FETCH 10000

uint64
xt_snapshot_restore(xt_engine *eng, uint64 upto, const char *who)
{
	Oid			types[1] = {INT8OID};
	Datum		args[1] = {Int64GetDatum((int64) Min(upto, (uint64) PG_INT64_MAX))};
	bool		isnull;
	uint64		seq;
	bytea	   *data;
	xt_result	rc;

	if (SPI_execute_with_args("SELECT seq, data FROM xtrader.snapshots WHERE seq <= $1 "
							  "ORDER BY seq DESC LIMIT 1", 1, types, args, NULL, true, 1)
		!= SPI_OK_SELECT)
		elog(ERROR, "%s: cannot read xtrader.snapshots", who);
	if (SPI_processed == 0)
		return 0;
	seq = (uint64) DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
											   &isnull));
	data = DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2,
										 &isnull));
	rc = xt_engine_restore(eng, VARDATA_ANY(data), VARSIZE_ANY_EXHDR(data));
	if (rc == XT_OK && xt_engine_last_seq(eng) == seq)
		return seq;

	ereport(WARNING,
			(errmsg("%s: snapshot %llu cannot be restored (%s); replaying the whole journal",
					who, (unsigned long long) seq,
					rc == XT_ERR_SNAPSHOT_FIT ? "it holds more than this server's xtrader limits"
					: rc == XT_OK ? "its sequence number does not match" : "it is damaged")));
	return 0;
}

uint64
xt_journal_scan(uint64 after, uint64 upto, uint64 limit, XtJournalFn fn, void *ctx)
{
	Portal		portal;
	SPIPlanPtr	plan;
	Oid			types[2] = {INT8OID, INT8OID};
	Datum		args[2];
	uint64		scanned = 0;

	/*
	 * Sequence numbers are dense (a gap is corruption), so a limit is a narrower range: the
	 * planner then walks the primary key instead of sorting a table it may think small (its
	 * statistics lag a journal that grows by thousands of rows a second).
	 */
	after = Min(after, (uint64) PG_INT64_MAX);
	if (limit > 0 && limit < (uint64) PG_INT64_MAX - after)
		upto = Min(upto, after + limit);
	args[0] = Int64GetDatum((int64) after);
	args[1] = Int64GetDatum((int64) Min(upto, (uint64) PG_INT64_MAX));
	plan = SPI_prepare("SELECT seq, command, applied_at FROM xtrader.journal "
					   "WHERE seq > $1 AND seq <= $2 ORDER BY seq", 2, types);
	if (plan == NULL)
		elog(ERROR, "xtrader: could not prepare the journal scan");
	portal = SPI_cursor_open(NULL, plan, args, NULL, true);
	for (;;)
	{
		SPI_cursor_fetch(portal, true, XT_REPLAY_FETCH);
		if (SPI_processed == 0)
			break;
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			HeapTuple	t = SPI_tuptable->vals[i];
			TupleDesc	d = SPI_tuptable->tupdesc;
			bool		isnull;
			uint64		seq = (uint64) DatumGetInt64(SPI_getbinval(t, d, 1, &isnull));
			bytea	   *raw = DatumGetByteaPP(SPI_getbinval(t, d, 2, &isnull));
			TimestampTz at = DatumGetTimestampTz(SPI_getbinval(t, d, 3, &isnull));
			xt_command	cmd;
			xt_codec_result rc;

			rc = xt_command_decode((const uint8_t *) VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw),
								   &cmd);
			if (rc != XT_CODEC_OK || cmd.seq != seq)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("xtrader: journal record %llu does not decode: %s",
								(unsigned long long) seq,
								rc != XT_CODEC_OK ? xt_codec_result_name(rc)
								: "its sequence number does not match")));
			fn(ctx, &cmd, at);
			scanned++;
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	SPI_freeplan(plan);
	return scanned;
}

void
xt_journal_apply(xt_engine *eng, const xt_command *cmd, xt_event_fn sink, void *ctx)
{
	if (xt_engine_apply(eng, cmd, sink, ctx) != XT_OK)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("xtrader: journal has a gap: seq %llu follows %llu",
						(unsigned long long) cmd->seq,
						(unsigned long long) xt_engine_last_seq(eng))));
}

static void
xt_journal_drop_event(void *ctx, const xt_event *ev)
{
	/* replayed: persisted, published or derived the first time */
}

void
xt_journal_replay_one(void *ctx, const xt_command *cmd, TimestampTz applied_at)
{
	xt_journal_apply((xt_engine *) ctx, cmd, xt_journal_drop_event, NULL);
}
