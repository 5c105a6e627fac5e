// SPDX-License-Identifier: MIT
/*
 * Inputs the fuzzers found that broke bpfprof, as unit tests (each input is
 * also in tests/fuzz/corpus/, so every fuzz run replays it). Some of these
 * were undefined behaviour that only UBSan sees: `make test SANITIZE=1`
 * (run in CI) fails on them, the plain build checks the results.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "report/report.h"
#include "lib/helper.h"

static void put(const char *dir, const char *name, const char *text)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* fuzz_report, corpus/report/regress-empty-events: an events file with no
 * span made report_build_traces qsort a NULL array. A run killed before its
 * first stage call returned leaves exactly this. */
static void test_report_events_without_spans(void **state)
{
	char dir[64], err[256];
	struct report r;
	FILE *sink = fopen("/dev/null", "w");
	json_t *j;

	helper_tmpdir(dir, sizeof(dir));
	put(dir, "summary.json",
	    "{\"schema\":\"bpfprof.summary.v1\",\"processes\":[],\"audit\":{}}");
	put(dir, "flushes.jsonl", "");
	put(dir, "events.jsonl", "");
	if (report_load(dir, &r, err, sizeof(err)))
		fail_msg("report_load: %s", err);
	assert_true(r.have_events);
	assert_int_equal(r.n_spans, 0);
	assert_int_equal(r.n_traces, 0);
	assert_int_equal(r.n_procs, 0);
	/* Every writer copes with a run that has nothing in it. */
	assert_non_null(sink);
	report_print_text(sink, &r, 5);
	j = report_to_json(&r, 5);
	assert_non_null(j);
	json_decref(j);
	assert_int_equal(report_write_html(sink, &r, 5), 0);
	assert_int_equal(report_write_perfetto(sink, &r), 0);
	assert_int_equal(report_print_trace(sink, &r, "0000000000000001"), -1);
	fclose(sink);
	report_free(&r);
	helper_rmtree(dir);
}

/* fuzz_report, corpus/report/regress-proc-without-io: report_to_json leaked
 * an empty array for every process that did no I/O (a --follow child that
 * only computes, most processes of a whole-machine run); LeakSanitizer
 * sees the leak, the plain build checks such a process is left out. */
static void test_report_process_without_io(void **state)
{
	char dir[64], err[256];
	struct report r;
	json_t *j, *io;

	helper_tmpdir(dir, sizeof(dir));
	put(dir, "summary.json",
	    "{\"schema\":\"bpfprof.summary.v1\",\"audit\":{},\"processes\":["
	    "{\"pid\":7,\"comm\":\"quiet\",\"syscalls\":{\"getpid\":{\"count\":3,"
	    "\"errors\":0,\"time_ns\":90}},\"io\":{},\"io_totals\":{\"ops\":0,"
	    "\"bytes_read\":0,\"bytes_written\":0,\"errors\":0},\"stages\":[]},"
	    "{\"pid\":8,\"comm\":\"busy\",\"syscalls\":{\"write\":{\"count\":1,"
	    "\"errors\":0,\"time_ns\":50}},\"io\":{\"write\":{\"ops\":1,\"bytes\":10,"
	    "\"errors\":0,\"time_ns\":50,\"latency_ns\":{\"p50\":50,\"p95\":50,"
	    "\"p99\":50,\"max\":50}}},\"io_totals\":{\"ops\":1,\"bytes_read\":0,"
	    "\"bytes_written\":10,\"errors\":0},\"stages\":[]}]}");
	put(dir, "flushes.jsonl", "");
	if (report_load(dir, &r, err, sizeof(err)))
		fail_msg("report_load: %s", err);
	assert_int_equal(r.n_procs, 2);
	j = report_to_json(&r, 5);
	assert_non_null(j);
	io = json_object_get(j, "io");
	assert_int_equal(json_array_size(io), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(io, 0), "pid")), 8);
	json_decref(j);
	report_free(&r);
	helper_rmtree(dir);
}

