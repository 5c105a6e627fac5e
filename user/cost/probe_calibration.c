// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpfprof.h" /* the skeleton names its types */
#include "bpfprof.skel.h"
#include "calib.skel.h"
#include "common/errmsg.h"
#include "cost/probe_calibration.h"
#include "probes/bpf_loader.h"
#include "probes/stages.h"

/*
 * Copies of a function per entry kind: "a" is probed entry and return,
 * "c" entry only (session links), "b" never, as the baseline, and "d"
 * carries the real stage programs (probe_calibrate_stages), as does "e",
 * which calls "d" CALIB_CHILDREN times; "r" (entry and return probe) and
 * "s" (entry and return-site probes) carry empty programs all through the
 * run (machinery_measure). Written in assembly so the first instruction is
 * exactly the kind it stands for; NAME_ret labels the ret, where a return
 * site probe goes. "gd" and "ge" call "d" and "e" as Go code would: with a
 * goroutine's g (bpfprof_calib_g) in r14.
 */
#define CALIB_CHILDREN 8
#define CALL8(fn) "call " fn "\ncall " fn "\ncall " fn "\ncall " fn "\n"
#define CALIB_FN(name, insn)                                                                       \
	".globl " name "\n.type " name ",@function\n.p2align 4\n" name ":\n" insn "\n.globl " name \
	"_ret\n" name "_ret:\nret\n.size " name ",.-" name "\n"
#define CALIB_GO_CALL(name, fn)                                                                    \
	CALIB_FN(name, "push %r14\nlea bpfprof_calib_g(%rip), %r14\ncall " fn "\npop %r14")
#define CALIB_SET(kind, insn)                                                                      \
	CALIB_FN("bpfprof_calib_" kind "_a", insn)                                                 \
	CALIB_FN("bpfprof_calib_" kind "_b", insn)                                                 \
	CALIB_FN("bpfprof_calib_" kind "_c", insn) CALIB_FN("bpfprof_calib_" kind "_d", insn)      \
		CALIB_FN("bpfprof_calib_" kind "_e",                                               \
			 insn "\npush %rbp\n" CALL8("bpfprof_calib_" kind "_d")                    \
				 CALL8("bpfprof_calib_" kind "_d") "pop %rbp")                     \
			CALIB_FN("bpfprof_calib_" kind "_r", insn)                                 \
				CALIB_FN("bpfprof_calib_" kind "_s", insn) CALIB_GO_CALL(          \
					"bpfprof_calib_" kind "_gd", "bpfprof_calib_" kind "_d")   \
					CALIB_GO_CALL("bpfprof_calib_" kind "_ge",                 \
						      "bpfprof_calib_" kind "_e")

/* The goroutine the Go calibration calls run on: runtime.g's stack.lo and
 * stack.hi; hi is set above the calibration thread's frames. */
__attribute__((used)) uint64_t bpfprof_calib_g[2];

__asm__(".pushsection .text\n" CALIB_SET("push", "push %rbp\npop %rbp")
		CALIB_SET("nop5", ".byte 0x0f, 0x1f, 0x44, 0x00, 0x00")
			CALIB_SET("step", "lea 8(%rsp), %rax") ".popsection\n");

/* Return sites: an entry probe on the push, another on the ret after it. */
#define CALIB_SITE_RET_OFFSET 2 /* push %rbp; pop %rbp: 1 byte each */
__asm__(".pushsection .text\n" CALIB_FN("bpfprof_calib_site_a", "push %rbp\npop %rbp")
		CALIB_FN("bpfprof_calib_site_b", "push %rbp\npop %rbp") ".popsection\n");
void bpfprof_calib_site_a(void);
void bpfprof_calib_site_b(void);

typedef void (*calib_fn)(void);
#define DECLARE_SET(kind)                                                                          \
	void bpfprof_calib_##kind##_a(void);                                                       \
	void bpfprof_calib_##kind##_b(void);                                                       \
	void bpfprof_calib_##kind##_c(void);                                                       \
	void bpfprof_calib_##kind##_d(void);                                                       \
	void bpfprof_calib_##kind##_e(void);                                                       \
	void bpfprof_calib_##kind##_r(void);                                                       \
	void bpfprof_calib_##kind##_s(void);                                                       \
	void bpfprof_calib_##kind##_gd(void);                                                      \
	void bpfprof_calib_##kind##_ge(void);                                                      \
	extern const char bpfprof_calib_##kind##_d_ret[], bpfprof_calib_##kind##_e_ret[],          \
		bpfprof_calib_##kind##_s_ret[];
