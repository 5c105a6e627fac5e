// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpfprof.h"
#include "common/clock.h"
#include "cost/cost_window.h"
#include "common/errmsg.h"

int cost_window_open(struct cost_window *w, double share, const struct bpf_cost *cost, int audit_fd,
		     char *err, size_t errlen)
{
	int rc;

	memset(w, 0, sizeof(*w));
	w->active = true;
	w->timer_fd = -1;
	w->sw.sock = -1;
	w->share = share;
	w->cost = cost;
	w->audit_fd = audit_fd;
	w->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (w->timer_fd < 0) {
		rc = -errno;
		set_err(err, errlen, "cost window: %s", strerror(-rc));
		cost_window_close(w);
		return rc;
	}
	rc = stats_switch_start(&w->sw, err, errlen);
	if (rc)
		cost_window_close(w);
	return rc;
}

static int arm(struct cost_window *w, double s)
{
	struct itimerspec its = {};

	if (s < 1e-9)
		s = 1e-9;
	its.it_value.tv_sec = (time_t)s;
	its.it_value.tv_nsec = (long)((s - (double)its.it_value.tv_sec) * 1e9);
	return timerfd_settime(w->timer_fd, 0, &its, NULL) ? -errno : 0;
}

int cost_window_fd(const struct cost_window *w)
{
	return w->timer_fd;
}

/* Stage calls recorded so far (the audit's stage_calls_entered); 0 on error. */
static uint64_t recorded_now(int audit_fd, uint64_t *vals, int ncpus)
{
	__u32 slot = AUDIT_STAGE_ENTRIES;
	uint64_t sum = 0;

	if (bpf_map_lookup_elem(audit_fd, &slot, vals))
		return 0;
	for (int i = 0; i < ncpus; i++)
		sum += vals[i];
	return sum;
}

uint64_t cost_read_runs_and_recorded(const struct bpf_cost *cost, int audit_fd,
				     struct cost_totals *runs)
{
	int ncpus = libbpf_num_possible_cpus();
	uint64_t *vals, before, after;

	if (audit_fd < 0 || ncpus <= 0 || !(vals = calloc((size_t)ncpus, sizeof(*vals)))) {
		bpf_cost_read(cost, runs);
		return 0;
	}
	after = recorded_now(audit_fd, vals, ncpus);
	for (int i = 0; i < 8; i++) {
		before = after;
		bpf_cost_read(cost, runs);
		after = recorded_now(audit_fd, vals, ncpus);
		if (after == before)
			break;
	}
	free(vals);
	return after;
}

void cost_window_on_stats(struct cost_window *w, void (*hook)(void *arg, bool on), void *arg)
{
	w->stats_hook = hook;
	w->stats_hook_arg = arg;
}

static void tell_stats(const struct cost_window *w, bool on)
{
	if (w->stats_hook)
		w->stats_hook(w->stats_hook_arg, on);
}

/*
 * A window is the time between two reads of (runs, calls recorded) as of
 * one moment, both taken while the stats are on: the round trip to the
 * stats helper stays outside, or the calls made during it (many, on a busy
 * machine) would add runs without recorded calls.
 */
static void open_window(struct cost_window *w)
{
	tell_stats(w, true);
	if (stats_switch_set(&w->sw, true)) {
		tell_stats(w, false);
		return;
	}
	w->open = true;
	w->opened_at = clock_mono_s();
	w->recorded_at_open = cost_read_runs_and_recorded(w->cost, w->audit_fd, &w->at_open);
}

static void close_window(struct cost_window *w)
{
	struct cost_totals now, d;
	uint64_t recorded = cost_read_runs_and_recorded(w->cost, w->audit_fd, &now);

	w->acc.on_s += clock_mono_s() - w->opened_at;
	stats_switch_set(&w->sw, false);
	tell_stats(w, false);
	cost_totals_delta(&d, &now, &w->at_open);
	cost_totals_add(&w->acc.runs, &d);
	w->acc.recorded += recorded >= w->recorded_at_open ? recorded - w->recorded_at_open : 0;
	w->acc.windows++;
	w->open = false;
}

/* The first window now: a short run gets one too. */
int cost_window_start(struct cost_window *w)
{
	if (w->timer_fd < 0)
		return -EBADF;
	open_window(w);
	return arm(w, w->open ? w->share * COST_WINDOW_PERIOD_S : COST_WINDOW_PERIOD_S);
}

void cost_window_service(struct cost_window *w, bool may_open)
{
	uint64_t expirations;
	double len = w->share * COST_WINDOW_PERIOD_S;

	if (w->timer_fd < 0 || read(w->timer_fd, &expirations, sizeof(expirations)) <= 0)
		return;
	if (w->open) {
		close_window(w);
		arm(w, COST_WINDOW_PERIOD_S - len);
	} else if (!may_open) {
		arm(w, COST_WINDOW_RETRY_S);
	} else {
		open_window(w);
		arm(w, w->open ? len : COST_WINDOW_PERIOD_S);
	}
}

void cost_window_end(struct cost_window *w)
{
	if (!w->active)
		return;
	if (w->open)
		close_window(w);
	if (w->timer_fd >= 0) {
		close(w->timer_fd);
		w->timer_fd = -1;
	}
}

void cost_window_take(struct cost_window *w, struct cost_window_sample *out)
{
	*out = w->acc;
	memset(&w->acc, 0, sizeof(w->acc));
}

void cost_window_close(struct cost_window *w)
{
	if (!w->active)
		return;
	w->active = false;
	cost_window_end(w);
	stats_switch_stop(&w->sw);
}
