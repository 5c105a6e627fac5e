// SPDX-License-Identifier: MIT
/*
 * Unit: how a function's ways out are found (capstone over known bytes),
 * which return mechanism each language gets, Go's stack-growth check, and
 * Rust demangling through libiberty.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lib/helper.h"
#include "probes/demangle.h"
#include "probes/go_runtime.h"
#include "probes/stages.h"
#include "probes/symbols.h"

#define BASE 0x1000
#define DELTA (-0x1000) /* file offset = vaddr - 0x1000 */

static void scan(struct sym_match *m, const uint8_t *code, size_t len)
{
	memset(m, 0, sizeof(*m));
	assert_int_equal(symbols_scan_function(m, code, len, BASE, NULL, 0, 0, DELTA), 0);
}

/* push; pop; ret: a leaf with one ret. */
static void test_leaf(void **state)
{
	static const uint8_t code[] = { 0x55, 0x5d, 0xc3 };
	struct sym_match m;

	scan(&m, code, sizeof(code));
	assert_true(m.decoded);
	assert_false(m.calls);
	assert_int_equal(m.n_sites, 1);
	assert_int_equal(m.sites[0].offset, 2);
	assert_int_equal(m.sites[0].cond, -1);
	assert_false(m.sites[0].tail);
	free(m.sites);
}

/* A call, an early ret behind a jcc inside the function, a tail jmp out,
 * a conditional tail call (jne out) and a jmp through the GOT. */
static void test_calls_and_tails(void **state)
{
	static const uint8_t code[] = {
		0xe8, 0x00, 0x00, 0x00, 0x00,	    /* 0: call (next insn) */
		0x74, 0x01,			    /* 5: je 8 (inside) */
		0xc3,				    /* 7: ret */
		0x0f, 0x85, 0x00, 0x10, 0x00, 0x00, /* 8: jne far out: conditional tail call */
		0xff, 0x25, 0x00, 0x00, 0x00, 0x00, /* 14: jmp *0(%rip): GOT tail call */
		0xe9, 0x00, 0x20, 0x00, 0x00,	    /* 20: jmp far out: tail call */
	};
	struct sym_match m;

	scan(&m, code, sizeof(code));
	assert_true(m.decoded);
	assert_true(m.calls);
	assert_int_equal(m.n_sites, 4);
	assert_int_equal(m.sites[0].offset, 7);
	assert_false(m.sites[0].tail);
	assert_int_equal(m.sites[1].offset, 8);
	assert_int_equal(m.sites[1].cond, 5); /* jne: condition code 5 */
	assert_true(m.sites[1].tail);
	assert_int_equal(m.sites[2].offset, 14);
	assert_int_equal(m.sites[2].cond, -1);
	assert_int_equal(m.sites[3].offset, 20);
	assert_true(m.sites[3].tail);
	free(m.sites);
}

/* Jumps through a register or memory: probed, with where the target is
 * and the function's stretch around each, for the probe to decide as it
 * runs (a switch stays inside, a tail call leaves); a segment-prefixed
 * one is not described, only counted. Neither is a leaf. */
static void test_indirect_jump(void **state)
{
	static const uint8_t code[] = {
		0xff, 0xe0,				  /* 0: jmp *%rax */
		0xff, 0x24, 0xc5, 0x10, 0x20, 0x40, 0x00, /* 2: jmp *0x402010(,%rax,8) */
		0x41, 0xff, 0x63, 0x08,			  /* 9: jmp *0x8(%r11) */
		0x64, 0xff, 0x20,			  /* 13: jmp *%fs:(%rax) */
		0xc3,					  /* 16: ret */
	};
	struct sym_match m;

	scan(&m, code, sizeof(code));
	assert_true(m.decoded);
	assert_true(m.calls);
	assert_int_equal(m.indirect_jumps, 1);
	assert_int_equal(m.n_sites, 4);
	assert_true(m.sites[0].indirect && m.sites[0].tail);
	assert_int_equal(m.sites[0].offset, 0);
	assert_int_equal(m.sites[0].jump.base, 11); /* rax: pt_regs slot 10 */
	assert_false(m.sites[0].jump.mem);
	assert_int_equal(m.sites[0].jump.body_lo, 0);
	assert_int_equal(m.sites[0].jump.body_hi, sizeof(code));
	assert_int_equal(m.sites[0].jump.cold_lo, m.sites[0].jump.cold_hi);
	assert_true(m.sites[1].indirect && m.sites[1].jump.mem);
	assert_int_equal(m.sites[1].jump.base, 0);
	assert_int_equal(m.sites[1].jump.index, 11);
	assert_int_equal(m.sites[1].jump.scale, 8);
	assert_int_equal(m.sites[1].jump.disp, 0x402010);
	assert_int_equal(m.sites[1].jump.body_lo, -2);
	assert_true(m.sites[2].indirect && m.sites[2].jump.mem);
	assert_int_equal(m.sites[2].jump.base, 7); /* r11: slot 6 */
	assert_int_equal(m.sites[2].jump.index, 0);
	assert_int_equal(m.sites[2].jump.disp, 8);
	assert_int_equal(m.sites[2].jump.body_hi, sizeof(code) - 9);
	assert_false(m.sites[3].indirect);
	assert_int_equal(m.sites[3].offset, 16);
	free(m.sites);
}

