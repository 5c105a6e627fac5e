// SPDX-License-Identifier: MIT
/*
 * Integration: the probe-cost correction's calibrations during the run run
 * on a thread of their own, and the run loop keeps going meanwhile. The
 * calibrating thread is named bpfprof-calib; while one is alive, the loop
 * must still write flush records (it used to wait for the calibration, and
 * wrote none while that thread lived). Counting only: a flush line written
 * between two sightings of the same live calibrating thread. The summary's
 * time_correction figures stay consistent with the recalibrations, and
 * --raw-times starts no recalibration thread.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/helper.h"

/* The tid of pid's thread named `name`, or 0. */
static pid_t thread_named(pid_t pid, const char *name)
{
	char path[320], comm[32];
	struct dirent *de;
	pid_t found = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return 0;
	while (!found && (de = readdir(d))) {
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", (int)pid, de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strncmp(comm, name, strlen(name)) &&
		    comm[strlen(name)] == '\n')
			found = (pid_t)atoi(de->d_name);
		fclose(f);
	}
	closedir(d);
	return found;
}

/* tid of pid still lives under the name it had. */
static bool thread_alive(pid_t pid, pid_t tid, const char *name)
{
	char path[128], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", (int)pid, (int)tid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return !strncmp(comm, name, strlen(name));
}

static long long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (long long)st.st_size;
}

static double num(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_number(v))
		fail_msg("time_correction: %s is not a number", key);
	return json_number_value(v);
}

/* Each mechanism's figures: positive, within the range the run used, the
 * calibrations' last within theirs. */
static void check_figures(json_t *tc)
{
	json_t *mechs = json_object_get(tc, "mechanisms"), *m;
	size_t i;

	assert_true(json_array_size(mechs) >= 1);
	json_array_foreach (mechs, i, m) {
		double in_call = num(m, "in_call_ns"), per_call = num(m, "per_call_ns");
		json_t *re = json_object_get(m, "recalibrated_per_call_ns");

		assert_true(in_call > 0);
		assert_true(per_call >= in_call);
		assert_true(num(m, "per_call_ns_min") <= per_call);
		assert_true(per_call <= num(m, "per_call_ns_max"));
		assert_true(num(m, "in_call_ns_min") <= in_call);
		assert_true(in_call <= num(m, "in_call_ns_max"));
		assert_non_null(re);
		assert_true(num(re, "min") > 0);
		assert_true(num(re, "min") <= num(re, "last"));
		assert_true(num(re, "last") <= num(re, "max"));
		/* Sane: a probe costs a call less than a millisecond. */
		assert_true(num(re, "max") < 1e6 && num(m, "per_call_ns_max") < 1e6);
	}
}

/* The flush records add up to the summary: none lost, none twice. */
static void check_flushes_add_up(const char *dir, json_t *s, pid_t pid)
{
	char path[128];
	json_t *flushes, *rec;
	long long calls = 0;
	size_t i;

	snprintf(path, sizeof(path), "%s/flushes.jsonl", dir);
	flushes = helper_load_jsonl(path);
	json_array_foreach (flushes, i, rec) {
		json_t *proc = helper_find_proc(rec, pid);

		assert_int_equal(helper_int(rec, "flush_index"), (long long)i);
		if (proc)
			calls += helper_stage_calls(proc, "tick");
	}
	assert_true(calls > 0);
	assert_int_equal(calls, helper_stage_calls(helper_find_proc(s, pid), "tick"));
	json_decref(flushes);
}

/*
 * Flushes every 10 ms, return sites (the longest calibration: its rets are
 * single-stepped), until the loop has been seen writing a flush line while
 * a calibrating thread lived, twice, or 20 s have passed.
 */
