/* SPDX-License-Identifier: MIT */
/*
 * The output directory: flushes.jsonl, appended a line per interval, and
 * summary.json, written once at the end through a temp file and rename so a
 * reader never sees half of it.
 *
 * bpfprof runs as root and DIR may be somewhere others can write (/tmp), so
 * every file is created relative to the directory's fd with O_EXCL and
 * O_NOFOLLOW: a symlink planted at a name is never followed, and a file
 * bpfprof did not write is never replaced (a previous run's output, a regular
 * file of ours that starts with a bpfprof schema, is), at the start or at
 * the summary's final rename. DIR itself must not be a symlink, and it is
 * walked one component at a time with O_NOFOLLOW: a symlink on the way is
 * followed only if the caller owns it, or root does outside a sticky
 * world-writable directory. Modes are 0644 and 0755, narrowed by a
 * restrictive umask.
 */
#ifndef BPFPROF_OUTPUT_FILES_H
#define BPFPROF_OUTPUT_FILES_H

#include <jansson.h>
#include <stdbool.h>
#include "output/records.h"

struct output_files;

/* Creates dir (and parents) if missing and opens flushes.jsonl; removes a
 * previous run's summary.json so the directory holds only this run. On
 * failure returns NULL with a one-line reason in err, having created no
 * file. */
struct output_files *output_open(const char *dir, char *err, size_t errlen);
/*
 * A new file NAME in the output directory for another writer, created as
 * above (replacing only a previous bpfprof output). Returns the fd (O_WRONLY,
 * O_CLOEXEC) or -1 with a one-line reason in err. output_discard removes it.
 */
int output_create_file(struct output_files *o, const char *name, char *err, size_t errlen);
/* The output directory's fd (opened without following a symlink), for
 * writers that create and rename their own files in it; owned by o. */
int output_dirfd(const struct output_files *o);
/*
 * All of buf at fd's offset start (its end), or nothing: a short write is
 * cut back to start. Returns 0; or, with the write's errno in *err, -1 when
 * nothing is left of it, 1 when a torn part could not be removed.
 */
int output_write_whole(int fd, const char *buf, size_t len, off_t start, int *err);
/* One compact JSON line, flushed to the file. Write errors (ENOSPC, EIO)
 * are counted and reported once on stderr; the run goes on, and a later
 * line is written when there is room again. */
int output_write_flush(struct output_files *o, json_t *record);
/* What the summary's "output" says: the flush records written and lost,
 * the first write error. */
void output_describe(const struct output_files *o, struct output_record *r);
/* Temp file, fsync, rename. The temp file is made by output_open with room
 * allocated for the summary (256 KiB, grown to 4x the largest flush line),
 * so a disk that fills during the run (span events) still takes it. A
 * failure is reported on stderr (one line) and leaves no temp file. A
 * summary.json that appeared during the run and is not a previous bpfprof
 * output is kept: the summary goes to summary-PID.json, said on stderr and
 * counted as a failure. */
int output_write_summary(struct output_files *o, json_t *summary);
/*
 * NAME in the directory holding buf, whole or not at all (temp file, fsync,
 * rename), replacing only a previous bpfprof output. A failure is said on
 * stderr (one line) and counted in output_write_failures. 0 or -errno.
 * Names written this way by some runs only are listed in output_files.c, so
 * that output_open removes a previous run's.
 */
int output_write_file(struct output_files *o, const char *name, const char *buf, size_t len);
/* Records that could not be written (flush lines, plus 1 for the summary). */
unsigned long output_write_failures(const struct output_files *o);
void output_close(struct output_files *o);
/* Removes what output_open created (for a run that never started). */
void output_discard(struct output_files *o);

/* Flags for json_dumpf/json_dumps shared by every JSON bpfprof writes. */
#define JSON_OUT_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(16))

#endif
