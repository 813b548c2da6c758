/*
 * persister.c: the background worker that makes the engine's output durable.
 *
 * It reads the outbound ring from out_read to out_write (whole commands only, up to
 * xtrader.persist_batch records), and in ONE transaction writes
 *   - xtrader.journal:    every command, encoded (src/engine/codec.h), with its outcome;
 *   - xtrader.orders:     new orders (insert) and the latest state of changed ones (update);
 *   - xtrader.executions: every trade;
 * each with a single prepared INSERT/UPDATE ... FROM unnest($arrays), so a batch of thousands of
 * commands costs a handful of statements and one commit (group commit). After the commit it
 * advances durable_seq and wakes the backends waiting on durable_cv.
 *
 * Restarts (exit 1) are safe on their own: out_read only moves after a commit, and a batch whose
 * commit succeeded just before a crash is recognised by the journal's last seq and skipped.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "nodes/parsenodes.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "engine/codec.h"
#include "pg/shmem.h"

/* ---- columns: growable arrays of Datums that become SQL array parameters ---------------- */

typedef struct XtColumn
{
	Oid			elemtype;
	Datum	   *values;
	bool	   *nulls;
	int			n;
	int			cap;
} XtColumn;

static void
xt_col_init(XtColumn *c, Oid elemtype)
{
	c->elemtype = elemtype;
	c->n = 0;
	c->cap = 256;
	c->values = palloc(sizeof(Datum) * c->cap);
	c->nulls = palloc(sizeof(bool) * c->cap);
}

static void
xt_col_push(XtColumn *c, Datum v, bool isnull)
{
	if (c->n == c->cap)
	{
		c->cap *= 2;
		c->values = repalloc(c->values, sizeof(Datum) * c->cap);
		c->nulls = repalloc(c->nulls, sizeof(bool) * c->cap);
	}
	c->values[c->n] = v;
	c->nulls[c->n] = isnull;
	c->n++;
}

static Datum
xt_col_array(XtColumn *c)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			dims[1];
	int			lbs[1] = {1};

	get_typlenbyvalalign(c->elemtype, &typlen, &typbyval, &typalign);
	dims[0] = c->n;
	return PointerGetDatum(construct_md_array(c->values, c->nulls, 1, dims, lbs,
											  c->elemtype, typlen, typbyval, typalign));
}

/* Run a prepared statement whose parameters are the given columns as arrays. */
static void
xt_exec_columns(SPIPlanPtr plan, XtColumn *cols, int ncols, int expect)
{
	Datum	   *args = palloc(sizeof(Datum) * ncols);
	int			ret;

	if (cols[0].n == 0)
		return;
	for (int i = 0; i < ncols; i++)
		args[i] = xt_col_array(&cols[i]);
	ret = SPI_execute_plan(plan, args, NULL, false, 0);
	if (ret != expect)
		elog(ERROR, "xtrader persister: statement failed: %s", SPI_result_code_string(ret));
}

/* ---- the batch -------------------------------------------------------------------------------- */

enum
{
	J_SEQ, J_TYPE, J_COMMAND, J_OUTCOME, J_REASON, J_RESULT, J_AT, J_NCOLS
};
enum
{
	N_ID, N_SYMBOL, N_ACCOUNT, N_SIDE, N_TYPE, N_TIF, N_POST_ONLY, N_STP, N_CLORDID, N_PRICE,
	N_QUANTITY, N_REMAINING, N_STATUS, N_REASON, N_CREATED, N_UPDATED, N_NCOLS
};
enum
{
	U_ID, U_PRICE, U_QUANTITY, U_REMAINING, U_STATUS, U_REASON, U_UPDATED, U_NCOLS
};
enum
{
	E_ID, E_SEQ, E_SYMBOL, E_PRICE, E_QUANTITY, E_TAKER, E_MAKER, E_SIDE, E_TAKER_ACCOUNT,
	E_MAKER_ACCOUNT, E_TAKER_REMAINING, E_MAKER_REMAINING, E_AT, E_NCOLS
};

