// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * USDT and marker stages: BEGIN pushes a frame, END pops the nearest open
 * frame of the same stage on the thread (the cookie is the stage id), so
 * pairs nest like function stages and share their accounting. Plain
 * uprobes on both sites: a probe site is not a function entry, so there is
 * no return to hook.
 */
#ifndef BPFPROF_USDT_BPF_H
#define BPFPROF_USDT_BPF_H

#include "stages.bpf.h"

SEC("uprobe")
int usdt_begin(struct pt_regs *ctx)
{
	struct stage_stack *stack;
	__u32 id;

	if (stage_probe_idle())
		return 0;
	stack = running_stage_stack(true, &id);
	if (stack)
		stage_push(stack, (__u32)bpf_get_attach_cookie(ctx), 0);
	else
		audit_inc(AUDIT_TASK_STATE_FAILED);
	return 0;
}

/* -U ...@N: sized by userspace (1 entry when no spec names stages). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct usdt_name_site);
} usdt_name_sites SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct usdt_name_spec);
} usdt_name_specs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	/* A size, not a type: userspace shortens the key. */
	__uint(key_size, sizeof(struct usdt_name_key));
	__type(value, __u32);
} usdt_names SEC(".maps");

/* The key being built: too big for the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct usdt_name_key);
} usdt_name_scratch SEC(".maps");

static __always_inline __u64 usdt_name_arg_ptr(struct pt_regs *ctx, const struct usdt_name_arg *a)
{
	__u64 v = 0;

	if (a->kind == USDT_NAME_ARG_CONST)
		return (__u64)a->val;
	/* The register's slot: pt_regs is kernel memory, at a variable offset. */
	if (bpf_probe_read_kernel(&v, sizeof(v), (void *)ctx + (a->reg_off & 0xff)))
		return 0;
	if (a->kind == USDT_NAME_ARG_DEREF &&
	    bpf_probe_read_user(&v, sizeof(v), (void *)(v + a->val)))
		return 0;
	return v;
}

/*
 * The stage id of this call's name: a known name's, the next free id of
 * the spec for a new one, or the spec's (other) past its cap. Two CPUs
 * meeting one new name at once both take an id; the insert that loses
 * (BPF_NOEXIST) uses the winner's, and its id stays unnamed and unused.
 */
static __always_inline __u32 usdt_name_stage(struct usdt_name_key *key, bool *other)
{
	struct usdt_name_spec *sp;
	__u32 *v, stage;
	__u64 n;

	v = bpf_map_lookup_elem(&usdt_names, key);
	sp = bpf_map_lookup_elem(&usdt_name_specs, &key->spec);
	if (!sp)
		return 0;
	if (v) {
		*other = *v == sp->other;
		return *v;
	}
	stage = sp->other;
	if (*(volatile __u64 *)&sp->next < sp->cap) {
		n = __sync_fetch_and_add(&sp->next, 1);
		if (n < sp->cap)
			stage = sp->other + 1 + (__u32)n;
	}
	if (bpf_map_update_elem(&usdt_names, key, &stage, BPF_NOEXIST)) {
		/* Another CPU won; or the map is full: a name userspace cannot
		 * learn is counted as (other), its id left unused. */
		v = bpf_map_lookup_elem(&usdt_names, key);
		stage = v ? *v : sp->other;
	} else if (stage == sp->other) {
		audit_inc(AUDIT_USDT_OTHER_NAMES);
	}
	*other = stage == sp->other;
	return stage;
}

/* -U ...@N: BEGIN reads its string arguments and pushes the frame of the
 * stage that names them (the cookie is the site, usdt_name_sites). */
SEC("uprobe")
int usdt_begin_named(struct pt_regs *ctx)
{
	__u32 site = (__u32)bpf_get_attach_cookie(ctx), zero = 0, id, stage;
	const struct usdt_name_site *s;
	struct usdt_name_key *key;
	struct stage_stack *stack;
	bool other = false;
	int idx;

	if (stage_probe_idle())
		return 0;
	s = bpf_map_lookup_elem(&usdt_name_sites, &site);
	key = bpf_map_lookup_elem(&usdt_name_scratch, &zero);
	if (!s || !key)
		return 0;
	key->spec = s->spec;
	key->pad = 0;
	/* Only the arguments read are in the key (its size is userspace's):
	 * zero those, so the bytes past each string are the same every time. */
	for (int i = 0; i < USDT_NAME_MAX_ARGS; i++) {
		__u64 p;

		if (i >= (int)s->nargs)
			break;
		__builtin_memset(key->text[i], 0, USDT_NAME_ARG_BYTES);
		p = usdt_name_arg_ptr(ctx, &s->args[i]);
		if (p)
			bpf_probe_read_user_str(key->text[i], USDT_NAME_ARG_BYTES, (void *)p);
	}
	stage = usdt_name_stage(key, &other);
	stack = running_stage_stack(true, &id);
	if (!stack) {
		audit_inc(AUDIT_TASK_STATE_FAILED);
		return 0;
	}
	idx = stage_push(stack, stage, 0);
	if (idx >= 0 && other && stack->counted)
		audit_inc(AUDIT_USDT_OTHER_CALLS);
	return 0;
}

/*
 * The innermost open frame of a stage in [@stage, @stage + @range): a
 * named spec's END closes whichever of its names BEGIN opened. A global function: the verifier
 * checks it once and its caller sees one unknown index, where an inlined
 * search would hand stage_pop() one state per depth (too many to verify).
 */
__noinline int usdt_open_frame(struct stage_stack *st, __u32 stage, __u32 range)
{
	if (!st)
		return -1;
	for (int i = STAGE_MAX_DEPTH - 1; i >= 0; i--)
		if (i < (int)st->depth && st->frames[i].stage - stage < range)
			return i;
	return -1;
}

SEC("uprobe")
int usdt_end(struct pt_regs *ctx)
{
	__u64 now = bpf_ktime_get_ns(), cookie = bpf_get_attach_cookie(ctx);
	__u32 id, stage = (__u32)cookie, range = (__u32)(cookie >> USDT_END_RANGE_SHIFT);
	struct stage_stack *stack;
	int idx;

	if (stage_probe_idle())
		return 0;
	stack = running_stage_stack(false, &id);
	if (!stack)
		return 0;
	drop_stale_frames(stack);
	idx = usdt_open_frame(stack, stage, range ?: 1);
	if (idx >= 0) {
		__u32 u = (__u32)idx;

		/* Opaque to clang, so the mask the verifier needs stays. */
		asm volatile("" : "+r"(u));
		u &= STAGE_MAX_DEPTH - 1;
		stage_pop(stack, now, stack->frames[u].stage, (int)u);
	} else if (stack->too_deep) {
		stack->too_deep--; /* its BEGIN was past the depth limit */
	} else {
		audit_inc(AUDIT_STAGE_ORPHAN_RETURN);
	}
	return 0;
}

/* -U PROVIDER:NAME: one more hit, counted as a call of zero duration in
 * the probe's stage slot (userspace writes it as PROC "usdt"). */
SEC("uprobe")
int usdt_hit(struct pt_regs *ctx)
{
	struct stage_frame f = {};

	if (stage_probe_idle())
		return 0;
	f.stage = (__u32)bpf_get_attach_cookie(ctx);
	stage_record(&f, 0, 0, false);
	return 0;
}

/* Only holds a semaphore up (see arm_runtime_semaphores()): its site runs
 * once, if ever. */
SEC("uprobe")
int usdt_arm(struct pt_regs *ctx)
{
	return 0;
}

#endif /* BPFPROF_USDT_BPF_H */
