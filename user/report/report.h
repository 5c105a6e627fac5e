/* SPDX-License-Identifier: MIT */
/*
 * `bpfprof report DIR`: a finished run's directory read back into one model
 * (summary.json, flushes.jsonl, events.jsonl and its rotated parts), then
 * written as text, JSON, an HTML page or a Perfetto/Chrome trace.
 */
#ifndef BPFPROF_REPORT_H
#define BPFPROF_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "bpfprof.h"
#include "collect/histogram.h"
#include "collect/stage_view.h"
#include "common/strmap.h"

struct rep_syscall {
	const char *name; /* borrowed from the summary's JSON */
	uint64_t count, errors, time_ns;
};

/* One I/O syscall of one process. */
struct rep_io {
	const char *name;
	bool is_read;
	uint64_t ops, bytes, errors, time_ns, max_ns;
	struct latency lat;	/* see report_latency */
	struct histogram *hist; /* NULL when the file has no buckets */
};

struct rep_stage {
	const char *name, *binary;
	const struct rep_proc *proc;
	uint64_t calls, total_ns, self_ns, max_ns;
	uint64_t calls_clamped; /* 0 in a summary from before it was written */
	uint64_t calls_unfinished; /* ended without returning; 0 likewise */
	uint64_t io_ops, io_bytes_read, io_bytes_written, io_time_ns;
	struct latency lat; /* see report_latency */
	struct histogram *hist;
	bool has_wall; /* the run had "wall" (issue 18): wall, faults, io.by_kind */
	struct wall_stats wall;
};

/* One -U PROVIDER:NAME probe's hits in one process (issue 17). */
struct rep_usdt {
	const char *provider, *name, *binary; /* borrowed from the summary's JSON */
	uint64_t hits;
};

struct rep_proc {
	uint32_t pid;
	const char *comm;
	uint64_t syscalls, errors;
	uint64_t io_ops, bytes_read, bytes_written, io_errors, io_time_ns;
	struct rep_syscall *sys; /* by count, descending */
	size_t n_sys;
	struct rep_io *io; /* by ops, descending */
	size_t n_io;
	bool has_wall; /* "wall", "faults", "io_by_kind" (issue 18) */
	struct wall_stats wall;
	struct rep_usdt *usdt; /* by hits, descending */
	size_t n_usdt;
	uint64_t usdt_hits; /* the sum of them */
};

/* One flush record's totals over all processes: the run over time. */
struct rep_flush {
	uint64_t index;
	double timestamp, duration_s;
	uint64_t syscalls, io_ops, bytes_read, bytes_written, stage_calls, lost;
};

struct rep_span {
	const char *trace_id, *span_id, *parent_id; /* ids as text; parent NULL at a root */
	const char *name, *binary;
	uint32_t pid, tid;
	uint64_t start_ns, dur_ns, self_ns;
	uint64_t io_ops, io_bytes_read, io_bytes_written, io_time_ns;
	/* "wall" and "faults" (spans since issue 18): on_cpu_ns, runqueue_ns,
	 * blocked_ns[], faults (a span's own I/O by kind is not kept). */
	bool has_wall;
	uint64_t on_cpu_ns, runqueue_ns, blocked_ns[WALL_BLOCK_NR];
	uint32_t faults_minor, faults_major;
	/* The tree, by index into report.spans; -1 for none. Children are in
	 * start order. */
	long parent, first_child, next_sibling;
	int depth;
};

/*
 * The spans sharing a trace_id. Its top-level spans are those whose parent
 * is not in the events (the root, or, when the root was still running at the
 * end or lost, the calls under it): linked by next_sibling from `first`.
 */
struct rep_trace {
	const char *id;
	long first;
	uint32_t pid, tid;
	uint64_t start_ns, end_ns, dur_ns;
	size_t n_spans, n_top;
	bool complete; /* its root span is there */
};

/* One stack of samples.jsonl (--cpu-sample): frames root first, the user
 * ones then the kernel ones. Strings borrowed from report.samples_json. */
struct rep_sample {
	uint32_t pid;
	const char *comm;
	const char *stage; /* NULL: outside any stage */
	uint64_t count;
	bool cut_short;
	const char **frames;
	size_t n_user, n_frames;
};

/* A function's self samples inside a stage (the innermost open one). */
struct rep_stage_hot {
	const char *stage, *function;
	uint64_t samples;
};

