// SPDX-License-Identifier: MIT
#include <time.h>
#include "common/text.h"
#include "probes/bpf_loader.h"
#include "cost/stage_control.h"
#include "probes/stage_switch.h"
#include "common/clock.h"

void stage_control_init(struct stage_control *c, struct bpfprof_bpf *skel, double max_overhead_pct,
			FILE *log)
{
	*c = (struct stage_control){ .skel = skel,
				     .log = log,
				     .max_overhead_pct = max_overhead_pct };
	c->since_mono = clock_mono_s();
	if (skel && log)
		fprintf(log, "bpfprof: stage probes %s (SIGUSR1 toggles)\n",
			loader_stages_enabled(skel) ? "on" : "off");
}

void stage_control_restart(struct stage_control *c)
{
	c->since_mono = clock_mono_s();
	c->on_s = 0;
}

void stage_control_set_switch(struct stage_control *c, struct stage_switch *sw)
{
	c->sw = sw;
}

bool stage_control_enabled(const struct stage_control *c)
{
	return c->skel && loader_stages_enabled(c->skel);
}

void stage_control_set(struct stage_control *c, bool on, const char *why)
{
	double now = clock_mono_s();
	char err[256], took[64] = "";

	if (!c->skel) {
		if (c->log)
			fprintf(c->log, "bpfprof: %s: no stage probes to switch (no -u)\n", why);
		return;
	}
	if (on == loader_stages_enabled(c->skel))
		return;
	if (!c->sw) {
		loader_set_stages_enabled(c->skel, on);
	} else if (!on) {
		stage_switch_off(c->sw);
	} else if (stage_switch_on(c->sw, err, sizeof(err))) {
		if (c->log)
			fprintf(c->log, "bpfprof: stage probes stay off (%s): %s\n", why, text_safe(err));
		return;
	}
	if (c->sw && stage_switch_detaches(c->sw))
		stage_switch_describe(c->sw, took, sizeof(took));
	/* Off took effect at the start (the flag), on at the end. */
	if (!on)
		c->on_s += now - c->since_mono;
	c->since_mono = on ? clock_mono_s() : now;
	c->toggles++;
	c->interval_toggles++;
	if (c->log)
		fprintf(c->log, "bpfprof: stage probes %s (%s)%s%s%s\n", on ? "on" : "off", why,
			took[0] ? (on ? ": attached " : ": detached ") : "", took,
			!on && c->sw && !stage_switch_detaches(c->sw)
				? ": perf-event uprobes stay attached" : "");
}

bool stage_control_toggle(struct stage_control *c, const char *why)
{
	bool on = !stage_control_enabled(c);

	/* A person decided: the limit waits for its next breach. */
	c->auto_off = false;
	c->trial = false;
	stage_control_set(c, on, why);
	return stage_control_enabled(c);
}

void stage_control_check_overhead(struct stage_control *c, double stage_pct)
{
	char why[128];

	/* The run is over once the probes are closed. */
	if (!c->skel || c->max_overhead_pct <= 0 || (c->sw && !stage_switch_is_open(c->sw)))
		return;
	if (c->auto_off) {
		c->off_intervals++;
		if (stage_pct >= 0 && stage_pct < c->max_overhead_pct / 2)
			snprintf(why, sizeof(why),
				 "--max-overhead: they would cost %.2f%% of the target's CPU time",
				 stage_pct);
		else if (c->off_intervals >= c->retry_after)
			snprintf(why, sizeof(why), "--max-overhead: trying them again after %u intervals off",
				 c->off_intervals);
		else
			return;
		c->auto_off = false;
		c->trial = true;
		stage_control_set(c, true, why);
		return;
	}
	if (stage_pct < 0 || !stage_control_enabled(c))
		return;
	if (stage_pct <= c->max_overhead_pct) {
		c->trial = false; /* a trial that passed: the next wait starts short */
		return;
	}
	snprintf(why, sizeof(why), "--max-overhead: they cost %.2f%% of the target's CPU time",
		 stage_pct);
	stage_control_set(c, false, why);
	if (stage_control_enabled(c))
		return;
	/* Over the limit again right after a trial: wait twice as long. */
	if (!c->trial)
		c->retry_after = OVERHEAD_RETRY_FIRST;
	else if (c->retry_after < OVERHEAD_RETRY_MAX)
		c->retry_after *= 2;
	c->trial = false;
	c->auto_off = true;
	c->off_intervals = 0;
}

void stage_control_interval(struct stage_control *c, double *on_s, uint64_t *toggles)
{
	double now = clock_mono_s();

	if (stage_control_enabled(c))
		c->on_s += now - c->since_mono;
	c->since_mono = now;
	*on_s = c->on_s;
	*toggles = c->interval_toggles;
	c->on_s = 0;
	c->interval_toggles = 0;
}
