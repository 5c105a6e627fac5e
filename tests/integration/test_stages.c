// SPDX-License-Identifier: MIT
/*
 * Integration: -u stages against stage_target, whose functions have a known
 * structure (target_common.h): nesting (self vs total time), recursion,
 * known sleeps (percentiles against the target's own clock), known I/O
 * (charged to the stage), longjmp (unfinished calls). For a static binary,
 * a PIE and a shared library, in -p and command modes; the flush records
 * must sum to the summary.
 */
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "lib/helper.h"
#include "targets/target_common.h"

static long long stage_int(json_t *proc, const char *name, const char *field)
{
	json_t *st = helper_find_stage(proc, name);

	if (!st)
		fail_msg("stage %s missing", name);
	return helper_int(st, field);
}

static void expect_within_5pct(const char *what, long long got, long long exact)
{
	if (fabs((double)(got - exact)) > 0.05 * (double)exact)
		fail_msg("%s: %lld, the target measured %lld (more than 5%% apart)", what, got, exact);
}

static void check_stages(json_t *summary, pid_t pid, const char *result_file, bool with_lib)
{
	json_t *proc = helper_find_proc(summary, pid), *st;
	long long unfinished = 0;
	size_t i;
	long long p50, p95, p99;
	FILE *f;

	assert_non_null(proc);
	/* Nesting: outer's self time is its total minus its callees', exactly. */
	assert_int_equal(stage_int(proc, "stage_outer", "calls"), STAGE_OUTER_CALLS);
	assert_int_equal(stage_int(proc, "stage_inner", "calls"), 2 * STAGE_OUTER_CALLS);
	assert_int_equal(stage_int(proc, "stage_outer", "self_ns"),
			 stage_int(proc, "stage_outer", "total_ns") -
				 stage_int(proc, "stage_inner", "total_ns"));
	assert_int_equal(stage_int(proc, "stage_inner", "self_ns"),
			 stage_int(proc, "stage_inner", "total_ns"));
	assert_true(stage_int(proc, "stage_inner", "total_ns") > 0);
	/* Every thread of the target. */
	assert_int_equal(stage_int(proc, "stage_threaded", "calls"),
			 STAGE_THREADS * STAGE_THREAD_CALLS);
	/* Recursion: every level counted, self below total. */
	assert_int_equal(stage_int(proc, "stage_recurse", "calls"),
			 STAGE_RECURSE_CALLS * (STAGE_RECURSE_DEPTH + 1));
	assert_true(stage_int(proc, "stage_recurse", "self_ns") <
		    stage_int(proc, "stage_recurse", "total_ns"));
	/* I/O charged to the stage that did it. */
	assert_int_equal(stage_int(proc, "stage_writer", "calls"), STAGE_WRITER_CALLS);
	assert_int_equal(stage_int(proc, "stage_writer", "io.ops"),
			 STAGE_WRITER_CALLS * (STAGE_WRITER_WRITES + STAGE_WRITER_READS));
	assert_int_equal(stage_int(proc, "stage_writer", "io.bytes_written"),
			 STAGE_WRITER_CALLS * STAGE_WRITER_WRITES * STAGE_WRITER_WRITE_SIZE);
	assert_int_equal(stage_int(proc, "stage_writer", "io.bytes_read"),
			 STAGE_WRITER_CALLS * STAGE_WRITER_READS * STAGE_WRITER_READ_SIZE);
	assert_true(stage_int(proc, "stage_writer", "io.time_ns") > 0);
	assert_true(stage_int(proc, "stage_writer", "io.time_ns") <
		    stage_int(proc, "stage_writer", "total_ns"));
	assert_int_equal(stage_int(proc, "stage_outer", "io.ops"), 0);
	/* longjmp: the jumped-out-of calls never return; they are audited,
	 * and counted to stage_jumped, listed with no call that returned. */
	assert_int_equal(stage_int(proc, "stage_jumper", "calls"), STAGE_JUMP_CALLS);
	assert_int_equal(stage_int(proc, "stage_jumper", "calls_unfinished"), 0);
	assert_int_equal(stage_int(proc, "stage_jumped", "calls"), 0);
	assert_int_equal(stage_int(proc, "stage_jumped", "calls_unfinished"), STAGE_JUMP_CALLS);
	assert_int_equal(stage_int(proc, "stage_jumped", "total_ns"), 0);
	assert_int_equal(helper_int(summary, "audit.stage_calls_unfinished"), STAGE_JUMP_CALLS);
	json_array_foreach (json_object_get(proc, "stages"), i, st)
		unfinished += helper_int(st, "calls_unfinished");
	assert_int_equal(unfinished, STAGE_JUMP_CALLS);
	assert_int_equal(helper_int(summary, "audit.stage_calls_open_at_end"), 0);
	assert_int_equal(helper_int(summary, "audit.lost_total"), 0);
	/* The uprobe trampolines' syscalls are not the program's. */
	assert_int_equal(helper_int(proc, "syscalls.uretprobe.count"), -1);
	if (with_lib) {
		assert_int_equal(stage_int(proc, "lib_stage_work", "calls"), STAGE_LIB_CALLS);
		assert_int_equal(stage_int(proc, "lib_stage_work", "io.bytes_written"),
				 STAGE_LIB_CALLS * 10);
		assert_non_null(strstr(json_string_value(json_object_get(
					       helper_find_stage(proc, "lib_stage_work"), "binary")),
				       "libstagelib.so"));
	}
	/* Sleeps: percentiles within 5% of what the target timed itself. */
	assert_int_equal(stage_int(proc, "stage_sleep", "calls"), STAGE_SLEEP_CALLS);
	f = fopen(result_file, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%lld %lld %lld", &p50, &p95, &p99), 3);
	fclose(f);
	expect_within_5pct("stage_sleep p50", stage_int(proc, "stage_sleep", "latency_ns.p50"), p50);
	expect_within_5pct("stage_sleep p95", stage_int(proc, "stage_sleep", "latency_ns.p95"), p95);
	expect_within_5pct("stage_sleep p99", stage_int(proc, "stage_sleep", "latency_ns.p99"), p99);
}

/*
 * Every stage names its binary one way, whatever the mode and however it was
 * given (relative path, library name): absolute and canonical, as
 * /proc/PID/exe and maps name it. Otherwise one binary would be two
 * Prometheus series and two JSON keys.
 */
static void check_binaries(json_t *summary, pid_t pid, const char *target)
{
	char exe[PATH_MAX], lib[PATH_MAX], rel[512];
	json_t *proc = helper_find_proc(summary, pid), *st;
	size_t i;

	assert_non_null(realpath(target, exe));
	snprintf(rel, sizeof(rel), "%s/targets/libstagelib.so", helper_build_dir());
	assert_non_null(realpath(rel, lib));
	json_array_foreach(json_object_get(proc, "stages"), i, st) {
		const char *name = json_string_value(json_object_get(st, "name"));
		const char *bin = json_string_value(json_object_get(st, "binary"));

		assert_non_null(bin);
		if (strcmp(bin, strncmp(name, "lib_", 4) ? exe : lib))
			fail_msg("stage %s: binary '%s', expected '%s'", name, bin,
				 strncmp(name, "lib_", 4) ? exe : lib);
	}
}

/* Each stage counter summed over the flush records equals the summary's. */
static void check_stage_flushes(const char *dir, json_t *summary, pid_t pid)
{
	static const char *const fields[] = { "calls", "total_ns", "self_ns", "io.ops",
					      "io.bytes_written" };
	json_t *proc = helper_find_proc(summary, pid), *flushes, *st, *rec;
	char path[512];
	size_t i, k;
	int with_stages = 0;

	snprintf(path, sizeof(path), "%s/flushes.jsonl", dir);
	flushes = helper_load_jsonl(path);
	assert_non_null(flushes);
	json_array_foreach(json_object_get(proc, "stages"), i, st) {
		const char *name = json_string_value(json_object_get(st, "name"));

		for (int fi = 0; fi < 5; fi++) {
			long long total = 0;

			json_array_foreach(flushes, k, rec) {
				json_t *p = helper_find_proc(rec, pid);
				json_t *fs = p ? helper_find_stage(p, name) : NULL;

				if (fs)
					total += helper_int(fs, fields[fi]);
			}
			if (total != helper_int(st, fields[fi]))
				fail_msg("%s.%s: flushes sum to %lld, summary %lld", name, fields[fi],
					 total, helper_int(st, fields[fi]));
		}
	}
	json_array_foreach(flushes, k, rec) {
		json_t *p = helper_find_proc(rec, pid);

		with_stages += p && json_array_size(json_object_get(p, "stages")) > 0;
	}
	assert_true(with_stages >= 2);
	json_decref(flushes);
}

static void run_command_mode_returns(const char *target_name, bool with_lib, const char *returns)
{
	char dir[64], bin[256], target[256], result[128], libspec[300];
	struct proc_run r;
	json_t *s;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	snprintf(result, sizeof(result), "%s/result", dir);
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), target_name);
	/* Command mode: the library by its short name, among the libraries
	 * the command's loader maps (the program is not running yet). */
	snprintf(libspec, sizeof(libspec), "libstagelib:lib_*");
	char *argv[] = { bin, "-q", "-i", "0.05", "-o", dir, "--returns", (char *)returns, "-u",
			 "stage_*", "-u", with_lib ? libspec : "stage_outer", "--", target, result,
			 NULL };

	assert_int_equal(helper_run(argv, 60, &r), 0);
	s = helper_load_json_in(dir, "summary.json");
	check_stages(s, (pid_t)helper_int(s, "target.pid"), result, with_lib);
	check_binaries(s, (pid_t)helper_int(s, "target.pid"), target);
	check_stage_flushes(dir, s, (pid_t)helper_int(s, "target.pid"));
	json_decref(s);
	helper_rmtree(dir);
}

