/* SPDX-License-Identifier: MIT */
/*
 * What argp leaves unsaid when its own messages are off (ARGP_NO_ERRS, so
 * every error is one line of ours): which word of the command line was
 * wrong, with the nearest option when one was misspelt.
 */
#ifndef BPFPROF_CLI_OPTIONS_H
#define BPFPROF_CLI_OPTIONS_H

#include <argp.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Walks argv[1..] as getopt_long does with opts (long names, unique
 * prefixes, short clusters, arguments) and describes the first word it
 * would reject, e.g. "unknown option '--folow'; did you mean '--follow'?".
 * Stops at "--", and at the first operand when stop_at_operand (a command
 * follows). Returns false, err untouched, when every option is well formed.
 */
bool cli_option_error(const struct argp_option *opts, int argc, char **argv,
		      bool stop_at_operand, char *err, size_t errlen);

/* The long option nearest to name (no dashes) by edit distance, or NULL
 * when none is close enough to be the one meant. */
const char *cli_nearest_option(const struct argp_option *opts, const char *name);

#endif
