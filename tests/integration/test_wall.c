// SPDX-License-Identifier: MIT
/*
 * Where a stage's time goes (issue 18), against wall_target, whose stages
 * spin then sleep, wait for a mutex, wait for a pipe, wait for a CPU, touch
 * fresh pages and write to a file, a socket and a pipe: each share within
 * a few percent of what the target measured on its own clocks (the machine
 * may be loaded: the bounds are on what the target saw, not on the plan),
 * fault and I/O counts exact, and every stage's split summing to its self
 * time exactly, in the summary and in each flush.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/helper.h"
#include "lib/report_helper.h"
#include "targets/target_common.h"

/* A figure the target wrote to its result file. */
/* on_cpu + runqueue + blocked = self, blocked = its parts. */
static void check_sums_one(json_t *st, const char *what)
{
	long long blocked = helper_int(st, "wall.blocked_ns");

	if (helper_int(st, "wall.on_cpu_ns") + helper_int(st, "wall.runqueue_ns") + blocked !=
	    helper_int(st, "self_ns"))
		fail_msg("%s %s: on_cpu %lld + runqueue %lld + blocked %lld != self %lld", what,
			 json_string_value(json_object_get(st, "name")),
			 helper_int(st, "wall.on_cpu_ns"), helper_int(st, "wall.runqueue_ns"),
			 blocked, helper_int(st, "self_ns"));
	assert_int_equal(helper_int(st, "wall.blocked.io_ns") +
				 helper_int(st, "wall.blocked.lock_ns") +
				 helper_int(st, "wall.blocked.sleep_ns") +
				 helper_int(st, "wall.blocked.other_ns"),
			 blocked);
}

/* A stage blocked in one way (field) for about the target's hold: at
 * least half of it, at most what the target saw (wall_ns), and all of its
 * own time that it did not wait for a CPU. */
static void check_blocked(json_t *p, const char *stage, const char *field, long long wall_ns)
{
	long long v = helper_stage_int(p, stage, field);

	assert_true(v >= WALL_HOLD_NS / 2 && v <= wall_ns);
	helper_assert_within(v,
			     helper_stage_int(p, stage, "self_ns") -
				     helper_stage_int(p, stage, "wall.runqueue_ns"),
			     0.02, 200000, stage);
}

/* Every stage. */
static void check_sums(json_t *proc)
{
	json_t *st;
	size_t i;

	json_array_foreach (json_object_get(proc, "stages"), i, st)
		check_sums_one(st, "stage");
}

static void check_kind(json_t *st, const char *kind, long long ops, long long rd, long long wr)
{
	char key[96];

	snprintf(key, sizeof(key), "io.by_kind.%s.ops", kind);
	assert_int_equal(helper_int(st, key), ops);
	snprintf(key, sizeof(key), "io.by_kind.%s.bytes_read", kind);
	assert_int_equal(helper_int(st, key), rd);
	snprintf(key, sizeof(key), "io.by_kind.%s.bytes_written", kind);
	assert_int_equal(helper_int(st, key), wr);
}

