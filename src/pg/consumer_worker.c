/*
 * consumer_worker.c: background workers "xtrader consumer 1..N", the in-server members of the
 * Redis consumer group execution_processors (src/brokers/consumer.h does the Redis side).
 *
 * Each member reads batches of the executions stream and stores them with
 * xtrader.xt_store_execution_messages() in one transaction per batch (idempotent on the message
 * id); the batch is acknowledged only after that commit. A member that dies leaves its batch
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
#include "pg/shmem.h"
#include "pg/xtrader.h"

typedef struct ConsumerCtx
{
	char		name[32];		/* "consumer 1": its name in the group */
	char		who[48];		/* "xtrader consumer 1", for log lines */
	MemoryContext batch_cxt;
	char		last_error[256];
} ConsumerCtx;

typedef struct ConsumerBatch
{
	const xt_consumer_msg *msgs;
	size_t		n;
} ConsumerBatch;

static void
consumer_store_spi(void *vctx, void *arg)
{
	ConsumerCtx *ctx = vctx;
	ConsumerBatch *b = arg;
	Datum	   *ids = palloc(sizeof(Datum) * b->n);
	Datum	   *bodies = palloc(sizeof(Datum) * b->n);
	Oid			types[3] = {INT8ARRAYOID, TEXTARRAYOID, TEXTOID};
	Datum		args[3];

	for (size_t i = 0; i < b->n; i++)
	{
		ids[i] = Int64GetDatum((int64) b->msgs[i].id);
		bodies[i] = PointerGetDatum(cstring_to_text_with_len(b->msgs[i].body, (int) b->msgs[i].len));
	}
	args[0] = PointerGetDatum(construct_array(ids, (int) b->n, INT8OID, 8, true, TYPALIGN_DOUBLE));
	args[1] = PointerGetDatum(construct_array(bodies, (int) b->n, TEXTOID, -1, false, TYPALIGN_INT));
	args[2] = CStringGetTextDatum(ctx->name);
	if (SPI_execute_with_args("SELECT xtrader.xt_store_execution_messages($1, $2, $3)",
							  3, types, args, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "xt_store_execution_messages failed");
}

/* xt_consumer_store_fn: one transaction per batch; true once committed. A batch that cannot be
 * stored (a bad message, no extension) stays pending and comes again. */
static bool
consumer_store(void *vctx, const xt_consumer_msg *msgs, size_t n)
{
	ConsumerCtx *ctx = vctx;
	ConsumerBatch b = {msgs, n};
	MemoryContext old = MemoryContextSwitchTo(ctx->batch_cxt);
	bool		ok = xt_spi_transaction(consumer_store_spi, ctx, &b, ctx->who,
										ctx->last_error, sizeof(ctx->last_error));

	MemoryContextSwitchTo(old);
	MemoryContextReset(ctx->batch_cxt);
	return ok;
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

	memset(&cfg, 0, sizeof(cfg));
	cfg.url = xt_guc_redis_url;
	cfg.name = ctx.name;
	cfg.claim_idle_ms = xt_guc_consumer_claim_idle_ms;
	consumer = xt_consumer_create(&cfg, err, sizeof(err));
	if (consumer == NULL)
		ereport(FATAL, (errmsg("xtrader %s: %s", ctx.name, err)));
	ereport(LOG, (errmsg("xtrader %s: consuming the executions stream", ctx.name)));

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
			got = xt_consumer_poll(consumer, consumer_store, &ctx);
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
