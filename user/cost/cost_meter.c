// SPDX-License-Identifier: MIT
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "probes/bpf_loader.h"
#include "bpfprof.skel.h"
#include "common/clock.h"
#include "cost/cost_meter.h"

static bool have_stages(const struct cost_meter *m)
{
	return m->cfg.stages && m->cfg.stages->n;
}

/* The cost is measured in windows (the default), not all the time. */
static bool windowed(const struct cost_meter *m)
{
	return m->have_cost && m->cfg.cost_mode == COST_MODE_WINDOW;
}

static void stats_switched(void *arg, bool on)
{
	time_correction_stats(arg, on);
}

/* Turns the measurement on as cfg asks; false: no cost figures. */
static bool open_cost(struct cost_meter *m, struct bpfprof_bpf *skel)
{
	enum cost_mode mode = m->cfg.cost_mode;
	char err[256] = "";

	if (mode == COST_MODE_OFF)
		return false;
	if (bpf_cost_open(&m->cost, skel, mode == COST_MODE_ALWAYS, err, sizeof(err)))
		goto fail;
	if (mode == COST_MODE_WINDOW &&
	    cost_window_open(&m->win, m->cfg.window_share, &m->cost, bpf_map__fd(skel->maps.audit),
			     err, sizeof(err)))
		goto fail;
	/* The stage times take the stats' extra off while they are on. */
	if (mode == COST_MODE_WINDOW)
		cost_window_on_stats(&m->win, stats_switched, &m->tc);
	return true;
fail:
	if (m->cfg.log)
		fprintf(m->cfg.log, "bpfprof: warning: %s: no cost figures\n", err);
	return false;
}

void cost_meter_open(struct cost_meter *m, const struct cost_meter_config *cfg,
		     struct bpfprof_bpf *skel)
{
	memset(m, 0, sizeof(*m));
	m->opened = true;
	m->cfg = *cfg;
	m->cost.stats_fd = -1;
	m->skel = skel;
	m->have_cost = open_cost(m, skel);
	m->rates.syscall_program_ns = m->rates.stage_program_ns = -1;
	for (int k = 0; k < ENTRY_KINDS; k++)
		m->cal.stage_ns[k] = m->cal.stage_off_ns[k] = -1;
	m->cal.syscall_ns = -1;
	/* The syscall hooks' cost: bpfprof's own syscalls now, and again once
	 * the programs are attached (cost_meter_syscalls_attached). */
	m->sys_base_ns = cfg->no_syscalls ? -1 : probe_time_syscall();
	/* Before anything is attached: a short target may be done by the time
	 * profiling is said to start. */
	m->audit_fd = bpf_map__fd(skel->maps.audit);
	m->recorded_prev = cost_read_runs_and_recorded(&m->cost, m->audit_fd, &m->start);
	m->prev = m->start;
	m->on_ns_per_call = -1;
}

void cost_meter_syscalls_attached(struct cost_meter *m)
{
	struct cost_totals before, after, d;
	bool kinds[ENTRY_KINDS] = {};
	char err[256] = "";

	bpf_cost_read(&m->cost, &before);
	/* With the syscall programs on: a uretprobe's return is a syscall
	 * that runs them too, and a stage call pays for that. */
	for (size_t i = 0; have_stages(m) && i < m->cfg.stages->n; i++)
		kinds[m->cfg.stages->v[i].kind] = true;
	if (have_stages(m) && probe_calibrate(&m->cal, kinds, m->cfg.link_kind, err, sizeof(err)) &&
	    m->cfg.log)
		fprintf(m->cfg.log,
			"bpfprof: warning: %s: the cost figures leave out the uprobe machinery\n",
			err);
	/* After the calibration, which sets syscall_ns unknown. */
	if (m->sys_base_ns >= 0) {
		double probed = probe_time_syscall();
		struct cost_totals s0, s1, sd;
		int stats_fd;

		m->cal.syscall_ns = probed > m->sys_base_ns ? probed - m->sys_base_ns : 0;
		/* bpfprof's own syscalls are not traced: its programs return at
		 * once, so what the stats report for them is their own share. */
		stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (stats_fd >= 0) {
			bpf_cost_read(&m->cost, &s0);
			probe_time_syscall();
			bpf_cost_read(&m->cost, &s1);
			close(stats_fd);
			cost_totals_delta(&sd, &s1, &s0);
			if (sd.cnt[COST_SYS_EXIT])
				m->cal.syscall_stats_ns =
					(double)(sd.ns[COST_SYS_ENTER] + sd.ns[COST_SYS_EXIT]) /
					(double)sd.cnt[COST_SYS_EXIT];
		}
	}
	/* After the syscall hooks are timed: the two timings either side of
	 * the hooks' attach stay as close together as they can. */
	if (have_stages(m))
		time_correction_start(&m->tc, m->skel, m->cfg.stages, m->cfg.link_kind,
				      m->cfg.sample_every, m->cfg.raw_times, &m->cal, m->cfg.log);
	bpf_cost_read(&m->cost, &after);
	/* bpfprof's own timing loops are not the target's cost: leave them out. */
	cost_totals_delta(&d, &after, &before);
	for (int i = 0; i < COST_NR; i++) {
		m->start.cnt[i] += d.cnt[i];
		m->start.ns[i] += d.ns[i];
	}
	m->prev = m->start;
}

