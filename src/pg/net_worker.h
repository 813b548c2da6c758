/*
 * net_worker.h: the network worker ("xtrader net"), the background worker that serves the REST
 * (xtrader.rest_port) and WebSocket (xtrader.ws_port) APIs. Its state is private to its process
 * and shared by its two files:
 *
 *   net_worker.c  the loop, the HTTP and WebSocket handlers, API keys and rate limits, reads that
 *                 go through SPI (orders, trades, symbols, keys), /metrics;
 *   net_feed.c    its cursor on the outbound ring: durable records become REST answers (the
 *                 outcome of the worker's own commands), Execution messages, and the market data
 *                 of a durable view of every book (order book diffs, trades, ticker).
 *
 * Orders go in through the sequencer ring without blocking (xt_try_enqueue), never through SQL;
 * their answers come out of the same durable records every other reader sees, so an ACCEPTED or
 * an Execution is never sent for something a crash could still undo.
 */
#ifndef XTRADER_NET_WORKER_H
#define XTRADER_NET_WORKER_H

#include "postgres.h"

#include "utils/hsearch.h"

#include "common/volume24h.h"
#include "engine/engine.h"
#include "net/order_request.h"
#include "net/server.h"
#include "net/ws_message.h"
#include "pg/shmem.h"

typedef struct NetCommandState NetCommandState;

/* A growable list of connection ids (subscribers). */
typedef struct NetIdList
{
	uint64	   *ids;
	uint32		n;
	uint32		cap;
} NetIdList;

/* One side of a durable book view: levels best first. */
typedef struct NetLevels
{
	xt_level_info *v;
	uint32		n;
	uint32		cap;
} NetLevels;

typedef enum NetChannel
{
	NET_CH_ORDERBOOK = 0,
	NET_CH_TRADES = 1,
	NET_CH_TICKER = 2,
	NET_CH_COUNT = 3
} NetChannel;

/* A symbol as the worker sees it: its name and grid (from xtrader.symbols) and its book view. */
typedef struct NetSymbol
{
	bool		in_engine;		/* the engine has this id (a book exists) */
	bool		named;			/* name, tick, lot known (its xtrader.symbols row was read) */
	xt_symbol_spec spec;
	char		name[XT_SYMBOL_NAME_MAX + 1];
	NetLevels	bids;
	NetLevels	asks;
	uint64		book_seq;		/* orderbook messages sent so far (snapshot/diff numbering) */
	uint64		last_seq;		/* last command seq that changed this symbol */
	int64		last_price;		/* ticks; 0 = no trade yet */
	xt_volume24h volume;
	bool		ticker_dirty;
	NetIdList	subs[NET_CH_COUNT];
} NetSymbol;

/* What the worker keeps about one client connection (xt_conn_user). */
typedef struct NetConn
{
	uint64		id;
	bool		ws;
	bool		authenticated;	/* WS: auth op succeeded */
	uint64		account;		/* WS: the authenticated account */
	uint32		ws_all_index;	/* WS: position in NetWorker.ws_all */
	uint16		n_subs;
	struct
	{
		uint32		symbol;
		uint8		channel;	/* NetChannel */
	}			subs[64];
} NetConn;

/* A REST request waiting for its command to be durable. */
typedef enum NetPendingKind
{
	NET_PENDING_NEW = 1,
	NET_PENDING_CANCEL = 2
} NetPendingKind;

typedef struct NetPending
{
	uint64		seq;
	uint64		conn_id;
	uint64		order_id;		/* CANCEL: the order */
	int64		started_us;		/* when the request was complete (latency metric) */
	uint8		kind;
} NetPending;

#define NET_LATENCY_SAMPLES 8192
#define NET_SPI_ERROR_LEN 256

typedef struct NetMetrics
{
	uint64		orders_received;
	uint64		orders_accepted;
	uint64		orders_rejected;	/* by the engine (409) */
	uint64		orders_invalid; /* 400 */
	uint64		cancels;
	uint64		auth_failures;
	uint64		rate_limited;
	uint64		overloaded;		/* 503: ring full or engine not ready */
	uint64		executions_pushed;	/* Execution messages queued to WS clients */
	uint64		market_messages;	/* orderbook / trade / ticker messages queued */
	uint64		records_read;
	uint64		http_by_status[6];	/* 1xx..5xx by first digit; [0] unused */
	uint32		latency_next;
	uint32		latency_n;
	int32		latency_us[NET_LATENCY_SAMPLES];	/* ring of the last answers' latencies */
} NetMetrics;

