// SPDX-License-Identifier: MIT
/* .note.stapsdt probes, their arguments, and USDT/marker stages. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bpfprof.h"
#include "bpfprof.skel.h"
#include "common/errmsg.h"
#include "probes/bpf_loader.h"
#include "probes/stage_spec.h"
#include "probes/stages.h"
#include "probes/symbols.h"
#include "probes/usdt.h"

#define NT_STAPSDT 3

/* x86_64 struct pt_regs, byte offsets. */
static const struct {
	const char *names[4]; /* 64, 32, 16, 8 bits */
	int off;
} regs[] = {
	{ { "rax", "eax", "ax", "al" }, 80 },	{ { "rbx", "ebx", "bx", "bl" }, 40 },
	{ { "rcx", "ecx", "cx", "cl" }, 88 },	{ { "rdx", "edx", "dx", "dl" }, 96 },
	{ { "rsi", "esi", "si", "sil" }, 104 }, { { "rdi", "edi", "di", "dil" }, 112 },
	{ { "rbp", "ebp", "bp", "bpl" }, 32 },	{ { "rsp", "esp", "sp", "spl" }, 152 },
	{ { "r8", "r8d", "r8w", "r8b" }, 72 },	{ { "r9", "r9d", "r9w", "r9b" }, 64 },
	{ { "r10", "r10d", "r10w", "r10b" }, 56 }, { { "r11", "r11d", "r11w", "r11b" }, 48 },
	{ { "r12", "r12d", "r12w", "r12b" }, 24 }, { { "r13", "r13d", "r13w", "r13b" }, 16 },
	{ { "r14", "r14d", "r14w", "r14b" }, 8 },  { { "r15", "r15d", "r15w", "r15b" }, 0 },
};

static int reg_offset(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		for (int w = 0; w < 4; w++)
			if (strlen(regs[i].names[w]) == len && !strncmp(regs[i].names[w], name, len))
				return regs[i].off;
	return -1;
}

int usdt_parse_arg(const char *spec, struct usdt_arg *out)
{
	const char *at = strchr(spec, '@'), *p, *close;
	char *end;
	long size;

	memset(out, 0, sizeof(*out));
	if (!at)
		return -EINVAL;
	size = strtol(spec, &end, 10);
	if (end != at || !(labs(size) == 1 || labs(size) == 2 || labs(size) == 4 || labs(size) == 8))
		return -EINVAL;
	out->size = (int)size;
	p = at + 1;
	if (*p == '$') {
		out->type = USDT_ARG_CONST;
		out->val = strtoll(p + 1, &end, 0);
		return end != p + 1 && !*end ? 0 : -EINVAL;
	}
	if (*p == '%') {
		out->type = USDT_ARG_REG;
		out->reg_off = reg_offset(p + 1, strlen(p + 1));
		return out->reg_off < 0 ? -EINVAL : 0;
	}
	/* disp(%reg); no index register, no %rip-relative symbol. */
	out->type = USDT_ARG_REG_DEREF;
	if (*p != '(') {
		out->val = strtoll(p, &end, 0);
		if (end == p || *end != '(')
			return -EINVAL;
		p = end;
	}
	close = strchr(p, ')');
	if (p[1] != '%' || !close || close[1])
		return -EINVAL;
	out->reg_off = reg_offset(p + 2, (size_t)(close - p - 2));
	return out->reg_off < 0 ? -EINVAL : 0;
}

static int parse_args(const char *text, struct usdt_probe *pr)
{
	char *copy = strdup(text), *save = NULL, *tok;
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, " \t", &save); tok && !rc; tok = strtok_r(NULL, " \t", &save)) {
		if (pr->nargs == USDT_MAX_ARGS)
			rc = -E2BIG;
		else
			rc = usdt_parse_arg(tok, &pr->args[pr->nargs++]);
	}
	free(copy);
	return rc;
}

void usdt_list_free(struct usdt_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].provider);
		free(l->v[i].name);
		free(l->v[i].args_text);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* File offset of @addr within a PT_LOAD (executable ones only if @exec). */
static int vaddr_to_offset(Elf *elf, uint64_t addr, bool exec, uint64_t *off)
{
	size_t n;

	if (elf_getphdrnum(elf, &n))
		return -ENOEXEC;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (exec && !(ph.p_flags & PF_X))
			continue;
		if (addr < ph.p_vaddr || addr - ph.p_vaddr >= (exec ? ph.p_filesz : ph.p_memsz))
			continue;
		*off = addr - ph.p_vaddr + ph.p_offset;
		return 0;
	}
	return -ENOENT;
}

/* One note's descriptor: pc, base, semaphore, then three strings. */
static int parse_note(Elf *elf, const char *desc, size_t len, uint64_t base_addr,
		      struct usdt_probe *pr)
{
	const char *prov, *name, *args, *end = desc + len;
	uint64_t a[3];
	int rc;

