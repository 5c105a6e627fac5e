// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "lib/helper.h"
#include "lib/report_helper.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	int c;

	while (f && (c = fgetc(f)) != EOF)
		fputc(c, mem);
	if (f)
		fclose(f);
	fclose(mem);
	return buf;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* argv to completion with stdout and stderr into files, then read back. */
static void run_argv(struct captured *c, char *const argv[], double timeout_s)
{
	char dir[64], out[128], err[128];
	pid_t pid;
	int st;
	double end = now() + timeout_s;

	helper_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(err, sizeof(err), "%s/err", dir);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int devnull = open("/dev/null", O_RDONLY);

		dup2(devnull, 0);
		dup2(o, 1);
		dup2(e, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	for (;;) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		if (now() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			break;
		}
		usleep(10000);
	}
	c->status = now() > end ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	c->out = slurp(out);
	c->err = slurp(err);
	helper_rmtree(dir);
}

void report_run(struct captured *c, const char *arg, ...)
{
	char bin[256], *argv[32];
	int n = 0;
	va_list ap;

	helper_path(bin, sizeof(bin), "bpfprof");
	argv[n++] = bin;
	argv[n++] = "report";
	va_start(ap, arg);
	for (const char *a = arg; a && n < 31; a = va_arg(ap, const char *))
		argv[n++] = (char *)a;
	va_end(ap);
	argv[n] = NULL;
	run_argv(c, argv, 60);
}

void captured_free(struct captured *c)
{
	free(c->out);
	free(c->err);
}

void expect_one_error_line(const struct captured *c, const char *needle)
{
	size_t len = strlen(c->err);

	if (c->status != 1)
		fail_msg("exit status %d, expected 1 (stderr: %s)", c->status, c->err);
	if (strncmp(c->err, "bpfprof: ", 9) || !len || strchr(c->err, '\n') != c->err + len - 1)
		fail_msg("stderr is not one 'bpfprof: ...' line: %s", c->err);
	if (!strstr(c->err, needle))
		fail_msg("stderr does not say '%s': %s", needle, c->err);
	assert_string_equal(c->out, "");
}

char *chromium_dump_dom(const char *html_path, const char *png)
{
	char dir[64], prof[128], url[512], shot[600];
	struct captured c;
	char *const dump[] = { "/usr/bin/timeout",
			       "90",
			       "chromium",
			       "--headless",
			       "--no-sandbox",
			       "--disable-gpu",
			       "--no-first-run",
			       prof,
			       "--dump-dom",
			       url,
			       NULL };

	helper_tmpdir(dir, sizeof(dir));
	snprintf(prof, sizeof(prof), "--user-data-dir=%s", dir);
	snprintf(url, sizeof(url), "file://%s", html_path);
	run_argv(&c, dump, 120);
	if (c.status != 0 || !strstr(c.out, "</html>"))
		fail_msg("chromium --dump-dom failed (status %d): %.2000s", c.status, c.err);
	if (png) {
		char *const shoot[] = { "/usr/bin/timeout",
					"90",
					"chromium",
					"--headless",
					"--no-sandbox",
					"--disable-gpu",
					"--no-first-run",
					"--hide-scrollbars",
					"--window-size=1240,3000",
					prof,
					shot,
					url,
					NULL };
		struct captured s;

		snprintf(shot, sizeof(shot), "--screenshot=%s", png);
		run_argv(&s, shoot, 120);
		if (s.status != 0 || !helper_exists(png))
			fail_msg("chromium --screenshot failed (status %d): %.2000s", s.status,
				 s.err);
		captured_free(&s);
	}
	free(c.err);
	helper_rmtree(dir);
	return c.out;
}

int count_of(const char *s, const char *needle)
{
	int n = 0;

	for (const char *at = s; (at = strstr(at, needle)); at += strlen(needle))
		n++;
	return n;
}

void copy_dir(const char *src, const char *dst)
{
	DIR *d = opendir(src);
	struct dirent *de;

	assert_non_null(d);
	while ((de = readdir(d))) {
		char from[512], to[512];
		char *data;
		FILE *f;
		struct stat st;

		snprintf(from, sizeof(from), "%s/%s", src, de->d_name);
		if (stat(from, &st) || !S_ISREG(st.st_mode))
			continue;
		snprintf(to, sizeof(to), "%s/%s", dst, de->d_name);
		data = slurp(from);
		f = fopen(to, "w");
		assert_non_null(f);
		fputs(data, f);
		fclose(f);
		free(data);
	}
	closedir(d);
}

const char *artifact_dir(void)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/test-artifacts", helper_build_dir());
	if (mkdir(path, 0755) && errno != EEXIST)
		fail_msg("mkdir %s: %s", path, strerror(errno));
	return path;
}
