// SPDX-License-Identifier: MIT
/*
 * test_stress_mm.c - the allocator under threads (run under ThreadSanitizer
 * and AddressSanitizer in CI).
 *
 * Four workers, each with its own task on its own CPU (six CPUs: 0-3 on nodes
 * 0-3, 4 on node 0, 5 on node 1; node 2 has no EPC; the workers start on CPUs
 * 0, 4, 2 and 1, so two caches of node 0 are busy), allocate and free raw
 * pages at random, keeping a private stack of held pages and freeing random
 * subsets of it; now and then a worker moves its task to another CPU. One more thread reports memory
 * failures at random addresses (free, cached, in use, already poisoned, and
 * outside every section), spread over the run by the workers' progress.
 *
 * Workers count anomalies in atomics; only the test thread asserts, after
 * joining:
 *  - a page handed out while someone else holds it (a shared flag per page
 *    index, set on allocation and cleared before the free);
 *  - a page handed out whose memory failure had completed before the
 *    allocation started (the poisoner publishes, per page, the sequence
 *    number of the first failure that hit it, then that number as "done";
 *    a worker reads "done" before allocating);
 *  - an error other than -ENOMEM, a wrong node, address or owner.
 * Then with everything freed: the invariant checker passes, every page is
 * free except the poisoned ones (which are all on poison lists), nothing
 * leaked or charged, the allocation counters add up to what the workers got,
 * and one thread can allocate exactly the unpoisoned pages, none poisoned.
 *
 * Four cases: MANUAL and THREADS mode (in THREADS mode the workers start
 * while ksgxd is still sanitizing), each with and without per-CPU caches.
 * Sizes scale with EPCMM_STRESS_SCALE.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#include "helpers.h"

#define NR_WORKERS     4
#define NR_NODES       4
#define NR_SECS	       3
#define SEC_PAGES      64
#define NR_PAGES       (NR_SECS * SEC_PAGES)
#define MAX_HELD       48 /* per worker: together they can take every page */
#define OPS_PER_WORKER 12000
#define ROUNDS	       2

#define NR_CPUS 6

static const int sec_node[NR_SECS] = {0, 1, 3};
static const int cpu_map[NR_CPUS] = {0, 1, 2, 3, 0, 1};
static const int worker_cpu[NR_WORKERS] = {0, 4, 2, 1};

enum anomaly {
	AN_DOUBLE,    /* a page handed out twice */
	AN_POISONED,  /* a page poisoned before the allocation handed out */
	AN_ALLOC_ERR, /* an allocation error other than -ENOMEM */
	AN_BAD_PAGE,  /* index, node, address or owner wrong */
	AN_LOST,      /* a held page's flag was cleared by someone else */
	AN_MF_ERR,    /* memory failure returned the wrong value */
	AN_SET_CPU,   /* task_set_cpu failed */
	AN_NR,
};

static const char *const anomaly_name[AN_NR] = {
	[AN_DOUBLE] = "page handed out twice",
	[AN_POISONED] = "poisoned page handed out",
	[AN_ALLOC_ERR] = "allocation error other than -ENOMEM",
	[AN_BAD_PAGE] = "wrong index, node, address or owner",
	[AN_LOST] = "a held page's ownership flag was lost",
	[AN_MF_ERR] = "memory failure returned the wrong value",
	[AN_SET_CPU] = "task_set_cpu failed",
};

struct shared {
	struct epc *epc;
	unsigned long ops; /* per worker */
	uint64_t seed;
	_Atomic uint8_t owned[NR_PAGES];
	_Atomic uint64_t poison_seq[NR_PAGES]; /* first failure's sequence number, 0 = none */
	_Atomic uint64_t poison_done;	       /* last completed sequence number */
	_Atomic unsigned long progress;	       /* worker operations done, all workers */
	_Atomic unsigned long nr_allocated;    /* successful allocations */
	_Atomic bool workers_done;
	_Atomic unsigned long nr_new_poison; /* pages poisoned so far (the poisoner writes) */
	unsigned long poison_step;	     /* worker operations per new poisoned page */
	_Atomic unsigned long anomalies[AN_NR];
};

struct worker {
	struct shared *sh;
	struct epc_task *task;
	int id;
};

static void anomaly(struct shared *sh, enum anomaly a)
{
	atomic_fetch_add(&sh->anomalies[a], 1);
}