void cost_meter_start(struct cost_meter *m)
{
	m->last_flush_mono = clock_mono_s();
	if (have_stages(m))
		time_correction_recalibrate(&m->tc, m->last_flush_mono, m->cfg.log);
	if (windowed(m) && cost_window_start(&m->win)) {
		if (m->cfg.log)
			fprintf(m->cfg.log,
				"bpfprof: warning: cost window timer: %s: no cost "
				"figures\n",
				strerror(errno));
		m->have_cost = false;
	}
}

int cost_meter_window_fd(const struct cost_meter *m)
{
	return windowed(m) ? cost_window_fd(&m->win) : -1;
}

void cost_meter_window_service(struct cost_meter *m)
{
	if (!windowed(m))
		return;
	/* No window opens while a calibration's calls run (on the
	 * recalibration thread), and one is asked for only with the window
	 * closed: the calibration's calls stay out of the windows. */
	cost_window_service(&m->win, !time_correction_busy(&m->tc));
	if (!m->win.open && have_stages(m))
		time_correction_recalibrate(&m->tc, clock_mono_s(), m->cfg.log);
}

void cost_meter_end_windows(struct cost_meter *m)
{
	time_correction_stop(&m->tc);
	if (windowed(m))
		cost_window_end(&m->win);
}

/*
 * The calibrated machinery per stage call, weighted by the entry kinds of the
 * calls recorded (or, with none, of the functions probed).
 */
static void probe_ns(const struct cost_meter *m, const struct profile *delta, double *on,
		     double *off)
{
	const struct stage_table *t = m->cfg.stages;
	double w[ENTRY_KINDS] = {}, total = 0;

	*on = *off = -1;
	if (!have_stages(m))
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
		if (m->cal.stage_ns[k] < 0) {
			*on = *off = -1;
			return;
		}
		*on += m->cal.stage_ns[k] * w[k] / total;
		*off += m->cal.stage_off_ns[k] * w[k] / total;
	}
}

static void compute(const struct cost_meter *m, const struct cost_rates *rates, uint64_t syscalls,
		    uint64_t pushes, double unrecorded, double cpu_ns, const struct profile *delta,
		    struct cost_figures *f)
{
	struct cost_inputs in = {
		.rates = *rates,
		.target_syscalls = syscalls,
		.stage_pushes = pushes,
		.stage_unrecorded = unrecorded,
		.session = m->cfg.link_kind == UPROBE_LINK_SESSION,
		.syscall_hook_ns = m->cal.syscall_ns,
		.syscall_stats_ns = m->cal.syscall_stats_ns,
		.target_cpu_ns = cpu_ns,
	};

	probe_ns(m, delta, &in.probe_on_ns, &in.probe_off_ns);
	cost_compute(&in, f);
}

/*
 * The interval's runs as timed: the whole interval with the stats always on,
 * else the windows closed in it. Sets m->sample and m->rates (carrying
 * forward what the windows did not measure); returns the stage calls the
 * probes saw but did not record in the interval. Off, the stage links are
 * closed (stage_control.c): only --sample leaves calls unrecorded, and a
 * surplus of entries over recorded calls otherwise is calls straddling the
 * edges.
 */
