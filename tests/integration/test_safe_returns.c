// SPDX-License-Identifier: MIT
/*
 * Integration: timing functions never crashes the target. C++ exceptions
 * and Rust panics unwind through timed functions (a return probe's
 * trampoline would make the unwinder give up), Go goroutines grow and move
 * their stacks and change threads inside timed functions (Go would reject
 * the trampoline's address). Each target exits 0, and the counts are
 * exact: finished calls per function, the ones left by an exception or a
 * panic in audit.stage_calls_unfinished.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpfprof.h"
#include "lib/helper.h"
#include "targets/target_common.h"

/* bpfprof -q -o DIR ARGS... -- targets/NAME: the target's exit code is
 * bpfprof's; returns the summary. */
/* Every call the run saw ended through a probe: none unfinished, no
 * return without its entry, none open at the end. */
static void expect_every_call_ended(json_t *s)
{
	assert_int_equal(helper_int(s, "audit.stage_calls_unfinished"), 0);
	assert_int_equal(helper_int(s, "audit.stage_returns_without_entry"), 0);
	assert_int_equal(helper_int(s, "audit.stage_calls_open_at_end"), 0);
}

static json_t *run_profiled(const char *target_name, const char *const *args, char *dir,
			    size_t dirlen)
{
	const char *opts[32] = { "-q" };
	struct helper_profile run;
	int n = 1;

	for (; *args && n < 31; args++)
		opts[n++] = *args;
	if (helper_profile(&run, opts, target_name, NULL, 120) != 0 || !run.summary)
		fail_msg("%s under bpfprof did not exit 0: %s", target_name, run.run.err);
	snprintf(dir, dirlen, "%s", run.dir);
	return run.summary;
}

static json_t *target_proc(json_t *s)
{
	json_t *proc = helper_find_proc(s, (pid_t)helper_int(s, "target.pid"));

	assert_non_null(proc);
	return proc;
}

static void expect_calls(json_t *proc, const char *name, long long want)
{
	long long got = helper_stage_calls(proc, name);

	if (got != want)
		fail_msg("%s: %lld calls, want %lld", name, got, want);
}

/* The calls of name that ended without returning; and, once every
 * function's were checked, that they add up to the audit's. */
static void expect_unfinished(json_t *proc, const char *name, long long want)
{
	long long got = helper_stage_int(proc, name, "calls_unfinished");

	if (got != want)
		fail_msg("%s: %lld calls unfinished, want %lld", name, got, want);
}

static void expect_unfinished_sum(json_t *s, long long want)
{
	assert_int_equal(helper_int(s, "audit.stage_calls_unfinished"), want);
	assert_int_equal(helper_stages_unfinished(s), want);
}

/* Every function's time is corrected, ret among the mechanisms: return
 * sites are calibrated like return probes (time_correction.h). */
static void expect_corrected(json_t *s, const char *ret)
{
	json_t *tc = json_object_get(json_object_get(s, "audit"), "time_correction");
	json_t *mechs = json_object_get(tc, "mechanisms"), *m;
	size_t i;
	bool found = false;

	assert_true(json_is_true(json_object_get(tc, "applied")));
	assert_int_equal(helper_int(tc, "uncorrected_functions"), 0);
	json_array_foreach (mechs, i, m) {
		if (!strcmp(json_string_value(json_object_get(m, "return")), ret)) {
			found = true;
			/* a ret site's single step is after its timestamp: most
			 * of it is its callers' */
			assert_true(json_number_value(json_object_get(m, "per_call_ns")) >
				    json_number_value(json_object_get(m, "in_call_ns")));
		}
	}
	if (!found)
		fail_msg("no \"%s\" mechanism in audit.time_correction", ret);
}

/* tests/targets/cxx_throw.cc: 40 rounds, every other one throws from
 * thrower() through middle() into catcher(); leaf() keeps a return probe. */
