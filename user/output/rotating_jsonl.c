// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "common/errmsg.h"
#include "output/output_files.h"
#include "output/rotating_jsonl.h"
#include "common/clock.h"

#define WRITE_BUF (1U << 20)
#define GZ_CHUNK (1U << 16)
/* Level 1: JSONL still shrinks ~10x, at several times level 6's speed, and
 * the compressor shares the machine with the target. */
#define GZ_MODE "wb1"

struct rotating_jsonl {
	int dirfd;
	char *dir, *name;
	struct rotate_policy pol;
	int fd;
	uint64_t file_bytes; /* in the current file */
	char *buf;
	size_t buf_len;
	uint64_t buf_lines;
	uint64_t next_rotate_ns; /* max_secs: the next scheduled rotation */
	unsigned int rotated;	 /* files rotated so far: NAME.1 .. NAME.rotated */
	bool *compressed;	 /* [i]: NAME.(i+1) became NAME.(i+1).gz */
	bool rotate_broken;	 /* a rotation failed: keep writing one file */
	bool closed;
	uint64_t written, failed; /* lines; read from other threads */
	unsigned long failures;	  /* read from other threads */

	/* --rotate-gzip: rotated file numbers waiting for the compressor */
	pthread_t gz_thread;
	bool gz_started, gz_stop;
	pthread_mutex_t gz_lock;
	pthread_cond_t gz_cond;
	unsigned int *gz_pending;
	size_t gz_n, gz_cap;
};

/* Once per file set: the run goes on, its exit status says it failed. */
static void report_failure(struct rotating_jsonl *f, const char *what, const char *file, int e)
{
	if (__atomic_fetch_add(&f->failures, 1, __ATOMIC_RELAXED))
		return;
	fprintf(stderr, "bpfprof: %s %s/%s failed: %s (counted in the summary)\n", what, f->dir,
		file, strerror(e));
}

/* NAME.N or NAME.N.gz (gz) or .NAME.N.gz.tmp (tmp) */
static void rotated_name(const struct rotating_jsonl *f, unsigned int n, bool gz, bool tmp,
			 char *buf, size_t len)
{
	snprintf(buf, len, "%s%s.%u%s%s", tmp ? "." : "", f->name, n, gz ? ".gz" : "",
		 tmp ? ".tmp" : "");
}

/* Whether s is NAME.N, NAME.N.gz or .NAME.N.gz.tmp */
static bool is_rotated_name(const char *s, const char *name)
{
	size_t nl = strlen(name);
	bool tmp = s[0] == '.';
	const char *p = s + tmp, *digits;

	if (strncmp(p, name, nl) || p[nl] != '.')
		return false;
	digits = p += nl + 1;
	while (*p >= '0' && *p <= '9')
		p++;
	if (p == digits)
		return false;
	return tmp ? !strcmp(p, ".gz.tmp") : (!*p || !strcmp(p, ".gz"));
}

/* A previous run's file: regular, ours, one link, and (read through gzip,
 * which passes plain files through) empty or opening with a bpfprof schema. */
static bool is_previous_output(int dirfd, const char *name)
{
	static const char prefix[] = "{\"schema\":\"bpfprof.";
	char buf[sizeof(prefix)] = "";
	struct stat st;
	gzFile gz;
	int fd, n;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_nlink != 1 || st.st_uid != geteuid() ||
	    !(gz = gzdopen(fd, "rb"))) {
		close(fd);
		return false;
	}
	n = gzread(gz, buf, sizeof(prefix) - 1);
	gzclose(gz);
	return n == 0 || (n == sizeof(prefix) - 1 && !memcmp(buf, prefix, (size_t)n));
}

