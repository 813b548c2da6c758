/*
 * snapshot.c: the engine's state as a portable byte string, and back.
 *
 * Owns: the snapshot format below, xt_engine_snapshot_size, xt_engine_snapshot and
 * xt_engine_restore. A snapshot holds the logical state only (what xt_engine_hash covers), never
 * the memory layout, so it restores into an engine of any configuration large enough for it, at
 * any address, and the restored engine hashes and behaves exactly like the original.
 *
 * Format, version 1. Every integer is little-endian; every record is a multiple of 8 bytes.
 *
 *   0  +----------------------------------+--------------------------------+
 *      | magic "XTSNAP\r\n" (8 bytes)                                      |
 *   8  | u32 version (1)                  | u32 nsymbols (registered)      |
 *  16  | u64 length: bytes of the whole snapshot, checksum included        |
 *  24  | u64 last_seq                                                      |
 *  32  | u64 last_trade_id                                                 |
 *  40  | u32 norders (resting)            | u32 nlevels (all sides)        |
 *  48  | u32 ndedup (window entries)      | u32 0                          |
 *  56  +----------------------------------+--------------------------------+
 *      | nsymbols times, by increasing symbol id:                   32 B   |
 *      |   u32 symbol | u32 buy levels | u32 sell levels | u32 0           |
 *      |   i64 min_qty | i64 max_qty                                       |
 *      |   then its levels, BUY best first, then SELL best first:   16 B   |
 *      |     i64 price | u32 orders (>= 1) | u32 0                         |
 *      |     then that level's orders, oldest first:                48 B   |
 *      |       u64 order_id | u64 account | u64 priority                  |
 *      |       i64 quantity | i64 remaining | u64 stp | post_only << 8     |
 *      +-------------------------------------------------------------------+
 *      | ndedup times, oldest first:                                56 B   |
 *      |   u64 account | u64 order_id | u32 len | clordid[36] zero-padded  |
 *      +-------------------------------------------------------------------+
 *      | u64 checksum: h = 0xcbf29ce484222325; for each preceding 8-byte    |
 *      |   little-endian word w: h = (h ^ w) * 0x100000001b3                 |
 *      +-------------------------------------------------------------------+
 *
 * Every step of the checksum is a bijection of h, so any single changed word changes it; the
 * stored length catches truncation. A level's price lives in its record, not in its orders'.
 */
#include "engine/engine.h"

#include "engine/book.h"
#include "engine/dedup.h"

#define XT_SNAP_VERSION		1
#define XT_SNAP_HEADER		56
#define XT_SNAP_SYMBOL		32
#define XT_SNAP_LEVEL		16
#define XT_SNAP_ORDER		48
#define XT_SNAP_DEDUP		56
#define XT_SNAP_TRAILER		8

static const unsigned char xt_snap_magic[8] = {'X', 'T', 'S', 'N', 'A', 'P', '\r', '\n'};

/* ---- little-endian cursors --------------------------------------------------------------------- */

typedef struct xt_wcur
{
	unsigned char *p;
} xt_wcur;

typedef struct xt_rcur
{
	const unsigned char *p;
	const unsigned char *end;	/* where the checksum starts */
} xt_rcur;

static void
xt_put(xt_wcur *w, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		*w->p++ = (unsigned char) (v >> (8 * i));
}

static uint64_t
xt_get_raw(const unsigned char *p, int bytes)
{
	uint64_t	v = 0;

	for (int i = 0; i < bytes; i++)
		v |= (uint64_t) p[i] << (8 * i);
	return v;
}

/* Read bytes (4 or 8) or fail if the record would run into the checksum. */
static bool
xt_get(xt_rcur *r, int bytes, uint64_t *v)
{
	if (r->end - r->p < bytes)
		return false;
	*v = xt_get_raw(r->p, bytes);
	r->p += bytes;
	return true;
}

static uint64_t
xt_snap_checksum(const unsigned char *p, size_t len)
{
	uint64_t	h = UINT64_C(0xcbf29ce484222325);

	for (size_t i = 0; i + 8 <= len; i += 8)
		h = (h ^ xt_get_raw(p + i, 8)) * UINT64_C(0x100000001b3);
	return h;
}

