/* SPDX-License-Identifier: MIT */
/* Reads the kernel side's maps into a profile snapshot. */
#ifndef BPFPROF_COLLECTOR_H
#define BPFPROF_COLLECTOR_H

#include "collect/profile.h"
#include "probes/stages.h"

struct collector_maps {
	/* One target: its counters are the arrays, indexed by syscall number,
	 * I/O slot and stage id. 0: the hashes, keyed by process. */
	uint32_t one_target_tgid;
	int sys_stats, sys_counts;
	int io_stats, io_counts;
	int stage_stats, stage_counts; /* -1 when no stages are profiled */
	uint32_t n_stages; /* in stage_counts */
	/* One target with -U ...@N: the ids from n_stages on (the names')
	 * count in stage_stats, allocated as met: an array would hold ~4.5 KB
	 * per CPU for each id kept for a name. */
	bool named_in_hash;
	int proc_wall, proc_wall_counts; /* -1: no wall time */
	int procs;
	int audit;
	int exited; /* processes that exited (the hashes only), or -1 */
	int traced; /* --follow's traced processes, or -1 */
	uint32_t sample_every; /* stage calls recorded 1 in N: scaled as read */
	/* The stage table, or NULL: one target's ids that -U ...@N keeps for
	 * names not met yet are not read (each is a per-CPU value of ~4.5 KB). */
	const struct stage_table *stages;
};

struct collector;

struct collector *collector_new(const struct collector_maps *maps);
void collector_free(struct collector *c);
/* Replace snap's contents with the counters as they are now (summed over
 * CPUs). Returns 0 or -errno. */
int collector_read(struct collector *c, struct profile *snap);

#endif
