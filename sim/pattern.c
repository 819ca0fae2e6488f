// SPDX-License-Identifier: MIT
/*
 * pattern.c - seeding, the zipf table and source set-up (pattern.h).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pattern.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void sim_rng_seed(struct sim_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

uint64_t sim_hash_str(const char *s, uint64_t seed)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ seed; /* FNV-1a, then mixed */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return splitmix64(&h);
}

int sim_zipf_init(struct sim_zipf *z, uint64_t nr_pages, double theta)
{
	double sum = 0;

	if (nr_pages > SIM_ZIPF_MAX_PAGES)
		return -E2BIG;
	z->cdf = malloc(nr_pages * sizeof(double));
	if (!z->cdf)
		return -ENOMEM;
	z->n = nr_pages;
	for (uint64_t i = 0; i < nr_pages; i++) {
		sum += pow((double)(i + 1), -theta);
		z->cdf[i] = sum;
	}
	for (uint64_t i = 0; i < nr_pages; i++)
		z->cdf[i] /= sum;
	z->cdf[nr_pages - 1] = 1.0;
	return 0;
}

void sim_zipf_free(struct sim_zipf *z)
{
	free(z->cdf);
	z->cdf = NULL;
}

int sim_source_init(struct sim_source *src, const struct sim_enclave *e, uint64_t nr_pages,
		    unsigned thread, unsigned nr_threads, uint64_t seed,
		    const struct sim_zipf *zipf, char *err, size_t errlen)
{
	memset(src, 0, sizeof(*src));
	src->kind = e->pattern.kind;
	src->nr_pages = nr_pages;
	src->writes = e->writes;
	src->zipf = zipf;
	sim_rng_seed(&src->rng, sim_hash_str(e->name, seed) + thread);
	switch (src->kind) {
	case SIM_PATTERN_SEQUENTIAL:
		src->pos = nr_pages * thread / nr_threads;
		break;
	case SIM_PATTERN_WORKING_SET:
		src->nr_pages = e->pattern.ws_bytes / 4096;
		break;
	case SIM_PATTERN_TRACE:
		return sim_source_trace_open(src, e->pattern.trace_path, err, errlen);
	default:
		break;
	}
	return 0;
}

void sim_source_fini(struct sim_source *src)
{
	if (src->kind == SIM_PATTERN_TRACE && src->trace)
		sim_source_trace_close(src);
}
