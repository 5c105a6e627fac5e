/* SPDX-License-Identifier: MIT */
/*
 * Switching the stage probes (-u) off and on while they stay attached: by
 * SIGUSR1, the live view's t key, or --max-overhead. Every change is logged
 * (stderr, unless -q) and the time spent on is kept for the flush records.
 *
 * --max-overhead PCT: at each flush, when the stage probes cost the traced
 * processes more than PCT% of their CPU time over the interval, they are
 * switched off; while off, the cost they would have at the last measured
 * per-call figures is estimated from the calls still seen (the probes stay
 * attached and count), and they go back on once that falls below PCT/2 (the
 * hysteresis keeps them from flapping around the limit); an interval with a
 * toggle in it, or with no calls seen, decides nothing. A manual toggle
 * takes over from the limit until the next interval over it.
 */
#ifndef BPFPROF_STAGE_CONTROL_H
#define BPFPROF_STAGE_CONTROL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct bpfprof_bpf;

struct stage_control {
	struct bpfprof_bpf *skel; /* NULL: no stage probes (-u not given) */
	FILE *log;		  /* NULL: quiet */
	double max_overhead_pct;  /* 0: no limit */
	bool auto_off;		  /* off because of --max-overhead */
	uint64_t toggles;	  /* changes since the start */
	uint64_t interval_toggles;
	double on_s;	   /* time on in the current interval */
	double since_mono; /* last change or interval start */
};

/* Logs the state the probes start in. skel NULL: nothing to control. */
void stage_control_init(struct stage_control *c, struct bpfprof_bpf *skel, double max_overhead_pct,
			FILE *log);
bool stage_control_enabled(const struct stage_control *c);

/* Switch on or off (no-op when already so), saying why in the log line. */
void stage_control_set(struct stage_control *c, bool on, const char *why);
/* Flip the state: what SIGUSR1 and the live view's t key call. Returns the new state. */
bool stage_control_toggle(struct stage_control *c, const char *why);

/*
 * --max-overhead at a flush: stage_pct is the stage probes' measured cost as
 * a share of the target's CPU time over the interval (< 0: unknown, nothing
 * changes); when off, the share they would cost if on.
 */
void stage_control_check_overhead(struct stage_control *c, double stage_pct);

/* Seconds on and toggles since the last call; starts the next interval. */
void stage_control_interval(struct stage_control *c, double *on_s, uint64_t *toggles);

#endif
