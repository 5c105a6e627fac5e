// SPDX-License-Identifier: MIT
/* The live view's stage table, its histograms and the hottest functions
 * pane (live_sections.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "collect/stage_view.h"
#include "output/format.h"
#include "output/hist_text.h"
#include "live/live_sections.h"
#include "common/sort.h"
#include "common/text.h"

/* ---- stages: one row each, summed over the processes, then histograms ---- */

enum {
	STC_CALLS,
	STC_CALLS_S,
	STC_P50,
	STC_P95,
	STC_P99,
	STC_MAX,
	STC_SELF,
	STC_IO_OPS,
	STC_IO_READ,
	STC_IO_WRITE,
	STC_WALL,
	STC_TOTAL, /* last: shown only when sorting by time */
	STC_NCOL
};

static const struct live_col stage_cols[STC_NCOL] = {
	[STC_CALLS] = { "CALLS", 9, 0 },     [STC_CALLS_S] = { "CALLS/S", 8, 4 },
	[STC_P50] = { "P50", 9, 0 },	     [STC_P95] = { "P95", 9, 3 },
	[STC_P99] = { "P99", 9, 6 },	     [STC_MAX] = { "MAX", 9, 5 },
	[STC_SELF] = { "SELF", 9, 2 },	     [STC_IO_OPS] = { "IO OPS", 8, 2 },
	[STC_IO_READ] = { "IO READ", 9, 1 }, [STC_IO_WRITE] = { "IO WRITE", 9, 1 },
	[STC_WALL] = { "WALL", WALL_BAR_CELLS, 3 },
	[STC_TOTAL] = { "TOTAL", 9, 0 },
};

static int cmp_stages(const void *a, const void *b, void *arg)
{
	const struct live_frame *f = arg;
	const struct stage_group *x = a, *y = b;
	int r = 0;

	if (f->sort == LIVE_SORT_ACTIVITY)
		r = cmp_u64_desc(x->sum.c.calls, y->sum.c.calls);
	else if (f->sort == LIVE_SORT_TIME)
		r = cmp_u64_desc(x->sum.c.total_ns, y->sum.c.total_ns);
	if (!r)
		r = strcmp(x->def->name, y->def->name);
	return r ? r : (x->id > y->id) - (x->id < y->id);
}

/* Stages with calls in the cumulative profile, figures from the shown one,
 * summed over the processes; in the frame's order. */
int stage_rows(const struct live_frame *f, struct stage_view *rows)
{
	int err = stage_view_by_id(rows, f->total, f->shown, f->stages);

	if (!err)
		sort_n_r(rows->v, rows->n, sizeof(*rows->v), cmp_stages, (void *)f);
	return err;
}

/* "lib.so:name" when the stages come from several binaries. */
bool several_binaries(const struct stage_table *t)
{
	for (size_t i = 1; i < t->n; i++)
		if (strcmp(t->v[i].binary, t->v[0].binary))
			return true;
	return false;
}

static void stage_label(const struct stage_table *t, uint32_t id, bool several, char *buf,
			size_t len)
{
	const char *bin = t->v[id].binary, *base = strrchr(bin, '/');

	/* Escaped for the terminal: a name from a USDT argument (-U ...@N, a
	 * query text) may hold newlines or any byte. */
	if (several)
		snprintf(buf, len, "%s:%s", text_safe(base ? base + 1 : bin),
			 text_safe(t->v[id].name));
	else
		snprintf(buf, len, "%s", text_safe(t->v[id].name));
}

/*
 * The self time's split as a bar of WALL_BAR_CELLS cells, each a tenth:
 * '#' on CPU, '~' waiting for a CPU, blocked in 'i'/O, a 'l'ock, a
 * 's'leep, 'o'ther. Each state gets its nearest whole number of cells,
 * the largest remainders rounding up, so the bar is always full.
 */
