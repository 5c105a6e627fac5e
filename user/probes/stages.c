// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "common/text.h"
#include "bpfprof.h"
#include "probes/go_runtime.h"
#include "probes/stage_spec.h"
#include "probes/stages.h"
#include "probes/usdt.h"

int returns_mode_parse(const char *s, enum returns_mode *out)
{
	if (!strcmp(s, "auto"))
		*out = RETURNS_AUTO;
	else if (!strcmp(s, "safe"))
		*out = RETURNS_SAFE;
	else if (!strcmp(s, "fast"))
		*out = RETURNS_FAST;
	else
		return -EINVAL;
	return 0;
}

enum ret_mech stages_pick_return(enum returns_mode mode, enum bin_lang lang,
				 const struct sym_match *m)
{
	if (mode == RETURNS_FAST)
		return RET_PROBE;
	if (mode == RETURNS_SAFE)
		return RET_SITES;
	switch (lang) {
	case LANG_C:
		return RET_PROBE;
	case LANG_CXX:
	case LANG_RUST:
		/* A leaf: nothing runs above its frame, so nothing can
		 * unwind through its hijacked return address. */
		return !m->calls && m->decoded ? RET_PROBE : RET_SITES;
	case LANG_GO:
		break;
	}
	/* Go walks goroutine stacks (growth, GC, tracebacks) and moves
	 * goroutines between threads, where a uretprobe's state stays. */
	return RET_SITES;
}

/* C code in a C++, Rust or Go process: their exceptions, panics and
 * callbacks can pass through it, so it is treated like theirs (the C code
 * of a Go process runs on thread stacks: like C++). */
static enum bin_lang effective_lang(enum bin_lang bin, enum bin_lang proc)
{
	if (bin != LANG_C || proc == LANG_C)
		return bin;
	return proc == LANG_GO ? LANG_CXX : proc;
}

static int add_site(struct stage_table *t, const struct stage_spec *spec,
		    const struct sym_list *syms, const struct sym_match *m, enum bin_lang lang,
		    enum returns_mode mode)
{
	enum ret_mech ret = stages_pick_return(mode, lang, m);
	/* Go per goroutine: the entry probe sits on the stack check's jcc,
	 * which the kernel emulates, rather than on the instruction after the
	 * check, which it would mostly single-step (~10 us against ~0.7). A
	 * return probe could not be there: armed again when the call restarts. */
	bool on_check = ret == RET_SITES && lang == LANG_GO && m->go_check_cond >= 0 &&
			m->go_check_kind != ENTRY_SINGLE_STEP;
	uint64_t entry = m->probe_offset - m->skipped;
	uint64_t offset = on_check ? entry + m->go_check_jcc : m->probe_offset;
	struct stage_def *d, *v;

