// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * uprobe_link against the real kernel: needs root and BPF. Without them
 * the tests skip, unless CI=true, where they fail.
 *
 * Setup builds two things in a temporary directory: the BPF object from
 * tests/bpf/uprobe_link_test.bpf.c (found under $BPFPROF_SRC, default
 * ".": run from the repository root) and a fixture program with 1000
 * functions f0..f999. A fixture run calls f<i> exactly calls(k, i) times,
 * so every probe, told its function by its attach cookie, must count
 * exactly that. Timings are printed, never asserted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "probes/uprobe_link.h"

#define NFUNCS 1000
#define NPERF 20
#define RET_BASE 2048		 /* return-probe cookies: RET_BASE + i */
#define MAX_COOKIES 4096	 /* as in the BPF object */
#define SKIP_RETURN (1ULL << 20) /* as in the BPF object */

struct sess_stat {
	uint64_t entries;
	uint64_t returns;
	uint64_t dur_ns;
	uint64_t bad_dur;
};

static struct {
	bool ready;
	char why[1024]; /* why not ready */
	char dir[64];
	char fixture[128];
	uint64_t offsets[NFUNCS];
	struct bpf_object *obj;
	struct bpf_program *multi, *perf, *session;
	int hits_fd, sess_fd;
} g = {.hits_fd = -1, .sess_fd = -1};

static bool in_ci(void)
{
	const char *ci = getenv("CI");

	return ci && !strcmp(ci, "true");
}

/* CI must run everything: there "cannot run" is a failure. */
#define cannot_run(...)                                                                            \
	do {                                                                                       \
		if (in_ci())                                                                       \
			fail_msg(__VA_ARGS__);                                                     \
		print_message(__VA_ARGS__);                                                        \
		print_message("\n");                                                               \
		skip();                                                                            \
	} while (0)

static void require_ready(void)
{
	if (!g.ready)
		cannot_run("cannot run: %s", g.why);
}

static void require_kind(enum uprobe_link_kind kind)
{
	require_ready();
	if (!uprobe_link_kernel_supports(kind))
		cannot_run("kernel lacks %s uprobe links", uprobe_link_kind_name(kind));
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* How often a fixture run with argument k calls f<i>. */
static uint64_t calls(long k, int i)
{
	return k + i % 3;
}

static int run_cmd(char *const argv[])
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

/*
 * Distinct bodies so no function is folded into another; the fixture
 * says "r" on stdout once running, then waits for a byte on stdin so the
 * test can attach first.
 */
static int write_fixture_src(const char *path)
{
	FILE *f;
	int i, err = 0;

	f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "#include <pthread.h>\n#include <stdlib.h>\n#include <string.h>\n"
		   "#include <unistd.h>\nvolatile long sink;\n");
	for (i = 0; i < NFUNCS; i++)
		fprintf(f,
			"__attribute__((noinline)) int f%d(int x)\n"
			"{\n\tasm volatile(\"\" : \"+r\"(x));\n\treturn x + %d;\n}\n",
			i, i);
	fprintf(f, "static int (*const fns[%d])(int) = {\n", NFUNCS);
	for (i = 0; i < NFUNCS; i++)
		fprintf(f, "\tf%d,\n", i);
	fprintf(f,
		"};\n"
		"static void *run(void *arg)\n{\n\tlong k = (long)arg;\n"
		"\tfor (int i = 0; i < %d; i++)\n"
		"\t\tfor (long r = 0; r < k + i %% 3; r++)\n"
		"\t\t\tsink += fns[i]((int)r);\n\treturn NULL;\n}\n"
		"int main(int argc, char **argv)\n{\n\tpthread_t t;\n\tchar c;\n"
		"\tif (argc < 3 || write(1, \"r\", 1) != 1 || read(0, &c, 1) != 1)\n"
		"\t\treturn 2;\n"
		"\tif (strcmp(argv[2], \"thread\"))\n"
		"\t\treturn run((void *)atol(argv[1])) != NULL;\n"
		"\tif (pthread_create(&t, NULL, run, (void *)atol(argv[1])))\n\t\treturn 3;\n"
		"\treturn pthread_join(t, NULL) != 0;\n}\n",
		NFUNCS);
	if (ferror(f))
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

/* File offset of virtual address vaddr: the executable PT_LOAD holding it. */
static int vaddr_to_offset(Elf *elf, uint64_t vaddr, uint64_t *off)
{
	size_t i, n;
	GElf_Phdr ph;

	if (elf_getphdrnum(elf, &n))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_filesz) {
			*off = vaddr - ph.p_vaddr + ph.p_offset;
			return 0;
		}
	}
	return -ENOENT;
}

