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
	bool numa; /* numa_reclaim: raw pages are never reclaimable, so no change */
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

	/* allocations by node: served for its own callers, served for others
	 * (both by the serving node), its callers' served elsewhere (by theirs) */
	uint64_t served_local[NR_NODES], served_remote[NR_NODES], away[NR_NODES];

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
	memset(m->served_local, 0, sizeof(m->served_local));
	memset(m->served_remote, 0, sizeof(m->served_remote));
	memset(m->away, 0, sizeof(m->away));
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
	c.numa_reclaim = m->numa;
	c.log = log_quiet;
	CHECK_ERR(epc_create2(&c, sizeof(c), &m->epc), 0, "epc_create2");
	CHECK_ERR(epc_sanitize_wait(m->epc), 0, "epc_sanitize_wait");
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
	epc_get_stats2(m->epc, &st, sizeof(st));
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

		CHECK_EQ_AT(epc_node_get_stats(m->epc, nid, &ns, sizeof(ns)), 0, nid);
		if (ns.nr_alloc_local != m->served_local[nid] ||
		    ns.nr_alloc_remote != m->served_remote[nid] || ns.nr_alloc_away != m->away[nid])
			MFAIL(m,
			      "node %d allocations local %llu, remote %llu, away %llu; model %llu, "
			      "%llu, %llu",
			      nid, (unsigned long long)ns.nr_alloc_local,
			      (unsigned long long)ns.nr_alloc_remote,
			      (unsigned long long)ns.nr_alloc_away,
			      (unsigned long long)m->served_local[nid],
			      (unsigned long long)m->served_remote[nid],
			      (unsigned long long)m->away[nid]);
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
	if (m->node[idx] == own) {
		m->served_local[own]++;
	} else {
		m->served_remote[m->node[idx]]++;
		m->away[own]++;
	}
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

static void run_model(bool pcp, bool numa, enum epc_fallback fallback, unsigned long dflt_seed)
{
	struct model *m = calloc(1, sizeof(*m));
	unsigned long steps = 6000 * stress_scale();

	assert_non_null(m);
	m->pcp = pcp;
	m->numa = numa;
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
	run_model(false, false, EPC_FALLBACK_NODE_ORDER, 1);
}

static void test_model_node_order_pcp(void **state)
{
	(void)state;
	run_model(true, false, EPC_FALLBACK_NODE_ORDER, 2);
}

static void test_model_distance(void **state)
{
	(void)state;
	run_model(false, false, EPC_FALLBACK_DISTANCE, 3);
}

static void test_model_distance_pcp(void **state)
{
	(void)state;
	run_model(true, false, EPC_FALLBACK_DISTANCE, 4);
}

/*
 * NUMA-aware reclaim on: a node out of free pages makes an allocation reclaim
 * there first only when pages of that node are on the LRUs, and raw pages
 * never are: the walk, and so the model's every prediction, is unchanged.
 */
static void test_model_node_order_numa_reclaim(void **state)
{
	(void)state;
	run_model(false, true, EPC_FALLBACK_NODE_ORDER, 7);
}

static void test_model_distance_pcp_numa_reclaim(void **state)
{
	(void)state;
	run_model(true, true, EPC_FALLBACK_DISTANCE, 8);
}

/* ----------------------------------------------- the charge model (issue 17) */

/*
 * Charging with per-CPU stocks beside the kernel's exact counters: a tree
 * R, /A, /A/B, /A/C, /D on one node of CM_PAGES pages and CM_CPUS CPUs (one
 * stock each); CM_TASKS tasks allocate and free single pages, move between
 * cgroups and CPUs, and misc.max is rewritten at random (often below the
 * usage). The model is the kernel's misc_cg_try_charge() on plain integers:
 * usage, peak (with behaviour 39's transient raise below a refusing level),
 * events and events.local. After every step every cgroup's misc.current,
 * misc.peak, misc.events and misc.events.local equal the model's, and the
 * checker passes (counter = pages charged + stocks, at every level): the
 * stocks are invisible to every reader, and a refusal is exactly the
 * kernel's.
 */
#define CM_PAGES 48
#define CM_CPUS	 4
#define CM_TASKS 4
#define CM_NR_CG 5

static const char *const cm_paths[CM_NR_CG] = {"/", "/A", "/A/B", "/A/C", "/D"};
static const int cm_parent[CM_NR_CG] = {-1, 0, 1, 1, 0};

