/* SPDX-License-Identifier: MIT */
/*
 * One profiling run, in the order it happens: start (the target, the
 * outputs, the probes loaded and attached, privileges dropped), the loop
 * (loop.c: a flush every interval until the target exits, the duration ends
 * or a signal arrives), and the finish (flush.c: the last flush, the
 * summary and the totals).
 */
#ifndef BPFPROF_SESSION_H
#define BPFPROF_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "collect/profile.h"
#include "cost/cost_meter.h"
#include "cost/stage_control.h"
#include "output/records.h"
#include "run/args.h"
#include "run/run_meta.h"
#include "run/target.h"
#include "telemetry/telemetry_set.h"

struct session {
	const struct env *env;
	struct run_info info;
	struct target target;
	struct output_files *out;
	struct stage_attacher *attacher;  /* the -u probes */
	const struct stage_table *stages; /* the attacher's */
	struct bpfprof_bpf *skel;
	struct collector *collector;
	struct prom_server *prom; /* --prometheus */
	struct events *events;	  /* --events */
	struct cpu_samples *samples; /* --cpu-sample */
	/* What the run says about itself in the records, and what it costs. */
	struct run_meta meta;
	struct telemetry_set telem;
	struct proc_io *proc_io;  /* I/O counters when /proc/PID/io is out of reach */
	struct stage_control ctl; /* the stage toggle and --max-overhead */
	struct cost_meter cost;
	struct profile prev, cur, delta;
	struct live_view *view; /* the live view, while it is on */
	bool live;		/* this run draws the live view, not the plain report */
	uint64_t flushes;
	int forward_sig; /* for a command still running when we stop */
	double start_mono;
	double last_flush_mono;
	double stop_mono; /* when the run ended (0 until then) */
};

/* The whole run; the process's exit code. */
int session_run(const struct env *env, int argc, char **argv);

/* loop.c: until the target exits, the duration ends or a signal arrives
 * (sigfd); 0, or -1 when polling failed. */
int session_loop(struct session *s, int sigfd);
/* Flip the stage probes (SIGUSR1, the live view's t key); the new state. */
bool session_toggle_stages(struct session *s, const char *why);

/* flush.c: read the counters, write the interval's record and report. */
int session_flush(struct session *s);
/* --prometheus: render the cumulative profile now; scrapes serve it. */
void session_publish_metrics(struct session *s);
/* Probes off, the last flush, the summary and the totals. */
void session_finish(struct session *s);

#endif
