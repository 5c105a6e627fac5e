// SPDX-License-Identifier: MIT
/*
 * The live view's screen without a terminal: name shortening, number
 * formats, how rows are shared between sections, which columns fit, the
 * octave rows shared with the plain report, and whole screens rendered from
 * a profile built by hand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/helper.h"
#include "output/format.h"
#include "output/hist_text.h"
#include "live/live_layout.h"
#include "probes/syscall_table.h"

static void test_fit(void **state)
{
	char buf[64];

	assert_string_equal(live_fit(buf, 10, "short"), "short");
	assert_string_equal(live_fit(buf, 5, "exact"), "exact");
	/* Both ends kept, more of the end: it says which method. */
	assert_string_equal(live_fit(buf, 20, "ns::Server::handle_request(int, char const*)"),
			    "ns::Ser..har const*)");
	assert_string_equal(live_fit(buf, 4, "abcdefgh"), "abcd");
	assert_string_equal(live_fit(buf, 0, "abc"), "");
}

static void test_formats(void **state)
{
	char b[32];

	assert_string_equal(fmt_rate(0, b, sizeof(b)), "0");
	assert_string_equal(fmt_rate(9999, b, sizeof(b)), "9999");
	assert_string_equal(fmt_rate(12345, b, sizeof(b)), "12.3K");
	assert_string_equal(fmt_rate(1e6, b, sizeof(b)), "1.00M");
	assert_string_equal(fmt_rate(2.5e9, b, sizeof(b)), "2.50G");
	assert_string_equal(fmt_rate(-3, b, sizeof(b)), "0");
	assert_string_equal(fmt_count(9999999, b, sizeof(b)), "9999999");
	assert_string_equal(fmt_count(12345678, b, sizeof(b)), "12.35M");
	assert_string_equal(fmt_uptime(42.9, b, sizeof(b)), "42s");
	assert_string_equal(fmt_uptime(184, b, sizeof(b)), "3m04s");
	assert_string_equal(fmt_uptime(7500, b, sizeof(b)), "2h05m");
	assert_string_equal(fmt_uptime(3 * 86400 + 4 * 3600 + 5, b, sizeof(b)), "3d04h");
	assert_string_equal(live_sort_name(LIVE_SORT_ACTIVITY), "activity");
	assert_string_equal(live_sort_name(LIVE_SORT_TIME), "time");
	assert_string_equal(live_sort_name(LIVE_SORT_NAME), "name");
}

static void test_plan(void **state)
{
	struct live_plan p;

	/* Everything fits: each section gets what it wants. */
	live_plan_body(40, 5, 9, 20, &p);
	assert_int_equal(p.io_rows, 5);
	assert_int_equal(p.stage_rows, 9);
	assert_int_equal(p.hist_rows, 20);
	/* No stages: the I/O table takes all it needs. */
	live_plan_body(20, 100, 0, 0, &p);
	assert_int_equal(p.io_rows, 20);
	assert_int_equal(p.stage_rows + p.hist_rows, 0);
	/* Too much: shares, never more than the body. */
	live_plan_body(30, 100, 100, 100, &p);
	assert_int_equal(p.io_rows, 10);
	assert_int_equal(p.stage_rows, 7);
	assert_int_equal(p.hist_rows, 13);
	/* A big I/O table and small stage parts: the I/O table gets the rest. */
	live_plan_body(30, 100, 4, 6, &p);
	assert_int_equal(p.stage_rows, 4);
	assert_int_equal(p.hist_rows, 6);
	assert_int_equal(p.io_rows, 20);
	/* Room for less than one histogram: none, the tables take it. */
	live_plan_body(9, 100, 100, 100, &p);
	assert_int_equal(p.hist_rows, 0);
	assert_int_equal(p.io_rows + p.stage_rows, 9);
	for (int body = 0; body < 80; body++) {
		live_plan_body(body, 50, 30, 40, &p);
		assert_true(p.io_rows + p.stage_rows + p.hist_rows <= body);
		assert_true(p.io_rows >= 0 && p.stage_rows >= 0 && p.hist_rows >= 0);
	}
}

