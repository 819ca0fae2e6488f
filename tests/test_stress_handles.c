// SPDX-License-Identifier: MIT
/*
 * test_stress_handles.c - cgroup handles under the race a mounted cgroupfs
 * sees at once: FUSE reads and writes of a cgroup's files racing a shell's
 * rmdir and mkdir of the same path. Several threads, each at random: create
 * a path; look it up and read its files, its statistics and its path, write
 * its limit, maybe remove it, then put it; put a cgroup in a task that
 * charges and frees a page; list a parent's children. Every handle a thread
 * got stays usable until it puts it, whoever removes the cgroup meanwhile.
 * Run under TSan (make tsan) and ASan, it also proves there is no data race
 * and no use-after-free.
 *
 * Workers never assert (STYLE §14): they count anomalies and keep the first
 * message; the test thread checks after joining. EPCMM_STRESS_SCALE
 * multiplies the rounds; EPCMM_TEST_SEED picks the seed.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "helpers.h"

#include "cgroup/cgroup.h"

#define NR_THREADS 4
#define ROUNDS	   1500
#define NR_PATHS   5

static const char *const paths[NR_PATHS] = {"/p", "/p/q", "/p/q/r", "/s", "/p/t"};

struct shared {
	struct epc *epc;
	unsigned long rounds;
	uint64_t seed;
	_Atomic unsigned long anomalies;
	_Atomic unsigned long removes, creates, reads, listed;
	_Atomic bool msg_taken;
	char msg[256];
};

struct worker {
	struct shared *sh;
	int idx;
};

__attribute__((format(printf, 2, 3))) static void anomaly(struct shared *sh, const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&sh->anomalies, 1) == 0 && !atomic_exchange(&sh->msg_taken, true)) {
		va_start(ap, fmt);
		vsnprintf(sh->msg, sizeof(sh->msg), fmt, ap);
		va_end(ap);
	}
}

/* Read everything a cgroupfs reader would, through a handle we hold. */
static void read_all(struct shared *sh, struct epc_cgroup *cg, const char *path)
{
	static const char *const files[] = {"misc.current", "misc.peak", "misc.max", "misc.events",
					    "misc.events.local"};
	struct epc_cgroup_stats st;
	char buf[256];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		ssize_t n = epc_cgroup_read(cg, files[i], buf, sizeof(buf));

		if (n < 0)
			anomaly(sh, "read of %s in %s gave %zd", files[i], path, n);
	}
	if (epc_cgroup_get_stats(cg, &st, sizeof(st)))
		anomaly(sh, "stats of %s refused", path);
	if (epc_cgroup_path(cg, buf, sizeof(buf)) < 0 || strcmp(buf, path))
		anomaly(sh, "a handle for %s says its path is %s", path, buf);
	atomic_fetch_add_explicit(&sh->reads, 1, memory_order_relaxed);
}

/* A task in @cg charges a page and frees it: charges race the removal. */
static void charge_in(struct shared *sh, struct epc_cgroup *cg, int cpu)
{
	struct epc_task *t = NULL;
	struct epc_page *p = NULL;
	int ret = epc_task_create(sh->epc, cg, cpu, &t);

	if (ret == -EINVAL) /* removed meanwhile */
		return;
	if (ret) {
		anomaly(sh, "task create gave %d", ret);
		return;
	}
	ret = epc_page_alloc(t, NULL, EPC_DO_RECLAIM, &p);
	if (ret && ret != -ENOMEM)
		anomaly(sh, "alloc gave %d", ret);
	/* the task keeps the cgroup from being removed: moving it out first */
	if (epc_task_move(t, NULL))
		anomaly(sh, "move to the root failed");
	epc_task_destroy(t);
	epc_page_free(p); /* may free a cgroup removed meanwhile */
}

