// SPDX-License-Identifier: MIT
/*
 * sanitize.c - turning dirty pages into free ones (kernel-spec §4.2).
 *
 * Pass 1 walks each section's implicit dirty range in address order; pass 2
 * walks the pages pass 1 could not EREMOVE (SECS pages whose children were
 * removed later in pass 1). Freed pages are handed to their node in batches of
 * EPC__SANITIZE_BATCH under one lock hold, so sanitizing a 1 TiB EPC does not
 * take the node lock 2^28 times.
 */
#include <errno.h>

#include "mm/mm.h"

/* Tunable: pages freed per node-lock hold while sanitizing. */
#define EPC__SANITIZE_BATCH 64

struct sanitize_batch {
	struct epc__plist pages;
	int node;
};

static void batch_flush(struct epc__mm *mm, struct sanitize_batch *b)
{
	struct epc__node *n;
	struct epc_page *p;
	uint64_t nr = b->pages.nr;

	if (!nr)
		return;
	n = &mm->nodes[b->node];
	epc__spin_lock(&n->lock);
	while ((p = epc__plist_pop(mm->pages, &b->pages)))
		epc__mm_free_locked(mm, n, p);
	epc__node_sync_nr_free_locked(n);
	epc__spin_unlock(&n->lock);
	atomic_fetch_sub_explicit(&mm->nr_dirty, nr, memory_order_relaxed);
}

/* One page: poison list, free batch, or kept dirty on @keep. */
static void sanitize_page(struct epc__mm *mm, struct epc_page *p, struct sanitize_batch *b,
			  struct epc__plist *keep)
{
	if (b->node != p->node) {
		batch_flush(mm, b);
		b->node = p->node;
	}
	/* A poisoned page skips EREMOVE; epc__mm_free_locked() diverts it. */
	if (!epc__page_poisoned(p) &&
	    epc__hw_eremove(mm->hw, epc__mm_page_index(mm, p)) != EPC__SGX_SUCCESS) {
		epc__plist_add_tail(mm->pages, keep, p);
		return;
	}
	epc__plist_add_tail(mm->pages, &b->pages, p);
	if (b->pages.nr >= EPC__SANITIZE_BATCH)
		batch_flush(mm, b);
}

static bool stopped(const _Atomic bool *stop)
{
	return stop && atomic_load_explicit(stop, memory_order_relaxed);
}

static int sanitize_pass1(struct epc__mm *mm, const _Atomic bool *stop)
{
	struct sanitize_batch b = {.node = 0};
	int ret = 0;

	epc__plist_init(&b.pages);
	for (int i = 0; i < mm->nr_sections && !ret; i++) {
		struct epc__mm_section *s = &mm->sections[i];

		while (s->next_dirty < s->nr_pages) {
			struct epc_page *p = &mm->pages[s->first + s->next_dirty];

			if (stopped(stop)) {
				ret = -EINTR;
				break;
			}
			p->section = (uint8_t)i;
			p->node = (uint8_t)s->node;
			s->next_dirty++;
			sanitize_page(mm, p, &b, &mm->still_dirty);
		}
	}
	batch_flush(mm, &b);
	return ret;
}

static int sanitize_pass2(struct epc__mm *mm, const _Atomic bool *stop)
{
	struct sanitize_batch b = {.node = 0};
	struct epc__plist failed;
	struct epc_page *p;
	int ret = 0;

	epc__plist_init(&b.pages);
	epc__plist_init(&failed);
	while ((p = epc__plist_first(mm->pages, &mm->still_dirty))) {
		if (stopped(stop)) {
			ret = -EINTR;
			break;
		}
		epc__plist_del(mm->pages, &mm->still_dirty, p);
		sanitize_page(mm, p, &b, &failed);
	}
	batch_flush(mm, &b);
	epc__plist_splice_tail(mm->pages, &mm->still_dirty, &failed);
	return ret;
}

int epc__mm_sanitize(struct epc__mm *mm, const _Atomic bool *stop)
{
	int ret;

	if (mm->sanitize_pass == 0) {
		ret = sanitize_pass1(mm, stop);
		if (ret)
			return ret;
		mm->sanitize_pass = 1;
	}
	if (mm->sanitize_pass == 1) {
		ret = sanitize_pass2(mm, stop);
		if (ret)
			return ret;
		mm->sanitize_pass = 2;
		if (mm->still_dirty.nr) {
			atomic_fetch_add_explicit(&mm->nr_leaked, mm->still_dirty.nr,
						  memory_order_relaxed);
			epc__log(mm->log, LOG_WARNING,
				 "%llu EPC pages could not be sanitized (EREMOVE failed twice) and "
				 "are leaked",
				 (unsigned long long)mm->still_dirty.nr);
		}
	}
	return 0;
}

bool epc__mm_sanitize_done(struct epc__mm *mm)
{
	return mm->sanitize_pass == 2;
}
