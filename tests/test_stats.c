// SPDX-License-Identifier: MIT
/*
 * test_stats.c - every statistic of the instance, a node, a cgroup and an
 * enclave, checked against what the test did, in MANUAL mode where the
 * reclaimer's batches are deterministic.
 *
 * The reclaimer, as these tests rely on it (reclaim.h): a round is one step of
 * the fair walk; on one cgroup with pages on its LRU it is one batch that
 * isolates the 16 oldest pages, puts the young ones (accessed since the last
 * look) back at the tail with their bit cleared, and evicts the rest. EADD
 * pages start old; an access makes a page young; a reloaded page goes to the
 * tail. A refused charge with reclaim runs a round and retries; a fault's
 * refused charge (no reclaim) queues the cgroup's work once, and in MANUAL
 * mode the faulting thread runs one round itself and retries.
 */
#include <errno.h>

#include "encl_helpers.h"

static struct epc_cgroup_stats cg_stats(struct epc_cgroup *cg)
{
	struct epc_cgroup_stats st;

	CHECK_EQ(epc_cgroup_get_stats(cg, &st, sizeof(st)), 0, "cgroup stats");
	return st;
}

static struct epc_stats stats2(struct epc *epc)
{
	struct epc_stats st;

	CHECK_EQ(epc_get_stats2(epc, &st, sizeof(st)), 0, "instance stats");
	return st;
}

static struct epc_encl_stats encl_stats2(struct epc_encl *e)
{
	struct epc_encl_stats st;

	CHECK_EQ(epc_encl_get_stats2(e, &st, sizeof(st)), 0, "enclave stats");
	return st;
}

/*
 * An enclave of 64 pages in a cgroup limited to 40, read page by page from
 * start to end twice. Worked out by hand (tests/data/stats-model.py replays
 * the same rules and prints these numbers):
 *
 * Build: the VA page and the SECS take 2 pages; pages 0-37 fit (usage 40).
 * EADD of page 38 is refused: a round evicts pages 0-15 (old); pages 38-53
 * fit; page 54 is refused: a round evicts 16-31; pages 54-63 fit. Usage 34:
 * 2 rounds, 2 refusals, 32 evictions, pages 32-63 resident.
 *
 * Pass 1: pages 0-5 fault in (usage 40); page 6 is refused: a round evicts
 * 32-47 (never accessed); 6-21 fault in; 22 refused: 48-63 go; 22-37 fault
 * in. From page 38 on every page at the LRU's head has been read in this
 * pass, so rounds first only age (free nothing) and then evict the pages
 * aged one round earlier: thrashing, every access of both passes faults.
 * The replay counts 17 rounds (so 17 refusals), 158 evictions in all, 128
 * reloads, and ends with 34 pages resident (usage 36).
 */
