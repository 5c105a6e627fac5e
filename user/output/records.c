// SPDX-License-Identifier: MIT
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include "common/clock.h"
#include "common/text.h"
#include "output/format.h"
#include "output/records.h"
#include "probes/syscall_table.h"

void run_info_init(struct run_info *ri)
{
	struct utsname u;

	memset(ri, 0, sizeof(*ri));
	ri->exit_status = -1;
	ri->wait_status = -1;
	ri->ended_after_s = -1;
	ri->started_at = clock_real_s();
	if (gethostname(ri->hostname, sizeof(ri->hostname) - 1))
		strcpy(ri->hostname, "unknown");
	if (!uname(&u))
		snprintf(ri->kernel, sizeof(ri->kernel), "%s", u.release);
}

void run_info_set_end(struct run_info *ri, int wait_status, double after_s)
{
	ri->wait_status = wait_status;
	ri->ended_after_s = after_s;
	ri->exit_status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status)
						 : 128 + WTERMSIG(wait_status);
}

/* "SIGSEGV"; "signal 42" without a name. */
static void signal_name(int sig, char *buf, size_t len)
{
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev)
		snprintf(buf, len, "SIG%s", abbrev);
	else
		snprintf(buf, len, "signal %d", sig);
}

void run_info_end_text(const struct run_info *ri, char *buf, size_t len)
{
	int ws = ri->wait_status, n;
	char sig[32];

	if (!len)
		return;
	buf[0] = '\0';
	if (ws < 0 || ri->mode == TARGET_SYSTEM)
		return;
	if (WIFSIGNALED(ws)) {
		signal_name(WTERMSIG(ws), sig, sizeof(sig));
		n = snprintf(buf, len, "target %d killed by %s%s", (int)ri->pid, sig,
			     WCOREDUMP(ws) ? " (core dumped)" : "");
	} else {
		n = snprintf(buf, len, "target %d exited with status %d", (int)ri->pid,
			     WEXITSTATUS(ws));
	}
	if (n > 0 && (size_t)n < len && ri->ended_after_s >= 0)
		n += snprintf(buf + n, len - (size_t)n, " after %.1f s", ri->ended_after_s);
	if (n > 0 && (size_t)n < len && ri->have_cpu) {
		char user[32], sys[32];

		snprintf(buf + n, len - (size_t)n, ", CPU time %s user, %s system",
			 fmt_duration(ri->cpu_user_us * 1000, user, sizeof(user)),
			 fmt_duration(ri->cpu_system_us * 1000, sys, sizeof(sys)));
	}
}

