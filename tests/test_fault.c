// SPDX-License-Identifier: MIT
/*
 * test_fault.c - fault injection into every ENCLS leaf and every fallible
 * step of the enclave layer (hw/fault.h): EREMOVE at free, EPA at ECREATE and
 * at VA growth, EADD, EBLOCK, ETRACK, EWB, the backing store (allocation and
 * write), ELDU, and the page allocator. After each: the invariant checker is
 * clean, misc.current is what the surviving pages account for, nothing is
 * lost (contents still right) and the path works again once the fault is off.
 * A seeded sweep then injects faults at random into a running workload.
 */
#include <errno.h>
#include <unistd.h>

#include "encl_helpers.h"

/* ------------------------------------------------------------- helpers */

static uint64_t usage_pages(struct epc *epc)
{
	return cg_usage(epc_cgroup_root(epc)) / PAGE;
}

/*
 * Pages in use by the books: what misc.current must say. Every page in use
 * is charged (enclave pages, SECS, VA and raw pages, and leaked pages: the
 * kernel's sgx_encl_free_epc_page() never reaches the uncharge for them).
 */
static void check_books(struct epc *epc)
{
	struct epc_stats st = stats(epc);

	assert_epc_consistent(epc);
	CHECK_EQ(usage_pages(epc), st.nr_total - st.nr_free - st.nr_poisoned - st.nr_dirty,
		 "misc.current = pages in use");
}

/* The hook: fail calls at @site (all of them, or only those for page @idx). */
struct hook {
	int site;
	int ret;
	bool any_idx;
	uint64_t idx;
	int skip;  /* let this many matching calls through first */
	int limit; /* fail at most this many (0: no limit) */
	_Atomic int calls[EPC__FAULT_NR_SITES];
	_Atomic int failed;
};

static int hook_fn(void *arg, enum epc__fault_site site, uint64_t idx)
{
	struct hook *h = arg;

	atomic_fetch_add(&h->calls[site], 1);
	if ((int)site != h->site || (!h->any_idx && idx != h->idx))
		return 0;
	if (h->skip > 0) {
		h->skip--;
		return 0;
	}
	if (h->limit && atomic_load(&h->failed) >= h->limit)
		return 0;
	atomic_fetch_add(&h->failed, 1);
	return h->ret;
}

static void hook_on(struct epc *epc, struct hook *h, int site, int ret, bool any_idx, uint64_t idx)
{
	memset(h, 0, sizeof(*h));
	h->site = site;
	h->ret = ret;
	h->any_idx = any_idx;
	h->idx = idx;
	epc__fault_set(epc, hook_fn, h);
}

static void hook_off(struct epc *epc)
{
	epc__fault_set(epc, NULL, NULL);
}

static struct log_catcher lc;

/* ---------------------------------------------------------------- EREMOVE */

