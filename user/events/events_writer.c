// SPDX-License-Identifier: MIT
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "common/errmsg.h"
#include "events/events_writer.h"
#include "common/clock.h"

/* Records taken off the queue at once; their lines go out in one write(). */
#define BATCH 4096

struct events_writer {
	struct span_queue *q;
	struct rotating_jsonl *out;
	struct span_names *names;
	pthread_t thread;
	struct span_record *batch;
	char *line;
};

static void *writer_main(void *arg)
{
	struct events_writer *w = arg;
	uint64_t deadline = rjsonl_tick(w->out, clock_mono_ns());
	bool done = false;

	while (!done) {
		size_t n = span_queue_pop(w->q, w->batch, BATCH, deadline, &done);

		for (size_t i = 0; i < n; i++) {
			/* -U ...@N: a name the probes met since the last look. */
			if (span_names_missing(w->names, w->batch[i].stage))
				span_names_learn(w->names);
			rjsonl_append(w->out, w->line,
				      span_json_format(w->line, &w->batch[i], w->names));
		}
		rjsonl_flush(w->out);
		deadline = rjsonl_tick(w->out, clock_mono_ns());
	}
	return NULL;
}

struct events_writer *events_writer_start(struct span_queue *q, struct rotating_jsonl *out,
					  struct span_names *names, char *err, size_t errlen)
{
	struct events_writer *w = calloc(1, sizeof(*w));
	int rc;

	if (!w) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	w->q = q;
	w->out = out;
	w->names = names;
	w->batch = calloc(BATCH, sizeof(*w->batch));
	w->line = malloc(names->line_max);
	if (!w->batch || !w->line) {
		set_err(err, errlen, "out of memory");
		goto cleanup;
	}
	rc = pthread_create(&w->thread, NULL, writer_main, w);
	if (rc) {
		set_err(err, errlen, "cannot start the events writer thread: %s", strerror(rc));
		goto cleanup;
	}
	return w;
cleanup:
	free(w->batch);
	free(w->line);
	free(w);
	return NULL;
}

void events_writer_join(struct events_writer *w)
{
	if (!w)
		return;
	pthread_join(w->thread, NULL);
	free(w->batch);
	free(w->line);
	free(w);
}
