/* SPDX-License-Identifier: MIT */
/*
 * --events: the thread that takes span records off the queue, turns them
 * into JSON lines and writes them, a batch per write(), into the rotating
 * events file. Writing never holds up the ring buffer reader.
 */
#ifndef BPFPROF_EVENTS_WRITER_H
#define BPFPROF_EVENTS_WRITER_H

#include "output/rotating_jsonl.h"
#include "events/span_json.h"
#include "events/span_queue.h"

struct events_writer;

/* Starts the thread. q, out and names must outlive it. NULL with err set. */
struct events_writer *events_writer_start(struct span_queue *q, struct rotating_jsonl *out,
					  struct span_names *names, char *err, size_t errlen);
/* Call after span_queue_close: returns once everything queued is written. */
void events_writer_join(struct events_writer *w);

#endif
