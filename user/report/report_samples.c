// SPDX-License-Identifier: MIT
/*
 * The run's CPU samples (DIR/samples.jsonl, --cpu-sample) read back, and
 * written as folded stacks (one "frame;frame;... count" line per stack,
 * what FlameGraph and speedscope read) and as a flame graph: one SVG file
 * that needs nothing else, zooms into a frame on click and searches by
 * regular expression, in a script of its own.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/errmsg.h"
#include "report/report.h"
#include "samples/sample_data.h"
#include "common/sort.h"

#define SAMPLES_NAME "samples.jsonl"

static int bad_line(char *err, size_t errlen, const char *path, size_t line, const char *what)
{
	set_err(err, errlen, "%s line %zu: %s", path, line, what);
	return -1;
}

/* The frames of a line's "user" or "kernel" array, appended at v + *n. */
static bool take_frames(json_t *arr, const char **v, size_t *n)
{
	json_t *f;
	size_t i;

	if (!json_is_array(arr))
		return false;
	json_array_foreach(arr, i, f)
	{
		if (!json_is_string(f))
			return false;
		v[(*n)++] = json_string_value(f);
	}
	return true;
}

static int sample_line(struct report *r, json_t *o, const char *path, size_t line, char *err,
		       size_t errlen)
{
	json_t *user = json_object_get(o, "user"), *kernel = json_object_get(o, "kernel");
	json_t *stage = json_object_get(o, "stage"), *count = json_object_get(o, "count");
	json_t *pid = json_object_get(o, "pid"), *comm = json_object_get(o, "comm");
	struct rep_sample *s;
	size_t n = 0;

	if (!json_is_integer(pid) || !json_is_string(comm) || !json_is_integer(count) ||
	    json_integer_value(count) <= 0 || !(json_is_string(stage) || json_is_null(stage)) ||
	    !json_is_array(user) || !json_is_array(kernel))
		return bad_line(err, errlen, path, line,
				"expected pid, comm, stage, count > 0, user and kernel");
	s = &r->samples[r->n_samples];
	memset(s, 0, sizeof(*s));
	s->frames = calloc(json_array_size(user) + json_array_size(kernel) + 1, sizeof(char *));
	if (!s->frames)
		return bad_line(err, errlen, path, line, "out of memory");
	s->pid = (uint32_t)json_integer_value(pid);
	s->comm = json_string_value(comm);
	s->stage = json_string_value(stage);
	s->count = (uint64_t)json_integer_value(count);
	s->cut_short = json_is_true(json_object_get(o, "cut_short"));
	r->n_samples++;
	if (!take_frames(user, s->frames, &n))
		return bad_line(err, errlen, path, line, "a frame is not a string");
	s->n_user = n;
	if (!take_frames(kernel, s->frames, &n))
		return bad_line(err, errlen, path, line, "a frame is not a string");
	s->n_frames = n;
	return 0;
}

