/* SPDX-License-Identifier: MIT */
/*
 * What profiling costs the traced processes, per flush and over the run:
 * turns the BPF run-time stats on as --self-cost asks (in windows by
 * default, cost_window.h), times the probe machinery once the programs are
 * loaded and again once the syscall programs attach (probe_calibration.h),
 * and turns the runs timed and bpfprof's own counts into cost figures
 * (bpf_cost.h). The figures go to the records as a struct cost_record.
 */
#ifndef BPFPROF_COST_METER_H
#define BPFPROF_COST_METER_H

#include <stdbool.h>
#include <stdio.h>
#include "cost/bpf_cost.h"
#include "cost/cost_window.h"
#include "cost/probe_calibration.h"
#include "cost/time_correction.h"
#include "collect/profile.h"
#include "output/records.h"
#include "probes/stages.h"

struct bpfprof_bpf;

struct cost_meter_config {
	const struct stage_table *stages; /* NULL or empty: no -u */
	enum uprobe_link_kind link_kind;
	unsigned int sample_every;
	/* BPF run-time stats time every program run (~+200 ns per syscall
	 * measured here): by default on only in short windows (cost_window.h). */
	enum cost_mode cost_mode;
	double window_share; /* COST_MODE_WINDOW: of each period, 0 to 1 */
	bool no_syscalls;    /* --stages-only: the syscall programs are not loaded */
	bool raw_times;	     /* --raw-times: stage times with the probes' cost in them */
	FILE *log;	     /* NULL: -q */
};

struct cost_meter {
	bool opened;
	struct cost_meter_config cfg;
	struct bpf_cost cost;
	bool have_cost; /* figures are measured (the mode is not off and it works) */
	struct cost_window win;
	struct probe_calibration cal;
	struct bpfprof_bpf *skel;
	struct time_correction tc; /* the probes' cost taken off the stage times */
	double sys_base_ns; /* a syscall of bpfprof's before the programs attach; < 0: none */
	struct cost_totals start, prev; /* COST_MODE_ALWAYS */
	int audit_fd;			/* COST_MODE_ALWAYS: the calls recorded, */
	uint64_t recorded_prev;		/* read beside the runs */
	double last_flush_mono;
	/* Per event, as last measured (carried forward across intervals
	 * without a window), and this interval's own window. */
	struct cost_rates rates;
	struct cost_window_sample sample;
	bool carried;	    /* some figure of the last interval is an earlier window's */
	double unrec_per_s; /* stage calls seen, not recorded, per second: last window */
	double unrec;	    /* the same, this interval */
	/* Whole-run sums for the summary's cost. */
	struct cost_window_sample all;
	uint64_t syscalls, pushes;
	double unrecorded, cpu_ns;
	/* Per stage call while on, for --max-overhead's estimate while off. */
	double on_ns_per_call;
	struct cost_figures last;
	bool have_last;
};

/*
 * After the skeleton is loaded, before anything is attached: turns the BPF
 * stats on and times a syscall of bpfprof's own. What cannot be measured is
 * left out of the records, with a warning.
 */
void cost_meter_open(struct cost_meter *m, const struct cost_meter_config *cfg,
		     struct bpfprof_bpf *skel);
/* Right after the syscall programs attach: times the hooks they add. */
void cost_meter_syscalls_attached(struct cost_meter *m);
/* Profiling starts: the first cost window. */
void cost_meter_start(struct cost_meter *m);
/* The cost windows' timer, for the run loop's poll (-1: none), and its
 * handler. */
int cost_meter_window_fd(const struct cost_meter *m);
void cost_meter_window_service(struct cost_meter *m);
/* The run ends: closes a window that is open, before the last flush. */
void cost_meter_end_windows(struct cost_meter *m);

/*
 * One flush, in two steps. First, the runs timed in the interval (with the
 * stats always on, the calls recorded are read beside them; stage_on_s: the
 * seconds the stage probes were on). Then, with the CPU time of the
 * processes sampled (cpu_ns < 0: unknown): the interval's figures.
 */
void cost_meter_measure(struct cost_meter *m, const struct profile *delta, double stage_on_s);
void cost_meter_figure(struct cost_meter *m, const struct profile *delta, double cpu_ns);
/*
 * For --max-overhead: the stage probes' share of cpu_ns in the last
 * interval, or while off the share they would have if on; < 0: nothing
 * tells (a toggle in the interval, no calls seen).
 */
double cost_meter_stage_pct(struct cost_meter *m, bool stages_on, uint64_t toggles, double cpu_ns);

/* The last interval's cost for the records; false when there is none. */
bool cost_meter_interval_record(const struct cost_meter *m, struct cost_record *r);
/* The whole run's; f holds the figures r points to. */
bool cost_meter_total_record(const struct cost_meter *m, struct cost_figures *f,
			     struct cost_record *r);

/* "  profiling cost the target N ns per syscall, ..." for the last interval. */
void cost_meter_print(const struct cost_meter *m, FILE *f);
/* The same over the whole run, "bpfprof: " first. */
void cost_meter_print_total(const struct cost_meter *m, FILE *f);
/* The last interval's as a short line for the live view's header ("" when none). */
void cost_meter_text(const struct cost_meter *m, char *buf, size_t len);
/* Where warnings go (NULL: nowhere, e.g. under the live view). */
void cost_meter_set_log(struct cost_meter *m, FILE *log);
/* Safe on a zeroed cost_meter that was never opened. */
void cost_meter_close(struct cost_meter *m);

#endif
