// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <unistd.h>
#include "cost/probe_calibration.h"
#include "common/text.h"
#include "probes/stage_attacher.h"
#include "probes/stage_switch.h"
#include "probes/usdt.h"
#include "run/target.h"

struct stage_attacher {
	struct stage_attacher_opts opts;
	struct stage_table table;
	enum uprobe_link_kind kind;
	struct bpfprof_bpf *skel; /* from load; the caller's */
	struct stage_switch sw;
};

struct stage_attacher *stage_attacher_new(const struct stage_attacher_opts *opts)
{
	struct stage_attacher *a = calloc(1, sizeof(*a));

	if (a)
		a->opts = *opts;
	return a;
}

/*
 * In command mode the program does not run yet: its path (a script's
 * interpreter) is the main binary, and library names are looked up among
 * the libraries its loader would map.
 */
int stage_attacher_prepare(struct stage_attacher *a, pid_t pid, char *err, size_t errlen)
{
	const struct stage_attacher_opts *o = &a->opts;
	char exe[4096];
	pid_t lookup_pid = pid;
	const char *main_exe = NULL;

	if (o->n_specs || o->n_usdt_specs || o->n_marker_specs) {
		if (o->command) {
			char found[4096];
			bool script;

			/* A script runs its interpreter: that is the main binary. */
			if (target_find_command(o->command, found, sizeof(found), err, errlen) ||
			    target_exec_binary(found, exe, sizeof(exe), &script, err, errlen))
				return -1;
			if (script && o->log)
				fprintf(o->log, "bpfprof: '%s' is a script: its interpreter is %s\n",
					o->command, exe);
			main_exe = exe;
			lookup_pid = getpid();
		}
		if (stages_resolve(o->specs, o->n_specs, lookup_pid, main_exe, o->returns,
				   o->specs_option, &a->table, o->log, err, errlen))
			return -1;
		/* The USDT and marker pairs come after the functions. */
		if (usdt_resolve_stages(o->usdt_specs, o->n_usdt_specs, o->marker_specs,
					o->n_marker_specs,
					o->usdt_names ? o->usdt_names
							: usdt_names_default(libbpf_num_possible_cpus()),
					lookup_pid, main_exe, &a->table, o->log, err, errlen)) {
			stage_table_free(&a->table);
			return -1;
		}
	}
	a->table.sample_every = o->sample_every;
	if (o->sample_every > 1)
		for (size_t i = 0; i < a->table.n; i++)
			if (a->table.v[i].usdt_hits) {
				snprintf(err, errlen,
					 "--sample does not apply to USDT hit counts (-U %s): time "
					 "pairs, or drop --sample",
					 a->table.v[i].name);
				stage_table_free(&a->table);
				return -1;
			}
	return 0;
}

struct bpfprof_bpf *stage_attacher_load(struct stage_attacher *a, struct loader_config *cfg,
					char *err, size_t errlen)
{
	struct usdt_named_sizes names;

	a->kind = stages_pick_link_kind();
	usdt_named_sizes(&a->table, &names);
	cfg->usdt_name_specs = names.specs;
	cfg->usdt_name_sites = names.sites;
	cfg->usdt_names = names.names;
	cfg->usdt_first_name_id = names.first_slot;
	cfg->usdt_name_args = names.max_args;
	cfg->n_stages = a->table.n;
	cfg->n_site_stages = stages_with_return_sites(&a->table, false);
	cfg->n_go_stages = stages_with_return_sites(&a->table, true);
	cfg->stage_links = a->kind;
	cfg->usdt_stages = stages_have_usdt(&a->table);
	cfg->stages_off = a->opts.stages_off;
	cfg->sample_every = a->opts.sample_every;
	a->skel = loader_open_and_load(cfg, err, errlen);
	if (a->skel && names.specs && usdt_named_setup(&a->table, a->skel, err, errlen)) {
		bpfprof_bpf__destroy(a->skel);
		a->skel = NULL;
	}
	return a->skel;
}

/* Functions whose entry the kernel single-steps cost ~5-18 us a call in a
 * VM (their straight-line start has no instruction it emulates to probe
 * instead): say which. */
static void warn_single_stepped(const struct stage_table *t, FILE *log)
{
	size_t n = stages_single_stepped(t), shown = 0;

	if (!n)
		return;
	fprintf(log,
		"bpfprof: warning: %zu of %zu functions have an entry probe the kernel "
		"single-steps (~5-20 us per call):",
		n, stages_functions(t));
	for (size_t i = 0; i < t->n && shown < 5; i++)
		if (t->v[i].kind == ENTRY_SINGLE_STEP && stage_is_function(&t->v[i]))
			fprintf(log, "%s %s", shown++ ? "," : "", text_safe(t->v[i].name));
	fprintf(log, "%s\n", n > shown ? ", ..." : "");
}

