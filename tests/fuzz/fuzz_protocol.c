// SPDX-License-Identifier: MIT
/*
 * fuzz_protocol.c - libFuzzer target for the daemon's message decoder and
 * request handler. The logic and the properties are in fuzz_protocol.h,
 * which tests/test_live_corpus.c replays over the checked-in corpus.
 *
 *   CC=clang meson setup build-fuzz -Dfuzz=true
 *   ninja -C build-fuzz tests/fuzz/fuzz_protocol
 *   ./build-fuzz/tests/fuzz/fuzz_protocol -max_total_time=180 tests/fuzz/corpus/protocol
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_protocol *instance; /* the harness's one instance */

	return fuzz_protocol_one(&instance, data, size);
}
