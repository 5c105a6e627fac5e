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

/* A jump or call to a fixed address: that address in *to. */
static bool direct_branch(csh cs, const cs_insn *in, uint64_t *to)
{
	const cs_x86 *x = &in->detail->x86;

	if ((!cs_insn_group(cs, in, X86_GRP_JUMP) && !cs_insn_group(cs, in, X86_GRP_CALL)) ||
	    x->op_count != 1 || x->operands[0].type != X86_OP_IMM)
		return false;
	*to = (uint64_t)x->operands[0].imm;
	return true;
}

/* A shifted entry probe (m->skipped) must be where every call starts and
 * no call passes again: any branch into (entry, probe], or one whose target
 * is not known in the body (a jump table), forbids it. */
static void note_prefix_entry(csh cs, const cs_insn *in, struct sym_match *m, uint64_t body)
{
	const cs_x86 *x = &in->detail->x86;
	const cs_x86_op *op = &x->operands[0];
	uint64_t to;

	if (!m->skipped ||
	    (!cs_insn_group(cs, in, X86_GRP_JUMP) && !cs_insn_group(cs, in, X86_GRP_CALL)))
		return;
	if (x->op_count != 1) {
		m->prefix_entered = true;
	} else if (direct_branch(cs, in, &to)) {
		if (to > body && to - body <= m->skipped)
			m->prefix_entered = true;
	} else if (cs_insn_group(cs, in, X86_GRP_JUMP) &&
		   !(op->type == X86_OP_MEM && op->mem.base == X86_REG_RIP &&
		     op->mem.index == X86_REG_INVALID)) {
		/* Through a register or a table: a switch may come back. An
		 * indirect call returns after itself; a jump through a fixed
		 * slot is a tail call. */
		m->prefix_entered = true;
	}
}

