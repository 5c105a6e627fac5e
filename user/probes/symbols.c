// SPDX-License-Identifier: MIT
/* Function symbols of an ELF file, matched by glob, mapped to uprobe sites. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/errmsg.h"
#include "probes/debuginfo.h"
#include "probes/demangle.h"
#include "probes/elf_file.h"
#include "probes/gopclntab.h"
#include "probes/symbols.h"
#include "common/sort.h"


/* A matching symbol before deduplication. */
struct cand {
	char *name;
	char *demangled;
	uint64_t addr;
	uint64_t size;
	int bind;
	bool as_abi0; /* matched only as its name without ".abi0" */
};

/* gcc's hot/cold splitting emits "f.cold" (C++: "f() [clone .cold]"):
 * code jumped to from f, never called, so not an entry to probe. */
static bool is_cold_fragment(const char *name)
{
	const char *p = strstr(name, ".cold");

	return p && (p[5] == '\0' || p[5] == '.');
}

/* Returns 1 and sets *demangled on a match (2: only as a Go assembly
 * function's name without ".abi0"), 0 on no match, -ENOMEM. */
static int name_matches(const char *glob, const char *name, char **demangled)
{
	char *dem = NULL, *base = NULL, *plain = NULL;
	const char *at;
	int ret = 0;

	*demangled = NULL;
	dem = demangle(name);
	if (fnmatch(glob, name, 0) == 0) {
		ret = 1;
	} else if ((at = strchr(name, '@')) && at != name) {
		/* Versioned names ("memcpy@@GLIBC_2.14") match as the bare name. */
		plain = strndup(name, (size_t)(at - name));
		if (!plain) {
			ret = -ENOMEM;
			goto cleanup;
		}
		ret = fnmatch(glob, plain, 0) == 0;
	} else if (strlen(name) > 5 && !strcmp(name + strlen(name) - 5, ".abi0")) {
		/* Go's assembly functions: "runtime.call16.abi0" in .symtab,
		 * "runtime.call16" in .gopclntab and tracebacks. */
		plain = strndup(name, strlen(name) - 5);
		if (!plain) {
			ret = -ENOMEM;
			goto cleanup;
		}
		ret = fnmatch(glob, plain, 0) == 0 ? 2 : 0;
	}
	if (!ret && dem) {
		if (fnmatch(glob, dem, 0) == 0) {
			ret = 1;
		} else {
			base = demangle_base_name(dem);
			if (!base) {
				ret = -ENOMEM;
				goto cleanup;
			}
			ret = fnmatch(glob, base, 0) == 0;
		}
	}
	if (ret > 0) {
		*demangled = dem ? dem : strdup(name);
		dem = NULL;
		if (!*demangled)
			ret = -ENOMEM;
	}
cleanup:
	free(dem);
	free(base);
	free(plain);
	return ret;
}

static int bind_rank(int bind)
{
	switch (bind) {
	case STB_GLOBAL:
		return 0;
	case STB_WEAK:
		return 1;
	case STB_LOCAL:
		return 2;
	}
	return 3;
}

static size_t leading_underscores(const char *s)
{
	size_t n = 0;

	while (s[n] == '_')
		n++;
	return n;
}

/* By address, then best alias first: global, fewest leading underscores
 * ("malloc" over "__libc_malloc"), shortest, alphabetical. */
static int cmp_cand_addr(const void *pa, const void *pb)
{
	const struct cand *a = pa, *b = pb;
	size_t ua, ub, la, lb;

	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	if (bind_rank(a->bind) != bind_rank(b->bind))
		return bind_rank(a->bind) - bind_rank(b->bind);
	ua = leading_underscores(a->name);
	ub = leading_underscores(b->name);
	if (ua != ub)
		return ua < ub ? -1 : 1;
	la = strlen(a->name);
	lb = strlen(b->name);
	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a->name, b->name);
}

static int cmp_match_name(const void *pa, const void *pb)
{
	const struct sym_match *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);

	if (c)
		return c;
	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	return 0;
}

static void free_cands(struct cand *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(c[i].name);
		free(c[i].demangled);
	}
	free(c);
}

