// SPDX-License-Identifier: MIT
/* An ELF file opened and checked once for every reader of it: its program
 * headers, sections, code bytes, build id and language. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/errmsg.h"
#include "probes/elf_file.h"

/* Longer "functions" come from broken files; real ones are far smaller (a
 * longer one is scanned in part and marked not fully decoded). */
#define MAX_FUNCTION_BYTES (1U << 20)

const char *bin_lang_name(enum bin_lang l)
{
	switch (l) {
	case LANG_C:
		return "C";
	case LANG_CXX:
		return "C++";
	case LANG_RUST:
		return "Rust";
	case LANG_GO:
		return "Go";
	}
	return "?";
}

/* A section by name, or NULL. */
Elf_Scn *elf_section_named(Elf *elf, const char *want)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (name && !strcmp(name, want))
			return scn;
	}
	return NULL;
}

/* Rust or C++ from the names in one symbol table; LANG_C when neither. */
static enum bin_lang lang_from_symbols(Elf *elf, Elf_Scn *scn)
{
	enum bin_lang lang = LANG_C;
	Elf_Data *data = elf_getdata(scn, NULL);
	GElf_Shdr sh;
	size_t n;

	if (!data || !gelf_getshdr(scn, &sh) || !sh.sh_entsize)
		return LANG_C;
	n = sh.sh_size / sh.sh_entsize;
	for (size_t i = 0; i < n; i++) {
		const char *name;
		GElf_Sym sym;

		if (!gelf_getsym(data, (int)i, &sym))
			continue;
		name = elf_strptr(elf, sh.sh_link, sym.st_name);
		if (!name)
			continue;
		if (!strcmp(name, "rust_eh_personality") || !strncmp(name, "__rust_", 7))
			return LANG_RUST;
		if (!strncmp(name, "__gxx_personality_v0", 20))
			lang = LANG_CXX;
	}
	return lang;
}

enum bin_lang elf_binary_lang(Elf *elf)
{
	enum bin_lang lang = LANG_C;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	if (elf_section_named(elf, ".go.buildinfo") || elf_section_named(elf, ".gopclntab"))
		return LANG_GO;
	while ((scn = elf_nextscn(elf, scn))) {
		enum bin_lang l;

		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		l = lang_from_symbols(elf, scn);
		if (l == LANG_RUST)
			return l;
		if (l == LANG_CXX)
			lang = l;
	}
	return lang;
}

void elf_file_close(struct elf_file *ef)
{
	if (ef->elf)
		elf_end(ef->elf);
	if (ef->fd >= 0)
		close(ef->fd);
	free(ef->phdrs);
	ef->elf = NULL;
	ef->fd = -1;
	ef->phdrs = NULL;
}

/* Open and validate; messages name @display. */
int elf_file_open(const char *path, const char *display, struct elf_file *ef, char *err,
			 size_t errlen)
{
	unsigned char magic[SELFMAG];
	GElf_Ehdr ehdr;
	struct stat st;
	ssize_t got;
	size_t i;
	int ret;

	memset(ef, 0, sizeof(*ef));
	ef->fd = -1;
	if (stat(path, &st) < 0) {
		ret = -errno;
		if (ret == -ENOENT)
			set_err(err, errlen, "binary '%s' not found", display);
		else
			set_err(err, errlen, "binary '%s': %s", display, strerror(-ret));
		return ret;
	}
	if (S_ISDIR(st.st_mode)) {
		set_err(err, errlen, "binary '%s' is a directory", display);
		return -EISDIR;
	}
	if (!S_ISREG(st.st_mode)) {
		set_err(err, errlen, "binary '%s' is not a regular file", display);
		return -ENOEXEC;
	}
	ef->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ef->fd < 0) {
		ret = -errno;
		set_err(err, errlen, "cannot open binary '%s': %s", display, strerror(-ret));
		goto cleanup;
	}
	got = pread(ef->fd, magic, sizeof(magic), 0);
	if (got != (ssize_t)sizeof(magic) || memcmp(magic, ELFMAG, SELFMAG) != 0) {
		set_err(err, errlen, "binary '%s' is not an ELF file", display);
		ret = -ENOEXEC;
		goto cleanup;
	}
	/* libelf takes a file shorter than its header for "not ELF" and says
	 * "no error". */
	if ((size_t)st.st_size < sizeof(Elf64_Ehdr)) {
		set_err(err, errlen,
			"binary '%s' is not a valid ELF file: truncated (%lld bytes, shorter than "
			"an ELF header)",
			display, (long long)st.st_size);
		ret = -ENOEXEC;
		goto cleanup;
	}
	if (elf_version(EV_CURRENT) == EV_NONE) {
		set_err(err, errlen, "libelf: %s", elf_errmsg(-1));
		ret = -EINVAL;
		goto cleanup;
	}
	ef->elf = elf_begin(ef->fd, ELF_C_READ_MMAP, NULL);
	if (!ef->elf || elf_kind(ef->elf) != ELF_K_ELF || !gelf_getehdr(ef->elf, &ehdr)) {
		set_err(err, errlen, "binary '%s' is not a valid ELF file: %s", display,
			elf_errno() ? elf_errmsg(-1) : "unrecognised header");
		ret = -ENOEXEC;
		goto cleanup;
	}
	if (gelf_getclass(ef->elf) != ELFCLASS64 || ehdr.e_machine != EM_X86_64) {
		set_err(err, errlen, "binary '%s' is not a 64-bit x86_64 ELF file", display);
		ret = -ENOEXEC;
		goto cleanup;
	}
	if (ehdr.e_type != ET_EXEC && ehdr.e_type != ET_DYN) {
		set_err(err, errlen, "binary '%s' is neither an executable nor a shared library",
			display);
		ret = -ENOEXEC;
		goto cleanup;
	}
	if (elf_getphdrnum(ef->elf, &ef->phnum) != 0) {
		set_err(err, errlen, "binary '%s': bad program headers: %s", display,
			elf_errmsg(-1));
		ret = -ENOEXEC;
		goto cleanup;
	}
	ef->phdrs = calloc(ef->phnum ? ef->phnum : 1, sizeof(*ef->phdrs));
	if (!ef->phdrs) {
		ret = -ENOMEM;
		set_err(err, errlen, "out of memory");
		goto cleanup;
	}
	for (i = 0; i < ef->phnum; i++) {
		if (!gelf_getphdr(ef->elf, (int)i, &ef->phdrs[i])) {
			set_err(err, errlen, "binary '%s': bad program header %zu: %s", display, i,
				elf_errmsg(-1));
			ret = -ENOEXEC;
			goto cleanup;
		}
	}
	return 0;