static void test_columns(void **state)
{
	static const struct live_col c[] = {
		{ "A", 9, 0 }, { "B", 9, 2 }, { "C", 9, 1 }, { "D", 9, 1 }, { "E", 9, 3 },
	};
	int w;

	/* 5 columns of 10 and a name of 10 to 20. */
	assert_int_equal(live_fit_columns(c, 5, 100, 10, 20, &w), 0x1f);
	assert_int_equal(w, 20);
	assert_int_equal(live_fit_columns(c, 5, 60, 10, 20, &w), 0x1f);
	assert_int_equal(w, 10);
	/* One short: both drop-1 columns go together. */
	assert_int_equal(live_fit_columns(c, 5, 59, 10, 20, &w), 0x13);
	assert_int_equal(w, 20);
	assert_int_equal(live_fit_columns(c, 5, 30, 10, 20, &w), 0x11);
	assert_int_equal(w, 10);
	/* Columns that never drop stay, even when the name gets short. */
	assert_int_equal(live_fit_columns(c, 5, 15, 10, 20, &w), 0x01);
	assert_int_equal(w, 5);
}

static void test_octave_rows(void **state)
{
	struct histogram h = {};
	struct hist_octave_row rows[HIST_OCTAVES];
	uint64_t peak;
	char line[256];
	int n;

	for (int i = 0; i < 90; i++)
		hist_record(&h, 1100000); /* 1.1 ms: octave 2^20 */
	for (int i = 0; i < 10; i++)
		hist_record(&h, 4100000); /* 4.1 ms: octave 2^21 */
	hist_record(&h, 300);		  /* octave 2^8, far below */
	n = hist_octave_rows(&h, 20, rows, &peak);
	assert_int_equal(n, 21 - 8 + 1);
	assert_int_equal(peak, 90);
	assert_int_equal(rows[0].lo_ns, 256);
	assert_int_equal(rows[0].count, 1);
	assert_int_equal(rows[n - 2].lo_ns, 1ULL << 20);
	assert_int_equal(rows[n - 2].hi_ns, 2ULL << 20);
	assert_int_equal(rows[n - 2].count, 90);
	assert_int_equal(rows[n - 1].count, 10);
	assert_int_equal(hist_octave_span(&h), n);
	/* Capped: the window keeps the busy octaves, the lone outlier goes. */
	n = hist_octave_rows(&h, 2, rows, &peak);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].count, 90);
	assert_int_equal(rows[1].count, 10);
	hist_format_row(line, sizeof(line), &rows[0], peak, 10);
	assert_string_equal(line, "   1.05ms .. 2.10ms    |##########| 90");
	hist_format_row(line, sizeof(line), &rows[1], peak, 10);
	assert_string_equal(line, "   2.10ms .. 4.19ms    |##        | 10");
	memset(&h, 0, sizeof(h));
	assert_int_equal(hist_octave_rows(&h, 5, rows, &peak), 0);

	/* Every call in one octave: the log-linear buckets of it, from the
	 * first to the last non-empty one, not one bar. [1024, 2048) has
	 * buckets 64 ns wide. */
	for (int i = 0; i < 30; i++)
		hist_record(&h, 1030); /* bucket [1024, 1088) */
	for (int i = 0; i < 5; i++)
		hist_record(&h, 1300); /* bucket [1280, 1344) */
	n = hist_octave_rows(&h, 20, rows, &peak);
	assert_int_equal(n, 5);
	assert_int_equal(hist_octave_span(&h), 5);
	assert_int_equal(peak, 30);
	assert_int_equal(rows[0].lo_ns, 1024);
	assert_int_equal(rows[0].hi_ns, 1088);
	assert_int_equal(rows[0].count, 30);
	assert_int_equal(rows[1].count, 0);
	assert_int_equal(rows[4].lo_ns, 1280);
	assert_int_equal(rows[4].hi_ns, 1344);
	assert_int_equal(rows[4].count, 5);
	hist_format_row(line, sizeof(line), &rows[4], peak, 6);
	assert_string_equal(line, "   1.28us .. 1.34us    |#     | 5");
	/* Capped as octaves are. */
	n = hist_octave_rows(&h, 1, rows, &peak);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].count, 30);
}

/* ---- whole screens ---- */

struct fixture {
	struct profile total;
	struct stage_table stages;
	struct stage_def defs[3];
	struct live_screen scr;
};

