/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * Return-site stages: plain uprobes at a function's entry and at each of its
 * rets and jumps out, so nothing on the target's stack is changed (a
 * uretprobe swaps the return address for a trampoline that C++ and Rust
 * unwinders and Go's stack walks cannot pass).
 *
 * Each frame keeps where it sits on its stack (entry_pos, larger is deeper:
 * -sp on a thread stack, stack.hi - sp on a goroutine stack, which stays
 * the same when Go copies the stack elsewhere to grow it). A ret or jump
 * out sees the stack pointer its entry saw, which ties it to its frame
 * exactly; any frame deeper than a probe's position has ended without
 * returning (exception, panic, longjmp) and is closed as unfinished.
 */
#ifndef BPFPROF_RETURN_SITES_BPF_H
#define BPFPROF_RETURN_SITES_BPF_H

#include "state.bpf.h"
#include "stage_stack.bpf.h"
#include "go_stack.bpf.h"
#include "stages.bpf.h"

/* Bits 32-39 of a return site's cookie: its jcc condition + 1 (0: always);
 * bit 40: the site is in a function this one tail-calls, which other
 * callers run too, so finding no frame there is normal. */
#define SITE_COND_SHIFT 32
#define SITE_BORROWED (1ULL << 40)
/* Bit 41: a direct tail call. It does not end the call: the function
 * jumped to takes over the frame, at the same position, and its ways out
 * (borrowed) end both. */
#define SITE_HANDOFF (1ULL << 41)
/* Bit 42: a jump through a register or memory, described in jump_sites
 * at the index in bits 44-63; it leaves only when it lands outside the
 * function. */
#define SITE_INDIRECT (1ULL << 42)
/* Bit 43, on an entry probe's cookie: the entry's instruction is also a
 * way out of the function, described by the bits above (a function that
 * is one ret or one jump; or its probe moved onto one). Two probes there
 * would run in no known order: this one enters and leaves. */
#define SITE_AT_ENTRY (1ULL << 43)
#define SITE_JUMP_SHIFT 44
/* Frames of one tail-call chain share a position; a ret there ends at
 * most this many of them (deeper chains are closed as unfinished). */
#define TAIL_CHAIN_MAX 4

/* stage_frame.site_flags: the call has just tail-called; the next entry
 * at its position is that callee, not a sign the frame is gone. */
#define FRAME_HANDED_OFF 1

/* The last return site that ended frames on this CPU: another stage's
 * cookie on the same instruction then finds them gone, which is no orphan. */
struct site_pop_note {
	__u64 ip;
	__u64 pos;
	__u32 tid;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct site_pop_note);
} site_pop_notes SEC(".maps");
/* Go's goroutine stacks are at most 1 GB: a larger hi - sp is not a g. */
#define GO_MAX_STACK (1ULL << 30)
/* runtime.g starts with stack.lo, stack.hi. */
#define GO_G_STACK_HI 8

static const struct stage_stack empty_go_stack;

/* x86 condition code cc (0-15) against EFLAGS: whether the jcc jumps. */
static __always_inline bool jcc_taken(__u64 fl, __u32 cc)
{
	bool cf = fl & 0x1, pf = fl & 0x4, zf = fl & 0x40, sf = fl & 0x80, of = fl & 0x800;
	bool t;

	switch (cc >> 1) {
	case 0:
		t = of;
		break;
	case 1:
		t = cf;
		break;
	case 2:
		t = zf;
		break;
	case 3:
		t = cf || zf;
		break;
	case 4:
		t = sf;
		break;
	case 5:
		t = pf;
		break;
	case 6:
		t = sf != of;
		break;
	default:
		t = zf || sf != of;
		break;
	}
	return cc & 1 ? !t : t;
}

/* A probe on a Go function's stack-growth check (its jbe, which the kernel
 * emulates; its condition + 1 in the cookie's bits 32-39, 0: not on a
 * check): the jump is taken, so morestack runs and the function starts
 * again, reaching the probe once more. The probe does nothing this time. */
static __always_inline bool go_check_restarts(struct pt_regs *ctx, __u64 cookie)
{
	__u32 cond = (__u32)(cookie >> SITE_COND_SHIFT) & 0xff;

	/* At a way out the condition is the way out's. */
	return cond && !(cookie & SITE_AT_ENTRY) && jcc_taken(ctx->flags, cond - 1);
}

