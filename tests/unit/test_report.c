// SPDX-License-Identifier: MIT
/*
 * `bpfprof report` on a committed run directory (tests/fixtures/report_run:
 * a real stage_target_lib run, plus a small events.jsonl of known spans):
 * text, JSON, --trace, Perfetto and HTML in headless Chromium; rotated and
 * gzip'd event files; histograms rebuilt exactly from the JSON; and every
 * kind of bad input as one line and exit status 1.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "lib/helper.h"
#include "output/output_files.h"
#include "output/records.h"
#include "report/report.h"
#include "lib/report_helper.h"
#include "probes/syscall_table.h"

/* The fixture's spans (tests/fixtures/report_run/events.jsonl). */
#define FIX_SPANS 10
#define FIX_TRACES 4
#define FIX_ORPHANS 2		     /* lib_stage_work under a root never recorded */
#define FIX_SLOWEST "83640193122305" /* stage_writer, 62.70us */
#define FIX_RECURSE "83627308220426" /* stage_recurse, 4 levels */
#define FIX_OUTER "83627308220417"   /* stage_outer + 2 stage_inner */

static char fixture[256];

static const char *fixture_dir(void)
{
	const char *src = getenv("BPFPROF_SRC");

	snprintf(fixture, sizeof(fixture), "%s/tests/fixtures/report_run", src ? src : ".");
	return fixture;
}

static json_t *report_json(const char *dir)
{
	struct captured c;
	json_t *j;

	report_run(&c, dir, "--json", "--top", "100", NULL);
	if (c.status != 0)
		fail_msg("report --json: status %d: %s", c.status, c.err);
	j = json_loads(c.out, 0, NULL);
	assert_non_null(j);
	captured_free(&c);
	return j;
}

static json_t *find_named(json_t *arr, const char *name)
{
	json_t *v;
	size_t i;

	json_array_foreach (arr, i, v)
		if (!strcmp(json_string_value(json_object_get(v, "name")), name))
			return v;
	fail_msg("'%s' missing", name);
	return NULL;
}

/* The report's figures are the summary's: counts, and percentiles computed
 * again from the rebuilt histograms come out identical. */
static void test_json_matches_summary(void **state)
{
	json_t *rep = report_json(fixture_dir()),
	       *sum = helper_load_json_in(fixture, "summary.json");
	json_t *proc = json_array_get(json_object_get(sum, "processes"), 0), *st, *io, *v;
	const char *name;
	size_t i;
	long long written = 0;

	assert_string_equal(json_string_value(json_object_get(rep, "schema")), "bpfprof.report.v1");
	assert_int_equal(json_array_size(json_object_get(rep, "stages")),
			 json_array_size(json_object_get(proc, "stages")));
	json_array_foreach (json_object_get(proc, "stages"), i, st) {
		json_t *r = find_named(json_object_get(rep, "stages"),
				       json_string_value(json_object_get(st, "name"))),
		       *row;
		long long in_rows = 0;
		size_t k;

		assert_int_equal(helper_int(r, "calls"), helper_int(st, "calls"));
		assert_int_equal(helper_int(r, "total_ns"), helper_int(st, "total_ns"));
		assert_int_equal(helper_int(r, "self_ns"), helper_int(st, "self_ns"));
		assert_int_equal(helper_int(r, "percentiles_ns.p50"),
				 helper_int(st, "latency_ns.p50"));
		assert_int_equal(helper_int(r, "percentiles_ns.p95"),
				 helper_int(st, "latency_ns.p95"));
		assert_int_equal(helper_int(r, "percentiles_ns.p99"),
				 helper_int(st, "latency_ns.p99"));
		assert_int_equal(helper_int(r, "io.ops"), helper_int(st, "io.ops"));
		json_array_foreach (json_object_get(r, "histogram"), k, row)
			in_rows += helper_int(row, "count");
		assert_int_equal(in_rows, helper_int(st, "calls"));
	}
	/* Sorted by total, and the self ordering is a permutation by self. */
	json_array_foreach (json_object_get(rep, "stages"), i, st)
		if (i)
			assert_true(
				helper_int(json_array_get(json_object_get(rep, "stages"), i - 1),
					   "total_ns") >= helper_int(st, "total_ns"));
	json_array_foreach (json_object_get(rep, "stages_by_self"), i, st)
		if (i)
			assert_true(
				helper_int(json_array_get(json_object_get(rep, "stages_by_self"),
							  i - 1),
					   "self_ns") >= helper_int(st, "self_ns"));
	io = json_object_get(json_array_get(json_object_get(rep, "io"), 0), "syscalls");
	json_object_foreach (json_object_get(proc, "io"), name, v) {
		json_t *r = find_named(io, name);

		assert_int_equal(helper_int(r, "ops"), helper_int(v, "ops"));
		assert_int_equal(helper_int(r, "bytes"), helper_int(v, "bytes"));
		assert_int_equal(helper_int(r, "percentiles_ns.p99"),
				 helper_int(v, "latency_ns.p99"));
	}
	/* The timeline is the flush records: it sums to the totals. */
	assert_int_equal(json_array_size(json_object_get(rep, "timeline")),
			 helper_int(sum, "audit.flushes"));
	json_array_foreach (json_object_get(rep, "timeline"), i, v)
		written += helper_int(v, "bytes_written");
	assert_int_equal(written, helper_int(proc, "io_totals.bytes_written"));
	assert_int_equal(helper_int(rep, "traces.spans"), FIX_SPANS);
	assert_int_equal(helper_int(rep, "traces.traces"), FIX_TRACES);
	assert_int_equal(helper_int(rep, "traces.spans_orphaned"), FIX_ORPHANS);
	v = json_array_get(json_object_get(json_object_get(rep, "traces"), "slowest"), 0);
	assert_string_equal(json_string_value(json_object_get(v, "trace_id")), FIX_SLOWEST);
	assert_int_equal(helper_int(v, "dur_ns"), 62700);
	assert_int_equal(helper_int(rep, "audit.stage_calls_entered"),
			 helper_int(sum, "audit.stage_calls_entered"));
	json_decref(rep);
	json_decref(sum);
}

