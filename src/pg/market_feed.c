/*
 * market_feed.c: order book and ticker messages from the durable journal (see market_feed.h).
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "utils/memutils.h"

#include "common/decimal.h"
#include "common/volume24h.h"
#include "net/ws_message.h"
#include "pg/market_feed.h"
#include "pg/replay.h"
#include "pg/shmem.h"
#include "pg/xtrader.h"

#define MARKET_LEVEL_BYTES 64	/* ["price","quantity"], with two int64 decimals at most */
#define MARKET_TICKER_BYTES 512

/* What the feed knows about one symbol besides its book (which is in the replica). */
typedef struct MarketSymbol
{
	bool		named;			/* its xtrader.symbols row was read */
	char		name[XT_SYMBOL_NAME_MAX + 1];
	xt_step		tick;
	xt_step		lot;
	int64		last_price;		/* ticks; 0 = no trade yet */
	int64		best_bid;		/* as of the last command; 0 = empty side */
	int64		best_ask;
	xt_volume24h volume;
} MarketSymbol;

struct XtMarketFeed
{
	MemoryContext cxt;
	char		who[32];
	int			depth;
	int			cap;			/* messages per fill */

	/* the replica */
	xt_engine  *eng;			/* NULL: to rebuild at the next fill */
	void	   *eng_mem;
	Size		eng_size;
	uint32		max_symbols;
	MarketSymbol **symbols;		/* by id, allocated when first seen */

	/* the command being applied */
	uint64		cursor;
	int64		cmd_ms;
	uint32		cmd_symbol;		/* UINT32_MAX: none touched yet */
	bool		cmd_levels;
	bool		cmd_traded;

	/* messages: [head, n) are pending; bodies in the arena */
	xt_pub_msg *msgs;
	char		(*routes)[XT_SYMBOL_NAME_MAX + 16];
	int			head;
	int			n;
	char	   *arena;
	Size		arena_cap;
	Size		arena_used;
	xt_level_info *bids;		/* the book being encoded: depth levels per side */
	xt_level_info *asks;
};

XtMarketFeed *
xt_market_feed_create(MemoryContext cxt, const char *who, int max_messages, int depth)
{
	XtMarketFeed *f = MemoryContextAllocZero(cxt, sizeof(XtMarketFeed));

	f->cxt = cxt;
	strlcpy(f->who, who, sizeof(f->who));
	f->depth = Max(depth, 1);
	f->cap = Max(max_messages, 2);
	f->msgs = MemoryContextAllocZero(cxt, sizeof(xt_pub_msg) * f->cap);
	f->routes = MemoryContextAlloc(cxt, sizeof(*f->routes) * f->cap);
	/* room for the cap messages of cap / 2 commands, each a full book and a ticker */
	f->arena_cap = (Size) (f->cap / 2 + 1) *
		((Size) 2 * f->depth * MARKET_LEVEL_BYTES + MARKET_TICKER_BYTES * 2);
	f->arena = MemoryContextAllocHuge(cxt, f->arena_cap);
	f->bids = MemoryContextAlloc(cxt, sizeof(xt_level_info) * f->depth);
	f->asks = MemoryContextAlloc(cxt, sizeof(xt_level_info) * f->depth);
	f->cmd_symbol = UINT32_MAX;
	return f;
}

void
xt_market_feed_forget(XtMarketFeed *f)
{
	f->eng = NULL;
	f->head = f->n = 0;
	f->arena_used = 0;
	for (uint32 id = 0; f->symbols && id < f->max_symbols; id++)
		if (f->symbols[id])
		{
			pfree(f->symbols[id]);
			f->symbols[id] = NULL;
		}
}

void
xt_market_feed_confirmed(XtMarketFeed *f, int n)
{
	f->head = Min(f->head + Max(n, 0), f->n);
	if (f->head == f->n)
		f->head = f->n = 0, f->arena_used = 0;
}

/* ---- symbols ------------------------------------------------------------------------------ */

