// SPDX-License-Identifier: MIT
/*
 * Integration: the live view as a person sees it. bpfprof runs in a tmux
 * pane (its own tmux server, -L, so nothing collides); the test types the
 * command line, presses keys with send-keys and reads the screen with
 * capture-pane. Figures are checked against the targets' known work
 * (target_common.h) and against summary.json; the terminal must be back to
 * the shell (alternate screen left, cursor shown) after q, SIGTERM, the
 * target's exit and -d. Also: the plain report when stdout is not a
 * terminal, and with --plain or -q on one.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "lib/helper.h"
#include "output/format.h"
#include "targets/target_common.h"

#define PROMPT "lvt$ "
#define WAIT_S 30.0

struct tmux {
	char sock[64];
	char dir[256];	    /* temp dir: outputs and the pid file */
	char out[300];	    /* dir/out: bpfprof -o */
	char screen[65536]; /* the last capture */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* tmux -L sock ARGS... (NULL-terminated); its stdout into out. Exit code. */
static int tmux(struct tmux *t, char *out, size_t outlen, ...)
{
	char *argv[32] = { "tmux", "-L", t->sock, "-f", "/dev/null" };
	int argc = 5, p[2], status;
	char sink[256];
	size_t len = 0;
	ssize_t n;
	va_list ap;
	pid_t pid;

	va_start(ap, outlen);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	if (pipe2(p, O_CLOEXEC))
		fail_msg("pipe: %s", strerror(errno));
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		execvp("tmux", argv);
		_exit(127);
	}
	close(p[1]);
	/* Without out, the output is read and dropped. */
	while ((n = read(p[0], out ? out + len : sink, out ? outlen - 1 - len : sizeof(sink))) > 0)
		if (out) {
			len += (size_t)n;
			if (len >= outlen - 1)
				break;
		}
	if (out)
		out[len] = '\0';
	close(p[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool have_tmux(void)
{
	return system("command -v tmux >/dev/null 2>&1") == 0;
}

static void tmux_start(struct tmux *t, int w, int h)
{
	static int serial;
	char ws[16], hs[16], cwd[1024];

	if (!have_tmux()) {
		if (helper_in_ci())
			fail_msg("tmux is missing (make deps installs it), and CI=true is set");
		skip();
	}
	snprintf(t->sock, sizeof(t->sock), "bpfprof-lv-%d-%d", getpid(), serial++);
	helper_tmpdir(t->dir, sizeof(t->dir));
	snprintf(t->out, sizeof(t->out), "%s/out", t->dir);
	snprintf(ws, sizeof(ws), "%d", w);
	snprintf(hs, sizeof(hs), "%d", h);
	if (!getcwd(cwd, sizeof(cwd)))
		fail_msg("getcwd: %s", strerror(errno));
	if (tmux(t, NULL, 0, "new-session", "-d", "-s", "lv", "-x", ws, "-y", hs, "-c", cwd,
		 "env PS1='" PROMPT "' sh", NULL))
		fail_msg("tmux new-session failed");
}

static void tmux_stop(struct tmux *t)
{
	if (!t->sock[0])
		return;
	tmux(t, NULL, 0, "kill-server", NULL);
	helper_rmtree(t->dir);
	t->sock[0] = '\0';
}

static const char *capture(struct tmux *t)
{
	if (tmux(t, t->screen, sizeof(t->screen), "capture-pane", "-p", "-t", "lv", NULL))
		t->screen[0] = '\0';
	return t->screen;
}

static void keys(struct tmux *t, const char *k)
{
	tmux(t, NULL, 0, "send-keys", "-t", "lv", "-l", k, NULL);
}

static void type_line(struct tmux *t, const char *line)
{
	keys(t, line);
	tmux(t, NULL, 0, "send-keys", "-t", "lv", "Enter", NULL);
}

/* A pane flag as tmux reports it (#{alternate_on}, #{cursor_flag}). */
static int pane_flag(struct tmux *t, const char *name)
{
	char fmt[64], out[64];

	snprintf(fmt, sizeof(fmt), "#{%s}", name);
	if (tmux(t, out, sizeof(out), "display-message", "-p", "-t", "lv", fmt, NULL))
		return -1;
	return atoi(out);
}

static bool wait_text(struct tmux *t, const char *needle, double timeout)
{
	double end = now() + timeout;

	do {
		if (strstr(capture(t), needle))
			return true;
		usleep(100 * 1000);
	} while (now() < end);
	return false;
}

/* The screen shows @needle and, once it has been redrawn whole (a capture
 * can catch ncurses mid-update on a loaded machine), not @gone. */
static void must_see_without(struct tmux *t, const char *needle, const char *gone)
{
	double end = now() + WAIT_S;

	do {
		if (strstr(capture(t), needle) && !strstr(t->screen, gone))
			return;
		usleep(100 * 1000);
	} while (now() < end);
	fail_msg("the screen never showed '%s' without '%s'; it shows:\n%s", needle, gone,
		 t->screen);
}

static void must_see(struct tmux *t, const char *needle)
{
	if (!wait_text(t, needle, WAIT_S))
		fail_msg("the screen never showed '%s'; it shows:\n%s", needle, t->screen);
}

/* Starts bpfprof in the pane through a shell that records its pid. */
static void start_bpfprof(struct tmux *t, const char *args)
{
	char bin[512], line[2048];

	helper_path(bin, sizeof(bin), "bpfprof");
	snprintf(line, sizeof(line), "sh -c 'echo $$ > %s/pid; exec %s -o %s %s'; echo EXIT=$?",
		 t->dir, bin, t->out, args);
	type_line(t, line);
}

static pid_t bpfprof_pid(struct tmux *t)
{
	char path[512];
	FILE *f;
	int pid = 0;

	snprintf(path, sizeof(path), "%s/pid", t->dir);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%d", &pid) != 1)
		fail_msg("no pid file %s", path);
	fclose(f);
	return pid;
}

/* The whitespace-separated words of the screen row whose first word is
 * `first`; how many. */
static int row_words(const char *screen, const char *first, char words[][48], int max)
{
	const char *l = screen;

	while (l && *l) {
		const char *eol = strchr(l, '\n');
		size_t len = eol ? (size_t)(eol - l) : strlen(l);
		char line[1024];
		int n = 0;
		char *save = NULL, *w;

		snprintf(line, sizeof(line), "%.*s", (int)len, l);
		w = strtok_r(line, " ", &save);
		if (w && !strcmp(w, first)) {
			for (; w && n < max; w = strtok_r(NULL, " ", &save))
				snprintf(words[n++], 48, "%s", w);
			return n;
		}
		l = eol ? eol + 1 : NULL;
	}
	return 0;
}

/* Row `first`, word i equals want. */
static bool word_is(const char *screen, const char *first, int i, const char *want)
{
	char w[16][48];
	int n = row_words(screen, first, w, 16);

	return n > i && !strcmp(w[i], want);
}

/* The shell's line after bpfprof: the terminal is the shell's again. */
static void expect_restored(struct tmux *t, int exit_code)
{
	char want[32];

	/* capture-pane drops the prompt's trailing blank. */
	snprintf(want, sizeof(want), "EXIT=%d\n%.4s", exit_code, PROMPT);
	must_see(t, want);
	assert_int_equal(pane_flag(t, "alternate_on"), 0);
	assert_int_equal(pane_flag(t, "cursor_flag"), 1);
	assert_int_equal(pane_flag(t, "keypad_cursor_flag"), 0);
	/* The totals are printed on the terminal once the view is gone; the
	 * interval blocks are not (the view showed them). The totals may be
	 * taller than the pane: the scrollback too. */
	if (tmux(t, t->screen, sizeof(t->screen), "capture-pane", "-p", "-S", "-", "-t", "lv",
		 NULL))
		fail_msg("tmux capture-pane failed");
	assert_non_null(strstr(t->screen, "== bpfprof total"));
	assert_null(strstr(t->screen, "== bpfprof interval"));
}

static const char *end_reason(struct tmux *t, json_t **sum)
{
	*sum = helper_load_json_in(t->out, "summary.json");
	return json_string_value(json_object_get(*sum, "end_reason"));
}

static void spawn_target(struct proc_run *r, const char *name, char *pidstr, size_t len)
{
	char path[512];
	char *argv[] = { path, "gate", "hold", NULL };

	helper_path(path, sizeof(path), name);
	if (helper_spawn(r, argv, true, -1))
		fail_msg("cannot start %s", path);
	snprintf(pidstr, len, "%d", r->pid);
}

/* Each test's tmux server and target, stopped by teardown even when the
 * test fails half-way. */
struct live_test {
	struct tmux t;
	struct proc_run target; /* pid 0: none */
};

static int setup(void **state)
{
	struct live_test *lt = calloc(1, sizeof(*lt));

	if (!lt)
		return -1;
	lt->target.stdin_fd = lt->target.stderr_fd = -1;
	*state = lt;
	return 0;
}

/* Whether pid's command line holds `mark` (our output directory). */
static bool runs_ours(int pid, const char *mark)
{
	char path[64], cmd[4096];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(cmd, 1, sizeof(cmd) - 1, f);
	fclose(f);
	for (size_t i = 0; i < n; i++)
		if (!cmd[i])
			cmd[i] = ' ';
	cmd[n] = '\0';
	return strstr(cmd, mark) != NULL;
}

static int teardown(void **state)
{
	struct live_test *lt = *state;
	struct tmux *t = &lt->t;
	char path[512];
	FILE *f;
	int pid;

	/* A bpfprof still running (the test failed) first, so that it ends as
	 * it would on its own; its command line says it is ours. */
	snprintf(path, sizeof(path), "%s/pid", t->dir);
	if (t->sock[0] && (f = fopen(path, "r"))) {
		if (fscanf(f, "%d", &pid) == 1 && pid > 0 && runs_ours(pid, t->out) &&
		    !kill(pid, SIGTERM))
			wait_text(t, "EXIT=", 10);
		fclose(f);
	}
	tmux_stop(t);
	if (lt->target.pid > 0 && waitpid(lt->target.pid, NULL, WNOHANG) == 0) {
		kill(lt->target.pid, SIGKILL);
		waitpid(lt->target.pid, NULL, 0);
	}
	if (lt->target.stdin_fd >= 0)
		close(lt->target.stdin_fd);
	if (lt->target.stderr_fd >= 0)
		close(lt->target.stderr_fd);
	free(lt);
	return 0;
}

/* ---- the I/O table: io_target's exact work, then q ---- */

struct expect_io {
	const char *name;
	long long ops, bytes, errors;
	bool reads;
};

static const struct expect_io expected_io[] = {
	{ "write", IO_WRITES, IO_WRITES *IO_WRITE_SIZE, 0 },
	{ "read", IO_READS + IO_BAD_READS, IO_READS *IO_READ_SIZE, IO_BAD_READS, true },
	{ "pwrite64", IO_PWRITES, IO_PWRITES *IO_BLOCK, 0 },
	{ "pread64", IO_PREADS, (IO_PREADS - IO_PREADS_AT_EOF) * IO_BLOCK, 0, true },
	{ "writev", IO_WRITEVS, IO_WRITEVS * 100, 0 },
	{ "readv", IO_READVS, IO_READVS * 128, 0, true },
	{ "sendto", IO_DGRAMS, IO_DGRAMS *IO_DGRAM_SIZE, 0 },
	{ "recvfrom", IO_DGRAMS, IO_DGRAMS *IO_DGRAM_SIZE, 0, true },
	{ "sendmsg", IO_MSGS, IO_MSGS *IO_MSG_SIZE, 0 },
	{ "recvmsg", IO_MSGS, IO_MSGS *IO_MSG_SIZE, 0, true },
	{ "sendmmsg", 1, IO_MMSG_VLEN *IO_MMSG_SIZE, 0 },
	{ "recvmmsg", 1, IO_MMSG_VLEN *IO_MMSG_SIZE, 0, true },
};
#define N_IO (sizeof(expected_io) / sizeof(expected_io[0]))

/* Words of an I/O row at 120 columns: NAME OPS OPS/S READ/S WRITE/S ERR
 * P50 P99 READ WRITTEN. NULL when it matches, else what differs. */
static const char *io_mismatch(const char *screen, const struct expect_io *e, char *why, size_t len)
{
	char w[16][48], want[32];
	int n = row_words(screen, e->name, w, 16);

	if (n != 10)
		return snprintf(why, len, "%s: row with %d words", e->name, n), why;
	snprintf(want, sizeof(want), "%lld", e->ops);
	if (strcmp(w[1], want))
		return snprintf(why, len, "%s ops: %s, expected %s", e->name, w[1], want), why;
	snprintf(want, sizeof(want), "%lld", e->errors);
	if (strcmp(w[5], want))
		return snprintf(why, len, "%s errors: %s, expected %s", e->name, w[5], want), why;
	fmt_bytes((uint64_t)e->bytes, want, sizeof(want));
	if (strcmp(w[e->reads ? 8 : 9], want) || strcmp(w[e->reads ? 9 : 8], "0B"))
		return snprintf(why, len, "%s bytes: %s/%s, expected %s", e->name, w[8], w[9],
				want),
		       why;
	return NULL;
}

static const char *io_screen_mismatch(const char *screen, char *why, size_t len)
{
	for (size_t i = 0; i < N_IO; i++)
		if (io_mismatch(screen, &expected_io[i], why, len))
			return why;
	return NULL;
}

static void test_io_table_then_quit(void **state)
{
	struct live_test *lt = *state;
	struct tmux *t = &lt->t;
	struct proc_run *target = &lt->target;
	char pid[16], args[128], why[256], header[64], total_ops[16], seen[sizeof(t->screen)];
	long long ops = 0;
	double end;
	json_t *sum, *proc;

	REQUIRE_ROOT_BPF();
	tmux_start(t, 120, 40);
	spawn_target(target, "targets/io_target", pid, sizeof(pid));
	snprintf(args, sizeof(args), "-i 0.3 -p %s", pid);
	start_bpfprof(t, args);
	snprintf(header, sizeof(header), "bpfprof  pid %s (io_target)", pid);
	must_see(t, header);
	must_see(t, "bpfprof: cpu");
	assert_int_equal(pane_flag(t, "alternate_on"), 1);
	assert_int_equal(pane_flag(t, "cursor_flag"), 0);
	helper_send(target, "g");

	/* Cumulative figures: every I/O syscall of the target, exactly. */
	keys(t, "c");
	end = now() + WAIT_S;
	while (io_screen_mismatch(capture(t), why, sizeof(why)) && now() < end)
		usleep(100 * 1000);
	if (io_screen_mismatch(t->screen, why, sizeof(why)))
		fail_msg("%s\n%s", why, t->screen);
	assert_non_null(strstr(t->screen, "showing cumulative"));
	assert_non_null(strstr(t->screen, "lost 0"));
	for (size_t i = 0; i < N_IO; i++)
		ops += expected_io[i].ops;
	snprintf(total_ops, sizeof(total_ops), "%lld", ops);
	assert_true(word_is(t->screen, pid, 2, total_ops)); /* "PID comm OPS ..." */
	memcpy(seen, t->screen, sizeof(seen));

	/* The last interval: the target is idle now, the rows stay at 0. */
	keys(t, "c");
	must_see(t, "showing last ");
	end = now() + WAIT_S;
	while (!word_is(capture(t), "write", 1, "0") && now() < end)
		usleep(100 * 1000);
	assert_true(word_is(t->screen, "write", 1, "0"));
	assert_true(word_is(t->screen, "write", 6, "-"));

	keys(t, "q");
	expect_restored(t, 0);
	assert_string_equal(end_reason(t, &sum), "quit");
	/* The percentiles on screen are the summary's. */
	proc = helper_find_proc(sum, target->pid);
	assert_non_null(proc);
	for (size_t i = 0; i < N_IO; i++) {
		char key[64], p50[32], p99[32];

		snprintf(key, sizeof(key), "io.%s.latency_ns.p50", expected_io[i].name);
		fmt_duration((uint64_t)helper_int(proc, key), p50, sizeof(p50));
		snprintf(key, sizeof(key), "io.%s.latency_ns.p99", expected_io[i].name);
		fmt_duration((uint64_t)helper_int(proc, key), p99, sizeof(p99));
		if (!word_is(seen, expected_io[i].name, 6, p50) ||
		    !word_is(seen, expected_io[i].name, 7, p99))
			fail_msg("%s: screen differs from summary p50 %s p99 %s:\n%s",
				 expected_io[i].name, p50, p99, seen);
	}
	json_decref(sum);
	/* The target is still there after q; let it go. */
	assert_int_equal(waitpid(target->pid, NULL, WNOHANG), 0);
	close(target->stdin_fd);
	target->stdin_fd = -1;
	assert_int_equal(helper_wait_exit(target, WAIT_S), 0);
}

/* ---- stages: exact calls, histograms, every key, then SIGTERM ---- */

struct expect_stage {
	const char *name;
	long long calls;
};

static const struct expect_stage expected_stages[] = {
	{ "stage_recurse", STAGE_RECURSE_CALLS *(STAGE_RECURSE_DEPTH + 1) },
	{ "stage_inner", 2 * STAGE_OUTER_CALLS },
	{ "stage_sleep", STAGE_SLEEP_CALLS },
	{ "stage_threaded", STAGE_THREADS *STAGE_THREAD_CALLS },
	{ "stage_outer", STAGE_OUTER_CALLS },
	{ "stage_writer", STAGE_WRITER_CALLS },
	{ "stage_jumper", STAGE_JUMP_CALLS },
};
#define N_STAGES (sizeof(expected_stages) / sizeof(expected_stages[0]))

static bool stages_all_there(const char *screen)
{
	char want[32];

	for (size_t i = 0; i < N_STAGES; i++) {
		snprintf(want, sizeof(want), "%lld", expected_stages[i].calls);
		if (!word_is(screen, expected_stages[i].name, 1, want))
			return false;
	}
	return true;
}

/* The first word of each stage table row, in screen order. */
static int stage_order(const char *screen, char names[][48], int max)
{
	const char *l = strstr(screen, "\nSTAGE");
	int n = 0;

	while (l && (l = strchr(l + 1, '\n')) && n < max) {
		char w[48];

		if (sscanf(l + 1, "%47s", w) != 1 || strncmp(w, "stage_", 6) || strchr(w, ':'))
			break;
		snprintf(names[n++], 48, "%s", w);
	}
	return n;
}

/* Bar rows under the histogram title "NAME: N calls", summed; their number
 * in *rows. */
static long long hist_sum(const char *screen, const char *name, long long *calls, int *rows)
{
	char title[64];
	const char *l;
	long long sum = 0, c;

	*rows = 0;
	snprintf(title, sizeof(title), "\n%s: ", name);
	l = strstr(screen, title);
	if (!l || sscanf(l + strlen(title), "%lld calls", calls) != 1)
		return -1;
	while ((l = strchr(l + 1, '\n'))) {
		const char *bar = strchr(l + 1, '|');
		const char *eol = strchr(l + 1, '\n');

		if (!bar || (eol && bar > eol) || !strchr(bar + 1, '|'))
			break;
		if (sscanf(strchr(bar + 1, '|') + 1, "%lld", &c) != 1)
			break;
		sum += c;
		(*rows)++;
	}
	return sum;
}

static void test_stages_keys_then_sigterm(void **state)
{
	struct live_test *lt = *state;
	struct tmux *t = &lt->t;
	struct proc_run *target = &lt->target;
	char pid[16], args[128], names[16][48], a[sizeof(t->screen)], flushes[512];
	long long calls, lines_before;
	double end;
	json_t *sum, *proc, *st, *jl;
	size_t i;
	int n;

	REQUIRE_ROOT_BPF();
	/* Tall enough for the totals: stage times without the probes' cost
	 * spread the histograms over more rows. */
	tmux_start(t, 130, 80);
	spawn_target(target, "targets/stage_target_pie", pid, sizeof(pid));
	snprintf(args, sizeof(args), "-i 0.3 -u 'stage_*' -p %s", pid);
	start_bpfprof(t, args);
	must_see(t, "sort: activity");
	helper_send(target, "g");
	keys(t, "c");
	end = now() + WAIT_S;
	while (!stages_all_there(capture(t)) && now() < end)
		usleep(100 * 1000);
	if (!stages_all_there(t->screen))
		fail_msg("stage calls differ from the target's:\n%s", t->screen);
	/* Charged I/O: IO OPS, IO READ, IO WRITE, then the WALL bar (ten
	 * tenths of its self time). */
	{
		char w[16][48], rd[32], wr[32];

		n = row_words(t->screen, "stage_writer", w, 16);
		assert_int_equal(n, 12);
		assert_int_equal(strlen(w[11]), 10);
		assert_int_equal(strspn(w[11], "#~ilso"), 10);
		assert_int_equal(atoi(w[8]),
				 STAGE_WRITER_CALLS * (STAGE_WRITER_WRITES + STAGE_WRITER_READS));
		fmt_bytes(STAGE_WRITER_CALLS * STAGE_WRITER_READS * STAGE_WRITER_READ_SIZE, rd,
			  sizeof(rd));
		fmt_bytes(STAGE_WRITER_CALLS * STAGE_WRITER_WRITES * STAGE_WRITER_WRITE_SIZE, wr,
			  sizeof(wr));
		assert_string_equal(w[9], rd);
		assert_string_equal(w[10], wr);
	}
	/* Sorted by calls; each histogram's bars hold every call, unless an
	 * outlier (a preempted call) widened it past the 8 rows shown. */
	n = stage_order(t->screen, names, 16);
	/* stage_jumped never returns (it longjmps): a row of 0 calls, last,
	 * and its calls in the line under the table. */
	assert_int_equal(n, N_STAGES + 1);
	assert_string_equal(names[0], "stage_recurse");
	assert_string_equal(names[N_STAGES], "stage_jumped");
	assert_true(word_is(t->screen, "stage_jumped", 1, "0"));
	snprintf(a, sizeof(a),
		 "\nunfinished (never returned, in no figure above): stage_jumped %d\n",
		 STAGE_JUMP_CALLS);
	if (!strstr(t->screen, a))
		fail_msg("no line of stage_jumped's %d unfinished calls:\n%s", STAGE_JUMP_CALLS,
			 t->screen);
	for (i = 0; i < 3; i++) {
		int rows;
		long long s = hist_sum(t->screen, expected_stages[i].name, &calls, &rows);

		if (calls != expected_stages[i].calls || s > calls || (rows < 8 && s != calls) ||
		    rows < 1)
			fail_msg("%s histogram: %lld in %d bars, %lld in the title, expected "
				 "%lld\n%s",
				 expected_stages[i].name, s, rows, calls, expected_stages[i].calls,
				 t->screen);
	}
	memcpy(a, t->screen, sizeof(a));

	/* s: by time (stage_sleep leads), by name, back to activity. */
	keys(t, "s");
	must_see(t, "sort: time");
	stage_order(t->screen, names, 16);
	assert_string_equal(names[0], "stage_sleep");
	/* ... by a column the screen shows. */
	assert_non_null(strstr(t->screen, " TOTAL\n"));
	assert_non_null(strstr(t->screen, " TIME\n"));
	keys(t, "s");
	must_see(t, "sort: name");
	n = stage_order(t->screen, names, 16);
	for (int k = 1; k < n; k++)
		assert_true(strcmp(names[k - 1], names[k]) < 0);
	keys(t, "s");
	must_see(t, "sort: activity");

	/* h: help instead of the tables; any key closes it. */
	keys(t, "h");
	must_see_without(t, "p   pause the display", "\nSTAGE");
	keys(t, "x");
	must_see(t, "\nSTAGE");

	/* t: the probes are detached, and the message says so; t again
	 * attaches them. */
	keys(t, "t");
	must_see(t, "stage probes off (detached: they cost the target nothing)");
	must_see(t, "stages: off");
	keys(t, "t");
	must_see(t, "stage probes on");
	must_see(t, "stages: on");

	/* p: the screen stands still while the flushes go on. */
	snprintf(flushes, sizeof(flushes), "%s/flushes.jsonl", t->out);
	keys(t, "p");
	must_see(t, "PAUSED");
	usleep(400 * 1000);
	memcpy(a, capture(t), sizeof(a));
	jl = helper_load_jsonl(flushes);
	lines_before = (long long)json_array_size(jl);
	json_decref(jl);
	usleep(1500 * 1000); /* five intervals */
	capture(t);
	if (strcmp(a, t->screen))
		fail_msg("the paused screen changed:\n%s\n---\n%s", a, t->screen);
	jl = helper_load_jsonl(flushes);
	assert_true((long long)json_array_size(jl) > lines_before);
	json_decref(jl);
	keys(t, "p");
	end = now() + WAIT_S;
	while (strstr(capture(t), "PAUSED") && now() < end)
		usleep(100 * 1000);
	assert_null(strstr(t->screen, "PAUSED"));
	assert_true(stages_all_there(t->screen));

	/* SIGTERM: outputs written, terminal restored. */
	assert_int_equal(kill(bpfprof_pid(t), SIGTERM), 0);
	expect_restored(t, 0);
	assert_string_equal(end_reason(t, &sum), "SIGTERM");
	proc = helper_find_proc(sum, target->pid);
	assert_non_null(proc);
	/* The stage percentiles shown are the summary's. */
	json_array_foreach (json_object_get(proc, "stages"), i, st) {
		const char *name = json_string_value(json_object_get(st, "name"));
		char w[16][48], d[32], p50[40], max[32];

		if (!row_words(a, name, w, 16))
			continue;
		/* No call returned (stage_jumped): no latency to show. */
		if (!helper_int(st, "calls")) {
			assert_string_equal(w[3], "-");
			assert_string_equal(w[6], "-");
			continue;
		}
		fmt_duration((uint64_t)helper_int(st, "latency_ns.p50"), d, sizeof(d));
		/* "~": half the calls or more below the probes' resolution. */
		snprintf(p50, sizeof(p50), "%s%s",
			 helper_int(st, "calls_clamped") * 2 >= helper_int(st, "calls") ? "~" : "",
			 d);
		fmt_duration((uint64_t)helper_int(st, "max_ns"), max, sizeof(max));
		if (strcmp(w[3], p50) || strcmp(w[6], max))
			fail_msg("%s: screen p50 %s max %s, summary %s %s", name, w[3], w[6], p50,
				 max);
	}
	json_decref(sum);
	close(target->stdin_fd);
	target->stdin_fd = -1;
	assert_int_equal(helper_wait_exit(target, WAIT_S), 0);
}

/* ---- resize, then the target's exit ends the view ---- */

static bool all_lines_within(const char *screen, int cols)
{
	for (const char *l = screen; l && *l;) {
		const char *eol = strchr(l, '\n');
		size_t len = eol ? (size_t)(eol - l) : strlen(l);

		if (len > (size_t)cols)
			return false;
		l = eol ? eol + 1 : NULL;
	}
	return true;
}

static void resize(struct tmux *t, int w, int h)
{
	char ws[16], hs[16];

	snprintf(ws, sizeof(ws), "%d", w);
	snprintf(hs, sizeof(hs), "%d", h);
	if (tmux(t, NULL, 0, "resize-window", "-t", "lv", "-x", ws, "-y", hs, NULL))
		fail_msg("tmux resize-window failed");
}

static void test_resize_then_target_exit(void **state)
{
	struct live_test *lt = *state;
	struct tmux *t = &lt->t;
	struct proc_run *target = &lt->target;
	char pid[16], args[128], w[16][48];
	json_t *sum;
	int n;

	REQUIRE_ROOT_BPF();
	tmux_start(t, 120, 40);
	spawn_target(target, "targets/io_target", pid, sizeof(pid));
	snprintf(args, sizeof(args), "-i 0.3 -p %s", pid);
	start_bpfprof(t, args);
	must_see(t, "sort: activity");
	helper_send(target, "g");
	keys(t, "c");
	must_see(t, "  recvmmsg");
	must_see(t, "WRITTEN");

	/* Narrower: fewer columns, nothing wrapped, counts still right. */
	resize(t, 64, 16);
	must_see(t, "more rows");
	assert_true(all_lines_within(t->screen, 64));
	assert_null(strstr(t->screen, "WRITTEN"));
	n = row_words(t->screen, "write", w, 16);
	assert_int_equal(n, 5); /* write OPS ERR P50 P99 */
	assert_string_equal(w[1], "1000");
	assert_true(!strncmp(t->screen, "bpfprof", 7));

	resize(t, 50, 8);
	must_see(t, "terminal too small (50x8)");

	resize(t, 120, 40);
	must_see(t, "WRITTEN");
	assert_true(word_is(t->screen, "write", 1, "1000"));

	/* The target exits: the view ends by itself. */
	close(target->stdin_fd);
	target->stdin_fd = -1;
	assert_int_equal(helper_wait_exit(target, WAIT_S), 0);
	expect_restored(t, 0);
	assert_string_equal(end_reason(t, &sum), "target exited");
	json_decref(sum);
}

/* ---- -U PROVIDER:NAME hits: python3.11 makes 1 + 3 * 50 calls ---- */

/* Row `first` of the USDT section (the I/O table also has a pid row). */
static bool usdt_word_is(struct tmux *t, const char *first, int i, const char *want)
{
	const char *sec = strstr(capture(t), "PROCESS / USDT PROBE");

	return sec && word_is(sec, first, i, want);
}

static void must_see_usdt(struct tmux *t, const char *first, int i, const char *want)
{
	double end = now() + WAIT_S;

	while (!usdt_word_is(t, first, i, want))
		if (now() > end)
			fail_msg("no USDT row '%s' with word %d '%s'; the screen shows:\n%s", first, i,
				 want, t->screen);
		else
			usleep(100 * 1000);
}

static void test_usdt_hits(void **state)
{
	struct live_test *lt = *state;
	struct tmux *t = &lt->t;
	struct proc_run *py = &lt->target;
	char script[512], args[160], pid[16];
	char *argv[] = { "/usr/bin/python3.11", "-S", "-I", script, NULL };
	json_t *sum, *u;
	FILE *f;

	REQUIRE_ROOT_BPF();
	tmux_start(t, 120, 40);
	/* Waits for input, calls top(50), waits again: os.read, as
	 * sys.stdin.readline would call the UTF-8 decoder's Python decode(). */
	snprintf(script, sizeof(script), "%s/calls.py", t->dir);
	f = fopen(script, "w");
	assert_non_null(f);
	fputs("import os\n"
	      "def leaf():\n    return 1\n"
	      "def mid():\n    return leaf() + leaf()\n"
	      "def top(n):\n    s = 0\n    for _ in range(n):\n        s += mid()\n    return s\n"
	      "os.read(0, 64)\ntop(50)\nos.read(0, 64)\n",
	      f);
	fclose(f);
	if (helper_spawn(py, argv, true, -1))
		fail_msg("cannot start python3.11");
	snprintf(pid, sizeof(pid), "%d", py->pid);
	snprintf(args, sizeof(args), "-i 0.3 -p %s -U python:function__entry", pid);
	start_bpfprof(t, args);
	must_see(t, "sort: activity");
	must_see(t, "PROCESS / USDT PROBE");
	must_see(t, "  no hits yet");
	helper_send(py, "g\n");
	/* Since the start: exactly its calls, on the process row and the
	 * probe's. */
	keys(t, "c");
	must_see_usdt(t, "python:function__entry", 1, "151");
	assert_true(usdt_word_is(t, pid, 2, "151"));
	assert_true(usdt_word_is(t, pid, 1, "python3.11"));
	/* The last interval: none; the rows stay. */
	keys(t, "c");
	must_see_usdt(t, "python:function__entry", 1, "0");
	assert_true(usdt_word_is(t, "python:function__entry", 2, "0"));
	keys(t, "q");
	expect_restored(t, 0);
	sum = helper_load_json_in(t->out, "summary.json");
	u = json_array_get(json_object_get(helper_find_proc(sum, py->pid), "usdt"), 0);
	assert_non_null(u);
	assert_string_equal(json_string_value(json_object_get(u, "name")), "function__entry");
	assert_int_equal(helper_int(u, "hits"), 151);
	json_decref(sum);
}

/* ---- -d ends the view too ---- */

static void test_deadline(void **state)
{
	struct live_test *lt = *state;
	struct tmux *t = &lt->t;
	struct proc_run *sleeper = &lt->target;
	char args[128], path[512];
	char *argv[] = { path, "60", NULL };
	json_t *sum;

	REQUIRE_ROOT_BPF();
	tmux_start(t, 100, 30);
	helper_path(path, sizeof(path), "targets/sleeper");
	assert_int_equal(helper_spawn(sleeper, argv, false, -1), 0);
	snprintf(args, sizeof(args), "-i 0.2 -d 2 -p %d", sleeper->pid);
	start_bpfprof(t, args);
	must_see(t, "sort: activity");
	expect_restored(t, 0);
	assert_string_equal(end_reason(t, &sum), "duration");
	json_decref(sum);
	kill(sleeper->pid, SIGKILL);
	helper_wait_exit(sleeper, WAIT_S);
}

/* ---- the plain report ---- */

/* stdout to a file: not a terminal, so the plain report, no escapes. */
static void test_plain_when_not_a_tty(void **state)
{
	char dir[256], out[300], sum[300], bin[512], target[512], cmd[2048], *text;
	FILE *f;
	long len;

	REQUIRE_ROOT_BPF();
	helper_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/stdout", dir);
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/io_target");
	snprintf(cmd, sizeof(cmd), "%s -i 0.05 -o %s/o -- %s slow > %s 2>/dev/null", bin, dir,
		 target, out);
	assert_int_equal(system(cmd), 0);
	f = fopen(out, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)len + 1);
	assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	assert_non_null(strstr(text, "== bpfprof interval 0 ("));
	assert_non_null(strstr(text, "== bpfprof total ("));
	assert_null(strchr(text, '\033'));
	snprintf(sum, sizeof(sum), "%s/o/summary.json", dir);
	assert_true(helper_exists(sum));
	free(text);
	helper_rmtree(dir);
}

/* On a terminal, --plain prints the plain report and -q nothing. */
static void test_plain_and_quiet_on_a_tty(void **state)
{
	struct live_test *lt = *state;
	struct tmux *t = &lt->t;
	char args[600], target[512];

	REQUIRE_ROOT_BPF();
	tmux_start(t, 120, 40);
	helper_path(target, sizeof(target), "targets/io_target");
	snprintf(args, sizeof(args), "--plain -i 0.05 -- %s slow", target);
	start_bpfprof(t, args);
	must_see(t, "EXIT=0");
	assert_non_null(strstr(t->screen, "== bpfprof interval"));
	assert_non_null(strstr(t->screen, "== bpfprof total"));
	assert_int_equal(pane_flag(t, "alternate_on"), 0);
	tmux_stop(t);

	tmux_start(t, 120, 40);
	snprintf(args, sizeof(args), "-q -i 0.05 -- %s", target);
	start_bpfprof(t, args);
	must_see(t, "EXIT=0");
	assert_null(strstr(t->screen, "== bpfprof"));
	assert_null(strstr(t->screen, "bpfprof:"));
	assert_true(helper_exists(strcat(t->out, "/summary.json")));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_io_table_then_quit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stages_keys_then_sigterm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resize_then_target_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_usdt_hits, setup, teardown),
		cmocka_unit_test(test_plain_when_not_a_tty),
		cmocka_unit_test_setup_teardown(test_plain_and_quiet_on_a_tty, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
