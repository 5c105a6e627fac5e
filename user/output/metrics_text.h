/* SPDX-License-Identifier: MIT */
/*
 * The Prometheus text exposition (format 0.0.4) of a cumulative profile:
 * what /metrics serves. Pure rendering, no server, so it is unit-tested
 * directly and validated with promtool.
 */
#ifndef BPFPROF_METRICS_TEXT_H
#define BPFPROF_METRICS_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include "collect/profile.h"
#include "probes/stages.h"

/* Histogram le bounds: 2^k - 1 ns for k in this range (256 ns .. 68.7 s),
 * then +Inf. Every power of two is a bucket boundary of the kernel's
 * layout, so the count of observations <= 2^k - 1 ns is exact. */
#define METRICS_LE_FIRST_OCTAVE 8
#define METRICS_LE_LAST_OCTAVE 36

/* What the profiling itself costs (bpfprof's own process). */
struct self_cost {
	uint64_t user_ns;
	uint64_t system_ns;
	uint64_t rss_bytes;	/* now */
	uint64_t max_rss_bytes; /* peak */
};

struct metrics_input {
	const struct profile *total;	  /* cumulative counters */
	const struct stage_table *stages; /* NULL without -u */
	uint64_t flushes;
	const struct self_cost *self; /* NULL: left out */
};

/* bpfprof's own CPU time and memory, now. */
void self_cost_read(struct self_cost *c);

/* The exposition text, NUL-terminated, malloc'd (len without the NUL);
 * NULL on ENOMEM. */
char *metrics_render(const struct metrics_input *in, size_t *len);

/* A label value escaped for the exposition format (\\, \", \n; bytes that
 * are not UTF-8 become U+FFFD). Returns the length it needed; the output is
 * truncated (still NUL-terminated) when that is >= size. */
size_t metrics_escape_label(const char *in, char *out, size_t size);

/* Seconds from nanoseconds, exactly in decimal ("1.5", "0.000000255"). */
char *metrics_seconds(uint64_t ns, char *buf, size_t len);

#endif