	/* The same function matched by two specs is one stage. */
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].offset == offset && !strcmp(t->v[i].path, spec->path))
			return 0;
	v = realloc(t->v, (t->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	t->v = v;
	d = &t->v[t->n];
	memset(d, 0, sizeof(*d));
	d->name = strdup(m->demangled ? m->demangled : m->name);
	d->binary = strdup(spec->display_path);
	d->path = strdup(spec->path);
	d->offset = offset;
	d->skipped = on_check ? m->go_check_jcc : m->skipped;
	d->kind = on_check ? m->go_check_kind : m->kind;
	d->entry_cond = on_check ? (uint8_t)(m->go_check_cond + 1) : 0;
	d->go_check = lang == LANG_GO && m->go_check_cond >= 0;
	d->lang = lang;
	d->ret = ret;
	d->goroutine = d->ret == RET_SITES && lang == LANG_GO;
	d->indirect_jumps = m->indirect_jumps;
	d->decoded = m->decoded;
	if (syms->debug_file) {
		if (asprintf(&d->symbols_from, "%s %s", syms->debug_origin, syms->debug_file) < 0)
			d->symbols_from = NULL;
	} else {
		d->symbols_from = strdup(syms->table ? syms->table : "");
	}
	t->n++;
	if (!d->name || !d->binary || !d->path || !d->symbols_from)
		return -ENOMEM;
	if (d->ret != RET_SITES || !m->n_sites)
		return 0;
	d->sites = calloc(m->n_sites, sizeof(*d->sites));
	if (!d->sites)
		return -ENOMEM;
	for (size_t i = 0; i < m->n_sites; i++) {
		/* Probes from two links on one instruction run in no known
		 * order: the entry's probe does that way out's work too. */
		if (m->sites[i].offset != offset) {
			d->sites[d->n_sites++] = m->sites[i];
		} else if (!m->sites[i].borrowed) { /* borrowed: it jumps to itself */
			d->exits_at_entry = true;
			d->entry_site = m->sites[i];
		}
	}
	return 0;
}

int stages_resolve(const char *const *specs, int n, pid_t pid, const char *main_exe,
		   enum returns_mode mode, const char *opt, struct stage_table *out, FILE *info,
		   char *err, size_t errlen)
{
	enum bin_lang proc_lang = LANG_C;
	char exe[64];
	int rc = 0;

	if (!opt)
		opt = "-u";
	memset(out, 0, sizeof(*out));
	if (!main_exe && pid > 0) {
		snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
		main_exe = exe;
	}
	if (main_exe)
		proc_lang = symbols_binary_lang(main_exe);
	for (int i = 0; i < n && !rc; i++) {
		struct stage_spec spec = {};
		struct sym_list syms = {};

		rc = stage_spec_parse(specs[i], &spec, err, errlen);
		if (!rc)
			rc = stage_spec_resolve(&spec, pid, main_exe, err, errlen);
		if (!rc)
			rc = symbols_match(spec.path, spec.glob, &syms, err, errlen);
		if (!rc && !syms.n && syms.go_inlined) {
			snprintf(err, errlen,
				 "%s '%s': %s in %s was inlined everywhere by the Go compiler: "
				 "there is no function to probe (build with -gcflags=-l to keep "
				 "it)",
				 opt, specs[i], syms.go_inlined, spec.display_path);
			rc = -ENOENT;
		}
		if (!rc && !syms.n) {
			snprintf(err, errlen, "%s '%s': no function in %s matches '%s'%s", opt,
				 specs[i], spec.display_path, spec.glob,
				 !syms.table ? " (the binary has no symbols)"
				 : !strcmp(syms.table, ".dynsym")
					 ? " (it is stripped and no debug file was found: only its "
					   "exported .dynsym functions can be timed)"
					 : "");
			rc = -ENOENT;
		}
		if (!rc && out->n + syms.n > STAGE_MAX_COUNT) {
			snprintf(err, errlen, "%s '%s': more than %d functions in all", opt,
				 specs[i], STAGE_MAX_COUNT);
			rc = -E2BIG;
		}
		for (size_t k = 0; !rc && k < syms.n; k++)
			rc = add_site(out, &spec, &syms, &syms.v[k],
				      effective_lang(syms.lang, proc_lang), mode);
		if (!rc && info)
			fprintf(info, "bpfprof: -u '%s': %zu function%s in %s%s%s\n",
				text_safe(specs[i]), syms.n, syms.n == 1 ? "" : "s",
				text_safe(spec.display_path), syms.debug_file ? ", symbols from " : "",
				syms.debug_file ? text_safe(syms.debug_file) : "");
		if (rc == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		sym_list_free(&syms);
		stage_spec_free(&spec);
	}
	if (rc)
		stage_table_free(out);
	return rc;
}

void stage_table_free(struct stage_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].name);
		free(t->v[i].binary);
		free(t->v[i].path);
		free(t->v[i].sites);
		free(t->v[i].symbols_from);
		free(t->v[i].usdt_sites);
		usdt_named_free(t->v[i].usdt_named);
	}
	free(t->v);
	memset(t, 0, sizeof(*t));
}

/* --list's RETURN column counts: own rets, jumps out, tail calls followed. */
static void count_site(const struct ret_site *s, size_t *own, size_t *tails, size_t *borrowed)
{
	*borrowed += s->handoff && !s->borrowed;
	/* with jumps through a register or memory, decided as they run */
	*tails += s->tail && !s->handoff && !s->borrowed;
	*own += !s->tail && !s->borrowed;
}