/* A function that never returns (no return site: _start, __cxa_throw,
 * Rust's rust_panic_with_hook) pays no return-site probe. */
static bool pays_return_sites(const struct stage_def *d)
{
	return d->ret == RET_SITES && d->n_sites;
}

/* Return-site probes are the safe path, and the slower one (a ret is
 * single-stepped): say which functions pay it, and what, measured here. */
static void note_return_sites(const struct stage_table *t, enum uprobe_link_kind kind, FILE *log)
{
	size_t n = 0, shown = 0;
	struct probe_calibration cal = {};
	char err[256], cost[64] = "";

	for (size_t i = 0; i < t->n; i++)
		n += pays_return_sites(&t->v[i]);
	if (!n)
		return;
	if (!probe_calibrate_return_sites(&cal, kind, err, sizeof(err)))
		snprintf(cost, sizeof(cost), " (~%.1f us per call here)", cal.site_ns / 1e3);
	fprintf(log,
		"bpfprof: %zu of %zu functions end through probes on their return instructions "
		"instead of a return probe, which C++ exceptions, Rust panics or Go would trip "
		"on%s:",
		n, stages_functions(t), cost);
	for (size_t i = 0; i < t->n && shown < 5; i++)
		if (pays_return_sites(&t->v[i]))
			fprintf(log, "%s %s", shown++ ? "," : "", text_safe(t->v[i].name));
	fprintf(log, "%s\n", n > shown ? ", ..." : "");
}

/* Go: the scheduler's probes (go_sched.bpf.h) run at every goroutine
 * switch of the process, timed call or not: say so, and how to leave them
 * out. */
static void note_go_sched(const struct stage_attacher *a, FILE *log)
{
	if (!stages_with_return_sites(&a->table, true) ||
	    !bpf_program__autoload(a->skel->progs.go_park))
		return;
	fprintf(log, "bpfprof: Go: the scheduler is probed too (runtime.gopark, ready, execute), "
		     "so that a goroutine's waits count as blocked: ~1 us per goroutine switch of "
		     "the process; --no-go-sched leaves it out\n");
}

static void log_attached(const struct stage_attacher *a, FILE *log)
{
	const struct stage_switch *sw = &a->sw;
	char what[160];

	stages_describe(&a->table, true, what, sizeof(what));
	if (sw->attached)
		fprintf(log, "bpfprof: %s (%s uprobes, %zu link%s, attached in %.1f ms)\n", what,
			uprobe_link_kind_name(a->kind), sw->links.n, sw->links.n == 1 ? "" : "s",
			sw->last_ms);
	else
		fprintf(log, "bpfprof: %s (%s uprobes): not attached until switched on\n", what,
			uprobe_link_kind_name(a->kind));
	warn_single_stepped(&a->table, log);
	note_return_sites(&a->table, a->kind, log);
	note_go_sched(a, log);
}

/* Started off (--stages-off): detachable probes wait for the first toggle. */
int stage_attacher_attach(struct stage_attacher *a, pid_t pid, char *err, size_t errlen)
{
	struct stage_switch *sw = &a->sw;

	if (!a->table.n)
		return 0;
	/* --follow: children are new processes; attach for all, the probes
	 * keep the traced ones. */
	if (stage_switch_open(sw, a->skel, &a->table, a->kind, a->opts.follow ? 0 : pid, err,
			      errlen))
		return -1;
	if ((!a->opts.stages_off || !stage_switch_detaches(sw)) &&
	    stage_switch_attach(sw, err, errlen))
		return -1;
	if (a->opts.log)
		log_attached(a, a->opts.log);
	return 0;
}

void stage_attacher_detach(struct stage_attacher *a)
{
	if (a)
		stage_switch_close(&a->sw);
}

void stage_attacher_free(struct stage_attacher *a)
{
	if (!a)
		return;
	stage_attacher_detach(a);
	stage_table_free(&a->table);
	free(a);
}

void stage_attacher_refresh_names(struct stage_attacher *a)
{
	if (a && a->skel && a->table.n)
		usdt_names_refresh(&a->table, bpf_map__fd(a->skel->maps.usdt_names));
}

const struct stage_table *stage_attacher_table(const struct stage_attacher *a)
{
	return &a->table;
}

enum uprobe_link_kind stage_attacher_link_kind(const struct stage_attacher *a)
{
	return a->kind;
}

struct stage_switch *stage_attacher_switch(struct stage_attacher *a)
{
	return &a->sw;
}