static void test_stats_cgroup_limit_two_sequential_passes(void **state)
{
	struct epc *epc = make_epc(1024);
	struct epc_cgroup *a = make_cg(epc, "/a");
	struct epc_task *t = make_task(epc, a, 0);
	unsigned char buf[PAGE];
	struct epc_cgroup_stats cs;
	struct epc_encl_stats es;
	struct epc_stats st;
	struct epc_encl *e;

	(void)state;
	set_max_pages(a, 40);
	e = build(t, 64, 64, 1, true);
	cs = cg_stats(a);
	CHECK_EQ(cs.nr_evicted, 32, "build: two rounds of 16 evictions");
	CHECK_EQ(cs.nr_reclaim_sync, 2, "build: two synchronous rounds");
	CHECK_EQ(cs.events_local, 2, "build: two refused charges");
	CHECK_EQ(cs.current, 34 * PAGE, "build: 32 pages, the SECS and a VA page");

	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < 64; i++)
			CHECK_EQ(epc_encl_access2(t, e, (uint64_t)i * PAGE, buf, PAGE,
						  EPC_ACCESS_READ),
				 0, "read");

	cs = cg_stats(a);
	CHECK_EQ(cs.current, 36 * PAGE, "misc.current: 34 pages, the SECS, a VA page");
	CHECK_EQ(cs.peak, 40 * PAGE, "misc.peak: the limit");
	CHECK_EQ(cs.max, 40 * PAGE, "misc.max");
	CHECK_EQ(cs.nr_lru, 34, "the resident pages are on /a's LRU");
	CHECK_EQ(cs.nr_evicted, 158, "evictions the batches imply");
	CHECK_EQ(cs.nr_reloaded, 128, "every access of both passes reloads");
	CHECK_EQ(cs.nr_reclaim_sync, 17, "synchronous rounds");
	CHECK_EQ(cs.nr_reclaim_async, 0, "no background round yet");
	CHECK_EQ(cs.events, 17, "one refused charge before each round");
	CHECK_EQ(cs.events_local, 17, "all refused at /a");
	CHECK_EQ(cs.nr_work_queued, 1, "the first refused fault queued the work, once");
	CHECK_EQ(cs.nr_work_run, 0, "MANUAL: nothing ran it yet");

	es = encl_stats2(e);
	CHECK_EQ(es.size, 64 * PAGE, "enclave size");
	CHECK_EQ(es.nr_pages, 64, "pages added");
	CHECK_EQ(es.nr_resident, 34, "resident");
	CHECK_EQ(es.nr_out, 30, "evicted now");
	CHECK_EQ(es.secs_out, 0, "the SECS stayed in");
	CHECK_EQ(es.nr_va_pages, 1, "one VA page holds 512 slots");
	CHECK_EQ(es.nr_accesses, 128, "two passes of 64 one-page reads");
	CHECK_EQ(es.nr_faults, 128, "every read faulted");
	CHECK_EQ(es.nr_reloaded, 128, "reloads");
	CHECK_EQ(es.nr_evicted, 158, "evictions");
	CHECK_EQ(es.backing_bytes, 30 * (PAGE + 128), "30 sealed pages and their PCMDs");
	/* every page was out once: 4 chunks of 16 pages and 4 * 16 PCMDs of 128 bytes (2 pages) */
	CHECK_EQ(es.backing_allocated, 66 * PAGE, "backing store allocated in chunks");

	st = stats2(epc);
	CHECK_EQ(st.nr_reclaimed_cgroup, 158, "all reclaim was for /a's limit");
	CHECK_EQ(st.nr_reclaimed_direct, 0, "no direct reclaim");
	CHECK_EQ(st.nr_reclaimed_ksgxd, 0, "no ksgxd");
	CHECK_EQ(st.nr_evicted, 158, "instance EWBs");
	CHECK_EQ(st.nr_reloaded, 128, "instance ELDUs");

	/* the queued work runs, finds /a below its limit, and reclaims nothing */
	CHECK_EQ(epc_run_background(epc), 0, "run the background work");
	cs = cg_stats(a);
	CHECK_EQ(cs.nr_work_run, 1, "the work ran once");
	CHECK_EQ(cs.nr_reclaim_async, 0, "usage 36 < 40: no round");
	CHECK_EQ(cs.nr_evicted, 158, "no more evictions");
	CHECK_EQ(stats2(epc).nr_ksgxd_runs, 0, "ksgxd was never woken");

	epc_encl_destroy(e);
	epc_task_destroy(t);
	assert_epc_consistent(epc);
	epc_destroy(epc);
}

/*
 * No limits, 128 pages of EPC, an enclave of 100 pages: the allocations of
 * the last 6 (the 97th..102nd page: a VA page and the SECS come first) leave
 * fewer than 32 pages free and wake ksgxd. MANUAL: it runs in
 * epc_run_background(), a round at a time while fewer than 64 pages are free:
 * 26 -> 42 -> 58 -> 74, 3 batches of 16 old pages. Then epc_reclaim(20) runs
 * direct rounds until 20 are freed: 2 batches, 32 pages.
 */
