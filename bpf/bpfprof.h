/* SPDX-License-Identifier: MIT */
/*
 * Records and constants shared by the BPF programs and userspace: map keys
 * and values, the audit counter slots, and the I/O classes userspace hands
 * the kernel side. Nothing else belongs here.
 */
#ifndef BPFPROF_H
#define BPFPROF_H

#ifndef __VMLINUX_H__
#include <linux/types.h> /* userspace; BPF gets the types from vmlinux.h */
#endif
#include "hist_layout.h"

/* Syscall numbers at or above this are counted together under
 * SYSCALL_NR_OTHER (x86_64 numbers end in the 460s on Linux 6.18). */
#define MAX_SYSCALL_NR 512
#define SYSCALL_NR_OTHER (MAX_SYSCALL_NR - 1)

/* How a syscall moves bytes, as flags in the io_class rodata table. */
enum io_class {
	IO_NONE = 0,
	IO_READ = 1,  /* bytes = return value, read direction */
	IO_WRITE = 2, /* bytes = return value, write direction */
	IO_MMSG = 4,  /* with READ/WRITE: bytes = sum of msg_len over returned messages */
};

/* Each I/O syscall has a slot (io_slot rodata table, IO_SLOT_NONE for the
 * others): one target's I/O counters are an array indexed by it. */
#define MAX_IO_SLOTS 32
#define IO_SLOT_NONE 0xff

/* sendmmsg/recvmmsg: msg_len is summed over at most this many messages;
 * more is counted in AUDIT_MMSG_TRUNCATED. */
#define MMSG_MAX_SUMMED 64

/*
 * Where a stage's (or a process's) wall time went, and what it read and
 * wrote by kind of file (issue 18; bpf/bpfprof/wall.bpf.h). The wall_sys
 * rodata table gives, per syscall, what blocking inside it is charged to
 * (low 2 bits) and which argument holds the descriptor whose file decides
 * the I/O kind (WALL_FD_SHIFT: 0 first, 1 second, 2 third).
 */
enum wall_block {
	WALL_BLOCK_OTHER, /* not in a syscall of the three kinds below: faults too */
	WALL_BLOCK_IO,	  /* I/O syscalls of the table, poll/select/epoll */
	WALL_BLOCK_LOCK,  /* futex, futex_waitv, flock */
	WALL_BLOCK_SLEEP, /* nanosleep, clock_nanosleep, pause */
	WALL_BLOCK_NR,
};
#define WALL_BLOCK_MASK 3
#define WALL_FD_SHIFT 2

enum io_kind {
	IO_KIND_OTHER, /* eventfd, a device, a descriptor already closed */
	IO_KIND_FILE,  /* regular file, directory, block device */
	IO_KIND_SOCKET,
	IO_KIND_PIPE,
	IO_KIND_TTY,
	IO_KIND_NR,
};

struct kind_io {
	__u64 ops;
	__u64 bytes_read;
	__u64 bytes_written;
	__u64 time_ns;
};

/* All __u64, so userspace adds and subtracts them as an array. */
struct wall_stats {
	__u64 on_cpu_ns;
	__u64 runqueue_ns; /* runnable, waiting for a CPU */
	__u64 blocked_ns[WALL_BLOCK_NR];
	__u64 faults_minor;
	__u64 faults_major;
	struct kind_io io[IO_KIND_NR]; /* stages only: the process's is in io_stats */
};

struct sys_key {
	__u32 tgid;
	__u32 nr;
};

/* Any syscall that is not an I/O syscall. Per-CPU, monotonic. */
struct sys_stats {
	__u64 count;
	__u64 errors;
	__u64 time_ns;
};

/* An I/O syscall: counts, bytes and a latency histogram. Per-CPU, monotonic. */
struct io_stats {
	__u64 count;
	__u64 errors;
	__u64 time_ns;
	__u64 max_ns;
	__u64 bytes;
	struct kind_io kind[IO_KIND_NR]; /* by the file the descriptor refers to */
	__u64 hist[HIST_BUCKETS];
};

/* Stages: functions timed by uprobes. A thread keeps a stack of its open
 * stage calls this deep; deeper calls are counted in AUDIT_STAGE_TOO_DEEP. */
#define STAGE_MAX_DEPTH 32
/* Stage ids travel in 27 bits of the session cookie. */
#define STAGE_MAX_COUNT (1 << 27)

/*
 * A jump out of a return-site function through a register or memory
 * (bpf/bpfprof/return_sites.bpf.h): where it goes is known only when it
 * runs. Landing outside the function it is a tail call through a pointer
 * and ends the call; inside, a switch's jump table, it does not. The
 * function's stretches are relative to the jump's own address.
 */
struct jump_site {
	__s64 body_lo, body_hi; /* the body: [ip + body_lo, ip + body_hi) */
	__s64 cold_lo, cold_hi; /* its cold part; equal: none */
	__s32 disp;
	__u8 base;  /* pt_regs slot + 1 of the register jumped through, or the
		     * address's base; 0: none */
	__u8 index; /* pt_regs slot + 1 of the address's index; 0: none */
	__u8 scale;
	__u8 mem;   /* through memory: the target is read at base + index * scale + disp */
};

