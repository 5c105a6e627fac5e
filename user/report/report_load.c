// SPDX-License-Identifier: MIT
/* Reading a run directory for `bpfprof report`: every field checked, every
 * problem one line naming the file, the record and the field. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "bpfprof.h"
#include "common/errmsg.h"
#include "output/records.h"
#include "report/report.h"
#include "report/report_read.h"
#include "report/report_usdt.h"
#include "probes/syscall_table.h"
#include "common/sort.h"

#define SUMMARY_NAME "summary.json"
#define FLUSHES_NAME "flushes.jsonl"
#define EVENTS_NAME "events.jsonl"
#define MAX_EVENT_FILES 4096








/* [[lower_ns, count], ...] back into the layout's buckets; NULL hist when
 * the record has none (files from before buckets were written). */
static int read_buckets(const struct where *w, json_t *obj, struct histogram **out)
{
	json_t *arr = json_object_get(obj, "buckets"), *pair;
	size_t i;

	*out = NULL;
	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return bad(w, "'buckets' is not an array");
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return bad(w, "out of memory");
	json_array_foreach (arr, i, pair) {
		json_t *lo = json_array_get(pair, 0), *n = json_array_get(pair, 1);
		unsigned int b;

		if (json_array_size(pair) != 2 || !json_is_integer(lo) || !json_is_integer(n) ||
		    json_integer_value(lo) < 0 || json_integer_value(n) < 0)
			return bad(w, "buckets[%zu] is not [lower_ns, count]", i);
		b = hist_bucket((uint64_t)json_integer_value(lo));
		if (hist_bucket_lower(b) != (uint64_t)json_integer_value(lo))
			return bad(w,
				   "buckets[%zu]: %" JSON_INTEGER_FORMAT
				   " ns is not a bucket bound of this histogram layout",
				   i, json_integer_value(lo));
		(*out)->buckets[b] += (uint64_t)json_integer_value(n);
	}
	return 0;
}

/* The p50, p95 and p99 the file gives (and the max of I/O). */
static int read_latency(const struct where *w, json_t *obj, struct latency *l, uint64_t *max)
{
	json_t *lat;

	memset(l, 0, sizeof(*l));
	if (get_kind(w, obj, "latency_ns", JSON_OBJECT, &lat) ||
	    get_u64(w, lat, "p50", &l->q[LAT_P50]) || get_u64(w, lat, "p95", &l->q[LAT_P95]) ||
	    get_u64(w, lat, "p99", &l->q[LAT_P99]))
		return -1;
	return max ? get_u64(w, lat, "max", max) : 0;
}

/* With the buckets, the whole quantile set from them, as the run's own
 * outputs have it; else what the file gives. */
static void complete_latency(struct latency *l, const struct histogram *h, uint64_t max_ns)
{
	if (h)
		latency_from_hist(l, h, max_ns);
	l->max_ns = max_ns;
}

bool report_quantile_known(const struct histogram *h, enum latency_quantile q)
{
	return h || q == LAT_P50 || q == LAT_P95 || q == LAT_P99;
}

static int by_count(const void *a, const void *b)
{
	const struct rep_syscall *x = a, *y = b;

	return x->count < y->count ? 1 : x->count > y->count ? -1 : strcmp(x->name, y->name);
}

static int by_ops(const void *a, const void *b)
{
	const struct rep_io *x = a, *y = b;

	return x->ops < y->ops ? 1 : x->ops > y->ops ? -1 : strcmp(x->name, y->name);
}