static void check_wall(json_t *p, const char *result)
{
	long long self, on, spin_cpu, spin_wall, sleep_wall, sleep_ns;
	json_t *st;

	check_sums(p);

	/* Spin then sleep: on CPU what the thread's CPU clock says, asleep
	 * at least the nap and at most what the target saw around it. */
	spin_cpu = helper_result_value(result, "spin_cpu_ns");
	spin_wall = helper_result_value(result, "spin_wall_ns");
	sleep_wall = helper_result_value(result, "sleep_wall_ns");
	on = helper_stage_int(p, "wall_spin_sleep", "wall.on_cpu_ns");
	self = helper_stage_int(p, "wall_spin_sleep", "self_ns");
	sleep_ns = helper_stage_int(p, "wall_spin_sleep", "wall.blocked.sleep_ns");
	if (llabs(on - spin_cpu) > spin_cpu * 3 / 100 + 1000000)
		print_message(
			"spin_sleep: on %lld runq %lld sleep %lld self %lld; target: cpu %lld "
			"wall %lld sleep %lld schedstat run %lld wait %lld\n",
			on, helper_stage_int(p, "wall_spin_sleep", "wall.runqueue_ns"), sleep_ns,
			self, spin_cpu, spin_wall, sleep_wall,
			helper_result_value(result, "sched_run_ns"),
			helper_result_value(result, "sched_wait_ns"));
	helper_assert_within(on, spin_cpu, 0.03, 1000000, "spin_sleep on CPU");
	/* The kernel's schedstat: it ran as long as on CPU, and waited at
	 * most the runqueue time (in a VM, time the host stole while the
	 * thread ran is in neither of its figures, and in runqueue here). */
	helper_assert_within(on, helper_result_value(result, "sched_run_ns"), 0.03, 1000000,
			     "spin_sleep on CPU vs schedstat run");
	assert_true(helper_stage_int(p, "wall_spin_sleep", "wall.runqueue_ns") + 1000000 >=
		    helper_result_value(result, "sched_wait_ns"));
	assert_true(sleep_ns >= WALL_SLEEP_NS * 99 / 100 && sleep_ns <= sleep_wall);
	/* The shares, against the target's own clocks. */
	helper_assert_within(on * 1000 / self, spin_cpu * 1000 / (spin_wall + sleep_wall), 0.03, 10,
			     "spin_sleep on-CPU share (per mille)");
	assert_int_equal(helper_stage_int(p, "wall_spin_sleep", "wall.blocked.lock_ns"), 0);
	assert_int_equal(helper_stage_int(p, "wall_spin_sleep", "wall.blocked.io_ns"), 0);

	/* The mutex: blocked on a lock for the main thread's hold. */
	check_blocked(p, "wall_lock_wait", "wall.blocked.lock_ns",
		      helper_result_value(result, "lock_wall_ns"));
	assert_int_equal(helper_stage_int(p, "wall_lock_wait", "wall.blocked.io_ns"), 0);

	/* The pipe: blocked on I/O, one read of one byte from a pipe. */
	check_blocked(p, "wall_pipe_wait", "wall.blocked.io_ns",
		      helper_result_value(result, "pipe_wall_ns"));
	st = helper_find_stage(p, "wall_pipe_wait");
	check_kind(st, "pipe", 1, 1, 0);
	check_kind(st, "file", 0, 0, 0);

	/* Two threads on CPU 0: waiting for it about as long as running. */
	on = helper_stage_int(p, "wall_runq_wait", "wall.on_cpu_ns");
	self = helper_stage_int(p, "wall_runq_wait", "self_ns");
	helper_assert_within(on, WALL_RUNQ_CPU_NS, 0.03, 1000000, "runq_wait on CPU");
	assert_true(helper_stage_int(p, "wall_runq_wait", "wall.runqueue_ns") >= self / 4);
	helper_assert_within(self, helper_result_value(result, "runq_wall_ns"), 0.02, 200000,
			     "runq_wait self");

	/* Fresh pages: one minor fault each, no more. */
	assert_int_equal(helper_stage_int(p, "wall_touch_pages", "faults.minor"), WALL_PAGES);
	assert_int_equal(helper_stage_int(p, "wall_touch_pages", "faults.major"), 0);
	assert_true(helper_int(p, "faults.minor") >= WALL_PAGES);

	/* One write to each kind of file. */
	st = helper_find_stage(p, "wall_write_kinds");
	check_kind(st, "file", 1, 0, WALL_FILE_BYTES);
	check_kind(st, "socket", 1, 0, WALL_SOCKET_BYTES);
	check_kind(st, "pipe", 1, 0, WALL_PIPE_BYTES);
	check_kind(st, "tty", 0, 0, 0);
	check_kind(st, "other", 0, 0, 0);
	/* The process: those, the pipe wait's byte both ways, and its
	 * result file (a file). */
	assert_int_equal(helper_int(p, "io_by_kind.socket.ops"), 1);
	assert_int_equal(helper_int(p, "io_by_kind.socket.bytes_written"), WALL_SOCKET_BYTES);
	assert_int_equal(helper_int(p, "io_by_kind.pipe.bytes_written"), WALL_PIPE_BYTES + 1);
	assert_int_equal(helper_int(p, "io_by_kind.pipe.bytes_read"), 1);
	assert_true(helper_int(p, "io_by_kind.file.bytes_written") > WALL_FILE_BYTES);

	/* The process's threads were blocked at least as long as the stages. */
	assert_true(helper_int(p, "wall.blocked.lock_ns") >=
		    helper_stage_int(p, "wall_lock_wait", "wall.blocked.lock_ns"));
	assert_true(helper_int(p, "wall.blocked.sleep_ns") >= sleep_ns + 2 * WALL_HOLD_NS);
	assert_true(helper_int(p, "wall.on_cpu_ns") >= spin_cpu + WALL_RUNQ_CPU_NS);
}

