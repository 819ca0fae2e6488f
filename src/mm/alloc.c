// SPDX-License-Identifier: MIT
/*
 * alloc.c - per-node free lists, the NUMA search and the per-CPU caches.
 * The algorithm and its guarantees are in mm.h.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mm/mm.h"

/* Bytes at the start of the record mapping that hold the back pointer. */
#define EPC__MM_HEADER EPC_PAGE_SIZE /* one page: the records stay page aligned */

/* ---------------------------------------------------------------- setup */

static uint64_t next_pow2(uint64_t v)
{
	uint64_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

/*
 * Reserve the record array inside a mapping aligned to its own (power of two)
 * size, with a header page in front that points back to @mm: any record's
 * address, rounded down to that alignment, finds the header. The memory is
 * lazily zeroed by the OS, which is exactly the DIRTY state of every page.
 */
/*
 * The header at the start of the record mapping. Its first word can never be
 * mistaken for a page record's links: links are at most EPC__MAX_PAGES, so no
 * record starts with two all-ones halves.
 */
struct mm_header {
	uint64_t magic; /* EPC__MM_MAGIC */
	uint64_t align; /* the mapping's size and alignment */
	struct epc__mm *mm;
};
#define EPC__MM_MAGIC UINT64_MAX

static int pages_map(struct epc__mm *mm)
{
	uint64_t need = EPC__MM_HEADER + mm->nr_pages * sizeof(struct epc_page);
	uint64_t align = next_pow2(need < 8192 ? 8192 : need);
	char *raw, *start;
	size_t raw_len = align * 2;
	struct mm_header *h;

	raw = epc__host_mmap(&mm->hw->fault, raw_len, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1);
	if (raw == MAP_FAILED)
		return -ENOMEM;
	start = (char *)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
	if (start > raw)
		munmap(raw, (size_t)(start - raw));
	if (start + align < raw + raw_len)
		munmap(start + align, (size_t)(raw + raw_len - (start + align)));
	madvise(start, align, MADV_HUGEPAGE);
	h = (struct mm_header *)start;
	h->magic = EPC__MM_MAGIC;
	h->align = align;
	h->mm = mm;
	mm->pages_map = start;
	mm->pages_map_len = align;
	mm->pages_map_shift = (unsigned)__builtin_ctzll(align);
	mm->pages = (struct epc_page *)(start + EPC__MM_HEADER);
	return 0;
}

/* An INUSE page records the mapping's alignment in @aux (page.h). */
struct epc__mm *epc__mm_of_page(const struct epc_page *p)
{
	uint64_t align = 1ULL << (p->aux >> EPC__AUX_SHIFT_BIT);
	const struct mm_header *h =
		(const struct mm_header *)((uintptr_t)p & ~(uintptr_t)(align - 1));

	assert(epc__page_state(p) == EPC__PAGE_INUSE);
	assert(h->magic == EPC__MM_MAGIC && h->align == align);
	return h->mm;
}

static uint32_t inuse_aux(const struct epc__mm *mm, int cpu)
{
	return (uint32_t)cpu | (uint32_t)mm->pages_map_shift << EPC__AUX_SHIFT_BIT;
}

static int cmp_key(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/*
 * The search order for callers on @nid (mm.h). Distance ordering sorts keys
 * (distance << 8 | id) so ties go by id; a local node with EPC always comes
 * first (its distance, 10, is the smallest by the config's rules anyway).
 */
static void build_fallback(struct epc__mm *mm, int nid, enum epc_fallback policy)
{
	struct epc__node *n = &mm->nodes[nid];
	uint16_t keys[EPC__MM_MAX_NODES] = {0};
	int cnt = 0;

	if (policy == EPC_FALLBACK_DISTANCE) {
		for (int i = 0; i < mm->nr_nodes; i++)
			if (mm->nodes[i].has_epc)
				keys[cnt++] =
					(uint16_t)((i == nid ? 0
							     : mm->distance[nid * mm->nr_nodes + i])
							   << 8 |
						   i);
		qsort(keys, (size_t)cnt, sizeof(keys[0]), cmp_key);
		for (int i = 0; i < cnt; i++)
			n->fallback[i] = (uint8_t)(keys[i] & 0xff);
	} else {
		/* start at nid if it has EPC, else at the next node that has; wrap */
		for (int k = 0; k < mm->nr_nodes; k++) {
			int i = (nid + k) % mm->nr_nodes;

			if (mm->nodes[i].has_epc)
				n->fallback[cnt++] = (uint8_t)i;
		}
	}
	n->nr_fallback = cnt;
}

int epc__mm_init(struct epc__mm *mm, const struct epc__mm_config *cfg, struct epc__hw *hw,
		 const struct epc__log *log)
{
	const struct epc__fault *f = &hw->fault;
	uint64_t first = 0;
	int i, ret = -ENOMEM;

	memset(mm, 0, sizeof(*mm));
	mm->hw = hw;
	mm->log = log;
	mm->nr_nodes = cfg->nr_nodes;
	mm->nr_cpus = cfg->nr_cpus;
	mm->nr_sections = cfg->nr_sections;
	mm->pcp_batch = cfg->pcp_batch;
	mm->pcp_high = 2 * cfg->pcp_batch;
	epc__plist_init(&mm->still_dirty);

	mm->cpu_to_node = epc__host_calloc(f, (size_t)cfg->nr_cpus, sizeof(int));
	mm->distance = epc__host_calloc(f, (size_t)cfg->nr_nodes * (size_t)cfg->nr_nodes, 1);
	mm->nodes = epc__host_aligned_alloc(f, EPC__CACHELINE,
					    sizeof(struct epc__node) * (size_t)cfg->nr_nodes);
	/* zeroed at once: the unwinding below frees every node's fallback */
	if (mm->nodes)
		memset(mm->nodes, 0, sizeof(struct epc__node) * (size_t)cfg->nr_nodes);
	mm->pcps = epc__host_aligned_alloc(f, EPC__CACHELINE,
					   sizeof(struct epc__pcp) * (size_t)cfg->nr_cpus);
	if (!mm->cpu_to_node || !mm->distance || !mm->nodes || !mm->pcps)
		goto err_free;
	memcpy(mm->cpu_to_node, cfg->cpu_to_node, sizeof(int) * (size_t)cfg->nr_cpus);
	memcpy(mm->distance, cfg->distance, (size_t)cfg->nr_nodes * (size_t)cfg->nr_nodes);
	for (i = 0; i < cfg->nr_nodes; i++) {
		epc__spin_init(&mm->nodes[i].lock, EPC__RANK_NODE);
		epc__plist_init(&mm->nodes[i].free);
		epc__plist_init(&mm->nodes[i].poison);
		mm->nodes[i].fallback = epc__host_calloc(f, (size_t)cfg->nr_nodes, 1);
		if (!mm->nodes[i].fallback)
			goto err_free;
	}

	for (i = 0; i < cfg->nr_sections; i++) {
		struct epc__mm_section *s = &mm->sections[i];
		struct epc__node *n = &mm->nodes[cfg->sec_node[i]];

		s->phys_addr = cfg->sec_phys[i];
		s->first = first;
		s->nr_pages = cfg->sec_size[i] / EPC_PAGE_SIZE;
		s->node = cfg->sec_node[i];
		first += s->nr_pages;
		n->has_epc = true;
		n->nr_pages += s->nr_pages;
		n->size += cfg->sec_size[i];
	}
	mm->nr_pages = first;
	atomic_store(&mm->nr_dirty, first);

	for (i = 0; i < cfg->nr_nodes; i++)
		build_fallback(mm, i, cfg->fallback);
	memset(mm->pcps, 0, sizeof(struct epc__pcp) * (size_t)cfg->nr_cpus);
	if (cfg->pcp_batch) {
		mm->pcp_slots = epc__host_calloc(f, (size_t)cfg->nr_cpus * (mm->pcp_high + 1),
						 sizeof(uint32_t));
		if (!mm->pcp_slots)
			goto err_free;
	}
	for (i = 0; i < cfg->nr_cpus; i++) {
		struct epc__pcp *c = &mm->pcps[i];

		epc__spin_init(&c->lock, EPC__RANK_PCP);
		c->node = mm->cpu_to_node[i];
		c->enabled = cfg->pcp_batch > 0 && mm->nodes[c->node].has_epc;
		if (cfg->pcp_batch)
			c->idx = &mm->pcp_slots[(size_t)i * (mm->pcp_high + 1)];
	}

	ret = pages_map(mm);
	if (ret)
		goto err_free;
	return 0;

err_free:
	if (mm->nodes)
		for (i = 0; i < cfg->nr_nodes; i++)
			free(mm->nodes[i].fallback);
	free(mm->pcp_slots);
	free(mm->pcps);
	free(mm->nodes);
	free(mm->distance);
	free(mm->cpu_to_node);
	memset(mm, 0, sizeof(*mm));
	return ret;
}

void epc__mm_destroy(struct epc__mm *mm)
{
	if (!mm->nodes)
		return;
	if (mm->pages_map)
		munmap(mm->pages_map, mm->pages_map_len);
	for (int i = 0; i < mm->nr_nodes; i++)
		free(mm->nodes[i].fallback);
	free(mm->pcp_slots);
	free(mm->pcps);
	free(mm->nodes);
	free(mm->distance);
	free(mm->cpu_to_node);
	memset(mm, 0, sizeof(*mm));
}

/* ------------------------------------------------------------ node lists */

/* The kernel's __sgx_alloc_epc_page_from_node(): the dumb step. */
static struct epc_page *node_freelist_pop(struct epc__mm *mm, int nid, int caller_nid)
{
	struct epc__node *n = &mm->nodes[nid];
	struct epc_page *p;

	epc__spin_lock(&n->lock);
	p = epc__plist_pop(mm->pages, &n->free);
	if (p) {
		epc__page_set_state(p, EPC__PAGE_INUSE);
		epc__node_sync_nr_free_locked(n);
		if (nid == caller_nid)
			n->nr_alloc_local++;
		else
			n->nr_alloc_remote++;
	}
	epc__spin_unlock(&n->lock);
	if (p && nid != caller_nid)
		atomic_fetch_add_explicit(&mm->nodes[caller_nid].nr_alloc_away, 1,
					  memory_order_relaxed);
	return p;
}

/* Put @p (off every list) on its node's free or poison list. Node lock held. */
void epc__mm_free_locked(struct epc__mm *mm, struct epc__node *n, struct epc_page *p)
{
	epc__assert_spin_held(&n->lock);
	p->owner = NULL;
	p->cg = NULL;
	if (epc__page_poisoned(p)) {
		epc__plist_add_head(mm->pages, &n->poison, p);
		epc__page_set_state(p, EPC__PAGE_POISON);
	} else {
		epc__plist_add_tail(mm->pages, &n->free, p);
		epc__page_set_state(p, EPC__PAGE_FREE);
	}
}

/* ------------------------------------------------------- per-CPU caches */

static void pcp_sync_locked(struct epc__pcp *c)
{
	epc__assert_spin_held(&c->lock);
	atomic_store_explicit(&c->nr, c->count, memory_order_relaxed);
}

/*
 * Move up to @nr pages from the head of the pcp's node to the pcp, stacked so
 * that the node's first page is on top: the cache hands them out in the
 * node's order. Both locks held.
 */
static void pcp_refill_locked(struct epc__mm *mm, struct epc__pcp *c, unsigned nr)
{
	struct epc__node *n = &mm->nodes[c->node];
	uint32_t cpu = (uint32_t)(c - mm->pcps), got = 0;

	epc__assert_spin_held(&c->lock);
	epc__assert_spin_held(&n->lock);
	assert(c->count == 0);
	while (got < nr) {
		struct epc_page *p = epc__plist_pop(mm->pages, &n->free);

		if (!p)
			break;
		p->aux = cpu;
		epc__page_set_state(p, EPC__PAGE_PCP);
		c->idx[got++] = (uint32_t)epc__mm_page_index(mm, p);
	}
	for (uint32_t i = 0; i < got / 2; i++) { /* first popped on top */
		uint32_t t = c->idx[i];

		c->idx[i] = c->idx[got - 1 - i];
		c->idx[got - 1 - i] = t;
	}
	c->count = got;
	epc__node_sync_nr_free_locked(n);
}

void epc__pcp_remove_locked(struct epc__pcp *c, uint32_t i)
{
	epc__assert_spin_held(&c->lock);
	memmove(&c->idx[i], &c->idx[i + 1], (c->count - i - 1) * sizeof(c->idx[0]));
	c->count--;
	pcp_sync_locked(c);
}

/* Give the @nr oldest pages of the pcp back to its node's tail. Both locks held. */
static void pcp_drain_locked(struct epc__mm *mm, struct epc__pcp *c, uint32_t nr)
{
	struct epc__node *n = &mm->nodes[c->node];

	epc__assert_spin_held(&c->lock);
	epc__assert_spin_held(&n->lock);
	if (nr > c->count)
		nr = c->count;
	for (uint32_t i = 0; i < nr; i++)
		epc__mm_free_locked(mm, n, &mm->pages[c->idx[i]]);
	memmove(&c->idx[0], &c->idx[nr], (c->count - nr) * sizeof(c->idx[0]));
	c->count -= nr;
	epc__node_sync_nr_free_locked(n);
	pcp_sync_locked(c);
}

/* Own cache, refilled from the own node when empty. NULL if both are empty. */
static struct epc_page *pcp_alloc(struct epc__mm *mm, struct epc__pcp *c)
{
	struct epc_page *p = NULL;

	epc__spin_lock(&c->lock);
	if (!c->count) {
		struct epc__node *n = &mm->nodes[c->node];

		epc__spin_lock(&n->lock);
		pcp_refill_locked(mm, c, mm->pcp_batch);
		epc__spin_unlock(&n->lock);
	}
	if (c->count) {
		p = &mm->pages[c->idx[--c->count]];
		epc__page_set_state(p, EPC__PAGE_INUSE);
		c->nr_alloc++;
	}
	pcp_sync_locked(c);
	epc__spin_unlock(&c->lock);
	return p;
}

/*
 * Free @p into the cache of the CPU that allocated it, if that cache holds
 * pages of @p's node. Return: false when the page must go to its node.
 */
static bool pcp_free(struct epc__mm *mm, struct epc_page *p)
{
	uint32_t cpu = p->aux & EPC__AUX_CPU_MASK;
	struct epc__pcp *c;

	if (cpu >= (uint32_t)mm->nr_cpus)
		return false;
	c = &mm->pcps[cpu];
	if (!c->enabled || c->node != p->node || epc__page_poisoned(p))
		return false;
	epc__spin_lock(&c->lock);
	/*
	 * Test the flag again under the cache lock: memory_failure() sets it and
	 * then searches this cache under this lock (poison.c), so either it sees
	 * the page here or we see the flag.
	 */
	if (epc__page_poisoned(p)) {
		epc__spin_unlock(&c->lock);
		return false;
	}
	p->owner = NULL;
	p->cg = NULL;
	p->aux = cpu; /* PCP: the cache's CPU, without the INUSE alignment bits */
	epc__page_set_state(p, EPC__PAGE_PCP);
	c->idx[c->count++] = (uint32_t)epc__mm_page_index(mm, p);
	if (c->count > mm->pcp_high) {
		struct epc__node *n = &mm->nodes[c->node];

		epc__spin_lock(&n->lock);
		pcp_drain_locked(mm, c, mm->pcp_batch);
		epc__spin_unlock(&n->lock);
	}
	pcp_sync_locked(c);
	epc__spin_unlock(&c->lock);
	return true;
}

void epc__mm_drain_pcps(struct epc__mm *mm)
{
	for (int i = 0; i < mm->nr_cpus; i++) {
		struct epc__pcp *c = &mm->pcps[i];

		if (!c->enabled || !atomic_load_explicit(&c->nr, memory_order_relaxed))
			continue;
		epc__spin_lock(&c->lock);
		epc__spin_lock(&mm->nodes[c->node].lock);
		pcp_drain_locked(mm, c, UINT32_MAX);
		epc__spin_unlock(&mm->nodes[c->node].lock);
		epc__spin_unlock(&c->lock);
	}
}

/* ------------------------------------------------------------ the search */

/* Every node with EPC once, in the caller's precomputed order. */
static struct epc_page *numa_search(struct epc__mm *mm, int caller_nid, bool skip_own)
{
	const struct epc__node *home = &mm->nodes[caller_nid];

	for (int k = 0; k < home->nr_fallback; k++) {
		int nid = home->fallback[k];
		struct epc_page *p;

		if (skip_own && nid == caller_nid)
			continue;
		p = node_freelist_pop(mm, nid, caller_nid);
		if (p)
			return p;
	}
	return NULL;
}

int epc__mm_alloc(struct epc__mm *mm, int cpu, struct epc_page **out)
{
	int nid = mm->cpu_to_node[cpu];
	struct epc__pcp *c = &mm->pcps[cpu];
	struct epc_page *p = NULL;

	if (epc__fault_check(&mm->hw->fault, EPC__FAULT_PAGE_ALLOC, UINT64_MAX))
		goto fail;
	if (c->enabled) {
		p = pcp_alloc(mm, c);
		if (!p)
			p = numa_search(mm, nid, true);
	} else {
		p = numa_search(mm, nid, false);
	}
	/*
	 * Free pages may sit in other CPUs' caches, also when the caller has no
	 * cache (its node has no EPC): drain them all and search once more.
	 */
	if (!p && mm->pcp_batch) {
		epc__mm_drain_pcps(mm);
		p = numa_search(mm, nid, false);
	}
	if (!p)
		goto fail;
	p->aux = inuse_aux(mm, cpu);
	*out = p;
	return 0;
fail:
	atomic_fetch_add_explicit(&mm->nr_alloc_failed, 1, memory_order_relaxed);
	return -ENOMEM;
}

void epc__mm_free(struct epc__mm *mm, struct epc_page *p)
{
	struct epc__node *n = &mm->nodes[p->node];

	assert(epc__page_state(p) == EPC__PAGE_INUSE || epc__page_state(p) == EPC__PAGE_ISOLATED ||
	       epc__page_state(p) == EPC__PAGE_DIRTY);
	if (mm->pcp_batch && pcp_free(mm, p))
		return;
	epc__spin_lock(&n->lock);
	epc__mm_free_locked(mm, n, p);
	epc__node_sync_nr_free_locked(n);
	epc__spin_unlock(&n->lock);
}

void epc__mm_free_pages(struct epc__mm *mm, struct epc_page **pages, unsigned n)
{
	unsigned i = 0;

	if (mm->pcp_batch) {
		for (; i < n; i++)
			epc__mm_free(mm, pages[i]);
		return;
	}
	while (i < n) {
		struct epc__node *node = &mm->nodes[pages[i]->node];

		epc__spin_lock(&node->lock);
		for (; i < n && &mm->nodes[pages[i]->node] == node; i++)
			epc__mm_free_locked(mm, node, pages[i]);
		epc__node_sync_nr_free_locked(node);
		epc__spin_unlock(&node->lock);
	}
}

uint64_t epc__mm_nr_free(struct epc__mm *mm)
{
	uint64_t nr = 0;

	for (int i = 0; i < mm->nr_nodes; i++)
		nr += atomic_load_explicit(&mm->nodes[i].nr_free, memory_order_relaxed);
	for (int i = 0; i < mm->nr_cpus; i++)
		nr += atomic_load_explicit(&mm->pcps[i].nr, memory_order_relaxed);
	return nr;
}

bool epc__mm_free_below(struct epc__mm *mm, int cpu, uint64_t wm)
{
	/* The own node's count (and cache) alone often proves free >= wm. */
	uint64_t local = atomic_load_explicit(&mm->nodes[mm->cpu_to_node[cpu]].nr_free,
					      memory_order_relaxed) +
			 atomic_load_explicit(&mm->pcps[cpu].nr, memory_order_relaxed);

	if (local >= wm)
		return false;
	return epc__mm_nr_free(mm) < wm;
}

bool epc__mm_node_free_below(struct epc__mm *mm, int node, uint64_t wm)
{
	uint64_t nr = atomic_load_explicit(&mm->nodes[node].nr_free, memory_order_relaxed);

	for (int i = 0; i < mm->nr_cpus && nr < wm; i++)
		if (mm->pcps[i].node == node)
			nr += atomic_load_explicit(&mm->pcps[i].nr, memory_order_relaxed);
	return nr < wm;
}

/* ------------------------------------------------------------- addresses */

const struct epc__mm_section *epc__mm_section_of(const struct epc__mm *mm, uint64_t idx)
{
	int i = epc__hw_section_of_page(mm->hw, idx);

	return i < 0 ? NULL : &mm->sections[i];
}

struct epc_page *epc__mm_phys_to_page(struct epc__mm *mm, uint64_t phys)
{
	int i = epc__hw_section_of_phys(mm->hw, phys);

	if (i < 0)
		return NULL;
	return &mm->pages[mm->sections[i].first +
			  (phys - mm->sections[i].phys_addr) / EPC_PAGE_SIZE];
}

uint64_t epc__mm_page_phys(const struct epc__mm *mm, const struct epc_page *p)
{
	uint64_t idx = epc__mm_page_index(mm, p);
	const struct epc__mm_section *s = epc__mm_section_of(mm, idx);

	return s ? s->phys_addr + (idx - s->first) * EPC_PAGE_SIZE : UINT64_MAX;
}