/* Latest state of one order touched by the batch. */
typedef struct XtOrderState
{
	uint64		order_id;		/* hash key */
	bool		is_new;			/* first seen in this batch (row to insert) */
	xt_command	cmd;			/* is_new: the NEW_ORDER command */
	int64		price;			/* 0 = unchanged (updates) */
	int64		quantity;		/* 0 = unchanged (updates) */
	int64		remaining;
	uint8		status;
	uint8		reason;
	TimestampTz created;
	TimestampTz updated;
} XtOrderState;

typedef struct XtBatch
{
	XtColumn	journal[J_NCOLS];
	XtColumn	executions[E_NCOLS];
	HTAB	   *orders;
	uint64		first_seq;
	uint64		last_seq;
	uint64		records;
	/* the command being folded */
	xt_command	cmd;
	TimestampTz at;
	XtReply		answer;			/* what the command did: the journal's outcome columns */
	bool		have_cmd;
} XtBatch;

static SPIPlanPtr plan_journal,
			plan_new_orders,
			plan_update_orders,
			plan_executions;

static XtOrderState *
xt_order_state(XtBatch *b, uint64 id, bool *found)
{
	return (XtOrderState *) hash_search(b->orders, &id, HASH_ENTER, found);
}

/* A touched order that was not created in this batch: only what the event says changes. */
static XtOrderState *
xt_order_touch(XtBatch *b, uint64 id, TimestampTz at)
{
	bool		found;
	XtOrderState *o = xt_order_state(b, id, &found);

	if (!found)
	{
		memset((char *) o + sizeof(uint64), 0, sizeof(XtOrderState) - sizeof(uint64));
		o->is_new = false;
	}
	o->updated = at;
	return o;
}

static void
xt_order_created(XtBatch *b, const xt_command *cmd, const xt_event *ev, TimestampTz at)
{
	bool		found;
	XtOrderState *o = xt_order_state(b, cmd->seq, &found);

	o->is_new = true;
	o->cmd = *cmd;
	o->price = cmd->price;
	o->quantity = cmd->quantity;
	o->remaining = cmd->quantity;
	o->status = ev->type == XT_EV_REJECTED ? XT_STATUS_REJECTED : XT_STATUS_PENDING;
	o->reason = ev->type == XT_EV_REJECTED ? ev->reason : XT_REASON_NONE;
	o->created = o->updated = at;
}

/* Close the command being folded: its journal row. */
static void
xt_batch_end_command(XtBatch *b)
{
	uint8		buf[XT_COMMAND_ENCODED_MAX];
	size_t		len;
	bytea	   *raw;

	if (!b->have_cmd)
		return;
	len = xt_command_encode(&b->cmd, buf, sizeof(buf));
	if (len == 0)
		elog(ERROR, "xtrader persister: command %llu cannot be encoded",
			 (unsigned long long) b->cmd.seq);
	raw = (bytea *) palloc(VARHDRSZ + len);
	SET_VARSIZE(raw, VARHDRSZ + len);
	memcpy(VARDATA(raw), buf, len);

	xt_col_push(&b->journal[J_SEQ], Int64GetDatum((int64) b->cmd.seq), false);
	xt_col_push(&b->journal[J_TYPE], Int16GetDatum(b->cmd.type), false);
	xt_col_push(&b->journal[J_COMMAND], PointerGetDatum(raw), false);
	xt_col_push(&b->journal[J_OUTCOME], Int16GetDatum(b->answer.outcome), false);
	xt_col_push(&b->journal[J_REASON], Int16GetDatum(b->answer.reason), false);
	xt_col_push(&b->journal[J_RESULT], Int64GetDatum((int64) b->answer.order_id),
				b->answer.order_id == 0);
	xt_col_push(&b->journal[J_AT], TimestampTzGetDatum(b->at), false);
	if (b->first_seq == 0)
		b->first_seq = b->cmd.seq;
	b->last_seq = b->cmd.seq;
	b->have_cmd = false;
}

