// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "common/strmap.h"
#include "probes/demangle.h"
#include "probes/symbols.h"
#include "samples/stack_symbols.h"
#include "common/sort.h"

/* A process's maps are read again on a miss at most this often. */
#define MAPS_REREAD_NS 200000000ULL

struct func {
	uint64_t off, end; /* file offsets */
	const char *name;  /* interned */
};

/* One file's functions, by file offset. */
struct file_syms {
	char build_id[64]; /* "" when the file has none */
	dev_t dev;
	ino_t ino;
	const char *label; /* "[libc.so.6]": for addresses outside any function */
	struct func *v;
	size_t n;
};

struct mapping {
	uint64_t start, end, off;
	struct file_syms *file; /* NULL: not a file */
	const char *label;	/* "[vdso]", "[anon]" when not a file */
};

struct proc_maps {
	pid_t pid;
	struct mapping *v;
	size_t n;
	uint64_t read_ns; /* when last read; 0: never */
};

struct ksym {
	uint64_t addr;
	const char *name;
};

struct stack_symbols {
	struct strmap names; /* interned names: every string handed out */
	struct strmap demangled; /* mangled name -> its interned readable one */
	struct file_syms **files;
	size_t n_files;
	struct proc_maps *procs;
	size_t n_procs;
	struct ksym *ksyms;
	size_t n_ksyms;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static const char *intern(struct stack_symbols *s, const char *name)
{
	struct strmap_slot *slot;
	int added;

	slot = strmap_put(&s->names, name, 0, &added);

	return slot ? slot->key : "[unknown]";
}

static int cmp_ksym(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Text symbols only; all-zero addresses (kptr_restrict) give none. */
static void load_kallsyms(struct stack_symbols *s)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	char line[512], name[256], type;
	size_t cap = 0;
	uint64_t addr;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%" SCNx64 " %c %255s", &addr, &type, name) != 3 || !addr)
			continue;
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		if (s->n_ksyms == cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			struct ksym *v = realloc(s->ksyms, ncap * sizeof(*v));

			if (!v)
				break;
			s->ksyms = v;
			cap = ncap;
		}
		s->ksyms[s->n_ksyms++] = (struct ksym){ addr, intern(s, name) };
	}
	fclose(f);
	sort_n(s->ksyms, s->n_ksyms, sizeof(*s->ksyms), cmp_ksym);
}

struct stack_symbols *stack_symbols_new(void)
{
	struct stack_symbols *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	strmap_init(&s->names);
	strmap_init(&s->demangled);
	load_kallsyms(s);
	return s;
}

void stack_symbols_free(struct stack_symbols *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_files; i++) {
		free(s->files[i]->v);
		free(s->files[i]);
	}
	free(s->files);
	for (size_t i = 0; i < s->n_procs; i++)
		free(s->procs[i].v);
	free(s->procs);
	free(s->ksyms);
	strmap_free(&s->demangled);
	strmap_free(&s->names);
	free(s);
}

unsigned long stack_symbols_files_loaded(const struct stack_symbols *s)
{
	return s ? (unsigned long)s->n_files : 0;
}

/* By offset; aliases by name, so the lookup (the last of equals) takes
 * the same one every time, the one with the fewest leading underscores. */
static int cmp_func(const void *a, const void *b)
{
	const struct func *x = a, *y = b;

	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The executable segments of an ELF file: virtual address to file offset. */
struct load_seg {
	uint64_t vaddr, memsz, offset;
};

static size_t exec_segments(Elf *elf, struct load_seg *v, size_t max)
{
	size_t phnum, n = 0;
	GElf_Phdr ph;

	if (elf_getphdrnum(elf, &phnum))
		return 0;
	for (size_t i = 0; i < phnum && n < max; i++)
		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD && (ph.p_flags & PF_X))
			v[n++] = (struct load_seg){ ph.p_vaddr, ph.p_memsz, ph.p_offset };
	return n;
}

static Elf *open_elf(const char *path, int *fd)
{
	Elf *elf;

	elf_version(EV_CURRENT);
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return NULL;
	elf = elf_begin(*fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		if (elf)
			elf_end(elf);
		close(*fd);
		return NULL;
	}
	return elf;
}

/* Appends the function symbols of one symbol table section, placed at
 * file offsets through segs. */
