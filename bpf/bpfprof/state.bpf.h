// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * What the probe families of bpfprof.bpf.c share: the settings userspace
 * writes, the per-thread state, every map of the object, and the helpers
 * more than one family calls (the loss counters, the traced-process test,
 * the process-name record). Most maps are read or written by two families
 * or more (task_states by all but spans); the few one family owns are
 * listed here too, so the object's whole state reads in one place, in the
 * order the skeleton declares it.
 */
#ifndef BPFPROF_STATE_BPF_H
#define BPFPROF_STATE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "bpfprof.h"
#include "maps.bpf.h"

/* Set by userspace before load; the verifier prunes what they switch off. */
const volatile __u32 targ_tgid = 0;	/* 0: every process */
const volatile __u32 self_tgid = 0;	/* bpfprof itself, never traced */
const volatile bool one_target = false; /* counters in the *_counts arrays */
/* One target's stage ids from here on (-U ...@N names) count in the hash. */
const volatile __u32 stage_array_ids = STAGE_MAX_COUNT;
const volatile bool follow = false;	/* trace the processes in traced_tgids */
/* --follow itself: a traced process's children are traced too. */
const volatile bool follow_forks = false;
/* --comm NAME: processes named so join traced_tgids (at fork and exec). */
const volatile bool by_comm = false;
const volatile char match_comm[TASK_COMM_LEN] = {};
const volatile __u8 io_class[MAX_SYSCALL_NR] = {};
const volatile __u8 io_slot[MAX_SYSCALL_NR] = {};
const volatile __u32 stage_sample_every = 1; /* record 1 in N calls per thread */
const volatile bool span_events = false;
const volatile bool stages_attached = false; /* -u given: I/O is charged to stages */
/* Some stages are Go functions: a thread's I/O and off-CPU time may be its
 * goroutine's (go_stack.bpf.h). */
const volatile bool go_stages_attached = false;
const volatile __u64 span_wakeup_bytes = 0; /* wake the reader past this much data */
const volatile __u8 wall_sys[MAX_SYSCALL_NR] = {}; /* enum wall_block | fd argument */

/* Written by userspace at run time (SIGUSR1, the live view's t key): while
 * 0, a stage probe does nothing but read it. */
volatile __u32 stages_enabled = 1;
/* Bumped by userspace each time it attaches the stage probes: frames of an
 * older generation were open when the probes were detached, so their
 * returns will never be seen. */
volatile __u32 stage_gen = 0;
/*
 * Counting starts once every probe is attached and stops before any is
 * detached, so the first and last intervals count what the middle ones do.
 * Off, the probes still keep their books (syscall entries, stage frames)
 * but record nothing: a syscall is counted when its entry was, and a stage
 * call when the outermost call open on its thread was entered while
 * counting (a stack's `counted`), its callees and the I/O made inside it
 * with it, so a call never counts without its callers, callees or I/O.
 * Stopping, the calls open finish counting; then nothing does.
 */
volatile __u32 counting = COUNTING_OFF;

/* stage_frame.site_flags: a return probe will see this call's end (a
 * tail call it makes shares its position, and is no sign it ended). */
#define FRAME_RETURN_PROBE 2
/* The call ended at the probe that entered it: its entry's instruction is
 * its way out (a function that is one ret or one jump out). One probe's
 * cost, none of it inside the call (probe_cost.bpf.h). */
#define FRAME_INSTANT 4

/* Wall-time and I/O-kind state of a frame, a stack and a thread (issue
 * 18): the functions are in wall.bpf.h. */
struct frame_wall {
	__u64 runqueue_ns;
	__u64 blocked_ns[WALL_BLOCK_NR];
	__u64 faults_minor;
	__u64 faults_major;
	struct kind_io io[IO_KIND_NR];
};

struct stack_wall {
	__u64 min_flt; /* the thread's fault counts at the last push or pop */
	__u64 maj_flt;
	__u32 flt_tid; /* that thread: a goroutine's stack moves between threads */
	__u32 pad;
};

enum wall_off {
	WALL_ON_CPU,   /* running, or not seen since attach */
	WALL_RUNNABLE, /* preempted or woken: waiting for a CPU */
	WALL_BLOCKED,  /* + enum wall_block */
};

struct task_wall {
	__u64 on_ns;   /* switched in at; 0: not seen since attach */
	__u64 off_ns;  /* switched out, or woken, at */
	__u64 min_flt; /* fault counts at switch-in */
	__u64 maj_flt;
	__u64 steal;   /* the CPU's stolen time at switch-in (a VM's host ran another) */
	__u32 off;     /* enum wall_off */
	__u32 pad;
	__u64 go_g;    /* Go stages: the g running when it switched out (go_stack.bpf.h) */
};

