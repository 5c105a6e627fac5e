// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "common/errmsg.h"
#include "common/text.h"
#include "output/output_files.h"

#define FLUSHES_NAME "flushes.jsonl"
#define SUMMARY_NAME "summary.json"
static const char *const end_files[] = { "samples.jsonl" };
#define FILE_MODE 0644
#define DIR_MODE 0755
#define MAX_EXTRA_FILES 8
/* As the kernel's path walk: more than this is a loop. */
#define MAX_LINKS 40
/* Room kept for summary.json from the start, grown with the flush lines
 * (the summary holds every process a line holds, cumulated, indented). */
#define SUMMARY_RESERVE_MIN (256 << 10)
#define SUMMARY_RESERVE_PER_LINE 4

struct output_files {
	char *dir;
	int dirfd;
	int flushes_fd;
	unsigned long written; /* flush lines */
	unsigned long lost;    /* flush lines not written */
	bool summary_failed;
	unsigned long files_failed; /* output_write_file's */
	bool flushes_broken; /* a failed line could not be undone: stop appending */
	int first_error;     /* errno of the first failed write */
	/* The output directory, when this run created it: its parent's fd and
	 * its name there, for output_discard (a path could lead elsewhere by
	 * then). parent_fd -1 otherwise. */
	int created_parent_fd;
	char *created_name;
	char *extra[MAX_EXTRA_FILES]; /* output_create_file's, for output_discard */
	size_t n_extra;
	/* summary.json's temp file, created at the start with room allocated
	 * (beyond its end), so a disk that events fill up still takes it. */
	int reserve_fd;
	char reserve_name[64];
	off_t reserved;
	size_t largest_line;
};

/* Filesystems that hold no files of ours: creating one fails with a
 * misleading ENOENT (procfs) or worse. NULL for an ordinary one. */
static const char *pseudo_fs_name(int dirfd)
{
	struct statfs sf;

	if (fstatfs(dirfd, &sf))
		return NULL;
	switch ((unsigned long)sf.f_type) {
	case PROC_SUPER_MAGIC:
		return "procfs";
	case SYSFS_MAGIC:
		return "sysfs";
	case CGROUP_SUPER_MAGIC:
	case CGROUP2_SUPER_MAGIC:
		return "a cgroup filesystem";
	case DEBUGFS_MAGIC:
		return "debugfs";
	case TRACEFS_MAGIC:
		return "tracefs";
	case BPF_FS_MAGIC:
		return "bpffs";
	case SECURITYFS_MAGIC:
		return "securityfs";
	default:
		return NULL;
	}
}

/* Opening DIR one component at a time, each relative to the last. */
struct walk {
	const char *dir; /* as given, for messages */
	int links;	 /* symlinks followed so far */
	int created_parent_fd;
	char *created_name;
	char *err;
	size_t errlen;
};

/*
 * Whether to follow the symlink described by link, found in the directory
 * described by dir. Like the kernel's protected_symlinks, and stricter:
 * a link owned by another user is never followed (whoever owns it chose
 * where root's files go), a root-owned one (/var/run -> /run) only outside
 * sticky world-writable directories (/tmp) unless root is the caller.
 */
static bool may_follow(const struct stat *dir, const struct stat *link)
{
	bool sticky_public = (dir->st_mode & (S_ISVTX | S_IWOTH)) == (S_ISVTX | S_IWOTH);

	return link->st_uid == geteuid() || (link->st_uid == 0 && !sticky_public);
}

static int walk_path(struct walk *w, int start_fd, const char *path, bool outer);

/* The directory name in dirfd as a new fd (-1 with err set). prefix is
 * the path walked to it, for messages; last: the output directory itself,
 * which must not be a symlink at all; create: mkdir it when missing. */
