// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "calib.skel.h"
#include "common/errmsg.h"
#include "cost/probe_calibration.h"

/*
 * Three copies of a function per entry kind: "a" is probed entry and
 * return, "c" entry only (session links), "b" never, as the baseline. Written
 * in assembly so the first instruction is exactly the kind it stands for.
 */
#define CALIB_FN(name, insn)                                                                       \
	".globl " name "\n.type " name ",@function\n.p2align 4\n" name ":\n" insn "\nret\n"        \
	".size " name ",.-" name "\n"
#define CALIB_SET(kind, insn)                                                                      \
	CALIB_FN("bpfprof_calib_" kind "_a", insn)                                                 \
	CALIB_FN("bpfprof_calib_" kind "_b", insn) CALIB_FN("bpfprof_calib_" kind "_c", insn)

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
	void bpfprof_calib_##kind##_c(void);
DECLARE_SET(push)
DECLARE_SET(nop5)
DECLARE_SET(step)

static const struct {
	calib_fn a, b, c;
	int calls; /* per round: single-stepping costs ~10x more a call */
} sets[ENTRY_KINDS] = {
	[ENTRY_EMULATED] = { bpfprof_calib_push_a, bpfprof_calib_push_b, bpfprof_calib_push_c,
			     5000 },
	[ENTRY_NOP5] = { bpfprof_calib_nop5_a, bpfprof_calib_nop5_b, bpfprof_calib_nop5_c, 5000 },
	[ENTRY_SINGLE_STEP] = { bpfprof_calib_step_a, bpfprof_calib_step_b, bpfprof_calib_step_c,
				1000 },
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
static int fn_location(calib_fn fn, char *path, size_t len, uint64_t *offset)
{
	uint64_t addr = (uint64_t)(uintptr_t)fn, start, end, off;
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
	int rc = fn_location(fn, path, sizeof(path), &off);

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
	rc = rc ?: fn_location(bpfprof_calib_site_a, path, sizeof(path), &offs[0]);
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