DECLARE_SET(push)
DECLARE_SET(nop5)
DECLARE_SET(step)

static const struct {
	calib_fn a, b, c, d, e, r, s, gd, ge;
	const char *d_ret, *e_ret, *s_ret;
	int calls; /* per round: single-stepping costs ~10x more a call */
} sets[ENTRY_KINDS] = {
#define SET(kind, n)                                                                               \
	{                                                                                          \
		bpfprof_calib_##kind##_a, bpfprof_calib_##kind##_b, bpfprof_calib_##kind##_c,      \
			bpfprof_calib_##kind##_d, bpfprof_calib_##kind##_e,                        \
			bpfprof_calib_##kind##_r, bpfprof_calib_##kind##_s,                        \
			bpfprof_calib_##kind##_gd, bpfprof_calib_##kind##_ge,                      \
			bpfprof_calib_##kind##_d_ret, bpfprof_calib_##kind##_e_ret,                \
			bpfprof_calib_##kind##_s_ret, n                                            \
	}
	[ENTRY_EMULATED] = SET(push, 5000),
	[ENTRY_NOP5] = SET(nop5, 5000),
	[ENTRY_SINGLE_STEP] = SET(step, 1000),
#undef SET
};

#define ROUNDS 3
#define SYSCALLS_PER_ROUND 20000

/* This thread's CPU time: what the probes cost it, not the time other
 * processes held the CPU (the machine may be busy). */
static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* ns per call of fn, the least of ROUNDS rounds (noise only adds). */
static double time_calls(calib_fn fn, int calls)
{
	calib_fn volatile f = fn;
	double best = -1;

	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_ns(), ns;

		for (int i = 0; i < calls; i++)
			f();
		ns = (now_ns() - t0) / calls;
		if (best < 0 || ns < best)
			best = ns;
	}
	return best;
}

double probe_time_syscall(void)
{
	double best = -1;

	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_ns(), ns;

		for (int i = 0; i < SYSCALLS_PER_ROUND; i++)
			syscall(SYS_getppid);
		ns = (now_ns() - t0) / SYSCALLS_PER_ROUND;
		if (best < 0 || ns < best)
			best = ns;
	}
	return best;
}

/* Where fn lives: the mapped file and its offset in it (what a uprobe names). */
static int fn_location(uintptr_t at, char *path, size_t len, uint64_t *offset)
{
	uint64_t addr = at, start, end, off;
	char line[4096 + 128], file[4096];
	FILE *f = fopen("/proc/self/maps", "re");
	int rc = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		file[0] = '\0';
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %*s %" SCNx64 " %*s %*s %4095s", &start,
			   &end, &off, file) < 3)
			continue;
		if (addr < start || addr >= end || file[0] != '/')
			continue;
		snprintf(path, len, "%s", file);
		*offset = addr - start + off;
		rc = 0;
		break;
	}
	fclose(f);
	return rc;
}

/* The kind the kernel will see: the assembler or a patched binary could differ. */
static bool kind_is(calib_fn fn, enum entry_kind want)
{
	uint64_t addr = (uint64_t)(uintptr_t)fn;

	return insn_entry_kind((const uint8_t *)fn, 16, addr) == want;
}

static int attach_one(struct uprobe_link *l, const struct bpf_program *prog,
		      enum uprobe_link_kind kind, bool is_return, calib_fn fn)
{
	char path[4096];
	uint64_t off;
	int rc = fn_location((uintptr_t)fn, path, sizeof(path), &off);

	return rc ?: uprobe_link_attach(l, prog, kind, is_return, path, &off, NULL, 1, getpid());
}