static void wall_bar(const struct wall_stats *w, char *out)
{
	uint64_t ns[6] = { w->on_cpu_ns,
			   w->runqueue_ns,
			   w->blocked_ns[WALL_BLOCK_IO],
			   w->blocked_ns[WALL_BLOCK_LOCK],
			   w->blocked_ns[WALL_BLOCK_SLEEP],
			   w->blocked_ns[WALL_BLOCK_OTHER] };
	static const char mark[6] = { '#', '~', 'i', 'l', 's', 'o' };
	uint64_t all = 0, rem[6];
	int cells[6], used = 0, n = 0;

	for (int k = 0; k < 6; k++)
		all += ns[k];
	if (!all) {
		strcpy(out, "-");
		return;
	}
	for (int k = 0; k < 6; k++) {
		cells[k] = (int)(ns[k] * WALL_BAR_CELLS / all);
		rem[k] = ns[k] * WALL_BAR_CELLS % all;
		used += cells[k];
	}
	while (used < WALL_BAR_CELLS) {
		int best = 0;

		for (int k = 1; k < 6; k++)
			if (rem[k] > rem[best])
				best = k;
		cells[best]++;
		rem[best] = 0;
		used++;
	}
	for (int k = 0; k < 6; k++)
		for (int c = 0; c < cells[k]; c++)
			out[n++] = mark[k];
	out[n] = '\0';
}

/* Calls that ended without returning (an exception, longjmp, a thread's
 * exit) are in none of the table's figures: one line names them. */
static void unfinished_line(const struct live_frame *f, const struct stage_view *rows, bool several,
			    struct lines *l)
{
	char text[512], name[512];
	size_t len = 0;

	for (size_t i = 0; i < rows->n && len < sizeof(text) - 1; i++) {
		uint64_t n = rows->v[i].sum.c.calls_unfinished;
		int w;

		if (!n)
			continue;
		stage_label(f->stages, rows->v[i].id, several, name, sizeof(name));
		w = snprintf(text + len, sizeof(text) - len, "%s%s %" PRIu64, len ? ", " : "", name,
			     n);
		len += w > 0 ? (size_t)w : 0;
	}
	if (len)
		add_line(l, LIVE_PLAIN, "unfinished (never returned, in no figure above): %s",
			 text);
}

void build_stages(const struct live_frame *f, const struct stage_view *rows, bool several,
			 struct lines *l)
{
	char cells[STC_NCOL][24], name[512], p50[23];
	int name_w;
	unsigned int mask = live_fit_columns(stage_cols, shown_cols(f, STC_NCOL), l->cols, NAME_MIN,
					     40, &name_w);

	add_line(l, LIVE_PLAIN, "%s", "");
	add_row(l, LIVE_HEADING, stage_cols, STC_NCOL, mask, name_w, "STAGE", NULL);
	for (size_t i = 0; i < rows->n; i++) {
		const struct stage_counters *c = &rows->v[i].sum.c;
		struct latency lat;

		fmt_count(c->calls, cells[STC_CALLS], 24);
		fmt_rate(per_s(c->calls, f->window_s), cells[STC_CALLS_S], 24);
		if (c->calls && c->hist) {
			stage_latency(&lat, c);
			/* "~": the median call was below the probes' resolution. */
			fmt_duration(lat.q[LAT_P50], p50, sizeof(p50));
			snprintf(cells[STC_P50], 24, "%s%s",
				 c->calls_clamped * 2 >= c->calls ? "~" : "", p50);
			fmt_duration(lat.q[LAT_P95], cells[STC_P95], 24);
			fmt_duration(lat.q[LAT_P99], cells[STC_P99], 24);
			fmt_duration(lat.max_ns, cells[STC_MAX], 24);
		} else {
			for (int k = STC_P50; k <= STC_MAX; k++)
				strcpy(cells[k], "-");
		}
		fmt_duration(c->self_ns, cells[STC_SELF], 24);
		fmt_duration(c->total_ns, cells[STC_TOTAL], 24);
		fmt_count(c->io_ops, cells[STC_IO_OPS], 24);
		fmt_bytes(c->io_bytes_read, cells[STC_IO_READ], 24);
		fmt_bytes(c->io_bytes_written, cells[STC_IO_WRITE], 24);
		wall_bar(&c->wall, cells[STC_WALL]);
		stage_label(f->stages, rows->v[i].id, several, name, sizeof(name));
		add_row(l, LIVE_PLAIN, stage_cols, STC_NCOL, mask, name_w, name, cells);
	}
	unfinished_line(f, rows, several, l);
}

