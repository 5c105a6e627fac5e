// SPDX-License-Identifier: MIT
/*
 * Faults while running, against known targets: the target crashes, is
 * killed, execs another program or forks; bpfprof is stopped by a signal,
 * its deadline, a closed stdout, or SIGKILL; the output filesystem fills
 * up. Every way out leaves complete, valid files whose counts are exact,
 * and SIGKILL leaves no BPF program, link or map of bpfprof's behind.
 */
#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "lib/helper.h"
#include "targets/target_common.h"

static char bin[256], fault[256], io[256];

static int group_setup(void **state)
{
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(fault, sizeof(fault), "targets/fault_target");
	helper_path(io, sizeof(io), "targets/io_target");
	return 0;
}

static json_t *load_summary(const char *dir)
{
	json_t *s = helper_load_json_in(dir, "summary.json");

	assert_string_equal(json_string_value(json_object_get(s, "schema")), "bpfprof.summary.v1");
	return s;
}

static const char *end_reason(json_t *s)
{
	return json_string_value(json_object_get(s, "end_reason"));
}

/*
 * flushes.jsonl: every line valid, as many as the summary says were
 * written, and every counter of pid summed over them equal to the
 * summary's (so no interval was dropped or counted twice).
 */
static void check_flushes(const char *dir, json_t *summary, pid_t pid)
{
	json_t *sum_proc = helper_find_proc(summary, pid), *flushes, *rec, *v;
	long long written = helper_int(summary, "output.flush_records_written");
	const char *name;
	char path[512];
	size_t i;

	snprintf(path, sizeof(path), "%s/flushes.jsonl", dir);
	flushes = helper_load_jsonl(path);
	assert_non_null(flushes);
	assert_non_null(sum_proc);
	assert_int_equal(json_array_size(flushes), written);
	assert_int_equal(written + helper_int(summary, "output.flush_records_lost"),
			 helper_int(summary, "audit.flushes"));
	json_object_foreach (json_object_get(sum_proc, "syscalls"), name, v) {
		long long total = 0;
		char key[128];

		snprintf(key, sizeof(key), "syscalls.%s.count", name);
		json_array_foreach (flushes, i, rec) {
			json_t *p = helper_find_proc(rec, pid);

			if (p && helper_int(p, key) > 0)
				total += helper_int(p, key);
		}
		if (total != helper_int(sum_proc, key))
			fail_msg("%s: flushes sum to %lld, summary %lld", key, total,
				 helper_int(sum_proc, key));
	}
	json_decref(flushes);
}

static void run_command(char **argv, int expect_exit, const char *dir, json_t **summary)
{
	struct proc_run r;
	int code;

	assert_int_equal(helper_spawn(&r, argv, false, -1), 0);
	code = helper_wait_exit(&r, 60);
	if (code != expect_exit)
		fail_msg("bpfprof exited %d, expected %d: %s", code, expect_exit, r.err);
	*summary = load_summary(dir);
}

static void test_target_segfaults(void **state)
{
	char dir[64];
	json_t *s, *p;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	char *argv[] = { bin, "-q", "-i", "0.05", "-o", dir, "--", fault, "segv", NULL };

	run_command(argv, 0, dir, &s);
	assert_string_equal(end_reason(s), "target exited");
	/* 128 + SIGSEGV, as a shell reports it. */
	assert_int_equal(helper_int(s, "target.exit_status"), 128 + SIGSEGV);
	p = helper_find_proc(s, (pid_t)helper_int(s, "target.pid"));
	assert_int_equal(helper_int(p, "io.write.ops"), FAULT_WRITES);
	assert_int_equal(helper_int(p, "io.write.bytes"), FAULT_WRITES * FAULT_WRITE_SIZE);
	/* Killed by the signal: it never called exit_group. */
	assert_int_equal(helper_int(p, "syscalls.exit_group.count"), -1);
	check_flushes(dir, s, (pid_t)helper_int(s, "target.pid"));
	json_decref(s);
	helper_rmtree(dir);
}

