// SPDX-License-Identifier: MIT
/*
 * Integration: the real BPF programs against io_target, whose every I/O
 * syscall tests/targets/target_common.h spells out. Counts, bytes and errors
 * must come out exact in -p, command and system-wide modes, and the flush
 * records must sum to the summary.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "lib/helper.h"
#include "targets/target_common.h"

struct expect_io {
	const char *name;
	long long ops, bytes, errors;
	bool reads;
};

static const struct expect_io expected[] = {
	{ "write", IO_WRITES, IO_WRITES * IO_WRITE_SIZE, 0 },
	{ "read", IO_READS + IO_BAD_READS, IO_READS * IO_READ_SIZE, IO_BAD_READS, true },
	{ "pwrite64", IO_PWRITES, IO_PWRITES * IO_BLOCK, 0 },
	{ "pread64", IO_PREADS, (IO_PREADS - IO_PREADS_AT_EOF) * IO_BLOCK, 0, true },
	{ "writev", IO_WRITEVS, IO_WRITEVS * 100, 0 },
	{ "readv", IO_READVS, IO_READVS * 128, 0, true },
	{ "sendto", IO_DGRAMS, IO_DGRAMS * IO_DGRAM_SIZE, 0 },
	{ "recvfrom", IO_DGRAMS, IO_DGRAMS * IO_DGRAM_SIZE, 0, true },
	{ "sendmsg", IO_MSGS, IO_MSGS * IO_MSG_SIZE, 0 },
	{ "recvmsg", IO_MSGS, IO_MSGS * IO_MSG_SIZE, 0, true },
	{ "sendmmsg", 1, IO_MMSG_VLEN * IO_MMSG_SIZE, 0 },
	{ "recvmmsg", 1, IO_MMSG_VLEN * IO_MMSG_SIZE, 0, true },
};
#define N_EXPECTED (sizeof(expected) / sizeof(expected[0]))

static void check_exact_io(json_t *proc)
{
	long long ops = 0, rd = 0, wr = 0, errs = 0;
	char key[128];

	assert_non_null(proc);
	assert_int_equal(json_object_size(json_object_get(proc, "io")), N_EXPECTED);
	for (size_t i = 0; i < N_EXPECTED; i++) {
		const struct expect_io *e = &expected[i];

		snprintf(key, sizeof(key), "io.%s.ops", e->name);
		if (helper_int(proc, key) != e->ops)
			fail_msg("%s: %lld, expected %lld", key, helper_int(proc, key), e->ops);
		snprintf(key, sizeof(key), "io.%s.bytes", e->name);
		if (helper_int(proc, key) != e->bytes)
			fail_msg("%s: %lld, expected %lld", key, helper_int(proc, key), e->bytes);
		snprintf(key, sizeof(key), "io.%s.errors", e->name);
		assert_int_equal(helper_int(proc, key), e->errors);
		snprintf(key, sizeof(key), "syscalls.%s.count", e->name);
		assert_int_equal(helper_int(proc, key), e->ops);
		snprintf(key, sizeof(key), "io.%s.latency_ns.p99", e->name);
		assert_true(helper_int(proc, key) > 0);
		snprintf(key, sizeof(key), "io.%s.latency_ns.max", e->name);
		assert_true(helper_int(proc, key) >= helper_int(proc, key) /* present */);
		ops += e->ops;
		errs += e->errors;
		if (e->reads)
			rd += e->bytes;
		else
			wr += e->bytes;
	}
	assert_int_equal(helper_int(proc, "io_totals.ops"), ops);
	assert_int_equal(helper_int(proc, "io_totals.bytes_read"), rd);
	assert_int_equal(helper_int(proc, "io_totals.bytes_written"), wr);
	assert_int_equal(helper_int(proc, "io_totals.errors"), errs);
	assert_int_equal(helper_int(proc, "syscalls.exit_group.count"), 1);
	assert_string_equal(json_string_value(json_object_get(proc, "comm")), "io_target");
}

/* Every counter of the target summed over the flush records equals the
 * summary's; returns how many flush records had the target in them. */