static int add_section_funcs(struct stack_symbols *s, Elf *elf, Elf_Scn *scn,
			     const struct load_seg *segs, size_t nseg, struct file_syms *fs,
			     size_t *cap)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	GElf_Shdr sh;

	if (!gelf_getshdr(scn, &sh) || !sh.sh_entsize || !data)
		return 0;
	for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
		GElf_Sym sym;
		const char *name;

		if (!gelf_getsym(data, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    !sym.st_size || sym.st_shndx == SHN_UNDEF)
			continue;
		name = elf_strptr(elf, sh.sh_link, sym.st_name);
		for (size_t k = 0; name && *name && k < nseg; k++) {
			uint64_t off;

			if (sym.st_value < segs[k].vaddr ||
			    sym.st_value >= segs[k].vaddr + segs[k].memsz)
				continue;
			if (fs->n == *cap) {
				size_t ncap = *cap ? *cap * 2 : 1024;
				struct func *nv = realloc(fs->v, ncap * sizeof(*nv));

				if (!nv)
					return -ENOMEM;
				fs->v = nv;
				*cap = ncap;
			}
			off = sym.st_value - segs[k].vaddr + segs[k].offset;
			fs->v[fs->n++] = (struct func){ off, off + sym.st_size, intern(s, name) };
			break;
		}
	}
	return 0;
}

/* The function symbols of an ELF file's symbol table (type want). */
static int elf_funcs(struct stack_symbols *s, Elf *elf, Elf32_Word want,
		     const struct load_seg *segs, size_t nseg, struct file_syms *fs)
{
	Elf_Scn *scn = NULL;
	size_t cap = 0;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == want &&
		    add_section_funcs(s, elf, scn, segs, nseg, fs, &cap))
			return -ENOMEM;
	return 0;
}

/*
 * The functions of the file at path (opened through /proc/PID/root), by
 * file offset: its .symtab; for a stripped file, the .symtab of its debug
 * file when its -dbg or -dbgsym package is installed
 * (/usr/lib/debug/.build-id/AB/CDEF....debug: the same addresses, but code
 * sections without bytes), else its .dynsym (the exported functions).
 * Read here rather than through symbols_match: that one reads each
 * function's first instruction and demangles every name, seconds for a
 * large C++ binary; here names are demangled when a sample needs them.
 */
static struct file_syms *read_file_syms(struct stack_symbols *s, const char *path,
					const char *shown, const char *build_id)
{
	struct file_syms *fs = calloc(1, sizeof(*fs));
	const char *base = strrchr(shown, '/');
	struct load_seg segs[8];
	size_t nseg;
	char label[300], dbg_path[160];
	Elf *elf, *dbg;
	int fd, dfd;

	if (!fs)
		return NULL;
	snprintf(label, sizeof(label), "[%s]", base ? base + 1 : shown);
	fs->label = intern(s, label);
	elf = open_elf(path, &fd);
	if (!elf)
		return fs; /* not an ELF we can read: every address is the label */
	nseg = exec_segments(elf, segs, 8);
	elf_funcs(s, elf, SHT_SYMTAB, segs, nseg, fs);
	if (!fs->n && strlen(build_id) > 2) {
		snprintf(dbg_path, sizeof(dbg_path), "/usr/lib/debug/.build-id/%.2s/%s.debug",
			 build_id, build_id + 2);
		dbg = open_elf(dbg_path, &dfd);
		if (dbg) {
			elf_funcs(s, dbg, SHT_SYMTAB, segs, nseg, fs);
			elf_end(dbg);
			close(dfd);
		}
	}
	if (!fs->n)
		elf_funcs(s, elf, SHT_DYNSYM, segs, nseg, fs);
	elf_end(elf);
	close(fd);
	sort_n(fs->v, fs->n, sizeof(*fs->v), cmp_func);
	return fs;
}

static struct file_syms *file_syms(struct stack_symbols *s, pid_t pid, const char *shown)
{
	struct file_syms *fs, **v;
	char path[4352], id[64] = "", err[128];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/root%s", (int)pid, shown);
	if (stat(path, &st))
		return NULL;
	for (size_t i = 0; i < s->n_files; i++)
		if (s->files[i]->dev == st.st_dev && s->files[i]->ino == st.st_ino)
			return s->files[i];
	/* Another copy of a file already read (another container, say). */
	if (!symbols_build_id(path, id, sizeof(id), err, sizeof(err)))
		for (size_t i = 0; i < s->n_files; i++)
			if (!strcmp(s->files[i]->build_id, id))
				return s->files[i];
	v = realloc(s->files, (s->n_files + 1) * sizeof(*v));
	if (!v)
		return NULL;
	s->files = v;
	fs = read_file_syms(s, path, shown, id);
	if (!fs)
		return NULL;
	snprintf(fs->build_id, sizeof(fs->build_id), "%s", id);
	fs->dev = st.st_dev;
	fs->ino = st.st_ino;
	s->files[s->n_files++] = fs;
	return fs;
}