static uint64_t phys_of(uint64_t idx)
{
	return ((idx / SEC_PAGES + 1) << 32) + (idx % SEC_PAGES) * PAGE;
}

static int node_of(uint64_t idx)
{
	return sec_node[idx / SEC_PAGES];
}

/* Clear the flag (it must be ours), then free. */
static void worker_free(struct worker *w, struct epc_page *p)
{
	uint64_t idx = epc__page_index(w->sh->epc, p);

	if (idx >= NR_PAGES || !atomic_exchange(&w->sh->owned[idx], 0))
		anomaly(w->sh, AN_LOST);
	epc_page_free(p);
}

static void worker_alloc(struct worker *w, struct epc_page **held, int *nr_held)
{
	struct shared *sh = w->sh;
	struct epc_page *p = NULL;
	uint64_t done, first, idx;
	int ret;

	/* pairs with the release store in the poisoner */
	done = atomic_load_explicit(&sh->poison_done, memory_order_acquire);
	ret = epc_page_alloc(w->task, w, EPC_NO_RECLAIM, &p);
	if (ret) {
		if (ret != -ENOMEM)
			anomaly(sh, AN_ALLOC_ERR);
		return;
	}
	atomic_fetch_add(&sh->nr_allocated, 1);
	idx = epc__page_index(sh->epc, p);
	if (idx >= NR_PAGES) {
		anomaly(sh, AN_BAD_PAGE);
		return; /* cannot be tracked; leaks into the final checks */
	}
	if (atomic_exchange(&sh->owned[idx], 1))
		anomaly(sh, AN_DOUBLE);
	first = atomic_load(&sh->poison_seq[idx]);
	/* poisoned by a failure that had completed before we started */
	if (first && first <= done)
		anomaly(sh, AN_POISONED);
	if (epc_page_node(p) != node_of(idx) || epc_page_phys(p) != phys_of(idx) ||
	    epc_page_owner(p) != w)
		anomaly(sh, AN_BAD_PAGE);
	held[(*nr_held)++] = p;
}

/*
 * Keep the poisoner in step: a worker more than one step ahead of the next
 * new poisoned page waits for it, so the failures are spread over the run
 * however the threads are scheduled. The poisoner's condition holds whenever
 * a worker waits here, so this cannot deadlock.
 */
