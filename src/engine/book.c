/*
 * book.c: layout and reset of the engine block (see book.h for the drawing).
 *
 * Owns: the arithmetic that places every region in the caller's block, and returning a block to
 * the empty state. The hot-path operations on the regions are static inline in book.h.
 */
#include "engine/book.h"

#include "engine/dedup.h"

#define XT_ALIGN(x) (((x) + UINT64_C(63)) & ~UINT64_C(63))

/* Smallest power of two >= 2 * n, and at least 16 (load factor <= 1/2). */
static uint64_t
xt_table_cap(uint64_t n)
{
	uint64_t	cap = 16;

	while (cap < 2 * n)
		cap <<= 1;
	return cap;
}

static uint32_t
xt_log2(uint64_t pow2)
{
	uint32_t	bits = 0;

	while ((UINT64_C(1) << bits) < pow2)
		bits++;
	return bits;
}

size_t
xt_book_layout(const xt_engine_config *cfg, xt_engine *layout)
{
	uint64_t	sides;
	uint64_t	id_cap;
	uint64_t	dedup_cap;
	uint64_t	off;

	if (cfg == NULL ||
		cfg->max_symbols < XT_MIN_SYMBOLS || cfg->max_symbols > XT_MAX_SYMBOLS ||
		cfg->max_orders < XT_MIN_ORDERS || cfg->max_orders > XT_MAX_ORDERS ||
		cfg->max_levels < XT_MIN_LEVELS || cfg->max_levels > XT_MAX_LEVELS ||
		cfg->max_clordids > XT_MAX_CLORDIDS)
		return 0;

	sides = (uint64_t) cfg->max_symbols * 2;
	id_cap = xt_table_cap(cfg->max_orders);
	dedup_cap = cfg->max_clordids ? xt_table_cap(cfg->max_clordids) : 0;

	memset(layout, 0, sizeof(*layout));
	layout->cfg = *cfg;
	layout->level_cap = (uint32_t) (sides * cfg->max_levels < cfg->max_orders
									? sides * cfg->max_levels : cfg->max_orders);
	layout->id_mask = (uint32_t) (id_cap - 1);
	layout->id_shift = 35 - xt_log2(id_cap);
	layout->dedup_mask = dedup_cap ? (uint32_t) (dedup_cap - 1) : 0;

	off = XT_ALIGN(sizeof(xt_engine));
	layout->off_symbols = off;
	off = XT_ALIGN(off + cfg->max_symbols * (uint64_t) sizeof(xt_symbol));
	layout->off_orders = off;
	off = XT_ALIGN(off + cfg->max_orders * (uint64_t) sizeof(xt_order));
	layout->off_levels = off;
	off = XT_ALIGN(off + layout->level_cap * (uint64_t) sizeof(xt_level));
	layout->off_ids = off;
	off = XT_ALIGN(off + id_cap * sizeof(xt_id_slot));
	layout->off_keys = off;
	off = XT_ALIGN(off + sides * cfg->max_levels * sizeof(int64_t));
	layout->off_lvix = off;
	off = XT_ALIGN(off + sides * cfg->max_levels * sizeof(uint32_t));
	layout->off_ring = off;
	off = XT_ALIGN(off + cfg->max_clordids * (uint64_t) sizeof(xt_clordid));
	layout->off_dedup = off;
	off = XT_ALIGN(off + dedup_cap * sizeof(xt_dedup_slot));
	if (off > SIZE_MAX)
		return 0;
	return (size_t) off;
}

void
xt_book_reset(xt_engine *e)
{
	e->last_seq = 0;
	e->last_trade_id = 0;
	e->nsymbols = 0;
	e->order_free = XT_NIL;
	e->order_hwm = 0;
	e->resting = 0;
	e->level_free = XT_NIL;
	e->level_hwm = 0;
	e->nlevels = 0;
	e->ring_head = 0;
	e->ring_count = 0;
	memset(xt_symbols(e), 0, e->cfg.max_symbols * sizeof(xt_symbol));
	memset(xt_ids(e), 0, ((size_t) e->id_mask + 1) * sizeof(xt_id_slot));
	if (e->cfg.max_clordids > 0)
		memset(xt_dedup_slots(e), 0, ((size_t) e->dedup_mask + 1) * sizeof(xt_dedup_slot));
}
