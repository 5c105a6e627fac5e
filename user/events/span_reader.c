// SPDX-License-Identifier: MIT
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "common/errmsg.h"
#include "events/span_reader.h"

/* Records handed to the queue at once: one lock per batch, not per record. */
#define BATCH 256

struct span_reader {
	struct ring_buffer *rb;
	struct span_queue *q;
	int epfd, timerfd;
	struct span_record batch[BATCH];
	size_t n;
	uint64_t received;
};

/* A short record (no I/O, or I/O on one kind of file): its I/O by kind
 * from the totals. */
static void span_fill_kinds(struct span_record *rec)
{
	memset(rec->io_kind, 0, sizeof(rec->io_kind));
	for (unsigned int k = 0; k < IO_KIND_NR; k++)
		if (rec->io_kinds == 1U << k)
			rec->io_kind[k] = (struct kind_io){
				.ops = rec->io_ops,
				.bytes_read = rec->io_bytes_read,
				.bytes_written = rec->io_bytes_written,
				.time_ns = rec->io_time_ns,
			};
}

static void push_batch(struct span_reader *r)
{
	span_queue_push(r->q, r->batch, r->n);
	r->n = 0;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct span_reader *r = ctx;

	struct span_record *rec = &r->batch[r->n];

	if (size < SPAN_RECORD_SHORT)
		return 0;
	if (size > sizeof(*rec))
		size = sizeof(*rec);
	memcpy(rec, data, size);
	if (size < sizeof(*rec))
		span_fill_kinds(rec);
	r->n++;
	r->received++;
	if (r->n == BATCH)
		push_batch(r);
	return 0;
}

struct span_reader *span_reader_new(int ring_fd, struct span_queue *q, char *err, size_t errlen)
{
	struct itimerspec its = {
		.it_value = {0, SPAN_DRAIN_INTERVAL_MS * 1000000L},
		.it_interval = {0, SPAN_DRAIN_INTERVAL_MS * 1000000L},
	};
	struct epoll_event ev = {.events = EPOLLIN};
	struct span_reader *r = calloc(1, sizeof(*r));

	if (!r) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	r->q = q;
	r->epfd = r->timerfd = -1;
	r->rb = ring_buffer__new(ring_fd, on_record, r, NULL);
	if (!r->rb) {
		set_err(err, errlen, "cannot read the span ring buffer: %s", strerror(errno));
		goto fail;
	}
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	r->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (r->epfd < 0 || r->timerfd < 0 || timerfd_settime(r->timerfd, 0, &its, NULL) ||
	    epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->timerfd, &ev) ||
	    epoll_ctl(r->epfd, EPOLL_CTL_ADD, ring_buffer__epoll_fd(r->rb), &ev)) {
		set_err(err, errlen, "span reader: %s", strerror(errno));
		goto fail;
	}
	return r;
fail:
	span_reader_free(r);
	return NULL;
}

int span_reader_fd(const struct span_reader *r)
{
	return r ? r->epfd : -1;
}

int span_reader_service(struct span_reader *r)
{
	struct epoll_event evs[2];
	uint64_t expirations;
	int rc;

	/* Clear what woke us: the timer, and the ring's epoll readiness. */
	while (epoll_wait(r->epfd, evs, 2, 0) < 0 && errno == EINTR)
		;
	if (read(r->timerfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		return -errno;
	rc = ring_buffer__consume(r->rb);
	push_batch(r);
	return rc < 0 ? rc : 0;
}

uint64_t span_reader_received(const struct span_reader *r)
{
	return r ? r->received : 0;
}

void span_reader_free(struct span_reader *r)
{
	if (!r)
		return;
	ring_buffer__free(r->rb);
	if (r->epfd >= 0)
		close(r->epfd);
	if (r->timerfd >= 0)
		close(r->timerfd);
	free(r);
}
