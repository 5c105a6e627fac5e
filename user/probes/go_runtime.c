// SPDX-License-Identifier: MIT
/* The waitReasons of a Go binary's runtime, read from its symbol table. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <unistd.h>

#include "bpfprof.h"
#include "probes/go_runtime.h"

uint32_t go_wait_reason_class(const char *name)
{
	static const char *const locks[] = {
		"chan receive",	 "chan send",	 "select",	       "chan receive (nil chan)",
		"chan send (nil chan)", "select (no cases)", "semacquire",
		"sync.Cond.Wait", "sync.Mutex.Lock", "sync.RWMutex.RLock", "sync.RWMutex.Lock",
	};

	if (!strcmp(name, "IO wait"))
		return WALL_BLOCK_IO;
	if (!strcmp(name, "sleep"))
		return WALL_BLOCK_SLEEP;
	for (size_t i = 0; i < sizeof(locks) / sizeof(locks[0]); i++)
		if (!strcmp(name, locks[i]))
			return WALL_BLOCK_LOCK;
	return WALL_BLOCK_OTHER;
}

/* @len bytes at address @addr, from the section holding them. */
static int read_at(Elf *elf, uint64_t addr, void *buf, size_t len)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS || !sh.sh_addr ||
		    addr < sh.sh_addr || addr - sh.sh_addr > sh.sh_size ||
		    len > sh.sh_size - (addr - sh.sh_addr))
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf || d->d_size < sh.sh_size)
			return -EIO;
		memcpy(buf, (const char *)d->d_buf + (addr - sh.sh_addr), len);
		return 0;
	}
	return -ENOENT;
}

/* runtime.waitReasonStrings: its address and size, from .symtab. */
static int find_table(Elf *elf, GElf_Sym *out)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			const char *name;

			if (!gelf_getsym(d, (int)i, out))
				continue;
			name = elf_strptr(elf, sh.sh_link, out->st_name);
			if (name && !strcmp(name, "runtime.waitReasonStrings"))
				return 0;
		}
	}
	return -ENOENT;
}

int go_wait_reason_classes(const char *path, uint32_t *classes, size_t n)
{
	int fd, found = 0;
	GElf_Sym sym;
	Elf *elf;

	for (size_t i = 0; i < n; i++)
		classes[i] = WALL_BLOCK_OTHER;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf) {
		close(fd);
		return -EINVAL;
	}
	if (!find_table(elf, &sym)) {
		/* [...]string: a pointer and a length per reason. */
		for (size_t i = 0; i < n && i < sym.st_size / 16; i++) {
			uint64_t ent[2];
			char name[64];

			if (read_at(elf, sym.st_value + i * 16, ent, sizeof(ent)) ||
			    ent[1] >= sizeof(name) || read_at(elf, ent[0], name, ent[1]))
				continue;
			name[ent[1]] = '\0';
			classes[i] = go_wait_reason_class(name);
			found++;
		}
	}
	elf_end(elf);
	close(fd);
	return found;
}
