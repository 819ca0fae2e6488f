// SPDX-License-Identifier: MIT
/*
 * test_model.c - the allocator driven by a seeded random walk beside a
 * trivial reference model.
 *
 * The machine: 4 nodes, 6 CPUs (CPU 2 on node 2, which has no EPC), four
 * sections of different sizes on nodes 0, 1, 3 and 0 again. Three tasks
 * allocate (from whatever CPU they are on), free a random held page, report
 * memory failures at random addresses (free, held, cached, already poisoned
 * pages, and addresses outside every section) and move between CPUs.
 *
 * The model is arrays: per page its node, address, whether it is held and
 * whether it is poisoned. A node's free count is its pages neither held nor
 * poisoned. Without per-CPU caches the model also keeps each node's free
 * list in order (sanitization appends in address order, a free appends at
 * the tail, an allocation takes the head, a memory failure takes the page
 * out), so it predicts the exact page of every allocation. With caches it
 * predicts the node: own cache, own node list, the other nodes' lists in
 * search order, then (all caches drained) any node in search order, using
 * the caches' sizes read from the allocator (the one thing the model does
 * not track).
 *
 * After every step: the invariant checker passes, and the global and
 * per-node free and poisoned counts and the root's charge equal the model's.
 * Poison is forever, so every EPOCH steps the machine is rebuilt (the walk
 * goes on with the same generator); within an epoch, phases of mostly
 * allocating and mostly freeing take the EPC from empty to full and back.
 * The run prints what it covered (allocations, -ENOMEMs, memory failures on
 * free, cached and held pages).
 */
#include <errno.h>

#include "helpers.h"

#define NR_NODES  4
#define NR_CPUS	  6
#define NR_SECS	  4
#define NR_TASKS  3
#define MAX_PAGES 64
#define EPOCH	  600 /* steps per machine */

static const int cpu_map[NR_CPUS] = {0, 1, 2, 3, 0, 1};
static const int sec_node[NR_SECS] = {0, 1, 3, 0};
static const uint64_t sec_pages[NR_SECS] = {12, 16, 10, 6};
/* symmetric SLIT: from node 2 (no EPC), node 3 then node 1 then node 0 */
/* clang-format off */
static const uint8_t slit[NR_NODES * NR_NODES] = {
	10, 20, 40, 30,
	20, 10, 25, 20,
	40, 25, 10, 15,
	30, 20, 15, 10,
};
/* clang-format on */

struct model {
	struct epc *epc;
	bool pcp;
	enum epc_fallback fallback;
	uint64_t rng, step;
	unsigned long seed;

	int nr_pages;
	int node[MAX_PAGES];
	uint64_t phys[MAX_PAGES];
	bool held[MAX_PAGES], poisoned[MAX_PAGES];
	struct epc_page *handle[MAX_PAGES];
	bool has_epc[NR_NODES];

	/* without caches: each node's free list, head first */
	int queue[NR_NODES][MAX_PAGES];
	int qlen[NR_NODES];

	/* the search order of callers on each node */
	int order[NR_NODES][NR_NODES];
	int nr_order[NR_NODES];

	struct epc_task *tasks[NR_TASKS];

	/* what the walk covered, printed at the end */
	unsigned long nr_alloc, nr_remote, nr_enomem, nr_free, nr_mf_free, nr_mf_held, nr_mf_cached,
		nr_mf_repeat, nr_mf_outside;
};