/* The flushes add up to the summary, split and all. */
static void check_flushes(const char *dir, json_t *sum_proc, pid_t pid)
{
	static const char *const keys[] = { "self_ns",
					    "wall.on_cpu_ns",
					    "wall.runqueue_ns",
					    "wall.blocked.lock_ns",
					    "wall.blocked.io_ns",
					    "wall.blocked.sleep_ns",
					    "faults.minor" };
	json_t *flushes, *rec, *st;
	char path[512];
	size_t i, j;

	snprintf(path, sizeof(path), "%s/flushes.jsonl", dir);
	flushes = helper_load_jsonl(path);
	assert_non_null(flushes);
	json_array_foreach (json_object_get(sum_proc, "stages"), j, st) {
		const char *name = json_string_value(json_object_get(st, "name"));

		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			long long total = 0;

			json_array_foreach (flushes, i, rec) {
				json_t *p = helper_find_proc(rec, pid), *fs;

				fs = p ? helper_find_stage(p, name) : NULL;
				if (fs) {
					check_sums(p);
					total += helper_int(fs, keys[k]);
				}
			}
			if (total != helper_int(st, keys[k]))
				fail_msg("%s %s: flushes %lld, summary %lld", name, keys[k], total,
					 helper_int(st, keys[k]));
		}
	}
	json_decref(flushes);
}

/* A span of the events: its stage's name. */
static const char *span_name(json_t *sp)
{
	return json_string_value(json_object_get(sp, "name"));
}

/* The only span of a stage called once (the last, for one called more). */
static json_t *span_of(json_t *spans, const char *name, size_t nth)
{
	json_t *sp, *found = NULL;
	size_t i, seen = 0;

	json_array_foreach (spans, i, sp)
		if (!strcmp(span_name(sp), name) && seen++ == nth)
			found = sp;
	if (!found)
		fail_msg("no span %zu of %s", nth, name);
	return found;
}

/* Every span: on_cpu + runqueue + blocked = self_ns exactly, self_ns is
 * dur_ns less its children's (from the tree), and summed per stage the
 * spans give the STAGE record's split, faults and I/O by kind exactly. */
static void check_span_sums(json_t *spans, json_t *proc)
{
	static const char *const keys[] = {
		"self_ns",
		"wall.on_cpu_ns",
		"wall.runqueue_ns",
		"wall.blocked_ns",
		"wall.blocked.io_ns",
		"wall.blocked.lock_ns",
		"wall.blocked.sleep_ns",
		"wall.blocked.other_ns",
		"faults.minor",
		"faults.major",
		"io.by_kind.file.ops",
		"io.by_kind.file.bytes_written",
		"io.by_kind.socket.ops",
		"io.by_kind.socket.bytes_written",
		"io.by_kind.pipe.ops",
		"io.by_kind.pipe.bytes_read",
		"io.by_kind.pipe.bytes_written",
	};
	json_t *sp, *st, *child;
	size_t i, j;

	json_array_foreach (spans, i, sp) {
		long long self = helper_int(sp, "dur_ns"),
			  blocked = helper_int(sp, "wall.blocked_ns");
		const char *id = json_string_value(json_object_get(sp, "span_id"));

		check_sums_one(sp, "span");
		json_array_foreach (spans, j, child) {
			const char *parent = json_string_value(json_object_get(child, "parent_id"));

			if (parent && !strcmp(parent, id))
				self -= helper_int(child, "dur_ns");
		}
		assert_int_equal(helper_int(sp, "self_ns"), self);
		assert_true(blocked <= self);
	}
	json_array_foreach (json_object_get(proc, "stages"), i, st) {
		const char *name = json_string_value(json_object_get(st, "name"));

		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			long long total = 0;

			json_array_foreach (spans, j, sp) {
				if (strcmp(span_name(sp), name))
					continue;
				/* A span lists only the kinds it did I/O on. */
				if (!strncmp(keys[k], "io.by_kind.", 11)) {
					char kind[16];
					const char *dot = strchr(keys[k] + 11, '.');

					snprintf(kind, sizeof(kind), "%.*s",
						 (int)(dot - keys[k] - 11), keys[k] + 11);
					if (!json_object_get(
						    json_object_get(json_object_get(sp, "io"),
								    "by_kind"),
						    kind))
						continue;
				}
				total += helper_int(sp, keys[k]);
			}
			if (total != helper_int(st, keys[k]))
				fail_msg("%s %s: spans %lld, summary %lld", name, keys[k], total,
					 helper_int(st, keys[k]));
		}
	}
}

