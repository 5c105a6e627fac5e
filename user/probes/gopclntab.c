// SPDX-License-Identifier: MIT
/* Go's function table, for Go binaries stripped of .symtab. */
#include <fnmatch.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "probes/elf_file.h"
#include "probes/gopclntab.h"


static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

bool go_pclntab_open(Elf *elf, struct go_pclntab *t)
{
	Elf_Scn *scn = elf_section_named(elf, ".gopclntab"), *text = elf_section_named(elf, ".text");
	Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
	uint32_t magic;
	GElf_Shdr sh;

	memset(t, 0, sizeof(*t));
	if (!d || !d->d_buf || d->d_size < 72)
		return false;
	t->p = d->d_buf;
	t->len = d->d_size;
	magic = rd32(t->p);
	if ((magic != 0xfffffff0 && magic != 0xfffffff1) || t->p[7] != 8)
		return false;
	t->nfunc = rd64(t->p + 8);
	t->text = rd64(t->p + 24);
	t->names = rd64(t->p + 32);
	t->names_end = rd64(t->p + 40); /* the cu table follows the names */
	t->functab = rd64(t->p + 64);
	if (!t->text && text && gelf_getshdr(text, &sh))
		t->text = sh.sh_addr;
	/* nfunc + 1 (entry, func) pairs: the last one only ends the last function. */
	return t->names < t->names_end && t->names_end <= t->len && t->functab < t->len &&
	       t->nfunc < (t->len - t->functab) / 8;
}

static const char *go_name(const struct go_pclntab *t, uint64_t off)
{
	if (t->names + off >= t->names_end)
		return NULL;
	if (!memchr(t->p + t->names + off, '\0', t->names_end - t->names - off))
		return NULL;
	return (const char *)t->p + t->names + off;
}

bool go_pclntab_func(const struct go_pclntab *t, uint64_t i, const char **name, uint64_t *addr,
		     uint64_t *size)
{
	const uint8_t *e = t->p + t->functab + 8 * i;
	uint32_t entry, func, next;

	/* go_pclntab_open checked that nfunc + 1 pairs fit. */
	if (i >= t->nfunc)
		return false;
	entry = rd32(e);
	func = rd32(e + 4);
	next = rd32(e + 8);
	if (t->functab + func + 8 > t->len || next <= entry)
		return false;
	*name = go_name(t, rd32(t->p + t->functab + func + 4));
	*addr = t->text + entry;
	*size = next - entry;
	return *name != NULL;
}

/* A matching name in the name table with no function of its own: the
 * compiler inlined it everywhere (the inline tree still names it). */
char *go_inlined_name(const struct go_pclntab *t, const char *glob)
{
	for (uint64_t off = t->names; off < t->names_end;) {
		const char *name = (const char *)t->p + off;
		size_t len = strnlen(name, t->names_end - off);

		if (len && fnmatch(glob, name, 0) == 0)
			return strdup(name);
		off += len + 1;
	}
	return NULL;
}