/* Jump sites described at once; the cookie carries the index in 20 bits. */
#define JUMP_SITES_MAX 65536

/* Go binaries with stages whose waitReasons are classified at once, and
 * the waitReasons of each (a uint8 in the runtime). */
#define GO_BINARIES_MAX 16
#define GO_WAIT_REASONS 256

struct stage_key {
	__u32 tgid;
	__u32 stage; /* index into userspace's stage table; the probe's cookie */
};

/* One stage in one process. Per-CPU, monotonic. The io fields are the
 * I/O syscalls made while this stage was the innermost open one. */
struct stage_stats {
	__u64 calls;
	__u64 total_ns;
	__u64 self_ns; /* total minus the time in stages called from it */
	__u64 max_ns;
	__u64 calls_clamped; /* held whole at what elapsed: below the probes' resolution */
	__u64 calls_unfinished; /* ended without returning: in none of the other fields */
	__u64 io_ops;
	__u64 io_bytes_read;
	__u64 io_bytes_written;
	__u64 io_time_ns;
	struct wall_stats wall; /* sums to self_ns */
	__u64 hist[HIST_BUCKETS]; /* call durations */
};

/*
 * -U PROVIDER:BEGIN..END@N[,M...]: one stage per distinct value of BEGIN's
 * string arguments N, M... A named spec's stage ids are its "(other)" stage
 * followed by `cap` ids the probes hand out in the order names are first
 * seen (usdt_name_specs.next); usdt_names maps a name to its id and is
 * what userspace reads to name those stages. Each argument is read up to
 * USDT_NAME_ARG_BYTES - 1 bytes.
 */
#define USDT_NAME_MAX_ARGS 4
#define USDT_NAME_ARG_BYTES 128

/* Where a pointer argument is: in a register, at disp(%reg), or a constant. */
enum usdt_name_arg_kind { USDT_NAME_ARG_REG, USDT_NAME_ARG_DEREF, USDT_NAME_ARG_CONST };

struct usdt_name_arg {
	__u32 kind;    /* enum usdt_name_arg_kind */
	__u32 reg_off; /* byte offset in struct pt_regs */
	__s64 val;     /* the displacement, or the constant */
};

/* One BEGIN probe site of a named spec (its cookie is the site's index). */
struct usdt_name_site {
	__u32 spec;
	__u32 nargs;
	struct usdt_name_arg args[USDT_NAME_MAX_ARGS];
};

struct usdt_name_spec {
	__u32 other; /* the "(other)" stage id; the names' ids follow it */
	__u32 cap;
	__u64 next; /* ids handed out so far (may pass cap); 64 bits: a fetching
		     * atomic add on 32 bits needs -mcpu=v3 */
};

/* The hash key; userspace sets the map's key size to hold only as many
 * arguments as the widest spec names. */
struct usdt_name_key {
	__u32 spec;
	__u32 pad;
	char text[USDT_NAME_MAX_ARGS][USDT_NAME_ARG_BYTES];
};

/* The END cookie of a USDT pair: the stage id, and in the high half how
 * many ids from it are the spec's (0 or 1: just it). */
#define USDT_END_RANGE_SHIFT 32

/*
 * --events: one record per finished stage call, through the `spans` ring
 * buffer. Ids are unique within a run: span_id is (tid << 32 | the thread's
 * call sequence number); trace_id is the span_id of the outermost open call
 * on the thread (the root of the tree); parent_id is 0 at the root.
 */
struct span_record {
	__u64 span_id;
	__u64 parent_id;
	__u64 trace_id;
	__u64 start_ns; /* CLOCK_MONOTONIC */
	__u64 dur_ns;
	__u64 io_bytes_read;
	__u64 io_bytes_written;
	__u64 io_time_ns;
	__u32 io_ops;
	__u32 stage; /* index into userspace's stage table */
	__u32 pid;
	__u32 tid;
	/* The call's self time (dur_ns less its stage callees'), split as a
	 * STAGE record's wall: on_cpu + runqueue + blocked = self. */
	__u64 on_cpu_ns;
	__u64 runqueue_ns;
	__u64 blocked_ns[WALL_BLOCK_NR];
	__u32 faults_minor; /* capped at 2^32 - 1 */
	__u32 faults_major;
	__u32 io_kinds; /* bit k: the call did I/O on files of kind k (enum io_kind) */
	__u32 pad;
	/* Only a call that did I/O on several kinds of file sends its I/O by
	 * kind: the ring record of any other stops before it (SPAN_RECORD_SHORT
	 * bytes), and the reader fills it in (one kind: the io_* totals). */
	struct kind_io io_kind[IO_KIND_NR];
};
#define SPAN_RECORD_SHORT __builtin_offsetof(struct span_record, io_kind)

/*
 * The probe-cost correction (user/cost/time_correction.h). A stage call's
 * probes cost it time before and after each of its two timestamps (entry,
 * return): the parts between them are inside its measured time, and all
 * four are inside its callers'. Per probe mechanism (stage_mech maps a stage
 * to one), in ns; all 0 with --raw-times.
 */
