// SPDX-License-Identifier: MIT
/*
 * test_cgroup_model.c - the cgroup model the library owns for every reader
 * and every cgroupfs: the structured snapshot (epc_snapshot_take()).
 */
#include <errno.h>
#include <stddef.h>

#include "helpers.h"

/* ------------------------------------------------------------- snapshot */

static const struct epc_snapshot_cgroup *snap_cg(const struct epc_snapshot *s, const char *path)
{
	for (size_t i = 0; i < s->nr_cgroups; i++)
		if (!strcmp(EPC_SNAPSHOT_CGROUP(s, i)->path, path))
			return EPC_SNAPSHOT_CGROUP(s, i);
	return NULL;
}

static int32_t snap_cg_index(const struct epc_snapshot *s, const char *path)
{
	const struct epc_snapshot_cgroup *c = snap_cg(s, path);

	return c ? (int32_t)(((const char *)c - (const char *)s->cgroups) / s->cgroup_size) : -2;
}

static void test_snapshot_tree_tasks_encls_nodes(void **state)
{
	struct topo tp = {.nr_nodes = 2, .nr_sections = 2, .pages = 64};
	struct epc *epc = make_topo(&tp);
	struct epc_cgroup *a = make_cg(epc, "/a"), *ab = make_cg(epc, "/a/b"),
			  *c = make_cg(epc, "/c");
	struct epc_task *t1 = make_task(epc, ab, 1), *t0 = make_task(epc, NULL, 0);
	struct epc_page *p = alloc_ok(t1);
	struct epc_encl *e = NULL;
	struct epc_snapshot *s = NULL;
	const struct epc_snapshot_cgroup *sc;
	const struct epc_snapshot_task *st;

	(void)state;
	assert_int_equal(epc_cgroup_write(ab, "misc.max", "sgx_epc 409600"), 0);
	assert_int_equal(epc_encl_create(t1, 4 * PAGE, &e), 0);
	assert_int_equal(epc_snapshot_take(epc, &s), 0);
	assert_int_equal(s->size, sizeof(*s));
	assert_int_equal(s->cgroup_size, sizeof(struct epc_snapshot_cgroup));

	assert_int_equal(s->nr_nodes, 2);
	assert_int_equal(EPC_SNAPSHOT_NODE(s, 1)->node, 1);
	assert_true(EPC_SNAPSHOT_NODE(s, 1)->has_epc);
	assert_int_equal(EPC_SNAPSHOT_NODE(s, 0)->nr_total + EPC_SNAPSHOT_NODE(s, 1)->nr_total,
			 s->stats->nr_total);

	/* pre-order: the root, /a, /a/b, /c; each parent before its children */
	assert_int_equal(s->nr_cgroups, 4);
	assert_string_equal(EPC_SNAPSHOT_CGROUP(s, 0)->path, "/");
	assert_int_equal(EPC_SNAPSHOT_CGROUP(s, 0)->parent, -1);
	assert_ptr_equal(EPC_SNAPSHOT_CGROUP(s, 0)->cg, epc_cgroup_root(epc));
	assert_string_equal(EPC_SNAPSHOT_CGROUP(s, 1)->path, "/a");
	assert_string_equal(EPC_SNAPSHOT_CGROUP(s, 2)->path, "/a/b");
	assert_string_equal(EPC_SNAPSHOT_CGROUP(s, 3)->path, "/c");
	assert_int_equal(EPC_SNAPSHOT_CGROUP(s, 2)->parent, 1);
	assert_int_equal(EPC_SNAPSHOT_CGROUP(s, 3)->parent, 0);
	assert_int_equal(EPC_SNAPSHOT_CGROUP(s, 2)->depth, 2);
	sc = snap_cg(s, "/a/b");
	assert_ptr_equal(sc->cg, ab);
	assert_int_equal(sc->nr_tasks, 1);
	assert_int_equal(sc->max, 409600);
	/* the raw page, the SECS and the first VA page are charged to /a/b */
	assert_int_equal(sc->current, cg_usage(ab));
	assert_true(sc->current >= 2 * PAGE);
	assert_int_equal(snap_cg(s, "/a")->current, sc->current);
	assert_int_equal(snap_cg(s, "/")->nr_tasks, 1);

	assert_int_equal(s->nr_encls, 1);
	assert_int_equal(EPC_SNAPSHOT_ENCL(s, 0)->id, epc_encl_id(e));
	assert_int_equal(EPC_SNAPSHOT_ENCL(s, 0)->cgroup, snap_cg_index(s, "/a/b"));
	assert_int_equal(EPC_SNAPSHOT_ENCL(s, 0)->size, 4 * PAGE);

	/* tasks newest first, each with its cgroup, CPU and node */
	assert_int_equal(s->nr_tasks, 2);
	st = EPC_SNAPSHOT_TASK(s, 0);
	assert_int_equal(st->id, epc_task_id(t0));
	assert_int_equal(st->cgroup, 0);
	st = EPC_SNAPSHOT_TASK(s, 1);
	assert_int_equal(st->id, epc_task_id(t1));
	assert_int_equal(st->cgroup, snap_cg_index(s, "/a/b"));
	assert_int_equal(st->cpu, 1);
	assert_int_equal(st->node, epc_task_node(t1));
	epc_snapshot_free(s);

	epc_encl_destroy(e);
	epc_page_free(p);
	epc_task_destroy(t0);
	epc_task_destroy(t1);
	epc_cgroup_put(c);
	epc_cgroup_put(ab);
	epc_cgroup_put(a);
	epc_destroy(epc);
}

