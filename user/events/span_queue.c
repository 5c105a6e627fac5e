// SPDX-License-Identifier: MIT
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "events/span_queue.h"

struct span_queue {
	pthread_mutex_t lock;
	pthread_cond_t nonempty; /* waited on by the consumer only */
	struct span_record *v;
	size_t cap, head, len; /* records v[head..head+len) modulo cap */
	uint64_t dropped;
	bool closed;
};

struct span_queue *span_queue_new(size_t capacity)
{
	struct span_queue *q;
	pthread_condattr_t ca;

	if (!capacity)
		return NULL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->v = calloc(capacity, sizeof(*q->v));
	if (!q->v) {
		free(q);
		return NULL;
	}
	q->cap = capacity;
	pthread_mutex_init(&q->lock, NULL);
	/* Deadlines are CLOCK_MONOTONIC: the wall clock may jump. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->nonempty, &ca);
	pthread_condattr_destroy(&ca);
	return q;
}

void span_queue_free(struct span_queue *q)
{
	if (!q)
		return;
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->nonempty);
	free(q->v);
	free(q);
}

size_t span_queue_push(struct span_queue *q, const struct span_record *recs, size_t n)
{
	size_t room, take, tail, first;
	bool was_empty;

	pthread_mutex_lock(&q->lock);
	room = q->closed ? 0 : q->cap - q->len;
	take = n < room ? n : room;
	q->dropped += n - take;
	tail = (q->head + q->len) % q->cap;
	first = take < q->cap - tail ? take : q->cap - tail;
	if (take) {
		memcpy(q->v + tail, recs, first * sizeof(*recs));
		memcpy(q->v, recs + first, (take - first) * sizeof(*recs));
	}
	was_empty = !q->len;
	q->len += take;
	/* The consumer only sleeps on an empty queue. */
	if (was_empty && take)
		pthread_cond_signal(&q->nonempty);
	pthread_mutex_unlock(&q->lock);
	return take;
}

size_t span_queue_pop(struct span_queue *q, struct span_record *out, size_t max,
		      uint64_t deadline_ns, bool *done)
{
	struct timespec ts = {(time_t)(deadline_ns / 1000000000ULL),
			      (long)(deadline_ns % 1000000000ULL)};
	size_t take, first;

	pthread_mutex_lock(&q->lock);
	while (!q->len && !q->closed) {
		int rc = deadline_ns ? pthread_cond_timedwait(&q->nonempty, &q->lock, &ts)
				     : pthread_cond_wait(&q->nonempty, &q->lock);

		if (rc == ETIMEDOUT)
			break;
	}
	take = q->len < max ? q->len : max;
	first = take < q->cap - q->head ? take : q->cap - q->head;
	if (take) {
		memcpy(out, q->v + q->head, first * sizeof(*out));
		memcpy(out + first, q->v, (take - first) * sizeof(*out));
	}
	q->head = (q->head + take) % q->cap;
	q->len -= take;
	*done = q->closed && !q->len;
	pthread_mutex_unlock(&q->lock);
	return take;
}

void span_queue_close(struct span_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = true;
	pthread_cond_broadcast(&q->nonempty);
	pthread_mutex_unlock(&q->lock);
}

uint64_t span_queue_dropped(struct span_queue *q)
{
	uint64_t n;

	pthread_mutex_lock(&q->lock);
	n = q->dropped;
	pthread_mutex_unlock(&q->lock);
	return n;
}

size_t span_queue_capacity(const struct span_queue *q)
{
	return q->cap;
}
