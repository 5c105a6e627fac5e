/* SPDX-License-Identifier: MIT */
/* Human-readable figures for the text outputs. */
#ifndef BPFPROF_FORMAT_H
#define BPFPROF_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/* "812ns", "1.25us", "3.40ms", "2.00s" */
char *fmt_duration(uint64_t ns, char *buf, size_t len);
/* "512B", "97.7KiB", "1.00MiB" */
char *fmt_bytes(uint64_t bytes, char *buf, size_t len);

#endif
