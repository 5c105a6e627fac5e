// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "collect/collector.h"
#include "common/own_pids.h"
#include "probes/syscall_table.h"

struct collector {
	struct collector_maps maps;
	int ncpus;
	struct sys_stats *sys_vals;	/* one per CPU */
	struct io_stats *io_vals;	/* one per CPU */
	struct stage_stats *stage_vals; /* one per CPU */
	struct wall_stats *wall_vals;	/* one per CPU */
	uint64_t *audit_vals;
	uint8_t io_slot[MAX_SYSCALL_NR]; /* the I/O slot of each syscall, as the kernel's */
	/* Processes that exited and were reported: their entries are gone
	 * from the hashes, their last counters stay here, shared into every
	 * later snapshot so the run's totals keep them. */
	struct profile retired;
	uint32_t *exited; /* the pids read from the exited map this time */
	size_t n_exited, cap_exited;
};

struct collector *collector_new(const struct collector_maps *maps)
{
	struct collector *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->maps = *maps;
	profile_init(&c->retired);
	syscall_fill_io_slots(c->io_slot, MAX_SYSCALL_NR);
	c->ncpus = libbpf_num_possible_cpus();
	if (c->ncpus <= 0)
		goto err;
	c->sys_vals = calloc(c->ncpus, sizeof(*c->sys_vals));
	c->io_vals = calloc(c->ncpus, sizeof(*c->io_vals));
	c->audit_vals = calloc(c->ncpus, sizeof(*c->audit_vals));
	c->stage_vals = calloc(c->ncpus, sizeof(*c->stage_vals));
	c->wall_vals = calloc(c->ncpus, sizeof(*c->wall_vals));
	if (!c->sys_vals || !c->io_vals || !c->audit_vals || !c->stage_vals || !c->wall_vals)
		goto err;
	return c;
err:
	collector_free(c);
	return NULL;
}

void collector_free(struct collector *c)
{
	if (!c)
		return;
	free(c->sys_vals);
	free(c->io_vals);
	free(c->audit_vals);
	free(c->stage_vals);
	free(c->exited);
	profile_free(&c->retired);
	free(c->wall_vals);
	free(c);
}

/* The name the kernel side saw; for a process it never named, /proc. */
static void fill_comm(struct collector *c, struct proc_profile *pp)
{
	struct proc_info info;
	char path[64];
	ssize_t n;
	int fd;

	if (!bpf_map_lookup_elem(c->maps.procs, &pp->pid, &info)) {
		memcpy(pp->comm, info.comm, sizeof(pp->comm));
		pp->comm[sizeof(pp->comm) - 1] = '\0';
		return;
	}
	snprintf(path, sizeof(path), "/proc/%u/comm", pp->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, pp->comm, sizeof(pp->comm) - 1);
	close(fd);
	if (n > 0 && pp->comm[n - 1] == '\n')
		n--;
	pp->comm[n > 0 ? n : 0] = '\0';
}

static void add_sys(struct collector *c, struct syscall_counters *sc)
{
	for (int cpu = 0; cpu < c->ncpus; cpu++) {
		sc->count += c->sys_vals[cpu].count;
		sc->errors += c->sys_vals[cpu].errors;
		sc->time_ns += c->sys_vals[cpu].time_ns;
	}
}

static int add_io(struct collector *c, struct syscall_counters *sc)
{
	struct histogram *h = proc_hist(sc);

	if (!h)
		return -ENOMEM;
	for (int cpu = 0; cpu < c->ncpus; cpu++) {
		const struct io_stats *v = &c->io_vals[cpu];

		sc->count += v->count;
		sc->errors += v->errors;
		sc->time_ns += v->time_ns;
		sc->bytes += v->bytes;
		for (unsigned int k = 0; k < IO_KIND_NR; k++) {
			sc->kind[k].ops += v->kind[k].ops;
			sc->kind[k].bytes_read += v->kind[k].bytes_read;
			sc->kind[k].bytes_written += v->kind[k].bytes_written;
			sc->kind[k].time_ns += v->kind[k].time_ns;
		}
		if (v->max_ns > sc->max_ns)
			sc->max_ns = v->max_ns;
		for (unsigned int b = 0; b < HIST_BUCKETS; b++)
			h->buckets[b] += v->hist[b];
	}
	return 0;
}

