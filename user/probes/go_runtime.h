/* SPDX-License-Identifier: MIT */
/*
 * What the Go scheduler probes (bpf/bpfprof/go_sched.bpf.h) need from a Go
 * binary: which kind of wait each of its runtime's waitReasons is.
 */
#ifndef BPFPROF_GO_RUNTIME_H
#define BPFPROF_GO_RUNTIME_H

#include <stdint.h>

/*
 * The enum wall_block of each waitReason of the Go binary @path, from its
 * runtime.waitReasonStrings (the numbering changes between Go versions,
 * the names do not): "IO wait" is I/O, "sleep" a sleep; channels, select,
 * semaphores, sync.Mutex/RWMutex/Cond a lock; anything else other.
 * @classes gets @n entries (other where not known). Returns how many
 * reasons were read: 0 when the table is not there (a binary stripped of
 * .symtab), -errno when the file cannot be read.
 */
int go_wait_reason_classes(const char *path, uint32_t *classes, size_t n);

/* The kind of wait a waitReason's name says (enum wall_block). */
uint32_t go_wait_reason_class(const char *name);

#endif
