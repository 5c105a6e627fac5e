/* SPDX-License-Identifier: MIT */
/*
 * The probe machinery timed again during the run (issue: the kernel's share
 * of a probe moved between 770 and 1800 ns with the machine's load, and a
 * correction calibrated once at start drifted by as much). A thread of
 * bpfprof's times empty probes on its own functions (machinery_measure)
 * three times at start, for a baseline, then every RECHECK_PERIOD_S on the
 * CPUs the target may use; the median of the last RECHECK_KEEP measurements
 * less the baseline is how far the machinery has moved, so one noisy
 * measurement does not swing the correction.
 */
#ifndef BPFPROF_PROBE_RECHECK_H
#define BPFPROF_PROBE_RECHECK_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>
#include "cost/probe_calibration.h"

#define RECHECK_PERIOD_S 2
#define RECHECK_KEEP 5

struct probe_recheck {
	struct machinery_probes mp;
	pid_t target; /* > 0: run on its CPUs */
	pthread_t thread;
	bool opened, running;
	bool inited; /* lock and figures valid: after a start, until the end */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	/* Under lock. */
	bool have_base;
	double base[PROBE_MECHS];		  /* at start: the median of three */
	double recent[RECHECK_KEEP][PROBE_MECHS]; /* a ring */
	unsigned int measured;			  /* after the baseline */
	double min[PROBE_MECHS], max[PROBE_MECHS], last[PROBE_MECHS];
};

/* Attaches, before the capabilities go. 0 or -errno with err set. */
int probe_recheck_open(struct probe_recheck *r, enum uprobe_link_kind link_kind,
		       const bool mechs[PROBE_MECHS], pid_t target, char *err, size_t errlen);
/* Starts the thread, after the capabilities went (a thread keeps the ones
 * it was made with). 0 (also when not opened) or -errno with err set. */
int probe_recheck_run(struct probe_recheck *r, char *err, size_t errlen);
/* How far mechanism m's machinery has moved since the baseline, smoothed;
 * false while there is none (no baseline yet, or m is not measured). */
bool probe_recheck_delta(struct probe_recheck *r, unsigned int m, double *delta);
/* The figures so far, for the summary: false when m has none. */
bool probe_recheck_figures(struct probe_recheck *r, unsigned int m, double *base, double *last,
			   double *min, double *max, unsigned int *measured);
/* Stops the thread and detaches; the figures stay readable. */
void probe_recheck_stop(struct probe_recheck *r);

#endif
