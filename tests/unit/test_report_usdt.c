// SPDX-License-Identifier: MIT
/*
 * `bpfprof report` on a run that counted -U PROVIDER:NAME hits
 * (tests/fixtures/report_run_usdt: a real --follow run of /bin/sh starting
 * usdt_target three times, each firing app:req__start USDT_BATCHES *
 * USDT_REQS_PER_BATCH times and app:job__begin USDT_JOBS times): the text
 * section, the JSON's "usdt" against the summary, the same hits rebuilt
 * from the flush records alone, the HTML tables in Chromium, bad "usdt"
 * input as one line.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/helper.h"
#include "lib/report_helper.h"
#include "targets/usdt_common.h"

#define REQS (USDT_BATCHES * USDT_REQS_PER_BATCH)
static const unsigned int fix_pids[] = { 30953, 30955, 30974 }; /* the usdt_target runs */
#define FIX_DURATION_S 0.2481901279988961

static char fixture[256];

static const char *fixture_dir(void)
{
	const char *src = getenv("BPFPROF_SRC");

	snprintf(fixture, sizeof(fixture), "%s/tests/fixtures/report_run_usdt", src ? src : ".");
	return fixture;
}

static json_t *report_json(const char *dir)
{
	struct captured c;
	json_t *j;

	report_run(&c, dir, "--json", NULL);
	if (c.status != 0)
		fail_msg("report --json: status %d: %s", c.status, c.err);
	j = json_loads(c.out, 0, NULL);
	assert_non_null(j);
	captured_free(&c);
	return j;
}

static void test_text(void **state)
{
	struct captured c;
	char line[256];

	report_run(&c, fixture_dir(), NULL);
	assert_int_equal(c.status, 0);
	assert_non_null(strstr(c.out,
			       "\n== USDT probe hits (3 of 3 processes, by hits; per second "
			       "over the 248.19ms run)\n  PID      COMM                   HITS "
			       "      HITS/S  PROBE (BINARY)\n"));
	for (size_t i = 0; i < 3; i++) {
		snprintf(line, sizeof(line),
			 "\n  %-8u usdt_target      %10d %12.1f  app:req__start "
			 "(build/targets/usdt_target)\n  %-8u usdt_target      %10d %12.1f  "
			 "app:job__begin (build/targets/usdt_target)\n",
			 fix_pids[i], REQS, REQS / FIX_DURATION_S, fix_pids[i], USDT_JOBS,
			 USDT_JOBS / FIX_DURATION_S);
		if (!strstr(c.out, line))
			fail_msg("missing: %s", line);
	}
	/* After the I/O, before the audit. */
	assert_true(strstr(c.out, "== I/O per process") < strstr(c.out, "== USDT probe hits"));
	assert_true(strstr(c.out, "== USDT probe hits") < strstr(c.out, "== Audit"));
	captured_free(&c);
	/* --top: the processes with most hits (equal here: by pid). */
	report_run(&c, fixture_dir(), "--top", "1", NULL);
	assert_non_null(strstr(c.out, "== USDT probe hits (1 of 3 processes"));
	assert_non_null(strstr(c.out, "\n  30953    usdt_target "));
	assert_null(strstr(c.out, "\n  30955    usdt_target "));
	captured_free(&c);
}

/* The JSON's hits are the summary's, process by process, probe by probe. */
static void test_json_matches_summary(void **state)
{
	json_t *rep = report_json(fixture_dir()),
	       *sum = helper_load_json_in(fixture, "summary.json");
	json_t *usdt = json_object_get(rep, "usdt"), *p, *u;
	size_t i, k, with_hits = 0;

	assert_int_equal(json_array_size(usdt), 3);
	json_array_foreach (json_object_get(sum, "processes"), i, p) {
		json_t *mine = NULL, *x;
		long long total = 0;

		json_array_foreach (usdt, k, x)
			if (helper_int(x, "pid") == helper_int(p, "pid"))
				mine = x;
		if (!json_array_size(json_object_get(p, "usdt"))) {
			assert_null(mine);
			continue;
		}
		with_hits++;
		assert_non_null(mine);
		assert_string_equal(json_string_value(json_object_get(mine, "comm")),
				    "usdt_target");
		assert_int_equal(json_array_size(json_object_get(mine, "probes")),
				 json_array_size(json_object_get(p, "usdt")));
		json_array_foreach (json_object_get(p, "usdt"), k, u) {
			json_t *q, *found = NULL;
			size_t j;

			json_array_foreach (json_object_get(mine, "probes"), j, q)
				if (json_equal(json_object_get(q, "name"),
					       json_object_get(u, "name")))
					found = q;
			assert_non_null(found);
			assert_true(json_equal(json_object_get(found, "provider"),
					       json_object_get(u, "provider")));
			assert_true(json_equal(json_object_get(found, "binary"),
					       json_object_get(u, "binary")));
			assert_int_equal(helper_int(found, "hits"), helper_int(u, "hits"));
			total += helper_int(u, "hits");
		}
		assert_int_equal(helper_int(mine, "hits"), total);
		assert_int_equal(total, REQS + USDT_JOBS);
		/* Most hits first. */
		assert_string_equal(
			json_string_value(json_object_get(
				json_array_get(json_object_get(mine, "probes"), 0), "name")),
			"req__start");
		/* Written to 16 significant digits. */
		assert_true(fabs(json_real_value(json_object_get(
					 json_array_get(json_object_get(mine, "probes"), 0),
					 "hits_per_s")) /
					 (REQS / FIX_DURATION_S) -
				 1) < 1e-14);
	}
	assert_int_equal(with_hits, 3);
	json_decref(rep);
	json_decref(sum);
	/* A run without -U hits has no "usdt" key at all. */
	{
		char other[300];

		snprintf(other, sizeof(other), "%s/../report_run", fixture_dir());
		rep = report_json(other);
		assert_null(json_object_get(rep, "usdt"));
		json_decref(rep);
	}
}