static void test_loop_runs_during_recalibration(void **state)
{
	static const char *const extra[] = { "-i", "10ms", "--returns=safe", NULL };
	char dir[64], flushes[128];
	int seen_calib = 0, flushed_during = 0;
	struct proc_run r;
	json_t *s, *tc;
	pid_t target;

	REQUIRE_ROOT_BPF();
	helper_start_tick_profiler(&r, dir, sizeof(dir), extra);
	snprintf(flushes, sizeof(flushes), "%s/flushes.jsonl", dir);
	for (int i = 0; i < 20000 && flushed_during < 2; i++) {
		pid_t tid = thread_named(r.pid, "bpfprof-calib");
		long long before, after;
		bool grew = false;

		if (!tid) {
			helper_sleep_s(0.001);
			continue;
		}
		seen_calib++;
		before = file_size(flushes);
		/* Until it ends: a line written while it still lives counts. */
		while (thread_alive(r.pid, tid, "bpfprof-calib")) {
			after = file_size(flushes);
			if (after > before && thread_alive(r.pid, tid, "bpfprof-calib"))
				grew = true;
			helper_sleep_s(0.001);
		}
		flushed_during += grew;
	}
	helper_stop_profiler(&r);
	fprintf(stderr, "calibrating threads seen: %d, with flushes meanwhile: %d\n", seen_calib,
		flushed_during);
	assert_true(seen_calib >= 1);
	assert_true(flushed_during >= 1);
	s = helper_load_json_in(dir, "summary.json");
	tc = json_object_get(json_object_get(s, "audit"), "time_correction");
	assert_true(json_is_true(json_object_get(tc, "applied")));
	assert_true(helper_int(tc, "recalibrations") >= 1);
	assert_int_equal(helper_int(tc, "recalibration_period_s"), 3);
	/* The windows went on around the calibrations. */
	assert_true(helper_int(tc, "windows") >= 1);
	check_figures(tc);
	target = (pid_t)helper_int(s, "target.pid");
	check_flushes_add_up(dir, s, target);
	json_decref(s);
	helper_rmtree(dir);
}

/* --raw-times: nothing to calibrate again, no thread for it. */
static void test_raw_times_no_thread(void **state)
{
	static const char *const extra[] = { "-i", "50ms", "--raw-times", NULL };
	int recal_threads = 0, looks = 0;
	struct proc_run r;
	char dir[64];
	json_t *s, *tc;

	REQUIRE_ROOT_BPF();
	helper_start_tick_profiler(&r, dir, sizeof(dir), extra);
	/* Past two periods of 3 s. */
	for (; looks < 70; looks++) {
		recal_threads += thread_named(r.pid, "bpfprof-recal") != 0;
		helper_sleep_s(0.1);
	}
	helper_stop_profiler(&r);
	assert_int_equal(recal_threads, 0);
	s = helper_load_json_in(dir, "summary.json");
	tc = json_object_get(json_object_get(s, "audit"), "time_correction");
	assert_false(json_is_true(json_object_get(tc, "applied")));
	assert_int_equal(json_integer_value(json_object_get(tc, "recalibrations")), 0);
	json_decref(s);
	helper_rmtree(dir);
}

/* Without --raw-times the thread is there once the first period is over,
 * and bpfprof's end stops and joins it whatever it is doing: bpfprof exits
 * 0 with its summary (stopped right as it starts, its calibration may be
 * cut short and not count). */
static void test_recal_thread_lives_with_the_run(void **state)
{
	static const char *const extra[] = { "-i", "50ms", NULL };
	struct proc_run r;
	pid_t tid = 0;
	char dir[64];
	json_t *s;

	REQUIRE_ROOT_BPF();
	helper_start_tick_profiler(&r, dir, sizeof(dir), extra);
	for (int i = 0; i < 200 && !tid; i++) {
		tid = thread_named(r.pid, "bpfprof-recal");
		helper_sleep_s(0.05);
	}
	assert_true(tid > 0);
	helper_stop_profiler(&r);
	s = helper_load_json_in(dir, "summary.json");
	assert_true(helper_int(s, "audit.time_correction.recalibrations") >= 0);
	json_decref(s);
	helper_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loop_runs_during_recalibration),
		cmocka_unit_test(test_raw_times_no_thread),
		cmocka_unit_test(test_recal_thread_lives_with_the_run),
	};

	return cmocka_run_group_tests_name("integration_recal_thread", tests, NULL, NULL);
}
