// SPDX-License-Identifier: MIT
/*
 * Hostile names (issue 20): a process that calls itself "x\n\x1b[31m..."
 * or a symbol that is not UTF-8 must reach no terminal raw and vanish from
 * no JSON. text_escape and json_text, then every text output and the
 * summary fed with such names.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/text.h"
#include "events/span_json.h"
#include "lib/helper.h"
#include "output/interval_report.h"
#include "output/output_files.h"
#include "output/records.h"
#include "probes/stages.h"
#include "probes/syscall_table.h"
#include "report/report.h"

/* A name that moves the cursor, paints red and fakes a report line. */
#define EVIL_COMM "x\n\x1b[31mfake"
/* A symbol with an escape, a byte that is not UTF-8 and a CSI as C1. */
#define EVIL_SYMBOL "f\x1b]0;t\x07\xff\xc2\x9b"

static void expect_escape(const char *in, const char *want)
{
	char out[256];

	assert_int_equal(text_escape(in, out, sizeof(out)), strlen(want));
	assert_string_equal(out, want);
}

static void test_text_escape(void **state)
{
	expect_escape("plain name_1::f(int)", "plain name_1::f(int)");
	expect_escape(EVIL_COMM, "x\\n\\x1b[31mfake");
	expect_escape("a\\b\tc\x7f", "a\\\\b\\tc\\x7f");
	/* Valid UTF-8 stays; what is not, and C1 controls, become bytes. */
	expect_escape("caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac");
	expect_escape(EVIL_SYMBOL, "f\\x1b]0;t\\x07\\xff\\xc2\\x9b");
	/* A right-to-left override would show the rest of the line reversed. */
	expect_escape("a\xe2\x80\xae"
		      "b",
		      "a\\xe2\\x80\\xaeb");
	/* Overlong and truncated sequences are not UTF-8. */
	expect_escape("\xc0\xaf\xe2\x82", "\\xc0\\xaf\\xe2\\x82");
	assert_true(text_is_safe("ok \xc3\xa9"));
	assert_false(text_is_safe("no\n"));
}

static void test_text_escape_truncates_whole_escapes(void **state)
{
	char out[8];

	/* "ab\x1b" needs 6 bytes; with 5 of room the escape is left out whole. */
	assert_int_equal(text_escape("ab\x1b", out, 5), 6);
	assert_string_equal(out, "ab");
	assert_int_equal(text_escape("ab\x1b"
				     "cd",
				     out, sizeof(out)),
			 8);
	assert_string_equal(out, "ab\\x1bc");
	assert_int_equal(text_escape("xyz", NULL, 0), 3);
}

static void test_text_safe(void **state)
{
	const char *ok = "fine";
	const char *a, *b;

	assert_ptr_equal(text_safe(ok), ok);
	assert_null(text_safe(NULL));
	/* Two in one printf call stay apart. */
	a = text_safe("\x1b"
		      "a");
	b = text_safe("\x1b"
		      "b");
	assert_string_equal(a, "\\x1ba");
	assert_string_equal(b, "\\x1bb");
}

static void test_json_text_keeps_invalid_utf8(void **state)
{
	json_t *obj = json_object(), *j = json_text("a\xff"
						    "b");

	assert_non_null(j);
	assert_string_equal(json_string_value(j), "a\xef\xbf\xbd"
						  "b");
	json_decref(j);
	assert_int_equal(json_add_raw_hex(obj, "name", "ok"), 0);
	assert_null(json_object_get(obj, "name_hex"));
	assert_int_equal(json_add_raw_hex(obj, "name", "a\xff"), 0);
	assert_string_equal(json_string_value(json_object_get(obj, "name_hex")), "61ff");
	json_decref(obj);
}

/* One process named EVIL_COMM that called EVIL_SYMBOL twice. */
static struct proc_profile *evil_proc(struct profile *p, struct stage_table *t, struct stage_def *d)
{
	struct proc_profile *pp = profile_proc(p, 42, true);
	struct stage_counters *c;

	snprintf(pp->comm, sizeof(pp->comm), "%s", EVIL_COMM);
	pp->sys[syscall_nr("getpid")].count = 2;
	memset(d, 0, sizeof(*d));
	d->name = EVIL_SYMBOL;
	d->binary = "/bin/\xfe\x1b[2J";
	d->path = d->binary;
	t->v = d;
	t->n = 1;
	t->sample_every = 0;
	c = proc_stage(pp, 0);
	assert_non_null(c);
	c->calls = 2;
	c->total_ns = c->self_ns = 2000;
	c->max_ns = 1500;
	c->hist = calloc(1, sizeof(*c->hist)); /* profile_free frees it */
	assert_non_null(c->hist);
	hist_record(c->hist, 500);
	hist_record(c->hist, 1500);
	return pp;
}

/* No ESC, no C1 CSI, and only the lines the output means to have. */
static void expect_clean_text(const char *text, int max_lines)
{
	int lines = 0;

	assert_null(strchr(text, '\x1b'));
	assert_null(strstr(text, "\xc2\x9b"));
	for (const char *s = text; *s; s++)
		lines += *s == '\n';
	if (lines > max_lines)
		fail_msg("%d lines (a name broke one):\n%s", lines, text);
}

