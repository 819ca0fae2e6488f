// SPDX-License-Identifier: MIT
/*
 * fuzz_cgroupfs.c - libFuzzer target for the cgroup path parser and the
 * misc.max writer. The logic and the properties are in fuzz_cgroupfs.h, which
 * tests/test_corpus.c replays over the checked-in corpus.
 *
 *   CC=clang meson setup build-fuzz -Dfuzz=true
 *   ninja -C build-fuzz tests/fuzz/fuzz_cgroupfs
 *   ./build-fuzz/tests/fuzz/fuzz_cgroupfs -max_total_time=180 tests/fuzz/corpus/cgroupfs
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_cgroupfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_cgroupfs_one(data, size);
}