bool insn_branches_into(const uint8_t *code, size_t len, uint64_t vaddr, uint64_t lo, uint64_t hi)
{
	csh cs = x86_decoder();
	const uint8_t *p = code;
	uint64_t addr = vaddr;
	size_t left = len;
	bool into = false;
	cs_insn *in;

	if (!cs || !(in = cs_malloc(cs)))
		return true;
	while (left && !into) {
		uint64_t to;

		if (!cs_disasm_iter(cs, &p, &left, &addr, in)) {
			into = true; /* not all seen */
			break;
		}
		into = direct_branch(cs, in, &to) && to > lo && to <= hi;
	}
	cs_free(in, 1);
	return into;
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
		note_prefix_entry(cs, in, m, body);
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
	m->prefix_entered = false;
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

static bool op_is_reg(const cs_x86 *x, int i, x86_reg r)
{
	return x->op_count > i && x->operands[i].type == X86_OP_REG && x->operands[i].reg == r;
}

/* ABI0 (assembly) functions load g first: mov %fs:-8,%r14, or in a PIE
 * mov $-8,%r14 (or its GOT slot, mov X(%rip),%r14); mov %fs:(%r14),%r14.
 * @offset: the first half of the latter was seen. */
static bool is_go_tls_g_load(const cs_insn *in, bool offset)
{
	const cs_x86 *x = &in->detail->x86;
	const cs_x86_op *src = &x->operands[1];

	return in->id == X86_INS_MOV && x->op_count == 2 && op_is_reg(x, 0, X86_REG_R14) &&
	       src->type == X86_OP_MEM && src->mem.segment == X86_REG_FS &&
	       src->mem.index == X86_REG_INVALID &&
	       (src->mem.base == X86_REG_INVALID || (offset && src->mem.base == X86_REG_R14));
}

static bool is_go_tls_offset_load(const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;
	const cs_x86_op *src = &x->operands[1];

	return in->id == X86_INS_MOV && x->op_count == 2 && op_is_reg(x, 0, X86_REG_R14) &&
	       (src->type == X86_OP_IMM ||
		(src->type == X86_OP_MEM && src->mem.segment == X86_REG_INVALID &&
		 src->mem.base == X86_REG_RIP && src->mem.index == X86_REG_INVALID));
}

/*
 * The check's length (0: none); its last jcc's offset and condition.
 * Go 1.19 (cmd/internal/obj/x86 stacksplit), after an optional load of g
 * from TLS (ABI0, is_go_tls_g_load):
 *   frame <= 128 B:   cmp 0x10(%r14),%rsp; jbe L
 *   <= 4 KB:          lea -N(%rsp),%r12; cmp 0x10(%r14),%r12; jbe L
 *   larger:           mov %rsp,%r12; sub $N,%r12; jb L; cmp 0x10(%r14),%r12; jbe L
 * (the jb catches the subtraction wrapping). L calls morestack and jumps
 * back to the entry, so a call passes the last jcc not taken exactly once;
 * a pass that takes the jb never reaches it.
 */
static uint32_t go_stack_check(const uint8_t *code, size_t len, uint64_t vaddr, uint32_t *jcc_at,
			       int *cond)
{
	csh cs = x86_decoder();
	const uint8_t *p = code;
	uint64_t addr = vaddr, wrap_to = 0;
	size_t left = len;
	uint32_t skip = 0;
	x86_reg reg = X86_REG_RSP; /* what the check compares with the bound */
	bool tls = false, tls_offset = false, compared = false;
	int step = 0; /* 0: start, 1: mov %rsp seen, 2: sub seen, 3: ready to compare */
	cs_insn *in;

	if (!cs || !(in = cs_malloc(cs)))
		return 0;
	while (cs_disasm_iter(cs, &p, &left, &addr, in)) {
		const cs_x86 *x = &in->detail->x86;
		const cs_x86_op *op = x->operands;

		if (step == 0 && !tls && !tls_offset && is_go_tls_offset_load(in)) {
			tls_offset = true;
		} else if (step == 0 && !tls && is_go_tls_g_load(in, tls_offset)) {
			tls = true;
		} else if (tls_offset && !tls) {
			break;
		} else if (step == 0 && in->id == X86_INS_LEA && x->op_count == 2 &&
			   op[0].type == X86_OP_REG && op[1].type == X86_OP_MEM &&
			   op[1].mem.base == X86_REG_RSP) {
			reg = op[0].reg; /* lea -N(%rsp),%r12 */
			step = 3;
		} else if (step == 0 && in->id == X86_INS_MOV && x->op_count == 2 &&
			   op[0].type == X86_OP_REG && op_is_reg(x, 1, X86_REG_RSP)) {
			reg = op[0].reg; /* mov %rsp,%r12 */
			step = 1;
		} else if (step == 1 && in->id == X86_INS_SUB && x->op_count == 2 &&
			   op_is_reg(x, 0, reg) && op[1].type == X86_OP_IMM) {
			step = 2; /* sub $N,%r12 */
		} else if (step == 2 && in->id == X86_INS_JB && jcc_condition(in) >= 0) {
			wrap_to = (uint64_t)op[0].imm; /* jb L: it wrapped */
			step = 3;
		} else if ((step == 0 || step == 3) && !compared && in->id == X86_INS_CMP &&
			   x->op_count == 2 && op_is_reg(x, 0, reg) && is_go_stack_bound(&op[1])) {
			compared = true;
		} else if (compared && (in->id == X86_INS_JBE || in->id == X86_INS_JB) &&
			   jcc_condition(in) >= 0 && (!wrap_to || (uint64_t)op[0].imm == wrap_to)) {
			skip = (uint32_t)(addr - vaddr);
			*jcc_at = (uint32_t)(in->address - vaddr);
			*cond = jcc_condition(in);
			break;
		} else {
			break;
		}
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

/* Any width of @r is @full (rsp: rsp, esp, sp, spl). */
static bool reg_is(x86_reg r, x86_reg full)
{
	switch (full) {
	case X86_REG_RSP:
		return r == X86_REG_RSP || r == X86_REG_ESP || r == X86_REG_SP || r == X86_REG_SPL;
	case X86_REG_R14:
		return r == X86_REG_R14 || r == X86_REG_R14D || r == X86_REG_R14W ||
		       r == X86_REG_R14B;
	case X86_REG_RIP:
		return r == X86_REG_RIP || r == X86_REG_EIP || r == X86_REG_IP;
	default:
		return r == full;
	}
}

static bool reg_is_segment(x86_reg r)
{
	return r == X86_REG_CS || r == X86_REG_DS || r == X86_REG_ES || r == X86_REG_FS ||
	       r == X86_REG_GS || r == X86_REG_SS;
}

/*
 * Whether running @in before the entry probe leaves what the probe sees as
 * it was at the entry: no way elsewhere (branch, call, ret, interrupt,
 * syscall, trap), no write to rsp (the entry's stack pointer is the frame's
 * identity), to the stack through rsp (the return address at [rsp] is what
 * a return probe replaces), to a segment register, or (Go, @keep_r14) to
 * r14, the goroutine. What capstone cannot say (no register lists) is not.
 */
static bool insn_keeps_entry(csh cs, const cs_insn *in, bool keep_r14)
{
	static const uint8_t leave_groups[] = {
		X86_GRP_JUMP,	   X86_GRP_CALL, X86_GRP_RET,
		X86_GRP_INT,	   X86_GRP_IRET, X86_GRP_BRANCH_RELATIVE,
		X86_GRP_PRIVILEGE,
	};
	const cs_x86 *x = &in->detail->x86;
	cs_regs rd, wr;
	uint8_t nrd = 0, nwr = 0;

	for (size_t i = 0; i < sizeof(leave_groups); i++)
		if (cs_insn_group(cs, in, leave_groups[i]))
			return false;
	switch (in->id) {
	case X86_INS_SYSCALL:
	case X86_INS_SYSENTER:
	case X86_INS_UD2:
	case X86_INS_UD0:
	case X86_INS_HLT:
	case X86_INS_INT3:
	case X86_INS_XBEGIN:
	case X86_INS_XABORT:
	case X86_INS_XEND:
	case X86_INS_PUSH:
	case X86_INS_PUSHF:
	case X86_INS_PUSHFQ:
	case X86_INS_POP:
	case X86_INS_POPF:
	case X86_INS_POPFQ:
	case X86_INS_ENTER:
	case X86_INS_LEAVE:
	case X86_INS_INVALID:
		return false;
	default:
		break;
	}
	if (cs_regs_access(cs, in, rd, &nrd, wr, &nwr) != CS_ERR_OK)
		return false;
	for (uint8_t i = 0; i < nwr; i++)
		if (reg_is(wr[i], X86_REG_RSP) || reg_is(wr[i], X86_REG_RIP) ||
		    reg_is_segment(wr[i]) || (keep_r14 && reg_is(wr[i], X86_REG_R14)))
			return false;
	for (uint8_t i = 0; i < x->op_count; i++) {
		const cs_x86_op *op = &x->operands[i];

		/* An access capstone leaves unsaid counts as a write. */
		if (op->type == X86_OP_MEM && op->access != CS_AC_READ &&
		    (reg_is(op->mem.base, X86_REG_RSP) || reg_is(op->mem.index, X86_REG_RSP)))
			return false;
	}
	return true;
}

uint32_t entry_probe_site(const uint8_t *code, size_t len, uint64_t vaddr, bool keep_r14,
			  enum entry_kind *kind)
{
	enum entry_kind first = insn_entry_kind(code, len, vaddr);
	csh cs = x86_decoder();
	const uint8_t *p = code;
	uint64_t addr = vaddr;
	size_t left = len;
	uint32_t skip = 0;
	cs_insn *in;

	*kind = first;
	if (first != ENTRY_SINGLE_STEP || !cs || !(in = cs_malloc(cs)))
		return 0;
	/*
	 * The entry block's first instruction the kernel emulates (or
	 * optimizes), past straight-line ones that keep what the probe sees
	 * (endbr64 among them): the probe there sees the same stack pointer,
	 * return address and goroutine, without the single step. Whether
	 * anything jumps into that prefix is symbols.c's check (the whole
	 * function's branches).
	 */
	for (int n = 0; n < ENTRY_SHIFT_MAX_INSNS; n++) {
		enum entry_kind k;

		if (!cs_disasm_iter(cs, &p, &left, &addr, in) ||
		    !insn_keeps_entry(cs, in, keep_r14))
			break;
		if (addr - vaddr > ENTRY_SHIFT_MAX_BYTES)
			break;
		k = insn_entry_kind(p, left, addr);
		if (k != ENTRY_SINGLE_STEP) {
			*kind = k;
			skip = (uint32_t)(addr - vaddr);
			break;
		}
	}
	cs_free(in, 1);
	return skip;
}