cleanup:
	elf_file_close(ef);
	return ret;
}

int symbols_check_elf(const char *path, const char *display, char *err, size_t errlen)
{
	struct elf_file ef;
	int ret;

	ret = elf_file_open(path, display ? display : path, &ef, err, errlen);
	if (ret == 0)
		elf_file_close(&ef);
	return ret;
}

int symbols_elf_interp(const char *path, char *interp, size_t len, char *err, size_t errlen)
{
	struct elf_file ef;
	int ret = elf_file_open(path, path, &ef, err, errlen);

	if (ret)
		return ret;
	for (size_t i = 0; i < ef.phnum; i++) {
		const GElf_Phdr *ph = &ef.phdrs[i];

		if (ph->p_type != PT_INTERP)
			continue;
		if (!ph->p_filesz || ph->p_filesz >= len ||
		    pread(ef.fd, interp, ph->p_filesz, (off_t)ph->p_offset) != (ssize_t)ph->p_filesz ||
		    interp[ph->p_filesz - 1] != '\0' || interp[0] != '/') {
			set_err(err, errlen, "binary '%s': bad PT_INTERP", path);
			ret = -ENOEXEC;
		} else {
			ret = 1;
		}
		break;
	}
	elf_file_close(&ef);
	return ret;
}

/*
 * File offset of code at @addr: uprobes are keyed by (inode, offset). The
 * executable PT_LOAD holding it gives addr - p_vaddr + p_offset, which works
 * alike for ET_EXEC (absolute p_vaddr) and ET_DYN (0-based). *avail is how
 * many bytes of the file follow.
 */
int elf_addr_to_offset(const struct elf_file *ef, uint64_t addr, uint64_t *off, uint64_t *avail)
{
	size_t i;

	for (i = 0; i < ef->phnum; i++) {
		const GElf_Phdr *ph = &ef->phdrs[i];

		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		if (addr < ph->p_vaddr || addr - ph->p_vaddr >= ph->p_filesz)
			continue;
		*off = addr - ph->p_vaddr + ph->p_offset;
		*avail = ph->p_filesz - (addr - ph->p_vaddr);
		return 0;
	}
	return -ENOENT;
}

/*
 * Section headers that lie, checked before looking for symbols in them:
 * libelf shows a table past the end of the file as no sections at all, and
 * garbage as sections of unknown types, and either would be reported as "no
 * symbols". 0, or -ENOEXEC with err set.
 */
