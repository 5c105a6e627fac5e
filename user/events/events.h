/* SPDX-License-Identifier: MIT */
/*
 * --events, as the main loop sees it: every finished stage call becomes a
 * line of DIR/events.jsonl. The pipeline: the kernel's ring buffer, read by
 * the main thread (span_reader), a bounded queue that drops the newest
 * records when full (span_queue), and a writer thread (events_writer) into
 * a file that may rotate (rotating_jsonl). Nothing is lost silently: the
 * kernel's failed reserves, the queue's drops and failed writes are audit
 * counters in every flush record and the summary.
 */
#ifndef BPFPROF_EVENTS_H
#define BPFPROF_EVENTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include "collect/profile.h"
#include "output/records.h"
#include "output/rotating_jsonl.h"
#include "probes/stages.h"

#define EVENTS_FILE "events.jsonl"

struct events_config {
	size_t queue_records; /* the queue's capacity */
	size_t ring_bytes;    /* as the kernel sized it (for the summary) */
	struct rotate_policy rotate;
};

struct events;

struct output_files;

/* Creates DIR/events.jsonl through out (before anything is attached, so
 * that output_discard removes it if the run fails to start). NULL with err
 * set. */
struct events *events_open(struct output_files *out, const char *dir,
			   const struct events_config *cfg, const struct stage_table *stages,
			   char *err, size_t errlen);
/* Starts reading ring_fd (the `spans` map) and the writer thread. */
int events_start(struct events *ev, int ring_fd, char *err, size_t errlen);
/* For the main loop's poll set (POLLIN): then call events_service. -1 when
 * ev is NULL. */
/* -U ...@N: the usdt_names map, whose names span lines need; before
 * events_start(). */
void events_set_usdt_names(struct events *ev, int fd);
int events_fd(const struct events *ev);
void events_service(struct events *ev);
/* After the probes are detached: drains the ring, writes everything queued,
 * closes the files (and waits for their compression). */
void events_finish(struct events *ev);
/* Puts the userspace counters (dropped, not written, written) into a
 * snapshot's audit, so flush deltas and the summary carry them. */
void events_audit(struct events *ev, uint64_t audit[AUDIT_ALL_SLOTS]);
/* What the summary's "events" says; after events_finish. */
void events_describe(const struct events *ev, struct events_record *r);
/* One line of totals (from the run's audit) for stderr. */
void events_print(struct events *ev, FILE *f, const uint64_t audit[AUDIT_ALL_SLOTS]);
/* Output failures (writes, rotations, compressions). */
unsigned long events_failures(const struct events *ev);
/* A run that never started: stop the threads (output_discard removes the
 * file). */
void events_discard(struct events *ev);
void events_free(struct events *ev);

#endif
