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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
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

/*
 * The plain report of a -U PROVIDER:NAME run: the header counts the pair's
 * calls as stage calls and the hits apart (they were summed into "stage
 * calls" with no line to show them), each probe has its hits line, and the
 * intervals' seconds add up to the total's (the last one ran on through
 * the probes' detach: "interval 0 (0.26s)" beside "total (0.00s)").
 */
/* "    usdt PROBE (/.../usdt_target): HITS hits (" in the plain report. */
static void check_hits_line(const char *out, const char *probe, int hits)
{
	char lead[64], tail[64];
	const char *line;

	snprintf(lead, sizeof(lead), "\n    usdt %s (/", probe);
	snprintf(tail, sizeof(tail), "/usdt_target): %d hits (", hits);
	line = strstr(out, lead);
	if (!line || !strstr(line, tail) || strchr(line + 1, '\n') < strstr(line, tail))
		fail_msg("no '%s...%s' line in:\n%s", lead + 1, tail, out);
}

/* bpfprof OPTS -- usdt_target, in a shell whose redirections end the line:
 * what it writes to its stdout (status: pclose's). */
static char *run_usdt_command(const char *opts, const char *redirect, int *status)
{
	char bin[256], target[256], result[128], cmd[1024];
	char *out;

	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/usdt_target");
	snprintf(result, sizeof(result), "/tmp/bpfprof_usdt_cmd.%d", getpid());
	snprintf(cmd, sizeof(cmd), "%s %s -- %s %s %s", bin, opts, target, result, redirect);
	out = helper_command_output(cmd, status);
	unlink(result);
	return out;
}

static void test_sdt_hits_plain(void **state)
{
	char want[512];
	double intervals = 0, total = -1;
	int status, n = 0;
	char *out, *line;

	REQUIRE_ROOT_BPF();
	out = run_usdt_command(
		"--plain -U app:req__start -U app:job__begin -U app:req__start..req__done",
		"2>/dev/null", &status);
	assert_int_equal(status, 0);
	snprintf(want, sizeof(want), ", %d stage calls, %d USDT hits\n",
		 USDT_BATCHES * USDT_REQS_PER_BATCH,
		 USDT_BATCHES * USDT_REQS_PER_BATCH + USDT_JOBS);
	for (line = out; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		double sec;
		char *eol = strchr(line, '\n');

		if (sscanf(line, "== bpfprof interval %*u (%lfs)", &sec) == 1) {
			intervals += sec;
			n++;
		} else if (sscanf(line, "== bpfprof total (%lfs", &sec) == 1) {
			total = sec;
		} else {
			continue;
		}
		if (!strstr(line, want) || (eol && strstr(line, want) + strlen(want) != eol + 1))
			fail_msg("expected '%s' ending: %.*s", want, (int)(eol ? eol - line : 80),
				 line);
	}
	assert_true(n >= 1);
	assert_true(total >= 0);
	/* Each figure is rounded to 10 ms. */
	if (intervals < total - 0.005 * (n + 1) || intervals > total + 0.005 * (n + 1))
		fail_msg("intervals add up to %.2fs, the total is %.2fs:\n%s", intervals, total,
			 out);
	check_hits_line(out, "app:req__start", USDT_BATCHES * USDT_REQS_PER_BATCH);
	check_hits_line(out, "app:job__begin", USDT_JOBS);
	free(out);
}

/* The stage whose name is these bytes: by name_hex when they are not
 * UTF-8 (the name holds U+FFFD there), else by name. */
static json_t *stage_bytes(json_t *proc, const char *bytes)
{
	char hex[256] = "";
	json_t *st;
	size_t i;

	for (i = 0; bytes[i] && 2 * i + 2 < sizeof(hex); i++)
		snprintf(hex + 2 * i, 3, "%02x", (unsigned char)bytes[i]);
	json_array_foreach(json_object_get(proc, "stages"), i, st) {
		const char *h = json_string_value(json_object_get(st, "name_hex"));
		const char *n = json_string_value(json_object_get(st, "name"));

		if ((h && !strcmp(h, hex)) || (!h && n && !strcmp(n, bytes)))
			return st;
	}
	return NULL;
}

