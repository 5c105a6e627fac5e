// SPDX-License-Identifier: MIT
/*
 * The report reader on run directories nobody vouches for (copied from
 * another machine, truncated, edited). Input: summary.json, flushes.jsonl,
 * events.jsonl and events.jsonl.1, separated by NUL bytes (JSON text has
 * none); a missing part is a missing file. A part that is "\x01fifo" is a
 * FIFO, "\x01link TARGET" a symlink to TARGET (what a hostile directory
 * holds instead of files: report must refuse both, not hang or follow). What
 * loads is then written in every format, so the writers see whatever the
 * reader lets through. Lines are capped at FUZZ_LINE_LIMIT so an input can
 * reach the cap.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "report/report.h"

static const char *const names[] = { "summary.json", "flushes.jsonl", "events.jsonl",
				     "events.jsonl.1" };
#define N_PARTS (sizeof(names) / sizeof(names[0]))
#define FUZZ_LINE_LIMIT 8192
#define FIFO_PART "\x01fifo"
#define LINK_PART "\x01link "

static char dir[] = "/tmp/bpfprof-fuzz-report-XXXXXX";
static FILE *sink;

static void remove_dir(void)
{
	for (size_t i = 0; i < N_PARTS; i++) {
		char path[128];

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (!mkdtemp(dir) || !(sink = fopen("/dev/null", "w")))
		abort();
	atexit(remove_dir);
	report_line_limit = FUZZ_LINE_LIMIT;
	return 0;
}

static bool part_is(const uint8_t *p, const uint8_t *stop, const char *kind)
{
	size_t n = strlen(kind);

	return (size_t)(stop - p) >= n && !memcmp(p, kind, n);
}

/* The file at path from the part [p, stop): a FIFO, a symlink or a
 * regular file with those bytes. */
static void make_part(const char *path, const uint8_t *p, const uint8_t *stop)
{
	char target[256];
	int fd;

	if (part_is(p, stop, FIFO_PART) && stop - p == (long)strlen(FIFO_PART)) {
		if (mkfifo(path, 0600))
			abort();
		return;
	}
	if (part_is(p, stop, LINK_PART)) {
		size_t n = (size_t)(stop - p) - strlen(LINK_PART);

		if (n < sizeof(target)) {
			memcpy(target, p + strlen(LINK_PART), n);
			target[n] = '\0';
			if (!symlink(target, path))
				return; /* else (an empty target): a file */
		}
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, p, (size_t)(stop - p)) != stop - p)
		abort();
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct report r;
	char err[512];

	for (size_t i = 0; i < N_PARTS; i++) {
		const uint8_t *nul = p < end ? memchr(p, '\0', (size_t)(end - p)) : NULL;
		const uint8_t *stop = nul ? nul : end;
		char path[128];

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
		if (p >= end && i > 0)
			continue; /* no such part: no such file */
		make_part(path, p, stop);
		p = nul ? nul + 1 : end;
	}
	memset(&r, 0, sizeof(r));
	if (report_load(dir, &r, err, sizeof(err)) == 0) {
		report_print_text(sink, &r, 5);
		json_decref(report_to_json(&r, 5));
		report_write_html(sink, &r, 5);
		report_write_perfetto(sink, &r);
		if (r.n_traces)
			report_print_trace(sink, &r, r.traces[0].id);
	}
	/* Also after a failed load, as the CLI does. */
	report_free(&r);
	return 0;
}
