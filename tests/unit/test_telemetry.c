// SPDX-License-Identifier: MIT
/* Process telemetry read from /proc, checked against what this test itself does. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "lib/helper.h"
#include "telemetry/telemetry.h"
#include "telemetry/telemetry_set.h"
#include "output/records.h"
#include "probes/syscall_table.h"

#define MIB (1024ULL * 1024)

static uint64_t cpu_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void test_sample_self(void **state)
{
	struct proc_telemetry t;

	assert_int_equal(telemetry_sample(getpid(), &t), 0);
	assert_int_equal(t.pid, getpid());
	assert_string_equal(t.comm, "test_telemetry");
	assert_int_equal(t.state, 'R');
	assert_int_equal(t.threads, 1);
	assert_true(t.rss_bytes > 0);
	assert_true(t.vsize_bytes >= t.rss_bytes);
	assert_true(t.start_ticks > 0);
	assert_true(t.have_io);
}

/* The resident set grows by what is touched, no more than a few pages beyond. */
static void test_rss_growth(void **state)
{
	const size_t len = 48 * MIB;
	struct proc_telemetry a, b, c;
	char *p;

	assert_int_equal(telemetry_sample(getpid(), &a), 0);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	assert_int_equal(telemetry_sample(getpid(), &b), 0);
	for (size_t i = 0; i < len; i += 4096)
		p[i] = 1;
	assert_int_equal(telemetry_sample(getpid(), &c), 0);
	munmap(p, len);
	assert_true(b.vsize_bytes - a.vsize_bytes >= len);
	assert_true(b.rss_bytes < a.rss_bytes + MIB);
	assert_true(c.rss_bytes >= b.rss_bytes + len);
	assert_true(c.rss_bytes <= b.rss_bytes + len + 2 * MIB);
}

/* utime follows the process's own CPU clock (to the tick, 10 ms at 100 Hz). */
static void test_cpu_burn(void **state)
{
	struct proc_telemetry a, b;
	volatile uint64_t sink = 0;
	uint64_t c0, c1;
	double user, sys;

	assert_int_equal(telemetry_sample(getpid(), &a), 0);
	c0 = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
	while (cpu_ns(CLOCK_PROCESS_CPUTIME_ID) - c0 < 300000000ULL)
		for (int i = 0; i < 10000; i++)
			sink += i;
	c1 = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
	assert_int_equal(telemetry_sample(getpid(), &b), 0);
	/* Reading the CPU clock is a real syscall: some of the burn is system time. */
	assert_true(b.utime_ns + b.stime_ns - a.utime_ns - a.stime_ns >= c1 - c0 - 30000000ULL);
	assert_true(b.utime_ns + b.stime_ns - a.utime_ns - a.stime_ns <= c1 - c0 + 30000000ULL);
	assert_int_equal(telemetry_cpu_pct(&a, &b, &user, &sys), 0);
	assert_true(user + sys > 0);
	/* One thread cannot use more than one CPU, whatever the wall time was. */
	assert_true(user + sys <= 100.0 * 1.1);
}

static void *parked(void *arg)
{
	char c;

	return (void *)(long)read(*(int *)arg, &c, 1);
}

/* Threads and their context switches add up over /proc/PID/task. */
static void test_threads_and_switches(void **state)
{
	struct proc_telemetry a, b, c;
	pthread_t th[3];
	int pfd[2];

	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(telemetry_sample(getpid(), &a), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&th[i], NULL, parked, &pfd[0]), 0);
	for (int i = 0; i < 20; i++)
		usleep(1000);
	assert_int_equal(telemetry_sample(getpid(), &b), 0);
	/* Release the threads before asserting: a failure must not leave them. */
	assert_int_equal(write(pfd[1], "xyz", 3), 3);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	/* A joined thread is released (and leaves the Threads count) a moment
	 * after its tid is cleared, which is what the join waits for. */
	for (int tries = 0; tries < 1000; tries++) {
		assert_int_equal(telemetry_sample(getpid(), &c), 0);
		if (c.threads == 1)
			break;
		usleep(1000);
	}
	close(pfd[0]);
	close(pfd[1]);
	assert_int_equal(b.threads, 4);
	assert_int_equal(c.threads, 1);
	/* 20 sleeps here; each thread started (a switch in) and blocked in read. */
	print_message("voluntary switches: %llu -> %llu\n", (unsigned long long)a.ctxt_voluntary,
		      (unsigned long long)b.ctxt_voluntary);
	assert_true(b.ctxt_voluntary >= a.ctxt_voluntary + 20);
}

