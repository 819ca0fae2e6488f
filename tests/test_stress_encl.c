// SPDX-License-Identifier: MIT
/*
 * test_stress_encl.c - enclaves under real concurrency: THREADS mode, ksgxd
 * and the cgroup workers running, several threads faulting pages of enclaves
 * larger than the EPC while reclaim evicts them underneath.
 *
 * Each worker owns a disjoint set of pages (page % NR_WORKERS == its id) and
 * keeps the version it last wrote to each, so it can verify every read
 * without locks: a page holds fill(tag(worker, version), page) in full.
 * Workers never assert (STYLE §14): they count mismatches and unexpected
 * errors in atomics, and the test thread checks them after joining.
 *
 * Sizing: EPCMM_STRESS_SCALE multiplies the operations per worker; the
 * default keeps the whole binary well under 30 s under ThreadSanitizer on two
 * cores.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

#define NR_WORKERS     4
#define OPS_PER_WORKER 4000

static void fill(void *buf, uint64_t tag, uint64_t idx)
{
	uint64_t s = (tag * 0x9E3779B97F4A7C15ULL) ^ ((idx + 1) * 0xBF58476D1CE4E5B9ULL) ^ 1;
	uint64_t *w = buf;

	for (int i = 0; i < PAGE / 8; i++)
		w[i] = rng_next(&s);
}

/* The initial contents of page @idx of enclave @n, and a worker's version @v of it. */
static uint64_t tag_initial(int n)
{
	return 1000 + (uint64_t)n;
}

static uint64_t tag_of(int worker, uint64_t version)
{
	return ((uint64_t)(worker + 1) << 40) | version;
}

/* THREADS mode: @nr_nodes nodes with a section of @pages_per_node pages each. */
static struct epc *make_epc_threads_ex(int nr_nodes, uint64_t pages_per_node, unsigned pcp_batch)
{
	struct topo tp = {.nr_nodes = nr_nodes,
			  .nr_cpus = NR_WORKERS,
			  .nr_sections = nr_nodes,
			  .pages = pages_per_node,
			  .pcp_batch = pcp_batch,
			  .threads = true};

	return make_topo(&tp);
}

static struct epc *make_epc_threads(uint64_t pages)
{
	return make_epc_threads_ex(1, pages, 0);
}

static struct epc_encl *build(struct epc_task *t, uint64_t nr, uint64_t tag)
{
	static unsigned char buf[PAGE];
	struct epc_encl *e = NULL;

	CHECK_EQ(epc_encl_create(t, nr * PAGE, &e), 0, "ECREATE");
	for (uint64_t i = 0; i < nr; i++) {
		fill(buf, tag, i);
		CHECK_EQ(epc_encl_add_page2(t, e, i * PAGE, buf, EPC_SECINFO_REG_RWX), 0,
			 "EADD under reclaim");
	}
	CHECK_EQ(epc_encl_init(e), 0, "EINIT");
	return e;
}

struct shared {
	struct epc *epc;
	struct epc_encl *e[2];
	uint64_t nr_pages[2];
	struct epc_cgroup *cg[2]; /* the cgroup of the workers of enclave i (NULL: root) */
	bool split;		  /* workers 0-1 on enclave 0, 2-3 on enclave 1 */
	uint64_t ro_pages; /* the last ro_pages of each enclave: read by all, never written */
	unsigned long ops;
	_Atomic unsigned long mismatches, errors, reads, writes;
	_Atomic int first_error;
};

struct worker {
	struct shared *sh;
	int id;
	uint64_t seed;
	/* version last written per owned page; 0 = the initial contents */
	uint64_t *version[2];
};

static bool owns(const struct worker *w, int n, uint64_t page)
{
	if (page >= w->sh->nr_pages[n] - w->sh->ro_pages)
		return false;
	if (w->sh->split)
		return (w->id / 2 == n) && page % 2 == (uint64_t)(w->id % 2);
	return page % NR_WORKERS == (uint64_t)w->id;
}

static void expected(const struct worker *w, int n, uint64_t page, void *buf)
{
	uint64_t v = w->version[n][page];

	fill(buf, v ? tag_of(w->id, v) : tag_initial(n), page);
}