static void run_command_mode(const char *target_name, bool with_lib)
{
	run_command_mode_returns(target_name, with_lib, "auto");
}

static void run_pid_mode(const char *target_name, bool with_lib)
{
	char dir[64], bin[256], target[256], result[128], pidstr[16], libspec[300];
	struct proc_run t, r;
	json_t *s;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	snprintf(result, sizeof(result), "%s/result", dir);
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), target_name);
	char *targv[] = { target, "gate", result, NULL };

	assert_int_equal(helper_spawn(&t, targv, true, -1), 0);
	usleep(100000); /* let it map its libraries */
	snprintf(pidstr, sizeof(pidstr), "%d", t.pid);
	/* -p mode: the library by a relative path (the short name in the
	 * target's maps is test_symbols' and the command mode's). */
	snprintf(libspec, sizeof(libspec), "%s/targets/libstagelib.so:lib_*", helper_build_dir());
	char *argv[] = { bin, "-i", "0.05", "-p", pidstr, "-o", dir, "-u", "stage_*", "-u",
			 with_lib ? libspec : "stage_outer", NULL };

	assert_int_equal(helper_spawn(&r, argv, false, -1), 0);
	if (!helper_wait_stderr(&r, "profiling pid", 30))
		fail_msg("bpfprof did not start: %s", r.err);
	assert_non_null(strstr(r.err, "timing"));
	helper_send(&t, "g");
	assert_int_equal(helper_wait_exit(&t, 30), 0);
	assert_int_equal(helper_wait_exit(&r, 30), 0);
	s = helper_load_json_in(dir, "summary.json");
	check_stages(s, t.pid, result, with_lib);
	check_binaries(s, t.pid, target);
	check_stage_flushes(dir, s, t.pid);
	json_decref(s);
	helper_rmtree(dir);
}

