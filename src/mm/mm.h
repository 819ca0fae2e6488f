/* SPDX-License-Identifier: MIT */
/*
 * mm.h - the EPC page allocator: topology, sections, per-node free lists,
 * NUMA fallback, per-CPU page caches, sanitization and poison.
 *
 * Algorithm (the kernel's, v6.12 form; kernel-spec §4.3-4.6):
 *  - Each node with EPC owns one free list and one poison list under one lock.
 *    A page is on exactly one list at any time (see mm/page.h).
 *  - An allocation for a caller on node N starts at N if N has EPC, else at the
 *    next node that has; it visits every node with EPC exactly once, in id
 *    order wrapping (EPC_FALLBACK_NODE_ORDER) or nearest-first by SLIT distance,
 *    ties by id (EPC_FALLBACK_DISTANCE), and gives -ENOMEM after a full circle.
 *    Both orders are precomputed per node at init, so the search is a walk over
 *    an array and can never loop.
 *  - Pages are taken from the head of a free list and freed to its tail, so an
 *    otherwise idle node hands pages out in the order they were freed.
 *  - Free counting is exact: a node's @nr_free counts its free list, a cache's
 *    @nr its cached pages, and their sum is the free count. Poisoned pages are
 *    never counted as free (the kernel counts them; docs/DIFFERENCES.md).
 *
 * Per-CPU page caches (pcp_batch > 0; 0 = the kernel's exact behaviour): each
 * CPU whose node has EPC keeps up to 2 * batch pages of its own node. Allocation
 * order: own cache; refill of `batch` pages from the own node (under the node
 * lock); the other nodes, directly; then every cache is drained and the search
 * runs once more; then -ENOMEM. A free goes to the cache of the CPU that
 * allocated the page when the page belongs to that CPU's node; a cache over
 * 2 * batch gives `batch` pages back. Lock order: pcp, then node.
 *
 * Sanitization: every page starts DIRTY. Two passes of EREMOVE; a page that
 * fails pass 1 is kept for pass 2 (a SECS whose children were still there),
 * one that fails both is leaked with a warning. Poisoned dirty pages go to the
 * poison list without EREMOVE.
 */
#ifndef EPC_MM_MM_H
#define EPC_MM_MM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/hw.h"
#include "mm/page.h"
#include "mm/plist.h"
#include "util/lock.h"
#include "util/log.h"

#define EPC__MM_MAX_NODES 64
/* Links are index + 1 and must stay below 0xffffffff (see alloc.c). */
#define EPC__MAX_PAGES 0xfffffff0ULL

struct epc__node {
	struct epc__spin lock;	  /* protects free, poison, and the counters below it */
	struct epc__plist free;	  /* sanitized, unpoisoned, unused pages: alloc head, free tail */
	struct epc__plist poison; /* poisoned pages: never allocated again */
	uint64_t nr_alloc_local;  /* lock: allocations for callers on this node */
	uint64_t nr_alloc_remote; /* lock: allocations for callers on other nodes */
	/* allocations for callers on this node that another node served (counted
	 * by the serving node, under its lock: hence atomic) */
	_Atomic uint64_t nr_alloc_away;
	_Atomic uint64_t nr_free; /* mirror of free.nr for lockless readers: written only by
				     epc__node_sync_nr_free_locked() */
	/* read-only after init: */
	bool has_epc;
	uint64_t nr_pages; /* pages of this node's sections */
	uint64_t size;	   /* bytes, as sgx_total_bytes */
	int nr_fallback;   /* entries in fallback[] */
	uint8_t *fallback; /* search order for callers on this node */
} __attribute__((aligned(EPC__CACHELINE)));

/*
 * A per-CPU page cache is a stack of page indices, not a list through the page
 * records: a hit then touches no record but its own. Oldest at the bottom
 * (given back to the node first when the cache overflows), hottest on top.
 */
struct epc__pcp {
	struct epc__spin lock; /* protects count, idx[], nr_alloc */
	uint32_t count;	       /* lock: pages cached */
	uint32_t *idx;	       /* lock: their indices, idx[count - 1] on top; pcp_high + 1 slots */
	uint64_t nr_alloc;     /* lock: allocations served from the cache */
	_Atomic uint64_t nr;   /* mirror of count for lockless readers */
	int node;	       /* read-only: cpu_to_node of this CPU */
	bool enabled;	       /* read-only: batch > 0 and the node has EPC */
} __attribute__((aligned(EPC__CACHELINE)));

struct epc__mm_section {
	uint64_t phys_addr;
	uint64_t first, nr_pages; /* page index range */
	int node;
	/* sanitizer-owned: pages [first + next_dirty, first + nr_pages) are dirty */
	uint64_t next_dirty;
};

/* After a change to @n's free list: publish its length to lockless readers. */
static inline void epc__node_sync_nr_free_locked(struct epc__node *n)
{
	epc__assert_spin_held(&n->lock);
	atomic_store_explicit(&n->nr_free, n->free.nr, memory_order_relaxed);
}

