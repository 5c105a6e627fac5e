// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * Where the time goes (issue 18). A traced thread's time off the CPU is
 * split at the scheduler's events: switched out preempted or runnable, it
 * waits for a CPU (runqueue) until switched in; switched out blocked, it is
 * blocked until woken (sched_wakeup), then waits for a CPU until switched
 * in. Blocked time is charged to what the thread was doing when it left the
 * CPU: the syscall in progress, by the wall_sys table (I/O, lock, sleep),
 * anything else (a page fault, another syscall) as other.
 *
 * Each off-CPU span goes to the thread's process and to the innermost open
 * stage call, which cannot change while the thread is off the CPU. A stage
 * call's on-CPU time is what is left of its self time: self time is what
 * the clock says minus its callees (and, with the probe-cost correction,
 * minus its probes, which run on the CPU), so on_cpu + runqueue + blocked
 * equals self_ns exactly.
 *
 * Page faults come from the thread's own min_flt/maj_flt counters, read at
 * each stage entry and return (charged to the innermost frame) and at each
 * switch (charged to the process): nothing runs per fault.
 *
 * The I/O kind is the type of the file the syscall's descriptor refers to,
 * found at sys_enter and carried to sys_exit in bits 16+ of the slot's nr.
 *
 * Each function here is called from one marked line of the existing
 * programs (sched.bpf.h, syscalls.bpf.h, stages.bpf.h), plus the two
 * wakeup programs below.
 */
#ifndef BPFPROF_WALL_BPF_H
#define BPFPROF_WALL_BPF_H

#include <bpf/bpf_core_read.h>
#include "state.bpf.h"
#include "go_stack.bpf.h"

#define WALL_KIND_SHIFT 16
#define PF_KTHREAD 0x00200000
#define TASK_DEAD 0x80
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define S_IFREG 0100000
#define S_IFBLK 0060000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFIFO 0010000

extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;
/* This CPU's stolen time so far: in a VM, time the host ran something else
 * while the guest thought this CPU busy. The scheduler updates it with the
 * runqueue clock, which __schedule does before sched_switch. A traced
 * thread's share of it is time it waited for a (real) CPU: runqueue, not
 * on CPU, as the thread's own CPU clock says. 0 without paravirt steal
 * accounting. */
static __always_inline __u64 wall_cpu_steal(struct task_struct *on_this_cpu)
{
	struct cfs_rq *cfs;

	if (!bpf_core_field_exists(struct rq, prev_steal_time_rq) ||
	    !bpf_core_field_exists(struct cfs_rq, rq))
		return 0;
	/* The runqueues symbol is not resolvable here (kallsyms is
	 * restricted): reach this CPU's rq through the task's fair class
	 * queue, which belongs to it. */
	cfs = on_this_cpu->se.cfs_rq;
	return cfs ? cfs->rq->prev_steal_time_rq : 0;
}

static const struct wall_stats zero_wall_stats;

/* User threads of traced processes; never the idle task or a kthread. */
static __always_inline bool wall_traced_task(struct task_struct *t)
{
	if (!t->pid || (t->flags & PF_KTHREAD))
		return false;
	return traced(t->tgid);
}

static __always_inline struct wall_stats *wall_proc(__u32 tgid)
{
	bool created = false;
	__u32 zero = 0;

	if (one_target)
		return bpf_map_lookup_elem(&proc_wall_counts, &zero);
	return map_lookup_or_insert(&proc_wall, &tgid, &zero_wall_stats, &created);
}

/* Go stages: the goroutine on a thread leaving the CPU, from its user
 * registers (r14: go_stack.bpf.h). While the thread is off the CPU in a
 * syscall or preempted, that goroutine stays with it, and its off-CPU
 * time is the goroutine's. A thread in the Go scheduler runs g0, which
 * has no stage calls. */
static __always_inline void wall_go_switch_out(struct task_struct *prev, struct task_wall *tw)
{
	struct pt_regs *regs;

	if (!go_stages_attached)
		return;
	regs = (struct pt_regs *)bpf_task_pt_regs(prev);
	tw->go_g = regs ? BPF_CORE_READ(regs, r14) : 0;
}

/* The innermost open stage call of a thread that is off the CPU: its own,
 * or the goroutine's it was running (Go stages). */
