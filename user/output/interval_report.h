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

#endif
