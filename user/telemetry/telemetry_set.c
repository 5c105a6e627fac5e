// SPDX-License-Identifier: MIT
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "common/text.h"
#include "output/format.h"
#include "telemetry/telemetry_set.h"

int telemetry_set_init(struct telemetry_set *s)
{
	memset(s, 0, sizeof(*s));
	s->tracks = calloc(TELEMETRY_MAX_TRACKED, sizeof(*s->tracks));
	return s->tracks ? 0 : -1;
}

void telemetry_set_free(struct telemetry_set *s)
{
	free(s->tracks);
	s->tracks = NULL;
	s->n_tracks = 0;
}

static uint64_t proc_activity(const struct proc_profile *p)
{
	uint64_t n = 0;

	for (unsigned int nr = 0; nr < MAX_SYSCALL_NR; nr++)
		n += p->sys[nr].count;
	for (uint32_t id = 0; id < p->n_stages; id++)
		n += p->stages[id].calls;
	return n;
}

size_t telemetry_pick(const struct profile *p, pid_t target, pid_t *out, size_t max)
{
	uint64_t best[TELEMETRY_MAX_PER_ROUND];
	size_t n = 0, first_other;

	if (max > TELEMETRY_MAX_PER_ROUND)
		max = TELEMETRY_MAX_PER_ROUND;
	if (!max)
		return 0;
	if (target > 0)
		out[n++] = target;
	first_other = n;
	/* Insertion into a short list sorted by activity, busiest first. */
	for (size_t i = 0; p && i < p->n; i++) {
		const struct proc_profile *pp = p->procs[i];
		uint64_t a = proc_activity(pp);
		size_t at;

		if ((pid_t)pp->pid == target || !a)
			continue;
		if (n == max && a <= best[n - 1])
			continue;
		if (n < max)
			n++;
		at = n - 1;
		while (at > first_other && best[at - 1] < a) {
			best[at] = best[at - 1];
			out[at] = out[at - 1];
			at--;
		}
		best[at] = a;
		out[at] = (pid_t)pp->pid;
	}
	return n;
}

/* The track of this very process (pid and start time), or NULL. */
static struct telemetry_track *find_track(struct telemetry_set *s, const struct proc_telemetry *t)
{
	for (size_t i = s->n_tracks; i-- > 0;)
		if (telemetry_same_process(&s->tracks[i].last.t, t))
			return &s->tracks[i];
	return NULL;
}

static void track_add(struct telemetry_track *tr, const struct telemetry_point *pt)
{
	const struct proc_telemetry *t = &pt->t;

	if (!tr->samples)
		tr->first = *pt;
	tr->last = *pt;
	tr->samples++;
	if (t->state != 'Z') {
		if (!tr->has_mem || t->rss_bytes < tr->min_rss)
			tr->min_rss = t->rss_bytes;
		if (!tr->has_mem || t->rss_bytes > tr->max_rss)
			tr->max_rss = t->rss_bytes;
		if (!tr->has_mem || t->vsize_bytes < tr->min_vsize)
			tr->min_vsize = t->vsize_bytes;
		if (!tr->has_mem || t->vsize_bytes > tr->max_vsize)
			tr->max_vsize = t->vsize_bytes;
		if (!tr->has_mem || t->threads < tr->min_threads)
			tr->min_threads = t->threads;
		if (!tr->has_mem || t->threads > tr->max_threads)
			tr->max_threads = t->threads;
		tr->has_mem = true;
	}
	if (pt->has_cpu) {
		if (!tr->has_cpu || pt->cpu_user_pct < tr->min_user_pct)
			tr->min_user_pct = pt->cpu_user_pct;
		if (!tr->has_cpu || pt->cpu_user_pct > tr->max_user_pct)
			tr->max_user_pct = pt->cpu_user_pct;
		if (!tr->has_cpu || pt->cpu_system_pct < tr->min_system_pct)
			tr->min_system_pct = pt->cpu_system_pct;
		if (!tr->has_cpu || pt->cpu_system_pct > tr->max_system_pct)
			tr->max_system_pct = pt->cpu_system_pct;
		tr->has_cpu = true;
	}
}

