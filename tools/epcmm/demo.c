// SPDX-License-Identifier: MIT
/*
 * demo.c - `epcmm demo`: the memory manager at work on a small two-node
 * machine, narrated step by step for someone seeing it for the first time.
 * It uses only the public API, so it doubles as an example program.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "epcmm.h"
#include "fmt.h"
#include "options.h"
#include "tool.h"

#define DEMO_PAGES_PER_NODE 8

struct demo {
	struct epc *epc;
	int step;
};

static void say(struct demo *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct demo *d, const char *fmt, ...)
{
	va_list ap;

	printf("\n%d. ", ++d->step);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static void show_nodes(struct demo *d)
{
	static const char *const hdr[] = {"node", "EPC pages", "free", "local allocs",
					  "remote allocs"};
	static const bool right[] = {false, false, false, false, false};
	struct fmt_table t = {.ncol = 5, .hdr = hdr, .right = right, .indent = 3};

	for (int n = 0; n < 2; n++) {
		struct epc_node_stats ns;
		int row = fmt_table_row(&t);

		epc_node_get_stats(d->epc, n, &ns, sizeof(ns));
		snprintf(fmt_table_cell(&t, row, 0), FMT_CELL, "%d", n);
		snprintf(fmt_table_cell(&t, row, 1), FMT_CELL, "%llu",
			 (unsigned long long)ns.nr_total);
		snprintf(fmt_table_cell(&t, row, 2), FMT_CELL, "%llu",
			 (unsigned long long)ns.nr_free);
		snprintf(fmt_table_cell(&t, row, 3), FMT_CELL, "%llu",
			 (unsigned long long)ns.nr_alloc_local);
		snprintf(fmt_table_cell(&t, row, 4), FMT_CELL, "%llu",
			 (unsigned long long)ns.nr_alloc_remote);
	}
	fmt_table_print(stdout, &t);
}

static void show_file(struct epc_cgroup *cg, const char *name, enum epc_cgroup_file file)
{
	char buf[128];

	if (epc_cgroup_file_read(cg, file, buf, sizeof(buf)) >= 0)
		printf("   %s%s%s: %s", name, strcmp(name, "/") ? "/" : "",
		       epc_cgroup_file_type(file)->name, buf[0] ? buf : "(empty)\n");
}

static int act_allocator(struct demo *d, struct epc_task *t0, struct epc_task *t1)
{
	struct epc_page *held[2 * DEMO_PAGES_PER_NODE + 1];
	int nr = 0, ret;

	say(d, "A task on CPU 1 (node 1) allocates 3 pages: each comes from its own node.");
	for (int i = 0; i < 3; i++) {
		ret = epc_page_alloc(t1, NULL, EPC_NO_RECLAIM, &held[nr]);
		if (ret)
			return ret;
		printf("   page at 0x%llx, node %d\n", (unsigned long long)epc_page_phys(held[nr]),
		       epc_page_node(held[nr]));
		nr++;
	}
	show_nodes(d);

	say(d, "It keeps allocating. When node 1 runs dry, the search falls back to node 0.");
	while (nr < DEMO_PAGES_PER_NODE + 2) {
		ret = epc_page_alloc(t1, NULL, EPC_NO_RECLAIM, &held[nr]);
		if (ret)
			return ret;
		if (epc_page_node(held[nr]) != 1)
			printf("   page %d came from node %d: a remote allocation\n", nr + 1,
			       epc_page_node(held[nr]));
		nr++;
	}
	show_nodes(d);

	say(d, "A task on node 0 takes the rest, then asks for one more page.");
	while ((ret = epc_page_alloc(t0, NULL, EPC_NO_RECLAIM, &held[nr])) == 0)
		nr++;
	printf("   every node was visited once, none had a page: %s (%d).\n"
	       "   Raw pages like these are never reclaimable, so there is nothing to wait for.\n",
	       strerror(-ret), ret);
	show_nodes(d);

	say(d, "Free two pages of node 1: they go to the tail of node 1's free list, so the\n"
	       "   next allocations on node 1 hand them out in the order they were freed.");
	epc_page_free(held[1]);
	epc_page_free(held[0]);
	for (int i = 0; i < 2; i++) {
		struct epc_page *p;

		if (epc_page_alloc(t1, NULL, EPC_NO_RECLAIM, &p))
			return -ENOMEM;
		printf("   got 0x%llx back\n", (unsigned long long)epc_page_phys(p));
		held[i] = p;
	}
	for (int i = 0; i < nr; i++)
		epc_page_free(held[i]);
	show_nodes(d);
	return 0;
}

static int act_cgroups(struct demo *d, struct epc_task *t)
{
	struct epc_cgroup *root = epc_cgroup_root(d->epc), *cg;
	struct epc_page *held[4];
	int nr = 0, ret;

	say(d, "Every page is charged to a cgroup. Make /tenant and limit it to 3 pages\n"
	       "   (misc.max takes bytes, as in the kernel: 12288 = 3 x 4096).");
	ret = epc_cgroup_create(d->epc, "/tenant", &cg);
	if (!ret)
		ret = epc_cgroup_file_write(cg, EPC_CGF_MISC_MAX, "sgx_epc 12288");
	if (!ret)
		ret = epc_task_move(t, cg);
	if (ret)
		return ret;
	while ((ret = epc_page_alloc(t, NULL, EPC_DO_RECLAIM, &held[nr])) == 0)
		nr++;
	printf("   the 4th page is refused: %s. The refusal is counted:\n", strerror(-ret));
	show_file(cg, "/tenant", EPC_CGF_MISC_CURRENT);
	show_file(cg, "/tenant", EPC_CGF_MISC_EVENTS);
	show_file(root, "/", EPC_CGF_MISC_CAPACITY);
	for (int i = 0; i < nr; i++)
		epc_page_free(held[i]);
	epc_task_move(t, NULL);
	return epc_cgroup_remove(cg);
}

static int act_enclave(struct demo *d, struct epc_task *t)
{
	uint64_t size = 3 * DEMO_PAGES_PER_NODE * EPC_PAGE_SIZE; /* 1.5 x the EPC */
	struct epc_encl_stats es;
	struct epc_stats st;
	struct epc_encl *e;
	char page[EPC_PAGE_SIZE];
	int ret;

	say(d,
	    "An enclave of %llu pages, half again as big as the whole EPC. Adding its pages\n"
	    "   forces the reclaimer to evict older ones: sealed with AES-GCM into the\n"
	    "   enclave's backing store, their versions kept in VA pages.",
	    (unsigned long long)(size / EPC_PAGE_SIZE));
	ret = epc_encl_create(t, size, &e);
	if (ret)
		return ret;
	for (uint64_t off = 0; off < size && !ret; off += EPC_PAGE_SIZE) {
		memset(page, 'a' + (int)(off / EPC_PAGE_SIZE) % 26, sizeof(page));
		ret = epc_encl_add_page2(t, e, off, page, EPC_SECINFO_REG_RWX);
	}
	if (!ret)
		ret = epc_encl_init(e);
	for (uint64_t off = 0; off < size && !ret; off += EPC_PAGE_SIZE) {
		ret = epc_encl_access2(t, e, off, page, sizeof(page), EPC_ACCESS_READ);
		if (!ret && page[0] != 'a' + (int)(off / EPC_PAGE_SIZE) % 26)
			ret = -EIO;
	}
	if (ret) {
		epc_encl_destroy(e);
		return ret;
	}
	epc_encl_get_stats2(e, &es, sizeof(es));
	printf("   read every page back intact: %llu faults, %llu evictions, %llu reloads,\n"
	       "   %llu VA page(s), %llu pages resident now\n",
	       (unsigned long long)es.nr_faults, (unsigned long long)es.nr_evicted,
	       (unsigned long long)es.nr_reloaded, (unsigned long long)es.nr_va_pages,
	       (unsigned long long)es.nr_resident);
	epc_encl_destroy(e);
	epc_get_stats2(d->epc, &st, sizeof(st));
	printf("   destroyed: %llu of %llu pages free again\n", (unsigned long long)st.nr_free,
	       (unsigned long long)st.nr_total);
	return 0;
}

