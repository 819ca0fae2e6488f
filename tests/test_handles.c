// SPDX-License-Identifier: MIT
/*
 * test_handles.c - counted cgroup references (create, lookup, listing, put),
 * dying cgroups freed with the last put and the last uncharge, epc_destroy()
 * with references outstanding, and the listings: children, tasks, enclaves.
 * The races are in test_stress_handles.c.
 */
#include <errno.h>

#include "encl_helpers.h"

#include "cgroup/cgroup.h"

struct frees {
	int nr;
	struct epc_cgroup *last;
};

static void on_free(struct epc_cgroup *cg, void *arg)
{
	struct frees *f = arg;

	f->nr++;
	f->last = cg;
}

static void watch(struct epc *epc, struct frees *f)
{
	memset(f, 0, sizeof(*f));
	epc->cgroups.on_free = on_free;
	epc->cgroups.on_free_arg = f;
}

static struct epc_cgroup *lookup(struct epc *epc, const char *path)
{
	struct epc_cgroup *cg = NULL;

	CHECK_EQ(epc_cgroup_lookup(epc, path, &cg), 0, path);
	return cg;
}

/* A removed cgroup lives while a handle references it; the last put frees it. */
static void test_handles_last_put_frees_removed_cgroup(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_cgroup *a = make_cg(epc, "/a"), *a2 = lookup(epc, "/a"), *x = NULL;
	struct frees f;
	char buf[64];

	(void)state;
	watch(epc, &f);
	CHECK(a == a2, "lookup gives the same handle");
	CHECK_EQ(epc_cgroup_remove(a), 0, "rmdir");
	CHECK_EQ(epc_cgroup_lookup(epc, "/a", &x), -ENOENT, "gone from lookups");
	CHECK_EQ(atomic_load(&epc->cgroups.nr_dying), 1, "dying");
	CHECK_EQ(epc_cgroup_remove(a2), -ENOENT, "a second rmdir through the other handle");
	CHECK(epc_cgroup_read(a2, "misc.max", buf, sizeof(buf)) > 0 &&
		      !strcmp(buf, "sgx_epc max\n"),
	      "its files read through a handle");
	CHECK_EQ(epc_cgroup_write(a2, "misc.max", "sgx_epc 4096"), 0, "and take writes");
	CHECK_EQ(epc_cgroup_put(a), 0, "first put");
	CHECK_EQ(f.nr, 0, "one reference left: not freed");
	CHECK_EQ(epc_cgroup_path(a2, buf, sizeof(buf)), 2, "path of a dying cgroup");
	CHECK_EQ(epc_cgroup_put(a2), 0, "last put");
	CHECK_EQ(f.nr, 1, "freed by the last put");
	CHECK(f.last == a, "that one");
	CHECK_EQ(atomic_load(&epc->cgroups.nr_dying), 0, "nothing dying");
	epc->cgroups.on_free = NULL;
	epc_destroy(epc);
}

/* Charged and referenced: freed by whichever goes last, the put or the uncharge. */
static void test_handles_last_uncharge_after_last_put(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_cgroup *a = make_cg(epc, "/a");
	struct epc_task *t = make_task(epc, a, 0);
	struct epc_page *p = alloc_ok(t);
	struct frees f;

	(void)state;
	watch(epc, &f);
	CHECK_EQ(epc_task_move(t, NULL), 0, "the task leaves");
	CHECK_EQ(epc_cgroup_remove(a), 0, "rmdir");
	CHECK_EQ(epc_cgroup_put(a), 0, "put");
	CHECK_EQ(f.nr, 0, "still charged");
	epc_page_free(p);
	CHECK_EQ(f.nr, 1, "freed by the last uncharge");
	epc->cgroups.on_free = NULL;
	epc_task_destroy(t);
	epc_destroy(epc);
}