static void test_text_outputs_escape_names(void **state)
{
	struct stage_table t;
	struct stage_def d;
	struct profile p;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	profile_init(&p);
	evil_proc(&p, &t, &d);
	f = open_memstream(&text, &len);
	interval_report_print(f, "final", &p, 1.0, &t);
	fclose(f);
	expect_clean_text(text, 8); /* header, process, syscalls, stage, total, 3 bars */
	assert_non_null(strstr(text, "x\\n\\x1b[31mfake"));
	assert_non_null(strstr(text, "stage f\\x1b]0;t\\x07\\xff\\xc2\\x9b (/bin/\\xfe\\x1b[2J)"));
	free(text);
	/* --list */
	f = open_memstream(&text, &len);
	stages_print(f, &t);
	fclose(f);
	expect_clean_text(text, 3);
	assert_non_null(strstr(text, "f\\x1b]0;t\\x07\\xff\\xc2\\x9b"));
	free(text);
	profile_free(&p);
}

static void put_json(const char *dir, const char *name, json_t *j)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(json_dump_file(j, path, JSON_OUT_FLAGS), 0);
}

/*
 * The summary keeps the process and the stage whose names are not UTF-8
 * (they used to vanish: "stages": []), with their bytes in *_hex; `bpfprof
 * report` reads that back and prints the names escaped, the trace tree too.
 */
static void test_summary_keeps_and_report_escapes(void **state)
{
	struct stage_table t;
	struct stage_def d;
	struct run_info ri;
	struct profile p;
	struct report r;
	json_t *sum, *proc, *st;
	char dir[64], err[512], *text = NULL, path[128];
	size_t len = 0;
	FILE *f;

	profile_init(&p);
	evil_proc(&p, &t, &d);
	run_info_init(&ri);
	ri.end_reason = "interrupted";
	sum = summary_to_json(&ri, &p, &t, 1.0, 0);
	assert_non_null(sum);
	proc = json_array_get(json_object_get(sum, "processes"), 0);
	assert_non_null(proc);
	assert_string_equal(json_string_value(json_object_get(proc, "comm")), EVIL_COMM);
	st = json_array_get(json_object_get(proc, "stages"), 0);
	assert_non_null(st);
	assert_string_equal(json_string_value(json_object_get(st, "name")),
			    "f\x1b]0;t\x07\xef\xbf\xbd\xc2\x9b");
	assert_string_equal(json_string_value(json_object_get(st, "name_hex")),
			    "661b5d303b7407ffc29b");
	assert_string_equal(json_string_value(json_object_get(st, "binary_hex")),
			    "2f62696e2ffe1b5b324a");
	assert_int_equal(helper_int(st, "calls"), 2);

	helper_tmpdir(dir, sizeof(dir));
	put_json(dir, "summary.json", sum);
	snprintf(path, sizeof(path), "%s/flushes.jsonl", dir);
	close(open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644));
	snprintf(path, sizeof(path), "%s/events.jsonl", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "{\"trace_id\":\"t\\u001b1\",\"span_id\":\"1\",\"parent_id\":null,\"name\":"
		   "\"g\\u001b[1mx\\ny\","
		   "\"binary\":\"b\",\"pid\":42,\"tid\":42,\"start_ns\":1000,\"dur_ns\":50,"
		   "\"self_ns\":50}\n");
	fclose(f);
	if (report_load(dir, &r, err, sizeof(err)))
		fail_msg("report_load: %s", err);
	f = open_memstream(&text, &len);
	report_print_text(f, &r, 5);
	fclose(f);
	expect_clean_text(text, 40);
	assert_non_null(strstr(text, "x\\n\\x1b[31mfake"));
	free(text);
	assert_int_equal(r.n_traces, 1);
	f = open_memstream(&text, &len);
	report_print_trace(f, &r, r.traces[0].id);
	fclose(f);
	expect_clean_text(text, 2);
	assert_non_null(strstr(text, "trace t\\x1b1: 1 spans"));
	assert_non_null(strstr(text, "g\\x1b[1mx\\ny"));
	free(text);
	report_free(&r);
	helper_rmtree(dir);
	json_decref(sum);
	profile_free(&p);
}

/* Span events: the same U+FFFD form as the summary (they used '?'), and
 * still one valid JSON line. */
static void test_span_events_keep_names(void **state)
{
	struct stage_def d = { .name = EVIL_SYMBOL, .binary = "/bin/\xfe" };
	struct stage_table t = { &d, 1 };
	struct span_record r = { .span_id = 1, .trace_id = 1, .dur_ns = 5, .pid = 1, .tid = 1 };
	struct span_names sn;
	json_error_t e;
	size_t len;
	char *buf;
	json_t *j;

	assert_int_equal(span_names_init(&sn, &t), 0);
	buf = malloc(sn.line_max);
	assert_non_null(buf);
	len = span_json_format(buf, &r, &sn);
	assert_null(memchr(buf, '\n', len - 1));
	j = json_loadb(buf, len, 0, &e);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "name")),
			    "f\x1b]0;t\x07\xef\xbf\xbd\xc2\x9b");
	assert_string_equal(json_string_value(json_object_get(j, "binary")), "/bin/\xef\xbf\xbd");
	json_decref(j);
	free(buf);
	span_names_free(&sn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_escape),
		cmocka_unit_test(test_text_escape_truncates_whole_escapes),
		cmocka_unit_test(test_text_safe),
		cmocka_unit_test(test_json_text_keeps_invalid_utf8),
		cmocka_unit_test(test_text_outputs_escape_names),
		cmocka_unit_test(test_summary_keeps_and_report_escapes),
		cmocka_unit_test(test_span_events_keep_names),
	};

	return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