static void add_io(struct proc_profile *p, const char *name, uint64_t n, uint64_t bytes,
		   uint64_t errors, uint64_t ns)
{
	struct syscall_counters *c = &p->sys[syscall_nr(name)];

	c->count = n;
	c->errors = errors;
	c->bytes = bytes;
	c->time_ns = n * ns;
	c->max_ns = ns;
	for (uint64_t i = 0; i < n; i++)
		hist_record(proc_hist(c), ns);
}

static void add_stage(struct proc_profile *p, uint32_t id, uint64_t calls, uint64_t ns)
{
	struct stage_counters *c = proc_stage(p, id);

	c->calls = calls;
	c->total_ns = c->self_ns = calls * ns;
	c->max_ns = ns;
	c->hist = calloc(1, sizeof(*c->hist));
	for (uint64_t i = 0; i < calls; i++)
		hist_record(c->hist, ns);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct proc_profile *p;
	static char *names[] = { "parse_request", "write_reply",
				 "ns::VeryLongClassName::handle_a_rather_long_method_name(int)" };

	profile_init(&fx->total);
	p = profile_proc(&fx->total, 4242, true);
	strcpy(p->comm, "server");
	add_io(p, "write", 1000, 100000, 0, 1000);
	add_io(p, "read", 507, 100000, 7, 3000);
	p->sys[syscall_nr("getpid")].count = 12;
	for (int i = 0; i < 3; i++)
		fx->defs[i] = (struct stage_def){ .name = names[i], .binary = "/srv/app" };
	fx->stages.v = fx->defs;
	fx->stages.n = 3;
	add_stage(p, 0, 300, 2000);
	add_stage(p, 1, 50, 90000);
	add_stage(p, 2, 10, 500);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	profile_free(&fx->total);
	live_screen_free(&fx->scr);
	free(fx);
	return 0;
}

static struct live_frame frame(struct fixture *fx)
{
	return (struct live_frame){
		.target = "pid 4242 (server)",
		.uptime_s = 10,
		.interval_s = 1,
		.window_s = 10,
		.started = true,
		.cumulative = true,
		.stages_on = -1,
		.total = &fx->total,
		.shown = &fx->total,
		.stages = &fx->stages,
		.events = 1879,
		.events_per_s = 187.9,
		.self_cpu_pct = 0.4,
		.self_rss = 6 << 20,
	};
}

/* The row whose first word is `first`; NULL when none. */
static const char *row(const struct live_screen *s, const char *first)
{
	for (int y = 0; y < s->rows; y++) {
		const char *l = live_screen_line(s, y);
		size_t n = strlen(first);

		while (*l == ' ')
			l++;
		if (!strncmp(l, first, n) && (l[n] == ' ' || l[n] == '\0' || l[n] == ':'))
			return live_screen_line(s, y);
	}
	return NULL;
}

/* The first row starting (after blanks) with prefix. */
static const char *row_starting(const struct live_screen *s, const char *prefix)
{
	for (int y = 0; y < s->rows; y++) {
		const char *l = live_screen_line(s, y);

		while (*l == ' ')
			l++;
		if (!strncmp(l, prefix, strlen(prefix)))
			return live_screen_line(s, y);
	}
	return NULL;
}

static int row_index(const struct live_screen *s, const char *first)
{
	const char *r = row(s, first);

	return r ? (int)((r - s->text) / (s->cols + 1)) : -1;
}

static void assert_fits(const struct live_screen *s)
{
	for (int y = 0; y < s->rows; y++)
		assert_true(strlen(live_screen_line(s, y)) <= (size_t)s->cols);
}

