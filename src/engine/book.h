/*
 * book.h: the engine's memory block and the order-book structures inside it.
 *
 * Owns: the layout of the caller's block (header, symbol table, order pool, level pool, per-side
 * sorted price arrays, order-id index; the dedup window's regions are placed here but belong to
 * dedup.h) and the primitive operations on them: pool allocation, the order-id hash index, the
 * sorted price arrays and the per-level FIFO lists. No rules of matching live here (engine.c).
 *
 * Only engine code includes this header (and the unit test, to corrupt a state on purpose).
 * Every link is a uint32 index or a uint64 byte offset from the start of the block, so the block
 * is relocatable: it may be copied or mapped at another address in another process.
 *
 * Block layout (each region starts on a 64-byte boundary relative to the block; the caller's block
 * is 8-byte aligned at least, 64-byte aligned for best cache behaviour):
 *
 *   +---------------------------+  0
 *   | xt_engine (header)        |  config, counters, region offsets, free lists
 *   +---------------------------+  off_symbols
 *   | xt_symbol[max_symbols]    |  32 B: min/max qty, level count per side, registered
 *   +---------------------------+  off_orders
 *   | xt_order[max_orders]      |  64 B = one cache line per resting order
 *   +---------------------------+  off_levels
 *   | xt_level[level_cap]       |  32 B: price, total, head/tail/count of the FIFO
 *   +---------------------------+  off_ids
 *   | xt_id_slot[id_cap]        |  8 B: order id -> order slot (open addressing)
 *   +---------------------------+  off_keys
 *   | int64 key[S * 2 * L]      |  per (symbol, side): L sort keys, ascending, best LAST
 *   +---------------------------+  off_lvix
 *   | uint32 level[S * 2 * L]   |  parallel to key[]: the xt_level slot of each price
 *   +---------------------------+  off_ring
 *   | xt_clordid[max_clordids]  |  dedup FIFO ring (dedup.h)
 *   +---------------------------+  off_dedup
 *   | xt_dedup_slot[dedup_cap]  |  dedup hash index (dedup.h)
 *   +---------------------------+  size
 *
 *   S = max_symbols, L = max_levels. level_cap = min(max_orders, 2 * S * L): a level never exists
 *   without an order, so there are never more levels than resting orders. id_cap and dedup_cap
 *   are powers of two >= 2 * (max_orders | max_clordids), so probe chains stay short.
 *
 * Sort keys: a bid's key is its price, an ask's key is -price. Both sides are then kept in
 * ascending key order with the best price at the END, so one code path serves both sides, the
 * best price is keys[n - 1] (O(1)), and inserting or removing near the top of the book moves
 * only the few entries above it.
 */
#ifndef XT_BOOK_H
#define XT_BOOK_H

#include <string.h>

#include "engine/engine.h"

#define XT_NIL				UINT32_MAX	/* "no index" in every uint32 link */
#define XT_STP_MASK			0x03		/* xt_order.flags: the STP mode ... */
#define XT_FLAG_POST_ONLY	0x04		/* ... and post-only */

/* A resting order: exactly one cache line. */
typedef struct xt_order
{
	uint64_t	id;
	uint64_t	account;
	uint64_t	priority;		/* seq that gave it its queue position */
	int64_t		price;
	int64_t		quantity;		/* total, as amended */
	int64_t		remaining;		/* > 0 while resting */
	uint32_t	prev;			/* FIFO neighbours in its level */
	uint32_t	next;			/* also the free-list link of a free slot */
	uint32_t	level;			/* xt_level slot */
	uint16_t	symbol;			/* max_symbols <= 65536, so ids fit */
	uint8_t		side;
	uint8_t		flags;			/* stp | XT_FLAG_POST_ONLY */
} xt_order;

/* A price level: the FIFO of its orders and their totals. */
typedef struct xt_level
{
	int64_t		price;
	int64_t		total;			/* sum of the orders' remaining */
	uint32_t	head;			/* oldest order; the free-list link of a free slot */
	uint32_t	tail;
	uint32_t	count;
} xt_level;

typedef struct xt_symbol
{
	int64_t		min_qty;
	int64_t		max_qty;
	uint32_t	nlevels[2];		/* by xt_side */
	uint32_t	registered;
} xt_symbol;

/*
 * One entry of the order-id index: 8 bytes, so a cache line holds 8. Only the low 32 bits of the
 * id are kept; a match is confirmed against the order itself, which the caller reads next anyway.
 */
