// SPDX-License-Identifier: MIT
/*
 * `report --pprof FILE`: the CPU samples as a pprof profile (the message of
 * user/report/proto/profile.proto, encoded by protobuf-c, gzip'd as go tool
 * pprof expects). One function and one location per function name (the
 * samples file keeps names, not addresses); one pprof sample per stack,
 * with values [samples, cpu nanoseconds] and the labels stage (the
 * innermost open stage, "(none)" outside any), comm and pid.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "common/strmap.h"
#include "report/report.h"
#include "pprof/profile.pb-c.h"

#define NO_STAGE_LABEL "(none)"

typedef Perftools__Profiles__Profile Profile;
typedef Perftools__Profiles__Sample Sample;
typedef Perftools__Profiles__Label Label;
typedef Perftools__Profiles__Location Location;
typedef Perftools__Profiles__Line Line;
typedef Perftools__Profiles__Function Function;
typedef Perftools__Profiles__ValueType ValueType;
typedef Perftools__Profiles__Mapping Mapping;

struct pprof_build {
	struct strmap strings; /* string -> index in table */
	char **table;
	size_t n_table, cap_table;
	struct strmap funcs; /* "u:name" / "k:name" -> function index */
	Function *fn;
	Location *loc;
	Line *lines;
	Line **line_ptrs;
	size_t n_fn, cap_fn;
	bool oom;
};

static int64_t str_index(struct pprof_build *b, const char *s)
{
	struct strmap_slot *slot;
	int added;

	slot = strmap_put(&b->strings, s, (long)b->n_table, &added);
	if (!slot) {
		b->oom = true;
		return 0;
	}
	if (!added)
		return slot->value;
	if (b->n_table == b->cap_table) {
		size_t cap = b->cap_table ? b->cap_table * 2 : 256;
		char **t = realloc(b->table, cap * sizeof(*t));

		if (!t) {
			b->oom = true;
			return 0;
		}
		b->table = t;
		b->cap_table = cap;
	}
	b->table[b->n_table] = slot->key;
	return (int64_t)b->n_table++;
}

/* The location id (function index + 1) of a frame. */
static uint64_t frame_location(struct pprof_build *b, const char *name, bool kernel)
{
	size_t len = strlen(name) + 3;
	char *key = malloc(len);
	struct strmap_slot *slot;
	int added;

	if (!key) {
		b->oom = true;
		return 1;
	}
	snprintf(key, len, "%c:%s", kernel ? 'k' : 'u', name);
	slot = strmap_put(&b->funcs, key, (long)b->n_fn, &added);
	free(key);
	if (!slot) {
		b->oom = true;
		return 1;
	}
	if (!added)
		return (uint64_t)slot->value + 1;
	if (b->n_fn == b->cap_fn) {
		size_t cap = b->cap_fn ? b->cap_fn * 2 : 256;
		Function *fn = realloc(b->fn, cap * sizeof(*fn));
		Location *loc = fn ? realloc(b->loc, cap * sizeof(*loc)) : NULL;
		Line *lines = loc ? realloc(b->lines, cap * sizeof(*lines)) : NULL;

		if (fn)
			b->fn = fn;
		if (loc)
			b->loc = loc;
		if (!lines) {
			b->oom = true;
			return 1;
		}
		b->lines = lines;
		b->cap_fn = cap;
	}
	perftools__profiles__function__init(&b->fn[b->n_fn]);
	b->fn[b->n_fn].id = b->n_fn + 1;
	b->fn[b->n_fn].name = str_index(b, name);
	b->fn[b->n_fn].system_name = b->fn[b->n_fn].name;
	b->fn[b->n_fn].filename = str_index(b, kernel ? "[kernel]" : "");
	return ++b->n_fn;
}

/* Pointers into the arrays, once they no longer move. */
static int link_locations(struct pprof_build *b, Function ***fns, Location ***locs)
{
	b->line_ptrs = calloc(b->n_fn + 1, sizeof(*b->line_ptrs));
	*fns = calloc(b->n_fn + 1, sizeof(**fns));
	*locs = calloc(b->n_fn + 1, sizeof(**locs));
	if (!b->line_ptrs || !*fns || !*locs)
		return -ENOMEM;
	for (size_t i = 0; i < b->n_fn; i++) {
		perftools__profiles__line__init(&b->lines[i]);
		b->lines[i].function_id = i + 1;
		b->line_ptrs[i] = &b->lines[i];
		perftools__profiles__location__init(&b->loc[i]);
		b->loc[i].id = i + 1;
		b->loc[i].mapping_id = 1;
		b->loc[i].address = i + 1; /* distinct, so no reader merges two */
		b->loc[i].n_line = 1;
		b->loc[i].line = &b->line_ptrs[i];
		(*fns)[i] = &b->fn[i];
		(*locs)[i] = &b->loc[i];
	}
	return 0;
}

