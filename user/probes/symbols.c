// SPDX-License-Identifier: MIT
/* Function symbols of an ELF file, matched by glob, mapped to uprobe sites. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/errmsg.h"
#include "probes/demangle.h"
#include "probes/symbols.h"

#define CODE_PEEK 16 /* longest x86 instruction is 15 bytes */
#define PAGE_SZ 4096

struct elf_file {
	int fd;
	Elf *elf;
	GElf_Phdr *phdrs;
	size_t phnum;
};

/* A matching symbol before deduplication. */
struct cand {
	char *name;
	char *demangled;
	uint64_t addr;
	uint64_t size;
	int bind;
};


const char *entry_kind_name(enum entry_kind k)
{
	switch (k) {
	case ENTRY_EMULATED:
		return "emulated";
	case ENTRY_NOP5:
		return "nop5";
	case ENTRY_SINGLE_STEP:
		return "single-step";
	}
	return "unknown";
}

/* The kernel's x86_nops[] for 64-bit: since 6.16 branch_setup_xol_ops()
 * emulates exactly these byte sequences, and only nops[5] is optimized. */
static const uint8_t x86_nops[9][8] = {
	[1] = {0x90},
	[2] = {0x66, 0x90},
	[3] = {0x0f, 0x1f, 0x00},
	[4] = {0x0f, 0x1f, 0x40, 0x00},
	[5] = {0x0f, 0x1f, 0x44, 0x00, 0x00},
	[6] = {0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00},
	[7] = {0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00},
	[8] = {0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
};

static bool is_legacy_prefix(uint8_t b)
{
	switch (b) {
	case 0x26: /* es */
	case 0x2e: /* cs */
	case 0x36: /* ss */
	case 0x3e: /* ds, notrack */
	case 0x64: /* fs */
	case 0x65: /* gs */
	case 0x66: /* operand size */
	case 0x67: /* address size */
	case 0xf0: /* lock */
	case 0xf2: /* repne */
	case 0xf3: /* rep */
		return true;
	}
	return false;
}

/*
 * Mirrors arch_uprobe_analyze_insn() of Linux 6.18: branch_setup_xol_ops()
 * (canonical nops, 0x90, jmp/call rel, jcc) and push_setup_xol_ops() (push
 * reg, optionally with REX 0x41) emulate; can_optimize() turns an exact
 * nop5 that does not cross a page into a trampoline call; the rest is
 * single-stepped out of line. Truncated input is treated as unknown, i.e.
 * single-step.
 */
enum entry_kind insn_entry_kind(const uint8_t *code, size_t len, uint64_t vaddr)
{
	size_t i = 0, n, need;
	bool opsize = false, rex = false;
	uint8_t rex_byte = 0, op;

	for (n = 1; n < sizeof(x86_nops) / sizeof(x86_nops[0]); n++) {
		if (len < n || memcmp(code, x86_nops[n], n) != 0)
			continue;
		if (n == 5 && PAGE_SZ - (vaddr & (PAGE_SZ - 1)) >= 5)
			return ENTRY_NOP5;
		return ENTRY_EMULATED;
	}

	while (i < len && is_legacy_prefix(code[i])) {
		if (code[i] == 0x66)
			opsize = true;
		i++;
	}
	if (i < len && (code[i] & 0xf0) == 0x40) {
		rex = true;
		rex_byte = code[i++];
	}
	if (i >= len)
		return ENTRY_SINGLE_STEP;
	op = code[i];

	if (op >= 0x50 && op <= 0x57) {
		/* 1-byte push, or exactly "41 5x" (push %r8..%r15). */
		if (i == 0 || (i == 1 && rex && rex_byte == 0x41))
			return ENTRY_EMULATED;
		return ENTRY_SINGLE_STEP;
	}

	/* The kernel refuses 66-prefixed branches (the attach fails). */
	if (opsize)
		return ENTRY_SINGLE_STEP;
	switch (op) {
	case 0x90: /* nop, pause */
		need = 1;
		break;
	case 0xeb: /* jmp rel8 */
		need = 2;
		break;
	case 0xe8: /* call rel32 */
	case 0xe9: /* jmp rel32 */
		need = 5;
		break;
	case 0x0f: /* jcc rel32 */
		if (i + 1 >= len || (code[i + 1] & 0xf0) != 0x80)
			return ENTRY_SINGLE_STEP;
		need = 6;
		break;
	default:
		if ((op & 0xf0) != 0x70) /* jcc rel8 */
			return ENTRY_SINGLE_STEP;
		need = 2;
		break;
	}
	return len - i >= need ? ENTRY_EMULATED : ENTRY_SINGLE_STEP;
}

uint32_t entry_probe_site(const uint8_t *code, size_t len, uint64_t vaddr, enum entry_kind *kind)
{
	static const uint8_t endbr64[4] = {0xf3, 0x0f, 0x1e, 0xfa};
	enum entry_kind next;

	/* endbr64 only marks a valid indirect-branch target: it touches no
	 * register or stack, so probing the next instruction sees the same
	 * arguments and return address, without the single-step. */
	if (len > sizeof(endbr64) && memcmp(code, endbr64, sizeof(endbr64)) == 0) {
		next = insn_entry_kind(code + 4, len - 4, vaddr + 4);
		if (next != ENTRY_SINGLE_STEP) {
			*kind = next;
			return 4;
		}
	}
	*kind = insn_entry_kind(code, len, vaddr);
	return 0;
}

static void elf_file_close(struct elf_file *ef)
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
static int elf_file_open(const char *path, const char *display, struct elf_file *ef, char *err,
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

/*
 * File offset of code at @addr: uprobes are keyed by (inode, offset). The
 * executable PT_LOAD holding it gives addr - p_vaddr + p_offset, which works
 * alike for ET_EXEC (absolute p_vaddr) and ET_DYN (0-based). *avail is how
 * many bytes of the file follow.
 */
static int addr_to_offset(const struct elf_file *ef, uint64_t addr, uint64_t *off, uint64_t *avail)
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

/* gcc's hot/cold splitting emits "f.cold" (C++: "f() [clone .cold]"):
 * code jumped to from f, never called, so not an entry to probe. */
static bool is_cold_fragment(const char *name)
{
	const char *p = strstr(name, ".cold");

	return p && (p[5] == '\0' || p[5] == '.');
}

/* Returns 1 and sets *demangled on a match, 0 on no match, -ENOMEM. */
static int name_matches(const char *glob, const char *name, char **demangled)
{
	char *dem = NULL, *base = NULL, *plain = NULL;
	const char *at;
	int ret = 0;

	*demangled = NULL;
	dem = demangle(name);
	if (fnmatch(glob, name, 0) == 0) {
		ret = 1;
	} else if ((at = strchr(name, '@')) && at != name) {
		/* Versioned names ("memcpy@@GLIBC_2.14") match as the bare name. */
		plain = strndup(name, (size_t)(at - name));
		if (!plain) {
			ret = -ENOMEM;
			goto cleanup;
		}
		ret = fnmatch(glob, plain, 0) == 0;
	}
	if (!ret && dem) {
		if (fnmatch(glob, dem, 0) == 0) {
			ret = 1;
		} else {
			base = demangle_base_name(dem);
			if (!base) {
				ret = -ENOMEM;
				goto cleanup;
			}
			ret = fnmatch(glob, base, 0) == 0;
		}
	}
	if (ret == 1) {
		*demangled = dem ? dem : strdup(name);
		dem = NULL;
		if (!*demangled)
			ret = -ENOMEM;
	}
cleanup:
	free(dem);
	free(base);
	free(plain);
	return ret;
}

static int bind_rank(int bind)
{
	switch (bind) {
	case STB_GLOBAL:
		return 0;
	case STB_WEAK:
		return 1;
	case STB_LOCAL:
		return 2;
	}
	return 3;
}

static size_t leading_underscores(const char *s)
{
	size_t n = 0;

	while (s[n] == '_')
		n++;
	return n;
}

/* By address, then best alias first: global, fewest leading underscores
 * ("malloc" over "__libc_malloc"), shortest, alphabetical. */
static int cmp_cand_addr(const void *pa, const void *pb)
{
	const struct cand *a = pa, *b = pb;
	size_t ua, ub, la, lb;

	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	if (bind_rank(a->bind) != bind_rank(b->bind))
		return bind_rank(a->bind) - bind_rank(b->bind);
	ua = leading_underscores(a->name);
	ub = leading_underscores(b->name);
	if (ua != ub)
		return ua < ub ? -1 : 1;
	la = strlen(a->name);
	lb = strlen(b->name);
	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a->name, b->name);
}

static int cmp_match_name(const void *pa, const void *pb)
{
	const struct sym_match *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);

	if (c)
		return c;
	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	return 0;
}