static void one_op(struct shared *sh, int cpu, uint64_t *rng)
{
	const char *path = paths[rng_next(rng) % NR_PATHS];
	struct epc_cgroup *cg = NULL, *kids[8];
	unsigned op = (unsigned)(rng_next(rng) % 8);
	size_t nr = 0;
	int ret;

	switch (op) {
	case 0:
	case 1:
		ret = epc_cgroup_create(sh->epc, path, &cg);
		if (ret == 0) {
			atomic_fetch_add_explicit(&sh->creates, 1, memory_order_relaxed);
			read_all(sh, cg, path);
			if (epc_cgroup_put(cg))
				anomaly(sh, "put after create refused");
		} else if (ret != -EEXIST && ret != -ENOENT) {
			anomaly(sh, "create %s gave %d", path, ret);
		}
		return;
	case 2:
		ret = epc_cgroup_lookup(sh->epc, "/p", &cg);
		if (ret == -ENOENT)
			return;
		if (ret || epc_cgroup_list_children(cg, kids, 8, &nr))
			anomaly(sh, "lookup or listing of /p refused");
		for (size_t i = 0; i < nr && i < 8; i++) {
			char buf[64];

			if (epc_cgroup_path(kids[i], buf, sizeof(buf)) < 0 ||
			    (strcmp(buf, "/p/q") && strcmp(buf, "/p/t")))
				anomaly(sh, "a child of /p is %s", buf);
			if (epc_cgroup_put(kids[i]))
				anomaly(sh, "put of a listed child refused");
		}
		atomic_fetch_add_explicit(&sh->listed, 1, memory_order_relaxed);
		if (epc_cgroup_put(cg))
			anomaly(sh, "put after lookup refused");
		return;
	default:
		break;
	}
	ret = epc_cgroup_lookup(sh->epc, path, &cg);
	if (ret == -ENOENT)
		return;
	if (ret) {
		anomaly(sh, "lookup %s gave %d", path, ret);
		return;
	}
	read_all(sh, cg, path);
	if (op == 3 && epc_cgroup_write(cg, "misc.max", "sgx_epc 65536"))
		anomaly(sh, "write to %s refused", path);
	if (op == 4)
		charge_in(sh, cg, cpu);
	if (op >= 5) {
		ret = epc_cgroup_remove(cg);
		if (ret == 0)
			atomic_fetch_add_explicit(&sh->removes, 1, memory_order_relaxed);
		else if (ret != -EBUSY && ret != -ENOENT)
			anomaly(sh, "remove %s gave %d", path, ret);
		read_all(sh, cg, path); /* dying or not, the handle reads */
	}
	if (epc_cgroup_put(cg))
		anomaly(sh, "put after lookup refused");
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t rng = w->sh->seed * 2654435761u + (uint64_t)w->idx + 1;

	for (unsigned long i = 0; i < w->sh->rounds; i++)
		one_op(w->sh, w->idx % 2, &rng);
	return NULL;
}

static void count_free(struct epc_cgroup *cg, void *arg)
{
	(void)cg;
	atomic_fetch_add((_Atomic unsigned long *)arg, 1);
}

static void test_stress_handles_lookup_read_remove_create(void **state)
{
	struct shared *sh = calloc(1, sizeof(*sh));
	struct worker w[NR_THREADS];
	pthread_t th[NR_THREADS];
	_Atomic unsigned long freed = 0;
	struct epc_cgroup *cg = NULL;

	(void)state;
	assert_non_null(sh);
	sh->epc = make_epc_ex(2, NULL, 2, 64, 0, NULL);
	sh->rounds = ROUNDS * stress_scale();
	sh->seed = test_seed(8);
	sh->epc->cgroups.on_free = count_free;
	sh->epc->cgroups.on_free_arg = (void *)&freed;
	for (int i = 0; i < NR_THREADS; i++) {
		w[i] = (struct worker){.sh = sh, .idx = i};
		CHECK_EQ_AT(pthread_create(&th[i], NULL, worker_main, &w[i]), 0, i);
	}
	for (int i = 0; i < NR_THREADS; i++)
		CHECK_EQ_AT(pthread_join(th[i], NULL), 0, i);
	if (atomic_load(&sh->anomalies))
		fail_msg("%lu anomalies; the first: %s", atomic_load(&sh->anomalies), sh->msg);
	print_message("# %lu creates, %lu removes, %lu reads, %lu listings\n",
		      atomic_load(&sh->creates), atomic_load(&sh->removes), atomic_load(&sh->reads),
		      atomic_load(&sh->listed));
	CHECK(atomic_load(&sh->creates) > 0 && atomic_load(&sh->removes) > 0,
	      "both creates and removes happened");

	/* every reference was put and every page freed: removed means freed */
	CHECK_EQ(atomic_load(&sh->epc->cgroups.nr_dying), 0, "nothing left dying");
	CHECK_EQ(atomic_load(&freed), atomic_load(&sh->removes), "each removed cgroup freed once");
	/* remove what is left, deepest first */
	for (int i = NR_PATHS - 1; i >= 0; i--) {
		static const int order[NR_PATHS] = {2, 4, 1, 0, 3};
		const char *p = paths[order[NR_PATHS - 1 - i]];

		if (epc_cgroup_lookup(sh->epc, p, &cg) == 0) {
			CHECK_EQ(epc_cgroup_remove(cg), 0, "remove a leftover");
			CHECK_EQ(epc_cgroup_put(cg), 0, "and put it");
		}
	}
	CHECK(epc__list_empty(&epc_cgroup_root(sh->epc)->children), "the tree is empty");
	CHECK_EQ(cg_usage(epc_cgroup_root(sh->epc)), 0, "every charge returned");
	assert_epc_consistent(sh->epc);
	sh->epc->cgroups.on_free = NULL;
	epc_destroy(sh->epc);
	free(sh);
}

/*
 * Listing under churn: each churner creates its child /p/cN, a task in it and
 * an enclave, then destroys them and removes the child, over and over; the
 * test thread lists /p's children, tasks and enclaves and the instance's
 * enclaves meanwhile. Every listing must be a plausible snapshot: children
 * named c0..c{N-1}, each at most once, at most N of each kind, no id twice.
 */
#define NR_CHURN 3

struct churner {
	struct epc *epc;
	struct epc_cgroup *p;
	int idx;
	unsigned long rounds;
	_Atomic unsigned long *anomalies;
	_Atomic bool *done;
};

