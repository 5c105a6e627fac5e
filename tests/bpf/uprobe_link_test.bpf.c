// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * Programs for tests/test_uprobe_link.c. Every probe is told which
 * function it sits on by its attach cookie, so the test can check exact
 * per-function counts. All are SEC("uprobe"): the test turns them into
 * multi, session or classic uprobes with uprobe_link_prepare_prog().
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define MAX_COOKIES 4096
/* Session entry returns 1 for cookies with this bit: no return run. */
#define SKIP_RETURN (1ULL << 20)

/* Session kfuncs (Linux 6.10 for kprobes, 6.13 for uprobes), as in 6.18's BTF. */
extern bool bpf_session_is_return(void) __ksym;
extern __u64 *bpf_session_cookie(void) __ksym;

struct sess_stat {
	__u64 entries;
	__u64 returns;
	__u64 dur_ns;  /* sum of entry-to-return times */
	__u64 bad_dur; /* returns whose time was not positive */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_COOKIES);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_COOKIES);
	__type(key, __u32);
	__type(value, struct sess_stat);
} sess SEC(".maps");

static __always_inline int count_hit(struct pt_regs *ctx)
{
	__u32 key = bpf_get_attach_cookie(ctx);
	__u64 *n;

	n = bpf_map_lookup_elem(&hits, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	return 0;
}

/* Loaded for multi links (entry and return share it: cookies differ). */
SEC("uprobe")
int count_multi(struct pt_regs *ctx)
{
	return count_hit(ctx);
}

/* The same, loaded for classic perf-event uprobes. */
SEC("uprobe")
int count_perf(struct pt_regs *ctx)
{
	return count_hit(ctx);
}

SEC("uprobe")
int session_time(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u64 *slot = bpf_session_cookie();
	__u32 key = cookie & ~SKIP_RETURN;
	struct sess_stat *st;
	__s64 d;

	st = bpf_map_lookup_elem(&sess, &key);
	if (!st)
		return 1;
	if (!bpf_session_is_return()) {
		__sync_fetch_and_add(&st->entries, 1);
		*slot = bpf_ktime_get_ns();
		return cookie & SKIP_RETURN ? 1 : 0;
	}
	__sync_fetch_and_add(&st->returns, 1);
	d = bpf_ktime_get_ns() - *slot;
	if (d > 0)
		__sync_fetch_and_add(&st->dur_ns, d);
	else
		__sync_fetch_and_add(&st->bad_dur, 1);
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
