// SPDX-License-Identifier: MIT
/*
 * test_config.c - epc_create()'s validation of struct epc_config, its
 * defaults, the lifecycle in both background modes, and two instances side
 * by side.
 *
 * Every bad field must give -EINVAL, a LOG_ERR line that names the field, and
 * leave *out untouched; a failed create must leak nothing (ASan/LSan in CI
 * check that part, each case only creates and fails).
 */
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <syslog.h>

#include "helpers.h"

static struct log_catcher *lc_new(void)
{
	struct log_catcher *lc = calloc(1, sizeof(*lc));

	assert_non_null(lc);
	return lc;
}

/* Two nodes, sections of 16 pages at 4 GiB (node 0) and 8 GiB (node 1). */
struct base {
	struct epc_section_desc s[EPC_MAX_SECTIONS + 1];
	struct epc_config c;
};

static void base_init(struct base *b)
{
	memset(b, 0, sizeof(*b));
	for (int i = 0; i < EPC_MAX_SECTIONS + 1; i++) {
		b->s[i].phys_addr = (uint64_t)(i + 1) << 32;
		b->s[i].size = 16 * PAGE;
		b->s[i].node = i % 2;
	}
	b->c.nr_nodes = 2;
	b->c.sections = b->s;
	b->c.nr_sections = 2;
	b->c.background = EPC_BACKGROUND_MANUAL;
	b->c.log = log_quiet;
}

/*
 * @c must be rejected: -EINVAL, *out untouched, and a LOG_ERR line
 * containing @needle (the name of the bad field).
 */
static void expect_invalid(struct epc_config *c, const char *needle)
{
	struct log_catcher *lc = lc_new();
	struct epc *sentinel = (struct epc *)lc, *out = sentinel;
	int i;

	c->log = log_catch;
	c->log_arg = lc;
	CHECK_ERR(epc_create2(c, sizeof(struct epc_config), &out), -EINVAL, "epc_create2");
	assert_ptr_equal(out, sentinel);
	for (i = 0; i < lc->nr; i++)
		if (strstr(lc->lines[i], needle))
			break;
	if (i == lc->nr)
		fail_msg("no log line names \"%s\" (%d lines; first: \"%s\")", needle, lc->nr,
			 lc->nr ? lc->lines[0] : "");
	assert_int_equal(lc->level[i], LOG_ERR);
	c->log = log_quiet;
	c->log_arg = NULL;
	free(lc);
}

/* @c must be accepted; the instance is sanitized and checked, then destroyed. */
static void expect_valid(struct epc_config *c)
{
	struct epc *epc = NULL;

	CHECK_ERR(epc_create2(c, sizeof(struct epc_config), &epc), 0, "epc_create2");
	assert_non_null(epc);
	CHECK_ERR(epc_sanitize_wait(epc), 0, "epc_sanitize_wait");
	assert_epc_consistent(epc);
	epc_destroy(epc);
}

/* ======================================================== bad fields */

static void test_config_null(void **state)
{
	struct epc *sentinel = (struct epc *)&sentinel, *out = sentinel;
	struct base b;

	(void)state;
	CHECK_ERR(epc_create2(NULL, sizeof(struct epc_config), &out), -EINVAL, "epc_create2");
	assert_ptr_equal(out, sentinel);
	/* and the base config the other cases break one field of is fine */
	base_init(&b);
	expect_valid(&b.c);
}

static void test_config_nr_nodes(void **state)
{
	struct base b;
	const int bad[] = {0, -1, EPC_MAX_NODES + 1, 1000, -2147483647 - 1};

	(void)state;
	base_init(&b);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b.c.nr_nodes = bad[i];
		expect_invalid(&b.c, "nr_nodes");
	}
	/* the largest is fine */
	b.c.nr_nodes = EPC_MAX_NODES;
	expect_valid(&b.c);
}

static void test_config_nr_cpus(void **state)
{
	struct base b;

	(void)state;
	base_init(&b);
	b.c.nr_cpus = -1;
	expect_invalid(&b.c, "nr_cpus");
	b.c.nr_cpus = EPC_MAX_CPUS + 1;
	expect_invalid(&b.c, "nr_cpus");
	b.c.nr_cpus = EPC_MAX_CPUS;
	expect_valid(&b.c);
}

static void test_config_cpu_to_node(void **state)
{
	struct base b;
	const int map4[4] = {0, 1, 0, 2};    /* node 2 of 2 nodes: out of range */
	const int mapneg[4] = {0, -1, 0, 1}; /* negative */
	const int map2[2] = {1, 7};	     /* nr_cpus 0: nr_nodes entries are read */

	(void)state;
	base_init(&b);
	b.c.nr_cpus = 4;
	b.c.cpu_to_node = map4;
	expect_invalid(&b.c, "cpu_to_node[3]");
	b.c.cpu_to_node = mapneg;
	expect_invalid(&b.c, "cpu_to_node[1]");
	b.c.nr_cpus = 0;
	b.c.cpu_to_node = map2;
	expect_invalid(&b.c, "cpu_to_node[1]");
	/* nr_cpus 0 reads exactly nr_nodes entries (ASan would see one more) */
	b.c.cpu_to_node = (const int[2]){1, 0};
	expect_valid(&b.c);
}