static void
xt_batch_event(XtBatch *b, const xt_event *ev, TimestampTz at)
{
	XtOrderState *o;

	xt_reply_fold(&b->answer, b->cmd.type, ev);
	switch ((xt_event_type) ev->type)
	{
		case XT_EV_ACCEPTED:
			xt_order_created(b, &b->cmd, ev, at);
			break;
		case XT_EV_REJECTED:
			if (b->cmd.type == XT_CMD_NEW_ORDER)
				xt_order_created(b, &b->cmd, ev, at);
			break;
		case XT_EV_TRADE:
			o = xt_order_touch(b, ev->order_id, at);
			o->remaining = ev->remaining;
			o->status = ev->status;
			o = xt_order_touch(b, ev->maker_order_id, at);
			o->remaining = ev->maker_remaining;
			o->status = ev->maker_status;

			xt_col_push(&b->executions[E_ID], Int64GetDatum((int64) ev->trade_id), false);
			xt_col_push(&b->executions[E_SEQ], Int64GetDatum((int64) ev->seq), false);
			xt_col_push(&b->executions[E_SYMBOL], Int32GetDatum((int32) ev->symbol), false);
			xt_col_push(&b->executions[E_PRICE], Int64GetDatum(ev->price), false);
			xt_col_push(&b->executions[E_QUANTITY], Int64GetDatum(ev->quantity), false);
			xt_col_push(&b->executions[E_TAKER], Int64GetDatum((int64) ev->order_id), false);
			xt_col_push(&b->executions[E_MAKER], Int64GetDatum((int64) ev->maker_order_id), false);
			xt_col_push(&b->executions[E_SIDE], Int16GetDatum(ev->side), false);
			xt_col_push(&b->executions[E_TAKER_ACCOUNT], ObjectIdGetDatum((Oid) ev->account), false);
			xt_col_push(&b->executions[E_MAKER_ACCOUNT], ObjectIdGetDatum((Oid) ev->maker_account), false);
			xt_col_push(&b->executions[E_TAKER_REMAINING], Int64GetDatum(ev->remaining), false);
			xt_col_push(&b->executions[E_MAKER_REMAINING], Int64GetDatum(ev->maker_remaining), false);
			xt_col_push(&b->executions[E_AT], TimestampTzGetDatum(at), false);
			break;
		case XT_EV_CANCELLED:
		case XT_EV_EXPIRED:
			o = xt_order_touch(b, ev->order_id, at);
			o->remaining = ev->remaining;
			o->status = ev->status;
			o->reason = ev->reason;
			break;
		case XT_EV_AMENDED:
			o = xt_order_touch(b, ev->order_id, at);
			o->price = ev->price;
			o->quantity = ev->quantity;
			o->remaining = ev->remaining;
			o->status = ev->status;
			break;
		case XT_EV_DUPLICATE:
		case XT_EV_SYMBOL_ADDED:
		case XT_EV_LEVEL:
			break;
	}
}

/*
 * The statements are planned for every batch (CURSOR_OPT_CUSTOM_PLAN): a generic plan cached
 * while xtrader.orders was small joins it by a sequential scan, and would keep doing so forever
 * as the table grows. Planning costs little next to a batch of thousands of rows.
 */
