// SPDX-License-Identifier: MIT
/*
 * test_stress_cgroup.c - many tasks charging raw pages at their limits in
 * sibling and nested cgroups, while another thread rewrites the limits and
 * creates and removes a scratch cgroup under /a (which then dies with a
 * charge and is reaped when the page goes).
 *
 * Tree (pages): root capacity 128; /a 40; /a/b 25; /a/c 30; /d 20. Workers:
 * two in /a/b, one each in /a/c, /a, /d and the root (the root one holds at
 * most ROOT_HOLD pages, so the capacity never binds and every -ENOMEM is a
 * limit event: the books must balance exactly). The rewriter only ever
 * lowers limits below these values and restores them at the end.
 *
 * Workers never assert (STYLE §14): they count anomalies in atomics and keep
 * the first message; the test thread checks everything after joining.
 *
 * EPCMM_STRESS_SCALE multiplies the rounds; EPCMM_TEST_SEED picks the seed.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "helpers.h"

#include "cgroup/cgroup.h"

#define CAPACITY_PAGES 128
#define ROOT_HOLD      48
#define MAX_HOLD       64
#define NR_WORKERS     6
#define ROUNDS	       10000

enum {
	CG_ROOT,
	CG_A,
	CG_AB,
	CG_AC,
	CG_D,
	NR_CG
};

static const char *const cg_paths[NR_CG] = {"/", "/a", "/a/b", "/a/c", "/d"};
static const int cg_parent[NR_CG] = {-1, CG_ROOT, CG_A, CG_A, CG_ROOT};
/* the original limits, in pages: also the highest each ever has */
static const uint64_t cg_limit[NR_CG] = {CAPACITY_PAGES, 40, 25, 30, 20};
static const int worker_cg[NR_WORKERS] = {CG_AB, CG_AB, CG_AC, CG_A, CG_D, CG_ROOT};

struct shared {
	struct epc *epc;
	struct epc_cgroup *cg[NR_CG];
	_Atomic unsigned long anomalies;
	_Atomic unsigned long failures; /* -ENOMEM seen, workers and rewriter */
	_Atomic unsigned long successes;
	_Atomic int workers_done;
	_Atomic unsigned long rewriter_cycles;
	_Atomic bool msg_taken;
	char msg[256]; /* the first anomaly, written once (msg_taken) */
	unsigned long rounds;
	uint64_t seed;
};

struct worker {
	struct shared *sh;
	int idx;
	int cg;
	struct epc_task *t;
	struct epc_page *pages[MAX_HOLD];
	int held;
	uint64_t rng;
};

static void anomaly(struct shared *sh, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void anomaly(struct shared *sh, const char *fmt, ...)
{
	atomic_fetch_add(&sh->anomalies, 1);
	if (!atomic_exchange(&sh->msg_taken, true)) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(sh->msg, sizeof(sh->msg), fmt, ap);
		va_end(ap);
	}
}

/* "sgx_epc N\n" or "sgx_epc.max N\n" as a number; -1 if unreadable. */
static int64_t read_count(struct epc_cgroup *cg, const char *file)
{
	char buf[128];
	unsigned long long v;

	if (epc_cgroup_read(cg, file, buf, sizeof(buf)) < 0)
		return -1;
	if (sscanf(buf, "%*s %llu", &v) != 1)
		return -1;
	return (int64_t)v;
}

/* The tightest original limit on @cg's path, in pages. */
static uint64_t path_limit(int cg)
{
	uint64_t m = UINT64_MAX;

	for (; cg >= 0; cg = cg_parent[cg])
		if (cg_limit[cg] < m)
			m = cg_limit[cg];
	return m;
}

