// SPDX-License-Identifier: MIT
/*
 * check.c - the allocator's invariant checker (epc__mm_check()):
 *  - every page is in exactly one state, and the list that state names holds
 *    it (each list is walked; its length, its pages' states and their nodes
 *    are checked, and no page is seen twice);
 *  - every counter equals the length of what it counts;
 *  - free and cached pages are never poisoned; DIRTY pages are the sanitizer's.
 * Expensive (touches every page record): quiescent callers only.
 */
#include <errno.h>
#include <stdlib.h>

#include "mm/mm.h"

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			epc__log(mm->log, LOG_ERR, "check: " __VA_ARGS__);                         \
			ret = -EUCLEAN;                                                            \
			goto out;                                                                  \
		}                                                                                  \
	} while (0)

/* Walk @l: every page in @state, on node @nid (-1: any), not seen before. */
static int check_list(struct epc__mm *mm, const struct epc__plist *l, enum epc__page_state state,
		      int nid, uint8_t *seen, const char *what)
{
	struct epc_page *p, *prev = NULL;
	uint64_t nr = 0;
	int ret = 0;

	epc__plist_for_each(mm->pages, l, p)
	{
		uint64_t idx = epc__mm_page_index(mm, p);

		CHECK(!seen[idx], "%s: page %llu is on two lists", what, (unsigned long long)idx);
		seen[idx] = 1;
		CHECK(epc__page_state(p) == state, "%s: page %llu has state %d", what,
		      (unsigned long long)idx, epc__page_state(p));
		CHECK(nid < 0 || p->node == nid, "%s: page %llu of node %d", what,
		      (unsigned long long)idx, p->node);
		CHECK(p->prev == (prev ? epc__plink(mm->pages, prev) : EPC__LINK_NONE),
		      "%s: page %llu has a bad back link", what, (unsigned long long)idx);
		CHECK(++nr <= l->nr, "%s: longer than its count %llu", what,
		      (unsigned long long)l->nr);
		prev = p;
	}
	CHECK(nr == l->nr, "%s: %llu pages, count says %llu", what, (unsigned long long)nr,
	      (unsigned long long)l->nr);
	CHECK(l->tail == (prev ? epc__plink(mm->pages, prev) : EPC__LINK_NONE), "%s: bad tail",
	      what);
out:
	return ret;
}