static __always_inline struct stage_frame *wall_open_frame(struct task_state *st, __u32 tgid)
{
	struct stage_stack *stack;
	__u32 id = st->stack_id;

	stack = id ? bpf_map_lookup_elem(&stage_stacks, &id) : &st->stages;
	if (!stack || !stack->depth || stack->gen != stage_gen)
		stack = go_open_stack(tgid, st->wall.go_g);
	if (!stack)
		return NULL;
	return &stack->frames[(stack->depth - 1) & (STAGE_MAX_DEPTH - 1)];
}

/* An off-CPU span of d ns, in state `off`, to the process and the stage. */
static __always_inline void wall_charge(struct task_state *st, __u32 tgid, __u32 off, __u64 d)
{
	struct wall_stats *w = wall_proc(tgid);
	__u32 k = (off - WALL_BLOCKED) & WALL_BLOCK_MASK;
	struct stage_frame *f;

	if (w) {
		if (off == WALL_RUNNABLE)
			w->runqueue_ns += d;
		else
			w->blocked_ns[k] += d;
	}
	if (!stages_attached)
		return;
	f = wall_open_frame(st, tgid);
	if (!f)
		return;
	if (off == WALL_RUNNABLE)
		f->wall.runqueue_ns += d;
	else
		f->wall.blocked_ns[k] += d;
}

/* What blocking now is charged to: the syscall prev is in, if any. */
static __always_inline __u32 wall_block_of(struct task_struct *prev, struct task_state *st)
{
	struct sys_slot *slot = bpf_map_lookup_elem(&sys_slots, &(__u32){ 0 });
	__u32 nr;

	if (slot && slot->tid == (__u32)prev->pid)
		nr = slot->nr;
	else if (st->sys_enter_ns)
		nr = st->sys_nr;
	else
		return WALL_BLOCK_OTHER;
	return wall_sys[nr & (MAX_SYSCALL_NR - 1)] & WALL_BLOCK_MASK;
}

static __always_inline void wall_switch_out(struct task_struct *prev, bool preempt,
					    __u32 prev_state, __u64 now)
{
	struct task_state *st;
	struct task_wall *tw;
	struct wall_stats *w;

	st = bpf_task_storage_get(&task_states, prev, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!st) {
		audit_inc(AUDIT_TASK_STATE_FAILED);
		return;
	}
	tw = &st->wall;
	if (tw->on_ns) {
		__u64 ran = now - tw->on_ns, stolen = wall_cpu_steal(prev) - tw->steal;
		struct stage_frame *f;

		if (stolen > ran)
			stolen = ran;
		w = wall_proc(prev->tgid);
		if (w) {
			w->on_cpu_ns += ran - stolen;
			w->runqueue_ns += stolen;
			w->faults_minor += prev->min_flt - tw->min_flt;
			w->faults_major += prev->maj_flt - tw->maj_flt;
		}
		if (stolen && stages_attached && (f = wall_open_frame(st, prev->tgid)))
			f->wall.runqueue_ns += stolen;
	}
	wall_go_switch_out(prev, tw);
	tw->on_ns = 0;
	tw->off_ns = now;
	if (prev_state & TASK_DEAD)
		tw->off = WALL_ON_CPU; /* exiting: nothing follows */
	else if (preempt || !prev_state)
		tw->off = WALL_RUNNABLE;
	else
		tw->off = WALL_BLOCKED + wall_block_of(prev, st);
}

static __always_inline void wall_switch_in(struct task_struct *next, __u64 now)
{
	struct task_state *st;
	struct task_wall *tw;

	st = bpf_task_storage_get(&task_states, next, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!st) {
		audit_inc(AUDIT_TASK_STATE_FAILED);
		return;
	}
	tw = &st->wall;
	if (tw->off != WALL_ON_CPU && tw->off_ns)
		wall_charge(st, next->tgid, tw->off, now - tw->off_ns);
	else if (!tw->off_ns)
		audit_inc(AUDIT_WALL_NO_START); /* off the CPU since before attach */
	tw->off = WALL_ON_CPU;
	tw->on_ns = now;
	tw->steal = wall_cpu_steal(next);
	tw->min_flt = next->min_flt;
	tw->maj_flt = next->maj_flt;
}

/* From sched_switch, before anything else there (the slot still holds
 * prev's syscall). */
static __always_inline void wall_switch(bool preempt, struct task_struct *prev,
					struct task_struct *next, __u32 prev_state)
{
	bool out, in;
	__u64 now;