static int push_cand(struct cand **cands, size_t *ncands, size_t *cap, const char *name,
		     uint64_t addr, uint64_t size)
{
	if (*ncands == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct cand *nc = realloc(*cands, ncap * sizeof(*nc));

		if (!nc)
			return -ENOMEM;
		*cands = nc;
		*cap = ncap;
	}
	(*cands)[*ncands] = (struct cand){ .name = strdup(name),
					   .demangled = strdup(name),
					   .addr = addr,
					   .size = size,
					   .bind = STB_GLOBAL };
	(*ncands)++;
	return (*cands)[*ncands - 1].name && (*cands)[*ncands - 1].demangled ? 0 : -ENOMEM;
}

/* The matching functions of a Go binary without .symtab. */
static int collect_go_cands(const struct go_pclntab *t, const char *glob, struct cand **cands,
			    size_t *ncands)
{
	size_t cap = 0;

	for (uint64_t i = 0; i < t->nfunc; i++) {
		uint64_t addr, size;
		const char *name;
		int rc;

		if (!go_pclntab_func(t, i, &name, &addr, &size) || fnmatch(glob, name, 0) != 0)
			continue;
		rc = push_cand(cands, ncands, &cap, name, addr, size);
		if (rc)
			return rc;
	}
	return 0;
}

/* Pick .symtab, or .dynsym for stripped binaries; *versym is the
 * .gnu.version data that goes with .dynsym (NULL if none or unused). */
static Elf_Scn *find_symtab(Elf *elf, const char **table, Elf_Data **versym)
{
	Elf_Scn *scn = NULL, *dyn = NULL, *ver = NULL;
	GElf_Shdr sh;

	*versym = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB) {
			*table = ".symtab";
			return scn;
		}
		if (sh.sh_type == SHT_DYNSYM)
			dyn = scn;
		else if (sh.sh_type == SHT_GNU_versym)
			ver = scn;
	}
	*table = dyn ? ".dynsym" : NULL;
	if (dyn && ver)
		*versym = elf_getdata(ver, NULL);
	return dyn;
}

/*
 * A non-default symbol version ("memcpy@GLIBC_2.2.5" next to the default
 * "memcpy@@GLIBC_2.14") only serves binaries linked against the old ABI;
 * probing it would count nothing for current programs. .symtab spells the
 * version in the name, .dynsym marks it hidden in .gnu.version.
 */
static bool is_hidden_version(const char *name, Elf_Data *versym, size_t idx)
{
	const char *at = strchr(name, '@');
	GElf_Versym vs;

	if (at && at != name && at[1] != '@')
		return true;
	return versym && gelf_getversym(versym, (int)idx, &vs) && (vs & 0x8000);
}

/* "X.abi0" matched as X is the function itself when X is written in
 * assembly, but only the linker's wrapper (a jump to X) when X is a Go
 * function assembly calls: then X is the one to time. */
static void drop_abi0_wrappers(struct cand *cands, size_t *ncands)
{
	size_t n = 0;

	for (size_t i = 0; i < *ncands; i++) {
		size_t plain = cands[i].as_abi0 ? strlen(cands[i].name) - 5 : 0;
		bool wrapper = false;

		for (size_t k = 0; plain && k < *ncands && !wrapper; k++)
			wrapper = !cands[k].as_abi0 && strlen(cands[k].name) == plain &&
				  !strncmp(cands[k].name, cands[i].name, plain);
		if (wrapper) {
			free(cands[i].name);
			free(cands[i].demangled);
			continue;
		}
		cands[n++] = cands[i];
	}
	*ncands = n;
}

