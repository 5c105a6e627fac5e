// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "lib/helper.h"

bool helper_in_ci(void)
{
	const char *ci = getenv("CI");

	return ci && !strcmp(ci, "true");
}

bool helper_can_bpf(void)
{
	return geteuid() == 0 && !access("/sys/kernel/btf/vmlinux", R_OK);
}

const char *helper_build_dir(void)
{
	const char *b = getenv("BPFPROF_BUILD");

	return b && *b ? b : "build";
}

char *helper_path(char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s/%s", helper_build_dir(), rel);
	return buf;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int helper_spawn(struct proc_run *r, char *const argv[], bool want_stdin, int uid)
{
	int in[2] = { -1, -1 }, errp[2];

	memset(r, 0, sizeof(*r));
	r->stdin_fd = -1;
	if (pipe2(errp, O_CLOEXEC) || (want_stdin && pipe2(in, O_CLOEXEC)))
		return -1;
	r->pid = fork();
	if (r->pid < 0)
		return -1;
	if (r->pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		dup2(want_stdin ? in[0] : devnull, 0);
		dup2(devnull, 1);
		dup2(errp[1], 2);
		if (uid >= 0 && (setgroups(0, NULL), setresgid(uid, uid, uid) || setresuid(uid, uid, uid)))
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	close(errp[1]);
	r->stderr_fd = errp[0];
	fcntl(r->stderr_fd, F_SETFL, O_NONBLOCK);
	if (want_stdin) {
		close(in[0]);
		r->stdin_fd = in[1];
	}
	return 0;
}

/* Read what stderr has; false at EOF. */
static bool pump(struct proc_run *r, int timeout_ms)
{
	struct pollfd pfd = { .fd = r->stderr_fd, .events = POLLIN };
	ssize_t n;

	if (r->stderr_fd < 0)
		return false;
	if (poll(&pfd, 1, timeout_ms) <= 0)
		return true;
	n = read(r->stderr_fd, r->err + r->err_len, sizeof(r->err) - 1 - r->err_len);
	if (n <= 0 && !(n < 0 && errno == EAGAIN)) {
		close(r->stderr_fd);
		r->stderr_fd = -1;
		return false;
	}
	if (n > 0)
		r->err_len += (size_t)n;
	r->err[r->err_len] = '\0';
	return true;
}

bool helper_wait_stderr(struct proc_run *r, const char *needle, double timeout_s)
{
	double end = now() + timeout_s;

	while (!strstr(r->err, needle)) {
		if (now() > end || !pump(r, 50))
			return strstr(r->err, needle) != NULL;
	}
	return true;
}

static int count_of(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

bool helper_wait_stderr_n(struct proc_run *r, const char *needle, int n, double timeout_s)
{
	double end = now() + timeout_s;

	while (count_of(r->err, needle) < n) {
		if (now() > end || !pump(r, 50))
			return count_of(r->err, needle) >= n;
	}
	return true;
}

int helper_wait_exit(struct proc_run *r, double timeout_s)
{
	double end = now() + timeout_s;

	for (;;) {
		pid_t w = waitpid(r->pid, &r->status, WNOHANG);

		if (w == r->pid)
			break;
		if (now() > end) {
			kill(r->pid, SIGKILL);
			waitpid(r->pid, &r->status, 0);
			return -1;
		}
		if (!pump(r, 20))
			usleep(5000);
	}
	while (pump(r, 0))
		;
	if (r->stdin_fd >= 0)
		close(r->stdin_fd);
	r->stdin_fd = -1;
	return WIFEXITED(r->status) ? WEXITSTATUS(r->status) : 128 + WTERMSIG(r->status);
}

void helper_send(struct proc_run *r, const char *bytes)
{
	if (r->stdin_fd >= 0 && write(r->stdin_fd, bytes, strlen(bytes)) < 0)
		fail_msg("writing to the child's stdin: %s", strerror(errno));
}

int helper_run(char *const argv[], double timeout_s, struct proc_run *r)
{
	if (helper_spawn(r, argv, false, -1))
		return -1;
	return helper_wait_exit(r, timeout_s);
}

int helper_profile(struct helper_profile *p, const char *const args[], const char *target,
		   const char *const targs[], double timeout_s)
{
	char bin[256], path[256], sum[512];
	const char *argv[64];
	int n = 0, rc;

	memset(p, 0, sizeof(*p));
	helper_tmpdir(p->dir, sizeof(p->dir));
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(path, sizeof(path), target);
	argv[n++] = bin;
	for (int i = 0; args && args[i] && n < 56; i++)
		argv[n++] = args[i];
	argv[n++] = "-o";
	argv[n++] = p->dir;
	argv[n++] = "--";
	argv[n++] = path;
	for (int i = 0; targs && targs[i] && n < 63; i++)
		argv[n++] = targs[i];
	argv[n] = NULL;
	rc = helper_run((char *const *)argv, timeout_s, &p->run);
	snprintf(sum, sizeof(sum), "%s/summary.json", p->dir);
	p->summary = helper_load_json(sum);
	if (p->summary &&
	    strcmp(json_string_value(json_object_get(p->summary, "schema")) ?: "",
		   "bpfprof.summary.v1"))
		fail_msg("%s is not a bpfprof summary", sum);
	return rc;
}

void helper_profile_done(struct helper_profile *p)
{
	json_decref(p->summary);
	p->summary = NULL;
	helper_rmtree(p->dir);
}

char *helper_tmpdir(char *buf, size_t len)
{
	snprintf(buf, len, "/tmp/bpfprof-test-XXXXXX");
	if (!mkdtemp(buf))
		fail_msg("mkdtemp: %s", strerror(errno));
	return buf;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void helper_rmtree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

bool helper_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

json_t *helper_load_json(const char *path)
{
	json_error_t e;
	json_t *j = json_load_file(path, 0, &e);

	if (!j)
		print_error("%s: %s (line %d)\n", path, e.text, e.line);
	return j;
}

json_t *helper_load_json_in(const char *dir, const char *name)
{
	char path[512];
	json_t *j;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	j = helper_load_json(path);
	if (!j)
		fail_msg("%s: missing or invalid", path);
	return j;
}

json_t *helper_load_jsonl(const char *path)
{
	FILE *f = fopen(path, "r");
	json_t *arr = json_array();
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f) {
		json_decref(arr);
		return NULL;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		json_error_t e;
		json_t *j;

		if (line[n - 1] != '\n' || !(j = json_loadb(line, (size_t)n, 0, &e))) {
			print_error("%s: bad line: %.80s\n", path, line);
			json_decref(arr);
			arr = NULL;
			break;
		}
		json_array_append_new(arr, j);
	}
	free(line);
	fclose(f);
	return arr;
}

json_t *helper_find_proc(json_t *obj, pid_t pid)
{
	json_t *procs = json_object_get(obj, "processes"), *p;
	size_t i;

	json_array_foreach(procs, i, p)
		if (json_integer_value(json_object_get(p, "pid")) == pid)
			return p;
	return NULL;
}

json_t *helper_find_stage(json_t *proc, const char *name)
{
	json_t *st;
	size_t i;

	json_array_foreach(json_object_get(proc, "stages"), i, st)
		if (!strcmp(json_string_value(json_object_get(st, "name")), name))
			return st;
	return NULL;
}

long long helper_stage_calls(json_t *proc, const char *name)
{
	json_t *st = helper_find_stage(proc, name);

	return st ? helper_int(st, "calls") : 0;
}

long long helper_stage_int(json_t *proc, const char *stage, const char *dotted)
{
	json_t *st = helper_find_stage(proc, stage);

	if (!st)
		fail_msg("no stage %s", stage);
	return helper_int(st, dotted);
}

long long helper_stages_unfinished(json_t *summary)
{
	json_t *proc, *st;
	long long n = 0;
	size_t i, k;

	json_array_foreach (json_object_get(summary, "processes"), i, proc)
		json_array_foreach (json_object_get(proc, "stages"), k, st)
			n += helper_int(st, "calls_unfinished");
	return n;
}

long long helper_result_value(const char *path, const char *name)
{
	char key[64];
	long long v;
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	while (fscanf(f, "%63s %lld", key, &v) == 2)
		if (!strcmp(key, name)) {
			fclose(f);
			return v;
		}
	fclose(f);
	fail_msg("%s not in %s", name, path);
	return -1;
}

void helper_assert_within(long long got, long long want, double frac, long long slack,
			  const char *what)
{
	long long d = got > want ? got - want : want - got;

	if (d > (long long)(want * frac) + slack)
		fail_msg("%s: %lld, expected %lld within %.0f%% + %lld", what, got, want,
			 frac * 100, slack);
}

void helper_sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts))
		;
}

