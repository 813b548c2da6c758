/*
 * exec_msg.h: the fields of an Execution message that the Redis consumer group stores in
 * xtrader.execution_history, taken out of the message in C by the member (the in-server workers of
 * src/pg/consumer_worker.c and xtrader-consumer), so that PostgreSQL gets typed arrays and only
 * checks each body as JSON instead of building a jsonb of it and walking paths in it.
 *
 * The message is the WebSocket Execution message the broker workers publish:
 *   {"type":"Execution","execution_report":{"order_id":5,"execution_id":2,"symbol":"BTC-KRW",
 *    "side":"Buy","price":"50000000","quantity":"0.001","role":"maker",...},"order_status":"Filled"}
 * Other members are ignored. A message that does not parse (src/net/json.h: strict RFC 8259,
 * UTF-8 checked, no duplicate keys, at most XT_JSON_INPUT_MAX bytes) or lacks a field is refused
 * with a reason; the member puts it in xtrader.execution_dead_letters.
 *
 * Pure C11, no allocation (the parser holds its arena), no global state; one parser per thread.
 */
#ifndef XT_BROKERS_EXEC_MSG_H
#define XT_BROKERS_EXEC_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/json.h"

#ifdef __cplusplus
extern "C" {
#endif

#define XT_EXEC_MSG_MAX_NODES	4096	/* values in one message (an Execution has about 15) */
#define XT_EXEC_MSG_ERRLEN		160

/* The stored fields. The strings are NUL-terminated (and hold no NUL), valid until the next parse
 * with the same parser. */
typedef struct xt_exec_fields
{
	int64_t		execution_id;	/* execution_report.execution_id: an integer (number or string) */
	int64_t		order_id;		/* execution_report.order_id: likewise */
	const char *role;			/* execution_report.role: "taker" or "maker" */
	const char *symbol;			/* execution_report.symbol: a string */
	const char *side;			/* execution_report.side: a string */
	const char *price;			/* execution_report.price: a decimal, string or number, as written */
	const char *quantity;		/* execution_report.quantity: likewise */
	const char *order_status;	/* order_status: a string */
} xt_exec_fields;

typedef struct xt_exec_parser
{
	xt_json_doc doc;
	xt_json_node nodes[XT_EXEC_MSG_MAX_NODES];
	char		strbuf[XT_JSON_STRBUF_FOR(XT_JSON_INPUT_MAX, XT_EXEC_MSG_MAX_NODES)];
} xt_exec_parser;

/*
 * Parse body[0 .. len). True with *out filled; false with the reason in err ("not valid JSON:
 * invalid UTF-8 at byte 17", "execution_report.price is missing", ...). p may be reused; it is
 * about 170 kB, so callers allocate it once.
 */
bool		xt_exec_msg_parse(xt_exec_parser *p, const char *body, size_t len, xt_exec_fields *out,
							  char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif							/* XT_BROKERS_EXEC_MSG_H */