static int calibrate_kind(struct calib_bpf *skel, struct probe_calibration *c, int k)
{
	struct uprobe_link entry = UPROBE_LINK_INIT, ret = UPROBE_LINK_INIT, off = UPROBE_LINK_INIT;
	enum uprobe_link_kind lk = c->link_kind;
	bool session = lk == UPROBE_LINK_SESSION;
	double base, probed, entry_only = -1;
	int rc;

	if (!kind_is(sets[k].a, (enum entry_kind)k) || !kind_is(sets[k].c, (enum entry_kind)k))
		return -ENOTSUP;
	rc = attach_one(&entry, skel->progs.calib_uprobe, lk, false, sets[k].a);
	if (!rc && !session)
		rc = attach_one(&ret, skel->progs.calib_uprobe, lk, true, sets[k].a);
	if (!rc && session)
		rc = attach_one(&off, skel->progs.calib_uprobe_entry_only, lk, false, sets[k].c);
	if (rc)
		goto cleanup;
	/* The first hits install the probe (and may rewrite a nop5): warm up. */
	for (int i = 0; i < 50; i++) {
		sets[k].a();
		sets[k].c();
	}
	base = time_calls(sets[k].b, sets[k].calls);
	probed = time_calls(sets[k].a, sets[k].calls);
	if (session)
		entry_only = time_calls(sets[k].c, sets[k].calls);
	c->stage_ns[k] = probed > base ? probed - base : 0;
	/* Without sessions both probes stay attached when stages are off. */
	c->stage_off_ns[k] = !session ? c->stage_ns[k] : entry_only > base ? entry_only - base : 0;
cleanup:
	uprobe_link_destroy(&entry);
	uprobe_link_destroy(&ret);
	uprobe_link_destroy(&off);
	return rc;
}

int probe_calibrate_return_sites(struct probe_calibration *c, enum uprobe_link_kind link_kind,
				 char *err, size_t errlen)
{
	struct uprobe_link link = UPROBE_LINK_INIT;
	enum uprobe_link_kind lk = link_kind == UPROBE_LINK_SESSION ? UPROBE_LINK_MULTI : link_kind;
	const uint8_t *code = (const uint8_t *)bpfprof_calib_site_a;
	uint64_t offs[2];
	char path[4096];
	struct calib_bpf *skel;
	double base, probed;
	int rc;

	c->site_ns = -1;
	if (code[CALIB_SITE_RET_OFFSET] != 0xc3)
		return -ENOTSUP;
	skel = calib_bpf__open();
	if (!skel) {
		rc = -errno;
		set_err(err, errlen, "cannot open the calibration programs: %s", strerror(-rc));
		return rc;
	}
	bpf_program__set_autoload(skel->progs.calib_uprobe_entry_only, false);
	rc = uprobe_link_prepare_prog(skel->progs.calib_uprobe, lk);
	rc = rc ?: calib_bpf__load(skel);
	rc = rc ?: fn_location((uintptr_t)bpfprof_calib_site_a, path, sizeof(path), &offs[0]);
	if (!rc) {
		offs[1] = offs[0] + CALIB_SITE_RET_OFFSET;
		rc = uprobe_link_attach(&link, skel->progs.calib_uprobe, lk, false, path, offs,
					NULL, 2, getpid());
	}
	if (rc) {
		set_err(err, errlen, "cannot time return-site uprobes: %s", strerror(-rc));
		goto cleanup;
	}
	for (int i = 0; i < 50; i++)
		bpfprof_calib_site_a();
	base = time_calls(bpfprof_calib_site_b, 1000);
	probed = time_calls(bpfprof_calib_site_a, 1000);
	c->site_ns = probed > base ? probed - base : 0;
cleanup:
	uprobe_link_destroy(&link);
	calib_bpf__destroy(skel);
	return rc;
}

int probe_calibrate(struct probe_calibration *c, const bool kinds[ENTRY_KINDS],
		    enum uprobe_link_kind link_kind, char *err, size_t errlen)
{
	bool any_stage = false;
	struct calib_bpf *skel;
	int rc;