/* A jump into the function's .cold part is not a way out; its ret is. */
static void test_cold_part(void **state)
{
	static const uint8_t body[] = { 0x0f, 0x84, 0xfa, 0x0f, 0x00, 0x00, /* je 0x2000 */
					0xc3 };
	static const uint8_t cold[] = { 0x90, 0xc3 };
	struct sym_match m = {};

	assert_int_equal(symbols_scan_function(&m, body, sizeof(body), BASE, cold, sizeof(cold),
					       0x2000, DELTA),
			 0);
	assert_true(m.decoded);
	assert_false(m.calls);
	assert_int_equal(m.n_sites, 2);
	assert_int_equal(m.sites[0].offset, 6);
	assert_int_equal(m.sites[1].offset, 0x1001);
	free(m.sites);
}

static void test_undecodable(void **state)
{
	static const uint8_t code[] = { 0x55, 0x0f }; /* push; a truncated 2-byte opcode */
	struct sym_match m;

	scan(&m, code, sizeof(code));
	assert_false(m.decoded);
	free(m.sites);
}

static void test_pick_return(void **state)
{
	struct sym_match leaf = { .decoded = true }, caller = { .decoded = true, .calls = true };

	assert_int_equal(stages_pick_return(RETURNS_AUTO, LANG_C, &caller), RET_PROBE);
	assert_int_equal(stages_pick_return(RETURNS_AUTO, LANG_CXX, &leaf), RET_PROBE);
	assert_int_equal(stages_pick_return(RETURNS_AUTO, LANG_CXX, &caller), RET_SITES);
	assert_int_equal(stages_pick_return(RETURNS_AUTO, LANG_RUST, &leaf), RET_PROBE);
	assert_int_equal(stages_pick_return(RETURNS_AUTO, LANG_RUST, &caller), RET_SITES);
	assert_int_equal(stages_pick_return(RETURNS_AUTO, LANG_GO, &leaf), RET_SITES);
	assert_int_equal(stages_pick_return(RETURNS_SAFE, LANG_C, &leaf), RET_SITES);
	assert_int_equal(stages_pick_return(RETURNS_FAST, LANG_GO, &caller), RET_PROBE);
	leaf.decoded = false; /* a leaf we could not read whole is not known to be one */
	assert_int_equal(stages_pick_return(RETURNS_AUTO, LANG_CXX, &leaf), RET_SITES);
}

static const struct stage_def *stage_named(const struct stage_table *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].name, name))
			return &t->v[i];
	fail_msg("no stage %s", name);
	return NULL;
}

/* tests/targets/jmponly_target.c and shift_target.c: a function whose
 * entry probe's instruction is also a way out keeps that way out on the
 * entry (one probe), not among the sites (a second probe there). */
