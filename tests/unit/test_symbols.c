// SPDX-License-Identifier: MIT
/*
 * Symbol resolution for -u stage specs, against ELF files built at run time:
 * offsets are checked against the bytes the fixture programs see at &func.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <elf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probes/demangle.h"
#include "probes/stage_spec.h"
#include "probes/symbols.h"

/* Short, so that "dir/name" always fits the fx() buffers. */
static char dir[128];

static const char *fx(const char *name)
{
	static char bufs[8][256];
	static int next;
	char *b = bufs[next++ % 8];

	snprintf(b, sizeof(bufs[0]), "%.127s/%.100s", dir, name);
	return b;
}

static int write_file(const char *name, const char *text)
{
	FILE *f = fopen(fx(name), "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int run(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "fixture command failed: %s\n", cmd);
		return -1;
	}
	return 0;
}

/* ---- fixture sources ---- */

static const char prog_c[] =
	"#include <stdio.h>\n"
	"#include <string.h>\n"
	"#define NOINL __attribute__((noinline, used))\n"
	"volatile int sink;\n"
	"NOINL int stage_parse(int x) { sink += x; return x * 3; }\n"
	"NOINL int stage_plan(int x) { sink ^= x; return x + 7; }\n"
	"NOINL int stage_exec(int x) { sink -= x; return x - 1; }\n"
	"NOINL int other_fn(int x) { return x ^ sink; }\n"
	"NOINL int alias_target(int x) { sink += 2 * x; return sink; }\n"
	"extern int alias_weak(int) __attribute__((weak, alias(\"alias_target\")));\n"
	"#define H(n) NOINL int handler_##n(int x) { sink += x * (n + 1); return sink; }\n"
	"H(0) H(1) H(2) H(3) H(4) H(5) H(6) H(7) H(8) H(9) H(10) H(11)\n"
	"NOINL int last_fn(int x) { return x * sink + 1; }\n"
	"static void dump(const char *name, const void *fn)\n"
	"{ const unsigned char *b = fn; printf(\"%s\", name);\n"
	"  for (int i = 0; i < 16; i++) printf(\" %02x\", b[i]); printf(\"\\n\"); }\n"
	"#define D(f) dump(#f, (const void *)f)\n"
	"int main(int argc, char **argv)\n"
	"{ if (argc > 1 && strcmp(argv[1], \"dump\") == 0) {\n"
	"    D(stage_parse); D(stage_plan); D(stage_exec); D(other_fn); D(alias_target);\n"
	"    D(handler_0); D(handler_11); D(last_fn); return 0; }\n"
	"  return stage_parse(argc) + stage_plan(argc) + stage_exec(argc) + other_fn(argc)\n"
	"    + alias_weak(argc) + handler_0(argc) + last_fn(argc); }\n";

static const char lib_c[] = "#define NOINL __attribute__((noinline))\n"
			    "volatile int lsink;\n"
			    "NOINL int lib_stage_a(int x) { lsink += x; return x * 5; }\n"
			    "NOINL int lib_stage_b(int x) { lsink ^= x; return lsink; }\n"
			    "static NOINL int lib_local(int x) { return x + lsink; }\n"
			    "int lib_calls_local(int x) { return lib_local(x) * 2; }\n"
			    "static int my_impl(int x) { return x + 1; }\n"
			    "static int (*resolve_my_ifunc(void))(int) { return my_impl; }\n"
			    "int my_ifunc(int) __attribute__((ifunc(\"resolve_my_ifunc\")));\n";

/* Prints the first 16 bytes of each named symbol of a dlopen'ed library. */
static const char loader_c[] = "#include <dlfcn.h>\n"
			       "#include <stdio.h>\n"
			       "int main(int argc, char **argv)\n"
			       "{ void *h = dlopen(argv[1], RTLD_NOW);\n"
			       "  if (!h) { fprintf(stderr, \"%s\\n\", dlerror()); return 1; }\n"
			       "  for (int i = 2; i < argc; i++) {\n"
			       "    const unsigned char *b = dlsym(h, argv[i]);\n"
			       "    if (!b) { fprintf(stderr, \"%s\\n\", dlerror()); return 1; }\n"
			       "    printf(\"%s\", argv[i]);\n"
			       "    for (int j = 0; j < 16; j++) printf(\" %02x\", b[j]);\n"
			       "    printf(\"\\n\"); }\n"
			       "  return 0; }\n";

static const char cpp_cc[] =
	"#include <stdexcept>\n"
	"namespace ns {\n"
	"struct Klass { int v; int run(int); int run(double); int stop() const; };\n"
	"int Klass::run(int x) { return v + x; }\n"
	"int Klass::run(double x) { return v + (int)x; }\n"
	"int Klass::stop() const { return -v; }\n"
	"int compute(int x) { return x * 2; }\n"
	"int compute(double x) { return (int)(x * 3); }\n"
	"template <typename T> T twice(T x) { return x + x; }\n"
	"template int twice<int>(int);\n"
	/* g++ -O2 moves the throw into _ZN2ns7checkedEi.cold. */
	"int checked(int x)\n"
	"{ if (x < 0) throw std::runtime_error(\"negative\"); return x * 2; }\n"
	"}\n"
	"extern \"C\" int plain_c_like(int x) { return x - 1; }\n";

/* Two versions of vfn: the default VERS_2 (new_impl) and the old VERS_1. */
static const char vers_c[] = "__asm__(\".symver old_impl, vfn@VERS_1\");\n"
			     "__asm__(\".symver new_impl, vfn@@VERS_2\");\n"
			     "int old_impl(int x) { return x; }\n"
			     "int new_impl(int x) { return x + 1; }\n";
static const char vers_map[] = "VERS_1 { global: vfn; local: *; };\n"
			       "VERS_2 { global: vfn; } VERS_1;\n";

/* Entry kinds: each file is compiled with its own flags. */
/* Not leaves: gcc -O1 sets up no frame in a leaf, -fno-omit-frame-pointer or not. */
static const char kinds_push_c[] = "int kinds_ext(int);\n"
				   "int push_fn(int x) { return kinds_ext(x) * 3 + 1; }\n";
static const char kinds_cet_c[] = "int kinds_ext(int);\n"
				  "int cet_push_fn(int x) { return kinds_ext(x) * 5 + 2; }\n";