static void test_cxx_exceptions(void **state)
{
	static const char *const args[] = { "-u", "ns::*", NULL };
	char dir[64];
	json_t *s, *proc;

	REQUIRE_ROOT_BPF();
	s = run_profiled("targets/cxx_throw", args, dir, sizeof(dir));
	proc = target_proc(s);
	expect_calls(proc, "ns::catcher(int)", 40);
	expect_calls(proc, "ns::middle(int)", 20);
	expect_calls(proc, "ns::thrower(int)", 20);
	expect_calls(proc, "ns::leaf(long)", 30);
	/* The 20 throws unwind thrower and middle, caught in catcher. */
	expect_unfinished(proc, "ns::thrower(int)", 20);
	expect_unfinished(proc, "ns::middle(int)", 20);
	expect_unfinished(proc, "ns::catcher(int)", 0);
	expect_unfinished(proc, "ns::leaf(long)", 0);
	expect_unfinished_sum(s, 40);
	assert_int_equal(helper_int(s, "audit.stage_calls_entered"), 150);
	assert_int_equal(helper_int(s, "audit.stage_returns_without_entry"), 0);
	assert_int_equal(helper_int(s, "audit.stage_calls_open_at_end"), 0);
	expect_corrected(s, "return sites");
	json_decref(s);
	helper_rmtree(dir);
}

/* The run the sweep made on qpdf: libstdc++'s __cxa_throw never
 * returns (it unwinds to the catch), so every call of it is unfinished; it
 * is listed, with 0 calls, and each of cxx_throw's 20 throws in it. */
static void test_function_that_never_returns(void **state)
{
	static const char *const args[] = { "-u", "libstdc++:__cxa_throw", "-u", "ns::thrower",
					    NULL };
	char dir[64];
	json_t *s, *proc;

	REQUIRE_ROOT_BPF();
	s = run_profiled("targets/cxx_throw", args, dir, sizeof(dir));
	proc = target_proc(s);
	expect_calls(proc, "__cxa_throw", 0);
	expect_unfinished(proc, "__cxa_throw", 20);
	assert_int_equal(helper_stage_int(proc, "__cxa_throw", "total_ns"), 0);
	expect_calls(proc, "ns::thrower(int)", 20);
	expect_unfinished(proc, "ns::thrower(int)", 20);
	expect_unfinished_sum(s, 40);
	assert_int_equal(helper_int(s, "audit.stage_calls_entered"), 60);
	json_decref(s);
	helper_rmtree(dir);
}

/* tests/targets/cold_split.cc, stripped: the jump into work's unnamed
 * .cold part is probed as a way out (--list: "1 ret+1 jmp"); taken by
 * every fifth call with work's frame still on the stack, it ends nothing
 * and is no return without an entry (it counted 20). */
static void test_cold_part_jump(void **state)
{
	static const char *const args[] = { "-u", "cold::work*", NULL };
	char bin[256], target[256], cmd[700], dir[64], *out;
	json_t *s, *proc;
	int status;

	REQUIRE_ROOT_BPF();
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/cold_split");
	snprintf(cmd, sizeof(cmd), "%s --list 'cold::work*' -- %s", bin, target);
	out = helper_command_output(cmd, &status);
	assert_int_equal(status, 0);
	if (!strstr(out, " 1 ret+1 jmp ") || !strstr(out, "cold::work(long)"))
		fail_msg("cold::work's jump to its cold part is not probed: %s", out);
	free(out);
	s = run_profiled("targets/cold_split", args, dir, sizeof(dir));
	proc = target_proc(s);
	expect_calls(proc, "cold::work(long)", 100);
	assert_int_equal(helper_int(s, "audit.stage_calls_entered"), 100);
	expect_every_call_ended(s);
	json_decref(s);
	helper_rmtree(dir);
}

/* The note of what pays return-site probes names the functions that
 * return: _start never does (0 sites), so it pays none and is not in it. */
static void test_return_sites_note(void **state)
{
	char bin[256], target[256];
	const char *note;
	struct proc_run r;

	REQUIRE_ROOT_BPF();
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/cxx_throw");
	char *argv[] = { bin, "-u", "_start", "-u", "ns::thrower", "-u", "ns::middle", "--",
			 target, NULL };

	assert_int_equal(helper_run(argv, 60, &r), 0);
	note = strstr(r.err, "bpfprof: 2 of 3 functions end through probes on their return "
			     "instructions");
	if (!note || !strstr(note, "): ns::thrower(int), ns::middle(int)\n"))
		fail_msg("no note naming thrower and middle alone in: %s", r.err);
}

