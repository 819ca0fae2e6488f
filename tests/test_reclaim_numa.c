// SPDX-License-Identifier: MIT
/*
 * test_reclaim_numa.c - NUMA-aware reclaim (epc_config.numa_reclaim, issue
 * 20; DIFFERENCES C12) beside the kernel's node-blind reclaim: a page sits on
 * its node's list; reclaim for a task takes its node's pages while the scope
 * has some there and falls back in the allocator's search order; each node's
 * watermarks wake reclaim of that node only (a node without EPC has none);
 * allocations are counted by the requesting node too; the checker knows the
 * lists. MANUAL mode unless a case says THREADS.
 */
#include "reclaim_helpers.h"

enum {
	NODE_PAGES = 64
};

/* Two nodes (CPU n on node n), a section of @pages on each. */
static struct epc *make_two(bool numa, uint64_t pages, bool threads)
{
	struct topo tp = {.nr_nodes = 2,
			  .nr_sections = 2,
			  .pages = pages,
			  .threads = threads,
			  .numa_reclaim = numa};

	return make_topo(&tp);
}

/* make_two() with a task on each node's CPU, in the root cgroup. */
struct two {
	struct epc *epc;
	struct epc_task *t0, *t1;
	struct epc_cgroup *root;
};

static struct two two_up(bool numa, uint64_t pages, bool threads)
{
	struct two m = {.epc = make_two(numa, pages, threads)};

	m.t0 = make_task(m.epc, NULL, 0);
	m.t1 = make_task(m.epc, NULL, 1);
	m.root = epc_cgroup_root(m.epc);
	return m;
}

/* The checker, then everything gone: @a and @b (NULL: none), the tasks, the instance. */
static void two_down(struct two *m, struct epc_encl *a, struct epc_encl *b)
{
	assert_epc_consistent(m->epc);
	if (a)
		epc_encl_destroy(a);
	if (b)
		epc_encl_destroy(b);
	epc_task_destroy(m->t0);
	epc_task_destroy(m->t1);
	assert_epc_consistent(m->epc);
	epc_destroy(m->epc);
}

static uint64_t node_free(struct epc *epc, int node)
{
	struct epc_node_stats ns;

	CHECK_EQ(epc_node_get_stats(epc, node, &ns, sizeof(ns)), 0, "node stats");
	return ns.nr_free;
}

static uint64_t evicted(struct epc_encl *e)
{
	return encl_stats(e).nr_evicted;
}

/* Every page on @cg's list @l is of node @node. */
static void expect_list_of_node(struct epc *epc, struct epc_cgroup *cg, unsigned l, int node)
{
	struct epc_page *p;

	epc__plist_for_each(epc->mm.pages, &cg->lru[l], p)
		CHECK_EQ(p->node, node, "a page on the list of its node");
}

static void test_numa_page_sits_on_its_nodes_list(void **state)
{
	struct two m = two_up(true, NODE_PAGES, false);
	struct epc *epc = m.epc;
	struct epc_task *t0 = m.t0, *t1 = m.t1;
	struct epc_cgroup *root = m.root;
	struct epc_encl *a = build(t0, 20, 20, 1, false), *b = build(t1, 30, 30, 2, false);

	(void)state;
	CHECK_EQ(root->lru[0].nr, 20, "node 0's list: the enclave built on node 0");
	CHECK_EQ(root->lru[1].nr, 30, "node 1's list: the enclave built on node 1");
	expect_list_of_node(epc, root, 0, 0);
	expect_list_of_node(epc, root, 1, 1);
	CHECK_EQ(atomic_load(&root->nr_lru), 50, "the cgroup's count is both lists");
	CHECK_EQ(atomic_load(&epc->reclaim.nr_on_lrus_node[1]), 30, "the instance's node count");
	assert_epc_consistent(epc);
	epc_encl_destroy(a);
	epc_encl_destroy(b);
	CHECK_EQ(atomic_load(&root->nr_lru), 0, "destroy takes them off both lists");
	two_down(&m, NULL, NULL);
}