static double measure(struct cost_meter *m, double seconds, double on_s)
{
	struct cost_rates now;
	bool session = m->cfg.link_kind == UPROBE_LINK_SESSION;
	bool sampled = m->cfg.sample_every > 1;

	if (m->cfg.cost_mode == COST_MODE_ALWAYS) {
		struct cost_totals cur;
		uint64_t recorded;

		/* The calls recorded read right beside the runs, not the
		 * collector's count: on a busy machine the collector's read
		 * is long done, and the calls since add runs. */
		recorded = cost_read_runs_and_recorded(&m->cost, m->audit_fd, &cur);
		memset(&m->sample, 0, sizeof(m->sample));
		cost_totals_delta(&m->sample.runs, &cur, &m->prev);
		m->prev = cur;
		m->sample.recorded = recorded >= m->recorded_prev ? recorded - m->recorded_prev : 0;
		m->recorded_prev = recorded;
		m->sample.on_s = seconds;
		m->sample.windows = 1;
	} else {
		cost_window_take(&m->win, &m->sample);
	}
	cost_rates_from_runs(&m->sample.runs, m->sample.recorded, session, &now);
	m->carried = (now.syscall_program_ns < 0 && !m->cfg.no_syscalls) ||
		     (now.stage_program_ns < 0 && have_stages(m));
	cost_rates_carry(&m->rates, &now);
	time_correction_window(&m->tc, now.stage_program_ns);
	m->all.on_s += m->sample.on_s;
	m->all.windows += m->sample.windows;
	m->all.recorded += m->sample.recorded;
	cost_totals_add(&m->all.runs, &m->sample.runs);
	if (!sampled)
		return 0;
	/* Always on: the interval's own runs say it. */
	if (m->cfg.cost_mode == COST_MODE_ALWAYS)
		return (double)(now.stage_calls - now.stage_recorded);
	/* Windows: their rate, over the time the probes were on. */
	if (m->sample.on_s > 0 && now.stage_calls)
		m->unrec_per_s = (double)(now.stage_calls - now.stage_recorded) / m->sample.on_s;
	return m->unrec_per_s * on_s;
}

