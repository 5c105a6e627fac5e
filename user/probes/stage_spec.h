/* SPDX-License-Identifier: MIT */
/* "-u [BINARY:]GLOB" stage specs: parsing and binary resolution. */
#ifndef BPFPROF_STAGE_SPEC_H
#define BPFPROF_STAGE_SPEC_H

#include <stddef.h>
#include <sys/types.h>

struct stage_spec {
	char *binary_arg;   /* as typed, NULL when omitted (= the target's main executable) */
	char *glob;	    /* function pattern, surrounding whitespace trimmed */
	char *path;	    /* resolved path to open/attach (may be /proc/PID/root/...) */
	char *display_path; /* path as the target sees it, for reports */
};

/*
 * Split "[BINARY:]GLOB". C++ globs contain "::", so the separator is the
 * first ':' that is not part of a "::" pair (in a run of an odd number of
 * colons, the first one: "lib:::f" is lib + "::f"). Empty binary, empty or
 * all-whitespace glob -> -EINVAL with a message in @err.
 */
int stage_spec_parse(const char *arg, struct stage_spec *out, char *err, size_t errlen);

/*
 * Fill path/display_path:
 *  - no binary: @main_exe when given (under /proc/PID/root when absolute and
 *    pid > 0), else the target's /proc/PID/exe;
 *  - a path (contains '/'): that file, opened as /proc/PID/root/<path> when
 *    pid > 0 and the path is absolute, so other mount namespaces work;
 *  - a library name: with @main_exe (command mode), among the libraries it
 *    would load (stage_spec_command_libraries); else among the files
 *    mapped by @pid (see stage_spec_find_library), which needs pid > 0.
 * display_path is canonical (absolute, symlinks resolved) for a target in
 * our mount namespace, so one binary has one name whatever the mode.
 * The result must be a 64-bit x86_64 ELF executable or shared object.
 * Returns 0 or -errno with a message naming the binary in @err.
 */
int stage_spec_resolve(struct stage_spec *spec, pid_t pid, const char *main_exe, char *err,
		       size_t errlen);

/*
 * Find the mapped file for a library @name in a /proc/PID/maps-format file:
 * an exact basename ("libc.so.6"), else a short name: "libc" matches
 * "libc.so*" and "libc-*.so*" but not "libcrypto.so.3"; "libc.so" matches
 * "libc.so.6". Stores the malloc'd path (as the process sees it) in *found.
 * Returns 0, -ENOENT (not mapped), -EEXIST (ambiguous) or -errno, with a
 * message in @err.
 */
int stage_spec_find_library(const char *maps_path, const char *name, char **found, char *err,
			    size_t errlen);

/*
 * The shared libraries the dynamic executable @exe would load, as its
 * loader lists them (`ld.so --list`, the program itself does not run),
 * canonical paths, malloc'd. None for a static executable. 0 or -errno
 * with err set.
 */
int stage_spec_command_libraries(const char *exe, char ***paths, size_t *n, char *err,
				 size_t errlen);

void stage_spec_free(struct stage_spec *spec);

#endif
