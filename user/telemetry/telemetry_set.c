// SPDX-License-Identifier: MIT
#include <math.h>
#include <stdlib.h>
#include <string.h>
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

/* Percentages to 0.01, so the JSON reads 12.34, not 12.3399999. */
static json_t *pct(double v)
{
	return json_real(round(v * 100) / 100);
}

static json_t *u64(uint64_t v)
{
	return json_integer((json_int_t)v);
}

static json_t *point_json(const struct telemetry_point *pt)
{
	const struct proc_telemetry *t = &pt->t;
	json_t *j = json_pack("{s:i, s:s, s:o, s:o, s:o, s:o, s:o, s:{s:o, s:o}}", "pid",
			      (int)t->pid, "comm", t->comm, "rss_bytes", u64(t->rss_bytes),
			      "vsize_bytes", u64(t->vsize_bytes), "threads", u64(t->threads),
			      "cpu_user_ns", u64(t->utime_ns), "cpu_system_ns", u64(t->stime_ns),
			      "ctx_switches", "voluntary", u64(t->ctxt_voluntary), "involuntary",
			      u64(t->ctxt_involuntary));

	if (!j)
		return NULL;
	if (pt->has_cpu) {
		json_object_set_new(j, "cpu_user_pct", pct(pt->cpu_user_pct));
		json_object_set_new(j, "cpu_system_pct", pct(pt->cpu_system_pct));
	}
	if (t->have_io)
		json_object_set_new(j, "io",
				    json_pack("{s:o, s:o, s:o, s:o}", "rchar", u64(t->rchar),
					      "wchar", u64(t->wchar), "read_bytes",
					      u64(t->read_bytes), "write_bytes",
					      u64(t->write_bytes)));
	if (t->state == 'Z')
		json_object_set_new(j, "exited", json_true());
	return j;
}

json_t *telemetry_round_json(const struct telemetry_set *s)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < s->n_round; i++)
		json_array_append_new(arr, point_json(&s->round[i]));
	return arr;
}

static json_t *track_json(const struct telemetry_track *tr)
{
	json_t *j = json_pack("{s:i, s:s, s:o, s:o, s:o}", "pid", (int)tr->last.t.pid, "comm",
			      tr->last.t.comm, "samples", u64(tr->samples), "first",
			      point_json(&tr->first), "last", point_json(&tr->last));
	double user, sys;

	if (!j)
		return NULL;
	if (tr->has_mem) {
		json_object_set_new(j, "min",
				    json_pack("{s:o, s:o, s:o}", "rss_bytes", u64(tr->min_rss),
					      "vsize_bytes", u64(tr->min_vsize), "threads",
					      u64(tr->min_threads)));
		json_object_set_new(j, "max",
				    json_pack("{s:o, s:o, s:o}", "rss_bytes", u64(tr->max_rss),
					      "vsize_bytes", u64(tr->max_vsize), "threads",
					      u64(tr->max_threads)));
	}
	if (tr->has_cpu) {
		json_t *mn = json_object_get(j, "min"), *mx = json_object_get(j, "max");

		if (!mn) {
			json_object_set_new(j, "min", mn = json_object());
			json_object_set_new(j, "max", mx = json_object());
		}
		json_object_set_new(mn, "cpu_user_pct", pct(tr->min_user_pct));
		json_object_set_new(mn, "cpu_system_pct", pct(tr->min_system_pct));
		json_object_set_new(mx, "cpu_user_pct", pct(tr->max_user_pct));
		json_object_set_new(mx, "cpu_system_pct", pct(tr->max_system_pct));
	}
	/* Over the whole time it was watched. */
	if (!telemetry_cpu_pct(&tr->first.t, &tr->last.t, &user, &sys)) {
		json_object_set_new(j, "cpu_user_pct", pct(user));
		json_object_set_new(j, "cpu_system_pct", pct(sys));
	}
	return j;
}

json_t *telemetry_summary_json(const struct telemetry_set *s)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < s->n_tracks; i++)
		json_array_append_new(arr, track_json(&s->tracks[i]));
	return arr;
}
