// SPDX-License-Identifier: MIT
/*
 * test_abi.c - the version a program can check, and the size rule for the
 * struct the caller fills (epc_create2()). Built against the public header
 * and the shared library only, as an outside program would be.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"

#include "epcmm.h"

#define PAGE EPC_PAGE_SIZE

static void quiet(int level, const char *msg, void *arg)
{
	int *errs = arg;

	(void)msg;
	if (errs && level <= 3 /* LOG_ERR */)
		(*errs)++;
}

static void test_abi_version_macros_match_library(void **state)
{
	char s[32];
	uint32_t v = epc_version();

	(void)state;
	CHECK_EQ(v, EPCMM_VERSION, "epc_version() is the header's EPCMM_VERSION");
	CHECK_EQ(v >> 16, EPCMM_VERSION_MAJOR, "major in bits 16-23");
	CHECK_EQ((v >> 8) & 0xff, EPCMM_VERSION_MINOR, "minor in bits 8-15");
	CHECK_EQ(v & 0xff, EPCMM_VERSION_PATCH, "patch in bits 0-7");
	snprintf(s, sizeof(s), "%d.%d.%d", EPCMM_VERSION_MAJOR, EPCMM_VERSION_MINOR,
		 EPCMM_VERSION_PATCH);
	CHECK_EQ(strcmp(s, EPCMM_VERSION_STRING), 0, "the string spells the numbers");
	/* the build's project version is the header's */
	CHECK_EQ(strcmp(EPCMM_VERSION_STRING, EPCMM_MESON_VERSION), 0,
		 "meson's project version is the header's");
	CHECK_EQ(EPCMM_VERSION_ENCODE(0, 2, 0) <= v, 1, "at least 0.2.0");
	CHECK_EQ(EPCMM_VERSION_ENCODE(0, 1, 9) < EPCMM_VERSION_ENCODE(0, 2, 0), 1,
		 "packed versions compare as numbers");
}

/* A caller's struct epc_config bigger than the library's, with a zero tail. */
struct config_next {
	struct epc_config c;
	uint64_t future_field;
};

static void test_abi_create2_sizes(void **state)
{
	struct epc_section_desc s = {.phys_addr = 1ULL << 32, .size = 16 * PAGE, .node = 0};
	struct config_next cn;
	struct epc_stats st;
	struct epc *epc = NULL;
	int errs = 0;

	(void)state;
	memset(&cn, 0, sizeof(cn));
	cn.c.nr_nodes = 1;
	cn.c.sections = &s;
	cn.c.nr_sections = 1;
	cn.c.background = EPC_BACKGROUND_MANUAL;
	cn.c.log = quiet;
	cn.c.log_arg = &errs;

	CHECK_EQ(epc_create2(&cn.c, sizeof(cn.c), &epc), 0, "the library's own size");
	CHECK_EQ(epc_sanitize_wait(epc), 0, "sanitize");
	memset(&st, 0, sizeof(st));
	CHECK_EQ(epc_get_stats2(epc, &st, sizeof(st)), 0, "stats");
	CHECK_EQ(st.nr_free, 16, "the configured section");
	epc_destroy(epc);

	epc = NULL;
	CHECK_EQ(epc_create2(&cn.c, sizeof(cn), &epc), 0, "a bigger struct with a zero tail");
	epc_destroy(epc);

	epc = NULL;
	cn.future_field = 1;
	CHECK_EQ(epc_create2(&cn.c, sizeof(cn), &epc), -EINVAL, "a field this library lacks");
	CHECK_EQ(epc == NULL, 1, "no instance");
	CHECK_EQ(errs, 1, "one LOG_ERR line names the byte");

	epc = NULL;
	CHECK_EQ(epc_create2(&cn.c, 0, &epc), -EINVAL, "size 0");
	CHECK_EQ(epc == NULL, 1, "no instance");

	/* a prefix: the fields past it take their defaults (no logger: stderr) */
	epc = NULL;
	CHECK_EQ(epc_create2(&cn.c, offsetof(struct epc_config, background), &epc), 0, "a prefix");
	CHECK_EQ(epc_run_background(epc), -EINVAL, "background past the prefix: THREADS");
	epc_destroy(epc);
}

/* The 0.2.0 names and the 0.1.0 aliases do the same; the enum mode is checked. */
static void test_abi_aliases_and_access_mode(void **state)
{
	struct epc_section_desc s = {.phys_addr = 1ULL << 32, .size = 16 * PAGE, .node = 0};
	struct epc_config c = {.nr_nodes = 1,
			       .sections = &s,
			       .nr_sections = 1,
			       .background = EPC_BACKGROUND_MANUAL,
			       .log = quiet};
	struct epc_node_stats a, b;
	struct epc *epc = NULL;
	struct epc_task *t = NULL;
	struct epc_encl *e = NULL;
	unsigned char in[8] = "written", out[8] = {0};

	(void)state;
	CHECK_EQ(epc_create(&c, &epc), 0, "create");
	CHECK_EQ(epc_sanitize_wait(epc), 0, "sanitize");
	CHECK_EQ(epc_task_create(epc, NULL, 0, &t), 0, "task");
	CHECK_EQ(epc_encl_create(t, 2 * PAGE, &e), 0, "ECREATE");
	CHECK_EQ(epc_encl_add_page(t, e, 0, NULL), 0, "EADD");
	CHECK_EQ(epc_encl_access2(t, e, 8, in, sizeof(in), EPC_ACCESS_WRITE), 0, "write");
	CHECK_EQ(epc_encl_access(t, e, 8, out, sizeof(out), false), 0, "read, 0.1.0 form");
	CHECK_EQ(memcmp(in, out, sizeof(in)), 0, "the bytes written");
	memset(out, 0, sizeof(out));
	CHECK_EQ(epc_encl_access2(t, e, 8, out, sizeof(out), EPC_ACCESS_READ), 0, "read");
	CHECK_EQ(memcmp(in, out, sizeof(in)), 0, "the same bytes");
	CHECK_EQ(epc_encl_access2(t, e, 8, out, sizeof(out), (enum epc_access)2), -EINVAL,
		 "an unknown mode");
	memset(&a, 0x11, sizeof(a));
	memset(&b, 0x22, sizeof(b));
	CHECK_EQ(epc_get_node_stats(epc, 0, &a), 0, "0.1.0 name");
	CHECK_EQ(epc_node_get_stats(epc, 0, &b, sizeof(b)), 0, "0.2.0 name");
	CHECK_EQ(a.nr_total == b.nr_total && a.nr_free == b.nr_free &&
			 a.nr_alloc_local == b.nr_alloc_local && a.has_epc == b.has_epc,
		 1, "the same numbers");
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_abi_version_macros_match_library),
		cmocka_unit_test(test_abi_create2_sizes),
		cmocka_unit_test(test_abi_aliases_and_access_mode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
