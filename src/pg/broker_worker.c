/*
 * broker_worker.c: one background worker per broker ("xtrader redis", "xtrader kafka",
 * "xtrader amqp") publishing every durable execution (src/brokers/publisher.h does the talking).
 *
 * The durable tables are the queue: a worker reads xtrader.executions after its own cursor
 * (xtrader.broker_cursors), publishes, and moves the cursor only over what the broker confirmed.
 * A broker that is down just lets its cursor fall behind: nothing waits in memory, a restart of
 * PostgreSQL loses nothing, and one broker never slows the engine (it does not read the ring) or
 * the other brokers (they are other processes). While the broker is unreachable the worker
 * checks it every xtrader.broker_health_interval; when it answers, the backlog is replayed from
 * the cursor in order at full speed, then the worker follows live (woken by the persister).
 *
 * Messages: two per execution, one per side, each the WebSocket Execution message of that side
 * (src/net/ws_message.h). Message id = 2 * execution_id + role (0 taker, 1 maker): unique and
 * increasing, so a resend after a lost confirmation is dropped by Redis (explicit stream id) or
 * deduplicated by consumers on the id (Kafka header xt-id, RabbitMQ message_id).
 *
 * Kafka and RabbitMQ also get market data: order book and ticker messages derived from the
 * journal by src/pg/market_feed.c, with a cursor of their own (broker_cursors.market_id) and ids
 * of their own (2 * seq, 2 * seq + 1), so consumers dedup on (type, id). Each round publishes the
 * executions first, then the market data: both streams are in order, each with its own cursor.
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
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "brokers/publisher.h"
#include "common/decimal.h"
#include "net/ws_message.h"
#include "pg/market_feed.h"
#include "pg/shmem.h"
#include "pg/xtrader.h"

#define BROKER_BODY_MAX 1024	/* one Execution message is ~300 bytes */

static const char *const broker_names[XT_BROKER_COUNT] = {"redis", "kafka", "amqp"};

/* One execution row with what its two messages need. */
typedef struct BrokerRow
{
	xt_event	ev;				/* as a TRADE event: what xt_ws_encode_execution takes */
	char		symbol[XT_SYMBOL_NAME_MAX + 1];
	xt_step		tick;
	xt_step		lot;
	int64		ts_ms;
} BrokerRow;

typedef struct BrokerWorker
{
	XtBroker	which;
	XtBrokerShared *shared;
	xt_publisher *pub;
	uint64		cursor;			/* last confirmed execution message id (as stored) */
	uint64		market_cursor;	/* last confirmed market data message id (as stored) */
	XtMarketFeed *feed;			/* Kafka, RabbitMQ: order book and ticker messages */
	int			market_deferred;	/* execution rounds since the last market data round */
	bool		cursor_loaded;
	bool		was_down;		/* a batch or health check failed since the last success */
	TimestampTz next_health;	/* when the broker is down: next check */
	BrokerRow  *rows;
	xt_pub_msg *msgs;
	char	   *bodies;
	char		(*keys)[XT_SYMBOL_NAME_MAX + 1];
	char		(*routes)[XT_SYMBOL_NAME_MAX + 16];
	int			cap;			/* rows */
	char		who[32];		/* "xtrader redis", for log lines */
	char		last_spi_error[256];
} BrokerWorker;

static const char *
broker_url(XtBroker which)
{
	switch (which)
	{
		case XT_BROKER_REDIS:
			return xt_guc_redis_url;
		case XT_BROKER_KAFKA:
			return xt_guc_kafka_brokers;
		default:
			return xt_guc_amqp_url;
	}
}

bool
xt_broker_enabled(XtBroker which)
{
	const char *url = broker_url(which);

	return url != NULL && url[0] != '\0';
}

const char *
xt_broker_name(XtBroker which)
{
	return broker_names[which];
}

/* ---- shared status ------------------------------------------------------------------------- */