struct cmodel {
	struct epc *epc;
	struct epc_cgroup *cg[CM_NR_CG];
	struct epc_task *task[CM_TASKS];
	int task_cg[CM_TASKS];
	struct epc_page *page[CM_PAGES];
	int page_cg[CM_PAGES];
	int nr_held;
	uint64_t usage[CM_NR_CG], peak[CM_NR_CG], max[CM_NR_CG], events[CM_NR_CG],
		local[CM_NR_CG];
	uint64_t rng, step;
	unsigned long seed, nr_alloc, nr_refused, nr_max_writes;
};

static unsigned cm_rnd(struct cmodel *m, unsigned n)
{
	return (unsigned)(rng_next(&m->rng) % n);
}

#define CMFAIL(m, fmt, ...)                                                                        \
	fail_msg("seed %lu step %llu: " fmt, (m)->seed, (unsigned long long)(m)->step,             \
		 ##__VA_ARGS__)

/* The model's misc_cg_try_charge() of one page at @c. Return: whether it fits. */
static bool cm_charge(struct cmodel *m, int c)
{
	int f = -1;

	for (int l = c; l >= 0; l = cm_parent[l]) {
		uint64_t bound = m->max[l] < CM_PAGES ? m->max[l] : CM_PAGES;

		if (m->usage[l] + 1 > bound) {
			f = l;
			break;
		}
	}
	if (f < 0) {
		for (int l = c; l >= 0; l = cm_parent[l])
			if (++m->usage[l] > m->peak[l])
				m->peak[l] = m->usage[l];
		return true;
	}
	/* behaviour 39: the levels below the refusing one peaked at the transient value */
	for (int l = c; l != f; l = cm_parent[l])
		if (m->usage[l] + 1 > m->peak[l])
			m->peak[l] = m->usage[l] + 1;
	m->local[f]++;
	for (int l = f; cm_parent[l] >= 0; l = cm_parent[l])
		m->events[l]++;
	return false;
}

static uint64_t cm_read(struct cmodel *m, int c, const char *file)
{
	char buf[128];
	unsigned long long v = 0;

	if (epc_cgroup_read(m->cg[c], file, buf, sizeof(buf)) < 0)
		CMFAIL(m, "reading %s of %s", file, cm_paths[c]);
	if (buf[0] && sscanf(buf, "%*s %llu", &v) != 1)
		CMFAIL(m, "%s of %s: '%s'", file, cm_paths[c], buf);
	return v;
}

static void cm_check(struct cmodel *m)
{
	for (int c = 0; c < CM_NR_CG; c++) {
		uint64_t cur = cm_read(m, c, "misc.current"), peak = cm_read(m, c, "misc.peak");

		if (cur != m->usage[c] * PAGE || peak != m->peak[c] * PAGE)
			CMFAIL(m, "%s: misc.current %llu, misc.peak %llu; the model %llu, %llu",
			       cm_paths[c], (unsigned long long)cur, (unsigned long long)peak,
			       (unsigned long long)(m->usage[c] * PAGE),
			       (unsigned long long)(m->peak[c] * PAGE));
		if (c && (cm_read(m, c, "misc.events") != m->events[c] ||
			  cm_read(m, c, "misc.events.local") != m->local[c]))
			CMFAIL(m, "%s: events %llu, local %llu; the model %llu, %llu", cm_paths[c],
			       (unsigned long long)cm_read(m, c, "misc.events"),
			       (unsigned long long)cm_read(m, c, "misc.events.local"),
			       (unsigned long long)m->events[c], (unsigned long long)m->local[c]);
	}
	if (epc__check(m->epc))
		CMFAIL(m, "the invariant checker failed");
}

static void cm_step_alloc(struct cmodel *m)
{
	int t = (int)cm_rnd(m, CM_TASKS), c = m->task_cg[t];
	struct epc_page *p = NULL;
	bool fits = cm_charge(m, c);
	int ret = epc_page_alloc(m->task[t], NULL, EPC_NO_RECLAIM, &p);

	if (fits != !ret)
		CMFAIL(m, "task %d in %s: allocation %d, the model says it %s", t, cm_paths[c], ret,
		       fits ? "fits" : "is refused");
	if (ret) {
		if (ret != -ENOMEM)
			CMFAIL(m, "a refusal with nothing reclaimable is -ENOMEM, got %d", ret);
		m->nr_refused++;
		return;
	}
	m->page[m->nr_held] = p;
	m->page_cg[m->nr_held++] = c;
	m->nr_alloc++;
}

static void cm_step_free(struct cmodel *m)
{
	int i;

	if (!m->nr_held)
		return;
	i = (int)cm_rnd(m, (unsigned)m->nr_held);
	epc_page_free(m->page[i]);
	for (int l = m->page_cg[i]; l >= 0; l = cm_parent[l])
		m->usage[l]--;
	m->page[i] = m->page[--m->nr_held];
	m->page_cg[i] = m->page_cg[m->nr_held];
}

static void cm_step_max(struct cmodel *m)
{
	int c = 1 + (int)cm_rnd(m, CM_NR_CG - 1);
	uint64_t pages = cm_rnd(m, 4) ? cm_rnd(m, 24) : UINT64_MAX;
	char text[64];

	if (pages == UINT64_MAX)
		snprintf(text, sizeof(text), "sgx_epc max");
	else
		snprintf(text, sizeof(text), "sgx_epc %llu", (unsigned long long)(pages * PAGE));
	if (epc_cgroup_write(m->cg[c], "misc.max", text))
		CMFAIL(m, "writing '%s' to %s's misc.max", text, cm_paths[c]);
	m->max[c] = pages;
	m->nr_max_writes++;
}

static void cm_step_move(struct cmodel *m)
{
	int t = (int)cm_rnd(m, CM_TASKS), c = (int)cm_rnd(m, CM_NR_CG);

	if (cm_rnd(m, 2)) {
		if (epc_task_move(m->task[t], m->cg[c]))
			CMFAIL(m, "moving task %d to %s", t, cm_paths[c]);
		m->task_cg[t] = c;
	} else if (epc_task_set_cpu(m->task[t], (int)cm_rnd(m, CM_CPUS))) {
		CMFAIL(m, "moving task %d to another CPU", t);
	}
}

static void test_model_charge_stocks(void **state)
{
	static const int cpu_to_node[CM_CPUS] = {0, 0, 0, 0};
	struct topo tp = {.nr_nodes = 1,
			  .nr_cpus = CM_CPUS,
			  .cpu_to_node = cpu_to_node,
			  .nr_sections = 1,
			  .pages = CM_PAGES};
	struct cmodel *m = calloc(1, sizeof(*m));
	unsigned long steps = 8000 * stress_scale();

	(void)state;
	assert_non_null(m);
	m->seed = test_seed(5);
	m->rng = m->seed * 0x9E3779B97F4A7C15ULL + 1;
	m->epc = make_topo(&tp);
	m->cg[0] = epc_cgroup_root(m->epc);
	for (int c = 0; c < CM_NR_CG; c++) {
		if (c)
			m->cg[c] = make_cg(m->epc, cm_paths[c]);
		m->max[c] = UINT64_MAX;
	}
	for (int t = 0; t < CM_TASKS; t++) {
		m->task_cg[t] = (t + 2) % CM_NR_CG;
		m->task[t] = make_task(m->epc, m->cg[m->task_cg[t]], t % CM_CPUS);
	}
	cm_check(m);
	for (m->step = 1; m->step <= steps; m->step++) {
		bool filling = (m->step / 150) % 2 == 0;
		unsigned r = cm_rnd(m, 100);
		unsigned w_alloc = filling ? 60 : 30, w_free = filling ? 30 : 60;

		if (r < w_alloc)
			cm_step_alloc(m);
		else if (r < w_alloc + w_free)
			cm_step_free(m);
		else if (r < w_alloc + w_free + 4)
			cm_step_max(m);
		else
			cm_step_move(m);
		cm_check(m);
	}
	print_message("# charge model: %lu allocations, %lu refused, %lu misc.max writes\n",
		      m->nr_alloc, m->nr_refused, m->nr_max_writes);
	while (m->nr_held)
		cm_step_free(m);
	cm_check(m);
	for (int t = 0; t < CM_TASKS; t++)
		epc_task_destroy(m->task[t]);
	epc_destroy(m->epc);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_node_order),
		cmocka_unit_test(test_model_node_order_pcp),
		cmocka_unit_test(test_model_distance),
		cmocka_unit_test(test_model_distance_pcp),
		cmocka_unit_test(test_model_node_order_numa_reclaim),
		cmocka_unit_test(test_model_distance_pcp_numa_reclaim),
		cmocka_unit_test(test_model_charge_stocks),
	};

	return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