static int check_flushes_sum(const char *dir, json_t *summary, pid_t pid)
{
	json_t *sum_proc = helper_find_proc(summary, pid), *flushes, *rec, *sys, *v;
	char path[512];
	const char *name;
	size_t i;
	int with_target = 0;

	snprintf(path, sizeof(path), "%s/flushes.jsonl", dir);
	flushes = helper_load_jsonl(path);
	assert_non_null(flushes);
	assert_int_equal(json_array_size(flushes), helper_int(summary, "audit.flushes"));
	sys = json_object_get(sum_proc, "syscalls");
	json_object_foreach(sys, name, v) {
		static const char *const fields[] = { "count", "errors", "time_ns" };

		for (int f = 0; f < 3; f++) {
			long long total = 0;
			char key[128];

			snprintf(key, sizeof(key), "syscalls.%s.%s", name, fields[f]);
			json_array_foreach(flushes, i, rec) {
				json_t *p = helper_find_proc(rec, pid);

				if (p && helper_int(p, key) > 0)
					total += helper_int(p, key);
			}
			if (total != helper_int(sum_proc, key))
				fail_msg("%s: flushes sum to %lld, summary %lld", key, total,
					 helper_int(sum_proc, key));
		}
	}
	json_array_foreach(flushes, i, rec) {
		assert_string_equal(json_string_value(json_object_get(rec, "schema")),
				    "bpfprof.flush.v1");
		assert_int_equal(helper_int(rec, "flush_index"), (long long)i);
		with_target += helper_find_proc(rec, pid) != NULL;
	}
	json_decref(flushes);
	return with_target;
}

static json_t *load_summary(const char *dir)
{
	json_t *s = helper_load_json_in(dir, "summary.json");

	assert_string_equal(json_string_value(json_object_get(s, "schema")), "bpfprof.summary.v1");
	return s;
}

static void test_command_mode_exact(void **state)
{
	const char *args[] = { "-q", "-i", "0.02", NULL }, *targs[] = { "slow", NULL };
	struct helper_profile run;
	json_t *s, *proc;

	REQUIRE_ROOT_BPF();
	assert_int_equal(helper_profile(&run, args, "targets/io_target", targs, 60), 0);
	s = run.summary;
	assert_non_null(s);
	assert_string_equal(json_string_value(json_object_get(json_object_get(s, "target"), "mode")),
			    "command");
	assert_int_equal(json_array_size(json_object_get(s, "processes")), 1);
	proc = json_array_get(json_object_get(s, "processes"), 0);
	check_exact_io(proc);
	/* Its first syscall is counted: the exec itself. */
	assert_int_equal(helper_int(proc, "syscalls.execve.count"), 1);
	/* Each nap blocks, so its entry went through a context switch: still
	 * counted, and timed at least as long as it slept. */
	assert_int_equal(helper_int(proc, "syscalls.clock_nanosleep.count"), IO_SLOW_NAPS);
	assert_true(helper_int(proc, "syscalls.clock_nanosleep.time_ns") >=
		    (long long)IO_SLOW_NAPS * IO_SLOW_NAP_NS);
	assert_int_equal(helper_int(s, "target.exit_status"), 0);
	assert_int_equal(helper_int(s, "audit.lost_total"), 0);
	/* A slow target spans several flushes: each is a delta, all sum up. */
	assert_true(check_flushes_sum(run.dir, s, (pid_t)helper_int(proc, "pid")) >= 3);
	helper_profile_done(&run);
}