/* Collect the matching function symbols of @scn into *cands. */
static int collect_cands(struct elf_file *ef, Elf_Scn *scn, Elf_Data *versym, const char *glob,
			 struct sym_list *out, struct cand **cands, size_t *ncands, char *err,
			 size_t errlen)
{
	size_t cap = 0, i, nsyms;
	Elf_Data *data;
	GElf_Shdr sh;

	if (!gelf_getshdr(scn, &sh) || !sh.sh_entsize || !(data = elf_getdata(scn, NULL))) {
		set_err(err, errlen, "bad symbol table: %s", elf_errmsg(-1));
		return -ENOEXEC;
	}
	nsyms = sh.sh_size / sh.sh_entsize;
	for (i = 0; i < nsyms; i++) {
		char *demangled = NULL;
		const char *name;
		GElf_Sym sym;
		int type, ret;

		if (!gelf_getsym(data, (int)i, &sym))
			continue;
		type = GELF_ST_TYPE(sym.st_info);
		if (type != STT_FUNC && type != STT_GNU_IFUNC)
			continue;
		if (sym.st_size == 0 || sym.st_shndx == SHN_UNDEF ||
		    (sym.st_shndx >= SHN_LORESERVE && sym.st_shndx != SHN_XINDEX))
			continue;
		name = elf_strptr(ef->elf, sh.sh_link, sym.st_name);
		if (!name || !*name || is_cold_fragment(name) || is_hidden_version(name, versym, i))
			continue;
		ret = name_matches(glob, name, &demangled);
		if (ret < 0) {
			set_err(err, errlen, "out of memory");
			return ret;
		}
		if (!ret)
			continue;
		if (type == STT_GNU_IFUNC) {
			out->n_ifunc++;
			free(demangled);
			continue;
		}
		if (*ncands == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct cand *nc = realloc(*cands, ncap * sizeof(*nc));

			if (!nc) {
				free(demangled);
				set_err(err, errlen, "out of memory");
				return -ENOMEM;
			}
			*cands = nc;
			cap = ncap;
		}
		(*cands)[*ncands] = (struct cand){
			.name = strdup(name),
			.demangled = demangled,
			.addr = sym.st_value,
			.size = sym.st_size,
			.bind = GELF_ST_BIND(sym.st_info),
			.as_abi0 = ret == 2,
		};
		(*ncands)++;
		if (!(*cands)[*ncands - 1].name) {
			set_err(err, errlen, "out of memory");
			return -ENOMEM;
		}
	}
	drop_abi0_wrappers(*cands, ncands);
	return 0;
}

/* gcc's "f.cold" parts, by name, so each function's scan can take its own
 * (and its "f.part.N" ones, split off and called, for the entry shift). */
struct cold_index {
	struct cand *v; /* name, addr, size */
	size_t n;
};

static int cmp_cand_name(const void *pa, const void *pb)
{
	return strcmp(((const struct cand *)pa)->name, ((const struct cand *)pb)->name);
}

/* The length of @name without a ".part.N" suffix, or 0. */
static size_t part_stem(const char *name, size_t len)
{
	size_t d = len;

	while (d > 0 && name[d - 1] >= '0' && name[d - 1] <= '9')
		d--;
	if (d == len || d < 7 || strncmp(name + d - 6, ".part.", 6))
		return 0;
	return d - 6;
}

static int cold_index_add(struct cold_index *ci, size_t *cap, const char *name, size_t len,
			  const GElf_Sym *sym)
{
	if (ci->n == *cap) {
		struct cand *v = realloc(ci->v, (*cap = *cap ? 2 * *cap : 64) * sizeof(*v));

		if (!v)
			return -ENOMEM;
		ci->v = v;
	}
	ci->v[ci->n] = (struct cand){ .name = strndup(name, len),
				      .addr = sym->st_value,
				      .size = sym->st_size };
	return ci->v[ci->n++].name ? 0 : -ENOMEM;
}

/* Both split-off kinds in one pass over the symbols, each index by stem. */
static int build_split_index(struct elf_file *ef, Elf_Scn *scn, struct cold_index *colds,
			     struct cold_index *parts)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t n, cold_cap = 0, part_cap = 0;
	GElf_Shdr sh;
	int rc = 0;

	memset(colds, 0, sizeof(*colds));
	memset(parts, 0, sizeof(*parts));
	if (!data || !gelf_getshdr(scn, &sh) || !sh.sh_entsize)
		return 0;
	n = sh.sh_size / sh.sh_entsize;
	for (size_t i = 0; i < n && !rc; i++) {
		const char *name;
		GElf_Sym sym;
		size_t len, stem;

		if (!gelf_getsym(data, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    !sym.st_size)
			continue;
		name = elf_strptr(ef->elf, sh.sh_link, sym.st_name);
		if (!name)
			continue;
		len = strlen(name);
		if (len >= 6 && !strcmp(name + len - 5, ".cold"))
			rc = cold_index_add(colds, &cold_cap, name, len - 5, &sym);
		else if ((stem = part_stem(name, len)))
			rc = cold_index_add(parts, &part_cap, name, stem, &sym);
	}
	if (colds->n)
		sort_n(colds->v, colds->n, sizeof(*colds->v), cmp_cand_name);
	if (parts->n)
		sort_n(parts->v, parts->n, sizeof(*parts->v), cmp_cand_name);
	return rc;
}