static void test_exit_at_entry(void **state)
{
	const char *spec[] = { "jo_*" }, *shift[] = { "shift_tail" };
	char path[256], err[256];
	struct stage_table t;
	const struct stage_def *d;

	helper_path(path, sizeof(path), "targets/jmponly_target");
	assert_int_equal(
		stages_resolve(spec, 1, 0, path, RETURNS_SAFE, NULL, &t, NULL, err, sizeof(err)),
		0);
	d = stage_named(&t, "jo_ret"); /* ret */
	assert_true(d->exits_at_entry);
	assert_false(d->entry_site.tail);
	assert_int_equal(d->n_sites, 0);
	d = stage_named(&t, "jo_ptr"); /* jmp *jo_ptr_to(%rip): always out */
	assert_true(d->exits_at_entry);
	assert_true(d->entry_site.tail);
	assert_false(d->entry_site.indirect);
	assert_int_equal(d->n_sites, 0);
	d = stage_named(&t, "jo_reg"); /* jmp *%rdi: read where it lands */
	assert_true(d->exits_at_entry);
	assert_true(d->entry_site.indirect);
	assert_int_equal(d->n_sites, 0);
	d = stage_named(&t, "jo_jmp"); /* jmp jo_callee: followed, jo_callee's ret borrowed */
	assert_true(d->exits_at_entry);
	assert_true(d->entry_site.handoff);
	assert_int_equal(d->n_sites, 1);
	assert_true(d->sites[0].borrowed);
	assert_int_equal(d->sites[0].offset, stage_named(&t, "jo_callee")->sites[0].offset);
	assert_false(stage_named(&t, "jo_callee")->exits_at_entry);
	assert_false(stage_named(&t, "jo_parent")->exits_at_entry);
	stage_table_free(&t);
	/* A return probe needs nothing of it. */
	assert_int_equal(
		stages_resolve(spec, 1, 0, path, RETURNS_FAST, NULL, &t, NULL, err, sizeof(err)),
		0);
	assert_false(stage_named(&t, "jo_ret")->exits_at_entry);
	stage_table_free(&t);
	/* xor; jmp shift_mov_test: the probe moved onto the jmp stays there. */
	helper_path(path, sizeof(path), "targets/shift_target");
	assert_int_equal(
		stages_resolve(shift, 1, 0, path, RETURNS_SAFE, NULL, &t, NULL, err, sizeof(err)),
		0);
	assert_int_equal(t.v[0].skipped, 2);
	assert_int_equal(t.v[0].kind, ENTRY_EMULATED);
	assert_true(t.v[0].exits_at_entry);
	assert_true(t.v[0].entry_site.handoff);
	stage_table_free(&t);
}

static void test_returns_mode_parse(void **state)
{
	enum returns_mode m;

	assert_int_equal(returns_mode_parse("auto", &m), 0);
	assert_int_equal(m, RETURNS_AUTO);
	assert_int_equal(returns_mode_parse("safe", &m), 0);
	assert_int_equal(m, RETURNS_SAFE);
	assert_int_equal(returns_mode_parse("fast", &m), 0);
	assert_int_equal(m, RETURNS_FAST);
	assert_int_equal(returns_mode_parse("Fast", &m), -EINVAL);
	assert_int_equal(returns_mode_parse("", &m), -EINVAL);
}

/* Go 1.19 prologues: small frames compare %rsp, larger ones %r12 (from a
 * lea up to 4 KB; above, from a mov and a sub whose wrap a jb catches). */
static void test_go_stack_check(void **state)
{
	static const uint8_t small[] = {
		0x49, 0x3b, 0x66, 0x10, /* cmp 0x10(%r14),%rsp */
		0x76, 0x20,		/* jbe morestack */
		0x48, 0x83, 0xec, 0x18, /* sub $0x18,%rsp */
	};
	static const uint8_t large[] = {
		0x4c, 0x8d, 0xa4, 0x24, 0x00, 0xfe, 0xff, 0xff, /* lea -0x200(%rsp),%r12 */
		0x4d, 0x3b, 0x66, 0x10,				/* cmp 0x10(%r14),%r12 */
		0x0f, 0x86, 0x00, 0x01, 0x00, 0x00,		/* jbe morestack */
		0x55,
	};
	static const uint8_t none[] = { 0x48, 0x83, 0xec, 0x18, 0xc3 };

	assert_int_equal(go_stack_check_len(small, sizeof(small), BASE), 6);
	assert_int_equal(go_stack_check_len(large, sizeof(large), BASE), 18);
	assert_int_equal(go_stack_check_len(none, sizeof(none), BASE), 0);
}

/* Frames above StackBig (4 KB), as Go 1.19 builds main.big of
 * tests/targets/go_bigframe.go: both jumps go to the morestack call. */