	/* Not counting (before every probe is attached, after the end):
	 * nothing is followed; a span open then is not counted. */
	if (counting == COUNTING_OFF)
		return;
	out = wall_traced_task(prev);
	in = wall_traced_task(next);
	if (!out && !in)
		return;
	now = bpf_ktime_get_ns();
	if (out)
		wall_switch_out(prev, preempt, prev_state, now);
	if (in)
		wall_switch_in(next, now);
}

/* A blocked thread woken: blocked until now, then waiting for a CPU. A
 * wakeup of a thread still on its CPU (it had not switched out yet) or
 * already runnable changes nothing. */
SEC("tp_btf/sched_wakeup")
int BPF_PROG(wall_wakeup, struct task_struct *p)
{
	struct task_state *st;
	__u64 now;

	if (counting == COUNTING_OFF || !wall_traced_task(p))
		return 0;
	st = bpf_task_storage_get(&task_states, p, NULL, 0);
	if (!st || st->wall.off < WALL_BLOCKED || !st->wall.off_ns)
		return 0;
	now = bpf_ktime_get_ns();
	wall_charge(st, p->tgid, st->wall.off, now - st->wall.off_ns);
	st->wall.off_ns = now;
	st->wall.off = WALL_RUNNABLE;
	return 0;
}

/* A new thread waits for its first CPU from here. */
SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(wall_wakeup_new, struct task_struct *p)
{
	struct task_state *st;

	if (counting == COUNTING_OFF || !wall_traced_task(p))
		return 0;
	st = bpf_task_storage_get(&task_states, p, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!st)
		return 0;
	st->wall.on_ns = 0;
	st->wall.off_ns = bpf_ktime_get_ns();
	st->wall.off = WALL_RUNNABLE;
	return 0;
}

/* The kind of file behind descriptor fd of the running thread. */
static __always_inline __u32 wall_fd_kind(long fd)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct fdtable *fdt = t->files->fdt;
	struct file *file, **fds;
	struct inode *inode;
	__u32 major;
	__u16 mode;

	if (fd < 0 || fd >= fdt->max_fds)
		return IO_KIND_OTHER;
	/* The descriptor array as untrusted memory (btf id 0, Linux 6.15):
	 * its slot is a plain load, no helper call. */
	fds = bpf_rdonly_cast(fdt->fd, 0);
	file = fds[fd];
	if (!file)
		return IO_KIND_OTHER;
	file = bpf_rdonly_cast(file, bpf_core_type_id_kernel(struct file));
	inode = file->f_inode;
	mode = inode->i_mode & S_IFMT;
	switch (mode) {
	case S_IFREG:
	case S_IFDIR:
	case S_IFBLK:
		return IO_KIND_FILE;
	case S_IFSOCK:
		return IO_KIND_SOCKET;
	case S_IFIFO:
		return IO_KIND_PIPE;
	case S_IFCHR:
		/* ttys (4), /dev/tty and ptmx (5), pseudo-terminals (136-143) */
		major = inode->i_rdev >> 20;
		return major == 4 || major == 5 || (major >= 136 && major <= 143) ? IO_KIND_TTY
										  : IO_KIND_OTHER;
	}
	return IO_KIND_OTHER;
}

/* sys_enter of an I/O syscall: its kind, to go in bits 16+ of the slot's nr. */
static __always_inline __u32 wall_io_kind_at_enter(struct pt_regs *regs, __u32 nr)
{
	__u8 w = wall_sys[nr & (MAX_SYSCALL_NR - 1)];
	long fd;

	if (!io_class[nr & (MAX_SYSCALL_NR - 1)])
		return 0;
	switch (w >> WALL_FD_SHIFT) {
	case 1:
		fd = (int)regs->si;
		break;
	case 2:
		fd = (int)regs->dx;
		break;
	default:
		fd = (int)regs->di;
	}
	return wall_fd_kind(fd) << WALL_KIND_SHIFT;
}

/* A kind as an index the verifier sees bounded (the compiler would check
 * one copy of it and index with another). */
static __always_inline __u64 wall_kind_index(__u64 kind)
{
	asm volatile("if %[k] < %[n] goto +1\n\t%[k] = 0" : [k] "+r"(kind) : [n] "i"(IO_KIND_NR));
	return kind;
}

