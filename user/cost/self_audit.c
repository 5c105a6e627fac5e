// SPDX-License-Identifier: MIT
#include <math.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "probes/bpf_loader.h"
#include "bpfprof.skel.h"
#include "common/clock.h"
#include "output/format.h"
#include "telemetry/proc_io.h"
#include "cost/self_audit.h"

static bool have_stages(const struct self_audit *a)
{
	return a->cfg.stages && a->cfg.stages->n;
}

/* The cost is measured in windows (the default), not all the time. */
static bool windowed(const struct self_audit *a)
{
	return a->have_cost && a->cfg.cost_mode == COST_MODE_WINDOW;
}

/* Turns the measurement on as cfg asks; false: no cost figures. */
static bool open_cost(struct self_audit *a, struct bpfprof_bpf *skel)
{
	enum cost_mode mode = a->cfg.cost_mode;
	char err[256] = "";

	if (mode == COST_MODE_OFF)
		return false;
	if (bpf_cost_open(&a->cost, skel, mode == COST_MODE_ALWAYS, err, sizeof(err)))
		goto fail;
	if (mode == COST_MODE_WINDOW &&
	    cost_window_open(&a->win, a->cfg.window_share, &a->cost, bpf_map__fd(skel->maps.audit),
			     err, sizeof(err)))
		goto fail;
	return true;
fail:
	if (a->cfg.log)
		fprintf(a->cfg.log, "bpfprof: warning: %s: no cost figures\n", err);
	return false;
}

static void io_fallback(void *ctx, struct proc_telemetry *t)
{
	proc_io_read(ctx, t);
}

/* /proc/PID/io of a process with capabilities is out of reach once bpfprof
 * drops its own: its counters then come from a BPF iterator (proc_io.h). */
static void open_proc_io(struct self_audit *a)
{
	char err[256];

	a->proc_io = proc_io_open(err, sizeof(err));
	if (!a->proc_io) {
		if (a->cfg.log)
			fprintf(a->cfg.log, "bpfprof: warning: %s: telemetry leaves out the I/O of "
					    "processes it may not read\n",
				err);
		return;
	}
	a->telem.io_fallback = io_fallback;
	a->telem.io_ctx = a->proc_io;
}

void self_audit_open(struct self_audit *a, const struct self_audit_config *cfg,
		     struct bpfprof_bpf *skel)
{
	memset(a, 0, sizeof(*a));
	a->opened = true;
	a->cfg = *cfg;
	a->cost.stats_fd = -1;
	run_meta_init(&a->meta, cfg->argc, cfg->argv);
	if (telemetry_set_init(&a->telem) && cfg->log)
		fprintf(cfg->log, "bpfprof: warning: out of memory: no telemetry\n");
	a->have_cost = open_cost(a, skel);
	open_proc_io(a);
	a->rates.syscall_program_ns = a->rates.stage_program_ns = -1;
	for (int k = 0; k < ENTRY_KINDS; k++)
		a->cal.stage_ns[k] = a->cal.stage_off_ns[k] = -1;
	a->cal.syscall_ns = -1;
	/* The syscall hooks' cost: bpfprof's own syscalls now, and again once
	 * the programs are attached (self_audit_syscalls_attached). */
	a->sys_base_ns = cfg->no_syscalls ? -1 : probe_time_syscall();
	/* Before anything is attached: a short target may be done by the time
	 * profiling is said to start. */
	bpf_cost_read(&a->cost, &a->start);
	a->prev = a->start;
	a->on_ns_per_call = -1;
	stage_control_init(&a->ctl, have_stages(a) ? skel : NULL, cfg->max_overhead_pct, cfg->log);
	stage_control_set_switch(&a->ctl, cfg->sw);
	if (have_stages(a) && cfg->sample_every > 1 && cfg->log)
		fprintf(cfg->log,
			"bpfprof: --sample %u: recording calls 0, %u, %u, ... of each thread; "
			"stage "
			"counts and times are scaled by %u\n",
			cfg->sample_every, cfg->sample_every, 2 * cfg->sample_every,
			cfg->sample_every);
}

