/* SPDX-License-Identifier: MIT */
/*
 * Stages: the functions -u asks to time. Resolves the specs into a table of
 * probe sites (one per function; the index is the stage id the BPF side
 * sees as the probe's cookie), then attaches them with as few links as the
 * kernel allows: one session link per binary where it can.
 */
#ifndef BPFPROF_STAGES_H
#define BPFPROF_STAGES_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include "probes/symbols.h"
#include "probes/uprobe_link.h"

/* --returns: how the end of a call is seen. */
enum returns_mode {
	RETURNS_AUTO, /* the cheapest mechanism that is safe for each function */
	RETURNS_SAFE, /* return-site probes everywhere */
	RETURNS_FAST, /* return probes everywhere: may crash C++, Rust and Go programs */
};

/* 0, or -EINVAL for anything but "auto", "safe", "fast". */
int returns_mode_parse(const char *s, enum returns_mode *out);

enum ret_mech {
	/* A uretprobe (or the return half of a session uprobe): the kernel
	 * swaps the return address for its trampoline's, which unwinders
	 * (C++ exceptions, Rust panics) and Go's stack walks cannot pass. */
	RET_PROBE,
	/* Plain uprobes on every ret and every jump out of the function:
	 * nothing on the target's stack changes. A ret is single-stepped. */
	RET_SITES,
};

/* A USDT stage's probe sites (probes/usdt.h). */
enum usdt_site_role { USDT_SITE_BEGIN, USDT_SITE_END, USDT_SITE_ARM, USDT_SITE_HIT };
struct usdt_site {
	uint64_t offset;
	uint64_t ref_ctr; /* the semaphore's file offset, 0 for none */
	enum usdt_site_role role;
};

struct stage_def {
	char *name;	    /* demangled */
	char *binary;	    /* as the target sees it */
	char *path;	    /* what we open and attach to */
	uint64_t offset;    /* file offset of the probe */
	/* bytes from the entry to the probe: a straight-line start the probe
	 * moved past (entry_probe_site), or Go's stack check */
	uint32_t skipped;
	bool go_check; /* Go: the function has a stack check (skipped is about it) */
	enum entry_kind kind;
	/* Go, per goroutine: the entry probe is the stack check's jcc and this
	 * its condition (in the cookie; taken, the call restarts after
	 * morestack, so the probe ignores it) + 1; 0: it is not. */
	uint8_t entry_cond;
	enum bin_lang lang;	 /* of the binary, as the process makes it matter */
	enum ret_mech ret;
	bool goroutine;		 /* Go: the open calls are kept per goroutine, not thread */
	struct ret_site *sites;	 /* RET_SITES: where the call ends (owned) */
	size_t n_sites;
	/* RET_SITES: the entry probe's instruction is also a way out (a
	 * function that is one ret or one jump out, or whose probe moved onto
	 * one), which its one probe handles: entry_site, not in sites. */
	bool exits_at_entry;
	struct ret_site entry_site;
	uint32_t indirect_jumps; /* jumps out of a form not described: not probed */
	bool decoded;		 /* every instruction decoded: sites is complete */
	/* Where its symbol came from: ".symtab", ".dynsym", or "debuglink
	 * /path/x.debug" (a separate debug file, probes/debuginfo.h). */
	char *symbols_from;
	/* A USDT BEGIN..END pair (or marker pair) instead of a function: its
	 * sites, attached by usdt_attach(). NULL for functions. */
	struct usdt_site *usdt_sites;
	size_t n_usdt_sites;
	/* -U PROVIDER:NAME: a probe whose hits are counted (calls), named
	 * "PROVIDER:NAME"; written as PROC "usdt", not as a stage. */
	bool usdt_hits;
	/* -U PROVIDER:BEGIN..END@N,...: on the spec's first stage, "(other)",
	 * what its BEGIN sites read (probes/usdt.h); the `cap` stages after it
	 * are usdt_name_slot stages, named as the probes meet names. */
	struct usdt_named *usdt_named;
	bool usdt_name_slot;
};

/* Choose the return mechanism for function @m of a binary in language @lang. */
enum ret_mech stages_pick_return(enum returns_mode mode, enum bin_lang lang,
				 const struct sym_match *m);

struct stage_table {
	struct stage_def *v;
	size_t n;
	/* --sample N: stage counts in profiles are scaled by N (0 or 1: not sampled). */
	unsigned int sample_every;
};