typedef struct NetWorker
{
	xt_server  *server;
	MemoryContext cxt;

	/* feed */
	uint32		attach_token;	/* net_attached value we set (generation + 1), 0 = detached */
	uint32		max_symbols;
	NetSymbol **symbols;		/* by engine id; NULL until seen */
	bool		feed_more;		/* records left after a bounded drain: run again at once */
	XtOutRec   *batch;			/* local copy of a drained batch */
	struct NetCommandState *cmd_state;	/* the command being read (net_feed.c) */
	uint32		batch_cap;

	/* pending REST answers, FIFO by seq (the worker enqueues in seq order) */
	NetPending *pending;
	uint32		pending_cap;	/* power of two */
	uint64		pending_head;
	uint64		pending_tail;

	/* WebSocket audiences */
	NetIdList	ws_all;			/* every open WS connection */
	HTAB	   *by_account;		/* account -> NetIdList of authenticated WS connections */

	/* API keys (HTAB by key text) and when they were loaded */
	HTAB	   *keys;
	uint32		keys_version;
	int64		keys_loaded_ms;
	int64		keys_miss_reload_ms;
	uint32		symbols_version;
	bool		symbols_stale;
	int64		symbols_miss_reload_ms;

	/* the last failure of each kind of read: a failure repeated every reload is logged once */
	char		last_spi_error[NET_SPI_ERROR_LEN];	/* requests' reads */
	char		keys_spi_error[NET_SPI_ERROR_LEN];
	char		symbols_spi_error[NET_SPI_ERROR_LEN];
	uint64		last_trade_id;	/* newest durable execution seen (broker lag in /metrics) */

	/* scratch output */
	char	   *out;
	size_t		out_cap;

	NetMetrics	m;
} NetWorker;

/* ---- net_feed.c -------------------------------------------------------------------------- */

/* Allocate the feed's buffers in w->cxt. */
void		net_feed_init(NetWorker *w);

/* Attach the cursor if the engine is READY and we are not attached; detach and fail the pending
 * answers if a recovery reset the ring. Called from the tick. */
void		net_feed_check_attach(NetWorker *w);

/* Read and handle the durable records there are (a bounded number; sets feed_more if more). */
void		net_feed_drain(NetWorker *w);

/* The symbol with this engine id (created if needed), or NULL if id >= max_symbols. */
NetSymbol  *net_symbol(NetWorker *w, uint32 id);

/* Send the ticker of every symbol that changed since the last call (the tick, every 100 ms). */
void		net_feed_flush_tickers(NetWorker *w, int64 now_ms);

/* A channel subscription just made: send its first message (book snapshot, ticker). */
void		net_feed_send_initial(NetWorker *w, xt_conn *c, NetSymbol *s, NetChannel ch);

/* The REST order book body (same levels and seq as the WS snapshot). Returns its length. */
size_t		net_feed_encode_book(NetWorker *w, NetSymbol *s, uint32 depth, char *buf, size_t cap);

/* Queue one pending REST answer (after a successful xt_try_enqueue). */
void		net_pending_push(NetWorker *w, uint64 seq, uint64 conn_id, NetPendingKind kind,
							 int64 started_us, uint64 order_id);

/* ---- net_worker.c (used by net_feed.c) ----------------------------------------------------- */

/* Answer a pending request once its command is durable. */
void		net_answer_command(NetWorker *w, const NetPending *p, const XtReply *reply);

/* Answer every pending request with 503: the engine restarted before they were durable. */
void		net_fail_pending(NetWorker *w, const char *why);

/* Send a text message to each connection of a list (dropping slow consumers). */
uint32		net_send_list(NetWorker *w, NetIdList *list, const char *text, size_t len);

/* The list of authenticated WS connections of an account, or NULL. */
NetIdList  *net_account_list(NetWorker *w, uint64 account, bool create);

/* Milliseconds / microseconds since the Unix epoch. */
int64		net_now_ms(void);
int64		net_now_us(void);

/* An engine timestamp (TimestampTz) as milliseconds since the Unix epoch. */
int64		net_ts_ms(TimestampTz at);

#endif							/* XTRADER_NET_WORKER_H */
