// SPDX-License-Identifier: MIT
/* Separate debug files: build-id directory, .gnu_debuglink, debuginfod. */
#include <elfutils/debuginfod.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "common/errmsg.h"
#include "probes/debuginfo.h"

#define BUILD_ID_HEX 129 /* ids are at most 64 bytes */
#define DEBUGINFOD_DEFAULT_TIMEOUT_S 15

/* What a file says about itself: build id and debuglink. */
struct elf_ids {
	char build_id[BUILD_ID_HEX];
	char link[256];
	uint32_t link_crc;
	bool has_link;
};

const char *debuginfo_root(void)
{
	const char *r = getenv("BPFPROF_DEBUG_ROOT");

	return r && *r ? r : "/usr/lib/debug";
}

/* Length of a leading "/proc/PID/root" (0 if none): the target's root,
 * through which its files are opened. */
static size_t proc_root_len(const char *p)
{
	const char *q;

	if (strncmp(p, "/proc/", 6))
		return 0;
	q = p + 6;
	if (*q < '0' || *q > '9')
		return 0;
	while (*q >= '0' && *q <= '9')
		q++;
	if (strncmp(q, "/root/", 6))
		return 0;
	return (size_t)(q + 5 - p);
}

const char *debuginfo_shown_path(const char *path)
{
	return path + proc_root_len(path);
}

const char *debuginfo_origin_name(enum debuginfo_origin o)
{
	switch (o) {
	case DEBUGINFO_BUILD_ID_DIR:
		return "build-id dir";
	case DEBUGINFO_DEBUGLINK:
		return "debuglink";
	case DEBUGINFO_DEBUGINFOD:
		return "debuginfod";
	case DEBUGINFO_NONE:
		break;
	}
	return "";
}

static void note_build_id(Elf_Data *data, char *hex)
{
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nh;

	while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		const uint8_t *desc = (const uint8_t *)data->d_buf + desc_off;

		if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
		    memcmp((const char *)data->d_buf + name_off, "GNU", 4) || !nh.n_descsz ||
		    2 * (size_t)nh.n_descsz + 1 > BUILD_ID_HEX)
			continue;
		for (size_t b = 0; b < nh.n_descsz; b++)
			snprintf(hex + 2 * b, 3, "%02x", desc[b]);
		return;
	}
}

/* Build id from the SHT_NOTE sections (a debug file keeps those, while its
 * segments point at nothing), and the .gnu_debuglink section. */
static int read_ids(const char *path, struct elf_ids *ids)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	int fd, ret = 0;
	Elf *elf;

	memset(ids, 0, sizeof(*ids));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx)) {
		ret = -ENOEXEC;
		goto out;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		const char *name;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (sh.sh_type == SHT_NOTE && !ids->build_id[0] && (d = elf_getdata(scn, NULL)))
			note_build_id(d, ids->build_id);
		if (name && !strcmp(name, ".gnu_debuglink") && (d = elf_getdata(scn, NULL)) &&
		    d->d_size > 4) {
			size_t len = strnlen(d->d_buf, d->d_size);
			size_t crc_off = (len + 4) & ~(size_t)3;

			if (len && len < sizeof(ids->link) && crc_off + 4 <= d->d_size) {
				memcpy(ids->link, d->d_buf, len);
				memcpy(&ids->link_crc, (const char *)d->d_buf + crc_off, 4);
				ids->has_link = true;
			}
		}
	}
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return ret;
}

static int file_crc32(const char *path, uint32_t *crc)
{
	unsigned char buf[65536];
	uLong c = crc32(0L, Z_NULL, 0);
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((got = read(fd, buf, sizeof(buf))) > 0)
		c = crc32(c, buf, (uInt)got);
	close(fd);
	if (got < 0)
		return -EIO;
	*crc = (uint32_t)c;
	return 0;
}

/*
 * A candidate debug file: 1 when it is @binary's, 0 when absent, -EILSEQ
 * (with @err) when it belongs to another build. Without build ids the
 * debuglink CRC decides.
 */
