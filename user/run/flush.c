// SPDX-License-Identifier: MIT
/*
 * A flush: read the counters, sample the processes, work out what the
 * interval cost, then write the flush record and the plain report (or
 * update the live view) and publish /metrics. The finish: the probes off,
 * the last flush, the summary and the totals.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include "collect/collector.h"
#include "common/clock.h"
#include "events/events.h"
#include "live/live_view.h"
#include "output/interval_report.h"
#include "output/metrics_text.h"
#include "output/output_files.h"
#include "output/prometheus_server.h"
#include "probes/bpf_loader.h"
#include "probes/stage_attacher.h"
#include "run/session.h"
#include "samples/cpu_samples.h"

/* How long a command bpfprof started gets to exit once bpfprof stops. */
#define TARGET_STOP_GRACE_S 3.0

void session_publish_metrics(struct session *s)
{
	struct self_cost self;
	struct metrics_input in = { &s->prev, s->stages, s->flushes, &self };
	size_t len;
	char *text;

	if (!s->prom)
		return;
	self_cost_read(&self);
	text = metrics_render(&in, &len);
	if (text)
		prom_server_publish(s->prom, text, len);
}

static bool have_stages(const struct session *s)
{
	return s->stages && s->stages->n;
}

/* What the records say about the run itself; cost NULL: none. */
static void run_record(const struct session *s, const struct cost_record *cost,
		       struct run_record *r)
{
	*r = (struct run_record){
		.meta = &s->meta,
		.telemetry = &s->telem,
		.sample_every = s->env->sample_every,
		.stages = have_stages(s),
		.stages_enabled = stage_control_enabled(&s->ctl),
		.stages_off_by_max_overhead = s->ctl.auto_off,
		.cost = cost,
	};
}

/*
 * The processes sampled (the target and the busiest of delta) and the
 * interval's cost, then the flush record; --max-overhead after it: the
 * record says what the interval ran with.
 */
static void describe_interval(struct session *s, double seconds)
{
	pid_t pids[TELEMETRY_MAX_PER_ROUND];
	size_t n = telemetry_pick(&s->delta, s->target.pid, pids, TELEMETRY_MAX_PER_ROUND);
	struct cost_record cost;
	struct run_record run;
	bool have_cost;
	uint64_t toggles;
	double on_s, cpu_ns;

	stage_control_interval(&s->ctl, &on_s, &toggles);
	/* First: the closer to the collector's read of the counters, the
	 * better the runs (with the stats always on) match them. */
	cost_meter_measure(&s->cost, &s->delta, on_s);
	telemetry_set_round(&s->telem, pids, n);
	cpu_ns = telemetry_round_cpu_ns(&s->telem);
	cost_meter_figure(&s->cost, &s->delta, cpu_ns);
	have_cost = cost_meter_interval_record(&s->cost, &cost);
	if (s->out) {
		json_t *rec;

		struct sample_tops tops;
		bool have_tops = s->samples && !cpu_samples_tops(s->samples, false,
								 SAMPLE_TOP_FUNCTIONS, &tops);

		run_record(s, have_cost ? &cost : NULL, &run);
		run.stages_on_s = on_s;
		run.stage_toggles = toggles;
		run.cpu_samples = have_tops ? &tops : NULL;
		rec = flush_record_json(s->flushes, clock_real_s(), seconds, &s->delta, s->stages,
					&run);
		if (have_tops)
			sample_tops_free(&tops);
		if (rec)
			output_write_flush(s->out, rec);
		json_decref(rec);
	}
	if (have_cost)
		stage_control_check_overhead(
			&s->ctl, cost_meter_stage_pct(&s->cost, stage_control_enabled(&s->ctl),
						      toggles, cpu_ns));
}

/* The interval's telemetry, stage state and cost as text lines. */
static void print_interval(const struct session *s, FILE *f)
{
	telemetry_round_print(&s->telem, f);
	if (have_stages(s))
		fprintf(f, "  stage probes %s\n", stage_control_enabled(&s->ctl) ? "on" : "off");
	cost_meter_print(&s->cost, f);
}

int session_flush(struct session *s)
{
	/* The last interval ends where the run did (session_finish), not
	 * after the probes' detach that comes before its flush. */
	double mono = s->stop_mono ? s->stop_mono : clock_mono_s();
	double seconds = mono - s->last_flush_mono;
	struct profile tmp;
	int err;

	/* -U ...@N: the names the probes met, before the counters are read
	 * (ids still unnamed are not read) and before any output. */
	stage_attacher_refresh_names(s->attacher);
	err = collector_read(s->collector, &s->cur);
	events_audit(s->events, s->cur.audit);
	if (!err)
		err = cpu_samples_read(s->samples, s->cur.audit);
	/* --sample: the collector has scaled the stage figures. */
	if (!err)
		err = profile_delta(&s->delta, &s->cur, &s->prev);
	if (err) {
		fprintf(stderr, "bpfprof: reading counters: %s\n", strerror(-err));
		return err;
	}
	describe_interval(s, seconds);
	if (!s->env->quiet && !s->live) {
		char title[64];

		snprintf(title, sizeof(title), "interval %lu (%.2fs)", (unsigned long)s->flushes,
			 seconds);
		interval_report_print_top(stdout, title, &s->delta, seconds, s->stages, s->env->top,
					  !s->env->stages_only);
		print_interval(s, stdout);
	}
	s->flushes++;
	s->last_flush_mono = mono;
	tmp = s->prev;
	s->prev = s->cur;
	s->cur = tmp;
	session_publish_metrics(s);
	if (s->view) {
		char cost[160];

		cost_meter_text(&s->cost, cost, sizeof(cost));
		live_view_set_cost(s->view, cost);
	}
	live_view_update(s->view, &s->prev, &s->delta, seconds, mono - s->start_mono, s->stages);
	if (s->view && s->samples) {
		struct sample_tops interval, total;

		if (!cpu_samples_tops(s->samples, false, SAMPLE_TOP_FUNCTIONS, &interval) &&
		    !cpu_samples_tops(s->samples, true, SAMPLE_TOP_FUNCTIONS, &total))
			live_view_set_cpu_tops(s->view, &interval, &total);
	}
	if (have_stages(s)) /* --max-overhead may have switched them */
		live_view_set_stages_state(s->view, stage_control_enabled(&s->ctl));
	return 0;
}