static uint64_t
xt_snap_size(uint64_t nsymbols, uint64_t nlevels, uint64_t norders, uint64_t ndedup)
{
	return XT_SNAP_HEADER + nsymbols * XT_SNAP_SYMBOL + nlevels * XT_SNAP_LEVEL +
		norders * XT_SNAP_ORDER + ndedup * XT_SNAP_DEDUP + XT_SNAP_TRAILER;
}

/* ---- writing --------------------------------------------------------------------------------- */

size_t
xt_engine_snapshot_size(const xt_engine *eng)
{
	return (size_t) xt_snap_size(eng->nsymbols, eng->nlevels, eng->resting, eng->ring_count);
}

xt_result
xt_engine_snapshot(const xt_engine *eng, void *buf, size_t cap, size_t *len)
{
	size_t		size = xt_engine_snapshot_size(eng);
	const xt_order *orders = xt_orders(eng);
	xt_wcur		w;

	if (cap < size)
		return XT_ERR_BUFFER;
	w.p = buf;
	memcpy(w.p, xt_snap_magic, 8);
	w.p += 8;
	xt_put(&w, XT_SNAP_VERSION, 4);
	xt_put(&w, eng->nsymbols, 4);
	xt_put(&w, size, 8);
	xt_put(&w, eng->last_seq, 8);
	xt_put(&w, eng->last_trade_id, 8);
	xt_put(&w, eng->resting, 4);
	xt_put(&w, eng->nlevels, 4);
	xt_put(&w, eng->ring_count, 4);
	xt_put(&w, 0, 4);

	for (uint32_t sym = 0; sym < eng->cfg.max_symbols; sym++)
	{
		const xt_symbol *s = &xt_symbols(eng)[sym];

		if (!s->registered)
			continue;
		xt_put(&w, sym, 4);
		xt_put(&w, s->nlevels[XT_SIDE_BUY], 4);
		xt_put(&w, s->nlevels[XT_SIDE_SELL], 4);
		xt_put(&w, 0, 4);
		xt_put(&w, (uint64_t) s->min_qty, 8);
		xt_put(&w, (uint64_t) s->max_qty, 8);
		for (int side = XT_SIDE_BUY; side <= XT_SIDE_SELL; side++)
		{
			const uint32_t *lvix = xt_side_lvix(eng, sym, side);

			for (uint32_t i = s->nlevels[side]; i-- > 0;)
			{
				const xt_level *lv = &xt_levels(eng)[lvix[i]];

				xt_put(&w, (uint64_t) lv->price, 8);
				xt_put(&w, lv->count, 4);
				xt_put(&w, 0, 4);
				for (uint32_t oi = lv->head; oi != XT_NIL; oi = orders[oi].next)
				{
					const xt_order *o = &orders[oi];

					xt_put(&w, o->id, 8);
					xt_put(&w, o->account, 8);
					xt_put(&w, o->priority, 8);
					xt_put(&w, (uint64_t) o->quantity, 8);
					xt_put(&w, (uint64_t) o->remaining, 8);
					xt_put(&w, (uint64_t) (o->flags & XT_STP_MASK) |
						   (uint64_t) ((o->flags & XT_FLAG_POST_ONLY) ? 1 : 0) << 8, 8);
				}
			}
		}
	}
	for (uint32_t age = 0; age < eng->ring_count; age++)
	{
		const xt_clordid *c = xt_dedup_entry(eng, age);

		xt_put(&w, c->account, 8);
		xt_put(&w, c->order_id, 8);
		xt_put(&w, c->len, 4);
		memcpy(w.p, c->bytes, XT_CLORDID_MAX);	/* bytes past len are zero in the ring */
		w.p += XT_CLORDID_MAX;
	}
	xt_put(&w, xt_snap_checksum(buf, size - XT_SNAP_TRAILER), 8);
	*len = size;
	return XT_OK;
}

