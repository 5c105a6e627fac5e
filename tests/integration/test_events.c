// SPDX-License-Identifier: MIT
/*
 * Integration: --events against span_target, whose call trees and I/O are
 * known (target_common.h). Every span is present once; parent and trace ids
 * form the known trees; a span lasts at least as long as its children, and
 * inside its parent; I/O is charged as the target does it; the span counts
 * equal the aggregate stage counts; nothing lost. Rotation by size and by
 * time with gzip (every file decompressed and every line checked); and a
 * ring and queue small enough to overflow, where lost + dropped + written
 * must equal the calls exactly.
 */
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#include "lib/helper.h"
#include "targets/target_common.h"

#define SPANS_PER_ROOT (1 + SPAN_MIDS + SPAN_MIDS * SPAN_LEAVES)

struct run {
	char dir[64];
	char out[128];
	json_t *summary;
	json_t *spans; /* every line of every events file, in file order */
	pid_t pid;
};

/* Every line of path (gzip or plain) appended to into; fails the test on a
 * partial or invalid line. *bytes: the (decompressed) size. */
static size_t read_events_file(const char *path, json_t *into, size_t *bytes)
{
	gzFile gz = gzopen(path, "rb");
	char line[8192];
	size_t n = 0;

	if (!gz)
		fail_msg("%s: cannot open", path);
	*bytes = 0;
	while (gzgets(gz, line, sizeof(line))) {
		size_t len = strlen(line);
		json_error_t e;
		json_t *j;

		if (!len || line[len - 1] != '\n')
			fail_msg("%s: line %zu is partial", path, n + 1);
		j = json_loadb(line, len, 0, &e);
		if (!j)
			fail_msg("%s: line %zu is not JSON: %s", path, n + 1, e.text);
		json_array_append_new(into, j);
		*bytes += len;
		n++;
	}
	if (gzclose(gz) != Z_OK)
		fail_msg("%s: gzip stream incomplete or corrupt", path);
	return n;
}

/* Reads every file the summary lists, in order. max_file: each file's
 * (decompressed) size must stay within it (0: no limit). */
static void load_spans(struct run *r, size_t max_file)
{
	json_t *files = json_object_get(json_object_get(r->summary, "events"), "files"), *name;
	size_t i;

	assert_true(json_array_size(files) >= 1);
	r->spans = json_array();
	json_array_foreach (files, i, name) {
		char path[512];
		size_t bytes;

		snprintf(path, sizeof(path), "%s/%s", r->out, json_string_value(name));
		read_events_file(path, r->spans, &bytes);
		if (max_file && bytes > max_file)
			fail_msg("%s: %zu bytes, past the rotation size %zu", path, bytes,
				 max_file);
	}
}

static int run_bpfprof(struct run *r, const char *const *opts, const char *const *target)
{
	char bpfprof[256], tgt[256];
	char *argv[40];
	struct proc_run pr;
	int argc = 0, rc;

	if (!r->dir[0]) {
		memset(r, 0, sizeof(*r));
		helper_tmpdir(r->dir, sizeof(r->dir));
		snprintf(r->out, sizeof(r->out), "%s/out", r->dir);
	}
	argv[argc++] = helper_path(bpfprof, sizeof(bpfprof), "bpfprof");
	argv[argc++] = "-q";
	argv[argc++] = "-i";
	argv[argc++] = "0.2";
	argv[argc++] = "-o";
	argv[argc++] = r->out;
	argv[argc++] = "--events";
	argv[argc++] = "-u";
	argv[argc++] = "span_*";
	while (*opts)
		argv[argc++] = (char *)*opts++;
	argv[argc++] = "--";
	argv[argc++] = helper_path(tgt, sizeof(tgt), "targets/span_target");
	while (*target)
		argv[argc++] = (char *)*target++;
	argv[argc] = NULL;
	rc = helper_run(argv, 120, &pr);
	if (rc)
		print_error("bpfprof exited %d: %s\n", rc, pr.err);
	assert_int_equal(rc, 0);
	r->summary = helper_load_json_in(r->out, "summary.json");
	r->pid = (pid_t)helper_int(r->summary, "target.pid");
	assert_true(r->pid > 0);
	assert_int_equal(helper_int(r->summary, "target.exit_status"), 0);
	return rc;
}

static void run_free(struct run *r)
{
	json_decref(r->summary);
	json_decref(r->spans);
	helper_rmtree(r->dir);
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (!s)
		fail_msg("span without a string %s", key);
	return s;
}

