// SPDX-License-Identifier: MIT
#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "common/errmsg.h"
#include "events/events.h"
#include "events/events_writer.h"
#include "output/output_files.h"
#include "events/span_json.h"
#include "events/span_queue.h"
#include "events/span_reader.h"

struct events {
	struct events_config cfg;
	int dirfd;
	struct span_names names;
	struct span_queue *q;
	struct rotating_jsonl *out;
	struct span_reader *reader;
	struct events_writer *writer;
	int64_t clock_offset_ns; /* CLOCK_REALTIME minus CLOCK_MONOTONIC */
	bool finished;
	unsigned long read_errors;
};

static int64_t clock_offset_ns(void)
{
	struct timespec m, r;

	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &r);
	return ((int64_t)r.tv_sec - m.tv_sec) * 1000000000LL + (r.tv_nsec - m.tv_nsec);
}

struct events *events_open(struct output_files *out, const char *dir,
			   const struct events_config *cfg, const struct stage_table *stages,
			   char *err, size_t errlen)
{
	struct events *ev = calloc(1, sizeof(*ev));
	int fd;

	if (!ev) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	ev->cfg = *cfg;
	/* The directory output_open checked, not the path again. */
	ev->dirfd = fcntl(output_dirfd(out), F_DUPFD_CLOEXEC, 0);
	if (ev->dirfd < 0) {
		set_err(err, errlen, "output directory '%s': %s", dir, strerror(errno));
		goto cleanup;
	}
	ev->q = span_queue_new(cfg->queue_records);
	if (!ev->q || span_names_init(&ev->names, stages)) {
		set_err(err, errlen, "out of memory");
		goto cleanup;
	}
	fd = output_create_file(out, EVENTS_FILE, err, errlen);
	if (fd < 0)
		goto cleanup;
	ev->out = rjsonl_open(ev->dirfd, dir, EVENTS_FILE, fd, &cfg->rotate, err, errlen);
	if (!ev->out)
		goto cleanup;
	return ev;
cleanup:
	events_free(ev);
	return NULL;
}

int events_start(struct events *ev, int ring_fd, char *err, size_t errlen)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	/* The size the kernel has (a power of two), for the summary. */
	if (!bpf_obj_get_info_by_fd(ring_fd, &info, &len))
		ev->cfg.ring_bytes = info.max_entries;
	ev->clock_offset_ns = clock_offset_ns();
	ev->reader = span_reader_new(ring_fd, ev->q, err, errlen);
	if (!ev->reader)
		return -1;
	ev->writer = events_writer_start(ev->q, ev->out, &ev->names, err, errlen);
	return ev->writer ? 0 : -1;
}

void events_set_usdt_names(struct events *ev, int fd)
{
	if (ev)
		ev->names.names_fd = fd;
}

int events_fd(const struct events *ev)
{
	return ev ? span_reader_fd(ev->reader) : -1;
}

void events_service(struct events *ev)
{
	int rc = span_reader_service(ev->reader);

	if (rc && !ev->read_errors++)
		fprintf(stderr, "bpfprof: reading span events: %s\n", strerror(-rc));
}

void events_finish(struct events *ev)
{
	if (!ev || ev->finished)
		return;
	ev->finished = true;
	/* The probes are gone: what the ring holds now is all there is. */
	if (ev->reader)
		events_service(ev);
	span_queue_close(ev->q);
	events_writer_join(ev->writer);
	ev->writer = NULL;
	rjsonl_close(ev->out);
}

void events_audit(struct events *ev, uint64_t audit[AUDIT_ALL_SLOTS])
{
	if (!ev)
		return;
	audit[AUDIT_SPAN_DROPPED] = span_queue_dropped(ev->q);
	audit[AUDIT_SPAN_UNWRITTEN] = rjsonl_lines_failed(ev->out);
	audit[AUDIT_SPAN_WRITTEN] = rjsonl_lines_written(ev->out);
}

void events_describe(const struct events *ev, struct events_record *r)
{
	*r = (struct events_record){
		.files = ev->out,
		.ring_bytes = ev->cfg.ring_bytes,
		.queue_records = ev->cfg.queue_records,
		.clock_offset_ns = ev->clock_offset_ns,
		.rotate = ev->cfg.rotate,
	};
}

void events_print(struct events *ev, FILE *f, const uint64_t audit[AUDIT_ALL_SLOTS])
{
	fprintf(f, "bpfprof: %lu span events written (%lu lost: ring full, %lu dropped: queue full",
		(unsigned long)audit[AUDIT_SPAN_WRITTEN], (unsigned long)audit[AUDIT_SPAN_LOST],
		(unsigned long)audit[AUDIT_SPAN_DROPPED]);
	if (audit[AUDIT_SPAN_UNWRITTEN])
		fprintf(f, ", %lu not written", (unsigned long)audit[AUDIT_SPAN_UNWRITTEN]);
	fprintf(f, ")\n");
}

unsigned long events_failures(const struct events *ev)
{
	return ev ? rjsonl_failures(ev->out) + ev->read_errors : 0;
}

void events_discard(struct events *ev)
{
	if (!ev)
		return;
	events_finish(ev);
}

void events_free(struct events *ev)
{
	if (!ev)
		return;
	if (ev->writer) {
		span_queue_close(ev->q);
		events_writer_join(ev->writer);
	}
	span_reader_free(ev->reader);
	rjsonl_free(ev->out);
	span_queue_free(ev->q);
	span_names_free(&ev->names);
	if (ev->dirfd >= 0)
		close(ev->dirfd);
	free(ev);
}
