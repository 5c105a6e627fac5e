// SPDX-License-Identifier: MIT
/*
 * After attaching, bpfprof keeps only the capabilities its loop needs
 * (user/run/privileges.h): none for a run writing into a directory root may
 * write, CAP_DAC_OVERRIDE for a directory it may not, CAP_NET_BIND_SERVICE
 * for a Prometheus port below 1024. Checked in /proc/PID/task/TID/status of
 * every thread (capabilities are per thread; the HTTP server and the events
 * writer run in threads of their own), with the run then finishing right.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/helper.h"

static char bin[256], stage[256];

static int group_setup(void **state)
{
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(stage, sizeof(stage), "targets/stage_target");
	return 0;
}

/* Every thread of pid has exactly `want` in its effective, permitted and
 * bounding sets and nothing inheritable or ambient; returns the threads. */
static int check_all_threads(pid_t pid, unsigned long long want)
{
	static const char *const exact[] = { "CapEff:", "CapPrm:", "CapBnd:" };
	char dir[64], path[400];
	struct dirent *de;
	int threads = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/task", pid);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/status", dir, de->d_name);
		for (int i = 0; i < 3; i++) {
			unsigned long long got = helper_cap_field(path, exact[i]);

			if (got != want)
				fail_msg("thread %s: %s %llx, expected %llx", de->d_name, exact[i],
					 got, want);
		}
		assert_int_equal(helper_cap_field(path, "CapInh:"), 0);
		assert_int_equal(helper_cap_field(path, "CapAmb:"), 0);
		threads++;
	}
	closedir(d);
	return threads;
}

/* Starts bpfprof on stage_target (held at "hold" once done), checks the
 * threads' capabilities, then lets the target finish: the run must end
 * with exit 0 and a summary. Returns how many threads bpfprof had. */
static int run_and_check(char **extra, const char *outdir, unsigned long long want)
{
	char result[256], *argv[32];
	struct proc_run r;
	int n = 0, threads, code;

	snprintf(result, sizeof(result), "%s/.result", outdir);
	argv[n++] = bin;
	argv[n++] = "-i";
	argv[n++] = "0.1";
	argv[n++] = "-o";
	argv[n++] = (char *)outdir;
	for (int i = 0; extra[i]; i++)
		argv[n++] = extra[i];
	argv[n++] = "--";
	argv[n++] = stage;
	argv[n++] = "hold";
	argv[n++] = "/dev/null";
	argv[n] = NULL;
	assert_int_equal(helper_spawn(&r, argv, true, -1), 0);
	if (!helper_wait_stderr(&r, "profiling pid", 30))
		fail_msg("bpfprof did not start: %s", r.err);
	threads = check_all_threads(r.pid, want);
	helper_send(&r, "x");
	code = helper_wait_exit(&r, 60);
	if (code != 0)
		fail_msg("bpfprof exited %d: %s", code, r.err);
	json_decref(helper_load_json_in(outdir, "summary.json"));
	return threads;
}

/* The common case: nothing kept, in the main thread, the HTTP server's
 * and the events writer's. */
static void test_nothing_kept(void **state)
{
	char dir[64], out[96];
	char *extra[] = { "-u", "stage_*", "--events", "--prometheus", "127.0.0.1:0", NULL };

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	assert_true(run_and_check(extra, out, 0) >= 3);
	helper_rmtree(dir);
}

/* An output directory of another user, not writable by others: root
 * writes there only with CAP_DAC_OVERRIDE, which is kept (the summary is
 * created there at the end, and it is). */
static void test_foreign_output_dir_keeps_dac_override(void **state)
{
	char dir[64], out[96];
	char *extra[] = { NULL };

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	assert_int_equal(mkdir(out, 0755), 0);
	assert_int_equal(chown(out, 65534, 65534), 0);
	run_and_check(extra, out, 1ULL << CAP_DAC_OVERRIDE);
	helper_rmtree(dir);
}

/* A free port below 1024 (bound and released: a small race, no more). */
static int free_low_port(void)
{
	for (int port = 1023; port > 600; port--) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
		int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ok = fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a));
		if (fd >= 0)
			close(fd);
		if (ok)
			return port;
	}
	return -1;
}

static void test_low_port_keeps_net_bind_service(void **state)
{
	char dir[64], out[96], spec[32];
	char *extra[] = { "--prometheus", spec, NULL };
	int port;

	REQUIRE_ROOT_BPF();
	port = free_low_port();
	assert_true(port > 0);
	snprintf(spec, sizeof(spec), "127.0.0.1:%d", port);
	helper_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	/* The server started after the drop, and bound the port. */
	run_and_check(extra, out, 1ULL << CAP_NET_BIND_SERVICE);
	helper_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_kept),
		cmocka_unit_test(test_foreign_output_dir_keeps_dac_override),
		cmocka_unit_test(test_low_port_keeps_net_bind_service),
	};

	return cmocka_run_group_tests_name("integration_privileges", tests, group_setup, NULL);
}
