// SPDX-License-Identifier: MIT
/*
 * What a command runs, before it runs: a script's interpreter (#!, env,
 * nested), canonical paths, and the libraries its loader would map, so -u
 * in command mode names the same binaries -p does.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "probes/stage_spec.h"
#include "run/target.h"
#include "lib/helper.h"

static char dir[64];

static void write_script(const char *name, const char *text, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
}

static void test_exec_binary(void **state)
{
	char path[256], inner[256], text[512], out[PATH_MAX], sh[PATH_MAX], env_sh[PATH_MAX];
	char err[256], exe[PATH_MAX], rel[PATH_MAX];
	bool script;

	assert_non_null(realpath("/bin/sh", sh));
	/* An ELF file: itself, canonical (relative and via symlinks). */
	helper_path(rel, sizeof(rel), "targets/stage_target");
	assert_non_null(realpath(rel, exe));
	assert_int_equal(target_exec_binary(rel, out, sizeof(out), &script, err, sizeof(err)), 0);
	assert_string_equal(out, exe);
	assert_false(script);
	/* "#!/bin/sh -e": the interpreter, canonical. */
	write_script("a.sh", "#!/bin/sh -e\necho hi\n", path, sizeof(path));
	assert_int_equal(target_exec_binary(path, out, sizeof(out), &script, err, sizeof(err)), 0);
	assert_string_equal(out, sh);
	assert_true(script);
	/* "#! /usr/bin/env -S sh -e": sh from PATH. */
	write_script("b", "#! /usr/bin/env -S sh -e\n", path, sizeof(path));
	assert_int_equal(target_exec_binary(path, out, sizeof(out), &script, err, sizeof(err)), 0);
	assert_non_null(realpath(out, env_sh));
	assert_string_equal(strrchr(env_sh, '/'), strrchr(sh, '/'));
	/* A script whose interpreter is a script (a wrapper): followed. */
	write_script("inner", "#!/bin/sh\n", inner, sizeof(inner));
	snprintf(text, sizeof(text), "#!%s\n", inner);
	write_script("outer", text, path, sizeof(path));
	assert_int_equal(target_exec_binary(path, out, sizeof(out), &script, err, sizeof(err)), 0);
	assert_string_equal(out, sh);
	/* A loop of scripts: refused, as the kernel would. */
	snprintf(text, sizeof(text), "#!%s/loop\n", dir);
	write_script("loop", text, path, sizeof(path));
	assert_int_equal(target_exec_binary(path, out, sizeof(out), &script, err, sizeof(err)),
			 -ELOOP);
	assert_non_null(strstr(err, "too many nested #! interpreters"));
	/* An interpreter that is not there. */
	write_script("gone", "#!/no/such/interp\n", path, sizeof(path));
	assert_int_not_equal(
		target_exec_binary(path, out, sizeof(out), &script, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "/no/such/interp"));
}

static bool has_path(char **paths, size_t n, const char *want)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(paths[i], want))
			return true;
	return false;
}

static void test_command_libraries(void **state)
{
	char rel[PATH_MAX], exe[PATH_MAX], lib[PATH_MAX], libc[PATH_MAX], err[256];
	char **paths;
	size_t n;

	/* $ORIGIN RUNPATH and the system libc, canonical. */
	helper_path(rel, sizeof(rel), "targets/stage_target_lib");
	assert_non_null(realpath(rel, exe));
	helper_path(rel, sizeof(rel), "targets/libstagelib.so");
	assert_non_null(realpath(rel, lib));
	assert_int_equal(stage_spec_command_libraries(exe, &paths, &n, err, sizeof(err)), 0);
	assert_true(has_path(paths, n, lib));
	assert_non_null(realpath("/lib/x86_64-linux-gnu/libc.so.6", libc));
	assert_true(has_path(paths, n, libc));
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	/* Static: none. */
	helper_path(rel, sizeof(rel), "targets/stage_target");
	assert_int_equal(stage_spec_command_libraries(rel, &paths, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
}

/* stage_spec_resolve in command mode: library names among the command's
 * libraries, relative paths made absolute. */
static void test_resolve_in_command_mode(void **state)
{
	char rel[PATH_MAX], exe[PATH_MAX], lib[PATH_MAX], err[256], spec_text[PATH_MAX + 16];
	struct stage_spec spec;

	helper_path(rel, sizeof(rel), "targets/stage_target_lib");
	assert_non_null(realpath(rel, exe));
	helper_path(rel, sizeof(rel), "targets/libstagelib.so");
	assert_non_null(realpath(rel, lib));
	assert_int_equal(stage_spec_parse("libstagelib:lib_*", &spec, err, sizeof(err)), 0);
	assert_int_equal(stage_spec_resolve(&spec, getpid(), exe, err, sizeof(err)), 0);
	assert_string_equal(spec.display_path, lib);
	stage_spec_free(&spec);
	assert_int_equal(stage_spec_parse("libnotthere:f", &spec, err, sizeof(err)), 0);
	assert_int_equal(stage_spec_resolve(&spec, getpid(), exe, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no library matching 'libnotthere' is loaded by"));
	stage_spec_free(&spec);
	snprintf(spec_text, sizeof(spec_text), "%s:lib_*", rel);
	assert_int_equal(stage_spec_parse(spec_text, &spec, err, sizeof(err)), 0);
	assert_int_equal(stage_spec_resolve(&spec, getpid(), exe, err, sizeof(err)), 0);
	assert_string_equal(spec.display_path, lib);
	stage_spec_free(&spec);
}

static int setup(void **state)
{
	helper_tmpdir(dir, sizeof(dir));
	return 0;
}

static int teardown(void **state)
{
	helper_rmtree(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_binary),
		cmocka_unit_test(test_command_libraries),
		cmocka_unit_test(test_resolve_in_command_mode),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