/* offsets[i] = file offset of f<i>, from the fixture's .symtab. */
static int resolve_offsets(const char *path, uint64_t *offsets)
{
	Elf_Scn *scn = NULL;
	Elf *elf = NULL;
	int fd, found = 0, err = -ENOENT;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf)
		goto cleanup;
	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		GElf_Shdr sh;
		size_t i;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		for (i = 0; data && i < sh.sh_size / sh.sh_entsize; i++) {
			const char *name;
			char *end;
			GElf_Sym sym;
			long idx;

			if (!gelf_getsym(data, i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (!name || name[0] != 'f' || name[1] < '0' || name[1] > '9')
				continue;
			idx = strtol(name + 1, &end, 10);
			if (*end || idx >= NFUNCS)
				continue;
			err = vaddr_to_offset(elf, sym.st_value, &offsets[idx]);
			if (err)
				goto cleanup;
			found++;
		}
	}
	err = found == NFUNCS ? 0 : -ENOENT;
cleanup:
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

static int build(void)
{
	const char *src = getenv("BPFPROF_SRC");
	char bpf_src[512], inc[512], obj[128], csrc[128];
	char *clang[] = {"clang", "-g", "-O2",	 "-target", "bpf", "-D__TARGET_ARCH_x86",
			 inc,	  "-c", bpf_src, "-o",	    obj,   NULL};
	char *cc[] = {"cc",	  "-O1", "-g", "-fno-inline", "-fno-ipa-icf",
		      "-pthread", csrc,	 "-o", g.fixture,     NULL};
	int err;

	if (!src || !*src)
		src = ".";
	snprintf(bpf_src, sizeof(bpf_src), "%s/tests/bpf/uprobe_link_test.bpf.c", src);
	snprintf(inc, sizeof(inc), "-I%s/vmlinux", src);
	snprintf(obj, sizeof(obj), "%s/uprobe_link_test.bpf.o", g.dir);
	snprintf(csrc, sizeof(csrc), "%s/fixture.c", g.dir);
	snprintf(g.fixture, sizeof(g.fixture), "%s/fixture", g.dir);
	if (run_cmd(clang)) {
		snprintf(g.why, sizeof(g.why), "clang failed on %s (set BPFPROF_SRC?)", bpf_src);
		return -1;
	}
	err = write_fixture_src(csrc);
	if (err || run_cmd(cc)) {
		snprintf(g.why, sizeof(g.why), "cannot build the fixture %s", g.fixture);
		return -1;
	}
	err = resolve_offsets(g.fixture, g.offsets);
	if (err) {
		snprintf(g.why, sizeof(g.why), "no f0..f%d in %s: %s", NFUNCS - 1, g.fixture,
			 strerror(-err));
		return -1;
	}
	g.obj = bpf_object__open_file(obj, NULL);
	if (!g.obj) {
		snprintf(g.why, sizeof(g.why), "cannot open %s: %s", obj, strerror(errno));
		return -1;
	}
	return 0;
}

static int load(void)
{
	int err;

	g.multi = bpf_object__find_program_by_name(g.obj, "count_multi");
	g.perf = bpf_object__find_program_by_name(g.obj, "count_perf");
	g.session = bpf_object__find_program_by_name(g.obj, "session_time");
	if (!g.multi || !g.perf || !g.session) {
		snprintf(g.why, sizeof(g.why), "programs missing from the BPF object");
		return -1;
	}
	err = uprobe_link_prepare_prog(g.multi, UPROBE_LINK_MULTI);
	err = err ?: uprobe_link_prepare_prog(g.perf, UPROBE_LINK_PERF);
	err = err ?: uprobe_link_prepare_prog(g.session, UPROBE_LINK_SESSION);
	if (err) {
		snprintf(g.why, sizeof(g.why), "uprobe_link_prepare_prog: %s", strerror(-err));
		return -1;
	}
	/* Its kfuncs would fail the whole load on a kernel without sessions. */
	if (!uprobe_link_kernel_supports(UPROBE_LINK_SESSION))
		bpf_program__set_autoload(g.session, false);
	err = bpf_object__load(g.obj);
	if (err) {
		snprintf(g.why, sizeof(g.why), "bpf_object__load: %s", strerror(-err));
		return -1;
	}
	g.hits_fd = bpf_object__find_map_fd_by_name(g.obj, "hits");
	g.sess_fd = bpf_object__find_map_fd_by_name(g.obj, "sess");
	if (g.hits_fd < 0 || g.sess_fd < 0) {
		snprintf(g.why, sizeof(g.why), "maps missing from the BPF object");
		return -1;
	}
	return 0;
}

static int group_setup(void **state)
{
	if (geteuid() != 0) {
		snprintf(g.why, sizeof(g.why), "not root");
		return 0;
	}
	strcpy(g.dir, "/tmp/uprobe_link_test.XXXXXX");
	if (!mkdtemp(g.dir)) {
		snprintf(g.why, sizeof(g.why), "mkdtemp: %s", strerror(errno));
		g.dir[0] = '\0';
		return 0;
	}
	if (build() || load())
		return 0;
	g.ready = true;
	return 0;
}

static int group_teardown(void **state)
{
	char *rm[] = {"rm", "-rf", g.dir, NULL};

	bpf_object__close(g.obj);
	if (g.dir[0])
		run_cmd(rm);
	return 0;
}

struct fixture_run {
	pid_t pid;
	int go; /* the child's stdin: one byte starts the calls */
};

/* Start a fixture and wait until it is running main(). */
static void fixture_start(struct fixture_run *run, long k, bool threaded)
{
	int in[2], out[2];
	char karg[24], c;

	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	snprintf(karg, sizeof(karg), "%ld", k);
	run->pid = fork();
	assert_true(run->pid >= 0);
	if (run->pid == 0) {
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
			_exit(126);
		execl(g.fixture, g.fixture, karg, threaded ? "thread" : "main", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	assert_int_equal(read(out[0], &c, 1), 1);
	close(out[0]);
	run->go = in[1];
}

/* Let it make its calls, and wait for it to exit. */
static void fixture_finish(struct fixture_run *run)
{
	int status;

	assert_int_equal(write(run->go, "g", 1), 1);
	close(run->go);
	assert_int_equal(waitpid(run->pid, &status, 0), run->pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void fixture_run_once(long k, bool threaded)
{
	struct fixture_run run;

	fixture_start(&run, k, threaded);
	fixture_finish(&run);
}

static void reset_maps(void)
{
	struct sess_stat zs = {0};
	uint64_t z = 0;
	uint32_t key;

	for (key = 0; key < MAX_COOKIES; key++) {
		assert_int_equal(bpf_map_update_elem(g.hits_fd, &key, &z, BPF_ANY), 0);
		assert_int_equal(bpf_map_update_elem(g.sess_fd, &key, &zs, BPF_ANY), 0);
	}
}

static void read_hits(uint64_t *hits)
{
	uint32_t key;

	for (key = 0; key < MAX_COOKIES; key++)
		assert_int_equal(bpf_map_lookup_elem(g.hits_fd, &key, &hits[key]), 0);
}

/* want[base + i] += mult * calls(k, i) for i < n. */
static void want_calls(uint64_t *want, int base, int n, long k, uint64_t mult)
{
	int i;

	for (i = 0; i < n; i++)
		want[base + i] += mult * calls(k, i);
}

static void expect_hits(const uint64_t *hits, const uint64_t *want)
{
	int i;

	for (i = 0; i < MAX_COOKIES; i++)
		if (hits[i] != want[i])
			fail_msg("cookie %d: %llu hits, want %llu", i, (unsigned long long)hits[i],
				 (unsigned long long)want[i]);
}

static void make_cookies(uint64_t *cookies, int n, uint64_t base)
{
	int i;

	for (i = 0; i < n; i++)
		cookies[i] = base + i;
}

static void test_kernel_supports(void **state)
{
	require_ready();
	print_message("kernel supports: session %d, multi %d, perf %d\n",
		      uprobe_link_kernel_supports(UPROBE_LINK_SESSION),
		      uprobe_link_kernel_supports(UPROBE_LINK_MULTI),
		      uprobe_link_kernel_supports(UPROBE_LINK_PERF));
	require_kind(UPROBE_LINK_PERF);
	require_kind(UPROBE_LINK_MULTI);
	require_kind(UPROBE_LINK_SESSION);
	/* Cached: the same answer again. */
	assert_true(uprobe_link_kernel_supports(UPROBE_LINK_MULTI));
	assert_false(uprobe_link_kernel_supports((enum uprobe_link_kind)7));
}

/* 1000 entry and 1000 return probes, each one link: exact counts. */
static void test_multi_entry_return(void **state)
{
	static uint64_t hits[MAX_COOKIES], after[MAX_COOKIES], want[MAX_COOKIES];
	uint64_t ent_cookies[NFUNCS], ret_cookies[NFUNCS];
	int prog_fd, ent, ret;
	double t0, t1, t2, t3, t4;
	const long k = 2;

	require_kind(UPROBE_LINK_MULTI);
	prog_fd = bpf_program__fd(g.multi);
	make_cookies(ent_cookies, NFUNCS, 0);
	make_cookies(ret_cookies, NFUNCS, RET_BASE);
	reset_maps();

	t0 = now_ms();
	ent = uprobe_link_create_multi(prog_fd, UPROBE_LINK_MULTI, false, g.fixture, g.offsets,
				       ent_cookies, NFUNCS, 0);
	t1 = now_ms();
	ret = uprobe_link_create_multi(prog_fd, UPROBE_LINK_MULTI, true, g.fixture, g.offsets,
				       ret_cookies, NFUNCS, 0);
	t2 = now_ms();
	assert_true(ent >= 0);
	assert_true(ret >= 0);

	fixture_run_once(k, false);
	read_hits(hits);
	want_calls(want, 0, NFUNCS, k, 1);
	want_calls(want, RET_BASE, NFUNCS, k, 1);
	expect_hits(hits, want);

	t3 = now_ms();
	close(ent);
	t4 = now_ms();
	close(ret);
	print_message("multi, %d functions: attach entry %.1f ms, return %.1f ms; "
		      "detach entry %.1f ms, return %.1f ms\n",
		      NFUNCS, t1 - t0, t2 - t1, t4 - t3, now_ms() - t4);

	/* Detached: another run adds nothing. */
	fixture_run_once(k, false);
	read_hits(after);
	assert_memory_equal(hits, after, sizeof(hits));
}

static void test_multi_null_cookies(void **state)
{
	static uint64_t hits[MAX_COOKIES], want[MAX_COOKIES];
	const long k = 1;
	int fd, i;

	require_kind(UPROBE_LINK_MULTI);
	reset_maps();
	fd = uprobe_link_create_multi(bpf_program__fd(g.multi), UPROBE_LINK_MULTI, false, g.fixture,
				      g.offsets, NULL, NFUNCS, 0);
	assert_true(fd >= 0);
	fixture_run_once(k, false);
	close(fd);
	read_hits(hits);
	for (i = 0; i < NFUNCS; i++)
		want[0] += calls(k, i);
	expect_hits(hits, want);
}

/*
 * pid set: a second process running the same binary is not counted, a
 * thread of the traced process is; pid 0: both processes are.
 */
static void test_multi_pid_filter(void **state)
{
	static uint64_t hits[MAX_COOKIES], one[MAX_COOKIES], two[MAX_COOKIES];
	struct fixture_run a, b;
	uint64_t cookies[NFUNCS];
	int prog_fd, fd;
	const long k = 1;

	require_kind(UPROBE_LINK_MULTI);
	prog_fd = bpf_program__fd(g.multi);
	make_cookies(cookies, NFUNCS, 0);
	want_calls(one, 0, NFUNCS, k, 1);
	want_calls(two, 0, NFUNCS, k, 2);

	reset_maps();
	fixture_start(&a, k, false);
	fixture_start(&b, k, false);
	fd = uprobe_link_create_multi(prog_fd, UPROBE_LINK_MULTI, false, g.fixture, g.offsets,
				      cookies, NFUNCS, a.pid);
	assert_true(fd >= 0);
	fixture_finish(&a);
	fixture_finish(&b);
	close(fd);
	read_hits(hits);
	expect_hits(hits, one);

	reset_maps();
	fixture_start(&a, k, true);
	fd = uprobe_link_create_multi(prog_fd, UPROBE_LINK_MULTI, false, g.fixture, g.offsets,
				      cookies, NFUNCS, a.pid);
	assert_true(fd >= 0);
	fixture_finish(&a);
	close(fd);
	read_hits(hits);
	expect_hits(hits, one);

	reset_maps();
	fixture_start(&a, k, false);
	fixture_start(&b, k, true);
	fd = uprobe_link_create_multi(prog_fd, UPROBE_LINK_MULTI, false, g.fixture, g.offsets,
				      cookies, NFUNCS, 0);
	assert_true(fd >= 0);
	fixture_finish(&a);
	fixture_finish(&b);
	close(fd);
	read_hits(hits);
	expect_hits(hits, two);
}

/*
 * One session link on 1000 functions: entries and returns counted apart,
 * entry-to-return times positive. Odd functions' entries return 1, which
 * must suppress their return run.
 */
static void test_session(void **state)
{
	static struct sess_stat st[NFUNCS];
	uint64_t cookies[NFUNCS], dur = 0, rets = 0;
	struct uprobe_link link;
	double t0, t1, t2;
	const long k = 2;
	uint32_t key;
	int i;

	require_kind(UPROBE_LINK_SESSION);
	for (i = 0; i < NFUNCS; i++)
		cookies[i] = i % 2 ? i | SKIP_RETURN : (uint64_t)i;
	reset_maps();

	t0 = now_ms();
	assert_int_equal(uprobe_link_attach(&link, g.session, UPROBE_LINK_SESSION, false, g.fixture,
					    g.offsets, cookies, NFUNCS, 0),
			 0);
	t1 = now_ms();
	assert_true(link.fd >= 0);
	fixture_run_once(k, false);
	t2 = now_ms();
	uprobe_link_destroy(&link);
	print_message("session, %d functions: attach %.1f ms, detach %.1f ms\n", NFUNCS, t1 - t0,
		      now_ms() - t2);
	fixture_run_once(k, false); /* detached: must not count */

	for (key = 0; key < NFUNCS; key++)
		assert_int_equal(bpf_map_lookup_elem(g.sess_fd, &key, &st[key]), 0);
	for (i = 0; i < NFUNCS; i++) {
		uint64_t want_ret = i % 2 ? 0 : calls(k, i);

		if (st[i].entries != calls(k, i) || st[i].returns != want_ret)
			fail_msg("f%d: %llu entries, %llu returns; want %llu, %llu", i,
				 (unsigned long long)st[i].entries,
				 (unsigned long long)st[i].returns, (unsigned long long)calls(k, i),
				 (unsigned long long)want_ret);
		assert_int_equal(st[i].bad_dur, 0);
		if (want_ret)
			assert_true(st[i].dur_ns > 0);
		else
			assert_int_equal(st[i].dur_ns, 0);
		dur += st[i].dur_ns;
		rets += st[i].returns;
	}
	print_message("session: %llu returns, mean entry-to-return %.0f ns\n",
		      (unsigned long long)rets, (double)dur / rets);
}

/* The fallback: 20 classic uprobes, exact counts, pid filter included. */
static void test_perf(void **state)
{
	static uint64_t hits[MAX_COOKIES], want[MAX_COOKIES];
	struct uprobe_link link;
	struct fixture_run a, b;
	uint64_t cookies[NPERF];
	double t0, t1, t2, t3;
	const long k = 3;

	require_kind(UPROBE_LINK_PERF);
	make_cookies(cookies, NPERF, 0);
	want_calls(want, 0, NPERF, k, 1);

	reset_maps();
	t0 = now_ms();
	assert_int_equal(uprobe_link_attach(&link, g.perf, UPROBE_LINK_PERF, false, g.fixture,
					    g.offsets, cookies, NPERF, 0),
			 0);
	t1 = now_ms();
	assert_int_equal(link.nr_perf, NPERF);
	assert_int_equal(link.fd, -1);
	fixture_run_once(k, false);
	t2 = now_ms();
	uprobe_link_destroy(&link);
	t3 = now_ms();
	print_message("perf, %d links: attach %.1f ms, detach %.1f ms (%.1f ms a link)\n", NPERF,
		      t1 - t0, t3 - t2, (t3 - t2) / NPERF);
	read_hits(hits);
	expect_hits(hits, want);

	/* Return probes, pid set, target calling from a second thread. */
	reset_maps();
	fixture_start(&a, k, true);
	fixture_start(&b, k, false);
	assert_int_equal(uprobe_link_attach(&link, g.perf, UPROBE_LINK_PERF, true, g.fixture,
					    g.offsets, cookies, NPERF, a.pid),
			 0);
	fixture_finish(&a);
	fixture_finish(&b);
	uprobe_link_destroy(&link);
	read_hits(hits);
	expect_hits(hits, want);
}

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

static void test_bad_args(void **state)
{
	libbpf_print_fn_t old_print;
	struct uprobe_link link = UPROBE_LINK_INIT;
	uint64_t off = g.offsets[0];
	int multi_fd, perf_fd, err;

	require_ready();
	multi_fd = bpf_program__fd(g.multi);
	perf_fd = bpf_program__fd(g.perf);

	assert_int_equal(uprobe_link_create_multi(multi_fd, UPROBE_LINK_MULTI, false, g.fixture,
						  &off, NULL, 0, 0),
			 -EINVAL);
	assert_int_equal(uprobe_link_create_multi(multi_fd, UPROBE_LINK_PERF, false, g.fixture,
						  &off, NULL, 1, 0),
			 -EINVAL);
	assert_int_equal(uprobe_link_create_multi(multi_fd, UPROBE_LINK_MULTI, false, g.fixture,
						  &off, NULL, 1, -1),
			 -EINVAL);
	assert_int_equal(uprobe_link_create_multi(multi_fd, UPROBE_LINK_MULTI, false,
						  "/nonexistent/binary", &off, NULL, 1, 0),
			 -ENOENT);
	/* The kernel checks the program's expected attach type against the link's. */
	assert_int_equal(uprobe_link_create_multi(perf_fd, UPROBE_LINK_MULTI, false, g.fixture,
						  &off, NULL, 1, 0),
			 -EINVAL);
	if (uprobe_link_kernel_supports(UPROBE_LINK_SESSION))
		assert_int_equal(uprobe_link_create_multi(multi_fd, UPROBE_LINK_SESSION, false,
							  g.fixture, &off, NULL, 1, 0),
				 -EINVAL);
	/* Too late once loaded. */
	assert_int_equal(uprobe_link_prepare_prog(g.multi, UPROBE_LINK_MULTI), -EBUSY);

	/* A failed attach leaves nothing behind (libbpf would warn of it). */
	old_print = libbpf_set_print(quiet_print);
	err = uprobe_link_attach(&link, g.perf, UPROBE_LINK_PERF, false, "/nonexistent/binary",
				 &off, NULL, 1, 0);
	libbpf_set_print(old_print);
	assert_int_equal(err, -ENOENT);
	assert_int_equal(link.fd, -1);
	assert_int_equal(link.nr_perf, 0);
	assert_null(link.perf);
	uprobe_link_destroy(&link);
	uprobe_link_destroy(&link);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_supports),
		cmocka_unit_test(test_multi_entry_return),
		cmocka_unit_test(test_multi_null_cookies),
		cmocka_unit_test(test_multi_pid_filter),
		cmocka_unit_test(test_session),
		cmocka_unit_test(test_perf),
		cmocka_unit_test(test_bad_args),
	};

	return cmocka_run_group_tests_name("uprobe_link", tests, group_setup, group_teardown);
}
