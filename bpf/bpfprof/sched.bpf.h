// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * sched_switch: hands a syscall entry over from the per-CPU slot to the
 * task storage of a thread switched out inside it (syscalls.bpf.h), and
 * notes the stage stack id of the thread coming on (stage_stack.bpf.h).
 */
#ifndef BPFPROF_SCHED_BPF_H
#define BPFPROF_SCHED_BPF_H

#include "state.bpf.h"
#include "stage_stack.bpf.h"
#include "wall.bpf.h"

/* The thread coming on: its stage stack id, for its stage entries. */
static __always_inline void note_running_stack(struct task_struct *next)
{
	struct task_state *st = NULL;
	__u32 *running;

	running = running_stack_id();
	if (!running)
		return;
	if (!targ_tgid || follow || next->tgid == targ_tgid)
		st = bpf_task_storage_get(&task_states, next, NULL, 0);
	*running = st ? st->stack_id : 0;
}

/* A thread leaves the CPU inside a syscall: its entry goes with it. And
 * the one coming on has its stage stack id noted. */
SEC("tp_btf/sched_switch")
int BPF_PROG(cpu_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	struct task_state *st;
	struct sys_slot *slot;
	__u32 zero = 0;

	wall_switch(preempt, prev, next, prev_state); /* wall time: wall.bpf.h */

	if (stages_attached)
		note_running_stack(next);
	slot = bpf_map_lookup_elem(&sys_slots, &zero);
	if (!slot || !slot->tid)
		return 0;
	if (slot->tid == (__u32)prev->pid) {
		st = bpf_task_storage_get(&task_states, prev, NULL,
					  BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (st) {
			st->sys_nr = slot->nr;
			st->sys_arg = slot->arg;
			st->sys_enter_ns = slot->enter_ns;
		} else {
			audit_inc(AUDIT_TASK_STATE_FAILED);
		}
	}
	/* Another thread's slot here cannot be live: it would have been
	 * handed off when that thread left this CPU. */
	slot->tid = 0;
	return 0;
}

#endif /* BPFPROF_SCHED_BPF_H */