/* Userspace fills it when it attaches (user/probes/stages.c). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, JUMP_SITES_MAX);
	__type(key, __u32);
	__type(value, struct jump_site);
} jump_sites SEC(".maps");

/* Where a jump through a register or memory goes, against its function's
 * stretches: outside, it is a tail call. Not known (no description, an
 * unreadable pointer): it stays, as before, a call a later probe closes.
 * A function of its own, so that its registers' copy leaves the stack
 * before the rest is verified (inlined, the programs pass the verifier's
 * limit). */
static __noinline bool jump_leaves(struct pt_regs *ctx, __u64 cookie)
{
	__u32 key = (__u32)(cookie >> SITE_JUMP_SHIFT);
	struct jump_site *j = bpf_map_lookup_elem(&jump_sites, &key);
	__u64 regs[sizeof(struct pt_regs) / 8], to = 0;
	__s64 d;

	if (!j || bpf_probe_read_kernel(regs, sizeof(regs), ctx))
		return false;
	if (j->base)
		to = regs[(j->base - 1) & 15];
	if (j->index)
		to += regs[(j->index - 1) & 15] * j->scale;
	to += (__s64)j->disp;
	if (j->mem && bpf_probe_read_user(&to, sizeof(to), (void *)to))
		return false;
	d = (__s64)(to - ctx->ip);
	if (d >= j->body_lo && d < j->body_hi)
		return false;
	return !(d >= j->cold_lo && d < j->cold_hi);
}

/* A conditional jump out leaves only when taken; one through a register
 * or memory only when it lands outside the function. */
static __always_inline bool site_leaves(struct pt_regs *ctx, __u64 cookie)
{
	__u32 cond = (__u32)(cookie >> SITE_COND_SHIFT) & 0xff;

	if (cookie & SITE_INDIRECT)
		return jump_leaves(ctx, cookie);
	return !cond || jcc_taken(ctx->flags, cond - 1);
}

/*
 * Close as unfinished the open frames a probe at pos proves gone: those
 * deeper than pos, and at an entry those at pos too (the new call reuses
 * their return address's slot). Return-probe frames have their position
 * too: one left by a longjmp is closed here as well.
 */
static __always_inline void sweep_dead_frames(struct stage_stack *st, __u64 pos, bool at_entry,
					      __u32 go)
{
	__u32 dead = 0;

	for (int i = 0; i < STAGE_MAX_DEPTH; i++) {
		__u32 d = st->depth;
		struct stage_frame *f;

		if (!d)
			break;
		f = &st->frames[(d - 1) & (STAGE_MAX_DEPTH - 1)];
		if (f->entry_pos < pos || (!at_entry && f->entry_pos == pos))
			break;
		if (at_entry && f->entry_pos == pos && (f->site_flags & FRAME_HANDED_OFF)) {
			/* The function it tail-called is entering now. */
			f->site_flags &= ~FRAME_HANDED_OFF;
			break;
		}
		/* Its return probe says when it ends: at the same position this
		 * may be its tail call. */
		if (at_entry && f->entry_pos == pos && (f->site_flags & FRAME_RETURN_PROBE))
			break;
		st->depth = d - 1;
		dead++;
	}
	if (dead && st->counted)
		audit_add(AUDIT_STAGE_UNFINISHED | UNFINISHED_POPPED | go, dead);
}

/*
 * An entry: flags 0, or at an entry that is also a way out (entry_leaves),
 * FRAME_HANDED_OFF (a tail call: the function jumped to takes the new
 * frame over at once) or FRAME_INSTANT (the call ends here too).
 */
static __always_inline void site_push(struct stage_stack *st, __u32 stage, __u64 pos, bool go,
				      __u32 flags)
{
	__u32 d;
	int idx;

	drop_stale_frames_of(st, go ? UNFINISHED_GO : 0);
	d = st->depth;
	/* Go: morestack copies the stack and jumps back to the function's
	 * first instruction. An entry probe on the check's jump ignores the
	 * taken jump (go_check_restarts), one after the check never sees it;
	 * one before it (none today) would enter the same call twice at the
	 * same position. */
	if (go && d && st->frames[(d - 1) & (STAGE_MAX_DEPTH - 1)].stage == stage &&
	    st->frames[(d - 1) & (STAGE_MAX_DEPTH - 1)].entry_pos == pos)
		return;
	sweep_dead_frames(st, pos, true, go ? UNFINISHED_GO : 0);
	idx = stage_push(st, stage, flags);
	if (idx < 0)
		return;
	st->frames[idx & (STAGE_MAX_DEPTH - 1)].entry_pos = pos;
	if (flags & FRAME_INSTANT)
		stage_pop(st, 0, stage, idx & (STAGE_MAX_DEPTH - 1));
}

