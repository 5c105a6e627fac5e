// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * USDT and marker stages: BEGIN pushes a frame, END pops the nearest open
 * frame of the same stage on the thread (the cookie is the stage id), so
 * pairs nest like function stages and share their accounting. Plain
 * uprobes on both sites: a probe site is not a function entry, so there is
 * no return to hook.
 */
#ifndef BPFPROF_USDT_BPF_H
#define BPFPROF_USDT_BPF_H

#include "stages.bpf.h"

SEC("uprobe")
int usdt_begin(struct pt_regs *ctx)
{
	struct stage_stack *stack;
	__u32 id;

	if (stage_probe_idle())
		return 0;
	stack = running_stage_stack(true, &id);
	if (stack)
		stage_push(stack, (__u32)bpf_get_attach_cookie(ctx));
	else
		audit_inc(AUDIT_TASK_STATE_FAILED);
	return 0;
}

/*
 * The innermost open frame of @stage. A global function: the verifier
 * checks it once and its caller sees one unknown index, where an inlined
 * search would hand stage_pop() one state per depth (too many to verify).
 */
__noinline int usdt_open_frame(struct stage_stack *st, __u32 stage)
{
	if (!st)
		return -1;
	for (int i = STAGE_MAX_DEPTH - 1; i >= 0; i--)
		if (i < (int)st->depth && st->frames[i].stage == stage)
			return i;
	return -1;
}

SEC("uprobe")
int usdt_end(struct pt_regs *ctx)
{
	__u64 now = bpf_ktime_get_ns();
	__u32 id, stage = (__u32)bpf_get_attach_cookie(ctx);
	struct stage_stack *stack;
	int idx;

	if (stage_probe_idle())
		return 0;
	stack = running_stage_stack(false, &id);
	if (!stack)
		return 0;
	drop_stale_frames(stack);
	idx = usdt_open_frame(stack, stage);
	if (idx >= 0) {
		__u32 u = (__u32)idx;

		/* Opaque to clang, so the mask the verifier needs stays. */
		asm volatile("" : "+r"(u));
		stage_pop(stack, now, stage, (int)(u & (STAGE_MAX_DEPTH - 1)));
	} else if (stack->too_deep) {
		stack->too_deep--; /* its BEGIN was past the depth limit */
	} else {
		audit_inc(AUDIT_STAGE_ORPHAN_RETURN);
	}
	return 0;
}

/* -U PROVIDER:NAME: one more hit, counted as a call of zero duration in
 * the probe's stage slot (userspace writes it as PROC "usdt"). */
SEC("uprobe")
int usdt_hit(struct pt_regs *ctx)
{
	struct stage_frame f = {};

	if (stage_probe_idle())
		return 0;
	f.stage = (__u32)bpf_get_attach_cookie(ctx);
	stage_record(&f, 0, 0);
	return 0;
}

/* Only holds a semaphore up (see arm_runtime_semaphores()): its site runs
 * once, if ever. */
SEC("uprobe")
int usdt_arm(struct pt_regs *ctx)
{
	return 0;
}

#endif /* BPFPROF_USDT_BPF_H */
