// SPDX-License-Identifier: MIT
/*
 * test_sim_v17.c - `epcmm run` answers as v17 runs (DIFFERENCES C2): an
 * enclave whose pages, SECS and VA page fit under its cgroup's misc.max
 * never pages, in deterministic and in threads mode; with `margin-reclaim =
 * on` the post-charge trigger pages the same enclave near its limit, and the
 * key refuses anything but on and off.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"
#include "sim_helpers.h"

/* 200 pages + SECS + 1 VA page = 202 pages = 808K: exactly the limit, over
 * the 128-page threshold where the margin (32 pages) applies. */
#define FITS_SCENARIO                                                                              \
	"[section 0]\nsize = 4M\n"                                                                 \
	"[cgroup /fits]\nmax = 808K\n"                                                             \
	"[enclave e]\ncgroup = /fits\nsize = 800K\npattern = uniform\naccesses = 50k\n"            \
	"writes = 30\n"

static void expect_never_pages(const char *mode)
{
	char text[1024];
	struct sim_result *r;

	snprintf(text, sizeof(text), FITS_SCENARIO "[run]\nmode = %s\n", mode);
	r = sim_run_text("v17.ini", text);
	CHECK_EQ(r->enclaves[0].accesses, 50000, "every access made");
	CHECK_EQ(r->enclaves[0].evicted, 0, "an enclave that fits is never evicted");
	CHECK_EQ(r->enclaves[0].faults, 0, "and never faults");
	CHECK_EQ(r->cgroups[1].peak, 808 * 1024, "its cgroup reaches exactly its limit");
	CHECK_EQ(r->cgroups[1].events, 0, "with no charge refused");
	sim_result_free(r);
}

static void test_sim_v17_fitting_enclave_never_pages_deterministic(void **state)
{
	(void)state;
	expect_never_pages("deterministic");
}

static void test_sim_v17_fitting_enclave_never_pages_threads(void **state)
{
	(void)state;
	expect_never_pages("threads");
}

/* The option the v11 changelog meant: within 32 pages of the limit, the
 * background work evicts, so the same enclave pages. */
static void test_sim_v17_margin_reclaim_option_pages_near_the_limit(void **state)
{
	struct sim_result *r =
		sim_run_text("v17.ini", FITS_SCENARIO "[run]\nmargin-reclaim = on\n");

	(void)state;
	CHECK(r->enclaves[0].evicted > 0, "margin-reclaim evicts from an enclave that fits");
	CHECK(r->enclaves[0].faults > 0, "which then faults its pages back");
	sim_result_free(r);
}

static void test_sim_v17_margin_reclaim_key_refuses_other_values(void **state)
{
	static const char text[] = "[section 0]\nsize = 4M\n[run]\nmargin-reclaim = yes\n";
	struct sim_scenario *s = NULL;
	char err[SIM_ERR_LEN] = "";

	(void)state;
	CHECK_EQ(sim_scenario_new(&s), 0, "a scenario");
	CHECK_EQ(sim_scenario_parse(s, "v17.ini", text, strlen(text), err, sizeof(err)), -EINVAL,
		 "margin-reclaim = yes is refused");
	if (!strstr(err, "v17.ini:4:") ||
	    !strstr(err, "margin-reclaim: 'yes' (expected on or off)"))
		fail_msg("the message names the line and the values: %s", err);
	sim_scenario_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sim_v17_fitting_enclave_never_pages_deterministic),
		cmocka_unit_test(test_sim_v17_fitting_enclave_never_pages_threads),
		cmocka_unit_test(test_sim_v17_margin_reclaim_option_pages_near_the_limit),
		cmocka_unit_test(test_sim_v17_margin_reclaim_key_refuses_other_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
