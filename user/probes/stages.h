/* SPDX-License-Identifier: MIT */
/*
 * Stages: the functions -u asks to time. Resolves the specs into a table of
 * probe sites (one per function; the index is the stage id the BPF side
 * sees as the probe's cookie), then attaches them with as few links as the
 * kernel allows: one session link per binary where it can.
 */
#ifndef BPFPROF_STAGES_H
#define BPFPROF_STAGES_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include "probes/symbols.h"
#include "probes/uprobe_link.h"

struct stage_def {
	char *name;	    /* demangled */
	char *binary;	    /* as the target sees it */
	char *path;	    /* what we open and attach to */
	uint64_t offset;    /* file offset of the probe */
	uint32_t skipped;   /* bytes stepped over at the entry (endbr64) */
	enum entry_kind kind;
};

struct stage_table {
	struct stage_def *v;
	size_t n;
	/* --sample N: stage counts in profiles are scaled by N (0 or 1: not sampled). */
	unsigned int sample_every;
};

/*
 * Resolves each spec against the target (pid > 0: its maps and root; the
 * main executable is main_exe, or /proc/PID/exe when NULL). A spec that
 * matches nothing is an error naming the pattern and the binary. Prints one
 * line per spec to `info` (NULL: quiet). 0, or -errno with err set.
 */
int stages_resolve(const char *const *specs, int n, pid_t pid, const char *main_exe,
		   struct stage_table *out, FILE *info, char *err, size_t errlen);
void stage_table_free(struct stage_table *t);
/* --list: what the specs resolve to, one line per function. */
void stages_print(FILE *f, const struct stage_table *t);
/* How many stages sit on an instruction the kernel single-steps. */
size_t stages_single_stepped(const struct stage_table *t);

struct bpf_program;

struct stage_links {
	struct uprobe_link *links;
	size_t n;
	enum uprobe_link_kind kind;
};

/* The cheapest link kind this kernel supports. */
enum uprobe_link_kind stages_pick_link_kind(void);

/*
 * One link per binary (two for MULTI/PERF: entry and return), with the stage
 * index as cookie. pid 0: every process. On failure nothing stays attached.
 */
int stages_attach(const struct stage_table *t, enum uprobe_link_kind kind,
		  const struct bpf_program *entry, const struct bpf_program *ret, pid_t pid,
		  struct stage_links *out, char *err, size_t errlen);
void stages_detach(struct stage_links *l);

#endif