/* What the target did in each call, span by span. */
static void check_spans(const char *dir, json_t *proc, const char *result)
{
	long long spin_cpu = helper_result_value(result, "spin_cpu_ns"), v;
	json_t *spans, *sp, *outer, *inner;
	char path[512];

	snprintf(path, sizeof(path), "%s/events.jsonl", dir);
	spans = helper_load_jsonl(path);
	assert_non_null(spans);
	check_span_sums(spans, proc);

	/* Spin then sleep: the span is its one call, as the stage. */
	sp = span_of(spans, "wall_spin_sleep", 0);
	helper_assert_within(helper_int(sp, "wall.on_cpu_ns"), spin_cpu, 0.03, 1000000,
			     "spin_sleep span on CPU");
	v = helper_int(sp, "wall.blocked.sleep_ns");
	assert_true(v >= WALL_SLEEP_NS * 99 / 100 &&
		    v <= helper_result_value(result, "sleep_wall_ns"));

	/* Nested: each span holds its own nap, not its callee's. */
	outer = span_of(spans, "wall_outer", 0);
	inner = span_of(spans, "wall_inner", 0);
	assert_string_equal(json_string_value(json_object_get(inner, "parent_id")),
			    json_string_value(json_object_get(outer, "span_id")));
	assert_int_equal(helper_int(outer, "self_ns"),
			 helper_int(outer, "dur_ns") - helper_int(inner, "dur_ns"));
	for (int k = 0; k < 2; k++) {
		json_t *x = k ? inner : outer;

		v = helper_int(x, "wall.blocked.sleep_ns");
		if (v < WALL_NEST_NS * 99 / 100 || v > helper_int(x, "self_ns") ||
		    v > WALL_NEST_NS * 3 / 2)
			fail_msg("%s sleep %lld of self %lld", k ? "inner" : "outer", v,
				 helper_int(x, "self_ns"));
		assert_int_equal(helper_int(x, "wall.blocked.lock_ns"), 0);
		assert_int_equal(helper_int(x, "wall.blocked.io_ns"), 0);
	}

	/* Blocked on the mutex; on the pipe, its one byte read. */
	v = helper_int(span_of(spans, "wall_lock_wait", 0), "wall.blocked.lock_ns");
	assert_true(v >= WALL_HOLD_NS / 2 && v <= helper_result_value(result, "lock_wall_ns"));
	sp = span_of(spans, "wall_pipe_wait", 0);
	v = helper_int(sp, "wall.blocked.io_ns");
	assert_true(v >= WALL_HOLD_NS / 2 && v <= helper_result_value(result, "pipe_wall_ns"));
	assert_int_equal(helper_int(sp, "io.by_kind.pipe.ops"), 1);
	assert_int_equal(helper_int(sp, "io.by_kind.pipe.bytes_read"), 1);
	assert_int_equal(json_object_size(json_object_get(json_object_get(sp, "io"), "by_kind")),
			 1);

	/* Fresh pages: the second call's faults, exactly; none in the first. */
	assert_int_equal(helper_int(span_of(spans, "wall_touch_pages", 0), "faults.minor"), 0);
	assert_int_equal(helper_int(span_of(spans, "wall_touch_pages", 1), "faults.minor"),
			 WALL_PAGES);
	assert_int_equal(helper_int(span_of(spans, "wall_touch_pages", 1), "faults.major"), 0);

	/* One write to each kind of file, exact. */
	sp = span_of(spans, "wall_write_kinds", 0);
	assert_int_equal(helper_int(sp, "io.by_kind.file.bytes_written"), WALL_FILE_BYTES);
	assert_int_equal(helper_int(sp, "io.by_kind.socket.bytes_written"), WALL_SOCKET_BYTES);
	assert_int_equal(helper_int(sp, "io.by_kind.pipe.bytes_written"), WALL_PIPE_BYTES);
	assert_int_equal(helper_int(sp, "io.by_kind.file.ops") +
				 helper_int(sp, "io.by_kind.socket.ops") +
				 helper_int(sp, "io.by_kind.pipe.ops"),
			 helper_int(sp, "io.ops"));
	json_decref(spans);
}

