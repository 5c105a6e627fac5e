// SPDX-License-Identifier: MIT
#include <curses.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>
#include "live/live_layout.h"
#include "live/live_view.h"
#include "common/clock.h"
#include "run/target.h"
#include "telemetry/telemetry.h"

/* What the screen shows; while paused, a copy taken at the pause. */
struct live_data {
	const struct profile *total, *delta;
	double seconds, uptime_s;
	double cpu_pct;
	uint64_t rss;
	char cost[160]; /* bpfprof's cost to the target; "": not known */
	bool started;
};

struct live_view {
	SCREEN *screen;
	int key_fd;   /* stdin, when it is a terminal; -1 after it hangs up */
	int winch_fd; /* signalfd for SIGWINCH */
	sigset_t winch_was_blocked;
	char target[256];
	double interval_s;
	const struct stage_table *stages;
	struct live_data latest, frozen;
	struct profile frozen_total, frozen_delta;
	bool cumulative, paused, help;
	enum live_sort sort;
	int (*toggle)(void *ctx);
	void *toggle_ctx;
	int stages_on;
	bool no_syscalls; /* --stages-only */
	const char *message;
	bool functions; /* the f pane */
	bool have_cpu;	/* cpu_interval and cpu_total hold samples' tops */
	struct sample_tops cpu_interval, cpu_total;
	struct live_screen scr;
	/* bpfprof's own CPU time at the previous update, and when */
	double last_cpu_s, last_mono;
};

/* The view on screen, for the exit() safety net. */
static struct live_view *active;

/*
 * CPU seconds bpfprof has used, all threads. getrusage, not /proc/PID/stat
 * (telemetry_sample): stat counts in 10 ms ticks, too coarse to tell 0.3%
 * from 0% over a 1 s interval.
 */