static int add_stage(struct collector *c, struct stage_counters *sc)
{
	uint64_t calls = 0, unfinished = 0;

	/* Nothing recorded (most of the ids -U ...@N keeps for names): no
	 * histogram to allocate and keep; none either for a function whose
	 * calls all ended without returning. */
	for (int cpu = 0; cpu < c->ncpus; cpu++) {
		calls += c->stage_vals[cpu].calls;
		unfinished += c->stage_vals[cpu].calls_unfinished;
	}
	if (!calls && !unfinished)
		return 0;
	if (calls && !sc->hist && !(sc->hist = calloc(1, sizeof(*sc->hist))))
		return -ENOMEM;
	for (int cpu = 0; cpu < c->ncpus; cpu++) {
		const struct stage_stats *v = &c->stage_vals[cpu];

		sc->calls += v->calls;
		sc->total_ns += v->total_ns;
		sc->self_ns += v->self_ns;
		if (v->max_ns > sc->max_ns)
			sc->max_ns = v->max_ns;
		sc->calls_clamped += v->calls_clamped;
		sc->calls_unfinished += v->calls_unfinished;
		sc->io_ops += v->io_ops;
		sc->io_bytes_read += v->io_bytes_read;
		sc->io_bytes_written += v->io_bytes_written;
		sc->io_time_ns += v->io_time_ns;
		wall_stats_add(&sc->wall, &v->wall);
		for (unsigned int b = 0; sc->hist && b < HIST_BUCKETS; b++)
			sc->hist->buckets[b] += v->hist[b];
	}
	return 0;
}

/* One target: its counters are arrays, every entry present from load. */
static int read_target_arrays(struct collector *c, struct profile *snap)
{
	struct proc_profile *pp = profile_proc(snap, c->maps.one_target_tgid, true);
	int err;

	if (!pp)
		return -ENOMEM;
	for (__u32 nr = 0; nr < MAX_SYSCALL_NR; nr++) {
		__u32 slot = c->io_slot[nr];

		if (slot != IO_SLOT_NONE) {
			if (bpf_map_lookup_elem(c->maps.io_counts, &slot, c->io_vals))
				return -errno;
			err = add_io(c, &pp->sys[nr]);
		} else {
			if (bpf_map_lookup_elem(c->maps.sys_counts, &nr, c->sys_vals))
				return -errno;
			add_sys(c, &pp->sys[nr]);
			err = 0;
		}
		if (err)
			return err;
	}
	for (__u32 id = 0; c->maps.stage_counts >= 0 && id < c->maps.n_stages; id++) {
		const struct stage_table *t = c->maps.stages;
		struct stage_counters *sc;

		if (t && id < t->n && t->v[id].usdt_name_slot && !*t->v[id].name)
			continue;
		sc = proc_stage(pp, id);

		if (!sc)
			return -ENOMEM;
		if (bpf_map_lookup_elem(c->maps.stage_counts, &id, c->stage_vals))
			return -errno;
		err = add_stage(c, sc);
		if (err)
			return err;
	}
	return 0;
}

static int read_sys_stats(struct collector *c, struct profile *snap)
{
	struct sys_key key, next, *prev = NULL;

	while (!bpf_map_get_next_key(c->maps.sys_stats, prev, &next)) {
		struct proc_profile *pp;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(c->maps.sys_stats, &key, c->sys_vals))
			continue; /* never deleted, but be safe */
		if (key.nr >= MAX_SYSCALL_NR || own_pid((pid_t)key.tgid))
			continue;
		pp = profile_proc(snap, key.tgid, true);
		if (!pp)
			return -ENOMEM;
		add_sys(c, &pp->sys[key.nr]);
	}
	return 0;
}

static int read_io_stats(struct collector *c, struct profile *snap)
{
	struct sys_key key, next, *prev = NULL;

	while (!bpf_map_get_next_key(c->maps.io_stats, prev, &next)) {
		struct proc_profile *pp;
		int err;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(c->maps.io_stats, &key, c->io_vals))
			continue;
		if (key.nr >= MAX_SYSCALL_NR || own_pid((pid_t)key.tgid))
			continue;
		pp = profile_proc(snap, key.tgid, true);
		if (!pp)
			return -ENOMEM;
		err = add_io(c, &pp->sys[key.nr]);
		if (err)
			return err;
	}
	return 0;
}

static int read_stage_stats(struct collector *c, struct profile *snap)
{
	struct stage_key key, next, *prev = NULL;

	while (!bpf_map_get_next_key(c->maps.stage_stats, prev, &next)) {
		struct proc_profile *pp;
		struct stage_counters *sc;
		int err;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(c->maps.stage_stats, &key, c->stage_vals) ||
		    own_pid((pid_t)key.tgid))
			continue;
		pp = profile_proc(snap, key.tgid, true);
		sc = pp ? proc_stage(pp, key.stage) : NULL;
		if (!sc)
			return -ENOMEM;
		err = add_stage(c, sc);
		if (err)
			return err;
	}
	return 0;
}

/* The processes that exited since the last read: read before their
 * counters, which are then final. */
