// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <math.h>
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
 * "c" entry only (session links), "b" never, as the baseline. A child and
 * a parent that calls it CALIB_CHILDREN times carry the real stage
 * programs (stage_calibrator), a pair per return kind so that every
 * mechanism's probes can stay attached at once: "d" and "e" (return probe),
 * "sd" and "se" (return sites), "od" and "oe" (Go return sites), which
 * "gd" and "ge" call as Go code would: with a goroutine's g
 * (bpfprof_calib_g) in r14. Written in assembly so the first instruction is
 * exactly the kind it stands for; NAME_ret labels the ret, where a return
 * site probe goes.
 */
#define CALIB_CHILDREN 8
#define CALL8(fn) "call " fn "\ncall " fn "\ncall " fn "\ncall " fn "\n"
#define CALIB_FN(name, insn)                                                                       \
	".globl " name "\n.type " name ",@function\n.p2align 4\n" name ":\n" insn "\n.globl " name \
	"_ret\n" name "_ret:\nret\n.size " name ",.-" name "\n"
#define CALIB_PARENT(name, insn, child)                                                            \
	CALIB_FN(name, insn "\npush %rbp\n" CALL8(child) CALL8(child) "pop %rbp")
#define CALIB_GO_CALL(name, fn)                                                                    \
	CALIB_FN(name, "push %r14\nlea bpfprof_calib_g(%rip), %r14\ncall " fn "\npop %r14")
#define CALIB_PAIR(kind, p, insn)                                                                  \
	CALIB_FN("bpfprof_calib_" kind "_" p "d", insn)                                            \
	CALIB_PARENT("bpfprof_calib_" kind "_" p "e", insn, "bpfprof_calib_" kind "_" p "d")
#define CALIB_SET(kind, insn)                                                                      \
	CALIB_FN("bpfprof_calib_" kind "_a", insn)                                                 \
	CALIB_FN("bpfprof_calib_" kind "_b", insn)                                                 \
	CALIB_FN("bpfprof_calib_" kind "_c", insn)                                                 \
	CALIB_PAIR(kind, "", insn)                                                                 \
	CALIB_PAIR(kind, "s", insn)                                                                \
	CALIB_PAIR(kind, "o", insn)                                                                \
	CALIB_GO_CALL("bpfprof_calib_" kind "_gd", "bpfprof_calib_" kind "_od")                    \
	CALIB_GO_CALL("bpfprof_calib_" kind "_ge", "bpfprof_calib_" kind "_oe")

/* The calibration functions' body, as a small function's: a call and a
 * short loop over a data line. The probes' kernel work evicts what the
 * function then runs and touches; with an empty body the correction missed
 * that (~25 ns a call here: 690 ns against 722 taken by a ~90 ns spin). */
__attribute__((used)) uint64_t bpfprof_calib_sink;
#define CALIB_BODY "push %rbp\ncall bpfprof_calib_work\npop %rbp"

/* The goroutine the Go calibration calls run on: runtime.g's stack.lo and
 * stack.hi; hi is set above the calibration thread's frames. */
__attribute__((used)) uint64_t bpfprof_calib_g[2];

__asm__(".pushsection .text\n.p2align 6\nbpfprof_calib_work:\nmov $16, %ecx\n"
	"1: addq %rcx, bpfprof_calib_sink(%rip)\ndec %ecx\njnz 1b\nret\n"
	CALIB_SET("push", CALIB_BODY)
		CALIB_SET("nop5", ".byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n" CALIB_BODY)
			CALIB_SET("step", "lea 8(%rsp), %rax\n" CALIB_BODY) ".popsection\n");

/* Return sites: an entry probe on the push, another on the ret after it. */
#define CALIB_SITE_RET_OFFSET 2 /* push %rbp; pop %rbp: 1 byte each */
__asm__(".pushsection .text\n" CALIB_FN("bpfprof_calib_site_a", "push %rbp\npop %rbp")
		CALIB_FN("bpfprof_calib_site_b", "push %rbp\npop %rbp") ".popsection\n");
void bpfprof_calib_site_a(void);
void bpfprof_calib_site_b(void);

typedef void (*calib_fn)(void);
#define DECLARE_PAIR(kind, p)                                                                      \
	void bpfprof_calib_##kind##_##p##d(void);                                                  \
	void bpfprof_calib_##kind##_##p##e(void);                                                  \
	extern const char bpfprof_calib_##kind##_##p##d_ret[], bpfprof_calib_##kind##_##p##e_ret[];
