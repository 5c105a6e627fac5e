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
#include <capstone/capstone.h>

#include "common/errmsg.h"
#include "probes/demangle.h"
#include "probes/symbols.h"

#define PAGE_SZ 4096
#define MAX_FUNCTION_BYTES (1U << 20)

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

/* One decoder for the process, with operand details. */
static csh x86_decoder(void)
{
	static csh handle;
	static int state; /* 0 untried, 1 open, -1 failed */

	if (!state) {
		state = cs_open(CS_ARCH_X86, CS_MODE_64, &handle) == CS_ERR_OK ? 1 : -1;
		if (state > 0)
			cs_option(handle, CS_OPT_DETAIL, CS_OPT_ON);
	}
	return state > 0 ? handle : 0;
}

static bool insn_has_prefix(const cs_insn *in, uint8_t p)
{
	for (int i = 0; i < 4; i++)
		if (in->detail->x86.prefix[i] == p)
			return true;
	return false;
}

/* Condition code 0-15 of a jcc rel8/rel32 (70+cc, 0f 80+cc), else -1. */
static int jcc_condition(const cs_insn *in)
{
	const uint8_t *op = in->detail->x86.opcode;

	if (op[0] >= 0x70 && op[0] <= 0x7f)
		return op[0] & 0xf;
	if (op[0] == 0x0f && op[1] >= 0x80 && op[1] <= 0x8f)
		return op[1] & 0xf;
	return -1;
}

/* Exactly what branch_setup_xol_ops() emulates: jmp/call rel, jcc. */
static bool is_emulated_branch(const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;

	if (x->op_count != 1 || x->operands[0].type != X86_OP_IMM)
		return false;
	if (in->id == X86_INS_JMP || in->id == X86_INS_CALL)
		return x->opcode[0] == 0xe8 || x->opcode[0] == 0xe9 || x->opcode[0] == 0xeb;
	return jcc_condition(in) >= 0;
}

/*
 * Mirrors arch_uprobe_analyze_insn() of Linux 6.18: branch_setup_xol_ops()
 * (canonical nops, 0x90, jmp/call rel, jcc) and push_setup_xol_ops() (push
 * reg, optionally with REX 0x41) emulate; can_optimize() turns an exact
 * nop5 that does not cross a page into a trampoline call; the rest is
 * single-stepped out of line. What capstone cannot decode whole (truncated
 * input) is single-stepped too.
 */
enum entry_kind insn_entry_kind(const uint8_t *code, size_t len, uint64_t vaddr)
{
	enum entry_kind kind = ENTRY_SINGLE_STEP;
	csh cs = x86_decoder();
	cs_insn *in;

	for (size_t n = 1; n < sizeof(x86_nops) / sizeof(x86_nops[0]); n++) {
		if (len < n || memcmp(code, x86_nops[n], n) != 0)
			continue;
		if (n == 5 && PAGE_SZ - (vaddr & (PAGE_SZ - 1)) >= 5)
			return ENTRY_NOP5;
		return ENTRY_EMULATED;
	}
	if (!cs || cs_disasm(cs, code, len, vaddr, 1, &in) != 1)
		return ENTRY_SINGLE_STEP;
	if (in->id == X86_INS_PUSH && in->detail->x86.op_count == 1 &&
	    in->detail->x86.operands[0].type == X86_OP_REG) {
		/* 1-byte push, or exactly "41 5x" (push %r8..%r15). */
		if (in->size == 1 || (in->size == 2 && code[0] == 0x41))
			kind = ENTRY_EMULATED;
	} else if (in->detail->x86.opcode[0] == 0x90 && !in->detail->x86.rex &&
		   (in->id == X86_INS_NOP || in->id == X86_INS_PAUSE)) {
		kind = ENTRY_EMULATED; /* nop, pause */
	} else if (is_emulated_branch(in) && !insn_has_prefix(in, 0x66)) {
		/* The kernel refuses 66-prefixed branches (the attach fails). */
		kind = ENTRY_EMULATED;
	}
	cs_free(in, 1);
	return kind;
}

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

static bool in_range(uint64_t a, uint64_t start, size_t len)
{
	return a >= start && a - start < len;
}

