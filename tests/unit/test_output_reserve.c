// SPDX-License-Identifier: MIT
/*
 * The room kept for summary.json: its temp file exists from output_open
 * with space allocated, becomes summary.json at the end (the unused room
 * given back), goes away when no summary is written, and a killed run's
 * leftover is removed by the next run in the directory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "output/output_files.h"
#include "lib/helper.h"

static char dir[64];

static void path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static void touch(const char *name)
{
	char p[256];
	FILE *f;

	path_of(p, sizeof(p), name);
	f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);
}

static void test_reserve_lifecycle(void **state)
{
	char mine[64], path[256], err[256];
	struct output_files *o;
	json_t *sum = json_pack("{s:s}", "schema", "bpfprof.summary.v1");
	struct stat st;

	snprintf(mine, sizeof(mine), ".summary.json.%d.tmp", (int)getpid());
	o = output_open(dir, err, sizeof(err));
	assert_non_null(o);
	/* There from the start, empty to look at, with room behind it. */
	path_of(path, sizeof(path), mine);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_true(st.st_blocks * 512 >= 256 << 10);
	assert_int_equal(output_write_summary(o, sum), 0);
	output_close(o);
	assert_false(helper_exists(path));
	path_of(path, sizeof(path), "summary.json");
	assert_int_equal(stat(path, &st), 0);
	/* The rest of the room is given back. */
	assert_true(st.st_blocks * 512 < 64 << 10);
	/* No summary: no temp file either. */
	o = output_open(dir, err, sizeof(err));
	assert_non_null(o);
	output_close(o);
	path_of(path, sizeof(path), mine);
	assert_false(helper_exists(path));
	json_decref(sum);
}

static void test_stale_reserves(void **state)
{
	char dead[64], alive[64], path[256], err[256];
	struct output_files *o;
	pid_t pid = fork();

	/* A pid that is gone: a child, reaped. */
	if (!pid)
		_exit(0);
	assert_true(pid > 0);
	waitpid(pid, NULL, 0);
	snprintf(dead, sizeof(dead), ".summary.json.%d.tmp", (int)pid);
	snprintf(alive, sizeof(alive), ".summary.json.%d.tmp", (int)getppid());
	touch(dead);
	touch(alive);
	touch(".summary.json.x.tmp");
	o = output_open(dir, err, sizeof(err));
	assert_non_null(o);
	output_close(o);
	path_of(path, sizeof(path), dead);
	assert_false(helper_exists(path));
	/* A running process's, and names that are not ours, stay. */
	path_of(path, sizeof(path), alive);
	assert_true(helper_exists(path));
	path_of(path, sizeof(path), ".summary.json.x.tmp");
	assert_true(helper_exists(path));
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
		cmocka_unit_test_setup_teardown(test_reserve_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_reserves, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
