// SPDX-License-Identifier: MIT
/*
 * test_reclaim_alloc.c - the allocation path with reclaim and ksgxd's watermarks: kernel-spec §7
 * behaviours 19-24.
 *
 * MANUAL mode unless a case says otherwise: background work runs only inside
 * epc_run_background(), so each test knows exactly which pages are free, on
 * which LRU, and what one batch does. Where a behaviour is about the kernel's
 * mm-level detail (PTE accessed bits, mm lists, IPIs) the test checks the
 * equivalent here and says so. Shared helpers: reclaim_helpers.h.
 */
#include "reclaim_helpers.h"

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
	CHECK_ERR(epc_run_background(epc), 0, "epc_run_background");
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
	CHECK_EQ(root->lru[0].nr, 0, "nothing on the LRU");
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
	CHECK_EQ(epc_encl_add_page2(t, e, 62 * PAGE, NULL, EPC_SECINFO_REG_RWX), -EINTR,
		 "EADD, signal");
	CHECK_EQ(cg_usage_pages(root), 64, "no charge left");
	CHECK_EQ(stats(epc).nr_evicted, evicted, "nothing reclaimed");
	CHECK_EQ(encl_stats(e).nr_pages, 62, "the page was not added");
	epc_task_set_signal(t, false);
	CHECK_EQ(epc_encl_add_page2(t, e, 62 * PAGE, NULL, EPC_SECINFO_REG_RWX), 0,
		 "EADD once the signal is gone");
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
	CHECK_ERR(epc_run_background(epc), 0, "epc_run_background");
	st = stats(epc);
	/* 31 -> 47 -> 63 -> 79: batches of 16 until free >= 64 */
	CHECK_EQ(st.nr_evicted, 48, "three batches of 16");
	CHECK_EQ(st.nr_free, 79, "stopped at the first batch reaching the high watermark");
	CHECK_ERR(epc_run_background(epc), 0, "epc_run_background");
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
	CHECK_ERR(epc_run_background(epc), 0, "epc_run_background");
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
	CHECK_ERR(epc_run_background(epc), 0, "epc_run_background");
	CHECK_EQ(stats(epc).nr_evicted, 0, "no work was pending");
	free_raw(&raw);
	epc_encl_destroy(e);
	epc_task_destroy(t);
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
	};

	return cmocka_run_group_tests_name("reclaim_alloc", tests, NULL, NULL);
}
