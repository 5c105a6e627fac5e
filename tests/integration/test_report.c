// SPDX-License-Identifier: MIT
/*
 * Integration: bpfprof profiles a known target into a directory, then
 * `bpfprof report` on it must give the target's exact figures in text and
 * JSON, and an HTML page that renders in headless Chromium.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/helper.h"
#include "lib/report_helper.h"
#include "targets/target_common.h"

static json_t *report_json_top(const char *dir, const char *top)
{
	struct captured c;
	json_t *j;

	report_run(&c, dir, "--json", "--top", top, NULL);
	if (c.status != 0)
		fail_msg("report --json: status %d: %s", c.status, c.err);
	j = json_loads(c.out, 0, NULL);
	assert_non_null(j);
	captured_free(&c);
	return j;
}

static json_t *report_json(const char *dir)
{
	return report_json_top(dir, "100");
}

static json_t *find(json_t *arr, const char *key, const char *value)
{
	json_t *v;
	size_t i;

	json_array_foreach (arr, i, v)
		if (!strcmp(json_string_value(json_object_get(v, key)), value))
			return v;
	fail_msg("%s '%s' missing", key, value);
	return NULL;
}

static void profile_into(const char *dir, char *const extra[], const char *target,
			 const char *target_arg)
{
	char bin[256], tgt[256];
	char *argv[24];
	struct proc_run r;
	int n = 0;

	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(tgt, sizeof(tgt), target);
	argv[n++] = bin;
	argv[n++] = "-q";
	argv[n++] = "-i";
	argv[n++] = "0.02";
	argv[n++] = "-o";
	argv[n++] = (char *)dir;
	for (int i = 0; extra && extra[i]; i++)
		argv[n++] = extra[i];
	argv[n++] = "--";
	argv[n++] = tgt;
	if (target_arg)
		argv[n++] = (char *)target_arg;
	argv[n] = NULL;
	if (helper_run(argv, 120, &r) != 0)
		fail_msg("bpfprof failed: %s", r.err);
}

static void test_report_io_target(void **state)
{
	char dir[64], out[128];
	static const struct {
		const char *name;
		long long ops, bytes;
	} want[] = {
		{ "write", IO_WRITES, IO_WRITES * IO_WRITE_SIZE },
		{ "read", IO_READS + IO_BAD_READS, IO_READS * IO_READ_SIZE },
		{ "pwrite64", IO_PWRITES, IO_PWRITES * IO_BLOCK },
		{ "pread64", IO_PREADS, (IO_PREADS - IO_PREADS_AT_EOF) * IO_BLOCK },
		{ "readv", IO_READVS, IO_READVS * 128 },
	};
	struct captured c;
	json_t *rep, *proc, *sys, *v;
	long long written = 0;
	size_t i;
	char line[160];

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/run", dir);
	profile_into(out, NULL, "targets/io_target", "slow");
	rep = report_json(out);
	assert_int_equal(json_array_size(json_object_get(rep, "io")), 1);
	proc = json_array_get(json_object_get(rep, "io"), 0);
	assert_string_equal(json_string_value(json_object_get(proc, "comm")), "io_target");
	sys = json_object_get(proc, "syscalls");
	for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		v = find(sys, "name", want[k].name);
		assert_int_equal(helper_int(v, "ops"), want[k].ops);
		assert_int_equal(helper_int(v, "bytes"), want[k].bytes);
	}
	assert_int_equal(helper_int(find(sys, "name", "read"), "errors"), IO_BAD_READS);
	/* The timeline (flush records) adds up to what the process wrote. */
	json_array_foreach (json_object_get(rep, "timeline"), i, v)
		written += helper_int(v, "bytes_written");
	assert_int_equal(written, helper_int(proc, "bytes_written"));
	assert_true(json_array_size(json_object_get(rep, "timeline")) >= 3);
	assert_true(json_is_null(json_object_get(rep, "traces")));
	json_decref(rep);

	report_run(&c, out, NULL);
	assert_int_equal(c.status, 0);
	snprintf(line, sizeof(line), "      write                    %4d ops", IO_WRITES);
	assert_non_null(strstr(c.out, line));
	assert_non_null(strstr(c.out, "== Audit"));
	/* No -u: no stage tables. */
	assert_null(strstr(c.out, "== Stages"));
	captured_free(&c);
	helper_rmtree(dir);
}