static int add_ret_site(struct sym_match *m, uint64_t vaddr, int64_t file_delta, int cond,
			bool tail, uint64_t target)
{
	struct ret_site *v = realloc(m->sites, (m->n_sites + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	m->sites = v;
	v[m->n_sites++] = (struct ret_site){
		.offset = (uint64_t)((int64_t)vaddr + file_delta),
		.target = target,
		.cond = (int8_t)cond,
		.tail = tail,
	};
	return 0;
}

/*
 * One stretch of code (the body, or its cold part). A jump is "out" when it
 * lands in neither stretch: a tail call. Indirect jumps through memory at
 * a fixed address (jmp *f@GOTPCREL(%rip)) are tail calls too; through a
 * register or a table they are switches as often as tail calls, so they
 * are only counted: a call left that way is closed as unfinished by the
 * next probe that sees the stack above it.
 */
static int scan_stretch(struct sym_match *m, csh cs, const uint8_t *code, size_t len,
			uint64_t vaddr, uint64_t body, size_t body_len, uint64_t cold,
			size_t cold_len, int64_t file_delta)
{
	const uint8_t *p = code;
	uint64_t addr = vaddr;
	size_t left = len;
	cs_insn *in = cs_malloc(cs);
	int rc = 0;

	if (!in)
		return -ENOMEM;
	while (left && !rc) {
		const cs_x86 *x;

		if (!cs_disasm_iter(cs, &p, &left, &addr, in)) {
			/* Padding after the last instruction decodes as int3 or
			 * nops; anything else undecodable means we do not know
			 * every way out. */
			m->decoded = false;
			break;
		}
		x = &in->detail->x86;
		if (cs_insn_group(cs, in, X86_GRP_RET)) {
			rc = add_ret_site(m, in->address, file_delta, -1, false, 0);
		} else if (cs_insn_group(cs, in, X86_GRP_CALL)) {
			m->calls = true;
		} else if (cs_insn_group(cs, in, X86_GRP_JUMP)) {
			const cs_x86_op *op = &x->operands[0];

			if (x->op_count != 1)
				continue;
			if (op->type == X86_OP_IMM) {
				uint64_t to = (uint64_t)op->imm;
				int cond = jcc_condition(in);

				if (in_range(to, body, body_len) || in_range(to, cold, cold_len))
					continue;
				if (in->id != X86_INS_JMP && cond < 0) {
					/* loop/jrcxz out of a function: not a tail call gcc makes */
					m->decoded = false;
					continue;
				}
				m->calls = true;
				rc = add_ret_site(m, in->address, file_delta,
						  in->id == X86_INS_JMP ? -1 : cond, true, to);
			} else if (op->type == X86_OP_MEM && op->mem.base == X86_REG_RIP &&
				   op->mem.index == X86_REG_INVALID) {
				m->calls = true;
				rc = add_ret_site(m, in->address, file_delta, -1, true, 0);
			} else {
				m->calls = true;
				m->indirect_jumps++;
			}
		}
	}
	cs_free(in, 1);
	return rc;
}

int symbols_scan_function(struct sym_match *m, const uint8_t *code, size_t len, uint64_t vaddr,
			  const uint8_t *cold, size_t cold_len, uint64_t cold_vaddr,
			  int64_t file_delta)
{
	csh cs = x86_decoder();
	int rc;

	free(m->sites);
	m->sites = NULL;
	m->n_sites = 0;
	m->calls = false;
	m->indirect_jumps = 0;
	m->decoded = cs != 0;
	if (!cs)
		return 0;
	if (!cold)
		cold_len = 0;
	rc = scan_stretch(m, cs, code, len, vaddr, vaddr, len, cold_vaddr, cold_len, file_delta);
	if (!rc && cold_len)
		rc = scan_stretch(m, cs, cold, cold_len, cold_vaddr, vaddr, len, cold_vaddr,
				  cold_len, file_delta);
	return rc;
}

static bool is_go_stack_bound(const cs_x86_op *op)
{
	return op->type == X86_OP_MEM && op->mem.base == X86_REG_R14 &&
	       op->mem.index == X86_REG_INVALID && (op->mem.disp == 0x10 || op->mem.disp == 0x18);
}

uint32_t go_stack_check_len(const uint8_t *code, size_t len, uint64_t vaddr)
{
	csh cs = x86_decoder();
	const uint8_t *p = code;
	uint64_t addr = vaddr;
	size_t left = len;
	uint32_t skip = 0;
	x86_reg reg = X86_REG_RSP; /* what the check compares with the bound */
	cs_insn *in;

	if (!cs || !(in = cs_malloc(cs)))
		return 0;
	for (int i = 0; i < 3 && cs_disasm_iter(cs, &p, &left, &addr, in); i++) {
		const cs_x86 *x = &in->detail->x86;

		if (i == 0 && in->id == X86_INS_LEA && x->op_count == 2 &&
		    x->operands[0].type == X86_OP_REG && x->operands[1].type == X86_OP_MEM &&
		    x->operands[1].mem.base == X86_REG_RSP) {
			reg = x->operands[0].reg; /* lea -N(%rsp),%r12 */
			continue;
		}
		if (in->id == X86_INS_CMP && x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
		    x->operands[0].reg == reg && is_go_stack_bound(&x->operands[1]))
			continue;
		if (i > 0 && (in->id == X86_INS_JBE || in->id == X86_INS_JB) &&
		    jcc_condition(in) >= 0)
			skip = (uint32_t)(addr - vaddr);
		break;
	}
	cs_free(in, 1);
	return skip;
}

/* A section by name, or NULL. */
static Elf_Scn *section_named(Elf *elf, const char *want)
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

static enum bin_lang elf_lang(Elf *elf)
{
	enum bin_lang lang = LANG_C;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	if (section_named(elf, ".go.buildinfo") || section_named(elf, ".gopclntab"))
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

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static bool go_pclntab_open(Elf *elf, struct go_pclntab *t)
{
	Elf_Scn *scn = section_named(elf, ".gopclntab"), *text = section_named(elf, ".text");
	Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
	uint32_t magic;
	GElf_Shdr sh;

	memset(t, 0, sizeof(*t));
	if (!d || !d->d_buf || d->d_size < 72)
		return false;
	t->p = d->d_buf;
	t->len = d->d_size;
	magic = rd32(t->p);
	if ((magic != 0xfffffff0 && magic != 0xfffffff1) || t->p[7] != 8)
		return false;
	t->nfunc = rd64(t->p + 8);
	t->text = rd64(t->p + 24);
	t->names = rd64(t->p + 32);
	t->names_end = rd64(t->p + 40); /* the cu table follows the names */
	t->functab = rd64(t->p + 64);
	if (!t->text && text && gelf_getshdr(text, &sh))
		t->text = sh.sh_addr;
	/* nfunc + 1 (entry, func) pairs: the last one only ends the last function. */
	return t->names < t->names_end && t->names_end <= t->len && t->functab < t->len &&
	       t->nfunc < (t->len - t->functab) / 8;
}

static const char *go_name(const struct go_pclntab *t, uint64_t off)
{
	if (t->names + off >= t->names_end)
		return NULL;
	if (!memchr(t->p + t->names + off, '\0', t->names_end - t->names - off))
		return NULL;
	return (const char *)t->p + t->names + off;
}

static int push_cand(struct cand **cands, size_t *ncands, size_t *cap, const char *name,
		     uint64_t addr, uint64_t size)
{
	if (*ncands == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct cand *nc = realloc(*cands, ncap * sizeof(*nc));

		if (!nc)
			return -ENOMEM;
		*cands = nc;
		*cap = ncap;
	}
	(*cands)[*ncands] = (struct cand){ .name = strdup(name),
					   .demangled = strdup(name),
					   .addr = addr,
					   .size = size,
					   .bind = STB_GLOBAL };
	(*ncands)++;
	return (*cands)[*ncands - 1].name && (*cands)[*ncands - 1].demangled ? 0 : -ENOMEM;
}

/* The matching functions of a Go binary without .symtab. */
static int collect_go_cands(const struct go_pclntab *t, const char *glob, struct cand **cands,
			    size_t *ncands)
{
	size_t cap = 0;

	for (uint64_t i = 0; i < t->nfunc; i++) {
		const uint8_t *e = t->p + t->functab + 8 * i;
		uint32_t entry = rd32(e), func = rd32(e + 4), next = rd32(e + 8);
		const char *name;
		int rc;

		if (t->functab + func + 8 > t->len || next <= entry)
			continue;
		name = go_name(t, rd32(t->p + t->functab + func + 4));
		if (!name || fnmatch(glob, name, 0) != 0)
			continue;
		rc = push_cand(cands, ncands, &cap, name, t->text + entry, next - entry);
		if (rc)
			return rc;
	}
	return 0;
}

/* A matching name in the name table with no function of its own: the
 * compiler inlined it everywhere (the inline tree still names it). */
static char *go_inlined_name(const struct go_pclntab *t, const char *glob)
{
	for (uint64_t off = t->names; off < t->names_end;) {
		const char *name = (const char *)t->p + off;
		size_t len = strnlen(name, t->names_end - off);

		if (len && fnmatch(glob, name, 0) == 0)
			return strdup(name);
		off += len + 1;
	}
	return NULL;
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

/* gcc's "f.cold" parts, by name, so each function's scan can take its own. */
struct cold_index {
	struct cand *v; /* name, addr, size */
	size_t n;
};

static int cmp_cand_name(const void *pa, const void *pb)
{
	return strcmp(((const struct cand *)pa)->name, ((const struct cand *)pb)->name);
}

static int build_cold_index(struct elf_file *ef, Elf_Scn *scn, struct cold_index *ci)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	GElf_Shdr sh;
	size_t n, cap = 0;

	memset(ci, 0, sizeof(*ci));
	if (!data || !gelf_getshdr(scn, &sh) || !sh.sh_entsize)
		return 0;
	n = sh.sh_size / sh.sh_entsize;
	for (size_t i = 0; i < n; i++) {
		const char *name;
		GElf_Sym sym;
		size_t len;

		if (!gelf_getsym(data, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    !sym.st_size)
			continue;
		name = elf_strptr(ef->elf, sh.sh_link, sym.st_name);
		if (!name || (len = strlen(name)) < 6 || strcmp(name + len - 5, ".cold"))
			continue;
		if (ci->n == cap) {
			struct cand *v = realloc(ci->v, (cap = cap ? 2 * cap : 64) * sizeof(*v));

			if (!v)
				return -ENOMEM;
			ci->v = v;
		}
		ci->v[ci->n] = (struct cand){ .name = strndup(name, len - 5),
					      .addr = sym.st_value,
					      .size = sym.st_size };
		if (!ci->v[ci->n++].name)
			return -ENOMEM;
	}
	if (ci->n)
		qsort(ci->v, ci->n, sizeof(*ci->v), cmp_cand_name);
	return 0;
}

static const struct cand *cold_part(const struct cold_index *ci, const char *name)
{
	struct cand key = { .name = (char *)name };

	return ci->n ? bsearch(&key, ci->v, ci->n, sizeof(*ci->v), cmp_cand_name) : NULL;
}

/* Every function symbol by address: where a tail call lands. */
struct func_index {
	struct cand *v; /* name (borrowed from the ELF, not owned), addr, size */
	size_t n;
};

static int cmp_cand_addr_only(const void *pa, const void *pb)
{
	const struct cand *a = pa, *b = pb;

	return a->addr < b->addr ? -1 : a->addr > b->addr;
}

static int build_func_index(struct elf_file *ef, Elf_Scn *scn, struct func_index *fi)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	GElf_Shdr sh;
	size_t n, cap = 0;

	memset(fi, 0, sizeof(*fi));
	if (!data || !gelf_getshdr(scn, &sh) || !sh.sh_entsize)
		return 0;
	n = sh.sh_size / sh.sh_entsize;
	for (size_t i = 0; i < n; i++) {
		GElf_Sym sym;

		if (!gelf_getsym(data, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    !sym.st_size || sym.st_shndx == SHN_UNDEF)
			continue;
		if (fi->n == cap) {
			struct cand *v = realloc(fi->v, (cap = cap ? 2 * cap : 256) * sizeof(*v));

			if (!v)
				return -ENOMEM;
			fi->v = v;
		}
		fi->v[fi->n++] = (struct cand){ .name = (char *)elf_strptr(ef->elf, sh.sh_link,
									    sym.st_name),
						.addr = sym.st_value,
						.size = sym.st_size };
	}
	if (fi->n)
		qsort(fi->v, fi->n, sizeof(*fi->v), cmp_cand_addr_only);
	return 0;
}

/* The function that starts exactly at @addr, or NULL. */
static const struct cand *func_at(const struct func_index *fi, uint64_t addr)
{
	struct cand key = { .addr = addr };

	return fi->n ? bsearch(&key, fi->v, fi->n, sizeof(*fi->v), cmp_cand_addr_only) : NULL;
}

/* Read @len bytes of code at @addr into a new buffer; *delta is file
 * offset minus address. 1: not in an executable segment. */
static int read_code(struct elf_file *ef, const char *path, uint64_t addr, uint64_t len,
		     uint8_t **buf, size_t *got_len, int64_t *delta, char *err, size_t errlen)
{
	uint64_t off, avail;
	ssize_t got;

	*buf = NULL;
	if (addr_to_offset(ef, addr, &off, &avail) != 0)
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
	*delta = (int64_t)off - (int64_t)addr;
	return 0;
}

/* Offset, skip and kind of @m's entry probe, and its ways out. */
static int follow_tail_calls(struct elf_file *ef, const char *path, const struct func_index *fi,
			     const struct cold_index *ci, struct sym_match *m, char *err,
			     size_t errlen);

static int locate_entry(struct elf_file *ef, const char *path, enum bin_lang lang,
			const struct cold_index *ci, const struct func_index *fi,
			const struct cand *cold, struct sym_match *m, char *err, size_t errlen)
{
	uint8_t *code = NULL, *cold_code = NULL;
	size_t len = 0, cold_len = 0;
	int64_t delta, cold_delta;
	int rc;

	rc = read_code(ef, path, m->addr, m->size, &code, &len, &delta, err, errlen);
	if (rc)
		return rc; /* 1: not in an executable segment: nothing to probe */
	m->skipped = entry_probe_site(code, len, m->addr, &m->kind);
	if (lang == LANG_GO) {
		uint32_t skip = go_stack_check_len(code, len, m->addr);

		if (skip) {
			m->go_check_skip = skip;
			m->skipped = skip;
			m->kind = insn_entry_kind(code + skip, len - skip, m->addr + skip);
		}
	}
	m->probe_offset = (uint64_t)((int64_t)m->addr + delta) + m->skipped;
	if (cold && read_code(ef, path, cold->addr, cold->size, &cold_code, &cold_len, &cold_delta,
			      err, errlen) != 0)
		cold = NULL; /* scanned without it: m->decoded stays honest below */
	rc = symbols_scan_function(m, code, len, m->addr, cold_code, cold_len,
				   cold ? cold->addr : 0, delta);
	/* The cold part may sit in another segment: its sites need its own delta. */
	if (!rc && cold && cold_delta != delta)
		for (size_t i = 0; i < m->n_sites; i++)
			if (in_range(m->sites[i].offset - (uint64_t)delta, cold->addr, cold_len))
				m->sites[i].offset += (uint64_t)(cold_delta - delta);
	if (len < m->size)
		m->decoded = false;
	free(code);
	free(cold_code);
	if (rc) {
		set_err(err, errlen, "out of memory");
		return rc;
	}
	return follow_tail_calls(ef, path, fi, ci, m, err, errlen);
}

/* Tail calls followed at most this deep (a calls b calls c ...). */
#define TAIL_FOLLOW_DEPTH 3

/*
 * A direct tail call hands the frame to the function it jumps to, and the
 * call ends when that one returns (which is what a return probe sees):
 * replace the jump by that function's own ways out, borrowed. A jump into
 * the middle of a function, or through memory, stays a way out itself.
 */
static int follow_tail_calls(struct elf_file *ef, const char *path, const struct func_index *fi,
			     const struct cold_index *ci, struct sym_match *m, char *err,
			     size_t errlen)
{
	for (size_t i = 0; i < m->n_sites; i++) {
		struct ret_site site = m->sites[i];
		const struct cand *fn, *cold;
		struct sym_match callee = {};
		uint8_t *code = NULL, *cold_code = NULL;
		size_t len = 0, cold_len = 0;
		int64_t delta, cold_delta;
		int rc;

		if (!site.tail || site.handoff || !site.target || site.depth >= TAIL_FOLLOW_DEPTH ||
		    !(fn = func_at(fi, site.target)))
			continue;
		rc = read_code(ef, path, fn->addr, fn->size, &code, &len, &delta, err, errlen);
		if (rc < 0)
			return rc;
		if (rc)
			continue;
		cold = fn->name ? cold_part(ci, fn->name) : NULL;
		if (cold && read_code(ef, path, cold->addr, cold->size, &cold_code, &cold_len,
				      &cold_delta, err, errlen) != 0)
			cold = NULL;
		/* The callee's cold part must be in the same segment to share delta. */
		if (cold && cold_delta != delta) {
			free(cold_code);
			cold_code = NULL;
			cold = NULL;
		}
		rc = symbols_scan_function(&callee, code, len, fn->addr, cold_code, cold_len,
					   cold ? cold->addr : 0, delta);
		free(code);
		free(cold_code);
		if (rc) {
			set_err(err, errlen, "out of memory");
			return rc;
		}
		if (!callee.decoded) {
			free(callee.sites);
			continue; /* keep the jump as the way out */
		}
		m->indirect_jumps += callee.indirect_jumps;
		/* The jump no longer ends the call, it hands the frame over. */
		m->sites[i].handoff = true;
		for (size_t k = 0; k < callee.n_sites; k++) {
			struct ret_site cs = callee.sites[k];
			bool dup = false;

			for (size_t j = 0; j < m->n_sites && !dup; j++)
				dup = m->sites[j].offset == cs.offset;
			if (dup)
				continue;
			cs.borrowed = true;
			cs.depth = (uint8_t)(site.depth + 1);
			/* A conditional tail call only hands over when taken: the
			 * callee's exits then end it; not taken, the caller goes on. */
			rc = add_ret_site(m, 0, 0, cs.cond, cs.tail, cs.target);
			if (rc) {
				free(callee.sites);
				set_err(err, errlen, "out of memory");
				return rc;
			}
			m->sites[m->n_sites - 1] = cs;
		}
		free(callee.sites);
	}
	return 0;
}

enum bin_lang symbols_binary_lang(const char *path)
{
	struct elf_file ef;
	enum bin_lang lang;
	char err[256];

	if (elf_file_open(path, path, &ef, err, sizeof(err)))
		return LANG_C;
	lang = elf_lang(ef.elf);
	elf_file_close(&ef);
	return lang;
}

int symbols_match(const char *path, const char *glob, struct sym_list *out, char *err,
		  size_t errlen)
{
	struct cold_index colds = {};
	struct func_index funcs = {};
	struct go_pclntab gotab = {};
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
	out->lang = elf_lang(ef.elf);
	scn = find_symtab(ef.elf, &out->table, &versym);
	if (out->lang == LANG_GO && go_pclntab_open(ef.elf, &gotab)) {
		if (!scn || strcmp(out->table, ".symtab")) {
			scn = NULL;
			out->table = ".gopclntab";
			ret = collect_go_cands(&gotab, glob, &cands, &ncands);
			if (ret)
				set_err(err, errlen, "out of memory");
		}
	}
	if (scn)
		ret = collect_cands(&ef, scn, versym, glob, out, &cands, &ncands, err, errlen);
	if (!ret && !ncands && out->lang == LANG_GO && gotab.p)
		out->go_inlined = go_inlined_name(&gotab, glob);
	if (ret || !ncands)
		goto cleanup;

	if (scn) {
		ret = build_cold_index(&ef, scn, &colds);
		ret = ret ?: build_func_index(&ef, scn, &funcs);
	}
	if (ret) {
		set_err(err, errlen, "out of memory");
		goto cleanup;
	}
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
		r = locate_entry(&ef, path, out->lang, &colds, &funcs,
				 cold_part(&colds, cands[i].name), m, err, errlen);
		if (r < 0) {
			ret = r;
			free(m->sites);
			memset(m, 0, sizeof(*m));
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
	free_cands(colds.v, colds.n);
	free(funcs.v);
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
		free(l->v[i].sites);
	}
	free(l->v);
	free(l->go_inlined);
	l->go_inlined = NULL;
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
