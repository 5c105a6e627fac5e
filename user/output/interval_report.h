/* SPDX-License-Identifier: MIT */
/* The plain text report: one block per interval, and the totals at the end. */
#ifndef BPFPROF_INTERVAL_REPORT_H
#define BPFPROF_INTERVAL_REPORT_H

#include <stdio.h>
#include "collect/profile.h"
#include "probes/stages.h"

/* title: "interval 3 (1.00s)" or "total (12.04s)" */
void interval_report_print(FILE *f, const char *title, const struct profile *p, double seconds,
			   const struct stage_table *stages);

/* The same, with at most top processes (0: all), the busiest first (syscalls
 * and stage calls), and a line counting the rest. syscalls_counted false
 * (--stages-only): no syscall figures at all, not zeros. */
void interval_report_print_top(FILE *f, const char *title, const struct profile *p, double seconds,
			       const struct stage_table *stages, size_t top, bool syscalls_counted);

#endif