/* The frame flags of an entry probe (site_push): whether its instruction
 * leaves the function this time, and how. */
static __always_inline __u32 entry_leaves(struct pt_regs *ctx, __u64 cookie)
{
	if (!(cookie & SITE_AT_ENTRY) || !site_leaves(ctx, cookie))
		return 0;
	return cookie & SITE_HANDOFF ? FRAME_HANDED_OFF : FRAME_INSTANT;
}

/* The open frame of @stage at @pos among the top TAIL_CHAIN_MAX (a tail
 * chain shares its position); -1 when there is none. */
static __always_inline int chain_frame(struct stage_stack *st, __u32 stage, __u64 pos)
{
	__u32 d = st->depth;

	for (int i = 1; i <= TAIL_CHAIN_MAX; i++) {
		struct stage_frame *f;

		if (d < (__u32)i)
			break;
		f = &st->frames[(d - i) & (STAGE_MAX_DEPTH - 1)];
		if (f->entry_pos != pos)
			break;
		if (f->stage == stage)
			return (int)(d - i);
	}
	return -1;
}

static __always_inline void site_handoff(struct stage_stack *st, __u32 stage, __u64 pos, __u32 go)
{
	int idx;

	drop_stale_frames_of(st, go);
	sweep_dead_frames(st, pos, false, go);
	idx = chain_frame(st, stage, pos);
	if (idx >= 0)
		st->frames[idx & (STAGE_MAX_DEPTH - 1)].site_flags |= FRAME_HANDED_OFF;
}

static __always_inline void site_pop(struct stage_stack *st, __u64 now, __u64 cookie, __u64 pos,
				     __u64 ip, __u32 go)
{
	__u32 stage = (__u32)cookie, tid = (__u32)bpf_get_current_pid_tgid();
	struct site_pop_note *note;
	int idx;

	drop_stale_frames_of(st, go);
	sweep_dead_frames(st, pos, false, go);
	idx = chain_frame(st, stage, pos);
	note = bpf_map_lookup_elem(&site_pop_notes, &(__u32){ 0 });
	if (idx >= 0) {
		/* It ends, and so do the functions it tail-called, above it
		 * at the same position: this ret is theirs too. */
		for (int i = 0; i < TAIL_CHAIN_MAX; i++) {
			__u32 d = st->depth;
			struct stage_frame *f;

			if ((int)d <= idx)
				break;
			f = &st->frames[(d - 1) & (STAGE_MAX_DEPTH - 1)];
			/* d - 1 is 0..31 (the depth never passes the limit): said
			 * so, the verifier skips stage_pop's search for the frame,
			 * which it otherwise walks for each of the chain's pops. */
			stage_pop(st, now, f->stage, (int)((d - 1) & (STAGE_MAX_DEPTH - 1)));
		}
		if (note) {
			note->ip = ip;
			note->pos = pos;
			note->tid = tid;
		}
		return;
	}
	if (cookie & SITE_BORROWED)
		return;
	if (note && note->ip == ip && note->pos == pos && note->tid == tid)
		return; /* ended by another stage's probe on this instruction */
	/* Its own call is open below pos: the stack still holds its frame, so
	 * this jump stays in the function (to its .cold part, which a stripped
	 * binary does not name) and ends nothing. */
	if (st->depth &&
	    st->frames[(st->depth - 1) & (STAGE_MAX_DEPTH - 1)].stage == stage &&
	    st->frames[(st->depth - 1) & (STAGE_MAX_DEPTH - 1)].entry_pos < pos)
		return;
	/* No frame: too deep or sampled out (not recorded), or entered
	 * before the probes were attached. */
	if (st->too_deep) {
		st->too_deep--;
		return;
	}
	if (stage_sample_every <= 1)
		audit_inc(AUDIT_STAGE_ORPHAN_RETURN);
}

/* A return site: a handoff (tail call) or a way out. go: UNFINISHED_GO
 * on a goroutine's stack, else 0. */
