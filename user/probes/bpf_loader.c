// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/capability.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "probes/bpf_loader.h"
#include "probes/stages.h"
#include "probes/usdt.h"
#include "probes/syscall_table.h"

static bool verbose;

static int libbpf_print_fn(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	if (!verbose)
		return 0; /* errors reach the user as our own one-line message */
	return vfprintf(stderr, fmt, args);
}

static bool has_cap(cap_t caps, cap_value_t cap)
{
	cap_flag_value_t v = CAP_CLEAR;

	return caps && !cap_get_flag(caps, cap, CAP_EFFECTIVE, &v) && v == CAP_SET;
}

const char *loader_check_environment(void)
{
	/* BPFPROF_BTF_PATH stands in for the kernel's BTF file in the tests. */
	const char *btf = getenv("BPFPROF_BTF_PATH") ?: "/sys/kernel/btf/vmlinux";
	cap_t caps = cap_get_proc();
	bool ok = has_cap(caps, CAP_SYS_ADMIN) ||
		  (has_cap(caps, CAP_BPF) && has_cap(caps, CAP_PERFMON));

	cap_free(caps);
	if (!ok)
		return "must run as root (needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN)";
	if (access(btf, R_OK))
		return "this kernel has no BTF (/sys/kernel/btf/vmlinux is missing): "
		       "bpfprof needs CONFIG_DEBUG_INFO_BTF=y";
	return NULL;
}

/* --events: a power of two pages, as the kernel requires. */
static int size_span_ring(struct bpfprof_bpf *skel, const struct loader_config *cfg)
{
	size_t ring = 4096;

	while (ring < cfg->span_ring_bytes && ring < (1UL << 30))
		ring <<= 1;
	return bpf_map__set_max_entries(skel->maps.spans, (__u32)ring);
}

/* Entries of a preallocated per-CPU map of value_size bytes that fit in
 * SYSTEM_HIST_MAP_BYTES on this machine, and at least `min`. */
static __u32 system_entries(size_t value_size, __u32 min)
{
	int ncpus = libbpf_num_possible_cpus();
	size_t n = SYSTEM_HIST_MAP_BYTES / (value_size * (size_t)(ncpus > 0 ? ncpus : 1));

	if (n > SYSTEM_MAX_ENTRIES)
		n = SYSTEM_MAX_ENTRIES;
	return n < min ? min : (__u32)n;
}

/* Counters in arrays only for a single process: a followed tree or the
 * whole machine has processes nobody can list ahead. */
static bool one_target(const struct loader_config *cfg)
{
	return cfg->targ_tgid && !cfg->follow && !cfg->several;
}

/* The processes in traced_tgids: a followed tree, or several -p pids. */
static bool traced_set(const struct loader_config *cfg)
{
	return cfg->follow || cfg->several || cfg->comm;
}

/* --cpu-sample: distinct stacks (user and kernel alike; ~1 KB each) and
 * distinct (process, stage, stacks); more are counted in the audit. The
 * stack map drops a stack whose hash bucket another holds, so it is kept
 * well above the stacks a run is expected to see. */
#define SAMPLE_STACKS 32768
#define SAMPLE_KEYS 65536

/* Threads that keep their stage stack where a stage return finds it without
 * a helper call (2 KB each); more threads than this use task storage. */
#define STAGE_STACKS 1024
/* Goroutines inside timed Go calls at once (2.3 KB each); past it the
 * least recently used stack is dropped. */
#define GO_STACKS_MAX 4096

/* The tests shrink a map (the environment variable `name`) to run past
 * it; only ever smaller than `full`. */
static __u32 test_entries(const char *name, __u32 full)
{
	const char *s = getenv(name);
	char *end;
	unsigned long n;

	if (!s)
		return full;
	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || end == s || *end || n < 1 || n > full)
		return full;
	return (__u32)n;
}

static __u32 stage_stack_count(void)
{
	return test_entries("BPFPROF_STAGE_STACKS", STAGE_STACKS);
}

/* -U ...@N: the names hash holds each spec's names, and as many again that
 * went to (other), to count them once each. */
