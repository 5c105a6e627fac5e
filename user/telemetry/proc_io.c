// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "common/errmsg.h"
#include "telemetry/proc_io.h"
#include "procio.h"
#include "procio.skel.h"

struct proc_io {
	struct procio_bpf *skel;
	struct bpf_link *link;
};

struct proc_io *proc_io_open(char *err, size_t errlen)
{
	struct proc_io *p = calloc(1, sizeof(*p));
	int rc;

	if (!p) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	p->skel = procio_bpf__open_and_load();
	if (!p->skel) {
		set_err(err, errlen, "cannot load the I/O counter iterator: %s", strerror(errno));
		goto fail;
	}
	p->link = bpf_program__attach_iter(p->skel->progs.procio, NULL);
	if (!p->link) {
		set_err(err, errlen, "cannot attach the I/O counter iterator: %s", strerror(errno));
		goto fail;
	}
	return p;
fail:
	rc = errno;
	proc_io_close(p);
	errno = rc;
	return NULL;
}

/* Adds the rows of buf for tgid to t; returns how many there were. */
static int add_rows(const char *buf, size_t len, __u32 tgid, struct proc_telemetry *t)
{
	int rows = 0;

	for (size_t off = 0; off + sizeof(struct procio_row) <= len;
	     off += sizeof(struct procio_row)) {
		struct procio_row r;

		memcpy(&r, buf + off, sizeof(r));
		if (r.tgid != tgid)
			continue;
		t->rchar += r.rchar;
		t->wchar += r.wchar;
		t->read_bytes += r.read_bytes;
		t->write_bytes += r.write_bytes;
		rows++;
	}
	return rows;
}

int proc_io_read(struct proc_io *p, struct proc_telemetry *t)
{
	__u32 tgid = (__u32)t->pid;
	__u8 one = 1;
	char buf[64 * sizeof(struct procio_row)];
	size_t used = 0;
	int fd = -1, rc = 0, rows = 0;
	ssize_t n;

	if (!p)
		return -ENOTSUP;
	if (bpf_map_update_elem(bpf_map__fd(p->skel->maps.wanted), &tgid, &one, BPF_ANY))
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(p->link));
	if (fd < 0) {
		rc = -errno;
		goto cleanup;
	}
	t->rchar = t->wchar = t->read_bytes = t->write_bytes = 0;
	/* Rows are whole in each read; a buffer's worth at a time. */
	while ((n = read(fd, buf + used, sizeof(buf) - used)) > 0) {
		used += (size_t)n;
		if (used >= sizeof(buf) - sizeof(struct procio_row)) {
			size_t whole = used - used % sizeof(struct procio_row);

			rows += add_rows(buf, whole, tgid, t);
			memmove(buf, buf + whole, used - whole);
			used -= whole;
		}
	}
	if (n < 0) {
		rc = -errno;
		goto cleanup;
	}
	rows += add_rows(buf, used, tgid, t);
	t->have_io = rows > 0;
	rc = rows > 0 ? 0 : -ESRCH;
cleanup:
	if (fd >= 0)
		close(fd);
	bpf_map_delete_elem(bpf_map__fd(p->skel->maps.wanted), &tgid);
	return rc;
}

void proc_io_close(struct proc_io *p)
{
	if (!p)
		return;
	bpf_link__destroy(p->link);
	procio_bpf__destroy(p->skel);
	free(p);
}
