/* SPDX-License-Identifier: MIT */
/* BPFPROF_VERSION: `git describe` at build time (make writes
 * build/bpfprof_version.h), else the release number below. */
#ifndef BPFPROF_VERSION_H
#define BPFPROF_VERSION_H

#if __has_include("bpfprof_version.h")
#include "bpfprof_version.h"
#endif
#ifndef BPFPROF_VERSION
#define BPFPROF_VERSION "0.1.0"
#endif

#endif