static const char kinds_cetleaf_c[] = "int cet_leaf_fn(int x) { return x * 7 + 1; }\n";
static const char kinds_asm_c[] =
	"#define FN(name, body) \".globl \" #name \"\\n.type \" #name \",@function\\n\" \\\n"
	"	#name \":\\n\" body \"\\n.size \" #name \", .-\" #name \"\\n\"\n"
	"__asm__(\".pushsection .text\\n\"\n"
	"	FN(nop5_fn, \".byte 0x0f,0x1f,0x44,0x00,0x00\\nret\")\n"
	"	FN(mov_fn, \"mov %rdi, %rax\\nret\")\n"
	"	FN(sub_fn, \"sub $8, %rsp\\nadd $8, %rsp\\nret\")\n"
	"	FN(jmp_fn, \"jmp 1f\\n1: ret\")\n"
	"	FN(push_r12_fn, \"push %r12\\npop %r12\\nret\")\n"
	"	FN(cet_nop5_fn, \"endbr64\\n.byte 0x0f,0x1f,0x44,0x00,0x00\\nret\")\n"
	"	FN(cet_mov_fn, \"endbr64\\nmov %rdi, %rax\\nret\")\n"
	"	FN(shift_fn, \"mov %rdi, %rax\\ntest %rsi, %rsi\\nje 1f\\nadd %rsi, %rax\\n1: ret\")\n"
	"	FN(loop_fn, \"mov %rdi, %rcx\\nxor %eax, %eax\\n1: add %rcx, %rax\\ndec %rcx\\n"
	"jne 1b\\nret\")\n"
	/* outer_fn falls into inner_fn, a function of its own: called
	 * directly, inner_fn would pass a probe moved onto its push */
	"	\".globl outer_fn\\n.type outer_fn,@function\\nouter_fn:\\nmov %rdi, %rax\\n\"\n"
	"	FN(inner_fn, \"push %rbx\\npop %rbx\\nret\")\n"
	"	\".size outer_fn, .-outer_fn\\n\"\n"
	/* gcc's split-off parts: one jumps to the entry of shift_fn (fine),
	 * one into partjump_fn past its entry (no shift) */
	"	FN(partjump_fn, \"mov %rdi, %rax\\ntest %rsi, %rsi\\nje 1f\\nadd %rsi, %rax\\n"
	"1: ret\")\n"
	"	FN(shift_fn.part.0, \"jmp shift_fn\")\n"
	"	FN(partjump_fn.part.1, \"jmp partjump_fn+3\")\n"
	/* 3 bytes before a page end: the nop5 straddles two pages. */
	"	\".p2align 12\\n.skip 4093, 0xcc\\n\"\n"
	"	FN(nop5_cross_fn, \".byte 0x0f,0x1f,0x44,0x00,0x00\\nret\")\n"
	"	\".popsection\\n\");\n";
static const char kinds_main_c[] =
	"#include <stdio.h>\n"
	"#define F(f) extern char f[];\n"
	"F(push_fn) F(cet_push_fn) F(cet_leaf_fn) F(nop5_fn) F(mov_fn) F(sub_fn) F(jmp_fn)\n"
	"F(push_r12_fn) F(cet_nop5_fn) F(cet_mov_fn) F(nop5_cross_fn) F(shift_fn) F(loop_fn)\n"
	"F(outer_fn) F(inner_fn) F(partjump_fn)\n"
	"static void dump(const char *name, const unsigned char *b)\n"
	"{ printf(\"%s\", name); for (int i = 0; i < 16; i++) printf(\" %02x\", b[i]);\n"
	"  printf(\"\\n\"); }\n"
	"#define D(f) dump(#f, (const unsigned char *)f)\n"
	"int kinds_ext(int x) { return x + 1; }\n"
	"int main(void)\n"
	"{ D(push_fn); D(cet_push_fn); D(cet_leaf_fn); D(nop5_fn); D(mov_fn); D(sub_fn);\n"
	"  D(jmp_fn); D(push_r12_fn); D(cet_nop5_fn); D(cet_mov_fn); D(nop5_cross_fn);\n"
	"  D(shift_fn); D(loop_fn); D(outer_fn); D(inner_fn);\n"
	"  D(partjump_fn);\n"
	"  return 0; }\n";

static int build_fixtures(void)
{
	const char *d = dir;

	if (write_file("prog.c", prog_c) || write_file("lib.c", lib_c) ||
	    write_file("loader.c", loader_c) || write_file("cpp.cc", cpp_cc) ||
	    write_file("kinds_push.c", kinds_push_c) || write_file("kinds_cet.c", kinds_cet_c) ||
	    write_file("kinds_cetleaf.c", kinds_cetleaf_c) ||
	    write_file("kinds_asm.c", kinds_asm_c) || write_file("kinds_main.c", kinds_main_c) ||
	    write_file("vers.c", vers_c) || write_file("vers.map", vers_map) ||
	    write_file("notelf.txt", "this is not an ELF file\n"))
		return -1;
	/* Plain PIE; a PIE whose text is linked at 0x300000 so that file
	 * offsets differ from addresses; non-PIE static; -rdynamic, stripped. */
	if (run("cc -O2 -fPIE -pie %s/prog.c -o %s/prog_pie", d, d) ||
	    run("cc -O2 -fPIE -pie -Wl,-Ttext-segment=0x300000 %s/prog.c -o %s/prog_shifted", d,
		d) ||
	    run("cc -O2 -static -no-pie %s/prog.c -o %s/prog_static", d, d) ||
	    run("cc -O2 -rdynamic %s/prog.c -o %s/prog_rdyn && strip --strip-all %s/prog_rdyn", d,
		d, d))
		return -1;
	if (run("cc -O1 -shared -fPIC %s/lib.c -o %s/libstage.so", d, d) ||
	    run("cc -O1 -shared -fPIC -Wl,-Ttext-segment=0x200000 %s/lib.c -o %s/libshift.so", d,
		d) ||
	    run("cp %s/libstage.so %s/libstripped.so && strip --strip-all %s/libstripped.so", d, d,
		d) ||
	    run("cc -O1 %s/loader.c -o %s/loader -ldl", d, d) ||
	    run("c++ -O2 -shared -fPIC %s/cpp.cc -o %s/libcpp.so", d, d) ||
	    run("cc -O1 -c %s/lib.c -o %s/lib.o", d, d) ||
	    run("cc -O1 -shared -fPIC -Wl,--version-script=%s/vers.map %s/vers.c -o %s/libvers.so",
		d, d, d) ||
	    run("cp %s/libvers.so %s/libvers_stripped.so && strip --strip-all "
		"%s/libvers_stripped.so",
		d, d, d))
		return -1;
	if (run("cc -O1 -fno-omit-frame-pointer -fcf-protection=none -c %s/kinds_push.c -o "
		"%s/kinds_push.o",
		d, d) ||
	    run("cc -O1 -fno-omit-frame-pointer -fcf-protection=full -c %s/kinds_cet.c -o "
		"%s/kinds_cet.o",
		d, d) ||
	    run("cc -O1 -fomit-frame-pointer -fcf-protection=full -c %s/kinds_cetleaf.c -o "
		"%s/kinds_cetleaf.o",
		d, d) ||
	    run("cc -O1 -fcf-protection=none -c %s/kinds_asm.c -o %s/kinds_asm.o", d, d) ||
	    run("cc -O1 -fcf-protection=none -fPIE -pie %s/kinds_main.c %s/kinds_push.o "
		"%s/kinds_cet.o %s/kinds_cetleaf.o %s/kinds_asm.o -o %s/kinds",
		d, d, d, d, d, d))
		return -1;
	return 0;
}

