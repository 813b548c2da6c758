/*
 * test_volume24h.c: unit tests of src/common/volume24h.h, the ticker's 24 h volume.
 *
 * The ring is checked against a plain list of every trade: for random trades spread over three
 * days (and a few before 1970, where minutes round down), the total at any time must be the sum of
 * the trades in the 1440 minutes up to and including that time's minute, and nothing else.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/volume24h.h"
#include "xt_test.h"

#define MIN_MS 60000LL
#define DAY_MS (1440 * MIN_MS)

static int64_t
oracle(const int64_t *at, const int64_t *qty, int n, int64_t now)
{
	int64_t		now_min = xt_volume_minute_of(now);
	int64_t		total = 0;

	for (int i = 0; i < n; i++)
	{
		int64_t		m = xt_volume_minute_of(at[i]);

		if (m > now_min - XT_VOLUME_MINUTES && m <= now_min)
			total += qty[i];
	}
	return total;
}

XT_TEST(minute_of_rounds_down)
{
	XT_CHECK_EQ(xt_volume_minute_of(0), 0);
	XT_CHECK_EQ(xt_volume_minute_of(59999), 0);
	XT_CHECK_EQ(xt_volume_minute_of(60000), 1);
	XT_CHECK_EQ(xt_volume_minute_of(-1), -1);
	XT_CHECK_EQ(xt_volume_minute_of(-60000), -1);
	XT_CHECK_EQ(xt_volume_minute_of(-60001), -2);
}

XT_TEST(window_edges)
{
	static xt_volume24h v;
	int64_t		t0 = 1795821379958LL;	/* 2026-11-27 */

	memset(&v, 0, sizeof(v));
	XT_CHECK_EQ(xt_volume_total(&v, t0), 0);
	xt_volume_add(&v, t0, 5);
	xt_volume_add(&v, t0 + 1, 7);
	XT_CHECK_EQ(xt_volume_total(&v, t0), 12);
	/* the same minute later on, the last minute of the window, then out of it */
	XT_CHECK_EQ(xt_volume_total(&v, t0 - t0 % MIN_MS + MIN_MS - 1), 12);
	XT_CHECK_EQ(xt_volume_total(&v, t0 + DAY_MS - MIN_MS), 12);
	XT_CHECK_EQ(xt_volume_total(&v, t0 + DAY_MS), 0);
	/* a clock that asks about the past does not count what came later */
	XT_CHECK_EQ(xt_volume_total(&v, t0 - MIN_MS), 0);
	/* the bucket of t0 is reused one day later: the old minute is forgotten */
	xt_volume_add(&v, t0 + DAY_MS, 3);
	XT_CHECK_EQ(xt_volume_total(&v, t0 + DAY_MS), 3);
	XT_CHECK_EQ(xt_volume_total(&v, t0), 0);
}

XT_TEST(random_against_a_list)
{
	enum
	{
		N = 20000
	};
	static int64_t at[N],
				qty[N];
	static xt_volume24h v;
	int64_t		t = -2 * MIN_MS;	/* starts just before 1970 */
	uint64_t	seed = 0x9e3779b97f4a7c15ULL;

	memset(&v, 0, sizeof(v));
	for (int i = 0; i < N; i++)
	{
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		t += (int64_t) ((seed >> 33) % (3 * DAY_MS / N * 2));	/* ~3 days in all */
		at[i] = t;
		qty[i] = (int64_t) ((seed >> 20) % 1000) + 1;
		xt_volume_add(&v, at[i], qty[i]);
		/* the ring only knows the last day: ask about now and a little earlier */
		XT_CHECK_EQ(xt_volume_total(&v, t), oracle(at, qty, i + 1, t));
		if (i % 97 == 0)
			XT_CHECK_EQ(xt_volume_total(&v, t + 30 * MIN_MS), oracle(at, qty, i + 1, t + 30 * MIN_MS));
	}
}

XT_TEST_MAIN()
