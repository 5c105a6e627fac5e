// SPDX-License-Identifier: MIT
/*
 * Integration: telemetry against a target with a known memory growth, CPU
 * burn and I/O; the run metadata; the stage toggle (SIGUSR1, --stages-off,
 * BPFPROF_STAGES, --max-overhead) against a target calling a stage function
 * steadily; --sample against a known number of calls per thread; the cost
 * figures' call counts.
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include "lib/helper.h"
#include "targets/target_common.h"

#define MIB (1LL << 20)

static json_t *telemetry_of(json_t *obj, pid_t pid)
{
	json_t *t;
	size_t i;

	json_array_foreach (json_object_get(obj, "telemetry"), i, t)
		if (helper_int(t, "pid") == pid)
			return t;
	return NULL;
}

static void check_run_meta(json_t *run, char *const *argv, const char *target)
{
	char host[256] = "", exe[PATH_MAX];
	struct utsname u;
	json_t *cl = json_object_get(run, "command_line");
	size_t n = 0;

	assert_non_null(run);
	gethostname(host, sizeof(host) - 1);
	uname(&u);
	assert_string_equal(json_string_value(json_object_get(run, "hostname")), host);
	assert_string_equal(json_string_value(json_object_get(run, "kernel")), u.release);
	assert_true(strlen(json_string_value(json_object_get(run, "bpfprof_version"))) > 0);
	while (argv[n])
		n++;
	assert_int_equal(json_array_size(cl), n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(json_string_value(json_array_get(cl, i)), argv[i]);
	assert_non_null(realpath(target, exe));
	assert_string_equal(json_string_value(json_object_get(run, "target_exe")), exe);
	assert_string_equal(json_string_value(json_object_get(run, "target_build_id")),
			    TELE_BUILD_ID);
}

static void test_known_growth_burn_and_io(void **state)
{
	char dir[64], bin[256], target[256], path[128];
	struct proc_run r;
	json_t *s, *flushes, *t, *rec;
	long long cpu, grown_seen = 0;
	size_t i, with_sample = 0;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/telemetry_target");
	char *argv[] = { bin, "-q", "-i", "0.2", "-o", dir, "--", target, NULL };

	assert_int_equal(helper_spawn(&r, argv, false, -1), 0);
	assert_int_equal(helper_wait_exit(&r, 60), 0);
	s = helper_load_json_in(dir, "summary.json");
	snprintf(path, sizeof(path), "%s/flushes.jsonl", dir);
	flushes = helper_load_jsonl(path);
	assert_non_null(flushes);
	t = telemetry_of(s, (pid_t)helper_int(s, "target.pid"));
	assert_non_null(t);
	/* The first sample is the target just after exec: a static binary, small. */
	assert_true(helper_int(t, "first.rss_bytes") > 0);
	assert_true(helper_int(t, "first.rss_bytes") < 4 * MIB);
	/* It grew by what it touched, and not much more. */
	assert_true(helper_int(t, "max.rss_bytes") - helper_int(t, "min.rss_bytes") >=
		    TELE_GROW_MIB * MIB);
	assert_true(helper_int(t, "max.rss_bytes") - helper_int(t, "min.rss_bytes") <=
		    (TELE_GROW_MIB + 4) * MIB);
	assert_true(helper_int(t, "max.vsize_bytes") - helper_int(t, "min.vsize_bytes") >=
		    TELE_GROW_MIB * MIB);
	assert_int_equal(helper_int(t, "max.threads"), 1);
	/* The last sample is the exited process, taken before it was reaped:
	 * its CPU time is the burn (to the 10 ms tick) and a little more. */
	assert_true(json_is_true(json_object_get(json_object_get(t, "last"), "exited")));
	cpu = helper_int(t, "last.cpu_user_ns") + helper_int(t, "last.cpu_system_ns");
	print_message("target CPU: %lld ns user+system, burned %llu\n", cpu,
		      (unsigned long long)TELE_BURN_NS);
	assert_true(cpu >= (long long)TELE_BURN_NS - 20000000LL);
	/* The rest is the page faults of the growth and the I/O, which took
	 * up to 220 ms more on a loaded 2-CPU machine; a doubled figure
	 * would still be caught. */
	assert_true(cpu <= (long long)TELE_BURN_NS + 300000000LL);
	assert_true(helper_int(t, "last.cpu_user_ns") >= (long long)TELE_BURN_NS * 8 / 10);
	/* The same CPU time from reaping it, to the us: the ticks' figure is
	 * the kernel's same one cut to 10 ms steps, each field. */
	{
		double exact = json_real_value(json_object_get(
				       json_object_get(json_object_get(s, "target"), "ended"),
				       "cpu_user_s")) +
			       json_real_value(json_object_get(
				       json_object_get(json_object_get(s, "target"), "ended"),
				       "cpu_system_s"));

		print_message("target CPU from wait4: %.6f s\n", exact);
		assert_true(exact * 1e9 >= (double)cpu - 1e3);
		assert_true(exact * 1e9 < (double)cpu + 20e6);
	}
	/* Its own I/O, exactly: nothing else writes in that process. */
	assert_int_equal(helper_int(t, "last.io.wchar"), TELE_WRITES * TELE_WRITE_SIZE);
	assert_true(helper_int(t, "last.io.rchar") >= TELE_READS * TELE_READ_SIZE);
	assert_true(helper_int(t, "last.ctx_switches.voluntary") >= 2 * TELE_NAPS);
	assert_true(helper_int(t, "samples") >= 3);
	check_run_meta(json_object_get(s, "run"), argv, target);
	/* Every flush record carries the target's sample and the metadata. */
	json_array_foreach (flushes, i, rec) {
		json_t *ft = telemetry_of(rec, (pid_t)helper_int(s, "target.pid"));

		check_run_meta(json_object_get(rec, "run"), argv, target);
		assert_int_equal(helper_int(rec, "sample_every"), 1);
		if (!ft)
			continue;
		with_sample++;
		if (helper_int(ft, "rss_bytes") >= TELE_GROW_MIB * MIB)
			grown_seen++;
		assert_true(json_is_number(json_object_get(ft, "cpu_user_pct")));
	}
	assert_int_equal(with_sample, json_array_size(flushes));
	assert_true(grown_seen >= 1);
	json_decref(flushes);
	json_decref(s);
	helper_rmtree(dir);
}

