/* SPDX-License-Identifier: MIT */
/*
 * The function's own time: stage durations, self times, histograms,
 * percentiles and spans without what the probes cost. A probed call's
 * measured time holds the part of its own entry and return probes that
 * falls between their timestamps, and everything the probes of the stage
 * calls made inside it cost. Both are calibrated at start, per probe
 * mechanism, with the real stage programs on bpfprof's own calls
 * (stage_calibrator), and the BPF side takes them off each call as it
 * returns (bpf: probe_clock). Mechanisms: entry kind x return probe, return
 * sites per thread, return sites per goroutine. The run's cost windows
 * measure the programs again on the target's calls (what they take more or
 * less than on bpfprof's is added), and every few seconds, right after a
 * cost window closes, the whole calibration runs again (the kernel's share
 * of a probe moves with the machine's load): the figures follow the median
 * of the last few. --raw-times leaves the times as measured.
 *
 * The calibrations during the run take ~20-50 ms per mechanism (more for
 * return sites): they run on a thread of their own (the recalibration
 * thread), so the run loop never waits for one. The loop asks for one right
 * after a cost window closes and opens no window while it runs
 * (time_correction_busy), so the calibration's calls are in no window.
 * The figures, their ranges and counters, and the BPF side's probe_costs
 * are written under tc->lock by whichever thread has new figures (the loop
 * at a flush, the recalibration thread when a calibration is done).
 */
#ifndef BPFPROF_TIME_CORRECTION_H
#define BPFPROF_TIME_CORRECTION_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include "cost/probe_calibration.h"
#include "output/records.h"
#include "probes/stages.h"

struct bpfprof_bpf;

/* Calibrated again every TC_RECAL_PERIOD_S; the figures used are the
 * medians of the last TC_RECAL_KEEP calibrations (the start's among them
 * until as many newer ones replace it), so one noisy one moves nothing. */
#define TC_RECAL_PERIOD_S 3
#define TC_RECAL_KEEP 5
/* Calibrations at start, of which each figure's least is kept. */
#define TC_START_RUNS 3

struct time_correction {
	struct bpfprof_bpf *skel;
	bool raw;     /* --raw-times */
	bool applied; /* the correction is in the BPF side's figures */
	bool sampled; /* --sample: the cost windows do not adjust it */
	enum uprobe_link_kind link_kind;
	struct stage_calibrator calibrator;	/* attached for the run; skel NULL: none */
	struct stage_prog_cal cal[PROBE_MECHS]; /* as calibrated at start */
	/* Per call now: after the cost windows and the calibrations since. */
	double full_ns[PROBE_MECHS], window_ns[PROBE_MECHS];
	/* The calibrations kept (a ring once full; full 0: not measured). */
	double recal_full[TC_RECAL_KEEP][PROBE_MECHS], recal_window[TC_RECAL_KEEP][PROBE_MECHS];
	unsigned int recal_kept, recal_next;
	double last_recal_s, recal_first_s; /* the run loop's own */
	unsigned int recalibrations, recal_failed;
	bool recal_seen[PROBE_MECHS];
	double recal_full_min[PROBE_MECHS], recal_full_max[PROBE_MECHS],
		recal_full_last[PROBE_MECHS];
	/* What was handed to the BPF side over the run. */
	bool published[PROBE_MECHS];
	double full_min[PROBE_MECHS], full_max[PROBE_MECHS];
	double window_min[PROBE_MECHS], window_max[PROBE_MECHS];
	double skipped_ns[PROBE_MECHS];
	double program_ns;     /* the stage programs per call in the last window; < 0 none */
	double cal_program_ns; /* the same at calibration, over the mechanisms in use */
	unsigned int windows;  /* cost windows that adjusted it */
	bool stats_on;	       /* a cost window is open: the stats' extra is taken off too */
	size_t uncorrected;    /* functions whose mechanism could not be calibrated */
	/* The recalibration thread. lock guards what the calibrations and the
	 * windows change (full_ns to windows above, but skipped_ns,
	 * cal_program_ns and the run loop's own) and the BPF side's
	 * probe_costs; the rest is set at start and only read after. */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool thread_on, thread_failed; /* the run loop's own */
	bool want, quit;	       /* under lock: a calibration asked for; stop */
	FILE *recal_log;	       /* under lock: where its warning goes */
	bool busy;		       /* atomic: asked for and not done yet */
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
/* Before a cost window turns the BPF stats on (on) and after it turns them
 * off: while they are on, what they add to each call is taken off too. */
void time_correction_stats(struct time_correction *tc, bool on);
/* At each flush: a cost window measured the stage programs at program_ns
 * per call (< 0: none did). */
void time_correction_window(struct time_correction *tc, double program_ns);
/* Asks the recalibration thread (started by the first call that asks) to
 * calibrate again when TC_RECAL_PERIOD_S have passed since the last time
 * (now_s: the monotonic clock) and the last is done; returns at once. Call
 * it where no cost window is open, and open none while
 * time_correction_busy(). */
void time_correction_recalibrate(struct time_correction *tc, double now_s, FILE *log);
/* A calibration asked for is not done yet: its calls may be running. */
bool time_correction_busy(const struct time_correction *tc);
/* The end of the run (any way out, before the BPF objects go; again is
 * harmless): a calibration running stops at its next round, the thread is
 * joined, the calibration's probes go. */
void time_correction_stop(struct time_correction *tc);
/* For the summary's audit.time_correction: what was taken off, per
 * mechanism calibrated (mechs holds them); false without stages. */
bool time_correction_describe(struct time_correction *tc, struct time_correction_record *r,
			      struct time_correction_mech mechs[PROBE_MECHS]);

#endif