/* tests/targets/rs_panic.rs: 40 rounds under catch_unwind, every other one
 * panics in validate() through work(). Names demangled without the hash;
 * rs_panic_v0 is the same program with v0 mangling. */
static void run_rust(const char *target)
{
	static const char *const args[] = { "-u", "rs_panic::validate", "-u", "rs_panic::work",
					    NULL };
	char dir[64];
	json_t *s, *proc;

	REQUIRE_ROOT_BPF();
	s = run_profiled(target, args, dir, sizeof(dir));
	proc = target_proc(s);
	expect_calls(proc, "rs_panic::validate", 20);
	expect_calls(proc, "rs_panic::work", 20);
	assert_int_equal(json_array_size(json_object_get(proc, "stages")), 2);
	/* The 20 panics unwind validate and work, caught by catch_unwind. */
	expect_unfinished(proc, "rs_panic::validate", 20);
	expect_unfinished(proc, "rs_panic::work", 20);
	expect_unfinished_sum(s, 40);
	assert_int_equal(helper_int(s, "audit.stage_returns_without_entry"), 0);
	expect_corrected(s, "return sites");
	json_decref(s);
	helper_rmtree(dir);
}

static void test_rust_panics(void **state)
{
	run_rust("targets/rs_panic");
}

static void test_rust_panics_v0_names(void **state)
{
	run_rust("targets/rs_panic_v0");
}

/* tests/targets/go_stacks.go: 8 goroutines, each work() calls grow() and
 * leaf() 25 times; grow() recurses ~40 KB deep (the stack starts at 8 KB,
 * so it is copied while work and grow are open) and yields at the
 * bottom, and empty() (one ret: one probe enters and leaves) 25 times.
 * Three more goroutines call quit(), which ends them from inside. */
static void run_go(const char *target)
{
	static const char *const args[] = { "-u", "main.work",	"-u", "main.grow",
					    "-u", "main.leaf",	"-u", "main.empty",
					    "-u", "main.quit",	NULL };
	char dir[64];
	json_t *s, *proc;

	REQUIRE_ROOT_BPF();
	s = run_profiled(target, args, dir, sizeof(dir));
	proc = target_proc(s);
	expect_calls(proc, "main.work", 8);
	expect_calls(proc, "main.grow", 8 * 25);
	expect_calls(proc, "main.leaf", 8 * 25);
	expect_calls(proc, "main.empty", 8 * 25);
	/* 3 goroutines end inside quit() (runtime.Goexit): seen at their exit. */
	expect_calls(proc, "main.quit", 0);
	/* quit never returns: listed with its 3 unfinished calls only. */
	expect_unfinished(proc, "main.quit", 3);
	expect_unfinished(proc, "main.work", 0);
	expect_unfinished(proc, "main.grow", 0);
	expect_unfinished_sum(s, 3);
	assert_int_equal(helper_int(s, "audit.stage_returns_without_entry"), 0);
	assert_int_equal(helper_int(s, "audit.stage_calls_open_at_end"), 0);
	/* grow's total includes its deep recursion: above leaf's. */
	assert_true(helper_int(helper_find_stage(proc, "main.grow"), "total_ns") >
		    helper_int(helper_find_stage(proc, "main.leaf"), "total_ns"));
	expect_corrected(s, "go return sites");
	json_decref(s);
	helper_rmtree(dir);
}

static void test_go_stack_growth(void **state)
{
	run_go("targets/go_stacks");
}

/* deep() recurses 200 levels from an 8 KB stack: its stack check's jbe,
 * where its entry probe sits, is taken as the stack grows (morestack
 * copies it, deep starts again; the first time ~25 levels down). Each
 * call is counted once, and none is left unfinished by the restart. The
 * innermost levels past STAGE_MAX_DEPTH open calls are lost as too deep. */