void format_rfc3339(double unix_s, char *buf, size_t len)
{
	long long total_ms = llround(unix_s * 1000);
	time_t secs = (time_t)(total_ms / 1000);
	int ms = (int)(total_ms % 1000);
	struct tm tm;
	char base[32];

	gmtime_r(&secs, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", base, ms);
}

static json_t *u64(uint64_t v)
{
	return json_integer((json_int_t)v);
}

/* The quantiles the JSON contract has (p50, p95, p99), max only for I/O. */
static json_t *latency_json(const struct latency *l, bool with_max)
{
	json_t *o = json_pack("{s:o, s:o, s:o}", "p50", u64(l->q[LAT_P50]), "p95",
			      u64(l->q[LAT_P95]), "p99", u64(l->q[LAT_P99]));

	if (o && with_max)
		json_object_set_new(o, "max", u64(l->max_ns));
	return o;
}

/* --sample N: the counts are scaled; say what was really recorded. */
static unsigned int sample_every(const struct stage_table *t)
{
	return t && t->sample_every > 1 ? t->sample_every : 1;
}

/* The histogram itself, so a reader rebuilds it exactly: [lower bound in
 * ns, count] for each non-empty bucket of the bpf/hist_layout.h layout. */
static json_t *buckets_json(const struct histogram *h)
{
	json_t *arr = json_array();

	for (unsigned int i = 0; h && i < HIST_BUCKETS; i++)
		if (h->buckets[i])
			json_array_append_new(arr, json_pack("[o, o]", u64(hist_bucket_lower(i)),
							     u64(h->buckets[i])));
	return arr;
}

static const char *const io_kind_names[IO_KIND_NR] = {
	[IO_KIND_FILE] = "file", [IO_KIND_SOCKET] = "socket", [IO_KIND_PIPE] = "pipe",
	[IO_KIND_TTY] = "tty",	 [IO_KIND_OTHER] = "other",
};

/* In the order the JSON lists them. */
const enum io_kind io_kind_order[IO_KIND_NR] = {
	IO_KIND_FILE, IO_KIND_SOCKET, IO_KIND_PIPE, IO_KIND_TTY, IO_KIND_OTHER,
};

const char *io_kind_name(unsigned int k)
{
	return k < IO_KIND_NR ? io_kind_names[k] : NULL;
}

/* "wall": where the time went (sums to self_ns for a stage). */
json_t *wall_json(const struct wall_stats *w)
{
	return json_pack("{s:o, s:o, s:o, s:{s:o, s:o, s:o, s:o}}", "on_cpu_ns", u64(w->on_cpu_ns),
			 "runqueue_ns", u64(w->runqueue_ns), "blocked_ns", u64(wall_blocked_ns(w)),
			 "blocked", "io_ns", u64(w->blocked_ns[WALL_BLOCK_IO]), "lock_ns",
			 u64(w->blocked_ns[WALL_BLOCK_LOCK]), "sleep_ns",
			 u64(w->blocked_ns[WALL_BLOCK_SLEEP]), "other_ns",
			 u64(w->blocked_ns[WALL_BLOCK_OTHER]));
}

json_t *faults_json(const struct wall_stats *w)
{
	return json_pack("{s:o, s:o}", "minor", u64(w->faults_minor), "major", u64(w->faults_major));
}

/* {"file": {...}, "socket": ..., "pipe", "tty", "other"}: every kind, always. */
json_t *io_by_kind_json(const struct kind_io k[IO_KIND_NR])
{
	json_t *o = json_object();

	for (unsigned int i = 0; i < IO_KIND_NR; i++) {
		const struct kind_io *x = &k[io_kind_order[i]];

		json_object_set_new(o, io_kind_names[io_kind_order[i]],
				    json_pack("{s:o, s:o, s:o, s:o}", "ops", u64(x->ops),
					      "bytes_read", u64(x->bytes_read), "bytes_written",
					      u64(x->bytes_written), "time_ns", u64(x->time_ns)));
	}
	return o;
}

static json_t *stages_json(const struct proc_profile *p, const struct stage_table *t)
{
	json_t *arr = json_array();

	for (uint32_t id = 0; id < proc_stage_ids(p, t); id++) {
		const struct stage_counters *c = &p->stages[id];
		const struct stage_def *d = &t->v[id];
		struct latency lat;
		json_t *st;

		/* Listed with calls that all ended without returning too. */
		if ((!c->calls && !c->io_ops && !c->total_ns && !c->calls_unfinished) ||
		    d->usdt_hits)
			continue;
		stage_latency(&lat, c);
		st = json_pack(
			"{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:{s:o, s:o, s:o, s:o}}",
			"name", json_text(d->name), "binary", json_text(d->binary), "calls",
			u64(c->calls), "calls_clamped", u64(c->calls_clamped), "calls_unfinished",
			u64(c->calls_unfinished), "total_ns", u64(c->total_ns), "self_ns",
			u64(c->self_ns), "max_ns", u64(c->max_ns), "latency_ns",
			latency_json(&lat, false), "io", "ops", u64(c->io_ops), "bytes_read",
			u64(c->io_bytes_read), "bytes_written", u64(c->io_bytes_written), "time_ns",
			u64(c->io_time_ns));

		/* A symbol need not be UTF-8: kept, with its bytes, not dropped. */
		json_add_raw_hex(st, "name", d->name);
		json_add_raw_hex(st, "binary", d->binary);
		json_object_set_new(json_object_get(st, "io"), "by_kind",
				    io_by_kind_json(c->wall.io));
		json_object_set_new(st, "wall", wall_json(&c->wall));
		json_object_set_new(st, "faults", faults_json(&c->wall));
		if (st && sample_every(t) > 1)
			json_object_set_new(st, "calls_recorded", u64(c->calls / sample_every(t)));
		json_object_set_new(st, "buckets", buckets_json(c->hist));
		json_array_append_new(arr, st);
	}
	return arr;
}

/* -U PROVIDER:NAME hit counts: [{provider, name, binary, hits}]. NULL
 * when no spec asked for any, so that runs without them keep their keys. */
static json_t *usdt_json(const struct proc_profile *p, const struct stage_table *t)
{
	json_t *arr = NULL;
	bool any = false;

	for (size_t id = 0; t && id < t->n; id++)
		any |= t->v[id].usdt_hits;
	if (!any)
		return NULL;
	arr = json_array();
	for (uint32_t id = 0; id < proc_stage_ids(p, t); id++) {
		const struct stage_def *d = &t->v[id];
		const char *colon = strchr(d->name, ':');

		if (!d->usdt_hits || !p->stages[id].calls || !colon)
			continue;
		json_array_append_new(arr, json_pack("{s:s%, s:s, s:s, s:o}", "provider", d->name,
						     (size_t)(colon - d->name), "name", colon + 1,
						     "binary", d->binary, "hits",
						     u64(p->stages[id].calls)));
	}
	return arr;
}

json_t *proc_to_json(const struct proc_profile *p, const struct stage_table *stages)
{
	json_t *sys = json_object(), *io = json_object(), *j, *usdt = usdt_json(p, stages);
	struct kind_io by_kind[IO_KIND_NR];
	struct io_totals t;

	for (unsigned int nr = 0; nr < MAX_SYSCALL_NR; nr++) {
		const struct syscall_counters *c = &p->sys[nr];
		const char *name = syscall_name(nr);
		struct latency lat;

		if (!c->count)
			continue;
		json_object_set_new(sys, name,
				    json_pack("{s:o, s:o, s:o}", "count", u64(c->count), "errors",
					      u64(c->errors), "time_ns", u64(c->time_ns)));
		if (!proc_io_syscall(p, nr))
			continue;
		io_latency(&lat, c);
		json_object_set_new(io, name,
				    json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "ops",
					      u64(c->count), "bytes", u64(c->bytes), "errors",
					      u64(c->errors), "time_ns", u64(c->time_ns),
					      "latency_ns", latency_json(&lat, true), "buckets",
					      buckets_json(c->hist)));
	}
	proc_io_totals(p, &t);
	proc_io_by_kind(p, by_kind);
	j = json_pack("{s:i, s:o, s:o, s:o, s:{s:o, s:o, s:o, s:o}, s:o, s:o, s:o, s:o}", "pid",
		      (int)p->pid, "comm", json_text(p->comm), "syscalls", sys, "io", io,
		      "io_totals", "ops", u64(t.ops), "bytes_read", u64(t.bytes_read),
		      "bytes_written", u64(t.bytes_written), "errors", u64(t.errors), "io_by_kind",
		      io_by_kind_json(by_kind), "wall", wall_json(&p->wall), "faults",
		      faults_json(&p->wall), "stages", stages_json(p, stages));
	json_add_raw_hex(j, "comm", p->comm);
	if (j && usdt)
		json_object_set_new(j, "usdt", usdt);
	else
		json_decref(usdt);
	return j;
}

