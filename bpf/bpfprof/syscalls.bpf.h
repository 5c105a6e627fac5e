// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * Syscalls. sys_enter stamps the time in this CPU's sys_slots entry;
 * sys_exit charges the call to its process: count, errors, time, and for
 * I/O syscalls the bytes moved and a latency histogram, and with stages the
 * I/O to the innermost open stage call. An entry whose thread was switched
 * out waits in task storage instead (sched.bpf.h moves it): both maps are
 * in state.bpf.h, shared with sched.bpf.h.
 */
#ifndef BPFPROF_SYSCALLS_BPF_H
#define BPFPROF_SYSCALLS_BPF_H

#include "state.bpf.h"
#include "stage_stack.bpf.h"
#include "go_stack.bpf.h"
#include "wall.bpf.h"

#define NR_EXIT 60
#define NR_EXIT_GROUP 231
#define NR_URETPROBE 335 /* Linux 6.11: the uretprobe trampoline's syscall */
#define NR_UPROBE 336	 /* Linux 6.17: the optimized uprobe's syscall */
#define MAX_ERRNO 4095
/* In a saved entry's nr: the syscall was entered while counting. */
#define SYS_COUNTED (1U << 31)

static const struct sys_stats zero_sys_stats;
static const struct io_stats zero_io_stats;

static __always_inline void count_syscall(__u32 tgid, __u32 nr, __u64 dur, bool err)
{
	struct sys_key key = {.tgid = tgid, .nr = nr};
	struct sys_stats *s;
	bool created = false;

	if (one_target)
		s = bpf_map_lookup_elem(&sys_counts, &nr);
	else
		s = map_lookup_or_insert(&sys_stats, &key, &zero_sys_stats, &created);
	if (!s) {
		audit_inc(AUDIT_SYS_MAP_FULL);
		return;
	}
	if (created)
		remember_proc(tgid);
	s->count++;
	s->errors += err;
	s->time_ns += dur;
}

/* Bytes a sendmmsg/recvmmsg moved: the msg_len the kernel filled in for
 * each of the `n` messages it returned. */
static __always_inline __u64 mmsg_bytes(__u64 vec, long n)
{
	__u64 sum = 0;
	__u32 len;

	if (n > MMSG_MAX_SUMMED) {
		audit_inc(AUDIT_MMSG_TRUNCATED);
		n = MMSG_MAX_SUMMED;
	}
	for (int i = 0; i < MMSG_MAX_SUMMED && i < n; i++) {
		struct mmsghdr *m = (struct mmsghdr *)vec + i;

		if (bpf_probe_read_user(&len, sizeof(len), &m->msg_len))
			break;
		sum += len;
	}
	return sum;
}

/* Returns the bytes the call moved. */
static __always_inline __u64 count_io(__u32 tgid, __u32 nr, __u8 cls, __u64 dur, long ret,
				      __u64 arg, __u32 kind)
{
	struct sys_key key = {.tgid = tgid, .nr = nr};
	bool err = ret < 0 && ret >= -MAX_ERRNO;
	struct io_stats *s;
	bool created = false;
	__u64 bytes = 0;
	__u32 b, slot;

	if (!err && ret > 0)
		bytes = (cls & IO_MMSG) ? mmsg_bytes(arg, ret) : (__u64)ret;
	if (one_target) {
		slot = io_slot[nr & (MAX_SYSCALL_NR - 1)];
		s = bpf_map_lookup_elem(&io_counts, &slot);
	} else {
		s = map_lookup_or_insert(&io_stats, &key, &zero_io_stats, &created);
	}
	if (!s) {
		audit_inc(AUDIT_IO_MAP_FULL);
		return bytes;
	}
	if (created)
		remember_proc(tgid);
	s->errors += err;
	s->count++;
	s->time_ns += dur;
	s->bytes += bytes;
	wall_io_to_proc(s, kind, cls, bytes, dur); /* I/O by kind: wall.bpf.h */
	if (dur > s->max_ns)
		s->max_ns = dur;
	b = hist_bucket(dur);
	if (b < HIST_BUCKETS)
		s->hist[b]++;
	return bytes;
}

