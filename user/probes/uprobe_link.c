// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * Many uprobes behind one link: raw BPF_LINK_CREATE for uprobe_multi and
 * uprobe session links (libbpf 1.1.2 has neither), classic per-offset
 * uprobes through libbpf as the fallback.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "probes/uprobe_link.h"

/*
 * union bpf_attr as BPF_LINK_CREATE reads it for the uprobe_multi member
 * (Linux 6.6 include/uapi/linux/bpf.h; session links, 6.13, use the same
 * member). The kernel accepts an attr shorter than its own union and
 * zero-fills the rest.
 */
struct uprobe_multi_attr {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags; /* link_create.flags: must be 0 here */
	__aligned_u64 path;
	__aligned_u64 offsets;
	__aligned_u64 ref_ctr_offsets;
	__aligned_u64 cookies;
	__u32 cnt;
	__u32 multi_flags; /* link_create.uprobe_multi.flags */
	__u32 pid;
};

_Static_assert(offsetof(struct uprobe_multi_attr, path) == 16, "uprobe_multi.path");
_Static_assert(offsetof(struct uprobe_multi_attr, cookies) == 40, "uprobe_multi.cookies");
_Static_assert(offsetof(struct uprobe_multi_attr, cnt) == 48, "uprobe_multi.cnt");
_Static_assert(offsetof(struct uprobe_multi_attr, multi_flags) == 52, "uprobe_multi.flags");
_Static_assert(offsetof(struct uprobe_multi_attr, pid) == 56, "uprobe_multi.pid");
_Static_assert(sizeof(struct uprobe_multi_attr) == 64, "uprobe_multi attr size");

static inline __u64 ptr_to_u64(const void *p)
{
	return (__u64)(unsigned long)p;
}

/* No argument checks: the probes below pass what the public API refuses. */
static int link_create_raw(int prog_fd, __u32 attach_type, __u32 flags, const char *path,
			   const uint64_t *offsets, const uint64_t *cookies, __u32 cnt, __u32 pid,
			   const uint64_t *ref_ctr_offsets)
{
	struct uprobe_multi_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_fd = prog_fd;
	attr.attach_type = attach_type;
	attr.path = ptr_to_u64(path);
	attr.offsets = ptr_to_u64(offsets);
	attr.ref_ctr_offsets = ptr_to_u64(ref_ctr_offsets);
	attr.cookies = ptr_to_u64(cookies);
	attr.cnt = cnt;
	attr.multi_flags = flags;
	attr.pid = pid;
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}

static int kind_attach_type(enum uprobe_link_kind kind)
{
	switch (kind) {
	case UPROBE_LINK_SESSION:
		return UPROBE_LINK_ATTACH_SESSION;
	case UPROBE_LINK_MULTI:
		return UPROBE_LINK_ATTACH_MULTI;
	case UPROBE_LINK_PERF:
		return 0;
	}
	return -EINVAL;
}

const char *uprobe_link_kind_name(enum uprobe_link_kind kind)
{
	switch (kind) {
	case UPROBE_LINK_SESSION:
		return "session";
	case UPROBE_LINK_MULTI:
		return "multi";
	case UPROBE_LINK_PERF:
		return "perf";
	}
	return "?";
}

/*
 * A trivial program loaded for the attach type, then a link on "/".
 * Loading alone proves nothing (the kernel does not check a kprobe
 * program's expected_attach_type), but a kernel that knows the attach
 * type gets as far as the path and finds no regular file: -EBADF; one
 * that does not fails earlier with -EINVAL. Then pid -1: kernels with
 * the process-wide pid filter (Linux 6.10, "bpf: fix multi-uprobe PID
 * filtering logic", also in stable) reject it before the path, with
 * -EINVAL; the older thread-only filter would reach the path again.
 */
static bool probe_multi(__u32 attach_type)
{
	const struct bpf_insn insns[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = attach_type);
	const uint64_t offset = 0;
	int prog_fd, fd = -1;
	bool ok = false;

	prog_fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "uprobe_probe", "GPL", insns, 2, &opts);
	if (prog_fd < 0)
		return false;
	fd = link_create_raw(prog_fd, attach_type, 0, "/", &offset, NULL, 1, 0, NULL);
	if (fd != -EBADF)
		goto cleanup;
	fd = link_create_raw(prog_fd, attach_type, 0, "/", &offset, NULL, 1, (__u32)-1, NULL);
	ok = fd == -EINVAL;
cleanup:
	if (fd >= 0)
		close(fd);
	close(prog_fd);
	return ok;
}

/* libbpf uses the uprobe PMU, or tracefs on kernels before 4.17. */
static bool probe_perf(void)
{
	return access("/sys/bus/event_source/devices/uprobe/type", R_OK) == 0 ||
	       access("/sys/kernel/tracing/uprobe_events", W_OK) == 0 ||
	       access("/sys/kernel/debug/tracing/uprobe_events", W_OK) == 0;
}

bool uprobe_link_kernel_supports(enum uprobe_link_kind kind)
{
	static signed char cache[3]; /* 0 unknown, 1 yes, -1 no */
	bool ok;

	if ((unsigned int)kind >= sizeof(cache))
		return false;
	if (cache[kind])
		return cache[kind] > 0;
	if (kind == UPROBE_LINK_PERF)
		ok = probe_perf();
	else
		ok = probe_multi(kind_attach_type(kind));
	cache[kind] = ok ? 1 : -1;
	return ok;
}

