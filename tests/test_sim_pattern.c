// SPDX-License-Identifier: MIT
/*
 * test_sim_pattern.c - the access patterns (sim/pattern.c): zipf draws follow
 * 1/(rank+1)^theta, uniform spreads evenly, sequential wraps and splits its
 * start over the threads, working-set stays in its first pages, the write
 * share matches, and the same seed gives the same stream.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"

#include "pattern.h"

#define DRAWS 1000000

static struct sim_enclave encl(enum sim_pattern_kind kind, unsigned writes)
{
	struct sim_enclave e = {.threads = 1, .writes = writes};

	snprintf(e.name, sizeof(e.name), "e");
	e.pattern.kind = kind;
	e.pattern.theta = 1.0;
	e.pattern.ws_bytes = 8 * 4096;
	return e;
}

static void test_sim_pattern_zipf(void **state)
{
	struct sim_enclave e = encl(SIM_PATTERN_ZIPF, 0);
	struct sim_zipf z;
	struct sim_source src;
	char err[64];
	uint64_t *hits = calloc(100, sizeof(*hits));
	double h = 0;

	(void)state;
	assert_non_null(hits);
	assert_int_equal(sim_zipf_init(&z, 100, 1.0), 0);
	CHECK_ERR(sim_source_init(&src, &e, 100, 0, 1, 1, &z, err, sizeof(err)), 0,
		  "sim_source_init");
	for (int i = 1; i <= 100; i++)
		h += 1.0 / i;
	for (int i = 0; i < DRAWS; i++) {
		uint64_t p;
		bool w;

		CHECK_EQ_AT(sim_source_next(&src, &p, &w), 0, i);
		CHECK_AT(p < 100, i);
		CHECK_AT(!(w), i);
		hits[p]++;
	}
	for (int r = 0; r < 100; r += 9) {
		double want = DRAWS / ((r + 1) * h);

		if (fabs((double)hits[r] - want) > 5 * sqrt(want) + 1)
			fail_msg("rank %d: %llu draws, expected %.0f", r,
				 (unsigned long long)hits[r], want);
	}
	sim_zipf_free(&z);
	CHECK_ERR(sim_zipf_init(&z, SIM_ZIPF_MAX_PAGES + 1, 1.0), -E2BIG, "sim_zipf_init");
	assert_null(z.prob);
	free(hits);
}

static void test_sim_pattern_uniform_and_writes(void **state)
{
	struct sim_enclave e = encl(SIM_PATTERN_UNIFORM, 30);
	struct sim_source a, b;
	uint64_t hits[10] = {0}, writes = 0;
	char err[64];

	(void)state;
	CHECK_ERR(sim_source_init(&a, &e, 10, 0, 1, 7, NULL, err, sizeof(err)), 0,
		  "sim_source_init");
	CHECK_ERR(sim_source_init(&b, &e, 10, 0, 1, 7, NULL, err, sizeof(err)), 0,
		  "sim_source_init");
	for (int i = 0; i < DRAWS; i++) {
		uint64_t p, q;
		bool w, v;

		sim_source_next(&a, &p, &w);
		sim_source_next(&b, &q, &v);
		CHECK_AT(p == q && w == v, i); /* same seed, same stream */
		hits[p]++;
		writes += w;
	}
	for (int i = 0; i < 10; i++)
		CHECK_AT(fabs((double)hits[i] - DRAWS / 10.0) < 5 * sqrt(DRAWS / 10.0), i);
	CHECK(fabs((double)writes - 0.3 * DRAWS) < 5 * sqrt(0.21 * DRAWS),
	      check_fmt("30%% writes within 5 sigma: %llu of %d", (unsigned long long)writes,
			(int)DRAWS));
}

static void test_sim_pattern_sequential_and_working_set(void **state)
{
	struct sim_enclave e = encl(SIM_PATTERN_SEQUENTIAL, 0);
	struct sim_source s0, s1, ws;
	char err[64];
	uint64_t p;
	bool w;

	(void)state;
	CHECK_ERR(sim_source_init(&s0, &e, 10, 0, 2, 1, NULL, err, sizeof(err)), 0,
		  "sim_source_init");
	CHECK_ERR(sim_source_init(&s1, &e, 10, 1, 2, 1, NULL, err, sizeof(err)), 0,
		  "sim_source_init");
	for (int i = 0; i < 25; i++) {
		sim_source_next(&s0, &p, &w);
		CHECK_EQ_AT(p, (uint64_t)(i % 10), i);
		sim_source_next(&s1, &p, &w);
		CHECK_EQ_AT(p, (uint64_t)((i + 5) % 10), i);
	}
	e = encl(SIM_PATTERN_WORKING_SET, 0);
	CHECK_ERR(sim_source_init(&ws, &e, 1000, 0, 1, 1, NULL, err, sizeof(err)), 0,
		  "sim_source_init");
	for (int i = 0; i < 10000; i++) {
		sim_source_next(&ws, &p, &w);
		CHECK_AT(p < 8, i);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sim_pattern_zipf),
		cmocka_unit_test(test_sim_pattern_uniform_and_writes),
		cmocka_unit_test(test_sim_pattern_sequential_and_working_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
