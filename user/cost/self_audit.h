/* SPDX-License-Identifier: MIT */
/*
 * What bpfprof says about the run itself, at each flush and in the summary:
 * where and what ran ("run"), the traced processes' telemetry, the stage
 * probes' state, and what profiling cost them ("audit.cost"). Also owns the
 * stage toggle (SIGUSR1, the live view's t key) and --max-overhead.
 */
#ifndef BPFPROF_SELF_AUDIT_H
#define BPFPROF_SELF_AUDIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include "cost/bpf_cost.h"
#include "cost/cost_window.h"
#include "cost/probe_calibration.h"
#include "collect/profile.h"
#include "run/run_meta.h"
#include "cost/stage_control.h"
#include "probes/stages.h"
#include "telemetry/telemetry_set.h"

struct bpfprof_bpf;
struct proc_io;

struct self_audit_config {
	int argc; /* bpfprof's own command line */
	char *const *argv;
	const struct stage_table *stages; /* NULL or empty: no -u */
	struct stage_switch *sw;	  /* attaches and detaches them for the toggle */
	enum uprobe_link_kind link_kind;
	unsigned int sample_every;
	double max_overhead_pct;
	/* BPF run-time stats time every program run (~+200 ns per syscall
	 * measured here): by default on only in short windows (cost_window.h). */
	enum cost_mode cost_mode;
	double window_share; /* COST_MODE_WINDOW: of each period, 0 to 1 */
	bool no_syscalls;    /* --stages-only: the syscall programs are not loaded */
	FILE *log;	     /* NULL: -q */
};

struct self_audit {
	bool opened;
	struct self_audit_config cfg;
	struct run_meta meta;
	struct telemetry_set telem;
	struct stage_control ctl;
	struct bpf_cost cost;
	bool have_cost; /* figures are measured (the mode is not off and it works) */
	struct cost_window win;
	struct proc_io *proc_io; /* I/O counters when /proc/PID/io is out of reach */
	struct probe_calibration cal;
	pid_t target;
	double sys_base_ns; /* a syscall of bpfprof's before the programs attach; < 0: none */
	struct cost_totals start, prev; /* COST_MODE_ALWAYS */
	double last_flush_mono;
	/* Per event, as last measured (carried forward across intervals
	 * without a window), and this interval's own window. */
	struct cost_rates rates;
	struct cost_window_sample sample;
	bool carried;	    /* some figure of the last interval is an earlier window's */
	double unrec_per_s; /* stage calls seen, not recorded, per second: last window */
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
 * stats on, times the probe machinery, logs the stage probes' state. What
 * cannot be measured is left out of the records, with a warning.
 */
void self_audit_open(struct self_audit *a, const struct self_audit_config *cfg,
		     struct bpfprof_bpf *skel);
/* Right after the syscall programs attach: times the hooks they add. */
void self_audit_syscalls_attached(struct self_audit *a);
/*
 * The target's executable and build id, while bpfprof still has the
 * capabilities to read /proc/PID/exe: pid's (-p), or exe (a command that
 * has not run yet).
 */
void self_audit_target_exe(struct self_audit *a, pid_t pid, const char *exe);
/* Profiling starts: the first telemetry sample, the first cost window. */
void self_audit_start(struct self_audit *a, pid_t target);
/* The cost windows' timer, for the run loop's poll (-1: none), and its
 * handler. */
int self_audit_window_fd(const struct self_audit *a);
void self_audit_window_service(struct self_audit *a);
/* The run ends: closes a window that is open, before the last flush. */
void self_audit_end_windows(struct self_audit *a);
/*
 * One flush: samples the processes (the target and the busiest of delta),
 * works out the interval's cost, applies --max-overhead, and adds "run",
 * "telemetry", the stage state and "audit.cost" to rec (when not NULL).
 */
void self_audit_flush(struct self_audit *a, const struct profile *delta, json_t *rec);
/* The interval's cost and the target's telemetry as text lines. */
void self_audit_print(const struct self_audit *a, FILE *f);
void self_audit_summary(struct self_audit *a, json_t *sum);
/* "profiling cost the target N ns per syscall, ..." over the whole run. */
void self_audit_print_total(struct self_audit *a, FILE *f);
/* Safe on a zeroed self_audit that was never opened. */
void self_audit_close(struct self_audit *a);

/* Flip the stage probes (SIGUSR1, the live view's t key); the new state.
 * Call from the thread that runs the flushes. */
bool self_audit_toggle_stages(struct self_audit *a, const char *why);
bool self_audit_stages_enabled(const struct self_audit *a);
/* Where the state changes are logged (NULL: nowhere, e.g. under the live view). */
void self_audit_set_log(struct self_audit *a, FILE *log);
/* The last interval's cost (the live view's header); NULL before the first
 * flush or without BPF stats. */
const struct cost_figures *self_audit_last_cost(const struct self_audit *a);
/* The same as a short line for the live view's header ("" when none). */
void self_audit_cost_text(const struct self_audit *a, char *buf, size_t len);

#endif
