// SPDX-License-Identifier: MIT
/* Reading the fields and lines of a run's files for the report: each
 * problem one line naming the file, the line and the field
 * (report_read.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "common/errmsg.h"
#include "report/report_read.h"

size_t report_line_limit = REPORT_LINE_LIMIT;

__attribute__((format(printf, 2, 3))) int bad(const struct where *w, const char *fmt, ...)
{
	char msg[256], line[32] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (w->line)
		snprintf(line, sizeof(line), ":%ld", w->line);
	set_err(w->err, w->errlen, "%s%s: %s%s%s", w->file, line, w->what ? w->what : "",
		w->what && *w->what ? ": " : "", msg);
	return -1;
}

int get_u64(const struct where *w, json_t *obj, const char *key, uint64_t *out)
{
	json_t *v = json_object_get(obj, key);

	*out = 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return bad(w, "'%s' %s", key, v ? "is not a count" : "is missing");
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/* Optional: 0 when missing. */
int opt_u64(const struct where *w, json_t *obj, const char *key, uint64_t *out)
{
	*out = 0;
	return json_object_get(obj, key) ? get_u64(w, obj, key, out) : 0;
}

int get_str(const struct where *w, json_t *obj, const char *key, const char **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!json_is_string(v))
		return bad(w, "'%s' %s", key, v ? "is not a string" : "is missing");
	*out = json_string_value(v);
	return 0;
}

int get_kind(const struct where *w, json_t *obj, const char *key, json_type type,
		    json_t **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_typeof(v) != type)
		return bad(w, "'%s' %s", key,
			   v ? (type == JSON_ARRAY ? "is not an array" : "is not an object")
			     : "is missing");
	*out = v;
	return 0;
}

/* A kernel-side (__u64) field. */
int get_u64x(const struct where *w, json_t *obj, const char *key, __u64 *out)
{
	uint64_t v;
	int rc = get_u64(w, obj, key, &v);

	*out = v;
	return rc;
}

/*
 * path opened for reading if it is a regular file, not through a symlink at
 * its last component: a FIFO would block the read forever, a device or
 * /proc file is no run's output, and a link could point at a file the
 * reader should not echo in an error (/etc/shadow). O_NONBLOCK so opening
 * a FIFO does not wait for a writer. Returns the fd, or -1 with err set;
 * -2 with errno ENOENT when there is no such file.
 */
int open_regular(const struct where *w, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			return -2;
		if (errno == ELOOP)
			return bad(w, "is a symbolic link: not following it");
		return bad(w, "%s", strerror(errno));
	}
	if (fstat(fd, &st)) {
		bad(w, "%s", strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		bad(w, "not a regular file (%s): not reading it",
		    S_ISFIFO(st.st_mode)   ? "a FIFO"
		    : S_ISDIR(st.st_mode)  ? "a directory"
		    : S_ISSOCK(st.st_mode) ? "a socket"
					   : "a device");
	} else {
		return fd;
	}
	close(fd);
	return -1;
}

/* zlib's message without the "<fd:N>: " gzdopen puts in front. */
static const char *gz_reason(gzFile gz)
{
	int zerr;
	const char *msg = gzerror(gz, &zerr), *end = strstr(msg, ">: ");

	return !strncmp(msg, "<fd:", 4) && end ? end + 3 : msg;
}

/*
 * Line by line through zlib, which reads plain files as they are and
 * gzip files decompressed. Calls fn for each complete line; a last line
 * without its newline is a truncated file.
 */
int read_jsonl(struct report *r, const char *path, line_fn fn, bool flushes, char *err,
	       size_t errlen)
{
	struct where w = { .file = path, .err = err, .errlen = errlen };
	int fd = open_regular(&w, path), ret = -1, zerr;
	gzFile gz;
	size_t cap = 65536, len = 0;
	char *buf = NULL;

	if (fd == -2)
		return bad(&w, "%s", strerror(ENOENT));
	if (fd < 0)
		return -1;
	gz = gzdopen(fd, "rb");
	if (!gz) {
		close(fd);
		return bad(&w, "out of memory");
	}
	buf = malloc(cap);
	if (!buf) {
		bad(&w, "out of memory");
		goto cleanup;
	}
	for (;;) {
		json_error_t je;
		json_t *rec;

		if (!gzgets(gz, buf + len, (int)(cap - len))) {
			gzerror(gz, &zerr);
			if (zerr != Z_OK && zerr != Z_STREAM_END) {
				bad(&w, "corrupt compressed data: %s", gz_reason(gz));
				goto cleanup;
			}
			if (len && r->cut_short && flushes) {
				/* Killed mid-write: the torn line is left out. */
				r->torn_lines++;
				break;
			}
			if (len) {
				w.line++;
				bad(&w, "truncated: the last line has no end");
				goto cleanup;
			}
			break;
		}
		len += strlen(buf + len);
		if (len && buf[len - 1] != '\n') {
			if (len < cap - 1)
				continue; /* EOF next, or a NUL in the line */
			/* A gzip member of a few MB can hold GBs without a newline. */
			if (cap > report_line_limit) {
				w.line++;
				bad(&w, "line longer than %zu bytes: not a bpfprof file",
				    report_line_limit);
				goto cleanup;
			}
			cap = cap * 2 > report_line_limit + 1 ? report_line_limit + 1 : cap * 2;
			char *nb = realloc(buf, cap);

			if (!nb) {
				bad(&w, "out of memory");
				goto cleanup;
			}
			buf = nb;
			continue;
		}
		w.line++;
		rec = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
		len = 0;
		if (!rec || !json_is_object(rec)) {
			bad(&w, "not a JSON object%s%s", rec ? "" : ": ", rec ? "" : je.text);
			json_decref(rec);
			goto cleanup;
		}
		ret = fn(r, &w, rec);
		json_decref(rec);
		if (ret)
			goto cleanup;
		ret = -1;
	}
	gzerror(gz, &zerr);
	if (zerr != Z_OK && zerr != Z_STREAM_END) {
		bad(&w, "corrupt compressed data: %s", gz_reason(gz));
		goto cleanup;
	}
	ret = 0;
cleanup:
	free(buf);
	gzclose(gz);
	return ret;
}
