// SPDX-License-Identifier: MIT
/*
 * epcmm.c - the library face: configuration, lifecycle, tasks, raw pages,
 * statistics, and the thin public wrappers over the layers below.
 */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encl/encl.h"
#include "epc.h"
#include "util/api.h"

#define LOCAL_DISTANCE	10
#define REMOTE_DISTANCE 20

/*
 * Log a refused call and pass its error on (DESIGN §7: an errno plus a line
 * naming what was wrong). Malformed input is an error; a request the current
 * state refuses (exists, busy, missing, too small a buffer) is information.
 */
__attribute__((format(printf, 3, 4))) static int refuse(const struct epc__log *log, int err,
							const char *fmt, ...)
{
	char what[EPC__LOG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	epc__log(log, err == -EINVAL || err == -ERANGE ? LOG_ERR : LOG_INFO, "%s: %s", what,
		 strerror(-err));
	return err;
}

/*
 * A NULL where a handle, an out-pointer or a required argument belongs: refused
 * before anything is done (@log may be NULL: the line goes to stderr).
 */
#define REQUIRE(log, ptr, call)                                                                    \
	do {                                                                                       \
		if (!(ptr))                                                                        \
			return refuse((log), -EINVAL, "%s: NULL %s", (call), #ptr);                \
	} while (0)

/*
 * Refuse a handle of another instance used with @epc's (a task of @epc with
 * another's cgroup): a LOG_ERR line naming @call and @what. The enclave
 * layer says the same of enclaves (epc__encl_same_instance()).
 * Return: -EINVAL.
 */
static int refuse_foreign(struct epc *epc, const char *call, const char *what)
{
	return refuse(&epc->log, -EINVAL, "%s: the %s belongs to another struct epc", call, what);
}

/* --------------------------------------------------------- configuration */

/* The validated configuration with every default filled in. */
struct resolved_config {
	int nr_nodes, nr_cpus;
	int *cpu_to_node;
	uint8_t *distance;
	uint64_t sec_phys[EPC_MAX_SECTIONS], sec_size[EPC_MAX_SECTIONS];
	int sec_node[EPC_MAX_SECTIONS];
};

static void resolved_free(struct resolved_config *rc)
{
	free(rc->cpu_to_node);
	free(rc->distance);
}

#define INVALID(...)                                                                               \
	do {                                                                                       \
		epc__log(log, LOG_ERR, "invalid config: " __VA_ARGS__);                            \
		return -EINVAL;                                                                    \
	} while (0)

static int validate_topology(const struct epc_config *cfg, const struct epc__log *log)
{
	int nodes = cfg->nr_nodes;

	if (nodes < 1 || nodes > EPC_MAX_NODES)
		INVALID("nr_nodes = %d (must be 1..%d)", nodes, EPC_MAX_NODES);
	if (cfg->nr_cpus < 0 || cfg->nr_cpus > EPC_MAX_CPUS)
		INVALID("nr_cpus = %d (must be 1..%d, or 0 for nr_nodes)", cfg->nr_cpus,
			EPC_MAX_CPUS);
	if (cfg->cpu_to_node) {
		int cpus = cfg->nr_cpus ? cfg->nr_cpus : nodes;

		for (int c = 0; c < cpus; c++)
			if (cfg->cpu_to_node[c] < 0 || cfg->cpu_to_node[c] >= nodes)
				INVALID("cpu_to_node[%d] = %d (must be 0..%d)", c,
					cfg->cpu_to_node[c], nodes - 1);
	}
	if (cfg->distance) {
		for (int i = 0; i < nodes; i++)
			for (int j = 0; j < nodes; j++) {
				int d = cfg->distance[i * nodes + j];

				if (i == j && d != LOCAL_DISTANCE)
					INVALID("distance[%d][%d] = %d (the diagonal must be %d)",
						i, j, d, LOCAL_DISTANCE);
				if (i != j && d <= LOCAL_DISTANCE)
					INVALID("distance[%d][%d] = %d (remote distances must be > "
						"%d)",
						i, j, d, LOCAL_DISTANCE);
			}
	}
	if ((unsigned)cfg->fallback > EPC_FALLBACK_DISTANCE)
		INVALID("fallback = %d (unknown policy)", (int)cfg->fallback);
	if ((unsigned)cfg->background > EPC_BACKGROUND_MANUAL)
		INVALID("background = %d (unknown mode)", (int)cfg->background);
	if (cfg->pcp_batch > EPC_PCP_BATCH_MAX)
		INVALID("pcp_batch = %u (must be 0..%d)", cfg->pcp_batch, EPC_PCP_BATCH_MAX);
	if (cfg->nr_workers < 0 || cfg->nr_workers > EPC_MAX_WORKERS)
		INVALID("nr_workers = %d (must be 0 for the default, or 1..%d)", cfg->nr_workers,
			EPC_MAX_WORKERS);
	if ((unsigned)cfg->cgroup_mode > EPC_CGROUP_NONE)
		INVALID("cgroup_mode = %d (unknown mode)", (int)cfg->cgroup_mode);
	return 0;
}

static int validate_sections(const struct epc_config *cfg, const struct epc__log *log)
{
	const struct epc_section_desc *s = cfg->sections;
	uint64_t total = 0;

	if (!s || cfg->nr_sections < 1 || cfg->nr_sections > EPC_MAX_SECTIONS)
		INVALID("nr_sections = %d (must be 1..%d, with sections non-NULL)",
			cfg->nr_sections, EPC_MAX_SECTIONS);
	for (int i = 0; i < cfg->nr_sections; i++) {
		if (s[i].phys_addr % EPC_PAGE_SIZE)
			INVALID("sections[%d].phys_addr = 0x%llx (not page aligned)", i,
				(unsigned long long)s[i].phys_addr);
		if (!s[i].size || s[i].size % EPC_PAGE_SIZE)
			INVALID("sections[%d].size = %llu (must be a non-zero multiple of %d)", i,
				(unsigned long long)s[i].size, EPC_PAGE_SIZE);
		if (s[i].phys_addr + s[i].size < s[i].phys_addr)
			INVALID("sections[%d] wraps around the address space", i);
		if (s[i].node != EPC_NO_NODE && (s[i].node < 0 || s[i].node >= cfg->nr_nodes))
			INVALID("sections[%d].node = %d (must be 0..%d or EPC_NO_NODE)", i,
				s[i].node, cfg->nr_nodes - 1);
		for (int j = 0; j < i; j++)
			if (s[i].phys_addr < s[j].phys_addr + s[j].size &&
			    s[j].phys_addr < s[i].phys_addr + s[i].size)
				INVALID("sections[%d] overlaps sections[%d]", i, j);
		total += s[i].size / EPC_PAGE_SIZE;
	}
	if (total > EPC__MAX_PAGES)
		INVALID("%llu pages in all (at most %llu)", (unsigned long long)total,
			(unsigned long long)EPC__MAX_PAGES);
	return 0;
}

static int resolve_config(const struct epc_config *cfg, const struct epc__log *log,
			  const struct epc__fault *fault, struct resolved_config *rc)
{
	int ret;

	memset(rc, 0, sizeof(*rc));
	if (!cfg) {
		epc__log(log, LOG_ERR, "invalid config: NULL");
		return -EINVAL;
	}
	ret = validate_topology(cfg, log);
	if (!ret)
		ret = validate_sections(cfg, log);
	if (ret)
		return ret;

	rc->nr_nodes = cfg->nr_nodes;
	rc->nr_cpus = cfg->nr_cpus ? cfg->nr_cpus : cfg->nr_nodes;
	rc->cpu_to_node = epc__host_calloc(fault, (size_t)rc->nr_cpus, sizeof(int));
	rc->distance = epc__host_malloc(fault, (size_t)rc->nr_nodes * (size_t)rc->nr_nodes);
	if (!rc->cpu_to_node || !rc->distance) {
		resolved_free(rc);
		return -ENOMEM;
	}
	for (int c = 0; c < rc->nr_cpus; c++)
		rc->cpu_to_node[c] = cfg->cpu_to_node ? cfg->cpu_to_node[c] : c % rc->nr_nodes;
	for (int i = 0; i < rc->nr_nodes; i++)
		for (int j = 0; j < rc->nr_nodes; j++)
			rc->distance[i * rc->nr_nodes + j] =
				cfg->distance
					? cfg->distance[i * rc->nr_nodes + j]
					: (uint8_t)(i == j ? LOCAL_DISTANCE : REMOTE_DISTANCE);
	for (int i = 0; i < cfg->nr_sections; i++) {
		const struct epc_section_desc *s = &cfg->sections[i];

		rc->sec_phys[i] = s->phys_addr;
		rc->sec_size[i] = s->size;
		rc->sec_node[i] = s->node;
		epc__log(log, LOG_INFO, "EPC section 0x%llx-0x%llx",
			 (unsigned long long)s->phys_addr,
			 (unsigned long long)(s->phys_addr + s->size - 1));
		if (s->node == EPC_NO_NODE) {
			epc__log(log, LOG_WARNING,
				 "[Firmware Bug]: Unable to map EPC section to online node. "
				 "Fallback to the NUMA node 0.");
			rc->sec_node[i] = 0;
		}
	}
	return 0;
}

/* The kernel's v6.12 info line for nodes that have CPUs but no EPC. */
static void log_nodes_without_epc(struct epc *epc)
{
	for (int n = 0; n < epc->mm.nr_nodes; n++) {
		bool has_cpu = false;

		for (int c = 0; c < epc->mm.nr_cpus && !has_cpu; c++)
			has_cpu = epc->mm.cpu_to_node[c] == n;
		if (has_cpu && !epc->mm.nodes[n].has_epc)
			epc__log(&epc->log, LOG_INFO,
				 "node%d has both CPUs and memory but doesn't have an EPC section",
				 n);
	}
}

/* ------------------------------------------------------------- lifecycle */

static int hw_setup(struct epc *epc, const struct epc_config *cfg, const struct resolved_config *rc)
{
	struct epc__hw_section_desc secs[EPC_MAX_SECTIONS];

	for (int i = 0; i < cfg->nr_sections; i++) {
		secs[i].phys_addr = rc->sec_phys[i];
		secs[i].nr_pages = rc->sec_size[i] / EPC_PAGE_SIZE;
		secs[i].host_node = rc->sec_node[i];
	}
	return epc__hw_init(&epc->hw, secs, cfg->nr_sections, cfg->no_contents, &epc->log);
}

int epc__create_with_fault(const struct epc_config *cfg, epc__fault_fn fn, void *arg,
			   struct epc **out)
{
	struct epc__log log = {cfg ? cfg->log : NULL, cfg ? cfg->log_arg : NULL};
	struct epc__fault fault = {fn, arg};
	struct resolved_config rc;
	struct epc__mm_config mc;
	struct epc *epc;
	uint64_t capacity = 0;
	int ret;

	if (!out)
		return refuse(&log, -EINVAL, "epc_create: NULL out pointer");
	ret = resolve_config(cfg, &log, &fault, &rc);
	if (ret)
		return ret;
	ret = -ENOMEM;
	/* aligned: the hot counters of its parts have cache lines of their own */
	epc = epc__host_aligned_alloc(&fault, _Alignof(struct epc), sizeof(*epc));
	if (!epc)
		goto err_config;
	memset(epc, 0, sizeof(*epc));
	epc->hw.fault = fault; /* epc__hw_init() keeps it */
	epc->log = log;
	epc->mode = cfg->background;
	epc__list_init(&epc->tasks);
	ret = epc__mutex_init(&epc->objs_lock, EPC__RANK_OBJS);
	if (ret)
		goto err_epc;
	ret = hw_setup(epc, cfg, &rc);
	if (ret)
		goto err_objs_lock;

	mc = (struct epc__mm_config){
		.nr_nodes = rc.nr_nodes,
		.nr_cpus = rc.nr_cpus,
		.cpu_to_node = rc.cpu_to_node,
		.distance = rc.distance,
		.fallback = cfg->fallback,
		.nr_sections = cfg->nr_sections,
		.sec_phys = rc.sec_phys,
		.sec_size = rc.sec_size,
		.sec_node = rc.sec_node,
		.pcp_batch = cfg->pcp_batch,
	};
	ret = epc__mm_init(&epc->mm, &mc, &epc->hw, &epc->log);
	if (ret)
		goto err_hw;
	for (int i = 0; i < cfg->nr_sections; i++)
		capacity += rc.sec_size[i];
	ret = epc__cgroups_init(&epc->cgroups, capacity, &epc->log, &epc->hw.fault);
	if (ret)
		goto err_mm;
	epc->cgroups.mode = cfg->cgroup_mode;
	epc->cgroups.events.manual = cfg->background == EPC_BACKGROUND_MANUAL;
	ret = epc__encl_layer_init(&epc->encl,
				   &(struct epc__encl_deps){
					   .hw = &epc->hw,
					   .mm = &epc->mm,
					   .cgroups = &epc->cgroups,
					   .reclaim = &epc->reclaim,
					   .events = &epc->cgroups.events,
					   .fault = &epc->hw.fault,
					   .log = &epc->log,
					   .threads = cfg->background == EPC_BACKGROUND_THREADS,
					   .no_contents = cfg->no_contents,
				   });
	if (ret)
		goto err_cgroups;
	/* Last: ksgxd starts sanitizing as soon as it exists. */
	ret = epc__reclaim_init(&epc->reclaim, &epc->mm, &epc->cgroups, &epc__encl_reclaim_ops,
				cfg->background == EPC_BACKGROUND_THREADS,
				cfg->nr_workers ? cfg->nr_workers : epc__wq_default_threads(),
				&epc->log);
	if (ret)
		goto err_encl;
	/* Nothing charges before epc_create() returns. */
	epc->reclaim.margin_reclaim = cfg->margin_reclaim;
	epc->reclaim.numa_reclaim = cfg->numa_reclaim;
	log_nodes_without_epc(epc);
	resolved_free(&rc);
	*out = epc;
	return 0;

err_encl:
	epc__encl_layer_destroy(&epc->encl);
err_cgroups:
	epc__cgroups_destroy(&epc->cgroups);
err_mm:
	epc__mm_destroy(&epc->mm);
err_hw:
	epc__hw_destroy(&epc->hw);
err_objs_lock:
	epc__mutex_destroy(&epc->objs_lock);
err_epc:
	free(epc);
err_config:
	resolved_free(&rc);
	return ret;
}

/* struct epc_config as 0.1.0 had it: up to @log_arg (0.2.0 added @nr_workers). */
#define CONFIG_SIZE_0_1 (offsetof(struct epc_config, log_arg) + sizeof(void *))

EPC_API int epc_create2(const struct epc_config *cfg, size_t size, struct epc **out)
{
	struct epc__log log = {cfg ? cfg->log : NULL, cfg ? cfg->log_arg : NULL};
	const unsigned char *tail = (const unsigned char *)cfg;
	struct epc_config c;

	if (!cfg)
		return epc__create_with_fault(NULL, NULL, NULL, out);
	if (size < offsetof(struct epc_config, log_arg) + sizeof(cfg->log_arg))
		log = (struct epc__log){NULL, NULL}; /* the caller's struct has no logger */
	if (!size) {
		epc__log(&log, LOG_ERR, "invalid config: size 0");
		return -EINVAL;
	}
	for (size_t i = sizeof(c); i < size; i++)
		if (tail[i]) {
			epc__log(&log, LOG_ERR,
				 "invalid config: byte %zu of %zu is set, but this library's "
				 "struct epc_config (version %s) has %zu bytes",
				 i, size, EPCMM_VERSION_STRING, sizeof(c));
			return -EINVAL;
		}
	memset(&c, 0, sizeof(c));
	memcpy(&c, cfg, size < sizeof(c) ? size : sizeof(c));
	return epc__create_with_fault(&c, NULL, NULL, out);
}

EPC_API int epc_create(const struct epc_config *cfg, struct epc **out)
{
	return epc_create2(cfg, CONFIG_SIZE_0_1, out);
}

EPC_API uint32_t epc_version(void)
{
	return EPCMM_VERSION;
}

EPC_API void epc_destroy(struct epc *epc)
{
	if (!epc)
		return;
	epc__reclaim_destroy(&epc->reclaim);
#ifdef EPC_EXPENSIVE_CHECKS
	/* quiescent by contract: nothing may be in flight during destroy */
	if (epc__check(epc)) {
		epc__log(&epc->log, LOG_CRIT, "invariant check failed at epc_destroy");
		abort();
	}
#endif
	epc__encl_layer_destroy(&epc->encl);
	while (!epc__list_empty(&epc->tasks))
		epc_task_destroy(epc__list_first(&epc->tasks, struct epc_task, node));
	epc__cgroups_destroy(&epc->cgroups);
	epc__mm_destroy(&epc->mm);
	epc__hw_destroy(&epc->hw);
	epc__mutex_destroy(&epc->objs_lock);
	free(epc);
}

EPC_API int epc_sanitize_wait(struct epc *epc)
{
	REQUIRE(NULL, epc, "epc_sanitize_wait");
	return epc__reclaim_sanitize_wait(&epc->reclaim);
}

EPC_API int epc_run_background(struct epc *epc)
{
	int ret;

	REQUIRE(NULL, epc, "epc_run_background");
	ret = epc__reclaim_run_background(&epc->reclaim);
	if (ret == -EINVAL)
		epc__log(&epc->log, LOG_ERR, "epc_run_background: not in MANUAL mode");
	return ret;
}

EPC_API long epc_reclaim(struct epc *epc, unsigned long nr_pages)
{
	struct epc__reclaimer *r;
	struct epc__retry rt;
	uint64_t before;

	REQUIRE(NULL, epc, "epc_reclaim");
	r = &epc->reclaim;
	before = atomic_load(&r->nr_evicted);

	epc__retry_start(r, &rt);
	while (atomic_load(&r->nr_evicted) - before < nr_pages) {
		if (!epc__reclaim_subtree(r, epc->cgroups.root, 1))
			break;
		if (!epc__retry_next(r, &rt))
			break;
	}
	return (long)(atomic_load(&r->nr_evicted) - before);
}

/* ---------------------------------------------------------------- events */

EPC_API int epc_set_event_handler(struct epc *epc, epc_event_fn fn, void *arg)
{
	struct epc__events *ev;

	REQUIRE(NULL, epc, "set event handler");
	ev = &epc->cgroups.events;
	atomic_store_explicit(&ev->fn, NULL, memory_order_release);
	ev->arg = arg;
	atomic_store_explicit(&ev->fn, fn, memory_order_release);
	return 0;
}

EPC_API int epc_set_time(struct epc *epc, uint64_t now)
{
	REQUIRE(NULL, epc, "set time");
	if (epc->mode != EPC_BACKGROUND_MANUAL)
		return refuse(&epc->log, -EINVAL, "set time: only in MANUAL mode");
	atomic_store_explicit(&epc->cgroups.events.now, now, memory_order_relaxed);
	return 0;
}

/* ------------------------------------------------------------ reporting */

EPC_API ssize_t epc_node_read(struct epc *epc, int node, const char *attr, char *buf, size_t len)
{
	int n;

	REQUIRE(NULL, epc, "node read");
	REQUIRE(&epc->log, attr, "node read");
	if (!buf && len)
		return refuse(&epc->log, -EINVAL, "node read: NULL buf with len %zu", len);
	if (node < 0 || node >= epc->mm.nr_nodes)
		return refuse(&epc->log, -EINVAL, "node read: node %d out of range (0..%d)", node,
			      epc->mm.nr_nodes - 1);
	if (!epc->mm.nodes[node].has_epc)
		return refuse(&epc->log, -ENOENT, "node read: node %d has no EPC", node);
	if (strcmp(attr, "sgx_total_bytes"))
		return refuse(&epc->log, -ENOENT, "node read: unknown attribute '%s'", attr);
	n = snprintf(buf, len, "%llu\n", (unsigned long long)epc->mm.nodes[node].size);
	if (n < 0 || (size_t)n >= len)
		return refuse(&epc->log, -ENOSPC, "node read: a %zu-byte buffer is too small", len);
	return n;
}

/* The 0.1.0 layouts: what the size-less calls of 0.1.0 fill, never more. */
#define STATS_SIZE_0_1	    offsetof(struct epc_stats, nr_ksgxd_runs)
#define NODE_STATS_SIZE_0_1 offsetof(struct epc_node_stats, nr_alloc_away)
_Static_assert(offsetof(struct epc_stats, nr_ksgxd_runs) == 104, "epc_stats 0.1.0 layout moved");
_Static_assert(offsetof(struct epc_node_stats, nr_alloc_away) == 48,
	       "epc_node_stats 0.1.0 layout moved");

/* The size rule (epcmm.h): the first @size bytes of the library's struct, no more. */
static void copy_sized(void *dst, const void *src, size_t src_size, size_t size)
{
	memcpy(dst, src, size < src_size ? size : src_size);
}

static void stats_fill(struct epc *epc, struct epc_stats *st)
{
	struct epc__reclaimer *r;
	struct epc__mm *mm;

	if (!epc || !st) {
		refuse(epc ? &epc->log : NULL, -EINVAL, "epc_get_stats: NULL %s",
		       epc ? "st" : "epc");
		return;
	}
	mm = &epc->mm;
	r = &epc->reclaim;
	memset(st, 0, sizeof(*st));
	st->nr_total = mm->nr_pages;
	st->nr_free = epc__mm_nr_free(mm);
	st->nr_dirty = atomic_load(&mm->nr_dirty);
	st->nr_poisoned = atomic_load(&mm->nr_poisoned);
	st->nr_reclaimable = atomic_load(&r->nr_reclaimable);
	st->nr_evicted = atomic_load(&r->nr_evicted) + epc__encl_nr_secs_evicted(&epc->encl);
	st->nr_reloaded = epc__encl_nr_reloaded(&epc->encl);
	st->nr_alloc_failed = atomic_load(&mm->nr_alloc_failed);
	st->nr_ksgxd_wakeups = atomic_load(&r->nr_wakeups);
	st->nr_leaked = atomic_load(&mm->nr_leaked);
	for (int i = 0; i < mm->nr_nodes; i++) {
		struct epc_node_stats ns;

		epc_node_get_stats(epc, i, &ns, sizeof(ns));
		st->nr_alloc_local += ns.nr_alloc_local;
		st->nr_alloc_remote += ns.nr_alloc_remote;
	}
	st->meta_bytes_per_page = sizeof(struct epc_page);
	st->epcm_bytes_per_page = sizeof(struct epc__epcm);
	st->nr_ksgxd_runs = atomic_load_explicit(&r->nr_ksgxd_runs, memory_order_relaxed);
	st->nr_ksgxd_batches = atomic_load_explicit(&r->nr_ksgxd_batches, memory_order_relaxed);
	st->nr_reclaimed_ksgxd =
		atomic_load_explicit(&r->nr_freed_by[EPC__BY_KSGXD], memory_order_relaxed);
	st->nr_reclaimed_direct =
		atomic_load_explicit(&r->nr_freed_by[EPC__BY_DIRECT], memory_order_relaxed);
	st->nr_reclaimed_cgroup =
		atomic_load_explicit(&r->nr_freed_by[EPC__BY_CGROUP], memory_order_relaxed);
}

EPC_API int epc_get_stats2(struct epc *epc, struct epc_stats *st, size_t size)
{
	struct epc_stats s;

	REQUIRE(NULL, epc, "stats");
	if (!st || !size)
		return refuse(&epc->log, -EINVAL, "stats: %s", st ? "size 0" : "NULL stats");
	stats_fill(epc, &s);
	copy_sized(st, &s, sizeof(s), size);
	return 0;
}

EPC_API void epc_get_stats(struct epc *epc, struct epc_stats *st)
{
	epc_get_stats2(epc, st, STATS_SIZE_0_1);
}

EPC_API int epc_node_get_stats(struct epc *epc, int node, struct epc_node_stats *st, size_t size)
{
	struct epc_node_stats s;
	struct epc__mm *mm;
	struct epc__node *n;

	REQUIRE(NULL, epc, "node stats");
	REQUIRE(&epc->log, st, "node stats");
	mm = &epc->mm;
	if (node < 0 || node >= mm->nr_nodes)
		return refuse(&epc->log, -EINVAL, "node stats: node %d out of range (0..%d)", node,
			      mm->nr_nodes - 1);
	if (!st || !size)
		return refuse(&epc->log, -EINVAL, "node stats: %s", st ? "size 0" : "NULL stats");
	n = &mm->nodes[node];
	memset(&s, 0, sizeof(s));
	s.has_epc = n->has_epc;
	s.nr_total = n->nr_pages;
	epc__spin_lock(&n->lock);
	s.nr_free = n->free.nr;
	s.nr_poisoned = n->poison.nr;
	s.nr_alloc_local = n->nr_alloc_local;
	s.nr_alloc_remote = n->nr_alloc_remote;
	epc__spin_unlock(&n->lock);
	s.nr_alloc_away = atomic_load_explicit(&n->nr_alloc_away, memory_order_relaxed);
	for (int c = 0; c < mm->nr_cpus; c++) {
		struct epc__pcp *pcp = &mm->pcps[c];

		if (pcp->node != node || !pcp->enabled)
			continue;
		epc__spin_lock(&pcp->lock);
		s.nr_free += pcp->count;
		s.nr_alloc_local += pcp->nr_alloc;
		epc__spin_unlock(&pcp->lock);
	}
	copy_sized(st, &s, sizeof(s), size);
	return 0;
}

EPC_API int epc_get_node_stats(struct epc *epc, int node, struct epc_node_stats *st)
{
	return epc_node_get_stats(epc, node, st, NODE_STATS_SIZE_0_1);
}

/* EPC_EVENT_POISON: @phys is an EPC address. */
static void poison_event(struct epc *epc, uint64_t phys)
{
	struct epc_event e = epc__event_make(EPC_EVENT_POISON);
	struct epc_page *p = epc__mm_phys_to_page(&epc->mm, phys);
	enum epc__page_state s;

	/* never NULL here (the caller poisoned @phys, so it is an EPC address);
	 * saying so also tells the optimiser, which warned of a load at NULL */
	if (!p)
		return;
	s = epc__page_state(p);
	e.phys = phys;
	e.node = p->node; /* racy, but set once by the sanitizer, long before */
	e.in_use = s == EPC__PAGE_INUSE || s == EPC__PAGE_LRU || s == EPC__PAGE_ISOLATED ||
		   s == EPC__PAGE_RELEASING;
	epc__event_emit(&epc->cgroups.events, &e);
}

EPC_API int epc_memory_failure(struct epc *epc, uint64_t phys_addr, int flags)
{
	int ret;

	REQUIRE(NULL, epc, "memory failure");
	if (flags & ~EPC_MF_ACTION_REQUIRED) {
		epc__log(&epc->log, LOG_ERR, "memory failure: unknown flags 0x%x", flags);
		return -EINVAL;
	}
	ret = epc__mm_memory_failure(&epc->mm, phys_addr);
	if (ret)
		return refuse(&epc->log, ret, "memory failure at 0x%llx: not an EPC address",
			      (unsigned long long)phys_addr);
	epc__log(&epc->log, LOG_WARNING, "memory failure at 0x%llx: EPC page poisoned",
		 (unsigned long long)phys_addr);
	if (epc__events_on(&epc->cgroups.events))
		poison_event(epc, phys_addr);
	if (flags & EPC_MF_ACTION_REQUIRED)
		epc__log(&epc->log, LOG_ERR,
			 "memory failure at 0x%llx: action required, SIGBUS to the current task",
			 (unsigned long long)phys_addr);
	return 0;
}

/* --------------------------------------------------------------- cgroups */

static struct epc *epc_of_cgroup(struct epc_cgroup *cg)
{
	return (struct epc *)((char *)cg->tree - offsetof(struct epc, cgroups));
}

EPC_API struct epc_cgroup *epc_cgroup_root(struct epc *epc)
{
	if (!epc) {
		refuse(NULL, -EINVAL, "cgroup root: NULL epc");
		return NULL;
	}
	return epc->cgroups.root;
}

EPC_API int epc_cgroup_create(struct epc *epc, const char *path, struct epc_cgroup **out)
{
	int ret;

	REQUIRE(NULL, epc, "cgroup create");
	REQUIRE(&epc->log, path, "cgroup create");
	REQUIRE(&epc->log, out, "cgroup create");
	ret = epc__cg_create(&epc->cgroups, path, out);
	return ret ? refuse(&epc->log, ret, "cgroup create '%s'", path ? path : "(null)") : 0;
}

EPC_API int epc_cgroup_lookup(struct epc *epc, const char *path, struct epc_cgroup **out)
{
	int ret;

	REQUIRE(NULL, epc, "cgroup lookup");
	REQUIRE(&epc->log, path, "cgroup lookup");
	REQUIRE(&epc->log, out, "cgroup lookup");
	ret = epc__cg_lookup(&epc->cgroups, path, out);
	return ret ? refuse(&epc->log, ret, "cgroup lookup '%s'", path ? path : "(null)") : 0;
}

EPC_API int epc_cgroup_create_child(struct epc_cgroup *parent, const char *name,
				    struct epc_cgroup **out)
{
	int ret;

	REQUIRE(NULL, parent, "cgroup create child");
	REQUIRE(parent->tree->log, name, "cgroup create child");
	REQUIRE(parent->tree->log, out, "cgroup create child");
	ret = epc__cg_create_child(parent, name, out);
	return ret ? refuse(parent->tree->log, ret, "cgroup create child '%s'", name) : 0;
}

/* A miss is an answer, not a refusal: no log line (a cgroupfs looks names up
 * that do not exist all the time). */
EPC_API int epc_cgroup_child(struct epc_cgroup *parent, const char *name, struct epc_cgroup **out)
{
	REQUIRE(NULL, parent, "cgroup child");
	REQUIRE(parent->tree->log, name, "cgroup child");
	REQUIRE(parent->tree->log, out, "cgroup child");
	return epc__cg_child(parent, name, out);
}

EPC_API uint64_t epc_cgroup_id(const struct epc_cgroup *cg)
{
	return cg ? cg->id : 0;
}

EPC_API int epc_cgroup_lookup_id(struct epc *epc, uint64_t id, struct epc_cgroup **out)
{
	REQUIRE(NULL, epc, "cgroup lookup id");
	REQUIRE(&epc->log, out, "cgroup lookup id");
	return epc__cg_lookup_id(&epc->cgroups, id, out);
}

EPC_API int epc_cgroup_put(struct epc_cgroup *cg)
{
	char path[EPC__LOG_LINE_MAX / 2];
	int ret;

	if (!cg)
		return 0;
	ret = epc__cg_put(cg);
	if (!ret)
		return 0;
	/* still referenced by nobody, but not freed: dying or live, readable */
	if (epc__cg_path(cg, path, sizeof(path)) < 0)
		snprintf(path, sizeof(path), "(a long path)");
	return refuse(cg->tree->log, ret, "cgroup put '%s': it holds no reference", path);
}

EPC_API ssize_t epc_cgroup_name(struct epc_cgroup *cg, char *buf, size_t len)
{
	REQUIRE(NULL, cg, "cgroup name");
	if (!buf && len)
		return refuse(cg->tree->log, -EINVAL, "cgroup name: NULL buf with len %zu", len);
	return epc__cg_name(cg, buf, len);
}

/* The arguments every listing checks. */
static int list_args_check(const struct epc__log *log, const char *what, const void *out,
			   size_t cap, const size_t *nr)
{
	if (!nr || (!out && cap))
		return refuse(log, -EINVAL, "%s: %s", what,
			      !nr ? "NULL count" : "NULL array with a non-zero capacity");
	return 0;
}

EPC_API int epc_cgroup_list_children(struct epc_cgroup *cg, struct epc_cgroup **out, size_t cap,
				     size_t *nr)
{
	int ret;

	REQUIRE(NULL, cg, "cgroup children");
	ret = list_args_check(cg->tree->log, "cgroup children", out, cap, nr);
	if (ret)
		return ret;
	*nr = epc__cg_list_children(cg, out, cap);
	return 0;
}

EPC_API int epc_cgroup_list_tasks(struct epc_cgroup *cg, uint64_t *ids, size_t cap, size_t *nr)
{
	struct epc_task *t;
	struct epc *epc;
	size_t n = 0;
	int ret;

	REQUIRE(NULL, cg, "cgroup tasks");
	epc = epc_of_cgroup(cg);
	ret = list_args_check(&epc->log, "cgroup tasks", ids, cap, nr);
	if (ret)
		return ret;
	epc__mutex_lock(&epc->objs_lock);
	epc__list_for_each(t, &epc->tasks, node)
	{
		if (t->cg != cg)
			continue;
		if (n < cap)
			ids[n] = t->id;
		n++;
	}
	epc__mutex_unlock(&epc->objs_lock);
	*nr = n;
	return 0;
}

EPC_API int epc_cgroup_list_encls(struct epc_cgroup *cg, uint64_t *ids, size_t cap, size_t *nr)
{
	struct epc *epc;
	int ret;

	REQUIRE(NULL, cg, "cgroup enclaves");
	epc = epc_of_cgroup(cg);
	ret = list_args_check(&epc->log, "cgroup enclaves", ids, cap, nr);
	if (!ret)
		*nr = epc__encl_list(&epc->encl, cg, ids, cap);
	return ret;
}

EPC_API int epc_list_encls(struct epc *epc, uint64_t *ids, size_t cap, size_t *nr)
{
	int ret;

	REQUIRE(NULL, epc, "enclaves");
	ret = list_args_check(&epc->log, "enclaves", ids, cap, nr);
	if (!ret)
		*nr = epc__encl_list(&epc->encl, NULL, ids, cap);
	return ret;
}

EPC_API int epc_cgroup_remove(struct epc_cgroup *cg)
{
	char path[EPC__LOG_LINE_MAX / 2];
	int ret;

	REQUIRE(NULL, cg, "cgroup remove");
	/* The pin keeps @cg until its work is cancelled: without charges or
	 * queued work, a removed cgroup is freed as soon as it is unpinned. */
	epc__cg_pin(cg);
	ret = epc__cg_remove(cg);
	if (!ret) /* as css_free cancels it: no work runs for a removed cgroup */
		epc__reclaim_cancel_cg(&epc_of_cgroup(cg)->reclaim, cg);
	epc__cg_unpin(cg);
	if (!ret)
		return 0;
	if (epc__cg_path(cg, path, sizeof(path)) < 0)
		snprintf(path, sizeof(path), "(a long path)");
	return refuse(cg->tree->log, ret, "cgroup remove '%s'%s", path,
		      ret == -EBUSY    ? " (it has live children or tasks)"
		      : ret == -EINVAL ? " (the root)"
				       : " (removed already)");
}

EPC_API ssize_t epc_cgroup_path(struct epc_cgroup *cg, char *buf, size_t len)
{
	REQUIRE(NULL, cg, "cgroup path");
	if (!buf && len)
		return refuse(cg->tree->log, -EINVAL, "cgroup path: NULL buf with len %zu", len);
	return epc__cg_path(cg, buf, len);
}

EPC_API ssize_t epc_cgroup_read(struct epc_cgroup *cg, const char *file, char *buf, size_t len)
{
	ssize_t n;

	REQUIRE(NULL, cg, "cgroup read");
	REQUIRE(cg->tree->log, file, "cgroup read");
	if (!buf && len)
		return refuse(cg->tree->log, -EINVAL, "cgroup read: NULL buf with len %zu", len);
	n = epc__cg_read(cg, file, buf, len);
	return n < 0 ? refuse(cg->tree->log, (int)n, "read of %s (%zu-byte buffer)", file, len) : n;
}

EPC_API int epc_cgroup_write(struct epc_cgroup *cg, const char *file, const char *text)
{
	int ret;

	REQUIRE(NULL, cg, "cgroup write");
	REQUIRE(cg->tree->log, file, "cgroup write");
	REQUIRE(cg->tree->log, text, "cgroup write");
	ret = epc__cg_write(cg, file, text);
	return ret ? refuse(cg->tree->log, ret, "write of '%s' to %s rejected", text, file) : 0;
}

/* ---------------------------------------------------------- cgroup files */

EPC_API const struct epc_cftype *epc_cgroup_file_type(enum epc_cgroup_file file)
{
	if ((unsigned)file >= EPC_CGF_NR) {
		refuse(NULL, -EINVAL, "cgroup file type: no file %d (the table has %d)", (int)file,
		       EPC_CGF_NR);
		return NULL;
	}
	return epc__cg_file_type(file);
}

EPC_API int epc_cgroup_file_lookup(struct epc_cgroup *cg, const char *name,
				   enum epc_cgroup_file *out)
{
	REQUIRE(NULL, cg, "cgroup file lookup");
	REQUIRE(cg->tree->log, name, "cgroup file lookup");
	REQUIRE(cg->tree->log, out, "cgroup file lookup");
	return epc__cg_file_lookup(cg, name, out);
}

/* The name of @file for a log line ("file 42" past the table). */
static const char *file_label(enum epc_cgroup_file file, char *buf, size_t len)
{
	if ((unsigned)file < EPC_CGF_NR)
		return epc__cg_file_type(file)->name;
	snprintf(buf, len, "file %d", (int)file);
	return buf;
}

EPC_API ssize_t epc_cgroup_file_read(struct epc_cgroup *cg, enum epc_cgroup_file file, char *buf,
				     size_t len)
{
	char label[32];
	ssize_t n;

	REQUIRE(NULL, cg, "cgroup read");
	if (!buf && len)
		return refuse(cg->tree->log, -EINVAL, "cgroup read: NULL buf with len %zu", len);
	n = epc__cg_file_read(cg, file, buf, len);
	return n < 0 ? refuse(cg->tree->log, (int)n, "read of %s (%zu-byte buffer)",
			      file_label(file, label, sizeof(label)), len)
		     : n;
}

EPC_API int epc_cgroup_file_write(struct epc_cgroup *cg, enum epc_cgroup_file file,
				  const char *text)
{
	char label[32];
	int ret;

	REQUIRE(NULL, cg, "cgroup write");
	REQUIRE(cg->tree->log, text, "cgroup write");
	ret = epc__cg_file_write(cg, file, text);
	return ret ? refuse(cg->tree->log, ret, "write of '%s' to %s rejected", text,
			    file_label(file, label, sizeof(label)))
		   : 0;
}

EPC_API int epc_cgroup_procs_parse(const char *text, int *id)
{
	REQUIRE(NULL, text, "cgroup.procs parse");
	REQUIRE(NULL, id, "cgroup.procs parse");
	return epc__cg_procs_parse(text, id);
}

/* ------------------------------------------------------ membership by id */

EPC_API int epc_cgroup_attach(struct epc_cgroup *cg, uint64_t id)
{
	int ret;

	REQUIRE(NULL, cg, "cgroup attach");
	if (!id)
		return refuse(cg->tree->log, -EINVAL, "cgroup attach: id 0");
	ret = epc__cg_attach_id(cg, id);
	return ret ? refuse(cg->tree->log, ret, "cgroup attach of id %llu", (unsigned long long)id)
		   : 0;
}

EPC_API int epc_member_cgroup(struct epc *epc, uint64_t id, struct epc_cgroup **out)
{
	REQUIRE(NULL, epc, "member cgroup");
	REQUIRE(&epc->log, out, "member cgroup");
	if (!id)
		return refuse(&epc->log, -EINVAL, "member cgroup: id 0");
	*out = epc__cg_member_get(&epc->cgroups, id);
	return 0;
}

EPC_API int epc_member_forget(struct epc *epc, uint64_t id)
{
	REQUIRE(NULL, epc, "member forget");
	if (!id)
		return refuse(&epc->log, -EINVAL, "member forget: id 0");
	return epc__cg_member_forget(&epc->cgroups, id);
}

EPC_API int epc_cgroup_list_members(struct epc_cgroup *cg, uint64_t *ids, size_t cap, size_t *nr)
{
	int ret;

	REQUIRE(NULL, cg, "cgroup members");
	ret = list_args_check(cg->tree->log, "cgroup members", ids, cap, nr);
	if (!ret)
		*nr = epc__cg_list_members(cg, ids, cap);
	return ret;
}

EPC_API int epc_cgroup_get_stats(struct epc_cgroup *cg, struct epc_cgroup_stats *st, size_t size)
{
	REQUIRE(NULL, cg, "cgroup stats");

	struct epc_cgroup_stats s = {
		.current = epc__cg_usage(cg), /* exact: minus the stocks */
		.peak = atomic_load(&cg->res.peak),
		.max = atomic_load(&cg->res.max),
		.events = atomic_load(&cg->res.events),
		.events_local = atomic_load(&cg->res.events_local),
		.nr_lru = atomic_load(&cg->nr_lru),
		.nr_evicted = atomic_load(&cg->nr_evicted),
		.nr_reloaded = atomic_load(&cg->nr_reloaded),
		.nr_reclaim_sync = atomic_load_explicit(&cg->nr_reclaim_sync, memory_order_relaxed),
		.nr_reclaim_async =
			atomic_load_explicit(&cg->nr_reclaim_async, memory_order_relaxed),
		.nr_work_queued = atomic_load_explicit(&cg->nr_work_queued, memory_order_relaxed),
		.nr_work_run = atomic_load_explicit(&cg->nr_work_run, memory_order_relaxed),
		.nr_augmented = atomic_load_explicit(&cg->nr_augmented, memory_order_relaxed),
		.nr_trimmed = atomic_load_explicit(&cg->nr_trimmed, memory_order_relaxed),
		.nr_removed = atomic_load_explicit(&cg->nr_removed, memory_order_relaxed),
	};

	if (!st || !size)
		return refuse(cg->tree->log, -EINVAL, "cgroup stats: %s",
			      st ? "size 0" : "NULL stats");
	copy_sized(st, &s, sizeof(s), size);
	return 0;
}

/* ----------------------------------------------------------------- tasks */

/* The instance @t belongs to: the one whose reclaimer it allocates from. */
static struct epc *epc_of_task(const struct epc_task *t)
{
	return (struct epc *)((char *)t->reclaim - offsetof(struct epc, reclaim));
}

EPC_API int epc_task_create(struct epc *epc, struct epc_cgroup *cg, int cpu, struct epc_task **out)
{
	struct epc_task *t;
	int ret;

	REQUIRE(NULL, epc, "task create");
	REQUIRE(&epc->log, out, "task create");
	if (cg && cg->tree != &epc->cgroups)
		return refuse_foreign(epc, "task create", "cgroup");
	if (!epc__task_cpu_valid(&epc->reclaim, cpu)) {
		epc__log(&epc->log, LOG_ERR, "task: cpu %d out of range (0..%d)", cpu,
			 epc->mm.nr_cpus - 1);
		return -EINVAL;
	}
	if (!cg)
		cg = epc->cgroups.root;
	t = epc__host_calloc(&epc->hw.fault, 1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	ret = epc__task_init(t, &epc->reclaim, cg, cpu);
	if (ret) {
		epc__log(&epc->log, LOG_ERR, "task: cgroup has been removed");
		free(t);
		return ret;
	}
	epc__mutex_lock(&epc->objs_lock);
	t->id = ++epc->next_task_id;
	epc__list_add_head(&epc->tasks, &t->node);
	epc__mutex_unlock(&epc->objs_lock);
	*out = t;
	return 0;
}

EPC_API void epc_task_destroy(struct epc_task *t)
{
	struct epc *epc;

	if (!t)
		return;
	epc = epc_of_task(t);
	epc__mutex_lock(&epc->objs_lock);
	epc__list_del(&t->node);
	epc__mutex_unlock(&epc->objs_lock);
	epc__task_fini(t);
	free(t);
}

EPC_API int epc_task_move(struct epc_task *t, struct epc_cgroup *cg)
{
	struct epc *epc;
	int ret;

	REQUIRE(NULL, t, "task move");
	epc = epc_of_task(t);
	if (t->follow)
		return refuse(&epc->log, -EINVAL,
			      "task move: the task follows id %llu (move the id)",
			      (unsigned long long)t->follow->id);
	if (cg && cg->tree != &epc->cgroups)
		return refuse_foreign(epc, "task move", "cgroup");
	if (!cg)
		cg = epc->cgroups.root;
	if (cg == t->cg)
		return 0;
	ret = epc__task_move_membership(t, cg);
	if (ret) {
		epc__log(&epc->log, LOG_ERR, "task move: cgroup has been removed");
		return ret;
	}
	epc__mutex_lock(&epc->objs_lock); /* the listings read it */
	t->cg = cg;
	epc__mutex_unlock(&epc->objs_lock);
	return 0;
}

EPC_API int epc_task_follow(struct epc_task *t, uint64_t id)
{
	struct epc *epc;
	int ret;

	REQUIRE(NULL, t, "task follow");
	epc = epc_of_task(t);
	epc__mutex_lock(&epc->objs_lock); /* the listings read its cgroup */
	ret = epc__task_follow(t, id);
	epc__mutex_unlock(&epc->objs_lock);
	return ret ? refuse(&epc->log, ret, "task follow of id %llu", (unsigned long long)id) : 0;
}

EPC_API uint64_t epc_task_id(const struct epc_task *t)
{
	if (!t) {
		refuse(NULL, -EINVAL, "task id: NULL t");
		return 0; /* ids start at 1 */
	}
	return t->id;
}

EPC_API int epc_task_set_cpu(struct epc_task *t, int cpu)
{
	REQUIRE(NULL, t, "task set cpu");
	if (!epc__task_cpu_valid(t->reclaim, cpu)) {
		epc__log(t->reclaim->log, LOG_ERR, "task: cpu %d out of range (0..%d)", cpu,
			 t->reclaim->mm->nr_cpus - 1);
		return -EINVAL;
	}
	t->cpu = cpu;
	return 0;
}

EPC_API int epc_task_cpu(const struct epc_task *t)
{
	REQUIRE(NULL, t, "task cpu");
	return t->cpu;
}

EPC_API int epc_task_node(const struct epc_task *t)
{
	REQUIRE(NULL, t, "task node");
	return epc__task_node(t);
}

EPC_API void epc_task_set_signal(struct epc_task *t, bool pending)
{
	if (!t) {
		refuse(NULL, -EINVAL, "task set signal: NULL t");
		return;
	}
	atomic_store(&t->signal, pending);
}

/* ------------------------------------------------------------- raw pages */

EPC_API int epc_page_alloc(struct epc_task *t, void *owner, enum epc_reclaim r,
			   struct epc_page **out)
{
	REQUIRE(NULL, t, "page alloc");
	REQUIRE(t->reclaim->log, out, "page alloc");

	struct epc__alloc_req req;

	epc__task_sync(t);
	req = epc__task_alloc_req(t, owner, r);
	if ((unsigned)r > EPC_DO_RECLAIM) {
		epc__log(t->reclaim->log, LOG_ERR, "page alloc: unknown reclaim mode %d", (int)r);
		return -EINVAL;
	}
	return epc__alloc_page(t->reclaim, &req, out);
}

EPC_API void epc_page_free(struct epc_page *p)
{
	struct epc__mm *mm;
	struct epc *epc;

	if (!p)
		return;
	mm = epc__mm_of_page(p);
	epc = (struct epc *)((char *)mm - offsetof(struct epc, mm));
	assert(epc__page_state(p) == EPC__PAGE_INUSE);
	epc__free_page_eremove(&epc->reclaim, p);
}

EPC_API int epc_page_node(const struct epc_page *p)
{
	REQUIRE(NULL, p, "page node");
	return p->node;
}

EPC_API uint64_t epc_page_phys(const struct epc_page *p)
{
	if (!p) {
		refuse(NULL, -EINVAL, "page phys: NULL p");
		return UINT64_MAX; /* not page aligned: no page's address */
	}
	return epc__mm_page_phys(epc__mm_of_page(p), p);
}

EPC_API void *epc_page_owner(const struct epc_page *p)
{
	if (!p) {
		refuse(NULL, -EINVAL, "page owner: NULL p");
		return NULL;
	}
	return p->owner;
}

/* -------------------------------------------------------------- enclaves */

EPC_API int epc_encl_create(struct epc_task *t, uint64_t size, struct epc_encl **out)
{
	/* the enclave layer refuses a NULL task (its log line) */
	return epc__encl_create(t ? &epc_of_task(t)->encl : NULL, t, size, out);
}

EPC_API int epc_encl_access2(struct epc_task *t, struct epc_encl *e, uint64_t offset, void *buf,
			     size_t len, enum epc_access mode)
{
	if ((unsigned)mode > EPC_ACCESS_WRITE)
		return refuse(t ? t->reclaim->log : NULL, -EINVAL, "access: unknown mode %d",
			      (int)mode);
	return epc_encl_access(t, e, offset, buf, len, mode == EPC_ACCESS_WRITE);
}

/* -------------------------------------------------------------- internal */

void epc__quiesce(struct epc *epc)
{
	epc__reclaim_wait_idle(&epc->reclaim);
}

int epc__check(struct epc *epc)
{
	int ret = epc__reclaim_check(&epc->reclaim);

	if (!ret)
		ret = epc__mm_check(&epc->mm, (int64_t)epc__reclaim_nr_tracked(&epc->reclaim));
	if (!ret)
		ret = epc__encl_check(&epc->encl);
	return ret;
}

void epc__fault_set(struct epc *epc, epc__fault_fn fn, void *arg)
{
	epc->hw.fault.fn = fn;
	epc->hw.fault.arg = arg;
}
