// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "common/strmap.h"
#include "output/output_files.h"
#include "output/records.h"
#include "samples/cpu_samples.h"
#include "samples/stack_symbols.h"
#include "common/sort.h"

/* One (process, stage, user stack, kernel stack) of the cpu_samples map,
 * symbolized when first read. */
struct sample_entry {
	struct sample_key key;
	uint64_t total; /* the map's count at the last read */
	uint64_t flush; /* samples since the read before */
	const char **user; /* root first */
	const char **kernel;
	uint16_t n_user, n_kernel;
	bool cut_short;
	uint32_t proc; /* index into procs */
};

struct proc_name {
	uint32_t pid;
	char comm[TASK_COMM_LEN];
};

struct cpu_samples {
	struct bpfprof_bpf *skel;
	unsigned int hz;
	const struct stage_table *stages;
	struct stack_symbols *syms;
	int counts_fd, stacks_fd, procs_fd;
	int *event_fds;
	struct bpf_link **links;
	int n_events;
	struct sample_entry *v;
	size_t n, cap;
	int32_t *index; /* open addressing over v by key; -1 empty */
	size_t index_cap;
	struct proc_name *procs;
	size_t n_procs;
	uint64_t cut_short; /* samples, whole run */
};

struct cpu_samples *cpu_samples_new(struct bpfprof_bpf *skel, unsigned int hz,
				    const struct stage_table *stages)
{
	struct cpu_samples *cs = calloc(1, sizeof(*cs));

	if (!cs)
		return NULL;
	cs->skel = skel;
	cs->hz = hz;
	cs->stages = stages;
	cs->counts_fd = bpf_map__fd(skel->maps.cpu_samples);
	cs->stacks_fd = bpf_map__fd(skel->maps.cpu_stacks);
	cs->procs_fd = bpf_map__fd(skel->maps.procs);
	cs->syms = stack_symbols_new();
	if (!cs->syms) {
		free(cs);
		return NULL;
	}
	return cs;
}

int cpu_samples_attach(struct cpu_samples *cs, char *err, size_t errlen)
{
	int ncpus = libbpf_num_possible_cpus();
	struct perf_event_attr attr = {
		.size = sizeof(attr),
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.freq = 1,
		.sample_freq = cs->hz,
	};

	if (ncpus <= 0) {
		snprintf(err, errlen, "--cpu-sample: cannot count the CPUs");
		return -1;
	}
	cs->event_fds = calloc((size_t)ncpus, sizeof(int));
	cs->links = calloc((size_t)ncpus, sizeof(*cs->links));
	if (!cs->event_fds || !cs->links) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (int cpu = 0; cpu < ncpus; cpu++) {
		int fd = (int)syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
		struct bpf_link *link;

		if (fd < 0 && errno == ENODEV)
			continue; /* a possible CPU that is not online */
		if (fd < 0) {
			snprintf(err, errlen, "--cpu-sample: cannot open a CPU-clock event on CPU %d: %s",
				 cpu, strerror(errno));
			return -1;
		}
		link = bpf_program__attach_perf_event(cs->skel->progs.cpu_sample, fd);
		if (!link) {
			snprintf(err, errlen, "--cpu-sample: cannot attach the sampler on CPU %d: %s",
				 cpu, strerror(errno));
			close(fd);
			return -1;
		}
		cs->event_fds[cs->n_events] = fd;
		cs->links[cs->n_events++] = link;
	}
	return 0;
}

void cpu_samples_detach(struct cpu_samples *cs)
{
	if (!cs)
		return;
	for (int i = 0; i < cs->n_events; i++) {
		bpf_link__destroy(cs->links[i]);
		close(cs->event_fds[i]);
	}
	cs->n_events = 0;
}

void cpu_samples_free(struct cpu_samples *cs)
{
	if (!cs)
		return;
	cpu_samples_detach(cs);
	for (size_t i = 0; i < cs->n; i++) {
		free(cs->v[i].user);
		free(cs->v[i].kernel);
	}
	free(cs->v);
	free(cs->index);
	free(cs->procs);
	free(cs->event_fds);
	free(cs->links);
	stack_symbols_free(cs->syms);
	free(cs);
}

static size_t key_hash(const struct sample_key *k)
{
	uint64_t h = ((uint64_t)k->tgid << 32 | k->stage) * 0x9e3779b97f4a7c15ULL;

	h ^= ((uint64_t)(uint32_t)k->user_stack << 32 | (uint32_t)k->kernel_stack) *
	     0xc2b2ae3d27d4eb4fULL;
	return (size_t)(h ^ (h >> 29));
}