static const uint8_t go_big_frame[] = {
	0x49, 0x89, 0xe4,			  /* mov %rsp,%r12 */
	0x49, 0x81, 0xec, 0x98, 0xff, 0x03, 0x00, /* sub $0x3ff98,%r12 */
	0x0f, 0x82, 0xd8, 0x00, 0x00, 0x00,	  /* jb +0xe8 */
	0x4d, 0x3b, 0x66, 0x10,			  /* cmp 0x10(%r14),%r12 */
	0x0f, 0x86, 0xce, 0x00, 0x00, 0x00,	  /* jbe +0xe8 */
	0x48, 0x81, 0xec, 0x18, 0x00, 0x04, 0x00, /* sub $0x40018,%rsp */
};

/* The probe goes on the jbe: a pass that takes the jb restarts without
 * reaching it, one that takes it is told by its flags; the jb (10 bytes
 * in), which every pass reaches, would count a restarted call twice. */
static void test_go_stack_check_big_frame(void **state)
{
	/* A short body: the jb is rel8 (runtime.getproccount in gofmt). */
	static const uint8_t short_jb[] = {
		0x49, 0x89, 0xe4,			  /* mov %rsp,%r12 */
		0x49, 0x81, 0xec, 0x88, 0x0f, 0x00, 0x00, /* sub $0xf88,%r12 */
		0x72, 0x46,				  /* jb L (+0x52) */
		0x4d, 0x3b, 0x66, 0x10,			  /* cmp 0x10(%r14),%r12 */
		0x76, 0x40,				  /* jbe: the same L */
		0x48, 0x81, 0xec, 0x08, 0x10, 0x00, 0x00, /* sub $0x1008,%rsp */
	};
	uint32_t at;
	enum entry_kind k;

	assert_int_equal(go_stack_check_len(go_big_frame, sizeof(go_big_frame), BASE), 26);
	assert_int_equal(go_stack_check_jcc(go_big_frame, sizeof(go_big_frame), BASE, &at), 6);
	assert_int_equal(at, 20);
	assert_int_equal(insn_entry_kind(go_big_frame + at, sizeof(go_big_frame) - at, BASE + at),
			 ENTRY_EMULATED);
	/* What the straight-line shift alone would pick: the jb. */
	assert_int_equal(entry_probe_site(go_big_frame, sizeof(go_big_frame), BASE, true, &k), 10);
	assert_int_equal(k, ENTRY_EMULATED);
	assert_int_equal(go_stack_check_jcc(short_jb, sizeof(short_jb), BASE, &at), 6);
	assert_int_equal(at, 16);
	assert_int_equal(go_stack_check_len(short_jb, sizeof(short_jb), BASE), 18);
}

/* The same through symbols_match on the built target: the per-goroutine
 * entry goes on the last jbe, a return probe's (--returns=fast) after it. */
static void test_go_big_frame_symbols(void **state)
{
	struct sym_list l = {};
	char path[256], err[256];

	helper_path(path, sizeof(path), "targets/go_bigframe");
	assert_int_equal(symbols_match(path, "main.big", &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].go_check_cond, 6);
	assert_int_equal(l.v[0].go_check_jcc, 20);
	assert_int_equal(l.v[0].go_check_kind, ENTRY_EMULATED);
	assert_int_equal(l.v[0].skipped, 26);
	sym_list_free(&l);
	/* An assembly function, "runtime.call65536.abi0" in .symtab: after
	 * the load of g from TLS (9 bytes), the same check. */
	assert_int_equal(symbols_match(path, "runtime.call65536", &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].name, "runtime.call65536.abi0");
	assert_int_equal(l.v[0].go_check_cond, 6);
	assert_int_equal(l.v[0].go_check_jcc, 29);
	assert_int_equal(l.v[0].skipped, 35);
	sym_list_free(&l);
	/* runtime.newstack.abi0 is the linker's wrapper for assembly callers
	 * (a jump to runtime.newstack): not timed as well. */
	assert_int_equal(symbols_match(path, "runtime.newstack", &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].name, "runtime.newstack");
	sym_list_free(&l);
}

/* ABI0 (assembly: runtime.call16 ... call1073741824, debugCall*) loads g
 * from TLS first; the morestack path jumps back before that load. */