static void write_summary(struct session *s, double duration)
{
	struct time_correction_mech mechs[PROBE_MECHS];
	struct time_correction_record tc;
	struct events_record events;
	struct output_record output;
	struct cost_figures figures;
	struct cost_record cost;
	struct sample_tops tops;
	struct run_record run;
	bool have_tops;
	json_t *sum;

	have_tops = s->samples && !cpu_samples_tops(s->samples, true, SAMPLE_TOP_FUNCTIONS, &tops);
	if (s->events)
		events_describe(s->events, &events);
	run_record(s, cost_meter_total_record(&s->cost, &figures, &cost) ? &cost : NULL, &run);
	run.stage_toggles = s->ctl.toggles;
	if (have_stages(s) && time_correction_describe(&s->cost.tc, &tc, mechs))
		run.time_correction = &tc;
	run.cpu_samples = have_tops ? &tops : NULL;
	/* Before describing the output: a failure to write it counts. */
	cpu_samples_write(s->samples, s->out);
	output_describe(s->out, &output);
	sum = summary_record_json(&s->info, &s->prev, s->stages, duration, s->flushes,
				  s->events ? &events : NULL, &run, &output);
	output_write_summary(s->out, sum);
	json_decref(sum);
	if (have_tops)
		sample_tops_free(&tops);
}

/* How the target ended: the kernel's process-exit event (every mode), or
 * the command's wait status if it ended after the probes were detached. */
static void note_target_end(struct session *s)
{
	uint64_t exit_ns;
	int status;

	if (s->skel && loader_target_end(s->skel, &status, &exit_ns))
		run_info_set_end(&s->info, status,
				 fmax((double)exit_ns / 1e9 - s->start_mono, 0));
	else if (s->target.exit_status >= 0)
		run_info_set_end(&s->info, s->target.exit_status, clock_mono_s() - s->start_mono);
	/* A command's own figure at its end: a short one's telemetry samples
	 * count no tick of CPU time. */
	if (s->target.have_usage && s->info.wait_status >= 0) {
		const struct rusage *u = &s->target.usage;

		s->info.have_cpu = true;
		s->info.cpu_user_us = (uint64_t)u->ru_utime.tv_sec * 1000000 + u->ru_utime.tv_usec;
		s->info.cpu_system_us =
			(uint64_t)u->ru_stime.tv_sec * 1000000 + u->ru_stime.tv_usec;
	}
}

/* On stderr at the end, when the target ended on its own (not stopped by
 * bpfprof at its own end): a fatal signal even with -q. */
static void print_target_end(const struct session *s)
{
	char text[192];

	if (!s->info.end_reason || strcmp(s->info.end_reason, "target exited"))
		return;
	run_info_end_text(&s->info, text, sizeof(text));
	if (text[0] && (!s->env->quiet || WIFSIGNALED(s->info.wait_status)))
		fprintf(stderr, "bpfprof: %s\n", text);
}

void session_finish(struct session *s)
{
	/* The run ends now; so does its last interval (the detach below
	 * takes tens of ms a link, the calibration thread's stop longer). */
	double duration = (s->stop_mono = clock_mono_s()) - s->start_mono;

	/* The terminal back first: the totals are printed on it. */
	live_view_stop(s->view);
	s->view = NULL;
	/* The cost windows close while the probes count as in any window. */
	cost_meter_end_windows(&s->cost);
	/* Counting stops before any probe is detached, so the last interval
	 * is as consistent as the others; then probes off: the last flush
	 * holds everything. */
	loader_stop_counting(s->skel);
	stage_attacher_detach(s->attacher);
	loader_detach(s->skel);
	cpu_samples_detach(s->samples);
	events_finish(s->events);
	/* Before stopping and reaping the command: one that exited is still a
	 * zombie whose CPU times the last telemetry sample reads. */
	session_flush(s);
	target_stop(&s->target, s->forward_sig, TARGET_STOP_GRACE_S);
	note_target_end(s);
	if (s->out)
		write_summary(s, duration);
	if (s->events && !s->env->quiet)
		events_print(s->events, stderr, s->prev.audit);
	if (!s->env->quiet) {
		char title[64];

		snprintf(title, sizeof(title), "total (%.2fs, %s)", duration, s->info.end_reason);
		interval_report_print_top(stdout, title, &s->prev, duration, s->stages, s->env->top,
					  !s->env->stages_only);
		cost_meter_print_total(&s->cost, stdout);
	}
	print_target_end(s);
}