typedef struct xt_id_slot
{
	uint32_t	id_lo;			/* low 32 bits of the order id */
	uint32_t	order;			/* order slot + 1; 0 marks an empty entry */
} xt_id_slot;

struct xt_engine
{
	xt_engine_config cfg;
	uint64_t	last_seq;
	uint64_t	last_trade_id;
	/* region offsets from the start of the block */
	uint64_t	off_symbols;
	uint64_t	off_orders;
	uint64_t	off_levels;
	uint64_t	off_ids;
	uint64_t	off_keys;
	uint64_t	off_lvix;
	uint64_t	off_ring;
	uint64_t	off_dedup;
	uint32_t	level_cap;
	uint32_t	id_mask;		/* id_cap - 1 */
	uint32_t	id_shift;		/* 35 - log2(id_cap): see xt_id_home */
	uint32_t	dedup_mask;		/* dedup_cap - 1, or 0 when dedup is off */
	uint32_t	nsymbols;		/* registered */
	/* order pool: slots below order_hwm were used once; freed ones are on order_free */
	uint32_t	order_free;
	uint32_t	order_hwm;
	uint32_t	resting;
	/* level pool, the same way */
	uint32_t	level_free;
	uint32_t	level_hwm;
	uint32_t	nlevels;		/* levels in use, all symbols and sides */
	/* dedup ring: oldest entry and number of entries */
	uint32_t	ring_head;
	uint32_t	ring_count;
};

/* ---- region access ------------------------------------------------------------------------- */

static inline xt_symbol *
xt_symbols(const xt_engine *e)
{
	return (xt_symbol *) ((char *) e + e->off_symbols);
}

static inline xt_order *
xt_orders(const xt_engine *e)
{
	return (xt_order *) ((char *) e + e->off_orders);
}

static inline xt_level *
xt_levels(const xt_engine *e)
{
	return (xt_level *) ((char *) e + e->off_levels);
}

static inline xt_id_slot *
xt_ids(const xt_engine *e)
{
	return (xt_id_slot *) ((char *) e + e->off_ids);
}

/* The sort keys of one side of one symbol (nlevels[side] of them are in use). */
static inline int64_t *
xt_side_keys(const xt_engine *e, uint32_t symbol, int side)
{
	return (int64_t *) ((char *) e + e->off_keys)
		+ ((size_t) symbol * 2 + (size_t) side) * e->cfg.max_levels;
}

/* The level slots parallel to xt_side_keys(). */
static inline uint32_t *
xt_side_lvix(const xt_engine *e, uint32_t symbol, int side)
{
	return (uint32_t *) ((char *) e + e->off_lvix)
		+ ((size_t) symbol * 2 + (size_t) side) * e->cfg.max_levels;
}

/* Sort key of a price on a side: bids by price, asks by -price, so the best is the largest. */
static inline int64_t
xt_key(int side, int64_t price)
{
	return side == XT_SIDE_BUY ? price : -price;
}

/* ---- layout (book.c) ------------------------------------------------------------------------- */

/*
 * Compute the block layout for cfg into the offset fields of *layout (which need not be inside a
 * block) and return the total size, or 0 if cfg is out of bounds or the size does not fit size_t.
 */
size_t		xt_book_layout(const xt_engine_config *cfg, xt_engine *layout);

/*
 * Make the engine at e empty again: counters, free lists, symbols and both hash indexes. The
 * header's config and offsets must already be set. O(max_symbols + id_cap + dedup_cap).
 */
void		xt_book_reset(xt_engine *e);

/* ---- order-id index: linear probing, backward-shift deletion (no tombstones) ------------------ */

/*
 * Home slot of an id (by its low 32 bits). Ids are consecutive seqs, so runs of 8 consecutive ids
 * share one cache line (an insert lands on the line the previous inserts touched) and the runs
 * are scattered by Fibonacci hashing (so long-lived orders never form long probe chains).
 */
static inline uint32_t
xt_id_home(const xt_engine *e, uint32_t lo)
{
	return (((lo >> 3) * UINT32_C(0x9E3779B9)) >> e->id_shift) << 3 | (lo & 7);
}

/* Slot of the resting order with this id, or XT_NIL. */
static inline uint32_t
xt_id_find(const xt_engine *e, uint64_t id)
{
	const xt_id_slot *t = xt_ids(e);
	uint32_t	lo = (uint32_t) id;
	uint32_t	i = xt_id_home(e, lo);

	while (t[i].order != 0)
	{
		if (t[i].id_lo == lo && xt_orders(e)[t[i].order - 1].id == id)
			return t[i].order - 1;
		i = (i + 1) & e->id_mask;
	}
	return XT_NIL;
}