static const char *const audit_names[AUDIT_ALL_SLOTS] = {
	[AUDIT_SYS_MAP_FULL] = "syscalls_lost_map_full",
	[AUDIT_IO_MAP_FULL] = "io_lost_map_full",
	[AUDIT_TASK_STATE_FAILED] = "syscalls_lost_no_task_state",
	[AUDIT_EXIT_WITHOUT_ENTER] = "syscalls_in_flight_at_attach",
	[AUDIT_MMSG_TRUNCATED] = "mmsg_bytes_truncated",
	[AUDIT_PROC_MAP_FULL] = "proc_names_lost",
	[AUDIT_STAGE_MAP_FULL] = "stage_calls_lost_map_full",
	[AUDIT_STAGE_TOO_DEEP] = "stage_calls_lost_too_deep",
	[AUDIT_STAGE_UNFINISHED] = "stage_calls_unfinished",
	[AUDIT_STAGE_ORPHAN_RETURN] = "stage_returns_without_entry",
	[AUDIT_STAGE_ENTRIES] = "stage_calls_entered",
	[AUDIT_SPAN_LOST] = "span_events_lost_ring_full",
	[AUDIT_FOLLOW_MAP_FULL] = "children_not_followed",
	[AUDIT_STAGE_CLAMPED] = "stage_calls_clamped",
	[AUDIT_CPU_SAMPLES] = "cpu_samples_taken",
	[AUDIT_SAMPLE_MAP_FULL] = "cpu_samples_lost_map_full",
	[AUDIT_SAMPLE_USTACK_LOST] = "cpu_samples_user_stack_lost",
	[AUDIT_SAMPLE_KSTACK_LOST] = "cpu_samples_kernel_stack_lost",
	[AUDIT_SAMPLE_CUT_SHORT] = "cpu_samples_stack_cut_short",
	[AUDIT_WALL_NO_START] = "wall_spans_before_attach",
	[AUDIT_WALL_CLAMPED] = "wall_off_cpu_scaled_to_self",
	[AUDIT_USDT_OTHER_CALLS] = "usdt_calls_over_names_cap",
	[AUDIT_USDT_OTHER_NAMES] = "usdt_names_over_cap",
	[AUDIT_SPAN_DROPPED] = "span_events_dropped_queue_full",
	[AUDIT_SPAN_UNWRITTEN] = "span_events_not_written",
	[AUDIT_SPAN_WRITTEN] = "span_events_written",
};