	if (len < 3 * 8 + 3)
		return -EBADMSG;
	memcpy(a, desc, sizeof(a));
	prov = desc + 24;
	name = memchr(prov, '\0', (size_t)(end - prov));
	if (!name++ || name >= end)
		return -EBADMSG;
	args = memchr(name, '\0', (size_t)(end - name));
	if (!args++ || args >= end || !memchr(args, '\0', (size_t)(end - args)) || !*prov ||
	    !*name)
		return -EBADMSG;
	pr->pc = a[0];
	/* Prelinking moves the code; .stapsdt.base says by how much. */
	if (base_addr && a[1])
		pr->pc += base_addr - a[1];
	pr->semaphore = a[2];
	if (vaddr_to_offset(elf, pr->pc, true, &pr->offset))
		return -ERANGE;
	if (pr->semaphore && vaddr_to_offset(elf, pr->semaphore, false, &pr->ref_ctr_offset))
		return -ERANGE;
	pr->provider = strdup(prov);
	pr->name = strdup(name);
	pr->args_text = strdup(args);
	if (!pr->provider || !pr->name || !pr->args_text)
		return -ENOMEM;
	/* A spec bpfprof cannot read (PostgreSQL has "NBuffers(%rip)") only
	 * matters to whoever reads that argument: keep the probe. */
	rc = parse_args(args, pr);
	if (rc == -ENOMEM)
		return rc;
	pr->args_readable = rc == 0;
	return 0;
}

int usdt_read(const char *path, const char *display, struct usdt_list *out, char *err,
	      size_t errlen)
{
	Elf_Scn *scn = NULL, *notes = NULL;
	uint64_t base_addr = 0;
	size_t shstrndx, cap = 0;
	int fd, rc = 0;
	Elf *elf;

	memset(out, 0, sizeof(*out));
	rc = symbols_check_elf(path, display, err, errlen);
	if (rc)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		set_err(err, errlen, "cannot open '%s': %s", display, strerror(errno));
		return rc;
	}
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_getshdrstrndx(elf, &shstrndx)) {
		set_err(err, errlen, "'%s': no section headers", display);
		rc = -ENOEXEC;
		goto out;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name)))
			continue;
		if (!strcmp(name, ".note.stapsdt") && sh.sh_type == SHT_NOTE)
			notes = scn;
		else if (!strcmp(name, ".stapsdt.base"))
			base_addr = sh.sh_addr;
	}
	if (notes) {
		Elf_Data *d = elf_getdata(notes, NULL);
		size_t off = 0, next, name_off, desc_off;
		GElf_Nhdr nh;

		if (!d) {
			set_err(err, errlen, "'%s': unreadable .note.stapsdt", display);
			rc = -EBADMSG;
			goto out;
		}
		while (off < d->d_size &&
		       (next = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
			struct usdt_probe *pr;

			off = next;
			if (nh.n_type != NT_STAPSDT || nh.n_namesz != 8 ||
			    memcmp((const char *)d->d_buf + name_off, "stapsdt", 8))
				continue;
			if (out->n == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				struct usdt_probe *v = realloc(out->v, ncap * sizeof(*v));

				if (!v) {
					rc = -ENOMEM;
					set_err(err, errlen, "out of memory");
					goto out;
				}
				out->v = v;
				cap = ncap;
			}
			pr = &out->v[out->n++];
			memset(pr, 0, sizeof(*pr));
			rc = parse_note(elf, (const char *)d->d_buf + desc_off, nh.n_descsz,
					base_addr, pr);
			if (rc) {
				set_err(err, errlen,
					"'%s': malformed .note.stapsdt entry %zu%s%s%s: %s", display,
					out->n, pr->provider ? " (" : "",
					pr->provider ? pr->provider : "", pr->provider ? ")" : "",
					rc == -ERANGE ? "its address is outside the binary"
						      : "cut short");
				goto out;
			}
		}
		if (off < d->d_size) {
			set_err(err, errlen, "'%s': malformed .note.stapsdt (cut short)", display);
			rc = -EBADMSG;
		}
	}
out:
	if (elf)
		elf_end(elf);
	close(fd);
	if (rc)
		usdt_list_free(out);
	return rc;
}

void usdt_print(FILE *f, const struct usdt_list *l, const char *display)
{
	if (!l->n)
		return;
	fprintf(f, "USDT probes in %s:\n%-12s %-40s %-18s %s\n", display, "OFFSET",
		"PROVIDER:NAME", "SEMAPHORE", "ARGUMENTS");
	for (size_t i = 0; i < l->n; i++) {
		const struct usdt_probe *p = &l->v[i];
		char sem[32] = "-", pn[256];

		if (p->semaphore)
			snprintf(sem, sizeof(sem), "0x%llx", (unsigned long long)p->semaphore);
		snprintf(pn, sizeof(pn), "%s:%s", p->provider, p->name);
		fprintf(f, "0x%-10llx %-40s %-18s %s\n", (unsigned long long)p->offset, pn, sem,
			p->args_text);
	}
	fprintf(f, "%zu USDT probe%s\n", l->n, l->n == 1 ? "" : "s");
}