	c->syscall_ns = -1;
	c->site_ns = -1;
	c->link_kind = link_kind;
	for (int k = 0; k < ENTRY_KINDS; k++) {
		c->stage_ns[k] = c->stage_off_ns[k] = -1;
		any_stage |= kinds[k];
	}
	if (!any_stage)
		return 0;
	skel = calib_bpf__open();
	if (!skel) {
		rc = -errno;
		set_err(err, errlen, "cannot open the calibration programs: %s", strerror(-rc));
		return rc;
	}
	bpf_program__set_autoload(skel->progs.calib_uprobe_entry_only,
				  link_kind == UPROBE_LINK_SESSION);
	rc = uprobe_link_prepare_prog(skel->progs.calib_uprobe, link_kind);
	if (!rc && link_kind == UPROBE_LINK_SESSION)
		rc = uprobe_link_prepare_prog(skel->progs.calib_uprobe_entry_only, link_kind);
	rc = rc ?: calib_bpf__load(skel);
	if (rc) {
		set_err(err, errlen, "cannot load the calibration programs: %s", strerror(-rc));
		goto cleanup;
	}
	for (int k = 0; k < ENTRY_KINDS; k++) {
		if (!kinds[k] || !(rc = calibrate_kind(skel, c, k)))
			continue;
		set_err(err, errlen, "cannot time %s uprobes: %s", entry_kind_name(k),
			strerror(-rc));
		goto cleanup;
	}
cleanup:
	calib_bpf__destroy(skel);
	return rc;
}

/*
 * The real stage programs on bpfprof's own calls, recorded as stage 0 before
 * any stage probe is attached to the target; what they leave in the maps is
 * wiped after. On a thread of its own, whose exit gives its stage stack back.
 */
struct stage_cal_run {
	struct bpfprof_bpf *skel;
	enum uprobe_link_kind link_kind;
	const bool *mechs;
	struct stage_prog_cal *out;
	const struct bpf_program *pe, *pr; /* the mechanism being timed */
	int ncpus;
	int rc;
	const char *what; /* what failed */
	pid_t tid;
};

/* Stage 0 as bpfprof's own calls left it: calls and their histogram. */
struct stage0 {
	uint64_t calls;
	uint64_t hist[HIST_BUCKETS];
};

static int stage0_read(const struct stage_cal_run *r, struct stage0 *out)
{
	struct bpfprof_bpf *skel = r->skel;
	struct stage_stats *v = calloc((size_t)r->ncpus, sizeof(*v));
	struct stage_key key = { .tgid = (__u32)getpid(), .stage = 0 };
	int rc;

	if (!v)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	if (skel->rodata->one_target)
		rc = bpf_map_lookup_elem(bpf_map__fd(skel->maps.stage_counts), &key.stage, v);
	else
		rc = bpf_map_lookup_elem(bpf_map__fd(skel->maps.stage_stats), &key, v);
	rc = rc && errno != ENOENT ? -errno : 0;
	for (int c = 0; !rc && c < r->ncpus; c++) {
		out->calls += v[c].calls;
		for (int b = 0; b < HIST_BUCKETS; b++)
			out->hist[b] += v[c].hist[b];
	}
	free(v);
	return rc;
}

/* The value of rank `rank` (from 0) in a histogram, interpolated in its
 * bucket; -1 when it holds fewer. */
static double hist_rank(const uint64_t *hist, double rank)
{
	double seen = 0;

	for (unsigned int b = 0; b < HIST_BUCKETS; b++) {
		double lo = (double)hist_bucket_lower(b), hi = (double)hist_bucket_upper(b);

		if (!hist[b] || seen + (double)hist[b] <= rank) {
			seen += (double)hist[b];
			continue;
		}
		return lo + (hi - lo) * (rank - seen + 0.5) / (double)hist[b];
	}
	return -1;
}

static void stage0_wipe(const struct stage_cal_run *r)
{
	struct bpfprof_bpf *skel = r->skel;
	struct stage_key key = { .tgid = (__u32)getpid(), .stage = 0 };
	struct stage_stats *zero = calloc((size_t)r->ncpus, sizeof(*zero));

	if (skel->rodata->one_target) {
		if (zero)
			bpf_map_update_elem(bpf_map__fd(skel->maps.stage_counts), &key.stage, zero,
					    BPF_ANY);
	} else {
		bpf_map_delete_elem(bpf_map__fd(skel->maps.stage_stats), &key);
		bpf_map_delete_elem(bpf_map__fd(skel->maps.procs), &key.tgid);
	}
	free(zero);
}

