/* SPDX-License-Identifier: MIT */
/*
 * fuzz_trace.h - the trace readers' fuzz target logic, shared by the
 * libFuzzer binary (fuzz_trace.c) and the corpus replay in test_trace.c.
 *
 * Input: any bytes, opened as a trace (sim_trace_open_buffer: Lackey, plain
 * or compact, told apart by the first bytes as for a file).
 *
 * Properties (abort() on violation, so libFuzzer and cmocka both see it):
 *  - open fails with a negative errno and a message that starts with the
 *    input's name, or succeeds with at least one access, no more pages than
 *    accesses and no more writes than accesses;
 *  - replay (when the trace has at most FUZZ_TRACE_MAX_REPLAY accesses)
 *    returns exactly nr_records accesses, nr_writes of them writes, each
 *    page at most one above the highest seen so far (dense, first-touch
 *    order) and below nr_pages, every page seen; then 0, and 0 again;
 *  - rewind replays the same sequence;
 *  - the compact encoding written by sim_trace_write() is
 *    sim_trace_compact_size() bytes, opens again with the same counts and the
 *    same sequence, and writes back byte for byte the same; a compact input
 *    that opened writes back as exactly the input.
 */
#ifndef EPCMM_FUZZ_TRACE_H
#define EPCMM_FUZZ_TRACE_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

/* Longest replay checked (a compact trace may claim up to 10^12 accesses). */
#define FUZZ_TRACE_MAX_REPLAY (1u << 22)

#define fuzz_trace_check(cond)                                                                     \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_trace: property failed: %s (line %d)\n", #cond,      \
				__LINE__);                                                         \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* A hash of the whole replay, checking the replay properties on the way. */
static inline uint64_t fuzz_trace_replay(struct sim_trace *t)
{
	uint64_t n = 0, writes = 0, seen = 0, h = 1469598103934665603ull, page;
	bool write;

	if (sim_trace_nr_records(t) > FUZZ_TRACE_MAX_REPLAY)
		return 0;
	while (sim_trace_next(t, &page, &write) == 1) {
		fuzz_trace_check(page <= seen);
		fuzz_trace_check(page < sim_trace_nr_pages(t));
		seen += page == seen;
		writes += write;
		n++;
		fuzz_trace_check(n <= sim_trace_nr_records(t));
		h = (h ^ (page << 1 | write)) * 1099511628211ull;
	}
	fuzz_trace_check(n == sim_trace_nr_records(t));
	fuzz_trace_check(writes == sim_trace_nr_writes(t));
	fuzz_trace_check(seen == sim_trace_nr_pages(t));
	fuzz_trace_check(sim_trace_next(t, &page, &write) == 0);
	fuzz_trace_check(sim_trace_next(t, &page, &write) == 0);
	return h;
}

/* The compact encoding of @t, in a malloc()ed buffer. */
static inline char *fuzz_trace_encode(struct sim_trace *t, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	fuzz_trace_check(f != NULL);
	fuzz_trace_check(sim_trace_write(t, f) == 0);
	fuzz_trace_check(fclose(f) == 0);
	fuzz_trace_check(*len == sim_trace_compact_size(t));
	return buf;
}

static inline int fuzz_trace_one(const uint8_t *data, size_t size)
{
	struct sim_trace *t = NULL, *u = NULL;
	char err[512] = "";
	char *enc, *enc2;
	size_t len, len2;
	uint64_t h;
	int rc;

	rc = sim_trace_open_buffer(data, size, "fuzz", &t, err, sizeof(err));
	if (rc) {
		fuzz_trace_check(rc < 0);
		fuzz_trace_check(!strncmp(err, "fuzz", 4) && strlen(err) > 6);
		return 0;
	}
	fuzz_trace_check(sim_trace_nr_records(t) > 0);
	fuzz_trace_check(sim_trace_nr_pages(t) > 0);
	fuzz_trace_check(sim_trace_nr_pages(t) <= sim_trace_nr_records(t));
	fuzz_trace_check(sim_trace_nr_writes(t) <= sim_trace_nr_records(t));
	fuzz_trace_check(sim_trace_nr_entries(t) <= sim_trace_nr_records(t));
	h = fuzz_trace_replay(t);
	fuzz_trace_check(sim_trace_rewind(t) == 0);
	fuzz_trace_check(fuzz_trace_replay(t) == h);

	enc = fuzz_trace_encode(t, &len);
	if (sim_trace_format(t) == SIM_TRACE_COMPACT)
		fuzz_trace_check(len == size && !memcmp(enc, data, size));
	rc = sim_trace_open_buffer(enc, len, "fuzz-reencoded", &u, err, sizeof(err));
	if (rc)
		fprintf(stderr, "fuzz_trace: the re-encoded trace does not open: %s\n", err);
	fuzz_trace_check(rc == 0);
	fuzz_trace_check(sim_trace_format(u) == SIM_TRACE_COMPACT);
	fuzz_trace_check(sim_trace_nr_records(u) == sim_trace_nr_records(t));
	fuzz_trace_check(sim_trace_nr_pages(u) == sim_trace_nr_pages(t));
	fuzz_trace_check(sim_trace_nr_writes(u) == sim_trace_nr_writes(t));
	fuzz_trace_check(sim_trace_nr_entries(u) == sim_trace_nr_entries(t));
	fuzz_trace_check(fuzz_trace_replay(u) == h);
	enc2 = fuzz_trace_encode(u, &len2);
	fuzz_trace_check(len2 == len && !memcmp(enc, enc2, len));
	free(enc2);
	free(enc);
	sim_trace_close(u);
	sim_trace_close(t);
	return 0;
}

#endif
