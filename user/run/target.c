// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "common/own_pids.h"
#include "run/target.h"

#define PF_KTHREAD 0x00200000 /* include/linux/sched.h */

void target_init(struct target *t)
{
	memset(t, 0, sizeof(*t));
	t->pidfd = t->gate_fd = t->exec_err_fd = -1;
	t->exit_status = -1;
}

/* State letter and flags from /proc/PID/stat; the comm field may hold
 * spaces and parentheses, so parse from the last ')'. */
static int read_stat(pid_t pid, char *state, unsigned long *flags)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	/* ") S ppid pgrp session tty tpgid flags" */
	if (!p || sscanf(p, ") %c %*d %*d %*d %*d %*d %lu", state, flags) != 2)
		return -EIO;
	return 0;
}

int target_open_pid(struct target *t, pid_t pid, char *err, size_t errlen)
{
	unsigned long flags;
	char state;
	int rc = read_stat(pid, &state, &flags);

	if (rc == -ENOENT) {
		snprintf(err, errlen, "no process with pid %d", pid);
		return rc;
	}
	if (rc) {
		snprintf(err, errlen, "cannot read /proc/%d/stat: %s", pid, strerror(-rc));
		return rc;
	}
	if (state == 'Z' || state == 'X') {
		snprintf(err, errlen, "process %d is a zombie: it has exited", pid);
		return -ESRCH;
	}
	if (flags & PF_KTHREAD) {
		snprintf(err, errlen, "process %d is a kernel thread: it makes no syscalls", pid);
		return -EINVAL;
	}
	t->pid = pid;
	t->pidfd = pidfd_open(pid, 0);
	if (t->pidfd < 0) {
		snprintf(err, errlen, "cannot watch process %d: %s", pid, strerror(errno));
		return -errno;
	}
	return 0;
}

int target_find_by_comm(const char *name, pid_t *pids, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		char path[64], comm[32] = "";
		pid_t pid = (pid_t)atoi(de->d_name);
		FILE *f;

		if (pid <= 0 || own_pid(pid))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
		if (!strcmp(comm, name))
			pids[n++] = pid;
	}
	closedir(d);
	return n;
}

int target_open_pids(struct target *t, const pid_t *pids, int n, char *err, size_t errlen)
{
	struct target other;
	int rc = target_open_pid(t, pids[0], err, errlen);
	int max = (int)(sizeof(t->more_pidfds) / sizeof(t->more_pidfds[0]));

	for (int i = 1; !rc && i < n; i++) {
		if (t->n_more == max) {
			snprintf(err, errlen, "too many processes (at most %d)", max + 1);
			return -E2BIG;
		}
		target_init(&other);
		rc = target_open_pid(&other, pids[i], err, errlen);
		if (!rc)
			t->more_pidfds[t->n_more++] = other.pidfd;
	}
	return rc;
}

bool target_watch_next(struct target *t)
{
	while (t->n_more) {
		int fd = t->more_pidfds[--t->n_more];
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, 0) == 0) {
			close(t->pidfd);
			t->pidfd = fd;
			return true;
		}
		close(fd);
	}
	return false;
}

/* What execvp would run, into resolved, so a typo fails before anything is
 * created and the child makes exactly one execve. */
int target_find_command(const char *cmd, char *resolved, size_t resolved_len, char *err,
			size_t errlen)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];
	int saved = ENOENT;

	if (!*cmd) {
		snprintf(err, errlen, "cannot execute '': empty command");
		return -ENOENT;
	}
	if (strchr(cmd, '/')) {
		struct stat st;

		if (stat(cmd, &st))
			saved = errno;
		else if (S_ISDIR(st.st_mode))
			saved = EISDIR;
		else if (access(cmd, X_OK))
			saved = errno;
		else {
			snprintf(resolved, resolved_len, "%s", cmd);
			return 0;
		}
		goto fail;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");
		struct stat st;

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, len ? path : ".", cmd);
		if (!stat(buf, &st) && S_ISREG(st.st_mode)) {
			if (!access(buf, X_OK)) {
				snprintf(resolved, resolved_len, "%s", buf);
				return 0;
			}
			saved = EACCES;
		}
		path += len + (path[len] == ':');
	}
fail:
	snprintf(err, errlen, "cannot execute '%s': %s", cmd, strerror(saved));
	return -saved;
}

/* The interpreter a "#!" line names, into interp (canonical path, or the
 * command env would look up); 1 when file is a script, 0 when not, -errno. */
static int script_interpreter(const char *file, char *interp, size_t len, char *err,
			      size_t errlen)
{
	char line[256], *p, *name, *arg;
	ssize_t n;
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "cannot read '%s': %s", file, strerror(errno));
		return -errno;
	}
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n < 2 || line[0] != '#' || line[1] != '!')
		return 0;
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';
	/* "#! /path/interp [one argument]", as the kernel splits it. */
	p = line + 2 + strspn(line + 2, " \t");
	name = strsep(&p, " \t");
	arg = p ? p + strspn(p, " \t") : NULL;
	if (!name || !*name) {
		snprintf(err, errlen, "'%s': empty #! line", file);
		return -ENOEXEC;
	}
	/* "#!/usr/bin/env [-S] NAME ...": the program is NAME from PATH. */
	if (!strcmp(strrchr(name, '/') ? strrchr(name, '/') + 1 : name, "env") && arg && *arg) {
		if (!strncmp(arg, "-S", 2))
			arg += 2 + strspn(arg + 2, " \t");
		arg[strcspn(arg, " \t")] = '\0';
		if (*arg && *arg != '-')
			return target_find_command(arg, interp, len, err, errlen) ? -ENOENT : 1;
	}
	snprintf(interp, len, "%s", name);
	return 1;
}

