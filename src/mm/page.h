/* SPDX-License-Identifier: MIT */
/*
 * page.h - the manager's record for one 4 KiB EPC page (struct epc_page).
 *
 * Budget: 32 bytes (the kernel's v17 sgx_epc_page is 40). We get there by
 * linking lists with 32-bit page indices instead of pointers, and by keeping
 * every record in one array, so a page's index is its offset in that array.
 *
 * Lazy initialisation: a record of all zero bytes is a valid page in state
 * DIRTY, on no explicit list. epc_create() therefore only reserves the array
 * (the OS hands out zero pages on first touch) and a 1 TiB EPC costs nothing
 * to create; the sanitizer fills in @section and @node as it frees each page.
 *
 * Every page is in exactly one state, and the state says which list holds it:
 *
 *   DIRTY    the sanitizer's (implicit range or explicit "still dirty" list)
 *   FREE     its node's free list                   (node lock)
 *   PCP      a per-CPU page cache (a stack of indices, not a list: the
 *            links are unused), @aux = the CPU   (pcp lock, then node lock)
 *   POISON   its node's poison list                 (node lock)
 *   INUSE    no list; owned by whoever allocated it (the owner)
 *   LRU      its cgroup's LRU (the kernel's RECLAIMER_TRACKED on a list)
 *   ISOLATED a reclaimer's private batch (TRACKED, off every list)
 *   RELEASING no list; its owner took it off the LRU (or a reclaimer found
 *            the owner going away) and frees it next: reclaim still counts
 *            it, as room on its way (reclaim.h, epc__reclaim_unmark())
 *
 * @state changes only under the lock of the list it leaves or joins; it is
 * atomic because memory_failure() and the checker read it without that lock
 * (and then re-check under it). @poison is sticky: set once under the node
 * lock, read anywhere (relaxed: a stale 0 is caught when the page is next
 * freed, as in the kernel).
 */
#ifndef EPC_MM_PAGE_H
#define EPC_MM_PAGE_H

#include <stdatomic.h>
#include <stdint.h>

struct epc_cgroup;

enum epc__page_state {
	EPC__PAGE_DIRTY = 0, /* must be 0: see "Lazy initialisation" */
	EPC__PAGE_FREE,
	EPC__PAGE_PCP,
	EPC__PAGE_POISON,
	EPC__PAGE_INUSE,
	EPC__PAGE_LRU,
	EPC__PAGE_ISOLATED,
	EPC__PAGE_RELEASING,
	EPC__PAGE_NR_STATES,
};

/* Page-index links are stored as index + 1, so that 0 (a zero page) is "none". */
#define EPC__LINK_NONE 0u

struct epc_page {
	uint32_t next, prev;	/* links of the one list holding the page */
	void *owner;		/* raw owner / enclave page; NULL when free */
	struct epc_cgroup *cg;	/* cgroup charged for it; NULL when free */
	_Atomic uint8_t state;	/* enum epc__page_state */
	_Atomic uint8_t poison; /* 1 once a memory failure hit it; sticky */
	uint8_t section;	/* section index (set by the sanitizer) */
	uint8_t node;		/* section's node (set by the sanitizer) */
	uint32_t aux;		/* PCP: the cache's CPU; INUSE: see EPC__AUX_* */
};

/*
 * @aux of an INUSE page: the allocating CPU in the low bits, and log2 of the
 * record mapping's alignment above them, so that the instance can be found
 * from the page with one load (epc__mm_of_page()).
 */
#define EPC__AUX_CPU_MASK  0xffffffu
#define EPC__AUX_SHIFT_BIT 24

_Static_assert(sizeof(struct epc_page) <= 32, "page record over its 32-byte budget");

static inline enum epc__page_state epc__page_state(const struct epc_page *p)
{
	return (enum epc__page_state)atomic_load_explicit(&((struct epc_page *)p)->state,
							  memory_order_relaxed);
}

static inline void epc__page_set_state(struct epc_page *p, enum epc__page_state s)
{
	atomic_store_explicit(&p->state, (uint8_t)s, memory_order_relaxed);
}

static inline _Bool epc__page_poisoned(const struct epc_page *p)
{
	return atomic_load_explicit(&((struct epc_page *)p)->poison, memory_order_relaxed);
}

#endif