static int by_total(const void *a, const void *b)
{
	const struct rep_stage *x = a, *y = b;

	if (x->total_ns != y->total_ns)
		return x->total_ns < y->total_ns ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int by_self(const void *a, const void *b)
{
	const struct rep_stage *x = *(const struct rep_stage *const *)a;
	const struct rep_stage *y = *(const struct rep_stage *const *)b;

	if (x->self_ns != y->self_ns)
		return x->self_ns < y->self_ns ? 1 : -1;
	return strcmp(x->name, y->name);
}

const struct rep_stage **report_stages_by_self(const struct report *r)
{
	const struct rep_stage **v = malloc((r->n_stages + 1) * sizeof(*v));

	if (!v)
		return NULL;
	for (size_t i = 0; i < r->n_stages; i++)
		v[i] = &r->stages[i];
	sort_n(v, r->n_stages, sizeof(*v), by_self);
	return v;
}


/* Issue 18's "wall", "faults" and I/O by kind, when the run has them (runs
 * before it do not): *has says which. */
static int read_wall(struct where *w, json_t *obj, json_t *by_kind, struct wall_stats *ws,
		     bool *has)
{
	json_t *wj = json_object_get(obj, "wall"), *bj, *fj;

	memset(ws, 0, sizeof(*ws));
	*has = wj != NULL;
	if (!wj)
		return 0;
	if (get_kind(w, wj, "blocked", JSON_OBJECT, &bj) ||
	    get_kind(w, obj, "faults", JSON_OBJECT, &fj) ||
	    get_u64x(w, wj, "on_cpu_ns", &ws->on_cpu_ns) ||
	    get_u64x(w, wj, "runqueue_ns", &ws->runqueue_ns) ||
	    get_u64x(w, bj, "io_ns", &ws->blocked_ns[WALL_BLOCK_IO]) ||
	    get_u64x(w, bj, "lock_ns", &ws->blocked_ns[WALL_BLOCK_LOCK]) ||
	    get_u64x(w, bj, "sleep_ns", &ws->blocked_ns[WALL_BLOCK_SLEEP]) ||
	    get_u64x(w, bj, "other_ns", &ws->blocked_ns[WALL_BLOCK_OTHER]) ||
	    get_u64x(w, fj, "minor", &ws->faults_minor) || get_u64x(w, fj, "major", &ws->faults_major))
		return -1;
	for (unsigned int k = 0; by_kind && k < IO_KIND_NR; k++) {
		json_t *kj = json_object_get(by_kind, io_kind_name(k));
		struct kind_io *x = &ws->io[k];

		if (kj && (get_u64x(w, kj, "ops", &x->ops) ||
			   get_u64x(w, kj, "bytes_read", &x->bytes_read) ||
			   get_u64x(w, kj, "bytes_written", &x->bytes_written) ||
			   get_u64x(w, kj, "time_ns", &x->time_ns)))
			return -1;
	}
	return 0;
}

static int read_proc(struct where *w, json_t *pj, struct rep_proc *p)
{
	json_t *sys, *io, *tot, *v;
	const char *name;
	uint64_t pid;
	size_t i = 0;
	char what[160];
	const char *outer = w->what;
	int ret = -1;

	if (get_u64(w, pj, "pid", &pid) || get_str(w, pj, "comm", &p->comm) ||
	    get_kind(w, pj, "syscalls", JSON_OBJECT, &sys) ||
	    get_kind(w, pj, "io", JSON_OBJECT, &io) ||
	    get_kind(w, pj, "io_totals", JSON_OBJECT, &tot))
		return -1;
	p->pid = (uint32_t)pid;
	p->sys = calloc(json_object_size(sys) + 1, sizeof(*p->sys));
	p->io = calloc(json_object_size(io) + 1, sizeof(*p->io));
	if (!p->sys || !p->io)
		return bad(w, "out of memory");
	w->what = what;
	json_object_foreach (sys, name, v) {
		struct rep_syscall *s = &p->sys[p->n_sys++];

		snprintf(what, sizeof(what), "%s.syscalls.%s", outer, name);
		s->name = name;
		if (get_u64(w, v, "count", &s->count) || get_u64(w, v, "errors", &s->errors) ||
		    get_u64(w, v, "time_ns", &s->time_ns))
			goto cleanup;
		p->syscalls += s->count;
		p->errors += s->errors;
	}
	json_object_foreach (io, name, v) {
		struct rep_io *o = &p->io[p->n_io++];
		int nr = syscall_nr(name);

		snprintf(what, sizeof(what), "%s.io.%s", outer, name);
		o->name = name;
		o->is_read = nr >= 0 && (syscall_io_class((unsigned int)nr) & IO_READ);
		if (get_u64(w, v, "ops", &o->ops) || get_u64(w, v, "bytes", &o->bytes) ||
		    get_u64(w, v, "errors", &o->errors) || get_u64(w, v, "time_ns", &o->time_ns) ||
		    read_latency(w, v, &o->lat, &o->max_ns) || read_buckets(w, v, &o->hist))
			goto cleanup;
		complete_latency(&o->lat, o->hist, o->max_ns);
		i++;
	}
	snprintf(what, sizeof(what), "%s.io_totals", outer);
	if (get_u64(w, tot, "ops", &p->io_ops) || get_u64(w, tot, "bytes_read", &p->bytes_read) ||
	    get_u64(w, tot, "bytes_written", &p->bytes_written) ||
	    get_u64(w, tot, "errors", &p->io_errors))
		goto cleanup;
	w->what = outer;
	if (read_wall(w, pj, json_object_get(pj, "io_by_kind"), &p->wall, &p->has_wall))
		goto cleanup;
	for (i = 0; i < p->n_io; i++)
		p->io_time_ns += p->io[i].time_ns;
	sort_n(p->sys, p->n_sys, sizeof(*p->sys), by_count);
	sort_n(p->io, p->n_io, sizeof(*p->io), by_ops);
	ret = 0;
cleanup:
	w->what = outer;
	return ret;
}

static int read_stage(struct where *w, json_t *sj, const struct rep_proc *p, struct rep_stage *s)
{
	json_t *io;

	s->proc = p;
	if (get_str(w, sj, "name", &s->name) || get_str(w, sj, "binary", &s->binary) ||
	    get_u64(w, sj, "calls", &s->calls) || get_u64(w, sj, "total_ns", &s->total_ns) ||
	    get_u64(w, sj, "self_ns", &s->self_ns) || get_u64(w, sj, "max_ns", &s->max_ns) ||
	    opt_u64(w, sj, "calls_clamped", &s->calls_clamped) ||
	    opt_u64(w, sj, "calls_unfinished", &s->calls_unfinished) ||
	    read_latency(w, sj, &s->lat, NULL) || get_kind(w, sj, "io", JSON_OBJECT, &io) ||
	    get_u64(w, io, "ops", &s->io_ops) || get_u64(w, io, "bytes_read", &s->io_bytes_read) ||
	    get_u64(w, io, "bytes_written", &s->io_bytes_written) ||
	    get_u64(w, io, "time_ns", &s->io_time_ns) || read_buckets(w, sj, &s->hist) ||
	    read_wall(w, sj, json_object_get(io, "by_kind"), &s->wall, &s->has_wall))
		return -1;
	complete_latency(&s->lat, s->hist, s->max_ns);
	return 0;
}


static int read_summary(struct report *r, const char *path, char *err, size_t errlen)
{
	struct where w = { .file = path, .err = err, .errlen = errlen };
	json_t *procs, *pj, *sj;
	json_error_t je;
	const char *schema;
	size_t i, k, n_stages = 0;
	char what[64];

	if (!r->summary) {
		int fd = open_regular(&w, path);

		if (fd == -2)
			return bad(&w, "missing (is the run still going, or was it killed?)");
		if (fd < 0)
			return -1;
		r->summary = json_loadfd(fd, JSON_REJECT_DUPLICATES, &je);
		close(fd);
		if (!r->summary) {
			if (je.line == -1)
				return bad(&w, "%s", je.text);
			return bad(&w, "not valid JSON at line %d: %s", je.line, je.text);
		}
	}
	if (!json_is_object(r->summary))
		return bad(&w, "not a JSON object");
	if (get_str(&w, r->summary, "schema", &schema))
		return -1;
	if (strcmp(schema, "bpfprof.summary.v1"))
		return bad(&w, "schema '%s' is not bpfprof.summary.v1", schema);
	if (get_kind(&w, r->summary, "processes", JSON_ARRAY, &procs) ||
	    get_kind(&w, r->summary, "audit", JSON_OBJECT, &r->audit))
		return -1;
	r->procs = calloc(json_array_size(procs) + 1, sizeof(*r->procs));
	if (!r->procs)
		return bad(&w, "out of memory");
	w.what = what;
	json_array_foreach (procs, i, pj) {
		json_t *stages;

		snprintf(what, sizeof(what), "processes[%zu]", i);
		if (!json_is_object(pj))
			return bad(&w, "not an object");
		if (read_proc(&w, pj, &r->procs[r->n_procs++]) ||
		    report_read_usdt(r, &w, pj, &r->procs[r->n_procs - 1]))
			return -1;
		if (get_kind(&w, pj, "stages", JSON_ARRAY, &stages))
			return -1;
		n_stages += json_array_size(stages);
	}
	r->stages = calloc(n_stages + 1, sizeof(*r->stages));
	if (!r->stages)
		return bad(&w, "out of memory");
	json_array_foreach (procs, i, pj) {
		json_array_foreach (json_object_get(pj, "stages"), k, sj) {
			snprintf(what, sizeof(what), "processes[%zu].stages[%zu]", i, k);
			if (read_stage(&w, sj, &r->procs[i], &r->stages[r->n_stages++]))
				return -1;
		}
	}
	sort_n(r->stages, r->n_stages, sizeof(*r->stages), by_total);
	return 0;
}




static int flush_line(struct report *r, struct where *w, json_t *rec)
{
	struct rep_flush *f;
	json_t *procs, *pj, *sj, *audit, *tot, *v;
	const char *schema, *name;
	size_t i, k;

	if (get_str(w, rec, "schema", &schema))
		return -1;
	if (strcmp(schema, "bpfprof.flush.v1"))
		return bad(w, "schema '%s' is not bpfprof.flush.v1", schema);
	if (r->cut_short && report_merge_flush(r->summary, rec))
		return bad(w, "'processes' is not a list of objects");
	f = realloc(r->flushes, (r->n_flushes + 1) * sizeof(*f));
	if (!f)
		return bad(w, "out of memory");
	r->flushes = f;
	f = &r->flushes[r->n_flushes++];
	memset(f, 0, sizeof(*f));
	if (get_u64(w, rec, "flush_index", &f->index) ||
	    get_kind(w, rec, "processes", JSON_ARRAY, &procs) ||
	    get_kind(w, rec, "audit", JSON_OBJECT, &audit) ||
	    get_u64(w, audit, "lost_total", &f->lost))
		return -1;
	if (!json_is_number(json_object_get(rec, "timestamp")) ||
	    !json_is_number(json_object_get(rec, "duration_s")))
		return bad(w, "'timestamp' or 'duration_s' missing or not a number");
	f->timestamp = json_number_value(json_object_get(rec, "timestamp"));
	f->duration_s = json_number_value(json_object_get(rec, "duration_s"));
	if (f->index != r->n_flushes - 1)
		return bad(w,
			   "flush_index %" PRIu64 " where %zu was expected (a record is missing)",
			   f->index, r->n_flushes - 1);
	json_array_foreach (procs, i, pj) {
		uint64_t n;

		if (get_kind(w, pj, "io_totals", JSON_OBJECT, &tot) ||
		    get_kind(w, pj, "syscalls", JSON_OBJECT, &sj))
			return -1;
		json_object_foreach (sj, name, v) {
			if (get_u64(w, v, "count", &n))
				return -1;
			f->syscalls += n;
		}
		if (get_u64(w, tot, "ops", &n))
			return -1;
		f->io_ops += n;
		if (get_u64(w, tot, "bytes_read", &n))
			return -1;
		f->bytes_read += n;
		if (get_u64(w, tot, "bytes_written", &n))
			return -1;
		f->bytes_written += n;
		json_array_foreach (json_object_get(pj, "stages"), k, sj) {
			if (get_u64(w, sj, "calls", &n))
				return -1;
			f->stage_calls += n;
		}
	}
	return 0;
}

/* An id as text: events may carry integers or strings. */
static int get_id(const struct where *w, struct report *r, json_t *obj, const char *key,
		  bool nullable, const char **out)
{
	json_t *v = json_object_get(obj, key);
	struct strmap_slot *s;
	char num[32];
	const char *text;
	int added;

	*out = NULL;
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		/* 0 is the kernel's "no parent". */
		if (nullable && json_integer_value(v) == 0)
			return 0;
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		text = num;
	} else if (json_is_string(v) && *json_string_value(v)) {
		text = json_string_value(v);
	} else if (nullable && json_is_null(v)) {
		return 0;
	} else {
		return bad(w, "'%s' %s", key, v ? "is not an id" : "is missing");
	}
	s = strmap_put(&r->strings, text, 0, &added);
	if (!s)
		return bad(w, "out of memory");
	*out = s->key;
	return 0;
}