static void test_config_distance(void **state)
{
	struct base b;

	(void)state;
	base_init(&b);
	/* the diagonal must be 10 */
	b.c.distance = (const uint8_t[4]){10, 20, 20, 11};
	expect_invalid(&b.c, "distance[1][1]");
	b.c.distance = (const uint8_t[4]){0, 20, 20, 10};
	expect_invalid(&b.c, "distance[0][0]");
	/* remote distances must be > 10 */
	b.c.distance = (const uint8_t[4]){10, 10, 20, 10};
	expect_invalid(&b.c, "distance[0][1]");
	b.c.distance = (const uint8_t[4]){10, 20, 0, 10};
	expect_invalid(&b.c, "distance[1][0]");
	b.c.distance = (const uint8_t[4]){10, 11, 254, 10};
	expect_valid(&b.c);
}

static void test_config_sections_count(void **state)
{
	struct base b;

	(void)state;
	base_init(&b);
	b.c.sections = NULL;
	expect_invalid(&b.c, "sections");
	b.c.sections = b.s;
	b.c.nr_sections = 0;
	expect_invalid(&b.c, "nr_sections");
	b.c.nr_sections = -1;
	expect_invalid(&b.c, "nr_sections");
	b.c.nr_sections = EPC_MAX_SECTIONS + 1;
	expect_invalid(&b.c, "nr_sections");
	b.c.nr_sections = EPC_MAX_SECTIONS;
	expect_valid(&b.c);
}

static void test_config_section_alignment_and_size(void **state)
{
	struct base b;

	(void)state;
	base_init(&b);
	b.s[1].phys_addr += 1;
	expect_invalid(&b.c, "sections[1].phys_addr");
	b.s[1].phys_addr += 2047;
	expect_invalid(&b.c, "sections[1].phys_addr");
	base_init(&b);
	b.s[1].size = 0;
	expect_invalid(&b.c, "sections[1].size");
	b.s[1].size = PAGE + 1;
	expect_invalid(&b.c, "sections[1].size");
	b.s[1].size = 100;
	expect_invalid(&b.c, "sections[1].size");
	b.s[0].size = PAGE;
	b.s[1].size = PAGE;
	expect_valid(&b.c);
}

static void test_config_section_overlap_and_wrap(void **state)
{
	struct base b;

	(void)state;
	base_init(&b);
	/* the same range */
	b.s[1].phys_addr = b.s[0].phys_addr;
	expect_invalid(&b.c, "sections[1] overlaps sections[0]");
	/* one page in common at the end of section 0 */
	b.s[1].phys_addr = b.s[0].phys_addr + 15 * PAGE;
	expect_invalid(&b.c, "sections[1] overlaps sections[0]");
	/* section 1 inside section 0 */
	b.s[1].phys_addr = b.s[0].phys_addr + PAGE;
	b.s[1].size = PAGE;
	expect_invalid(&b.c, "sections[1] overlaps sections[0]");
	/* section 0 inside section 1 */
	b.s[1].phys_addr = b.s[0].phys_addr - PAGE;
	b.s[1].size = 32 * PAGE;
	expect_invalid(&b.c, "sections[1] overlaps sections[0]");
	/* the third section overlapping the first of three */
	base_init(&b);
	b.c.nr_sections = 3;
	b.s[2].phys_addr = b.s[0].phys_addr + 8 * PAGE;
	expect_invalid(&b.c, "sections[2] overlaps sections[0]");
	/* touching is not overlapping */
	b.s[2].phys_addr = b.s[0].phys_addr + 16 * PAGE;
	expect_valid(&b.c);

	/* a range that runs past the end of the address space */
	base_init(&b);
	b.s[1].phys_addr = UINT64_MAX - PAGE + 1;
	b.s[1].size = 2 * PAGE;
	expect_invalid(&b.c, "sections[1] wraps");
}

static void test_config_section_node(void **state)
{
	struct base b;
	struct epc_node_stats ns;
	struct epc *epc = NULL;

	(void)state;
	base_init(&b);
	b.s[1].node = 2; /* nodes are 0..1 */
	expect_invalid(&b.c, "sections[1].node");
	b.s[1].node = EPC_MAX_NODES;
	expect_invalid(&b.c, "sections[1].node");
	b.s[1].node = -2; /* negative, but not EPC_NO_NODE */
	expect_invalid(&b.c, "sections[1].node");

	/* EPC_NO_NODE is accepted: the section goes to node 0 */
	b.s[1].node = EPC_NO_NODE;
	CHECK_ERR(epc_create2(&b.c, sizeof(struct epc_config), &epc), 0, "epc_create2");
	CHECK_ERR(epc_node_get_stats(epc, 0, &ns, sizeof(ns)), 0, "epc_node_get_stats");
	assert_int_equal(ns.nr_total, 32);
	CHECK_ERR(epc_node_get_stats(epc, 1, &ns, sizeof(ns)), 0, "epc_node_get_stats");
	CHECK(!ns.has_epc, "node 1 has no section");
	epc_destroy(epc);
}

