// SPDX-License-Identifier: MIT
/*
 * Integration: USDT pairs (-U) and bpfprof markers (-m) timed as stages.
 * usdt_target (sys/sdt.h, semaphores) and marker_target do exactly what
 * usdt_common.h says; Debian's python3.11 runs a script whose calls the
 * test knows. Bad specs and a malformed note are one line, exit 1, nothing
 * written.
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/helper.h"
#include "lib/report_helper.h"
#include "targets/usdt_common.h"

#define MAX(a, b) ((a) > (b) ? (a) : (b))

static long long stage_int(json_t *proc, const char *name, const char *field)
{
	json_t *st = helper_find_stage(proc, name);

	if (!st)
		fail_msg("stage %s missing", name);
	return helper_int(st, field);
}

/* Runs bpfprof with @args (NULL-terminated) into a fresh DIR/out; returns
 * the summary (the caller frees it and removes @dir). */
static json_t *profile(char *dir, size_t dirlen, const char *const *args, pid_t *pid)
{
	char bin[256], out[128];
	char *argv[32];
	struct proc_run r;
	json_t *s;
	int n = 0;

	helper_tmpdir(dir, dirlen);
	snprintf(out, sizeof(out), "%s/out", dir);
	helper_path(bin, sizeof(bin), "bpfprof");
	argv[n++] = bin;
	argv[n++] = "-q";
	argv[n++] = "-o";
	argv[n++] = out;
	for (int i = 0; args[i]; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	if (helper_run(argv, 120, &r) != 0)
		fail_msg("bpfprof failed: %s", r.err);
	s = helper_load_json_in(out, "summary.json");
	*pid = (pid_t)helper_int(s, "target.pid");
	return s;
}

static void test_sdt_pairs(void **state)
{
	char dir[64], target[256], result[128], line[32], batch[400];
	pid_t pid;
	json_t *s, *proc;
	FILE *f;

	REQUIRE_ROOT_BPF();
	helper_path(target, sizeof(target), "targets/usdt_target");
	snprintf(result, sizeof(result), "/tmp/bpfprof_usdt_result.%d", getpid());
	/* The binary named, or not. */
	snprintf(batch, sizeof(batch), "%s:app:batch__start..batch__done", target);
	const char *args[] = { "-U", "app:req__start..req__done", "-U", batch, "-U",
			       "app:job__begin..job__end", "--", target, result, NULL };

	s = profile(dir, sizeof(dir), args, &pid);
	proc = helper_find_proc(s, pid);
	assert_non_null(proc);
	assert_int_equal(stage_int(proc, "app:req__start..req__done", "calls"),
			 USDT_BATCHES * USDT_REQS_PER_BATCH);
	assert_int_equal(stage_int(proc, "app:batch__start..batch__done", "calls"), USDT_BATCHES);
	/* Nesting: a batch's self time is its total minus its requests'. */
	assert_int_equal(stage_int(proc, "app:batch__start..batch__done", "self_ns"),
			 stage_int(proc, "app:batch__start..batch__done", "total_ns") -
				 stage_int(proc, "app:req__start..req__done", "total_ns"));
	/* I/O charged to the pair that did it. */
	assert_int_equal(stage_int(proc, "app:req__start..req__done", "io.bytes_written"),
			 USDT_BATCHES * USDT_REQS_PER_BATCH * USDT_REQ_WRITE);
	assert_int_equal(stage_int(proc, "app:batch__start..batch__done", "io.ops"), 0);
	/* The job probes fire only behind their semaphores: armed. */
	assert_int_equal(stage_int(proc, "app:job__begin..job__end", "calls"), USDT_JOBS);
	f = fopen(result, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	unlink(result);
	assert_int_equal(atoi(line), USDT_JOBS);
	assert_int_equal(helper_int(s, "audit.stage_returns_without_entry"), 0);
	assert_int_equal(helper_int(s, "audit.stage_calls_unfinished"), 0);
	json_decref(s);
	helper_rmtree(dir);
}

static long long usdt_hits(json_t *proc, const char *name)
{
	json_t *u;
	size_t i;

	json_array_foreach(json_object_get(proc, "usdt"), i, u)
		if (!strcmp(json_string_value(json_object_get(u, "name")), name))
			return helper_int(u, "hits");
	return -1;
}

/* -U PROVIDER:NAME counts hits: PROC "usdt" in the summary and in every
 * flush (summing to it), not a stage; beside a pair on the same site. */
static void test_sdt_hits(void **state)
{
	char dir[64], target[256], result[128], path[128];
	long long sum = 0;
	json_t *s, *proc, *flushes, *rec;
	pid_t pid;
	size_t i;

	REQUIRE_ROOT_BPF();
	helper_path(target, sizeof(target), "targets/usdt_target");
	snprintf(result, sizeof(result), "/tmp/bpfprof_usdt_hits.%d", getpid());
	const char *args[] = { "-i", "0.02", "-U", "app:req__start", "-U", "app:job__begin", "-U",
			       "app:req__start..req__done", "--", target, result, NULL };

	s = profile(dir, sizeof(dir), args, &pid);
	proc = helper_find_proc(s, pid);
	assert_non_null(proc);
	assert_int_equal(usdt_hits(proc, "req__start"), USDT_BATCHES * USDT_REQS_PER_BATCH);
	assert_int_equal(usdt_hits(proc, "job__begin"), USDT_JOBS);
	assert_null(helper_find_stage(proc, "app:req__start"));
	/* Hits are no calls left open. */
	assert_int_equal(helper_int(s, "audit.stage_calls_open_at_end"), 0);
	assert_int_equal(helper_int(s, "audit.stage_calls_entered"),
			 USDT_BATCHES * USDT_REQS_PER_BATCH);
	assert_int_equal(stage_int(proc, "app:req__start..req__done", "calls"),
			 USDT_BATCHES * USDT_REQS_PER_BATCH);
	snprintf(path, sizeof(path), "%s/out/flushes.jsonl", dir);
	flushes = helper_load_jsonl(path);
	assert_non_null(flushes);
	json_array_foreach(flushes, i, rec) {
		json_t *p = helper_find_proc(rec, pid);

		if (p && usdt_hits(p, "req__start") > 0)
			sum += usdt_hits(p, "req__start");
	}
	assert_int_equal(sum, USDT_BATCHES * USDT_REQS_PER_BATCH);
	json_decref(flushes);
	json_decref(s);
	unlink(result);
	helper_rmtree(dir);
}

static void test_markers(void **state)
{
	char dir[64], target[256];
	pid_t pid;
	json_t *s, *proc;

	REQUIRE_ROOT_BPF();
	helper_path(target, sizeof(target), "targets/marker_target");
	const char *all[] = { "-m", "*", "--", target, NULL };

	s = profile(dir, sizeof(dir), all, &pid);
	proc = helper_find_proc(s, pid);
	assert_non_null(proc);
	assert_int_equal(stage_int(proc, "request", "calls"), MARK_REQUESTS);
	assert_int_equal(stage_int(proc, "parse", "calls"), MARK_REQUESTS * MARK_PARSES);
	assert_int_equal(stage_int(proc, "request", "self_ns"),
			 stage_int(proc, "request", "total_ns") -
				 stage_int(proc, "parse", "total_ns"));
	assert_int_equal(stage_int(proc, "parse", "io.bytes_written"),
			 MARK_REQUESTS * MARK_PARSES * MARK_PARSE_WRITE);
	/* I/O goes to the innermost stage, as for functions. */
	assert_int_equal(stage_int(proc, "request", "io.ops"), 0);
	json_decref(s);
	helper_rmtree(dir);

	/* A glob picks the markers by name; the binary by path. */
	char some_spec[300];

	snprintf(some_spec, sizeof(some_spec), "%s:pa*", target);
	const char *some[] = { "-m", some_spec, "--", target, NULL };

	s = profile(dir, sizeof(dir), some, &pid);
	proc = helper_find_proc(s, pid);
	assert_int_equal(stage_int(proc, "parse", "calls"), MARK_REQUESTS * MARK_PARSES);
	assert_null(helper_find_stage(proc, "request"));
	json_decref(s);
	helper_rmtree(dir);
}

static long long python_calls(int n)
{
	char dir[64], script[128], arg[16];
	long long calls;
	pid_t pid;
	json_t *s;
	FILE *f;

	snprintf(script, sizeof(script), "/tmp/bpfprof_usdt_py.%d.py", getpid());
	f = fopen(script, "w");
	assert_non_null(f);
	fputs("import sys\n"
	      "def leaf():\n    return 1\n"
	      "def mid():\n    return leaf() + leaf()\n"
	      "def top(n):\n    s = 0\n    for _ in range(n):\n        s += mid()\n    return s\n"
	      "top(int(sys.argv[1]))\n",
	      f);
	fclose(f);
	snprintf(arg, sizeof(arg), "%d", n);
	const char *args[] = { "-U", "python:function__entry..function__return", "--",
			       "/usr/bin/python3.11", "-S", "-I", script, arg, NULL };

	s = profile(dir, sizeof(dir), args, &pid);
	calls = stage_int(helper_find_proc(s, pid), "python:function__entry..function__return",
			  "calls");
	assert_int_equal(helper_int(s, "audit.stage_calls_unfinished"), 0);
	assert_int_equal(helper_int(s, "audit.stage_returns_without_entry"), 0);
	json_decref(s);
	helper_rmtree(dir);
	unlink(script);
	return calls;
}

/*
 * CPython 3.11 fires function__entry for calls made from Python code only
 * while the line semaphore is up too: with it armed, top(50) is exactly
 * 50 * 3 calls more than top(0) (without it, both see a handful).
 */
static void test_python(void **state)
{
	long long base, more;

	REQUIRE_ROOT_BPF();
	/* Now and then a run sees one startup call fewer (cause not found
	 * yet): the larger of two runs each. */
	base = python_calls(0);
	base = MAX(base, python_calls(0));
	more = python_calls(50);
	more = MAX(more, python_calls(50));
	assert_true(base > 0);
	assert_int_equal(more - base, 50 * 3);
}

/* A whole file, NUL-terminated (the caller frees it). */
static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	assert_non_null(f);
	assert_int_equal(getdelim(&buf, &len, '\0', f) > 0, 1);
	fclose(f);
	return buf;
}

/*
 * -U python:function__entry counts hits, the line semaphore armed as for the
 * pair. bpfprof attaches to a python3.11 waiting at a gate; past it the
 * script calls top(50): exactly 1 + 3 * 50 entries (os.read, as
 * sys.stdin.readline would call the UTF-8 decoder's Python decode()). The
 * summary has them, the pair timed in the same run as many calls, and
 * `bpfprof report` shows the summary's count in JSON, text and HTML.
 */
#define PY_CALLS (1 + 3 * 50)

static void test_python_hits(void **state)
{
	char dir[64], script[128], out[128], bin[256], pidstr[16], json_path[160],
		html_path[160], row[256];
	char *pyargv[] = { "/usr/bin/python3.11", "-S", "-I", script, NULL };
	long long report_hits = -1;
	struct proc_run py, r;
	struct captured c;
	json_t *s, *proc, *rep, *u;
	char *html;
	size_t i;
	FILE *f;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	snprintf(script, sizeof(script), "%s/calls.py", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	f = fopen(script, "w");
	assert_non_null(f);
	fputs("import os\n"
	      "def leaf():\n    return 1\n"
	      "def mid():\n    return leaf() + leaf()\n"
	      "def top(n):\n    s = 0\n    for _ in range(n):\n        s += mid()\n    return s\n"
	      "os.read(0, 64)\ntop(50)\nos.read(0, 64)\n",
	      f);
	fclose(f);
	assert_int_equal(helper_spawn(&py, pyargv, true, -1), 0);
	snprintf(pidstr, sizeof(pidstr), "%d", py.pid);
	helper_path(bin, sizeof(bin), "bpfprof");
	char *argv[] = { bin, "-i", "0.05", "-p", pidstr, "-o", out, "-U",
			 "python:function__entry", "-U",
			 "python:function__entry..function__return", NULL };

	assert_int_equal(helper_spawn(&r, argv, false, -1), 0);
	if (!helper_wait_stderr(&r, "profiling pid", 60))
		fail_msg("bpfprof did not start: %s", r.err);
	/* Past the gate, then end of input: the second read returns. */
	helper_send(&py, "g");
	close(py.stdin_fd);
	py.stdin_fd = -1;
	assert_int_equal(helper_wait_exit(&py, 30), 0);
	assert_int_equal(helper_wait_exit(&r, 60), 0);
	s = helper_load_json_in(out, "summary.json");
	proc = helper_find_proc(s, py.pid);
	assert_non_null(proc);
	assert_int_equal(usdt_hits(proc, "function__entry"), PY_CALLS);
	assert_int_equal(stage_int(proc, "python:function__entry..function__return", "calls"),
			 PY_CALLS);

	/* The report: JSON, text and HTML all say the summary's count. */
	snprintf(json_path, sizeof(json_path), "%s/report.json", dir);
	snprintf(html_path, sizeof(html_path), "%s/report.html", dir);
	report_run(&c, out, "--json", json_path, "--html", html_path, NULL);
	assert_int_equal(c.status, 0);
	captured_free(&c);
	rep = helper_load_json(json_path);
	json_array_foreach (json_object_get(rep, "usdt"), i, u) {
		json_t *probe = json_array_get(json_object_get(u, "probes"), 0);

		if (helper_int(u, "pid") != py.pid)
			continue;
		assert_string_equal(json_string_value(json_object_get(probe, "name")),
				    "function__entry");
		assert_string_equal(json_string_value(json_object_get(probe, "binary")),
				    "/usr/bin/python3.11");
		report_hits = helper_int(probe, "hits");
		assert_int_equal(helper_int(u, "hits"), report_hits);
	}
	assert_int_equal(report_hits, PY_CALLS);
	report_run(&c, out, NULL);
	assert_int_equal(c.status, 0);
	snprintf(row, sizeof(row), "\n  %-8d python3.11       %10d ", (int)py.pid, PY_CALLS);
	if (!strstr(c.out, row) ||
	    !strstr(strstr(c.out, row), " python:function__entry (/usr/bin/python3.11)\n"))
		fail_msg("no text row '%s' in:\n%s", row, c.out);
	captured_free(&c);
	html = read_text(html_path);
	snprintf(row, sizeof(row),
		 "<td class=\"name\">python:function__entry</td><td class=\"name\">"
		 "/usr/bin/python3.11</td><td>%d</td>",
		 PY_CALLS);
	assert_non_null(strstr(html, row));
	free(html);
	json_decref(rep);
	json_decref(s);
	helper_rmtree(dir);
}

static void test_list(void **state)
{
	char bin[256], target[256], cmd[700], line[512], all[8192] = "";
	FILE *p;

	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/usdt_target");
	snprintf(cmd, sizeof(cmd), "%s --list 'main' -- %s", bin, target);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p))
		strncat(all, line, sizeof(all) - strlen(all) - 1);
	assert_int_equal(pclose(p), 0);
	assert_non_null(strstr(all, "app:req__start"));
	assert_non_null(strstr(all, "8@%rax"));
	assert_non_null(strstr(all, "6 USDT probes"));
	assert_non_null(strstr(all, "SEMAPHORE"));
}

