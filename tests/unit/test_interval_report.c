// SPDX-License-Identifier: MIT
/* The plain report's process list: the N busiest, then how many more. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "collect/profile.h"
#include "output/format.h"
#include "output/interval_report.h"
#include "probes/stages.h"
#include "probes/syscall_table.h"
#include "lib/helper.h"

/* The plain report of p as one string: its title, the stage table (or
 * NULL), the N busiest processes (0: all), syscalls counted or not. */
static char *render_with(const struct profile *p, const char *title, const struct stage_table *t,
			 size_t top, bool counted)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	interval_report_print_top(f, title, p, 1.0, t, top, counted);
	fclose(f);
	return buf;
}

static char *render(const struct profile *p, size_t top)
{
	return render_with(p, "interval 0 (1.00s)", NULL, top, true);
}

/* The run's total, with stage table t; syscalls counted or not. */
static char *render_total(const struct profile *p, const struct stage_table *t, bool counted)
{
	return render_with(p, "total (1.00s)", t, 0, counted);
}

/* calls calls of ns each; the histogram has ns's bucket, which is all a
 * stage line's percentiles read. */
static void set_calls(struct stage_counters *c, uint64_t calls, uint64_t ns)
{
	c->calls = calls;
	c->total_ns = c->self_ns = calls * ns;
	c->hist = calloc(1, sizeof(*c->hist));
	hist_record(c->hist, ns);
}

/* A stage whose calls the probe-cost correction held at what elapsed says
 * what share of its calls that was; one without such calls says nothing. */
static void test_stage_below_resolution(void **state)
{
	struct stage_def defs[2] = { { .name = "getCommand", .binary = "/usr/bin/redis-server" },
				     { .name = "processCommand",
				       .binary = "/usr/bin/redis-server" } };
	struct stage_table t = { .v = defs, .n = 2 };
	struct proc_profile *pp;
	struct stage_counters *c;
	struct profile p;
	char *buf;

	profile_init(&p);
	pp = profile_proc(&p, 7, true);
	for (uint32_t id = 0; id < 2; id++) {
		c = proc_stage(pp, id);
		set_calls(c, 800, 100);
	}
	proc_stage(pp, 0)->calls_clamped = 496;
	buf = render_total(&p, &t, true);
	assert_non_null(strstr(buf, "stage getCommand (/usr/bin/redis-server): 800 calls"));
	assert_non_null(strstr(buf, "      total 80.00us  self 80.00us  62% of calls below the "
				    "probes' resolution\n"));
	assert_non_null(strstr(buf, "stage processCommand (/usr/bin/redis-server): 800 calls"));
	assert_null(strstr(strstr(buf, "below the probes' resolution") + 1,
			   "below the probes' resolution"));
	free(buf);
	profile_free(&p);
}

/* --stages-only counts no syscall: the report says nothing of syscalls, not
 * zeros, in the header and per process; the stage lines stay. */
static void test_stages_only(void **state)
{
	struct stage_def defs[1] = { { .name = "work", .binary = "/usr/bin/app" } };
	struct stage_table t = { .v = defs, .n = 1 };
	struct proc_profile *pp;
	struct stage_counters *c;
	struct profile p;
	char *buf;

	profile_init(&p);
	pp = profile_proc(&p, 7, true);
	snprintf(pp->comm, sizeof(pp->comm), "app");
	c = proc_stage(pp, 0);
	c->calls = 4;
	c->total_ns = c->self_ns = 4000;
	buf = render_total(&p, &t, false);
	assert_string_equal(buf, "== bpfprof total (1.00s), 1 process, 4 stage calls\n"
				 "  7       app\n"
				 "    stage work (/usr/bin/app): 4 calls (4/s)  p50 0ns  p95 0ns  "
				 "p99 0ns  max 0ns\n"
				 "      total 4.00us  self 4.00us\n");
	free(buf);
	/* Counted: the same profile says its 0 syscalls. */
	buf = render_total(&p, &t, true);
	assert_non_null(strstr(buf, "== bpfprof total (1.00s), 1 process, 0 syscalls, 4 stage "
				    "calls\n"));
	assert_non_null(strstr(buf, "app              0 syscalls (0/s), 0 errors"));
	assert_non_null(strstr(buf, "    syscalls:\n"));
	free(buf);
	profile_free(&p);
}

/* A function's calls that ended without returning are on its stage line;
 * one with only such calls is listed, with no latency (it has none). */
static void test_stage_unfinished(void **state)
{
	struct stage_def defs[2] = { { .name = "__cxa_throw", .binary = "/usr/lib/libstdc++.so.6" },
				     { .name = "thrower", .binary = "/usr/bin/app" } };
	struct stage_table t = { .v = defs, .n = 2 };
	struct proc_profile *pp;
	struct stage_counters *c;
	struct profile p;
	char *buf;

	profile_init(&p);
	pp = profile_proc(&p, 7, true);
	proc_stage(pp, 0)->calls_unfinished = 3;
	c = proc_stage(pp, 1);
	set_calls(c, 20, 1000);
	c->calls_unfinished = 20;
	p.audit[AUDIT_STAGE_UNFINISHED] = 23;
	buf = render_total(&p, &t, true);
	assert_non_null(strstr(buf, ", 23 unfinished (never returned)\n"));
	assert_non_null(strstr(buf, "\n    stage __cxa_throw (/usr/lib/libstdc++.so.6): 0 calls "
				    "(0/s), 3 unfinished (never returned)\n    stage thrower"));
	assert_non_null(strstr(buf, "\n    stage thrower (/usr/bin/app): 20 calls (20/s), 20 "
				    "unfinished (never returned)  p50 "));
	free(buf);
	profile_free(&p);
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

/* The compact split: shares of on CPU + runqueue + blocked, the blocked
 * parts that are not 0 in brackets, no part that is not 0 shown as 0 and
 * none short of the whole as 100%. */
static void test_wall_split_text(void **state)
{
	struct wall_stats w = { .on_cpu_ns = 620, .runqueue_ns = 30 };
	char b[160];

	w.blocked_ns[WALL_BLOCK_IO] = 300;
	w.blocked_ns[WALL_BLOCK_LOCK] = 50;
	assert_string_equal(fmt_wall_split(&w, b, sizeof(b)),
			    "cpu 62% runq 3% blocked 35% (io 30% lock 5%)");
	memset(&w, 0, sizeof(w));
	assert_string_equal(fmt_wall_split(&w, b, sizeof(b)), "-");
	w.on_cpu_ns = 1;
	w.runqueue_ns = 4;
	w.blocked_ns[WALL_BLOCK_SLEEP] = 9995;
	assert_string_equal(fmt_wall_split(&w, b, sizeof(b)),
			    "cpu <0.1% runq <0.1% blocked 99.9% (sleep 99.9%)");
	w.blocked_ns[WALL_BLOCK_OTHER] = 1000000;
	/* A short buffer: cut, still a string. */
	assert_int_equal(strlen(fmt_wall_split(&w, b, 12)), 11);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_top_processes),
		cmocka_unit_test(test_stage_below_resolution),
		cmocka_unit_test(test_stages_only),
		cmocka_unit_test(test_stage_unfinished),
		cmocka_unit_test(test_wall_split_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
