/* SPDX-License-Identifier: MIT */
/*
 * pattern.h - where an enclave thread's next access goes: a seeded random
 * number generator and the access patterns of scenario files (sequential,
 * uniform, zipf, working-set, and a trace of a real program).
 *
 * Each enclave thread owns one struct sim_source; an enclave's zipf table is
 * shared read-only by its threads. Everything is a pure function of the seed,
 * the enclave's name and the thread's index, so a deterministic run repeats
 * exactly and the threads of a threads-mode run never share mutable state.
 */
#ifndef EPCMM_SIM_PATTERN_H
#define EPCMM_SIM_PATTERN_H

#include <stdbool.h>
#include <stdint.h>

#include "scenario.h"

#define SIM_ZIPF_MAX_PAGES (1ULL << 22) /* the zipf table: 12 bytes a page, 48 MiB at most */

/* xoshiro256** (Blackman and Vigna), seeded through splitmix64. */
struct sim_rng {
	uint64_t s[4];
};

void sim_rng_seed(struct sim_rng *r, uint64_t seed);
static inline uint64_t sim_rng_next(struct sim_rng *r)
{
	uint64_t *s = r->s, t = s[1] << 17;
	uint64_t x = s[1] * 5, result = ((x << 7) | (x >> 57)) * 9;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = (s[3] << 45) | (s[3] >> 19);
	return result;
}

/* Uniform in [0, n), n > 0 (Lemire's multiply-shift; the bias is below 2^-40 for our n). */
static inline uint64_t sim_rng_below(struct sim_rng *r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)sim_rng_next(r) * n) >> 64);
}

/* A stable 64-bit hash of a string, to derive per-enclave seeds. */
uint64_t sim_hash_str(const char *s, uint64_t seed);

/*
 * An enclave's zipf distribution as an alias table (Walker; Vose's
 * construction): a draw is one uniform index and one biased coin, O(1)
 * whatever the size. Rank i (page i) has weight 1/(i+1)^theta. Shared
 * read-only by the enclave's threads.
 */
struct sim_zipf {
	double *prob;	 /* keep index i with this probability ... */
	uint32_t *alias; /* ... else take alias[i] */
	uint64_t n;
};
/* Return: 0; -E2BIG for more than SIM_ZIPF_MAX_PAGES pages; -ENOMEM. */
int sim_zipf_init(struct sim_zipf *z, uint64_t nr_pages, double theta);
void sim_zipf_free(struct sim_zipf *z);

struct sim_trace;

struct sim_source {
	enum sim_pattern_kind kind;
	uint64_t nr_pages; /* pages it draws from */
	uint64_t pos;	   /* sequential */
	unsigned writes;   /* percent */
	const struct sim_zipf *zipf;
	struct sim_trace *trace; /* owned */
	struct sim_rng rng;
};

/*
 * Set up thread @thread of @nr_threads of enclave @e with @nr_pages pages.
 * @zipf: the enclave's table (zipf only). Trace sources open their own
 * reader. Return: 0; -errno with a message in @err (traces).
 */
int sim_source_init(struct sim_source *src, const struct sim_enclave *e, uint64_t nr_pages,
		    unsigned thread, unsigned nr_threads, uint64_t seed,
		    const struct sim_zipf *zipf, char *err, size_t errlen);
void sim_source_fini(struct sim_source *src);

/* The trace part (source_trace.c, or a stub when the readers are not built). */
int sim_source_trace_open(struct sim_source *src, const char *path, char *err, size_t errlen);
int sim_source_trace_next(struct sim_source *src, uint64_t *page, bool *write);
void sim_source_trace_close(struct sim_source *src);
/* The pages and records of a trace file, to size its enclave. */
int sim_trace_probe(const char *path, uint64_t *nr_pages, uint64_t *nr_records, char *err,
		    size_t errlen);

/* Next access: page index and whether it writes. Return: 0; -errno (traces). */
static inline int sim_source_next(struct sim_source *src, uint64_t *page, bool *write)
{
	uint64_t p;

	switch (src->kind) {
	case SIM_PATTERN_SEQUENTIAL:
		p = src->pos++;
		if (src->pos == src->nr_pages)
			src->pos = 0;
		break;
	case SIM_PATTERN_ZIPF: {
		uint64_t i = sim_rng_below(&src->rng, src->zipf->n);
		double u = (double)(sim_rng_next(&src->rng) >> 11) * 0x1.0p-53;

		p = u < src->zipf->prob[i] ? i : src->zipf->alias[i];
		break;
	}
	case SIM_PATTERN_TRACE:
		return sim_source_trace_next(src, page, write);
	default: /* uniform; working-set draws from its first pages */
		p = sim_rng_below(&src->rng, src->nr_pages);
		break;
	}
	*page = p;
	*write = src->writes && sim_rng_below(&src->rng, 100) < src->writes;
	return 0;
}

#endif
