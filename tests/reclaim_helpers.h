/* SPDX-License-Identifier: MIT */
/*
 * reclaim_helpers.h - what the reclaim suites (test_reclaim_alloc.c,
 * test_reclaim_batch.c, test_reclaim_cgroup.c) share: events and LRU peeks,
 * raw pages, and a fault hook that counts calls per site and fails chosen ones.
 */
#ifndef EPCMM_TESTS_RECLAIM_HELPERS_H
#define EPCMM_TESTS_RECLAIM_HELPERS_H

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "encl_helpers.h"

static inline uint64_t events_of(struct epc_cgroup *cg, const char *file)
{
	char buf[128];
	unsigned long long v = 0;

	cg_read(cg, file, buf, sizeof(buf));
	assert_int_equal(sscanf(buf, "sgx_epc.max %llu", &v), 1);
	return v;
}

static inline struct epc_page *lru_head(struct epc *epc, struct epc_cgroup *cg)
{
	return epc__plist_first(epc->mm.pages, &cg->lru[0]);
}

static inline struct epc_page *lru_tail(struct epc *epc, struct epc_cgroup *cg)
{
	return epc__plist_page(epc->mm.pages, cg->lru[0].tail);
}

/* Make one free page of @epc poisoned, so that usage < capacity with no free page. */
static inline void poison_one_free_page(struct epc *epc, struct epc_task *t)
{
	struct epc_page *p = NULL;
	uint64_t phys, before = nr_free(epc);

	CHECK_EQ(epc_page_alloc(t, NULL, EPC_NO_RECLAIM, &p), 0, "raw page to find a free address");
	phys = epc_page_phys(p);
	epc_page_free(p);
	CHECK_EQ(epc_memory_failure(epc, phys, 0), 0, "memory failure on a free page");
	CHECK_EQ(nr_free(epc), before - 1, "a poisoned free page is no longer free");
}

/* Raw pages, freed by free_raw(). */
struct raw {
	struct epc_page *p[4096];
	int nr;
};

static inline int alloc_raw(struct raw *r, struct epc_task *t, int n)
{
	int got = 0;

	while (got < n && epc_page_alloc(t, NULL, EPC_NO_RECLAIM, &r->p[r->nr]) == 0) {
		r->nr++;
		got++;
	}
	return got;
}

static inline void free_raw(struct raw *r)
{
	while (r->nr)
		epc_page_free(r->p[--r->nr]);
}

/* A fault hook that counts calls per site and can fail chosen calls. */
struct hook {
	struct epc *epc;
	_Atomic int calls[EPC__FAULT_NR_SITES];
	/* site @fail_site: calls numbered < fail_first get @fail_ret */
	int fail_site;
	int fail_first;
	int fail_ret;
	/* or: fail every call for page @fail_idx at @fail_site (fail_first < 0) */
	uint64_t fail_idx;
	/* ELDU order */
	uint64_t eldu_idx[8];
	_Atomic int nr_eldu;
};

static inline int hook_fn(void *arg, enum epc__fault_site site, uint64_t idx)
{
	struct hook *h = arg;
	int n = atomic_fetch_add(&h->calls[site], 1);

	if (site == EPC__FAULT_ELDU) {
		int i = atomic_fetch_add(&h->nr_eldu, 1);

		if (i < 8)
			h->eldu_idx[i] = idx;
	}
	if ((int)site != h->fail_site)
		return 0;
	if (h->fail_first >= 0)
		return n < h->fail_first ? h->fail_ret : 0;
	return idx == h->fail_idx ? h->fail_ret : 0;
}

static inline void hook_init(struct hook *h, struct epc *epc)
{
	memset(h, 0, sizeof(*h));
	h->epc = epc;
	h->fail_site = -1;
}

#endif