static int check_candidate(const char *cand, const char *display, const struct elf_ids *bin,
			   char *err, size_t errlen)
{
	struct elf_ids dbg;
	struct stat st;
	uint32_t crc;

	if (stat(cand, &st) || !S_ISREG(st.st_mode))
		return 0;
	if (read_ids(cand, &dbg)) {
		set_err(err, errlen, "debug file %s for '%s' is not a valid ELF file",
			debuginfo_shown_path(cand), display);
		return -EILSEQ;
	}
	if (bin->build_id[0]) {
		if (strcmp(dbg.build_id, bin->build_id)) {
			set_err(err, errlen,
				"debug file %s does not match '%s': build id %s, the binary's %s",
				debuginfo_shown_path(cand), display, dbg.build_id[0] ? dbg.build_id : "(none)",
				bin->build_id);
			return -EILSEQ;
		}
		return 1;
	}
	if (file_crc32(cand, &crc) || crc != bin->link_crc) {
		set_err(err, errlen, "debug file %s does not match '%s': its CRC is not the one "
			"the binary's .gnu_debuglink names", debuginfo_shown_path(cand), display);
		return -EILSEQ;
	}
	return 1;
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int find_local(const char *binary, const char *display, const struct elf_ids *ids,
		      struct debuginfo *out, char *err, size_t errlen)
{
	const char *slash;
	char root[PATH_MAX], dir[PATH_MAX], cand[PATH_MAX];
	int r;

	/* The target's debug tree: under its root when seen through /proc. */
	if (snprintf(root, sizeof(root), "%.*s%s", (int)proc_root_len(binary), binary,
		     debuginfo_root()) >= (int)sizeof(root))
		return 0;
	if (ids->build_id[0]) {
		if (snprintf(cand, sizeof(cand), "%s/.build-id/%.2s/%s.debug", root, ids->build_id,
			     ids->build_id + 2) >= (int)sizeof(cand))
			return 0;
		r = check_candidate(cand, display, ids, err, errlen);
		if (r) {
			out->origin = DEBUGINFO_BUILD_ID_DIR;
			snprintf(out->path, sizeof(out->path), "%s", cand);
			return r;
		}
	}
	if (!ids->has_link || strchr(ids->link, '/'))
		return 0;
	slash = strrchr(binary, '/');
	if (slash)
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - binary), binary);
	else
		snprintf(dir, sizeof(dir), ".");
	/* The three places gdb looks, in its order. */
	for (int i = 0; i < 3; i++) {
		int n;

		if (i == 0)
			n = snprintf(cand, sizeof(cand), "%s/%s", dir, ids->link);
		else if (i == 1)
			n = snprintf(cand, sizeof(cand), "%s/.debug/%s", dir, ids->link);
		else
			n = snprintf(cand, sizeof(cand), "%s%s%s/%s", root,
				     dir[proc_root_len(dir)] == '/' ? "" : "/",
				     dir + proc_root_len(dir), ids->link);
		if (n < 0 || (size_t)n >= sizeof(cand) || same_file(cand, binary))
			continue;
		r = check_candidate(cand, display, ids, err, errlen);
		if (r) {
			out->origin = DEBUGINFO_DEBUGLINK;
			snprintf(out->path, sizeof(out->path), "%s", cand);
			return r;
		}
	}
	return 0;
}

struct fetch_state {
	struct timespec deadline;
	bool timed_out;
};

/* Called while a download goes on: past the deadline, abort it. */
static int fetch_progress(debuginfod_client *c, long done, long total)
{
	struct fetch_state *fs = debuginfod_get_user_data(c);
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec > fs->deadline.tv_sec ||
	    (now.tv_sec == fs->deadline.tv_sec && now.tv_nsec >= fs->deadline.tv_nsec)) {
		fs->timed_out = true;
		return 1;
	}
	return 0;
}

static double fetch_timeout_s(void)
{
	const char *t = getenv("BPFPROF_DEBUGINFOD_TIMEOUT");
	double v;
	char *end;

	if (!t || !*t)
		return DEBUGINFOD_DEFAULT_TIMEOUT_S;
	v = strtod(t, &end);
	return *end || v <= 0 ? DEBUGINFOD_DEFAULT_TIMEOUT_S : v;
}

