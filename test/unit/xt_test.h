/*
 * xt_test.h: the tiny unit-test harness of the pure C suites (engine, decimal, codec).
 *
 * One header, no library. A suite is one .c file that defines tests with XT_TEST and ends with
 * XT_TEST_MAIN(). The binary runs every test (or those whose name contains argv[1]), prints one
 * line per failed check and per test, and closes with the line "N passed, N failed" that
 * scripts/test sums over all suites. Exit status 0 only if nothing failed.
 */
#ifndef XT_TEST_H
#define XT_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*xt_test_fn) (void);

typedef struct xt_test_case
{
	const char *name;
	xt_test_fn	fn;
} xt_test_case;

#define XT_TEST_MAX 1024
static xt_test_case xt_test_cases[XT_TEST_MAX];
static int	xt_test_count;
static int	xt_test_failed_checks;	/* failed checks in the running test */

static inline void
xt_test_register(const char *name, xt_test_fn fn)
{
	if (xt_test_count >= XT_TEST_MAX)
	{
		fprintf(stderr, "xt_test: more than %d tests in one suite\n", XT_TEST_MAX);
		exit(2);
	}
	xt_test_cases[xt_test_count].name = name;
	xt_test_cases[xt_test_count].fn = fn;
	xt_test_count++;
}

/* Defines and registers a test (constructor attribute: GCC and Clang). */
#define XT_TEST(name) \
	static void xt_test_##name(void); \
	__attribute__((constructor)) static void xt_test_reg_##name(void) \
	{ xt_test_register(#name, xt_test_##name); } \
	static void xt_test_##name(void)

#define XT_FAIL_AT(...) \
	do { \
		xt_test_failed_checks++; \
		fprintf(stderr, "  %s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
	} while (0)

/* A failed check records the failure and the test goes on (so one run shows every failure). */
#define XT_CHECK(cond) \
	do { if (!(cond)) XT_FAIL_AT("check failed: %s", #cond); } while (0)

#define XT_CHECK_EQ(a, b) \
	do { \
		long long xt_a_ = (long long) (a), xt_b_ = (long long) (b); \
		if (xt_a_ != xt_b_) \
			XT_FAIL_AT("%s == %s: %lld != %lld", #a, #b, xt_a_, xt_b_); \
	} while (0)

#define XT_CHECK_U64(a, b) \
	do { \
		unsigned long long xt_a_ = (unsigned long long) (a), xt_b_ = (unsigned long long) (b); \
		if (xt_a_ != xt_b_) \
			XT_FAIL_AT("%s == %s: %llu != %llu", #a, #b, xt_a_, xt_b_); \
	} while (0)

#define XT_CHECK_STR(a, b) \
	do { \
		const char *xt_a_ = (a), *xt_b_ = (b); \
		if (xt_a_ == NULL || xt_b_ == NULL || strcmp(xt_a_, xt_b_) != 0) \
			XT_FAIL_AT("%s == %s: \"%s\" != \"%s\"", #a, #b, \
					   xt_a_ ? xt_a_ : "(null)", xt_b_ ? xt_b_ : "(null)"); \
	} while (0)

/* Stops the current test at once (use when later checks would crash). */
#define XT_REQUIRE(cond) \
	do { if (!(cond)) { XT_FAIL_AT("required: %s", #cond); return; } } while (0)

#define XT_TEST_MAIN() \
	int main(int argc, char **argv) \
	{ \
		int passed = 0, failed = 0; \
		const char *filter = argc > 1 ? argv[1] : NULL; \
		for (int i = 0; i < xt_test_count; i++) \
		{ \
			if (filter && !strstr(xt_test_cases[i].name, filter)) \
				continue; \
			xt_test_failed_checks = 0; \
			xt_test_cases[i].fn(); \
			if (xt_test_failed_checks == 0) \
			{ passed++; printf("ok   %s\n", xt_test_cases[i].name); } \
			else \
			{ failed++; printf("FAIL %s\n", xt_test_cases[i].name); } \
			fflush(stdout); \
		} \
		printf("%d passed, %d failed\n", passed, failed); \
		return failed == 0 && passed > 0 ? 0 : 1; \
	}

#endif							/* XT_TEST_H */