static const struct cand *cold_part(const struct cold_index *ci, const char *name)
{
	struct cand key = { .name = (char *)name };

	return ci->n ? bsearch(&key, ci->v, ci->n, sizeof(*ci->v), cmp_cand_name) : NULL;
}

/* The first entry of the sorted @ci named @name (ci->n: none). */
static size_t first_named(const struct cold_index *ci, const char *name)
{
	size_t a = 0, b = ci->n;

	while (a < b) {
		size_t mid = a + (b - a) / 2;

		if (strcmp(ci->v[mid].name, name) < 0)
			a = mid + 1;
		else
			b = mid;
	}
	return a;
}

/* Whether a "@name.part.N" function (gcc's split-off part) branches into
 * (@lo, @hi]: it never should, but a probe moved there must know. */
static bool parts_branch_into(struct elf_file *ef, const char *path, const struct cold_index *pi,
			      const char *name, uint64_t lo, uint64_t hi)
{
	bool into = false;

	for (size_t i = first_named(pi, name); i < pi->n && !into && !strcmp(pi->v[i].name, name);
	     i++) {
		uint8_t *code = NULL;
		size_t len = 0;
		int64_t delta;
		char err[8];

		if (elf_read_code(ef, path, pi->v[i].addr, pi->v[i].size, &code, &len, &delta, err,
				  sizeof(err)) != 0)
			return true; /* unread: cannot tell */
		into = insn_branches_into(code, len, pi->v[i].addr, lo, hi);
		free(code);
	}
	return into;
}

/* Every function symbol by address: where a tail call lands. */
struct func_index {
	struct cand *v; /* name (borrowed from the ELF, not owned), addr, size */
	size_t n;
};

static int cmp_cand_addr_only(const void *pa, const void *pb)
{
	const struct cand *a = pa, *b = pb;

	return a->addr < b->addr ? -1 : a->addr > b->addr;
}

static int build_func_index(struct elf_file *ef, Elf_Scn *scn, struct func_index *fi)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	GElf_Shdr sh;
	size_t n, cap = 0;

	memset(fi, 0, sizeof(*fi));
	if (!data || !gelf_getshdr(scn, &sh) || !sh.sh_entsize)
		return 0;
	n = sh.sh_size / sh.sh_entsize;
	for (size_t i = 0; i < n; i++) {
		GElf_Sym sym;

		if (!gelf_getsym(data, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    !sym.st_size || sym.st_shndx == SHN_UNDEF)
			continue;
		if (fi->n == cap) {
			struct cand *v = realloc(fi->v, (cap = cap ? 2 * cap : 256) * sizeof(*v));

			if (!v)
				return -ENOMEM;
			fi->v = v;
		}
		fi->v[fi->n++] = (struct cand){ .name = (char *)elf_strptr(ef->elf, sh.sh_link,
									    sym.st_name),
						.addr = sym.st_value,
						.size = sym.st_size };
	}
	if (fi->n)
		sort_n(fi->v, fi->n, sizeof(*fi->v), cmp_cand_addr_only);
	return 0;
}

/* The function that starts exactly at @addr, or NULL. */
static const struct cand *func_at(const struct func_index *fi, uint64_t addr)
{
	struct cand key = { .addr = addr };

	return fi->n ? bsearch(&key, fi->v, fi->n, sizeof(*fi->v), cmp_cand_addr_only) : NULL;
}

/* Whether another function symbol starts in (@lo, @hi]: called there
 * directly, it would pass a probe moved past @lo. */