static double own_cpu_s(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return -1;
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static void describe_target(const struct run_info *ri, char *buf, size_t len)
{
	char exe[4096];
	size_t pos;

	switch (ri->mode) {
	case TARGET_SYSTEM:
		snprintf(buf, len, "all processes");
		break;
	case TARGET_PID:
		target_exe_path(ri->pid, exe, sizeof(exe));
		snprintf(buf, len, "pid %d (%.200s)", ri->pid,
			 strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe);
		break;
	case TARGET_COMMAND:
		pos = (size_t)snprintf(buf, len, "pid %d:", ri->pid);
		for (int i = 0; ri->argv && ri->argv[i] && pos < len; i++)
			pos += (size_t)snprintf(buf + pos, len - pos, " %s", ri->argv[i]);
		break;
	}
}

static void at_exit_restore(void)
{
	live_view_stop(active);
}

static void draw(struct live_view *v)
{
	const struct live_data *d = v->paused ? &v->frozen : &v->latest;
	struct live_frame f = {
		.target = v->target,
		.uptime_s = d->uptime_s,
		.interval_s = v->interval_s,
		.started = d->started,
		.cumulative = v->cumulative,
		.paused = v->paused,
		.help = v->help,
		.sort = v->sort,
		.stages_on = v->stages_on,
		.no_syscalls = v->no_syscalls,
		.stages = v->stages,
		.self_cpu_pct = d->cpu_pct,
		.self_rss = d->rss,
		.cost = d->cost[0] ? d->cost : NULL,
		.message = v->message,
		.functions = v->functions,
		.cpu_total = v->have_cpu ? &v->cpu_total : NULL,
		.cpu_interval = v->have_cpu ? &v->cpu_interval : NULL,
	};
	int rows = LINES, cols = COLS;

	if (d->started) {
		f.total = d->total;
		f.shown = v->cumulative ? d->total : d->delta;
		f.window_s = v->cumulative ? d->uptime_s : d->seconds;
		f.events = profile_syscall_count(d->total) + profile_stage_calls(d->total);
		f.events_per_s = d->seconds > 0 ? (profile_syscall_count(d->delta) +
						   profile_stage_calls(d->delta)) /
							  d->seconds
						: 0;
		f.lost = audit_lost(d->total->audit);
	}
	if ((v->scr.rows != rows || v->scr.cols != cols) && live_screen_resize(&v->scr, rows, cols))
		return;
	live_render(&f, &v->scr);
	for (int y = 0; y < rows; y++) {
		enum live_attr a = v->scr.attr[y];
		/* The bottom-right cell is left alone: writing it would scroll. */
		int w = y == rows - 1 ? cols - 1 : cols;

		attrset(a == LIVE_TITLE ? A_REVERSE : a == LIVE_HEADING ? A_BOLD : A_NORMAL);
		mvprintw(y, 0, "%-*.*s", w, w, live_screen_line(&v->scr, y));
	}
	attrset(A_NORMAL);
	refresh();
}

void live_view_block_signals(void)
{
	sigset_t winch;

	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	sigprocmask(SIG_BLOCK, &winch, NULL);
}

struct live_view *live_view_start(const struct run_info *ri, double interval_s, char *err,
				  size_t errlen)
{
	const char *term = getenv("TERM");
	struct live_view *v;
	sigset_t winch;

	if (!term || !*term) {
		snprintf(err, errlen, "TERM is not set");
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	if (!v) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	v->key_fd = isatty(STDIN_FILENO) ? STDIN_FILENO : -1;
	v->interval_s = interval_s;
	v->stages_on = -1;
	v->no_syscalls = ri->stages_only;
	v->latest.cpu_pct = -1;
	v->last_cpu_s = own_cpu_s();
	v->last_mono = clock_mono_s();
	describe_target(ri, v->target, sizeof(v->target));
	profile_init(&v->frozen_total);
	profile_init(&v->frozen_delta);

	/* Resizes arrive as a readable fd in the run loop's poll, like
	 * SIGINT and SIGTERM do. */
	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	sigprocmask(SIG_BLOCK, &winch, &v->winch_was_blocked);
	v->winch_fd = signalfd(-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK);

	v->screen = newterm(NULL, stdout, stdin);
	if (!v->screen) {
		snprintf(err, errlen, "terminal type '%s' is unknown", term);
		live_view_stop(v);
		return NULL;
	}
	active = v;
	atexit(at_exit_restore);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	leaveok(stdscr, TRUE);
	curs_set(0);
	draw(v);
	return v;
}

/* A deep copy of src (the empty profile as prev copies every process). */
static int copy_profile(struct profile *dst, const struct profile *src)
{
	static const struct profile empty;

	return profile_delta(dst, src, &empty);
}

static void set_paused(struct live_view *v, bool paused)
{
	profile_free(&v->frozen_total);
	profile_free(&v->frozen_delta);
	sample_tops_free(&v->cpu_interval);
	sample_tops_free(&v->cpu_total);
	v->paused = false;
	if (!paused)
		return;
	v->frozen = v->latest;
	if (v->latest.started) {
		if (copy_profile(&v->frozen_total, v->latest.total) ||
		    copy_profile(&v->frozen_delta, v->latest.delta)) {
			profile_free(&v->frozen_total);
			profile_free(&v->frozen_delta);
			v->message = "cannot pause: out of memory";
			return;
		}
		v->frozen.total = &v->frozen_total;
		v->frozen.delta = &v->frozen_delta;
	}
	v->paused = true;
}

void live_view_update(struct live_view *v, const struct profile *total, const struct profile *delta,
		      double seconds, double uptime_s, const struct stage_table *stages)
{
	struct proc_telemetry self;
	double cpu = own_cpu_s(), mono = clock_mono_s();

	if (!v)
		return;
	v->stages = stages;
	v->latest.total = total;
	v->latest.delta = delta;
	v->latest.seconds = seconds;
	v->latest.uptime_s = uptime_s;
	v->latest.started = true;
	/* bpfprof's own cost, as the header shows it. */
	if (cpu >= 0 && v->last_cpu_s >= 0 && mono > v->last_mono)
		v->latest.cpu_pct = 100 * (cpu - v->last_cpu_s) / (mono - v->last_mono);
	v->last_cpu_s = cpu;
	v->last_mono = mono;
	if (!telemetry_sample(getpid(), &self))
		v->latest.rss = self.rss_bytes;
	if (!v->paused)
		draw(v);
}

void live_view_pollfds(const struct live_view *v, struct pollfd pfd[2])
{
	pfd[0] = (struct pollfd){ .fd = v ? v->key_fd : -1, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = v ? v->winch_fd : -1, .events = POLLIN };
}

static void resize(struct live_view *v)
{
	struct signalfd_siginfo si;
	struct winsize ws;

	while (read(v->winch_fd, &si, sizeof(si)) == sizeof(si))
		;
	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_row && ws.ws_col)
		resizeterm(ws.ws_row, ws.ws_col);
	/* Everything is drawn again: the terminal may have reflowed it. */
	clearok(curscr, TRUE);
}

static void toggle_stages(struct live_view *v)
{
	int on;

	if (!v->toggle) {
		v->message = "t: switching stage probes is not available in this build";
		return;
	}
	on = v->toggle(v->toggle_ctx);
	if (on < 0) {
		v->message = "t: could not switch the stage probes";
		return;
	}
	v->stages_on = on;
	v->message = on ? "stage probes on" : "stage probes off (detached: they cost the target nothing)";
}

/* One key; false when it asks to quit. */
static bool key(struct live_view *v, int ch)
{
	if (ch == KEY_RESIZE)
		return true;
	v->message = NULL;
	if (v->help && ch != 'q' && ch != 'Q') {
		v->help = false;
		return true;
	}
	switch (ch) {
	case 'q':
	case 'Q':
		return false;
	case 'p':
	case 'P':
		set_paused(v, !v->paused);
		break;
	case 'c':
	case 'C':
		v->cumulative = !v->cumulative;
		break;
	case 's':
	case 'S':
		v->sort = (v->sort + 1) % LIVE_SORT_NR;
		break;
	case 'h':
	case 'H':
	case '?':
		v->help = true;
		break;
	case 't':
	case 'T':
		toggle_stages(v);
		break;
	case 'f':
	case 'F':
		v->functions = !v->functions;
		if (v->functions && !v->have_cpu)
			v->message = "no CPU samples: run bpfprof with --cpu-sample HZ";
		break;
	case 12: /* Ctrl-L */
		clearok(curscr, TRUE);
		break;
	default:
		v->message = "unknown key: h shows the keys";
		break;
	}
	return true;
}

enum live_input live_view_input(struct live_view *v, const struct pollfd pfd[2])
{
	bool quit = false;
	int ch;

	if (!v)
		return LIVE_CONTINUE;
	if (pfd[1].revents & POLLIN)
		resize(v);
	if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL))
		v->key_fd = -1; /* the terminal hung up: no more keys */
	if (pfd[0].revents & POLLIN)
		while (!quit && (ch = getch()) != ERR)
			quit = !key(v, ch);
	if (quit)
		return LIVE_QUIT;
	draw(v);
	return LIVE_CONTINUE;
}