static __always_inline void wall_add_io(struct kind_io *k, __u8 cls, __u64 bytes, __u64 dur)
{
	k->ops++;
	k->time_ns += dur;
	if (cls & IO_READ)
		k->bytes_read += bytes;
	else
		k->bytes_written += bytes;
}

/* sys_exit: the I/O by kind, in the process's io_stats entry... */
static __always_inline void wall_io_to_proc(struct io_stats *s, __u32 kind, __u8 cls, __u64 bytes,
					    __u64 dur)
{
	wall_add_io(&s->kind[wall_kind_index(kind)], cls, bytes, dur);
}

/* ...and in the innermost open stage call. */
static __always_inline void wall_io_to_frame(struct stage_frame *f, __u32 kind, __u8 cls,
					     __u64 bytes, __u64 dur)
{
	wall_add_io(&f->wall.io[wall_kind_index(kind)], cls, bytes, dur);
}

/* The running thread's faults since the last stage entry or return go to
 * frame f (none: no stage was open). A goroutine's stack last seen on
 * another thread has no count of this one's to start from: its faults
 * since it moved are not counted. */
static __always_inline void wall_faults_to(struct stage_stack *st, struct stage_frame *f)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 mn = t->min_flt, mj = t->maj_flt;

	if (f && st->wall.flt_tid == (__u32)t->pid) {
		f->wall.faults_minor += mn - st->wall.min_flt;
		f->wall.faults_major += mj - st->wall.maj_flt;
	}
	st->wall.min_flt = mn;
	st->wall.maj_flt = mj;
	st->wall.flt_tid = (__u32)t->pid;
}

/* stage_push: frame d opens over frame d - 1. */
static __always_inline void wall_frame_open(struct stage_stack *st, __u32 d, struct stage_frame *f)
{
	wall_faults_to(st, d ? &st->frames[(d - 1) & (STAGE_MAX_DEPTH - 1)] : NULL);
	__builtin_memset(&f->wall, 0, sizeof(f->wall));
}

/* stage_pop, before the frame is recorded. */
static __always_inline void wall_frame_close(struct stage_stack *st, struct stage_frame *f)
{
	wall_faults_to(st, f);
}

/* The frame's off-CPU time. */
static __always_inline __u64 wall_frame_off(const struct frame_wall *fw)
{
	__u64 off = fw->runqueue_ns;

	for (int k = 0; k < WALL_BLOCK_NR; k++)
		off += fw->blocked_ns[k];
	return off;
}

/* stage_pop, before the call is recorded: on-CPU is the rest of the self
 * time; off-CPU beyond it (a corrected self time shorter than the spans
 * measured) is scaled down to fit, and counted. The stage record and the
 * span then read the same figures. */
static __always_inline void wall_frame_fit(struct stage_frame *f, __u64 self)
{
	struct frame_wall *fw = &f->wall;
	__u64 off = wall_frame_off(fw);

	if (off <= self)
		return;
	audit_inc(AUDIT_WALL_CLAMPED);
	fw->runqueue_ns = fw->runqueue_ns * self / off;
	for (int k = 0; k < WALL_BLOCK_NR; k++)
		fw->blocked_ns[k] = fw->blocked_ns[k] * self / off;
}

/* stage_record: the frame's split (fitted) into the stage's counters. */
static __always_inline void wall_record(struct stage_stats *s, struct stage_frame *f, __u64 self)
{
	struct frame_wall *fw = &f->wall;
	__u64 off = wall_frame_off(fw);

	s->wall.on_cpu_ns += self - off;
	s->wall.runqueue_ns += fw->runqueue_ns;
	for (int k = 0; k < WALL_BLOCK_NR; k++)
		s->wall.blocked_ns[k] += fw->blocked_ns[k];
	s->wall.faults_minor += fw->faults_minor;
	s->wall.faults_major += fw->faults_major;
	if (!f->io_ops)
		return;
	for (int k = 0; k < IO_KIND_NR; k++) {
		s->wall.io[k].ops += fw->io[k].ops;
		s->wall.io[k].bytes_read += fw->io[k].bytes_read;
		s->wall.io[k].bytes_written += fw->io[k].bytes_written;
		s->wall.io[k].time_ns += fw->io[k].time_ns;
	}
}

#endif /* BPFPROF_WALL_BPF_H */
