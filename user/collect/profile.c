// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "collect/profile.h"
#include "probes/syscall_table.h"

void profile_init(struct profile *p)
{
	memset(p, 0, sizeof(*p));
}

static void proc_free(struct proc_profile *pp)
{
	if (!pp)
		return;
	if (pp->shares) {
		pp->shares--;
		return;
	}
	for (unsigned int i = 0; i < MAX_SYSCALL_NR; i++)
		free(pp->sys[i].hist);
	for (uint32_t i = 0; i < pp->n_stages; i++)
		free(pp->stages[i].hist);
	free(pp->stages);
	free(pp);
}

void profile_free(struct profile *p)
{
	for (size_t i = 0; i < p->n; i++)
		proc_free(p->procs[i]);
	free(p->procs);
	profile_init(p);
}

static size_t proc_slot(const struct profile *p, uint32_t pid)
{
	size_t lo = 0, hi = p->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (p->procs[mid]->pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct proc_profile *profile_find(const struct profile *p, uint32_t pid)
{
	size_t i = proc_slot(p, pid);

	return i < p->n && p->procs[i]->pid == pid ? p->procs[i] : NULL;
}

struct proc_profile *profile_proc(struct profile *p, uint32_t pid, bool create)
{
	size_t i = proc_slot(p, pid);
	struct proc_profile *pp;

	if (i < p->n && p->procs[i]->pid == pid)
		return p->procs[i];
	if (!create)
		return NULL;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct proc_profile **v = realloc(p->procs, cap * sizeof(*v));

		if (!v)
			return NULL;
		p->procs = v;
		p->cap = cap;
	}
	pp = calloc(1, sizeof(*pp));
	if (!pp)
		return NULL;
	pp->pid = pid;
	memmove(&p->procs[i + 1], &p->procs[i], (p->n - i) * sizeof(*p->procs));
	p->procs[i] = pp;
	p->n++;
	return pp;
}

struct histogram *proc_hist(struct syscall_counters *c)
{
	if (!c->hist)
		c->hist = calloc(1, sizeof(*c->hist));
	return c->hist;
}

struct stage_counters *proc_stage(struct proc_profile *p, uint32_t id)
{
	if (id >= p->n_stages) {
		uint32_t n = id + 1 > p->n_stages * 2 ? id + 1 : p->n_stages * 2;
		struct stage_counters *v = realloc(p->stages, n * sizeof(*v));

		if (!v)
			return NULL;
		memset(v + p->n_stages, 0, (n - p->n_stages) * sizeof(*v));
		p->stages = v;
		p->n_stages = n;
	}
	return &p->stages[id];
}

void stage_counters_add(struct stage_counters *d, const struct stage_counters *c)
{
	d->calls += c->calls;
	d->total_ns += c->total_ns;
	d->self_ns += c->self_ns;
	if (c->max_ns > d->max_ns)
		d->max_ns = c->max_ns;
	d->calls_clamped += c->calls_clamped;
	d->calls_unfinished += c->calls_unfinished;
	d->io_ops += c->io_ops;
	d->io_bytes_read += c->io_bytes_read;
	d->io_bytes_written += c->io_bytes_written;
	d->io_time_ns += c->io_time_ns;
	wall_stats_add(&d->wall, &c->wall);
}

/* dst += src, counter by counter (max is the larger). */
static int proc_add(struct proc_profile *dst, const struct proc_profile *src)
{
	/* A process retired with its name can come back nameless: its last
	 * switch out, after the exit the collector saw, charges its wall time
	 * to a new entry, and by then neither the kernel side nor /proc has
	 * its name. */
	if (!dst->comm[0])
		memcpy(dst->comm, src->comm, sizeof(dst->comm));
	wall_stats_add(&dst->wall, &src->wall);
	for (unsigned int nr = 0; nr < MAX_SYSCALL_NR; nr++) {
		struct syscall_counters *d = &dst->sys[nr];
		const struct syscall_counters *c = &src->sys[nr];

		d->count += c->count;
		d->errors += c->errors;
		d->time_ns += c->time_ns;
		d->bytes += c->bytes;
		for (unsigned int k = 0; k < IO_KIND_NR; k++) {
			d->kind[k].ops += c->kind[k].ops;
			d->kind[k].bytes_read += c->kind[k].bytes_read;
			d->kind[k].bytes_written += c->kind[k].bytes_written;
			d->kind[k].time_ns += c->kind[k].time_ns;
		}
		if (c->max_ns > d->max_ns)
			d->max_ns = c->max_ns;
		if (c->hist) {
			if (!proc_hist(d))
				return -ENOMEM;
			hist_add(d->hist, c->hist);
		}
	}
	for (uint32_t id = 0; id < src->n_stages; id++) {
		const struct stage_counters *c = &src->stages[id];
		struct stage_counters *d;

		if (!c->calls && !c->hist && !c->calls_unfinished)
			continue;
		d = proc_stage(dst, id);
		if (!d)
			return -ENOMEM;
		stage_counters_add(d, c);
		if (c->hist) {
			if (!d->hist && !(d->hist = calloc(1, sizeof(*d->hist))))
				return -ENOMEM;
			hist_add(d->hist, c->hist);
		}
	}
	return 0;
}

int profile_keep_proc(struct profile *dst, struct proc_profile *src)
{
	size_t i = proc_slot(dst, src->pid);

	if (!(i < dst->n && dst->procs[i]->pid == src->pid) && !profile_proc(dst, src->pid, true))
		return -ENOMEM;
	proc_free(dst->procs[i]);
	src->shares++;
	dst->procs[i] = src;
	return 0;
}

int profile_add(struct profile *dst, const struct profile *src)
{
	size_t n = dst->n + src->n, i = 0, j = 0, k = 0;
	struct proc_profile **v;

	if (!src->n)
		return 0;
	v = malloc((n ? n : 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	/* Both sorted by pid: one merge, not an insertion per process. */
	while (i < dst->n || j < src->n) {
		if (j == src->n || (i < dst->n && dst->procs[i]->pid < src->procs[j]->pid)) {
			v[k++] = dst->procs[i++];
		} else if (i < dst->n && dst->procs[i]->pid == src->procs[j]->pid) {
			if (proc_add(dst->procs[i], src->procs[j]))
				goto nomem;
			v[k++] = dst->procs[i++];
			j++;
		} else {
			src->procs[j]->shares++;
			v[k++] = src->procs[j++];
		}
	}
	free(dst->procs);
	dst->procs = v;
	dst->n = k;
	dst->cap = n ? n : 1;
	return 0;
nomem:
	/* The shares taken so far go back; dst keeps its own (a snapshot
	 * that failed to read is not used). */
	for (size_t m = 0; m < k; m++)
		if (profile_find(dst, v[m]->pid) != v[m])
			proc_free(v[m]);
	free(v);
	return -ENOMEM;
}

void wall_stats_add(struct wall_stats *a, const struct wall_stats *b)
{
	uint64_t *x = (uint64_t *)a;
	const uint64_t *y = (const uint64_t *)b;

	for (size_t i = 0; i < WALL_STATS_N; i++)
		x[i] += y[i];
}

void wall_stats_sub(struct wall_stats *out, const struct wall_stats *cur,
		    const struct wall_stats *prev)
{
	uint64_t *o = (uint64_t *)out;
	const uint64_t *c = (const uint64_t *)cur, *p = (const uint64_t *)prev;

	for (size_t i = 0; i < WALL_STATS_N; i++)
		o[i] = c[i] - p[i];
}

bool wall_stats_equal(const struct wall_stats *a, const struct wall_stats *b)
{
	return !memcmp(a, b, sizeof(*a));
}

uint64_t wall_blocked_ns(const struct wall_stats *w)
{
	uint64_t n = 0;

	for (unsigned int k = 0; k < WALL_BLOCK_NR; k++)
		n += w->blocked_ns[k];
	return n;
}

void proc_io_by_kind(const struct proc_profile *p, struct kind_io out[IO_KIND_NR])
{
	memset(out, 0, IO_KIND_NR * sizeof(*out));
	for (unsigned int nr = 0; nr < MAX_SYSCALL_NR; nr++)
		for (unsigned int k = 0; k < IO_KIND_NR; k++) {
			out[k].ops += p->sys[nr].kind[k].ops;
			out[k].bytes_read += p->sys[nr].kind[k].bytes_read;
			out[k].bytes_written += p->sys[nr].kind[k].bytes_written;
			out[k].time_ns += p->sys[nr].kind[k].time_ns;
		}
}

bool proc_is_empty(const struct proc_profile *p)
{
	for (unsigned int i = 0; i < MAX_SYSCALL_NR; i++)
		if (p->sys[i].count)
			return false;
	return true;
}

/*
 * The interval's max cannot be derived from two cumulative maxima unless the
 * maximum grew (then the new one happened in the interval, exactly). Else it
 * is at most the highest bucket that gained observations.
 */
static uint64_t interval_max(uint64_t cur_max, uint64_t prev_max, const struct histogram *d)
{
	uint64_t bound;

	if (cur_max > prev_max)
		return cur_max;
	bound = hist_max_bound(d);
	return bound < cur_max ? bound : cur_max;
}

static int counters_delta(struct syscall_counters *out, const struct syscall_counters *cur,
			  const struct syscall_counters *prev)
{
	out->count = cur->count - prev->count;
	out->errors = cur->errors - prev->errors;
	out->time_ns = cur->time_ns - prev->time_ns;
	out->bytes = cur->bytes - prev->bytes;
	for (unsigned int k = 0; k < IO_KIND_NR; k++) {
		out->kind[k].ops = cur->kind[k].ops - prev->kind[k].ops;
		out->kind[k].bytes_read = cur->kind[k].bytes_read - prev->kind[k].bytes_read;
		out->kind[k].bytes_written =
			cur->kind[k].bytes_written - prev->kind[k].bytes_written;
		out->kind[k].time_ns = cur->kind[k].time_ns - prev->kind[k].time_ns;
	}
	if (cur->hist) {
		static const struct histogram empty;

		if (!proc_hist(out))
			return -ENOMEM;
		hist_delta(out->hist, cur->hist, prev->hist ? prev->hist : &empty);
		out->max_ns = out->count ? interval_max(cur->max_ns, prev->max_ns, out->hist) : 0;
	}
	return 0;
}

/* cur may be NULL (never allocated: nothing recorded), prev too. */
static bool hist_changed(const struct histogram *cur, const struct histogram *prev)
{
	if (!cur)
		return false;
	if (!prev)
		return hist_count(cur) != 0;
	return memcmp(cur, prev, sizeof(*cur)) != 0;
}

/* The kernel updates a counter's fields one after another, so a reading may
 * catch any subset of them moved: compare all. */
static bool counters_changed(const struct syscall_counters *cur, const struct syscall_counters *prev)
{
	if (cur->count != prev->count || cur->errors != prev->errors ||
	    cur->time_ns != prev->time_ns || cur->bytes != prev->bytes ||
	    cur->max_ns != prev->max_ns)
		return true;
	return hist_changed(cur->hist, prev->hist);
}

static bool stage_changed(const struct stage_counters *cur, const struct stage_counters *prev)
{
	if (cur->calls != prev->calls || cur->total_ns != prev->total_ns ||
	    cur->self_ns != prev->self_ns || cur->max_ns != prev->max_ns ||
	    cur->calls_clamped != prev->calls_clamped ||
	    cur->calls_unfinished != prev->calls_unfinished || cur->io_ops != prev->io_ops ||
	    cur->io_bytes_read != prev->io_bytes_read ||
	    cur->io_bytes_written != prev->io_bytes_written ||
	    cur->io_time_ns != prev->io_time_ns || !wall_stats_equal(&cur->wall, &prev->wall))
		return true;
	return hist_changed(cur->hist, prev->hist);
}

static int stage_delta(struct stage_counters *out, const struct stage_counters *cur,
		       const struct stage_counters *prev)
{
	static const struct histogram empty;

	out->calls = cur->calls - prev->calls;
	out->total_ns = cur->total_ns - prev->total_ns;
	out->self_ns = cur->self_ns - prev->self_ns;
	out->calls_clamped = cur->calls_clamped - prev->calls_clamped;
	out->calls_unfinished = cur->calls_unfinished - prev->calls_unfinished;
	out->io_ops = cur->io_ops - prev->io_ops;
	out->io_bytes_read = cur->io_bytes_read - prev->io_bytes_read;
	out->io_bytes_written = cur->io_bytes_written - prev->io_bytes_written;
	out->io_time_ns = cur->io_time_ns - prev->io_time_ns;
	wall_stats_sub(&out->wall, &cur->wall, &prev->wall);
	if (!cur->hist)
		return 0;
	out->hist = calloc(1, sizeof(*out->hist));
	if (!out->hist)
		return -ENOMEM;
	hist_delta(out->hist, cur->hist, prev->hist ? prev->hist : &empty);
	out->max_ns = out->calls ? interval_max(cur->max_ns, prev->max_ns, out->hist) : 0;
	return 0;
}

/* Stages of c that changed since pr, into d (created on first need). */
static int stages_delta(struct profile *out, struct proc_profile **d, const struct proc_profile *c,
			const struct proc_profile *pr)
{
	static const struct stage_counters none;

	for (uint32_t id = 0; id < c->n_stages; id++) {
		const struct stage_counters *ps = id < pr->n_stages ? &pr->stages[id] : &none;
		struct stage_counters *ds;

		if (!stage_changed(&c->stages[id], ps))
			continue;
		if (!*d) {
			*d = profile_proc(out, c->pid, true);
			if (!*d)
				return -ENOMEM;
			memcpy((*d)->comm, c->comm, sizeof((*d)->comm));
		}
		ds = proc_stage(*d, id);
		if (!ds || stage_delta(ds, &c->stages[id], ps))
			return -ENOMEM;
	}
	return 0;
}

int profile_delta(struct profile *out, const struct profile *cur, const struct profile *prev)
{
	static const struct proc_profile none;

	profile_free(out);
	for (unsigned int i = 0; i < AUDIT_ALL_SLOTS; i++)
		out->audit[i] = cur->audit[i] - prev->audit[i];
	for (size_t i = 0; i < cur->n; i++) {
		const struct proc_profile *c = cur->procs[i];
		const struct proc_profile *pr = profile_find(prev, c->pid);
		struct proc_profile *d;
		bool active = false;

		/* The same process kept from before: nothing new. */
		if (pr == c)
			continue;
		if (!pr)
			pr = &none;
		d = NULL;
		active = !wall_stats_equal(&c->wall, &pr->wall);
		for (unsigned int nr = 0; nr < MAX_SYSCALL_NR && !active; nr++)
			active = counters_changed(&c->sys[nr], &pr->sys[nr]);
		if (active) {
			d = profile_proc(out, c->pid, true);
			if (!d)
				return -ENOMEM;
			memcpy(d->comm, c->comm, sizeof(d->comm));
			wall_stats_sub(&d->wall, &c->wall, &pr->wall);
			for (unsigned int nr = 0; nr < MAX_SYSCALL_NR; nr++) {
				if (!counters_changed(&c->sys[nr], &pr->sys[nr]))
					continue;
				if (counters_delta(&d->sys[nr], &c->sys[nr], &pr->sys[nr]))
					return -ENOMEM;
			}
		}
		if (stages_delta(out, &d, c, pr))
			return -ENOMEM;
	}
	return 0;
}

uint64_t profile_syscall_count(const struct profile *p)
{
	uint64_t n = 0;

	for (size_t i = 0; i < p->n; i++)
		for (unsigned int nr = 0; nr < MAX_SYSCALL_NR; nr++)
			n += p->procs[i]->sys[nr].count;
	return n;
}

void profile_scale_stages(struct profile *p, unsigned int n)
{
	if (n <= 1)
		return;
	for (size_t i = 0; i < p->n; i++) {
		if (p->procs[i]->scaled)
			continue;
		p->procs[i]->scaled = true;
		for (uint32_t id = 0; id < p->procs[i]->n_stages; id++) {
			struct stage_counters *c = &p->procs[i]->stages[id];

			c->calls *= n;
			c->total_ns *= n;
			c->self_ns *= n;
			c->calls_clamped *= n;
			c->calls_unfinished *= n;
			c->io_ops *= n;
			c->io_bytes_read *= n;
			c->io_bytes_written *= n;
			c->io_time_ns *= n;
			for (size_t w = 0; w < WALL_STATS_N; w++)
				((uint64_t *)&c->wall)[w] *= n;
			for (unsigned int b = 0; c->hist && b < HIST_BUCKETS; b++)
				c->hist->buckets[b] *= n;
		}
	}
}
