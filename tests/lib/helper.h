/* SPDX-License-Identifier: MIT */
/* Shared by the tests: running bpfprof and targets, reading its JSON. */
#ifndef BPFPROF_TEST_HELPER_H
#define BPFPROF_TEST_HELPER_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/types.h>
#include <cmocka.h>
#include <jansson.h>

/* Tests that load BPF call this first: it skips them when not root, but
 * fails them under CI=true, where they must run. */
#define REQUIRE_ROOT_BPF()                                                        \
	do {                                                                      \
		if (!helper_can_bpf()) {                                          \
			if (helper_in_ci())                                       \
				fail_msg("needs root and BPF, and CI=true is set"); \
			skip();                                                   \
		}                                                                 \
	} while (0)

bool helper_in_ci(void);
bool helper_can_bpf(void);

/* build/ and its binaries (BPFPROF_BUILD overrides "build"). */
const char *helper_build_dir(void);
/* "<build>/bpfprof", "<build>/targets/NAME" in a static buffer per call site. */
char *helper_path(char *buf, size_t len, const char *rel);

struct proc_run {
	pid_t pid;
	int stdin_fd;  /* write end of the child's stdin, or -1 */
	int stderr_fd; /* read end of the child's stderr */
	char err[8192]; /* stderr collected so far */
	size_t err_len;
	int status;    /* wait status once reaped */
};

/* Starts argv (NULL-terminated) with stdin piped (if want_stdin), stdout to
 * /dev/null and stderr captured. uid: run as this user when >= 0. */
int helper_spawn(struct proc_run *r, char *const argv[], bool want_stdin, int uid);
/* Collect stderr until `needle` appears; false on timeout or exit. */
bool helper_wait_stderr(struct proc_run *r, const char *needle, double timeout_s);
/* The same, until `needle` has appeared n times in all. */
bool helper_wait_stderr_n(struct proc_run *r, const char *needle, int n, double timeout_s);
/* Wait for exit (collecting stderr); returns the exit code, or -1 on
 * timeout (the child is then killed), 128+sig if killed by a signal. */
int helper_wait_exit(struct proc_run *r, double timeout_s);
/* Write bytes to the child's stdin (a target waiting at its gate starts). */
void helper_send(struct proc_run *r, const char *bytes);

/* bpfprof started with its stdin piped to the command it runs: returns
 * once it says it is profiling (fails the test if it does not). */
void helper_start_profiler(struct proc_run *r, char *const argv[]);
/* `bpfprof -i 0.25 -u tick -o DIR EXTRA... -- tick_target run` (a fresh
 * DIR; extra is NULL-terminated, may be NULL), started as above. */
void helper_start_tick_profiler(struct proc_run *r, char *dir, size_t dirlen,
				const char *const *extra);
/* Closing stdin ends such a command, and with it bpfprof: fails the test
 * unless bpfprof then exits 0. */
void helper_stop_profiler(struct proc_run *r);

/* Run to completion; returns the exit code. */
int helper_run(char *const argv[], double timeout_s, struct proc_run *r);

/* A bpfprof run on a target of the build, to its end:
 *   bpfprof ARGS... -o DIR -- BUILD/TARGET TARGS...
 * (args and targs NULL-terminated, or NULL). DIR is a fresh temp dir,
 * run.err has bpfprof's stderr, summary is DIR/summary.json (checked to be
 * one) or NULL when there is none. */
struct helper_profile {
	char dir[64];
	struct proc_run run;
	json_t *summary;
};
/* bpfprof's exit status (-1: it did not start or end in time). */
int helper_profile(struct helper_profile *p, const char *const args[], const char *target,
		   const char *const targs[], double timeout_s);
/* The summary freed and DIR removed. */
void helper_profile_done(struct helper_profile *p);

char *helper_tmpdir(char *buf, size_t len);
void helper_rmtree(const char *dir);
bool helper_exists(const char *path);
/* Entries in dir other than . and .. */
int helper_dir_entries(const char *dir);
/* A "CapXxx:" mask (hex) from a /proc status file; fails the test when
 * the field is missing. */
unsigned long long helper_cap_field(const char *status_path, const char *field);

json_t *helper_load_json(const char *path);
/* dir/name as JSON; fails the test when missing or invalid. */
json_t *helper_load_json_in(const char *dir, const char *name);
/* Every line of a JSONL file, as one array; NULL if any line is invalid. */
json_t *helper_load_jsonl(const char *path);
/* The PROC with this pid in obj["processes"], or NULL. */
json_t *helper_find_proc(json_t *obj, pid_t pid);
/* The stage with this (demangled) name in a PROC's "stages", or NULL. */
json_t *helper_find_stage(json_t *proc, const char *name);
/* Its calls; 0 when the PROC or the stage is missing. */
long long helper_stage_calls(json_t *proc, const char *name);
/* A stage's integer at a dotted path; fails the test when the stage is missing. */
long long helper_stage_int(json_t *proc, const char *stage, const char *dotted);
/* The stages' calls_unfinished summed over every process of a summary. */
long long helper_stages_unfinished(json_t *summary);
/* The value of NAME in a target's result file of "NAME VALUE" pairs; fails
 * the test when it is not there. */
long long helper_result_value(const char *path, const char *name);
/* A shell command's whole stdout (malloc'd, NUL-terminated; free it) and,
 * in *status, pclose's status for it. */
char *helper_command_output(const char *cmd, int *status);
/* Fails the test unless got is want within frac of it plus slack. */
void helper_assert_within(long long got, long long want, double frac, long long slack,
			  const char *what);
/* Sleeps s seconds, through signals. */
void helper_sleep_s(double s);
/* Integer at a dotted path ("io.write.ops"); -1 when missing. */
long long helper_int(json_t *obj, const char *dotted);

#endif