static void describe_return(const struct stage_def *d, char *buf, size_t len)
{
	size_t tails = 0, borrowed = 0, own = 0;

	if (d->ret == RET_PROBE) {
		snprintf(buf, len, "return-probe");
		return;
	}
	for (size_t i = 0; i < d->n_sites; i++)
		count_site(&d->sites[i], &own, &tails, &borrowed);
	if (d->exits_at_entry)
		count_site(&d->entry_site, &own, &tails, &borrowed);
	snprintf(buf, len, "%zu ret%s", own, own == 1 ? "" : "s");
	if (tails)
		snprintf(buf + strlen(buf), len - strlen(buf), "+%zu jmp", tails);
	if (borrowed)
		snprintf(buf + strlen(buf), len - strlen(buf), "+%zu tail", borrowed);
}

/* Where a Go function's entry probe sits against its stack-growth check. */
static const char *go_entry_note(const struct stage_def *d)
{
	if (d->lang != LANG_GO)
		return "";
	if (d->entry_cond)
		return "  (probe on the stack check's jump)";
	return d->go_check ? "  (probe after the stack check)" : "  (no stack check)";
}

/* An entry probe that is also a way out (stage_def.exits_at_entry). */
static const char *exit_at_entry_note(const struct stage_def *d)
{
	if (d->ret != RET_SITES || !d->exits_at_entry)
		return "";
	if (d->entry_site.handoff)
		return "  (its entry is its tail call: one probe enters and hands the call over)";
	return "  (its entry is its way out: one probe enters and leaves)";
}

/* The ENTRY column: how the kernel runs the probed instruction, and "+N"
 * when the probe sits N bytes past the entry, on the first instruction of
 * its straight-line start the kernel does not single-step. */
static void describe_entry(const struct stage_def *d, char *buf, size_t len)
{
	if (d->skipped && !d->go_check)
		snprintf(buf, len, "%s+%u", entry_kind_name(d->kind), d->skipped);
	else
		snprintf(buf, len, "%s", entry_kind_name(d->kind));
}

void stages_print(FILE *f, const struct stage_table *t)
{
	fprintf(f, "%-12s %-12s %-16s %-5s %s  %s  %s\n", "OFFSET", "ENTRY", "RETURN", "LANG",
		"FUNCTION", "BINARY", "SYMBOLS");
	for (size_t i = 0; i < t->n; i++) {
		const struct stage_def *d = &t->v[i];
		char ret[48], entry[32];

		if (d->usdt_name_slot)
			continue;

		describe_return(d, ret, sizeof(ret));
		describe_entry(d, entry, sizeof(entry));
		fprintf(f, "0x%-10lx %-12s %-16s %-5s %s  %s  %s%s%s%s%s\n", (unsigned long)d->offset,
			entry, ret, bin_lang_name(d->lang), text_safe(d->name),
			text_safe(d->binary), d->symbols_from ? text_safe(d->symbols_from) : "",
			go_entry_note(d), exit_at_entry_note(d),
			d->ret == RET_SITES && d->indirect_jumps
				? "  (a jump out it cannot follow: a tail call there ends as unfinished)"
				: "",
			d->ret == RET_SITES && !d->decoded ? "  (not fully decoded)" : "");
	}
	fprintf(f, "%zu function%s\n", stages_defined(t), stages_defined(t) == 1 ? "" : "s");
}

/* "N function(s)" and the like, after sep when it is not the first. */
static bool put_count(FILE *f, bool first, const char *sep, size_t n, const char *what)
{
	if (!n)
		return first;
	fprintf(f, "%s%zu %s%s", first ? "" : sep, n, what, n == 1 ? "" : "s");
	return false;
}

char *stages_describe(const struct stage_table *t, bool timing, char *buf, size_t len)
{
	size_t fns = 0, pairs = 0, hits = 0;
	bool first = true;
	FILE *f;

	for (size_t i = 0; i < t->n; i++) {
		const struct stage_def *d = &t->v[i];

		if (d->usdt_name_slot)
			continue;
		if (d->usdt_hits)
			hits++;
		else if (d->usdt_sites)
			pairs++;
		else
			fns++;
	}
	if (!len)
		return buf;
	buf[0] = '\0';
	f = fmemopen(buf, len, "w");
	if (!f)
		return buf;
	/* Functions and BEGIN..END pairs are timed; a single probe's hits are
	 * only counted. */
	if (timing && (fns || pairs))
		fprintf(f, "timing ");
	first = put_count(f, first, ", ", fns, "function");
	first = put_count(f, first, hits && !timing ? ", " : " and ", pairs, "USDT probe pair");
	if (timing && hits)
		fprintf(f, "%scounting the hits of ", first ? "" : ", ");
	put_count(f, timing || first, " and ", hits, "USDT probe");
	fclose(f);
	return buf;
}