static void test_config_too_many_pages(void **state)
{
	struct base b;

	(void)state;
	base_init(&b);
	/* 2^32 pages in one section: over EPC__MAX_PAGES */
	b.s[1].phys_addr = 1ULL << 50;
	b.s[1].size = (1ULL << 32) * PAGE;
	b.c.no_contents = true;
	expect_invalid(&b.c, "pages in all");
}

static void test_config_pcp_batch(void **state)
{
	struct base b;

	(void)state;
	base_init(&b);
	b.c.pcp_batch = EPC_PCP_BATCH_MAX + 1;
	expect_invalid(&b.c, "pcp_batch");
	b.c.pcp_batch = UINT32_MAX;
	expect_invalid(&b.c, "pcp_batch");
	b.c.pcp_batch = EPC_PCP_BATCH_MAX;
	expect_valid(&b.c);
}

static void test_config_unknown_enums(void **state)
{
	struct base b;

	(void)state;
	base_init(&b);
	b.c.fallback = (enum epc_fallback)2;
	expect_invalid(&b.c, "fallback");
	b.c.fallback = (enum epc_fallback)(-1);
	expect_invalid(&b.c, "fallback");
	b.c.fallback = EPC_FALLBACK_DISTANCE;
	b.c.background = (enum epc_background)2;
	expect_invalid(&b.c, "background");
	b.c.background = (enum epc_background)(-1);
	expect_invalid(&b.c, "background");
	b.c.background = EPC_BACKGROUND_MANUAL;
	expect_valid(&b.c);
}

/* ========================================================== defaults */

/* nr_cpus 0 = nr_nodes, cpu_to_node = cpu % nr_nodes. */
static void test_config_default_cpus(void **state)
{
	struct base b;
	struct epc *epc = NULL;
	struct epc_task *t = NULL, *sentinel = (struct epc_task *)&b;

	(void)state;
	base_init(&b);
	b.c.nr_nodes = 3;
	CHECK_ERR(epc_create2(&b.c, sizeof(struct epc_config), &epc), 0, "epc_create2");
	for (int c = 0; c < 3; c++) {
		t = make_task(epc, NULL, c);
		CHECK_EQ_AT(epc_task_node(t), c, c);
		epc_task_destroy(t);
	}
	/* exactly nr_nodes CPUs */
	t = sentinel;
	CHECK_ERR(epc_task_create(epc, NULL, 3, &t), -EINVAL, "epc_task_create");
	assert_ptr_equal(t, sentinel);
	epc_destroy(epc);

	/* more CPUs than nodes, default map */
	b.c.nr_cpus = 7;
	CHECK_ERR(epc_create2(&b.c, sizeof(struct epc_config), &epc), 0, "epc_create2");
	for (int c = 0; c < 7; c++) {
		t = make_task(epc, NULL, c);
		CHECK_EQ_AT(epc_task_node(t), c % 3, c);
		epc_task_destroy(t);
	}
	epc_destroy(epc);
}

/* A zeroed config with only nodes and sections: THREADS, NODE_ORDER, no pcp. */
static void test_config_zero_fields_are_defaults(void **state)
{
	struct epc_section_desc s = {.phys_addr = 1ULL << 32, .size = 8 * PAGE, .node = 0};
	struct epc_config c = {.nr_nodes = 1, .sections = &s, .nr_sections = 1, .log = log_quiet};
	struct epc *epc = NULL;
	struct epc_stats st;

	(void)state;
	assert_int_equal(EPC_BACKGROUND_THREADS, 0);
	assert_int_equal(EPC_FALLBACK_NODE_ORDER, 0);
	CHECK_ERR(epc_create2(&c, sizeof(c), &epc), 0, "epc_create2");
	/* THREADS: ksgxd sanitizes; MANUAL stepping is refused */
	CHECK_ERR(epc_sanitize_wait(epc), 0, "epc_sanitize_wait");
	epc_get_stats2(epc, &st, sizeof(st));
	assert_int_equal(st.nr_free, 8);
	CHECK_ERR(epc_run_background(epc), -EINVAL, "epc_run_background");
	/* no per-CPU cache */
	assert_int_equal(epc->mm.pcp_batch, 0);
	CHECK(!epc->mm.pcps[0].enabled, "pcp_batch 0: no per-CPU cache");
	assert_epc_consistent(epc);
	epc_destroy(epc);
}