static void test_pid_mode_exact(void **state)
{
	char dir[64], bin[256], target[256], pidstr[16];
	struct proc_run t, r;
	json_t *s;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/io_target");
	char *targv[] = { target, "gate", "slow", NULL };

	assert_int_equal(helper_spawn(&t, targv, true, -1), 0);
	snprintf(pidstr, sizeof(pidstr), "%d", t.pid);
	char *argv[] = { bin, "-i", "0.02", "-p", pidstr, "-o", dir, NULL };

	assert_int_equal(helper_spawn(&r, argv, false, -1), 0);
	if (!helper_wait_stderr(&r, "profiling pid", 30))
		fail_msg("bpfprof did not start: %s", r.err);
	helper_send(&t, "g");
	assert_int_equal(helper_wait_exit(&t, 30), 0);
	/* bpfprof notices the exit and finishes by itself. */
	assert_int_equal(helper_wait_exit(&r, 30), 0);
	s = load_summary(dir);
	assert_string_equal(json_string_value(json_object_get(json_object_get(s, "target"), "mode")),
			    "pid");
	assert_int_equal(helper_int(s, "target.pid"), t.pid);
	assert_string_equal(json_string_value(json_object_get(s, "end_reason")), "target exited");
	check_exact_io(helper_find_proc(s, t.pid));
	/* The gate read was in flight at attach: not counted, but said. */
	assert_int_equal(helper_int(s, "audit.syscalls_in_flight_at_attach"), 1);
	assert_true(check_flushes_sum(dir, s, t.pid) >= 3);
	json_decref(s);
	helper_rmtree(dir);
}

/* -p A,B: both processes, each exact and apart; a third one, not named,
 * is not profiled; the run lasts until the last named one exits. */
static void test_several_pids_exact(void **state)
{
	char dir[64], bin[256], target[256], pids[48];
	struct proc_run a, b, c, r;
	json_t *s;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/io_target");
	char *targv[] = { target, "gate", "slow", NULL };

	assert_int_equal(helper_spawn(&a, targv, true, -1), 0);
	assert_int_equal(helper_spawn(&b, targv, true, -1), 0);
	assert_int_equal(helper_spawn(&c, targv, true, -1), 0);
	snprintf(pids, sizeof(pids), "%d,%d", a.pid, b.pid);
	char *argv[] = { bin, "-i", "0.02", "-p", pids, "-o", dir, NULL };

	assert_int_equal(helper_spawn(&r, argv, false, -1), 0);
	if (!helper_wait_stderr(&r, "profiling pid", 30))
		fail_msg("bpfprof did not start: %s", r.err);
	/* A first: bpfprof goes on for B. */
	helper_send(&a, "g");
	helper_send(&c, "g");
	assert_int_equal(helper_wait_exit(&a, 30), 0);
	assert_int_equal(helper_wait_exit(&c, 30), 0);
	helper_sleep_s(0.3);
	assert_int_equal(kill(r.pid, 0), 0);
	helper_send(&b, "g");
	assert_int_equal(helper_wait_exit(&b, 30), 0);
	assert_int_equal(helper_wait_exit(&r, 30), 0);
	s = load_summary(dir);
	assert_string_equal(json_string_value(json_object_get(s, "end_reason")), "target exited");
	assert_int_equal(json_array_size(json_object_get(s, "processes")), 2);
	check_exact_io(helper_find_proc(s, a.pid));
	check_exact_io(helper_find_proc(s, b.pid));
	assert_null(helper_find_proc(s, c.pid));
	json_decref(s);
	helper_rmtree(dir);
}

/* --comm NAME: the process of that name running at the start and one that
 * starts later, each exact; a process of another name is not profiled. */
static void test_comm_exact(void **state)
{
	char dir[64], bin[256], target[256];
	struct proc_run a, b, other, r;
	json_t *s;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/io_target");
	char *gated[] = { target, "gate", "slow", NULL };
	char *now[] = { target, NULL };
	char *true_argv[] = { "/bin/true", NULL };
	char *argv[] = { bin, "-i", "0.05", "--comm", "io_target", "-o", dir, NULL };

	assert_int_equal(helper_spawn(&a, gated, true, -1), 0);
	assert_int_equal(helper_spawn(&r, argv, false, -1), 0);
	if (!helper_wait_stderr(&r, "profiling the processes named 'io_target'", 30))
		fail_msg("bpfprof did not start: %s", r.err);
	assert_int_equal(helper_run(now, 30, &b), 0);
	assert_int_equal(helper_run(true_argv, 30, &other), 0);
	helper_send(&a, "g");
	assert_int_equal(helper_wait_exit(&a, 30), 0);
	helper_sleep_s(0.2);
	kill(r.pid, SIGINT);
	assert_int_equal(helper_wait_exit(&r, 30), 0);
	s = load_summary(dir);
	assert_string_equal(json_string_value(json_object_get(json_object_get(s, "target"), "comm")),
			    "io_target");
	/* Every process is an io_target (other test runs on the machine may
	 * run theirs too); ours exact, /bin/true absent. */
	{
		json_t *p;
		size_t i;

		json_array_foreach (json_object_get(s, "processes"), i, p)
			assert_string_equal(json_string_value(json_object_get(p, "comm")),
					    "io_target");
	}
	check_exact_io(helper_find_proc(s, a.pid));
	check_exact_io(helper_find_proc(s, b.pid));
	assert_null(helper_find_proc(s, other.pid));
	json_decref(s);
	helper_rmtree(dir);
}