struct stage_frame {
	__u32 stage;
	__u32 site_flags; /* FRAME_*: how the call's end is seen (return_sites.bpf.h) */
	__u64 span_id; /* --events only */
	__u64 start_ns; /* on the thread's corrected clock (probe_cost.bpf.h) */
	__u64 child_ns; /* time in stage calls made from this one */
	__u64 io_ops;
	__u64 io_bytes_read;
	__u64 io_bytes_written;
	__u64 io_time_ns;
	__u64 entry_pos; /* return-site stages: see return_sites.bpf.h; else 0 */
	__u32 mech;	 /* its probe mechanism, for the probe-cost correction */
	__u32 held_ns;	 /* entry cost held back until its return (probe_cost.bpf.h) */
	struct frame_wall wall;
};

/* A thread's open stage calls, and what goes with them. */
struct stage_stack {
	__u32 tid;	   /* the thread it belongs to */
	__u32 depth;	   /* open stage calls */
	__u32 too_deep;	   /* calls past STAGE_MAX_DEPTH not yet returned (multi links) */
	__u32 sample_tick; /* --sample: calls seen, recorded or not */
	__u32 span_seq;	   /* --events: this thread's calls, for span ids */
	__u32 gen;	   /* stage_gen when the open frames were pushed */
	__u32 counted;	   /* the open frames are recorded: counting at the outermost entry */
	__u32 pad;
	/* Probe cost paid on this thread since its outermost open call began,
	 * and the last timestamp on the clock without it (probe_cost.bpf.h). */
	__u64 probe_clock;
	__u64 probe_clock_last;
	struct stack_wall wall;
	struct stage_frame frames[STAGE_MAX_DEPTH];
};

_Static_assert(__builtin_offsetof(struct stage_stack, gen) ==
			       __builtin_offsetof(struct stage_stack_head, gen) &&
		       __builtin_offsetof(struct stage_stack, depth) ==
			       __builtin_offsetof(struct stage_stack_head, depth) &&
		       __builtin_offsetof(struct stage_stack, counted) ==
			       __builtin_offsetof(struct stage_stack_head, counted),
	       "userspace reads the stack's head");

struct task_state {
	__u64 sys_enter_ns; /* 0: no syscall of ours open on this thread */
	__u64 sys_arg;	    /* mmsg vector, saved at entry */
	__u32 sys_nr;
	__u32 stack_id;	    /* its stack in stage_stacks; 0: `stages` below */
	bool no_free_stack; /* stage_stacks had none left for it */
	struct task_wall wall;
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

/* Preallocated (~5 MB at this size; one target's is sized down): an
 * insert that allocated could fail in a burst of new processes on a busy
 * machine, and a process gone by the flush would then have no name. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
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

/* A process's wall time and faults (wall.bpf.h): one target's in the
 * array, the others' in the hash; unused one sized 1 by userspace. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct wall_stats);
} proc_wall SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wall_stats);
} proc_wall_counts SEC(".maps");

/* --follow: the target and every process it forks. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} traced_tgids SEC(".maps");

/* Processes that exited, for userspace to free their entries in the
 * per-process hashes once a flush has reported them (not with one target,
 * whose counters are arrays). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} exited_tgids SEC(".maps");

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

/* bpfprof itself, and its thread, while it times its own calls for the
 * probe-cost correction (probe_cost.bpf.h), at start and during the run. */
volatile __u32 calib_tgid = 0;
volatile __u32 calib_tid = 0;

/* The calibration's calls are not the target's: never in the audit. */
static __always_inline bool calibrating_thread(void)
{
	__u32 tid = calib_tid;

	return tid && (__u32)bpf_get_current_pid_tgid() == tid;
}

/* Bits above the slot in audit_count's AUDIT_STAGE_UNFINISHED: which
 * stack the calls were on, and which of its frames (stage_stack.bpf.h). */
#define AUDIT_SLOT_MASK 0xff
#define UNFINISHED_GO (1U << 8)	     /* the goroutine in r14 */
#define UNFINISHED_GO_EXIT (1U << 9) /* the goroutine in rax (runtime.goexit0) */
#define UNFINISHED_POPPED (1U << 10) /* popped already: the frames above the depth */
_Static_assert(AUDIT_NR_SLOTS <= AUDIT_SLOT_MASK + 1, "audit slots fit below the flags");

int count_unfinished(__u32 how, __u64 n);

/*
 * A global function, verified once on its own: the check above would
 * otherwise fork the verifier's states at each of the many audit call
 * sites (the return-site programs went past its 1M instructions).
 */
__attribute__((noinline)) int audit_count(__u32 slot, __u64 n)
{
	__u32 key = slot & AUDIT_SLOT_MASK;
	__u64 *v;

	if (calibrating_thread())
		return 0;
	v = bpf_map_lookup_elem(&audit, &key);
	if (v)
		*v += n;
	if (key == AUDIT_STAGE_UNFINISHED)
		count_unfinished(slot, n);
	return 0;
}

static __always_inline void audit_inc(__u32 slot)
{
	audit_count(slot, 1);
}

static __always_inline void audit_add(__u32 slot, __u64 n)
{
	audit_count(slot, n);
}

static __always_inline bool traced(__u32 tgid)
{
	if (follow)
		return bpf_map_lookup_elem(&traced_tgids, &tgid) != NULL;
	if (targ_tgid)
		return tgid == targ_tgid;
	return tgid != self_tgid;
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

#endif /* BPFPROF_STATE_BPF_H */