/* Off (v17): one list, in the order pages became reclaimable, whatever their node. */
static void test_numa_off_keeps_one_list_in_mark_order(void **state)
{
	struct two m = two_up(false, NODE_PAGES, false);
	struct epc *epc = m.epc;
	struct epc_task *t0 = m.t0, *t1 = m.t1;
	struct epc_cgroup *root = m.root;
	struct epc_encl *a = build(t0, 20, 20, 1, false), *b = build(t1, 30, 30, 2, false);

	(void)state;
	CHECK_EQ(root->lru[0].nr, 50, "every page on the one list");
	CHECK_EQ(root->lru[1].nr, 0, "none on a second");
	CHECK(lru_head(epc, root) == a->pages[0].epc_page, "node 0's first page at the head");
	CHECK(lru_tail(epc, root) == b->pages[29].epc_page, "node 1's last page at the tail");
	/* a reclaim for a task on node 1 takes the oldest pages: node 0's */
	CHECK_EQ(epc__reclaim_subtree_for(&epc->reclaim, root, 1, 1), 16, "one batch");
	CHECK_EQ(evicted(a), 16, "node-blind: the oldest pages, node 0's");
	CHECK_EQ(evicted(b), 0, "none of node 1's");
	two_down(&m, a, b);
}

static void test_numa_reclaim_takes_the_tasks_node_then_falls_back(void **state)
{
	struct two m = two_up(true, NODE_PAGES, false);
	struct epc *epc = m.epc;
	struct epc_task *t0 = m.t0, *t1 = m.t1;
	struct epc_cgroup *root = m.root;
	struct epc_encl *a = build(t0, 40, 40, 1, false), *b = build(t1, 40, 40, 2, false);

	(void)state;
	CHECK_EQ(epc__reclaim_subtree_for(&epc->reclaim, root, 1, 1), 16, "one batch for node 1");
	CHECK_EQ(evicted(b), 16, "node 1's pages, although node 0's are older");
	CHECK_EQ(evicted(a), 0, "none of node 0's");
	CHECK_EQ(epc__reclaim_subtree_for(&epc->reclaim, root, 100, 1), 24, "node 1's rest");
	CHECK_EQ(evicted(b), 40, "node 1's list is empty");
	CHECK_EQ(evicted(a), 0, "node 0 still untouched");
	CHECK_EQ(epc__reclaim_subtree_for(&epc->reclaim, root, 1, 1), 16,
		 "nothing left on node 1: the next node in the search order");
	CHECK_EQ(evicted(a), 16, "node 0's oldest");
	check_all(t1, b, 40, 2); /* faulted back, on node 1 again */
	CHECK_EQ(root->lru[1].nr, 40, "reloaded onto node 1's list");
	two_down(&m, a, b);
}

/* A charge refused by a cgroup's limit reclaims the charging task's node in that scope. */
static void test_numa_cgroup_limit_reclaims_the_chargers_node(void **state)
{
	struct two m = two_up(true, NODE_PAGES, false);
	struct epc_cgroup *c = make_cg(m.epc, "/c");
	struct epc_encl *a, *b;
	struct epc_page *p;

	(void)state;
	CHECK_EQ(epc_task_move(m.t0, c), 0, "node 0's task into /c");
	CHECK_EQ(epc_task_move(m.t1, c), 0, "node 1's task into /c");
	a = build(m.t0, 28, 28, 1, false);
	b = build(m.t1, 28, 28, 2, false);
	/* 2 x (SECS + VA page + 28): the cgroup is full */
	CHECK_EQ(epc_cgroup_write(c, "misc.max", "sgx_epc 245760"), 0, "misc.max = 60 pages");
	p = alloc_ok(m.t1);
	CHECK_EQ(epc_page_node(p), 1, "the page came from node 1");
	CHECK_EQ(evicted(b), 16, "the room was made on node 1");
	CHECK_EQ(evicted(a), 0, "node 0's pages stayed");
	epc_page_free(p);
	two_down(&m, a, b);
}

