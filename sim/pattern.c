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
	uint32_t *small, *large;
	uint64_t ns = 0, nl = 0;
	double sum = 0;

	memset(z, 0, sizeof(*z));
	if (nr_pages > SIM_ZIPF_MAX_PAGES)
		return -E2BIG;
	z->prob = malloc(nr_pages * sizeof(*z->prob));
	z->alias = malloc(nr_pages * sizeof(*z->alias));
	small = malloc(nr_pages * sizeof(*small));
	large = malloc(nr_pages * sizeof(*large));
	if (!z->prob || !z->alias || !small || !large) {
		free(small);
		free(large);
		sim_zipf_free(z);
		return -ENOMEM;
	}
	z->n = nr_pages;
	for (uint64_t i = 0; i < nr_pages; i++)
		sum += pow((double)(i + 1), -theta);
	for (uint64_t i = 0; i < nr_pages; i++) {
		z->prob[i] = pow((double)(i + 1), -theta) * (double)nr_pages / sum;
		z->alias[i] = (uint32_t)i;
		if (z->prob[i] < 1.0)
			small[ns++] = (uint32_t)i;
		else
			large[nl++] = (uint32_t)i;
	}
	while (ns && nl) {
		uint32_t s = small[--ns], l = large[nl - 1];

		z->alias[s] = l;
		z->prob[l] -= 1.0 - z->prob[s];
		if (z->prob[l] < 1.0) {
			nl--;
			small[ns++] = l;
		}
	}
	while (nl)
		z->prob[large[--nl]] = 1.0;
	while (ns) /* rounding left these a hair under 1 */
		z->prob[small[--ns]] = 1.0;
	free(small);
	free(large);
	return 0;
}

void sim_zipf_free(struct sim_zipf *z)
{
	free(z->prob);
	free(z->alias);
	z->prob = NULL;
	z->alias = NULL;
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
