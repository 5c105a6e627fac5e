/* SPDX-License-Identifier: MIT */
/*
 * Inside `bpfprof report`'s loader: a JSON field or a JSONL line read with
 * its place (file, line, field) named in the one-line error.
 */
#ifndef BPFPROF_REPORT_READ_H
#define BPFPROF_REPORT_READ_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "report/report.h"

/* Where a value came from, for the error message. */
struct where {
	const char *file;
	long line;	  /* JSONL line, 0 for a JSON file */
	const char *what; /* "processes[2].io.read" */
	char *err;
	size_t errlen;
};

/* err set to "FILE:LINE: FIELD: message"; returns -1. */
__attribute__((format(printf, 2, 3))) int bad(const struct where *w, const char *fmt, ...);
/* A required unsigned integer (get_) or one that may be absent (opt_, 0). */
int get_u64(const struct where *w, json_t *obj, const char *key, uint64_t *out);
int opt_u64(const struct where *w, json_t *obj, const char *key, uint64_t *out);
int get_u64x(const struct where *w, json_t *obj, const char *key, __u64 *out);
int get_str(const struct where *w, json_t *obj, const char *key, const char **out);
/* A value of @type (absent: *out NULL, 0). */
int get_kind(const struct where *w, json_t *obj, const char *key, json_type type,
	     json_t **out);
/* A regular file, never through a symlink, never a FIFO: an fd or -1. */
int open_regular(const struct where *w, const char *path);

typedef int (*line_fn)(struct report *r, struct where *w, json_t *rec);
/* Each line of a JSONL file (plain or gzip'd) as JSON to @fn; lines past
 * report_line_limit are an error. @flushes: flushes.jsonl, whose torn last
 * line a run cut short leaves out (counted). 0 or -1 with @err set. */
int read_jsonl(struct report *r, const char *path, line_fn fn, bool flushes, char *err,
	       size_t errlen);

#endif
