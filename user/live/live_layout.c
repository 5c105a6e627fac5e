// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "collect/stage_view.h"
#include "output/format.h"
#include "output/hist_text.h"
#include "output/records.h"
#include "live/live_layout.h"
#include "live/live_sections.h"
#include "probes/syscall_table.h"
#include "common/sort.h"


const char *live_sort_name(enum live_sort s)
{
	static const char *const names[] = { "activity", "time", "name" };

	return s < LIVE_SORT_NR ? names[s] : "?";
}

char *live_fit(char *dst, size_t width, const char *src)
{
	size_t n = strlen(src), head, tail;

	if (n <= width) {
		memcpy(dst, src, n + 1);
		return dst;
	}
	if (width < 6) {
		memcpy(dst, src, width);
		dst[width] = '\0';
		return dst;
	}
	/* The end of a name says the most (method, file): keep more of it. */
	head = (width - 2) * 2 / 5;
	tail = width - 2 - head;
	memcpy(dst, src, head);
	memcpy(dst + head, "..", 2);
	memcpy(dst + head + 2, src + n - tail, tail + 1);
	return dst;
}

void live_plan_body(int body, int io_want, int stage_want, int hist_want, struct live_plan *p)
{
	int io, st, hi, left, add;

	body = max_int(body, 0);
	io = min_int(min_int(io_want, max_int(4, body / 3)), body);
	st = min_int(min_int(stage_want, max_int(3, body / 4)), body - io);
	hi = min_int(hist_want, body - io - st);
	/* A blank, a title and one bar at least, or no histogram at all. */
	if (hi < 3)
		hi = 0;
	left = body - io - st - hi;
	add = min_int(left, io_want - io);
	io += add;
	left -= add;
	st += min_int(left, stage_want - st);
	p->io_rows = io;
	p->stage_rows = st;
	p->hist_rows = hi;
}

void live_fit_clauses(char *dst, size_t width, const char *src)
{
	size_t len = strlen(src), cut;

	if (len <= width) {
		memcpy(dst, src, len + 1);
		return;
	}
	/* The last clause end (", " or " (") that leaves the text in width;
	 * else the last word end; else a plain cut. */
	for (cut = width; cut > 0; cut--)
		if (!strncmp(src + cut, ", ", 2) || !strncmp(src + cut, " (", 2))
			break;
	if (!cut)
		for (cut = width; cut > 0 && src[cut] != ' '; cut--)
			;
	if (!cut)
		cut = width;
	memcpy(dst, src, cut);
	dst[cut] = '\0';
}

unsigned int live_fit_columns(const struct live_col *c, int n, int cols, int name_min, int name_max,
			      int *name_w)
{
	unsigned int mask = (1u << n) - 1;
	int used = 0;

	for (int i = 0; i < n; i++)
		used += c[i].width + 1;
	/* Drop the least needed columns (those of one drop rank together)
	 * until the name has its minimum. */
	while (cols - used < name_min) {
		int rank = 0;

		for (int i = 0; i < n; i++)
			if ((mask & (1u << i)) && c[i].drop && (!rank || c[i].drop < rank))
				rank = c[i].drop;
		if (!rank)
			break;
		for (int i = 0; i < n; i++)
			if ((mask & (1u << i)) && c[i].drop == rank) {
				mask &= ~(1u << i);
				used -= c[i].width + 1;
			}
	}
	*name_w = max_int(min_int(cols - used, name_max), 1);
	return mask;
}

int live_screen_resize(struct live_screen *s, int rows, int cols)
{
	char *text;
	unsigned char *attr;

	rows = max_int(rows, 1);
	cols = max_int(cols, 1);
	text = calloc((size_t)rows, (size_t)cols + 1);
	attr = calloc((size_t)rows, 1);
	if (!text || !attr) {
		free(text);
		free(attr);
		return -ENOMEM;
	}
	live_screen_free(s);
	s->text = text;
	s->attr = attr;
	s->rows = rows;
	s->cols = cols;
	return 0;
}