struct epc__mm {
	/* all read-only after init, except where a field says otherwise */
	struct epc_page *pages; /* nr_pages records, lazily zeroed (see page.h) */
	size_t pages_map_len;
	void *pages_map;
	unsigned pages_map_shift; /* log2(pages_map_len) */
	uint64_t nr_pages;
	int nr_nodes, nr_cpus;
	int *cpu_to_node;
	uint8_t *distance;
	int nr_sections;
	struct epc__mm_section sections[EPC_MAX_SECTIONS];
	struct epc__node *nodes;
	struct epc__pcp *pcps; /* nr_cpus entries */
	uint32_t *pcp_slots;   /* the caches' idx[] arrays, one allocation */
	unsigned pcp_batch, pcp_high;
	struct epc__hw *hw;
	const struct epc__log *log;

	/* sanitizer state, owned by whoever holds epc's sanitize lock */
	struct epc__plist still_dirty; /* failed pass 1 (or 2: leaked) */
	int sanitize_pass;	       /* passes completed, 0..2 */
	_Atomic uint64_t nr_dirty;     /* pages not (yet) sanitized */
	_Atomic uint64_t nr_leaked;    /* EREMOVE failures that leaked a page */
	_Atomic uint64_t nr_poisoned;  /* pages ever marked poisoned */
	_Atomic uint64_t nr_alloc_failed;
};

struct epc__mm_config {
	int nr_nodes, nr_cpus;
	const int *cpu_to_node;	 /* validated */
	const uint8_t *distance; /* validated, nr_nodes^2 */
	enum epc_fallback fallback;
	int nr_sections;
	const uint64_t *sec_phys, *sec_size;
	const int *sec_node; /* validated: 0..nr_nodes-1 (the FW_BUG fallback is done) */
	unsigned pcp_batch;
};

/* Return: 0; -ENOMEM. On error nothing is leaked. */
int epc__mm_init(struct epc__mm *mm, const struct epc__mm_config *cfg, struct epc__hw *hw,
		 const struct epc__log *log);
void epc__mm_destroy(struct epc__mm *mm);

/**
 * epc__mm_alloc() - take a free page for a caller on @cpu; no reclaim.
 * The page comes back INUSE with owner and cg NULL, aux naming @cpu.
 * Return: 0; -ENOMEM after every node (and every cache) came up empty.
 */
int epc__mm_alloc(struct epc__mm *mm, int cpu, struct epc_page **out);

/*
 * epc__mm_free() - give back a page that is off every list and already
 * uninitialized (EREMOVE'd or EWB'd). A poisoned page goes to the poison list.
 */
void epc__mm_free(struct epc__mm *mm, struct epc_page *p);
/* Free @n pages: each node's lock taken once per run of pages of that node. */
void epc__mm_free_pages(struct epc__mm *mm, struct epc_page **pages, unsigned n);

/* Put @p (off every list) on node @n's free list, or its poison list if poisoned. */
void epc__mm_free_locked(struct epc__mm *mm, struct epc__node *n, struct epc_page *p);

/* Exact when quiescent; otherwise each part is read atomically. */
uint64_t epc__mm_nr_free(struct epc__mm *mm);

/* Cheap test of free < @wm, reading as little shared state as it can. */
bool epc__mm_free_below(struct epc__mm *mm, int cpu, uint64_t wm);
/* Node @node's free pages (its free list and its CPUs' caches) < @wm? */
bool epc__mm_node_free_below(struct epc__mm *mm, int node, uint64_t wm);

/* Drain every per-CPU cache back to its node. */
void epc__mm_drain_pcps(struct epc__mm *mm);

/*
 * Sanitization (the caller serializes calls). Runs pass 1, then pass 2.
 * @stop: checked between pages; when it becomes true the pass stops early and
 * the function returns -EINTR (pages stay dirty, no warning), as ksgxd does.
 * Return: 0 when both passes are done; -EINTR.
 */
int epc__mm_sanitize(struct epc__mm *mm, const _Atomic bool *stop);
bool epc__mm_sanitize_done(struct epc__mm *mm);

/*
 * epc__mm_memory_failure() - mark the page at @phys poisoned.
 * Return: 0; -ENXIO not an EPC address.
 */
int epc__mm_memory_failure(struct epc__mm *mm, uint64_t phys);

/* Page <-> index and address. */
/* The section holding page @idx (epc__hw_section_of_page()), or NULL. */
const struct epc__mm_section *epc__mm_section_of(const struct epc__mm *mm, uint64_t idx);

static inline uint64_t epc__mm_page_index(const struct epc__mm *mm, const struct epc_page *p)
{
	return (uint64_t)(p - mm->pages);
}
struct epc_page *epc__mm_phys_to_page(struct epc__mm *mm, uint64_t phys);
uint64_t epc__mm_page_phys(const struct epc__mm *mm, const struct epc_page *p);

/* Remove the entry at @i of cache @c, keeping the order of the rest. Lock held. */
void epc__pcp_remove_locked(struct epc__pcp *c, uint32_t i);

/*
 * The mm that owns @p, found from the page address alone: the record array
 * sits in an aligned mapping whose first bytes point back to the mm (see
 * epc__mm_init). Lets epc_page_free()/epc_page_phys() work without a handle.
 */
struct epc__mm *epc__mm_of_page(const struct epc_page *p);

/* Invariant checker: every page in one state, each list consistent with the
 * states of its pages, counters equal to list lengths. Quiescent callers only.
 * Returns 0 or -EUCLEAN, logging the first violation. @lru_pages: the number
 * of pages in LRU/ISOLATED/RELEASING states the layers above account for
 * (-1 = skip). */
int epc__mm_check(struct epc__mm *mm, int64_t lru_pages);

#endif
