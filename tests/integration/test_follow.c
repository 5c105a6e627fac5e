// SPDX-License-Identifier: MIT
/*
 * Integration: --follow against fork_target, a process tree whose writes and
 * stage calls tests/targets/target_common.h spells out per process. With
 * --follow every process of the tree is counted exactly (syscalls and
 * stages); without it, only the target.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/helper.h"
#include "targets/target_common.h"

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

static json_t *run_fork_target(char *dir, size_t len, bool follow)
{
	const char *with[] = { "-q", "-u", "fork_stage", "--follow", NULL };
	const char *without[] = { "-q", "-u", "fork_stage", NULL };
	struct helper_profile run;
	json_t *s;

	assert_int_equal(helper_profile(&run, follow ? with : without, "targets/fork_target", NULL,
					60),
			 0);
	snprintf(dir, len, "%s", run.dir);
	s = run.summary;
	assert_non_null(s);
	assert_int_equal(helper_int(s, "target.exit_status"), 0);
	if (helper_int(s, "audit.lost_total") != 0)
		fail_msg("lost: %s", json_dumps(json_object_get(s, "audit"), JSON_COMPACT));
	return s;
}

static void test_follow_counts_the_whole_tree(void **state)
{
	long long writes[FORK_CHILDREN + 2], calls[FORK_CHILDREN + 2];
	long long want_writes[] = {FORK_PARENT_WRITES, FORK_GRANDCHILD_WRITES, FORK_CHILD_WRITES(0),
				   FORK_CHILD_WRITES(1), FORK_CHILD_WRITES(2)};
	long long want_calls[] = {0, 1, 1, 2, 3}; /* grandchild, parent, children */
	json_t *s, *procs, *p;
	char dir[64];
	size_t i;

	REQUIRE_ROOT_BPF();
	s = run_fork_target(dir, sizeof(dir), true);
	procs = json_object_get(s, "processes");
	assert_int_equal(json_array_size(procs), FORK_CHILDREN + 2);
	json_array_foreach (procs, i, p) {
		writes[i] = helper_int(p, "io.write.ops");
		calls[i] = helper_stage_calls(p, "fork_stage");
		assert_int_equal(helper_int(p, "io.write.bytes"), writes[i] * FORK_WRITE_SIZE);
		assert_string_equal(json_string_value(json_object_get(p, "comm")), "fork_target");
	}
	qsort(writes, FORK_CHILDREN + 2, sizeof(writes[0]), cmp_ll);
	qsort(want_writes, FORK_CHILDREN + 2, sizeof(want_writes[0]), cmp_ll);
	qsort(calls, FORK_CHILDREN + 2, sizeof(calls[0]), cmp_ll);
	for (i = 0; i < FORK_CHILDREN + 2; i++) {
		assert_int_equal(writes[i], want_writes[i]);
		assert_int_equal(calls[i], want_calls[i]);
	}
	json_decref(s);
	helper_rmtree(dir);
}

static void test_without_follow_only_the_target(void **state)
{
	json_t *s, *p;
	char dir[64];

	REQUIRE_ROOT_BPF();
	s = run_fork_target(dir, sizeof(dir), false);
	assert_int_equal(json_array_size(json_object_get(s, "processes")), 1);
	p = json_array_get(json_object_get(s, "processes"), 0);
	assert_int_equal(helper_int(p, "pid"), helper_int(s, "target.pid"));
	assert_int_equal(helper_int(p, "io.write.ops"), FORK_PARENT_WRITES);
	assert_int_equal(helper_stage_calls(p, "fork_stage"), 1);
	/* The parent's forks are its own syscalls (glibc's fork is clone). */
	assert_int_equal(helper_int(p, "syscalls.clone.count"), FORK_CHILDREN);
	json_decref(s);
	helper_rmtree(dir);
}

static void test_follow_needs_a_target(void **state)
{
	char bin[256];
	struct proc_run r;

	helper_path(bin, sizeof(bin), "bpfprof");
	char *argv[] = {bin, "--follow", NULL};

	assert_int_equal(helper_run(argv, 10, &r), 2);
	assert_non_null(strstr(r.err, "--follow needs a target"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_follow_counts_the_whole_tree),
		cmocka_unit_test(test_without_follow_only_the_target),
		cmocka_unit_test(test_follow_needs_a_target),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
