// SPDX-License-Identifier: MIT
/* "-u [BINARY:]GLOB": split the spec and find the file to probe. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/errmsg.h"
#include "probes/stage_spec.h"
#include "probes/symbols.h"

static const char deleted_tag[] = " (deleted)";


void stage_spec_free(struct stage_spec *spec)
{
	if (!spec)
		return;
	free(spec->binary_arg);
	free(spec->glob);
	free(spec->path);
	free(spec->display_path);
	memset(spec, 0, sizeof(*spec));
}

/* Index of the BINARY:GLOB separator, or -1. */
static long find_separator(const char *s)
{
	size_t i = 0;

	while (s[i]) {
		size_t run = 0;

		if (s[i] != ':') {
			i++;
			continue;
		}
		while (s[i + run] == ':')
			run++;
		if (run % 2)
			return (long)i;
		i += run;
	}
	return -1;
}

int stage_spec_parse(const char *arg, struct stage_spec *out, char *err, size_t errlen)
{
	const char *g, *gend;
	long sep;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!arg) {
		set_err(err, errlen, "missing stage spec");
		return -EINVAL;
	}
	sep = find_separator(arg);
	g = arg;
	if (sep >= 0) {
		if (sep == 0) {
			set_err(err, errlen, "stage spec '%s': empty binary before ':'", arg);
			return -EINVAL;
		}
		out->binary_arg = strndup(arg, (size_t)sep);
		if (!out->binary_arg) {
			ret = -ENOMEM;
			goto cleanup;
		}
		g = arg + sep + 1;
	}
	/* Symbol names never start or end with blanks; stray ones come from
	 * quoting mistakes. */
	while (isspace((unsigned char)*g))
		g++;
	gend = g + strlen(g);
	while (gend > g && isspace((unsigned char)gend[-1]))
		gend--;
	if (gend == g) {
		set_err(err, errlen, "stage spec '%s': empty function pattern", arg);
		ret = -EINVAL;
		goto cleanup;
	}
	out->glob = strndup(g, (size_t)(gend - g));
	if (!out->glob) {
		ret = -ENOMEM;
		goto cleanup;
	}
	return 0;

cleanup:
	if (ret == -ENOMEM)
		set_err(err, errlen, "out of memory");
	stage_spec_free(out);
	return ret;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

/* 2: exact basename, 1: short name ("libc" ~ "libc.so.6", "libc-2.31.so"), 0: no. */
static int library_score(const char *base, const char *name)
{
	size_t n = strlen(name);
	const char *rest;

	if (strcmp(base, name) == 0)
		return 2;
	if (strncmp(base, name, n) != 0)
		return 0;
	rest = base + n;
	if (strncmp(rest, ".so", 3) == 0)
		return 1;
	if (rest[0] == '-' && strstr(rest, ".so"))
		return 1;
	/* "libc.so" asked, "libc.so.6" mapped. */
	if (rest[0] == '.' && strstr(name, ".so"))
		return 1;
	return 0;
}

int stage_spec_find_library(const char *maps_path, const char *name, char **found, char *err,
			    size_t errlen)
{
	char *line = NULL, **paths = NULL;
	size_t linecap = 0, npaths = 0, i;
	int best = 0, ret = 0;
	FILE *f;

	*found = NULL;
	f = fopen(maps_path, "re");
	if (!f) {
		ret = -errno;
		set_err(err, errlen, "cannot read %s: %s", maps_path, strerror(-ret));
		return ret;
	}
	while (getline(&line, &linecap, f) > 0) {
		char *p = line, *base, **np;
		size_t len;
		int field, score;

		/* address perms offset dev inode pathname; the path may hold
		 * spaces, so take everything after the fifth field. */
		for (field = 0; field < 5; field++) {
			while (*p && !isspace((unsigned char)*p))
				p++;
			while (*p == ' ' || *p == '\t')
				p++;
		}
		len = strlen(p);
		while (len && (p[len - 1] == '\n' || p[len - 1] == ' '))
			p[--len] = '\0';
		if (p[0] != '/')
			continue; /* anonymous, [heap], [vdso], ... */
		base = strrchr(p, '/') + 1;
		score = library_score(base, name);
		if (!score && ends_with(p, deleted_tag)) {
			p[len - strlen(deleted_tag)] = '\0';
			score = library_score(base, name);
			p[len - strlen(deleted_tag)] = ' ';
		}
		if (!score || score < best)
			continue;
		if (score > best) {
			for (i = 0; i < npaths; i++)
				free(paths[i]);
			npaths = 0;
			best = score;
		}
		for (i = 0; i < npaths && strcmp(paths[i], p) != 0; i++)
			;
		if (i < npaths)
			continue;
		np = realloc(paths, (npaths + 1) * sizeof(*paths));
		if (!np || !(np[npaths] = strdup(p))) {
			if (np)
				paths = np;
			set_err(err, errlen, "out of memory");
			ret = -ENOMEM;
			goto cleanup;
		}
		paths = np;
		npaths++;
	}
	if (npaths == 0) {
		set_err(err, errlen, "no library matching '%s' is mapped (%s)", name, maps_path);
		ret = -ENOENT;
		goto cleanup;
	}
	if (npaths > 1) {
		set_err(err, errlen, "library name '%s' is ambiguous: %s, %s%s; give the path",
			name, paths[0], paths[1], npaths > 2 ? ", ..." : "");
		ret = -EEXIST;
		goto cleanup;
	}
	if (ends_with(paths[0], deleted_tag)) {
		set_err(err, errlen,
			"library '%s' (%s) was deleted or replaced since it was mapped", name,
			paths[0]);
		ret = -ENOENT;
		goto cleanup;
	}
	*found = paths[0];
	paths[0] = NULL;

cleanup:
	for (i = 0; i < npaths; i++)
		free(paths[i]);
	free(paths);
	free(line);
	fclose(f);
	return ret;
}

