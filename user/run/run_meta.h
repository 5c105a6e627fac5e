/* SPDX-License-Identifier: MIT */
/*
 * Where and what ran: host, kernel, bpfprof's version and command line, the
 * target's executable and its build id. Written into the summary and every
 * flush record as "run".
 */
#ifndef BPFPROF_RUN_META_H
#define BPFPROF_RUN_META_H

#include <limits.h>
#include <sys/types.h>

struct run_meta {
	char hostname[256];
	char kernel[128];
	const char *version;
	char *const *argv; /* bpfprof's own command line */
	int argc;
	char exe[PATH_MAX]; /* the target's executable; "" in whole-machine mode */
	char build_id[128]; /* hex; "" when it has none or cannot be read */
};

/* Host, kernel, version and command line. */
void run_meta_init(struct run_meta *m, int argc, char *const *argv);
/*
 * The target's executable, from /proc/PID/exe (exe, the path bpfprof ran,
 * when the process is already gone), and its build id from the ELF notes.
 */
void run_meta_set_target(struct run_meta *m, pid_t pid, const char *exe);

#endif
