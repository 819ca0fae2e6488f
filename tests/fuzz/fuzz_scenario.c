// SPDX-License-Identifier: MIT
/*
 * fuzz_scenario.c - libFuzzer target for the scenario parser (sim/scenario*.c).
 * The logic and the properties are in fuzz_scenario.h, which
 * tests/test_sim_corpus.c replays over the checked-in corpus.
 *
 *   CC=clang meson setup build-fuzz -Dfuzz=true
 *   ninja -C build-fuzz tests/fuzz/fuzz_scenario
 *   ./build-fuzz/tests/fuzz/fuzz_scenario -max_total_time=180 tests/fuzz/corpus/scenario
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_scenario_one(data, size);
}