static bool func_starts_in(const struct func_index *fi, uint64_t lo, uint64_t hi)
{
	size_t a = 0, b = fi->n;

	while (a < b) { /* the first one above lo */
		size_t mid = a + (b - a) / 2;

		if (fi->v[mid].addr <= lo)
			a = mid + 1;
		else
			b = mid;
	}
	return a < fi->n && fi->v[a].addr <= hi;
}

/* Offset, skip and kind of @m's entry probe, and its ways out. */
static int follow_tail_calls(struct elf_file *ef, const char *path, const struct func_index *fi,
			     const struct cold_index *ci, struct sym_match *m, char *err,
			     size_t errlen);

/*
 * A probe moved past the entry (entry_probe_site) counts every call once and
 * nothing else only if no branch lands in what it skips or on it (a jump
 * table might), and no other function starts there (func_starts_in).
 */
static bool entry_shift_holds(const struct sym_match *m)
{
	return !m->prefix_entered && m->decoded;
}

static void unshift_entry(struct sym_match *m, enum entry_kind entry_kind)
{
	m->probe_offset -= m->skipped;
	m->skipped = 0;
	m->kind = entry_kind;
}

static int locate_entry(struct elf_file *ef, const char *path, enum bin_lang lang,
			const struct cold_index *ci, const struct cold_index *pi,
			const struct func_index *fi, const char *name, const struct cand *cold,
			struct sym_match *m, char *err, size_t errlen)
{
	uint8_t *code = NULL, *cold_code = NULL;
	size_t len = 0, cold_len = 0;
	int64_t delta, cold_delta;
	enum entry_kind entry_kind;
	int rc;

	rc = elf_read_code(ef, path, m->addr, m->size, &code, &len, &delta, err, errlen);
	if (rc)
		return rc; /* 1: not in an executable segment: nothing to probe */
	m->go_check_cond = -1;
	m->entry_kind = entry_kind = insn_entry_kind(code, len, m->addr);
	m->skipped = entry_probe_site(code, len, m->addr, lang == LANG_GO, &m->kind);
	if (lang == LANG_GO) {
		uint32_t skip = go_stack_check_len(code, len, m->addr);

		m->go_check_cond = go_stack_check_jcc(code, len, m->addr, &m->go_check_jcc);
		if (m->go_check_cond >= 0)
			m->go_check_kind = insn_entry_kind(code + m->go_check_jcc,
							   len - m->go_check_jcc,
							   m->addr + m->go_check_jcc);
		if (skip) {
			m->skipped = skip;
			m->kind = insn_entry_kind(code + skip, len - skip, m->addr + skip);
		}
	}
	m->probe_offset = m->addr + (uint64_t)delta + m->skipped; /* modulo 2^64 */
	if (cold && elf_read_code(ef, path, cold->addr, cold->size, &cold_code, &cold_len, &cold_delta,
			      err, errlen) != 0)
		cold = NULL; /* scanned without it: m->decoded stays honest below */
	rc = symbols_scan_function(m, code, len, m->addr, cold_code, cold_len,
				   cold ? cold->addr : 0, delta);
	/* The cold part may sit in another segment: its sites need its own delta. */
	if (!rc && cold && cold_delta != delta)
		for (size_t i = 0; i < m->n_sites; i++)
			if (addr_in_range(m->sites[i].offset - (uint64_t)delta, cold->addr, cold_len))
				m->sites[i].offset += (uint64_t)cold_delta - (uint64_t)delta;
	if (len < m->size)
		m->decoded = false;
	free(code);
	free(cold_code);
	if (rc) {
		set_err(err, errlen, "out of memory");
		return rc;
	}
	rc = follow_tail_calls(ef, path, fi, ci, m, err, errlen);
	if (!rc && m->skipped && m->go_check_cond < 0) {
		uint64_t hi = m->addr + m->skipped;

		if (!entry_shift_holds(m) || func_starts_in(fi, m->addr, hi) ||
		    parts_branch_into(ef, path, pi, name, m->addr, hi))
			unshift_entry(m, entry_kind);
	}
	return rc;
}