static void test_go_stack_check_tls_g(void **state)
{
	/* mov %fs:-8,%r14 */
	static const uint8_t tls[] = { 0x64, 0x4c, 0x8b, 0x34, 0x25, 0xf8, 0xff, 0xff, 0xff };
	static const uint8_t small[] = { 0x49, 0x3b, 0x66, 0x10, 0x76, 0x20 };
	uint8_t code[64];
	uint32_t at;

	memcpy(code, tls, sizeof(tls));
	memcpy(code + sizeof(tls), go_big_frame, sizeof(go_big_frame));
	assert_int_equal(go_stack_check_len(code, sizeof(tls) + sizeof(go_big_frame), BASE), 35);
	assert_int_equal(go_stack_check_jcc(code, sizeof(tls) + sizeof(go_big_frame), BASE, &at),
			 6);
	assert_int_equal(at, 29);
	memcpy(code + sizeof(tls), small, sizeof(small));
	assert_int_equal(go_stack_check_jcc(code, sizeof(tls) + sizeof(small), BASE, &at), 6);
	assert_int_equal(at, 13);
	/* A PIE: mov $-8,%r14; mov %fs:(%r14),%r14 (Go's linker relaxes the
	 * GOT load), or mov X(%rip),%r14 from the GOT. */
	{
		static const uint8_t imm[] = { 0x49, 0xc7, 0xc6, 0xf8, 0xff, 0xff, 0xff };
		static const uint8_t got[] = { 0x4c, 0x8b, 0x35, 0x00, 0x10, 0x00, 0x00 };
		static const uint8_t fs_r14[] = { 0x64, 0x4d, 0x8b, 0x36 };
		const uint8_t *first[] = { imm, got };

		for (int i = 0; i < 2; i++) {
			size_t n = 7 + sizeof(fs_r14) + sizeof(go_big_frame);

			memcpy(code, first[i], 7);
			memcpy(code + 7, fs_r14, sizeof(fs_r14));
			memcpy(code + 7 + sizeof(fs_r14), go_big_frame, sizeof(go_big_frame));
			assert_int_equal(go_stack_check_jcc(code, n, BASE, &at), 6);
			assert_int_equal(at, 31);
			/* The offset alone, without the load through it: no check. */
			memcpy(code + 7, go_big_frame, sizeof(go_big_frame));
			assert_int_equal(go_stack_check_len(code, 7 + sizeof(go_big_frame), BASE),
					 0);
		}
		/* %fs:(%r14) with no offset loaded first: r14 is not known. */
		memcpy(code, fs_r14, sizeof(fs_r14));
		memcpy(code + sizeof(fs_r14), small, sizeof(small));
		assert_int_equal(go_stack_check_len(code, sizeof(fs_r14) + sizeof(small), BASE), 0);
	}
	/* Twice: not Go's. */
	memcpy(code + sizeof(tls), tls, sizeof(tls));
	memcpy(code + 2 * sizeof(tls), small, sizeof(small));
	assert_int_equal(go_stack_check_len(code, 2 * sizeof(tls) + sizeof(small), BASE), 0);
}

/* Near misses of the large-frame check are no check: the probe then stays
 * where the straight-line shift puts it. */
static void test_go_stack_check_big_frame_near_misses(void **state)
{
	uint8_t code[sizeof(go_big_frame)];

	/* The jb and the jbe go to different places. */
	memcpy(code, go_big_frame, sizeof(code));
	code[22] += 4;
	assert_int_equal(go_stack_check_len(code, sizeof(code), BASE), 0);
	/* sub from another register than the one the mov wrote (%r13). */
	memcpy(code, go_big_frame, sizeof(code));
	code[5] = 0xed;
	assert_int_equal(go_stack_check_len(code, sizeof(code), BASE), 0);
	/* jae instead of jb. */
	memcpy(code, go_big_frame, sizeof(code));
	code[11] = 0x83;
	assert_int_equal(go_stack_check_len(code, sizeof(code), BASE), 0);
	/* cut before the jbe */
	assert_int_equal(go_stack_check_len(go_big_frame, 20, BASE), 0);
	/* no sub: mov %rsp,%r12; cmp 0x10(%r14),%r12; jbe */
	memcpy(code, go_big_frame, 3);
	memcpy(code + 3, go_big_frame + 16, 10);
	assert_int_equal(go_stack_check_len(code, 13, BASE), 0);
}