static int size_name_maps(struct bpfprof_bpf *skel, const struct loader_config *cfg)
{
	__u32 names = cfg->usdt_names ? cfg->usdt_names * 2 : 1;
	int rc;

	rc = bpf_map__set_max_entries(skel->maps.usdt_name_specs,
				      cfg->usdt_name_specs ? cfg->usdt_name_specs : 1);
	rc = rc ?: bpf_map__set_max_entries(skel->maps.usdt_name_sites,
					    cfg->usdt_name_sites ? cfg->usdt_name_sites : 1);
	rc = rc ?: bpf_map__set_max_entries(skel->maps.usdt_names, names);
	/* The key holds only the arguments some spec reads. */
	rc = rc ?: bpf_map__set_key_size(
			    skel->maps.usdt_names,
			    (__u32)(offsetof(struct usdt_name_key, text) +
				    (size_t)(cfg->usdt_name_args ? cfg->usdt_name_args : 1) *
					    USDT_NAME_ARG_BYTES));
	return rc;
}

/*
 * One target's counters are per-CPU arrays, allocated in full at load: no
 * allocation ever happens on a probe, and none can fail. A followed tree's
 * hashes are preallocated too. The whole machine's hashes allocate as they
 * go (a failure is counted in the audit). Unused maps shrink to one entry.
 */
static int size_maps(struct bpfprof_bpf *skel, const struct loader_config *cfg)
{
	uint8_t slots[MAX_SYSCALL_NR];
	__u32 n_io = syscall_fill_io_slots(slots, MAX_SYSCALL_NR);
	/* One stage past the target's: the probe-cost calibration's. */
	__u32 n_stages = cfg->n_stages ? (__u32)cfg->n_stages + 1 : 1;
	__u32 n_stacks = cfg->n_stages ? stage_stack_count() : 1;
	/* Per process, a name's id is rarely used by all: a followed tree has
	 * room for every fixed stage in each process, and the names once. */
	__u32 n_fixed = n_stages > cfg->usdt_names ? n_stages - cfg->usdt_names : 1;
	__u32 n_array = cfg->usdt_names && cfg->usdt_first_name_id ? cfg->usdt_first_name_id
								   : n_stages;
	int rc;

	rc = size_name_maps(skel, cfg);
	if (rc)
		return rc;

	/* Id 0 means "none": the queue holds the other ids. */
	rc = bpf_map__set_max_entries(skel->maps.stage_stacks, n_stacks);
	if (cfg->cpu_sample_hz) {
		rc = rc ?: bpf_map__set_max_entries(skel->maps.cpu_stacks, SAMPLE_STACKS);
		rc = rc ?: bpf_map__set_max_entries(skel->maps.cpu_samples, SAMPLE_KEYS);
	}
	rc = rc ?: bpf_map__set_max_entries(skel->maps.free_stacks, n_stacks);
	if (rc)
		return rc;
	if (one_target(cfg)) {
		rc = bpf_map__set_max_entries(skel->maps.sys_stats, 1);
		rc = rc ?: bpf_map__set_max_entries(skel->maps.io_stats, 1);
		/* The ids from the names' on (the calibration's last) are
		 * counted in the hash, preallocated: a probe that allocated
		 * would fail in a burst of new names (the allocator keeps few
		 * values ready per CPU). */
		rc = rc ?: bpf_map__set_map_flags(skel->maps.stage_stats, 0);
		rc = rc ?: bpf_map__set_max_entries(skel->maps.stage_stats,
						    n_stages > n_array ? n_stages - n_array : 1);
		rc = rc ?: bpf_map__set_max_entries(skel->maps.io_counts, n_io ? n_io : 1);
		rc = rc ?: bpf_map__set_max_entries(skel->maps.stage_counts, n_array);
		rc = rc ?: bpf_map__set_max_entries(skel->maps.stage_mech, n_stages);
		rc = rc ?: bpf_map__set_max_entries(skel->maps.exited_tgids, 1);
		rc = rc ?: bpf_map__set_max_entries(skel->maps.proc_wall, 1);
		rc = rc ?: bpf_map__set_max_entries(skel->maps.procs, 16);
		return rc ?: size_span_ring(skel, cfg);
	}
	rc = bpf_map__set_max_entries(skel->maps.stage_mech, n_stages);
	rc = rc ?: bpf_map__set_max_entries(skel->maps.sys_counts, 1);
	rc = rc ?: bpf_map__set_max_entries(skel->maps.io_counts, 1);
	rc = rc ?: bpf_map__set_max_entries(skel->maps.stage_counts, 1);
	if (traced_set(cfg)) {
		/*
		 * A process tree starts many processes at once, and a hash that
		 * allocates per-CPU values as it goes fails in such bursts (the
		 * allocator keeps only a few 4.5 KB values ready per CPU). So
		 * the tree gets preallocated room for FOLLOW_MAX_PROCS
		 * processes; past that, the audit counts what is lost.
		 */
		rc = rc ?: bpf_map__set_map_flags(skel->maps.sys_stats, 0);
		rc = rc ?: bpf_map__set_max_entries(skel->maps.sys_stats,
						    FOLLOW_MAX_PROCS * (MAX_SYSCALL_NR - n_io));
		rc = rc ?: bpf_map__set_map_flags(skel->maps.io_stats, 0);
		rc = rc ?: bpf_map__set_max_entries(skel->maps.io_stats, FOLLOW_MAX_PROCS * n_io);
		rc = rc ?: bpf_map__set_map_flags(skel->maps.stage_stats, 0);
		rc = rc ?: bpf_map__set_max_entries(skel->maps.stage_stats,
						    FOLLOW_MAX_PROCS * n_fixed + cfg->usdt_names);
		rc = rc ?: bpf_map__set_max_entries(skel->maps.traced_tgids, FOLLOW_MAX_PROCS);
		rc = rc ?: bpf_map__set_map_flags(skel->maps.proc_wall, 0);
		rc = rc ?: bpf_map__set_max_entries(skel->maps.proc_wall, FOLLOW_MAX_PROCS);
		return rc ?: size_span_ring(skel, cfg);
	}
	/*
	 * The whole machine: per-CPU values of 4.5 KB (the histograms) cannot
	 * be allocated reliably on the fly (the kernel keeps only a few ready
	 * per CPU, and a burst of new processes fails with ENOMEM: measured
	 * here, a few I/O syscalls lost in most runs). So those maps are
	 * preallocated, as many entries as SYSTEM_HIST_MAP_BYTES allows.
	 */
	rc = rc ?: bpf_map__set_map_flags(skel->maps.io_stats, 0);
	rc = rc ?: bpf_map__set_max_entries(
			    skel->maps.io_stats,
			    test_entries("BPFPROF_SYSTEM_IO_ENTRIES",
					 system_entries(sizeof(struct io_stats), n_io)));
	rc = rc ?: bpf_map__set_map_flags(skel->maps.stage_stats, 0);
	rc = rc ?: bpf_map__set_max_entries(
			    skel->maps.stage_stats,
			    cfg->n_stages ? system_entries(sizeof(struct stage_stats), n_stages) : 1);
	rc = rc ?: bpf_map__set_max_entries(skel->maps.traced_tgids, 1);
	return rc ?: size_span_ring(skel, cfg);
}