/*
 * A command over before the first telemetry sample: its samples are its
 * zombie's (no memory, 0 ticks of CPU), so the plain report says it exited
 * rather than printing zeros, and the end line and summary have its exact
 * CPU time from reaping it.
 */
static void test_short_command(void **state)
{
	char dir[64], bin[256], target[256], result[128], cmd[1024];
	double user, sys, dur;
	json_t *s, *end;
	char *out;
	int status;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/usdt_target");
	snprintf(result, sizeof(result), "%s/result", dir);
	snprintf(cmd, sizeof(cmd), "%s -o %s/out -- %s %s 2>&1", bin, dir, target, result);
	out = helper_command_output(cmd, &status);
	assert_int_equal(status, 0);
	s = helper_load_json(strcat(strcpy(cmd, dir), "/out/summary.json"));
	end = json_object_get(json_object_get(s, "target"), "ended");
	user = json_real_value(json_object_get(end, "cpu_user_s"));
	sys = json_real_value(json_object_get(end, "cpu_system_s"));
	dur = json_number_value(json_object_get(s, "duration_s"));
	print_message("usdt_target: %.6f s user, %.6f s system in %.3f s\n", user, sys, dur);
	/* It ran: some CPU time, none past its whole run (one thread). */
	assert_true(user + sys > 0);
	assert_true(user + sys <= dur + 0.001);
	if (!strstr(out, ", CPU time ") || strstr(out, "RSS 0B") ||
	    !strstr(out, "exited with status 0 after "))
		fail_msg("%s", out);
	snprintf(cmd, sizeof(cmd), "usdt_target: exited before this sample (memory freed); ");
	if (!strstr(out, cmd))
		fail_msg("%s", out);
	free(out);
	json_decref(s);
	helper_rmtree(dir);
}

/*
 * A target that keeps its capabilities, as a root daemon does: once bpfprof
 * has dropped its own, /proc/PID/io of it fails the ptrace check, and the
 * counters come from bpfprof's BPF iterator instead, exactly the same.
 */