long long helper_int(json_t *obj, const char *dotted)
{
	char key[256], *save = NULL, *tok;

	snprintf(key, sizeof(key), "%s", dotted);
	for (tok = strtok_r(key, ".", &save); tok && obj; tok = strtok_r(NULL, ".", &save))
		obj = json_object_get(obj, tok);
	return json_is_integer(obj) ? json_integer_value(obj) : -1;
}

void helper_start_profiler(struct proc_run *r, char *const argv[])
{
	assert_int_equal(helper_spawn(r, argv, true, -1), 0);
	if (!helper_wait_stderr(r, "profiling pid", 30))
		fail_msg("bpfprof did not start: %s", r->err);
}

void helper_start_tick_profiler(struct proc_run *r, char *dir, size_t dirlen,
				const char *const *extra)
{
	static char bin[256], target[256];
	char *argv[24];
	int n = 0;

	helper_tmpdir(dir, dirlen);
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/tick_target");
	argv[n++] = bin;
	argv[n++] = "-i";
	argv[n++] = "0.25";
	argv[n++] = "-u";
	argv[n++] = "tick";
	argv[n++] = "-o";
	argv[n++] = dir;
	for (int i = 0; extra && extra[i] && n < 20; i++)
		argv[n++] = (char *)extra[i];
	argv[n++] = "--";
	argv[n++] = target;
	argv[n++] = "run";
	argv[n] = NULL;
	helper_start_profiler(r, argv);
}

void helper_stop_profiler(struct proc_run *r)
{
	close(r->stdin_fd);
	r->stdin_fd = -1;
	if (helper_wait_exit(r, 30) != 0)
		fail_msg("bpfprof failed: %s", r->err);
}

int helper_dir_entries(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

unsigned long long helper_cap_field(const char *status_path, const char *field)
{
	char line[256];
	unsigned long long v = ~0ULL;
	FILE *f = fopen(status_path, "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, strlen(field)))
			v = strtoull(line + strlen(field), NULL, 16);
	fclose(f);
	if (v == ~0ULL)
		fail_msg("%s: no %s", status_path, field);
	return v;
}

char *helper_command_output(const char *cmd, int *status)
{
	size_t cap = 1 << 16, len = 0, got;
	char *out = malloc(cap);
	FILE *p = popen(cmd, "r");

	assert_non_null(out);
	assert_non_null(p);
	while ((got = fread(out + len, 1, cap - len - 1, p)) > 0) {
		len += got;
		if (len + 1 == cap) {
			out = realloc(out, cap *= 2);
			assert_non_null(out);
		}
	}
	out[len] = '\0';
	*status = pclose(p);
	return out;
}
