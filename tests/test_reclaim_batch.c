// SPDX-License-Identifier: MIT
/*
 * test_reclaim_batch.c - reclaim batches, EWB and ELDU: kernel-spec §7 behaviours 25-35
 * (isolation, second chance, dying owners, backing failures, the SECS, ETRACK,
 * faults, VA pages).
 *
 * MANUAL mode unless a case says otherwise: background work runs only inside
 * epc_run_background(), so each test knows exactly which pages are free, on
 * which LRU, and what one batch does. Where a behaviour is about the kernel's
 * mm-level detail (PTE accessed bits, mm lists, IPIs) the test checks the
 * equivalent here and says so. Shared helpers: reclaim_helpers.h.
 */
#include "reclaim_helpers.h"

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
	CHECK_EQ(root->lru[0].nr, 24, "24 pages left on the LRU");
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
	CHECK_EQ(root->lru[0].nr, 25, "24 untouched + page 3");
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
	CHECK_EQ(root->lru[0].nr, 1, "only page 3 is left");
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
	CHECK_EQ(root->lru[0].nr, 4, "pages 16-19 on the LRU");
	assert_int_equal(pthread_create(&dt, NULL, b27_destroyer, &c), 0);
	while (!atomic_load(&c.e->dying)) /* the pin keeps the enclave alive */
		sched_yield();
	CHECK_EQ(epc__reclaim_lru(&epc->reclaim, root), 0,
		 "pages of a dying enclave are not counted");
	CHECK_EQ(root->lru[0].nr, 0, "and not re-queued");
	for (int i = 0; i < 4; i++)
		CHECK_EQ(epc__page_state(rest[i]), EPC__PAGE_RELEASING,
			 "TRACKED cleared: the page is left to its owner");
	CHECK_EQ(stats(epc).nr_reclaimable, 20,
		 "the other reclaimer's 16, and 4 room on its way until destroy frees them");
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
	CHECK_EQ(root->lru[0].nr, 24, "some on the LRU");
	epc_encl_destroy(e);
	CHECK_EQ(root->lru[0].nr, 0, "LRU empty");
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
	CHECK(lru_tail(epc, root) == p3, "the last page added is at the tail");
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
 * The owner's unmark (destroy frees page by page): the page leaves the LRU as
 * RELEASING and stays counted reclaimable, room on its way, until it is freed
 * (seen from inside the EREMOVE of the first page destroy frees).
 */
struct releasing {
	struct epc *epc;
	_Atomic int seen;
	int state;
	uint64_t reclaimable, on_lru;
};

static int releasing_hook(void *arg, enum epc__fault_site site, uint64_t idx)
{
	struct releasing *c = arg;

	if (site != EPC__FAULT_EREMOVE || atomic_exchange(&c->seen, 1))
		return 0;
	c->state = epc__page_state(epc__page_at(c->epc, idx));
	c->reclaimable = stats(c->epc).nr_reclaimable;
	c->on_lru = epc_cgroup_root(c->epc)->lru[0].nr;
	return 0;
}

static void test_reclaim_owner_unmark_keeps_the_page_counted_until_freed(void **state)
{
	struct epc *epc = make_epc(128);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, 4, 4, 13, true);
	struct releasing c = {.epc = epc, .state = -1};

	(void)state;
	CHECK_EQ(stats(epc).nr_reclaimable, 4, "four pages on the LRU");
	epc__fault_set(epc, releasing_hook, &c);
	epc_encl_destroy(e);
	epc__fault_set(epc, NULL, NULL);
	CHECK_EQ(c.seen, 1, "the hook ran");
	CHECK_EQ(c.state, EPC__PAGE_RELEASING, "the page being freed is RELEASING");
	CHECK_EQ(c.on_lru, 3, "off the LRU");
	CHECK_EQ(c.reclaimable, 4, "but still counted: room on its way");
	CHECK_EQ(stats(epc).nr_reclaimable, 0, "freed: nothing counted");
	CHECK_EQ(nr_free(epc), 128, "every page free");
	assert_epc_consistent(epc);
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
	CHECK_EQ(epc_encl_access2(ts, a, 0, buf, sizeof(buf), EPC_ACCESS_READ), -EINTR,
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
	CHECK_EQ(root->lru[0].nr, 5, "pages 16-19 and page 5");
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
	CHECK_EQ(epc_encl_access2(t, e, 0, buf, PAGE, EPC_ACCESS_READ), -EFAULT,
		 "no EPC and nothing reclaimable");
	CHECK_EQ(cg_usage_pages(root), 64, "the failed reload left no charge");
	free_raw(&raw);

	hook_init(&h, epc);
	h.fail_site = EPC__FAULT_ELDU;
	h.fail_first = 1000;
	h.fail_ret = EPC__SGX_MAC_COMPARE_FAIL;
	epc__fault_set(epc, hook_fn, &h);
	CHECK_EQ(epc_encl_access2(t, e, 0, buf, PAGE, EPC_ACCESS_READ), -EFAULT, "ELDU failure");
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
		CHECK_EQ(root->lru[0].nr, n, "only the N pages are on the LRU");
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reclaim_b25_batch_isolates_16_from_head),
		cmocka_unit_test(test_reclaim_b26_accessed_page_gets_second_chance),
		cmocka_unit_test(test_reclaim_b26_reaccessed_page_skipped_again),
		cmocka_unit_test(test_reclaim_b27_dying_enclave_pages_dropped_from_lru),
		cmocka_unit_test(test_reclaim_b27_destroy_with_pages_on_lru_leaks_nothing),
		cmocka_unit_test(test_reclaim_b28_unmark_while_isolated_is_ebusy),
		cmocka_unit_test(test_reclaim_owner_unmark_keeps_the_page_counted_until_freed),
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
	};

	return cmocka_run_group_tests_name("reclaim_batch", tests, NULL, NULL);
}
