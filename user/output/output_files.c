// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/errmsg.h"
#include "output/output_files.h"

#define FLUSHES_NAME "flushes.jsonl"
#define SUMMARY_NAME "summary.json"
#define FILE_MODE 0644
#define DIR_MODE 0755
#define MAX_EXTRA_FILES 8

struct output_files {
	char *dir;
	int dirfd;
	int flushes_fd;
	unsigned long written; /* flush lines */
	unsigned long lost;    /* flush lines not written */
	bool summary_failed;
	bool flushes_broken; /* a failed line could not be undone: stop appending */
	int first_error;     /* errno of the first failed write */
	bool created_dir;
	char *extra[MAX_EXTRA_FILES]; /* output_create_file's, for output_discard */
	size_t n_extra;
};

/* mkdir -p; *created tells whether the last component was made by us. */
static int mkdir_parents(const char *dir, bool *created)
{
	char *path = strdup(dir);
	int err = 0;

	*created = false;
	if (!path)
		return -ENOMEM;
	for (char *p = path + 1;; p++) {
		bool last = *p == '\0';

		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (mkdir(path, DIR_MODE) == 0) {
			*created = last;
		} else if (errno != EEXIST) {
			err = -errno;
			break;
		}
		if (last)
			break;
		*p = '/';
	}
	free(path);
	return err;
}

/* Whether buf (a file's first bytes) opens a JSON object whose first key is
 * "schema" with a bpfprof value: what every file bpfprof writes starts with. */
static bool starts_with_bpfprof_schema(const char *buf)
{
	static const char *const parts[] = { "{", "\"schema\"", ":", "\"bpfprof." };
	const char *p = buf;

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		while (isspace((unsigned char)*p))
			p++;
		if (strncmp(p, parts[i], strlen(parts[i])))
			return false;
		p += strlen(parts[i]);
	}
	return true;
}

/*
 * Whether dir/name is output of an earlier bpfprof run that may be replaced:
 * a regular file with one link, owned by us, empty or starting with a
 * bpfprof schema. Anything else (a symlink, a hard link to another file,
 * someone's data) is left alone.
 */
static bool is_previous_output(int dirfd, const char *name)
{
	char buf[64] = "";
	struct stat st;
	ssize_t n;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_nlink != 1 || st.st_uid != geteuid()) {
		close(fd);
		return false;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return n == 0 || starts_with_bpfprof_schema(buf);
}

/* Never follows a symlink, never opens an existing file. */
static int create_new(int dirfd, const char *name)
{
	return openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, FILE_MODE);
}

/* Creates dir/name, replacing only a previous run's output. */
static int create_output(struct output_files *o, const char *name, char *err, size_t errlen)
{
	int fd = create_new(o->dirfd, name), e = errno;

	/* A symlink at the name fails O_NOFOLLOW with ELOOP. */
	if (fd < 0 && (e == EEXIST || e == ELOOP)) {
		e = EEXIST;
		/* unlinkat removes a symlink swapped in since, never its target. */
		if (is_previous_output(o->dirfd, name) &&
		    (unlinkat(o->dirfd, name, 0) == 0 || errno == ENOENT)) {
			fd = create_new(o->dirfd, name);
			e = errno;
		}
	}
	if (fd >= 0)
		return fd;
	if (e == EEXIST || e == ELOOP)
		set_err(err, errlen, "%s/%s exists and is not bpfprof's output: not replacing it",
			o->dir, name);
	else
		set_err(err, errlen, "cannot write in output directory '%s': %s", o->dir,
			strerror(e));
	return -1;
}

struct output_files *output_open(const char *dir, char *err, size_t errlen)
{
	struct output_files *o = calloc(1, sizeof(*o));
	struct stat st;
	int rc;

	if (!o) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	o->dirfd = o->flushes_fd = -1;
	o->dir = strdup(dir);
	if (!o->dir) {
		set_err(err, errlen, "out of memory");
		goto fail;
	}
	rc = mkdir_parents(dir, &o->created_dir);
	if (rc) {
		set_err(err, errlen, "cannot create output directory '%s': %s", dir, strerror(-rc));
		goto fail;
	}
	/* A symlink here could send root's files anywhere (one planted in /tmp). */
	o->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (o->dirfd < 0) {
		if (errno == ELOOP || (errno == ENOTDIR && !lstat(dir, &st) && S_ISLNK(st.st_mode)))
			set_err(err, errlen,
				"output directory '%s' is a symbolic link: give the directory "
				"itself",
				dir);
		else
			set_err(err, errlen, "output directory '%s': %s", dir,
				errno == ENOTDIR ? "is not a directory" : strerror(errno));
		goto fail;
	}
	/* A summary left by an earlier run would sit beside this run's
	 * flushes until the end (or forever, if this run is killed). */
	if (fstatat(o->dirfd, SUMMARY_NAME, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!is_previous_output(o->dirfd, SUMMARY_NAME)) {
			set_err(err, errlen,
				"%s/%s exists and is not bpfprof's output: not replacing it", dir,
				SUMMARY_NAME);
			goto fail;
		}
		unlinkat(o->dirfd, SUMMARY_NAME, 0);
	}
	o->flushes_fd = create_output(o, FLUSHES_NAME, err, errlen);
	if (o->flushes_fd < 0)
		goto fail;
	return o;
fail:
	output_discard(o);
	return NULL;
}