static int remove_stale(struct rotating_jsonl *f, char *err, size_t errlen)
{
	int fd = dup(f->dirfd), rc = 0;
	struct dirent *de;
	DIR *d;

	if (fd < 0 || !(d = fdopendir(fd))) {
		set_err(err, errlen, "cannot list output directory '%s': %s", f->dir,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (!rc && (de = readdir(d))) {
		if (!is_rotated_name(de->d_name, f->name))
			continue;
		if (!is_previous_output(f->dirfd, de->d_name)) {
			set_err(err, errlen,
				"%s/%s exists and is not bpfprof's output: not replacing it",
				f->dir, de->d_name);
			rc = -1;
		} else if (unlinkat(f->dirfd, de->d_name, 0) && errno != ENOENT) {
			set_err(err, errlen, "cannot remove %s/%s (an earlier run's): %s", f->dir,
				de->d_name, strerror(errno));
			rc = -1;
		}
	}
	closedir(d);
	return rc;
}

/* After a rotation: NAME was just renamed away, so O_EXCL (anything there
 * now is not ours). */
static int open_current(struct rotating_jsonl *f)
{
	return openat(f->dirfd, f->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		      0644);
}

static void gz_mark(struct rotating_jsonl *f, unsigned int n)
{
	pthread_mutex_lock(&f->gz_lock);
	f->compressed[n - 1] = true;
	pthread_mutex_unlock(&f->gz_lock);
}

/* NAME.n to NAME.n.gz: written as a hidden temp file, renamed when whole. */
static void gz_one(struct rotating_jsonl *f, unsigned int n)
{
	char plain[512], tmp[512], gzname[512];
	int in = -1, out = -1, e = 0;
	char *chunk = malloc(GZ_CHUNK);
	gzFile gz = NULL;
	ssize_t got;

	rotated_name(f, n, false, false, plain, sizeof(plain));
	rotated_name(f, n, true, true, tmp, sizeof(tmp));
	rotated_name(f, n, true, false, gzname, sizeof(gzname));
	if (!chunk) {
		e = ENOMEM;
		goto cleanup;
	}
	in = openat(f->dirfd, plain, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	out = openat(f->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (in < 0 || out < 0) {
		e = errno;
		goto cleanup;
	}
	/* gzclose closes what it was given: hand it a dup, fsync ours. */
	gz = gzdopen(dup(out), GZ_MODE);
	if (!gz) {
		e = ENOMEM;
		goto cleanup;
	}
	while ((got = read(in, chunk, GZ_CHUNK)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 || gzwrite(gz, chunk, (unsigned int)got) != (int)got) {
			e = got < 0 ? errno : EIO;
			goto cleanup;
		}
	}
	if (gzclose(gz) != Z_OK) {
		gz = NULL;
		e = EIO;
		goto cleanup;
	}
	gz = NULL;
	if (fsync(out) || renameat2(f->dirfd, tmp, f->dirfd, gzname, RENAME_NOREPLACE)) {
		e = errno;
		goto cleanup;
	}
	unlinkat(f->dirfd, plain, 0);
	gz_mark(f, n);
cleanup:
	if (gz)
		gzclose(gz);
	if (e) {
		unlinkat(f->dirfd, tmp, 0);
		report_failure(f, "compressing", plain, e);
	}
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	free(chunk);
}

static void *gz_main(void *arg)
{
	struct rotating_jsonl *f = arg;

	pthread_mutex_lock(&f->gz_lock);
	for (;;) {
		unsigned int n;

		while (!f->gz_n && !f->gz_stop)
			pthread_cond_wait(&f->gz_cond, &f->gz_lock);
		if (!f->gz_n)
			break;
		n = f->gz_pending[0];
		memmove(f->gz_pending, f->gz_pending + 1, --f->gz_n * sizeof(*f->gz_pending));
		pthread_mutex_unlock(&f->gz_lock);
		gz_one(f, n);
		pthread_mutex_lock(&f->gz_lock);
	}
	pthread_mutex_unlock(&f->gz_lock);
	return NULL;
}

/* Hands NAME.n to the compressor; false when it cannot (then it stays plain). */
static bool gz_queue(struct rotating_jsonl *f, unsigned int n)
{
	bool ok = true;

	/* Started at the first rotation, by the writer thread: a thread gets
	 * its creator's capabilities, and the writer runs after they are
	 * dropped. */
	if (!f->gz_started) {
		if (pthread_create(&f->gz_thread, NULL, gz_main, f))
			return false;
		f->gz_started = true;
	}
	pthread_mutex_lock(&f->gz_lock);
	if (f->gz_n == f->gz_cap) {
		size_t cap = f->gz_cap ? 2 * f->gz_cap : 16;
		unsigned int *v = realloc(f->gz_pending, cap * sizeof(*v));

		if (v) {
			f->gz_pending = v;
			f->gz_cap = cap;
		}
	}
	if (f->gz_n < f->gz_cap)
		f->gz_pending[f->gz_n++] = n;
	else
		ok = false;
	pthread_cond_signal(&f->gz_cond);
	pthread_mutex_unlock(&f->gz_lock);
	return ok;
}

struct rotating_jsonl *rjsonl_open(int dirfd, const char *dir, const char *name, int fd,
				   const struct rotate_policy *p, char *err, size_t errlen)
{
	struct rotating_jsonl *f = calloc(1, sizeof(*f));

	if (!f) {
		set_err(err, errlen, "out of memory");
		close(fd);
		return NULL;
	}
	f->fd = fd;
	f->dirfd = dirfd;
	f->pol = *p;
	pthread_mutex_init(&f->gz_lock, NULL);
	pthread_cond_init(&f->gz_cond, NULL);
	f->dir = strdup(dir);
	f->name = strdup(name);
	f->buf = malloc(WRITE_BUF);
	if (!f->dir || !f->name || !f->buf) {
		set_err(err, errlen, "out of memory");
		goto fail;
	}
	if (remove_stale(f, err, errlen))
		goto fail;
	if (p->max_secs > 0)
		f->next_rotate_ns = clock_mono_ns() + (uint64_t)(p->max_secs * 1e9);
	return f;
fail:
	rjsonl_free(f);
	return NULL;
}

void rjsonl_flush(struct rotating_jsonl *f)
{
	int e = 0;

	if (!f->buf_len || f->fd < 0)
		return;
	if (output_write_whole(f->fd, f->buf, f->buf_len, (off_t)f->file_bytes, &e)) {
		__atomic_add_fetch(&f->failed, f->buf_lines, __ATOMIC_RELAXED);
		report_failure(f, "writing", f->name, e);
	} else {
		f->file_bytes += f->buf_len;
		__atomic_add_fetch(&f->written, f->buf_lines, __ATOMIC_RELAXED);
	}
	f->buf_len = 0;
	f->buf_lines = 0;
}

/* The current file becomes NAME.N; a new NAME starts. */
static void rotate(struct rotating_jsonl *f)
{
	unsigned int n = f->rotated + 1;
	char next[512];
	bool *c;
	int fd;

	rjsonl_flush(f);
	if (f->rotate_broken || !f->file_bytes)
		return;
	/* The compressor writes compressed[] under gz_lock. */
	pthread_mutex_lock(&f->gz_lock);
	c = realloc(f->compressed, n * sizeof(*c));
	if (c) {
		c[n - 1] = false;
		f->compressed = c;
	}
	pthread_mutex_unlock(&f->gz_lock);
	if (!c) {
		report_failure(f, "rotating", f->name, ENOMEM);
		f->rotate_broken = true;
		return;
	}
	rotated_name(f, n, false, false, next, sizeof(next));
	if (renameat2(f->dirfd, f->name, f->dirfd, next, RENAME_NOREPLACE)) {
		report_failure(f, "rotating", f->name, errno);
		f->rotate_broken = true;
		return;
	}
	fd = open_current(f);
	if (fd < 0) {
		report_failure(f, "rotating", f->name, errno);
		f->rotate_broken = true;
		/* Keep the open file under its name. */
		renameat2(f->dirfd, next, f->dirfd, f->name, RENAME_NOREPLACE);
		return;
	}
	close(f->fd);
	f->fd = fd;
	f->file_bytes = 0;
	f->rotated = n;
	if (f->pol.gzip && !gz_queue(f, n))
		report_failure(f, "compressing", next, ENOMEM);
}

void rjsonl_append(struct rotating_jsonl *f, const char *line, size_t len)
{
	uint64_t pending = f->file_bytes + f->buf_len;

	if (f->pol.max_bytes && pending && pending + len > f->pol.max_bytes)
		rotate(f);
	if (f->buf_len + len > WRITE_BUF)
		rjsonl_flush(f);
	if (len > WRITE_BUF) {
		/* Longer than the buffer: on its own. */
		int e = 0;

		if (output_write_whole(f->fd, line, len, (off_t)f->file_bytes, &e)) {
			__atomic_add_fetch(&f->failed, 1, __ATOMIC_RELAXED);
			report_failure(f, "writing", f->name, e);
		} else {
			f->file_bytes += len;
			__atomic_add_fetch(&f->written, 1, __ATOMIC_RELAXED);
		}
		return;
	}
	memcpy(f->buf + f->buf_len, line, len);
	f->buf_len += len;
	f->buf_lines++;
}

uint64_t rjsonl_tick(struct rotating_jsonl *f, uint64_t now_ns)
{
	uint64_t period;

	if (f->pol.max_secs <= 0)
		return 0;
	if (now_ns < f->next_rotate_ns)
		return f->next_rotate_ns;
	period = (uint64_t)(f->pol.max_secs * 1e9);
	rotate(f);
	while (f->next_rotate_ns <= now_ns)
		f->next_rotate_ns += period;
	return f->next_rotate_ns;
}

void rjsonl_close(struct rotating_jsonl *f)
{
	if (!f || f->closed)
		return;
	f->closed = true;
	rjsonl_flush(f);
	if (f->fd >= 0 && fsync(f->fd) && errno != EINVAL)
		report_failure(f, "writing", f->name, errno);
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	if (f->gz_started) {
		pthread_mutex_lock(&f->gz_lock);
		f->gz_stop = true;
		pthread_cond_signal(&f->gz_cond);
		pthread_mutex_unlock(&f->gz_lock);
		pthread_join(f->gz_thread, NULL);
		f->gz_started = false;
	}
}

json_t *rjsonl_files_json(const struct rotating_jsonl *f)
{
	json_t *arr = json_array();
	char name[512];

	for (unsigned int n = 1; n <= f->rotated; n++) {
		rotated_name(f, n, f->compressed[n - 1], false, name, sizeof(name));
		json_array_append_new(arr, json_string(name));
	}
	json_array_append_new(arr, json_string(f->name));
	return arr;
}

void rjsonl_free(struct rotating_jsonl *f)
{
	if (!f)
		return;
	rjsonl_close(f);
	pthread_mutex_destroy(&f->gz_lock);
	pthread_cond_destroy(&f->gz_cond);
	free(f->gz_pending);
	free(f->compressed);
	free(f->buf);
	free(f->dir);
	free(f->name);
	free(f);
}

uint64_t rjsonl_lines_written(const struct rotating_jsonl *f)
{
	return __atomic_load_n(&f->written, __ATOMIC_RELAXED);
}

uint64_t rjsonl_lines_failed(const struct rotating_jsonl *f)
{
	return __atomic_load_n(&f->failed, __ATOMIC_RELAXED);
}

unsigned long rjsonl_failures(const struct rotating_jsonl *f)
{
	return __atomic_load_n(&f->failures, __ATOMIC_RELAXED);
}
