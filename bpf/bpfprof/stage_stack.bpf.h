// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * Finding the running thread's stage stack: in stage_stacks by the id noted
 * for this CPU or kept in task storage, else in the task storage itself.
 * Apart from the stage probes, sys_exit (to charge I/O to the open stage
 * call) and sched_switch (to note the id of the thread coming on) need it,
 * hence a file of its own.
 */
#ifndef BPFPROF_STAGE_STACK_BPF_H
#define BPFPROF_STAGE_STACK_BPF_H

#include <bpf/bpf_core_read.h>
#include "state.bpf.h"
#include "go_stack.bpf.h"

static const struct stage_stats zero_stage_stats;

/* The counters of this process's `stage`: one target's in the array, the
 * others' (and -U ...@N names) in the hash. NULL when the hash is full. */
static __always_inline struct stage_stats *stage_stats_of(__u32 stage)
{
	struct stage_key key = { .stage = stage };
	bool created = false;

	if (one_target && stage < stage_array_ids)
		return bpf_map_lookup_elem(&stage_counts, &stage);
	key.tgid = bpf_get_current_pid_tgid() >> 32;
	return map_lookup_or_insert(&stage_stats, &key, &zero_stage_stats, &created);
}

/* A call of `stage` that ended without returning. Global, verified once:
 * inlined in count_unfinished's loop over the frames, its map insert took
 * that function past the verifier's limit. */
__attribute__((noinline)) int count_stage_unfinished(__u32 stage)
{
	struct stage_stats *s = stage_stats_of(stage);
	__u32 slot = AUDIT_STAGE_MAP_FULL;
	__u64 *v;

	if (s) {
		s->calls_unfinished++;
		return 0;
	}
	/* Not through audit_count, which calls count_unfinished. */
	v = bpf_map_lookup_elem(&audit, &slot);
	if (v)
		*v += 1;
	return 0;
}

/*
 * n calls ended without returning (exception, panic, longjmp, thread or
 * goroutine exit): counted in each one's stage, as audit_count counts them
 * in the audit. `how` (UNFINISHED_*) says on which stack, found again here:
 * the running thread's, or a goroutine's by the g in the user registers;
 * and which frames: its top n, or the n just popped above its depth.
 *
 * Reached through audit_count, whose calls the return-site programs
 * verify cheaply: a call to another global function at the places frames
 * are dropped, or a pointer to the stack passed to one, took the
 * return-site program's verification from 74k instructions past its 1M
 * limit (the frames' loop inlined there would too).
 */
__attribute__((noinline)) int count_unfinished(__u32 how, __u64 n)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct stage_stack *st = NULL;
	struct task_state *ts;
	__u32 lo, id;

	if (how & (UNFINISHED_GO | UNFINISHED_GO_EXIT)) {
		struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
		struct go_stack_key key = { .tgid = bpf_get_current_pid_tgid() >> 32 };

		if (!regs)
			return 0;
		key.g = how & UNFINISHED_GO_EXIT ? BPF_CORE_READ(regs, ax)
						 : BPF_CORE_READ(regs, r14);
		st = bpf_map_lookup_elem(&go_stacks, &key);
	} else {
		ts = bpf_task_storage_get(&task_states, task, NULL, 0);
		if (!ts)
			return 0;
		id = ts->stack_id;
		st = id ? bpf_map_lookup_elem(&stage_stacks, &id) : &ts->stages;
	}
	/* Not the stack whose frames were dropped (a process forked inside a
	 * timed call returns into its parent's stack, see stack_is_mine): the
	 * audit has them, no stage does. */
	if (!st || st->depth + (how & UNFINISHED_POPPED ? n : 0) < n ||
	    st->depth + (how & UNFINISHED_POPPED ? n : 0) > STAGE_MAX_DEPTH)
		return 0;
	lo = how & UNFINISHED_POPPED ? st->depth : st->depth - (__u32)n;
	for (__u32 i = 0; i < STAGE_MAX_DEPTH && i < n; i++)
		count_stage_unfinished(st->frames[(lo + i) & (STAGE_MAX_DEPTH - 1)].stage);
	return 0;
}

/* Frames left open across a detach never see their return: drop them (as
 * unfinished calls) before they take this generation's I/O or callees.
 * `go`: UNFINISHED_GO or _GO_EXIT for a goroutine's stack. */
static __always_inline void drop_stale_frames_of(struct stage_stack *st, __u32 go)
{
	__u32 gen = stage_gen;

	if (st->gen == gen)
		return;
	st->gen = gen;
	st->too_deep = 0;
	if (!st->depth)
		return;
	if (st->counted)
		audit_add(AUDIT_STAGE_UNFINISHED | go, st->depth);
	st->depth = 0;
}

/* A thread's stack; or one whose frames the caller has dropped already
 * (drop_stale_frames_of). */
static __always_inline void drop_stale_frames(struct stage_stack *st)
{
	drop_stale_frames_of(st, 0);
}

/* This CPU's running_stack value. */
static __always_inline __u32 *running_stack_id(void)
{
	return bpf_map_lookup_elem(&running_stack, &(__u32){ 0 });
}

/* The running thread's stack when sched_switch (or an earlier entry) noted
 * its id on this CPU; NULL: look in task storage. */
static __always_inline struct stage_stack *noted_stage_stack(__u32 *id)
{
	__u32 *running = running_stack_id();

	if (!running || !*running)
		return NULL;
	*id = *running;
	return bpf_map_lookup_elem(&stage_stacks, id);
}

static __always_inline void note_stack_here(__u32 id)
{
	__u32 *running = running_stack_id();

	if (running)
		*running = id;
}

/*
 * The running thread's stage stack, or NULL; *id is its stage_stacks id,
 * 0 when it is the one in task storage. `create` (stage entries) makes the
 * task storage and takes a free stack id on the thread's first call.
 */

static __always_inline struct stage_stack *thread_stage_stack(bool create, __u32 *id)
{
	struct stage_stack *stack;
	struct task_state *st;
	__u32 sid;

	*id = 0;
	st = bpf_task_storage_get(&task_states, bpf_get_current_task_btf(), NULL,
				  create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	if (!st)
		return NULL;
	sid = st->stack_id;
	if (sid) {
		stack = bpf_map_lookup_elem(&stage_stacks, &sid);
		if (stack) {
			*id = sid;
			note_stack_here(sid);
		}
		return stack;
	}
	if (create && !st->no_free_stack) {
		if (!bpf_map_pop_elem(&free_stacks, &sid)) {
			stack = bpf_map_lookup_elem(&stage_stacks, &sid);
			if (stack) {
				__builtin_memset(stack, 0, offsetof(struct stage_stack, frames));
				stack->tid = (__u32)bpf_get_current_pid_tgid();
				stack->gen = stage_gen;
				st->stack_id = sid;
				*id = sid;
				note_stack_here(sid);
				return stack;
			}
		}
		st->no_free_stack = true;
		st->stages.tid = (__u32)bpf_get_current_pid_tgid();
	}
	return &st->stages;
}

static __always_inline struct stage_stack *running_stage_stack(bool create, __u32 *id)
{
	return noted_stage_stack(id) ?: thread_stage_stack(create, id);
}

#endif /* BPFPROF_STAGE_STACK_BPF_H */
