// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "collect/stage_view.h"
#include "common/text.h"
#include "output/format.h"
#include "output/hist_text.h"
#include "output/interval_report.h"
#include "output/records.h"
#include "probes/syscall_table.h"
#include "common/sort.h"

#define TOP_SYSCALLS 8

static int by_count_desc(const void *a, const void *b, void *arg)
{
	const struct proc_profile *p = arg;
	uint64_t ca = p->sys[*(const unsigned int *)a].count;
	uint64_t cb = p->sys[*(const unsigned int *)b].count;

	return ca < cb ? 1 : ca > cb ? -1 : 0;
}

static void print_io(FILE *f, const struct proc_profile *p)
{
	char b[5][32];
	bool header = false;

	for (unsigned int nr = 0; nr < MAX_SYSCALL_NR; nr++) {
		const struct syscall_counters *c = &p->sys[nr];
		struct latency lat;

		if (!proc_io_syscall(p, nr))
			continue;
		io_latency(&lat, c);
		if (!header) {
			fprintf(f, "    %-16s %10s %10s %8s %9s %9s %9s\n", "I/O", "OPS", "BYTES",
				"ERRORS", "P50", "P99", "MAX");
			header = true;
		}
		fprintf(f, "    %-16s %10lu %10s %8lu %9s %9s %9s\n", syscall_name(nr),
			(unsigned long)c->count, fmt_bytes(c->bytes, b[0], sizeof(b[0])),
			(unsigned long)c->errors, fmt_duration(lat.q[LAT_P50], b[1], sizeof(b[1])),
			fmt_duration(lat.q[LAT_P99], b[2], sizeof(b[2])),
			fmt_duration(lat.max_ns, b[3], sizeof(b[3])));
	}
}

static void print_top_syscalls(FILE *f, const struct proc_profile *p)
{
	unsigned int order[MAX_SYSCALL_NR], n = 0;

	for (unsigned int nr = 0; nr < MAX_SYSCALL_NR; nr++)
		if (p->sys[nr].count)
			order[n++] = nr;
	sort_n_r(order, n, sizeof(order[0]), by_count_desc, (void *)p);
	fprintf(f, "    syscalls:");
	for (unsigned int i = 0; i < n && i < TOP_SYSCALLS; i++)
		fprintf(f, " %s %lu%s", syscall_name(order[i]), (unsigned long)p->sys[order[i]].count,
			p->sys[order[i]].errors ? "!" : "");
	if (n > TOP_SYSCALLS)
		fprintf(f, " (+%u more)", n - TOP_SYSCALLS);
	fprintf(f, "\n");
}

/* Issue 18: where the time went (a stage's self time, a process's traced
 * threads), and its faults; nothing when none was seen. */
static void print_wall(FILE *f, const char *lead, const struct wall_stats *w)
{
	char b[160];

	if (!w->on_cpu_ns && !w->runqueue_ns && !wall_blocked_ns(w) && !w->faults_minor &&
	    !w->faults_major)
		return;
	fprintf(f, "%s%s; faults %lu minor, %lu major\n", lead, fmt_wall_split(w, b, sizeof(b)),
		(unsigned long)w->faults_minor, (unsigned long)w->faults_major);
}

/* I/O by kind of file, on one line: "file 11 ops 39B read 1.15KiB written
 * 106.61us; socket ...". Only the kinds with operations. */
static void print_kinds(FILE *f, const char *lead, const struct kind_io k[IO_KIND_NR])
{
	unsigned int kinds = 0;
	char b[3][32];

	for (unsigned int i = 0; i < IO_KIND_NR; i++)
		kinds += k[i].ops != 0;
	if (!kinds)
		return;
	fprintf(f, "%s", lead);
	for (unsigned int i = 0, n = 0; i < IO_KIND_NR; i++) {
		const struct kind_io *x = &k[io_kind_order[i]];

		if (!x->ops)
			continue;
		fprintf(f, "%s %s %lu ops %s read %s written %s", n++ ? ";" : "",
			io_kind_name(io_kind_order[i]), (unsigned long)x->ops,
			fmt_bytes(x->bytes_read, b[0], sizeof(b[0])),
			fmt_bytes(x->bytes_written, b[1], sizeof(b[1])),
			fmt_duration(x->time_ns, b[2], sizeof(b[2])));
	}
	fprintf(f, "\n");
}