static MarketSymbol *
market_symbol(XtMarketFeed *f, uint32 id)
{
	if (id >= f->max_symbols)
		elog(ERROR, "%s: symbol id %u is beyond xtrader.max_symbols", f->who, id);
	if (f->symbols[id] == NULL)
		f->symbols[id] = MemoryContextAllocZero(f->cxt, sizeof(MarketSymbol));
	return f->symbols[id];
}

/* Names and grids of every symbol (a new one appears with its ADD_SYMBOL command). */
static void
market_load_names(XtMarketFeed *f)
{
	if (SPI_execute("SELECT symbol_id, symbol, tick_size::text, lot_size::text "
					"FROM xtrader.symbols", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "%s: cannot read xtrader.symbols", f->who);
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	t = SPI_tuptable->vals[r];
		TupleDesc	d = SPI_tuptable->tupdesc;
		bool		isnull;
		uint32		id = (uint32) DatumGetInt32(SPI_getbinval(t, d, 1, &isnull));
		char	   *name = SPI_getvalue(t, d, 2);
		char	   *tick = SPI_getvalue(t, d, 3);
		char	   *lot = SPI_getvalue(t, d, 4);
		MarketSymbol *s;

		if (id >= f->max_symbols)
			continue;			/* not in this engine: the journal cannot name it */
		s = market_symbol(f, id);
		if (xt_step_parse(tick, strlen(tick), &s->tick) != XT_DEC_OK ||
			xt_step_parse(lot, strlen(lot), &s->lot) != XT_DEC_OK)
			elog(ERROR, "%s: symbol %s has a tick or lot size the codec cannot use", f->who, name);
		strlcpy(s->name, name, sizeof(s->name));
		s->named = true;
	}
}

static MarketSymbol *
market_named_symbol(XtMarketFeed *f, uint32 id)
{
	MarketSymbol *s = market_symbol(f, id);

	if (!s->named)
		market_load_names(f);
	if (!s->named)
		elog(ERROR, "%s: symbol %u of the journal is not in xtrader.symbols", f->who, id);
	return s;
}

static void
market_best(const XtMarketFeed *f, uint32 id, int64 *bid, int64 *ask)
{
	if (!xt_engine_best(f->eng, id, XT_SIDE_BUY, bid))
		*bid = 0;
	if (!xt_engine_best(f->eng, id, XT_SIDE_SELL, ask))
		*ask = 0;
}

/*
 * The ticker state as of seq upto: last price and the 24 h volume from xtrader.executions (a
 * snapshot does not hold them), best bid and ask from the replica.
 */
static void
market_load_tickers(XtMarketFeed *f, uint64 upto)
{
	Oid			types[2] = {INT8OID, INT4OID};
	Datum		args[2] = {Int64GetDatum((int64) upto), 0};
	int64		upto_ms = 0;

	if (upto > 0)
	{
		if (SPI_execute_with_args("SELECT floor(extract(epoch FROM applied_at) * 1000)::int8 "
								  "FROM xtrader.journal WHERE seq = $1", 1, types, args, NULL,
								  true, 1) != SPI_OK_SELECT)
			elog(ERROR, "%s: cannot read xtrader.journal", f->who);
		if (SPI_processed == 1)
		{
			bool		isnull;

			upto_ms = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
												  SPI_tuptable->tupdesc, 1, &isnull));
		}
		/* the minutes xt_volume_total can still count at upto or later */
		args[1] = Int64GetDatum(xt_volume_minute_of(upto_ms) - XT_VOLUME_MINUTES);
		types[1] = INT8OID;
		if (SPI_execute_with_args("SELECT symbol_id, floor(extract(epoch FROM executed_at) * 1000)::int8 / 60000 * 60000, "
								  "sum(quantity)::int8 FROM xtrader.executions "
								  "WHERE seq <= $1 AND executed_at >= to_timestamp($2 * 60) "
								  "GROUP BY 1, 2", 2, types, args, NULL, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "%s: cannot read xtrader.executions", f->who);
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			HeapTuple	t = SPI_tuptable->vals[r];
			TupleDesc	d = SPI_tuptable->tupdesc;
			bool		isnull;
			uint32		id = (uint32) DatumGetInt32(SPI_getbinval(t, d, 1, &isnull));

			if (id < f->max_symbols)
				xt_volume_add(&market_symbol(f, id)->volume,
							  DatumGetInt64(SPI_getbinval(t, d, 2, &isnull)),
							  DatumGetInt64(SPI_getbinval(t, d, 3, &isnull)));
		}
	}
	for (uint32 id = 0; id < f->max_symbols; id++)
	{
		MarketSymbol *s;

		if (!xt_engine_has_symbol(f->eng, id))
			continue;
		s = market_symbol(f, id);
		market_best(f, id, &s->best_bid, &s->best_ask);
		if (upto == 0)
			continue;
		types[1] = INT4OID;
		args[1] = Int32GetDatum((int32) id);
		if (SPI_execute_with_args("SELECT price FROM xtrader.executions "
								  "WHERE symbol_id = $2 AND seq <= $1 "
								  "ORDER BY execution_id DESC LIMIT 1", 2, types, args, NULL,
								  true, 1) != SPI_OK_SELECT)
			elog(ERROR, "%s: cannot read xtrader.executions", f->who);
		if (SPI_processed == 1)
		{
			bool		isnull;

			s->last_price = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
														SPI_tuptable->tupdesc, 1, &isnull));
		}
	}
}