static void test_go_stack_check_restarts(void **state)
{
	static const char *const args[] = { "-u", "main.deep", NULL };
	char dir[64];
	json_t *s;

	REQUIRE_ROOT_BPF();
	s = run_profiled("targets/go_stacks", args, dir, sizeof(dir));
	expect_calls(target_proc(s), "main.deep", 8 * 25 * STAGE_MAX_DEPTH);
	assert_int_equal(helper_int(s, "audit.stage_calls_lost_too_deep"),
			 8 * 25 * (201 - STAGE_MAX_DEPTH));
	expect_every_call_ended(s);
	json_decref(s);
	helper_rmtree(dir);
}

/* tests/targets/go_bigframe.go, first half: 8 goroutines x 12 rounds, each on a
 * new goroutine: run -> descend (4r + 1 levels) -> callBig -> big, whose
 * 256 KB frame has Go's large-frame stack check (mov %rsp,%r12; sub; jb;
 * cmp; jbe). The target exits 1 unless its stack moved during every call
 * of big: morestack ran from big's check and big started again. */
#define BIG_GOROUTINES 8
#define BIG_ROUNDS 12
#define BIG_LEVEL_STEP 4

/* go_bigframe under args, each of the three functions named counted
 * exactly once per round, nothing unfinished, unmatched or open; the
 * summary (its dir removed). */
static json_t *run_big_frame(const char *const *args, const char *const names[3])
{
	char dir[64];
	json_t *s, *proc;

	s = run_profiled("targets/go_bigframe", args, dir, sizeof(dir));
	proc = target_proc(s);
	for (int i = 0; i < 3; i++)
		expect_calls(proc, names[i], BIG_GOROUTINES * BIG_ROUNDS);
	assert_int_equal(helper_int(s, "audit.stage_calls_entered"),
			 3 * BIG_GOROUTINES * BIG_ROUNDS);
	expect_every_call_ended(s);
	helper_rmtree(dir);
	return s;
}

static void test_go_big_frame(void **state)
{
	static const char *const args[] = { "-u", "main.big", "-u", "main.callBig",
					    "-u", "main.run", NULL };
	static const char *const names[3] = { "main.big", "main.callBig", "main.run" };
	json_t *s;

	REQUIRE_ROOT_BPF();
	s = run_big_frame(args, names);
	assert_int_equal(helper_int(s, "audit.stage_calls_lost_too_deep"), 0);
	expect_corrected(s, "go return sites");
	json_decref(s);
}

/* The same program's second half: sumBlob called through reflect with
 * 40 KB of arguments, which reflect copies into the frame of
 * runtime.call65536, an assembly (ABI0) function that loads g from TLS
 * before the large-frame check; its check sends every call to morestack
 * (the target checks the stack moved). */
static void test_go_big_frame_abi0(void **state)
{
	static const char *const args[] = { "-u", "runtime.call65536", "-u", "main.sumBlob",
					    "-u", "main.callBlob", NULL };
	static const char *const names[3] = { "runtime.call65536.abi0", "main.sumBlob",
					      "main.callBlob" };

	REQUIRE_ROOT_BPF();
	json_decref(run_big_frame(args, names));
}

/* With descend timed, big's frame is past STAGE_MAX_DEPTH open calls from
 * round 8 on: such a call is lost as too deep once, not once per start
 * (a probe that every start passes counted it twice). */
static void test_go_big_frame_too_deep(void **state)
{
	static const char *const args[] = { "-u", "main.big", "-u", "main.descend", NULL };
	long long descend = 0, big = 0, lost = 0;
	char dir[64];
	json_t *s, *proc;

	for (int r = 0; r < BIG_ROUNDS; r++) {
		int levels = BIG_LEVEL_STEP * r + 1; /* descend's calls; big is one deeper */

		descend += levels < STAGE_MAX_DEPTH ? levels : STAGE_MAX_DEPTH;
		lost += levels > STAGE_MAX_DEPTH ? levels - STAGE_MAX_DEPTH : 0;
		if (levels < STAGE_MAX_DEPTH)
			big++;
		else
			lost++;
	}
	REQUIRE_ROOT_BPF();
	s = run_profiled("targets/go_bigframe", args, dir, sizeof(dir));
	proc = target_proc(s);
	expect_calls(proc, "main.descend", BIG_GOROUTINES * descend);
	expect_calls(proc, "main.big", BIG_GOROUTINES * big);
	assert_int_equal(helper_int(s, "audit.stage_calls_lost_too_deep"), BIG_GOROUTINES * lost);
	expect_every_call_ended(s);
	json_decref(s);
	helper_rmtree(dir);
}

