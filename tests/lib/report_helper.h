/* SPDX-License-Identifier: MIT */
/* Shared by the report tests: running `bpfprof report` with its output
 * captured, and loading a page in headless Chromium. */
#ifndef BPFPROF_REPORT_HELPER_H
#define BPFPROF_REPORT_HELPER_H

#include <stdbool.h>
#include <stddef.h>

struct captured {
	int status; /* exit code, 128+sig, -1 on timeout */
	char *out;  /* stdout, NUL-terminated */
	char *err;  /* stderr */
};

/* `bpfprof report ARGS...` (NULL-terminated), run to completion. */
void report_run(struct captured *c, const char *arg, ...);
void captured_free(struct captured *c);

/* stderr is one line starting "bpfprof: " and containing needle. */
void expect_one_error_line(const struct captured *c, const char *needle);

/* The DOM after Chromium loaded and ran the page (headless); a screenshot
 * goes to png when not NULL. Fails the test when Chromium cannot run. */
char *chromium_dump_dom(const char *html_path, const char *png);

/* How many times needle occurs in s. */
int count_of(const char *s, const char *needle);

/* Copies every regular file of src into dst (an existing directory). */
void copy_dir(const char *src, const char *dst);

/* Where a test keeps artifacts for people to look at (<build>/test-artifacts). */
const char *artifact_dir(void);

#endif
