// SPDX-License-Identifier: MIT
/*
 * Each libFuzzer harness in tests/fuzz/ replays its committed seeds (and
 * every crash found so far, kept there as regressions), then fuzzes for
 * BPFPROF_FUZZ_SECONDS (default 10). `make fuzz` runs them for longer.
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib/helper.h"

#define MAX_HARNESSES 16

static void run_harness(void **state)
{
	const char *name = *state;
	const char *secs = getenv("BPFPROF_FUZZ_SECONDS");
	char bin[256], script[] = "tests/fuzz/run.sh";
	char *argv[] = {script, (char *)helper_build_dir(), (char *)(secs ? secs : "10"),
			(char *)name, NULL};
	int status;
	pid_t pid;

	snprintf(bin, sizeof(bin), "%s/fuzz/fuzz_%s", helper_build_dir(), name);
	if (access(bin, X_OK))
		fail_msg("%s is not built (make builds it with clang)", bin);
	fflush(stdout);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(1, 2);
		execv(script, argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("fuzz harness %s found a crash, leak or timeout (see above)", name);
}

int main(void)
{
	struct CMUnitTest tests[MAX_HARNESSES];
	size_t n = 0;
	glob_t g;
	int rc;

	/* One test per harness source, so a new harness cannot be forgotten. */
	if (glob("tests/fuzz/fuzz_*.c", 0, NULL, &g) || !g.gl_pathc) {
		fprintf(stderr, "no harness in tests/fuzz/ (run from the source tree)\n");
		return 1;
	}
	for (size_t i = 0; i < g.gl_pathc && n < MAX_HARNESSES; i++) {
		char *base = strrchr(g.gl_pathv[i], '/') + 1;

		base = strndup(base + strlen("fuzz_"), strlen(base) - strlen("fuzz_.c"));
		tests[n++] = (struct CMUnitTest){
			.name = base, .test_func = run_harness, .initial_state = base};
	}
	rc = _cmocka_run_group_tests("fuzz", tests, n, NULL, NULL);
	for (size_t i = 0; i < n; i++)
		free((void *)tests[i].initial_state);
	globfree(&g);
	return rc;
}