/* Load only the stage programs this run attaches, typed for its link kind. */
static int configure_stage_programs(struct bpfprof_bpf *skel, const struct loader_config *cfg)
{
	struct bpf_program *session = skel->progs.stage_session;
	struct bpf_program *entry = skel->progs.stage_entry, *ret = skel->progs.stage_return;
	int rc = 0;

	/* How a target (-p, a command) ends; process exits free the hashes'
	 * entries; thread exits close stacks. */
	bpf_program__set_autoload(skel->progs.thread_exit,
				  cfg->n_stages > 0 || cfg->targ_tgid || !one_target(cfg));
	bpf_program__set_autoload(skel->progs.proc_fork, cfg->follow || cfg->comm);
	bpf_program__set_autoload(skel->progs.cpu_sample, cfg->cpu_sample_hz > 0);
	bpf_program__set_autoload(skel->progs.sys_enter, !cfg->syscalls_off);
	bpf_program__set_autoload(skel->progs.sys_exit, !cfg->syscalls_off);
	bpf_program__set_autoload(skel->progs.cpu_switch, !cfg->syscalls_off || cfg->n_stages);
	bpf_program__set_autoload(skel->progs.wall_wakeup, !cfg->syscalls_off || cfg->n_stages);
	bpf_program__set_autoload(skel->progs.wall_wakeup_new, !cfg->syscalls_off || cfg->n_stages);
	bpf_program__set_autoload(session,
				  cfg->n_stages && cfg->stage_links == UPROBE_LINK_SESSION);
	bpf_program__set_autoload(entry, cfg->n_stages && cfg->stage_links != UPROBE_LINK_SESSION);
	bpf_program__set_autoload(ret, cfg->n_stages && cfg->stage_links != UPROBE_LINK_SESSION);
	/* USDT sites are not function entries: MULTI or PERF entry probes. */
	bpf_program__set_autoload(skel->progs.usdt_begin, cfg->usdt_stages);
	bpf_program__set_autoload(skel->progs.usdt_begin_named, cfg->usdt_name_specs > 0);
	bpf_program__set_autoload(skel->progs.usdt_end, cfg->usdt_stages);
	bpf_program__set_autoload(skel->progs.usdt_arm, cfg->usdt_stages);
	bpf_program__set_autoload(skel->progs.usdt_hit, cfg->usdt_stages);
	if (cfg->usdt_stages) {
		rc = uprobe_link_prepare_prog(skel->progs.usdt_begin, usdt_link_kind());
		rc = rc ?: uprobe_link_prepare_prog(skel->progs.usdt_end, usdt_link_kind());
		if (cfg->usdt_name_specs)
			rc = rc ?: uprobe_link_prepare_prog(skel->progs.usdt_begin_named,
							    usdt_link_kind());
		rc = rc ?: uprobe_link_prepare_prog(skel->progs.usdt_arm, usdt_link_kind());
		rc = rc ?: uprobe_link_prepare_prog(skel->progs.usdt_hit, usdt_link_kind());
		if (rc)
			return rc;
	}
	if (!cfg->n_stages)
		return 0;
	if (cfg->stage_links == UPROBE_LINK_SESSION)
		return uprobe_link_prepare_prog(session, UPROBE_LINK_SESSION);
	rc = uprobe_link_prepare_prog(entry, cfg->stage_links);
	if (!rc)
		rc = uprobe_link_prepare_prog(ret, cfg->stage_links);
	return rc;
}

