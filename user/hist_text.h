/* SPDX-License-Identifier: MIT */
/* A histogram as text rows with bars, one row per power-of-two octave. */
#ifndef BPFPROF_HIST_TEXT_H
#define BPFPROF_HIST_TEXT_H

#include <stdio.h>
#include "histogram.h"

/* At most max_rows rows (the busiest octaves and those between them);
 * bars up to bar_width characters. */
void hist_print_bars(FILE *f, const struct histogram *h, const char *indent, int bar_width,
		     int max_rows);

#endif