int epc__mm_check(struct epc__mm *mm, int64_t lru_pages)
{
	uint64_t by_state[EPC__PAGE_NR_STATES] = {0};
	uint64_t implicit_dirty = 0, listed_free = 0, listed_poison = 0, listed_pcp = 0, tracked;
	uint8_t *seen = calloc(mm->nr_pages ? mm->nr_pages : 1, 1);
	int ret = 0;

	if (!seen)
		return -ENOMEM;
	for (uint64_t i = 0; i < mm->nr_pages; i++) {
		struct epc_page *p = &mm->pages[i];
		enum epc__page_state st = epc__page_state(p);

		CHECK(st < EPC__PAGE_NR_STATES, "page %llu has unknown state %d",
		      (unsigned long long)i, st);
		by_state[st]++;
		CHECK(st != EPC__PAGE_FREE || !epc__page_poisoned(p),
		      "page %llu is free but poisoned", (unsigned long long)i);
		/* a memory failure takes a cached page out of its cache at once */
		CHECK(st != EPC__PAGE_PCP || !epc__page_poisoned(p),
		      "page %llu is in a per-CPU cache but poisoned", (unsigned long long)i);
		CHECK(st != EPC__PAGE_FREE || (!p->owner && !p->cg),
		      "page %llu is free but has an owner or cgroup", (unsigned long long)i);
	}
	for (int i = 0; i < mm->nr_sections; i++)
		implicit_dirty += mm->sections[i].nr_pages - mm->sections[i].next_dirty;

	for (int i = 0; i < mm->nr_nodes; i++) {
		struct epc__node *n = &mm->nodes[i];

		CHECK(n->has_epc || (epc__plist_empty(&n->free) && epc__plist_empty(&n->poison)),
		      "node %d has pages but no EPC", i);
		ret = check_list(mm, &n->free, EPC__PAGE_FREE, i, seen, "node free list");
		if (ret)
			goto out;
		ret = check_list(mm, &n->poison, EPC__PAGE_POISON, i, seen, "node poison list");
		if (ret)
			goto out;
		CHECK(atomic_load(&n->nr_free) == n->free.nr, "node %d nr_free %llu != %llu", i,
		      (unsigned long long)atomic_load(&n->nr_free), (unsigned long long)n->free.nr);
		listed_free += n->free.nr;
		listed_poison += n->poison.nr;
	}
	for (int i = 0; i < mm->nr_cpus; i++) {
		struct epc__pcp *c = &mm->pcps[i];

		CHECK(c->enabled || c->count == 0, "disabled cache %d holds pages", i);
		CHECK(atomic_load(&c->nr) == c->count, "cache %d count mismatch", i);
		CHECK(c->count <= mm->pcp_high, "cache %d holds %u > high %u", i, c->count,
		      mm->pcp_high);
		for (uint32_t k = 0; k < c->count; k++) {
			uint32_t idx = c->idx[k];
			struct epc_page *p = &mm->pages[idx];

			CHECK(idx < mm->nr_pages, "cache %d holds index %u", i, idx);
			CHECK(!seen[idx], "per-CPU cache: page %u is on two lists", idx);
			seen[idx] = 1;
			CHECK(epc__page_state(p) == EPC__PAGE_PCP,
			      "per-CPU cache: page %u has state %d", idx, epc__page_state(p));
			CHECK(p->node == c->node, "per-CPU cache: page %u of node %d", idx,
			      p->node);
			CHECK(p->aux == (uint32_t)i,
			      "cached page says CPU %u, is in CPU %d's cache", p->aux, i);
			CHECK(!epc__page_poisoned(p), "page %u is cached but poisoned", idx);
		}
		listed_pcp += c->count;
	}
	ret = check_list(mm, &mm->still_dirty, EPC__PAGE_DIRTY, -1, seen, "still-dirty list");
	if (ret)
		goto out;

	CHECK(by_state[EPC__PAGE_FREE] == listed_free, "%llu FREE pages, %llu on free lists",
	      (unsigned long long)by_state[EPC__PAGE_FREE], (unsigned long long)listed_free);
	CHECK(by_state[EPC__PAGE_POISON] == listed_poison,
	      "%llu POISON pages, %llu on poison lists",
	      (unsigned long long)by_state[EPC__PAGE_POISON], (unsigned long long)listed_poison);
	CHECK(by_state[EPC__PAGE_PCP] == listed_pcp, "%llu PCP pages, %llu in caches",
	      (unsigned long long)by_state[EPC__PAGE_PCP], (unsigned long long)listed_pcp);
	CHECK(by_state[EPC__PAGE_DIRTY] == implicit_dirty + mm->still_dirty.nr,
	      "%llu DIRTY pages, %llu dirty by the sanitizer's books",
	      (unsigned long long)by_state[EPC__PAGE_DIRTY],
	      (unsigned long long)(implicit_dirty + mm->still_dirty.nr));
	CHECK(atomic_load(&mm->nr_dirty) == by_state[EPC__PAGE_DIRTY], "nr_dirty %llu != %llu",
	      (unsigned long long)atomic_load(&mm->nr_dirty),
	      (unsigned long long)by_state[EPC__PAGE_DIRTY]);
	CHECK(epc__mm_nr_free(mm) == listed_free + listed_pcp, "free count %llu != %llu",
	      (unsigned long long)epc__mm_nr_free(mm),
	      (unsigned long long)(listed_free + listed_pcp));
	tracked = by_state[EPC__PAGE_LRU] + by_state[EPC__PAGE_ISOLATED] +
		  by_state[EPC__PAGE_RELEASING];
	CHECK(lru_pages < 0 || (uint64_t)lru_pages == tracked,
	      "%llu reclaimer pages, the layers above account for %lld",
	      (unsigned long long)tracked, (long long)lru_pages);
out:
	free(seen);
	return ret;
}
