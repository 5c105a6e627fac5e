// SPDX-License-Identifier: MIT
/* The cost arithmetic, the stage toggle and --max-overhead's hysteresis, and --sample's scaling. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cost/bpf_cost.h"
#include "output/records.h"
#include "lib/helper.h"
#include "collect/profile.h"
#include "cost/stage_control.h"
#include "bpfprof.h" /* the skeleton names its types */
#include "bpfprof.skel.h"

static bool near(double a, double b)
{
	return a > b - 1e-6 && a < b + 1e-6;
}

/* A session program runs at every entry and at the return of recorded calls. */
static void test_cost_session(void **state)
{
	struct cost_inputs in = {
		.target_syscalls = 1000,
		.stage_pushes = 100,	/* --sample 10: 1 in 10 of 1000 calls recorded */
		.stage_unrecorded = -1, /* the runs are the interval's */
		.session = true,
		.probe_on_ns = 1000,
		.probe_off_ns = 500,
		.syscall_hook_ns = 150,
		.target_cpu_ns = 10e6,
	};
	struct cost_totals runs = {};
	struct cost_figures f;

	runs.cnt[COST_SYS_ENTER] = 2000; /* another process made 1000 more */
	runs.ns[COST_SYS_ENTER] = 200000;
	runs.cnt[COST_SYS_EXIT] = 2000;
	runs.ns[COST_SYS_EXIT] = 100000;
	runs.cnt[COST_STAGE_SESSION] = 1100;
	runs.ns[COST_STAGE_SESSION] = 220000;
	runs.ns[COST_OTHER] = 5;
	cost_rates_from_runs(&runs, 100, true, &in.rates);
	assert_int_equal(in.rates.bpf_run_time_ns, 520005);
	assert_int_equal(in.rates.syscall_events, 2000);
	assert_int_equal(in.rates.stage_calls, 1000);
	assert_int_equal(in.rates.stage_recorded, 100);
	cost_compute(&in, &f);
	assert_true(near(f.syscall_program_ns, 150));
	assert_true(near(f.ns_per_syscall, 300));
	assert_int_equal(f.stage_calls, 1000);
	assert_true(near(f.stage_program_ns, 220));
	/* 100 calls with entry and return, 900 entries alone. */
	assert_true(near(f.stage_probe_ns, (100 * 1000 + 900 * 500) / 1000.0));
	assert_true(near(f.ns_per_stage_call, 220 + 550));
	assert_true(near(f.syscall_cost_ns, 300 * 1000));
	assert_true(near(f.stage_cost_ns, 770 * 1000));
	assert_true(near(f.stage_cpu_pct, 7.7));
	assert_true(near(f.target_cpu_pct, 10.7));
}

/* The stats' own share of a timed run (calibrated on bpfprof's untraced
 * syscalls) comes off the program times: 60 ns per syscall's two runs, 30
 * per stage program run; a session program runs 1.1 times per call here. */
static void test_cost_stats_share(void **state)
{
	struct cost_inputs in = {
		.target_syscalls = 1000,
		.stage_pushes = 100,
		.stage_unrecorded = -1,
		.session = true,
		.probe_on_ns = 1000,
		.probe_off_ns = 500,
		.syscall_hook_ns = 150,
		.syscall_stats_ns = 60,
		.target_cpu_ns = 10e6,
	};
	struct cost_totals runs = {};
	struct cost_figures f;

	runs.cnt[COST_SYS_ENTER] = runs.cnt[COST_SYS_EXIT] = 2000;
	runs.ns[COST_SYS_ENTER] = 200000;
	runs.ns[COST_SYS_EXIT] = 100000;
	runs.cnt[COST_STAGE_SESSION] = 1100;
	runs.ns[COST_STAGE_SESSION] = 220000;
	cost_rates_from_runs(&runs, 100, true, &in.rates);
	cost_compute(&in, &f);
	assert_true(near(f.syscall_program_ns, 150));
	assert_true(near(f.ns_per_syscall, 150 - 60 + 150));
	assert_true(near(f.ns_per_stage_call, 220 - 30 * 1.1 + 550));
	/* A share larger than the time measured leaves no negative program time. */
	in.syscall_stats_ns = 1000;
	cost_compute(&in, &f);
	assert_true(near(f.ns_per_syscall, 150));
	assert_true(near(f.ns_per_stage_call, 550));
}

/* A window's rates applied to a whole interval's counts, and carried on to
 * an interval whose window saw no stage call. */
