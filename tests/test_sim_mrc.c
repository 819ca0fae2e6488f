// SPDX-License-Identifier: MIT
/*
 * test_sim_mrc.c - the one-pass miss-ratio curve (sim/mrc.c) against an LRU
 * cache simulated page by page at every size, on hand-made and random
 * traces: the build's EADD pass included (and left out for a dynamic, EDMM
 * enclave, whose first touches are no misses), runs, a trace of one page, the
 * rate search, and refusals.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"

#include "mrc.h"
#include "trace.h"

#define RAND_PAGES    40
#define RAND_ACCESSES 3000
#define RAND_TRACES   20

/* A plain trace of @n page indices (as addresses of those pages). */
static struct sim_trace *trace_of(const uint64_t *pages, size_t n)
{
	size_t cap = n * 24 + 1, len = 0;
	char *text = malloc(cap), err[256] = "";
	struct sim_trace *t = NULL;

	CHECK(text != NULL, "memory for the trace text");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len, "0x%llx\n",
					(unsigned long long)(pages[i] * 4096));
	if (sim_trace_open_buffer(text, len, "test", &t, err, sizeof(err)))
		fail_msg("the trace does not open: %s", err);
	free(text);
	return t;
}

/*
 * The misses of an LRU cache of @c pages, simulated: the stack as an array,
 * most recent first, after the build touched pages 0..N-1 in order. @pages
 * are in first-touch order, as the trace reader numbers them.
 */
static uint64_t lru_misses(const uint64_t *pages, size_t n, uint64_t nr_pages, uint64_t c,
			   bool dynamic)
{
	uint64_t *stack = calloc(nr_pages, sizeof(*stack)), depth = 0, misses = 0;

	CHECK(stack != NULL, "memory for the stack");
	for (uint64_t p = 0; !dynamic && p < nr_pages; p++) { /* the build */
		memmove(stack + 1, stack, depth * sizeof(*stack));
		stack[0] = p;
		depth++;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t d = 0;

		while (d < depth && stack[d] != pages[i])
			d++;
		if (d == depth) /* a dynamic enclave's first touch: an EAUG */
			depth++;
		else if (d >= c) /* at position d: distance d + 1 */
			misses++;
		memmove(stack + 1, stack, d * sizeof(*stack));
		stack[0] = pages[i];
	}
	free(stack);
	return misses;
}

static void expect_curve_of(const uint64_t *pages, size_t n, bool dynamic)
{
	struct sim_trace *t = trace_of(pages, n);
	uint64_t nr_pages = sim_trace_nr_pages(t);
	struct sim_mrc *m = NULL;

	CHECK_EQ(sim_mrc_build(t, dynamic, &m), 0, "build the curve");
	CHECK_EQ(m->nr_pages, nr_pages, "the curve spans the trace's pages");
	CHECK_EQ(m->nr_accesses, n, "every access counted");
	for (uint64_t c = 0; c <= nr_pages + 1; c++) {
		uint64_t want = lru_misses(pages, n, nr_pages, c, dynamic);

		if (sim_mrc_misses(m, c) != want)
			fail_msg("cache of %llu pages: curve says %llu misses, LRU %llu",
				 (unsigned long long)c, (unsigned long long)sim_mrc_misses(m, c),
				 (unsigned long long)want);
	}
	sim_mrc_free(m);
	sim_trace_close(t);
}

/* The curve of a static enclave (built first) and of a dynamic one. */
static void expect_curve(const uint64_t *pages, size_t n)
{
	expect_curve_of(pages, n, false);
	expect_curve_of(pages, n, true);
}

static void test_sim_mrc_hand_made(void **state)
{
	/* 0 1 2 loaded; a loop over three pages, a run, a return to page 0. */
	static const uint64_t loop[] = {0, 1, 2, 0, 1, 2, 2, 2, 0, 1, 1, 0};
	static const uint64_t one[] = {0, 0, 0, 0};

	(void)state;
	expect_curve(loop, sizeof(loop) / sizeof(loop[0]));
	expect_curve(one, sizeof(one) / sizeof(one[0]));
}

/* Random traces with locality: runs, a hot set, and a cold tail. */
static void test_sim_mrc_matches_lru_on_random_traces(void **state)
{
	uint64_t pages[RAND_ACCESSES];
	uint64_t seed = 0x9e3779b97f4a7c15ull;

	(void)state;
	for (int round = 0; round < RAND_TRACES; round++) {
		uint64_t seen = 0;

		for (size_t i = 0; i < RAND_ACCESSES; i++) {
			uint64_t r, p;

			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			r = seed >> 33;
			if (i && r % 4 == 0)
				p = pages[i - 1]; /* a run */
			else if (r % 3)
				p = (r >> 4) % (RAND_PAGES / 4); /* the hot quarter */
			else
				p = (r >> 4) % RAND_PAGES;
			/* First-touch order, as the reader numbers pages. */
			pages[i] = p < seen ? p : seen++;
		}
		expect_curve(pages, RAND_ACCESSES);
	}
}

static void test_sim_mrc_pages_for_rate(void **state)
{
	static const uint64_t loop[] = {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3};
	struct sim_trace *t = trace_of(loop, 12);
	struct sim_mrc *m = NULL;

	(void)state;
	CHECK_EQ(sim_mrc_build(t, false, &m), 0, "build the curve");
	/* LRU on a loop of 4: every access misses below 4 pages, none at 4. */
	CHECK_EQ(sim_mrc_misses(m, 3), 12, "a loop one page too big misses all");
	CHECK_EQ(sim_mrc_misses(m, 4), 0, "the whole loop misses nothing");
	CHECK_EQ(sim_mrc_pages_for_rate(m, 0.0), 4, "no misses: the whole loop");
	CHECK_EQ(sim_mrc_pages_for_rate(m, 1.0), 0, "any rate: no page at all");
	CHECK_EQ(sim_mrc_pages_for_rate(m, 0.99), 4, "just under all: the whole loop");
	sim_mrc_free(m);
	/* EDMM: the first round's touches add the pages; only the later 8 miss */
	CHECK_EQ(sim_mrc_build(t, true, &m), 0, "build the dynamic curve");
	CHECK_EQ(sim_mrc_misses(m, 3), 8, "a dynamic loop misses from its second round");
	CHECK_EQ(sim_mrc_misses(m, 0), 8, "first touches are no misses at any size");
	sim_mrc_free(m);
	sim_trace_close(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sim_mrc_hand_made),
		cmocka_unit_test(test_sim_mrc_matches_lru_on_random_traces),
		cmocka_unit_test(test_sim_mrc_pages_for_rate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