/* The offset --list prints for @fn of targets/go_bigframe, with @opts; its
 * line says @entry and @note. */
static unsigned long listed_offset(const char *fn, const char *opts, const char *entry,
				   const char *note)
{
	char bin[256], target[256], cmd[700], *out, *line;
	unsigned long off;
	int status;

	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/go_bigframe");
	snprintf(cmd, sizeof(cmd), "%s --list '%s' %s -- %s", bin, fn, opts, target);
	out = helper_command_output(cmd, &status);
	assert_int_equal(status, 0);
	line = strstr(out, "\n0x");
	assert_non_null(line);
	assert_non_null(strstr(line, entry));
	assert_non_null(strstr(line, note));
	off = strtoul(line + 1, NULL, 16);
	free(out);
	return off;
}

/* --list: big's entry probe is on the check's jbe (emulated), 6 bytes (the
 * jbe) before where a return probe's goes (--returns=fast: after the check,
 * on the single-stepped sub $N,%rsp). */
static void test_go_big_frame_list(void **state)
{
	unsigned long on_jbe =
		listed_offset("main.big", "", " emulated ", "(probe on the stack check's jump)");
	unsigned long after = listed_offset("main.big", "--returns=fast", " single-step ",
					    "(probe after the stack check)");

	assert_int_equal(after - on_jbe, 6);
}

/* The same program built with -ldflags='-s -w': no .symtab, the functions
 * come from .gopclntab. */
static void test_go_stripped(void **state)
{
	run_go("targets/go_stacks_stripped");
}

/* main.inlined was inlined into work and has no function: one clear
 * line, exit 1, nothing attached or written. */
static void test_go_inlined_everywhere(void **state)
{
	char bin[256], target[256], dir[64], out[128];
	struct proc_run r;

	helper_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/go_stacks_stripped");
	char *argv[] = { bin, "-o", out, "-u", "main.inlined", "--", target, NULL };

	assert_int_equal(helper_run(argv, 30, &r), 1);
	assert_non_null(strstr(r.err, "main.inlined in "));
	assert_non_null(strstr(r.err, "was inlined everywhere by the Go compiler"));
	assert_false(helper_exists(out));
	helper_rmtree(dir);
}

/* tests/targets/tail_target.c: tail_caller jumps into tail_callee (30
 * times), which main also calls directly (20 times). With return sites,
 * tail_caller's calls end at tail_callee's ret: all finished, and the
 * direct calls of tail_callee match no tail_caller frame, silently. */
static void test_tail_calls(void **state)
{
	static const char *const args[] = { "--returns=safe", "-u", "tail_*", NULL };
	char dir[64];
	json_t *s, *proc;

	REQUIRE_ROOT_BPF();
	s = run_profiled("targets/tail_target", args, dir, sizeof(dir));
	proc = target_proc(s);
	expect_calls(proc, "tail_caller", 30);
	expect_calls(proc, "tail_callee", 50);
	/* The callee's time is inside its tail caller's. */
	assert_true(helper_int(helper_find_stage(proc, "tail_caller"), "self_ns") <
		    helper_int(helper_find_stage(proc, "tail_caller"), "total_ns"));
	expect_every_call_ended(s);
	json_decref(s);
	helper_rmtree(dir);
}

/* tests/targets/tail_target.c again: ind_caller leaves through jmp *%rax
 * (40 calls), ind_table through jmp *(%rdx,%rax,8) (24), both into
 * ind_add / ind_mul; ind_switch jumps through its switch's table, inside
 * itself (36). Each call ends at its jump: all finished, none left open,
 * and the switch's jump ends nothing (it would leave its ret an orphan). */
