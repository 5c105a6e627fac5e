/* SPDX-License-Identifier: MIT */
/*
 * USDT probes: the .note.stapsdt entries that sys/sdt.h (and
 * include/bpfprof/marker.h) leave in a binary, their argument specs, and
 * the -U / -m specs that turn BEGIN..END pairs into stages.
 */
#ifndef BPFPROF_USDT_H
#define BPFPROF_USDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct stage_table;

#define USDT_MAX_ARGS 12

enum usdt_arg_type {
	USDT_ARG_CONST,	    /* $imm */
	USDT_ARG_REG,	    /* %reg */
	USDT_ARG_REG_DEREF, /* disp(%reg): the value at reg + disp */
};

struct usdt_arg {
	enum usdt_arg_type type;
	int size;	 /* bytes, negative when signed ("-4@...") */
	int reg_off;	 /* offset of the register in x86_64 struct pt_regs */
	int64_t val;	 /* the constant, or the displacement */
};

struct usdt_probe {
	char *provider;
	char *name;
	char *args_text;	 /* as in the note */
	uint64_t pc;		 /* address, .stapsdt.base adjusted */
	uint64_t offset;	 /* file offset of the probe site */
	uint64_t semaphore;	 /* address, 0 when none */
	uint64_t ref_ctr_offset; /* its file offset: what the kernel increments */
	bool args_readable; /* every argument spec parsed */
	int nargs;
	struct usdt_arg args[USDT_MAX_ARGS];
};

struct usdt_list {
	struct usdt_probe *v;
	size_t n;
};

/*
 * Parse one argument spec ("-4@%edi", "8@16(%rbp)", "4@$42", "8@(%rax)").
 * 0, or -EINVAL for a form bpfprof cannot read (index registers, %rip).
 */
int usdt_parse_arg(const char *spec, struct usdt_arg *out);

/*
 * Every probe in the .note.stapsdt of @path (none: n == 0). A note that is
 * cut short, or whose address falls outside the binary's code, is an error
 * naming @display; a probe with an argument spec bpfprof cannot read
 * (%rip-relative, index registers) is kept with args_readable false.
 */
int usdt_read(const char *path, const char *display, struct usdt_list *out, char *err,
	      size_t errlen);
void usdt_list_free(struct usdt_list *l);

/* --list: one line per probe (provider, name, arguments, semaphore). */
void usdt_print(FILE *f, const struct usdt_list *l, const char *display);

/* A -U spec, parsed: "[BINARY:]PROVIDER:NAME" or
 * "[BINARY:]PROVIDER:BEGIN..END[@N[,M...]]". */
#define USDT_SPEC_MAX_ARGS 4 /* bpfprof.h's USDT_NAME_MAX_ARGS */
struct usdt_spec {
	char *binary;
	char *provider;
	char *begin;
	char *end;	 /* NULL: a single probe */
	int nargs;	 /* @N,...: how many; 0 without @ */
	int argn[USDT_SPEC_MAX_ARGS]; /* 1-based argument numbers, as given */
};

/* 0, or -EINVAL / -ENOMEM with err set (one line naming @arg). */
int usdt_spec_parse(const char *arg, struct usdt_spec *s, char *err, size_t errlen);
void usdt_spec_free(struct usdt_spec *s);

/*
 * Whether argument @spec can name a stage: a pointer, so 8 bytes ("8@..."
 * or "-8@..."). 0, or -EINVAL.
 */
int usdt_arg_is_pointer(const struct usdt_arg *a);

/* What the (other) stage of a -U ...@N spec keeps for the probes. */
struct usdt_named {
	uint32_t spec;	    /* index among the named specs */
	uint32_t cap;	    /* --usdt-names */
	uint32_t site_base; /* the first BEGIN site's index (its cookie) */
	int nargs;
	size_t n_begin;	       /* BEGIN sites, in usdt_sites order */
	struct usdt_arg *locs; /* n_begin * nargs: where each site has them */
};

void usdt_named_free(struct usdt_named *n);

/* What the named specs of @t need in the BPF maps (all 0: none). */
struct usdt_named_sizes {
	uint32_t specs, sites, names; /* names: the ids they can hand out */
	uint32_t first_slot;	       /* the lowest of those ids; the table's size: none */
	int max_args;
};

void usdt_named_sizes(const struct stage_table *t, struct usdt_named_sizes *out);

struct stage_table;

/*
 * -U "[BINARY:]PROVIDER:BEGIN..END" and -m "[BINARY:]GLOB" (markers:
 * provider bpfprof, GLOB matched against NAME of NAME__begin/NAME__end)
 * into stages appended to @t. BINARY defaults to the target's executable,
 * then (pid > 0) the libraries it maps that carry the provider.
 */
int usdt_resolve_stages(const char *const *specs, int n, const char *const *markers, int n_markers,
			uint32_t names_cap, pid_t pid, const char *main_exe, struct stage_table *t,
			FILE *info, char *err, size_t errlen);

/* --usdt-names: the default, and the most one spec may keep. */
#define USDT_NAMES_DEFAULT 4096
#define USDT_NAMES_MAX 65536
/* Without --usdt-names, a spec's names' counters (preallocated: a probe
 * never allocates) stay within this much kernel memory: the default is
 * lowered on machines with many CPUs. */
#define USDT_NAMES_BUDGET (64UL << 20)

/* The names a spec keeps without --usdt-names, on @ncpus CPUs. */
uint32_t usdt_names_default(int ncpus);

struct bpfprof_bpf;
struct stage_links;

/* Attach the USDT stages of @t (entry-less links at BEGIN and END, their
 * semaphores armed) onto @out, after the function stages. */
#include "probes/uprobe_link.h"

/* MULTI where the kernel has it (no session: BEGIN and END are two
 * different places), else PERF. */
enum uprobe_link_kind usdt_link_kind(void);
bool stages_have_usdt(const struct stage_table *t);

int usdt_attach(const struct stage_table *t, const struct bpfprof_bpf *skel, pid_t pid,
		struct stage_links *out, char *err, size_t errlen);

/* After load, before attach: the named specs' sites and id ranges into
 * the maps. 0, or -errno with err set. */
int usdt_named_setup(const struct stage_table *t, const struct bpfprof_bpf *skel, char *err,
		     size_t errlen);

/*
 * The names the probes have met so far (the usdt_names map, @fd) onto the
 * name slots of @t: each slot is named once, the joined string arguments
 * (":" between them). How many slots were named, or -errno.
 */
int usdt_names_refresh(struct stage_table *t, int fd);

/* The name for one key of the usdt_names map: its arguments joined;
 * "(empty)" when that is the empty string. */
void usdt_name_join(const char *text, int nargs, char *out, size_t len);

#endif