size_t stages_defined(const struct stage_table *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++)
		n += !t->v[i].usdt_name_slot;
	return n;
}

bool stage_is_function(const struct stage_def *d)
{
	return !d->usdt_sites && !d->usdt_hits && !d->usdt_name_slot && !d->usdt_named;
}

size_t stages_functions(const struct stage_table *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++)
		n += stage_is_function(&t->v[i]);
	return n;
}

size_t stages_single_stepped(const struct stage_table *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++)
		n += t->v[i].kind == ENTRY_SINGLE_STEP && stage_is_function(&t->v[i]);
	return n;
}

size_t stages_with_return_sites(const struct stage_table *t, bool goroutine)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++)
		n += t->v[i].ret == RET_SITES && t->v[i].goroutine == goroutine;
	return n;
}

enum uprobe_link_kind stages_site_link_kind(enum uprobe_link_kind kind)
{
	return kind == UPROBE_LINK_SESSION ? UPROBE_LINK_MULTI : kind;
}

enum uprobe_link_kind stages_pick_link_kind(void)
{
	if (uprobe_link_kernel_supports(UPROBE_LINK_SESSION))
		return UPROBE_LINK_SESSION;
	if (uprobe_link_kernel_supports(UPROBE_LINK_MULTI))
		return UPROBE_LINK_MULTI;
	return UPROBE_LINK_PERF;
}

