// SPDX-License-Identifier: MIT
/*
 * test_reclaim.c - the reclaimer and the allocation path on top of it:
 * kernel-spec §7 behaviours 19-35 (allocation with reclaim, batches, ksgxd
 * watermarks, EWB, ELDU) and the EPC-cgroup behaviours 50, 52-60, 63, 64.
 *
 * Everything but one case runs in MANUAL mode: background work runs only
 * inside epc_run_background(), so each test knows exactly which pages are
 * free, on which LRU, and what one batch does. (A few cases add a helper
 * thread stopped inside a fault hook to reach a state mid-batch; one checks a
 * THREADS-mode fault path.) Where a behaviour is about the kernel's
 * mm-level detail (PTE accessed bits, mm lists, IPIs) the test checks the
 * equivalent here and says so.
 *
 * Internal API used: epc__reclaim_lru() (exactly one batch from one cgroup's
 * own LRU), epc__reclaim_subtree() (one fair step), epc__reclaim_unmark() and
 * the fault hook (hw/fault.h), and the LRU lists of struct epc_cgroup.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "encl_helpers.h"

/* ------------------------------------------------------------- helpers */

static uint64_t events_of(struct epc_cgroup *cg, const char *file)
{
	char buf[128];
	unsigned long long v = 0;

	cg_read(cg, file, buf, sizeof(buf));
	assert_int_equal(sscanf(buf, "sgx_epc.max %llu", &v), 1);
	return v;
}

static struct epc_page *lru_head(struct epc *epc, struct epc_cgroup *cg)
{
	return epc__plist_first(epc->mm.pages, &cg->lru);
}

static struct epc_page *lru_tail(struct epc *epc, struct epc_cgroup *cg)
{
	return epc__plist_page(epc->mm.pages, cg->lru.tail);
}

/* Make one free page of @epc poisoned, so that usage < capacity with no free page. */
static void poison_one_free_page(struct epc *epc, struct epc_task *t)
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

static int alloc_raw(struct raw *r, struct epc_task *t, int n)
{
	int got = 0;

	while (got < n && epc_page_alloc(t, NULL, EPC_NO_RECLAIM, &r->p[r->nr]) == 0) {
		r->nr++;
		got++;
	}
	return got;
}

static void free_raw(struct raw *r)
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

static int hook_fn(void *arg, enum epc__fault_site site, uint64_t idx)
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

static void hook_init(struct hook *h, struct epc *epc)
{
	memset(h, 0, sizeof(*h));
	h->epc = epc;
	h->fail_site = -1;
}

/* -------------------------------------------- allocation with reclaim */

