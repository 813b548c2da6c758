/*
 * net_feed.c: the network worker's reader of the outbound ring (see net_worker.h, shmem.h).
 *
 * The worker's cursor net_read follows the persister's out_read: records in [net_read, out_read)
 * are durable. Each drain copies a bounded batch out of shared memory, checks that the ring was
 * not reset under it (a recovery detaches the cursor first), then turns the records into:
 *   - the answers of the worker's own pending commands (xt_reply_fold, as SQL callers get);
 *   - Execution messages for the accounts of both sides of each trade;
 *   - a durable view of every book, kept from LEVEL events, with one numbered diff per command
 *     and symbol, so a subscriber's snapshot and the diffs after it always line up;
 *   - trades and ticker data.
 */
#include "postgres.h"

#include "storage/lwlock.h"

#include "net/json.h"
#include "pg/net_worker.h"
#include "pg/xtrader.h"

#define NET_DRAIN_MAX 8192		/* records per drain: the loop stays responsive */
#define NET_LEVELS_MAX 256		/* LEVEL events of one command and symbol kept for its diff */

/* The command being read: its answer and its LEVEL events, gathered for one numbered diff. */
struct NetCommandState
{
	bool		active;
	xt_command	cmd;
	int64		ts_ms;
	bool		ours;			/* the head of the pending FIFO */
	XtReply		reply;
	uint32		level_symbol;
	uint32		n_levels;
	xt_event	levels[NET_LEVELS_MAX];
};

NetSymbol *
net_symbol(NetWorker *w, uint32 id)
{
	if (id >= w->max_symbols)
		return NULL;
	if (w->symbols[id] == NULL)
		w->symbols[id] = MemoryContextAllocZero(w->cxt, sizeof(NetSymbol));
	return w->symbols[id];
}

/* ---- the book view ----------------------------------------------------------------------- */

/* Set a level's total (0 removes it). Bids are kept highest first, asks lowest first. */
static void
net_levels_set(NetWorker *w, NetLevels *lv, bool bids, int64 price, int64 quantity, uint32 orders)
{
	uint32		lo = 0,
				hi = lv->n;

	while (lo < hi)
	{
		uint32		mid = (lo + hi) / 2;
		bool		before = bids ? lv->v[mid].price > price : lv->v[mid].price < price;

		if (before)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < lv->n && lv->v[lo].price == price)
	{
		if (quantity == 0)
		{
			memmove(&lv->v[lo], &lv->v[lo + 1], (lv->n - lo - 1) * sizeof(xt_level_info));
			lv->n--;
		}
		else
		{
			lv->v[lo].quantity = quantity;
			lv->v[lo].orders = orders;
		}
		return;
	}
	if (quantity == 0)
		return;
	if (lv->n == lv->cap)
	{
		uint32		cap = lv->cap ? lv->cap * 2 : 64;

		lv->v = lv->v ? repalloc(lv->v, cap * sizeof(xt_level_info))
			: MemoryContextAlloc(w->cxt, cap * sizeof(xt_level_info));
		lv->cap = cap;
	}
	memmove(&lv->v[lo + 1], &lv->v[lo], (lv->n - lo) * sizeof(xt_level_info));
	lv->v[lo].price = price;
	lv->v[lo].quantity = quantity;
	lv->v[lo].orders = orders;
	lv->n++;
}

static void
net_levels_load(NetWorker *w, NetLevels *lv, const xt_engine *eng, uint32 id, xt_side side)
{
	uint32		want = 1024;

	for (;;)
	{
		if (lv->cap < want)
		{
			lv->v = lv->v ? repalloc(lv->v, want * sizeof(xt_level_info))
				: MemoryContextAlloc(w->cxt, want * sizeof(xt_level_info));
			lv->cap = want;
		}
		lv->n = xt_engine_depth(eng, id, side, lv->v, lv->cap);
		if (lv->n < lv->cap)
			return;
		want *= 2;
	}
}

/* ---- attach / detach ----------------------------------------------------------------------- */

