// SPDX-License-Identifier: MIT
/*
 * Errors users will hit: each gets one line on stderr, a non-zero exit, and
 * leaves no output behind. The table here is the one in README.md's
 * troubleshooting section.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib/helper.h"

struct error_case {
	const char *what;
	const char *args[12]; /* after "bpfprof"; "@OUT" is the output dir, "@PID" a pid */
	int exit_code;
	const char *message;
};

static char outdir[128], tmpdir[64], bin[256], pidarg[32];

static void check_case(const struct error_case *c, int uid)
{
	char *argv[16];
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

/* The usage errors issue 8 lists that the table above lacks. */
static void test_more_usage_errors(void **state)
{
	static const struct error_case cases[] = {
		{ "negative interval", { "-i", "-1", "-o", "@OUT" }, 2, "invalid interval '-1'" },
		{ "huge interval", { "-i", "1e400", "-o", "@OUT" }, 2, "invalid interval '1e400'" },
		{ "interval not a number", { "-i", "nan", "-o", "@OUT" }, 2, "invalid interval 'nan'" },
		{ "zero duration", { "-d", "0", "-o", "@OUT" }, 2, "invalid duration '0'" },
		{ "duration with junk", { "-d", "5x", "-o", "@OUT" }, 2, "invalid duration '5x'" },
		{ "duration with a space", { "-d", "5 s", "-o", "@OUT" }, 2, "invalid duration '5 s'" },
		{ "infinite duration", { "-d", "inf", "-o", "@OUT" }, 2, "invalid duration 'inf'" },
		{ "pid 0", { "-p", "0", "-o", "@OUT" }, 2, "invalid pid '0'" },
		{ "negative pid", { "-p", "-5", "-o", "@OUT" }, 2, "invalid pid '-5'" },
		{ "pid past int", { "-p", "4294967297", "-o", "@OUT" }, 2, "invalid pid" },
		{ "empty output dir", { "-o", "" }, 2, "empty output directory" },
		{ "-q and -v", { "-q", "-v", "-o", "@OUT" }, 2, "-q and -v are exclusive" },
		{ "unknown option", { "--no-such-option", "-o", "@OUT" }, 2,
		  "unknown option '--no-such-option' (--help lists them)" },
		{ "misspelt option", { "--folow", "-o", "@OUT" }, 2,
		  "unknown option '--folow'; did you mean '--follow'?" },
		{ "missing argument", { "-o", "@OUT", "-p" }, 2, "option '-p' needs an argument" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i], -1);
}

/* Malformed and unusable -u specs: refused before anything is attached. */
static void test_stage_spec_errors(void **state)
{
	char target[256], notelf[128], stripped[128], nomatch[320], missing[160], isdir[160],
		bad_notelf[160], bad_stripped[160], devnull[] = "/dev/null:f";

	REQUIRE_ROOT_BPF();
	helper_path(target, sizeof(target), "targets/stage_target_pie");
	snprintf(notelf, sizeof(notelf), "%s/notelf", tmpdir);
	snprintf(stripped, sizeof(stripped), "%s/stripped", tmpdir);
	{
		FILE *f = fopen(notelf, "w");
		char cmd[640];

		assert_non_null(f);
		fputs("#!/bin/sh\necho not an ELF file\n", f);
		fclose(f);
		/* A PIE stripped of .symtab: its stage_* functions are not exported. */
		snprintf(cmd, sizeof(cmd), "strip --strip-all -o %s %s", stripped, target);
		assert_int_equal(system(cmd), 0);
	}
	snprintf(missing, sizeof(missing), "%s/no-such-binary:f", tmpdir);
	snprintf(isdir, sizeof(isdir), "%s:f", tmpdir);
	snprintf(bad_notelf, sizeof(bad_notelf), "%s:f", notelf);
	snprintf(bad_stripped, sizeof(bad_stripped), "%s:stage_*", stripped);
	snprintf(nomatch, sizeof(nomatch), "%s:no_such_function_*", target);
	{
		const struct error_case cases[] = {
			{ "empty binary", { "-o", "@OUT", "-u", ":f", "--", target }, 1,
			  "stage spec ':f': empty binary before ':'" },
			{ "empty pattern", { "-o", "@OUT", "-u", "lib:", "--", target }, 1,
			  "stage spec 'lib:': empty function pattern" },
			{ "blank pattern", { "-o", "@OUT", "-u", "  ", "--", target }, 1,
			  "empty function pattern" },
			{ "missing binary", { "-o", "@OUT", "-u", missing, "--", target }, 1,
			  "no-such-binary' not found" },
			{ "directory", { "-o", "@OUT", "-u", isdir, "--", target }, 1,
			  "is a directory" },
			{ "not ELF", { "-o", "@OUT", "-u", bad_notelf, "--", target }, 1,
			  "notelf' is not an ELF file" },
			{ "device", { "-o", "@OUT", "-u", devnull, "--", target }, 1,
			  "binary '/dev/null' is not a regular file" },
			{ "no match", { "-o", "@OUT", "-u", nomatch, "--", target }, 1,
			  "matches 'no_such_function_*'" },
			{ "stripped, no .dynsym match", { "-o", "@OUT", "-u", bad_stripped, "--", target },
			  1, "it is stripped and no debug file was found: only its exported .dynsym "
			     "functions can be timed" },
			{ "library name, whole machine", { "-o", "@OUT", "-u", "libc:malloc", "-d", "1" },
			  1, "is a library name, which needs a target process" },
			{ "no binary, whole machine", { "-o", "@OUT", "-u", "malloc", "-d", "1" }, 1,
			  "no binary given and no target process" },
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			check_case(&cases[i], -1);
	}
	unlink(notelf);
	unlink(stripped);
}

/* Output directories bpfprof must not use: nothing may appear in them. */
static void test_unusable_output_dirs(void **state)
{
	char ro[128], link[128], foreign[128], file[192];

	REQUIRE_ROOT_BPF();
	/* A read-only filesystem, in a mount namespace of our own. */
	snprintf(ro, sizeof(ro), "%s/ro", tmpdir);
	assert_int_equal(mkdir(ro, 0755), 0);
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("bpfprof-test", ro, "tmpfs", MS_RDONLY, "size=64k"))
		fail_msg("read-only tmpfs: %s", strerror(errno));
	{
		struct error_case c = { "read-only filesystem", { "-d", "1", "-o", ro }, 1,
					"cannot write in output directory" };

		check_case(&c, -1);
		assert_int_equal(helper_dir_entries(ro), 0);
	}
	umount2(ro, MNT_DETACH);
	/* A symlink to a directory. */
	snprintf(link, sizeof(link), "%s/link", tmpdir);
	assert_int_equal(symlink(ro, link), 0);
	{
		struct error_case c = { "output dir is a symlink", { "-d", "1", "-o", link }, 1,
					"is a symbolic link" };

		check_case(&c, -1);
		assert_int_equal(helper_dir_entries(ro), 0);
	}
	/* Someone's file where flushes.jsonl goes. */
	snprintf(foreign, sizeof(foreign), "%s/foreign", tmpdir);
	assert_int_equal(mkdir(foreign, 0755), 0);
	snprintf(file, sizeof(file), "%s/flushes.jsonl", foreign);
	{
		/* (An empty file would be replaced: it holds nothing to lose.) */
		int fd = open(file, O_CREAT | O_WRONLY, 0644);

		assert_int_equal(write(fd, "precious\n", 9), 9);
		close(fd);
	}
	{
		struct error_case c = { "foreign flushes.jsonl", { "-d", "1", "-o", foreign }, 1,
					"flushes.jsonl exists and is not bpfprof's output" };

		check_case(&c, -1);
		assert_int_equal(helper_dir_entries(foreign), 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_not_root),
		cmocka_unit_test(test_runtime_errors),
		cmocka_unit_test(test_command_not_executable),
		cmocka_unit_test(test_more_usage_errors),
		cmocka_unit_test(test_stage_spec_errors),
		cmocka_unit_test(test_unusable_output_dirs),
	};

	return cmocka_run_group_tests_name("errors", tests, setup, teardown);
}
