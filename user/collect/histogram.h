/* SPDX-License-Identifier: MIT */
/*
 * The one latency histogram every output uses: the log-linear layout of
 * bpf/hist_layout.h, with counts, percentiles and interval deltas.
 */
#ifndef BPFPROF_HISTOGRAM_H
#define BPFPROF_HISTOGRAM_H

#include <stdint.h>
#include "hist_layout.h"

struct histogram {
	uint64_t buckets[HIST_BUCKETS];
};

void hist_record(struct histogram *h, uint64_t value_ns);
void hist_add(struct histogram *dst, const struct histogram *src);
/* dst = cur - prev, bucket by bucket (cur is a later reading of the same
 * monotonic counters, so no bucket goes negative). */
void hist_delta(struct histogram *dst, const struct histogram *cur, const struct histogram *prev);
uint64_t hist_count(const struct histogram *h);

/*
 * The value at quantile q (0 < q <= 1): the midpoint of the bucket that holds
 * the observation of rank ceil(q * count), clamped to [bucket's lower bound,
 * max_ns] when max_ns is known (non-zero). 0 for an empty histogram.
 */
uint64_t hist_quantile(const struct histogram *h, double q, uint64_t max_ns);

/* Upper bound of the highest non-empty bucket, as the largest integer it
 * holds; 0 when empty. */
uint64_t hist_max_bound(const struct histogram *h);

#endif