/*
 * Under book_lock (shared) out_write is exactly the books' state (engine_worker.c publishes it
 * before releasing the lock): start reading there, from a copy of the books taken at the same
 * moment. The engine cannot run meanwhile, so setting the cursor cannot race its space check.
 */
static void
net_feed_attach(NetWorker *w)
{
	XtShared   *sh = xt_shared;
	const xt_engine *eng = xt_shared_engine();
	uint32		generation;

	LWLockAcquire(&sh->book_lock, LW_SHARED);
	if (pg_atomic_read_u32(&sh->state) != XT_STATE_READY)
	{
		LWLockRelease(&sh->book_lock);
		return;
	}
	generation = pg_atomic_read_u32(&sh->generation);
	pg_atomic_write_u64(&sh->net_read, pg_atomic_read_u64(&sh->out_write));
	pg_write_barrier();
	pg_atomic_write_u32(&sh->net_attached, generation + 1);
	for (uint32 id = 0; id < w->max_symbols; id++)
	{
		NetSymbol  *s;

		if (!xt_engine_has_symbol(eng, id))
		{
			if (w->symbols[id])
				w->symbols[id]->in_engine = false;
			continue;
		}
		s = net_symbol(w, id);
		s->in_engine = true;
		net_levels_load(w, &s->bids, eng, id, XT_SIDE_BUY);
		net_levels_load(w, &s->asks, eng, id, XT_SIDE_SELL);
	}
	LWLockRelease(&sh->book_lock);
	w->attach_token = generation + 1;
	w->cmd_state->active = false;
	w->symbols_stale = true;

	/* subscribers of the previous ring get a fresh snapshot: their diffs would not line up */
	for (uint32 id = 0; id < w->max_symbols; id++)
	{
		NetSymbol  *s = w->symbols[id];

		if (s == NULL || s->subs[NET_CH_ORDERBOOK].n == 0)
			continue;
		for (int32 i = (int32) s->subs[NET_CH_ORDERBOOK].n - 1; i >= 0; i--)
		{
			xt_conn    *c = xt_server_find(w->server, s->subs[NET_CH_ORDERBOOK].ids[i]);

			if (c)
				net_feed_send_initial(w, c, s, NET_CH_ORDERBOOK);
		}
	}
	elog(LOG, "xtrader net: reading executions from the engine (generation %u)", generation);
}

void
net_feed_check_attach(NetWorker *w)
{
	XtShared   *sh = xt_shared;
	uint32		attached = pg_atomic_read_u32(&sh->net_attached);

	/*
	 * Detached by a recovery, or attached in a generation that has ended (an attach that raced
	 * the start of a recovery can leave our old token in place: the generation tells).
	 */
	if (w->attach_token != 0 &&
		(attached != w->attach_token ||
		 w->attach_token != pg_atomic_read_u32(&sh->generation) + 1))
	{
		/* a recovery reset the ring: what we were waiting for may never come */
		w->attach_token = 0;
		net_fail_pending(w, "the engine restarted before the command was durable");
	}
	if (w->attach_token == 0 && pg_atomic_read_u32(&sh->state) == XT_STATE_READY)
		net_feed_attach(w);
}

/* ---- pending answers --------------------------------------------------------------------- */

void
net_pending_push(NetWorker *w, uint64 seq, uint64 conn_id, NetPendingKind kind,
				 int64 started_us, uint64 order_id)
{
	NetPending *p;

	if (w->pending_tail - w->pending_head == w->pending_cap)
	{
		uint32		cap = w->pending_cap * 2;
		NetPending *grown = MemoryContextAlloc(w->cxt, cap * sizeof(NetPending));
		uint32		n = 0;

		for (uint64 i = w->pending_head; i < w->pending_tail; i++)
			grown[n++] = w->pending[i & (w->pending_cap - 1)];
		pfree(w->pending);
		w->pending = grown;
		w->pending_cap = cap;
		w->pending_head = 0;
		w->pending_tail = n;
	}
	p = &w->pending[w->pending_tail & (w->pending_cap - 1)];
	p->seq = seq;
	p->conn_id = conn_id;
	p->kind = (uint8) kind;
	p->started_us = started_us;
	p->order_id = order_id;
	w->pending_tail++;
}

