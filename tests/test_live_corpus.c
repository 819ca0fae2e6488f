// SPDX-License-Identifier: MIT
/*
 * test_live_corpus.c - replays the checked-in libFuzzer corpus of the
 * protocol target (tests/fuzz/corpus/protocol) through the entry point the
 * fuzzer uses, fuzz_protocol_one(), with any compiler: one case per file.
 * A property violation abort()s, which cmocka reports as a failed case.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "corpus.h"

#include "fuzz/fuzz_protocol.h"

#define CORPUS_DIR EPCMM_TEST_DIR "/fuzz/corpus/protocol"
#define MIN_SEEDS  20

static struct fuzz_protocol *instance;

static void test_live_corpus_seed(void **state)
{
	size_t size;
	uint8_t *data = corpus_read(*state, &size);

	if (fuzz_protocol_one(&instance, data, size))
		fail_msg("seed %s: the target refused it", (const char *)*state);
	free(data);
}

static void test_live_corpus_has_seeds(void **state)
{
	(void)state;
	corpus_check_size(CORPUS_DIR, MIN_SEEDS);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_live_corpus_has_seeds),
	};
	int ret = corpus_run("live_corpus", fixed, 1, CORPUS_DIR, "", test_live_corpus_seed, NULL);

	fuzz_protocol_teardown(&instance);
	return ret;
}
