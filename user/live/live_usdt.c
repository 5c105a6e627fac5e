// SPDX-License-Identifier: MIT
/*
 * The live view's -U PROVIDER:NAME hits (issue 17): per process, its hits
 * and hits/s in the frame's window, then one row per probe. No lines at
 * all unless some -U spec counts hits, so other runs keep their screen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/sort.h"
#include "output/format.h"
#include "live/live_sections.h"

enum { UC_HITS, UC_HITS_S, UC_NCOL };

static const struct live_col usdt_cols[UC_NCOL] = {
	[UC_HITS] = { "HITS", 9, 0 },
	[UC_HITS_S] = { "HITS/S", 8, 2 },
};

bool usdt_counted(const struct stage_table *t)
{
	for (size_t id = 0; t && id < t->n; id++)
		if (t->v[id].usdt_hits)
			return true;
	return false;
}

static uint64_t hits_of(const struct proc_profile *p, uint32_t id)
{
	return p && id < p->n_stages ? p->stages[id].calls : 0;
}

struct usdt_proc {
	const struct proc_profile *total, *shown;
	uint64_t hits; /* in the window */
};

struct usdt_sort {
	const struct live_frame *f;
	const struct proc_profile *shown;
};

static int cmp_procs(const void *a, const void *b, void *arg)
{
	const struct usdt_proc *x = a, *y = b;
	const struct live_frame *f = arg;
	int r = f->sort == LIVE_SORT_NAME ? strcmp(x->total->comm, y->total->comm)
					  : cmp_u64_desc(x->hits, y->hits);

	if (r)
		return r;
	return x->total->pid < y->total->pid ? -1 : x->total->pid > y->total->pid;
}

static int cmp_probes(const void *a, const void *b, void *arg)
{
	const struct usdt_sort *s = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int r = 0;

	if (s->f->sort != LIVE_SORT_NAME)
		r = cmp_u64_desc(hits_of(s->shown, x), hits_of(s->shown, y));
	if (!r)
		r = strcmp(s->f->stages->v[x].name, s->f->stages->v[y].name);
	return r ? r : (x > y) - (x < y);
}

static void cells_of(char cells[][24], uint64_t hits, double window_s)
{
	fmt_count(hits, cells[UC_HITS], 24);
	fmt_rate(per_s(hits, window_s), cells[UC_HITS_S], 24);
}

/* A process is listed once it has had a hit; its rows stay, with zeros,
 * through idle intervals. */
void build_usdt(const struct live_frame *f, struct lines *l)
{
	const struct stage_table *t = f->stages;
	const struct profile *tot = f->total;
	struct usdt_proc *rows;
	uint32_t *ids;
	size_t n = 0;
	char cells[UC_NCOL][24], name[128];
	int name_w;
	unsigned int mask;

	if (!usdt_counted(t))
		return;
	rows = calloc(tot->n + 1, sizeof(*rows));
	ids = calloc(t->n + 1, sizeof(*ids));
	if (!rows || !ids) {
		l->oom = true;
		goto cleanup;
	}
	for (size_t i = 0; i < tot->n; i++) {
		struct usdt_proc *r = &rows[n];
		bool any = false;

		memset(r, 0, sizeof(*r));
		r->total = tot->procs[i];
		r->shown = f->shown == tot ? r->total : profile_find(f->shown, r->total->pid);
		for (uint32_t id = 0; id < t->n; id++) {
			if (!t->v[id].usdt_hits)
				continue;
			any |= hits_of(r->total, id) > 0;
			r->hits += hits_of(r->shown, id);
		}
		n += any;
	}
	mask = live_fit_columns(usdt_cols, UC_NCOL, l->cols, 16, 40, &name_w);
	add_line(l, LIVE_PLAIN, "%s", "");
	add_row(l, LIVE_HEADING, usdt_cols, UC_NCOL, mask, name_w, "PROCESS / USDT PROBE", NULL);
	if (!n)
		add_line(l, LIVE_PLAIN, "%s", "  no hits yet");
	sort_n_r(rows, n, sizeof(*rows), cmp_procs, (void *)f);
	for (size_t i = 0; i < n; i++) {
		const struct usdt_proc *r = &rows[i];
		struct usdt_sort s = { f, r->shown };
		uint32_t k = 0;

		cells_of(cells, r->hits, f->window_s);
		snprintf(name, sizeof(name), "%u %s", r->total->pid, r->total->comm);
		add_row(l, LIVE_PLAIN, usdt_cols, UC_NCOL, mask, name_w, name, cells);
		for (uint32_t id = 0; id < t->n; id++)
			if (t->v[id].usdt_hits && hits_of(r->total, id))
				ids[k++] = id;
		sort_n_r(ids, k, sizeof(*ids), cmp_probes, &s);
		for (uint32_t j = 0; j < k; j++) {
			cells_of(cells, hits_of(r->shown, ids[j]), f->window_s);
			snprintf(name, sizeof(name), "  %s", t->v[ids[j]].name);
			add_row(l, LIVE_PLAIN, usdt_cols, UC_NCOL, mask, name_w, name, cells);
		}
	}
cleanup:
	free(ids);
	free(rows);
}
