// SPDX-License-Identifier: MIT
/*
 * The output directory against hostile and failing filesystems: symlinks
 * and foreign files at our names are never followed or replaced, modes are
 * 0644/0755 whatever the umask allows, and on a full filesystem (a 64 KiB
 * tmpfs in a private mount namespace) every failure is counted, reported
 * once, and the files hold whole lines only.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "output/output_files.h"
#include "lib/helper.h"

static char tmp[64];

static int setup(void **state)
{
	helper_tmpdir(tmp, sizeof(tmp));
	return 0;
}

static int teardown(void **state)
{
	helper_rmtree(tmp);
	return 0;
}

static void put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static char *slurp(const char *path)
{
	static char buf[1 << 17];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static json_t *record(int i, size_t pad)
{
	char *s = malloc(pad + 1);
	json_t *r;

	memset(s, 'x', pad);
	s[pad] = '\0';
	r = json_pack("{s:s, s:i, s:s}", "schema", "bpfprof.flush.v1", "flush_index", i, "pad", s);
	free(s);
	return r;
}

/* The summary's "output", as the session writes it. */
static void describe(const struct output_files *o, json_t *sum)
{
	struct output_record r;

	output_describe(o, &r);
	json_object_set_new(sum, "output", output_json(&r));
}

static void write_one_run(const char *dir)
{
	char err[256];
	struct output_files *o = output_open(dir, err, sizeof(err));
	json_t *r = record(0, 10), *sum = json_pack("{s:s}", "schema", "bpfprof.summary.v1");

	if (!o)
		fail_msg("output_open: %s", err);
	assert_int_equal(output_write_flush(o, r), 0);
	describe(o, sum);
	assert_int_equal(output_write_summary(o, sum), 0);
	assert_int_equal(output_write_failures(o), 0);
	output_close(o);
	json_decref(r);
	json_decref(sum);
}

static void expect_refused(const char *dir, const char *needle)
{
	char err[256] = "";
	struct output_files *o = output_open(dir, err, sizeof(err));

	if (o || !strstr(err, needle))
		fail_msg("output_open(%s): %s, error '%s'; expected '%s'", dir,
			 o ? "opened" : "refused", err, needle);
}

static void test_modes_follow_umask_but_never_widen(void **state)
{
	char dir[128], path[192];
	mode_t old = umask(0);

	/* umask 0 must not make anything group- or world-writable. */
	snprintf(dir, sizeof(dir), "%s/m0/sub", tmp);
	write_one_run(dir);
	assert_int_equal(mode_of(dir), 0755);
	snprintf(path, sizeof(path), "%s/flushes.jsonl", dir);
	assert_int_equal(mode_of(path), 0644);
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	assert_int_equal(mode_of(path), 0644);
	/* A restrictive umask narrows them. */
	umask(077);
	snprintf(dir, sizeof(dir), "%s/m77", tmp);
	write_one_run(dir);
	assert_int_equal(mode_of(dir), 0700);
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	assert_int_equal(mode_of(path), 0600);
	umask(old);
}

