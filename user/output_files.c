// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "output_files.h"

#define FLUSHES_NAME "flushes.jsonl"
#define SUMMARY_NAME "summary.json"
#define SUMMARY_TMP ".summary.json.tmp"

struct output_files {
	char *dir;
	int dirfd;
	int flushes_fd;
	unsigned long failures;
	bool created_dir;
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
		if (mkdir(path, 0755) == 0) {
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

struct output_files *output_open(const char *dir, char *err, size_t errlen)
{
	struct output_files *o = calloc(1, sizeof(*o));
	struct stat st;
	int rc;

	if (!o) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	o->dirfd = o->flushes_fd = -1;
	o->dir = strdup(dir);
	if (!o->dir) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	rc = mkdir_parents(dir, &o->created_dir);
	if (rc) {
		snprintf(err, errlen, "cannot create output directory '%s': %s", dir, strerror(-rc));
		goto fail;
	}
	o->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (o->dirfd < 0 || fstat(o->dirfd, &st)) {
		snprintf(err, errlen, "output directory '%s': %s", dir,
			 errno == ENOTDIR ? "is not a directory" : strerror(errno));
		goto fail;
	}
	o->flushes_fd = openat(o->dirfd, FLUSHES_NAME,
			       O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (o->flushes_fd < 0) {
		snprintf(err, errlen, "cannot write in output directory '%s': %s", dir,
			 strerror(errno));
		goto fail;
	}
	return o;
fail:
	output_discard(o);
	return NULL;
}

/* Everything or nothing of buf: a short write is undone by truncating back,
 * so the file holds whole lines only. */
static int write_line(struct output_files *o, int fd, const char *buf, size_t len)
{
	off_t start = lseek(fd, 0, SEEK_END);
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : ENOSPC;

			if (start >= 0 && ftruncate(fd, start))
				e = errno;
			if (!o->failures++)
				fprintf(stderr, "bpfprof: writing %s/%s failed: %s (counted in the summary)\n",
					o->dir, fd == o->flushes_fd ? FLUSHES_NAME : SUMMARY_NAME,
					strerror(e));
			return -e;
		}
		done += (size_t)n;
	}
	return 0;
}

int output_write_flush(struct output_files *o, json_t *record)
{
	char *s = json_dumps(record, JSON_OUT_FLAGS);
	size_t len;
	int err;

	if (!s)
		return -ENOMEM;
	len = strlen(s);
	s[len] = '\n'; /* replaces the NUL: json_dumps allocates len + 1 */
	err = write_line(o, o->flushes_fd, s, len + 1);
	free(s);
	return err;
}

int output_write_summary(struct output_files *o, json_t *summary)
{
	char *s = json_dumps(summary, JSON_OUT_FLAGS | JSON_INDENT(1));
	size_t len;
	int fd, err;

	if (!s)
		return -ENOMEM;
	len = strlen(s);
	s[len] = '\n';
	unlinkat(o->dirfd, SUMMARY_TMP, 0);
	fd = openat(o->dirfd, SUMMARY_TMP, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0644);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	err = write_line(o, fd, s, len + 1);
	if (!err && fsync(fd))
		err = -errno;
	close(fd);
	if (!err && renameat(o->dirfd, SUMMARY_TMP, o->dirfd, SUMMARY_NAME))
		err = -errno;
	if (err)
		unlinkat(o->dirfd, SUMMARY_TMP, 0);
out:
	if (err && !o->failures++)
		fprintf(stderr, "bpfprof: writing %s/%s failed: %s\n", o->dir, SUMMARY_NAME,
			strerror(-err));
	free(s);
	return err;
}

unsigned long output_write_failures(const struct output_files *o)
{
	return o->failures;
}

void output_close(struct output_files *o)
{
	if (!o)
		return;
	if (o->flushes_fd >= 0)
		close(o->flushes_fd);
	if (o->dirfd >= 0)
		close(o->dirfd);
	free(o->dir);
	free(o);
}

void output_discard(struct output_files *o)
{
	if (!o)
		return;
	if (o->flushes_fd >= 0)
		unlinkat(o->dirfd, FLUSHES_NAME, 0);
	if (o->created_dir && o->dir)
		rmdir(o->dir);
	output_close(o);
}