/* -p A,B with -u: the probes attach for every process and keep the two
 * named ones; each one's stage figures exact. */
static void test_several_pids(void **state)
{
	char dir[64], bin[256], target[256], res_a[128], res_b[128], pids[48];
	struct proc_run a, b, r;
	json_t *s;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	snprintf(res_a, sizeof(res_a), "%s/result-a", dir);
	snprintf(res_b, sizeof(res_b), "%s/result-b", dir);
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/stage_target_pie");
	char *targv_a[] = { target, "gate", res_a, NULL };
	char *targv_b[] = { target, "gate", res_b, NULL };

	assert_int_equal(helper_spawn(&a, targv_a, true, -1), 0);
	assert_int_equal(helper_spawn(&b, targv_b, true, -1), 0);
	usleep(100000);
	snprintf(pids, sizeof(pids), "%d,%d", a.pid, b.pid);
	char *argv[] = { bin, "-i", "0.05", "-p", pids, "-o", dir, "-u", "stage_*", NULL };

	assert_int_equal(helper_spawn(&r, argv, false, -1), 0);
	if (!helper_wait_stderr(&r, "profiling pid", 30))
		fail_msg("bpfprof did not start: %s", r.err);
	helper_send(&a, "g");
	helper_send(&b, "g");
	assert_int_equal(helper_wait_exit(&a, 30), 0);
	assert_int_equal(helper_wait_exit(&b, 30), 0);
	assert_int_equal(helper_wait_exit(&r, 30), 0);
	s = helper_load_json_in(dir, "summary.json");
	assert_int_equal(json_array_size(json_object_get(s, "processes")), 2);
	/* The audit is the run's: both processes' jumped-out-of calls. Then
	 * each process as check_stages checks one. */
	assert_int_equal(helper_int(s, "audit.stage_calls_unfinished"), 2 * STAGE_JUMP_CALLS);
	assert_int_equal(helper_stages_unfinished(s), 2 * STAGE_JUMP_CALLS);
	json_object_set_new(json_object_get(s, "audit"), "stage_calls_unfinished",
			    json_integer(STAGE_JUMP_CALLS));
	check_stages(s, a.pid, res_a, false);
	check_stages(s, b.pid, res_b, false);
	json_decref(s);
	helper_rmtree(dir);
}

