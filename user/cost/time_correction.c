// SPDX-License-Identifier: MIT
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpfprof.h"
#include "bpfprof.skel.h"
#include "cost/time_correction.h"
#include "probes/bpf_loader.h"

unsigned int stage_probe_mechanism(const struct stage_def *d)
{
	return probe_mech(d->kind, d->ret == RET_PROBE ? RETURN_PROBE
				   : d->goroutine      ? RETURN_GO_SITES
						       : RETURN_SITES);
}

static const char *return_name(const struct time_correction *tc, unsigned int m)
{
	switch (probe_mech_return(m)) {
	case RETURN_SITES:
		return "return sites";
	case RETURN_GO_SITES:
		return "go return sites";
	default:
		return tc->link_kind == UPROBE_LINK_SESSION ? "session" : "uretprobe";
	}
}

static uint32_t ns32(double ns)
{
	return ns <= 0 ? 0 : ns >= 4e9 ? UINT32_MAX : (uint32_t)llround(ns);
}

/*
 * The BPF side's four parts of a call's cost. Only their sums matter to a
 * duration: the two inside the call (entry.after + ret.before) are its
 * own in-window cost, all four are what its callers hold. Split evenly,
 * which places a span between its caller's edges whatever the true split.
 * Under tc->lock (or before the recalibration thread starts): one writer.
 */