static void test_numa_node_watermarks_wake_that_node(void **state)
{
	struct two m = two_up(true, 128, false);
	struct epc *epc = m.epc;
	struct epc_task *t0 = m.t0, *t1 = m.t1;
	struct epc_encl *a = build(t0, 60, 60, 1, false), *b;

	(void)state;
	CHECK(!epc->reclaim.wake_pending, "node 0 is above its low watermark");
	b = build(t1, 100, 100, 2, false);
	CHECK(node_free(epc, 1) < 32 && node_free(epc, 0) >= 64, "node 1 is short, node 0 not");
	CHECK(epc->reclaim.wake_pending, "a wakeup");
	CHECK_EQ(epc->reclaim.wake_nodes, UINT64_C(1) << 1, "for node 1 only");
	CHECK_EQ(epc_run_background(epc), 0, "ksgxd's turn");
	CHECK(node_free(epc, 1) >= 64, "node 1 reclaimed to its high watermark");
	CHECK(node_free(epc, 1) < 64 + 16, "and no batch further");
	CHECK(evicted(b) > 0, "node 1's pages went");
	CHECK_EQ(evicted(a), 0, "node 0's stayed");
	CHECK_EQ(epc->reclaim.wake_nodes, 0, "served");
	two_down(&m, a, b);
}

/* v17: the same loads leave 92 pages free in all, above the low watermark: no wakeup. */
static void test_numa_off_wakes_on_the_total_only(void **state)
{
	struct two m = two_up(false, 128, false);
	struct epc *epc = m.epc;
	struct epc_task *t0 = m.t0, *t1 = m.t1;
	struct epc_encl *a = build(t0, 60, 60, 1, false), *b = build(t1, 100, 100, 2, false);

	(void)state;
	CHECK(node_free(epc, 1) < 32, "node 1 is short");
	CHECK(!epc->reclaim.wake_pending, "the whole EPC is not: no wakeup");
	CHECK_EQ(epc_run_background(epc), 0, "ksgxd's turn");
	CHECK_EQ(evicted(a) + evicted(b), 0, "nothing reclaimed");
	two_down(&m, a, b);
}

/* A task on a node without EPC has no watermarks to keep; node 0's own task wakes node 0. */
static void test_numa_node_without_epc_has_no_watermarks(void **state)
{
	static const int sec_node[] = {0, 2};
	struct topo tp = {.nr_nodes = 3,
			  .nr_sections = 2,
			  .sec_node = sec_node,
			  .pages = NODE_PAGES,
			  .numa_reclaim = true};
	struct epc *epc = make_topo(&tp);
	struct epc_task *t0 = make_task(epc, NULL, 0), *t1 = make_task(epc, NULL, 1);
	struct epc_encl *e;
	struct epc_page *p;

	(void)state;
	e = build(t1, 100, 100, 1, false); /* node 2 (next in order), then node 0 */
	CHECK(node_free(epc, 2) < 32 && node_free(epc, 0) < 32, "both nodes with EPC are short");
	CHECK(!epc->reclaim.wake_pending, "a task on node 1 (no EPC) wakes nobody");
	p = alloc_ok(t0);
	CHECK_EQ(epc_page_node(p), 0, "node 0's own task gets a local page");
	CHECK_EQ(epc->reclaim.wake_nodes, UINT64_C(1) << 0, "and wakes node 0's reclaim");
	epc_page_free(p);
	epc_encl_destroy(e);
	epc_task_destroy(t0);
	epc_task_destroy(t1);
	epc_destroy(epc);
}