static void test_indirect_tail_calls(void **state)
{
	static const char *const args[] = { "--returns=safe", "--events", "-u", "ind_*", NULL };
	char dir[64], path[128];
	json_t *s, *proc, *spans, *sp;
	long long n_caller = 0;
	size_t i;

	REQUIRE_ROOT_BPF();
	s = run_profiled("targets/tail_target", args, dir, sizeof(dir));
	proc = target_proc(s);
	expect_calls(proc, "ind_caller", 40);
	expect_calls(proc, "ind_table", 24);
	expect_calls(proc, "ind_switch", 36);
	expect_calls(proc, "ind_add", 32);
	expect_calls(proc, "ind_mul", 32);
	/* The call ends at the jump: the function jumped to is not inside. */
	assert_int_equal(helper_int(helper_find_stage(proc, "ind_caller"), "self_ns"),
			 helper_int(helper_find_stage(proc, "ind_caller"), "total_ns"));
	/* With span events too (the return-site programs then pass the
	 * verifier only with the chain's pops bounded): one per call. */
	snprintf(path, sizeof(path), "%s/events.jsonl", dir);
	spans = helper_load_jsonl(path);
	assert_non_null(spans);
	json_array_foreach (spans, i, sp)
		n_caller += !strcmp(json_string_value(json_object_get(sp, "name")), "ind_caller");
	assert_int_equal(n_caller, 40);
	json_decref(spans);
	expect_every_call_ended(s);
	json_decref(s);
	helper_rmtree(dir);
}

/* Each span of a jo_* function (but jo_parent and jo_callee, which
 * main and jo_jmp call too) is a child of a jo_parent span and lies
 * within it; returns how many there are. */
static long long check_jo_spans(const char *dir)
{
	char path[128];
	json_t *spans, *sp;
	long long n = 0;
	size_t i, k;

	snprintf(path, sizeof(path), "%s/events.jsonl", dir);
	spans = helper_load_jsonl(path);
	assert_non_null(spans);
	json_array_foreach (spans, i, sp) {
		const char *name = json_string_value(json_object_get(sp, "name"));
		const char *parent_id = json_string_value(json_object_get(sp, "parent_id"));
		json_t *p, *parent = NULL;

		if (!name || (strcmp(name, "jo_jmp") && strcmp(name, "jo_ptr") &&
			      strcmp(name, "jo_reg") && strcmp(name, "jo_ret")))
			continue;
		json_array_foreach (spans, k, p)
			if (parent_id && json_string_value(json_object_get(p, "span_id")) &&
			    !strcmp(json_string_value(json_object_get(p, "span_id")), parent_id))
				parent = p;
		if (!parent || strcmp(json_string_value(json_object_get(parent, "name")), "jo_parent"))
			fail_msg("a %s span is not a child of a jo_parent span", name);
		assert_true(helper_int(sp, "start_ns") >= helper_int(parent, "start_ns"));
		assert_true(helper_int(sp, "start_ns") + helper_int(sp, "dur_ns") <=
			    helper_int(parent, "start_ns") + helper_int(parent, "dur_ns"));
		n++;
	}
	json_decref(spans);
	return n;
}

/*
 * tests/targets/jmponly_target.c: jo_jmp is one jmp into jo_callee, jo_ptr
 * one jmp through a pointer, jo_reg one jmp *%rdi, jo_ret one ret, each
 * called by jo_parent a known number of times, after it spins JO_SPIN_US.
 * Their entry is their way out: with return sites one probe enters and
 * leaves (jo_ret, jo_ptr, jo_reg: a call of 1 ns) or enters and hands the
 * call to jo_callee (jo_jmp, which then ends at jo_callee's ret). Every count exact, none unfinished, each
 * a child of jo_parent, and jo_parent's time without their probes.
 */