static void test_render_wide(void **state)
{
	struct fixture *fx = *state;
	struct live_frame f = frame(fx);
	char exp[256], p50[32], p99[32];

	assert_int_equal(live_screen_resize(&fx->scr, 50, 140), 0);
	assert_int_equal(live_render(&f, &fx->scr), 0);
	assert_fits(&fx->scr);
	assert_non_null(strstr(live_screen_line(&fx->scr, 0), "pid 4242 (server)  up 10s"));
	assert_non_null(strstr(live_screen_line(&fx->scr, 0), "showing cumulative"));
	assert_non_null(strstr(live_screen_line(&fx->scr, 1),
			       "events 1879 (188/s)  lost 0  bpfprof: cpu 0.4% rss 6.00MiB"));
	assert_int_equal(fx->scr.attr[0], LIVE_TITLE);
	/* The I/O rows: exact counts, bytes per second over the window,
	 * percentiles from the one histogram implementation. */
	fmt_duration(hist_quantile(fx->total.procs[0]->sys[syscall_nr("read")].hist, 0.5, 3000),
		     p50, sizeof(p50));
	fmt_duration(hist_quantile(fx->total.procs[0]->sys[syscall_nr("read")].hist, 0.99, 3000),
		     p99, sizeof(p99));
	snprintf(exp, sizeof(exp), "%-28s %9s %8s %9s %9s %6s %9s %9s %9s %9s", "  read", "507",
		 "51", "9.77KiB", "0B", "7", p50, p99, "97.7KiB", "0B");
	assert_string_equal(row(&fx->scr, "read"), exp);
	assert_non_null(strstr(row(&fx->scr, "4242"), "4242 server"));
	/* Sorted by activity: write (1000) above read (507); getpid is not I/O. */
	assert_true(row_index(&fx->scr, "write") < row_index(&fx->scr, "read"));
	assert_null(row(&fx->scr, "getpid"));
	/* Stages: one row each, and a histogram with its calls. */
	assert_non_null(row(&fx->scr, "STAGE"));
	assert_non_null(strstr(row(&fx->scr, "parse_request"), " 300 "));
	assert_true(row_index(&fx->scr, "parse_request") < row_index(&fx->scr, "write_reply"));
	assert_non_null(row(&fx->scr, "parse_request: 300 calls"));
	assert_non_null(strstr(
		live_screen_line(&fx->scr, row_index(&fx->scr, "parse_request: 300 calls") + 1),
		"| 300"));
	/* The long C++ name is shortened, not wrapped. */
	assert_non_null(row_starting(&fx->scr, "ns::VeryLon"));
	assert_non_null(strstr(row_starting(&fx->scr, "ns::VeryLon"), ".."));
	assert_non_null(strstr(row_starting(&fx->scr, "ns::VeryLon"), "_name(int)"));
	assert_non_null(strstr(live_screen_line(&fx->scr, 49), "q quit"));
}

static void test_render_sorts(void **state)
{
	struct fixture *fx = *state;
	struct live_frame f = frame(fx);

	live_screen_resize(&fx->scr, 50, 140);
	f.sort = LIVE_SORT_TIME; /* read: 507 x 3 us > write: 1000 x 1 us */
	live_render(&f, &fx->scr);
	assert_non_null(strstr(live_screen_line(&fx->scr, 0), "sort: time"));
	assert_true(row_index(&fx->scr, "read") < row_index(&fx->scr, "write"));
	assert_true(row_index(&fx->scr, "write_reply") < row_index(&fx->scr, "parse_request"));
	/* The order is by a column on screen: TIME (in I/O), TOTAL (stages),
	 * kept even on a narrow terminal. */
	assert_non_null(strstr(row(&fx->scr, "PROCESS"), "TIME"));
	assert_non_null(strstr(row(&fx->scr, "read"), "1.52ms")); /* 507 x 3 us */
	assert_non_null(strstr(row(&fx->scr, "STAGE"), "TOTAL"));
	assert_non_null(strstr(row(&fx->scr, "write_reply"), "4.50ms")); /* 50 x 90 us */
	live_screen_resize(&fx->scr, 30, 64);
	live_render(&f, &fx->scr);
	assert_fits(&fx->scr);
	assert_non_null(strstr(row(&fx->scr, "PROCESS"), "TIME"));
	assert_non_null(strstr(row(&fx->scr, "STAGE"), "TOTAL"));
	/* Other orders do not show them. */
	live_screen_resize(&fx->scr, 50, 140);
	f.sort = LIVE_SORT_ACTIVITY;
	live_render(&f, &fx->scr);
	assert_null(strstr(row(&fx->scr, "PROCESS"), "TIME"));
	assert_null(strstr(row(&fx->scr, "STAGE"), "TOTAL"));
	f.sort = LIVE_SORT_NAME;
	live_render(&f, &fx->scr);
	assert_true(row_index(&fx->scr, "read") < row_index(&fx->scr, "write"));
	assert_true(row_starting(&fx->scr, "ns::VeryLon") < row(&fx->scr, "parse_request"));
}

