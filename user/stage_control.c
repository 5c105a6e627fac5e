// SPDX-License-Identifier: MIT
#include <time.h>
#include "bpf_loader.h"
#include "stage_control.h"
#include "clock.h"

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

bool stage_control_enabled(const struct stage_control *c)
{
	return c->skel && loader_stages_enabled(c->skel);
}

void stage_control_set(struct stage_control *c, bool on, const char *why)
{
	double now = clock_mono_s();

	if (!c->skel) {
		if (c->log)
			fprintf(c->log, "bpfprof: %s: no stage probes to switch (no -u)\n", why);
		return;
	}
	if (on == loader_stages_enabled(c->skel))
		return;
	if (!on)
		c->on_s += now - c->since_mono;
	c->since_mono = now;
	loader_set_stages_enabled(c->skel, on);
	c->toggles++;
	c->interval_toggles++;
	if (c->log)
		fprintf(c->log, "bpfprof: stage probes %s (%s)\n", on ? "on" : "off", why);
}

bool stage_control_toggle(struct stage_control *c, const char *why)
{
	bool on = !stage_control_enabled(c);

	/* A person decided: the limit waits for its next breach. */
	c->auto_off = false;
	stage_control_set(c, on, why);
	return stage_control_enabled(c);
}

void stage_control_check_overhead(struct stage_control *c, double stage_pct)
{
	char why[128];

	if (!c->skel || c->max_overhead_pct <= 0 || stage_pct < 0)
		return;
	if (stage_control_enabled(c) && stage_pct > c->max_overhead_pct) {
		snprintf(why, sizeof(why),
			 "--max-overhead: they cost %.2f%% of the target's CPU time", stage_pct);
		stage_control_set(c, false, why);
		c->auto_off = true;
	} else if (c->auto_off && stage_pct < c->max_overhead_pct / 2) {
		snprintf(why, sizeof(why),
			 "--max-overhead: they would cost %.2f%% of the target's CPU time",
			 stage_pct);
		c->auto_off = false;
		stage_control_set(c, true, why);
	}
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
