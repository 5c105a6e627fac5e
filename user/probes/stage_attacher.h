/* SPDX-License-Identifier: MIT */
/*
 * The stage probes (-u) through their life, as one opaque object in the
 * spirit of retsnoop's mass_attacher:
 *   new      the specs and how they are to be attached
 *   prepare  the specs resolved to probe sites, before anything is created
 *   load     the skeleton, with stage programs for those sites and the
 *            cheapest link kind the kernel has
 *   attach   the links (with --stages-off, only where off cannot detach)
 *   detach   the links closed: the end of the run; again is a no-op
 *   free     detaches, frees the table
 * Behind it: stages.h (resolving, linking), stage_switch.h (switching the
 * links at run time), uprobe_link.h (the link kinds).
 */
#ifndef BPFPROF_STAGE_ATTACHER_H
#define BPFPROF_STAGE_ATTACHER_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include "probes/bpf_loader.h"
#include "probes/stages.h"

struct stage_attacher;
struct stage_switch;

struct stage_attacher_opts {
	const char *const *specs; /* -u, in order */
	int n_specs;
	const char *specs_option;      /* the option that gave specs, for errors: NULL "-u" */
	const char *const *usdt_specs; /* -U (probes/usdt.h) */
	int n_usdt_specs;
	const char *const *marker_specs; /* -m */
	int n_marker_specs;
	/* A command bpfprof will start (argv[0]): its binary is the main
	 * one, and library names are looked up in bpfprof's own mappings.
	 * NULL: -p or the whole machine. */
	const char *command;
	bool follow;		   /* the probes fire in every process */
	bool stages_off;	   /* --stages-off */
	unsigned int sample_every; /* --sample N */
	uint32_t usdt_names;	   /* --usdt-names: names per -U ...@N spec */
	enum returns_mode returns; /* --returns */
	FILE *log;		   /* NULL: -q */
};

/* NULL: out of memory. */
struct stage_attacher *stage_attacher_new(const struct stage_attacher_opts *opts);
/* The specs against the target (pid 0: whole machine). 0, or -1 with err set. */
int stage_attacher_prepare(struct stage_attacher *a, pid_t pid, char *err, size_t errlen);
/*
 * Fills in cfg's stage fields (count, link kind, --stages-off, --sample)
 * and loads the skeleton with them: the caller destroys it, after
 * stage_attacher_free. NULL with err set.
 */
struct bpfprof_bpf *stage_attacher_load(struct stage_attacher *a, struct loader_config *cfg,
					char *err, size_t errlen);
/* The links, and one line on the log saying what is timed. 0, or -1 with err set. */
int stage_attacher_attach(struct stage_attacher *a, pid_t pid, char *err, size_t errlen);
void stage_attacher_detach(struct stage_attacher *a);
/* NULL is fine. */
void stage_attacher_free(struct stage_attacher *a);

/* The probe sites (the stage ids), from prepare on. */
/* -U ...@N: the names the probes met since, onto the table's stages (before
 * any output reads it). */
void stage_attacher_refresh_names(struct stage_attacher *a);
const struct stage_table *stage_attacher_table(const struct stage_attacher *a);
enum uprobe_link_kind stage_attacher_link_kind(const struct stage_attacher *a);
/* What switches the probes off and on at run time (stage_control.h). */
struct stage_switch *stage_attacher_switch(struct stage_attacher *a);

#endif