static void note_error(struct shared *sh, int ret)
{
	int zero = 0;

	atomic_fetch_add(&sh->errors, 1);
	atomic_compare_exchange_strong(&sh->first_error, &zero, ret);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	unsigned char *buf = malloc(PAGE), *want = malloc(PAGE);
	struct epc_task *t = NULL;
	uint64_t rng = w->seed;
	int n0 = sh->split ? w->id / 2 : 0;

	if (!buf || !want || epc_task_create(sh->epc, sh->cg[n0], w->id % NR_WORKERS, &t)) {
		note_error(sh, -ENOMEM);
		goto out;
	}
	for (unsigned long op = 0; op < sh->ops; op++) {
		int n = sh->split ? n0 : (int)(rng_next(&rng) % 2);
		uint64_t page = rng_next(&rng) % sh->nr_pages[n];
		int ret;

		if (sh->ro_pages && rng_next(&rng) % 4 == 0) {
			/* a shared page: every worker may fault it at the same time */
			page = sh->nr_pages[n] - 1 - rng_next(&rng) % sh->ro_pages;
			fill(want, tag_initial(n), page);
			ret = epc_encl_access2(t, sh->e[n], page * PAGE, buf, PAGE,
					       EPC_ACCESS_READ);
			if (ret)
				note_error(sh, ret);
			else if (memcmp(buf, want, PAGE))
				atomic_fetch_add(&sh->mismatches, 1);
			continue;
		}
		/* move to the first page of this enclave we own at or after @page */
		while (!owns(w, n, page))
			page = (page + 1) % sh->nr_pages[n];
		if (rng_next(&rng) % 3 == 0) {
			uint64_t v = w->version[n][page] + 1;

			fill(buf, tag_of(w->id, v), page);
			ret = epc_encl_access2(t, sh->e[n], page * PAGE, buf, PAGE,
					       EPC_ACCESS_WRITE);
			if (ret) {
				note_error(sh, ret);
				continue;
			}
			w->version[n][page] = v;
			atomic_fetch_add(&sh->writes, 1);
		}
		/* read back (a full page, or a slice across the page's middle) */
		expected(w, n, page, want);
		if (rng_next(&rng) & 1) {
			ret = epc_encl_access2(t, sh->e[n], page * PAGE, buf, PAGE,
					       EPC_ACCESS_READ);
			if (!ret && memcmp(buf, want, PAGE))
				atomic_fetch_add(&sh->mismatches, 1);
		} else {
			uint64_t off = rng_next(&rng) % (PAGE / 2),
				 len = 1 + rng_next(&rng) % (PAGE / 2);

			ret = epc_encl_access2(t, sh->e[n], page * PAGE + off, buf, len,
					       EPC_ACCESS_READ);
			if (!ret && memcmp(buf, want + off, len))
				atomic_fetch_add(&sh->mismatches, 1);
		}
		if (ret)
			note_error(sh, ret);
		else
			atomic_fetch_add(&sh->reads, 1);
	}
out:
	epc_task_destroy(t);
	free(buf);
	free(want);
	return NULL;
}

/* Run the workers, then check every page of both enclaves from the test thread. */
static void run_workers(struct shared *sh, unsigned long seed)
{
	struct worker w[NR_WORKERS];
	pthread_t th[NR_WORKERS];
	unsigned char *buf = malloc(PAGE), *want = malloc(PAGE);
	struct epc_task *t = make_task(sh->epc, NULL, 0);

	assert_non_null(buf);
	assert_non_null(want);
	for (int i = 0; i < NR_WORKERS; i++) {
		w[i].sh = sh;
		w[i].id = i;
		w[i].seed = seed * 0x9E3779B97F4A7C15ULL + (uint64_t)i * 7919 + 1;
		for (int n = 0; n < 2; n++) {
			w[i].version[n] = calloc(sh->nr_pages[n], sizeof(uint64_t));
			CHECK_AT(w[i].version[n] != NULL, n);
		}
		CHECK_EQ_AT(pthread_create(&th[i], NULL, worker_main, &w[i]), 0, i);
	}
	for (int i = 0; i < NR_WORKERS; i++)
		pthread_join(th[i], NULL);
	print_message("# %lu reads, %lu writes, %lu mismatches, %lu errors (first %d)\n",
		      atomic_load(&sh->reads), atomic_load(&sh->writes),
		      atomic_load(&sh->mismatches), atomic_load(&sh->errors),
		      atomic_load(&sh->first_error));
	CHECK_EQ(atomic_load(&sh->mismatches), 0, "every read saw its owner's last write");
	CHECK_EQ(atomic_load(&sh->errors), 0, "no access failed");
	CHECK(atomic_load(&sh->reads) > 0, "the workers ran");
	/* every page, by the test thread, against its owner's books */
	for (int n = 0; n < 2; n++) {
		for (uint64_t p = 0; p < sh->nr_pages[n]; p++) {
			struct worker *o = NULL;

			for (int i = 0; i < NR_WORKERS && !o; i++)
				if (owns(&w[i], n, p))
					o = &w[i];
			if (o)
				expected(o, n, p, want);
			else
				fill(want, tag_initial(n), p);
			CHECK_EQ(
				epc_encl_access2(t, sh->e[n], p * PAGE, buf, PAGE, EPC_ACCESS_READ),
				0, "final read");
			if (memcmp(buf, want, PAGE))
				fail_msg("enclave %d page %llu lost its contents", n,
					 (unsigned long long)p);
		}
	}
	for (int i = 0; i < NR_WORKERS; i++)
		for (int n = 0; n < 2; n++)
			free(w[i].version[n]);
	epc_task_destroy(t);
	free(buf);
	free(want);
}

