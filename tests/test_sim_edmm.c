// SPDX-License-Identifier: MIT
/*
 * test_sim_edmm.c - dynamic (EDMM) enclaves in a run, in deterministic and in
 * threads mode (issue 19): every first touch of a dynamic page is an EAUG
 * charged to the enclave's cgroup and counted apart from faults, a heap that
 * grows past its limit pages like any other, and a trim removes every page it
 * trims (a page touched again is EAUGed anew); the cgroup's counts equal the
 * enclave's.
 */
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

#define PAGE	   4096
#define HEAP_PAGES 256 /* 1 MiB heap, 256 KiB static part */

/* A sequential walk touches every page once per pass: 1 MiB, 256 KiB of it
 * EADDed at build, the rest EAUGed, in a cgroup with room for all of it. */
static void expect_first_touches_are_eaugs(const char *mode)
{
	char text[1024];
	struct sim_result *r;

	snprintf(text, sizeof(text),
		 "[section 0]\nsize = 8M\n[cgroup /d]\nmax = 2M\n"
		 "[enclave e]\ncgroup = /d\nsize = 1M\ndynamic = on\nstatic = 256K\n"
		 "pattern = sequential\naccesses = %d\n[run]\nmode = %s\n",
		 2 * HEAP_PAGES, mode);
	r = sim_run_text("edmm.ini", text);
	CHECK_EQ(r->enclaves[0].augmented, HEAP_PAGES - 64, "each dynamic page EAUGed once");
	CHECK_EQ(r->enclaves[0].faults, 0, "an EAUG is no fault, and nothing was evicted");
	CHECK_EQ(r->cgroups[1].augmented, r->enclaves[0].augmented,
		 "the cgroup counts the enclave's EAUGs");
	CHECK(r->cgroups[1].peak >= (uint64_t)HEAP_PAGES * PAGE,
	      "the EAUGed pages are charged to the cgroup");
	sim_result_free(r);
}

static void test_sim_edmm_first_touches_deterministic(void **state)
{
	(void)state;
	expect_first_touches_are_eaugs("deterministic");
}

static void test_sim_edmm_first_touches_threads(void **state)
{
	(void)state;
	expect_first_touches_are_eaugs("threads");
}

/* A heap past its limit pages; a trim halfway removes pages, and pages
 * touched again after it are EAUGed anew. */
static void expect_trim_returns_the_charge(const char *mode)
{
	char text[1024];
	struct sim_result *r;

	snprintf(text, sizeof(text),
		 "[section 0]\nsize = 8M\n[cgroup /d]\nmax = 512K\n"
		 "[enclave e]\ncgroup = /d\nsize = 1M\ndynamic = on\n"
		 "pattern = sequential\naccesses = %d\n"
		 "[event cut]\nat = %d\nenclave = e\ntrim = 512K\n[run]\nmode = %s\n",
		 2 * HEAP_PAGES, HEAP_PAGES, mode);
	r = sim_run_text("edmm.ini", text);
	CHECK(r->enclaves[0].augmented >= HEAP_PAGES, "the whole heap was EAUGed");
	CHECK(r->enclaves[0].evicted > 0, "a heap past its limit pages");
	CHECK(r->enclaves[0].trimmed > 0, "the trim trimmed pages");
	CHECK_EQ(r->enclaves[0].removed, r->enclaves[0].trimmed, "every trimmed page removed");
	CHECK_EQ(r->cgroups[1].removed, r->enclaves[0].removed, "the cgroup counts them");
	/* Deterministic mode fires the trim after exactly HEAP_PAGES accesses, so
	 * the second pass finds the trimmed pages gone and EAUGs each anew; threads
	 * mode fires it when its sampler looks, possibly after the last access. */
	if (!strcmp(mode, "deterministic"))
		CHECK_EQ(r->enclaves[0].augmented, HEAP_PAGES + r->enclaves[0].trimmed,
			 "a trimmed page touched again is EAUGed again");
	CHECK(r->cgroups[1].peak <= 512 * 1024, "the limit held");
	sim_result_free(r);
}

static void test_sim_edmm_trim_deterministic(void **state)
{
	(void)state;
	expect_trim_returns_the_charge("deterministic");
}

static void test_sim_edmm_trim_threads(void **state)
{
	(void)state;
	expect_trim_returns_the_charge("threads");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sim_edmm_first_touches_deterministic),
		cmocka_unit_test(test_sim_edmm_first_touches_threads),
		cmocka_unit_test(test_sim_edmm_trim_deterministic),
		cmocka_unit_test(test_sim_edmm_trim_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
