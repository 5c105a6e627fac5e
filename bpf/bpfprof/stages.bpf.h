// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * Stages. Entry pushes a frame on the thread's stack; return pops it and
 * records the call: duration, self time (duration minus the callees'), the
 * I/O charged to it. A return that finds frames above its own means those
 * calls were left without returning (longjmp, exceptions): they are dropped
 * and counted, never mixed into the histograms.
 *
 * Finding the thread's stack is in stage_stack.bpf.h (sys_exit and
 * sched_switch need it too); the span a call emits is in spans.bpf.h.
 */
#ifndef BPFPROF_STAGES_BPF_H
#define BPFPROF_STAGES_BPF_H

#include "state.bpf.h"
#include "stage_stack.bpf.h"
#include "spans.bpf.h"
#include "probe_cost.bpf.h"
#include "wall.bpf.h"

/* Session uprobes (Linux 6.13): one program runs at entry and at return. */
extern __u64 *bpf_session_cookie(void) __ksym __weak;

/* Stages off; or --follow, which attaches for every process mapping the
 * binary, and this one is not traced. */
static __always_inline bool stage_probe_idle(void)
{
	/* bpfprof's calibration times its calls with the stages off too
	 * (--stages-off): its probes are on functions only it calls. */
	if (calibrating_thread())
		return false;
	return !stages_enabled ||
	       (follow && !traced_or_calibrating(bpf_get_current_pid_tgid() >> 32));
}

/* --sample N: the thread's calls 0, N, 2N, ... are recorded. */
static __always_inline bool sampled_out(struct stage_stack *st)
{
	__u32 tick;

	/* The probe-cost calibration times recorded calls. */
	if (stage_sample_every <= 1 || st->tid == calib_tid)
		return false;
	tick = st->sample_tick++;
	return tick % stage_sample_every != 0;
}

/* Returns the frame index, or -1 when the call is not recorded. flags:
 * the frame's FRAME_* (return_sites.bpf.h). */
static __always_inline int stage_push(struct stage_stack *st, __u32 stage, __u32 flags)
{
	struct stage_frame *f;
	__u32 d;

	drop_stale_frames(st);
	if (sampled_out(st)) {
		probe_clock_skipped(st, stage, flags);
		return -1;
	}
	d = st->depth;
	if (d >= STAGE_MAX_DEPTH) {
		/* An instant call has no return to come and find it missing. */
		if (!(flags & FRAME_INSTANT))
			st->too_deep++;
		audit_inc(AUDIT_STAGE_TOO_DEEP);
		return -1;
	}
	/* An outermost call decides for the calls it makes. bpfprof's own
	 * calibration thread times its calls before counting starts. */
	if (!d)
		st->counted = counting == COUNTING_ON || (calib_tid && st->tid == calib_tid);
	f = &st->frames[d & (STAGE_MAX_DEPTH - 1)];
	f->stage = stage;
	f->entry_pos = 0;
	f->site_flags = flags;
	f->mech = stage_mechanism(stage);
	f->child_ns = 0;
	f->io_ops = f->io_bytes_read = f->io_bytes_written = f->io_time_ns = 0;
	wall_frame_open(st, d, f); /* wall time, faults: wall.bpf.h */
	if (span_events)
		f->span_id = ((__u64)st->tid << 32) | ++st->span_seq;
	st->depth = d + 1;
	if (st->counted)
		audit_inc(AUDIT_STAGE_ENTRIES);
	f->start_ns = probe_clock_entry(st, f, d, bpf_ktime_get_ns());
	return (int)d;
}

static __always_inline void stage_record(struct stage_frame *f, __u64 dur, __u64 self, bool below)
{
	struct stage_key key = { .stage = f->stage };
	struct stage_stats *s;
	bool created = false;
	__u32 b;

	if (one_target && key.stage < stage_array_ids) {
		s = bpf_map_lookup_elem(&stage_counts, &key.stage);
	} else {
		key.tgid = bpf_get_current_pid_tgid() >> 32;
		s = map_lookup_or_insert(&stage_stats, &key, &zero_stage_stats, &created);
	}
	if (!s) {
		audit_inc(AUDIT_STAGE_MAP_FULL);
		return;
	}
	s->calls++;
	s->calls_clamped += below;
	s->total_ns += dur;
	s->self_ns += self;
	if (dur > s->max_ns)
		s->max_ns = dur;
	if (f->io_ops) {
		s->io_ops += f->io_ops;
		s->io_bytes_read += f->io_bytes_read;
		s->io_bytes_written += f->io_bytes_written;
		s->io_time_ns += f->io_time_ns;
	}
	wall_record(s, f, self); /* wall time, faults, I/O by kind: wall.bpf.h */
	b = hist_bucket(dur);
	if (b < HIST_BUCKETS)
		s->hist[b]++;
}

/* The frame for this return: `idx` when the entry told us (session), else
 * the nearest open frame of this stage. -1 when there is none. */
static __always_inline int stage_find_frame(struct stage_stack *st, __u32 stage, int idx)
{
	if (idx >= 0)
		return idx < (int)st->depth &&
				       st->frames[idx & (STAGE_MAX_DEPTH - 1)].stage == stage
			       ? idx
			       : -1;
	for (int i = STAGE_MAX_DEPTH - 1; i >= 0; i--)
		if (i < (int)st->depth && st->frames[i].stage == stage)
			return i;
	return -1;
}