/* ---- the replica -------------------------------------------------------------------------- */

static void
market_init_engine(XtMarketFeed *f)
{
	xt_engine_config cfg;

	xt_engine_config_from_gucs(&cfg);
	if (f->eng_mem == NULL)
	{
		f->eng_size = xt_engine_size(&cfg);
		if (f->eng_size == 0)
			elog(ERROR, "%s: the xtrader limits do not make an engine", f->who);
		f->eng_mem = MemoryContextAllocHuge(f->cxt, f->eng_size);
		f->max_symbols = cfg.max_symbols;
		f->symbols = MemoryContextAllocZero(f->cxt, sizeof(MarketSymbol *) * f->max_symbols);
	}
	if (xt_engine_init(f->eng_mem, f->eng_size, &cfg, &f->eng) != XT_OK)
		elog(ERROR, "%s: could not initialise the book replica", f->who);
}

/*
 * The books after every command whose messages were all confirmed: cursor 2s (the book of s
 * went, its ticker perhaps not) needs the books before s, cursor 2s + 1 the books after s.
 */
static void
market_rebuild(XtMarketFeed *f, uint64 cursor)
{
	uint64		upto = (cursor + 1) / 2 - 1;
	uint64		snapshot_seq;
	uint64		replayed;

	xt_market_feed_forget(f);
	market_init_engine(f);
	snapshot_seq = xt_snapshot_restore(f->eng, upto, f->who);
	if (snapshot_seq == 0)
		market_init_engine(f);
	/* up to the cursor: those commands' messages were confirmed already */
	replayed = xt_journal_scan(snapshot_seq, upto, 0, xt_journal_replay_one, f->eng);
	upto = xt_engine_last_seq(f->eng);	/* less when the journal ends before the cursor */
	market_load_tickers(f, upto);
	ereport(LOG,
			(errmsg("%s: market data from command %llu (book replica from snapshot %llu and %llu commands)",
					f->who, (unsigned long long) upto + 1, (unsigned long long) snapshot_seq,
					(unsigned long long) replayed)));
}

/* ---- messages ----------------------------------------------------------------------------- */

static void
market_on_event(void *ctx, const xt_event *ev)
{
	XtMarketFeed *f = ctx;

	if (ev->type != XT_EV_LEVEL && ev->type != XT_EV_TRADE)
		return;
	/* a command acts on one book: its messages are numbered by the command alone */
	if (f->cmd_symbol != UINT32_MAX && f->cmd_symbol != ev->symbol)
		elog(ERROR, "%s: command %llu touched two books", f->who, (unsigned long long) ev->seq);
	f->cmd_symbol = ev->symbol;
	if (ev->type == XT_EV_LEVEL)
		f->cmd_levels = true;
	else
	{
		MarketSymbol *s = market_symbol(f, ev->symbol);

		f->cmd_traded = true;
		s->last_price = ev->price;
		xt_volume_add(&s->volume, f->cmd_ms, ev->quantity);
	}
}