struct report {
	char *dir;
	/* No summary.json: the summary was rebuilt from flushes.jsonl. */
	bool cut_short;
	size_t torn_lines; /* a cut-short run's last flush line, cut mid-write */
	json_t *summary; /* owns the strings the model borrows */
	json_t *audit;	 /* summary.audit */
	struct rep_proc *procs;
	size_t n_procs;
	struct rep_stage *stages; /* every process's, by total time, descending */
	size_t n_stages;
	struct rep_flush *flushes;
	size_t n_flushes;
	/* Some process has "usdt": the run counted -U PROVIDER:NAME hits. */
	bool have_usdt;
	/* events: */
	bool have_events;
	struct strmap strings;	/* owns the spans' strings (interned) */
	struct rep_span *spans; /* by start time */
	size_t n_spans;
	struct rep_trace *traces; /* by duration, descending */
	size_t n_traces;
	unsigned int event_files;
	size_t spans_orphaned; /* spans whose parent is not in the events */
	/* samples.jsonl: */
	bool have_samples;
	json_t *samples_json; /* its lines: owns the samples' strings */
	struct rep_sample *samples;
	size_t n_samples, cap_samples;
	unsigned int sample_hz;
	uint64_t sample_total, samples_cut_short;
};

/* A cut-short run (report_recover.c): an empty summary, each flush record
 * merged into it, then its start, duration and percentiles. */
json_t *report_recovered_summary(void);
int report_merge_flush(json_t *summary, json_t *rec);
void report_finish_recovered(json_t *summary, const struct rep_flush *flushes, size_t n);

/* Reads DIR. 0, or -1 with one line in err (naming the file and what is
 * wrong with it). Only regular files are read, never through a symlink. */
int report_load(const char *dir, struct report *r, char *err, size_t errlen);
void report_free(struct report *r);
/* The longest JSONL line report_load reads (newline included). A flush
 * record takes ~1.5 KB per (process, active stage): this is ~85 000 of them
 * in one interval, and far less than the GBs a small gzip file can expand
 * to. The fuzzer lowers it to reach it. */
#define REPORT_LINE_LIMIT (128UL << 20)
extern size_t report_line_limit;

/* A span's wall split and faults as a wall_stats (no I/O by kind). */
void report_span_wall(const struct rep_span *s, struct wall_stats *w);

/* Links spans into trees and traces (report_load calls it). 0 or -1 with
 * err set (a span whose parent is missing is an error). */
int report_build_traces(struct report *r, char *err, size_t errlen);
/* The span after @i in depth-first call order within @top's tree; -1 at
 * the end. */
long report_span_next(const struct rep_span *v, long top, long i);
const struct rep_trace *report_find_trace(const struct report *r, const char *id);
/* r->stages ordered by self time (pointers into it; free() the array);
 * NULL on ENOMEM. r->stages itself is ordered by total time. */
const struct rep_stage **report_stages_by_self(const struct report *r);

/* Whether a latency's quantile q is known: every one when the file had the
 * histogram (read from it), else only the p50, p95 and p99 the file gives
 * (the others are 0). */
bool report_quantile_known(const struct histogram *h, enum latency_quantile q);

void report_print_text(FILE *f, const struct report *r, int top);
/* --trace ID: one trace as an indented tree. -1 when there is no such trace. */
int report_print_trace(FILE *f, const struct report *r, const char *id);
json_t *report_to_json(const struct report *r, int top);
int report_write_html(FILE *f, const struct report *r, int top);
/* @s as HTML text: <, > and & escaped (the sections written from C). */
void report_put_html(FILE *f, const char *s);
int report_write_perfetto(FILE *f, const struct report *r);

/* DIR/samples.jsonl when there is one (report_load calls it). 0 or -1 with
 * err set. */
int report_read_samples(struct report *r, char *err, size_t errlen);
void report_free_samples(struct report *r);
/* --folded: "comm;frame;...;leaf count" lines, kernel frames marked _[k]. */
int report_write_folded(FILE *f, const struct report *r, int top);
/* --flame: a self-contained interactive SVG (an inline <svg> element). */
int report_write_flame(FILE *f, const struct report *r, int top);
/* --pprof: a gzip'd pprof profile, a "stage" label on every sample. */
int report_write_pprof(FILE *f, const struct report *r, int top);
/* Each stage's functions by self samples, stages by name, most first
 * within one (malloc'd, *n rows); NULL on ENOMEM. */
struct rep_stage_hot *report_stage_hot_functions(const struct report *r, size_t *n);

/* `bpfprof report ...` (argv[0] is "report"): the exit status. */
int report_main(int argc, char **argv);

#endif
