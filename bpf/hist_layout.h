/* SPDX-License-Identifier: MIT */
/*
 * Log-linear latency histogram layout, shared by the BPF programs (which
 * bucket every observation) and userspace (which reads bucket bounds back).
 * Pure integer arithmetic, no helpers, so both sides compile the same code.
 *
 * Values are nanoseconds.
 *   - 0..15 ns: one bucket per nanosecond (buckets 0..15).
 *   - 16 ns and up: each power-of-two octave [2^k, 2^(k+1)) is split into
 *     HIST_SUB_BUCKETS (16) equal sub-buckets. Bucket i >= 16 covers
 *     [(16 + s) << (k - 4), (17 + s) << (k - 4)) with k = i / 16 + 3 and
 *     s = i % 16.
 *   - A bucket is at most 1/16 of its lower bound wide, so a percentile read
 *     back as a point inside its bucket is within 6.25% in the worst case and
 *     within 3.2% when read at the midpoint (the userspace reader does that,
 *     and clamps to the exact max).
 *   - The last bucket also takes everything >= 2^HIST_MAX_OCTAVE ns (275 s).
 *
 * 560 buckets of u64: 4480 bytes per histogram.
 */
#ifndef BPFPROF_HIST_LAYOUT_H
#define BPFPROF_HIST_LAYOUT_H

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define HIST_SUB_BITS 4
#define HIST_SUB_BUCKETS (1 << HIST_SUB_BITS)
#define HIST_MAX_OCTAVE 38
#define HIST_BUCKETS ((HIST_MAX_OCTAVE - HIST_SUB_BITS + 1) * HIST_SUB_BUCKETS)

/* Index of the most significant set bit of v (v > 0), by binary search:
 * the BPF backend has no count-leading-zeros instruction. */
static __always_inline unsigned int hist_msb(unsigned long long v)
{
	unsigned int r = 0;

	if (v >> 32) {
		v >>= 32;
		r += 32;
	}
	if (v >> 16) {
		v >>= 16;
		r += 16;
	}
	if (v >> 8) {
		v >>= 8;
		r += 8;
	}
	if (v >> 4) {
		v >>= 4;
		r += 4;
	}
	if (v >> 2) {
		v >>= 2;
		r += 2;
	}
	if (v >> 1)
		r += 1;
	return r;
}

static __always_inline unsigned int hist_bucket(unsigned long long v)
{
	unsigned int k;

	if (v < HIST_SUB_BUCKETS)
		return (unsigned int)v;
	k = hist_msb(v);
	if (k >= HIST_MAX_OCTAVE)
		return HIST_BUCKETS - 1;
	return (k - HIST_SUB_BITS + 1) * HIST_SUB_BUCKETS +
	       (unsigned int)((v >> (k - HIST_SUB_BITS)) & (HIST_SUB_BUCKETS - 1));
}

/* Smallest value that lands in bucket i. */
static __always_inline unsigned long long hist_bucket_lower(unsigned int i)
{
	unsigned int k, s;

	if (i < HIST_SUB_BUCKETS)
		return i;
	k = i / HIST_SUB_BUCKETS + HIST_SUB_BITS - 1;
	s = i % HIST_SUB_BUCKETS;
	return (unsigned long long)(HIST_SUB_BUCKETS + s) << (k - HIST_SUB_BITS);
}

/* One past the largest value bucket i holds (the last bucket is open). */
static __always_inline unsigned long long hist_bucket_upper(unsigned int i)
{
	unsigned int k, s;

	if (i < HIST_SUB_BUCKETS)
		return i + 1ULL;
	k = i / HIST_SUB_BUCKETS + HIST_SUB_BITS - 1;
	s = i % HIST_SUB_BUCKETS;
	return (unsigned long long)(HIST_SUB_BUCKETS + s + 1) << (k - HIST_SUB_BITS);
}

#endif /* BPFPROF_HIST_LAYOUT_H */