static void test_text(void **state)
{
	struct captured c;

	report_run(&c, fixture_dir(), NULL);
	assert_int_equal(c.status, 0);
	assert_string_equal(c.err, "");
	assert_non_null(strstr(c.out, "== Stages by total time (8 of 8)"));
	assert_non_null(strstr(c.out, "== Stages by self time"));
	/* stage_sleep leads by total: 100 calls. */
	assert_non_null(strstr(strstr(c.out, "by total time"), "      100    1.08ms"));
	assert_non_null(strstr(c.out, "stage_sleep (build/targets/stage_target_lib, pid 19471): "
				      "100 calls  p50 1.08ms"));
	assert_non_null(strstr(c.out, "== I/O per process"));
	assert_non_null(strstr(c.out, "write                      81 ops    3.44KiB written"));
	assert_non_null(strstr(c.out, "          70       640B    3.12KiB"));
	assert_non_null(strstr(c.out, "== Traces: 10 spans in 4 traces (1 event file), 2 spans "
				      "under calls not recorded"));
	assert_non_null(strstr(c.out, "== Audit"));
	assert_non_null(strstr(c.out, "stage_calls_entered              600"));
	captured_free(&c);
}

static void test_trace_tree(void **state)
{
	struct captured c;

	report_run(&c, fixture_dir(), "--trace", FIX_RECURSE, NULL);
	assert_int_equal(c.status, 0);
	assert_string_equal(c.out, "trace " FIX_RECURSE ": 4 spans, 20.00us, pid 19471 tid 19471\n"
				   "  stage_recurse  20.00us  self 2.50us  at +0ns\n"
				   "    stage_recurse  17.50us  self 2.50us  at +1.00us\n"
				   "      stage_recurse  15.00us  self 2.50us  at +2.00us\n"
				   "        stage_recurse  12.50us  self 12.50us  at +3.00us\n");
	captured_free(&c);
	report_run(&c, fixture_dir(), "--trace", FIX_OUTER, NULL);
	assert_int_equal(c.status, 0);
	assert_non_null(strstr(c.out, "\n  stage_outer  5.25us  self 2.47us  at +0ns\n"
				      "    stage_inner  1.38us  self 1.38us  at +1.00us\n"
				      "    stage_inner  1.40us  self 1.40us  at +2.60us\n"));
	captured_free(&c);
	report_run(&c, fixture_dir(), "--trace", "999", NULL);
	expect_one_error_line(&c, "no trace '999'");
	captured_free(&c);
}

/* --trace takes an id as printed, or its value in hex (0x optional,
 * leading zeros optional) or decimal. */
static void test_trace_id_forms(void **state)
{
	static const char *const fixture_forms[] = { FIX_RECURSE, "0x4c0f0000000a", "4c0f0000000a",
						     "00004C0F0000000A" };
	static const char *const hex_forms[] = { "0000113a00000001", "113a00000001",
						 "0x113A00000001", "18940805775361" };
	char dir[64], path[256];
	struct captured c;
	FILE *f;

	for (size_t i = 0; i < 4; i++) {
		report_run(&c, fixture_dir(), "--trace", fixture_forms[i], NULL);
		if (c.status || strncmp(c.out, "trace " FIX_RECURSE ": 4 spans,", strlen(FIX_RECURSE) + 16))
			fail_msg("--trace %s: exit %d, '%s' '%s'", fixture_forms[i], c.status,
				 c.out, c.err);
		captured_free(&c);
	}
	/* Ids as bpfprof writes them now: 16 hex digits. */
	helper_tmpdir(dir, sizeof(dir));
	copy_dir(fixture_dir(), dir);
	snprintf(path, sizeof(path), "%s/events.jsonl", dir);
	f = fopen(path, "w");
	fprintf(f, "{\"trace_id\":\"0000113a00000001\",\"span_id\":\"0000113a00000001\","
		   "\"parent_id\":null,\"pid\":7,\"tid\":8,\"name\":\"handle\",\"binary\":\"/bin/x\","
		   "\"start_ns\":100,\"dur_ns\":1000}\n");
	fclose(f);
	for (size_t i = 0; i < 4; i++) {
		report_run(&c, dir, "--trace", hex_forms[i], NULL);
		if (c.status || strncmp(c.out, "trace 0000113a00000001: 1 spans,", 32))
			fail_msg("--trace %s: exit %d, '%s' '%s'", hex_forms[i], c.status, c.out,
				 c.err);
		captured_free(&c);
	}
	report_run(&c, dir, "--trace", "113a00000002", NULL);
	expect_one_error_line(&c, "no trace '113a00000002'");
	captured_free(&c);
	report_run(&c, dir, "--trace", "-1", NULL);
	expect_one_error_line(&c, "no trace '-1'");
	captured_free(&c);
	helper_rmtree(dir);
}

/* --top N limits "I/O per process" (busiest first); no "I/O per stage"
 * header when no stage did I/O; "run: pid N" once. */
static void test_text_top_and_empty_tables(void **state)
{
	char dir[64], path[256];
	struct captured c;
	json_t *sum, *procs, *proc;

	helper_tmpdir(dir, sizeof(dir));
	copy_dir(fixture_dir(), dir);
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	sum = helper_load_json(path);
	procs = json_object_get(sum, "processes");
	proc = json_array_get(procs, 0);
	/* Five more processes, each with fewer I/O operations, no stages. */
	for (int i = 1; i <= 5; i++) {
		json_t *p = json_deep_copy(proc);
		json_t *tot = json_object_get(p, "io_totals");

		json_object_set_new(p, "pid", json_integer(1000 + i));
		json_object_set_new(p, "stages", json_array());
		json_object_set_new(tot, "ops", json_integer(100 - i));
		json_array_append_new(procs, p);
	}
	/* The first process's stages did no I/O. */
	json_object_set_new(proc, "stages", json_array());
	json_object_set_new(json_object_get(sum, "target"), "mode", json_string("pid"));
	assert_int_equal(json_dump_file(sum, path, 0), 0);
	json_decref(sum);

	report_run(&c, dir, "--top", "3", NULL);
	assert_int_equal(c.status, 0);
	assert_non_null(strstr(c.out, "  run: pid 19471 (build/targets/stage_target_lib"));
	assert_null(strstr(c.out, "pid pid"));
	assert_non_null(strstr(c.out, "== I/O per process (3 of 6, by operations)\n"));
	/* 19471 (105 ops), then 1001 (99), 1002 (98); not 1003.. */
	assert_true(strstr(c.out, "\n  19471 ") < strstr(c.out, "\n  1001 "));
	assert_true(strstr(c.out, "\n  1001 ") < strstr(c.out, "\n  1002 "));
	assert_null(strstr(c.out, "\n  1003 "));
	assert_null(strstr(c.out, "== I/O per stage"));
	captured_free(&c);
	helper_rmtree(dir);
}