/* "/proc/PID/root" + abs_path: the file as the target's mount namespace sees it. */
static char *under_proc_root(pid_t pid, const char *abs_path)
{
	char *s = NULL;

	if (asprintf(&s, "/proc/%d/root%s", (int)pid, abs_path) < 0)
		return NULL;
	return s;
}

/* Main executable of @pid: its path as the target sees it, and a path we can
 * open (the /proc/PID/exe link itself when the file was deleted). */
static int resolve_main_exe(pid_t pid, char **path, char **display, char *err, size_t errlen)
{
	char link[64], buf[PATH_MAX];
	ssize_t n;
	int ret;

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n < 0) {
		ret = -errno;
		set_err(err, errlen, "cannot read %s: %s", link, strerror(-ret));
		return ret;
	}
	buf[n] = '\0';
	*display = strdup(buf);
	if (ends_with(buf, deleted_tag) || buf[0] != '/')
		*path = strdup(link);
	else
		*path = under_proc_root(pid, buf);
	if (!*display || !*path) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

int stage_spec_resolve(struct stage_spec *spec, pid_t pid, const char *main_exe, char *err,
		       size_t errlen)
{
	const char *bin = spec->binary_arg;
	char maps[64];
	int ret;

	free(spec->path);
	free(spec->display_path);
	spec->path = NULL;
	spec->display_path = NULL;

	if (!bin && !main_exe) {
		if (pid <= 0) {
			set_err(err, errlen,
				"stage '%s': no binary given and no target process; use BINARY:%s",
				spec->glob, spec->glob);
			ret = -EINVAL;
			goto cleanup;
		}
		ret = resolve_main_exe(pid, &spec->path, &spec->display_path, err, errlen);
		if (ret)
			goto cleanup;
	} else if (!bin || strchr(bin, '/')) {
		const char *p = bin ? bin : main_exe;

		spec->display_path = strdup(p);
		/* Relative paths are the user's, relative to our cwd. */
		spec->path = pid > 0 && p[0] == '/' ? under_proc_root(pid, p) : strdup(p);
		if (!spec->display_path || !spec->path) {
			ret = -ENOMEM;
			goto cleanup;
		}
	} else {
		if (pid <= 0) {
			set_err(err, errlen,
				"stage '%s:%s': '%s' is a library name, which needs a target "
				"process (-p PID); otherwise give a path",
				bin, spec->glob, bin);
			ret = -EINVAL;
			goto cleanup;
		}
		snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)pid);
		ret = stage_spec_find_library(maps, bin, &spec->display_path, err, errlen);
		if (ret)
			goto cleanup;
		spec->path = under_proc_root(pid, spec->display_path);
		if (!spec->path) {
			ret = -ENOMEM;
			goto cleanup;
		}
	}

	ret = symbols_check_elf(spec->path, spec->display_path, err, errlen);
	if (ret)
		goto cleanup;
	return 0;

cleanup:
	if (ret == -ENOMEM)
		set_err(err, errlen, "out of memory");
	free(spec->path);
	free(spec->display_path);
	spec->path = NULL;
	spec->display_path = NULL;
	return ret;
}