/* The config is copied: the caller's arrays may go right after create. */
static void test_config_is_copied(void **state)
{
	struct epc_section_desc *s = calloc(2, sizeof(*s));
	int *map = calloc(4, sizeof(int));
	uint8_t *slit = malloc(4);
	struct epc_config *c = calloc(1, sizeof(*c));
	struct epc *epc = NULL;
	struct epc_task *t;
	struct epc_page *p;
	char buf[32];

	(void)state;
	assert_true(s && map && slit && c);
	s[0] = (struct epc_section_desc){.phys_addr = 1ULL << 32, .size = 4 * PAGE, .node = 0};
	s[1] = (struct epc_section_desc){.phys_addr = 2ULL << 32, .size = 8 * PAGE, .node = 1};
	map[0] = 1, map[1] = 1, map[2] = 0, map[3] = 0;
	memcpy(slit, (uint8_t[4]){10, 30, 30, 10}, 4);
	*c = (struct epc_config){.nr_nodes = 2,
				 .nr_cpus = 4,
				 .cpu_to_node = map,
				 .distance = slit,
				 .sections = s,
				 .nr_sections = 2,
				 .fallback = EPC_FALLBACK_DISTANCE,
				 .background = EPC_BACKGROUND_MANUAL,
				 .log = log_quiet};
	CHECK_ERR(epc_create2(c, sizeof(struct epc_config), &epc), 0, "epc_create2");
	memset(s, 0xff, 2 * sizeof(*s));
	memset(map, 0xff, 4 * sizeof(int));
	memset(slit, 0, 4);
	free(s);
	free(map);
	free(slit);
	free(c);

	CHECK_ERR(epc_sanitize_wait(epc), 0, "epc_sanitize_wait");
	assert_int_equal(epc_node_read(epc, 1, "sgx_total_bytes", buf, sizeof(buf)), 6);
	assert_string_equal(buf, "32768\n");
	t = make_task(epc, NULL, 0);
	/* CPU 0 was on node 1 in the (freed) map */
	assert_int_equal(epc_task_node(t), 1);
	CHECK_ERR(epc_page_alloc(t, NULL, EPC_NO_RECLAIM, &p), 0, "epc_page_alloc");
	assert_int_equal(epc_page_node(p), 1);
	assert_int_equal(epc_page_phys(p), 2ULL << 32);
	epc_page_free(p);
	epc_task_destroy(t);
	assert_epc_consistent(epc);
	epc_destroy(epc);
}

/* ========================================================= lifecycle */

/* THREADS: ksgxd sanitizes, epc_sanitize_wait waits, destroy stops it. */
static void test_config_threads_lifecycle(void **state)
{
	struct log_catcher *lc = lc_new();
	struct base b;
	struct epc *epc = NULL;
	struct epc_stats st;
	struct epc_task *t;
	struct epc_page *p;

	(void)state;
	base_init(&b);
	b.c.background = EPC_BACKGROUND_THREADS;
	b.c.log = log_catch;
	b.c.log_arg = lc;
	CHECK_ERR(epc_create2(&b.c, sizeof(struct epc_config), &epc), 0, "epc_create2");
	CHECK_ERR(epc_sanitize_wait(epc), 0, "epc_sanitize_wait");
	epc_get_stats2(epc, &st, sizeof(st));
	assert_int_equal(st.nr_free, 32);
	assert_int_equal(st.nr_dirty, 0);
	/* a second wait returns at once */
	CHECK_ERR(epc_sanitize_wait(epc), 0, "epc_sanitize_wait");
	/* stepping the background work is for MANUAL mode only, and says so */
	CHECK_ERR(epc_run_background(epc), -EINVAL, "epc_run_background");
	assert_int_equal(log_count(lc, "MANUAL"), 1);

	t = make_task(epc, NULL, 1);
	CHECK_ERR(epc_page_alloc(t, NULL, EPC_NO_RECLAIM, &p), 0, "epc_page_alloc");
	assert_int_equal(epc_page_node(p), 1);
	epc_page_free(p);
	epc_task_destroy(t);
	assert_epc_consistent(epc);
	epc_destroy(epc);
	free(lc);
}

/* THREADS: destroy while ksgxd is still sanitizing a big EPC: no hang, no leak. */
static void test_config_threads_destroy_during_sanitize(void **state)
{
	struct epc_section_desc s = {.phys_addr = 1ULL << 36, .size = 1ULL << 32, .node = 0};
	struct epc_config c = {.nr_nodes = 1,
			       .sections = &s,
			       .nr_sections = 1,
			       .background = EPC_BACKGROUND_THREADS,
			       .no_contents = true,
			       .log = log_quiet};
	struct epc *epc = NULL;

	(void)state;
	for (int i = 0; i < 3; i++) {
		CHECK_EQ_AT(epc_create2(&c, sizeof(c), &epc), 0, i);
		epc_destroy(epc);
	}
	epc_destroy(NULL);
}