static int32_t *index_slot(int32_t *index, size_t cap, const struct sample_entry *v,
			   const struct sample_key *k)
{
	for (size_t i = key_hash(k) & (cap - 1);; i = (i + 1) & (cap - 1))
		if (index[i] < 0 || !memcmp(&v[index[i]].key, k, sizeof(*k)))
			return &index[i];
}

static int grow_index(struct cpu_samples *cs)
{
	size_t cap = cs->index_cap ? cs->index_cap * 2 : 1024;
	int32_t *index = malloc(cap * sizeof(*index));

	if (!index)
		return -ENOMEM;
	memset(index, 0xff, cap * sizeof(*index));
	for (size_t i = 0; i < cs->n; i++)
		*index_slot(index, cap, cs->v, &cs->v[i].key) = (int32_t)i;
	free(cs->index);
	cs->index = index;
	cs->index_cap = cap;
	return 0;
}

static uint32_t proc_index(struct cpu_samples *cs, uint32_t pid)
{
	struct proc_info info = {};
	struct proc_name *v;

	for (size_t i = 0; i < cs->n_procs; i++)
		if (cs->procs[i].pid == pid)
			return (uint32_t)i;
	v = realloc(cs->procs, (cs->n_procs + 1) * sizeof(*v));
	if (!v)
		return 0;
	cs->procs = v;
	v[cs->n_procs].pid = pid;
	if (bpf_map_lookup_elem(cs->procs_fd, &pid, &info))
		snprintf(info.comm, sizeof(info.comm), "?");
	snprintf(v[cs->n_procs].comm, sizeof(v->comm), "%.*s", TASK_COMM_LEN - 1, info.comm);
	return (uint32_t)cs->n_procs++;
}

/* The stack's addresses, innermost first, as names root first. Returns the
 * number of frames. */
static size_t symbolize(struct cpu_samples *cs, int32_t id, uint32_t pid, bool user,
			const char ***out, bool *cut_short)
{
	uint64_t ips[SAMPLE_MAX_FRAMES] = {};
	const char *names[SAMPLE_MAX_FRAMES];
	size_t n = 0, keep;

	*out = NULL;
	if (id < 0 || bpf_map_lookup_elem(cs->stacks_fd, &id, ips))
		return 0;
	while (n < SAMPLE_MAX_FRAMES && ips[n])
		n++;
	for (size_t i = 0; i < n; i++)
		names[i] = user ? stack_symbols_user(cs->syms, (pid_t)pid, ips[i], i > 0)
				: stack_symbols_kernel(cs->syms, ips[i]);
	keep = n;
	if (user) {
		/* Past the thread's first function the frame pointer chain
		 * runs into code built without one: what follows is noise.
		 * A stack that reaches no such function was cut short. */
		*cut_short = true;
		for (size_t i = 0; i < n; i++) {
			if (stack_symbols_is_root(names[i])) {
				keep = i + 1;
				*cut_short = false;
				break;
			}
			/* main's caller is in libc, whose local symbols
			 * (__libc_start_call_main) a stripped libc lacks. */
			if (!strcmp(names[i], "main")) {
				keep = i + 2 < n ? i + 2 : n;
				*cut_short = false;
				break;
			}
		}
	}
	*out = malloc((keep ? keep : 1) * sizeof(**out));
	if (!*out)
		return 0;
	for (size_t i = 0; i < keep; i++)
		(*out)[i] = names[keep - 1 - i];
	return keep;
}

static struct sample_entry *add_entry(struct cpu_samples *cs, const struct sample_key *k)
{
	struct sample_entry *e;
	int32_t *slot;

	if ((cs->n + 1) * 2 > cs->index_cap && grow_index(cs))
		return NULL;
	if (cs->n == cs->cap) {
		size_t cap = cs->cap ? cs->cap * 2 : 256;
		struct sample_entry *v = realloc(cs->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		cs->v = v;
		cs->cap = cap;
	}
	e = &cs->v[cs->n];
	memset(e, 0, sizeof(*e));
	e->key = *k;
	e->proc = proc_index(cs, k->tgid);
	e->n_user = (uint16_t)symbolize(cs, k->user_stack, k->tgid, true, &e->user, &e->cut_short);
	e->n_kernel = (uint16_t)symbolize(cs, k->kernel_stack, k->tgid, false, &e->kernel, &(bool){ 0 });
	slot = index_slot(cs->index, cs->index_cap, cs->v, k);
	*slot = (int32_t)cs->n++;
	return e;
}

struct key_count {
	struct sample_key key;
	uint64_t count;
};

/* The whole counts map, key by key. */
static int read_counts(const struct cpu_samples *cs, struct key_count **out, size_t *n_out)
{
	struct sample_key key, next;
	struct key_count *v = NULL;
	size_t n = 0, cap = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(cs->counts_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 1024;
			struct key_count *nv = realloc(v, ncap * sizeof(*nv));

			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
			cap = ncap;
		}
		if (!bpf_map_lookup_elem(cs->counts_fd, &key, &v[n].count))
			v[n++].key = key;
	}
	*out = v;
	*n_out = n;
	return 0;
}