/* Cut short: the flush records hold each interval's hits; summed, they
 * are the summary's. */
static void test_cut_short(void **state)
{
	char dir[64], path[128];
	json_t *full, *cut, *a, *b;
	size_t i;

	helper_tmpdir(dir, sizeof(dir));
	copy_dir(fixture_dir(), dir);
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	assert_int_equal(unlink(path), 0);
	full = report_json(fixture_dir());
	cut = report_json(dir);
	assert_true(json_is_true(json_object_get(json_object_get(cut, "run"), "cut_short")));
	assert_int_equal(json_array_size(json_object_get(cut, "usdt")), 3);
	json_array_foreach (json_object_get(full, "usdt"), i, a) {
		b = json_array_get(json_object_get(cut, "usdt"), i);
		assert_int_equal(helper_int(b, "pid"), helper_int(a, "pid"));
		assert_int_equal(helper_int(b, "hits"), helper_int(a, "hits"));
		for (size_t k = 0; k < 2; k++) {
			json_t *x = json_array_get(json_object_get(a, "probes"), k);
			json_t *y = json_array_get(json_object_get(b, "probes"), k);

			assert_true(
				json_equal(json_object_get(x, "name"), json_object_get(y, "name")));
			assert_int_equal(helper_int(x, "hits"), helper_int(y, "hits"));
		}
	}
	json_decref(full);
	json_decref(cut);
	helper_rmtree(dir);
}

static void test_html_in_chromium(void **state)
{
	char dir[64], path[128], png[512], row[256];
	struct captured c;
	char *dom;

	helper_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/report.html", dir);
	report_run(&c, fixture_dir(), "--html", path, NULL);
	assert_int_equal(c.status, 0);
	captured_free(&c);
	snprintf(png, sizeof(png), "%s/report-usdt.png", artifact_dir());
	dom = chromium_dump_dom(path, png);
	assert_non_null(strstr(dom, "data-rendered=\"ok\""));
	assert_null(strstr(dom, " data-script-error=\""));
	/* A table per process with hits, between the I/O and the traces. */
	assert_int_equal(count_of(dom, "class=\"usdt\""), 3);
	assert_true(strstr(dom, "<section id=\"io\"") < strstr(dom, "<section id=\"usdt\""));
	assert_true(strstr(dom, "<section id=\"usdt\"") < strstr(dom, "<section id=\"traces\""));
	snprintf(row, sizeof(row),
		 "<td class=\"name\">app:req__start</td><td class=\"name\">"
		 "build/targets/usdt_target</td><td>%d</td><td>%.1f</td>",
		 REQS, REQS / FIX_DURATION_S);
	assert_int_equal(count_of(dom, row), 3);
	for (size_t i = 0; i < 3; i++) {
		snprintf(row, sizeof(row), "id=\"usdt-%u\"", fix_pids[i]);
		assert_non_null(strstr(dom, row));
	}
	snprintf(row, sizeof(row),
		 "<td class=\"name\">app:job__begin</td><td class=\"name\">"
		 "build/targets/usdt_target</td><td>%d</td><td>%.1f</td>",
		 USDT_JOBS, USDT_JOBS / FIX_DURATION_S);
	assert_int_equal(count_of(dom, row), 3);
	free(dom);
	helper_rmtree(dir);
}

/* A summary whose "usdt" is not what bpfprof writes: one line naming it. */
static void expect_bad_usdt(const char *usdt_json, const char *needle)
{
	char dir[64], path[128];
	struct captured c;
	json_t *sum;

	helper_tmpdir(dir, sizeof(dir));
	copy_dir(fixture_dir(), dir);
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	sum = helper_load_json(path);
	json_object_set_new(json_array_get(json_object_get(sum, "processes"), 1), "usdt",
			    json_loads(usdt_json, JSON_DECODE_ANY, NULL));
	assert_int_equal(json_dump_file(sum, path, 0), 0);
	json_decref(sum);
	report_run(&c, dir, NULL);
	expect_one_error_line(&c, needle);
	captured_free(&c);
	helper_rmtree(dir);
}

static void test_bad_usdt(void **state)
{
	expect_bad_usdt("{}", "summary.json: processes[1]: 'usdt' is not an array");
	expect_bad_usdt("[1]", "summary.json: processes[1].usdt[0]: not an object");
	expect_bad_usdt("[{\"provider\":\"app\",\"name\":\"x\",\"binary\":\"b\"}]",
			"summary.json: processes[1].usdt[0]: 'hits' is missing");
	expect_bad_usdt("[{\"provider\":\"app\",\"name\":\"x\",\"binary\":\"b\",\"hits\":-1}]",
			"summary.json: processes[1].usdt[0]: 'hits'");
	expect_bad_usdt("[{\"name\":\"x\",\"binary\":\"b\",\"hits\":1}]",
			"summary.json: processes[1].usdt[0]: 'provider' is missing");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),	  cmocka_unit_test(test_json_matches_summary),
		cmocka_unit_test(test_cut_short), cmocka_unit_test(test_html_in_chromium),
		cmocka_unit_test(test_bad_usdt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