static void test_static_command(void **state)
{
	run_command_mode("targets/stage_target", false);
}

/* One stage stack in the array (id 0 is never used): the main thread takes
 * it and the worker threads keep theirs in task storage; every figure is
 * still exact. */
static void test_threads_past_stage_stacks(void **state)
{
	setenv("BPFPROF_STAGE_STACKS", "2", 1);
	run_command_mode("targets/stage_target", false);
}

static int unset_stage_stacks(void **state)
{
	return unsetenv("BPFPROF_STAGE_STACKS");
}

static void test_static_pid(void **state)
{
	run_pid_mode("targets/stage_target", false);
}

/* Return-site probes on every function (what C++, Rust and Go get): the
 * same exact figures, longjmp included (the frames it skips are closed as
 * unfinished by the stack position). */
static void test_return_sites_command(void **state)
{
	run_command_mode_returns("targets/stage_target_lib", true, "safe");
}

static void test_pie_command(void **state)
{
	run_command_mode("targets/stage_target_pie", false);
}

static void test_pie_pid(void **state)
{
	run_pid_mode("targets/stage_target_pie", false);
}

static void test_shared_lib_command(void **state)
{
	run_command_mode("targets/stage_target_lib", true);
}

static void test_shared_lib_pid(void **state)
{
	run_pid_mode("targets/stage_target_lib", true);
}

/* A pattern that matches nothing is an error before anything starts. */
static void test_unmatched_pattern(void **state)
{
	char dir[64], out[128], bin[256], target[256];
	struct proc_run r;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/stage_target");
	char *argv[] = { bin, "-o", out, "-u", "no_such_fn*", "--", target, NULL };

	assert_int_equal(helper_run(argv, 30, &r), 1);
	assert_non_null(strstr(r.err, "no function in"));
	assert_non_null(strstr(r.err, "matches 'no_such_fn*'"));
	assert_false(helper_exists(out));
	helper_rmtree(dir);
}