/* The expected parent stage of each stage, and its children per call. */
static const char *parent_of(const char *name)
{
	if (!strcmp(name, "span_leaf"))
		return "span_mid";
	if (!strcmp(name, "span_mid"))
		return "span_root";
	if (!strcmp(name, "span_chain"))
		return "span_chain";
	return NULL;
}

struct expect {
	int root_threads; /* threads that called span_root, SPAN_ROOTS times each */
	int roots_per_thread;
	int chains;
};

/*
 * The spans form exactly the target's trees: every span once, each parent
 * present, in the same trace and thread, enclosing its children in time; the
 * right number of children of the right stage; the known I/O.
 */
static void check_trees(struct run *r, const struct expect *x)
{
	size_t n = json_array_size(r->spans), i;
	size_t want = (size_t)x->root_threads * x->roots_per_thread * SPANS_PER_ROOT +
		      (size_t)x->chains * (SPAN_CHAIN_DEPTH + 1);
	json_t *by_id = json_object(), *per_trace = json_object(), *tids = json_object(), *s;
	long long *children = calloc(n, sizeof(long long)),
		  *child_ns = calloc(n, sizeof(long long));
	long long roots = 0, chain_ends = 0;

	assert_int_equal(n, want);
	json_array_foreach (r->spans, i, s) {
		if (json_object_get(by_id, str(s, "span_id")))
			fail_msg("span %s twice", str(s, "span_id"));
		json_object_set_new(by_id, str(s, "span_id"), json_integer((json_int_t)i));
		assert_int_equal(helper_int(s, "pid"), r->pid);
		assert_int_equal(strlen(str(s, "trace_id")), 16);
		assert_non_null(strstr(str(s, "binary"), "span_target"));
	}
	json_array_foreach (r->spans, i, s) {
		const char *name = str(s, "name"), *trace = str(s, "trace_id");
		json_t *pid_j = json_object_get(s, "parent_id"), *parent, *cnt, *pj;
		size_t pi;
		long long start = helper_int(s, "start_ns"), dur = helper_int(s, "dur_ns");

		assert_true(dur > 0);
		cnt = json_object_get(per_trace, trace);
		json_object_set_new(per_trace, trace,
				    json_integer(cnt ? json_integer_value(cnt) + 1 : 1));
		if (json_is_null(pid_j)) {
			/* A root: its own trace, and a stage that is called at the top. */
			assert_string_equal(trace, str(s, "span_id"));
			assert_true(!strcmp(name, "span_root") || !strcmp(name, "span_chain"));
			if (!strcmp(name, "span_root")) {
				char tid[32];

				snprintf(tid, sizeof(tid), "%lld", helper_int(s, "tid"));
				cnt = json_object_get(tids, tid);
				json_object_set_new(
					tids, tid,
					json_integer(cnt ? json_integer_value(cnt) + 1 : 1));
			}
			roots++;
			continue;
		}
		pj = json_object_get(by_id, json_string_value(pid_j));
		if (!pj)
			fail_msg("span %s: parent %s missing", str(s, "span_id"),
				 json_string_value(pid_j));
		pi = (size_t)json_integer_value(pj);
		parent = json_array_get(r->spans, pi);
		assert_non_null(parent_of(name));
		assert_string_equal(str(parent, "name"), parent_of(name));
		assert_string_equal(str(parent, "trace_id"), trace);
		assert_int_equal(helper_int(parent, "tid"), helper_int(s, "tid"));
		/* Inside its parent's time. */
		assert_true(start >= helper_int(parent, "start_ns"));
		assert_true(start + dur <=
			    helper_int(parent, "start_ns") + helper_int(parent, "dur_ns"));
		children[pi]++;
		child_ns[pi] += dur;
	}
	for (i = 0; i < n; i++) {
		json_t *sp = json_array_get(r->spans, i);
		const char *name = str(sp, "name");

		/* A span lasts at least as long as its children together. */
		assert_true(helper_int(sp, "dur_ns") >= child_ns[i]);
		if (!strcmp(name, "span_root")) {
			assert_int_equal(children[i], SPAN_MIDS);
			assert_int_equal(helper_int(sp, "io.ops"), 1);
			assert_int_equal(helper_int(sp, "io.bytes_read"), SPAN_ROOT_READ);
			assert_int_equal(helper_int(sp, "io.bytes_written"), 0);
			assert_int_equal(
				json_integer_value(json_object_get(per_trace, str(sp, "span_id"))),
				SPANS_PER_ROOT);
		} else if (!strcmp(name, "span_mid")) {
			assert_int_equal(children[i], SPAN_LEAVES);
			assert_int_equal(helper_int(sp, "io.ops"), 1);
			assert_int_equal(helper_int(sp, "io.bytes_read"), 0);
			assert_int_equal(helper_int(sp, "io.bytes_written"), SPAN_MID_WRITE);
		} else if (!strcmp(name, "span_leaf")) {
			assert_int_equal(children[i], 0);
			assert_int_equal(helper_int(sp, "io.ops"), 1);
			assert_int_equal(helper_int(sp, "io.bytes_written"), SPAN_LEAF_WRITE);
		} else if (!strcmp(name, "span_chain")) {
			assert_true(children[i] <= 1);
			chain_ends += children[i] == 0;
			assert_int_equal(helper_int(sp, "io.ops"), 0);
			if (json_is_null(json_object_get(sp, "parent_id")))
				assert_int_equal(json_integer_value(json_object_get(
							 per_trace, str(sp, "span_id"))),
						 SPAN_CHAIN_DEPTH + 1);
		} else {
			fail_msg("unexpected stage %s", name);
		}
		if (helper_int(sp, "io.ops") > 0)
			assert_true(helper_int(sp, "io.time_ns") > 0);
	}
	assert_int_equal(roots, x->root_threads * x->roots_per_thread + x->chains);
	assert_int_equal(chain_ends, x->chains);
	assert_int_equal(json_object_size(per_trace), roots);
	/* Each thread's roots, on their own thread. */
	assert_int_equal(json_object_size(tids), x->root_threads);
	{
		const char *k;
		json_t *v;

		json_object_foreach (tids, k, v)
			assert_int_equal(json_integer_value(v), x->roots_per_thread);
	}
	/* As many spans as the aggregate counted calls, stage by stage. */
	{
		static const char *const names[] = {"span_root", "span_mid", "span_leaf",
						    "span_chain"};

		for (size_t k = 0; k < 4; k++) {
			long long spans = 0;
			json_t *sp;

			json_array_foreach (r->spans, i, sp)
				spans += !strcmp(str(sp, "name"), names[k]);
			assert_int_equal(spans, helper_stage_calls(helper_find_proc(r->summary, r->pid), names[k]));
		}
	}
	free(children);
	free(child_ns);
	json_decref(by_id);
	json_decref(per_trace);
	json_decref(tids);
}