static void test_io_of_a_process_with_capabilities(void **state)
{
	char dir[64], bin[256], target[256], path[128];
	struct proc_run r;
	json_t *s, *flushes, *t, *rec;
	pid_t pid;
	size_t i;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/telemetry_target");
	char *argv[] = { bin, "-q", "-i", "0.2", "-o", dir, "--", target, NULL };

	setenv("TELE_KEEP_CAPS", "1", 1);
	assert_int_equal(helper_spawn(&r, argv, false, -1), 0);
	unsetenv("TELE_KEEP_CAPS");
	assert_int_equal(helper_wait_exit(&r, 60), 0);
	s = helper_load_json_in(dir, "summary.json");
	pid = (pid_t)helper_int(s, "target.pid");
	t = telemetry_of(s, pid);
	assert_non_null(t);
	assert_int_equal(helper_int(t, "last.io.wchar"), TELE_WRITES * TELE_WRITE_SIZE);
	assert_true(helper_int(t, "last.io.rchar") >= TELE_READS * TELE_READ_SIZE);
	assert_int_equal(helper_int(t, "first.io.wchar"), 0);
	snprintf(path, sizeof(path), "%s/flushes.jsonl", dir);
	flushes = helper_load_jsonl(path);
	assert_true(json_array_size(flushes) >= 3);
	/* In every sample, the running process's too, not only the exited one. */
	json_array_foreach (flushes, i, rec) {
		json_t *ft = telemetry_of(rec, pid);

		assert_non_null(ft);
		assert_non_null(json_object_get(ft, "io"));
		assert_true(helper_int(ft, "io.wchar") == 0 ||
			    helper_int(ft, "io.wchar") == TELE_WRITES * TELE_WRITE_SIZE);
	}
	json_decref(flushes);
	json_decref(s);
	helper_rmtree(dir);
}

/* bpfprof --self-cost -u tick on tick_target, which ticks until stdin
 * closes; extra1 and extra2 may be NULL. */
static void start_ticks(struct proc_run *r, char *dir, size_t dirlen, const char *extra1,
			const char *extra2)
{
	const char *extra[] = { "--self-cost", extra1, extra2, NULL };

	helper_start_tick_profiler(r, dir, dirlen, extra);
}

struct tick_intervals {
	int on, off;		       /* intervals wholly on, wholly off */
	long long on_calls, off_calls; /* tick() calls in them */
	long long off_entries;	       /* stage probe entries seen while off */
	long long sum_calls;	       /* over every record */
};

static void classify(const char *dir, pid_t pid, struct tick_intervals *ti)
{
	char path[128];
	json_t *flushes, *rec;
	size_t i;

	memset(ti, 0, sizeof(*ti));
	snprintf(path, sizeof(path), "%s/flushes.jsonl", dir);
	flushes = helper_load_jsonl(path);
	assert_non_null(flushes);
	json_array_foreach (flushes, i, rec) {
		bool on = json_is_true(json_object_get(rec, "stages_enabled"));
		long long calls = helper_stage_calls(helper_find_proc(rec, pid), "tick");

		assert_true(json_is_boolean(json_object_get(rec, "stages_enabled")));
		ti->sum_calls += calls;
		if (helper_int(rec, "stage_toggles") != 0 || i == 0 ||
		    i + 1 == json_array_size(flushes))
			continue; /* mixed, or cut short by the start or the end */
		if (on) {
			ti->on++;
			ti->on_calls += calls;
			if (!calls)
				fail_msg("flush %zu: stages on for the whole interval, no calls",
					 i);
		} else {
			ti->off++;
			ti->off_calls += calls;
			ti->off_entries += helper_int(rec, "audit.cost.stage_calls");
		}
	}
	json_decref(flushes);
}

static void test_sigusr1_toggles(void **state)
{
	struct tick_intervals ti;
	struct proc_run r;
	char dir[64];
	json_t *s;

	REQUIRE_ROOT_BPF();
	start_ticks(&r, dir, sizeof(dir), NULL, NULL);
	assert_non_null(strstr(r.err, "stage probes on (SIGUSR1 toggles)"));
	helper_sleep_s(0.8);
	kill(r.pid, SIGUSR1);
	if (!helper_wait_stderr(&r, "stage probes off (SIGUSR1)", 10))
		fail_msg("no toggle off: %s", r.err);
	helper_sleep_s(1.2);
	kill(r.pid, SIGUSR1);
	if (!helper_wait_stderr(&r, "stage probes on (SIGUSR1)", 10))
		fail_msg("no toggle on: %s", r.err);
	helper_sleep_s(0.8);
	helper_stop_profiler(&r);
	s = helper_load_json_in(dir, "summary.json");
	classify(dir, (pid_t)helper_int(s, "target.pid"), &ti);
	print_message(
		"on: %d intervals %lld calls; off: %d intervals %lld calls, %lld probe hits\n",
		ti.on, ti.on_calls, ti.off, ti.off_calls, ti.off_entries);
	assert_true(ti.off >= 2);
	assert_true(ti.on >= 2);
	assert_int_equal(ti.off_calls, 0);
	/* Off, the probes are detached: they do not even fire. */
	assert_int_equal(ti.off_entries, 0);
	assert_int_equal(helper_int(s, "stage_toggles"), 2);
	assert_true(json_is_true(json_object_get(s, "stages_enabled")));
	assert_int_equal(ti.sum_calls,
			 helper_stage_calls(helper_find_proc(s, (pid_t)helper_int(s, "target.pid")),
					    "tick"));
	json_decref(s);
	helper_rmtree(dir);
}