/* Slots that are data bpfprof failed to record (the rest are facts). */
static bool audit_is_loss(unsigned int slot)
{
	switch (slot) {
	case AUDIT_EXIT_WITHOUT_ENTER:
	case AUDIT_STAGE_UNFINISHED:
	case AUDIT_STAGE_ORPHAN_RETURN:
	case AUDIT_STAGE_ENTRIES:
	case AUDIT_STAGE_CLAMPED:
	case AUDIT_SPAN_WRITTEN:
	case AUDIT_CPU_SAMPLES:
	case AUDIT_SAMPLE_CUT_SHORT:
	case AUDIT_WALL_NO_START:
	case AUDIT_WALL_CLAMPED: /* the split fitted to self time: nothing dropped */
	case AUDIT_USDT_OTHER_CALLS: /* counted, under (other) */
	case AUDIT_USDT_OTHER_NAMES:
		return false;
	default:
		return true;
	}
}

const char *audit_slot_name(unsigned int slot)
{
	return slot < AUDIT_ALL_SLOTS ? audit_names[slot] : NULL;
}

bool audit_slot_is_loss(unsigned int slot)
{
	return audit_is_loss(slot);
}

uint64_t audit_lost(const uint64_t audit[AUDIT_ALL_SLOTS])
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < AUDIT_ALL_SLOTS; i++)
		if (audit_is_loss(i))
			n += audit[i];
	return n;
}

json_t *audit_to_json(const uint64_t audit[AUDIT_ALL_SLOTS])
{
	json_t *a = json_object();

	json_object_set_new(a, "lost_total", u64(audit_lost(audit)));
	for (unsigned int i = 0; i < AUDIT_ALL_SLOTS; i++)
		json_object_set_new(a, audit_names[i], u64(audit[i]));
	return a;
}

static json_t *procs_json(const struct profile *p, const struct stage_table *stages)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < p->n; i++)
		json_array_append_new(arr, proc_to_json(p->procs[i], stages));
	return arr;
}

static json_t *target_json(const struct run_info *ri)
{
	static const char *const modes[] = { "system", "pid", "command" };
	json_t *t = json_pack("{s:s}", "mode", modes[ri->mode]);

	if (ri->mode != TARGET_SYSTEM)
		json_object_set_new(t, "pid", json_integer(ri->pid));
	json_object_set_new(t, "follow", json_boolean(ri->follow));
	if (ri->comm)
		json_object_set_new(t, "comm", json_string(ri->comm));
	json_object_set_new(t, "syscalls_counted", json_boolean(!ri->stages_only));
	if (ri->mode == TARGET_COMMAND) {
		json_t *argv = json_array();

		for (char *const *a = ri->argv; a && *a; a++)
			json_array_append_new(argv, json_text(*a));
		json_object_set_new(t, "argv", argv);
	}
	if (ri->mode != TARGET_SYSTEM && ri->exit_status >= 0)
		json_object_set_new(t, "exit_status", json_integer(ri->exit_status));
	if (ri->mode != TARGET_SYSTEM && ri->wait_status >= 0) {
		int ws = ri->wait_status;
		json_t *end;
		char sig[32];

		if (WIFSIGNALED(ws)) {
			signal_name(WTERMSIG(ws), sig, sizeof(sig));
			end = json_pack("{s:s, s:b}", "signal", sig, "core_dumped",
					WCOREDUMP(ws) != 0);
		} else {
			end = json_pack("{s:i}", "exit_code", WEXITSTATUS(ws));
		}
		if (end && ri->ended_after_s >= 0)
			json_object_set_new(end, "after_s",
					    json_real(round(ri->ended_after_s * 1000) / 1000));
		if (end && ri->have_cpu) {
			json_object_set_new(end, "cpu_user_s", json_real(ri->cpu_user_us / 1e6));
			json_object_set_new(end, "cpu_system_s",
					    json_real(ri->cpu_system_us / 1e6));
		}
		if (end)
			json_object_set_new(t, "ended", end);
	}
	return t;
}