/* ---- reading --------------------------------------------------------------------------------- */

/* One side's levels and orders, appended best first (so placed from the top of the array down). */
static xt_result
xt_restore_side(xt_engine *e, xt_rcur *r, uint32_t sym, int side, uint32_t nlev)
{
	int64_t    *keys = xt_side_keys(e, sym, side);
	uint32_t   *lvix = xt_side_lvix(e, sym, side);

	for (uint32_t i = 0; i < nlev; i++)
	{
		uint64_t	price;
		uint64_t	norders;
		uint64_t	zero;
		uint64_t	last_priority = 0;
		uint32_t	pos = nlev - 1 - i;
		uint32_t	li;

		if (!xt_get(r, 8, &price) || !xt_get(r, 4, &norders) || !xt_get(r, 4, &zero) ||
			zero != 0 || norders == 0 || price < 1 || price > (uint64_t) XT_VALUE_MAX)
			return XT_ERR_SNAPSHOT;
		if (norders > e->cfg.max_orders - e->resting)
			return XT_ERR_SNAPSHOT;
		/* best first means strictly decreasing keys */
		if (i > 0 && xt_key(side, (int64_t) price) >= keys[pos + 1])
			return XT_ERR_SNAPSHOT;
		li = xt_level_alloc(e, (int64_t) price);
		keys[pos] = xt_key(side, (int64_t) price);
		lvix[pos] = li;
		for (uint64_t k = 0; k < norders; k++)
		{
			uint64_t	id, account, priority, quantity, remaining, flags;
			uint32_t	oi;
			xt_order   *o;

			if (!xt_get(r, 8, &id) || !xt_get(r, 8, &account) || !xt_get(r, 8, &priority) ||
				!xt_get(r, 8, &quantity) || !xt_get(r, 8, &remaining) || !xt_get(r, 8, &flags))
				return XT_ERR_SNAPSHOT;
			if (id == 0 || priority < id || priority > e->last_seq || priority <= last_priority ||
				quantity < 1 || quantity > (uint64_t) XT_VALUE_MAX ||
				remaining < 1 || remaining > quantity ||
				(flags & 0xff) > XT_STP_CANCEL_BOTH || (flags >> 8) > 1 ||
				xt_id_find(e, id) != XT_NIL ||
				xt_levels(e)[li].total > INT64_MAX - (int64_t) remaining)
				return XT_ERR_SNAPSHOT;
			oi = xt_order_alloc(e);
			o = &xt_orders(e)[oi];
			o->id = id;
			o->account = account;
			o->priority = priority;
			o->price = (int64_t) price;
			o->quantity = (int64_t) quantity;
			o->remaining = (int64_t) remaining;
			o->symbol = (uint16_t) sym;
			o->side = (uint8_t) side;
			o->flags = (uint8_t) ((flags & XT_STP_MASK) | ((flags >> 8) ? XT_FLAG_POST_ONLY : 0));
			xt_id_insert(e, id, oi);
			xt_level_push(e, li, oi);
			last_priority = priority;
		}
	}
	xt_symbols(e)[sym].nlevels[side] = nlev;
	return XT_OK;
}