int elf_check_section_headers(const struct elf_file *ef, const char *display, char *err,
				 size_t errlen)
{
	size_t size = 0, shnum = 0, i = 0;
	Elf_Scn *scn = NULL;
	GElf_Ehdr ehdr;
	GElf_Shdr sh;

	if (!elf_rawfile(ef->elf, &size) || !gelf_getehdr(ef->elf, &ehdr) ||
	    elf_getshdrnum(ef->elf, &shnum)) {
		set_err(err, errlen, "binary '%s': bad section headers: %s", display,
			elf_errmsg(-1));
		return -ENOEXEC;
	}
	if (ehdr.e_shnum && (ehdr.e_shoff >= size || !shnum)) {
		set_err(err, errlen,
			"binary '%s': bad section headers: their table (offset %#llx) is past the "
			"end of the file (%zu bytes)",
			display, (unsigned long long)ehdr.e_shoff, size);
		return -ENOEXEC;
	}
	while ((scn = elf_nextscn(ef->elf, scn))) {
		i++;
		if (!gelf_getshdr(scn, &sh)) {
			set_err(err, errlen, "binary '%s': bad section header %zu: %s", display, i,
				elf_errmsg(-1));
			return -ENOEXEC;
		}
		if (sh.sh_type != SHT_NOBITS && sh.sh_type != SHT_NULL &&
		    (sh.sh_offset > size || sh.sh_size > size - sh.sh_offset)) {
			set_err(err, errlen,
				"binary '%s': bad section header %zu: its data is past the end of "
				"the file",
				display, i);
			return -ENOEXEC;
		}
	}
	return 0;
}

/* Read @len bytes of code at @addr into a new buffer; *delta is file
 * offset minus address. 1: not in an executable segment. */
int elf_read_code(struct elf_file *ef, const char *path, uint64_t addr, uint64_t len,
		     uint8_t **buf, size_t *got_len, int64_t *delta, char *err, size_t errlen)
{
	uint64_t off, avail;
	ssize_t got;

	*buf = NULL;
	if (elf_addr_to_offset(ef, addr, &off, &avail) != 0)
		return 1;
	if (len > avail)
		len = avail;
	/* A symbol size or segment from a broken file can be anything; real
	 * functions are far smaller (a longer one is scanned in part and
	 * marked not fully decoded). */
	if (len > MAX_FUNCTION_BYTES)
		len = MAX_FUNCTION_BYTES;
	*buf = malloc(len ? len : 1);
	if (!*buf) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	got = pread(ef->fd, *buf, len, (off_t)off);
	if (got < 0) {
		int e = errno;

		free(*buf);
		*buf = NULL;
		set_err(err, errlen, "%s: read at offset 0x%llx: %s", path, (unsigned long long)off,
			strerror(e));
		return -e;
	}
	*got_len = (size_t)got;
	/* Modulo 2^64: a broken file's offset and address can be anything. */
	*delta = (int64_t)((uint64_t)off - (uint64_t)addr);
	return 0;
}

enum bin_lang symbols_binary_lang(const char *path)
{
	struct elf_file ef;
	enum bin_lang lang;
	char err[256];

	if (elf_file_open(path, path, &ef, err, sizeof(err)))
		return LANG_C;
	lang = elf_binary_lang(ef.elf);
	elf_file_close(&ef);
	return lang;
}

/* The NT_GNU_BUILD_ID note among the PT_NOTE segments, as lowercase hex. */
static int find_build_id(const struct elf_file *ef, char *hex, size_t len)
{
	for (size_t i = 0; i < ef->phnum; i++) {
		const GElf_Phdr *ph = &ef->phdrs[i];
		size_t off = 0, name_off, desc_off;
		Elf_Data *data;
		GElf_Nhdr nh;

		if (ph->p_type != PT_NOTE)
			continue;
		data = elf_getdata_rawchunk(ef->elf, (int64_t)ph->p_offset, ph->p_filesz,
					    ELF_T_NHDR);
		if (!data)
			continue;
		while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
			const uint8_t *desc = (const uint8_t *)data->d_buf + desc_off;

			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
			    memcmp((const char *)data->d_buf + name_off, "GNU", 4))
				continue;
			if (!nh.n_descsz || len < 2 * (size_t)nh.n_descsz + 1)
				return -ENOSPC;
			for (size_t b = 0; b < nh.n_descsz; b++)
				snprintf(hex + 2 * b, 3, "%02x", desc[b]);
			return 0;
		}
	}
	return -ENOENT;
}

int symbols_build_id(const char *path, char *hex, size_t len, char *err, size_t errlen)
{
	struct elf_file ef;
	int ret;

	if (len)
		hex[0] = '\0';
	ret = elf_file_open(path, path, &ef, err, errlen);
	if (ret)
		return ret;
	ret = find_build_id(&ef, hex, len);
	if (ret == -ENOENT)
		set_err(err, errlen, "binary '%s' has no build id", path);
	else if (ret)
		set_err(err, errlen, "binary '%s': build id too long", path);
	elf_file_close(&ef);
	return ret;
}