static int group_setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/bpfprof-symtest-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	return build_fixtures();
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int group_teardown(void **state)
{
	if (dir[0])
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* ---- helpers ---- */

static const struct sym_match *find_sym(const struct sym_list *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	}
	return NULL;
}

static void match_ok(const char *path, const char *glob, struct sym_list *l)
{
	char err[512] = "";
	int ret = symbols_match(path, glob, l, err, sizeof(err));

	if (ret)
		fail_msg("symbols_match(%s, %s): %d %s", path, glob, ret, err);
}

/* The function's bytes in the file at its entry (probe_offset - skipped). */
static size_t file_bytes(const char *path, const struct sym_match *m, uint8_t *buf, size_t n)
{
	ssize_t got;
	int fd;

	if (n > m->size)
		n = m->size;
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	got = pread(fd, buf, n, (off_t)(m->probe_offset - m->skipped));
	close(fd);
	assert_int_equal(got, n);
	return n;
}

/*
 * Run @cmd, which prints "name b0 .. b15" lines (the bytes at &name in the
 * running process), and check each against the file at the computed offset.
 * Returns the number of functions checked.
 */
static size_t check_runtime_bytes(const char *path, const char *glob, const char *cmd)
{
	char line[512], name[256];
	struct sym_list l;
	size_t checked = 0;
	FILE *p;

	match_ok(path, glob, &l);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		uint8_t mem[16], file[16];
		const struct sym_match *m;
		char *s = line, *end;
		size_t n, i;
		int used = 0;

		assert_int_equal(sscanf(s, "%255s%n", name, &used), 1);
		s += used;
		for (i = 0; i < sizeof(mem); i++) {
			unsigned long v;

			errno = 0;
			v = strtoul(s, &end, 16);
			assert_true(end != s && errno == 0 && v <= 0xff);
			mem[i] = (uint8_t)v;
			s = end;
		}
		m = find_sym(&l, name);
		if (!m)
			fail_msg("%s: %s printed by the fixture but not matched by '%s'", path,
				 name, glob);
		n = file_bytes(path, m, file, sizeof(file));
		if (memcmp(mem, file, n) != 0)
			fail_msg("%s: %s: bytes at file offset 0x%llx differ from memory", path,
				 name, (unsigned long long)(m->probe_offset - m->skipped));
		checked++;
	}
	assert_int_equal(pclose(p), 0);
	sym_list_free(&l);
	return checked;
}

/* ---- spec parsing ---- */

static void test_parse(void **state)
{
	static const struct {
		const char *arg, *binary, *glob;
	} ok[] = {
		{"handle_*", NULL, "handle_*"},
		{"libc:malloc", "libc", "malloc"},
		{"/usr/bin/foo:stage_?", "/usr/bin/foo", "stage_?"},
		{"ns::Klass::*", NULL, "ns::Klass::*"},
		{"::global_fn", NULL, "::global_fn"},
		{"libfoo.so.1:ns::Klass::run", "libfoo.so.1", "ns::Klass::run"},
		{"/opt/app:ns::a::b", "/opt/app", "ns::a::b"},
		{"lib:::f", "lib", "::f"},
		{"libc:  malloc ", "libc", "malloc"},
		{"a:b:c", "a", "b:c"},
	};
	static const char *const bad[] = {"", ":malloc", "libc:", "libc:   ", "   ", ":", "x: \t"};
	struct stage_spec s;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		err[0] = '\0';
		if (stage_spec_parse(ok[i].arg, &s, err, sizeof(err)) != 0)
			fail_msg("parse '%s': %s", ok[i].arg, err);
		if (ok[i].binary)
			assert_string_equal(s.binary_arg, ok[i].binary);
		else
			assert_null(s.binary_arg);
		assert_string_equal(s.glob, ok[i].glob);
		assert_null(s.path);
		stage_spec_free(&s);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (stage_spec_parse(bad[i], &s, err, sizeof(err)) != -EINVAL)
			fail_msg("parse '%s' should fail", bad[i]);
		assert_true(strlen(err) > 0);
		assert_null(s.binary_arg);
		assert_null(s.glob);
	}
	assert_int_equal(stage_spec_parse(NULL, &s, err, sizeof(err)), -EINVAL);
}

/* ---- binary resolution ---- */

static void test_resolve_library_self(void **state)
{
	struct stage_spec s;
	char err[512], want[64];
	const char *base;

	assert_int_equal(stage_spec_parse("libc:malloc", &s, err, sizeof(err)), 0);
	if (stage_spec_resolve(&s, getpid(), NULL, err, sizeof(err)) != 0)
		fail_msg("resolve libc: %s", err);
	base = strrchr(s.display_path, '/');
	assert_non_null(base);
	assert_string_equal(base + 1, "libc.so.6");
	snprintf(want, sizeof(want), "/proc/%d/root/", (int)getpid());
	assert_int_equal(strncmp(s.path, want, strlen(want)), 0);
	assert_string_equal(s.path + strlen(want) - 1, s.display_path);
	assert_int_equal(access(s.path, R_OK), 0);
	stage_spec_free(&s);

	/* Exact basename, and a library this test links (cmocka). */
	assert_int_equal(stage_spec_parse("libc.so.6:free", &s, err, sizeof(err)), 0);
	assert_int_equal(stage_spec_resolve(&s, getpid(), NULL, err, sizeof(err)), 0);
	assert_string_equal(strrchr(s.display_path, '/'), "/libc.so.6");
	stage_spec_free(&s);
	assert_int_equal(
		stage_spec_parse("libcmocka:_cmocka_run_group_tests", &s, err, sizeof(err)), 0);
	assert_int_equal(stage_spec_resolve(&s, getpid(), NULL, err, sizeof(err)), 0);
	assert_non_null(strstr(s.display_path, "/libcmocka.so"));
	stage_spec_free(&s);

	/* A library name needs a process. */
	assert_int_equal(stage_spec_parse("libc:malloc", &s, err, sizeof(err)), 0);
	err[0] = '\0';
	assert_int_equal(stage_spec_resolve(&s, 0, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "libc"));
	assert_null(s.path);
	stage_spec_free(&s);

	/* Not mapped. */
	assert_int_equal(stage_spec_parse("libnosuchlib:f", &s, err, sizeof(err)), 0);
	assert_int_equal(stage_spec_resolve(&s, getpid(), NULL, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "libnosuchlib"));
	stage_spec_free(&s);
}

