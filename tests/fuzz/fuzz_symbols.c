// SPDX-License-Identifier: MIT
/*
 * The ELF/symbol reader on files an attacker controls: any binary a traced
 * process maps can be named by -u. The input is the whole file, served from
 * a memfd through its /proc/self/fd path as symbols_match() opens paths.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "probes/symbols.h"

static int memfd = -1;
static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* "*" visits every function symbol (demangling, entry decoding);
	 * the others take the glob and C++ base-name paths. */
	static const char *const globs[] = {"*", "*::*", "[a-m]?*_[!x]*"};
	struct sym_list l;
	char err[512];

	if (memfd < 0) {
		memfd = memfd_create("fuzz_elf", MFD_CLOEXEC);
		if (memfd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	}
	if (ftruncate(memfd, 0) || pwrite(memfd, data, size, 0) != (ssize_t)size)
		abort();
	for (size_t i = 0; i < sizeof(globs) / sizeof(globs[0]); i++) {
		if (symbols_match(path, globs[i], &l, err, sizeof(err)) == 0)
			sym_list_free(&l);
	}
	symbols_check_elf(path, "fuzz", err, sizeof(err));
	return 0;
}