/* Append one message (body already in the arena at arena_used, len bytes) if it is new. */
static void
market_push(XtMarketFeed *f, uint64 id, const char *type, const char *route_prefix,
			const MarketSymbol *s, size_t len)
{
	xt_pub_msg *m;

	if (len == 0)
		elog(ERROR, "%s: the %s message of %s does not encode", f->who, type, s->name);
	if (id <= f->cursor)
		return;
	Assert(f->n < f->cap);
	m = &f->msgs[f->n];
	snprintf(f->routes[f->n], sizeof(f->routes[f->n]), "%s.%s", route_prefix, s->name);
	m->id = id;
	m->type = type;
	m->key = s->name;
	m->routing_key = f->routes[f->n];
	m->field = NULL;
	m->body = f->arena + f->arena_used;
	m->len = len;
	f->arena_used += len + 1;
	f->n++;
}

static void
market_on_command(void *ctx, const xt_command *cmd, TimestampTz applied_at)
{
	XtMarketFeed *f = ctx;
	MarketSymbol *s;
	int64		bid,
				ask;
	char	   *body;
	Size		room;

	f->cmd_symbol = UINT32_MAX;
	f->cmd_levels = f->cmd_traded = false;
	f->cmd_ms = xt_unix_ms(applied_at);
	xt_journal_apply(f->eng, cmd, market_on_event, f);
	if (f->cmd_symbol == UINT32_MAX)
		return;
	s = market_named_symbol(f, f->cmd_symbol);

	if (f->cmd_levels)
	{
		uint32		nb = xt_engine_depth(f->eng, f->cmd_symbol, XT_SIDE_BUY, f->bids, f->depth);
		uint32		na = xt_engine_depth(f->eng, f->cmd_symbol, XT_SIDE_SELL, f->asks, f->depth);

		body = f->arena + f->arena_used;
		room = f->arena_cap - f->arena_used;
		market_push(f, 2 * cmd->seq, "orderbook_snapshot", "orderbook", s,
					xt_ws_encode_book_snapshot(s->name, s->tick, s->lot, cmd->seq, f->bids, nb,
											   f->asks, na, body, room));
	}
	market_best(f, f->cmd_symbol, &bid, &ask);
	if (f->cmd_traded || bid != s->best_bid || ask != s->best_ask)
	{
		xt_ws_ticker t;

		s->best_bid = bid;
		s->best_ask = ask;
		memset(&t, 0, sizeof(t));
		t.symbol = s->name;
		t.tick = s->tick;
		t.lot = s->lot;
		t.last_price = s->last_price;
		t.best_bid = bid;
		t.best_ask = ask;
		t.volume_24h = xt_volume_total(&s->volume, f->cmd_ms);
		t.seq = cmd->seq;
		t.ts_ms = f->cmd_ms;
		body = f->arena + f->arena_used;
		room = f->arena_cap - f->arena_used;
		market_push(f, 2 * cmd->seq + 1, "ticker", "ticker", s,
					xt_ws_encode_ticker(&t, body, room));
	}
}

int
xt_market_feed_fill(XtMarketFeed *f, uint64 cursor, const xt_pub_msg **msgs, bool *more)
{
	uint64		limit;
	uint64		scanned;

	*more = false;
	if (f->n == 0)
	{
		if (f->eng == NULL)
			market_rebuild(f, cursor);
		f->cursor = cursor;
		limit = (uint64) f->cap / 2;	/* two messages per command at most */
		scanned = xt_journal_scan(xt_engine_last_seq(f->eng), PG_UINT64_MAX, limit,
								  market_on_command, f);
		*more = scanned == limit;
	}
	*msgs = f->msgs + f->head;
	return f->n - f->head;
}

uint64
xt_market_feed_through(const XtMarketFeed *f)
{
	return f->eng ? 2 * xt_engine_last_seq(f->eng) + 1 : 0;
}