static void
broker_publish_status(BrokerWorker *w)
{
	XtBrokerShared *sh = w->shared;
	xt_pub_stats st = xt_pub_get_stats(w->pub);

	SpinLockAcquire(&sh->mutex);
	sh->state = (uint8) xt_pub_get_state(w->pub);
	sh->cursor = w->cursor;
	sh->market_cursor = w->feed ? w->market_cursor : 0;
	sh->sent = st.sent;
	sh->confirmed = st.confirmed;
	sh->errors = st.errors;
	sh->reconnects = st.reconnects;
	strlcpy(sh->last_error, xt_pub_last_error(w->pub), sizeof(sh->last_error));
	SpinLockRelease(&sh->mutex);
}

static void
broker_set_pending_since(BrokerWorker *w, int64 ms)
{
	SpinLockAcquire(&w->shared->mutex);
	w->shared->pending_since_ms = ms;
	SpinLockRelease(&w->shared->mutex);
}

static void
broker_mark_success(BrokerWorker *w)
{
	TimestampTz now = GetCurrentTimestamp();

	SpinLockAcquire(&w->shared->mutex);
	w->shared->last_success = now;
	SpinLockRelease(&w->shared->mutex);
}

/* ---- SPI: cursor and executions ------------------------------------------------------------- */

/* Run fn in a transaction; false (logged) if it failed, e.g. while the extension is absent. */
static bool
broker_spi(BrokerWorker *w, XtSpiFn fn, void *arg)
{
	return xt_spi_transaction(fn, w, arg, w->who, w->last_spi_error, sizeof(w->last_spi_error));
}

static void
broker_load_cursor_spi(void *ctx, void *arg)
{
	BrokerWorker *w = ctx;
	Oid			types[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(broker_names[w->which])};
	bool		isnull;

	/* a broker seen for the first time starts at the first execution */
	if (SPI_execute_with_args("INSERT INTO xtrader.broker_cursors AS c (broker) VALUES ($1) "
							  "ON CONFLICT (broker) DO UPDATE SET broker = c.broker "
							  "RETURNING c.last_id, c.market_id", 1, types, args, NULL, false, 1)
		!= SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "cannot read xtrader.broker_cursors");
	w->cursor = (uint64) DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
													 SPI_tuptable->tupdesc, 1, &isnull));
	w->market_cursor = (uint64) DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
															SPI_tuptable->tupdesc, 2, &isnull));
}

/*
 * The first execution with a message after the cursor: execution e's messages are 2e (taker) and
 * 2e + 1 (maker), so a cursor at 2e still needs e, one at 2e + 1 starts at e + 1.
 */
static int64
broker_first_pending_execution(const BrokerWorker *w)
{
	return (int64) ((w->cursor + 1) / 2);
}

/* While the broker is down: the executed_at of the first execution not confirmed (or 0). */
static void
broker_pending_since_spi(void *ctx, void *arg)
{
	BrokerWorker *w = ctx;
	Oid			types[1] = {INT8OID};
	Datum		args[1] = {Int64GetDatum(broker_first_pending_execution(w))};
	bool		isnull;

	*(int64 *) arg = 0;
	if (SPI_execute_with_args("SELECT floor(extract(epoch FROM executed_at) * 1000)::int8 "
							  "FROM xtrader.executions WHERE execution_id >= $1 "
							  "ORDER BY execution_id LIMIT 1", 1, types, args, NULL, true, 1)
		!= SPI_OK_SELECT)
		elog(ERROR, "cannot read xtrader.executions");
	if (SPI_processed == 1)
		*(int64 *) arg = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
													 SPI_tuptable->tupdesc, 1, &isnull));
}

static void
broker_refresh_pending(BrokerWorker *w)
{
	int64		ms = 0;

	if (broker_spi(w, broker_pending_since_spi, &ms))
		broker_set_pending_since(w, ms);
}

/* What a publish moves: the execution cursor or the market data one. */
typedef struct BrokerStream
{
	const char *what;			/* "executions", "market data": for log lines */
	const char *column;			/* its column in xtrader.broker_cursors */
	uint64	   *cursor;
} BrokerStream;