static void *churn_main(void *arg)
{
	struct churner *c = arg;
	char path[16];

	snprintf(path, sizeof(path), "/p/c%d", c->idx);
	for (unsigned long i = 0; i < c->rounds; i++) {
		struct epc_cgroup *cg = NULL;
		struct epc_task *t = NULL, *tp = NULL;
		struct epc_encl *e = NULL;

		if (epc_cgroup_create(c->epc, path, &cg) ||
		    epc_task_create(c->epc, cg, c->idx % 2, &t) ||
		    epc_task_create(c->epc, c->p, c->idx % 2, &tp) ||
		    epc_encl_create(tp, 4 * PAGE, &e) ||
		    epc_encl_add_page2(t, e, 0, NULL, EPC_SECINFO_REG_RWX)) {
			atomic_fetch_add(c->anomalies, 1);
			break;
		}
		epc_encl_destroy(e);
		epc_task_destroy(tp);
		epc_task_destroy(t);
		if (epc_cgroup_remove(cg) || epc_cgroup_put(cg))
			atomic_fetch_add(c->anomalies, 1);
	}
	atomic_store(c->done, true);
	return NULL;
}

static bool ids_unique(const uint64_t *ids, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		for (size_t j = 0; j < i; j++)
			if (ids[i] == ids[j])
				return false;
	return true;
}

static void test_stress_handles_listing_under_churn(void **state)
{
	struct epc *epc = make_epc_ex(2, NULL, 2, 128, 0, NULL);
	struct epc_cgroup *p = make_cg(epc, "/p");
	struct churner c[NR_CHURN];
	pthread_t th[NR_CHURN];
	_Atomic unsigned long anomalies = 0;
	_Atomic bool done[NR_CHURN];
	unsigned long listings = 0, seen_children = 0, seen_encls = 0;
	bool all_done = false;

	(void)state;
	for (int i = 0; i < NR_CHURN; i++) {
		atomic_init(&done[i], false);
		c[i] = (struct churner){.epc = epc,
					.p = p,
					.idx = i,
					.rounds = 400 * stress_scale(),
					.anomalies = &anomalies,
					.done = &done[i]};
		CHECK_EQ_AT(pthread_create(&th[i], NULL, churn_main, &c[i]), 0, i);
	}
	while (!all_done) {
		struct epc_cgroup *kids[NR_CHURN + 1];
		uint64_t ids[NR_CHURN + 1];
		bool named[NR_CHURN] = {false};
		size_t nr = 0;

		CHECK_EQ(epc_cgroup_list_children(p, kids, NR_CHURN + 1, &nr), 0, "children");
		CHECK(nr <= NR_CHURN, "at most one child per churner");
		for (size_t i = 0; i < nr; i++) {
			char name[16];
			int k = -1;

			CHECK(epc_cgroup_name(kids[i], name, sizeof(name)) > 0, "a name");
			CHECK(sscanf(name, "c%d", &k) == 1 && k >= 0 && k < NR_CHURN,
			      "a churner's child");
			CHECK(!named[k], "each child listed once");
			named[k] = true;
			CHECK_EQ(epc_cgroup_put(kids[i]), 0, "put");
		}
		seen_children += nr;
		CHECK_EQ(epc_cgroup_list_tasks(p, ids, NR_CHURN + 1, &nr), 0, "tasks");
		CHECK(nr <= NR_CHURN && ids_unique(ids, nr), "tasks of /p: at most one each");
		CHECK_EQ(epc_cgroup_list_encls(p, ids, NR_CHURN + 1, &nr), 0, "enclaves of /p");
		CHECK(nr <= NR_CHURN && ids_unique(ids, nr), "enclaves of /p: at most one each");
		seen_encls += nr;
		CHECK_EQ(epc_list_encls(epc, ids, NR_CHURN + 1, &nr), 0, "all enclaves");
		CHECK(nr <= NR_CHURN && ids_unique(ids, nr), "all enclaves: at most one each");
		listings++;
		all_done = true;
		for (int i = 0; i < NR_CHURN; i++)
			all_done = all_done && atomic_load(&done[i]);
	}
	for (int i = 0; i < NR_CHURN; i++)
		CHECK_EQ_AT(pthread_join(th[i], NULL), 0, i);
	CHECK_EQ(atomic_load(&anomalies), 0, "churners saw nothing odd");
	print_message("# %lu listings saw %lu children and %lu enclaves\n", listings, seen_children,
		      seen_encls);
	CHECK(listings > 0, "listed at least once");
	{
		size_t nr = 1;

		CHECK_EQ(epc_cgroup_list_children(p, NULL, 0, &nr), 0, "count");
		CHECK_EQ(nr, 0, "every child gone");
		CHECK_EQ(epc_list_encls(epc, NULL, 0, &nr), 0, "count");
		CHECK_EQ(nr, 0, "every enclave gone");
	}
	CHECK_EQ(atomic_load(&epc->cgroups.nr_dying), 0, "nothing left dying");
	assert_epc_consistent(epc);
	epc_destroy(epc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stress_handles_lookup_read_remove_create),
		cmocka_unit_test(test_stress_handles_listing_under_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
