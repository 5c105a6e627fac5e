// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "collect/stage_view.h"
#include "common/text.h"
#include "output/metrics_text.h"
#include "output/records.h"
#include "probes/syscall_table.h"
#include "telemetry/telemetry.h"

/* A comm of 15 bytes escaped at worst 3x each, then pid="N",comm="...". */
#define COMM_ESC_MAX 64
#define PROC_LABELS_MAX 128
/* Stage names (demangled C++) and binary paths can be long. */
#define LABELS_MAX 8192

void self_cost_read(struct self_cost *c)
{
	struct proc_telemetry t;
	struct rusage ru;

	memset(c, 0, sizeof(*c));
	if (!telemetry_sample(getpid(), &t)) {
		c->user_ns = t.utime_ns;
		c->system_ns = t.stime_ns;
		c->rss_bytes = t.rss_bytes;
	}
	/* The peak is getrusage's alone. */
	if (!getrusage(RUSAGE_SELF, &ru))
		c->max_rss_bytes = (uint64_t)ru.ru_maxrss * 1024;
}

char *metrics_seconds(uint64_t ns, char *buf, size_t len)
{
	uint64_t frac = ns % 1000000000ULL;
	int digits = 9;

	if (!frac) {
		snprintf(buf, len, "%lu", (unsigned long)(ns / 1000000000ULL));
		return buf;
	}
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	snprintf(buf, len, "%lu.%0*lu", (unsigned long)(ns / 1000000000ULL), digits,
		 (unsigned long)frac);
	return buf;
}

size_t metrics_escape_label(const char *in, char *out, size_t size)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;

	while (*s) {
		char esc[4] = "";
		const char *piece;
		size_t n = utf8_seq_len(s), plen;

		if (*s == '\\' || *s == '"') {
			esc[0] = '\\';
			esc[1] = (char)*s;
			piece = esc;
			plen = 2;
		} else if (*s == '\n') {
			piece = "\\n";
			plen = 2;
		} else if (!n) {
			piece = "\xef\xbf\xbd"; /* U+FFFD */
			plen = 3;
			n = 1;
		} else {
			piece = (const char *)s;
			plen = n;
		}
		if (o + plen < size)
			memcpy(out + o, piece, plen);
		else if (o < size)
			size = o + 1; /* truncated: nothing more fits */
		o += plen;
		s += n;
	}
	if (size)
		out[o < size ? o : size - 1] = '\0';
	return o;
}

/* The stage series: one per (pid, name, binary), as Prometheus needs each
 * label set once (two static functions may share a name: summed). */
struct render {
	FILE *f;
	const struct metrics_input *in;
	struct stage_view st;
	char *labels; /* LABELS_MAX bytes of scratch */
};

