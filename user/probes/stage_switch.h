/* SPDX-License-Identifier: MIT */
/*
 * The stage probes' attachment, for switching them off and on at run time.
 * Off means detached: a probed function then costs the target nothing, where
 * an attached probe that only checks the flag still costs its breakpoint
 * trap (~600 ns a call here). Each attach is the same table (offsets,
 * cookies, link kind) and bumps the BPF side's generation, so frames left
 * open by the last detach are dropped as unfinished calls.
 *
 * The binaries are opened once, before bpfprof gives up its capabilities;
 * attaching through /proc/self/fd/N then needs none (uprobe_multi and
 * session links). Classic perf-event uprobes (kernels before 6.6) need
 * CAP_PERFMON to attach and ~100 ms each to detach: with them the probes
 * stay attached and off only flips the flag.
 */
#ifndef BPFPROF_STAGE_SWITCH_H
#define BPFPROF_STAGE_SWITCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "probes/stages.h"

struct bpfprof_bpf;

struct stage_switch {
	struct bpfprof_bpf *skel;  /* NULL: not opened */
	struct stage_table via_fd; /* the stage table, paths as /proc/self/fd/N */
	int *fds;
	size_t n_fds;
	enum uprobe_link_kind kind;
	pid_t pid; /* 0: every process */
	struct stage_links links;
	bool attached;
	double last_ms; /* how long the last attach or detach took */
};

/*
 * Opens every binary of t (not yet attached). t must outlive sw. pid 0:
 * the probes fire in every process. 0, or -errno with err set.
 */
int stage_switch_open(struct stage_switch *sw, struct bpfprof_bpf *skel,
		      const struct stage_table *t, enum uprobe_link_kind kind, pid_t pid, char *err,
		      size_t errlen);
/* Until stage_switch_close. */
bool stage_switch_is_open(const struct stage_switch *sw);
/* Whether off detaches (false for perf-event links: the flag only). */
bool stage_switch_detaches(const struct stage_switch *sw);
/* A new generation and the links (no-op when attached); the flag untouched. */
int stage_switch_attach(struct stage_switch *sw, char *err, size_t errlen);
/*
 * On: stage_switch_attach, then the flag. On failure the probes stay off
 * and nothing is attached.
 */
int stage_switch_on(struct stage_switch *sw, char *err, size_t errlen);
/* Off: the flag first (at once), then the links. */
void stage_switch_off(struct stage_switch *sw);
/* The links, the flag left as it is (the end of the run); the binaries closed. */
void stage_switch_close(struct stage_switch *sw);
/* "5 functions in 1.2 ms" for the logs. */
void stage_switch_describe(const struct stage_switch *sw, char *buf, size_t len);

#endif