/* ---- market data ------------------------------------------------------------------------- */

static size_t
net_encode_ticker(NetSymbol *s, int64 now_ms, char *buf, size_t cap)
{
	xt_ws_ticker t;

	memset(&t, 0, sizeof(t));
	t.symbol = s->name;
	t.tick = s->spec.tick;
	t.lot = s->spec.lot;
	t.last_price = s->last_price;
	t.best_bid = s->bids.n ? s->bids.v[0].price : 0;
	t.best_ask = s->asks.n ? s->asks.v[0].price : 0;
	t.volume_24h = xt_volume_total(&s->volume, now_ms);
	t.seq = s->last_seq;
	t.ts_ms = now_ms;
	return xt_ws_encode_ticker(&t, buf, cap);
}

void
net_feed_flush_tickers(NetWorker *w, int64 now_ms)
{
	for (uint32 id = 0; id < w->max_symbols; id++)
	{
		NetSymbol  *s = w->symbols[id];
		size_t		len;

		if (s == NULL || !s->ticker_dirty || !s->named)
			continue;
		s->ticker_dirty = false;
		if (s->subs[NET_CH_TICKER].n == 0)
			continue;
		len = net_encode_ticker(s, now_ms, w->out, w->out_cap);
		if (len)
			w->m.market_messages += net_send_list(w, &s->subs[NET_CH_TICKER], w->out, len);
	}
}

static size_t
net_encode_snapshot(NetSymbol *s, uint32 depth, bool typed, char *buf, size_t cap)
{
	uint32		nb = Min(s->bids.n, depth);
	uint32		na = Min(s->asks.n, depth);

	if (typed)
		return xt_ws_encode_book_snapshot(s->name, s->spec.tick, s->spec.lot, s->book_seq,
										  s->bids.v, nb, s->asks.v, na, buf, cap);
	{
		xt_json_writer jw;
		const NetLevels *sides[2] = {&s->bids, &s->asks};
		const uint32 counts[2] = {nb, na};
		const char *names[2] = {"bids", "asks"};

		xt_jw_init(&jw, buf, cap);
		xt_jw_object_begin(&jw);
		xt_jw_key(&jw, "symbol");
		xt_jw_cstring(&jw, s->name);
		xt_jw_key(&jw, "seq");
		xt_jw_uint(&jw, s->book_seq);
		for (int k = 0; k < 2; k++)
		{
			xt_jw_key(&jw, names[k]);
			xt_jw_array_begin(&jw);
			for (uint32 i = 0; i < counts[k]; i++)
			{
				xt_jw_array_begin(&jw);
				xt_jw_decimal(&jw, sides[k]->v[i].price, s->spec.tick);
				xt_jw_decimal(&jw, sides[k]->v[i].quantity, s->spec.lot);
				xt_jw_array_end(&jw);
			}
			xt_jw_array_end(&jw);
		}
		xt_jw_object_end(&jw);
		return xt_jw_finish(&jw);
	}
}

size_t
net_feed_encode_book(NetWorker *w, NetSymbol *s, uint32 depth, char *buf, size_t cap)
{
	return net_encode_snapshot(s, depth, false, buf, cap);
}

void
net_feed_send_initial(NetWorker *w, xt_conn *c, NetSymbol *s, NetChannel ch)
{
	size_t		len = 0;

	if (ch == NET_CH_ORDERBOOK)
		len = net_encode_snapshot(s, UINT32_MAX, true, w->out, w->out_cap);
	else if (ch == NET_CH_TICKER)
		len = net_encode_ticker(s, net_now_ms(), w->out, w->out_cap);
	if (len > 0 && xt_conn_ws_send(c, w->out, len))
		w->m.market_messages++;
}

/* ---- one command's records -------------------------------------------------------------- */



