/* SPDX-License-Identifier: MIT */
/*
 * What a probe costs a call before any BPF program body runs: the syscall
 * tracepoints' dispatch, and a uprobe's trap, return hijack and dispatch for
 * each way the kernel can run the probed instruction. BPF run-time stats
 * measure only the program bodies; these fill in the rest, so the cost
 * bpfprof reports for itself is what the target pays.
 *
 * Measured at start, in bpfprof's own process: uprobes with empty programs
 * (bpf/calib.bpf.c) on a few thousand calls of local functions with and
 * without a probe; the syscall hooks by timing bpfprof's own syscalls before
 * and after its programs attach (they return at once for bpfprof itself).
 * No extra program is ever attached to the syscall tracepoints: that would
 * disturb other tracers on the machine. The least of three rounds each, in
 * thread CPU time.
 */
#ifndef BPFPROF_PROBE_CALIBRATION_H
#define BPFPROF_PROBE_CALIBRATION_H

#include <stdbool.h>
#include "probes/symbols.h"
#include "probes/uprobe_link.h"

#define ENTRY_KINDS 3

struct probe_calibration {
	/* ns a syscall pays for the sys_enter and sys_exit hooks (and a program
	 * that returns at once); < 0: not measured */
	double syscall_ns;
	/* program time the BPF run-time stats report for one untraced syscall
	 * (both programs returning at once): the stats' own share; <= 0 unknown */
	double syscall_stats_ns;
	/* ns a call pays for an entry + return probe, by entry kind; < 0: not measured */
	double stage_ns[ENTRY_KINDS];
	/* the same with the return skipped: a session probe switched off */
	double stage_off_ns[ENTRY_KINDS];
	enum uprobe_link_kind link_kind;
	/* ns a call pays for return-site probes: an emulated entry probe and
	 * one on its ret (single-stepped); < 0: not measured */
	double site_ns;
};

/*
 * Measures the uprobe cost of each entry kind k with kinds[k] set, for links
 * of kind link_kind; sets syscall_ns to -1. What cannot be measured stays < 0.
 * Takes ~10-50 ms (more with single-stepped kinds). 0, or -errno with err
 * set (c then holds what was measured).
 */
int probe_calibrate(struct probe_calibration *c, const bool kinds[ENTRY_KINDS],
		    enum uprobe_link_kind link_kind, char *err, size_t errlen);

/*
 * Measures site_ns with plain uprobes (multi links where the kernel has
 * them, else perf links). ~10 ms. 0, or -errno with err set.
 */
int probe_calibrate_return_sites(struct probe_calibration *c, enum uprobe_link_kind link_kind,
				 char *err, size_t errlen);

/* What the real stage programs cost a call of one entry kind. */
struct stage_prog_cal {
	bool measured;
	double window_ns;  /* between a call's two timestamps: inside its measured time */
	double full_ns;	   /* all a call pays: what its callers' times hold */
	double program_ns; /* the programs' run time per call as BPF stats see it; < 0 unknown */
};

struct bpfprof_bpf;

/*
 * Times the loaded stage programs of skel (links of kind link_kind) on
 * bpfprof's own calls, for each entry kind with kinds[k], as stage 0, before
 * any stage probe is attached: their maps and audit counts are left as they
 * were (--sample skips none of them). 0, or -errno with err set.
 */
int probe_calibrate_stages(struct bpfprof_bpf *skel, enum uprobe_link_kind link_kind,
			   const bool kinds[ENTRY_KINDS], struct stage_prog_cal out[ENTRY_KINDS],
			   char *err, size_t errlen);

/* ns per getppid() of this thread (the least of three rounds of 20000):
 * once before the syscall programs attach and once after, the difference is
 * syscall_ns. */
double probe_time_syscall(void);

#endif
