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
	/* At the summary's temp name, planted while the run goes. */
	o = output_open(dir, err, sizeof(err));
	assert_non_null(o);
	snprintf(tmpname, sizeof(tmpname), "%s/.summary.json.%d.tmp", dir, (int)getpid());
	assert_int_equal(symlink(victim, tmpname), 0);
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
	/* The summary cannot be written either: an error, and no temp file. */
	assert_int_equal(output_write_summary(o, sum), -ENOSPC);
	assert_int_equal(output_write_failures(o), (unsigned long)fails + 1);
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
	/* One line for the flush failures, one for the summary. */
	{
		char *text = slurp(errfile), *second;

		assert_non_null(strstr(text, "bpfprof: writing "));
		assert_non_null(strstr(text, "flushes.jsonl failed: No space left on device"));
		second = strchr(text, '\n') + 1;
		assert_non_null(strstr(second, "cannot write"));
		assert_null(strchr(strchr(second, '\n') + 1, '\n'));
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
	};

	return cmocka_run_group_tests_name("output_files", tests, setup, teardown);
}