static void worker_check(struct worker *w)
{
	struct shared *sh = w->sh;
	struct epc_cgroup *cg = sh->cg[w->cg];
	int64_t usage = read_count(cg, "misc.current");
	int64_t peak = read_count(cg, "misc.peak");
	/* committed charges never pass the highest limit; in-flight ones may
	 * add one page per thread for a moment */
	int64_t bound = (int64_t)(cg_limit[w->cg] + NR_WORKERS + 1) * PAGE;

	if ((uint64_t)w->held > path_limit(w->cg))
		anomaly(sh, "worker %d holds %d pages in %s, limit %" PRIu64, w->idx, w->held,
			cg_paths[w->cg], path_limit(w->cg));
	if (usage < (int64_t)w->held * PAGE || usage > bound)
		anomaly(sh, "worker %d: %s usage %" PRId64 " with %d own pages (bound %" PRId64 ")",
			w->idx, cg_paths[w->cg], usage, w->held, bound);
	if (peak < 0 || peak > (int64_t)cg_limit[w->cg] * PAGE)
		anomaly(sh, "worker %d: %s peak %" PRId64 " above its highest limit", w->idx,
			cg_paths[w->cg], peak);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	int cap = w->cg == CG_ROOT ? ROOT_HOLD : MAX_HOLD;

	for (unsigned long round = 0; round < sh->rounds; round++) {
		/* fill up to the limit */
		while (w->held < cap) {
			struct epc_page *p = NULL;
			enum epc_reclaim mode =
				rng_next(&w->rng) & 1 ? EPC_DO_RECLAIM : EPC_NO_RECLAIM;
			int ret = epc_page_alloc(w->t, w, mode, &p);

			if (ret == -ENOMEM) {
				atomic_fetch_add(&sh->failures, 1);
				if (p)
					anomaly(sh, "worker %d: failed alloc returned a page",
						w->idx);
				break;
			}
			if (ret || !p) {
				anomaly(sh, "worker %d: alloc gave %d", w->idx, ret);
				break;
			}
			if (p->cg != sh->cg[w->cg] || epc_page_owner(p) != w)
				anomaly(sh, "worker %d: page charged to the wrong cgroup", w->idx);
			atomic_fetch_add(&sh->successes, 1);
			w->pages[w->held++] = p;
		}
		worker_check(w);
		/* give some back: often a few, sometimes all */
		{
			int n = rng_next(&w->rng) % 8 == 0 ? w->held
							   : (int)(rng_next(&w->rng) % 4) + 1;

			for (int i = 0; i < n && w->held; i++) {
				int k = (int)(rng_next(&w->rng) % (uint64_t)w->held);

				epc_page_free(w->pages[k]);
				w->pages[k] = w->pages[--w->held];
			}
		}
		if (round % 16 == 0)
			sched_yield();
	}
	atomic_fetch_add(&sh->workers_done, 1);
	return NULL;
}

static void set_limit(struct shared *sh, int cg, uint64_t bytes)
{
	char text[64];
	char back[64];
	char want[64];

	snprintf(text, sizeof(text), "sgx_epc %" PRIu64 "\n", bytes);
	if (epc_cgroup_write(sh->cg[cg], "misc.max", text)) {
		anomaly(sh, "rewriter: \"%s\" refused on %s", text, cg_paths[cg]);
		return;
	}
	/* a bad write between changes nothing (only this thread writes limits) */
	if (epc_cgroup_write(sh->cg[cg], "misc.max", "sgx_epc 0x") != -EINVAL)
		anomaly(sh, "rewriter: a bad limit was not refused");
	snprintf(want, sizeof(want), "sgx_epc %" PRIu64 "\n", bytes);
	if (epc_cgroup_read(sh->cg[cg], "misc.max", back, sizeof(back)) < 0 || strcmp(back, want))
		anomaly(sh, "rewriter: %s reads \"%s\" after writing %" PRIu64, cg_paths[cg], back,
			bytes);
}

/* Create /a/s, charge a page there, leave, remove it (dying), free the page. */
static void scratch_cycle(struct shared *sh, uint64_t *rng)
{
	struct epc_cgroup *s = NULL, *again = NULL;
	struct epc_task *t = NULL;
	struct epc_page *p = NULL;
	int ret = epc_cgroup_create(sh->epc, "/a/s", &s);

	if (ret) {
		anomaly(sh, "rewriter: create /a/s gave %d", ret);
		return;
	}
	if (epc_task_create(sh->epc, s, 0, &t)) {
		anomaly(sh, "rewriter: task in /a/s refused");
		epc_cgroup_remove(s);
		epc_cgroup_put(s);
		return;
	}
	ret = epc_page_alloc(t, NULL, EPC_DO_RECLAIM, &p);
	if (ret == -ENOMEM)
		atomic_fetch_add(&sh->failures, 1);
	else if (ret)
		anomaly(sh, "rewriter: alloc in /a/s gave %d", ret);
	else
		atomic_fetch_add(&sh->successes, 1);
	if (epc_cgroup_remove(s) != -EBUSY)
		anomaly(sh, "rewriter: /a/s with a task was removable");
	if (epc_task_move(t, NULL))
		anomaly(sh, "rewriter: task move to the root failed");
	epc_task_destroy(t);
	if (p && rng_next(rng) & 1) {
		/* die with a charge, be reaped by the free */
		if (epc_cgroup_remove(s))
			anomaly(sh, "rewriter: remove /a/s failed");
		if (epc_cgroup_lookup(sh->epc, "/a/s", &again) != -ENOENT)
			anomaly(sh, "rewriter: a dying /a/s is visible");
		epc_cgroup_put(s);
		epc_page_free(p);
	} else {
		epc_page_free(p);
		if (epc_cgroup_remove(s))
			anomaly(sh, "rewriter: remove /a/s failed");
		epc_cgroup_put(s);
	}
}

