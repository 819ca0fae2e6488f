// SPDX-License-Identifier: MIT
/*
 * test_cgroup_model.c - the cgroup model the library owns for every reader
 * and every cgroupfs: the structured snapshot (epc_snapshot_take()).
 */
#include <errno.h>
#include <stddef.h>

#include "helpers.h"

#include "task/task.h"

/* ------------------------------------------------------------- snapshot */

/* Cgroup @i's path, from the names up its parents (a static buffer). */
static const char *snap_path(const struct epc_snapshot *s, size_t i)
{
	static char buf[256];
	ssize_t n = epc_snapshot_path(s, i, NULL, buf, sizeof(buf));

	CHECK(n > 0 && (size_t)n < sizeof(buf), check_fmt("cgroup %zu's path: %zd", i, n));
	return buf;
}

static const struct epc_snapshot_cgroup *snap_cg(const struct epc_snapshot *s, const char *path)
{
	for (size_t i = 0; i < s->nr_cgroups; i++)
		if (!strcmp(snap_path(s, i), path))
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
	CHECK_ERR(epc_cgroup_write(ab, "misc.max", "sgx_epc 409600"), 0, "epc_cgroup_write");
	CHECK_ERR(epc_encl_create(t1, 4 * PAGE, &e), 0, "epc_encl_create");
	CHECK_ERR(epc_snapshot_take(epc, &s), 0, "epc_snapshot_take");
	assert_int_equal(s->size, sizeof(*s));
	assert_int_equal(s->cgroup_size, sizeof(struct epc_snapshot_cgroup));

	assert_int_equal(s->nr_nodes, 2);
	assert_int_equal(EPC_SNAPSHOT_NODE(s, 1)->node, 1);
	CHECK(EPC_SNAPSHOT_NODE(s, 1)->has_epc, "node 1 has EPC");
	assert_int_equal(EPC_SNAPSHOT_NODE(s, 0)->nr_total + EPC_SNAPSHOT_NODE(s, 1)->nr_total,
			 s->stats->nr_total);

	/* pre-order: the root, /a, /a/b, /c; each parent before its children */
	assert_int_equal(s->nr_cgroups, 4);
	assert_string_equal(snap_path(s, 0), "/");
	assert_string_equal(EPC_SNAPSHOT_CGROUP(s, 0)->name, "");
	assert_string_equal(EPC_SNAPSHOT_CGROUP(s, 2)->name, "b");
	assert_int_equal(EPC_SNAPSHOT_CGROUP(s, 0)->parent, -1);
	assert_ptr_equal(EPC_SNAPSHOT_CGROUP(s, 0)->cg, epc_cgroup_root(epc));
	assert_string_equal(snap_path(s, 1), "/a");
	assert_string_equal(snap_path(s, 2), "/a/b");
	assert_string_equal(snap_path(s, 3), "/c");
	assert_int_equal(EPC_SNAPSHOT_CGROUP(s, 2)->parent, 1);
	assert_int_equal(EPC_SNAPSHOT_CGROUP(s, 3)->parent, 0);
	assert_int_equal(EPC_SNAPSHOT_CGROUP(s, 2)->depth, 2);
	sc = snap_cg(s, "/a/b");
	assert_ptr_equal(sc->cg, ab);
	assert_int_equal(sc->nr_tasks, 1);
	assert_int_equal(sc->max, 409600);
	/* the raw page, the SECS and the first VA page are charged to /a/b */
	assert_int_equal(sc->current, cg_usage(ab));
	CHECK(sc->current >= 2 * PAGE, check_fmt("the raw page and the SECS at least: %llu",
						 (unsigned long long)sc->current));
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
	CHECK_ERR(epc_snapshot_take(epc, &s1), 0, "epc_snapshot_take");
	CHECK_ERR(epc_task_move(t, NULL), 0, "epc_task_move");
	CHECK_ERR(epc_cgroup_remove(a), 0, "epc_cgroup_remove");
	CHECK_ERR(epc_cgroup_put(a), 0, "epc_cgroup_put");
	/* charged still: dying, and listed as such by a new snapshot */
	CHECK_ERR(epc_snapshot_take(epc, &s2), 0, "epc_snapshot_take");
	assert_int_equal(s2->nr_cgroups, 2);
	CHECK(EPC_SNAPSHOT_CGROUP(s2, 1)->dying, "the later snapshot sees it removed");
	CHECK(!EPC_SNAPSHOT_CGROUP(s1, 1)->dying, "the earlier snapshot keeps what it saw");
	epc_page_free(p);
	/* uncharged, unreferenced but by the snapshots: still readable */
	CHECK(epc_cgroup_read(EPC_SNAPSHOT_CGROUP(s1, 1)->cg, "misc.current", buf, sizeof(buf)) > 0,
	      "a snapshot's removed cgroup is still readable");
	assert_string_equal(buf, "sgx_epc 0\n");
	epc_snapshot_free(s1);
	epc_snapshot_free(s2);
	assert_epc_consistent(epc);
	CHECK_ERR(epc_snapshot_take(epc, &s1), 0, "epc_snapshot_take");
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
	CHECK_ERR(epc_snapshot_take(NULL, &s), -EINVAL, "epc_snapshot_take");
	assert_null(s);
	CHECK_ERR(epc_snapshot_take(epc, NULL), -EINVAL, "epc_snapshot_take");
	assert_int_equal(log_count(&lc, "snapshot: NULL out"), 1);
	epc_destroy(epc);
}