/* Run time of the programs pe and pr so far (BPF stats on) and their runs. */
static void stage_prog_runs(const struct bpf_program *pe, const struct bpf_program *pr,
			    uint64_t *runs, uint64_t *ns)
{
	const struct bpf_program *progs[] = { pe, pr != pe ? pr : NULL };

	*runs = *ns = 0;
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = progs[i] ? bpf_program__fd(progs[i]) : -1;

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		*runs += info.run_cnt;
		*ns += info.run_time_ns;
	}
}

#define STAGE_CAL_ROUNDS 5

static int attach_calib_at(struct uprobe_link *l, const struct bpf_program *prog,
			   enum uprobe_link_kind kind, bool is_return, uintptr_t d, uintptr_t e)
{
	char path[4096], path_e[4096];
	uint64_t off[2];
	int rc = fn_location(d, path, sizeof(path), &off[0]);

	rc = rc ?: fn_location(e, path_e, sizeof(path_e), &off[1]);
	if (!rc && strcmp(path, path_e))
		rc = -ENOTSUP;
	return rc ?: uprobe_link_attach(l, prog, kind, is_return, path, off, NULL, 2, getpid());
}

/* n calls of fn in rounds; acc gets the histogram of what they recorded. */
static int record_calls(struct stage_cal_run *r, calib_fn fn, int n, struct stage0 *acc)
{
	calib_fn volatile f = fn;
	struct stage0 a, z;
	int rc;

	memset(acc, 0, sizeof(*acc));
	for (int round = 0; round < STAGE_CAL_ROUNDS; round++) {
		if ((rc = stage0_read(r, &a)))
			return rc;
		for (int i = 0; i < n; i++)
			f();
		if ((rc = stage0_read(r, &z)))
			return rc;
		acc->calls += z.calls - a.calls;
		for (int b = 0; b < HIST_BUCKETS; b++)
			acc->hist[b] += z.hist[b] - a.hist[b];
	}
	return 0;
}

/*
 * The stage programs of mechanism m on "d" and "e" of its entry kind: a
 * return probe, or return-site probes on their rets (per thread, or per
 * goroutine, called through "gd" and "ge" with a g in r14). *call_d and
 * *call_e: what to call.
 */
static int attach_mechanism(struct stage_cal_run *r, unsigned int m, struct uprobe_link *entry,
			    struct uprobe_link *ret, calib_fn *call_d, calib_fn *call_e)
{
	int k = (int)probe_mech_entry(m);
	enum return_kind rk = probe_mech_return(m);
	enum uprobe_link_kind lk = r->link_kind;
	uintptr_t d = (uintptr_t)sets[k].d, e = (uintptr_t)sets[k].e;
	const struct bpf_program *pe, *pr;
	struct stage_progs progs;
	int rc;

	loader_stage_programs(r->skel, lk, &progs);
	*call_d = rk == RETURN_GO_SITES ? sets[k].gd : sets[k].d;
	*call_e = rk == RETURN_GO_SITES ? sets[k].ge : sets[k].e;
	pe = rk == RETURN_PROBE	  ? progs.entry
	     : rk == RETURN_SITES ? progs.site_entry
				  : progs.go_entry;
	pr = rk == RETURN_PROBE	  ? progs.ret
	     : rk == RETURN_SITES ? progs.site_return
				  : progs.go_return;
	if (!pe || !pr)
		return -ENOTSUP;
	r->pe = pe;
	r->pr = pr;
	if (rk == RETURN_PROBE) {
		rc = attach_calib_at(entry, pe, lk, false, d, e);
		if (!rc && lk != UPROBE_LINK_SESSION)
			rc = attach_calib_at(ret, pr, lk, true, d, e);
		return rc;
	}
	/* Cookie 0: stage 0, a ret that always leaves. */
	lk = stages_site_link_kind(lk);
	rc = attach_calib_at(ret, pr, lk, false, (uintptr_t)sets[k].d_ret,
			     (uintptr_t)sets[k].e_ret);
	return rc ?: attach_calib_at(entry, pe, lk, false, d, e);
}

/* The Go calibration's goroutine leaves go_stacks. */
static void go_calib_g_done(struct stage_cal_run *r)
{
	struct {
		__u32 tgid, pad;
		__u64 g;
	} key = { (__u32)getpid(), 0, (__u64)(uintptr_t)bpfprof_calib_g };

	bpf_map_delete_elem(bpf_map__fd(r->skel->maps.go_stacks), &key);
}