/* Started off (by flag or environment), nothing is recorded until SIGUSR1. */
static void check_starts_off(const char *flag, const char *env)
{
	struct tick_intervals ti;
	struct proc_run r;
	char dir[64];
	json_t *s;
	pid_t pid;

	if (env)
		setenv("BPFPROF_STAGES", env, 1);
	start_ticks(&r, dir, sizeof(dir), flag, NULL);
	unsetenv("BPFPROF_STAGES");
	assert_non_null(strstr(r.err, "stage probes off (SIGUSR1 toggles)"));
	helper_sleep_s(0.9);
	kill(r.pid, SIGUSR1);
	if (!helper_wait_stderr(&r, "stage probes on (SIGUSR1)", 10))
		fail_msg("no toggle on: %s", r.err);
	helper_sleep_s(0.9);
	helper_stop_profiler(&r);
	s = helper_load_json_in(dir, "summary.json");
	pid = (pid_t)helper_int(s, "target.pid");
	classify(dir, pid, &ti);
	assert_true(ti.off >= 1);
	assert_int_equal(ti.off_calls, 0);
	assert_true(ti.on >= 1);
	assert_true(helper_stage_calls(helper_find_proc(s, pid), "tick") > 0);
	json_decref(s);
	helper_rmtree(dir);
}

static void test_stages_off_flag(void **state)
{
	REQUIRE_ROOT_BPF();
	check_starts_off("--stages-off", NULL);
	/* The flag wins over the environment's default. */
	check_starts_off("--stages-off", "1");
}

static void test_stages_env_default(void **state)
{
	REQUIRE_ROOT_BPF();
	check_starts_off(NULL, "0");
}

/*
 * A limit no probe can stay under: off at the first flush, and it says so;
 * detached, they are tried again after OVERHEAD_RETRY_FIRST intervals, and
 * off again at the first whole interval on. Never two changes in adjacent
 * intervals.
 */
static void test_max_overhead_switches_off(void **state)
{
	struct tick_intervals ti;
	struct proc_run r;
	char dir[64], path[128];
	json_t *s, *flushes, *rec;
	long long prev = 0;
	size_t i;

	REQUIRE_ROOT_BPF();
	start_ticks(&r, dir, sizeof(dir), "--max-overhead", "0.001");
	if (!helper_wait_stderr(&r, "stage probes off (--max-overhead: they cost", 10))
		fail_msg("not switched off: %s", r.err);
	if (!helper_wait_stderr(&r, "stage probes on (--max-overhead: trying them again after 4 "
				    "intervals off)",
				10))
		fail_msg("no trial: %s", r.err);
	if (!helper_wait_stderr_n(&r, "stage probes off (--max-overhead: they cost", 2, 10))
		fail_msg("not switched off after the trial: %s", r.err);
	helper_stop_profiler(&r);
	s = helper_load_json_in(dir, "summary.json");
	classify(dir, (pid_t)helper_int(s, "target.pid"), &ti);
	assert_true(ti.off >= 3);
	assert_int_equal(ti.off_calls, 0);
	assert_int_equal(ti.off_entries, 0);
	assert_true(ti.on >= 1); /* the trial's whole interval */
	assert_false(json_is_true(json_object_get(s, "stages_enabled")));
	assert_int_equal(helper_int(s, "stage_toggles"), 3);
	snprintf(path, sizeof(path), "%s/flushes.jsonl", dir);
	flushes = helper_load_jsonl(path);
	json_array_foreach (flushes, i, rec) {
		long long n = helper_int(rec, "stage_toggles");

		assert_true(n <= 1);
		assert_false(n && prev);
		prev = n;
	}
	json_decref(flushes);
	json_decref(s);
	helper_rmtree(dir);
}

