/* SPDX-License-Identifier: MIT */
/* Reads the kernel side's maps into a profile snapshot. */
#ifndef BPFPROF_COLLECTOR_H
#define BPFPROF_COLLECTOR_H

#include "profile.h"

struct collector_maps {
	int sys_stats;
	int io_stats;
	int procs;
	int audit;
	int stage_stats; /* -1 when no stages are profiled */
};

struct collector;

struct collector *collector_new(const struct collector_maps *maps);
void collector_free(struct collector *c);
/* Replace snap's contents with the counters as they are now (summed over
 * CPUs). Returns 0 or -errno. */
int collector_read(struct collector *c, struct profile *snap);

#endif
