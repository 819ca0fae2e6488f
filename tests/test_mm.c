// SPDX-License-Identifier: MIT
/*
 * test_mm.c - the page allocator: init, sanitization, the NUMA search, the
 * free lists, per-CPU caches, poison, and the per-node sysfs text.
 *
 * One case per allocator behaviour of kernel-spec §7 (1-18, the number is in
 * the case name), then the parts the kernel does not have or the spec does
 * not number: SLIT-distance fallback, per-CPU caches, epc_node_read(), the
 * boot log lines, the metadata budget, page accessors and tasks.
 *
 * Every case builds its own instance in MANUAL mode (single-threaded and
 * deterministic), checks the invariant checker at the interesting points and
 * destroys everything it made.
 */
#include <errno.h>
#include <stdbool.h>
#include <syslog.h>

#include "helpers.h"

/* ------------------------------------------------------------- helpers */

static struct log_catcher *lc_new(void)
{
	struct log_catcher *lc = calloc(1, sizeof(*lc));

	assert_non_null(lc);
	return lc;
}

/* The level of the first line containing @needle, or -1. */
static int log_level_of(const struct log_catcher *lc, const char *needle)
{
	for (int i = 0; i < lc->nr; i++)
		if (strstr(lc->lines[i], needle))
			return lc->level[i];
	return -1;
}

static struct epc_stats stats(struct epc *epc)
{
	struct epc_stats st;

	epc_get_stats2(epc, &st, sizeof(st));
	return st;
}

static struct epc_node_stats node_stats(struct epc *epc, int node)
{
	struct epc_node_stats st;

	CHECK_ERR(epc_node_get_stats(epc, node, &st, sizeof(st)), 0, "epc_node_get_stats");
	return st;
}

/* Allocate until -ENOMEM (the only error allowed); return how many. */
static int alloc_all(struct epc_task *t, struct epc_page **out, int max)
{
	int n = 0;

	for (;;) {
		struct epc_page *p = NULL;
		int ret = epc_page_alloc(t, NULL, EPC_NO_RECLAIM, &p);

		if (ret) {
			/* the only way an allocation of raw pages may fail: no free page */
			assert_int_equal(ret, -ENOMEM);
			assert_null(p);
			return n;
		}
		if (n >= max)
			fail_msg("more than %d pages allocated", max);
		out[n++] = p;
	}
}

static void free_all(struct epc_page **pages, int n)
{
	for (int i = 0; i < n; i++)
		epc_page_free(pages[i]);
}

/* The address of any page record (epc_page_phys() is for pages in use). */
static uint64_t phys_of_index(struct epc *epc, uint64_t idx)
{
	struct epc_page *p = epc__page_at(epc, idx);

	assert_non_null(p);
	return epc__mm_page_phys(&epc->mm, p);
}

/*
 * A topology more general than make_epc_ex(): CPUs, SLIT, fallback policy.
 * Sections sit at 4 GiB * (i + 1), @pages each. MANUAL mode; sanitized unless
 * @no_sanitize.
 */
/* Allocate @n pages for @t and check each one's node against @nodes. */
static void expect_nodes(struct epc_task *t, const int *nodes, int n, struct epc_page **out)
{
	for (int i = 0; i < n; i++) {
		struct epc_page *p = alloc_ok(t);

		if (epc_page_node(p) != nodes[i])
			fail_msg("allocation %d came from node %d, expected node %d", i,
				 epc_page_node(p), nodes[i]);
		out[i] = p;
	}
}

/* ======================================================= NUMA and init */

/* 1: node sizes are the sums of their sections; sysfs and capacity agree. */
static void test_mm_b01_node_sizes_and_capacity(void **state)
{
	struct log_catcher *lc = lc_new();
	/* node 0: sections 0 and 2; node 1: section 1; node 2: none */
	struct topo tp = {.nr_nodes = 3,
			  .nr_sections = 3,
			  .sec_node = (int[]){0, 1, 0},
			  .pages = 16,
			  .lc = lc};
	struct epc *epc = make_topo(&tp);
	char buf[64];

	(void)state;
	CHECK(node_stats(epc, 0).has_epc, "node 0 owns a section");
	CHECK(node_stats(epc, 1).has_epc, "node 1 owns a section");
	CHECK(!node_stats(epc, 2).has_epc, "node 2 owns no section: not in the mask");
	assert_int_equal(node_stats(epc, 0).nr_total, 32);
	assert_int_equal(node_stats(epc, 1).nr_total, 16);
	assert_int_equal(node_stats(epc, 2).nr_total, 0);
	assert_int_equal(stats(epc).nr_total, 48);

	/* sgx_total_bytes = the node's bytes: 32 and 16 pages */
	assert_int_equal(epc_node_read(epc, 0, "sgx_total_bytes", buf, sizeof(buf)), 7);
	assert_string_equal(buf, "131072\n");
	assert_int_equal(epc_node_read(epc, 1, "sgx_total_bytes", buf, sizeof(buf)), 6);
	assert_string_equal(buf, "65536\n");
	/* the x86/ group does not exist on a node without EPC */
	CHECK_ERR(epc_node_read(epc, 2, "sgx_total_bytes", buf, sizeof(buf)), -ENOENT,
		  "epc_node_read");

	/* misc capacity = the bytes of all sections */
	assert_string_equal(cg_read(epc_cgroup_root(epc), "misc.capacity", buf, sizeof(buf)),
			    "sgx_epc 196608\n");

	/* the kernel's boot line per section, inclusive end */
	assert_int_equal(log_count(lc, "EPC section 0x100000000-0x10000ffff"), 1);
	assert_int_equal(log_count(lc, "EPC section 0x200000000-0x20000ffff"), 1);
	assert_int_equal(log_count(lc, "EPC section 0x300000000-0x30000ffff"), 1);
	assert_epc_consistent(epc);
	epc_destroy(epc);
	free(lc);
}

/* 2: a section with no node goes to node 0, with the kernel's FW_BUG warning. */
static void test_mm_b02_no_node_falls_back_to_node0(void **state)
{
	struct log_catcher *lc = lc_new();
	struct topo tp = {.nr_nodes = 2,
			  .nr_sections = 2,
			  .sec_node = (int[]){1, EPC_NO_NODE},
			  .pages = 8,
			  .lc = lc};
	struct epc *epc = make_topo(&tp);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_page *pages[8];
	char buf[64];
	int lvl;

	(void)state;
	assert_int_equal(log_count(lc, "[Firmware Bug]: Unable to map EPC section to online node. "
				       "Fallback to the NUMA node 0."),
			 1);
	lvl = log_level_of(lc, "[Firmware Bug]");
	assert_int_equal(lvl, LOG_WARNING);
	CHECK(node_stats(epc, 0).has_epc, "node 0 now owns the node-less section");
	assert_int_equal(node_stats(epc, 0).nr_total, 8);
	assert_int_equal(epc_node_read(epc, 0, "sgx_total_bytes", buf, sizeof(buf)), 6);
	assert_string_equal(buf, "32768\n");

	/* a caller on node 0 gets exactly the pages of the second section */
	for (int i = 0; i < 8; i++) {
		uint64_t phys;

		pages[i] = alloc_ok(t);
		phys = epc_page_phys(pages[i]);
		CHECK_EQ_AT(epc_page_node(pages[i]), 0, i);
		CHECK_AT(phys >= (2ULL << 32) && phys < (2ULL << 32) + 8 * PAGE, i);
	}
	assert_epc_consistent(epc);
	free_all(pages, 8);
	epc_task_destroy(t);
	epc_destroy(epc);
	free(lc);
}

/*
 * 3: CPUID enumeration. There is no section type field in our API (sections
 * come from struct epc_section_desc, not CPUID sub-leaves), so "type 0 ends
 * the list" and "unknown type stops with an error" have no equivalent. What
 * does apply: never more than 8 sections, and fewer than 1 is an error.
 */