/* C++: matched and reported by demangled name, overloads apart. */
static void test_cxx_demangled(void **state)
{
	const char *args[] = { "-q", "-u", "ns::Klass::*", NULL };
	struct helper_profile run;
	json_t *s, *proc;

	REQUIRE_ROOT_BPF();
	assert_int_equal(helper_profile(&run, args, "targets/cxx_target", NULL, 60), 0);
	s = run.summary;
	assert_non_null(s);
	proc = helper_find_proc(s, (pid_t)helper_int(s, "target.pid"));
	assert_non_null(proc);
	assert_int_equal(json_array_size(json_object_get(proc, "stages")), 3);
	assert_int_equal(stage_int(proc, "ns::Klass::run(int)", "calls"), 40);
	assert_int_equal(stage_int(proc, "ns::Klass::compute(long)", "calls"), 15);
	assert_int_equal(stage_int(proc, "ns::Klass::compute(double)", "calls"), 15);
	helper_profile_done(&run);
}

/* 1000 functions from one glob: every one attached, every count exact. The
 * time is printed for the record; benchmarks, not tests, judge it. */
static void test_thousand_functions(void **state)
{
	char dir[64], src[128], prog[128], out[128], cmd[512], bin[256];
	struct timespec t0, t1;
	struct proc_run r;
	json_t *s, *proc, *st;
	FILE *f;
	size_t i;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	snprintf(src, sizeof(src), "%s/many.c", dir);
	snprintf(prog, sizeof(prog), "%s/many", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	helper_path(bin, sizeof(bin), "bpfprof");
	f = fopen(src, "w");
	assert_non_null(f);
	fprintf(f, "__attribute__((noinline)) void touch(int i) { __asm__ volatile(\"\" :: \"r\"(i)); }\n");
	for (int k = 0; k < 1000; k++)
		fprintf(f, "__attribute__((noinline)) void fn%d(void) { touch(%d); }\n", k, k);
	fprintf(f, "int main(void) {\n");
	for (int k = 0; k < 1000; k++)
		fprintf(f, "for (int i = 0; i < %d; i++) fn%d();\n", k % 3 + 1, k);
	fprintf(f, "return 0; }\n");
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cc -O1 -fno-omit-frame-pointer -fcf-protection=none %s -o %s",
		 src, prog);
	assert_int_equal(system(cmd), 0);
	char *argv[] = { bin, "-q", "-o", out, "-u", "fn*", "--", prog, NULL };

	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(helper_run(argv, 120, &r), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("1000 functions: bpfprof ran start to finish in %.0f ms\n",
		      (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	s = helper_load_json_in(out, "summary.json");
	proc = helper_find_proc(s, (pid_t)helper_int(s, "target.pid"));
	assert_non_null(proc);
	assert_int_equal(json_array_size(json_object_get(proc, "stages")), 1000);
	json_array_foreach(json_object_get(proc, "stages"), i, st) {
		int k = atoi(json_string_value(json_object_get(st, "name")) + 2);

		if (helper_int(st, "calls") != k % 3 + 1)
			fail_msg("fn%d: %lld calls, expected %d", k, helper_int(st, "calls"), k % 3 + 1);
	}
	json_decref(s);
	helper_rmtree(dir);
}

/* --stages-only: the stages exactly as with syscalls, and no syscall or
 * I/O figure at all (no syscall program ran). */
static void test_stages_only(void **state)
{
	char dir[64], bin[256], target[256], result[128];
	struct proc_run r;
	json_t *s, *proc;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	snprintf(result, sizeof(result), "%s/result", dir);
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/stage_target");
	char *argv[] = { bin, "-q", "-o", dir, "-u", "stage_*", "--stages-only", "--", target, result,
			 NULL };

	assert_int_equal(helper_run(argv, 60, &r), 0);
	s = helper_load_json_in(dir, "summary.json");
	assert_false(json_is_true(json_object_get(json_object_get(s, "target"), "syscalls_counted")));
	proc = helper_find_proc(s, (pid_t)helper_int(s, "target.pid"));
	assert_non_null(proc);
	assert_int_equal(stage_int(proc, "stage_outer", "calls"), STAGE_OUTER_CALLS);
	assert_int_equal(stage_int(proc, "stage_inner", "calls"), 2 * STAGE_OUTER_CALLS);
	assert_int_equal(stage_int(proc, "stage_threaded", "calls"),
			 STAGE_THREADS * STAGE_THREAD_CALLS);
	assert_int_equal(stage_int(proc, "stage_writer", "calls"), STAGE_WRITER_CALLS);
	assert_int_equal(stage_int(proc, "stage_writer", "io.ops"), 0);
	assert_int_equal(json_object_size(json_object_get(proc, "syscalls")), 0);
	assert_int_equal(json_object_size(json_object_get(proc, "io")), 0);
	assert_int_equal(helper_int(s, "audit.lost_total"), 0);
	json_decref(s);
	helper_rmtree(dir);
}

/* --stages-only's plain report: the stage lines, and no syscall figure
 * (not zeros) in the headers, per process, or in the cost line. */
static void test_stages_only_plain_report(void **state)
{
	char bin[256], target[256], dir[64], cmd[1024], header[64];
	char *out;
	int status;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/stage_target");
	snprintf(cmd, sizeof(cmd), "%s -u stage_outer --stages-only -- %s %s/result 2>/dev/null",
		 bin, target, dir);
	out = helper_command_output(cmd, &status);
	assert_int_equal(status, 0);
	assert_non_null(strstr(out, "== bpfprof total ("));
	snprintf(header, sizeof(header), ", 1 process, %d stage calls\n", STAGE_OUTER_CALLS);
	assert_non_null(strstr(out, header));
	assert_non_null(strstr(out, "    stage stage_outer ("));
	assert_non_null(strstr(out, "profiling cost the target "));
	assert_null(strstr(out, "syscall"));
	free(out);
	helper_rmtree(dir);
}

static void test_stages_only_needs_u(void **state)
{
	char bin[256];
	struct proc_run r;

	helper_path(bin, sizeof(bin), "bpfprof");
	char *argv[] = { bin, "--stages-only", "--", "/bin/true", NULL };

	assert_int_equal(helper_run(argv, 10, &r), 2);
	assert_non_null(strstr(r.err, "--stages-only needs functions to time"));
}

/* --list shows what -u would attach to, with the entry kind. */
static void test_list(void **state)
{
	char bin[256], target[256], cmd[700], line[512], all[4096] = "";
	FILE *p;

	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/stage_target_pie");
	snprintf(cmd, sizeof(cmd), "%s --list 'stage_*' -- %s", bin, target);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p))
		strncat(all, line, sizeof(all) - strlen(all) - 1);
	assert_int_equal(pclose(p), 0);
	assert_non_null(strstr(all, "stage_outer"));
	assert_non_null(strstr(all, "emulated"));
	assert_null(strstr(all, "single-step"));
	assert_non_null(strstr(all, "8 functions"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_static_command),
		cmocka_unit_test(test_several_pids),
		cmocka_unit_test(test_static_pid),
		cmocka_unit_test_teardown(test_threads_past_stage_stacks, unset_stage_stacks),
		cmocka_unit_test(test_pie_command),
		cmocka_unit_test(test_pie_pid),
		cmocka_unit_test(test_return_sites_command),
		cmocka_unit_test(test_shared_lib_command),
		cmocka_unit_test(test_shared_lib_pid),
		cmocka_unit_test(test_unmatched_pattern),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_stages_only),
		cmocka_unit_test(test_stages_only_plain_report),
		cmocka_unit_test(test_stages_only_needs_u),
		cmocka_unit_test(test_cxx_demangled),
		cmocka_unit_test(test_thousand_functions),
	};

	return cmocka_run_group_tests_name("integration_stages", tests, NULL, NULL);
}