static void
xt_prepare_plans(void)
{
	Oid			jt[J_NCOLS] = {INT8ARRAYOID, INT2ARRAYOID, BYTEAARRAYOID, INT2ARRAYOID, INT2ARRAYOID,
	INT8ARRAYOID, TIMESTAMPTZARRAYOID};
	Oid			nt[N_NCOLS] = {INT8ARRAYOID, INT4ARRAYOID, OIDARRAYOID, INT2ARRAYOID, INT2ARRAYOID,
		INT2ARRAYOID, BOOLARRAYOID, INT2ARRAYOID, TEXTARRAYOID, INT8ARRAYOID, INT8ARRAYOID,
	INT8ARRAYOID, INT2ARRAYOID, INT2ARRAYOID, TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID};
	Oid			ut[U_NCOLS] = {INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT2ARRAYOID,
	INT2ARRAYOID, TIMESTAMPTZARRAYOID};
	Oid			et[E_NCOLS] = {INT8ARRAYOID, INT8ARRAYOID, INT4ARRAYOID, INT8ARRAYOID, INT8ARRAYOID,
		INT8ARRAYOID, INT8ARRAYOID, INT2ARRAYOID, OIDARRAYOID, OIDARRAYOID, INT8ARRAYOID,
	INT8ARRAYOID, TIMESTAMPTZARRAYOID};

	plan_journal = SPI_prepare_cursor(
							   "INSERT INTO xtrader.journal (seq, type, command, outcome, reason, result_id, "
							   "applied_at) SELECT * FROM unnest($1, $2, $3, $4, $5, $6, $7)", J_NCOLS, jt,
								  CURSOR_OPT_CUSTOM_PLAN);
	plan_new_orders = SPI_prepare_cursor(
								  "INSERT INTO xtrader.orders (order_id, symbol_id, account, side, order_type, "
								  "time_in_force, post_only, stp, client_order_id, price, quantity, remaining, "
								  "status, reason, created_at, updated_at) "
								  "SELECT * FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
								  "$14, $15, $16)", N_NCOLS, nt, CURSOR_OPT_CUSTOM_PLAN);
	plan_update_orders = SPI_prepare_cursor(
									 "UPDATE xtrader.orders o SET price = coalesce(u.price, o.price), "
									 "quantity = coalesce(u.quantity, o.quantity), remaining = u.remaining, "
									 "status = u.status, reason = u.reason, updated_at = u.updated_at "
									 "FROM unnest($1, $2, $3, $4, $5, $6, $7) "
									 "AS u(order_id, price, quantity, remaining, status, reason, updated_at) "
									 "WHERE o.order_id = u.order_id", U_NCOLS, ut, CURSOR_OPT_CUSTOM_PLAN);
	plan_executions = SPI_prepare_cursor(
								  "INSERT INTO xtrader.executions (execution_id, seq, symbol_id, price, quantity, "
								  "taker_order_id, maker_order_id, taker_side, taker_account, maker_account, "
								  "taker_remaining, maker_remaining, executed_at) "
								  "SELECT * FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
								  E_NCOLS, et, CURSOR_OPT_CUSTOM_PLAN);
	if (!plan_journal || !plan_new_orders || !plan_update_orders || !plan_executions)
		elog(ERROR, "xtrader persister: could not prepare its statements: %s",
			 SPI_result_code_string(SPI_result));
	SPI_keepplan(plan_journal);
	SPI_keepplan(plan_new_orders);
	SPI_keepplan(plan_update_orders);
	SPI_keepplan(plan_executions);
}

/* Write the folded order states: new rows, then updates of older orders. */
static void
xt_write_orders(XtBatch *b)
{
	XtColumn	n[N_NCOLS];
	XtColumn	u[U_NCOLS];
	Oid			ntypes[N_NCOLS] = {INT8OID, INT4OID, OIDOID, INT2OID, INT2OID, INT2OID, BOOLOID,
	INT2OID, TEXTOID, INT8OID, INT8OID, INT8OID, INT2OID, INT2OID, TIMESTAMPTZOID, TIMESTAMPTZOID};
	Oid			utypes[U_NCOLS] = {INT8OID, INT8OID, INT8OID, INT8OID, INT2OID, INT2OID, TIMESTAMPTZOID};
	HASH_SEQ_STATUS it;
	XtOrderState *o;

	for (int i = 0; i < N_NCOLS; i++)
		xt_col_init(&n[i], ntypes[i]);
	for (int i = 0; i < U_NCOLS; i++)
		xt_col_init(&u[i], utypes[i]);

	hash_seq_init(&it, b->orders);
	while ((o = (XtOrderState *) hash_seq_search(&it)) != NULL)
	{
		if (o->is_new)
		{
			const xt_command *c = &o->cmd;

			xt_col_push(&n[N_ID], Int64GetDatum((int64) o->order_id), false);
			xt_col_push(&n[N_SYMBOL], Int32GetDatum((int32) c->symbol), false);
			xt_col_push(&n[N_ACCOUNT], ObjectIdGetDatum((Oid) c->account), false);
			xt_col_push(&n[N_SIDE], Int16GetDatum(c->side), false);
			xt_col_push(&n[N_TYPE], Int16GetDatum(c->order_type), false);
			xt_col_push(&n[N_TIF], Int16GetDatum(c->tif), false);
			xt_col_push(&n[N_POST_ONLY], BoolGetDatum(c->post_only != 0), false);
			xt_col_push(&n[N_STP], Int16GetDatum(c->stp), false);
			if (c->clordid_len > 0)
				xt_col_push(&n[N_CLORDID],
							PointerGetDatum(cstring_to_text_with_len(c->clordid, c->clordid_len)), false);
			else
				xt_col_push(&n[N_CLORDID], (Datum) 0, true);
			xt_col_push(&n[N_PRICE], Int64GetDatum(o->price), o->price == 0);
			xt_col_push(&n[N_QUANTITY], Int64GetDatum(o->quantity), false);
			xt_col_push(&n[N_REMAINING], Int64GetDatum(o->remaining), false);
			xt_col_push(&n[N_STATUS], Int16GetDatum(o->status), false);
			xt_col_push(&n[N_REASON], Int16GetDatum(o->reason), false);
			xt_col_push(&n[N_CREATED], TimestampTzGetDatum(o->created), false);
			xt_col_push(&n[N_UPDATED], TimestampTzGetDatum(o->updated), false);
		}
		else
		{
			xt_col_push(&u[U_ID], Int64GetDatum((int64) o->order_id), false);
			xt_col_push(&u[U_PRICE], Int64GetDatum(o->price), o->price == 0);
			xt_col_push(&u[U_QUANTITY], Int64GetDatum(o->quantity), o->quantity == 0);
			xt_col_push(&u[U_REMAINING], Int64GetDatum(o->remaining), false);
			xt_col_push(&u[U_STATUS], Int16GetDatum(o->status), false);
			xt_col_push(&u[U_REASON], Int16GetDatum(o->reason), false);
			xt_col_push(&u[U_UPDATED], TimestampTzGetDatum(o->updated), false);
		}
	}
	xt_exec_columns(plan_new_orders, n, N_NCOLS, SPI_OK_INSERT);
	xt_exec_columns(plan_update_orders, u, U_NCOLS, SPI_OK_UPDATE);
}