static long long check_one_instruction_functions(const char *returns)
{
	const char *const args[] = { returns, "--events", "-u", "jo_*", NULL };
	bool safe = !strcmp(returns, "--returns=safe");
	char dir[64];
	json_t *s, *proc;
	long long p50;

	REQUIRE_ROOT_BPF();
	s = run_profiled("targets/jmponly_target", args, dir, sizeof(dir));
	proc = target_proc(s);
	expect_calls(proc, "jo_parent", JO_PARENT_CALLS);
	expect_calls(proc, "jo_jmp", JO_PARENT_CALLS * JO_JMP_CALLS);
	expect_calls(proc, "jo_ptr", JO_PARENT_CALLS * JO_PTR_CALLS);
	expect_calls(proc, "jo_reg", JO_PARENT_CALLS * JO_REG_CALLS);
	expect_calls(proc, "jo_ret", JO_PARENT_CALLS * JO_RET_CALLS);
	expect_calls(proc, "jo_callee", JO_CALLEE_CALLS);
	expect_every_call_ended(s);
	assert_int_equal(check_jo_spans(dir),
			 JO_PARENT_CALLS *
				 (JO_JMP_CALLS + JO_PTR_CALLS + JO_REG_CALLS + JO_RET_CALLS));
	/* jo_jmp's call lasts until jo_callee returns. */
	assert_true(helper_stage_int(proc, "jo_jmp", "self_ns") <
		    helper_stage_int(proc, "jo_jmp", "total_ns"));
	if (safe) {
		assert_int_equal(helper_stage_int(proc, "jo_ret", "total_ns"),
				 JO_PARENT_CALLS * JO_RET_CALLS);
		assert_int_equal(helper_stage_int(proc, "jo_ptr", "total_ns"),
				 JO_PARENT_CALLS * JO_PTR_CALLS);
		assert_int_equal(helper_stage_int(proc, "jo_reg", "total_ns"),
				 JO_PARENT_CALLS * JO_REG_CALLS);
		/* 1 ns by what they are, not held there by the correction */
		assert_int_equal(helper_stage_int(proc, "jo_ret", "calls_clamped"), 0);
	}
	/* No more than its children's probes' cost is taken off (self, which
	 * preemption only adds to). */
	assert_true(helper_stage_int(proc, "jo_parent", "self_ns") >=
		    JO_PARENT_CALLS * JO_SPIN_US * 1000LL * 9 / 10);
	p50 = helper_stage_int(proc, "jo_parent", "latency_ns.p50");
	json_decref(s);
	helper_rmtree(dir);
	return p50;
}

/* Its 11 children's probes cost jo_parent ~100-170 us a call (raw p50 2.1x
 * the spin with return probes, 2.7x with sites, here; 1.8x if the 8
 * one-probe calls' cost stayed in), taken off. That is most single steps,
 * whose cost a loaded machine moves by tens of % from its calibration (a
 * run read 1.68x at a load of 4): the median is checked over up to 3
 * runs, every count in each. */
static void check_parent_corrected(const char *returns)
{
	long long p50[3];

	for (int i = 0; i < 3; i++) {
		p50[i] = check_one_instruction_functions(returns);
		if (llabs(p50[i] - JO_SPIN_US * 1000LL) <= JO_SPIN_US * 1000LL * 15 / 100 + 30000)
			return;
		fprintf(stderr, "%s: jo_parent p50 %lld ns, spin %d us: again\n", returns, p50[i],
			JO_SPIN_US);
	}
	fail_msg("%s: jo_parent p50 %lld, %lld, %lld ns: expected %d us within 15%% + 30 us",
		 returns, p50[0], p50[1], p50[2], JO_SPIN_US);
}

static void test_one_instruction_functions(void **state)
{
	check_parent_corrected("--returns=auto");
	check_parent_corrected("--returns=safe");
}

/* --list: such a function's one probe is its entry and its way out. */
static void test_list_one_instruction_functions(void **state)
{
	static const struct {
		const char *name, *ret, *note;
	} fns[] = {
		{ "jo_jmp", "0 rets+1 tail", "one probe enters and hands the call over" },
		{ "jo_ptr", "0 rets+1 jmp", "one probe enters and leaves" },
		{ "jo_reg", "0 rets+1 jmp", "one probe enters and leaves" },
		{ "jo_ret", "1 ret", "one probe enters and leaves" },
	};
	char bin[256], target[256], cmd[700], want[96], *out;
	size_t found = 0;
	int status;

	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/jmponly_target");
	snprintf(cmd, sizeof(cmd), "%s --list 'jo_*' --returns=safe -- %s", bin, target);
	out = helper_command_output(cmd, &status);
	assert_int_equal(status, 0);
	for (char *line = out, *next; *line; line = next) {
		next = strchrnul(line, '\n');
		if (*next)
			*next++ = '\0';
		for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
			snprintf(want, sizeof(want), " %-16s C     %s ", fns[i].ret, fns[i].name);
			if (!strstr(line, want))
				continue;
			if (!strstr(line, fns[i].note))
				fail_msg("%s: not \"%s\" in: %s", fns[i].name, fns[i].note, line);
			found++;
		}
	}
	assert_int_equal(found, sizeof(fns) / sizeof(fns[0]));
	free(out);
}

