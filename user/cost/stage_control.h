/* SPDX-License-Identifier: MIT */
/*
 * Switching the stage probes (-u) off and on: by SIGUSR1, the live view's t
 * key, or --max-overhead. Off detaches them (stage_switch.h) after the BPF
 * flag stops them at once; on attaches them again, then sets the flag.
 * Every change is logged (stderr, unless -q) with what it took, and the time
 * spent on is kept for the flush records.
 *
 * --max-overhead PCT: at each flush, when the stage probes cost the traced
 * processes more than PCT% of their CPU time over the interval, they are
 * switched off. Detached, they see no calls to estimate their cost from, so
 * after OVERHEAD_RETRY_FIRST intervals off they are tried again; a trial
 * that is over the limit again doubles the wait (up to OVERHEAD_RETRY_MAX
 * intervals). Where the probes stay attached while off (perf-event links)
 * and an estimate from the calls seen falls below PCT/2, they go back on at
 * once. An interval with a toggle in it decides nothing, so the limit
 * changes the state at most once every two intervals. A manual toggle takes
 * over from the limit until the next interval over it.
 */
#ifndef BPFPROF_STAGE_CONTROL_H
#define BPFPROF_STAGE_CONTROL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define OVERHEAD_RETRY_FIRST 4
#define OVERHEAD_RETRY_MAX 64

struct bpfprof_bpf;
struct stage_switch;

struct stage_control {
	struct bpfprof_bpf *skel; /* NULL: no stage probes (-u not given) */
	struct stage_switch *sw;  /* NULL: the flag only (tests) */
	FILE *log;		  /* NULL: quiet */
	double max_overhead_pct;  /* 0: no limit */
	bool auto_off;		  /* off because of --max-overhead */
	bool trial;		  /* on again by --max-overhead, not yet judged */
	unsigned int off_intervals; /* flushes since --max-overhead switched off */
	unsigned int retry_after;   /* and how many it waits before a trial */
	uint64_t toggles;	  /* changes since the start */
	uint64_t interval_toggles;
	double on_s;	   /* time on in the current interval */
	double since_mono; /* last change or interval start */
};

/* Logs the state the probes start in. skel NULL: nothing to control. */
void stage_control_init(struct stage_control *c, struct bpfprof_bpf *skel, double max_overhead_pct,
			FILE *log);
bool stage_control_enabled(const struct stage_control *c);
/* Counting started: the time on counts from now. */
void stage_control_restart(struct stage_control *c);

/* Off and on attach and detach through sw from now on. */
void stage_control_set_switch(struct stage_control *c, struct stage_switch *sw);

/* Switch on or off (no-op when already so), saying why in the log line. */
void stage_control_set(struct stage_control *c, bool on, const char *why);
/* Flip the state: what SIGUSR1 and the live view's t key call. Returns the new state. */
bool stage_control_toggle(struct stage_control *c, const char *why);

/*
 * --max-overhead at a flush: stage_pct is the stage probes' measured cost as
 * a share of the target's CPU time over the interval (< 0: unknown, nothing
 * changes); when off, the share they would cost if on (< 0 when nothing
 * tells: detached, they see no calls).
 */
void stage_control_check_overhead(struct stage_control *c, double stage_pct);

/* Seconds on and toggles since the last call; starts the next interval. */
void stage_control_interval(struct stage_control *c, double *on_s, uint64_t *toggles);

#endif