static void wait_for_poisoner(struct shared *sh)
{
	for (;;) {
		unsigned long n = atomic_load(&sh->nr_new_poison);

		if (n >= NR_PAGES / 4 || atomic_load_explicit(&sh->progress, memory_order_relaxed) <
						 (n + 2) * sh->poison_step)
			return;
		sched_yield();
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	struct epc_page *held[MAX_HELD];
	int nr_held = 0;
	uint64_t rng = sh->seed * 0x9E3779B97F4A7C15ULL + (uint64_t)w->id + 1;

	for (unsigned long i = 0; i < sh->ops; i++) {
		unsigned r = (unsigned)(rng_next(&rng) % 100);

		wait_for_poisoner(sh);

		if (r < 55 && nr_held < MAX_HELD) {
			worker_alloc(w, held, &nr_held);
		} else if (r < 98 && nr_held) {
			/* a random subset of up to 8 held pages */
			unsigned k = 1 + (unsigned)(rng_next(&rng) % (nr_held < 8 ? nr_held : 8));

			while (k-- && nr_held) {
				int pos = (int)(rng_next(&rng) % (uint64_t)nr_held);

				worker_free(w, held[pos]);
				held[pos] = held[--nr_held];
			}
		} else if (r >= 98) {
			/* move to another CPU now and then (frees still go to the old cache) */
			int cpu = (int)(rng_next(&rng) % NR_CPUS);

			if (epc_task_set_cpu(w->task, cpu) || epc_task_cpu(w->task) != cpu)
				anomaly(sh, AN_SET_CPU);
		}
		atomic_fetch_add_explicit(&sh->progress, 1, memory_order_relaxed);
	}
	while (nr_held)
		worker_free(w, held[--nr_held]);
	return NULL;
}

/*
 * Memory failures, spread over the run: a new page is poisoned each time the
 * workers' progress crosses the next step (a quarter of the pages over the
 * run); in between, repeats and addresses outside every section.
 */
static void *poisoner_main(void *arg)
{
	struct shared *sh = arg;
	const unsigned long budget = NR_PAGES / 4;
	uint64_t rng = sh->seed * 0xD1B54A32D192ED03ULL + 77, seq = 0;

	while (!atomic_load(&sh->workers_done)) {
		unsigned long prog = atomic_load_explicit(&sh->progress, memory_order_relaxed);
		unsigned long done = atomic_load(&sh->nr_new_poison);
		bool new_one = done < budget && prog >= (done + 1) * sh->poison_step;
		uint64_t idx = rng_next(&rng) % NR_PAGES;
		int flags = rng_next(&rng) % 4 ? 0 : EPC_MF_ACTION_REQUIRED;
		int ret;

		if (!new_one) {
			if (rng_next(&rng) % 2) {
				/* outside: below, between and above the sections */
				uint64_t a = ((rng_next(&rng) % 6) << 32) + SEC_PAGES * PAGE;

				if (epc_memory_failure(sh->epc, a, flags) != -ENXIO)
					anomaly(sh, AN_MF_ERR);
			} else if (seq) {
				/* a repeat on a page already poisoned */
				for (int k = 0; k < NR_PAGES; k++, idx = (idx + 1) % NR_PAGES)
					if (atomic_load(&sh->poison_seq[idx]))
						break;
				if (epc_memory_failure(sh->epc, phys_of(idx) + 8, flags))
					anomaly(sh, AN_MF_ERR);
			}
			sched_yield();
			continue;
		}
		/* a page not poisoned yet */
		while (atomic_load(&sh->poison_seq[idx]))
			idx = (idx + 1) % NR_PAGES;
		ret = epc_memory_failure(sh->epc, phys_of(idx) + rng_next(&rng) % PAGE, flags);
		if (ret)
			anomaly(sh, AN_MF_ERR);
		seq++;
		atomic_store(&sh->poison_seq[idx], seq);
		/* pairs with the acquire load in worker_alloc() */
		atomic_store_explicit(&sh->poison_done, seq, memory_order_release);
		atomic_fetch_add(&sh->nr_new_poison, 1);
	}
	return NULL;
}

static struct epc *make_instance(bool threads, unsigned pcp_batch)
{
	struct topo tp = {.nr_nodes = NR_NODES,
			  .nr_cpus = NR_CPUS,
			  .cpu_to_node = cpu_map,
			  .nr_sections = NR_SECS,
			  .sec_node = sec_node,
			  .pages = SEC_PAGES,
			  .pcp_batch = pcp_batch,
			  .threads = threads,
			  .no_sanitize = true};

	return make_topo(&tp);
}

static void one_round(bool threads, unsigned pcp_batch, uint64_t seed)
{
	struct shared *sh = calloc(1, sizeof(*sh));
	struct worker w[NR_WORKERS];
	pthread_t tid[NR_WORKERS], ptid;
	struct epc_stats st;
	struct epc_task *t;
	struct epc_page *all[NR_PAGES], *p;
	uint64_t nr_poisoned = 0, listed = 0;
	int n = 0;

	assert_non_null(sh);
	sh->epc = make_instance(threads, pcp_batch);
	sh->ops = OPS_PER_WORKER * stress_scale();
	sh->poison_step = sh->ops * NR_WORKERS / (NR_PAGES / 4 + 1);
	sh->seed = seed;
	/* MANUAL: sanitize first; THREADS: the workers race with ksgxd */
	if (!threads)
		CHECK_ERR(epc_sanitize_wait(sh->epc), 0, "epc_sanitize_wait");
	for (int i = 0; i < NR_WORKERS; i++) {
		w[i] = (struct worker){
			.sh = sh, .id = i, .task = make_task(sh->epc, NULL, worker_cpu[i])};
	}
	assert_int_equal(pthread_create(&ptid, NULL, poisoner_main, sh), 0);
	for (int i = 0; i < NR_WORKERS; i++)
		CHECK_EQ_AT(pthread_create(&tid[i], NULL, worker_main, &w[i]), 0, i);
	for (int i = 0; i < NR_WORKERS; i++)
		CHECK_EQ_AT(pthread_join(tid[i], NULL), 0, i);
	atomic_store(&sh->workers_done, true);
	assert_int_equal(pthread_join(ptid, NULL), 0);
	CHECK_ERR(epc_sanitize_wait(sh->epc), 0, "epc_sanitize_wait");

	for (int a = 0; a < AN_NR; a++)
		if (atomic_load(&sh->anomalies[a]))
			fail_msg("seed %llu: %lu x %s", (unsigned long long)seed,
				 atomic_load(&sh->anomalies[a]), anomaly_name[a]);
	for (int i = 0; i < NR_PAGES; i++) {
		/* every worker freed what it held */
		CHECK_EQ_AT(atomic_load(&sh->owned[i]), 0, i);
		nr_poisoned += atomic_load(&sh->poison_seq[i]) != 0;
	}
	/* the poisoner kept pace: the whole budget was used */
	assert_int_equal(nr_poisoned, atomic_load(&sh->nr_new_poison));
	assert_int_equal(nr_poisoned, NR_PAGES / 4);
	print_message("# %s, pcp_batch %u: %lu allocations, %llu pages poisoned\n",
		      threads ? "THREADS" : "MANUAL", pcp_batch, atomic_load(&sh->nr_allocated),
		      (unsigned long long)nr_poisoned);

	/* quiescent again: the books must balance exactly */
	assert_epc_consistent(sh->epc);
	epc_get_stats2(sh->epc, &st, sizeof(st));
	assert_int_equal(st.nr_total, NR_PAGES);
	assert_int_equal(st.nr_poisoned, nr_poisoned);
	assert_int_equal(st.nr_dirty, 0);
	assert_int_equal(st.nr_leaked, 0);
	/* every page is free except the poisoned ones */
	assert_int_equal(st.nr_free, NR_PAGES - nr_poisoned);
	/* each successful allocation was counted once, as local or remote */
	assert_int_equal(st.nr_alloc_local + st.nr_alloc_remote, atomic_load(&sh->nr_allocated));
	for (int nid = 0; nid < NR_NODES; nid++) {
		struct epc_node_stats ns;

		CHECK_EQ_AT(epc_node_get_stats(sh->epc, nid, &ns, sizeof(ns)), 0, nid);
		listed += ns.nr_poisoned;
	}
	/* nothing is in use, so every poisoned page is on a poison list */
	assert_int_equal(listed, nr_poisoned);
	assert_int_equal(cg_usage(epc_cgroup_root(sh->epc)), 0);

	/* one thread now gets exactly the unpoisoned pages */
	t = make_task(sh->epc, NULL, 2);
	while (epc_page_alloc(t, NULL, EPC_NO_RECLAIM, &p) == 0) {
		uint64_t idx = epc__page_index(sh->epc, p);

		assert_true(idx < NR_PAGES);
		/* never a poisoned page */
		assert_int_equal(atomic_load(&sh->poison_seq[idx]), 0);
		assert_true(n < NR_PAGES);
		all[n++] = p;
	}
	assert_int_equal(n, NR_PAGES - nr_poisoned);
	for (int i = 0; i < n; i++)
		epc_page_free(all[i]);
	epc_task_destroy(t);
	for (int i = 0; i < NR_WORKERS; i++)
		epc_task_destroy(w[i].task);
	assert_epc_consistent(sh->epc);
	epc_destroy(sh->epc);
	free(sh);
}

/*
 * The race between freeing a page into a per-CPU cache and a memory failure
 * on that page, forced: the test holds the cache's lock, so a thread freeing
 * the page (it passes any unlocked poison test) waits for the lock; then a
 * second thread reports the failure (it sets the flag and waits for the same
 * lock to search the cache). When the test lets go, either may get the lock
 * first. If the memory failure searches the cache first, the page is not
 * there yet: the free must see the flag under the lock and divert the page
 * to the poison list. A free that tested the flag only before taking the
 * lock put a poisoned page into the cache, to be handed out again. Every
 * interleaving must end with the page on the poison list.
 */
#define RACE_ATTEMPTS 12

struct race_free {
	struct epc_page *p;
	_Atomic int stage; /* 1: started, 2: done */
};

struct race_mf {
	struct epc *epc;
	uint64_t phys;
	_Atomic int stage;
	_Atomic int ret;
};

static void *race_free_main(void *arg)
{
	struct race_free *a = arg;

	atomic_store(&a->stage, 1);
	epc_page_free(a->p);
	atomic_store(&a->stage, 2);
	return NULL;
}

static void *race_mf_main(void *arg)
{
	struct race_mf *a = arg;

	atomic_store(&a->stage, 1);
	atomic_store(&a->ret, epc_memory_failure(a->epc, a->phys, 0));
	atomic_store(&a->stage, 2);
	return NULL;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};

	nanosleep(&ts, NULL);
}

