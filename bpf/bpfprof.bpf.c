// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * Syscall accounting. sys_enter stamps the time in task-local storage;
 * sys_exit charges the call to its process: count, errors, time, and for
 * I/O syscalls the bytes moved and a latency histogram. Counters are per-CPU
 * and only ever grow: userspace turns them into per-interval deltas, so a
 * flush never races with an update into a lost or doubled event.
 *
 * Two layouts for the counters: with one target process (-p, a command) they
 * are per-CPU arrays indexed by syscall number, I/O slot and stage id (a
 * lookup the verifier inlines); for the whole machine or a followed process
 * tree they are per-CPU hashes keyed by process. The rodata flag one_target
 * picks one and the verifier drops the other.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "bpfprof.h"
#include "maps.bpf.h"

#define NR_EXIT 60
#define NR_EXIT_GROUP 231
#define NR_URETPROBE 335 /* Linux 6.11: the uretprobe trampoline's syscall */
#define NR_UPROBE 336	 /* Linux 6.17: the optimized uprobe's syscall */
#define MAX_ERRNO 4095

/* Set by userspace before load; the verifier prunes what they switch off. */
const volatile __u32 targ_tgid = 0;	/* 0: every process */
const volatile __u32 self_tgid = 0;	/* bpfprof itself, never traced */
const volatile bool one_target = false; /* counters in the *_counts arrays */
const volatile bool follow = false;	/* trace the processes in traced_tgids */
const volatile __u8 io_class[MAX_SYSCALL_NR] = {};
const volatile __u8 io_slot[MAX_SYSCALL_NR] = {};
const volatile __u32 stage_sample_every = 1; /* record 1 in N calls per thread */
const volatile bool span_events = false;
const volatile bool stages_attached = false; /* -u given: I/O is charged to stages */
const volatile __u64 span_wakeup_bytes = 0; /* wake the reader past this much data */

/* Written by userspace at run time (SIGUSR1, the live view's t key): while
 * 0, a stage probe does nothing but read it. */
volatile __u32 stages_enabled = 1;
/* Bumped by userspace each time it attaches the stage probes: frames of an
 * older generation were open when the probes were detached, so their
 * returns will never be seen. */
volatile __u32 stage_gen = 0;

struct stage_frame {
	__u32 stage;
	__u32 pad;
	__u64 span_id; /* --events only */
	__u64 start_ns;
	__u64 child_ns; /* time in stage calls made from this one */
	__u64 io_ops;
	__u64 io_bytes_read;
	__u64 io_bytes_written;
	__u64 io_time_ns;
};

/* A thread's open stage calls, and what goes with them. */
struct stage_stack {
	__u32 tid;	   /* the thread it belongs to */
	__u32 depth;	   /* open stage calls */
	__u32 too_deep;	   /* calls past STAGE_MAX_DEPTH not yet returned (multi links) */
	__u32 sample_tick; /* --sample: calls seen, recorded or not */
	__u32 span_seq;	   /* --events: this thread's calls, for span ids */
	__u32 gen;	   /* stage_gen when the open frames were pushed */
	struct stage_frame frames[STAGE_MAX_DEPTH];
};

struct task_state {
	__u64 sys_enter_ns; /* 0: no syscall of ours open on this thread */
	__u64 sys_arg;	    /* mmsg vector, saved at entry */
	__u32 sys_nr;
	__u32 stack_id;	    /* its stack in stage_stacks; 0: `stages` below */
	bool no_free_stack; /* stage_stacks had none left for it */
	struct stage_stack stages;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_state);
} task_states SEC(".maps");

