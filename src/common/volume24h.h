/*
 * volume24h.h: a symbol's traded quantity over the last 24 hours, in one-minute buckets (the
 * ticker's volume_24h, for the WebSocket server and the broker market data alike).
 *
 * Owns: nothing but the ring; the caller says what time it is, so the same trades give the same
 * totals whenever they are counted (the broker workers rely on that after a restart). Pure C11.
 */
#ifndef XT_COMMON_VOLUME24H_H
#define XT_COMMON_VOLUME24H_H

#include <stdint.h>

#define XT_VOLUME_MINUTES 1440

typedef struct xt_volume24h
{
	int64_t		quantity[XT_VOLUME_MINUTES];
	int64_t		minute[XT_VOLUME_MINUTES];	/* the minute since the epoch each bucket counts */
} xt_volume24h;

static inline int64_t
xt_volume_minute_of(int64_t ms)
{
	return ms >= 0 ? ms / 60000 : (ms - 59999) / 60000;
}

/* Count quantity traded at time ms (since the epoch). */
static inline void
xt_volume_add(xt_volume24h *v, int64_t ms, int64_t quantity)
{
	int64_t		minute = xt_volume_minute_of(ms);
	int64_t		b = minute % XT_VOLUME_MINUTES;

	if (b < 0)
		b += XT_VOLUME_MINUTES;
	if (v->minute[b] != minute)
	{
		v->minute[b] = minute;
		v->quantity[b] = 0;
	}
	v->quantity[b] += quantity;
}

/* The quantity of the 1440 minutes up to and including the one of time ms. */
static inline int64_t
xt_volume_total(const xt_volume24h *v, int64_t ms)
{
	int64_t		now = xt_volume_minute_of(ms);
	int64_t		total = 0;

	for (int i = 0; i < XT_VOLUME_MINUTES; i++)
		if (v->minute[i] > now - XT_VOLUME_MINUTES && v->minute[i] <= now)
			total += v->quantity[i];
	return total;
}

#endif							/* XT_COMMON_VOLUME24H_H */