/* Requests of all batches that pass name k (r % USDT_REQ_NAME_COUNT). */
static long long requests_named(int k)
{
	long long n = 0;

	for (int r = 0; r < USDT_REQS_PER_BATCH; r++)
		n += r % USDT_REQ_NAME_COUNT == k;
	return n * USDT_BATCHES;
}

/*
 * -U ...@2: one stage per request name (req__start's string argument),
 * nested in the batch pair, each with its own I/O, in the summary and in
 * the span lines; then --usdt-names 2: the third name's calls go to
 * (other), and the audit counts them.
 */
static void test_sdt_named(void **state)
{
	static const char *const names[USDT_REQ_NAME_COUNT] = USDT_REQ_NAMES;
	char dir[64], target[256], result[128], path[128];
	long long children = 0, spans[USDT_REQ_NAME_COUNT] = {};
	json_t *s, *proc, *st, *events, *rec;
	pid_t pid;
	size_t i;

	REQUIRE_ROOT_BPF();
	helper_path(target, sizeof(target), "targets/usdt_target");
	snprintf(result, sizeof(result), "/tmp/bpfprof_usdt_named.%d", getpid());
	const char *args[] = { "--events", "-U", "app:req__start..req__done@2", "-U",
			       "app:batch__start..batch__done", "--", target, result, NULL };

	s = profile(dir, sizeof(dir), args, &pid);
	proc = helper_find_proc(s, pid);
	assert_non_null(proc);
	for (int k = 0; k < USDT_REQ_NAME_COUNT; k++) {
		st = stage_bytes(proc, names[k]);
		if (!st)
			fail_msg("no stage named %s", names[k]);
		assert_int_equal(helper_int(st, "calls"), requests_named(k));
		assert_int_equal(helper_int(st, "io.bytes_written"),
				 requests_named(k) * USDT_REQ_WRITE);
		/* Innermost: its self time is all of it. */
		assert_int_equal(helper_int(st, "self_ns"), helper_int(st, "total_ns"));
		children += helper_int(st, "total_ns");
	}
	assert_null(helper_find_stage(proc, "(other)"));
	assert_int_equal(stage_int(proc, "app:batch__start..batch__done", "calls"), USDT_BATCHES);
	assert_int_equal(stage_int(proc, "app:batch__start..batch__done", "self_ns"),
			 stage_int(proc, "app:batch__start..batch__done", "total_ns") - children);
	assert_int_equal(helper_int(s, "audit.usdt_calls_over_names_cap"), 0);
	assert_int_equal(helper_int(s, "audit.usdt_names_over_cap"), 0);
	assert_int_equal(helper_int(s, "audit.stage_returns_without_entry"), 0);
	assert_int_equal(helper_int(s, "audit.stage_calls_unfinished"), 0);
	/* Every span line names its request. */
	snprintf(path, sizeof(path), "%s/out/events.jsonl", dir);
	events = helper_load_jsonl(path);
	assert_non_null(events);
	json_array_foreach(events, i, rec) {
		const char *n = json_string_value(json_object_get(rec, "name"));

		for (int k = 0; k < USDT_REQ_NAME_COUNT; k++)
			spans[k] += n && !strncmp(n, names[k], 3);
	}
	for (int k = 0; k < USDT_REQ_NAME_COUNT; k++)
		assert_int_equal(spans[k], requests_named(k));
	json_decref(events);
	json_decref(s);
	helper_rmtree(dir);

	/* Two names at most: the first two met, then (other). */
	const char *capped[] = { "--usdt-names", "2", "-U", "app:req__start..req__done@2",
				 "--", target, result, NULL };

	s = profile(dir, sizeof(dir), capped, &pid);
	proc = helper_find_proc(s, pid);
	assert_non_null(proc);
	assert_int_equal(stage_int(proc, names[0], "calls"), requests_named(0));
	assert_int_equal(stage_int(proc, names[1], "calls"), requests_named(1));
	assert_null(stage_bytes(proc, names[2]));
	assert_int_equal(stage_int(proc, "(other)", "calls"), requests_named(2));
	assert_int_equal(stage_int(proc, "(other)", "io.bytes_written"),
			 requests_named(2) * USDT_REQ_WRITE);
	assert_int_equal(helper_int(s, "audit.usdt_calls_over_names_cap"), requests_named(2));
	assert_int_equal(helper_int(s, "audit.usdt_names_over_cap"), 1);
	json_decref(s);
	helper_rmtree(dir);
	unlink(result);
}

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(fd, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	if (port < 0)
		fail_msg("no free port");
	return port;
}

