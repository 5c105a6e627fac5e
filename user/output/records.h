/* SPDX-License-Identifier: MIT */
/*
 * The JSON records bpfprof writes (the stable contract in README.md):
 * PROC objects, the audit object, the summary and one flush record. The
 * only module that creates their keys: the others hand it their data.
 * (A span event line of events.jsonl is a record of its own, formatted on
 * the writer thread by events/span_json.c.)
 */
#ifndef BPFPROF_RECORDS_H
#define BPFPROF_RECORDS_H

#include <jansson.h>
#include <sys/types.h>
#include "collect/profile.h"
#include "collect/stage_view.h"
#include "cost/bpf_cost.h"
#include "output/rotating_jsonl.h"
#include "probes/stages.h"
#include "run/run_meta.h"
#include "telemetry/telemetry_set.h"
#include "samples/sample_data.h"

#define SUMMARY_SCHEMA "bpfprof.summary.v1"
#define FLUSH_SCHEMA "bpfprof.flush.v1"

enum target_mode { TARGET_SYSTEM, TARGET_PID, TARGET_COMMAND };

struct run_info {
	enum target_mode mode;
	pid_t pid;		   /* TARGET_PID and TARGET_COMMAND */
	char *const *argv;	   /* TARGET_COMMAND */
	double started_at;	   /* unix seconds */
	char hostname[256];
	char kernel[128];
	int exit_status;	   /* exit code, or 128 + the fatal signal; -1 unknown */
	int wait_status;	   /* how the target ended, as from waitpid; -1: it did not */
	double ended_after_s;	   /* from the start of profiling to its end; < 0 unknown */
	/* A command's CPU time in all, from its reaping (wait4, microseconds
	 * exact); have_cpu false: unknown (-p, whole machine, not reaped). */
	bool have_cpu;
	uint64_t cpu_user_us, cpu_system_us;
	const char *end_reason;	   /* "target exited", "duration", "signal" */
	bool follow;		   /* --follow */
	const char *comm;	   /* --comm NAME; NULL when not given */
	bool stages_only;	   /* --stages-only: no syscall programs */
};

/* Fill hostname, kernel and the start time. */
void run_info_init(struct run_info *ri);
/* The target ended with this wait status, after_s into profiling (< 0 unknown). */
void run_info_set_end(struct run_info *ri, int wait_status, double after_s);
/* "target 4242 killed by SIGSEGV (core dumped) after 3.2 s", "target 4242
 * exited with status 0 after 1.0 s", then ", CPU time 2.41ms user, 120.00us
 * system" when known; "" when it has not ended. */
void run_info_end_text(const struct run_info *ri, char *buf, size_t len);

/* "2026-11-21T06:42:06.123Z" */
void format_rfc3339(double unix_s, char *buf, size_t len);

/* stages names the stage ids (NULL or empty when -u was not given). */
json_t *proc_to_json(const struct proc_profile *p, const struct stage_table *stages);
json_t *audit_to_json(const uint64_t audit[AUDIT_ALL_SLOTS]);
json_t *summary_to_json(const struct run_info *ri, const struct profile *total,
			const struct stage_table *stages, double duration_s, uint64_t flushes);
json_t *flush_to_json(uint64_t index, double timestamp, double duration_s,
		      const struct profile *delta, const struct stage_table *stages);

/* What profiling cost ("audit.cost"), as cost_meter.h measured it. */
struct cost_record {
	const struct cost_figures *figures;
	struct cost_rates window; /* the runs timed, as rates */
	double window_s;	  /* seconds the stats were on */
	unsigned int windows;
	uint64_t stage_program_runs;
	const char *measured; /* "window", "always" */
	double window_share_pct;
	bool carried_forward; /* some figure is an earlier window's */
};

/* The probe-cost correction of the stage times, per mechanism
 * (time_correction.h), as the summary's audit.time_correction says it. */
struct time_correction_mech {
	const char *entry;  /* "emulated", "nop5", "single-step" */
	const char *ret;    /* "session", "uretprobe", "return sites", "go return sites" */
	double in_call_ns;  /* taken off each call's own time, now */
	double per_call_ns; /* taken off its callers' per call, now */
	double calibrated_in_call_ns, calibrated_per_call_ns;
	double calibrated_program_ns; /* < 0: unknown */
	/* Taken off more while a cost window's BPF stats are on; 0: unmeasured */
	double stats_extra_in_call_ns, stats_extra_per_call_ns;
	bool have_range;	      /* the figures used over the run: */
	double per_call_ns_min, per_call_ns_max, in_call_ns_min, in_call_ns_max;
	bool have_recalibrated; /* calibrated again during the run: per call */
	double recalibrated_per_call_ns_min, recalibrated_per_call_ns_max,
		recalibrated_per_call_ns_last;
};