static void test_target_aborts(void **state)
{
	char dir[64];
	json_t *s, *p;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	char *argv[] = { bin, "-q", "-i", "0.05", "-o", dir, "--", fault, "abort", NULL };

	run_command(argv, 0, dir, &s);
	assert_string_equal(end_reason(s), "target exited");
	assert_int_equal(helper_int(s, "target.exit_status"), 128 + SIGABRT);
	p = helper_find_proc(s, (pid_t)helper_int(s, "target.pid"));
	assert_int_equal(helper_int(p, "io.write.ops"), FAULT_WRITES);
	/* raise() is one tgkill, seen before the signal killed it. */
	assert_int_equal(helper_int(p, "syscalls.tgkill.count"), 1);
	json_decref(s);
	helper_rmtree(dir);
}

/* -p of a process that is then SIGKILLed: bpfprof sees it go. */
static void test_target_sigkilled(void **state)
{
	char dir[64], pidstr[16];
	struct proc_run t, r;
	json_t *s, *p;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	char *targv[] = { fault, "gate", "hold", NULL };

	assert_int_equal(helper_spawn(&t, targv, true, -1), 0);
	snprintf(pidstr, sizeof(pidstr), "%d", t.pid);
	char *argv[] = { bin, "-i", "0.05", "-p", pidstr, "-o", dir, NULL };

	assert_int_equal(helper_spawn(&r, argv, false, -1), 0);
	if (!helper_wait_stderr(&r, "profiling pid", 30))
		fail_msg("bpfprof did not start: %s", r.err);
	/* Past the gate it writes, then blocks reading stdin at "hold". */
	helper_send(&t, "g");
	for (int i = 0; i < 200; i++) {
		char path[64], line[256];
		FILE *f;
		bool blocked = false;

		snprintf(path, sizeof(path), "/proc/%d/wchan", t.pid);
		f = fopen(path, "r");
		if (f) {
			blocked = fgets(line, sizeof(line), f) && strstr(line, "read");
			fclose(f);
		}
		if (blocked)
			break;
		usleep(20000);
	}
	kill(t.pid, SIGKILL);
	assert_int_equal(helper_wait_exit(&t, 10), 128 + SIGKILL);
	assert_int_equal(helper_wait_exit(&r, 30), 0);
	s = load_summary(dir);
	assert_string_equal(end_reason(s), "target exited");
	p = helper_find_proc(s, t.pid);
	assert_int_equal(helper_int(p, "io.write.ops"), FAULT_WRITES);
	/* The read at "hold" never returned: not counted. */
	assert_int_equal(helper_int(p, "syscalls.read.count"), 1);
	check_flushes(dir, s, t.pid);
	json_decref(s);
	helper_rmtree(dir);
}

/* The target execs another program: same pid, new name, both counted. */
static void test_target_execs(void **state)
{
	char dir[64];
	json_t *s, *p;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	char *argv[] = { bin, "-q", "-i", "0.05", "-o", dir, "--", fault, "exec", io, NULL };

	run_command(argv, 0, dir, &s);
	assert_string_equal(end_reason(s), "target exited");
	assert_int_equal(helper_int(s, "target.exit_status"), 0);
	assert_int_equal(json_array_size(json_object_get(s, "processes")), 1);
	p = helper_find_proc(s, (pid_t)helper_int(s, "target.pid"));
	assert_string_equal(json_string_value(json_object_get(p, "comm")), "io_target");
	assert_int_equal(helper_int(p, "io.write.ops"), FAULT_WRITES + IO_WRITES);
	assert_int_equal(helper_int(p, "io.write.bytes"),
			 FAULT_WRITES * FAULT_WRITE_SIZE + IO_WRITES * IO_WRITE_SIZE);
	assert_int_equal(helper_int(p, "io.read.ops"), IO_READS + IO_BAD_READS);
	/* The exec that starts fault_target (the probes are attached before
	 * it) and fault_target's own. */
	assert_int_equal(helper_int(p, "syscalls.execve.count"), 2);
	check_flushes(dir, s, (pid_t)helper_int(s, "target.pid"));
	json_decref(s);
	helper_rmtree(dir);
}

