// SPDX-License-Identifier: MIT
/* USDT argument specs and .note.stapsdt parsing (no root, no BPF). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfprof.h"
#include "lib/helper.h"
#include "probes/stages.h"
#include "probes/usdt.h"

static void test_parse_arg(void **state)
{
	struct usdt_arg a;

	assert_int_equal(usdt_parse_arg("-4@%edi", &a), 0);
	assert_int_equal(a.type, USDT_ARG_REG);
	assert_int_equal(a.size, -4);
	assert_int_equal(a.reg_off, 112); /* pt_regs.di */
	assert_int_equal(usdt_parse_arg("8@16(%rbp)", &a), 0);
	assert_int_equal(a.type, USDT_ARG_REG_DEREF);
	assert_int_equal(a.reg_off, 32);
	assert_int_equal(a.val, 16);
	assert_int_equal(usdt_parse_arg("-4@-112(%rsp)", &a), 0);
	assert_int_equal(a.val, -112);
	assert_int_equal(a.reg_off, 152);
	assert_int_equal(usdt_parse_arg("8@(%rax)", &a), 0);
	assert_int_equal(a.type, USDT_ARG_REG_DEREF);
	assert_int_equal(a.val, 0);
	assert_int_equal(usdt_parse_arg("4@$42", &a), 0);
	assert_int_equal(a.type, USDT_ARG_CONST);
	assert_int_equal(a.val, 42);
	assert_int_equal(usdt_parse_arg("-1@$-3", &a), 0);
	assert_int_equal(a.val, -3);
	assert_int_equal(usdt_parse_arg("-4@%r14d", &a), 0);
	assert_int_equal(a.reg_off, 8);
	assert_int_equal(usdt_parse_arg("1@%sil", &a), 0);
	assert_int_equal(a.reg_off, 104);
	/* What bpfprof cannot read: refused, not misread. */
	assert_int_equal(usdt_parse_arg("8@sym(%rip)", &a), -EINVAL);
	assert_int_equal(usdt_parse_arg("8@(%rax,%rbx,8)", &a), -EINVAL);
	assert_int_equal(usdt_parse_arg("3@%eax", &a), -EINVAL);
	assert_int_equal(usdt_parse_arg("%eax", &a), -EINVAL);
	assert_int_equal(usdt_parse_arg("8@%xmm0", &a), -EINVAL);
	assert_int_equal(usdt_parse_arg("4@$", &a), -EINVAL);
}