/* Tail calls followed at most this deep (a calls b calls c ...). */
#define TAIL_FOLLOW_DEPTH 3

/*
 * A direct tail call hands the frame to the function it jumps to, and the
 * call ends when that one returns (which is what a return probe sees):
 * replace the jump by that function's own ways out, borrowed. A jump into
 * the middle of a function, or through memory, stays a way out itself.
 */
static int follow_tail_calls(struct elf_file *ef, const char *path, const struct func_index *fi,
			     const struct cold_index *ci, struct sym_match *m, char *err,
			     size_t errlen)
{
	for (size_t i = 0; i < m->n_sites; i++) {
		struct ret_site site = m->sites[i];
		const struct cand *fn, *cold;
		struct sym_match callee = {};
		uint8_t *code = NULL, *cold_code = NULL;
		size_t len = 0, cold_len = 0;
		int64_t delta, cold_delta;
		int rc;

		if (!site.tail || site.handoff || !site.target || site.depth >= TAIL_FOLLOW_DEPTH ||
		    !(fn = func_at(fi, site.target)))
			continue;
		rc = elf_read_code(ef, path, fn->addr, fn->size, &code, &len, &delta, err, errlen);
		if (rc < 0)
			return rc;
		if (rc)
			continue;
		cold = fn->name ? cold_part(ci, fn->name) : NULL;
		if (cold && elf_read_code(ef, path, cold->addr, cold->size, &cold_code, &cold_len,
				      &cold_delta, err, errlen) != 0)
			cold = NULL;
		/* The callee's cold part must be in the same segment to share delta. */
		if (cold && cold_delta != delta) {
			free(cold_code);
			cold_code = NULL;
			cold = NULL;
		}
		rc = symbols_scan_function(&callee, code, len, fn->addr, cold_code, cold_len,
					   cold ? cold->addr : 0, delta);
		free(code);
		free(cold_code);
		if (rc) {
			set_err(err, errlen, "out of memory");
			return rc;
		}
		if (!callee.decoded) {
			free(callee.sites);
			continue; /* keep the jump as the way out */
		}
		m->indirect_jumps += callee.indirect_jumps;
		/* The jump no longer ends the call, it hands the frame over. */
		m->sites[i].handoff = true;
		for (size_t k = 0; k < callee.n_sites; k++) {
			struct ret_site cs = callee.sites[k];
			bool dup = false;

			for (size_t j = 0; j < m->n_sites && !dup; j++)
				dup = m->sites[j].offset == cs.offset;
			if (dup)
				continue;
			cs.borrowed = true;
			cs.depth = (uint8_t)(site.depth + 1);
			/* A conditional tail call only hands over when taken: the
			 * callee's exits then end it; not taken, the caller goes on. */
			rc = sym_match_add_site(m, 0, 0, cs.cond, cs.tail, cs.target);
			if (rc) {
				free(callee.sites);
				set_err(err, errlen, "out of memory");
				return rc;
			}
			m->sites[m->n_sites - 1] = cs;
		}
		free(callee.sites);
	}
	return 0;
}

/* A stripped binary: its .symtab from the separate debug file, if any. */
static int open_debug_symbols(const char *path, struct elf_file *dbg, Elf_Scn **scn,
			      Elf_Data **versym, struct sym_list *out, char *err, size_t errlen)
{
	const char *table = NULL;
	Elf_Data *dbg_versym;
	struct debuginfo di;
	Elf_Scn *s;
	int ret;

	ret = debuginfo_find(path, debuginfo_shown_path(path), &di, err, errlen);
	if (ret <= 0)
		return ret;
	ret = elf_file_open(di.path, di.path, dbg, err, errlen);
	if (ret)
		return ret;
	s = find_symtab(dbg->elf, &table, &dbg_versym);
	if (!s || strcmp(table, ".symtab"))
		return 0; /* no symbols there either: keep the binary's */
	out->debug_file = strdup(debuginfo_shown_path(di.path));
	if (!out->debug_file) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	out->debug_origin = debuginfo_origin_name(di.origin);
	out->table = table;
	*scn = s;
	*versym = dbg_versym;
	return 0;
}