void telemetry_set_round(struct telemetry_set *s, const pid_t *pids, size_t n)
{
	s->n_round = 0;
	for (size_t i = 0; i < n && s->n_round < TELEMETRY_MAX_PER_ROUND; i++) {
		struct telemetry_point *pt = &s->round[s->n_round];
		struct telemetry_track *tr;

		memset(pt, 0, sizeof(*pt));
		if (telemetry_sample(pids[i], &pt->t))
			continue;
		if (!pt->t.have_io && s->io_fallback)
			s->io_fallback(s->io_ctx, &pt->t);
		s->n_round++;
		tr = find_track(s, &pt->t);
		if (tr) {
			const struct proc_telemetry *was = &tr->last.t;
			uint64_t now_ns = pt->t.utime_ns + pt->t.stime_ns;
			uint64_t was_ns = was->utime_ns + was->stime_ns;

			pt->has_cpu = !telemetry_cpu_pct(was, &pt->t, &pt->cpu_user_pct,
							 &pt->cpu_system_pct);
			if (pt->has_cpu)
				pt->cpu_ns = now_ns > was_ns ? now_ns - was_ns : 0;
		} else if (s->n_tracks < TELEMETRY_MAX_TRACKED)
			tr = &s->tracks[s->n_tracks++];
		if (tr)
			track_add(tr, pt);
		else
			s->untracked++;
	}
}

const struct telemetry_point *telemetry_round_find(const struct telemetry_set *s, pid_t pid)
{
	for (size_t i = 0; i < s->n_round; i++)
		if (s->round[i].t.pid == pid)
			return &s->round[i];
	return NULL;
}

double telemetry_round_cpu_ns(const struct telemetry_set *s)
{
	double ns = 0;
	bool any = false;

	for (size_t i = 0; i < s->n_round; i++) {
		if (!s->round[i].has_cpu)
			continue;
		ns += (double)s->round[i].cpu_ns;
		any = true;
	}
	return any ? ns : -1;
}

/*
 * A process that had exited (a zombie, reaped after the sample): its memory
 * is freed and its threads gone, so it has no RSS to say, not 0; only its
 * CPU time in all, which the kernel counts in clock ticks: a command shorter
 * than one reads 0, said as under a tick.
 */
static void print_exited(FILE *f, const struct telemetry_point *p)
{
	double tick_ns = telemetry_tick_ns();
	char user[32], sys[32];

	fprintf(f, "exited before this sample (memory freed); ");
	if (p->t.utime_ns + p->t.stime_ns == 0)
		fprintf(f, "CPU time under %.0f ms (counted in %.0f ms steps)\n", tick_ns / 1e6,
			tick_ns / 1e6);
	else
		fprintf(f, "CPU time %s user, %s system in all\n",
			fmt_duration(p->t.utime_ns, user, sizeof(user)),
			fmt_duration(p->t.stime_ns, sys, sizeof(sys)));
}

void telemetry_round_print(const struct telemetry_set *s, FILE *f)
{
	for (size_t i = 0; i < s->n_round; i++) {
		const struct telemetry_point *p = &s->round[i];
		char rss[32];

		fprintf(f, "  telemetry %d %s: ", (int)p->t.pid, text_safe(p->t.comm));
		if (p->t.state == 'Z') {
			print_exited(f, p);
			continue;
		}
		if (p->has_cpu)
			fprintf(f, "CPU %.1f%% user %.1f%% system, ", p->cpu_user_pct,
				p->cpu_system_pct);
		fprintf(f, "RSS %s, %u thread%s, %lu/%lu context switches\n",
			fmt_bytes(p->t.rss_bytes, rss, sizeof(rss)), p->t.threads,
			p->t.threads == 1 ? "" : "s", (unsigned long)p->t.ctxt_voluntary,
			(unsigned long)p->t.ctxt_involuntary);
	}
}