static void *rewriter_main(void *arg)
{
	struct shared *sh = arg;
	uint64_t rng = sh->seed ^ 0x5eed;
	unsigned long cycles = 0;

	while (atomic_load(&sh->workers_done) < NR_WORKERS) {
		for (int cg = CG_A; cg < NR_CG; cg++) {
			uint64_t lim = cg_limit[cg];
			uint64_t pages = lim / 2 + rng_next(&rng) % (lim - lim / 2);
			uint64_t bytes = pages * PAGE + rng_next(&rng) % PAGE; /* < lim pages */

			set_limit(sh, cg, bytes);
		}
		scratch_cycle(sh, &rng);
		for (int cg = 0; cg < NR_CG; cg++)
			if (read_count(sh->cg[cg], "misc.current") < 0)
				anomaly(sh, "rewriter: %s misc.current unreadable", cg_paths[cg]);
		if (++cycles % 4 == 0)
			for (int cg = CG_A; cg < NR_CG; cg++)
				set_limit(sh, cg, cg_limit[cg] * PAGE);
		sched_yield();
	}
	for (int cg = CG_A; cg < NR_CG; cg++)
		set_limit(sh, cg, cg_limit[cg] * PAGE);
	atomic_store(&sh->rewriter_cycles, cycles);
	return NULL;
}

