/* SPDX-License-Identifier: MIT */
#ifndef BPFPROF_GOPCLNTAB_H
#define BPFPROF_GOPCLNTAB_H

#include <libelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Go's function table (.gopclntab, Go 1.18+ layout: magic 0xfffffff0, or
 * 0xfffffff1 since 1.20): a header of pointer-size words, then nfunc + 1
 * (entry, func) offset pairs; each func starts with its entry offset and
 * its name's offset in the name table. The runtime reads it for
 * tracebacks, so a stripped binary keeps it.
 */
struct go_pclntab {
	const uint8_t *p;
	size_t len;
	uint64_t nfunc, text, names, names_end, functab;
};

/* The table of @elf; false when there is none or it is not one we read. */
bool go_pclntab_open(Elf *elf, struct go_pclntab *t);
/* Function @i (0 .. nfunc - 1): its name, address and size; false when the
 * entry is broken. */
bool go_pclntab_func(const struct go_pclntab *t, uint64_t i, const char **name, uint64_t *addr,
		     uint64_t *size);
/* A name matching @glob in the name table with no function of its own: the
 * compiler inlined it everywhere (the inline tree still names it).
 * malloc'd, or NULL. */
char *go_inlined_name(const struct go_pclntab *t, const char *glob);

#endif