static __always_inline void site_hit(struct stage_stack *st, __u64 now, __u64 cookie, __u64 pos,
				     __u64 ip, __u32 go)
{
	if (cookie & SITE_HANDOFF)
		site_handoff(st, (__u32)cookie, pos, go);
	else
		site_pop(st, now, cookie, pos, ip, go);
}

static __always_inline __u64 thread_pos(struct pt_regs *ctx)
{
	return (__u64)0 - ctx->sp;
}

SEC("uprobe")
int stage_site_entry(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	struct stage_stack *stack;
	__u32 id;

	if (stage_probe_idle())
		return 0;
	stack = running_stage_stack(true, &id);
	if (!stack) {
		audit_inc(AUDIT_TASK_STATE_FAILED);
		return 0;
	}
	site_push(stack, (__u32)cookie, thread_pos(ctx), false, entry_leaves(ctx, cookie));
	return 0;
}

SEC("uprobe")
int stage_site_return(struct pt_regs *ctx)
{
	__u64 now = bpf_ktime_get_ns(), cookie = bpf_get_attach_cookie(ctx);
	struct stage_stack *stack;
	__u32 id;

	if (!site_leaves(ctx, cookie) || stage_probe_idle())
		return 0;
	stack = running_stage_stack(false, &id);
	if (stack)
		site_hit(stack, now, cookie, thread_pos(ctx), ctx->ip, 0);
	return 0;
}

/* The running goroutine's stack of open calls and this probe's position
 * on it; NULL when r14 holds no g (code outside Go's register ABI). */
static __always_inline struct stage_stack *go_stage_stack(struct pt_regs *ctx, bool create,
							  __u64 *pos)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid(), hi = 0;
	struct go_stack_key key = { .tgid = pid_tgid >> 32, .g = ctx->r14 };
	struct stage_stack *st;

	if (!key.g || bpf_probe_read_user(&hi, sizeof(hi), (void *)(key.g + GO_G_STACK_HI)))
		return NULL;
	*pos = hi - ctx->sp;
	if (hi < ctx->sp || *pos > GO_MAX_STACK)
		return NULL;
	st = bpf_map_lookup_elem(&go_stacks, &key);
	if (st || !create)
		return st;
	if (bpf_map_update_elem(&go_stacks, &key, &empty_go_stack, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&go_stacks, &key))
		return NULL;
	st = bpf_map_lookup_elem(&go_stacks, &key);
	if (st) {
		st->tid = (__u32)pid_tgid;
		st->gen = stage_gen;
	}
	return st;
}

SEC("uprobe")
int stage_go_entry(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx), pos;
	struct stage_stack *stack;

	if (go_check_restarts(ctx, cookie) || stage_probe_idle())
		return 0;
	stack = go_stage_stack(ctx, true, &pos);
	if (!stack) {
		audit_inc(AUDIT_TASK_STATE_FAILED);
		return 0;
	}
	site_push(stack, (__u32)cookie, pos, true, entry_leaves(ctx, cookie));
	return 0;
}

SEC("uprobe")
int stage_go_return(struct pt_regs *ctx)
{
	__u64 now = bpf_ktime_get_ns(), cookie = bpf_get_attach_cookie(ctx), pos;
	struct stage_stack *stack;

	if (!site_leaves(ctx, cookie) || stage_probe_idle())
		return 0;
	stack = go_stage_stack(ctx, false, &pos);
	if (stack)
		site_hit(stack, now, cookie, pos, ctx->ip, UNFINISHED_GO);
	return 0;
}

/*
 * runtime.goexit0(gp) frees a goroutine that ended (returned from its
 * function, or runtime.Goexit); gp is in rax (Go's register ABI; mcall
 * passes the old g). Calls it left open never return: unfinished. Its
 * stack entry goes, so the next goroutine to reuse the g starts empty.
 */
SEC("uprobe")
int stage_go_exit(struct pt_regs *ctx)
{
	struct go_stack_key key = { .tgid = bpf_get_current_pid_tgid() >> 32, .g = ctx->ax };
	struct stage_stack *st = bpf_map_lookup_elem(&go_stacks, &key);

	if (!st)
		return 0;
	drop_stale_frames_of(st, UNFINISHED_GO_EXIT);
	if (st->depth && st->counted)
		audit_add(AUDIT_STAGE_UNFINISHED | UNFINISHED_GO_EXIT, st->depth);
	st->depth = 0;
	bpf_map_delete_elem(&go_stacks, &key);
	return 0;
}

#endif /* BPFPROF_RETURN_SITES_BPF_H */
