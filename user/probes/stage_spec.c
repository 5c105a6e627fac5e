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
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

/* Adds path to the list unless it is there. */
static int add_path(char ***paths, size_t *n, const char *path)
{
	char **np;

	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*paths)[i], path))
			return 0;
	np = realloc(*paths, (*n + 1) * sizeof(*np));
	if (!np)
		return -ENOMEM;
	*paths = np;
	np[*n] = strdup(path);
	if (!np[*n])
		return -ENOMEM;
	++*n;
	return 0;
}

static void free_paths(char **paths, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

/* The library among paths that name matches best (see
 * stage_spec_find_library); `where` says where the paths came from. */
static int match_library(char *const *paths, size_t npaths, const char *name, const char *where,
			 char **found, char *err, size_t errlen)
{
	const char *hits[3];
	size_t nhits = 0;
	int best = 0;

	for (size_t i = 0; i < npaths; i++) {
		const char *base = strrchr(paths[i], '/') + 1;
		char bare[PATH_MAX];
		int score = library_score(base, name);

		if (!score && ends_with(paths[i], deleted_tag)) {
			snprintf(bare, sizeof(bare), "%.*s",
				 (int)(strlen(base) - strlen(deleted_tag)), base);
			score = library_score(bare, name);
		}
		if (!score || score < best)
			continue;
		if (score > best)
			nhits = 0;
		best = score;
		if (nhits < 3)
			hits[nhits] = paths[i];
		nhits++;
	}
	if (!nhits) {
		set_err(err, errlen, "no library matching '%s' is %s", name, where);
		return -ENOENT;
	}
	if (nhits > 1) {
		set_err(err, errlen, "library name '%s' is ambiguous: %s, %s%s; give the path",
			name, hits[0], hits[1], nhits > 2 ? ", ..." : "");
		return -EEXIST;
	}
	if (ends_with(hits[0], deleted_tag)) {
		set_err(err, errlen,
			"library '%s' (%s) was deleted or replaced since it was mapped", name,
			hits[0]);
		return -ENOENT;
	}
	*found = strdup(hits[0]);
	if (!*found) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

int stage_spec_find_library(const char *maps_path, const char *name, char **found, char *err,
			    size_t errlen)
{
	char *line = NULL, **paths = NULL, where[PATH_MAX + 32];
	size_t linecap = 0, npaths = 0;
	int ret = 0;
	FILE *f;

	*found = NULL;
	f = fopen(maps_path, "re");
	if (!f) {
		ret = -errno;
		set_err(err, errlen, "cannot read %s: %s", maps_path, strerror(-ret));
		return ret;
	}
	while (getline(&line, &linecap, f) > 0) {
		char *p = line;
		size_t len;

		/* address perms offset dev inode pathname; the path may hold
		 * spaces, so take everything after the fifth field. */
		for (int field = 0; field < 5; field++) {
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
		if (add_path(&paths, &npaths, p)) {
			set_err(err, errlen, "out of memory");
			ret = -ENOMEM;
			goto cleanup;
		}
	}
	snprintf(where, sizeof(where), "mapped (%s)", maps_path);
	ret = match_library(paths, npaths, name, where, found, err, errlen);
cleanup:
	free_paths(paths, npaths);
	free(line);
	fclose(f);
	return ret;
}

int stage_spec_command_libraries(const char *exe, char ***paths, size_t *n, char *err,
				 size_t errlen)
{
	char interp[PATH_MAX], *line = NULL;
	size_t linecap = 0;
	int out[2], status, ret = 0;
	pid_t child;
	FILE *f;

	*paths = NULL;
	*n = 0;
	ret = symbols_elf_interp(exe, interp, sizeof(interp), err, errlen);
	if (ret <= 0)
		return ret; /* static: no libraries */
	ret = 0;
	/* The program's own dynamic loader lists what it would load, by the
	 * same rules (RUNPATH, $ORIGIN, LD_LIBRARY_PATH, ld.so.cache), without
	 * running the program. */
	if (pipe2(out, O_CLOEXEC)) {
		ret = -errno;
		set_err(err, errlen, "pipe: %s", strerror(errno));
		return ret;
	}
	child = fork();
	if (child < 0) {
		ret = -errno;
		set_err(err, errlen, "fork: %s", strerror(errno));
		close(out[0]);
		close(out[1]);
		return ret;
	}
	if (child == 0) {
		int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);

		dup2(out[1], 1);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 2);
		}
		execl(interp, interp, "--list", exe, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	f = fdopen(out[0], "re");
	if (!f) {
		ret = -errno;
		close(out[0]);
	}
	/* "\tlibc.so.6 => /usr/lib/.../libc.so.6 (0x...)" or
	 * "\t/lib64/ld-linux-x86-64.so.2 (0x...)" */
	while (f && getline(&line, &linecap, f) > 0) {
		char *p = strstr(line, "=> "), *end, canon[PATH_MAX];

		p = p ? p + 3 : line + strspn(line, " \t");
		if (*p != '/')
			continue;
		end = strstr(p, " (");
		if (end)
			*end = '\0';
		p[strcspn(p, "\n")] = '\0';
		/* Canonical, as /proc/PID/maps shows a mapped file. */
		if (!ret && add_path(paths, n, realpath(p, canon) ? canon : p))
			ret = -ENOMEM;
	}
	if (f)
		fclose(f);
	free(line);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (!ret && (!WIFEXITED(status) || WEXITSTATUS(status)))
		ret = -ENOEXEC;
	if (ret) {
		set_err(err, errlen, "cannot list the libraries of %s (%s --list): %s", exe, interp,
			ret == -ENOEXEC ? "it failed" : strerror(-ret));
		free_paths(*paths, *n);
		*paths = NULL;
		*n = 0;
	}
	return ret;
}

/* A path as one string whatever the cwd: absolute, no symlinks, "." or
 * "..", as the kernel names a process's files in /proc/PID/exe and maps.
 * For a target in another mount namespace the path stays as given. */
static char *canonical_path(pid_t pid, const char *path)
{
	char buf[PATH_MAX], root[64];
	struct stat ours, theirs;

	if (pid > 0 && path[0] == '/') {
		snprintf(root, sizeof(root), "/proc/%d/root", (int)pid);
		if (stat("/", &ours) || stat(root, &theirs) || ours.st_dev != theirs.st_dev ||
		    ours.st_ino != theirs.st_ino)
			return strdup(path);
	}
	return strdup(realpath(path, buf) ? buf : path);
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

		spec->display_path = canonical_path(pid, p);
		/* Relative paths are the user's, relative to our cwd. */
		spec->path = pid > 0 && p[0] == '/' ? under_proc_root(pid, p) : strdup(p);
		if (!spec->display_path || !spec->path) {
			ret = -ENOMEM;
			goto cleanup;
		}
	} else if (main_exe) {
		/* Command mode: the command does not run yet; the libraries
		 * are those its loader would map. */
		char **libs, where[PATH_MAX + 32];
		size_t nlibs;

		ret = stage_spec_command_libraries(main_exe, &libs, &nlibs, err, errlen);
		if (ret)
			goto cleanup;
		snprintf(where, sizeof(where), "%s by %s", nlibs ? "loaded" : "loaded (it is static)",
			 main_exe);
		ret = match_library(libs, nlibs, bin, where, &spec->display_path, err, errlen);
		free_paths(libs, nlibs);
		if (ret)
			goto cleanup;
		spec->path = strdup(spec->display_path);
		if (!spec->path) {
			ret = -ENOMEM;
			goto cleanup;
		}
	} else {
		if (pid <= 0) {
			set_err(err, errlen,
				"stage '%s:%s': '%s' is a library name, which needs a target "
				"process (-p PID) or command; otherwise give a path",
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