/* bpfprof report on the run: the page shows each stage's split (the exact
 * figures in data-ns), faults and the I/O by kind; --trace each span's
 * split; --perfetto the split as args. */
static void check_report(const char *dir, const char *out, json_t *proc)
{
	char html[256], png[512], needle[160], trace[256];
	json_t *st, *t, *ev;
	struct captured c;
	long long x = 0;
	size_t i;
	char *dom;

	snprintf(html, sizeof(html), "%s/report.html", dir);
	report_run(&c, out, "--html", html, NULL);
	assert_int_equal(c.status, 0);
	captured_free(&c);
	snprintf(png, sizeof(png), "%s/report-wall.png", artifact_dir());
	dom = chromium_dump_dom(html, png);
	if (!strstr(dom, "data-rendered=\"ok\"") || strstr(dom, " data-script-error=\""))
		fail_msg("the page's script did not finish");
	assert_int_equal(count_of(dom, "id=\"stage-wall-table\""), 1);
	assert_int_equal(count_of(dom, "class=\"wall-bar\""),
			 (int)json_array_size(json_object_get(proc, "stages")));
	json_array_foreach (json_object_get(proc, "stages"), i, st) {
		static const char *const parts[][2] = {
			{ "on_cpu", "wall.on_cpu_ns" },	      { "runqueue", "wall.runqueue_ns" },
			{ "blocked", "wall.blocked_ns" },     { "io", "wall.blocked.io_ns" },
			{ "lock", "wall.blocked.lock_ns" },   { "sleep", "wall.blocked.sleep_ns" },
			{ "other", "wall.blocked.other_ns" },
		};

		for (size_t k = 0; k < sizeof(parts) / sizeof(parts[0]); k++) {
			snprintf(needle, sizeof(needle), "data-part=\"%s\" data-ns=\"%lld\"",
				 parts[k][0], helper_int(st, parts[k][1]));
			if (!strstr(dom, needle))
				fail_msg("%s: no %s in the page",
					 json_string_value(json_object_get(st, "name")), needle);
		}
	}
	snprintf(needle, sizeof(needle), "<td data-part=\"minor\">%d</td>", WALL_PAGES);
	assert_non_null(strstr(dom, needle));
	/* I/O by kind: the process's one socket write, and the stage's. */
	assert_non_null(strstr(dom, "<table id=\"io-by-kind\">"));
	assert_non_null(strstr(dom, "<td>socket</td><td>1</td><td>0B</td><td>300B</td>"));
	assert_non_null(strstr(dom, "<table id=\"stage-io-by-kind\">"));
	assert_non_null(strstr(dom, "<td class=\"name\">wall_write_kinds (pid "));
	free(dom);

	/* Perfetto: the split as each slice's args. */
	snprintf(trace, sizeof(trace), "%s/t.json", dir);
	report_run(&c, out, "--perfetto", trace, NULL);
	assert_int_equal(c.status, 0);
	captured_free(&c);
	t = helper_load_json(trace);
	assert_non_null(t);
	json_array_foreach (json_object_get(t, "traceEvents"), i, ev) {
		json_t *a = json_object_get(ev, "args");
		const char *name = json_string_value(json_object_get(ev, "name"));

		if (strcmp(json_string_value(json_object_get(ev, "ph")), "X"))
			continue;
		x++;
		assert_int_equal(helper_int(a, "on_cpu_ns") + helper_int(a, "runqueue_ns") +
					 helper_int(a, "blocked_io_ns") +
					 helper_int(a, "blocked_lock_ns") +
					 helper_int(a, "blocked_sleep_ns") +
					 helper_int(a, "blocked_other_ns"),
				 helper_int(a, "self_ns"));
		if (!strcmp(name, "wall_lock_wait"))
			assert_true(helper_int(a, "blocked_lock_ns") >= WALL_HOLD_NS / 2);
	}
	assert_true(x >= (long long)json_array_size(json_object_get(proc, "stages")));
	json_decref(t);

	report_run(&c, out, NULL);
	assert_int_equal(c.status, 0);
	assert_non_null(strstr(c.out, "== Where the stages' self time goes"));
	captured_free(&c);
}

