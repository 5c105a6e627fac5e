// SPDX-License-Identifier: MIT
/* `bpfprof report DIR`: the plain-text report, and --trace ID as a tree. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "common/text.h"
#include "output/format.h"
#include "output/hist_text.h"
#include "output/records.h"
#include "report/report.h"
#include "report/report_usdt.h"
#include "common/sort.h"

/* Figures for one printf: each call gets its own slot of a ring (calls
 * are sequenced even where argument order is not). */
static char *slot(void)
{
	static char ring[16][32];
	static unsigned int next;

	return ring[next++ % 16];
}

static const char *dur(uint64_t ns)
{
	return fmt_duration(ns, slot(), 32);
}

static const char *bytes(uint64_t n)
{
	return fmt_bytes(n, slot(), 32);
}

static const char *jstr(json_t *obj, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? text_safe(s) : dflt;
}

static void print_run(FILE *f, const struct report *r)
{
	json_t *s = r->summary, *t = json_object_get(s, "target"),
	       *host = json_object_get(s, "host");
	json_t *argv = json_object_get(t, "argv"), *a;
	size_t i;

	fprintf(f, "bpfprof report: %s\n", text_safe(r->dir));
	if (r->cut_short) {
		fprintf(f,
			"  run cut short: no summary.json (bpfprof was killed, or could not write "
			"it);\n  these figures are the sum of the %zu complete records of "
			"flushes.jsonl%s, from %s, %.2f s\n",
			r->n_flushes, r->torn_lines ? " (a torn last line left out)" : "",
			jstr(s, "started_at", "?"),
			json_number_value(json_object_get(s, "duration_s")));
		fprintf(f, "  %zu process%s\n", r->n_procs, r->n_procs == 1 ? "" : "es");
		return;
	}
	fprintf(f, "  run: %s", jstr(t, "mode", "?"));
	/* "run: pid 123", "run: command pid 123 (...)" */
	if (json_object_get(t, "pid"))
		fprintf(f, "%s %" JSON_INTEGER_FORMAT,
			strcmp(jstr(t, "mode", ""), "pid") ? " pid" : "",
			json_integer_value(json_object_get(t, "pid")));
	if (json_array_size(argv)) {
		fprintf(f, " (");
		json_array_foreach (argv, i, a)
			fprintf(f, "%s%s", i ? " " : "", text_safe(json_string_value(a)));
		fprintf(f, ")");
	}
	fprintf(f, ", started %s, %.2f s, ended: %s", jstr(s, "started_at", "?"),
		json_number_value(json_object_get(s, "duration_s")), jstr(s, "end_reason", "?"));
	if (json_string_value(json_object_get(json_object_get(t, "ended"), "signal")))
		fprintf(f, " (killed by %s)",
			json_string_value(json_object_get(json_object_get(t, "ended"), "signal")));
	else if (json_object_get(t, "exit_status"))
		fprintf(f, " (exit status %" JSON_INTEGER_FORMAT ")",
			json_integer_value(json_object_get(t, "exit_status")));
	fprintf(f, "\n  host %s, kernel %s, %zu flush%s, %zu process%s\n",
		jstr(host, "hostname", "?"), jstr(host, "kernel", "?"), r->n_flushes,
		r->n_flushes == 1 ? "" : "es", r->n_procs, r->n_procs == 1 ? "" : "es");
}

static void stage_row(FILE *f, const struct rep_stage *s)
{
	fprintf(f, "  %9s %9s %9" PRIu64 " %9s %9s %9s %9s  %s (pid %u %s)\n", dur(s->total_ns),
		dur(s->self_ns), s->calls, dur(s->lat.q[LAT_P50]), dur(s->lat.q[LAT_P99]),
		dur(s->max_ns), s->calls ? dur(s->total_ns / s->calls) : "-", text_safe(s->name),
		s->proc->pid, text_safe(s->proc->comm));
}

static void print_stage_tables(FILE *f, const struct report *r, int top)
{
	const struct rep_stage **self = report_stages_by_self(r);
	size_t n = r->n_stages < (size_t)top ? r->n_stages : (size_t)top;
	static const char header[] = "  %9s %9s %9s %9s %9s %9s %9s  %s\n";

	fprintf(f, "\n== Stages by total time (%zu of %zu)\n", n, r->n_stages);
	fprintf(f, header, "TOTAL", "SELF", "CALLS", "P50", "P99", "MAX", "MEAN", "STAGE");
	for (size_t i = 0; i < n; i++)
		stage_row(f, &r->stages[i]);
	if (!self)
		return;
	fprintf(f, "\n== Stages by self time (%zu of %zu)\n", n, r->n_stages);
	fprintf(f, header, "TOTAL", "SELF", "CALLS", "P50", "P99", "MAX", "MEAN", "STAGE");
	for (size_t i = 0; i < n; i++)
		stage_row(f, self[i]);
	free(self);
}

