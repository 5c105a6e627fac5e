// SPDX-License-Identifier: MIT
/*
 * Integration: stages in a stripped binary, with symbols from its separate
 * debug file: in a build-id tree, by .gnu_debuglink, and from a real
 * debuginfod server started here on loopback. A debug file of another
 * build, a server that is down and one that never answers are each one
 * line, exit 1, nothing written.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib/helper.h"
#include "targets/target_common.h"

struct fixture {
	char dir[64];
	char prog[128];	    /* stripped stage_target_pie */
	char debug[128];    /* its objcopy --only-keep-debug */
	char build_id[64];
};

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

/* stage_target_pie split into a stripped binary (no debuglink) and its
 * debug file. */
static void make_fixture(struct fixture *f)
{
	char target[256], line[256];
	FILE *p;

	helper_tmpdir(f->dir, sizeof(f->dir));
	helper_path(target, sizeof(target), "targets/stage_target_pie");
	snprintf(f->prog, sizeof(f->prog), "%s/prog", f->dir);
	snprintf(f->debug, sizeof(f->debug), "%s/prog.debug", f->dir);
	sh("objcopy --only-keep-debug %s %s && objcopy --strip-all %s %s", target, f->debug,
	   target, f->prog);
	snprintf(line, sizeof(line), "readelf -n %s | awk '/Build ID/ {print $3}'", f->prog);
	p = popen(line, "r");
	assert_non_null(p);
	assert_non_null(fgets(f->build_id, sizeof(f->build_id), p));
	pclose(p);
	f->build_id[strcspn(f->build_id, "\n")] = '\0';
	assert_int_equal(strlen(f->build_id), 40);
}

/* `bpfprof --list 'stage_o*' -- prog`: its exit code, stdout+stderr in out. */
static int list(const struct fixture *f, char *out, size_t len)
{
	char bin[256], cmd[700], line[1024];
	FILE *p;

	helper_path(bin, sizeof(bin), "bpfprof");
	snprintf(cmd, sizeof(cmd), "%s --list 'stage_o*' -- %s 2>&1", bin, f->prog);
	p = popen(cmd, "r");
	assert_non_null(p);
	out[0] = '\0';
	while (fgets(line, sizeof(line), p))
		strncat(out, line, len - strlen(out) - 1);
	return WEXITSTATUS(pclose(p));
}

/* Profile the stripped program: exact calls of the functions only its
 * debug file names. */
static void profile_stripped(const struct fixture *f, const char *expect_info)
{
	char out[128], result[128], bin[256];
	struct proc_run r;
	json_t *s, *proc;

	snprintf(out, sizeof(out), "%s/out", f->dir);
	snprintf(result, sizeof(result), "%s/result", f->dir);
	helper_path(bin, sizeof(bin), "bpfprof");
	char *argv[] = { bin, "-i", "0.05", "-o", out, "-u", "stage_*", "--", (char *)f->prog,
			 result, NULL };

	assert_int_equal(helper_run(argv, 60, &r), 0);
	if (!strstr(r.err, expect_info))
		fail_msg("bpfprof did not say '%s': %s", expect_info, r.err);
	s = helper_load_json_in(out, "summary.json");
	proc = helper_find_proc(s, (pid_t)helper_int(s, "target.pid"));
	assert_non_null(proc);
	assert_int_equal(helper_stage_calls(proc, "stage_outer"), STAGE_OUTER_CALLS);
	assert_int_equal(helper_stage_calls(proc, "stage_inner"), 2 * STAGE_OUTER_CALLS);
	assert_int_equal(helper_stage_calls(proc, "stage_writer"), STAGE_WRITER_CALLS);
	assert_int_equal(helper_int(helper_find_stage(proc, "stage_writer"), "io.bytes_written"),
			 STAGE_WRITER_CALLS * STAGE_WRITER_WRITES * STAGE_WRITER_WRITE_SIZE);
	json_decref(s);
}

/* A run that must fail before anything starts: one line naming @what. */
static void expect_refused(const struct fixture *f, const char *what)
{
	char out[128], bin[256];
	struct proc_run r;

	snprintf(out, sizeof(out), "%s/refused", f->dir);
	helper_path(bin, sizeof(bin), "bpfprof");
	char *argv[] = { bin, "-o", out, "-u", "stage_*", "--", (char *)f->prog, NULL };

	assert_int_equal(helper_run(argv, 60, &r), 1);
	if (!strstr(r.err, what))
		fail_msg("expected '%s' in: %s", what, r.err);
	assert_non_null(strchr(r.err, '\n'));
	assert_null(strchr(strchr(r.err, '\n') + 1, '\n'));
	assert_false(helper_exists(out));
}