static void test_io_counters(void **state)
{
	struct proc_telemetry a, b;
	char buf[10000] = { 0 };
	int out = open("/dev/null", O_WRONLY), in = open("/dev/zero", O_RDONLY);

	assert_true(out >= 0 && in >= 0);
	assert_int_equal(telemetry_sample(getpid(), &a), 0);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(write(out, buf, sizeof(buf)), sizeof(buf));
		assert_int_equal(read(in, buf, 3000), 3000);
	}
	assert_int_equal(telemetry_sample(getpid(), &b), 0);
	close(out);
	close(in);
	assert_true(b.have_io);
	assert_int_equal(b.wchar - a.wchar, 100000);
	/* Sampling reads /proc files itself: those bytes count too. */
	assert_true(b.rchar - a.rchar >= 30000);
	assert_true(b.rchar - a.rchar < 30000 + 64 * 1024);
}

/* A comm may hold ") (" and spaces: fields are counted from the last ')'. */
static void test_odd_comm(void **state)
{
	struct proc_telemetry t;
	char old[16];

	prctl(PR_GET_NAME, old);
	prctl(PR_SET_NAME, "a) b (c) 1 2");
	assert_int_equal(telemetry_sample(getpid(), &t), 0);
	prctl(PR_SET_NAME, old);
	assert_string_equal(t.comm, "a) b (c) 1 2");
	assert_int_equal(t.threads, 1);
	assert_true(t.rss_bytes > 0);
}

static void test_zombie_and_gone(void **state)
{
	struct proc_telemetry t, z;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid)
		_exit(0);
	/* Wait until it is a zombie, without reaping it. */
	for (int i = 0; i < 500; i++) {
		assert_int_equal(telemetry_sample(pid, &z), 0);
		if (z.state == 'Z')
			break;
		usleep(2000);
	}
	assert_int_equal(z.state, 'Z');
	assert_int_equal(z.rss_bytes, 0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_int_equal(telemetry_sample(pid, &t), -ESRCH);
}

static void test_cpu_pct_needs_same_process(void **state)
{
	struct proc_telemetry a = { .pid = 5, .start_ticks = 100, .mono_s = 1.0 };
	struct proc_telemetry b = a;
	double u, s;

	b.mono_s = 3.0;
	b.utime_ns = 1000000000ULL;
	b.stime_ns = 500000000ULL;
	assert_int_equal(telemetry_cpu_pct(&a, &b, &u, &s), 0);
	assert_true(u > 49.999 && u < 50.001);
	assert_true(s > 24.999 && s < 25.001);
	b.start_ticks = 101; /* the pid was reused */
	assert_int_equal(telemetry_cpu_pct(&a, &b, &u, &s), -1);
	b = a; /* no time passed */
	assert_int_equal(telemetry_cpu_pct(&a, &b, &u, &s), -1);
}

/* The target first, then the busiest others, at most max. */
static void test_pick(void **state)
{
	struct profile p;
	pid_t out[TELEMETRY_MAX_PER_ROUND + 4];
	size_t n;

	profile_init(&p);
	for (uint32_t pid = 100; pid < 130; pid++)
		profile_proc(&p, pid, true)->sys[syscall_nr("getpid")].count = pid % 7 ? pid : 0;
	n = telemetry_pick(&p, 7, out, 4);
	assert_int_equal(n, 4);
	assert_int_equal(out[0], 7);
	assert_int_equal(out[1], 129);
	assert_int_equal(out[2], 128);
	assert_int_equal(out[3], 127);
	n = telemetry_pick(&p, 0, out, 3);
	assert_int_equal(n, 3);
	assert_int_equal(out[0], 129);
	assert_int_equal(out[2], 127);
	/* Never more than a round holds; idle processes (pid % 7 == 0) never. */
	n = telemetry_pick(&p, 0, out, TELEMETRY_MAX_PER_ROUND + 4);
	assert_int_equal(n, TELEMETRY_MAX_PER_ROUND);
	for (size_t i = 0; i < n; i++)
		assert_true(out[i] % 7 != 0);
	profile_free(&p);
}

