// SPDX-License-Identifier: MIT
/*
 * test_corpus.c - replays the checked-in libFuzzer corpus of the cgroupfs
 * target (tests/fuzz/corpus/cgroupfs) through the same entry point the fuzzer
 * uses, fuzz_cgroupfs_one(), with any compiler: one case per corpus file,
 * plus hand-made inputs for the splitting rules and the long and deep paths.
 * A property violation abort()s, which cmocka reports as a failed case.
 */
#include <dirent.h>
#include <errno.h>

#include "helpers.h"

#include "fuzz/fuzz_cgroupfs.h"

#define CORPUS_DIR EPCMM_TEST_DIR "/fuzz/corpus/cgroupfs"
#define MIN_SEEDS  20

struct seed {
	char *name;
	char *path;
};

static int seed_cmp(const void *a, const void *b)
{
	return strcmp(((const struct seed *)a)->name, ((const struct seed *)b)->name);
}

/* The corpus files, sorted by name. */
static struct seed *list_seeds(size_t *nr)
{
	DIR *d = opendir(CORPUS_DIR);
	struct seed *seeds = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			seeds = realloc(seeds, cap * sizeof(*seeds));
			if (!seeds)
				abort();
		}
		seeds[n].name = strdup(de->d_name);
		if (asprintf(&seeds[n].path, "%s/%s", CORPUS_DIR, de->d_name) < 0 || !seeds[n].name)
			abort();
		n++;
	}
	closedir(d);
	qsort(seeds, n, sizeof(*seeds), seed_cmp);
	*nr = n;
	return seeds;
}

static void test_corpus_cgroupfs_seed(void **state)
{
	const char *path = *state;
	FILE *f = fopen(path, "rb");
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
	assert_int_equal(fuzz_cgroupfs_one(data, (size_t)size), 0);
	free(data);
}

static void test_corpus_cgroupfs_has_seeds(void **state)
{
	size_t n = 0;
	struct seed *seeds = list_seeds(&n);

	(void)state;
	assert_non_null(seeds);
	if (n < MIN_SEEDS)
		fail_msg("%zu seeds in %s, expected at least %d", n, CORPUS_DIR, MIN_SEEDS);
	for (size_t i = 0; i < n; i++) {
		free(seeds[i].name);
		free(seeds[i].path);
	}
	free(seeds);
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
		assert_int_equal(fuzz_cgroupfs_one(odd[i], odd_len[i]), 0);
	for (int b = 0; b < 256; b++) {
		uint8_t in[2] = {1, (uint8_t)b};

		assert_int_equal(fuzz_cgroupfs_one(in, 2), 0);
		in[0] = 0;
		assert_int_equal(fuzz_cgroupfs_one(in, 2), 0);
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
	size_t n = 0;
	struct seed *seeds = list_seeds(&n);
	struct CMUnitTest *tests = calloc(n + 2, sizeof(*tests));
	int ret;

	if (!tests)
		return 1;
	tests[0] = (struct CMUnitTest)cmocka_unit_test(test_corpus_cgroupfs_has_seeds);
	tests[1] = (struct CMUnitTest)cmocka_unit_test(test_corpus_cgroupfs_handmade);
	for (size_t i = 0; i < n; i++) {
		char *name;

		if (asprintf(&name, "test_corpus_cgroupfs_seed_%s", seeds[i].name) < 0)
			return 1;
		tests[i + 2] = (struct CMUnitTest){
			.name = name,
			.test_func = test_corpus_cgroupfs_seed,
			.initial_state = seeds[i].path,
		};
	}
	ret = _cmocka_run_group_tests("corpus", tests, n + 2, NULL, group_teardown);
	for (size_t i = 0; i < n; i++) {
		free((char *)tests[i + 2].name);
		free(seeds[i].name);
		free(seeds[i].path);
	}
	free(seeds);
	free(tests);
	return ret;
}