/* Nothing lost, dropped or unwritten; written = spans; the flush records'
 * event counters sum to the summary's. */
static void check_no_loss(struct run *r)
{
	static const char *const keys[] = {"span_events_lost_ring_full",
					   "span_events_dropped_queue_full",
					   "span_events_not_written", "span_events_written"};
	json_t *audit = json_object_get(r->summary, "audit"), *flushes, *rec;
	char path[256];
	size_t i;

	assert_int_equal(helper_int(audit, "span_events_lost_ring_full"), 0);
	assert_int_equal(helper_int(audit, "span_events_dropped_queue_full"), 0);
	assert_int_equal(helper_int(audit, "span_events_not_written"), 0);
	assert_int_equal(helper_int(audit, "lost_total"), 0);
	assert_int_equal(helper_int(audit, "span_events_written"), json_array_size(r->spans));
	snprintf(path, sizeof(path), "%s/flushes.jsonl", r->out);
	flushes = helper_load_jsonl(path);
	assert_non_null(flushes);
	for (size_t k = 0; k < 4; k++) {
		long long sum = 0;

		json_array_foreach (flushes, i, rec) {
			long long v = helper_int(json_object_get(rec, "audit"), keys[k]);

			assert_true(v >= 0);
			sum += v;
		}
		assert_int_equal(sum, helper_int(audit, keys[k]));
	}
	json_decref(flushes);
}

static void test_events_tree(void **state)
{
	static const char *const opts[] = {NULL};
	static const char *const target[] = {"tree", NULL};
	struct expect x = {1 + SPAN_THREADS, SPAN_ROOTS, SPAN_CHAINS};
	struct run r = { .dir = "" };

	REQUIRE_ROOT_BPF();
	run_bpfprof(&r, opts, target);
	load_spans(&r, 0);
	assert_int_equal(
		json_array_size(json_object_get(json_object_get(r.summary, "events"), "files")), 1);
	check_trees(&r, &x);
	check_no_loss(&r);
	run_free(&r);
}

/* Rotated names in order, .gz once compressed; the newest is events.jsonl. */
static void check_rotated_names(struct run *r, size_t min_files)
{
	json_t *files = json_object_get(json_object_get(r->summary, "events"), "files"), *name;
	size_t i, n = json_array_size(files);

	if (n < min_files)
		fail_msg("%zu event files, expected at least %zu", n, min_files);
	json_array_foreach (files, i, name) {
		char want[64];

		if (i + 1 < n)
			snprintf(want, sizeof(want), "events.jsonl.%zu.gz", i + 1);
		else
			snprintf(want, sizeof(want), "events.jsonl");
		assert_string_equal(json_string_value(name), want);
	}
	/* Nothing else: no plain twin, no temp file. */
	assert_int_equal(helper_dir_entries(r->out), (int)n + 2);
}