/* nr_alloc_local/remote count by the serving node, nr_alloc_away by the requesting one. */
static void test_numa_locality_counted_by_requesting_node(void **state)
{
	struct epc *epc = make_two(true, 16, false);
	struct epc_task *t1 = make_task(epc, NULL, 1);
	struct epc_node_stats n0, n1, old;
	struct epc_snapshot *snap = NULL;
	struct raw r = {.nr = 0};

	(void)state;
	CHECK_EQ(alloc_raw(&r, t1, 20), 20, "16 pages of node 1, then 4 of node 0");
	CHECK_EQ(epc_node_get_stats(epc, 0, &n0, sizeof(n0)), 0, "node 0");
	CHECK_EQ(epc_node_get_stats(epc, 1, &n1, sizeof(n1)), 0, "node 1");
	CHECK_EQ(n1.nr_alloc_local, 16, "node 1 served its task 16");
	CHECK_EQ(n1.nr_alloc_away, 4, "its task got 4 elsewhere");
	CHECK_EQ(n1.nr_alloc_remote, 0, "it served no other node");
	CHECK_EQ(n0.nr_alloc_remote, 4, "node 0 served node 1's task 4");
	CHECK_EQ(n0.nr_alloc_local + n0.nr_alloc_away, 0, "node 0's tasks asked for nothing");
	CHECK_EQ(epc_snapshot_take(epc, &snap), 0, "a snapshot");
	CHECK_EQ(EPC_SNAPSHOT_NODE(snap, 1)->nr_alloc_away, 4, "the snapshot's node says the same");
	CHECK_EQ(EPC_SNAPSHOT_NODE(snap, 0)->nr_alloc_remote, 4, "and the serving node's");
	epc_snapshot_free(snap);
	memset(&old, 0xab, sizeof(old));
	CHECK_EQ(epc_get_node_stats(epc, 1, &old), 0, "the 0.1.0 call");
	CHECK_EQ(old.nr_alloc_away, UINT64_C(0xabababababababab), "fills the 0.1.0 struct only");
	free_raw(&r);
	epc_task_destroy(t1);
	epc_destroy(epc);
}

static void test_numa_checker_knows_the_lists(void **state)
{
	struct log_catcher lc = {.nr = 0};
	struct topo tp = {.nr_nodes = 2, .nr_sections = 2, .pages = NODE_PAGES, .lc = &lc};
	struct epc *epc;
	struct epc_task *t0;
	struct epc_cgroup *root;
	struct epc_encl *a;
	struct epc_page *p;

	(void)state;
	tp.numa_reclaim = true;
	epc = make_topo(&tp);
	t0 = make_task(epc, NULL, 0);
	root = epc_cgroup_root(epc);
	a = build(t0, 10, 10, 1, false);
	assert_epc_consistent(epc);
	/* a node-0 page moved to node 1's list (counts kept right) */
	p = lru_tail(epc, root);
	epc__plist_del(epc->mm.pages, &root->lru[0], p);
	epc__plist_add_tail(epc->mm.pages, &root->lru[1], p);
	atomic_store(&root->nr_lru_node[0], 9);
	atomic_store(&root->nr_lru_node[1], 1);
	CHECK_EQ(epc__check(epc), -EUCLEAN, "a page on another node's list is caught");
	CHECK(log_count(&lc, "list 1") > 0, "the line names the list");
	epc__plist_del(epc->mm.pages, &root->lru[1], p);
	epc__plist_add_tail(epc->mm.pages, &root->lru[0], p);
	atomic_store(&root->nr_lru_node[0], 10);
	atomic_store(&root->nr_lru_node[1], 0);
	assert_epc_consistent(epc);
	/* the instance's per-node books */
	atomic_fetch_add(&epc->reclaim.nr_on_lrus_node[1], 1);
	CHECK_EQ(epc__check(epc), -EUCLEAN, "a node count off by one is caught");
	CHECK(log_count(&lc, "of node 1 on LRUs") > 0, "the line names the node");
	atomic_fetch_sub(&epc->reclaim.nr_on_lrus_node[1], 1);
	assert_epc_consistent(epc);
	/* idle batches of a node that has no lists (beyond the machine's) */
	atomic_store(&epc->reclaim.node_idle[5], 1);
	CHECK_EQ(epc__check(epc), -EUCLEAN, "idle batches of a node without pages are caught");
	CHECK(log_count(&lc, "node 5 counts 1 idle batches") > 0, "the line names the node");
	atomic_store(&epc->reclaim.node_idle[5], 0);
	assert_epc_consistent(epc);
	epc_encl_destroy(a);
	epc_task_destroy(t0);
	epc_destroy(epc);
}

/* Node 1 full: a task there built an enclave of 62 pages (SECS + VA + 62 = 64). */
static struct epc_encl *fill_node1(struct two *m)
{
	struct epc_encl *b = build(m->t1, 62, 62, 2, false);

	CHECK_EQ(node_free(m->epc, 1), 0, "node 1 is full");
	CHECK_EQ(node_free(m->epc, 0), NODE_PAGES, "node 0 is free");
	return b;
}

