// SPDX-License-Identifier: MIT
/* The log-linear layout and percentiles, against exact values. */
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "lib/helper.h"
#include "collect/histogram.h"

static void test_bucket_bounds_hold_their_values(void **state)
{
	for (uint64_t v = 0; v < 200000; v++) {
		unsigned int b = hist_bucket(v);

		assert_true(hist_bucket_lower(b) <= v);
		assert_true(v < hist_bucket_upper(b));
	}
	/* Large values, including each octave's edges. */
	for (unsigned int k = 5; k < HIST_MAX_OCTAVE; k++) {
		uint64_t edge = 1ULL << k;
		uint64_t probes[] = { edge - 1, edge, edge + 1, edge + edge / 3 };

		for (int i = 0; i < 4; i++) {
			unsigned int b = hist_bucket(probes[i]);

			assert_true(hist_bucket_lower(b) <= probes[i]);
			assert_true(probes[i] < hist_bucket_upper(b));
		}
	}
	assert_int_equal(hist_bucket(UINT64_MAX), HIST_BUCKETS - 1);
	assert_int_equal(hist_bucket(1ULL << HIST_MAX_OCTAVE), HIST_BUCKETS - 1);
}

static void test_buckets_are_contiguous_and_narrow(void **state)
{
	for (unsigned int i = 0; i + 1 < HIST_BUCKETS; i++) {
		uint64_t lo = hist_bucket_lower(i), hi = hist_bucket_upper(i);

		assert_int_equal(hi, hist_bucket_lower(i + 1));
		assert_int_equal(hist_bucket(lo), i);
		assert_int_equal(hist_bucket(hi - 1), i);
		/* At most 1/16 of the lower bound wide (beyond the linear part). */
		if (lo >= 16)
			assert_true((hi - lo) * 16 <= lo);
	}
}

static void test_msb_matches_builtin(void **state)
{
	for (int k = 0; k < 64; k++) {
		uint64_t v = 1ULL << k;

		assert_int_equal(hist_msb(v), k);
		assert_int_equal(hist_msb(v | (v >> 1) | 1), k);
		assert_int_equal(hist_msb(v), 63 - __builtin_clzll(v));
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Exact quantile by the same rank rule: the ceil(q*n)-th smallest. */
static uint64_t exact_quantile(const uint64_t *sorted, size_t n, double q)
{
	size_t rank = (size_t)ceil(q * (double)n);

	return sorted[(rank ? rank : 1) - 1];
}

static void check_quantiles(uint64_t *v, size_t n)
{
	static const double qs[] = { 0.5, 0.9, 0.95, 0.99, 0.999, 1.0 };
	struct histogram *h = calloc(1, sizeof(*h));
	uint64_t max = 0;

	for (size_t i = 0; i < n; i++) {
		hist_record(h, v[i]);
		if (v[i] > max)
			max = v[i];
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	assert_int_equal(hist_count(h), n);
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		double exact = (double)exact_quantile(v, n, qs[i]);
		double est = (double)hist_quantile(h, qs[i], max);

		if (fabs(est - exact) > 0.05 * exact)
			fail_msg("q=%.3f: estimate %.0f, exact %.0f", qs[i], est, exact);
	}
	assert_int_equal(hist_quantile(h, 1.0, max), max);
	free(h);
}

static void test_quantiles_within_5pct_log_uniform(void **state)
{
	size_t n = 200000;
	uint64_t *v = malloc(n * sizeof(*v));

	srand(42);
	/* 100 ns to 100 s, spread evenly over the orders of magnitude. */
	for (size_t i = 0; i < n; i++)
		v[i] = (uint64_t)(100.0 * pow(1e9, (double)rand() / RAND_MAX));
	check_quantiles(v, n);
	free(v);
}

static void test_quantiles_within_5pct_constant_and_bimodal(void **state)
{
	static const uint64_t points[] = { 100, 1000, 12345, 999999, 1000000000ULL,
					   100000000000ULL };
	uint64_t v[1000];

	for (size_t p = 0; p < sizeof(points) / sizeof(points[0]); p++) {
		for (int i = 0; i < 1000; i++)
			v[i] = points[p];
		check_quantiles(v, 1000);
	}
	/* 97% fast, 3% slow: p95 is fast, p99 is slow. */
	for (int i = 0; i < 1000; i++)
		v[i] = i < 970 ? 2000 + (uint64_t)i : 5000000 + (uint64_t)i * 1000;
	check_quantiles(v, 1000);
}

static void test_empty_and_delta(void **state)
{
	struct histogram a = {}, b = {}, d;

	assert_int_equal(hist_quantile(&a, 0.5, 0), 0);
	assert_int_equal(hist_max_bound(&a), 0);
	for (int i = 0; i < 10; i++)
		hist_record(&a, 1000);
	b = a;
	for (int i = 0; i < 5; i++)
		hist_record(&b, 50000);
	hist_delta(&d, &b, &a);
	assert_int_equal(hist_count(&d), 5);
	assert_int_equal(d.buckets[hist_bucket(50000)], 5);
	assert_int_equal(d.buckets[hist_bucket(1000)], 0);
	assert_true(hist_max_bound(&d) >= 50000);
	assert_true(hist_max_bound(&d) < 50000 + 50000 / 16);
	hist_add(&d, &a);
	assert_int_equal(hist_count(&d), 15);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_bounds_hold_their_values),
		cmocka_unit_test(test_buckets_are_contiguous_and_narrow),
		cmocka_unit_test(test_msb_matches_builtin),
		cmocka_unit_test(test_quantiles_within_5pct_log_uniform),
		cmocka_unit_test(test_quantiles_within_5pct_constant_and_bimodal),
		cmocka_unit_test(test_empty_and_delta),
	};

	return cmocka_run_group_tests_name("histogram", tests, NULL, NULL);
}
