// SPDX-License-Identifier: MIT
/*
 * test_cgroup.c - the cgroup tree (src/cgroup/cgroup.c) through the public
 * API: paths, create/lookup/remove with every error, removal with charges
 * left (dying, reaped when the last charge goes), tasks and removed cgroups,
 * and the EPC cgroup behaviours raw pages reach (kernel-spec §7: 50, 51, 52
 * partly, 54 for raw pages, 64).
 *
 * Raw pages are never reclaimable, so a charge refused by a limit always
 * ends in -ENOMEM, in both reclaim modes, with the event counted.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>

#include "helpers.h"

#include "cgroup/cgroup.h"

#define NPAGES 64

/* ------------------------------------------------------------- helpers */

/* Counts cgroups freed, through the tree's on_free hook (nobody else uses it). */
struct free_log {
	int nr;
	struct epc_cgroup *last[16];
};

static void on_free_count(struct epc_cgroup *cg, void *arg)
{
	struct free_log *fl = arg;

	if (fl->nr < 16)
		fl->last[fl->nr] = cg;
	fl->nr++;
}

static void watch_frees(struct epc *epc, struct free_log *fl)
{
	memset(fl, 0, sizeof(*fl));
	epc->cgroups.on_free = on_free_count;
	epc->cgroups.on_free_arg = fl;
}

static void unwatch_frees(struct epc *epc)
{
	epc->cgroups.on_free = NULL;
	epc->cgroups.on_free_arg = NULL;
}

static uint64_t count_of(struct epc_cgroup *cg, const char *file)
{
	char buf[128];
	unsigned long long v = 0;

	cg_read(cg, file, buf, sizeof(buf));
	assert_int_equal(sscanf(buf, "%*s %llu", &v), 1);
	return v;
}

static void expect_path(struct epc_cgroup *cg, const char *path)
{
	char buf[1024];

	assert_int_equal(epc_cgroup_path(cg, buf, sizeof(buf)), strlen(path));
	assert_string_equal(buf, path);
}

/* Look @path up and give the reference back: the caller holds another one. */
static struct epc_cgroup *lookup_ok(struct epc *epc, const char *path)
{
	struct epc_cgroup *cg = NULL;

	CHECK_ERR(epc_cgroup_lookup(epc, path, &cg), 0, "epc_cgroup_lookup");
	assert_non_null(cg);
	CHECK_ERR(epc_cgroup_put(cg), 0, "epc_cgroup_put");
	return cg;
}

static void lookup_fails(struct epc *epc, const char *path, int err)
{
	struct epc_cgroup *cg = (struct epc_cgroup *)0x1;

	CHECK_ERR(epc_cgroup_lookup(epc, path, &cg), err, check_fmt("looking up %s", path));
	assert_ptr_equal(cg, (struct epc_cgroup *)0x1);
}

static void create_fails(struct epc *epc, const char *path, int err)
{
	struct epc_cgroup *cg = (struct epc_cgroup *)0x1;
	int ret = epc_cgroup_create(epc, path, &cg);

	if (ret != err)
		fail_msg("create(\"%s\") gave %d, expected %d", path ? path : "(null)", ret, err);
	assert_ptr_equal(cg, (struct epc_cgroup *)0x1);
}

/* ---------------------------------------------------------------- tree */

static void test_cgroup_create_lookup_nested(void **state)
{
	struct epc *epc = make_epc(NPAGES);
	struct epc_cgroup *r = epc_cgroup_root(epc);
	struct epc_cgroup *a, *b, *c, *d;

	(void)state;
	assert_non_null(r);
	assert_ptr_equal(lookup_ok(epc, "/"), r);
	a = make_cg(epc, "/a");
	b = make_cg(epc, "/a/b");
	c = make_cg(epc, "/a/b/c");
	d = make_cg(epc, "/d");
	assert_ptr_equal(lookup_ok(epc, "/a"), a);
	assert_ptr_equal(lookup_ok(epc, "/a/b"), b);
	assert_ptr_equal(lookup_ok(epc, "/a/b/c"), c);
	assert_ptr_equal(lookup_ok(epc, "/d"), d);
	CHECK(a != b && b != c && c != d && a != r, "each path is its own cgroup");
	expect_path(r, "/");
	expect_path(a, "/a");
	expect_path(c, "/a/b/c");
	expect_path(d, "/d");
	/* names are case-sensitive and all of [A-Za-z0-9._-] are allowed */
	make_cg(epc, "/A");
	make_cg(epc, "/a/b/c/Zz09._-");
	make_cg(epc, "/...");
	make_cg(epc, "/.a");
	make_cg(epc, "/-");
	make_cg(epc, "/a..");
	assert_ptr_equal(lookup_ok(epc, "/a"), a);
	CHECK(lookup_ok(epc, "/A") != a, "names are case-sensitive");
	expect_path(lookup_ok(epc, "/a/b/c/Zz09._-"), "/a/b/c/Zz09._-");
	/* same name under different parents: different cgroups */
	{
		struct epc_cgroup *x1 = make_cg(epc, "/a/x"), *x2 = make_cg(epc, "/d/x");

		CHECK(x1 != x2, "one name under two parents is two cgroups");
		expect_path(x2, "/d/x");
	}
	assert_epc_consistent(epc);
	epc_destroy(epc);
}

static void test_cgroup_create_lookup_errors(void **state)
{
	static const char *const malformed[] = {
		"",	"a",	 "a/b",	 "//",	    "/a/",   "/a//b", "//a",   "/.",  "/..",
		"/a/.", "/a/..", "/./a", "/a/../b", "/a\nb", " /a",   "/a/b/", "\\a",
	};
	struct epc *epc = make_epc(NPAGES);

	(void)state;
	make_cg(epc, "/a");
	make_cg(epc, "/a/b");
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		create_fails(epc, malformed[i], -EINVAL);
		lookup_fails(epc, malformed[i], -EINVAL);
		CHECK_EQ_AT(epc__cg_path_check(malformed[i]), -EINVAL, i);
	}
	create_fails(epc, NULL, -EINVAL);
	lookup_fails(epc, NULL, -EINVAL);
	/* the root exists */
	create_fails(epc, "/", -EEXIST);
	create_fails(epc, "/a", -EEXIST);
	create_fails(epc, "/a/b", -EEXIST);
	/* missing parents */
	create_fails(epc, "/x/y", -ENOENT);
	create_fails(epc, "/a/x/y", -ENOENT);
	create_fails(epc, "/a/b/c/d", -ENOENT);
	lookup_fails(epc, "/x", -ENOENT);
	lookup_fails(epc, "/a/x", -ENOENT);
	lookup_fails(epc, "/x/a", -ENOENT);
	lookup_fails(epc, "/A", -ENOENT);
	lookup_fails(epc, "/a/b/c", -ENOENT);
	CHECK(epc__list_empty(&lookup_ok(epc, "/a/b")->children),
	      "none of the failures created anything");
	assert_int_equal(epc__cg_path_check("/"), 0);
	assert_int_equal(epc__cg_path_check("/a/b"), 0);
	epc_destroy(epc);
}