static void test_mm_b03_section_limit(void **state)
{
	struct epc_section_desc s[9];
	struct epc_config c = {0};
	struct epc *epc = (struct epc *)&c; /* sentinel: must stay untouched */
	struct epc_task *t;
	struct epc_page *pages[8];

	(void)state;
	for (int i = 0; i < 9; i++) {
		s[i].phys_addr = (uint64_t)(i + 1) << 32;
		s[i].size = PAGE;
		s[i].node = 0;
	}
	c.nr_nodes = 1;
	c.sections = s;
	c.background = EPC_BACKGROUND_MANUAL;
	c.log = log_quiet;

	c.nr_sections = 0;
	CHECK_ERR(epc_create2(&c, sizeof(c), &epc), -EINVAL, "epc_create2");
	c.nr_sections = 9;
	CHECK_ERR(epc_create2(&c, sizeof(c), &epc), -EINVAL, "epc_create2");
	/* a rejected create does not write *out */
	assert_ptr_equal(epc, (struct epc *)&c);

	c.nr_sections = 8;
	epc = NULL;
	CHECK_ERR(epc_create2(&c, sizeof(c), &epc), 0, "epc_create2");
	CHECK_ERR(epc_sanitize_wait(epc), 0, "epc_sanitize_wait");
	assert_int_equal(stats(epc).nr_total, 8);
	assert_int_equal(stats(epc).nr_free, 8);
	/* one page from each of the 8 sections, in address order */
	t = make_task(epc, NULL, 0);
	for (int i = 0; i < 8; i++) {
		pages[i] = alloc_ok(t);
		CHECK_EQ_AT(epc_page_phys(pages[i]), (uint64_t)(i + 1) << 32, i);
	}
	assert_epc_consistent(epc);
	free_all(pages, 8);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* 4: zero sections: the instance cannot be created, and the log says why. */
static void test_mm_b04_zero_sections_fail(void **state)
{
	struct log_catcher *lc = lc_new();
	struct epc_section_desc s = {.phys_addr = 1ULL << 32, .size = PAGE, .node = 0};
	struct epc_config c = {.nr_nodes = 2,
			       .sections = &s,
			       .nr_sections = 0,
			       .background = EPC_BACKGROUND_MANUAL,
			       .log = log_catch,
			       .log_arg = lc};
	struct epc *epc = NULL;

	(void)state;
	CHECK_ERR(epc_create2(&c, sizeof(c), &epc), -EINVAL, "epc_create2");
	assert_null(epc);
	c.sections = NULL;
	CHECK_ERR(epc_create2(&c, sizeof(c), &epc), -EINVAL, "epc_create2");
	assert_null(epc);
	/* both rejections name the field */
	assert_int_equal(log_count(lc, "nr_sections"), 2);
	free(lc);
}

/* 5: free is 0 until sanitization; afterwards every page is free. */
static void test_mm_b05_sanitize_makes_pages_free(void **state)
{
	struct topo tp = {.nr_nodes = 2,
			  .nr_sections = 3,
			  .sec_node = (int[]){0, 1, 1},
			  .pages = 16,
			  .no_sanitize = true};
	struct epc *epc = make_topo(&tp);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_page *p = NULL;

	(void)state;
	assert_int_equal(stats(epc).nr_total, 48);
	assert_int_equal(stats(epc).nr_free, 0);
	assert_int_equal(stats(epc).nr_dirty, 48);
	assert_int_equal(node_stats(epc, 0).nr_free, 0);
	assert_int_equal(node_stats(epc, 1).nr_free, 0);
	/* nothing to allocate and nothing reclaimable: -ENOMEM, not a hang */
	CHECK_ERR(epc_page_alloc(t, NULL, EPC_NO_RECLAIM, &p), -ENOMEM, "epc_page_alloc");
	assert_null(p);
	CHECK_ERR(epc_page_alloc(t, NULL, EPC_DO_RECLAIM, &p), -ENOMEM, "epc_page_alloc");
	/* both went through the whole search and found nothing */
	assert_int_equal(stats(epc).nr_alloc_failed, 2);
	/* and left no charge */
	assert_int_equal(cg_usage(epc_cgroup_root(epc)), 0);
	assert_epc_consistent(epc);

	CHECK_ERR(epc_sanitize_wait(epc), 0, "epc_sanitize_wait");
	assert_int_equal(stats(epc).nr_free, 48);
	assert_int_equal(stats(epc).nr_dirty, 0);
	assert_int_equal(stats(epc).nr_leaked, 0);
	assert_int_equal(node_stats(epc, 0).nr_free, 16);
	assert_int_equal(node_stats(epc, 1).nr_free, 32);
	/* every page is on its node's free list */
	for (uint64_t i = 0; i < 48; i++)
		CHECK_EQ_AT(epc__page_state(epc__page_at(epc, i)), EPC__PAGE_FREE, i);
	/* a second wait has nothing left to do */
	CHECK_ERR(epc_sanitize_wait(epc), 0, "epc_sanitize_wait");
	assert_int_equal(stats(epc).nr_free, 48);
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

struct eremove_hook {
	uint64_t once, always; /* page indices */
	int once_calls, always_calls, other_calls;
};

/* EREMOVE of @once fails on its first call only; of @always on every call. */
static int eremove_hook(void *arg, enum epc__fault_site site, uint64_t idx)
{
	struct eremove_hook *h = arg;

	if (site != EPC__FAULT_EREMOVE)
		return 0;
	if (idx == h->once)
		return h->once_calls++ == 0 ? EPC__SGX_CHILD_PRESENT : 0;
	if (idx == h->always) {
		h->always_calls++;
		return EPC__SGX_CHILD_PRESENT;
	}
	h->other_calls++;
	return 0;
}

/* 6: pass 2 rescues a page that failed pass 1; one failing both is leaked. */
static void test_mm_b06_eremove_failure_pass2_and_leak(void **state)
{
	struct log_catcher *lc = lc_new();
	struct topo tp = {.nr_nodes = 1,
			  .nr_sections = 1,
			  .sec_node = (int[]){0},
			  .pages = 16,
			  .no_sanitize = true,
			  .lc = lc};
	struct epc *epc = make_topo(&tp);
	struct eremove_hook h = {.once = 3, .always = 5};
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_page *pages[16];
	int n;

	(void)state;
	epc__fault_set(epc, eremove_hook, &h);
	CHECK_ERR(epc_sanitize_wait(epc), 0, "epc_sanitize_wait");
	/* exactly two passes: each failing page was tried twice, the others once */
	assert_int_equal(h.once_calls, 2);
	assert_int_equal(h.always_calls, 2);
	assert_int_equal(h.other_calls, 14);

	assert_int_equal(epc__page_state(epc__page_at(epc, 3)), EPC__PAGE_FREE);
	assert_int_equal(epc__page_state(epc__page_at(epc, 5)), EPC__PAGE_DIRTY);
	assert_int_equal(stats(epc).nr_free, 15);
	assert_int_equal(stats(epc).nr_dirty, 1);
	assert_int_equal(stats(epc).nr_leaked, 1);
	assert_int_equal(node_stats(epc, 0).nr_free, 15);
	assert_int_equal(log_count(lc, "could not be sanitized"), 1);
	assert_int_equal(log_level_of(lc, "could not be sanitized"), LOG_WARNING);
	assert_epc_consistent(epc);

	/*
	 * Pass 1 freed the pages in address order to the tail, pass 2 freed page
	 * 3 after them: it is handed out last; page 5 never.
	 */
	n = alloc_all(t, pages, 16);
	assert_int_equal(n, 15);
	for (int i = 0; i < n; i++)
		CHECK_AT(epc__page_index(epc, pages[i]) != 5, i);
	assert_int_equal(epc__page_index(epc, pages[14]), 3);
	assert_epc_consistent(epc);

	free_all(pages, n);
	assert_int_equal(stats(epc).nr_free, 15);
	assert_epc_consistent(epc);
	epc__fault_set(epc, NULL, NULL);
	epc_task_destroy(t);
	epc_destroy(epc);
	free(lc);
}

struct eremove_count {
	uint64_t idx;
	int calls;
};

static int eremove_counter(void *arg, enum epc__fault_site site, uint64_t idx)
{
	struct eremove_count *c = arg;

	if (site == EPC__FAULT_EREMOVE && idx == c->idx)
		c->calls++;
	return 0;
}

/* 7: a poisoned dirty page goes to the poison list without EREMOVE, for good. */
static void test_mm_b07_poisoned_dirty_page_never_allocated(void **state)
{
	struct topo tp = {.nr_nodes = 2,
			  .nr_sections = 2,
			  .sec_node = (int[]){0, 1},
			  .pages = 8,
			  .no_sanitize = true};
	struct epc *epc = make_topo(&tp);
	/* page 4 of section 1 (node 1): index 12 */
	struct eremove_count cnt = {.idx = 12};
	uint64_t bad = (2ULL << 32) + 4 * PAGE;
	struct epc_task *t = make_task(epc, NULL, 1);
	struct epc_page *pages[16];
	int n;

	(void)state;
	assert_int_equal(phys_of_index(epc, 12), bad);
	CHECK_ERR(epc_memory_failure(epc, bad, 0), 0, "epc_memory_failure");
	assert_int_equal(stats(epc).nr_poisoned, 1);
	/* still dirty: not on any list until the sanitizer reaches it */
	assert_int_equal(epc__page_state(epc__page_at(epc, 12)), EPC__PAGE_DIRTY);
	assert_epc_consistent(epc);

	epc__fault_set(epc, eremove_counter, &cnt);
	CHECK_ERR(epc_sanitize_wait(epc), 0, "epc_sanitize_wait");
	epc__fault_set(epc, NULL, NULL);
	/* the sanitizer never EREMOVEd it */
	assert_int_equal(cnt.calls, 0);
	assert_int_equal(epc__page_state(epc__page_at(epc, 12)), EPC__PAGE_POISON);
	assert_int_equal(stats(epc).nr_poisoned, 1);
	assert_int_equal(stats(epc).nr_free, 15);
	assert_int_equal(stats(epc).nr_dirty, 0);
	assert_int_equal(node_stats(epc, 1).nr_poisoned, 1);
	assert_int_equal(node_stats(epc, 1).nr_free, 7);
	assert_int_equal(node_stats(epc, 0).nr_poisoned, 0);
	assert_epc_consistent(epc);

	n = alloc_all(t, pages, 16);
	assert_int_equal(n, 15);
	for (int i = 0; i < n; i++)
		CHECK_AT(epc_page_phys(pages[i]) != bad, i);
	free_all(pages, n);
	assert_int_equal(stats(epc).nr_free, 15);
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* 8: a caller on node 1 is served by node 1 while node 1 has pages. */
static void test_mm_b08_local_node_first(void **state)
{
	struct epc *epc = make_epc_ex(2, NULL, 2, 8, 0, NULL);
	struct epc_task *t = make_task(epc, NULL, 1);
	struct epc_page *pages[8];
	const int one[8] = {1, 1, 1, 1, 1, 1, 1, 1};

	(void)state;
	assert_int_equal(epc_task_node(t), 1);
	/* node 0 has 8 free pages all along: every page still comes from node 1 */
	expect_nodes(t, one, 8, pages);
	assert_int_equal(node_stats(epc, 0).nr_free, 8);
	assert_int_equal(node_stats(epc, 1).nr_free, 0);
	assert_int_equal(node_stats(epc, 1).nr_alloc_local, 8);
	assert_int_equal(node_stats(epc, 0).nr_alloc_remote, 0);
	assert_int_equal(stats(epc).nr_alloc_local, 8);
	assert_int_equal(stats(epc).nr_alloc_remote, 0);
	assert_epc_consistent(epc);
	free_all(pages, 8);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* 9: node 1 empty, mask {0,1,3}: node 3 next, then node 0 (increasing id, wrap). */
static void test_mm_b09_fallback_next_id_wrapping(void **state)
{
	struct epc *epc = make_epc_ex(4, (int[]){0, 1, 3}, 3, 4, 0, NULL);
	struct epc_task *t = make_task(epc, NULL, 1);
	struct epc_page *pages[12], *p = NULL;
	const int order[12] = {1, 1, 1, 1, 3, 3, 3, 3, 0, 0, 0, 0};

	(void)state;
	expect_nodes(t, order, 12, pages);
	assert_int_equal(node_stats(epc, 1).nr_alloc_local, 4);
	assert_int_equal(node_stats(epc, 3).nr_alloc_remote, 4);
	assert_int_equal(node_stats(epc, 0).nr_alloc_remote, 4);
	CHECK_ERR(epc_page_alloc(t, NULL, EPC_NO_RECLAIM, &p), -ENOMEM, "epc_page_alloc");
	assert_epc_consistent(epc);

	/* with node 3 non-empty again, node 3 still comes before node 0 */
	epc_page_free(pages[0]); /* node 1: back on its list */
	epc_page_free(pages[8]); /* node 0 */
	epc_page_free(pages[4]); /* node 3 */
	assert_int_equal(epc_page_node(pages[0] = alloc_ok(t)), 1);
	assert_int_equal(epc_page_node(pages[4] = alloc_ok(t)), 3);
	assert_int_equal(epc_page_node(pages[8] = alloc_ok(t)), 0);
	assert_epc_consistent(epc);
	free_all(pages, 12);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* 10: caller on node 2 without EPC, mask {0,1,3}: order 3, 0, 1; then -ENOMEM. */
static void test_mm_b10_no_epc_caller_order_and_enomem(void **state)
{
	struct epc *epc = make_epc_ex(4, (int[]){0, 1, 3}, 3, 4, 0, NULL);
	struct epc_task *t = make_task(epc, NULL, 2);
	struct epc_page *pages[12], *p = NULL;
	const int order[12] = {3, 3, 3, 3, 0, 0, 0, 0, 1, 1, 1, 1};

	(void)state;
	assert_int_equal(epc_task_node(t), 2);
	CHECK(!node_stats(epc, 2).has_epc, "the task's node has no EPC");
	expect_nodes(t, order, 12, pages);
	/* node 2 has no EPC: every allocation was remote */
	assert_int_equal(stats(epc).nr_alloc_local, 0);
	assert_int_equal(stats(epc).nr_alloc_remote, 12);

	/*
	 * All empty: -ENOMEM, no hang (the pre-6.12 kernel looped here). With
	 * every page in use the root's capacity refuses the charge first, so
	 * the allocator itself is not even asked; b05 covers the search coming
	 * up empty on every node.
	 */
	CHECK_ERR(epc_page_alloc(t, NULL, EPC_NO_RECLAIM, &p), -ENOMEM, "epc_page_alloc");
	assert_null(p);
	CHECK_ERR(epc_page_alloc(t, NULL, EPC_DO_RECLAIM, &p), -ENOMEM, "epc_page_alloc");
	assert_null(p);
	assert_int_equal(cg_usage(epc_cgroup_root(epc)), 12 * PAGE);

	/* one free page on node 1, the last in the order, is found */
	epc_page_free(pages[9]);
	pages[9] = alloc_ok(t);
	assert_int_equal(epc_page_node(pages[9]), 1);
	assert_epc_consistent(epc);
	free_all(pages, 12);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* 11: all nodes empty → -ENOMEM, never an empty success, nothing changed. */
static void test_mm_b11_all_empty_enomem(void **state)
{
	struct epc *epc = make_epc_ex(2, NULL, 2, 2, 0, NULL);
	struct epc_task *t0 = make_task(epc, NULL, 0), *t1 = make_task(epc, NULL, 1);
	struct epc_page *pages[4], *p;
	char buf[64];

	(void)state;
	assert_int_equal(alloc_all(t0, pages, 4), 4);
	for (int i = 0; i < 3; i++) {
		p = (struct epc_page *)buf; /* sentinel: must stay untouched */
		CHECK_EQ_AT(epc_page_alloc(i % 2 ? t1 : t0, NULL, EPC_NO_RECLAIM, &p), -ENOMEM, i);
		CHECK_AT(p == (struct epc_page *)buf, i);
	}
	assert_int_equal(stats(epc).nr_free, 0);
	/* the failed allocations left no charge behind */
	assert_int_equal(cg_usage(epc_cgroup_root(epc)), 4 * PAGE);
	assert_epc_consistent(epc);
	free_all(pages, 4);
	assert_int_equal(cg_usage(epc_cgroup_root(epc)), 0);
	epc_task_destroy(t0);
	epc_task_destroy(t1);
	epc_destroy(epc);
}

/* 12: an allocated page is on no list, has its owner, and free drops by 1. */
static void test_mm_b12_alloc_takes_exactly_one(void **state)
{
	struct epc *epc = make_epc_ex(2, NULL, 2, 8, 0, NULL);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_page *pages[16];
	int owner;

	(void)state;
	for (int i = 0; i < 16; i++) {
		uint64_t before = stats(epc).nr_free;

		CHECK_EQ_AT(epc_page_alloc(t, &owner, EPC_NO_RECLAIM, &pages[i]), 0, i);
		CHECK_EQ_AT(stats(epc).nr_free, before - 1, i);
		/* INUSE: the kernel's flags == 0, off every list */
		CHECK_EQ_AT(epc__page_state(pages[i]), EPC__PAGE_INUSE, i);
		CHECK_AT(epc_page_owner(pages[i]) == &owner, i);
		CHECK_EQ_AT(node_stats(epc, 0).nr_free + node_stats(epc, 1).nr_free, before - 1, i);
		if (i % 5 == 0)
			assert_epc_consistent(epc);
	}
	assert_int_equal(stats(epc).nr_free, 0);
	assert_epc_consistent(epc);
	free_all(pages, 16);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* 13: frees append at the tail: free X then Y → the next two are X, Y. */
static void test_mm_b13_free_appends_at_tail(void **state)
{
	struct epc *epc = make_epc_ex(2, NULL, 2, 6, 0, NULL);
	struct epc_task *t = make_task(epc, NULL, 1);
	struct epc_page *pages[6], *a, *b;
	uint64_t x, y;

	(void)state;
	/* empty node 1; node 0 stays full */
	for (int i = 0; i < 6; i++) {
		pages[i] = alloc_ok(t);
		CHECK_EQ_AT(epc_page_node(pages[i]), 1, i);
	}
	assert_int_equal(node_stats(epc, 1).nr_free, 0);
	assert_int_equal(node_stats(epc, 0).nr_free, 6);
	x = epc_page_phys(pages[4]);
	y = epc_page_phys(pages[1]);
	epc_page_free(pages[4]);
	epc_page_free(pages[1]);
	a = alloc_ok(t);
	b = alloc_ok(t);
	assert_int_equal(epc_page_phys(a), x);
	assert_int_equal(epc_page_phys(b), y);
	pages[4] = a;
	pages[1] = b;
	assert_epc_consistent(epc);
	/* node 0 was never touched */
	assert_int_equal(node_stats(epc, 0).nr_free, 6);
	free_all(pages, 6);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* 14: a free makes the page FREE, drops its owner, and free += 1. */
static void test_mm_b14_free_restores_count(void **state)
{
	struct epc *epc = make_epc(8);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_page *p = NULL;
	uint64_t idx;
	int owner;

	(void)state;
	CHECK_ERR(epc_page_alloc(t, &owner, EPC_NO_RECLAIM, &p), 0, "epc_page_alloc");
	assert_int_equal(stats(epc).nr_free, 7);
	idx = epc__page_index(epc, p);
	epc_page_free(p);
	assert_int_equal(stats(epc).nr_free, 8);
	assert_int_equal(node_stats(epc, 0).nr_free, 8);
	/* the record outlives the handle: look at it through the index */
	assert_int_equal(epc__page_state(epc__page_at(epc, idx)), EPC__PAGE_FREE);
	assert_null(epc_page_owner(epc__page_at(epc, idx)));
	assert_int_equal(cg_usage(epc_cgroup_root(epc)), 0);
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/*
 * 15: freeing a poisoned page puts it on the poison list. Mainline also adds
 * it to the free counter; epcmm does not (docs/DIFFERENCES.md A1).
 */
static void test_mm_b15_free_poisoned_goes_to_poison_list(void **state)
{
	struct epc *epc = make_epc(8);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_page *pages[8], *p = alloc_ok(t);
	uint64_t phys = epc_page_phys(p), idx = epc__page_index(epc, p);
	int n;

	(void)state;
	CHECK_ERR(epc_memory_failure(epc, phys, 0), 0, "epc_memory_failure");
	assert_int_equal(stats(epc).nr_free, 7);
	epc_page_free(p);
	/* not counted as free: still 7, and one page on the poison list */
	assert_int_equal(stats(epc).nr_free, 7);
	assert_int_equal(node_stats(epc, 0).nr_free, 7);
	assert_int_equal(node_stats(epc, 0).nr_poisoned, 1);
	assert_int_equal(stats(epc).nr_poisoned, 1);
	assert_int_equal(epc__page_state(epc__page_at(epc, idx)), EPC__PAGE_POISON);
	assert_epc_consistent(epc);

	n = alloc_all(t, pages, 8);
	assert_int_equal(n, 7);
	for (int i = 0; i < n; i++)
		CHECK_AT(epc_page_phys(pages[i]) != phys, i);
	free_all(pages, n);
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* 16: memory failure on a free page: poison list at once; a repeat is a no-op. */
static void test_mm_b16_memory_failure_free_page(void **state)
{
	struct epc *epc = make_epc_ex(2, NULL, 2, 8, 0, NULL);
	struct epc_task *t = make_task(epc, NULL, 1);
	/* page 2 of node 1's section */
	uint64_t bad = (2ULL << 32) + 2 * PAGE;
	struct epc_page *pages[16];
	struct epc_stats before;
	int n;

	(void)state;
	CHECK_ERR(epc_memory_failure(epc, bad, 0), 0, "epc_memory_failure");
	assert_int_equal(stats(epc).nr_free, 15);
	assert_int_equal(stats(epc).nr_poisoned, 1);
	assert_int_equal(node_stats(epc, 1).nr_free, 7);
	assert_int_equal(node_stats(epc, 1).nr_poisoned, 1);
	assert_int_equal(epc__page_state(epc__page_at(epc, 10)), EPC__PAGE_POISON);
	assert_epc_consistent(epc);

	/* the same page again, by an address inside it: nothing changes */
	before = stats(epc);
	CHECK_ERR(epc_memory_failure(epc, bad + 123, 0), 0, "epc_memory_failure");
	CHECK_ERR(epc_memory_failure(epc, bad, 0), 0, "epc_memory_failure");
	assert_int_equal(stats(epc).nr_free, before.nr_free);
	assert_int_equal(stats(epc).nr_poisoned, before.nr_poisoned);
	assert_int_equal(node_stats(epc, 1).nr_poisoned, 1);
	assert_epc_consistent(epc);

	n = alloc_all(t, pages, 16);
	assert_int_equal(n, 15);
	for (int i = 0; i < n; i++)
		CHECK_AT(epc_page_phys(pages[i]) != bad, i);
	free_all(pages, n);
	assert_int_equal(stats(epc).nr_free, 15);
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* 17: memory failure on a page in use: only flagged; the free diverts it. */
static void test_mm_b17_memory_failure_in_use_page(void **state)
{
	struct epc *epc = make_epc(4);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_page *p = NULL, *pages[4];
	int owner, n;
	uint64_t phys;

	(void)state;
	CHECK_ERR(epc_page_alloc(t, &owner, EPC_NO_RECLAIM, &p), 0, "epc_page_alloc");
	phys = epc_page_phys(p);
	CHECK_ERR(epc_memory_failure(epc, phys, 0), 0, "epc_memory_failure");
	CHECK(epc__page_poisoned(p), "an in-use page is only flagged: its owner keeps it");
	assert_int_equal(epc__page_state(p), EPC__PAGE_INUSE);
	assert_ptr_equal(epc_page_owner(p), &owner);
	assert_int_equal(node_stats(epc, 0).nr_poisoned, 0);
	assert_int_equal(stats(epc).nr_poisoned, 1);
	assert_int_equal(stats(epc).nr_free, 3);
	assert_epc_consistent(epc);

	epc_page_free(p);
	assert_int_equal(node_stats(epc, 0).nr_poisoned, 1);
	assert_int_equal(stats(epc).nr_free, 3);
	n = alloc_all(t, pages, 4);
	assert_int_equal(n, 3);
	for (int i = 0; i < n; i++)
		CHECK_AT(epc_page_phys(pages[i]) != phys, i);
	free_all(pages, n);
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/*
 * 18: an address in no section is -ENXIO. ACTION_REQUIRED: the kernel sends
 * SIGBUS to current; epcmm poisons the page, logs that line at LOG_ERR and
 * returns 0 (docs/DIFFERENCES.md A6). Unknown flags are -EINVAL.
 */
static void test_mm_b18_memory_failure_bad_address_and_flags(void **state)
{
	struct log_catcher *lc = lc_new();
	struct epc *epc = make_epc_ex(2, NULL, 2, 4, 0, lc);
	const uint64_t outside[] = {
		0,
		(1ULL << 32) - 1,	 /* just below section 0 */
		(1ULL << 32) + 4 * PAGE, /* just past section 0 */
		(2ULL << 32) + 4 * PAGE, /* just past section 1 */
		(3ULL << 32),
		UINT64_MAX,
	};
	struct epc_stats before = stats(epc);
	uint64_t good = (1ULL << 32) + PAGE;

	(void)state;
	for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
		CHECK_EQ_AT(epc_memory_failure(epc, outside[i], 0), -ENXIO, i);
		CHECK_EQ_AT(epc_memory_failure(epc, outside[i], EPC_MF_ACTION_REQUIRED), -ENXIO, i);
	}
	assert_int_equal(stats(epc).nr_poisoned, before.nr_poisoned);
	assert_int_equal(stats(epc).nr_free, before.nr_free);
	/* no page was hit, so no SIGBUS either */
	assert_int_equal(log_count(lc, "SIGBUS"), 0);

	/* unknown flags: rejected before anything is touched */
	CHECK_ERR(epc_memory_failure(epc, good, 0x2), -EINVAL, "epc_memory_failure");
	CHECK_ERR(epc_memory_failure(epc, good, -1), -EINVAL, "epc_memory_failure");
	assert_int_equal(stats(epc).nr_poisoned, 0);
	assert_int_equal(log_count(lc, "unknown flags"), 2);

	CHECK_ERR(epc_memory_failure(epc, good, EPC_MF_ACTION_REQUIRED), 0, "epc_memory_failure");
	assert_int_equal(stats(epc).nr_poisoned, 1);
	assert_int_equal(stats(epc).nr_free, 7);
	assert_int_equal(log_count(lc, "SIGBUS"), 1);
	assert_int_equal(log_level_of(lc, "SIGBUS"), LOG_ERR);
	assert_epc_consistent(epc);
	epc_destroy(epc);
	free(lc);
}

/* ================================================= beyond the kernel */

/* EPC_FALLBACK_DISTANCE: nearest first by the SLIT, ties by node id. */
static void test_mm_distance_fallback_nearest_first(void **state)
{
	/* symmetric SLIT; from node 0: 1 is far (30), 2 and 3 tie at 15 */
	/* clang-format off */
	const uint8_t slit[16] = {
		10, 30, 15, 15,
		30, 10, 25, 20,
		15, 25, 10, 40,
		15, 20, 40, 10,
	};
	/* clang-format on */
	struct topo tp = {.nr_nodes = 4,
			  .nr_sections = 4,
			  .sec_node = (int[]){0, 1, 2, 3},
			  .pages = 2,
			  .distance = slit,
			  .fallback = EPC_FALLBACK_DISTANCE};
	struct epc *epc = make_topo(&tp);
	struct epc_task *t0 = make_task(epc, NULL, 0), *t2 = make_task(epc, NULL, 2);
	struct epc_page *pages[8], *p = NULL;
	const int order0[8] = {0, 0, 2, 2, 3, 3, 1, 1};

	(void)state;
	expect_nodes(t0, order0, 8, pages);
	CHECK_ERR(epc_page_alloc(t0, NULL, EPC_NO_RECLAIM, &p), -ENOMEM, "epc_page_alloc");
	assert_epc_consistent(epc);

	/* from node 2 (row 15, 25, 10, 40): node 0 first, then 1, then 3 */
	epc_page_free(pages[7]); /* node 1 */
	epc_page_free(pages[0]); /* node 0 */
	epc_page_free(pages[4]); /* node 3 */
	assert_int_equal(epc_page_node(pages[0] = alloc_ok(t2)), 0);
	assert_int_equal(epc_page_node(pages[7] = alloc_ok(t2)), 1);
	assert_int_equal(epc_page_node(pages[4] = alloc_ok(t2)), 3);
	assert_epc_consistent(epc);
	free_all(pages, 8);
	epc_task_destroy(t0);
	epc_task_destroy(t2);
	epc_destroy(epc);
}

/*
 * DISTANCE for a caller on a node without EPC, and with the default SLIT
 * (every remote distance 20: all ties, so plain id order, unlike the kernel's
 * order that starts after the caller's id).
 */
static void test_mm_distance_fallback_no_epc_caller(void **state)
{
	/* from node 2: 1 and 3 at 25 tie (1 wins by id), 0 at 40 */
	/* clang-format off */
	const uint8_t slit[16] = {
		10, 20, 40, 20,
		20, 10, 25, 20,
		40, 25, 10, 25,
		20, 20, 25, 10,
	};
	/* clang-format on */
	struct topo tp = {.nr_nodes = 4,
			  .nr_sections = 3,
			  .sec_node = (int[]){0, 1, 3},
			  .pages = 2,
			  .distance = slit,
			  .fallback = EPC_FALLBACK_DISTANCE};
	struct epc *epc = make_topo(&tp);
	struct epc_task *t = make_task(epc, NULL, 2);
	struct epc_page *pages[6], *p = NULL;
	const int order[6] = {1, 1, 3, 3, 0, 0};
	const int dflt[6] = {0, 0, 1, 1, 3, 3};

	(void)state;
	expect_nodes(t, order, 6, pages);
	CHECK_ERR(epc_page_alloc(t, NULL, EPC_NO_RECLAIM, &p), -ENOMEM, "epc_page_alloc");
	free_all(pages, 6);
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);

	tp.distance = NULL;
	epc = make_topo(&tp);
	t = make_task(epc, NULL, 2);
	expect_nodes(t, dflt, 6, pages);
	CHECK_ERR(epc_page_alloc(t, NULL, EPC_NO_RECLAIM, &p), -ENOMEM, "epc_page_alloc");
	free_all(pages, 6);
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/*
 * Per-CPU caches: own cache first, refilled `batch` pages at a time from the
 * own node only; cached pages count as free.
 */
static void test_mm_pcp_own_cache_first(void **state)
{
	/* CPUs 0, 1 on node 0; CPUs 2, 3 on node 1 */
	struct topo tp = {.nr_nodes = 2,
			  .nr_cpus = 4,
			  .cpu_to_node = (int[]){0, 0, 1, 1},
			  .nr_sections = 2,
			  .sec_node = (int[]){0, 1},
			  .pages = 16,
			  .pcp_batch = 4};
	struct epc *epc = make_topo(&tp);
	struct epc__mm *mm = &epc->mm;
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_page *pages[8];

	(void)state;
	pages[0] = alloc_ok(t);
	assert_int_equal(epc_page_node(pages[0]), 0);
	/* one refill of 4: one handed out, 3 cached, 12 left on the node list */
	assert_int_equal(mm->pcps[0].count, 3);
	assert_int_equal(mm->nodes[0].free.nr, 12);
	/* cached pages are free pages: the counts stay exact */
	assert_int_equal(stats(epc).nr_free, 31);
	assert_int_equal(node_stats(epc, 0).nr_free, 15);
	assert_int_equal(node_stats(epc, 1).nr_free, 16);
	/* no other cache was touched, node 1 not at all */
	assert_int_equal(mm->pcps[1].count, 0);
	assert_int_equal(mm->pcps[2].count, 0);
	assert_int_equal(mm->nodes[1].free.nr, 16);
	assert_epc_consistent(epc);

	/* three more from the cache: the node list is not touched */
	for (int i = 1; i < 4; i++) {
		pages[i] = alloc_ok(t);
		CHECK_EQ_AT(epc_page_node(pages[i]), 0, i);
		CHECK_EQ_AT(mm->nodes[0].free.nr, 12, i);
		CHECK_EQ_AT(mm->pcps[0].count, (uint64_t)(3 - i), i);
	}
	/* the fifth refills again */
	pages[4] = alloc_ok(t);
	assert_int_equal(mm->nodes[0].free.nr, 8);
	assert_int_equal(mm->pcps[0].count, 3);
	assert_int_equal(stats(epc).nr_free, 27);
	/* cache hits count as local allocations of node 0 */
	assert_int_equal(node_stats(epc, 0).nr_alloc_local, 5);
	assert_epc_consistent(epc);

	/* a page goes back into the cache of the CPU that allocated it */
	epc_page_free(pages[4]);
	assert_int_equal(mm->pcps[0].count, 4);
	assert_int_equal(stats(epc).nr_free, 28);
	assert_epc_consistent(epc);
	free_all(pages, 4);
	/* 8 cached = 2 * batch: still at the high mark, not drained */
	assert_int_equal(mm->pcps[0].count, 8);
	assert_int_equal(stats(epc).nr_free, 32);
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* A cache above 2 * batch gives batch pages back to its node. */
static void test_mm_pcp_high_mark_drains_batch(void **state)
{
	struct epc *epc = make_epc_ex(1, NULL, 1, 32, 4, NULL);
	struct epc__mm *mm = &epc->mm;
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_page *pages[12];

	(void)state;
	for (int i = 0; i < 12; i++)
		pages[i] = alloc_ok(t);
	/* 12 handed out in 3 refills of 4: the cache is empty */
	assert_int_equal(mm->pcps[0].count, 0);
	assert_int_equal(mm->nodes[0].free.nr, 20);
	for (int i = 0; i < 8; i++)
		epc_page_free(pages[i]);
	assert_int_equal(mm->pcps[0].count, 8);
	/* the ninth goes over 2 * batch: 4 go back to the node */
	epc_page_free(pages[8]);
	assert_int_equal(mm->pcps[0].count, 5);
	assert_int_equal(mm->nodes[0].free.nr, 24);
	assert_int_equal(stats(epc).nr_free, 29);
	assert_epc_consistent(epc);
	free_all(pages + 9, 3);
	assert_int_equal(stats(epc).nr_free, 32);
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/*
 * With the own node empty, remote nodes are searched directly: no refill of
 * the cache with remote pages, and a remote page is freed to its node.
 */
static void test_mm_pcp_remote_direct(void **state)
{
	struct topo tp = {.nr_nodes = 2,
			  .nr_cpus = 4,
			  .cpu_to_node = (int[]){0, 0, 1, 1},
			  .nr_sections = 2,
			  .sec_node = (int[]){0, 1},
			  .pages = 8,
			  .pcp_batch = 4};
	struct epc *epc = make_topo(&tp);
	struct epc__mm *mm = &epc->mm;
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_page *pages[10];

	(void)state;
	for (int i = 0; i < 8; i++) {
		pages[i] = alloc_ok(t);
		CHECK_EQ_AT(epc_page_node(pages[i]), 0, i);
	}
	assert_int_equal(mm->nodes[0].free.nr, 0);
	assert_int_equal(mm->pcps[0].count, 0);
	for (int i = 8; i < 10; i++) {
		pages[i] = alloc_ok(t);
		CHECK_EQ_AT(epc_page_node(pages[i]), 1, i);
		/* one page at a time from node 1's list, none cached anywhere */
		CHECK_EQ_AT(mm->nodes[1].free.nr, (uint64_t)(15 - i), i);
		CHECK_EQ_AT(mm->pcps[0].count, 0, i);
		CHECK_EQ_AT(mm->pcps[2].count, 0, i);
		CHECK_EQ_AT(mm->pcps[3].count, 0, i);
	}
	assert_int_equal(node_stats(epc, 1).nr_alloc_remote, 2);
	assert_epc_consistent(epc);

	/* the remote page does not enter CPU 0's (node 0) cache */
	epc_page_free(pages[9]);
	assert_int_equal(mm->pcps[0].count, 0);
	assert_int_equal(mm->nodes[1].free.nr, 7);
	assert_int_equal(epc__page_state(pages[9]), EPC__PAGE_FREE);
	assert_epc_consistent(epc);
	free_all(pages, 9);
	assert_int_equal(stats(epc).nr_free, 16);
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/*
 * Before -ENOMEM every cache is drained and the search runs again: pages
 * cached for another CPU are found, and -ENOMEM comes only at free == 0.
 */
static void test_mm_pcp_drain_before_enomem(void **state)
{
	struct topo tp = {.nr_nodes = 2,
			  .nr_cpus = 4,
			  .cpu_to_node = (int[]){0, 0, 1, 1},
			  .nr_sections = 2,
			  .sec_node = (int[]){0, 1},
			  .pages = 8,
			  .pcp_batch = 4};
	struct epc *epc = make_topo(&tp);
	struct epc__mm *mm = &epc->mm;
	struct epc_task *t0 = make_task(epc, NULL, 0), *t1 = make_task(epc, NULL, 1),
			*t2 = make_task(epc, NULL, 2);
	struct epc_page *pages[16];
	int n = 0, got;

	(void)state;
	pages[n++] = alloc_ok(t1); /* CPU 1 caches 3 pages of node 0 */
	pages[n++] = alloc_ok(t2); /* CPU 2 caches 3 pages of node 1 */
	assert_int_equal(mm->pcps[1].count, 3);
	assert_int_equal(mm->pcps[2].count, 3);
	assert_int_equal(stats(epc).nr_free, 14);

	/* CPU 0 takes everything, the other caches' pages included */
	got = alloc_all(t0, pages + n, 16 - n);
	assert_int_equal(got, 14);
	n += got;
	assert_int_equal(mm->pcps[1].count, 0);
	assert_int_equal(mm->pcps[2].count, 0);
	assert_int_equal(stats(epc).nr_free, 0);
	assert_epc_consistent(epc);

	/* and once more with only a cached page left somewhere */
	epc_page_free(pages[1]); /* CPU 2's page, back into CPU 2's cache */
	assert_int_equal(mm->pcps[2].count, 1);
	pages[1] = alloc_ok(t0);
	assert_int_equal(epc_page_node(pages[1]), 1);
	assert_int_equal(mm->pcps[2].count, 0);
	assert_epc_consistent(epc);
	free_all(pages, n);
	assert_int_equal(stats(epc).nr_free, 16);
	assert_epc_consistent(epc);
	epc_task_destroy(t0);
	epc_task_destroy(t1);
	epc_task_destroy(t2);
	epc_destroy(epc);
}

/* A poisoned cached page leaves its cache at once and is never allocated. */
static void test_mm_pcp_poisoned_cached_page(void **state)
{
	struct topo tp = {.nr_nodes = 2,
			  .nr_cpus = 4,
			  .cpu_to_node = (int[]){0, 0, 1, 1},
			  .nr_sections = 2,
			  .sec_node = (int[]){0, 1},
			  .pages = 8,
			  .pcp_batch = 4};
	struct epc *epc = make_topo(&tp);
	struct epc__mm *mm = &epc->mm;
	struct epc_task *t1 = make_task(epc, NULL, 1), *t0 = make_task(epc, NULL, 0);
	struct epc_page *pages[16], *cached, *p;
	uint64_t bad, bad2;
	int n = 0, got;

	(void)state;
	pages[n++] = alloc_ok(t1);
	assert_int_equal(mm->pcps[1].count, 3);
	cached = &mm->pages[mm->pcps[1].idx[mm->pcps[1].count - 1]]; /* the top: next out */
	assert_non_null(cached);
	assert_int_equal(epc__page_state(cached), EPC__PAGE_PCP);
	bad = phys_of_index(epc, epc__page_index(epc, cached));
	CHECK_ERR(epc_memory_failure(epc, bad, 0), 0, "epc_memory_failure");
	/* out of the cache, onto the poison list, no longer free */
	assert_int_equal(mm->pcps[1].count, 2);
	assert_int_equal(epc__page_state(cached), EPC__PAGE_POISON);
	assert_int_equal(node_stats(epc, 0).nr_poisoned, 1);
	assert_int_equal(stats(epc).nr_free, 14);
	assert_int_equal(node_stats(epc, 0).nr_free, 6);
	assert_epc_consistent(epc);

	/* a poisoned page in use is not freed into the cache either */
	p = alloc_ok(t1);
	bad2 = epc_page_phys(p);
	CHECK_ERR(epc_memory_failure(epc, bad2, 0), 0, "epc_memory_failure");
	epc_page_free(p);
	assert_int_equal(mm->pcps[1].count, 1);
	assert_int_equal(node_stats(epc, 0).nr_poisoned, 2);
	assert_int_equal(stats(epc).nr_free, 13);
	assert_epc_consistent(epc);

	got = alloc_all(t0, pages + n, 16 - n);
	assert_int_equal(got, 13);
	n += got;
	for (int i = 0; i < n; i++) {
		CHECK_AT(epc_page_phys(pages[i]) != bad, i);
		CHECK_AT(epc_page_phys(pages[i]) != bad2, i);
	}
	free_all(pages, n);
	assert_int_equal(stats(epc).nr_free, 14);
	assert_int_equal(stats(epc).nr_poisoned, 2);
	assert_epc_consistent(epc);
	epc_task_destroy(t0);
	epc_task_destroy(t1);
	epc_destroy(epc);
}

/*
 * A page freed into a cache and then poisoned leaves the cache too (the cache
 * is found from the page's CPU, which the free must record as the cache's).
 */
static void test_mm_pcp_poisoned_after_free_into_cache(void **state)
{
	struct epc *epc = make_epc_ex(2, NULL, 2, 8, 4, NULL);
	struct epc__mm *mm = &epc->mm;
	struct epc_task *t0 = make_task(epc, NULL, 0), *t1 = make_task(epc, NULL, 1);
	struct epc_page *pages[16], *p = alloc_ok(t0);
	uint64_t bad = epc_page_phys(p), idx = epc__page_index(epc, p);
	int n;

	(void)state;
	epc_page_free(p);
	assert_int_equal(epc__page_state(epc__page_at(epc, idx)), EPC__PAGE_PCP);
	assert_int_equal(mm->pcps[0].count, 4);
	CHECK_ERR(epc_memory_failure(epc, bad, 0), 0, "epc_memory_failure");
	/* out of CPU 0's cache at once */
	assert_int_equal(epc__page_state(epc__page_at(epc, idx)), EPC__PAGE_POISON);
	assert_int_equal(mm->pcps[0].count, 3);
	assert_int_equal(stats(epc).nr_free, 15);

	/* every other page, from both CPUs' caches and both nodes; never @bad */
	n = alloc_all(t0, pages, 16);
	assert_int_equal(n, 15);
	for (int i = 0; i < n; i++)
		CHECK_AT(epc_page_phys(pages[i]) != bad, i);
	free_all(pages, n);
	assert_epc_consistent(epc);
	epc_task_destroy(t0);
	epc_task_destroy(t1);
	epc_destroy(epc);
}

/* A CPU on a node without EPC has no cache and searches the nodes directly. */
static void test_mm_pcp_no_epc_cpu_has_no_cache(void **state)
{
	struct epc *epc = make_epc_ex(4, (int[]){0, 1, 3}, 3, 8, 4, NULL);
	struct epc__mm *mm = &epc->mm;
	struct epc_task *t = make_task(epc, NULL, 2);
	struct epc_page *p = alloc_ok(t);

	(void)state;
	/* NODE_ORDER from node 2: node 3 first; one page, no refill anywhere */
	assert_int_equal(epc_page_node(p), 3);
	CHECK(!mm->pcps[2].enabled, "CPU 2 (on node 2, without EPC) has no cache");
	for (int c = 0; c < 4; c++)
		CHECK_EQ_AT(mm->pcps[c].count, 0, c);
	assert_int_equal(mm->nodes[3].free.nr, 7);
	epc_page_free(p);
	assert_int_equal(mm->nodes[3].free.nr, 8);
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/*
 * A caller without a cache (its node has no EPC) also drains the other CPUs'
 * caches before -ENOMEM: free pages in caches are free pages.
 */
static void test_mm_pcp_cacheless_caller_drains_before_enomem(void **state)
{
	struct epc *epc = make_epc_ex(4, (int[]){0, 1, 3}, 3, 4, 4, NULL);
	struct epc__mm *mm = &epc->mm;
	struct epc_task *t[4];
	struct epc_page *pages[12];
	int n = 0, got;

	(void)state;
	for (int c = 0; c < 4; c++)
		t[c] = make_task(epc, NULL, c);
	/* CPUs 0, 1, 3 each take one page and cache the other 3 of their node */
	pages[n++] = alloc_ok(t[0]);
	pages[n++] = alloc_ok(t[1]);
	pages[n++] = alloc_ok(t[3]);
	for (int nid = 0; nid < 4; nid++)
		CHECK_EQ_AT(mm->nodes[nid].free.nr, 0, nid);
	assert_int_equal(stats(epc).nr_free, 9);

	/* CPU 2 (node 2, no EPC, no cache) gets all 9, then -ENOMEM */
	got = alloc_all(t[2], pages + n, 12 - n);
	assert_int_equal(got, 9);
	n += got;
	assert_int_equal(stats(epc).nr_free, 0);
	assert_epc_consistent(epc);
	free_all(pages, n);
	assert_int_equal(stats(epc).nr_free, 12);
	assert_epc_consistent(epc);
	for (int c = 0; c < 4; c++)
		epc_task_destroy(t[c]);
	epc_destroy(epc);
}

/* sysfs text: "%lu\n", and every error epc_node_read() lists. */
static void test_mm_node_read(void **state)
{
	struct epc *epc = make_epc_ex(4, (int[]){0, 1, 3}, 3, 3, 0, NULL);
	char buf[32];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(epc_node_read(epc, 3, "sgx_total_bytes", buf, sizeof(buf)), 6);
	/* exactly the bytes, a newline, a NUL */
	assert_memory_equal(buf, "12288\n", 7);
	assert_int_equal(epc_node_read(epc, 0, "sgx_total_bytes", buf, sizeof(buf)), 6);
	assert_string_equal(buf, "12288\n");

	CHECK_ERR(epc_node_read(epc, 2, "sgx_total_bytes", buf, sizeof(buf)), -ENOENT,
		  "epc_node_read");
	CHECK_ERR(epc_node_read(epc, 0, "sgx_free_bytes", buf, sizeof(buf)), -ENOENT,
		  "epc_node_read");
	CHECK_ERR(epc_node_read(epc, 0, "", buf, sizeof(buf)), -ENOENT, "epc_node_read");
	CHECK_ERR(epc_node_read(epc, 0, "sgx_total_bytes\n", buf, sizeof(buf)), -ENOENT,
		  "epc_node_read");
	CHECK_ERR(epc_node_read(epc, -1, "sgx_total_bytes", buf, sizeof(buf)), -EINVAL,
		  "epc_node_read");
	CHECK_ERR(epc_node_read(epc, 4, "sgx_total_bytes", buf, sizeof(buf)), -EINVAL,
		  "epc_node_read");
	CHECK_ERR(epc_node_read(epc, 64, "sgx_total_bytes", buf, sizeof(buf)), -EINVAL,
		  "epc_node_read");

	/* the text is 6 bytes and needs a 7th for its NUL */
	CHECK_ERR(epc_node_read(epc, 1, "sgx_total_bytes", buf, 6), -ENOSPC, "epc_node_read");
	CHECK_ERR(epc_node_read(epc, 1, "sgx_total_bytes", buf, 0), -ENOSPC, "epc_node_read");
	assert_int_equal(epc_node_read(epc, 1, "sgx_total_bytes", buf, 7), 6);
	assert_string_equal(buf, "12288\n");
	epc_destroy(epc);
}

/* A large node: the value is printed in full, no unit, no rounding. */
static void test_mm_node_read_large(void **state)
{
	struct epc_section_desc s[2] = {
		{.phys_addr = 1ULL << 40, .size = 8ULL << 30, .node = 1},
		{.phys_addr = 1ULL << 41, .size = 4096 * 3, .node = 1},
	};
	struct epc_config c = {.nr_nodes = 2,
			       .sections = s,
			       .nr_sections = 2,
			       .background = EPC_BACKGROUND_MANUAL,
			       .no_contents = true,
			       .log = log_quiet};
	struct epc *epc = NULL;
	char buf[32];

	(void)state;
	CHECK_ERR(epc_create2(&c, sizeof(c), &epc), 0, "epc_create2");
	/* 8 GiB + 12 KiB; no sanitization needed to read the size */
	assert_int_equal(epc_node_read(epc, 1, "sgx_total_bytes", buf, sizeof(buf)), 11);
	assert_string_equal(buf, "8589946880\n");
	CHECK_ERR(epc_node_read(epc, 0, "sgx_total_bytes", buf, sizeof(buf)), -ENOENT,
		  "epc_node_read");
	epc_destroy(epc);
}

/* v6.12's info line for a node with CPUs but no EPC, and only for it. */
static void test_mm_info_line_node_without_epc(void **state)
{
	struct log_catcher *lc = lc_new();
	struct epc *epc = make_epc_ex(4, (int[]){0, 1, 3}, 3, 2, 0, lc);
	struct topo tp = {.nr_nodes = 4,
			  .nr_cpus = 3,
			  .cpu_to_node = (int[]){0, 1, 3},
			  .nr_sections = 3,
			  .sec_node = (int[]){0, 1, 3},
			  .pages = 2};

	(void)state;
	assert_int_equal(
		log_count(lc, "node2 has both CPUs and memory but doesn't have an EPC section"), 1);
	assert_int_equal(log_level_of(lc, "node2 has both"), LOG_INFO);
	assert_int_equal(log_count(lc, "doesn't have an EPC section"), 1);
	epc_destroy(epc);

	/* no CPU on node 2: no line */
	memset(lc, 0, sizeof(*lc));
	tp.lc = lc;
	epc = make_topo(&tp);
	assert_int_equal(log_count(lc, "doesn't have an EPC section"), 0);
	epc_destroy(epc);
	free(lc);
}

/* DESIGN §5: ≤ 32 bytes of manager metadata per page, ≤ 8 of EPCM. */
static void test_mm_metadata_budget(void **state)
{
	struct epc *epc = make_epc(4);
	struct epc_stats st = stats(epc);

	(void)state;
	CHECK(st.meta_bytes_per_page > 0 && st.meta_bytes_per_page <= 32,
	      check_fmt("page record of 1 to 32 bytes: %llu",
			(unsigned long long)st.meta_bytes_per_page));
	CHECK(st.epcm_bytes_per_page > 0 && st.epcm_bytes_per_page <= 8,
	      check_fmt("EPCM entry of 1 to 8 bytes: %llu",
			(unsigned long long)st.epcm_bytes_per_page));
	assert_int_equal(st.meta_bytes_per_page, sizeof(struct epc_page));
	epc_destroy(epc);
}

/* epc_page_phys/node/owner, and the index helpers tests rely on. */
static void test_mm_page_accessors(void **state)
{
	struct epc *epc = make_epc_ex(3, (int[]){2, 0}, 2, 4, 0, NULL);
	struct epc_task *t2 = make_task(epc, NULL, 2), *t0 = make_task(epc, NULL, 0);
	struct epc_page *pages[8];
	int owners[8];

	(void)state;
	for (int i = 0; i < 8; i++) {
		struct epc_task *t = i < 4 ? t2 : t0;

		CHECK_EQ_AT(epc_page_alloc(t, &owners[i], EPC_NO_RECLAIM, &pages[i]), 0, i);
		/* section i / 4 (node 2 then node 0), pages in address order */
		CHECK_EQ_AT(epc_page_phys(pages[i]),
			    ((uint64_t)(i / 4 + 1) << 32) + (uint64_t)(i % 4) * PAGE, i);
		CHECK_EQ_AT(epc_page_node(pages[i]), i < 4 ? 2 : 0, i);
		CHECK_AT(epc_page_owner(pages[i]) == &owners[i], i);
		CHECK_EQ_AT(epc__page_index(epc, pages[i]), (uint64_t)i, i);
		CHECK_AT(epc__page_at(epc, (uint64_t)i) == pages[i], i);
	}
	CHECK_EQ(epc->mm.nr_pages, 8, "the 8 pages are every page there is");
	/* a NULL owner is stored as NULL */
	epc_page_free(pages[0]);
	pages[0] = alloc_ok(t0); /* node 0 is empty: node 2's page comes back */
	assert_null(epc_page_owner(pages[0]));
	assert_int_equal(epc_page_node(pages[0]), 2);
	/* freeing NULL is a no-op */
	epc_page_free(NULL);
	assert_epc_consistent(epc);
	free_all(pages, 8);
	epc_task_destroy(t0);
	epc_task_destroy(t2);
	epc_destroy(epc);
}

/* An unknown reclaim mode is rejected and leaves no charge. */
static void test_mm_alloc_bad_reclaim_mode(void **state)
{
	struct epc *epc = make_epc(4);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_page *p = NULL;

	(void)state;
	CHECK_ERR(epc_page_alloc(t, NULL, (enum epc_reclaim)2, &p), -EINVAL, "epc_page_alloc");
	assert_null(p);
	assert_int_equal(stats(epc).nr_free, 4);
	assert_int_equal(cg_usage(epc_cgroup_root(epc)), 0);
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* task_set_cpu moves the task's allocations to the new CPU's node. */
static void test_mm_task_set_cpu_moves_node(void **state)
{
	struct log_catcher *lc = lc_new();
	struct epc *epc = make_epc_ex(4, NULL, 4, 4, 0, lc);
	struct epc_task *t = make_task(epc, NULL, 0), *bad = (struct epc_task *)lc;
	struct epc_page *pages[3];

	(void)state;
	pages[0] = alloc_ok(t);
	assert_int_equal(epc_page_node(pages[0]), 0);
	CHECK_ERR(epc_task_set_cpu(t, 3), 0, "epc_task_set_cpu");
	assert_int_equal(epc_task_cpu(t), 3);
	assert_int_equal(epc_task_node(t), 3);
	pages[1] = alloc_ok(t);
	assert_int_equal(epc_page_node(pages[1]), 3);

	/* bad CPUs: rejected, nothing changes, the log names the CPU */
	CHECK_ERR(epc_task_set_cpu(t, -1), -EINVAL, "epc_task_set_cpu");
	CHECK_ERR(epc_task_set_cpu(t, 4), -EINVAL, "epc_task_set_cpu");
	CHECK_ERR(epc_task_set_cpu(t, EPC_MAX_CPUS), -EINVAL, "epc_task_set_cpu");
	assert_int_equal(epc_task_cpu(t), 3);
	assert_int_equal(log_count(lc, "cpu -1 out of range"), 1);
	assert_int_equal(log_count(lc, "cpu 4 out of range"), 1);
	CHECK_ERR(epc_task_create(epc, NULL, -1, &bad), -EINVAL, "epc_task_create");
	CHECK_ERR(epc_task_create(epc, NULL, 4, &bad), -EINVAL, "epc_task_create");
	/* *out untouched on error */
	assert_ptr_equal(bad, (struct epc_task *)lc);
	pages[2] = alloc_ok(t);
	assert_int_equal(epc_page_node(pages[2]), 3);

	/* back to CPU 1 */
	CHECK_ERR(epc_task_set_cpu(t, 1), 0, "epc_task_set_cpu");
	epc_page_free(pages[2]);
	pages[2] = alloc_ok(t);
	assert_int_equal(epc_page_node(pages[2]), 1);
	assert_epc_consistent(epc);
	free_all(pages, 3);
	epc_task_destroy(t);
	epc_destroy(epc);
	free(lc);
}

/* The default CPU map is cpu % nr_nodes. */
static void test_mm_default_cpu_map(void **state)
{
	struct topo tp = {.nr_nodes = 3,
			  .nr_cpus = 7,
			  .nr_sections = 3,
			  .sec_node = (int[]){0, 1, 2},
			  .pages = 4};
	struct epc *epc = make_topo(&tp);

	(void)state;
	for (int c = 0; c < 7; c++) {
		struct epc_task *t = make_task(epc, NULL, c);
		struct epc_page *p = alloc_ok(t);

		CHECK_EQ_AT(epc_task_node(t), c % 3, c);
		CHECK_EQ_AT(epc_page_node(p), c % 3, c);
		epc_page_free(p);
		epc_task_destroy(t);
	}
	assert_epc_consistent(epc);
	epc_destroy(epc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mm_b01_node_sizes_and_capacity),
		cmocka_unit_test(test_mm_b02_no_node_falls_back_to_node0),
		cmocka_unit_test(test_mm_b03_section_limit),
		cmocka_unit_test(test_mm_b04_zero_sections_fail),
		cmocka_unit_test(test_mm_b05_sanitize_makes_pages_free),
		cmocka_unit_test(test_mm_b06_eremove_failure_pass2_and_leak),
		cmocka_unit_test(test_mm_b07_poisoned_dirty_page_never_allocated),
		cmocka_unit_test(test_mm_b08_local_node_first),
		cmocka_unit_test(test_mm_b09_fallback_next_id_wrapping),
		cmocka_unit_test(test_mm_b10_no_epc_caller_order_and_enomem),
		cmocka_unit_test(test_mm_b11_all_empty_enomem),
		cmocka_unit_test(test_mm_b12_alloc_takes_exactly_one),
		cmocka_unit_test(test_mm_b13_free_appends_at_tail),
		cmocka_unit_test(test_mm_b14_free_restores_count),
		cmocka_unit_test(test_mm_b15_free_poisoned_goes_to_poison_list),
		cmocka_unit_test(test_mm_b16_memory_failure_free_page),
		cmocka_unit_test(test_mm_b17_memory_failure_in_use_page),
		cmocka_unit_test(test_mm_b18_memory_failure_bad_address_and_flags),
		cmocka_unit_test(test_mm_distance_fallback_nearest_first),
		cmocka_unit_test(test_mm_distance_fallback_no_epc_caller),
		cmocka_unit_test(test_mm_pcp_own_cache_first),
		cmocka_unit_test(test_mm_pcp_high_mark_drains_batch),
		cmocka_unit_test(test_mm_pcp_remote_direct),
		cmocka_unit_test(test_mm_pcp_drain_before_enomem),
		cmocka_unit_test(test_mm_pcp_poisoned_cached_page),
		cmocka_unit_test(test_mm_pcp_poisoned_after_free_into_cache),
		cmocka_unit_test(test_mm_pcp_no_epc_cpu_has_no_cache),
		cmocka_unit_test(test_mm_pcp_cacheless_caller_drains_before_enomem),
		cmocka_unit_test(test_mm_node_read),
		cmocka_unit_test(test_mm_node_read_large),
		cmocka_unit_test(test_mm_info_line_node_without_epc),
		cmocka_unit_test(test_mm_metadata_budget),
		cmocka_unit_test(test_mm_page_accessors),
		cmocka_unit_test(test_mm_alloc_bad_reclaim_mode),
		cmocka_unit_test(test_mm_task_set_cpu_moves_node),
		cmocka_unit_test(test_mm_default_cpu_map),
	};

	return cmocka_run_group_tests_name("mm", tests, NULL, NULL);
}