int report_read_samples(struct report *r, char *err, size_t errlen)
{
	char path[4096], *buf = NULL;
	size_t cap = 0, line = 0;
	uint64_t sum = 0;
	ssize_t len;
	FILE *f;
	int ret = -1;

	snprintf(path, sizeof(path), "%s/%s", r->dir, SAMPLES_NAME);
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		set_err(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	r->samples_json = json_array();
	while ((len = getline(&buf, &cap, f)) > 0) {
		json_error_t je;
		json_t *o;

		line++;
		o = json_loadb(buf, (size_t)len, 0, &je);
		if (!json_is_object(o)) {
			json_decref(o);
			bad_line(err, errlen, path, line, "not a JSON object");
			goto out;
		}
		json_array_append_new(r->samples_json, o);
		if (line == 1) {
			const char *schema = json_string_value(json_object_get(o, "schema"));

			if (!schema || strcmp(schema, SAMPLES_SCHEMA)) {
				bad_line(err, errlen, path, line, "expected schema " SAMPLES_SCHEMA);
				goto out;
			}
			r->sample_hz = (unsigned int)json_integer_value(json_object_get(o, "hz"));
			r->sample_total = (uint64_t)json_integer_value(json_object_get(o, "samples"));
			r->samples_cut_short = (uint64_t)json_integer_value(
				json_object_get(o, "samples_stack_cut_short"));
			continue;
		}
		if (r->n_samples == r->cap_samples) {
			size_t ncap = r->cap_samples ? r->cap_samples * 2 : 256;
			struct rep_sample *v = realloc(r->samples, ncap * sizeof(*v));

			if (!v) {
				bad_line(err, errlen, path, line, "out of memory");
				goto out;
			}
			r->samples = v;
			r->cap_samples = ncap;
		}
		if (sample_line(r, o, path, line, err, errlen))
			goto out;
		sum += r->samples[r->n_samples - 1].count;
	}
	if (!line) {
		set_err(err, errlen, "%s is empty", path);
		goto out;
	}
	if (sum != r->sample_total) {
		set_err(err, errlen, "%s: the lines count %" PRIu64 " samples, its header %" PRIu64,
			path, sum, r->sample_total);
		goto out;
	}
	r->have_samples = true;
	ret = 0;
out:
	free(buf);
	fclose(f);
	return ret;
}

void report_free_samples(struct report *r)
{
	for (size_t i = 0; i < r->n_samples; i++)
		free(r->samples[i].frames);
	free(r->samples);
	json_decref(r->samples_json);
	r->samples = NULL;
	r->samples_json = NULL;
	r->n_samples = r->cap_samples = 0;
}

/* A frame name as folded text: ';' separates frames, so it cannot be one. */
static void put_folded_name(FILE *f, const char *name)
{
	for (const char *p = name; *p; p++)
		fputc(*p == ';' || *p == '\n' ? ':' : *p, f);
}

int report_write_folded(FILE *f, const struct report *r, int top)
{
	for (size_t i = 0; i < r->n_samples; i++) {
		const struct rep_sample *s = &r->samples[i];

		put_folded_name(f, s->comm);
		for (size_t k = 0; k < s->n_frames; k++) {
			fputc(';', f);
			put_folded_name(f, s->frames[k]);
			/* FlameGraph's mark for kernel frames. */
			if (k >= s->n_user)
				fputs("_[k]", f);
		}
		fprintf(f, " %" PRIu64 "\n", s->count);
	}
	return 0;
}

/* The flame graph's tree: node 0 is "all", its children the processes'
 * names, theirs the stacks' frames root first. */
struct flame_node {
	const char *name;
	bool kernel;
	int depth;
	uint64_t value;
	size_t first_child, next_sibling; /* 0: none */
};

struct flame {
	struct flame_node *v;
	size_t n, cap;
	int max_depth;
};

static size_t flame_child(struct flame *fl, size_t parent, const char *name, bool kernel)
{
	size_t c, *link = &fl->v[parent].first_child;

	for (c = fl->v[parent].first_child; c; c = fl->v[c].next_sibling) {
		if (fl->v[c].kernel == kernel && !strcmp(fl->v[c].name, name))
			return c;
		link = &fl->v[c].next_sibling;
	}
	if (fl->n == fl->cap) {
		size_t ncap = fl->cap * 2;
		struct flame_node *v = realloc(fl->v, ncap * sizeof(*v));

		if (!v)
			return 0;
		fl->v = v;
		link = NULL; /* moved: find the end again */
	}
	c = fl->n++;
	fl->v[c] = (struct flame_node){ name, kernel, fl->v[parent].depth + 1, 0, 0, 0 };
	if (!link) {
		link = &fl->v[parent].first_child;
		while (*link)
			link = &fl->v[*link].next_sibling;
	}
	*link = c;
	if (fl->v[c].depth > fl->max_depth)
		fl->max_depth = fl->v[c].depth;
	return c;
}

static int flame_build(struct flame *fl, const struct report *r)
{
	fl->cap = 1024;
	fl->v = calloc(fl->cap, sizeof(*fl->v));
	if (!fl->v)
		return -ENOMEM;
	fl->v[0] = (struct flame_node){ "all", false, 0, 0, 0, 0 };
	fl->n = 1;
	for (size_t i = 0; i < r->n_samples; i++) {
		const struct rep_sample *s = &r->samples[i];
		size_t node = flame_child(fl, 0, s->comm, false);

		fl->v[0].value += s->count;
		if (!node)
			return -ENOMEM;
		fl->v[node].value += s->count;
		for (size_t k = 0; k < s->n_frames; k++) {
			node = flame_child(fl, node, s->frames[k], k >= s->n_user);
			if (!node)
				return -ENOMEM;
			fl->v[node].value += s->count;
		}
	}
	return 0;
}

static void put_xml(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			if ((unsigned char)*s >= 0x20)
				fputc(*s, f);
		}
	}
}

/* A stable warm colour per name (kernel frames a cooler orange). */
static void frame_colour(const char *name, bool kernel, char *buf, size_t len)
{
	uint32_t h = 2166136261u;

	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	if (kernel)
		snprintf(buf, len, "rgb(%u,%u,%u)", 200 + h % 40, 140 + (h >> 8) % 50, 60);
	else
		snprintf(buf, len, "rgb(%u,%u,%u)", 215 + h % 40, 60 + (h >> 8) % 130,
			 30 + (h >> 16) % 40);
}