void usdt_spec_free(struct usdt_spec *s)
{
	free(s->binary);
	free(s->provider);
	free(s->begin);
	free(s->end);
	memset(s, 0, sizeof(*s));
}

/* "N[,M...]": 1-based argument numbers, each once. */
static int parse_arg_list(const char *arg, const char *list, struct usdt_spec *s, char *err,
			  size_t errlen)
{
	const char *p = list;

	for (;;) {
		char *end;
		long n;

		if (!isdigit((unsigned char)*p))
			goto bad;
		errno = 0;
		n = strtol(p, &end, 10);
		if (errno || n < 1 || n > USDT_MAX_ARGS) {
			set_err(err, errlen,
				"-U '%s': @%.*s: arguments are numbered from 1 to %d", arg,
				(int)(end - p), p, USDT_MAX_ARGS);
			return -EINVAL;
		}
		for (int i = 0; i < s->nargs; i++)
			if (s->argn[i] == n) {
				set_err(err, errlen, "-U '%s': argument %ld named twice", arg, n);
				return -EINVAL;
			}
		if (s->nargs == USDT_SPEC_MAX_ARGS) {
			set_err(err, errlen, "-U '%s': at most %d arguments name a stage", arg,
				USDT_SPEC_MAX_ARGS);
			return -EINVAL;
		}
		s->argn[s->nargs++] = (int)n;
		if (!*end)
			return 0;
		if (*end != ',')
			goto bad;
		p = end + 1;
	}
bad:
	set_err(err, errlen, "-U '%s': expected @N[,M...] (argument numbers, from 1) after END",
		arg);
	return -EINVAL;
}

int usdt_spec_parse(const char *arg, struct usdt_spec *s, char *err, size_t errlen)
{
	const char *last = strrchr(arg, ':'), *prov, *dots, *at;
	int rc;

	memset(s, 0, sizeof(*s));
	if (!last || last == arg || !last[1])
		goto bad;
	for (prov = last - 1; prov > arg && prov[-1] != ':'; prov--)
		;
	if (prov == last)
		goto bad;
	if (prov > arg && !(s->binary = strndup(arg, (size_t)(prov - 1 - arg))))
		return -ENOMEM;
	if (s->binary && !*s->binary)
		goto bad;
	s->provider = strndup(prov, (size_t)(last - prov));
	dots = strstr(last + 1, "..");
	at = strchr(last + 1, '@');
	if (at && !dots) {
		set_err(err, errlen,
			"-U '%s': @N names the stages of a BEGIN..END pair; PROVIDER:NAME counts "
			"hits and has none",
			arg);
		usdt_spec_free(s);
		return -EINVAL;
	}
	if (at && at < dots)
		goto bad;
	if (dots) {
		s->begin = strndup(last + 1, (size_t)(dots - last - 1));
		s->end = at ? strndup(dots + 2, (size_t)(at - dots - 2)) : strdup(dots + 2);
		if (s->begin && s->end && (!*s->begin || !*s->end))
			goto bad;
	} else {
		s->begin = strdup(last + 1);
	}
	if (!s->provider || !s->begin || (dots && !s->end)) {
		usdt_spec_free(s);
		return -ENOMEM;
	}
	if (at) {
		rc = parse_arg_list(arg, at + 1, s, err, errlen);
		if (rc)
			usdt_spec_free(s);
		return rc;
	}
	return 0;
bad:
	usdt_spec_free(s);
	set_err(err, errlen,
		"-U '%s': expected [BINARY:]PROVIDER:NAME or PROVIDER:BEGIN..END[@N[,M...]]", arg);
	return -EINVAL;
}

int usdt_arg_is_pointer(const struct usdt_arg *a)
{
	return a->size == 8 || a->size == -8 ? 0 : -EINVAL;
}

void usdt_named_free(struct usdt_named *n)
{
	if (!n)
		return;
	free(n->locs);
	free(n);
}

static bool has_provider(const struct usdt_list *l, const char *provider)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].provider, provider))
			return true;
	return false;
}

/* The probes of the binary the spec names (@spec->binary, or the target's
 * executable, then a library it maps that carries @provider). */
