/* SPDX-License-Identifier: MIT */
/*
 * --events: reads span records from the kernel's `spans` ring buffer into
 * the span queue. The BPF side wakes the reader only once a quarter of the
 * ring is used, so the reader also drains on a short timer: one fd, for the
 * main loop's poll set, is readable on either.
 */
#ifndef BPFPROF_SPAN_READER_H
#define BPFPROF_SPAN_READER_H

#include <stdint.h>
#include "events/span_queue.h"

/* How often the ring is drained when no wakeup comes. */
#define SPAN_DRAIN_INTERVAL_MS 50

struct span_reader;

/* ring_fd: the BPF_MAP_TYPE_RINGBUF map. NULL with err set. */
struct span_reader *span_reader_new(int ring_fd, struct span_queue *q, char *err, size_t errlen);
/* Poll it for POLLIN, then call span_reader_service. */
int span_reader_fd(const struct span_reader *r);
/* Moves every record the ring holds into the queue. 0, or -errno. */
int span_reader_service(struct span_reader *r);
/* Records read from the ring (queued or dropped). */
uint64_t span_reader_received(const struct span_reader *r);
void span_reader_free(struct span_reader *r);

#endif