/* A --stages-only run counted no syscall: the text says so in place of an
 * I/O table of nothing. */
static void test_text_stages_only(void **state)
{
	char dir[64], path[256];
	struct captured c;
	json_t *sum;

	helper_tmpdir(dir, sizeof(dir));
	copy_dir(fixture_dir(), dir);
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	sum = helper_load_json(path);
	json_object_set_new(json_object_get(sum, "target"), "syscalls_counted", json_false());
	assert_int_equal(json_dump_file(sum, path, 0), 0);
	json_decref(sum);
	report_run(&c, dir, NULL);
	assert_int_equal(c.status, 0);
	assert_non_null(strstr(c.out, "\n== I/O per process: not counted (--stages-only)\n"));
	assert_null(strstr(c.out, "== I/O per process ("));
	assert_null(strstr(c.out, "== I/O per stage"));
	assert_non_null(strstr(c.out, "== Stages by total time"));
	captured_free(&c);
	report_run(&c, fixture_dir(), NULL);
	assert_non_null(strstr(c.out, "== I/O per process (1 of 1, by operations)\n"));
	captured_free(&c);
	helper_rmtree(dir);
}

/* --json [FILE], --html FILE, --perfetto FILE; "-" is stdout for each,
 * and only one output may take stdout. */
static void test_output_naming(void **state)
{
	char dir[64], path[256];
	struct captured c, ref;
	json_t *j;

	helper_tmpdir(dir, sizeof(dir));
	report_run(&ref, fixture_dir(), "--json", NULL);
	assert_int_equal(ref.status, 0);
	/* --json - and --json=- are stdout too. */
	report_run(&c, fixture_dir(), "--json", "-", NULL);
	assert_string_equal(c.out, ref.out);
	captured_free(&c);
	report_run(&c, "--json=-", fixture_dir(), NULL);
	assert_string_equal(c.out, ref.out);
	captured_free(&c);
	/* --json FILE, before or after DIR; "--json DIR" alone is stdout. */
	snprintf(path, sizeof(path), "%s/r.json", dir);
	report_run(&c, fixture_dir(), "--json", path, NULL);
	assert_int_equal(c.status, 0);
	assert_string_equal(c.out, "");
	j = helper_load_json(path);
	assert_string_equal(json_string_value(json_object_get(j, "schema")), "bpfprof.report.v1");
	json_decref(j);
	captured_free(&c);
	unlink(path);
	report_run(&c, "--json", path, fixture_dir(), NULL);
	assert_int_equal(c.status, 0);
	assert_true(helper_exists(path));
	captured_free(&c);
	report_run(&c, "--json", fixture_dir(), NULL);
	assert_string_equal(c.out, ref.out);
	captured_free(&c);
	/* --html - writes the page to stdout. */
	report_run(&c, fixture_dir(), "--html", "-", NULL);
	assert_int_equal(c.status, 0);
	assert_int_equal(strncmp(c.out, "<!DOCTYPE html>", 15), 0);
	captured_free(&c);
	report_run(&c, fixture_dir(), "--perfetto", "-", NULL);
	assert_int_equal(c.status, 0);
	assert_non_null(strstr(c.out, "traceEvents"));
	captured_free(&c);
	report_run(&c, fixture_dir(), "--json", "--html", "-", NULL);
	assert_int_equal(c.status, 2);
	assert_non_null(strstr(c.err, "bpfprof: only one output can go to stdout"));
	captured_free(&c);
	captured_free(&ref);
	helper_rmtree(dir);
}

/* report --help prints and exits 0; misspelt options are named. */
static void test_report_help(void **state)
{
	struct captured c;

	report_run(&c, "--help", NULL);
	assert_int_equal(c.status, 0);
	assert_non_null(strstr(c.out, "Usage: bpfprof report [OPTION...] DIR"));
	assert_non_null(strstr(c.out, "--json[=FILE]"));
	assert_non_null(strstr(c.out, "Examples:"));
	assert_string_equal(c.err, "");
	captured_free(&c);
	report_run(&c, fixture_dir(), "-h", NULL);
	assert_int_equal(c.status, 0);
	captured_free(&c);
	report_run(&c, fixture_dir(), "--jsn", NULL);
	assert_int_equal(c.status, 2);
	assert_string_equal(c.err, "bpfprof: unknown option '--jsn'; did you mean '--json'?\n");
	captured_free(&c);
	report_run(&c, fixture_dir(), "--html", NULL);
	assert_int_equal(c.status, 2);
	assert_string_equal(c.err, "bpfprof: option '--html' needs an argument: --html FILE\n");
	captured_free(&c);
}

/* No summary.json (bpfprof killed, or a full disk): the report rebuilds the
 * run from flushes.jsonl, says so, and its figures are the summary's. */
static void test_cut_short_run(void **state)
{
	char dir[64], path[256];
	struct captured full, cut;
	const char *a, *b;
	json_t *j;
	FILE *f;
	long len;

	helper_tmpdir(dir, sizeof(dir));
	copy_dir(fixture_dir(), dir);
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	assert_int_equal(unlink(path), 0);
	report_run(&full, fixture_dir(), "--top", "100", NULL);
	report_run(&cut, dir, "--top", "100", NULL);
	assert_int_equal(cut.status, 0);
	assert_non_null(strstr(cut.out, "  run cut short: no summary.json (bpfprof was killed, or "
					"could not write it);\n  these figures are the sum of the 4 "
					"complete records of flushes.jsonl, from "
					"2026-11-21T07:46:47.370Z"));
	/* Every stage, I/O and trace figure as the summary has it; the audit
	 * is the records' (the summary's has more counters). */
	a = strstr(full.out, "\n== Stages by total time");
	b = strstr(cut.out, "\n== Stages by total time");
	assert_non_null(a);
	assert_non_null(b);
	assert_memory_equal(a, b, (size_t)(strstr(a, "\n  (bpfprof report ") - a));
	captured_free(&full);
	captured_free(&cut);
	report_run(&cut, dir, "--json", NULL);
	j = json_loads(cut.out, 0, NULL);
	assert_true(json_is_true(json_object_get(json_object_get(j, "run"), "cut_short")));
	json_decref(j);
	captured_free(&cut);
	/* Killed mid-write: the torn last line is left out, and said so. */
	snprintf(path, sizeof(path), "%s/flushes.jsonl", dir);
	f = fopen(path, "r+");
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fclose(f);
	assert_int_equal(truncate(path, len - 100), 0);
	report_run(&cut, dir, NULL);
	assert_int_equal(cut.status, 0);
	assert_non_null(strstr(cut.out, "the sum of the 3 complete records of flushes.jsonl (a "
					"torn last line left out)"));
	captured_free(&cut);
	/* Nothing to rebuild from: one line. */
	assert_int_equal(unlink(path), 0);
	report_run(&cut, dir, NULL);
	expect_one_error_line(&cut, "summary.json: missing, and no flushes.jsonl either");
	captured_free(&cut);
	helper_rmtree(dir);
}

