/* SPDX-License-Identifier: MIT */
/*
 * Addresses of sampled stacks to function names. User addresses go through
 * the process's executable mappings (/proc/PID/maps, read again when an
 * address falls outside the ones known, and kept after the process exits)
 * to a file offset, then to the function symbols probes/symbols.c reads
 * from the file as seen in the process's mount namespace
 * (/proc/PID/root/PATH): PIE, shared libraries and containers alike. Each
 * file's table is loaded once per build id (per device and inode when it
 * has none). Kernel addresses go through /proc/kallsyms, read when the
 * symbolizer is made (it needs privileges bpfprof drops later).
 */
#ifndef BPFPROF_STACK_SYMBOLS_H
#define BPFPROF_STACK_SYMBOLS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct stack_symbols;

/* NULL on ENOMEM. Without a readable /proc/kallsyms kernel frames are
 * named "[kernel]". */
struct stack_symbols *stack_symbols_new(void);
void stack_symbols_free(struct stack_symbols *s);

/*
 * The function at @ip in process @pid: a name owned by @s, valid until it
 * is freed. "[FILE]" when the file has no symbol there, "[unknown]" when no
 * mapping holds the address. @return_addr: a caller's frame, whose
 * address is the instruction after the call (looked up one byte back).
 */
const char *stack_symbols_user(struct stack_symbols *s, pid_t pid, uint64_t ip, bool return_addr);
const char *stack_symbols_kernel(struct stack_symbols *s, uint64_t ip);
/* Reads pid's maps now if they never were: a process seen for the first
 * time may be gone by the time its stacks are symbolized. */
void stack_symbols_note_process(struct stack_symbols *s, pid_t pid);

/* Whether a function is where a thread's stack starts (_start,
 * start_thread, clone3...): a user stack that reaches none was cut short. */
bool stack_symbols_is_root(const char *name);

/* Files whose symbol tables were loaded (once per build id). */
unsigned long stack_symbols_files_loaded(const struct stack_symbols *s);

#endif