json_t *summary_to_json(const struct run_info *ri, const struct profile *total,
			const struct stage_table *stages, double duration_s, uint64_t flushes)
{
	json_t *audit = audit_to_json(total->audit);
	const uint64_t *a = total->audit;
	/* The audit counts recorded calls: unscale the profile's. */
	uint64_t closed = (profile_stage_calls(total) - profile_usdt_hits(total, stages)) /
				  sample_every(stages) +
			  a[AUDIT_STAGE_MAP_FULL] + a[AUDIT_STAGE_UNFINISHED];
	char started[64];

	/* Only the summary counts these: in a flush record they would not sum. */
	json_object_set_new(audit, "flushes", u64(flushes));
	/* Calls still running when profiling stopped (main(), a server loop). */
	json_object_set_new(audit, "stage_calls_open_at_end",
			    u64(a[AUDIT_STAGE_ENTRIES] > closed ? a[AUDIT_STAGE_ENTRIES] - closed : 0));
	format_rfc3339(ri->started_at, started, sizeof(started));
	return json_pack("{s:s, s:s, s:f, s:{s:s, s:s}, s:o, s:s?, s:o, s:o}", "schema",
			 SUMMARY_SCHEMA, "started_at", started, "duration_s", duration_s, "host",
			 "hostname", ri->hostname, "kernel", ri->kernel, "target", target_json(ri),
			 "end_reason", ri->end_reason, "processes", procs_json(total, stages), "audit",
			 audit);
}

json_t *flush_to_json(uint64_t index, double timestamp, double duration_s,
		      const struct profile *delta, const struct stage_table *stages)
{
	return json_pack("{s:s, s:o, s:f, s:f, s:o, s:o}", "schema", FLUSH_SCHEMA, "flush_index",
			 u64(index), "timestamp", timestamp, "duration_s", duration_s, "processes",
			 procs_json(delta, stages), "audit", audit_to_json(delta->audit));
}

/* To 0.1 ns and 0.01%: more digits would be noise. */
static void put_rounded(json_t *j, const char *key, double v, double scale)
{
	if (v >= 0)
		json_object_set_new(j, key, json_real(round(v * scale) / scale));
}

json_t *cost_json(const struct cost_figures *f)
{
	json_t *j = json_pack("{s:I, s:I}", "target_syscalls", (json_int_t)f->target_syscalls,
			      "stage_calls", (json_int_t)f->stage_calls);

	if (!j)
		return NULL;
	put_rounded(j, "ns_per_syscall", f->ns_per_syscall, 10);
	put_rounded(j, "syscall_program_ns", f->syscall_program_ns, 10);
	put_rounded(j, "ns_per_stage_call", f->ns_per_stage_call, 10);
	put_rounded(j, "stage_program_ns", f->stage_program_ns, 10);
	put_rounded(j, "stage_probe_ns", f->stage_probe_ns, 10);
	put_rounded(j, "syscall_cost_ns", f->syscall_cost_ns, 1);
	put_rounded(j, "stage_cost_ns", f->stage_cost_ns, 1);
	put_rounded(j, "target_cpu_pct", f->target_cpu_pct, 100);
	put_rounded(j, "stage_cpu_pct", f->stage_cpu_pct, 100);
	return j;
}

/* "audit.cost": the figures and how they were measured. */
static void add_cost(json_t *rec, const struct cost_record *c)
{
	json_t *audit = json_object_get(rec, "audit"), *j = cost_json(c->figures), *win;
	const struct cost_rates *r = &c->window;

	if (!j)
		return;
	if (!audit) {
		audit = json_object();
		json_object_set_new(rec, "audit", audit);
	}
	win = json_pack("{s:f, s:i, s:I, s:I, s:I, s:I, s:I}", "seconds",
			round(c->window_s * 1e4) / 1e4, "windows", (int)c->windows,
			"bpf_run_time_ns", (json_int_t)r->bpf_run_time_ns, "syscall_events",
			(json_int_t)r->syscall_events, "stage_calls", (json_int_t)r->stage_calls,
			"stage_calls_recorded", (json_int_t)r->stage_recorded, "stage_program_runs",
			(json_int_t)c->stage_program_runs);
	json_object_set_new(j, "measured", json_string(c->measured));
	json_object_set_new(j, "window_share_pct", json_real(c->window_share_pct));
	json_object_set_new(j, "window", win);
	json_object_set_new(j, "carried_forward", json_boolean(c->carried_forward));
	json_object_set_new(audit, "cost", j);
}