static void test_symlinks_never_followed(void **state)
{
	char dir[128], victim[128], link[192], tmpname[192];
	struct output_files *o;
	struct stat st;
	char err[256];
	json_t *sum = json_pack("{s:s}", "schema", "bpfprof.summary.v1");

	snprintf(dir, sizeof(dir), "%s/sym", tmp);
	snprintf(victim, sizeof(victim), "%s/victim", tmp);
	assert_int_equal(mkdir(dir, 0755), 0);
	put(victim, "{\"schema\":\"bpfprof.flush.v1\"} precious\n");
	/* At flushes.jsonl, even pointing at something that looks like ours. */
	snprintf(link, sizeof(link), "%s/flushes.jsonl", dir);
	assert_int_equal(symlink(victim, link), 0);
	expect_refused(dir, "flushes.jsonl exists and is not bpfprof's output");
	assert_int_equal(unlink(link), 0);
	/* At summary.json. */
	snprintf(link, sizeof(link), "%s/summary.json", dir);
	assert_int_equal(symlink(victim, link), 0);
	expect_refused(dir, "summary.json exists and is not bpfprof's output");
	assert_int_equal(unlink(link), 0);
	/* Dangling, so O_CREAT alone would create the target. */
	snprintf(link, sizeof(link), "%s/flushes.jsonl", dir);
	assert_int_equal(symlink("/tmp/bpfprof-dangling-never-created", link), 0);
	expect_refused(dir, "not bpfprof's output");
	assert_false(helper_exists("/tmp/bpfprof-dangling-never-created"));
	assert_int_equal(unlink(link), 0);
	/* At the summary's temp name, planted while the run goes: the name is
	 * taken from the start (the room kept for the summary). */
	o = output_open(dir, err, sizeof(err));
	assert_non_null(o);
	snprintf(tmpname, sizeof(tmpname), "%s/.summary.json.%d.tmp", dir, (int)getpid());
	assert_int_equal(symlink(victim, tmpname), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(output_write_summary(o, sum), 0);
	output_close(o);
	snprintf(link, sizeof(link), "%s/summary.json", dir);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_false(helper_exists(tmpname));
	assert_string_equal(slurp(victim), "{\"schema\":\"bpfprof.flush.v1\"} precious\n");
	/* The directory itself. */
	snprintf(link, sizeof(link), "%s/dirlink", tmp);
	assert_int_equal(symlink(dir, link), 0);
	expect_refused(link, "is a symbolic link");
	json_decref(sum);
}

static void test_foreign_files_kept_previous_runs_replaced(void **state)
{
	char dir[128], path[192], hard[192];

	snprintf(dir, sizeof(dir), "%s/prev", tmp);
	write_one_run(dir);
	/* A second run replaces the first one's files. */
	write_one_run(dir);
	/* A run that has not finished yet shows no stale summary. */
	{
		char err[256];
		struct output_files *o = output_open(dir, err, sizeof(err));

		assert_non_null(o);
		snprintf(path, sizeof(path), "%s/summary.json", dir);
		assert_false(helper_exists(path));
		snprintf(path, sizeof(path), "%s/flushes.jsonl", dir);
		assert_string_equal(slurp(path), "");
		output_close(o);
	}
	/* Somebody's data under our name. */
	snprintf(path, sizeof(path), "%s/flushes.jsonl", dir);
	put(path, "precious data\n");
	expect_refused(dir, "not bpfprof's output");
	assert_string_equal(slurp(path), "precious data\n");
	/* Looks like ours but is a hard link to a file elsewhere. */
	put(path, "{\"schema\":\"bpfprof.flush.v1\"}\n");
	snprintf(hard, sizeof(hard), "%s/elsewhere", tmp);
	assert_int_equal(link(path, hard), 0);
	expect_refused(dir, "not bpfprof's output");
	assert_int_equal(unlink(hard), 0);
	/* A summary that is not ours. */
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	put(path, "{\"not\": \"ours\"}\n");
	expect_refused(dir, "summary.json exists and is not bpfprof's output");
	assert_string_equal(slurp(path), "{\"not\": \"ours\"}\n");
}

#define NOBODY 65534

/* output_open(dir) as euid NOBODY, in a child: whether it was refused with
 * an error holding needle (NULL: whether it opened). */
static bool opened_as_nobody(const char *dir, const char *needle)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		char err[256] = "";
		struct output_files *o;

		if (setegid(NOBODY) || seteuid(NOBODY))
			_exit(3);
		o = output_open(dir, err, sizeof(err));
		if (!o && !(needle && strstr(err, needle)))
			fprintf(stderr, "output_open(%s) as nobody: %s\n", dir, err);
		output_discard(o);
		_exit(o ? 0 : needle && strstr(err, needle) ? 1 : 2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (needle)
		assert_int_equal(WEXITSTATUS(status), 1);
	return WEXITSTATUS(status) == 0;
}

/*
 * Every component of -o, not only the last, is checked before it is
 * followed (issue 20): -o LINK/, LINK/. and LINK/sub used to follow a
 * directory symlink anyone had planted, sending root's files wherever it
 * pointed (/etc). Links owned by another user are never followed, root's
 * own ones (/var/run -> /run) are, except in a sticky world-writable
 * directory when the caller is not root.
 */
static void test_symlinks_in_every_component(void **state)
{
	char victim[128], evil[128], dir[256], mine[128], sticky[128], plain[128], a[128], b[128],
		path[320];

	REQUIRE_ROOT_BPF();
	snprintf(victim, sizeof(victim), "%s/victim_dir", tmp);
	assert_int_equal(mkdir(victim, 0755), 0);
	assert_int_equal(chown(victim, NOBODY, NOBODY), 0);
	/* A link another user planted. */
	snprintf(evil, sizeof(evil), "%s/evil", tmp);
	assert_int_equal(symlink(victim, evil), 0);
	assert_int_equal(lchown(evil, NOBODY, NOBODY), 0);
	snprintf(dir, sizeof(dir), "%s/", evil);
	expect_refused(dir, "is a symbolic link");
	snprintf(dir, sizeof(dir), "%s/.", evil);
	expect_refused(dir, "is a symbolic link");
	snprintf(dir, sizeof(dir), "%s/sub", evil);
	expect_refused(dir, "not following symbolic link");
	expect_refused(dir, "owned by uid 65534, not by us");
	snprintf(dir, sizeof(dir), "%s/./sub/deeper", evil);
	expect_refused(dir, "not following symbolic link");
	assert_int_equal(helper_dir_entries(victim), 0);

	/* The caller's own link is followed, as mkdir -p would. */
	snprintf(mine, sizeof(mine), "%s/mine", tmp);
	assert_int_equal(symlink("victim_dir", mine), 0);
	snprintf(dir, sizeof(dir), "%s/sub", mine);
	write_one_run(dir);
	snprintf(path, sizeof(path), "%s/sub/summary.json", victim);
	assert_true(helper_exists(path));

	/* A loop of our own links ends. */
	snprintf(a, sizeof(a), "%s/loop_a", tmp);
	snprintf(b, sizeof(b), "%s/loop_b", tmp);
	assert_int_equal(symlink(b, a), 0);
	assert_int_equal(symlink(a, b), 0);
	snprintf(dir, sizeof(dir), "%s/x", a);
	expect_refused(dir, strerror(ELOOP));

	/* Not root: a root-owned link in a sticky world-writable directory
	 * (/tmp) is not followed, one elsewhere is. */
	assert_int_equal(chmod(tmp, 0755), 0);
	snprintf(sticky, sizeof(sticky), "%s/sticky", tmp);
	assert_int_equal(mkdir(sticky, 0755), 0);
	assert_int_equal(chmod(sticky, 01777), 0);
	snprintf(path, sizeof(path), "%s/rootlink", sticky);
	assert_int_equal(symlink(victim, path), 0);
	snprintf(dir, sizeof(dir), "%s/rootlink/out", sticky);
	opened_as_nobody(dir, "in a sticky world-writable directory");
	snprintf(plain, sizeof(plain), "%s/plain", tmp);
	assert_int_equal(mkdir(plain, 0755), 0);
	snprintf(path, sizeof(path), "%s/rootlink", plain);
	assert_int_equal(symlink(victim, path), 0);
	snprintf(dir, sizeof(dir), "%s/rootlink/out", plain);
	assert_true(opened_as_nobody(dir, NULL));
	/* And as root, root's own link in the sticky directory is followed. */
	snprintf(dir, sizeof(dir), "%s/rootlink/out2", sticky);
	write_one_run(dir);
	assert_int_equal(chmod(tmp, 0700), 0);
}

/* -o /proc said "No such file or directory". */
static void test_pseudo_filesystems(void **state)
{
	REQUIRE_ROOT_BPF();
	expect_refused("/proc", "cannot write in output directory '/proc': it is on procfs");
	expect_refused("/proc/bpfprof-out", "its parent is on procfs");
	expect_refused("/sys/kernel", "it is on sysfs");
}

/*
 * A summary.json someone else puts in the directory while the run goes on
 * (after output_open removed the last run's) is not replaced at the final
 * rename (issue 20): the run's summary goes beside it, and counts as a
 * failure. One of ours (another run's into the same directory) is.
 */
static void test_summary_planted_mid_run(void **state)
{
	char dir[128], path[192], aside[192], err[256];
	json_t *sum = json_pack("{s:s}", "schema", "bpfprof.summary.v1");
	struct output_files *o;
	struct stat st;

	REQUIRE_ROOT_BPF();
	snprintf(dir, sizeof(dir), "%s/planted", tmp);
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	snprintf(aside, sizeof(aside), "%s/summary-%d.json", dir, (int)getpid());
	o = output_open(dir, err, sizeof(err));
	assert_non_null(o);
	put(path, "{\"schema\":\"bpfprof.summary.v1\",\"theirs\":true}\n");
	assert_int_equal(chown(path, NOBODY, NOBODY), 0);
	output_write_summary(o, sum);
	assert_int_equal(output_write_failures(o), 1);
	output_close(o);
	assert_string_equal(slurp(path), "{\"schema\":\"bpfprof.summary.v1\",\"theirs\":true}\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_uid, NOBODY);
	assert_non_null(strstr(slurp(aside), "bpfprof.summary.v1"));
	assert_null(strstr(slurp(aside), "theirs"));
	assert_int_equal(unlink(aside), 0);
	assert_int_equal(unlink(path), 0);

	/* A symlink planted there stays a symlink, its target untouched. */
	o = output_open(dir, err, sizeof(err));
	assert_non_null(o);
	assert_int_equal(symlink("/etc/hostname", path), 0);
	output_write_summary(o, sum);
	assert_int_equal(output_write_failures(o), 1);
	output_close(o);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_true(helper_exists(aside));
	assert_int_equal(unlink(aside), 0);
	assert_int_equal(unlink(path), 0);

	/* Our own earlier output is replaced, as at the start. */
	o = output_open(dir, err, sizeof(err));
	assert_non_null(o);
	put(path, "{\"schema\":\"bpfprof.summary.v1\",\"old\":1}\n");
	assert_int_equal(output_write_summary(o, sum), 0);
	assert_int_equal(output_write_failures(o), 0);
	output_close(o);
	assert_null(strstr(slurp(path), "old"));
	assert_false(helper_exists(aside));
	json_decref(sum);
}

/* Every line of the file parses and carries the expected index order. */
static size_t check_whole_lines(const char *path)
{
	char *text = slurp(path), *save = NULL;
	size_t n = 0, len = strlen(text);

	assert_true(len == 0 || text[len - 1] == '\n');
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		json_t *j = json_loads(l, 0, NULL);

		if (!j)
			fail_msg("line %zu of %s is not JSON", n, path);
		json_decref(j);
		n++;
	}
	return n;
}

/* A 64 KiB tmpfs in a mount namespace of our own (gone when we exit). */
static void mount_small_tmpfs(const char *where)
{
	if (unshare(CLONE_NEWNS))
		fail_msg("unshare(CLONE_NEWNS): %s", strerror(errno));
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		fail_msg("make / private: %s", strerror(errno));
	if (mount("bpfprof-test", where, "tmpfs", 0, "size=64k,mode=0755"))
		fail_msg("mount tmpfs: %s", strerror(errno));
}

static void test_full_filesystem(void **state)
{
	char mnt[128], dir[160], filler[192], path[192], err[256], errfile[192];
	struct output_files *o;
	json_t *sum = json_pack("{s:s}", "schema", "bpfprof.summary.v1"), *out;
	int saved_err, fd, fails = 0, i;
	char block[4096];

	REQUIRE_ROOT_BPF();
	snprintf(mnt, sizeof(mnt), "%s/mnt", tmp);
	assert_int_equal(mkdir(mnt, 0755), 0);
	mount_small_tmpfs(mnt);
	snprintf(dir, sizeof(dir), "%s/out", mnt);
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	/* stderr to a file, to count the messages. */
	snprintf(errfile, sizeof(errfile), "%s/stderr", tmp);
	fflush(stderr);
	saved_err = dup(2);
	fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	dup2(fd, 2);
	close(fd);

	o = output_open(dir, err, sizeof(err));
	assert_non_null(o);
	/* Fill the filesystem but for a few pages. */
	memset(block, 'f', sizeof(block));
	fd = open(filler, O_WRONLY | O_CREAT, 0644);
	while (write(fd, block, sizeof(block)) == sizeof(block))
		;
	close(fd);
	for (i = 0; i < 40; i++) {
		json_t *r = record(i, 3000);

		fails += output_write_flush(o, r) != 0;
		json_decref(r);
	}
	assert_true(fails > 0);
	assert_int_equal(output_write_failures(o), (unsigned long)fails);
	/* The summary still fits: room was kept for it at the start. */
	assert_int_equal(output_write_summary(o, sum), 0);
	assert_int_equal(output_write_failures(o), (unsigned long)fails);
	/* Room again: the records after that are written. */
	assert_int_equal(unlink(filler), 0);
	for (; i < 45; i++) {
		json_t *r = record(i, 3000);

		assert_int_equal(output_write_flush(o, r), 0);
		json_decref(r);
	}
	describe(o, sum);
	out = json_object_get(sum, "output");
	assert_int_equal(json_integer_value(json_object_get(out, "flush_records_lost")), fails);
	assert_int_equal(json_integer_value(json_object_get(out, "flush_records_written")),
			 45 - fails);
	assert_string_equal(json_string_value(json_object_get(out, "write_error")),
			    strerror(ENOSPC));
	assert_int_equal(output_write_summary(o, sum), 0);
	output_close(o);

	fflush(stderr);
	dup2(saved_err, 2);
	close(saved_err);
	snprintf(path, sizeof(path), "%s/flushes.jsonl", dir);
	assert_int_equal(check_whole_lines(path), 45 - fails);
	/* One line, for the flush failures. */
	{
		char *text = slurp(errfile);

		assert_non_null(strstr(text, "bpfprof: writing "));
		assert_non_null(strstr(text, "flushes.jsonl failed: No space left on device"));
		assert_null(strchr(strchr(text, '\n') + 1, '\n'));
	}
	/* Nothing but our two files. */
	snprintf(path, sizeof(path), "%s/.summary.json.%d.tmp", dir, (int)getpid());
	assert_false(helper_exists(path));
	json_decref(sum);
	umount2(mnt, MNT_DETACH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modes_follow_umask_but_never_widen),
		cmocka_unit_test(test_symlinks_never_followed),
		cmocka_unit_test(test_foreign_files_kept_previous_runs_replaced),
		cmocka_unit_test(test_full_filesystem),
		cmocka_unit_test(test_symlinks_in_every_component),
		cmocka_unit_test(test_pseudo_filesystems),
		cmocka_unit_test(test_summary_planted_mid_run),
	};

	return cmocka_run_group_tests_name("output_files", tests, setup, teardown);
}