static void free_cands(struct cand *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(c[i].name);
		free(c[i].demangled);
	}
	free(c);
}

/*
 * Section headers that lie, checked before looking for symbols in them:
 * libelf shows a table past the end of the file as no sections at all, and
 * garbage as sections of unknown types, and either would be reported as "no
 * symbols". 0, or -ENOEXEC with err set.
 */
static int check_section_headers(const struct elf_file *ef, const char *display, char *err,
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

/* Pick .symtab, or .dynsym for stripped binaries; *versym is the
 * .gnu.version data that goes with .dynsym (NULL if none or unused). */
static Elf_Scn *find_symtab(Elf *elf, const char **table, Elf_Data **versym)
{
	Elf_Scn *scn = NULL, *dyn = NULL, *ver = NULL;
	GElf_Shdr sh;

	*versym = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB) {
			*table = ".symtab";
			return scn;
		}
		if (sh.sh_type == SHT_DYNSYM)
			dyn = scn;
		else if (sh.sh_type == SHT_GNU_versym)
			ver = scn;
	}
	*table = dyn ? ".dynsym" : NULL;
	if (dyn && ver)
		*versym = elf_getdata(ver, NULL);
	return dyn;
}

/*
 * A non-default symbol version ("memcpy@GLIBC_2.2.5" next to the default
 * "memcpy@@GLIBC_2.14") only serves binaries linked against the old ABI;
 * probing it would count nothing for current programs. .symtab spells the
 * version in the name, .dynsym marks it hidden in .gnu.version.
 */