/* One line, exit 1, no output directory. */
static void expect_refused(const char *target, const char *flag, const char *spec,
			   const char *what)
{
	char dir[64], out[128], bin[256];
	struct proc_run r;

	helper_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	helper_path(bin, sizeof(bin), "bpfprof");
	char *argv[] = { bin, "-o", out, (char *)flag, (char *)spec, "--", (char *)target, "x",
			 NULL };

	assert_int_equal(helper_run(argv, 30, &r), 1);
	if (!strstr(r.err, what))
		fail_msg("%s %s: expected '%s' in: %s", flag, spec, what, r.err);
	assert_null(strchr(strchr(r.err, '\n') + 1, '\n'));
	assert_false(helper_exists(out));
	helper_rmtree(dir);
}

static void test_bad_input(void **state)
{
	char rel[256], target[PATH_MAX], markers[256], dir[64], cut[128];

	REQUIRE_ROOT_BPF();
	helper_path(rel, sizeof(rel), "targets/usdt_target");
	assert_non_null(realpath(rel, target));
	helper_path(markers, sizeof(markers), "targets/marker_target");
	expect_refused(target, "-U", "nope:a..b", "no probe of provider 'nope'");
	expect_refused(target, "-U", "app:nosuch..req__done", "no probe app:nosuch");
	expect_refused(target, "-U", "app:req__start..nosuch", "no probe app:nosuch");
	expect_refused(target, "-U", "app:req__start..req__done@1", "@N");
	expect_refused(target, "-U", "app", "expected [BINARY:]PROVIDER");
	expect_refused(target, "-m", "*", "no marker");
	expect_refused(markers, "-m", "zzz*", "no marker in");
	/* A note cut short. */
	helper_tmpdir(dir, sizeof(dir));
	snprintf(cut, sizeof(cut), "%s/cut", dir);
	char cmd[3 * PATH_MAX];

	snprintf(cmd, sizeof(cmd),
		 "cd %s && objcopy --dump-section .note.stapsdt=n.bin %s && head -c 30 n.bin > "
		 "c.bin && objcopy --update-section .note.stapsdt=c.bin %s cut",
		 dir, target, target);
	assert_int_equal(system(cmd), 0);
	expect_refused(cut, "-U", "app:req__start..req__done", "malformed .note.stapsdt");
	helper_rmtree(dir);
}

