/*
 * consumer_worker.c: background workers "xtrader consumer 1..N", the in-server members of the
 * Redis consumer group execution_processors (src/brokers/consumer.h does the Redis side).
 *
 * Each member reads batches (xtrader.consumer_batch, 100) of the executions stream, takes the
 * stored fields out of each message in C (src/brokers/exec_msg.h) and stores them with
 * xtrader.xt_store_executions() in one transaction per batch (idempotent on the message id); the
 * batch is acknowledged only after that commit. A message that does not parse, or that the
 * database refuses (SQLSTATE class 22 or 23: consumer.c splits the batch to find it), is stored
 * with xtrader.xt_store_dead_letters() and acknowledged. A member that dies leaves its batch
 * pending: it reads its own pending entries first when it comes back, and the other members take
 * over entries idle longer than xtrader.consumer_claim_idle. The same consumer code runs on other
 * hosts as the program xtrader-consumer.
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "brokers/consumer.h"
#include "brokers/exec_msg.h"
#include "pg/shmem.h"
#include "pg/xtrader.h"

#define STORE_NARGS 11
#define DEAD_NARGS 6

typedef struct ConsumerCtx
{
	char		name[32];		/* "consumer 1": its name in the group */
	char		who[48];		/* "xtrader consumer 1", for log lines */
	MemoryContext batch_cxt;
	char		last_error[256];
	xt_exec_parser *parser;		/* in TopMemoryContext */
	char	  (*parse_err)[XT_EXEC_MSG_ERRLEN];	/* one per message of the batch */
	size_t		parse_err_cap;
	SPIPlanPtr	store_plan;		/* kept across transactions (SPI_keepplan) */
	SPIPlanPtr	dead_plan;
} ConsumerCtx;

typedef struct ConsumerBatch
{
	xt_consumer_msg *msgs;
	size_t		n;
	int64		inserted;
} ConsumerBatch;

typedef struct DeadBatch
{
	const char *stream;
	const xt_consumer_dead *d;
	size_t		n;
	int64		inserted;
} DeadBatch;

