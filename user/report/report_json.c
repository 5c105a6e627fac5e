// SPDX-License-Identifier: MIT
/* `bpfprof report DIR --json`: the text report's content as one JSON
 * document (also what the HTML page draws from). */
#include <string.h>
#include "output/records.h"
#include "report/report.h"
#include "report/report_usdt.h"

#define REPORT_SCHEMA "bpfprof.report.v1"

static json_t *u64(uint64_t v)
{
	return json_integer((json_int_t)v);
}

/* Counts per power-of-two octave, from the first non-empty one to the last:
 * the rows the text report draws. */
static json_t *octaves_json(const struct histogram *h)
{
	uint64_t rows[HIST_MAX_OCTAVE + 1] = {};
	int first = -1, last = -1;
	json_t *arr = json_array();

	if (!h)
		return arr;
	for (unsigned int i = 0; i < HIST_BUCKETS; i++) {
		unsigned long long lo = hist_bucket_lower(i);

		rows[lo ? hist_msb(lo) : 0] += h->buckets[i];
	}
	for (int k = 0; k <= HIST_MAX_OCTAVE; k++) {
		if (!rows[k])
			continue;
		if (first < 0)
			first = k;
		last = k;
	}
	for (int k = first; k >= 0 && k <= last; k++)
		json_array_append_new(arr, json_pack("{s:o, s:o, s:o}", "from_ns",
						     u64(k ? 1ULL << k : 0), "to_ns",
						     u64(2ULL << k), "count", u64(rows[k])));
	return arr;
}

/* The non-empty log-linear buckets (16 per octave above 16 ns), in order:
 * what the HTML page draws, finer than the octaves. */
static json_t *buckets_json(const struct histogram *h)
{
	json_t *arr = json_array();

	for (unsigned int i = 0; h && i < HIST_BUCKETS; i++) {
		uint64_t lo = hist_bucket_lower(i);
		uint64_t hi = i + 1 < HIST_BUCKETS ? hist_bucket_lower(i + 1) : 2 * lo;

		if (h->buckets[i])
			json_array_append_new(arr, json_pack("{s:o, s:o, s:o}", "from_ns", u64(lo),
							     "to_ns", u64(hi), "count",
							     u64(h->buckets[i])));
	}
	return arr;
}

/* null for a percentile the file cannot give (no buckets, not p50/95/99). */
static json_t *percentiles_json(const struct rep_stage *s, const struct rep_io *io)
{
	json_t *o = json_object();

	for (int q = 0; q < LAT_NQ; q++) {
		bool known = report_quantile_known(s ? s->hist : io->hist, q);

		json_object_set_new(o, lat_quantile_names[q],
				    !known ? json_null() : u64((s ? &s->lat : &io->lat)->q[q]));
	}
	return o;
}

static json_t *stage_json_base(const struct rep_stage *s);

/* Issue 18's figures, in runs that have them. */
static json_t *with_wall(json_t *o, json_t *io, bool has, const struct wall_stats *w)
{
	if (!o || !has)
		return o;
	json_object_set_new(io ? io : o, io ? "by_kind" : "io_by_kind", io_by_kind_json(w->io));
	json_object_set_new(o, "wall", wall_json(w));
	json_object_set_new(o, "faults", faults_json(w));
	return o;
}

static json_t *stage_json(const struct rep_stage *s)
{
	json_t *o = stage_json_base(s);

	return with_wall(o, json_object_get(o, "io"), s->has_wall, &s->wall);
}

static json_t *stage_json_base(const struct rep_stage *s)
{
	return json_pack("{s:i, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
			 "s:{s:o, s:o, s:o, s:o}}",
			 "pid", (int)s->proc->pid, "comm", s->proc->comm, "name", s->name, "binary",
			 s->binary, "calls", u64(s->calls), "calls_clamped", u64(s->calls_clamped),
			 "calls_unfinished", u64(s->calls_unfinished), "total_ns", u64(s->total_ns),
			 "self_ns", u64(s->self_ns), "max_ns", u64(s->max_ns), "mean_ns",
			 u64(s->calls ? s->total_ns / s->calls : 0), "percentiles_ns",
			 percentiles_json(s, NULL), "histogram", octaves_json(s->hist), "buckets",
			 buckets_json(s->hist), "io", "ops", u64(s->io_ops), "bytes_read",
			 u64(s->io_bytes_read), "bytes_written", u64(s->io_bytes_written),
			 "time_ns", u64(s->io_time_ns));
}