void self_audit_syscalls_attached(struct self_audit *a)
{
	struct cost_totals before, after, d;
	bool kinds[ENTRY_KINDS] = {};
	char err[256] = "";

	bpf_cost_read(&a->cost, &before);
	/* With the syscall programs on: a uretprobe's return is a syscall
	 * that runs them too, and a stage call pays for that. */
	for (size_t i = 0; have_stages(a) && i < a->cfg.stages->n; i++)
		kinds[a->cfg.stages->v[i].kind] = true;
	if (have_stages(a) && probe_calibrate(&a->cal, kinds, a->cfg.link_kind, err, sizeof(err)) &&
	    a->cfg.log)
		fprintf(a->cfg.log,
			"bpfprof: warning: %s: the cost figures leave out the uprobe machinery\n",
			err);
	/* After the calibration, which sets syscall_ns unknown. */
	if (a->sys_base_ns >= 0) {
		double probed = probe_time_syscall();
		struct cost_totals s0, s1, sd;
		int stats_fd;

		a->cal.syscall_ns = probed > a->sys_base_ns ? probed - a->sys_base_ns : 0;
		/* bpfprof's own syscalls are not traced: its programs return at
		 * once, so what the stats report for them is their own share. */
		stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (stats_fd >= 0) {
			bpf_cost_read(&a->cost, &s0);
			probe_time_syscall();
			bpf_cost_read(&a->cost, &s1);
			close(stats_fd);
			cost_totals_delta(&sd, &s1, &s0);
			if (sd.cnt[COST_SYS_EXIT])
				a->cal.syscall_stats_ns =
					(double)(sd.ns[COST_SYS_ENTER] + sd.ns[COST_SYS_EXIT]) /
					(double)sd.cnt[COST_SYS_EXIT];
		}
	}
	bpf_cost_read(&a->cost, &after);
	/* bpfprof's own timing loops are not the target's cost: leave them out. */
	cost_totals_delta(&d, &after, &before);
	for (int i = 0; i < COST_NR; i++) {
		a->start.cnt[i] += d.cnt[i];
		a->start.ns[i] += d.ns[i];
	}
	a->prev = a->start;
}

void self_audit_target_exe(struct self_audit *a, pid_t pid, const char *exe)
{
	run_meta_set_target(&a->meta, pid, exe);
}

void self_audit_start(struct self_audit *a, pid_t target)
{
	a->target = target;
	a->last_flush_mono = clock_mono_s();
	if (target > 0)
		telemetry_set_round(&a->telem, &target, 1);
	if (windowed(a) && cost_window_start(&a->win)) {
		if (a->cfg.log)
			fprintf(a->cfg.log,
				"bpfprof: warning: cost window timer: %s: no cost "
				"figures\n",
				strerror(errno));
		a->have_cost = false;
	}
}

int self_audit_window_fd(const struct self_audit *a)
{
	return windowed(a) ? cost_window_fd(&a->win) : -1;
}

void self_audit_window_service(struct self_audit *a)
{
	if (windowed(a))
		cost_window_service(&a->win);
}

void self_audit_end_windows(struct self_audit *a)
{
	if (windowed(a))
		cost_window_end(&a->win);
}

/*
 * The calibrated machinery per stage call, weighted by the entry kinds of the
 * calls recorded (or, with none, of the functions probed).
 */
static void probe_ns(const struct self_audit *a, const struct profile *delta, double *on,
		     double *off)
{
	const struct stage_table *t = a->cfg.stages;
	double w[ENTRY_KINDS] = {}, total = 0;

	*on = *off = -1;
	if (!have_stages(a))
		return;
	for (size_t i = 0; delta && i < delta->n; i++)
		for (uint32_t id = 0; id < delta->procs[i]->n_stages && id < t->n; id++)
			w[t->v[id].kind] += (double)delta->procs[i]->stages[id].calls;
	for (int k = 0; k < ENTRY_KINDS; k++)
		total += w[k];
	if (!total)
		for (size_t id = 0; id < t->n; id++, total++)
			w[t->v[id].kind]++;
	*on = *off = 0;
	for (int k = 0; k < ENTRY_KINDS; k++) {
		if (!w[k])
			continue;
		if (a->cal.stage_ns[k] < 0) {
			*on = *off = -1;
			return;
		}
		*on += a->cal.stage_ns[k] * w[k] / total;
		*off += a->cal.stage_off_ns[k] * w[k] / total;
	}
}

/* CPU time of the sampled processes over the interval; < 0 when unknown. */
static double round_cpu_ns(const struct self_audit *a)
{
	double ns = 0;
	bool any = false;

	for (size_t i = 0; i < a->telem.n_round; i++) {
		if (!a->telem.round[i].has_cpu)
			continue;
		ns += (double)a->telem.round[i].cpu_ns;
		any = true;
	}
	return any ? ns : -1;
}

