// SPDX-License-Identifier: MIT
/*
 * Integration: switching the stage probes off detaches them, on attaches
 * them again. toggle_target (target_common.h) makes stage calls in phases
 * the test drives through its stdin; between phases the test toggles with
 * SIGUSR1 and checks that the breakpoints are really gone from the target's
 * code (and bpfprof's uprobe_multi links closed), that only the calls made
 * while on are counted, exactly, and that a call left open across a
 * toggle is audited as unfinished and charged none of its later I/O.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib/helper.h"
#include "targets/target_common.h"

#define FUNCTIONS "3 functions in "

struct target {
	pid_t pid;
	int cmd_fd;	     /* its stdin */
	int ans_fd;	     /* its stdout */
	uint64_t work_addr;  /* toggle_work */
	unsigned char clean; /* toggle_work's first byte, unprobed */
};

static unsigned char code_byte(const struct target *t)
{
	char path[64];
	unsigned char b;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)t->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, (off_t)t->work_addr), 1);
	close(fd);
	return b;
}

static void start_target(struct target *t)
{
	char bin[256], line[64] = "";
	int in[2], out[2];
	size_t len = 0;

	helper_path(bin, sizeof(bin), "targets/toggle_target");
	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	t->pid = fork();
	assert_true(t->pid >= 0);
	if (!t->pid) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		execl(bin, bin, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	t->cmd_fd = in[1];
	t->ans_fd = out[0];
	/* "0x...\nr": the address of toggle_work, then ready. */
	while (len < sizeof(line) - 1 && !strchr(line, 'r'))
		assert_int_equal(read(t->ans_fd, line + len++, 1), 1);
	assert_int_equal(sscanf(line, "%" SCNx64, &t->work_addr), 1);
	t->clean = code_byte(t);
	/* gcc starts it with push %rbp. */
	assert_int_equal(t->clean, 0x55);
}

static void send_byte(const struct target *t, char c)
{
	assert_int_equal(write(t->cmd_fd, &c, 1), 1);
}

static void expect_answer(const struct target *t, char want)
{
	char c = 0;
	int st;

	if (read(t->ans_fd, &c, 1) != 1) {
		waitpid(t->pid, &st, 0);
		fail_msg("no answer '%c': the target ended (status 0x%x)", want, st);
	}
	assert_int_equal(c, want);
}

/* One command, answered once done. */
static void command(const struct target *t, char c, int times)
{
	for (int i = 0; i < times; i++) {
		send_byte(t, c);
		expect_answer(t, c == 'h' ? 'h' : c);
	}
}

/* Open BPF links of one type among bpfprof's fds. */
static int links_of_type(pid_t pid, const char *type)
{
	char dir[64], path[320], line[256], want[64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof(dir), "/proc/%d/fdinfo", (int)pid);
	snprintf(want, sizeof(want), "link_type:\t%s\n", type);
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d))) {
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			n += !strcmp(line, want);
		fclose(f);
	}
	closedir(d);
	return n;
}

/* The link on bpfprof's own functions that calibrates the probes' cost
 * again during the run (time_correction.h): open all along. */
#define CALIBRATION_LINKS 1

/* The breakpoint is in the target's code exactly when the links are open. */
static void expect_probed(const struct target *t, pid_t bpfprof, bool probed)
{
	unsigned char b = code_byte(t);

	if (probed) {
		assert_int_equal(b, 0xcc); /* int3 */
		assert_int_equal(links_of_type(bpfprof, "uprobe_multi"), 1 + CALIBRATION_LINKS);
	} else {
		assert_int_equal(b, t->clean);
		assert_int_equal(links_of_type(bpfprof, "uprobe_multi"), CALIBRATION_LINKS);
	}
}

static void start_bpfprof(struct proc_run *r, const struct target *t, char *dir, size_t dirlen,
			  const char *extra)
{
	static char bin[256], pid[16];
	char *argv[20];
	int n = 0;

	helper_tmpdir(dir, dirlen);
	helper_path(bin, sizeof(bin), "bpfprof");
	snprintf(pid, sizeof(pid), "%d", (int)t->pid);
	argv[n++] = bin;
	argv[n++] = "-i";
	argv[n++] = "0.2";
	argv[n++] = "-p";
	argv[n++] = pid;
	argv[n++] = "-u";
	argv[n++] = "toggle_work";
	argv[n++] = "-u";
	argv[n++] = "toggle_inner";
	argv[n++] = "-u";
	argv[n++] = "toggle_held";
	argv[n++] = "-o";
	argv[n++] = dir;
	if (extra)
		argv[n++] = (char *)extra;
	argv[n] = NULL;
	assert_int_equal(helper_spawn(r, argv, false, -1), 0);
	if (!helper_wait_stderr(r, "profiling pid", 30))
		fail_msg("bpfprof did not start: %s", r->err);
}

