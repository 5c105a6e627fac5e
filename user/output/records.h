/* SPDX-License-Identifier: MIT */
/*
 * The JSON records bpfprof writes (the stable contract in README.md):
 * PROC objects, the audit object, the summary and one flush record.
 */
#ifndef BPFPROF_RECORDS_H
#define BPFPROF_RECORDS_H

#include <jansson.h>
#include <sys/types.h>
#include "collect/profile.h"
#include "collect/stage_view.h"
#include "probes/stages.h"

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
	int exit_status;	   /* TARGET_COMMAND: as from waitpid, -1 unknown */
	const char *end_reason;	   /* "target exited", "duration", "signal" */
	bool follow;		   /* --follow */
	bool stages_only;	   /* --stages-only: no syscall programs */
};

/* Fill hostname, kernel and the start time. */
void run_info_init(struct run_info *ri);

/* "2026-11-21T06:42:06.123Z" */
void format_rfc3339(double unix_s, char *buf, size_t len);

/* stages names the stage ids (NULL or empty when -u was not given). */
json_t *proc_to_json(const struct proc_profile *p, const struct stage_table *stages);
json_t *audit_to_json(const uint64_t audit[AUDIT_ALL_SLOTS]);
json_t *summary_to_json(const struct run_info *ri, const struct profile *total,
			const struct stage_table *stages, double duration_s, uint64_t flushes);
json_t *flush_to_json(uint64_t index, double timestamp, double duration_s,
		      const struct profile *delta, const struct stage_table *stages);

/* The audit slot's name as the JSON audit object has it; NULL past the end. */
const char *audit_slot_name(unsigned int slot);
/* Whether the slot counts data bpfprof failed to record (else a fact). */
bool audit_slot_is_loss(unsigned int slot);

/* Sum of every loss counter in the audit. */
uint64_t audit_lost(const uint64_t audit[AUDIT_ALL_SLOTS]);

#endif
