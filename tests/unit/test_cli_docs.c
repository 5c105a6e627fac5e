// SPDX-License-Identifier: MIT
/*
 * The documentation a user reaches first: --help, report --help and the man
 * page agree (every option --help lists is in the page), the page renders
 * without groff warnings, and `make install` puts the binary and the page
 * under DESTDIR/PREFIX.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/helper.h"
#include "lib/report_helper.h"

static const char *src_dir(void)
{
	const char *s = getenv("BPFPROF_SRC");

	return s && *s ? s : ".";
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long len;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc(len + 1);
	assert_int_equal(fread(buf, 1, len, f), len);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

/* Every "--name" in help appears in the page (as groff's "\-\-name"). */
static void expect_options_in_page(const char *help, const char *page)
{
	int seen = 0;

	for (const char *p = strstr(help, "--"); p; p = strstr(p + 2, "--")) {
		char name[64], want[80];
		size_t n = strspn(p + 2, "abcdefghijklmnopqrstuvwxyz-");

		if (!n || n >= sizeof(name) || (p > help && p[-1] != ' ' && p[-1] != '['))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)n, p + 2);
		snprintf(want, sizeof(want), "\\-\\-");
		for (const char *c = name; *c; c++)
			snprintf(want + strlen(want), sizeof(want) - strlen(want),
				 *c == '-' ? "\\-" : "%c", *c);
		if (!strstr(page, want))
			fail_msg("--%s is in --help but not in docs/bpfprof.8", name);
		seen++;
	}
	assert_true(seen >= 10);
}

static void test_help_and_man_page_agree(void **state)
{
	char cmd[PATH_MAX + 64], page_path[PATH_MAX];
	char *help, *report_help, *page;
	int status;

	snprintf(cmd, sizeof(cmd), "%s/bpfprof --help", helper_build_dir());
	help = helper_command_output(cmd, &status);
	assert_int_equal(status, 0);
	snprintf(cmd, sizeof(cmd), "%s/bpfprof report --help", helper_build_dir());
	report_help = helper_command_output(cmd, &status);
	assert_int_equal(status, 0);
	snprintf(page_path, sizeof(page_path), "%s/docs/bpfprof.8", src_dir());
	page = read_file(page_path);
	expect_options_in_page(help, page);
	expect_options_in_page(report_help, page);
	free(help);
	free(report_help);
	free(page);
}

/* groff renders the page with every warning on and none given. */
static void test_man_page_renders_clean(void **state)
{
	char cmd[PATH_MAX + 128];
	char *out;
	int status;

	snprintf(cmd, sizeof(cmd), "groff -man -Tutf8 -ww -z %s/docs/bpfprof.8 2>&1", src_dir());
	out = helper_command_output(cmd, &status);
	assert_int_equal(status, 0);
	assert_string_equal(out, "");
	free(out);
}

/* make install DESTDIR=... PREFIX=...: the binary (runnable) and the page. */
static void test_make_install(void **state)
{
	char tmp[64], cmd[3 * PATH_MAX], build[PATH_MAX], path[PATH_MAX + 64];
	char *out;
	int status;

	helper_tmpdir(tmp, sizeof(tmp));
	assert_non_null(realpath(helper_build_dir(), build));
	/* -o: the test installs the binary it is testing, never rebuilds it. */
	snprintf(cmd, sizeof(cmd),
		 "make -s -C %s -o %s/bpfprof OUT=%s install DESTDIR=%s PREFIX=/opt/bp 2>&1",
		 src_dir(), build, build, tmp);
	out = helper_command_output(cmd, &status);
	if (status)
		fail_msg("make install: %s", out);
	free(out);
	snprintf(path, sizeof(path), "%s/opt/bp/share/man/man8/bpfprof.8", tmp);
	assert_true(helper_exists(path));
	snprintf(cmd, sizeof(cmd), "%s/opt/bp/sbin/bpfprof --version", tmp);
	out = helper_command_output(cmd, &status);
	assert_int_equal(status, 0);
	assert_int_equal(strncmp(out, "bpfprof ", 8), 0);
	free(out);
	helper_rmtree(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help_and_man_page_agree),
		cmocka_unit_test(test_man_page_renders_clean),
		cmocka_unit_test(test_make_install),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