/*
 * Stage stacks, one per thread that has made a stage call (0 is unused).
 * The entry puts the stack's id in the session cookie, so the return finds
 * its frame with an array lookup the verifier inlines, instead of two
 * helper calls to get the task storage (a helper call costs ~10 ns here,
 * and the return is the half of a stage call that also pays the uretprobe
 * syscall). A thread takes an id from free_stacks at its first stage call
 * and gives it back when it exits; when none is left it keeps its stack in
 * its task storage (slower, nothing lost). Sized by userspace.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stage_stack);
} stage_stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 1);
	__type(value, __u32);
} free_stacks SEC(".maps");

/*
 * The stack id of the thread running on this CPU (0: not known), so a stage
 * entry needs no task-storage lookup either. sched_switch writes it for
 * every thread that comes on, before that thread runs; an entry that finds
 * 0 looks in task storage and writes what it found. Only the running thread
 * reads it, so a preempted probe still holds the right id when it resumes.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} running_stack SEC(".maps");

/*
 * The syscall in progress on this CPU. sys_enter writes it and sys_exit
 * takes it back when the same thread returns on the same CPU without having
 * been switched out, which is most syscalls: a per-CPU array lookup is
 * inlined, a task-storage lookup is a helper call (~20 ns each here). A
 * thread switched out inside a syscall (it blocked, or was preempted) has
 * its entry moved into its task storage by sched_switch, and its sys_exit
 * finds it there, on whatever CPU it returns. Both syscall tracepoints and
 * sched_switch run their BPF programs with preemption off, so a slot is
 * never half-written when another thread's program reads it.
 */
struct sys_slot {
	__u32 tid; /* 0: free */
	__u32 nr;
	__u64 enter_ns;
	__u64 arg; /* mmsg vector, saved at entry */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sys_slot);
} sys_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, struct sys_key);
	__type(value, struct sys_stats);
} sys_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 8192);
	__type(key, struct sys_key);
	__type(value, struct io_stats);
} io_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct proc_info);
} procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 16384);
	__type(key, struct stage_key);
	__type(value, struct stage_stats);
} stage_stats SEC(".maps");

/* One target's counters (one_target); sized by userspace, 1 entry otherwise. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_SYSCALL_NR);
	__type(key, __u32);
	__type(value, struct sys_stats);
} sys_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_IO_SLOTS);
	__type(key, __u32);
	__type(value, struct io_stats);
} io_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stage_stats);
} stage_counts SEC(".maps");

/* --follow: the target and every process it forks. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} traced_tgids SEC(".maps");

/* --events; sized by userspace. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} spans SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, AUDIT_NR_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} audit SEC(".maps");

static const struct sys_stats zero_sys_stats;
static const struct io_stats zero_io_stats;
static const struct stage_stats zero_stage_stats;

/* Session uprobes (Linux 6.13): one program runs at entry and at return. */
extern __u64 *bpf_session_cookie(void) __ksym __weak;

static __always_inline void audit_inc(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&audit, &slot);

	if (v)
		*v += 1;
}

static __always_inline void audit_add(__u32 slot, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&audit, &slot);

	if (v)
		*v += n;
}

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

static __always_inline bool traced(__u32 tgid)
{
	if (follow)
		return bpf_map_lookup_elem(&traced_tgids, &tgid) != NULL;
	if (targ_tgid)
		return tgid == targ_tgid;
	return tgid != self_tgid;
}

static __always_inline struct stage_stack *running_stage_stack(bool create, __u32 *id)
{
	return noted_stage_stack(id) ?: thread_stage_stack(create, id);
}

/* Stages off; or --follow, which attaches for every process mapping the
 * binary, and this one is not traced. */
static __always_inline bool stage_probe_idle(void)
{
	return !stages_enabled || (follow && !traced(bpf_get_current_pid_tgid() >> 32));
}

/* First sight of a (process, syscall): keep the process's name for the
 * report, which may outlive the process. */
static __always_inline void remember_proc(__u32 tgid)
{
	struct proc_info info;

	bpf_get_current_comm(info.comm, sizeof(info.comm));
	if (bpf_map_update_elem(&procs, &tgid, &info, BPF_ANY))
		audit_inc(AUDIT_PROC_MAP_FULL);
}

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
				      __u64 arg)
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
	if (dur > s->max_ns)
		s->max_ns = dur;
	b = hist_bucket(dur);
	if (b < HIST_BUCKETS)
		s->hist[b]++;
	return bytes;
}