static void demo_usage(FILE *f)
{
	fprintf(f, "usage: epcmm demo\n\nWalk through the allocator, cgroups and eviction on a "
		   "tiny two-node machine,\nstep by step; the same output on every run. Takes no "
		   "arguments.\n");
}

static int demo_main(int argc, char **argv);

static const struct option demo_longs[] = {TOOL_COMMON_OPTIONS};

const struct tool_command tool_cmd_demo = {
	.name = "demo",
	.summary = "walk through the allocator, cgroups and eviction on a tiny machine",
	.shorts = "",
	.longs = demo_longs,
	.usage = demo_usage,
	.main = demo_main,
};

static int demo_main(int argc, char **argv)
{
	struct epc_section_desc sections[2] = {
		{.phys_addr = 0x80000000ULL,
		 .size = DEMO_PAGES_PER_NODE * EPC_PAGE_SIZE,
		 .node = 0},
		{.phys_addr = 0x180000000ULL,
		 .size = DEMO_PAGES_PER_NODE * EPC_PAGE_SIZE,
		 .node = 1},
	};
	struct epc_config cfg = {
		.nr_nodes = 2,
		.sections = sections,
		.nr_sections = 2,
		.background = EPC_BACKGROUND_MANUAL,
	};
	struct demo d = {0};
	struct epc_task *t0 = NULL, *t1 = NULL;
	struct epc_stats st;
	int ret;

	ret = tool_parse_bare(&tool_cmd_demo, argc, argv);
	if (ret)
		return tool_parse_exit(ret);
	printf("epcmm %s demo: two NUMA nodes with %d EPC pages each; CPU 0 is on node 0, CPU 1\n"
	       "on node 1. Background work is stepped by hand, so every run prints the same.\n",
	       EPCMM_VERSION_STRING, DEMO_PAGES_PER_NODE);
	ret = epc_create2(&cfg, sizeof(cfg), &d.epc);
	if (ret) {
		fprintf(stderr, "epcmm: epc_create: %s\n", strerror(-ret));
		return TOOL_EXIT_FAILURE;
	}
	epc_get_stats2(d.epc, &st, sizeof(st));
	say(&d,
	    "At boot every page is dirty and nothing can be allocated (free = %llu).\n"
	    "   Sanitization runs EREMOVE over every page, twice, then they are free.",
	    (unsigned long long)st.nr_free);
	epc_sanitize_wait(d.epc);
	show_nodes(&d);

	ret = epc_task_create(d.epc, NULL, 0, &t0);
	if (!ret)
		ret = epc_task_create(d.epc, NULL, 1, &t1);
	if (!ret)
		ret = act_allocator(&d, t0, t1);
	if (!ret)
		ret = act_cgroups(&d, t1);
	if (!ret)
		ret = act_enclave(&d, t1);
	epc_task_destroy(t0);
	epc_task_destroy(t1);
	epc_destroy(d.epc);
	if (ret) {
		fprintf(stderr, "epcmm demo: unexpected failure: %s\n", strerror(-ret));
		return TOOL_EXIT_FAILURE;
	}
	printf("\nThat is the whole life cycle. `epcmm --help` lists what else the tool does.\n");
	return 0;
}