void live_screen_free(struct live_screen *s)
{
	free(s->text);
	free(s->attr);
	memset(s, 0, sizeof(*s));
}

const char *live_screen_line(const struct live_screen *s, int row)
{
	return s->text + (size_t)row * (s->cols + 1);
}

/* ---- the per-process I/O table ---- */


enum {
	IOC_OPS,
	IOC_OPS_S,
	IOC_READ_S,
	IOC_WRITE_S,
	IOC_ERR,
	IOC_P50,
	IOC_P99,
	IOC_READ,
	IOC_WRITTEN,
	IOC_TIME, /* last: shown only when sorting by time */
	IOC_NCOL
};

static const struct live_col io_cols[IOC_NCOL] = {
	[IOC_OPS] = { "OPS", 9, 0 },	     [IOC_OPS_S] = { "OPS/S", 8, 2 },
	[IOC_READ_S] = { "READ/S", 9, 3 },   [IOC_WRITE_S] = { "WRITE/S", 9, 3 },
	[IOC_ERR] = { "ERR", 6, 0 },	     [IOC_P50] = { "P50", 9, 0 },
	[IOC_P99] = { "P99", 9, 4 },	     [IOC_READ] = { "READ", 9, 1 },
	[IOC_WRITTEN] = { "WRITTEN", 9, 1 }, [IOC_TIME] = { "TIME", 9, 0 },
};

/* Columns of a table: all but the last (its time) unless the table is
 * sorted by time, so the order is always by a column the screen shows. */

struct sort_ctx {
	enum live_sort sort;
	const struct proc_profile *shown; /* I/O rows: the process's figures */
};

static const struct syscall_counters *sys_or_zero(const struct proc_profile *p, unsigned int nr)
{
	static const struct syscall_counters zero;

	return p ? &p->sys[nr] : &zero;
}

int cmp_u64_desc(uint64_t a, uint64_t b)
{
	return a < b ? 1 : a > b ? -1 : 0;
}

static int cmp_io_rows(const void *a, const void *b, void *arg)
{
	const struct sort_ctx *ctx = arg;
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;
	const struct syscall_counters *cx = sys_or_zero(ctx->shown, x);
	const struct syscall_counters *cy = sys_or_zero(ctx->shown, y);
	int r = 0;
	char nx[64];

	if (ctx->sort == LIVE_SORT_ACTIVITY)
		r = cmp_u64_desc(cx->count, cy->count);
	else if (ctx->sort == LIVE_SORT_TIME)
		r = cmp_u64_desc(cx->time_ns, cy->time_ns);
	if (r)
		return r;
	/* syscall_name's buffer is shared for unknown numbers: copy one. */
	snprintf(nx, sizeof(nx), "%s", syscall_name(x));
	return strcmp(nx, syscall_name(y));
}

struct proc_row {
	const struct proc_profile *total, *shown;
	struct io_totals io;
};

static int cmp_procs(const void *a, const void *b, void *arg)
{
	const struct proc_row *x = a, *y = b;
	enum live_sort sort = *(const enum live_sort *)arg;
	int r = 0;

	if (sort == LIVE_SORT_ACTIVITY)
		r = cmp_u64_desc(x->io.ops, y->io.ops);
	else if (sort == LIVE_SORT_TIME)
		r = cmp_u64_desc(x->io.time_ns, y->io.time_ns);
	if (r)
		return r;
	return x->total->pid < y->total->pid ? -1 : x->total->pid > y->total->pid;
}

double per_s(uint64_t v, double s)
{
	return s > 0 ? (double)v / s : 0;
}

static void io_cells(char cells[][24], uint64_t ops, uint64_t rd, uint64_t wr, uint64_t errors,
		     uint64_t time_ns, double s)
{
	fmt_duration(time_ns, cells[IOC_TIME], 24);
	fmt_count(ops, cells[IOC_OPS], 24);
	fmt_rate(per_s(ops, s), cells[IOC_OPS_S], 24);
	fmt_bytes((uint64_t)per_s(rd, s), cells[IOC_READ_S], 24);
	fmt_bytes((uint64_t)per_s(wr, s), cells[IOC_WRITE_S], 24);
	fmt_count(errors, cells[IOC_ERR], 24);
	fmt_bytes(rd, cells[IOC_READ], 24);
	fmt_bytes(wr, cells[IOC_WRITTEN], 24);
}