static void test_build_id_dir(void **state)
{
	struct fixture f;
	char root[128], all[4096];

	REQUIRE_ROOT_BPF();
	make_fixture(&f);
	/* Stripped, no debug file anywhere: only .dynsym, which has none. */
	assert_int_equal(list(&f, all, sizeof(all)), 1);
	assert_non_null(strstr(all, "no debug file was found"));
	snprintf(root, sizeof(root), "%s/root", f.dir);
	sh("mkdir -p %s/.build-id/%.2s && cp %s %s/.build-id/%.2s/%s.debug", root, f.build_id,
	   f.debug, root, f.build_id, f.build_id + 2);
	setenv("BPFPROF_DEBUG_ROOT", root, 1);
	assert_int_equal(list(&f, all, sizeof(all)), 0);
	assert_non_null(strstr(all, "stage_outer"));
	assert_non_null(strstr(all, "build-id dir"));
	assert_non_null(strstr(all, f.build_id + 2));
	profile_stripped(&f, "symbols from");
	unsetenv("BPFPROF_DEBUG_ROOT");
	helper_rmtree(f.dir);
}

/* .gnu_debuglink: beside the binary, then in .debug/; of another build,
 * refused. */
static void test_debuglink(void **state)
{
	struct fixture f;
	char all[4096], other[256];

	REQUIRE_ROOT_BPF();
	make_fixture(&f);
	sh("cd %s && objcopy --add-gnu-debuglink=prog.debug prog", f.dir);
	assert_int_equal(list(&f, all, sizeof(all)), 0);
	assert_non_null(strstr(all, "debuglink"));
	assert_non_null(strstr(all, f.debug));
	sh("mkdir %s/.debug && mv %s %s/.debug/", f.dir, f.debug, f.dir);
	assert_int_equal(list(&f, all, sizeof(all)), 0);
	assert_non_null(strstr(all, "/.debug/prog.debug"));
	/* Another build's debug file under the linked name. */
	helper_path(other, sizeof(other), "targets/stage_target_lib");
	sh("objcopy --only-keep-debug %s %s/.debug/prog.debug", other, f.dir);
	expect_refused(&f, "does not match");
	expect_refused(&f, f.build_id);
	helper_rmtree(f.dir);
}

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

/* A real debuginfod serving the debug file from a directory. */
static void test_debuginfod(void **state)
{
	struct fixture f;
	char srv[128], url[64], cache[128], cmd[512], all[4096], db[128], port_s[16];
	struct proc_run d;
	int port, ready = 0;

	REQUIRE_ROOT_BPF();
	make_fixture(&f);
	snprintf(srv, sizeof(srv), "%s/srv", f.dir);
	snprintf(db, sizeof(db), "%s/db.sqlite", f.dir);
	snprintf(cache, sizeof(cache), "%s/cache", f.dir);
	sh("mkdir %s && mv %s %s/", srv, f.debug, srv);
	port = free_port();
	snprintf(port_s, sizeof(port_s), "%d", port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	char *dargv[] = { "/usr/bin/debuginfod", "-F", srv, "-p", port_s, "-d", db, "-t", "1",
			  "-g", "0", NULL };

	assert_int_equal(helper_spawn(&d, dargv, false, -1), 0);
	/* Indexed once it serves the file (curl: no negative cache entry). */
	snprintf(cmd, sizeof(cmd), "curl -sf -o /dev/null %s/buildid/%s/debuginfo", url,
		 f.build_id);
	for (int i = 0; i < 200 && !ready; i++) {
		ready = system(cmd) == 0;
		if (!ready)
			usleep(100000);
	}
	assert_true(ready);
	setenv("DEBUGINFOD_URLS", url, 1);
	setenv("DEBUGINFOD_CACHE_PATH", cache, 1);
	assert_int_equal(list(&f, all, sizeof(all)), 0);
	assert_non_null(strstr(all, "stage_outer"));
	assert_non_null(strstr(all, "debuginfod"));
	profile_stripped(&f, "symbols from");
	kill(d.pid, SIGTERM);
	helper_wait_exit(&d, 10);
	/* Down: refused connections. */
	sh("rm -rf %s", cache);
	expect_refused(&f, "debuginfod");
	expect_refused(&f, "failed");
	unsetenv("DEBUGINFOD_URLS");
	unsetenv("DEBUGINFOD_CACHE_PATH");
	helper_rmtree(f.dir);
}

/* A server that accepts and never answers: refused after the timeout, and
 * the failed fetch is not remembered as "not found". */
static void test_debuginfod_slow(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	struct fixture f;
	char url[64], cache[128];
	int fd;

	REQUIRE_ROOT_BPF();
	make_fixture(&f);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(a.sin_port));
	snprintf(cache, sizeof(cache), "%s/cache", f.dir);
	setenv("DEBUGINFOD_URLS", url, 1);
	setenv("DEBUGINFOD_CACHE_PATH", cache, 1);
	setenv("BPFPROF_DEBUGINFOD_TIMEOUT", "1", 1);
	expect_refused(&f, "did not answer within 1s");
	expect_refused(&f, "did not answer within 1s");
	close(fd);
	unsetenv("DEBUGINFOD_URLS");
	unsetenv("DEBUGINFOD_CACHE_PATH");
	unsetenv("BPFPROF_DEBUGINFOD_TIMEOUT");
	helper_rmtree(f.dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_id_dir),
		cmocka_unit_test(test_debuglink),
		cmocka_unit_test(test_debuginfod),
		cmocka_unit_test(test_debuginfod_slow),
	};

	return cmocka_run_group_tests_name("integration_debuginfo", tests, NULL, NULL);
}
