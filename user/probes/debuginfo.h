/* SPDX-License-Identifier: MIT */
/*
 * Separate debug files for stripped binaries: where Debian and users put
 * them (the build-id directory, .gnu_debuglink) and debuginfod servers.
 * Only the symbols come from the debug file; code and offsets stay the
 * binary's, so the two must be the same build.
 */
#ifndef BPFPROF_DEBUGINFO_H
#define BPFPROF_DEBUGINFO_H

#include <limits.h>
#include <stddef.h>

enum debuginfo_origin {
	DEBUGINFO_NONE,
	DEBUGINFO_BUILD_ID_DIR, /* ROOT/.build-id/xx/yyyy.debug */
	DEBUGINFO_DEBUGLINK,	/* .gnu_debuglink: beside the binary, .debug/, ROOT/DIR/ */
	DEBUGINFO_DEBUGINFOD,	/* a server named by DEBUGINFOD_URLS (its cached copy) */
};

struct debuginfo {
	enum debuginfo_origin origin;
	char path[PATH_MAX];
};

/* The root of the debug tree: $BPFPROF_DEBUG_ROOT, else /usr/lib/debug. */
const char *debuginfo_root(void);

/*
 * Find the debug file of @binary (messages name @display): 1 with @out
 * filled, 0 when there is none anywhere, or -errno with one line in @err
 * when one was found but is not of the same build (-EILSEQ), or a
 * debuginfod server did not answer within $BPFPROF_DEBUGINFOD_TIMEOUT
 * seconds (default 15; -ETIMEDOUT) or failed otherwise.
 */
int debuginfo_find(const char *binary, const char *display, struct debuginfo *out, char *err,
		   size_t errlen);

/* @path without a leading "/proc/PID/root" (how the target names it). */
const char *debuginfo_shown_path(const char *path);

/* "build-id dir", "debuglink", "debuginfod", "" */
const char *debuginfo_origin_name(enum debuginfo_origin o);

#endif