/* The process's I/O by kind of file (issue 18), one row per kind used. */
static void kind_rows(struct lines *l, const struct proc_profile *p, unsigned int mask, int name_w,
		      double window_s)
{
	struct kind_io k[IO_KIND_NR];
	char cells[IOC_NCOL][24], name[64];

	if (!p)
		return;
	proc_io_by_kind(p, k);
	for (unsigned int i = 0; i < IO_KIND_NR; i++) {
		if (!k[i].ops)
			continue;
		io_cells(cells, k[i].ops, k[i].bytes_read, k[i].bytes_written, 0, k[i].time_ns,
			 window_s);
		strcpy(cells[IOC_ERR], "");
		strcpy(cells[IOC_P50], "");
		strcpy(cells[IOC_P99], "");
		snprintf(name, sizeof(name), "  [%s]", io_kind_name(i));
		add_row(l, LIVE_PLAIN, io_cols, IOC_NCOL, mask, name_w, name, cells);
	}
}

static void build_io(const struct live_frame *f, struct lines *l)
{
	const struct profile *tot = f->total;
	struct proc_row *rows = tot->n ? calloc(tot->n, sizeof(*rows)) : NULL;
	char cells[IOC_NCOL][24], name[64];
	int name_w;
	/* "PID comm" needs more room than a syscall name. */
	unsigned int mask =
		live_fit_columns(io_cols, shown_cols(f, IOC_NCOL), l->cols, 16, 28, &name_w);

	add_row(l, LIVE_HEADING, io_cols, IOC_NCOL, mask, name_w, "PROCESS / I/O", NULL);
	if (tot->n && !rows) {
		l->oom = true;
		return;
	}
	for (size_t i = 0; i < tot->n; i++) {
		rows[i].total = tot->procs[i];
		rows[i].shown = f->shown == tot ? tot->procs[i]
						: profile_find(f->shown, tot->procs[i]->pid);
		if (rows[i].shown)
			proc_io_totals(rows[i].shown, &rows[i].io);
	}
	sort_n_r(rows, tot->n, sizeof(*rows), cmp_procs, (void *)&f->sort);
	for (size_t i = 0; i < tot->n; i++) {
		const struct proc_row *r = &rows[i];
		unsigned int nrs[MAX_SYSCALL_NR], n = 0;
		struct sort_ctx ctx = { f->sort, r->shown };

		io_cells(cells, r->io.ops, r->io.bytes_read, r->io.bytes_written, r->io.errors,
			 r->io.time_ns, f->window_s);
		strcpy(cells[IOC_P50], "");
		strcpy(cells[IOC_P99], "");
		/* The pid whole; the comm cut at the end if it must be (its
		 * start is what people recognise). */
		snprintf(name, sizeof(name), "%u %.*s", r->total->pid,
			 max_int(name_w - snprintf(NULL, 0, "%u ", r->total->pid), 0),
			 r->total->comm);
		add_row(l, LIVE_PLAIN, io_cols, IOC_NCOL, mask, name_w, name, cells);
		kind_rows(l, r->shown, mask, name_w, f->window_s);

		for (unsigned int nr = 0; nr < MAX_SYSCALL_NR; nr++)
			if (proc_io_syscall(r->total, nr))
				nrs[n++] = nr;
		sort_n_r(nrs, n, sizeof(nrs[0]), cmp_io_rows, &ctx);
		for (unsigned int k = 0; k < n; k++) {
			const struct syscall_counters *c = sys_or_zero(r->shown, nrs[k]);
			bool rd = syscall_io_class(nrs[k]) & IO_READ;

			io_cells(cells, c->count, rd ? c->bytes : 0, rd ? 0 : c->bytes, c->errors,
				 c->time_ns, f->window_s);
			if (c->count && c->hist) {
				struct latency lat;

				io_latency(&lat, c);
				fmt_duration(lat.q[LAT_P50], cells[IOC_P50], 24);
				fmt_duration(lat.q[LAT_P99], cells[IOC_P99], 24);
			} else {
				strcpy(cells[IOC_P50], "-");
				strcpy(cells[IOC_P99], "-");
			}
			snprintf(name, sizeof(name), "  %s", syscall_name(nrs[k]));
			add_row(l, LIVE_PLAIN, io_cols, IOC_NCOL, mask, name_w, name, cells);
		}
	}
	free(rows);
}