static void
broker_save_cursor_spi(void *ctx, void *arg)
{
	BrokerWorker *w = ctx;
	const BrokerStream *stream = arg;
	Oid			types[2] = {TEXTOID, INT8OID};
	Datum		args[2] = {CStringGetTextDatum(broker_names[w->which]),
	Int64GetDatum((int64) *stream->cursor)};
	char		sql[160];

	snprintf(sql, sizeof(sql), "UPDATE xtrader.broker_cursors SET %s = $2, updated_at = now() "
			 "WHERE broker = $1 AND %s < $2", stream->column, stream->column);
	if (SPI_execute_with_args(sql, 2, types, args, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "cannot write xtrader.broker_cursors");
}

/* Read up to cap executions whose messages are after the cursor, oldest first. */
static void
broker_read_spi(void *ctx, void *arg)
{
	BrokerWorker *w = ctx;
	int		   *n = arg;
	Oid			types[2] = {INT8OID, INT4OID};
	Datum		args[2] = {Int64GetDatum(broker_first_pending_execution(w)),
	Int32GetDatum(w->cap)};

	*n = 0;
	/*
	 * Trade ids are dense, so the batch is a range of ids: the planner walks the primary key even
	 * when its statistics think the table small (a LIMIT could make it sort the whole table).
	 */
	if (SPI_execute_with_args("SELECT e.execution_id, e.seq, e.symbol_id, e.price, e.quantity, "
							  "e.taker_order_id, e.maker_order_id, e.taker_side, e.taker_remaining, "
							  "e.maker_remaining, "
							  "floor(extract(epoch FROM e.executed_at) * 1000)::int8, "
							  "s.symbol, s.tick_size::text, s.lot_size::text "
							  "FROM xtrader.executions e JOIN xtrader.symbols s USING (symbol_id) "
							  "WHERE e.execution_id >= $1 AND e.execution_id < $1 + $2 "
							  "ORDER BY e.execution_id",
							  2, types, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "cannot read xtrader.executions");
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	t = SPI_tuptable->vals[r];
		TupleDesc	d = SPI_tuptable->tupdesc;
		BrokerRow  *row = &w->rows[*n];
		bool		isnull;
		char	   *tick = SPI_getvalue(t, d, 13);
		char	   *lot = SPI_getvalue(t, d, 14);
		char	   *symbol = SPI_getvalue(t, d, 12);

		memset(row, 0, sizeof(*row));
		row->ev.type = XT_EV_TRADE;
		row->ev.trade_id = (uint64) DatumGetInt64(SPI_getbinval(t, d, 1, &isnull));
		row->ev.seq = (uint64) DatumGetInt64(SPI_getbinval(t, d, 2, &isnull));
		row->ev.symbol = (uint32) DatumGetInt32(SPI_getbinval(t, d, 3, &isnull));
		row->ev.price = DatumGetInt64(SPI_getbinval(t, d, 4, &isnull));
		row->ev.quantity = DatumGetInt64(SPI_getbinval(t, d, 5, &isnull));
		row->ev.order_id = (uint64) DatumGetInt64(SPI_getbinval(t, d, 6, &isnull));
		row->ev.maker_order_id = (uint64) DatumGetInt64(SPI_getbinval(t, d, 7, &isnull));
		row->ev.side = (uint8) DatumGetInt16(SPI_getbinval(t, d, 8, &isnull));
		row->ev.remaining = DatumGetInt64(SPI_getbinval(t, d, 9, &isnull));
		row->ev.maker_remaining = DatumGetInt64(SPI_getbinval(t, d, 10, &isnull));
		/* a side that just traded is Filled or, with something left, PartiallyFilled */
		row->ev.status = row->ev.remaining == 0 ? XT_STATUS_FILLED : XT_STATUS_PARTIALLY_FILLED;
		row->ev.maker_status = row->ev.maker_remaining == 0 ? XT_STATUS_FILLED
			: XT_STATUS_PARTIALLY_FILLED;
		row->ts_ms = DatumGetInt64(SPI_getbinval(t, d, 11, &isnull));
		strlcpy(row->symbol, symbol, sizeof(row->symbol));
		if (xt_step_parse(tick, strlen(tick), &row->tick) != XT_DEC_OK ||
			xt_step_parse(lot, strlen(lot), &row->lot) != XT_DEC_OK)
			elog(ERROR, "symbol %s has a tick or lot size the codec cannot use", symbol);
		(*n)++;
	}
}

/* ---- publishing ---------------------------------------------------------------------------- */

/* Turn rows into messages after the cursor. Returns how many. */
static int
broker_messages(BrokerWorker *w, int rows)
{
	int			n = 0;

	for (int r = 0; r < rows; r++)
	{
		const BrokerRow *row = &w->rows[r];

		for (int role = XT_WS_TAKER; role <= XT_WS_MAKER; role++)
		{
			uint64		id = 2 * row->ev.trade_id + (uint64) role;
			char	   *body = w->bodies + (size_t) n * BROKER_BODY_MAX;
			size_t		len;

			if (id <= w->cursor)
				continue;
			len = xt_ws_encode_execution(&row->ev, (xt_ws_role) role, row->symbol, row->tick,
										 row->lot, row->ts_ms, body, BROKER_BODY_MAX);
			if (len == 0)
				elog(ERROR, "xtrader %s: execution %llu does not encode",
					 broker_names[w->which], (unsigned long long) row->ev.trade_id);
			strlcpy(w->keys[n], row->symbol, sizeof(w->keys[n]));
			snprintf(w->routes[n], sizeof(w->routes[n]), "execution.%s", row->symbol);
			w->msgs[n].id = id;
			w->msgs[n].key = w->keys[n];
			w->msgs[n].routing_key = w->routes[n];
			w->msgs[n].field = NULL;
			w->msgs[n].type = "Execution";
			w->msgs[n].body = body;
			w->msgs[n].len = len;
			n++;
		}
	}
	return n;
}

/*
 * Publish msgs[0 .. n) and move the stream's cursor over the confirmed prefix. Returns how many
 * were confirmed; fewer than n means the broker is down (logged; next check scheduled).
 */
static size_t
broker_publish(BrokerWorker *w, const xt_pub_msg *msgs, int n, uint64 through,
			   const BrokerStream *stream)
{
	size_t		confirmed = n > 0 ? xt_pub_publish_batch(w->pub, msgs, (size_t) n) : 0;
	uint64		saved = *stream->cursor;

	if (confirmed > 0)
		*stream->cursor = msgs[confirmed - 1].id;
	/* all went: the cursor may pass what made no message too */
	if (confirmed == (size_t) n && through > *stream->cursor)
		*stream->cursor = through;
	if (*stream->cursor != saved)
	{
		/* if this write fails the cursor stays behind: a resend, which consumers dedup */
		if (!broker_spi(w, broker_save_cursor_spi, (void *) stream))
			*stream->cursor = saved;
	}
	if (confirmed > 0)
		broker_mark_success(w);
	broker_publish_status(w);
	if (confirmed < (size_t) n)
	{
		ereport(LOG,
				(errmsg("xtrader %s: broker unavailable, %zu of %d %s messages confirmed: %s",
						broker_names[w->which], confirmed, n, stream->what,
						xt_pub_last_error(w->pub)),
				 errdetail("Messages wait in xtrader.executions and xtrader.journal; retrying every %d ms.",
						   xt_guc_broker_health_ms)));
		w->next_health = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													 xt_guc_broker_health_ms);
		w->was_down = true;
		broker_refresh_pending(w);
	}
	return confirmed;
}

