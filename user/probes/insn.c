// SPDX-License-Identifier: MIT
/* x86_64 instructions through capstone: how the kernel runs the one under a
 * uprobe, a function's ways out (ret, tail jumps), Go's stack check. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <capstone/capstone.h>

#include "probes/symbols.h"

#define PAGE_SZ 4096

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


int sym_match_add_site(struct sym_match *m, uint64_t vaddr, int64_t file_delta, int cond,
			bool tail, uint64_t target)
{
	struct ret_site *v = realloc(m->sites, (m->n_sites + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	m->sites = v;
	v[m->n_sites++] = (struct ret_site){
		.offset = vaddr + (uint64_t)file_delta, /* modulo 2^64, as elf_read_code */
		.target = target,
		.cond = (int8_t)cond,
		.tail = tail,
	};
	return 0;
}

/* A general register's slot in struct pt_regs (the order of
 * user_regs_struct), + 1; 0 for any other (rsp, rip, a 32-bit name). */
static uint8_t pt_regs_slot(x86_reg r)
{
	static const x86_reg order[] = {
		X86_REG_R15, X86_REG_R14, X86_REG_R13, X86_REG_R12, X86_REG_RBP,
		X86_REG_RBX, X86_REG_R11, X86_REG_R10, X86_REG_R9,  X86_REG_R8,
		X86_REG_RAX, X86_REG_RCX, X86_REG_RDX, X86_REG_RSI, X86_REG_RDI,
	};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (order[i] == r)
			return (uint8_t)(i + 1);
	return 0;
}

/* How to find where a jump through a register or memory goes, and the
 * function's stretches around it; false for a form not described (a
 * segment prefix, rsp, a displacement past 32 bits). */
static bool describe_jump(const cs_x86_op *op, uint64_t at, uint64_t body, size_t body_len,
			  uint64_t cold, size_t cold_len, struct jump_site *j)
{
	memset(j, 0, sizeof(*j));
	if (op->type == X86_OP_REG) {
		j->base = pt_regs_slot(op->reg);
		if (!j->base)
			return false;
	} else {
		if (op->mem.segment != X86_REG_INVALID || op->mem.disp != (int32_t)op->mem.disp ||
		    op->size != 8)
			return false;
		j->mem = 1;
		j->disp = (int32_t)op->mem.disp;
		if (op->mem.base != X86_REG_INVALID && !(j->base = pt_regs_slot(op->mem.base)))
			return false;
		if (op->mem.index != X86_REG_INVALID) {
			j->index = pt_regs_slot(op->mem.index);
			j->scale = (uint8_t)op->mem.scale;
			if (!j->index)
				return false;
		}
	}
	j->body_lo = (int64_t)(body - at);
	j->body_hi = (int64_t)(body + body_len - at);
	if (cold_len) {
		j->cold_lo = (int64_t)(cold - at);
		j->cold_hi = (int64_t)(cold + cold_len - at);
	}
	return true;
}

/*
 * One stretch of code (the body, or its cold part). A jump is "out" when it
 * lands in neither stretch: a tail call. Indirect jumps through memory at
 * a fixed address (jmp *f@GOTPCREL(%rip)) are tail calls too. Through a
 * register or a table they are switches as often as tail calls: probed,
 * with where to find the target, and the probe decides when it runs (a
 * form it cannot describe is only counted: a call left that way is closed
 * as unfinished by the next probe that sees the stack above it).
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
		struct jump_site jump;
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
			rc = sym_match_add_site(m, in->address, file_delta, -1, false, 0);
		} else if (cs_insn_group(cs, in, X86_GRP_CALL)) {
			m->calls = true;
		} else if (cs_insn_group(cs, in, X86_GRP_JUMP)) {
			const cs_x86_op *op = &x->operands[0];

			if (x->op_count != 1)
				continue;
			if (op->type == X86_OP_IMM) {
				uint64_t to = (uint64_t)op->imm;
				int cond = jcc_condition(in);

				if (addr_in_range(to, body, body_len) || addr_in_range(to, cold, cold_len))
					continue;
				if (in->id != X86_INS_JMP && cond < 0) {
					/* loop/jrcxz out of a function: not a tail call gcc makes */
					m->decoded = false;
					continue;
				}
				m->calls = true;
				rc = sym_match_add_site(m, in->address, file_delta,
						  in->id == X86_INS_JMP ? -1 : cond, true, to);
			} else if (op->type == X86_OP_MEM && op->mem.base == X86_REG_RIP &&
				   op->mem.index == X86_REG_INVALID) {
				m->calls = true;
				rc = sym_match_add_site(m, in->address, file_delta, -1, true, 0);
			} else if (describe_jump(op, in->address, body, body_len, cold, cold_len,
						 &jump)) {
				m->calls = true;
				rc = sym_match_add_site(m, in->address, file_delta, -1, true, 0);
				if (!rc) {
					m->sites[m->n_sites - 1].indirect = true;
					m->sites[m->n_sites - 1].jump = jump;
				}
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

/* The check's length (0: none); its jcc's offset and condition. */
static uint32_t go_stack_check(const uint8_t *code, size_t len, uint64_t vaddr, uint32_t *jcc_at,
			       int *cond)
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
		    jcc_condition(in) >= 0) {
			skip = (uint32_t)(addr - vaddr);
			*jcc_at = (uint32_t)(in->address - vaddr);
			*cond = jcc_condition(in);
		}
		break;
	}
	cs_free(in, 1);
	return skip;
}

uint32_t go_stack_check_len(const uint8_t *code, size_t len, uint64_t vaddr)
{
	uint32_t jcc_at;
	int cond;

	return go_stack_check(code, len, vaddr, &jcc_at, &cond);
}

int go_stack_check_jcc(const uint8_t *code, size_t len, uint64_t vaddr, uint32_t *jcc_at)
{
	int cond = -1;

	*jcc_at = 0;
	if (!go_stack_check(code, len, vaddr, jcc_at, &cond))
		return -1;
	return cond;
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