static json_t *stages_by_self_json(const struct report *r)
{
	const struct rep_stage **v = report_stages_by_self(r);
	json_t *arr;

	if (!v)
		return NULL;
	arr = json_array();
	for (size_t i = 0; i < r->n_stages; i++)
		json_array_append_new(
			arr, json_pack("{s:i, s:s, s:s, s:o, s:o}", "pid", (int)v[i]->proc->pid,
				       "name", v[i]->name, "binary", v[i]->binary, "self_ns",
				       u64(v[i]->self_ns), "total_ns", u64(v[i]->total_ns)));
	free(v);
	return arr;
}

static json_t *io_json(const struct report *r)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < r->n_procs; i++) {
		const struct rep_proc *p = &r->procs[i];
		json_t *sys;

		if (!p->io_ops)
			continue;
		sys = json_array();
		for (size_t k = 0; k < p->n_io; k++) {
			const struct rep_io *io = &p->io[k];

			json_array_append_new(
				sys,
				json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "name",
					  io->name, "direction", io->is_read ? "read" : "write",
					  "ops", u64(io->ops), "bytes", u64(io->bytes), "errors",
					  u64(io->errors), "time_ns", u64(io->time_ns), "max_ns",
					  u64(io->max_ns), "percentiles_ns",
					  percentiles_json(NULL, io), "histogram",
					  octaves_json(io->hist), "buckets", buckets_json(io->hist)));
		}
		json_array_append_new(arr, with_wall(
				      json_pack("{s:i, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "pid",
						(int)p->pid, "comm", p->comm, "ops", u64(p->io_ops),
						"bytes_read", u64(p->bytes_read), "bytes_written",
						u64(p->bytes_written), "errors", u64(p->io_errors),
						"time_ns", u64(p->io_time_ns), "syscalls", sys),
				      NULL, p->has_wall, &p->wall));
	}
	return arr;
}

static json_t *stage_io_json(const struct report *r)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < r->n_stages; i++) {
		const struct rep_stage *s = &r->stages[i];

		if (!s->io_ops)
			continue;
		json_array_append_new(arr, json_pack("{s:i, s:s, s:s, s:o, s:o, s:o, s:o}", "pid",
						     (int)s->proc->pid, "name", s->name, "binary",
						     s->binary, "ops", u64(s->io_ops), "bytes_read",
						     u64(s->io_bytes_read), "bytes_written",
						     u64(s->io_bytes_written), "time_ns",
						     u64(s->io_time_ns)));
	}
	return arr;
}

static json_t *timeline_json(const struct report *r)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < r->n_flushes; i++) {
		const struct rep_flush *f = &r->flushes[i];

		json_array_append_new(
			arr, json_pack("{s:o, s:f, s:f, s:o, s:o, s:o, s:o, s:o, s:o}",
				       "flush_index", u64(f->index), "timestamp", f->timestamp,
				       "duration_s", f->duration_s, "syscalls", u64(f->syscalls),
				       "io_ops", u64(f->io_ops), "bytes_read", u64(f->bytes_read),
				       "bytes_written", u64(f->bytes_written), "stage_calls",
				       u64(f->stage_calls), "lost", u64(f->lost)));
	}
	return arr;
}

static json_t *span_json_base(const struct rep_span *s, uint64_t t0);

/* Spans since issue 18 carry their wall split and faults. */
static json_t *span_json(const struct rep_span *s, uint64_t t0)
{
	json_t *o = span_json_base(s, t0);
	struct wall_stats w;

	if (!o || !s->has_wall)
		return o;
	report_span_wall(s, &w);
	json_object_set_new(o, "wall", wall_json(&w));
	json_object_set_new(o, "faults", faults_json(&w));
	return o;
}