/* MANUAL: epc_run_background runs ksgxd's pending work, sanitization first. */
static void test_config_manual_run_background(void **state)
{
	struct base b;
	struct epc *epc = NULL;
	struct epc_stats st;

	(void)state;
	base_init(&b);
	CHECK_ERR(epc_create2(&b.c, sizeof(struct epc_config), &epc), 0, "epc_create2");
	epc_get_stats2(epc, &st, sizeof(st));
	/* MANUAL: nothing runs on its own */
	assert_int_equal(st.nr_free, 0);
	assert_int_equal(st.nr_dirty, 32);
	CHECK_ERR(epc_run_background(epc), 0, "epc_run_background");
	epc_get_stats2(epc, &st, sizeof(st));
	assert_int_equal(st.nr_free, 32);
	assert_int_equal(st.nr_dirty, 0);
	/* nothing left for either */
	CHECK_ERR(epc_sanitize_wait(epc), 0, "epc_sanitize_wait");
	CHECK_ERR(epc_run_background(epc), 0, "epc_run_background");
	epc_get_stats2(epc, &st, sizeof(st));
	assert_int_equal(st.nr_free, 32);
	assert_epc_consistent(epc);
	epc_destroy(epc);
}

/* Two instances with the same addresses share nothing. */
static void test_config_two_instances(void **state)
{
	struct base b;
	struct epc *a = NULL, *c = NULL;
	struct epc_task *ta, *tc;
	struct epc_page *pa, *pc;
	struct epc_stats st;
	struct epc_cgroup *cga, *cgc;

	(void)state;
	base_init(&b);
	CHECK_ERR(epc_create2(&b.c, sizeof(struct epc_config), &a), 0, "epc_create2");
	b.c.background = EPC_BACKGROUND_THREADS;
	b.c.pcp_batch = 4;
	CHECK_ERR(epc_create2(&b.c, sizeof(struct epc_config), &c), 0, "epc_create2");
	CHECK_ERR(epc_sanitize_wait(a), 0, "epc_sanitize_wait");
	CHECK_ERR(epc_sanitize_wait(c), 0, "epc_sanitize_wait");

	ta = make_task(a, NULL, 0);
	tc = make_task(c, NULL, 0);
	CHECK_ERR(epc_page_alloc(ta, NULL, EPC_NO_RECLAIM, &pa), 0, "epc_page_alloc");
	CHECK_ERR(epc_page_alloc(tc, NULL, EPC_NO_RECLAIM, &pc), 0, "epc_page_alloc");
	/* the same addresses in both, different records */
	assert_int_equal(epc_page_phys(pa), 1ULL << 32);
	CHECK(epc_page_phys(pc) >= 1ULL << 32 && epc_page_phys(pc) < (1ULL << 32) + 16 * PAGE,
	      check_fmt("the second instance's page is in its own section: 0x%llx",
			(unsigned long long)epc_page_phys(pc)));
	assert_ptr_not_equal(pa, pc);
	epc_get_stats2(a, &st, sizeof(st));
	assert_int_equal(st.nr_free, 31);
	epc_get_stats2(c, &st, sizeof(st));
	assert_int_equal(st.nr_free, 31);

	/* poison in one is not poison in the other */
	CHECK_ERR(epc_memory_failure(c, (2ULL << 32) + PAGE, 0), 0, "epc_memory_failure");
	epc_get_stats2(c, &st, sizeof(st));
	assert_int_equal(st.nr_poisoned, 1);
	epc_get_stats2(a, &st, sizeof(st));
	assert_int_equal(st.nr_poisoned, 0);
	assert_int_equal(st.nr_free, 31);

	/* separate cgroup trees */
	cga = make_cg(a, "/x");
	cgc = make_cg(c, "/x");
	assert_ptr_not_equal(cga, cgc);
	assert_int_equal(cg_usage(epc_cgroup_root(a)), PAGE);

	/* a page freed in one goes back to its own instance */
	epc_page_free(pa);
	epc_get_stats2(a, &st, sizeof(st));
	assert_int_equal(st.nr_free, 32);
	epc_get_stats2(c, &st, sizeof(st));
	assert_int_equal(st.nr_free, 30);
	assert_epc_consistent(a);
	epc_task_destroy(ta);
	epc_destroy(a);

	/* the other lives on */
	epc_page_free(pc);
	epc_get_stats2(c, &st, sizeof(st));
	assert_int_equal(st.nr_free, 31);
	assert_epc_consistent(c);
	epc_task_destroy(tc);
	epc_destroy(c);
}

/*
 * NULL where an out-pointer belongs (issue 7): -EINVAL before anything is
 * done. epc_create used to build the whole instance and then crash writing
 * *out; epc_cgroup_create made the cgroup, then crashed.
 */
