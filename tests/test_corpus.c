// SPDX-License-Identifier: MIT
/*
 * test_corpus.c - replays the checked-in libFuzzer corpus of the cgroupfs
 * target (tests/fuzz/corpus/cgroupfs) through the same entry point the fuzzer
 * uses, fuzz_cgroupfs_one(), with any compiler: one case per corpus file,
 * plus hand-made inputs for the splitting rules and the long and deep paths.
 * A property violation abort()s, which cmocka reports as a failed case.
 */
#include <errno.h>

#include "corpus.h"
#include "helpers.h"

#include "fuzz/fuzz_cgroupfs.h"

#define CORPUS_DIR EPCMM_TEST_DIR "/fuzz/corpus/cgroupfs"
#define MIN_SEEDS  20

static void test_corpus_cgroupfs_seed(void **state)
{
	size_t size;
	uint8_t *data = corpus_read(*state, &size);

	assert_int_equal(fuzz_cgroupfs_one(data, size), 0);
	free(data);
}

static void test_corpus_cgroupfs_has_seeds(void **state)
{
	(void)state;
	corpus_check_size(CORPUS_DIR, MIN_SEEDS);
}

static void one(const char *path, const char *text)
{
	size_t pl = strlen(path), tl = strlen(text);
	uint8_t *buf = malloc(pl + tl + 3);

	assert_non_null(buf);
	assert_true(pl < 0x10000);
	if (pl < 255) {
		buf[0] = (uint8_t)pl;
		memcpy(buf + 1, path, pl);
		memcpy(buf + 1 + pl, text, tl);
		assert_int_equal(fuzz_cgroupfs_one(buf, 1 + pl + tl), 0);
	} else {
		buf[0] = 255;
		buf[1] = (uint8_t)pl;
		buf[2] = (uint8_t)(pl >> 8);
		memcpy(buf + 3, path, pl);
		memcpy(buf + 3 + pl, text, tl);
		assert_int_equal(fuzz_cgroupfs_one(buf, 3 + pl + tl), 0);
	}
	free(buf);
}

/* Inputs the corpus may not keep: the splitting rules, long and deep paths. */
static void test_corpus_cgroupfs_handmade(void **state)
{
	static const uint8_t odd[][4] = {{0}, {255}, {255, 0}, {200, '/'}, {1, '/', 0, '5'}};
	static const size_t odd_len[] = {1, 1, 2, 2, 4};
	char path[1200];

	(void)state;
	assert_int_equal(fuzz_cgroupfs_one(NULL, 0), 0);
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
		CHECK_EQ_AT(fuzz_cgroupfs_one(odd[i], odd_len[i]), 0, i);
	for (int b = 0; b < 256; b++) {
		uint8_t in[2] = {1, (uint8_t)b};

		CHECK_EQ_AT(fuzz_cgroupfs_one(in, 2), 0, b);
		in[0] = 0;
		CHECK_EQ_AT(fuzz_cgroupfs_one(in, 2), 0, b);
	}
	one("/a/b", "sgx_epc 12345");
	one("/", "sgx_epc max\n");
	one("/a/../b", "sgx_epc 0x1000");
	/* a 255-byte name, then 256 */
	path[0] = '/';
	memset(path + 1, 'z', 255);
	path[256] = '\0';
	one(path, "sgx_epc 010");
	path[256] = 'z';
	path[257] = '\0';
	one(path, "sgx_epc 99999999999999999999");
	/* deeper than the harness builds (70 levels), and just within (64) */
	path[0] = '\0';
	for (int i = 0; i < 70; i++)
		strcat(path, "/d");
	one(path, "sgx_epc 8192");
	path[64 * 2] = '\0';
	one(path, "  sgx_epc 4096  \n");
}

static int group_teardown(void **state)
{
	(void)state;
	fuzz_cgroupfs_teardown();
	return 0;
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_corpus_cgroupfs_has_seeds),
		cmocka_unit_test(test_corpus_cgroupfs_handmade),
	};

	return corpus_run("corpus", fixed, 2, CORPUS_DIR, "test_corpus_cgroupfs_seed_",
			  test_corpus_cgroupfs_seed, group_teardown);
}