static void test_render_interval_and_states(void **state)
{
	struct fixture *fx = *state;
	struct live_frame f = frame(fx);
	struct profile empty;

	profile_init(&empty);
	live_screen_resize(&fx->scr, 40, 100);
	/* An idle interval: the rows stay, with zeros and no percentiles. */
	f.cumulative = false;
	f.shown = &empty;
	f.window_s = 1;
	f.paused = true;
	f.stages_on = 0;
	live_render(&f, &fx->scr);
	assert_fits(&fx->scr);
	assert_true(!strncmp(live_screen_line(&fx->scr, 0), "PAUSED", 6));
	assert_non_null(strstr(live_screen_line(&fx->scr, 0), "showing last 1.00s"));
	assert_non_null(strstr(live_screen_line(&fx->scr, 1), "stages: off"));
	assert_non_null(strstr(row(&fx->scr, "write"), " 0 "));
	assert_non_null(strstr(row(&fx->scr, "write"), " - "));
	assert_null(row(&fx->scr, "parse_request: 300 calls"));
	/* Not started yet. */
	f.started = false;
	live_render(&f, &fx->scr);
	assert_non_null(row(&fx->scr, "waiting"));
	/* Help replaces the body. */
	f.started = true;
	f.help = true;
	live_render(&f, &fx->scr);
	assert_non_null(row(&fx->scr, "Keys"));
	assert_non_null(row(&fx->scr, "q"));
	assert_null(row(&fx->scr, "STAGE"));
	/* A message replaces the key list. */
	f.help = false;
	f.message = "hello";
	live_render(&f, &fx->scr);
	assert_string_equal(live_screen_line(&fx->scr, 39), "hello");
}

/* The cost line ends at a clause or word, never inside a word. */
static void test_cost_line_fits(void **state)
{
	static const char cost[] = "profiling cost the target 850 ns per syscall, 1210 ns per "
				   "stage call, 0.52% of its CPU time (BPF stats on 5% of the time)";
	struct fixture *fx = *state;
	struct live_frame f = frame(fx);
	char out[256];

	f.cost = cost;
	live_screen_resize(&fx->scr, 40, 80);
	live_render(&f, &fx->scr);
	assert_string_equal(live_screen_line(&fx->scr, 2),
			    "profiling cost the target 850 ns per syscall, 1210 ns per stage call");
	live_screen_resize(&fx->scr, 40, 120);
	live_render(&f, &fx->scr);
	assert_string_equal(live_screen_line(&fx->scr, 2),
			    "profiling cost the target 850 ns per syscall, 1210 ns per stage call, "
			    "0.52% of its CPU time");
	live_screen_resize(&fx->scr, 40, 140);
	live_render(&f, &fx->scr);
	assert_string_equal(live_screen_line(&fx->scr, 2), cost);
	/* No clause fits: a word end; no space at all: a plain cut. */
	live_fit_clauses(out, 20, cost);
	assert_string_equal(out, "profiling cost the");
	live_fit_clauses(out, 4, "abcdefgh");
	assert_string_equal(out, "abcd");
}

static void test_render_small(void **state)
{
	struct fixture *fx = *state;
	struct live_frame f = frame(fx);
	struct proc_profile *p = fx->total.procs[0];
	const char *more;

	/* Many I/O rows on a short terminal: cut, with a count of the rest. */
	add_io(p, "pread64", 3, 30, 0, 100);
	add_io(p, "pwrite64", 3, 30, 0, 100);
	add_io(p, "readv", 3, 30, 0, 100);
	add_io(p, "writev", 3, 30, 0, 100);
	live_screen_resize(&fx->scr, 14, 64);
	live_render(&f, &fx->scr);
	assert_fits(&fx->scr);
	more = row(&fx->scr, "...");
	assert_non_null(more);
	/* Narrow: the rates and totals go, counts and percentiles stay. */
	assert_non_null(strstr(row(&fx->scr, "PROCESS"), "OPS"));
	assert_non_null(strstr(row(&fx->scr, "PROCESS"), "P99"));
	assert_null(strstr(row(&fx->scr, "PROCESS"), "READ/S"));
	assert_null(strstr(row(&fx->scr, "PROCESS"), "WRITTEN"));
	/* Too small: one line saying so. */
	live_screen_resize(&fx->scr, 8, 50);
	live_render(&f, &fx->scr);
	assert_string_equal(live_screen_line(&fx->scr, 0),
			    "terminal too small (50x8): bpfprof needs 60x10");
	assert_string_equal(live_screen_line(&fx->scr, 1), "");
}