#define PROBE_MECH_MAX 32

struct probe_cost_pair {
	__u32 before; /* before the timestamp */
	__u32 after;
};

/*
 * Userspace writes each timestamp's pair as one aligned 64-bit word, and a
 * probe reads it as one: a timestamp never takes its two parts from two
 * different updates of the figures.
 */
struct probe_cost {
	union {
		struct probe_cost_pair entry;
		__u64 entry_word;
	};
	union {
		struct probe_cost_pair ret;
		__u64 ret_word;
	};
	__u32 skipped; /* a call seen and not recorded (--sample) */
	__u32 pad;
};

/* The target's end, from the kernel's process-exit event (.bss target_end). */
struct target_end {
	__u32 seen;	  /* 1 once the target's last thread exited */
	__u32 exit_code;  /* as a wait status: exit code << 8, or the signal (| 0x80: core) */
	__u64 ktime_ns;	  /* CLOCK_MONOTONIC of the exit */
};

/* The probes' `counting` global (bpf/bpfprof/state.bpf.h), which
 * userspace sets: on once every probe is attached; stopping (the calls open
 * finish counting) and then off before any is detached. */
enum counting_state {
	COUNTING_OFF,
	COUNTING_ON,
	COUNTING_STOPPING,
};

/* The head of a thread's stage stack (bpf/bpfprof/state.bpf.h), which
 * userspace reads when it stops counting: it waits for the calls still
 * open that will be counted when they return. */
struct stage_stack_head {
	__u32 tid;
	__u32 depth; /* open stage calls */
	__u32 too_deep;
	__u32 sample_tick;
	__u32 span_seq;
	__u32 gen;     /* stage_gen when the open frames were pushed */
	__u32 counted; /* the open frames will be recorded */
};

/*
 * --cpu-sample: CPU-clock samples of traced threads, counted per process,
 * innermost open stage and stack (ids in the cpu_stacks stack-trace map).
 * A stack id < 0 means no stack: the kernel's when the thread was in user
 * mode, the user one for a kernel thread, or either when it was lost
 * (AUDIT_SAMPLE_*STACK_LOST).
 */
#define SAMPLE_NO_STAGE 0xffffffffu
#define SAMPLE_MAX_FRAMES 127 /* the kernel's PERF_MAX_STACK_DEPTH */

struct sample_key {
	__u32 tgid;
	__u32 stage; /* stage id, or SAMPLE_NO_STAGE */
	__s32 user_stack;
	__s32 kernel_stack;
};

#define TASK_COMM_LEN 16

struct proc_info {
	char comm[TASK_COMM_LEN];
};

/* Slots of the per-CPU audit array: everything the kernel side could not
 * record, so that no loss is silent. */
enum audit_slot {
	AUDIT_SYS_MAP_FULL,      /* syscalls not counted: sys_stats full */
	AUDIT_IO_MAP_FULL,       /* I/O syscalls not counted: io_stats full */
	AUDIT_TASK_STATE_FAILED, /* syscalls not timed: no task storage */
	AUDIT_EXIT_WITHOUT_ENTER, /* syscalls in flight when probes attached */
	AUDIT_MMSG_TRUNCATED,    /* mmsg calls whose bytes were summed partly */
	AUDIT_PROC_MAP_FULL,     /* processes whose comm could not be kept */
	AUDIT_STAGE_MAP_FULL,    /* stage calls not recorded: stage_stats full */
	AUDIT_STAGE_TOO_DEEP,    /* stage calls deeper than STAGE_MAX_DEPTH */
	AUDIT_STAGE_UNFINISHED,  /* calls that never returned: longjmp, exception, thread exit */
	AUDIT_STAGE_ORPHAN_RETURN, /* returns of calls entered before the probes */
	AUDIT_STAGE_ENTRIES,     /* stage calls entered (a fact, for open-at-end) */
	AUDIT_SPAN_LOST,         /* span records not sent: ring buffer full */
	AUDIT_FOLLOW_MAP_FULL,   /* --follow: children not traced, traced_tgids full */
	AUDIT_STAGE_CLAMPED,     /* calls the probe-cost correction would have put below
				    what elapsed since their entry: held there
				    (bpfprof/probe_cost.bpf.h) */
	AUDIT_CPU_SAMPLES,       /* --cpu-sample: samples taken of traced threads (a fact) */
	AUDIT_SAMPLE_MAP_FULL,   /* samples not counted: cpu_samples full */
	AUDIT_SAMPLE_USTACK_LOST, /* samples without their user stack: stack map full */
	AUDIT_SAMPLE_KSTACK_LOST, /* samples without their kernel stack: stack map full */
	AUDIT_WALL_NO_START,	 /* off-CPU spans whose start was before attach: not charged */
	AUDIT_WALL_CLAMPED,	 /* stage calls whose off-CPU time exceeded their self time */
	AUDIT_USDT_OTHER_CALLS,	 /* -U ...@N: calls counted under (other), past --usdt-names */
	AUDIT_USDT_OTHER_NAMES,	 /* -U ...@N: distinct names that went to (other) */
	AUDIT_NR_SLOTS,
};

#endif /* BPFPROF_H */
