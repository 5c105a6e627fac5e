// SPDX-License-Identifier: MIT
/*
 * The run loop: a flush every interval, the live view's keys, the span
 * events and the cost windows, until the target exits, the duration ends,
 * a signal arrives or the live view quits.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "events/events.h"
#include "live/live_view.h"
#include "run/session.h"

static int timer_fd(double seconds, bool periodic)
{
	struct itimerspec its = {};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);

	if (fd < 0)
		return -1;
	its.it_value.tv_sec = (time_t)seconds;
	its.it_value.tv_nsec = (long)((seconds - (double)its.it_value.tv_sec) * 1e9);
	if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
		its.it_value.tv_nsec = 1;
	if (periodic)
		its.it_interval = its.it_value;
	if (timerfd_settime(fd, 0, &its, NULL)) {
		close(fd);
		return -1;
	}
	return fd;
}

bool session_toggle_stages(struct session *s, const char *why)
{
	return stage_control_toggle(&s->ctl, why);
}

/* A signal from sigfd: true when it ends the run. */
static bool on_signal(struct session *s, int sigfd)
{
	struct signalfd_siginfo si;

	if (read(sigfd, &si, sizeof(si)) != sizeof(si))
		return false;
	if (si.ssi_signo == SIGUSR1) {
		live_view_set_stages_state(s->view, session_toggle_stages(s, "SIGUSR1"));
		return false;
	}
	s->info.end_reason = si.ssi_signo == SIGINT   ? "SIGINT"
			     : si.ssi_signo == SIGHUP ? "SIGHUP"
						      : "SIGTERM";
	/* A terminal's Ctrl-C (from the kernel) reached the command too; a
	 * kill(1) of bpfprof did not. */
	s->forward_sig = si.ssi_code == SI_KERNEL ? 0 : (int)si.ssi_signo;
	return true;
}

int session_loop(struct session *s, int sigfd)
{
	int tick = timer_fd(s->env->interval_s, true);
	int deadline = s->env->duration_s > 0 ? timer_fd(s->env->duration_s, false) : -1;
	int rc = 0;

	if (tick < 0 || (s->env->duration_s > 0 && deadline < 0)) {
		fprintf(stderr, "bpfprof: timerfd: %s\n", strerror(errno));
		rc = -1;
		goto cleanup;
	}
	for (;;) {
		struct pollfd pfd[8] = {
			{ .fd = sigfd, .events = POLLIN },
			{ .fd = s->target.pidfd, .events = POLLIN },
			{ .fd = deadline, .events = POLLIN },
			{ .fd = tick, .events = POLLIN },
		};
		uint64_t expirations;

		/* The live view's keys and resizes, or two unused slots. */
		live_view_pollfds(s->view, &pfd[4]);
		pfd[6] = (struct pollfd){ .fd = events_fd(s->events), .events = POLLIN };
		/* The cost measuring windows open and close. */
		pfd[7] = (struct pollfd){ .fd = cost_meter_window_fd(&s->cost), .events = POLLIN };
		if (poll(pfd, 8, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = -1;
			break;
		}
		if (pfd[0].revents) {
			if (on_signal(s, sigfd))
				break;
			continue;
		}
		if (pfd[1].revents) {
			/* -p PID,PID...: the run lasts until the last exits. */
			if (target_watch_next(&s->target))
				continue;
			s->info.end_reason = "target exited";
			break;
		}
		if (pfd[2].revents) {
			s->info.end_reason = "duration";
			s->forward_sig = SIGTERM;
			break;
		}
		if (pfd[3].revents && read(tick, &expirations, sizeof(expirations)) > 0)
			session_flush(s);
		if ((pfd[4].revents || pfd[5].revents) &&
		    live_view_input(s->view, &pfd[4]) == LIVE_QUIT) {
			/* As Ctrl-C would: it reaches a command we started too. */
			if (s->target.is_child)
				kill(s->target.pid, SIGINT);
			s->info.end_reason = "quit";
			break;
		}
		if (pfd[6].revents)
			events_service(s->events);
		if (pfd[7].revents)
			cost_meter_window_service(&s->cost);
	}
cleanup:
	if (tick >= 0)
		close(tick);
	if (deadline >= 0)
		close(deadline);
	return rc;
}