int symbols_match(const char *path, const char *glob, struct sym_list *out, char *err,
		  size_t errlen)
{
	struct cold_index colds = {}, parts = {};
	struct func_index funcs = {};
	struct go_pclntab gotab = {};
	struct elf_file dbg = { .fd = -1 };
	struct cand *cands = NULL;
	size_t ncands = 0, i, nuniq;
	Elf_Data *versym;
	struct elf_file ef;
	Elf_Scn *scn;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!glob || !*glob) {
		set_err(err, errlen, "empty function pattern");
		return -EINVAL;
	}
	ret = elf_file_open(path, path, &ef, err, errlen);
	if (ret)
		return ret;

	ret = elf_check_section_headers(&ef, path, err, errlen);
	if (ret)
		goto cleanup;
	out->lang = elf_binary_lang(ef.elf);
	scn = find_symtab(ef.elf, &out->table, &versym);
	if (out->lang == LANG_GO && go_pclntab_open(ef.elf, &gotab)) {
		if (!scn || strcmp(out->table, ".symtab")) {
			scn = NULL;
			out->table = ".gopclntab";
			ret = collect_go_cands(&gotab, glob, &cands, &ncands);
			if (ret)
				set_err(err, errlen, "out of memory");
		}
	} else if (!scn || strcmp(out->table, ".symtab")) {
		ret = open_debug_symbols(path, &dbg, &scn, &versym, out, err, errlen);
		if (ret)
			goto cleanup;
	}
	/* Names from a debug file if any; code and offsets from the binary. */
	if (scn)
		ret = collect_cands(out->debug_file ? &dbg : &ef, scn, versym, glob, out, &cands,
				    &ncands, err, errlen);
	if (!ret && !ncands && out->lang == LANG_GO && gotab.p)
		out->go_inlined = go_inlined_name(&gotab, glob);
	if (ret || !ncands)
		goto cleanup;

	if (scn) {
		ret = build_split_index(out->debug_file ? &dbg : &ef, scn, &colds, &parts);
		ret = ret ?: build_func_index(out->debug_file ? &dbg : &ef, scn, &funcs);
	}
	if (ret) {
		set_err(err, errlen, "out of memory");
		goto cleanup;
	}
	/* Aliases share an address; keep the best-named one. */
	sort_n(cands, ncands, sizeof(*cands), cmp_cand_addr);
	for (i = 0, nuniq = 0; i < ncands; i++)
		nuniq += i == 0 || cands[i].addr != cands[i - 1].addr;
	out->v = calloc(nuniq, sizeof(*out->v));
	if (!out->v) {
		set_err(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < ncands; i++) {
		struct sym_match *m = &out->v[out->n];
		int r;

		if (i > 0 && cands[i].addr == cands[i - 1].addr)
			continue;
		m->addr = cands[i].addr;
		m->size = cands[i].size;
		m->weak = cands[i].bind == STB_WEAK;
		r = locate_entry(&ef, path, out->lang, &colds, &parts, &funcs, cands[i].name,
				 cold_part(&colds, cands[i].name), m, err, errlen);
		if (r < 0) {
			ret = r;
			free(m->sites);
			memset(m, 0, sizeof(*m));
			goto cleanup;
		}
		if (r > 0)
			continue;
		/* Move the strings; the candidate no longer owns them. */
		m->name = cands[i].name;
		m->demangled = cands[i].demangled;
		cands[i].name = NULL;
		cands[i].demangled = NULL;
		out->n++;
	}
	sort_n(out->v, out->n, sizeof(*out->v), cmp_match_name);

cleanup:
	free_cands(cands, ncands);
	free_cands(colds.v, colds.n);
	free_cands(parts.v, parts.n);
	free(funcs.v);
	elf_file_close(&ef);
	elf_file_close(&dbg);
	if (ret)
		sym_list_free(out);
	return ret;
}

void sym_list_free(struct sym_list *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].demangled);
		free(l->v[i].sites);
	}
	free(l->v);
	free(l->go_inlined);
	l->go_inlined = NULL;
	l->v = NULL;
	l->n = 0;
	free(l->debug_file);
	l->debug_file = NULL;
}
