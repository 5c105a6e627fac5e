// SPDX-License-Identifier: MIT
#include <math.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cost/time_correction.h"
#include "probes/bpf_loader.h"

/* Return-site stages have mechanisms of their own, not calibrated yet: their
 * probe_costs stay 0, so their times are as measured. */
unsigned int stage_probe_mechanism(const struct stage_def *d)
{
	return (unsigned int)d->kind + (d->ret == RET_PROBE ? 0 : ENTRY_KINDS);
}

static const char *return_name(enum uprobe_link_kind kind)
{
	return kind == UPROBE_LINK_SESSION ? "session" : "uretprobe";
}

static uint32_t ns32(double ns)
{
	return ns <= 0 ? 0 : ns >= 4e9 ? UINT32_MAX : (uint32_t)llround(ns);
}

/*
 * The BPF side's four parts of a call's cost. Only their sums matter to a
 * duration: the two inside the call (entry_after + return_before) are its
 * own in-window cost, all four are what its callers hold. Split evenly,
 * which places a span between its caller's edges whatever the true split.
 */
static void publish(struct time_correction *tc)
{
	volatile struct probe_cost *pc = tc->skel->bss->probe_costs;

	for (int k = 0; k < ENTRY_KINDS; k++) {
		double w = tc->cal[k].window_ns, f = tc->full_ns[k];
		struct probe_cost c = {};

		if (tc->cal[k].measured && !tc->raw) {
			c.entry_after = ns32(w / 2);
			c.return_before = ns32(w) - c.entry_after;
			c.entry_before = ns32((f - w) / 2);
			c.return_after = ns32(f - w) - c.entry_before;
			c.skipped = ns32(tc->skipped_ns[k]);
		}
		/* Each field is read alone by the probes: a torn struct only
		 * mixes an old and a new figure for one call. */
		pc[k].entry_before = c.entry_before;
		pc[k].entry_after = c.entry_after;
		pc[k].return_before = c.return_before;
		pc[k].return_after = c.return_after;
		pc[k].skipped = c.skipped;
	}
}

static void set_mechanisms(struct bpfprof_bpf *skel, const struct stage_table *t)
{
	int fd = bpf_map__fd(skel->maps.stage_mech);

	for (uint32_t id = 0; id < t->n; id++) {
		uint32_t m = stage_probe_mechanism(&t->v[id]);

		bpf_map_update_elem(fd, &id, &m, BPF_ANY);
	}
}

void time_correction_start(struct time_correction *tc, struct bpfprof_bpf *skel,
			   const struct stage_table *t, enum uprobe_link_kind link_kind,
			   unsigned int sample_every, bool raw, const struct probe_calibration *cal,
			   FILE *log)
{
	bool kinds[ENTRY_KINDS] = {};
	char err[256] = "";

	memset(tc, 0, sizeof(*tc));
	tc->skel = skel;
	tc->raw = raw;
	tc->link_kind = link_kind;
	tc->program_ns = -1;
	tc->sampled = sample_every > 1;
	if (!t || !t->n)
		return;
	for (size_t i = 0; i < t->n; i++) {
		if (t->v[i].ret == RET_PROBE)
			kinds[t->v[i].kind] = true;
		else
			tc->uncorrected++;
	}
	for (int k = 0; k < ENTRY_KINDS; k++)
		tc->skipped_ns[k] = cal && cal->stage_off_ns[k] > 0 ? cal->stage_off_ns[k] : 0;
	if ((kinds[0] || kinds[1] || kinds[2]) &&
	    probe_calibrate_stages(skel, link_kind, kinds, tc->cal, err, sizeof(err))) {
		if (log)
			fprintf(log, "bpfprof: warning: %s: stage times include the probes' cost\n",
				err);
		memset(tc->cal, 0, sizeof(tc->cal));
	}
	set_mechanisms(skel, t);
	for (int k = 0; k < ENTRY_KINDS; k++)
		tc->full_ns[k] = tc->cal[k].full_ns;
	publish(tc);
	tc->applied = !raw;
	if (tc->uncorrected && log && !raw)
		fprintf(log,
			"bpfprof: %zu function%s timed through return sites: %s times include the "
			"probes' cost (not calibrated yet)\n",
			tc->uncorrected, tc->uncorrected == 1 ? "" : "s",
			tc->uncorrected == 1 ? "its" : "their");
	for (int k = 0; k < ENTRY_KINDS && log; k++) {
		if (!tc->cal[k].measured)
			continue;
		fprintf(log,
			"bpfprof: %s %s probes cost a call %.0f ns, %.0f ns of it inside its "
			"measured time: stage times %s\n",
			entry_kind_name(k), return_name(link_kind), tc->cal[k].full_ns,
			tc->cal[k].window_ns,
			raw ? "include it (--raw-times)"
			    : "exclude it, and callers' exclude it too");
	}
}

void time_correction_window(struct time_correction *tc, double program_ns)
{
	/* --sample: the windows' program time mixes recorded calls with
	 * skipped ones, which the calibration has none of. */
	if (!tc->skel || program_ns < 0 || tc->sampled)
		return;
	tc->program_ns = program_ns;
	tc->windows++;
	for (int k = 0; k < ENTRY_KINDS; k++) {
		const struct stage_prog_cal *c = &tc->cal[k];

		if (!c->measured || c->program_ns < 0)
			continue;
		/* The machinery is the calibration's; the programs are the run's. */
		tc->full_ns[k] = fmax(c->full_ns + program_ns - c->program_ns, c->window_ns);
	}
	publish(tc);
}

bool time_correction_describe(const struct time_correction *tc, struct time_correction_record *r,
			      struct time_correction_mech mechs[ENTRY_KINDS])
{
	size_t n = 0;

	if (!tc->skel)
		return false;
	for (int k = 0; k < ENTRY_KINDS; k++) {
		const struct stage_prog_cal *c = &tc->cal[k];

		if (!c->measured)
			continue;
		mechs[n++] = (struct time_correction_mech){
			.entry = entry_kind_name(k),
			.ret = return_name(tc->link_kind),
			.in_call_ns = c->window_ns,
			.per_call_ns = tc->full_ns[k],
			.calibrated_per_call_ns = c->full_ns,
			.calibrated_program_ns = c->program_ns,
		};
	}
	*r = (struct time_correction_record){ .applied = tc->applied,
					      .mechs = mechs,
					      .n_mechs = n,
					      .run_program_ns = tc->program_ns,
					      .windows = tc->windows,
					      .uncorrected_functions = tc->uncorrected };
	return true;
}