static void test_system_mode_exact(void **state)
{
	char dir[64], bin[256], target[256];
	struct proc_run t, r;
	json_t *s;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/io_target");
	char *argv[] = { bin, "-q", "-i", "0.5", "-o", dir, NULL };
	char *targv[] = { target, "gate", NULL };

	assert_int_equal(helper_spawn(&t, targv, true, -1), 0);
	assert_int_equal(helper_spawn(&r, argv, false, -1), 0);
	/* -q prints nothing, so wait for the probes by their first flush. */
	for (int i = 0; i < 100; i++) {
		char path[512];

		snprintf(path, sizeof(path), "%s/flushes.jsonl", dir);
		if (helper_exists(path) && access(path, R_OK) == 0) {
			FILE *f = fopen(path, "r");
			int c = f ? fgetc(f) : EOF;

			if (f)
				fclose(f);
			if (c != EOF)
				break;
		}
		usleep(50000);
	}
	helper_send(&t, "g");
	assert_int_equal(helper_wait_exit(&t, 30), 0);
	/* Stopped once the target is done (not by -d: a loaded machine may
	 * start the target late). */
	kill(r.pid, SIGINT);
	assert_int_equal(helper_wait_exit(&r, 30), 0);
	s = load_summary(dir);
	assert_string_equal(json_string_value(json_object_get(json_object_get(s, "target"), "mode")),
			    "system");
	assert_string_equal(json_string_value(json_object_get(s, "end_reason")), "SIGINT");
	check_exact_io(helper_find_proc(s, t.pid));
	/* bpfprof never profiles itself. */
	assert_null(helper_find_proc(s, r.pid));
	assert_true(json_array_size(json_object_get(s, "processes")) >= 1);
	check_flushes_sum(dir, s, t.pid);
	json_decref(s);
	helper_rmtree(dir);
}

/* -d in command mode ends the run on time: the command still running is
 * stopped with SIGTERM (its exit status says so), not waited for. */
static void test_duration_stops_the_command(void **state)
{
	char dir[64], bin[256], target[256];
	struct proc_run r;
	json_t *s;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/sleeper");
	char *argv[] = { bin, "-q", "-d", "0.5", "-o", dir, "--", target, "60", NULL };

	/* The sleeper would run 60 s; bpfprof must be done long before. */
	assert_int_equal(helper_run(argv, 20, &r), 0);
	s = load_summary(dir);
	assert_string_equal(json_string_value(json_object_get(s, "end_reason")), "duration");
	assert_int_equal(helper_int(s, "target.exit_status"), 128 + SIGTERM);
	json_decref(s);
	helper_rmtree(dir);
}

