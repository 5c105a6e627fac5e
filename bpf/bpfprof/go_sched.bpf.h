/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * A goroutine's time off its thread (issue 18, Go stages). A goroutine
 * that waits in the Go scheduler (a channel, a sync.Mutex, time.Sleep, the
 * network poller) parks: runtime.gopark, with a waitReason; the thread
 * goes on running other goroutines, so nothing the kernel sees says the
 * goroutine is not running. Probes on the runtime's own transitions do:
 *
 *   gopark(..., reason)  parked: blocked, by reason, from here
 *   ready(gp)            woken (a channel send, a timer, a mutex unlock):
 *                        waiting for a thread from here (runqueue)
 *   goschedImpl(gp)      put back on the run queue (Gosched, preemption):
 *                        waiting for a thread from here
 *   exitsyscall0(gp)     back from a syscall with no P free: the same
 *   execute(gp)          running again: the span ends
 *
 * Each span goes to the goroutine's innermost open stage call, as a
 * thread's off-CPU spans go to the thread's (wall.bpf.h); wall_record
 * then leaves the call's on-CPU time as the rest of its self time. Only
 * goroutines inside a timed call are followed; the probes are attached
 * with Go stages only. A goroutine the poller readies goes from parked
 * to running without ready(): its wait for a thread is counted blocked on
 * I/O with the rest.
 *
 * The probes sit on the jbe of each function's stack-growth check, which
 * the kernel emulates (the instruction after it would be single-stepped);
 * when it is taken, morestack runs and the function starts again, so the
 * probe does nothing then (return_sites.bpf.h's go_check_restarts, which
 * the stage entry probes use too).
 */
#ifndef BPFPROF_GO_SCHED_BPF_H
#define BPFPROF_GO_SCHED_BPF_H

#include "state.bpf.h"
#include "go_stack.bpf.h"
#include "return_sites.bpf.h"

struct go_park {
	__u64 since_ns;
	__u32 off; /* enum wall_off: WALL_RUNNABLE or WALL_BLOCKED + enum wall_block */
	__u32 pad;
};

/* Goroutines inside a timed call that are parked or runnable. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1);
	__type(key, struct go_stack_key);
	__type(value, struct go_park);
} go_parks SEC(".maps");

/* enum wall_block of each waitReason, per Go binary (the numbering changes
 * between Go versions): GO_WAIT_REASONS entries from the binary's index
 * in the gopark probe's cookie; filled by userspace from the binary's
 * runtime.waitReasonStrings. 0 (other) when it was not found. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GO_BINARIES_MAX * GO_WAIT_REASONS);
	__type(key, __u32);
	__type(value, __u32);
} go_wait_class SEC(".maps");

/* A span of a goroutine off its thread, to its innermost open call. */
static __always_inline void go_charge(__u32 tgid, __u64 g, __u32 off, __u64 d)
{
	struct stage_stack *st = go_open_stack(tgid, g);
	struct stage_frame *f;

	if (!st)
		return;
	f = &st->frames[(st->depth - 1) & (STAGE_MAX_DEPTH - 1)];
	if (off == WALL_RUNNABLE)
		f->wall.runqueue_ns += d;
	else
		f->wall.blocked_ns[(off - WALL_BLOCKED) & WALL_BLOCK_MASK] += d;
}

/* runtime.gopark: r14 is the goroutine parking, cl its waitReason. */
SEC("uprobe")
int go_park(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	struct go_stack_key key = { .tgid = bpf_get_current_pid_tgid() >> 32, .g = ctx->r14 };
	struct go_park park = {};
	__u32 idx, *class;

	if (go_check_restarts(ctx, cookie) || stage_probe_idle() ||
	    !go_open_stack(key.tgid, key.g))
		return 0;
	idx = ((__u32)cookie % GO_BINARIES_MAX) * GO_WAIT_REASONS +
	      (__u32)(ctx->cx & (GO_WAIT_REASONS - 1));
	class = bpf_map_lookup_elem(&go_wait_class, &idx);
	park.off = WALL_BLOCKED + (class ? *class & WALL_BLOCK_MASK : WALL_BLOCK_OTHER);
	park.since_ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&go_parks, &key, &park, BPF_ANY);
	return 0;
}

/* runtime.ready(gp): rax. Parked until now, waiting for a thread from now. */
SEC("uprobe")
int go_ready(struct pt_regs *ctx)
{
	struct go_stack_key key = { .tgid = bpf_get_current_pid_tgid() >> 32, .g = ctx->ax };
	struct go_park *park;
	__u64 now;

	if (go_check_restarts(ctx, bpf_get_attach_cookie(ctx)))
		return 0;
	park = bpf_map_lookup_elem(&go_parks, &key);
	if (!park || park->off == WALL_RUNNABLE)
		return 0;
	now = bpf_ktime_get_ns();
	go_charge(key.tgid, key.g, park->off, now - park->since_ns);
	park->since_ns = now;
	park->off = WALL_RUNNABLE;
	return 0;
}

/* runtime.goschedImpl(gp) and exitsyscall0(gp): rax, back on the run
 * queue from a thread it was running on (runtime.Gosched, the scheduler's
 * preemption, a syscall's return that found no P). */
SEC("uprobe")
int go_yield(struct pt_regs *ctx)
{
	struct go_stack_key key = { .tgid = bpf_get_current_pid_tgid() >> 32, .g = ctx->ax };
	struct go_park park = { .off = WALL_RUNNABLE };

	if (go_check_restarts(ctx, bpf_get_attach_cookie(ctx)) || stage_probe_idle() ||
	    !go_open_stack(key.tgid, key.g))
		return 0;
	park.since_ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&go_parks, &key, &park, BPF_ANY);
	return 0;
}

/* runtime.execute(gp): rax runs again; its span off the thread ends. */
SEC("uprobe")
int go_run(struct pt_regs *ctx)
{
	struct go_stack_key key = { .tgid = bpf_get_current_pid_tgid() >> 32, .g = ctx->ax };
	struct go_park *park;

	if (go_check_restarts(ctx, bpf_get_attach_cookie(ctx)))
		return 0;
	park = bpf_map_lookup_elem(&go_parks, &key);
	if (!park)
		return 0;
	go_charge(key.tgid, key.g, park->off, bpf_ktime_get_ns() - park->since_ns);
	bpf_map_delete_elem(&go_parks, &key);
	return 0;
}

#endif /* BPFPROF_GO_SCHED_BPF_H */
