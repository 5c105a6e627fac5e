/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * Attach one BPF program to many uprobes at once.
 *
 * Three ways, best first:
 *  - SESSION: one uprobe_multi link whose program runs at entry and at
 *    return of every function, with an 8-byte slot shared by both runs
 *    (bpf_session_cookie()). Linux 6.13+.
 *  - MULTI: one uprobe_multi link, entry or return. Linux 6.6+ (6.10+ or
 *    a stable backport for a pid filter that covers every thread).
 *  - PERF: classic uprobes, one perf-event link per offset through
 *    libbpf. Works everywhere but detaching costs two RCU grace periods
 *    per link (see struct uprobe_link).
 *
 * Debian's libbpf 1.1.2 has no API for the first two, so the link is
 * made with a raw bpf(BPF_LINK_CREATE). Its <linux/bpf.h> (Linux 6.1)
 * lacks the constants: the shims below carry our own names so they
 * cannot clash with a newer header's enum members.
 */
#ifndef BPFPROF_UPROBE_LINK_H
#define BPFPROF_UPROBE_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct bpf_program;
struct bpf_link;

/* enum bpf_attach_type BPF_TRACE_UPROBE_MULTI, Linux 6.6. */
#define UPROBE_LINK_ATTACH_MULTI 48
/* enum bpf_attach_type BPF_TRACE_UPROBE_SESSION, Linux 6.13. */
#define UPROBE_LINK_ATTACH_SESSION 57
/* link_create.uprobe_multi.flags BPF_F_UPROBE_MULTI_RETURN, Linux 6.6. */
#define UPROBE_LINK_F_RETURN 1U
/* The kernel's MAX_UPROBE_MULTI_CNT: more offsets per link get -E2BIG. */
#define UPROBE_LINK_MAX_CNT (1U << 20)

enum uprobe_link_kind {
	UPROBE_LINK_SESSION,
	UPROBE_LINK_MULTI,
	UPROBE_LINK_PERF,
};

const char *uprobe_link_kind_name(enum uprobe_link_kind kind);

/*
 * Whether the running kernel supports kind, probed once per process and
 * cached (not thread-safe on the first call). Needs CAP_BPF and
 * CAP_PERFMON: without them every answer but PERF is false. MULTI is
 * false on kernels whose pid filter matches only the one thread (6.6 to
 * 6.9 without the backport), since callers rely on it covering a process.
 */
bool uprobe_link_kernel_supports(enum uprobe_link_kind kind);

/*
 * Before bpf_object__load(): make prog, written as SEC("uprobe"), load
 * for kind. Sets type KPROBE, expected_attach_type 48 (MULTI), 57
 * (SESSION) or 0 (PERF), and turns auto-attach off since libbpf 1.1.2
 * cannot attach multi/session programs itself. 0 or -errno (-EBUSY once
 * loaded).
 */
int uprobe_link_prepare_prog(struct bpf_program *prog, enum uprobe_link_kind kind);

/*
 * One link covering cnt offsets (file offsets, as for any uprobe) in the
 * binary at path. pid 0 traces every process, else only process pid (all
 * its threads). cookies may be NULL; else cookies[i] is what
 * bpf_get_attach_cookie() returns at offsets[i]. kind is MULTI (entry,
 * or return when is_return) or SESSION (is_return ignored). prog_fd
 * must have been loaded as BPF_PROG_TYPE_KPROBE with expected attach
 * type 48 for MULTI or 57 for SESSION. Returns the link fd (close() it
 * to detach) or -errno.
 */
int uprobe_link_create_multi(int prog_fd, enum uprobe_link_kind kind, bool is_return,
			     const char *path, const uint64_t *offsets, const uint64_t *cookies,
			     size_t cnt, pid_t pid);

/*
 * Any kind behind one handle. For PERF it owns one classic uprobe per
 * offset. Detaching those is slow: each link's uprobe is unregistered
 * alone, and every unregistration waits for an RCU tasks-trace grace
 * period plus an SRCU one (uprobe_unregister_sync()) so that no CPU is
 * still inside its handler; that is ~100 ms per link, where a multi link
 * unregisters all its uprobes and then waits once.
 */
struct uprobe_link {
	enum uprobe_link_kind kind;
	int fd;			/* MULTI/SESSION: the link; -1 otherwise */
	struct bpf_link **perf; /* PERF: one link per offset */
	size_t nr_perf;
};

/* An empty link: destroying it does nothing. */
#define UPROBE_LINK_INIT                                                                           \
	{                                                                                          \
		.kind = UPROBE_LINK_PERF, .fd = -1                                                 \
	}

/*
 * Attach prog (loaded after uprobe_link_prepare_prog(prog, kind)) as in
 * uprobe_link_create_multi(); kind PERF honours is_return and cookies
 * too. link need not be initialised: on success it owns what was made;
 * on failure nothing is left attached and link is empty. 0 or -errno.
 */
int uprobe_link_attach(struct uprobe_link *link, const struct bpf_program *prog,
		       enum uprobe_link_kind kind, bool is_return, const char *path,
		       const uint64_t *offsets, const uint64_t *cookies, size_t cnt, pid_t pid);

/*
 * Entry probes (MULTI or PERF) whose sites each arm a USDT semaphore:
 * ref_ctr_offsets[i] (file offset, 0 for none) is the counter the kernel
 * increments while offsets[i] is probed.
 */
int uprobe_link_attach_ref(struct uprobe_link *link, const struct bpf_program *prog,
			   enum uprobe_link_kind kind, const char *path, const uint64_t *offsets,
			   const uint64_t *ref_ctr_offsets, const uint64_t *cookies, size_t cnt,
			   pid_t pid);

/* Detach everything; safe on an empty or already destroyed link. */
void uprobe_link_destroy(struct uprobe_link *link);

#endif /* BPFPROF_UPROBE_LINK_H */
