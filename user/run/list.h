/* SPDX-License-Identifier: MIT */
/* --list SPEC: what -u would attach to, without attaching. */
#ifndef BPFPROF_LIST_H
#define BPFPROF_LIST_H

#include "run/args.h"

/* Prints one line per function; the process's exit code. */
int list_stages(const struct env *env);

#endif
