/* SPDX-License-Identifier: MIT */
/*
 * mrc.h - a trace's whole miss-ratio curve in one pass, by LRU stack
 * distances (Mattson, Gecsei, Slutz and Traiger, "Evaluation techniques for
 * storage hierarchies", IBM Systems Journal 9(2), 1970).
 *
 * An access's stack distance is the number of distinct pages touched since
 * the last access to its page, that page included: an LRU cache of C pages
 * hits exactly the accesses whose distance is at most C. So one pass that
 * histograms the distances gives the misses of every cache size at once.
 *
 * The enclave a trace replays on is built first: every page is EADDed, in
 * page-index order (indices are in order of first touch), before the first
 * access. The curve models that: a virtual pass touches pages 0..N-1 before
 * the trace, counted as no access. A first touch is then no cold miss but an
 * access at the distance its page has sunk to while the rest was loaded, as
 * in the real run, where a page EADDed early is evicted by the later ones
 * when the limit is short.
 *
 * Algorithm: each page's last-access time; a Fenwick tree over times holds a
 * 1 at each page's last time, so the pages touched since time t are a suffix
 * sum: O(log T) per access, T = N + the page changes in the trace. An access
 * to the page of the access before it has distance 1 and changes nothing, so
 * runs (most of a real trace) cost a compare each. Memory: 4 bytes per time
 * and 8 + 8 per page.
 *
 * A dynamic (EDMM) enclave has no build: its pages are EAUGed when first
 * touched. Its curve has no build pass, and a first touch is no fault (a page
 * is added, nothing is loaded back): only later accesses can miss.
 *
 * What it is not: epcmm's reclaimer is not LRU. It ages pages in CLOCK order
 * (an accessed page gets a second chance) in batches of 16, and background
 * reclaim keeps some pages free. The curve brackets where an answer lies;
 * the figures `epcmm size` prints are full simulations at those limits
 * (docs/PERFORMANCE.md compares the two).
 */
#ifndef EPCMM_SIM_MRC_H
#define EPCMM_SIM_MRC_H

#include <stdbool.h>
#include <stdint.h>

struct sim_trace;

struct sim_mrc {
	uint64_t nr_pages;    /* distinct pages: the largest cache that can miss */
	uint64_t nr_accesses; /* accesses of the trace */
	/* misses[c], c = 0..nr_pages: accesses an LRU cache of c pages misses
	 * (misses[0] = every access but a dynamic enclave's first touches,
	 * misses[nr_pages] = 0: no access is cold) */
	uint64_t *misses;
};

/*
 * sim_mrc_build - one pass over @t (rewound first and after) and its curve;
 * @dynamic: for an EDMM enclave (no build pass; first touches add pages).
 * Return: 0 and *@out; -EINVAL an empty trace; -E2BIG a trace too long for
 * 32-bit times (more than 2^32 - 1 page changes); -ENOMEM.
 */
int sim_mrc_build(struct sim_trace *t, bool dynamic, struct sim_mrc **out);
void sim_mrc_free(struct sim_mrc *m);

/* The misses of an LRU cache of @pages pages (any size: past nr_pages, 0). */
uint64_t sim_mrc_misses(const struct sim_mrc *m, uint64_t pages);

/* The smallest cache whose miss rate (misses / accesses) is at or under
 * @rate (0..1): at most nr_pages, since that one misses nothing. */
uint64_t sim_mrc_pages_for_rate(const struct sim_mrc *m, double rate);

#endif