/* 19: EPC full of enclave pages, NO_RECLAIM: -EBUSY, nothing reclaimed, ksgxd woken. */
static void test_reclaim_b19_no_reclaim_when_full_gives_ebusy_and_wakes_ksgxd(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	struct epc_encl *e = build(t, 64, 62, 1, false); /* + SECS + 1 VA page = 64 */
	struct epc_stats before = stats(epc), after;
	struct epc_page *p = NULL;

	(void)state;
	CHECK_EQ(before.nr_free, 0, "EPC full");
	CHECK_EQ(before.nr_reclaimable, 62, "the enclave's pages are on the LRU");
	CHECK_EQ(epc_page_alloc(t, NULL, EPC_NO_RECLAIM, &p), -EBUSY, "NO_RECLAIM on a full EPC");
	after = stats(epc);
	CHECK_EQ(after.nr_evicted, before.nr_evicted, "NO_RECLAIM reclaims nothing");
	CHECK_EQ(encl_stats(e).nr_resident, 62, "every enclave page still resident");
	CHECK_EQ(after.nr_ksgxd_wakeups, before.nr_ksgxd_wakeups + 1, "ksgxd woken once");
	CHECK_EQ(cg_usage_pages(root), 64, "the failed allocation left no charge");

	/* ksgxd's work: until free >= 64 or the LRU is empty (here: empty first) */
	assert_int_equal(epc_run_background(epc), 0);
	after = stats(epc);
	CHECK_EQ(after.nr_evicted - before.nr_evicted, 62, "ksgxd emptied the LRU");
	CHECK_EQ(after.nr_free, 62, "the uninitialized enclave keeps its SECS and VA page");
	CHECK_EQ(epc_page_alloc(t, NULL, EPC_NO_RECLAIM, &p), 0, "NO_RECLAIM after ksgxd ran");
	epc_page_free(p);
	check_all(t, e, 62, 1);
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	CHECK_EQ(cg_usage_pages(root), 0, "all charges returned");
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* 20: only raw pages, SECS and VA pages in use: -ENOMEM in both modes. */
static void test_reclaim_b20_nothing_reclaimable_gives_enomem(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	struct epc_encl *e[10];
	struct epc_encl *extra = NULL;
	struct epc_page *p = NULL;
	struct raw raw = {.nr = 0};
	struct epc_stats before;

	(void)state;
	for (int i = 0; i < 10; i++)
		e[i] = build(t, 16, 0, 0, false); /* SECS + VA page each */
	CHECK_EQ(alloc_raw(&raw, t, 44), 44, "raw pages fill the rest");
	before = stats(epc);
	CHECK_EQ(before.nr_free, 0, "EPC full");
	CHECK_EQ(before.nr_reclaimable, 0, "SECS, VA and raw pages are never reclaimable");
	CHECK_EQ(root->lru.nr, 0, "nothing on the LRU");
	CHECK_EQ(epc_page_alloc(t, NULL, EPC_NO_RECLAIM, &p), -ENOMEM, "NO_RECLAIM");
	CHECK_EQ(epc_page_alloc(t, NULL, EPC_DO_RECLAIM, &p), -ENOMEM, "DO_RECLAIM");
	CHECK_EQ(epc_encl_create(t, 16 * PAGE, &extra), -ENOMEM, "ECREATE");
	CHECK_EQ(cg_usage_pages(root), 64, "no charge left by the failures");
	CHECK_EQ(stats(epc).nr_ksgxd_wakeups, before.nr_ksgxd_wakeups,
		 "no ksgxd wakeup when nothing is reclaimable");
	assert_epc_consistent(epc);
	free_raw(&raw);
	for (int i = 0; i < 10; i++)
		epc_encl_destroy(e[i]);
	CHECK_EQ(nr_free(epc), 64, "every page back");
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* 21: DO_RECLAIM on a full EPC reclaims one 16-page batch and gets a page. */
static void test_reclaim_b21_do_reclaim_reclaims_a_batch_and_succeeds(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, 64, 62, 2, false);
	struct epc_stats before = stats(epc), after;
	struct epc_page *p = NULL;
	int owner;

	(void)state;
	CHECK_EQ(before.nr_free, 0, "EPC full");
	CHECK_EQ(epc_page_alloc(t, &owner, EPC_DO_RECLAIM, &p), 0, "DO_RECLAIM on a full EPC");
	after = stats(epc);
	CHECK_EQ(after.nr_evicted - before.nr_evicted, 16, "exactly one batch of 16 cold pages");
	CHECK_EQ(after.nr_free, 15, "16 freed, one taken");
	CHECK(epc_page_owner(p) == &owner, "the page has its owner");
	CHECK(epc_page_phys(p) >= (1ULL << 32) && epc_page_phys(p) < (1ULL << 32) + 64 * PAGE,
	      "the page is in the section");
	CHECK_EQ(epc__page_state(p), EPC__PAGE_INUSE, "a raw page is in use, on no list");
	for (int i = 0; i < 16; i++)
		CHECK(e->pages[i].epc_page == NULL, "the batch took the 16 oldest pages");
	CHECK(e->pages[16].epc_page != NULL, "page 16 untouched");
	CHECK_EQ(cg_usage_pages(epc_cgroup_root(epc)), 64 - 16 + 1, "usage");
	epc_page_free(p);
	check_all(t, e, 62, 2);
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* 22: a pending signal with no free page: -EINTR and no charge left behind. */
static void test_reclaim_b22_signal_pending_gives_eintr_without_charge(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	struct epc_encl *e;
	struct epc_page *p = NULL;
	uint64_t evicted;

	(void)state;
	/* (a) the charge fails at the root's capacity */
	e = build(t, 63, 62, 3, false);
	evicted = stats(epc).nr_evicted;
	epc_task_set_signal(t, true);
	CHECK_EQ(epc_page_alloc(t, NULL, EPC_DO_RECLAIM, &p), -EINTR, "raw DO_RECLAIM, signal");
	CHECK_EQ(epc_encl_add_page(t, e, 62 * PAGE, NULL), -EINTR, "EADD, signal");
	CHECK_EQ(cg_usage_pages(root), 64, "no charge left");
	CHECK_EQ(stats(epc).nr_evicted, evicted, "nothing reclaimed");
	CHECK_EQ(encl_stats(e).nr_pages, 62, "the page was not added");
	epc_task_set_signal(t, false);
	CHECK_EQ(epc_encl_add_page(t, e, 62 * PAGE, NULL), 0, "EADD once the signal is gone");
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	CHECK_EQ(cg_usage_pages(root), 0, "destroy returned every charge");

	/* (b) the charge succeeds (a poisoned page is not charged), no free page */
	poison_one_free_page(epc, t);
	e = build(t, 61, 61, 3, false); /* 63 pages in use, usage 63 < capacity 64 */
	CHECK_EQ(nr_free(epc), 0, "no free page");
	CHECK_EQ(cg_usage_pages(root), 63, "usage under the capacity");
	epc_task_set_signal(t, true);
	CHECK_EQ(epc_page_alloc(t, NULL, EPC_DO_RECLAIM, &p), -EINTR, "DO_RECLAIM, signal");
	CHECK_EQ(cg_usage_pages(root), 63, "the charge was undone");
	epc_task_set_signal(t, false);
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	CHECK_EQ(cg_usage_pages(root), 0, "all charges returned");
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* 23: free = 31 after an allocation, LRU non-empty: ksgxd woken; it reclaims to >= 64. */
static void test_reclaim_b23_low_watermark_wakes_ksgxd_until_high(void **state)
{
	struct epc *epc = make_epc(128);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, 94, 94, 4, false); /* 96 in use: free 32 */
	struct epc_page *p = NULL;
	struct epc_stats st = stats(epc);

	(void)state;
	CHECK_EQ(st.nr_free, 32, "free = 32 after building");
	CHECK_EQ(st.nr_ksgxd_wakeups, 0, "no allocation left free below 32");
	CHECK_EQ(epc_page_alloc(t, NULL, EPC_NO_RECLAIM, &p), 0, "raw page");
	st = stats(epc);
	CHECK_EQ(st.nr_free, 31, "free = 31");
	CHECK_EQ(st.nr_ksgxd_wakeups, 1, "ksgxd woken");
	CHECK_EQ(st.nr_evicted, 0, "MANUAL mode: nothing ran yet");
	assert_int_equal(epc_run_background(epc), 0);
	st = stats(epc);
	/* 31 -> 47 -> 63 -> 79: batches of 16 until free >= 64 */
	CHECK_EQ(st.nr_evicted, 48, "three batches of 16");
	CHECK_EQ(st.nr_free, 79, "stopped at the first batch reaching the high watermark");
	assert_int_equal(epc_run_background(epc), 0);
	CHECK_EQ(stats(epc).nr_evicted, 48, "asleep again: no more work without a wakeup");
	epc_page_free(p);
	check_all(t, e, 94, 4);
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* 23: ... or until the LRUs are empty. */
static void test_reclaim_b23_ksgxd_stops_when_lru_empty(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, 20, 20, 5, false); /* 22 in use, free 42 */
	struct raw raw = {.nr = 0};
	struct epc_stats st;

	(void)state;
	CHECK_EQ(alloc_raw(&raw, t, 11), 11, "raw pages");
	st = stats(epc);
	CHECK_EQ(st.nr_free, 31, "free = 31");
	CHECK_EQ(st.nr_ksgxd_wakeups, 1, "only the allocation that left 31 woke ksgxd");
	assert_int_equal(epc_run_background(epc), 0);
	st = stats(epc);
	CHECK_EQ(st.nr_evicted, 20, "every reclaimable page went");
	CHECK_EQ(st.nr_reclaimable, 0, "LRU empty");
	CHECK_EQ(st.nr_free, 51, "free stays below 64: nothing else can go");
	free_raw(&raw);
	check_all(t, e, 20, 5);
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* 23: below the low watermark but nothing reclaimable: no wakeup. */
static void test_reclaim_b23_no_wakeup_without_reclaimable_pages(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct raw raw = {.nr = 0};

	(void)state;
	CHECK_EQ(alloc_raw(&raw, t, 40), 40, "raw pages");
	CHECK_EQ(nr_free(epc), 24, "free = 24");
	CHECK_EQ(stats(epc).nr_ksgxd_wakeups, 0, "raw pages are not reclaimable: no wakeup");
	free_raw(&raw);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* 24: free = 40 after an allocation: ksgxd not woken. */
static void test_reclaim_b24_free_40_does_not_wake_ksgxd(void **state)
{
	struct epc *epc = make_epc(128);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, 80, 80, 6, false); /* 82 in use, free 46 */
	struct raw raw = {.nr = 0};

	(void)state;
	CHECK_EQ(alloc_raw(&raw, t, 6), 6, "raw pages");
	CHECK_EQ(nr_free(epc), 40, "free = 40");
	CHECK_EQ(stats(epc).nr_ksgxd_wakeups, 0, "no wakeup at 40 (threshold 32)");
	assert_int_equal(epc_run_background(epc), 0);
	CHECK_EQ(stats(epc).nr_evicted, 0, "no work was pending");
	free_raw(&raw);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* ---------------------------------------------------------- batches */

/* 25: a batch isolates at most 16 pages, from the LRU head. */
static void test_reclaim_b25_batch_isolates_16_from_head(void **state)
{
	struct epc *epc = make_epc(128);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	struct epc_encl *e = build(t, 40, 40, 7, false);
	struct epc_page *p16 = e->pages[16].epc_page, *p39 = e->pages[39].epc_page;

	(void)state;
	CHECK(lru_head(epc, root) == e->pages[0].epc_page, "EADD order: page 0 at the head");
	CHECK_EQ(epc__reclaim_lru(&epc->reclaim, root), 16, "one batch isolates 16");
	for (int i = 0; i < 40; i++)
		CHECK((e->pages[i].epc_page == NULL) == (i < 16), "pages 0-15 went, 16-39 stayed");
	CHECK_EQ(root->lru.nr, 24, "24 pages left on the LRU");
	CHECK(lru_head(epc, root) == p16, "page 16 is the new head");
	CHECK(lru_tail(epc, root) == p39, "the tail did not move");
	CHECK_EQ(encl_stats(e).nr_evicted, 16, "16 EWBs");
	CHECK_EQ(epc__reclaim_lru(&epc->reclaim, root), 16, "second batch");
	CHECK_EQ(epc__reclaim_lru(&epc->reclaim, root), 8, "third batch: what is left");
	CHECK_EQ(epc__reclaim_lru(&epc->reclaim, root), 0, "empty LRU: nothing isolated");
	check_all(t, e, 40, 7);
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/*
 * 26: an accessed page is skipped, its bit cleared, and moved to the tail; the
 * next batch reaching it reclaims it. (The kernel's bit is the PTE Accessed
 * bit of every mm; here it is the page's accessed flag, set by every access.)
 */
static void test_reclaim_b26_accessed_page_gets_second_chance(void **state)
{
	struct epc *epc = make_epc(128);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	struct epc_encl *e = build(t, 40, 40, 8, false);
	struct epc_page *p3;

	(void)state;
	check_page(t, e, 3, 8); /* sets page 3's accessed bit */
	p3 = e->pages[3].epc_page;
	CHECK_EQ(atomic_load(&e->pages[3].accessed), 1, "an access sets the bit");
	CHECK_EQ(epc__reclaim_lru(&epc->reclaim, root), 16, "16 isolated");
	CHECK_EQ(encl_stats(e).nr_evicted, 15, "15 reclaimed: the young page was skipped");
	CHECK(e->pages[3].epc_page == p3, "page 3 still resident");
	CHECK_EQ(atomic_load(&e->pages[3].accessed), 0, "its bit was cleared");
	CHECK(lru_tail(epc, root) == p3, "and it went to the LRU tail");
	CHECK_EQ(root->lru.nr, 25, "24 untouched + page 3");
	CHECK_EQ(epc__reclaim_lru(&epc->reclaim, root), 16, "pages 16-31");
	CHECK(e->pages[3].epc_page == p3, "page 3 not reached yet");
	CHECK_EQ(epc__reclaim_lru(&epc->reclaim, root), 9, "pages 32-39 and page 3");
	CHECK(e->pages[3].epc_page == NULL, "not re-accessed: reclaimed on the next pass");
	CHECK_EQ(encl_stats(e).nr_evicted, 40, "all gone");
	check_all(t, e, 40, 8);
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* 26: a page accessed again before the next pass gets another chance. */
static void test_reclaim_b26_reaccessed_page_skipped_again(void **state)
{
	struct epc *epc = make_epc(128);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	struct epc_encl *e = build(t, 20, 20, 9, false);
	struct epc_page *p3;

	(void)state;
	check_page(t, e, 3, 9);
	p3 = e->pages[3].epc_page;
	CHECK_EQ(epc__reclaim_lru(&epc->reclaim, root), 16, "first pass");
	CHECK(e->pages[3].epc_page == p3, "skipped once");
	check_page(t, e, 3, 9); /* young again */
	CHECK_EQ(epc__reclaim_lru(&epc->reclaim, root), 5, "pages 16-19 and page 3");
	CHECK(e->pages[3].epc_page == p3, "skipped again");
	CHECK_EQ(root->lru.nr, 1, "only page 3 is left");
	CHECK_EQ(epc__reclaim_lru(&epc->reclaim, root), 1, "third pass");
	CHECK(e->pages[3].epc_page == NULL, "reclaimed once it stayed cold");
	check_all(t, e, 20, 9);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/*
 * 27: a page whose enclave is being destroyed is dropped from the LRU by
 * isolation: TRACKED cleared (state INUSE), not counted, not re-queued.
 *
 * Reached deterministically with three threads: a reclaimer is stopped inside
 * EWB (the hook) holding a pin on the enclave; a destroyer marks the enclave
 * dying and waits for that pin; the test thread then runs a batch that meets
 * the enclave's remaining LRU pages.
 */
struct b27 {
	struct epc *epc;
	struct epc_encl *e;
	_Atomic int in_hook, go, hooked;
	unsigned isolated;
};

static int b27_hook(void *arg, enum epc__fault_site site, uint64_t idx)
{
	struct b27 *c = arg;

	(void)idx;
	if (site != EPC__FAULT_EWB || atomic_exchange(&c->hooked, 1))
		return 0;
	atomic_store(&c->in_hook, 1);
	while (!atomic_load(&c->go))
		sched_yield();
	return 0;
}

static void *b27_reclaimer(void *arg)
{
	struct b27 *c = arg;

	c->isolated = epc__reclaim_lru(&c->epc->reclaim, epc_cgroup_root(c->epc));
	return NULL;
}

static void *b27_destroyer(void *arg)
{
	struct b27 *c = arg;

	epc_encl_destroy(c->e);
	return NULL;
}

static void test_reclaim_b27_dying_enclave_pages_dropped_from_lru(void **state)
{
	struct epc *epc = make_epc(128);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	struct b27 c = {.epc = epc};
	struct epc_page *rest[4];
	pthread_t rt, dt;

	(void)state;
	c.e = build(t, 20, 20, 10, false);
	for (int i = 0; i < 4; i++)
		rest[i] = c.e->pages[16 + i].epc_page;
	epc__fault_set(epc, b27_hook, &c);
	assert_int_equal(pthread_create(&rt, NULL, b27_reclaimer, &c), 0);
	while (!atomic_load(&c.in_hook))
		sched_yield();
	/* the reclaimer holds 16 pages isolated; 4 are on the LRU */
	CHECK_EQ(root->lru.nr, 4, "pages 16-19 on the LRU");
	assert_int_equal(pthread_create(&dt, NULL, b27_destroyer, &c), 0);
	while (!atomic_load(&c.e->dying)) /* the pin keeps the enclave alive */
		sched_yield();
	CHECK_EQ(epc__reclaim_lru(&epc->reclaim, root), 0,
		 "pages of a dying enclave are not counted");
	CHECK_EQ(root->lru.nr, 0, "and not re-queued");
	for (int i = 0; i < 4; i++)
		CHECK_EQ(epc__page_state(rest[i]), EPC__PAGE_INUSE,
			 "TRACKED cleared: the page is left to its owner");
	CHECK_EQ(stats(epc).nr_reclaimable, 16, "only the other reclaimer's pages are tracked");
	atomic_store(&c.go, 1);
	pthread_join(rt, NULL);
	pthread_join(dt, NULL);
	epc__fault_set(epc, NULL, NULL);
	CHECK_EQ(c.isolated, 16, "the stopped batch finished");
	CHECK_EQ(nr_free(epc), 128, "destroy freed every page");
	CHECK_EQ(cg_usage_pages(root), 0, "and returned every charge");
	CHECK_EQ(stats(epc).nr_reclaimable, 0, "nothing tracked");
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* 27: destroy with pages on the LRU and pages evicted: nothing leaks. */
static void test_reclaim_b27_destroy_with_pages_on_lru_leaks_nothing(void **state)
{
	struct epc *epc = make_epc(128);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	struct epc_encl *e = build(t, 40, 40, 11, true);

	(void)state;
	CHECK_EQ(epc__reclaim_lru(&epc->reclaim, root), 16, "some evicted");
	CHECK_EQ(root->lru.nr, 24, "some on the LRU");
	epc_encl_destroy(e);
	CHECK_EQ(root->lru.nr, 0, "LRU empty");
	CHECK_EQ(stats(epc).nr_reclaimable, 0, "nothing tracked");
	CHECK_EQ(nr_free(epc), 128, "every page free");
	CHECK_EQ(cg_usage_pages(root), 0, "every charge returned");
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* 28: unmark of an isolated page is -EBUSY (tried from inside its EWB). */
struct b28 {
	struct epc *epc;
	_Atomic int tried;
	int ret;
	int state_seen;
};

static int b28_hook(void *arg, enum epc__fault_site site, uint64_t idx)
{
	struct b28 *c = arg;
	struct epc_page *p = epc__page_at(c->epc, idx);

	if (site != EPC__FAULT_EWB || atomic_exchange(&c->tried, 1))
		return 0;
	c->state_seen = epc__page_state(p);
	c->ret = epc__reclaim_unmark(&c->epc->reclaim, p);
	return 0;
}

static void test_reclaim_b28_unmark_while_isolated_is_ebusy(void **state)
{
	struct epc *epc = make_epc(128);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	struct epc_encl *e = build(t, 4, 4, 12, false);
	struct epc_page *p3 = e->pages[3].epc_page;
	struct b28 c = {.epc = epc, .ret = 1};

	(void)state;
	/* on the LRU: unmark takes it off, mark puts it back at the tail */
	CHECK_EQ(epc__reclaim_unmark(&epc->reclaim, p3), 0, "unmark of an LRU page");
	CHECK_EQ(epc__page_state(p3), EPC__PAGE_INUSE, "off the LRU");
	CHECK_EQ(root->lru.nr, 3, "three left");
	epc__reclaim_mark(&epc->reclaim, p3);
	CHECK(lru_tail(epc, root) == p3, "back at the tail");

	epc__fault_set(epc, b28_hook, &c);
	CHECK_EQ(epc__reclaim_lru(&epc->reclaim, root), 4, "batch");
	epc__fault_set(epc, NULL, NULL);
	CHECK_EQ(c.tried, 1, "the hook ran");
	CHECK_EQ(c.state_seen, EPC__PAGE_ISOLATED, "during EWB the page is isolated");
	CHECK_EQ(c.ret, -EBUSY, "unmark of an isolated page");
	CHECK_EQ(encl_stats(e).nr_evicted, 4, "the batch went on normally");
	check_all(t, e, 4, 12);
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/*
 * 28: a fault on a page a reclaimer has prepared (BEING_RECLAIMED) is told to
 * retry. A reclaimer thread is stopped while preparing page 0 of enclave B,
 * after it prepared page 0 of enclave A (whose lock is then free). A fault on
 * A's page 0 gets the retry answer; with a signal pending the retry loop
 * returns -EINTR at once, which makes the answer visible without racing.
 */
struct b28f {
	struct epc *epc;
	uint64_t stop_idx;
	_Atomic int in_hook, go;
};

static int b28f_hook(void *arg, enum epc__fault_site site, uint64_t idx)
{
	struct b28f *c = arg;

	if (site != EPC__FAULT_BACKING_GET || idx != c->stop_idx)
		return 0;
	atomic_store(&c->in_hook, 1);
	while (!atomic_load(&c->go))
		sched_yield();
	return 0;
}

static void *b28f_reclaimer(void *arg)
{
	struct b28f *c = arg;

	epc__reclaim_lru(&c->epc->reclaim, epc_cgroup_root(c->epc));
	return NULL;
}

static void test_reclaim_b28_fault_on_page_being_reclaimed_retries(void **state)
{
	struct epc *epc = make_epc(128);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_task *ts = make_task(epc, NULL, 0);
	struct epc_encl *a = build(t, 4, 1, 13, false);
	struct epc_encl *b = build(t, 4, 1, 14, false);
	struct b28f c = {.epc = epc};
	unsigned char buf[64], sentinel[64];
	pthread_t rt;

	(void)state;
	c.stop_idx = idx_of(epc, b->pages[0].epc_page);
	memset(sentinel, 0xa5, sizeof(sentinel));
	epc__fault_set(epc, b28f_hook, &c);
	assert_int_equal(pthread_create(&rt, NULL, b28f_reclaimer, &c), 0);
	while (!atomic_load(&c.in_hook))
		sched_yield();
	CHECK(a->pages[0].flags & EPC__EPAGE_BEING_RECLAIMED, "A's page 0 is being reclaimed");
	CHECK(a->pages[0].epc_page != NULL, "and still resident");
	epc_task_set_signal(ts, true);
	memcpy(buf, sentinel, sizeof(buf));
	CHECK_EQ(epc_encl_access(ts, a, 0, buf, sizeof(buf), false), -EINTR,
		 "the fault was told to retry (and the signal ended the retries)");
	CHECK(!memcmp(buf, sentinel, sizeof(buf)), "nothing was read");
	atomic_store(&c.go, 1);
	pthread_join(rt, NULL);
	epc__fault_set(epc, NULL, NULL);
	CHECK(a->pages[0].epc_page == NULL && b->pages[0].epc_page == NULL, "both evicted");
	epc_task_set_signal(ts, false);
	check_page(ts, a, 0, 13);
	check_page(ts, b, 0, 14);
	assert_epc_consistent(epc);
	epc_encl_destroy(a);
	epc_encl_destroy(b);
	epc_task_destroy(ts);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* 29: the backing store cannot be had: the page goes to the LRU tail, nothing written. */
static void test_reclaim_b29_backing_failure_requeues_at_tail(void **state)
{
	struct epc *epc = make_epc(128);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	struct epc_encl *e = build(t, 20, 20, 15, false);
	struct epc_page *p5 = e->pages[5].epc_page;
	unsigned char img[PAGE], zero[PAGE] = {0}, pcmd[128];
	int fd = epc_encl_backing_fd(e);
	struct hook h;

	(void)state;
	hook_init(&h, epc);
	h.fail_site = EPC__FAULT_BACKING_GET;
	h.fail_first = -1;
	h.fail_idx = idx_of(epc, p5);
	h.fail_ret = -ENOMEM;
	epc__fault_set(epc, hook_fn, &h);
	CHECK_EQ(epc__reclaim_lru(&epc->reclaim, root), 16, "batch");
	epc__fault_set(epc, NULL, NULL);
	CHECK_EQ(encl_stats(e).nr_evicted, 15, "15 written back");
	CHECK(e->pages[5].epc_page == p5, "page 5 stayed resident");
	CHECK(lru_tail(epc, root) == p5, "re-queued at the LRU tail");
	CHECK_EQ(root->lru.nr, 5, "pages 16-19 and page 5");
	CHECK(!(e->pages[5].flags & EPC__EPAGE_BEING_RECLAIMED), "not marked being reclaimed");
	CHECK_EQ(pread(fd, img, PAGE, 5 * PAGE), PAGE, "read the backing store");
	CHECK(!memcmp(img, zero, PAGE), "nothing was written for page 5");
	CHECK_EQ(pread(fd, pcmd, 128, 20 * PAGE + PAGE + 5 * 128), 128, "read its PCMD");
	CHECK(!memcmp(pcmd, zero, 128), "nor its PCMD");
	CHECK_EQ(pread(fd, pcmd, 128, 20 * PAGE + PAGE + 4 * 128), 128, "read page 4's PCMD");
	CHECK(memcmp(pcmd, zero, 128), "page 4 was written");
	check_page(t, e, 5, 15);
	CHECK_EQ(epc_reclaim(epc, 100), 20 - 15, "the rest evicts without the fault");
	check_all(t, e, 20, 15);
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* 30: after EWB: not resident, VA slot used, SECS child count down, page free, uncharged. */
static void test_reclaim_b30_ewb_frees_and_uncharges(void **state)
{
	struct epc *epc = make_epc(128);
	struct epc_cgroup *cg = make_cg(epc, "/c");
	struct epc_task *t = make_task(epc, cg, 0);
	struct epc_encl *e = build(t, 20, 20, 16, false);
	struct epc_page *p0 = e->pages[0].epc_page;
	uint64_t secs = idx_of(epc, e->secs.epc_page);
	uint64_t free0 = nr_free(epc);
	struct epc__encl_page *ep = &e->pages[0];

	(void)state;
	CHECK_EQ(cg_usage_pages(cg), 22, "20 pages, SECS, VA page");
	CHECK_EQ(atomic_load(&epc->hw.epcm[secs].link), 20, "20 children");
	CHECK_EQ(epc__reclaim_lru(&epc->reclaim, cg), 16, "batch");
	CHECK(ep->epc_page == NULL, "page 0 not resident");
	CHECK(ep->va_page != NULL, "its version is in a VA page");
	CHECK(ep->va_page->used[ep->va_slot / 64] & (1ULL << (ep->va_slot % 64)), "slot taken");
	CHECK_EQ(va_slots_used(e), 16, "16 slots used");
	CHECK_EQ(atomic_load(&epc->hw.epcm[secs].link), 4, "SECS child count down by 16");
	CHECK_EQ(epc__page_state(p0), EPC__PAGE_FREE, "the EPC page is back on the free list");
	CHECK(p0->cg == NULL && p0->owner == NULL, "and belongs to no one");
	CHECK_EQ(nr_free(epc), free0 + 16, "free count");
	CHECK_EQ(cg_usage_pages(cg), 6, "uncharged");
	CHECK_EQ(encl_stats(e).nr_resident, 4, "4 resident");
	check_all(t, e, 20, 16);
	CHECK_EQ(va_slots_used(e), 0, "reloads freed every slot");
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	CHECK_EQ(cg_usage_pages(cg), 0, "all returned");
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* 31: the last child out takes the SECS with it, for an initialized enclave only. */
static void test_reclaim_b31_secs_follows_last_child_when_initialized(void **state)
{
	struct epc *epc = make_epc(128);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	struct epc_encl *e = build(t, 4, 4, 17, true);
	struct epc_page *secs = e->secs.epc_page;

	(void)state;
	CHECK_EQ(epc__reclaim_lru(&epc->reclaim, root), 4, "batch");
	CHECK(e->secs.epc_page == NULL, "SECS written back");
	CHECK_EQ(epc__page_state(secs), EPC__PAGE_FREE, "and its page freed");
	CHECK_EQ(encl_stats(e).nr_evicted, 5, "4 children + the SECS");
	CHECK_EQ(va_slots_used(e), 5, "the SECS's version takes a slot too");
	CHECK_EQ(nr_free(epc), 127, "only the VA page is left in EPC");
	CHECK_EQ(cg_usage_pages(root), 1, "only the VA page is charged");
	check_all(t, e, 4, 17);
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

static void test_reclaim_b31_secs_stays_when_uninitialized(void **state)
{
	struct epc *epc = make_epc(128);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	struct epc_encl *e = build(t, 4, 4, 18, false);
	struct epc_page *secs = e->secs.epc_page;

	(void)state;
	CHECK_EQ(epc__reclaim_lru(&epc->reclaim, root), 4, "batch");
	CHECK(e->secs.epc_page == secs, "SECS stays");
	CHECK_EQ(encl_stats(e).nr_evicted, 4, "children only");
	CHECK_EQ(nr_free(epc), 126, "SECS and VA page in EPC");
	CHECK_EQ(cg_usage_pages(root), 2, "both charged");
	check_all(t, e, 4, 18);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/*
 * 32: EWB and NOT_TRACKED. The emulated EWB says NOT_TRACKED by itself for a
 * page blocked in the current ETRACK epoch, so an untouched batch already
 * shows EWB, ETRACK, EWB for its first page, and one EWB for each other page
 * (ETRACK is per batch, which is why the kernel batches). Injected
 * NOT_TRACKEDs push further: a second one gives the IPI (nothing to kick out
 * here) and a third EWB; a third one fails the write and the page stays.
 */
static void b32_run(int inject, int nr_pages, int want_ewb, int want_etrack, bool evicted)
{
	struct epc *epc = make_epc(128);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, 16, (uint64_t)nr_pages, 19, false);
	struct hook h;

	hook_init(&h, epc);
	h.fail_site = EPC__FAULT_EWB;
	h.fail_first = inject;
	h.fail_ret = EPC__SGX_NOT_TRACKED;
	epc__fault_set(epc, hook_fn, &h);
	CHECK_EQ(epc__reclaim_lru(&epc->reclaim, epc_cgroup_root(epc)), nr_pages, "batch");
	epc__fault_set(epc, NULL, NULL);
	CHECK_EQ(h.calls[EPC__FAULT_EWB], want_ewb, "EWB calls");
	CHECK_EQ(h.calls[EPC__FAULT_ETRACK], want_etrack, "ETRACK calls");
	CHECK_EQ(encl_stats(e).nr_evicted, evicted ? nr_pages : nr_pages - 1, "pages evicted");
	CHECK((e->pages[0].epc_page == NULL) == evicted, "page 0 evicted or not");
	check_all(t, e, (uint64_t)nr_pages, 19);
	if (!evicted)
		CHECK_EQ(epc_reclaim(epc, 100), nr_pages, "evicts once EWB works");
	check_all(t, e, (uint64_t)nr_pages, 19);
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

static void test_reclaim_b32_not_tracked_gives_one_etrack_and_second_ewb(void **state)
{
	(void)state;
	b32_run(0, 1, 2, 1, true);   /* the emulated hardware's own NOT_TRACKED */
	b32_run(1, 1, 2, 1, true);   /* injected */
	b32_run(0, 16, 17, 1, true); /* one ETRACK for a whole batch */
}

static void test_reclaim_b32_second_not_tracked_gives_third_ewb(void **state)
{
	(void)state;
	b32_run(2, 1, 3, 1, true);
	b32_run(3, 1, 3, 1, false); /* a third NOT_TRACKED fails the write: the page stays */
}

/* 33: a fault with the SECS evicted reloads the SECS, then the page. */
static void test_reclaim_b33_fault_reloads_secs_first(void **state)
{
	struct epc *epc = make_epc(128);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	struct epc_encl *e = build(t, 4, 2, 20, true);
	struct epc_encl *f = build(t, 4, 1, 21, false);
	uint64_t free0;
	struct hook h;

	(void)state;
	CHECK_EQ(epc__reclaim_lru(&epc->reclaim, root), 3, "E's 2 pages and F's page");
	CHECK(e->secs.epc_page == NULL, "E's SECS evicted");
	check_page(t, f, 0, 21); /* F's page back, at the tail */
	CHECK_EQ(va_slots_used(e), 3, "E: 2 pages + SECS in VA slots");
	free0 = nr_free(epc);
	hook_init(&h, epc);
	epc__fault_set(epc, hook_fn, &h);
	check_page(t, e, 1, 20);
	epc__fault_set(epc, NULL, NULL);
	CHECK_EQ(h.nr_eldu, 2, "two ELDUs");
	CHECK(e->secs.epc_page != NULL && e->pages[1].epc_page != NULL, "both resident");
	CHECK_EQ(h.eldu_idx[0], idx_of(epc, e->secs.epc_page), "the SECS first");
	CHECK_EQ(h.eldu_idx[1], idx_of(epc, e->pages[1].epc_page), "then the page");
	CHECK_EQ(nr_free(epc), free0 - 2, "two allocations");
	CHECK(lru_tail(epc, root) == e->pages[1].epc_page, "the page is at the LRU tail");
	CHECK_EQ(stats(epc).nr_reclaimable, 2, "the SECS is not on an LRU");
	CHECK_EQ(va_slots_used(e), 1, "the page's and the SECS's slots were freed");
	CHECK_EQ(encl_stats(e).nr_reloaded, 2, "two reloads");
	CHECK_EQ(encl_stats(e).nr_faults, 1, "one fault");
	check_page(t, e, 0, 20);
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_encl_destroy(f);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* 34: a reload whose allocation gets -EBUSY is retried (MANUAL: after one reclaim step). */
static void test_reclaim_b34_fault_ebusy_runs_reclaim_step_and_retries(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, 62, 62, 22, false);
	struct raw raw = {.nr = 0};
	struct epc_stats before, after;

	(void)state;
	CHECK_EQ(epc_reclaim(epc, 16), 16, "make room");
	CHECK_EQ(alloc_raw(&raw, t, 16), 16, "and fill it with raw pages");
	before = stats(epc);
	CHECK_EQ(before.nr_free, 0, "EPC full");
	check_page(t, e, 0, 22); /* evicted: the reload must wait for reclaim */
	after = stats(epc);
	CHECK_EQ(after.nr_evicted - before.nr_evicted, 16, "the fault ran one reclaim step");
	CHECK(after.nr_ksgxd_wakeups > before.nr_ksgxd_wakeups, "and woke ksgxd");
	CHECK_EQ(after.nr_reloaded - before.nr_reloaded, 1, "one reload");
	free_raw(&raw);
	check_all(t, e, 62, 22);
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* 34: -ENOMEM (nothing reclaimable) and ELDU failure give -EFAULT, the SIGBUS case. */
static void test_reclaim_b34_fault_enomem_or_eldu_failure_gives_efault(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	struct epc_encl *e = build(t, 30, 30, 23, false);
	struct raw raw = {.nr = 0};
	unsigned char buf[PAGE];
	struct hook h;

	(void)state;
	CHECK_EQ(epc_reclaim(epc, 30), 30, "evict everything");
	CHECK_EQ(alloc_raw(&raw, t, 62), 62, "fill the EPC with raw pages");
	CHECK_EQ(epc_encl_access(t, e, 0, buf, PAGE, false), -EFAULT,
		 "no EPC and nothing reclaimable");
	CHECK_EQ(cg_usage_pages(root), 64, "the failed reload left no charge");
	free_raw(&raw);

	hook_init(&h, epc);
	h.fail_site = EPC__FAULT_ELDU;
	h.fail_first = 1000;
	h.fail_ret = EPC__SGX_MAC_COMPARE_FAIL;
	epc__fault_set(epc, hook_fn, &h);
	CHECK_EQ(epc_encl_access(t, e, 0, buf, PAGE, false), -EFAULT, "ELDU failure");
	epc__fault_set(epc, NULL, NULL);
	CHECK(e->pages[0].epc_page == NULL, "the page is still evicted");
	CHECK_EQ(cg_usage_pages(root), 2, "only the SECS and VA page are charged");
	check_all(t, e, 30, 23);
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/*
 * 35: VA pages. kernel-spec behaviour 35 says ceil(N/512); the kernel's code
 * (sgx_encl_grow(), called for ECREATE too, so the SECS needs a slot) gives
 * ceil((N + 1)/512), and that is what this implementation does: a new VA page
 * whenever the count of pages needing a slot, SECS included, hits a multiple
 * of 512. None of them, nor the SECS, is ever on an LRU.
 */
static void test_reclaim_b35_va_pages_per_enclave(void **state)
{
	static const uint64_t ns[] = {0, 1, 510, 511, 512, 1023, 1024};
	struct epc *epc = make_epc(1100);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_cgroup *root = epc_cgroup_root(epc);

	(void)state;
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		uint64_t n = ns[i], va = (n + 1 + 511) / 512;
		struct epc_encl *e = build(t, 1024, n, 24, false);

		CHECK_EQ(encl_stats(e).nr_va_pages, va, "VA pages = ceil((N + 1) / 512)");
		CHECK_EQ(root->lru.nr, n, "only the N pages are on the LRU");
		CHECK_EQ(stats(epc).nr_reclaimable, n, "only the N pages are reclaimable");
		CHECK_EQ(cg_usage_pages(root), n + 1 + va, "pages + SECS + VA pages charged");
		CHECK_EQ(nr_free(epc), 1100 - (n + 1 + va), "and in use");
		epc_encl_destroy(e);
		CHECK_EQ(nr_free(epc), 1100, "destroy frees them all");
	}
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* 35: the VA slots are exactly enough to evict every page and the SECS. */
static void test_reclaim_b35_va_slots_suffice_to_evict_everything(void **state)
{
	struct epc *epc = make_epc(1100);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, 1023, 1023, 25, true);

	(void)state;
	CHECK_EQ(encl_stats(e).nr_va_pages, 2, "1023 pages + SECS: 2 VA pages");
	CHECK_EQ(epc_reclaim(epc, 2000), 1023, "every page evicted");
	CHECK(e->secs.epc_page == NULL, "and the SECS");
	CHECK_EQ(va_slots_used(e), 1024, "every slot of both VA pages used");
	CHECK_EQ(nr_free(epc), 1100 - 2, "only the VA pages are left");
	check_all(t, e, 1023, 25);
	CHECK_EQ(va_slots_used(e), 0, "all slots free again");
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* ------------------------------------------------------------- cgroups */

/* 50: a task in C allocates: charged to C, A and R; its pages on C's LRU only. */
static void test_reclaim_b50_pages_charged_and_listed_in_task_cgroup(void **state)
{
	struct epc *epc = make_epc(128);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	struct epc_cgroup *a = make_cg(epc, "/A"), *c = make_cg(epc, "/A/C");
	struct epc_task *t = make_task(epc, c, 0);
	struct epc_encl *e = build(t, 10, 10, 26, false);
	struct epc_page *p;

	(void)state;
	CHECK_EQ(cg_usage_pages(c), 12, "C charged");
	CHECK_EQ(cg_usage_pages(a), 12, "A charged");
	CHECK_EQ(cg_usage_pages(root), 12, "R charged");
	CHECK_EQ(peak_pages(c), 12, "C's peak");
	CHECK_EQ(c->lru.nr, 10, "C's LRU holds the pages");
	CHECK_EQ(a->lru.nr + root->lru.nr, 0, "no other LRU does");
	epc__plist_for_each(epc->mm.pages, &c->lru, p) CHECK(p->cg == c, "page's cgroup is C");
	CHECK(e->secs.epc_page->cg == c, "the SECS is charged to C too");
	epc_encl_destroy(e);
	CHECK_EQ(cg_usage_pages(root), 0, "all returned");
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* 52: EWB uncharges; a reload is charged to the faulting task's cgroup. */
static void test_reclaim_b52_reload_charges_faulting_cgroup(void **state)
{
	struct epc *epc = make_epc(128);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	struct epc_cgroup *c = make_cg(epc, "/C"), *d = make_cg(epc, "/D");
	struct epc_task *tc = make_task(epc, c, 0), *td = make_task(epc, d, 0);
	struct epc_encl *e = build(tc, 10, 10, 27, false);

	(void)state;
	CHECK_EQ(epc_reclaim(epc, 10), 10, "evict all");
	CHECK_EQ(cg_usage_pages(c), 2, "EWB uncharged C (SECS and VA page stay)");
	check_page(td, e, 3, 27);
	CHECK_EQ(cg_usage_pages(d), 1, "the reload is charged to D");
	CHECK_EQ(cg_usage_pages(c), 2, "not to C");
	CHECK_EQ(cg_usage_pages(root), 3, "R");
	CHECK_EQ(d->lru.nr, 1, "on D's LRU");
	CHECK_EQ(c->lru.nr, 0, "not on C's");
	CHECK(e->pages[3].epc_page->cg == d, "the page records D");
	epc_encl_destroy(e);
	CHECK_EQ(cg_usage_pages(c), 0, "C uncharged");
	CHECK_EQ(cg_usage_pages(d), 0, "D uncharged by the free");
	epc_task_destroy(tc);
	epc_task_destroy(td);
	epc_destroy(epc);
}

/* 53: C at its limit with DO_RECLAIM reclaims its own pages; B's stay; C never over max. */
/*
 * 21/53 with a big working set: a cgroup at its limit whose 1090 pages were
 * all just accessed. The first pass over its LRU only clears accessed bits
 * (second chance), which takes 69 batches; the retry bound must allow a whole
 * pass and then evict, as the kernel would, instead of failing with -ENOMEM.
 */
static void test_reclaim_b53_young_working_set_bigger_than_the_retry_bound(void **state)
{
	struct epc *epc = make_epc(2048);
	struct epc_cgroup *a = make_cg(epc, "/A");
	struct epc_task *t = make_task(epc, a, 0);
	struct epc_encl *e;
	struct epc_page *raw[16];
	uint64_t used;

	(void)state;
	set_max_pages(a, 1100);
	e = build(t, 1090, 1090, 53, true);
	check_all(t, e, 1090, 53); /* every page young */
	used = cg_usage_pages(a);
	CHECK(used > 1090 && used < 1100, "the enclave nearly fills the limit");
	for (uint64_t i = 0; i < 16; i++)
		raw[i] = alloc_ok(t); /* the last few must evict young pages */
	CHECK(cg_usage_pages(a) <= 1100, "the limit held");
	CHECK(stats(epc).nr_evicted > 0, "pages were evicted to make room");
	for (int i = 0; i < 16; i++)
		epc_page_free(raw[i]);
	check_all(t, e, 1090, 53);
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/*
 * DIFFERENCES C1: a full EPC is refused by the capacity check, which the
 * kernel makes at every level, so the first level to see it may be below the
 * root (here /A, which has no limit at all). The reclaim must still be global:
 * /A/C gets its page by evicting /A/D's pages.
 */
static void test_reclaim_c1_full_epc_refused_below_the_root_reclaims_globally(void **state)
{
	struct epc *epc = make_epc(128);
	struct epc_cgroup *c = make_cg(epc, "/A");
	struct epc_task *td, *tc;
	struct epc_encl *e, *e2 = NULL;
	struct epc_page *p, *fill[16];
	int nr_fill = 0;

	(void)state;
	c = make_cg(epc, "/A/C");
	td = make_task(epc, make_cg(epc, "/A/D"), 0);
	tc = make_task(epc, c, 0);
	e = build(td, 256, 200, 7, true); /* D pages: it wants more than the EPC */
	/* the few pages left free go to D too, as raw pages */
	while (epc_page_alloc(td, NULL, EPC_NO_RECLAIM, &fill[nr_fill]) == 0)
		nr_fill++;
	CHECK_EQ(stats(epc).nr_free, 0, "the EPC is full of D's pages");
	CHECK_EQ(cg_usage_pages(epc_cgroup_root(epc)), 128, "charged up to the capacity");
	CHECK_EQ(epc_page_alloc(tc, NULL, EPC_DO_RECLAIM, &p), 0,
		 "C's allocation reclaims D's pages globally");
	CHECK_EQ(epc_encl_create(tc, 4 * PAGE, &e2), 0, "so does C's ECREATE");
	epc_encl_destroy(e2);
	epc_page_free(p);
	while (nr_fill)
		epc_page_free(fill[--nr_fill]);
	check_all(td, e, 200, 7);
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_task_destroy(tc);
	epc_task_destroy(td);
	epc_destroy(epc);
}

static void test_reclaim_b53_limit_reclaims_own_pages_only(void **state)
{
	struct epc *epc = make_epc(256);
	struct epc_cgroup *a = make_cg(epc, "/A");
	struct epc_cgroup *b = make_cg(epc, "/A/B"), *c = make_cg(epc, "/A/C");
	struct epc_task *tb = make_task(epc, b, 0), *tc = make_task(epc, c, 0);
	struct epc_encl *eb, *ec;

	(void)state;
	set_max_pages(c, 40);
	eb = build(tb, 30, 30, 28, false);
	ec = build(tc, 60, 60, 29, true);
	CHECK(cg_usage_pages(c) <= 40, "C within its limit");
	CHECK(peak_pages(c) <= 40, "C never went over it");
	CHECK(events_of(c, "misc.events.local") > 0, "C hit its limit");
	CHECK_EQ(encl_stats(ec).nr_pages, 60, "every EADD succeeded");
	CHECK(encl_stats(ec).nr_evicted >= 20, "by reclaiming C's own pages");
	CHECK_EQ(encl_stats(eb).nr_evicted, 0, "B's pages untouched");
	CHECK_EQ(encl_stats(eb).nr_resident, 30, "all of them resident");
	for (int round = 0; round < 2; round++)
		check_all(tc, ec, 60, 29);
	CHECK(cg_usage_pages(c) <= 40 && peak_pages(c) <= 40, "faults stayed within the limit too");
	CHECK_EQ(encl_stats(eb).nr_evicted, 0, "B's pages still untouched");
	CHECK_EQ(cg_usage_pages(a), cg_usage_pages(b) + cg_usage_pages(c), "A = B + C");
	assert_int_equal(epc_run_background(epc), 0);
	assert_epc_consistent(epc);
	epc_encl_destroy(ec);
	epc_encl_destroy(eb);
	CHECK_EQ(cg_usage_pages(a), 0, "all returned");
	epc_task_destroy(tb);
	epc_task_destroy(tc);
	epc_destroy(epc);
}

/* 54: C at its limit with only SECS/VA pages: -ENOMEM at once, though B has pages. */
static void test_reclaim_b54_only_unreclaimable_in_subtree_gives_enomem(void **state)
{
	struct epc *epc = make_epc(128);
	struct epc_cgroup *a = make_cg(epc, "/A");
	struct epc_cgroup *b = make_cg(epc, "/A/B"), *c = make_cg(epc, "/A/C");
	struct epc_task *tb = make_task(epc, b, 0), *tc = make_task(epc, c, 0);
	struct epc_encl *eb = build(tb, 10, 10, 30, false);
	struct epc_encl *ec;
	struct epc_page *p = NULL;
	uint64_t ev;

	(void)state;
	set_max_pages(c, 2);
	ec = build(tc, 10, 0, 31, false); /* SECS + VA page: at the limit */
	ev = events_of(c, "misc.events.local");
	CHECK_EQ(epc_encl_add_page(tc, ec, 0, NULL), -ENOMEM, "EADD");
	CHECK_EQ(epc_page_alloc(tc, NULL, EPC_DO_RECLAIM, &p), -ENOMEM, "DO_RECLAIM");
	CHECK_EQ(epc_page_alloc(tc, NULL, EPC_NO_RECLAIM, &p), -ENOMEM, "NO_RECLAIM");
	CHECK_EQ(events_of(c, "misc.events.local"), ev + 3, "each failure counted at C");
	CHECK_EQ(cg_usage_pages(c), 2, "no charge left");
	CHECK_EQ(encl_stats(eb).nr_evicted, 0, "B's pages untouched");
	CHECK_EQ(cg_usage_pages(a), 14, "A");
	assert_epc_consistent(epc);
	epc_encl_destroy(ec);
	epc_encl_destroy(eb);
	epc_task_destroy(tb);
	epc_task_destroy(tc);
	epc_destroy(epc);
}

/*
 * 55, epcmm's rule (DESIGN §4.4, DIFFERENCES C9): a charge refused at A's
 * limit reclaims from A's subtree, whoever holds the pages there, and is
 * -ENOMEM only when nothing in A's subtree is reclaimable. (v17 reclaimed only
 * in the charging cgroup's own subtree: D, with no pages of its own, got
 * -ENOMEM while B held 30 reclaimable pages under the same full parent.)
 */
static void test_reclaim_b55_refusing_level_reclaims_its_subtree(void **state)
{
	struct epc *epc = make_epc(256);
	struct epc_cgroup *a = make_cg(epc, "/A");
	struct epc_cgroup *b = make_cg(epc, "/A/B"), *d = make_cg(epc, "/A/D");
	struct epc_task *tb = make_task(epc, b, 0), *td = make_task(epc, d, 0);
	struct raw raw = {.nr = 0};
	struct epc_encl *eb;
	struct epc_page *p = NULL;
	uint64_t ev;

	(void)state;
	set_max_pages(a, 40);
	eb = build(tb, 30, 30, 32, true); /* A: 30 + SECS + VA = 32 */
	CHECK_EQ(alloc_raw(&raw, td, 8), 8, "D tops A up");
	CHECK_EQ(cg_usage_pages(a), 40, "A at its limit");
	ev = events_of(a, "misc.events.local");
	CHECK_EQ(epc_page_alloc(td, NULL, EPC_DO_RECLAIM, &p), 0,
		 "D has nothing of its own, but B's pages under A give way");
	raw.p[raw.nr++] = p;
	CHECK(encl_stats(eb).nr_evicted > 0, "B's pages were reclaimed for it");
	CHECK_EQ(events_of(a, "misc.events.local"), ev + 1, "the refusal is counted at A");
	CHECK_EQ(events_of(d, "misc.events.local"), 0, "not at D");
	/* D takes everything: -ENOMEM only once nothing under A is reclaimable */
	while (epc_page_alloc(td, NULL, EPC_DO_RECLAIM, &p) == 0)
		raw.p[raw.nr++] = p;
	CHECK_EQ(encl_stats(eb).nr_resident, 0, "every page of B went first");
	CHECK_EQ(cg_usage_pages(b), 1, "B keeps only its VA page (the SECS followed its pages)");
	CHECK_EQ(cg_usage_pages(a), 40, "A full of D's raw pages");
	CHECK_EQ(epc_page_alloc(td, NULL, EPC_NO_RECLAIM, &p), -ENOMEM,
		 "NO_RECLAIM: nothing reclaimable, so no -EBUSY either");
	free_raw(&raw);
	check_all(tb, eb, 30, 32);
	assert_epc_consistent(epc);
	epc_encl_destroy(eb);
	CHECK_EQ(cg_usage_pages(a), 0, "all returned");
	epc_task_destroy(tb);
	epc_task_destroy(td);
	epc_destroy(epc);
}

/*
 * The starvation of issue 7, deterministic: C's own pages are all out (its LRU
 * is empty) and its parent A is full of its sibling B's resident pages. C's
 * fault is refused at A; it must reclaim B's pages, not end in -EFAULT (the
 * SIGBUS case) as it did when reclaim looked only at C's own LRU.
 */
static void test_reclaim_b55_fault_with_empty_own_lru_under_a_full_parent(void **state)
{
	struct epc *epc = make_epc(256);
	struct epc_cgroup *a = make_cg(epc, "/A");
	struct epc_cgroup *b = make_cg(epc, "/A/B"), *c = make_cg(epc, "/A/C");
	struct epc_task *tb = make_task(epc, b, 0), *tc = make_task(epc, c, 0);
	struct epc_encl *eb = build(tb, 36, 36, 41, true);
	struct epc_encl *ec = build(tc, 8, 8, 42, true);
	struct epc_cgroup_stats cs;

	(void)state;
	set_max_pages(a, 40);
	CHECK(epc_reclaim(epc, 1000) >= 44, "everything evicted");
	check_all(tb, eb, 36, 41); /* B: 36 + SECS + VA = 38, C: its VA page */
	CHECK_EQ(cg_usage_pages(a), 39, "A nearly full of B's pages");
	CHECK_EQ(epc_cgroup_get_stats(c, &cs, sizeof(cs)), 0, "C's stats");
	CHECK_EQ(cs.nr_lru, 0, "C's own LRU is empty");
	check_all(tc, ec, 8, 42); /* SECS + 8 pages: refused at A every time */
	CHECK(events_of(a, "misc.events.local") > 0, "A's limit refused");
	CHECK(encl_stats(eb).nr_evicted > 36, "B's pages made the room");
	CHECK(cg_usage_pages(a) <= 40, "A within its limit");
	assert_epc_consistent(epc);
	epc_encl_destroy(ec);
	epc_encl_destroy(eb);
	CHECK_EQ(cg_usage_pages(a), 0, "all returned");
	epc_task_destroy(tb);
	epc_task_destroy(tc);
	epc_destroy(epc);
}

/*
 * 55 with NO_RECLAIM: A is full; a NO_RECLAIM charge in C is refused at A and
 * queues A's async work (the level that refused), which makes room in A's
 * subtree even though C's own usage is far below A's limit.
 */
static void test_reclaim_b55_async_work_makes_room_under_a_full_ancestor(void **state)
{
	struct epc *epc = make_epc(256);
	struct epc_cgroup *a = make_cg(epc, "/A");
	struct epc_cgroup *b = make_cg(epc, "/A/B"), *c = make_cg(epc, "/A/C");
	struct epc_cgroup *d = make_cg(epc, "/A/D");
	struct epc_task *tb = make_task(epc, b, 0), *tc = make_task(epc, c, 0);
	struct epc_task *td = make_task(epc, d, 0);
	struct epc_encl *eb, *ec;
	struct raw raw = {.nr = 0};
	struct epc_page *p = NULL;

	(void)state;
	set_max_pages(a, 40);
	ec = build(tc, 10, 10, 37, false); /* A: 12 */
	eb = build(tb, 20, 20, 38, false); /* A: 34 */
	CHECK_EQ(alloc_raw(&raw, td, 6), 6, "D tops A up");
	CHECK_EQ(cg_usage_pages(a), 40, "A full");
	CHECK_EQ(atomic_load(&a->work_pending), false, "no work queued yet");
	CHECK_EQ(epc_page_alloc(tc, NULL, EPC_NO_RECLAIM, &p), -EBUSY, "NO_RECLAIM in C");
	CHECK_EQ(atomic_load(&a->work_pending), true, "A's work queued, the level that refused");
	CHECK_EQ(atomic_load(&c->work_pending), false, "not C's");
	assert_int_equal(epc_run_background(epc), 0);
	CHECK(encl_stats(ec).nr_evicted + encl_stats(eb).nr_evicted > 0,
	      "the work reclaimed pages under A");
	CHECK(cg_usage_pages(a) < 40, "and made room under A");
	CHECK_EQ(epc_page_alloc(tc, NULL, EPC_NO_RECLAIM, &p), 0, "the retried charge fits");
	epc_page_free(p);
	free_raw(&raw);
	check_all(tc, ec, 10, 37);
	check_all(tb, eb, 20, 38);
	assert_epc_consistent(epc);
	epc_encl_destroy(ec);
	epc_encl_destroy(eb);
	epc_task_destroy(tb);
	epc_task_destroy(tc);
	epc_task_destroy(td);
	epc_destroy(epc);
}

/*
 * The starvation in THREADS mode through faults: every page is out, then B
 * fills A; C's faults (its own LRU empty) wait for the work queued at A and
 * retry; each must succeed, none may end in -EFAULT.
 */
static void test_reclaim_b55_threads_faults_under_a_full_ancestor(void **state)
{
	struct epc_section_desc s = {.phys_addr = 1ULL << 32, .size = 256 * PAGE, .node = 0};
	struct epc_config cfg = {.nr_nodes = 1,
				 .sections = &s,
				 .nr_sections = 1,
				 .background = EPC_BACKGROUND_THREADS,
				 .log = log_quiet};
	struct epc *epc = NULL;
	struct epc_cgroup *a, *b, *c;
	struct epc_task *tb, *tc;
	struct epc_encl *eb, *ec;

	(void)state;
	assert_int_equal(epc_create(&cfg, &epc), 0);
	assert_int_equal(epc_sanitize_wait(epc), 0);
	a = make_cg(epc, "/A");
	b = make_cg(epc, "/A/B");
	c = make_cg(epc, "/A/C");
	tb = make_task(epc, b, 0);
	tc = make_task(epc, c, 0);
	eb = build(tb, 36, 36, 39, true);
	ec = build(tc, 8, 8, 40, true);
	set_max_pages(a, 40);
	CHECK(epc_reclaim(epc, 1000) >= 44, "everything evicted");
	for (int round = 0; round < 3; round++) {
		check_all(tb, eb, 36, 39); /* B fills A */
		check_all(tc, ec, 8, 40);  /* C's faults at A's limit */
	}
	CHECK(cg_usage_pages(a) <= 40, "A within its limit");
	epc_encl_destroy(ec);
	epc_encl_destroy(eb);
	CHECK_EQ(cg_usage_pages(a), 0, "all returned");
	epc_task_destroy(tb);
	epc_task_destroy(tc);
	epc_destroy(epc);
}

/*
 * 56: C at its limit, NO_RECLAIM: -EBUSY and C's async work is queued; the
 * work reclaims 16-page rounds until usage < limit (limit <= 128 pages) or
 * usage < limit - 32 pages (limit > 128 pages).
 */
static void b56_run(uint64_t nr, uint64_t want_after)
{
	struct epc *epc = make_epc(512);
	struct epc_cgroup *c = make_cg(epc, "/C"), *b = make_cg(epc, "/B");
	struct epc_task *tc = make_task(epc, c, 0), *tb = make_task(epc, b, 0);
	struct epc_encl *ec = build(tc, nr, nr, 34, false);
	struct epc_encl *eb = build(tb, 20, 20, 35, false);
	struct epc_page *p = NULL;
	uint64_t wakeups;

	CHECK_EQ(atomic_load(&c->work_pending), false, "no limit yet: no work queued");
	set_max_pages(c, nr + 2); /* a limit equal to the usage: accepted, reclaims nothing */
	CHECK_EQ(cg_usage_pages(c), nr + 2, "at the limit");
	wakeups = stats(epc).nr_ksgxd_wakeups;
	CHECK_EQ(epc_page_alloc(tc, NULL, EPC_NO_RECLAIM, &p), -EBUSY, "NO_RECLAIM at the limit");
	CHECK_EQ(atomic_load(&c->work_pending), true, "C's async work queued");
	CHECK_EQ(stats(epc).nr_ksgxd_wakeups, wakeups, "a cgroup limit does not wake ksgxd");
	CHECK_EQ(cg_usage_pages(c), nr + 2, "no charge left, nothing reclaimed yet");
	assert_int_equal(epc_run_background(epc), 0);
	CHECK_EQ(cg_usage_pages(c), want_after,
		 "the work stopped at the first round under the mark");
	CHECK_EQ(atomic_load(&c->work_pending), false, "work done");
	CHECK_EQ(encl_stats(eb).nr_evicted, 0, "B's pages untouched");
	CHECK_EQ(epc_page_alloc(tc, NULL, EPC_NO_RECLAIM, &p), 0, "room again");
	epc_page_free(p);
	check_all(tc, ec, nr, 34);
	assert_epc_consistent(epc);
	epc_encl_destroy(ec);
	epc_encl_destroy(eb);
	epc_task_destroy(tc);
	epc_task_destroy(tb);
	epc_destroy(epc);
}

static void test_reclaim_b56_no_reclaim_at_limit_queues_async_work(void **state)
{
	(void)state;
	b56_run(100, 102 - 16);	    /* limit 102 <= 128: until usage < 102 */
	b56_run(200, 202 - 3 * 16); /* limit 202 > 128: until usage < 170 */
}

/* DESIGN §4.5: a successful charge within 32 pages of a limit over 128 pages queues the work. */
static void test_reclaim_b56_margin_reached_by_charge_queues_work(void **state)
{
	struct epc *epc = make_epc(512);
	struct epc_cgroup *c = make_cg(epc, "/C");
	struct epc_task *tc = make_task(epc, c, 0);
	struct epc_encl *ec;

	(void)state;
	set_max_pages(c, 200);
	ec = build(tc, 150, 150, 36, false); /* 152 pages: under 200 - 32 */
	CHECK_EQ(atomic_load(&c->work_pending), false, "below the margin");
	epc_encl_destroy(ec);
	ec = build(tc, 170, 170, 36, false); /* 172 >= 168 */
	CHECK_EQ(atomic_load(&c->work_pending), true, "within 32 pages of the limit: queued");
	CHECK_EQ(stats(epc).nr_evicted, 0, "MANUAL: nothing ran");
	assert_int_equal(epc_run_background(epc), 0);
	CHECK(cg_usage_pages(c) < 168, "the work restored the margin");
	CHECK(cg_usage_pages(c) >= 168 - 16, "in one 16-page round");
	epc_encl_destroy(ec);
	epc_task_destroy(tc);
	epc_destroy(epc);
}

/*
 * 57: every failed charge iteration of a synchronous reclaim loop counts one
 * event at the failing level. All of C's pages are young, so the first batch
 * only ages them (frees nothing) and the charge fails a second time before
 * the second batch makes room: two events.
 */
static void test_reclaim_b57_each_failed_charge_iteration_counts_an_event(void **state)
{
	struct epc *epc = make_epc(128);
	struct epc_cgroup *a = make_cg(epc, "/A"), *c = make_cg(epc, "/A/C");
	struct epc_task *tc = make_task(epc, c, 0);
	struct epc_encl *ec;
	struct epc_page *p = NULL;

	(void)state;
	set_max_pages(c, 18);
	ec = build(tc, 16, 16, 57, false); /* usage 18: at the limit */
	check_all(tc, ec, 16, 57);	   /* every page young */
	CHECK_EQ(events_of(c, "misc.events.local"), 0, "no event yet");
	CHECK_EQ(epc_page_alloc(tc, NULL, EPC_DO_RECLAIM, &p), 0, "DO_RECLAIM at the limit");
	CHECK_EQ(encl_stats(ec).nr_evicted, 16, "the second batch evicted them");
	CHECK_EQ(events_of(c, "misc.events.local"), 2, "two failed iterations at C");
	CHECK_EQ(events_of(c, "misc.events"), 2, "C's hierarchical count");
	CHECK_EQ(events_of(a, "misc.events"), 2, "and A's");
	CHECK_EQ(events_of(a, "misc.events.local"), 0, "not local to A");
	epc_page_free(p);
	check_all(tc, ec, 16, 57);
	epc_encl_destroy(ec);
	epc_task_destroy(tc);
	epc_destroy(epc);
}

/*
 * 58: with R -> {A -> {C}, B} all holding pages, one-batch global steps visit
 * R, A, C, B, R, ... (pre-order, children in creation order as the kernel's
 * cgroup children list keeps them), each giving up to 16 pages.
 */
static void test_reclaim_b58_fair_rotation_in_preorder(void **state)
{
	struct epc *epc = make_epc(256);
	struct epc_cgroup *cg[4];
	struct epc_task *t[4];
	struct epc_encl *e[4];
	static const int want[8] = {0, 1, 2, 3, 0, 1, 2, 3};
	static const char *name[4] = {"R", "A", "C", "B"};

	(void)state;
	cg[0] = epc_cgroup_root(epc);
	cg[1] = make_cg(epc, "/A");
	cg[2] = make_cg(epc, "/A/C");
	cg[3] = make_cg(epc, "/B");
	for (int i = 0; i < 4; i++) {
		t[i] = make_task(epc, cg[i], 0);
		e[i] = build(t[i], 20, 20, 40 + (uint64_t)i, false);
	}
	for (int step = 0; step < 8; step++) {
		uint64_t before[4], got = 0;
		int who = -1;

		for (int i = 0; i < 4; i++)
			before[i] = cg[i]->lru.nr;
		CHECK(epc__reclaim_subtree(&epc->reclaim, cg[0], 1) > 0, "a step reclaims");
		for (int i = 0; i < 4; i++) {
			if (cg[i]->lru.nr != before[i]) {
				CHECK(who < 0, "one cgroup per step");
				who = i;
				got = before[i] - cg[i]->lru.nr;
			}
		}
		if (who != want[step])
			fail_msg("step %d reclaimed from %s, expected %s", step,
				 who < 0 ? "nobody" : name[who], name[want[step]]);
		CHECK_EQ(got, step < 4 ? 16 : 4, "a batch of up to 16");
	}
	CHECK_EQ(stats(epc).nr_reclaimable, 0, "everything reclaimed");
	for (int i = 0; i < 4; i++) {
		check_all(t[i], e[i], 20, 40 + (uint64_t)i);
		epc_encl_destroy(e[i]);
		epc_task_destroy(t[i]);
	}
	epc_destroy(epc);
}

/* 59: removing C while the root's cursor points at it moves the cursor past C. */
static void test_reclaim_b59_removed_cgroup_cursor_moves_on(void **state)
{
	struct epc *epc = make_epc(256);
	struct epc_cgroup *r = epc_cgroup_root(epc);
	struct epc_cgroup *a = make_cg(epc, "/A"), *c = make_cg(epc, "/A/C");
	struct epc_cgroup *b = make_cg(epc, "/B"), *found = NULL;
	struct epc_task *tr = make_task(epc, r, 0), *ta = make_task(epc, a, 0);
	struct epc_task *tc = make_task(epc, c, 0), *tb = make_task(epc, b, 0);
	struct epc_encl *er = build(tr, 20, 20, 50, false), *ea = build(ta, 20, 20, 51, false);
	struct epc_encl *ec = build(tc, 20, 20, 52, false), *eb = build(tb, 20, 20, 53, false);
	uint64_t eb_before;

	(void)state;
	CHECK(epc__reclaim_subtree(&epc->reclaim, r, 1) > 0, "R");
	CHECK(epc__reclaim_subtree(&epc->reclaim, r, 1) > 0, "A");
	CHECK(r->next_cg == c, "the cursor is at C");
	epc_encl_destroy(ec);
	epc_task_destroy(tc);
	CHECK_EQ(cg_usage_pages(c), 0, "C holds nothing");
	CHECK_EQ(epc_cgroup_remove(c), 0, "rmdir C");
	CHECK_EQ(epc_cgroup_put(c), 0, "and let go of it");
	CHECK_EQ(epc_cgroup_lookup(epc, "/A/C", &found), -ENOENT, "C is gone");
	CHECK(r->next_cg == b, "the cursor moved to C's pre-order successor");
	eb_before = encl_stats(eb).nr_evicted;
	CHECK(epc__reclaim_subtree(&epc->reclaim, r, 1) > 0, "next step");
	CHECK_EQ(encl_stats(eb).nr_evicted - eb_before, 16, "it reclaimed from B");
	epc_encl_destroy(er);
	epc_encl_destroy(ea);
	epc_encl_destroy(eb);
	epc_task_destroy(tr);
	epc_task_destroy(ta);
	epc_task_destroy(tb);
	assert_epc_consistent(epc);
	epc_destroy(epc);
}

/*
 * 59, a removed cgroup that still holds charges (docs/DIFFERENCES.md C4): it
 * is gone from lookups but stays in the walk, so its pages remain
 * reclaimable through its ancestors; its queued async work is cancelled, as
 * css_free cancels it; it is freed when its last charge goes.
 */
static void test_reclaim_b59_removed_cgroup_with_charges_stays_reclaimable(void **state)
{
	struct epc *epc = make_epc(128);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	struct epc_cgroup *a = make_cg(epc, "/A"), *c = make_cg(epc, "/A/C"), *found = NULL;
	struct epc_task *tc = make_task(epc, c, 0);
	struct epc_encl *ec = build(tc, 40, 40, 56, false);
	struct epc_page *p = NULL;

	(void)state;
	set_max_pages(c, 42);
	CHECK_EQ(epc_page_alloc(tc, NULL, EPC_NO_RECLAIM, &p), -EBUSY, "C at its limit");
	CHECK_EQ(atomic_load(&c->work_pending), true, "C's work queued (and C pinned by it)");
	CHECK_EQ(epc_task_move(tc, root), 0, "the task leaves C");
	CHECK_EQ(epc_cgroup_remove(c), 0, "rmdir C with charges and queued work");
	CHECK_EQ(epc_cgroup_put(c), 0, "let go of the handle");
	CHECK_EQ(epc_cgroup_lookup(epc, "/A/C", &found), -ENOENT, "C is gone from lookups");
	CHECK_EQ(atomic_load(&epc->cgroups.nr_dying), 1, "C is dying");
	CHECK_EQ(atomic_load(&c->work_pending), false, "its queued work was cancelled");
	assert_int_equal(epc_run_background(epc), 0);
	CHECK_EQ(encl_stats(ec).nr_evicted, 0, "no work ran for the removed cgroup");
	CHECK_EQ(epc_reclaim(epc, 100), 40, "global reclaim still reaches C's pages");
	CHECK_EQ(cg_usage_pages(a), 2, "C keeps its SECS and VA page");
	check_page(tc, ec, 5, 56);
	CHECK_EQ(cg_usage_pages(root), 3, "a reload is charged to the task's new cgroup");
	CHECK_EQ(cg_usage_pages(a), 2, "not to C");
	CHECK_EQ(atomic_load(&epc->cgroups.nr_dying), 1, "C still dying");
	assert_epc_consistent(epc);
	epc_encl_destroy(ec);
	CHECK_EQ(atomic_load(&epc->cgroups.nr_dying), 0, "freed with its last charge");
	CHECK_EQ(cg_usage_pages(root), 0, "all returned");
	assert_epc_consistent(epc);
	epc_task_destroy(tc);
	epc_destroy(epc);
}

/*
 * 60: usage under every limit but no free page (a poisoned page is neither
 * free nor charged), reclaimable pages only in another cgroup: DO_RECLAIM
 * reclaims globally and succeeds; NO_RECLAIM gives -EBUSY.
 */
static void test_reclaim_b60_charged_but_no_free_page_reclaims_globally(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	struct epc_cgroup *b = make_cg(epc, "/B"), *c = make_cg(epc, "/C");
	struct epc_task *tb = make_task(epc, b, 0), *tc = make_task(epc, c, 0);
	struct epc_encl *eb;
	struct epc_page *p = NULL;
	struct epc_stats before, after;

	(void)state;
	poison_one_free_page(epc, tc);
	eb = build(tb, 61, 61, 54, false);
	before = stats(epc);
	CHECK_EQ(before.nr_free, 0, "no free page");
	CHECK_EQ(cg_usage_pages(root), 63, "usage under the capacity");
	CHECK_EQ(epc_page_alloc(tc, NULL, EPC_NO_RECLAIM, &p), -EBUSY, "NO_RECLAIM");
	CHECK_EQ(cg_usage_pages(c), 0, "the charge was undone");
	CHECK_EQ(stats(epc).nr_ksgxd_wakeups, before.nr_ksgxd_wakeups + 1, "ksgxd woken");
	CHECK_EQ(epc_page_alloc(tc, NULL, EPC_DO_RECLAIM, &p), 0, "DO_RECLAIM");
	after = stats(epc);
	CHECK_EQ(after.nr_evicted - before.nr_evicted, 16, "one global batch");
	CHECK_EQ(encl_stats(eb).nr_evicted, 16, "from B, the only cgroup with pages");
	CHECK_EQ(cg_usage_pages(c), 1, "C charged for its page");
	epc_page_free(p);
	check_all(tb, eb, 61, 54);
	assert_epc_consistent(epc);
	epc_encl_destroy(eb);
	epc_task_destroy(tb);
	epc_task_destroy(tc);
	epc_destroy(epc);
}

/* 63: a signal while C is over its limit with reclaimable pages: -EINTR, no charge. */
static void test_reclaim_b63_signal_at_limit_gives_eintr_without_charge(void **state)
{
	struct epc *epc = make_epc(128);
	struct epc_cgroup *c = make_cg(epc, "/C");
	struct epc_task *tc = make_task(epc, c, 0);
	struct epc_encl *ec;
	struct epc_page *p = NULL;
	uint64_t evicted;

	(void)state;
	set_max_pages(c, 12);
	ec = build(tc, 11, 10, 55, false);
	CHECK_EQ(cg_usage_pages(c), 12, "at the limit");
	evicted = stats(epc).nr_evicted;
	epc_task_set_signal(tc, true);
	CHECK_EQ(epc_page_alloc(tc, NULL, EPC_DO_RECLAIM, &p), -EINTR, "raw DO_RECLAIM");
	CHECK_EQ(epc_encl_add_page(tc, ec, 10 * PAGE, NULL), -EINTR, "EADD");
	CHECK_EQ(cg_usage_pages(c), 12, "no charge left");
	CHECK_EQ(stats(epc).nr_evicted, evicted, "nothing reclaimed");
	epc_task_set_signal(tc, false);
	CHECK_EQ(epc_encl_add_page(tc, ec, 10 * PAGE, NULL), 0, "EADD without the signal");
	CHECK(cg_usage_pages(c) <= 12, "within the limit");
	assert_epc_consistent(epc);
	epc_encl_destroy(ec);
	epc_task_destroy(tc);
	epc_destroy(epc);
}

/* 64: after every enclave in every cgroup is gone, every misc.current is 0. */
static void test_reclaim_b64_no_charge_left_after_all_enclaves_exit(void **state)
{
	static const char *paths[] = {"/A", "/A/C", "/B", "/B/D"};
	struct epc *epc = make_epc(128);
	struct epc_cgroup *cg[5];
	struct epc_task *t[5];
	struct epc_encl *e[5];
	char buf[64];

	(void)state;
	cg[0] = epc_cgroup_root(epc);
	for (int i = 0; i < 4; i++)
		cg[i + 1] = make_cg(epc, paths[i]);
	set_max_pages(cg[2], 20);
	for (int i = 0; i < 5; i++) {
		t[i] = make_task(epc, cg[i], 0);
		e[i] = build(t[i], 40, 40, 60 + (uint64_t)i, i % 2 == 0);
	}
	/* every task faults every enclave: reloads charged all over the tree */
	for (int i = 0; i < 5; i++)
		for (int j = 0; j < 5; j++)
			check_all(t[i], e[j], 40, 60 + (uint64_t)j);
	assert_int_equal(epc_run_background(epc), 0);
	assert_epc_consistent(epc);
	for (int i = 0; i < 5; i++)
		epc_encl_destroy(e[i]);
	for (int i = 0; i < 5; i++) {
		cg_read(cg[i], "misc.current", buf, sizeof(buf));
		assert_string_equal(buf, "sgx_epc 0\n");
		epc_task_destroy(t[i]);
	}
	CHECK_EQ(nr_free(epc), 128, "every page free");
	assert_epc_consistent(epc);
	epc_destroy(epc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reclaim_b19_no_reclaim_when_full_gives_ebusy_and_wakes_ksgxd),
		cmocka_unit_test(test_reclaim_b20_nothing_reclaimable_gives_enomem),
		cmocka_unit_test(test_reclaim_b21_do_reclaim_reclaims_a_batch_and_succeeds),
		cmocka_unit_test(test_reclaim_b22_signal_pending_gives_eintr_without_charge),
		cmocka_unit_test(test_reclaim_b23_low_watermark_wakes_ksgxd_until_high),
		cmocka_unit_test(test_reclaim_b23_ksgxd_stops_when_lru_empty),
		cmocka_unit_test(test_reclaim_b23_no_wakeup_without_reclaimable_pages),
		cmocka_unit_test(test_reclaim_b24_free_40_does_not_wake_ksgxd),
		cmocka_unit_test(test_reclaim_b25_batch_isolates_16_from_head),
		cmocka_unit_test(test_reclaim_b26_accessed_page_gets_second_chance),
		cmocka_unit_test(test_reclaim_b26_reaccessed_page_skipped_again),
		cmocka_unit_test(test_reclaim_b27_dying_enclave_pages_dropped_from_lru),
		cmocka_unit_test(test_reclaim_b27_destroy_with_pages_on_lru_leaks_nothing),
		cmocka_unit_test(test_reclaim_b28_unmark_while_isolated_is_ebusy),
		cmocka_unit_test(test_reclaim_b28_fault_on_page_being_reclaimed_retries),
		cmocka_unit_test(test_reclaim_b29_backing_failure_requeues_at_tail),
		cmocka_unit_test(test_reclaim_b30_ewb_frees_and_uncharges),
		cmocka_unit_test(test_reclaim_b31_secs_follows_last_child_when_initialized),
		cmocka_unit_test(test_reclaim_b31_secs_stays_when_uninitialized),
		cmocka_unit_test(test_reclaim_b32_not_tracked_gives_one_etrack_and_second_ewb),
		cmocka_unit_test(test_reclaim_b32_second_not_tracked_gives_third_ewb),
		cmocka_unit_test(test_reclaim_b33_fault_reloads_secs_first),
		cmocka_unit_test(test_reclaim_b34_fault_ebusy_runs_reclaim_step_and_retries),
		cmocka_unit_test(test_reclaim_b34_fault_enomem_or_eldu_failure_gives_efault),
		cmocka_unit_test(test_reclaim_b35_va_pages_per_enclave),
		cmocka_unit_test(test_reclaim_b35_va_slots_suffice_to_evict_everything),
		cmocka_unit_test(test_reclaim_b50_pages_charged_and_listed_in_task_cgroup),
		cmocka_unit_test(test_reclaim_b52_reload_charges_faulting_cgroup),
		cmocka_unit_test(test_reclaim_b53_limit_reclaims_own_pages_only),
		cmocka_unit_test(test_reclaim_b53_young_working_set_bigger_than_the_retry_bound),
		cmocka_unit_test(test_reclaim_c1_full_epc_refused_below_the_root_reclaims_globally),
		cmocka_unit_test(test_reclaim_b54_only_unreclaimable_in_subtree_gives_enomem),
		cmocka_unit_test(test_reclaim_b55_refusing_level_reclaims_its_subtree),
		cmocka_unit_test(test_reclaim_b55_fault_with_empty_own_lru_under_a_full_parent),
		cmocka_unit_test(test_reclaim_b55_async_work_makes_room_under_a_full_ancestor),
		cmocka_unit_test(test_reclaim_b55_threads_faults_under_a_full_ancestor),
		cmocka_unit_test(test_reclaim_b56_no_reclaim_at_limit_queues_async_work),
		cmocka_unit_test(test_reclaim_b56_margin_reached_by_charge_queues_work),
		cmocka_unit_test(test_reclaim_b57_each_failed_charge_iteration_counts_an_event),
		cmocka_unit_test(test_reclaim_b58_fair_rotation_in_preorder),
		cmocka_unit_test(test_reclaim_b59_removed_cgroup_cursor_moves_on),
		cmocka_unit_test(test_reclaim_b59_removed_cgroup_with_charges_stays_reclaimable),
		cmocka_unit_test(test_reclaim_b60_charged_but_no_free_page_reclaims_globally),
		cmocka_unit_test(test_reclaim_b63_signal_at_limit_gives_eintr_without_charge),
		cmocka_unit_test(test_reclaim_b64_no_charge_left_after_all_enclaves_exit),
	};

	return cmocka_run_group_tests_name("reclaim", tests, NULL, NULL);
}
