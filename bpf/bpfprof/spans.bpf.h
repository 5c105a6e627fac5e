// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * Spans (--events): one ring-buffer record per finished stage call, with
 * its parent and the outermost open call as trace. stage_pop (stages.bpf.h)
 * calls it while the popped frames are still intact.
 */
#ifndef BPFPROF_SPANS_BPF_H
#define BPFPROF_SPANS_BPF_H

#include "state.bpf.h"
#include "wall.bpf.h"

static __always_inline __u32 span_cap32(__u64 v)
{
	return v > 0xffffffffULL ? 0xffffffffU : (__u32)v;
}

/* Called just after the pop: frame idx (the call) and the frames below it
 * (its open callers) are still intact, its wall split fitted into self. Only
 * a call that did I/O on several kinds of file sends its I/O by kind (304
 * bytes); any other's is its io_* totals or nothing (144 bytes). */
static __always_inline void stage_emit_span(struct stage_stack *st, int idx, __u64 dur, __u64 self)
{
	struct stage_frame *f = &st->frames[idx & (STAGE_MAX_DEPTH - 1)];
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct frame_wall *fw = &f->wall;
	struct span_record *r;
	__u64 flags = BPF_RB_NO_WAKEUP;
	__u32 kinds = 0;
	bool several;

	if (f->io_ops)
		for (int k = 0; k < IO_KIND_NR; k++)
			if (fw->io[k].ops)
				kinds |= 1U << k;
	several = kinds & (kinds - 1);
	if (several)
		r = bpf_ringbuf_reserve(&spans, sizeof(*r), 0);
	else
		r = bpf_ringbuf_reserve(&spans, SPAN_RECORD_SHORT, 0);
	if (!r) {
		audit_inc(AUDIT_SPAN_LOST);
		return;
	}
	r->span_id = f->span_id;
	r->parent_id = idx > 0 ? st->frames[(idx - 1) & (STAGE_MAX_DEPTH - 1)].span_id : 0;
	r->trace_id = st->frames[0].span_id;
	r->start_ns = f->start_ns;
	r->dur_ns = dur;
	r->io_ops = (__u32)f->io_ops;
	r->io_bytes_read = f->io_bytes_read;
	r->io_bytes_written = f->io_bytes_written;
	r->io_time_ns = f->io_time_ns;
	r->stage = f->stage;
	r->pid = pid_tgid >> 32;
	r->tid = (__u32)pid_tgid;
	r->on_cpu_ns = self - wall_frame_off(fw);
	r->runqueue_ns = fw->runqueue_ns;
	for (int k = 0; k < WALL_BLOCK_NR; k++)
		r->blocked_ns[k] = fw->blocked_ns[k];
	r->faults_minor = span_cap32(fw->faults_minor);
	r->faults_major = span_cap32(fw->faults_major);
	r->io_kinds = kinds;
	r->pad = 0;
	if (several)
		for (int k = 0; k < IO_KIND_NR; k++)
			r->io_kind[k] = fw->io[k];
	/* A wakeup per record would cost the target ~2 us: wake the reader
	 * only once enough has piled up (it also drains on a timer). */
	if (bpf_ringbuf_query(&spans, BPF_RB_AVAIL_DATA) >= span_wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(r, flags);
}

#endif /* BPFPROF_SPANS_BPF_H */