/* --stages-only counts no syscall: no I/O table of zeros; the stages stay. */
static void test_render_stages_only(void **state)
{
	struct fixture *fx = *state;
	struct live_frame f = frame(fx);

	f.no_syscalls = true;
	live_screen_resize(&fx->scr, 50, 140);
	assert_int_equal(live_render(&f, &fx->scr), 0);
	assert_null(row_starting(&fx->scr, "PROCESS / I/O"));
	assert_null(row(&fx->scr, "4242"));
	assert_null(row(&fx->scr, "write"));
	assert_non_null(row(&fx->scr, "STAGE"));
	assert_non_null(strstr(row(&fx->scr, "parse_request"), " 300 "));
	f.no_syscalls = false;
	live_render(&f, &fx->scr);
	assert_non_null(row_starting(&fx->scr, "PROCESS / I/O"));
}

/* Stages called by two processes are summed, histograms included. */
static void test_render_stage_sum(void **state)
{
	struct fixture *fx = *state;
	struct live_frame f = frame(fx);
	struct proc_profile *q = profile_proc(&fx->total, 4343, true);

	strcpy(q->comm, "worker");
	add_stage(q, 0, 100, 2000);
	live_screen_resize(&fx->scr, 50, 140);
	live_render(&f, &fx->scr);
	assert_non_null(strstr(row(&fx->scr, "parse_request"), " 400 "));
	/* Fewer than half of the calls clamped: the median as it is; half or
	 * more, marked as below the probes' resolution. */
	assert_null(strstr(row(&fx->scr, "parse_request"), "~"));
	proc_stage(q, 0)->calls_clamped = 100;
	proc_stage(profile_proc(&fx->total, 4242, false), 0)->calls_clamped = 99;
	live_render(&f, &fx->scr);
	assert_null(strstr(row(&fx->scr, "parse_request"), "~"));
	proc_stage(profile_proc(&fx->total, 4242, false), 0)->calls_clamped = 100;
	live_render(&f, &fx->scr);
	assert_non_null(strstr(row(&fx->scr, "parse_request"), " ~2.00us "));
	assert_non_null(row(&fx->scr, "parse_request: 400 calls"));
	assert_non_null(strstr(
		live_screen_line(&fx->scr, row_index(&fx->scr, "parse_request: 400 calls") + 1),
		"| 400"));
}

/* Calls that never returned: one line under the stage table names them,
 * and a function none of whose calls returned still has its row (0 calls,
 * no latency). Not there while every call returned. */
static void test_render_unfinished(void **state)
{
	struct fixture *fx = *state;
	struct live_frame f = frame(fx);
	struct proc_profile *p = profile_proc(&fx->total, 4242, false);
	struct proc_profile *q = profile_proc(&fx->total, 4343, true);
	struct stage_counters *w;

	live_screen_resize(&fx->scr, 50, 160);
	live_render(&f, &fx->scr);
	assert_null(row_starting(&fx->scr, "unfinished"));
	proc_stage(p, 0)->calls_unfinished = 7;
	strcpy(q->comm, "worker");
	proc_stage(q, 1)->calls_unfinished = 2;
	w = proc_stage(p, 1); /* no call of write_reply returned */
	free(w->hist);
	memset(w, 0, sizeof(*w));
	live_render(&f, &fx->scr);
	assert_fits(&fx->scr);
	assert_non_null(row_starting(&fx->scr, "unfinished (never returned, in no figure above): "
					       "parse_request 7, write_reply 2"));
	assert_non_null(strstr(row(&fx->scr, "write_reply"), " 0 "));
	assert_true(row(&fx->scr, "write_reply") < row_starting(&fx->scr, "unfinished"));
}