static uint64_t away(struct epc *epc, int node)
{
	struct epc_node_stats ns;

	CHECK_EQ(epc_node_get_stats(epc, node, &ns, sizeof(ns)), 0, "node stats");
	return ns.nr_alloc_away;
}

/*
 * A caller that may reclaim (EADD) on a full node while the other node has
 * room: with numa_reclaim it reclaims its node's pages in its scope (here the
 * root) and stays local; node-blind, the walk takes the other node's pages.
 */
static void reclaim_at_home_or_not(bool numa)
{
	struct two m = two_up(numa, NODE_PAGES, false);
	struct epc_encl *b = fill_node1(&m), *c = build(m.t1, 8, 8, 3, false);

	for (int i = 0; i < 8; i++)
		CHECK_EQ(c->pages[i].epc_page->node, numa ? 1 : 0, "where the new pages are");
	CHECK_EQ(away(m.epc, 1), numa ? 0 : 1 + 1 + 8, "node 1's remote allocations");
	CHECK_EQ(evicted(b), numa ? 16 : 0, "one batch of node 1's pages, or none");
	check_all(m.t1, c, 8, 3);
	two_down(&m, b, c);
}

static void test_numa_do_reclaim_reclaims_its_node_first(void **state)
{
	(void)state;
	reclaim_at_home_or_not(true);
}

static void test_numa_off_takes_the_remote_page(void **state)
{
	(void)state;
	reclaim_at_home_or_not(false);
}

/*
 * A caller that may not reclaim gets -EBUSY with its scope instead of a
 * remote page; the step the fault path runs then makes room on its node. A
 * fault (MANUAL mode) does that itself and reloads the page locally.
 */
static void test_numa_no_reclaim_waits_for_its_node(void **state)
{
	struct two m = two_up(true, NODE_PAGES, false);
	struct epc *epc = m.epc;
	struct epc_encl *b = fill_node1(&m);
	struct epc_page *p = NULL;

	(void)state;
	CHECK_EQ(epc_page_alloc(m.t1, NULL, EPC_NO_RECLAIM, &p), -EBUSY, "busy, not remote");
	CHECK(epc->reclaim.wake_nodes & (UINT64_C(1) << 1), "node 1's reclaim was woken");
	CHECK_EQ(epc__reclaim_step_for(&epc->reclaim, m.root, 1), 16, "the step: node 1's pages");
	CHECK_EQ(epc_page_alloc(m.t1, NULL, EPC_NO_RECLAIM, &p), 0, "then a page");
	CHECK_EQ(epc_page_node(p), 1, "on node 1");
	epc_page_free(p);
	CHECK_EQ(epc_run_background(epc), 0, "node 1 to its high watermark");
	check_all(m.t1, b, 62, 2); /* every evicted page faulted back */
	CHECK_EQ(away(epc, 1), 0, "no fault took a remote page");
	CHECK_EQ(node_free(epc, 0), NODE_PAGES, "node 0 untouched");
	two_down(&m, b, NULL);
}

/*
 * While the other node has room, a caller reclaims at home only its own
 * cgroup's pages: a task whose cgroup has none on its node goes remote and
 * leaves another tenant's pages alone (ksgxd's per-node wakeup may take them).
 */
static void test_numa_reclaims_only_its_own_pages_while_room_elsewhere(void **state)
{
	struct two m = two_up(true, NODE_PAGES, false);
	struct epc_cgroup *c = make_cg(m.epc, "/c");
	struct epc_task *t = make_task(m.epc, c, 1);
	struct epc_encl *b = fill_node1(&m);
	struct epc_page *p, *q = NULL;

	(void)state;
	p = alloc_ok(t);
	CHECK_EQ(epc_page_node(p), 0, "remote: /c has nothing on node 1");
	CHECK_EQ(epc_page_alloc(t, NULL, EPC_NO_RECLAIM, &q), 0, "no -EBUSY either");
	CHECK_EQ(epc_page_node(q), 0, "remote too");
	CHECK_EQ(evicted(b), 0, "the root's pages on node 1 stayed");
	epc_page_free(p);
	epc_page_free(q);
	epc_task_destroy(t);
	two_down(&m, b, NULL);
}

/*
 * Write-back fails for every page of node 1: its batches free nothing, and
 * after two passes over its lists a caller that may not reclaim takes node
 * 0's free page rather than wait on (and finally fail for) node 1.
 */
