/* SPDX-License-Identifier: MIT */
/*
 * A process's I/O counters (rchar, wchar, read_bytes, write_bytes: what
 * /proc/PID/io shows) read from the kernel through a BPF task iterator
 * (bpf/procio.bpf.c). After bpfprof drops its capabilities, /proc/PID/io of
 * a process with capabilities (every root process) fails the ptrace access
 * check; the iterator, attached before the drop, needs no capability to
 * read, so telemetry keeps the counters without bpfprof keeping
 * CAP_SYS_PTRACE (which can take over any process).
 */
#ifndef BPFPROF_PROC_IO_H
#define BPFPROF_PROC_IO_H

#include <sys/types.h>
#include "telemetry/telemetry.h"

struct proc_io;

/* Loads and attaches the iterator (needs the capabilities to load BPF).
 * NULL with err set when it cannot. */
struct proc_io *proc_io_open(char *err, size_t errlen);
/* t->pid's counters, summed over its threads and the ones that exited, as
 * /proc/PID/io sums them; sets t->have_io. 0, -ESRCH (no such process), or
 * -errno. */
int proc_io_read(struct proc_io *p, struct proc_telemetry *t);
/* Safe with NULL. */
void proc_io_close(struct proc_io *p);

#endif