static int usdt_find_binary(const char *binary, const char *provider, pid_t pid,
			    const char *main_exe, struct stage_spec *ss, struct usdt_list *l,
			    char *err, size_t errlen)
{
	char maps[64], line[4096 + 128];
	FILE *f;
	int rc;

	ss->binary_arg = binary ? strdup(binary) : NULL;
	ss->glob = strdup(provider);
	if ((binary && !ss->binary_arg) || !ss->glob)
		return -ENOMEM;
	rc = stage_spec_resolve(ss, pid, main_exe, err, errlen);
	rc = rc ?: usdt_read(ss->path, ss->display_path, l, err, errlen);
	if (rc || binary || has_provider(l, provider) || pid <= 0)
		return rc;
	/* Not in the executable: the first mapped file that has it. */
	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)pid);
	f = fopen(maps, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		struct stage_spec lib = {};
		struct usdt_list ll = {};
		char *path = strchr(line, '/');
		char lerr[256];

		if (!path || !strstr(line, " r-xp "))
			continue;
		path[strcspn(path, "\n")] = '\0';
		lib.binary_arg = strdup(path);
		lib.glob = strdup(provider);
		if (lib.binary_arg && lib.glob &&
		    !stage_spec_resolve(&lib, pid, NULL, lerr, sizeof(lerr)) &&
		    !usdt_read(lib.path, lib.display_path, &ll, lerr, sizeof(lerr)) &&
		    has_provider(&ll, provider)) {
			stage_spec_free(ss);
			*ss = lib;
			usdt_list_free(l);
			*l = ll;
			break;
		}
		usdt_list_free(&ll);
		stage_spec_free(&lib);
	}
	fclose(f);
	return 0;
}

static int add_sites(struct stage_def *d, const struct usdt_list *l, const char *provider,
		     const char *name, enum usdt_site_role role)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++) {
		const struct usdt_probe *p = &l->v[i];
		struct usdt_site *v;

		if (strcmp(p->provider, provider) || strcmp(p->name, name))
			continue;
		v = realloc(d->usdt_sites, (d->n_usdt_sites + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		d->usdt_sites = v;
		v[d->n_usdt_sites++] = (struct usdt_site){ .offset = p->offset,
							   .ref_ctr = p->ref_ctr_offset,
							   .role = role };
		n++;
	}
	return n ? 0 : -ENOENT;
}

/*
 * CPython 3.11 fires function__entry/return for a call made from Python
 * code only while it traces, and it traces while the `line` semaphore is
 * set. Setting it takes a probe carrying it: put that one where it costs
 * nothing, at the start of .fini (runs once, at exit), not on the line
 * probe that would trap on every line.
 */
static int arm_runtime_semaphores(struct stage_def *d, const struct usdt_list *l,
				  const char *provider, const char *path)
{
	uint64_t fini = 0;
	struct usdt_site *v;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	const struct usdt_probe *line = NULL;
	int fd;
	Elf *elf;

	if (strcmp(provider, "python"))
		return 0;
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].provider, "python") && !strcmp(l->v[i].name, "line") &&
		    l->v[i].ref_ctr_offset)
			line = &l->v[i];
	if (!line)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	while (elf && !elf_getshdrstrndx(elf, &shstrndx) && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (gelf_getshdr(scn, &sh) && (name = elf_strptr(elf, shstrndx, sh.sh_name)) &&
		    !strcmp(name, ".fini") && (sh.sh_flags & SHF_EXECINSTR))
			fini = sh.sh_offset;
	}
	if (elf)
		elf_end(elf);
	close(fd);
	if (!fini)
		return 0;
	v = realloc(d->usdt_sites, (d->n_usdt_sites + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	d->usdt_sites = v;
	v[d->n_usdt_sites++] = (struct usdt_site){ .offset = fini,
						   .ref_ctr = line->ref_ctr_offset,
						   .role = USDT_SITE_ARM };
	return 0;
}

/* The instruction under the BEGIN site, as for a function entry. */
static enum entry_kind site_kind(const char *path, uint64_t offset)
{
	uint8_t code[16];
	ssize_t got = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		got = pread(fd, code, sizeof(code), (off_t)offset);
		close(fd);
	}
	/* The probe's vaddr only matters for a nop5 crossing a page. */
	return got > 0 ? insn_entry_kind(code, (size_t)got, offset) : ENTRY_SINGLE_STEP;
}