static void print_stage_histograms(FILE *f, const struct report *r, int top)
{
	fprintf(f, "\n== Stage latency (top %d by total time)\n", top);
	for (size_t i = 0; i < r->n_stages && i < (size_t)top; i++) {
		const struct rep_stage *s = &r->stages[i];

		fprintf(f, "  %s (%s, pid %u): %" PRIu64 " calls", text_safe(s->name),
			text_safe(s->binary), s->proc->pid, s->calls);
		/* Their time is in none of the figures. */
		if (s->calls_unfinished)
			fprintf(f, ", %" PRIu64 " unfinished (never returned)",
				s->calls_unfinished);
		if (!s->calls && s->calls_unfinished) {
			fputc('\n', f);
			continue;
		}
		fputc(' ', f);
		for (int q = 0; q < LAT_NQ; q++) {
			uint64_t v = s->lat.q[q];

			fprintf(f, " %s %s", lat_quantile_names[q], v || s->hist ? dur(v) : "-");
		}
		fprintf(f, "  max %s\n", dur(s->max_ns));
		if (s->calls_clamped) {
			char share[16];

			fprintf(f, "    %s of calls below the probes' resolution\n",
				fmt_share(s->calls_clamped, s->calls, share, sizeof(share)));
		}
		if (s->hist)
			hist_print_bars(f, s->hist, "    ", 40, 16);
	}
}