double cost_meter_stage_pct(struct cost_meter *m, bool on, uint64_t toggles, double cpu_ns)
{
	const struct cost_figures *f = &m->last;
	double pct = f->stage_cpu_pct;

	if (on && !toggles && f->stage_calls && f->ns_per_stage_call >= 0)
		m->on_ns_per_call = f->ns_per_stage_call;
	if (!on && !toggles) {
		double per_call = m->on_ns_per_call;

		if (per_call < 0) {
			double pon, poff;

			probe_ns(m, NULL, &pon, &poff);
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
	return pct;
}

static const char *mode_name(enum cost_mode m)
{
	return m == COST_MODE_ALWAYS ? "always" : m == COST_MODE_WINDOW ? "window" : "off";
}

/* The share of the time the stats were on, in %, as configured. */
static double share_pct(const struct cost_meter *m)
{
	return m->cfg.cost_mode == COST_MODE_ALWAYS ? 100 : 100 * m->cfg.window_share;
}

static void to_record(const struct cost_meter *m, const struct cost_figures *f,
		      const struct cost_window_sample *w, bool carried, struct cost_record *r)
{
	memset(r, 0, sizeof(*r));
	r->figures = f;
	cost_rates_from_runs(&w->runs, w->recorded, m->cfg.link_kind == UPROBE_LINK_SESSION,
			     &r->window);
	r->window_s = w->on_s;
	r->windows = w->windows;
	r->stage_program_runs = w->runs.cnt[COST_STAGE_SESSION] + w->runs.cnt[COST_STAGE_ENTRY] +
				w->runs.cnt[COST_STAGE_RETURN];
	r->measured = mode_name(m->cfg.cost_mode);
	r->window_share_pct = share_pct(m);
	r->carried_forward = carried;
}

void cost_meter_measure(struct cost_meter *m, const struct profile *delta, double on_s)
{
	double mono = clock_mono_s(), seconds = mono - m->last_flush_mono;

	m->last_flush_mono = mono;
	m->unrec = 0;
	if (m->have_cost)
		m->unrec = measure(m, seconds, have_stages(m) ? on_s : 0);
	/* Without windows, at the flush (with the stats always on, the
	 * calibration's runs are among the interval's). */
	if (!windowed(m) && have_stages(m))
		time_correction_recalibrate(&m->tc, mono, m->cfg.log);
}

void cost_meter_figure(struct cost_meter *m, const struct profile *delta, double cpu_ns)
{
	uint64_t syscalls = profile_syscall_count(delta),
		 pushes = delta->audit[AUDIT_STAGE_ENTRIES];

	if (m->have_cost) {
		compute(m, &m->rates, syscalls, pushes, m->unrec, cpu_ns, delta, &m->last);
		m->have_last = true;
	}
	m->syscalls += syscalls;
	m->pushes += pushes;
	/* The calls seen but not recorded, as this interval's figures have them. */
	if (m->have_last && m->last.stage_calls > pushes)
		m->unrecorded += (double)(m->last.stage_calls - pushes);
	if (cpu_ns > 0)
		m->cpu_ns += cpu_ns;
}

bool cost_meter_interval_record(const struct cost_meter *m, struct cost_record *r)
{
	if (!m->have_last)
		return false;
	to_record(m, &m->last, &m->sample, m->carried, r);
	return true;
}

static void print_cost(const struct cost_meter *m, FILE *f, const struct cost_figures *c,
		       const char *indent)
{
	const char *sep = "";

	fprintf(f, "%sprofiling cost the target", indent);
	/* --stages-only: no syscall programs, so no syscall cost to say. */
	if (!m->cfg.no_syscalls) {
		if (c->ns_per_syscall >= 0)
			fprintf(f, " %.0f ns per syscall", c->ns_per_syscall);
		else
			fprintf(f, " - ns per syscall");
		sep = ",";
	}
	if (c->ns_per_stage_call >= 0)
		fprintf(f, "%s %.0f ns per stage call", sep, c->ns_per_stage_call);
	else if (m->cfg.no_syscalls)
		fprintf(f, " - ns per stage call");
	if (c->target_cpu_pct >= 0)
		fprintf(f, ", %.2f%% of its CPU time", c->target_cpu_pct);
	if (m->cfg.cost_mode == COST_MODE_ALWAYS)
		fprintf(f, " (BPF stats on all the time)\n");
	else
		fprintf(f, " (BPF stats on %.3g%% of the time)\n", share_pct(m));
}

void cost_meter_print(const struct cost_meter *m, FILE *f)
{
	if (m->have_last)
		print_cost(m, f, &m->last, "  ");
}

/* The whole run: the rates over every window, times the run's counts. */
static void total_figures(const struct cost_meter *m, struct cost_figures *f)
{
	struct cost_rates r;

	cost_rates_from_runs(&m->all.runs, m->all.recorded, m->cfg.link_kind == UPROBE_LINK_SESSION,
			     &r);
	compute(m, &r, m->syscalls, m->pushes, m->unrecorded, m->cpu_ns > 0 ? m->cpu_ns : -1, NULL,
		f);
}

bool cost_meter_total_record(const struct cost_meter *m, struct cost_figures *f,
			     struct cost_record *r)
{
	if (!m->have_cost)
		return false;
	total_figures(m, f);
	to_record(m, f, &m->all, false, r);
	return true;
}

void cost_meter_print_total(const struct cost_meter *m, FILE *f)
{
	struct cost_figures c;

	if (!m->have_cost)
		return;
	total_figures(m, &c);
	print_cost(m, f, &c, "bpfprof: ");
}

void cost_meter_close(struct cost_meter *m)
{
	if (!m->opened)
		return;
	m->opened = false;
	time_correction_stop(&m->tc);
	cost_window_close(&m->win);
	bpf_cost_close(&m->cost);
}

void cost_meter_set_log(struct cost_meter *m, FILE *log)
{
	m->cfg.log = log;
}

void cost_meter_text(const struct cost_meter *m, char *buf, size_t len)
{
	FILE *f;

	if (!len)
		return;
	buf[0] = '\0';
	if (!m->have_last)
		return;
	/* The plain report's line, without its newline. */
	f = fmemopen(buf, len, "w");
	if (!f)
		return;
	print_cost(m, f, &m->last, "");
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}