static void test_numa_stalled_node_goes_remote(void **state)
{
	struct two m = two_up(true, NODE_PAGES, false);
	struct epc *epc = m.epc;
	struct epc_encl *b = fill_node1(&m);
	struct epc_page *p = NULL;
	struct hook h;
	int steps = 0, ret;

	(void)state;
	hook_init(&h, epc);
	h.fail_site = EPC__FAULT_EWB;
	h.fail_first = INT32_MAX;
	h.fail_ret = EPC__SGX_NOT_TRACKED;
	epc__fault_set(epc, hook_fn, &h);
	while ((ret = epc_page_alloc(m.t1, NULL, EPC_NO_RECLAIM, &p)) == -EBUSY) {
		CHECK(steps < (int)epc__reclaim_idle_limit(&epc->reclaim),
		      "within the retry bound");
		epc__reclaim_step_for(&epc->reclaim, m.root, 1);
		steps++;
	}
	epc__fault_set(epc, NULL, NULL);
	CHECK_EQ(ret, 0, "a page");
	CHECK_EQ(epc_page_node(p), 0, "node 0's");
	CHECK_EQ(steps, 2 * (62 / 16 + 1) + 1, "after two passes over node 1's 62 pages");
	CHECK_EQ(evicted(b), 0, "nothing written back");
	epc_page_free(p);
	CHECK_EQ(epc__reclaim_step_for(&epc->reclaim, m.root, 1), 16, "write-back works again");
	CHECK(!epc__reclaim_node_stalled(&epc->reclaim, 1), "a batch that frees ends the stall");
	two_down(&m, b, NULL);
}

/*
 * THREADS: a task on node 1 builds and reads an enclave larger than node 1;
 * ksgxd and the task's own reclaim take node 1's pages, never the pages of
 * the idle enclave on node 0 (node 1's lists always hold far more than the
 * batches in flight, so no reclaim for node 1 falls back to node 0).
 */
static void test_numa_threads_reclaim_stays_on_the_short_node(void **state)
{
	struct two m = two_up(true, 128, true);
	struct epc *epc = m.epc;
	struct epc_task *t0 = m.t0, *t1 = m.t1;
	struct epc_encl *a = build(t0, 60, 60, 1, false), *b = build(t1, 200, 200, 2, false);
	struct epc_stats st;

	(void)state;
	check_all(t1, b, 200, 2);
	check_all(t1, b, 200, 2);
	quiesce(epc);
	CHECK(evicted(b) > 0, "the big enclave paged");
	CHECK_EQ(evicted(a), 0, "the idle enclave on node 0 kept every page");
	CHECK_EQ(epc_get_stats2(epc, &st, sizeof(st)), 0, "stats");
	CHECK(st.nr_ksgxd_runs > 0, "ksgxd served node 1's wakeups");
	check_all(t0, a, 60, 1);
	two_down(&m, a, b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numa_page_sits_on_its_nodes_list),
		cmocka_unit_test(test_numa_off_keeps_one_list_in_mark_order),
		cmocka_unit_test(test_numa_reclaim_takes_the_tasks_node_then_falls_back),
		cmocka_unit_test(test_numa_cgroup_limit_reclaims_the_chargers_node),
		cmocka_unit_test(test_numa_node_watermarks_wake_that_node),
		cmocka_unit_test(test_numa_off_wakes_on_the_total_only),
		cmocka_unit_test(test_numa_node_without_epc_has_no_watermarks),
		cmocka_unit_test(test_numa_locality_counted_by_requesting_node),
		cmocka_unit_test(test_numa_checker_knows_the_lists),
		cmocka_unit_test(test_numa_threads_reclaim_stays_on_the_short_node),
		cmocka_unit_test(test_numa_do_reclaim_reclaims_its_node_first),
		cmocka_unit_test(test_numa_off_takes_the_remote_page),
		cmocka_unit_test(test_numa_no_reclaim_waits_for_its_node),
		cmocka_unit_test(test_numa_reclaims_only_its_own_pages_while_room_elsewhere),
		cmocka_unit_test(test_numa_stalled_node_goes_remote),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