/* Return-site programs: plain uprobes, on multi links where the kernel has them. */
static int configure_site_programs(struct bpfprof_bpf *skel, const struct loader_config *cfg)
{
	enum uprobe_link_kind kind = stages_site_link_kind(cfg->stage_links);
	struct bpf_program *progs[] = { skel->progs.stage_site_entry, skel->progs.stage_site_return,
					skel->progs.stage_go_entry,   skel->progs.stage_go_return,
					skel->progs.stage_go_exit,    skel->progs.go_park,
					skel->progs.go_ready,	      skel->progs.go_yield,
					skel->progs.go_run };
	int rc = 0;

	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]) && !rc; i++) {
		bool want = i < 2 ? cfg->n_site_stages > 0 : cfg->n_go_stages > 0;

		if (i >= 5 && cfg->go_sched_off)
			want = false; /* the Go scheduler's programs */

		bpf_program__set_autoload(progs[i], want);
		if (want)
			rc = uprobe_link_prepare_prog(progs[i], kind);
	}
	/* One stack per goroutine inside a timed call at once. */
	rc = rc ?: bpf_map__set_max_entries(skel->maps.go_parks,
					    cfg->n_go_stages ? GO_STACKS_MAX : 1);
	return rc ?: bpf_map__set_max_entries(skel->maps.go_stacks,
					      cfg->n_go_stages ? GO_STACKS_MAX : 1);
}

void loader_stage_programs(const struct bpfprof_bpf *skel, enum uprobe_link_kind kind,
			   struct stage_progs *progs)
{
	memset(progs, 0, sizeof(*progs));
	progs->jump_sites_fd = bpf_map__fd(skel->maps.jump_sites);
	if (kind == UPROBE_LINK_SESSION) {
		progs->entry = progs->ret = skel->progs.stage_session;
	} else {
		progs->entry = skel->progs.stage_entry;
		progs->ret = skel->progs.stage_return;
	}
	if (bpf_program__autoload(skel->progs.stage_site_entry)) {
		progs->site_entry = skel->progs.stage_site_entry;
		progs->site_return = skel->progs.stage_site_return;
	}
	progs->go_wait_class_fd = -1;
	if (bpf_program__autoload(skel->progs.stage_go_entry)) {
		progs->go_entry = skel->progs.stage_go_entry;
		progs->go_return = skel->progs.stage_go_return;
		progs->go_exit = skel->progs.stage_go_exit;
	}
	if (bpf_program__autoload(skel->progs.go_park)) {
		progs->go_park = skel->progs.go_park;
		progs->go_ready = skel->progs.go_ready;
		progs->go_yield = skel->progs.go_yield;
		progs->go_run = skel->progs.go_run;
		progs->go_wait_class_fd = bpf_map__fd(skel->maps.go_wait_class);
	}
}