void live_view_set_stage_toggle(struct live_view *v, int (*fn)(void *ctx), void *ctx, bool on)
{
	if (!v)
		return;
	v->toggle = fn;
	v->toggle_ctx = ctx;
	v->stages_on = on;
	draw(v);
}

void live_view_set_cost(struct live_view *v, const char *text)
{
	if (v) /* the paused screen keeps its frozen copy */
		snprintf(v->latest.cost, sizeof(v->latest.cost), "%s", text);
}

void live_view_set_cpu_tops(struct live_view *v, struct sample_tops *interval,
			    struct sample_tops *total)
{
	if (!v || v->paused) {
		sample_tops_free(interval);
		sample_tops_free(total);
		return;
	}
	sample_tops_free(&v->cpu_interval);
	sample_tops_free(&v->cpu_total);
	v->cpu_interval = *interval;
	v->cpu_total = *total;
	v->have_cpu = true;
}

void live_view_set_stages_state(struct live_view *v, bool on)
{
	if (!v)
		return;
	v->stages_on = on;
	draw(v);
}

void live_view_stop(struct live_view *v)
{
	if (!v)
		return;
	if (v->screen) {
		curs_set(1);
		endwin();
		delscreen(v->screen);
		fflush(stdout);
	}
	if (v->winch_fd >= 0)
		close(v->winch_fd);
	if (!sigismember(&v->winch_was_blocked, SIGWINCH)) {
		sigset_t winch;

		sigemptyset(&winch);
		sigaddset(&winch, SIGWINCH);
		sigprocmask(SIG_UNBLOCK, &winch, NULL);
	}
	if (active == v)
		active = NULL;
	profile_free(&v->frozen_total);
	profile_free(&v->frozen_delta);
	live_screen_free(&v->scr);
	free(v);
}
