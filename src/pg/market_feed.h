/*
 * market_feed.h: the market data the Kafka and RabbitMQ workers publish beside executions.
 *
 * Owns: a private replica of the books, rebuilt from the durable tables (src/pg/replay.h) and
 * moved forward one journal command at a time; the messages it derives; the pending messages a
 * broker has not confirmed yet. Per journal command s that touched a book:
 *   - id 2s, type "orderbook_snapshot", routing key orderbook.SYM: the book's best
 *     xtrader.broker_book_depth levels per side after the command, when it changed a level;
 *   - id 2s + 1, type "ticker", routing key ticker.SYM: last price, best bid and ask, 24 h volume,
 *     when the command traded or moved the best bid or ask.
 * Bodies are the WebSocket messages of port 7001 (src/net/ws_message.h) with seq = s and ts = the
 * time the engine applied s. Everything is a function of the journal up to s (the 24 h volume
 * too: its clock is the commands' time, not the wall clock), so a worker that restarts from its
 * cursor derives the same messages with the same ids and bodies: consumers dedup on (type, id).
 *
 * Used by one broker worker (one process); not thread-safe. Memory is the worker's (cxt given
 * at creation), the replica is as big as the shared engine (xt_engine_size of the same GUCs).
 */
#ifndef XT_PG_MARKET_FEED_H
#define XT_PG_MARKET_FEED_H

#include "postgres.h"

#include "brokers/publisher.h"

typedef struct XtMarketFeed XtMarketFeed;

/* A feed that encodes at most max_messages per fill; nothing is read until the first fill. */
XtMarketFeed *xt_market_feed_create(MemoryContext cxt, const char *who, int max_messages,
									int depth);

/*
 * Inside a transaction with SPI. Returns the messages after cursor (the last id the broker
 * confirmed) that are waiting, oldest first: those still pending from the last fill, or else
 * new ones from the journal commands after the replica's position (rebuilding the replica at the
 * cursor first when it has none). *more says that the journal has commands beyond what was read.
 * On ERROR the caller must call xt_market_feed_forget (the replica may be half-moved).
 */
int			xt_market_feed_fill(XtMarketFeed *f, uint64 cursor, const xt_pub_msg **msgs,
								bool *more);

/*
 * The cursor to store once every message of the last fill is confirmed: 2 * s + 1 for the last
 * command s read, which also covers the commands that made no message (rejections, new
 * symbols), so a lag of zero means zero.
 */
uint64		xt_market_feed_through(const XtMarketFeed *f);

/* The broker confirmed the first n messages of the last fill. */
void		xt_market_feed_confirmed(XtMarketFeed *f, int n);

/* Drop the replica and the pending messages: the next fill rebuilds from the cursor. */
void		xt_market_feed_forget(XtMarketFeed *f);

#endif							/* XT_PG_MARKET_FEED_H */