/* A snapshot holds its cgroups: one removed meanwhile stays readable, dying. */
static void test_snapshot_holds_removed_cgroups(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_cgroup *a = make_cg(epc, "/a");
	struct epc_task *t = make_task(epc, a, 0);
	struct epc_page *p = alloc_ok(t);
	struct epc_snapshot *s1 = NULL, *s2 = NULL;
	char buf[64];

	(void)state;
	assert_int_equal(epc_snapshot_take(epc, &s1), 0);
	assert_int_equal(epc_task_move(t, NULL), 0);
	assert_int_equal(epc_cgroup_remove(a), 0);
	assert_int_equal(epc_cgroup_put(a), 0);
	/* charged still: dying, and listed as such by a new snapshot */
	assert_int_equal(epc_snapshot_take(epc, &s2), 0);
	assert_int_equal(s2->nr_cgroups, 2);
	assert_true(EPC_SNAPSHOT_CGROUP(s2, 1)->dying);
	assert_false(EPC_SNAPSHOT_CGROUP(s1, 1)->dying);
	epc_page_free(p);
	/* uncharged, unreferenced but by the snapshots: still readable */
	assert_true(epc_cgroup_read(EPC_SNAPSHOT_CGROUP(s1, 1)->cg, "misc.current", buf,
				    sizeof(buf)) > 0);
	assert_string_equal(buf, "sgx_epc 0\n");
	epc_snapshot_free(s1);
	epc_snapshot_free(s2);
	assert_epc_consistent(epc);
	assert_int_equal(epc_snapshot_take(epc, &s1), 0);
	assert_int_equal(s1->nr_cgroups, 1); /* reaped with the last reference */
	epc_snapshot_free(s1);
	epc_snapshot_free(NULL);
	epc_task_destroy(t);
	epc_destroy(epc);
}

static void test_snapshot_bad_input(void **state)
{
	struct log_catcher lc = {0};
	struct topo tp = {.nr_nodes = 1, .nr_sections = 1, .pages = 16, .lc = &lc};
	struct epc *epc = make_topo(&tp);
	struct epc_snapshot *s = NULL;

	(void)state;
	assert_int_equal(epc_snapshot_take(NULL, &s), -EINVAL);
	assert_null(s);
	assert_int_equal(epc_snapshot_take(epc, NULL), -EINVAL);
	assert_int_equal(log_count(&lc, "snapshot: NULL out"), 1);
	epc_destroy(epc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshot_tree_tasks_encls_nodes),
		cmocka_unit_test(test_snapshot_holds_removed_cgroups),
		cmocka_unit_test(test_snapshot_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