static void test_perfetto(void **state)
{
	char dir[64], path[128];
	struct captured c;
	json_t *j, *ev, *outer = NULL;
	size_t i;
	int x = 0, meta = 0;

	helper_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/trace.json", dir);
	report_run(&c, fixture_dir(), "--perfetto", path, NULL);
	assert_int_equal(c.status, 0);
	captured_free(&c);
	j = helper_load_json(path);
	assert_non_null(j);
	json_array_foreach (json_object_get(j, "traceEvents"), i, ev) {
		const char *ph = json_string_value(json_object_get(ev, "ph"));

		x += !strcmp(ph, "X");
		meta += !strcmp(ph, "M");
		if (!strcmp(json_string_value(json_object_get(ev, "name")), "stage_outer"))
			outer = ev;
	}
	assert_int_equal(x, FIX_SPANS);
	assert_int_equal(meta, 1);
	/* Microseconds, from the first span. */
	assert_non_null(outer);
	assert_true(json_real_value(json_object_get(outer, "ts")) == 0.0);
	assert_true(json_real_value(json_object_get(outer, "dur")) == 5.25);
	assert_int_equal(helper_int(outer, "pid"), 19471);
	assert_int_equal(helper_int(outer, "tid"), 19471);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(outer, "args"), "span_id")),
		FIX_OUTER);
	json_decref(j);
	helper_rmtree(dir);
}

/* The page in a real browser: the script ran to the end without an error,
 * and drew a histogram per stage and per busiest I/O syscall, the I/O
 * timeline, and a waterfall with a bar per span. */
/* Every chart has at least two x labels, each at least 56 px right of the
 * one before. */
static void expect_spaced_ticks(const char *dom, int charts)
{
	const char *c = dom;
	int seen = 0;

	while ((c = strstr(c, "class=\"hist-chart\""))) {
		const char *end = strstr(c, "</svg>"), *t = c;
		double last = -1e9;
		int n = 0;

		while ((t = strstr(t, "class=\"xtick\" x=\"")) && t < end) {
			double x = atof(t + strlen("class=\"xtick\" x=\""));

			if (x - last < 56)
				fail_msg("x labels %.1f px apart", x - last);
			last = x;
			n++;
			t++;
		}
		if (n < 2)
			fail_msg("a chart with %d x labels", n);
		seen++;
		c = end;
	}
	assert_int_equal(seen, charts);
}

/* A run of one flush: its totals, not line charts with one point. */
static void test_html_one_flush(void **state)
{
	char dir[64], path[512], png[512];
	struct captured c;
	FILE *in, *out;
	char line[65536], *dom;

	helper_tmpdir(dir, sizeof(dir));
	copy_dir(fixture_dir(), dir);
	snprintf(path, sizeof(path), "%s/flushes.jsonl", fixture_dir());
	in = fopen(path, "r");
	snprintf(path, sizeof(path), "%s/flushes.jsonl", dir);
	out = fopen(path, "w");
	assert_non_null(fgets(line, sizeof(line), in));
	fputs(line, out);
	fclose(in);
	fclose(out);
	/* The summary counts the flushes. */
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	{
		json_t *sum = helper_load_json(path);

		json_object_set_new(json_object_get(sum, "audit"), "flushes", json_integer(1));
		assert_int_equal(json_dump_file(sum, path, 0), 0);
		json_decref(sum);
	}
	snprintf(path, sizeof(path), "%s/r.html", dir);
	report_run(&c, dir, "--html", path, NULL);
	assert_int_equal(c.status, 0);
	captured_free(&c);
	snprintf(png, sizeof(png), "%s/report-one-flush.png", artifact_dir());
	dom = chromium_dump_dom(path, png);
	assert_non_null(strstr(dom, "data-rendered=\"ok\""));
	assert_int_equal(count_of(dom, "id=\"io-over-time\""), 0);
	assert_int_equal(count_of(dom, "id=\"ops-over-time\""), 0);
	assert_non_null(strstr(dom, "id=\"run-totals\""));
	assert_non_null(strstr(dom, "<td class=\"name\">syscalls</td>"));
	free(dom);
	helper_rmtree(dir);
}

static void test_html_in_chromium(void **state)
{
	char dir[64], path[128], png[512];
	struct captured c;
	json_t *rep = report_json(fixture_dir()), *v;
	int bars = 0;
	size_t i;
	char *dom;

	/* A bar per non-empty log-linear bucket of each chart: the 12 stages
	 * with most total time, the 6 busiest I/O syscalls. */
	json_array_foreach (json_object_get(rep, "stages"), i, v)
		if (i < 12)
			bars += (int)json_array_size(json_object_get(v, "buckets"));
	json_array_foreach (
		json_object_get(json_array_get(json_object_get(rep, "io"), 0), "syscalls"), i, v)
		bars += (int)json_array_size(json_object_get(v, "buckets"));
	json_decref(rep);

	helper_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/report.html", dir);
	report_run(&c, fixture_dir(), "--html", path, NULL);
	assert_int_equal(c.status, 0);
	assert_string_equal(c.out, "");
	captured_free(&c);
	snprintf(png, sizeof(png), "%s/report-fixture.png", artifact_dir());
	dom = chromium_dump_dom(path, png);
	if (!strstr(dom, "data-rendered=\"ok\"") || strstr(dom, " data-script-error=\""))
		fail_msg("the page's script did not finish: %.300s",
			 strstr(dom, " data-script-error=\"") ? strstr(dom, " data-script-error=\"")
							      : "");
	assert_int_equal(count_of(dom, "class=\"hist-chart\""), 8 + 3);
	assert_int_equal(count_of(dom, "id=\"io-over-time\""), 1);
	assert_int_equal(count_of(dom, "id=\"ops-over-time\""), 1);
	assert_int_equal(count_of(dom, "class=\"waterfall\""), FIX_TRACES);
	assert_int_equal(count_of(dom, "<rect class=\"span"), FIX_SPANS);
	assert_int_equal(count_of(dom, "<rect class=\"bar\""), bars);
	/* The overview at the top: the run's figures and one row per stage. */
	assert_true(strstr(dom, "id=\"stage-overview\"") < strstr(dom, "id=\"stages-by-total\""));
	assert_int_equal(count_of(strstr(dom, "id=\"stage-overview\""), "class=\"share\""), 8);
	assert_non_null(strstr(dom, "<b>595</b><span>stage calls</span>"));
	assert_non_null(strstr(dom, "99.5%")); /* stage_sleep's self share */
	/* Log count axes (1, 10, 100 grid lines) and x labels on round
	 * values, at least 56 px apart, so none run together. */
	assert_true(count_of(dom, "class=\"grid\"") >= 2 * (8 + 3));
	expect_spaced_ticks(dom, 8 + 3);
	assert_non_null(strstr(dom, "id=\"stages-by-total\""));
	assert_non_null(strstr(dom, "id=\"stages-by-self\""));
	assert_non_null(strstr(dom, "id=\"io-per-process\""));
	assert_non_null(strstr(dom, "id=\"io-per-stage\""));
	/* A run before the wall split: no split, no kinds, still drawn. */
	assert_int_equal(count_of(dom, "id=\"stage-wall-table\""), 0);
	assert_int_equal(count_of(dom, "id=\"io-by-kind\""), 0);
	/* No network: nothing is loaded from anywhere. */
	assert_int_equal(count_of(dom, "src="), 0);
	assert_int_equal(count_of(dom, "href="), 0);
	free(dom);
	helper_rmtree(dir);
}