static int read_exited(struct collector *c)
{
	__u32 key, next, *prev = NULL;

	c->n_exited = 0;
	while (c->maps.exited >= 0 && !bpf_map_get_next_key(c->maps.exited, prev, &next)) {
		if (c->n_exited == c->cap_exited) {
			size_t cap = c->cap_exited ? c->cap_exited * 2 : 64;
			uint32_t *v = realloc(c->exited, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			c->exited = v;
			c->cap_exited = cap;
		}
		c->exited[c->n_exited++] = next;
		key = next;
		prev = &key;
	}
	return 0;
}

/* An exited process, now in snap with its final counters: keep them, and
 * free its entries in the kernel's hashes for the processes to come. */
static int retire(struct collector *c, struct profile *snap, uint32_t pid)
{
	struct proc_profile *pp = profile_proc(snap, pid, false);

	if (pp) {
		if (profile_keep_proc(&c->retired, pp))
			return -ENOMEM;
		for (__u32 nr = 0; nr < MAX_SYSCALL_NR; nr++) {
			struct sys_key key = { .tgid = pid, .nr = nr };

			if (!pp->sys[nr].count && !pp->sys[nr].errors)
				continue;
			/* Only one of the two holds it. */
			bpf_map_delete_elem(c->maps.sys_stats, &key);
			bpf_map_delete_elem(c->maps.io_stats, &key);
		}
		for (__u32 id = 0; c->maps.stage_stats >= 0 && id < pp->n_stages; id++) {
			struct stage_key key = { .tgid = pid, .stage = id };

			if (pp->stages[id].calls || pp->stages[id].hist ||
			    pp->stages[id].calls_unfinished)
				bpf_map_delete_elem(c->maps.stage_stats, &key);
		}
	}
	bpf_map_delete_elem(c->maps.procs, &pid);
	if (c->maps.proc_wall >= 0 && !c->maps.one_target_tgid)
		bpf_map_delete_elem(c->maps.proc_wall, &pid);
	if (c->maps.traced >= 0)
		bpf_map_delete_elem(c->maps.traced, &pid);
	bpf_map_delete_elem(c->maps.exited, &pid);
	return 0;
}

static void add_wall(struct collector *c, struct wall_stats *w)
{
	for (int cpu = 0; cpu < c->ncpus; cpu++)
		wall_stats_add(w, &c->wall_vals[cpu]);
}

/* The processes' wall time (bpf/bpfprof/wall.bpf.h). */
static int read_proc_wall(struct collector *c, struct profile *snap)
{
	__u32 key, next, *prev = NULL, zero = 0;
	struct proc_profile *pp;

	if (c->maps.proc_wall < 0)
		return 0;
	if (c->maps.one_target_tgid) {
		if (bpf_map_lookup_elem(c->maps.proc_wall_counts, &zero, c->wall_vals))
			return -errno;
		pp = profile_proc(snap, c->maps.one_target_tgid, true);
		if (!pp)
			return -ENOMEM;
		add_wall(c, &pp->wall);
		return 0;
	}
	while (!bpf_map_get_next_key(c->maps.proc_wall, prev, &next)) {
		key = next;
		prev = &key;
		if (own_pid((pid_t)key) ||
		    bpf_map_lookup_elem(c->maps.proc_wall, &key, c->wall_vals))
			continue;
		pp = profile_proc(snap, key, true);
		if (!pp)
			return -ENOMEM;
		add_wall(c, &pp->wall);
	}
	return 0;
}

int collector_read(struct collector *c, struct profile *snap)
{
	int err;

	profile_free(snap);
	err = read_exited(c);
	if (err)
		return err;
	for (__u32 slot = 0; slot < AUDIT_NR_SLOTS; slot++) {
		if (bpf_map_lookup_elem(c->maps.audit, &slot, c->audit_vals))
			return -errno;
		for (int cpu = 0; cpu < c->ncpus; cpu++)
			snap->audit[slot] += c->audit_vals[cpu];
	}
	if (c->maps.one_target_tgid) {
		err = read_target_arrays(c, snap);
	} else {
		err = read_sys_stats(c, snap);
		if (!err)
			err = read_io_stats(c, snap);
		if (!err && c->maps.stage_stats >= 0)
			err = read_stage_stats(c, snap);
	}
	/* One target's -U ...@N names count in the hash. */
	if (!err && c->maps.one_target_tgid && c->maps.stage_stats >= 0 && c->maps.named_in_hash)
		err = read_stage_stats(c, snap);
	if (!err)
		err = read_proc_wall(c, snap);
	if (err)
		return err;
	for (size_t i = 0; i < snap->n; i++)
		fill_comm(c, snap->procs[i]);
	/* Scaled before anything is kept: what is kept is shared, as it is. */
	profile_scale_stages(snap, c->maps.sample_every);
	/* Those retired before: a pid used again adds to its old counters, so
	 * a delta still sees only what is new. */
	err = profile_add(snap, &c->retired);
	for (size_t i = 0; !err && i < c->n_exited; i++)
		err = retire(c, snap, c->exited[i]);
	return err;
}