/* --trace ID of the lock wait's span: its split in brackets, all lock. */
static void check_trace_text(const char *out)
{
	json_t *spans, *sp;
	struct captured c;
	char path[512];

	snprintf(path, sizeof(path), "%s/events.jsonl", out);
	spans = helper_load_jsonl(path);
	sp = span_of(spans, "wall_lock_wait", 0);
	report_run(&c, out, "--trace", json_string_value(json_object_get(sp, "trace_id")), NULL);
	assert_int_equal(c.status, 0);
	if (!strstr(c.out, "  wall_lock_wait  ") || !strstr(c.out, "  [cpu ") ||
	    !strstr(c.out, " (lock "))
		fail_msg("--trace: %s", c.out);
	captured_free(&c);
	json_decref(spans);
}

static void test_wall_command(void **state)
{
	char dir[64], out[128], bin[256], target[256], result[128];
	struct proc_run r;
	json_t *s, *p;
	pid_t pid;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(result, sizeof(result), "%s/result", dir);
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/wall_target");
	char *argv[] = { bin,  "-q",	 "-i", "0.05", "-o",   out, "--events",
			 "-u", "wall_*", "--", target, result, NULL };

	assert_int_equal(helper_run(argv, 60, &r), 0);
	s = helper_load_json_in(out, "summary.json");
	pid = (pid_t)helper_int(s, "target.pid");
	p = helper_find_proc(s, pid);
	assert_non_null(p);
	check_wall(p, result);
	check_flushes(out, p, pid);
	check_spans(out, p, result);
	check_report(dir, out, p);
	check_trace_text(out);
	json_decref(s);
	helper_rmtree(dir);
}

/* Without -u the process still gets its split, faults and kinds. */
static void test_wall_process_only(void **state)
{
	char dir[64], out[128], bin[256], target[256], result[128];
	struct proc_run r;
	json_t *s, *p;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(result, sizeof(result), "%s/result", dir);
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/wall_target");
	char *argv[] = { bin, "-q", "-o", out, "--", target, result, NULL };

	assert_int_equal(helper_run(argv, 60, &r), 0);
	s = helper_load_json_in(out, "summary.json");
	p = helper_find_proc(s, (pid_t)helper_int(s, "target.pid"));
	assert_non_null(p);
	assert_true(helper_int(p, "wall.blocked.lock_ns") >= WALL_HOLD_NS / 2);
	assert_true(helper_int(p, "wall.blocked.io_ns") >= WALL_HOLD_NS / 2);
	assert_true(helper_int(p, "wall.blocked.sleep_ns") >= WALL_SLEEP_NS + 2 * WALL_HOLD_NS);
	assert_true(helper_int(p, "wall.runqueue_ns") > 0);
	assert_true(helper_int(p, "faults.minor") >= WALL_PAGES);
	assert_int_equal(helper_int(p, "io_by_kind.socket.bytes_written"), WALL_SOCKET_BYTES);
	assert_int_equal(helper_int(p, "io_by_kind.pipe.bytes_written"), WALL_PIPE_BYTES + 1);
	json_decref(s);
	helper_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wall_command),
		cmocka_unit_test(test_wall_process_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