/*
 * /metrics labels of names: the third request name's quote and newline
 * escaped, its non-UTF-8 byte as U+FFFD. The target runs under a shell
 * that then waits, so the endpoint is there to scrape.
 */
static void test_sdt_named_metrics(void **state)
{
	char dir[64], target[256], result[128], spec[400], port[16], cmd[600], out[128], bin[256];
	char shell[600], line[1024], want[3][300];
	bool seen[3] = {};
	struct proc_run r;
	FILE *p;

	REQUIRE_ROOT_BPF();
	helper_path(target, sizeof(target), "targets/usdt_target");
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(result, sizeof(result), "%s/result", dir);
	snprintf(spec, sizeof(spec), "%s:app:req__start..req__done@2", target);
	snprintf(port, sizeof(port), "%d", free_port());
	snprintf(shell, sizeof(shell), "%s %s && touch %s.done && sleep 30", target, result,
		 result);
	char *argv[] = { bin, "-i", "0.1", "--follow", "-o", out, "--prometheus", port, "-U",
			 spec, "--", "/bin/sh", "-c", shell, NULL };

	assert_int_equal(helper_spawn(&r, argv, false, -1), 0);
	snprintf(cmd, sizeof(cmd), "%s.done", result);
	for (int i = 0; i < 300 && !helper_exists(cmd); i++)
		helper_sleep_s(0.05);
	assert_true(helper_exists(cmd));
	helper_sleep_s(0.5); /* a flush or more after the target's end */
	snprintf(want[0], sizeof(want[0]), "stage=\"get\"");
	snprintf(want[1], sizeof(want[1]), "stage=\"put\"");
	snprintf(want[2], sizeof(want[2]), "stage=\"del \\\"x\\\"\\n\xef\xbf\xbd\"");
	snprintf(cmd, sizeof(cmd), "curl -sS --max-time 10 http://127.0.0.1:%s/metrics", port);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		if (strncmp(line, "bpfprof_stage_calls_total{", 26))
			continue;
		for (int k = 0; k < 3; k++)
			if (strstr(line, want[k])) {
				seen[k] = true;
				assert_int_equal(atoll(strrchr(line, ' ') + 1), requests_named(k));
			}
	}
	pclose(p);
	kill(r.pid, SIGINT);
	assert_int_equal(helper_wait_exit(&r, 30), 0);
	for (int k = 0; k < 3; k++)
		if (!seen[k])
			fail_msg("no bpfprof_stage_calls_total with %s", want[k]);
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
 * -U 'python:function__entry..function__return@1,2': a stage per Python
 * file:function; the script's own functions with their exact calls and
 * nesting (top calls mid N times, mid calls leaf twice).
 */
