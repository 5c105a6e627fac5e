// SPDX-License-Identifier: MIT
/*
 * Integration: a whole-machine run never reports bpfprof's own processes
 * (the BPF programs skip bpfprof itself; its BPF stats helper is dropped
 * when the maps are read), and the plain report shows the busiest processes
 * only (--top N).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/helper.h"

/* bpfprof's child processes, from /proc/PID/task/PID/children. */
static int children(pid_t pid, pid_t *out, int max)
{
	char path[64], buf[256];
	int n = 0, fd;
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[len > 0 ? len : 0] = '\0';
	for (char *p = strtok(buf, " \n"); p && n < max; p = strtok(NULL, " \n"))
		out[n++] = atoi(p);
	return n;
}

static void test_own_processes_never_reported(void **state)
{
	char dir[64], out[128], bin[256];
	pid_t helpers[4];
	struct proc_run r;
	json_t *s, *p, *fl, *rec;
	size_t i, k;
	int n;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	helper_path(bin, sizeof(bin), "bpfprof");
	/* --self-cost=window (the default) starts the stats helper. */
	char *argv[] = { bin, "-i", "0.25", "-d", "2", "-o", out, NULL };

	assert_int_equal(helper_spawn(&r, argv, false, -1), 0);
	if (!helper_wait_stderr(&r, "profiling all processes", 30))
		fail_msg("bpfprof did not start: %s", r.err);
	helper_sleep_s(0.5);
	n = children(r.pid, helpers, 4);
	assert_true(n >= 1); /* the stats helper, which is busy every second */
	assert_int_equal(helper_wait_exit(&r, 30), 0);
	s = helper_load_json_in(out, "summary.json");
	assert_non_null(s);
	assert_true(json_array_size(json_object_get(s, "processes")) > 0);
	assert_null(helper_find_proc(s, r.pid));
	for (int h = 0; h < n; h++)
		if (helper_find_proc(s, helpers[h]))
			fail_msg("bpfprof's own process %d is in the summary", helpers[h]);
	fl = helper_load_jsonl(strcat(out, "/flushes.jsonl"));
	json_array_foreach (fl, i, rec)
		json_array_foreach (json_object_get(rec, "processes"), k, p)
			for (int h = 0; h < n; h++)
				if (json_integer_value(json_object_get(p, "pid")) == helpers[h])
					fail_msg("bpfprof's own process %d is in flush %zu",
						 helpers[h], i);
	json_decref(fl);
	json_decref(s);
	helper_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_processes_never_reported),
	};

	return cmocka_run_group_tests_name("integration_whole_machine", tests, NULL, NULL);
}
