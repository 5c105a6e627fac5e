/* SPDX-License-Identifier: MIT */
/* Command line: one env struct, filled by argp. */
#ifndef BPFPROF_ARGS_H
#define BPFPROF_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MAX_STAGE_SPECS 64
#define MAX_TARGET_PIDS 64

struct env {
	pid_t pid;		/* -p: the first pid; 0 when not given */
	pid_t pids[MAX_TARGET_PIDS]; /* -p PID[,PID...], in order */
	int n_pids;
	char **command;		/* after "--"; NULL when not given */
	double interval_s;	/* -i */
	double duration_s;	/* -d; 0: until the target ends or a signal */
	const char *outdir;	/* -o; NULL: text report on stdout only */
	const char *stage_specs[MAX_STAGE_SPECS]; /* -u, in order */
	int n_stage_specs;
	const char *list_spec;	/* --list */
	const char *usdt_specs[MAX_STAGE_SPECS]; /* -U, in order (probes/usdt.h) */
	int n_usdt_specs;
	uint32_t usdt_names; /* --usdt-names: names per -U ...@N spec */
	const char *marker_specs[MAX_STAGE_SPECS]; /* -m */
	int n_marker_specs;
	bool stages_off;	/* --stages-off, or BPFPROF_STAGES=0 */
	int returns;		/* --returns: enum returns_mode (probes/stages.h); 0 is auto */
	unsigned int sample_every; /* --sample N: record 1 in N stage calls; 1: all */
	double max_overhead_pct; /* --max-overhead PCT; 0: no limit */
	int self_cost;		 /* --self-cost[=MODE]: enum cost_mode (cost_window.h);
				    0 is the default, window */
	double self_cost_window_pct; /* --self-cost-window PCT: stats on that share */
	const char *prometheus;	/* --prometheus [ADDR:]PORT; NULL: no server */
	bool follow;		/* --follow: also the target's child processes */
	const char *comm;	/* --comm NAME: processes so named, now and later */
	bool stages_only;	/* --stages-only: time -u functions, count no syscalls */
	bool raw_times;		/* --raw-times: no probe-cost correction of stage times */
	bool no_go_sched;	/* --no-go-sched: no Go scheduler probes (go_sched.bpf.h) */
	bool verbose;
	bool quiet;
	bool plain;		/* --plain: the text report even on a terminal */
	size_t top;		/* --top N: processes per plain report; 0: all */
	/* --events: span records in DIR/events.jsonl */
	bool events;
	size_t events_ring_bytes;    /* --events-ring-bytes */
	size_t events_queue;	     /* --events-queue, records */
	unsigned long long rotate_bytes; /* --rotate-bytes; 0: never */
	double rotate_secs;	     /* --rotate-secs; 0: never */
	bool rotate_gzip;	     /* --rotate-gzip */
	unsigned int cpu_sample_hz;  /* --cpu-sample HZ; 0: no CPU sampling */
};

/*
 * Parses argv into env (which it initialises). Returns 0, or -1 with a
 * one-line reason in err, or 1 when --help, --usage or --version printed
 * to stdout and there is nothing to run.
 */
int args_parse(int argc, char **argv, struct env *env, char *err, size_t errlen);

/* Seconds as typed ("2", "0.25"): a finite number in [min, max], nothing after it. */
int parse_seconds(const char *s, double min, double max, double *out);
/* A duration as typed: digits with an optional fraction and a unit, ms, s,
 * m or h ("500ms", "1.5s", "2m"; a bare number is seconds), in [min, max]
 * seconds. */
int parse_duration(const char *s, double min, double max, double *out);
/* Bytes as typed ("4096", "8M", "1G"; K, M, G are powers of 1024), in
 * [min, max], nothing after the suffix. */
int parse_bytes(const char *s, unsigned long long min, unsigned long long max,
		unsigned long long *out);
/* A whole number in [min, max], decimal, nothing after it. */
int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);
/* A pid: decimal, 1..INT_MAX, nothing after it. */
int parse_pid(const char *s, pid_t *out);
/* "PID[,PID...]": at most max distinct pids. Their number, or -EINVAL. */
int parse_pid_list(const char *s, pid_t *out, int max);

#endif
