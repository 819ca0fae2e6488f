// SPDX-License-Identifier: MIT
/*
 * test_reclaim_cgroup.c - reclaim under the EPC cgroup controller: kernel-spec §7 behaviours
 * 50, 52-60, 63, 64, and epcmm's own rules (DIFFERENCES C1, C9: reclaim at
 * the level that refused; a full EPC reclaims globally).
 *
 * MANUAL mode unless a case says otherwise: background work runs only inside
 * epc_run_background(), so each test knows exactly which pages are free, on
 * which LRU, and what one batch does. Where a behaviour is about the kernel's
 * mm-level detail (PTE accessed bits, mm lists, IPIs) the test checks the
 * equivalent here and says so. Shared helpers: reclaim_helpers.h.
 */
#include "reclaim_helpers.h"

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
	CHECK_EQ(c->lru[0].nr, 10, "C's LRU holds the pages");
	CHECK_EQ(a->lru[0].nr + root->lru[0].nr, 0, "no other LRU does");
	epc__plist_for_each(epc->mm.pages, &c->lru[0], p) CHECK(p->cg == c, "page's cgroup is C");
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
	CHECK_EQ(d->lru[0].nr, 1, "on D's LRU");
	CHECK_EQ(c->lru[0].nr, 0, "not on C's");
	CHECK(e->pages[3].epc_page->cg == d, "the page records D");
	epc_encl_destroy(e);
	CHECK_EQ(cg_usage_pages(c), 0, "C uncharged");
	CHECK_EQ(cg_usage_pages(d), 0, "D uncharged by the free");
	epc_task_destroy(tc);
	epc_task_destroy(td);
	epc_destroy(epc);
}

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

/* 53: C at its limit with DO_RECLAIM reclaims its own pages; B's stay; C never over max. */
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
	CHECK_ERR(epc_run_background(epc), 0, "epc_run_background");
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
	CHECK_EQ(epc_encl_add_page2(tc, ec, 0, NULL, EPC_SECINFO_REG_RWX), -ENOMEM, "EADD");
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
 * The stress failure of 2026-11-30, deterministic: G is full; every page
 * charged to it that is not out belongs to an enclave whose destroy is under
 * way (stopped at its first EREMOVE). Those pages are no longer reclaimable
 * but will be freed: room is on its way, as with a batch in flight. A fault of
 * G's other enclave must wait for it, not end in -EFAULT as it did when a
 * page its owner was freeing stopped counting the moment it left the LRU.
 */
struct dying_room {
	struct epc_encl *e;
	_Atomic int armed, in_hook, go, timed_out;
};

static int dying_room_hook(void *arg, enum epc__fault_site site, uint64_t idx)
{
	struct dying_room *c = arg;
	struct timespec t0, now;

	(void)idx;
	if (site != EPC__FAULT_EREMOVE || !atomic_load(&c->armed) ||
	    atomic_exchange(&c->in_hook, 1))
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) { /* until the fault returned, or 200 ms: it may not finish before */
		if (atomic_load(&c->go))
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) * 1000000000L + (now.tv_nsec - t0.tv_nsec) >
		    200000000L)
			break;
		sched_yield();
	}
	atomic_store(&c->timed_out, 1);
	return 0;
}

static void *dying_room_destroyer(void *arg)
{
	struct dying_room *c = arg;

	epc_encl_destroy(c->e);
	return NULL;
}