#define MFAIL(m, fmt, ...)                                                                         \
	fail_msg("seed %lu step %llu: " fmt, (m)->seed, (unsigned long long)(m)->step,             \
		 ##__VA_ARGS__)

static unsigned rnd(struct model *m, unsigned n)
{
	return (unsigned)(rng_next(&m->rng) % n);
}

/* ------------------------------------------------------------- the model */

static int model_free(const struct model *m, int nid)
{
	int n = 0;

	for (int i = 0; i < m->nr_pages; i++)
		n += m->node[i] == nid && !m->held[i] && !m->poisoned[i];
	return n;
}

static int model_free_total(const struct model *m)
{
	int n = 0;

	for (int nid = 0; nid < NR_NODES; nid++)
		n += model_free(m, nid);
	return n;
}

/* Poisoned pages not held: the ones on poison lists. */
static int model_poison_listed(const struct model *m, int nid)
{
	int n = 0;

	for (int i = 0; i < m->nr_pages; i++)
		n += m->node[i] == nid && m->poisoned[i] && !m->held[i];
	return n;
}

static int model_poisoned(const struct model *m)
{
	int n = 0;

	for (int i = 0; i < m->nr_pages; i++)
		n += m->poisoned[i];
	return n;
}

static int model_held(const struct model *m)
{
	int n = 0;

	for (int i = 0; i < m->nr_pages; i++)
		n += m->held[i];
	return n;
}

static void queue_push(struct model *m, int nid, int idx)
{
	m->queue[nid][m->qlen[nid]++] = idx;
}

static void queue_remove(struct model *m, int nid, int idx)
{
	for (int k = 0; k < m->qlen[nid]; k++)
		if (m->queue[nid][k] == idx) {
			memmove(&m->queue[nid][k], &m->queue[nid][k + 1],
				sizeof(int) * (size_t)(m->qlen[nid] - k - 1));
			m->qlen[nid]--;
			return;
		}
	MFAIL(m, "page %d is not on node %d's modelled free list", idx, nid);
}

/* The search order, computed from the definitions (DESIGN §4.1). */
static void model_orders(struct model *m)
{
	for (int caller = 0; caller < NR_NODES; caller++) {
		int cnt = 0;

		if (m->fallback == EPC_FALLBACK_NODE_ORDER) {
			/* the caller's node if it has EPC, then increasing id, wrapping */
			for (int k = 0; k < NR_NODES; k++) {
				int nid = (caller + k) % NR_NODES;

				if (m->has_epc[nid])
					m->order[caller][cnt++] = nid;
			}
		} else {
			/* the caller's node first, then by distance, ties by id */
			int key[NR_NODES];

			for (int nid = 0; nid < NR_NODES; nid++) {
				key[nid] = nid == caller ? 0 : slit[caller * NR_NODES + nid];
				if (m->has_epc[nid])
					m->order[caller][cnt++] = nid;
			}
			for (int a = 1; a < cnt; a++)
				for (int b = a; b > 0; b--) {
					int x = m->order[caller][b - 1], y = m->order[caller][b];

					if (key[x] < key[y] || (key[x] == key[y] && x < y))
						break;
					m->order[caller][b - 1] = y;
					m->order[caller][b] = x;
				}
		}
		m->nr_order[caller] = cnt;
	}
}

/* ------------------------------------------------------------- set-up */

/* A fresh instance (sanitized) and a fresh model; the walk's state stays. */
static void model_init(struct model *m)
{
	struct epc_section_desc s[NR_SECS];
	struct epc_config c = {0};
	int idx = 0;

	memset(m->held, 0, sizeof(m->held));
	memset(m->poisoned, 0, sizeof(m->poisoned));
	memset(m->handle, 0, sizeof(m->handle));
	memset(m->qlen, 0, sizeof(m->qlen));
	for (int i = 0; i < NR_SECS; i++) {
		s[i].phys_addr = (uint64_t)(i + 1) << 32;
		s[i].size = sec_pages[i] * PAGE;
		s[i].node = sec_node[i];
		m->has_epc[sec_node[i]] = true;
		for (uint64_t k = 0; k < sec_pages[i]; k++, idx++) {
			m->node[idx] = sec_node[i];
			m->phys[idx] = s[i].phys_addr + k * PAGE;
			/* sanitization frees in address order, section by section */
			queue_push(m, sec_node[i], idx);
		}
	}
	m->nr_pages = idx;
	model_orders(m);

	c.nr_nodes = NR_NODES;
	c.nr_cpus = NR_CPUS;
	c.cpu_to_node = cpu_map;
	c.distance = slit;
	c.sections = s;
	c.nr_sections = NR_SECS;
	c.fallback = m->fallback;
	c.background = EPC_BACKGROUND_MANUAL;
	c.pcp_batch = m->pcp ? 3 : 0;
	c.log = log_quiet;
	assert_int_equal(epc_create(&c, &m->epc), 0);
	assert_int_equal(epc_sanitize_wait(m->epc), 0);
	for (int t = 0; t < NR_TASKS; t++)
		m->tasks[t] = make_task(m->epc, NULL, (int)rnd(m, NR_CPUS));
}

static void model_fini(struct model *m)
{
	for (int i = 0; i < m->nr_pages; i++)
		if (m->held[i])
			epc_page_free(m->handle[i]);
	for (int t = 0; t < NR_TASKS; t++)
		epc_task_destroy(m->tasks[t]);
	assert_epc_consistent(m->epc);
	epc_destroy(m->epc);
}

/* ------------------------------------------------------------ checking */

static void model_check(struct model *m)
{
	struct epc_stats st;
	uint64_t usage;

	if (epc__check(m->epc))
		MFAIL(m, "the invariant checker failed");
	epc_get_stats(m->epc, &st);
	if (st.nr_total != (uint64_t)m->nr_pages)
		MFAIL(m, "nr_total %llu, model %d", (unsigned long long)st.nr_total, m->nr_pages);
	if (st.nr_free != (uint64_t)model_free_total(m))
		MFAIL(m, "nr_free %llu, model %d", (unsigned long long)st.nr_free,
		      model_free_total(m));
	if (st.nr_poisoned != (uint64_t)model_poisoned(m))
		MFAIL(m, "nr_poisoned %llu, model %d", (unsigned long long)st.nr_poisoned,
		      model_poisoned(m));
	for (int nid = 0; nid < NR_NODES; nid++) {
		struct epc_node_stats ns;

		assert_int_equal(epc_get_node_stats(m->epc, nid, &ns), 0);
		if (ns.nr_free != (uint64_t)model_free(m, nid))
			MFAIL(m, "node %d nr_free %llu, model %d", nid,
			      (unsigned long long)ns.nr_free, model_free(m, nid));
		if (ns.nr_poisoned != (uint64_t)model_poison_listed(m, nid))
			MFAIL(m, "node %d nr_poisoned %llu, model %d", nid,
			      (unsigned long long)ns.nr_poisoned, model_poison_listed(m, nid));
		if (!m->pcp && ns.nr_free != (uint64_t)m->qlen[nid])
			MFAIL(m, "node %d: free list model out of step", nid);
	}
	usage = cg_usage(epc_cgroup_root(m->epc));
	if (usage != (uint64_t)model_held(m) * PAGE)
		MFAIL(m, "root misc.current %llu, model %d pages", (unsigned long long)usage,
		      model_held(m));
}

/* Pages of node @nid in other CPUs' caches than @cpu's (-1: all caches). */
static int cached_on_node(struct model *m, int nid, int cpu)
{
	int n = 0;

	for (int c = 0; c < NR_CPUS; c++)
		if (c != cpu && cpu_map[c] == nid)
			n += (int)m->epc->mm.pcps[c].count;
	return n;
}

/*
 * With caches: the node the next allocation by a caller on @cpu must come
 * from, or -1 for -ENOMEM.
 */
static int predict_node_pcp(struct model *m, int cpu)
{
	int own = cpu_map[cpu], list[NR_NODES];

	for (int nid = 0; nid < NR_NODES; nid++)
		list[nid] = model_free(m, nid) - cached_on_node(m, nid, -1);
	if (m->has_epc[own]) {
		/* own cache, then a refill from the own node's list */
		if (m->epc->mm.pcps[cpu].count || list[own] > 0)
			return own;
		/* then the other nodes' lists, directly */
		for (int k = 0; k < m->nr_order[own]; k++) {
			int nid = m->order[own][k];

			if (nid != own && list[nid] > 0)
				return nid;
		}
	} else {
		/* no cache: the node lists in order */
		for (int k = 0; k < m->nr_order[own]; k++)
			if (list[m->order[own][k]] > 0)
				return m->order[own][k];
	}
	/* every cache drained, the search once more */
	for (int k = 0; k < m->nr_order[own]; k++)
		if (model_free(m, m->order[own][k]) > 0)
			return m->order[own][k];
	return -1;
}

/* Without caches: the exact page index, or -1 for -ENOMEM. */
static int predict_page(struct model *m, int cpu)
{
	int own = cpu_map[cpu];

	for (int k = 0; k < m->nr_order[own]; k++) {
		int nid = m->order[own][k];

		if (m->qlen[nid])
			return m->queue[nid][0];
	}
	return -1;
}

/* --------------------------------------------------------------- steps */

static void step_alloc(struct model *m)
{
	struct epc_task *t = m->tasks[rnd(m, NR_TASKS)];
	int cpu = epc_task_cpu(t), own = cpu_map[cpu];
	int want_page = -1, want_node, ret, idx;
	int own_free_reachable = model_free(m, own) - cached_on_node(m, own, cpu);
	struct epc_page *p = NULL;

	if (m->pcp) {
		want_node = predict_node_pcp(m, cpu);
	} else {
		want_page = predict_page(m, cpu);
		want_node = want_page < 0 ? -1 : m->node[want_page];
	}
	ret = epc_page_alloc(t, m, EPC_NO_RECLAIM, &p);
	if (model_free_total(m) == 0) {
		/* -ENOMEM exactly when no page is free anywhere */
		if (ret != -ENOMEM)
			MFAIL(m, "no free page in the model, allocation returned %d", ret);
		if (want_node != -1)
			MFAIL(m, "model inconsistent: predicted node %d with nothing free",
			      want_node);
		m->nr_enomem++;
		return;
	}
	if (ret)
		MFAIL(m, "%d pages free, allocation on CPU %d returned %d", model_free_total(m),
		      cpu, ret);
	idx = (int)epc__page_index(m->epc, p);
	if (idx < 0 || idx >= m->nr_pages)
		MFAIL(m, "page index %d out of range", idx);
	if (m->held[idx])
		MFAIL(m, "page %d handed out twice", idx);
	if (m->poisoned[idx])
		MFAIL(m, "poisoned page %d handed out", idx);
	if (epc_page_phys(p) != m->phys[idx] || epc_page_node(p) != m->node[idx])
		MFAIL(m, "page %d: address or node wrong", idx);
	if (epc_page_owner(p) != m)
		MFAIL(m, "page %d: owner not stored", idx);
	/* the caller's node whenever it has a free page the caller can reach */
	if (m->has_epc[own] && own_free_reachable > 0 && m->node[idx] != own)
		MFAIL(m, "CPU %d (node %d, %d free pages reachable) got page %d of node %d", cpu,
		      own, own_free_reachable, idx, m->node[idx]);
	if (!m->pcp && want_page != idx)
		MFAIL(m, "CPU %d got page %d, the model's free lists say page %d", cpu, idx,
		      want_page);
	if (m->node[idx] != want_node)
		MFAIL(m, "CPU %d (node %d) got a page of node %d, the model says node %d", cpu, own,
		      m->node[idx], want_node);
	m->nr_alloc++;
	m->nr_remote += m->node[idx] != own;
	m->held[idx] = true;
	m->handle[idx] = p;
	if (!m->pcp)
		queue_remove(m, m->node[idx], idx);
}

static void step_free(struct model *m)
{
	int held[MAX_PAGES], n = 0, idx;

	for (int i = 0; i < m->nr_pages; i++)
		if (m->held[i])
			held[n++] = i;
	if (!n)
		return;
	idx = held[rnd(m, (unsigned)n)];
	epc_page_free(m->handle[idx]);
	m->nr_free++;
	m->held[idx] = false;
	m->handle[idx] = NULL;
	/* a poisoned page goes to the poison list, the others to the tail */
	if (!m->pcp && !m->poisoned[idx])
		queue_push(m, m->node[idx], idx);
}

static void step_memory_failure(struct model *m)
{
	static const uint64_t outside[] = {
		0,
		(1ULL << 32) - PAGE,
		(1ULL << 32) + 12 * PAGE,
		(3ULL << 32) + 10 * PAGE,
		5ULL << 32,
		UINT64_MAX - PAGE + 1,
	};
	unsigned what = rnd(m, 10);
	int flags = rnd(m, 4) == 0 ? EPC_MF_ACTION_REQUIRED : 0;
	int idx = -1, ret;

	if (what == 0) {
		uint64_t a = outside[rnd(m, sizeof(outside) / sizeof(outside[0]))];

		ret = epc_memory_failure(m->epc, a, flags);
		if (ret != -ENXIO)
			MFAIL(m, "memory failure at 0x%llx outside EPC returned %d",
			      (unsigned long long)a, ret);
		m->nr_mf_outside++;
		return;
	}
	if (what == 1) {
		/* make sure pages in use get hit too */
		for (int k = 0; k < m->nr_pages && idx < 0; k++) {
			int i = (int)rnd(m, (unsigned)m->nr_pages);

			if (m->held[i])
				idx = i;
		}
	}
	if (idx < 0)
		idx = (int)rnd(m, (unsigned)m->nr_pages);
	if (m->poisoned[idx])
		m->nr_mf_repeat++;
	else if (m->held[idx])
		m->nr_mf_held++;
	else if (epc__page_state(epc__page_at(m->epc, (uint64_t)idx)) == EPC__PAGE_PCP)
		m->nr_mf_cached++;
	else
		m->nr_mf_free++;
	ret = epc_memory_failure(m->epc, m->phys[idx] + rnd(m, PAGE), flags);
	if (ret)
		MFAIL(m, "memory failure on page %d returned %d", idx, ret);
	if (m->poisoned[idx])
		return; /* a repeat changes nothing */
	m->poisoned[idx] = true;
	/* free (or cached): off to the poison list now; in use: when freed */
	if (!m->pcp && !m->held[idx])
		queue_remove(m, m->node[idx], idx);
}

static void step_set_cpu(struct model *m)
{
	struct epc_task *t = m->tasks[rnd(m, NR_TASKS)];
	int old = epc_task_cpu(t);

	if (rnd(m, 8) == 0) {
		int bad = rnd(m, 2) ? -1 : NR_CPUS;

		if (epc_task_set_cpu(t, bad) != -EINVAL || epc_task_cpu(t) != old)
			MFAIL(m, "task_set_cpu(%d) was not rejected cleanly", bad);
		return;
	}
	int cpu = (int)rnd(m, NR_CPUS);

	if (epc_task_set_cpu(t, cpu) || epc_task_cpu(t) != cpu || epc_task_node(t) != cpu_map[cpu])
		MFAIL(m, "task_set_cpu(%d) failed", cpu);
}

static void run_model(bool pcp, enum epc_fallback fallback, unsigned long dflt_seed)
{
	struct model *m = calloc(1, sizeof(*m));
	unsigned long steps = 6000 * stress_scale();

	assert_non_null(m);
	m->pcp = pcp;
	m->fallback = fallback;
	m->seed = test_seed(dflt_seed);
	m->rng = m->seed * 0x9E3779B97F4A7C15ULL + 1;
	model_init(m);
	model_check(m);
	for (m->step = 1; m->step <= steps; m->step++) {
		/* phases that fill the EPC up and drain it again */
		bool filling = (m->step / 100) % 2 == 0;
		unsigned r = rnd(m, 100);
		unsigned w_alloc = filling ? 60 : 25, w_free = filling ? 25 : 60;

		/* poison is forever: a new machine every EPOCH steps */
		if (m->step % EPOCH == 0) {
			model_fini(m);
			model_init(m);
		}
		if (r < w_alloc)
			step_alloc(m);
		else if (r < w_alloc + w_free)
			step_free(m);
		else if (r < w_alloc + w_free + 3)
			step_memory_failure(m);
		else
			step_set_cpu(m);
		model_check(m);
	}
	print_message("# %lu allocations (%lu remote), %lu -ENOMEM, %lu frees; memory failures: "
		      "%lu free, %lu cached, %lu held, %lu repeated, %lu outside\n",
		      m->nr_alloc, m->nr_remote, m->nr_enomem, m->nr_free, m->nr_mf_free,
		      m->nr_mf_cached, m->nr_mf_held, m->nr_mf_repeat, m->nr_mf_outside);
	model_fini(m);
	free(m);
}

static void test_model_node_order(void **state)
{
	(void)state;
	run_model(false, EPC_FALLBACK_NODE_ORDER, 1);
}

static void test_model_node_order_pcp(void **state)
{
	(void)state;
	run_model(true, EPC_FALLBACK_NODE_ORDER, 2);
}

static void test_model_distance(void **state)
{
	(void)state;
	run_model(false, EPC_FALLBACK_DISTANCE, 3);
}

static void test_model_distance_pcp(void **state)
{
	(void)state;
	run_model(true, EPC_FALLBACK_DISTANCE, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_node_order),
		cmocka_unit_test(test_model_node_order_pcp),
		cmocka_unit_test(test_model_distance),
		cmocka_unit_test(test_model_distance_pcp),
	};

	return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