static void test_stress_cgroup_limits_hold_under_contention(void **state)
{
	struct shared *sh = calloc(1, sizeof(*sh));
	struct worker *w = calloc(NR_WORKERS, sizeof(*w));
	pthread_t th[NR_WORKERS], rw;
	uint64_t own[NR_CG] = {0}, sub[NR_CG] = {0};
	uint64_t local_sum = 0;
	struct epc_stats st;

	(void)state;
	assert_non_null(sh);
	assert_non_null(w);
	sh->epc = make_epc_ex(2, (const int[]){0, 1}, 2, CAPACITY_PAGES / 2, 0, NULL);
	sh->rounds = ROUNDS * stress_scale();
	sh->seed = test_seed(20240917);
	sh->cg[CG_ROOT] = epc_cgroup_root(sh->epc);
	for (int cg = CG_A; cg < NR_CG; cg++) {
		char text[64];

		sh->cg[cg] = make_cg(sh->epc, cg_paths[cg]);
		snprintf(text, sizeof(text), "sgx_epc %" PRIu64, cg_limit[cg] * PAGE);
		CHECK_EQ_AT(epc_cgroup_write(sh->cg[cg], "misc.max", text), 0, cg);
	}
	for (int i = 0; i < NR_WORKERS; i++) {
		w[i].sh = sh;
		w[i].idx = i;
		w[i].cg = worker_cg[i];
		w[i].rng = sh->seed * 2654435761u + (uint64_t)i + 1;
		w[i].t = make_task(sh->epc, sh->cg[w[i].cg], i % 2);
	}
	assert_int_equal(pthread_create(&rw, NULL, rewriter_main, sh), 0);
	for (int i = 0; i < NR_WORKERS; i++)
		CHECK_EQ_AT(pthread_create(&th[i], NULL, worker_main, &w[i]), 0, i);
	for (int i = 0; i < NR_WORKERS; i++)
		CHECK_EQ_AT(pthread_join(th[i], NULL), 0, i);
	assert_int_equal(pthread_join(rw, NULL), 0);

	if (atomic_load(&sh->anomalies))
		fail_msg("%lu anomalies; the first: %s", atomic_load(&sh->anomalies), sh->msg);
	print_message("# %lu pages allocated, %lu refused at a limit, %lu rewriter cycles\n",
		      atomic_load(&sh->successes), atomic_load(&sh->failures),
		      atomic_load(&sh->rewriter_cycles));
	CHECK(atomic_load(&sh->successes) > 0, "some allocations got a page");
	CHECK(atomic_load(&sh->failures) > 0, "some allocations were refused at a limit");

	/* the dust has settled: the scratch cgroup is gone, limits are back */
	assert_int_equal(atomic_load(&sh->epc->cgroups.nr_dying), 0);
	assert_null(sh->epc->cgroups.dying);
	{
		struct epc_cgroup *s = NULL;

		CHECK_ERR(epc_cgroup_lookup(sh->epc, "/a/s", &s), -ENOENT, "epc_cgroup_lookup");
	}

	/* usage = own pages + children's, exactly, and within every limit */
	for (int i = 0; i < NR_WORKERS; i++)
		own[w[i].cg] += (uint64_t)w[i].held;
	for (int cg = 0; cg < NR_CG; cg++)
		for (int x = cg; x >= 0; x = cg_parent[x])
			sub[x] += own[cg];
	for (int cg = 0; cg < NR_CG; cg++) {
		uint64_t usage = cg_usage(sh->cg[cg]);
		int64_t peak = read_count(sh->cg[cg], "misc.peak");

		if (usage != sub[cg] * PAGE)
			fail_msg("%s: misc.current %" PRIu64 ", pages held in its subtree %" PRIu64,
				 cg_paths[cg], usage, sub[cg]);
		if (sub[cg] > cg_limit[cg])
			fail_msg("%s holds %" PRIu64 " pages, limit %" PRIu64, cg_paths[cg],
				 sub[cg], cg_limit[cg]);
		CHECK_AT(peak >= 0 && (uint64_t)peak <= cg_limit[cg] * PAGE, cg);
		CHECK_AT((uint64_t)peak >= usage, cg);
	}
	/* the books balance: one events.local per refusal, hierarchical events */
	for (int cg = 0; cg < NR_CG; cg++)
		local_sum += atomic_load(&sh->cg[cg]->res.events_local);
	assert_int_equal(local_sum, atomic_load(&sh->failures));
	assert_int_equal(atomic_load(&sh->cg[CG_ROOT]->res.events_local), 0);
	assert_int_equal(atomic_load(&sh->cg[CG_ROOT]->res.events), 0);
	for (int cg = CG_A; cg < NR_CG; cg++) {
		uint64_t want = 0;

		for (int y = CG_A; y < NR_CG; y++)
			for (int x = y; x >= 0; x = cg_parent[x])
				if (x == cg)
					want += (uint64_t)read_count(sh->cg[y],
								     "misc.events.local");
		CHECK_EQ_AT(read_count(sh->cg[cg], "misc.events"), want, cg);
	}
	assert_epc_consistent(sh->epc);

	/* 64: everything freed, every usage 0 */
	for (int i = 0; i < NR_WORKERS; i++) {
		while (w[i].held)
			epc_page_free(w[i].pages[--w[i].held]);
		epc_task_destroy(w[i].t);
	}
	for (int cg = 0; cg < NR_CG; cg++) {
		char buf[64];

		assert_string_equal(cg_read(sh->cg[cg], "misc.current", buf, sizeof(buf)),
				    "sgx_epc 0\n");
	}
	epc_get_stats2(sh->epc, &st, sizeof(st));
	assert_int_equal(st.nr_free, CAPACITY_PAGES);
	assert_epc_consistent(sh->epc);
	epc_destroy(sh->epc);
	free(w);
	free(sh);
}

/*
 * Removal racing with uncharges: threads each own a cgroup under /r, charge
 * pages, hand them to the test thread, leave and remove their cgroup while
 * the test thread frees the pages; every cgroup is reaped exactly once.
 */
struct churn {
	struct epc *epc;
	int idx;
	unsigned long rounds;
	_Atomic unsigned long *anomalies;
	_Atomic unsigned long frees_expected;
	struct epc_page *_Atomic mailbox[4];
};