static Datum
text_array(Datum *elems, int n)
{
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

static Datum
int8_array(Datum *elems, int n)
{
	return PointerGetDatum(construct_array(elems, n, INT8OID, 8, true, TYPALIGN_DOUBLE));
}

/* A plan for sql with the argument types, prepared on first use and kept. */
static SPIPlanPtr
kept_plan(SPIPlanPtr *plan, const char *sql, int nargs, Oid *types)
{
	if (*plan == NULL)
	{
		SPIPlanPtr	p = SPI_prepare(sql, nargs, types);

		if (p == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		if (SPI_keepplan(p) != 0)
			elog(ERROR, "SPI_keepplan failed");
		*plan = p;
	}
	return *plan;
}

static int64
run_plan(SPIPlanPtr plan, Datum *args, const char *what)
{
	bool		isnull;
	Datum		d;

	if (SPI_execute_plan(plan, args, NULL, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "%s failed", what);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? 0 : (int64) DatumGetInt32(d);
}

/* Inside the batch's transaction: parse each message, store the ones that parse. */
static void
consumer_store_spi(void *vctx, void *arg)
{
	static Oid	types[STORE_NARGS] = {INT8ARRAYOID, INT8ARRAYOID, TEXTARRAYOID, INT8ARRAYOID,
		TEXTARRAYOID, TEXTARRAYOID, NUMERICARRAYOID, NUMERICARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
	TEXTOID};
	ConsumerCtx *ctx = vctx;
	ConsumerBatch *b = arg;
	Datum	   *cols[STORE_NARGS - 1];
	Datum		args[STORE_NARGS];
	int			good = 0;

	for (int k = 0; k < STORE_NARGS - 1; k++)
		cols[k] = palloc(sizeof(Datum) * b->n);
	for (size_t i = 0; i < b->n; i++)
	{
		xt_consumer_msg *m = &b->msgs[i];
		xt_exec_fields f;

		if (!xt_exec_msg_parse(ctx->parser, m->body, m->len, &f, ctx->parse_err[i],
							   sizeof(ctx->parse_err[i])))
		{
			m->error = ctx->parse_err[i];	/* a dead letter */
			continue;
		}
		cols[0][good] = Int64GetDatum((int64) m->id);
		cols[1][good] = Int64GetDatum(f.execution_id);
		cols[2][good] = CStringGetTextDatum(f.role);
		cols[3][good] = Int64GetDatum(f.order_id);
		cols[4][good] = CStringGetTextDatum(f.symbol);
		cols[5][good] = CStringGetTextDatum(f.side);
		cols[6][good] = DirectFunctionCall3(numeric_in, CStringGetDatum(f.price),
											ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
		cols[7][good] = DirectFunctionCall3(numeric_in, CStringGetDatum(f.quantity),
											ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
		cols[8][good] = CStringGetTextDatum(f.order_status);
		cols[9][good] = PointerGetDatum(cstring_to_text_with_len(m->body, (int) m->len));
		good++;
	}
	if (good == 0)
		return;					/* every message is a dead letter */
	args[0] = int8_array(cols[0], good);
	args[1] = int8_array(cols[1], good);
	args[2] = text_array(cols[2], good);
	args[3] = int8_array(cols[3], good);
	args[4] = text_array(cols[4], good);
	args[5] = text_array(cols[5], good);
	args[6] = PointerGetDatum(construct_array(cols[6], good, NUMERICOID, -1, false, TYPALIGN_INT));
	args[7] = PointerGetDatum(construct_array(cols[7], good, NUMERICOID, -1, false, TYPALIGN_INT));
	args[8] = text_array(cols[8], good);
	args[9] = text_array(cols[9], good);
	args[10] = CStringGetTextDatum(ctx->name);
	b->inserted = run_plan(kept_plan(&ctx->store_plan,
									 "SELECT xtrader.xt_store_executions($1, $2, $3, $4, $5, $6, "
									 "$7, $8, $9, $10, $11)", STORE_NARGS, types),
						   args, "xt_store_executions");
}

/* XT_STORE_REFUSED for an error about the data, XT_STORE_FAILED for anything else. */
static xt_store_result
classify(int sqlerrcode)
{
	int			cat = ERRCODE_TO_CATEGORY(sqlerrcode);

	return cat == ERRCODE_DATA_EXCEPTION || cat == ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION
		? XT_STORE_REFUSED : XT_STORE_FAILED;
}

/* xt_consumer_store_fn: one transaction per batch. */
static xt_store_result
consumer_store(void *vctx, xt_consumer_msg *msgs, size_t n, char *err, size_t errlen)
{
	ConsumerCtx *ctx = vctx;
	ConsumerBatch b = {msgs, n, 0};
	MemoryContext old = MemoryContextSwitchTo(ctx->batch_cxt);
	int			code = 0;
	bool		ok;

	if (n > ctx->parse_err_cap)
	{
		/* outside the transaction, like the other long-lived memory: OOM ends the worker */
		ctx->parse_err = ctx->parse_err == NULL
			? MemoryContextAlloc(TopMemoryContext, n * sizeof(*ctx->parse_err))
			: repalloc(ctx->parse_err, n * sizeof(*ctx->parse_err));
		ctx->parse_err_cap = n;
	}
	ok = xt_spi_transaction_code(consumer_store_spi, ctx, &b, ctx->who, ctx->last_error,
								 sizeof(ctx->last_error), &code);
	MemoryContextSwitchTo(old);
	MemoryContextReset(ctx->batch_cxt);
	if (ok)
		return XT_STORE_COMMITTED;
	strlcpy(err, ctx->last_error, errlen);
	return classify(code);
}

static void
consumer_dead_spi(void *vctx, void *arg)
{
	static Oid	types[DEAD_NARGS] = {TEXTOID, TEXTARRAYOID, INT8ARRAYOID, TEXTARRAYOID,
	TEXTARRAYOID, TEXTOID};
	ConsumerCtx *ctx = vctx;
	DeadBatch  *b = arg;
	Datum	   *entry = palloc(sizeof(Datum) * b->n);
	Datum	   *ids = palloc(sizeof(Datum) * b->n);
	bool	   *idnull = palloc(sizeof(bool) * b->n);
	Datum	   *body = palloc(sizeof(Datum) * b->n);
	Datum	   *error = palloc(sizeof(Datum) * b->n);
	Datum		args[DEAD_NARGS];
	int			dims[1] = {(int) b->n};
	int			lbs[1] = {1};

	for (size_t i = 0; i < b->n; i++)
	{
		entry[i] = CStringGetTextDatum(b->d[i].entry_id);
		ids[i] = Int64GetDatum((int64) b->d[i].id);
		idnull[i] = b->d[i].id == 0;
		body[i] = PointerGetDatum(cstring_to_text_with_len(b->d[i].body, (int) b->d[i].len));
		error[i] = CStringGetTextDatum(b->d[i].error);
	}
	args[0] = CStringGetTextDatum(b->stream);
	args[1] = text_array(entry, (int) b->n);
	args[2] = PointerGetDatum(construct_md_array(ids, idnull, 1, dims, lbs, INT8OID, 8, true,
												 TYPALIGN_DOUBLE));
	args[3] = text_array(body, (int) b->n);
	args[4] = text_array(error, (int) b->n);
	args[5] = CStringGetTextDatum(ctx->name);
	b->inserted = run_plan(kept_plan(&ctx->dead_plan,
									 "SELECT xtrader.xt_store_dead_letters($1, $2, $3, $4, $5, $6)",
									 DEAD_NARGS, types),
						   args, "xt_store_dead_letters");
}

/* xt_consumer_dead_fn: the batch's dead letters in one transaction, each logged. */
static bool
consumer_dead(void *vctx, const char *stream, const xt_consumer_dead *d, size_t n, char *err,
			  size_t errlen)
{
	ConsumerCtx *ctx = vctx;
	DeadBatch	b = {stream, d, n, 0};
	MemoryContext old = MemoryContextSwitchTo(ctx->batch_cxt);
	bool		ok = xt_spi_transaction(consumer_dead_spi, ctx, &b, ctx->who,
										ctx->last_error, sizeof(ctx->last_error));

	MemoryContextSwitchTo(old);
	MemoryContextReset(ctx->batch_cxt);
	if (!ok)
	{
		strlcpy(err, ctx->last_error, errlen);
		return false;
	}
	for (size_t i = 0; i < n; i++)
		ereport(LOG, (errmsg("%s: stream %s entry %s is a dead letter (xtrader.execution_dead_letters): %s",
							 ctx->who, stream, d[i].entry_id, d[i].error)));
	return true;
}

void
xt_consumer_worker_main(Datum arg)
{
	int			member = DatumGetInt32(arg);
	ConsumerCtx ctx;
	xt_consumer_config cfg;
	xt_consumer *consumer;
	char		err[XT_CONSUMER_ERRLEN];
	char		last_logged[XT_CONSUMER_ERRLEN] = "";

	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(xt_guc_database, NULL, 0);

	memset(&ctx, 0, sizeof(ctx));
	snprintf(ctx.name, sizeof(ctx.name), "consumer %d", member);
	snprintf(ctx.who, sizeof(ctx.who), "xtrader %s", ctx.name);
	ctx.batch_cxt = AllocSetContextCreate(TopMemoryContext, "xtrader consumer batch",
										  ALLOCSET_DEFAULT_SIZES);
	ctx.parser = MemoryContextAlloc(TopMemoryContext, sizeof(xt_exec_parser));

	memset(&cfg, 0, sizeof(cfg));
	cfg.url = xt_guc_redis_url;
	cfg.name = ctx.name;
	cfg.claim_idle_ms = xt_guc_consumer_claim_idle_ms;
	cfg.count = xt_guc_consumer_batch;
	consumer = xt_consumer_create(&cfg, err, sizeof(err));
	if (consumer == NULL)
		ereport(FATAL, (errmsg("xtrader %s: %s", ctx.name, err)));
	ereport(LOG, (errmsg("xtrader %s: consuming the executions stream (batches of %d)", ctx.name,
						 xt_guc_consumer_batch)));

	while (!ShutdownRequestPending)
	{
		int			got = 0;
		bool		ready;

		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		/* only while the extension is there to store into */
		ready = pg_atomic_read_u32(&xt_shared->state) == XT_STATE_READY;
		if (ready)
			got = xt_consumer_poll(consumer, consumer_store, consumer_dead, &ctx);
		if (got < 0)
		{
			const char *e = xt_consumer_last_error(consumer);

			if (strcmp(e, last_logged) != 0)
				ereport(LOG, (errmsg("xtrader %s: %s; retrying every %d ms", ctx.name, e,
									 xt_guc_broker_health_ms)));
			strlcpy(last_logged, e, sizeof(last_logged));
		}
		else
			last_logged[0] = '\0';
		/* XREADGROUP blocks while the stream is quiet; wait only after a failure or when idle */
		if (got <= 0)
		{
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 got < 0 ? xt_guc_broker_health_ms : ready ? 10 : 1000,
							 PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
		CHECK_FOR_INTERRUPTS();
	}
	xt_consumer_destroy(consumer);
	proc_exit(0);
}