static void wait_stage(_Atomic int *stage, int want)
{
	while (atomic_load(stage) < want)
		sched_yield();
}

static void test_stress_mm_poison_vs_cached_free(void **state)
{
	struct epc_section_desc s = {.phys_addr = 1ULL << 32, .size = 8 * PAGE, .node = 0};
	struct epc_config c = {.nr_nodes = 1,
			       .sections = &s,
			       .nr_sections = 1,
			       .background = EPC_BACKGROUND_MANUAL,
			       .pcp_batch = 2,
			       .log = log_quiet};

	(void)state;
	for (int attempt = 0; attempt < RACE_ATTEMPTS; attempt++) {
		struct epc *epc = NULL;
		struct epc_task *t;
		struct epc_page *p, *pages[8];
		struct race_free fa = {0};
		struct race_mf ma = {0};
		pthread_t ft, mt;
		uint64_t idx;
		int n = 0;

		CHECK_EQ_AT(epc_create2(&c, sizeof(c), &epc), 0, attempt);
		CHECK_EQ_AT(epc_sanitize_wait(epc), 0, attempt);
		t = make_task(epc, NULL, 0);
		CHECK_EQ_AT(epc_page_alloc(t, NULL, EPC_NO_RECLAIM, &p), 0, attempt);
		idx = epc__page_index(epc, p);
		fa.p = p;
		ma.epc = epc;
		ma.phys = epc_page_phys(p);

		epc__spin_lock(&epc->mm.pcps[0].lock);
		CHECK_EQ_AT(pthread_create(&ft, NULL, race_free_main, &fa), 0, attempt);
		wait_stage(&fa.stage, 1);
		sleep_ms(3); /* the free now waits for the cache lock */
		CHECK_EQ_AT(pthread_create(&mt, NULL, race_mf_main, &ma), 0, attempt);
		wait_stage(&ma.stage, 1);
		sleep_ms(3); /* the failure has set the flag and waits for the same lock */
		epc__spin_unlock(&epc->mm.pcps[0].lock);
		CHECK_EQ_AT(pthread_join(ft, NULL), 0, attempt);
		CHECK_EQ_AT(pthread_join(mt, NULL), 0, attempt);
		CHECK_EQ_AT(atomic_load(&ma.ret), 0, attempt);

		/* on the poison list, not in the cache */
		if (epc__page_state(epc__page_at(epc, idx)) != EPC__PAGE_POISON)
			fail_msg("attempt %d: the poisoned page ended in state %d (PCP = %d)",
				 attempt, epc__page_state(epc__page_at(epc, idx)), EPC__PAGE_PCP);
		assert_epc_consistent(epc);
		/* and never handed out again */
		while (epc_page_alloc(t, NULL, EPC_NO_RECLAIM, &p) == 0) {
			assert_int_not_equal(epc__page_index(epc, p), idx);
			pages[n++] = p;
		}
		CHECK_EQ_AT(n, 7, attempt);
		for (int i = 0; i < n; i++)
			epc_page_free(pages[i]);
		epc_task_destroy(t);
		epc_destroy(epc);
	}
}

static void run(bool threads, unsigned pcp_batch, unsigned long dflt_seed)
{
	unsigned long seed = test_seed(dflt_seed);

	for (int r = 0; r < ROUNDS; r++)
		one_round(threads, pcp_batch, seed + (uint64_t)r * 1000);
}

static void test_stress_mm_manual(void **state)
{
	(void)state;
	run(false, 0, 11);
}

static void test_stress_mm_manual_pcp(void **state)
{
	(void)state;
	run(false, 4, 12);
}

static void test_stress_mm_threads(void **state)
{
	(void)state;
	run(true, 0, 13);
}

static void test_stress_mm_threads_pcp(void **state)
{
	(void)state;
	run(true, 4, 14);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stress_mm_manual),
		cmocka_unit_test(test_stress_mm_manual_pcp),
		cmocka_unit_test(test_stress_mm_threads),
		cmocka_unit_test(test_stress_mm_threads_pcp),
		cmocka_unit_test(test_stress_mm_poison_vs_cached_free),
	};

	return cmocka_run_group_tests_name("stress_mm", tests, NULL, NULL);
}