#define FLAME_WIDTH 1200.0
#define FLAME_PAD 10.0
#define FLAME_ROW 17
#define FLAME_TOP 44
#define FLAME_CHAR_PX 7.0

static void flame_frames(FILE *f, const struct flame *fl, size_t node, double x, double height)
{
	const struct flame_node *n = &fl->v[node];
	double total = (double)fl->v[0].value;
	double w = (double)n->value / total, px = w * FLAME_WIDTH;
	double y = height - FLAME_ROW * (n->depth + 1) - 4;
	size_t fit = px > 3 * FLAME_CHAR_PX ? (size_t)((px - 6) / FLAME_CHAR_PX) : 0;
	char colour[32];

	/* Frames thinner than a tenth of a pixel (and theirs) are left out. */
	if (px < 0.1)
		return;
	frame_colour(n->name, n->kernel, colour, sizeof(colour));
	fprintf(f, "<g class=\"f\" data-x=\"%.9f\" data-w=\"%.9f\" data-d=\"%d\" data-n=\"", x, w,
		n->depth);
	put_xml(f, n->name);
	fprintf(f, "%s\"><title>", n->kernel ? " [k]" : "");
	put_xml(f, n->name);
	fprintf(f, "%s (%" PRIu64 " samples, %.2f%%)</title>", n->kernel ? " [k]" : "", n->value,
		100.0 * (double)n->value / total);
	fprintf(f,
		"<rect x=\"%.2f\" y=\"%.0f\" width=\"%.2f\" height=\"%d\" fill=\"%s\" rx=\"2\"/>"
		"<text x=\"%.2f\" y=\"%.0f\">",
		FLAME_PAD + x * FLAME_WIDTH, y, px > 0.5 ? px - 0.5 : px, FLAME_ROW - 1, colour,
		FLAME_PAD + x * FLAME_WIDTH + 3, y + FLAME_ROW - 5);
	if (fit >= 3) {
		if (strlen(n->name) <= fit) {
			put_xml(f, n->name);
		} else {
			char cut[512];

			snprintf(cut, sizeof(cut), "%.*s", (int)(fit - 2 < 500 ? fit - 2 : 500),
				 n->name);
			put_xml(f, cut);
			fputs("..", f);
		}
	}
	fputs("</text></g>\n", f);
	for (size_t c = n->first_child; c; c = fl->v[c].next_sibling) {
		flame_frames(f, fl, c, x, height);
		x += (double)fl->v[c].value / total;
	}
}

/* The script: click a frame to zoom into it, "Reset zoom" or click "all"
 * to go back; "Search" marks the frames whose name matches and says what
 * share of the samples they hold. */
static const char flame_script[] =
	"var W=1200,P=10,CH=7,frames=[].slice.call(document.querySelectorAll('g.f'));\n"
	"function num(g,a){return parseFloat(g.getAttribute(a));}\n"
	"function label(g,w){var n=g.getAttribute('data-n'),c=Math.floor((w-6)/CH);\n"
	" return c<3?'':(n.length<=c?n:n.slice(0,c-2)+'..');}\n"
	"function layout(x0,w0,d0){frames.forEach(function(g){\n"
	" var x=num(g,'data-x'),w=num(g,'data-w'),d=num(g,'data-d'),e=1e-9;\n"
	" var r=g.querySelector('rect'),t=g.querySelector('text');\n"
	" var anc=d<d0&&x<=x0+e&&x+w>=x0+w0-e,inside=d>=d0&&x>=x0-e&&x+w<=x0+w0+e;\n"
	" if(!anc&&!inside){g.style.display='none';return;}\n"
	" g.style.display='';var nx=anc?0:(x-x0)/w0*W,nw=anc?W:w/w0*W;\n"
	" r.setAttribute('x',P+nx);r.setAttribute('width',Math.max(nw-0.5,0.1));\n"
	" t.setAttribute('x',P+nx+3);t.textContent=label(g,nw);});\n"
	" document.getElementById('reset').style.display=w0<1?'':'none';}\n"
	"frames.forEach(function(g){g.addEventListener('click',function(){\n"
	" layout(num(g,'data-x'),num(g,'data-w'),num(g,'data-d'));});});\n"
	"document.getElementById('reset').addEventListener('click',function(){layout(0,1,0);});\n"
	"function search(re){var spans=[];frames.forEach(function(g){\n"
	" var r=g.querySelector('rect');if(!r.hasAttribute('data-fill'))"
	"r.setAttribute('data-fill',r.getAttribute('fill'));\n"
	" var hit=re&&re.test(g.getAttribute('data-n'));\n"
	" r.setAttribute('fill',hit?'rgb(230,0,230)':r.getAttribute('data-fill'));\n"
	" if(hit)spans.push([num(g,'data-x'),num(g,'data-x')+num(g,'data-w')]);});\n"
	" spans.sort(function(a,b){return a[0]-b[0];});var tot=0,end=-1;\n"
	" spans.forEach(function(s){if(s[0]>=end){tot+=s[1]-s[0];end=s[1];}"
	"else if(s[1]>end){tot+=s[1]-end;end=s[1];}});\n"
	" document.getElementById('matched').textContent=re?'Matched: '+(100*tot).toFixed(1)+'%':'';}\n"
	"document.getElementById('search').addEventListener('click',function(){\n"
	" var s=prompt('Search (regular expression), empty to clear','');if(s===null)return;\n"
	" try{search(s?new RegExp(s):null);}catch(e){alert(e.message);}});\n";

