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

#include "state.bpf.h"

/* Frames left open across a detach never see their return: drop them (as
 * unfinished calls) before they take this generation's I/O or callees. */
static __always_inline void drop_stale_frames(struct stage_stack *st)
{
	__u32 gen = stage_gen;

	if (st->gen == gen)
		return;
	st->gen = gen;
	st->too_deep = 0;
	if (!st->depth)
		return;
	if (st->counted)
		audit_add(AUDIT_STAGE_UNFINISHED, st->depth);
	st->depth = 0;
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