json_t *run_meta_json(const struct run_meta *m)
{
	json_t *argv = json_array();
	json_t *j;

	for (int i = 0; i < m->argc && m->argv[i]; i++)
		json_array_append_new(argv, json_text(m->argv[i]));
	j = json_pack("{s:s, s:s, s:s, s:o}", "hostname", m->hostname, "kernel", m->kernel,
		      "bpfprof_version", m->version, "command_line", argv);
	if (j && m->exe[0])
		json_object_set_new(j, "target_exe", json_text(m->exe));
	if (j && m->build_id[0])
		json_object_set_new(j, "target_build_id", json_string(m->build_id));
	return j;
}

/* Percentages to 0.01, so the JSON reads 12.34, not 12.3399999. */
static json_t *pct(double v)
{
	return json_real(round(v * 100) / 100);
}

static json_t *point_json(const struct telemetry_point *pt)
{
	const struct proc_telemetry *t = &pt->t;
	json_t *j = json_pack("{s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:{s:o, s:o}}", "pid",
			      (int)t->pid, "comm", json_text(t->comm), "rss_bytes", u64(t->rss_bytes),
			      "vsize_bytes", u64(t->vsize_bytes), "threads", u64(t->threads),
			      "cpu_user_ns", u64(t->utime_ns), "cpu_system_ns", u64(t->stime_ns),
			      "ctx_switches", "voluntary", u64(t->ctxt_voluntary), "involuntary",
			      u64(t->ctxt_involuntary));

	if (!j)
		return NULL;
	json_add_raw_hex(j, "comm", t->comm);
	if (pt->has_cpu) {
		json_object_set_new(j, "cpu_user_pct", pct(pt->cpu_user_pct));
		json_object_set_new(j, "cpu_system_pct", pct(pt->cpu_system_pct));
	}
	if (t->have_io)
		json_object_set_new(j, "io",
				    json_pack("{s:o, s:o, s:o, s:o}", "rchar", u64(t->rchar),
					      "wchar", u64(t->wchar), "read_bytes",
					      u64(t->read_bytes), "write_bytes",
					      u64(t->write_bytes)));
	if (t->state == 'Z')
		json_object_set_new(j, "exited", json_true());
	return j;
}

json_t *telemetry_round_json(const struct telemetry_set *s)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < s->n_round; i++)
		json_array_append_new(arr, point_json(&s->round[i]));
	return arr;
}

static json_t *track_json(const struct telemetry_track *tr)
{
	json_t *j = json_pack("{s:i, s:o, s:o, s:o, s:o}", "pid", (int)tr->last.t.pid, "comm",
			      json_text(tr->last.t.comm), "samples", u64(tr->samples), "first",
			      point_json(&tr->first), "last", point_json(&tr->last));
	double user, sys;

	if (!j)
		return NULL;
	json_add_raw_hex(j, "comm", tr->last.t.comm);
	if (tr->has_mem) {
		json_object_set_new(j, "min",
				    json_pack("{s:o, s:o, s:o}", "rss_bytes", u64(tr->min_rss),
					      "vsize_bytes", u64(tr->min_vsize), "threads",
					      u64(tr->min_threads)));
		json_object_set_new(j, "max",
				    json_pack("{s:o, s:o, s:o}", "rss_bytes", u64(tr->max_rss),
					      "vsize_bytes", u64(tr->max_vsize), "threads",
					      u64(tr->max_threads)));
	}
	if (tr->has_cpu) {
		json_t *mn = json_object_get(j, "min"), *mx = json_object_get(j, "max");

		if (!mn) {
			json_object_set_new(j, "min", mn = json_object());
			json_object_set_new(j, "max", mx = json_object());
		}
		json_object_set_new(mn, "cpu_user_pct", pct(tr->min_user_pct));
		json_object_set_new(mn, "cpu_system_pct", pct(tr->min_system_pct));
		json_object_set_new(mx, "cpu_user_pct", pct(tr->max_user_pct));
		json_object_set_new(mx, "cpu_system_pct", pct(tr->max_system_pct));
	}
	/* Over the whole time it was watched. */
	if (!telemetry_cpu_pct(&tr->first.t, &tr->last.t, &user, &sys)) {
		json_object_set_new(j, "cpu_user_pct", pct(user));
		json_object_set_new(j, "cpu_system_pct", pct(sys));
	}
	return j;
}