static void test_find_library_fake_maps(void **state)
{
	static const char maps[] =
		"5581c000-5581d000 r--p 00000000 08:01 1234    /usr/bin/app\n"
		"7f0000000000-7f0000001000 r-xp 00000000 08:01 11 "
		"/usr/lib/x86_64-linux-gnu/libcrypto.so.3\n"
		"7f0000100000-7f0000101000 r-xp 00000000 08:01 12 "
		"/usr/lib/x86_64-linux-gnu/libcap.so.2\n"
		"7f0000200000-7f0000201000 r--p 00000000 08:01 13 "
		"/usr/lib/x86_64-linux-gnu/libc.so.6\n"
		"7f0000201000-7f0000202000 r-xp 00001000 08:01 13 "
		"/usr/lib/x86_64-linux-gnu/libc.so.6\n"
		"7f0000300000-7f0000301000 r-xp 00000000 08:01 14 /opt/my libs/libfoo.so.1\n"
		"7f0000400000-7f0000401000 r-xp 00000000 08:01 15 /opt/a/libdup.so.1\n"
		"7f0000500000-7f0000501000 r-xp 00000000 08:01 16 /opt/b/libdup.so.2\n"
		"7f0000600000-7f0000601000 r-xp 00000000 08:01 17 /opt/libbar.so\n"
		"7f0000700000-7f0000701000 r-xp 00000000 08:01 18 /opt/libbar.so.1\n"
		"7f0000800000-7f0000801000 r-xp 00000000 08:01 19 /opt/libgone.so.1 (deleted)\n"
		"7f0000900000-7f0000901000 rw-p 00000000 00:00 0 \n"
		"7ffd00000000-7ffd00001000 rw-p 00000000 00:00 0                          [stack]\n"
		"7ffd00100000-7ffd00101000 r-xp 00000000 00:00 0                          [vdso]\n";
	static const char old_maps[] =
		"7f0000000000-7f0000001000 r-xp 00000000 08:01 11 /lib/libcrypt-2.31.so\n"
		"7f0000100000-7f0000101000 r-xp 00000000 08:01 12 /lib/libc-2.31.so\n";
	static const struct {
		const char *name, *path;
	} ok[] = {
		{"libc", "/usr/lib/x86_64-linux-gnu/libc.so.6"},
		{"libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6"},
		{"libc.so", "/usr/lib/x86_64-linux-gnu/libc.so.6"},
		{"libcrypto", "/usr/lib/x86_64-linux-gnu/libcrypto.so.3"},
		{"libcap", "/usr/lib/x86_64-linux-gnu/libcap.so.2"},
		{"libfoo", "/opt/my libs/libfoo.so.1"},
		{"libbar.so", "/opt/libbar.so"}, /* exact beats short */
		{"libdup.so.2", "/opt/b/libdup.so.2"},
	};
	char err[512], *found = NULL;
	size_t i;

	assert_int_equal(write_file("maps", maps), 0);
	assert_int_equal(write_file("maps_old", old_maps), 0);
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		err[0] = '\0';
		if (stage_spec_find_library(fx("maps"), ok[i].name, &found, err, sizeof(err)))
			fail_msg("find %s: %s", ok[i].name, err);
		assert_string_equal(found, ok[i].path);
		free(found);
	}
	/* Not "libcrypto", "libcap": none of them is libc; "libcr" is no library. */
	assert_int_equal(stage_spec_find_library(fx("maps"), "libcr", &found, err, sizeof(err)),
			 -ENOENT);
	assert_null(found);
	/* The main executable is a mapped file like any other. */
	assert_int_equal(stage_spec_find_library(fx("maps"), "app", &found, err, sizeof(err)), 0);
	assert_string_equal(found, "/usr/bin/app");
	free(found);
	assert_int_equal(stage_spec_find_library(fx("maps"), "vdso", &found, err, sizeof(err)),
			 -ENOENT);
	assert_int_equal(stage_spec_find_library(fx("maps"), "libdup", &found, err, sizeof(err)),
			 -EEXIST);
	assert_non_null(strstr(err, "/opt/a/libdup.so.1"));
	assert_non_null(strstr(err, "/opt/b/libdup.so.2"));
	assert_int_equal(stage_spec_find_library(fx("maps"), "libgone", &found, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "deleted"));
	assert_null(found);

	/* Old glibc naming: libc-2.31.so, and libcrypt-2.31.so is not libc. */
	assert_int_equal(stage_spec_find_library(fx("maps_old"), "libc", &found, err, sizeof(err)),
			 0);
	assert_string_equal(found, "/lib/libc-2.31.so");
	free(found);
	assert_int_equal(
		stage_spec_find_library(fx("nosuchmaps"), "libc", &found, err, sizeof(err)),
		-ENOENT);
}