/*
 * Medians, not means: a call preempted inside its window would move a mean
 * by milliseconds on a busy machine. The window is the median time of a
 * call of "d" (its body is a few ns); what a call costs its caller, the
 * median time of "e" less its own window, over its CALIB_CHILDREN calls.
 * In e's rounds each call records its children first and itself last, and
 * it takes far longer than they do: its median is the middle of the top
 * 1 / (CALIB_CHILDREN + 1) of the histogram.
 */
static int calibrate_stage_mech(struct stage_cal_run *r, unsigned int m)
{
	struct uprobe_link entry = UPROBE_LINK_INIT, ret = UPROBE_LINK_INIT;
	struct stage_prog_cal *o = &r->out[m];
	int k = (int)probe_mech_entry(m);
	bool sites = probe_mech_return(m) != RETURN_PROBE;
	calib_fn call_d, call_e;
	/* Medians of 5 x 2000 calls and of 5 x 250 parents: ~40 ms; a ret
	 * site is single-stepped: 5 x 400 and 5 x 50. */
	int calls = (sites ? 1000 : sets[k].calls) * 2 / 5;
	double base = time_calls(sets[k].b, calls), window, parent, parents;
	uint64_t runs0, ns0, runs1, ns1;
	struct stage0 *h = malloc(sizeof(*h));
	int stats_fd, rc = -ENOMEM;

	if (!h)
		goto out;
	if ((rc = attach_mechanism(r, m, &entry, &ret, &call_d, &call_e))) {
		r->what = "attach the stage probes to bpfprof's own calls";
		goto out;
	}
	bpf_map_update_elem(bpf_map__fd(r->skel->maps.stage_mech), &(__u32){ 0 }, &(__u32){ m },
			    BPF_ANY);
	for (int i = 0; i < 50; i++)
		call_e();
	r->what = "read the calibration calls";
	if ((rc = record_calls(r, call_d, calls, h)))
		goto out;
	window = hist_rank(h->hist, (double)(h->calls - 1) / 2) - base;
	if ((rc = record_calls(r, call_e, calls / CALIB_CHILDREN, h)))
		goto out;
	parents = (double)h->calls / (CALIB_CHILDREN + 1);
	parent = hist_rank(h->hist, (double)h->calls - parents / 2);
	if (window < 0 || parent < 0 || !h->calls) {
		rc = -EAGAIN;
		goto out;
	}
	o->window_ns = window;
	o->full_ns = (parent - window - (CALIB_CHILDREN + 1) * base) / CALIB_CHILDREN;
	if (o->full_ns < window)
		o->full_ns = window;
	/* The programs' own time, as the run's cost windows will see it. */
	o->program_ns = -1;
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats_fd >= 0) {
		calib_fn volatile d = call_d;

		stage_prog_runs(r->pe, r->pr, &runs0, &ns0);
		for (int i = 0; i < calls; i++)
			d();
		stage_prog_runs(r->pe, r->pr, &runs1, &ns1);
		close(stats_fd);
		if (runs1 > runs0)
			o->program_ns = (double)(ns1 - ns0) / calls;
	}
	o->measured = true;
	rc = 0;
out:
	free(h);
	uprobe_link_destroy(&entry);
	uprobe_link_destroy(&ret);
	return rc;
}

static void *stage_cal_thread(void *arg)
{
	struct stage_cal_run *r = arg;
	pid_t target = (pid_t)r->skel->rodata->targ_tgid;
	cpu_set_t cpus;

	r->tid = (pid_t)syscall(SYS_gettid);
	__atomic_store_n(&r->skel->bss->calib_tid, (__u32)r->tid, __ATOMIC_RELAXED);
	/* Where the target may run: a probe costs more on some CPUs (the one
	 * that takes the interrupts) than on others. */
	if (target > 0 && !sched_getaffinity(target, sizeof(cpus), &cpus))
		sched_setaffinity(0, sizeof(cpus), &cpus);
	/* Go calls run on a fake goroutine whose stack ends above this frame. */
	bpfprof_calib_g[1] = (uint64_t)(uintptr_t)__builtin_frame_address(0);
	for (unsigned int m = 0; m < PROBE_MECHS && !r->rc; m++)
		if (r->mechs[m])
			r->rc = calibrate_stage_mech(r, m);
	go_calib_g_done(r);
	return NULL;
}