/* Cgroups carry their names; paths are built from them (a chain of CHAIN
 * levels stores CHAIN names, not CHAIN paths), sized as snprintf() is. */
#define CHAIN 300
static void test_snapshot_names_and_paths(void **state)
{
	struct epc *epc = make_epc(16);
	struct epc_cgroup *cg = NULL;
	struct epc_snapshot *s = NULL;
	char want[CHAIN * 5 + 1] = "", buf[sizeof(want)];
	size_t len = 0;

	(void)state;
	for (int i = 0; i < CHAIN; i++) {
		len += (size_t)snprintf(want + len, sizeof(want) - len, "/c%03d", i);
		cg = make_cg(epc, want);
	}
	CHECK_ERR(epc_cgroup_attach(cg, 7), 0, "epc_cgroup_attach");
	CHECK_ERR(epc_cgroup_attach(cg, 8), 0, "epc_cgroup_attach");
	CHECK_ERR(epc_snapshot_take(epc, &s), 0, "epc_snapshot_take");
	assert_int_equal(s->nr_cgroups, CHAIN + 1);
	assert_string_equal(EPC_SNAPSHOT_CGROUP(s, CHAIN)->name, "c299");
	assert_int_equal(EPC_SNAPSHOT_CGROUP(s, CHAIN)->nr_members, 2);
	assert_int_equal(EPC_SNAPSHOT_CGROUP(s, CHAIN - 1)->nr_members, 0);
	/* the length alone, then too small (nothing written), then whole */
	assert_int_equal(epc_snapshot_path(s, CHAIN, NULL, NULL, 0), (ssize_t)len);
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(epc_snapshot_path(s, CHAIN, NULL, buf, len), (ssize_t)len);
	CHECK(buf[0] == 'x' && buf[len - 1] == 'x', "a buffer too small is left as it was");
	assert_int_equal(epc_snapshot_path(s, CHAIN, NULL, buf, len + 1), (ssize_t)len);
	assert_string_equal(buf, want);
	assert_int_equal(epc_snapshot_path(s, 0, NULL, buf, 2), 1);
	assert_string_equal(buf, "/");
	/* another namespace's names (a file system's); a NULL one up the way is refused */
	{
		const char *names[CHAIN + 1];

		for (int i = 0; i <= CHAIN; i++)
			names[i] = i ? "d e" : "";
		assert_int_equal(epc_snapshot_path(s, 2, names, buf, sizeof(buf)), 8);
		assert_string_equal(buf, "/d e/d e");
		names[1] = NULL;
		CHECK_ERR(epc_snapshot_path(s, 2, names, buf, sizeof(buf)), -EINVAL,
			  "epc_snapshot_path");
		assert_int_equal(epc_snapshot_path(s, 0, names, buf, sizeof(buf)), 1);
	}
	/* bad input: refused (the message names it; a snapshot has no log) */
	CHECK_ERR(epc_snapshot_path(NULL, 0, NULL, buf, sizeof(buf)), -EINVAL, "epc_snapshot_path");
	CHECK_ERR(epc_snapshot_path(s, CHAIN + 1, NULL, buf, sizeof(buf)), -EINVAL,
		  "epc_snapshot_path");
	CHECK_ERR(epc_snapshot_path(s, 0, NULL, NULL, 4), -EINVAL, "epc_snapshot_path");
	epc_snapshot_free(s);
	epc_destroy(epc);
}