static void test_config_null_out_pointers(void **state)
{
	struct log_catcher *lc = lc_new();
	struct base b;
	struct epc *epc = NULL;
	struct epc_cgroup *cg = NULL;
	struct epc_task *t;
	struct epc_stats st;

	(void)state;
	base_init(&b);
	b.c.log = log_catch;
	b.c.log_arg = lc;
	CHECK_ERR(epc_create2(&b.c, sizeof(struct epc_config), NULL), -EINVAL, "epc_create2");
	CHECK_EQ(log_count(lc, "NULL out"), 1, "a line names the NULL out pointer");
	CHECK_EQ(lc->total, 1, "nothing else was done (no section was even logged)");
	CHECK_ERR(epc_create2(&b.c, sizeof(struct epc_config), &epc), 0, "epc_create2");
	CHECK_ERR(epc_sanitize_wait(epc), 0, "epc_sanitize_wait");

	CHECK_EQ(epc_cgroup_create(epc, "/x", NULL), -EINVAL, "cgroup create, NULL out");
	CHECK_EQ(epc_cgroup_lookup(epc, "/x", &cg), -ENOENT, "and no cgroup /x was made");
	CHECK_EQ(epc_cgroup_lookup(epc, "/", NULL), -EINVAL, "cgroup lookup, NULL out");
	cg = make_cg(epc, "/y");
	CHECK_EQ(epc_task_create(epc, cg, 0, NULL), -EINVAL, "task create, NULL out");
	CHECK_EQ(epc_cgroup_remove(cg), 0, "no task was attached to /y");
	t = make_task(epc, NULL, 0);
	CHECK_EQ(epc_page_alloc(t, NULL, EPC_DO_RECLAIM, NULL), -EINVAL, "page alloc, NULL out");
	CHECK_EQ(epc_encl_create(t, 4 * PAGE, NULL), -EINVAL, "ECREATE, NULL out");
	CHECK_EQ(cg_usage(epc_cgroup_root(epc)), 0, "nothing charged");
	epc_get_stats2(epc, &st, sizeof(st));
	CHECK_EQ(st.nr_free, 32, "every page free");
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
	free(lc);
}

/* NULL handles and NULL required arguments: -EINVAL, nothing changed. */
static void test_config_null_arguments(void **state)
{
	struct log_catcher *lc = lc_new();
	struct base b;
	struct epc *epc = NULL;
	struct epc_cgroup *root, *cg;
	struct epc_task *t;
	struct epc_encl *e = NULL;
	struct epc_encl_stats es;
	char buf[64];
	int errs;

	(void)state;
	base_init(&b);
	b.c.log = log_catch;
	b.c.log_arg = lc;
	CHECK_ERR(epc_create2(&b.c, sizeof(struct epc_config), &epc), 0, "epc_create2");
	CHECK_ERR(epc_sanitize_wait(epc), 0, "epc_sanitize_wait");
	root = epc_cgroup_root(epc);
	cg = make_cg(epc, "/c");
	t = make_task(epc, cg, 0);
	CHECK_EQ(epc_encl_create(t, 4 * PAGE, &e), 0, "ECREATE");
	errs = lc->total;

	/* a required argument of a live handle: a line in the instance's log */
	CHECK_EQ(epc_node_read(epc, 0, NULL, buf, sizeof(buf)), -EINVAL, "node read, NULL attr");
	CHECK_EQ(epc_node_read(epc, 0, "sgx_total_bytes", NULL, 64), -EINVAL, "NULL buf");
	CHECK_EQ(epc_node_get_stats(epc, 0, NULL, sizeof(struct epc_node_stats)), -EINVAL,
		 "node stats, NULL st");
	CHECK_EQ(epc_cgroup_create(epc, NULL, &cg), -EINVAL, "cgroup create, NULL path");
	CHECK_EQ(epc_cgroup_lookup(epc, NULL, &cg), -EINVAL, "cgroup lookup, NULL path");
	CHECK_EQ(epc_cgroup_path(root, NULL, 64), -EINVAL, "cgroup path, NULL buf");
	CHECK_EQ(epc_cgroup_read(root, NULL, buf, sizeof(buf)), -EINVAL, "read, NULL file");
	CHECK_EQ(epc_cgroup_read(root, "misc.current", NULL, 64), -EINVAL, "read, NULL buf");
	CHECK_EQ(epc_cgroup_write(cg, NULL, "sgx_epc 4096"), -EINVAL, "write, NULL file");
	CHECK_EQ(epc_cgroup_write(cg, "misc.max", NULL), -EINVAL, "write, NULL text");
	CHECK_EQ(epc_encl_add_page2(t, NULL, 0, NULL, EPC_SECINFO_REG_RWX), -EINVAL,
		 "EADD, NULL enclave");
	CHECK_EQ(epc_encl_access2(t, NULL, 0, buf, 1, EPC_ACCESS_READ), -EINVAL,
		 "access, NULL enclave");
	epc_get_stats2(epc, NULL, sizeof(struct epc_stats));
	epc_encl_get_stats2(e, NULL, sizeof(struct epc_encl_stats));
	CHECK_EQ(lc->total - errs, 14, "a line for each");
	CHECK_EQ(log_count(lc, "NULL"), 14, "each names the NULL");

	/* NULL handles: nothing to log to but stderr */
	CHECK_EQ(epc_sanitize_wait(NULL), -EINVAL, "sanitize wait, NULL epc");
	CHECK_EQ(epc_run_background(NULL), -EINVAL, "run background, NULL epc");
	CHECK_EQ(epc_memory_failure(NULL, 1ULL << 32, 0), -EINVAL, "memory failure, NULL epc");
	CHECK_EQ(epc_cgroup_remove(NULL), -EINVAL, "cgroup remove, NULL");
	CHECK_EQ(epc_cgroup_get_stats(NULL, NULL, 8), -EINVAL, "cgroup stats, NULL");
	CHECK_EQ(epc_task_create(NULL, NULL, 0, &t), -EINVAL, "task create, NULL epc");
	CHECK_EQ(epc_task_move(NULL, cg), -EINVAL, "task move, NULL task");
	CHECK_EQ(epc_task_set_cpu(NULL, 0), -EINVAL, "set cpu, NULL task");
	CHECK_EQ(epc_page_alloc(NULL, NULL, EPC_DO_RECLAIM, NULL), -EINVAL, "page alloc, NULL");
	CHECK_EQ(epc_encl_create(NULL, 4 * PAGE, &e), -EINVAL, "ECREATE, NULL task");
	CHECK_EQ(epc_encl_add_page2(NULL, e, 0, NULL, EPC_SECINFO_REG_RWX), -EINVAL,
		 "EADD, NULL task");
	CHECK_EQ(epc_encl_access2(NULL, e, 0, buf, 1, EPC_ACCESS_READ), -EINVAL,
		 "access, NULL task");
	CHECK_EQ(epc_encl_init(NULL), -EINVAL, "EINIT, NULL enclave");
	CHECK_EQ(epc_encl_backing_fd(NULL), -EINVAL, "backing fd, NULL enclave");
	CHECK_EQ(epc_reclaim(NULL, 1), -EINVAL, "epc_reclaim, NULL epc");
	CHECK(epc_cgroup_root(NULL) == NULL, "no root of no instance");
	epc_task_set_signal(NULL, true);
	epc_encl_get_stats2(NULL, &es, sizeof(es));

	/* nothing changed */
	epc_encl_get_stats2(e, &es, sizeof(es));
	CHECK_EQ(es.nr_pages, 0, "no page added");
	CHECK_EQ(cg_usage(cg), 2 * PAGE, "the SECS and its VA page only");
	CHECK_EQ(epc_cgroup_read(cg, "misc.max", buf, sizeof(buf)), 12, "misc.max");
	CHECK(!strcmp(buf, "sgx_epc max\n"), "misc.max untouched");
	assert_epc_consistent(epc);
	epc_encl_destroy(e);
	epc_task_destroy(t);
	epc_destroy(epc);
	free(lc);
}

