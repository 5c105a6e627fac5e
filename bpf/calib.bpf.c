// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * Empty programs, attached for a few milliseconds at start to bpfprof's own
 * calls: what the kernel's tracepoint and uprobe machinery costs a call
 * before any program body runs, which BPF run-time stats cannot see.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/sys_enter")
int BPF_PROG(calib_sys_enter, struct pt_regs *regs, long id)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(calib_sys_exit, struct pt_regs *regs, long ret)
{
	return 0;
}

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
