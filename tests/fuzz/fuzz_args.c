// SPDX-License-Identifier: MIT
/*
 * The command line parser. Input: NUL-separated arguments after "bpfprof".
 * argp's own --help, --usage, --version (-?, -V) print and exit, and its
 * hidden --HANG sleeps: inputs that could reach them (including argp's
 * unambiguous prefixes) are skipped, since exiting is their job.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "run/args.h"

#define MAX_ARGS 64

static bool reaches_argp_builtin(const char *a)
{
	static const char *const longs[] = {"help", "usage", "version", "HANG", "program-name"};

	if (a[0] != '-')
		return false;
	if (a[1] == '-') {
		size_t n = strcspn(a + 2, "=");

		if (n == 0) /* "--" ends the options; "--=x" is refused by argp */
			return a[2] != '\0';
		/* Any prefix of a built-in may select it ("--he", "--u"). */
		for (size_t i = 0; i < sizeof(longs) / sizeof(longs[0]); i++)
			if (strncmp(a + 2, longs[i], n) == 0)
				return true;
		return false;
	}
	/* A short cluster "-q?" or "-qV", or one whose argument holds them
	 * ("-p?" is harmless, but telling the two apart is argp's job). */
	return strchr(a, '?') || strchr(a, 'V');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_ARGS + 2], err[512];
	struct env env;
	int argc = 0;
	size_t i = 0;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = "bpfprof";
	while (i <= size && argc <= MAX_ARGS) {
		char *a = buf + i;

		if (reaches_argp_builtin(a))
			goto out;
		argv[argc++] = a;
		i += strlen(a) + 1;
	}
	argv[argc] = NULL;
	if (args_parse(argc, argv, &env, err, sizeof(err)) == 0 && env.command) {
		/* The command points into argv and ends at its NULL. */
		for (char **c = env.command; *c; c++)
			(void)strlen(*c);
	}
out:
	free(buf);
	return 0;
}