int report_write_flame(FILE *f, const struct report *r, int top)
{
	struct flame fl = {};
	double height;
	int rc = flame_build(&fl, r);

	if (rc) {
		free(fl.v);
		errno = -rc;
		return -1;
	}
	height = FLAME_TOP + FLAME_ROW * (fl.max_depth + 1) + 8;
	fprintf(f,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"flame\" width=\"%.0f\" "
		"height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"Verdana,sans-serif\" "
		"font-size=\"12\">\n"
		"<style>g.f text{pointer-events:none;fill:#000}g.f:hover rect{stroke:#000;"
		"stroke-width:0.5}g.f{cursor:pointer}.btn{cursor:pointer;fill:#336}</style>\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"#fdfdf7\"/>\n"
		"<text x=\"%.0f\" y=\"18\" text-anchor=\"middle\" font-size=\"15\">CPU flame graph: "
		"%" PRIu64 " samples at %u Hz</text>\n"
		"<text id=\"reset\" class=\"btn\" x=\"%.0f\" y=\"36\" style=\"display:none\">Reset "
		"zoom</text>\n"
		"<text id=\"search\" class=\"btn\" x=\"%.0f\" y=\"36\" text-anchor=\"end\">Search</text>\n"
		"<text id=\"matched\" x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\"></text>\n",
		FLAME_WIDTH + 2 * FLAME_PAD, height, FLAME_WIDTH + 2 * FLAME_PAD, height,
		FLAME_WIDTH / 2 + FLAME_PAD, fl.v[0].value, r->sample_hz, FLAME_PAD,
		FLAME_WIDTH + FLAME_PAD, FLAME_WIDTH + FLAME_PAD, height - 2);
	if (fl.v[0].value)
		flame_frames(f, &fl, 0, 0, height - 12);
	fprintf(f, "<script><![CDATA[\n%s]]></script>\n</svg>\n", flame_script);
	free(fl.v);
	return 0;
}

/* A function's self samples within one stage. */
struct stage_fn {
	const char *stage, *fn;
	uint64_t n;
};

static int cmp_stage_fn_name(const void *a, const void *b)
{
	const struct stage_fn *x = a, *y = b;
	int c = strcmp(x->stage, y->stage);

	return c ? c : strcmp(x->fn, y->fn);
}

static int cmp_stage_fn_count(const void *a, const void *b)
{
	const struct stage_fn *x = a, *y = b;
	int c = strcmp(x->stage, y->stage);

	if (c)
		return c;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->fn, y->fn);
}

struct rep_stage_hot *report_stage_hot_functions(const struct report *r, size_t *n_out)
{
	struct stage_fn *v = calloc(r->n_samples ? r->n_samples : 1, sizeof(*v));
	struct rep_stage_hot *out;
	size_t n = 0, m = 0;

	*n_out = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < r->n_samples; i++) {
		const struct rep_sample *s = &r->samples[i];

		if (!s->stage)
			continue;
		v[n++] = (struct stage_fn){ s->stage,
					    s->n_frames ? s->frames[s->n_frames - 1] : "[no stack]",
					    s->count };
	}
	sort_n(v, n, sizeof(*v), cmp_stage_fn_name);
	/* One row per (stage, function). */
	for (size_t i = 0; i < n; i++) {
		if (m && !strcmp(v[m - 1].stage, v[i].stage) && !strcmp(v[m - 1].fn, v[i].fn))
			v[m - 1].n += v[i].n;
		else
			v[m++] = v[i];
	}
	sort_n(v, m, sizeof(*v), cmp_stage_fn_count);
	out = calloc(m ? m : 1, sizeof(*out));
	if (!out) {
		free(v);
		return NULL;
	}
	for (size_t i = 0; i < m; i++)
		out[i] = (struct rep_stage_hot){ v[i].stage, v[i].fn, v[i].n };
	free(v);
	*n_out = m;
	return out;
}