static void test_handles_put_errors_and_root(void **state)
{
	struct log_catcher *lc = calloc(1, sizeof(*lc));
	struct epc *epc = make_epc_ex(1, NULL, 1, 64, 0, lc);
	struct epc_cgroup *a = make_cg(epc, "/a"), *r = lookup(epc, "/");

	(void)state;
	CHECK(r == epc_cgroup_root(epc), "lookup of / is the root");
	CHECK_EQ(epc_cgroup_put(r), 0, "put of the root");
	CHECK_EQ(epc_cgroup_put(r), 0, "the root is not counted: put again");
	CHECK_EQ(epc_cgroup_put(NULL), 0, "NULL");
	CHECK_EQ(epc_cgroup_put(a), 0, "the creator's reference");
	CHECK_EQ(epc_cgroup_put(a), -EINVAL, "a put too many (live: still there)");
	CHECK_EQ(log_count(lc, "cgroup put '/a': it holds no reference"), 1, "a line says so");
	CHECK(lookup(epc, "/a") == a, "and nothing changed");
	epc_destroy(epc);
	free(lc);
}

/* epc_destroy frees every cgroup, whatever references and charges are left. */
static void test_handles_destroy_frees_referenced_cgroups(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_cgroup *a = make_cg(epc, "/a"), *b = make_cg(epc, "/a/b");
	struct epc_task *t = make_task(epc, b, 0);
	struct frees f;

	(void)state;
	alloc_ok(t);
	CHECK_EQ(epc_task_move(t, NULL), 0, "leave b");
	CHECK_EQ(epc_cgroup_remove(b), 0, "rmdir b");
	CHECK_EQ(epc_cgroup_remove(a), 0, "rmdir a");
	lookup(epc, "/");
	watch(epc, &f);
	epc_destroy(epc);
	CHECK_EQ(f.nr, 3, "a, b and the root freed");
}

static void expect_names(struct epc_cgroup *cg, const char *const *want, size_t nr_want)
{
	struct epc_cgroup *kids[8];
	size_t nr = 99;
	char name[64];

	CHECK_EQ(epc_cgroup_list_children(cg, kids, 8, &nr), 0, "list children");
	CHECK_EQ(nr, nr_want, "number of children");
	for (size_t i = 0; i < nr; i++) {
		CHECK(epc_cgroup_name(kids[i], name, sizeof(name)) >= 0, "name");
		if (strcmp(name, want[i]))
			fail_msg("child %zu is '%s', expected '%s'", i, name, want[i]);
		CHECK_EQ(epc_cgroup_put(kids[i]), 0, "put a listed child");
	}
}

static void test_handles_list_children(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_cgroup *r = epc_cgroup_root(epc), *kids[2], *b;
	struct frees f;
	size_t nr = 0;
	char name[4];

	(void)state;
	make_cg(epc, "/a");
	b = make_cg(epc, "/b");
	make_cg(epc, "/c");
	make_cg(epc, "/a/x");
	expect_names(r, (const char *const[]){"a", "b", "c"}, 3);
	expect_names(lookup(epc, "/a"), (const char *const[]){"x"}, 1);
	CHECK_EQ(epc_cgroup_remove(b), 0, "rmdir b");
	expect_names(r, (const char *const[]){"a", "c"}, 2);
	make_cg(epc, "/b");
	expect_names(r, (const char *const[]){"a", "c", "b"}, 3);

	CHECK_EQ(epc_cgroup_list_children(r, kids, 1, &nr), 0, "a short array");
	CHECK_EQ(nr, 3, "says how many there are");
	CHECK_EQ(epc_cgroup_put(kids[0]), 0, "only the filled entry is a reference");
	CHECK_EQ(epc_cgroup_list_children(r, NULL, 0, &nr), 0, "count only");
	CHECK_EQ(nr, 3, "three");
	CHECK_EQ(epc_cgroup_list_children(r, NULL, 1, &nr), -EINVAL, "NULL array");
	CHECK_EQ(epc_cgroup_list_children(r, kids, 1, NULL), -EINVAL, "NULL count");
	CHECK_EQ(epc_cgroup_name(r, name, sizeof(name)), 0, "the root's name is empty");
	CHECK_EQ(epc_cgroup_name(b, name, 1), -ENOSPC, "too small");
	/* the listing's references keep a removed child until they are put */
	watch(epc, &f);
	CHECK_EQ(epc_cgroup_put(b), 0, "the creator's reference of the old b");
	CHECK_EQ(f.nr, 1, "the old b is freed");
	epc->cgroups.on_free = NULL;
	epc_destroy(epc);
}

