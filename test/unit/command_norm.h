/*
 * command_norm.h: the command as the codec must decode it: only the fields engine.h lists for
 * its type, every other one zero. Written from engine.h, independently of codec.c, so it is an
 * oracle for the codec's unit test and its fuzz target alike. Header-only (static inline) so the
 * fuzz build, which links no test support files, can use it.
 */
#ifndef XT_COMMAND_NORM_H
#define XT_COMMAND_NORM_H

#include <string.h>

#include "engine/engine.h"

static inline xt_command
xt_test_normalise_command(const xt_command *c)
{
	xt_command	n;

	memset(&n, 0, sizeof(n));
	n.seq = c->seq;
	n.type = c->type;
	switch (c->type)
	{
		case XT_CMD_NEW_ORDER:
			n.side = c->side;
			n.order_type = c->order_type;
			n.tif = c->tif;
			n.stp = c->stp;
			n.post_only = c->post_only;
			n.clordid_len = c->clordid_len;
			n.symbol = c->symbol;
			n.account = c->account;
			n.price = c->price;
			n.quantity = c->quantity;
			if (c->clordid_len <= XT_CLORDID_MAX)
				memcpy(n.clordid, c->clordid, c->clordid_len);
			break;
		case XT_CMD_CANCEL:
			n.account = c->account;
			n.order_id = c->order_id;
			break;
		case XT_CMD_AMEND:
			n.account = c->account;
			n.order_id = c->order_id;
			n.price = c->price;
			n.quantity = c->quantity;
			break;
		case XT_CMD_ADD_SYMBOL:
			n.symbol = c->symbol;
			n.quantity = c->quantity;
			n.max_quantity = c->max_quantity;
			break;
	}
	return n;
}

#endif							/* XT_COMMAND_NORM_H */
