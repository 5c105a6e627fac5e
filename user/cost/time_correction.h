/* SPDX-License-Identifier: MIT */
/*
 * The function's own time: stage durations, self times, histograms,
 * percentiles and spans without what the probes cost. A probed call's
 * measured time holds the part of its own entry and return probes that
 * falls between their timestamps, and everything the probes of the stage
 * calls made inside it cost. Both are calibrated at start, per probe
 * mechanism, with the real stage programs on bpfprof's own calls
 * (probe_calibrate_stages), and the BPF side takes them off each call as it
 * returns (bpf: probe_clock). Mechanisms: entry kind x return probe, return
 * sites per thread, return sites per goroutine. The run's cost windows
 * measure the programs again on the target's calls, and a thread times the
 * kernel's machinery again every few seconds (probe_recheck.h): what either
 * takes more or less than at start is added to the per-call figure at each
 * flush. --raw-times leaves the times as measured.
 */
#ifndef BPFPROF_TIME_CORRECTION_H
#define BPFPROF_TIME_CORRECTION_H

#include <stdbool.h>
#include <stdio.h>
#include "cost/probe_calibration.h"
#include "cost/probe_recheck.h"
#include "output/records.h"
#include "probes/stages.h"

struct bpfprof_bpf;

struct time_correction {
	struct bpfprof_bpf *skel;
	bool raw;     /* --raw-times */
	bool applied; /* the correction is in the BPF side's figures */
	bool sampled; /* --sample: the cost windows do not adjust it */
	enum uprobe_link_kind link_kind;
	struct stage_prog_cal cal[PROBE_MECHS]; /* as calibrated */
	/* Per call now: after the cost windows and the rechecks. */
	double full_ns[PROBE_MECHS], window_ns[PROBE_MECHS];
	double machinery_delta_ns[PROBE_MECHS]; /* the rechecks' last word */
	/* What was handed to the BPF side over the run. */
	bool published[PROBE_MECHS];
	double full_min[PROBE_MECHS], full_max[PROBE_MECHS];
	double window_min[PROBE_MECHS], window_max[PROBE_MECHS];
	double skipped_ns[PROBE_MECHS];
	double program_ns;     /* the stage programs per call in the last window; < 0 none */
	double cal_program_ns; /* the same at calibration, over the mechanisms in use */
	unsigned int windows;  /* cost windows that adjusted it */
	size_t uncorrected;    /* functions whose mechanism could not be calibrated */
	struct probe_recheck recheck;
};

/* A stage's probe mechanism: the index of its probe_costs entry. */
unsigned int stage_probe_mechanism(const struct stage_def *d);

/*
 * After the skeleton is loaded and the syscall programs attached, before any
 * stage probe: gives each stage its mechanism, calibrates the ones in use
 * and (unless raw) hands the BPF side the correction. cal holds the
 * machinery cost of a skipped call (probe_calibrate). Logs a line to log
 * (NULL: quiet). On failure the times stay raw, with a warning.
 */
void time_correction_start(struct time_correction *tc, struct bpfprof_bpf *skel,
			   const struct stage_table *t, enum uprobe_link_kind link_kind,
			   unsigned int sample_every, bool raw, const struct probe_calibration *cal,
			   FILE *log);
/* At each flush: a cost window measured the stage programs at program_ns
 * per call (< 0: none did); the rechecks' figures are folded in too. */
void time_correction_window(struct time_correction *tc, double program_ns);
/* Profiling starts, the capabilities gone: the recheck thread starts. */
void time_correction_run(struct time_correction *tc, FILE *log);
/* The end of the run: the recheck thread stops. */
void time_correction_stop(struct time_correction *tc);
/* For the summary's audit.time_correction: what was taken off, per
 * mechanism calibrated (mechs holds them); false without stages. */
bool time_correction_describe(const struct time_correction *tc, struct time_correction_record *r,
			      struct time_correction_mech mechs[PROBE_MECHS]);

#endif