static const char *wall_fixture_dir(void)
{
	static char dir[256];
	const char *src = getenv("BPFPROF_SRC");

	snprintf(dir, sizeof(dir), "%s/tests/fixtures/report_run_wall", src ? src : ".");
	return dir;
}

/* A run with the wall split (tests/fixtures/report_run_wall, wall_target
 * with --events): the JSON's stages and spans carry it as the run wrote
 * it, every span's split sums to its self time from the tree, the text
 * and --trace print it, and the page draws a bar and a row per stage with
 * the exact figures, and the I/O by kind. */
static void test_report_wall_run(void **state)
{
	json_t *rep = report_json(wall_fixture_dir()), *sum, *proc, *st, *t, *sp;
	char dir[64], path[128], png[512], needle[128];
	struct captured c;
	size_t i, j;
	char *dom;

	sum = helper_load_json_in(wall_fixture_dir(), "summary.json");
	proc = json_array_get(json_object_get(sum, "processes"), 0);
	json_array_foreach (json_object_get(proc, "stages"), i, st) {
		json_t *r = find_named(json_object_get(rep, "stages"),
				       json_string_value(json_object_get(st, "name")));

		assert_true(json_equal(json_object_get(r, "wall"), json_object_get(st, "wall")));
		assert_true(json_equal(json_object_get(r, "faults"), json_object_get(st, "faults")));
		assert_true(json_equal(json_object_get(json_object_get(r, "io"), "by_kind"),
				       json_object_get(json_object_get(st, "io"), "by_kind")));
	}
	json_array_foreach (json_object_get(json_object_get(rep, "traces"), "slowest"), i, t)
		json_array_foreach (json_object_get(t, "spans"), j, sp)
			assert_int_equal(helper_int(sp, "wall.on_cpu_ns") +
						 helper_int(sp, "wall.runqueue_ns") +
						 helper_int(sp, "wall.blocked_ns"),
					 helper_int(sp, "self_ns"));

	report_run(&c, wall_fixture_dir(), NULL);
	assert_int_equal(c.status, 0);
	assert_non_null(strstr(c.out, "== Where the stages' self time goes"));
	assert_non_null(strstr(c.out, "      socket          1 ops         0B read       300B written"));
	captured_free(&c);
	/* wall_outer's trace: each call holds its own nap. */
	t = json_array_get(json_object_get(json_object_get(rep, "traces"), "slowest"), 0);
	json_array_foreach (json_object_get(json_object_get(rep, "traces"), "slowest"), i, t)
		if (!strcmp(json_string_value(json_object_get(t, "root")), "wall_outer"))
			break;
	report_run(&c, wall_fixture_dir(), "--trace",
		   json_string_value(json_object_get(t, "trace_id")), NULL);
	assert_int_equal(c.status, 0);
	assert_int_equal(count_of(c.out, "blocked 99.8% (sleep 99.8%)]"), 2);
	captured_free(&c);

	helper_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/report.html", dir);
	report_run(&c, wall_fixture_dir(), "--html", path, NULL);
	assert_int_equal(c.status, 0);
	captured_free(&c);
	snprintf(png, sizeof(png), "%s/report-wall-fixture.png", artifact_dir());
	dom = chromium_dump_dom(path, png);
	if (!strstr(dom, "data-rendered=\"ok\"") || strstr(dom, " data-script-error=\""))
		fail_msg("the page's script did not finish");
	assert_int_equal(count_of(dom, "class=\"wall-bar\""),
			 (int)json_array_size(json_object_get(proc, "stages")));
	json_array_foreach (json_object_get(proc, "stages"), i, st) {
		snprintf(needle, sizeof(needle), "data-part=\"sleep\" data-ns=\"%lld\"",
			 helper_int(st, "wall.blocked.sleep_ns"));
		assert_non_null(strstr(dom, needle));
		snprintf(needle, sizeof(needle), "data-part=\"on_cpu\" data-ns=\"%lld\"",
			 helper_int(st, "wall.on_cpu_ns"));
		assert_non_null(strstr(dom, needle));
	}
	assert_non_null(strstr(dom, "<td data-part=\"minor\">64</td>"));
	assert_non_null(strstr(dom, "<td>socket</td><td>1</td><td>0B</td><td>300B</td>"));
	/* A span's split on hover in the waterfall. */
	assert_non_null(strstr(dom, "(sleep 99.8%)]</title>"));
	free(dom);
	helper_rmtree(dir);
	json_decref(sum);
	json_decref(rep);
}

/* The fixture run copied into dir, and its summary.json loaded into
 * *sum (path: where to write it back) with the stage_sleep record whose
 * `key` (a count added after the fixture was recorded) the copy lacks. */