int stage_links_push(struct stage_links *l, struct uprobe_link *link)
{
	struct uprobe_link *v = realloc(l->links, (l->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	l->links = v;
	l->links[l->n++] = *link;
	return 0;
}

/* The groups of one binary's stages that attach together. */
enum attach_group {
	GROUP_PROBE,	   /* RET_PROBE: entry + return (or one session) */
	GROUP_SITES,	   /* RET_SITES, per thread */
	GROUP_GO_SITES,	   /* RET_SITES, per goroutine */
	GROUP_COUNT,
};

static bool in_group(const struct stage_def *d, int g)
{
	if (d->usdt_sites || d->usdt_name_slot)
		return false; /* USDT pairs: usdt_attach(); names: no probe of their own */
	if (g == GROUP_PROBE)
		return d->ret == RET_PROBE;
	return d->ret == RET_SITES && d->goroutine == (g == GROUP_GO_SITES);
}

static int attach_one(struct stage_links *out, const struct bpf_program *prog,
		      enum uprobe_link_kind kind, bool is_return, const char *path,
		      const char *binary, const uint64_t *offsets, const uint64_t *cookies,
		      size_t cnt, pid_t pid, char *err, size_t errlen)
{
	struct uprobe_link link = UPROBE_LINK_INIT;
	int rc;

	if (!cnt)
		return 0;
	if (!prog) {
		snprintf(err, errlen, "internal error: a stage program was not loaded");
		return -EINVAL;
	}
	rc = uprobe_link_attach(&link, prog, kind, is_return, path, offsets, cookies, cnt, pid);
	if (rc) {
		snprintf(err, errlen, "cannot attach %zu uprobe%s to %s (%s links): %s", cnt,
			 cnt == 1 ? "" : "s", binary, uprobe_link_kind_name(kind), strerror(-rc));
		return rc;
	}
	rc = stage_links_push(out, &link);
	if (rc) {
		uprobe_link_destroy(&link);
		snprintf(err, errlen, "out of memory");
	}
	return rc;
}

/* runtime.goexit0 of a Go binary, where goroutines that end are freed.
 * Without it (an unusual runtime) calls a goroutine leaves open stay open. */
static int attach_go_exit(struct stage_links *out, const struct bpf_program *prog,
			  enum uprobe_link_kind kind, const char *path, const char *binary,
			  pid_t pid, char *err, size_t errlen)
{
	struct sym_list syms = {};
	char serr[256];
	uint64_t offset;
	int rc = 0;

	if (symbols_match(path, "runtime.goexit0", &syms, serr, sizeof(serr)) || syms.n != 1) {
		sym_list_free(&syms);
		return 0;
	}
	offset = sym_match_args_offset(&syms.v[0]);
	rc = attach_one(out, prog, kind, false, path, binary, &offset, NULL, 1, pid, err, errlen);
	sym_list_free(&syms);
	return rc;
}

/* A jump through a register or memory: its description goes in the
 * jump_sites map, its index in the cookie. Non-zero when it cannot. */
static int describe_jump_site(int fd, uint32_t *n, struct jump_site jump, uint64_t *cookie)
{
	if (fd < 0 || *n >= JUMP_SITES_MAX || bpf_map_update_elem(fd, n, &jump, BPF_ANY))
		return -1;
	*cookie |= STAGE_SITE_INDIRECT | (uint64_t)*n << STAGE_SITE_JUMP_SHIFT;
	(*n)++;
	return 0;
}

/* The cookie of an entry whose instruction is also the way out `site`.
 * A jump through a register or memory left undescribed would read as a
 * sure way out: the entry then only enters, as a jump not followed. */
static uint64_t entry_site_cookie(int jump_fd, uint32_t *n_jumps, uint32_t stage,
				  const struct ret_site *site)
{
	uint64_t cookie = stage_site_cookie(stage, site) | STAGE_SITE_AT_ENTRY;

	if (site->indirect && describe_jump_site(jump_fd, n_jumps, site->jump, &cookie))
		return stage;
	return cookie;
}

/* The Go scheduler's transitions in a Go binary (go_sched.bpf.h), each
 * probed on its stack check's jbe (emulated; the condition in the cookie,
 * as a return site's); @bin, the binary's row of go_wait_class, too. The
 * first four or none: without them parked time reads as on CPU, as
 * before; exitsyscall0 (a goroutine back from a syscall that finds no P
 * waits on the run queue) if it is there. */
static int attach_go_sched(struct stage_links *out, const struct stage_progs *progs,
			   enum uprobe_link_kind kind, const char *path, const char *binary,
			   pid_t pid, uint32_t bin, char *err, size_t errlen)
{
	static const char *const fns[] = { "runtime.gopark",  "runtime.ready",
					   "runtime.goschedImpl", "runtime.execute",
					   "runtime.exitsyscall0" };
	const struct bpf_program *prog[] = { progs->go_park, progs->go_ready, progs->go_yield,
					     progs->go_run, progs->go_yield };
	uint64_t offsets[5], cookies[5];
	size_t n = 5;
	uint32_t classes[GO_WAIT_REASONS];
	char serr[256];
	int rc = 0;

	for (size_t i = 0; i < 5; i++) {
		struct sym_list syms = {};
		const struct sym_match *m;

		if (!prog[i] || symbols_match(path, fns[i], &syms, serr, sizeof(serr)) ||
		    syms.n != 1) {
			sym_list_free(&syms);
			if (i < 4)
				return 0;
			n = 4;
			break;
		}
		m = &syms.v[0];
		offsets[i] = sym_match_args_offset(m);
		cookies[i] = bin;
		if (m->go_check_cond >= 0) {
			offsets[i] = m->probe_offset - m->skipped + m->go_check_jcc;
			cookies[i] |= (uint64_t)(m->go_check_cond + 1) << 32;
		}
		sym_list_free(&syms);
	}
	go_wait_reason_classes(path, classes, GO_WAIT_REASONS);
	for (uint32_t r = 0; r < GO_WAIT_REASONS && progs->go_wait_class_fd >= 0; r++) {
		uint32_t key = bin * GO_WAIT_REASONS + r;

		if (bpf_map_update_elem(progs->go_wait_class_fd, &key, &classes[r], BPF_ANY))
			break;
	}
	for (size_t i = 0; i < n && !rc; i++)
		rc = attach_one(out, prog[i], kind, false, path, binary, &offsets[i], &cookies[i], 1,
				pid, err, errlen);
	return rc;
}

int stages_attach(const struct stage_table *t, enum uprobe_link_kind kind,
		  const struct stage_progs *progs, pid_t pid, struct stage_links *out, char *err,
		  size_t errlen)
{
	enum uprobe_link_kind site_kind = stages_site_link_kind(kind);
	uint32_t n_jumps = 0, go_bins = 0;
	size_t n_sites = 0;
	uint64_t *offsets = NULL, *cookies = NULL;
	bool *done = calloc(t->n ? t->n : 1, sizeof(*done));
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->kind = kind;
	for (size_t i = 0; i < t->n; i++)
		n_sites += t->v[i].n_sites;
	offsets = calloc(t->n + n_sites + 1, sizeof(*offsets));
	cookies = calloc(t->n + n_sites + 1, sizeof(*cookies));
	if (!offsets || !cookies || !done) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto cleanup;
	}
	/* One pass per binary: gather its sites, attach them together. */
	for (size_t i = 0; i < t->n && !rc; i++) {
		const char *path = t->v[i].path, *binary = t->v[i].binary;

		if (done[i] || t->v[i].usdt_sites)
			continue;
		for (int g = 0; g < GROUP_COUNT && !rc; g++) {
			const struct bpf_program *entry, *ret;
			size_t cnt = 0, nret = 0;

			for (size_t k = i; k < t->n; k++) {
				if (strcmp(t->v[k].path, path) || !in_group(&t->v[k], g))
					continue;
				offsets[cnt] = t->v[k].offset;
				cookies[cnt++] = k;
			}
			if (!cnt)
				continue;
			if (g == GROUP_PROBE) {
				rc = attach_one(out, progs->entry, kind, false, path, binary,
						offsets, cookies, cnt, pid, err, errlen);
				if (!rc && kind != UPROBE_LINK_SESSION)
					rc = attach_one(out, progs->ret, kind, true, path, binary,
							offsets, cookies, cnt, pid, err, errlen);
				continue;
			}
			entry = g == GROUP_SITES ? progs->site_entry : progs->go_entry;
			ret = g == GROUP_SITES ? progs->site_return : progs->go_return;
			/* The return sites first: a probe there that fires before the
			 * entry probe is attached finds no frame, which is harmless;
			 * the other order would leave calls open. */
			for (size_t k = i; k < t->n; k++) {
				if (strcmp(t->v[k].path, path) || !in_group(&t->v[k], g))
					continue;
				for (size_t s = 0; s < t->v[k].n_sites; s++) {
					const struct ret_site *site = &t->v[k].sites[s];

					offsets[nret] = site->offset;
					cookies[nret] = stage_site_cookie((uint32_t)k, site);
					/* Without its description it would read as a
					 * sure way out: left unprobed instead. */
					if (site->indirect &&
					    describe_jump_site(progs->jump_sites_fd, &n_jumps,
							       site->jump, &cookies[nret]))
						continue;
					nret++;
				}
			}
			rc = attach_one(out, ret, site_kind, false, path, binary, offsets, cookies,
					nret, pid, err, errlen);
			cnt = 0;
			for (size_t k = i; !rc && k < t->n; k++) {
				const struct stage_def *d = &t->v[k];

				if (strcmp(d->path, path) || !in_group(d, g))
					continue;
				offsets[cnt] = d->offset;
				cookies[cnt] = k | (uint64_t)d->entry_cond << 32;
				if (d->exits_at_entry)
					cookies[cnt] = entry_site_cookie(progs->jump_sites_fd, &n_jumps,
									 (uint32_t)k, &d->entry_site);
				cnt++;
			}
			if (!rc)
				rc = attach_one(out, entry, site_kind, false, path, binary, offsets,
						cookies, cnt, pid, err, errlen);
			if (!rc && g == GROUP_GO_SITES)
				rc = attach_go_exit(out, progs->go_exit, site_kind, path, binary, pid,
						    err, errlen);
			if (!rc && g == GROUP_GO_SITES)
				rc = attach_go_sched(out, progs, site_kind, path, binary, pid,
						     go_bins++ % GO_BINARIES_MAX, err, errlen);
		}
		for (size_t k = i; k < t->n; k++)
			if (!strcmp(t->v[k].path, path))
				done[k] = true;
	}
	if (rc)
		stages_detach(out);
cleanup:
	free(offsets);
	free(cookies);
	free(done);
	return rc;
}

void stages_detach(struct stage_links *l)
{
	for (size_t i = 0; i < l->n; i++)
		uprobe_link_destroy(&l->links[i]);
	free(l->links);
	l->links = NULL;
	l->n = 0;
}