/* The LEVEL events gathered for one symbol become one numbered diff. */
static void
net_flush_levels(NetWorker *w, NetCommandState *st)
{
	NetSymbol  *s;
	uint32		n = st->n_levels;
	size_t		len;

	if (n == 0)
		return;
	st->n_levels = 0;
	s = net_symbol(w, st->level_symbol);
	if (s == NULL)
		return;
	s->book_seq++;
	if (s->subs[NET_CH_ORDERBOOK].n == 0 || !s->named)
		return;
	len = xt_ws_encode_book_update(s->name, s->spec.tick, s->spec.lot, s->book_seq,
								   st->levels, n, w->out, w->out_cap);
	if (len)
		w->m.market_messages += net_send_list(w, &s->subs[NET_CH_ORDERBOOK], w->out, len);
}

static void
net_on_level(NetWorker *w, NetCommandState *st, const xt_event *ev)
{
	NetSymbol  *s = net_symbol(w, ev->symbol);

	if (s == NULL)
		return;
	net_levels_set(w, ev->side == XT_SIDE_BUY ? &s->bids : &s->asks, ev->side == XT_SIDE_BUY,
				   ev->price, ev->level_quantity, ev->level_orders);
	s->ticker_dirty = true;
	s->last_seq = ev->seq;
	/* a second symbol, or a sweep through very many levels: number it as its own diff */
	if (st->n_levels > 0 && (st->level_symbol != ev->symbol || st->n_levels == NET_LEVELS_MAX))
		net_flush_levels(w, st);
	st->level_symbol = ev->symbol;
	st->levels[st->n_levels++] = *ev;
}

static void
net_on_trade(NetWorker *w, NetCommandState *st, const xt_event *ev)
{
	NetSymbol  *s = net_symbol(w, ev->symbol);
	bool		broadcast = !xt_guc_rest_auth;
	size_t		len;

	if (s == NULL)
		return;
	xt_volume_add(&s->volume, st->ts_ms, ev->quantity);
	s->last_price = ev->price;
	s->last_seq = ev->seq;
	w->last_trade_id = Max(w->last_trade_id, ev->trade_id);
	s->ticker_dirty = true;
	if (!s->named)
		return;

	/* both sides' reports: the taker's, then the maker's */
	for (int role = XT_WS_TAKER; role <= XT_WS_MAKER; role++)
	{
		NetIdList  *list;

		len = xt_ws_encode_execution(ev, (xt_ws_role) role, s->name, s->spec.tick, s->spec.lot,
									 st->ts_ms, w->out, w->out_cap);
		if (len == 0)
			continue;
		list = broadcast ? &w->ws_all
			: net_account_list(w, role == XT_WS_TAKER ? ev->account : ev->maker_account, false);
		if (list)
			w->m.executions_pushed += net_send_list(w, list, w->out, len);
	}
	if (s->subs[NET_CH_TRADES].n > 0)
	{
		len = xt_ws_encode_trade(ev, s->name, s->spec.tick, s->spec.lot, st->ts_ms,
								 w->out, w->out_cap);
		if (len)
			w->m.market_messages += net_send_list(w, &s->subs[NET_CH_TRADES], w->out, len);
	}
}

static void
net_command_end(NetWorker *w, NetCommandState *st)
{
	if (!st->active)
		return;
	net_flush_levels(w, st);
	if (st->ours)
	{
		NetPending	p = w->pending[w->pending_head & (w->pending_cap - 1)];

		w->pending_head++;
		net_answer_command(w, &p, &st->reply);
	}
	st->active = false;
}

static void
net_command_begin(NetWorker *w, NetCommandState *st, const XtOutRec *rec)
{
	st->active = true;
	st->cmd = rec->u.cmd;
	st->ts_ms = net_ts_ms(rec->at);
	st->n_levels = 0;
	memset(&st->reply, 0, sizeof(st->reply));
	st->reply.seq = st->cmd.seq;

	/* pending entries older than this command can no longer be answered from the ring */
	while (w->pending_head < w->pending_tail &&
		   w->pending[w->pending_head & (w->pending_cap - 1)].seq < st->cmd.seq)
	{
		NetPending	p = w->pending[w->pending_head & (w->pending_cap - 1)];

		w->pending_head++;
		elog(WARNING, "xtrader net: command %llu never appeared in the outbound ring",
			 (unsigned long long) p.seq);
		net_answer_command(w, &p, NULL);
	}
	st->ours = w->pending_head < w->pending_tail &&
		w->pending[w->pending_head & (w->pending_cap - 1)].seq == st->cmd.seq;
}

