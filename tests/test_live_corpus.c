// SPDX-License-Identifier: MIT
/*
 * test_live_corpus.c - replays the checked-in libFuzzer corpus of the
 * protocol target (tests/fuzz/corpus/protocol) through the entry point the
 * fuzzer uses, fuzz_protocol_one(), with any compiler: one case per file.
 * A property violation abort()s, which cmocka reports as a failed case.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fuzz/fuzz_protocol.h"

#define CORPUS_DIR EPCMM_TEST_DIR "/fuzz/corpus/protocol"
#define MIN_SEEDS  20

static struct fuzz_protocol *instance;

static void test_live_corpus_seed(void **state)
{
	const char *path = *state;
	FILE *f = fopen(path, "rb");
	uint8_t *data;
	long size;

	if (!f)
		fail_msg("cannot open the seed %s", path);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	if (size < 0 || size > (1 << 22))
		fail_msg("seed %s: size %ld", path, size);
	rewind(f);
	data = malloc((size_t)size + 1);
	if (!data || fread(data, 1, (size_t)size, f) != (size_t)size)
		fail_msg("cannot read the seed %s", path);
	fclose(f);
	if (fuzz_protocol_one(&instance, data, (size_t)size))
		fail_msg("seed %s: the target refused it", path);
	free(data);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	struct CMUnitTest *tests;
	char **paths = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *d = opendir(CORPUS_DIR);
	int ret;

	if (!d) {
		fprintf(stderr, "no corpus at %s\n", CORPUS_DIR);
		return 1;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		paths = realloc(paths, (n + 1) * sizeof(*paths));
		if (!paths || asprintf(&paths[n], "%s/%s", CORPUS_DIR, de->d_name) < 0)
			abort();
		n++;
	}
	closedir(d);
	if (n < MIN_SEEDS) {
		fprintf(stderr, "the corpus has %zu seeds, fewer than %d\n", n, MIN_SEEDS);
		return 1;
	}
	qsort(paths, n, sizeof(*paths), name_cmp);
	tests = calloc(n, sizeof(*tests));
	for (size_t i = 0; i < n; i++)
		tests[i] = (struct CMUnitTest){
			.name = strrchr(paths[i], '/') + 1,
			.test_func = test_live_corpus_seed,
			.initial_state = paths[i],
		};
	ret = _cmocka_run_group_tests("live_corpus", tests, n, NULL, NULL);
	fuzz_protocol_teardown(&instance);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	free(tests);
	return ret;
}