static void test_reclaim_fault_waits_for_pages_an_owner_is_freeing(void **state)
{
	struct epc *epc = make_epc(256);
	struct epc_cgroup *g = make_cg(epc, "/G");
	struct epc_task *ta = make_task(epc, g, 0), *tb = make_task(epc, g, 0);
	struct epc_encl *ea = build(ta, 8, 8, 43, true);
	struct dying_room c = {.e = build(tb, 20, 20, 44, true)};
	unsigned char buf[PAGE];
	uint64_t limit;
	pthread_t dt;

	(void)state;
	CHECK(epc_reclaim(epc, 1000) >= 28, "everything evicted");
	check_all(tb, c.e, 20, 44); /* B back in: 20 + SECS; A: its VA page */
	limit = cg_usage_pages(g);
	set_max_pages(g, limit);
	CHECK_EQ(epc__reclaim_scope_empty(&epc->reclaim, g), false, "B's pages are reclaimable");
	epc__fault_set(epc, dying_room_hook, &c);
	atomic_store(&c.armed, 1);
	assert_int_equal(pthread_create(&dt, NULL, dying_room_destroyer, &c), 0);
	while (!atomic_load(&c.in_hook))
		sched_yield();
	/* G is full of B's pages, and B's destroy is stopped at its first EREMOVE */
	CHECK_EQ(epc_encl_access2(ta, ea, 0, buf, PAGE, EPC_ACCESS_READ), 0,
		 "A's fault waits for the room B's destroy frees");
	atomic_store(&c.go, 1);
	pthread_join(dt, NULL);
	epc__fault_set(epc, NULL, NULL);
	CHECK_EQ(atomic_load(&c.timed_out), 1,
		 "the fault could not finish before the destroy went on");
	check_all(ta, ea, 8, 43);
	CHECK(cg_usage_pages(g) <= limit, "G within its limit");
	assert_epc_consistent(epc);
	epc_encl_destroy(ea);
	CHECK_EQ(cg_usage_pages(g), 0, "all returned");
	CHECK_EQ(stats(epc).nr_reclaimable, 0, "nothing left counted as reclaimable");
	epc_task_destroy(ta);
	epc_task_destroy(tb);
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
	CHECK_ERR(epc_run_background(epc), 0, "epc_run_background");
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
	CHECK_ERR(epc_create2(&cfg, sizeof(cfg), &epc), 0, "epc_create2");
	CHECK_ERR(epc_sanitize_wait(epc), 0, "epc_sanitize_wait");
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
	CHECK_ERR(epc_run_background(epc), 0, "epc_run_background");
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

/*
 * DESIGN §4.5, with epc_config.margin_reclaim: a successful charge within 32
 * pages of a limit over 128 pages queues the work.
 */
static void test_reclaim_b56_margin_reached_by_charge_queues_work(void **state)
{
	struct epc *epc = make_topo(&(struct topo){
		.nr_nodes = 1, .nr_sections = 1, .pages = 512, .margin_reclaim = true});
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
	CHECK_ERR(epc_run_background(epc), 0, "epc_run_background");
	CHECK(cg_usage_pages(c) < 168, "the work restored the margin");
	CHECK(cg_usage_pages(c) >= 168 - 16, "in one 16-page round");
	epc_encl_destroy(ec);
	epc_task_destroy(tc);
	epc_destroy(epc);
}

/*
 * v17 as written (the default): the post-charge trigger is never reached, so
 * an enclave whose pages fit under its cgroup's limit queues no work and is
 * never paged, however close to the limit it comes.
 */
static void test_reclaim_b56_v17_charge_near_limit_queues_nothing(void **state)
{
	struct epc *epc = make_epc(512);
	struct epc_cgroup *c = make_cg(epc, "/C");
	struct epc_task *tc = make_task(epc, c, 0);
	struct epc_encl *ec;

	(void)state;
	set_max_pages(c, 200);
	ec = build(tc, 196, 196, 36, false); /* 198 pages of 200: within the margin */
	CHECK_EQ(atomic_load(&c->work_pending), false, "v17: no work after a charge that fits");
	CHECK_ERR(epc_run_background(epc), 0, "epc_run_background");
	CHECK_EQ(stats(epc).nr_evicted, 0, "nothing is paged out of an enclave that fits");
	CHECK_EQ(cg_usage_pages(c), 198, "every page stays resident");
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
			before[i] = cg[i]->lru[0].nr;
		CHECK(epc__reclaim_subtree(&epc->reclaim, cg[0], 1) > 0, "a step reclaims");
		for (int i = 0; i < 4; i++) {
			if (cg[i]->lru[0].nr != before[i]) {
				CHECK(who < 0, "one cgroup per step");
				who = i;
				got = before[i] - cg[i]->lru[0].nr;
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
	CHECK_ERR(epc_run_background(epc), 0, "epc_run_background");
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
	CHECK_EQ(epc_encl_add_page2(tc, ec, 10 * PAGE, NULL, EPC_SECINFO_REG_RWX), -EINTR, "EADD");
	CHECK_EQ(cg_usage_pages(c), 12, "no charge left");
	CHECK_EQ(stats(epc).nr_evicted, evicted, "nothing reclaimed");
	epc_task_set_signal(tc, false);
	CHECK_EQ(epc_encl_add_page2(tc, ec, 10 * PAGE, NULL, EPC_SECINFO_REG_RWX), 0,
		 "EADD without the signal");
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
	CHECK_ERR(epc_run_background(epc), 0, "epc_run_background");
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
		cmocka_unit_test(test_reclaim_b50_pages_charged_and_listed_in_task_cgroup),
		cmocka_unit_test(test_reclaim_b52_reload_charges_faulting_cgroup),
		cmocka_unit_test(test_reclaim_b53_limit_reclaims_own_pages_only),
		cmocka_unit_test(test_reclaim_b53_young_working_set_bigger_than_the_retry_bound),
		cmocka_unit_test(test_reclaim_c1_full_epc_refused_below_the_root_reclaims_globally),
		cmocka_unit_test(test_reclaim_b54_only_unreclaimable_in_subtree_gives_enomem),
		cmocka_unit_test(test_reclaim_b55_refusing_level_reclaims_its_subtree),
		cmocka_unit_test(test_reclaim_b55_fault_with_empty_own_lru_under_a_full_parent),
		cmocka_unit_test(test_reclaim_fault_waits_for_pages_an_owner_is_freeing),
		cmocka_unit_test(test_reclaim_b55_async_work_makes_room_under_a_full_ancestor),
		cmocka_unit_test(test_reclaim_b55_threads_faults_under_a_full_ancestor),
		cmocka_unit_test(test_reclaim_b56_no_reclaim_at_limit_queues_async_work),
		cmocka_unit_test(test_reclaim_b56_margin_reached_by_charge_queues_work),
		cmocka_unit_test(test_reclaim_b56_v17_charge_near_limit_queues_nothing),
		cmocka_unit_test(test_reclaim_b57_each_failed_charge_iteration_counts_an_event),
		cmocka_unit_test(test_reclaim_b58_fair_rotation_in_preorder),
		cmocka_unit_test(test_reclaim_b59_removed_cgroup_cursor_moves_on),
		cmocka_unit_test(test_reclaim_b59_removed_cgroup_with_charges_stays_reclaimable),
		cmocka_unit_test(test_reclaim_b60_charged_but_no_free_page_reclaims_globally),
		cmocka_unit_test(test_reclaim_b63_signal_at_limit_gives_eintr_without_charge),
		cmocka_unit_test(test_reclaim_b64_no_charge_left_after_all_enclaves_exit),
	};

	return cmocka_run_group_tests_name("reclaim_cgroup", tests, NULL, NULL);
}