static int intern(const struct where *w, struct report *r, const char *text, const char **out)
{
	int added;
	struct strmap_slot *s = strmap_put(&r->strings, text, 0, &added);

	if (!s)
		return bad(w, "out of memory");
	*out = s->key;
	return 0;
}

void report_span_wall(const struct rep_span *s, struct wall_stats *w)
{
	memset(w, 0, sizeof(*w));
	w->on_cpu_ns = s->on_cpu_ns;
	w->runqueue_ns = s->runqueue_ns;
	memcpy(w->blocked_ns, s->blocked_ns, sizeof(w->blocked_ns));
	w->faults_minor = s->faults_minor;
	w->faults_major = s->faults_major;
}

static int event_line(struct report *r, struct where *w, json_t *rec)
{
	struct wall_stats ws;
	struct rep_span *sp;
	json_t *io;
	const char *name, *binary = "";
	uint64_t pid, tid;

	if (r->n_spans % 1024 == 0) {
		sp = realloc(r->spans, (r->n_spans + 1024) * sizeof(*sp));
		if (!sp)
			return bad(w, "out of memory");
		r->spans = sp;
	}
	sp = &r->spans[r->n_spans];
	memset(sp, 0, sizeof(*sp));
	if (get_id(w, r, rec, "trace_id", false, &sp->trace_id) ||
	    get_id(w, r, rec, "span_id", false, &sp->span_id) ||
	    get_id(w, r, rec, "parent_id", true, &sp->parent_id) || get_u64(w, rec, "pid", &pid) ||
	    get_u64(w, rec, "tid", &tid) || get_u64(w, rec, "start_ns", &sp->start_ns) ||
	    get_u64(w, rec, "dur_ns", &sp->dur_ns))
		return -1;
	/* null: a stage id the writer's table did not know. */
	if (json_is_null(json_object_get(rec, "name")))
		name = "(unknown stage)";
	else if (get_str(w, rec, "name", &name))
		return -1;
	if (json_object_get(rec, "binary") && !json_is_null(json_object_get(rec, "binary")) &&
	    get_str(w, rec, "binary", &binary))
		return -1;
	if (!json_object_get(rec, "parent_id"))
		return bad(w, "'parent_id' is missing (null at a root)");
	io = json_object_get(rec, "io");
	if (io && (!json_is_object(io) || opt_u64(w, io, "ops", &sp->io_ops) ||
		   opt_u64(w, io, "bytes_read", &sp->io_bytes_read) ||
		   opt_u64(w, io, "bytes_written", &sp->io_bytes_written) ||
		   opt_u64(w, io, "time_ns", &sp->io_time_ns)))
		return io && !json_is_object(io) ? bad(w, "'io' is not an object") : -1;
	/* Its own I/O by kind is not kept: that is the events file's. */
	if (read_wall(w, rec, NULL, &ws, &sp->has_wall))
		return -1;
	sp->on_cpu_ns = ws.on_cpu_ns;
	sp->runqueue_ns = ws.runqueue_ns;
	memcpy(sp->blocked_ns, ws.blocked_ns, sizeof(sp->blocked_ns));
	sp->faults_minor = ws.faults_minor > UINT32_MAX ? UINT32_MAX : (uint32_t)ws.faults_minor;
	sp->faults_major = ws.faults_major > UINT32_MAX ? UINT32_MAX : (uint32_t)ws.faults_major;
	if (intern(w, r, name, &sp->name) || intern(w, r, binary, &sp->binary))
		return -1;
	sp->pid = (uint32_t)pid;
	sp->tid = (uint32_t)tid;
	r->n_spans++;
	return 0;
}