/* Add id -> order; the id must not be present (ids are seqs, hence unique). */
static inline void
xt_id_insert(xt_engine *e, uint64_t id, uint32_t order)
{
	xt_id_slot *t = xt_ids(e);
	uint32_t	i = xt_id_home(e, (uint32_t) id);

	while (t[i].order != 0)
		i = (i + 1) & e->id_mask;
	t[i].id_lo = (uint32_t) id;
	t[i].order = order + 1;
}

/*
 * Remove the entry of order slot `order` (present, with this id). Backward shift: every later
 * entry of the probe run that may move closer to its home does, so lookups never need tombstones
 * and the table never degrades.
 */
static inline void
xt_id_remove(xt_engine *e, uint64_t id, uint32_t order)
{
	xt_id_slot *t = xt_ids(e);
	uint32_t	mask = e->id_mask;
	uint32_t	hole = xt_id_home(e, (uint32_t) id);
	uint32_t	i;

	while (t[hole].order != order + 1)
		hole = (hole + 1) & mask;
	i = (hole + 1) & mask;
	while (t[i].order != 0)
	{
		uint32_t	home = xt_id_home(e, t[i].id_lo);

		/* the entry at i may fill the hole iff its home is not cyclically in (hole, i] */
		if (((i - home) & mask) >= ((i - hole) & mask))
		{
			t[hole] = t[i];
			hole = i;
		}
		i = (i + 1) & mask;
	}
	t[hole].id_lo = 0;
	t[hole].order = 0;
}

/* ---- pools ------------------------------------------------------------------------------------- */

/* A free order slot; the caller has checked resting < max_orders. */
static inline uint32_t
xt_order_alloc(xt_engine *e)
{
	uint32_t	oi = e->order_free;

	if (oi != XT_NIL)
		e->order_free = xt_orders(e)[oi].next;
	else
		oi = e->order_hwm++;
	e->resting++;
	return oi;
}

/* Return a slot (already out of its level) and drop its id from the index. */
static inline void
xt_order_release(xt_engine *e, uint32_t oi)
{
	xt_order   *o = &xt_orders(e)[oi];

	xt_id_remove(e, o->id, oi);
	o->id = 0;
	o->next = e->order_free;
	e->order_free = oi;
	e->resting--;
}

/* ---- sorted price arrays --------------------------------------------------------------------- */

/*
 * Find key in keys[0 .. n) (ascending). Returns true with *pos its index, or false with *pos the
 * index it would be inserted at.
 *
 * Keys are strictly increasing integers, so a key `gap` below the best (last) one cannot sit
 * before index n - 1 - gap: in a book with a level at most ticks near the top, that guess is
 * exact or close. The XT_SEARCH_SPAN entries from the guess are counted with independent
 * compares; if the key lies beyond them, a branch-free binary search takes the rest. The depth of
 * an arbitrary order's price is unpredictable, and mispredicted branches would cost more than
 * the compares.
 */
#define XT_SEARCH_SPAN 16

static inline bool
xt_side_search(const int64_t *keys, uint32_t n, int64_t key, uint32_t *pos)
{
	uint64_t	gap;
	uint32_t	lo;
	uint32_t	lb;

	if (n == 0 || keys[n - 1] <= key)
	{
		*pos = n == 0 ? 0 : n - (keys[n - 1] == key);
		return n > 0 && keys[n - 1] == key;
	}
	gap = (uint64_t) (keys[n - 1] - key);
	lo = gap < n ? n - 1 - (uint32_t) gap : 0;	/* every key before lo is < key */
	if (n - lo >= XT_SEARCH_SPAN && keys[lo + XT_SEARCH_SPAN - 1] >= key)
	{
		lb = lo;
		for (uint32_t j = 0; j < XT_SEARCH_SPAN - 1; j++)
			lb += keys[lo + j] < key;
	}
	else
	{
		/* the first index whose key is >= key lies in [base, base + len] */
		const int64_t *base = keys + lo;
		uint32_t	len = n - lo;

		while (len > 1)
		{
			uint32_t	half = len / 2;

			base += (base[half - 1] < key) ? half : 0;
			len -= half;
		}
		lb = (uint32_t) (base - keys) + (*base < key);
	}
	*pos = lb;
	return keys[lb] == key;
}

/*
 * An empty level slot for price, not yet in any side (counted in e->nlevels). Never fails: a
 * level is made only for an order about to rest in it, so levels never outnumber resting orders
 * (<= max_orders) nor the sides' room (2 * S * L), and level_cap is the smaller of the two.
 */