static void test_python_named(void **state)
{
	char dir[64], script[128], name[200];
	long long mid_total, mid_self, leaf_total;
	json_t *s, *proc;
	pid_t pid;
	FILE *f;

	REQUIRE_ROOT_BPF();
	snprintf(script, sizeof(script), "/tmp/bpfprof_usdt_pynamed.%d.py", getpid());
	f = fopen(script, "w");
	assert_non_null(f);
	fputs("def leaf():\n    return 1\n"
	      "def mid():\n    return leaf() + leaf()\n"
	      "def top(n):\n    s = 0\n    for _ in range(n):\n        s += mid()\n    return s\n"
	      "top(40)\ntop(10)\n",
	      f);
	fclose(f);
	const char *args[] = { "-U", "python:function__entry..function__return@1,2", "--",
			       "/usr/bin/python3.11", "-S", "-I", script, NULL };

	s = profile(dir, sizeof(dir), args, &pid);
	proc = helper_find_proc(s, pid);
	assert_non_null(proc);
	snprintf(name, sizeof(name), "%s:top", script);
	assert_int_equal(stage_int(proc, name, "calls"), 2);
	snprintf(name, sizeof(name), "%s:mid", script);
	assert_int_equal(stage_int(proc, name, "calls"), 50);
	mid_total = stage_int(proc, name, "total_ns");
	mid_self = stage_int(proc, name, "self_ns");
	snprintf(name, sizeof(name), "%s:leaf", script);
	assert_int_equal(stage_int(proc, name, "calls"), 100);
	leaf_total = stage_int(proc, name, "total_ns");
	assert_int_equal(mid_self, mid_total - leaf_total);
	snprintf(name, sizeof(name), "%s:top", script);
	assert_int_equal(stage_int(proc, name, "self_ns"),
			 stage_int(proc, name, "total_ns") - mid_total);
	snprintf(name, sizeof(name), "%s:<module>", script);
	assert_int_equal(stage_int(proc, name, "calls"), 1);
	assert_int_equal(helper_int(s, "audit.usdt_calls_over_names_cap"), 0);
	assert_int_equal(helper_int(s, "audit.stage_returns_without_entry"), 0);
	json_decref(s);
	helper_rmtree(dir);
	unlink(script);
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

/* The start's notes count functions: a USDT pair timed beside them is not
 * one (they said "1 of 2 functions" for one function and one pair). */
static void test_notes_count_functions(void **state)
{
	int status;
	char *err;

	REQUIRE_ROOT_BPF();
	/* _IO_default_read (static glibc) starts with an instruction the
	 * kernel single-steps. */
	err = run_usdt_command("--plain -u _IO_default_read -U app:req__start..req__done",
			       "2>&1 >/dev/null", &status);
	assert_int_equal(status, 0);
	assert_non_null(strstr(err, "timing 1 function and 1 USDT probe pair"));
	if (!strstr(err, "warning: 1 of 1 functions have an entry probe the kernel "
			 "single-steps (~5-20 us per call): _IO_default_read\n"))
		fail_msg("no single-step note of 1 of 1 functions: %s", err);
	free(err);
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
	int status;
	char *out;
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

	/* No function matches: the probes are listed all the same, and
	 * stderr says why there is no function (it said nothing, and
	 * --list exec_simple_query on PostgreSQL read as if it had none). */
	snprintf(cmd, sizeof(cmd), "%s --list 'no_such_function' -- %s 2>&1", bin, target);
	out = helper_command_output(cmd, &status);
	assert_int_equal(status, 0);
	if (!strstr(out, "6 USDT probes") ||
	    !strstr(out, "bpfprof: --list 'no_such_function': no function in ") ||
	    strstr(out, "-u '"))
		fail_msg("--list 'no_such_function': %s", out);
	free(out);
}

/* One line, exit @status (1: refused, 2: a bad option), no output directory. */
static void expect_exit(int status, const char *target, const char *flag, const char *spec,
			const char *what)
{
	char dir[64], out[128], bin[256];
	struct proc_run r;

	helper_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	helper_path(bin, sizeof(bin), "bpfprof");
	char *argv[] = { bin, "-o", out, (char *)flag, (char *)spec, "--", (char *)target, "x",
			 NULL };

	assert_int_equal(helper_run(argv, 30, &r), status);
	if (!strstr(r.err, what))
		fail_msg("%s %s: expected '%s' in: %s", flag, spec, what, r.err);
	assert_null(strchr(strchr(r.err, '\n') + 1, '\n'));
	assert_false(helper_exists(out));
	helper_rmtree(dir);
}

static void expect_refused(const char *target, const char *flag, const char *spec,
			   const char *what)
{
	expect_exit(1, target, flag, spec, what);
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
	/* @N: a string argument the BEGIN probe has (req__start: -4@%ebx 8@%rax). */
	expect_refused(target, "-U", "app:req__start..req__done@1",
		       "argument 1 of app:req__start is '-4@%ebx', not a string");
	expect_refused(target, "-U", "app:req__start..req__done@3",
		       "app:req__start has 2 arguments, not 3");
	expect_refused(target, "-U", "app:req__start..req__done@0", "numbered from 1");
	expect_refused("/usr/bin/python3.11", "-U", "python:function__entry..function__return@3",
		       "argument 3 of python:function__entry is '-4@%eax', not a string");
	expect_refused(target, "-U", "app:req__start..req__done@2,", "expected @N[,M...]");
	expect_refused(target, "-U", "app:req__start@2", "@N names the stages of a BEGIN..END");
	expect_exit(2, target, "--usdt-names", "0", "invalid --usdt-names '0'");
	expect_exit(2, target, "--usdt-names", "12x", "invalid --usdt-names '12x'");
	expect_exit(2, target, "--usdt-names", "-1", "invalid --usdt-names '-1'");
	expect_exit(2, target, "--usdt-names", "65537", "invalid --usdt-names '65537'");
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

/* psql runs @sql (one session) under bpfprof -U @spec following the
 * postmaster @pidstr; returns the summary. */
static json_t *pg_profile(const char *pidstr, const char *spec, const char *sql)
{
	char cmd[1024], bin[256], out[128];
	struct proc_run r;

	snprintf(out, sizeof(out), "%s/out", pg_dir);
	helper_rmtree(out);
	helper_path(bin, sizeof(bin), "bpfprof");
	char *argv[] = { bin, "-p", (char *)pidstr, "--follow", "-o", out, "-U", (char *)spec,
			 NULL };

	assert_int_equal(helper_spawn(&r, argv, false, -1), 0);
	if (!helper_wait_stderr(&r, "profiling pid", 30))
		fail_msg("bpfprof did not start: %s", r.err);
	snprintf(cmd, sizeof(cmd),
		 "runuser -u postgres -- psql -h %s -U postgres -X -q -f %s >/dev/null", pg_dir,
		 sql);
	assert_int_equal(system(cmd), 0);
	kill(r.pid, SIGINT);
	assert_int_equal(helper_wait_exit(&r, 30), 0);
	return helper_load_json_in(out, "summary.json");
}

/* A stage's calls summed over the processes (the backend psql talked to). */
static long long calls_everywhere(json_t *s, const char *name)
{
	long long calls = 0;
	json_t *proc;
	size_t i;

	json_array_foreach(json_object_get(s, "processes"), i, proc) {
		json_t *st = helper_find_stage(proc, name);

		if (st)
			calls += helper_int(st, "calls");
	}
	return calls;
}

#define PG_NAMED_TEXTS 3
#define PG_NAMED_REPEAT 7

/*
 * A real PostgreSQL server (unix socket in a temp dir, no TCP), its
 * backends followed from the postmaster: one psql session runs PG_QUERIES
 * simple queries, each a query__start..query__done pair behind semaphores;
 * then, with @1, a stage per query text: three texts sent
 * PG_NAMED_REPEAT times each.
 */
static void test_postgres(void **state)
{
	static const char *const texts[PG_NAMED_TEXTS] = {
		"SELECT 1;", "SELECT 'a''b';", "SELECT count(*) FROM pg_class;"
	};
	char cmd[1024], pidstr[16], sql[128];
	json_t *s;
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
	s = pg_profile(pidstr, "postgresql:query__start..query__done", sql);
	assert_int_equal(calls_everywhere(s, "postgresql:query__start..query__done"), PG_QUERIES);
	json_decref(s);

	f = fopen(sql, "w");
	assert_non_null(f);
	for (int n = 0; n < PG_NAMED_REPEAT; n++)
		for (int k = 0; k < PG_NAMED_TEXTS; k++)
			fprintf(f, "%s\n", texts[k]);
	fclose(f);
	s = pg_profile(pidstr, "postgresql:query__start..query__done@1", sql);
	for (int k = 0; k < PG_NAMED_TEXTS; k++)
		if (calls_everywhere(s, texts[k]) != PG_NAMED_REPEAT)
			fail_msg("query '%s': %lld calls, expected %d", texts[k],
				 calls_everywhere(s, texts[k]), PG_NAMED_REPEAT);
	assert_int_equal(calls_everywhere(s, "(other)"), 0);
	assert_int_equal(helper_int(s, "audit.usdt_names_over_cap"), 0);
	json_decref(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sdt_pairs),
		cmocka_unit_test(test_sdt_hits),
		cmocka_unit_test(test_sdt_hits_plain),
		cmocka_unit_test(test_markers),
		cmocka_unit_test(test_sdt_named),
		cmocka_unit_test(test_sdt_named_metrics),
		cmocka_unit_test(test_python_named),
		cmocka_unit_test(test_python),
		cmocka_unit_test(test_python_hits),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_notes_count_functions),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test_teardown(test_postgres, pg_stop),
	};

	return cmocka_run_group_tests_name("integration_usdt", tests, NULL, NULL);
}