#define NAME_MAX_ 4095 /* the kernel's: what a relative mkdir can pass (epcmm.h) */

static void test_cgroup_name_length_limit(void **state)
{
	struct epc *epc = make_epc(NPAGES);
	char path[2 * NAME_MAX_ + 8], buf[2 * NAME_MAX_ + 8];
	struct epc_cgroup *cg;

	(void)state;
	path[0] = '/';
	memset(path + 1, 'n', NAME_MAX_);
	path[1 + NAME_MAX_] = '\0';
	cg = make_cg(epc, path);
	assert_ptr_equal(lookup_ok(epc, path), cg);
	CHECK_EQ(epc_cgroup_path(cg, buf, NAME_MAX_ + 2), NAME_MAX_ + 1, "the path's length");
	CHECK(!strcmp(buf, path), "the path");
	CHECK_ERR(epc_cgroup_path(cg, buf, NAME_MAX_ + 1), -ENOSPC, "epc_cgroup_path");
	/* a 4095-byte child of it, and a 4096-byte name refused at both levels */
	path[1 + NAME_MAX_] = '/';
	memset(path + 2 + NAME_MAX_, 'm', NAME_MAX_);
	path[2 + 2 * NAME_MAX_] = '\0';
	CHECK_EQ(epc_cgroup_path(make_cg(epc, path), buf, sizeof(buf)), 2 + 2 * NAME_MAX_,
		 "a child of 4095 bytes");
	path[2 + 2 * NAME_MAX_] = 'm';
	path[3 + 2 * NAME_MAX_] = '\0';
	create_fails(epc, path, -EINVAL);
	lookup_fails(epc, path, -EINVAL);
	memset(path + 1, 'x', NAME_MAX_ + 1);
	path[2 + NAME_MAX_] = '\0';
	create_fails(epc, path, -EINVAL);
	epc_destroy(epc);
}

/* The kernel's names: any bytes but '/' and '\n', each its own cgroup. */
static void test_cgroup_kernel_names(void **state)
{
	static const char *const names[] = {"/a b",
					    "/a\tb",
					    "/\xc3\xa4",
					    "/a*",
					    "/a:b",
					    "/a\\b",
					    "/a ",
					    "/%",
					    "/user@1000.service",
					    "/misc.max",
					    "/misc.max/misc.capacity",
					    "/\x01\x7f\xff"};
	struct epc *epc = make_epc(NPAGES);
	struct epc_cgroup *cg[sizeof(names) / sizeof(names[0])];

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		cg[i] = make_cg(epc, names[i]);
		expect_path(cg[i], names[i]);
		for (size_t j = 0; j < i; j++)
			CHECK(cg[j] != cg[i], "each name its own cgroup");
		assert_ptr_equal(lookup_ok(epc, names[i]), cg[i]);
	}
	/* a name a file of the parent has is taken, as in the kernel */
	create_fails(epc, "/cgroup.procs", -EEXIST);
	create_fails(epc, "/misc.capacity", -EEXIST);
	create_fails(epc, "/misc.max/misc.max", -EEXIST);
	create_fails(epc, "/a b/cgroup.subtree_control", -EEXIST);
	create_fails(epc, "/misc.current", -EEXIST);
	assert_epc_consistent(epc);
	epc_destroy(epc);
}