/* Executable mappings of pid; the old ones stay when it is gone. */
static void read_maps(struct stack_symbols *s, struct proc_maps *pm)
{
	struct mapping *v = NULL;
	size_t n = 0, cap = 0;
	char path[64], line[4608];
	FILE *f;

	pm->read_ns = now_ns();
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pm->pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		uint64_t start, end, off;
		char perms[8], *name;
		int pos = 0;

		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*u %n", &start, &end,
			   perms, &off, &pos) < 4 || !pos || perms[2] != 'x')
			continue;
		name = line + pos;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			struct mapping *nv = realloc(v, ncap * sizeof(*nv));

			if (!nv)
				break;
			v = nv;
			cap = ncap;
		}
		v[n] = (struct mapping){ start, end, off, NULL, NULL };
		if (name[0] == '/')
			v[n].file = file_syms(s, pm->pid, name);
		if (!v[n].file)
			v[n].label = intern(s, name[0] == '[' ? name : name[0] ? "[unknown]" : "[anon]");
		n++;
	}
	fclose(f);
	if (!n) {
		free(v);
		return; /* gone (or a zombie): keep what we knew */
	}
	free(pm->v);
	pm->v = v;
	pm->n = n;
}

static struct proc_maps *proc_maps(struct stack_symbols *s, pid_t pid)
{
	struct proc_maps *v;

	for (size_t i = 0; i < s->n_procs; i++)
		if (s->procs[i].pid == pid)
			return &s->procs[i];
	v = realloc(s->procs, (s->n_procs + 1) * sizeof(*v));
	if (!v)
		return NULL;
	s->procs = v;
	v[s->n_procs] = (struct proc_maps){ .pid = pid };
	return &v[s->n_procs++];
}

void stack_symbols_note_process(struct stack_symbols *s, pid_t pid)
{
	struct proc_maps *pm = proc_maps(s, pid);

	if (pm && !pm->read_ns)
		read_maps(s, pm);
}

static const struct mapping *find_mapping(const struct proc_maps *pm, uint64_t ip)
{
	for (size_t i = 0; i < pm->n; i++)
		if (ip >= pm->v[i].start && ip < pm->v[i].end)
			return &pm->v[i];
	return NULL;
}

static const char *file_func(const struct file_syms *fs, uint64_t off)
{
	size_t lo = 0, hi = fs->n;

	/* The last function starting at or before off. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (fs->v[mid].off <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && off < fs->v[lo - 1].end)
		return fs->v[lo - 1].name;
	return fs->label;
}

/* C++ names as a reader knows them ("ns::Klass::run"), once each. */
static const char *readable(struct stack_symbols *s, const char *name)
{
	struct strmap_slot *slot;
	char *full, *plain;
	int added;

	if (strncmp(name, "_Z", 2))
		return name;
	slot = strmap_get(&s->demangled, name);
	if (slot)
		return (const char *)slot->value;
	full = demangle(name);
	plain = full ? demangle_base_name(full) : NULL;
	slot = strmap_put(&s->demangled, name, (long)(uintptr_t)intern(s, plain ? plain : name),
			  &added);
	free(full);
	free(plain);
	return slot ? (const char *)slot->value : name;
}

const char *stack_symbols_user(struct stack_symbols *s, pid_t pid, uint64_t ip, bool return_addr)
{
	struct proc_maps *pm = proc_maps(s, pid);
	const struct mapping *m;

	if (!pm)
		return "[unknown]";
	if (return_addr && ip)
		ip--;
	m = find_mapping(pm, ip);
	if (!m && (!pm->read_ns || now_ns() - pm->read_ns > MAPS_REREAD_NS)) {
		read_maps(s, pm);
		m = find_mapping(pm, ip);
	}
	if (!m)
		return "[unknown]";
	if (!m->file)
		return m->label;
	return readable(s, file_func(m->file, ip - m->start + m->off));
}

const char *stack_symbols_kernel(struct stack_symbols *s, uint64_t ip)
{
	size_t lo = 0, hi = s->n_ksyms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->ksyms[mid].addr <= ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? s->ksyms[lo - 1].name : "[kernel]";
}

bool stack_symbols_is_root(const char *name)
{
	static const char *const roots[] = { "_start",	      "__libc_start_main",
					     "__libc_start_call_main", "start_thread",
					     "clone",	      "clone3",
					     "__clone",	      "__clone3",
					     "__GI___clone3", "thread_start" };

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		if (!strcmp(name, roots[i]))
			return true;
	return false;
}