/*
 * Executions: read a batch after the cursor and publish it. Returns true if there may be more to
 * do at once (a full batch went through).
 */
static bool
broker_round_executions(BrokerWorker *w)
{
	BrokerStream stream = {"execution", "last_id", &w->cursor};
	int			rows = 0;
	int			n;
	size_t		confirmed;

	if (!broker_spi(w, broker_read_spi, &rows))
		return false;
	n = rows > 0 ? broker_messages(w, rows) : 0;
	/* the age of what waits, for /metrics: the first execution read has a message not confirmed */
	broker_set_pending_since(w, n > 0 ? w->rows[0].ts_ms : 0);
	if (n == 0)
		return false;
	confirmed = broker_publish(w, w->msgs, n, 0, &stream);
	if (confirmed == (size_t) n && rows < w->cap)
		broker_set_pending_since(w, 0);
	return confirmed == (size_t) n && rows == w->cap;
}

typedef struct BrokerFill
{
	const xt_pub_msg *msgs;
	int			n;
	bool		more;
} BrokerFill;

static void
broker_market_fill_spi(void *ctx, void *arg)
{
	BrokerWorker *w = ctx;
	BrokerFill *fill = arg;

	fill->n = xt_market_feed_fill(w->feed, w->market_cursor, &fill->msgs, &fill->more);
}