static void print_stages(FILE *f, const struct proc_profile *p, const struct stage_table *t,
			 double seconds)
{
	char b[8][32];

	for (uint32_t id = 0; id < proc_stage_ids(p, t); id++) {
		const struct stage_counters *c = &p->stages[id];
		struct latency lat;

		if ((!c->calls && !c->calls_unfinished) || t->v[id].usdt_hits)
			continue;
		fprintf(f, "    stage %s (%s): %lu calls (%.0f/s)", text_safe(t->v[id].name),
			text_safe(t->v[id].binary), (unsigned long)c->calls,
			seconds > 0 ? c->calls / seconds : 0.0);
		/* Calls that ended without returning: their time is in none of
		 * the figures. */
		if (c->calls_unfinished)
			fprintf(f, ", %lu unfinished (never returned)",
				(unsigned long)c->calls_unfinished);
		if (!c->calls) {
			fprintf(f, "\n");
			continue;
		}
		stage_latency(&lat, c);
		fprintf(f, "  p50 %s  p95 %s  p99 %s  max %s\n",
			fmt_duration(lat.q[LAT_P50], b[0], sizeof(b[0])),
			fmt_duration(lat.q[LAT_P95], b[1], sizeof(b[1])),
			fmt_duration(lat.q[LAT_P99], b[2], sizeof(b[2])),
			fmt_duration(lat.max_ns, b[3], sizeof(b[3])));
		fprintf(f, "      total %s  self %s", fmt_duration(c->total_ns, b[4], sizeof(b[4])),
			fmt_duration(c->self_ns, b[5], sizeof(b[5])));
		/* Calls the probe-cost correction had to hold at what elapsed:
		 * their times are only as close as the probes' cost is steady. */
		if (c->calls_clamped)
			fprintf(f, "  %s of calls below the probes' resolution",
				fmt_share(c->calls_clamped, c->calls, b[6], sizeof(b[6])));
		if (c->io_ops)
			fprintf(f, "  io: %lu ops, read %s, written %s, %s in I/O",
				(unsigned long)c->io_ops,
				fmt_bytes(c->io_bytes_read, b[6], sizeof(b[6])),
				fmt_bytes(c->io_bytes_written, b[7], sizeof(b[7])),
				fmt_duration(c->io_time_ns, b[0], sizeof(b[0])));
		fprintf(f, "\n");
		print_wall(f, "      self: ", &c->wall);
		print_kinds(f, "      io by kind:", c->wall.io);
		if (c->hist)
			hist_print_bars(f, c->hist, "      ", 40, 12);
	}
}

/* -U PROVIDER:NAME hit counts: one line per probe the process hit. */
static void print_usdt_hits(FILE *f, const struct proc_profile *p, const struct stage_table *t,
			    double seconds)
{
	for (uint32_t id = 0; id < proc_stage_ids(p, t); id++) {
		const struct stage_counters *c = &p->stages[id];

		if (!c->calls || !t->v[id].usdt_hits)
			continue;
		fprintf(f, "    usdt %s (%s): %lu hits (%.0f/s)\n", text_safe(t->v[id].name),
			text_safe(t->v[id].binary), (unsigned long)c->calls,
			seconds > 0 ? c->calls / seconds : 0.0);
	}
}

/* Syscalls and stage calls: what "busiest" means in the report. */
static uint64_t activity(const struct proc_profile *pp)
{
	uint64_t n = 0;

	for (unsigned int nr = 0; nr < MAX_SYSCALL_NR; nr++)
		n += pp->sys[nr].count;
	for (uint32_t id = 0; id < pp->n_stages; id++)
		n += pp->stages[id].calls;
	return n;
}