json_t *telemetry_summary_json(const struct telemetry_set *s)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < s->n_tracks; i++)
		json_array_append_new(arr, track_json(&s->tracks[i]));
	return arr;
}

json_t *output_json(const struct output_record *o)
{
	return json_pack("{s:I, s:I, s:s?}", "flush_records_written",
			 (json_int_t)o->flush_records_written, "flush_records_lost",
			 (json_int_t)o->flush_records_lost, "write_error",
			 o->write_error ? strerror(o->write_error) : NULL);
}

static json_t *events_json(const struct events_record *e)
{
	const struct rotate_policy *r = &e->rotate;

	return json_pack("{s:o, s:I, s:I, s:s, s:I, s:{s:I, s:f, s:b}}", "files",
			 rjsonl_files_json(e->files), "ring_bytes", (json_int_t)e->ring_bytes,
			 "queue_records", (json_int_t)e->queue_records, "queue_overflow",
			 "drop newest", "clock_offset_ns", (json_int_t)e->clock_offset_ns, "rotate",
			 "bytes", (json_int_t)r->max_bytes, "secs", r->max_secs, "gzip", r->gzip);
}

json_t *flush_record_json(uint64_t index, double timestamp, double duration_s,
			  const struct profile *delta, const struct stage_table *stages,
			  const struct run_record *run)
{
	json_t *rec = flush_to_json(index, timestamp, duration_s, delta, stages);

	if (!rec)
		return NULL;
	json_object_set_new(rec, "run", run_meta_json(run->meta));
	json_object_set_new(rec, "telemetry", telemetry_round_json(run->telemetry));
	json_object_set_new(rec, "sample_every", json_integer(run->sample_every));
	if (run->stages) {
		json_object_set_new(rec, "stages_enabled", json_boolean(run->stages_enabled));
		json_object_set_new(rec, "stages_on_s",
				    json_real(round(run->stages_on_s * 1000) / 1000));
		json_object_set_new(rec, "stage_toggles", u64(run->stage_toggles));
		if (run->stages_off_by_max_overhead)
			json_object_set_new(rec, "stages_off_by_max_overhead", json_true());
	}
	if (run->cost)
		add_cost(rec, run->cost);
	if (run->cpu_samples)
		json_object_set_new(rec, "cpu_samples", sample_tops_to_json(run->cpu_samples));
	return rec;
}

/* To 0.1 ns: more digits would be noise. */
static void put_ns(json_t *j, const char *key, double v)
{
	if (v >= 0)
		json_object_set_new(j, key, json_real(round(v * 10) / 10));
}

static json_t *time_correction_json(const struct time_correction_record *t)
{
	json_t *j = json_pack("{s:b, s:[]}", "applied", t->applied, "mechanisms");
	json_t *mechs = json_object_get(j, "mechanisms");

	for (size_t i = 0; j && i < t->n_mechs; i++) {
		const struct time_correction_mech *m = &t->mechs[i];
		json_t *o = json_pack("{s:s, s:s}", "entry", m->entry, "return", m->ret);

		put_ns(o, "in_call_ns", m->in_call_ns);
		put_ns(o, "per_call_ns", m->per_call_ns);
		put_ns(o, "calibrated_in_call_ns", m->calibrated_in_call_ns);
		put_ns(o, "calibrated_per_call_ns", m->calibrated_per_call_ns);
		put_ns(o, "calibrated_program_ns", m->calibrated_program_ns);
		if (m->stats_extra_per_call_ns > 0) {
			put_ns(o, "stats_on_extra_in_call_ns", m->stats_extra_in_call_ns);
			put_ns(o, "stats_on_extra_per_call_ns", m->stats_extra_per_call_ns);
		}
		if (m->have_range) {
			put_ns(o, "in_call_ns_min", m->in_call_ns_min);
			put_ns(o, "in_call_ns_max", m->in_call_ns_max);
			put_ns(o, "per_call_ns_min", m->per_call_ns_min);
			put_ns(o, "per_call_ns_max", m->per_call_ns_max);
		}
		if (m->have_recalibrated) {
			json_t *rc = json_object();

			put_ns(rc, "min", m->recalibrated_per_call_ns_min);
			put_ns(rc, "max", m->recalibrated_per_call_ns_max);
			put_ns(rc, "last", m->recalibrated_per_call_ns_last);
			json_object_set_new(o, "recalibrated_per_call_ns", rc);
		}
		json_array_append_new(mechs, o);
	}
	if (j) {
		put_ns(j, "run_program_ns", t->run_program_ns);
		json_object_set_new(j, "windows", json_integer(t->windows));
		if (t->recalibration_period_s) {
			json_object_set_new(j, "recalibrations", json_integer(t->recalibrations));
			json_object_set_new(j, "recalibration_period_s",
					    json_integer(t->recalibration_period_s));
		}
		json_object_set_new(j, "uncorrected_functions",
				    json_integer((json_int_t)t->uncorrected_functions));
	}
	return j;
}

