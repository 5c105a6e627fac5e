// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "probes/bpf_loader.h"
#include "common/clock.h"
#include "probes/stage_switch.h"
#include "probes/usdt.h"

int stage_switch_open(struct stage_switch *sw, struct bpfprof_bpf *skel,
		      const struct stage_table *t, enum uprobe_link_kind kind, pid_t pid, char *err,
		      size_t errlen)
{
	int *def_fd = calloc(t->n ? t->n : 1, sizeof(*def_fd));
	int rc = 0;

	memset(sw, 0, sizeof(*sw));
	sw->kind = kind;
	sw->pid = pid;
	sw->via_fd.v = calloc(t->n ? t->n : 1, sizeof(*sw->via_fd.v));
	sw->fds = calloc(t->n ? t->n : 1, sizeof(*sw->fds));
	if (!sw->via_fd.v || !sw->fds || !def_fd) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto cleanup;
	}
	for (size_t i = 0; i < t->n; i++) {
		struct stage_def *d = &sw->via_fd.v[i];
		char path[64];
		int fd = -1;

		/* One fd per binary. */
		for (size_t k = 0; k < i && fd < 0; k++)
			if (!strcmp(t->v[k].path, t->v[i].path))
				fd = def_fd[k];
		*d = t->v[i];
		d->path = NULL;
		if (fd < 0) {
			fd = open(t->v[i].path, O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				rc = -errno;
				snprintf(err, errlen, "cannot open %s: %s", t->v[i].binary,
					 strerror(errno));
				goto cleanup;
			}
			sw->fds[sw->n_fds++] = fd;
		}
		def_fd[i] = fd;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		d->path = strdup(path);
		sw->via_fd.n = i + 1;
		if (!d->path) {
			rc = -ENOMEM;
			snprintf(err, errlen, "out of memory");
			goto cleanup;
		}
	}
	sw->via_fd.sample_every = t->sample_every;
	sw->skel = skel;
cleanup:
	free(def_fd);
	if (rc)
		stage_switch_close(sw);
	return rc;
}

bool stage_switch_is_open(const struct stage_switch *sw)
{
	return sw->skel != NULL;
}

bool stage_switch_detaches(const struct stage_switch *sw)
{
	return sw->kind != UPROBE_LINK_PERF;
}

int stage_switch_attach(struct stage_switch *sw, char *err, size_t errlen)
{
	struct stage_progs progs;
	double t0 = clock_mono_s();
	int rc;

	if (sw->attached)
		return 0;
	if (!sw->skel) {
		snprintf(err, errlen, "the probes are closed");
		return -EBADF;
	}
	loader_stage_programs(sw->skel, sw->kind, &progs);
	loader_next_stage_gen(sw->skel);
	rc = stages_attach(&sw->via_fd, sw->kind, &progs, sw->pid, &sw->links, err, errlen);
	if (!rc) {
		rc = usdt_attach(&sw->via_fd, sw->skel, sw->pid, &sw->links, err, errlen);
		if (rc)
			stages_detach(&sw->links);
	}
	sw->last_ms = (clock_mono_s() - t0) * 1e3;
	sw->attached = !rc;
	return rc;
}

int stage_switch_on(struct stage_switch *sw, char *err, size_t errlen)
{
	int rc = stage_switch_attach(sw, err, errlen);

	if (!rc)
		loader_set_stages_enabled(sw->skel, true);
	return rc;
}

void stage_switch_off(struct stage_switch *sw)
{
	double t0 = clock_mono_s();

	if (!sw->skel)
		return;
	loader_set_stages_enabled(sw->skel, false);
	if (!stage_switch_detaches(sw) || !sw->attached)
		return;
	stages_detach(&sw->links);
	sw->attached = false;
	sw->last_ms = (clock_mono_s() - t0) * 1e3;
}

void stage_switch_close(struct stage_switch *sw)
{
	stages_detach(&sw->links);
	sw->attached = false;
	for (size_t i = 0; i < sw->via_fd.n; i++)
		free(sw->via_fd.v[i].path);
	free(sw->via_fd.v);
	sw->via_fd.v = NULL;
	sw->via_fd.n = 0;
	for (size_t i = 0; i < sw->n_fds; i++)
		close(sw->fds[i]);
	free(sw->fds);
	sw->fds = NULL;
	sw->n_fds = 0;
	sw->skel = NULL;
}

void stage_switch_describe(const struct stage_switch *sw, char *buf, size_t len)
{
	char what[160];

	snprintf(buf, len, "%s in %.1f ms", stages_describe(&sw->via_fd, false, what, sizeof(what)),
		 sw->last_ms);
}
