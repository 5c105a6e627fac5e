// SPDX-License-Identifier: MIT
/*
 * Integration: functions whose first instruction the kernel would
 * single-step get their entry probe on the first instruction of their
 * straight-line start it emulates (tests/targets/shift_target.c), and they
 * are timed exactly as from the entry: every call counted once, durations
 * from entry to return, the target's results and output unchanged. One
 * whose loop jumps back into its start, and one opening with sub $8,%rsp,
 * keep the probe at the entry. With return probes (the default for C) and
 * with probes on the rets (--returns=safe).
 */
#include <stdio.h>
#include <string.h>
#include "lib/helper.h"
#include "targets/target_common.h"

static const struct {
	const char *name;
	/* --list's ENTRY and RETURN columns, with return probes and with
	 * --returns=safe */
	const char *entry, *ret;
	const char *safe_entry, *safe_ret;
	long long calls;
} fns[] = {
	{ "shift_mov_test", "emulated+6", "return-probe", "emulated+6", "1 ret",
	  SHIFT_MOV_TEST_CALLS + SHIFT_CALLER_CALLS + SHIFT_TAIL_CALLS },
	{ "shift_xor_push", "emulated+2", "return-probe", "emulated+2", "1 ret",
	  SHIFT_XOR_PUSH_CALLS },
	{ "shift_cet_nop5", "nop5+8", "return-probe", "nop5+8", "1 ret", SHIFT_CET_NOP5_CALLS },
	{ "shift_caller", "emulated+3", "return-probe", "emulated+3", "1 ret", SHIFT_CALLER_CALLS },
	/* its jmp: the entry probe, which with sites also hands the call to
	 * the function it jumps to */
	{ "shift_tail", "emulated+2", "return-probe", "emulated+2", "0 rets+1 tail",
	  SHIFT_TAIL_CALLS },
	{ "noshift_loop", "single-step", "return-probe", "single-step", "1 ret",
	  NOSHIFT_LOOP_CALLS },
	{ "noshift_sub", "single-step", "return-probe", "single-step", "1 ret", NOSHIFT_SUB_CALLS },
};

#define N_FNS (sizeof(fns) / sizeof(fns[0]))

static void check_list(const char *returns, bool safe)
{
	char bin[256], target[256], cmd[800], want[128], *out;
	int status;

	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/shift_target");
	snprintf(cmd, sizeof(cmd), "%s %s --list '*shift_*' -- %s run", bin, returns, target);
	out = helper_command_output(cmd, &status);
	assert_int_equal(status, 0);
	for (size_t i = 0; i < N_FNS; i++) {
		bool found = false;

		/* "0x%-10lx " then ENTRY, RETURN, LANG, FUNCTION */
		snprintf(want, sizeof(want), "%-12s %-16s %-5s %s ",
			 safe ? fns[i].safe_entry : fns[i].entry,
			 safe ? fns[i].safe_ret : fns[i].ret, "C", fns[i].name);
		for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
			if (strlen(l) > 13 && !strncmp(l + 13, want, strlen(want)))
				found = true;
		if (!found)
			fail_msg("no line with \"%s\" in:\n%s", want, out);
	}
	assert_non_null(strstr(out, "7 functions"));
	free(out);
}

/* --list shows where each probe went: the kind, and how far in. */
static void test_list(void **state)
{
	check_list("", false);
	check_list("--returns=safe", true);
}

static void check_run(const char *returns, const char *ret)
{
	char bin[256], target[256], cmd[1000], *alone, *under, dir[64], path[128];
	long long entered = 0, p50;
	int status;
	json_t *s, *proc, *mechs, *m;
	json_error_t jerr;
	bool kinds[3] = {};
	size_t i;

	REQUIRE_ROOT_BPF();
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/shift_target");
	helper_tmpdir(dir, sizeof(dir));
	snprintf(cmd, sizeof(cmd), "%s run", target);
	alone = helper_command_output(cmd, &status);
	assert_int_equal(status, 0);
	assert_non_null(strstr(alone, "ok "));
	snprintf(cmd, sizeof(cmd), "%s -q %s -o %s/out -u '*shift_*' -- %s run", bin, returns, dir,
		 target);
	/* The target's exit status is bpfprof's; its output the same. */
	under = helper_command_output(cmd, &status);
	assert_int_equal(status, 0);
	assert_string_equal(under, alone);
	free(alone);
	free(under);
	snprintf(path, sizeof(path), "%s/out/summary.json", dir);
	s = json_load_file(path, 0, &jerr);
	if (!s)
		fail_msg("%s: %s", path, jerr.text);
	proc = helper_find_proc(s, (pid_t)helper_int(s, "target.pid"));
	assert_non_null(proc);
	for (i = 0; i < N_FNS; i++) {
		long long got = helper_stage_calls(proc, fns[i].name);

		if (got != fns[i].calls)
			fail_msg("%s (%s): %lld calls, want %lld", fns[i].name, returns, got,
				 fns[i].calls);
		entered += got;
	}
	assert_int_equal(helper_int(s, "audit.stage_calls_entered"), entered);
	assert_int_equal(helper_int(s, "audit.stage_calls_unfinished"), 0);
	assert_int_equal(helper_int(s, "audit.stage_returns_without_entry"), 0);
	assert_int_equal(helper_int(s, "audit.stage_calls_open_at_end"), 0);
	/* shift_caller spins SHIFT_SPIN_US: timed from its entry to its return
	 * (its child's probes are a few us, taken off). */
	p50 = helper_stage_int(proc, "shift_caller", "latency_ns.p50");
	helper_assert_within(p50, SHIFT_SPIN_US * 1000LL, 0.1, 30000, "shift_caller p50");
	assert_true(helper_stage_int(proc, "shift_caller", "self_ns") <
		    helper_stage_int(proc, "shift_caller", "total_ns"));
	assert_true(helper_stage_int(proc, "shift_caller", "total_ns") >=
		    SHIFT_CALLER_CALLS * SHIFT_SPIN_US * 1000LL * 9 / 10);
	/* Each entry kind is corrected as what it is. */
	mechs = json_object_get(json_object_get(json_object_get(s, "audit"), "time_correction"),
				"mechanisms");
	json_array_foreach (mechs, i, m) {
		const char *e = json_string_value(json_object_get(m, "entry"));

		assert_string_equal(json_string_value(json_object_get(m, "return")), ret);
		kinds[0] |= !strcmp(e, "emulated");
		kinds[1] |= !strcmp(e, "nop5");
		kinds[2] |= !strcmp(e, "single-step");
	}
	assert_true(kinds[0] && kinds[1] && kinds[2]);
	assert_int_equal(json_array_size(mechs), 3);
	assert_int_equal(helper_int(s, "audit.time_correction.uncorrected_functions"), 0);
	json_decref(s);
	helper_rmtree(dir);
}

static void test_session_probes(void **state)
{
	check_run("", "session");
}

static void test_return_sites(void **state)
{
	check_run("--returns=safe", "return sites");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_session_probes),
		cmocka_unit_test(test_return_sites),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
