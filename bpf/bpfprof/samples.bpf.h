// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * --cpu-sample HZ: a CPU-clock perf event on every CPU runs cpu_sample
 * HZ times a second. A sample of a traced thread takes its user stack
 * (frame pointers), its kernel stack and its innermost open stage, and
 * counts one in cpu_samples under (process, stage, stack ids): the map
 * grows with the distinct stacks, not with the samples, and userspace
 * reads it at each flush like the other counters.
 */
#ifndef BPFPROF_SAMPLES_BPF_H
#define BPFPROF_SAMPLES_BPF_H

#include "state.bpf.h"
#include "stage_stack.bpf.h"

/* Sized by userspace (only with --cpu-sample; one entry otherwise). */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, SAMPLE_MAX_FRAMES * sizeof(__u64));
} cpu_stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, struct sample_key);
	__type(value, __u64);
} cpu_samples SEC(".maps");

/* The thread's innermost open stage call, if stages are attached. */
static __always_inline __u32 sampled_stage(__u32 tid)
{
	struct stage_stack *st;
	__u32 id, d;

	if (!stages_attached)
		return SAMPLE_NO_STAGE;
	st = running_stage_stack(false, &id);
	if (!st || st->tid != tid || st->gen != stage_gen)
		return SAMPLE_NO_STAGE;
	d = st->depth;
	if (!d || d > STAGE_MAX_DEPTH)
		return SAMPLE_NO_STAGE;
	return st->frames[(d - 1) & (STAGE_MAX_DEPTH - 1)].stage;
}

/* -EFAULT: no stack of that kind here (user mode for the kernel stack, a
 * kernel thread for the user one); anything else is a stack lost. */
static __always_inline __s32 sample_stack(void *ctx, __u64 flags, __u32 lost_slot)
{
	long id = bpf_get_stackid(ctx, &cpu_stacks, flags);

	if (id < 0 && id != -14)
		audit_inc(lost_slot);
	return id < 0 ? -1 : (__s32)id;
}

SEC("perf_event")
int cpu_sample(struct bpf_perf_event_data *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32, tid = (__u32)pid_tgid;
	struct sample_key key;
	bool created = false;
	__u64 *n;

	/* tid 0: the idle task. */
	if (!tid || !traced(tgid))
		return 0;
	audit_inc(AUDIT_CPU_SAMPLES);
	key.tgid = tgid;
	key.stage = sampled_stage(tid);
	key.user_stack = sample_stack(ctx, BPF_F_USER_STACK, AUDIT_SAMPLE_USTACK_LOST);
	key.kernel_stack = sample_stack(ctx, 0, AUDIT_SAMPLE_KSTACK_LOST);
	n = map_lookup_or_insert(&cpu_samples, &key, &(__u64){ 0 }, &created);
	if (!n) {
		audit_inc(AUDIT_SAMPLE_MAP_FULL);
		return 0;
	}
	__sync_fetch_and_add(n, 1);
	if (created && !bpf_map_lookup_elem(&procs, &tgid))
		remember_proc(tgid);
	return 0;
}

#endif /* BPFPROF_SAMPLES_BPF_H */
