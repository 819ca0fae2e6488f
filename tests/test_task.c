// SPDX-License-Identifier: MIT
/*
 * test_task.c - the task module (src/task/task.h): what a task is to the
 * layers below the face, its cgroup membership, the allocation request built
 * from it, and the enclave layer's same-instance check that rests on it.
 */
#include "helpers.h"

#include "task/task.h"

/* A zeroed task that epc__task_init() refused must still be zero. */
static bool all_zero(const struct epc_task *t)
{
	const unsigned char *b = (const unsigned char *)t;

	for (size_t i = 0; i < sizeof(*t); i++)
		if (b[i])
			return false;
	return true;
}

static void test_task_init_refuses_bad_input(void **state)
{
	struct epc *a = make_epc_ex(2, NULL, 2, 64, 0, NULL), *b = make_epc(64);
	struct epc_cgroup *x = make_cg(a, "/x"), *gone = make_cg(a, "/gone");
	struct epc_cgroup *foreign = make_cg(b, "/f");
	struct epc_task t = {0};

	(void)state;
	CHECK_EQ(epc__task_init(&t, &a->reclaim, x, -1), -EINVAL, "cpu -1");
	CHECK_EQ(epc__task_init(&t, &a->reclaim, x, a->mm.nr_cpus), -EINVAL, "cpu nr_cpus");
	CHECK_EQ(epc__task_init(&t, &a->reclaim, foreign, 0), -EINVAL, "another instance's cgroup");
	CHECK_EQ(epc_cgroup_remove(gone), 0, "remove /gone");
	CHECK_EQ(epc__task_init(&t, &a->reclaim, gone, 0), -EINVAL, "a removed cgroup");
	CHECK(all_zero(&t), "a refused init leaves the task as it was");
	CHECK_EQ(x->nr_tasks, 0, "no membership counted in /x");
	CHECK_EQ(foreign->nr_tasks, 0, "nor in the foreign cgroup");
	CHECK_EQ(epc_cgroup_put(gone), 0, "put /gone");
	CHECK_EQ(epc_cgroup_put(x), 0, "put /x");
	CHECK_EQ(epc_cgroup_put(foreign), 0, "put /f");
	epc_destroy(b);
	epc_destroy(a);
}

static void test_task_membership_follows_the_task(void **state)
{
	struct epc *epc = make_epc_ex(2, NULL, 2, 64, 0, NULL);
	struct epc *other = make_epc(64);
	struct epc_cgroup *x = make_cg(epc, "/x"), *y = make_cg(epc, "/y");
	struct epc_cgroup *foreign = make_cg(other, "/f");
	struct epc_task t = {0};

	(void)state;
	CHECK_EQ(epc__task_init(&t, &epc->reclaim, x, 1), 0, "init in /x on cpu 1");
	CHECK(t.reclaim == &epc->reclaim && t.cg == x && t.cpu == 1, "the fields are set");
	CHECK(!atomic_load(&t.signal), "no signal pending");
	CHECK_EQ(epc__task_node(&t), epc->mm.cpu_to_node[1], "its node is its cpu's");
	CHECK_EQ(x->nr_tasks, 1, "a member of /x");
	CHECK_EQ(epc__task_move_membership(&t, foreign), -EINVAL, "no move to another instance");
	CHECK_EQ(x->nr_tasks, 1, "still a member of /x");
	CHECK_EQ(epc__task_move_membership(&t, y), 0, "move to /y");
	CHECK_EQ(x->nr_tasks, 0, "no longer in /x");
	CHECK_EQ(y->nr_tasks, 1, "a member of /y");
	CHECK(t.cg == x, "the caller stores the new cgroup, not the module");
	t.cg = y;
	epc__task_fini(&t);
	CHECK_EQ(y->nr_tasks, 0, "fini ends the membership");
	CHECK_EQ(epc_cgroup_put(x), 0, "put /x");
	CHECK_EQ(epc_cgroup_put(y), 0, "put /y");
	CHECK_EQ(epc_cgroup_put(foreign), 0, "put /f");
	epc_destroy(other);
	epc_destroy(epc);
}

static void test_task_alloc_req_is_the_tasks(void **state)
{
	struct epc *epc = make_epc_ex(2, NULL, 2, 64, 0, NULL);
	struct epc_cgroup *x = make_cg(epc, "/x");
	struct epc_task *t = make_task(epc, x, 1);
	struct epc__alloc_req req = epc__task_alloc_req(t, &req, EPC_NO_RECLAIM);
	struct epc_page *p = NULL;

	(void)state;
	CHECK(req.cg == x && req.cpu == 1, "charged to its cgroup, from its cpu");
	CHECK(req.owner == &req && req.reclaim == EPC_NO_RECLAIM, "owner and reclaim as asked");
	CHECK(req.signal == &t->signal, "given up on its own signal flag");
	CHECK_EQ(epc__alloc_page(t->reclaim, &req, &p), 0, "allocate through the request");
	CHECK(p->cg == x && p->owner == &req, "the page is charged to /x and owned as asked");
	CHECK_EQ(p->node, epc->mm.cpu_to_node[1], "from the task's node");
	CHECK_EQ(cg_usage(x), PAGE, "one page charged to /x");
	epc__free_page(t->reclaim, p);
	epc_task_set_signal(t, true);
	req = epc__task_alloc_req(t, NULL, EPC_DO_RECLAIM);
	CHECK(atomic_load(req.signal), "the request sees the task's signal");
	epc_task_destroy(t);
	CHECK_EQ(epc_cgroup_put(x), 0, "put /x");
	assert_epc_consistent(epc);
	epc_destroy(epc);
}

/* The enclave layer knows a task's instance by its reclaimer (task.h). */
static void test_task_foreign_enclave_refused(void **state)
{
	struct log_catcher *lc = calloc(1, sizeof(*lc));
	struct epc *a = make_epc_ex(1, NULL, 1, 64, 0, lc), *b = make_epc(64);
	struct epc_task *ta = make_task(a, NULL, 0), *tb = make_task(b, NULL, 0);
	static const unsigned char src[PAGE]; /* EADD copies a whole page */
	struct epc_encl *eb = NULL;
	char buf[16] = {0};

	(void)state;
	CHECK_EQ(epc_encl_create(tb, 4 * PAGE, &eb), 0, "an enclave of B");
	CHECK_EQ(epc_encl_add_page2(tb, eb, 0, src, EPC_SECINFO_REG_RWX), 0, "EADD in B");
	CHECK_EQ(epc_encl_add_page2(ta, eb, PAGE, src, EPC_SECINFO_REG_RWX), -EINVAL,
		 "EADD with A's task");
	CHECK_EQ(epc_encl_access2(ta, eb, 0, buf, sizeof(buf), EPC_ACCESS_READ), -EINVAL,
		 "access with A's task");
	CHECK_EQ(log_count(lc, "the enclave belongs to another struct epc"), 2,
		 "a line in A's log each");
	CHECK_EQ(epc_encl_access2(tb, eb, 0, buf, sizeof(buf), EPC_ACCESS_READ), 0, "B's task may");
	epc_encl_destroy(eb);
	epc_task_destroy(ta);
	epc_task_destroy(tb);
	epc_destroy(b);
	epc_destroy(a);
	free(lc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_task_init_refuses_bad_input),
		cmocka_unit_test(test_task_membership_follows_the_task),
		cmocka_unit_test(test_task_alloc_req_is_the_tasks),
		cmocka_unit_test(test_task_foreign_enclave_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