/* Rows the histograms would like: a blank, then a title and the octave
 * rows of each stage with calls. */
int hist_want(const struct stage_view *rows)
{
	int want = 0;

	for (size_t i = 0; i < rows->n; i++)
		if (rows->v[i].sum.c.calls && rows->v[i].sum.c.hist)
			want += 1 + min_int(hist_octave_span(rows->v[i].sum.c.hist), HIST_MAX_ROWS);
	return want ? want + 1 : 0;
}

/* As many stage histograms as fit in budget rows, in the table's order. */
int place_histograms(const struct live_frame *f, const struct stage_view *rows, bool several,
			    struct live_screen *scr, int y, int budget)
{
	struct hist_octave_row oct[HIST_OCTAVES];
	int end = y + budget, bar_w = min_int(scr->cols - 40, 60);
	char name[512], fitted[256], line[512];

	if (budget < 3)
		return y;
	y++; /* blank */
	for (size_t i = 0; i < rows->n && end - y >= 2; i++) {
		const struct stage_counters *c = &rows->v[i].sum.c;
		uint64_t peak;
		int k;

		if (!c->calls || !c->hist)
			continue;
		k = hist_octave_rows(c->hist, min_int(HIST_MAX_ROWS, end - y - 1), oct, &peak);
		stage_label(f->stages, rows->v[i].id, several, name, sizeof(name));
		live_fit(fitted, (size_t)min_int(scr->cols - 24, (int)sizeof(fitted) - 1), name);
		snprintf((char *)live_screen_line(scr, y), scr->cols + 1, "%s: %lu calls", fitted,
			 (unsigned long)c->calls);
		scr->attr[y++] = LIVE_HEADING;
		for (int r = 0; r < k; r++) {
			hist_format_row(line, sizeof(line), &oct[r], peak, max_int(bar_w, 8));
			snprintf((char *)live_screen_line(scr, y), scr->cols + 1, HIST_INDENT "%s",
				 line);
			scr->attr[y++] = LIVE_BAR;
		}
	}
	return y;
}


struct fn_row {
	const struct proc_samples *proc;
	const struct func_samples *fn;
};

static int cmp_fn_rows(const void *a, const void *b)
{
	const struct fn_row *x = a, *y = b;

	if (x->fn->self != y->fn->self)
		return x->fn->self > y->fn->self ? -1 : 1;
	return strcmp(x->fn->name, y->fn->name);
}

void build_functions(const struct live_frame *f, struct lines *l)
{
	const struct sample_tops *t = f->cumulative ? f->cpu_total : f->cpu_interval;
	struct fn_row *rows;
	size_t n = 0;

	add_line(l, LIVE_HEADING, "Top functions by self CPU samples (%s)",
		 f->cumulative ? "since the start" : "last interval");
	if (!t) {
		add_line(l, LIVE_PLAIN, "  no CPU samples: run bpfprof with --cpu-sample HZ");
		return;
	}
	for (size_t i = 0; i < t->n; i++)
		n += t->procs[i].n_top;
	rows = calloc(n ? n : 1, sizeof(*rows));
	if (!rows) {
		l->oom = true;
		return;
	}
	n = 0;
	for (size_t i = 0; i < t->n; i++)
		for (size_t k = 0; k < t->procs[i].n_top; k++)
			rows[n++] = (struct fn_row){ &t->procs[i], &t->procs[i].top[k] };
	sort_n(rows, n, sizeof(*rows), cmp_fn_rows);
	add_line(l, LIVE_HEADING, "%9s %6s  %-22s %s", "SAMPLES", "SHARE", "PROCESS", "FUNCTION");
	if (!n)
		add_line(l, LIVE_PLAIN, "  no samples of traced threads (%u Hz)", t->hz);
	for (size_t i = 0; i < n; i++) {
		char proc[64];

		snprintf(proc, sizeof(proc), "%u %s", rows[i].proc->pid, rows[i].proc->comm);
		add_line(l, LIVE_PLAIN, "%9" PRIu64 " %5.1f%%  %-22.22s %s", rows[i].fn->self,
			 t->samples ? 100.0 * (double)rows[i].fn->self / (double)t->samples : 0,
			 proc, rows[i].fn->name);
	}
	free(rows);
}

