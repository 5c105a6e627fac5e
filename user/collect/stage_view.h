/* SPDX-License-Identifier: MIT */
/*
 * The one view of stages and their I/O that every output reads: a stage of
 * one process, stages summed by (name, binary) within a process or by stage
 * id across processes, and the quantile set read from a histogram. The flush
 * records, the plain report, the live view, /metrics and `bpfprof report`
 * take their figures from here, so they cannot disagree.
 */
#ifndef BPFPROF_STAGE_VIEW_H
#define BPFPROF_STAGE_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "collect/profile.h"
#include "probes/stages.h"

/* The quantile set; each output shows the ones it has room for. */
enum latency_quantile { LAT_P50, LAT_P90, LAT_P95, LAT_P99, LAT_P999, LAT_NQ };
extern const double lat_quantiles[LAT_NQ];
extern const char *const lat_quantile_names[LAT_NQ]; /* "p50" .. "p99.9" */

struct latency {
	uint64_t q[LAT_NQ]; /* by enum latency_quantile */
	uint64_t max_ns;
};

/* The set from a histogram, clamped to the exact max_ns when it is known;
 * all zero for a NULL (or empty) histogram. */
void latency_from_hist(struct latency *out, const struct histogram *h, uint64_t max_ns);

static inline void stage_latency(struct latency *out, const struct stage_counters *c)
{
	latency_from_hist(out, c->hist, c->max_ns);
}

static inline void io_latency(struct latency *out, const struct syscall_counters *c)
{
	latency_from_hist(out, c->hist, c->max_ns);
}

/* Stage ids of p that the table names (0 without a table): stage ids at
 * or past it are p's, but nobody can say what they are. */
uint32_t proc_stage_ids(const struct proc_profile *p, const struct stage_table *t);

/* A process's I/O syscalls summed. */
struct io_totals {
	uint64_t ops;
	uint64_t bytes_read;
	uint64_t bytes_written;
	uint64_t errors;
	uint64_t time_ns;
};

void proc_io_totals(const struct proc_profile *p, struct io_totals *t);

/* Whether syscall nr is an I/O syscall that p made (with its histogram). */
bool proc_io_syscall(const struct proc_profile *p, unsigned int nr);

/* Stage calls recorded in p, all processes (-U PROVIDER:NAME hits included). */
uint64_t profile_stage_calls(const struct profile *p);

/* The -U PROVIDER:NAME hits among them: they sit in stage slots, but are
 * no calls (nothing to close, no time). */
uint64_t profile_usdt_hits(const struct profile *p, const struct stage_table *t);

/*
 * Several stage counters summed. The histogram is the only contributor's
 * (borrowed) until a second one comes; then the sum owns a copy.
 */
struct stage_sum {
	struct stage_counters c;
	bool own_hist;
};

/* 0, or -ENOMEM (s then holds what it had). */
int stage_sum_add(struct stage_sum *s, const struct stage_counters *c);
void stage_sum_free(struct stage_sum *s);

/* One row of a view: one stage id, or the ids sharing (name, binary). */
struct stage_group {
	const struct proc_profile *proc; /* by_name: its process; by_id: NULL */
	uint32_t id;			 /* the (first) stage id */
	const struct stage_def *def;
	struct stage_sum sum;
};

struct stage_view {
	struct stage_group *v;
	size_t n;
};

/*
 * Per process (in p's pid order), the stages with calls or I/O, those that
 * share (name, binary) summed (two static functions of one name), ordered by
 * binary, name, then id. 0 or -ENOMEM.
 */
int stage_view_by_name(struct stage_view *out, const struct profile *p,
		       const struct stage_table *t);

/*
 * One row per stage id that some process of `rows` has called, in id order,
 * its figures summed over the processes of p that called it (rows and p may
 * be the same profile; a row nobody in p called is all zero). 0 or -ENOMEM.
 */
int stage_view_by_id(struct stage_view *out, const struct profile *rows, const struct profile *p,
		     const struct stage_table *t);

void stage_view_free(struct stage_view *v);

#endif