int target_exec_binary(const char *path, char *out, size_t len, bool *is_script, char *err,
		       size_t errlen)
{
	char cur[PATH_MAX], next[PATH_MAX];
	int rc;

	*is_script = false;
	snprintf(cur, sizeof(cur), "%s", path);
	/* The kernel follows at most 4 nested interpreters (binfmt_script). */
	for (int depth = 0; depth <= 4; depth++) {
		rc = script_interpreter(cur, next, sizeof(next), err, errlen);
		if (rc < 0)
			return rc;
		if (!rc) {
			if (!realpath(cur, next)) {
				snprintf(err, errlen, "cannot resolve '%s': %s", cur, strerror(errno));
				return -errno;
			}
			snprintf(out, len, "%s", next);
			return 0;
		}
		*is_script = true;
		snprintf(cur, sizeof(cur), "%s", next);
	}
	snprintf(err, errlen, "'%s': too many nested #! interpreters", path);
	return -ELOOP;
}

int target_spawn(struct target *t, char **argv, char *err, size_t errlen)
{
	int gate[2] = { -1, -1 }, exec_err[2] = { -1, -1 };
	char resolved[PATH_MAX];
	pid_t pid;
	int rc;

	rc = target_find_command(argv[0], resolved, sizeof(resolved), err, errlen);
	if (rc)
		return rc;
	if (pipe2(gate, O_CLOEXEC) || pipe2(exec_err, O_CLOEXEC)) {
		rc = -errno;
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto cleanup;
	}
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		snprintf(err, errlen, "fork: %s", strerror(errno));
		goto cleanup;
	}
	if (pid == 0) {
		sigset_t none;
		char go;

		/* The child: die with bpfprof, wait for the probes, exec with
		 * the signal mask bpfprof had before blocking its own. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		close(gate[1]);
		close(exec_err[0]);
		if (read(gate[0], &go, 1) != 1)
			_exit(127);
		execv(resolved, argv);
		rc = errno;
		if (write(exec_err[1], &rc, sizeof(rc)) < 0)
			_exit(127);
		_exit(127);
	}
	t->pid = pid;
	t->is_child = true;
	t->gate_fd = gate[1];
	t->exec_err_fd = exec_err[0];
	gate[1] = exec_err[0] = -1;
	t->pidfd = pidfd_open(pid, 0);
	if (t->pidfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "pidfd_open: %s", strerror(errno));
		target_abort(t);
		goto cleanup;
	}
	rc = 0;
cleanup:
	for (int i = 0; i < 2; i++) {
		if (gate[i] >= 0)
			close(gate[i]);
		if (exec_err[i] >= 0)
			close(exec_err[i]);
	}
	return rc;
}

int target_release(struct target *t, char **argv, char *err, size_t errlen)
{
	int child_errno;
	ssize_t n;

	if (write(t->gate_fd, "g", 1) != 1) {
		snprintf(err, errlen, "cannot start '%s': %s", argv[0], strerror(errno));
		return -EIO;
	}
	close(t->gate_fd);
	t->gate_fd = -1;
	/* EOF (close-on-exec) means exec succeeded. */
	do
		n = read(t->exec_err_fd, &child_errno, sizeof(child_errno));
	while (n < 0 && errno == EINTR);
	close(t->exec_err_fd);
	t->exec_err_fd = -1;
	if (n == sizeof(child_errno)) {
		snprintf(err, errlen, "cannot execute '%s': %s", argv[0], strerror(child_errno));
		target_reap(t);
		return -child_errno;
	}
	return 0;
}

bool target_exited(const struct target *t)
{
	struct pollfd pfd = { .fd = t->pidfd, .events = POLLIN };

	if (t->pidfd < 0)
		return false;
	return poll(&pfd, 1, 0) == 1;
}

void target_reap(struct target *t)
{
	int status;

	if (!t->is_child || t->exit_status >= 0)
		return;
	if (wait4(t->pid, &status, 0, &t->usage) == t->pid) {
		t->exit_status = status;
		t->have_usage = true;
	}
}

void target_stop(struct target *t, int sig, double grace_s)
{
	struct pollfd pfd = { .fd = t->pidfd, .events = POLLIN };

	if (!t->is_child || t->exit_status >= 0 || target_exited(t))
		goto reap;
	if (sig)
		kill(t->pid, sig);
	if (t->pidfd < 0 || poll(&pfd, 1, (int)(grace_s * 1000)) <= 0)
		kill(t->pid, SIGKILL);
reap:
	target_reap(t);
}

void target_abort(struct target *t)
{
	if (!t->is_child)
		return;
	kill(t->pid, SIGKILL);
	target_reap(t);
}

void target_close(struct target *t)
{
	while (t->n_more)
		close(t->more_pidfds[--t->n_more]);
	if (t->pidfd >= 0)
		close(t->pidfd);
	if (t->gate_fd >= 0)
		close(t->gate_fd);
	if (t->exec_err_fd >= 0)
		close(t->exec_err_fd);
	t->pidfd = t->gate_fd = t->exec_err_fd = -1;
}

void target_exe_path(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, buf, len - 1);
	if (n <= 0) {
		/* exe is behind a ptrace check that fails once bpfprof has
		 * dropped its capabilities; comm is readable by anyone. */
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		f = fopen(path, "re");
		n = f && fgets(buf, (int)len, f) ? (ssize_t)strcspn(buf, "\n") : 0;
		if (f)
			fclose(f);
	}
	buf[n > 0 ? n : 0] = '\0';
}