/* The calibration thread's stage stack goes back when its exit event has
 * run, which is after a join can return: wait for the task to be gone. */
static void wait_task_gone(pid_t tid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/self/task/%d", (int)tid);
	for (int i = 0; i < 1000 && !stat(path, &st); i++)
		usleep(1000);
}

/* The stage audit slots as they were: the calibration's calls are not the
 * target's. */
static void audit_restore(struct bpfprof_bpf *skel, const uint64_t *saved, int ncpus,
			  bool restore)
{
	int fd = bpf_map__fd(skel->maps.audit);

	for (__u32 slot = AUDIT_STAGE_MAP_FULL; slot < AUDIT_NR_SLOTS; slot++) {
		uint64_t *v = (uint64_t *)saved + (size_t)slot * ncpus;

		if (slot == AUDIT_FOLLOW_MAP_FULL)
			continue;
		if (restore)
			bpf_map_update_elem(fd, &slot, v, BPF_ANY);
		else if (bpf_map_lookup_elem(fd, &slot, v))
			memset(v, 0, sizeof(*v) * ncpus);
	}
}

static int discard_span(void *ctx, void *data, size_t len)
{
	return 0;
}

int probe_calibrate_stages(struct bpfprof_bpf *skel, enum uprobe_link_kind link_kind,
			   const bool mechs[PROBE_MECHS], struct stage_prog_cal out[PROBE_MECHS],
			   char *err, size_t errlen)
{
	struct stage_cal_run r = { .skel = skel, .link_kind = link_kind, .mechs = mechs,
				   .out = out, .ncpus = libbpf_num_possible_cpus() };
	uint64_t *audit;
	pthread_t th;
	int rc;

	memset(out, 0, sizeof(*out) * PROBE_MECHS);
	if (r.ncpus <= 0)
		return -EINVAL;
	audit = calloc((size_t)AUDIT_NR_SLOTS * r.ncpus, sizeof(*audit));
	if (!audit)
		return -ENOMEM;
	audit_restore(skel, audit, r.ncpus, false);
	__atomic_store_n(&skel->bss->calib_tgid, (__u32)getpid(), __ATOMIC_RELAXED);
	rc = pthread_create(&th, NULL, stage_cal_thread, &r);
	if (!rc) {
		pthread_join(th, NULL);
		wait_task_gone(r.tid);
		rc = r.rc;
	} else {
		rc = -rc;
		r.what = "start the calibration thread";
	}
	__atomic_store_n(&skel->bss->calib_tgid, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&skel->bss->calib_tid, 0, __ATOMIC_RELAXED);
	stage0_wipe(&r);
	audit_restore(skel, audit, r.ncpus, true);
	free(audit);
	if (skel->rodata->span_events) {
		struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(skel->maps.spans),
							  discard_span, NULL, NULL);

		if (rb) {
			ring_buffer__consume(rb);
			ring_buffer__free(rb);
		}
	}
	if (rc)
		set_err(err, errlen, "cannot %s: %s", r.what ? r.what : "time the stage probes",
			strerror(-rc));
	return rc;
}

/* ns per call of fn less ns per call of base, rounds interleaved: the median. */
static double time_diff_median(calib_fn fn, calib_fn base, int calls, int rounds)
{
	calib_fn volatile f = fn, b = base;
	double d[16];
	int n = rounds < 16 ? rounds : 16;

	for (int r = 0; r < n; r++) {
		double t0 = now_ns(), t1, t2;

		for (int i = 0; i < calls; i++)
			b();
		t1 = now_ns();
		for (int i = 0; i < calls; i++)
			f();
		t2 = now_ns();
		d[r] = ((t2 - t1) - (t1 - t0)) / calls;
	}
	/* insertion sort: a handful */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && d[j] < d[j - 1]; j--) {
			double t = d[j];

			d[j] = d[j - 1];
			d[j - 1] = t;
		}
	return n ? d[n / 2] : -1;
}

