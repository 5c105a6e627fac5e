// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * The probe-cost correction (user/cost/time_correction.h): stage durations
 * without what the probes cost. A stage call's probes cost it time before
 * and after each of its two timestamps (entry, return), calibrated per
 * probe mechanism by userspace into probe_costs (all 0 with --raw-times).
 * The thread's probe_clock adds up what was paid since its outermost open
 * call began, so a timestamp minus probe_clock reads a clock the probes did
 * not run on: a duration on it holds neither the call's own probes nor
 * those of the calls made inside it, and spans stay nested on it.
 *
 * Also calib_tgid and calib_tid (state.bpf.h): bpfprof itself while it times
 * its own calls for that calibration, whose stage calls are then recorded
 * like the target's (every one, even with --sample).
 */
#ifndef BPFPROF_PROBE_COST_BPF_H
#define BPFPROF_PROBE_COST_BPF_H

#include "state.bpf.h"

volatile struct probe_cost probe_costs[PROBE_MECH_MAX];

/* Each stage's mechanism (an index into probe_costs); sized by userspace. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} stage_mech SEC(".maps");

static __always_inline bool traced_or_calibrating(__u32 tgid)
{
	return traced(tgid) || tgid == calib_tgid;
}

static __always_inline __u32 stage_mechanism(__u32 stage)
{
	__u32 *m = bpf_map_lookup_elem(&stage_mech, &stage);

	return m ? *m & (PROBE_MECH_MAX - 1) : 0;
}

/* A timestamp's two parts, in one load (bpfprof.h). */
static __always_inline struct probe_cost_pair probe_cost_read(const volatile __u64 *word)
{
	union {
		__u64 word;
		struct probe_cost_pair pair;
	} v = { .word = *word };

	return v.pair;
}

/*
 * A timestamp on the corrected clock, which never runs backwards: the
 * calibrated costs are typical ones, and where a call paid less than that
 * between two timestamps, only what did elapse is taken off. A return is
 * at least 1 ns past the timestamp before it, so every call lasts at least
 * 1 ns and a span always lies within its caller's. Returns what it had to
 * hold back (0: nothing).
 */
static __always_inline __u64 probe_clock_read(struct stage_stack *st, __u64 now, __u32 before,
					      __u32 after, __u64 least, __u64 *t)
{
	__u64 held = 0;

	st->probe_clock += before;
	*t = now - st->probe_clock;
	if ((__s64)(*t - least) < 0) {
		held = least - *t;
		st->probe_clock -= held;
		*t = least;
	}
	st->probe_clock_last = *t;
	st->probe_clock += after;
	return held;
}

/*
 * The entry's timestamp on the corrected clock; d: the frames below it.
 * Only the sums of the four parts are calibrated, and the split is even:
 * where a return costs most after its timestamp (a ret site the kernel
 * single-steps, ~10 us), the entry's half of it is more than elapses
 * before the entry's timestamp. What that held back is paid after the
 * call's return instead, so its callers lose none of it.
 */
static __always_inline __u64 probe_clock_entry(struct stage_stack *st, struct stage_frame *f,
					       __u32 d, __u64 now)
{
	const volatile struct probe_cost *c = &probe_costs[f->mech & (PROBE_MECH_MAX - 1)];
	struct probe_cost_pair p = probe_cost_read(&c->entry_word);
	bool instant = f->site_flags & FRAME_INSTANT;
	__u64 t, held;

	/* A new outermost call: a clock of its own. */
	if (!d)
		st->probe_clock = st->probe_clock_last = 0;
	/* An instant call's one probe costs about what a call of its
	 * mechanism pays between its two timestamps: one probe's trap and
	 * kernel work (the entry's emulation or single step, then the
	 * return's trap) and programs. All of it is its callers'; half
	 * before this timestamp, half at its return's. */
	held = probe_clock_read(st, now, instant ? p.after : p.before, instant ? 0 : p.after,
				st->probe_clock_last, &t);
	f->held_ns = held > 0xffffffffULL ? 0xffffffffU : (__u32)held;
	return t;
}

/* The call's duration on that clock. *below: the correction would have
 * taken it below what elapsed since its entry (or below 1 ns), and the
 * clamp held it there: the function itself is below the probes'
 * resolution. A clamp of only the stretch since the last callee's return
 * (a caller that returns right after it) says nothing of the function: it
 * is held, and not counted. */
static __always_inline __u64 probe_clock_return(struct stage_stack *st, const struct stage_frame *f,
						__u64 now, bool *below)
{
	const volatile struct probe_cost *c = &probe_costs[f->mech & (PROBE_MECH_MAX - 1)];
	struct probe_cost_pair p = probe_cost_read(&c->ret_word);
	bool whole = st->probe_clock_last == f->start_ns;
	__u64 end;

	*below = false;
	if (f->site_flags & FRAME_INSTANT) {
		/* It took the ~0 of one instruction: 1 ns, as the least call,
		 * and no clamp (nothing was held). */
		st->probe_clock_last = f->start_ns + 1;
		st->probe_clock += p.before + f->held_ns;
		return 1;
	}
	if (probe_clock_read(st, now, p.before, p.after, st->probe_clock_last + 1, &end) && whole) {
		audit_inc(AUDIT_STAGE_CLAMPED);
		*below = true;
	}
	st->probe_clock += f->held_ns;
	return end - f->start_ns;
}

/* --sample: a call seen and not recorded still costs its callers time
 * (an instant one, its one probe: as above). */
static __always_inline void probe_clock_skipped(struct stage_stack *st, __u32 stage, __u32 flags)
{
	const volatile struct probe_cost *c = &probe_costs[stage_mechanism(stage)];

	if (!st->depth)
		return;
	if (flags & FRAME_INSTANT)
		st->probe_clock += c->entry.after + c->ret.before;
	else
		st->probe_clock += c->skipped;
}

#endif /* BPFPROF_PROBE_COST_BPF_H */
