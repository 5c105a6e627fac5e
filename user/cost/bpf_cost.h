/* SPDX-License-Identifier: MIT */
/*
 * What profiling costs, measured while it runs. The kernel's BPF run-time
 * stats (enabled through a file descriptor bpfprof holds, never the global
 * sysctl) give each program's run count and time; the probe calibration adds
 * what the tracepoint and uprobe machinery costs around the program bodies,
 * which the stats cannot see.
 */
#ifndef BPFPROF_BPF_COST_H
#define BPFPROF_BPF_COST_H

#include <stdbool.h>
#include <stdint.h>
#include "cost/probe_calibration.h"

struct bpfprof_bpf;

enum cost_prog {
	COST_SYS_ENTER,
	COST_SYS_EXIT,
	COST_STAGE_SESSION,
	COST_STAGE_ENTRY,
	COST_STAGE_RETURN,
	COST_OTHER, /* exec, fork, thread exit */
	COST_NR,
};

/* Run counts and times, summed per class of program. */
struct cost_totals {
	uint64_t cnt[COST_NR];
	uint64_t ns[COST_NR];
};

struct bpf_cost {
	int stats_fd; /* --self-cost=always: the stats are on while open; else -1 */
	int prog_fd[16];
	enum cost_prog prog_class[16];
	int n_progs;
};

/*
 * Lists the loaded programs whose runs are read; with stats_now, also turns
 * the stats on for as long as c is open (before attaching, so every run
 * counts). 0, or -errno with err set: the run goes on without cost figures.
 */
int bpf_cost_open(struct bpf_cost *c, const struct bpfprof_bpf *skel, bool stats_now, char *err,
		  size_t errlen);
void bpf_cost_close(struct bpf_cost *c);
/* The programs' run counts and times so far (they only move while the
 * stats are on, whoever turned them on). */
void bpf_cost_read(const struct bpf_cost *c, struct cost_totals *out);
/* out = cur - prev */
void cost_totals_delta(struct cost_totals *out, const struct cost_totals *cur,
		       const struct cost_totals *prev);
/* acc += d */
void cost_totals_add(struct cost_totals *acc, const struct cost_totals *d);

/* What the program bodies cost per event, from the runs the stats timed
 * (a measuring window, or the whole interval). */
struct cost_rates {
	uint64_t bpf_run_time_ns;  /* every program, every process on the machine */
	uint64_t syscall_events;   /* sys_enter runs: every syscall on the machine */
	uint64_t stage_calls;	   /* stage entries, on or off, sampled or not */
	uint64_t stage_recorded;   /* of those, the calls recorded */
	double syscall_program_ns; /* per syscall event; < 0: none seen */
	double stage_program_ns;   /* per stage call; < 0: none seen */
};

/* recorded: stage calls bpfprof recorded while runs was timed. */
void cost_rates_from_runs(const struct cost_totals *runs, uint64_t recorded, bool session,
			  struct cost_rates *r);
/* The figures now has replace those of keep; the others are carried forward. */
void cost_rates_carry(struct cost_rates *keep, const struct cost_rates *now);

/* What one interval (or the whole run) tells. */
struct cost_inputs {
	struct cost_rates rates;  /* per event, as last measured */
	uint64_t target_syscalls; /* syscalls of the traced processes (exact) */
	uint64_t stage_pushes;	  /* stage calls recorded (audit stage_calls_entered) */
	double stage_unrecorded;  /* calls the probes saw but did not record; < 0: those
				     of rates (the runs are this interval's) */
	bool session;		  /* stage probes are session links */
	double probe_on_ns;	  /* calibrated machinery per stage call when on; < 0 unknown */
	double probe_off_ns;	  /* and when off or sampled out (session: entry only) */
	double syscall_hook_ns;	  /* calibrated machinery per syscall; < 0 unknown */
	double syscall_stats_ns;  /* what the stats themselves add to the program time
				     of one syscall (both programs); <= 0 unknown */
	double target_cpu_ns;	  /* CPU time of the traced processes; < 0 unknown */
};

struct cost_figures {
	struct cost_rates rates;
	double syscall_program_ns; /* program time per syscall event; < 0: none */
	double ns_per_syscall;	   /* that plus the hook machinery */
	uint64_t target_syscalls;
	uint64_t stage_calls;	  /* stage entries seen, on or off, sampled or not */
	double stage_program_ns;  /* program time per stage call; < 0: none */
	double stage_probe_ns;	  /* calibrated machinery per stage call; < 0: unknown */
	double ns_per_stage_call; /* the two added */
	double syscall_cost_ns;	  /* charged to the traced processes */
	double stage_cost_ns;
	double target_cpu_pct; /* (syscall + stage cost) / target CPU; < 0: unknown */
	double stage_cpu_pct;  /* stage cost / target CPU; < 0: unknown */
};

void cost_compute(const struct cost_inputs *in, struct cost_figures *out);

#endif