static struct sample_entry *find_entry(struct cpu_samples *cs, const struct sample_key *k)
{
	int32_t *slot;

	if (!cs->index_cap)
		return NULL;
	slot = index_slot(cs->index, cs->index_cap, cs->v, k);
	return *slot >= 0 ? &cs->v[*slot] : NULL;
}

int cpu_samples_read(struct cpu_samples *cs, uint64_t audit[AUDIT_ALL_SLOTS])
{
	struct key_count *counts;
	size_t n;
	int rc;

	if (!cs)
		return 0;
	for (size_t i = 0; i < cs->n; i++)
		cs->v[i].flush = 0;
	rc = read_counts(cs, &counts, &n);
	if (rc)
		return rc;
	/* The maps of processes new in this flush first, before the time
	 * symbolizing takes: a short-lived one may not wait. */
	for (size_t i = 0; i < n; i++)
		if (!find_entry(cs, &counts[i].key))
			stack_symbols_note_process(cs->syms, (pid_t)counts[i].key.tgid);
	for (size_t i = 0; i < n; i++) {
		const struct sample_key key = counts[i].key;
		uint64_t count = counts[i].count;
		struct sample_entry *e = find_entry(cs, &key);

		if (!e && !(e = add_entry(cs, &key))) {
			free(counts);
			return -ENOMEM;
		}
		if (count <= e->total)
			continue;
		e->flush = count - e->total;
		e->total = count;
		if (e->cut_short)
			cs->cut_short += e->flush;
	}
	free(counts);
	audit[AUDIT_SAMPLE_CUT_SHORT] = cs->cut_short;
	return 0;
}

/* The function a sample was in: the kernel's when it was in the kernel. */
static const char *leaf(const struct sample_entry *e)
{
	if (e->n_kernel)
		return e->kernel[e->n_kernel - 1];
	if (e->n_user)
		return e->user[e->n_user - 1];
	return "[no stack]";
}

struct leaf_count {
	uint32_t proc;
	const char *name;
	uint64_t n;
};