static void compute(const struct self_audit *a, const struct cost_rates *rates, uint64_t syscalls,
		    uint64_t pushes, double unrecorded, double cpu_ns, const struct profile *delta,
		    struct cost_figures *f)
{
	struct cost_inputs in = {
		.rates = *rates,
		.target_syscalls = syscalls,
		.stage_pushes = pushes,
		.stage_unrecorded = unrecorded,
		.session = a->cfg.link_kind == UPROBE_LINK_SESSION,
		.syscall_hook_ns = a->cal.syscall_ns,
		.syscall_stats_ns = a->cal.syscall_stats_ns,
		.target_cpu_ns = cpu_ns,
	};

	probe_ns(a, delta, &in.probe_on_ns, &in.probe_off_ns);
	cost_compute(&in, f);
}

/*
 * The interval's runs as timed: the whole interval with the stats always on,
 * else the windows closed in it. Sets a->sample and a->rates (carrying
 * forward what the windows did not measure); returns the stage calls the
 * probes saw but did not record in the interval. Off, the stage links are
 * closed (stage_control.c): only --sample leaves calls unrecorded, and a
 * surplus of entries over recorded calls otherwise is calls straddling the
 * edges.
 */
static double measure(struct self_audit *a, uint64_t pushes, double seconds, double on_s)
{
	struct cost_rates now;
	bool session = a->cfg.link_kind == UPROBE_LINK_SESSION;
	bool sampled = a->cfg.sample_every > 1;

	if (a->cfg.cost_mode == COST_MODE_ALWAYS) {
		struct cost_totals cur;

		bpf_cost_read(&a->cost, &cur);
		memset(&a->sample, 0, sizeof(a->sample));
		cost_totals_delta(&a->sample.runs, &cur, &a->prev);
		a->prev = cur;
		a->sample.recorded = pushes;
		a->sample.on_s = seconds;
		a->sample.windows = 1;
	} else {
		cost_window_take(&a->win, &a->sample);
	}
	cost_rates_from_runs(&a->sample.runs, a->sample.recorded, session, &now);
	a->carried = (now.syscall_program_ns < 0 && !a->cfg.no_syscalls) ||
		     (now.stage_program_ns < 0 && have_stages(a));
	cost_rates_carry(&a->rates, &now);
	a->all.on_s += a->sample.on_s;
	a->all.windows += a->sample.windows;
	a->all.recorded += a->sample.recorded;
	cost_totals_add(&a->all.runs, &a->sample.runs);
	if (!sampled)
		return 0;
	/* Always on: the interval's own runs say it. */
	if (a->cfg.cost_mode == COST_MODE_ALWAYS)
		return (double)(now.stage_calls - now.stage_recorded);
	/* Windows: their rate, over the time the probes were on. */
	if (a->sample.on_s > 0 && now.stage_calls)
		a->unrec_per_s = (double)(now.stage_calls - now.stage_recorded) / a->sample.on_s;
	return a->unrec_per_s * on_s;
}

/* --max-overhead: the stage share now, or while off the share they would have if on. */
static void apply_limit(struct self_audit *a, const struct cost_figures *f, uint64_t toggles,
			double cpu_ns)
{
	bool on = stage_control_enabled(&a->ctl);
	double pct = f->stage_cpu_pct;

	if (on && !toggles && f->stage_calls && f->ns_per_stage_call >= 0)
		a->on_ns_per_call = f->ns_per_stage_call;
	if (!on && !toggles) {
		double per_call = a->on_ns_per_call;

		if (per_call < 0) {
			double pon, poff;

			probe_ns(a, NULL, &pon, &poff);
			per_call = pon;
		}
		/* No calls seen (or the probes are already detached at the
		 * end): nothing to judge by. */
		pct = per_call >= 0 && cpu_ns > 0 && f->stage_calls
			      ? 100.0 * per_call * (double)f->stage_calls / cpu_ns
			      : -1;
	} else if (toggles) {
		pct = -1; /* a mixed interval tells neither state */
	}
	stage_control_check_overhead(&a->ctl, pct);
}

static void add_stage_state(const struct self_audit *a, json_t *rec, double on_s, uint64_t toggles)
{
	json_object_set_new(rec, "sample_every", json_integer(a->cfg.sample_every));
	if (!have_stages(a))
		return;
	json_object_set_new(rec, "stages_enabled", json_boolean(stage_control_enabled(&a->ctl)));
	json_object_set_new(rec, "stages_on_s", json_real(round(on_s * 1000) / 1000));
	json_object_set_new(rec, "stage_toggles", json_integer((json_int_t)toggles));
	if (a->ctl.auto_off)
		json_object_set_new(rec, "stages_off_by_max_overhead", json_true());
}

