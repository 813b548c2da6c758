/*
 * dedup.h: the client-order-id dedup window.
 *
 * Owns: the FIFO ring of the last max_clordids accepted (account, clordid) pairs with the ids of
 * the orders they created, and the open-addressing hash index over that ring. The ring is
 * engine-wide (not per symbol). When it is full, adding evicts the oldest entry: the window is a
 * deterministic function of the accepted orders, never of time or memory.
 *
 * Both regions sit in the engine block (layout in book.h); entries are found by ring position,
 * never by pointer. Only engine code includes this header.
 */
#ifndef XT_DEDUP_H
#define XT_DEDUP_H

#include "engine/book.h"

/* One remembered client order id: 64 bytes. */
typedef struct xt_clordid
{
	uint64_t	account;
	uint64_t	order_id;		/* the original order */
	uint32_t	hash;			/* xt_dedup_hash(account, bytes, len) */
	uint8_t		len;			/* 1 .. XT_CLORDID_MAX */
	char		bytes[XT_CLORDID_MAX];	/* len used, the rest zero */
} xt_clordid;

/* One entry of the index; entry 0 marks an empty slot. */
typedef struct xt_dedup_slot
{
	uint32_t	entry;			/* ring position + 1 */
	uint32_t	hash;			/* copy of the entry's hash: probing without touching the ring */
} xt_dedup_slot;

static inline xt_clordid *
xt_ring(const xt_engine *e)
{
	return (xt_clordid *) ((char *) e + e->off_ring);
}

static inline xt_dedup_slot *
xt_dedup_slots(const xt_engine *e)
{
	return (xt_dedup_slot *) ((char *) e + e->off_dedup);
}

/* The entry of a given age: 0 is the oldest, ring_count - 1 the newest. */
static inline const xt_clordid *
xt_dedup_entry(const xt_engine *e, uint32_t age)
{
	uint32_t	pos = e->ring_head + age;

	if (pos >= e->cfg.max_clordids)
		pos -= e->cfg.max_clordids;
	return &xt_ring(e)[pos];
}

/*
 * Look up (account, bytes[0 .. len)). Returns true and the original order id, or false. Dedup
 * must be on (max_clordids > 0) and 1 <= len <= XT_CLORDID_MAX.
 */
bool		xt_dedup_find(const xt_engine *e, uint64_t account, const char *bytes, uint32_t len,
						  uint64_t *order_id);

/*
 * Remember (account, bytes[0 .. len)) -> order_id as the newest entry, evicting the oldest when
 * the window is full. The pair must not be present. Same preconditions as xt_dedup_find.
 */
void		xt_dedup_add(xt_engine *e, uint64_t account, const char *bytes, uint32_t len,
						 uint64_t order_id);

/* Check the ring and the index against each other: NULL, or a message naming what is broken. */
const char *xt_dedup_check(const xt_engine *e);

#endif							/* XT_DEDUP_H */