/*
 * The journal's last seq: what a previous incarnation (or this one) already committed. Read from
 * the table once per engine generation (a recovery may follow a DROP/CREATE EXTENSION), then
 * kept in memory as batches commit.
 */
static uint64 xt_known_last_seq = 0;
static uint32 xt_known_generation = 0;
static bool xt_known_valid = false;

static uint64
xt_journal_last_seq(void)
{
	bool		isnull;
	Datum		d;

	if (SPI_execute("SELECT max(seq) FROM xtrader.journal", true, 1) != SPI_OK_SELECT)
		elog(ERROR, "xtrader persister: cannot read the journal");
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? 0 : (uint64) DatumGetInt64(d);
}

/*
 * Persist one batch. Returns true if it did anything. Holds persist_lock from reading the
 * positions to publishing the new ones, so a recovery never sees half a batch.
 */
static bool
xt_persist_batch(MemoryContext batch_cxt)
{
	XtShared   *sh = xt_shared;
	XtOutRec   *recs = xt_out_recs();
	uint64		read,
				write,
				end,
				pos;
	uint64		already;
	XtBatch		b;
	HASHCTL		hctl;
	MemoryContext old;

	if (pg_atomic_read_u32(&sh->state) != XT_STATE_READY ||
		pg_atomic_read_u64(&sh->out_read) == pg_atomic_read_u64(&sh->out_write))
		return false;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	LWLockAcquire(&sh->persist_lock, LW_EXCLUSIVE);

	read = pg_atomic_read_u64(&sh->out_read);
	write = pg_atomic_read_u64(&sh->out_write);
	pg_read_barrier();
	if (pg_atomic_read_u32(&sh->state) != XT_STATE_READY || read == write)
	{
		LWLockRelease(&sh->persist_lock);
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
		return false;
	}

	/* Whole commands only: stop before the first command record past the batch size. */
	end = read;
	while (end < write)
	{
		if (end - read >= (uint64) xt_guc_persist_batch &&
			recs[end % sh->out_recs].kind == XT_OUT_COMMAND)
			break;
		end++;
	}

	if (plan_journal == NULL)
		xt_prepare_plans();
	if (!xt_known_valid || xt_known_generation != pg_atomic_read_u32(&sh->generation))
	{
		xt_known_generation = pg_atomic_read_u32(&sh->generation);
		xt_known_last_seq = xt_journal_last_seq();
		xt_known_valid = true;
	}
	already = xt_known_last_seq;

	old = MemoryContextSwitchTo(batch_cxt);
	memset(&b, 0, sizeof(b));
	xt_col_init(&b.journal[J_SEQ], INT8OID);
	xt_col_init(&b.journal[J_TYPE], INT2OID);
	xt_col_init(&b.journal[J_COMMAND], BYTEAOID);
	xt_col_init(&b.journal[J_OUTCOME], INT2OID);
	xt_col_init(&b.journal[J_REASON], INT2OID);
	xt_col_init(&b.journal[J_RESULT], INT8OID);
	xt_col_init(&b.journal[J_AT], TIMESTAMPTZOID);
	{
		Oid			et[E_NCOLS] = {INT8OID, INT8OID, INT4OID, INT8OID, INT8OID, INT8OID, INT8OID,
		INT2OID, OIDOID, OIDOID, INT8OID, INT8OID, TIMESTAMPTZOID};

		for (int i = 0; i < E_NCOLS; i++)
			xt_col_init(&b.executions[i], et[i]);
	}
	memset(&hctl, 0, sizeof(hctl));
	hctl.keysize = sizeof(uint64);
	hctl.entrysize = sizeof(XtOrderState);
	hctl.hcxt = batch_cxt;
	b.orders = hash_create("xtrader batch orders", 1024, &hctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	for (pos = read; pos < end; pos++)
	{
		XtOutRec   *rec = &recs[pos % sh->out_recs];

		if (rec->kind == XT_OUT_COMMAND)
		{
			xt_batch_end_command(&b);
			b.cmd = rec->u.cmd;
			b.at = rec->at;
			memset(&b.answer, 0, sizeof(b.answer));
			b.have_cmd = b.cmd.seq > already;	/* skip what a previous run committed */
		}
		else if (b.have_cmd)
			xt_batch_event(&b, &rec->u.ev, rec->at);
		b.records++;
	}
	xt_batch_end_command(&b);

	xt_exec_columns(plan_journal, b.journal, J_NCOLS, SPI_OK_INSERT);
	xt_write_orders(&b);
	xt_exec_columns(plan_executions, b.executions, E_NCOLS, SPI_OK_INSERT);
	MemoryContextSwitchTo(old);

	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	if (b.last_seq > xt_known_last_seq)
		xt_known_last_seq = b.last_seq;
	/* let autovacuum see how these tables churn (it analyzes and vacuums by these counts) */
	pgstat_report_stat(false);

	/* Durable: publish, then wake the submitters and the engine (ring space). */
	pg_atomic_write_u64(&sh->out_read, end);
	{
		/* skipped commands (<= already) were committed by a previous run: durable too */
		uint64		durable = Max(b.last_seq, Min(already, pg_atomic_read_u64(&sh->applied_seq)));

		if (durable > pg_atomic_read_u64(&sh->durable_seq))
			pg_atomic_write_u64(&sh->durable_seq, durable);
	}
	LWLockRelease(&sh->persist_lock);

	pg_atomic_fetch_add_u64(&sh->batches, 1);
	pg_atomic_fetch_add_u64(&sh->events_persisted, b.records);
	ConditionVariableBroadcast(&sh->durable_cv);
	ConditionVariableBroadcast(&sh->out_space_cv);
	xt_net_wakeup();
	xt_brokers_wakeup();		/* executions, and market data for Kafka and RabbitMQ */
	MemoryContextReset(batch_cxt);
	return true;
}

void
xt_persister_main(Datum arg)
{
	MemoryContext batch_cxt;

	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(xt_guc_database, NULL, 0);

	batch_cxt = AllocSetContextCreate(TopMemoryContext, "xtrader persister batch",
									  ALLOCSET_DEFAULT_SIZES);
	xt_shared->persister_latch = MyLatch;

	for (;;)
	{
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		if (ShutdownRequestPending)
			break;
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		/* drain: one batch after another while there is work, then sleep */
		while (xt_persist_batch(batch_cxt))
			CHECK_FOR_INTERRUPTS();
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_EXIT_ON_PM_DEATH, -1L, PG_WAIT_EXTENSION);
	}
	xt_shared->persister_latch = NULL;
	proc_exit(0);
}
