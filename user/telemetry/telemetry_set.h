/* SPDX-License-Identifier: MIT */
/*
 * Telemetry over a run: which processes to sample at each flush, their
 * samples (the flush record's "telemetry"), and per process the first and
 * last sample with the min and max of the gauges (the summary's).
 */
#ifndef BPFPROF_TELEMETRY_SET_H
#define BPFPROF_TELEMETRY_SET_H

#include <stddef.h>
#include <stdio.h>
#include "collect/profile.h"
#include "telemetry/telemetry.h"

/* Processes sampled at one flush: the target, then the busiest others. */
#define TELEMETRY_MAX_PER_ROUND 16
/* Processes the summary keeps; later ones are sampled but not kept. */
#define TELEMETRY_MAX_TRACKED 256

/* One process's sample at one round, with its CPU share since its previous one. */
struct telemetry_point {
	struct proc_telemetry t;
	bool has_cpu; /* false at a process's first sample */
	double cpu_user_pct, cpu_system_pct;
	uint64_t cpu_ns; /* CPU time (user + system) since the previous sample */
};

struct telemetry_track {
	struct telemetry_point first, last;
	uint64_t samples;
	/* Over the samples that have them: memory (not a zombie's), CPU (not a first). */
	bool has_mem, has_cpu;
	uint64_t min_rss, max_rss, min_vsize, max_vsize;
	uint32_t min_threads, max_threads;
	double min_user_pct, max_user_pct, min_system_pct, max_system_pct;
};

struct telemetry_set {
	struct telemetry_track *tracks;
	size_t n_tracks;
	uint64_t untracked; /* samples of processes past TELEMETRY_MAX_TRACKED */
	struct telemetry_point round[TELEMETRY_MAX_PER_ROUND];
	size_t n_round;
	/* Where a sample's I/O counters come from when /proc/PID/io cannot be
	 * read (NULL: nowhere); sets t->have_io and the counters. */
	void (*io_fallback)(void *ctx, struct proc_telemetry *t);
	void *io_ctx;
};

int telemetry_set_init(struct telemetry_set *s);
void telemetry_set_free(struct telemetry_set *s);

/*
 * Which processes to sample: target (when > 0) first, then the processes of
 * profile p (one interval) with the most syscalls and stage calls, up to max.
 * Returns how many were written to out.
 */
size_t telemetry_pick(const struct profile *p, pid_t target, pid_t *out, size_t max);

/* Sample these processes now; the previous round is forgotten. A process
 * that is gone is left out of the round. */
void telemetry_set_round(struct telemetry_set *s, const pid_t *pids, size_t n);

/* This round's sample of pid, or NULL. */
const struct telemetry_point *telemetry_round_find(const struct telemetry_set *s, pid_t pid);

/* CPU time of the round's processes over the interval; < 0 when unknown. */
double telemetry_round_cpu_ns(const struct telemetry_set *s);
/* The round as the plain report's "  telemetry PID COMM: ..." lines. */
void telemetry_round_print(const struct telemetry_set *s, FILE *f);

#endif