static inline uint32_t
xt_level_alloc(xt_engine *e, int64_t price)
{
	uint32_t	li = e->level_free;
	xt_level   *lv;

	if (li != XT_NIL)
		e->level_free = xt_levels(e)[li].head;
	else
		li = e->level_hwm++;
	lv = &xt_levels(e)[li];
	lv->price = price;
	lv->total = 0;
	lv->head = lv->tail = XT_NIL;
	lv->count = 0;
	e->nlevels++;
	return li;
}

/*
 * Create an empty level for price at position pos of a side (from xt_side_search; the caller has
 * checked the side has room). Returns its level slot.
 */
static inline uint32_t
xt_level_create(xt_engine *e, uint32_t symbol, int side, uint32_t pos, int64_t price)
{
	xt_symbol  *s = &xt_symbols(e)[symbol];
	int64_t    *keys = xt_side_keys(e, symbol, side);
	uint32_t   *lvix = xt_side_lvix(e, symbol, side);
	uint32_t	n = s->nlevels[side];
	uint32_t	li = xt_level_alloc(e, price);

	if (pos < n)
	{
		memmove(keys + pos + 1, keys + pos, (size_t) (n - pos) * sizeof(int64_t));
		memmove(lvix + pos + 1, lvix + pos, (size_t) (n - pos) * sizeof(uint32_t));
	}
	keys[pos] = xt_key(side, price);
	lvix[pos] = li;
	s->nlevels[side] = n + 1;
	return li;
}

/* Remove the (empty) level at position pos of a side and free its slot. */
static inline void
xt_level_destroy(xt_engine *e, uint32_t symbol, int side, uint32_t pos)
{
	xt_symbol  *s = &xt_symbols(e)[symbol];
	int64_t    *keys = xt_side_keys(e, symbol, side);
	uint32_t   *lvix = xt_side_lvix(e, symbol, side);
	uint32_t	n = s->nlevels[side] - 1;
	uint32_t	li = lvix[pos];

	if (pos < n)
	{
		memmove(keys + pos, keys + pos + 1, (size_t) (n - pos) * sizeof(int64_t));
		memmove(lvix + pos, lvix + pos + 1, (size_t) (n - pos) * sizeof(uint32_t));
	}
	s->nlevels[side] = n;
	xt_levels(e)[li].head = e->level_free;
	e->level_free = li;
	e->nlevels--;
}

/* ---- level FIFO ---------------------------------------------------------------------------- */

/* Append order oi at the back of level li (its remaining joins the level total). */
static inline void
xt_level_push(xt_engine *e, uint32_t li, uint32_t oi)
{
	xt_level   *lv = &xt_levels(e)[li];
	xt_order   *orders = xt_orders(e);
	xt_order   *o = &orders[oi];

	o->level = li;
	o->prev = lv->tail;
	o->next = XT_NIL;
	if (lv->tail != XT_NIL)
		orders[lv->tail].next = oi;
	else
		lv->head = oi;
	lv->tail = oi;
	lv->count++;
	lv->total += o->remaining;
}

/* Unlink order oi from its level (its remaining leaves the level total). */
static inline void
xt_level_unlink(xt_engine *e, uint32_t oi)
{
	xt_order   *orders = xt_orders(e);
	xt_order   *o = &orders[oi];
	xt_level   *lv = &xt_levels(e)[o->level];

	if (o->prev != XT_NIL)
		orders[o->prev].next = o->next;
	else
		lv->head = o->next;
	if (o->next != XT_NIL)
		orders[o->next].prev = o->prev;
	else
		lv->tail = o->prev;
	lv->count--;
	lv->total -= o->remaining;
}

/*
 * Unlink order oi and, if that empties its level, remove the level. Returns the position the
 * removed level had in its side, or XT_NIL if the level stays. The position is found by search,
 * so this costs O(log d) only when a level goes.
 */
static inline uint32_t
xt_book_remove(xt_engine *e, uint32_t oi)
{
	xt_order   *o = &xt_orders(e)[oi];
	uint32_t	pos;

	xt_level_unlink(e, oi);
	if (xt_levels(e)[o->level].count != 0)
		return XT_NIL;
	xt_side_search(xt_side_keys(e, o->symbol, o->side),
				   xt_symbols(e)[o->symbol].nlevels[o->side], xt_key(o->side, o->price), &pos);
	xt_level_destroy(e, o->symbol, o->side, pos);
	return pos;
}

#endif							/* XT_BOOK_H */