/* --sample N against TICK_THREADS threads making TICK_CALLS_PER_THREAD calls. */
static void run_counted(const char *n, long long want_calls, long long want_recorded)
{
	char dir[64], bin[256], target[256], path[128];
	struct proc_run r;
	json_t *s, *st, *flushes, *rec;
	long long sum = 0;
	pid_t pid;
	size_t i;

	helper_tmpdir(dir, sizeof(dir));
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/tick_target");
	char *argv[] = { bin, "--self-cost", "-q", "-i",	     "0.1", "-u",   "tick",  "-o",
			 dir, "--sample", (char *)n, "--",  target, "count", NULL };

	assert_int_equal(helper_run(argv, 60, &r), 0);
	s = helper_load_json_in(dir, "summary.json");
	pid = (pid_t)helper_int(s, "target.pid");
	st = helper_find_stage(helper_find_proc(s, pid), "tick");
	assert_non_null(st);
	assert_int_equal(helper_int(s, "sample_every"), atoi(n));
	assert_int_equal(helper_int(st, "calls"), want_calls);
	if (atoi(n) > 1)
		assert_int_equal(helper_int(st, "calls_recorded"), want_recorded);
	else
		assert_null(json_object_get(st, "calls_recorded"));
	/* The kernel saw every call, sampled or not. */
	assert_int_equal(helper_int(s, "audit.stage_calls_entered"), want_recorded);
	assert_int_equal(helper_int(s, "audit.cost.stage_calls"),
			 TICK_THREADS * TICK_CALLS_PER_THREAD);
	assert_int_equal(helper_int(s, "audit.stage_calls_open_at_end"), 0);
	snprintf(path, sizeof(path), "%s/flushes.jsonl", dir);
	flushes = helper_load_jsonl(path);
	json_array_foreach (flushes, i, rec) {
		assert_int_equal(helper_int(rec, "sample_every"), atoi(n));
		sum += helper_stage_calls(helper_find_proc(rec, pid), "tick");
	}
	assert_int_equal(sum, want_calls);
	json_decref(flushes);
	json_decref(s);
	helper_rmtree(dir);
}

static void test_sample_scaling(void **state)
{
	const long long all = TICK_THREADS * TICK_CALLS_PER_THREAD;

	REQUIRE_ROOT_BPF();
	run_counted("1", all, all);
	/* 1000 calls a thread: calls 0, 10, ..., 990 are recorded. */
	run_counted("10", all, all / 10);
	run_counted("1000", all, TICK_THREADS);
	/* Not a divisor: each thread records ceil(1000 / 3) = 334 calls. */
	run_counted("3", TICK_THREADS * 334 * 3, TICK_THREADS * 334);
}

static void test_bad_values(void **state)
{
	static const char *const cases[][3] = {
		{ "--sample", "0", "invalid --sample '0'" },
		{ "--sample", "1000001", "invalid --sample '1000001'" },
		{ "--sample", "-1", "invalid --sample '-1'" },
		{ "--sample", "2x", "invalid --sample '2x'" },
		{ "--max-overhead", "0", "invalid --max-overhead '0'" },
		{ "--max-overhead", "101", "invalid --max-overhead '101'" },
		{ "--max-overhead", "nan", "invalid --max-overhead 'nan'" },
		{ NULL, "yes", "invalid BPFPROF_STAGES 'yes': expected 0 or 1" },
		{ NULL, "", "invalid BPFPROF_STAGES '': expected 0 or 1" },
	};
	char bin[256], dir[64], out[128];

	helper_path(bin, sizeof(bin), "bpfprof");
	helper_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[] = {
			bin, "-o", out, "-d", "1", (char *)cases[i][0], (char *)cases[i][1], NULL
		};
		struct proc_run r;

		if (!cases[i][0]) {
			setenv("BPFPROF_STAGES", cases[i][1], 1);
			argv[5] = NULL;
		}
		assert_int_equal(helper_run(argv, 30, &r), 2);
		unsetenv("BPFPROF_STAGES");
		if (!strstr(r.err, cases[i][2]) || strchr(r.err, '\n') != r.err + r.err_len - 1)
			fail_msg("case %zu: stderr '%s', expected one line with '%s'", i, r.err,
				 cases[i][2]);
		assert_false(helper_exists(out));
	}
	helper_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_known_growth_burn_and_io),
		cmocka_unit_test(test_short_command),
		cmocka_unit_test(test_io_of_a_process_with_capabilities),
		cmocka_unit_test(test_sigusr1_toggles),
		cmocka_unit_test(test_stages_off_flag),
		cmocka_unit_test(test_stages_env_default),
		cmocka_unit_test(test_max_overhead_switches_off),
		cmocka_unit_test(test_sample_scaling),
	};

	return cmocka_run_group_tests_name("integration_telemetry", tests, NULL, NULL);
}
