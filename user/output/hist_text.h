/* SPDX-License-Identifier: MIT */
/*
 * A histogram as text rows with bars, one row per power-of-two octave, or,
 * when every observation is in one octave, one per log-linear bucket of it.
 * The plain report prints them; the live view draws the same rows on screen.
 */
#ifndef BPFPROF_HIST_TEXT_H
#define BPFPROF_HIST_TEXT_H

#include <stddef.h>
#include <stdio.h>
#include "collect/histogram.h"

#define HIST_OCTAVES (HIST_MAX_OCTAVE + 1)

/* Observations in [lo_ns, hi_ns). */
struct hist_octave_row {
	uint64_t lo_ns;
	uint64_t hi_ns;
	uint64_t count;
};

/*
 * The octave rows of h from the first to the last non-empty one; when there
 * are more than max_rows, the window around the busiest octaves. Returns the
 * number of rows written to rows (at most HIST_OCTAVES), and the largest
 * count among all octaves in *peak.
 */
int hist_octave_rows(const struct histogram *h, int max_rows, struct hist_octave_row *rows,
		     uint64_t *peak);
/* Rows from the first to the last non-empty one (before any cap). */
int hist_octave_span(const struct histogram *h);

/* "   1.05ms .. 2.10ms     |#####     | 90": bar scaled to peak, bar_width
 * characters between the bars. */
char *hist_format_row(char *buf, size_t len, const struct hist_octave_row *r, uint64_t peak,
		      int bar_width);

/* At most max_rows rows (the busiest octaves and those between them);
 * bars up to bar_width characters. */
void hist_print_bars(FILE *f, const struct histogram *h, const char *indent, int bar_width,
		     int max_rows);

#endif
