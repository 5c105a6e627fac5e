// SPDX-License-Identifier: MIT
/*
 * Errors users will hit: each gets one line on stderr, a non-zero exit, and
 * leaves no output behind. The table here is the one in README.md's
 * troubleshooting section.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "helper.h"

struct error_case {
	const char *what;
	const char *args[8]; /* after "bpfprof"; "@OUT" is the output dir, "@PID" a pid */
	int exit_code;
	const char *message;
};

static char outdir[128], tmpdir[64], bin[256], pidarg[32];

static void check_case(const struct error_case *c, int uid)
{
	char *argv[12];
	struct proc_run r;
	int n = 0, code;

	argv[n++] = bin;
	for (int i = 0; c->args[i]; i++)
		argv[n++] = !strcmp(c->args[i], "@OUT")   ? outdir
			    : !strcmp(c->args[i], "@PID") ? pidarg
							  : (char *)c->args[i];
	argv[n] = NULL;
	assert_int_equal(helper_spawn(&r, argv, false, uid), 0);
	code = helper_wait_exit(&r, 30);
	if (code != c->exit_code || !strstr(r.err, c->message))
		fail_msg("%s: exit %d, stderr '%s'; expected exit %d and '%s'", c->what, code, r.err,
			 c->exit_code, c->message);
	/* One line, naming the tool. */
	assert_int_equal(strncmp(r.err, "bpfprof: ", 9), 0);
	assert_ptr_equal(strchr(r.err, '\n'), r.err + r.err_len - 1);
	/* Nothing half-written. */
	if (helper_exists(outdir))
		fail_msg("%s: left %s behind", c->what, outdir);
}

static int setup(void **state)
{
	helper_tmpdir(tmpdir, sizeof(tmpdir));
	snprintf(outdir, sizeof(outdir), "%s/out", tmpdir);
	helper_path(bin, sizeof(bin), "bpfprof");
	return 0;
}

static int teardown(void **state)
{
	helper_rmtree(tmpdir);
	return 0;
}

static void test_usage_errors(void **state)
{
	static const struct error_case cases[] = {
		{ "interval 0", { "-i", "0", "-o", "@OUT" }, 2, "invalid interval '0'" },
		{ "negative duration", { "-d", "-1", "-o", "@OUT" }, 2, "invalid duration '-1'" },
		{ "huge duration", { "-d", "1e10", "-o", "@OUT" }, 2, "invalid duration" },
		{ "bad pid", { "-p", "abc", "-o", "@OUT" }, 2, "invalid pid 'abc'" },
		{ "pid and command", { "-p", "1", "-o", "@OUT", "--", "true" }, 2, "exclusive" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i], -1);
}

static void test_not_root(void **state)
{
	static const struct error_case c = { "not root", { "-o", "@OUT", "-d", "1" }, 1,
					     "must run as root" };

	/* As root, drop to nobody; as a user, we are already not root. */
	check_case(&c, geteuid() == 0 ? 65534 : -1);
}

static void test_runtime_errors(void **state)
{
	char path[256], pidmax[32] = "4194304";
	FILE *f = fopen("/proc/sys/kernel/pid_max", "r");
	pid_t zombie;

	REQUIRE_ROOT_BPF();
	if (f) {
		if (!fgets(pidmax, sizeof(pidmax), f))
			strcpy(pidmax, "4194304");
		fclose(f);
	}
	/* The highest pid is all but never in use; make sure. */
	snprintf(pidarg, sizeof(pidarg), "%ld", strtol(pidmax, NULL, 10) - 1);
	snprintf(path, sizeof(path), "/proc/%s", pidarg);
	assert_false(helper_exists(path));
	{
		static const struct error_case c = { "missing pid", { "-p", "@PID", "-o", "@OUT" }, 1,
						     "no process with pid" };
		check_case(&c, -1);
	}
	{
		static const struct error_case c = { "kernel thread", { "-p", "2", "-o", "@OUT" }, 1,
						     "is a kernel thread" };
		check_case(&c, -1);
	}
	zombie = fork();
	if (zombie == 0)
		_exit(0);
	usleep(100000);
	snprintf(pidarg, sizeof(pidarg), "%d", zombie);
	{
		static const struct error_case c = { "zombie", { "-p", "@PID", "-o", "@OUT" }, 1,
						     "is a zombie" };
		check_case(&c, -1);
	}
	waitpid(zombie, NULL, 0);
	{
		static const struct error_case c = { "missing command",
						     { "-o", "@OUT", "--", "/nonexistent/cmd" }, 1,
						     "cannot execute '/nonexistent/cmd': No such file" };
		check_case(&c, -1);
	}
	{
		static const struct error_case c = { "command not in PATH",
						     { "-o", "@OUT", "--", "no-such-command-xyz" }, 1,
						     "cannot execute 'no-such-command-xyz'" };
		check_case(&c, -1);
	}
	{
		static const struct error_case c = { "directory as command", { "-o", "@OUT", "--", "/tmp" },
						     1, "Is a directory" };
		check_case(&c, -1);
	}
	{
		static const struct error_case c = { "outdir in /proc",
						     { "-d", "1", "-o", "/proc/bpfprof-out" }, 1,
						     "cannot create output directory" };
		check_case(&c, -1);
	}
	snprintf(path, sizeof(path), "%s/afile", tmpdir);
	close(open(path, O_CREAT | O_WRONLY, 0644));
	{
		struct error_case c = { "outdir is a file", { "-d", "1", "-o", path }, 1,
					"is not a directory" };
		check_case(&c, -1);
	}
	setenv("BPFPROF_BTF_PATH", "/nonexistent/vmlinux", 1);
	{
		static const struct error_case c = { "no BTF", { "-d", "1", "-o", "@OUT" }, 1,
						     "has no BTF" };
		check_case(&c, -1);
	}
	unsetenv("BPFPROF_BTF_PATH");
}

/* A file without execute permission is refused before anything starts. */
static void test_command_not_executable(void **state)
{
	char path[256];

	REQUIRE_ROOT_BPF();
	snprintf(path, sizeof(path), "%s/noexec.sh", tmpdir);
	close(open(path, O_CREAT | O_WRONLY, 0644));
	{
		struct error_case c = { "not executable", { "-o", "@OUT", "--", path }, 1,
					"Permission denied" };
		check_case(&c, -1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_not_root),
		cmocka_unit_test(test_runtime_errors),
		cmocka_unit_test(test_command_not_executable),
	};

	return cmocka_run_group_tests_name("errors", tests, setup, teardown);
}