static int new_stage(struct stage_table *t, const char *name, const struct stage_spec *ss,
		     struct stage_def **out)
{
	struct stage_def *v = realloc(t->v, (t->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	t->v = v;
	*out = &v[t->n++];
	memset(*out, 0, sizeof(**out));
	(*out)->name = strdup(name);
	(*out)->binary = strdup(ss->display_path);
	(*out)->path = strdup(ss->path);
	(*out)->symbols_from = strdup(".note.stapsdt");
	return (*out)->name && (*out)->binary && (*out)->path && (*out)->symbols_from ? 0
										       : -ENOMEM;
}

static void finish_stage(struct stage_def *d)
{
	d->offset = d->usdt_sites[0].offset;
	d->kind = site_kind(d->path, d->offset);
}

/* The @N-th token of a note's argument text, for messages. */
static void arg_text(const char *args, int n, char *out, size_t len)
{
	const char *p = args;

	for (int i = 1;; i++) {
		size_t w;

		p += strspn(p, " \t");
		w = strcspn(p, " \t");
		if (i == n || !w) {
			snprintf(out, len, "%.*s", (int)w, p);
			return;
		}
		p += w;
	}
}

/*
 * -U ...@N: every BEGIN site must have the arguments, as pointers. Their
 * locations, in the order add_sites() put the sites, into @n.
 */
static int named_locations(const char *arg, const struct usdt_spec *s, const struct usdt_list *l,
			   struct usdt_named *n, char *err, size_t errlen)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct usdt_probe *p = &l->v[i];
		struct usdt_arg *v;

		if (strcmp(p->provider, s->provider) || strcmp(p->name, s->begin))
			continue;
		if (!p->args_readable) {
			set_err(err, errlen,
				"-U '%s': bpfprof cannot read the arguments of %s:%s ('%s')", arg,
				p->provider, p->name, p->args_text);
			return -EINVAL;
		}
		v = realloc(n->locs, (n->n_begin + 1) * (size_t)s->nargs * sizeof(*v));
		if (!v)
			return -ENOMEM;
		n->locs = v;
		for (int k = 0; k < s->nargs; k++) {
			int a = s->argn[k];
			char text[64];

			if (a > p->nargs) {
				set_err(err, errlen, "-U '%s': %s:%s has %d argument%s, not %d", arg,
					p->provider, p->name, p->nargs, p->nargs == 1 ? "" : "s",
					a);
				return -EINVAL;
			}
			if (usdt_arg_is_pointer(&p->args[a - 1])) {
				arg_text(p->args_text, a, text, sizeof(text));
				set_err(err, errlen,
					"-U '%s': argument %d of %s:%s is '%s', not a string (a "
					"string is passed as a pointer: 8 bytes, 8@...)",
					arg, a, p->provider, p->name, text);
				return -EINVAL;
			}
			v[n->n_begin * (size_t)s->nargs + (size_t)k] = p->args[a - 1];
		}
		n->n_begin++;
	}
	return 0;
}

/* The (other) stage at @other, then @cap slots for the names. */
static int add_named(const char *arg, const struct usdt_spec *s, const struct usdt_list *l,
		     const struct stage_spec *ss, uint32_t cap, struct stage_table *t, size_t other,
		     char *err, size_t errlen)
{
	struct usdt_named *n = calloc(1, sizeof(*n));
	struct stage_def *d;
	int rc;

	if (!n)
		return -ENOMEM;
	n->cap = cap;
	n->nargs = s->nargs;
	for (size_t i = 0; i < other; i++)
		if (t->v[i].usdt_named) {
			n->spec++;
			n->site_base += (uint32_t)t->v[i].usdt_named->n_begin;
		}
	rc = named_locations(arg, s, l, n, err, errlen);
	if (rc) {
		usdt_named_free(n);
		return rc;
	}
	d = &t->v[other];
	d->usdt_named = n;
	free(d->name);
	d->name = strdup("(other)");
	if (!d->name)
		return -ENOMEM;
	if (t->n + cap > STAGE_MAX_COUNT) {
		set_err(err, errlen, "-U '%s': more than %d stages in all (lower --usdt-names)",
			arg, STAGE_MAX_COUNT);
		return -E2BIG;
	}
	for (uint32_t k = 0; k < cap; k++) {
		struct stage_def *slot;

		rc = new_stage(t, "", ss, &slot);
		if (rc)
			return rc;
		slot->usdt_name_slot = true;
		slot->kind = t->v[other].kind;
		slot->offset = t->v[other].offset;
	}
	return 0;
}

static int resolve_pair(const char *arg, uint32_t names_cap, pid_t pid, const char *main_exe,
			struct stage_table *t, FILE *info, char *err, size_t errlen)
{
	struct usdt_spec s;
	struct stage_spec ss = {};
	struct usdt_list l = {};
	struct stage_def *d;
	char name[512];
	size_t sites;
	int rc;