/* create_child (mkdirat), child (lookup by name) and ids (lookup by id). */
static void test_cgroup_child_calls(void **state)
{
	struct epc *epc = make_epc(NPAGES);
	struct epc_cgroup *r = epc_cgroup_root(epc), *a, *b, *got = NULL, *keep = (void *)0x1;
	char name[NAME_MAX_ + 2];

	(void)state;
	CHECK_EQ(epc_cgroup_id(r), 1, "the root's id");
	CHECK_ERR(epc_cgroup_create_child(r, "a b", &a), 0, "create_child");
	expect_path(a, "/a b");
	CHECK(epc_cgroup_id(a) > 1, "a new id");
	CHECK_ERR(epc_cgroup_create_child(a, "x", &b), 0, "a grandchild");
	expect_path(b, "/a b/x");
	CHECK(epc_cgroup_id(b) > epc_cgroup_id(a), "ids in creation order");
	/* the kernel's errors for names, and nothing made */
	CHECK_ERR(epc_cgroup_create_child(r, "", &keep), -EINVAL, "an empty name");
	CHECK_ERR(epc_cgroup_create_child(r, "p/q", &keep), -EINVAL, "a '/'");
	CHECK_ERR(epc_cgroup_create_child(r, "p\nq", &keep), -EINVAL, "a newline");
	CHECK_ERR(epc_cgroup_create_child(r, ".", &keep), -EEXIST, "\".\" exists");
	CHECK_ERR(epc_cgroup_create_child(r, "..", &keep), -EEXIST, "\"..\" exists");
	CHECK_ERR(epc_cgroup_create_child(r, "a b", &keep), -EEXIST, "a child's name");
	CHECK_ERR(epc_cgroup_create_child(r, "cgroup.procs", &keep), -EEXIST, "a file's name");
	CHECK_ERR(epc_cgroup_create_child(a, "misc.max", &keep), -EEXIST, "a file of /a b");
	memset(name, 'n', NAME_MAX_ + 1);
	name[NAME_MAX_ + 1] = '\0';
	CHECK_ERR(epc_cgroup_create_child(r, name, &keep), -ENAMETOOLONG, "4096 bytes");
	CHECK(keep == (void *)0x1, "no refused call wrote a handle");
	name[NAME_MAX_] = '\0';
	CHECK_ERR(epc_cgroup_create_child(r, name, &got), 0, "4095 bytes");
	CHECK_ERR(epc_cgroup_remove(got), 0, "remove it");
	CHECK_ERR(epc_cgroup_put(got), 0, "put it");
	/* lookups by name */
	CHECK_ERR(epc_cgroup_child(r, "a b", &got), 0, "child");
	assert_ptr_equal(got, a);
	CHECK_ERR(epc_cgroup_put(got), 0, "put the lookup's reference");
	CHECK_ERR(epc_cgroup_child(a, "x", &got), 0, "a grandchild by name");
	assert_ptr_equal(got, b);
	CHECK_ERR(epc_cgroup_put(got), 0, "put it");
	CHECK_ERR(epc_cgroup_child(r, "x", &keep), -ENOENT, "not the root's child");
	CHECK_ERR(epc_cgroup_child(r, "a b/x", &keep), -ENOENT, "a path is no name");
	CHECK_ERR(epc_cgroup_child(r, "misc.current", &keep), -ENOENT, "a file is no child");
	/* lookups by id */
	CHECK_ERR(epc_cgroup_lookup_id(epc, epc_cgroup_id(b), &got), 0, "by id");
	assert_ptr_equal(got, b);
	CHECK_ERR(epc_cgroup_put(got), 0, "put it");
	CHECK_ERR(epc_cgroup_lookup_id(epc, 1, &got), 0, "the root by id");
	assert_ptr_equal(got, r);
	CHECK_ERR(epc_cgroup_lookup_id(epc, 0, &keep), -ENOENT, "no id 0");
	CHECK_ERR(epc_cgroup_lookup_id(epc, 1000000, &keep), -ENOENT, "an id never given");
	/* removed: gone by name and by id, for good; its name free again */
	{
		uint64_t old = epc_cgroup_id(b);

		CHECK_ERR(epc_cgroup_remove(b), 0, "remove /a b/x");
		CHECK_ERR(epc_cgroup_child(a, "x", &keep), -ENOENT, "gone by name");
		CHECK_ERR(epc_cgroup_lookup_id(epc, old, &keep), -ENOENT, "gone by id");
		CHECK_ERR(epc_cgroup_create_child(b, "y", &keep), -ENOENT,
			  "no child of a removed one");
		CHECK_ERR(epc_cgroup_child(b, "y", &keep), -ENOENT, "nor a lookup in it");
		CHECK_ERR(epc_cgroup_put(b), 0, "put it: freed");
		CHECK_ERR(epc_cgroup_create_child(a, "x", &b), 0, "the name again");
		CHECK(epc_cgroup_id(b) != old, "a new id");
		CHECK_ERR(epc_cgroup_lookup_id(epc, old, &keep), -ENOENT, "the old id stays gone");
	}
	CHECK(keep == (void *)0x1, "no failed lookup wrote a handle");
	CHECK_ERR(epc_cgroup_put(b), 0, "put");
	CHECK_ERR(epc_cgroup_put(a), 0, "put");
	assert_epc_consistent(epc);
	epc_destroy(epc);
}

/* Thousands of siblings and cousins: the index grows, each found by name and id. */
static void test_cgroup_many_children_found(void **state)
{
	enum {
		N = 3000
	};
	struct epc *epc = make_epc(NPAGES);
	struct epc_cgroup *r = epc_cgroup_root(epc), *cg[N], *got;
	char name[32];

	(void)state;
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		CHECK_ERR(epc_cgroup_create_child(i % 2 && i > 1 ? cg[1] : r, name, &cg[i]), 0,
			  "create_child");
	}
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		if (epc_cgroup_child(i % 2 && i > 1 ? cg[1] : r, name, &got) || got != cg[i])
			fail_msg("child c%d not found by name", i);
		epc_cgroup_put(got);
		if (epc_cgroup_lookup_id(epc, epc_cgroup_id(cg[i]), &got) || got != cg[i])
			fail_msg("c%d not found by id", i);
		epc_cgroup_put(got);
	}
	for (int i = N - 1; i >= 0; i--) {
		CHECK_ERR(epc_cgroup_remove(cg[i]), 0, "remove");
		CHECK_ERR(epc_cgroup_put(cg[i]), 0, "put");
	}
	CHECK_ERR(epc_cgroup_child(r, "c0", &got), -ENOENT, "all gone");
	assert_epc_consistent(epc);
	epc_destroy(epc);
}

/* A deep chain: depth 32, paths and usage all the way up. */
static void test_cgroup_deep_chain(void **state)
{
	struct epc *epc = make_epc(NPAGES);
	struct epc_cgroup *chain[33];
	char path[256] = "";
	struct epc_task *t;
	struct epc_page *p;

	(void)state;
	chain[0] = epc_cgroup_root(epc);
	for (int i = 1; i <= 32; i++) {
		size_t l = strlen(path);

		snprintf(path + l, sizeof(path) - l, "/%c", 'a' + (i - 1) % 26);
		chain[i] = make_cg(epc, path);
		expect_path(chain[i], path);
		CHECK_EQ_AT(chain[i]->depth, i, i);
	}
	t = make_task(epc, chain[32], 0);
	p = alloc_ok(t);
	for (int i = 0; i <= 32; i++)
		CHECK_EQ_AT(cg_usage(chain[i]), PAGE, i);
	/* a limit in the middle binds the bottom */
	CHECK_ERR(epc_cgroup_write(chain[16], "misc.max", "sgx_epc 4096"), 0, "epc_cgroup_write");
	alloc_fails(t, EPC_DO_RECLAIM, -ENOMEM);
	for (int i = 1; i <= 32; i++) {
		CHECK_EQ_AT(count_of(chain[i], "misc.events"), i <= 16 ? 1 : 0, i);
		CHECK_EQ_AT(count_of(chain[i], "misc.events.local"), i == 16 ? 1 : 0, i);
	}
	epc_page_free(p);
	for (int i = 0; i <= 32; i++)
		CHECK_EQ_AT(cg_usage(chain[i]), 0, i);
	/* remove bottom-up: every step but the last leaf is -EBUSY first */
	CHECK_ERR(epc_cgroup_remove(chain[31]), -EBUSY, "epc_cgroup_remove");
	epc_task_destroy(t);
	for (int i = 32; i >= 1; i--) {
		if (i > 1)
			CHECK_EQ_AT(epc_cgroup_remove(chain[i - 1]), -EBUSY, i);
		CHECK_EQ_AT(epc_cgroup_remove(chain[i]), 0, i);
		CHECK_EQ_AT(epc_cgroup_put(chain[i]), 0, i);
	}
	CHECK(epc__list_empty(&epc_cgroup_root(epc)->children), "the whole chain is gone");
	assert_epc_consistent(epc);
	epc_destroy(epc);
}

