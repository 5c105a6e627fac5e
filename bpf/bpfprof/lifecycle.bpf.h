// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * Process lifecycle: fork (--follow takes the child in), a thread's exit
 * (its open stage calls are counted as unfinished, its stack id goes back;
 * the target's last thread tells how it ended; the last thread of any
 * process has it noted for userspace to free its entries) and exec (the
 * process's new name). The stacks and the process names are
 * in state.bpf.h, shared with the stage and syscall families.
 */
#ifndef BPFPROF_LIFECYCLE_BPF_H
#define BPFPROF_LIFECYCLE_BPF_H

#include "state.bpf.h"
#include "probe_cost.bpf.h"

/* --comm: whether comm is the name asked for. */
static __always_inline bool comm_matches(const char *comm)
{
	for (int i = 0; i < TASK_COMM_LEN; i++) {
		if (comm[i] != match_comm[i])
			return false;
		if (!comm[i])
			return true;
	}
	return true;
}

static __always_inline void trace_tgid(__u32 tgid)
{
	__u8 one = 1;

	if (bpf_map_update_elem(&traced_tgids, &tgid, &one, BPF_ANY))
		audit_inc(AUDIT_FOLLOW_MAP_FULL);
}

/* --follow: a process forked by a traced one is traced too (threads share
 * their process's entry). --comm: a new process of that name is (a fork
 * keeps its parent's name). */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(proc_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	char comm[TASK_COMM_LEN];

	if (ptgid == ctgid || ctgid == self_tgid)
		return 0;
	if (follow_forks && bpf_map_lookup_elem(&traced_tgids, &ptgid)) {
		trace_tgid(ctgid);
		return 0;
	}
	if (by_comm && bpf_probe_read_kernel_str(comm, sizeof(comm), child->comm) > 0 &&
	    comm_matches(comm))
		trace_tgid(ctgid);
	return 0;
}

/* How the target (-p, a command) ended, for userspace at the end. */
volatile struct target_end target_end;

/* The target's last thread: do_exit has counted it out of signal->live and
 * set its exit code before this event. */
static __always_inline void note_target_end(struct task_struct *p)
{
	if (!targ_tgid || p->tgid != targ_tgid || p->signal->live.counter)
		return;
	target_end.exit_code = (__u32)p->exit_code;
	target_end.ktime_ns = bpf_ktime_get_ns();
	target_end.seen = 1;
}

/* A thread that exits with stage calls open: they will never return. The
 * target's end. The last thread of a process: its entries in the hashes can
 * be freed once userspace has read them for the last time. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(thread_exit, struct task_struct *p)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct stage_stack *stack;
	struct task_state *st;
	__u8 one = 1;
	__u32 id;

	note_target_end(p);
	if (!traced_or_calibrating(tgid))
		return 0;
	/* do_exit drops signal->live before this tracepoint: 0 in the last. */
	if (!one_target && !p->signal->live.counter)
		bpf_map_update_elem(&exited_tgids, &tgid, &one, BPF_ANY);
	if (!stages_attached)
		return 0;
	st = bpf_task_storage_get(&task_states, bpf_get_current_task_btf(), NULL, 0);
	if (!st)
		return 0;
	id = st->stack_id;
	stack = id ? bpf_map_lookup_elem(&stage_stacks, &id) : &st->stages;
	if (stack && stack->depth) {
		if (stack->counted)
			audit_add(AUDIT_STAGE_UNFINISHED, stack->depth);
		stack->depth = 0;
	}
	/* Its stack goes back for another thread. */
	if (id) {
		st->stack_id = 0;
		st->no_free_stack = true;
		bpf_map_push_elem(&free_stacks, &id, 0);
	}
	return 0;
}

/* exec renames the process: keep the name it will end with. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(proc_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	/* --comm: the new name decides; a process that was traced under the
	 * old one leaves (unless --follow took it in as a child). */
	if (by_comm && tgid != self_tgid) {
		char comm[TASK_COMM_LEN];

		bpf_get_current_comm(comm, sizeof(comm));
		if (comm_matches(comm))
			trace_tgid(tgid);
		else if (!follow_forks)
			bpf_map_delete_elem(&traced_tgids, &tgid);
	}
	if (traced(tgid))
		remember_proc(tgid);
	return 0;
}

#endif /* BPFPROF_LIFECYCLE_BPF_H */