static json_t *fixture_copy_stage(char *dir, size_t dirlen, char *path, size_t pathlen,
				  json_t **sum, const char *key)
{
	json_t *st;

	helper_tmpdir(dir, dirlen);
	copy_dir(fixture_dir(), dir);
	snprintf(path, pathlen, "%s/summary.json", dir);
	*sum = json_load_file(path, 0, NULL);
	assert_non_null(*sum);
	st = find_named(
		json_object_get(json_array_get(json_object_get(*sum, "processes"), 0), "stages"),
		"stage_sleep");
	assert_null(json_object_get(st, key));
	return st;
}

/* `report --json`'s figure `key` of stage `name` of the run in dir. */
static long long report_stage_int(const char *dir, const char *name, const char *key)
{
	json_t *rep = report_json(dir);
	long long v = helper_int(find_named(json_object_get(rep, "stages"), name), key);

	json_decref(rep);
	return v;
}

/* A stage's calls below the probes' resolution: the report has the
 * summary's count, and the text its share; a summary written before the
 * count existed reads as none. */
static void test_calls_clamped(void **state)
{
	char dir[64], path[256];
	struct captured c;
	json_t *sum, *st;

	st = fixture_copy_stage(dir, sizeof(dir), path, sizeof(path), &sum, "calls_clamped");
	assert_int_equal(report_stage_int(dir, "stage_sleep", "calls_clamped"), 0);
	json_object_set_new(st, "calls_clamped", json_integer(25));
	assert_int_equal(json_dump_file(sum, path, 0), 0);
	assert_int_equal(report_stage_int(dir, "stage_sleep", "calls_clamped"), 25);
	report_run(&c, dir, NULL);
	assert_int_equal(c.status, 0);
	assert_non_null(strstr(c.out, "stage_sleep (build/targets/stage_target_lib, pid 19471): "
				      "100 calls"));
	assert_non_null(strstr(c.out, "\n    25% of calls below the probes' resolution\n"));
	assert_int_equal(count_of(c.out, "below the probes' resolution"), 1);
	captured_free(&c);
	json_decref(sum);
	helper_rmtree(dir);
}

/* A function's calls that ended without returning: the report has the
 * summary's count and the text says it on the stage's latency line; one
 * with no call that returned is listed with 0 calls; a summary written
 * before the count existed reads as none. */
static void test_calls_unfinished(void **state)
{
	char dir[64], path[256];
	struct captured c;
	json_t *sum, *st;

	st = fixture_copy_stage(dir, sizeof(dir), path, sizeof(path), &sum, "calls_unfinished");
	assert_int_equal(report_stage_int(dir, "stage_sleep", "calls_unfinished"), 0);
	json_object_set_new(st, "calls_unfinished", json_integer(7));
	/* A copy of it whose 3 calls all ended without returning. */
	st = json_deep_copy(st);
	json_object_set_new(st, "name", json_string("never_returns"));
	json_object_set_new(st, "calls", json_integer(0));
	json_object_set_new(st, "calls_unfinished", json_integer(3));
	json_object_set_new(st, "total_ns", json_integer(0));
	json_object_set_new(st, "self_ns", json_integer(0));
	json_array_append_new(
		json_object_get(json_array_get(json_object_get(sum, "processes"), 0), "stages"),
		st);
	assert_int_equal(json_dump_file(sum, path, 0), 0);
	assert_int_equal(report_stage_int(dir, "stage_sleep", "calls_unfinished"), 7);
	assert_int_equal(report_stage_int(dir, "never_returns", "calls_unfinished"), 3);
	report_run(&c, dir, "--top", "50", NULL);
	assert_int_equal(c.status, 0);
	assert_non_null(strstr(c.out, "stage_sleep (build/targets/stage_target_lib, pid 19471): "
				      "100 calls, 7 unfinished (never returned)  p50 "));
	assert_non_null(strstr(c.out, "never_returns (build/targets/stage_target_lib, pid 19471): "
				      "0 calls, 3 unfinished (never returned)\n"));
	captured_free(&c);
	json_decref(sum);
	helper_rmtree(dir);
}

/* A run before the wall split: the text, JSON and --trace say nothing of
 * it, as before. */
static void test_report_old_run_no_wall(void **state)
{
	json_t *rep = report_json(fixture_dir()), *st, *t, *sp;
	struct captured c;
	size_t i, j;

	json_array_foreach (json_object_get(rep, "stages"), i, st)
		assert_null(json_object_get(st, "wall"));
	json_array_foreach (json_object_get(json_object_get(rep, "traces"), "slowest"), i, t)
		json_array_foreach (json_object_get(t, "spans"), j, sp)
			assert_null(json_object_get(sp, "wall"));
	report_run(&c, fixture_dir(), NULL);
	assert_int_equal(c.status, 0);
	assert_null(strstr(c.out, "Where the stages'"));
	captured_free(&c);
	report_run(&c, fixture_dir(), "--trace", FIX_OUTER, NULL);
	assert_int_equal(c.status, 0);
	assert_null(strstr(c.out, "[cpu"));
	captured_free(&c);
	json_decref(rep);
}

/* Markup in names stays text: a stage called <script> is drawn, not run. */
static void test_html_escapes(void **state)
{
	char dir[64], path[256], html[300];
	struct captured c;
	FILE *f;
	char *dom;

	helper_tmpdir(dir, sizeof(dir));
	copy_dir(fixture_dir(), dir);
	snprintf(path, sizeof(path), "%s/events.jsonl", dir);
	f = fopen(path, "a");
	fprintf(f, "{\"trace_id\":\"x\",\"span_id\":\"x\",\"parent_id\":null,\"pid\":1,\"tid\":1,"
		   "\"name\":\"</script><script>document.body.setAttribute('data-pwned','1')"
		   "</script><!--\",\"binary\":\"b\",\"start_ns\":5,\"dur_ns\":1}\n");
	fclose(f);
	snprintf(html, sizeof(html), "%s/r.html", dir);
	report_run(&c, dir, "--html", html, "--top", "100", NULL);
	assert_int_equal(c.status, 0);
	captured_free(&c);
	dom = chromium_dump_dom(html, NULL);
	assert_non_null(strstr(dom, "data-rendered=\"ok\""));
	assert_null(strstr(dom, "data-pwned=\""));
	assert_non_null(strstr(dom, "&lt;/script&gt;&lt;script&gt;document.body"));
	free(dom);
	helper_rmtree(dir);
}