/* A task following an id is where the id is, before its next call catches up. */
static void test_snapshot_follower_before_its_call(void **state)
{
	struct epc *epc = make_epc(16);
	struct epc_cgroup *a = make_cg(epc, "/a");
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_snapshot *s = NULL;

	(void)state;
	CHECK_ERR(epc_task_follow(t, 42), 0, "epc_task_follow");
	CHECK_ERR(epc_cgroup_attach(a, 42), 0, "epc_cgroup_attach");
	CHECK_ERR(epc_snapshot_take(epc, &s), 0, "epc_snapshot_take");
	assert_int_equal(EPC_SNAPSHOT_TASK(s, 0)->cgroup, snap_cg_index(s, "/a"));
	epc_snapshot_free(s);
	CHECK_ERR(epc_member_forget(epc, 42), 0, "epc_member_forget");
	CHECK_ERR(epc_snapshot_take(epc, &s), 0, "epc_snapshot_take");
	assert_int_equal(EPC_SNAPSHOT_TASK(s, 0)->cgroup, 0);
	epc_snapshot_free(s);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/* ---------------------------------------------------------- file table */

/* Every file of the table exists where its flags say, and its mode says
 * what a write meets: -EACCES on a read-only file, before any parsing. */
static void test_files_table_where_and_modes(void **state)
{
	struct epc *epc = make_epc(16);
	struct epc_cgroup *root = epc_cgroup_root(epc), *a = make_cg(epc, "/a");
	char buf[512];

	(void)state;
	for (int f = 0; f < EPC_CGF_NR; f++) {
		const struct epc_cftype *ft = epc_cgroup_file_type((enum epc_cgroup_file)f);
		bool on_root = !(ft->flags & EPC_CFTYPE_NOT_ON_ROOT);
		bool on_child = !(ft->flags & EPC_CFTYPE_ONLY_ON_ROOT);
		enum epc_cgroup_file got;

		CHECK_AT(ft->name != NULL, f);
		CHECK_AT(ft->mode == 0444 || ft->mode == 0644, f);
		CHECK_EQ_AT(epc_cgroup_file_lookup(root, ft->name, &got), on_root ? 0 : -ENOENT, f);
		CHECK_EQ_AT(epc_cgroup_file_lookup(a, ft->name, &got), on_child ? 0 : -ENOENT, f);
		CHECK_EQ_AT(got, f, f);
		CHECK_AT(epc_cgroup_file_read(on_child ? a : root, (enum epc_cgroup_file)f, buf,
					      sizeof(buf)) >= 0,
			 f);
		if (on_child && on_root)
			CHECK_AT(epc_cgroup_file_read(root, (enum epc_cgroup_file)f, buf,
						      sizeof(buf)) >= 0,
				 f);
		else
			CHECK_EQ_AT(epc_cgroup_file_read(on_child ? root : a,
							 (enum epc_cgroup_file)f, buf, sizeof(buf)),
				    -ENOENT, f);
		if (!(ft->mode & 0222))
			CHECK_EQ_AT(epc_cgroup_file_write(on_child ? a : root,
							  (enum epc_cgroup_file)f, "1"),
				    -EACCES, f);
	}
	/* past the table, an unknown name, a name with a byte more */
	assert_null(epc_cgroup_file_type(EPC_CGF_NR));
	CHECK_ERR(epc_cgroup_file_read(a, EPC_CGF_NR, buf, sizeof(buf)), -ENOENT,
		  "epc_cgroup_file_read");
	CHECK_ERR(epc_cgroup_file_write(a, (enum epc_cgroup_file) - 1, "1"), -ENOENT,
		  "epc_cgroup_file_write");
	CHECK_ERR(epc_cgroup_read(a, "memory.high", buf, sizeof(buf)), -ENOENT, "epc_cgroup_read");
	CHECK_ERR(epc_cgroup_read(a, "misc.max.", buf, sizeof(buf)), -ENOENT, "epc_cgroup_read");
	/* a root-only file on a child, a non-root file on the root: absent */
	CHECK_ERR(epc_cgroup_file_write(root, EPC_CGF_MISC_MAX, "sgx_epc 4096"), -ENOENT,
		  "epc_cgroup_file_write");
	CHECK_ERR(epc_cgroup_file_read(a, EPC_CGF_MISC_CAPACITY, buf, sizeof(buf)), -ENOENT,
		  "epc_cgroup_file_read");
	epc_cgroup_put(a);
	epc_destroy(epc);
}

/* Bad values are refused with the kernel's errno and change nothing. */
static void test_files_bad_values(void **state)
{
	struct epc *epc = make_epc(16);
	struct epc_cgroup *a = make_cg(epc, "/a"), *ab = make_cg(epc, "/a/b");
	char buf[128];

	(void)state;
	CHECK_ERR(epc_cgroup_file_write(a, EPC_CGF_MISC_MAX, "sgx_epc 8192"), 0,
		  "epc_cgroup_file_write");
	CHECK_ERR(epc_cgroup_file_write(a, EPC_CGF_MISC_MAX, "sgx_epc abc"), -EINVAL,
		  "epc_cgroup_file_write");
	CHECK_ERR(epc_cgroup_file_write(a, EPC_CGF_MISC_MAX, "bogus 4096"), -EINVAL,
		  "epc_cgroup_file_write");
	CHECK_ERR(epc_cgroup_file_write(a, EPC_CGF_MISC_MAX, "sgx_epc 99999999999999999999"),
		  -ERANGE, "epc_cgroup_file_write");
	CHECK_ERR(epc_cgroup_file_write(a, EPC_CGF_MEMORY_MAX, "12Q"), -EINVAL,
		  "epc_cgroup_file_write");
	CHECK(epc_cgroup_file_read(a, EPC_CGF_MISC_MAX, buf, sizeof(buf)) > 0, "misc.max reads");
	assert_string_equal(buf, "sgx_epc 8192\n");
	/* a buffer too small for the text and its NUL */
	CHECK_ERR(epc_cgroup_file_read(a, EPC_CGF_MISC_MAX, buf, 5), -ENOSPC,
		  "epc_cgroup_file_read");

	/* cgroup.procs: kstrtoint(strstrip()), positive */
	CHECK_ERR(epc_cgroup_file_write(a, EPC_CGF_PROCS, "12x"), -EINVAL, "epc_cgroup_file_write");
	CHECK_ERR(epc_cgroup_file_write(a, EPC_CGF_PROCS, "-5"), -EINVAL, "epc_cgroup_file_write");
	CHECK_ERR(epc_cgroup_file_write(a, EPC_CGF_PROCS, "2147483648"), -EINVAL,
		  "epc_cgroup_file_write");
	CHECK_ERR(epc_cgroup_file_write(a, EPC_CGF_PROCS, ""), -EINVAL, "epc_cgroup_file_write");
	CHECK_ERR(epc_cgroup_file_write(a, EPC_CGF_PROCS, "0"), -EINVAL, "epc_cgroup_file_write");
	CHECK_ERR(epc_cgroup_file_read(a, EPC_CGF_PROCS, buf, sizeof(buf)), 0,
		  "epc_cgroup_file_read");

	/* cgroup.subtree_control: tokens, availability, children */
	CHECK_ERR(epc_cgroup_file_write(a, EPC_CGF_SUBTREE_CONTROL, "misc"), -EINVAL,
		  "epc_cgroup_file_write");
	CHECK_ERR(epc_cgroup_file_write(a, EPC_CGF_SUBTREE_CONTROL, "+cpu"), -EINVAL,
		  "epc_cgroup_file_write");
	CHECK_ERR(epc_cgroup_file_write(a, EPC_CGF_SUBTREE_CONTROL, "+misc"), -ENOENT,
		  "epc_cgroup_file_write");
	assert_int_equal(epc_cgroup_file_read(a, EPC_CGF_CONTROLLERS, buf, sizeof(buf)), 1);
	CHECK_ERR(epc_cgroup_file_write(epc_cgroup_root(epc), EPC_CGF_SUBTREE_CONTROL,
					" +memory +misc -memory +memory\n"),
		  0, "epc_cgroup_file_write");
	CHECK(epc_cgroup_file_read(a, EPC_CGF_CONTROLLERS, buf, sizeof(buf)) > 0,
	      "/a's cgroup.controllers reads");
	assert_string_equal(buf, "memory misc\n");
	CHECK_ERR(epc_cgroup_file_write(a, EPC_CGF_SUBTREE_CONTROL, "+misc"), 0,
		  "epc_cgroup_file_write");
	CHECK_ERR(epc_cgroup_file_write(ab, EPC_CGF_SUBTREE_CONTROL, "+memory"), -ENOENT,
		  "epc_cgroup_file_write");
	CHECK_ERR(epc_cgroup_file_write(epc_cgroup_root(epc), EPC_CGF_SUBTREE_CONTROL, "-misc"),
		  -EBUSY, "epc_cgroup_file_write");
	CHECK(epc_cgroup_file_read(ab, EPC_CGF_CONTROLLERS, buf, sizeof(buf)) > 0,
	      "/a/b's cgroup.controllers reads");
	assert_string_equal(buf, "misc\n");

	/* a removed cgroup's core files refuse writes */
	CHECK_ERR(epc_cgroup_remove(ab), 0, "epc_cgroup_remove");
	CHECK_ERR(epc_cgroup_file_write(ab, EPC_CGF_PROCS, "7"), -ENODEV, "epc_cgroup_file_write");
	CHECK_ERR(epc_cgroup_file_write(ab, EPC_CGF_SUBTREE_CONTROL, "-misc"), -ENODEV,
		  "epc_cgroup_file_write");
	CHECK_ERR(epc_member_forget(epc, 7), -ENOENT, "epc_member_forget");
	epc_cgroup_put(ab);
	epc_cgroup_put(a);
	epc_destroy(epc);
}

static void test_files_procs_parse(void **state)
{
	int id = -1;

	(void)state;
	CHECK_ERR(epc_cgroup_procs_parse(" +123\n", &id), 0, "epc_cgroup_procs_parse");
	assert_int_equal(id, 123);
	CHECK_ERR(epc_cgroup_procs_parse("0x7b", &id), 0, "epc_cgroup_procs_parse");
	assert_int_equal(id, 123);
	CHECK_ERR(epc_cgroup_procs_parse("0173", &id), 0, "epc_cgroup_procs_parse");
	assert_int_equal(id, 123);
	CHECK_ERR(epc_cgroup_procs_parse("-0", &id), 0, "epc_cgroup_procs_parse");
	assert_int_equal(id, 0);
	CHECK_ERR(epc_cgroup_procs_parse("2147483647", &id), 0, "epc_cgroup_procs_parse");
	assert_int_equal(id, 2147483647);
	id = 5;
	CHECK_ERR(epc_cgroup_procs_parse("-1", &id), -EINVAL, "epc_cgroup_procs_parse");
	CHECK_ERR(epc_cgroup_procs_parse("09", &id), -EINVAL, "epc_cgroup_procs_parse");
	CHECK_ERR(epc_cgroup_procs_parse("1 2", &id), -EINVAL, "epc_cgroup_procs_parse");
	CHECK_ERR(epc_cgroup_procs_parse("\xa0", &id), -EINVAL, "epc_cgroup_procs_parse");
	assert_int_equal(id, 5);
}

/* ------------------------------------------------------ membership by id */

static const char *read_file(struct epc_cgroup *cg, enum epc_cgroup_file f)
{
	static char buf[256];
	ssize_t n = epc_cgroup_file_read(cg, f, buf, sizeof(buf));

	CHECK_ERR(n < 0 ? n : 0, 0, check_fmt("reading file %d", (int)f));
	return buf;
}

static void test_members_attach_move_list_forget(void **state)
{
	struct epc *epc = make_epc(16);
	struct epc_cgroup *root = epc_cgroup_root(epc), *a = make_cg(epc, "/a"),
			  *ab = make_cg(epc, "/a/b"), *c = make_cg(epc, "/c"), *got = NULL;
	uint64_t ids[4];
	size_t nr = 0;

	(void)state;
	assert_string_equal(read_file(a, EPC_CGF_EVENTS), "populated 0\nfrozen 0\n");
	CHECK_ERR(epc_cgroup_file_write(ab, EPC_CGF_PROCS, "300"), 0, "epc_cgroup_file_write");
	CHECK_ERR(epc_cgroup_attach(ab, 20), 0, "epc_cgroup_attach");
	CHECK_ERR(epc_cgroup_attach(c, 1000), 0, "epc_cgroup_attach");
	assert_string_equal(read_file(ab, EPC_CGF_PROCS), "20\n300\n");
	assert_string_equal(read_file(a, EPC_CGF_PROCS), "");
	assert_string_equal(read_file(a, EPC_CGF_EVENTS), "populated 1\nfrozen 0\n");
	assert_int_equal(epc_cgroup_list_members(ab, ids, 1, &nr), 0);
	assert_int_equal(nr, 2);
	CHECK_ERR(epc_member_cgroup(epc, 300, &got), 0, "epc_member_cgroup");
	assert_ptr_equal(got, ab);
	epc_cgroup_put(got);
	CHECK_ERR(epc_member_cgroup(epc, 301, &got), 0, "epc_member_cgroup");
	assert_ptr_equal(got, root);

	/* a cgroup with members cannot go; its parent cannot either */
	CHECK_ERR(epc_cgroup_remove(ab), -EBUSY, "epc_cgroup_remove");
	/* move one, drop one: then it can */
	CHECK_ERR(epc_cgroup_attach(c, 300), 0, "epc_cgroup_attach");
	assert_string_equal(read_file(c, EPC_CGF_PROCS), "300\n1000\n");
	CHECK_ERR(epc_member_forget(epc, 20), 0, "epc_member_forget");
	CHECK_ERR(epc_member_forget(epc, 20), -ENOENT, "epc_member_forget");
	assert_string_equal(read_file(a, EPC_CGF_EVENTS), "populated 0\nfrozen 0\n");
	CHECK_ERR(epc_cgroup_remove(ab), 0, "epc_cgroup_remove");
	CHECK_ERR(epc_cgroup_attach(ab, 21), -ENODEV, "epc_cgroup_attach");
	/* attaching to the root takes an id out of every cgroup */
	CHECK_ERR(epc_cgroup_attach(root, 1000), 0, "epc_cgroup_attach");
	assert_string_equal(read_file(c, EPC_CGF_PROCS), "300\n");
	CHECK_ERR(epc_cgroup_attach(root, 555), 0,
		  "epc_cgroup_attach"); /* in none already: nothing */
	CHECK_ERR(epc_cgroup_attach(c, 0), -EINVAL, "epc_cgroup_attach");
	CHECK_ERR(epc_member_cgroup(epc, 0, &got), -EINVAL, "epc_member_cgroup");
	epc_cgroup_put(ab);
	epc_cgroup_put(c);
	epc_cgroup_put(a);
	epc_destroy(epc); /* member 300 is freed with it */
}

/* A task following an id charges the id's cgroup, wherever the id moves. */
static void test_members_task_follows_id(void **state)
{
	struct epc *epc = make_epc(64);
	struct epc_cgroup *root = epc_cgroup_root(epc), *a = make_cg(epc, "/a"),
			  *b = make_cg(epc, "/b");
	struct epc_task *t = make_task(epc, NULL, 0);
	struct epc_page *p1, *p2, *p3;
	struct epc_snapshot *s = NULL;

	(void)state;
	CHECK_ERR(epc_cgroup_attach(a, 42), 0, "epc_cgroup_attach");
	CHECK_ERR(epc_task_follow(t, 42), 0, "epc_task_follow");
	p1 = alloc_ok(t);
	assert_int_equal(cg_usage(a), PAGE);
	/* the id moves: the task's next call is charged to the new cgroup */
	CHECK_ERR(epc_cgroup_attach(b, 42), 0, "epc_cgroup_attach");
	p2 = alloc_ok(t);
	assert_int_equal(cg_usage(b), PAGE);
	assert_int_equal(cg_usage(a), PAGE);
	/* the follower is not a member: /a can go while it is charged, dying */
	CHECK_ERR(epc_task_move(t, a), -EINVAL, "epc_task_move");
	CHECK_ERR(epc_snapshot_take(epc, &s), 0, "epc_snapshot_take");
	assert_int_equal(EPC_SNAPSHOT_TASK(s, 0)->cgroup, 2);
	assert_int_equal(EPC_SNAPSHOT_CGROUP(s, 2)->nr_tasks, 0);
	epc_snapshot_free(s);
	CHECK_ERR(epc_cgroup_remove(a), 0, "epc_cgroup_remove");
	epc_page_free(p1);
	/* the id goes: the task is in the root from its next call */
	CHECK_ERR(epc_member_forget(epc, 42), 0, "epc_member_forget");
	p3 = alloc_ok(t);
	assert_int_equal(cg_usage(root), 2 * PAGE); /* p2 below it, p3 its own */
	assert_int_equal(cg_usage(b), PAGE);
	/* /b has no member id and no member task: it can go too */
	CHECK_ERR(epc_cgroup_attach(b, 42), 0, "epc_cgroup_attach");
	epc__task_sync(t);
	CHECK_ERR(epc_member_forget(epc, 42), 0, "epc_member_forget");
	/* stop following: a member of where it is (/b), which now cannot go */
	CHECK_ERR(epc_task_follow(t, 0), 0, "epc_task_follow");
	CHECK_ERR(epc_cgroup_remove(b), -EBUSY, "epc_cgroup_remove");
	CHECK_ERR(epc_task_move(t, NULL), 0, "epc_task_move");
	CHECK_ERR(epc_cgroup_remove(b), 0, "epc_cgroup_remove");
	epc_page_free(p2);
	epc_page_free(p3);
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_cgroup_put(b);
	epc_cgroup_put(a);
	epc_destroy(epc);
}

/* A following task destroyed while its cgroup is removed frees it. */
static void test_members_follower_holds_removed_cgroup(void **state)
{
	struct epc *epc = make_epc(16);
	struct epc_cgroup *a = make_cg(epc, "/a"), *b = make_cg(epc, "/b");
	struct epc_task *t = make_task(epc, NULL, 0), *u = make_task(epc, NULL, 0);
	struct epc_snapshot *s = NULL;

	(void)state;
	CHECK_ERR(epc_cgroup_attach(a, 7), 0, "epc_cgroup_attach");
	CHECK_ERR(epc_task_follow(t, 7), 0, "epc_task_follow");
	CHECK_ERR(epc_task_follow(u, 7), 0, "epc_task_follow");
	CHECK_ERR(epc_task_follow(u, 8), 0, "epc_task_follow"); /* follows another id: the root */
	CHECK_ERR(epc_cgroup_attach(b, 7), 0, "epc_cgroup_attach");
	CHECK_ERR(epc_cgroup_remove(a), 0, "epc_cgroup_remove");
	CHECK_ERR(epc_cgroup_put(a), 0, "epc_cgroup_put");
	/* t has not made a call since: it holds /a, dying */
	CHECK_ERR(epc_snapshot_take(epc, &s), 0, "epc_snapshot_take");
	assert_int_equal(s->nr_cgroups, 3);
	CHECK(EPC_SNAPSHOT_CGROUP(s, 1)->dying, "the removed cgroup is in the snapshot, dying");
	epc_snapshot_free(s);
	epc_task_destroy(t);
	CHECK_ERR(epc_snapshot_take(epc, &s), 0, "epc_snapshot_take");
	assert_int_equal(s->nr_cgroups, 2); /* freed with the task */
	epc_snapshot_free(s);
	epc_task_destroy(u);
	CHECK_ERR(epc_member_forget(epc, 7), 0, "epc_member_forget");
	CHECK_ERR(epc_cgroup_remove(b), 0, "epc_cgroup_remove");
	epc_cgroup_put(b);
	epc_destroy(epc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshot_tree_tasks_encls_nodes),
		cmocka_unit_test(test_snapshot_holds_removed_cgroups),
		cmocka_unit_test(test_snapshot_bad_input),
		cmocka_unit_test(test_snapshot_names_and_paths),
		cmocka_unit_test(test_snapshot_follower_before_its_call),
		cmocka_unit_test(test_files_table_where_and_modes),
		cmocka_unit_test(test_files_bad_values),
		cmocka_unit_test(test_files_procs_parse),
		cmocka_unit_test(test_members_attach_move_list_forget),
		cmocka_unit_test(test_members_task_follows_id),
		cmocka_unit_test(test_members_follower_holds_removed_cgroup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