static int cmp_leaf(const void *a, const void *b)
{
	const struct leaf_count *x = a, *y = b;

	if (x->proc != y->proc)
		return x->proc < y->proc ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int cmp_func_samples(const void *a, const void *b)
{
	const struct func_samples *x = a, *y = b;

	if (x->self != y->self)
		return x->self > y->self ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int cmp_proc_samples(const void *a, const void *b)
{
	const struct proc_samples *x = a, *y = b;

	if (x->samples != y->samples)
		return x->samples > y->samples ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

int cpu_samples_tops(const struct cpu_samples *cs, bool whole_run, size_t max_funcs,
		     struct sample_tops *out)
{
	struct leaf_count *lc = NULL;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	out->hz = cs->hz;
	out->cut_short = 0;
	lc = calloc(cs->n ? cs->n : 1, sizeof(*lc));
	if (!lc)
		return -ENOMEM;
	for (size_t i = 0; i < cs->n; i++) {
		const struct sample_entry *e = &cs->v[i];
		uint64_t c = whole_run ? e->total : e->flush;

		if (!c)
			continue;
		lc[n++] = (struct leaf_count){ e->proc, leaf(e), c };
		out->samples += c;
		if (e->cut_short)
			out->cut_short += c;
	}
	sort_n(lc, n, sizeof(*lc), cmp_leaf);
	out->procs = calloc(cs->n_procs ? cs->n_procs : 1, sizeof(*out->procs));
	if (!out->procs) {
		free(lc);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n;) {
		struct proc_samples *p = &out->procs[out->n++];
		size_t j = i, nf = 0;

		p->pid = cs->procs[lc[i].proc].pid;
		memcpy(p->comm, cs->procs[lc[i].proc].comm, sizeof(p->comm));
		while (j < n && lc[j].proc == lc[i].proc)
			j++;
		p->top = calloc(j - i, sizeof(*p->top));
		if (!p->top)
			break;
		/* Runs of one name are one function. */
		for (size_t k = i; k < j; k++) {
			p->samples += lc[k].n;
			if (nf && !strcmp(p->top[nf - 1].name, lc[k].name))
				p->top[nf - 1].self += lc[k].n;
			else
				p->top[nf++] = (struct func_samples){ lc[k].name, lc[k].n };
		}
		sort_n(p->top, nf, sizeof(*p->top), cmp_func_samples);
		p->n_top = nf < max_funcs ? nf : max_funcs;
		i = j;
	}
	sort_n(out->procs, out->n, sizeof(*out->procs), cmp_proc_samples);
	free(lc);
	return 0;
}

void sample_tops_free(struct sample_tops *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->procs[i].top);
	free(t->procs);
	memset(t, 0, sizeof(*t));
}

static const char *stage_name(const struct cpu_samples *cs, uint32_t stage)
{
	if (stage == SAMPLE_NO_STAGE || !cs->stages || stage >= cs->stages->n)
		return NULL;
	return cs->stages->v[stage].name;
}

/* Appends one JSON line to buf. */
static int append_line(char **buf, size_t *len, size_t *cap, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_OUT_FLAGS) : NULL;
	size_t n;

	json_decref(j);
	if (!s)
		return -ENOMEM;
	n = strlen(s);
	if (*len + n + 1 > *cap) {
		size_t ncap = (*cap ? *cap : 65536);
		char *nb;

		while (ncap < *len + n + 1)
			ncap *= 2;
		nb = realloc(*buf, ncap);
		if (!nb) {
			free(s);
			return -ENOMEM;
		}
		*buf = nb;
		*cap = ncap;
	}
	memcpy(*buf + *len, s, n);
	(*buf)[*len + n] = '\n';
	*len += n + 1;
	free(s);
	return 0;
}

/* The same symbolized stack of a process in a stage, as a map key. */
static int stack_key(const struct cpu_samples *cs, const struct sample_entry *e, char **out)
{
	size_t len = 32, off;
	char *k;

	for (size_t i = 0; i < e->n_user; i++)
		len += strlen(e->user[i]) + 1;
	for (size_t i = 0; i < e->n_kernel; i++)
		len += strlen(e->kernel[i]) + 1;
	k = malloc(len);
	if (!k)
		return -ENOMEM;
	off = (size_t)snprintf(k, len, "%u/%u/", e->key.tgid, e->key.stage);
	for (size_t i = 0; i < e->n_user; i++)
		off += (size_t)snprintf(k + off, len - off, "%s\x1f", e->user[i]);
	off += (size_t)snprintf(k + off, len - off, "\x1e");
	for (size_t i = 0; i < e->n_kernel; i++)
		off += (size_t)snprintf(k + off, len - off, "%s\x1f", e->kernel[i]);
	*out = k;
	return 0;
}

/*
 * Stack ids differ with every address in a function; the file has one line
 * per symbolized stack: the counts of the entries that share one go to the
 * first, in *merged (indexed like cs->v; 0 for the others).
 */
static int merge_stacks(const struct cpu_samples *cs, uint64_t *merged)
{
	struct strmap seen;
	int rc = 0;

	strmap_init(&seen);
	for (size_t i = 0; !rc && i < cs->n; i++) {
		struct strmap_slot *slot;
		char *k;
		int added;

		if (!cs->v[i].total)
			continue;
		rc = stack_key(cs, &cs->v[i], &k);
		if (rc)
			break;
		slot = strmap_put(&seen, k, (long)i, &added);
		free(k);
		if (!slot)
			rc = -ENOMEM;
		else
			merged[slot->value] += cs->v[i].total;
	}
	strmap_free(&seen);
	return rc;
}

int cpu_samples_write(const struct cpu_samples *cs, struct output_files *out)
{
	uint64_t total = 0, *merged;
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int rc;

	if (!cs || !out)
		return 0;
	for (size_t i = 0; i < cs->n; i++)
		total += cs->v[i].total;
	merged = calloc(cs->n ? cs->n : 1, sizeof(*merged));
	rc = merged ? merge_stacks(cs, merged) : -ENOMEM;
	if (!rc)
		rc = append_line(&buf, &len, &cap,
				 samples_header_to_json(cs->hz, total, cs->cut_short));
	for (size_t i = 0; !rc && i < cs->n; i++) {
		const struct sample_entry *e = &cs->v[i];
		struct sample_stack st = {
			.pid = e->key.tgid,
			.comm = cs->procs[e->proc].comm,
			.stage = stage_name(cs, e->key.stage),
			.count = merged[i],
			.cut_short = e->cut_short,
			.user = e->user,
			.n_user = e->n_user,
			.kernel = e->kernel,
			.n_kernel = e->n_kernel,
		};

		if (merged[i])
			rc = append_line(&buf, &len, &cap, sample_stack_to_json(&st));
	}
	free(merged);
	if (rc) {
		free(buf);
		fprintf(stderr, "bpfprof: cannot write %s: %s\n", SAMPLES_FILE, strerror(-rc));
		return -1;
	}
	rc = output_write_file(out, SAMPLES_FILE, buf, len);
	free(buf);
	return rc ? -1 : 0;
}