static int fill_free_stacks(struct bpfprof_bpf *skel)
{
	int fd = bpf_map__fd(skel->maps.free_stacks);
	__u32 n = bpf_map__max_entries(skel->maps.stage_stacks);

	for (__u32 id = 1; id < n; id++)
		if (bpf_map_update_elem(fd, NULL, &id, BPF_ANY))
			return -errno;
	return 0;
}

struct bpfprof_bpf *loader_open_and_load(const struct loader_config *cfg, char *err, size_t errlen)
{
	const char *why = loader_check_environment();
	struct bpfprof_bpf *skel;
	int rc;

	if (why) {
		snprintf(err, errlen, "%s", why);
		return NULL;
	}
	verbose = cfg->verbose;
	libbpf_set_print(libbpf_print_fn);
	skel = bpfprof_bpf__open();
	if (!skel) {
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(errno));
		return NULL;
	}
	rc = configure_stage_programs(skel, cfg);
	rc = rc ?: configure_site_programs(skel, cfg);
	rc = rc ?: size_maps(skel, cfg);
	if (rc) {
		snprintf(err, errlen, "cannot prepare the stage programs: %s", strerror(-rc));
		bpfprof_bpf__destroy(skel);
		return NULL;
	}
	skel->rodata->targ_tgid = (__u32)cfg->targ_tgid;
	skel->rodata->self_tgid = (__u32)getpid();
	skel->rodata->one_target = one_target(cfg);
	skel->rodata->follow = traced_set(cfg);
	skel->rodata->follow_forks = cfg->follow;
	skel->rodata->by_comm = cfg->comm != NULL;
	if (cfg->comm)
		strncpy((char *)skel->rodata->match_comm, cfg->comm,
			sizeof(skel->rodata->match_comm) - 1);
	syscall_fill_io_classes((uint8_t *)skel->rodata->io_class, MAX_SYSCALL_NR);
	syscall_fill_io_slots((uint8_t *)skel->rodata->io_slot, MAX_SYSCALL_NR);
	syscall_fill_wall_sys((uint8_t *)skel->rodata->wall_sys, MAX_SYSCALL_NR);
	skel->rodata->stage_sample_every = cfg->sample_every > 1 ? cfg->sample_every : 1;
	skel->rodata->span_events = cfg->span_ring_bytes > 0;
	skel->rodata->stages_attached = cfg->n_stages > 0;
	if (cfg->usdt_names && cfg->usdt_first_name_id)
		skel->rodata->stage_array_ids = cfg->usdt_first_name_id;
	skel->rodata->go_stages_attached = cfg->n_go_stages > 0;
	skel->rodata->span_wakeup_bytes = bpf_map__max_entries(skel->maps.spans) / 4;
	skel->data->stages_enabled = !cfg->stages_off;
	rc = bpfprof_bpf__load(skel);
	if (rc) {
		snprintf(err, errlen,
			 "cannot load the BPF programs: %s (run with -v for the verifier log)",
			 strerror(-rc));
		bpfprof_bpf__destroy(skel);
		return NULL;
	}
	rc = fill_free_stacks(skel);
	if (rc) {
		snprintf(err, errlen, "cannot fill the stage stack queue: %s", strerror(-rc));
		bpfprof_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

int loader_prepare_target(struct bpfprof_bpf *skel, pid_t tgid, char *err, size_t errlen)
{
	struct proc_info info = {};
	__u32 key = (__u32)tgid;
	__u8 one = 1;
	char path[64];
	FILE *f;

	/* The kernel side names a process when it first counts it in a hash;
	 * array counters never tell it, so name the target here. */
	snprintf(path, sizeof(path), "/proc/%d/comm", tgid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(info.comm, sizeof(info.comm), f))
			info.comm[strcspn(info.comm, "\n")] = '\0';
		fclose(f);
		bpf_map_update_elem(bpf_map__fd(skel->maps.procs), &key, &info, BPF_ANY);
	}
	if (skel->rodata->follow &&
	    bpf_map_update_elem(bpf_map__fd(skel->maps.traced_tgids), &key, &one, BPF_ANY)) {
		snprintf(err, errlen, "cannot mark process %d traced: %s", tgid, strerror(errno));
		return -errno;
	}
	return 0;
}