/*
 * Handles of another instance (issue 7): a task of A with B's cgroup or B's
 * enclave used to be accepted (a task of A charging B's tree) or to crash
 * (EADD into B's SECS with A's hardware). Each mix: -EINVAL, a line, nothing
 * changed in either instance.
 */
static void test_config_foreign_handles(void **state)
{
	struct log_catcher *lca = lc_new(), *lcb = lc_new();
	struct base b;
	struct epc *a = NULL, *bb = NULL;
	struct epc_cgroup *cga, *cgb;
	struct epc_task *ta, *tb, *t = NULL;
	struct epc_encl *eb;
	struct epc_encl_stats es;
	struct epc_stats st;
	unsigned char page[PAGE] = {1};

	(void)state;
	base_init(&b);
	b.c.log = log_catch;
	b.c.log_arg = lca;
	CHECK_ERR(epc_create2(&b.c, sizeof(struct epc_config), &a), 0, "epc_create2");
	b.c.log_arg = lcb;
	CHECK_ERR(epc_create2(&b.c, sizeof(struct epc_config), &bb), 0, "epc_create2");
	CHECK_ERR(epc_sanitize_wait(a), 0, "epc_sanitize_wait");
	CHECK_ERR(epc_sanitize_wait(bb), 0, "epc_sanitize_wait");
	cga = make_cg(a, "/a");
	cgb = make_cg(bb, "/b");
	ta = make_task(a, cga, 0);
	tb = make_task(bb, cgb, 0);
	CHECK_EQ(epc_encl_create(tb, 4 * PAGE, &eb), 0, "ECREATE in B");
	CHECK_EQ(epc_encl_add_page2(tb, eb, 0, page, EPC_SECINFO_REG_RWX), 0, "EADD in B");

	CHECK_EQ(epc_task_create(a, cgb, 0, &t), -EINVAL, "a task of A in B's cgroup");
	CHECK(t == NULL, "no task handed out");
	CHECK_EQ(epc_task_move(ta, cgb), -EINVAL, "moving A's task to B's cgroup");
	CHECK_EQ(epc_encl_add_page2(ta, eb, PAGE, page, EPC_SECINFO_REG_RWX), -EINVAL,
		 "EADD of A's task into B's");
	CHECK_EQ(epc_encl_access2(ta, eb, 0, page, PAGE, EPC_ACCESS_READ), -EINVAL,
		 "A's task reads B's");
	CHECK_EQ(epc_encl_access2(ta, eb, 0, page, PAGE, EPC_ACCESS_WRITE), -EINVAL,
		 "A's task writes B's");
	CHECK_EQ(log_count(lca, "belongs to another struct epc"), 5, "a line in A's log each");

	/* nothing changed: ta is still in /a, B's cgroup has no task, eb one page */
	epc_page_free(alloc_ok(ta));
	CHECK_EQ(epc_cgroup_get_stats(cga, &(struct epc_cgroup_stats){0}, 8), 0, "stats");
	epc_task_destroy(tb);
	epc_encl_get_stats2(eb, &es, sizeof(es));
	CHECK_EQ(es.nr_pages, 1, "B's enclave has its one page");
	CHECK_EQ(cg_usage(cgb), 3 * PAGE, "B's /b: SECS, VA page, one page");
	epc_encl_destroy(eb);
	CHECK_EQ(epc_cgroup_remove(cgb), 0, "no task of A was attached to /b");
	CHECK_EQ(cg_usage(cga), 0, "A's /a holds nothing");
	epc_get_stats2(a, &st, sizeof(st));
	CHECK_EQ(st.nr_free, 32, "A: every page free");
	epc_get_stats2(bb, &st, sizeof(st));
	CHECK_EQ(st.nr_free, 32, "B: every page free");
	assert_epc_consistent(a);
	assert_epc_consistent(bb);
	epc_task_destroy(ta);
	epc_destroy(a);
	epc_destroy(bb);
	free(lca);
	free(lcb);
}