static void gzip_file(const char *from, const char *to)
{
	FILE *f = fopen(from, "r");
	gzFile gz = gzopen(to, "wb");
	char buf[4096];
	size_t n;

	assert_non_null(f);
	assert_non_null(gz);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		assert_int_equal(gzwrite(gz, buf, (unsigned int)n), (int)n);
	fclose(f);
	assert_int_equal(gzclose(gz), Z_OK);
	unlink(from);
}

/* Split the fixture's events into rotated parts: lines [0, a) in
 * events.jsonl.2.gz, [a, b) in events.jsonl.1, the rest in events.jsonl. */
static void rotate_events(const char *dir, int a, int b)
{
	char path[600], p1[600], p2[600], p2raw[600], line[4096];
	FILE *in, *out[3];
	int n = 0;

	snprintf(path, sizeof(path), "%s/events.jsonl", fixture_dir());
	in = fopen(path, "r");
	snprintf(p2raw, sizeof(p2raw), "%s/events.jsonl.2", dir);
	snprintf(p2, sizeof(p2), "%s/events.jsonl.2.gz", dir);
	snprintf(p1, sizeof(p1), "%s/events.jsonl.1", dir);
	snprintf(path, sizeof(path), "%s/events.jsonl", dir);
	out[0] = fopen(p2raw, "w");
	out[1] = fopen(p1, "w");
	out[2] = fopen(path, "w");
	while (fgets(line, sizeof(line), in))
		fputs(line, out[n < a ? 0 : n < b ? 1 : 2]), n++;
	fclose(in);
	for (int i = 0; i < 3; i++)
		fclose(out[i]);
	gzip_file(p2raw, p2);
}

static void test_rotated_and_gzip_events(void **state)
{
	char dir[64];
	json_t *rep;

	helper_tmpdir(dir, sizeof(dir));
	copy_dir(fixture_dir(), dir);
	rotate_events(dir, 4, 7);
	rep = report_json(dir);
	assert_int_equal(helper_int(rep, "traces.spans"), FIX_SPANS);
	assert_int_equal(helper_int(rep, "traces.traces"), FIX_TRACES);
	assert_int_equal(helper_int(rep, "traces.event_files"), 3);
	assert_int_equal(helper_int(rep, "traces.spans_orphaned"), FIX_ORPHANS);
	json_decref(rep);
	helper_rmtree(dir);
}

/* Ids may be strings; a root with parent_id 0 is a root too. */
static void test_string_ids(void **state)
{
	char dir[64], path[256];
	struct captured c;
	FILE *f;

	helper_tmpdir(dir, sizeof(dir));
	copy_dir(fixture_dir(), dir);
	snprintf(path, sizeof(path), "%s/events.jsonl", dir);
	f = fopen(path, "w");
	fprintf(f,
		"{\"trace_id\":\"t1\",\"span_id\":\"t1\",\"parent_id\":null,\"pid\":7,\"tid\":8,"
		"\"name\":\"handle\",\"binary\":\"/bin/x\",\"start_ns\":100,\"dur_ns\":1000,"
		"\"io\":{\"ops\":2,\"bytes_read\":10,\"bytes_written\":20,\"time_ns\":30}}\n"
		"{\"trace_id\":\"t1\",\"span_id\":\"c\",\"parent_id\":\"t1\",\"pid\":7,\"tid\":8,"
		"\"name\":\"parse\",\"binary\":\"/bin/x\",\"start_ns\":200,\"dur_ns\":300}\n"
		"{\"trace_id\":5,\"span_id\":5,\"parent_id\":0,\"pid\":7,\"tid\":9,"
		"\"name\":\"other\",\"start_ns\":50,\"dur_ns\":10}\n");
	fclose(f);
	report_run(&c, dir, "--trace", "t1", NULL);
	assert_int_equal(c.status, 0);
	assert_string_equal(c.out, "trace t1: 2 spans, 1.00us, pid 7 tid 8\n"
				   "  handle  1.00us  self 700ns  at +0ns  io: 2 ops, read 10B, "
				   "written 20B, 30ns\n"
				   "    parse  300ns  self 300ns  at +100ns\n");
	captured_free(&c);
	report_run(&c, dir, "--trace", "5", NULL);
	assert_int_equal(c.status, 0);
	assert_non_null(strstr(c.out, "trace 5: 1 spans, 10ns"));
	captured_free(&c);
	helper_rmtree(dir);
}