/* The f pane: the hottest functions in place of the histograms, the
 * interval's or the run's; a note when the run has no samples. */
static void test_render_functions(void **state)
{
	struct fixture *fx = *state;
	struct live_frame f = frame(fx);
	struct func_samples run_fns[] = { { "spin_a", 600 }, { "spin_b", 200 } };
	struct func_samples last_fns[] = { { "spin_b", 30 }, { "spin_a", 20 } };
	struct proc_samples run_p = { 4242, "server", 800, run_fns, 2 };
	struct proc_samples last_p = { 4242, "server", 50, last_fns, 2 };
	struct sample_tops run = { 99, 800, 0, &run_p, 1 }, last = { 99, 50, 0, &last_p, 1 };

	live_screen_resize(&fx->scr, 40, 120);
	f.functions = true;
	live_render(&f, &fx->scr);
	assert_non_null(row_starting(&fx->scr, "no CPU samples: run bpfprof with --cpu-sample"));
	f.cpu_total = &run;
	f.cpu_interval = &last;
	live_render(&f, &fx->scr);
	assert_fits(&fx->scr);
	assert_non_null(row_starting(&fx->scr, "Top functions by self CPU samples (since the start)"));
	assert_null(row(&fx->scr, "parse_request: 300 calls")); /* no histograms */
	assert_non_null(row(&fx->scr, "600"));
	assert_non_null(strstr(row(&fx->scr, "600"), " 75.0%  4242 server"));
	assert_non_null(strstr(row(&fx->scr, "600"), "spin_a"));
	assert_true(row_index(&fx->scr, "600") < row_index(&fx->scr, "200"));
	f.cumulative = false;
	live_render(&f, &fx->scr);
	assert_non_null(row_starting(&fx->scr, "Top functions by self CPU samples (last interval)"));
	assert_non_null(strstr(row(&fx->scr, "30"), "spin_b"));
	assert_true(row_index(&fx->scr, "30") < row_index(&fx->scr, "20"));
}

/* -U PROVIDER:NAME hits: a section after the I/O table, a row per process
 * with hits (their sum) and one per probe, in the frame's window; rows
 * stay through idle intervals. Not there without -U hits (every other
 * test, and the golden screens). */
