/* SPDX-License-Identifier: MIT */
/*
 * What bpfprof knows about the traced processes at one moment: a snapshot of
 * the kernel's monotonic counters, or the delta between two snapshots (one
 * flush interval). Every output is written from one of these.
 */
#ifndef BPFPROF_PROFILE_H
#define BPFPROF_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bpfprof.h"
#include "collect/histogram.h"

struct syscall_counters {
	uint64_t count;
	uint64_t errors;
	uint64_t time_ns;
	uint64_t max_ns;	 /* I/O syscalls only */
	uint64_t bytes;		 /* I/O syscalls only */
	struct kind_io kind[IO_KIND_NR]; /* I/O syscalls only: by kind of file */
	struct histogram *hist;	 /* I/O syscalls only, else NULL */
};

struct stage_counters {
	uint64_t calls;
	uint64_t total_ns;
	uint64_t self_ns;
	uint64_t max_ns;
	uint64_t calls_clamped; /* below the probes' resolution: see stage_stats */
	uint64_t calls_unfinished; /* ended without returning: not in calls, nor any time */
	uint64_t io_ops;
	uint64_t io_bytes_read;
	uint64_t io_bytes_written;
	uint64_t io_time_ns;
	struct wall_stats wall; /* on/off CPU (sums to self_ns), faults, I/O by kind */
	struct histogram *hist; /* call durations, allocated with the first call */
};

struct proc_profile {
	uint32_t pid;
	char comm[TASK_COMM_LEN];
	struct syscall_counters sys[MAX_SYSCALL_NR];
	struct wall_stats wall; /* its traced threads' (io unused: see sys[].kind) */
	struct stage_counters *stages; /* indexed by stage id */
	uint32_t n_stages;
	/* Profiles holding it besides its first: an exited process's final
	 * counters are shared by every later snapshot, not copied. */
	uint32_t shares;
	bool scaled; /* profile_scale_stages has been applied */
};

/* Audit slots counted in userspace, after the kernel's (bpf/bpfprof.h). */
enum user_audit_slot {
	AUDIT_SPAN_DROPPED = AUDIT_NR_SLOTS, /* --events: span records dropped, queue full */
	AUDIT_SPAN_UNWRITTEN,		     /* --events: span records lost to write errors */
	AUDIT_SPAN_WRITTEN,		     /* --events: span records written (a fact) */
	AUDIT_SAMPLE_CUT_SHORT, /* --cpu-sample: samples whose user stack was cut short (a fact) */
	AUDIT_ALL_SLOTS,
};

struct profile {
	struct proc_profile **procs; /* sorted by pid */
	size_t n;
	size_t cap;
	uint64_t audit[AUDIT_ALL_SLOTS];
};

void profile_init(struct profile *p);
void profile_free(struct profile *p);
/* The process with this pid, created (zeroed) when missing and create is set. */
struct proc_profile *profile_proc(struct profile *p, uint32_t pid, bool create);
const struct proc_profile *profile_find(const struct profile *p, uint32_t pid);
/* The histogram of syscall nr, allocated on first use. */
struct histogram *proc_hist(struct syscall_counters *c);

/* d += c, all but the histogram (max_ns: the larger). */
void stage_counters_add(struct stage_counters *d, const struct stage_counters *c);

/* Stage `id` of this process, the array grown as needed; NULL on ENOMEM. */
struct stage_counters *proc_stage(struct proc_profile *p, uint32_t id);

/* out = cur - prev (out is cleared first). Processes without any activity in
 * the interval are left out. */
int profile_delta(struct profile *out, const struct profile *cur, const struct profile *prev);

/*
 * --sample N: the kernel recorded 1 in N stage calls; multiply every stage
 * count and time (histogram buckets too) by N, so all outputs show estimates
 * of the whole. Maxima and percentiles stay as measured. A process is
 * scaled once: the collector scales what it reads, and a process kept from
 * an earlier snapshot (shared, already scaled) is left as it is.
 */
void profile_scale_stages(struct profile *p, unsigned int n);

/* dst += src: src's processes shared into dst, or added to dst's of the
 * same pid (a pid used again). 0 or -ENOMEM. */
int profile_add(struct profile *dst, const struct profile *src);
/* src shared into dst, replacing dst's process of that pid. */
int profile_keep_proc(struct profile *dst, struct proc_profile *src);

bool proc_is_empty(const struct proc_profile *p);

/* struct wall_stats is all uint64_t: these work on it as an array. */
#define WALL_STATS_N (sizeof(struct wall_stats) / sizeof(uint64_t))
void wall_stats_add(struct wall_stats *a, const struct wall_stats *b);
void wall_stats_sub(struct wall_stats *out, const struct wall_stats *cur,
		    const struct wall_stats *prev);
bool wall_stats_equal(const struct wall_stats *a, const struct wall_stats *b);
uint64_t wall_blocked_ns(const struct wall_stats *w);
/* The process's I/O by kind: its syscalls' summed. */
void proc_io_by_kind(const struct proc_profile *p, struct kind_io out[IO_KIND_NR]);
uint64_t profile_syscall_count(const struct profile *p);

#endif
