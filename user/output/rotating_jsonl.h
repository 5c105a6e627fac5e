/* SPDX-License-Identifier: MIT */
/*
 * A JSONL file in the output directory that rotates by size and/or age:
 * NAME is always the newest; rotated files are NAME.1, NAME.2, ... in the
 * order they were written (NAME.1 the oldest), NAME.N.gz once compressed
 * with --rotate-gzip. Rotation happens between lines only, and a line is
 * written whole or not at all, so every file is complete JSONL. A .gz file
 * appears (by rename) only once complete; its plain twin is then removed.
 */
#ifndef BPFPROF_ROTATING_JSONL_H
#define BPFPROF_ROTATING_JSONL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rotate_policy {
	uint64_t max_bytes; /* rotate before a line would take the file past this; 0: never */
	double max_secs; /* rotate every this many seconds (if the file holds a line); 0: never */
	bool gzip;	 /* compress rotated files (zlib, in a thread of their own) */
};

struct rotating_jsonl;

/*
 * Takes over fd, the newly created dir/name (see output_create_file), and
 * removes the rotated files of an earlier run in dir (name.N, name.N.gz),
 * which would otherwise be read as this run's; one that is not bpfprof's
 * output (not a regular file of ours with one link whose lines open with a
 * bpfprof schema) is an error, and left alone. NULL with a one-line reason
 * in err (fd is then closed).
 */
struct rotating_jsonl *rjsonl_open(int dirfd, const char *dir, const char *name, int fd,
				   const struct rotate_policy *p, char *err, size_t errlen);
/* Buffers one complete line (ending in '\n'), rotating first when the line
 * would take the file past max_bytes. */
void rjsonl_append(struct rotating_jsonl *f, const char *line, size_t len);
/* Writes the buffered lines: all of them, or none (a failed write is
 * undone, its lines counted as failed, and reported once on stderr). */
void rjsonl_flush(struct rotating_jsonl *f);
/* Rotates when max_secs are up. Returns the next rotation time
 * (CLOCK_MONOTONIC ns), or 0 with no time limit. */
uint64_t rjsonl_tick(struct rotating_jsonl *f, uint64_t now_ns);
/* Flushes and closes the file, then waits until every rotated file is
 * compressed. The file names stay readable until rjsonl_free. */
void rjsonl_close(struct rotating_jsonl *f);
/* The files written, oldest first (rotated ones, then name), as a JSON
 * array of names; call after rjsonl_close. */
json_t *rjsonl_files_json(const struct rotating_jsonl *f);
void rjsonl_free(struct rotating_jsonl *f);

/* Safe to call from any thread. */
uint64_t rjsonl_lines_written(const struct rotating_jsonl *f);
uint64_t rjsonl_lines_failed(const struct rotating_jsonl *f);
/* Writes, rotations and compressions that failed. */
unsigned long rjsonl_failures(const struct rotating_jsonl *f);

#endif