int machinery_open(struct machinery_probes *mp, enum uprobe_link_kind link_kind,
		   const bool mechs[PROBE_MECHS], char *err, size_t errlen)
{
	enum uprobe_link_kind site_kind = stages_site_link_kind(link_kind);
	struct bpf_program *site_prog;
	int rc;

	memset(mp, 0, sizeof(*mp));
	for (int m = 0; m < PROBE_MECHS; m++)
		for (int i = 0; i < 2; i++)
			mp->links[m][i] = (struct uprobe_link)UPROBE_LINK_INIT;
	mp->skel = calib_bpf__open();
	if (!mp->skel) {
		rc = -errno;
		set_err(err, errlen, "cannot open the calibration programs: %s", strerror(-rc));
		return rc;
	}
	/* Sites need a plain entry program: with session links the
	 * entry-only program is loaded as one (it returns 1, which a plain
	 * uprobe ignores). */
	site_prog = site_kind != link_kind ? mp->skel->progs.calib_uprobe_entry_only
					   : mp->skel->progs.calib_uprobe;
	bpf_program__set_autoload(mp->skel->progs.calib_uprobe_entry_only, site_kind != link_kind);
	rc = uprobe_link_prepare_prog(mp->skel->progs.calib_uprobe, link_kind);
	if (!rc && site_kind != link_kind)
		rc = uprobe_link_prepare_prog(site_prog, site_kind);
	rc = rc ?: calib_bpf__load(mp->skel);
	for (unsigned int m = 0; !rc && m < PROBE_MECHS; m++) {
		int k = (int)probe_mech_entry(m);
		enum return_kind rk = probe_mech_return(m);
		char path[4096];
		uint64_t off[2];

		/* Go's machinery is the thread sites' (same traps). */
		if (rk == RETURN_GO_SITES ||
		    !(mechs[m] || (rk == RETURN_SITES &&
				   mechs[probe_mech((enum entry_kind)k, RETURN_GO_SITES)])))
			continue;
		if (rk == RETURN_PROBE) {
			rc = attach_one(&mp->links[m][0], mp->skel->progs.calib_uprobe, link_kind,
					false, sets[k].r);
			if (!rc && link_kind != UPROBE_LINK_SESSION)
				rc = attach_one(&mp->links[m][1], mp->skel->progs.calib_uprobe,
						link_kind, true, sets[k].r);
		} else {
			rc = fn_location((uintptr_t)sets[k].s, path, sizeof(path), &off[0]);
			rc = rc
				     ?: fn_location((uintptr_t)sets[k].s_ret, path, sizeof(path),
						    &off[1]);
			rc = rc
				     ?: uprobe_link_attach(&mp->links[m][0], site_prog, site_kind,
							   false, path, off, NULL, 2, getpid());
		}
		mp->on[m] = !rc;
	}
	if (rc) {
		set_err(err, errlen, "cannot attach the probes that time the machinery: %s",
			strerror(-rc));
		machinery_close(mp);
		return rc;
	}
	/* The first hits install the probes (and may rewrite a nop5). */
	for (int k = 0; k < ENTRY_KINDS; k++)
		for (int i = 0; i < 20; i++) {
			sets[k].r();
			sets[k].s();
		}
	return 0;
}

void machinery_measure(const struct machinery_probes *mp, double ns[PROBE_MECHS])
{
	for (unsigned int m = 0; m < PROBE_MECHS; m++) {
		int k = (int)probe_mech_entry(m);
		enum return_kind rk = probe_mech_return(m);
		unsigned int sm = probe_mech((enum entry_kind)k, RETURN_SITES);

		if (rk == RETURN_GO_SITES) {
			ns[m] = mp->on[sm] ? ns[sm] : -1;
			continue;
		}
		if (!mp->on[m]) {
			ns[m] = -1;
			continue;
		}
		/* ~5 ms each: single-stepped probes ~10x fewer calls. */
		ns[m] = time_diff_median(rk == RETURN_PROBE ? sets[k].r : sets[k].s, sets[k].b,
					 rk == RETURN_PROBE ? sets[k].calls / 5 : 200, 5);
	}
}

void machinery_close(struct machinery_probes *mp)
{
	for (int m = 0; m < PROBE_MECHS; m++)
		for (int i = 0; i < 2; i++)
			uprobe_link_destroy(&mp->links[m][i]);
	calib_bpf__destroy(mp->skel);
	mp->skel = NULL;
	memset(mp->on, 0, sizeof(mp->on));
}