static int walk_step(struct walk *w, int dirfd, const char *name, const char *prefix, bool last,
		     bool create)
{
	char target[PATH_MAX];
	struct stat dir_st, link_st;
	ssize_t n;
	int fd;

	for (int tries = 0; tries < 3; tries++) {
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0 || errno != ENOENT || !create)
			break;
		if (mkdirat(dirfd, name, DIR_MODE) == 0) {
			if (last) {
				w->created_parent_fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
				w->created_name = strdup(name);
			}
		} else if (errno != EEXIST) {
			int e = errno;
			const char *fs = pseudo_fs_name(dirfd);

			if (fs)
				set_err(w->err, w->errlen,
					"cannot create output directory '%s': its parent is on "
					"%s, which holds no ordinary files",
					w->dir, fs);
			else
				set_err(w->err, w->errlen,
					"cannot create output directory '%s': %s", w->dir,
					strerror(e));
			return -1;
		}
	}
	if (fd >= 0)
		return fd;
	if (errno != ELOOP && errno != ENOTDIR) {
		set_err(w->err, w->errlen, "output directory '%s': %s: %s", w->dir, prefix,
			strerror(errno));
		return -1;
	}
	if (fstatat(dirfd, name, &link_st, AT_SYMLINK_NOFOLLOW) || !S_ISLNK(link_st.st_mode)) {
		if (last)
			set_err(w->err, w->errlen, "output directory '%s': is not a directory",
				w->dir);
		else
			set_err(w->err, w->errlen,
				"cannot create output directory '%s': %s is not a directory",
				w->dir, prefix);
		return -1;
	}
	if (last) {
		set_err(w->err, w->errlen,
			"output directory '%s' is a symbolic link: give the directory itself",
			w->dir);
		return -1;
	}
	if (fstat(dirfd, &dir_st) || !may_follow(&dir_st, &link_st)) {
		set_err(w->err, w->errlen,
			"output directory '%s': not following symbolic link %s, owned by uid %u%s",
			w->dir, prefix, (unsigned int)link_st.st_uid,
			link_st.st_uid == 0 ? " in a sticky world-writable directory"
					    : ", not by us");
		return -1;
	}
	n = readlinkat(dirfd, name, target, sizeof(target));
	if (n < 0 || (size_t)n >= sizeof(target) || ++w->links > MAX_LINKS) {
		set_err(w->err, w->errlen, "output directory '%s': %s: %s", w->dir, prefix,
			strerror(n < 0 ? errno : ELOOP));
		return -1;
	}
	target[n] = '\0';
	return walk_path(w, dirfd, target, false);
}

/*
 * path from start_fd (or / when absolute) as a directory fd, never
 * following a symlink may_follow refuses. outer: path is DIR itself (its
 * missing directories are created, its last component must not be a
 * symlink); else a symlink's target, resolved as the kernel would.
 */
