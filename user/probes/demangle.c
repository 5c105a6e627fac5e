// SPDX-License-Identifier: MIT
/* C++ and Rust demangling: libiberty does the real work, we only trim its output. */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <libiberty/demangle.h>

#include "probes/demangle.h"

char *demangle(const char *name)
{
	char *out;

	/* Only mangled names: plain C names like "f" would otherwise demangle
	 * as types ("float"). */
	if (!name)
		return NULL;
	/* Rust first: its legacy names are valid Itanium names too
	 * ("_ZN4core3fmt5write17h0123456789abcdefE"), which the C++ demangler
	 * would print with the hash and the $LT$-style escapes. rust_demangle
	 * accepts only a well-formed hash, and prints without it. */
	if (!strncmp(name, "_ZN", 3) || !strncmp(name, "_R", 2)) {
		out = rust_demangle(name, DMGL_PARAMS | DMGL_ANSI);
		if (out)
			return out;
	}
	if (strncmp(name, "_Z", 2) != 0)
		return NULL;
	return cplus_demangle_v3(name, DMGL_PARAMS | DMGL_ANSI);
}

static bool is_ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Length of @s without trailing " [clone .xxx]" suffixes (gcc adds them to
 * .constprop/.isra/.part/.cold copies). */
static size_t strip_clone_suffixes(const char *s, size_t end)
{
	static const char tag[] = " [clone ";

	while (end > 0 && s[end - 1] == ']') {
		size_t i = end - 1;

		while (i > 0 && s[i] != '[')
			i--;
		if (i == 0 || s[i - 1] != ' ' || strncmp(s + i - 1, tag, sizeof(tag) - 1) != 0)
			break;
		end = i - 1;
	}
	return end;
}

/* True when s[from, to) holds only cv/ref/noexcept qualifiers and spaces. */
static bool only_qualifiers(const char *s, size_t from, size_t to)
{
	static const char *const quals[] = {"const", "volatile", "&&",
					    "&",     "noexcept", "transaction_safe"};
	size_t i = from;

	while (i < to) {
		size_t j, q;
		bool found = false;

		if (s[i] == ' ') {
			i++;
			continue;
		}
		for (j = i; j < to && s[j] != ' '; j++)
			;
		for (q = 0; q < sizeof(quals) / sizeof(quals[0]); q++) {
			if (strlen(quals[q]) == j - i && strncmp(s + i, quals[q], j - i) == 0)
				found = true;
		}
		if (!found)
			return false;
		i = j;
	}
	return true;
}

/* Index of the '(' opening the trailing parameter list, or @end when there is
 * none (a demangled variable, or something we do not understand). */
static size_t find_param_list(const char *s, size_t end)
{
	size_t close = end, i;
	int depth = 0;

	while (close > 0 && s[close - 1] != ')')
		close--;
	if (close == 0 || !only_qualifiers(s, close, end))
		return end;
	for (i = close; i > 0; i--) {
		if (s[i - 1] == ')')
			depth++;
		else if (s[i - 1] == '(' && --depth == 0)
			return i - 1;
	}
	return end;
}

/* Start of the qualified name in s[0, end): skips the return type that the
 * demangler prints for template instances ("void ns::f<int>"). Spaces inside
 * <>, (), [] and {} ("(anonymous namespace)", "{lambda(int)#1}", "<int, char>")
 * and everything from an "operator" keyword on ("operator new",
 * "operator< <int>") belong to the name. */
static size_t skip_return_type(const char *s, size_t end)
{
	int paren = 0, angle = 0, brace = 0, bracket = 0;
	size_t start = 0, i;

	for (i = 0; i < end; i++) {
		char c = s[i];

		if (c == '(')
			paren++;
		else if (c == ')')
			paren--;
		else if (c == '{')
			brace++;
		else if (c == '}')
			brace--;
		else if (c == '[')
			bracket++;
		else if (c == ']')
			bracket--;
		else if (paren == 0 && c == '<')
			angle++;
		else if (paren == 0 && c == '>')
			angle--;
		if (paren || angle || brace || bracket)
			continue;
		if (c == ' ') {
			start = i + 1;
		} else if ((i == 0 || !is_ident_char(s[i - 1])) && end - i >= 8 &&
			   strncmp(s + i, "operator", 8) == 0 &&
			   (end - i == 8 || !is_ident_char(s[i + 8]))) {
			break;
		}
	}
	return start < end ? start : 0;
}

char *demangle_base_name(const char *demangled)
{
	size_t end = strlen(demangled), start;

	end = strip_clone_suffixes(demangled, end);
	end = find_param_list(demangled, end);
	start = skip_return_type(demangled, end);
	return strndup(demangled + start, end - start);
}