/* Children forked mid-run are not the target (no --follow). */
static void test_target_forks(void **state)
{
	char dir[64], forker[256];
	json_t *s, *p;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	helper_path(forker, sizeof(forker), "targets/fork_target");
	char *argv[] = { bin, "-q", "-i", "0.05", "-o", dir, "--", forker, NULL };

	run_command(argv, 0, dir, &s);
	assert_string_equal(end_reason(s), "target exited");
	assert_int_equal(json_array_size(json_object_get(s, "processes")), 1);
	p = helper_find_proc(s, (pid_t)helper_int(s, "target.pid"));
	assert_int_equal(helper_int(p, "io.write.ops"), FORK_PARENT_WRITES);
	assert_int_equal(helper_int(p, "syscalls.clone.count"), FORK_CHILDREN);
	assert_int_equal(helper_int(p, "syscalls.wait4.count"), FORK_CHILDREN);
	json_decref(s);
	helper_rmtree(dir);
}

/*
 * Stopped mid-run (the target waits at "hold" with all its I/O done):
 * complete files, exact counts, flushes summing to the summary.
 */
static void stop_midrun(int sig, const char *duration, const char *reason)
{
	char dir[64];
	struct proc_run r;
	json_t *s, *p;
	pid_t tpid;
	int code;

	helper_tmpdir(dir, sizeof(dir));
	char *argv[] = { bin,  "-i", "0.03", "-o",   dir, "-d", (char *)duration,
			 "--", io,   "slow", "hold", NULL };

	assert_int_equal(helper_spawn(&r, argv, true, -1), 0);
	if (!helper_wait_stderr(&r, "profiling pid", 30))
		fail_msg("bpfprof did not start: %s", r.err);
	tpid = (pid_t)atoi(strstr(r.err, "profiling pid ") + strlen("profiling pid "));
	/* io_target "slow" takes ~150 ms; then it blocks on stdin. */
	usleep(600000);
	if (sig)
		kill(r.pid, sig);
	code = helper_wait_exit(&r, 60);
	if (code != 0)
		fail_msg("bpfprof exited %d: %s", code, r.err);
	s = load_summary(dir);
	assert_string_equal(end_reason(s), reason);
	/* The command got the signal (SIGTERM for -d) and died of it. */
	assert_int_equal(helper_int(s, "target.exit_status"), 128 + (sig ? sig : SIGTERM));
	p = helper_find_proc(s, tpid);
	assert_int_equal(helper_int(p, "io.write.ops"), IO_WRITES);
	assert_int_equal(helper_int(p, "io.readv.ops"), IO_READVS);
	assert_int_equal(helper_int(p, "io.recvmmsg.bytes"), IO_MMSG_VLEN * IO_MMSG_SIZE);
	assert_int_equal(helper_int(s, "output.flush_records_lost"), 0);
	check_flushes(dir, s, tpid);
	json_decref(s);
	helper_rmtree(dir);
}

static void test_stopped_by_signals_and_deadline(void **state)
{
	REQUIRE_ROOT_BPF();
	stop_midrun(SIGINT, "60", "SIGINT");
	stop_midrun(SIGTERM, "60", "SIGTERM");
	stop_midrun(SIGHUP, "60", "SIGHUP");
	stop_midrun(0, "0.9", "duration");
}

