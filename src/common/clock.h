/*
 * clock.h: the two clocks the network and broker code reads, in milliseconds.
 *
 * xt_mono_ms: CLOCK_MONOTONIC, for deadlines and time-outs (never jumps with the wall clock);
 * xt_wall_ms: CLOCK_REALTIME, ms since the epoch, for timestamps put in messages.
 * Pure C (POSIX clock_gettime); no state.
 */
#ifndef XT_COMMON_CLOCK_H
#define XT_COMMON_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t
xt_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline int64_t
xt_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif							/* XT_COMMON_CLOCK_H */