static int by_activity(const void *a, const void *b)
{
	const struct proc_profile *x = *(const struct proc_profile *const *)a;
	const struct proc_profile *y = *(const struct proc_profile *const *)b;
	uint64_t ax = activity(x), ay = activity(y);

	if (ax != ay)
		return ax < ay ? 1 : -1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static void print_proc(FILE *f, const struct proc_profile *pp, double seconds,
		       const struct stage_table *stages, bool syscalls_counted)
{
	struct kind_io kinds[IO_KIND_NR];
	struct io_totals t;
	uint64_t calls = 0, errors = 0;
	char b[2][32];

	for (unsigned int nr = 0; nr < MAX_SYSCALL_NR; nr++) {
		calls += pp->sys[nr].count;
		errors += pp->sys[nr].errors;
	}
	/* --stages-only: no syscall was counted, so none of their zeros. */
	if (!syscalls_counted) {
		fprintf(f, "  %-7u %s\n", pp->pid, text_safe(pp->comm));
		print_wall(f, "    time: ", &pp->wall);
		print_stages(f, pp, stages, seconds);
		print_usdt_hits(f, pp, stages, seconds);
		return;
	}
	proc_io_totals(pp, &t);
	fprintf(f, "  %-7u %-16s %lu syscalls (%.0f/s), %lu errors, read %s, written %s\n",
		pp->pid, text_safe(pp->comm), (unsigned long)calls, seconds > 0 ? calls / seconds : 0.0,
		(unsigned long)errors, fmt_bytes(t.bytes_read, b[0], sizeof(b[0])),
		fmt_bytes(t.bytes_written, b[1], sizeof(b[1])));
	print_top_syscalls(f, pp);
	print_wall(f, "    time: ", &pp->wall);
	print_io(f, pp);
	proc_io_by_kind(pp, kinds);
	print_kinds(f, "    I/O by kind:", kinds);
	print_stages(f, pp, stages, seconds);
	print_usdt_hits(f, pp, stages, seconds);
}

void interval_report_print_top(FILE *f, const char *title, const struct profile *p, double seconds,
			       const struct stage_table *stages, size_t top, bool syscalls_counted)
{
	uint64_t lost = audit_lost(p->audit);
	const struct proc_profile **order = NULL;
	size_t shown = p->n;

	fprintf(f, "== bpfprof %s, %zu process%s", title, p->n, p->n == 1 ? "" : "es");
	if (syscalls_counted)
		fprintf(f, ", %lu syscalls", (unsigned long)profile_syscall_count(p));
	if (stages && stages->n) {
		uint64_t hits = profile_usdt_hits(p, stages);

		fprintf(f, ", %lu stage calls", (unsigned long)(profile_stage_calls(p) - hits));
		if (hits)
			fprintf(f, ", %lu USDT hits", (unsigned long)hits);
	}
	if (lost)
		fprintf(f, ", %lu LOST (see audit)", (unsigned long)lost);
	/* Calls that never returned (exception, longjmp, thread exit): their
	 * time is in no histogram. */
	if (stages && stages->n && p->audit[AUDIT_STAGE_UNFINISHED])
		fprintf(f, ", %lu unfinished (never returned)",
			(unsigned long)p->audit[AUDIT_STAGE_UNFINISHED]);
	if (top && p->n > top) {
		/* The busiest first; the order is the report's only when cut. */
		order = malloc(p->n * sizeof(*order));
		if (order) {
			memcpy(order, p->procs, p->n * sizeof(*order));
			sort_n(order, p->n, sizeof(*order), by_activity);
			shown = top;
			fprintf(f, "; the %zu busiest", top);
		}
	}
	fprintf(f, "\n");
	for (size_t i = 0; i < shown; i++)
		print_proc(f, order ? order[i] : p->procs[i], seconds, stages, syscalls_counted);
	if (shown < p->n)
		fprintf(f, "  ... %zu more process%s (--top N shows more)\n", p->n - shown,
			p->n - shown == 1 ? "" : "es");
	free(order);
	fflush(f);
}

void interval_report_print(FILE *f, const char *title, const struct profile *p, double seconds,
			   const struct stage_table *stages)
{
	interval_report_print_top(f, title, p, seconds, stages, 0, true);
}