/* Holds ksgxd in its first EREMOVE until the test lets it go. */
static int hold_first_eremove(void *arg, enum epc__fault_site site, uint64_t idx)
{
	_Atomic int *gate = arg;
	int zero = 0;

	(void)idx;
	if (site == EPC__FAULT_EREMOVE && atomic_compare_exchange_strong(gate, &zero, 1))
		while (atomic_load(gate) != 2)
			sched_yield();
	return 0;
}

/*
 * Sanitization that does not finish (issue 7: ksgxd dropped sanitize()'s
 * result): it is logged, and epc_sanitize_wait() / epc_run_background() say
 * -EINTR instead of 0, in both modes.
 */
static void test_config_sanitize_stopped_is_reported(void **state)
{
	struct log_catcher *lc = lc_new();
	struct topo tp = {
		.nr_nodes = 1, .nr_sections = 1, .pages = 64, .no_sanitize = true, .lc = lc};
	_Atomic int gate = 0;
	struct epc_stats st;
	struct base b;
	struct epc *epc;

	(void)state;
	/* MANUAL: the caller's own run stops */
	epc = make_topo(&tp);
	atomic_store(&epc->reclaim.stop, true);
	CHECK_EQ(epc_run_background(epc), -EINTR, "run_background reports the stopped sanitizer");
	CHECK_EQ(epc_sanitize_wait(epc), -EINTR, "and so does sanitize_wait");
	CHECK_EQ(log_count(lc, "sanitization did not finish"), 2, "a line each time");
	atomic_store(&epc->reclaim.stop, false);
	CHECK_EQ(epc_run_background(epc), 0, "a later run finishes it");
	epc_get_stats2(epc, &st, sizeof(st));
	CHECK_EQ(st.nr_free, 64, "every page sanitized");
	epc_destroy(epc);

	/* THREADS: ksgxd is stopped in the middle of pass 1 */
	base_init(&b);
	b.c.background = EPC_BACKGROUND_THREADS;
	b.c.log = log_catch;
	b.c.log_arg = lc;
	lc->nr = lc->total = 0;
	assert_int_equal(epc__create_with_fault(&b.c, hold_first_eremove, &gate, &epc), 0);
	while (atomic_load(&gate) != 1)
		sched_yield();
	atomic_store(&epc->reclaim.stop, true); /* what epc_destroy does first */
	atomic_store(&gate, 2);
	CHECK_EQ(epc_sanitize_wait(epc), -EINTR, "sanitize_wait does not say 0");
	epc_destroy(epc); /* joins ksgxd */
	CHECK_EQ(log_count(lc, "sanitization did not finish"), 1, "ksgxd logged it");
	free(lc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_null),
		cmocka_unit_test(test_config_nr_nodes),
		cmocka_unit_test(test_config_nr_cpus),
		cmocka_unit_test(test_config_cpu_to_node),
		cmocka_unit_test(test_config_distance),
		cmocka_unit_test(test_config_sections_count),
		cmocka_unit_test(test_config_section_alignment_and_size),
		cmocka_unit_test(test_config_section_overlap_and_wrap),
		cmocka_unit_test(test_config_section_node),
		cmocka_unit_test(test_config_too_many_pages),
		cmocka_unit_test(test_config_pcp_batch),
		cmocka_unit_test(test_config_unknown_enums),
		cmocka_unit_test(test_config_default_cpus),
		cmocka_unit_test(test_config_zero_fields_are_defaults),
		cmocka_unit_test(test_config_is_copied),
		cmocka_unit_test(test_config_threads_lifecycle),
		cmocka_unit_test(test_config_threads_destroy_during_sanitize),
		cmocka_unit_test(test_config_manual_run_background),
		cmocka_unit_test(test_config_two_instances),
		cmocka_unit_test(test_config_null_out_pointers),
		cmocka_unit_test(test_config_null_arguments),
		cmocka_unit_test(test_config_foreign_handles),
		cmocka_unit_test(test_config_sanitize_stopped_is_reported),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