/*
 * libdebuginfod records a failed download as an empty file in its cache
 * and then answers "not found" without asking again for a while: right
 * after a server that was down or slow, that would hide the debug file.
 */
static void forget_failed_fetch(const char *build_id)
{
	const char *cache = getenv("DEBUGINFOD_CACHE_PATH"), *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	char path[PATH_MAX];
	struct stat st;
	int n;

	if (cache && *cache)
		n = snprintf(path, sizeof(path), "%s/%s/debuginfo", cache, build_id);
	else if (xdg && *xdg)
		n = snprintf(path, sizeof(path), "%s/debuginfod_client/%s/debuginfo", xdg,
			     build_id);
	else if (home && *home)
		n = snprintf(path, sizeof(path), "%s/.cache/debuginfod_client/%s/debuginfo", home,
			     build_id);
	else
		return;
	if (n < 0 || (size_t)n >= sizeof(path))
		return;
	if (!lstat(path, &st) && S_ISREG(st.st_mode) && st.st_size == 0)
		unlink(path);
}

static int find_remote(const char *display, const struct elf_ids *ids, struct debuginfo *out,
		       char *err, size_t errlen)
{
	const char *urls = getenv("DEBUGINFOD_URLS");
	struct fetch_state fs = {};
	debuginfod_client *c;
	double timeout = fetch_timeout_s();
	char *path = NULL;
	int fd, r;

	if (!urls || !*urls || !ids->build_id[0])
		return 0;
	c = debuginfod_begin();
	if (!c) {
		set_err(err, errlen, "debuginfod: cannot start a client");
		return -ENOMEM;
	}
	clock_gettime(CLOCK_MONOTONIC, &fs.deadline);
	fs.deadline.tv_sec += (time_t)timeout;
	fs.deadline.tv_nsec += (long)((timeout - (double)(time_t)timeout) * 1e9);
	if (fs.deadline.tv_nsec >= 1000000000L) {
		fs.deadline.tv_sec++;
		fs.deadline.tv_nsec -= 1000000000L;
	}
	debuginfod_set_user_data(c, &fs);
	debuginfod_set_progressfn(c, fetch_progress);
	fd = debuginfod_find_debuginfo(c, (const unsigned char *)ids->build_id, 0, &path);
	debuginfod_end(c);
	if (fd >= 0) {
		close(fd);
		snprintf(out->path, sizeof(out->path), "%s", path);
		free(path);
		out->origin = DEBUGINFO_DEBUGINFOD;
		r = check_candidate(out->path, display, ids, err, errlen);
		return r ? r : -ENOENT;
	}
	free(path);
	/* An aborted download also says -ENOENT: only the flag tells. */
	if (fd == -ENOENT && !fs.timed_out)
		return 0; /* the servers answered: they do not have it */
	forget_failed_fetch(ids->build_id);
	if (fs.timed_out || fd == -ETIMEDOUT)
		set_err(err, errlen,
			"debuginfod (DEBUGINFOD_URLS=%s) did not answer within %gs for '%s' "
			"(build id %s); unset DEBUGINFOD_URLS to use only local debug files",
			urls, timeout, display, ids->build_id);
	else
		set_err(err, errlen,
			"debuginfod (DEBUGINFOD_URLS=%s) failed for '%s' (build id %s): %s; "
			"unset DEBUGINFOD_URLS to use only local debug files",
			urls, display, ids->build_id, strerror(-fd));
	return fs.timed_out ? -ETIMEDOUT : fd;
}

int debuginfo_find(const char *binary, const char *display, struct debuginfo *out, char *err,
		   size_t errlen)
{
	struct elf_ids ids;
	int r;

	memset(out, 0, sizeof(*out));
	if (read_ids(binary, &ids))
		return 0; /* the caller has checked it is ELF: no sections to go by */
	r = find_local(binary, display, &ids, out, err, errlen);
	if (!r)
		r = find_remote(display, &ids, out, err, errlen);
	if (r <= 0)
		out->origin = DEBUGINFO_NONE;
	return r;
}
