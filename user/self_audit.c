// SPDX-License-Identifier: MIT
#include <math.h>
#include <string.h>
#include "bpf_loader.h"
#include "format.h"
#include "self_audit.h"

static bool have_stages(const struct self_audit *a)
{
	return a->cfg.stages && a->cfg.stages->n;
}

void self_audit_open(struct self_audit *a, const struct self_audit_config *cfg,
		     struct bpfprof_bpf *skel)
{
	char err[256] = "";

	memset(a, 0, sizeof(*a));
	a->opened = true;
	a->cfg = *cfg;
	a->cost.stats_fd = -1;
	run_meta_init(&a->meta, cfg->argc, cfg->argv);
	if (telemetry_set_init(&a->telem) && cfg->log)
		fprintf(cfg->log, "bpfprof: warning: out of memory: no telemetry\n");
	if ((cfg->measure_cost || cfg->max_overhead_pct > 0) &&
	    bpf_cost_open(&a->cost, skel, err, sizeof(err)) && cfg->log)
		fprintf(cfg->log, "bpfprof: warning: %s: no cost figures\n", err);
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

		a->cal.syscall_ns = probed > a->sys_base_ns ? probed - a->sys_base_ns : 0;
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
	if (target > 0)
		telemetry_set_round(&a->telem, &target, 1);
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

static void compute(const struct self_audit *a, const struct cost_totals *progs, uint64_t syscalls,
		    uint64_t pushes, double cpu_ns, const struct profile *delta,
		    struct cost_figures *f)
{
	struct cost_inputs in = {
		.progs = *progs,
		.target_syscalls = syscalls,
		.stage_pushes = pushes,
		.session = a->cfg.link_kind == UPROBE_LINK_SESSION,
		.syscall_hook_ns = a->cal.syscall_ns,
		.target_cpu_ns = cpu_ns,
	};

	probe_ns(a, delta, &in.probe_on_ns, &in.probe_off_ns);
	cost_compute(&in, f);
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

static void add_cost(json_t *rec, const struct cost_figures *f)
{
	json_t *audit = json_object_get(rec, "audit");

	if (!audit) {
		audit = json_object();
		json_object_set_new(rec, "audit", audit);
	}
	json_object_set_new(audit, "cost", cost_json(f));
}

void self_audit_flush(struct self_audit *a, const struct profile *delta, json_t *rec)
{
	pid_t pids[TELEMETRY_MAX_PER_ROUND];
	size_t n = telemetry_pick(delta, a->target, pids, TELEMETRY_MAX_PER_ROUND);
	uint64_t syscalls = profile_syscall_count(delta),
		 pushes = delta->audit[AUDIT_STAGE_ENTRIES];
	struct cost_totals now, d;
	uint64_t toggles;
	double on_s, cpu_ns;

	telemetry_set_round(&a->telem, pids, n);
	cpu_ns = round_cpu_ns(a);
	bpf_cost_read(&a->cost, &now);
	cost_totals_delta(&d, &now, &a->prev);
	a->prev = now;
	compute(a, &d, syscalls, pushes, cpu_ns, delta, &a->last);
	a->have_last = a->cost.stats_fd >= 0;
	a->syscalls += syscalls;
	a->pushes += pushes;
	if (cpu_ns > 0)
		a->cpu_ns += cpu_ns;
	stage_control_interval(&a->ctl, &on_s, &toggles);
	if (rec) {
		json_object_set_new(rec, "run", run_meta_json(&a->meta));
		json_object_set_new(rec, "telemetry", telemetry_round_json(&a->telem));
		add_stage_state(a, rec, on_s, toggles);
		if (a->have_last)
			add_cost(rec, &a->last);
	}
	/* After the record: it says what the interval ran with. */
	apply_limit(a, &a->last, toggles, cpu_ns);
}

static void print_cost(FILE *f, const struct cost_figures *c, const char *indent)
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
	fprintf(f, "\n");
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
		print_cost(f, &a->last, "  ");
}

static void total_figures(const struct self_audit *a, struct cost_figures *f)
{
	struct cost_totals d;

	cost_totals_delta(&d, &a->prev, &a->start);
	compute(a, &d, a->syscalls, a->pushes, a->cpu_ns > 0 ? a->cpu_ns : -1, NULL, f);
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
	if (a->cost.stats_fd < 0)
		return;
	total_figures(a, &f);
	add_cost(sum, &f);
}

void self_audit_print_total(struct self_audit *a, FILE *f)
{
	struct cost_figures c;

	if (a->cost.stats_fd < 0)
		return;
	total_figures(a, &c);
	print_cost(f, &c, "bpfprof: ");
}

void self_audit_close(struct self_audit *a)
{
	if (!a->opened)
		return;
	a->opened = false;
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
