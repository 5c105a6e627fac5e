/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * Go stages keep their open calls per goroutine (return_sites.bpf.h), not
 * per thread: goroutines move between threads. The thread's syscalls and
 * off-CPU time belong to the goroutine running on it, found by the g in
 * r14, which Go's register ABI (Go >= 1.17, amd64) keeps there in all Go
 * code, including its syscall wrappers (runtime/internal/syscall.Syscall6
 * and the runtime's own assembly do not touch r14). The kernel saves the
 * user registers at every entry, so r14 there is the g that made the
 * syscall or was running when the thread was switched out. The TLS slot
 * at fs_base - 8 holds g too, but only in binaries without cgo (with it,
 * the slot's offset is the dynamic linker's choice), and reading it costs
 * a user memory read where r14 costs none. A value in r14 that is not a g
 * (C code of a cgo call, runtime assembly) finds no entry: nothing is
 * charged to a Go frame then.
 */
#ifndef BPFPROF_GO_STACK_BPF_H
#define BPFPROF_GO_STACK_BPF_H

#include "state.bpf.h"

struct go_stack_key {
	__u32 tgid;
	__u32 pad;
	__u64 g; /* the goroutine's runtime.g, r14 in Go >= 1.17 amd64 code */
};

/* Open stage calls per goroutine: goroutines move between threads. LRU:
 * a goroutine that exits with calls open leaves its entry to be reused. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1);
	__type(key, struct go_stack_key);
	__type(value, struct stage_stack);
} go_stacks SEC(".maps");

/* The open calls of goroutine g of process tgid, when it has any in this
 * generation; NULL otherwise. Only with Go stages: the verifier drops
 * the callers' branch for every other run. */
static __always_inline struct stage_stack *go_open_stack(__u32 tgid, __u64 g)
{
	struct go_stack_key key = { .tgid = tgid, .g = g };
	struct stage_stack *st;

	if (!go_stages_attached || !g)
		return NULL;
	st = bpf_map_lookup_elem(&go_stacks, &key);
	if (!st || !st->depth || st->gen != stage_gen)
		return NULL;
	return st;
}

#endif /* BPFPROF_GO_STACK_BPF_H */