/*
 * Resolves each spec against the target (pid > 0: its maps and root; the
 * main executable is main_exe, or /proc/PID/exe when NULL). A spec that
 * matches nothing is an error naming the pattern and the binary, and the
 * option the user gave it with (opt: "-u" when NULL, "--list"). Prints one
 * line per spec to `info` (NULL: quiet). 0, or -errno with err set.
 */
int stages_resolve(const char *const *specs, int n, pid_t pid, const char *main_exe,
		   enum returns_mode mode, const char *opt, struct stage_table *out, FILE *info,
		   char *err, size_t errlen);
void stage_table_free(struct stage_table *t);
/* --list: what the specs resolve to, one line per function. */
void stages_print(FILE *f, const struct stage_table *t);
/* What the stages are, for a log line: timing, "timing 1 function and 2 USDT
 * probe pairs, counting the hits of 1 USDT probe" (-u, -m and -U BEGIN..END
 * are timed, -U PROVIDER:NAME only counted); else "1 function, 2 USDT probe
 * pairs and 1 USDT probe". Returns buf. */
char *stages_describe(const struct stage_table *t, bool timing, char *buf, size_t len);
/* Stages the specs made, without the ids -U ...@N keeps for names. */
size_t stages_defined(const struct stage_table *t);
/* A function timed (-u): not a USDT pair, hit count or name slot. */
bool stage_is_function(const struct stage_def *d);
/* The functions timed. */
size_t stages_functions(const struct stage_table *t);
/* How many of those sit on an instruction the kernel single-steps. */
size_t stages_single_stepped(const struct stage_table *t);
/* How many stages end through return-site probes. */
size_t stages_with_return_sites(const struct stage_table *t, bool goroutine);

struct bpf_program;

struct stage_links {
	struct uprobe_link *links;
	size_t n;
	enum uprobe_link_kind kind;
};

/* One more link in @l (it takes the link over). 0 or -ENOMEM. */
int stage_links_push(struct stage_links *l, struct uprobe_link *link);

/* The cheapest link kind this kernel supports. */
enum uprobe_link_kind stages_pick_link_kind(void);

/* The programs each mechanism attaches (NULL: not loaded, not needed). */
struct stage_progs {
	const struct bpf_program *entry, *ret; /* RET_PROBE; the same one for sessions */
	const struct bpf_program *site_entry, *site_return; /* RET_SITES, per thread */
	const struct bpf_program *go_entry, *go_return;	    /* RET_SITES, per goroutine */
	const struct bpf_program *go_exit; /* runtime.goexit0: a goroutine's open calls end */
	int jump_sites_fd; /* where jumps through a register or memory go; -1: none */
	/* The Go scheduler's transitions (go_sched.bpf.h), and the kind of
	 * wait of each waitReason per binary; NULL / -1 without Go stages. */
	const struct bpf_program *go_park, *go_ready, *go_yield, *go_run;
	int go_wait_class_fd;
};

/* The link kind return-site programs use: no session, it would add a return probe. */
enum uprobe_link_kind stages_site_link_kind(enum uprobe_link_kind kind);

/* A return site's cookie: the stage id; the jcc condition + 1 in bits 32-39
 * (0: always); bit 40 for a site borrowed from a tail-called function, bit
 * 41 for a followed tail call (bpf/bpfprof/return_sites.bpf.h). */
#define STAGE_SITE_BORROWED (1ULL << 40)
#define STAGE_SITE_HANDOFF (1ULL << 41)
/* Bit 42: a jump through a register or memory, its jump_sites index in
 * bits 44-63 (set by stages_attach). Bit 43 on an entry's cookie: its
 * instruction is also the way out the other bits describe. */
#define STAGE_SITE_INDIRECT (1ULL << 42)
#define STAGE_SITE_AT_ENTRY (1ULL << 43)
#define STAGE_SITE_JUMP_SHIFT 44
static inline uint64_t stage_site_cookie(uint32_t stage, const struct ret_site *site)
{
	return (uint64_t)stage | (uint64_t)(site->cond + 1) << 32 |
	       (site->borrowed ? STAGE_SITE_BORROWED : 0) | (site->handoff ? STAGE_SITE_HANDOFF : 0);
}

/*
 * Per binary: one link (two for MULTI/PERF: entry and return) for the
 * RET_PROBE stages, and two (entries, return sites) per kind of RET_SITES
 * stage; the stage index as cookie. pid 0: every process. On failure
 * nothing stays attached.
 */
int stages_attach(const struct stage_table *t, enum uprobe_link_kind kind,
		  const struct stage_progs *progs, pid_t pid, struct stage_links *out, char *err,
		  size_t errlen);
void stages_detach(struct stage_links *l);

#endif