#define PG_BIN "/usr/lib/postgresql/15/bin"
#define PG_QUERIES 25
static char pg_dir[64];

static int pg_stop(void **state)
{
	char cmd[512];

	if (!pg_dir[0])
		return 0;
	snprintf(cmd, sizeof(cmd),
		 "runuser -u postgres -- " PG_BIN "/pg_ctl -D %s/data -m immediate -w stop "
		 ">/dev/null 2>&1",
		 pg_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "pg_ctl stop failed for %s\n", pg_dir);
	helper_rmtree(pg_dir);
	pg_dir[0] = '\0';
	return 0;
}

/*
 * A real PostgreSQL server (unix socket in a temp dir, no TCP), its
 * backends followed from the postmaster: one psql session runs PG_QUERIES
 * simple queries, each a query__start..query__done pair behind semaphores.
 */
static void test_postgres(void **state)
{
	char cmd[1024], bin[256], out[128], pidstr[16], sql[128];
	struct proc_run r;
	long long calls = 0;
	size_t i;
	json_t *s, *proc;
	FILE *f;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(pg_dir, sizeof(pg_dir));
	snprintf(cmd, sizeof(cmd),
		 "chown postgres %s && runuser -u postgres -- " PG_BIN "/initdb -D %s/data -A trust "
		 "-U postgres >/dev/null 2>&1 && runuser -u postgres -- " PG_BIN "/pg_ctl -D "
		 "%s/data -o \"-k %s -c listen_addresses=''\" -l %s/log -w start >/dev/null",
		 pg_dir, pg_dir, pg_dir, pg_dir, pg_dir);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s/data/postmaster.pid", pg_dir);
	f = fopen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(pidstr, sizeof(pidstr), f));
	fclose(f);
	pidstr[strcspn(pidstr, "\n")] = '\0';
	snprintf(sql, sizeof(sql), "%s/q.sql", pg_dir);
	f = fopen(sql, "w");
	assert_non_null(f);
	for (int q = 0; q < PG_QUERIES; q++)
		fprintf(f, "SELECT %d;\n", q);
	fclose(f);

	snprintf(out, sizeof(out), "%s/out", pg_dir);
	helper_path(bin, sizeof(bin), "bpfprof");
	char *argv[] = { bin, "-p", pidstr, "--follow", "-o", out, "-U",
			 "postgresql:query__start..query__done", NULL };

	assert_int_equal(helper_spawn(&r, argv, false, -1), 0);
	if (!helper_wait_stderr(&r, "profiling pid", 30))
		fail_msg("bpfprof did not start: %s", r.err);
	snprintf(cmd, sizeof(cmd),
		 "runuser -u postgres -- psql -h %s -U postgres -X -q -f %s >/dev/null", pg_dir,
		 sql);
	assert_int_equal(system(cmd), 0);
	kill(r.pid, SIGINT);
	assert_int_equal(helper_wait_exit(&r, 30), 0);
	s = helper_load_json_in(out, "summary.json");
	/* Every query is one pair, in the backend psql talked to. */
	json_array_foreach(json_object_get(s, "processes"), i, proc) {
		json_t *st = helper_find_stage(proc, "postgresql:query__start..query__done");

		if (st)
			calls += helper_int(st, "calls");
	}
	assert_int_equal(calls, PG_QUERIES);
	json_decref(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sdt_pairs), cmocka_unit_test(test_sdt_hits),
		cmocka_unit_test(test_markers),
		cmocka_unit_test(test_python),	  cmocka_unit_test(test_python_hits),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test_teardown(test_postgres, pg_stop),
	};

	return cmocka_run_group_tests_name("integration_usdt", tests, NULL, NULL);
}
