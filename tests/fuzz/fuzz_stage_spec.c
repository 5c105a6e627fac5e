// SPDX-License-Identifier: MIT
/*
 * The -u spec parser, the /proc/PID/maps library lookup and glob matching
 * of symbol names. Input: the spec up to the first newline, then a maps
 * file whose lines also serve as symbol names (names and mapped paths come
 * from the traced program, so both are hostile).
 */
#include <fcntl.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "probes/demangle.h"
#include "probes/stage_spec.h"

static int memfd = -1;
static char maps_path[64];

/* What symbols_match does with each name: raw, demangled, base name. */
static void match_names(const char *glob, char *names)
{
	char *save = NULL;

	for (char *n = strtok_r(names, "\n", &save); n; n = strtok_r(NULL, "\n", &save)) {
		char *dem = demangle(n), *base = NULL;

		fnmatch(glob, n, 0);
		if (dem) {
			fnmatch(glob, dem, 0);
			base = demangle_base_name(dem);
			if (base)
				fnmatch(glob, base, 0);
		}
		free(base);
		free(dem);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *nl, *rest, *found = NULL, err[512];
	struct stage_spec spec;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	/* A spec is one argv string: it ends at the first NUL anyway. */
	nl = strchr(buf, '\n');
	rest = nl ? nl + 1 : buf + strlen(buf);
	if (nl)
		*nl = '\0';
	if (stage_spec_parse(buf, &spec, err, sizeof(err)) == 0) {
		if (memfd < 0) {
			memfd = memfd_create("fuzz_maps", MFD_CLOEXEC);
			if (memfd < 0)
				abort();
			snprintf(maps_path, sizeof(maps_path), "/proc/self/fd/%d", memfd);
		}
		size_t len = strlen(rest);

		if (ftruncate(memfd, 0) || pwrite(memfd, rest, len, 0) != (ssize_t)len)
			abort();
		if (spec.binary_arg && stage_spec_find_library(maps_path, spec.binary_arg, &found,
							       err, sizeof(err)) == 0)
			free(found);
		match_names(spec.glob, rest);
		stage_spec_free(&spec);
	}
	free(buf);
	return 0;
}
