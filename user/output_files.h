/* SPDX-License-Identifier: MIT */
/*
 * The output directory: flushes.jsonl, appended a line per interval, and
 * summary.json, written once at the end through a temp file and rename so a
 * reader never sees half of it.
 */
#ifndef BPFPROF_OUTPUT_FILES_H
#define BPFPROF_OUTPUT_FILES_H

#include <jansson.h>
#include <stdbool.h>

struct output_files;

/* Creates dir (and parents) if missing and opens flushes.jsonl. On failure
 * returns NULL with a one-line reason in err, having created no file. */
struct output_files *output_open(const char *dir, char *err, size_t errlen);
/* One compact JSON line, flushed to the file. Write errors are counted,
 * reported once on stderr, and the run goes on. */
int output_write_flush(struct output_files *o, json_t *record);
int output_write_summary(struct output_files *o, json_t *summary);
/* Lines that could not be written (ENOSPC, EIO, ...). */
unsigned long output_write_failures(const struct output_files *o);
void output_close(struct output_files *o);
/* Removes what output_open created (for a run that never started). */
void output_discard(struct output_files *o);

/* Flags for json_dumpf/json_dumps shared by every JSON bpfprof writes. */
#define JSON_OUT_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(16))

#endif