static void test_cost_window_rates(void **state)
{
	struct cost_totals runs = {};
	struct cost_rates keep, now;
	struct cost_inputs in = {
		.target_syscalls = 50000,
		.stage_pushes = 3000,
		.stage_unrecorded = 0,
		.session = true,
		.probe_on_ns = 1000,
		.probe_off_ns = 500,
		.syscall_hook_ns = 100,
		.target_cpu_ns = 1e9,
	};
	struct cost_figures f;

	runs.cnt[COST_SYS_ENTER] = 4000;
	runs.ns[COST_SYS_ENTER] = 400000;
	runs.cnt[COST_STAGE_SESSION] = 200; /* 100 calls, all recorded */
	runs.ns[COST_STAGE_SESSION] = 30000;
	cost_rates_from_runs(&runs, 100, true, &keep);
	memset(&runs, 0, sizeof(runs));
	runs.cnt[COST_SYS_ENTER] = 1000;
	runs.ns[COST_SYS_ENTER] = 200000;
	cost_rates_from_runs(&runs, 0, true, &now);
	assert_true(now.stage_program_ns < 0);
	cost_rates_carry(&keep, &now);
	assert_true(near(keep.syscall_program_ns, 200));
	assert_true(near(keep.stage_program_ns, 300));
	assert_int_equal(keep.stage_calls, 100);
	in.rates = keep;
	cost_compute(&in, &f);
	assert_int_equal(f.target_syscalls, 50000);
	assert_int_equal(f.stage_calls, 3000);
	assert_true(near(f.ns_per_syscall, 300));
	assert_true(near(f.ns_per_stage_call, 1300));
	assert_true(near(f.syscall_cost_ns, 300.0 * 50000));
	assert_true(near(f.stage_cost_ns, 1300.0 * 3000));
	assert_true(near(f.stage_cpu_pct, 0.39));
	assert_true(near(f.target_cpu_pct, 1.89));
}

static void test_cost_entry_return_and_unknowns(void **state)
{
	struct cost_inputs in = { .stage_unrecorded = -1,
				  .probe_on_ns = -1,
				  .probe_off_ns = -1,
				  .syscall_hook_ns = -1,
				  .target_cpu_ns = -1 };
	struct cost_totals runs = {};
	struct cost_figures f;
	json_t *j;

	runs.cnt[COST_STAGE_ENTRY] = 10;
	runs.ns[COST_STAGE_ENTRY] = 1000;
	runs.cnt[COST_STAGE_RETURN] = 10;
	runs.ns[COST_STAGE_RETURN] = 1000;
	cost_rates_from_runs(&runs, 10, false, &in.rates);
	in.stage_pushes = 10;
	cost_compute(&in, &f);
	assert_int_equal(f.stage_calls, 10);
	assert_true(near(f.ns_per_stage_call, 200));
	assert_true(f.stage_probe_ns < 0);
	assert_true(f.ns_per_syscall < 0);
	assert_true(f.target_cpu_pct < 0);
	j = cost_json(&f);
	/* Unknown figures are left out, never printed as -1. */
	assert_null(json_object_get(j, "ns_per_syscall"));
	assert_null(json_object_get(j, "target_cpu_pct"));
	assert_null(json_object_get(j, "stage_probe_ns"));
	assert_true(near(json_real_value(json_object_get(j, "ns_per_stage_call")), 200));
	assert_int_equal(helper_int(j, "stage_calls"), 10);
	json_decref(j);
}

struct fake_skel {
	struct bpfprof_bpf skel;
	struct bpfprof_bpf__data data;
};

static void fake(struct fake_skel *f, bool on)
{
	memset(f, 0, sizeof(*f));
	f->skel.data = &f->data;
	f->data.stages_enabled = on;
}

static void test_toggle_and_log(void **state)
{
	struct stage_control c;
	struct fake_skel f;
	char buf[1024] = "";
	FILE *log = fmemopen(buf, sizeof(buf), "w");
	double on_s;
	uint64_t toggles;

	fake(&f, false);
	stage_control_init(&c, &f.skel, 0, log);
	assert_false(stage_control_enabled(&c));
	assert_true(stage_control_toggle(&c, "SIGUSR1"));
	assert_int_equal(f.data.stages_enabled, 1);
	assert_false(stage_control_toggle(&c, "t key"));
	stage_control_set(&c, false, "again"); /* already off: nothing */
	stage_control_interval(&c, &on_s, &toggles);
	assert_int_equal(toggles, 2);
	assert_int_equal(c.toggles, 2);
	stage_control_interval(&c, &on_s, &toggles);
	assert_int_equal(toggles, 0);
	assert_true(on_s == 0);
	fclose(log);
	assert_string_equal(buf, "bpfprof: stage probes off (SIGUSR1 toggles)\n"
				 "bpfprof: stage probes on (SIGUSR1)\n"
				 "bpfprof: stage probes off (t key)\n");
}