static void test_stats_ksgxd_and_direct(void **state)
{
	struct epc *epc = make_epc(128);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	struct epc_cgroup_stats cs;
	struct epc_encl_stats es;
	struct epc_stats st;
	struct epc_encl *e;

	(void)state;
	e = build(t, 100, 100, 2, true);
	st = stats2(epc);
	CHECK_EQ(st.nr_free, 26, "128 - 100 - SECS - VA");
	CHECK_EQ(st.nr_ksgxd_wakeups, 6, "the last 6 allocations went below 32 free");
	CHECK_EQ(st.nr_ksgxd_runs, 0, "MANUAL: not run yet");

	CHECK_EQ(epc_run_background(epc), 0, "run ksgxd");
	st = stats2(epc);
	CHECK_EQ(st.nr_ksgxd_runs, 1, "one wakeup served");
	CHECK_EQ(st.nr_ksgxd_batches, 3, "3 batches to get above 64 free");
	CHECK_EQ(st.nr_reclaimed_ksgxd, 48, "48 pages");
	CHECK_EQ(st.nr_free, 74, "26 + 48");
	cs = cg_stats(root);
	CHECK_EQ(cs.nr_reclaim_async, 3, "ksgxd's rounds count as the root's background");
	CHECK_EQ(cs.nr_reclaim_sync, 0, "no caller reclaimed");

	CHECK_EQ(epc_reclaim(epc, 20), 32, "two batches for 20 pages");
	st = stats2(epc);
	CHECK_EQ(st.nr_reclaimed_direct, 32, "direct");
	CHECK_EQ(st.nr_reclaimed_cgroup, 0, "no cgroup reclaim");
	CHECK_EQ(st.nr_ksgxd_batches, 3, "ksgxd did not run again");
	CHECK_EQ(st.nr_evicted, 80, "EWBs");
	cs = cg_stats(root);
	CHECK_EQ(cs.nr_reclaim_sync, 2, "epc_reclaim's rounds");
	CHECK_EQ(cs.nr_evicted, 80, "the root's pages");
	CHECK_EQ(cs.nr_lru, 20, "what is left");

	es = encl_stats2(e);
	CHECK_EQ(es.nr_out, 80, "pages 0-79 are out");
	CHECK_EQ(es.nr_faults, 0, "no access");
	CHECK_EQ(es.nr_accesses, 0, "no access");
	CHECK_EQ(es.backing_bytes, 80 * (PAGE + 128), "80 sealed pages");
	/* 5 chunks of 16 pages, and their 5 * 2048 bytes of PCMD: 3 pages */
	CHECK_EQ(es.backing_allocated, 83 * PAGE, "backing allocated");

	epc_encl_destroy(e);
	epc_task_destroy(t);
	assert_epc_consistent(epc);
	epc_destroy(epc);
}

/*
 * Background cgroup work: /a is limited to 200 pages (above the 128-page
 * threshold, so the 32-page margin applies). An enclave of 180 pages brings
 * /a to 182 pages; the charge that reached 168 (200 - 32) queued /a's work,
 * once. It runs in epc_run_background(): one round evicts the 16 oldest pages
 * (166 < 168: done). The post-charge trigger is the instance's option
 * (margin_reclaim; v17 as written never queues work after a charge that fits).
 */