/* Two enclaves each larger than the EPC, four workers over both, ksgxd running. */
static void test_stress_encl_two_enclaves_larger_than_the_epc(void **state)
{
	enum {
		EPC_PAGES = 256,
		NP = 320
	};
	unsigned long seed = test_seed(1);
	struct epc *epc = make_epc_threads(EPC_PAGES);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct shared sh = {.epc = epc, .ops = OPS_PER_WORKER * stress_scale(), .ro_pages = 16};
	struct epc_stats st;

	(void)state;
	for (int n = 0; n < 2; n++) {
		sh.nr_pages[n] = NP;
		sh.e[n] = build(t, NP, tag_initial(n));
	}
	run_workers(&sh, seed);
	epc_get_stats2(epc, &st, sizeof(st));
	print_message("# %llu evicted, %llu reloaded, %llu ksgxd wakeups\n",
		      (unsigned long long)st.nr_evicted, (unsigned long long)st.nr_reloaded,
		      (unsigned long long)st.nr_ksgxd_wakeups);
	CHECK(st.nr_evicted > NP, "the workload paged");
	CHECK(st.nr_ksgxd_wakeups > 0, "ksgxd was woken");
	quiesce(epc);
	assert_epc_consistent(epc);
	for (int n = 0; n < 2; n++)
		epc_encl_destroy(sh.e[n]);
	epc_get_stats2(epc, &st, sizeof(st));
	CHECK_EQ(st.nr_free, EPC_PAGES, "destroy returned every page");
	CHECK_EQ(cg_usage(epc_cgroup_root(epc)), 0, "and every charge");
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/*
 * The same in cgroups with limits: workers 0-1 fault enclave 0 from /p/a,
 * workers 2-3 enclave 1 from /p/b. @max: limits of /p, /p/a, /p/b in pages
 * (0 = none). Each level's peak must stay within its limit.
 */
/* On @epc (256 pages in all), which the run destroys. */
static void run_cgroups(struct epc *epc, const uint64_t max[3], unsigned long seed)
{
	enum {
		NP = 200
	};
	static const char *paths[3] = {"/p", "/p/a", "/p/b"};
	struct shared sh = {
		.epc = epc, .split = true, .ops = OPS_PER_WORKER * stress_scale(), .ro_pages = 8};
	struct epc_cgroup *cg[3];
	struct epc_task *t[2];
	char text[64], buf[64];

	for (int i = 0; i < 3; i++) {
		cg[i] = make_cg(epc, paths[i]);
		if (!max[i])
			continue;
		snprintf(text, sizeof(text), "sgx_epc %llu", (unsigned long long)(max[i] * PAGE));
		CHECK_EQ(epc_cgroup_write(cg[i], "misc.max", text), 0, "misc.max");
	}
	for (int n = 0; n < 2; n++) {
		sh.cg[n] = cg[n + 1];
		t[n] = make_task(epc, sh.cg[n], 0);
		sh.nr_pages[n] = NP;
		sh.e[n] = build(t[n], NP, tag_initial(n));
	}
	run_workers(&sh, seed);
	for (int i = 0; i < 3; i++) {
		unsigned long long peak = 0;

		cg_read(cg[i], "misc.peak", buf, sizeof(buf));
		CHECK_EQ(sscanf(buf, "sgx_epc %llu", &peak), 1, "misc.peak");
		if (max[i] && peak > max[i] * PAGE)
			fail_msg("%s peaked at %llu pages over its limit of %llu", paths[i],
				 peak / PAGE, (unsigned long long)max[i]);
	}
	quiesce(epc);
	assert_epc_consistent(epc);
	for (int n = 0; n < 2; n++) {
		epc_encl_destroy(sh.e[n]);
		epc_task_destroy(t[n]);
	}
	for (int i = 0; i < 3; i++) {
		cg_read(cg[i], "misc.current", buf, sizeof(buf));
		assert_string_equal(buf, "sgx_epc 0\n");
	}
	assert_epc_consistent(epc);
	epc_destroy(epc);
}

static void test_stress_encl_two_cgroups_with_limits(void **state)
{
	static const uint64_t max[3] = {0, 120, 90};

	(void)state;
	run_cgroups(make_epc_threads(256), max, test_seed(2));
}

/* Both cgroups under one parent limit, none of their own: they compete for /p. */
static void test_stress_encl_two_cgroups_under_a_shared_parent_limit(void **state)
{
	static const uint64_t max[3] = {150, 0, 0};

	(void)state;
	run_cgroups(make_epc_threads(256), max, test_seed(4));
}

/*
 * NUMA-aware reclaim (per-node LRUs and watermarks): two nodes of 128 pages,
 * workers on CPUs of both, two cgroups under a shared parent limit, each
 * enclave bigger than a node: node-targeted reclaim, its fallback and the
 * per-node ksgxd under the cgroup and capacity paths at once.
 */
static void test_stress_encl_two_nodes_numa_reclaim(void **state)
{
	static const uint64_t max[3] = {150, 0, 0};
	struct topo tp = {.nr_nodes = 2,
			  .nr_cpus = NR_WORKERS,
			  .nr_sections = 2,
			  .pages = 128,
			  .threads = true,
			  .numa_reclaim = true};

	(void)state;
	run_cgroups(make_topo(&tp), max, test_seed(6));
}

/*
 * The same with no limit and per-CPU caches on: the EPC itself fills, so
 * allocations reclaim at home in their cgroup's scope while the other node
 * has room and over the whole tree once neither has, faults wait for their
 * node, and freed pages pass through the caches.
 */
static void test_stress_encl_two_nodes_numa_reclaim_full_epc(void **state)
{
	static const uint64_t max[3] = {0, 0, 0};
	struct topo tp = {.nr_nodes = 2,
			  .nr_cpus = NR_WORKERS,
			  .nr_sections = 2,
			  .pages = 128,
			  .pcp_batch = 8,
			  .threads = true,
			  .numa_reclaim = true};

	(void)state;
	run_cgroups(make_topo(&tp), max, test_seed(7));
}

/* Two nodes, per-CPU page caches on, workers on CPUs of both nodes. */
static void test_stress_encl_two_nodes_with_per_cpu_caches(void **state)
{
	enum {
		NODE_PAGES = 128,
		NP = 300
	};
	unsigned long seed = test_seed(5);
	struct epc *epc = make_epc_threads_ex(2, NODE_PAGES, 8);
	struct epc_task *t = make_task(epc, NULL, 1);
	struct shared sh = {.epc = epc, .ops = OPS_PER_WORKER * stress_scale(), .ro_pages = 8};
	struct epc_node_stats ns[2];
	struct epc_stats st;

	(void)state;
	for (int n = 0; n < 2; n++) {
		sh.nr_pages[n] = NP;
		sh.e[n] = build(t, NP, tag_initial(n));
	}
	run_workers(&sh, seed);
	for (int i = 0; i < 2; i++)
		CHECK_EQ_AT(epc_node_get_stats(epc, i, &ns[i], sizeof(struct epc_node_stats)), 0,
			    i);
	CHECK(ns[0].nr_alloc_local > 0 && ns[1].nr_alloc_local > 0, "both nodes served pages");
	quiesce(epc);
	assert_epc_consistent(epc);
	for (int n = 0; n < 2; n++)
		epc_encl_destroy(sh.e[n]);
	epc_get_stats2(epc, &st, sizeof(st));
	CHECK_EQ(st.nr_free, 2 * NODE_PAGES, "every page back");
	CHECK_EQ(cg_usage(epc_cgroup_root(epc)), 0, "every charge back");
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/*
 * Enclaves created, used and destroyed while other threads page a big one
 * and ksgxd reclaims from all of them: destroy must wait for reclaimers that
 * hold its pages and give every page and charge back.
 */
struct churn {
	struct epc *epc;
	int id;
	unsigned long rounds;
	_Atomic unsigned long *errors, *mismatches;
};

static void *churn_main(void *arg)
{
	struct churn *c = arg;
	unsigned char *buf = malloc(PAGE), *want = malloc(PAGE);
	struct epc_task *t = NULL;

	if (!buf || !want || epc_task_create(c->epc, NULL, c->id, &t)) {
		atomic_fetch_add(c->errors, 1);
		goto out;
	}
	for (unsigned long r = 0; r < c->rounds; r++) {
		uint64_t tag = ((uint64_t)c->id << 32) | r, np = 8 + r % 40;
		struct epc_encl *e = NULL;
		int ret = epc_encl_create(t, np * PAGE, &e);

		if (ret) {
			atomic_fetch_add(c->errors, 1);
			continue;
		}
		for (uint64_t i = 0; i < np && !ret; i++) {
			fill(buf, tag, i);
			ret = epc_encl_add_page2(t, e, i * PAGE, buf, EPC_SECINFO_REG_RWX);
		}
		if (!ret && r % 2)
			ret = epc_encl_init(e);
		for (uint64_t i = 0; i < np && !ret; i += 3) {
			fill(want, tag, i);
			ret = epc_encl_access2(t, e, i * PAGE, buf, PAGE, EPC_ACCESS_READ);
			if (!ret && memcmp(buf, want, PAGE))
				atomic_fetch_add(c->mismatches, 1);
		}
		if (ret)
			atomic_fetch_add(c->errors, 1);
		epc_encl_destroy(e);
	}
out:
	epc_task_destroy(t);
	free(buf);
	free(want);
	return NULL;
}

static void test_stress_encl_create_destroy_churn_under_reclaim(void **state)
{
	enum {
		EPC_PAGES = 192,
		NP = 256
	};
	unsigned long seed = test_seed(3);
	struct epc *epc = make_epc_threads(EPC_PAGES);
	struct epc_task *t = make_task(epc, NULL, 0);
	struct shared sh = {.epc = epc, .split = true, .ops = OPS_PER_WORKER * stress_scale() / 2};
	_Atomic unsigned long errors = 0, mismatches = 0;
	struct churn c[2];
	pthread_t th[2];
	struct epc_stats st;

	(void)state;
	/* enclave 0 is paged by workers 0-1; workers 2-3 page enclave 1 */
	for (int n = 0; n < 2; n++) {
		sh.nr_pages[n] = NP / 2;
		sh.e[n] = build(t, NP / 2, tag_initial(n));
	}
	for (int i = 0; i < 2; i++) {
		c[i] = (struct churn){.epc = epc,
				      .id = i + 1,
				      .rounds = 40 * stress_scale(),
				      .errors = &errors,
				      .mismatches = &mismatches};
		CHECK_EQ_AT(pthread_create(&th[i], NULL, churn_main, &c[i]), 0, i);
	}
	run_workers(&sh, seed);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(atomic_load(&errors), 0, "no churn call failed");
	CHECK_EQ(atomic_load(&mismatches), 0, "churned enclaves read their own bytes");
	quiesce(epc);
	assert_epc_consistent(epc);
	for (int n = 0; n < 2; n++)
		epc_encl_destroy(sh.e[n]);
	epc_get_stats2(epc, &st, sizeof(st));
	CHECK_EQ(st.nr_free, EPC_PAGES, "every page back");
	CHECK_EQ(cg_usage(epc_cgroup_root(epc)), 0, "every charge back");
	assert_epc_consistent(epc);
	epc_task_destroy(t);
	epc_destroy(epc);
}

/*
 * Removed cgroups that still hold enclave pages, under concurrent reclaim:
 * each round a worker makes a cgroup, pages an enclave in it, moves out and
 * removes the cgroup (dying, its pages still charged and reclaimable), keeps
 * reading (reloads are charged to the root), and destroys the enclave, while
 * two threads run epc_reclaim() and ksgxd works. The last unpin or uncharge of
 * a dying cgroup races with reaps started by other threads' removals: TSan
 * caught epc__cg_unpin() reading a cgroup another thread had just reaped.
 */
struct dying {
	struct epc *epc;
	int id;
	unsigned long rounds;
	_Atomic unsigned long *errors, *mismatches;
	_Atomic bool *stop;
};

static void *dying_main(void *arg)
{
	struct dying *d = arg;
	unsigned char *buf = malloc(PAGE), *want = malloc(PAGE);
	uint64_t seed = (uint64_t)d->id * 7919 + 1;

	for (unsigned long r = 0; buf && want && r < d->rounds; r++) {
		uint64_t tag = ((uint64_t)d->id << 32) | r, np = 24 + r % 24;
		struct epc_cgroup *cg = NULL;
		struct epc_task *t = NULL;
		struct epc_encl *e = NULL;
		char path[32];
		int ret;

		snprintf(path, sizeof(path), "/d%d_%lu", d->id, r);
		if (epc_cgroup_create(d->epc, path, &cg) ||
		    epc_task_create(d->epc, cg, d->id, &t)) {
			atomic_fetch_add(d->errors, 1);
			break;
		}
		ret = epc_encl_create(t, np * PAGE, &e);
		for (uint64_t i = 0; i < np && !ret; i++) {
			fill(buf, tag, i);
			ret = epc_encl_add_page2(t, e, i * PAGE, buf, EPC_SECINFO_REG_RWX);
		}
		if (!ret)
			ret = epc_encl_init(e);
		if (!ret)
			ret = epc_task_move(t, NULL);
		if (!ret)
			ret = epc_cgroup_remove(cg); /* dying: its pages stay charged */
		if (epc_cgroup_put(cg)) /* the enclave's reference and charges keep it */
			atomic_fetch_add(d->errors, 1);
		for (int k = 0; k < 32 && !ret; k++) {
			uint64_t i = rng_next(&seed) % np;

			fill(want, tag, i);
			ret = epc_encl_access2(t, e, i * PAGE, buf, PAGE, EPC_ACCESS_READ);
			if (!ret && memcmp(buf, want, PAGE))
				atomic_fetch_add(d->mismatches, 1);
		}
		if (ret)
			atomic_fetch_add(d->errors, 1);
		if (e)
			epc_encl_destroy(e);
		epc_task_destroy(t);
	}
	free(buf);
	free(want);
	return NULL;
}

static void *reclaim_main(void *arg)
{
	struct dying *d = arg;

	while (!atomic_load(d->stop))
		epc_reclaim(d->epc, 32);
	return NULL;
}

static void test_stress_encl_dying_cgroups_under_reclaim(void **state)
{
	struct epc *epc = make_epc_threads_ex(2, 96, 8);
	_Atomic unsigned long errors = 0, mismatches = 0;
	_Atomic bool stop = false;
	struct dying d[NR_WORKERS];
	pthread_t th[NR_WORKERS + 2];
	struct epc_stats st;

	(void)state;
	for (int i = 0; i < NR_WORKERS + 2; i++) {
		if (i < NR_WORKERS)
			d[i] = (struct dying){.epc = epc,
					      .id = i,
					      .rounds = 12 * stress_scale(),
					      .errors = &errors,
					      .mismatches = &mismatches,
					      .stop = &stop};
		CHECK_EQ_AT(pthread_create(&th[i], NULL, i < NR_WORKERS ? dying_main : reclaim_main,
					   &d[i < NR_WORKERS ? i : 0]),
			    0, i);
	}
	for (int i = 0; i < NR_WORKERS; i++)
		pthread_join(th[i], NULL);
	atomic_store(&stop, true);
	for (int i = NR_WORKERS; i < NR_WORKERS + 2; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(atomic_load(&errors), 0, "no call failed");
	CHECK_EQ(atomic_load(&mismatches), 0, "every read saw the page's own bytes");
	quiesce(epc);
	CHECK_EQ(atomic_load(&epc->cgroups.nr_dying), 0, "every removed cgroup was reaped");
	epc_get_stats2(epc, &st, sizeof(st));
	CHECK_EQ(st.nr_free, 2 * 96, "every page back");
	CHECK_EQ(cg_usage(epc_cgroup_root(epc)), 0, "every charge back");
	assert_epc_consistent(epc);
	epc_destroy(epc);
}

/* ------------------------------------------------ EDMM heaps under reclaim */

#define EDMM_HEAP  48 /* heap pages an EDMM worker's enclave may add */
#define EDMM_BASE  8  /* pages EADDed before them */
#define EDMM_ROUND 24 /* pages a round grows by, then trims */

struct edmm_worker {
	struct epc_task *t;
	struct epc_encl *e;
	int id;
	unsigned long rounds;
	bool present[EDMM_HEAP];
	uint64_t value[EDMM_HEAP];
	_Atomic int failures, last_err;
};

static void edmm_fail(struct edmm_worker *w, int err)
{
	atomic_fetch_add(&w->failures, 1);
	atomic_store(&w->last_err, err);
}

/* An enclave of @base EADDed pages (tag @tag) and @heap pages an access may add. */
static struct epc_encl *build_dynamic(struct epc_task *t, uint64_t base, uint64_t heap,
				      uint64_t tag)
{
	static unsigned char buf[PAGE];
	struct epc_encl *e = NULL;

	CHECK_EQ(epc_encl_create(t, (base + heap) * PAGE, &e), 0, "ECREATE");
	for (uint64_t i = 0; i < base; i++) {
		fill(buf, tag, i);
		CHECK_EQ(epc_encl_add_page2(t, e, i * PAGE, buf, EPC_SECINFO_REG_RWX), 0, "EADD");
	}
	CHECK_EQ(epc_encl_declare_dynamic(e, base * PAGE, heap * PAGE), 0, "the heap");
	CHECK_EQ(epc_encl_init(e), 0, "EINIT");
	return e;
}

static void set_limit(struct epc_cgroup *cg, uint64_t bytes)
{
	char text[64];

	snprintf(text, sizeof(text), "sgx_epc %llu", (unsigned long long)bytes);
	CHECK_EQ(epc_cgroup_write(cg, "misc.max", text), 0, "misc.max");
}

/* Retry a call while it says the page is being written back or has no room now. */
static bool edmm_again(int ret)
{
	return ret == -EAGAIN || ret == -EBUSY;
}

/* Trim, accept and remove heap page @i (present), retrying what may be retried. */
static void edmm_shrink_one(struct edmm_worker *w, uint64_t i)
{
	uint64_t off = (EDMM_BASE + i) * PAGE, res = 0;
	struct epc_modify_types m;
	struct epc_remove_pages r;
	int ret;

	do {
		m = (struct epc_modify_types){
			.offset = off, .length = PAGE, .page_type = EPC_PAGE_TYPE_TRIM};
		ret = epc_encl_modify_types(w->t, w->e, &m, sizeof(m));
	} while (edmm_again(ret));
	if (ret)
		return edmm_fail(w, ret);
	ret = epc_encl_accept(w->t, w->e, off, EPC_SECINFO_TRIM | EPC_SECINFO_MODIFIED, &res);
	if (ret || res)
		return edmm_fail(w, ret ? ret : (int)res);
	do {
		r = (struct epc_remove_pages){.offset = off, .length = PAGE};
		ret = epc_encl_remove_pages(w->t, w->e, &r, sizeof(r));
	} while (edmm_again(ret));
	if (ret)
		return edmm_fail(w, ret);
	w->present[i] = false;
}

/*
 * Rounds of: EACCEPT EDMM_ROUND random heap pages (an EAUG each where none
 * is), write a new value into each, read back every present page, then
 * trim, accept and remove as many random present pages, all while ksgxd and
 * the cgroup work evict underneath. A page's value is checked on every read.
 */
static void *edmm_main(void *arg)
{
	struct edmm_worker *w = arg;
	uint64_t seed = 0x9E3779B97F4A7C15ULL * (uint64_t)(w->id + 1);

	for (unsigned long round = 0; round < w->rounds; round++) {
		for (int k = 0; k < EDMM_ROUND; k++) {
			uint64_t i = rng_next(&seed) % EDMM_HEAP, off = (EDMM_BASE + i) * PAGE;
			uint64_t v = tag_of(w->id, round << 8 | (uint64_t)k), res = 0;
			int ret;

			if (!w->present[i]) {
				ret = epc_encl_accept(w->t, w->e, off,
						      EPC_SECINFO_REG | EPC_SECINFO_R |
							      EPC_SECINFO_W | EPC_SECINFO_PENDING,
						      &res);
				if (ret || res) {
					edmm_fail(w, ret ? ret : (int)res);
					continue;
				}
				w->present[i] = true;
			}
			ret = epc_encl_access2(w->t, w->e, off, &v, sizeof(v), EPC_ACCESS_WRITE);
			if (ret)
				edmm_fail(w, ret);
			else
				w->value[i] = v;
		}
		for (uint64_t i = 0; i < EDMM_HEAP; i++) {
			uint64_t got = 0;
			int ret;

			if (!w->present[i])
				continue;
			ret = epc_encl_access2(w->t, w->e, (EDMM_BASE + i) * PAGE, &got,
					       sizeof(got), EPC_ACCESS_READ);
			if (ret || got != w->value[i])
				edmm_fail(w, ret ? ret : -EBADMSG);
		}
		for (int k = 0; k < EDMM_ROUND; k++) {
			uint64_t i = rng_next(&seed) % EDMM_HEAP;

			if (w->present[i])
				edmm_shrink_one(w, i);
		}
	}
	return NULL;
}

/*
 * EDMM under real concurrency (issue 19): every worker's enclave grows and
 * shrinks a heap page by page, in two cgroups whose limits are below what
 * the heaps need at once, while ksgxd and the cgroup workers evict. No
 * failure, no wrong value, the books consistent, every charge back at the end.
 */
static void test_stress_encl_edmm_heaps_breathe_under_reclaim(void **state)
{
	struct epc *epc = make_epc_threads(192);
	struct epc_cgroup *root = epc_cgroup_root(epc);
	struct epc_cgroup *cg[2] = {make_cg(epc, "/x"), make_cg(epc, "/y")};
	struct edmm_worker w[NR_WORKERS];
	pthread_t th[NR_WORKERS];

	(void)state;
	set_limit(cg[0], 56 * PAGE);
	set_limit(cg[1], 56 * PAGE);
	for (int i = 0; i < NR_WORKERS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].id = i;
		w[i].rounds = 20 * stress_scale();
		w[i].t = make_task(epc, cg[i % 2], i);
		w[i].e = build_dynamic(w[i].t, EDMM_BASE, EDMM_HEAP, tag_initial(i));
	}
	for (int i = 0; i < NR_WORKERS; i++)
		CHECK_EQ_AT(pthread_create(&th[i], NULL, edmm_main, &w[i]), 0, i);
	for (int i = 0; i < NR_WORKERS; i++)
		pthread_join(th[i], NULL);
	quiesce(epc);
	for (int i = 0; i < NR_WORKERS; i++)
		if (atomic_load(&w[i].failures))
			fail_msg("EDMM worker %d: %d failures, the last %d", i,
				 atomic_load(&w[i].failures), atomic_load(&w[i].last_err));
	assert_epc_consistent(epc);
	for (int i = 0; i < NR_WORKERS; i++) {
		epc_encl_destroy(w[i].e);
		epc_task_destroy(w[i].t);
	}
	CHECK_EQ(cg_usage(root), 0, "every charge back");
	epc_cgroup_put(cg[0]);
	epc_cgroup_put(cg[1]);
	epc_destroy(epc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stress_encl_two_enclaves_larger_than_the_epc),
		cmocka_unit_test(test_stress_encl_two_cgroups_with_limits),
		cmocka_unit_test(test_stress_encl_two_cgroups_under_a_shared_parent_limit),
		cmocka_unit_test(test_stress_encl_two_nodes_with_per_cpu_caches),
		cmocka_unit_test(test_stress_encl_two_nodes_numa_reclaim),
		cmocka_unit_test(test_stress_encl_two_nodes_numa_reclaim_full_epc),
		cmocka_unit_test(test_stress_encl_create_destroy_churn_under_reclaim),
		cmocka_unit_test(test_stress_encl_dying_cgroups_under_reclaim),
		cmocka_unit_test(test_stress_encl_edmm_heaps_breathe_under_reclaim),
	};

	return cmocka_run_group_tests_name("stress_encl", tests, NULL, NULL);
}
