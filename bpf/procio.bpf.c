// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * The kernel's per-process I/O counters (what /proc/PID/io shows), read
 * through a task iterator: once bpfprof has dropped its capabilities,
 * /proc/PID/io of a process with more capabilities than it (every root
 * process) fails its ptrace check, but reading an iterator bpfprof attached
 * before the drop needs none. Only the processes user space lists in
 * `wanted` are written out: one row per thread, and for the thread group
 * leader one more with the counts of threads that already exited.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "procio.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PROCIO_MAX_WANTED);
	__type(key, __u32); /* tgid */
	__type(value, __u8);
} wanted SEC(".maps");

static __always_inline void put(struct seq_file *seq, __u32 tgid, __u32 tid, __u32 exited,
				const struct task_io_accounting *io)
{
	struct procio_row row = {
		.tgid = tgid,
		.tid = tid,
		.exited_threads = exited,
		.rchar = io->rchar,
		.wchar = io->wchar,
		.read_bytes = io->read_bytes,
		.write_bytes = io->write_bytes,
	};

	bpf_seq_write(seq, &row, sizeof(row));
}

SEC("iter/task")
int procio(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct task_io_accounting io;
	__u32 tgid;

	if (!task)
		return 0;
	tgid = task->tgid;
	if (!bpf_map_lookup_elem(&wanted, &tgid))
		return 0;
	io = task->ioac;
	put(ctx->meta->seq, tgid, task->pid, 0, &io);
	if (task->pid == tgid) {
		io = task->signal->ioac;
		put(ctx->meta->seq, tgid, task->pid, 1, &io);
	}
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
