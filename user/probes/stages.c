// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "common/text.h"
#include "bpfprof.h"
#include "probes/stage_spec.h"
#include "probes/stages.h"

static int add_site(struct stage_table *t, const struct stage_spec *spec,
		    const struct sym_match *m)
{
	struct stage_def *d, *v;

	/* The same function matched by two specs is one stage. */
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].offset == m->probe_offset && !strcmp(t->v[i].path, spec->path))
			return 0;
	v = realloc(t->v, (t->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	t->v = v;
	d = &t->v[t->n];
	memset(d, 0, sizeof(*d));
	d->name = strdup(m->demangled ? m->demangled : m->name);
	d->binary = strdup(spec->display_path);
	d->path = strdup(spec->path);
	d->offset = m->probe_offset;
	d->skipped = m->skipped;
	d->kind = m->kind;
	t->n++;
	if (!d->name || !d->binary || !d->path)
		return -ENOMEM;
	return 0;
}

int stages_resolve(const char *const *specs, int n, pid_t pid, const char *main_exe,
		   struct stage_table *out, FILE *info, char *err, size_t errlen)
{
	int rc = 0;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < n && !rc; i++) {
		struct stage_spec spec = {};
		struct sym_list syms = {};

		rc = stage_spec_parse(specs[i], &spec, err, errlen);
		if (!rc)
			rc = stage_spec_resolve(&spec, pid, main_exe, err, errlen);
		if (!rc)
			rc = symbols_match(spec.path, spec.glob, &syms, err, errlen);
		if (!rc && !syms.n) {
			snprintf(err, errlen, "-u '%s': no function in %s matches '%s'%s", specs[i],
				 spec.display_path, spec.glob,
				 !syms.table ? " (the binary has no symbols)"
				 : !strcmp(syms.table, ".dynsym")
					 ? " (it is stripped: only its exported .dynsym functions can be "
					   "timed)"
					 : "");
			rc = -ENOENT;
		}
		if (!rc && out->n + syms.n > STAGE_MAX_COUNT) {
			snprintf(err, errlen, "-u '%s': more than %d functions in all", specs[i],
				 STAGE_MAX_COUNT);
			rc = -E2BIG;
		}
		for (size_t k = 0; !rc && k < syms.n; k++)
			rc = add_site(out, &spec, &syms.v[k]);
		if (!rc && info)
			fprintf(info, "bpfprof: -u '%s': %zu function%s in %s\n",
				text_safe(specs[i]), syms.n, syms.n == 1 ? "" : "s",
				text_safe(spec.display_path));
		if (rc == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		sym_list_free(&syms);
		stage_spec_free(&spec);
	}
	if (rc)
		stage_table_free(out);
	return rc;
}

void stage_table_free(struct stage_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].name);
		free(t->v[i].binary);
		free(t->v[i].path);
	}
	free(t->v);
	memset(t, 0, sizeof(*t));
}

void stages_print(FILE *f, const struct stage_table *t)
{
	fprintf(f, "%-12s %-12s %s  %s\n", "OFFSET", "ENTRY", "FUNCTION", "BINARY");
	for (size_t i = 0; i < t->n; i++) {
		const struct stage_def *d = &t->v[i];

		fprintf(f, "0x%-10lx %-12s %s  %s%s\n", (unsigned long)d->offset,
			entry_kind_name(d->kind), text_safe(d->name), text_safe(d->binary),
			d->skipped ? "  (probe after endbr64)" : "");
	}
	fprintf(f, "%zu function%s\n", t->n, t->n == 1 ? "" : "s");
}

size_t stages_single_stepped(const struct stage_table *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++)
		n += t->v[i].kind == ENTRY_SINGLE_STEP;
	return n;
}

enum uprobe_link_kind stages_pick_link_kind(void)
{
	if (uprobe_link_kernel_supports(UPROBE_LINK_SESSION))
		return UPROBE_LINK_SESSION;
	if (uprobe_link_kernel_supports(UPROBE_LINK_MULTI))
		return UPROBE_LINK_MULTI;
	return UPROBE_LINK_PERF;
}

static int push_link(struct stage_links *l, struct uprobe_link *link)
{
	struct uprobe_link *v = realloc(l->links, (l->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	l->links = v;
	l->links[l->n++] = *link;
	return 0;
}

int stages_attach(const struct stage_table *t, enum uprobe_link_kind kind,
		  const struct bpf_program *entry, const struct bpf_program *ret, pid_t pid,
		  struct stage_links *out, char *err, size_t errlen)
{
	uint64_t *offsets = calloc(t->n ? t->n : 1, sizeof(*offsets));
	uint64_t *cookies = calloc(t->n ? t->n : 1, sizeof(*cookies));
	bool *done = calloc(t->n ? t->n : 1, sizeof(*done));
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->kind = kind;
	if (!offsets || !cookies || !done) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto cleanup;
	}
	/* One pass per binary: gather its sites, attach them together. */
	for (size_t i = 0; i < t->n && !rc; i++) {
		const char *path = t->v[i].path;
		size_t cnt = 0;

		if (done[i])
			continue;
		for (size_t k = i; k < t->n; k++) {
			if (done[k] || strcmp(t->v[k].path, path))
				continue;
			offsets[cnt] = t->v[k].offset;
			cookies[cnt++] = k;
			done[k] = true;
		}
		for (int pass = 0; pass < (kind == UPROBE_LINK_SESSION ? 1 : 2) && !rc; pass++) {
			struct uprobe_link link = UPROBE_LINK_INIT;

			rc = uprobe_link_attach(&link, pass ? ret : entry, kind, pass == 1, path,
						offsets, cookies, cnt, pid);
			if (rc) {
				snprintf(err, errlen, "cannot attach %zu uprobe%s to %s (%s links): %s",
					 cnt, cnt == 1 ? "" : "s", t->v[i].binary,
					 uprobe_link_kind_name(kind), strerror(-rc));
				break;
			}
			rc = push_link(out, &link);
			if (rc) {
				uprobe_link_destroy(&link);
				snprintf(err, errlen, "out of memory");
			}
		}
	}
	if (rc)
		stages_detach(out);
cleanup:
	free(offsets);
	free(cookies);
	free(done);
	return rc;
}

void stages_detach(struct stage_links *l)
{
	for (size_t i = 0; i < l->n; i++)
		uprobe_link_destroy(&l->links[i]);
	free(l->links);
	l->links = NULL;
	l->n = 0;
}