static void test_report_stages_and_html(void **state)
{
	char dir[64], out[128], res[128], html[160], png[512];
	char *extra[] = { "-u", "stage_*", NULL };
	struct captured c;
	json_t *rep, *sum, *st, *row, *p;
	size_t i, k;
	int charts = 0;
	char *dom;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/run", dir);
	snprintf(res, sizeof(res), "%s/sleeps", dir);
	profile_into(out, extra, "targets/stage_target", res);
	rep = report_json(out);
	sum = helper_load_json_in(out, "summary.json");
	st = json_object_get(rep, "stages");
	assert_int_equal(helper_int(find(st, "name", "stage_outer"), "calls"), STAGE_OUTER_CALLS);
	assert_int_equal(helper_int(find(st, "name", "stage_inner"), "calls"),
			 2 * STAGE_OUTER_CALLS);
	assert_int_equal(helper_int(find(st, "name", "stage_recurse"), "calls"),
			 STAGE_RECURSE_CALLS * (STAGE_RECURSE_DEPTH + 1));
	assert_int_equal(helper_int(find(st, "name", "stage_sleep"), "calls"), STAGE_SLEEP_CALLS);
	assert_int_equal(helper_int(find(st, "name", "stage_threaded"), "calls"),
			 STAGE_THREADS * STAGE_THREAD_CALLS);
	/* I/O per stage, exact. */
	p = find(json_object_get(rep, "stage_io"), "name", "stage_writer");
	assert_int_equal(helper_int(p, "ops"),
			 STAGE_WRITER_CALLS * (STAGE_WRITER_WRITES + STAGE_WRITER_READS));
	assert_int_equal(helper_int(p, "bytes_written"),
			 STAGE_WRITER_CALLS * STAGE_WRITER_WRITES * STAGE_WRITER_WRITE_SIZE);
	assert_int_equal(helper_int(p, "bytes_read"),
			 STAGE_WRITER_CALLS * STAGE_WRITER_READS * STAGE_WRITER_READ_SIZE);
	/* The histograms come back whole: percentiles equal the run's own, and
	 * the octave rows hold every call. */
	json_array_foreach (
		json_object_get(json_array_get(json_object_get(sum, "processes"), 0), "stages"), i,
		p) {
		json_t *r = find(st, "name", json_string_value(json_object_get(p, "name")));
		long long rows = 0;

		assert_int_equal(helper_int(r, "percentiles_ns.p50"),
				 helper_int(p, "latency_ns.p50"));
		assert_int_equal(helper_int(r, "percentiles_ns.p99"),
				 helper_int(p, "latency_ns.p99"));
		assert_int_equal(helper_int(r, "self_ns"), helper_int(p, "self_ns"));
		json_array_foreach (json_object_get(r, "histogram"), k, row)
			rows += helper_int(row, "count");
		assert_int_equal(rows, helper_int(p, "calls"));
		charts += rows > 0;
	}
	json_decref(rep);
	json_decref(sum);

	report_run(&c, out, NULL);
	assert_int_equal(c.status, 0);
	assert_non_null(strstr(c.out, "== Stages by total time"));
	assert_non_null(strstr(c.out, "== Stages by self time"));
	assert_non_null(strstr(c.out, "stage_sleep (pid"));
	assert_non_null(strstr(c.out, "== I/O per stage"));
	assert_non_null(strstr(c.out, "          70       640B    3.12KiB"));
	captured_free(&c);

	snprintf(html, sizeof(html), "%s/report.html", dir);
	report_run(&c, out, "--html", html, NULL);
	assert_int_equal(c.status, 0);
	captured_free(&c);
	snprintf(png, sizeof(png), "%s/report-stage-target.png", artifact_dir());
	dom = chromium_dump_dom(html, png);
	if (!strstr(dom, "data-rendered=\"ok\"") || strstr(dom, " data-script-error=\""))
		fail_msg("the page's script did not finish");
	/* A chart per stage (at most 12) and per busiest I/O syscall (at most 6). */
	assert_true(count_of(dom, "class=\"hist-chart\"") >= (charts < 12 ? charts : 12) + 1);
	assert_int_equal(count_of(dom, "id=\"io-over-time\""), 1);
	assert_int_equal(count_of(dom, "class=\"waterfall\""), 0);
	assert_non_null(strstr(dom, "No span events"));
	free(dom);
	helper_rmtree(dir);
}