static bool is_hidden_version(const char *name, Elf_Data *versym, size_t idx)
{
	const char *at = strchr(name, '@');
	GElf_Versym vs;

	if (at && at != name && at[1] != '@')
		return true;
	return versym && gelf_getversym(versym, (int)idx, &vs) && (vs & 0x8000);
}

/* Collect the matching function symbols of @scn into *cands. */
static int collect_cands(struct elf_file *ef, Elf_Scn *scn, Elf_Data *versym, const char *glob,
			 struct sym_list *out, struct cand **cands, size_t *ncands, char *err,
			 size_t errlen)
{
	size_t cap = 0, i, nsyms;
	Elf_Data *data;
	GElf_Shdr sh;

	if (!gelf_getshdr(scn, &sh) || !sh.sh_entsize || !(data = elf_getdata(scn, NULL))) {
		set_err(err, errlen, "bad symbol table: %s", elf_errmsg(-1));
		return -ENOEXEC;
	}
	nsyms = sh.sh_size / sh.sh_entsize;
	for (i = 0; i < nsyms; i++) {
		char *demangled = NULL;
		const char *name;
		GElf_Sym sym;
		int type, ret;

		if (!gelf_getsym(data, (int)i, &sym))
			continue;
		type = GELF_ST_TYPE(sym.st_info);
		if (type != STT_FUNC && type != STT_GNU_IFUNC)
			continue;
		if (sym.st_size == 0 || sym.st_shndx == SHN_UNDEF ||
		    (sym.st_shndx >= SHN_LORESERVE && sym.st_shndx != SHN_XINDEX))
			continue;
		name = elf_strptr(ef->elf, sh.sh_link, sym.st_name);
		if (!name || !*name || is_cold_fragment(name) || is_hidden_version(name, versym, i))
			continue;
		ret = name_matches(glob, name, &demangled);
		if (ret < 0) {
			set_err(err, errlen, "out of memory");
			return ret;
		}
		if (!ret)
			continue;
		if (type == STT_GNU_IFUNC) {
			out->n_ifunc++;
			free(demangled);
			continue;
		}
		if (*ncands == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct cand *nc = realloc(*cands, ncap * sizeof(*nc));

			if (!nc) {
				free(demangled);
				set_err(err, errlen, "out of memory");
				return -ENOMEM;
			}
			*cands = nc;
			cap = ncap;
		}
		(*cands)[*ncands] = (struct cand){
			.name = strdup(name),
			.demangled = demangled,
			.addr = sym.st_value,
			.size = sym.st_size,
			.bind = GELF_ST_BIND(sym.st_info),
		};
		(*ncands)++;
		if (!(*cands)[*ncands - 1].name) {
			set_err(err, errlen, "out of memory");
			return -ENOMEM;
		}
	}
	return 0;
}

