// SPDX-License-Identifier: MIT
/*
 * Every shell example of README.md runs and exits 0 (tools/readme_examples.sh
 * runs them in order against the demo server), so none can rot.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "lib/helper.h"

static void test_readme_examples(void **state)
{
	char cmd[1024];
	const char *src = getenv("BPFPROF_SRC");
	int st;

	snprintf(cmd, sizeof(cmd), "%s/tools/readme_examples.sh %s", src ? src : ".",
		 helper_build_dir());
	st = system(cmd);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readme_examples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