static void publish(struct time_correction *tc)
{
	volatile struct probe_cost *pc = tc->skel->bss->probe_costs;

	for (unsigned int m = 0; m < PROBE_MECHS; m++) {
		double w = tc->window_ns[m], f = tc->full_ns[m];
		struct probe_cost c = {};

		if (tc->cal[m].measured && !tc->raw) {
			/* A cost window's stats make every probe dearer (the
			 * ranges below are of the figures without that). */
			double ws = w + (tc->stats_on ? tc->cal[m].stats_window_extra_ns : 0);
			double fs = f + (tc->stats_on ? tc->cal[m].stats_full_extra_ns : 0);

			c.entry.after = ns32(ws / 2);
			c.ret.before = ns32(ws) - c.entry.after;
			c.entry.before = ns32((fs - ws) / 2);
			c.ret.after = ns32(fs - ws) - c.entry.before;
			/* A ret site fires for a call not recorded too; a
			 * session's skipped call runs one program of two. */
			c.skipped = ns32(probe_mech_return(m) != RETURN_PROBE ? fs
					 : tc->link_kind == UPROBE_LINK_SESSION
						 ? tc->skipped_ns[m] + (fs - f) / 2
						 : tc->skipped_ns[m] + (fs - f));
			if (f < tc->full_min[m] || !tc->published[m])
				tc->full_min[m] = f;
			if (f > tc->full_max[m] || !tc->published[m])
				tc->full_max[m] = f;
			if (w < tc->window_min[m] || !tc->published[m])
				tc->window_min[m] = w;
			if (w > tc->window_max[m] || !tc->published[m])
				tc->window_max[m] = w;
			tc->published[m] = true;
		}
		/* A probe reads one timestamp's pair in one load: each pair is
		 * one store. A call whose entry and return straddle this takes
		 * its entry's pair from the old figures and its return's from
		 * the new, as any call in flight across a change would: a
		 * correction between the two for that call, never a mix of
		 * halves of one timestamp. */
		__atomic_store_n(&pc[m].entry_word, c.entry_word, __ATOMIC_RELAXED);
		__atomic_store_n(&pc[m].ret_word, c.ret_word, __ATOMIC_RELAXED);
		__atomic_store_n(&pc[m].skipped, c.skipped, __ATOMIC_RELAXED);
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

/* The programs per call at calibration, over the mechanisms in use
 * weighted by their functions: what the cost windows' figure compares to. */
static void calibrated_program(struct time_correction *tc, const size_t per_mech[PROBE_MECHS])
{
	double sum = 0, n = 0;

	for (unsigned int m = 0; m < PROBE_MECHS; m++) {
		if (!tc->cal[m].measured || tc->cal[m].program_ns < 0 || !per_mech[m])
			continue;
		sum += tc->cal[m].program_ns * (double)per_mech[m];
		n += (double)per_mech[m];
	}
	tc->cal_program_ns = n ? sum / n : -1;
}

/*
 * The start's figures: the least of TC_START_RUNS calibrations. Each runs
 * on a new thread, and some threads pay ~150 ns more a probe than others
 * for their whole life (seen here about one calibration in ten; the
 * target's threads mostly pay the lower figure); noise only adds.
 */
static int calibrate_start(struct time_correction *tc, char *err, size_t errlen)
{
	struct stage_prog_cal out[PROBE_MECHS];
	int rc = stage_calibrator_run(&tc->calibrator, true, tc->cal, err, errlen);

	for (int run = 1; !rc && run < TC_START_RUNS; run++) {
		rc = stage_calibrator_run(&tc->calibrator, false, out, err, errlen);
		for (unsigned int m = 0; !rc && m < PROBE_MECHS; m++) {
			if (!out[m].measured || !tc->cal[m].measured)
				continue;
			tc->cal[m].window_ns = fmin(tc->cal[m].window_ns, out[m].window_ns);
			tc->cal[m].full_ns = fmin(tc->cal[m].full_ns, out[m].full_ns);
		}
	}
	return rc;
}

void time_correction_start(struct time_correction *tc, struct bpfprof_bpf *skel,
			   const struct stage_table *t, enum uprobe_link_kind link_kind,
			   unsigned int sample_every, bool raw, const struct probe_calibration *cal,
			   FILE *log)
{
	bool mechs[PROBE_MECHS] = {}, any = false;
	size_t per_mech[PROBE_MECHS] = {};
	char err[256] = "";

	memset(tc, 0, sizeof(*tc));
	/* Default kinds: nothing to destroy, and usable after the stop. */
	pthread_mutex_init(&tc->lock, NULL);
	pthread_cond_init(&tc->wake, NULL);
	tc->skel = skel;
	tc->raw = raw;
	tc->link_kind = link_kind;
	tc->program_ns = -1;
	tc->cal_program_ns = -1;
	tc->sampled = sample_every > 1;
	if (!t || !t->n)
		return;
	for (size_t i = 0; i < t->n; i++) {
		unsigned int m = stage_probe_mechanism(&t->v[i]);

		mechs[m] = any = true;
		per_mech[m]++;
	}
	/* A skipped call (--sample) pays an entry probe; the machinery of a
	 * session entry that skips its return, as probe_calibrate timed it
	 * (return sites: all of it, publish()). */
	for (unsigned int m = 0; m < PROBE_MECHS; m++) {
		int k = probe_mech_entry(m);

		tc->skipped_ns[m] = cal && cal->stage_off_ns[k] > 0 ? cal->stage_off_ns[k] : 0;
	}
	if (any &&
	    (stage_calibrator_open(&tc->calibrator, skel, link_kind, mechs, err, sizeof(err)) ||
	     calibrate_start(tc, err, sizeof(err)))) {
		if (log)
			fprintf(log, "bpfprof: warning: %s: stage times include the probes' cost\n",
				err);
		stage_calibrator_close(&tc->calibrator);
		memset(tc->cal, 0, sizeof(tc->cal));
	}
	set_mechanisms(skel, t);
	for (unsigned int m = 0; m < PROBE_MECHS; m++) {
		tc->full_ns[m] = tc->cal[m].full_ns;
		tc->window_ns[m] = tc->cal[m].window_ns;
		tc->recal_full[0][m] = tc->cal[m].full_ns;
		tc->recal_window[0][m] = tc->cal[m].window_ns;
		if (mechs[m] && !tc->cal[m].measured)
			tc->uncorrected += per_mech[m];
	}
	tc->recal_kept = 1;
	calibrated_program(tc, per_mech);
	publish(tc);
	tc->applied = !raw;
	/* Raw, nothing is taken off: no need to time the probes again. */
	if (raw)
		stage_calibrator_close(&tc->calibrator);
	if (tc->uncorrected && log && !raw)
		fprintf(log,
			"bpfprof: %zu function%s whose probes could not be timed: %s times "
			"include the probes' cost\n",
			tc->uncorrected, tc->uncorrected == 1 ? "" : "s",
			tc->uncorrected == 1 ? "its" : "their");
	for (unsigned int m = 0; m < PROBE_MECHS && log; m++) {
		if (!tc->cal[m].measured)
			continue;
		fprintf(log,
			"bpfprof: %s %s probes cost a call %.0f ns, %.0f ns of it inside its "
			"measured time: stage times %s\n",
			entry_kind_name(probe_mech_entry(m)), return_name(tc, m),
			tc->cal[m].full_ns, tc->cal[m].window_ns,
			raw ? "include it (--raw-times)"
			    : "exclude it, and callers' exclude it too");
	}
}

/* The median; of an even count the lower middle: a calibration that other
 * work disturbed reads high, and with two (the start's and one more) their
 * mean took off ~1 us too much a call in a test run, holding calls at ~0. */
static double median_of(const double *v, unsigned int n)
{
	double w[TC_RECAL_KEEP];

	memcpy(w, v, n * sizeof(*v));
	for (unsigned int i = 1; i < n; i++)
		for (unsigned int j = i; j > 0 && w[j] < w[j - 1]; j--) {
			double t = w[j];

			w[j] = w[j - 1];
			w[j - 1] = t;
		}
	return w[(n - 1) / 2];
}

/* The figures now: the median of the calibrations kept (the start's and
 * the latest ones), plus what the cost windows saw the programs take more
 * or less on the target's calls than on bpfprof's at start. */
static void apply(struct time_correction *tc)
{
	double program_delta = tc->program_ns >= 0 ? tc->program_ns - tc->cal_program_ns : 0;

	for (unsigned int m = 0; m < PROBE_MECHS; m++) {
		double w[TC_RECAL_KEEP], f[TC_RECAL_KEEP];
		unsigned int n = 0;

		if (!tc->cal[m].measured)
			continue;
		for (unsigned int i = 0; i < tc->recal_kept; i++) {
			if (tc->recal_full[i][m] <= 0)
				continue;
			w[n] = tc->recal_window[i][m];
			f[n++] = tc->recal_full[i][m];
		}
		if (!n)
			continue;
		tc->window_ns[m] = median_of(w, n);
		tc->full_ns[m] = fmax(median_of(f, n) + program_delta, tc->window_ns[m]);
	}
	publish(tc);
}

void time_correction_stats(struct time_correction *tc, bool on)
{
	if (!tc->skel || tc->raw)
		return;
	pthread_mutex_lock(&tc->lock);
	tc->stats_on = on;
	publish(tc);
	pthread_mutex_unlock(&tc->lock);
}

void time_correction_window(struct time_correction *tc, double program_ns)
{
	if (!tc->skel || tc->raw)
		return;
	/* --sample: the windows' program time mixes recorded calls with
	 * skipped ones, which the calibration has none of. */
	if (program_ns < 0 || tc->sampled || tc->cal_program_ns < 0)
		return;
	pthread_mutex_lock(&tc->lock);
	tc->program_ns = program_ns;
	tc->windows++;
	apply(tc);
	pthread_mutex_unlock(&tc->lock);
}

/* A calibration's figures join the set (under tc->lock). The start's stays
 * in it until TC_RECAL_KEEP newer ones have replaced it. */
static void keep_calibration(struct time_correction *tc,
			     const struct stage_prog_cal out[PROBE_MECHS])
{
	unsigned int slot = tc->recal_kept < TC_RECAL_KEEP ? tc->recal_kept++ : tc->recal_next;

	tc->recalibrations++;
	tc->recal_next = (slot + 1) % TC_RECAL_KEEP;
	for (unsigned int m = 0; m < PROBE_MECHS; m++) {
		tc->recal_full[slot][m] = out[m].measured ? out[m].full_ns : 0;
		tc->recal_window[slot][m] = out[m].window_ns;
		if (!out[m].measured)
			continue;
		if (!tc->recal_seen[m] || out[m].full_ns < tc->recal_full_min[m])
			tc->recal_full_min[m] = out[m].full_ns;
		if (!tc->recal_seen[m] || out[m].full_ns > tc->recal_full_max[m])
			tc->recal_full_max[m] = out[m].full_ns;
		tc->recal_full_last[m] = out[m].full_ns;
		tc->recal_seen[m] = true;
	}
	apply(tc);
}

/*
 * The recalibration thread: one calibration each time the run loop asks,
 * until told to quit. The calibration itself runs on a new thread of its own
 * (stage_calibrator_run: its tid is calib_tid, on the target's CPUs), which
 * this one joins, so the run loop never waits. Signals stay with the run
 * loop's signalfd.
 */
static void *recal_thread(void *arg)
{
	struct time_correction *tc = arg;
	struct stage_prog_cal out[PROBE_MECHS];
	char err[256];
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_setname_np(pthread_self(), "bpfprof-recal");
	pthread_mutex_lock(&tc->lock);
	for (;;) {
		FILE *log;
		int rc;

		while (!tc->want && !tc->quit)
			pthread_cond_wait(&tc->wake, &tc->lock);
		if (tc->quit)
			break;
		tc->want = false;
		pthread_mutex_unlock(&tc->lock);
		rc = stage_calibrator_run(&tc->calibrator, false, out, err, sizeof(err));
		pthread_mutex_lock(&tc->lock);
		log = tc->recal_log;
		if (!rc)
			keep_calibration(tc, out);
		else if (rc != -ECANCELED && !tc->recal_failed++ && log)
			fprintf(log, "bpfprof: warning: %s: the correction stays as it was\n", err);
		/* Its calls are done and its thread gone: a window may open. */
		__atomic_store_n(&tc->busy, false, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&tc->lock);
	return NULL;
}

bool time_correction_busy(const struct time_correction *tc)
{
	return __atomic_load_n(&tc->busy, __ATOMIC_ACQUIRE);
}

void time_correction_recalibrate(struct time_correction *tc, double now_s, FILE *log)
{
	int rc;

	if (!tc->calibrator.skel || tc->raw || tc->thread_failed)
		return;
	/* The last one still runs: the next window's close asks again. */
	if (time_correction_busy(tc))
		return;
	if (tc->last_recal_s > 0 && now_s - tc->last_recal_s < TC_RECAL_PERIOD_S)
		return;
	tc->last_recal_s = now_s;
	if (tc->recal_first_s <= 0) {
		/* The first call: the period starts now. */
		tc->recal_first_s = now_s;
		return;
	}
	/* Stages switched off: their probes record nothing, bpfprof's neither. */
	if (!loader_stages_enabled(tc->skel))
		return;
	/* Busy before the thread can see the request: from here on the run
	 * loop opens no cost window until the calibration is done. */
	__atomic_store_n(&tc->busy, true, __ATOMIC_RELEASE);
	pthread_mutex_lock(&tc->lock);
	tc->want = true;
	tc->recal_log = log;
	pthread_cond_signal(&tc->wake);
	pthread_mutex_unlock(&tc->lock);
	/* Started here, in the run loop: after bpfprof dropped its
	 * capabilities (a thread keeps those it was started with). */
	if (tc->thread_on)
		return;
	rc = pthread_create(&tc->thread, NULL, recal_thread, tc);
	if (!rc) {
		tc->thread_on = true;
		return;
	}
	tc->thread_failed = true;
	tc->want = false;
	__atomic_store_n(&tc->busy, false, __ATOMIC_RELEASE);
	if (log)
		fprintf(log,
			"bpfprof: warning: cannot start the recalibration thread: %s: the "
			"correction stays as calibrated at start\n",
			strerror(rc));
}

void time_correction_stop(struct time_correction *tc)
{
	if (tc->thread_on) {
		stage_calibrator_cancel(&tc->calibrator);
		pthread_mutex_lock(&tc->lock);
		tc->quit = true;
		pthread_cond_signal(&tc->wake);
		pthread_mutex_unlock(&tc->lock);
		pthread_join(tc->thread, NULL);
		tc->thread_on = false;
	}
	__atomic_store_n(&tc->busy, false, __ATOMIC_RELEASE);
	stage_calibrator_close(&tc->calibrator);
}

bool time_correction_describe(struct time_correction *tc, struct time_correction_record *r,
			      struct time_correction_mech mechs[PROBE_MECHS])
{
	size_t n = 0;

	if (!tc->skel)
		return false;
	/* One moment's figures, not half of a calibration's. */
	pthread_mutex_lock(&tc->lock);
	for (unsigned int m = 0; m < PROBE_MECHS; m++) {
		const struct stage_prog_cal *c = &tc->cal[m];

		if (!c->measured)
			continue;
		mechs[n++] = (struct time_correction_mech){
			.entry = entry_kind_name(probe_mech_entry(m)),
			.ret = return_name(tc, m),
			.in_call_ns = tc->window_ns[m],
			.per_call_ns = tc->full_ns[m],
			.calibrated_in_call_ns = c->window_ns,
			.calibrated_per_call_ns = c->full_ns,
			.calibrated_program_ns = c->program_ns,
			.stats_extra_in_call_ns = c->stats_window_extra_ns,
			.stats_extra_per_call_ns = c->stats_full_extra_ns,
			.have_range = tc->published[m] && !tc->raw,
			.per_call_ns_min = tc->full_min[m],
			.per_call_ns_max = tc->full_max[m],
			.in_call_ns_min = tc->window_min[m],
			.in_call_ns_max = tc->window_max[m],
			.have_recalibrated = tc->recal_seen[m],
			.recalibrated_per_call_ns_min = tc->recal_full_min[m],
			.recalibrated_per_call_ns_max = tc->recal_full_max[m],
			.recalibrated_per_call_ns_last = tc->recal_full_last[m],
		};
	}
	*r = (struct time_correction_record){
		.applied = tc->applied,
		.mechs = mechs,
		.n_mechs = n,
		.run_program_ns = tc->program_ns,
		.windows = tc->windows,
		.recalibrations = tc->recalibrations,
		.recalibration_period_s = tc->applied && n ? TC_RECAL_PERIOD_S : 0,
		.uncorrected_functions = tc->uncorrected,
	};
	pthread_mutex_unlock(&tc->lock);
	return true;
}