static void test_events_rotate_bytes_gzip(void **state)
{
	static const char *const opts[] = {"--rotate-bytes", "4K", "--rotate-gzip", NULL};
	static const char *const target[] = {"tree", NULL};
	struct expect x = {1 + SPAN_THREADS, SPAN_ROOTS, SPAN_CHAINS};
	struct run r = { .dir = "" };

	REQUIRE_ROOT_BPF();
	run_bpfprof(&r, opts, target);
	load_spans(&r, 4096);
	/* ~250-byte lines: 575 of them need well over 20 files of 4 KiB. */
	check_rotated_names(&r, 20);
	check_trees(&r, &x);
	check_no_loss(&r);
	run_free(&r);
}

static void test_events_rotate_secs_gzip(void **state)
{
	/* 30 roots 50 ms apart: at least 1.5 s, so at least 5 rotation times. */
	static const char *const opts[] = {"--rotate-secs", "0.25", "--rotate-gzip", NULL};
	static const char *const target[] = {"paced", "30", "50000", NULL};
	struct expect x = {1, 30, 0};
	struct run r = { .dir = "" };

	REQUIRE_ROOT_BPF();
	run_bpfprof(&r, opts, target);
	load_spans(&r, 0);
	check_rotated_names(&r, 3);
	check_trees(&r, &x);
	check_no_loss(&r);
	run_free(&r);
}

/* A second run in the same directory replaces the first one's events,
 * rotated and compressed files included: DIR holds one run's files. */
static void test_events_rerun_replaces_previous(void **state)
{
	static const char *const rotating[] = { "--rotate-bytes", "4K", "--rotate-gzip", NULL };
	static const char *const plain[] = { NULL };
	static const char *const target[] = { "tree", NULL };
	struct expect x = { 1 + SPAN_THREADS, SPAN_ROOTS, SPAN_CHAINS };
	struct run r = { .dir = "" };

	REQUIRE_ROOT_BPF();
	run_bpfprof(&r, rotating, target);
	check_rotated_names(&r, 20);
	json_decref(r.summary);
	r.summary = NULL;
	run_bpfprof(&r, plain, target);
	load_spans(&r, 0);
	check_rotated_names(&r, 1);
	check_trees(&r, &x);
	check_no_loss(&r);
	run_free(&r);
}

/* A one-page ring and a one-record queue under a flood of calls: whatever
 * is not written is counted, exactly. */
static void test_events_overflow_accounted(void **state)
{
	static const char *const opts[] = {"--events-ring-bytes", "4096", "--events-queue", "1",
					   NULL};
	static const char *const target[] = {"flood", "200000", NULL};
	struct run r = { .dir = "" };
	json_t *audit, *s;
	long long lost, dropped, written, unwritten;
	size_t i;

	REQUIRE_ROOT_BPF();
	run_bpfprof(&r, opts, target);
	load_spans(&r, 0);
	audit = json_object_get(r.summary, "audit");
	lost = helper_int(audit, "span_events_lost_ring_full");
	dropped = helper_int(audit, "span_events_dropped_queue_full");
	written = helper_int(audit, "span_events_written");
	unwritten = helper_int(audit, "span_events_not_written");
	print_message("flood: %lld lost (ring), %lld dropped (queue), %lld written\n", lost,
		      dropped, written);
	assert_int_equal(helper_stage_calls(helper_find_proc(r.summary, r.pid), "span_flood"), 200000);
	assert_int_equal(unwritten, 0);
	assert_int_equal(written, json_array_size(r.spans));
	assert_int_equal(lost + dropped + written, 200000);
	/* Both limits were hit, and both losses count in lost_total. */
	assert_true(lost > 0);
	assert_true(dropped > 0);
	assert_true(helper_int(audit, "lost_total") >= lost + dropped);
	assert_int_equal(helper_int(json_object_get(r.summary, "events"), "ring_bytes"), 4096);
	json_array_foreach (r.spans, i, s) {
		assert_string_equal(str(s, "name"), "span_flood");
		assert_true(json_is_null(json_object_get(s, "parent_id")));
	}
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events_tree),
		cmocka_unit_test(test_events_rotate_bytes_gzip),
		cmocka_unit_test(test_events_rotate_secs_gzip),
		cmocka_unit_test(test_events_rerun_replaces_previous),
		cmocka_unit_test(test_events_overflow_accounted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
