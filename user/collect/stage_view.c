// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "collect/stage_view.h"
#include "probes/syscall_table.h"
#include "common/sort.h"

const double lat_quantiles[LAT_NQ] = { 0.50, 0.90, 0.95, 0.99, 0.999 };
const char *const lat_quantile_names[LAT_NQ] = { "p50", "p90", "p95", "p99", "p99.9" };

void latency_from_hist(struct latency *out, const struct histogram *h, uint64_t max_ns)
{
	for (int i = 0; i < LAT_NQ; i++)
		out->q[i] = h ? hist_quantile(h, lat_quantiles[i], max_ns) : 0;
	out->max_ns = max_ns;
}

uint32_t proc_stage_ids(const struct proc_profile *p, const struct stage_table *t)
{
	if (!t)
		return 0;
	return p->n_stages < t->n ? p->n_stages : (uint32_t)t->n;
}

void proc_io_totals(const struct proc_profile *p, struct io_totals *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned int nr = 0; nr < MAX_SYSCALL_NR; nr++) {
		const struct syscall_counters *c = &p->sys[nr];
		uint8_t cls = syscall_io_class(nr);

		if (!cls || !c->count)
			continue;
		t->ops += c->count;
		t->errors += c->errors;
		t->time_ns += c->time_ns;
		if (cls & IO_READ)
			t->bytes_read += c->bytes;
		else
			t->bytes_written += c->bytes;
	}
}

bool proc_io_syscall(const struct proc_profile *p, unsigned int nr)
{
	return p->sys[nr].count && p->sys[nr].hist && syscall_io_class(nr);
}

uint64_t profile_stage_calls(const struct profile *p)
{
	uint64_t n = 0;

	for (size_t i = 0; i < p->n; i++)
		for (uint32_t id = 0; id < p->procs[i]->n_stages; id++)
			n += p->procs[i]->stages[id].calls;
	return n;
}

uint64_t profile_usdt_hits(const struct profile *p, const struct stage_table *t)
{
	uint64_t n = 0;

	for (size_t i = 0; t && i < p->n; i++)
		for (uint32_t id = 0; id < proc_stage_ids(p->procs[i], t); id++)
			if (t->v[id].usdt_hits)
				n += p->procs[i]->stages[id].calls;
	return n;
}

int stage_sum_add(struct stage_sum *s, const struct stage_counters *c)
{
	if (c->hist && !s->c.hist) {
		s->c.hist = c->hist;
	} else if (c->hist) {
		if (!s->own_hist) {
			struct histogram *h = malloc(sizeof(*h));

			if (!h)
				return -ENOMEM;
			*h = *s->c.hist;
			s->c.hist = h;
			s->own_hist = true;
		}
		hist_add(s->c.hist, c->hist);
	}
	stage_counters_add(&s->c, c);
	return 0;
}

void stage_sum_free(struct stage_sum *s)
{
	if (s->own_hist)
		free(s->c.hist);
	memset(s, 0, sizeof(*s));
}

void stage_view_free(struct stage_view *v)
{
	for (size_t i = 0; i < v->n; i++)
		stage_sum_free(&v->v[i].sum);
	free(v->v);
	memset(v, 0, sizeof(*v));
}

/* A new zeroed row at the end; NULL on ENOMEM. */
static struct stage_group *add_group(struct stage_view *v, size_t *cap)
{
	struct stage_group *g;

	if (v->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;

		g = realloc(v->v, ncap * sizeof(*g));
		if (!g)
			return NULL;
		v->v = g;
		*cap = ncap;
	}
	g = &v->v[v->n++];
	memset(g, 0, sizeof(*g));
	return g;
}

static int stage_def_cmp(const struct stage_def *a, const struct stage_def *b)
{
	int r = strcmp(a->binary, b->binary);

	return r ? r : strcmp(a->name, b->name);
}

static int by_def(const void *a, const void *b, void *arg)
{
	const struct stage_table *t = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int r = stage_def_cmp(&t->v[x], &t->v[y]);

	return r ? r : (x > y) - (x < y);
}

int stage_view_by_name(struct stage_view *out, const struct profile *p, const struct stage_table *t)
{
	uint32_t *ids;
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	if (!t || !t->n)
		return 0;
	ids = malloc(t->n * sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	for (size_t i = 0; i < p->n; i++) {
		const struct proc_profile *pp = p->procs[i];
		uint32_t n = 0;

		for (uint32_t id = 0; id < proc_stage_ids(pp, t); id++)
			if ((pp->stages[id].calls || pp->stages[id].io_ops ||
			     pp->stages[id].calls_unfinished) &&
			    !t->v[id].usdt_hits)
				ids[n++] = id;
		sort_n_r(ids, n, sizeof(*ids), by_def, (void *)t);
		for (uint32_t k = 0; k < n; k++) {
			struct stage_group *g;

			if (k && !stage_def_cmp(&t->v[ids[k - 1]], &t->v[ids[k]])) {
				g = &out->v[out->n - 1];
			} else {
				g = add_group(out, &cap);
				if (!g)
					goto oom;
				g->proc = pp;
				g->id = ids[k];
				g->def = &t->v[ids[k]];
			}
			if (stage_sum_add(&g->sum, &pp->stages[ids[k]]))
				goto oom;
		}
	}
	free(ids);
	return 0;
oom:
	free(ids);
	stage_view_free(out);
	return -ENOMEM;
}

static bool stage_called(const struct profile *p, uint32_t id)
{
	for (size_t i = 0; i < p->n; i++)
		if (id < p->procs[i]->n_stages &&
		    (p->procs[i]->stages[id].calls || p->procs[i]->stages[id].calls_unfinished))
			return true;
	return false;
}

int stage_view_by_id(struct stage_view *out, const struct profile *rows, const struct profile *p,
		     const struct stage_table *t)
{
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	for (uint32_t id = 0; t && id < t->n; id++) {
		struct stage_group *g;

		if (t->v[id].usdt_hits || !stage_called(rows, id))
			continue;
		g = add_group(out, &cap);
		if (!g)
			goto oom;
		g->id = id;
		g->def = &t->v[id];
		for (size_t i = 0; i < p->n; i++) {
			const struct proc_profile *pp = p->procs[i];

			if (id < pp->n_stages &&
			    (pp->stages[id].calls || pp->stages[id].calls_unfinished) &&
			    stage_sum_add(&g->sum, &pp->stages[id]))
				goto oom;
		}
	}
	return 0;
oom:
	stage_view_free(out);
	return -ENOMEM;
}
