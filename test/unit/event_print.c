/*
 * event_print.c: see event_print.h. Every field is printed when non-zero, padding included, since
 * suites compare events with memcmp and a stray padding byte must show.
 */
#include "event_print.h"

#include <inttypes.h>
#include <stdio.h>

void
xt_test_print_event(const char *indent, const xt_event *e)
{
	fprintf(stderr, "%sseq=%" PRIu64 " %s", indent, e->seq,
			xt_event_type_name((xt_event_type) e->type));
#define PF_U(f) if (e->f) fprintf(stderr, " " #f "=%" PRIu64, (uint64_t) e->f)
#define PF_I(f) if (e->f) fprintf(stderr, " " #f "=%" PRId64, (int64_t) e->f)
	PF_U(side);
	PF_U(order_type);
	PF_U(tif);
	PF_U(status);
	PF_U(maker_status);
	PF_U(reason);
	PF_U(command);
	PF_U(post_only);
	PF_U(priority_lost);
	PF_U(pad);
	PF_U(symbol);
	PF_U(level_orders);
	PF_U(pad2);
	PF_U(order_id);
	PF_U(maker_order_id);
	PF_U(trade_id);
	PF_U(account);
	PF_U(maker_account);
	PF_I(price);
	PF_I(quantity);
	PF_I(remaining);
	PF_I(maker_remaining);
	PF_I(level_quantity);
#undef PF_U
#undef PF_I
	fputc('\n', stderr);
}