/* The I/O belongs to the innermost stage open on this thread. */
static __always_inline void charge_io_to_stage(struct stage_stack *st, __u8 cls, __u64 bytes,
					       __u64 dur, __u32 kind)
{
	struct stage_frame *f = &st->frames[(st->depth - 1) & (STAGE_MAX_DEPTH - 1)];

	f->io_ops++;
	f->io_time_ns += dur;
	if (cls & IO_READ)
		f->io_bytes_read += bytes;
	else
		f->io_bytes_written += bytes;
	wall_io_to_frame(f, kind, cls, bytes, dur); /* I/O by kind: wall.bpf.h */
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	__u64 pid_tgid;
	struct sys_slot *slot;
	__u32 tgid, nr, zero = 0;

	/* Our own uprobes make these: they are not the program's syscalls.
	 * Checked first, as the cheapest test: every stage return makes one. */
	if (id == NR_URETPROBE || id == NR_UPROBE)
		return 0;
	pid_tgid = bpf_get_current_pid_tgid();
	tgid = pid_tgid >> 32;
	if (!traced(tgid))
		return 0;
	/* These never return, so sys_exit will not see them. */
	if (id == NR_EXIT || id == NR_EXIT_GROUP) {
		if (counting == COUNTING_ON)
			count_syscall(tgid, id, 0, false);
		return 0;
	}
	slot = bpf_map_lookup_elem(&sys_slots, &zero);
	if (!slot)
		return 0;
	nr = (__u64)id < MAX_SYSCALL_NR ? id : SYSCALL_NR_OTHER;
	if (io_class[nr & (MAX_SYSCALL_NR - 1)] & IO_MMSG)
		slot->arg = regs->si;
	/* Not counting yet: kept all the same, so the exit is not taken for
	 * one whose entry was missed. */
	slot->nr = counting == COUNTING_ON ? nr | SYS_COUNTED : nr;
	slot->nr |= wall_io_kind_at_enter(regs, nr); /* I/O kind: wall.bpf.h */
	slot->tid = (__u32)pid_tgid;
	slot->enter_ns = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	long id = (long)regs->orig_ax;
	struct task_state *st;
	struct sys_slot *slot;
	__u64 pid_tgid, enter_ns, arg;
	__u32 tgid, nr, kind, zero = 0;
	struct stage_stack *stack;
	__u32 stack_id;
	bool counted;
	__u64 dur;
	__u8 cls;

	/* The uretprobe syscall leaves orig_ax at -1; skip it (and the uprobe
	 * one) before anything else: every stage return makes one. */
	if (id < 0 || id == NR_URETPROBE || id == NR_UPROBE)
		return 0;
	pid_tgid = bpf_get_current_pid_tgid();
	tgid = pid_tgid >> 32;
	if (!traced(tgid))
		return 0;
	slot = bpf_map_lookup_elem(&sys_slots, &zero);
	if (slot && slot->tid == (__u32)pid_tgid) {
		slot->tid = 0;
		enter_ns = slot->enter_ns;
		nr = slot->nr;
		arg = slot->arg;
	} else {
		/* Switched out since entry: sched_switch moved it here. */
		st = bpf_task_storage_get(&task_states, bpf_get_current_task_btf(), NULL, 0);
		if (!st || !st->sys_enter_ns) {
			audit_inc(AUDIT_EXIT_WITHOUT_ENTER);
			return 0;
		}
		enter_ns = st->sys_enter_ns;
		st->sys_enter_ns = 0;
		nr = st->sys_nr;
		arg = st->sys_arg;
	}
	dur = bpf_ktime_get_ns() - enter_ns;
	counted = nr & SYS_COUNTED;
	kind = (nr & ~SYS_COUNTED) >> WALL_KIND_SHIFT; /* I/O kind: wall.bpf.h */
	nr &= MAX_SYSCALL_NR - 1;
	cls = io_class[nr];
	if (!cls) {
		if (counted)
			count_syscall(tgid, nr, dur, ret < 0 && ret >= -MAX_ERRNO);
		return 0;
	}
	/* Only runs with stages look for an open stage call: inside one, the
	 * I/O is counted when the call is (stages.bpf.h). */
	if (stages_attached) {
		stack = running_stage_stack(false, &stack_id);
		if (stack && stack->depth)
			drop_stale_frames(stack);
		/* Go: the goroutine that made the syscall (go_stack.bpf.h). */
		if (!stack || !stack->depth)
			stack = go_open_stack(tgid, regs->r14);
		if (stack && stack->depth) {
			if (stack->counted && counting != COUNTING_OFF)
				charge_io_to_stage(stack, cls,
						   count_io(tgid, nr, cls, dur, ret, arg, kind), dur,
						   kind);
			return 0;
		}
	}
	if (counted)
		count_io(tgid, nr, cls, dur, ret, arg, kind);
	return 0;
}

#endif /* BPFPROF_SYSCALLS_BPF_H */