static int walk_path(struct walk *w, int start_fd, const char *path, bool outer)
{
	size_t len = strlen(path), last_end = 0;
	int fd;

	/* The last component that is not "." (DIR/. is DIR). */
	for (size_t i = 0; i < len;) {
		size_t j = i;

		while (j < len && path[j] != '/')
			j++;
		if (j > i && !(j - i == 1 && path[i] == '.'))
			last_end = j;
		i = j + 1;
	}
	if (path[0] == '/' || start_fd == AT_FDCWD)
		fd = open(path[0] == '/' ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	else
		fd = fcntl(start_fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0) {
		set_err(w->err, w->errlen, "output directory '%s': %s", w->dir, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < len && fd >= 0;) {
		char name[NAME_MAX + 1], prefix[PATH_MAX];
		size_t j = i;
		int next;

		while (j < len && path[j] != '/')
			j++;
		if (j == i || (j - i == 1 && path[i] == '.')) {
			i = j + 1;
			continue;
		}
		if (j - i > NAME_MAX) {
			set_err(w->err, w->errlen, "output directory '%s': %s", w->dir,
				strerror(ENAMETOOLONG));
			close(fd);
			return -1;
		}
		memcpy(name, path + i, j - i);
		name[j - i] = '\0';
		snprintf(prefix, sizeof(prefix), "'%.*s'", (int)j, path);
		next = walk_step(w, fd, name, prefix, outer && j == last_end, outer);
		close(fd);
		fd = next;
		i = j + 1;
	}
	return fd;
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

/* Allocates want bytes for the summary's temp file (without changing its
 * size); what the filesystem cannot give is simply not reserved. */
static void reserve_room(struct output_files *o, off_t want)
{
	/* On a small filesystem, as much as there is, down to 16 KiB. */
	for (; want > o->reserved && want >= (16 << 10); want /= 2) {
		if (o->reserve_fd < 0)
			return;
		if (!fallocate(o->reserve_fd, FALLOC_FL_KEEP_SIZE, 0, want)) {
			o->reserved = want;
			return;
		}
	}
}

/*
 * A killed run's summary temp file holds its room (allocated past its end,
 * so it looks empty): removed when it is ours (a regular file of ours with
 * one link) and the run that made it is gone.
 */
static void remove_stale_reserves(struct output_files *o)
{
	int fd = openat(o->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		char tail[8] = "";
		struct stat st;
		int pid;

		if (sscanf(de->d_name, "." SUMMARY_NAME ".%d%7s", &pid, tail) != 2 ||
		    strcmp(tail, ".tmp") || pid <= 0 || pid == getpid() ||
		    (kill(pid, 0) && errno != ESRCH) || !kill(pid, 0))
			continue;
		if (!fstatat(o->dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) &&
		    S_ISREG(st.st_mode) && st.st_nlink == 1 && st.st_uid == geteuid())
			unlinkat(o->dirfd, de->d_name, 0);
	}
	closedir(d);
}

static void open_reserve(struct output_files *o)
{
	remove_stale_reserves(o);
	/* Our pid in the name: nothing else has a reason to be there. */
	snprintf(o->reserve_name, sizeof(o->reserve_name), ".%s.%d.tmp", SUMMARY_NAME,
		 (int)getpid());
	unlinkat(o->dirfd, o->reserve_name, 0);
	o->reserve_fd = create_new(o->dirfd, o->reserve_name);
	reserve_room(o, SUMMARY_RESERVE_MIN);
}

static void drop_reserve(struct output_files *o)
{
	if (o->reserve_fd < 0)
		return;
	close(o->reserve_fd);
	o->reserve_fd = -1;
	unlinkat(o->dirfd, o->reserve_name, 0);
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
	struct walk w = { .dir = dir, .created_parent_fd = -1, .err = err, .errlen = errlen };
	const char *fs;
	struct stat st;

	if (!o) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	o->dirfd = o->flushes_fd = o->created_parent_fd = o->reserve_fd = -1;
	o->dir = strdup(dir);
	if (!o->dir) {
		set_err(err, errlen, "out of memory");
		goto fail;
	}
	o->dirfd = walk_path(&w, AT_FDCWD, dir, true);
	o->created_parent_fd = w.created_parent_fd;
	o->created_name = w.created_name;
	if (o->dirfd < 0)
		goto fail;
	fs = pseudo_fs_name(o->dirfd);
	if (fs) {
		set_err(err, errlen,
			"cannot write in output directory '%s': it is on %s, which holds no "
			"ordinary files",
			dir, fs);
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
	/* Files written at the end by some runs only: a previous run's would
	 * pass for this one's. */
	for (size_t i = 0; i < sizeof(end_files) / sizeof(end_files[0]); i++)
		if (is_previous_output(o->dirfd, end_files[i]))
			unlinkat(o->dirfd, end_files[i], 0);
	o->flushes_fd = create_output(o, FLUSHES_NAME, err, errlen);
	if (o->flushes_fd < 0)
		goto fail;
	open_reserve(o);
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
			if (done &&
			    (start < 0 || ftruncate(fd, start) || lseek(fd, start, SEEK_SET) < 0))
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
	if (len > o->largest_line) {
		o->largest_line = len;
		reserve_room(o, (off_t)(len * SUMMARY_RESERVE_PER_LINE));
	}
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

/*
 * tmp renamed to summary.json, replacing only a previous bpfprof output:
 * output_open removed the last run's, so one there now was put there during
 * the run, by someone else unless it is ours. Theirs is kept and this run's
 * summary goes to summary-PID.json (said on stderr: still a failure, the
 * reader expects summary.json). Returns 0 or -errno.
 */
static int publish_summary(struct output_files *o, const char *tmp)
{
	char aside[64];
	struct stat st;
	int e;

	if (!renameat2(o->dirfd, tmp, o->dirfd, SUMMARY_NAME, RENAME_NOREPLACE))
		return 0;
	e = errno;
	if (e == EINVAL) { /* a filesystem without RENAME_NOREPLACE: check, then rename */
		if (fstatat(o->dirfd, SUMMARY_NAME, &st, AT_SYMLINK_NOFOLLOW) && errno == ENOENT)
			return renameat(o->dirfd, tmp, o->dirfd, SUMMARY_NAME) ? -errno : 0;
		e = EEXIST;
	}
	if (e != EEXIST)
		return -e;
	if (is_previous_output(o->dirfd, SUMMARY_NAME))
		return renameat(o->dirfd, tmp, o->dirfd, SUMMARY_NAME) ? -errno : 0;
	snprintf(aside, sizeof(aside), "summary-%d.json", (int)getpid());
	if (renameat2(o->dirfd, tmp, o->dirfd, aside, RENAME_NOREPLACE))
		return -EEXIST;
	o->summary_failed = true;
	fprintf(stderr,
		"bpfprof: %s/%s appeared during the run and is not bpfprof's: not replacing it; "
		"this run's summary is %s/%s\n",
		text_safe(o->dir), SUMMARY_NAME, text_safe(o->dir), aside);
	return 0;
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
	if (o->reserve_fd >= 0) {
		/* Into the room kept for it; then the rest is given back. */
		fd = o->reserve_fd;
		o->reserve_fd = -1;
		snprintf(tmp, sizeof(tmp), "%s", o->reserve_name);
	} else {
		snprintf(tmp, sizeof(tmp), ".%s.%d.tmp", SUMMARY_NAME, (int)getpid());
		unlinkat(o->dirfd, tmp, 0);
		fd = create_new(o->dirfd, tmp);
		if (fd < 0) {
			err = -errno;
			goto cleanup;
		}
	}
	if (output_write_whole(fd, s, len + 1, 0, &e))
		err = -e;
	/* Truncating to its own size frees the room allocated past the end
	 * (punching a hole there is a no-op on ext4). */
	else if (ftruncate(fd, (off_t)(len + 1)))
		err = -errno;
	else if (fsync(fd))
		err = -errno;
	close(fd);
	if (!err)
		err = publish_summary(o, tmp);
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

/*
 * name in the directory holding buf, whole: temp file, fsync, rename onto
 * name, replacing only a previous bpfprof output (one that appeared since
 * output_write_file looked is someone's: -EEXIST).
 */
static int write_whole_file(struct output_files *o, const char *name, const char *buf, size_t len)
{
	char tmp[300];
	int fd, err = 0, e = 0;

	/* Our pid in the name, as for the summary. */
	snprintf(tmp, sizeof(tmp), ".%s.%d.tmp", name, (int)getpid());
	unlinkat(o->dirfd, tmp, 0);
	fd = create_new(o->dirfd, tmp);
	if (fd < 0)
		return -errno;
	if (output_write_whole(fd, buf, len, 0, &e))
		err = -e;
	else if (fsync(fd))
		err = -errno;
	close(fd);
	if (!err && renameat2(o->dirfd, tmp, o->dirfd, name, RENAME_NOREPLACE)) {
		struct stat st;

		err = -errno;
		/* EINVAL: a filesystem without RENAME_NOREPLACE: check, then rename. */
		if (err == -EINVAL && fstatat(o->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) &&
		    errno == ENOENT)
			err = renameat(o->dirfd, tmp, o->dirfd, name) ? -errno : 0;
		else if ((err == -EEXIST || err == -EINVAL) && is_previous_output(o->dirfd, name))
			err = renameat(o->dirfd, tmp, o->dirfd, name) ? -errno : 0;
		else if (err == -EINVAL)
			err = -EEXIST;
	}
	if (err)
		unlinkat(o->dirfd, tmp, 0);
	return err;
}

int output_write_file(struct output_files *o, const char *name, const char *buf, size_t len)
{
	struct stat st;
	int err;

	/* Someone's file of that name is not replaced. */
	if (fstatat(o->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    !is_previous_output(o->dirfd, name))
		err = -EEXIST;
	else
		err = write_whole_file(o, name, buf, len);

	if (err) {
		o->files_failed++;
		fprintf(stderr, "bpfprof: cannot write %s/%s: %s\n", text_safe(o->dir), name,
			strerror(-err));
	}
	return err;
}

unsigned long output_write_failures(const struct output_files *o)
{
	return o->lost + o->summary_failed + o->files_failed;
}

void output_close(struct output_files *o)
{
	if (!o)
		return;
	drop_reserve(o); /* no summary was written */
	if (o->flushes_fd >= 0)
		close(o->flushes_fd);
	if (o->dirfd >= 0)
		close(o->dirfd);
	for (size_t i = 0; i < o->n_extra; i++)
		free(o->extra[i]);
	if (o->created_parent_fd >= 0)
		close(o->created_parent_fd);
	free(o->created_name);
	free(o->dir);
	free(o);
}

void output_discard(struct output_files *o)
{
	if (!o)
		return;
	drop_reserve(o);
	if (o->flushes_fd >= 0)
		unlinkat(o->dirfd, FLUSHES_NAME, 0);
	for (size_t i = 0; i < o->n_extra; i++)
		unlinkat(o->dirfd, o->extra[i], 0);
	if (o->created_parent_fd >= 0 && o->created_name)
		unlinkat(o->created_parent_fd, o->created_name, AT_REMOVEDIR);
	output_close(o);
}