#define EMPTY_SUMMARY "{\"schema\":\"bpfprof.summary.v1\",\"processes\":[],\"audit\":{}}"

/* report_load on dir must fail, quickly, with an error holding want. A
 * FIFO used to block the read forever: the alarm turns that into a failure. */
static void expect_load_error(const char *dir, const char *want)
{
	char err[512];
	struct report r;

	alarm(20);
	if (!report_load(dir, &r, err, sizeof(err)))
		fail_msg("report_load accepted %s", dir);
	alarm(0);
	if (!strstr(err, want))
		fail_msg("error '%s' does not say '%s'", err, want);
	report_free(&r);
}

/* corpus/report/regress-fifo-flushes and regress-fifo-events. */
static void test_report_refuses_fifos(void **state)
{
	static const char *const names[] = { "summary.json", "flushes.jsonl", "events.jsonl.1" };
	char dir[64], path[128];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		helper_tmpdir(dir, sizeof(dir));
		put(dir, "summary.json", EMPTY_SUMMARY);
		put(dir, "flushes.jsonl", "");
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
		assert_int_equal(mkfifo(path, 0600), 0);
		expect_load_error(dir, "not a regular file (a FIFO)");
		helper_rmtree(dir);
	}
}

/* corpus/report/regress-symlink-summary: a summary.json pointing at a
 * file the reader can read but the directory's owner cannot (/etc/shadow)
 * used to echo its first word in the error. */
static void test_report_refuses_symlinks(void **state)
{
	char dir[64], secret[128], path[128], err[512];
	struct report r;

	helper_tmpdir(dir, sizeof(dir));
	snprintf(secret, sizeof(secret), "%s/secret", dir);
	put(dir, "secret", "hunter:x:0:0\n");
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	assert_int_equal(symlink(secret, path), 0);
	put(dir, "flushes.jsonl", "");
	assert_int_not_equal(report_load(dir, &r, err, sizeof(err)), 0);
	report_free(&r);
	assert_null(strstr(err, "hunter"));
	expect_load_error(dir, "summary.json: is a symbolic link: not following it");
	/* The same for the JSONL files. */
	unlink(path);
	put(dir, "summary.json", EMPTY_SUMMARY);
	snprintf(path, sizeof(path), "%s/events.jsonl", dir);
	assert_int_equal(symlink(secret, path), 0);
	expect_load_error(dir, "events.jsonl: is a symbolic link: not following it");
	helper_rmtree(dir);
}

/* corpus/report/regress-long-line (against the fuzzer's lower cap): a few
 * hundred KB of gzip expanding to one line longer than the cap used to be
 * read whole (4 GiB took 2.1 GB of memory) and end in a misleading error. */
static void test_report_caps_line_length(void **state)
{
	char dir[64], path[128], chunk[1 << 16];
	size_t left = REPORT_LINE_LIMIT + sizeof(chunk);
	gzFile gz;

	helper_tmpdir(dir, sizeof(dir));
	put(dir, "summary.json", EMPTY_SUMMARY);
	snprintf(path, sizeof(path), "%s/flushes.jsonl", dir);
	gz = gzopen(path, "wb1");
	assert_non_null(gz);
	memset(chunk, 'a', sizeof(chunk));
	assert_int_equal(gzwrite(gz, "{\"x\":\"", 6), 6);
	for (; left; left -= sizeof(chunk))
		assert_int_equal(gzwrite(gz, chunk, sizeof(chunk)), (int)sizeof(chunk));
	assert_int_equal(gzclose(gz), Z_OK);
	expect_load_error(dir, "flushes.jsonl:1: line longer than 134217728 bytes");
	helper_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_events_without_spans),
		cmocka_unit_test(test_report_process_without_io),
		cmocka_unit_test(test_report_refuses_fifos),
		cmocka_unit_test(test_report_refuses_symlinks),
		cmocka_unit_test(test_report_caps_line_length),
	};

	return cmocka_run_group_tests_name("fuzz_regressions", tests, NULL, NULL);
}