/* events.jsonl and its rotated parts: events.jsonl.N, events.jsonl.N.gz,
 * events.jsonl.gz (any order: spans are sorted by time after). */
static bool is_events_file(const char *name)
{
	size_t n = strlen(EVENTS_NAME);

	if (strncmp(name, EVENTS_NAME, n))
		return false;
	name += n;
	if (!*name || !strcmp(name, ".gz"))
		return true;
	if (*name++ != '.' || !*name)
		return false;
	while (*name >= '0' && *name <= '9')
		name++;
	return !*name || !strcmp(name, ".gz");
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int read_events(struct report *r, char *err, size_t errlen)
{
	DIR *d = opendir(r->dir);
	struct dirent *de;
	char *names[MAX_EVENT_FILES], path[4096];
	size_t n = 0;
	int ret = -1;

	if (!d) {
		set_err(err, errlen, "%s: %s", r->dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) && n < MAX_EVENT_FILES)
		if (is_events_file(de->d_name) && (names[n] = strdup(de->d_name)))
			n++;
	closedir(d);
	sort_n(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", r->dir, names[i]);
		if (read_jsonl(r, path, event_line, false, err, errlen))
			goto cleanup;
	}
	r->event_files = (unsigned int)n;
	r->have_events = n > 0;
	ret = r->have_events ? report_build_traces(r, err, errlen) : 0;
cleanup:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	return ret;
}

int report_load(const char *dir, struct report *r, char *err, size_t errlen)
{
	char path[4096];
	struct stat st;
	uint64_t flushes;
	struct where w = { .err = err, .errlen = errlen };

	memset(r, 0, sizeof(*r));
	strmap_init(&r->strings);
	if (stat(dir, &st)) {
		set_err(err, errlen, "cannot read run directory '%s': %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		set_err(err, errlen,
			"'%s' is not a directory (give the directory of a run, -o DIR)", dir);
		return -1;
	}
	r->dir = strdup(dir);
	if (!r->dir) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, SUMMARY_NAME);
	if (access(path, F_OK) && errno == ENOENT) {
		/* Cut short: the flush records are the run, as far as it went. */
		char flushes_path[4096];

		snprintf(flushes_path, sizeof(flushes_path), "%s/%s", dir, FLUSHES_NAME);
		w.file = path;
		if (access(flushes_path, F_OK))
			return bad(&w, "missing, and no %s either (is this a run's directory?)",
				   FLUSHES_NAME);
		r->cut_short = true;
		r->summary = report_recovered_summary();
		if (!r->summary)
			return bad(&w, "out of memory");
		if (read_jsonl(r, flushes_path, flush_line, true, err, errlen))
			return -1;
		if (!r->n_flushes)
			return bad(&w, "missing, and %s has no complete record", FLUSHES_NAME);
		report_finish_recovered(r->summary, r->flushes, r->n_flushes);
		if (read_summary(r, path, err, errlen))
			return -1;
		return read_events(r, err, errlen);
	}
	if (read_summary(r, path, err, errlen))
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, FLUSHES_NAME);
	if (read_jsonl(r, path, flush_line, true, err, errlen))
		return -1;
	/* A file cut at a line boundary still parses: the count tells. */
	w.file = path;
	if (!opt_u64(&w, r->audit, "flushes", &flushes) && json_object_get(r->audit, "flushes") &&
	    flushes != r->n_flushes)
		return bad(&w, "%zu records, but summary.json counts %" PRIu64 " (truncated?)",
			   r->n_flushes, flushes);
	if (read_events(r, err, errlen))
		return -1;
	return report_read_samples(r, err, errlen);
}

void report_free(struct report *r)
{
	for (size_t i = 0; i < r->n_procs; i++) {
		for (size_t k = 0; k < r->procs[i].n_io; k++)
			free(r->procs[i].io[k].hist);
		free(r->procs[i].io);
		free(r->procs[i].sys);
		report_free_usdt(&r->procs[i]);
	}
	for (size_t i = 0; i < r->n_stages; i++)
		free(r->stages[i].hist);
	free(r->procs);
	free(r->stages);
	free(r->flushes);
	free(r->spans);
	free(r->traces);
	strmap_free(&r->strings);
	report_free_samples(r);
	json_decref(r->summary);
	free(r->dir);
	memset(r, 0, sizeof(*r));
}