/* A raw page whose EREMOVE fails is leaked with a warning and counted. */
static void test_fault_eremove_failure_at_raw_free_leaks_the_page(void **state)
{
	struct epc *epc;
	struct epc_task *t;
	struct epc_page *p = NULL;
	struct hook h;

	(void)state;
	memset(&lc, 0, sizeof(lc));
	epc = make_epc_ex(1, NULL, 1, 64, 0, &lc);
	t = make_task(epc, NULL, 0);
	CHECK_EQ(epc_page_alloc(t, NULL, EPC_NO_RECLAIM, &p), 0, "raw page");
	hook_on(epc, &h, EPC__FAULT_EREMOVE, EPC__SGX_ENCLS_FAULT, false, idx_of(epc, p));
	epc_page_free(p);
	hook_off(epc);
	CHECK_EQ(stats(epc).nr_leaked, 1, "counted in nr_leaked");
	CHECK(log_count(&lc, "leaked") >= 1, "with a warning");
	CHECK_EQ(nr_free(epc), 63, "the page is not free");
	CHECK_EQ(epc__page_state(p), EPC__PAGE_INUSE, "it stays off every list");
	CHECK_EQ(usage_pages(epc), 1, "and stays charged (as the kernel's leak does)");
	check_books(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/*
 * At enclave destroy: a child whose EREMOVE fails leaks; the SECS then has a
 * child in the EPCM, its EREMOVE says CHILD_PRESENT and it leaks too, as in
 * the kernel. Everything else is freed and uncharged.
 */
static void test_fault_eremove_failure_at_destroy_leaks_child_and_secs(void **state)
{
	struct epc *epc;
	struct epc_task *t;
	struct epc_encl *e;
	struct hook h;

	(void)state;
	memset(&lc, 0, sizeof(lc));
	epc = make_epc_ex(1, NULL, 1, 64, 0, &lc);
	t = make_task(epc, NULL, 0);
	e = build(t, 10, 10, 1, true);
	hook_on(epc, &h, EPC__FAULT_EREMOVE, EPC__SGX_ENCLS_FAULT, false,
		idx_of(epc, e->pages[4].epc_page));
	epc_encl_destroy(e);
	hook_off(epc);
	CHECK_EQ(stats(epc).nr_leaked, 2, "the child and its SECS");
	CHECK_EQ(log_count(&lc, "EREMOVE returned"), 2, "two warnings");
	CHECK(log_count(&lc, "0xd") >= 1, "the SECS's was CHILD_PRESENT (13)");
	CHECK_EQ(nr_free(epc), 62, "everything else freed");
	CHECK_EQ(usage_pages(epc), 2, "the leaked pages stay charged");
	CHECK_EQ(stats(epc).nr_reclaimable, 0,
		 "a leaked page is no room on its way: not counted reclaimable");
	check_books(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* A VA page whose EREMOVE fails: only it leaks. */
static void test_fault_eremove_failure_of_va_page_at_destroy(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, 10, 10, 2, false);
	struct hook h;

	(void)state;
	CHECK(epc_reclaim(epc, 3) >= 3, "some evicted: their versions are in the VA page");
	hook_on(epc, &h, EPC__FAULT_EREMOVE, EPC__SGX_ENCLS_FAULT, false,
		idx_of(epc, epc__list_first(&e->va_pages, struct epc__va_page, node)->epc_page));
	epc_encl_destroy(e);
	hook_off(epc);
	CHECK_EQ(stats(epc).nr_leaked, 1, "the VA page");
	CHECK_EQ(nr_free(epc), 63, "everything else freed");
	check_books(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* -------------------------------------------------------------------- EPA */

static void test_fault_epa_failure_at_ecreate(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = NULL;
	struct hook h;

	(void)state;
	hook_on(epc, &h, EPC__FAULT_EPA, EPC__SGX_ENCLS_FAULT, true, 0);
	CHECK_EQ(epc_encl_create(t, 16 * PAGE, &e), -EIO, "ECREATE with EPA failing");
	hook_off(epc);
	CHECK_EQ(h.failed, 1, "EPA was tried");
	CHECK_EQ(nr_free(epc), 64, "nothing kept");
	CHECK_EQ(usage_pages(epc), 0, "nothing charged");
	CHECK_EQ(stats(epc).nr_leaked, 0, "nothing leaked");
	check_books(epc);
	e = build(t, 16, 4, 3, false);
	check_all(t, e, 4, 3);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* The 512th page needs a new VA page: EPA fails, the EADD fails, nothing is left. */
static void test_fault_epa_failure_at_va_growth(void **state)
{
	struct epc *epc = make_epc(600);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, 600, 511, 4, false);
	uint64_t free0 = nr_free(epc), usage0 = usage_pages(epc);
	unsigned char buf[PAGE];
	struct hook h;

	(void)state;
	CHECK_EQ(encl_stats(e).nr_va_pages, 1, "SECS + 511 pages: one VA page");
	hook_on(epc, &h, EPC__FAULT_EPA, EPC__SGX_ENCLS_FAULT, true, 0);
	CHECK_EQ(epc_encl_add_page2(t, e, 511 * PAGE, NULL, EPC_SECINFO_REG_RWX), -EIO,
		 "EADD needing a VA page");
	hook_off(epc);
	CHECK_EQ(h.failed, 1, "EPA was tried");
	CHECK_EQ(encl_stats(e).nr_va_pages, 1, "no VA page added");
	CHECK_EQ(encl_stats(e).nr_pages, 511, "no page added");
	CHECK_EQ(nr_free(epc), free0, "nothing kept");
	CHECK_EQ(usage_pages(epc), usage0, "nothing charged");
	CHECK_EQ(epc_encl_access2(t, e, 511 * PAGE, buf, 1, EPC_ACCESS_READ), -EINVAL,
		 "page not there");
	check_books(epc);
	CHECK_EQ(epc_encl_add_page2(t, e, 511 * PAGE, NULL, EPC_SECINFO_REG_RWX), 0,
		 "works once EPA does");
	CHECK_EQ(encl_stats(e).nr_va_pages, 2, "with a second VA page");
	check_books(epc);
	epc_encl_destroy(e);
	CHECK_EQ(nr_free(epc), 600, "all back");
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* ------------------------------------------------------------------- EADD */

static void test_fault_eadd_failure_leaves_no_charge(void **state)
{
	struct epc *epc = make_epc(600);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, 600, 3, 5, false);
	uint64_t free0 = nr_free(epc), usage0 = usage_pages(epc);
	unsigned char buf[PAGE];
	struct hook h;

	(void)state;
	hook_on(epc, &h, EPC__FAULT_EADD, EPC__SGX_ENCLS_FAULT, true, 0);
	fill(buf, 5, 3);
	CHECK_EQ(epc_encl_add_page2(t, e, 3 * PAGE, buf, EPC_SECINFO_REG_RWX), -EIO,
		 "EADD failing");
	hook_off(epc);
	CHECK_EQ(nr_free(epc), free0, "the page went back");
	CHECK_EQ(usage_pages(epc), usage0, "and its charge");
	CHECK_EQ(encl_stats(e).nr_pages, 3, "not added");
	CHECK_EQ(epc_encl_access2(t, e, 3 * PAGE, buf, 1, EPC_ACCESS_READ), -EINVAL,
		 "not accessible");
	check_books(epc);
	CHECK_EQ(epc_encl_add_page2(t, e, 3 * PAGE, buf, EPC_SECINFO_REG_RWX), 0,
		 "can be added later");
	/* fill up to 511 pages, then fail the EADD that brought a VA page with it */
	for (uint64_t i = 4; i < 511; i++) {
		fill(buf, 5, i);
		CHECK_EQ(epc_encl_add_page2(t, e, i * PAGE, buf, EPC_SECINFO_REG_RWX), 0, "EADD");
	}
	free0 = nr_free(epc);
	usage0 = usage_pages(epc);
	hook_on(epc, &h, EPC__FAULT_EADD, EPC__SGX_ENCLS_FAULT, true, 0);
	CHECK_EQ(epc_encl_add_page2(t, e, 511 * PAGE, NULL, EPC_SECINFO_REG_RWX), -EIO,
		 "EADD after VA growth");
	hook_off(epc);
	CHECK_EQ(encl_stats(e).nr_va_pages, 1, "the new VA page was given back");
	CHECK_EQ(nr_free(epc), free0, "both pages back");
	CHECK_EQ(usage_pages(epc), usage0, "both charges back");
	check_books(epc);
	check_all(t, e, 511, 5);
	epc_encl_destroy(e);
	CHECK_EQ(usage_pages(epc), 0, "all back");
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* ------------------------------------------------- EBLOCK, ETRACK, EWB */

/* EBLOCK fails: the page is not evicted (EWB refuses an unblocked page), stays right. */
static void test_fault_eblock_failure_keeps_page_resident(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, 8, 8, 6, false);
	struct epc_page *p2 = e->pages[2].epc_page;
	struct hook h;

	(void)state;
	hook_on(epc, &h, EPC__FAULT_EBLOCK, EPC__SGX_ENCLS_FAULT, false, idx_of(epc, p2));
	CHECK_EQ(epc_reclaim(epc, 8), 7, "all but page 2");
	hook_off(epc);
	CHECK(h.failed >= 1, "EBLOCK failed");
	CHECK(e->pages[2].epc_page == p2, "page 2 resident");
	CHECK_EQ(epc__page_state(p2), EPC__PAGE_LRU, "back on the LRU");
	CHECK(!(epc->hw.epcm[idx_of(epc, p2)].flags & EPC__EPCM_BLOCKED), "not blocked");
	CHECK_EQ(va_slots_used(e), 7, "no VA slot kept for it");
	check_books(epc);
	check_all(t, e, 8, 6);
	CHECK_EQ(epc_reclaim(epc, 100), 8, "evicts once EBLOCK works");
	check_all(t, e, 8, 6);
	check_books(epc);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* ETRACK fails: EWB stays NOT_TRACKED three times; nothing is evicted, nothing lost. */
static void test_fault_etrack_failure_keeps_pages_resident(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, 8, 8, 7, true);
	struct hook h;

	(void)state;
	hook_on(epc, &h, EPC__FAULT_ETRACK, EPC__SGX_ENCLS_FAULT, true, 0);
	CHECK_EQ(epc__reclaim_lru(&epc->reclaim, epc_cgroup_root(epc)), 8, "one batch");
	hook_off(epc);
	CHECK_EQ(h.calls[EPC__FAULT_EWB], 8 * 3, "three EWBs per page");
	CHECK_EQ(h.calls[EPC__FAULT_ETRACK], 8, "one ETRACK per page, each failing");
	CHECK_EQ(encl_stats(e).nr_evicted, 0, "nothing evicted");
	CHECK_EQ(encl_stats(e).nr_resident, 8, "all resident");
	CHECK_EQ(va_slots_used(e), 0, "no slot kept");
	check_books(epc);
	check_all(t, e, 8, 7);
	CHECK_EQ(epc_reclaim(epc, 100), 8, "evicts once ETRACK works");
	check_all(t, e, 8, 7);
	check_books(epc);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

static void ewb_failure_case(int site, int ret)
{
	struct epc *epc = make_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, 8, 8, 8, true);
	struct epc_page *p5 = e->pages[5].epc_page;
	int fd = epc_encl_backing_fd(e);
	unsigned char img[PAGE], zero[PAGE] = {0};
	uint64_t usage0 = usage_pages(epc);
	struct hook h;

	hook_on(epc, &h, site, ret, false, idx_of(epc, p5));
	CHECK_EQ(epc_reclaim(epc, 8), 7, "all but page 5");
	hook_off(epc);
	CHECK(h.failed >= 1, "the fault fired");
	CHECK(e->pages[5].epc_page == p5, "page 5 stays in EPC");
	CHECK_EQ(epc__page_state(p5), EPC__PAGE_LRU, "on the LRU");
	CHECK(!(epc->hw.epcm[idx_of(epc, p5)].flags & EPC__EPCM_BLOCKED), "unblocked");
	CHECK(epc->hw.epcm[idx_of(epc, p5)].flags & EPC__EPCM_VALID, "still valid");
	CHECK_EQ(va_slots_used(e), 7, "its VA slot was given back");
	CHECK(e->secs.epc_page != NULL, "a resident child keeps the SECS in");
	CHECK_EQ(usage_pages(epc), usage0 - 7, "only the evicted pages were uncharged");
	CHECK_EQ(pread(fd, img, PAGE, 5 * PAGE), PAGE, "read its backing");
	CHECK(!memcmp(img, zero, PAGE), "nothing was written for it");
	check_books(epc);
	check_all(t, e, 8, 8);
	CHECK_EQ(epc_reclaim(epc, 100), 8, "evicts once the fault is off");
	CHECK(e->secs.epc_page == NULL, "the SECS with the last child");
	check_all(t, e, 8, 8);
	check_books(epc);
	epc_encl_destroy(e);
	CHECK_EQ(usage_pages(epc), 0, "all back");
	epc_task_destroy(t);
	epc_destroy(epc);
}

static void test_fault_ewb_failure_keeps_page_in_epc(void **state)
{
	(void)state;
	ewb_failure_case(EPC__FAULT_EWB, EPC__SGX_ENCLS_FAULT);
	ewb_failure_case(EPC__FAULT_EWB, EPC__SGX_VA_SLOT_OCCUPIED);
}

static void test_fault_backing_write_failure_keeps_page_in_epc(void **state)
{
	(void)state;
	ewb_failure_case(EPC__FAULT_BACKING_WRITE, -EIO);
	ewb_failure_case(EPC__FAULT_BACKING_WRITE, -ENOSPC);
}

static void test_fault_backing_get_failure_keeps_page_in_epc(void **state)
{
	(void)state;
	ewb_failure_case(EPC__FAULT_BACKING_GET, -ENOMEM);
}

/* The SECS's own EWB fails: it stays in EPC (charged); the next child's eviction takes it. */
static void test_fault_secs_ewb_failure_keeps_secs(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, 4, 4, 9, true);
	struct epc_page *secs = e->secs.epc_page;
	struct hook h;

	(void)state;
	hook_on(epc, &h, EPC__FAULT_EWB, EPC__SGX_ENCLS_FAULT, false, idx_of(epc, secs));
	CHECK_EQ(epc_reclaim(epc, 4), 4, "every child");
	hook_off(epc);
	CHECK_EQ(h.failed, 1, "the SECS's EWB failed");
	CHECK(e->secs.epc_page == secs, "the SECS stays");
	CHECK_EQ(va_slots_used(e), 4, "no slot kept for it");
	CHECK_EQ(usage_pages(epc), 2, "SECS and VA page charged");
	check_books(epc);
	check_all(t, e, 4, 9);
	CHECK_EQ(epc_reclaim(epc, 4), 4, "again, without the fault");
	CHECK(e->secs.epc_page == NULL, "now the SECS goes too");
	check_all(t, e, 4, 9);
	check_books(epc);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* ------------------------------------------------------------------- ELDU */

static void test_fault_eldu_failure_gives_efault_page_stays_evicted(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, 8, 8, 10, true);
	unsigned char buf[PAGE], sentinel[PAGE];
	uint64_t usage0, free0;
	struct hook h;

	(void)state;
	CHECK_EQ(epc_reclaim(epc, 8), 8, "evict all (and the SECS)");
	usage0 = usage_pages(epc);
	free0 = nr_free(epc);
	memset(sentinel, 0x6b, sizeof(sentinel));
	memcpy(buf, sentinel, sizeof(buf));
	/* the SECS's ELDU fails */
	hook_on(epc, &h, EPC__FAULT_ELDU, EPC__SGX_MAC_COMPARE_FAIL, true, 0);
	CHECK_EQ(epc_encl_access2(t, e, 3 * PAGE, buf, PAGE, EPC_ACCESS_READ), -EFAULT,
		 "ELDU failing");
	hook_off(epc);
	CHECK_EQ(h.failed, 1, "one ELDU tried: the SECS's");
	CHECK(e->secs.epc_page == NULL && e->pages[3].epc_page == NULL, "both still out");
	CHECK(!memcmp(buf, sentinel, PAGE), "nothing read");
	CHECK_EQ(usage_pages(epc), usage0, "no charge left");
	CHECK_EQ(nr_free(epc), free0, "no page kept");
	check_books(epc);
	/* the SECS comes back, the page's ELDU fails */
	hook_on(epc, &h, EPC__FAULT_ELDU, EPC__SGX_MAC_COMPARE_FAIL, true, 0);
	h.skip = 1;
	CHECK_EQ(epc_encl_access2(t, e, 3 * PAGE, buf, PAGE, EPC_ACCESS_WRITE), -EFAULT,
		 "write, ELDU failing");
	hook_off(epc);
	CHECK(e->secs.epc_page != NULL, "the SECS is back");
	CHECK(e->pages[3].epc_page == NULL, "the page is still evicted");
	CHECK_EQ(usage_pages(epc), usage0 + 1, "only the SECS charged");
	check_books(epc);
	check_all(t, e, 8, 10); /* the failed write changed nothing */
	check_books(epc);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* ------------------------------------------------------------- allocator */

static void test_fault_page_alloc_failure(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, 20, 20, 11, true), *e2 = NULL;
	struct epc_page *p = NULL;
	unsigned char buf[PAGE];
	uint64_t usage0 = usage_pages(epc);
	struct hook h;

	(void)state;
	CHECK(epc_reclaim(epc, 4) >= 4, "some pages evicted");
	usage0 = usage_pages(epc);
	hook_on(epc, &h, EPC__FAULT_PAGE_ALLOC, -ENOMEM, true, 0);
	CHECK_EQ(epc_page_alloc(t, NULL, EPC_NO_RECLAIM, &p), -EBUSY,
		 "NO_RECLAIM: no page, reclaimable pages exist");
	CHECK_EQ(usage_pages(epc), usage0, "no charge left");
	CHECK_EQ(epc_encl_add_page2(t, e, 0, NULL, EPC_SECINFO_REG_RWX), -EINVAL,
		 "initialized: refused first");
	CHECK_EQ(epc_encl_create(t, 4 * PAGE, &e2), -ENOMEM,
		 "ECREATE: reclaim everything, still no page");
	CHECK_EQ(usage_pages(epc), 1, "only the enclave's VA page is charged now");
	CHECK(e->secs.epc_page == NULL, "reclaim took even the SECS");
	CHECK_EQ(epc_encl_access2(t, e, 0, buf, PAGE, EPC_ACCESS_READ), -EFAULT,
		 "a reload: SIGBUS case");
	CHECK_EQ(epc_page_alloc(t, NULL, EPC_DO_RECLAIM, &p), -ENOMEM, "raw DO_RECLAIM");
	CHECK_EQ(usage_pages(epc), 1, "no charge left by any failure");
	hook_off(epc);
	CHECK(h.failed > 0, "the allocator was asked");
	check_books(epc);
	check_all(t, e, 20, 11);
	check_books(epc);
	epc_encl_destroy(e);
	CHECK_EQ(usage_pages(epc), 0, "all back");
	CHECK_EQ(nr_free(epc), 64, "all free");
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* A single allocator failure during a reload is retried after a reclaim step. */
static void test_fault_transient_page_alloc_failure_is_retried(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, 20, 20, 12, false);
	struct hook h;

	(void)state;
	CHECK(epc_reclaim(epc, 4) >= 4, "some pages evicted");
	hook_on(epc, &h, EPC__FAULT_PAGE_ALLOC, -ENOMEM, true, 0);
	h.limit = 1;
	check_page(t, e, 0, 12);
	hook_off(epc);
	CHECK_EQ(h.failed, 1, "one failure");
	CHECK(h.calls[EPC__FAULT_PAGE_ALLOC] >= 2, "then a retry");
	check_books(epc);
	check_all(t, e, 20, 12);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* ------------------------------------------------------- random sweep */

struct rnd {
	uint64_t rng;
	unsigned one_in;
	_Atomic uint64_t fired;
};

static int rnd_fn(void *arg, enum epc__fault_site site, uint64_t idx)
{
	struct rnd *r = arg;

	(void)idx;
	if (site == EPC__FAULT_EREMOVE || rng_next(&r->rng) % r->one_in)
		return 0;
	atomic_fetch_add(&r->fired, 1);
	switch (site) {
	case EPC__FAULT_BACKING_GET:
	case EPC__FAULT_PAGE_ALLOC:
		return -ENOMEM;
	case EPC__FAULT_BACKING_WRITE:
		return -EIO;
	case EPC__FAULT_EWB:
		return rng_next(&r->rng) & 1 ? EPC__SGX_NOT_TRACKED : EPC__SGX_ENCLS_FAULT;
	default:
		return EPC__SGX_ENCLS_FAULT;
	}
}

/*
 * Faults at random (1 in 16 calls of every site but EREMOVE) under a mixed
 * workload of single-page reads, writes, EADDs and reclaim. A call may fail;
 * a call that succeeds must be right; the books must balance throughout, and
 * with the faults off every page must hold its last successful write.
 */
static void test_fault_random_injection_keeps_books_and_contents(void **state)
{
	enum {
		NP = 96
	};
	unsigned long seed = test_seed(4242);
	unsigned long iters = 3000 * stress_scale();
	uint64_t rng = seed | 1;
	static unsigned char shadow[NP][PAGE];
	static bool added[NP];
	unsigned char buf[PAGE];
	struct epc *epc = make_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = NULL;
	struct rnd r = {.rng = seed * 31 + 7, .one_in = 16};
	unsigned long failed = 0;

	(void)state;
	memset(added, 0, sizeof(added));
	CHECK_EQ(epc_encl_create(t, NP * PAGE, &e), 0, "ECREATE");
	epc__fault_set(epc, rnd_fn, &r);
	for (unsigned long it = 0; it < iters; it++) {
		uint64_t i = rng_next(&rng) % NP, op = rng_next(&rng) % 8;
		int ret;

		if (!added[i]) {
			fill(buf, 13, it);
			ret = epc_encl_add_page2(t, e, i * PAGE, buf, EPC_SECINFO_REG_RWX);
			CHECK(ret == 0 || ret == -EIO || ret == -ENOMEM,
			      "EADD: 0, -EIO or -ENOMEM");
			if (!ret) {
				added[i] = true;
				memcpy(shadow[i], buf, PAGE);
			}
		} else if (op < 3) {
			fill(buf, 14, it);
			ret = epc_encl_access2(t, e, i * PAGE, buf, PAGE, EPC_ACCESS_WRITE);
			CHECK(ret == 0 || ret == -EFAULT, "write: 0 or -EFAULT");
			if (!ret)
				memcpy(shadow[i], buf, PAGE);
		} else if (op < 7) {
			ret = epc_encl_access2(t, e, i * PAGE, buf, PAGE, EPC_ACCESS_READ);
			CHECK(ret == 0 || ret == -EFAULT, "read: 0 or -EFAULT");
			if (!ret && memcmp(buf, shadow[i], PAGE))
				fail_msg("seed %lu iteration %lu: page %llu read wrong bytes", seed,
					 it, (unsigned long long)i);
		} else {
			epc_reclaim(epc, 1 + rng_next(&rng) % 32);
			ret = 0;
		}
		failed += ret != 0;
		if (it % 256 == 0) {
			epc__fault_set(epc, NULL, NULL);
			check_books(epc);
			epc__fault_set(epc, rnd_fn, &r);
		}
	}
	epc__fault_set(epc, NULL, NULL);
	print_message("# %llu faults injected, %lu calls failed\n", (unsigned long long)r.fired,
		      failed);
	CHECK(r.fired > 0, "faults were injected");
	check_books(epc);
	for (uint64_t i = 0; i < NP; i++) {
		if (!added[i])
			continue;
		CHECK_EQ(epc_encl_access2(t, e, i * PAGE, buf, PAGE, EPC_ACCESS_READ), 0,
			 "final read");
		if (memcmp(buf, shadow[i], PAGE))
			fail_msg("seed %lu: page %llu lost its last write", seed,
				 (unsigned long long)i);
	}
	check_books(epc);
	epc_encl_destroy(e);
	CHECK_EQ(usage_pages(epc), 0, "all back");
	CHECK_EQ(nr_free(epc), 64, "all free");
	epc_task_destroy(t);
	epc_destroy(epc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fault_eremove_failure_at_raw_free_leaks_the_page),
		cmocka_unit_test(test_fault_eremove_failure_at_destroy_leaks_child_and_secs),
		cmocka_unit_test(test_fault_eremove_failure_of_va_page_at_destroy),
		cmocka_unit_test(test_fault_epa_failure_at_ecreate),
		cmocka_unit_test(test_fault_epa_failure_at_va_growth),
		cmocka_unit_test(test_fault_eadd_failure_leaves_no_charge),
		cmocka_unit_test(test_fault_eblock_failure_keeps_page_resident),
		cmocka_unit_test(test_fault_etrack_failure_keeps_pages_resident),
		cmocka_unit_test(test_fault_ewb_failure_keeps_page_in_epc),
		cmocka_unit_test(test_fault_backing_write_failure_keeps_page_in_epc),
		cmocka_unit_test(test_fault_backing_get_failure_keeps_page_in_epc),
		cmocka_unit_test(test_fault_secs_ewb_failure_keeps_secs),
		cmocka_unit_test(test_fault_eldu_failure_gives_efault_page_stays_evicted),
		cmocka_unit_test(test_fault_page_alloc_failure),
		cmocka_unit_test(test_fault_transient_page_alloc_failure_is_retried),
		cmocka_unit_test(test_fault_random_injection_keeps_books_and_contents),
	};

	return cmocka_run_group_tests_name("fault", tests, NULL, NULL);
}
