/*
 * dedup.c: the client-order-id dedup window (see dedup.h).
 *
 * Owns: hashing of (account, clordid), lookups in the ring's index, insertion with eviction of
 * the oldest entry, and the window's invariant check. Called only by the engine's owner thread.
 */
#include "engine/dedup.h"

/* FNV-1a over the key, then a 64-bit finaliser so that every bit of the index position mixes. */
static uint32_t
xt_dedup_hash(uint64_t account, const char *bytes, uint32_t len)
{
	uint64_t	h = UINT64_C(0xcbf29ce484222325);

	for (int i = 0; i < 8; i++)
	{
		h ^= (account >> (8 * i)) & 0xff;
		h *= UINT64_C(0x100000001b3);
	}
	for (uint32_t i = 0; i < len; i++)
	{
		h ^= (unsigned char) bytes[i];
		h *= UINT64_C(0x100000001b3);
	}
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64_C(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return (uint32_t) h;
}

static bool
xt_dedup_same(const xt_clordid *c, uint64_t account, const char *bytes, uint32_t len)
{
	return c->account == account && c->len == len && memcmp(c->bytes, bytes, len) == 0;
}

/* Index slot holding ring position pos (which is present). */
static uint32_t
xt_dedup_slot_of(const xt_engine *e, uint32_t pos)
{
	const xt_dedup_slot *t = xt_dedup_slots(e);
	uint32_t	i = xt_ring(e)[pos].hash & e->dedup_mask;

	while (t[i].entry != pos + 1)
		i = (i + 1) & e->dedup_mask;
	return i;
}

/* Delete index slot hole by backward shift (the same scheme as the order-id index). */
static void
xt_dedup_unindex(xt_engine *e, uint32_t hole)
{
	xt_dedup_slot *t = xt_dedup_slots(e);
	uint32_t	mask = e->dedup_mask;
	uint32_t	i = (hole + 1) & mask;

	while (t[i].entry != 0)
	{
		uint32_t	home = t[i].hash & mask;

		if (((i - home) & mask) >= ((i - hole) & mask))
		{
			t[hole] = t[i];
			hole = i;
		}
		i = (i + 1) & mask;
	}
	t[hole].entry = 0;
	t[hole].hash = 0;
}

bool
xt_dedup_find(const xt_engine *e, uint64_t account, const char *bytes, uint32_t len,
			  uint64_t *order_id)
{
	const xt_dedup_slot *t = xt_dedup_slots(e);
	const xt_clordid *ring = xt_ring(e);
	uint32_t	hash = xt_dedup_hash(account, bytes, len);
	uint32_t	i = hash & e->dedup_mask;

	while (t[i].entry != 0)
	{
		if (t[i].hash == hash && xt_dedup_same(&ring[t[i].entry - 1], account, bytes, len))
		{
			*order_id = ring[t[i].entry - 1].order_id;
			return true;
		}
		i = (i + 1) & e->dedup_mask;
	}
	return false;
}

void
xt_dedup_add(xt_engine *e, uint64_t account, const char *bytes, uint32_t len, uint64_t order_id)
{
	xt_dedup_slot *t = xt_dedup_slots(e);
	uint32_t	max = e->cfg.max_clordids;
	uint32_t	pos;
	xt_clordid *c;
	uint32_t	i;

	if (e->ring_count == max)
	{
		/* full: the oldest entry's ring position is reused for the newest */
		pos = e->ring_head;
		xt_dedup_unindex(e, xt_dedup_slot_of(e, pos));
		e->ring_head = pos + 1 == max ? 0 : pos + 1;
	}
	else
	{
		pos = e->ring_head + e->ring_count;
		if (pos >= max)
			pos -= max;
		e->ring_count++;
	}
	c = &xt_ring(e)[pos];
	memset(c, 0, sizeof(*c));
	c->account = account;
	c->order_id = order_id;
	c->hash = xt_dedup_hash(account, bytes, len);
	c->len = (uint8_t) len;
	memcpy(c->bytes, bytes, len);

	i = c->hash & e->dedup_mask;
	while (t[i].entry != 0)
		i = (i + 1) & e->dedup_mask;
	t[i].entry = pos + 1;
	t[i].hash = c->hash;
}

const char *
xt_dedup_check(const xt_engine *e)
{
	const xt_dedup_slot *t = xt_dedup_slots(e);
	uint32_t	used = 0;

	if (e->cfg.max_clordids == 0)
		return e->ring_count == 0 ? NULL : "dedup: entries present while dedup is off";
	if (e->ring_count > e->cfg.max_clordids || e->ring_head >= e->cfg.max_clordids)
		return "dedup: ring head or count out of range";
	for (uint32_t age = 0; age < e->ring_count; age++)
	{
		const xt_clordid *c = xt_dedup_entry(e, age);
		uint32_t	pos = (uint32_t) (c - xt_ring(e));
		uint32_t	i = c->hash & e->dedup_mask;

		if (c->len == 0 || c->len > XT_CLORDID_MAX || c->order_id == 0)
			return "dedup: ring entry with a bad length or order id";
		if (c->hash != xt_dedup_hash(c->account, c->bytes, c->len))
			return "dedup: ring entry hash is stale";
		/* reachable from its home without crossing an empty slot, and its key is unique */
		while (t[i].entry != 0 && t[i].entry != pos + 1)
		{
			if (t[i].hash == c->hash && t[i].entry <= e->cfg.max_clordids &&
				xt_dedup_same(&xt_ring(e)[t[i].entry - 1], c->account, c->bytes, c->len))
				return "dedup: the same client order id is in the window twice";
			i = (i + 1) & e->dedup_mask;
		}
		if (t[i].entry != pos + 1)
			return "dedup: ring entry missing from the index";
	}
	for (uint32_t i = 0; i <= e->dedup_mask; i++)
	{
		if (t[i].entry != 0)
			used++;
	}
	if (used != e->ring_count)
		return "dedup: index holds entries that are not in the ring";
	return NULL;
}