static const char *mode_name(enum cost_mode m)
{
	return m == COST_MODE_ALWAYS ? "always" : m == COST_MODE_WINDOW ? "window" : "off";
}

/* The share of the time the stats were on, in %, as configured. */
static double share_pct(const struct self_audit *a)
{
	return a->cfg.cost_mode == COST_MODE_ALWAYS ? 100 : 100 * a->cfg.window_share;
}

static void add_cost(const struct self_audit *a, json_t *rec, const struct cost_figures *f,
		     const struct cost_window_sample *w, bool carried)
{
	json_t *audit = json_object_get(rec, "audit"), *j = cost_json(f), *win;
	struct cost_rates r;

	if (!j)
		return;
	if (!audit) {
		audit = json_object();
		json_object_set_new(rec, "audit", audit);
	}
	cost_rates_from_runs(&w->runs, w->recorded, a->cfg.link_kind == UPROBE_LINK_SESSION, &r);
	win = json_pack("{s:f, s:i, s:I, s:I, s:I, s:I, s:I}", "seconds",
			round(w->on_s * 1e4) / 1e4, "windows", (int)w->windows, "bpf_run_time_ns",
			(json_int_t)r.bpf_run_time_ns, "syscall_events",
			(json_int_t)r.syscall_events, "stage_calls", (json_int_t)r.stage_calls,
			"stage_calls_recorded", (json_int_t)r.stage_recorded, "stage_program_runs",
			(json_int_t)(w->runs.cnt[COST_STAGE_SESSION] +
				     w->runs.cnt[COST_STAGE_ENTRY] +
				     w->runs.cnt[COST_STAGE_RETURN]));
	json_object_set_new(j, "measured", json_string(mode_name(a->cfg.cost_mode)));
	json_object_set_new(j, "window_share_pct", json_real(share_pct(a)));
	json_object_set_new(j, "window", win);
	json_object_set_new(j, "carried_forward", json_boolean(carried));
	json_object_set_new(audit, "cost", j);
}

void self_audit_flush(struct self_audit *a, const struct profile *delta, json_t *rec)
{
	pid_t pids[TELEMETRY_MAX_PER_ROUND];
	size_t n = telemetry_pick(delta, a->target, pids, TELEMETRY_MAX_PER_ROUND);
	uint64_t syscalls = profile_syscall_count(delta),
		 pushes = delta->audit[AUDIT_STAGE_ENTRIES];
	double mono = clock_mono_s(), seconds = mono - a->last_flush_mono, unrec = 0;
	uint64_t toggles;
	double on_s, cpu_ns;

	a->last_flush_mono = mono;
	stage_control_interval(&a->ctl, &on_s, &toggles);
	/* First: the closer to the collector's read of the counters, the
	 * better the runs (with the stats always on) match them. */
	if (a->have_cost)
		unrec = measure(a, pushes, seconds, have_stages(a) ? on_s : 0);
	telemetry_set_round(&a->telem, pids, n);
	cpu_ns = round_cpu_ns(a);
	if (a->have_cost) {
		compute(a, &a->rates, syscalls, pushes, unrec, cpu_ns, delta, &a->last);
		a->have_last = true;
	}
	a->syscalls += syscalls;
	a->pushes += pushes;
	/* The calls seen but not recorded, as this interval's figures have them. */
	if (a->have_last && a->last.stage_calls > pushes)
		a->unrecorded += (double)(a->last.stage_calls - pushes);
	if (cpu_ns > 0)
		a->cpu_ns += cpu_ns;
	if (rec) {
		json_object_set_new(rec, "run", run_meta_json(&a->meta));
		json_object_set_new(rec, "telemetry", telemetry_round_json(&a->telem));
		add_stage_state(a, rec, on_s, toggles);
		if (a->have_last)
			add_cost(a, rec, &a->last, &a->sample, a->carried);
	}
	/* After the record: it says what the interval ran with. */
	if (a->have_last)
		apply_limit(a, &a->last, toggles, cpu_ns);
}