static void family(struct render *r, const char *name, const char *type, const char *help)
{
	fprintf(r->f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void proc_labels(const struct proc_profile *pp, char *buf, size_t len)
{
	char comm[COMM_ESC_MAX];

	metrics_escape_label(pp->comm, comm, sizeof(comm));
	snprintf(buf, len, "pid=\"%u\",comm=\"%s\"", pp->pid, comm);
}

static void stage_labels(const struct stage_group *s, char *buf, size_t len)
{
	char pl[PROC_LABELS_MAX], name[LABELS_MAX / 2], bin[LABELS_MAX / 4];

	proc_labels(s->proc, pl, sizeof(pl));
	metrics_escape_label(s->def->name, name, sizeof(name));
	metrics_escape_label(s->def->binary, bin, sizeof(bin));
	snprintf(buf, len, "%s,stage=\"%s\",binary=\"%s\"", pl, name, bin);
}

/*
 * Cumulative buckets at le = 2^k - 1 ns: the kernel's buckets never straddle
 * a power of two, so summing whole buckets below 2^k counts exactly the
 * observations <= le (they are integer nanoseconds).
 */
static void hist_lines(struct render *r, const char *name, const char *labels,
		       const struct histogram *h, uint64_t sum_ns)
{
	uint64_t cum = 0, total = hist_count(h);
	unsigned int i = 0;
	char le[32];

	for (unsigned int k = METRICS_LE_FIRST_OCTAVE; k <= METRICS_LE_LAST_OCTAVE; k++) {
		uint64_t bound = 1ULL << k;

		while (i < HIST_BUCKETS - 1 && hist_bucket_upper(i) <= bound)
			cum += h->buckets[i++];
		fprintf(r->f, "%s_bucket{%s,le=\"%s\"} %lu\n", name, labels,
			metrics_seconds(bound - 1, le, sizeof(le)), (unsigned long)cum);
	}
	fprintf(r->f, "%s_bucket{%s,le=\"+Inf\"} %lu\n", name, labels, (unsigned long)total);
	fprintf(r->f, "%s_sum{%s} %s\n", name, labels, metrics_seconds(sum_ns, le, sizeof(le)));
	fprintf(r->f, "%s_count{%s} %lu\n", name, labels, (unsigned long)total);
}

enum sys_field { SYS_COUNT, SYS_ERRORS, SYS_TIME };

static void syscall_family(struct render *r, enum sys_field field, const char *name,
			   const char *help)
{
	const struct profile *p = r->in->total;
	char pl[PROC_LABELS_MAX], v[32];

	family(r, name, "counter", help);
	for (size_t i = 0; i < p->n; i++) {
		const struct proc_profile *pp = p->procs[i];

		proc_labels(pp, pl, sizeof(pl));
		for (unsigned int nr = 0; nr < MAX_SYSCALL_NR; nr++) {
			const struct syscall_counters *c = &pp->sys[nr];

			if (!c->count)
				continue;
			if (field == SYS_TIME)
				metrics_seconds(c->time_ns, v, sizeof(v));
			else
				snprintf(
					v, sizeof(v), "%lu",
					(unsigned long)(field == SYS_COUNT ? c->count : c->errors));
			fprintf(r->f, "%s{%s,syscall=\"%s\"} %s\n", name, pl, syscall_name(nr), v);
		}
	}
}

static void io_families(struct render *r)
{
	const struct profile *p = r->in->total;
	char pl[PROC_LABELS_MAX], labels[PROC_LABELS_MAX + 64];

	family(r, "bpfprof_io_bytes_total", "counter",
	       "Bytes moved by I/O syscalls (their return values), by direction.");
	for (size_t i = 0; i < p->n; i++) {
		proc_labels(p->procs[i], pl, sizeof(pl));
		for (unsigned int nr = 0; nr < MAX_SYSCALL_NR; nr++) {
			const struct syscall_counters *c = &p->procs[i]->sys[nr];
			uint8_t cls = syscall_io_class(nr);

			if (!cls || !c->count)
				continue;
			fprintf(r->f,
				"bpfprof_io_bytes_total{%s,syscall=\"%s\",direction=\"%s\"} %lu\n",
				pl, syscall_name(nr), cls & IO_READ ? "read" : "write",
				(unsigned long)c->bytes);
		}
	}
	family(r, "bpfprof_syscall_duration_seconds", "histogram",
	       "Latency of I/O syscalls, entry to exit.");
	for (size_t i = 0; i < p->n; i++) {
		proc_labels(p->procs[i], pl, sizeof(pl));
		for (unsigned int nr = 0; nr < MAX_SYSCALL_NR; nr++) {
			const struct syscall_counters *c = &p->procs[i]->sys[nr];

			if (!proc_io_syscall(p->procs[i], nr))
				continue;
			snprintf(labels, sizeof(labels), "%s,syscall=\"%s\"", pl, syscall_name(nr));
			hist_lines(r, "bpfprof_syscall_duration_seconds", labels, c->hist,
				   c->time_ns);
		}
	}
}

enum stage_field {
	ST_CALLS,
	ST_CLAMPED,
	ST_UNFINISHED,
	ST_TOTAL,
	ST_SELF,
	ST_IO_OPS,
	ST_IO_TIME,
};

static void stage_family(struct render *r, enum stage_field field, const char *name,
			 const char *help)
{
	char *labels = r->labels, v[32];

	family(r, name, "counter", help);
	for (size_t i = 0; i < r->st.n; i++) {
		const struct stage_counters *c = &r->st.v[i].sum.c;

		stage_labels(&r->st.v[i], labels, LABELS_MAX);
		switch (field) {
		case ST_CALLS:
			snprintf(v, sizeof(v), "%lu", (unsigned long)c->calls);
			break;
		case ST_CLAMPED:
			snprintf(v, sizeof(v), "%lu", (unsigned long)c->calls_clamped);
			break;
		case ST_UNFINISHED:
			snprintf(v, sizeof(v), "%lu", (unsigned long)c->calls_unfinished);
			break;
		case ST_IO_OPS:
			snprintf(v, sizeof(v), "%lu", (unsigned long)c->io_ops);
			break;
		case ST_TOTAL:
			metrics_seconds(c->total_ns, v, sizeof(v));
			break;
		case ST_SELF:
			metrics_seconds(c->self_ns, v, sizeof(v));
			break;
		case ST_IO_TIME:
			metrics_seconds(c->io_time_ns, v, sizeof(v));
			break;
		}
		fprintf(r->f, "%s{%s} %s\n", name, labels, v);
	}
}

static void stage_families(struct render *r)
{
	char *labels = r->labels;

	stage_family(r, ST_CALLS, "bpfprof_stage_calls_total",
		     "Completed calls of a timed function.");
	stage_family(r, ST_CLAMPED, "bpfprof_stage_calls_clamped_total",
		     "Calls shorter than the probes' resolution: the probe-cost correction "
		     "was held at the time that elapsed.");
	stage_family(r, ST_UNFINISHED, "bpfprof_stage_calls_unfinished_total",
		     "Calls of a timed function that ended without returning (exception, "
		     "panic, longjmp, thread or goroutine exit): in no other stage figure.");
	stage_family(r, ST_TOTAL, "bpfprof_stage_seconds_total",
		     "Time in a timed function, nested timed calls included.");
	stage_family(r, ST_SELF, "bpfprof_stage_self_seconds_total",
		     "Time in a timed function minus the timed functions it called.");
	stage_family(r, ST_IO_OPS, "bpfprof_stage_io_operations_total",
		     "I/O syscalls made while the function was the innermost timed call.");
	stage_family(r, ST_IO_TIME, "bpfprof_stage_io_seconds_total",
		     "Time in I/O syscalls made while the function was the innermost timed call.");
	family(r, "bpfprof_stage_io_bytes_total", "counter",
	       "Bytes moved by I/O syscalls made while the function was the innermost timed call.");
	for (size_t i = 0; i < r->st.n; i++) {
		stage_labels(&r->st.v[i], labels, LABELS_MAX);
		fprintf(r->f, "bpfprof_stage_io_bytes_total{%s,direction=\"read\"} %lu\n", labels,
			(unsigned long)r->st.v[i].sum.c.io_bytes_read);
		fprintf(r->f, "bpfprof_stage_io_bytes_total{%s,direction=\"write\"} %lu\n", labels,
			(unsigned long)r->st.v[i].sum.c.io_bytes_written);
	}
	family(r, "bpfprof_stage_duration_seconds", "histogram",
	       "Duration of calls of a timed function.");
	for (size_t i = 0; i < r->st.n; i++) {
		const struct stage_counters *c = &r->st.v[i].sum.c;

		if (!c->hist)
			continue;
		stage_labels(&r->st.v[i], labels, LABELS_MAX);
		hist_lines(r, "bpfprof_stage_duration_seconds", labels, c->hist, c->total_ns);
	}
}

/* Issue 18: where the time goes, faults and I/O by kind of file. */
static const char *const wall_states[] = { "on_cpu", "runqueue", "blocked_io", "blocked_lock",
					   "blocked_sleep", "blocked_other" };

static uint64_t wall_state_ns(const struct wall_stats *w, unsigned int i)
{
	static const unsigned int blocked[] = { WALL_BLOCK_IO, WALL_BLOCK_LOCK, WALL_BLOCK_SLEEP,
						WALL_BLOCK_OTHER };

	return i == 0 ? w->on_cpu_ns : i == 1 ? w->runqueue_ns : w->blocked_ns[blocked[i - 2]];
}

static void wall_lines(struct render *r, const char *name, const char *labels,
		       const struct wall_stats *w)
{
	char v[32];

	for (unsigned int i = 0; i < sizeof(wall_states) / sizeof(wall_states[0]); i++)
		fprintf(r->f, "%s{%s,state=\"%s\"} %s\n", name, labels, wall_states[i],
			metrics_seconds(wall_state_ns(w, i), v, sizeof(v)));
}

static void fault_lines(struct render *r, const char *name, const char *labels,
			const struct wall_stats *w)
{
	fprintf(r->f, "%s{%s,kind=\"minor\"} %lu\n", name, labels, (unsigned long)w->faults_minor);
	fprintf(r->f, "%s{%s,kind=\"major\"} %lu\n", name, labels, (unsigned long)w->faults_major);
}

/* field 0: operations, 1: bytes by direction, 2: seconds. */
static void kind_lines(struct render *r, const char *name, const char *labels,
		       const struct kind_io k[IO_KIND_NR], int field)
{
	char v[32];

	for (unsigned int i = 0; i < IO_KIND_NR; i++) {
		if (!k[i].ops)
			continue;
		if (field == 0)
			fprintf(r->f, "%s{%s,file=\"%s\"} %lu\n", name, labels, io_kind_name(i),
				(unsigned long)k[i].ops);
		if (field == 1) {
			fprintf(r->f, "%s{%s,file=\"%s\",direction=\"read\"} %lu\n", name, labels,
				io_kind_name(i), (unsigned long)k[i].bytes_read);
			fprintf(r->f, "%s{%s,file=\"%s\",direction=\"write\"} %lu\n", name, labels,
				io_kind_name(i), (unsigned long)k[i].bytes_written);
		}
		if (field == 2)
			fprintf(r->f, "%s{%s,file=\"%s\"} %s\n", name, labels, io_kind_name(i),
				metrics_seconds(k[i].time_ns, v, sizeof(v)));
	}
}

static const char *const kind_family_suffix[] = { "operations_total", "bytes_total",
						  "seconds_total" };
static const char *const kind_family_help[] = { "I/O syscalls by the kind of file they used",
						"Bytes moved by I/O syscalls by kind of file",
						"Time in I/O syscalls by kind of file" };

static void wall_families(struct render *r)
{
	const struct profile *p = r->in->total;
	char pl[PROC_LABELS_MAX], name[64], help[160];
	struct kind_io k[IO_KIND_NR];

	family(r, "bpfprof_stage_wall_seconds_total", "counter",
	       "A timed function's self time by state: on CPU, waiting for one, or blocked "
	       "(in I/O, a lock, a sleep, other); the states sum to its self time.");
	for (size_t i = 0; i < r->st.n; i++) {
		stage_labels(&r->st.v[i], r->labels, LABELS_MAX);
		wall_lines(r, "bpfprof_stage_wall_seconds_total", r->labels, &r->st.v[i].sum.c.wall);
	}
	family(r, "bpfprof_stage_page_faults_total", "counter",
	       "Page faults while the function was the innermost timed call.");
	for (size_t i = 0; i < r->st.n; i++) {
		stage_labels(&r->st.v[i], r->labels, LABELS_MAX);
		fault_lines(r, "bpfprof_stage_page_faults_total", r->labels, &r->st.v[i].sum.c.wall);
	}
	for (int f = 0; f < 3; f++) {
		snprintf(name, sizeof(name), "bpfprof_stage_io_kind_%s", kind_family_suffix[f]);
		snprintf(help, sizeof(help), "%s, made while the function was the innermost "
			 "timed call.", kind_family_help[f]);
		family(r, name, "counter", help);
		for (size_t i = 0; i < r->st.n; i++) {
			stage_labels(&r->st.v[i], r->labels, LABELS_MAX);
			kind_lines(r, name, r->labels, r->st.v[i].sum.c.wall.io, f);
		}
	}
	family(r, "bpfprof_process_wall_seconds_total", "counter",
	       "The traced threads' time by state, between the context switches seen.");
	for (size_t i = 0; i < p->n; i++) {
		proc_labels(p->procs[i], pl, sizeof(pl));
		wall_lines(r, "bpfprof_process_wall_seconds_total", pl, &p->procs[i]->wall);
	}
	family(r, "bpfprof_process_page_faults_total", "counter",
	       "Page faults of the traced threads.");
	for (size_t i = 0; i < p->n; i++) {
		proc_labels(p->procs[i], pl, sizeof(pl));
		fault_lines(r, "bpfprof_process_page_faults_total", pl, &p->procs[i]->wall);
	}
	for (int f = 0; f < 3; f++) {
		snprintf(name, sizeof(name), "bpfprof_io_kind_%s", kind_family_suffix[f]);
		snprintf(help, sizeof(help), "%s.", kind_family_help[f]);
		family(r, name, "counter", help);
		for (size_t i = 0; i < p->n; i++) {
			proc_labels(p->procs[i], pl, sizeof(pl));
			proc_io_by_kind(p->procs[i], k);
			kind_lines(r, name, pl, k, f);
		}
	}
}

static void audit_families(struct render *r)
{
	const uint64_t *a = r->in->total->audit;

	family(r, "bpfprof_lost_total", "counter",
	       "Events the kernel side could not record (sum of the audit's loss counters).");
	fprintf(r->f, "bpfprof_lost_total %lu\n", (unsigned long)audit_lost(a));
	family(r, "bpfprof_audit_events_total", "counter",
	       "Audit counters as in the JSON audit object (loss=\"true\" for losses).");
	for (unsigned int i = 0; i < AUDIT_ALL_SLOTS; i++)
		if (audit_slot_name(i))
			fprintf(r->f, "bpfprof_audit_events_total{event=\"%s\",loss=\"%s\"} %lu\n",
				audit_slot_name(i), audit_slot_is_loss(i) ? "true" : "false",
				(unsigned long)a[i]);
	family(r, "bpfprof_flushes_total", "counter", "Flush intervals completed.");
	fprintf(r->f, "bpfprof_flushes_total %lu\n", (unsigned long)r->in->flushes);
	family(r, "bpfprof_processes", "gauge", "Processes in the profile.");
	fprintf(r->f, "bpfprof_processes %zu\n", r->in->total->n);
}

static void self_families(struct render *r)
{
	const struct self_cost *c = r->in->self;
	char v[32];

	if (!c)
		return;
	family(r, "bpfprof_self_cpu_seconds_total", "counter",
	       "CPU time bpfprof itself used (user space; BPF programs run in the target).");
	fprintf(r->f, "bpfprof_self_cpu_seconds_total{mode=\"user\"} %s\n",
		metrics_seconds(c->user_ns, v, sizeof(v)));
	fprintf(r->f, "bpfprof_self_cpu_seconds_total{mode=\"system\"} %s\n",
		metrics_seconds(c->system_ns, v, sizeof(v)));
	family(r, "bpfprof_self_resident_memory_bytes", "gauge", "bpfprof's resident memory.");
	fprintf(r->f, "bpfprof_self_resident_memory_bytes %lu\n", (unsigned long)c->rss_bytes);
	family(r, "bpfprof_self_max_resident_memory_bytes", "gauge",
	       "bpfprof's peak resident memory.");
	fprintf(r->f, "bpfprof_self_max_resident_memory_bytes %lu\n",
		(unsigned long)c->max_rss_bytes);
}

/* -U PROVIDER:NAME: hits per process and probe; no family without such a spec. */
static void usdt_families(struct render *r)
{
	const struct stage_table *t = r->in->stages;
	const struct profile *p = r->in->total;
	bool any = false;

	for (size_t id = 0; t && id < t->n; id++)
		any |= t->v[id].usdt_hits;
	if (!any)
		return;
	family(r, "bpfprof_usdt_hits_total", "counter", "USDT probe hits (-U PROVIDER:NAME).");
	for (size_t i = 0; i < p->n; i++) {
		const struct proc_profile *pp = p->procs[i];

		for (uint32_t id = 0; id < pp->n_stages && id < t->n; id++) {
			char pl[PROC_LABELS_MAX], name[LABELS_MAX / 2], bin[LABELS_MAX / 4];
			const struct stage_def *d = &t->v[id];

			if (!d->usdt_hits || !pp->stages[id].calls)
				continue;
			proc_labels(pp, pl, sizeof(pl));
			metrics_escape_label(d->name, name, sizeof(name));
			metrics_escape_label(d->binary, bin, sizeof(bin));
			fprintf(r->f, "bpfprof_usdt_hits_total{%s,probe=\"%s\",binary=\"%s\"} %lu\n",
				pl, name, bin, (unsigned long)pp->stages[id].calls);
		}
	}
}

char *metrics_render(const struct metrics_input *in, size_t *len)
{
	struct render r = { .in = in };
	char *buf = NULL;
	size_t size = 0;
	bool ok;

	r.labels = malloc(LABELS_MAX);
	r.f = r.labels ? open_memstream(&buf, &size) : NULL;
	if (!r.f) {
		free(r.labels);
		return NULL;
	}
	ok = !stage_view_by_name(&r.st, in->total, in->stages);
	if (ok) {
		syscall_family(&r, SYS_COUNT, "bpfprof_syscalls_total", "Syscalls made.");
		syscall_family(&r, SYS_ERRORS, "bpfprof_syscall_errors_total",
			       "Syscalls that returned an error (-4095..-1).");
		syscall_family(&r, SYS_TIME, "bpfprof_syscall_seconds_total",
			       "Time in syscalls, entry to exit.");
		io_families(&r);
		stage_families(&r);
		usdt_families(&r);
		wall_families(&r);
		audit_families(&r);
		self_families(&r);
	}
	stage_view_free(&r.st);
	free(r.labels);
	/* A failed write to the memstream is ENOMEM: no partial text. */
	ok = !ferror(r.f) && ok;
	if (fclose(r.f) || !ok) {
		free(buf);
		return NULL;
	}
	*len = size;
	return buf;
}