static void test_resolve_paths(void **state)
{
	struct stage_spec s;
	char err[512], arg[PATH_MAX + 16], want[PATH_MAX + 64], exe[PATH_MAX];
	ssize_t n;

	/* A path, no pid: used as is. */
	snprintf(arg, sizeof(arg), "%s:stage_*", fx("prog_pie"));
	assert_int_equal(stage_spec_parse(arg, &s, err, sizeof(err)), 0);
	assert_int_equal(stage_spec_resolve(&s, 0, NULL, err, sizeof(err)), 0);
	assert_string_equal(s.path, fx("prog_pie"));
	assert_string_equal(s.display_path, fx("prog_pie"));
	/* With a pid: through its root, so other mount namespaces work. */
	assert_int_equal(stage_spec_resolve(&s, getpid(), NULL, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "/proc/%d/root%s", (int)getpid(), fx("prog_pie"));
	assert_string_equal(s.path, want);
	assert_string_equal(s.display_path, fx("prog_pie"));
	stage_spec_free(&s);

	/* No binary: the main executable, given or read from /proc/PID/exe. */
	assert_int_equal(stage_spec_parse("stage_*", &s, err, sizeof(err)), 0);
	assert_int_equal(stage_spec_resolve(&s, 0, fx("prog_static"), err, sizeof(err)), 0);
	assert_string_equal(s.path, fx("prog_static"));
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	assert_int_equal(stage_spec_resolve(&s, getpid(), NULL, err, sizeof(err)), 0);
	assert_string_equal(s.display_path, exe);
	snprintf(want, sizeof(want), "/proc/%d/root%s", (int)getpid(), exe);
	assert_string_equal(s.path, want);
	err[0] = '\0';
	assert_int_equal(stage_spec_resolve(&s, 0, NULL, err, sizeof(err)), -EINVAL);
	assert_true(strlen(err) > 0);
	stage_spec_free(&s);
}

static void expect_resolve_error(const char *binary, int want_ret, const char *want_msg)
{
	char arg[PATH_MAX + 16], err[512] = "";
	struct stage_spec s;
	int ret;

	snprintf(arg, sizeof(arg), "%s:f", binary);
	assert_int_equal(stage_spec_parse(arg, &s, err, sizeof(err)), 0);
	ret = stage_spec_resolve(&s, 0, NULL, err, sizeof(err));
	if (ret != want_ret)
		fail_msg("resolve %s: got %d (%s), want %d", binary, ret, err, want_ret);
	if (!strstr(err, binary) || !strstr(err, want_msg))
		fail_msg("resolve %s: message '%s' lacks the binary or '%s'", binary, err,
			 want_msg);
	assert_null(s.path);
	assert_null(s.display_path);
	stage_spec_free(&s);
}

static void test_resolve_errors(void **state)
{
	expect_resolve_error(fx("does_not_exist"), -ENOENT, "not found");
	expect_resolve_error(dir, -EISDIR, "directory");
	expect_resolve_error(fx("notelf.txt"), -ENOEXEC, "not an ELF");
	expect_resolve_error(fx("lib.o"), -ENOEXEC, "neither an executable");
}

static void test_match_errors(void **state)
{
	struct sym_list l;
	char err[512];

	assert_int_equal(symbols_match(fx("nope"), "f", &l, err, sizeof(err)), -ENOENT);
	assert_int_equal(l.n, 0);
	assert_int_equal(symbols_match(dir, "f", &l, err, sizeof(err)), -EISDIR);
	assert_int_equal(symbols_match(fx("notelf.txt"), "f", &l, err, sizeof(err)), -ENOEXEC);
	assert_non_null(strstr(err, "notelf.txt"));
	assert_int_equal(symbols_match(fx("lib.o"), "lib_*", &l, err, sizeof(err)), -ENOEXEC);
	assert_int_equal(symbols_match(fx("prog_pie"), "", &l, err, sizeof(err)), -EINVAL);
	assert_null(l.v);
}

/* prog_pie copied to name with len bytes at off replaced by bytes (len 0:
 * the copy cut to off bytes). */
static const char *corrupt_copy(const char *name, long off, const void *bytes, size_t len)
{
	FILE *in = fopen(fx("prog_pie"), "rb"), *out = fopen(fx(name), "wb");
	static char buf[1 << 20];
	size_t n;

	assert_non_null(in);
	assert_non_null(out);
	n = fread(buf, 1, sizeof(buf), in);
	assert_true(n > 0 && n < sizeof(buf));
	if (len)
		memcpy(buf + off, bytes, len);
	else
		n = (size_t)off;
	assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	fclose(out);
	return fx(name);
}

static void expect_match_error(const char *path, const char *want)
{
	struct sym_list l;
	char err[512];

	assert_int_equal(symbols_match(path, "stage_*", &l, err, sizeof(err)), -ENOEXEC);
	if (!strstr(err, want))
		fail_msg("'%s' does not say '%s'", err, want);
	assert_null(strstr(err, "no error"));
}

/*
 * Broken ELF files say what is broken (issue 20): a 4-byte "\x7fELF" said
 * "is not a valid ELF file: no error", section headers past the end of the
 * file or full of garbage said the binary had no symbols.
 */
static void test_corrupt_elf_messages(void **state)
{
	Elf64_Ehdr eh;
	FILE *f = fopen(fx("prog_pie"), "rb");
	uint64_t far;
	unsigned char junk[64];
	const char *path;

	assert_non_null(f);
	assert_int_equal(fread(&eh, sizeof(eh), 1, f), 1);
	fclose(f);
	expect_match_error(corrupt_copy("elf4", 4, NULL, 0), "truncated (4 bytes");
	far = eh.e_shoff + (1 << 20);
	path = corrupt_copy("shoff_far", offsetof(Elf64_Ehdr, e_shoff), &far, sizeof(far));
	expect_match_error(path, "bad section headers: their table (offset");
	memset(junk, 0xff, sizeof(junk));
	/* The first header (SHT_NULL) is skipped: the second one. */
	path = corrupt_copy("sh_junk", (long)eh.e_shoff + eh.e_shentsize, junk, sizeof(junk));
	expect_match_error(path, "bad section header 1: its data is past the end of the file");
}

/* ---- symbol matching and offsets ---- */

static void test_pie(void **state)
{
	char cmd[PATH_MAX + 16];
	struct sym_list l;
	size_t i;

	match_ok(fx("prog_pie"), "stage_*", &l);
	assert_string_equal(l.table, ".symtab");
	assert_int_equal(l.n, 3);
	/* Sorted by name. */
	assert_string_equal(l.v[0].name, "stage_exec");
	assert_string_equal(l.v[1].name, "stage_parse");
	assert_string_equal(l.v[2].name, "stage_plan");
	for (i = 0; i < l.n; i++) {
		assert_string_equal(l.v[i].demangled, l.v[i].name);
		assert_true(l.v[i].size > 0);
		assert_int_equal(l.v[i].weak, 0);
	}
	sym_list_free(&l);

	snprintf(cmd, sizeof(cmd), "%s dump", fx("prog_pie"));
	assert_int_equal(check_runtime_bytes(fx("prog_pie"), "*", cmd), 8);
}

static void test_pie_shifted(void **state)
{
	char cmd[PATH_MAX + 16];
	struct sym_list l;

	/* Text linked at 0x300000: offset = addr - 0x300000. */
	match_ok(fx("prog_shifted"), "stage_parse", &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].addr - l.v[0].probe_offset, 0x300000 + l.v[0].skipped);
	sym_list_free(&l);
	snprintf(cmd, sizeof(cmd), "%s dump", fx("prog_shifted"));
	assert_int_equal(check_runtime_bytes(fx("prog_shifted"), "*", cmd), 8);
}

static void test_static(void **state)
{
	char cmd[PATH_MAX + 16];
	struct sym_list l;

	match_ok(fx("prog_static"), "stage_p*", &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].name, "stage_parse");
	assert_string_equal(l.v[1].name, "stage_plan");
	/* ET_EXEC: absolute addresses around 0x400000, small file offsets. */
	assert_true(l.v[0].addr >= 0x400000);
	assert_true(l.v[0].probe_offset < l.v[0].addr);
	sym_list_free(&l);
	snprintf(cmd, sizeof(cmd), "%s dump", fx("prog_static"));
	assert_int_equal(check_runtime_bytes(fx("prog_static"), "*", cmd), 8);

	/* libc is in there too. */
	match_ok(fx("prog_static"), "malloc", &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].name, "malloc");
	sym_list_free(&l);
}