/* `now`: taken by the caller first thing, before it looks for the stack. */
static __always_inline void stage_pop(struct stage_stack *st, __u64 now, __u32 stage, int idx)
{
	struct stage_frame *f;
	__u64 dur, self;
	bool below;

	drop_stale_frames(st);
	if (idx < 0 && st->too_deep) {
		/* Multi links: the innermost calls past the depth limit return first. */
		st->too_deep--;
		return;
	}
	idx = stage_find_frame(st, stage, idx);
	if (idx < 0) {
		audit_inc(AUDIT_STAGE_ORPHAN_RETURN);
		return;
	}
	if (st->depth > (__u32)idx + 1 && st->counted)
		audit_add(AUDIT_STAGE_UNFINISHED, st->depth - idx - 1);
	f = &st->frames[idx & (STAGE_MAX_DEPTH - 1)];
	wall_frame_close(st, f); /* faults: wall.bpf.h */
	dur = probe_clock_return(st, f, now, &below);
	self = dur > f->child_ns ? dur - f->child_ns : 0;
	st->depth = idx;
	if (idx > 0)
		st->frames[(idx - 1) & (STAGE_MAX_DEPTH - 1)].child_ns += dur;
	/* Entered before counting began: its callers, callees and I/O are
	 * not counted either. */
	if (!st->counted || (counting == COUNTING_OFF && st->tid != calib_tid))
		return;
	wall_frame_fit(f, self); /* wall.bpf.h */
	stage_record(f, dur, self, below);
	if (span_events && st->tid != calib_tid)
		stage_emit_span(st, idx, dur, self);
}

/*
 * The session cookie takes what the return needs from the entry: the stack
 * id, the stage and the frame index. The kernel zeroes the cookie before
 * the entry runs (Linux 6.13's handler_chain), and an entry that pushed a
 * frame leaves it nonzero (COOKIE_ENTERED): so the cookie alone tells entry
 * from return, without bpf_session_is_return.
 */
#define COOKIE_ENTERED (1ULL << 63)
#define COOKIE_FRAME_BITS 5
_Static_assert(1 << COOKIE_FRAME_BITS == STAGE_MAX_DEPTH, "frame index bits");
_Static_assert(STAGE_MAX_COUNT <= 1ULL << (32 - COOKIE_FRAME_BITS), "stage id bits");

/* Links are pid-filtered in the one-process modes: only there does every
 * return come from the thread whose entry made the cookie. A process forked
 * inside a stage call inherits the pending return, and its copy of the
 * cookie names its parent's stack. */
static __always_inline bool stack_is_mine(const struct stage_stack *stack)
{
	if (targ_tgid && !follow)
		return true;
	return stack->tid == (__u32)bpf_get_current_pid_tgid();
}

static __always_inline void stage_session_return(__u64 v)
{
	__u64 now = bpf_ktime_get_ns();
	__u32 id = (__u32)(v >> 32) & ~(__u32)(COOKIE_ENTERED >> 32);
	struct stage_stack *stack;

	if (id)
		stack = bpf_map_lookup_elem(&stage_stacks, &id);
	else
		stack = thread_stage_stack(false, &id);
	if (!stack || !stack_is_mine(stack)) {
		audit_inc(AUDIT_STAGE_ORPHAN_RETURN);
		return;
	}
	stage_pop(stack, now, (__u32)v >> COOKIE_FRAME_BITS, (int)(v & (STAGE_MAX_DEPTH - 1)));
}

SEC("uprobe")
int stage_session(struct pt_regs *ctx)
{
	struct stage_stack *stack;
	__u64 *cookie;
	__u32 stage, id;
	int idx;

	cookie = bpf_session_cookie();
	if (!cookie)
		return 1;
	if (*cookie) {
		/* A call entered while on is popped even if stages were turned
		 * off since: its frame is open. */
		stage_session_return(*cookie);
		return 0;
	}
	/* Off: return 1, so the return probe does not run either. */
	if (stage_probe_idle())
		return 1;
	stack = running_stage_stack(true, &id);
	if (!stack) {
		audit_inc(AUDIT_TASK_STATE_FAILED);
		return 1;
	}
	stage = (__u32)bpf_get_attach_cookie(ctx);
	idx = stage_push(stack, stage, FRAME_RETURN_PROBE);
	if (idx < 0)
		return 1; /* no frame: skip the return */
	/* Where it sits, for return-site stages on the same thread (a frame
	 * deeper than a later probe has ended). */
	stack->frames[idx & (STAGE_MAX_DEPTH - 1)].entry_pos = (__u64)0 - ctx->sp;
	*cookie = COOKIE_ENTERED | (__u64)id << 32 | stage << COOKIE_FRAME_BITS | (__u32)idx;
	return 0;
}

/* Without session links (before Linux 6.13) a return cannot tell whether
 * its entry ran: calls that span a toggle are dropped as orphans or left
 * open (both audited). */
SEC("uprobe")
int stage_entry(struct pt_regs *ctx)
{
	struct stage_stack *stack;
	__u32 id;
	int idx;

	if (stage_probe_idle())
		return 0;
	stack = running_stage_stack(true, &id);
	if (!stack) {
		audit_inc(AUDIT_TASK_STATE_FAILED);
		return 0;
	}
	idx = stage_push(stack, (__u32)bpf_get_attach_cookie(ctx), FRAME_RETURN_PROBE);
	/* Where it sits, as in stage_session. */
	if (idx >= 0)
		stack->frames[idx & (STAGE_MAX_DEPTH - 1)].entry_pos = (__u64)0 - ctx->sp;
	return 0;
}

SEC("uretprobe")
int stage_return(struct pt_regs *ctx)
{
	__u64 now = bpf_ktime_get_ns();
	struct stage_stack *stack;
	__u32 id;

	if (stage_probe_idle())
		return 0;
	stack = running_stage_stack(false, &id);
	if (stack)
		stage_pop(stack, now, (__u32)bpf_get_attach_cookie(ctx), -1);
	return 0;
}

#endif /* BPFPROF_STAGES_BPF_H */