	rc = usdt_spec_parse(arg, &s, err, errlen);
	if (rc)
		return rc;
	rc = usdt_find_binary(s.binary, s.provider, pid, main_exe, &ss, &l, err, errlen);
	if (rc)
		goto out;
	if (!has_provider(&l, s.provider)) {
		set_err(err, errlen, "-U '%s': no probe of provider '%s' in %s%s", arg, s.provider,
			ss.display_path, l.n ? "" : " (it has no USDT probes)");
		rc = -ENOENT;
		goto out;
	}
	if (!s.end) {
		/* A single probe: its hits counted per process. */
		snprintf(name, sizeof(name), "%s:%s", s.provider, s.begin);
		rc = new_stage(t, name, &ss, &d);
		rc = rc ?: add_sites(d, &l, s.provider, s.begin, USDT_SITE_HIT);
		if (rc == -ENOENT)
			set_err(err, errlen, "-U '%s': no probe %s:%s in %s", arg, s.provider,
				s.begin, ss.display_path);
		sites = rc ? 0 : d->n_usdt_sites;
		/* Counting python:function__entry needs the line semaphore up too. */
		rc = rc ?: arm_runtime_semaphores(d, &l, s.provider, ss.path);
		if (!rc) {
			d->usdt_hits = true;
			finish_stage(d);
			if (info)
				fprintf(info, "bpfprof: -U '%s': counting %zu probe site%s in %s\n",
					arg, sites, sites == 1 ? "" : "s", ss.display_path);
		}
		goto out;
	}
	snprintf(name, sizeof(name), "%s:%s..%s", s.provider, s.begin, s.end);
	rc = new_stage(t, name, &ss, &d);
	rc = rc ?: add_sites(d, &l, s.provider, s.begin, USDT_SITE_BEGIN);
	if (rc == -ENOENT)
		set_err(err, errlen, "-U '%s': no probe %s:%s in %s", arg, s.provider, s.begin,
			ss.display_path);
	rc = rc ?: add_sites(d, &l, s.provider, s.end, USDT_SITE_END);
	if (rc == -ENOENT && !strstr(err, "no probe"))
		set_err(err, errlen, "-U '%s': no probe %s:%s in %s", arg, s.provider, s.end,
			ss.display_path);
	rc = rc ?: arm_runtime_semaphores(d, &l, s.provider, ss.path);
	if (!rc) {
		size_t id = (size_t)(d - t->v);

		sites = d->n_usdt_sites;
		finish_stage(d);
		if (s.nargs)
			rc = add_named(arg, &s, &l, &ss, names_cap, t, id, err, errlen);
		if (!rc && info)
			fprintf(info, "bpfprof: -U '%s': %zu probe sites in %s%s\n", arg, sites,
				ss.display_path,
				s.nargs ? ", a stage per name" : "");
		if (!rc && info && s.nargs)
			fprintf(info, "bpfprof: -U '%s': up to %u names, the rest summed as (other); "
				      "arguments read up to 127 bytes each\n",
				arg, names_cap);
	}
out:
	if (rc == -ENOMEM)
		set_err(err, errlen, "out of memory");
	usdt_list_free(&l);
	stage_spec_free(&ss);
	usdt_spec_free(&s);
	return rc;
}

/* -m [BINARY:]GLOB: every bpfprof:NAME__begin whose NAME matches, with
 * its NAME__end. */
static int resolve_markers(const char *arg, pid_t pid, const char *main_exe, struct stage_table *t,
			   FILE *info, char *err, size_t errlen)
{
	struct stage_spec ss = {};
	struct usdt_list l = {};
	const char *colon = strrchr(arg, ':'), *glob = colon ? colon + 1 : arg;
	char *binary = colon ? strndup(arg, (size_t)(colon - arg)) : NULL;
	size_t found = 0;
	int rc;

	if ((colon && !binary) || !*glob || (binary && !*binary)) {
		free(binary);
		set_err(err, errlen, "-m '%s': expected [BINARY:]GLOB", arg);
		return colon && !binary ? -ENOMEM : -EINVAL;
	}
	rc = usdt_find_binary(binary, "bpfprof", pid, main_exe, &ss, &l, err, errlen);
	for (size_t i = 0; !rc && i < l.n; i++) {
		const struct usdt_probe *p = &l.v[i];
		size_t len = strlen(p->name);
		char name[256], end[270];
		struct stage_def *d;
		bool dup = false;

		if (strcmp(p->provider, "bpfprof") || len <= 7 || strcmp(p->name + len - 7, "__begin"))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(len - 7), p->name);
		if (fnmatch(glob, name, 0))
			continue;
		/* A marker used at several places is one stage. */
		for (size_t k = 0; k < t->n && !dup; k++)
			dup = t->v[k].usdt_sites && !strcmp(t->v[k].name, name) &&
			      !strcmp(t->v[k].path, ss.path);
		if (dup)
			continue;
		snprintf(end, sizeof(end), "%s__end", name);
		rc = new_stage(t, name, &ss, &d);
		rc = rc ?: add_sites(d, &l, "bpfprof", p->name, USDT_SITE_BEGIN);
		rc = rc ?: add_sites(d, &l, "bpfprof", end, USDT_SITE_END);
		if (rc == -ENOENT)
			set_err(err, errlen, "-m '%s': marker %s has a BEGIN but no END in %s", arg,
				name, ss.display_path);
		if (!rc)
			finish_stage(d);
		found++;
	}
	if (!rc && !found) {
		set_err(err, errlen, "-m '%s': no marker in %s matches '%s'%s", arg,
			ss.display_path ? ss.display_path : "the binary", glob,
			has_provider(&l, "bpfprof") ? "" : " (it has no bpfprof markers)");
		rc = -ENOENT;
	}
	if (!rc && info)
		fprintf(info, "bpfprof: -m '%s': %zu marker%s in %s\n", arg, found,
			found == 1 ? "" : "s", ss.display_path);
	if (rc == -ENOMEM)
		set_err(err, errlen, "out of memory");
	free(binary);
	usdt_list_free(&l);
	stage_spec_free(&ss);
	return rc;
}

