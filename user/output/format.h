/* SPDX-License-Identifier: MIT */
/* Human-readable figures for the text outputs: the plain report, the live
 * view and `bpfprof report` all write numbers with these. */
#ifndef BPFPROF_FORMAT_H
#define BPFPROF_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include "bpfprof.h"

/* "812ns", "1.25us", "3.40ms", "2.00s" */
char *fmt_duration(uint64_t ns, char *buf, size_t len);
/* "512B", "97.7KiB", "1.00MiB" */
char *fmt_bytes(uint64_t bytes, char *buf, size_t len);
/* "999", "12.3K", "4.56M", "1.23G" (per second or counts). */
char *fmt_rate(double v, char *buf, size_t len);
/* Exact below 10 million, then "12.35M". */
char *fmt_count(uint64_t v, char *buf, size_t len);
/* part of all as "62%", "0.4%", "<0.1%", "99.8%": never 0 or 100 unless
 * it is; "-" when all is 0. */
char *fmt_share(uint64_t part, uint64_t all, char *buf, size_t len);
/* "42s", "3m04s", "2h05m", "3d04h" */
char *fmt_uptime(double s, char *buf, size_t len);

/* Where a stage's (or a call's) self time went, compactly: "cpu 62% runq 3%
 * blocked 35% (io 30% lock 5%)", shares of on CPU + runqueue + blocked;
 * only the blocked parts that are not 0. "-" when all are 0. */
char *fmt_wall_split(const struct wall_stats *w, char *buf, size_t len);

#endif