/* A real --events run: a span per finished stage call, trees as the
 * target's calls nest, and the same in Perfetto and the page. */
static void test_report_real_events(void **state)
{
	char dir[64], out[128], res[128], html[160], trace[160], png[512];
	char *extra[] = { "-u", "stage_*", "--events", NULL };
	struct captured c;
	json_t *rep, *sum, *p, *t;
	long long calls = 0, recurse_traces = 0;
	const char *recurse_id = NULL;
	size_t i;
	char *dom;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/run", dir);
	snprintf(res, sizeof(res), "%s/sleeps", dir);
	profile_into(out, extra, "targets/stage_target", res);
	sum = helper_load_json_in(out, "summary.json");
	assert_int_equal(helper_int(sum, "audit.lost_total"), 0);
	json_array_foreach (
		json_object_get(json_array_get(json_object_get(sum, "processes"), 0), "stages"), i,
		p)
		calls += helper_int(p, "calls");
	/* Every trace in "slowest". */
	rep = report_json_top(out, "100000");
	/* Every finished call is a span; a trace per outermost call. */
	assert_int_equal(helper_int(rep, "traces.spans"), calls);
	assert_int_equal(helper_int(rep, "traces.traces"),
			 STAGE_OUTER_CALLS + STAGE_RECURSE_CALLS + STAGE_SLEEP_CALLS +
				 STAGE_WRITER_CALLS + STAGE_JUMP_CALLS +
				 STAGE_THREADS * STAGE_THREAD_CALLS);
	assert_int_equal(helper_int(rep, "traces.spans_orphaned"), 0);
	json_array_foreach (json_object_get(json_object_get(rep, "traces"), "slowest"), i, t) {
		if (!strcmp(json_string_value(json_object_get(t, "root")), "stage_recurse")) {
			assert_int_equal(helper_int(t, "n_spans"), STAGE_RECURSE_DEPTH + 1);
			recurse_id = json_string_value(json_object_get(t, "trace_id"));
			recurse_traces++;
		}
		if (!strcmp(json_string_value(json_object_get(t, "root")), "stage_outer"))
			assert_int_equal(helper_int(t, "n_spans"), 3);
	}
	assert_int_equal(recurse_traces, STAGE_RECURSE_CALLS);

	/* One recursion as a tree: 10 levels, each indented once more. */
	report_run(&c, out, "--trace", recurse_id, NULL);
	assert_int_equal(c.status, 0);
	assert_int_equal(count_of(c.out, "\n"), 1 + STAGE_RECURSE_DEPTH + 1);
	assert_non_null(strstr(c.out, "\n                    stage_recurse  "));
	captured_free(&c);

	snprintf(trace, sizeof(trace), "%s/trace.json", dir);
	report_run(&c, out, "--perfetto", trace, NULL);
	assert_int_equal(c.status, 0);
	captured_free(&c);
	t = helper_load_json(trace);
	assert_non_null(t);
	{
		json_t *ev;
		long long x = 0;

		json_array_foreach (json_object_get(t, "traceEvents"), i, ev)
			x += !strcmp(json_string_value(json_object_get(ev, "ph")), "X");
		assert_int_equal(x, calls);
	}
	json_decref(t);

	snprintf(html, sizeof(html), "%s/report.html", dir);
	report_run(&c, out, "--html", html, "--top", "12", NULL);
	assert_int_equal(c.status, 0);
	captured_free(&c);
	snprintf(png, sizeof(png), "%s/report-events.png", artifact_dir());
	dom = chromium_dump_dom(html, png);
	if (!strstr(dom, "data-rendered=\"ok\"") || strstr(dom, " data-script-error=\""))
		fail_msg("the page's script did not finish");
	assert_int_equal(count_of(dom, "class=\"waterfall\""), 12);
	free(dom);
	json_decref(rep);
	json_decref(sum);
	helper_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_io_target),
		cmocka_unit_test(test_report_stages_and_html),
		cmocka_unit_test(test_report_real_events),
	};

	return cmocka_run_group_tests_name("integration_report", tests, NULL, NULL);
}