int usdt_resolve_stages(const char *const *specs, int n, const char *const *markers, int n_markers,
			uint32_t names_cap, pid_t pid, const char *main_exe, struct stage_table *t,
			FILE *info, char *err, size_t errlen)
{
	int rc = 0;

	for (int i = 0; i < n && !rc; i++)
		rc = resolve_pair(specs[i], names_cap, pid, main_exe, t, info, err, errlen);
	for (int i = 0; i < n_markers && !rc; i++)
		rc = resolve_markers(markers[i], pid, main_exe, t, info, err, errlen);
	if (!rc && t->n > STAGE_MAX_COUNT) {
		set_err(err, errlen, "more than %d stages in all", STAGE_MAX_COUNT);
		rc = -E2BIG;
	}
	return rc;
}

static int attach_role(const struct stage_def *d, size_t stage, enum usdt_site_role role,
		       const struct bpf_program *prog, enum uprobe_link_kind kind, pid_t pid,
		       struct stage_links *out, char *err, size_t errlen)
{
	uint64_t *offs = calloc(d->n_usdt_sites, sizeof(*offs));
	uint64_t *refs = calloc(d->n_usdt_sites, sizeof(*refs));
	uint64_t *cookies = calloc(d->n_usdt_sites, sizeof(*cookies));
	struct uprobe_link link;
	size_t cnt = 0;
	int rc = 0;

	if (!offs || !refs || !cookies) {
		rc = -ENOMEM;
		set_err(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < d->n_usdt_sites; i++) {
		if (d->usdt_sites[i].role != role)
			continue;
		offs[cnt] = d->usdt_sites[i].offset;
		refs[cnt] = d->usdt_sites[i].ref_ctr;
		/* A named spec's BEGIN: its site (usdt_name_sites); its END:
		 * the spec's ids, (other) and the names after it. */
		if (d->usdt_named && role == USDT_SITE_BEGIN)
			cookies[cnt] = d->usdt_named->site_base + cnt;
		else if (d->usdt_named && role == USDT_SITE_END)
			cookies[cnt] = stage | (uint64_t)(d->usdt_named->cap + 1)
						       << USDT_END_RANGE_SHIFT;
		else
			cookies[cnt] = stage;
		cnt++;
	}
	if (!cnt)
		goto out;
	rc = uprobe_link_attach_ref(&link, prog, kind, d->path, offs, refs, cookies, cnt, pid);
	if (rc) {
		set_err(err, errlen, "cannot attach the USDT probes of %s in %s (%s links): %s",
			d->name, d->binary, uprobe_link_kind_name(kind), strerror(-rc));
		goto out;
	}
	rc = stage_links_push(out, &link);
	if (rc) {
		uprobe_link_destroy(&link);
		set_err(err, errlen, "out of memory");
	}
out:
	free(offs);
	free(refs);
	free(cookies);
	return rc;
}

int usdt_attach(const struct stage_table *t, const struct bpfprof_bpf *skel, pid_t pid,
		struct stage_links *out, char *err, size_t errlen)
{
	enum uprobe_link_kind kind = usdt_link_kind();
	int rc = 0;

	for (size_t i = 0; i < t->n && !rc; i++) {
		const struct stage_def *d = &t->v[i];

		if (!d->usdt_sites)
			continue;
		rc = attach_role(d, i, USDT_SITE_BEGIN,
				 d->usdt_named ? skel->progs.usdt_begin_named : skel->progs.usdt_begin,
				 kind, pid, out, err, errlen);
		rc = rc ?: attach_role(d, i, USDT_SITE_END, skel->progs.usdt_end, kind, pid, out,
				       err, errlen);
		rc = rc ?: attach_role(d, i, USDT_SITE_ARM, skel->progs.usdt_arm, kind, pid, out,
				       err, errlen);
		rc = rc ?: attach_role(d, i, USDT_SITE_HIT, skel->progs.usdt_hit, kind, pid, out,
				       err, errlen);
	}
	return rc;
}

enum uprobe_link_kind usdt_link_kind(void)
{
	return uprobe_link_kernel_supports(UPROBE_LINK_MULTI) ? UPROBE_LINK_MULTI
							      : UPROBE_LINK_PERF;
}

bool stages_have_usdt(const struct stage_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].usdt_sites)
			return true;
	return false;
}