static void toggle(struct proc_run *r, bool on, int nth)
{
	kill(r->pid, SIGUSR1);
	if (!helper_wait_stderr_n(r,
				  on ? "stage probes on (SIGUSR1): attached " FUNCTIONS
				     : "stage probes off (SIGUSR1): detached " FUNCTIONS,
				  nth, 10))
		fail_msg("toggle %s #%d not logged: %s", on ? "on" : "off", nth, r->err);
}

/*
 * bpfprof stops first, while the target's thread lives on (a thread that
 * exits has its open calls counted as unfinished anyway); then the target
 * ends as its stdin closes.
 */
static void finish(struct proc_run *r, struct target *t)
{
	int st;

	kill(r->pid, SIGINT);
	if (helper_wait_exit(r, 30) != 0)
		fail_msg("bpfprof failed: %s", r->err);
	close(t->cmd_fd);
	assert_int_equal(waitpid(t->pid, &st, 0), t->pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(t->ans_fd);
}

/* The flush records sum to the summary: no call of an off phase hides in one. */
static void check_flush_sum(const char *dir, json_t *s, pid_t pid, const char *name)
{
	char path[128];
	json_t *flushes, *rec;
	long long sum = 0;
	size_t i;

	snprintf(path, sizeof(path), "%s/flushes.jsonl", dir);
	flushes = helper_load_jsonl(path);
	assert_non_null(flushes);
	json_array_foreach (flushes, i, rec)
		sum += helper_stage_calls(helper_find_proc(rec, pid), name);
	assert_int_equal(sum, helper_stage_calls(helper_find_proc(s, pid), name));
	json_decref(flushes);
}

/*
 * On: W calls and toggle_held entered. Off: 2 W calls (not counted), the
 * breakpoint gone. On: toggle_held goes on (its inner call and writes),
 * 4 W calls, one whole toggle_held call.
 */
static void test_sigusr1_detaches(void **state)
{
	struct proc_run r;
	struct target t;
	char dir[64];
	json_t *s, *held, *inner;

	REQUIRE_ROOT_BPF();
	start_target(&t);
	start_bpfprof(&r, &t, dir, sizeof(dir), NULL);
	assert_non_null(strstr(r.err, "stage probes on (SIGUSR1 toggles)"));
	assert_non_null(strstr(r.err, "timing 3 functions (session uprobes, 1 link, attached in "));
	expect_probed(&t, r.pid, true);
	command(&t, 'w', 1);
	command(&t, 'h', 1); /* toggle_held is now open */
	toggle(&r, false, 1);
	expect_probed(&t, r.pid, false);
	command(&t, 'w', 2); /* inside the open toggle_held */
	toggle(&r, true, 1);
	expect_probed(&t, r.pid, true);
	send_byte(&t, 'i'); /* the open toggle_held goes on and returns */
	expect_answer(&t, 'i');
	command(&t, 'w', 4);
	command(&t, 'h', 1);
	send_byte(&t, 'i');
	expect_answer(&t, 'i');
	finish(&r, &t);

	s = helper_load_json_in(dir, "summary.json");
	assert_int_equal(helper_stage_calls(helper_find_proc(s, t.pid), "toggle_work"),
			 5 * TOGGLE_WORK_CALLS);
	check_flush_sum(dir, s, t.pid, "toggle_work");
	/* The call open across the toggle is an unfinished call (found at
	 * its thread's first I/O after the toggle), not a recorded one, and
	 * not open at the end; the whole call after it has exactly its own
	 * I/O: the answer (1 byte out), the 'i' (1 byte in), its writes. */
	assert_int_equal(helper_int(s, "audit.stage_calls_unfinished"), 1);
	assert_int_equal(helper_int(s, "audit.stage_calls_open_at_end"), 0);
	assert_int_equal(helper_int(s, "audit.stage_returns_without_entry"), 0);
	held = helper_find_stage(helper_find_proc(s, t.pid), "toggle_held");
	assert_non_null(held);
	assert_int_equal(helper_int(held, "calls"), 1);
	/* The call left open across the toggle was toggle_held's. */
	assert_int_equal(helper_int(held, "calls_unfinished"), 1);
	assert_int_equal(helper_stages_unfinished(s), 1);
	assert_int_equal(helper_int(held, "io.ops"), 2 + TOGGLE_HELD_WRITES);
	assert_int_equal(helper_int(held, "io.bytes_written"),
			 1 + TOGGLE_HELD_WRITES * TOGGLE_WRITE_SIZE);
	assert_int_equal(helper_int(held, "io.bytes_read"), 1);
	/* toggle_inner ran twice while on: inside the stale call and the whole one. */
	inner = helper_find_stage(helper_find_proc(s, t.pid), "toggle_inner");
	assert_non_null(inner);
	assert_int_equal(helper_int(inner, "calls"), 2);
	assert_int_equal(helper_int(inner, "io.ops"), 2 * TOGGLE_INNER_WRITES);
	assert_int_equal(helper_int(inner, "io.bytes_written"),
			 2 * TOGGLE_INNER_WRITES * TOGGLE_WRITE_SIZE);
	/* Only the whole call's inner call is time inside toggle_held. */
	assert_true(helper_int(held, "total_ns") - helper_int(held, "self_ns") <=
		    helper_int(inner, "max_ns"));
	assert_int_equal(helper_int(s, "stage_toggles"), 2);
	assert_true(json_is_true(json_object_get(s, "stages_enabled")));
	json_decref(s);
	helper_rmtree(dir);
}

/* Started off (flag or environment): nothing attached until the first toggle. */
static void check_starts_detached(const char *flag, const char *env)
{
	struct proc_run r;
	struct target t;
	char dir[64];
	json_t *s;

	start_target(&t);
	if (env)
		setenv("BPFPROF_STAGES", env, 1);
	start_bpfprof(&r, &t, dir, sizeof(dir), flag);
	unsetenv("BPFPROF_STAGES");
	assert_non_null(strstr(r.err, "stage probes off (SIGUSR1 toggles)"));
	assert_non_null(strstr(r.err, "timing 3 functions (session uprobes): not attached until "
				      "switched on"));
	expect_probed(&t, r.pid, false);
	command(&t, 'w', 2);
	toggle(&r, true, 1);
	expect_probed(&t, r.pid, true);
	command(&t, 'w', 4);
	toggle(&r, false, 1);
	expect_probed(&t, r.pid, false);
	command(&t, 'w', 1);
	finish(&r, &t);

	s = helper_load_json_in(dir, "summary.json");
	assert_int_equal(helper_stage_calls(helper_find_proc(s, t.pid), "toggle_work"),
			 4 * TOGGLE_WORK_CALLS);
	assert_int_equal(helper_int(s, "audit.stage_calls_entered"), 4 * TOGGLE_WORK_CALLS);
	assert_int_equal(helper_int(s, "audit.stage_calls_unfinished"), 0);
	check_flush_sum(dir, s, t.pid, "toggle_work");
	assert_int_equal(helper_int(s, "stage_toggles"), 2);
	assert_false(json_is_true(json_object_get(s, "stages_enabled")));
	/* Started off, the probes' cost is calibrated all the same. */
	assert_null(strstr(r.err, "stage times include the probes' cost"));
	assert_int_equal(helper_int(s, "audit.time_correction.uncorrected_functions"), 0);
	assert_int_equal(json_array_size(json_object_get(
				 json_object_get(json_object_get(s, "audit"), "time_correction"),
				 "mechanisms")),
			 1);
	json_decref(s);
	helper_rmtree(dir);
}

static void test_stages_off_at_start(void **state)
{
	REQUIRE_ROOT_BPF();
	check_starts_detached("--stages-off", NULL);
	check_starts_detached(NULL, "0");
}

/* A pattern that matches nothing is still an error, before anything is attached. */
static void test_stages_off_bad_pattern(void **state)
{
	char bin[256], target[256];
	struct proc_run r;

	REQUIRE_ROOT_BPF();
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/toggle_target");
	char *argv[] = { bin, "--stages-off", "-u", "no_such_fn*", "--", target, NULL };

	assert_int_not_equal(helper_run(argv, 30, &r), 0);
	assert_non_null(strstr(r.err, "no function in"));
	assert_non_null(strstr(r.err, "matches 'no_such_fn*'"));
	assert_null(strstr(r.err, "profiling pid"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigusr1_detaches),
		cmocka_unit_test(test_stages_off_at_start),
		cmocka_unit_test(test_stages_off_bad_pattern),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