json_t *summary_record_json(const struct run_info *ri, const struct profile *total,
			    const struct stage_table *stages, double duration_s, uint64_t flushes,
			    const struct events_record *events, const struct run_record *run,
			    const struct output_record *output)
{
	json_t *sum = summary_to_json(ri, total, stages, duration_s, flushes);

	if (!sum)
		return NULL;
	if (events)
		json_object_set_new(sum, "events", events_json(events));
	if (run) {
		json_object_set_new(sum, "run", run_meta_json(run->meta));
		json_object_set_new(sum, "telemetry", telemetry_summary_json(run->telemetry));
		if (run->telemetry->untracked)
			json_object_set_new(sum, "telemetry_untracked_samples",
					    u64(run->telemetry->untracked));
		json_object_set_new(sum, "sample_every", json_integer(run->sample_every));
		if (run->stages) {
			json_object_set_new(sum, "stages_enabled",
					    json_boolean(run->stages_enabled));
			json_object_set_new(sum, "stage_toggles", u64(run->stage_toggles));
		}
		if (run->time_correction)
			json_object_set_new(json_object_get(sum, "audit"), "time_correction",
					    time_correction_json(run->time_correction));
		if (run->cost)
			add_cost(sum, run->cost);
		if (run->cpu_samples)
			json_object_set_new(sum, "cpu_samples",
					    sample_tops_to_json(run->cpu_samples));
	}
	if (output)
		json_object_set_new(sum, "output", output_json(output));
	return sum;
}

static json_t *tops_procs_json(const struct sample_tops *t)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < t->n; i++) {
		const struct proc_samples *p = &t->procs[i];
		json_t *fns = json_array();

		for (size_t j = 0; j < p->n_top; j++)
			json_array_append_new(fns, json_pack("{s:s, s:o}", "function",
							     p->top[j].name, "self_samples",
							     u64(p->top[j].self)));
		json_array_append_new(arr, json_pack("{s:i, s:s, s:o, s:o}", "pid", (int)p->pid,
						     "comm", p->comm, "samples", u64(p->samples),
						     "top_functions", fns));
	}
	return arr;
}

json_t *sample_tops_to_json(const struct sample_tops *t)
{
	return json_pack("{s:i, s:o, s:o, s:o}", "hz", (int)t->hz, "samples", u64(t->samples),
			 "samples_stack_cut_short", u64(t->cut_short), "processes",
			 tops_procs_json(t));
}

json_t *samples_header_to_json(unsigned int hz, uint64_t samples, uint64_t cut_short)
{
	return json_pack("{s:s, s:i, s:o, s:o}", "schema", SAMPLES_SCHEMA, "hz", (int)hz,
			 "samples", u64(samples), "samples_stack_cut_short", u64(cut_short));
}

static json_t *frames_json(const char *const *v, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_string(v[i]));
	return arr;
}

json_t *sample_stack_to_json(const struct sample_stack *st)
{
	return json_pack("{s:i, s:s, s:s?, s:o, s:b, s:o, s:o}", "pid", (int)st->pid, "comm",
			 st->comm, "stage", st->stage, "count", u64(st->count), "cut_short",
			 st->cut_short, "user", frames_json(st->user, st->n_user), "kernel",
			 frames_json(st->kernel, st->n_kernel));
}
