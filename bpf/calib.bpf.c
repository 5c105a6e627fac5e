// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * Empty programs, attached for a few milliseconds at start to functions of
 * bpfprof itself: what the kernel's uprobe machinery costs a call before any
 * program body runs, which BPF run-time stats cannot see.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* Entry and return (a session runs its return too, as 0 asks). */
SEC("uprobe")
int calib_uprobe(struct pt_regs *ctx)
{
	return 0;
}

/* A session entry that skips its return: a stage probe switched off. */
SEC("uprobe")
int calib_uprobe_entry_only(struct pt_regs *ctx)
{
	return 1;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
