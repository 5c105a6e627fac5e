/* SPDX-License-Identifier: MIT */
/*
 * Measuring windows for bpfprof's own cost. While the kernel's BPF run-time
 * stats are on, every BPF program run on the machine is timed (two clock
 * reads and a per-CPU update around each), which costs the target too. So
 * by default they are on only for a short window in each period (a share of
 * it, 5% unless told: 50 ms a second): the window gives the programs'
 * cost per run, and bpfprof's own exact counts of the interval's syscalls
 * and stage calls turn that into the interval's cost (cost_meter.c).
 *
 * The stats are switched by a helper process (stats_switch.h); the runs and
 * the stage calls recorded are read at both edges of each window.
 */
#ifndef BPFPROF_COST_WINDOW_H
#define BPFPROF_COST_WINDOW_H

#include <stdbool.h>
#include <stdint.h>
#include "cost/bpf_cost.h"
#include "cost/stats_switch.h"

enum cost_mode {
	COST_MODE_WINDOW, /* the default */
	COST_MODE_ALWAYS, /* stats on all the time (--self-cost=always) */
	COST_MODE_OFF,	  /* no cost figures (--self-cost=off) */
};

/* A window opens at the start of every period. */
#define COST_WINDOW_PERIOD_S 1.0
/* One held back (cost_window_service) is tried again this much later. */
#define COST_WINDOW_RETRY_S 0.01
#define COST_WINDOW_DEFAULT_PCT 5.0

/* What the windows closed since the last take measured. */
struct cost_window_sample {
	struct cost_totals runs;
	uint64_t recorded; /* stage calls recorded in the windows */
	double on_s;	   /* seconds the stats were on */
	unsigned int windows;
};

struct cost_window {
	bool active;
	double share; /* of each period */
	const struct bpf_cost *cost;
	struct stats_switch sw;
	int timer_fd;
	int audit_fd;
	bool open;
	double opened_at;
	struct cost_totals at_open;
	uint64_t recorded_at_open;
	struct cost_window_sample acc;
	/* Told before the stats go on and after they go off (NULL: none). */
	void (*stats_hook)(void *arg, bool on);
	void *stats_hook_arg;
};

/*
 * The runs so far and the stage calls recorded so far (audit_fd's
 * stage_calls_entered) as of one moment: read again (a few times at most)
 * while a call entered between the reads, as one does on a busy machine
 * when bpfprof is preempted among them.
 */
uint64_t cost_read_runs_and_recorded(const struct bpf_cost *cost, int audit_fd,
				     struct cost_totals *runs);

/*
 * Starts the helper (before bpfprof drops its capabilities or starts a
 * thread); audit_fd is the audit map. 0, or -errno with err set.
 */
int cost_window_open(struct cost_window *w, double share, const struct bpf_cost *cost, int audit_fd,
		     char *err, size_t errlen);
/* hook(arg, true) right before each window turns the stats on, hook(arg,
 * false) right after it turns them off (or fails to turn them on). */
void cost_window_on_stats(struct cost_window *w, void (*hook)(void *arg, bool on), void *arg);
/* The first window opens now; then one every period. */
int cost_window_start(struct cost_window *w);
/* For the run loop's poll: readable when a window opens or closes. */
int cost_window_fd(const struct cost_window *w);
/* may_open false: a window due to open now waits (COST_WINDOW_RETRY_S at a
 * time), e.g. while bpfprof's own probed calls run that no window may hold. */
void cost_window_service(struct cost_window *w, bool may_open);
/* Closes a window that is open, and no more open. */
void cost_window_end(struct cost_window *w);
/* What the windows closed since the last take measured; resets it. */
void cost_window_take(struct cost_window *w, struct cost_window_sample *out);
/* Safe on a zeroed cost_window. */
void cost_window_close(struct cost_window *w);

#endif
