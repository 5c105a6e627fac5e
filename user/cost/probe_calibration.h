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
#include "bpfprof.h" /* PROBE_MECH_MAX */

#define ENTRY_KINDS 3

/* How the end of a stage call is seen, as far as its cost goes. */
enum return_kind {
	RETURN_PROBE,	 /* a uretprobe, or a session's return */
	RETURN_SITES,	 /* plain uprobes on the rets, per thread */
	RETURN_GO_SITES, /* the same, per goroutine */
	RETURN_KINDS,
};

/* A probe mechanism: an entry kind and a return kind; the index of the BPF
 * side's probe_costs entry. */
#define PROBE_MECHS (ENTRY_KINDS * RETURN_KINDS)
static inline unsigned int probe_mech(enum entry_kind k, enum return_kind r)
{
	return (unsigned int)k + ENTRY_KINDS * (unsigned int)r;
}
static inline enum entry_kind probe_mech_entry(unsigned int m)
{
	return (enum entry_kind)(m % ENTRY_KINDS);
}
static inline enum return_kind probe_mech_return(unsigned int m)
{
	return (enum return_kind)(m / ENTRY_KINDS);
}

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
	/* What a call pays more while the kernel's BPF stats are on (a cost
	 * window: two clock reads around each program run), inside its
	 * measured time and all of it; 0: not measured. */
	double stats_window_extra_ns, stats_full_extra_ns;
};

struct bpfprof_bpf;

/* probe_costs slots past the corrected ones take nothing off: the raw
 * times the calibration measures, whatever the correction is by then. */
#define PROBE_MECH_RAW(m) ((m) + PROBE_MECH_MAX / 2)
_Static_assert(PROBE_MECHS <= PROBE_MECH_MAX / 2, "probe_costs slots");

/*
 * The loaded stage programs of skel on bpfprof's own calls, for each
 * mechanism in use, recorded as the stage id past the target's (the
 * loader's stage maps have room for it). Attached once, before the
 * capabilities go, and kept for the run (only bpfprof's calibration thread
 * calls those functions); the calibration can then run again at any time.
 */
struct stage_calibrator {
	struct bpfprof_bpf *skel;
	enum uprobe_link_kind link_kind;
	uint32_t stage;
	int ncpus;
	int cancel; /* atomic: a run in progress stops at its next step */
	bool on[PROBE_MECHS];
	struct uprobe_link links[PROBE_MECHS][2];
	const struct bpf_program *pe[PROBE_MECHS], *pr[PROBE_MECHS];
};

/* 0, or -errno with err set (nothing then stays attached). */
int stage_calibrator_open(struct stage_calibrator *sc, struct bpfprof_bpf *skel,
			  enum uprobe_link_kind link_kind, const bool mechs[PROBE_MECHS], char *err,
			  size_t errlen);
/*
 * Times each mechanism on a thread of its own (~40 ms each; single-stepped
 * ones more) and leaves the maps as they were; the BPF side counts no audit
 * slot and emits no span for it. program_time: also the programs' run time
 * as BPF stats see it (needs CAP_SYS_ADMIN: at start). 0, or -errno with
 * err set.
 */
int stage_calibrator_run(struct stage_calibrator *sc, bool program_time,
			 struct stage_prog_cal out[PROBE_MECHS], char *err, size_t errlen);
/* From another thread: a run in progress (and any later one) stops at its
 * next round of calls with -ECANCELED, leaving the maps as they were. */
void stage_calibrator_cancel(struct stage_calibrator *sc);
void stage_calibrator_close(struct stage_calibrator *sc);

/* ns per getppid() of this thread (the least of three rounds of 20000):
 * once before the syscall programs attach and once after, the difference is
 * syscall_ns. */
double probe_time_syscall(void);

#endif