static xt_result
xt_restore_body(xt_engine *e, const unsigned char *buf, size_t len)
{
	xt_rcur		r;
	uint64_t	nsymbols, norders, nlevels, ndedup, zero;
	int64_t		prev_sym = -1;
	xt_result	res;

	if (buf == NULL || len < XT_SNAP_HEADER + XT_SNAP_TRAILER || len % 8 != 0 ||
		memcmp(buf, xt_snap_magic, 8) != 0 ||
		xt_get_raw(buf + 8, 4) != XT_SNAP_VERSION || xt_get_raw(buf + 16, 8) != len ||
		xt_get_raw(buf + 52, 4) != 0 ||
		xt_snap_checksum(buf, len - XT_SNAP_TRAILER) != xt_get_raw(buf + len - XT_SNAP_TRAILER, 8))
		return XT_ERR_SNAPSHOT;
	nsymbols = xt_get_raw(buf + 12, 4);
	norders = xt_get_raw(buf + 40, 4);
	nlevels = xt_get_raw(buf + 44, 4);
	ndedup = xt_get_raw(buf + 48, 4);
	if (xt_snap_size(nsymbols, nlevels, norders, ndedup) != len)
		return XT_ERR_SNAPSHOT;
	if (nsymbols > e->cfg.max_symbols || norders > e->cfg.max_orders ||
		ndedup > e->cfg.max_clordids)
		return XT_ERR_SNAPSHOT_FIT;

	xt_book_reset(e);
	e->last_seq = xt_get_raw(buf + 24, 8);
	e->last_trade_id = xt_get_raw(buf + 32, 8);
	r.p = buf + XT_SNAP_HEADER;
	r.end = buf + len - XT_SNAP_TRAILER;
	for (uint64_t i = 0; i < nsymbols; i++)
	{
		uint64_t	sym, nbuy, nsell, min, max;
		xt_symbol  *s;

		if (!xt_get(&r, 4, &sym) || !xt_get(&r, 4, &nbuy) || !xt_get(&r, 4, &nsell) ||
			!xt_get(&r, 4, &zero) || !xt_get(&r, 8, &min) || !xt_get(&r, 8, &max) ||
			zero != 0 || (int64_t) sym <= prev_sym || min < 1 || min > max ||
			max > (uint64_t) XT_VALUE_MAX)
			return XT_ERR_SNAPSHOT;
		if (sym >= e->cfg.max_symbols || nbuy > e->cfg.max_levels || nsell > e->cfg.max_levels)
			return XT_ERR_SNAPSHOT_FIT;
		prev_sym = (int64_t) sym;
		s = &xt_symbols(e)[sym];
		s->registered = 1;
		s->min_qty = (int64_t) min;
		s->max_qty = (int64_t) max;
		e->nsymbols++;
		res = xt_restore_side(e, &r, (uint32_t) sym, XT_SIDE_BUY, (uint32_t) nbuy);
		if (res == XT_OK)
			res = xt_restore_side(e, &r, (uint32_t) sym, XT_SIDE_SELL, (uint32_t) nsell);
		if (res != XT_OK)
			return res;
		if (nbuy > 0 && nsell > 0 &&
			xt_side_keys(e, (uint32_t) sym, XT_SIDE_BUY)[nbuy - 1] >=
			-xt_side_keys(e, (uint32_t) sym, XT_SIDE_SELL)[nsell - 1])
			return XT_ERR_SNAPSHOT;
	}
	if (e->resting != norders || e->nlevels != nlevels)
		return XT_ERR_SNAPSHOT;
	for (uint64_t i = 0; i < ndedup; i++)
	{
		uint64_t	account, order_id, clen, original;
		const unsigned char *bytes;

		if (!xt_get(&r, 8, &account) || !xt_get(&r, 8, &order_id) || !xt_get(&r, 4, &clen) ||
			r.end - r.p < XT_CLORDID_MAX ||
			order_id == 0 || order_id > e->last_seq || clen < 1 || clen > XT_CLORDID_MAX)
			return XT_ERR_SNAPSHOT;
		bytes = r.p;
		r.p += XT_CLORDID_MAX;
		for (uint64_t k = clen; k < XT_CLORDID_MAX; k++)
		{
			if (bytes[k] != 0)
				return XT_ERR_SNAPSHOT;
		}
		if (xt_dedup_find(e, account, (const char *) bytes, (uint32_t) clen, &original))
			return XT_ERR_SNAPSHOT;
		xt_dedup_add(e, account, (const char *) bytes, (uint32_t) clen, order_id);
	}
	if (r.p != r.end || xt_engine_check(e) != NULL)
		return XT_ERR_SNAPSHOT;
	return XT_OK;
}

xt_result
xt_engine_restore(xt_engine *eng, const void *buf, size_t len)
{
	xt_result	res = xt_restore_body(eng, buf, len);

	if (res != XT_OK)
		xt_book_reset(eng);
	return res;
}