int loader_attach_syscalls(struct bpfprof_bpf *skel, char *err, size_t errlen)
{
	/* sched_switch first and entry last: an entry is never written where
	 * no one would carry it over a context switch or read it back. The
	 * stage probes, attached later, rely on it too. */
	if (bpf_program__autoload(skel->progs.cpu_switch)) {
		skel->links.cpu_switch = bpf_program__attach(skel->progs.cpu_switch);
		if (!skel->links.cpu_switch)
			goto fail;
	}
	if (bpf_program__autoload(skel->progs.sys_enter)) {
		skel->links.sys_exit = bpf_program__attach(skel->progs.sys_exit);
		if (!skel->links.sys_exit)
			goto fail;
		skel->links.sys_enter = bpf_program__attach(skel->progs.sys_enter);
		if (!skel->links.sys_enter)
			goto fail;
	}
	if (bpf_program__autoload(skel->progs.wall_wakeup)) {
		skel->links.wall_wakeup = bpf_program__attach(skel->progs.wall_wakeup);
		skel->links.wall_wakeup_new = bpf_program__attach(skel->progs.wall_wakeup_new);
		if (!skel->links.wall_wakeup || !skel->links.wall_wakeup_new)
			goto fail;
	}
	skel->links.proc_exec = bpf_program__attach(skel->progs.proc_exec);
	if (!skel->links.proc_exec)
		goto fail;
	if (bpf_program__autoload(skel->progs.proc_fork)) {
		skel->links.proc_fork = bpf_program__attach(skel->progs.proc_fork);
		if (!skel->links.proc_fork)
			goto fail;
	}
	if (bpf_program__autoload(skel->progs.thread_exit)) {
		skel->links.thread_exit = bpf_program__attach(skel->progs.thread_exit);
		if (!skel->links.thread_exit)
			goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot attach to the syscall tracepoints: %s", strerror(errno));
	return -errno;
}

void loader_detach(struct bpfprof_bpf *skel)
{
	bpf_link__destroy(skel->links.sys_enter);
	bpf_link__destroy(skel->links.sys_exit);
	bpf_link__destroy(skel->links.cpu_switch);
	bpf_link__destroy(skel->links.proc_exec);
	bpf_link__destroy(skel->links.thread_exit);
	bpf_link__destroy(skel->links.proc_fork);
	bpf_link__destroy(skel->links.wall_wakeup);
	bpf_link__destroy(skel->links.wall_wakeup_new);
	skel->links.wall_wakeup = skel->links.wall_wakeup_new = NULL;
	skel->links.sys_enter = skel->links.sys_exit = skel->links.proc_exec = NULL;
	skel->links.cpu_switch = NULL;
	skel->links.thread_exit = skel->links.proc_fork = NULL;
}

void loader_collector_maps(const struct bpfprof_bpf *skel, struct collector_maps *maps)
{
	bool stages = skel->rodata->stages_attached;

	maps->one_target_tgid = skel->rodata->one_target ? skel->rodata->targ_tgid : 0;
	maps->sys_stats = bpf_map__fd(skel->maps.sys_stats);
	maps->sys_counts = bpf_map__fd(skel->maps.sys_counts);
	maps->io_stats = bpf_map__fd(skel->maps.io_stats);
	maps->io_counts = bpf_map__fd(skel->maps.io_counts);
	maps->stage_stats = stages ? bpf_map__fd(skel->maps.stage_stats) : -1;
	maps->stage_counts = stages ? bpf_map__fd(skel->maps.stage_counts) : -1;
	/* The last stage id is the probe-cost calibration's (size_maps): with
	 * one target and no -U names it is the array's last. */
	maps->n_stages = stages ? bpf_map__max_entries(skel->maps.stage_counts) : 0;
	if (maps->n_stages && maps->n_stages >= bpf_map__max_entries(skel->maps.stage_mech))
		maps->n_stages = bpf_map__max_entries(skel->maps.stage_mech) - 1;
	maps->named_in_hash = skel->rodata->stage_array_ids != STAGE_MAX_COUNT;
	maps->proc_wall = bpf_program__autoload(skel->progs.cpu_switch)
				  ? bpf_map__fd(skel->maps.proc_wall)
				  : -1;
	maps->proc_wall_counts = bpf_map__fd(skel->maps.proc_wall_counts);
	maps->procs = bpf_map__fd(skel->maps.procs);
	maps->exited = skel->rodata->one_target ? -1 : bpf_map__fd(skel->maps.exited_tgids);
	maps->traced = skel->rodata->follow ? bpf_map__fd(skel->maps.traced_tgids) : -1;
	maps->sample_every = skel->rodata->stage_sample_every;
	maps->audit = bpf_map__fd(skel->maps.audit);
}

void loader_set_stages_enabled(struct bpfprof_bpf *skel, bool on)
{
	/* .data is mmapped: the store is what the probes read next. */
	__atomic_store_n(&skel->data->stages_enabled, on ? 1 : 0, __ATOMIC_RELAXED);
}

void loader_next_stage_gen(struct bpfprof_bpf *skel)
{
	__atomic_add_fetch(&skel->bss->stage_gen, 1, __ATOMIC_RELAXED);
}

void loader_start_counting(struct bpfprof_bpf *skel)
{
	/* Calls entered while the stage probes were being attached are left
	 * uncounted with their callees; but a call entered before its probe
	 * was attached is unseen, and its callees would count without it:
	 * give such calls time to return first. */
	if (skel->rodata->stages_attached)
		usleep(STAGE_SETTLE_MS * 1000);
	__atomic_store_n(&skel->bss->counting, COUNTING_ON, __ATOMIC_RELEASE);
}

/* Stage calls open now that will be counted when they return; -1 when
 * the stacks cannot be read. Stacks kept in task storage (threads past
 * the stage_stacks array) are not seen. */
static long open_counted_calls(struct bpfprof_bpf *skel, void *buf)
{
	int fd = bpf_map__fd(skel->maps.stage_stacks);
	__u32 n = bpf_map__max_entries(skel->maps.stage_stacks);
	__u32 gen = __atomic_load_n(&skel->bss->stage_gen, __ATOMIC_RELAXED);
	long open = 0;

	for (__u32 id = 1; id < n; id++) {
		const struct stage_stack_head *h = buf;

		if (bpf_map_lookup_elem(fd, &id, buf))
			return -1;
		if (h->depth && h->counted && h->gen == gen)
			open += h->depth;
	}
	return open;
}

void loader_stop_counting(struct bpfprof_bpf *skel)
{
	void *buf = NULL;

	if (skel->rodata->stages_attached) {
		/* Calls open now are still counted when they return, with
		 * what they call and their I/O: wait for them (a short while:
		 * main() never returns). */
		__atomic_store_n(&skel->bss->counting, COUNTING_STOPPING, __ATOMIC_RELEASE);
		buf = malloc(bpf_map__value_size(skel->maps.stage_stacks));
	}
	for (int waited = 0; buf && waited < STAGE_DRAIN_MS; waited++) {
		if (open_counted_calls(skel, buf) <= 0)
			break;
		usleep(1000);
	}
	free(buf);
	/* Those still open are left out, their I/O from here too. */
	__atomic_store_n(&skel->bss->counting, COUNTING_OFF, __ATOMIC_RELEASE);
}

bool loader_stages_enabled(const struct bpfprof_bpf *skel)
{
	return __atomic_load_n(&skel->data->stages_enabled, __ATOMIC_RELAXED) != 0;
}

int loader_span_ring_fd(const struct bpfprof_bpf *skel)
{
	return skel->rodata->span_events ? bpf_map__fd(skel->maps.spans) : -1;
}

bool loader_target_end(const struct bpfprof_bpf *skel, int *wait_status, uint64_t *ktime_ns)
{
	const volatile struct target_end *e = &skel->bss->target_end;

	if (!__atomic_load_n(&e->seen, __ATOMIC_ACQUIRE))
		return false;
	*wait_status = (int)e->exit_code;
	*ktime_ns = e->ktime_ns;
	return true;
}
