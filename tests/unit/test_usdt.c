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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_arg),
		cmocka_unit_test(test_read_notes),
	};

	return cmocka_run_group_tests_name("unit_usdt", tests, NULL, NULL);
}