uint32_t usdt_names_default(int ncpus)
{
	size_t fit = USDT_NAMES_BUDGET / ((size_t)(ncpus > 0 ? ncpus : 1) * sizeof(struct stage_stats));

	return fit < 16 ? 16 : fit < USDT_NAMES_DEFAULT ? (uint32_t)fit : USDT_NAMES_DEFAULT;
}

void usdt_named_sizes(const struct stage_table *t, struct usdt_named_sizes *out)
{
	memset(out, 0, sizeof(*out));
	out->first_slot = (uint32_t)t->n;
	for (size_t i = 0; i < t->n; i++) {
		const struct usdt_named *n = t->v[i].usdt_named;

		if (t->v[i].usdt_name_slot && i < out->first_slot)
			out->first_slot = (uint32_t)i;
		if (!n)
			continue;
		out->specs++;
		out->sites += (uint32_t)n->n_begin;
		out->names += n->cap;
		if (n->nargs > out->max_args)
			out->max_args = n->nargs;
	}
}

static void name_arg(struct usdt_name_arg *out, const struct usdt_arg *a)
{
	out->reg_off = (__u32)a->reg_off;
	out->val = a->val;
	out->kind = a->type == USDT_ARG_CONST	? USDT_NAME_ARG_CONST
		    : a->type == USDT_ARG_REG ? USDT_NAME_ARG_REG
					      : USDT_NAME_ARG_DEREF;
}

int usdt_named_setup(const struct stage_table *t, const struct bpfprof_bpf *skel, char *err,
		     size_t errlen)
{
	int sites = bpf_map__fd(skel->maps.usdt_name_sites);
	int specs = bpf_map__fd(skel->maps.usdt_name_specs);

	for (size_t i = 0; i < t->n; i++) {
		const struct usdt_named *n = t->v[i].usdt_named;
		struct usdt_name_spec sp = { .other = (__u32)i };

		if (!n)
			continue;
		sp.cap = n->cap;
		if (bpf_map_update_elem(specs, &n->spec, &sp, BPF_ANY))
			goto fail;
		for (size_t k = 0; k < n->n_begin; k++) {
			struct usdt_name_site site = { .spec = n->spec, .nargs = (__u32)n->nargs };
			__u32 key = n->site_base + (__u32)k;

			for (int a = 0; a < n->nargs; a++)
				name_arg(&site.args[a], &n->locs[k * (size_t)n->nargs + (size_t)a]);
			if (bpf_map_update_elem(sites, &key, &site, BPF_ANY))
				goto fail;
		}
	}
	return 0;
fail:
	set_err(err, errlen, "cannot set up the USDT name maps: %s", strerror(errno));
	return -errno;
}

void usdt_name_join(const char *text, int nargs, char *out, size_t len)
{
	size_t o = 0;

	out[0] = '\0';
	for (int a = 0; a < nargs && o + 1 < len; a++) {
		const char *arg = text + (size_t)a * USDT_NAME_ARG_BYTES;
		size_t w = strnlen(arg, USDT_NAME_ARG_BYTES - 1);

		if (a)
			out[o++] = ':';
		if (w > len - 1 - o)
			w = len - 1 - o;
		memcpy(out + o, arg, w);
		o += w;
		out[o] = '\0';
	}
	/* A stage needs a name: an empty string (or one that could not be
	 * read) is shown as this. */
	if (!out[0])
		snprintf(out, len, "(empty)");
}

int usdt_names_refresh(struct stage_table *t, int fd)
{
	struct usdt_name_key key, next, *prev = NULL;
	char name[USDT_NAME_MAX_ARGS * USDT_NAME_ARG_BYTES];
	int named = 0;
	__u32 id;

	if (fd < 0)
		return 0;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct stage_def *d;
		size_t other = 0;
		char *copy;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &id) || id >= t->n)
			continue;
		d = &t->v[id];
		if (!d->usdt_name_slot || *d->name)
			continue;
		/* The spec's (other) stage precedes its slots. */
		for (other = id; other > 0 && !t->v[other].usdt_named; other--)
			;
		if (!t->v[other].usdt_named)
			continue;
		usdt_name_join(key.text[0], t->v[other].usdt_named->nargs, name, sizeof(name));
		copy = strdup(name);
		if (!copy)
			return -ENOMEM;
		free(d->name);
		d->name = copy;
		named++;
	}
	return named;
}