static void print_cost(const struct self_audit *a, FILE *f, const struct cost_figures *c,
		       const char *indent)
{
	fprintf(f, "%sprofiling cost the target", indent);
	if (c->ns_per_syscall >= 0)
		fprintf(f, " %.0f ns per syscall", c->ns_per_syscall);
	else
		fprintf(f, " - ns per syscall");
	if (c->ns_per_stage_call >= 0)
		fprintf(f, ", %.0f ns per stage call", c->ns_per_stage_call);
	if (c->target_cpu_pct >= 0)
		fprintf(f, ", %.2f%% of its CPU time", c->target_cpu_pct);
	if (a->cfg.cost_mode == COST_MODE_ALWAYS)
		fprintf(f, " (BPF stats on all the time)\n");
	else
		fprintf(f, " (BPF stats on %.3g%% of the time)\n", share_pct(a));
}

void self_audit_print(const struct self_audit *a, FILE *f)
{
	for (size_t i = 0; i < a->telem.n_round; i++) {
		const struct telemetry_point *p = &a->telem.round[i];
		char rss[32];

		fprintf(f, "  telemetry %d %s: ", (int)p->t.pid, p->t.comm);
		if (p->has_cpu)
			fprintf(f, "CPU %.1f%% user %.1f%% system, ", p->cpu_user_pct,
				p->cpu_system_pct);
		fprintf(f, "RSS %s, %u thread%s, %lu/%lu context switches\n",
			fmt_bytes(p->t.rss_bytes, rss, sizeof(rss)), p->t.threads,
			p->t.threads == 1 ? "" : "s", (unsigned long)p->t.ctxt_voluntary,
			(unsigned long)p->t.ctxt_involuntary);
	}
	if (have_stages(a))
		fprintf(f, "  stage probes %s\n", stage_control_enabled(&a->ctl) ? "on" : "off");
	if (a->have_last)
		print_cost(a, f, &a->last, "  ");
}

/* The whole run: the rates over every window, times the run's counts. */
static void total_figures(const struct self_audit *a, struct cost_figures *f)
{
	struct cost_rates r;

	cost_rates_from_runs(&a->all.runs, a->all.recorded, a->cfg.link_kind == UPROBE_LINK_SESSION,
			     &r);
	compute(a, &r, a->syscalls, a->pushes, a->unrecorded, a->cpu_ns > 0 ? a->cpu_ns : -1, NULL,
		f);
}

void self_audit_summary(struct self_audit *a, json_t *sum)
{
	struct cost_figures f;

	json_object_set_new(sum, "run", run_meta_json(&a->meta));
	json_object_set_new(sum, "telemetry", telemetry_summary_json(&a->telem));
	if (a->telem.untracked)
		json_object_set_new(sum, "telemetry_untracked_samples",
				    json_integer((json_int_t)a->telem.untracked));
	json_object_set_new(sum, "sample_every", json_integer(a->cfg.sample_every));
	if (have_stages(a)) {
		json_object_set_new(sum, "stages_enabled",
				    json_boolean(stage_control_enabled(&a->ctl)));
		json_object_set_new(sum, "stage_toggles", json_integer((json_int_t)a->ctl.toggles));
	}
	if (!a->have_cost)
		return;
	total_figures(a, &f);
	add_cost(a, sum, &f, &a->all, false);
}

void self_audit_print_total(struct self_audit *a, FILE *f)
{
	struct cost_figures c;

	if (!a->have_cost)
		return;
	total_figures(a, &c);
	print_cost(a, f, &c, "bpfprof: ");
}

void self_audit_close(struct self_audit *a)
{
	if (!a->opened)
		return;
	a->opened = false;
	cost_window_close(&a->win);
	proc_io_close(a->proc_io);
	a->proc_io = NULL;
	bpf_cost_close(&a->cost);
	telemetry_set_free(&a->telem);
}

bool self_audit_toggle_stages(struct self_audit *a, const char *why)
{
	return stage_control_toggle(&a->ctl, why);
}

bool self_audit_stages_enabled(const struct self_audit *a)
{
	return stage_control_enabled(&a->ctl);
}

void self_audit_set_log(struct self_audit *a, FILE *log)
{
	a->cfg.log = log;
	a->ctl.log = log;
}

const struct cost_figures *self_audit_last_cost(const struct self_audit *a)
{
	return a->have_last ? &a->last : NULL;
}

void self_audit_cost_text(const struct self_audit *a, char *buf, size_t len)
{
	FILE *f;

	if (!len)
		return;
	buf[0] = '\0';
	if (!a->have_last)
		return;
	/* The plain report's line, without its newline. */
	f = fmemopen(buf, len, "w");
	if (!f)
		return;
	print_cost(a, f, &a->last, "");
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}