/* `bpfprof | head`: the reader goes away; the run still finishes. */
static void test_stdout_closed(void **state)
{
	char dir[64];
	int out[2], status;
	pid_t pid;
	json_t *s;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	char *argv[] = { bin, "--plain", "-i", "0.02", "-o", dir, "--", io, "slow", NULL };

	assert_int_equal(pipe(out), 0);
	close(out[0]); /* before bpfprof writes a byte */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		dup2(devnull, 0);
		dup2(out[1], 1);
		dup2(devnull, 2);
		execv(bin, argv);
		_exit(127);
	}
	close(out[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status))
		fail_msg("bpfprof died of signal %d", WTERMSIG(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	s = load_summary(dir);
	assert_string_equal(end_reason(s), "target exited");
	assert_int_equal(
		helper_int(helper_find_proc(s, (pid_t)helper_int(s, "target.pid")), "io.write.ops"),
		IO_WRITES);
	json_decref(s);
	helper_rmtree(dir);
}

struct bpf_ids {
	unsigned int prog[64], link[64], map[64];
	size_t n_prog, n_link, n_map;
};

/* The BPF objects a process holds, from the fdinfo of its fds. */
static void held_bpf_ids(pid_t pid, struct bpf_ids *ids)
{
	char path[64];
	struct dirent *de;
	DIR *d;

	memset(ids, 0, sizeof(*ids));
	snprintf(path, sizeof(path), "/proc/%d/fdinfo", pid);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d))) {
		char fpath[320], line[256];
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(fpath, sizeof(fpath), "%s/%s", path, de->d_name);
		f = fopen(fpath, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			unsigned int id;

			if (sscanf(line, "prog_id: %u", &id) == 1 && ids->n_prog < 64)
				ids->prog[ids->n_prog++] = id;
			else if (sscanf(line, "link_id: %u", &id) == 1 && ids->n_link < 64)
				ids->link[ids->n_link++] = id;
			else if (sscanf(line, "map_id: %u", &id) == 1 && ids->n_map < 64)
				ids->map[ids->n_map++] = id;
		}
		fclose(f);
	}
	closedir(d);
}

/* How many of ids still exist in the kernel. */
static size_t still_alive(const struct bpf_ids *ids)
{
	size_t alive = 0;

	for (size_t i = 0; i < ids->n_prog; i++) {
		int fd = bpf_prog_get_fd_by_id(ids->prog[i]);

		alive += fd >= 0;
		if (fd >= 0)
			close(fd);
	}
	for (size_t i = 0; i < ids->n_link; i++) {
		int fd = bpf_link_get_fd_by_id(ids->link[i]);

		alive += fd >= 0;
		if (fd >= 0)
			close(fd);
	}
	for (size_t i = 0; i < ids->n_map; i++) {
		int fd = bpf_map_get_fd_by_id(ids->map[i]);

		alive += fd >= 0;
		if (fd >= 0)
			close(fd);
	}
	return alive;
}

/* Every complete line of a file valid JSON; returns how many. */
static size_t valid_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, n = 0;
	ssize_t len;

	assert_non_null(f);
	while ((len = getline(&line, &cap, f)) > 0) {
		json_t *j;

		if (line[len - 1] != '\n')
			break; /* a torn last line is allowed after SIGKILL */
		j = json_loadb(line, (size_t)len, 0, NULL);
		if (!j)
			fail_msg("%s: line %zu is not JSON", path, n);
		json_decref(j);
		n++;
	}
	free(line);
	fclose(f);
	return n;
}

static void test_sigkill_leaves_nothing_behind(void **state)
{
	char dir[64], stage[256], result[128], path[256];
	struct bpf_ids ids;
	struct proc_run r;
	pid_t tpid;
	size_t alive = 0;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	helper_path(stage, sizeof(stage), "targets/stage_target");
	snprintf(result, sizeof(result), "%s/result", dir);
	char *argv[] = { bin, "-i", "0.02", "-u",   "stage_*", "-o",
			 dir, "--", stage,  "hold", result,    NULL };

	assert_int_equal(helper_spawn(&r, argv, true, -1), 0);
	if (!helper_wait_stderr(&r, "profiling pid", 30))
		fail_msg("bpfprof did not start: %s", r.err);
	tpid = (pid_t)atoi(strstr(r.err, "profiling pid ") + strlen("profiling pid "));
	usleep(300000);
	held_bpf_ids(r.pid, &ids);
	/* The syscall programs and the stage programs, their links, maps. */
	assert_true(ids.n_prog >= 2);
	assert_true(ids.n_link >= 2);
	assert_true(ids.n_map >= 1);
	assert_int_equal(still_alive(&ids), ids.n_prog + ids.n_link + ids.n_map);
	kill(r.pid, SIGKILL);
	assert_int_equal(helper_wait_exit(&r, 10), 128 + SIGKILL);
	/* The kernel frees them once the last fd is gone (after an RCU grace
	 * period or two). */
	for (int i = 0; i < 250; i++) {
		alive = still_alive(&ids);
		if (!alive)
			break;
		usleep(20000);
	}
	if (alive)
		fail_msg("%zu of bpfprof's BPF objects outlived it", alive);
	snprintf(path, sizeof(path), "%s/flushes.jsonl", dir);
	assert_true(valid_lines(path) >= 3);
	kill(tpid, SIGKILL);
	helper_rmtree(dir);
}

