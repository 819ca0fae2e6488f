// SPDX-License-Identifier: MIT
/*
 * test_sim_corpus.c - replays the checked-in libFuzzer corpus of the scenario
 * parser (tests/fuzz/corpus/scenario) through fuzz_scenario_one(), the entry
 * point the fuzzer uses, with any compiler: one case per corpus file, plus a
 * few hand-made inputs. A property violation abort()s, which cmocka reports
 * as a failed case.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fuzz/fuzz_scenario.h"

#define CORPUS_DIR EPCMM_TEST_DIR "/fuzz/corpus/scenario"
#define MIN_SEEDS  40

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **list_seeds(size_t *nr)
{
	DIR *d = opendir(CORPUS_DIR);
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;

	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		if (!names || asprintf(&names[n], "%s/%s", CORPUS_DIR, de->d_name) < 0)
			abort();
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	*nr = n;
	return names;
}

static void test_sim_corpus_seed(void **state)
{
	FILE *f = fopen(*state, "rb");
	uint8_t *data;
	long size;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size >= 0 && size <= 1 << 20);
	rewind(f);
	data = malloc((size_t)size + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	assert_int_equal(fuzz_scenario_one(data, (size_t)size), 0);
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
	size_t n = 0;
	char **seeds = list_seeds(&n);

	(void)state;
	assert_non_null(seeds);
	if (n < MIN_SEEDS)
		fail_msg("%zu seeds in %s, expected at least %d", n, CORPUS_DIR, MIN_SEEDS);
	for (size_t i = 0; i < n; i++)
		free(seeds[i]);
	free(seeds);
	assert_int_equal(fuzz_scenario_one(NULL, 0), 0);
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++)
		assert_int_equal(fuzz_scenario_one((const uint8_t *)inputs[i], strlen(inputs[i])),
				 0);
}

int main(void)
{
	size_t n = 0;
	char **seeds = list_seeds(&n);
	struct CMUnitTest *tests = calloc(n + 1, sizeof(*tests));
	int ret;

	if (!tests)
		return 1;
	tests[0] = (struct CMUnitTest)cmocka_unit_test(test_sim_corpus_handmade);
	for (size_t i = 0; i < n; i++) {
		char *name;

		if (asprintf(&name, "test_sim_corpus_seed_%s", strrchr(seeds[i], '/') + 1) < 0)
			return 1;
		tests[i + 1] = (struct CMUnitTest){
			.name = name, .test_func = test_sim_corpus_seed, .initial_state = seeds[i]};
	}
	ret = _cmocka_run_group_tests("sim_corpus", tests, n + 1, NULL, NULL);
	for (size_t i = 0; i < n; i++) {
		free((char *)tests[i + 1].name);
		free(seeds[i]);
	}
	free(seeds);
	free(tests);
	return ret;
}