struct time_correction_record {
	bool applied; /* false: --raw-times */
	const struct time_correction_mech *mechs;
	size_t n_mechs;
	double run_program_ns;	       /* the programs per call in the last window; < 0: none */
	unsigned int windows;	       /* cost windows that measured them */
	unsigned int recalibrations;	     /* calibrated again during the run */
	unsigned int recalibration_period_s; /* 0: not calibrated again */
	size_t uncorrected_functions;  /* mechanism not calibrated: as measured */
};

/* What the run says about itself in every flush record and the summary. */
struct run_record {
	const struct run_meta *meta;
	const struct telemetry_set *telemetry;
	unsigned int sample_every;
	bool stages; /* -u given: the stage probes' state follows */
	bool stages_enabled;
	double stages_on_s;	/* flush records: this interval */
	uint64_t stage_toggles; /* flush records: this interval; summary: the run */
	bool stages_off_by_max_overhead;
	const struct cost_record *cost; /* NULL: no cost figures */
	/* The summary's audit.time_correction; NULL: without -u */
	const struct time_correction_record *time_correction;
	/* --cpu-sample: the interval's (the run's, in the summary) hottest
	 * functions, "cpu_samples"; NULL: not sampling. */
	const struct sample_tops *cpu_samples;
};

/* --events, as the summary's "events" describes it. */
struct events_record {
	const struct rotating_jsonl *files; /* "files": rjsonl_files_json */
	size_t ring_bytes;
	size_t queue_records;
	int64_t clock_offset_ns;
	struct rotate_policy rotate;
};

/* The flush records file, as the summary's "output" describes it. */
struct output_record {
	uint64_t flush_records_written;
	uint64_t flush_records_lost;
	int write_error; /* errno of the first failure; 0: none */
};

/* A whole flush record: flush_to_json and what the run says about itself. */
json_t *flush_record_json(uint64_t index, double timestamp, double duration_s,
			  const struct profile *delta, const struct stage_table *stages,
			  const struct run_record *run);
/* The whole summary: summary_to_json, then (when not NULL) "events", the
 * run, and "output". */
json_t *summary_record_json(const struct run_info *ri, const struct profile *total,
			    const struct stage_table *stages, double duration_s, uint64_t flushes,
			    const struct events_record *events, const struct run_record *run,
			    const struct output_record *output);

/* The parts, each a key's value. */
json_t *cost_json(const struct cost_figures *f);
json_t *run_meta_json(const struct run_meta *m);
/* The round as the flush record's "telemetry" array. */
json_t *telemetry_round_json(const struct telemetry_set *s);
/* Every tracked process as the summary's "telemetry" array. */
json_t *telemetry_summary_json(const struct telemetry_set *s);
json_t *output_json(const struct output_record *o);
/* --cpu-sample: "cpu_samples" of a flush record or the summary. */
json_t *sample_tops_to_json(const struct sample_tops *t);
/* samples.jsonl: its first line, then one line per stack (README). */
json_t *samples_header_to_json(unsigned int hz, uint64_t samples, uint64_t cut_short);
json_t *sample_stack_to_json(const struct sample_stack *st);

/* The audit slot's name as the JSON audit object has it; NULL past the end. */
const char *audit_slot_name(unsigned int slot);
/* Whether the slot counts data bpfprof failed to record (else a fact). */
bool audit_slot_is_loss(unsigned int slot);

/* Sum of every loss counter in the audit. */
uint64_t audit_lost(const uint64_t audit[AUDIT_ALL_SLOTS]);

/* Issue 18's objects: "wall" (on_cpu_ns, runqueue_ns, blocked_ns, blocked:
 * {io_ns, lock_ns, sleep_ns, other_ns}), "faults" (minor, major) and I/O by
 * kind ({"file": {ops, bytes_read, bytes_written, time_ns}, "socket", ...}). */
json_t *wall_json(const struct wall_stats *w);
json_t *faults_json(const struct wall_stats *w);
json_t *io_by_kind_json(const struct kind_io k[IO_KIND_NR]);
/* "file", "socket", "pipe", "tty", "other" for enum io_kind. */
const char *io_kind_name(unsigned int k);
/* The kinds in the order the JSON lists them (file, socket, pipe, tty, other). */
extern const enum io_kind io_kind_order[IO_KIND_NR];

#endif