/* Market data: what is pending, or the next journal commands' messages. Same return. */
static bool
broker_round_market(BrokerWorker *w)
{
	BrokerStream stream = {"market data", "market_id", &w->market_cursor};
	BrokerFill	fill = {NULL, 0, false};
	size_t		confirmed;

	if (!broker_spi(w, broker_market_fill_spi, &fill))
	{
		xt_market_feed_forget(w->feed);	/* rebuilt from the cursor next round */
		return false;
	}
	confirmed = broker_publish(w, fill.msgs, fill.n, xt_market_feed_through(w->feed), &stream);
	xt_market_feed_confirmed(w->feed, (int) confirmed);
	return confirmed == (size_t) fill.n && fill.more;
}

/* Rounds of market data per rounds of executions while the executions have a backlog. */
#define BROKER_MARKET_SHARE 4

/*
 * One round of executions and, usually, one of market data; true if there may be more to do at
 * once. Executions come first: while they have a backlog (a broker just came back) the market
 * data gets one round in BROKER_MARKET_SHARE, so the stream consumers act on catches up sooner,
 * and the order books, each a full snapshot, follow without ever starving.
 */
static bool
broker_round(BrokerWorker *w)
{
	bool		more = broker_round_executions(w);

	if (w->feed == NULL || xt_pub_get_state(w->pub) != XT_PUB_LIVE)
		return more;
	if (more && ++w->market_deferred < BROKER_MARKET_SHARE)
		return true;
	w->market_deferred = 0;
	return broker_round_market(w) || more;
}

/* While the broker is down: is it back? (checked every xtrader.broker_health_interval) */
static bool
broker_healthy(BrokerWorker *w)
{
	if (xt_pub_get_state(w->pub) == XT_PUB_LIVE)
		return true;
	if (GetCurrentTimestamp() < w->next_health)
		return false;
	if (xt_pub_health_check(w->pub))
	{
		ereport(LOG, (errmsg("xtrader %s: broker %s; publishing from message %llu",
							 broker_names[w->which], w->was_down ? "is back" : "connected",
							 (unsigned long long) w->cursor + 1)));
		w->was_down = false;
		broker_mark_success(w);
		broker_publish_status(w);
		return true;
	}
	w->next_health = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), xt_guc_broker_health_ms);
	w->was_down = true;
	broker_publish_status(w);
	broker_refresh_pending(w);
	return false;
}

static void
broker_detach(int code, Datum arg)
{
	XtBrokerShared *sh = &xt_shared->brokers[DatumGetInt32(arg)];

	SpinLockAcquire(&sh->mutex);
	sh->latch = NULL;
	sh->running = false;
	SpinLockRelease(&sh->mutex);
}