/*
 * The command being read stays open across drains: a drain cut at NET_DRAIN_MAX may stop in the
 * middle of one (a sweep of many levels). One that reaches out_read ends on a command boundary,
 * since the persister commits whole commands.
 */
static void
net_handle_records(NetWorker *w, const XtOutRec *recs, uint32 n, bool complete)
{
	NetCommandState *st = w->cmd_state;

	for (uint32 i = 0; i < n; i++)
	{
		const XtOutRec *rec = &recs[i];

		if (rec->kind == XT_OUT_COMMAND)
		{
			net_command_end(w, st);
			net_command_begin(w, st, rec);
			continue;
		}
		if (!st->active)
			continue;			/* cannot happen: batches start at a command */
		if (st->ours)
			xt_reply_fold(&st->reply, st->cmd.type, &rec->u.ev);
		switch (rec->u.ev.type)
		{
			case XT_EV_TRADE:
				net_on_trade(w, st, &rec->u.ev);
				break;
			case XT_EV_LEVEL:
				net_on_level(w, st, &rec->u.ev);
				break;
			case XT_EV_SYMBOL_ADDED:
				{
					NetSymbol  *s = net_symbol(w, rec->u.ev.symbol);

					if (s)
					{
						s->in_engine = true;
						s->bids.n = s->asks.n = 0;
						s->named = false;	/* a redefined id may have a new grid */
					}
					w->symbols_stale = true;
				}
				break;
			default:
				break;
		}
	}
	if (complete)
		net_command_end(w, st);
}

void
net_feed_drain(NetWorker *w)
{
	XtShared   *sh = xt_shared;
	uint64		from,
				to;
	uint32		n;

	w->feed_more = false;
	if (w->attach_token == 0 || pg_atomic_read_u32(&sh->net_attached) != w->attach_token)
	{
		net_feed_check_attach(w);
		if (w->attach_token == 0)
			return;
	}
	from = pg_atomic_read_u64(&sh->net_read);
	to = pg_atomic_read_u64(&sh->out_read);
	if (to <= from)
		return;
	pg_read_barrier();			/* the records before the position that says they are there */
	if (to - from > NET_DRAIN_MAX)
	{
		to = from + NET_DRAIN_MAX;
		w->feed_more = true;
	}
	n = (uint32) (to - from);
	for (uint32 i = 0; i < n; i++)
		w->batch[i] = xt_out_recs()[(from + i) % sh->out_recs];

	/* a recovery detaches us before it rewinds the ring: still attached = the copy is good */
	pg_read_barrier();
	if (pg_atomic_read_u32(&sh->net_attached) != w->attach_token)
	{
		net_feed_check_attach(w);
		return;
	}
	pg_atomic_write_u64(&sh->net_read, to);
	ConditionVariableBroadcast(&sh->out_space_cv);
	w->m.records_read += n;
	net_handle_records(w, w->batch, n, !w->feed_more);
}

void
net_feed_init(NetWorker *w)
{
	w->max_symbols = (uint32) xt_guc_max_symbols;
	w->symbols = MemoryContextAllocZero(w->cxt, sizeof(NetSymbol *) * w->max_symbols);
	w->batch_cap = NET_DRAIN_MAX;
	w->batch = MemoryContextAlloc(w->cxt, sizeof(XtOutRec) * w->batch_cap);
	w->cmd_state = MemoryContextAllocZero(w->cxt, sizeof(struct NetCommandState));
	w->pending_cap = 1024;
	w->pending = MemoryContextAlloc(w->cxt, sizeof(NetPending) * w->pending_cap);
}
