/* SPDX-License-Identifier: MIT */
/*
 * --events: the bounded queue between the ring buffer reader (the main
 * thread) and the writer thread. When it is full the newest records are
 * dropped and counted: the reader never blocks, so the kernel's ring keeps
 * draining, and the records already queued are written in order.
 */
#ifndef BPFPROF_SPAN_QUEUE_H
#define BPFPROF_SPAN_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bpfprof.h"

struct span_queue;

/* Holds at most capacity records (>= 1). NULL on ENOMEM. */
struct span_queue *span_queue_new(size_t capacity);
void span_queue_free(struct span_queue *q);

/* Queues what fits of recs[0..n) and drops the rest (counted). Returns how
 * many were queued. After close, everything is dropped. */
size_t span_queue_push(struct span_queue *q, const struct span_record *recs, size_t n);

/*
 * Waits until records are queued, the queue is closed, or deadline_ns
 * (CLOCK_MONOTONIC; 0: no deadline) passes, then moves up to max of them to
 * out, oldest first. *done is set once the queue is closed and empty.
 */
size_t span_queue_pop(struct span_queue *q, struct span_record *out, size_t max,
		      uint64_t deadline_ns, bool *done);

/* No more pushes; the consumer still gets everything queued before. */
void span_queue_close(struct span_queue *q);

uint64_t span_queue_dropped(struct span_queue *q);
size_t span_queue_capacity(const struct span_queue *q);

#endif
