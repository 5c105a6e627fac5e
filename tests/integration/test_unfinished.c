// SPDX-License-Identifier: MIT
/*
 * Integration: calls that end without returning because their thread or
 * their process ends inside them (tests/targets/exit_target.c) are counted
 * per function, as unfinished, in both ways a call's end is seen (return
 * probes, probes on the return instructions); functions none of whose
 * calls returned are listed with 0 calls. The stages' sum is the audit's.
 * (Exceptions, panics, goroutine exits and longjmp: test_safe_returns.c,
 * test_stages.c.)
 */
#include <string.h>
#include "lib/helper.h"
#include "targets/target_common.h"

static void run(const char *returns)
{
	const char *const args[] = { "-q",
				     "--returns",
				     returns,
				     "-u",
				     "exit_thread_quits",
				     "-u",
				     "exit_returns",
				     "-u",
				     "exit_process_exits",
				     NULL };
	struct helper_profile p;
	json_t *proc;

	REQUIRE_ROOT_BPF();
	if (helper_profile(&p, args, "targets/exit_target", NULL, 60) != 0 || !p.summary)
		fail_msg("exit_target under bpfprof --returns=%s did not exit 0: %s", returns,
			 p.run.err);
	proc = helper_find_proc(p.summary, (pid_t)helper_int(p.summary, "target.pid"));
	assert_non_null(proc);
	assert_int_equal(helper_stage_int(proc, "exit_thread_quits", "calls"), 0);
	assert_int_equal(helper_stage_int(proc, "exit_thread_quits", "calls_unfinished"),
			 EXIT_THREADS);
	assert_int_equal(helper_stage_int(proc, "exit_returns", "calls"), EXIT_RETURN_CALLS);
	assert_int_equal(helper_stage_int(proc, "exit_returns", "calls_unfinished"), 0);
	assert_int_equal(helper_stage_int(proc, "exit_process_exits", "calls"), 0);
	assert_int_equal(helper_stage_int(proc, "exit_process_exits", "calls_unfinished"), 1);
	assert_int_equal(helper_stage_int(proc, "exit_process_exits", "total_ns"), 0);
	assert_int_equal(helper_int(p.summary, "audit.stage_calls_unfinished"), EXIT_THREADS + 1);
	assert_int_equal(helper_stages_unfinished(p.summary), EXIT_THREADS + 1);
	assert_int_equal(helper_int(p.summary, "audit.stage_calls_open_at_end"), 0);
	helper_profile_done(&p);
}

static void test_return_probes(void **state)
{
	run("fast");
}

static void test_return_sites(void **state)
{
	run("safe");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_return_probes),
		cmocka_unit_test(test_return_sites),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
