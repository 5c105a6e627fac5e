// SPDX-License-Identifier: MIT
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "bpfprof.h"
#include "probes/syscall_table.h"

static const char *const names[MAX_SYSCALL_NR] = {
#include "probes/syscall_names.inc"
};

/*
 * The I/O syscalls. Bytes are what the call returned (what it actually
 * moved), in the direction given. sendfile, splice, tee and copy_file_range
 * move data between two descriptors; they count as writes, to the
 * destination.
 */
static const struct {
	const char *name;
	uint8_t cls;
} io_syscalls[] = {
	{"read", IO_READ},	{"pread64", IO_READ},
	{"readv", IO_READ},	{"preadv", IO_READ},
	{"preadv2", IO_READ},	{"recvfrom", IO_READ},
	{"recvmsg", IO_READ},	{"recvmmsg", IO_READ | IO_MMSG},
	{"write", IO_WRITE},	{"pwrite64", IO_WRITE},
	{"writev", IO_WRITE},	{"pwritev", IO_WRITE},
	{"pwritev2", IO_WRITE}, {"sendto", IO_WRITE},
	{"sendmsg", IO_WRITE},	{"sendmmsg", IO_WRITE | IO_MMSG},
	{"sendfile", IO_WRITE}, {"splice", IO_WRITE},
	{"tee", IO_WRITE},	{"copy_file_range", IO_WRITE},
	{"vmsplice", IO_WRITE},
};

const char *syscall_name(unsigned int nr)
{
	static char buf[32];

	if (nr < MAX_SYSCALL_NR && names[nr])
		return names[nr];
	if (nr == SYSCALL_NR_OTHER)
		return "other";
	snprintf(buf, sizeof(buf), "syscall_%u", nr);
	return buf;
}

int syscall_nr(const char *name)
{
	for (unsigned int i = 0; i < MAX_SYSCALL_NR; i++)
		if (names[i] && !strcmp(names[i], name))
			return (int)i;
	return -1;
}

uint8_t syscall_io_class(unsigned int nr)
{
	static uint8_t table[MAX_SYSCALL_NR];
	static bool filled;

	if (!filled) {
		syscall_fill_io_classes(table, MAX_SYSCALL_NR);
		filled = true;
	}
	return nr < MAX_SYSCALL_NR ? table[nr] : IO_NONE;
}

void syscall_fill_io_classes(uint8_t *table, unsigned int n)
{
	memset(table, 0, n);
	for (size_t i = 0; i < sizeof(io_syscalls) / sizeof(io_syscalls[0]); i++) {
		int nr = syscall_nr(io_syscalls[i].name);

		if (nr >= 0 && (unsigned int)nr < n)
			table[nr] = io_syscalls[i].cls;
	}
}

unsigned int syscall_fill_io_slots(uint8_t *table, unsigned int n)
{
	unsigned int slots = 0;

	memset(table, IO_SLOT_NONE, n);
	for (unsigned int nr = 0; nr < n && nr < MAX_SYSCALL_NR; nr++)
		if (syscall_io_class(nr) != IO_NONE && slots < MAX_IO_SLOTS)
			table[nr] = (uint8_t)slots++;
	return slots;
}

void syscall_fill_wall_sys(uint8_t *table, unsigned int n)
{
	static const struct {
		const char *name;
		uint8_t w;
	} named[] = {
		{"poll", WALL_BLOCK_IO},
		{"ppoll", WALL_BLOCK_IO},
		{"select", WALL_BLOCK_IO},
		{"pselect6", WALL_BLOCK_IO},
		{"epoll_wait", WALL_BLOCK_IO},
		{"epoll_pwait", WALL_BLOCK_IO},
		{"epoll_pwait2", WALL_BLOCK_IO},
		{"futex", WALL_BLOCK_LOCK},
		{"futex_waitv", WALL_BLOCK_LOCK},
		{"flock", WALL_BLOCK_LOCK},
		{"nanosleep", WALL_BLOCK_SLEEP},
		{"clock_nanosleep", WALL_BLOCK_SLEEP},
		{"pause", WALL_BLOCK_SLEEP},
		/* Moves to the descriptor in another argument than the first. */
		{"tee", WALL_BLOCK_IO | 1 << WALL_FD_SHIFT},
		{"splice", WALL_BLOCK_IO | 2 << WALL_FD_SHIFT},
		{"copy_file_range", WALL_BLOCK_IO | 2 << WALL_FD_SHIFT},
	};

	memset(table, WALL_BLOCK_OTHER, n);
	for (unsigned int nr = 0; nr < n && nr < MAX_SYSCALL_NR; nr++)
		if (syscall_io_class(nr) != IO_NONE)
			table[nr] = WALL_BLOCK_IO;
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		int nr = syscall_nr(named[i].name);

		if (nr >= 0 && (unsigned int)nr < n)
			table[nr] = named[i].w;
	}
}