static void test_shared_lib(void **state)
{
	char cmd[4 * PATH_MAX];
	struct sym_list l;

	match_ok(fx("libstage.so"), "lib_*", &l);
	assert_string_equal(l.table, ".symtab");
	/* The static function is in .symtab; the IFUNC is left out. */
	assert_int_equal(l.n, 4);
	assert_string_equal(l.v[0].name, "lib_calls_local");
	assert_string_equal(l.v[1].name, "lib_local");
	assert_string_equal(l.v[2].name, "lib_stage_a");
	assert_string_equal(l.v[3].name, "lib_stage_b");
	sym_list_free(&l);

	snprintf(cmd, sizeof(cmd), "%s %s lib_stage_a lib_stage_b lib_calls_local", fx("loader"),
		 fx("libstage.so"));
	assert_int_equal(check_runtime_bytes(fx("libstage.so"), "lib_*", cmd), 3);

	match_ok(fx("libshift.so"), "lib_stage_a", &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].addr - l.v[0].probe_offset, 0x200000 + l.v[0].skipped);
	sym_list_free(&l);
	snprintf(cmd, sizeof(cmd), "%s %s lib_stage_a lib_stage_b lib_calls_local", fx("loader"),
		 fx("libshift.so"));
	assert_int_equal(check_runtime_bytes(fx("libshift.so"), "lib_*", cmd), 3);
}

static void test_ifunc_skipped(void **state)
{
	struct sym_list l;

	match_ok(fx("libstage.so"), "my_ifunc", &l);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.n_ifunc, 1);
	sym_list_free(&l);
}

static void test_stripped(void **state)
{
	char cmd[4 * PATH_MAX];
	struct sym_list l;

	/* Shared library: .dynsym only, so the static function is gone. */
	match_ok(fx("libstripped.so"), "lib_*", &l);
	assert_string_equal(l.table, ".dynsym");
	assert_int_equal(l.n, 3);
	assert_null(find_sym(&l, "lib_local"));
	assert_non_null(find_sym(&l, "lib_stage_a"));
	sym_list_free(&l);
	snprintf(cmd, sizeof(cmd), "%s %s lib_stage_a lib_stage_b", fx("loader"),
		 fx("libstripped.so"));
	assert_int_equal(check_runtime_bytes(fx("libstripped.so"), "lib_stage_*", cmd), 2);

	/* -rdynamic executable. */
	match_ok(fx("prog_rdyn"), "stage_*", &l);
	assert_string_equal(l.table, ".dynsym");
	assert_int_equal(l.n, 3);
	sym_list_free(&l);
	snprintf(cmd, sizeof(cmd), "%s dump", fx("prog_rdyn"));
	assert_int_equal(check_runtime_bytes(fx("prog_rdyn"), "*", cmd), 8);
}

static void test_glob_many_and_none(void **state)
{
	struct sym_list l;
	size_t i;

	match_ok(fx("prog_pie"), "handler_*", &l);
	assert_int_equal(l.n, 12);
	for (i = 1; i < l.n; i++)
		assert_true(strcmp(l.v[i - 1].name, l.v[i].name) < 0);
	assert_string_equal(l.v[0].name, "handler_0");
	assert_string_equal(l.v[2].name, "handler_10");
	sym_list_free(&l);

	match_ok(fx("prog_pie"), "handler_1?", &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].name, "handler_10");
	assert_string_equal(l.v[1].name, "handler_11");
	sym_list_free(&l);

	match_ok(fx("prog_pie"), "handler_[3-5]", &l);
	assert_int_equal(l.n, 3);
	sym_list_free(&l);

	match_ok(fx("prog_pie"), "no_such_function_*", &l);
	assert_int_equal(l.n, 0);
	assert_null(l.v);
	assert_string_equal(l.table, ".symtab");
	sym_list_free(&l);
}

static void test_aliases_and_cold(void **state)
{
	struct sym_list l;

	/* alias_weak is a weak alias of alias_target: one site, global name. */
	match_ok(fx("prog_pie"), "alias_*", &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].name, "alias_target");
	assert_int_equal(l.v[0].weak, 0);
	sym_list_free(&l);
	match_ok(fx("prog_pie"), "alias_weak", &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].weak, 1);
	sym_list_free(&l);

	/* The fixture really has the .cold fragment (a local FUNC with a size);
	 * it is jumped to, never called, so it is no entry to probe. */
	assert_int_equal(run("nm %s | grep -q ' _ZN2ns7checkedEi.cold$'", fx("libcpp.so")), 0);
	match_ok(fx("libcpp.so"), "ns::checked*", &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].name, "_ZN2ns7checkedEi");
	sym_list_free(&l);
	match_ok(fx("libcpp.so"), "*.cold", &l);
	assert_int_equal(l.n, 0);
	sym_list_free(&l);
}

static void test_symbol_versions(void **state)
{
	struct sym_list l;
	uint64_t want;

	match_ok(fx("libvers.so"), "new_impl", &l);
	assert_int_equal(l.n, 1);
	want = l.v[0].probe_offset;
	sym_list_free(&l);

	/* .symtab spells versions in names: only the default one is kept,
	 * and it matches under its bare name. */
	match_ok(fx("libvers.so"), "vfn", &l);
	assert_string_equal(l.table, ".symtab");
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].name, "vfn@@VERS_2");
	assert_int_equal(l.v[0].probe_offset, want);
	sym_list_free(&l);

	/* .dynsym has "vfn" twice; .gnu.version hides the old one. */
	match_ok(fx("libvers_stripped.so"), "vfn", &l);
	assert_string_equal(l.table, ".dynsym");
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].name, "vfn");
	assert_int_equal(l.v[0].probe_offset, want);
	sym_list_free(&l);
}

static void test_cpp(void **state)
{
	char cmd[4 * PATH_MAX];
	struct sym_list l;

	match_ok(fx("libcpp.so"), "ns::Klass::*", &l);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0].name, "_ZN2ns5Klass3runEd");
	assert_string_equal(l.v[0].demangled, "ns::Klass::run(double)");
	assert_string_equal(l.v[1].name, "_ZN2ns5Klass3runEi");
	assert_string_equal(l.v[1].demangled, "ns::Klass::run(int)");
	assert_string_equal(l.v[2].name, "_ZNK2ns5Klass4stopEv");
	assert_string_equal(l.v[2].demangled, "ns::Klass::stop() const");
	sym_list_free(&l);

	/* Overloads by name without parameters; one by its full signature. */
	match_ok(fx("libcpp.so"), "ns::compute", &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].demangled, "ns::compute(double)");
	assert_string_equal(l.v[1].demangled, "ns::compute(int)");
	sym_list_free(&l);
	match_ok(fx("libcpp.so"), "ns::compute(int)", &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].name, "_ZN2ns7computeEi");
	sym_list_free(&l);
	match_ok(fx("libcpp.so"), "ns::Klass::run", &l);
	assert_int_equal(l.n, 2);
	sym_list_free(&l);

	/* Raw mangled names match too. */
	match_ok(fx("libcpp.so"), "_ZN2ns7compute*", &l);
	assert_int_equal(l.n, 2);
	sym_list_free(&l);

	/* Template instance: the return type is not part of the name. */
	match_ok(fx("libcpp.so"), "ns::twice*", &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].demangled, "int ns::twice<int>(int)");
	sym_list_free(&l);

	match_ok(fx("libcpp.so"), "plain_c_like", &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].demangled, "plain_c_like");
	sym_list_free(&l);

	snprintf(cmd, sizeof(cmd), "%s %s _ZN2ns5Klass3runEi _ZN2ns5Klass3runEd _ZN2ns7computeEi",
		 fx("loader"), fx("libcpp.so"));
	assert_int_equal(check_runtime_bytes(fx("libcpp.so"), "ns::*", cmd), 3);
}