/* Most I/O operations first; the pid breaks ties, for a stable order. */
static int by_io_ops(const void *a, const void *b)
{
	const struct rep_proc *x = *(const struct rep_proc *const *)a,
			      *y = *(const struct rep_proc *const *)b;

	if (x->io_ops != y->io_ops)
		return x->io_ops < y->io_ops ? 1 : -1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static void print_io_procs(FILE *f, const struct report *r, int top)
{
	const struct rep_proc **v = calloc(r->n_procs ? r->n_procs : 1, sizeof(*v));
	size_t n = 0, shown;

	if (!v)
		return;
	for (size_t i = 0; i < r->n_procs; i++)
		if (r->procs[i].io_ops)
			v[n++] = &r->procs[i];
	sort_n(v, n, sizeof(*v), by_io_ops);
	shown = n < (size_t)top ? n : (size_t)top;
	fprintf(f, "\n== I/O per process (%zu of %zu, by operations)\n", shown, n);
	fprintf(f, "  %-8s %-16s %10s %10s %10s %8s %10s\n", "PID", "COMM", "OPS", "READ",
		"WRITTEN", "ERRORS", "TIME");
	for (size_t i = 0; i < shown; i++) {
		const struct rep_proc *p = v[i];

		fprintf(f, "  %-8u %-16s %10" PRIu64 " %10s %10s %8" PRIu64 " %10s\n", p->pid,
			text_safe(p->comm), p->io_ops, bytes(p->bytes_read),
			bytes(p->bytes_written), p->io_errors, dur(p->io_time_ns));
		for (size_t k = 0; k < p->n_io; k++) {
			const struct rep_io *io = &p->io[k];

			fprintf(f,
				"      %-20s %8" PRIu64 " ops %10s %s, %" PRIu64
				" errors  p50 %s  p99 %s  max %s\n",
				text_safe(io->name), io->ops, bytes(io->bytes),
				io->is_read ? "read" : "written", io->errors,
				dur(io->lat.q[LAT_P50]), dur(io->lat.q[LAT_P99]), dur(io->max_ns));
		}
	}
	free(v);
}

static void print_io(FILE *f, const struct report *r, int top)
{
	json_t *counted =
		json_object_get(json_object_get(r->summary, "target"), "syscalls_counted");
	size_t with_io = 0;

	/* --stages-only: no syscall was counted, so no table of nothing. */
	if (json_is_false(counted)) {
		fprintf(f, "\n== I/O per process: not counted (--stages-only)\n");
		return;
	}
	print_io_procs(f, r, top);
	for (size_t i = 0; i < r->n_stages; i++)
		with_io += r->stages[i].io_ops > 0;
	/* No table when no stage did I/O (or no -u, or --stages-only). */
	if (!with_io)
		return;
	fprintf(f, "\n== I/O per stage\n");
	fprintf(f, "  %10s %10s %10s %10s  %s\n", "OPS", "READ", "WRITTEN", "IN I/O", "STAGE");
	for (size_t i = 0, shown = 0; i < r->n_stages && shown < (size_t)top; i++) {
		const struct rep_stage *s = &r->stages[i];

		if (!s->io_ops)
			continue;
		shown++;
		fprintf(f, "  %10" PRIu64 " %10s %10s %10s  %s (pid %u)\n", s->io_ops,
			bytes(s->io_bytes_read), bytes(s->io_bytes_written), dur(s->io_time_ns),
			text_safe(s->name), s->proc->pid);
	}
}

/* A share of the whole, as "12.3%". */
static const char *pct(uint64_t part, uint64_t whole)
{
	char *s = slot();

	snprintf(s, 32, "%.1f%%", whole ? 100.0 * (double)part / (double)whole : 0.0);
	return s;
}

/* Issue 18: each stage's self time split (runs that recorded it). */
static void print_stage_wall(FILE *f, const struct report *r, int top)
{
	size_t shown = 0;

	for (size_t i = 0; i < r->n_stages; i++)
		shown += r->stages[i].has_wall;
	if (!shown)
		return;
	fprintf(f, "\n== Where the stages' self time goes (top %d by total time)\n", top);
	fprintf(f, "  %9s %7s %7s %7s %7s %7s %7s %7s %8s %6s  %s\n", "SELF", "ON-CPU", "RUNQ",
		"BLOCKED", "IO", "LOCK", "SLEEP", "OTHER", "MINFLT", "MAJFLT", "STAGE");
	for (size_t i = 0; i < r->n_stages && i < (size_t)top; i++) {
		const struct rep_stage *s = &r->stages[i];
		const struct wall_stats *w = &s->wall;
		uint64_t self = s->self_ns;

		if (!s->has_wall)
			continue;
		fprintf(f,
			"  %9s %7s %7s %7s %7s %7s %7s %7s %8" PRIu64 " %6" PRIu64
			"  %s (pid %u)\n",
			dur(self), pct(w->on_cpu_ns, self), pct(w->runqueue_ns, self),
			pct(wall_blocked_ns(w), self), pct(w->blocked_ns[WALL_BLOCK_IO], self),
			pct(w->blocked_ns[WALL_BLOCK_LOCK], self),
			pct(w->blocked_ns[WALL_BLOCK_SLEEP], self),
			pct(w->blocked_ns[WALL_BLOCK_OTHER], self), (uint64_t)w->faults_minor, (uint64_t)w->faults_major,
			text_safe(s->name), s->proc->pid);
	}
}

static void kind_rows(FILE *f, const struct kind_io k[IO_KIND_NR], const char *indent)
{
	for (unsigned int i = 0; i < IO_KIND_NR; i++)
		if (k[i].ops)
			fprintf(f, "%s%-8s %8" PRIu64 " ops %10s read %10s written %10s\n",
				indent, io_kind_name(i), (uint64_t)k[i].ops, bytes(k[i].bytes_read),
				bytes(k[i].bytes_written), dur(k[i].time_ns));
}

/* Issue 18: I/O by kind of file, and the processes' own split: the N
 * processes with most I/O, and the N stages with most total time that did
 * I/O, as in the I/O tables. */
static void print_kinds(FILE *f, const struct report *r, int top)
{
	const struct rep_proc **v = calloc(r->n_procs ? r->n_procs : 1, sizeof(*v));
	size_t n = 0;

	if (!v)
		return;
	for (size_t i = 0; i < r->n_procs; i++)
		if (r->procs[i].has_wall)
			v[n++] = &r->procs[i];
	if (!n) {
		free(v);
		return;
	}
	sort_n(v, n, sizeof(*v), by_io_ops);
	fprintf(f, "\n== I/O by kind of file; where the processes' time goes\n");
	for (size_t i = 0; i < n && i < (size_t)top; i++) {
		const struct rep_proc *p = v[i];
		const struct wall_stats *w = &p->wall;
		uint64_t all = w->on_cpu_ns + w->runqueue_ns + wall_blocked_ns(w);

		fprintf(f,
			"  %u %s: on CPU %s, runqueue %s, blocked %s (io %s, lock %s, sleep %s, "
			"other %s); faults %" PRIu64 " minor, %" PRIu64 " major\n",
			p->pid, text_safe(p->comm), pct(w->on_cpu_ns, all), pct(w->runqueue_ns, all),
			pct(wall_blocked_ns(w), all), dur(w->blocked_ns[WALL_BLOCK_IO]),
			dur(w->blocked_ns[WALL_BLOCK_LOCK]), dur(w->blocked_ns[WALL_BLOCK_SLEEP]),
			dur(w->blocked_ns[WALL_BLOCK_OTHER]), (uint64_t)w->faults_minor,
			(uint64_t)w->faults_major);
		kind_rows(f, w->io, "      ");
	}
	if (n > (size_t)top)
		fprintf(f, "  ... %zu more processes (--top N shows more)\n", n - (size_t)top);
	free(v);
	for (size_t i = 0, shown = 0; i < r->n_stages && shown < (size_t)top; i++) {
		const struct rep_stage *s = &r->stages[i];

		if (!s->has_wall || !s->io_ops)
			continue;
		shown++;
		fprintf(f, "  stage %s (pid %u):\n", text_safe(s->name), s->proc->pid);
		kind_rows(f, s->wall.io, "      ");
	}
}

static void print_traces(FILE *f, const struct report *r, int top)
{
	if (!r->have_events)
		return;
	fprintf(f, "\n== Traces: %zu spans in %zu traces (%u event file%s)", r->n_spans,
		r->n_traces, r->event_files, r->event_files == 1 ? "" : "s");
	if (r->spans_orphaned)
		fprintf(f, ", %zu spans under calls not recorded", r->spans_orphaned);
	fprintf(f, "\n  %-22s %10s %6s %8s %8s  %s\n", "TRACE", "DURATION", "SPANS", "PID", "TID",
		"ROOT");
	for (size_t i = 0; i < r->n_traces && i < (size_t)top; i++) {
		const struct rep_trace *t = &r->traces[i];

		fprintf(f, "  %-22s %10s %6zu %8u %8u  %s%s\n", text_safe(t->id), dur(t->dur_ns),
			t->n_spans, t->pid, t->tid, text_safe(r->spans[t->first].name),
			t->complete ? "" : " (partial)");
	}
	fprintf(f, "  (bpfprof report %s --trace ID shows one)\n", text_safe(r->dir));
}

static void print_audit(FILE *f, const struct report *r)
{
	const char *key;
	json_t *v;
	size_t zero = 0;

	fprintf(f, "\n== Audit\n");
	json_object_foreach (r->audit, key, v) {
		if (!json_integer_value(v) && strcmp(key, "lost_total")) {
			zero++;
			continue;
		}
		fprintf(f, "  %-32s %" JSON_INTEGER_FORMAT "\n", text_safe(key),
			json_integer_value(v));
	}
	if (zero)
		fprintf(f, "  (%zu other counters are 0)\n", zero);
}

void report_print_text(FILE *f, const struct report *r, int top)
{
	print_run(f, r);
	if (r->n_stages) {
		print_stage_tables(f, r, top);
		print_stage_histograms(f, r, top);
		print_stage_wall(f, r, top);
	}
	print_io(f, r, top);
	print_kinds(f, r, top);
	report_print_usdt(f, r, top);
	print_traces(f, r, top);
	print_audit(f, r);
}

/* A span's self time split, and its faults when it took any. */
static void span_wall(FILE *f, const struct rep_span *s)
{
	struct wall_stats w;
	char buf[128];

	report_span_wall(s, &w);
	fprintf(f, "  [%s]", fmt_wall_split(&w, buf, sizeof(buf)));
	if (s->faults_minor || s->faults_major)
		fprintf(f, "  faults %u minor, %u major", s->faults_minor, s->faults_major);
}

int report_print_trace(FILE *f, const struct report *r, const char *id)
{
	const struct rep_trace *t = report_find_trace(r, id);
	if (!t)
		return -1;
	fprintf(f, "trace %s: %zu spans, %s, pid %u tid %u%s\n", text_safe(t->id), t->n_spans,
		dur(t->dur_ns), t->pid, t->tid,
		t->complete ? "" : " (its root call was not recorded)");
	/* Depth-first, in start order: the order the calls were made. */
	for (long top = t->first; top >= 0; top = r->spans[top].next_sibling) {
		for (long i = top; i >= 0; i = report_span_next(r->spans, top, i)) {
			const struct rep_span *s = &r->spans[i];

			fprintf(f, "  %*s%s  %s  self %s  at +%s", 2 * s->depth, "",
				text_safe(s->name), dur(s->dur_ns), dur(s->self_ns),
				dur(s->start_ns - t->start_ns));
			if (s->io_ops)
				fprintf(f, "  io: %" PRIu64 " ops, read %s, written %s, %s",
					s->io_ops, bytes(s->io_bytes_read),
					bytes(s->io_bytes_written), dur(s->io_time_ns));
			if (s->has_wall)
				span_wall(f, s);
			fprintf(f, "\n");
		}
	}
	return 0;
}