static void test_stats_cgroup_background_work(void **state)
{
	struct epc *epc = make_topo(&(struct topo){
		.nr_nodes = 1, .nr_sections = 1, .pages = 1024, .margin_reclaim = true});
	struct epc_cgroup *a = make_cg(epc, "/a");
	struct epc_task *t = make_task(epc, a, 0);
	struct epc_cgroup_stats cs;
	struct epc_stats st;
	struct epc_encl *e;

	(void)state;
	set_max_pages(a, 200);
	e = build(t, 180, 180, 5, true);
	cs = cg_stats(a);
	CHECK_EQ(cs.current, 182 * PAGE, "180 pages, the SECS, a VA page");
	CHECK_EQ(cs.nr_work_queued, 1, "queued once, at 168 pages");
	CHECK_EQ(cs.nr_work_run, 0, "not run yet");
	CHECK_EQ(cs.events, 0, "no charge was refused");
	CHECK_EQ(epc_run_background(epc), 0, "run it");
	cs = cg_stats(a);
	CHECK_EQ(cs.nr_work_run, 1, "ran once");
	CHECK_EQ(cs.nr_reclaim_async, 1, "one round");
	CHECK_EQ(cs.nr_reclaim_sync, 0, "no caller reclaimed");
	CHECK_EQ(cs.nr_evicted, 16, "one batch of old pages");
	CHECK_EQ(cs.current, 166 * PAGE, "below the margin");
	st = stats2(epc);
	CHECK_EQ(st.nr_reclaimed_cgroup, 16, "cgroup reclaim");
	CHECK_EQ(st.nr_ksgxd_runs + st.nr_reclaimed_ksgxd + st.nr_reclaimed_direct, 0,
		 "nothing else");
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* The SECS follows the last page out: it counts in backing_bytes and secs_out. */
static void test_stats_encl_secs_out(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, 4, 4, 6, true);
	struct epc_encl_stats es;

	(void)state;
	CHECK_EQ(epc_reclaim(epc, 4), 4, "every page out");
	es = encl_stats2(e);
	CHECK_EQ(es.nr_out, 4, "4 pages out");
	CHECK_EQ(es.secs_out, 1, "the SECS followed");
	CHECK_EQ(es.nr_evicted, 5, "4 pages and the SECS");
	CHECK_EQ(es.backing_bytes, 5 * (PAGE + 128), "5 sealed pages");
	CHECK_EQ(stats2(epc).nr_reclaimed_direct, 4, "the SECS is not a reclaimed page");
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* An access over 3 pages counts 3 accesses; a resident one faults nothing. */
static void test_stats_encl_accesses_count_pages(void **state)
{
	struct epc *epc = make_epc(256);
	struct epc_task *t = make_task(epc, NULL, 0);
	unsigned char buf[3 * PAGE];
	struct epc_encl_stats es;
	struct epc_encl *e = build(t, 8, 8, 3, true);

	(void)state;
	CHECK_EQ(epc_encl_access2(t, e, PAGE / 2, buf, 2 * PAGE, EPC_ACCESS_READ), 0,
		 "straddles 3 pages");
	CHECK_EQ(epc_encl_access2(t, e, 0, buf, 1, EPC_ACCESS_WRITE), 0, "one byte");
	CHECK_EQ(epc_encl_access2(t, e, 7 * PAGE, buf, 2 * PAGE, EPC_ACCESS_READ), -EINVAL,
		 "outside");
	es = encl_stats2(e);
	CHECK_EQ(es.nr_accesses, 4, "3 pages, then 1");
	CHECK_EQ(es.nr_faults, 0, "all resident");
	CHECK_EQ(es.backing_bytes, 0, "nothing out");
	CHECK_EQ(es.backing_allocated, 0, "nothing was ever evicted");
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/*
 * Two nodes of 8 pages, a task on node 1: 8 local allocations, then 2 remote
 * ones from node 0; a poisoned free page of node 0 is neither free nor lost.
 */
static void test_stats_node_alloc_local_remote_poison(void **state)
{
	struct epc *epc = make_epc_ex(2, NULL, 2, 8, 0, NULL);
	struct epc_task *t = make_task(epc, NULL, 1);
	struct epc_page *p[10];
	struct epc_node_stats n0, n1;
	struct epc_stats st;

	(void)state;
	for (int i = 0; i < 10; i++)
		p[i] = alloc_ok(t);
	CHECK_EQ(epc_memory_failure(epc, (1ULL << 32) + 7 * PAGE, 0), 0, "poison a page");
	CHECK_EQ(epc_node_get_stats(epc, 0, &n0, sizeof(n0)), 0, "node 0");
	CHECK_EQ(epc_node_get_stats(epc, 1, &n1, sizeof(n1)), 0, "node 1");
	CHECK(n0.has_epc && n1.has_epc, "both nodes have EPC");
	CHECK_EQ(n0.nr_total, 8, "node 0 pages");
	CHECK_EQ(n1.nr_total, 8, "node 1 pages");
	CHECK_EQ(n1.nr_alloc_local, 8, "node 1 served its own CPU 8 times");
	CHECK_EQ(n1.nr_alloc_remote, 0, "node 1 served no one else");
	CHECK_EQ(n0.nr_alloc_local, 0, "node 0 has no caller of its own");
	CHECK_EQ(n0.nr_alloc_remote, 2, "node 0 served the 2 that did not fit");
	CHECK_EQ(n1.nr_free, 0, "node 1 is full");
	CHECK_EQ(n0.nr_poisoned, 1, "one poisoned page on node 0");
	CHECK_EQ(n0.nr_free, 5, "8 - 2 taken - 1 poisoned");
	st = stats2(epc);
	CHECK_EQ(st.nr_alloc_local, 8, "instance: local");
	CHECK_EQ(st.nr_alloc_remote, 2, "instance: remote");
	CHECK_EQ(st.nr_poisoned, 1, "instance: poisoned");
	CHECK_EQ(epc_node_get_stats(epc, 2, &n0, sizeof(n0)), -EINVAL, "node out of range");
	CHECK_EQ(epc_node_get_stats(epc, 0, NULL, sizeof(n0)), -EINVAL, "NULL stats");
	CHECK_EQ(epc_node_get_stats(epc, 0, &n0, 0), -EINVAL, "size 0");
	for (int i = 0; i < 10; i++)
		epc_page_free(p[i]);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* The sized getters fill @size bytes and not one more; the 0.1.0 ones their old size. */
static void test_stats_size_rule(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_encl *e = build(t, 4, 4, 4, true);
	union {
		struct epc_stats st;
		struct epc_encl_stats es;
		struct epc_cgroup_stats cs;
		struct epc_node_stats ns;
		unsigned char b[512];
	} u;
	size_t old_stats = offsetof(struct epc_stats, nr_ksgxd_runs);
	size_t old_encl = offsetof(struct epc_encl_stats, size);

	(void)state;
	memset(&u, 0xa5, sizeof(u));
	epc_get_stats(epc, &u.st);
	CHECK_EQ(u.st.nr_total, 64, "old getter fills the old fields");
	for (size_t i = old_stats; i < sizeof(u); i++)
		CHECK_EQ(u.b[i], 0xa5, "epc_get_stats writes nothing past the 0.1.0 struct");

	memset(&u, 0xa5, sizeof(u));
	epc_encl_get_stats(e, &u.es);
	CHECK_EQ(u.es.nr_pages, 4, "old enclave getter");
	for (size_t i = old_encl; i < sizeof(u); i++)
		CHECK_EQ(u.b[i], 0xa5, "epc_encl_get_stats writes nothing past the 0.1.0 struct");

	memset(&u, 0xa5, sizeof(u));
	CHECK_EQ(epc_get_stats2(epc, &u.st, 8), 0, "8 bytes");
	CHECK_EQ(u.st.nr_total, 64, "the first field");
	for (size_t i = 8; i < sizeof(u); i++)
		CHECK_EQ(u.b[i], 0xa5, "nothing past 8 bytes");

	memset(&u, 0xa5, sizeof(u));
	CHECK_EQ(epc_encl_get_stats2(e, &u.es, 16), 0, "16 bytes");
	CHECK_EQ(u.es.nr_resident, 4, "the second field");
	for (size_t i = 16; i < sizeof(u); i++)
		CHECK_EQ(u.b[i], 0xa5, "nothing past 16 bytes");

	memset(&u, 0xa5, sizeof(u));
	CHECK_EQ(epc_cgroup_get_stats(epc_cgroup_root(epc), &u.cs, sizeof(u)), 0, "a bigger size");
	for (size_t i = sizeof(struct epc_cgroup_stats); i < sizeof(u); i++)
		CHECK_EQ(u.b[i], 0xa5, "a larger size gets the library's struct, no more");

	memset(&u, 0xa5, sizeof(u));
	CHECK_EQ(epc_get_node_stats(epc, 0, &u.ns), 0, "old node getter");
	CHECK_EQ(u.ns.nr_total, 64, "node pages");
	for (size_t i = sizeof(struct epc_node_stats); i < sizeof(u); i++)
		CHECK_EQ(u.b[i], 0xa5, "nothing past the node struct");

	CHECK_EQ(epc_get_stats2(epc, NULL, 8), -EINVAL, "NULL");
	CHECK_EQ(epc_get_stats2(epc, &u.st, 0), -EINVAL, "size 0");
	CHECK_EQ(epc_encl_get_stats2(e, NULL, 8), -EINVAL, "NULL");
	CHECK_EQ(epc_encl_get_stats2(e, &u.es, 0), -EINVAL, "size 0");
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stats_cgroup_limit_two_sequential_passes),
		cmocka_unit_test(test_stats_ksgxd_and_direct),
		cmocka_unit_test(test_stats_cgroup_background_work),
		cmocka_unit_test(test_stats_encl_secs_out),
		cmocka_unit_test(test_stats_encl_accesses_count_pages),
		cmocka_unit_test(test_stats_node_alloc_local_remote_poison),
		cmocka_unit_test(test_stats_size_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