static void test_cgroup_remove_errors(void **state)
{
	struct epc *epc = make_epc(NPAGES);
	struct epc_cgroup *r = epc_cgroup_root(epc);
	struct epc_cgroup *a = make_cg(epc, "/a");
	struct epc_cgroup *b = make_cg(epc, "/a/b");
	struct epc_cgroup *c = make_cg(epc, "/c");
	struct epc_task *t;
	struct free_log fl;

	(void)state;
	watch_frees(epc, &fl);
	CHECK_ERR(epc_cgroup_remove(r), -EINVAL, "epc_cgroup_remove");
	assert_ptr_equal(lookup_ok(epc, "/"), r);
	/* live child */
	CHECK_ERR(epc_cgroup_remove(a), -EBUSY, "epc_cgroup_remove");
	assert_ptr_equal(lookup_ok(epc, "/a"), a);
	/* a task */
	t = make_task(epc, c, 0);
	CHECK_ERR(epc_cgroup_remove(c), -EBUSY, "epc_cgroup_remove");
	assert_ptr_equal(lookup_ok(epc, "/c"), c);
	/* the task moves away: now it goes */
	CHECK_ERR(epc_task_move(t, b), 0, "epc_task_move");
	CHECK_ERR(epc_cgroup_remove(b), -EBUSY, "epc_cgroup_remove");
	assert_int_equal(fl.nr, 0);
	CHECK_ERR(epc_cgroup_remove(c), 0, "epc_cgroup_remove");
	assert_int_equal(fl.nr, 0); /* no charges, but our handle references it */
	CHECK_ERR(epc_cgroup_put(c), 0, "epc_cgroup_put");
	assert_int_equal(fl.nr, 1); /* freed with the last reference */
	assert_ptr_equal(fl.last[0], c);
	lookup_fails(epc, "/c", -ENOENT);
	/* the task is destroyed: b goes, then a */
	epc_task_destroy(t);
	CHECK_ERR(epc_cgroup_remove(b), 0, "epc_cgroup_remove");
	CHECK_ERR(epc_cgroup_remove(a), 0, "epc_cgroup_remove");
	CHECK_ERR(epc_cgroup_put(b), 0, "epc_cgroup_put");
	CHECK_ERR(epc_cgroup_put(a), 0, "epc_cgroup_put");
	assert_int_equal(fl.nr, 3);
	lookup_fails(epc, "/a", -ENOENT);
	lookup_fails(epc, "/a/b", -ENOENT);
	CHECK(epc__list_empty(&r->children), "the root has no children left");
	/* and the names can be had again */
	make_cg(epc, "/a");
	make_cg(epc, "/a/b");
	make_cg(epc, "/c");
	unwatch_frees(epc);
	assert_epc_consistent(epc);
	epc_destroy(epc);
}

/*
 * Removal with charges left: gone from lookups at once, its name free for a
 * new cgroup, still charged (and readable through the handle), freed when
 * its last charge goes.
 */
