// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <string.h>
#include "common/cli_options.h"
#include "common/errmsg.h"

/* An entry that is an option (not a group header or a doc line). */
static bool is_option(const struct argp_option *o)
{
	return (o->name || o->key) && !(o->flags & OPTION_DOC);
}

static bool has_short(const struct argp_option *o)
{
	return o->key > 0 && o->key < 128 && isprint(o->key);
}

/* Aliases take the argument of the entry they follow. */
static const char *arg_of(const struct argp_option *opts, const struct argp_option *o)
{
	while (o > opts && (o->flags & OPTION_ALIAS) && !o->arg)
		o--;
	return o->arg;
}

static bool needs_arg(const struct argp_option *opts, const struct argp_option *o)
{
	const struct argp_option *real = o;

	while (real > opts && (real->flags & OPTION_ALIAS))
		real--;
	return arg_of(opts, o) && !(real->flags & OPTION_ARG_OPTIONAL);
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64];

	if (la >= 63 || lb >= 63)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

const char *cli_nearest_option(const struct argp_option *opts, const char *name)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1, len = strlen(name);

	for (const struct argp_option *o = opts; o->name || o->key || o->doc; o++) {
		size_t d;

		if (!is_option(o) || !o->name)
			continue;
		d = edit_distance(name, o->name);
		if (d < best_d) {
			best_d = d;
			best = o->name;
		}
	}
	/* Close enough to be a typo: at most two edits, and fewer than the
	 * word has letters ("--x" is no misspelling of "-p"). */
	if (best && best_d <= 2 && best_d < len)
		return best;
	return NULL;
}

/* The long option `word` (after "--", up to any '='), as getopt_long finds
 * it: the exact name, else the only one it begins. */
static const struct argp_option *find_long(const struct argp_option *opts, const char *word,
					   size_t len, int *matches)
{
	const struct argp_option *found = NULL;

	*matches = 0;
	for (const struct argp_option *o = opts; o->name || o->key || o->doc; o++) {
		if (!is_option(o) || !o->name || strncmp(o->name, word, len))
			continue;
		if (!o->name[len]) {
			*matches = 1;
			return o;
		}
		if (!found)
			found = o;
		++*matches;
	}
	return found;
}

static const struct argp_option *find_short(const struct argp_option *opts, int key)
{
	for (const struct argp_option *o = opts; o->name || o->key || o->doc; o++)
		if (is_option(o) && has_short(o) && o->key == key)
			return o;
	return NULL;
}

/* "--sample, --self-cost or --self-cost-window": the long options that
 * begin with word. */
static void list_prefixed(const struct argp_option *opts, const char *word, size_t len,
			  char *buf, size_t buflen)
{
	size_t used = 0;
	int n = 0, total = 0;

	for (const struct argp_option *o = opts; o->name || o->key || o->doc; o++)
		if (is_option(o) && o->name && !strncmp(o->name, word, len))
			total++;
	buf[0] = '\0';
	for (const struct argp_option *o = opts; o->name || o->key || o->doc; o++) {
		if (!is_option(o) || !o->name || strncmp(o->name, word, len))
			continue;
		n++;
		used += (size_t)snprintf(buf + used, used < buflen ? buflen - used : 0, "%s--%s",
					 n == 1 ? "" : n == total ? " or " : ", ", o->name);
		if (used >= buflen)
			break;
	}
}

static bool long_error(const struct argp_option *opts, int argc, char **argv, int *i,
		       char *err, size_t errlen)
{
	const char *word = argv[*i] + 2, *eq = strchr(word, '=');
	size_t len = eq ? (size_t)(eq - word) : strlen(word);
	const struct argp_option *o;
	int matches;

	o = find_long(opts, word, len, &matches);
	if (!o) {
		char name[64];
		const char *near;

		snprintf(name, sizeof(name), "%.*s", (int)len, word);
		near = cli_nearest_option(opts, name);
		if (near)
			set_err(err, errlen, "unknown option '--%s'; did you mean '--%s'?", name,
				near);
		else
			set_err(err, errlen, "unknown option '--%s' (--help lists them)", name);
		return true;
	}
	if (matches > 1) {
		char list[256];

		list_prefixed(opts, word, len, list, sizeof(list));
		set_err(err, errlen, "ambiguous option '--%.*s' (%s)", (int)len, word, list);
		return true;
	}
	if (eq && !arg_of(opts, o)) {
		set_err(err, errlen, "option '--%s' takes no argument", o->name);
		return true;
	}
	if (!eq && needs_arg(opts, o)) {
		if (*i + 1 >= argc) {
			set_err(err, errlen, "option '--%s' needs an argument: --%s %s", o->name,
				o->name, arg_of(opts, o));
			return true;
		}
		++*i;
	}
	return false;
}

static bool short_error(const struct argp_option *opts, int argc, char **argv, int *i,
			char *err, size_t errlen)
{
	for (const char *c = argv[*i] + 1; *c; c++) {
		const struct argp_option *o = find_short(opts, (unsigned char)*c);

		if (!o) {
			if (isprint((unsigned char)*c))
				set_err(err, errlen, "unknown option '-%c' (--help lists them)", *c);
			else
				set_err(err, errlen, "unknown option in '%s' (--help lists them)",
					argv[*i]);
			return true;
		}
		if (!arg_of(opts, o))
			continue;
		/* The rest of the word is the argument, else the next word. */
		if (c[1] || !needs_arg(opts, o))
			return false;
		if (*i + 1 >= argc) {
			set_err(err, errlen, "option '-%c' needs an argument: -%c %s", *c, *c,
				arg_of(opts, o));
			return true;
		}
		++*i;
		return false;
	}
	return false;
}

bool cli_option_error(const struct argp_option *opts, int argc, char **argv,
		      bool stop_at_operand, char *err, size_t errlen)
{
	for (int i = 1; i < argc; i++) {
		const char *w = argv[i];

		if (!strcmp(w, "--"))
			return false;
		if (w[0] != '-' || !w[1]) {
			if (stop_at_operand)
				return false;
			continue;
		}
		if (w[1] == '-' ? long_error(opts, argc, argv, &i, err, errlen)
				: short_error(opts, argc, argv, &i, err, errlen))
			return true;
	}
	return false;
}