/* The I/O belongs to the innermost stage open on this thread. */
static __always_inline void charge_io_to_stage(struct stage_stack *st, __u8 cls, __u64 bytes,
					       __u64 dur)
{
	struct stage_frame *f = &st->frames[(st->depth - 1) & (STAGE_MAX_DEPTH - 1)];

	f->io_ops++;
	f->io_time_ns += dur;
	if (cls & IO_READ)
		f->io_bytes_read += bytes;
	else
		f->io_bytes_written += bytes;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	__u64 pid_tgid;
	struct sys_slot *slot;
	__u32 tgid, zero = 0;

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
		count_syscall(tgid, id, 0, false);
		return 0;
	}
	slot = bpf_map_lookup_elem(&sys_slots, &zero);
	if (!slot)
		return 0;
	slot->nr = (__u64)id < MAX_SYSCALL_NR ? id : SYSCALL_NR_OTHER;
	if (io_class[slot->nr & (MAX_SYSCALL_NR - 1)] & IO_MMSG)
		slot->arg = regs->si;
	slot->tid = (__u32)pid_tgid;
	slot->enter_ns = bpf_ktime_get_ns();
	return 0;
}

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
int BPF_PROG(cpu_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct task_state *st;
	struct sys_slot *slot;
	__u32 zero = 0;

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

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	long id = (long)regs->orig_ax;
	struct task_state *st;
	struct sys_slot *slot;
	__u64 pid_tgid, enter_ns, arg;
	__u32 tgid, nr, zero = 0;
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
	nr &= MAX_SYSCALL_NR - 1;
	cls = io_class[nr];
	if (cls) {
		__u64 bytes = count_io(tgid, nr, cls, dur, ret, arg);
		struct stage_stack *stack;
		__u32 stack_id;

		/* Only runs with stages look for an open stage call. */
		if (!stages_attached)
			return 0;
		stack = running_stage_stack(false, &stack_id);
		if (stack && stack->depth) {
			drop_stale_frames(stack);
			if (stack->depth)
				charge_io_to_stage(stack, cls, bytes, dur);
		}
	} else
		count_syscall(tgid, nr, dur, ret < 0 && ret >= -MAX_ERRNO);
	return 0;
}

/*
 * Stages. Entry pushes a frame on the thread's stack; return pops it and
 * records the call: duration, self time (duration minus the callees'), the
 * I/O charged to it. A return that finds frames above its own means those
 * calls were left without returning (longjmp, exceptions): they are dropped
 * and counted, never mixed into the histograms.
 */

/* --sample N: the thread's calls 0, N, 2N, ... are recorded. */
static __always_inline bool sampled_out(struct stage_stack *st)
{
	__u32 tick;

	if (stage_sample_every <= 1)
		return false;
	tick = st->sample_tick++;
	return tick % stage_sample_every != 0;
}

/* Returns the frame index, or -1 when the call is not recorded. */
static __always_inline int stage_push(struct stage_stack *st, __u32 stage)
{
	struct stage_frame *f;
	__u32 d;

	drop_stale_frames(st);
	if (sampled_out(st))
		return -1;
	d = st->depth;
	if (d >= STAGE_MAX_DEPTH) {
		st->too_deep++;
		audit_inc(AUDIT_STAGE_TOO_DEEP);
		return -1;
	}
	f = &st->frames[d & (STAGE_MAX_DEPTH - 1)];
	f->stage = stage;
	f->child_ns = 0;
	f->io_ops = f->io_bytes_read = f->io_bytes_written = f->io_time_ns = 0;
	if (span_events)
		f->span_id = ((__u64)st->tid << 32) | ++st->span_seq;
	st->depth = d + 1;
	audit_inc(AUDIT_STAGE_ENTRIES);
	f->start_ns = bpf_ktime_get_ns();
	return (int)d;
}

static __always_inline void stage_record(struct stage_frame *f, __u64 dur, __u64 self)
{
	struct stage_key key = { .stage = f->stage };
	struct stage_stats *s;
	bool created = false;
	__u32 b;

	if (one_target) {
		s = bpf_map_lookup_elem(&stage_counts, &key.stage);
	} else {
		key.tgid = bpf_get_current_pid_tgid() >> 32;
		s = map_lookup_or_insert(&stage_stats, &key, &zero_stage_stats, &created);
	}
	if (!s) {
		audit_inc(AUDIT_STAGE_MAP_FULL);
		return;
	}
	s->calls++;
	s->total_ns += dur;
	s->self_ns += self;
	if (dur > s->max_ns)
		s->max_ns = dur;
	if (f->io_ops) {
		s->io_ops += f->io_ops;
		s->io_bytes_read += f->io_bytes_read;
		s->io_bytes_written += f->io_bytes_written;
		s->io_time_ns += f->io_time_ns;
	}
	b = hist_bucket(dur);
	if (b < HIST_BUCKETS)
		s->hist[b]++;
}

