// SPDX-License-Identifier: MIT
/* The plain report's process list: the N busiest, then how many more. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "collect/profile.h"
#include "output/interval_report.h"
#include "probes/syscall_table.h"
#include "lib/helper.h"

static char *render(const struct profile *p, size_t top)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	interval_report_print_top(f, "interval 0 (1.00s)", p, 1.0, NULL, top);
	fclose(f);
	return buf;
}

static void test_top_processes(void **state)
{
	struct profile p;
	char *text;
	/* pid: syscalls; 30 the busiest, then 50, 20, 40, 10. */
	static const struct {
		uint32_t pid;
		uint64_t calls;
	} procs[] = { { 10, 1 }, { 20, 300 }, { 30, 5000 }, { 40, 20 }, { 50, 400 } };

	profile_init(&p);
	for (size_t i = 0; i < 5; i++) {
		struct proc_profile *pp = profile_proc(&p, procs[i].pid, true);

		snprintf(pp->comm, sizeof(pp->comm), "p%u", procs[i].pid);
		pp->sys[syscall_nr("getpid")].count = procs[i].calls;
	}
	text = render(&p, 3);
	assert_non_null(strstr(text, "== bpfprof interval 0 (1.00s), 5 processes, 5721 syscalls; "
				     "the 3 busiest\n"));
	assert_non_null(strstr(text, "\n  30      p30 "));
	assert_true(strstr(text, "\n  30 ") < strstr(text, "\n  50 "));
	assert_true(strstr(text, "\n  50 ") < strstr(text, "\n  20 "));
	assert_null(strstr(text, "\n  40 "));
	assert_null(strstr(text, "\n  10 "));
	assert_non_null(strstr(text, "\n  ... 2 more processes (--top N shows more)\n"));
	free(text);
	/* 0, or N at least the count: all, as they come, no note. */
	text = render(&p, 0);
	assert_null(strstr(text, "busiest"));
	assert_non_null(strstr(text, "\n  10 "));
	assert_null(strstr(text, "more process"));
	free(text);
	text = render(&p, 5);
	assert_null(strstr(text, "busiest"));
	free(text);
	profile_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_top_processes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