/* Off above the limit, back on only below half of it. */
static void test_max_overhead_hysteresis(void **state)
{
	struct stage_control c;
	struct fake_skel f;

	fake(&f, true);
	stage_control_init(&c, &f.skel, 5, NULL);
	stage_control_check_overhead(&c, 4.9);
	assert_true(stage_control_enabled(&c));
	stage_control_check_overhead(&c, -1); /* unknown: nothing */
	assert_true(stage_control_enabled(&c));
	stage_control_check_overhead(&c, 5.1);
	assert_false(stage_control_enabled(&c));
	assert_true(c.auto_off);
	stage_control_check_overhead(&c, 4);
	assert_false(stage_control_enabled(&c));
	stage_control_check_overhead(&c, 2.4);
	assert_true(stage_control_enabled(&c));
	assert_false(c.auto_off);
	/* Switched off by hand: the limit does not switch it back on. */
	stage_control_toggle(&c, "SIGUSR1");
	stage_control_check_overhead(&c, 0.1);
	assert_false(stage_control_enabled(&c));
	assert_int_equal(c.toggles, 3);
}

/* Detached, the probes see no calls: a trial after 4 intervals, 8 after a failed one. */
static void test_max_overhead_retry(void **state)
{
	struct stage_control c;
	struct fake_skel f;

	fake(&f, true);
	stage_control_init(&c, &f.skel, 5, NULL);
	stage_control_check_overhead(&c, 6);
	assert_false(stage_control_enabled(&c));
	for (int i = 1; i < OVERHEAD_RETRY_FIRST; i++) {
		stage_control_check_overhead(&c, -1);
		assert_false(stage_control_enabled(&c));
	}
	stage_control_check_overhead(&c, -1);
	assert_true(stage_control_enabled(&c));
	stage_control_check_overhead(&c, -1); /* the mixed interval */
	assert_true(stage_control_enabled(&c));
	stage_control_check_overhead(&c, 7); /* the trial's whole interval */
	assert_false(stage_control_enabled(&c));
	for (int i = 1; i < 2 * OVERHEAD_RETRY_FIRST; i++)
		stage_control_check_overhead(&c, -1);
	assert_false(stage_control_enabled(&c));
	stage_control_check_overhead(&c, -1);
	assert_true(stage_control_enabled(&c));
	stage_control_check_overhead(&c, 4); /* under the limit: stays on */
	assert_true(stage_control_enabled(&c));
	stage_control_check_overhead(&c, 6);
	assert_false(stage_control_enabled(&c));
	assert_int_equal(c.retry_after, OVERHEAD_RETRY_FIRST);
	assert_int_equal(c.toggles, 5);
}

static void test_no_stages_no_toggle(void **state)
{
	struct stage_control c;

	stage_control_init(&c, NULL, 5, NULL);
	assert_false(stage_control_toggle(&c, "SIGUSR1"));
	assert_int_equal(c.toggles, 0);
}

static void test_scale_stages(void **state)
{
	struct profile p;
	struct proc_profile *pp;
	struct stage_counters *c;

	profile_init(&p);
	pp = profile_proc(&p, 9, true);
	c = proc_stage(pp, 2);
	c->calls = 3;
	c->total_ns = 300;
	c->self_ns = 200;
	c->max_ns = 150;
	c->io_ops = 1;
	c->io_bytes_read = 10;
	for (int i = 0; i < 3; i++)
		hist_record(c->hist ? c->hist : (c->hist = calloc(1, sizeof(*c->hist))), 100);
	profile_scale_stages(&p, 1);
	assert_int_equal(c->calls, 3);
	profile_scale_stages(&p, 7);
	assert_int_equal(c->calls, 21);
	assert_int_equal(c->total_ns, 2100);
	assert_int_equal(c->self_ns, 1400);
	assert_int_equal(c->max_ns, 150); /* a maximum is not scaled */
	assert_int_equal(c->io_ops, 7);
	assert_int_equal(c->io_bytes_read, 70);
	assert_int_equal(hist_count(c->hist), 21);
	profile_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cost_session),
		cmocka_unit_test(test_cost_stats_share),
		cmocka_unit_test(test_cost_window_rates),
		cmocka_unit_test(test_cost_entry_return_and_unknowns),
		cmocka_unit_test(test_toggle_and_log),
		cmocka_unit_test(test_max_overhead_hysteresis),
		cmocka_unit_test(test_max_overhead_retry),
		cmocka_unit_test(test_no_stages_no_toggle),
		cmocka_unit_test(test_scale_stages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