/* Called just after the pop: frame idx (the call) and the frames below it
 * (its open callers) are still intact. */
static __always_inline void stage_emit_span(struct stage_stack *st, int idx, __u64 dur)
{
	struct stage_frame *f = &st->frames[idx & (STAGE_MAX_DEPTH - 1)];
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct span_record *r;
	__u64 flags = BPF_RB_NO_WAKEUP;

	r = bpf_ringbuf_reserve(&spans, sizeof(*r), 0);
	if (!r) {
		audit_inc(AUDIT_SPAN_LOST);
		return;
	}
	r->span_id = f->span_id;
	r->parent_id = idx > 0 ? st->frames[(idx - 1) & (STAGE_MAX_DEPTH - 1)].span_id : 0;
	r->trace_id = st->frames[0].span_id;
	r->start_ns = f->start_ns;
	r->dur_ns = dur;
	r->io_ops = (__u32)f->io_ops;
	r->io_bytes_read = f->io_bytes_read;
	r->io_bytes_written = f->io_bytes_written;
	r->io_time_ns = f->io_time_ns;
	r->stage = f->stage;
	r->pid = pid_tgid >> 32;
	r->tid = (__u32)pid_tgid;
	/* A wakeup per record would cost the target ~2 us: wake the reader
	 * only once enough has piled up (it also drains on a timer). */
	if (bpf_ringbuf_query(&spans, BPF_RB_AVAIL_DATA) >= span_wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(r, flags);
}

/* The frame for this return: `idx` when the entry told us (session), else
 * the nearest open frame of this stage. -1 when there is none. */
static __always_inline int stage_find_frame(struct stage_stack *st, __u32 stage, int idx)
{
	if (idx >= 0)
		return idx < (int)st->depth &&
				       st->frames[idx & (STAGE_MAX_DEPTH - 1)].stage == stage
			       ? idx
			       : -1;
	for (int i = STAGE_MAX_DEPTH - 1; i >= 0; i--)
		if (i < (int)st->depth && st->frames[i].stage == stage)
			return i;
	return -1;
}

/* `now`: taken by the caller first thing, before it looks for the stack. */
static __always_inline void stage_pop(struct stage_stack *st, __u64 now, __u32 stage, int idx)
{
	struct stage_frame *f;
	__u64 dur, self;

	drop_stale_frames(st);
	if (idx < 0 && st->too_deep) {
		/* Multi links: the innermost calls past the depth limit return first. */
		st->too_deep--;
		return;
	}
	idx = stage_find_frame(st, stage, idx);
	if (idx < 0) {
		audit_inc(AUDIT_STAGE_ORPHAN_RETURN);
		return;
	}
	if (st->depth > (__u32)idx + 1)
		audit_add(AUDIT_STAGE_UNFINISHED, st->depth - idx - 1);
	f = &st->frames[idx & (STAGE_MAX_DEPTH - 1)];
	dur = now - f->start_ns;
	self = dur > f->child_ns ? dur - f->child_ns : 0;
	st->depth = idx;
	if (idx > 0)
		st->frames[(idx - 1) & (STAGE_MAX_DEPTH - 1)].child_ns += dur;
	stage_record(f, dur, self);
	if (span_events)
		stage_emit_span(st, idx, dur);
}

/*
 * The session cookie takes what the return needs from the entry: the stack
 * id, the stage and the frame index. The kernel zeroes the cookie before
 * the entry runs (Linux 6.13's handler_chain), and an entry that pushed a
 * frame leaves it nonzero (COOKIE_ENTERED): so the cookie alone tells entry
 * from return, without bpf_session_is_return.
 */
#define COOKIE_ENTERED (1ULL << 63)
#define COOKIE_FRAME_BITS 5
_Static_assert(1 << COOKIE_FRAME_BITS == STAGE_MAX_DEPTH, "frame index bits");
_Static_assert(STAGE_MAX_COUNT <= 1ULL << (32 - COOKIE_FRAME_BITS), "stage id bits");

/* Links are pid-filtered in the one-process modes: only there does every
 * return come from the thread whose entry made the cookie. A process forked
 * inside a stage call inherits the pending return, and its copy of the
 * cookie names its parent's stack. */
static __always_inline bool stack_is_mine(const struct stage_stack *stack)
{
	if (targ_tgid && !follow)
		return true;
	return stack->tid == (__u32)bpf_get_current_pid_tgid();
}

static __always_inline void stage_session_return(__u64 v)
{
	__u64 now = bpf_ktime_get_ns();
	__u32 id = (__u32)(v >> 32) & ~(__u32)(COOKIE_ENTERED >> 32);
	struct stage_stack *stack;

	if (id)
		stack = bpf_map_lookup_elem(&stage_stacks, &id);
	else
		stack = thread_stage_stack(false, &id);
	if (!stack || !stack_is_mine(stack)) {
		audit_inc(AUDIT_STAGE_ORPHAN_RETURN);
		return;
	}
	stage_pop(stack, now, (__u32)v >> COOKIE_FRAME_BITS, (int)(v & (STAGE_MAX_DEPTH - 1)));
}

SEC("uprobe")
int stage_session(struct pt_regs *ctx)
{
	struct stage_stack *stack;
	__u64 *cookie;
	__u32 stage, id;
	int idx;

	cookie = bpf_session_cookie();
	if (!cookie)
		return 1;
	if (*cookie) {
		/* A call entered while on is popped even if stages were turned
		 * off since: its frame is open. */
		stage_session_return(*cookie);
		return 0;
	}
	/* Off: return 1, so the return probe does not run either. */
	if (stage_probe_idle())
		return 1;
	stack = running_stage_stack(true, &id);
	if (!stack) {
		audit_inc(AUDIT_TASK_STATE_FAILED);
		return 1;
	}
	stage = (__u32)bpf_get_attach_cookie(ctx);
	idx = stage_push(stack, stage);
	if (idx < 0)
		return 1; /* no frame: skip the return */
	*cookie = COOKIE_ENTERED | (__u64)id << 32 | stage << COOKIE_FRAME_BITS | (__u32)idx;
	return 0;
}

/* Without session links (before Linux 6.13) a return cannot tell whether
 * its entry ran: calls that span a toggle are dropped as orphans or left
 * open (both audited). */
SEC("uprobe")
int stage_entry(struct pt_regs *ctx)
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

SEC("uretprobe")
int stage_return(struct pt_regs *ctx)
{
	__u64 now = bpf_ktime_get_ns();
	struct stage_stack *stack;
	__u32 id;

	if (stage_probe_idle())
		return 0;
	stack = running_stage_stack(false, &id);
	if (stack)
		stage_pop(stack, now, (__u32)bpf_get_attach_cookie(ctx), -1);
	return 0;
}

/* --follow: a process forked by a traced one is traced too (threads share
 * their process's entry). */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(proc_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	__u8 one = 1;

	if (ptgid == ctgid || !bpf_map_lookup_elem(&traced_tgids, &ptgid))
		return 0;
	if (bpf_map_update_elem(&traced_tgids, &ctgid, &one, BPF_ANY))
		audit_inc(AUDIT_FOLLOW_MAP_FULL);
	return 0;
}

/* A thread that exits with stage calls open: they will never return. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(thread_exit, struct task_struct *p)
{
	struct stage_stack *stack;
	struct task_state *st;
	__u32 id;

	if (!traced(bpf_get_current_pid_tgid() >> 32))
		return 0;
	st = bpf_task_storage_get(&task_states, bpf_get_current_task_btf(), NULL, 0);
	if (!st)
		return 0;
	id = st->stack_id;
	stack = id ? bpf_map_lookup_elem(&stage_stacks, &id) : &st->stages;
	if (stack && stack->depth) {
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

	if (traced(tgid))
		remember_proc(tgid);
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
