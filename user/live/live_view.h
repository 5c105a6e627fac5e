/* SPDX-License-Identifier: MIT */
/*
 * The full-screen live view (ncurses): redrawn at every flush, driven by
 * keys read from the terminal through the run loop's poll. The terminal is
 * restored by live_view_stop, which every way out of a run calls.
 */
#ifndef BPFPROF_LIVE_VIEW_H
#define BPFPROF_LIVE_VIEW_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include "collect/profile.h"
#include "output/records.h"
#include "probes/stages.h"

struct live_view;

enum live_input { LIVE_CONTINUE, LIVE_QUIT };

/* Blocks SIGWINCH in the calling thread and the threads it creates later,
 * so that a view's signalfd sees every resize. Call before threads start. */
void live_view_block_signals(void);

/* Takes over the terminal on stdout (keys from stdin). NULL, with the
 * reason in err, when the terminal cannot do it (TERM unset or unknown). */
struct live_view *live_view_start(const struct run_info *ri, double interval_s, char *err,
				  size_t errlen);

/*
 * New figures after a flush: total is the cumulative profile, delta the
 * last interval (seconds long), uptime_s the time since profiling started.
 * The view keeps the pointers until the next update (the caller's profiles
 * must stay valid until then) and redraws unless paused.
 */
void live_view_update(struct live_view *v, const struct profile *total, const struct profile *delta,
		      double seconds, double uptime_s, const struct stage_table *stages);

/* The two descriptors to poll (keys, window size changes); fd -1 when none.
 * No-op for a NULL view. */
void live_view_pollfds(const struct live_view *v, struct pollfd pfd[2]);
/* Handles what pfd (as polled) says is waiting: keys, resizes. */
enum live_input live_view_input(struct live_view *v, const struct pollfd pfd[2]);

/*
 * The `t` key: fn switches stage probes off or on and returns the new state
 * (0 off, 1 on) or a negative errno. Once set, the header shows
 * "stages: on/off" (initially `on`). Without it, `t` says it is not
 * available.
 */
void live_view_set_stage_toggle(struct live_view *v, int (*fn)(void *ctx), void *ctx, bool on);
/* What profiling cost the target, for the header ("" none);
 * shown from the next redraw. */
void live_view_set_cost(struct live_view *v, const char *text);
/*
 * --cpu-sample: the last interval's and the run's hottest functions, for
 * the f pane. The view takes both (and frees them, as the ones before);
 * while paused it keeps showing the ones it has.
 */
void live_view_set_cpu_tops(struct live_view *v, struct sample_tops *interval,
			    struct sample_tops *total);
/* The stage probes' state changed elsewhere (a signal): show it. */
void live_view_set_stages_state(struct live_view *v, bool on);

/* Restores the terminal. Safe with NULL and more than once; the view is
 * freed. Also run at exit() while a view is on. */
void live_view_stop(struct live_view *v);

#endif