static void test_demangle(void **state)
{
	static const struct {
		const char *in, *out;
	} base[] = {
		{"ns::Klass::run(int)", "ns::Klass::run"},
		{"ns::Klass::run(double) const", "ns::Klass::run"},
		{"void ns::f<int>(int)", "ns::f<int>"},
		{"unsigned long ns::g<unsigned long>(unsigned long)", "ns::g<unsigned long>"},
		{"ns::Klass::operator()(int)", "ns::Klass::operator()"},
		{"ns::Klass::operator<(ns::Klass const&) const", "ns::Klass::operator<"},
		{"bool ns::operator< <int>(std::vector<int, std::allocator<int> > const&, int)",
		 "ns::operator< <int>"},
		{"ns::Klass::operator bool() const", "ns::Klass::operator bool"},
		{"ns::Klass::operator new(unsigned long)", "ns::Klass::operator new"},
		{"ns::(anonymous namespace)::anon(int)", "ns::(anonymous namespace)::anon"},
		{"ns::callanon(int)::{lambda(int)#1}::operator()(int) const",
		 "ns::callanon(int)::{lambda(int)#1}::operator()"},
		{"foo(int) [clone .constprop.0]", "foo"},
		{"ns::h(void (*)(int), int) &&", "ns::h"},
		{"main", "main"},
	};
	char *s;
	size_t i;

	s = demangle("_ZN2ns5Klass3runEi");
	assert_non_null(s);
	assert_string_equal(s, "ns::Klass::run(int)");
	free(s);
	s = demangle("_ZN2ns3fooIiEEvT_");
	assert_non_null(s);
	assert_string_equal(s, "void ns::foo<int>(int)");
	free(s);
	assert_null(demangle("main"));
	assert_null(demangle("f"));
	assert_null(demangle("_Z_not_valid_!"));

	for (i = 0; i < sizeof(base) / sizeof(base[0]); i++) {
		s = demangle_base_name(base[i].in);
		assert_non_null(s);
		if (strcmp(s, base[i].out) != 0)
			fail_msg("base of '%s': '%s', want '%s'", base[i].in, s, base[i].out);
		free(s);
	}
}

/* ---- entry classification ---- */