int uprobe_link_prepare_prog(struct bpf_program *prog, enum uprobe_link_kind kind)
{
	int attach_type = kind_attach_type(kind);
	int err;

	if (!prog || attach_type < 0)
		return -EINVAL;
	err = bpf_program__set_type(prog, BPF_PROG_TYPE_KPROBE);
	if (err)
		return err;
	/*
	 * libbpf 1.1.2 copies this into BPF_PROG_LOAD for every program; its
	 * SEC("uprobe") handler does not override it.
	 */
	err = bpf_program__set_expected_attach_type(prog, (enum bpf_attach_type)attach_type);
	if (err)
		return err;
	/* libbpf 1.1.2 would attach a multi/session program as a classic uprobe. */
	bpf_program__set_autoattach(prog, false);
	return 0;
}

int uprobe_link_create_multi(int prog_fd, enum uprobe_link_kind kind, bool is_return,
			     const char *path, const uint64_t *offsets, const uint64_t *cookies,
			     size_t cnt, pid_t pid)
{
	__u32 flags = 0;

	if (prog_fd < 0 || !path || !offsets || !cnt || pid < 0)
		return -EINVAL;
	if (cnt > UPROBE_LINK_MAX_CNT)
		return -E2BIG;
	if (kind == UPROBE_LINK_MULTI && is_return)
		flags = UPROBE_LINK_F_RETURN;
	else if (kind != UPROBE_LINK_MULTI && kind != UPROBE_LINK_SESSION)
		return -EINVAL;
	return link_create_raw(prog_fd, kind_attach_type(kind), flags, path, offsets, cookies, cnt,
			       pid, NULL);
}

static int attach_perf(struct uprobe_link *link, const struct bpf_program *prog, bool is_return,
		       const char *path, const uint64_t *offsets, const uint64_t *cookies,
		       size_t cnt, pid_t pid, const uint64_t *ref_ctr_offsets)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = is_return);
	struct bpf_link **links;
	size_t i = 0;
	int err = 0;

	links = calloc(cnt, sizeof(*links));
	if (!links)
		return -ENOMEM;
	for (i = 0; i < cnt; i++) {
		opts.bpf_cookie = cookies ? cookies[i] : 0;
		opts.ref_ctr_offset = ref_ctr_offsets ? (size_t)ref_ctr_offsets[i] : 0;
		/* libbpf's pid: -1 is every process, 0 this one. */
		links[i] = bpf_program__attach_uprobe_opts(prog, pid ? pid : -1, path, offsets[i],
							   &opts);
		if (!links[i]) {
			err = errno ? -errno : -EINVAL;
			goto cleanup;
		}
	}
	link->perf = links;
	link->nr_perf = cnt;
	links = NULL;
cleanup:
	if (links) {
		while (i--)
			bpf_link__destroy(links[i]);
		free(links);
	}
	return err;
}

int uprobe_link_attach(struct uprobe_link *link, const struct bpf_program *prog,
		       enum uprobe_link_kind kind, bool is_return, const char *path,
		       const uint64_t *offsets, const uint64_t *cookies, size_t cnt, pid_t pid)
{
	int fd;

	if (!link)
		return -EINVAL;
	*link = (struct uprobe_link)UPROBE_LINK_INIT;
	link->kind = kind;
	if (!prog || !path || !offsets || !cnt || pid < 0)
		return -EINVAL;
	if (kind == UPROBE_LINK_PERF)
		return attach_perf(link, prog, is_return, path, offsets, cookies, cnt, pid, NULL);
	fd = uprobe_link_create_multi(bpf_program__fd(prog), kind, is_return, path, offsets,
				      cookies, cnt, pid);
	if (fd < 0)
		return fd;
	link->fd = fd;
	return 0;
}

void uprobe_link_destroy(struct uprobe_link *link)
{
	size_t i;

	if (!link)
		return;
	if (link->fd >= 0)
		close(link->fd);
	for (i = 0; i < link->nr_perf; i++)
		bpf_link__destroy(link->perf[i]);
	free(link->perf);
	link->fd = -1;
	link->perf = NULL;
	link->nr_perf = 0;
}

int uprobe_link_attach_ref(struct uprobe_link *link, const struct bpf_program *prog,
			   enum uprobe_link_kind kind, const char *path, const uint64_t *offsets,
			   const uint64_t *ref_ctr_offsets, const uint64_t *cookies, size_t cnt,
			   pid_t pid)
{
	int fd;

	if (!link)
		return -EINVAL;
	*link = (struct uprobe_link)UPROBE_LINK_INIT;
	link->kind = kind;
	if (!prog || !path || !offsets || !cnt || pid < 0 || kind == UPROBE_LINK_SESSION)
		return -EINVAL;
	if (cnt > UPROBE_LINK_MAX_CNT)
		return -E2BIG;
	if (kind == UPROBE_LINK_PERF)
		return attach_perf(link, prog, false, path, offsets, cookies, cnt, pid,
				   ref_ctr_offsets);
	fd = link_create_raw(bpf_program__fd(prog), UPROBE_LINK_ATTACH_MULTI, 0, path, offsets,
			     cookies, (__u32)cnt, (__u32)pid, ref_ctr_offsets);
	if (fd < 0)
		return fd;
	link->fd = fd;
	return 0;
}