/* Rounds feed the summary's first/last/min/max; a gone process drops out. */
static void test_set_rounds(void **state)
{
	struct telemetry_set s;
	pid_t pids[2] = { getpid(), 0 };
	const struct telemetry_point *pt;
	size_t len = 16 * MIB;
	json_t *sum, *r, *me;
	char *p;
	pid_t child = fork();

	assert_true(child >= 0);
	if (!child)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	pids[1] = child;
	assert_int_equal(telemetry_set_init(&s), 0);
	telemetry_set_round(&s, pids, 2);
	assert_int_equal(s.n_round, 1);
	pt = telemetry_round_find(&s, getpid());
	assert_non_null(pt);
	assert_false(pt->has_cpu);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	memset(p, 1, len);
	usleep(20000);
	telemetry_set_round(&s, pids, 1);
	pt = telemetry_round_find(&s, getpid());
	assert_non_null(pt);
	assert_true(pt->has_cpu);
	r = telemetry_round_json(&s);
	assert_int_equal(json_array_size(r), 1);
	assert_true(json_is_real(json_object_get(json_array_get(r, 0), "cpu_user_pct")));
	assert_true(helper_int(json_array_get(r, 0), "io.wchar") >= 0);
	munmap(p, len);
	telemetry_set_round(&s, pids, 1);
	sum = telemetry_summary_json(&s);
	assert_int_equal(json_array_size(sum), 1);
	me = json_array_get(sum, 0);
	assert_int_equal(helper_int(me, "pid"), getpid());
	assert_int_equal(helper_int(me, "samples"), 3);
	assert_true(helper_int(me, "max.rss_bytes") >=
		    helper_int(me, "min.rss_bytes") + (long long)len);
	assert_true(helper_int(me, "last.rss_bytes") <
		    helper_int(me, "min.rss_bytes") + (long long)MIB);
	assert_int_equal(helper_int(me, "min.threads"), 1);
	assert_non_null(json_object_get(me, "cpu_user_pct"));
	assert_null(json_object_get(json_object_get(me, "first"), "cpu_user_pct"));
	json_decref(r);
	json_decref(sum);
	telemetry_set_free(&s);
}

/* The plain report's line: a live process's figures; one that had exited
 * when sampled (a command shorter than the first sample) says so, with its
 * CPU time in all, and no RSS or threads read as 0. */
static void test_round_print_exited(void **state)
{
	struct telemetry_set s;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid)
		_exit(0);
	assert_int_equal(telemetry_set_init(&s), 0);
	/* A zombie until reaped: sampled as it is at the end of a run. */
	for (int i = 0; i < 500; i++) {
		telemetry_set_round(&s, &pid, 1);
		if (s.n_round == 1 && s.round[0].t.state == 'Z')
			break;
		usleep(2000);
	}
	assert_int_equal(s.round[0].t.state, 'Z');
	/* A child that did nothing: no tick of CPU time. */
	s.round[0].t.utime_ns = s.round[0].t.stime_ns = 0;
	snprintf(s.round[0].t.comm, sizeof(s.round[0].t.comm), "short");
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	telemetry_round_print(&s, f);
	s.round[0].t.utime_ns = 30000000;
	s.round[0].t.stime_ns = 10000000;
	telemetry_round_print(&s, f);
	fclose(f);
	{
		char want[512];

		snprintf(want, sizeof(want),
			 "  telemetry %d short: exited before this sample (memory freed); CPU time "
			 "under 10 ms (counted in 10 ms steps)\n"
			 "  telemetry %d short: exited before this sample (memory freed); CPU time "
			 "30.00ms user, 10.00ms system in all\n",
			 (int)pid, (int)pid);
		assert_string_equal(buf, want);
	}
	free(buf);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	/* A live one: its memory and threads. */
	pid = getpid();
	telemetry_set_round(&s, &pid, 1);
	buf = NULL;
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	telemetry_round_print(&s, f);
	fclose(f);
	assert_non_null(strstr(buf, ": RSS "));
	assert_non_null(strstr(buf, " 1 thread, "));
	assert_null(strstr(buf, "exited"));
	free(buf);
	telemetry_set_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample_self),
		cmocka_unit_test(test_rss_growth),
		cmocka_unit_test(test_cpu_burn),
		cmocka_unit_test(test_threads_and_switches),
		cmocka_unit_test(test_io_counters),
		cmocka_unit_test(test_odd_comm),
		cmocka_unit_test(test_zombie_and_gone),
		cmocka_unit_test(test_cpu_pct_needs_same_process),
		cmocka_unit_test(test_pick),
		cmocka_unit_test(test_set_rounds),
		cmocka_unit_test(test_round_print_exited),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