static void test_entry_kind_bytes(void **state)
{
	static const struct {
		uint8_t b[10];
		size_t len;
		uint64_t vaddr;
		enum entry_kind kind;
	} t[] = {
		{{0x55}, 1, 0x1000, ENTRY_EMULATED},		       /* push %rbp */
		{{0x53, 0x48}, 2, 0x1000, ENTRY_EMULATED},	       /* push %rbx */
		{{0x41, 0x54}, 2, 0x1000, ENTRY_EMULATED},	       /* push %r12 */
		{{0x41, 0x57}, 2, 0x1000, ENTRY_EMULATED},	       /* push %r15 */
		{{0x48, 0x55}, 2, 0x1000, ENTRY_SINGLE_STEP},	       /* rex.w push */
		{{0x66, 0x55}, 2, 0x1000, ENTRY_SINGLE_STEP},	       /* pushw */
		{{0x90}, 1, 0x1000, ENTRY_EMULATED},		       /* nop */
		{{0xf3, 0x90}, 2, 0x1000, ENTRY_EMULATED},	       /* pause */
		{{0x66, 0x90}, 2, 0x1000, ENTRY_EMULATED},	       /* nop2 */
		{{0x0f, 0x1f, 0x40, 0x00}, 4, 0x1000, ENTRY_EMULATED}, /* nop4 */
		{{0x0f, 0x1f, 0x44, 0x00, 0x00}, 5, 0x1000, ENTRY_NOP5},
		{{0x0f, 0x1f, 0x44, 0x00, 0x00}, 5, 0x1ffb, ENTRY_NOP5},
		{{0x0f, 0x1f, 0x44, 0x00, 0x00}, 5, 0x1ffc, ENTRY_EMULATED}, /* crosses */
		{{0x0f, 0x1f, 0x44, 0x00}, 4, 0x1000, ENTRY_SINGLE_STEP},    /* truncated */
		{{0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00}, 6, 0x1000, ENTRY_EMULATED},
		{{0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00}, 8, 0x1000, ENTRY_EMULATED},
		{{0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
		 10,
		 0x1000,
		 ENTRY_SINGLE_STEP},				 /* cs nopw: not a kernel nop */
		{{0xe8, 1, 2, 3, 4}, 5, 0x1000, ENTRY_EMULATED}, /* call rel32 */
		{{0xe9, 1, 2, 3, 4}, 5, 0x1000, ENTRY_EMULATED}, /* jmp rel32 */
		{{0xe8, 1, 2}, 3, 0x1000, ENTRY_SINGLE_STEP},	 /* truncated */
		{{0xeb, 0x05}, 2, 0x1000, ENTRY_EMULATED},	 /* jmp rel8 */
		{{0x74, 0x05}, 2, 0x1000, ENTRY_EMULATED},	 /* je rel8 */
		{{0x0f, 0x84, 1, 2, 3, 4}, 6, 0x1000, ENTRY_EMULATED},	  /* je rel32 */
		{{0x66, 0xe8, 1, 2}, 4, 0x1000, ENTRY_SINGLE_STEP},	  /* callw */
		{{0x48, 0x89, 0xe5}, 3, 0x1000, ENTRY_SINGLE_STEP},	  /* mov %rsp,%rbp */
		{{0x48, 0x83, 0xec, 0x08}, 4, 0x1000, ENTRY_SINGLE_STEP}, /* sub $8,%rsp */
		{{0xf3, 0x0f, 0x1e, 0xfa}, 4, 0x1000, ENTRY_SINGLE_STEP}, /* endbr64 */
		{{0x31, 0xc0}, 2, 0x1000, ENTRY_SINGLE_STEP},		  /* xor %eax,%eax */
		{{0xc3}, 1, 0x1000, ENTRY_SINGLE_STEP},			  /* ret */
		{{0}, 0, 0x1000, ENTRY_SINGLE_STEP},			  /* nothing */
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum entry_kind k = insn_entry_kind(t[i].b, t[i].len, t[i].vaddr);

		if (k != t[i].kind)
			fail_msg("case %zu (%02x %02x): %s, want %s", i, t[i].b[0], t[i].b[1],
				 entry_kind_name(k), entry_kind_name(t[i].kind));
	}
	assert_string_equal(entry_kind_name(ENTRY_EMULATED), "emulated");
	assert_string_equal(entry_kind_name(ENTRY_NOP5), "nop5");
	assert_string_equal(entry_kind_name(ENTRY_SINGLE_STEP), "single-step");
}

static void test_entry_probe_site_bytes(void **state)
{
	static const uint8_t cet_push[] = {0xf3, 0x0f, 0x1e, 0xfa, 0x55, 0x48, 0x89, 0xe5};
	static const uint8_t cet_nop5[] = {0xf3, 0x0f, 0x1e, 0xfa, 0x0f, 0x1f, 0x44, 0x00, 0x00};
	static const uint8_t cet_sub[] = {0xf3, 0x0f, 0x1e, 0xfa, 0x48, 0x83, 0xec, 0x08};
	static const uint8_t push[] = {0x55, 0x48, 0x89, 0xe5};
	enum entry_kind k;

	assert_int_equal(entry_probe_site(cet_push, sizeof(cet_push), 0x1000, false, &k), 4);
	assert_int_equal(k, ENTRY_EMULATED);
	assert_int_equal(entry_probe_site(cet_nop5, sizeof(cet_nop5), 0x1000, false, &k), 4);
	assert_int_equal(k, ENTRY_NOP5);
	/* The nop5 after the endbr64 at 0x1ff8 spans 0x1ffc..0x2000: crosses. */
	assert_int_equal(entry_probe_site(cet_nop5, sizeof(cet_nop5), 0x1ff8, false, &k), 4);
	assert_int_equal(k, ENTRY_EMULATED);
	assert_int_equal(entry_probe_site(cet_sub, sizeof(cet_sub), 0x1000, false, &k), 0);
	assert_int_equal(k, ENTRY_SINGLE_STEP);
	/* A 4-byte function that is only an endbr64: nothing after it. */
	assert_int_equal(entry_probe_site(cet_sub, 4, 0x1000, false, &k), 0);
	assert_int_equal(k, ENTRY_SINGLE_STEP);
	assert_int_equal(entry_probe_site(push, sizeof(push), 0x1000, false, &k), 0);
	assert_int_equal(k, ENTRY_EMULATED);
}

/* Real compiler output and hand-written entries, classified from the file. */
static void test_entry_kinds_compiled(void **state)
{
	static const struct {
		const char *name;
		enum entry_kind kind;
		uint32_t skipped;
		uint8_t first; /* byte at probe_offset */
	} t[] = {
		{"push_fn", ENTRY_EMULATED, 0, 0x55},
		{"cet_push_fn", ENTRY_EMULATED, 4, 0x55},
		{"cet_leaf_fn", ENTRY_SINGLE_STEP, 0, 0xf3},
		{"nop5_fn", ENTRY_NOP5, 0, 0x0f},
		{"mov_fn", ENTRY_SINGLE_STEP, 0, 0x48},
		{"sub_fn", ENTRY_SINGLE_STEP, 0, 0x48},
		{"jmp_fn", ENTRY_EMULATED, 0, 0xeb},
		{"push_r12_fn", ENTRY_EMULATED, 0, 0x41},
		{"cet_nop5_fn", ENTRY_NOP5, 4, 0x0f},
		{"cet_mov_fn", ENTRY_SINGLE_STEP, 0, 0xf3},
		{"nop5_cross_fn", ENTRY_EMULATED, 0, 0x0f},
		/* mov; test; je: probed on the je */
		{"shift_fn", ENTRY_EMULATED, 6, 0x74},
		/* its loop jumps back to the add, before the jne: at the entry */
		{"loop_fn", ENTRY_SINGLE_STEP, 0, 0x48},
		{"outer_fn", ENTRY_SINGLE_STEP, 0, 0x48},
		{"inner_fn", ENTRY_EMULATED, 0, 0x53},
		{"partjump_fn", ENTRY_SINGLE_STEP, 0, 0x48},
	};
	static const uint8_t endbr64[] = {0xf3, 0x0f, 0x1e, 0xfa};
	struct sym_list l;
	size_t i;

	match_ok(fx("kinds"), "*_fn", &l);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const struct sym_match *m = find_sym(&l, t[i].name);
		uint8_t b[16];
		size_t n;

		if (!m)
			fail_msg("%s not found", t[i].name);
		if (m->kind != t[i].kind || m->skipped != t[i].skipped)
			fail_msg("%s: %s skip %u, want %s skip %u", t[i].name,
				 entry_kind_name(m->kind), m->skipped, entry_kind_name(t[i].kind),
				 t[i].skipped);
		n = file_bytes(fx("kinds"), m, b, sizeof(b));
		assert_true(n > m->skipped);
		assert_int_equal(b[m->skipped], t[i].first);
		if (m->skipped && !strncmp(t[i].name, "cet_", 4))
			assert_memory_equal(b, endbr64, sizeof(endbr64));
	}
	/* The fixture put it where intended: 3 bytes before a page end. */
	assert_int_equal(find_sym(&l, "nop5_cross_fn")->addr & 0xfff, 0xffd);
	sym_list_free(&l);
	assert_int_equal(check_runtime_bytes(fx("kinds"), "*_fn", fx("kinds")), 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_resolve_library_self),
		cmocka_unit_test(test_find_library_fake_maps),
		cmocka_unit_test(test_resolve_paths),
		cmocka_unit_test(test_resolve_errors),
		cmocka_unit_test(test_match_errors),
		cmocka_unit_test(test_corrupt_elf_messages),
		cmocka_unit_test(test_pie),
		cmocka_unit_test(test_pie_shifted),
		cmocka_unit_test(test_static),
		cmocka_unit_test(test_shared_lib),
		cmocka_unit_test(test_ifunc_skipped),
		cmocka_unit_test(test_stripped),
		cmocka_unit_test(test_glob_many_and_none),
		cmocka_unit_test(test_aliases_and_cold),
		cmocka_unit_test(test_symbol_versions),
		cmocka_unit_test(test_cpp),
		cmocka_unit_test(test_demangle),
		cmocka_unit_test(test_entry_kind_bytes),
		cmocka_unit_test(test_entry_probe_site_bytes),
		cmocka_unit_test(test_entry_kinds_compiled),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
