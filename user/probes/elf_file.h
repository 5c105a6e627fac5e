/* SPDX-License-Identifier: MIT */
/*
 * An ELF file as the probes' readers share it (symbols.c, gopclntab.c):
 * opened and checked once, its program headers at hand. The public
 * questions about a file (is it ELF, its build id, its language) are in
 * symbols.h.
 */
#ifndef BPFPROF_ELF_FILE_H
#define BPFPROF_ELF_FILE_H

#include <gelf.h>
#include <libelf.h>
#include <stddef.h>
#include <stdint.h>
#include "probes/symbols.h"

struct elf_file {
	int fd;
	Elf *elf;
	GElf_Phdr *phdrs;
	size_t phnum;
};

/* Open and validate (64-bit x86_64, executable or shared object); messages
 * name @display. 0 or -errno. */
int elf_file_open(const char *path, const char *display, struct elf_file *ef, char *err,
		  size_t errlen);
void elf_file_close(struct elf_file *ef);
/* Section headers that lie (past the end of the file): 0 or -ENOEXEC. */
int elf_check_section_headers(const struct elf_file *ef, const char *display, char *err,
			      size_t errlen);
/* A section by name, or NULL. */
Elf_Scn *elf_section_named(Elf *elf, const char *want);
/* Go, Rust, C++ or C, from the file's markers. */
enum bin_lang elf_binary_lang(Elf *elf);
/* File offset of code at @addr (in an executable PT_LOAD); *avail bytes of
 * the file follow. 0 or -ENOENT. */
int elf_addr_to_offset(const struct elf_file *ef, uint64_t addr, uint64_t *off, uint64_t *avail);
/* @len bytes of code at @addr in a new buffer (*got_len may be less);
 * *delta is file offset minus address. 0, 1 when not in an executable
 * segment, or -errno with @err set. */
int elf_read_code(struct elf_file *ef, const char *path, uint64_t addr, uint64_t len,
		  uint8_t **buf, size_t *got_len, int64_t *delta, char *err, size_t errlen);

#endif