/* A tmpfs of size (e.g. "64k") in a mount namespace of our own (it goes
 * with us). */
static void mount_tmpfs(const char *where, const char *size)
{
	char opts[64];

	static bool unshared;

	if (!unshared) {
		if (unshare(CLONE_NEWNS))
			fail_msg("unshare(CLONE_NEWNS): %s", strerror(errno));
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
			fail_msg("make / private: %s", strerror(errno));
		unshared = true;
	}
	snprintf(opts, sizeof(opts), "size=%s,mode=0755", size);
	if (mount("bpfprof-test", where, "tmpfs", 0, opts))
		fail_msg("mount tmpfs: %s", strerror(errno));
}

static void mount_small_tmpfs(const char *where)
{
	mount_tmpfs(where, "64k");
}

static void fill(const char *path)
{
	static char block[4096];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	memset(block, 'f', sizeof(block));
	while (write(fd, block, sizeof(block)) > 0)
		;
	close(fd);
}

static int count_lines(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* The disk fills, then frees up: the records in between are lost and
 * counted, the rest and the summary are written, the counts stay exact. */
static void test_full_disk_then_room(void **state)
{
	char tmp[64], mnt[96], dir[128], filler[128];
	struct proc_run r;
	json_t *s, *p;
	pid_t tpid;
	int code;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(tmp, sizeof(tmp));
	snprintf(mnt, sizeof(mnt), "%s/mnt", tmp);
	assert_int_equal(mkdir(mnt, 0755), 0);
	mount_small_tmpfs(mnt);
	snprintf(dir, sizeof(dir), "%s/out", mnt);
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	fill(filler);
	char *argv[] = { bin, "-q", "-i", "0.02", "-o", dir, "--", io, "slow", "hold", NULL };

	assert_int_equal(helper_spawn(&r, argv, true, -1), 0);
	if (!helper_wait_stderr(&r, "failed", 30))
		fail_msg("no write failure reported: %s", r.err);
	usleep(200000); /* more records lost */
	assert_int_equal(unlink(filler), 0);
	usleep(300000);	      /* records written again */
	helper_send(&r, "x"); /* the target leaves "hold" */
	code = helper_wait_exit(&r, 60);
	if (code != 1)
		fail_msg("bpfprof exited %d, expected 1: %s", code, r.err);
	/* Reported once, in one line. */
	assert_int_equal(count_lines(r.err, "\n"), 1);
	assert_non_null(strstr(r.err, "flushes.jsonl failed: No space left on device"));
	s = load_summary(dir);
	assert_true(helper_int(s, "output.flush_records_lost") > 0);
	assert_true(helper_int(s, "output.flush_records_written") > 0);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(s, "output"), "write_error")),
		"No space left on device");
	tpid = (pid_t)helper_int(s, "target.pid");
	p = helper_find_proc(s, tpid);
	assert_int_equal(helper_int(p, "io.write.ops"), IO_WRITES);
	assert_int_equal(helper_int(p, "io.read.ops"), IO_READS + IO_BAD_READS + 1);
	/* The written lines are whole and valid (their sums fall short of the
	 * summary by the lost records, so only their number is checked). */
	{
		char path[160];
		json_t *f;

		snprintf(path, sizeof(path), "%s/flushes.jsonl", dir);
		f = helper_load_jsonl(path);
		assert_non_null(f);
		assert_int_equal(json_array_size(f), helper_int(s, "output.flush_records_written"));
		json_decref(f);
	}
	json_decref(s);
	umount2(mnt, MNT_DETACH);
	helper_rmtree(tmp);
}

/*
 * Span events fill the disk during the run: the events and flush records
 * that do not fit are lost and counted, but summary.json is written, in the
 * room kept for it from the start.
 */