static json_t *span_json_base(const struct rep_span *s, uint64_t t0)
{
	return json_pack("{s:s, s:s?, s:s, s:s, s:i, s:i, s:o, s:o, s:o, s:o, s:i, "
			 "s:{s:o, s:o, s:o, s:o}}",
			 "span_id", s->span_id, "parent_id", s->parent_id, "name", s->name,
			 "binary", s->binary, "pid", (int)s->pid, "tid", (int)s->tid, "start_ns",
			 u64(s->start_ns), "offset_ns", u64(s->start_ns - t0), "dur_ns",
			 u64(s->dur_ns), "self_ns", u64(s->self_ns), "depth", s->depth, "io", "ops",
			 u64(s->io_ops), "bytes_read", u64(s->io_bytes_read), "bytes_written",
			 u64(s->io_bytes_written), "time_ns", u64(s->io_time_ns));
}

/* One trace's spans depth-first in call order. */
static json_t *trace_spans_json(const struct report *r, const struct rep_trace *t)
{
	json_t *arr = json_array();

	for (long top = t->first; top >= 0; top = r->spans[top].next_sibling)
		for (long i = top; i >= 0; i = report_span_next(r->spans, top, i))
			json_array_append_new(arr, span_json(&r->spans[i], t->start_ns));
	return arr;
}

static json_t *traces_json(const struct report *r, int top)
{
	json_t *slow = json_array();

	if (!r->have_events) {
		json_decref(slow);
		return json_null();
	}
	for (size_t i = 0; i < r->n_traces && i < (size_t)top; i++) {
		const struct rep_trace *t = &r->traces[i];

		json_array_append_new(slow,
				      json_pack("{s:s, s:s, s:b, s:i, s:i, s:o, s:o, s:o, "
						"s:o}",
						"trace_id", t->id, "root", r->spans[t->first].name,
						"complete", t->complete, "pid", (int)t->pid, "tid",
						(int)t->tid, "start_ns", u64(t->start_ns), "dur_ns",
						u64(t->dur_ns), "n_spans", u64(t->n_spans), "spans",
						trace_spans_json(r, t)));
	}
	return json_pack("{s:o, s:o, s:o, s:o, s:o}", "spans", u64(r->n_spans), "traces",
			 u64(r->n_traces), "event_files", u64(r->event_files), "spans_orphaned",
			 u64(r->spans_orphaned), "slowest", slow);
}

json_t *report_to_json(const struct report *r, int top)
{
	json_t *s = r->summary, *stages = json_array(), *doc;

	for (size_t i = 0; i < r->n_stages; i++)
		json_array_append_new(stages, stage_json(&r->stages[i]));
	doc = json_pack(
		"{s:s, s:s, s:{s:O*, s:O*, s:O*, s:O*, s:O*}, s:o, s:o*, s:o, s:o, s:o, "
		"s:o, s:O}",
		"schema", REPORT_SCHEMA, "dir", r->dir, "run", "started_at",
		json_object_get(s, "started_at"), "duration_s", json_object_get(s, "duration_s"),
		"end_reason", json_object_get(s, "end_reason"), "host", json_object_get(s, "host"),
		"target", json_object_get(s, "target"), "stages", stages, "stages_by_self",
		stages_by_self_json(r), "io", io_json(r), "stage_io", stage_io_json(r), "timeline",
		timeline_json(r), "traces", traces_json(r, top), "audit", r->audit);
	if (doc) {
		json_object_set_new(doc, "processes", json_integer((json_int_t)r->n_procs));
		/* Only a run rebuilt from its flush records says so. */
		if (r->cut_short)
			json_object_set_new(json_object_get(doc, "run"), "cut_short", json_true());
		/* Only a run that counted -U hits has the key. */
		if (r->have_usdt)
			json_object_set_new(doc, "usdt", report_usdt_json(r));
	}
	return doc;
}
