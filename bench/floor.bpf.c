// SPDX-License-Identifier: GPL-2.0
/* The floor: empty programs at the points bpfprof uses, so their cost is
 * what any BPF tool pays before doing any work. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sys_enter")
int BPF_PROG(floor_enter, struct pt_regs *regs, long id)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(floor_exit, struct pt_regs *regs, long ret)
{
	return 0;
}

SEC("uprobe")
int floor_uentry(struct pt_regs *ctx)
{
	return 0;
}

SEC("uretprobe")
int floor_uret(struct pt_regs *ctx)
{
	return 0;
}