void
xt_broker_worker_main(Datum arg)
{
	BrokerWorker w;
	xt_pub_config cfg;
	char		err[XT_PUB_ERRLEN];
	MemoryContext cxt;

	memset(&w, 0, sizeof(w));
	w.which = (XtBroker) DatumGetInt32(arg);
	w.shared = &xt_shared->brokers[w.which];
	snprintf(w.who, sizeof(w.who), "xtrader %s", broker_names[w.which]);

	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(xt_guc_database, NULL, 0);

	cxt = AllocSetContextCreate(TopMemoryContext, "xtrader broker", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(cxt);
	w.cap = Max(xt_guc_broker_batch / 2, 1);
	w.rows = palloc(sizeof(BrokerRow) * w.cap);
	w.msgs = palloc(sizeof(xt_pub_msg) * w.cap * 2);
	w.bodies = palloc((Size) BROKER_BODY_MAX * w.cap * 2);
	w.keys = palloc(sizeof(*w.keys) * w.cap * 2);
	w.routes = palloc(sizeof(*w.routes) * w.cap * 2);
	if (w.which != XT_BROKER_REDIS)
		w.feed = xt_market_feed_create(cxt, w.who, Max(xt_guc_broker_batch, 2),
									   xt_guc_broker_book_depth);

	memset(&cfg, 0, sizeof(cfg));
	cfg.kind = w.which == XT_BROKER_REDIS ? XT_PUB_REDIS
		: w.which == XT_BROKER_KAFKA ? XT_PUB_KAFKA : XT_PUB_AMQP;
	cfg.url = broker_url(w.which);
	cfg.redis_maxlen = xt_guc_redis_maxlen;
	w.pub = xt_pub_create(&cfg, err, sizeof(err));
	if (w.pub == NULL)
		ereport(FATAL,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("xtrader %s: %s", broker_names[w.which], err),
				 errhint("Fix the broker setting and restart the server.")));

	SpinLockAcquire(&w.shared->mutex);
	w.shared->latch = MyLatch;
	w.shared->running = true;
	SpinLockRelease(&w.shared->mutex);
	before_shmem_exit(broker_detach, Int32GetDatum((int32) w.which));
	ereport(LOG, (errmsg("xtrader %s: publishing executions%s", broker_names[w.which],
						 w.feed ? ", order books and tickers" : "")));

	for (;;)
	{
		bool		more = false;
		long		timeout = 1000;

		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		if (ShutdownRequestPending)
			break;
		if (pg_atomic_read_u32(&xt_shared->state) == XT_STATE_READY)
		{
			/* the cursor first, so the status shows the real lag while the broker is down */
			if (!w.cursor_loaded && broker_spi(&w, broker_load_cursor_spi, NULL))
			{
				w.cursor_loaded = true;
				broker_publish_status(&w);
			}
			if (w.cursor_loaded && broker_healthy(&w))
				more = broker_round(&w);
			if (xt_pub_get_state(w.pub) != XT_PUB_LIVE)
				timeout = Max(1, TimestampDifferenceMilliseconds(GetCurrentTimestamp(),
																  w.next_health));
		}
		else if (w.cursor_loaded)
		{
			/* a reset extension starts a new cursor row and a new journal */
			w.cursor_loaded = false;
			if (w.feed)
				xt_market_feed_forget(w.feed);
		}
		if (more)
			continue;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, timeout,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
	xt_pub_destroy(w.pub);
	proc_exit(0);
}

/* ---- SQL: xtrader._broker_state(), the raw half of xt_broker_status() ------------------------ */

PG_FUNCTION_INFO_V1(xt_broker_state);
Datum
xt_broker_state(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	xt_require_shmem();
	InitMaterializedSRF(fcinfo, 0);
	for (int b = 0; b < XT_BROKER_COUNT; b++)
	{
		XtBrokerShared snap;
		Datum		values[10];
		bool		nulls[10];

		if (!xt_broker_enabled((XtBroker) b))
			continue;
		SpinLockAcquire(&xt_shared->brokers[b].mutex);
		snap = xt_shared->brokers[b];
		SpinLockRelease(&xt_shared->brokers[b].mutex);
		memset(nulls, 0, sizeof(nulls));
		values[0] = CStringGetTextDatum(broker_names[b]);
		values[1] = CStringGetTextDatum(!snap.running ? "stopped"
										: xt_pub_state_name((xt_pub_state) snap.state));
		values[2] = Int64GetDatum((int64) snap.cursor);
		nulls[2] = !snap.running;
		values[3] = Int64GetDatum((int64) snap.market_cursor);
		nulls[3] = !snap.running || snap.market_cursor == 0;
		values[4] = Int64GetDatum((int64) snap.sent);
		values[5] = Int64GetDatum((int64) snap.confirmed);
		values[6] = Int64GetDatum((int64) snap.errors);
		values[7] = Int64GetDatum((int64) snap.reconnects);
		values[8] = CStringGetTextDatum(snap.last_error);
		nulls[8] = snap.last_error[0] == '\0';
		values[9] = TimestampTzGetDatum(snap.last_success);
		nulls[9] = snap.last_success == 0;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
