/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/* The rows bpf/procio.bpf.c writes to its iterator, read by user/telemetry/proc_io.c. */
#ifndef BPFPROF_PROCIO_H
#define BPFPROF_PROCIO_H

#define PROCIO_MAX_WANTED 64

struct procio_row {
	__u32 tgid;
	__u32 tid;
	__u32 exited_threads; /* 1: the counts the process keeps for its exited threads */
	__u32 pad;
	__u64 rchar;
	__u64 wchar;
	__u64 read_bytes;
	__u64 write_bytes;
};

#endif