int output_create_file(struct output_files *o, const char *name, char *err, size_t errlen)
{
	char *copy;
	int fd;

	if (o->n_extra == MAX_EXTRA_FILES || !(copy = strdup(name))) {
		set_err(err, errlen, "too many output files");
		return -1;
	}
	fd = create_output(o, name, err, errlen);
	if (fd < 0) {
		free(copy);
		return -1;
	}
	o->extra[o->n_extra++] = copy;
	return fd;
}

int output_dirfd(const struct output_files *o)
{
	return o->dirfd;
}

/* Reported once for the run: the summary tells how much was lost. */
static void note_failure(struct output_files *o, const char *name, int e)
{
	if (o->first_error)
		return;
	o->first_error = e;
	fprintf(stderr, "bpfprof: writing %s/%s failed: %s (counted in the summary)\n", o->dir,
		name, strerror(e));
}

int output_write_whole(int fd, const char *buf, size_t len, off_t start, int *err)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*err = n < 0 ? errno : ENOSPC;
			/* Cut back, and seek back too: no hole before the next line. */
			if (done && (start < 0 || ftruncate(fd, start) || lseek(fd, start, SEEK_SET) < 0))
				return 1;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

int output_write_flush(struct output_files *o, json_t *record)
{
	char *s;
	size_t len;
	int rc, e = 0;

	if (o->flushes_broken) {
		o->lost++;
		return -EIO;
	}
	s = json_dumps(record, JSON_OUT_FLAGS);
	if (!s) {
		o->lost++;
		note_failure(o, FLUSHES_NAME, ENOMEM);
		return -ENOMEM;
	}
	len = strlen(s);
	s[len] = '\n'; /* replaces the NUL: json_dumps allocates len + 1 */
	rc = output_write_whole(o->flushes_fd, s, len + 1, lseek(o->flushes_fd, 0, SEEK_END), &e);
	free(s);
	if (!rc) {
		o->written++;
		return 0;
	}
	o->lost++;
	note_failure(o, FLUSHES_NAME, e);
	if (rc > 0) {
		/* A torn line stays: appending after it would glue two records. */
		o->flushes_broken = true;
		fprintf(stderr,
			"bpfprof: %s/%s: could not remove a partly written line: "
			"no more flush records this run\n",
			o->dir, FLUSHES_NAME);
	}
	return -e;
}

void output_describe(const struct output_files *o, struct output_record *r)
{
	*r = (struct output_record){
		.flush_records_written = o->written,
		.flush_records_lost = o->lost,
		.write_error = o->first_error,
	};
}

int output_write_summary(struct output_files *o, json_t *summary)
{
	char *s = json_dumps(summary, JSON_OUT_FLAGS | JSON_INDENT(1)), tmp[64];
	size_t len;
	int fd = -1, err = 0, e = 0;

	if (!s) {
		err = -ENOMEM;
		goto cleanup;
	}
	len = strlen(s);
	s[len] = '\n';
	/* Our pid in the name: nothing else has a reason to be there, and a
	 * stale one from a killed run of another pid is left alone. */
	snprintf(tmp, sizeof(tmp), ".%s.%d.tmp", SUMMARY_NAME, (int)getpid());
	unlinkat(o->dirfd, tmp, 0);
	fd = create_new(o->dirfd, tmp);
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	if (output_write_whole(fd, s, len + 1, 0, &e))
		err = -e;
	else if (fsync(fd))
		err = -errno;
	close(fd);
	if (!err && renameat(o->dirfd, tmp, o->dirfd, SUMMARY_NAME))
		err = -errno;
	if (err)
		unlinkat(o->dirfd, tmp, 0);
cleanup:
	if (err) {
		o->summary_failed = true;
		fprintf(stderr, "bpfprof: cannot write %s/%s: %s\n", o->dir, SUMMARY_NAME,
			strerror(-err));
	}
	free(s);
	return err;
}

unsigned long output_write_failures(const struct output_files *o)
{
	return o->lost + o->summary_failed;
}

void output_close(struct output_files *o)
{
	if (!o)
		return;
	if (o->flushes_fd >= 0)
		close(o->flushes_fd);
	if (o->dirfd >= 0)
		close(o->dirfd);
	for (size_t i = 0; i < o->n_extra; i++)
		free(o->extra[i]);
	free(o->dir);
	free(o);
}

void output_discard(struct output_files *o)
{
	if (!o)
		return;
	if (o->flushes_fd >= 0)
		unlinkat(o->dirfd, FLUSHES_NAME, 0);
	for (size_t i = 0; i < o->n_extra; i++)
		unlinkat(o->dirfd, o->extra[i], 0);
	if (o->created_dir && o->dir)
		rmdir(o->dir);
	output_close(o);
}