static void test_rust_demangle(void **state)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{ "_ZN8rs_panic8validate17h2f1b48d6eabb6f97E", "rs_panic::validate" },
		{ "_RNvCs1234_8rs_panic4work", "rs_panic::work" },
		{ "_RNvMNtCs9ltgdHTiPiY_4core3fmtNtB2_9Formatter3pad",
		  "<core::fmt::Formatter>::pad" },
		{ "_ZN2ns5Klass3runEi", "ns::Klass::run(int)" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *s = demangle(t[i].in);

		if (!s || strcmp(s, t[i].out))
			fail_msg("demangle(%s): '%s', want '%s'", t[i].in, s ? s : "(null)",
				 t[i].out);
		free(s);
	}
	assert_null(demangle("_RNotValid"));
}

/* The Go stack check's jbe: where the scheduler probes and Go stages'
 * entry probes go (emulated; the instruction after it is not). */
static void test_go_stack_check_jcc(void **state)
{
	static const uint8_t code[] = {
		0x49, 0x3b, 0x66, 0x10,		    /* cmp 0x10(%r14),%rsp */
		0x0f, 0x86, 0x00, 0x01, 0x00, 0x00, /* jbe morestack */
		0x48, 0x83, 0xec, 0x18,		    /* sub $0x18,%rsp */
	};
	uint32_t at;

	assert_int_equal(go_stack_check_jcc(code, sizeof(code), BASE, &at), 6); /* be */
	assert_int_equal(at, 4);
	assert_int_equal(insn_entry_kind(code + at, sizeof(code) - at, BASE + at), ENTRY_EMULATED);
	assert_int_equal(insn_entry_kind(code + 10, 4, BASE + 10), ENTRY_SINGLE_STEP);
	assert_int_equal(go_stack_check_jcc(code + 10, 4, BASE, &at), -1);
}

/* waitReasons by name, and read from a Go 1.19 binary's runtime. */
static void test_go_wait_reasons(void **state)
{
	uint32_t classes[GO_WAIT_REASONS];
	char path[256];
	int n, io = 0, sleep = 0, lock = 0;

	assert_int_equal(go_wait_reason_class("IO wait"), WALL_BLOCK_IO);
	assert_int_equal(go_wait_reason_class("sleep"), WALL_BLOCK_SLEEP);
	assert_int_equal(go_wait_reason_class("chan receive"), WALL_BLOCK_LOCK);
	assert_int_equal(go_wait_reason_class("sync.Mutex.Lock"), WALL_BLOCK_LOCK);
	assert_int_equal(go_wait_reason_class("GC assist wait"), WALL_BLOCK_OTHER);
	helper_path(path, sizeof(path), "targets/go_wall");
	n = go_wait_reason_classes(path, classes, GO_WAIT_REASONS);
	assert_true(n > 20);
	for (int i = 0; i < n; i++) {
		io += classes[i] == WALL_BLOCK_IO;
		sleep += classes[i] == WALL_BLOCK_SLEEP;
		lock += classes[i] == WALL_BLOCK_LOCK;
	}
	assert_int_equal(io, 1);
	assert_int_equal(sleep, 1);
	assert_true(lock >= 7);
	assert_int_equal(classes[0], WALL_BLOCK_OTHER); /* waitReasonZero */
	/* Stripped of .symtab: not found, every reason other. */
	helper_path(path, sizeof(path), "targets/go_stacks_stripped");
	assert_int_equal(go_wait_reason_classes(path, classes, GO_WAIT_REASONS), 0);
	assert_int_equal(go_wait_reason_classes("/nonexistent", classes, GO_WAIT_REASONS), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leaf),
		cmocka_unit_test(test_calls_and_tails),
		cmocka_unit_test(test_indirect_jump),
		cmocka_unit_test(test_go_stack_check_jcc),
		cmocka_unit_test(test_go_wait_reasons),
		cmocka_unit_test(test_cold_part),
		cmocka_unit_test(test_undecodable),
		cmocka_unit_test(test_pick_return),
		cmocka_unit_test(test_returns_mode_parse),
		cmocka_unit_test(test_go_stack_check),
		cmocka_unit_test(test_rust_demangle),
		cmocka_unit_test(test_go_stack_check_big_frame),
		cmocka_unit_test(test_go_stack_check_tls_g),
		cmocka_unit_test(test_go_big_frame_symbols),
		cmocka_unit_test(test_go_stack_check_big_frame_near_misses),
		cmocka_unit_test(test_exit_at_entry),
	};

	return cmocka_run_group_tests_name("unit_return_sites", tests, NULL, NULL);
}
