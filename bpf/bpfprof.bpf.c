// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * Syscall accounting. sys_enter stamps the time in task-local storage;
 * sys_exit charges the call to its process: count, errors, time, and for
 * I/O syscalls the bytes moved and a latency histogram. Counters are per-CPU
 * and only ever grow: userspace turns them into per-interval deltas, so a
 * flush never races with an update into a lost or doubled event.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "bpfprof.h"
#include "maps.bpf.h"

#define NR_EXIT 60
#define NR_EXIT_GROUP 231
#define MAX_ERRNO 4095

/* Set by userspace before load; the verifier prunes what they switch off. */
const volatile __u32 targ_tgid = 0; /* 0: every process */
const volatile __u32 self_tgid = 0; /* bpfprof itself, never traced */
const volatile __u8 io_class[MAX_SYSCALL_NR] = {};

struct task_state {
	__u64 sys_enter_ns; /* 0: no syscall of ours open on this thread */
	__u64 sys_arg;      /* mmsg vector, saved at entry */
	__u32 sys_nr;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_state);
} task_states SEC(".maps");

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
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, AUDIT_NR_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} audit SEC(".maps");

static const struct sys_stats zero_sys_stats;
static const struct io_stats zero_io_stats;

static __always_inline void audit_inc(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&audit, &slot);

	if (v)
		*v += 1;
}

static __always_inline bool traced(__u32 tgid)
{
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

static __always_inline void count_syscall(__u32 tgid, __u32 nr, __u64 dur, bool err)
{
	struct sys_key key = { .tgid = tgid, .nr = nr };
	struct sys_stats *s;
	bool created = false;

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

static __always_inline void count_io(__u32 tgid, __u32 nr, __u8 cls, __u64 dur, long ret,
				     __u64 arg)
{
	struct sys_key key = { .tgid = tgid, .nr = nr };
	struct io_stats *s;
	bool created = false;
	__u64 bytes = 0;
	__u32 b;

	s = map_lookup_or_insert(&io_stats, &key, &zero_io_stats, &created);
	if (!s) {
		audit_inc(AUDIT_IO_MAP_FULL);
		return;
	}
	if (created)
		remember_proc(tgid);
	if (ret < 0 && ret >= -MAX_ERRNO)
		s->errors++;
	else if (ret > 0)
		bytes = (cls & IO_MMSG) ? mmsg_bytes(arg, ret) : (__u64)ret;
	s->count++;
	s->time_ns += dur;
	s->bytes += bytes;
	if (dur > s->max_ns)
		s->max_ns = dur;
	b = hist_bucket(dur);
	if (b < HIST_BUCKETS)
		s->hist[b]++;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct task_state *st;

	if (!traced(tgid))
		return 0;
	/* These never return, so sys_exit will not see them. */
	if (id == NR_EXIT || id == NR_EXIT_GROUP) {
		count_syscall(tgid, id, 0, false);
		return 0;
	}
	st = bpf_task_storage_get(&task_states, bpf_get_current_task_btf(), NULL,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!st) {
		audit_inc(AUDIT_TASK_STATE_FAILED);
		return 0;
	}
	st->sys_nr = (__u64)id < MAX_SYSCALL_NR ? id : SYSCALL_NR_OTHER;
	if (io_class[st->sys_nr & (MAX_SYSCALL_NR - 1)] & IO_MMSG)
		st->sys_arg = regs->si;
	st->sys_enter_ns = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct task_state *st;
	__u64 dur;
	__u32 nr;
	__u8 cls;

	if (!traced(tgid))
		return 0;
	st = bpf_task_storage_get(&task_states, bpf_get_current_task_btf(), NULL, 0);
	if (!st || !st->sys_enter_ns) {
		audit_inc(AUDIT_EXIT_WITHOUT_ENTER);
		return 0;
	}
	dur = bpf_ktime_get_ns() - st->sys_enter_ns;
	st->sys_enter_ns = 0;
	nr = st->sys_nr & (MAX_SYSCALL_NR - 1);
	cls = io_class[nr];
	if (cls)
		count_io(tgid, nr, cls, dur, ret, st->sys_arg);
	else
		count_syscall(tgid, nr, dur, ret < 0 && ret >= -MAX_ERRNO);
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
