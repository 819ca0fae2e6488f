// SPDX-License-Identifier: MIT
/*
 * test_sim_model.c - the simulator reads the cgroup tree from the library's
 * model (epc_snapshot_take()), not from its path strings: a cgroup's pages
 * evicted and reloaded count in every ancestor's, and in no cgroup that
 * merely shares a prefix of its path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>

#include <cmocka.h>

#include "sim_helpers.h"

/* /a/b evicts under its limit; /ab's name starts like /a's but is no parent. */
#define NESTED_SCENARIO                                                                            \
	"[section 0]\nsize = 8M\n[cgroup /a]\n[cgroup /a/b]\nmax = 256K\n[cgroup /ab]\n"           \
	"[enclave e]\ncgroup = /a/b\nsize = 1M\naccesses = 20k\n"

/* The result of cgroup @path: the scenario's order (sim_run_text() frees
 * the scenario the result's paths point into). */
static const struct sim_cgroup_result *cg_named(const struct sim_result *r, const char *path)
{
	static const char *const order[] = {"/", "/a", "/a/b", "/ab"};

	CHECK_EQ(r->nr_cgroups, 4, "the root and the scenario's three");
	for (int i = 0; i < 4; i++)
		if (!strcmp(order[i], path))
			return &r->cgroups[i];
	fail_msg("no cgroup %s in the result", path);
	return NULL;
}

static void test_sim_model_subtree_sums_follow_the_tree(void **state)
{
	struct sim_result *r = sim_run_text("nested", NESTED_SCENARIO);
	const struct sim_cgroup_result *a = cg_named(r, "/a"), *b = cg_named(r, "/a/b"),
				       *ab = cg_named(r, "/ab"), *root = cg_named(r, "/");

	(void)state;
	CHECK(b->evicted > 0, "/a/b's enclave pages under its limit");
	CHECK_EQ(a->evicted, b->evicted, "/a counts its child's evictions");
	CHECK_EQ(a->reloaded, b->reloaded, "and its reloads");
	CHECK_EQ(root->evicted, b->evicted, "so does the root");
	CHECK_EQ(ab->evicted, 0, "/ab is no parent of /a/b");
	sim_result_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sim_model_subtree_sums_follow_the_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
