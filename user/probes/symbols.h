/* SPDX-License-Identifier: MIT */
/*
 * ELF function symbols -> uprobe sites (file offset + how the entry runs,
 * and the function's ways out). Matching is in symbols.c, instructions
 * (capstone) in insn.c, the file itself in elf_file.c, Go's function table
 * in gopclntab.c.
 */
#ifndef BPFPROF_SYMBOLS_H
#define BPFPROF_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfprof.h"

/*
 * How the x86_64 kernel (6.18) executes the instruction under a uprobe.
 * Per entry+return on this VM: EMULATED ~0.9 us, NOP5 ~0.26 us,
 * SINGLE_STEP ~18 us.
 */
enum entry_kind {
	ENTRY_EMULATED,	   /* push reg, nop, jmp/call rel, jcc: done in the trap handler */
	ENTRY_NOP5,	   /* 0f 1f 44 00 00: rewritten into a call to the uprobe trampoline */
	ENTRY_SINGLE_STEP, /* everything else: copied out of line and single-stepped */
};

/* The language a binary was written in, as far as how it unwinds matters. */
enum bin_lang {
	LANG_C,	   /* nothing walks the stack through a return address */
	LANG_CXX,  /* exceptions unwind through return addresses */
	LANG_RUST, /* panics unwind like C++ exceptions */
	LANG_GO,   /* the runtime walks and copies goroutine stacks */
};

const char *bin_lang_name(enum bin_lang l);

/* A place where a function leaves: a uprobe there sees the stack pointer
 * the entry saw (the return address on top). */
struct ret_site {
	uint64_t offset; /* file offset */
	uint64_t target; /* tail: the address jumped to; 0 when not known (through memory) */
	int8_t cond;	 /* -1: always leaves; 0-15: a jcc that leaves when its condition holds */
	bool tail;	 /* a jump into another function rather than a ret */
	/* A way out of a function this one tail-calls (directly): the call
	 * ends when that function returns, as a return probe would see it.
	 * The function runs for other callers too, where it matches nothing. */
	bool borrowed;
	/* A direct tail call that was followed: it does not end the call, the
	 * function jumped to takes its frame over (its ways out are borrowed). */
	bool handoff;
	uint8_t depth; /* tail calls followed to get here */
	/* A jump through a register or memory: whether it leaves is decided
	 * when it runs, from `jump` (bpfprof.h). */
	bool indirect;
	struct jump_site jump;
};

struct sym_match {
	char *name;	       /* symbol as in the ELF (mangled for C++) */
	char *demangled;       /* demangled name (copy of name for C) */
	uint64_t addr;	       /* st_value */
	uint64_t size;	       /* st_size */
	uint64_t probe_offset; /* file offset to attach the uprobe at */
	uint32_t skipped;      /* entry to probe: entry_probe_site, or Go's check */
	enum entry_kind kind;  /* how the kernel will execute the probed instruction */
	enum entry_kind entry_kind; /* the same for the function's first instruction */
	int weak;	       /* STB_WEAK binding */
	/* Found by disassembling the function and its gcc ".cold" part. */
	struct ret_site *sites; /* every ret and every jump out of the function */
	size_t n_sites;
	bool calls;		 /* a call, or a jump out: something runs above its frame */
	bool decoded;		 /* the whole body decoded, so sites is complete */
	uint32_t indirect_jumps; /* jmp *%reg: switch tables, or tail calls not probed */
	/* A branch lands in the first m->skipped bytes (past the entry) or
	 * may (a jump table): the probe cannot be moved there. */
	bool prefix_entered;
	/* Go: probe_offset/kind are past the stack-growth check (its length in
	 * skipped); the check's jcc is another entry probe site, emulated. */
	uint32_t go_check_jcc;	     /* the check's jcc, from the entry (go_stack_check_jcc) */
	int go_check_cond;	     /* its condition code; -1: no check */
	enum entry_kind go_check_kind; /* how the kernel runs the jcc */
};

struct sym_list {
	struct sym_match *v;
	size_t n;
	/* ".symtab", ".dynsym" (stripped binary) or NULL (no symbols at all). */
	const char *table;
	/* Matching STT_GNU_IFUNC symbols left out: their address is the
	 * resolver, which runs once at load time, not the implementation. */
	size_t n_ifunc;
	enum bin_lang lang;
	/* Go: a matching name the compiler inlined into its callers and kept
	 * no function for (only when nothing else matched); NULL if none. */
	char *go_inlined;
	/* A stripped binary's .symtab read from its separate debug file
	 * (probes/debuginfo.h): that file, and how it was found. */
	char *debug_file;
	const char *debug_origin;
};

/*
 * All STT_FUNC symbols with nonzero size and a defined section in @path whose
 * (Go binaries stripped of .symtab: the functions of .gopclntab, table
 * ".gopclntab"; when nothing matches, a matching name that was inlined
 * everywhere is in go_inlined)
 * raw name, demangled name or demangled name without parameters
 * ("ns::Klass::run") matches the fnmatch(3) pattern @glob. Reads .symtab, or
 * .dynsym when the binary is stripped. One entry per address (aliases
 * collapse to the global, least-underscored name); gcc's ".cold" fragments
 * and non-default symbol versions ("memcpy@GLIBC_2.2.5") are skipped, a
 * "name@@VERSION" matches as "name". Sorted by name. A binary without
 * .symtab takes it from its separate debug file when one is found; one of
 * another build, or a debuginfod server that fails, is an error.
 * Returns 0 (n == 0 when nothing matches) or -errno with a message in @err.
 */