#define DECLARE_SET(kind)                                                                          \
	void bpfprof_calib_##kind##_a(void);                                                       \
	void bpfprof_calib_##kind##_b(void);                                                       \
	void bpfprof_calib_##kind##_c(void);                                                       \
	DECLARE_PAIR(kind, )                                                                       \
	DECLARE_PAIR(kind, s)                                                                      \
	DECLARE_PAIR(kind, o)                                                                      \
	void bpfprof_calib_##kind##_gd(void);                                                      \
	void bpfprof_calib_##kind##_ge(void);
DECLARE_SET(push)
DECLARE_SET(nop5)
DECLARE_SET(step)

/* The child and parent of one return kind; call_*: what to call them by. */
struct calib_pair {
	calib_fn d, e, call_d, call_e;
	const char *d_ret, *e_ret;
};

static const struct {
	calib_fn a, b, c;
	struct calib_pair pair[RETURN_KINDS];
	int calls; /* per round: single-stepping costs ~10x more a call */
} sets[ENTRY_KINDS] = {
#define PAIR(kind, p, cd, ce)                                                                      \
	{                                                                                          \
		bpfprof_calib_##kind##_##p##d, bpfprof_calib_##kind##_##p##e, cd, ce,              \
			bpfprof_calib_##kind##_##p##d_ret, bpfprof_calib_##kind##_##p##e_ret       \
	}
#define SET(kind, n)                                                                               \
	{                                                                                          \
		bpfprof_calib_##kind##_a, bpfprof_calib_##kind##_b, bpfprof_calib_##kind##_c,      \
			{ [RETURN_PROBE] = PAIR(kind, , bpfprof_calib_##kind##_d,                  \
						bpfprof_calib_##kind##_e),                         \
			  [RETURN_SITES] = PAIR(kind, s, bpfprof_calib_##kind##_sd,                \
						bpfprof_calib_##kind##_se),                        \
			  [RETURN_GO_SITES] = PAIR(kind, o, bpfprof_calib_##kind##_gd,             \
						   bpfprof_calib_##kind##_ge) },                   \
			n                                                                          \
	}
	[ENTRY_EMULATED] = SET(push, 5000),
	[ENTRY_NOP5] = SET(nop5, 5000),
	[ENTRY_SINGLE_STEP] = SET(step, 1000),
#undef SET
#undef PAIR
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
 * The real stage programs on bpfprof's own calls, recorded as the stage id
 * past the target's (the loader leaves room for it), with a probe_costs
 * slot that takes nothing off: the raw times. The BPF side counts no audit
 * slot and emits no span for the calibration thread (calib_tid), so this
 * runs as well during the run as before it; what it leaves in the maps is
 * wiped after. On a thread of its own, on the CPUs the target may use,
 * whose exit gives its stage stack back.
 */
struct stage_cal_run {
	struct stage_calibrator *sc;
	struct stage_prog_cal *out;
	bool program_time; /* BPF stats can be switched on (before the drop) */
	int rc;
	const char *what; /* what failed */
	pid_t tid;
};

/* The calibration stage as bpfprof's own calls left it: calls and their histogram. */
struct stage0 {
	uint64_t calls;
	uint64_t hist[HIST_BUCKETS];
};

/* Where the BPF side counts the calibration's stage: one target's array,
 * unless -U names moved the ids from there on to the hash. */
static bool in_array(const struct stage_calibrator *sc)
{
	return sc->skel->rodata->one_target && sc->stage < sc->skel->rodata->stage_array_ids;
}

static int stage0_read(const struct stage_calibrator *sc, struct stage0 *out)
{
	struct bpfprof_bpf *skel = sc->skel;
	struct stage_stats *v = calloc((size_t)sc->ncpus, sizeof(*v));
	struct stage_key key = { .tgid = (__u32)getpid(), .stage = sc->stage };
	int rc;

	if (!v)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	if (in_array(sc))
		rc = bpf_map_lookup_elem(bpf_map__fd(skel->maps.stage_counts), &key.stage, v);
	else
		rc = bpf_map_lookup_elem(bpf_map__fd(skel->maps.stage_stats), &key, v);
	rc = rc && errno != ENOENT ? -errno : 0;
	for (int c = 0; !rc && c < sc->ncpus; c++) {
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

/*
 * The mean of the values of ranks [from, to) (from 0) in a histogram, each
 * at its bucket's middle, leaving out those above `cap` times the median of
 * that range (calls preempted or interrupted); -1 when it holds none.
 */
static double hist_trimmed_mean(const uint64_t *hist, double from, double to, double cap)
{
	double limit = cap * hist_rank(hist, from + (to - from - 1) / 2), seen = 0, sum = 0, n = 0;

	for (unsigned int b = 0; b < HIST_BUCKETS && seen < to; b++) {
		double lo = (double)hist_bucket_lower(b), hi = (double)hist_bucket_upper(b);
		double in = fmin(seen + (double)hist[b], to) - fmax(seen, from);

		seen += (double)hist[b];
		if (in <= 0 || lo > limit)
			continue;
		sum += in * (lo + hi) / 2;
		n += in;
	}
	return n > 0 ? sum / n : -1;
}

/*
 * Zeroed, not deleted, in the hash too: the calibrations during the run run
 * beside the collector, which walks stage_stats key by key (skipping
 * bpfprof's own), and a walk whose last key was deleted under it starts
 * over from the first key and counts everything twice. The procs entry no
 * walk reads.
 */
static void stage0_wipe(const struct stage_calibrator *sc)
{
	struct bpfprof_bpf *skel = sc->skel;
	struct stage_key key = { .tgid = (__u32)getpid(), .stage = sc->stage };
	struct stage_stats *zero = calloc((size_t)sc->ncpus, sizeof(*zero));

	if (zero && in_array(sc))
		bpf_map_update_elem(bpf_map__fd(skel->maps.stage_counts), &key.stage, zero,
				    BPF_ANY);
	else if (zero)
		bpf_map_update_elem(bpf_map__fd(skel->maps.stage_stats), &key, zero, BPF_EXIST);
	if (!in_array(sc))
		bpf_map_delete_elem(bpf_map__fd(skel->maps.procs), &key.tgid);
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
			   enum uprobe_link_kind kind, uint32_t stage, uintptr_t d, uintptr_t e)
{
	char path[4096], path_e[4096];
	uint64_t off[2], cookies[2] = { stage, stage };
	int rc = fn_location(d, path, sizeof(path), &off[0]);

	rc = rc ?: fn_location(e, path_e, sizeof(path_e), &off[1]);
	if (!rc && strcmp(path, path_e))
		rc = -ENOTSUP;
	return rc ?: uprobe_link_attach(l, prog, kind, false, path, off, cookies, 2, getpid());
}

/* n calls of fn in rounds; acc gets the histogram of what they recorded. */
static int record_calls(const struct stage_calibrator *sc, calib_fn fn, int n, struct stage0 *acc)
{
	calib_fn volatile f = fn;
	struct stage0 a, z;
	int rc;

	memset(acc, 0, sizeof(*acc));
	for (int round = 0; round < STAGE_CAL_ROUNDS; round++) {
		if (__atomic_load_n(&sc->cancel, __ATOMIC_RELAXED))
			return -ECANCELED;
		if ((rc = stage0_read(sc, &a)))
			return rc;
		for (int i = 0; i < n; i++)
			f();
		if ((rc = stage0_read(sc, &z)))
			return rc;
		acc->calls += z.calls - a.calls;
		for (int b = 0; b < HIST_BUCKETS; b++)
			acc->hist[b] += z.hist[b] - a.hist[b];
	}
	return 0;
}

/* The programs of mechanism m, attached to its child and parent: a return
 * probe, or return-site probes on their rets (cookie: the stage, a ret that
 * always leaves). */
static int attach_mechanism(struct stage_calibrator *sc, unsigned int m)
{
	const struct calib_pair *p = &sets[probe_mech_entry(m)].pair[probe_mech_return(m)];
	enum return_kind rk = probe_mech_return(m);
	enum uprobe_link_kind lk = sc->link_kind;
	uintptr_t d = (uintptr_t)p->d, e = (uintptr_t)p->e;
	struct uprobe_link *entry = &sc->links[m][0], *ret = &sc->links[m][1];
	struct stage_progs progs;
	int rc;

	loader_stage_programs(sc->skel, lk, &progs);
	sc->pe[m] = rk == RETURN_PROBE	 ? progs.entry
		    : rk == RETURN_SITES ? progs.site_entry
					 : progs.go_entry;
	sc->pr[m] = rk == RETURN_PROBE	 ? progs.ret
		    : rk == RETURN_SITES ? progs.site_return
					 : progs.go_return;
	if (!sc->pe[m] || !sc->pr[m])
		return -ENOTSUP;
	if (rk == RETURN_PROBE) {
		rc = attach_calib_at(entry, sc->pe[m], lk, sc->stage, d, e);
		if (!rc && lk != UPROBE_LINK_SESSION) {
			char path[4096];
			uint64_t off[2], cookies[2] = { sc->stage, sc->stage };

			rc = fn_location(d, path, sizeof(path), &off[0]);
			rc = rc ?: fn_location(e, path, sizeof(path), &off[1]);
			rc = rc
				     ?: uprobe_link_attach(ret, sc->pr[m], lk, true, path, off,
							   cookies, 2, getpid());
		}
		return rc;
	}
	lk = stages_site_link_kind(lk);
	rc = attach_calib_at(ret, sc->pr[m], lk, sc->stage, (uintptr_t)p->d_ret,
			     (uintptr_t)p->e_ret);
	return rc ?: attach_calib_at(entry, sc->pe[m], lk, sc->stage, d, e);
}

/*
 * Trimmed means: what the probes take off the calls' total and self times
 * on average. Without the calls more than CALIB_TRIM times the median (a
 * call preempted inside its window would move a mean by milliseconds on a
 * busy machine). On this VM a share of the probed calls pays ~150 ns more
 * (a few % to most, changing over seconds, the same for every function at
 * a time); a mean counts that share as it was while calibrating. The window
 * is the mean time of a call of the child, less the unprobed call; what a
 * call costs its caller, the mean time of the parent less its own window,
 * over its CALIB_CHILDREN calls. In the parent's rounds each call records
 * its children first and itself last, and it takes far longer than they
 * do: its times are the top 1 / (CALIB_CHILDREN + 1) of the histogram.
 */
#define CALIB_TRIM 2.0
static int time_mechanism(struct stage_cal_run *r, unsigned int m, int calls, double base,
			  double *window, double *full)
{
	const struct calib_pair *p = &sets[probe_mech_entry(m)].pair[probe_mech_return(m)];
	struct stage0 *h = malloc(sizeof(*h));
	double parent, parents;
	int rc;

	if (!h)
		return -ENOMEM;
	r->what = "read the calibration calls";
	if ((rc = record_calls(r->sc, p->call_d, calls, h)))
		goto out;
	*window = hist_trimmed_mean(h->hist, 0, (double)h->calls, CALIB_TRIM) - base;
	if ((rc = record_calls(r->sc, p->call_e, calls / CALIB_CHILDREN, h)))
		goto out;
	parents = (double)h->calls / (CALIB_CHILDREN + 1);
	parent = hist_trimmed_mean(h->hist, (double)h->calls - parents, (double)h->calls,
				   CALIB_TRIM);
	if (*window < 0 || parent < 0 || !h->calls) {
		r->what = "time the stage probes (no calls recorded)";
		rc = -EAGAIN;
		goto out;
	}
	*full = (parent - *window - (CALIB_CHILDREN + 1) * base) / CALIB_CHILDREN;
	if (*full < *window)
		*full = *window;
out:
	free(h);
	return rc;
}

/*
 * With the BPF stats on (where they can be switched on: the start's first
 * calibration), the programs' own time as the run's cost windows will see
 * it, and what the stats add to a call: the windows' correction.
 */
static void time_with_stats(struct stage_cal_run *r, unsigned int m, int calls, double base)
{
	struct stage_calibrator *sc = r->sc;
	struct stage_prog_cal *o = &r->out[m];
	calib_fn volatile d = sets[probe_mech_entry(m)].pair[probe_mech_return(m)].call_d;
	uint64_t runs0, ns0, runs1, ns1;
	double window, full;
	int stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	if (stats_fd < 0)
		return;
	stage_prog_runs(sc->pe[m], sc->pr[m], &runs0, &ns0);
	for (int i = 0; i < calls; i++)
		d();
	stage_prog_runs(sc->pe[m], sc->pr[m], &runs1, &ns1);
	if (runs1 > runs0)
		o->program_ns = (double)(ns1 - ns0) / calls;
	if (!time_mechanism(r, m, calls, base, &window, &full)) {
		o->stats_window_extra_ns = fmax(window - o->window_ns, 0);
		o->stats_full_extra_ns = fmax(full - o->full_ns, o->stats_window_extra_ns);
	}
	close(stats_fd);
}

static int calibrate_stage_mech(struct stage_cal_run *r, unsigned int m)
{
	struct stage_prog_cal *o = &r->out[m];
	int k = (int)probe_mech_entry(m);
	const struct calib_pair *p = &sets[k].pair[probe_mech_return(m)];
	bool sites = probe_mech_return(m) != RETURN_PROBE;
	/* Means of 5 x 2000 calls and of 5 x 250 parents: ~40 ms; a ret
	 * site is single-stepped: 5 x 400 and 5 x 50. */
	int calls = (sites ? 1000 : sets[k].calls) * 2 / 5;
	double base = time_calls(sets[k].b, calls);
	int rc;

	bpf_map_update_elem(bpf_map__fd(r->sc->skel->maps.stage_mech), &r->sc->stage,
			    &(__u32){ PROBE_MECH_RAW(m) }, BPF_ANY);
	for (int i = 0; i < 50; i++)
		p->call_e();
	if ((rc = time_mechanism(r, m, calls, base, &o->window_ns, &o->full_ns)))
		return rc;
	o->program_ns = -1;
	if (r->program_time)
		time_with_stats(r, m, calls, base);
	o->measured = true;
	return 0;
}

static void *stage_cal_thread(void *arg)
{
	struct stage_cal_run *r = arg;
	struct stage_calibrator *sc = r->sc;
	pid_t target = (pid_t)sc->skel->rodata->targ_tgid;
	cpu_set_t cpus;

	r->tid = (pid_t)syscall(SYS_gettid);
	/* Its name tells it apart in top -H (and to the tests). */
	pthread_setname_np(pthread_self(), "bpfprof-calib");
	__atomic_store_n(&sc->skel->bss->calib_tid, (__u32)r->tid, __ATOMIC_RELAXED);
	/* Where the target may run: a probe costs more on some CPUs (the one
	 * that takes the interrupts) than on others. */
	if (target > 0 && !sched_getaffinity(target, sizeof(cpus), &cpus))
		sched_setaffinity(0, sizeof(cpus), &cpus);
	/* Go calls run on a fake goroutine whose stack ends above this frame. */
	bpfprof_calib_g[1] = (uint64_t)(uintptr_t)__builtin_frame_address(0);
	for (unsigned int m = 0; m < PROBE_MECHS && !r->rc; m++) {
		if (__atomic_load_n(&sc->cancel, __ATOMIC_RELAXED))
			r->rc = -ECANCELED;
		else if (sc->on[m])
			r->rc = calibrate_stage_mech(r, m);
	}
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

/* The Go calibration's goroutine leaves go_stacks. */
static void go_calib_g_done(const struct stage_calibrator *sc)
{
	struct {
		__u32 tgid, pad;
		__u64 g;
	} key = { (__u32)getpid(), 0, (__u64)(uintptr_t)bpfprof_calib_g };

	bpf_map_delete_elem(bpf_map__fd(sc->skel->maps.go_stacks), &key);
}

int stage_calibrator_open(struct stage_calibrator *sc, struct bpfprof_bpf *skel,
			  enum uprobe_link_kind link_kind, const bool mechs[PROBE_MECHS], char *err,
			  size_t errlen)
{
	int rc = 0;

	memset(sc, 0, sizeof(*sc));
	for (int m = 0; m < PROBE_MECHS; m++)
		for (int i = 0; i < 2; i++)
			sc->links[m][i] = (struct uprobe_link)UPROBE_LINK_INIT;
	sc->skel = skel;
	sc->link_kind = link_kind;
	sc->ncpus = libbpf_num_possible_cpus();
	/* The loader sizes the stage maps one past the target's stages. */
	sc->stage = bpf_map__max_entries(skel->maps.stage_mech) - 1;
	if (sc->ncpus <= 0 || !sc->stage)
		rc = -EINVAL;
	for (unsigned int m = 0; !rc && m < PROBE_MECHS; m++) {
		if (!mechs[m])
			continue;
		rc = attach_mechanism(sc, m);
		sc->on[m] = !rc;
	}
	if (rc) {
		set_err(err, errlen, "cannot attach the stage probes to bpfprof's own calls: %s",
			strerror(-rc));
		stage_calibrator_close(sc);
	}
	return rc;
}

int stage_calibrator_run(struct stage_calibrator *sc, bool program_time,
			 struct stage_prog_cal out[PROBE_MECHS], char *err, size_t errlen)
{
	struct stage_cal_run r = { .sc = sc, .out = out, .program_time = program_time };
	struct bpfprof_bpf *skel = sc->skel;
	pthread_t th;
	int rc;

	memset(out, 0, sizeof(*out) * PROBE_MECHS);
	if (!skel)
		return -EINVAL;
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
	stage0_wipe(sc);
	go_calib_g_done(sc);
	if (rc)
		set_err(err, errlen, "cannot %s: %s", r.what ? r.what : "time the stage probes",
			strerror(-rc));
	return rc;
}

void stage_calibrator_cancel(struct stage_calibrator *sc)
{
	__atomic_store_n(&sc->cancel, 1, __ATOMIC_RELAXED);
}

void stage_calibrator_close(struct stage_calibrator *sc)
{
	for (int m = 0; m < PROBE_MECHS; m++)
		for (int i = 0; i < 2; i++)
			uprobe_link_destroy(&sc->links[m][i]);
	memset(sc->on, 0, sizeof(sc->on));
	sc->skel = NULL;
}
