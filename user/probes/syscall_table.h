/* SPDX-License-Identifier: MIT */
/* x86_64 syscall names and which of them move bytes. */
#ifndef BPFPROF_SYSCALL_TABLE_H
#define BPFPROF_SYSCALL_TABLE_H

#include <stdint.h>

/* The kernel's name for nr ("pread64"), or "syscall_<nr>" for unknown ones.
 * The returned string lives until the next call with another unknown nr. */
const char *syscall_name(unsigned int nr);

/* Number for a name, or -1. */
int syscall_nr(const char *name);

/* enum io_class flags for nr (0 when it is not an I/O syscall). */
uint8_t syscall_io_class(unsigned int nr);

/* Fills the table the BPF side keeps in rodata. */
void syscall_fill_io_classes(uint8_t *table, unsigned int n);

/* The I/O slot of each syscall (IO_SLOT_NONE for the others): the index of
 * its counters when one target's are kept in arrays. Returns the number of
 * slots used. */
unsigned int syscall_fill_io_slots(uint8_t *table, unsigned int n);

/* The wall_sys table the BPF side keeps in rodata: what blocking inside
 * each syscall is charged to (enum wall_block) and which argument holds
 * the descriptor of its I/O (bits WALL_FD_SHIFT+). */
void syscall_fill_wall_sys(uint8_t *table, unsigned int n);

#endif
