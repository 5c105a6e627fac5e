// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/capability.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf_loader.h"
#include "syscall_table.h"

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

/*
 * With one known target, every counter it can use is created before the
 * probes attach, so the maps are preallocated at exactly that size: no
 * allocation ever happens on a probe, and none can fail. Whole-machine mode
 * cannot know its processes: its maps allocate as they go (a failure is
 * counted in the audit).
 */
static int size_maps(struct bpfprof_bpf *skel, const struct loader_config *cfg)
{
	__u32 n_io = 0;
	int rc;

	if (!cfg->targ_tgid)
		return bpf_map__set_max_entries(skel->maps.stage_stats,
						cfg->n_stages * 16 > 16384 ? cfg->n_stages * 16
									   : 16384);
	for (__u32 nr = 0; nr < MAX_SYSCALL_NR; nr++)
		n_io += syscall_io_class(nr) != IO_NONE;
	rc = bpf_map__set_map_flags(skel->maps.sys_stats, 0);
	rc = rc ?: bpf_map__set_max_entries(skel->maps.sys_stats, MAX_SYSCALL_NR - n_io);
	rc = rc ?: bpf_map__set_map_flags(skel->maps.io_stats, 0);
	rc = rc ?: bpf_map__set_max_entries(skel->maps.io_stats, n_io);
	rc = rc ?: bpf_map__set_map_flags(skel->maps.stage_stats, 0);
	rc = rc ?: bpf_map__set_max_entries(skel->maps.stage_stats,
					    cfg->n_stages ? (__u32)cfg->n_stages : 1);
	return rc;
}

/* Load only the stage programs this run attaches, typed for its link kind. */
static int configure_stage_programs(struct bpfprof_bpf *skel, const struct loader_config *cfg)
{
	struct bpf_program *session = skel->progs.stage_session;
	struct bpf_program *entry = skel->progs.stage_entry, *ret = skel->progs.stage_return;
	int rc = 0;

	bpf_program__set_autoload(skel->progs.thread_exit, cfg->n_stages > 0);
	bpf_program__set_autoload(session, cfg->n_stages && cfg->stage_links == UPROBE_LINK_SESSION);
	bpf_program__set_autoload(entry, cfg->n_stages && cfg->stage_links != UPROBE_LINK_SESSION);
	bpf_program__set_autoload(ret, cfg->n_stages && cfg->stage_links != UPROBE_LINK_SESSION);
	if (!cfg->n_stages)
		return 0;
	if (cfg->stage_links == UPROBE_LINK_SESSION)
		return uprobe_link_prepare_prog(session, UPROBE_LINK_SESSION);
	rc = uprobe_link_prepare_prog(entry, cfg->stage_links);
	if (!rc)
		rc = uprobe_link_prepare_prog(ret, cfg->stage_links);
	return rc;
}

void loader_stage_programs(const struct bpfprof_bpf *skel, enum uprobe_link_kind kind,
			   const struct bpf_program **entry, const struct bpf_program **ret)
{
	if (kind == UPROBE_LINK_SESSION) {
		*entry = *ret = skel->progs.stage_session;
	} else {
		*entry = skel->progs.stage_entry;
		*ret = skel->progs.stage_return;
	}
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
	rc = rc ?: size_maps(skel, cfg);
	if (rc) {
		snprintf(err, errlen, "cannot prepare the stage programs: %s", strerror(-rc));
		bpfprof_bpf__destroy(skel);
		return NULL;
	}
	skel->rodata->targ_tgid = (__u32)cfg->targ_tgid;
	skel->rodata->self_tgid = (__u32)getpid();
	syscall_fill_io_classes((uint8_t *)skel->rodata->io_class, MAX_SYSCALL_NR);
	rc = bpfprof_bpf__load(skel);
	if (rc) {
		snprintf(err, errlen, "cannot load the BPF programs: %s (run with -v for the verifier log)",
			 strerror(-rc));
		bpfprof_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

int loader_prepare_target(struct bpfprof_bpf *skel, pid_t tgid, size_t n_stages, char *err,
			  size_t errlen)
{
	int stage_fd = bpf_map__fd(skel->maps.stage_stats);
	int ncpus = libbpf_num_possible_cpus();
	int sys_fd = bpf_map__fd(skel->maps.sys_stats);
	int io_fd = bpf_map__fd(skel->maps.io_stats);
	struct proc_info info = {};
	void *zero = NULL;
	char path[64];
	FILE *f;
	int rc = 0;

	/* One zero value, big enough for every map's (stage_stats is the largest). */
	_Static_assert(sizeof(struct stage_stats) >= sizeof(struct io_stats), "zero value size");
	if (ncpus <= 0 || !(zero = calloc(ncpus, sizeof(struct stage_stats)))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (__u32 nr = 0; nr < MAX_SYSCALL_NR; nr++) {
		struct sys_key key = { .tgid = (__u32)tgid, .nr = nr };
		int fd = syscall_io_class(nr) ? io_fd : sys_fd;

		if (bpf_map_update_elem(fd, &key, zero, BPF_NOEXIST) && errno != EEXIST) {
			rc = -errno;
			snprintf(err, errlen, "cannot prepare the counters: %s", strerror(errno));
			goto cleanup;
		}
	}
	for (__u32 id = 0; id < n_stages; id++) {
		struct stage_key key = { .tgid = (__u32)tgid, .stage = id };

		if (bpf_map_update_elem(stage_fd, &key, zero, BPF_NOEXIST) && errno != EEXIST) {
			rc = -errno;
			snprintf(err, errlen, "cannot prepare the stage counters: %s",
				 strerror(errno));
			goto cleanup;
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/comm", tgid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(info.comm, sizeof(info.comm), f))
			info.comm[strcspn(info.comm, "\n")] = '\0';
		fclose(f);
		bpf_map_update_elem(bpf_map__fd(skel->maps.procs), &tgid, &info, BPF_ANY);
	}
cleanup:
	free(zero);
	return rc;
}

int loader_attach_syscalls(struct bpfprof_bpf *skel, char *err, size_t errlen)
{
	skel->links.sys_enter = bpf_program__attach(skel->progs.sys_enter);
	if (!skel->links.sys_enter)
		goto fail;
	skel->links.sys_exit = bpf_program__attach(skel->progs.sys_exit);
	if (!skel->links.sys_exit)
		goto fail;
	skel->links.proc_exec = bpf_program__attach(skel->progs.proc_exec);
	if (!skel->links.proc_exec)
		goto fail;
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
	bpf_link__destroy(skel->links.proc_exec);
	bpf_link__destroy(skel->links.thread_exit);
	skel->links.sys_enter = skel->links.sys_exit = skel->links.proc_exec = NULL;
	skel->links.thread_exit = NULL;
}

void loader_collector_maps(const struct bpfprof_bpf *skel, struct collector_maps *maps)
{
	maps->sys_stats = bpf_map__fd(skel->maps.sys_stats);
	maps->io_stats = bpf_map__fd(skel->maps.io_stats);
	maps->procs = bpf_map__fd(skel->maps.procs);
	maps->audit = bpf_map__fd(skel->maps.audit);
	maps->stage_stats = bpf_program__autoload(skel->progs.thread_exit)
				    ? bpf_map__fd(skel->maps.stage_stats)
				    : -1;
}