/* Fill offset, skip and kind of @m from the function's first bytes. */
static int locate_entry(struct elf_file *ef, const char *path, struct sym_match *m, char *err,
			size_t errlen)
{
	uint8_t code[CODE_PEEK];
	uint64_t off, avail;
	size_t want;
	ssize_t got;

	if (addr_to_offset(ef, m->addr, &off, &avail) != 0)
		return 1; /* not in an executable segment: nothing to probe */
	want = sizeof(code);
	if (want > m->size)
		want = m->size;
	if (want > avail)
		want = avail;
	got = pread(ef->fd, code, want, (off_t)off);
	if (got < 0) {
		int e = errno;

		set_err(err, errlen, "%s: read at offset 0x%llx: %s", path, (unsigned long long)off,
			strerror(e));
		return -e;
	}
	m->skipped = entry_probe_site(code, (size_t)got, m->addr, &m->kind);
	m->probe_offset = off + m->skipped;
	return 0;
}

int symbols_match(const char *path, const char *glob, struct sym_list *out, char *err,
		  size_t errlen)
{
	struct cand *cands = NULL;
	size_t ncands = 0, i, nuniq;
	Elf_Data *versym;
	struct elf_file ef;
	Elf_Scn *scn;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!glob || !*glob) {
		set_err(err, errlen, "empty function pattern");
		return -EINVAL;
	}
	ret = elf_file_open(path, path, &ef, err, errlen);
	if (ret)
		return ret;

	ret = check_section_headers(&ef, path, err, errlen);
	if (ret)
		goto cleanup;
	scn = find_symtab(ef.elf, &out->table, &versym);
	if (!scn)
		goto cleanup;
	ret = collect_cands(&ef, scn, versym, glob, out, &cands, &ncands, err, errlen);
	if (ret || !ncands)
		goto cleanup;

	/* Aliases share an address; keep the best-named one. */
	qsort(cands, ncands, sizeof(*cands), cmp_cand_addr);
	for (i = 0, nuniq = 0; i < ncands; i++)
		nuniq += i == 0 || cands[i].addr != cands[i - 1].addr;
	out->v = calloc(nuniq, sizeof(*out->v));
	if (!out->v) {
		set_err(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < ncands; i++) {
		struct sym_match *m = &out->v[out->n];
		int r;

		if (i > 0 && cands[i].addr == cands[i - 1].addr)
			continue;
		m->addr = cands[i].addr;
		m->size = cands[i].size;
		m->weak = cands[i].bind == STB_WEAK;
		r = locate_entry(&ef, path, m, err, errlen);
		if (r < 0) {
			ret = r;
			goto cleanup;
		}
		if (r > 0)
			continue;
		/* Move the strings; the candidate no longer owns them. */
		m->name = cands[i].name;
		m->demangled = cands[i].demangled;
		cands[i].name = NULL;
		cands[i].demangled = NULL;
		out->n++;
	}
	qsort(out->v, out->n, sizeof(*out->v), cmp_match_name);

cleanup:
	free_cands(cands, ncands);
	elf_file_close(&ef);
	if (ret)
		sym_list_free(out);
	return ret;
}

void sym_list_free(struct sym_list *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].demangled);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
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