int symbols_match(const char *path, const char *glob, struct sym_list *out, char *err,
		  size_t errlen);
void sym_list_free(struct sym_list *l);

const char *entry_kind_name(enum entry_kind k);

/*
 * The language of @path, from its markers: Go (.go.buildinfo, .gopclntab),
 * Rust (rust_eh_personality, __rust_* symbols), C++ (__gxx_personality_v0,
 * defined or imported); C otherwise. LANG_C when it cannot be read.
 */
enum bin_lang symbols_binary_lang(const char *path);

/*
 * Disassemble the function at @vaddr (@len bytes of @code; @cold/@cold_len
 * its gcc ".cold" part at @cold_vaddr, or NULL) and fill m->sites (their
 * offsets as vaddr + @file_delta), m->calls, m->decoded and
 * m->indirect_jumps. 0 or -ENOMEM.
 */
/* One more way out in m->sites (the scan adds the function's own; symbols.c
 * the ones it borrows from a tail-called function). 0 or -ENOMEM. */
int sym_match_add_site(struct sym_match *m, uint64_t vaddr, int64_t file_delta, int cond,
		       bool tail, uint64_t target);

/* Where a probe that reads the arguments goes (the Go scheduler's): past
 * Go's stack check, which only compares, but not past a straight-line start
 * entry_probe_site skipped, which may have moved them. */
static inline uint64_t sym_match_args_offset(const struct sym_match *m)
{
	return m->go_check_cond >= 0 ? m->probe_offset : m->probe_offset - m->skipped;
}

static inline bool addr_in_range(uint64_t a, uint64_t start, size_t len)
{
	return a >= start && a - start < len;
}

int symbols_scan_function(struct sym_match *m, const uint8_t *code, size_t len, uint64_t vaddr,
			  const uint8_t *cold, size_t cold_len, uint64_t cold_vaddr,
			  int64_t file_delta);

/*
 * Go (amd64, Go >= 1.17) functions start with a stack-growth check: "cmp
 * 0x10(%r14),%rsp; jbe morestack"; for frames up to 4 KB "lea -N(%rsp),%r12;
 * cmp 0x10(%r14),%r12; jbe"; above, "mov %rsp,%r12; sub $N,%r12; jb; cmp
 * 0x10(%r14),%r12; jbe" (both jumps to morestack); in assembly (ABI0)
 * functions after "mov %fs:-8,%r14" (in a PIE: "mov $-8,%r14; mov
 * %fs:(%r14),%r14"). After growing the stack, morestack
 * jumps back to the function's first instruction, so a probe there fires
 * twice for one call. Returns how many bytes the check takes (0: none): a
 * return-probe stage's entry goes after it; a per-goroutine stage's goes on
 * its last jcc (go_stack_check_jcc), which a call passes not taken once.
 */
uint32_t go_stack_check_len(const uint8_t *code, size_t len, uint64_t vaddr);
/* The same check's last jbe/jb: its offset from @vaddr in *jcc_at and its
 * condition code (0-15) returned; -1 when there is no check. A probe on
 * it is emulated (no single-step) and sees the arguments; when the jump
 * is taken, morestack runs and the function starts again. */
int go_stack_check_jcc(const uint8_t *code, size_t len, uint64_t vaddr, uint32_t *jcc_at);

/*
 * Classify the instruction at the start of @code (@len bytes available,
 * @vaddr its address: a nop5 that crosses a page cannot be optimized).
 */
enum entry_kind insn_entry_kind(const uint8_t *code, size_t len, uint64_t vaddr);

/* Whether a direct jump or call in @code (@len bytes at @vaddr) lands in
 * (@lo, @hi]; true too when part of it does not decode. */
bool insn_branches_into(const uint8_t *code, size_t len, uint64_t vaddr, uint64_t lo, uint64_t hi);

/* The longest straight-line prefix an entry probe moves past. */
#define ENTRY_SHIFT_MAX_INSNS 6
#define ENTRY_SHIFT_MAX_BYTES 32

/*
 * Where to put the uprobe for a function whose first @len bytes are @code:
 * when its first instruction would be single-stepped, the first one of its
 * straight-line start the kernel emulates or optimizes, if every one before
 * it (at most ENTRY_SHIFT_MAX_INSNS, ENTRY_SHIFT_MAX_BYTES) keeps rsp, the
 * stack at rsp and, with @keep_r14 (Go), r14. Returns the bytes to skip (4
 * past an endbr64; 0 when no such instruction) and stores the kind of the
 * probed instruction in @kind. The caller must still check that no branch
 * lands in the skipped bytes or on the probed instruction.
 */
uint32_t entry_probe_site(const uint8_t *code, size_t len, uint64_t vaddr, bool keep_r14,
			  enum entry_kind *kind);

/*
 * Check that @path is a readable 64-bit x86_64 ELF executable or shared
 * object. Messages name @display (the path as the user knows it).
 * Returns 0 or -errno (-ENOENT, -EISDIR, -ENOEXEC, ...).
 */
int symbols_check_elf(const char *path, const char *display, char *err, size_t errlen);

/* The dynamic loader @path names (PT_INTERP) into interp: 1; 0 when it has
 * none (static); -errno with err set. */
int symbols_elf_interp(const char *path, char *interp, size_t len, char *err, size_t errlen);

/*
 * The GNU build id of the ELF file at @path (its NT_GNU_BUILD_ID note), as
 * lowercase hex in @hex (41 bytes hold a SHA-1 id). Returns 0, -ENOENT when
 * the file has no build id, or another -errno; @err says which.
 */
int symbols_build_id(const char *path, char *hex, size_t len, char *err, size_t errlen);

#endif
