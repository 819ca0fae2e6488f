// SPDX-License-Identifier: MIT
/*
 * test_selftest.c - the kernel's EPC cgroup selftest scenarios (behaviours
 * 65-71, selftest/selftest.h) as unit tests on a small EPC: every case must
 * pass, the TAP must be well formed, and bad machines are refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "epcmm.h"
#include "selftest.h"

/* Run the cases into a memory buffer; return the TAP text (caller frees). */
static char *run(const uint64_t *sizes, int nr_sections, int nodes, uint64_t seed,
		 struct selftest_result *res, int *ret)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct selftest_config cfg = {.epc_sizes = sizes,
				      .nr_sections = nr_sections,
				      .nr_nodes = nodes,
				      .seed = seed,
				      .out = f};

	assert_non_null(f);
	*ret = selftest_run(&cfg, res);
	fclose(f);
	return text;
}

static void check_tap(const char *tap, const struct selftest_result *res)
{
	char want[64];

	if (strncmp(tap, "1..8\n", 5))
		fail_msg("the TAP does not start with its plan:\n%s", tap);
	for (int i = 1; i <= SELFTEST_NR_CASES; i++) {
		snprintf(want, sizeof(want), "\nok %d - ", i);
		if (!strstr(tap, want))
			fail_msg("case %d did not pass:\n%s", i, tap);
	}
	if (strstr(tap, "not ok"))
		fail_msg("a case failed:\n%s", tap);
	snprintf(want, sizeof(want), "\n%d passed, 0 failed\n", SELFTEST_NR_CASES);
	if (!strstr(tap, want))
		fail_msg("no summary line '%s':\n%s", want + 1, tap);
	if (res->passed != SELFTEST_NR_CASES || res->failed)
		fail_msg("result %d passed, %d failed", res->passed, res->failed);
}

/* Behaviours 65-71 on a 4 MiB EPC, one node. */
static void test_selftest_b65_b71_all_cases_pass_4m(void **state)
{
	const uint64_t sizes[] = {4 << 20};
	struct selftest_result res;
	int ret;
	char *tap = run(sizes, 1, 1, 1, &res, &ret);

	(void)state;
	if (ret)
		fail_msg("selftest_run: %d", ret);
	check_tap(tap, &res);
	if (!strstr(tap, "runs OOM-killed"))
		fail_msg("the memcg case did not report its OOM kills:\n%s", tap);
	free(tap);
}

/* Two sections on two nodes, another seed for the kill. */
static void test_selftest_b65_b71_two_nodes(void **state)
{
	const uint64_t sizes[] = {2 << 20, 2 << 20};
	struct selftest_result res;
	int ret;
	char *tap = run(sizes, 2, 2, 12345, &res, &ret);

	(void)state;
	if (ret)
		fail_msg("selftest_run: %d", ret);
	check_tap(tap, &res);
	free(tap);
}

static void test_selftest_bad_machine_refused(void **state)
{
	const uint64_t odd[] = {4096 * 1000 + 1}, tiny[] = {4096 * 511}, ok[] = {4 << 20};
	struct selftest_result res;
	int ret;
	char *tap;

	(void)state;
	tap = run(odd, 1, 1, 1, &res, &ret);
	if (ret != -EINVAL || (tap && *tap))
		fail_msg("a section not in whole pages: %d, output '%s'", ret, tap ? tap : "");
	free(tap);
	tap = run(tiny, 1, 1, 1, &res, &ret);
	if (ret != -EINVAL)
		fail_msg("under 512 pages (no small limit): %d", ret);
	free(tap);
	tap = run(ok, 0, 1, 1, &res, &ret);
	if (ret != -EINVAL)
		fail_msg("no section: %d", ret);
	free(tap);
	tap = run(ok, 1, 0, 1, &res, &ret);
	if (ret != -EINVAL)
		fail_msg("no node: %d", ret);
	free(tap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_selftest_b65_b71_all_cases_pass_4m),
		cmocka_unit_test(test_selftest_b65_b71_two_nodes),
		cmocka_unit_test(test_selftest_bad_machine_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