static void test_full_disk_events_keep_summary(void **state)
{
	char tmp[64], mnt[96], dir[128], filler[128], stage[256], result[128];
	struct proc_run r;
	struct dirent *de;
	json_t *s;
	DIR *d;
	int code;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(tmp, sizeof(tmp));
	snprintf(mnt, sizeof(mnt), "%s/mnt", tmp);
	assert_int_equal(mkdir(mnt, 0755), 0);
	mount_tmpfs(mnt, "1m");
	snprintf(dir, sizeof(dir), "%s/out", mnt);
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	snprintf(result, sizeof(result), "%s/result", tmp);
	helper_path(stage, sizeof(stage), "targets/stage_target");
	char *argv[] = { bin, "-i", "0.05", "-u", "stage_*", "--events", "-o", dir, "--", stage,
			 "hold", result, NULL };

	assert_int_equal(helper_spawn(&r, argv, true, -1), 0);
	if (!helper_wait_stderr(&r, "profiling pid", 30))
		fail_msg("bpfprof did not start: %s", r.err);
	/* Whatever room is left goes; the events and records keep coming. */
	fill(filler);
	usleep(300000);
	helper_send(&r, "x"); /* the target leaves "hold", makes its calls, exits */
	code = helper_wait_exit(&r, 60);
	if (code != 1)
		fail_msg("bpfprof exited %d, expected 1 (records lost): %s", code, r.err);
	assert_null(strstr(r.err, "cannot write"));
	s = load_summary(dir);
	assert_non_null(s);
	assert_string_equal(json_string_value(json_object_get(json_object_get(s, "output"),
								 "write_error")),
			    "No space left on device");
	/* The run's figures are all there: every stage call of the target. */
	assert_int_equal(helper_stage_calls(helper_find_proc(s, (pid_t)helper_int(s, "target.pid")),
					    "stage_outer"),
			 STAGE_OUTER_CALLS);
	json_decref(s);
	/* No temp file left. */
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)))
		assert_null(strstr(de->d_name, ".tmp"));
	closedir(d);
	umount2(mnt, MNT_DETACH);
	helper_rmtree(tmp);
}

/* The disk stays full: no summary can be written; exit 1 with a line
 * saying so, and no temp file left. */
static void test_full_disk_no_summary(void **state)
{
	char tmp[64], mnt[96], dir[128], filler[128];
	struct proc_run r;
	struct dirent *de;
	DIR *d;
	int code;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(tmp, sizeof(tmp));
	snprintf(mnt, sizeof(mnt), "%s/mnt", tmp);
	assert_int_equal(mkdir(mnt, 0755), 0);
	mount_small_tmpfs(mnt);
	snprintf(dir, sizeof(dir), "%s/out", mnt);
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	fill(filler);
	char *argv[] = { bin, "-q", "-i", "0.05", "-d", "0.5", "-o", dir, NULL };

	assert_int_equal(helper_spawn(&r, argv, false, -1), 0);
	code = helper_wait_exit(&r, 60);
	if (code != 1)
		fail_msg("bpfprof exited %d, expected 1: %s", code, r.err);
	assert_non_null(strstr(r.err, "summary.json: No space left on device"));
	assert_int_equal(count_lines(r.err, "\n"), 2);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, "flushes.jsonl"))
			fail_msg("left %s behind", de->d_name);
	closedir(d);
	umount2(mnt, MNT_DETACH);
	helper_rmtree(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_target_segfaults),
		cmocka_unit_test(test_target_aborts),
		cmocka_unit_test(test_target_sigkilled),
		cmocka_unit_test(test_target_execs),
		cmocka_unit_test(test_target_forks),
		cmocka_unit_test(test_stopped_by_signals_and_deadline),
		cmocka_unit_test(test_stdout_closed),
		cmocka_unit_test(test_sigkill_leaves_nothing_behind),
		cmocka_unit_test(test_full_disk_then_room),
		cmocka_unit_test(test_full_disk_no_summary),
		cmocka_unit_test(test_full_disk_events_keep_summary),
	};

	return cmocka_run_group_tests_name("integration_faults", tests, group_setup, NULL);
}