/* Deflate with a gzip header and trailer, to f. */
static int write_gzip(FILE *f, const uint8_t *buf, size_t len)
{
	uint8_t out[65536];
	z_stream z = {};
	int rc;

	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY))
		return -1;
	z.next_in = (uint8_t *)buf;
	z.avail_in = (uInt)len;
	do {
		z.next_out = out;
		z.avail_out = sizeof(out);
		rc = deflate(&z, Z_FINISH);
		if (rc == Z_STREAM_ERROR ||
		    fwrite(out, 1, sizeof(out) - z.avail_out, f) != sizeof(out) - z.avail_out) {
			deflateEnd(&z);
			return -1;
		}
	} while (rc != Z_STREAM_END);
	deflateEnd(&z);
	return 0;
}

int report_write_pprof(FILE *f, const struct report *r, int top)
{
	struct pprof_build b = {};
	ValueType types[2], period_type, *type_ptrs[2] = { &types[0], &types[1] };
	Mapping mapping, *mapping_ptr = &mapping;
	size_t n = r->n_samples, total_locs = 0;
	Sample *samples = calloc(n ? n : 1, sizeof(*samples));
	Sample **sample_ptrs = calloc(n ? n : 1, sizeof(*sample_ptrs));
	Label *labels = calloc(3 * (n ? n : 1), sizeof(*labels));
	Label **label_ptrs = calloc(3 * (n ? n : 1), sizeof(*label_ptrs));
	int64_t *values = calloc(2 * (n ? n : 1), sizeof(*values));
	uint64_t *loc_ids, period = r->sample_hz ? 1000000000ULL / r->sample_hz : 0;
	Function **fns = NULL;
	Location **locs = NULL;
	Profile p;
	uint8_t *buf = NULL;
	size_t len;
	int ret = -1;

	strmap_init(&b.strings);
	strmap_init(&b.funcs);
	for (size_t i = 0; i < n; i++)
		total_locs += r->samples[i].n_frames;
	loc_ids = calloc(total_locs ? total_locs : 1, sizeof(*loc_ids));
	if (!samples || !sample_ptrs || !labels || !label_ptrs || !values || !loc_ids)
		goto out;
	str_index(&b, ""); /* index 0 is the empty string */
	perftools__profiles__profile__init(&p);
	perftools__profiles__value_type__init(&types[0]);
	types[0].type = str_index(&b, "samples");
	types[0].unit = str_index(&b, "count");
	perftools__profiles__value_type__init(&types[1]);
	types[1].type = str_index(&b, "cpu");
	types[1].unit = str_index(&b, "nanoseconds");
	period_type = types[1];
	total_locs = 0;
	for (size_t i = 0; i < n; i++) {
		const struct rep_sample *s = &r->samples[i];
		Sample *out = &samples[i];
		Label *l = &labels[3 * i];

		perftools__profiles__sample__init(out);
		out->location_id = &loc_ids[total_locs];
		/* Leaf first. */
		for (size_t k = s->n_frames; k-- > 0;)
			loc_ids[total_locs++] = frame_location(&b, s->frames[k], k >= s->n_user);
		out->n_location_id = s->n_frames;
		values[2 * i] = (int64_t)s->count;
		values[2 * i + 1] = (int64_t)(s->count * period);
		out->value = &values[2 * i];
		out->n_value = 2;
		for (int k = 0; k < 3; k++) {
			perftools__profiles__label__init(&l[k]);
			label_ptrs[3 * i + k] = &l[k];
		}
		l[0].key = str_index(&b, "stage");
		l[0].str = str_index(&b, s->stage ? s->stage : NO_STAGE_LABEL);
		l[1].key = str_index(&b, "comm");
		l[1].str = str_index(&b, s->comm);
		l[2].key = str_index(&b, "pid");
		l[2].num = s->pid;
		out->label = &label_ptrs[3 * i];
		out->n_label = 3;
		sample_ptrs[i] = out;
	}
	perftools__profiles__mapping__init(&mapping);
	mapping.id = 1;
	mapping.has_functions = 1;
	mapping.filename = str_index(&b, "bpfprof");
	if (b.oom || link_locations(&b, &fns, &locs))
		goto out;
	p.n_sample_type = 2;
	p.sample_type = type_ptrs;
	p.n_sample = n;
	p.sample = sample_ptrs;
	p.n_mapping = 1;
	p.mapping = &mapping_ptr;
	p.n_location = b.n_fn;
	p.location = locs;
	p.n_function = b.n_fn;
	p.function = fns;
	p.n_string_table = b.n_table;
	p.string_table = b.table;
	p.period_type = &period_type;
	p.period = (int64_t)period;
	p.default_sample_type = types[1].type; /* "cpu", as a string index */
	len = perftools__profiles__profile__get_packed_size(&p);
	buf = malloc(len ? len : 1);
	if (!buf)
		goto out;
	perftools__profiles__profile__pack(&p, buf);
	ret = write_gzip(f, buf, len);
out:
	if (ret && !errno)
		errno = ENOMEM;
	free(buf);
	free(fns);
	free(locs);
	free(b.line_ptrs);
	free(b.lines);
	free(b.loc);
	free(b.fn);
	free(b.table);
	strmap_free(&b.funcs);
	strmap_free(&b.strings);
	free(loc_ids);
	free(values);
	free(label_ptrs);
	free(labels);
	free(sample_ptrs);
	free(samples);
	return ret;
}