static void test_cgroup_remove_with_charges_dies_then_reaped(void **state)
{
	struct epc *epc = make_epc(NPAGES);
	struct epc_cgroup *r = epc_cgroup_root(epc);
	struct epc_cgroup *a = make_cg(epc, "/a"), *a2;
	struct epc_task *t = make_task(epc, a, 0);
	struct epc_page *p, *q;
	struct free_log fl;

	(void)state;
	watch_frees(epc, &fl);
	p = alloc_ok(t);
	q = alloc_ok(t);
	CHECK_ERR(epc_task_move(t, r), 0, "epc_task_move");
	CHECK_ERR(epc_cgroup_remove(a), 0, "epc_cgroup_remove");
	assert_int_equal(fl.nr, 0); /* charged: dying, not freed */
	assert_int_equal(atomic_load(&epc->cgroups.nr_dying), 1);
	lookup_fails(epc, "/a", -ENOENT);
	create_fails(epc, "/a/x", -ENOENT);
	assert_int_equal(cg_usage(r), 2 * PAGE);
	assert_int_equal(cg_usage(a), 2 * PAGE); /* the handle still reads */
	/* removing it again: it is already gone */
	CHECK_ERR(epc_cgroup_remove(a), -ENOENT, "epc_cgroup_remove");

	/* a new /a while the old one is dying */
	a2 = make_cg(epc, "/a");
	CHECK(a2 != a, "a new /a, not the dying one");
	assert_ptr_equal(lookup_ok(epc, "/a"), a2);
	assert_int_equal(cg_usage(a2), 0);
	expect_path(a2, "/a");

	epc_page_free(p);
	assert_int_equal(fl.nr, 0);
	assert_int_equal(cg_usage(a), PAGE);
	assert_int_equal(cg_usage(r), PAGE);
	CHECK_ERR(epc_cgroup_put(a), 0, "epc_cgroup_put"); /* referenced no more, but charged */
	assert_int_equal(fl.nr, 0);
	epc_page_free(q); /* the last charge: reaped here */
	assert_int_equal(fl.nr, 1);
	assert_ptr_equal(fl.last[0], a);
	assert_int_equal(atomic_load(&epc->cgroups.nr_dying), 0);
	assert_null(epc->cgroups.dying);
	assert_int_equal(cg_usage(r), 0);
	assert_ptr_equal(lookup_ok(epc, "/a"), a2);
	assert_ptr_equal(epc__list_first(&r->children, struct epc_cgroup, sibling), a2);
	assert_null(epc__list_next(a2, &r->children, sibling));
	/* the new one works */
	CHECK_ERR(epc_task_move(t, a2), 0, "epc_task_move");
	p = alloc_ok(t);
	assert_int_equal(cg_usage(a2), PAGE);
	epc_page_free(p);
	unwatch_frees(epc);
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/*
 * A dying child keeps its removed parent: the parent is freed only after
 * the child, when the child's last charge goes.
 */
static void test_cgroup_remove_parent_of_dying_child(void **state)
{
	struct epc *epc = make_epc(NPAGES);
	struct epc_cgroup *r = epc_cgroup_root(epc);
	struct epc_cgroup *p = make_cg(epc, "/p");
	struct epc_cgroup *q = make_cg(epc, "/p/q");
	struct epc_task *t = make_task(epc, q, 0);
	struct epc_page *pg;
	struct free_log fl;

	(void)state;
	watch_frees(epc, &fl);
	pg = alloc_ok(t);
	CHECK_ERR(epc_task_move(t, NULL), 0, "epc_task_move"); /* NULL = the root */
	CHECK_ERR(epc_cgroup_remove(p), -EBUSY, "epc_cgroup_remove");
	CHECK_ERR(epc_cgroup_remove(q), 0, "epc_cgroup_remove");
	CHECK_ERR(epc_cgroup_remove(p), 0, "epc_cgroup_remove"); /* no live child any more */
	assert_int_equal(fl.nr, 0);
	assert_int_equal(atomic_load(&epc->cgroups.nr_dying), 2);
	lookup_fails(epc, "/p", -ENOENT);
	lookup_fails(epc, "/p/q", -ENOENT);
	assert_int_equal(cg_usage(p), PAGE);
	/* the names are free again, with a new child under the new /p */
	make_cg(epc, "/p");
	make_cg(epc, "/p/q");
	CHECK_ERR(epc_cgroup_put(q), 0, "epc_cgroup_put");
	CHECK_ERR(epc_cgroup_put(p), 0, "epc_cgroup_put");
	assert_int_equal(fl.nr, 0); /* still charged */
	epc_page_free(pg);
	assert_int_equal(fl.nr, 2);
	assert_ptr_equal(fl.last[0], q); /* child first */
	assert_ptr_equal(fl.last[1], p);
	assert_int_equal(atomic_load(&epc->cgroups.nr_dying), 0);
	assert_int_equal(cg_usage(r), 0);
	assert_int_equal(cg_usage(lookup_ok(epc, "/p/q")), 0);
	unwatch_frees(epc);
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* Dying cgroups left at epc_destroy() are freed with it (ASan/LSan watch). */
static void test_cgroup_destroy_with_dying_cgroups(void **state)
{
	struct epc *epc = make_epc(NPAGES);
	struct epc_cgroup *a = make_cg(epc, "/a");
	struct epc_cgroup *b = make_cg(epc, "/a/b");
	struct epc_task *t = make_task(epc, b, 0);
	struct free_log fl;

	(void)state;
	alloc_ok(t);
	alloc_ok(t); /* left allocated: epc_destroy takes them */
	epc_task_destroy(t);
	CHECK_ERR(epc_cgroup_remove(b), 0, "epc_cgroup_remove");
	CHECK_ERR(epc_cgroup_remove(a), 0, "epc_cgroup_remove");
	assert_int_equal(atomic_load(&epc->cgroups.nr_dying), 2);
	watch_frees(epc, &fl);
	epc_destroy(epc);
	assert_int_equal(fl.nr, 3); /* a, b and the root */
}

static void test_cgroup_tasks_and_removed_cgroups(void **state)
{
	struct epc *epc = make_epc(NPAGES);
	struct epc_cgroup *r = epc_cgroup_root(epc);
	struct epc_cgroup *a = make_cg(epc, "/a"), *b = make_cg(epc, "/b");
	struct epc_task *t = make_task(epc, a, 0), *u = make_task(epc, b, 0), *v = NULL;
	struct epc_page *p, *q;

	(void)state;
	p = alloc_ok(t);
	CHECK_ERR(epc_task_move(t, r), 0, "epc_task_move");
	CHECK_ERR(epc_cgroup_remove(a), 0, "epc_cgroup_remove"); /* dying: the handle stays valid */
	CHECK_ERR(epc_task_create(epc, a, 0, &v), -EINVAL, "epc_task_create");
	assert_null(v);
	CHECK_ERR(epc_task_move(u, a), -EINVAL, "epc_task_move");
	/* u is still in b: its charges go there */
	q = alloc_ok(u);
	assert_int_equal(cg_usage(b), PAGE);
	assert_int_equal(cg_usage(a), PAGE);
	CHECK_ERR(epc_cgroup_remove(b), -EBUSY, "epc_cgroup_remove");
	/* CPU out of range, and moves to the same cgroup */
	CHECK_ERR(epc_task_create(epc, b, 1, &v), -EINVAL, "epc_task_create");
	CHECK_ERR(epc_task_create(epc, b, -1, &v), -EINVAL, "epc_task_create");
	assert_null(v);
	CHECK_ERR(epc_task_move(u, b), 0, "epc_task_move");
	CHECK_ERR(epc_cgroup_remove(b), -EBUSY, "epc_cgroup_remove");
	/* a task created with NULL is in the root */
	v = make_task(epc, NULL, 0);
	epc_page_free(q);
	epc_task_destroy(u);
	CHECK_ERR(epc_cgroup_remove(b), 0, "epc_cgroup_remove");
	CHECK_ERR(epc_cgroup_put(a), 0, "epc_cgroup_put");
	CHECK_ERR(epc_cgroup_put(b), 0, "epc_cgroup_put");
	epc_page_free(p);
	assert_int_equal(atomic_load(&epc->cgroups.nr_dying), 0);
	q = alloc_ok(v);
	assert_int_equal(cg_usage(r), PAGE);
	epc_page_free(q);
	assert_int_equal(cg_usage(r), 0);
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_task_destroy(v);
	epc_destroy(epc);
}

/* Two tasks in one cgroup both count: removal waits for both. */
static void test_cgroup_task_counts(void **state)
{
	struct epc *epc = make_epc(NPAGES);
	struct epc_cgroup *a = make_cg(epc, "/a"), *b = make_cg(epc, "/b");
	struct epc_task *t1 = make_task(epc, a, 0), *t2 = make_task(epc, a, 0);

	(void)state;
	assert_int_equal(a->nr_tasks, 2);
	epc_task_destroy(t1);
	CHECK_ERR(epc_cgroup_remove(a), -EBUSY, "epc_cgroup_remove");
	CHECK_ERR(epc_task_move(t2, b), 0, "epc_task_move");
	assert_int_equal(a->nr_tasks, 0);
	assert_int_equal(b->nr_tasks, 1);
	CHECK_ERR(epc_cgroup_remove(a), 0, "epc_cgroup_remove");
	CHECK_ERR(epc_cgroup_remove(b), -EBUSY, "epc_cgroup_remove");
	epc_task_destroy(t2);
	CHECK_ERR(epc_cgroup_remove(b), 0, "epc_cgroup_remove");
	epc_destroy(epc);
}

/* ---------------------------------------------------------- behaviours */

/* 50: a task in C charges C, A and the root; the page records C. */
static void test_cgroup_b50_charge_path_to_root(void **state)
{
	struct epc *epc = make_epc(NPAGES);
	struct epc_cgroup *r = epc_cgroup_root(epc);
	struct epc_cgroup *a = make_cg(epc, "/A");
	struct epc_cgroup *c = make_cg(epc, "/A/C");
	struct epc_cgroup *b = make_cg(epc, "/A/B");
	struct epc_cgroup *d = make_cg(epc, "/D");
	struct epc_task *t = make_task(epc, c, 0);
	struct epc_page *p[3];

	(void)state;
	for (int i = 0; i < 3; i++) {
		p[i] = alloc_ok(t);
		CHECK_AT(p[i]->cg == c, i);
		CHECK_EQ_AT(cg_usage(c), (uint64_t)(i + 1) * PAGE, i);
		CHECK_EQ_AT(cg_usage(a), (uint64_t)(i + 1) * PAGE, i);
		CHECK_EQ_AT(cg_usage(r), (uint64_t)(i + 1) * PAGE, i);
		CHECK_EQ_AT(cg_usage(b), 0, i);
		CHECK_EQ_AT(cg_usage(d), 0, i);
	}
	/* raw pages are never on an LRU */
	assert_int_equal(atomic_load(&c->nr_lru), 0);
	{
		struct epc_stats st;

		epc_get_stats2(epc, &st, sizeof(st));
		assert_int_equal(st.nr_reclaimable, 0);
		assert_int_equal(st.nr_free, NPAGES - 3);
	}
	for (int i = 0; i < 3; i++)
		epc_page_free(p[i]);
	assert_int_equal(cg_usage(r), 0);
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* A task in the root charges the root alone. */
static void test_cgroup_root_task_charges_root(void **state)
{
	struct epc *epc = make_epc(NPAGES);
	struct epc_cgroup *r = epc_cgroup_root(epc);
	struct epc_cgroup *a = make_cg(epc, "/a");
	struct epc_task *t = make_task(epc, r, 0);
	struct epc_page *p = alloc_ok(t);

	(void)state;
	assert_ptr_equal(p->cg, r);
	assert_int_equal(cg_usage(r), PAGE);
	assert_int_equal(count_of(r, "misc.peak"), PAGE);
	assert_int_equal(cg_usage(a), 0);
	/* limits below the root do not bind it */
	CHECK_ERR(epc_cgroup_write(a, "misc.max", "sgx_epc 0"), 0, "epc_cgroup_write");
	epc_page_free(alloc_ok(t));
	epc_page_free(p);
	assert_int_equal(cg_usage(r), 0);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* 51: freeing uncharges the page's cgroup, not the task's current one. */
static void test_cgroup_b51_migration_keeps_charges(void **state)
{
	struct epc *epc = make_epc(NPAGES);
	struct epc_cgroup *r = epc_cgroup_root(epc);
	struct epc_cgroup *a = make_cg(epc, "/A");
	struct epc_cgroup *c = make_cg(epc, "/A/C");
	struct epc_cgroup *b = make_cg(epc, "/B");
	struct epc_task *t = make_task(epc, c, 0);
	struct epc_page *p1, *p2, *p3;

	(void)state;
	p1 = alloc_ok(t);
	p2 = alloc_ok(t);
	CHECK_ERR(epc_task_move(t, b), 0, "epc_task_move");
	/* nothing moved with the task */
	assert_int_equal(cg_usage(c), 2 * PAGE);
	assert_int_equal(cg_usage(a), 2 * PAGE);
	assert_int_equal(cg_usage(b), 0);
	p3 = alloc_ok(t);
	assert_ptr_equal(p3->cg, b);
	assert_int_equal(cg_usage(b), PAGE);
	assert_int_equal(cg_usage(r), 3 * PAGE);
	epc_page_free(p1);
	assert_int_equal(cg_usage(c), PAGE);
	assert_int_equal(cg_usage(a), PAGE);
	assert_int_equal(cg_usage(b), PAGE);
	/* B's limit does not bind C's old pages, C's limit does not bind the task */
	CHECK_ERR(epc_cgroup_write(c, "misc.max", "sgx_epc 0"), 0, "epc_cgroup_write");
	epc_page_free(alloc_ok(t));
	CHECK_ERR(epc_cgroup_write(b, "misc.max", "sgx_epc 4096"), 0, "epc_cgroup_write");
	alloc_fails(t, EPC_DO_RECLAIM, -ENOMEM);
	assert_int_equal(count_of(b, "misc.events"), 1);
	assert_int_equal(count_of(c, "misc.events"), 0);
	epc_page_free(p2);
	epc_page_free(p3);
	assert_int_equal(cg_usage(c), 0);
	assert_int_equal(cg_usage(b), 0);
	assert_int_equal(cg_usage(r), 0);
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* 52 (the part raw pages reach): a freed page is uncharged at every level. */
static void test_cgroup_b52_free_uncharges(void **state)
{
	struct epc *epc = make_epc(NPAGES);
	struct epc_cgroup *r = epc_cgroup_root(epc);
	struct epc_cgroup *a = make_cg(epc, "/A");
	struct epc_cgroup *c = make_cg(epc, "/A/C");
	struct epc_task *t = make_task(epc, c, 0);
	struct epc_page *p;
	struct epc_stats st;

	(void)state;
	CHECK_ERR(epc_cgroup_write(c, "misc.max", "sgx_epc 4096"), 0, "epc_cgroup_write");
	p = alloc_ok(t);
	alloc_fails(t, EPC_DO_RECLAIM, -ENOMEM);
	epc_page_free(p);
	assert_int_equal(cg_usage(c), 0);
	assert_int_equal(cg_usage(a), 0);
	assert_int_equal(cg_usage(r), 0);
	epc_get_stats2(epc, &st, sizeof(st));
	assert_int_equal(st.nr_free, NPAGES);
	/* the limit's room is back */
	p = alloc_ok(t);
	epc_page_free(p);
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/*
 * 54 for raw pages: at a limit with nothing reclaimable in the subtree,
 * -ENOMEM in both modes, an event each time, no charge left.
 */
static void test_cgroup_b54_limit_enomem_both_modes_counts_events(void **state)
{
	struct epc *epc = make_epc(NPAGES);
	struct epc_cgroup *r = epc_cgroup_root(epc);
	struct epc_cgroup *a = make_cg(epc, "/A");
	struct epc_cgroup *c = make_cg(epc, "/A/C");
	struct epc_cgroup *b = make_cg(epc, "/A/B");
	struct epc_task *tc = make_task(epc, c, 0), *tb = make_task(epc, b, 0);
	struct epc_page *p[4];
	struct epc_stats st;

	(void)state;
	CHECK_ERR(epc_cgroup_write(c, "misc.max", "sgx_epc 8192"), 0, "epc_cgroup_write");
	CHECK_ERR(epc_cgroup_write(a, "misc.max", "sgx_epc 16384"), 0, "epc_cgroup_write");
	p[0] = alloc_ok(tc);
	p[1] = alloc_ok(tc);
	for (int i = 1; i <= 4; i++) {
		alloc_fails(tc, i % 2 ? EPC_NO_RECLAIM : EPC_DO_RECLAIM, -ENOMEM);
		CHECK_EQ_AT(count_of(c, "misc.events.local"), i, i);
		CHECK_EQ_AT(count_of(c, "misc.events"), i, i);
		CHECK_EQ_AT(count_of(a, "misc.events"), i, i);
		CHECK_EQ_AT(count_of(a, "misc.events.local"), 0, i);
		CHECK_EQ_AT(cg_usage(c), 2 * PAGE, i);
		CHECK_EQ_AT(cg_usage(a), 2 * PAGE, i);
		CHECK_EQ_AT(cg_usage(r), 2 * PAGE, i);
	}
	/* B fills A; then C fails at A, B at A too */
	p[2] = alloc_ok(tb);
	p[3] = alloc_ok(tb);
	alloc_fails(tb, EPC_NO_RECLAIM, -ENOMEM);
	alloc_fails(tb, EPC_DO_RECLAIM, -ENOMEM);
	assert_int_equal(count_of(a, "misc.events.local"), 2);
	assert_int_equal(count_of(a, "misc.events"), 6);
	assert_int_equal(count_of(b, "misc.events"), 0);
	epc_page_free(p[0]);
	p[0] = alloc_ok(tb);			  /* B takes the room back: C 1 page, B 3, A full */
	alloc_fails(tc, EPC_DO_RECLAIM, -ENOMEM); /* C has room, A has none */
	assert_int_equal(count_of(a, "misc.events.local"), 3);
	assert_int_equal(count_of(c, "misc.events.local"), 4);
	/* a pending signal does not change it: nothing to reclaim means -ENOMEM */
	epc_task_set_signal(tc, true);
	alloc_fails(tc, EPC_DO_RECLAIM, -ENOMEM);
	epc_task_set_signal(tc, false);
	assert_int_equal(count_of(a, "misc.events.local"), 4);
	epc_get_stats2(epc, &st, sizeof(st));
	assert_int_equal(st.nr_free, NPAGES - 4);
	assert_int_equal(st.nr_evicted, 0);
	assert_int_equal(cg_usage(a), 4 * PAGE);
	assert_int_equal(cg_usage(c), PAGE);
	epc_page_free(p[0]);
	epc_page_free(p[1]);
	epc_page_free(p[2]);
	epc_page_free(p[3]);
	assert_int_equal(cg_usage(r), 0);
	assert_epc_consistent(epc);
	epc_task_destroy(tc);
	epc_task_destroy(tb);
	epc_destroy(epc);
}

/*
 * A failed allocation leaves no charge: the charge passed, the allocator
 * found no page (one is poisoned, so the capacity is one page more than
 * what can be handed out).
 */
static void test_cgroup_failed_alloc_leaves_no_charge(void **state)
{
	struct epc *epc = make_epc(8);
	struct epc_cgroup *r = epc_cgroup_root(epc);
	struct epc_cgroup *a = make_cg(epc, "/a");
	struct epc_task *t = make_task(epc, a, 0);
	struct epc_page *p[8] = {NULL}, *x = NULL;
	struct epc_stats st;

	(void)state;
	CHECK_ERR(epc_memory_failure(epc, 1ULL << 32, 0), 0, "epc_memory_failure");
	epc_get_stats2(epc, &st, sizeof(st));
	assert_int_equal(st.nr_free, 7);
	for (int i = 0; i < 7; i++)
		p[i] = alloc_ok(t);
	alloc_fails(t, EPC_DO_RECLAIM, -ENOMEM);
	alloc_fails(t, EPC_NO_RECLAIM, -ENOMEM);
	assert_int_equal(cg_usage(a), 7 * PAGE);
	assert_int_equal(cg_usage(r), 7 * PAGE);
	/* the charge itself passed: no limit event */
	assert_int_equal(count_of(a, "misc.events"), 0);
	assert_int_equal(atomic_load(&r->res.events_local), 0);
	/* a bad reclaim mode is refused before anything is charged */
	CHECK_ERR(epc_page_alloc(t, NULL, (enum epc_reclaim)7, &x), -EINVAL, "epc_page_alloc");
	assert_null(x);
	epc_page_free(p[6]);
	CHECK_ERR(epc_page_alloc(t, NULL, (enum epc_reclaim) - 1, &x), -EINVAL, "epc_page_alloc");
	assert_null(x);
	assert_int_equal(cg_usage(a), 6 * PAGE);
	for (int i = 0; i < 6; i++)
		epc_page_free(p[i]);
	assert_int_equal(cg_usage(r), 0);
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* A limit below the usage: accepted, nothing freed, the next charge fails. */
static void test_cgroup_b46_max_below_usage_accepted(void **state)
{
	struct epc *epc = make_epc(NPAGES);
	struct epc_cgroup *a = make_cg(epc, "/a");
	struct epc_cgroup *c = make_cg(epc, "/a/c");
	struct epc_task *t = make_task(epc, c, 0);
	struct epc_page *p[4];
	char buf[64];

	(void)state;
	for (int i = 0; i < 4; i++)
		p[i] = alloc_ok(t);
	CHECK_ERR(epc_cgroup_write(a, "misc.max", "sgx_epc 8192\n"), 0, "epc_cgroup_write");
	assert_string_equal(cg_read(a, "misc.max", buf, sizeof(buf)), "sgx_epc 8192\n");
	assert_int_equal(cg_usage(a), 4 * PAGE);
	assert_int_equal(cg_usage(c), 4 * PAGE);
	alloc_fails(t, EPC_NO_RECLAIM, -ENOMEM);
	assert_int_equal(count_of(a, "misc.events.local"), 1);
	assert_int_equal(count_of(c, "misc.events.local"), 0);
	for (int i = 0; i < 4; i++)
		epc_page_free(p[i]);
	p[0] = alloc_ok(t);
	p[1] = alloc_ok(t);
	alloc_fails(t, EPC_DO_RECLAIM, -ENOMEM);
	epc_page_free(p[0]);
	epc_page_free(p[1]);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* 64: after everything is freed, every misc.current is 0. */
static void test_cgroup_b64_no_leaked_charge(void **state)
{
	static const char *const paths[] = {"/a", "/a/b", "/a/b/c", "/a/d", "/e", "/e/f"};
	enum {
		NCG = 6,
		PER = 5
	};
	struct epc *epc = make_epc(NPAGES);
	struct epc_cgroup *cg[NCG + 1];
	struct epc_task *t[NCG + 1];
	struct epc_page *p[NCG + 1][PER];
	uint64_t seed = test_seed(64);

	(void)state;
	cg[0] = epc_cgroup_root(epc);
	for (int i = 1; i <= NCG; i++)
		cg[i] = make_cg(epc, paths[i - 1]);
	for (int i = 0; i <= NCG; i++)
		t[i] = make_task(epc, cg[i], 0);
	CHECK_ERR(epc_cgroup_write(cg[2], "misc.max", "sgx_epc 12288"), 0, "epc_cgroup_write");
	for (int round = 0; round < 20; round++) {
		int held = 0;

		for (int i = 0; i <= NCG; i++)
			for (int k = 0; k < PER; k++) {
				p[i][k] = NULL;
				if (epc_page_alloc(t[i], NULL, rng_next(&seed) & 1, &p[i][k]))
					p[i][k] = NULL;
				else
					held++;
			}
		/* cgroup 2 (/a/b, 3 pages) shares its room with its child /a/b/c */
		CHECK_EQ_AT(cg_usage(cg[2]) <= 12288, 1, round);
		CHECK_EQ_AT(cg_usage(cg[0]), (uint64_t)held * PAGE, round);
		for (int i = NCG; i >= 0; i--)
			for (int k = 0; k < PER; k++)
				epc_page_free(p[i][(k + round) % PER]);
		for (int i = 0; i <= NCG; i++)
			CHECK_EQ_AT(cg_usage(cg[i]), 0, i);
	}
	for (int i = 0; i <= NCG; i++) {
		char buf[64];

		assert_string_equal(cg_read(cg[i], "misc.current", buf, sizeof(buf)),
				    "sgx_epc 0\n");
		epc_task_destroy(t[i]);
	}
	assert_epc_consistent(epc);
	epc_destroy(epc);
}

/* Two instances in one process: same names, separate trees and counters. */
static void test_cgroup_two_instances_independent(void **state)
{
	struct epc *e1 = make_epc(8), *e2 = make_epc(16);
	struct epc_cgroup *a1 = make_cg(e1, "/a"), *a2 = make_cg(e2, "/a");
	struct epc_task *t1 = make_task(e1, a1, 0);
	struct epc_page *p;
	char buf[64];

	(void)state;
	CHECK(a1 != a2, "two cgroups, two handles");
	CHECK_ERR(epc_cgroup_write(a1, "misc.max", "sgx_epc 4096"), 0, "epc_cgroup_write");
	assert_string_equal(cg_read(a2, "misc.max", buf, sizeof(buf)), "sgx_epc max\n");
	p = alloc_ok(t1);
	assert_int_equal(cg_usage(a2), 0);
	assert_int_equal(cg_usage(epc_cgroup_root(e2)), 0);
	assert_string_equal(cg_read(epc_cgroup_root(e2), "misc.capacity", buf, sizeof(buf)),
			    "sgx_epc 65536\n");
	assert_string_equal(cg_read(epc_cgroup_root(e1), "misc.capacity", buf, sizeof(buf)),
			    "sgx_epc 32768\n");
	epc_page_free(p);
	epc_task_destroy(t1);
	epc_destroy(e1);
	epc_destroy(e2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cgroup_create_lookup_nested),
		cmocka_unit_test(test_cgroup_create_lookup_errors),
		cmocka_unit_test(test_cgroup_name_length_limit),
		cmocka_unit_test(test_cgroup_kernel_names),
		cmocka_unit_test(test_cgroup_child_calls),
		cmocka_unit_test(test_cgroup_many_children_found),
		cmocka_unit_test(test_cgroup_deep_chain),
		cmocka_unit_test(test_cgroup_remove_errors),
		cmocka_unit_test(test_cgroup_remove_with_charges_dies_then_reaped),
		cmocka_unit_test(test_cgroup_remove_parent_of_dying_child),
		cmocka_unit_test(test_cgroup_destroy_with_dying_cgroups),
		cmocka_unit_test(test_cgroup_tasks_and_removed_cgroups),
		cmocka_unit_test(test_cgroup_task_counts),
		cmocka_unit_test(test_cgroup_b50_charge_path_to_root),
		cmocka_unit_test(test_cgroup_root_task_charges_root),
		cmocka_unit_test(test_cgroup_b51_migration_keeps_charges),
		cmocka_unit_test(test_cgroup_b52_free_uncharges),
		cmocka_unit_test(test_cgroup_b54_limit_enomem_both_modes_counts_events),
		cmocka_unit_test(test_cgroup_failed_alloc_leaves_no_charge),
		cmocka_unit_test(test_cgroup_b46_max_below_usage_accepted),
		cmocka_unit_test(test_cgroup_b64_no_leaked_charge),
		cmocka_unit_test(test_cgroup_two_instances_independent),
	};

	return cmocka_run_group_tests_name("cgroup", tests, NULL, NULL);
}
