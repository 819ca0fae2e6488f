// SPDX-License-Identifier: MIT
/*
 * index.c - the tree's index of its live cgroups (cgroup.h, struct
 * epc__cg_index): one hash by id, one by (parent, name), both under the tree
 * lock. A path walk costs one probe per component and a lookup by id one
 * probe, whatever the number of cgroups or siblings; a cgroupfs resolves every
 * request through them (live/cgfs.c).
 *
 * The name hash is FNV-1a over the name, seeded at init from getrandom() (a
 * client that names cgroups cannot aim many names at one bucket without the
 * seed) and mixed with the parent's id. Both tables double when they hold as
 * many cgroups as buckets; a failed allocation keeps the old ones (longer
 * chains, still right).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "cgroup/cgroup.h"

#define INDEX_HASH_MIN 64 /* buckets of the first tables; a power of 2 */

static size_t name_bucket(uint64_t seed, uint64_t parent_id, const char *name, size_t len,
			  size_t nr)
{
	uint64_t h = seed ^ (parent_id * 0x9e3779b97f4a7c15ull);

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)name[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 32;
	return (size_t)h & (nr - 1);
}

int epc__cg_index_init(struct epc__cg_index *ix, const struct epc__fault *fault)
{
	memset(ix, 0, sizeof(*ix));
	if (getrandom(&ix->seed, sizeof(ix->seed), GRND_NONBLOCK) != sizeof(ix->seed))
		ix->seed = (uint64_t)(uintptr_t)ix * 0x9e3779b97f4a7c15ull;
	ix->by_id = epc__host_calloc(fault, INDEX_HASH_MIN, sizeof(*ix->by_id));
	ix->by_name = epc__host_calloc(fault, INDEX_HASH_MIN, sizeof(*ix->by_name));
	if (!ix->by_id || !ix->by_name) {
		epc__cg_index_destroy(ix);
		return -ENOMEM;
	}
	ix->nr_buckets = INDEX_HASH_MIN;
	return 0;
}

void epc__cg_index_destroy(struct epc__cg_index *ix)
{
	free(ix->by_id);
	free(ix->by_name);
	memset(ix, 0, sizeof(*ix));
}

static void link_locked(struct epc__cg_index *ix, struct epc_cgroup *cg, struct epc_cgroup **by_id,
			struct epc_cgroup **by_name, size_t nr)
{
	size_t k = epc__cg_id_bucket(cg->id, nr);

	cg->next_by_id = by_id[k];
	by_id[k] = cg;
	if (!cg->parent)
		return; /* the root has no name to be found by */
	k = name_bucket(ix->seed, cg->parent->id, cg->name, cg->name_len, nr);
	cg->next_by_name = by_name[k];
	by_name[k] = cg;
}

static void grow_locked(struct epc__cgroups *tree)
{
	struct epc__cg_index *ix = &tree->index;
	size_t nr = 2 * ix->nr_buckets;
	struct epc_cgroup **by_id, **by_name;

	if (ix->nr < ix->nr_buckets || nr < ix->nr_buckets)
		return;
	by_id = epc__host_calloc(tree->fault, nr, sizeof(*by_id));
	by_name = epc__host_calloc(tree->fault, nr, sizeof(*by_name));
	if (!by_id || !by_name) {
		free(by_id);
		free(by_name);
		return;
	}
	for (size_t b = 0; b < ix->nr_buckets; b++)
		for (struct epc_cgroup *cg = ix->by_id[b], *next; cg; cg = next) {
			next = cg->next_by_id;
			link_locked(ix, cg, by_id, by_name, nr);
		}
	free(ix->by_id);
	free(ix->by_name);
	ix->by_id = by_id;
	ix->by_name = by_name;
	ix->nr_buckets = nr;
}

void epc__cg_index_add_locked(struct epc__cgroups *tree, struct epc_cgroup *cg)
{
	epc__assert_mutex_held(&tree->lock);
	link_locked(&tree->index, cg, tree->index.by_id, tree->index.by_name,
		    tree->index.nr_buckets);
	tree->index.nr++;
	grow_locked(tree);
}

void epc__cg_index_del_locked(struct epc__cgroups *tree, struct epc_cgroup *cg)
{
	struct epc__cg_index *ix = &tree->index;
	struct epc_cgroup **pp;

	epc__assert_mutex_held(&tree->lock);
	for (pp = &ix->by_id[epc__cg_id_bucket(cg->id, ix->nr_buckets)]; *pp != cg;
	     pp = &(*pp)->next_by_id)
		;
	*pp = cg->next_by_id;
	if (cg->parent) {
		size_t k = name_bucket(ix->seed, cg->parent->id, cg->name, cg->name_len,
				       ix->nr_buckets);

		for (pp = &ix->by_name[k]; *pp != cg; pp = &(*pp)->next_by_name)
			;
		*pp = cg->next_by_name;
	}
	ix->nr--;
}

struct epc_cgroup *epc__cg_index_child_locked(struct epc_cgroup *parent, const char *name,
					      size_t len)
{
	struct epc__cg_index *ix = &parent->tree->index;
	struct epc_cgroup *cg;

	epc__assert_mutex_held(&parent->tree->lock);
	cg = ix->by_name[name_bucket(ix->seed, parent->id, name, len, ix->nr_buckets)];
	for (; cg; cg = cg->next_by_name)
		if (cg->parent == parent && cg->name_len == len && !memcmp(cg->name, name, len))
			return cg;
	return NULL;
}

struct epc_cgroup *epc__cg_index_id_locked(struct epc__cgroups *tree, uint64_t id)
{
	struct epc_cgroup *cg;

	epc__assert_mutex_held(&tree->lock);
	cg = tree->index.by_id[epc__cg_id_bucket(id, tree->index.nr_buckets)];
	while (cg && cg->id != id)
		cg = cg->next_by_id;
	return cg;
}