/* A program built here with sys/sdt.h: probes, semaphore, arguments. */
static void test_read_notes(void **state)
{
	char dir[] = "/tmp/bpfprof_usdt_unit.XXXXXX", cmd[512], path[128], err[256];
	struct usdt_list l;
	const struct usdt_probe *p = NULL;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/p.c", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("#define _SDT_HAS_SEMAPHORES 1\n#include <sys/sdt.h>\n"
	      "unsigned short t_hit_semaphore __attribute__((section(\".probes\")));\n"
	      "int main(int c, char **v) { if (t_hit_semaphore) STAP_PROBE2(t, hit, c, v[0]);"
	      " return 0; }\n",
	      f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cc -O2 %s/p.c -o %s/p", dir, dir);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/p", dir);
	assert_int_equal(usdt_read(path, "p", &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 1);
	p = &l.v[0];
	assert_string_equal(p->provider, "t");
	assert_string_equal(p->name, "hit");
	assert_int_equal(p->nargs, 2);
	assert_int_equal(p->args[0].size, -4);
	assert_int_equal(p->args[1].size, 8);
	assert_true(p->semaphore != 0);
	assert_true(p->ref_ctr_offset != 0);
	assert_true(p->offset != 0);
	usdt_list_free(&l);
	/* No notes at all: an empty list, no error. */
	assert_int_equal(usdt_read("/proc/self/exe", "self", &l, err, sizeof(err)), 0);
	usdt_list_free(&l);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void expect_spec_error(const char *arg, const char *what)
{
	struct usdt_spec s;
	char err[256] = "";

	assert_int_equal(usdt_spec_parse(arg, &s, err, sizeof(err)), -EINVAL);
	if (!strstr(err, what))
		fail_msg("%s: expected '%s' in: %s", arg, what, err);
	assert_null(strchr(err, '\n'));
	assert_null(s.provider); /* nothing left to free */
}

/* -U specs: [BINARY:]PROVIDER:NAME, PROVIDER:BEGIN..END[@N[,M...]]. */
static void test_spec_parse(void **state)
{
	struct usdt_spec s;
	char err[256];

	assert_int_equal(usdt_spec_parse("python:function__entry..function__return@1,2", &s, err,
					 sizeof(err)),
			 0);
	assert_null(s.binary);
	assert_string_equal(s.provider, "python");
	assert_string_equal(s.begin, "function__entry");
	assert_string_equal(s.end, "function__return");
	assert_int_equal(s.nargs, 2);
	assert_int_equal(s.argn[0], 1);
	assert_int_equal(s.argn[1], 2);
	usdt_spec_free(&s);
	assert_int_equal(usdt_spec_parse("/usr/lib/postgresql/15/bin/postgres:postgresql:"
					 "query__start..query__done@1",
					 &s, err, sizeof(err)),
			 0);
	assert_string_equal(s.binary, "/usr/lib/postgresql/15/bin/postgres");
	assert_string_equal(s.end, "query__done");
	assert_int_equal(s.nargs, 1);
	usdt_spec_free(&s);
	/* Order kept: the name is argument 3, then 1. */
	assert_int_equal(usdt_spec_parse("p:a..b@3,1", &s, err, sizeof(err)), 0);
	assert_int_equal(s.argn[0], 3);
	assert_int_equal(s.argn[1], 1);
	usdt_spec_free(&s);
	/* No @: no names; a plain probe. */
	assert_int_equal(usdt_spec_parse("p:a..b", &s, err, sizeof(err)), 0);
	assert_int_equal(s.nargs, 0);
	usdt_spec_free(&s);
	assert_int_equal(usdt_spec_parse("p:hit", &s, err, sizeof(err)), 0);
	assert_null(s.end);
	usdt_spec_free(&s);

	expect_spec_error("p:a..b@0", "numbered from 1 to 12");
	expect_spec_error("p:a..b@13", "numbered from 1 to 12");
	expect_spec_error("p:a..b@99999999999999999999", "numbered from 1 to 12");
	expect_spec_error("p:a..b@", "expected @N[,M...]");
	expect_spec_error("p:a..b@1,", "expected @N[,M...]");
	expect_spec_error("p:a..b@1,,2", "expected @N[,M...]");
	expect_spec_error("p:a..b@x", "expected @N[,M...]");
	expect_spec_error("p:a..b@-1", "expected @N[,M...]");
	expect_spec_error("p:a..b@1 ", "expected @N[,M...]");
	expect_spec_error("p:a..b@2,2", "argument 2 named twice");
	expect_spec_error("p:a..b@1,2,3,4,5", "at most 4 arguments");
	expect_spec_error("p:hit@1", "@N names the stages of a BEGIN..END pair");
	expect_spec_error("p:a@1..b", "expected [BINARY:]PROVIDER");
	expect_spec_error("p:a..@1", "expected [BINARY:]PROVIDER");
}

/* Which argument specs can name a stage: pointers, 8 bytes. */
static void test_arg_is_pointer(void **state)
{
	struct usdt_arg a;

	assert_int_equal(usdt_parse_arg("8@%rbp", &a), 0);
	assert_int_equal(usdt_arg_is_pointer(&a), 0);
	assert_int_equal(usdt_parse_arg("-8@16(%rbp)", &a), 0);
	assert_int_equal(usdt_arg_is_pointer(&a), 0);
	assert_int_equal(usdt_parse_arg("-4@%edi", &a), 0);
	assert_int_equal(usdt_arg_is_pointer(&a), -EINVAL);
	assert_int_equal(usdt_parse_arg("2@%ax", &a), 0);
	assert_int_equal(usdt_arg_is_pointer(&a), -EINVAL);
}

/* A name from the probes' key: the arguments joined with ':', each cut at
 * USDT_NAME_ARG_BYTES - 1 bytes, and the whole at the buffer. */
static void test_name_join(void **state)
{
	char text[USDT_NAME_MAX_ARGS][USDT_NAME_ARG_BYTES] = {};
	char out[600], small[6];

	strcpy(text[0], "/tmp/s.py");
	strcpy(text[1], "top");
	usdt_name_join(text[0], 2, out, sizeof(out));
	assert_string_equal(out, "/tmp/s.py:top");
	usdt_name_join(text[0], 1, out, sizeof(out));
	assert_string_equal(out, "/tmp/s.py");
	/* An empty name is shown as (empty); an empty argument keeps its place. */
	memset(text, 0, sizeof(text));
	usdt_name_join(text[0], 1, out, sizeof(out));
	assert_string_equal(out, "(empty)");
	strcpy(text[0], "/tmp/s.py");
	text[1][0] = '\0';
	strcpy(text[2], "7");
	usdt_name_join(text[0], 3, out, sizeof(out));
	assert_string_equal(out, "/tmp/s.py::7");
	/* A full slot (no NUL: the probe cut it) is read up to its size. */
	memset(text[0], 'a', USDT_NAME_ARG_BYTES);
	usdt_name_join(text[0], 1, out, sizeof(out));
	assert_int_equal(strlen(out), USDT_NAME_ARG_BYTES - 1);
	usdt_name_join(text[0], 1, small, sizeof(small));
	assert_string_equal(small, "aaaaa");
}

/* Without --usdt-names, a spec's names' counters stay within the budget:
 * all 4096 on a small machine, fewer with many CPUs, never none. */
static void test_names_default(void **state)
{
	size_t each = sizeof(struct stage_stats);

	assert_int_equal(usdt_names_default(2), USDT_NAMES_DEFAULT);
	assert_int_equal(usdt_names_default(0), USDT_NAMES_DEFAULT);
	assert_int_equal(usdt_names_default(36), USDT_NAMES_BUDGET / (36 * each));
	assert_true(usdt_names_default(36) < USDT_NAMES_DEFAULT);
	assert_true((size_t)usdt_names_default(128) * 128 * each <= USDT_NAMES_BUDGET);
	assert_int_equal(usdt_names_default(1 << 20), 16);
}

/* The start line says what is timed and what only counted: -u functions and
 * -U BEGIN..END pairs (a named one once, not its name slots) are timed, a
 * -U PROVIDER:NAME's hits counted. Resolved against usdt_target. */
static void test_stages_describe(void **state)
{
	const char *fn[] = { "main" };
	const char *usdt[] = { "app:req__start..req__done", "app:batch__start",
			       "app:req__start..req__done@2" };
	struct stage_table t;
	char path[256], err[256], b[160];

	helper_path(path, sizeof(path), "targets/usdt_target");
	assert_int_equal(
		stages_resolve(fn, 1, 0, path, RETURNS_AUTO, NULL, &t, NULL, err, sizeof(err)), 0);
	assert_string_equal(stages_describe(&t, true, b, sizeof(b)), "timing 1 function");
	assert_string_equal(stages_describe(&t, false, b, sizeof(b)), "1 function");
	assert_int_equal(
		usdt_resolve_stages(usdt, 2, NULL, 0, 16, 0, path, &t, NULL, err, sizeof(err)), 0);
	assert_string_equal(stages_describe(&t, true, b, sizeof(b)),
			    "timing 1 function and 1 USDT probe pair, counting the hits of 1 "
			    "USDT probe");
	assert_string_equal(stages_describe(&t, false, b, sizeof(b)),
			    "1 function, 1 USDT probe pair and 1 USDT probe");
	assert_int_equal(
		usdt_resolve_stages(usdt + 2, 1, NULL, 0, 16, 0, path, &t, NULL, err, sizeof(err)),
		0);
	assert_true(t.n > 4); /* the name slots */
	assert_string_equal(stages_describe(&t, true, b, sizeof(b)),
			    "timing 1 function and 2 USDT probe pairs, counting the hits of 1 "
			    "USDT probe");
	stage_table_free(&t);
	/* Hits alone: nothing is timed. */
	assert_int_equal(
		usdt_resolve_stages(usdt + 1, 1, NULL, 0, 16, 0, path, &t, NULL, err, sizeof(err)),
		0);
	assert_string_equal(stages_describe(&t, true, b, sizeof(b)),
			    "counting the hits of 1 USDT probe");
	assert_string_equal(stages_describe(&t, false, b, sizeof(b)), "1 USDT probe");
	stage_table_free(&t);
}

/* A pattern that matches nothing is named with the option that gave it:
 * --list X is not -u X. */
static void test_resolve_error_names_option(void **state)
{
	const char *spec[] = { "no_such_fn" };
	struct stage_table t;
	char path[256], err[512];

	helper_path(path, sizeof(path), "targets/usdt_target");
	assert_int_equal(stages_resolve(spec, 1, 0, path, RETURNS_AUTO, "--list", &t, NULL, err,
					sizeof(err)),
			 -ENOENT);
	assert_int_equal(strncmp(err, "--list 'no_such_fn': no function in ", 36), 0);
	assert_int_equal(
		stages_resolve(spec, 1, 0, path, RETURNS_AUTO, NULL, &t, NULL, err, sizeof(err)),
		-ENOENT);
	assert_int_equal(strncmp(err, "-u 'no_such_fn': no function in ", 32), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_arg),
		cmocka_unit_test(test_read_notes),
		cmocka_unit_test(test_spec_parse),
		cmocka_unit_test(test_arg_is_pointer),
		cmocka_unit_test(test_name_join),
		cmocka_unit_test(test_names_default),
		cmocka_unit_test(test_stages_describe),
		cmocka_unit_test(test_resolve_error_names_option),
	};

	return cmocka_run_group_tests_name("unit_usdt", tests, NULL, NULL);
}
