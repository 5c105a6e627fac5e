// SPDX-License-Identifier: MIT
/*
 * `bpfprof report DIR --perfetto FILE`: the spans as Chrome trace event
 * JSON (what ui.perfetto.dev and chrome://tracing open): one complete ("X")
 * event per span, ts and dur in microseconds from the run's first span,
 * process names as metadata events. Streamed: one event object at a time.
 */
#include "output/output_files.h"
#include "report/report.h"

/* Microseconds with the nanoseconds kept: 15 significant digits hold a
 * day in microseconds to the nanosecond. */
#define PERFETTO_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

static int emit(FILE *f, json_t *ev, bool *first)
{
	int rc;

	if (!ev)
		return -1;
	if (!*first && fputc(',', f) == EOF) {
		json_decref(ev);
		return -1;
	}
	*first = false;
	rc = json_dumpf(ev, f, PERFETTO_FLAGS);
	json_decref(ev);
	return rc;
}

/* A span's wall split and faults (runs since issue 18), flat as the other
 * args: Perfetto lists them in the slice's details. */
static void add_wall_args(json_t *args, const struct rep_span *s)
{
	static const char *const blocked[WALL_BLOCK_NR] = {
		[WALL_BLOCK_IO] = "blocked_io_ns", [WALL_BLOCK_LOCK] = "blocked_lock_ns",
		[WALL_BLOCK_SLEEP] = "blocked_sleep_ns", [WALL_BLOCK_OTHER] = "blocked_other_ns",
	};
	static const int order[] = { WALL_BLOCK_IO, WALL_BLOCK_LOCK, WALL_BLOCK_SLEEP,
				     WALL_BLOCK_OTHER };

	json_object_set_new(args, "on_cpu_ns", json_integer((json_int_t)s->on_cpu_ns));
	json_object_set_new(args, "runqueue_ns", json_integer((json_int_t)s->runqueue_ns));
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		json_object_set_new(args, blocked[order[i]],
				    json_integer((json_int_t)s->blocked_ns[order[i]]));
	json_object_set_new(args, "faults_minor", json_integer(s->faults_minor));
	json_object_set_new(args, "faults_major", json_integer(s->faults_major));
}

int report_write_perfetto(FILE *f, const struct report *r)
{
	uint64_t t0 = r->n_spans ? r->spans[0].start_ns : 0; /* spans are in start order */
	bool first = true;

	if (fputs("{\"traceEvents\":[", f) == EOF)
		return -1;
	for (size_t i = 0; i < r->n_procs; i++)
		if (emit(f,
			 json_pack("{s:s, s:s, s:i, s:i, s:{s:s}}", "ph", "M", "name",
				   "process_name", "pid", (int)r->procs[i].pid, "tid", 0, "args",
				   "name", r->procs[i].comm),
			 &first))
			return -1;
	for (size_t i = 0; i < r->n_spans; i++) {
		const struct rep_span *s = &r->spans[i];
		json_t *ev = json_pack(
			"{s:s, s:s, s:s, s:f, s:f, s:i, s:i, s:{s:s, s:s, s:s?, s:s, s:I, s:I, "
			"s:I, s:I, s:I}}",
			"name", s->name, "cat", "stage", "ph", "X", "ts",
			(double)(s->start_ns - t0) / 1000.0, "dur", (double)s->dur_ns / 1000.0,
			"pid", (int)s->pid, "tid", (int)s->tid, "args", "trace_id", s->trace_id,
			"span_id", s->span_id, "parent_id", s->parent_id, "binary", s->binary,
			"self_ns", (json_int_t)s->self_ns, "io_ops", (json_int_t)s->io_ops,
			"io_bytes_read", (json_int_t)s->io_bytes_read, "io_bytes_written",
			(json_int_t)s->io_bytes_written, "io_time_ns", (json_int_t)s->io_time_ns);

		if (ev && s->has_wall)
			add_wall_args(json_object_get(ev, "args"), s);
		if (emit(f, ev, &first))
			return -1;
	}
	if (fprintf(f,
		    "],\"displayTimeUnit\":\"ns\",\"otherData\":{\"source\":\"bpfprof\","
		    "\"clock\":\"CLOCK_MONOTONIC\",\"t0_ns\":%llu}}\n",
		    (unsigned long long)t0) < 0)
		return -1;
	return 0;
}
