/* SPDX-License-Identifier: MIT */
/*
 * The process being profiled: an existing pid, or a command bpfprof starts
 * and holds at a gate until the probes are attached, so that its first
 * syscall is counted.
 */
#ifndef BPFPROF_TARGET_H
#define BPFPROF_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

struct target {
	pid_t pid;
	int pidfd;	  /* readable once the process has exited; -1 system-wide */
	bool is_child;	  /* started by us: reap it */
	int gate_fd;	  /* write end the child waits on before exec */
	int exec_err_fd;  /* read end: the child's errno if exec failed */
	int exit_status;  /* child's wait status once reaped, else -1 */
	/* Once reaped: its CPU time in all (wait4; exact to the microsecond,
	 * where /proc/PID/stat counts 10 ms ticks). */
	bool have_usage;
	struct rusage usage;
	/* -p PID,PID...: the others' pidfds; pidfd watches one that runs. */
	int more_pidfds[63];
	int n_more;
};

void target_init(struct target *t);
/* An existing process we may profile: not a zombie, not a kernel thread. */
int target_open_pid(struct target *t, pid_t pid, char *err, size_t errlen);
/* What execvp would run for cmd (PATH search), into resolved; a one-line
 * reason in err when it cannot be executed. */
int target_find_command(const char *cmd, char *resolved, size_t resolved_len, char *err,
			size_t errlen);
/*
 * The program the kernel runs for the executable file `path` (as
 * target_find_command gives it): a "#!" script's interpreter (followed as
 * the kernel does, up to 4 levels; "#!/usr/bin/env NAME" runs NAME from
 * PATH), else path itself; canonical (absolute, symlinks resolved), so a
 * binary has one name whatever the mode. *is_script says whether it
 * followed "#!". 0, or -errno with err set.
 */
int target_exec_binary(const char *path, char *out, size_t len, bool *is_script, char *err,
		       size_t errlen);
/* Several running processes (-p PID,PID...): t->pid is the first; the run
 * lasts until the last exits (target_watch_next). */
int target_open_pids(struct target *t, const pid_t *pids, int n, char *err, size_t errlen);
/* t->pidfd fired: watch another of the processes that still runs instead.
 * false when none does. */
bool target_watch_next(struct target *t);
/* --comm: the running processes named name (their comm), bpfprof's own
 * excepted, into pids; how many (at most max). */
int target_find_by_comm(const char *name, pid_t *pids, int max);
/* Checks that argv[0] can be executed, then forks a child that waits at
 * the gate. */
int target_spawn(struct target *t, char **argv, char *err, size_t errlen);
/* Lets the child exec; fails (with the reason) if exec failed. */
int target_release(struct target *t, char **argv, char *err, size_t errlen);
bool target_exited(const struct target *t);
/* Reaps a child that has exited (no-op for others). */
void target_reap(struct target *t);
/*
 * bpfprof is stopping while the command it started still runs (a signal,
 * -d, q): pass it sig (0: it already got it, as a Ctrl-C from the terminal
 * reaches the whole process group), give it grace_s to exit, then SIGKILL.
 * Reaps it either way, so the summary has its exit status and bpfprof never
 * waits on it for longer than that.
 */
void target_stop(struct target *t, int sig, double grace_s);
/* Kills and reaps a child that must not run (a start that failed). */
void target_abort(struct target *t);
void target_close(struct target *t);

/* The process's executable, as /proc/PID/exe resolves it, else its comm
 * (after the capability drop; see privileges.h), "" if unknown. */
void target_exe_path(pid_t pid, char *buf, size_t len);

#endif