static void *churn_main(void *arg)
{
	struct churn *c = arg;
	char path[32];

	snprintf(path, sizeof(path), "/r/c%d", c->idx);
	for (unsigned long i = 0; i < c->rounds; i++) {
		struct epc_cgroup *cg = NULL;
		struct epc_task *t = NULL;
		int n = 0;

		if (epc_cgroup_create(c->epc, path, &cg) ||
		    epc_task_create(c->epc, cg, c->idx % 2, &t)) {
			atomic_fetch_add(c->anomalies, 1);
			return NULL;
		}
		for (int k = 0; k < 4; k++) {
			struct epc_page *p = NULL;

			/* wait for the mailbox slot to be emptied by the test thread */
			while (atomic_load(&c->mailbox[k]))
				sched_yield();
			if (epc_page_alloc(t, NULL, EPC_NO_RECLAIM, &p)) {
				atomic_fetch_add(c->anomalies, 1);
				continue;
			}
			atomic_store(&c->mailbox[k], p);
			n++;
		}
		if (epc_task_move(t, NULL))
			atomic_fetch_add(c->anomalies, 1);
		epc_task_destroy(t);
		if (epc_cgroup_remove(cg))
			atomic_fetch_add(c->anomalies, 1);
		if (epc_cgroup_put(cg))
			atomic_fetch_add(c->anomalies, 1);
		atomic_fetch_add(&c->frees_expected, 1);
		(void)n;
	}
	return NULL;
}

static void count_free(struct epc_cgroup *cg, void *arg)
{
	(void)cg;
	atomic_fetch_add((_Atomic unsigned long *)arg, 1);
}

static void test_stress_cgroup_remove_races_uncharge(void **state)
{
	enum {
		NCHURN = 3
	};
	struct epc *epc = make_epc_ex(2, (const int[]){0, 1}, 2, 64, 0, NULL);
	struct churn *c = calloc(NCHURN, sizeof(*c));
	_Atomic unsigned long anomalies = 0, freed = 0;
	pthread_t th[NCHURN];
	unsigned long rounds = 4000 * stress_scale();
	int running = NCHURN;

	(void)state;
	assert_non_null(c);
	make_cg(epc, "/r");
	epc->cgroups.on_free = count_free;
	epc->cgroups.on_free_arg = (void *)&freed;
	for (int i = 0; i < NCHURN; i++) {
		c[i].epc = epc;
		c[i].idx = i;
		c[i].rounds = rounds;
		c[i].anomalies = &anomalies;
		CHECK_EQ_AT(pthread_create(&th[i], NULL, churn_main, &c[i]), 0, i);
	}
	/* the test thread frees whatever lands in the mailboxes */
	while (running) {
		bool any = false;

		running = 0;
		for (int i = 0; i < NCHURN; i++) {
			for (int k = 0; k < 4; k++) {
				struct epc_page *p = atomic_exchange(&c[i].mailbox[k], NULL);

				if (p) {
					epc_page_free(p);
					any = true;
				}
			}
			if (atomic_load(&c[i].frees_expected) < rounds)
				running++;
		}
		if (!any)
			sched_yield();
	}
	for (int i = 0; i < NCHURN; i++) {
		CHECK_EQ_AT(pthread_join(th[i], NULL), 0, i);
		for (int k = 0; k < 4; k++)
			epc_page_free(atomic_exchange(&c[i].mailbox[k], NULL));
	}
	assert_int_equal(atomic_load(&anomalies), 0);
	/* every removed cgroup freed exactly once, none left dying */
	assert_int_equal(atomic_load(&freed), (unsigned long)NCHURN * rounds);
	assert_int_equal(atomic_load(&epc->cgroups.nr_dying), 0);
	{
		struct epc_cgroup *r = NULL;

		CHECK_ERR(epc_cgroup_lookup(epc, "/r", &r), 0, "epc_cgroup_lookup");
		CHECK(epc__list_empty(&r->children), "quiescent: every /r/cN reaped");
	}
	assert_int_equal(cg_usage(epc_cgroup_root(epc)), 0);
	assert_epc_consistent(epc);
	epc->cgroups.on_free = NULL;
	epc_destroy(epc);
	free(c);
}

/*
 * Stocks (issue 17): three tasks on CPUs 0-2, in /s/x, /s/y and /s, each
 * allocating and freeing one page at a time under /s's limit of exactly
 * three pages, while a reader on CPU 3's thread reads misc.current and
 * misc.peak. The three never hold more than three pages, so no refusal is
 * ever real: every charge must succeed however the stocks of the three CPUs
 * hold /s's room (a charge drains them first), no read may show more than
 * three pages, and /s counts no event.
 */
#define STOCK_TASKS 3

struct stock_worker {
	struct epc_task *t;
	unsigned long rounds;
	_Atomic unsigned long *refused;
	_Atomic unsigned long *reads; /* the reader's: start once it has read */
};

struct stock_reader {
	struct epc_cgroup *s, *root;
	_Atomic bool *stop;
	_Atomic unsigned long *anomalies, reads;
};