/* records.c writes every histogram bucket; the report rebuilds them. */
static void test_buckets_round_trip(void **state)
{
	char dir[64], path[256], err[512];
	struct profile p;
	struct run_info ri;
	struct report r;
	struct proc_profile *pp;
	struct syscall_counters *w;
	json_t *sum;
	FILE *f;

	profile_init(&p);
	pp = profile_proc(&p, 42, true);
	snprintf(pp->comm, sizeof(pp->comm), "x");
	w = &pp->sys[syscall_nr("write")];
	for (uint64_t v = 1; v < (1ULL << 37); v = v * 3 + 1) {
		hist_record(proc_hist(w), v);
		w->count++;
		w->time_ns += v;
		w->max_ns = v;
	}
	run_info_init(&ri);
	ri.end_reason = "duration";
	sum = summary_to_json(&ri, &p, NULL, 1.0, 0);
	helper_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	assert_int_equal(json_dump_file(sum, path, JSON_OUT_FLAGS), 0);
	snprintf(path, sizeof(path), "%s/flushes.jsonl", dir);
	f = fopen(path, "w");
	fclose(f);
	if (report_load(dir, &r, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(r.n_procs, 1);
	assert_int_equal(r.procs[0].n_io, 1);
	assert_non_null(r.procs[0].io[0].hist);
	assert_memory_equal(r.procs[0].io[0].hist, w->hist, sizeof(*w->hist));
	report_free(&r);
	json_decref(sum);
	profile_free(&p);
	helper_rmtree(dir);
}

/* A copy of the fixture with one file replaced by `content` (NULL: removed). */
static void with_file(char *dir, size_t len, const char *name, const char *content)
{
	char path[256];
	FILE *f;

	helper_tmpdir(dir, len);
	copy_dir(fixture_dir(), dir);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	if (!content)
		return;
	f = fopen(path, "w");
	fputs(content, f);
	fclose(f);
}

/* The first `keep` bytes of a fixture file. */
static char *head_of(const char *name, long keep)
{
	char path[600], *buf = calloc(1, (size_t)keep + 1);
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fixture_dir(), name);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_true(fread(buf, 1, (size_t)keep, f) > 0);
	fclose(f);
	return buf;
}

static void expect_bad(const char *name, const char *content, const char *needle)
{
	char dir[64];
	struct captured c;

	with_file(dir, sizeof(dir), name, content);
	report_run(&c, dir, NULL);
	expect_one_error_line(&c, needle);
	captured_free(&c);
	helper_rmtree(dir);
}

static void test_bad_input(void **state)
{
	char dir[64], path[256], *part;
	struct captured c;
	long flush_lines_1;

	report_run(&c, "/nonexistent/run", NULL);
	expect_one_error_line(&c, "cannot read run directory '/nonexistent/run': No such file");
	captured_free(&c);
	report_run(&c, "/etc/hostname", NULL);
	expect_one_error_line(&c, "is not a directory");
	captured_free(&c);
	/* No summary.json is a cut-short run (test_cut_short_run). */
	part = head_of("summary.json", 3000);
	expect_bad("summary.json", part, "summary.json: not valid JSON");
	free(part);
	expect_bad("summary.json", "{\"schema\":\"other\"}", "schema 'other'");
	expect_bad("summary.json",
		   "{\"schema\":\"bpfprof.summary.v1\",\"processes\":[{\"pid\":1}],"
		   "\"audit\":{}}",
		   "summary.json: processes[0]: 'comm' is missing");
	expect_bad("flushes.jsonl", NULL, "flushes.jsonl: No such file");
	/* Cut mid-line (the second), cut at a line end, a line that is not JSON. */
	part = head_of("flushes.jsonl", 100000);
	flush_lines_1 = strchr(part, '\n') - part + 1;
	part[flush_lines_1 + 100] = '\0';
	expect_bad("flushes.jsonl", part, "flushes.jsonl:2: truncated");
	part[flush_lines_1] = '\0';
	expect_bad("flushes.jsonl", part, "1 records, but summary.json counts 4 (truncated?)");
	free(part);
	expect_bad("flushes.jsonl", "{\"schema\":\"bpfprof.flush.v1\"\n",
		   "flushes.jsonl:1: not a JSON object");
	expect_bad("events.jsonl", "{\"trace_id\":1,\"parent_id\":null}\n",
		   "events.jsonl:1: 'span_id' is missing");
	expect_bad("events.jsonl",
		   "{\"trace_id\":1,\"span_id\":1,\"parent_id\":null,\"pid\":1,\"tid\":1,"
		   "\"name\":\"a\",\"start_ns\":1,\"dur_ns\":1}\n"
		   "{\"trace_id\":1,\"span_id\":1,\"parent_id\":null,\"pid\":1,\"tid\":1,"
		   "\"name\":\"a\",\"start_ns\":2,\"dur_ns\":1}\n",
		   "span_id 1 appears twice");
	expect_bad("events.jsonl",
		   "{\"trace_id\":1,\"span_id\":1,\"parent_id\":2,\"pid\":1,\"tid\":1,"
		   "\"name\":\"a\",\"start_ns\":1,\"dur_ns\":1}\n"
		   "{\"trace_id\":1,\"span_id\":2,\"parent_id\":1,\"pid\":1,\"tid\":1,"
		   "\"name\":\"a\",\"start_ns\":1,\"dur_ns\":1}\n",
		   "form a cycle");

	/* A histogram bucket that is not one of the layout's (1281 ns: buckets
	 * there are 64 ns wide). */
	{
		json_t *sum = helper_load_json_in(fixture_dir(), "summary.json");
		json_t *st = json_array_get(
			json_object_get(json_array_get(json_object_get(sum, "processes"), 0),
					"stages"),
			0);
		json_t *pair = json_array_get(json_object_get(st, "buckets"), 0);

		assert_int_equal(json_integer_value(json_array_get(pair, 0)), 1280);
		json_array_set_new(pair, 0, json_integer(1281));
		part = json_dumps(sum, JSON_OUT_FLAGS);
		expect_bad("summary.json", part, "1281 ns is not a bucket bound");
		free(part);
		json_decref(sum);
	}

	/* A rotated gzip file cut short. */
	helper_tmpdir(dir, sizeof(dir));
	copy_dir(fixture_dir(), dir);
	rotate_events(dir, 8, 9);
	snprintf(path, sizeof(path), "%s/events.jsonl.2.gz", dir);
	assert_int_equal(truncate(path, 60), 0);
	report_run(&c, dir, NULL);
	expect_one_error_line(&c, "events.jsonl.2.gz: corrupt compressed data: unexpected end");
	captured_free(&c);
	snprintf(path, sizeof(path), "%s/events.jsonl", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/events.jsonl.1", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/events.jsonl.2.gz", dir);
	unlink(path);

	/* An output file that cannot be written: nothing is left behind. */
	snprintf(path, sizeof(path), "%s/no/such/dir/r.html", dir);
	report_run(&c, dir, "--html", path, NULL);
	expect_one_error_line(&c, "cannot write");
	captured_free(&c);
	snprintf(path, sizeof(path), "%s/t.json", dir);
	report_run(&c, dir, "--perfetto", path, NULL);
	expect_one_error_line(&c, "has no span events");
	captured_free(&c);
	assert_false(helper_exists(path));
	helper_rmtree(dir);

	/* Bad command lines: exit 2. */
	report_run(&c, fixture_dir(), "--top", "0", NULL);
	assert_int_equal(c.status, 2);
	assert_non_null(strstr(c.err, "invalid --top '0'"));
	captured_free(&c);
	report_run(&c, NULL);
	assert_int_equal(c.status, 2);
	assert_non_null(strstr(c.err, "report needs the run's directory"));
	captured_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_matches_summary),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_trace_tree),
		cmocka_unit_test(test_trace_id_forms),
		cmocka_unit_test(test_text_top_and_empty_tables),
		cmocka_unit_test(test_text_stages_only),
		cmocka_unit_test(test_output_naming),
		cmocka_unit_test(test_report_help),
		cmocka_unit_test(test_cut_short_run),
		cmocka_unit_test(test_perfetto),
		cmocka_unit_test(test_html_in_chromium),
		cmocka_unit_test(test_html_one_flush),
		cmocka_unit_test(test_html_escapes),
		cmocka_unit_test(test_report_wall_run),
		cmocka_unit_test(test_report_old_run_no_wall),
		cmocka_unit_test(test_calls_clamped),
		cmocka_unit_test(test_calls_unfinished),
		cmocka_unit_test(test_rotated_and_gzip_events),
		cmocka_unit_test(test_string_ids),
		cmocka_unit_test(test_buckets_round_trip),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