/* SIGINT and SIGTERM end the run with complete, valid outputs. */
static void stop_with_signal(int sig, const char *reason)
{
	char dir[64], bin[256], target[256], pidstr[16], path[512];
	struct proc_run t, r;
	json_t *s, *f;

	helper_tmpdir(dir, sizeof(dir));
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/sleeper");
	char *targv[] = { target, "30", NULL };

	assert_int_equal(helper_spawn(&t, targv, false, -1), 0);
	snprintf(pidstr, sizeof(pidstr), "%d", t.pid);
	char *argv[] = { bin, "-i", "0.1", "-p", pidstr, "-o", dir, NULL };

	assert_int_equal(helper_spawn(&r, argv, false, -1), 0);
	if (!helper_wait_stderr(&r, "profiling pid", 30))
		fail_msg("bpfprof did not start: %s", r.err);
	usleep(350000);
	kill(r.pid, sig);
	assert_int_equal(helper_wait_exit(&r, 30), 0);
	s = load_summary(dir);
	assert_string_equal(json_string_value(json_object_get(s, "end_reason")), reason);
	/* The sleeper naps every 50 ms: it was seen. */
	assert_true(helper_int(helper_find_proc(s, t.pid), "syscalls.clock_nanosleep.count") >= 3);
	snprintf(path, sizeof(path), "%s/flushes.jsonl", dir);
	f = helper_load_jsonl(path);
	assert_non_null(f);
	assert_true(json_array_size(f) >= 3);
	json_decref(f);
	json_decref(s);
	kill(t.pid, SIGKILL);
	helper_wait_exit(&t, 10);
	helper_rmtree(dir);
}

static void test_sigint_finishes_outputs(void **state)
{
	REQUIRE_ROOT_BPF();
	stop_with_signal(SIGINT, "SIGINT");
}

static void test_sigterm_finishes_outputs(void **state)
{
	REQUIRE_ROOT_BPF();
	stop_with_signal(SIGTERM, "SIGTERM");
}

/*
 * The whole machine frees an exited process's entries once a flush has
 * reported it: with room for IO_ROOM (process, I/O syscall) pairs, far more
 * short-lived processes than that fit each keep their exact I/O, and none
 * is lost to a full map. (Without the freeing, io_target number
 * IO_ROOM / N_EXPECTED or so and every later one lost theirs.)
 */
#define IO_ROOM 640
#define SHORT_LIVED (3 * IO_ROOM / (int)N_EXPECTED)

static void test_system_frees_exited(void **state)
{
	static pid_t pids[SHORT_LIVED];
	char dir[64], bin[256], target[256], room[16];
	struct proc_run t, r;
	json_t *s;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/io_target");
	snprintf(room, sizeof(room), "%d", IO_ROOM);
	setenv("BPFPROF_SYSTEM_IO_ENTRIES", room, 1);
	char *argv[] = { bin, "-i", "0.1", "-o", dir, NULL };
	char *targv[] = { target, NULL };

	assert_int_equal(helper_spawn(&r, argv, false, -1), 0);
	unsetenv("BPFPROF_SYSTEM_IO_ENTRIES");
	if (!helper_wait_stderr(&r, "profiling all processes", 30))
		fail_msg("bpfprof did not start: %s", r.err);
	for (int i = 0; i < SHORT_LIVED; i++) {
		assert_int_equal(helper_run(targv, 30, &t), 0);
		pids[i] = t.pid;
	}
	kill(r.pid, SIGINT);
	assert_int_equal(helper_wait_exit(&r, 60), 0);
	s = load_summary(dir);
	assert_int_equal(helper_int(s, "audit.io_lost_map_full"), 0);
	for (int i = 0; i < SHORT_LIVED; i++) {
		check_exact_io(helper_find_proc(s, pids[i]));
		/* Reported once, in the flushes up to its exit, and kept in
		 * the totals after its entries were freed. */
		assert_true(check_flushes_sum(dir, s, pids[i]) >= 1);
	}
	json_decref(s);
	helper_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_command_mode_exact),
		cmocka_unit_test(test_pid_mode_exact),
		cmocka_unit_test(test_several_pids_exact),
		cmocka_unit_test(test_comm_exact),
		cmocka_unit_test(test_system_mode_exact),
		cmocka_unit_test(test_system_frees_exited),
		cmocka_unit_test(test_duration_stops_the_command),
		cmocka_unit_test(test_sigint_finishes_outputs),
		cmocka_unit_test(test_sigterm_finishes_outputs),
	};

	return cmocka_run_group_tests_name("integration_io", tests, NULL, NULL);
}