/* ---- header, footer, help ---- */

static void put(struct live_screen *scr, int y, enum live_attr attr, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void put(struct live_screen *scr, int y, enum live_attr attr, const char *fmt, ...)
{
	va_list ap;

	if (y < 0 || y >= scr->rows)
		return;
	va_start(ap, fmt);
	vsnprintf((char *)live_screen_line(scr, y), scr->cols + 1, fmt, ap);
	va_end(ap);
	scr->attr[y] = attr;
}

static void header(const struct live_frame *f, struct live_screen *scr)
{
	char up[32], win[32], ev[32], evs[32], rss[32], cpu[32] = "?", stages[32] = "";
	char rest[160], target[256];
	int room;

	fmt_uptime(f->uptime_s, up, sizeof(up));
	if (f->cumulative)
		snprintf(win, sizeof(win), "cumulative");
	else
		snprintf(win, sizeof(win), "last %.2fs", f->window_s);
	if (f->stages_on >= 0)
		snprintf(stages, sizeof(stages), "  stages: %s", f->stages_on ? "on" : "off");
	/* Everything but the target first: the target gets what is left. */
	snprintf(rest, sizeof(rest), "  up %s  every %.2fs  showing %s  sort: %s", up,
		 f->interval_s, win, live_sort_name(f->sort));
	room = scr->cols - (int)strlen(rest) - (f->paused ? 17 : 9);
	live_fit(target, (size_t)max_int(min_int(room, (int)sizeof(target) - 1), 12), f->target);
	put(scr, 0, LIVE_TITLE, "%sbpfprof  %s%s", f->paused ? "PAUSED  " : "", target, rest);
	if (f->self_cpu_pct >= 0)
		snprintf(cpu, sizeof(cpu), "%.1f%%", f->self_cpu_pct);
	if (f->self_rss)
		fmt_bytes(f->self_rss, rss, sizeof(rss));
	else
		snprintf(rss, sizeof(rss), "?");
	put(scr, 1, LIVE_PLAIN, "events %s (%s/s)  lost %lu%s%s  bpfprof: cpu %s rss %s",
	    fmt_count(f->events, ev, sizeof(ev)), fmt_rate(f->events_per_s, evs, sizeof(evs)),
	    (unsigned long)f->lost, f->lost ? " (see audit)" : "", stages, cpu, rss);
	/* The row above the tables, otherwise blank. */
	if (f->cost) {
		char cost[256];

		live_fit_clauses(cost, (size_t)min_int(scr->cols, (int)sizeof(cost) - 1), f->cost);
		put(scr, 2, LIVE_PLAIN, "%s", cost);
	}
}

static void footer(const struct live_frame *f, struct live_screen *scr)
{
	if (f->message)
		put(scr, scr->rows - 1, LIVE_TITLE, "%s", f->message);
	else
		put(scr, scr->rows - 1, LIVE_TITLE, "%s",
		    "q quit  p pause  c cumulative/interval  s sort  t stages  h help");
}

static void help(struct live_screen *scr, int y)
{
	static const char *const text[] = {
		"Keys",
		"  q   quit: detach, write the last flush record and summary.json (as Ctrl-C)",
		"  p   pause the display (profiling and the output files go on)",
		"  c   cumulative figures (since the start) or the last interval's",
		"  s   sort the tables: by activity (ops, calls), by time (a TIME and",
		"      a TOTAL column show it), by name",
		"  t   switch the stage probes off (detached: no cost) and on again",
		"  f   the hottest functions (--cpu-sample) in place of the histograms",
		"  h   this help; any key closes it",
		"",
		"Histogram rows are octaves, or the finer buckets of one octave when",
		"every call fell in it: calls that took from .. to; the bar is scaled",
		"to the busiest row. P50/P99 are read from the same histograms as",
		"summary.json (within 3.2%, clamped to the exact max). ~P50: half",
		"the calls or more were shorter than the probes' resolution.",
		"WALL: a stage's self time in tenths: # on CPU, ~ waiting for a CPU,",
		"blocked in i/o, a l(ock), a s(leep), o(ther). [file] [socket] [pipe]",
		"[tty] [other] rows: a process's I/O by kind of file.",
	};

	for (size_t i = 0; i < sizeof(text) / sizeof(text[0]) && y < scr->rows - 1; i++)
		put(scr, y++, i ? LIVE_PLAIN : LIVE_HEADING, "%s", text[i]);
}

/* One row per (process, function), most self samples first. */
int live_render(const struct live_frame *f, struct live_screen *scr)
{
	struct lines io = { .cols = scr->cols }, st = { .cols = scr->cols };
	struct lines fns = { .cols = scr->cols }, us = { .cols = scr->cols };
	struct stage_view rows = {};
	struct live_plan plan;
	int y = 3, body = scr->rows - 4, err = 0, us_rows;
	bool several;

	memset(scr->text, 0, (size_t)scr->rows * (scr->cols + 1));
	memset(scr->attr, LIVE_PLAIN, scr->rows);
	if (scr->cols < LIVE_MIN_COLS || scr->rows < LIVE_MIN_ROWS) {
		put(scr, 0, LIVE_PLAIN, "terminal too small (%dx%d): bpfprof needs %dx%d",
		    scr->cols, scr->rows, LIVE_MIN_COLS, LIVE_MIN_ROWS);
		return 0;
	}
	header(f, scr);
	footer(f, scr);
	if (f->help) {
		help(scr, y);
		return 0;
	}
	if (!f->started) {
		put(scr, y, LIVE_PLAIN, "waiting for the first interval (%.2fs)...", f->interval_s);
		return 0;
	}
	/* --stages-only counts no syscall: no table of zeros. */
	if (!f->no_syscalls)
		build_io(f, &io);
	if (stage_rows(f, &rows))
		io.oom = true;
	several = rows.n && several_binaries(f->stages);
	if (rows.n)
		build_stages(f, &rows, several, &st);
	if (io.oom || st.oom) {
		put(scr, y, LIVE_PLAIN, "out of memory drawing the view");
		err = -ENOMEM;
		goto cleanup;
	}
	if (f->functions)
		build_functions(f, &fns);
	build_usdt(f, &us);
	if (fns.oom || us.oom) {
		put(scr, y, LIVE_PLAIN, "out of memory drawing the view");
		err = -ENOMEM;
		goto cleanup;
	}
	/* -U hits (none without them): a share first, and what the others
	 * leave. */
	us_rows = min_int(us.n, min_int(max_int(4, body / 4), body));
	live_plan_body(body - us_rows, io.n, st.n, f->functions ? fns.n + 1 : hist_want(&rows),
		       &plan);
	us_rows += min_int(us.n - us_rows,
			   body - us_rows - plan.io_rows - plan.stage_rows - plan.hist_rows);
	y = place(scr, y, plan.io_rows, &io);
	y = place(scr, y, us_rows, &us);
	y = place(scr, y, plan.stage_rows, &st);
	if (f->functions)
		place(scr, y, plan.hist_rows, &fns);
	else
		place_histograms(f, &rows, several, scr, y, plan.hist_rows);
cleanup:
	lines_free(&fns);
	lines_free(&us);
	stage_view_free(&rows);
	lines_free(&io);
	lines_free(&st);
	return err;
}
