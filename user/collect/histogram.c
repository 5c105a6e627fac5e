// SPDX-License-Identifier: MIT
#include <math.h>
#include "collect/histogram.h"

void hist_record(struct histogram *h, uint64_t value_ns)
{
	h->buckets[hist_bucket(value_ns)]++;
}

void hist_add(struct histogram *dst, const struct histogram *src)
{
	for (unsigned int i = 0; i < HIST_BUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
}

void hist_delta(struct histogram *dst, const struct histogram *cur, const struct histogram *prev)
{
	for (unsigned int i = 0; i < HIST_BUCKETS; i++)
		dst->buckets[i] = cur->buckets[i] - prev->buckets[i];
}

uint64_t hist_count(const struct histogram *h)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < HIST_BUCKETS; i++)
		n += h->buckets[i];
	return n;
}

uint64_t hist_quantile(const struct histogram *h, double q, uint64_t max_ns)
{
	uint64_t total = hist_count(h), rank, seen = 0;
	uint64_t lo, hi, mid;
	unsigned int i;

	if (!total)
		return 0;
	if (q <= 0)
		q = 1e-12;
	if (q > 1)
		q = 1;
	rank = (uint64_t)ceil(q * (double)total);
	if (rank < 1)
		rank = 1;
	/* The largest observation is known exactly. */
	if (rank >= total && max_ns)
		return max_ns;
	for (i = 0; i < HIST_BUCKETS - 1; i++) {
		seen += h->buckets[i];
		if (seen >= rank)
			break;
	}
	lo = hist_bucket_lower(i);
	hi = i == HIST_BUCKETS - 1 ? lo * 2 : hist_bucket_upper(i);
	/* Integer buckets hold lo..hi-1; the midpoint of that range. */
	mid = lo + (hi - 1 - lo) / 2;
	if (max_ns && mid > max_ns)
		mid = max_ns < lo ? lo : max_ns;
	return mid;
}

uint64_t hist_max_bound(const struct histogram *h)
{
	for (unsigned int i = HIST_BUCKETS; i-- > 0;)
		if (h->buckets[i])
			return i == HIST_BUCKETS - 1 ? UINT64_MAX : hist_bucket_upper(i) - 1;
	return 0;
}
