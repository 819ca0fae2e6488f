// SPDX-License-Identifier: MIT
/*
 * test_sim_corpus.c - replays the checked-in libFuzzer corpus of the scenario
 * parser (tests/fuzz/corpus/scenario) through fuzz_scenario_one(), the entry
 * point the fuzzer uses, with any compiler: one case per corpus file, plus a
 * few hand-made inputs. A property violation abort()s, which cmocka reports
 * as a failed case.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "corpus.h"

#include "fuzz/fuzz_scenario.h"

#define CORPUS_DIR EPCMM_TEST_DIR "/fuzz/corpus/scenario"
#define MIN_SEEDS  40

static void test_sim_corpus_seed(void **state)
{
	size_t size;
	uint8_t *data = corpus_read(*state, &size);

	assert_int_equal(fuzz_scenario_one(data, size), 0);
	free(data);
}

static void test_sim_corpus_handmade(void **state)
{
	static const char *const inputs[] = {
		"",
		"\x01",
		"[",
		"]",
		"=",
		"[run]\n=\n",
		"[section 0]\nsize=4K\n[enclave e]\nsize=4K\ncpus=0\n",
		"\xEF\xBB\xBF[section 0]\nsize = 4K\n[enclave e]\nsize = 4K\n",
		"[section 0]\r\nsize = 4K\r\n[enclave e]\r\nsize = 4K\r\n",
		"[cgroup /a/b/c/d]\n[section 0]\nsize=4K\n[enclave e]\nsize=4K\ncgroup=/a/b\n",
		"[node 0]\ncpus=0-4095\n[section 0]\nsize=4K\n[enclave e]\nsize=4K\ncpus=4095\n",
	};
	(void)state;
	corpus_check_size(CORPUS_DIR, MIN_SEEDS);
	assert_int_equal(fuzz_scenario_one(NULL, 0), 0);
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++)
		CHECK_EQ_AT(fuzz_scenario_one((const uint8_t *)inputs[i], strlen(inputs[i])), 0, i);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_sim_corpus_handmade),
	};

	return corpus_run("sim_corpus", fixed, 1, CORPUS_DIR, "test_sim_corpus_seed_",
			  test_sim_corpus_seed, NULL);
}