/* --list names each function's mechanism: C++ leaves keep the return
 * probe, functions that call out get return sites; Go never a probe. */
static void test_list_mechanisms(void **state)
{
	char bin[256], target[256], cmd[700], *out;
	int status;

	helper_path(bin, sizeof(bin), "bpfprof");
	helper_path(target, sizeof(target), "targets/cxx_throw");
	snprintf(cmd, sizeof(cmd), "%s --list 'ns::*' -- %s", bin, target);
	out = helper_command_output(cmd, &status);
	assert_int_equal(status, 0);
	assert_non_null(strstr(out, "C++"));
	assert_non_null(strstr(out, "4 functions"));
	for (char *line = out, *next; *line; line = next) {
		next = strchrnul(line, '\n');
		if (*next)
			*next++ = '\0';
		if (strstr(line, "ns::leaf"))
			assert_non_null(strstr(line, "return-probe"));
		if (strstr(line, "ns::thrower") || strstr(line, "ns::middle"))
			assert_non_null(strstr(line, "1 ret "));
	}
	free(out);
	helper_path(target, sizeof(target), "targets/go_stacks");
	snprintf(cmd, sizeof(cmd), "%s --list 'main.*' -- %s", bin, target);
	out = helper_command_output(cmd, &status);
	assert_int_equal(status, 0);
	assert_null(strstr(out, "return-probe"));
	assert_non_null(strstr(out, "main.grow"));
	assert_non_null(strstr(out, "main.leaf"));
	for (char *line = out, *next; *line; line = next) {
		next = strchrnul(line, '\n');
		if (*next)
			*next++ = '\0';
		/* The timed functions with a stack check: their entry probe is
		 * its jbe, which the kernel emulates; leaf has none (NOSPLIT),
		 * its first instruction is single-stepped. */
		if (strstr(line, "main.grow ") || strstr(line, "main.work ") ||
		    strstr(line, "main.quit ")) {
			assert_non_null(strstr(line, " emulated "));
			assert_non_null(strstr(line, "(probe on the stack check's jump)"));
		}
		if (strstr(line, "main.leaf "))
			assert_non_null(strstr(line, "(no stack check)"));
	}
	free(out);
	/* --returns=fast keeps the entry after the check: a return probe on
	 * the jbe would be armed again when the call restarts. */
	snprintf(cmd, sizeof(cmd), "%s --list 'main.grow' --returns=fast -- %s", bin, target);
	out = helper_command_output(cmd, &status);
	assert_int_equal(status, 0);
	assert_non_null(strstr(out, "(probe after the stack check)"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cxx_exceptions),
		cmocka_unit_test(test_function_that_never_returns),
		cmocka_unit_test(test_rust_panics),
		cmocka_unit_test(test_rust_panics_v0_names),
		cmocka_unit_test(test_go_stack_growth),
		cmocka_unit_test(test_go_stack_check_restarts),
		cmocka_unit_test(test_go_big_frame),
		cmocka_unit_test(test_go_big_frame_abi0),
		cmocka_unit_test(test_go_big_frame_too_deep),
		cmocka_unit_test(test_go_big_frame_list),
		cmocka_unit_test(test_go_stripped),
		cmocka_unit_test(test_go_inlined_everywhere),
		cmocka_unit_test(test_tail_calls),
		cmocka_unit_test(test_indirect_tail_calls),
		cmocka_unit_test(test_list_mechanisms),
		cmocka_unit_test(test_return_sites_note),
		cmocka_unit_test(test_cold_part_jump),
		cmocka_unit_test(test_one_instruction_functions),
		cmocka_unit_test(test_list_one_instruction_functions),
	};

	return cmocka_run_group_tests_name("integration_safe_returns", tests, NULL, NULL);
}
