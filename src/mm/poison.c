// SPDX-License-Identifier: MIT
/*
 * poison.c - memory failure (kernel-spec §4.13): a poisoned page is never
 * handed out again. A free page moves to its node's poison list at once; one
 * in a per-CPU cache is taken out of the cache; one in use is only flagged and
 * lands on the poison list when freed (epc__mm_free_locked()).
 *
 * Ordering that makes the cache case airtight: the flag is set under the node
 * lock first, then every cache of the node is searched under its own lock.
 * pcp_free() tests the flag under the cache lock, so a page freed into a cache
 * concurrently is either diverted there or found by the search.
 */
#include <errno.h>

#include "mm/mm.h"

/*
 * Where @p sits in @c, or -1. Scans the cache (at most 2 * pcp_batch entries;
 * memory failures are rare): @p->aux may be written right now under another
 * cache's lock or by an allocator, so only what @c's lock protects is read.
 */
static int64_t pcp_find_locked(struct epc__mm *mm, struct epc__pcp *c, const struct epc_page *p)
{
	uint32_t idx = (uint32_t)epc__mm_page_index(mm, p);

	epc__assert_spin_held(&c->lock);
	for (uint32_t i = 0; i < c->count; i++)
		if (c->idx[i] == idx)
			return i;
	return -1;
}

/* Take @p out of whichever cache of node @nid holds it, onto the poison list. */
static void pcps_evict_poisoned(struct epc__mm *mm, int nid, struct epc_page *p)
{
	struct epc__node *n = &mm->nodes[nid];

	for (int cpu = 0; cpu < mm->nr_cpus; cpu++) {
		struct epc__pcp *c = &mm->pcps[cpu];
		int64_t at;

		if (!c->enabled || c->node != nid)
			continue;
		epc__spin_lock(&c->lock);
		at = pcp_find_locked(mm, c, p);
		if (at >= 0) {
			epc__pcp_remove_locked(c, (uint32_t)at);
			epc__spin_lock(&n->lock);
			epc__mm_free_locked(mm, n, p);
			epc__spin_unlock(&n->lock);
		}
		epc__spin_unlock(&c->lock);
		if (at >= 0)
			return;
	}
}

int epc__mm_memory_failure(struct epc__mm *mm, uint64_t phys)
{
	struct epc_page *p = epc__mm_phys_to_page(mm, phys);
	const struct epc__mm_section *s;
	struct epc__node *n;

	if (!p)
		return -ENXIO;
	s = epc__mm_section_of(mm, epc__mm_page_index(mm, p));
	n = &mm->nodes[s->node];

	epc__spin_lock(&n->lock);
	if (epc__page_poisoned(p)) {
		epc__spin_unlock(&n->lock);
		return 0;
	}
	atomic_store_explicit(&p->poison, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&mm->nr_poisoned, 1, memory_order_relaxed);
	if (epc__page_state(p) == EPC__PAGE_FREE) {
		epc__plist_del(mm->pages, &n->free, p);
		epc__plist_add_head(mm->pages, &n->poison, p);
		epc__page_set_state(p, EPC__PAGE_POISON);
		epc__node_sync_nr_free_locked(n);
	}
	epc__spin_unlock(&n->lock);

	if (mm->pcp_batch)
		pcps_evict_poisoned(mm, s->node, p);
	return 0;
}
