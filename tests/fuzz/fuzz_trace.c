// SPDX-License-Identifier: MIT
/*
 * fuzz_trace.c - libFuzzer target for the trace readers (Lackey, plain and
 * compact) and the compact writer. The properties are in fuzz_trace.h, which
 * tests/test_trace.c replays over the checked-in corpus.
 *
 *   CC=clang meson setup build-fuzz -Dfuzz=true
 *   ninja -C build-fuzz tests/fuzz/fuzz_trace
 *   ./build-fuzz/tests/fuzz/fuzz_trace -max_total_time=180 tests/fuzz/corpus/trace
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_trace_one(data, size);
}