static void expect_ids(const uint64_t *got, size_t nr, const uint64_t *want, size_t nr_want,
		       const char *what)
{
	CHECK_EQ(nr, nr_want, what);
	for (size_t i = 0; i < nr; i++)
		if (got[i] != want[i])
			fail_msg("%s: entry %zu is %llu, expected %llu", what, i,
				 (unsigned long long)got[i], (unsigned long long)want[i]);
}

static void test_handles_list_tasks_and_encls(void **state)
{
	struct epc *epc = make_epc(256);
	struct epc_cgroup *a = make_cg(epc, "/a"), *b = make_cg(epc, "/b");
	struct epc_task *t1 = make_task(epc, a, 0), *t2 = make_task(epc, a, 0);
	struct epc_task *t3 = make_task(epc, b, 0);
	struct epc_encl *e1, *e2, *e3;
	uint64_t ids[8];
	size_t nr = 0;

	(void)state;
	CHECK(epc_task_id(t1) == 1 && epc_task_id(t2) == 2 && epc_task_id(t3) == 3,
	      "task ids in creation order");
	CHECK_EQ(epc_cgroup_list_tasks(a, ids, 8, &nr), 0, "tasks of a");
	expect_ids(ids, nr, (const uint64_t[]){2, 1}, 2, "tasks of a, newest first");
	CHECK_EQ(epc_task_move(t2, b), 0, "t2 to b");
	CHECK_EQ(epc_cgroup_list_tasks(b, ids, 8, &nr), 0, "tasks of b");
	expect_ids(ids, nr, (const uint64_t[]){3, 2}, 2, "tasks of b");
	CHECK_EQ(epc_cgroup_list_tasks(epc_cgroup_root(epc), ids, 8, &nr), 0, "root");
	CHECK_EQ(nr, 0, "no task in the root itself");

	e1 = build(t1, 4, 2, 1, true);
	e2 = build(t2, 4, 2, 2, true);
	e3 = build(t1, 4, 2, 3, true);
	CHECK_EQ(epc_cgroup_list_encls(a, ids, 8, &nr), 0, "enclaves of a");
	expect_ids(ids, nr, (const uint64_t[]){epc_encl_id(e3), epc_encl_id(e1)}, 2, "of a");
	CHECK_EQ(epc_list_encls(epc, ids, 2, &nr), 0, "all, a short array");
	CHECK_EQ(nr, 3, "three enclaves");
	expect_ids(ids, 2, (const uint64_t[]){epc_encl_id(e3), epc_encl_id(e2)}, 2, "newest two");
	/* the creator's cgroup, for life: it may even be removed meanwhile */
	CHECK_EQ(epc_task_move(t1, NULL), 0, "t1 leaves a");
	CHECK_EQ(epc_cgroup_remove(a), 0, "rmdir a, its enclaves alive");
	CHECK_EQ(epc_cgroup_list_encls(a, ids, 8, &nr), 0, "a dying cgroup lists");
	CHECK_EQ(nr, 2, "its two enclaves");
	epc_encl_destroy(e1);
	epc_encl_destroy(e3);
	CHECK_EQ(epc_list_encls(epc, ids, 8, &nr), 0, "after destroy");
	expect_ids(ids, nr, (const uint64_t[]){epc_encl_id(e2)}, 1, "e2 is left");
	CHECK_EQ(epc_list_encls(epc, NULL, 8, &nr), -EINVAL, "NULL ids");
	CHECK_EQ(epc_cgroup_list_tasks(b, ids, 8, NULL), -EINVAL, "NULL count");
	epc_encl_destroy(e2);
	epc_task_destroy(t1);
	epc_task_destroy(t2);
	epc_task_destroy(t3);
	CHECK_EQ(epc_cgroup_put(a), 0, "put a: freed, nothing references it now");
	CHECK_EQ(atomic_load(&epc->cgroups.nr_dying), 0, "the enclaves let go of a");
	assert_epc_consistent(epc);
	epc_destroy(epc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handles_last_put_frees_removed_cgroup),
		cmocka_unit_test(test_handles_last_uncharge_after_last_put),
		cmocka_unit_test(test_handles_put_errors_and_root),
		cmocka_unit_test(test_handles_destroy_frees_referenced_cgroups),
		cmocka_unit_test(test_handles_list_children),
		cmocka_unit_test(test_handles_list_tasks_and_encls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