static void *stock_worker_main(void *arg)
{
	struct stock_worker *w = arg;

	/* the reads must overlap the charges: on a busy machine the reader
	 * could otherwise first run after every worker had finished */
	while (!atomic_load(w->reads))
		sched_yield();
	for (unsigned long i = 0; i < w->rounds; i++) {
		struct epc_page *p;

		if (epc_page_alloc(w->t, NULL, EPC_NO_RECLAIM, &p)) {
			atomic_fetch_add(w->refused, 1);
			continue;
		}
		epc_page_free(p);
	}
	return NULL;
}

static void *stock_reader_main(void *arg)
{
	struct stock_reader *r = arg;

	while (!atomic_load(r->stop)) {
		int64_t cur = read_count(r->s, "misc.current"), peak = read_count(r->s, "misc.peak");
		int64_t rcur = read_count(r->root, "misc.current");

		if (cur < 0 || cur > STOCK_TASKS * PAGE || peak > STOCK_TASKS * PAGE || rcur < 0 ||
		    rcur > STOCK_TASKS * PAGE)
			atomic_fetch_add(r->anomalies, 1);
		atomic_fetch_add(&r->reads, 1);
	}
	return NULL;
}

static void test_stress_cgroup_stocks_no_false_refusal(void **state)
{
	static const int cpu_to_node[STOCK_TASKS + 1] = {0, 0, 0, 0};
	struct topo tp = {.nr_nodes = 1,
			  .nr_cpus = STOCK_TASKS + 1,
			  .cpu_to_node = cpu_to_node,
			  .nr_sections = 1,
			  .pages = 64};
	struct epc *epc = make_topo(&tp);
	struct epc_cgroup *s = make_cg(epc, "/s");
	struct epc_cgroup *cgs[STOCK_TASKS] = {make_cg(epc, "/s/x"), make_cg(epc, "/s/y"), s};
	struct stock_worker w[STOCK_TASKS];
	_Atomic unsigned long refused = 0, anomalies = 0;
	_Atomic bool stop = false;
	struct stock_reader rd = {.s = s,
				  .root = epc_cgroup_root(epc),
				  .stop = &stop,
				  .anomalies = &anomalies};
	pthread_t th[STOCK_TASKS], rth;
	int64_t peak;

	(void)state;
	atomic_init(&rd.reads, 0);
	CHECK_EQ(epc_cgroup_write(s, "misc.max", "sgx_epc 12288"), 0, "/s: three pages");
	assert_int_equal(pthread_create(&rth, NULL, stock_reader_main, &rd), 0);
	for (int i = 0; i < STOCK_TASKS; i++) {
		w[i] = (struct stock_worker){.t = make_task(epc, cgs[i], i),
					     .rounds = ROUNDS * stress_scale(),
					     .refused = &refused,
					     .reads = &rd.reads};
		CHECK_EQ_AT(pthread_create(&th[i], NULL, stock_worker_main, &w[i]), 0, i);
	}
	for (int i = 0; i < STOCK_TASKS; i++)
		CHECK_EQ_AT(pthread_join(th[i], NULL), 0, i);
	atomic_store(&stop, true);
	assert_int_equal(pthread_join(rth, NULL), 0);

	CHECK_EQ(atomic_load(&refused), 0, "no charge refused: three pages always fit");
	CHECK_EQ(read_count(s, "misc.events"), 0, "so /s counts no event");
	CHECK_EQ(read_count(s, "misc.events.local"), 0, "nor a local one");
	CHECK_EQ(atomic_load(&anomalies), 0, "no read above three pages, or unreadable");
	CHECK(atomic_load(&rd.reads) > 0, "the reader read");
	CHECK_EQ(read_count(s, "misc.current"), 0, "every page freed: /s at 0");
	CHECK_EQ(cg_usage(epc_cgroup_root(epc)), 0, "the root at 0");
	peak = read_count(s, "misc.peak");
	CHECK(peak >= PAGE && peak <= STOCK_TASKS * PAGE, "/s's peak: pages really held at once");
	assert_epc_consistent(epc);
	for (int i = 0; i < STOCK_TASKS; i++)
		epc_task_destroy(w[i].t);
	epc_destroy(epc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stress_cgroup_limits_hold_under_contention),
		cmocka_unit_test(test_stress_cgroup_remove_races_uncharge),
		cmocka_unit_test(test_stress_cgroup_stocks_no_false_refusal),
	};

	return cmocka_run_group_tests_name("stress_cgroup", tests, NULL, NULL);
}