static void test_render_usdt(void **state)
{
	struct fixture *fx = *state;
	struct live_frame f = frame(fx);
	struct stage_def defs[5];
	struct stage_table t = { .v = defs, .n = 5 };
	struct proc_profile *p = fx->total.procs[0], *q, *dq;
	struct profile delta;
	char exp[256];
	int head;

	memcpy(defs, fx->defs, sizeof(fx->defs));
	defs[3] = (struct stage_def){ .name = "app:req__start", .binary = "/srv/app",
				      .usdt_hits = true };
	defs[4] = (struct stage_def){ .name = "app:job__begin", .binary = "/srv/app",
				      .usdt_hits = true };
	proc_stage(p, 3)->calls = 1200;
	proc_stage(p, 4)->calls = 5;
	q = profile_proc(&fx->total, 4343, true);
	strcpy(q->comm, "worker");
	proc_stage(q, 3)->calls = 30;
	f.stages = &t;
	live_screen_resize(&fx->scr, 50, 140);
	assert_int_equal(live_render(&f, &fx->scr), 0);
	assert_fits(&fx->scr);
	head = row_index(&fx->scr, "PROCESS / USDT PROBE");
	assert_true(head > row_index(&fx->scr, "read"));
	assert_true(head < row_index(&fx->scr, "STAGE"));
	assert_string_equal(live_screen_line(&fx->scr, head - 1), "");
	snprintf(exp, sizeof(exp), "%-40s %9s %8s", "PROCESS / USDT PROBE", "HITS", "HITS/S");
	assert_string_equal(live_screen_line(&fx->scr, head), exp);
	assert_int_equal(fx->scr.attr[head], LIVE_HEADING);
	/* Over the 10 s window: most hits first, each process's probes too. */
	snprintf(exp, sizeof(exp), "%-40s %9s %8s", "4242 server", "1205", "120");
	assert_string_equal(live_screen_line(&fx->scr, head + 1), exp);
	snprintf(exp, sizeof(exp), "%-40s %9s %8s", "  app:req__start", "1200", "120");
	assert_string_equal(live_screen_line(&fx->scr, head + 2), exp);
	snprintf(exp, sizeof(exp), "%-40s %9s %8s", "  app:job__begin", "5", "0");
	assert_string_equal(live_screen_line(&fx->scr, head + 3), exp);
	snprintf(exp, sizeof(exp), "%-40s %9s %8s", "4343 worker", "30", "3");
	assert_string_equal(live_screen_line(&fx->scr, head + 4), exp);
	snprintf(exp, sizeof(exp), "%-40s %9s %8s", "  app:req__start", "30", "3");
	assert_string_equal(live_screen_line(&fx->scr, head + 5), exp);
	assert_string_equal(live_screen_line(&fx->scr, head + 6), "");
	/* Hits are no stage: no row in the stage table, no histogram. */
	assert_int_equal(row_index(&fx->scr, "STAGE"), head + 7);
	assert_null(row(&fx->scr, "app:req__start: 1230 calls"));

	/* The last interval (1 s): worker 10 hits, server none; its rows
	 * stay with zeros, below the busier worker. */
	profile_init(&delta);
	dq = profile_proc(&delta, 4343, true);
	strcpy(dq->comm, "worker");
	proc_stage(dq, 3)->calls = 10;
	f.cumulative = false;
	f.shown = &delta;
	f.window_s = 1;
	live_render(&f, &fx->scr);
	head = row_index(&fx->scr, "PROCESS / USDT PROBE");
	snprintf(exp, sizeof(exp), "%-40s %9s %8s", "4343 worker", "10", "10");
	assert_string_equal(live_screen_line(&fx->scr, head + 1), exp);
	snprintf(exp, sizeof(exp), "%-40s %9s %8s", "  app:req__start", "10", "10");
	assert_string_equal(live_screen_line(&fx->scr, head + 2), exp);
	snprintf(exp, sizeof(exp), "%-40s %9s %8s", "4242 server", "0", "0");
	assert_string_equal(live_screen_line(&fx->scr, head + 3), exp);
	/* Sorted by name: the probes' names, the processes' comms. */
	f.sort = LIVE_SORT_NAME;
	live_render(&f, &fx->scr);
	head = row_index(&fx->scr, "PROCESS / USDT PROBE");
	assert_non_null(strstr(live_screen_line(&fx->scr, head + 1), "4242 server"));
	assert_non_null(strstr(live_screen_line(&fx->scr, head + 2), "app:job__begin"));
	profile_free(&delta);

	/* A short terminal: the section keeps a share, cut with a count. */
	f = frame(fx);
	f.stages = &t;
	live_screen_resize(&fx->scr, 16, 80);
	live_render(&f, &fx->scr);
	assert_fits(&fx->scr);
	head = row_index(&fx->scr, "PROCESS / USDT PROBE");
	assert_true(head > 0);
	snprintf(exp, sizeof(exp), "%-40s %9s %8s", "PROCESS / USDT PROBE", "HITS", "HITS/S");
	assert_string_equal(live_screen_line(&fx->scr, head), exp);
	assert_string_equal(live_screen_line(&fx->scr, head + 2),
			    "  ... 4 more rows (a larger terminal shows them)");

	/* -U hits given, none yet. */
	proc_stage(p, 3)->calls = 0;
	proc_stage(p, 4)->calls = 0;
	proc_stage(q, 3)->calls = 0;
	live_screen_resize(&fx->scr, 50, 140);
	live_render(&f, &fx->scr);
	head = row_index(&fx->scr, "PROCESS / USDT PROBE");
	assert_true(head > 0);
	assert_string_equal(live_screen_line(&fx->scr, head + 1), "  no hits yet");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fit),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_octave_rows),
		cmocka_unit_test_setup_teardown(test_render_wide, setup, teardown),
		cmocka_unit_test_setup_teardown(test_render_sorts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_render_interval_and_states, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cost_line_fits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_render_small, setup, teardown),
		cmocka_unit_test_setup_teardown(test_render_stage_sum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_render_unfinished, setup, teardown),
		cmocka_unit_test_setup_teardown(test_render_stages_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_render_functions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_render_usdt, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
