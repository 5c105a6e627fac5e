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
	w->ncpus = libbpf_num_possible_cpus();
	if (w->ncpus <= 0) {
		set_err(err, errlen, "cannot count the CPUs: %s", strerror(-w->ncpus));
		return w->ncpus ?: -EINVAL;
	}
	w->vals = calloc((size_t)w->ncpus, sizeof(*w->vals));
	w->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (!w->vals || w->timer_fd < 0) {
		rc = w->vals ? -errno : -ENOMEM;
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

/* Stage calls recorded so far (the audit's stage_calls_entered). */
static uint64_t recorded_now(struct cost_window *w)
{
	__u32 slot = AUDIT_STAGE_ENTRIES;
	uint64_t sum = 0;

	if (w->audit_fd < 0 || bpf_map_lookup_elem(w->audit_fd, &slot, w->vals))
		return 0;
	for (int i = 0; i < w->ncpus; i++)
		sum += w->vals[i];
	return sum;
}

/*
 * A window is the time between two pairs of reads (runs, calls recorded),
 * both taken while the stats are on: the round trip to the stats helper
 * stays outside, or the calls made during it (many, on a busy machine)
 * would add runs without recorded calls. At close the pair is read in the
 * reverse order, so the calls' span lies within the runs' span.
 */
static void open_window(struct cost_window *w)
{
	if (stats_switch_set(&w->sw, true))
		return;
	w->open = true;
	w->opened_at = clock_mono_s();
	bpf_cost_read(w->cost, &w->at_open);
	w->recorded_at_open = recorded_now(w);
}

static void close_window(struct cost_window *w)
{
	uint64_t recorded = recorded_now(w);
	struct cost_totals now, d;

	bpf_cost_read(w->cost, &now);
	w->acc.on_s += clock_mono_s() - w->opened_at;
	stats_switch_set(&w->sw, false);
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

void cost_window_service(struct cost_window *w)
{
	uint64_t expirations;
	double len = w->share * COST_WINDOW_PERIOD_S;

	if (w->timer_fd < 0 || read(w->timer_fd, &expirations, sizeof(expirations)) <= 0)
		return;
	if (w->open) {
		close_window(w);
		arm(w, COST_WINDOW_PERIOD_S - len);
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
	free(w->vals);
	w->vals = NULL;
}
